//! Survey indicators (section 9): a percentage p with its unweighted sample size n and the
//! population size N. The margin of error is `z · sqrt(p·(100−p)/n) · sqrt(1 − n/N)` (the
//! finite population correction is left out when N is unknown); two areas differ
//! significantly when their difference exceeds `z · sqrt(se₁² + se₂²)`.

/// Confidence level of an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Confidence {
    P90,
    P95,
    P99,
}

impl Confidence {
    /// The two-sided normal quantile.
    pub fn z(self) -> f64 {
        match self {
            Confidence::P90 => 1.644_853_626_951_472_2,
            Confidence::P95 => 1.959_963_984_540_054,
            Confidence::P99 => 2.575_829_303_548_900_4,
        }
    }

    pub fn parse(s: &str) -> Option<Confidence> {
        match s.trim().trim_end_matches('%') {
            "90" => Some(Confidence::P90),
            "95" => Some(Confidence::P95),
            "99" => Some(Confidence::P99),
            _ => None,
        }
    }
}

/// Standard error of a percentage (in percentage points), or `None` when it is undefined
/// (no sample, p outside 0–100, a sample larger than the population).
pub fn standard_error(p: f64, n: f64, population: Option<f64>) -> Option<f64> {
    if !(0.0..=100.0).contains(&p) || n <= 0.0 || !n.is_finite() {
        return None;
    }
    let fpc = match population {
        Some(big_n) if big_n > 0.0 => {
            if n > big_n {
                return None;
            }
            1.0 - n / big_n
        }
        _ => 1.0,
    };
    Some((p * (100.0 - p) / n).sqrt() * fpc.sqrt())
}

/// The interval around p, clipped to 0–100.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Interval {
    pub p: f64,
    pub margin: f64,
    pub low: f64,
    pub high: f64,
}

pub fn interval(p: f64, n: f64, population: Option<f64>, c: Confidence) -> Option<Interval> {
    let margin = c.z() * standard_error(p, n, population)?;
    Some(Interval {
        p,
        margin,
        low: (p - margin).max(0.0),
        high: (p + margin).min(100.0),
    })
}

/// How an area compares with a benchmark area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Significance {
    Higher,
    Lower,
    NotSignificant,
}

/// Compares area (p1, n1, N1) with benchmark (p2, n2, N2).
pub fn compare(
    a: (f64, f64, Option<f64>),
    b: (f64, f64, Option<f64>),
    c: Confidence,
) -> Option<Significance> {
    let (s1, s2) = (
        standard_error(a.0, a.1, a.2)?,
        standard_error(b.0, b.1, b.2)?,
    );
    let limit = c.z() * (s1 * s1 + s2 * s2).sqrt();
    let d = a.0 - b.0;
    Some(if d > limit {
        Significance::Higher
    } else if d < -limit {
        Significance::Lower
    } else {
        Significance::NotSignificant
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_match_the_formula() {
        // p = 40 %, n = 400, infinite population, 95 %: 1.96 · sqrt(40·60/400) = 4.80.
        let i = interval(40.0, 400.0, None, Confidence::P95).unwrap();
        assert!((i.margin - 4.8009).abs() < 1e-3, "{i:?}");
        // The finite population correction narrows it: N = 1600 → × sqrt(0.75).
        let j = interval(40.0, 400.0, Some(1600.0), Confidence::P95).unwrap();
        assert!((j.margin - i.margin * 0.75f64.sqrt()).abs() < 1e-9);
        // 90 % is narrower than 95 %, 99 % wider.
        let lo = interval(40.0, 400.0, None, Confidence::P90).unwrap().margin;
        let hi = interval(40.0, 400.0, None, Confidence::P99).unwrap().margin;
        assert!(lo < i.margin && i.margin < hi);
        // Clipped to 0–100; undefined without a sample.
        assert_eq!(interval(1.0, 10.0, None, Confidence::P95).unwrap().low, 0.0);
        assert!(interval(40.0, 0.0, None, Confidence::P95).is_none());
        assert!(interval(140.0, 10.0, None, Confidence::P95).is_none());
        assert!(interval(40.0, 20.0, Some(10.0), Confidence::P95).is_none());
        // A full census has no sampling error.
        assert_eq!(
            interval(40.0, 500.0, Some(500.0), Confidence::P95)
                .unwrap()
                .margin,
            0.0
        );
    }

    #[test]
    fn significance_against_a_benchmark() {
        let c = Confidence::P95;
        assert_eq!(
            compare((55.0, 800.0, None), (45.0, 5000.0, None), c),
            Some(Significance::Higher)
        );
        assert_eq!(
            compare((35.0, 800.0, None), (45.0, 5000.0, None), c),
            Some(Significance::Lower)
        );
        assert_eq!(
            compare((46.0, 100.0, None), (45.0, 5000.0, None), c),
            Some(Significance::NotSignificant)
        );
        assert_eq!(Confidence::parse("95%"), Some(Confidence::P95));
    }
}
