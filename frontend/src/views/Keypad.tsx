/** Dial field, 12-key pad and Call button; keys also go to the connected call as DTMF. */

import { Delete, Phone } from "lucide-preact";
import { DIAL_CHARS } from "../state/actions";
import { callTitle, dtmfTarget } from "../state/selectors";
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
  const { store, ui, actions } = useApp();
  const number = ui.number.value;
  const target = dtmfTarget(store.calls.value);

  return (
    <div class="keypad">
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
      <KeypadMatches />
      <p class="keypad__hint" aria-live="polite">
        {target ? t("keypad.dtmfHint", { name: callTitle(target) }) : "\u00a0"}
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
        type="button"
        class="call-button"
        aria-label={t("keypad.call")}
        disabled={number.trim() === ""}
        onMouseDown={keepFocus}
        onClick={() => void actions.dial()}
      >
        <Phone size={20} />
        <span aria-hidden="true">{t("keypad.call")}</span>
      </button>
    </div>
  );
}
