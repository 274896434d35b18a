/** Centre column: Keypad, History and Directory tabs (WAI-ARIA tabs pattern). */

import { BookUser, Clock, Grid3x3 } from "lucide-preact";
import { useEffect } from "preact/hooks";
import { type PhoneTab } from "../state/ui";
import type { MessageKey } from "../i18n";
import { useApp, useT } from "./context";
import { DirectoryPanel } from "./DirectoryPanel";
import { HistoryPanel, prewarmHistoryFormats } from "./HistoryPanel";
import { Keypad } from "./Keypad";

const TABS: readonly { id: PhoneTab; label: MessageKey; icon: typeof Clock }[] = [
  { id: "keypad", label: "tabs.keypad", icon: Grid3x3 },
  { id: "history", label: "tabs.history", icon: Clock },
  { id: "directory", label: "tabs.directory", icon: BookUser },
];

export function PhoneTabs() {
  const t = useT();
  const { ui, history, language } = useApp();
  const current = ui.tab.value;
  const missed = history.missedCount.value;
  useEffect(() => prewarmHistoryFormats(language.value), [language.value]);

  // Looking at the history counts as seeing the missed calls (also those arriving meanwhile).
  useEffect(() => {
    if (current === "history" && missed > 0) void history.markSeen();
  }, [current, missed]);

  const onKeyDown = (e: KeyboardEvent) => {
    const index = TABS.findIndex((tab) => tab.id === current);
    let next = index;
    if (e.key === "ArrowRight") next = (index + 1) % TABS.length;
    else if (e.key === "ArrowLeft") next = (index - 1 + TABS.length) % TABS.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = TABS.length - 1;
    else return;
    e.preventDefault();
    const tab = TABS[next];
    if (!tab) return;
    ui.tab.value = tab.id;
    document.getElementById(`tab-${tab.id}`)?.focus();
  };

  return (
    <section class="panel phone" aria-label={t("tabs.label")}>
      <div class="tabs" role="tablist" aria-label={t("tabs.label")} onKeyDown={onKeyDown}>
        {TABS.map(({ id, label, icon: Icon }) => (
          <button
            key={id}
            id={`tab-${id}`}
            type="button"
            role="tab"
            class="tabs__tab"
            aria-selected={id === current}
            aria-controls={`tabpanel-${id}`}
            tabIndex={id === current ? 0 : -1}
            onClick={() => (ui.tab.value = id)}
          >
            <Icon size={16} />
            <span>{t(label)}</span>
            {id === "history" && missed > 0 && (
              <span class="count-badge count-badge--danger" data-testid="missed-badge">
                {missed}
                <span class="visually-hidden"> {t("history.missedBadge", { count: missed })}</span>
              </span>
            )}
          </button>
        ))}
      </div>
      <div
        id={`tabpanel-${current}`}
        role="tabpanel"
        aria-labelledby={`tab-${current}`}
        class={`tabpanel tabpanel--${current}`}
      >
        {current === "keypad" && <Keypad />}
        {current === "history" && <HistoryPanel />}
        {current === "directory" && <DirectoryPanel />}
      </div>
    </section>
  );
}
