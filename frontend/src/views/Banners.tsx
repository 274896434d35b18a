/** Connection-lost banner and transient error notices. */

import { CircleAlert, LoaderCircle, X } from "lucide-preact";
import { errorText } from "../i18n";
import { useApp, useT } from "./context";
import { SettingsRecoveredNotice } from "./SettingsRecoveredNotice";
import { FeatureCodeNotices } from "./FeatureCodeNotices";

export function ReconnectBanner() {
  const t = useT();
  const { store } = useApp();
  if (store.connection.value !== "reconnecting") return null;
  return (
    <div class="banner banner--warning" role="status">
      <LoaderCircle size={16} class="spin" aria-hidden="true" />
      <strong>{t("connection.reconnecting")}</strong>
      <span class="banner__detail">{t("connection.reconnectingDetail")}</span>
    </div>
  );
}

export function Notices() {
  const t = useT();
  const { ui } = useApp();
  const notices = ui.notices.value;
  return (
    <div class="notices">
      <FeatureCodeNotices />
      <SettingsRecoveredNotice />
      {notices.map((notice) => (
        <div key={notice.id} class="notice" role="alert">
          <CircleAlert size={18} aria-hidden="true" />
          <span class="notice__text">{errorText(t, notice.error)}</span>
          <button
            type="button"
            class="icon-button icon-button--small"
            aria-label={t("common.dismiss")}
            onClick={() => ui.dismiss(notice.id)}
          >
            <X size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}
