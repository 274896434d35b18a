import { describe, expect, it } from "vitest";
import { isServerEvent } from "../src/api/protocol";
import { LinkInbox } from "../src/state/links";
import { UiState } from "../src/state/ui";
import { fakeClient, snapshot } from "./fixtures";

function setup() {
  const ui = new UiState();
  const dismissed: number[] = [];
  const links = new LinkInbox(
    ui,
    fakeClient({
      "link.dismiss": ({ id }) => {
        dismissed.push(id);
        return { ok: true, result: {} };
      },
    }),
  );
  return { ui, links, dismissed };
}

describe("call links", () => {
  it("a dial request fills the keypad, asks for the Call focus once and is dismissed", () => {
    const { ui, links, dismissed } = setup();
    ui.tab.value = "history";
    ui.transferFrom.value = "call-a";

    links.apply({ type: "dial_requested", id: 3, number: "+41441234567", scheme: "tel" });

    expect(ui.tab.value).toBe("keypad");
    expect(ui.number.value).toBe("+41441234567");
    expect(ui.transferFrom.value).toBeNull(); // a link is a new call, never a transfer target
    expect(links.offeredNumber.value).toBe("+41441234567");
    expect(links.takeFocus()).toBe(true);
    expect(links.takeFocus()).toBe(false);
    expect(dismissed).toEqual([3]);
  });

  it("the same link in a later snapshot is not taken twice", () => {
    const { ui, links, dismissed } = setup();
    const link = { type: "dial_requested", id: 4, number: "1002", scheme: "sip" } as const;
    links.apply(snapshot({ pending_link: link }));
    ui.number.value = "";
    links.apply(link);
    links.apply(snapshot({ pending_link: link }));

    expect(ui.number.value).toBe("");
    expect(dismissed).toEqual([4]);
  });

  it("a refused link shows the reason and leaves the number alone", () => {
    const { ui, links } = setup();
    ui.number.value = "12";

    links.apply({ type: "link_refused", id: 5, reason: "hidden_characters" });

    expect(links.refusal.value).toBe("hidden_characters");
    expect(ui.number.value).toBe("12");
    expect(links.takeFocus()).toBe(false);
    links.numberChanged("123");
    expect(links.refusal.value).toBeNull();
  });

  it("link events pass the wire filter", () => {
    expect(isServerEvent({ type: "dial_requested", id: 1, number: "1", scheme: "tel" })).toBe(true);
    expect(isServerEvent({ type: "link_refused", id: 1, reason: "too_long" })).toBe(true);
  });
});
