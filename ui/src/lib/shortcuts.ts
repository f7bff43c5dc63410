// The app's keyboard shortcuts: one table, read by the key handler and the help overlay.

export type Action = "new-preset" | "run" | "switch-profile" | "search" | "runs" | "presets" | "library" | "settings" | "help";

export const shortcuts: { keys: string; action: Action; what: string }[] = [
  { keys: "Ctrl+N", action: "new-preset", what: "New preset" },
  { keys: "Ctrl+R", action: "run", what: "Run: the open run's preset again, or the first preset" },
  { keys: "Ctrl+P", action: "switch-profile", what: "Switch profile" },
  { keys: "Ctrl+F", action: "search", what: "Search the library" },
  { keys: "Ctrl+1", action: "runs", what: "Runs" },
  { keys: "Ctrl+2", action: "presets", what: "Presets" },
  { keys: "Ctrl+3", action: "library", what: "Library" },
  { keys: "Ctrl+4", action: "settings", what: "Settings" },
  { keys: "F1 or ?", action: "help", what: "This list of shortcuts" },
];

const byKey: Record<string, Action> = {
  n: "new-preset",
  r: "run",
  p: "switch-profile",
  f: "search",
  "1": "runs",
  "2": "presets",
  "3": "library",
  "4": "settings",
};

/** The action `event` asks for, if any. `?` counts only outside text fields. */
export function actionFor(event: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "target">): Action | null {
  if (event.altKey) return null;
  if (event.ctrlKey || event.metaKey) return byKey[event.key.toLowerCase()] ?? null;
  if (event.key === "F1") return "help";
  const target = event.target as { tagName?: string; isContentEditable?: boolean } | null;
  const typing = !!target && (["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName ?? "") || !!target.isContentEditable);
  return event.key === "?" && !typing ? "help" : null;
}
