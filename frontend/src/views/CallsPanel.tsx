/** Right column: one card per call, newest first, with the actions its state allows. */

import { Phone, PhoneCall, PhoneIncoming, PhoneOff, PhoneOutgoing, MicOff, Users } from "lucide-preact";
import type { Call } from "../api/protocol";
import { endReasonText } from "../i18n";
import { refusalText } from "../state/refusal";
import { callTitle, canConference, isActive, isTalking } from "../state/selectors";
import { callSubtitle } from "../state/subtitle";
import { CallControls } from "./CallControls";
import { CallQualityIndicator } from "./CallQuality";
import { formatDuration } from "../util/format";
import { useApp, useT } from "./context";
import { EmptyState } from "./EmptyState";
import { featureCodeLabel } from "./FeatureCodeNotices";
import { useNow } from "./hooks";

export function CallsPanel() {
  const t = useT();
  const { store, actions } = useApp();
  const calls = store.calls.value;
  const active = calls.filter(isActive).length;
  return (
    <section class={calls.length ? "panel calls has-calls" : "panel calls"} aria-labelledby="calls-title">
      <div class="panel__header">
        <h2 id="calls-title" class="panel__title">
          {t("calls.title")}
        </h2>
        {active > 0 && (
          <span class="count-badge" aria-hidden="true">
            {active}
          </span>
        )}
        {canConference(calls) && (
          <button type="button" class="button button--secondary button--small panel__action"
            aria-label={t("calls.conference")} title={t("calls.conference")}
            onClick={() => void actions.conference()}>
            <Users size={14} aria-hidden="true" />
            <span class="button__label">{t("calls.conference")}</span>
          </button>
        )}
      </div>
      <div class="panel__body">
        {calls.length === 0 ? (
          <EmptyState icon={<PhoneCall size={22} />} title={t("calls.empty")} hint={t("calls.emptyHint")} />
        ) : (
          <ul class="call-list">
            {calls.map((call) => (
              <CallCard key={call.id} call={call} />
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}

function CallCard({ call }: { call: Call }) {
  const t = useT();
  const { actions, store } = useApp();
  // A call the app dialled for a PBX feature code (forwarding, pickup): labelled as such.
  const featureCode = store.featureCodes.value[call.id];
  const running = call.connected_at !== null && (call.state === "connected" || call.state === "held");
  const now = useNow(running);
  const title = callTitle(call);
  const subtitle = callSubtitle(call, store.account.value?.server ?? null);
  const ended = call.state === "ended";
  const reason = ended ? endReasonText(t, call.end_reason) : null;
  const refusal = ended ? refusalText(t, call) : null;

  let duration: string | null = null;
  if (call.connected_at !== null) {
    if (running) duration = formatDuration(now - call.connected_at);
    else if (ended && call.ended_at !== null) duration = formatDuration(call.ended_at - call.connected_at);
  }

  const DirectionIcon = call.direction === "incoming" ? PhoneIncoming : PhoneOutgoing;
  const conference = Boolean(call.conference) && call.state === "connected";
  const stateLabel = ended
    ? t("calls.ended")
    : conference
      ? t("calls.inConference")
      : t(`callState.${call.state}`);
  const held = call.state === "held";

  return (
    <li class={`call-card call-card--${call.state}${conference ? " call-card--conference" : ""}`}
      title={held ? t("calls.resumeHint") : undefined}
      onDblClick={held ? (e) => {
        // A quick double press on one of the card's own controls is not "resume".
        if ((e.target as Element).closest("button, input, form")) return;
        void actions.resume(call);
      } : undefined}>
      <div class="call-card__main">
        <div class="call-card__avatar" aria-hidden="true">
          <DirectionIcon size={18} />
        </div>
        <div class="call-card__who">
          <div class="call-card__name">{title}</div>
          <div class="call-card__number">
            <span class="visually-hidden">
              {call.direction === "incoming" ? t("calls.incoming") : t("calls.outgoing")}
              {subtitle ? ": " : ""}
            </span>
            {subtitle}
          </div>
          {call.transferred_by && (
            <div class="call-card__transferred" data-testid="call-transferred-by">
              {transferredBy(t, call.transferred_by, call.number || call.remote_uri)}
            </div>
          )}
        </div>
        {duration && (
          <div class="call-card__duration" role="timer" aria-live="off">
            {duration}
          </div>
        )}
      </div>
      <div class="call-card__status">
        <span class="state-label" role="status">
          <span class="state-label__dot" aria-hidden="true" />
          {stateLabel}
          {reason && <span class="state-label__reason"> · {reason}</span>}
          {refusal && <span class="state-label__reason" data-testid="call-refusal"> · {refusal}</span>}
        </span>
        {featureCode && (
          <span class="badge call-card__feature-code">{featureCodeLabel(t, featureCode)}</span>
        )}
        {call.muted && !ended && (
          <span class="badge">
            <MicOff size={12} aria-hidden="true" />
            {t("calls.muted")}
          </span>
        )}
      </div>
      {isTalking(call) && <CallQualityIndicator callId={call.id} />}
      {isTalking(call) && <CallControls call={call} />}
      {!ended && (
        <div class="call-card__actions">
          {call.state === "ringing_in" ? (
            <>
              <button type="button" class="button button--success" aria-label={t("calls.answer")}
                title={t("calls.answer")}
                onClick={() => void actions.answer(call)}>
                <Phone size={16} aria-hidden="true" />
                <span class="button__label">{t("calls.answer")}</span>
              </button>
              <button type="button" class="button button--danger" aria-label={t("calls.reject")}
                title={t("calls.reject")}
                onClick={() => void actions.reject(call)}>
                <PhoneOff size={16} aria-hidden="true" />
                <span class="button__label">{t("calls.reject")}</span>
              </button>
            </>
          ) : (
            <button type="button" class="button button--danger" aria-label={t("calls.hangup")}
                title={t("calls.hangup")}
                onClick={() => void actions.hangup(call)}>
              <PhoneOff size={16} aria-hidden="true" />
              <span class="button__label">{t("calls.hangup")}</span>
            </button>
          )}
        </div>
      )}
    </li>
  );
}

/** "Transferred by 1006 to 1002": both numbers are SIP text, each bidi-isolated (FSI...PDI). */
function transferredBy(t: ReturnType<typeof useT>, by: string, to: string): string {
  const isolate = (text: string) => `\u2068${text}\u2069`;
  return t("calls.transferredBy", { by: isolate(by), to: isolate(to) });
}
