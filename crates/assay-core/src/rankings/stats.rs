//! Descriptive statistics of 1–5 scores.

/// Mean, standard deviation, min and max of a set of scores.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct Summary {
    /// Number of scores.
    pub n: u32,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1); 0 for fewer than two scores.
    pub std_dev: f64,
    /// Lowest score.
    pub min: i64,
    /// Highest score.
    pub max: i64,
}

impl Summary {
    /// Summarises `values`; `None` for an empty set.
    /// The values are summed in sorted order, so the result does not depend on the order
    /// they were stored in (floating-point sums do, in their last bits).
    pub fn of(values: &[i64]) -> Option<Self> {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let values = sorted.as_slice();
        let (&min, &max) = (values.first()?, values.last()?);
        let n = values.len() as f64;
        let mean = values.iter().sum::<i64>() as f64 / n;
        let var = if values.len() < 2 {
            0.0
        } else {
            values
                .iter()
                .map(|&v| (v as f64 - mean).powi(2))
                .sum::<f64>()
                / (n - 1.0)
        };
        Some(Self {
            n: values.len() as u32,
            mean,
            std_dev: var.sqrt(),
            min,
            max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_matches_a_hand_worked_case() {
        // 2, 4, 4, 5: mean 3.75; deviations -1.75, .25, .25, 1.25; squares sum 4.75; /3.
        let s = Summary::of(&[2, 4, 4, 5]).expect("non-empty");
        assert_eq!((s.n, s.min, s.max), (4, 2, 5));
        assert!((s.mean - 3.75).abs() < 1e-12);
        assert!((s.std_dev - (4.75f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(Summary::of(&[3]).expect("one").std_dev, 0.0);
        assert!(Summary::of(&[]).is_none());
    }
}
