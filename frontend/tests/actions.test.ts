import { describe, expect, it } from "vitest";
import type { Ack, Call } from "../src/api/protocol";
import { Actions } from "../src/state/actions";
import { Store } from "../src/state/store";
import { UiState } from "../src/state/ui";
import { call, snapshot, fakeClient } from "./fixtures";

function setup(calls = [call()], reply: Ack<unknown> = { ok: true, result: {} }) {
  const client = fakeClient({}, reply);
  const sent = client.sent;
  const store = new Store({ schedule: () => () => {} });
  store.apply(snapshot({ calls }));
  const ui = new UiState();
  return { actions: new Actions(client, store, ui), sent, ui };
}

/** Actions whose commands wait until the test answers them (`answerNext`, oldest first);
 * `sent` holds each as `label` writes it. */
function setupUnanswered(calls: Call[], label: (name: string, args: Record<string, unknown>) => string) {
  const answers: (() => void)[] = [];
  const sent: string[] = [];
  const client = {
    send(name: string, args: Record<string, unknown>) {
      sent.push(label(name, args));
      return new Promise<Ack<unknown>>((resolve) => answers.push(() => resolve({ ok: true, result: {} })));
    },
    importFile: () => Promise.resolve({ ok: true, result: {} }),
  } as unknown as ConstructorParameters<typeof Actions>[0];
  const store = new Store({ schedule: () => () => {} });
  store.apply(snapshot({ calls }));
  return { actions: new Actions(client, store, new UiState()), sent, answerNext: () => answers.shift()?.() };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

/** `expected` goes out one command at a time: each only once the one before is answered. */
async function expectSentInTurn(sent: string[], answerNext: () => void, expected: string[]) {
  for (let i = 0; i < expected.length; i++) {
    if (i > 0) answerNext();
    await flush();
    expect(sent).toEqual(expected.slice(0, i + 1));
  }
}

describe("Actions", () => {
  it("Enter answers the ringing call when the number field is empty", async () => {
    const { actions, sent } = setup([call({ id: "r", state: "ringing_in" })]);
    actions.enter();
    await flush();
    expect(sent).toEqual([{ name: "call.answer", args: { call_id: "r" } }]);
  });

  it("Enter dials what was typed, and clears the field on success", async () => {
    const { actions, sent, ui } = setup([call({ id: "r", state: "ringing_in" })]);
    ui.number.value = " 1003 ";
    actions.enter();
    await flush();
    expect(sent).toEqual([{ name: "call.dial", args: { number: "1003" } }]);
    expect(ui.number.value).toBe("");
  });

  it("a failed dial keeps the number and shows a notice", async () => {
    const { actions, ui } = setup([], { ok: false, error: "not_registered", field: null });
    ui.number.value = "1003";
    await actions.dial();
    expect(ui.number.value).toBe("1003");
    expect(ui.notices.value.map((n) => n.error)).toEqual(["not_registered"]);
  });

  it("Escape rejects the newest call when it is ringing", async () => {
    const { actions, sent } = setup([
      call({ id: "old", state: "connected", created_at: 1 }),
      call({ id: "new", state: "ringing_in", created_at: 2 }),
    ]);
    actions.escape();
    await flush();
    expect(sent).toEqual([{ name: "call.reject", args: { call_id: "new" } }]);
  });

  it("Escape hangs up the newest active call, skipping ended ones", async () => {
    const { actions, sent } = setup([
      call({ id: "live", state: "connected", created_at: 1 }),
      call({ id: "gone", state: "ended", created_at: 2 }),
    ]);
    actions.escape();
    await flush();
    expect(sent).toEqual([{ name: "call.hangup", args: { call_id: "live" } }]);
  });

  it("keys go to the connected call as DTMF and into the number field", async () => {
    const { actions, sent, ui } = setup([
      call({ id: "held", state: "held", created_at: 3 }),
      call({ id: "talk", state: "connected", created_at: 2 }),
    ]);
    actions.pressKey("5");
    actions.pressKey("#");
    await flush();
    expect(ui.number.value).toBe("5#");
    expect(sent).toEqual([
      { name: "call.dtmf", args: { call_id: "talk", digits: "5" } },
      { name: "call.dtmf", args: { call_id: "talk", digits: "#" } },
    ]);
  });

  it("typed digits go one at a time, each once the previous is acknowledged", async () => {
    const { actions, sent, answerNext } = setupUnanswered(
      [call({ id: "talk", state: "connected" })],
      (name, args) => `${name}:${String(args.digits ?? "")}`,
    );
    for (const key of "42#") actions.pressKey(key);
    await expectSentInTurn(sent, answerNext, ["call.dtmf:4", "call.dtmf:2", "call.dtmf:#"]);
  });

  it("call commands go one at a time, whatever kind: mute, unmute and hold stay in that order", async () => {
    const talking = call({ id: "talk", state: "connected" });
    const { actions, sent, answerNext } = setupUnanswered([talking], (name, args) =>
      args.muted === undefined ? name : `${name}:${String(args.muted)}`,
    );
    void actions.toggleMute(talking);
    void actions.toggleMute({ ...talking, muted: true });
    void actions.hold(talking);
    await expectSentInTurn(sent, answerNext, ["call.mute:true", "call.mute:false", "call.hold"]);
  });

  it("no DTMF without a connected call, and never for '+'", async () => {
    const { actions, sent, ui } = setup([call({ state: "ringing_in" })]);
    actions.pressKey("1");
    await flush();
    expect(sent).toEqual([]);
    expect(ui.number.value).toBe("1");

    const connected = setup([call({ state: "connected" })]);
    connected.actions.pressKey("+");
    await flush();
    expect(connected.sent).toEqual([]);
  });
});
