/** Settings > Desktop and support: tray, start at login, log file and "Export logs". */

import { Download } from "lucide-preact";
import { useEffect, useState } from "preact/hooks";
import type { AppInfo } from "../api/protocol";
import { errorText } from "../i18n";
import { useApp, useT } from "./context";
import { SettingSwitch } from "./SettingSwitch";

/** What the shell offers (window, tray), asked once per dialog: it does not change at runtime. */
export function useAppInfo(): AppInfo | null {
  const { client } = useApp();
  const [info, setInfo] = useState<AppInfo | null>(null);
  useEffect(() => {
    let live = true;
    void client.send("app.info", {}).then((ack) => {
      if (live && ack.ok) setInfo(ack.result);
    });
    return () => {
      live = false;
    };
  }, [client]);
  return info;
}

export function DesktopSettings() {
  const t = useT();
  const info = useAppInfo();
  return (
    <section class="settings__section" aria-labelledby="settings-desktop">
      <h3 id="settings-desktop" class="field__label">
        {t("settings.desktop")}
      </h3>
      {info?.tray && (
        <SettingSwitch setting="close_to_tray" label={t("settings.closeToTray")} hint={t("settings.closeToTrayHint")} />
      )}
      {info?.window && (
        <SettingSwitch setting="autostart" label={t("settings.autostart")} hint={t("settings.autostartHint")} />
      )}
      <SettingSwitch
        setting="call_links_at_once"
        label={t("settings.callLinksAtOnce")}
        hint={t("settings.callLinksAtOnceHint")}
      />
      <SettingSwitch setting="logs" label={t("settings.logs")} hint={t("settings.logsHint")} />
      <ExportLogsButton />
    </section>
  );
}

function ExportLogsButton() {
  const t = useT();
  const { client } = useApp();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setStatus(null);
    const ack = await client.send("logs.export", {});
    setBusy(false);
    if (!ack.ok) {
      setStatus(errorText(t, ack.error));
      return;
    }
    const result = ack.result;
    if ("url" in result) {
      // Browser mode: a one-time link on our own origin; the browser saves it.
      const link = document.createElement("a");
      link.href = result.url;
      link.download = result.filename;
      document.body.append(link);
      link.click();
      link.remove();
      setStatus(t("settings.exportDownloaded", { file: result.filename }));
    } else if ("saved" in result) {
      setStatus(t("settings.exportSaved", { file: result.saved }));
    }
  };
  return (
    <div class="field">
      <button
        type="button"
        class="button button--secondary settings__export"
        disabled={busy}
        onClick={() => void run()}
      >
        <Download size={16} aria-hidden="true" />
        <span>{busy ? t("settings.exporting") : t("settings.exportLogs")}</span>
      </button>
      <p class="field__hint" role="status">
        {status ?? t("settings.exportHint")}
      </p>
    </div>
  );
}
