/** The in-call controls of a call card: hold, mute, transfer (enters transfer mode), DTMF pad. */

import { ArrowRightLeft, Grid3x3, Mic, MicOff, Pause, Play } from "lucide-preact";
import { useState } from "preact/hooks";
import type { Call } from "../api/protocol";
import { callControls, callTitle } from "../state/selectors";
import { useApp, useT } from "./context";

const DTMF_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"] as const;

type Panel = "none" | "dtmf";

export function CallControls({ call }: { call: Call }) {
  const t = useT();
  const { store, actions } = useApp();
  const [panel, setPanel] = useState<Panel>("none");
  const controls = callControls(call, store.calls.value);
  const toggle = (which: Panel) => setPanel(panel === which ? "none" : which);
  const held = call.state === "held";
  const holdLabel = held ? t("calls.resume") : t("calls.hold");
  const muteLabel = call.muted ? t("calls.unmute") : t("calls.mute");
  const from = actions.transferring();
  const transferring = from?.id === call.id;
  // Another call is in transfer mode: this call's Transfer connects the two (the manual's gesture).
  const target = from !== undefined && !transferring && controls.transfer;
  const transferLabel = target ? t("calls.transferToCall", { name: callTitle(call) }) : t("calls.transfer");

  return (
    <div class="call-card__incall">
      <div class="call-card__controls">
        <button type="button" class={`button button--secondary button--small${held ? " is-active" : ""}`}
          aria-label={holdLabel} title={holdLabel}
          disabled={!(controls.hold || controls.resume)}
          onClick={() => void actions.toggleHold(call)}>
          {held ? <Play size={14} aria-hidden="true" /> : <Pause size={14} aria-hidden="true" />}
          <span class="button__label">{holdLabel}</span>
        </button>
        <button type="button" class={`button button--secondary button--small${call.muted ? " is-active" : ""}`}
          aria-label={muteLabel} title={muteLabel}
          disabled={!controls.mute}
          onClick={() => void actions.toggleMute(call)}>
          {call.muted ? <MicOff size={14} aria-hidden="true" /> : <Mic size={14} aria-hidden="true" />}
          <span class="button__label">{muteLabel}</span>
        </button>
        <button type="button"
          class={`button button--secondary button--small${transferring || target ? " transfer-target" : ""}`}
          aria-label={transferLabel} title={transferLabel}
          aria-pressed={target ? undefined : transferring}
          disabled={!controls.transfer}
          data-testid="call-transfer"
          onClick={() => void actions.transferButton(call)}>
          <ArrowRightLeft size={14} aria-hidden="true" />
          <span class="button__label">{transferLabel}</span>
        </button>
        <button type="button" class="button button--secondary button--small"
          aria-label={t("calls.dtmfKeypad")} title={t("calls.dtmfKeypad")}
          aria-expanded={panel === "dtmf"}
          disabled={!controls.dtmf}
          onClick={() => toggle("dtmf")}>
          <Grid3x3 size={14} aria-hidden="true" />
          <span class="button__label">{t("calls.dtmfKeypad")}</span>
        </button>
      </div>
      {panel === "dtmf" && controls.dtmf && (
        <div class="call-card__dtmf" role="group" aria-label={t("calls.dtmfKeypad")}>
          {DTMF_KEYS.map((key) => (
            <button key={key} type="button" class="button button--ghost button--small"
              onClick={() => actions.sendDigit(call, key)}>
              {key}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
