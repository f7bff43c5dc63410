// Edits not yet saved, by the component holding them, so leaving a screen can ask first
// instead of dropping them silently.

const pending = $state<Record<string, string>>({});

/** Marks `what` (e.g. `preset “Briefings”`) as edited but unsaved under `key`, or clears it. */
export function setUnsaved(key: string, what: string | null): void {
  if (what === null) delete pending[key];
  else pending[key] = what;
}

/** What is unsaved right now. */
export function unsavedEdits(): string[] {
  return Object.values(pending);
}

/** Forgets every unsaved edit (the person chose to discard them). */
export function discardUnsaved(): void {
  for (const key of Object.keys(pending)) delete pending[key];
}
