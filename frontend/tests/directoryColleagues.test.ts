import { describe, expect, it } from "vitest";
import { clearFound, matchesColleague, selectAll } from "../src/views/DirectoryColleagues";

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

const people = (...exts: string[]) => exts.map((extension) => ({ extension, name: `P${extension}` }));

describe("selectAll", () => {
  it("appends the matches not yet chosen, in list order, keeping the chosen ones first", () => {
    const chosen = people("9", "2");
    expect(selectAll(chosen, people("1", "2", "3"), 200).map((u) => u.extension)).toEqual(["9", "2", "1", "3"]);
  });

  it("stops at the limit and never removes anyone", () => {
    const chosen = people("1", "2");
    expect(selectAll(chosen, people("3", "4", "5"), 3).map((u) => u.extension)).toEqual(["1", "2", "3"]);
    expect(selectAll(people("1", "2", "3", "4"), people("5"), 3)).toHaveLength(4);
  });

  it("adds a colleague listed twice only once", () => {
    expect(selectAll([], people("7", "7"), 200)).toHaveLength(1);
  });
});

describe("clearFound", () => {
  it("unticks the matches and keeps the others (typed by hand or outside the search)", () => {
    const chosen = people("1", "2", "3");
    expect(clearFound(chosen, people("2", "3", "4")).map((u) => u.extension)).toEqual(["1"]);
    expect(clearFound(chosen, [])).toEqual(chosen);
  });
});
