import { describe, expect, it } from "vitest";
import { LANGUAGES } from "../src/i18n";
import { DICTIONARIES } from "../src/i18n";

/** Every (check, problem) the backend's engine/netcheck.py can report, and its parameters. */
const REPORTS: Record<string, Record<string, string[]>> = {
  pbx: {
    ok: ["host", "port", "transport", "rtt_ms"],
    slow: ["host", "rtt_ms"],
    no_answer: ["host", "port", "transport"],
    refused: ["host", "port", "transport"],
    tls_handshake: ["host", "port"],
    unreachable: ["host"],
    not_sip: ["host", "port"],
  },
  stun: {
    ok: ["public_address"],
    behind_nat: ["public_address", "local_address"],
    not_configured: [],
    no_answer: ["server"],
    not_stun: ["server"],
  },
  turn: { ok: ["server", "rtt_ms"], not_configured: [], no_answer: ["server"], not_turn: ["server"] },
  rtp_ports: { ok: ["first", "last"], mostly_busy: ["first", "last", "busy", "total"], all_busy: ["first", "last"] },
};

describe("network check sentences", () => {
  it.each(LANGUAGES.map((l) => [l]))("%s explains every result with the parameters it gets", (lang) => {
    const dict = DICTIONARIES[lang] as Record<string, string>;
    for (const [check, problems] of Object.entries(REPORTS)) {
      expect(dict[`netcheck.name.${check}`], `${lang} name ${check}`).toBeTruthy();
      for (const [problem, params] of Object.entries(problems)) {
        const text = dict[`netcheck.${check}.${problem}`];
        expect(text, `${lang} ${check}.${problem}`).toBeTruthy();
        const used = [...(text ?? "").matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        for (const name of used) expect(params, `${lang} ${check}.${problem} uses {${name}}`).toContain(name);
      }
    }
  });
});
