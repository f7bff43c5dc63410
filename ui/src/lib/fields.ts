// Core reports validation problems all at once, each with its field (`FieldProblem`), so a
// form can place each beside its field and list them all. Nothing here parses a message.

import type { FieldProblem } from "./bindings";

/** A problem as a line: "field: problem". */
export function problemLine(p: FieldProblem): string {
  return `${p.field}: ${p.problem}`;
}

/** Every problem by field (the first for each), and every one as a line. */
export function fieldErrors(problems: FieldProblem[]): { byField: Map<string, string>; all: string[] } {
  const byField = new Map<string, string>();
  for (const p of problems) {
    if (!byField.has(p.field)) byField.set(p.field, p.problem);
  }
  return { byField, all: problems.map(problemLine) };
}

/** The problem core found with `field`, if any. */
export function problemOf(problems: FieldProblem[], field: string): string | null {
  return problems.find((p) => p.field === field)?.problem ?? null;
}

/** The value at a problem's field path ("models[0].model", "roles.eval_criteria") in a draft, or its `config`. */
export function valueAt(draft: unknown, field: string): unknown {
  const steps = field.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== "");
  const walk = (from: unknown) =>
    steps.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), from);
  const top = walk(draft);
  return top !== undefined ? top : walk((draft as { config?: unknown } | null)?.config);
}

const same = (a: FieldProblem, b: FieldProblem) => a.field === b.field && a.problem === b.problem;

/**
 * The problems to show while a refused draft is being fixed: those a fresh check of the
 * current draft finds, plus those only the save could find (a taken name, content of the
 * wrong kind) for as long as their field still holds the refused value.
 */
export function standingProblems(
  refused: FieldProblem[],
  refusedDraft: unknown,
  fresh: FieldProblem[],
  current: unknown,
): FieldProblem[] {
  const kept = refused.filter(
    (p) =>
      !fresh.some((f) => same(f, p)) &&
      JSON.stringify(valueAt(current, p.field)) === JSON.stringify(valueAt(refusedDraft, p.field)),
  );
  return [...fresh, ...kept.filter((p) => !fresh.some((f) => f.field === p.field))];
}
