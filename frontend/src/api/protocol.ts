/** Wire protocol types (schema 1), mirroring docs/protocol.md and backend/softphone/web/wire.py. */

import type { CallQuality, NetworkChanges, NetworkReport, NetworkSettings } from "./network";
import { AUDIO_EVENT_TYPES, type AudioCommandMap, type AudioEvent } from "./audio";

export type Transport = "udp" | "tcp" | "tls";
export type SrtpMode = "off" | "optional" | "mandatory";
export type DtmfMethod = "rfc4733" | "sip_info";
export type Language = "en" | "fr" | "de" | "it";
export type Theme = "system" | "light" | "dark";

/** Stable error keys sent by the backend; the frontend translates them. */
export const ERROR_KEYS = [
  "invalid_command",
  "invalid_argument",
  "no_account",
  "not_registered",
  "invalid_number",
  "call_not_found",
  "invalid_state",
  "too_many_calls",
  "auth_failed",
  "server_unreachable",
  "timeout",
  "engine_unavailable",
  "storage_full",
  "storage_failed",
  "directory_bad_response",
  "directory_not_configured",
  "tls_failed",
  "tls_untrusted",
  "srtp_needs_tls",
  "certificate_changed",
  "tls_name_mismatch",
  "contact_not_found",
  "audio_device_failed",
  "export_failed",
  "too_large",
  "bad_encoding",
  "feature_code_refused",
  "feature_code_unconfirmed",
  "feature_code_pending",
  "foreign_host",
  "foreign_realm",
  "provisioning_auth_failed",
  "provisioning_unreachable",
  "provisioning_invalid",
  "no_sip_server",
  "keyring_unavailable",
  "setting_locked",
  "internal_error",
] as const;
export type ErrorKey = (typeof ERROR_KEYS)[number];

/**
 * Errors produced on this side of the socket, never by the backend:
 * `disconnected` (no connection when the command was issued) and `no_response` (no ack in time).
 */
export const CLIENT_ERROR_KEYS = ["disconnected", "no_response"] as const;
export type ClientErrorKey = (typeof CLIENT_ERROR_KEYS)[number];

export type CommandErrorKey = ErrorKey | ClientErrorKey;

export const END_REASONS = [
  "hangup_local",
  "hangup_remote",
  "rejected",
  "busy",
  "declined",
  "not_found",
  "unavailable",
  "cancelled",
  "failed",
  "engine_failed",
  "busy_refused",
  "transferred",
  "refused_dnd",
  "forwarded",
  "media_refused",
  "encryption_refused",
  "answered_elsewhere",
  "foreign_realm",
  "redirect_refused",
] as const;
export type EndReason = (typeof END_REASONS)[number];

export interface Account {
  server: string;
  user: string;
  auth_user: string;
  display_name: string;
  transport: Transport;
  srtp: SrtpMode;
  dtmf_method: DtmfMethod;
  /** Requests from other addresses than the PBX's ring too (else 403). */
  accept_direct_calls: boolean;
  /** The digest realm the password answers; "": the one the registrar names. */
  realm: string;
  /** URIs on other servers than the PBX may be dialled (still through the PBX). */
  allow_direct_calls: boolean;
}

export type RegistrationState =
  | "unconfigured"
  | "registering"
  | "registered"
  | "unregistered"
  | "failed";

export interface Registration {
  state: RegistrationState;
  error: ErrorKey | null;
  code: number | null;
}

export type CallState =
  | "dialing"
  | "ringing_out"
  | "ringing_in"
  | "connecting"
  | "connected"
  | "held"
  | "ended";

/** An in-call control the backend allows now (softphone.domain.calls.CallAction). */
export type CallAction = "hold" | "resume" | "mute" | "transfer" | "dtmf";

export interface Call {
  id: string;
  direction: "incoming" | "outgoing";
  state: CallState;
  number: string;
  display_name: string;
  remote_uri: string;
  /** Epoch milliseconds. */
  created_at: number;
  connected_at: number | null;
  ended_at: number | null;
  muted: boolean;
  held: boolean;
  /** The controls allowed now: the UI enables exactly these (one rule, in the backend). */
  actions: CallAction[];
  /** An EndReason or ErrorKey; typed as string because the set may grow. */
  end_reason: string | null;
  /** Last SIP status of the call (diagnostics; a refusal's code on the card). */
  sip_code: number | null;
  /** Mixed in the local conference. */
  conference: boolean;
  /** Number of our peer whose transfer (REFER, or INVITE with Replaces) made this call; "": none. */
  transferred_by: string;
  /** Refused: the far end's Retry-After in seconds; null: none. */
  retry_after_s: number | null;
  /** Refused: the far end's RFC 3326 Reason text (untrusted: render as text); "": none. */
  reason_text: string;
}

/** "auto": any light plugged in; "busylight": Kuando, Embrava, Luxafor...; "relay": USB relay board. */
export type BusyLightKind = "auto" | "busylight" | "relay" | "none";

export interface Settings {
  language: Language | null;
  theme: Theme;
  /** Off: a new call while one exists is refused with 486 (busy). */
  call_waiting: boolean;
  /** Do-not-disturb: new calls are refused (486) and recorded as refused_dnd. */
  dnd: boolean;
  /** Client-side call forwarding (works only while the app runs). */
  forwarding: Forwarding;
  /** PBX feature codes (forwarding by the PBX, pickup prefix). */
  feature_codes: FeatureCodes;
  /** Colleagues on the BLF panel. */
  blf_users: MonitoredUser[];
  /** Telephony headsets ring, answer, mute and show the call state. */
  headset_integration: boolean;
  /** The "on call" busy light blinks while a call rings. */
  busylight_blink: boolean;
  /** Which "on call" light is driven. */
  busylight: BusyLightKind;
  /** OS notifications of incoming (Accept/Reject) and missed calls. */
  notifications: boolean;
  /** Names shown and sorted first-name-first or last-name-first. */
  directory_order: DirectoryOrder;
  /** Company directory sources (passwords never sent). */
  directory: DirectorySources;
  /** ISO region that national numbers belong to ("CH"). */
  home_country: string;
  /** Audio device ids (AudioDevice.id); null: the system default. */
  audio_input: string | null;
  audio_output: string | null;
  audio_ringer: string | null;
  /** Plugging a telephony headset: "ask" (offer), "always" (switch), "never". */
  headset_audio: "ask" | "always" | "never";
  /** Key of the headset whose sound card calls use since it was plugged in, else null. */
  headset_calls: string | null;
  /** 0..100 */
  ring_volume: number;
  echo_cancellation: boolean;
  /** WebRTC's automatic gain control on the microphone (off by default). */
  auto_gain: boolean;
  /** A rotating log file is written (Export logs zips it). */
  logs: boolean;
  /** Closing the window keeps the app running in the tray. */
  close_to_tray: boolean;
  /** Start minimised to the tray at login. */
  autostart: boolean;
  /** tel:/sip: links are called without a click (off: they wait in the keypad). */
  call_links_at_once: boolean;
  /** The first-run check was finished or skipped. */
  first_run_done: boolean;
  /** Ports, STUN, ICE, TURN, keep-alives, outbound proxy. */
  network: NetworkSettings;
}

export type DirectoryOrder = "first_last" | "last_first";
/** "provisioned": the provisioning document's inline directory (read-only, like carddav/ldap). */
export type ContactSource = "personal" | "carddav" | "ldap" | "provisioned";
export const NUMBER_LABELS = ["mobile", "office", "home", "fax", "other"] as const;
export type NumberLabel = (typeof NUMBER_LABELS)[number];

export interface ContactNumber {
  label: NumberLabel;
  /** As stored (the server's or the user's format). */
  number: string;
  /** "" when it is not a phone number (an extension). */
  e164: string;
}

/** A directory or personal contact; server text: render as text only. */
export interface Contact {
  id: number;
  source: ContactSource;
  /** In the chosen directory order. */
  name: string;
  given: string;
  family: string;
  display: string;
  org: string;
  email: string;
  internal: boolean;
  extension: string;
  numbers: ContactNumber[];
}

export interface ContactFields {
  given: string;
  family: string;
  org: string;
  email: string;
  numbers: { label: NumberLabel; number: string }[];
}

export interface SourceStatus {
  source: ContactSource;
  configured: boolean;
  syncing: boolean;
  synced_at: number | null;
  /** Why the last sync failed; the local copy stays searchable. */
  error: ErrorKey | null;
  count: number;
  skipped: number;
}

/** The contact file formats of contacts.import and contacts.export. */
export type ContactFileFormat = "vcard" | "csv";

export interface ImportReport {
  imported: number;
  rejected: { line: number; reason: string }[];
  rejected_count: number;
}

/** Why a detected headset's buttons do nothing. */
export type HeadsetReasonKey = "no_telephony" | "permission_denied" | "open_failed" | "disabled";

export interface Headset {
  name: string;
  vendor_id: number;
  product_id: number;
  /** Has a telephony collection: rings, answers, mutes. */
  telephony: boolean;
  reason_key: HeadsetReasonKey | null;
  /** Stable id ("vvvv:pppp[:serial]"). */
  key: string;
}

export interface CardDavSource {
  url: string;
  user: string;
  verify_tls: boolean;
}

export interface LdapSource {
  url: string;
  base: string;
  bind_dn: string;
  filter: string;
  start_tls: boolean;
  verify_tls: boolean;
  ca_file: string;
  /** Our field (given, family, display, org, email, office, mobile, home, fax, other, extension) -> attribute. */
  mapping: Record<string, string>;
}

export interface DirectorySources {
  carddav: CardDavSource | null;
  ldap: LdapSource | null;
  sync_minutes: number;
}

export type ForwardingMode = "app" | "pbx";

/** Templates dialled to set forwarding on the PBX; `{number}` stands for the target. */
export interface FeatureCodes {
  forwarding_mode: ForwardingMode;
  unconditional_on: string;
  unconditional_off: string;
  busy_on: string;
  busy_off: string;
  no_answer_on: string;
  no_answer_off: string;
  /** Empty: pickup by INVITE with Replaces; else dialled before the colleague's extension. */
  pickup_prefix: string;
  /** Dialled by the voicemail button; "" = the PBX's Message-Account number. */
  voicemail: string;
}

export interface Forwarding {
  unconditional: boolean;
  unconditional_to: string;
  busy: boolean;
  busy_to: string;
  no_answer: boolean;
  no_answer_to: string;
  /** 5..120 */
  no_answer_s: number;
}

export interface MonitoredUser {
  extension: string;
  name: string;
}

/** A colleague's BLF dot: unknown grey, free green, ringing yellow, busy red (a call or DND). */
export type LineStateValue = "unknown" | "free" | "ringing" | "busy";

export interface LineState {
  extension: string;
  state: LineStateValue;
  dnd: boolean;
  /** Ringing and directed pickup is possible. */
  pickup: boolean;
}

/** How a call in the history turned out (HistoryEntry.outcome). */
export const OUTCOMES = [
  "answered",
  "missed",
  "rejected",
  "refused_dnd",
  "busy",
  "failed",
  "cancelled_by_me",
  "answered_elsewhere",
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type HistoryFilter = "all" | "missed";

export interface HistoryEntry {
  id: number;
  call_id: string;
  direction: "incoming" | "outgoing";
  number: string;
  /** Untrusted SIP text (like remote_uri): render as text only. */
  display_name: string;
  remote_uri: string;
  /** Epoch milliseconds. */
  started_at: number;
  answered_at: number | null;
  ended_at: number | null;
  duration_s: number;
  /** null while the call is still running. */
  outcome: Outcome | null;
  /** A colleague's short extension. */
  internal: boolean;
  seen: boolean;
  /** Why it ended (an end reason), null while it runs or for entries written before it was kept. */
  end_reason: string | null;
}

export interface HistoryPage {
  entries: HistoryEntry[];
  /** Pass as `before` to get the next (older) page; null when there is none. */
  next_cursor: string | null;
}

export interface HistoryListArgs {
  filter: HistoryFilter;
  before?: string;
  limit?: number;
}

/** Why a PBX feature code was dialled. */
export type FeatureCodePurpose = "forwarding_on" | "forwarding_off" | "pickup";
export type FeatureCodeOutcome = "dialling" | "accepted" | "refused" | "unconfirmed" | "not_dialled";

/**
 * A feature code was dialled (outcome "dialling": its call card is labelled), or the PBX's
 * answer is known. In PBX forwarding mode, settings.forwarding changes only after "accepted".
 */
export interface FeatureCodeEvent {
  type: "feature_code";
  /** "" when the code was never dialled (a later code of the same save). */
  call_id: string;
  /** The digits dialled (untrusted only in the sense that settings hold them: render as text). */
  code: string;
  purpose: FeatureCodePurpose;
  rule: string;
  outcome: FeatureCodeOutcome;
  /** The PBX's final response (e.g. 403, 404), null when there was none. */
  sip_code: number | null;
  error: ErrorKey | null;
}

/** Voice messages waiting, as the PBX reported them (RFC 3842 message summary). */
export interface Voicemail {
  waiting: boolean;
  new: number;
  old: number;
  /** The number the PBX named in Message-Account ("" when none). */
  account: string;
}

/**
 * The protocol version this frontend was built for; the backend sends its own as the snapshot's
 * `schema` (wire.py SCHEMA_VERSION). The connection compares them once per connect and sends no
 * command to a backend that speaks another version.
 */
export const SCHEMA_VERSION = 1;

export interface SnapshotEvent {
  type: "snapshot";
  /** The backend's protocol version: equal to SCHEMA_VERSION, or the connection stops. */
  schema: number;
  account: Account | null;
  registration: Registration;
  calls: Call[];
  settings: Settings;
  /** Unseen missed calls (History tab badge). */
  missed_count: number;
  /** Detected headsets. */
  headsets: Headset[];
  /** A call link no UI has taken yet (dismiss it with link.dismiss). */
  pending_link: LinkEvent | null;
  /** The PBX's message summary (voicemail indicator). */
  voicemail: Voicemail;
}

/** Why a call link was refused (its text is never sent: it is hostile). */
export const LINK_REFUSALS = [
  "unsupported_scheme",
  "hidden_characters",
  "too_long",
  "uri_parameters",
  "not_a_number",
  "bad_provisioning_url",
] as const;
export type LinkRefusal = (typeof LINK_REFUSALS)[number];

/** A tel:/sip:/callto: link from the OS, a second launch or the CLI: offered, never dialled. */
export type LinkEvent =
  | { type: "dial_requested"; id: number; number: string; scheme: string }
  | { type: "link_refused"; id: number; reason: LinkRefusal }
  /** softphone://provision?url=...: the sign-in form with `url` filled in (never a sign-in). */
  | { type: "provision_requested"; id: number; url: string };

export type ServerEvent =
  | SnapshotEvent
  | FeatureCodeEvent
  | LinkEvent
  | { type: "account_changed"; account: Account | null }
  | { type: "registration_changed"; registration: Registration }
  | { type: "call_changed"; call: Call }
  | { type: "call_removed"; call_id: string }
  | { type: "settings_changed"; settings: Settings }
  | { type: "history_changed"; entry: HistoryEntry }
  | { type: "history_cleared" }
  | { type: "missed_count"; count: number }
  | { type: "history_write_failed"; error: ErrorKey }
  | { type: "headsets_changed"; headsets: Headset[] }
  | { type: "line_state"; line: LineState }
  | { type: "directory_changed" }
  | { type: "directory_status"; sources: SourceStatus[] }
  | AudioEvent
  | { type: "call_quality"; quality: CallQuality }
  | { type: "network_changed"; reregistered_ms: number }
  /** A re-fetch of the provisioning document ended; `error` set: the last good copy stays. */
  | { type: "provisioning_status"; fetched_at: number; error: ErrorKey | null }
  | { type: "voicemail"; voicemail: Voicemail };

export type ServerEventType = ServerEvent["type"];

/** `account.sign_in`: e-mail sign-in (docs/provisioning.md). */
export interface SignInArgs {
  email: string;
  password: string;
  provisioning_url?: string;
}

export interface SignInResult {
  method: "provisioning" | "dns";
  password_saved: boolean;
}

/** `account.provisioning_status`: the last re-fetch of the provisioning document. */
export interface ProvisioningStatus {
  provisioned: boolean;
  email: string;
  /** Unix seconds of the last good document (0: never). */
  fetched_at: number;
  error: ErrorKey | null;
}

/** `account.refresh_provisioning`: `provisioned` false when not signed in by provisioning. */
export type RefreshProvisioningResult = { changed: boolean; reregistered: boolean } | { provisioned: false };

export interface AccountSetupArgs {
  server: string;
  user: string;
  auth_user?: string;
  password: string;
  display_name?: string;
  transport: Transport;
  dtmf_method?: DtmfMethod;
  srtp?: SrtpMode;
  accept_direct_calls?: boolean;
  realm?: string;
  allow_direct_calls?: boolean;
}

/** A PBX's TLS certificate as the server presented it (subject and issuer: untrusted text). */
export interface Certificate {
  server: string;
  subject: string;
  issuer: string;
  sha256: string;
  not_before: string;
  not_after: string;
  self_signed: boolean;
  /** Issued for the host connected to; if not, trusting it cannot help (refused anyway). */
  name_matches: boolean;
  trusted: boolean;
}

/** No arguments, or a result without fields (`{}`). */
export type Empty = Record<string, never>;

/**
 * Every command: name -> [args, result]. The one source of command signatures: the client
 * (client.ts) is typed by it, and tests/unit/test_protocol_docs.py checks its names against
 * the backend's command table.
 */
export interface CommandMap extends AudioCommandMap {
  "account.setup": [AccountSetupArgs, Empty];
  "account.sign_in": [SignInArgs, SignInResult];
  "account.refresh_provisioning": [Empty, RefreshProvisioningResult];
  "account.provisioning_status": [Empty, ProvisioningStatus];
  "settings.recovered_from": [Empty, { path: string | null; reprovisioned: boolean }];
  "account.sign_out": [Empty, Empty];
  "account.retry": [Empty, Empty];
  "account.server_certificate": [{ server: string }, Certificate];
  "account.trust_certificate": [{ server: string; sha256: string }, Certificate];
  "account.trusted_certificates": [{ server: string }, { certificates: Certificate[] }];
  "account.untrust_certificate": [{ server: string; sha256: string }, Empty];
  "call.dial": [{ number: string }, { call_id: string }];
  "voicemail.call": [Empty, { call_id: string }];
  "call.answer": [{ call_id: string }, Empty];
  "call.reject": [{ call_id: string }, Empty];
  "call.hangup": [{ call_id: string }, Empty];
  "call.dtmf": [{ call_id: string; digits: string }, Empty];
  "call.hold": [{ call_id: string }, Empty];
  "call.resume": [{ call_id: string }, Empty];
  "call.mute": [{ call_id: string; muted: boolean }, Empty];
  "call.transfer": [{ call_id: string; target: string }, Empty];
  "call.transfer_attended": [{ call_id: string; to_call_id: string }, Empty];
  "call.conference": [Empty, Empty];
  "settings.update": [Partial<Settings>, Empty];
  "blf.states": [Empty, { states: LineState[] }];
  "blf.pickup": [{ extension: string }, { call_id: string }];
  "history.list": [HistoryListArgs, HistoryPage];
  "history.delete_all": [Empty, Empty];
  "history.mark_seen": [Empty, Empty];
  "directory.search": [{ query: string; limit?: number }, { query: string; contacts: Contact[] }];
  "directory.status": [Empty, { sources: SourceStatus[] }];
  "directory.refresh": [Empty, Empty];
  /** Directory entries with an extension (internal users): candidates for the BLF panel. */
  "directory.colleagues": [Empty, { users: MonitoredUser[] }];
  "directory.configure": [
    {
      carddav: CardDavSource | null;
      ldap: LdapSource | null;
      sync_minutes: number;
      carddav_password?: string;
      ldap_password?: string;
    },
    Empty,
  ];
  "directory.test": [
    { source: "carddav" | "ldap"; carddav?: CardDavSource; ldap?: LdapSource; password?: string },
    { entries: number },
  ];
  "contacts.create": [ContactFields, { contact: Contact }];
  "contacts.update": [ContactFields & { id: number }, { contact: Contact }];
  "contacts.delete": [{ id: number }, Empty];
  "contacts.import": [{ format: ContactFileFormat; data: string }, ImportReport];
  "contacts.export": [{ format: ContactFileFormat }, { format: string; filename: string; data: string }];
  "app.info": [Empty, AppInfo];
  "link.dismiss": [{ id: number }, Empty];
  "logs.export": [Empty, LogExport];
  "notifications.test": [Empty, { shown: boolean }];
  "network.check": [Empty, NetworkReport];
  "network.update": [NetworkChanges, Empty];
}

/** What shows the UI: a native window (with or without a tray) or a browser tab. */
export interface AppInfo {
  version: string;
  window: boolean;
  tray: boolean;
}

/** Window: saved through the native dialog (or cancelled). Browser: a one-time download link. */
export type LogExport = { saved: string } | { cancelled: true } | { url: string; filename: string };

export type CommandName = keyof CommandMap;
export type CommandArgs<N extends CommandName> = CommandMap[N][0];
export type CommandResult<N extends CommandName> = CommandMap[N][1];

export interface AckOk<R> {
  ok: true;
  result: R;
}
export interface AckError {
  ok: false;
  error: CommandErrorKey;
  field: string | null;
}
export type Ack<R> = AckOk<R> | AckError;

const SERVER_EVENT_TYPES: ReadonlySet<string> = new Set<ServerEventType>([
  "snapshot",
  "feature_code",
  "dial_requested",
  "link_refused",
  "provision_requested",
  "account_changed",
  "registration_changed",
  "call_changed",
  "call_removed",
  "settings_changed",
  "history_changed",
  "history_cleared",
  "missed_count",
  "history_write_failed",
  "headsets_changed",
  "line_state",
  "directory_changed",
  "directory_status",
  ...AUDIO_EVENT_TYPES,
  "call_quality",
  "network_changed",
  "provisioning_status",
  "voicemail",
]);

/** Shallow check of an incoming `event` payload; unknown types are dropped (newer backend). */
export function isServerEvent(value: unknown): value is ServerEvent {
  if (typeof value !== "object" || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return typeof type === "string" && SERVER_EVENT_TYPES.has(type);
}

/**
 * True for a snapshot of another protocol version (or none). Read from the raw payload, before
 * anything else of it is trusted: the rest of its shape may have changed with the version.
 */
export function isForeignSnapshot(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const { type, schema } = value as { type?: unknown; schema?: unknown };
  return type === "snapshot" && schema !== SCHEMA_VERSION;
}

/** Normalises whatever came back as an ack into a typed Ack. */
export function toAck<R>(raw: unknown): Ack<R> {
  if (typeof raw === "object" && raw !== null && "ok" in raw) {
    const ack = raw as { ok: unknown; result?: unknown; error?: unknown; field?: unknown };
    if (ack.ok === true) return { ok: true, result: (ack.result ?? {}) as R };
    const error = typeof ack.error === "string" ? ack.error : "internal_error";
    const field = typeof ack.field === "string" ? ack.field : null;
    return { ok: false, error: error as CommandErrorKey, field };
  }
  return { ok: false, error: "internal_error", field: null };
}
