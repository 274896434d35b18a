/** Window-wide keyboard: typing dials, Enter answers or dials, Escape hangs up or rejects. */

import { DIAL_CHARS, type Actions } from "../state/actions";
import type { UiState } from "../state/ui";
import { NUMBER_INPUT_ID } from "./Keypad";

const EDITABLE = "input, textarea, select, [contenteditable='true']";
const INTERACTIVE = `${EDITABLE}, button, a[href], summary, [role=button], [role=tab], [role=menuitem], [role=switch]`;

/**
 * Installs the handler on `doc` and returns a function that removes it. Keys aimed at another
 * control (a focused button, a form field, an open dialog or menu) are left alone.
 */
export function installShortcuts(doc: Document, ui: UiState, actions: Actions): () => void {
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const target = e.target instanceof Element ? e.target : null;
    if (target?.closest("dialog, [role=dialog], [role=menu]") || ui.dialog.value !== null) return;
    const inNumberField = target?.id === NUMBER_INPUT_ID;
    const elsewhere = !inNumberField && target?.closest(INTERACTIVE) != null;

    if (e.key === "Enter") {
      if (elsewhere) return;
      e.preventDefault();
      actions.enter();
    } else if (e.key === "Escape") {
      if (elsewhere && target?.closest(EDITABLE)) return;
      e.preventDefault();
      actions.escape();
    } else if (inNumberField || (elsewhere && target?.closest(EDITABLE))) {
      return;
    } else if (e.key.length === 1 && DIAL_CHARS.test(e.key)) {
      e.preventDefault();
      ui.tab.value = "keypad";
      actions.pressKey(e.key);
    } else if (e.key === "Backspace") {
      e.preventDefault();
      actions.backspace();
    }
  };
  doc.addEventListener("keydown", onKeyDown);
  return () => doc.removeEventListener("keydown", onKeyDown);
}
