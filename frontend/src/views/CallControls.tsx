/** The in-call controls of a call card: hold, mute, transfer, DTMF pad (and their small forms). */

import { ArrowRightLeft, Grid3x3, Mic, MicOff, Pause, Play } from "lucide-preact";
import { useState } from "preact/hooks";
import type { Call } from "../api/protocol";
import { callControls, callTitle } from "../state/selectors";
import { useApp, useT } from "./context";

const DTMF_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"] as const;

type Panel = "none" | "transfer" | "dtmf";

export function CallControls({ call }: { call: Call }) {
  const t = useT();
  const { store, actions } = useApp();
  const [panel, setPanel] = useState<Panel>("none");
  const controls = callControls(call, store.calls.value);
  const toggle = (which: Panel) => setPanel(panel === which ? "none" : which);
  const held = call.state === "held";
  const holdLabel = held ? t("calls.resume") : t("calls.hold");
  const muteLabel = call.muted ? t("calls.unmute") : t("calls.mute");

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
        <button type="button" class="button button--secondary button--small"
          aria-label={t("calls.transfer")} title={t("calls.transfer")}
          aria-expanded={panel === "transfer"}
          disabled={!controls.transfer}
          onClick={() => toggle("transfer")}>
          <ArrowRightLeft size={14} aria-hidden="true" />
          <span class="button__label">{t("calls.transfer")}</span>
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
      {panel === "transfer" && controls.transfer && (
        <TransferForm call={call} targets={controls.transferTargets} onDone={() => setPanel("none")} />
      )}
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

function TransferForm({ call, targets, onDone }: { call: Call; targets: Call[]; onDone: () => void }) {
  const t = useT();
  const { actions } = useApp();
  const [target, setTarget] = useState("");
  const inputId = `transfer-${call.id}`;
  return (
    <form class="call-card__transfer"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!target.trim()) return;
        const ack = await actions.transfer(call, target);
        if (ack.ok) onDone();
      }}>
      <label for={inputId} class="visually-hidden">{t("calls.transferNumber")}</label>
      <input id={inputId} class="input" type="text" inputMode="tel" autoComplete="off"
        placeholder={t("calls.transferNumber")} value={target}
        onInput={(e) => setTarget(e.currentTarget.value)} />
      <div class="call-card__transfer-actions">
        <button type="submit" class="button button--primary button--small" disabled={!target.trim()}>
          {t("calls.transferSubmit")}
        </button>
        <button type="button" class="button button--ghost button--small" onClick={onDone}>
          {t("calls.cancel")}
        </button>
      </div>
      {targets.map((other) => (
        <button key={other.id} type="button" class="button button--secondary button--small"
          onClick={() => void actions.transferToCall(call, other).then((ack) => ack.ok && onDone())}>
          {t("calls.transferToCall", { name: callTitle(other) })}
        </button>
      ))}
    </form>
  );
}
