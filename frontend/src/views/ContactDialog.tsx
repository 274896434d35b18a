/** Add or edit a personal contact: names, company, e-mail and several labelled numbers. */

import { Plus, Trash2 } from "lucide-preact";
import { useState } from "preact/hooks";
import { NUMBER_LABELS, type Contact, type ContactFields, type NumberLabel } from "../api/protocol";
import { errorText, type MessageKey } from "../i18n";
import { useApp, useT } from "./context";
import { Dialog } from "./Dialog";

interface Props {
  contact: Contact | null;
  onClose: () => void;
}

export function ContactDialog({ contact, onClose }: Props) {
  const t = useT();
  const { directory } = useApp();
  const [fields, setFields] = useState<ContactFields>({
    given: contact?.given ?? "",
    family: contact?.family ?? (contact && !contact.given ? contact.display : ""),
    org: contact?.org ?? "",
    email: contact?.email ?? "",
    numbers: contact?.numbers.map((n) => ({ label: n.label, number: n.number })) ?? [
      { label: "mobile", number: "" },
    ],
  });
  const [error, setError] = useState<{ text: string; field: string | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (name: "given" | "family" | "org" | "email", value: string) =>
    setFields({ ...fields, [name]: value });
  const setNumber = (index: number, change: Partial<{ label: NumberLabel; number: string }>) =>
    setFields({
      ...fields,
      numbers: fields.numbers.map((n, i) => (i === index ? { ...n, ...change } : n)),
    });

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const cleaned = { ...fields, numbers: fields.numbers.filter((n) => n.number.trim() !== "") };
    const ack = await directory.save(contact?.id ?? null, cleaned);
    setBusy(false);
    if (ack.ok) onClose();
    else
      setError({
        text: ack.field === "name" ? t("contact.nameRequired") : errorText(t, ack.error),
        field: ack.field,
      });
  };

  return (
    <Dialog title={t(contact ? "contact.editTitle" : "contact.addTitle")} onClose={onClose}>
      <form class="contact-form" onSubmit={(e) => void save(e)} data-testid="contact-form">
        <div class="field-row">
          <label class="field">
            <span class="field__label">{t("contact.given")}</span>
            <input
              class={`input${error?.field === "name" ? " input--invalid" : ""}`}
              value={fields.given}
              onInput={(e) => set("given", e.currentTarget.value)}
              name="given"
            />
          </label>
          <label class="field">
            <span class="field__label">{t("contact.family")}</span>
            <input
              class="input"
              value={fields.family}
              onInput={(e) => set("family", e.currentTarget.value)}
              name="family"
            />
          </label>
        </div>
        <label class="field">
          <span class="field__label">{t("contact.org")}</span>
          <input class="input" value={fields.org} onInput={(e) => set("org", e.currentTarget.value)} />
        </label>
        <label class="field">
          <span class="field__label">{t("contact.email")}</span>
          <input
            class="input"
            type="email"
            value={fields.email}
            onInput={(e) => set("email", e.currentTarget.value)}
          />
        </label>
        <fieldset class="contact-form__numbers">
          <legend class="field__label">{t("contact.numbers")}</legend>
          {fields.numbers.map((n, i) => (
            <div class="contact-form__number" key={i}>
              <select
                class="input contact-form__label"
                aria-label={t("contact.label")}
                value={n.label}
                onChange={(e) => setNumber(i, { label: e.currentTarget.value as NumberLabel })}
              >
                {NUMBER_LABELS.map((label) => (
                  <option key={label} value={label}>
                    {t(`label.${label}` as MessageKey)}
                  </option>
                ))}
              </select>
              <input
                class={`input${error?.field === "number" ? " input--invalid" : ""}`}
                inputMode="tel"
                aria-label={t("contact.number")}
                value={n.number}
                onInput={(e) => setNumber(i, { number: e.currentTarget.value })}
                name={`number-${i}`}
              />
              <button
                type="button"
                class="icon-button"
                aria-label={t("contact.removeNumber")}
                onClick={() => setFields({ ...fields, numbers: fields.numbers.filter((_, j) => j !== i) })}
              >
                <Trash2 size={16} />
              </button>
            </div>
          ))}
          <button
            type="button"
            class="button button--ghost"
            onClick={() => setFields({ ...fields, numbers: [...fields.numbers, { label: "office", number: "" }] })}
          >
            <Plus size={16} /> {t("contact.addNumber")}
          </button>
        </fieldset>
        {error && (
          <p class="field__error" role="alert">
            {error.text}
          </p>
        )}
        <div class="dialog__actions">
          <button type="button" class="button button--secondary" onClick={onClose}>
            {t("contact.cancel")}
          </button>
          <button type="submit" class="button button--primary" disabled={busy}>
            {t("contact.save")}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
