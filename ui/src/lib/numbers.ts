// How numbers are shown: the same rule as core's `numbers::fixed`, so a mean of 3.625 reads
// 3.63 in the app, the report and the CLI alike. Rounding is half away from zero at the shown
// precision, as the number's shortest decimal form reads (JavaScript's `toFixed` rounds the
// binary value instead: 2.675 → "2.67"). Both sides are tested on rounding-cases.json.

/** The shortest decimal form of |value| without exponent notation ("1e-7" → "0.0000001"). */
function plainDigits(value: number): string {
  const text = String(Math.abs(value));
  const match = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const digits = match[1]! + (match[2] ?? "");
  const point = 1 + Number(match[3]);
  if (point <= 0) return `0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + "0".repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** `value` with exactly `decimals` digits after the point, rounded half away from zero. */
export function fixed(value: number, decimals: number): string {
  if (!Number.isFinite(value)) return String(value);
  const [int, frac = ""] = plainDigits(value).split(".") as [string, string?];
  const digits = (int + frac.padEnd(decimals, "0").slice(0, decimals)).split("").map(Number);
  if (Number(frac[decimals] ?? "0") >= 5) {
    let i = digits.length - 1;
    while (i >= 0 && digits[i] === 9) digits[i--] = 0;
    if (i < 0) digits.unshift(1);
    else digits[i]! += 1;
  }
  const intLen = digits.length - decimals;
  const body = decimals > 0 ? `${digits.slice(0, intLen).join("")}.${digits.slice(intLen).join("")}` : digits.join("");
  return value < 0 && digits.some((d) => d !== 0) ? `-${body}` : body;
}

/** A US-dollar amount: `$0.0123`; a missing one is an unknown cost, never $0. */
export function money(value: number | null | undefined, decimals = 4): string {
  if (value === null || value === undefined) return "unknown";
  return `$${fixed(value, decimals)}`;
}

/**
 * A cost of which `unknown` of `calls` calls had no known price: those are not free, so the
 * text says so ("unknown", or "$0.1234 + unknown (2 calls)") instead of adding nothing.
 */
export function costText(known: number | null | undefined, unknown: number, calls: number): string {
  if (unknown === 0) return money(known);
  if (unknown >= calls) return "unknown";
  return `${money(known)} + unknown (${unknown} call${unknown === 1 ? "" : "s"})`;
}
