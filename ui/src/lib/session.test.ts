import { describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => ({ Channel: class {}, invoke: vi.fn() }));

const { describeStatus } = await import("./session");

describe("describeStatus", () => {
  it("turns seeding progress into a label and a growing fraction", () => {
    const early = describeStatus({ phase: "seeding", progress: { done: 1, total: 11 } });
    const late = describeStatus({ phase: "seeding", progress: { done: 10, total: 11 } });
    expect(early.label).toBe("Adding starter content (1 of 11)…");
    expect(late.fraction).toBeGreaterThan(early.fraction);
    expect(late.fraction).toBeLessThan(1);
  });

  it("shows the reason of a failure", () => {
    expect(describeStatus({ phase: "failed", reason: "disk full" }).label).toContain("disk full");
  });

  it("is complete when ready", () => {
    expect(describeStatus({ phase: "ready", seed_version: 1, seeded_at: "x" }).fraction).toBe(1);
  });
});
