/** SIP account form: first-run setup (full window) and later edits (in a dialog). */

import { CircleAlert, LoaderCircle } from "lucide-preact";
import type { JSX } from "preact";
import { useRef, useState } from "preact/hooks";
import type { Account, AccountSetupArgs, CommandErrorKey, DtmfMethod, SrtpMode, Transport } from "../api/protocol";
import { errorText, type MessageKey } from "../i18n";
import { CertificateTrust, SrtpChoice } from "./AccountSecurity";
import { TrustedCertificates } from "./TrustedCertificates";
import { useApp, useT } from "./context";

type FieldName =
  | "server"
  | "user"
  | "auth_user"
  | "password"
  | "display_name"
  | "transport"
  | "dtmf_method"
  | "realm"
  | "srtp";
type Values = Record<FieldName, string>;

const REQUIRED: readonly FieldName[] = ["server", "user", "password"];
const FIELDS: readonly FieldName[] = [
  "server",
  "user",
  "auth_user",
  "password",
  "display_name",
  "transport",
  "dtmf_method",
  "realm",
  "srtp",
];
const TRANSPORTS: readonly Transport[] = ["udp", "tcp", "tls"];
const DTMF_METHODS: readonly DtmfMethod[] = ["rfc4733", "sip_info"];

interface AccountFormProps {
  initial: Account | null;
  /** Called after the backend accepted the account (it is then registered). */
  onDone?: () => void;
  onCancel?: () => void;
}

interface FormError {
  key: CommandErrorKey | null;
  fields: ReadonlySet<FieldName>;
  missing: ReadonlySet<FieldName>;
}

const NO_ERROR: FormError = { key: null, fields: new Set(), missing: new Set() };

export function AccountForm({ initial, onDone, onCancel }: AccountFormProps) {
  const t = useT();
  const { client } = useApp();
  const formRef = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<Values>(() => ({
    server: initial?.server ?? "",
    user: initial?.user ?? "",
    auth_user: initial?.auth_user ?? "",
    password: "",
    display_name: initial?.display_name ?? "",
    transport: initial?.transport ?? "udp",
    dtmf_method: initial?.dtmf_method ?? "rfc4733",
    realm: initial?.realm ?? "",
    srtp: initial?.srtp ?? "off",
  }));
  const [pending, setPending] = useState(false);
  /** Off: only the PBX's addresses may ring this phone (the engine answers others 403). */
  const [acceptDirect, setAcceptDirect] = useState(initial?.accept_direct_calls ?? false);
  /** Off: only URIs on the PBX's server are dialled (the engine refuses others: foreign_host). */
  const [allowDirect, setAllowDirect] = useState(initial?.allow_direct_calls ?? false);
  const [advancedOpen] = useState(
    initial?.dtmf_method === "sip_info" ||
      (initial?.srtp ?? "off") !== "off" ||
      !!initial?.accept_direct_calls ||
      !!initial?.allow_direct_calls ||
      !!initial?.realm,
  );
  /** Sign-in failed on an untrusted PBX certificate: the server whose certificate is shown. */
  const [untrusted, setUntrusted] = useState<string | null>(null);
  const [trustChanged, setTrustChanged] = useState(0); // lists the trusted certificates again
  const [error, setError] = useState<FormError>(NO_ERROR);

  const set = (name: FieldName) => (e: JSX.TargetedEvent<HTMLInputElement | HTMLSelectElement>) => {
    const value = e.currentTarget.value;
    setValues((v) => ({ ...v, [name]: value }));
  };

  const focusField = (name: FieldName) =>
    formRef.current?.querySelector<HTMLElement>(`[name="${name}"]`)?.focus();

  const submit = async (e: Event) => {
    e.preventDefault();
    if (pending) return;
    const missing = REQUIRED.filter((name) => values[name].trim() === "");
    if (missing.length > 0) {
      setError({ key: null, fields: new Set(), missing: new Set(missing) });
      focusField(missing[0] as FieldName);
      return;
    }
    setError(NO_ERROR);
    setPending(true);
    const args: AccountSetupArgs = {
      server: values.server.trim(),
      user: values.user.trim(),
      password: values.password,
      transport: values.transport as Transport,
      dtmf_method: values.dtmf_method as DtmfMethod,
      srtp: values.srtp as SrtpMode,
      accept_direct_calls: acceptDirect,
      allow_direct_calls: allowDirect,
      realm: values.realm.trim(),
    };
    if (values.auth_user.trim()) args.auth_user = values.auth_user.trim();
    if (values.display_name.trim()) args.display_name = values.display_name.trim();
    const ack = await client.send("account.setup", args);
    setPending(false);
    if (ack.ok) {
      onDone?.();
      return;
    }
    if (ack.error === "tls_untrusted") setUntrusted(args.server);
    const field = FIELDS.find((f) => f === ack.field);
    setError({ key: ack.error, fields: new Set(field ? [field] : []), missing: new Set() });
    if (field) focusField(field);
  };

  const hints: Partial<Record<FieldName, MessageKey>> = {
    user: "account.userHint",
    auth_user: "account.authUserHint",
    display_name: "account.displayNameHint",
    dtmf_method: "account.dtmfMethodHint",
    realm: "account.realmHint",
    ...(initial ? { password: "account.passwordAgain" as const } : {}),
  };

  const fieldProps = (name: FieldName) => {
    const invalid = error.fields.has(name) || error.missing.has(name);
    const described = invalid ? `account-${name}-error` : hints[name] ? `account-${name}-hint` : undefined;
    return {
      id: `account-${name}`,
      name,
      value: values[name],
      onInput: set(name),
      disabled: pending,
      "aria-invalid": invalid ? ("true" as const) : undefined,
      "aria-describedby": described,
      class: invalid ? "input input--invalid" : "input",
    };
  };

  const fieldMessage = (name: FieldName) => {
    const hint = hints[name];
    if (error.missing.has(name))
      return <FieldError id={`account-${name}-error`} text={t("account.required")} />;
    if (error.fields.has(name))
      return <FieldError id={`account-${name}-error`} text={t("account.invalidField")} />;
    return hint ? (
      <p id={`account-${name}-hint`} class="field__hint">
        {t(hint)}
      </p>
    ) : null;
  };

  return (
    <form ref={formRef} class="account-form" onSubmit={submit} noValidate aria-busy={pending}>
      {error.key && !untrusted && (
        <div class="form-error" role="alert">
          <CircleAlert size={18} />
          <span>{errorText(t, error.key)}</span>
        </div>
      )}
      <div class="field-row">
        <div class="field">
          <label for="account-server" class="field__label">
            {t("account.server")}
          </label>
          <input
            {...fieldProps("server")}
            type="text"
            autoComplete="off"
            spellcheck={false}
            placeholder={t("account.serverPlaceholder")}
            autoFocus
          />
          {fieldMessage("server")}
        </div>
        <div class="field field--narrow">
          <label for="account-transport" class="field__label">
            {t("account.transport")}
          </label>
          <select {...fieldProps("transport")} class={`${fieldProps("transport").class} select`}>
            {TRANSPORTS.map((tr) => (
              <option key={tr} value={tr}>
                {t(`transport.${tr}`)}
              </option>
            ))}
          </select>
          {fieldMessage("transport")}
        </div>
      </div>
      <div class="field-row">
        <div class="field">
          <label for="account-user" class="field__label">
            {t("account.user")}
          </label>
          <input {...fieldProps("user")} type="text" autoComplete="username" spellcheck={false} />
          {fieldMessage("user")}
        </div>
        <div class="field">
          <label for="account-password" class="field__label">
            {t("account.password")}
          </label>
          <input {...fieldProps("password")} type="password" autoComplete="current-password" />
          {fieldMessage("password")}
        </div>
      </div>
      <div class="field">
        <label for="account-display_name" class="field__label">
          {t("account.displayName")} <span class="field__optional">({t("account.optional")})</span>
        </label>
        <input {...fieldProps("display_name")} type="text" autoComplete="name" />
        {fieldMessage("display_name")}
      </div>
      <div class="field">
        <label for="account-auth_user" class="field__label">
          {t("account.authUser")} <span class="field__optional">({t("account.optional")})</span>
        </label>
        <input {...fieldProps("auth_user")} type="text" autoComplete="off" spellcheck={false} />
        {fieldMessage("auth_user")}
      </div>
      {/* Rarely needed: closed unless a non-default value or an error is in it. */}
      <details
        class="account-form__advanced"
        open={
          advancedOpen || error.fields.has("dtmf_method") || error.fields.has("srtp") || error.fields.has("realm")
        }
      >
        <summary>{t("account.advanced")}</summary>
        <div class="field">
          <label for="account-dtmf_method" class="field__label">
            {t("account.dtmfMethod")}
          </label>
          <select {...fieldProps("dtmf_method")} class={`${fieldProps("dtmf_method").class} select`}>
            {DTMF_METHODS.map((m) => (
              <option key={m} value={m}>
                {t(`dtmf.${m}`)}
              </option>
            ))}
          </select>
          {fieldMessage("dtmf_method")}
        </div>
        <label class="field field--inline">
          <input
            id="account-accept_direct_calls"
            name="accept_direct_calls"
            type="checkbox"
            checked={acceptDirect}
            disabled={pending}
            aria-describedby="account-accept_direct_calls-hint"
            onChange={(e) => setAcceptDirect(e.currentTarget.checked)}
          />
          <span>
            <span class="field__label">{t("account.acceptDirectCalls")}</span>
            <span id="account-accept_direct_calls-hint" class="field__hint">
              {" "}
              {t("account.acceptDirectCallsHint")}
            </span>
          </span>
        </label>
        <label class="field field--inline">
          <input
            id="account-allow_direct_calls"
            name="allow_direct_calls"
            type="checkbox"
            checked={allowDirect}
            disabled={pending}
            aria-describedby="account-allow_direct_calls-hint"
            onChange={(e) => setAllowDirect(e.currentTarget.checked)}
          />
          <span class="field__label">{t("account.allowDirectCalls")}</span>
        </label>
        {/* Outside the label: the hint is the box's description, not part of its name. */}
        <p id="account-allow_direct_calls-hint" class="field__hint">
          {t("account.allowDirectCallsHint")}
        </p>
        <div class="field">
          <label for="account-realm" class="field__label">
            {t("account.realm")} <span class="field__optional">({t("account.optional")})</span>
          </label>
          <input {...fieldProps("realm")} type="text" autoComplete="off" spellcheck={false} />
          {fieldMessage("realm")}
        </div>
        <SrtpChoice
          value={values.srtp as SrtpMode}
          onChange={(srtp) => setValues((v) => ({ ...v, srtp }))}
          disabled={pending}
          invalid={error.fields.has("srtp")}
          errorId={error.fields.has("srtp") ? "account-srtp-error" : undefined}
        />
        {error.fields.has("srtp") && <FieldError id="account-srtp-error" text={errorText(t, error.key)} />}
        {values.transport === "tls" && <TrustedCertificates server={values.server} refresh={trustChanged} />}
      </details>
      {untrusted && (
        <CertificateTrust
          server={untrusted}
          onTrusted={() => {
            setUntrusted(null);
            setTrustChanged((n) => n + 1);
            formRef.current?.requestSubmit();
          }}
          onCancel={() => {
            setUntrusted(null);
            setError(NO_ERROR);
          }}
        />
      )}
      <div class="form-actions">
        {onCancel && (
          <button type="button" class="button button--secondary" onClick={onCancel} disabled={pending}>
            {t("account.cancel")}
          </button>
        )}
        <button type="submit" class="button button--primary button--submit" disabled={pending}>
          {pending ? (
            <>
              <LoaderCircle size={16} class="spin" aria-hidden="true" />
              <span>{t("account.signingIn")}</span>
            </>
          ) : (
            t("account.signIn")
          )}
        </button>
      </div>
    </form>
  );
}

function FieldError({ id, text }: { id: string; text: string }) {
  return (
    <p id={id} class="field__error">
      {text}
    </p>
  );
}
