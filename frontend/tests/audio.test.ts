import { describe, expect, it } from "vitest";
import type { AudioDevicesInfo } from "../src/api/audio";
import type { Ack } from "../src/api/protocol";
import { AudioState, meterPosition, type AudioApi } from "../src/state/audio";

const INFO: AudioDevicesInfo = {
  devices: [
    { id: "speaker", name: "Speaker", direction: "output", is_default: true },
    { id: "mic", name: "Mic", direction: "input", is_default: true },
  ],
  route: { input: null, output: null, ringer: null },
  fallbacks: [{ role: "output", device_id: "usb", name: "USB Headset" }],
};

function fakeApi(micOk = true): AudioApi & { calls: string[] } {
  const calls: string[] = [];
  const ok = <R>(result: R): Promise<Ack<R>> => Promise.resolve({ ok: true, result });
  return {
    calls,
    devices: () => ok({ ...INFO, status: null, mic_test: false }),
    configure: (args) => (calls.push(`configure ${JSON.stringify(args)}`), ok({})),
    micTest: (on) => {
      calls.push(`mic ${on}`);
      return micOk ? ok({}) : Promise.resolve({ ok: false, error: "audio_device_failed", field: "input" });
    },
    speakerTest: (target) => (calls.push(`speaker ${target}`), ok({ duration_ms: 1500 })),
    useHeadset: (key) => (calls.push(`use ${key}`), ok({})),
    declineHeadset: (key) => (calls.push(`decline ${key}`), ok({})),
    headsetState: () => ok({ offered: { key: "0b0e:0307", name: "Jabra" }, candidates: ["0b0e:0307"] }),
  };
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
    const api = fakeApi();
    const audio = new AudioState(api);
    audio.apply({ type: "headset_audio_offer", key: "0b0e:0307", name: "Jabra" });
    expect(audio.headsetOffer.value).toEqual({ key: "0b0e:0307", name: "Jabra" });
    await audio.useHeadset("0b0e:0307");
    expect(audio.headsetOffer.value).toBeNull();
    audio.apply({ type: "headset_audio_offer", key: "0b0e:0307", name: "Jabra" });
    await audio.declineHeadset("0b0e:0307");
    expect(audio.headsetOffer.value).toBeNull();
    expect(api.calls).toEqual(["use 0b0e:0307", "decline 0b0e:0307"]);
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
