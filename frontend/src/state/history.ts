/** Call history state: pages fetched with a cursor, kept current by history events. */

import { batch, signal, type Signal } from "@preact/signals";
import type { CommandClient } from "../api/client";
import type { CommandErrorKey, HistoryEntry, HistoryFilter, ServerEvent } from "../api/protocol";

export const HISTORY_PAGE_SIZE = 50;

/** Newest first; the id breaks ties like the backend's keyset order. */
export function compareEntries(a: HistoryEntry, b: HistoryEntry): number {
  return b.started_at - a.started_at || b.id - a.id;
}

export function matchesFilter(entry: HistoryEntry, filter: HistoryFilter): boolean {
  return filter === "all" || entry.outcome === "missed";
}

/**
 * Fold a created/updated entry into a loaded list. A new entry older than the last loaded row
 * while more pages exist is left out: it will come with the page that holds it.
 */
export function upsertEntry(
  entries: readonly HistoryEntry[],
  entry: HistoryEntry,
  filter: HistoryFilter,
  hasMore: boolean,
): HistoryEntry[] {
  const others = entries.filter((e) => e.id !== entry.id);
  if (!matchesFilter(entry, filter)) return others;
  const last = entries[entries.length - 1];
  const known = others.length !== entries.length;
  if (!known && hasMore && last && compareEntries(entry, last) > 0) return others;
  return [...others, entry].sort(compareEntries);
}

export interface DayGroup {
  /** Local calendar day, `YYYY-MM-DD`. */
  key: string;
  /** "today" / "yesterday", or null for older days (shown as a date). */
  relative: "today" | "yesterday" | null;
  /** Local midnight of that day, epoch ms. */
  day: number;
  entries: HistoryEntry[];
}

function localDay(ms: number): { key: string; day: number } {
  const d = new Date(ms);
  const midnight = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const pad = (n: number) => String(n).padStart(2, "0");
  return {
    key: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    day: midnight.getTime(),
  };
}

/** Consecutive entries of the same local day, labelled relative to `now`. */
export function groupByDay(entries: readonly HistoryEntry[], now: number): DayGroup[] {
  const today = localDay(now);
  const yesterdayDate = new Date(today.day);
  yesterdayDate.setDate(yesterdayDate.getDate() - 1); // not -24 h: DST days are 23 or 25 h
  const yesterday = localDay(yesterdayDate.getTime());
  const groups: DayGroup[] = [];
  for (const entry of entries) {
    const { key, day } = localDay(entry.started_at);
    let group = groups[groups.length - 1];
    if (!group || group.key !== key) {
      const relative = key === today.key ? "today" : key === yesterday.key ? "yesterday" : null;
      group = { key, relative, day, entries: [] };
      groups.push(group);
    }
    group.entries.push(entry);
  }
  return groups;
}

export class HistoryState {
  readonly entries: Signal<readonly HistoryEntry[]> = signal([]);
  readonly filter: Signal<HistoryFilter> = signal("all");
  readonly nextCursor: Signal<string | null> = signal(null);
  readonly loading: Signal<boolean> = signal(false);
  /** True once the first page of the current filter arrived. */
  readonly loaded: Signal<boolean> = signal(false);
  readonly missedCount: Signal<number> = signal(0);
  /** Bumped on every reload, so a page answering an older request is dropped. */
  private generation = 0;

  constructor(
    private readonly client: CommandClient,
    private readonly onError: (error: CommandErrorKey) => void = () => {},
    private readonly pageSize = HISTORY_PAGE_SIZE,
  ) {}

  apply(event: ServerEvent): void {
    switch (event.type) {
      case "snapshot":
        this.missedCount.value = event.missed_count;
        // After a reconnect the list may be stale: fetch it again if it was shown.
        if (this.loaded.value) void this.load();
        break;
      case "history_changed":
        this.entries.value = upsertEntry(
          this.entries.value,
          event.entry,
          this.filter.value,
          this.nextCursor.value !== null,
        );
        break;
      case "history_cleared":
        batch(() => {
          this.entries.value = [];
          this.nextCursor.value = null;
        });
        break;
      case "missed_count":
        this.missedCount.value = event.count;
        break;
      case "history_write_failed":
        this.onError(event.error);
        break;
    }
  }

  /** First page of the current filter (replaces the list). */
  async load(): Promise<void> {
    const generation = ++this.generation;
    this.loading.value = true;
    const ack = await this.client.send("history.list", { filter: this.filter.value, limit: this.pageSize });
    if (generation !== this.generation) return;
    batch(() => {
      this.loading.value = false;
      if (!ack.ok) return this.onError(ack.error);
      this.entries.value = [...ack.result.entries].sort(compareEntries);
      this.nextCursor.value = ack.result.next_cursor;
      this.loaded.value = true;
    });
  }

  /** The next older page, if there is one and nothing is loading. */
  async loadMore(): Promise<void> {
    const before = this.nextCursor.value;
    if (before === null || this.loading.value) return;
    const generation = this.generation;
    this.loading.value = true;
    const ack = await this.client.send("history.list", { filter: this.filter.value, before, limit: this.pageSize });
    if (generation !== this.generation) return;
    batch(() => {
      this.loading.value = false;
      if (!ack.ok) return this.onError(ack.error);
      const ids = new Set(this.entries.value.map((e) => e.id));
      const fresh = ack.result.entries.filter((e) => !ids.has(e.id));
      this.entries.value = [...this.entries.value, ...fresh].sort(compareEntries);
      this.nextCursor.value = ack.result.next_cursor;
    });
  }

  setFilter(filter: HistoryFilter): Promise<void> {
    if (filter === this.filter.value && this.loaded.value) return Promise.resolve();
    batch(() => {
      this.filter.value = filter;
      this.loaded.value = false;
    });
    return this.load();
  }

  async deleteAll(): Promise<boolean> {
    const ack = await this.client.send("history.delete_all", {});
    if (!ack.ok) {
      this.onError(ack.error);
      return false;
    }
    this.apply({ type: "history_cleared" }); // the event follows; do not wait for it
    return true;
  }

  /** The user looked at the history: missed calls no longer count on the badge. */
  async markSeen(): Promise<void> {
    if (this.missedCount.value === 0) return;
    const ack = await this.client.send("history.mark_seen", {});
    if (!ack.ok) this.onError(ack.error);
  }
}
