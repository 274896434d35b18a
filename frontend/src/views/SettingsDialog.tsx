/** Settings (« Configuration »): four groups with headings and a navigation bar to jump to each. */

import { Monitor, Moon, Sun } from "lucide-preact";
import type { Language, Theme } from "../api/protocol";
import { LANGUAGE_NAMES, LANGUAGES, type MessageKey } from "../i18n";
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

const GROUPS = ["general", "calls", "directory", "system"] as const;
type Group = (typeof GROUPS)[number];

export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  const title = (group: Group) => t(`settings.group.${group}` as MessageKey);
  return (
    <Dialog title={t("settings.title")} onClose={onClose}>
      <nav class="settings-nav" aria-label={t("settings.sections")}>
        {GROUPS.map((group) => (
          // Buttons, not #anchors: the page's URL fragment carries the session token.
          <button key={group} type="button" class="settings-nav__item"
            onClick={() => document.getElementById(`settings-group-${group}`)?.scrollIntoView({ block: "start" })}>
            {title(group)}
          </button>
        ))}
      </nav>
      <div class="settings">
        <section id="settings-group-general" class="settings__group" aria-labelledby="settings-group-general-title">
          <h3 id="settings-group-general-title" class="settings__heading">{title("general")}</h3>
          <LanguagePicker />
          <ThemePicker />
          <SettingSwitch
            setting="notifications"
            label={t("settings.notifications")}
            hint={t("settings.notificationsHint")}
          />
        </section>
        <section id="settings-group-calls" class="settings__group" aria-labelledby="settings-group-calls-title">
          <h3 id="settings-group-calls-title" class="settings__heading">{title("calls")}</h3>
          <SettingSwitch
            setting="call_waiting"
            label={t("settings.callWaiting")}
            hint={t("settings.callWaitingHint")}
          />
          <HeadsetSettings />
        </section>
        <section id="settings-group-directory" class="settings__group" aria-labelledby="settings-group-directory-title">
          <h3 id="settings-group-directory-title" class="settings__heading">{title("directory")}</h3>
          <DirectorySettings />
        </section>
        <section id="settings-group-system" class="settings__group" aria-labelledby="settings-group-system-title">
          <h3 id="settings-group-system-title" class="settings__heading">{title("system")}</h3>
          <DesktopSettings />
          <NetworkSettingsSection />
        </section>
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
