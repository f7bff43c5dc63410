import { describe, expect, it } from "vitest";
import { ask, asked, take } from "./requests.svelte";

describe("shortcut requests", () => {
  it("are taken once, so a screen opened later never acts on an old one", () => {
    expect(take("run")).toBe(false);
    ask("run");
    expect(asked("run")).toBe(true);
    expect(take("run")).toBe(true);
    expect(take("run")).toBe(false);
    expect(asked("run")).toBe(false);
    expect(asked("search")).toBe(false);
  });
});
