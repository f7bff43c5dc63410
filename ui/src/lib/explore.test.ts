import { describe, expect, it } from "vitest";
import type { Evaluation } from "./evaluation";
import { cellScores, noFilters, pairVerdicts, scoreRows, shownCriteria } from "./explore";

const doc = (id: string, model: string, input: string, iteration = 1) => ({ id, model, input_name: input, iteration });
const score = (document_id: string, criterion: string, judge: string, s: number, trial = 1) => ({
  document_id, criterion, judge, trial, score: s, reason: `${judge} on ${criterion}`,
});
const e = {
  run: {
    documents: [doc("d1", "m/a", "In1"), doc("d2", "m/b", "In1"), doc("d3", "m/a", "In2"), doc("d4", "m/c", "In2")],
    scores: [
      score("d1", "Clarity", "j1", 2), score("d1", "Clarity", "j2", 4), score("d1", "Depth", "j1", 5),
      score("d2", "Clarity", "j1", 5), score("d2", "Depth", "j1", 1),
      score("d3", "Clarity", "j1", 3, 1), score("d3", "Clarity", "j1", 4, 2),
    ],
    pairwise: [
      { doc_a: "d1", doc_b: "d2", judge: "j1", trial: 1, winner: "B", shown_first: "A", reason: "d2 is clearer" },
      { doc_a: "d1", doc_b: "d2", judge: "j1", trial: 1, winner: "B", shown_first: "B", reason: "again d2" },
      { doc_a: "d3", doc_b: "d4", judge: "j1", trial: 1, winner: null, shown_first: "A", reason: "even" },
    ],
  },
} as unknown as Evaluation;

describe("scoreRows", () => {
  it("averages every judge and trial per criterion, with a row mean", () => {
    const rows = scoreRows(e, noFilters, null);
    expect(rows.map((r) => r.cells)).toEqual([[3, 5], [5, 1], [3.5, null], [null, null]]);
    expect(rows.map((r) => r.mean)).toEqual([11 / 3, 3, 3.5, null]);
  });

  it("filters by judge, criterion, model and input", () => {
    expect(scoreRows(e, { ...noFilters, judge: "j2" }, null)[0]!.cells).toEqual([4, null]);
    expect(shownCriteria(e, { ...noFilters, criterion: "Depth" })).toEqual(["Depth"]);
    expect(scoreRows(e, { ...noFilters, criterion: "Depth" }, null).map((r) => r.cells)).toEqual([[5], [1], [null], [null]]);
    expect(scoreRows(e, { ...noFilters, model: "m/a" }, null).map((r) => r.id)).toEqual(["d1", "d3"]);
    expect(scoreRows(e, { ...noFilters, input: "In2" }, null).map((r) => r.id)).toEqual(["d3", "d4"]);
  });

  it("sorts by any column either way, unscored last", () => {
    const by = (sort: Parameters<typeof scoreRows>[2]) => scoreRows(e, noFilters, sort).map((r) => r.id);
    expect(by({ by: 0, descending: true })).toEqual(["d2", "d3", "d1", "d4"]);
    expect(by({ by: 0, descending: false })).toEqual(["d1", "d3", "d2", "d4"]);
    expect(by({ by: "mean", descending: true })).toEqual(["d1", "d3", "d2", "d4"]);
    expect(by({ by: "model", descending: true })).toEqual(["d4", "d2", "d1", "d3"]);
  });
});

describe("drill-down", () => {
  it("opens each judge's score and reason per trial behind a cell", () => {
    const s = cellScores(e, "d3", "Clarity", null);
    expect(s.map((x) => [x.judge, x.trial, x.score])).toEqual([["j1", 1, 3], ["j1", 2, 4]]);
    expect(cellScores(e, "d1", "Clarity", "j2").map((x) => x.reason)).toEqual(["j2 on Clarity"]);
  });

  it("lists a pair's verdicts in either order, naming the winner", () => {
    const v = pairVerdicts(e, "d2", "d1");
    expect(v).toHaveLength(2);
    expect(v.map((x) => x.winner)).toEqual(["In1 · m/b #1", "In1 · m/b #1"]);
    expect(v.map((x) => x.shownFirst)).toEqual(["In1 · m/a #1", "In1 · m/b #1"]);
    expect(pairVerdicts(e, "d3", "d4")[0]!.winner).toBe("tie");
  });
});
