import { describe, expect, it } from "vitest";
import { guardLinks, linkAddress } from "./links";

/** An element inside (or not inside) a link, as far as `closest("a")` goes. */
function inside(href: string | null) {
  return { closest: (sel: string) => (sel === "a" && href !== null ? { getAttribute: () => href } : null) };
}

function fakeClick(target: unknown, type = "click") {
  return {
    type,
    target,
    prevented: false,
    stopped: false,
    preventDefault() { this.prevented = true; },
    stopPropagation() { this.stopped = true; },
  };
}

describe("links in documents", () => {
  it("finds the address of the link a click landed in", () => {
    expect(linkAddress(inside("https://example.org/x") as unknown as EventTarget)).toBe("https://example.org/x");
    expect(linkAddress(inside(null) as unknown as EventTarget)).toBeNull();
    expect(linkAddress(null)).toBeNull();
  });

  it("stops every click on a link and reports it, and leaves other clicks alone", () => {
    const handlers: Record<string, (e: unknown) => void> = {};
    const node = { addEventListener: (t: string, h: (e: unknown) => void) => (handlers[t] = h), removeEventListener: () => {} };
    const seen: string[] = [];
    guardLinks(node as unknown as HTMLElement, (a) => seen.push(a));
    const onLink = fakeClick(inside("javascript:alert(1)"));
    handlers.click!(onLink);
    expect(onLink.prevented).toBe(true);
    expect(seen).toEqual(["javascript:alert(1)"]);
    const middle = fakeClick(inside("https://example.org"), "auxclick");
    handlers.auxclick!(middle);
    expect(middle.prevented).toBe(true);
    expect(seen).toHaveLength(1);
    const elsewhere = fakeClick(inside(null));
    handlers.click!(elsewhere);
    expect(elsewhere.prevented).toBe(false);
  });
});
