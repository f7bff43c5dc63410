//! How numbers are shown: one rounding rule for the report, the CLI and (through the same
//! cases, `ui/src/lib/rounding-cases.json`) the app.
//!
//! A number is rounded **half away from zero at the shown precision, as its shortest decimal
//! form reads**: 3.625 → 3.63, 2.675 → 2.68, 0.005 → 0.01, −2.675 → −2.68. Rust's `{:.2}`
//! rounds the binary value half to even (3.625 → 3.62, 2.675 → 2.67), and JavaScript's
//! `toFixed` the binary value half up (3.625 → 3.63, 2.675 → 2.67), so neither is used for a
//! shown number. The shortest decimal form is the one `Display` prints (and JavaScript's
//! `String`), the digits a person would read if the value were printed in full. A value that
//! rounds to zero shows no minus sign.

/// `value` with exactly `decimals` digits after the point, rounded as the module says.
/// Infinite and NaN values print as Rust prints them.
pub fn fixed(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    // Shortest round-trip form, never in exponent notation for f64.
    let shortest = format!("{}", value.abs());
    let (int, frac) = shortest.split_once('.').unwrap_or((&shortest, ""));
    let mut digits: Vec<u8> = int.bytes().map(|b| b - b'0').collect();
    let int_len = digits.len();
    let frac: Vec<u8> = frac.bytes().map(|b| b - b'0').collect();
    digits.extend((0..decimals).map(|i| frac.get(i).copied().unwrap_or(0)));
    if frac.get(decimals).is_some_and(|&d| d >= 5) {
        // Carry from the last kept digit leftwards.
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let int_len = int_len + (digits.len() - int_len - decimals);
    let mut out = String::with_capacity(digits.len() + 2);
    if value < 0.0 && digits.iter().any(|&d| d != 0) {
        out.push('-');
    }
    for (i, d) in digits.iter().enumerate() {
        if i == int_len {
            out.push('.');
        }
        out.push(char::from(b'0' + d));
    }
    out
}

/// [`fixed`] with a sign: `+0.25`, `-0.25`, and `0.00` for zero.
pub fn signed(value: f64, decimals: usize) -> String {
    let text = fixed(value, decimals);
    if text.starts_with('-') || text.bytes().all(|b| b == b'0' || b == b'.') {
        text
    } else {
        format!("+{text}")
    }
}

/// A cost in US dollars of which `unknown` of `calls` calls had no known price: those are not
/// free, so the text says so (`unknown`, or `$0.1234 + unknown (2 calls)`) instead of adding
/// nothing. The UI's `costText` passes the same cases.
pub fn cost_text(known: f64, unknown: i64, calls: i64, decimals: usize) -> String {
    if unknown <= 0 {
        return format!("${}", fixed(known, decimals));
    }
    if unknown >= calls {
        return "unknown".into();
    }
    let s = if unknown == 1 { "" } else { "s" };
    format!("${} + unknown ({unknown} call{s})", fixed(known, decimals))
}

/// A dollar amount a person set or must compare with one (a budget): at least cents, and
/// as many more digits (up to six) as it needs, so `$0.005` is never shown as `$0.01`.
pub fn usd_exact(value: f64) -> String {
    let text = fixed(value, 6);
    let Some((int, frac)) = text.split_once('.') else {
        return format!("${text}");
    };
    let frac = frac.trim_end_matches('0');
    let frac = if frac.len() < 2 {
        format!("{frac:0<2}")
    } else {
        frac.to_owned()
    };
    format!("${int}.{frac}")
}

/// One call's cost: `$0.001200`, or `unknown`.
pub fn one_cost(cost: Option<f64>, decimals: usize) -> String {
    cost.map_or_else(|| "unknown".into(), |c| format!("${}", fixed(c, decimals)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unknown_cost_is_never_shown_as_zero() {
        assert_eq!(cost_text(0.5, 0, 3, 4), "$0.5000");
        assert_eq!(cost_text(0.0, 2, 2, 4), "unknown");
        assert_eq!(cost_text(0.25, 1, 3, 4), "$0.2500 + unknown (1 call)");
        assert_eq!(cost_text(0.25, 2, 3, 4), "$0.2500 + unknown (2 calls)");
        assert_eq!(one_cost(None, 6), "unknown");
        assert_eq!(one_cost(Some(0.0012), 6), "$0.001200");
    }

    #[test]
    fn a_budget_is_shown_with_the_digits_it_has() {
        assert_eq!(usd_exact(0.01), "$0.01");
        assert_eq!(usd_exact(0.005), "$0.005");
        assert_eq!(usd_exact(0.0062), "$0.0062");
        assert_eq!(usd_exact(2.0), "$2.00");
        assert_eq!(usd_exact(0.1234567), "$0.123457");
    }

    use super::*;

    #[test]
    fn halves_round_away_from_zero_as_the_decimal_reads() {
        assert_eq!(fixed(3.625, 2), "3.63");
        assert_eq!(fixed(2.675, 2), "2.68");
        assert_eq!(fixed(0.005, 2), "0.01");
        assert_eq!(fixed(-2.675, 2), "-2.68");
        assert_eq!(fixed(9.995, 2), "10.00");
        assert_eq!(fixed(2.5, 0), "3");
        assert_eq!(fixed(-0.001, 2), "0.00", "no minus sign on a zero");
        assert_eq!(fixed(1031.7, 1), "1031.7");
        assert_eq!(fixed(1e-7, 6), "0.000000");
        assert_eq!(fixed(5e-7, 6), "0.000001");
        assert_eq!(signed(0.25, 2), "+0.25");
        assert_eq!(signed(-0.25, 2), "-0.25");
        assert_eq!(signed(0.0, 2), "0.00");
    }

    /// The cases the UI's `fixed` is tested against too (`ui/src/lib/numbers.test.ts`).
    #[test]
    fn every_shared_rounding_case_holds() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../ui/src/lib/rounding-cases.json"
        );
        let text = std::fs::read_to_string(path).expect("ui/src/lib/rounding-cases.json");
        let cases: Vec<(f64, usize, String)> = serde_json::from_str(&text).expect("cases");
        assert!(cases.len() >= 10, "the shared cases are there");
        for (value, decimals, expected) in cases {
            assert_eq!(
                fixed(value, decimals),
                expected,
                "fixed({value}, {decimals})"
            );
        }
    }
}
