/** Settings > Headset: the integration switch, the busy light option, and detected headsets. */

import { Headphones } from "lucide-preact";
import type { HeadsetAudioMode as Mode } from "../api/audio";
import type { BusyLightKind, Headset } from "../api/protocol";
import { useApp, useT } from "./context";
import { SettingSwitch } from "./SettingSwitch";

export function HeadsetSettings() {
  const t = useT();
  const { store } = useApp();
  const headsets = store.headsets.value;
  return (
    <section class="settings__section" aria-labelledby="settings-headset">
      <h3 id="settings-headset" class="field__label">
        {t("settings.headset")}
      </h3>
      <SettingSwitch
        setting="headset_integration"
        label={t("settings.headsetIntegration")}
        hint={t("settings.headsetIntegrationHint")}
      />
      {headsets.length === 0 ? (
        <p class="field__hint">{t("settings.headsetNone")}</p>
      ) : (
        <ul class="headsets" aria-labelledby="settings-headset">
          {headsets.map((h) => (
            <HeadsetRow key={`${h.vendor_id}:${h.product_id}:${h.name}`} headset={h} />
          ))}
        </ul>
      )}
      <HeadsetAudioMode />
      <BusyLightKindSelect />
      <SettingSwitch
        setting="busylight_blink"
        label={t("settings.busylightBlink")}
        hint={t("settings.busylightBlinkHint")}
      />
    </section>
  );
}

export function HeadsetRow({ headset }: { headset: Headset }) {
  const t = useT();
  const { audio, store } = useApp();
  const key = headset.key;
  // A headset whose sound card is plugged in can take the calls: the user picks which one.
  const canTakeCalls = key !== "" && audio.headsetCandidates.value.includes(key);
  const usedForCalls = key !== "" && store.settings.value.headset_calls === key;
  // Names come from the USB device: untrusted text, rendered as text only.
  return (
    <li class="headsets__item">
      <Headphones size={16} aria-hidden="true" />
      <div class="headsets__text">
        <div class="headsets__name">{headset.name}</div>
        <p class="field__hint">
          {headset.reason_key ? t(`headset.reason.${headset.reason_key}`) : t("settings.headsetReady")}
        </p>
      </div>
      {usedForCalls ? (
        <span class="headsets__used">{t("settings.headsetUsedForCalls")}</span>
      ) : (
        canTakeCalls && (
          <button type="button" class="button button--secondary button--small" onClick={() => void audio.useHeadset(key)}>
            {t("settings.headsetUseForCalls")}
          </button>
        )
      )}
    </li>
  );
}

/** "Use the headset for calls when it is plugged in": ask / always / never. */
export function HeadsetAudioMode() {
  const t = useT();
  const { audio, store } = useApp();
  const mode = store.settings.value.headset_audio;
  return (
    <div class="field">
      <label for="headset-audio-mode" class="field__label">
        {t("audio.headsetMode")}
      </label>
      <select
        id="headset-audio-mode"
        class="input select"
        value={mode}
        onChange={(e) => void audio.configure({ headset_audio: e.currentTarget.value as Mode })}
      >
        <option value="ask">{t("audio.headsetMode.ask")}</option>
        <option value="always">{t("audio.headsetMode.always")}</option>
        <option value="never">{t("audio.headsetMode.never")}</option>
      </select>
    </div>
  );
}

/** Which "on call" light is driven: any plugged in, a dedicated busy light, a relay board, none. */
export function BusyLightKindSelect() {
  const t = useT();
  const { store, actions } = useApp();
  const kind = store.settings.value.busylight;
  return (
    <div class="field">
      <label for="busylight-kind" class="field__label">
        {t("settings.busylightKind")}
      </label>
      <select
        id="busylight-kind"
        class="input select"
        value={kind}
        onChange={(e) => void actions.updateSettings({ busylight: e.currentTarget.value as BusyLightKind })}
      >
        <option value="auto">{t("settings.busylightKind.auto")}</option>
        <option value="busylight">{t("settings.busylightKind.busylight")}</option>
        <option value="relay">{t("settings.busylightKind.relay")}</option>
        <option value="none">{t("settings.busylightKind.none")}</option>
      </select>
    </div>
  );
}
