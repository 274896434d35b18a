/** User intents (dial, answer, key press...) turned into commands; failures become notices. */

import type { CommandClient } from "../api/client";
import type { Ack, Call, CommandResult, Settings } from "../api/protocol";
import { dtmfTarget, escapeTarget, ringingCall, transferringCall } from "./selectors";
import type { Store } from "./store";
import type { UiState } from "./ui";

export const DIAL_CHARS = /^[0-9*#+]$/;
const DTMF_CHARS = /^[0-9*#]$/;

export class Actions {
  /** The last call command, answered or not: the next one waits for it (see inOrder). */
  private callSent: Promise<unknown> = Promise.resolve();
  private callWaiting = 0;

  constructor(
    private readonly client: CommandClient,
    private readonly store: Store,
    private readonly ui: UiState,
  ) {}

  /** A keypad key (clicked or typed): goes into the dial string, and to the connected call as DTMF. */
  pressKey(key: string, appendToNumber = true): void {
    if (appendToNumber) this.ui.number.value += key;
    this.sendTone(key);
  }

  /** DTMF only; used when the number field already received the character itself. */
  sendTone(key: string): void {
    // In transfer mode the keypad types the target's number: the caller must not hear it.
    if (this.transferring()) return;
    const target = dtmfTarget(this.store.calls.value);
    if (target) this.sendDigit(target, key);
  }

  backspace(): void {
    this.ui.number.value = this.ui.number.value.slice(0, -1);
  }

  async dial(): Promise<void> {
    const number = this.ui.number.value.trim();
    if (!number) return;
    if (this.transferring()) {
      if ((await this.transferTo(number)).ok) this.ui.number.value = "";
      return;
    }
    const ack = await this.report(this.client.send("call.dial", { number }));
    if (ack.ok) this.ui.number.value = "";
  }

  /** The voicemail button: call the mailbox (its number is the backend's to choose). */
  callVoicemail(): Promise<Ack<CommandResult<"voicemail.call">>> {
    return this.report(this.client.send("voicemail.call", {}));
  }

  /** Enter: answer a ringing call when nothing was typed, otherwise dial what was typed. */
  enter(): void {
    const ringing = ringingCall(this.store.calls.value);
    if (ringing && this.ui.number.value.trim() === "") void this.answer(ringing);
    else void this.dial();
  }

  /** Escape: leave transfer mode; otherwise reject the newest call if ringing, else hang it up. */
  escape(): void {
    if (this.transferring()) {
      this.cancelTransfer();
      return;
    }
    const call = escapeTarget(this.store.calls.value);
    if (!call) return;
    if (call.state === "ringing_in") void this.reject(call);
    else void this.hangup(call);
  }

  answer(call: Call): Promise<Ack<unknown>> {
    return this.inOrder(() => this.client.send("call.answer", { call_id: call.id }));
  }

  reject(call: Call): Promise<Ack<unknown>> {
    return this.inOrder(() => this.client.send("call.reject", { call_id: call.id }));
  }

  hangup(call: Call): Promise<Ack<unknown>> {
    return this.inOrder(() => this.client.send("call.hangup", { call_id: call.id }));
  }

  hold(call: Call): Promise<Ack<unknown>> {
    return this.inOrder(() => this.client.send("call.hold", { call_id: call.id }));
  }

  /** Resume a held call; the backend puts the call talking until now on hold first. */
  resume(call: Call): Promise<Ack<unknown>> {
    return this.inOrder(() => this.client.send("call.resume", { call_id: call.id }));
  }

  /** Hold <-> resume, as the backend last allowed (Call.actions). */
  toggleHold(call: Call): Promise<Ack<unknown>> | undefined {
    if (call.actions.includes("hold")) return this.hold(call);
    if (call.actions.includes("resume")) return this.resume(call);
    return undefined;
  }

  toggleMute(call: Call): Promise<Ack<unknown>> {
    return this.inOrder(() => this.client.send("call.mute", { call_id: call.id, muted: !call.muted }));
  }

  /** DTMF to one call, from its own keypad. */
  sendDigit(call: Call, key: string): void {
    if (!DTMF_CHARS.test(key)) return;
    void this.inOrder(() => this.client.send("call.dtmf", { call_id: call.id, digits: key }));
  }

  /** The call in transfer mode, if any (a call that ended or stopped talking ends the mode). */
  transferring(): Call | undefined {
    return transferringCall(this.store.calls.value, this.ui.transferFrom.value);
  }

  /** Transfer mode: keypad, colleagues and directory entries become targets for `call`. */
  startTransfer(call: Call): void {
    this.ui.transferFrom.value = call.id;
  }

  /**
   * A call card's Transfer button, the manual's gesture: the first press puts that call in
   * transfer mode, a second press on the same card leaves it, and a press on ANOTHER talking
   * call's Transfer connects the two (attended transfer); the mode ends once that is accepted.
   */
  async transferButton(call: Call): Promise<void> {
    const from = this.transferring();
    if (!from) {
      this.startTransfer(call);
      return;
    }
    if (from.id === call.id) {
      this.cancelTransfer();
      return;
    }
    if ((await this.transferToCall(from, call)).ok) this.cancelTransfer();
  }

  /** Leaves transfer mode; the call stays as it was. */
  cancelTransfer(): void {
    this.ui.transferFrom.value = null;
  }

  /** Calls `number`, or in transfer mode transfers the call to it (blind) and leaves the mode. */
  callOrTransfer(number: string): Promise<Ack<unknown>> {
    if (this.transferring()) return this.transferTo(number);
    return this.report(this.client.send("call.dial", { number: number.trim() }));
  }

  /** Blind transfer of the call in transfer mode to `number`; the mode ends when it is accepted. */
  async transferTo(number: string): Promise<Ack<unknown>> {
    const call = this.transferring();
    if (!call) return { ok: false, error: "invalid_state", field: null };
    const ack = await this.transfer(call, number);
    if (ack.ok) this.cancelTransfer();
    return ack;
  }

  transfer(call: Call, target: string): Promise<Ack<unknown>> {
    return this.inOrder(() => this.client.send("call.transfer", { call_id: call.id, target: target.trim() }));
  }

  transferToCall(call: Call, other: Call): Promise<Ack<unknown>> {
    return this.inOrder(() => this.client.send("call.transfer_attended", { call_id: call.id, to_call_id: other.id }));
  }

  conference(): Promise<Ack<unknown>> {
    return this.inOrder(() => this.client.send("call.conference", {}));
  }

  updateSettings(changes: Partial<Settings>): Promise<Ack<unknown>> {
    return this.report(this.client.send("settings.update", changes));
  }

  signOut(): Promise<Ack<unknown>> {
    return this.report(this.client.send("account.sign_out", {}));
  }

  /** Retry after a failed registration: register the saved account again now. */
  retryRegistration(): Promise<Ack<unknown>> {
    return this.report(this.client.send("account.retry", {}));
  }

  /**
   * Sends call commands one at a time, each once the previous one is answered (or timed
   * out): the backend runs a client's commands on threads of their own, so two sent back to
   * back may reach the engine in either order (typed "42#" went out as "4#2", seen in CI;
   * mute then unmute could end muted). Sent at once when none is waiting.
   */
  private inOrder<R>(send: () => Promise<Ack<R>>): Promise<Ack<R>> {
    const run = () =>
      this.report(send()).finally(() => {
        this.callWaiting -= 1;
      });
    this.callWaiting += 1;
    const result = this.callWaiting === 1 ? run() : this.callSent.then(run);
    this.callSent = result.catch(() => undefined);
    return result;
  }

  private async report<R>(pending: Promise<Ack<R>>): Promise<Ack<R>> {
    const ack = await pending;
    if (!ack.ok) this.ui.notify(ack.error);
    return ack;
  }
}
