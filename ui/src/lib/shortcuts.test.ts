import { describe, expect, it } from "vitest";
import { actionFor, shortcuts } from "./shortcuts";

const key = (k: string, extra: { ctrlKey?: boolean; altKey?: boolean; target?: unknown } = {}) =>
  ({ key: k, ctrlKey: false, metaKey: false, altKey: false, target: null, ...extra }) as Parameters<typeof actionFor>[0];

describe("shortcuts", () => {
  it("maps Ctrl+letter to the main actions", () => {
    expect(actionFor(key("n", { ctrlKey: true }))).toBe("new-preset");
    expect(actionFor(key("R", { ctrlKey: true }))).toBe("run");
    expect(actionFor(key("2", { ctrlKey: true }))).toBe("presets");
    expect(actionFor(key("n"))).toBeNull();
    expect(actionFor(key("n", { ctrlKey: true, altKey: true }))).toBeNull();
  });

  it("opens help with F1 anywhere and ? only outside text fields", () => {
    expect(actionFor(key("F1", { target: { tagName: "INPUT" } }))).toBe("help");
    expect(actionFor(key("?", { target: { tagName: "BODY" } }))).toBe("help");
    expect(actionFor(key("?", { target: { tagName: "INPUT" } }))).toBeNull();
  });

  it("lists every action it handles", () => {
    const listed = new Set(shortcuts.map((s) => s.action));
    for (const k of ["n", "r", "p", "f", "1", "2", "3", "4"]) {
      const action = actionFor(key(k, { ctrlKey: true }));
      expect(action && listed.has(action)).toBe(true);
    }
  });
});
