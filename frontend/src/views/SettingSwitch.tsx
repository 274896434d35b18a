/** One on/off setting as a labelled switch with a hint; shows what the backend reports. */

import type { Settings } from "../api/protocol";
import { useApp } from "./context";

/** The boolean settings that default to on when an older backend does not send them. */
export type SwitchSetting =
  | "call_waiting"
  | "notifications"
  | "headset_integration"
  | "busylight_blink"
  | "logs"
  | "close_to_tray"
  | "autostart"
  | "call_links_at_once";

/** Settings that are off unless the user turns them on. */
const OFF_BY_DEFAULT: ReadonlySet<SwitchSetting> = new Set(["autostart", "call_links_at_once"]);

export function SettingSwitch({ setting, label, hint }: { setting: SwitchSetting; label: string; hint: string }) {
  const { store, actions } = useApp();
  const on = store.settings.value[setting] ?? !OFF_BY_DEFAULT.has(setting);
  const id = `settings-${setting}`;
  const change: Partial<Settings> = { [setting]: !on };
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
          onClick={() => void actions.updateSettings(change)}
        >
          <span class="switch__thumb" />
        </button>
        <span id={id} class="field__label">
          {label}
        </span>
      </div>
      <p id={`${id}-hint`} class="field__hint">
        {hint}
      </p>
    </div>
  );
}
