/** View-only state (not from the backend): current tab, dial string, open dialogs, notices. */

import { signal, type Signal } from "@preact/signals";
import type { CommandErrorKey } from "../api/protocol";

export type PhoneTab = "keypad" | "history" | "directory";
export type DialogName = "account" | "settings" | "firstRun" | "networkCheck" | "audio";

export interface Notice {
  id: number;
  error: CommandErrorKey;
}

export const NOTICE_MS = 6000;

export class UiState {
  readonly tab: Signal<PhoneTab> = signal("keypad");
  readonly number: Signal<string> = signal("");
  readonly dialog: Signal<DialogName | null> = signal(null);
  /** Narrow layouts only: the colleagues panel shown as a drawer. */
  readonly colleaguesOpen: Signal<boolean> = signal(false);
  /** Transfer mode: the id of the call being transferred; keypad, BLF and directory pick its target. */
  readonly transferFrom: Signal<string | null> = signal(null);
  readonly notices: Signal<readonly Notice[]> = signal([]);
  private nextNoticeId = 1;

  notify(error: CommandErrorKey): void {
    const id = this.nextNoticeId++;
    this.notices.value = [...this.notices.value.filter((n) => n.error !== error), { id, error }];
    setTimeout(() => this.dismiss(id), NOTICE_MS);
  }

  dismiss(id: number): void {
    this.notices.value = this.notices.value.filter((n) => n.id !== id);
  }
}
