/** First-run sign-in by e-mail and password; the account arrives by provisioning or DNS. */

import { CircleAlert, LoaderCircle } from "lucide-preact";
import { useRef, useState } from "preact/hooks";
import type { CommandErrorKey } from "../api/protocol";
import { errorText, type MessageKey } from "../i18n";
import { useApp, useT } from "./context";

type Field = "email" | "password";

interface EmailSignInFormProps {
  /** Called once the backend signed in and registered. */
  onDone?: () => void;
  /** "Advanced: enter SIP details": the manual account form. */
  onAdvanced: () => void;
}

export function EmailSignInForm({ onDone, onAdvanced }: EmailSignInFormProps) {
  const t = useT();
  const { client, ui, links } = useApp();
  // From a softphone://provision link (checked by the backend); the user sees where the
  // password goes and can drop it.
  const provisioningUrl = links.provisionUrl.value;
  const linkRefusal = links.refusal.value;
  const formRef = useRef<HTMLFormElement>(null);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<CommandErrorKey | null>(null);
  const [invalid, setInvalid] = useState<ReadonlySet<Field>>(new Set());
  const [missing, setMissing] = useState<ReadonlySet<Field>>(new Set());

  const focus = (name: Field) => formRef.current?.querySelector<HTMLElement>(`[name="${name}"]`)?.focus();

  const submit = async (e: Event) => {
    e.preventDefault();
    if (pending) return;
    const empty = (["email", "password"] as const).filter((f) => (f === "email" ? email.trim() : password) === "");
    setMissing(new Set(empty));
    setInvalid(new Set());
    setError(null);
    if (empty.length > 0) {
      focus(empty[0] as Field);
      return;
    }
    setPending(true);
    const ack = await client.send("account.sign_in", {
      email: email.trim(),
      password,
      ...(provisioningUrl ? { provisioning_url: provisioningUrl } : {}),
    });
    setPending(false);
    if (ack.ok) {
      // Said once, now, rather than as "authentication failed" at the next start.
      if (!ack.result.password_saved) ui.notify("keyring_unavailable");
      onDone?.();
      return;
    }
    setError(ack.error);
    // Only the form's own fields are marked; a document's field name (provisioning_invalid)
    // is for the administrator and stays in the log.
    const field = ack.field === "email" || ack.field === "password" ? ack.field : null;
    if (field) {
      setInvalid(new Set([field]));
      focus(field);
    } else if (ack.error === "provisioning_auth_failed") {
      setInvalid(new Set(["password"]));
      focus("password");
    }
  };

  const props = (name: Field, value: string, onValue: (v: string) => void) => {
    const bad = invalid.has(name) || missing.has(name);
    return {
      id: `signin-${name}`,
      name,
      value,
      onInput: (e: Event) => onValue((e.currentTarget as HTMLInputElement).value),
      disabled: pending,
      "aria-invalid": bad ? ("true" as const) : undefined,
      "aria-describedby": bad ? `signin-${name}-error` : undefined,
      class: bad ? "input input--invalid" : "input",
    };
  };

  const message = (name: Field) => {
    if (missing.has(name))
      return (
        <p id={`signin-${name}-error`} class="field__error">
          {t("account.required")}
        </p>
      );
    if (invalid.has(name))
      return (
        <p id={`signin-${name}-error`} class="field__error">
          {t("account.invalidField")}
        </p>
      );
    return null;
  };

  return (
    <form ref={formRef} class="account-form" onSubmit={submit} noValidate aria-busy={pending}>
      {error && (
        <div class="form-error" role="alert">
          <CircleAlert size={18} />
          <span>{errorText(t, error)}</span>
        </div>
      )}
      {linkRefusal && (
        <div class="form-error" role="alert">
          <CircleAlert size={18} />
          <span>{t(`link.refused.${linkRefusal}` as MessageKey)}</span>
        </div>
      )}
      {provisioningUrl && (
        <div class="field">
          <label for="signin-provisioning-url" class="field__label">
            {t("signIn.provisioningUrl")}
          </label>
          <input
            id="signin-provisioning-url"
            class="input"
            value={provisioningUrl}
            readOnly
            spellcheck={false}
            aria-describedby="signin-provisioning-url-hint"
          />
          <p id="signin-provisioning-url-hint" class="field__hint">
            {t("signIn.fromLink")}
          </p>
          <button
            type="button"
            class="button button--ghost setup__switch"
            disabled={pending}
            onClick={() => (links.provisionUrl.value = null)}
          >
            {t("signIn.forgetLink")}
          </button>
        </div>
      )}
      <div class="field">
        <label for="signin-email" class="field__label">
          {t("signIn.email")}
        </label>
        <input
          {...props("email", email, setEmail)}
          type="email"
          autocomplete="username"
          inputMode="email"
          placeholder={t("signIn.emailPlaceholder")}
          spellcheck={false}
          autoFocus
        />
        {message("email")}
      </div>
      <div class="field">
        <label for="signin-password" class="field__label">
          {t("signIn.password")}
        </label>
        <input {...props("password", password, setPassword)} type="password" autocomplete="current-password" />
        {message("password")}
      </div>
      <div class="form-actions">
        <button type="button" class="button button--ghost" onClick={onAdvanced} disabled={pending}>
          {t("signIn.advanced")}
        </button>
        <button type="submit" class="button button--primary button--submit" disabled={pending}>
          {pending ? (
            <>
              <LoaderCircle size={16} class="spin" aria-hidden="true" />
              <span>{t("signIn.pending")}</span>
            </>
          ) : (
            t("signIn.submit")
          )}
        </button>
      </div>
    </form>
  );
}
