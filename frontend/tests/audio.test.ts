import { describe, expect, it } from "vitest";
import type { AudioDevicesInfo } from "../src/api/audio";
import { AudioState, meterPosition } from "../src/state/audio";
import { fakeClient } from "./fixtures";

const INFO: AudioDevicesInfo = {
  devices: [
    { id: "speaker", name: "Speaker", direction: "output", is_default: true },
    { id: "mic", name: "Mic", direction: "input", is_default: true },
  ],
  route: { input: null, output: null, ringer: null },
  fallbacks: [{ role: "output", device_id: "usb", name: "USB Headset" }],
};

/** The backend's audio answers; every command sent is in `sent`. */
function fakeApi(micOk = true) {
  return fakeClient({
    "audio.devices": () => ({ ok: true, result: { ...INFO, status: null, mic_test: false } }),
    "audio.mic_test": () =>
      micOk ? { ok: true, result: {} } : { ok: false, error: "audio_device_failed", field: "input" },
    "audio.speaker_test": () => ({ ok: true, result: { duration_ms: 1500 } }),
    "headset_audio.state": () => ({
      ok: true,
      result: { offered: { key: "0b0e:0307", name: "Jabra" }, candidates: ["0b0e:0307"] },
    }),
  });
}

describe("audio state", () => {
  it("maps levels to a -60..0 dBFS meter", () => {
    expect(meterPosition(0)).toBe(0);
    expect(meterPosition(1)).toBe(1);
    expect(meterPosition(0.001)).toBeCloseTo(0, 5);
    expect(meterPosition(0.0316)).toBeCloseTo(0.5, 2);
    expect(meterPosition(2)).toBe(1);
  });

  it("keeps devices and fallbacks from events and loads them on a snapshot", async () => {
    const audio = new AudioState(fakeApi());
    audio.apply({ type: "audio_devices", ...INFO });
    expect(audio.fallbacks.value.map((f) => f.name)).toEqual(["USB Headset"]);
    audio.apply({ type: "audio_devices", ...INFO, fallbacks: [] });
    expect(audio.fallbacks.value).toEqual([]);
    await audio.load();
    expect(audio.devices.value).toHaveLength(2);
  });

  it("shows mic levels only while testing, and a refused test reports the error", async () => {
    const errors: string[] = [];
    const audio = new AudioState(fakeApi(false), (e) => errors.push(e));
    audio.apply({ type: "mic_level", rms: 0.2, peak: 0.5 });
    expect(audio.micLevel.value).toBeNull();
    await audio.setMicTest(true);
    expect(audio.micTesting.value).toBe(false);
    expect(errors).toEqual(["audio_device_failed"]);

    const working = new AudioState(fakeApi());
    await working.setMicTest(true);
    working.apply({ type: "mic_level", rms: 0.2, peak: 0.5 });
    expect(working.micLevel.value).toEqual({ rms: 0.2, peak: 0.5 });
    working.apply({ type: "mic_test_stopped", error: null });
    expect(working.micTesting.value).toBe(false);
    expect(working.micLevel.value).toBeNull();
  });

  it("shows a headset offer until it is answered, and sends the answer", async () => {
    const client = fakeApi();
    const audio = new AudioState(client);
    audio.apply({ type: "headset_audio_offer", key: "0b0e:0307", name: "Jabra" });
    expect(audio.headsetOffer.value).toEqual({ key: "0b0e:0307", name: "Jabra" });
    await audio.useHeadset("0b0e:0307");
    expect(audio.headsetOffer.value).toBeNull();
    audio.apply({ type: "headset_audio_offer", key: "0b0e:0307", name: "Jabra" });
    await audio.declineHeadset("0b0e:0307");
    expect(audio.headsetOffer.value).toBeNull();
    const answers = client.sent.filter((c) => c.name === "headset_audio.use" || c.name === "headset_audio.decline");
    expect(answers).toEqual([
      { name: "headset_audio.use", args: { key: "0b0e:0307" } },
      { name: "headset_audio.decline", args: { key: "0b0e:0307" } },
    ]);
    audio.apply({ type: "headset_audio_offer", key: "0b0e:0307", name: "Jabra" });
    audio.apply({ type: "headset_audio_offer", key: null, name: "" }); // unplugged
    expect(audio.headsetOffer.value).toBeNull();
    await Promise.resolve();
    expect(audio.headsetCandidates.value).toEqual(["0b0e:0307"]);
    expect(audio.headsetOffer.value).toBeNull(); // events never revive a withdrawn offer
  });

  it("shows the pending offer again after a reconnect (snapshot)", async () => {
    const audio = new AudioState(fakeApi());
    await audio.loadHeadsets(true);
    expect(audio.headsetOffer.value).toEqual({ key: "0b0e:0307", name: "Jabra" });
  });
});
