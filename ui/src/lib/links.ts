// Links inside rendered documents: text a model wrote, so a click never navigates the app.
// The click is stopped here and the address handed to `onlink`, which shows it to the person;
// only if they choose to open it does the shell pass it to the system browser.

/** The address of the link a click landed in, or null when it was not on a link. */
export function linkAddress(target: EventTarget | null): string | null {
  const element = target as Element | null;
  if (!element || typeof element.closest !== "function") return null;
  const anchor = element.closest("a");
  if (!anchor) return null;
  return anchor.getAttribute("href") ?? "";
}

/** Svelte action: every click on a link inside `node` is stopped and reported to `onlink`. */
export function guardLinks(node: HTMLElement, onlink: (address: string) => void) {
  let report = onlink;
  const stop = (event: MouseEvent) => {
    const address = linkAddress(event.target);
    if (address === null) return;
    event.preventDefault();
    event.stopPropagation();
    if (event.type === "click") report(address);
  };
  node.addEventListener("click", stop);
  node.addEventListener("auxclick", stop);
  return {
    update(next: (address: string) => void) {
      report = next;
    },
    destroy() {
      node.removeEventListener("click", stop);
      node.removeEventListener("auxclick", stop);
    },
  };
}
