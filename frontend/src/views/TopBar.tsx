/** Window header: logo and registration state; forwarding, do-not-disturb and the user menu. */

import { PhoneForwarded, Users } from "lucide-preact";
import { errorText } from "../i18n";
import { useApp, useT } from "./context";
import { Logo } from "./Logo";
import { UserMenu } from "./UserMenu";

export function TopBar() {
  const t = useT();
  const { ui } = useApp();
  return (
    <header class="topbar">
      <div class="topbar__start">
        <button
          type="button"
          class="icon-button topbar__colleagues-toggle"
          aria-label={t("topbar.showColleagues")}
          aria-expanded={ui.colleaguesOpen.value}
          aria-controls="colleagues-panel"
          title={t("topbar.showColleagues")}
          onClick={() => (ui.colleaguesOpen.value = !ui.colleaguesOpen.value)}
        >
          <Users size={18} />
        </button>
        <Logo />
        <span class="topbar__name">{t("app.name")}</span>
        <RegistrationPill />
      </div>
      <div class="topbar__end">
        <span class="tooltip-host" title={t("topbar.comingSoon")}>
          <button type="button" class="button button--ghost topbar__forwarding" disabled>
            <PhoneForwarded size={16} />
            <span class="topbar__label">{t("topbar.callForwarding")}</span>
          </button>
        </span>
        <span class="tooltip-host dnd" title={t("topbar.comingSoon")}>
          <span class="dnd__label topbar__label" aria-hidden="true">
            {t("topbar.doNotDisturb")}
          </span>
          <button
            type="button"
            role="switch"
            class="switch"
            aria-checked="false"
            aria-label={t("topbar.doNotDisturb")}
            disabled
          >
            <span class="switch__thumb" />
          </button>
        </span>
        <span class="topbar__divider" aria-hidden="true" />
        <UserMenu />
      </div>
    </header>
  );
}

function RegistrationPill() {
  const t = useT();
  const { store } = useApp();
  const reg = store.registration.value;
  let label: string;
  let detail: string | null = null;
  switch (reg.state) {
    case "registered":
      label = t("registration.registered");
      break;
    case "registering":
      label = t("registration.registering");
      break;
    case "failed": {
      const reason = errorText(t, reg.error);
      label = t("registration.failedWithReason", { reason });
      if (reg.code !== null) detail = t("registration.sipCode", { code: reg.code });
      break;
    }
    default:
      label = t("registration.unregistered");
  }
  const full = detail ? `${label} (${detail})` : label;
  return (
    <span class={`pill pill--${reg.state}`} role="status" title={full}>
      <span class="pill__dot" aria-hidden="true" />
      <span class="pill__text">{label}</span>
      {detail && <span class="pill__detail">{detail}</span>}
    </span>
  );
}
