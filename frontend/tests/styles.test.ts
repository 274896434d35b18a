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

// WCAG 2.x relative luminance and contrast ratio of two #rrggbb colours.
const luminance = (hex: string): number => {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
};
const contrast = (a: string, b: string): number => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
};

/** The custom properties of one block of tokens.css, var() references resolved. */
function palette(block: string, base: Record<string, string> = {}): Record<string, string> {
  const vars: Record<string, string> = { ...base };
  for (const m of block.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) vars[m[1]!] = m[2]!.trim();
  const resolve = (v: string, depth = 0): string => {
    const ref = /^var\((--[\w-]+)\)$/.exec(v);
    return ref && depth < 10 ? resolve(vars[ref[1]!] ?? "", depth + 1) : v;
  };
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, resolve(v)]));
}

describe("call card state colours", () => {
  const css = readFileSync(new URL("../src/styles/tokens.css", import.meta.url), "utf8");
  const light = palette(/:root \{([^}]*)\}/.exec(css)![1]!);
  const dark = palette(/:root\[data-theme="dark"\] \{([^}]*)\}/.exec(css)![1]!, light);
  const hue: Record<string, (r: number, g: number, b: number) => boolean> = {
    ringing: (r, g, b) => b > g && g > r, // blue
    connected: (r, g, b) => g > r && g > b, // green
    held: (r, g, b) => r > g && g > b, // amber
    conference: (r, g, b) => b > g && r > g, // purple
  };
  const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

  it.each([
    ["light", light],
    ["dark", dark],
  ] as const)("%s: tinted cards in the manual's colours, text at WCAG AA (4.5:1)", (_name, p) => {
    for (const state of Object.keys(hue)) {
      const card = p[`--state-${state}-card`]!;
      expect(card, state).toMatch(/^#[0-9a-f]{6}$/i);
      expect(hue[state]!(...rgb(card)), `${state} ${card}`).toBe(true);
      // Clearly tinted: the card stands apart from the plain surface an ended call keeps.
      expect(contrast(card, p["--bg-surface"]!), `${state} tint`).toBeGreaterThanOrEqual(1.2);
      for (const text of ["--text", "--text-muted", `--state-${state}-text`]) {
        expect(contrast(p[text]!, card), `${state}: ${text} on ${card}`).toBeGreaterThanOrEqual(4.5);
      }
    }
  });
});
