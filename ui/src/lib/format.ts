// Numbers and times for the app's screens, in the person's locale: counts with thousands
// separators, times in local time. Reports keep UTC and fixed formatting (byte-reproducible);
// these are for screens only.

/**
 * The person's locale; but the C/POSIX locale (a bare session, a container) groups no digits
 * at all, so it reads as English instead.
 */
function countFormat(): Intl.NumberFormat {
  const own = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  return /\D/.test(own.format(1234567)) ? own : new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
}

const counts = countFormat();

/** A whole number with the locale's thousands separators: 38732 → "38,732". */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : counts.format(n);
}

const times = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** An RFC 3339 time in local time ("2 Dec 2026, 22:40"); "—" for none. */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : times.format(ms);
}
