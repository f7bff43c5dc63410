// Arranging a run's raw results for the explorer: filtered and sorted heatmap rows, what is
// behind one cell, and the verdicts on one pair. Every number comes from the stored scores
// and verdicts; this only selects and orders them.

import type { Score } from "./bindings";
import type { Evaluation } from "./evaluation";

export type Filters = { judge: string | null; criterion: string | null; model: string | null; input: string | null };
export const noFilters: Filters = { judge: null, criterion: null, model: null, input: null };

export type ScoreRow = {
  index: number;
  id: string;
  input: string;
  model: string;
  iteration: number;
  cells: (number | null)[];
  mean: number | null;
};

/** What a sort is by: a column of the score table, and which way. */
export type Sort = { by: "input" | "model" | "mean" | number; descending: boolean };

const average = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);

/** The criteria shown under `filters`, alphabetical. */
export function shownCriteria(e: Evaluation, filters: Filters): string[] {
  const all = [...new Set(e.run.scores.map((s) => s.criterion))].sort();
  return filters.criterion ? all.filter((c) => c === filters.criterion) : all;
}

/** One row per document that passes `filters`, its cells the mean per shown criterion. */
export function scoreRows(e: Evaluation, filters: Filters, sort: Sort | null): ScoreRow[] {
  const cols = shownCriteria(e, filters);
  const byDoc = new Map<string, Score[]>();
  for (const s of e.run.scores) {
    if (filters.judge && s.judge !== filters.judge) continue;
    byDoc.set(s.document_id, [...(byDoc.get(s.document_id) ?? []), s]);
  }
  const rows = e.run.documents
    .map((d, index) => ({ d, index }))
    .filter(({ d }) => (!filters.model || d.model === filters.model) && (!filters.input || d.input_name === filters.input))
    .map(({ d, index }) => {
      const scores = byDoc.get(d.id) ?? [];
      const cells = cols.map((c) => average(scores.filter((s) => s.criterion === c).map((s) => s.score)));
      const shown = scores.filter((s) => cols.includes(s.criterion)).map((s) => s.score);
      return { index, id: d.id, input: d.input_name ?? "?", model: d.model, iteration: d.iteration, cells, mean: average(shown) };
    });
  return sort ? sortRows(rows, sort) : rows;
}

/** `rows` sorted by `sort`; missing values last either way, ties in document order. */
export function sortRows(rows: ScoreRow[], sort: Sort): ScoreRow[] {
  const key = (r: ScoreRow): string | number | null =>
    sort.by === "input" ? r.input : sort.by === "model" ? r.model : sort.by === "mean" ? r.mean : (r.cells[sort.by] ?? null);
  return [...rows].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    if (x === null || y === null) return x === y ? a.index - b.index : x === null ? 1 : -1;
    const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return (sort.descending ? -order : order) || a.index - b.index;
  });
}

/** Every score behind one cell: each judge's score and reason per trial. */
export function cellScores(e: Evaluation, documentId: string, criterion: string | null, judge: string | null): Score[] {
  return e.run.scores
    .filter((s) => s.document_id === documentId && (!criterion || s.criterion === criterion) && (!judge || s.judge === judge))
    .sort((a, b) => a.judge.localeCompare(b.judge) || a.trial - b.trial || a.criterion.localeCompare(b.criterion));
}

/** A document's short name: input · model #iteration. */
export function documentName(e: Evaluation, id: string): string {
  const d = e.run.documents.find((x) => x.id === id);
  return d ? `${d.input_name ?? "?"} · ${d.model} #${d.iteration}` : id;
}

/** The judges' verdicts on the pair (`a`, `b`), in either order, with who won in words. */
export function pairVerdicts(e: Evaluation, a: string, b: string) {
  return e.run.pairwise
    .filter((v) => (v.doc_a === a && v.doc_b === b) || (v.doc_a === b && v.doc_b === a))
    .map((v) => ({
      judge: v.judge,
      trial: v.trial,
      shownFirst: documentName(e, v.shown_first === "B" ? v.doc_b : v.doc_a),
      winner: v.winner === "A" ? documentName(e, v.doc_a) : v.winner === "B" ? documentName(e, v.doc_b) : "tie",
      reason: v.reason,
    }))
    .sort((x, y) => x.judge.localeCompare(y.judge) || x.trial - y.trial);
}
