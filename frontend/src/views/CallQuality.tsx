/** In-call quality: a small indicator (loss, jitter, round trip from RTCP), statistics, no-audio warning. */

import { BarChart3, Signal, SignalLow, SignalMedium, VolumeX } from "lucide-preact";
import { useEffect, useState } from "preact/hooks";
import type { CallQuality as Quality, QualityLevel } from "../api/network";
import type { MessageKey } from "../i18n";
import { useApp, useT } from "./context";

const ICONS: Record<QualityLevel, typeof Signal> = { good: Signal, fair: SignalMedium, poor: SignalLow };

/** The latest sample the engine reported for `callId` (about one a second). */
function useCallQuality(callId: string): Quality | null {
  const { events } = useApp();
  const [quality, setQuality] = useState<Quality | null>(null);
  useEffect(
    () =>
      events.subscribeEvents((event) => {
        if (event.type === "call_quality" && event.quality.call_id === callId) setQuality(event.quality);
      }),
    [callId],
  );
  return quality;
}

export function CallQualityIndicator({ callId }: { callId: string }) {
  const t = useT();
  const quality = useCallQuality(callId);
  const [open, setOpen] = useState(false);
  if (!quality) return null;
  const Icon = ICONS[quality.level];
  const label = t(`quality.${quality.level}` as MessageKey);
  const detailsId = `call-stats-${callId}`;
  return (
    <>
      <button
        type="button"
        class={`quality quality--${quality.level}`}
        aria-expanded={open}
        aria-controls={detailsId}
        title={t("quality.showStats")}
        aria-label={`${t("quality.showStats")}: ${label}`}
        onClick={() => setOpen(!open)}
      >
        <Icon size={14} aria-hidden="true" />
        <span>{label}</span>
        <BarChart3 size={12} aria-hidden="true" />
      </button>
      {quality.no_media_seconds > 0 && (
        <p class="quality-warning" role="alert">
          <VolumeX size={14} aria-hidden="true" />
          {t("quality.noMedia", { seconds: String(quality.no_media_seconds) })}
        </p>
      )}
      {open && <CallStatistics id={detailsId} quality={quality} />}
    </>
  );
}

function CallStatistics({ id, quality }: { id: string; quality: Quality }) {
  const t = useT();
  const none = t("quality.notYet");
  const rows: [MessageKey, string][] = [
    ["quality.codec", quality.codec],
    ["quality.loss", `${quality.loss_percent.toFixed(1)} %`],
    ["quality.remoteLoss", `${quality.remote_loss_percent.toFixed(1)} %`],
    ["quality.jitter", `${quality.jitter_ms.toFixed(1)} ms`],
    ["quality.jitterBuffer", `${quality.jitter_buffer_ms.toFixed(0)} ms`],
    ["quality.rtt", quality.rtt_ms === null ? none : `${quality.rtt_ms.toFixed(0)} ms`],
    ["quality.packets", `${quality.rx_packets} / ${quality.tx_packets}`],
    ["quality.localAddress", quality.local_address || none],
    ["quality.remoteAddress", quality.remote_address || none],
  ];
  return (
    <dl id={id} class="call-stats" aria-label={t("quality.statsTitle")}>
      {rows.map(([key, value]) => (
        <div key={key} class="call-stats__row">
          <dt>{t(key)}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
