import { describe, expect, it } from "vitest";
import type { Headset } from "../src/api/protocol";
import { isServerEvent } from "../src/api/protocol";
import { Store } from "../src/state/store";
import { snapshot } from "./fixtures";

const jabra: Headset = {
  name: "Jabra EVOLVE LINK MS",
  vendor_id: 0x0b0e,
  product_id: 0x0307,
  telephony: true,
  reason_key: null,
  key: "0b0e:0307",
};
const gaming: Headset = { ...jabra, name: "G535", telephony: false, reason_key: "no_telephony" };

describe("headsets in the store", () => {
  it("come with the snapshot and are replaced by headsets_changed", () => {
    const store = new Store();
    store.apply({ ...snapshot({}), headsets: [jabra] });
    expect(store.headsets.value).toEqual([jabra]);
    const event = { type: "headsets_changed", headsets: [jabra, gaming] };
    expect(isServerEvent(event)).toBe(true);
    store.apply({ type: "headsets_changed", headsets: [jabra, gaming] });
    expect(store.headsets.value.map((h) => h.reason_key)).toEqual([null, "no_telephony"]);
  });

  it("are empty when an older backend's snapshot has none", () => {
    const store = new Store();
    store.apply({ type: "headsets_changed", headsets: [jabra] });
    store.apply(snapshot({}));
    expect(store.headsets.value).toEqual([]);
  });
});
