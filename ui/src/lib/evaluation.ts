// Shaping a run's results for the Evaluation tabs. The numbers come from core; this only
// arranges them into rows and cells.

import type { RunEvaluation_Serialize } from "./bindings";

export type Evaluation = RunEvaluation_Serialize;

/** Criteria in alphabetical order. */
export function criteria(e: Evaluation): string[] {
  return [...new Set(e.run.scores.map((s) => s.criterion))].sort();
}

/** Judges in alphabetical order. */
export function judges(e: Evaluation): string[] {
  return [...new Set(e.run.scores.map((s) => s.judge))].sort();
}

/** Mean score per document and criterion, over every judge or just `judge`. */
export function heatmap(e: Evaluation, judge: string | null): { label: string; cells: (number | null)[] }[] {
  const cols = criteria(e);
  return e.run.documents.map((d) => ({
    label: `${d.input_name ?? "?"} · ${d.model}`,
    cells: cols.map((c) => {
      const v = e.run.scores
        .filter((s) => s.document_id === d.id && s.criterion === c && (judge === null || s.judge === judge))
        .map((s) => s.score);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
    }),
  }));
}

/** CSS colour for a 1–5 score, the same scale as the HTML report. */
export function scoreColour(score: number): string {
  const t = Math.min(1, Math.max(0, (score - 1) / 4));
  const [from, to, u] =
    t < 0.5 ? [[215, 48, 31], [253, 200, 80], t * 2] : [[253, 200, 80], [26, 152, 80], (t - 0.5) * 2];
  const mix = (i: number) => Math.round((from as number[])[i]! + (((to as number[])[i]! - (from as number[])[i]!) * (u as number)));
  return `rgb(${mix(0)}, ${mix(1)}, ${mix(2)})`;
}

/** Seconds between two RFC 3339 times. */
export function secondsBetween(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / 1000;
}
