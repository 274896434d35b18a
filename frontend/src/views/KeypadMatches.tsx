/** Directory matches for what is typed in the keypad field; a contact with several numbers asks which. */

import { useEffect, useState } from "preact/hooks";
import type { Contact } from "../api/protocol";
import type { MessageKey } from "../i18n";
import { useApp, useT } from "./context";

export function KeypadMatches() {
  const t = useT();
  const { ui, directory, actions } = useApp();
  const number = ui.number.value;
  const matches = directory.keypad.results.value;
  const [choosing, setChoosing] = useState<Contact | null>(null);
  // In transfer mode a match is a transfer target (blue): picking it transfers the call.
  const item = actions.transferring() ? "keypad-matches__item transfer-target" : "keypad-matches__item";

  useEffect(() => {
    directory.keypad.set(number);
    setChoosing(null);
  }, [number]);

  const call = (value: string) => {
    ui.number.value = value;
    void actions.dial();
  };
  const pick = (contact: Contact) => {
    const [only, ...others] = contact.numbers;
    if (only && others.length === 0) call(only.number);
    else if (only) setChoosing(contact);
  };

  if (choosing) {
    return (
      <div class="keypad-matches" role="group" aria-label={t("keypad.chooseNumber", { name: choosing.name })}>
        <p class="keypad-matches__title">{t("keypad.chooseNumber", { name: choosing.name })}</p>
        <ul class="keypad-matches__list" data-testid="number-chooser">
          {choosing.numbers.map((n, i) => (
            <li key={i}>
              <button type="button" class={item} onClick={() => call(n.number)}>
                <span class="keypad-matches__name">{t(`label.${n.label}` as MessageKey)}</span>
                <span class="keypad-matches__number">{n.number}</span>
              </button>
            </li>
          ))}
        </ul>
        <button type="button" class="button button--ghost" onClick={() => setChoosing(null)}>
          {t("contact.cancel")}
        </button>
      </div>
    );
  }
  if (matches.length === 0) return null;
  return (
    <ul class="keypad-matches keypad-matches__list" aria-label={t("keypad.matches")} data-testid="keypad-matches">
      {matches.map((c) => (
        <li key={c.id}>
          <button type="button" class={item} onClick={() => pick(c)}>
            <span class="keypad-matches__name">{c.name}</span>
            <span class="keypad-matches__number">
              {c.numbers.length > 1
                ? t("keypad.numbersCount", { count: c.numbers.length })
                : (c.numbers[0]?.number ?? "")}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
