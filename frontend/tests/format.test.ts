import { describe, expect, it } from "vitest";
import { formatDuration } from "../src/util/format";

describe("formatDuration", () => {
  it.each([
    [0, "00:00"],
    [999, "00:00"],
    [7_000, "00:07"],
    [65_000, "01:05"],
    [59 * 60_000 + 59_000, "59:59"],
    [3_600_000, "1:00:00"],
    [3_723_000, "1:02:03"],
    [36_000_000 + 5_000, "10:00:05"],
  ])("formats %i ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("treats a negative duration (clock skew) as zero", () => {
    expect(formatDuration(-5_000)).toBe("00:00");
  });
});
