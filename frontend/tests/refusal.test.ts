import { describe, expect, it } from "vitest";
import type { Call } from "../src/api/protocol";
import { translator } from "../src/i18n";
import { refusalText } from "../src/state/refusal";

const call = (over: Partial<Call>): Call => ({
  id: "c1", direction: "outgoing", state: "ended", number: "1005", display_name: "",
  remote_uri: "sip:1005@pbx", created_at: 0, connected_at: null, ended_at: 1,
  muted: false, held: false, end_reason: "busy", sip_code: 486, conference: false, transferred_by: "",
  retry_after_s: null, reason_text: "", actions: [], ...over,
});

describe("refusalText", () => {
  const t = translator("en");
  it("says nothing when the far end said nothing more", () => {
    expect(refusalText(t, call({}))).toBeNull();
    expect(refusalText(t, call({ reason_text: "", retry_after_s: null }))).toBeNull();
    expect(refusalText(t, call({ retry_after_s: 0 }))).toBeNull();
  });
  it("quotes the reason isolated from the surrounding text, and the retry delay", () => {
    const text = refusalText(t, call({ reason_text: "In a meeting", retry_after_s: 300 }));
    expect(text).toBe("They said: “\u2068In a meeting\u2069” · Try again in 5 min");
  });
  it("rounds a delay up to minutes from one minute on, seconds below", () => {
    expect(refusalText(t, call({ retry_after_s: 61 }))).toBe("Try again in 2 min");
    expect(refusalText(t, call({ retry_after_s: 30 }))).toBe("Try again in 30 s");
  });
  it("is translated", () => {
    expect(refusalText(translator("fr"), call({ retry_after_s: 120 }))).toBe("Réessayez dans 2 min");
  });
});
