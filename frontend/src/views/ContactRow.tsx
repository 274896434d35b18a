/** One contact in a result list: name, company, source badge, and its numbers to call. */

import { Phone } from "lucide-preact";
import type { ComponentChildren } from "preact";
import type { Contact, ContactNumber } from "../api/protocol";
import type { MessageKey } from "../i18n";
import { useApp, useT } from "./context";

interface Props {
  contact: Contact;
  onCall: (number: ContactNumber) => void;
  actions?: ComponentChildren;
}

export function ContactRow({ contact, onCall, actions }: Props) {
  const t = useT();
  const app = useApp();
  // In transfer mode each number is a blue transfer target instead of a call button.
  const transferring = app.actions.transferring() !== undefined;
  return (
    <li class="contact-row" data-testid="contact-row">
      <div class="contact-row__head">
        <span class="contact-row__name">{contact.name}</span>
        <span class={`source-badge source-badge--${contact.source}`}>
          {t(`source.${contact.source}` as MessageKey)}
        </span>
        {contact.extension && (
          <span class="contact-row__ext">{t("directory.extension", { ext: contact.extension })}</span>
        )}
        {actions}
      </div>
      {contact.org && <div class="contact-row__org">{contact.org}</div>}
      <ul class="contact-row__numbers">
        {contact.numbers.map((n, i) => (
          <li key={i}>
            <button
              type="button"
              class={transferring ? "number-button transfer-target" : "number-button"}
              onClick={() => onCall(n)}
              aria-label={t(transferring ? "transfer.toNumber" : "directory.callNumber", {
                name: contact.name,
                number: n.number,
              })}
            >
              <Phone size={14} />
              <span class="number-button__label">{t(`label.${n.label}` as MessageKey)}</span>
              <span class="number-button__number">{n.number}</span>
            </button>
          </li>
        ))}
      </ul>
    </li>
  );
}
