/** Client state as signals; `apply()` folds backend events into it (a snapshot replaces everything). */

import { batch, signal, type Signal } from "@preact/signals";
import type { ConnectionStatus } from "../api/connection";
import type {
  Account,
  Call,
  FeatureCodeEvent,
  Headset,
  LineState,
  Registration,
  ServerEvent,
  Settings,
  Voicemail,
} from "../api/protocol";

/** How long an ended call stays visible ("Call ended" + reason) before it disappears. */
export const ENDED_CALL_LINGER_MS = 2000;

/** How long "your PBX accepted the code" stays; refusals stay until dismissed. */
export const ACCEPTED_NOTICE_MS = 6000;
const MAX_FEATURE_CODE_RESULTS = 4;

export type Cancel = () => void;
export type Scheduler = (fn: () => void, ms: number) => Cancel;

const defaultScheduler: Scheduler = (fn, ms) => {
  const id = setTimeout(fn, ms);
  return () => clearTimeout(id);
};

export interface StoreOptions {
  lingerMs?: number;
  schedule?: Scheduler;
  now?: () => number;
}

export const INITIAL_REGISTRATION: Registration = { state: "unconfigured", error: null, code: null };
export const NO_VOICEMAIL: Voicemail = { waiting: false, new: 0, old: 0, account: "" };
/**
 * Settings until the first snapshot brings the backend's. Only the splash screen renders before it
 * (App waits for `ready`) and it reads language and theme: the rest are placeholders, never shown,
 * and deliberately not a copy of the backend's defaults.
 */
export const PRE_SNAPSHOT_SETTINGS: Settings = {
  language: null,
  theme: "system",
  call_waiting: false,
  dnd: false,
  forwarding: {
    unconditional: false,
    unconditional_to: "",
    busy: false,
    busy_to: "",
    no_answer: false,
    no_answer_to: "",
    no_answer_s: 0,
  },
  feature_codes: {
    forwarding_mode: "app",
    unconditional_on: "",
    unconditional_off: "",
    busy_on: "",
    busy_off: "",
    no_answer_on: "",
    no_answer_off: "",
    pickup_prefix: "",
    voicemail: "",
  },
  blf_users: [],
  headset_integration: false,
  busylight_blink: false,
  busylight: "none",
  notifications: false,
  directory_order: "first_last",
  directory: { carddav: null, ldap: null, sync_minutes: 0 },
  home_country: "",
  audio_input: null,
  audio_output: null,
  audio_ringer: null,
  headset_audio: "never",
  headset_calls: null,
  ring_volume: 0,
  echo_cancellation: false,
  auto_gain: false,
  logs: false,
  close_to_tray: false,
  autostart: false,
  call_links_at_once: false,
  first_run_done: false,
  network: {
    sip_port: 0,
    rtp_port_min: 0,
    rtp_port_max: 0,
    stun_server: "",
    ice: false,
    turn_server: "",
    turn_user: "",
    keepalive_seconds: 0,
    outbound_proxy: "",
    sip_outbound: false,
  },
};

export class Store {
  /** True once the first snapshot arrived; until then nothing is known about the account. */
  readonly ready: Signal<boolean> = signal(false);
  readonly account: Signal<Account | null> = signal(null);
  readonly registration: Signal<Registration> = signal(INITIAL_REGISTRATION);
  /** Newest first; includes ended calls for a short while. */
  readonly calls: Signal<readonly Call[]> = signal([]);
  readonly settings: Signal<Settings> = signal(PRE_SNAPSHOT_SETTINGS);
  /** Headsets the backend detected (Settings > Headset). */
  readonly headsets: Signal<readonly Headset[]> = signal([]);
  readonly connection: Signal<ConnectionStatus> = signal("connecting");
  /** BLF: monitored colleagues' line state by extension. */
  readonly lines: Signal<Readonly<Record<string, LineState>>> = signal({});
  /** The voicemail indicator: what the PBX last reported for the signed-in account. */
  readonly voicemail: Signal<Voicemail> = signal(NO_VOICEMAIL);

  /** Feature-code calls by call id (their cards are labelled): the latest report of each. */
  readonly featureCodes: Signal<Readonly<Record<string, FeatureCodeEvent>>> = signal({});
  /** The PBX's answers to feature codes, shown until dismissed (an "accepted" one fades). */
  readonly featureCodeResults: Signal<readonly FeatureCodeEvent[]> = signal([]);

  private readonly removals = new Map<string, Cancel>();
  private readonly lingerMs: number;
  private readonly schedule: Scheduler;
  private readonly now: () => number;

  constructor(options: StoreOptions = {}) {
    this.lingerMs = options.lingerMs ?? ENDED_CALL_LINGER_MS;
    this.schedule = options.schedule ?? defaultScheduler;
    this.now = options.now ?? Date.now;
  }

  apply(event: ServerEvent): void {
    batch(() => {
      switch (event.type) {
        case "snapshot":
          this.cancelRemovals();
          this.ready.value = true;
          this.account.value = event.account;
          this.registration.value = event.registration;
          this.settings.value = event.settings;
          this.headsets.value = event.headsets;
          this.voicemail.value = event.voicemail;
          this.calls.value = sortCalls(event.calls);
          for (const call of event.calls) if (call.state === "ended") this.scheduleRemoval(call.id);
          break;
        case "account_changed":
          this.account.value = event.account;
          break;
        case "registration_changed":
          this.registration.value = event.registration;
          break;
        case "settings_changed":
          this.settings.value = event.settings;
          break;
        case "voicemail":
          this.voicemail.value = event.voicemail;
          break;
        case "headsets_changed":
          this.headsets.value = event.headsets;
          break;
        case "line_state":
          this.lines.value = { ...this.lines.value, [event.line.extension]: event.line };
          break;
        case "call_changed":
          this.upsertCall(event.call);
          break;
        case "call_removed":
          this.markRemoved(event.call_id);
          break;
        case "feature_code":
          this.applyFeatureCode(event);
          break;
      }
    });
  }

  dismissFeatureCode(result: FeatureCodeEvent): void {
    this.featureCodeResults.value = this.featureCodeResults.value.filter((r) => r !== result);
  }

  private applyFeatureCode(event: FeatureCodeEvent): void {
    if (event.call_id) this.featureCodes.value = { ...this.featureCodes.value, [event.call_id]: event };
    if (event.outcome === "dialling") return;
    // Newest last, a handful at most: a refusal must stay readable until the user closes it.
    this.featureCodeResults.value = [...this.featureCodeResults.value, event].slice(-MAX_FEATURE_CODE_RESULTS);
    if (event.outcome === "accepted") this.schedule(() => this.dismissFeatureCode(event), ACCEPTED_NOTICE_MS);
  }

  dispose(): void {
    this.cancelRemovals();
  }

  private upsertCall(call: Call): void {
    const others = this.calls.value.filter((c) => c.id !== call.id);
    this.calls.value = sortCalls([...others, call]);
    if (call.state === "ended") this.scheduleRemoval(call.id);
  }

  /** The backend dropped the call: keep it on screen as ended for a moment, then remove it. */
  private markRemoved(callId: string): void {
    const call = this.calls.value.find((c) => c.id === callId);
    if (!call) return;
    if (call.state !== "ended") {
      this.upsertCall({ ...call, state: "ended", ended_at: call.ended_at ?? this.now() });
    } else {
      this.scheduleRemoval(callId);
    }
  }

  private scheduleRemoval(callId: string): void {
    if (this.removals.has(callId)) return;
    const cancel = this.schedule(() => {
      this.removals.delete(callId);
      this.calls.value = this.calls.value.filter((c) => c.id !== callId);
    }, this.lingerMs);
    this.removals.set(callId, cancel);
  }

  private cancelRemovals(): void {
    for (const cancel of this.removals.values()) cancel();
    this.removals.clear();
  }
}

function sortCalls(calls: readonly Call[]): Call[] {
  return [...calls].sort((a, b) => b.created_at - a.created_at);
}
