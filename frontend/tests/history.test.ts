import { describe, expect, it } from "vitest";
import type { HistoryEntry, HistoryListArgs } from "../src/api/protocol";
import { isServerEvent } from "../src/api/protocol";
import { groupByDay, HistoryState, upsertEntry } from "../src/state/history";
import { fakeClient, snapshot } from "./fixtures";

function entry(fields: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id: 1,
    call_id: "c1",
    direction: "incoming",
    number: "1002",
    display_name: "Bob",
    remote_uri: "sip:1002@pbx.test",
    started_at: 1_000,
    answered_at: null,
    ended_at: 2_000,
    duration_s: 0,
    outcome: "missed",
    internal: true,
    seen: false,
    end_reason: null,
    ...fields,
  };
}

/** A backend stand-in: keyset pages over `rows` (newest first), records every call. */
function fakeApi(rows: HistoryEntry[]) {
  const calls: HistoryListArgs[] = [];
  let marked = 0;
  let deleted = 0;
  const api = fakeClient({
    "history.list": (args) => {
      calls.push(args);
      const sorted = [...rows]
        .filter((r) => args.filter === "all" || r.outcome === "missed")
        .sort((a, b) => b.started_at - a.started_at || b.id - a.id);
      const start = args.before ? sorted.findIndex((r) => String(r.id) === args.before) + 1 : 0;
      const limit = args.limit ?? 50;
      const page = sorted.slice(start, start + limit);
      const more = start + limit < sorted.length;
      return { ok: true, result: { entries: page, next_cursor: more ? String(page.at(-1)?.id) : null } };
    },
    "history.delete_all": () => {
      deleted++;
      return { ok: true, result: {} };
    },
    "history.mark_seen": () => {
      marked++;
      return { ok: true, result: {} };
    },
  });
  return { api, calls, marked: () => marked, deleted: () => deleted };
}

const rows = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    entry({ id: i + 1, call_id: `c${i + 1}`, started_at: (i + 1) * 1000, outcome: i % 2 ? "missed" : "answered" }),
  );

describe("HistoryState", () => {
  it("loads newest first and pages with the cursor until there is no more", async () => {
    const { api, calls } = fakeApi(rows(7));
    const history = new HistoryState(api, () => {}, 3);
    await history.load();
    expect(history.entries.value.map((e) => e.id)).toEqual([7, 6, 5]);
    expect(history.nextCursor.value).toBe("5");
    await history.loadMore();
    await history.loadMore();
    expect(history.entries.value.map((e) => e.id)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(history.nextCursor.value).toBeNull();
    await history.loadMore(); // nothing left: no request
    expect(calls.map((c) => c.before)).toEqual([undefined, "5", "2"]);
  });

  it("the missed filter reloads from the first page with filter=missed", async () => {
    const { api, calls } = fakeApi(rows(6));
    const history = new HistoryState(api);
    await history.load();
    await history.setFilter("missed");
    expect(calls.at(-1)).toMatchObject({ filter: "missed" });
    expect(history.entries.value.every((e) => e.outcome === "missed")).toBe(true);
    expect(history.entries.value.map((e) => e.id)).toEqual([6, 4, 2]);
  });

  it("history_changed inserts new entries on top and updates known ones in place", async () => {
    const { api } = fakeApi(rows(2));
    const history = new HistoryState(api);
    await history.load();
    history.apply({ type: "history_changed", entry: entry({ id: 9, started_at: 50_000, outcome: null }) });
    expect(history.entries.value.map((e) => e.id)).toEqual([9, 2, 1]);
    history.apply({ type: "history_changed", entry: entry({ id: 9, started_at: 50_000, outcome: "answered" }) });
    expect(history.entries.value).toHaveLength(3);
    expect(history.entries.value[0]?.outcome).toBe("answered");
  });

  it("under the missed filter a running call appears only once it is missed", () => {
    const running = entry({ id: 5, outcome: null });
    expect(upsertEntry([], running, "missed", false)).toEqual([]);
    expect(upsertEntry([], { ...running, outcome: "missed" }, "missed", false)).toHaveLength(1);
    const answered = upsertEntry([entry({ id: 5 })], { ...running, outcome: "answered" }, "missed", false);
    expect(answered).toEqual([]);
  });

  it("an entry older than the loaded pages waits for its own page", () => {
    const loaded = [entry({ id: 3, started_at: 3000 }), entry({ id: 2, started_at: 2000 })];
    expect(upsertEntry(loaded, entry({ id: 1, started_at: 1000 }), "all", true)).toHaveLength(2);
    expect(upsertEntry(loaded, entry({ id: 1, started_at: 1000 }), "all", false)).toHaveLength(3);
  });

  it("missed count comes from the snapshot and missed_count events; mark seen only when needed", async () => {
    const fake = fakeApi([]);
    const history = new HistoryState(fake.api);
    history.apply({ ...snapshot(), missed_count: 3 });
    expect(history.missedCount.value).toBe(3);
    await history.markSeen();
    expect(fake.marked()).toBe(1);
    history.apply({ type: "missed_count", count: 0 });
    await history.markSeen();
    expect(fake.marked()).toBe(1);
  });

  it("delete empties the list; history_cleared from elsewhere does too", async () => {
    const fake = fakeApi(rows(3));
    const history = new HistoryState(fake.api);
    await history.load();
    expect(await history.deleteAll()).toBe(true);
    expect(fake.deleted()).toBe(1);
    expect(history.entries.value).toEqual([]);
    await history.load();
    history.apply({ type: "history_cleared" });
    expect(history.entries.value).toEqual([]);
    expect(history.nextCursor.value).toBeNull();
  });

  it("reports failures through onError, and a storage failure event too", async () => {
    const errors: string[] = [];
    const api = fakeClient({
      "history.list": () => ({ ok: false, error: "disconnected", field: null }),
      "history.delete_all": () => ({ ok: false, error: "storage_failed", field: null }),
    });
    const history = new HistoryState(api, (e) => errors.push(e));
    await history.load();
    expect(await history.deleteAll()).toBe(false);
    history.apply({ type: "history_write_failed", error: "storage_full" });
    expect(errors).toEqual(["disconnected", "storage_failed", "storage_full"]);
    expect(history.loading.value).toBe(false);
  });

  it("history events pass the incoming event filter", () => {
    expect(isServerEvent({ type: "history_changed", entry: entry() })).toBe(true);
    expect(isServerEvent({ type: "missed_count", count: 1 })).toBe(true);
    expect(isServerEvent({ type: "history_cleared" })).toBe(true);
  });
});

describe("groupByDay", () => {
  const at = (y: number, m: number, d: number, h = 12) => new Date(y, m - 1, d, h).getTime();

  it("labels today and yesterday and keeps older days as dates, in order", () => {
    const now = at(2026, 3, 10, 9);
    const groups = groupByDay(
      [
        entry({ id: 5, started_at: at(2026, 3, 10, 8) }),
        entry({ id: 4, started_at: at(2026, 3, 10, 0) }),
        entry({ id: 3, started_at: at(2026, 3, 9, 23) }),
        entry({ id: 2, started_at: at(2026, 3, 2) }),
        entry({ id: 1, started_at: at(2025, 12, 31) }),
      ],
      now,
    );
    expect(groups.map((g) => [g.key, g.relative, g.entries.map((e) => e.id)])).toEqual([
      ["2026-03-10", "today", [5, 4]],
      ["2026-03-09", "yesterday", [3]],
      ["2026-03-02", null, [2]],
      ["2025-12-31", null, [1]],
    ]);
  });

  it("yesterday is the previous calendar day even across a month boundary", () => {
    const groups = groupByDay([entry({ started_at: at(2026, 2, 28, 22) })], at(2026, 3, 1, 1));
    expect(groups[0]?.relative).toBe("yesterday");
  });
});
