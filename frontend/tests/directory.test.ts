import { describe, expect, it } from "vitest";
import type { Ack, CommandResult, Contact } from "../src/api/protocol";
import { DirectoryState } from "../src/state/directory";
import { fakeClient } from "./fixtures";

const contact = (id: number, name: string): Contact => ({
  id,
  source: "personal",
  name,
  given: name,
  family: "",
  display: "",
  org: "",
  email: "",
  internal: false,
  extension: "",
  numbers: [{ label: "mobile", number: "0791234567", e164: "+41791234567" }],
});

/** Searches wait until the test answers them (in any order); status answers at once. */
function fakeApi() {
  const pending: { query: string; resolve: (a: Ack<CommandResult<"directory.search">>) => void }[] = [];
  const api = fakeClient({
    "directory.search": ({ query }) => new Promise((resolve) => pending.push({ query, resolve })),
    "directory.status": () => ({ ok: true, result: { sources: [] } }),
  });
  return { api, pending };
}

describe("directory live search", () => {
  it("keeps the answer of the latest query when an older one arrives late", async () => {
    const { api, pending } = fakeApi();
    const dir = new DirectoryState(api);
    dir.keypad.query.value = "jo";
    const first = dir.keypad.run();
    dir.keypad.query.value = "jo mu";
    const second = dir.keypad.run();
    pending[1]!.resolve({ ok: true, result: { query: "jo mu", contacts: [contact(2, "John Muller")] } });
    await second;
    pending[0]!.resolve({ ok: true, result: { query: "jo", contacts: [contact(1, "Joe"), contact(2, "John Muller")] } });
    await first;
    expect(dir.keypad.results.value.map((c) => c.name)).toEqual(["John Muller"]);
  });

  it("does not search the keypad for one character and clears old matches", () => {
    const { api, pending } = fakeApi();
    const dir = new DirectoryState(api);
    dir.keypad.results.value = [contact(1, "Old")];
    dir.keypad.set("0");
    expect(pending).toHaveLength(0);
    expect(dir.keypad.results.value).toEqual([]);
  });

  it("re-runs shown searches when the directory changes and keeps sync statuses", () => {
    const { api, pending } = fakeApi();
    const dir = new DirectoryState(api);
    dir.tab.query.value = "";
    dir.keypad.query.value = "044";
    dir.apply({ type: "directory_changed" });
    expect(pending.map((p) => p.query)).toEqual(["", "044"]);
    const status = { source: "carddav" as const, configured: true, syncing: false, synced_at: 1, error: "server_unreachable" as const, count: 3, skipped: 0 };
    dir.apply({ type: "directory_status", sources: [status] });
    expect(dir.statuses.value).toEqual([status]);
  });
});
