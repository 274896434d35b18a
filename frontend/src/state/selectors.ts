/** Questions the views and keyboard shortcuts ask about the call list. */

import type { Call, CallState } from "../api/protocol";

const ACTIVE_STATES: ReadonlySet<CallState> = new Set<CallState>([
  "dialing",
  "ringing_out",
  "ringing_in",
  "connecting",
  "connected",
  "held",
]);

export const isActive = (call: Call): boolean => ACTIVE_STATES.has(call.state);

/** `calls` are newest first (as kept by the store). */
export const activeCalls = (calls: readonly Call[]): Call[] => calls.filter(isActive);

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
