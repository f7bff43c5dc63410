//! Pairwise ratings: win matrix, Elo and Bradley–Terry with bootstrap intervals.

/// One comparison between player `a` and player `b` (indices).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// First player.
    pub a: usize,
    /// Second player.
    pub b: usize,
    /// 1.0 if `a` won, 0.0 if `b` won, 0.5 for a tie.
    pub score_a: f64,
}

/// Elo starting rating.
pub const ELO_START: f64 = 1000.0;
/// Elo K-factor.
pub const ELO_K: f64 = 32.0;

/// Elo ratings after playing `matches` in order.
pub fn elo(players: usize, matches: &[Match]) -> Vec<f64> {
    let mut r = vec![ELO_START; players];
    for m in matches {
        let expected_a = 1.0 / (1.0 + 10f64.powf((r[m.b] - r[m.a]) / 400.0));
        let delta = ELO_K * (m.score_a - expected_a);
        r[m.a] += delta;
        r[m.b] -= delta;
    }
    r
}

/// Bradley–Terry strengths by Hunter's MM algorithm, normalised to a geometric mean of 1.
/// Ties count as half a win for each side. `prior` adds that many virtual wins for every
/// player against every other, which keeps a player with no wins at a finite strength.
pub fn bradley_terry(players: usize, matches: &[Match], prior: f64) -> Vec<f64> {
    let mut wins = vec![vec![prior; players]; players];
    for (i, row) in wins.iter_mut().enumerate() {
        row[i] = 0.0;
    }
    // A player against itself says nothing about its strength (and would count as wins that
    // no denominator balances), so such a match is left out.
    for m in matches.iter().filter(|m| m.a != m.b) {
        wins[m.a][m.b] += m.score_a;
        wins[m.b][m.a] += 1.0 - m.score_a;
    }
    let mut p = vec![1.0; players];
    for _ in 0..10_000 {
        let mut next = vec![0.0; players];
        for i in 0..players {
            let w_i: f64 = wins[i].iter().sum();
            let denom: f64 = (0..players)
                .filter(|&j| j != i)
                .map(|j| (wins[i][j] + wins[j][i]) / (p[i] + p[j]))
                .sum();
            next[i] = if denom > 0.0 { w_i / denom } else { p[i] };
        }
        let log_mean = next
            .iter()
            .map(|v: &f64| v.max(f64::MIN_POSITIVE).ln())
            .sum::<f64>()
            / players as f64;
        let scale = log_mean.exp();
        let next: Vec<f64> = next.iter().map(|v| v / scale).collect();
        let change = next
            .iter()
            .zip(&p)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        p = next;
        if change < 1e-10 {
            break;
        }
    }
    p
}

/// A Bradley–Terry strength with a bootstrap confidence interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// Point estimate.
    pub value: f64,
    /// 2.5th percentile over resamples.
    pub low: f64,
    /// 97.5th percentile over resamples.
    pub high: f64,
}

/// Bradley–Terry with a 95% percentile bootstrap over matches (resampled with replacement),
/// using a fixed seed so reports are reproducible.
pub fn bradley_terry_bootstrap(
    players: usize,
    matches: &[Match],
    prior: f64,
    resamples: usize,
    seed: u64,
) -> Vec<Interval> {
    let point = bradley_terry(players, matches, prior);
    if matches.is_empty() || resamples == 0 {
        return point
            .iter()
            .map(|&v| Interval {
                value: v,
                low: v,
                high: v,
            })
            .collect();
    }
    let mut rng = SplitMix(seed);
    let mut samples = vec![Vec::with_capacity(resamples); players];
    let mut drawn = Vec::with_capacity(matches.len());
    for _ in 0..resamples {
        drawn.clear();
        for _ in 0..matches.len() {
            drawn.push(matches[(rng.next() % matches.len() as u64) as usize]);
        }
        for (i, s) in bradley_terry(players, &drawn, prior)
            .into_iter()
            .enumerate()
        {
            samples[i].push(s);
        }
    }
    point
        .iter()
        .zip(samples.iter_mut())
        .map(|(&value, s)| {
            s.sort_by(f64::total_cmp);
            let at = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
            Interval {
                value,
                low: at(0.025),
                high: at(0.975),
            }
        })
        .collect()
}

/// SplitMix64: small, fast and good enough for resampling.
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(a: usize, b: usize, score_a: f64) -> Match {
        Match { a, b, score_a }
    }

    #[test]
    fn elo_matches_hand_worked_updates() {
        // Equal ratings: expected 0.5, winner gains 32 * 0.5 = 16.
        let r = elo(2, &[m(0, 1, 1.0)]);
        assert!(
            (r[0] - 1016.0).abs() < 1e-9 && (r[1] - 984.0).abs() < 1e-9,
            "{r:?}"
        );
        // Then B beats A: B's expectation 1 / (1 + 10^(32/400)) = 0.45400; gain 32 * 0.54600.
        let r = elo(2, &[m(0, 1, 1.0), m(1, 0, 1.0)]);
        let gain = 32.0 * (1.0 - 1.0 / (1.0 + 10f64.powf(32.0 / 400.0)));
        assert!((r[1] - (984.0 + gain)).abs() < 1e-9, "{r:?}");
        assert!((r[1] - 1001.47).abs() < 0.01, "about 1001.47: {r:?}");
        // A tie between equals changes nothing; ratings always sum to 2000.
        let r = elo(2, &[m(0, 1, 0.5)]);
        assert_eq!(r, vec![1000.0, 1000.0]);
    }

    #[test]
    fn bradley_terry_matches_a_hand_worked_case() {
        // A beats B 3 times, B beats A once: the MLE has p_A / p_B = 3.
        let matches = [m(0, 1, 1.0), m(0, 1, 1.0), m(1, 0, 0.0), m(0, 1, 0.0)];
        let p = bradley_terry(2, &matches, 0.0);
        assert!((p[0] / p[1] - 3.0).abs() < 1e-6, "{p:?}");
        assert!(
            (p[0] * p[1] - 1.0).abs() < 1e-9,
            "normalised to geometric mean 1"
        );
    }

    #[test]
    fn a_match_of_a_player_against_itself_changes_no_strength() {
        let matches = [m(0, 1, 1.0), m(1, 0, 1.0), m(0, 1, 0.5)];
        let with_self = [
            m(0, 1, 1.0),
            m(1, 0, 1.0),
            m(0, 1, 0.5),
            m(0, 0, 1.0),
            m(0, 0, 1.0),
        ];
        assert_eq!(
            bradley_terry(2, &matches, 0.5),
            bradley_terry(2, &with_self, 0.5),
            "self-matches are ignored"
        );
    }

    #[test]
    fn bradley_terry_orders_a_transitive_three_player_case() {
        // 0 beats 1 twice, 1 beats 2 twice, 0 beats 2 twice.
        let matches = [
            m(0, 1, 1.0),
            m(0, 1, 1.0),
            m(1, 2, 1.0),
            m(1, 2, 1.0),
            m(0, 2, 1.0),
            m(0, 2, 1.0),
        ];
        let p = bradley_terry(3, &matches, 0.5);
        assert!(p[0] > p[1] && p[1] > p[2], "{p:?}");
    }

    #[test]
    fn bootstrap_intervals_contain_the_estimate_and_are_reproducible() {
        let matches = [
            m(0, 1, 1.0),
            m(0, 1, 1.0),
            m(0, 1, 0.0),
            m(0, 1, 0.5),
            m(0, 1, 1.0),
        ];
        let a = bradley_terry_bootstrap(2, &matches, 0.5, 500, 7);
        let b = bradley_terry_bootstrap(2, &matches, 0.5, 500, 7);
        assert_eq!(a, b, "same seed, same intervals");
        for i in &a {
            assert!(i.low <= i.value && i.value <= i.high, "{i:?}");
            assert!(i.high > i.low, "resampling gives a real interval: {i:?}");
        }
    }
}
