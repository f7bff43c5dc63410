import { describe, expect, it } from "vitest";
import { criteria, heatmap, scoreColour } from "./evaluation";
import type { Evaluation } from "./evaluation";

const doc = (id: string, model: string) => ({
  id, model, input_id: "i", input_name: "In", iteration: 1, body: "", tokens_in: 0, tokens_out: 0,
  latency_ms: 0, cost: 0, status: "succeeded",
});
const score = (document_id: string, criterion: string, judge: string, s: number) => ({
  document_id, criterion, judge, trial: 1, score: s, reason: "",
});
const e = {
  run: {
    documents: [doc("d1", "m/a")],
    scores: [score("d1", "Clarity", "j1", 2), score("d1", "Clarity", "j2", 4), score("d1", "Accuracy", "j1", 5)],
  },
} as unknown as Evaluation;

describe("heatmap", () => {
  it("averages over judges, or shows one judge", () => {
    expect(criteria(e)).toEqual(["Accuracy", "Clarity"]);
    expect(heatmap(e, null)[0]!.cells).toEqual([5, 3]);
    expect(heatmap(e, "j2")[0]!.cells).toEqual([null, 4]);
  });

  it("colours 1 red, 3 amber and 5 green like the report", () => {
    expect(scoreColour(1)).toBe("rgb(215, 48, 31)");
    expect(scoreColour(3)).toBe("rgb(253, 200, 80)");
    expect(scoreColour(5)).toBe("rgb(26, 152, 80)");
  });
});
