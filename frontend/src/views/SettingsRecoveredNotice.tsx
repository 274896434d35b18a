/** A corrupt settings file was moved aside at start: the user is told, with the saved copy's path. */

import { TriangleAlert, X } from "lucide-preact";
import { useEffect, useState } from "preact/hooks";
import { useApp, useT } from "./context";

export function SettingsRecoveredNotice() {
  const t = useT();
  const { client } = useApp();
  const [recovered, setRecovered] = useState<{ path: string; reprovisioned: boolean } | null>(null);
  useEffect(() => {
    let live = true;
    void client.send("settings.recovered_from", {}).then((ack) => {
      if (live && ack.ok && ack.result.path) setRecovered({ path: ack.result.path, reprovisioned: ack.result.reprovisioned });
    });
    return () => {
      live = false;
    };
  }, [client]);
  if (!recovered) return null;
  return (
    <div class="notice notice--warning" role="status" data-testid="settings-recovered">
      <TriangleAlert size={18} aria-hidden="true" />
      <span class="notice__text">
        {t("recovery.settingsReset", { path: recovered.path })}
        {recovered.reprovisioned && <> {t("recovery.reprovisioned")}</>}
      </span>
      <button
        type="button"
        class="icon-button icon-button--small"
        aria-label={t("common.dismiss")}
        onClick={() => setRecovered(null)}
      >
        <X size={14} />
      </button>
    </div>
  );
}
