/** Account security: the SRTP choice and the "trust this PBX certificate" panel of the account form. */

import { LoaderCircle, ShieldAlert } from "lucide-preact";
import { Fragment } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Certificate, CommandErrorKey, SrtpMode } from "../api/protocol";
import { errorText } from "../i18n";
import { useApp, useT } from "./context";

export const SRTP_MODES: readonly SrtpMode[] = ["off", "optional", "mandatory"];

interface SrtpChoiceProps {
  value: SrtpMode;
  onChange: (mode: SrtpMode) => void;
  disabled: boolean;
  invalid: boolean;
  /** The error text id when `invalid` (aria-describedby). */
  errorId?: string;
}

/** Three radios, each with one plain sentence saying what it means for calls. */
export function SrtpChoice({ value, onChange, disabled, invalid, errorId }: SrtpChoiceProps) {
  const t = useT();
  return (
    <fieldset class="field choice-list" aria-invalid={invalid ? "true" : undefined} aria-describedby={errorId}>
      <legend class="field__label">{t("srtp.label")}</legend>
      {SRTP_MODES.map((mode) => (
        <label key={mode} class={mode === value ? "choice is-selected" : "choice"}>
          <input
            type="radio"
            name="srtp"
            value={mode}
            checked={mode === value}
            disabled={disabled}
            onChange={() => onChange(mode)}
            aria-labelledby={`srtp-${mode}-label`}
            aria-describedby={`srtp-${mode}-hint`}
          />
          <span class="choice__text">
            <span id={`srtp-${mode}-label`} class="choice__label">
              {t(`srtp.${mode}`)}
            </span>
            <span id={`srtp-${mode}-hint`} class="field__hint">
              {t(`srtp.${mode}Hint`)}
            </span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}

interface CertificateTrustProps {
  server: string;
  /** The user trusted the certificate shown: sign in again. */
  onTrusted: () => void;
  onCancel: () => void;
}

/**
 * Shown when sign-in failed with tls_untrusted: the certificate the PBX presents (subject,
 * issuer, SHA-256), and an explicit action to trust exactly that one. Every field is text
 * from the network, rendered as text.
 */
export function CertificateTrust({ server, onTrusted, onCancel }: CertificateTrustProps) {
  const t = useT();
  const { client, language } = useApp();
  const [cert, setCert] = useState<Certificate | null>(null);
  const [error, setError] = useState<CommandErrorKey | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    setCert(null);
    setError(null);
    void client.send("account.server_certificate", { server }).then((ack) => {
      if (!live) return;
      if (ack.ok) setCert(ack.result);
      else setError(ack.error);
    });
    return () => {
      live = false;
    };
  }, [server]);

  const trust = async () => {
    if (!cert || busy) return;
    setBusy(true);
    const ack = await client.send("account.trust_certificate", { server, sha256: cert.sha256 });
    setBusy(false);
    if (ack.ok) onTrusted();
    else setError(ack.error);
  };

  const validUntil = cert ? new Date(cert.not_after).toLocaleDateString(language.value) : "";
  return (
    <section class="cert-trust" role="alert" aria-labelledby="cert-trust-title">
      <h3 id="cert-trust-title" class="cert-trust__title">
        <ShieldAlert size={18} aria-hidden="true" />
        <span>{t("cert.title")}</span>
      </h3>
      <p class="cert-trust__explain">{t("cert.explain")}</p>
      {!cert && !error && (
        <p class="cert-trust__loading">
          <LoaderCircle size={16} class="spin" aria-hidden="true" /> {t("cert.loading")}
        </p>
      )}
      {error && <p class="field__error">{errorText(t, error)}</p>}
      {cert && !cert.name_matches && !error && <p class="field__error">{errorText(t, "tls_name_mismatch")}</p>}
      {cert && (
        <dl class="cert-trust__details">
          <dt>{t("cert.subject")}</dt>
          <dd>{cert.subject}</dd>
          <dt>{t("cert.issuer")}</dt>
          <dd>{cert.issuer}</dd>
          <dt>{t("cert.fingerprint")}</dt>
          <dd class="cert-trust__fingerprint">
            {/* Break lines between byte pairs only: <wbr> keeps the copied text intact. */}
            {cert.sha256.split(":").map((pair, i) => (
              <Fragment key={i}>
                {i > 0 && ":"}
                {i > 0 && <wbr />}
                {pair}
              </Fragment>
            ))}
          </dd>
          <dt>{t("cert.validUntil")}</dt>
          <dd>{validUntil}</dd>
        </dl>
      )}
      <div class="form-actions">
        <button type="button" class="button button--secondary" onClick={onCancel} disabled={busy}>
          {t("account.cancel")}
        </button>
        <button
          type="button"
          class="button button--primary"
          onClick={() => void trust()}
          disabled={!cert || !cert.name_matches || busy}
        >
          {busy ? (
            <>
              <LoaderCircle size={16} class="spin" aria-hidden="true" />
              <span>{t("cert.trusting")}</span>
            </>
          ) : (
            t("cert.trust")
          )}
        </button>
      </div>
    </section>
  );
}
