/** Busy lamp field panel; filled by a later issue, an empty state for now. */

import { Pencil, UsersRound, X } from "lucide-preact";
import { useApp, useT } from "./context";
import { EmptyState } from "./EmptyState";

export function ColleaguesPanel() {
  const t = useT();
  const { ui } = useApp();
  return (
    <aside
      id="colleagues-panel"
      class={ui.colleaguesOpen.value ? "panel colleagues is-open" : "panel colleagues"}
      aria-labelledby="colleagues-title"
    >
      <div class="panel__header">
        <h2 id="colleagues-title" class="panel__title">
          {t("colleagues.title")}
        </h2>
        <div class="panel__actions">
          <span class="tooltip-host" title={t("topbar.comingSoon")}>
            <button type="button" class="icon-button" aria-label={t("colleagues.edit")} disabled>
              <Pencil size={16} />
            </button>
          </span>
          <button
            type="button"
            class="icon-button colleagues__close"
            aria-label={t("settings.close")}
            onClick={() => (ui.colleaguesOpen.value = false)}
          >
            <X size={16} />
          </button>
        </div>
      </div>
      <div class="panel__body">
        <EmptyState
          icon={<UsersRound size={22} />}
          title={t("colleagues.empty")}
          hint={t("colleagues.emptyHint")}
        />
      </div>
    </aside>
  );
}
