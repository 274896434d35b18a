import { describe, expect, it } from "vitest";
import { Store } from "../src/state/store";

describe("BLF line states", () => {
  it("line_state events update one colleague's dot and keep the others", () => {
    const store = new Store();
    store.apply({ type: "line_state", line: { extension: "1002", state: "free", dnd: false, pickup: false } });
    store.apply({ type: "line_state", line: { extension: "1003", state: "busy", dnd: true, pickup: false } });
    store.apply({ type: "line_state", line: { extension: "1002", state: "ringing", dnd: false, pickup: true } });
    expect(store.lines.value["1002"]).toEqual({ extension: "1002", state: "ringing", dnd: false, pickup: true });
    expect(store.lines.value["1003"]?.dnd).toBe(true);
  });
});
