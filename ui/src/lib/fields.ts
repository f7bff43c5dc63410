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
