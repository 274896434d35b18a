/** Builders for protocol objects used across tests. */

import type { Call, CallAction, CallState, Registration, Settings, SnapshotEvent } from "../src/api/protocol";

/** Call.actions as the backend sends them for each state (tests/unit/test_call_actions.py
 * checks this copy against softphone.domain.calls). */
export const ACTIONS_BY_STATE: Record<CallState, CallAction[]> = {
  dialing: [],
  ringing_out: [],
  ringing_in: [],
  connecting: [],
  connected: ["hold", "mute", "transfer", "dtmf"],
  held: ["resume", "mute", "transfer"],
  ended: [],
};

export function call(fields: Partial<Call> = {}): Call {
  const state = fields.state ?? "ringing_in";
  return {
    id: "c1",
    direction: "incoming",
    state: "ringing_in",
    number: "1002",
    display_name: "Bob",
    remote_uri: "sip:1002@pbx.test",
    created_at: 1_000,
    connected_at: null,
    ended_at: null,
    muted: false,
    held: false,
    end_reason: null,
    actions: ACTIONS_BY_STATE[state],
    ...fields,
  };
}

export const REGISTERED: Registration = { state: "registered", error: null, code: null };
export const SETTINGS: Settings = { language: null, theme: "system" };

export function snapshot(fields: Partial<SnapshotEvent> = {}): SnapshotEvent {
  return {
    type: "snapshot",
    schema: 1,
    account: {
      server: "pbx.test",
      user: "1001",
      auth_user: "",
      display_name: "Alice",
      transport: "udp",
      srtp: "off",
    },
    registration: REGISTERED,
    calls: [],
    settings: SETTINGS,
    ...fields,
  };
}

/** A scheduler that runs timers only when told to. */
export function manualScheduler() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  return {
    schedule(fn: () => void, ms: number) {
      const id = next++;
      pending.set(id, { fn, ms });
      return () => pending.delete(id);
    },
    runAll() {
      const due = [...pending.values()];
      pending.clear();
      for (const { fn } of due) fn();
    },
    get size() {
      return pending.size;
    },
  };
}
