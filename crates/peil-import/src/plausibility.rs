//! Plausibility checks of a data import (issue 14): warnings, never errors — the import still
//! lands. They run inside the import's transaction after its values are applied, so they see
//! the test copy as the import leaves it, and are kept with the import record.
//!
//! The rules, each on the values the file loads:
//! - **jump**: a number more than `jump_factor` times, or less than 1/`jump_factor` of, the same
//!   area's number in the previous period (same indicator, level, cube cell), when the previous
//!   number is at least `jump_min` in size — small counts (3 → 7) jump all the time and are not
//!   news;
//! - **total**: for an indicator that sums over areas (the engine's own rule,
//!   [`peil_compute::engine::geo_rule`]), a loaded parent that differs from the sum of its
//!   loaded children by more than `total_tolerance` (relative, and at least 0.5 absolute, for
//!   rounding), checked only where every child has a number;
//! - **percentage**: a percentage outside 0–100;
//! - **negative count**: a negative object count;
//! - **dropped out**: an area with a value in the previous period and none now, for a period
//!   the file loads.

use peil_compute::engine::{GeoRule, geo_rule};
use peil_core::*;
use peil_store::ImportTx;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The thresholds of the checks: `[plausibility]` in peil.toml, or the import's flags.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// A jump is a change by more than this factor up or down (default 2).
    pub jump_factor: f64,
    /// Jumps are checked only from previous values at least this large (default 20).
    pub jump_min: f64,
    /// A parent total may differ from the sum of its children by this fraction (default 0.005).
    pub total_tolerance: f64,
    /// At most this many warnings are listed (the rest are counted; default 200).
    pub max_warnings: usize,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            jump_factor: 2.0,
            jump_min: 20.0,
            total_tolerance: 0.005,
            max_warnings: 200,
        }
    }
}

/// Which rule a warning comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Jump,
    Total,
    Percentage,
    NegativeCount,
    DroppedOut,
}

/// One plausibility warning: where, the values, and the rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    pub rule: Rule,
    pub indicator: String,
    pub level: String,
    pub area: String,
    pub period: String,
    /// The cube cell (`dim:member,…`), empty for a flat indicator.
    pub dims: String,
    /// The loaded value (none for an area that dropped out).
    pub value: Option<f64>,
    /// What it is compared with: the previous period's value (jump, dropped out) or the sum of
    /// the children (total).
    pub compared: Option<f64>,
    pub message: String,
}

/// Warnings found, the first `max_warnings` listed and the rest counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Findings {
    pub warnings: Vec<Warning>,
    pub more: u64,
    /// Per rule, how many (listed or not).
    pub counts: BTreeMap<Rule, u64>,
}

impl Findings {
    fn push(&mut self, max: usize, w: Warning) {
        *self.counts.entry(w.rule).or_default() += 1;
        if self.warnings.len() < max {
            self.warnings.push(w);
        } else {
            self.more += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}

/// Item id → code for the levels a batch uses.
pub(crate) fn codes_by_id(catalog: &Catalog) -> HashMap<u32, String> {
    catalog
        .levels
        .values()
        .flat_map(|l| l.items.iter().map(|(c, id)| (*id, c.clone())))
        .collect()
}

/// Runs every rule on a batch applied in `tx`.
pub fn check(tx: &ImportTx, batch: &DataBatch, t: &Thresholds) -> peil_store::Result<Findings> {
    let catalog = tx.catalog()?;
    let codes = codes_by_id(&catalog);
    let mut indicators: HashMap<String, Indicator> = HashMap::new();
    for k in &batch.series {
        if !indicators.contains_key(&k.indicator)
            && let Some(ind) = tx.indicator(&k.indicator)?
        {
            indicators.insert(k.indicator.clone(), ind);
        }
    }
    let index: HashMap<String, u32> = catalog
        .indicators
        .keys()
        .enumerate()
        .map(|(i, c)| (c.clone(), i as u32))
        .collect();
    let in_batch: HashSet<&SeriesKey> = batch.series.iter().collect();
    let mut f = Findings::default();
    let mut links_cache: HashMap<String, Vec<peil_store::AggregationEdge>> = HashMap::new();
    for (key, records) in batch.runs() {
        let Some(ind) = indicators.get(&key.indicator) else {
            continue;
        };
        let at = |item: u32| {
            codes
                .get(&item)
                .cloned()
                .unwrap_or_else(|| item.to_string())
        };
        let warn =
            |rule, item: u32, value: Option<f64>, compared: Option<f64>, message: String| Warning {
                rule,
                indicator: key.indicator.clone(),
                level: key.level.clone(),
                area: at(item),
                period: key.period.code(),
                dims: key.dims.to_text(),
                value,
                compared,
                message,
            };
        for r in records {
            let Some(v) = r.value.number() else { continue };
            if ind.data_type == DataType::Percentage && !(0.0..=100.0).contains(&v) {
                f.push(
                    t.max_warnings,
                    warn(
                        Rule::Percentage,
                        r.item,
                        Some(v),
                        None,
                        format!("a percentage of {v}; expected 0 to 100"),
                    ),
                );
            }
            if ind.data_type == DataType::ObjectCount && v < 0.0 {
                f.push(
                    t.max_warnings,
                    warn(
                        Rule::NegativeCount,
                        r.item,
                        Some(v),
                        None,
                        format!("a count of {v}; expected 0 or more"),
                    ),
                );
            }
        }
        if let Some(prev) = key.period.offset(-1) {
            let prev_key = SeriesKey {
                period: prev,
                ..key.clone()
            };
            if let Some(old) = tx.stored_series(&prev_key)? {
                let old: HashMap<u32, Value> = old.into_iter().collect();
                for r in records {
                    if let (Some(v), Some(p)) =
                        (r.value.number(), old.get(&r.item).and_then(|p| p.number()))
                        && p.abs() >= t.jump_min
                        && (v / p > t.jump_factor || v / p < 1.0 / t.jump_factor)
                    {
                        f.push(
                            t.max_warnings,
                            warn(
                                Rule::Jump,
                                r.item,
                                Some(v),
                                Some(p),
                                format!(
                                    "{v} in {}, {p} in {prev}: more than ×{} or ÷{} (jump_factor)",
                                    key.period, t.jump_factor, t.jump_factor
                                ),
                            ),
                        );
                    }
                }
                let now = tx.stored_series(key)?.unwrap_or_default();
                let now: HashSet<u32> = now.iter().map(|(i, _)| *i).collect();
                let mut gone: Vec<(&u32, &Value)> =
                    old.iter().filter(|(i, _)| !now.contains(i)).collect();
                gone.sort_by_key(|(i, _)| **i);
                for (item, p) in gone {
                    f.push(
                        t.max_warnings,
                        warn(
                            Rule::DroppedOut,
                            *item,
                            None,
                            p.number(),
                            format!("had a value ({p}) in {prev} and has none in {}", key.period),
                        ),
                    );
                }
            }
        }
        if geo_rule(ind, &index) == GeoRule::Sum {
            let links = match links_cache.get(&key.level) {
                Some(l) => l,
                None => links_cache
                    .entry(key.level.clone())
                    .or_insert(tx.aggregation_links(&key.level)?),
            };
            for (child, parent, map) in links {
                let pair = Pair {
                    child,
                    parent,
                    map,
                    in_batch: &in_batch,
                };
                totals(tx, key, &pair, t, &codes, &mut f)?;
            }
        }
    }
    Ok(f)
}

/// Parents of `parent` level against the sums of their children on `child` level, for the
/// period and cube cell of `key`, where both are loaded (once per pair: the series of the
/// child level checks).
fn totals(
    tx: &ImportTx,
    key: &SeriesKey,
    pair: &Pair,
    t: &Thresholds,
    codes: &HashMap<u32, String>,
    f: &mut Findings,
) -> peil_store::Result<()> {
    let Pair {
        child,
        parent,
        map,
        in_batch,
    } = *pair;
    let with = |level: &str| SeriesKey {
        level: level.to_string(),
        ..key.clone()
    };
    // A batch loading both levels checks the pair once, from the child level's series.
    if key.level == parent && in_batch.contains(&with(child)) {
        return Ok(());
    }
    let (Some(children), Some(parents)) = (
        tx.stored_series(&with(child))?,
        tx.stored_series(&with(parent))?,
    ) else {
        return Ok(());
    };
    // Per parent: the sum of its children, or None when a child has no number.
    let mut sums: HashMap<u32, Option<f64>> = HashMap::new();
    let values: HashMap<u32, Value> = children.into_iter().collect();
    for (c, p) in map {
        let v = values.get(c).and_then(|v| v.number());
        let e = sums.entry(*p).or_insert(Some(0.0));
        *e = match (*e, v) {
            (Some(s), Some(v)) => Some(s + v),
            _ => None,
        };
    }
    for (item, value) in parents {
        let (Some(v), Some(Some(sum))) = (value.number(), sums.get(&item)) else {
            continue;
        };
        let diff = (v - sum).abs();
        if diff > 0.5 && diff > t.total_tolerance * v.abs().max(sum.abs()) {
            f.push(t.max_warnings, Warning {
                rule: Rule::Total,
                indicator: key.indicator.clone(),
                level: parent.to_string(),
                area: codes.get(&item).cloned().unwrap_or_default(),
                period: key.period.code(),
                dims: key.dims.to_text(),
                value: Some(v),
                compared: Some(*sum),
                message: format!("the total {v} differs from {sum}, the sum of its areas on {child} (the indicator sums over areas)"),
            });
        }
    }
    Ok(())
}

/// One aggregation edge of the hierarchy, as [`ImportTx::aggregation_links`] gives it, with the
/// series the batch loads.
struct Pair<'a> {
    child: &'a str,
    parent: &'a str,
    map: &'a HashMap<u32, u32>,
    in_batch: &'a HashSet<&'a SeriesKey>,
}
