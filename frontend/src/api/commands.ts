/** One small typed function per backend command (see docs/protocol.md, "Client -> server"). */

import type { AudioConfigureArgs } from "./audio";
import type { Connection } from "./connection";
import type {
  AccountSetupArgs,
  Ack,
  CommandResult,
  AppInfo,
  LogExport,
  Certificate,
  Contact,
  ContactFields,
  HistoryListArgs,
  HistoryPage,
  ImportReport,
  LineState,
  MonitoredUser,
  ProvisioningStatus,
  RefreshProvisioningResult,
  Settings,
  SignInArgs,
  SignInResult,
  SourceStatus,
} from "./protocol";

type Empty = Record<string, never>;

/** Registration can take a while (DNS, TLS, digest retries): wait longer than for other commands. */
export const ACCOUNT_SETUP_TIMEOUT_MS = 45_000;

export const setupAccount = (conn: Connection, args: AccountSetupArgs): Promise<Ack<Empty>> =>
  conn.sendCommand("account.setup", args, ACCOUNT_SETUP_TIMEOUT_MS);

/** E-mail sign-in: provisioning, else DNS; resolves once registered (docs/provisioning.md). */
export const signIn = (conn: Connection, args: SignInArgs): Promise<Ack<SignInResult>> =>
  conn.sendCommand("account.sign_in", args, ACCOUNT_SETUP_TIMEOUT_MS);

/** Fetch the provisioning document again now (If-None-Match); changes apply at once. */
export const refreshProvisioning = (conn: Connection): Promise<Ack<RefreshProvisioningResult>> =>
  conn.sendCommand("account.refresh_provisioning", {}, ACCOUNT_SETUP_TIMEOUT_MS);

export const provisioningStatus = (conn: Connection): Promise<Ack<ProvisioningStatus>> =>
  conn.sendCommand("account.provisioning_status", {});

/** Where a corrupt settings file was moved aside at start (null: it was not). */
export const settingsRecoveredFrom = (
  conn: Connection,
): Promise<Ack<{ path: string | null; reprovisioned: boolean }>> => conn.sendCommand("settings.recovered_from", {});

export const signOut = (conn: Connection): Promise<Ack<Empty>> =>
  conn.sendCommand("account.sign_out", {});

/** Register the saved account again now (Retry after a failed registration). */
export const retryRegistration = (conn: Connection): Promise<Ack<Empty>> =>
  conn.sendCommand("account.retry", {});

/** The PBX's certificate, read without verifying it, to show before the user trusts it. */
export const serverCertificate = (conn: Connection, server: string): Promise<Ack<Certificate>> =>
  conn.sendCommand("account.server_certificate", { server });

export const trustCertificate = (conn: Connection, server: string, sha256: string): Promise<Ack<Certificate>> =>
  conn.sendCommand("account.trust_certificate", { server, sha256 });

/** The certificates the user trusted for this server (stored, not fetched). */
export const trustedCertificates = (conn: Connection, server: string): Promise<Ack<{ certificates: Certificate[] }>> =>
  conn.sendCommand("account.trusted_certificates", { server });

export const untrustCertificate = (conn: Connection, server: string, sha256: string): Promise<Ack<Empty>> =>
  conn.sendCommand("account.untrust_certificate", { server, sha256 });

export const dial = (conn: Connection, number: string): Promise<Ack<{ call_id: string }>> =>
  conn.sendCommand("call.dial", { number });

export const callVoicemail = (conn: Connection): Promise<Ack<{ call_id: string }>> =>
  conn.sendCommand("voicemail.call", {});

export const answerCall = (conn: Connection, callId: string): Promise<Ack<Empty>> =>
  conn.sendCommand("call.answer", { call_id: callId });

export const rejectCall = (conn: Connection, callId: string): Promise<Ack<Empty>> =>
  conn.sendCommand("call.reject", { call_id: callId });

export const hangupCall = (conn: Connection, callId: string): Promise<Ack<Empty>> =>
  conn.sendCommand("call.hangup", { call_id: callId });

export const sendDtmf = (conn: Connection, callId: string, digits: string): Promise<Ack<Empty>> =>
  conn.sendCommand("call.dtmf", { call_id: callId, digits });

export const holdCall = (conn: Connection, callId: string): Promise<Ack<Empty>> =>
  conn.sendCommand("call.hold", { call_id: callId });

export const resumeCall = (conn: Connection, callId: string): Promise<Ack<Empty>> =>
  conn.sendCommand("call.resume", { call_id: callId });

export const muteCall = (conn: Connection, callId: string, muted: boolean): Promise<Ack<Empty>> =>
  conn.sendCommand("call.mute", { call_id: callId, muted });

export const transferCall = (conn: Connection, callId: string, target: string): Promise<Ack<Empty>> =>
  conn.sendCommand("call.transfer", { call_id: callId, target });

export const transferAttended = (conn: Connection, callId: string, toCallId: string): Promise<Ack<Empty>> =>
  conn.sendCommand("call.transfer_attended", { call_id: callId, to_call_id: toCallId });

export const startConference = (conn: Connection): Promise<Ack<Empty>> =>
  conn.sendCommand("call.conference", {});

export const updateSettings = (conn: Connection, changes: Partial<Settings>): Promise<Ack<Empty>> =>
  conn.sendCommand("settings.update", changes);

export const lineStates = (conn: Connection): Promise<Ack<{ states: LineState[] }>> =>
  conn.sendCommand("blf.states", {});

export const pickupCall = (conn: Connection, extension: string): Promise<Ack<{ call_id: string }>> =>
  conn.sendCommand("blf.pickup", { extension });

export const listHistory = (conn: Connection, args: HistoryListArgs): Promise<Ack<HistoryPage>> =>
  conn.sendCommand("history.list", args);

export const deleteHistory = (conn: Connection): Promise<Ack<Empty>> =>
  conn.sendCommand("history.delete_all", {});

export const markHistorySeen = (conn: Connection): Promise<Ack<Empty>> =>
  conn.sendCommand("history.mark_seen", {});

export const searchDirectory = (
  conn: Connection,
  query: string,
  limit = 50,
): Promise<Ack<{ query: string; contacts: Contact[] }>> =>
  conn.sendCommand("directory.search", { query, limit });

export const directoryStatus = (conn: Connection): Promise<Ack<{ sources: SourceStatus[] }>> =>
  conn.sendCommand("directory.status", {});

export const refreshDirectory = (conn: Connection): Promise<Ack<Empty>> =>
  conn.sendCommand("directory.refresh", {});

export const directoryColleagues = (conn: Connection): Promise<Ack<{ users: MonitoredUser[] }>> =>
  conn.sendCommand("directory.colleagues", {});

export const createContact = (conn: Connection, fields: ContactFields): Promise<Ack<{ contact: Contact }>> =>
  conn.sendCommand("contacts.create", fields);

export const updateContact = (
  conn: Connection,
  id: number,
  fields: ContactFields,
): Promise<Ack<{ contact: Contact }>> => conn.sendCommand("contacts.update", { id, ...fields });

export const deleteContact = (conn: Connection, id: number): Promise<Ack<Empty>> =>
  conn.sendCommand("contacts.delete", { id });

export const importContacts = (
  conn: Connection,
  format: "vcard" | "csv",
  data: string,
): Promise<Ack<ImportReport>> => conn.sendCommand("contacts.import", { format, data }, 60_000);

export const exportContacts = (
  conn: Connection,
  format: "vcard" | "csv",
): Promise<Ack<{ format: string; filename: string; data: string }>> =>
  conn.sendCommand("contacts.export", { format });

/** The native save dialog waits for the user: give it minutes, not seconds. */
export const LOG_EXPORT_TIMEOUT_MS = 10 * 60_000;

export const appInfo = (conn: Connection): Promise<Ack<AppInfo>> => conn.sendCommand("app.info", {});

export const exportLogs = (conn: Connection): Promise<Ack<LogExport>> =>
  conn.sendCommand("logs.export", {}, LOG_EXPORT_TIMEOUT_MS);

export const testNotification = (conn: Connection): Promise<Ack<{ shown: boolean }>> =>
  conn.sendCommand("notifications.test", {});

export const audioDevices = (conn: Connection): Promise<Ack<CommandResult<"audio.devices">>> =>
  conn.sendCommand("audio.devices", {});

export const configureAudio = (conn: Connection, args: AudioConfigureArgs): Promise<Ack<Empty>> =>
  conn.sendCommand("audio.configure", args);

export const useHeadsetAudio = (conn: Connection, key: string): Promise<Ack<Empty>> =>
  conn.sendCommand("headset_audio.use", { key });

export const declineHeadsetAudio = (conn: Connection, key: string): Promise<Ack<Empty>> =>
  conn.sendCommand("headset_audio.decline", { key });

export const headsetAudioState = (
  conn: Connection,
): Promise<Ack<CommandResult<"headset_audio.state">>> => conn.sendCommand("headset_audio.state", {});

export const micTest = (conn: Connection, on: boolean): Promise<Ack<Empty>> =>
  conn.sendCommand("audio.mic_test", { on });

export const speakerTest = (
  conn: Connection,
  target: "output" | "ringer",
): Promise<Ack<{ duration_ms: number }>> => conn.sendCommand("audio.speaker_test", { target });

/** The UI took a call link (or its refusal): later snapshots no longer carry it. */
export const dismissLink = (conn: Connection, id: number): Promise<Ack<Empty>> =>
  conn.sendCommand("link.dismiss", { id });
