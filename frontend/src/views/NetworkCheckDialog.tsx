/** The network check (user menu): PBX per transport, round trip, STUN, TURN, RTP ports, firewall rules. */

import { CircleAlert, CircleCheck, CircleMinus, LoaderCircle, TriangleAlert } from "lucide-preact";
import { useEffect, useState } from "preact/hooks";
import type { CheckResult, CheckStatus, NetworkReport } from "../api/network";
import { errorText, type MessageKey } from "../i18n";
import { useApp, useT } from "./context";
import { Dialog } from "./Dialog";

const ICONS: Record<CheckStatus, typeof CircleCheck> = {
  ok: CircleCheck,
  warning: TriangleAlert,
  error: CircleAlert,
  skipped: CircleMinus,
};

/** pbx_udp, pbx_tcp and pbx_tls share their sentences. */
function group(check: string): string {
  return check.startsWith("pbx_") ? "pbx" : check;
}

export function NetworkCheckDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  const { client, store } = useApp();
  const [report, setReport] = useState<NetworkReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const transport = store.account.value?.transport ?? "udp";

  const run = async () => {
    setRunning(true);
    setError(null);
    const ack = await client.send("network.check", {});
    setRunning(false);
    if (ack.ok) setReport(ack.result);
    else setError(ack.error);
  };

  useEffect(() => {
    void run();
  }, []);

  return (
    <Dialog title={t("netcheck.title")} subtitle={t("netcheck.subtitle")} onClose={onClose} wide>
      <div class="netcheck" aria-busy={running}>
        {running && (
          <p class="netcheck__running" role="status">
            <LoaderCircle size={16} class="spin" aria-hidden="true" /> {t("netcheck.running")}
          </p>
        )}
        {error && <p class="field__error">{errorText(t, error)}</p>}
        {report && !running && (
          <>
            <p class={`netcheck__overall netcheck__overall--${report.overall}`} role="status">
              {t(`netcheck.overall.${report.overall}` as MessageKey)}
            </p>
            <ul class="netcheck__list">
              {report.results.map((r) => (
                <CheckRow key={r.check} result={r} ownTransport={r.check === `pbx_${transport}`} />
              ))}
            </ul>
            <h3 class="field__label">{t("netcheck.firewall.title")}</h3>
            <p class="field__hint">{t("netcheck.firewall.intro")}</p>
            <ul class="netcheck__rules">
              {report.firewall.map((rule) => (
                <li key={rule.what}>
                  {t(`netcheck.firewall.${rule.what}` as MessageKey, {
                    protocol: rule.protocol.toUpperCase(),
                    local_port: rule.local_port === "any" ? t("netcheck.firewall.anyPort") : rule.local_port,
                    remote: rule.remote === "any" ? t("netcheck.firewall.anyRemote") : rule.remote,
                  })}
                </li>
              ))}
            </ul>
          </>
        )}
        <div class="form-actions">
          <button type="button" class="button button--secondary" onClick={onClose}>
            {t("netcheck.close")}
          </button>
          <button type="button" class="button button--primary" disabled={running} onClick={() => void run()}>
            {t("netcheck.again")}
          </button>
        </div>
      </div>
    </Dialog>
  );
}

function CheckRow({ result, ownTransport }: { result: CheckResult; ownTransport: boolean }) {
  const t = useT();
  const Icon = ICONS[result.status];
  const name = group(result.check);
  const sentence = `netcheck.${name}.${result.problem || "ok"}` as MessageKey;
  // Values come from the network (addresses) or settings: rendered as text only.
  const params = Object.fromEntries(Object.entries(result.params).map(([k, v]) => [k, String(v)]));
  return (
    <li class={`netcheck__row netcheck__row--${result.status}`}>
      <Icon size={18} aria-hidden="true" class="netcheck__icon" />
      <div>
        <div class="netcheck__name">
          {t(`netcheck.name.${name}` as MessageKey, params)}
          {name === "pbx" && !ownTransport && <span class="field__hint"> · {t("netcheck.pbx.notYours")}</span>}
        </div>
        <p class="netcheck__text">
          <span class="visually-hidden">{t(`netcheck.status.${result.status}` as MessageKey)}: </span>
          {t(sentence, params)}
        </p>
      </div>
    </li>
  );
}
