/** Builders for protocol objects used across tests. */

import type { CommandClient } from "../src/api/client";
import { SCHEMA_VERSION } from "../src/api/protocol";
import type {
  Ack,
  Call,
  CallAction,
  CallState,
  CommandArgs,
  CommandName,
  CommandResult,
  ImportReport,
  Registration,
  Settings,
  SnapshotEvent,
} from "../src/api/protocol";

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
    sip_code: null,
    conference: false,
    transferred_by: "",
    retry_after_s: null,
    reason_text: "",
    actions: ACTIONS_BY_STATE[state],
    ...fields,
  };
}

export const REGISTERED: Registration = { state: "registered", error: null, code: null };
/** Settings as a fresh backend sends them. */
export const SETTINGS: Settings = {
  language: null,
  theme: "system",
  call_waiting: true,
  dnd: false,
  forwarding: {
    unconditional: false,
    unconditional_to: "",
    busy: false,
    busy_to: "",
    no_answer: false,
    no_answer_to: "",
    no_answer_s: 20,
  },
  feature_codes: {
    forwarding_mode: "app",
    unconditional_on: "*72{number}",
    unconditional_off: "*73",
    busy_on: "*90{number}",
    busy_off: "*91",
    no_answer_on: "*52{number}",
    no_answer_off: "*53",
    pickup_prefix: "",
    voicemail: "",
  },
  blf_users: [],
  headset_integration: true,
  busylight_blink: true,
  busylight: "auto",
  notifications: true,
  directory_order: "first_last",
  directory: { carddav: null, ldap: null, sync_minutes: 60 },
  home_country: "CH",
  audio_input: null,
  audio_output: null,
  audio_ringer: null,
  headset_audio: "ask",
  headset_calls: null,
  ring_volume: 80,
  echo_cancellation: true,
  auto_gain: false,
  logs: false,
  close_to_tray: false,
  autostart: false,
  call_links_at_once: false,
  first_run_done: true,
  network: {
    sip_port: 0,
    rtp_port_min: 40000,
    rtp_port_max: 40099,
    stun_server: "",
    ice: false,
    turn_server: "",
    turn_user: "",
    keepalive_seconds: 15,
    outbound_proxy: "",
    sip_outbound: true,
  },
};

export function snapshot(fields: Partial<SnapshotEvent> = {}): SnapshotEvent {
  return {
    type: "snapshot",
    schema: SCHEMA_VERSION,
    account: {
      server: "pbx.test",
      user: "1001",
      auth_user: "",
      display_name: "Alice",
      transport: "udp",
      srtp: "off",
      dtmf_method: "rfc4733",
      accept_direct_calls: false,
      realm: "",
      allow_direct_calls: false,
    },
    registration: REGISTERED,
    calls: [],
    settings: SETTINGS,
    missed_count: 0,
    headsets: [],
    pending_link: null,
    voicemail: { waiting: false, new: 0, old: 0, account: "" },
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

type Handler<N extends CommandName> = (args: CommandArgs<N>) => Ack<CommandResult<N>> | Promise<Ack<CommandResult<N>>>;

/** A fake backend's answers, one per command, typed by the protocol's command map. */
export type FakeHandlers = { [N in CommandName]?: Handler<N> };

/**
 * A CommandClient whose commands `handlers` answer; any other command (and a file import) gets
 * `otherwise`. Every command sent is recorded in `sent`, in order.
 */
export function fakeClient(
  handlers: FakeHandlers = {},
  otherwise: Ack<unknown> = { ok: true, result: {} },
): CommandClient & { sent: { name: CommandName; args: unknown }[] } {
  const sent: { name: CommandName; args: unknown }[] = [];
  return {
    sent,
    send<N extends CommandName>(name: N, args: CommandArgs<N>): Promise<Ack<CommandResult<N>>> {
      sent.push({ name, args });
      const handler = handlers[name] as Handler<N> | undefined;
      return Promise.resolve(handler ? handler(args) : (otherwise as Ack<CommandResult<N>>));
    },
    importFile: () => Promise.resolve(otherwise as Ack<ImportReport>),
  };
}
