// One-shot requests from keyboard shortcuts to the screen that carries them out (a new
// preset, the Run dialog, the library's search). A request waits until that screen takes it,
// so a screen opened later never acts on an old one.

type Kind = "newPreset" | "run" | "search";

const pending = $state<Record<Kind, boolean>>({ newPreset: false, run: false, search: false });

/** Asks for `kind`. */
export function ask(kind: Kind): void {
  pending[kind] = true;
}

/** Whether `kind` is asked for (reactive: read it in an effect). */
export function asked(kind: Kind): boolean {
  return pending[kind];
}

/** Takes the request for `kind`: true once per ask. */
export function take(kind: Kind): boolean {
  if (!pending[kind]) return false;
  pending[kind] = false;
  return true;
}
