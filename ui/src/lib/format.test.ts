import { describe, expect, it } from "vitest";
import { count, localTime } from "./format";

describe("format", () => {
  it("groups thousands in the locale's way", () => {
    expect(count(38732)).toBe(new Intl.NumberFormat().format(38732));
    expect(count(38732)).not.toBe("38732");
    expect(count(null)).toBe("—");
  });

  it("shows times in local time, not UTC text", () => {
    const iso = "2026-03-14T09:30:00Z";
    expect(localTime(iso)).toBe(
      new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(Date.parse(iso)),
    );
    expect(localTime(iso)).not.toContain("T09:30");
    expect(localTime(null)).toBe("—");
  });
});
