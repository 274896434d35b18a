/** Settings: language and theme, applied by the backend and echoed back as settings_changed. */

import { Monitor, Moon, Sun } from "lucide-preact";
import type { Language, Theme } from "../api/protocol";
import { LANGUAGE_NAMES, LANGUAGES } from "../i18n";
import { useApp, useT } from "./context";
import { Dialog } from "./Dialog";
import { DesktopSettings } from "./DesktopSettings";
import { DirectorySettings } from "./DirectorySettings";
import { HeadsetSettings } from "./HeadsetSettings";
import { NetworkSettingsSection } from "./NetworkSettings";
import { SettingSwitch } from "./SettingSwitch";

const THEMES: readonly { value: Theme; icon: typeof Sun }[] = [
  { value: "system", icon: Monitor },
  { value: "light", icon: Sun },
  { value: "dark", icon: Moon },
];

export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  return (
    <Dialog title={t("settings.title")} onClose={onClose}>
      <div class="settings">
        <LanguagePicker />
        <ThemePicker />
        <SettingSwitch
          setting="call_waiting"
          label={t("settings.callWaiting")}
          hint={t("settings.callWaitingHint")}
        />
        <SettingSwitch
          setting="notifications"
          label={t("settings.notifications")}
          hint={t("settings.notificationsHint")}
        />
        <HeadsetSettings />
        <DirectorySettings />
        <DesktopSettings />
        <NetworkSettingsSection />
      </div>
    </Dialog>
  );
}

export function LanguagePicker({ compact = false }: { compact?: boolean }) {
  const t = useT();
  const { store, actions } = useApp();
  const current = store.settings.value.language;
  return (
    <div class={compact ? "field field--inline" : "field"}>
      <label for="settings-language" class="field__label">
        {t("settings.language")}
      </label>
      <select
        id="settings-language"
        class="input select"
        value={current ?? ""}
        onChange={(e) => {
          const value = e.currentTarget.value;
          void actions.updateSettings({ language: value === "" ? null : (value as Language) });
        }}
      >
        <option value="">{t("settings.languageSystem")}</option>
        {LANGUAGES.map((lang) => (
          <option key={lang} value={lang} lang={lang}>
            {LANGUAGE_NAMES[lang]}
          </option>
        ))}
      </select>
    </div>
  );
}

function ThemePicker() {
  const t = useT();
  const { store, actions } = useApp();
  const current = store.settings.value.theme;
  return (
    <fieldset class="field segmented-field">
      <legend class="field__label">{t("settings.theme")}</legend>
      <div class="segmented">
        {THEMES.map(({ value, icon: Icon }) => (
          <label key={value} class={value === current ? "segmented__option is-selected" : "segmented__option"}>
            <input
              type="radio"
              name="theme"
              value={value}
              checked={value === current}
              onChange={() => void actions.updateSettings({ theme: value })}
            />
            <Icon size={16} />
            <span>{t(`theme.${value}`)}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
