// Loads that can overlap (a filter typed into while an earlier list is still on its way):
// only the answer to the newest one may be shown, whatever order the answers arrive in.

/** A counter of loads: `begin()` starts one and returns whether it is still the newest. */
export function newestOnly(): { begin: () => () => boolean } {
  let newest = 0;
  return {
    begin() {
      const mine = ++newest;
      return () => mine === newest;
    },
  };
}
