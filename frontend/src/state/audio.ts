/** Audio settings state: devices, route, fallbacks (banner), engine diagnostics, mic test level. */

import { batch, signal, type Signal } from "@preact/signals";
import type {
  AudioConfigureArgs,
  AudioDevice,
  AudioDevicesInfo,
  AudioFallback,
  AudioRoute,
  AudioStatus,
  HeadsetAudioOffer,
} from "../api/audio";
import type { CommandClient } from "../api/client";
import type { CommandErrorKey, ServerEvent } from "../api/protocol";

export interface MicLevel {
  rms: number;
  peak: number;
}

const NO_ROUTE: AudioRoute = { input: null, output: null, ringer: null };

/** Level (linear full scale) to a 0..1 meter position over -60..0 dBFS. */
export function meterPosition(level: number): number {
  if (level <= 0) return 0;
  const db = 20 * Math.log10(level);
  return Math.min(1, Math.max(0, (db + 60) / 60));
}

export class AudioState {
  readonly devices: Signal<readonly AudioDevice[]> = signal([]);
  readonly route: Signal<AudioRoute> = signal(NO_ROUTE);
  readonly fallbacks: Signal<readonly AudioFallback[]> = signal([]);
  readonly status: Signal<AudioStatus | null> = signal(null);
  readonly micLevel: Signal<MicLevel | null> = signal(null);
  readonly micTesting: Signal<boolean> = signal(false);
  /** Which speaker test is playing, until its sound is over. */
  readonly playing: Signal<"output" | "ringer" | null> = signal(null);
  /** A plugged-in headset offered for calls ("ask" mode), until answered or unplugged. */
  readonly headsetOffer: Signal<HeadsetAudioOffer | null> = signal(null);
  /** Keys of present telephony headsets whose sound card is plugged in (can take calls). */
  readonly headsetCandidates: Signal<readonly string[]> = signal([]);

  constructor(
    private readonly client: CommandClient,
    private readonly onError: (error: CommandErrorKey) => void = () => {},
  ) {}

  apply(event: ServerEvent): void {
    switch (event.type) {
      case "snapshot":
        void this.load(); // the banner needs the fallbacks without opening the dialog
        void this.loadHeadsets(true); // and a headset offer made while the UI was away
        break;
      case "audio_devices":
        this.setDevices(event);
        void this.loadHeadsets(); // a headset's sound card may have come or gone
        break;
      case "headsets_changed":
        void this.loadHeadsets();
        break;
      case "audio_status":
        this.status.value = event.status;
        break;
      case "mic_level":
        if (this.micTesting.value) this.micLevel.value = { rms: event.rms, peak: event.peak };
        break;
      case "headset_audio_offer":
        this.headsetOffer.value = event.key === null ? null : { key: event.key, name: event.name };
        void this.loadHeadsets();
        break;
      case "mic_test_stopped":
        batch(() => {
          this.micTesting.value = false;
          this.micLevel.value = null;
        });
        if (event.error) this.onError("audio_device_failed");
        break;
    }
  }

  /** Call audio to this headset's sound card (the offer, or a pick among several). */
  async useHeadset(key: string): Promise<void> {
    if (this.headsetOffer.value?.key === key) this.headsetOffer.value = null;
    const ack = await this.client.send("headset_audio.use", { key });
    if (!ack.ok) this.onError(ack.error);
  }

  async declineHeadset(key: string): Promise<void> {
    if (this.headsetOffer.value?.key === key) this.headsetOffer.value = null;
    await this.client.send("headset_audio.decline", { key });
  }

  async loadHeadsets(withOffer = false): Promise<void> {
    const ack = await this.client.send("headset_audio.state", {});
    if (!ack.ok) return;
    this.headsetCandidates.value = ack.result.candidates;
    if (withOffer) this.headsetOffer.value = ack.result.offered;
  }

  async load(): Promise<void> {
    const ack = await this.client.send("audio.devices", {});
    if (!ack.ok) return;
    batch(() => {
      this.setDevices(ack.result);
      this.status.value = ack.result.status;
    });
  }

  async configure(args: AudioConfigureArgs): Promise<boolean> {
    const ack = await this.client.send("audio.configure", args);
    if (!ack.ok) this.onError(ack.error);
    return ack.ok;
  }

  async setMicTest(on: boolean): Promise<void> {
    if (on === this.micTesting.value) return;
    this.micTesting.value = on;
    if (!on) this.micLevel.value = null;
    const ack = await this.client.send("audio.mic_test", { on });
    if (!ack.ok) {
      this.micTesting.value = false;
      this.onError(ack.error);
    }
  }

  async testSpeaker(target: "output" | "ringer"): Promise<void> {
    this.playing.value = target;
    const ack = await this.client.send("audio.speaker_test", { target });
    if (!ack.ok) {
      this.playing.value = null;
      this.onError(ack.error);
      return;
    }
    setTimeout(() => {
      if (this.playing.value === target) this.playing.value = null;
    }, ack.result.duration_ms + 1500);
  }

  private setDevices(info: AudioDevicesInfo): void {
    batch(() => {
      this.devices.value = info.devices;
      this.route.value = info.route;
      this.fallbacks.value = info.fallbacks;
    });
  }
}
