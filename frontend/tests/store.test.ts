import { describe, expect, it } from "vitest";
import { Store } from "../src/state/store";
import { call, manualScheduler, SETTINGS, snapshot } from "./fixtures";

function makeStore() {
  const timers = manualScheduler();
  const store = new Store({ schedule: timers.schedule, now: () => 9_000 });
  return { store, timers };
}

describe("Store", () => {
  it("is not ready and has no account before the first snapshot", () => {
    const { store } = makeStore();
    expect(store.ready.value).toBe(false);
    expect(store.account.value).toBeNull();
    expect(store.calls.value).toEqual([]);
  });

  it("snapshot replaces the whole state", () => {
    const { store } = makeStore();
    store.apply(snapshot({ calls: [call({ id: "old" })] }));
    store.apply({ type: "settings_changed", settings: { ...SETTINGS, language: "fr", theme: "dark" } });

    store.apply(
      snapshot({
        account: null,
        registration: { state: "unconfigured", error: null, code: null },
        calls: [call({ id: "new" })],
      }),
    );

    expect(store.ready.value).toBe(true);
    expect(store.account.value).toBeNull();
    expect(store.registration.value.state).toBe("unconfigured");
    expect(store.calls.value.map((c) => c.id)).toEqual(["new"]);
    expect(store.settings.value).toEqual(SETTINGS);
  });

  it("voicemail comes from the snapshot, then from voicemail events", () => {
    const { store } = makeStore();
    store.apply(snapshot({ voicemail: { waiting: true, new: 2, old: 1, account: "*97" } }));
    expect(store.voicemail.value.new).toBe(2);
    store.apply({ type: "voicemail", voicemail: { waiting: false, new: 0, old: 3, account: "" } });
    expect(store.voicemail.value).toEqual({ waiting: false, new: 0, old: 3, account: "" });
    store.apply(snapshot({}));
    expect(store.voicemail.value.waiting).toBe(false);
  });

  it("call_changed adds a new call and keeps the list newest first", () => {
    const { store } = makeStore();
    store.apply(snapshot({ calls: [call({ id: "a", created_at: 1 })] }));
    store.apply({ type: "call_changed", call: call({ id: "b", created_at: 5 }) });
    store.apply({ type: "call_changed", call: call({ id: "c", created_at: 3 }) });
    expect(store.calls.value.map((c) => c.id)).toEqual(["b", "c", "a"]);
  });

  it("call_changed replaces an existing call by id", () => {
    const { store } = makeStore();
    store.apply(snapshot({ calls: [call({ id: "a" })] }));
    store.apply({ type: "call_changed", call: call({ id: "a", state: "connected", connected_at: 2_000 }) });
    expect(store.calls.value).toHaveLength(1);
    expect(store.calls.value[0]?.state).toBe("connected");
    expect(store.calls.value[0]?.connected_at).toBe(2_000);
  });

  it("an ended call stays visible until its linger timer fires", () => {
    const { store, timers } = makeStore();
    store.apply(snapshot({ calls: [call({ id: "a", state: "connected" })] }));
    store.apply({
      type: "call_changed",
      call: call({ id: "a", state: "ended", end_reason: "hangup_remote", ended_at: 8_000 }),
    });
    store.apply({ type: "call_removed", call_id: "a" });

    expect(store.calls.value.map((c) => [c.id, c.state])).toEqual([["a", "ended"]]);
    expect(timers.size).toBe(1);
    timers.runAll();
    expect(store.calls.value).toEqual([]);
  });

  it("call_removed of a call not yet seen as ended shows it as ended, then removes it", () => {
    const { store, timers } = makeStore();
    store.apply(snapshot({ calls: [call({ id: "a", state: "connected" })] }));
    store.apply({ type: "call_removed", call_id: "a" });

    expect(store.calls.value[0]?.state).toBe("ended");
    expect(store.calls.value[0]?.ended_at).toBe(9_000);
    timers.runAll();
    expect(store.calls.value).toEqual([]);
  });

  it("call_removed for an unknown call is ignored", () => {
    const { store, timers } = makeStore();
    store.apply(snapshot({ calls: [call({ id: "a" })] }));
    store.apply({ type: "call_removed", call_id: "zzz" });
    expect(store.calls.value.map((c) => c.id)).toEqual(["a"]);
    expect(timers.size).toBe(0);
  });

  it("a new snapshot cancels pending removals", () => {
    const { store, timers } = makeStore();
    store.apply(snapshot({ calls: [call({ id: "a", state: "ended" })] }));
    expect(timers.size).toBe(1);
    store.apply(snapshot({ calls: [] }));
    expect(timers.size).toBe(0);
  });

  it("applies account, registration and settings changes", () => {
    const { store } = makeStore();
    store.apply(snapshot());
    store.apply({ type: "account_changed", account: null });
    store.apply({ type: "registration_changed", registration: { state: "failed", error: "auth_failed", code: 403 } });
    store.apply({ type: "settings_changed", settings: { ...SETTINGS, language: "de", theme: "light" } });
    expect(store.account.value).toBeNull();
    expect(store.registration.value).toEqual({ state: "failed", error: "auth_failed", code: 403 });
    expect(store.settings.value).toEqual({ ...SETTINGS, language: "de", theme: "light" });
  });
});
