//! Survey indicators: a percentage p with its unweighted sample size n and the
//! population size N. The margin of error is `z · sqrt(p·(100−p)/n) · sqrt(1 − n/N)` (the
//! finite population correction is left out when N is unknown); two areas differ
//! significantly when their difference exceeds `z · sqrt(se₁² + se₂²)`. A survey *mean* has a
//! standard-deviation indicator sd instead: its standard error is `sd/√n · sqrt(1 − n/N)`,
//! its interval is not clipped, and the same test compares it with its benchmark.
//!
//! [`Tables`] holds every survey indicator's intervals and verdicts for a publication: built
//! once from the published values (hidden cells stay without), read through
//! [`Snapshot::survey_series`] and [`Snapshot::survey_cell`], which check the reader.

use crate::slot::Slot;
use crate::snapshot::Snapshot;
use peil_core::Period;
use std::collections::HashMap;

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
    Some((p * (100.0 - p) / n).sqrt() * fpc(n, population)?.sqrt())
}

/// Standard error of a mean with standard deviation `sd` from an unweighted sample of `n`
/// (with the finite population correction when the population is known), or `None` when it
/// is undefined (no sample, a negative or non-finite sd, a sample larger than the population).
pub fn mean_standard_error(sd: f64, n: f64, population: Option<f64>) -> Option<f64> {
    if !sd.is_finite() || sd < 0.0 || n <= 0.0 || !n.is_finite() {
        return None;
    }
    Some(sd / n.sqrt() * fpc(n, population)?.sqrt())
}

/// `1 − n/N` (1 without a population), `None` for a sample larger than its population.
fn fpc(n: f64, population: Option<f64>) -> Option<f64> {
    match population {
        Some(big_n) if big_n > 0.0 => (n <= big_n).then(|| 1.0 - n / big_n),
        _ => Some(1.0),
    }
}

/// The interval around an estimate: a percentage's clipped to 0–100, a mean's not.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Interval {
    /// The estimate (the percentage or the mean).
    pub p: f64,
    pub margin: f64,
    pub low: f64,
    pub high: f64,
}

pub fn interval(p: f64, n: f64, population: Option<f64>, c: Confidence) -> Option<Interval> {
    Estimate::percentage(p, n, population).map(|e| e.interval(c))
}

/// The interval of a mean: `mean ± z·sd/√n·sqrt(1 − n/N)`, not clipped.
pub fn mean_interval(
    mean: f64,
    sd: f64,
    n: f64,
    population: Option<f64>,
    c: Confidence,
) -> Option<Interval> {
    Estimate::mean(mean, sd, n, population).map(|e| e.interval(c))
}

/// One area's survey figure: the estimate, its standard error and whether it is a percentage
/// (whose interval is clipped to 0–100).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub se: f64,
    pub percentage: bool,
}

impl Estimate {
    pub fn percentage(p: f64, n: f64, population: Option<f64>) -> Option<Estimate> {
        Some(Estimate {
            value: p,
            se: standard_error(p, n, population)?,
            percentage: true,
        })
    }

    pub fn mean(mean: f64, sd: f64, n: f64, population: Option<f64>) -> Option<Estimate> {
        if !mean.is_finite() {
            return None;
        }
        Some(Estimate {
            value: mean,
            se: mean_standard_error(sd, n, population)?,
            percentage: false,
        })
    }

    pub fn interval(self, c: Confidence) -> Interval {
        let margin = c.z() * self.se;
        let (low, high) = (self.value - margin, self.value + margin);
        let (low, high) = if self.percentage {
            (low.max(0.0), high.min(100.0))
        } else {
            (low, high)
        };
        Interval {
            p: self.value,
            margin,
            low,
            high,
        }
    }

    /// This estimate against a benchmark's: significantly higher or lower when the
    /// difference exceeds `z·sqrt(se₁² + se₂²)`.
    pub fn against(self, b: Estimate, c: Confidence) -> Significance {
        let limit = c.z() * (self.se * self.se + b.se * b.se).sqrt();
        let d = self.value - b.value;
        if d > limit {
            Significance::Higher
        } else if d < -limit {
            Significance::Lower
        } else {
            Significance::NotSignificant
        }
    }
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
    Some(Estimate::percentage(a.0, a.1, a.2)?.against(Estimate::percentage(b.0, b.1, b.2)?, c))
}

impl Confidence {
    /// The level an indicator declares (90, 95 or 99; anything else is 95).
    pub fn of(ind: &peil_core::Indicator) -> Confidence {
        match ind.confidence_level() {
            90 => Confidence::P90,
            99 => Confidence::P99,
            _ => Confidence::P95,
        }
    }

    /// 90, 95 or 99.
    pub fn percent(self) -> u8 {
        match self {
            Confidence::P90 => 90,
            Confidence::P95 => 95,
            Confidence::P99 => 99,
        }
    }
}

impl Significance {
    /// `higher`, `lower` or `not-significant`, as the APIs write it.
    pub fn code(self) -> &'static str {
        match self {
            Significance::Higher => "higher",
            Significance::Lower => "lower",
            Significance::NotSignificant => "not-significant",
        }
    }
}

/// The published survey figures of one area in one period: its interval at the indicator's
/// confidence level and, when the benchmark has an interval too, the verdict against it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Cell {
    pub interval: Interval,
    pub significance: Option<Significance>,
    /// The benchmark area (level position, item position), whether or not it has a verdict.
    pub benchmark: Option<(u16, u32)>,
}

/// How an indicator's benchmark area is found for an area.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Rule {
    /// Not declared: the nearest ancestor on a level holding a single area (the city; the
    /// region when the site covers several cities).
    SingleAreaAncestor,
    /// A level code: the area's own ancestor on that level.
    Level(u16),
    /// `level:item`: one fixed area for every other area.
    Area(u16, u32),
    /// A declared benchmark the publication does not know: no verdicts.
    Unknown,
}

fn rule(snap: &Snapshot, ind: &peil_core::Indicator) -> Rule {
    let Some(b) = ind.benchmark() else {
        return Rule::SingleAreaAncestor;
    };
    let level = |code: &str| snap.level_index.get(code.trim()).map(|&l| l as u16);
    match b.split_once(':') {
        Some((l, it)) => level(l)
            .and_then(|l| {
                let pos = *snap.levels[l as usize].pos.get(it.trim())?;
                Some(Rule::Area(l, pos))
            })
            .unwrap_or(Rule::Unknown),
        None => level(b).map_or(Rule::Unknown, Rule::Level),
    }
}

/// Every survey indicator's intervals and verdicts, computed once per publication from the
/// published (privacy-applied) values: an area whose percentage or mean, sample size,
/// population or standard deviation is hidden (`x`) has none, and a verdict needs the
/// benchmark's interval too.
#[derive(Default)]
pub struct Tables {
    /// (indicator, level position, period) → per item of the level.
    cells: HashMap<(u32, u16, Period), Vec<Option<Cell>>>,
}

impl Tables {
    pub fn build(snap: &Snapshot) -> Tables {
        let mut out = Tables::default();
        let Some(total) = snap.dims.iter().position(|k| k.is_empty()) else {
            return out;
        };
        let total = total as u32;
        let hierarchy = snap.hierarchy();
        for (i, ind) in snap.indicators.iter().enumerate() {
            if !ind.is_survey() {
                continue;
            }
            let i = i as u32;
            let c = Confidence::of(ind);
            let rule = rule(snap, ind);
            // The inputs of every area on every level, per period.
            let mut inputs: HashMap<(u16, Period), Vec<Option<Estimate>>> = HashMap::new();
            for ((l, p, d), _) in snap.tables_of(i) {
                if d == total {
                    inputs.insert((l, p), series_inputs(snap, ind, l, p, total));
                }
            }
            for (&(l, p), vals) in &inputs {
                let cells = vals
                    .iter()
                    .enumerate()
                    .map(|(pos, x)| {
                        let x = (*x)?;
                        let interval = x.interval(c);
                        let benchmark = benchmark_of(snap, rule, hierarchy, l, pos as u32);
                        let significance = benchmark.and_then(|(bl, bp)| {
                            let b = (*inputs.get(&(bl, p))?.get(bp as usize)?)?;
                            Some(x.against(b, c))
                        });
                        Some(Cell {
                            interval,
                            significance,
                            benchmark,
                        })
                    })
                    .collect();
                out.cells.insert((i, l, p), cells);
            }
        }
        out
    }

    /// The cells of one series (`None` when the indicator is no survey indicator or has no
    /// such series). Callers check the reader first ([`Snapshot::survey_series`]).
    pub(crate) fn series(&self, i: u32, l: u16, p: Period) -> Option<&[Option<Cell>]> {
        self.cells.get(&(i, l, p)).map(Vec::as_slice)
    }
}

fn benchmark_of(
    snap: &Snapshot,
    rule: Rule,
    hierarchy: &crate::hierarchy::Hierarchy,
    l: u16,
    pos: u32,
) -> Option<(u16, u32)> {
    let anc = hierarchy.ancestors(l, pos);
    match rule {
        Rule::SingleAreaAncestor => anc
            .iter()
            .filter(|a| snap.levels[a.level as usize].items.len() == 1)
            .min_by_key(|a| (a.depth, a.level))
            .map(|a| (a.level, a.pos)),
        Rule::Level(bl) => hierarchy.ancestor_on(l, pos, bl).map(|p| (bl, p)),
        Rule::Area(bl, bp) => ((bl, bp) != (l, pos)).then_some((bl, bp)),
        Rule::Unknown => None,
    }
}

/// The estimate of every area of one published series: from (p, n, N) for a percentage,
/// (mean, sd, n, N) for a mean. An area whose figure, n or sd has no number has none, nor has
/// one whose population is hidden (the correction it makes would give it away).
fn series_inputs(
    snap: &Snapshot,
    ind: &peil_core::Indicator,
    l: u16,
    p: Period,
    total: u32,
) -> Vec<Option<Estimate>> {
    let len = snap.levels[l as usize].items.len();
    let table = |code: Option<&str>| code.and_then(|c| snap.table(c, l, p, total));
    let (Some(pv), Some(nv)) = (
        table(Some(&ind.code)),
        table(ind.sample_indicator.as_deref()),
    ) else {
        return vec![None; len];
    };
    let mean = ind.is_survey_mean();
    let sd = table(ind.stddev_indicator.as_deref());
    if mean && sd.is_none() {
        return vec![None; len];
    }
    let big = table(ind.population_indicator.as_deref());
    (0..len)
        .map(|k| {
            let big_n = match big.map(|b| b[k]) {
                // A hidden population would be given away by the correction it makes.
                Some(s) if s.same(Slot::HIDDEN) => return None,
                Some(s) => s.number(),
                None => None,
            };
            let (x, n) = (pv[k].number()?, nv[k].number()?);
            match sd {
                Some(sd) if mean => Estimate::mean(x, sd[k].number()?, n, big_n),
                _ => Estimate::percentage(x, n, big_n),
            }
        })
        .collect()
}

/// The estimate of one published cell, with the same rules as [`Tables`].
pub(crate) fn cell_inputs(
    snap: &Snapshot,
    ind: &peil_core::Indicator,
    level: &str,
    p: Period,
    item: &str,
) -> Option<Estimate> {
    let l = *snap.level_index.get(level)?;
    let pos = *snap.levels[l].pos.get(item)? as usize;
    let total = snap.dims.iter().position(|k| k.is_empty())? as u32;
    series_inputs(snap, ind, l as u16, p, total)
        .get(pos)
        .copied()
        .flatten()
}

impl Snapshot {
    /// Whether this reader may see an indicator's intervals and verdicts: the indicator and
    /// the sample, population and standard-deviation indicators it declares (a margin next to
    /// its figure gives the sample size, or for a mean sd/√n, away).
    pub fn survey_visible_to(
        &self,
        ind: &peil_core::Indicator,
        reader: &peil_core::Reader,
    ) -> bool {
        // An interval's verdict compares areas on other levels and periods: a restricted
        // indicator or input shows intervals only to readers granted all of its cells.
        let whole = |c: &str| {
            self.index
                .get(c)
                .is_some_and(|&i| self.grants_all(reader, i))
        };
        ind.is_survey()
            && whole(&ind.code)
            && [
                &ind.sample_indicator,
                &ind.population_indicator,
                &ind.stddev_indicator,
            ]
            .into_iter()
            .flatten()
            .all(|c| whole(c))
    }

    /// A survey indicator's cells on a level in a period, in item order, for a reader who
    /// may see them (else `None`, as for an indicator without intervals).
    pub fn survey_series(
        &self,
        ind: &str,
        level: &str,
        period: Period,
        reader: &peil_core::Reader,
    ) -> Option<&[Option<Cell>]> {
        let &i = self.index.get(ind)?;
        if !self.survey_visible_to(&self.indicators[i as usize], reader) {
            return None;
        }
        let &l = self.level_index.get(level)?;
        self.survey().series(i, l as u16, period)
    }

    /// One area's survey cell for a reader who may see it.
    pub fn survey_cell(
        &self,
        ind: &str,
        level: &str,
        period: Period,
        item: &str,
        reader: &peil_core::Reader,
    ) -> Option<Cell> {
        let &l = self.level_index.get(level)?;
        let &pos = self.levels[l].pos.get(item)?;
        *self
            .survey_series(ind, level, period, reader)?
            .get(pos as usize)?
    }

    /// The (level code, item) of a benchmark position.
    pub fn area_at(&self, at: (u16, u32)) -> Option<(&str, &peil_core::GeoItem)> {
        let l = self.levels.get(at.0 as usize)?;
        Some((&l.level.code, &l.items.get(at.1 as usize)?.1))
    }
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
    fn mean_margins_match_the_formula() {
        // mean 3.2, sd 1.1, n = 400, N = 1600, 95 %: 1.96 · 1.1/20 · sqrt(0.75) ≈ 0.0934.
        let i = mean_interval(3.2, 1.1, 400.0, Some(1600.0), Confidence::P95).unwrap();
        assert!((i.margin - 0.093_357).abs() < 1e-5, "{i:?}");
        assert_eq!((i.low, i.high), (3.2 - i.margin, 3.2 + i.margin));
        // Not clipped; undefined for a negative sd, no sample or n > N.
        let j = mean_interval(-1.0, 5.0, 4.0, None, Confidence::P95).unwrap();
        assert!(j.low < -1.0 && j.high > 0.0);
        assert!(mean_interval(1.0, -0.1, 4.0, None, Confidence::P95).is_none());
        assert!(mean_interval(1.0, 1.0, 0.0, None, Confidence::P95).is_none());
        assert!(mean_interval(1.0, 1.0, 20.0, Some(10.0), Confidence::P95).is_none());
        assert!(mean_interval(f64::NAN, 1.0, 20.0, None, Confidence::P95).is_none());
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
