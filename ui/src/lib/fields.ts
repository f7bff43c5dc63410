// Core reports validation errors as "field: message" so a form can place them by its field.

/** Splits "models[0].temperature: must be between 0 and 2" into field and message. */
export function fieldError(message: string): { field: string | null; text: string } {
  const match = /^([A-Za-z_][\w.[\]]*): (.+)$/s.exec(message);
  return match ? { field: match[1]!, text: match[2]! } : { field: null, text: message };
}
