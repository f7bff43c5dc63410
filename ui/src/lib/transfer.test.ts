import { describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => ({ Channel: class {}, invoke: vi.fn() }));

const { describeTransfer, progressChannel } = await import("./transfer");

describe("describeTransfer", () => {
  it("counts a phase with bytes", () => {
    const half = describeTransfer({ phase: "write", done: 512 * 1048576, total: 1024 * 1048576 });
    expect(half.label).toBe("Writing the bundle: 50% (512.0 of 1024.0 MiB)");
    expect(half.fraction).toBe(0.5);
  });

  it("never shows a finish it has not reached", () => {
    expect(describeTransfer({ phase: "read", done: 999, total: 1000 }).label).toContain("99%");
  });

  it("has no fraction for a phase without bytes", () => {
    expect(describeTransfer({ phase: "finish", done: 0, total: 0 })).toEqual({
      label: "Setting up the new profile…",
      fraction: null,
    });
  });
});

describe("progressChannel", () => {
  it("hands each report over", () => {
    const seen: unknown[] = [];
    const channel = progressChannel((p) => seen.push(p)) as unknown as { onmessage: (p: unknown) => void };
    channel.onmessage({ phase: "verify", done: 1, total: 2 });
    expect(seen).toEqual([{ phase: "verify", done: 1, total: 2 }]);
  });
});
