import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("tokens.css", () => {
  it("has identical dark palettes for the system preference and data-theme=dark", () => {
    const css = readFileSync(new URL("../src/styles/tokens.css", import.meta.url), "utf8");
    const media = /:root:not\(\[data-theme="light"\]\) \{([^}]*)\}/.exec(css)?.[1];
    const forced = /:root\[data-theme="dark"\] \{([^}]*)\}/.exec(css)?.[1];
    const norm = (s: string | undefined) => (s ?? "").split(";").map((d) => d.trim()).filter(Boolean);
    expect(norm(media).length).toBeGreaterThan(20);
    expect(norm(forced)).toEqual(norm(media));
  });
});
