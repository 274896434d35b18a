import { describe, expect, it } from "vitest";
import type { Ack, Call } from "../src/api/protocol";
import { Actions } from "../src/state/actions";
import { Store } from "../src/state/store";
import { UiState } from "../src/state/ui";
import { call, snapshot, fakeClient } from "./fixtures";

const connected = (fields: Partial<Call> = {}) =>
  call({ state: "connected", connected_at: 2_000, ...fields });

function setup(calls: Call[], reply: Ack<unknown> = { ok: true, result: {} }) {
  const client = fakeClient({}, reply);
  const sent = client.sent;
  const store = new Store({ schedule: () => () => {} });
  store.apply(snapshot({ calls }));
  const ui = new UiState();
  return { actions: new Actions(client, store, ui), ui, store, sent };
}

describe("transfer mode", () => {
  it("keypad digits go to the target number, not to the call as DTMF, and dial transfers", async () => {
    const a = connected({ id: "a" });
    const { actions, ui, sent } = setup([a]);
    actions.startTransfer(a);
    for (const key of "1003") actions.pressKey(key);
    expect(ui.number.value).toBe("1003");
    await actions.dial();
    expect(sent).toEqual([{ name: "call.transfer", args: { call_id: "a", target: "1003" } }]);
    expect(ui.transferFrom.value).toBeNull();
    expect(ui.number.value).toBe("");
  });

  it("outside transfer mode the same keys are DTMF and callOrTransfer dials", async () => {
    const a = connected({ id: "a" });
    const { actions, sent } = setup([a]);
    actions.pressKey("5");
    await actions.callOrTransfer("1004");
    expect(sent).toEqual([
      { name: "call.dtmf", args: { call_id: "a", digits: "5" } },
      { name: "call.dial", args: { number: "1004" } },
    ]);
  });

  it("a directory or colleague entry transfers immediately", async () => {
    const a = connected({ id: "a", state: "held" });
    const { actions, sent, ui } = setup([a]);
    actions.startTransfer(a);
    await actions.callOrTransfer("+41 44 123 45 67");
    expect(sent).toEqual([{ name: "call.transfer", args: { call_id: "a", target: "+41 44 123 45 67" } }]);
    expect(actions.transferring()).toBeUndefined();
    expect(ui.transferFrom.value).toBeNull();
  });

  it("Escape and Cancel leave the mode without touching the call", () => {
    const a = connected({ id: "a" });
    const { actions, sent } = setup([a]);
    actions.startTransfer(a);
    expect(actions.transferring()?.id).toBe("a");
    actions.escape();
    expect(actions.transferring()).toBeUndefined();
    actions.startTransfer(a);
    actions.cancelTransfer();
    expect(actions.transferring()).toBeUndefined();
    expect(sent).toEqual([]);
  });

  it("a refused transfer keeps the mode and is reported", async () => {
    const a = connected({ id: "a" });
    const { actions, ui } = setup([a], { ok: false, error: "invalid_state", field: null });
    actions.startTransfer(a);
    await actions.callOrTransfer("1003");
    expect(actions.transferring()?.id).toBe("a");
    expect(ui.notices.value.map((n) => n.error)).toEqual(["invalid_state"]);
  });

  it("ends by itself when the call ends", () => {
    const a = connected({ id: "a" });
    const { actions, store } = setup([a]);
    actions.startTransfer(a);
    store.apply(snapshot({ calls: [{ ...a, state: "ended" }] }));
    expect(actions.transferring()).toBeUndefined();
  });
});

describe("call limit", () => {
  it("four live calls fill every engine slot; an ended one frees its slot", async () => {
    const { atCallLimit } = await import("../src/state/selectors");
    const four = ["a", "b", "c", "d"].map((id) => connected({ id, state: "held" }));
    expect(atCallLimit(four.slice(0, 3))).toBe(false);
    expect(atCallLimit(four)).toBe(true);
    expect(atCallLimit([...four.slice(0, 3), { ...four[3]!, state: "ended" }])).toBe(false);
  });
});

describe("the manual's transfer gesture: Transfer on one call, then Transfer on the other", () => {
  it("the second call's Transfer connects the two and ends transfer mode", async () => {
    const a = connected({ id: "a", state: "held" });
    const b = connected({ id: "b" });
    const { actions, sent } = setup([b, a]);
    await actions.transferButton(a);
    expect(actions.transferring()?.id).toBe("a");
    expect(sent).toEqual([]);
    await actions.transferButton(b);
    expect(sent).toEqual([{ name: "call.transfer_attended", args: { call_id: "a", to_call_id: "b" } }]);
    expect(actions.transferring()).toBeUndefined();
  });

  it("the same call's Transfer again leaves transfer mode without transferring", async () => {
    const a = connected({ id: "a" });
    const { actions, sent } = setup([a]);
    await actions.transferButton(a);
    await actions.transferButton(a);
    expect(actions.transferring()).toBeUndefined();
    expect(sent).toEqual([]);
  });

  it("a refused attended transfer keeps transfer mode (the banner stays to try again)", async () => {
    const a = connected({ id: "a" });
    const b = connected({ id: "b", state: "held" });
    const { actions } = setup([b, a], { ok: false, error: "invalid_state", field: null });
    await actions.transferButton(a);
    await actions.transferButton(b);
    expect(actions.transferring()?.id).toBe("a");
  });
});
