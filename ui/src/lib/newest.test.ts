import { describe, expect, it } from "vitest";

import { newestOnly } from "./newest";

describe("newestOnly", () => {
  it("lets only the newest of overlapping loads apply, even when an older one answers last", async () => {
    const loads = newestOnly();
    const shown: string[] = [];
    const load = async (answer: string, delay: number) => {
      const stillNewest = loads.begin();
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (stillNewest()) shown.push(answer);
    };
    // The unfiltered list (slow) is asked first, the filtered one (fast) second.
    await Promise.all([load("all items", 30), load("filtered", 0)]);
    expect(shown).toEqual(["filtered"]);
    await load("again", 0);
    expect(shown).toEqual(["filtered", "again"]);
  });
});
