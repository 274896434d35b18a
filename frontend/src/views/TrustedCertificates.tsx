/** The account form's list of PBX certificates the user trusted for this server, with Remove. */

import { ShieldCheck, Trash2 } from "lucide-preact";
import { useEffect, useState } from "preact/hooks";
import type { Certificate, CommandErrorKey } from "../api/protocol";
import { errorText } from "../i18n";
import { useApp, useT } from "./context";

interface TrustedCertificatesProps {
  /** The account's server as typed (`host[:port]`); nothing is listed while it is empty. */
  server: string;
  /** Changes when a certificate was just trusted elsewhere in the form: list again. */
  refresh: number;
}

/**
 * Each trusted certificate (subject, SHA-256, expiry: stored text, rendered as text) and a
 * Remove button that asks once more before the certificate stops being trusted.
 */
export function TrustedCertificates({ server, refresh }: TrustedCertificatesProps) {
  const t = useT();
  const { client, language } = useApp();
  const [certs, setCerts] = useState<Certificate[]>([]);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<CommandErrorKey | null>(null);
  const [busy, setBusy] = useState(false);
  const [reload, setReload] = useState(0);
  const trimmed = server.trim();

  useEffect(() => {
    let live = true;
    setConfirming(null);
    if (!trimmed) {
      setCerts([]);
      return;
    }
    void client.send("account.trusted_certificates", { server: trimmed }).then((ack) => {
      if (!live) return;
      // A half-typed server is not an error worth showing here: the list is just empty.
      setCerts(ack.ok ? ack.result.certificates : []);
    });
    return () => {
      live = false;
    };
  }, [trimmed, refresh, reload]);

  if (!certs.length) return null;

  const remove = async (sha256: string) => {
    setBusy(true);
    const ack = await client.send("account.untrust_certificate", { server: trimmed, sha256 });
    setBusy(false);
    setConfirming(null);
    setError(ack.ok ? null : ack.error);
    setReload((n) => n + 1);
  };

  return (
    <section class="trusted-certs" aria-labelledby="trusted-certs-title">
      <h3 id="trusted-certs-title" class="trusted-certs__title">
        <ShieldCheck size={16} aria-hidden="true" />
        <span>{t("cert.trustedTitle")}</span>
      </h3>
      <p class="field__hint">{t("cert.trustedHint")}</p>
      {error && <p class="field__error">{errorText(t, error)}</p>}
      <ul class="trusted-certs__list">
        {certs.map((cert) => (
          <li key={cert.sha256} class="trusted-certs__item">
            <dl class="cert-trust__details">
              <dt>{t("cert.subject")}</dt>
              <dd>{cert.subject}</dd>
              <dt>{t("cert.fingerprint")}</dt>
              <dd class="cert-trust__fingerprint trusted-certs__fingerprint">{cert.sha256}</dd>
              <dt>{t("cert.validUntil")}</dt>
              <dd>{new Date(cert.not_after).toLocaleDateString(language.value)}</dd>
            </dl>
            {confirming === cert.sha256 ? (
              <div class="trusted-certs__confirm" role="alert">
                <p>{t("cert.removeConfirm")}</p>
                <div class="form-actions">
                  <button type="button" class="button button--secondary" onClick={() => setConfirming(null)} disabled={busy}>
                    {t("account.cancel")}
                  </button>
                  <button type="button" class="button button--danger" onClick={() => void remove(cert.sha256)} disabled={busy}>
                    {t("cert.removeYes")}
                  </button>
                </div>
              </div>
            ) : (
              <button type="button" class="button button--secondary button--small trusted-certs__remove" onClick={() => setConfirming(cert.sha256)}>
                <Trash2 size={14} aria-hidden="true" />
                <span>{t("cert.remove")}</span>
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
