/** Wire types of audio devices, route, fallbacks and diagnostics (see docs/protocol.md). */

/** A sound device by its stable id; `name` is for people (from the OS: render as text). */
export interface AudioDevice {
  id: string;
  name: string;
  direction: "input" | "output";
  is_default: boolean;
}

export type AudioRole = "input" | "output" | "ringer";

/** Device ids in use now; null: the system default. */
export type AudioRoute = Record<AudioRole, string | null>;

/** A chosen device that is not connected: the system default is used instead. */
export interface AudioFallback {
  role: AudioRole;
  device_id: string;
  name: string;
}

/** Call audio diagnostics reported by the engine. */
export interface AudioStatus {
  running: boolean;
  input: string | null;
  output: string | null;
  echo_cancellation: boolean;
  underruns: number;
  overruns: number;
  frames: number;
  error: string | null;
}

export interface AudioDevicesInfo {
  devices: AudioDevice[];
  route: AudioRoute;
  fallbacks: AudioFallback[];
}

export interface AudioConfigureArgs {
  input?: string | null;
  output?: string | null;
  ringer?: string | null;
  ring_volume?: number;
  echo_cancellation?: boolean;
}

export type AudioEvent =
  | ({ type: "audio_devices" } & AudioDevicesInfo)
  | { type: "audio_status"; status: AudioStatus | null }
  | { type: "mic_level"; rms: number; peak: number }
  | { type: "mic_test_stopped"; error: string | null };

export const AUDIO_EVENT_TYPES = ["audio_devices", "audio_status", "mic_level", "mic_test_stopped"] as const;

export interface AudioCommandMap {
  "audio.devices": [Record<string, never>, AudioDevicesInfo & { status: AudioStatus | null; mic_test: boolean }];
  "audio.configure": [AudioConfigureArgs, Record<string, never>];
  "audio.mic_test": [{ on: boolean }, Record<string, never>];
  "audio.speaker_test": [{ target: "output" | "ringer" }, { duration_ms: number }];
}
