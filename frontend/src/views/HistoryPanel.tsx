/** History tab: calls grouped by day, a missed-only filter, call back, delete with confirmation. */

import {
  BellOff,
  Clock,
  Phone,
  PhoneIncoming,
  PhoneForwarded,
  PhoneMissed,
  PhoneOff,
  PhoneOutgoing,
  Timer,
  Trash,
} from "lucide-preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { HistoryEntry, Language } from "../api/protocol";
import type { MessageKey } from "../i18n";
import { groupByDay, type DayGroup } from "../state/history";
import { formatDuration } from "../util/format";
import { useApp, useT } from "./context";
import { Dialog } from "./Dialog";
import { EmptyState } from "./EmptyState";

export function HistoryPanel() {
  const t = useT();
  const { history } = useApp();
  const [confirming, setConfirming] = useState(false);
  const missedOnly = history.filter.value === "missed";
  const entries = history.entries.value;

  useEffect(() => {
    if (!history.loaded.value) void history.load();
  }, []);

  return (
    <div class="history">
      <div class="history__toolbar">
        <label class="history__filter">
          <button
            type="button"
            role="switch"
            class="switch"
            aria-checked={missedOnly}
            aria-labelledby="history-missed-only"
            onClick={() => void history.setFilter(missedOnly ? "all" : "missed")}
          >
            <span class="switch__thumb" />
          </button>
          <span id="history-missed-only">{t("history.missedOnly")}</span>
        </label>
        <button
          type="button"
          class="button button--ghost history__delete"
          disabled={entries.length === 0 && !missedOnly}
          onClick={() => setConfirming(true)}
        >
          <Trash size={16} aria-hidden="true" />
          <span>{t("history.delete")}</span>
        </button>
      </div>
      {entries.length === 0 ? (
        history.loaded.value && (
          <EmptyState
            icon={<Clock size={22} />}
            title={t(missedOnly ? "history.emptyMissed" : "history.empty")}
            hint={missedOnly ? undefined : t("history.emptyHint")}
          />
        )
      ) : (
        <HistoryList entries={entries} />
      )}
      {confirming && <ConfirmDelete onClose={() => setConfirming(false)} />}
    </div>
  );
}

function HistoryList({ entries }: { entries: readonly HistoryEntry[] }) {
  const t = useT();
  const { history, language } = useApp();
  const groups = groupByDay(entries, Date.now());
  const more = useRef<HTMLButtonElement>(null);
  const hasMore = history.nextCursor.value !== null;

  // Infinite scroll: the "Load more" button fetches by itself when it scrolls into view.
  useEffect(() => {
    const target = more.current;
    if (!target || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver((seen) => {
      if (seen.some((e) => e.isIntersecting)) void history.loadMore();
    });
    observer.observe(target);
    return () => observer.disconnect();
  }, [hasMore, entries.length]);

  return (
    <div class="history__scroll">
      {groups.map((group) => (
        <section key={group.key} class="history__day" aria-label={dayLabel(t, group, language.value)}>
          <h3 class="history__day-title">{dayLabel(t, group, language.value)}</h3>
          <ul class="history__list">
            {group.entries.map((entry) => (
              <HistoryRow key={entry.id} entry={entry} />
            ))}
          </ul>
        </section>
      ))}
      {hasMore && (
        <button
          ref={more}
          type="button"
          class="button button--secondary history__more"
          disabled={history.loading.value}
          onClick={() => void history.loadMore()}
        >
          {t("history.loadMore")}
        </button>
      )}
    </div>
  );
}

/** One time formatter per language: building one costs ~0.25 ms, 50 per page add up. */
const timeFormats = new Map<string, Intl.DateTimeFormat>();
function timeFormat(language: string): Intl.DateTimeFormat {
  let format = timeFormats.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(language, { hour: "2-digit", minute: "2-digit" });
    timeFormats.set(language, format);
  }
  return format;
}

/**
 * The browser's first Intl.DateTimeFormat loads its locale data: ~0.6 s measured in Chromium
 * (bench/bench_history_browser.py). Done while idle after start, not when History opens.
 */
export function prewarmHistoryFormats(language: string): void {
  const warm = () => void timeFormat(language).format(Date.now());
  if (typeof requestIdleCallback === "function") requestIdleCallback(warm, { timeout: 5000 });
  else setTimeout(warm, 1000);
}

function dayLabel(t: (key: MessageKey) => string, group: DayGroup, language: Language): string {
  if (group.relative === "today") return t("history.today");
  if (group.relative === "yesterday") return t("history.yesterday");
  const sameYear = new Date(group.day).getFullYear() === new Date().getFullYear();
  return new Intl.DateTimeFormat(language, {
    weekday: "long",
    day: "numeric",
    month: "long",
    ...(sameYear ? {} : { year: "numeric" }),
  }).format(group.day);
}

function outcomeIcon(entry: HistoryEntry) {
  switch (entry.outcome) {
    case "missed":
      return PhoneMissed;
    case "rejected":
    case "busy":
    case "failed":
      return PhoneOff;
    case "refused_dnd":
      return BellOff;
    case "answered_elsewhere":
      return PhoneForwarded; // another phone took it: not a call to return
    default:
      return entry.direction === "incoming" ? PhoneIncoming : PhoneOutgoing;
  }
}

function HistoryRow({ entry }: { entry: HistoryEntry }) {
  const t = useT();
  const { actions, language } = useApp();
  const Icon = outcomeIcon(entry);
  const hasName = entry.display_name.trim() !== "";
  const name = hasName ? entry.display_name : entry.number || entry.remote_uri;
  const outcome = entry.outcome ?? "ongoing";
  const time = timeFormat(language.value).format(
    entry.started_at,
  );
  const direction = t(entry.direction === "incoming" ? "calls.incoming" : "calls.outgoing");

  const transferring = actions.transferring() !== undefined;
  const callLabel = transferring ? t("transfer.to", { name }) : t("history.callBack");
  const callBack = async () => {
    // Call back, or in transfer mode transfer the current call to this number (errors notified).
    await actions.callOrTransfer(entry.number);
  };

  return (
    <li class={`history-row history-row--${outcome}`}>
      <div class="history-row__icon" aria-hidden="true">
        <Icon size={16} />
      </div>
      <div class="history-row__who">
        {/* SIP text: rendered by Preact as text nodes, never as HTML. */}
        <div class="history-row__name">{name}</div>
        <div class="history-row__number">
          {hasName ? (
            <>
              <span class="visually-hidden">{direction}: </span>
              {entry.number}
            </>
          ) : (
            direction
          )}
        </div>
        {entry.end_reason === "encryption_refused" && (
          <div class="history-row__reason">
            {t(entry.direction === "incoming" ? "history.reason.noEncryptionIn" : "history.reason.noEncryptionOut")}
          </div>
        )}
      </div>
      <div class="history-row__meta">
        <span class="history-row__outcome">{t(`outcome.${outcome}` as MessageKey)}</span>
        <span class="history-row__time">
          <time dateTime={new Date(entry.started_at).toISOString()}>{time}</time>
          {entry.outcome === "answered" && (
            <span class="history-row__duration">
              <Timer size={12} aria-hidden="true" />
              <span class="visually-hidden">{t("history.duration")}: </span>
              {formatDuration(entry.duration_s * 1000)}
            </span>
          )}
        </span>
      </div>
      <button
        type="button"
        class={`button history-row__call ${transferring ? "transfer-target" : "button--success"}`}
        aria-label={callLabel}
        title={callLabel}
        disabled={!entry.number}
        onClick={() => void callBack()}
      >
        <Phone size={16} aria-hidden="true" />
      </button>
    </li>
  );
}

function ConfirmDelete({ onClose }: { onClose: () => void }) {
  const t = useT();
  const { history } = useApp();
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    const done = await history.deleteAll();
    setBusy(false);
    if (done) onClose();
  };
  return (
    <Dialog title={t("history.deleteTitle")} subtitle={t("history.deleteBody")} onClose={onClose}>
      <div class="dialog__actions">
        <button type="button" class="button button--secondary" onClick={onClose}>
          {t("account.cancel")}
        </button>
        <button type="button" class="button button--danger" disabled={busy} onClick={() => void confirm()}>
          {t("history.deleteConfirm")}
        </button>
      </div>
    </Dialog>
  );
}
