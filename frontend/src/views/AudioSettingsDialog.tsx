/** Audio settings: devices (by name), ring volume, echo cancellation and automatic gain,
 * microphone and speaker tests. */

import { CircleAlert, Mic, Play, Square, Volume2 } from "lucide-preact";
import { useEffect, useState } from "preact/hooks";
import type { AudioDevice, AudioFallback, AudioRole, AudioStatus } from "../api/audio";
import type { Translate } from "../i18n";
import { meterPosition } from "../state/audio";
import { useApp, useT } from "./context";
import { Dialog } from "./Dialog";
import { HeadsetAudioMode } from "./HeadsetSettings";
import { SettingSwitch } from "./SettingSwitch";

const SETTING: Record<AudioRole, "audio_input" | "audio_output" | "audio_ringer"> = {
  input: "audio_input",
  output: "audio_output",
  ringer: "audio_ringer",
};

export function AudioSettingsDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  const { audio } = useApp();
  useEffect(() => {
    void audio.load();
    // Closing the dialog ends the microphone test: it must not keep the microphone open.
    return () => void audio.setMicTest(false);
  }, [audio]);
  const devices = audio.devices.value;
  return (
    <Dialog title={t("audio.title")} onClose={onClose}>
      <div class="settings audio-settings">
        <FallbackNotes fallbacks={audio.fallbacks.value} />
        {devices.length === 0 && <p class="field__hint">{t("audio.noDevices")}</p>}
        <DeviceSelect role="input" label={t("audio.input")} />
        <MicTest />
        <DeviceSelect role="output" label={t("audio.output")} test="output" />
        <DeviceSelect role="ringer" label={t("audio.ringer")} test="ringer" hint={t("audio.ringerHint")} />
        <RingVolume />
        <ProcessingSwitch setting="echo_cancellation" />
        <ProcessingSwitch setting="auto_gain" />
        <SettingSwitch
          setting="headset_integration"
          label={t("settings.headsetIntegration")}
          hint={t("settings.headsetIntegrationHint")}
        />
        <HeadsetAudioMode />
        <Diagnostics status={audio.status.value} />
      </div>
    </Dialog>
  );
}

function FallbackNotes({ fallbacks }: { fallbacks: readonly AudioFallback[] }) {
  const t = useT();
  const names = [...new Set(fallbacks.map((f) => f.name))];
  return (
    <>
      {names.map((name) => (
        <p key={name} class="audio-fallback" role="status">
          <CircleAlert size={16} aria-hidden="true" />
          <span>{t("audio.fallback", { name })}</span>
        </p>
      ))}
    </>
  );
}

interface DeviceSelectProps {
  role: AudioRole;
  label: string;
  hint?: string;
  test?: "output" | "ringer";
}

export function DeviceSelect({ role, label, hint, test }: DeviceSelectProps) {
  const t = useT();
  const { audio, store } = useApp();
  const direction = role === "input" ? "input" : "output";
  const devices = audio.devices.value.filter((d) => d.direction === direction);
  const chosen = store.settings.value[SETTING[role]] ?? null;
  const missing = audio.fallbacks.value.find((f) => f.role === role);
  const id = `audio-${role}`;
  const playing = audio.playing.value;
  return (
    <div class="field">
      <label for={id} class="field__label">
        {label}
      </label>
      <div class="audio-settings__row">
        <select
          id={id}
          class="input select"
          value={chosen ?? ""}
          onChange={(e) => {
            const value = e.currentTarget.value;
            void audio.configure({ [role]: value === "" ? null : value });
          }}
        >
          <option value="">{defaultLabel(t, devices)}</option>
          {devices.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
          {missing && chosen === missing.device_id && (
            <option value={missing.device_id}>{t("audio.notConnected", { name: missing.name })}</option>
          )}
        </select>
        {test && (
          <button
            type="button"
            class="button button--secondary button--small"
            disabled={playing !== null}
            aria-describedby={id}
            onClick={() => void audio.testSpeaker(test)}
          >
            <Play size={14} aria-hidden="true" />
            <span class="button__label">{playing === test ? t("audio.playing") : t("audio.playTest")}</span>
          </button>
        )}
      </div>
      {hint && <p class="field__hint">{hint}</p>}
    </div>
  );
}

function defaultLabel(t: Translate, devices: readonly AudioDevice[]): string {
  const current = devices.find((d) => d.is_default);
  return current ? t("audio.systemDefaultNamed", { name: current.name }) : t("audio.systemDefault");
}

export function MicTest() {
  const t = useT();
  const { audio } = useApp();
  const testing = audio.micTesting.value;
  const level = audio.micLevel.value;
  const rms = meterPosition(level?.rms ?? 0);
  const peak = meterPosition(level?.peak ?? 0);
  return (
    <div class="field audio-meter-field">
      <div class="audio-settings__row">
        <div
          class={testing ? "audio-meter is-live" : "audio-meter"}
          role="meter"
          aria-label={t("audio.micLevel")}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(rms * 100)}
        >
          <div class="audio-meter__bar" style={{ clipPath: `inset(0 ${100 - rms * 100}% 0 0)` }} />
          <div class="audio-meter__peak" style={{ left: `${peak * 100}%` }} />
        </div>
        <button
          type="button"
          class="button button--secondary button--small"
          aria-pressed={testing}
          onClick={() => void audio.setMicTest(!testing)}
        >
          {testing ? <Square size={14} aria-hidden="true" /> : <Mic size={14} aria-hidden="true" />}
          <span class="button__label">{testing ? t("audio.micTestStop") : t("audio.micTest")}</span>
        </button>
      </div>
      {testing && <p class="field__hint">{t("audio.micHint")}</p>}
    </div>
  );
}

function RingVolume() {
  const t = useT();
  const { audio, store } = useApp();
  const saved = store.settings.value.ring_volume;
  const [value, setValue] = useState(saved);
  useEffect(() => setValue(saved), [saved]);
  return (
    <div class="field">
      <label for="audio-ring-volume" class="field__label">
        {t("audio.ringVolume")}
      </label>
      <div class="audio-settings__row">
        <Volume2 size={16} aria-hidden="true" />
        <input
          id="audio-ring-volume"
          type="range"
          class="audio-volume"
          min={0}
          max={100}
          step={5}
          value={value}
          onInput={(e) => setValue(Number(e.currentTarget.value))}
          onChange={(e) => void audio.configure({ ring_volume: Number(e.currentTarget.value) })}
        />
        <output for="audio-ring-volume" class="audio-volume__value">
          {value}
        </output>
      </div>
    </div>
  );
}

/** A switch for one of the microphone's processing settings (audio.configure takes both). */
const PROCESSING = {
  echo_cancellation: {
    id: "audio-echo",
    label: "audio.echoCancellation",
    hint: "audio.echoCancellationHint",
  },
  auto_gain: { id: "audio-gain", label: "audio.autoGain", hint: "audio.autoGainHint" },
} as const;

function ProcessingSwitch({ setting }: { setting: keyof typeof PROCESSING }) {
  const t = useT();
  const { audio, store } = useApp();
  const on = store.settings.value[setting];
  const { id, label, hint } = PROCESSING[setting];
  return (
    <div class="field">
      <div class="field field--inline">
        <button
          type="button"
          role="switch"
          class="switch"
          aria-checked={on}
          aria-labelledby={id}
          aria-describedby={`${id}-hint`}
          onClick={() => void audio.configure({ [setting]: !on })}
        >
          <span class="switch__thumb" />
        </button>
        <span id={id} class="field__label">
          {t(label)}
        </span>
      </div>
      <p id={`${id}-hint`} class="field__hint">
        {t(hint)}
      </p>
    </div>
  );
}

function Diagnostics({ status }: { status: AudioStatus | null }) {
  const t = useT();
  let text = t("audio.diagnosticsNone");
  if (status) {
    const counts = { underruns: status.underruns, overruns: status.overruns };
    text = status.running ? t("audio.diagnosticsRunning", counts) : t("audio.diagnosticsLast", counts);
  }
  return (
    <div class="field">
      <span class="field__label">{t("audio.diagnostics")}</span>
      <p class="field__hint" data-testid="audio-diagnostics">
        {text}
        {status?.error && <> {t("audio.diagnosticsError", { device: status.error })}</>}
      </p>
    </div>
  );
}
