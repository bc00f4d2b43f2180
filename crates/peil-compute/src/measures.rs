//! Measures over records (issue 17): count, sum, mean, median, percentile and share of a value
//! (a number field or the days between two dates), filtered by category, per period (month,
//! quarter, half year, year) and per geo level.
//!
//! Every figure is computed from the records themselves: a year's median, or a district's, is
//! the median of that year's or district's records, never a statistic of finer medians. The
//! records are first grouped by (area item, month) — the finest cell —, then each coarser cell
//! gathers the records of the finest cells beneath it (an area's ancestor on the level, the
//! months of the period).
//!
//! Count and sum are 0 for an area the set reaches (some record of the set lies in it) in a
//! period within the range of the measure's date (a month without any decision is 0
//! decisions); mean, median, percentile and share have no value over no records. Every measure
//! but a count has a companion `<code>_n`, the number of records each value is over, on which
//! its threshold is checked (see `peil_import::records`).

use peil_core::records::{
    MeasureDef, MeasureKind, NO_DATE, RecordSetDef, Records, month_index, period_of_month,
};
use peil_core::{Period, Value};
use std::collections::{BTreeMap, HashMap};

/// The items of one geo level the measures are published on: for each item of the record
/// level (store id), its item on this level (the record level maps each item to itself).
#[derive(Debug, Clone)]
pub struct LevelMap {
    pub level: String,
    pub parent: HashMap<u32, u32>,
}

/// One computed series: a measure (or its `_n`) on a level for a period, sorted by item.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureSeries {
    pub code: String,
    pub level: String,
    pub period: Period,
    pub values: Vec<(u32, Value)>,
}

/// The `p`-th percentile (0–100) with linear interpolation between the closest ranks (the
/// default of numpy, pandas and R's type 7): position `(n−1)·p/100` in the sorted values.
/// Reorders `v`; `None` for no values.
pub fn percentile(v: &mut [f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let h = (v.len() - 1) as f64 * p / 100.0;
    let lo = h.floor() as usize;
    let (_, &mut a, rest) = v.select_nth_unstable_by(lo, f64::total_cmp);
    let frac = h - lo as f64;
    if frac == 0.0 || rest.is_empty() {
        return Some(a);
    }
    let b = rest.iter().copied().fold(f64::INFINITY, f64::min);
    Some(a + frac * (b - a))
}

/// Whether record `i` holds one of the listed labels in every listed category.
struct Condition(Vec<(usize, Vec<u32>)>);

impl Condition {
    fn new(def: &RecordSetDef, rec: &Records, map: &BTreeMap<String, Vec<String>>) -> Condition {
        Condition(
            map.iter()
                .filter_map(|(col, labels)| {
                    let k = def.categories.iter().position(|c| c == col)?;
                    Some((k, rec.categories[k].codes_of(labels)))
                })
                .collect(),
        )
    }

    fn holds(&self, rec: &Records, i: usize) -> bool {
        self.0
            .iter()
            .all(|(k, codes)| codes.contains(&rec.categories[*k].codes[i]))
    }
}

/// Every series of every measure of the set.
pub fn compute_measures(
    def: &RecordSetDef,
    rec: &Records,
    levels: &[LevelMap],
) -> Vec<MeasureSeries> {
    let mut out = Vec::new();
    // The record level's items, densely numbered.
    let mut dense: HashMap<u32, u32> = HashMap::new();
    let mut dense_items: Vec<u32> = Vec::new();
    let item_idx: Vec<u32> = rec
        .items
        .iter()
        .map(|&it| {
            *dense.entry(it).or_insert_with(|| {
                dense_items.push(it);
                dense_items.len() as u32 - 1
            })
        })
        .collect();
    for m in &def.measures {
        measure(def, rec, m, levels, &item_idx, &dense_items, &mut out);
    }
    out
}

fn measure(
    def: &RecordSetDef,
    rec: &Records,
    m: &MeasureDef,
    levels: &[LevelMap],
    item_idx: &[u32],
    dense_items: &[u32],
    out: &mut Vec<MeasureSeries>,
) {
    let Some(dk) = def.dates.iter().position(|d| *d == m.date) else {
        return;
    };
    let dates = &rec.dates[dk];
    let months: Vec<Option<i32>> = dates
        .iter()
        .map(|&d| if d == NO_DATE { None } else { month_index(d) })
        .collect();
    let Some(first) = months.iter().flatten().min().copied() else {
        return;
    };
    let last = months.iter().flatten().max().copied().unwrap_or(first);
    let nm = (last - first + 1) as usize;
    let col = |c: &Option<String>| def.dates.iter().position(|d| Some(d) == c.as_ref());
    let value = |i: usize| -> Option<f64> {
        if let Some(f) = &m.field {
            let k = def.numbers.iter().position(|n| n == f)?;
            let v = rec.numbers[k][i];
            return (!v.is_nan()).then_some(v);
        }
        let (a, b) = (rec.dates[col(&m.from)?][i], rec.dates[col(&m.to)?][i]);
        (a != NO_DATE && b != NO_DATE).then(|| f64::from(b - a))
    };
    let filter = Condition::new(def, rec, &m.filter);
    let condition = Condition::new(def, rec, &m.condition);
    let needs_value = match m.kind {
        MeasureKind::Count => false,
        MeasureKind::Share => m.within.is_some(),
        _ => true,
    };
    // The finest cells: (dense item, month) → n, sum (or hits), values.
    let cells = dense_items.len() * nm;
    let mut n = vec![0u32; cells];
    let mut sum = vec![0f64; cells];
    let quantile = matches!(m.kind, MeasureKind::Median | MeasureKind::Percentile);
    let mut pairs: Vec<(u32, f64)> = Vec::new();
    for (i, mo) in months.iter().enumerate() {
        let Some(mo) = *mo else { continue };
        if !filter.holds(rec, i) {
            continue;
        }
        let v = value(i);
        if needs_value && v.is_none() {
            continue;
        }
        let c = item_idx[i] as usize * nm + (mo - first) as usize;
        n[c] += 1;
        match m.kind {
            MeasureKind::Share => {
                let hit =
                    m.within.is_none_or(|w| v.is_some_and(|v| v <= w)) && condition.holds(rec, i);
                sum[c] += f64::from(u8::from(hit));
            }
            MeasureKind::Count => {}
            _ => sum[c] += v.unwrap_or(0.0),
        }
        if quantile {
            pairs.push((c as u32, v.unwrap_or(0.0)));
        }
    }
    // Values per finest cell, contiguous (cell c's values are values[start[c]..start[c+1]]).
    let mut start = vec![0usize; cells + 1];
    let mut values = vec![0f64; pairs.len()];
    if quantile {
        for &(c, _) in &pairs {
            start[c as usize + 1] += 1;
        }
        for c in 0..cells {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        for &(c, v) in &pairs {
            values[fill[c as usize]] = v;
            fill[c as usize] += 1;
        }
    }
    let mut buf: Vec<f64> = Vec::new();
    for level in levels {
        if !m.levels.is_empty() && !m.levels.contains(&level.level) {
            continue;
        }
        // Each dense item's item on this level; the level's items the set reaches.
        let target: Vec<Option<u32>> = dense_items
            .iter()
            .map(|it| level.parent.get(it).copied())
            .collect();
        let mut reached: Vec<u32> = target.iter().flatten().copied().collect();
        reached.sort_unstable();
        reached.dedup();
        for pl in m.period_levels() {
            // Coarse cell (item, period) → its finest cells.
            let mut groups: BTreeMap<(Period, u32), Vec<usize>> = BTreeMap::new();
            for (d, t) in target.iter().enumerate() {
                let Some(t) = *t else { continue };
                for mo in 0..nm {
                    let Some(p) = period_of_month(first + mo as i32, pl) else {
                        continue;
                    };
                    groups.entry((p, t)).or_default().push(d * nm + mo);
                }
            }
            let mut series: BTreeMap<(bool, Period), Vec<(u32, Value)>> = BTreeMap::new();
            for ((p, t), fine) in &groups {
                let count: u32 = fine.iter().map(|&c| n[c]).sum();
                let total: f64 = fine.iter().map(|&c| sum[c]).sum();
                let v = match m.kind {
                    MeasureKind::Count => Some(f64::from(count)),
                    MeasureKind::Sum => Some(total),
                    _ if count == 0 => None,
                    MeasureKind::Mean => Some(total / f64::from(count)),
                    MeasureKind::Share => Some(100.0 * total / f64::from(count)),
                    MeasureKind::Median | MeasureKind::Percentile => {
                        buf.clear();
                        for &c in fine {
                            buf.extend_from_slice(&values[start[c]..start[c + 1]]);
                        }
                        percentile(&mut buf, m.p.unwrap_or(50.0))
                    }
                };
                if let Some(v) = v {
                    series
                        .entry((false, *p))
                        .or_default()
                        .push((*t, Value::Number(v)));
                }
                if m.kind != MeasureKind::Count {
                    series
                        .entry((true, *p))
                        .or_default()
                        .push((*t, Value::Number(f64::from(count))));
                }
            }
            debug_assert!(
                series
                    .values()
                    .all(|s| s.iter().all(|(t, _)| reached.binary_search(t).is_ok()))
            );
            for ((is_n, period), mut vals) in series {
                vals.sort_by_key(|(t, _)| *t);
                let code = if is_n {
                    m.count_code().unwrap_or_default()
                } else {
                    m.code.clone()
                };
                out.push(MeasureSeries {
                    code,
                    level: level.level.clone(),
                    period,
                    values: vals,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use peil_core::records::parse_day;

    #[test]
    fn percentiles_interpolate_between_closest_ranks() {
        assert_eq!(percentile(&mut [3.0, 1.0, 2.0], 50.0), Some(2.0));
        assert_eq!(percentile(&mut [4.0, 1.0, 2.0, 3.0], 50.0), Some(2.5));
        assert_eq!(
            percentile(&mut [10.0, 20.0, 30.0, 40.0, 50.0], 90.0),
            Some(46.0)
        );
        assert_eq!(percentile(&mut [7.0], 90.0), Some(7.0));
        assert_eq!(percentile(&mut [], 50.0), None);
    }

    /// A year's median comes from the year's records, not from its months' medians.
    #[test]
    fn a_years_median_is_the_median_of_its_records() {
        let def: RecordSetDef = RecordSetDef {
            name: "t".into(),
            id: "id".into(),
            area: "a".into(),
            level: "s".into(),
            dates: vec!["in".into(), "uit".into()],
            categories: vec![],
            numbers: vec![],
            source: String::new(),
            threshold: 0.0,
            dashboard: None,
            measures: vec![MeasureDef {
                code: "med".into(),
                name: "m".into(),
                name_en: None,
                name_fr: None,
                description: String::new(),
                kind: MeasureKind::Median,
                date: "in".into(),
                field: None,
                from: Some("in".into()),
                to: Some("uit".into()),
                p: None,
                filter: BTreeMap::new(),
                within: None,
                condition: BTreeMap::new(),
                periods: vec!["month".into(), "year".into()],
                levels: vec![],
                unit: None,
                decimals: None,
            }],
        };
        let mut rec = Records::new(&def);
        // January: 1, 2, 3 days (median 2); February: 10 days (median 10).
        // Median of medians would be 6; the year's median of its records is 2.5.
        for (k, (a, b)) in [
            ("2024-01-02", 1),
            ("2024-01-03", 2),
            ("2024-01-04", 3),
            ("2024-02-01", 10),
        ]
        .into_iter()
        .enumerate()
        {
            let d = parse_day(a, false).unwrap();
            rec.ids.push(k.to_string());
            rec.items.push(7);
            rec.dates[0].push(d);
            rec.dates[1].push(d + b);
        }
        let levels = [LevelMap {
            level: "s".into(),
            parent: HashMap::from([(7, 7)]),
        }];
        let got = compute_measures(&def, &rec, &levels);
        let find = |code: &str, p: &str| {
            got.iter()
                .find(|s| s.code == code && s.period.code() == p)
                .map(|s| s.values.clone())
        };
        assert_eq!(find("med", "2024"), Some(vec![(7, Value::Number(2.5))]));
        assert_eq!(find("med", "2024M01"), Some(vec![(7, Value::Number(2.0))]));
        assert_eq!(find("med_n", "2024"), Some(vec![(7, Value::Number(4.0))]));
    }
}
