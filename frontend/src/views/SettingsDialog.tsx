/** Settings: language and theme, applied by the backend and echoed back as settings_changed. */

import { Monitor, Moon, Sun } from "lucide-preact";
import type { Language, Theme } from "../api/protocol";
import { LANGUAGE_NAMES, LANGUAGES } from "../i18n";
import { useApp, useT } from "./context";
import { Dialog } from "./Dialog";
import { DirectorySettings } from "./DirectorySettings";
import { HeadsetSettings } from "./HeadsetSettings";

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
        <CallWaitingSwitch />
        <NotificationsSwitch />
        <HeadsetSettings />
        <DirectorySettings />
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

function CallWaitingSwitch() {
  const t = useT();
  const { store, actions } = useApp();
  // Shown as the backend reports it; older backends do not send it (call waiting on).
  const on = store.settings.value.call_waiting ?? true;
  return (
    <div class="field">
      <div class="field field--inline">
        <button
          type="button"
          role="switch"
          class="switch"
          aria-checked={on}
          aria-labelledby="settings-call-waiting"
          aria-describedby="settings-call-waiting-hint"
          onClick={() => void actions.updateSettings({ call_waiting: !on })}
        >
          <span class="switch__thumb" />
        </button>
        <span id="settings-call-waiting" class="field__label">
          {t("settings.callWaiting")}
        </span>
      </div>
      <p id="settings-call-waiting-hint" class="field__hint">
        {t("settings.callWaitingHint")}
      </p>
    </div>
  );
}

function NotificationsSwitch() {
  const t = useT();
  const { store, actions } = useApp();
  // Older backends do not send it: they show no notifications, but the default is on.
  const on = store.settings.value.notifications ?? true;
  return (
    <div class="field">
      <div class="field field--inline">
        <button
          type="button"
          role="switch"
          class="switch"
          aria-checked={on}
          aria-labelledby="settings-notifications"
          aria-describedby="settings-notifications-hint"
          onClick={() => void actions.updateSettings({ notifications: !on })}
        >
          <span class="switch__thumb" />
        </button>
        <span id="settings-notifications" class="field__label">
          {t("settings.notifications")}
        </span>
      </div>
      <p id="settings-notifications-hint" class="field__hint">
        {t("settings.notificationsHint")}
      </p>
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
