/** Wire protocol types (schema 1), mirroring docs/protocol.md and backend/softphone/web/wire.py. */

export const SCHEMA_VERSION = 1;

export type Transport = "udp" | "tcp" | "tls";
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
] as const;
export type EndReason = (typeof END_REASONS)[number];

export interface Account {
  server: string;
  user: string;
  auth_user: string;
  display_name: string;
  transport: Transport;
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
  /** An EndReason or ErrorKey; typed as string because the set may grow. */
  end_reason: string | null;
  /** Final SIP status of a failed call (sent by wire.py, not yet in docs/protocol.md). */
  sip_code?: number | null;
  /** Mixed in the local conference; absent from older backends. */
  conference?: boolean;
}

export interface Settings {
  language: Language | null;
  theme: Theme;
  /** Off: a new call while one exists is refused with 486 (busy). Absent from older backends. */
  call_waiting?: boolean;
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

export interface SnapshotEvent {
  type: "snapshot";
  schema: number;
  account: Account | null;
  registration: Registration;
  calls: Call[];
  settings: Settings;
  /** Unseen missed calls (History tab badge); absent from older backends. */
  missed_count?: number;
}

export type ServerEvent =
  | SnapshotEvent
  | { type: "account_changed"; account: Account | null }
  | { type: "registration_changed"; registration: Registration }
  | { type: "call_changed"; call: Call }
  | { type: "call_removed"; call_id: string }
  | { type: "settings_changed"; settings: Settings }
  | { type: "history_changed"; entry: HistoryEntry }
  | { type: "history_cleared" }
  | { type: "missed_count"; count: number }
  | { type: "history_write_failed"; error: ErrorKey };

export type ServerEventType = ServerEvent["type"];

export interface AccountSetupArgs {
  server: string;
  user: string;
  auth_user?: string;
  password: string;
  display_name?: string;
  transport: Transport;
}

/** Command name -> [args, result]. */
export interface CommandMap {
  "account.setup": [AccountSetupArgs, Record<string, never>];
  "account.sign_out": [Record<string, never>, Record<string, never>];
  "call.dial": [{ number: string }, { call_id: string }];
  "call.answer": [{ call_id: string }, Record<string, never>];
  "call.reject": [{ call_id: string }, Record<string, never>];
  "call.hangup": [{ call_id: string }, Record<string, never>];
  "call.dtmf": [{ call_id: string; digits: string }, Record<string, never>];
  "call.hold": [{ call_id: string }, Record<string, never>];
  "call.resume": [{ call_id: string }, Record<string, never>];
  "call.mute": [{ call_id: string; muted: boolean }, Record<string, never>];
  "call.transfer": [{ call_id: string; target: string }, Record<string, never>];
  "call.transfer_attended": [{ call_id: string; to_call_id: string }, Record<string, never>];
  "call.conference": [Record<string, never>, Record<string, never>];
  "settings.update": [Partial<Settings>, Record<string, never>];
  "history.list": [HistoryListArgs, HistoryPage];
  "history.delete_all": [Record<string, never>, Record<string, never>];
  "history.mark_seen": [Record<string, never>, Record<string, never>];
}

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
  "account_changed",
  "registration_changed",
  "call_changed",
  "call_removed",
  "settings_changed",
  "history_changed",
  "history_cleared",
  "missed_count",
  "history_write_failed",
]);

/** Shallow check of an incoming `event` payload; unknown types are dropped (newer backend). */
export function isServerEvent(value: unknown): value is ServerEvent {
  if (typeof value !== "object" || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return typeof type === "string" && SERVER_EVENT_TYPES.has(type);
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
