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

describe("ProfileOpener", () => {
  type Pending = { args: { reference: string; progress: { onmessage: (e: unknown) => void } }; resolve: (v: unknown) => void; reject: (e: unknown) => void };

  async function setup() {
    const core = await import("@tauri-apps/api/core");
    const pending: Pending[] = [];
    vi.mocked(core.invoke).mockImplementation(
      (_cmd, args) => new Promise((resolve, reject) => pending.push({ args: args as Pending["args"], resolve, reject })),
    );
    const { ProfileOpener } = await import("./session");
    return { opener: new ProfileOpener(), pending };
  }
  const session = (id: string) => ({ profile: { id }, status: { phase: "ready" } });
  const event = (profile_id: string) => ({ profile_id, status: { phase: "migrating" } });

  it("shows only the progress of the profile picked last, and drops an earlier pick that ends later", async () => {
    const { opener, pending } = await setup();
    const seenA: unknown[] = [];
    const seenB: unknown[] = [];
    const a = opener.open("a", null, (s) => seenA.push(s));
    const b = opener.open("b", null, (s) => seenB.push(s));
    await Promise.resolve();
    const [callA, callB] = pending;
    callA!.args.progress.onmessage(event("a"));
    callB!.args.progress.onmessage(event("a")); // an event naming another profile
    callB!.args.progress.onmessage(event("b"));
    expect(seenA).toEqual([]);
    expect(seenB).toEqual([{ phase: "migrating" }]);

    callB!.resolve(session("b"));
    callA!.resolve(session("a"));
    expect(await b).toEqual(session("b"));
    expect(await a).toBeNull();
  });

  it("treats SUPERSEDED as a dropped pick, and passes other failures on", async () => {
    const { opener, pending } = await setup();
    const first = opener.open("a", null, () => {});
    await Promise.resolve();
    pending[0]!.reject({ code: "SUPERSEDED", message: "another profile was chosen" });
    expect(await first).toBeNull();

    const second = opener.open("a", null, () => {});
    await Promise.resolve();
    pending[1]!.reject({ code: "KEY_MISSING", message: "gone" });
    await expect(second).rejects.toMatchObject({ code: "KEY_MISSING" });
  });
});
