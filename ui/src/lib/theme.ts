// The app's theme: light, dark, or as the OS is set. The CSS reads `data-theme` on <html>;
// "system" leaves it to `prefers-color-scheme`.

import type { Theme } from "./bindings";

/** Applies `theme` to the document. */
export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === "system") delete root.dataset.theme;
  else root.dataset.theme = theme;
}
