/** Window header: logo and registration state; forwarding, do-not-disturb and the user menu. */

import { BellOff, PhoneForwarded, Users } from "lucide-preact";
import { useSignal } from "@preact/signals";
import type { Forwarding } from "../api/protocol";
import { errorText, type Translate } from "../i18n";
import { ForwardingDialog } from "./ForwardingDialog";
import { useApp, useT } from "./context";
import { Logo } from "./Logo";
import { UserMenu } from "./UserMenu";
import { VoicemailButton } from "./VoicemailButton";

export function TopBar() {
  const t = useT();
  const { ui, store, actions } = useApp();
  const forwardingOpen = useSignal(false);
  const settings = store.settings.value;
  // Shows what the backend reports (settings), not what was clicked.
  const dnd = settings.dnd;
  const forwardText = activeForwarding(t, settings.forwarding);
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
        {dnd && (
          // Not only the switch: a badge that cannot be missed while calls are refused.
          <span class="dnd-badge topbar__dnd-badge" role="status" title={t("topbar.dndOn")}
            aria-label={t("topbar.dndOn")} data-testid="dnd-badge">
            <BellOff size={14} aria-hidden="true" />
            <span class="dnd-badge__text" aria-hidden="true">{t("topbar.doNotDisturb")}</span>
          </span>
        )}
      </div>
      <div class="topbar__end">
        <VoicemailButton />
        <button
          type="button"
          class={forwardText ? "button button--ghost topbar__forwarding is-active" : "button button--ghost topbar__forwarding"}
          title={forwardText ?? t("topbar.callForwarding")}
          onClick={() => (forwardingOpen.value = true)}
        >
          <PhoneForwarded size={16} />
          <span class="topbar__label">{forwardText ?? t("topbar.callForwarding")}</span>
        </button>
        <span class={dnd ? "dnd is-on" : "dnd"}>
          <span class="dnd__label topbar__label" aria-hidden="true">
            {t("topbar.doNotDisturb")}
          </span>
          <button
            type="button"
            role="switch"
            class="switch dnd__switch"
            aria-checked={dnd ? "true" : "false"}
            aria-label={t("topbar.doNotDisturb")}
            title={t("topbar.dndHint")}
            onClick={() => void actions.updateSettings({ dnd: !dnd })}
          >
            <span class="switch__thumb" />
          </button>
        </span>
        {forwardingOpen.value && <ForwardingDialog onClose={() => (forwardingOpen.value = false)} />}
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
  let hint: string | null = null; // tooltip only: the top bar has little room
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
    case "unregistered":
      // Lost the registrar (PBX restart, network): the backend retries with backoff.
      label = reg.error
        ? t("registration.unregisteredWithReason", { reason: errorText(t, reg.error) })
        : t("registration.unregistered");
      if (reg.error) hint = t("registration.retrying");
      break;
    default:
      label = t("registration.unregistered");
  }
  const full = [detail ? `${label} (${detail})` : label, hint].filter(Boolean).join(". ");
  return (
    <span class={`pill pill--${reg.state}`} role="status" title={full}>
      <span class="pill__dot" aria-hidden="true" />
      <span class="pill__text">{label}</span>
      {detail && <span class="pill__detail">{detail}</span>}
    </span>
  );
}

/** The active forwarding rule, always visible in the top bar; null when none is active. */
function activeForwarding(t: Translate, fwd: Forwarding | undefined): string | null {
  if (!fwd) return null;
  if (fwd.unconditional && fwd.unconditional_to) return t("forwarding.activeAlways", { number: fwd.unconditional_to });
  const rules: string[] = [];
  if (fwd.busy && fwd.busy_to) rules.push(t("forwarding.activeBusy", { number: fwd.busy_to }));
  if (fwd.no_answer && fwd.no_answer_to)
    rules.push(t("forwarding.activeNoAnswer", { number: fwd.no_answer_to, seconds: fwd.no_answer_s }));
  return rules.length ? rules.join(", ") : null;
}
