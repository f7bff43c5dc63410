import { describe, expect, it } from "vitest";
import { costText, fixed, money } from "./numbers";
import cases from "./rounding-cases.json";

describe("fixed", () => {
  it("rounds 3.625, 2.675 and 0.005 half away from zero, as core does", () => {
    expect(fixed(3.625, 2)).toBe("3.63");
    expect(fixed(2.675, 2)).toBe("2.68");
    expect(fixed(0.005, 2)).toBe("0.01");
  });

  it("passes every shared case (core's numbers::fixed passes the same file)", () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
    for (const [value, decimals, text] of cases as [number, number, string][]) {
      expect(fixed(value, decimals), `fixed(${value}, ${decimals})`).toBe(text);
    }
  });

  it("formats money with four decimals by default", () => {
    expect(money(0.00015)).toBe("$0.0002");
    expect(money(null)).toBe("unknown");
  });
});

describe("costText", () => {
  it("never shows an unknown price as zero", () => {
    expect(costText(0.5, 0, 3)).toBe("$0.5000");
    expect(costText(0, 2, 2)).toBe("unknown");
    expect(costText(0.25, 1, 3)).toBe("$0.2500 + unknown (1 call)");
    expect(costText(0.25, 2, 3)).toBe("$0.2500 + unknown (2 calls)");
  });
});
