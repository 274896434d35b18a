import { describe, expect, it } from "vitest";
import { matchesColleague } from "../src/views/DirectoryColleagues";

const helene = { extension: "2020", name: "Hélène Dupré" };

describe("matchesColleague", () => {
  it("ignores accents and case, matches word prefixes in any order", () => {
    expect(matchesColleague(helene, "helene")).toBe(true);
    expect(matchesColleague(helene, "DU hel")).toBe(true);
    expect(matchesColleague(helene, "lene")).toBe(false);
    expect(matchesColleague(helene, "helene mu")).toBe(false);
  });

  it("matches an extension prefix, and everyone for an empty query", () => {
    expect(matchesColleague(helene, "202")).toBe(true);
    expect(matchesColleague(helene, "2021")).toBe(false);
    expect(matchesColleague(helene, "  ")).toBe(true);
  });
});
