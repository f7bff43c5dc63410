// A Svelte action that focuses an element when it appears, so each screen's first field is
// ready for typing (a keyboard user does not have to Tab into it first).

/** `use:focusOnMount` on an input focuses it once mounted. */
export function focusOnMount(node: HTMLElement): void {
  queueMicrotask(() => node.focus());
}
