/** Questions the views and keyboard shortcuts ask about the call list. */

import type { Call, CallAction, CallState, Registration } from "../api/protocol";

const ACTIVE_STATES: ReadonlySet<CallState> = new Set<CallState>([
  "dialing",
  "ringing_out",
  "ringing_in",
  "connecting",
  "connected",
  "held",
]);

export const isActive = (call: Call): boolean => ACTIVE_STATES.has(call.state);

/** The most recent incoming call still ringing, if any. */
export const ringingCall = (calls: readonly Call[]): Call | undefined =>
  calls.find((c) => c.state === "ringing_in");

/** The call that receives DTMF: the most recent connected (not held) one. */
export const dtmfTarget = (calls: readonly Call[]): Call | undefined =>
  calls.find((c) => c.state === "connected");

/** What Escape acts on: the most recent active call (rejected if ringing, hung up otherwise). */
export const escapeTarget = (calls: readonly Call[]): Call | undefined => calls.find(isActive);

/** What the card shows for the remote party: the SIP display name, else the number. */
export function callTitle(call: Call): string {
  const name = call.display_name.trim();
  if (name) return name;
  return call.number || call.remote_uri;
}

/** Connected or held: the calls that can be held, muted, transferred or conferenced. */
export const isTalking = (call: Call): boolean => call.state === "connected" || call.state === "held";

/** Calls the engine holds at once (PJSUA_MAX_CALLS of the pjsua2 wheel; the backend refuses more). */
export const MAX_CALLS = 4;

/** True when no further call can be made or taken: every engine call slot is in use. */
export const atCallLimit = (calls: readonly Call[]): boolean =>
  calls.filter((c) => c.state !== "ended").length >= MAX_CALLS;

/** The call in transfer mode, while it can still be transferred (else transfer mode is over). */
export const transferringCall = (calls: readonly Call[], id: string | null): Call | undefined =>
  id === null ? undefined : calls.find((c) => c.id === id && isTalking(c));

/** Which call controls make sense for `call` now (buttons that do not are disabled). */
export interface CallControls {
  hold: boolean;
  resume: boolean;
  mute: boolean;
  transfer: boolean;
  dtmf: boolean;
  /** Other talking calls this one can be connected with (attended transfer). */
  transferTargets: Call[];
}

/** As the backend decided them (Call.actions): the UI does not re-decide from the state. */
export function callControls(call: Call, calls: readonly Call[]): CallControls {
  const may = (action: CallAction) => call.actions.includes(action);
  return {
    hold: may("hold"),
    resume: may("resume"),
    mute: may("mute"),
    transfer: may("transfer"),
    dtmf: may("dtmf"),
    transferTargets: may("transfer")
      ? calls.filter((c) => c.id !== call.id && c.actions.includes("transfer"))
      : [],
  };
}

/** A conference is possible with two or more talking calls not all mixed already. */
export function canConference(calls: readonly Call[]): boolean {
  const talking = calls.filter(isTalking);
  return talking.length >= 2 && talking.some((c) => !c.conference);
}

/** Registration failed or lost with an account configured: no call can be made or received. */
export const callingBlocked = (registration: Registration): boolean =>
  registration.state === "failed" || registration.state === "unregistered";
