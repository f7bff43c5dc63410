// Core reports validation problems as "field: message", one per line, all at once, so a form
// can place each beside its field and list them all.

const FIELD_LINE = /^([A-Za-z_][\w.[\]]*): (.+)$/s;

/** Splits "models[0].temperature: must be between 0 and 2" into field and message. */
export function fieldError(message: string): { field: string | null; text: string } {
  const match = FIELD_LINE.exec(message);
  return match ? { field: match[1]!, text: match[2]! } : { field: null, text: message };
}

/** Every problem of a (possibly multi-line) message, by field; lines without a field in `other`. */
export function fieldErrors(message: string): { byField: Map<string, string>; other: string[]; all: string[] } {
  const byField = new Map<string, string>();
  const other: string[] = [];
  const all = message.split("\n").filter((line) => line.trim() !== "");
  for (const line of all) {
    const { field, text } = fieldError(line);
    if (field === null) other.push(text);
    else if (!byField.has(field)) byField.set(field, text);
  }
  return { byField, other, all };
}

/** The value at a problem's field path ("models[0].model", "roles.eval_criteria") in a draft, or its `config`. */
export function valueAt(draft: unknown, field: string): unknown {
  const steps = field.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== "");
  const walk = (from: unknown) =>
    steps.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), from);
  const top = walk(draft);
  return top !== undefined ? top : walk((draft as { config?: unknown } | null)?.config);
}

/**
 * The problems to show while a refused draft is being fixed: those a fresh check of the
 * current draft finds, plus those only the save could find (a taken name, content of the
 * wrong kind) for as long as their field still holds the refused value.
 */
export function standingProblems(refused: string[], refusedDraft: unknown, fresh: string[], current: unknown): string[] {
  const kept = refused.filter((line) => {
    if (fresh.includes(line)) return false;
    const { field } = fieldError(line);
    return field !== null && JSON.stringify(valueAt(current, field)) === JSON.stringify(valueAt(refusedDraft, field));
  });
  return [...fresh, ...kept.filter((line) => !fresh.some((f) => fieldError(f).field === fieldError(line).field))];
}
