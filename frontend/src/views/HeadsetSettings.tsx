/** Settings > Headset: the integration switch, the busy light option, and detected headsets. */

import { Headphones } from "lucide-preact";
import type { Headset } from "../api/protocol";
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
  // Names come from the USB device: untrusted text, rendered as text only.
  return (
    <li class="headsets__item">
      <Headphones size={16} aria-hidden="true" />
      <div>
        <div class="headsets__name">{headset.name}</div>
        <p class="field__hint">
          {headset.reason_key ? t(`headset.reason.${headset.reason_key}`) : t("settings.headsetReady")}
        </p>
      </div>
    </li>
  );
}
