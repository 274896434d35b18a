/** Dial field, 12-key pad and Call button; keys also go to the connected call as DTMF. */

import { ArrowRightLeft, Delete, Phone, PhoneOff, RotateCw } from "lucide-preact";
import { useEffect, useRef } from "preact/hooks";
import { errorText, type MessageKey } from "../i18n";
import { DIAL_CHARS } from "../state/actions";
import { atCallLimit, callingBlocked, callTitle, dtmfTarget, MAX_CALLS } from "../state/selectors";
import { useApp, useT } from "./context";
import { KeypadMatches } from "./KeypadMatches";

export const NUMBER_INPUT_ID = "dial-number";

const KEYS: readonly (readonly [string, string])[] = [
  ["1", ""],
  ["2", "ABC"],
  ["3", "DEF"],
  ["4", "GHI"],
  ["5", "JKL"],
  ["6", "MNO"],
  ["7", "PQRS"],
  ["8", "TUV"],
  ["9", "WXYZ"],
  ["*", ""],
  ["0", "+"],
  ["#", ""],
];

/** Keeps focus where it was when a pad button is clicked, so Enter still means "dial". */
const keepFocus = (e: MouseEvent) => e.preventDefault();

export function Keypad() {
  const t = useT();
  const { store, ui, actions, links } = useApp();
  const number = ui.number.value;
  const callButton = useRef<HTMLButtonElement>(null);
  const offers = links.offers.value;
  const refusal = links.refusal.value;
  const fromLink = links.offeredNumber.value === number && number !== "";
  // A link put a number here: Call takes the focus, so one click or Enter places the call.
  useEffect(() => {
    if (links.takeFocus()) callButton.current?.focus();
  }, [offers]);
  const shownNumber = useRef(number);
  useEffect(() => {
    if (shownNumber.current === number) return;
    shownNumber.current = number;
    links.numberChanged(number);
  }, [number]);
  const target = dtmfTarget(store.calls.value);
  // Transfer mode: the pad types the transfer target and the Call button transfers.
  const transferring = actions.transferring();
  // At the engine's limit a new call cannot work: say so instead of failing on click.
  const full = !transferring && atCallLimit(store.calls.value);
  // Not registered: a call cannot work, so the Call button is off and the pad says why.
  const registration = store.registration.value;
  const blocked = !transferring && callingBlocked(registration);

  return (
    <div class={transferring ? "keypad is-transfer" : "keypad"}>
      <div class="keypad__display">
        <input
          id={NUMBER_INPUT_ID}
          class={`keypad__input${number.length > 16 ? " is-long" : number.length > 11 ? " is-medium" : ""}`}
          type="text"
          inputMode="tel"
          autoComplete="off"
          spellcheck={false}
          aria-label={t("keypad.number")}
          placeholder={t("keypad.placeholder")}
          value={number}
          onInput={(e) => (ui.number.value = e.currentTarget.value)}
          onKeyDown={(e) => {
            // The field types the character itself; the connected call also hears it.
            if (e.key.length === 1 && DIAL_CHARS.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
              actions.sendTone(e.key);
            }
          }}
        />
        <button
          type="button"
          class="icon-button keypad__backspace"
          aria-label={t("keypad.backspace")}
          title={t("keypad.backspace")}
          disabled={number === ""}
          onMouseDown={keepFocus}
          onClick={() => actions.backspace()}
        >
          <Delete size={20} />
        </button>
      </div>
      {refusal && (
        <p class="keypad__refusal" role="alert" data-testid="link-refused">
          {t(`link.refused.${refusal}` as MessageKey)}
        </p>
      )}
      {blocked && (
        <div class="calls-off" role="alert" data-testid="calls-off">
          <PhoneOff size={18} aria-hidden="true" class="calls-off__icon" />
          <div class="calls-off__text">
            <strong>{t("registration.callsOff")}</strong>
            <span>
              {t("registration.callsOffDetail", {
                reason: registration.error ? errorText(t, registration.error) : t("registration.unregistered"),
              })}
            </span>
          </div>
          <button type="button" class="button button--secondary button--small calls-off__retry"
            onClick={() => void actions.retryRegistration()}>
            <RotateCw size={14} aria-hidden="true" />
            <span class="button__label">{t("registration.retry")}</span>
          </button>
        </div>
      )}
      <KeypadMatches />
      <p
        class={
          transferring
            ? "keypad__hint is-transfer"
            : full
              ? "keypad__hint is-limit"
              : fromLink
                ? "keypad__hint is-link"
                : "keypad__hint"
        }
        aria-live="polite" data-testid="keypad-hint">
        {transferring
          ? t("transfer.keypadHint", { name: callTitle(transferring) })
          : full
            ? t("calls.limitReached", { max: MAX_CALLS })
            : fromLink
              ? t("link.offered")
              : target
                ? t("keypad.dtmfHint", { name: callTitle(target) })
                : "\u00a0"}
      </p>
      <div class="keypad__grid">
        {KEYS.map(([digit, letters]) => (
          <button
            key={digit}
            type="button"
            class="keypad__key"
            aria-label={digit}
            onMouseDown={keepFocus}
            onClick={() => actions.pressKey(digit)}
          >
            <span class="keypad__digit" aria-hidden="true">
              {digit}
            </span>
            <span class="keypad__letters" aria-hidden="true">
              {letters || "\u00a0"}
            </span>
          </button>
        ))}
      </div>
      <button
        ref={callButton}
        type="button"
        class={transferring ? "call-button transfer-target" : "call-button"}
        aria-label={transferring ? t("calls.transferNumber") : t("keypad.call")}
        disabled={number.trim() === "" || full || blocked}
        onMouseDown={keepFocus}
        onClick={() => void actions.dial()}
      >
        {transferring ? <ArrowRightLeft size={20} /> : <Phone size={20} />}
        <span aria-hidden="true">{transferring ? t("calls.transfer") : t("keypad.call")}</span>
      </button>
    </div>
  );
}
