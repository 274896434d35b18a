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
}

export interface Settings {
  language: Language | null;
  theme: Theme;
}

export interface SnapshotEvent {
  type: "snapshot";
  schema: number;
  account: Account | null;
  registration: Registration;
  calls: Call[];
  settings: Settings;
}

export type ServerEvent =
  | SnapshotEvent
  | { type: "account_changed"; account: Account | null }
  | { type: "registration_changed"; registration: Registration }
  | { type: "call_changed"; call: Call }
  | { type: "call_removed"; call_id: string }
  | { type: "settings_changed"; settings: Settings };

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
  "settings.update": [Partial<Settings>, Record<string, never>];
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
