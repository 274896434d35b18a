import { describe, expect, it } from "vitest";
import type { Call } from "../src/api/protocol";
import { callSubtitle, parseSipUri, serverHost } from "../src/state/subtitle";

const call = (over: Partial<Call>): Call => ({
  id: "c1", direction: "incoming", state: "connected", number: "1002", display_name: "",
  remote_uri: "sip:1002@127.0.0.1:57683", created_at: 0, connected_at: 0, ended_at: null,
  muted: false, held: false, end_reason: null, sip_code: null, conference: false, transferred_by: "",
  retry_after_s: null, reason_text: "", actions: [], ...over,
});

describe("callSubtitle", () => {
  it("shows no raw URI for a plain extension on the own PBX", () => {
    expect(callSubtitle(call({}), "127.0.0.1:5060")).toBeNull();
    expect(callSubtitle(call({ display_name: "Bob" }), "127.0.0.1")).toBe("1002");
  });
  it("shows the URI when it is on another server", () => {
    const c = call({ remote_uri: "sip:1002@evil.example.net", display_name: "Bob" });
    expect(callSubtitle(c, "pbx.example.com")).toBe("sip:1002@evil.example.net");
  });
  it("shows the URI when its user part is not the number", () => {
    const c = call({ remote_uri: "sip:alice@pbx.example.com", number: "alice-cell", display_name: "Alice" });
    expect(callSubtitle(c, "PBX.example.com:5061")).toBe("sip:alice@pbx.example.com");
  });
  it("shows the URI when no account is known", () => {
    expect(callSubtitle(call({}), null)).toBe("sip:1002@127.0.0.1:57683");
  });
  it("parses hosts with ports and IPv6 literals", () => {
    expect(parseSipUri("sips:%31002@[::1]:5061;transport=tls")).toEqual({ user: "1002", host: "[::1]" });
    expect(parseSipUri("tel:+41441234567")).toBeNull();
    expect(parseSipUri("sip:a@b%zz")?.host).toBe("b%zz");
    expect(serverHost("[::1]:5060")).toBe("[::1]");
    expect(serverHost("sip:pbx.example.com:5060;transport=tcp")).toBe("pbx.example.com");
  });
});
