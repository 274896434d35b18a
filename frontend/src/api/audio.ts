/** Wire types of audio devices, route, fallbacks and diagnostics (see docs/protocol.md). */

import type { Empty } from "./protocol";

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
  /** The speaker underran for over a tenth of the last report's span. */
  underrun_burst: boolean;
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
  /** WebRTC's automatic gain control on the microphone. */
  auto_gain?: boolean;
  /** Plugging a telephony headset: offer it for calls, switch to it, or do nothing. */
  headset_audio?: HeadsetAudioMode;
}

export type HeadsetAudioMode = "ask" | "always" | "never";

/** "Use <name> for calls?" after a telephony headset was plugged in; key null: withdrawn. */
export interface HeadsetAudioOffer {
  key: string;
  name: string;
}

export type AudioEvent =
  | ({ type: "audio_devices" } & AudioDevicesInfo)
  | { type: "audio_status"; status: AudioStatus | null }
  | { type: "mic_level"; rms: number; peak: number }
  | { type: "mic_test_stopped"; error: string | null }
  | { type: "headset_audio_offer"; key: string | null; name: string };

export const AUDIO_EVENT_TYPES = [
  "audio_devices",
  "audio_status",
  "mic_level",
  "mic_test_stopped",
  "headset_audio_offer",
] as const;

/** The audio commands of CommandMap (protocol.ts). */
export interface AudioCommandMap {
  "audio.devices": [Empty, AudioDevicesInfo & { status: AudioStatus | null; mic_test: boolean }];
  "audio.configure": [AudioConfigureArgs, Empty];
  "audio.mic_test": [{ on: boolean }, Empty];
  "audio.speaker_test": [{ target: "output" | "ringer" }, { duration_ms: number }];
  "headset_audio.state": [Empty, { offered: HeadsetAudioOffer | null; candidates: string[] }];
  "headset_audio.use": [{ key: string }, Empty];
  "headset_audio.decline": [{ key: string }, Empty];
}
