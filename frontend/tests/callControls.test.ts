import { describe, expect, it } from "vitest";
import type { Ack, Call } from "../src/api/protocol";
import { Actions } from "../src/state/actions";
import { callControls, canConference } from "../src/state/selectors";
import { Store } from "../src/state/store";
import { UiState } from "../src/state/ui";
import { call, snapshot, fakeClient } from "./fixtures";

const connected = (fields: Partial<Call> = {}) =>
  call({ state: "connected", connected_at: 2_000, ...fields });

describe("callControls", () => {
  it("a connected call can be held, muted, transferred and take DTMF, not resumed", () => {
    const c = connected();
    expect(callControls(c, [c])).toEqual({
      hold: true,
      resume: false,
      mute: true,
      transfer: true,
      dtmf: true,
      transferTargets: [],
    });
  });

  it("a held call can be resumed and muted, but sends no DTMF", () => {
    const c = connected({ state: "held", held: true });
    const controls = callControls(c, [c]);
    expect(controls.hold).toBe(false);
    expect(controls.resume).toBe(true);
    expect(controls.mute).toBe(true);
    expect(controls.dtmf).toBe(false);
  });

  it("ringing and dialing calls allow none of the in-call controls", () => {
    for (const state of ["ringing_in", "dialing", "ringing_out", "connecting", "ended"] as const) {
      const c = call({ state });
      const { transferTargets, ...flags } = callControls(c, [c]);
      expect(Object.values(flags).some(Boolean), state).toBe(false);
      expect(transferTargets).toEqual([]);
    }
  });

  it("enables what the backend allows (Call.actions), not what the state suggests", () => {
    const c = connected({ actions: ["mute"] });
    const { transferTargets, ...flags } = callControls(c, [c, connected({ id: "b" })]);
    expect(flags).toEqual({ hold: false, resume: false, mute: true, transfer: false, dtmf: false });
    expect(transferTargets).toEqual([]);
    const other = connected({ id: "b", actions: [] });
    expect(callControls(connected(), [connected(), other]).transferTargets).toEqual([]);
  });

  it("offers the other talking calls as attended-transfer targets", () => {
    const a = connected({ id: "a" });
    const b = connected({ id: "b", state: "held" });
    const ringing = call({ id: "r", state: "ringing_in" });
    expect(callControls(a, [a, b, ringing]).transferTargets.map((c) => c.id)).toEqual(["b"]);
  });
});

describe("canConference", () => {
  it("needs two talking calls not all in the conference already", () => {
    const a = connected({ id: "a" });
    const b = connected({ id: "b", state: "held" });
    expect(canConference([a])).toBe(false);
    expect(canConference([a, call({ id: "r", state: "ringing_in" })])).toBe(false);
    expect(canConference([a, b])).toBe(true);
    expect(canConference([{ ...a, conference: true }, { ...b, state: "connected", conference: true }])).toBe(
      false,
    );
  });
});

function setup(calls: Call[]) {
  const reply: Ack<unknown> = { ok: true, result: {} };
  const client = fakeClient({}, reply);
  const sent = client.sent;
  const store = new Store({ schedule: () => () => {} });
  store.apply(snapshot({ calls }));
  return { actions: new Actions(client, store, new UiState()), sent };
}

describe("call control actions", () => {
  it("toggleHold holds a connected call and resumes a held one", async () => {
    const { actions, sent } = setup([]);
    await actions.toggleHold(connected({ id: "a" }));
    await actions.toggleHold(connected({ id: "b", state: "held" }));
    expect(actions.toggleHold(call({ state: "ringing_in" }))).toBeUndefined();
    expect(sent).toEqual([
      { name: "call.hold", args: { call_id: "a" } },
      { name: "call.resume", args: { call_id: "b" } },
    ]);
  });

  it("toggleMute asks for the opposite of what the backend last reported", async () => {
    const { actions, sent } = setup([]);
    await actions.toggleMute(connected({ id: "a", muted: false }));
    await actions.toggleMute(connected({ id: "a", muted: true }));
    expect(sent.map((s) => s.args)).toEqual([
      { call_id: "a", muted: true },
      { call_id: "a", muted: false },
    ]);
  });

  it("the card keypad sends DTMF digits to its own call only", async () => {
    const { actions, sent } = setup([connected({ id: "a" }), connected({ id: "b" })]);
    actions.sendDigit(connected({ id: "b" }), "5");
    actions.sendDigit(connected({ id: "b" }), "x");
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual([{ name: "call.dtmf", args: { call_id: "b", digits: "5" } }]);
  });

  it("transfer, attended transfer and conference send their commands", async () => {
    const a = connected({ id: "a" });
    const b = connected({ id: "b", state: "held" });
    const { actions, sent } = setup([a, b]);
    await actions.transfer(a, " 1003 ");
    await actions.transferToCall(a, b);
    await actions.conference();
    expect(sent).toEqual([
      { name: "call.transfer", args: { call_id: "a", target: "1003" } },
      { name: "call.transfer_attended", args: { call_id: "a", to_call_id: "b" } },
      { name: "call.conference", args: {} },
    ]);
  });
});
