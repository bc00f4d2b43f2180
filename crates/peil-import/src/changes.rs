//! What a data file would change in the test copy, value by value: computed in the import's
//! transaction before its values are applied, for the dry run's report.

use crate::plausibility::codes_by_id;
use peil_core::*;
use peil_store::ImportTx;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Indicators listed one by one in [`DataChanges::per_indicator`] when a file has this many or
/// fewer; changes sampled in [`DataChanges::sample`].
pub const LISTED: usize = 20;

/// Values the file adds, changes and leaves as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ValueCounts {
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
}

/// One value the file would set, with what the test copy holds now (none: added).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub indicator: String,
    pub level: String,
    pub area: String,
    pub period: String,
    pub dims: String,
    pub old: Option<String>,
    pub new: String,
}

/// What a data file changes compared with the current test copy.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DataChanges {
    pub values: ValueCounts,
    /// Values removed by the `--clear` option (counted by the import itself).
    pub cleared: u64,
    /// Indicators the file loads.
    pub indicators: usize,
    /// Per indicator, when the file loads at most [`LISTED`] of them.
    pub per_indicator: BTreeMap<String, ValueCounts>,
    /// Indicators the store does not know yet.
    pub new_indicators: Vec<String>,
    /// Per indicator, the periods it has no values for yet (on any level).
    pub new_periods: BTreeMap<String, Vec<String>>,
    /// Up to [`LISTED`] values the file changes (old and new), then values it adds.
    pub sample: Vec<Change>,
}

/// Compares a batch with the test copy as `tx` sees it (call before applying it).
pub fn data_changes(tx: &ImportTx, batch: &DataBatch) -> peil_store::Result<DataChanges> {
    let codes = codes_by_id(&tx.catalog()?);
    let mut out = DataChanges {
        new_indicators: batch.new_indicators.clone(),
        ..DataChanges::default()
    };
    let mut per: BTreeMap<String, ValueCounts> = BTreeMap::new();
    let mut periods: HashMap<&str, std::collections::BTreeSet<String>> = HashMap::new();
    let (mut changed, mut added) = (Vec::new(), Vec::new());
    for (key, records) in batch.runs() {
        if !periods.contains_key(key.indicator.as_str()) {
            periods.insert(&key.indicator, tx.stored_periods(&key.indicator)?);
        }
        let known = &periods[key.indicator.as_str()];
        let code = key.period.code();
        if !known.contains(&code) {
            let list = out.new_periods.entry(key.indicator.clone()).or_default();
            if !list.contains(&code) {
                list.push(code);
            }
        }
        let old: HashMap<u32, Value> = tx
            .stored_series(key)?
            .unwrap_or_default()
            .into_iter()
            .collect();
        let counts = per.entry(key.indicator.clone()).or_default();
        for r in records {
            let change = |old: Option<Value>| Change {
                indicator: key.indicator.clone(),
                level: key.level.clone(),
                area: codes.get(&r.item).cloned().unwrap_or_default(),
                period: key.period.code(),
                dims: key.dims.to_text(),
                old: old.map(|v| v.to_string()),
                new: r.value.to_string(),
            };
            match old.get(&r.item) {
                None => {
                    counts.added += 1;
                    if added.len() < LISTED {
                        added.push(change(None));
                    }
                }
                Some(o) if o.same_as(r.value) => counts.unchanged += 1,
                Some(o) => {
                    counts.changed += 1;
                    if changed.len() < LISTED {
                        changed.push(change(Some(*o)));
                    }
                }
            }
        }
    }
    for c in per.values() {
        out.values.added += c.added;
        out.values.changed += c.changed;
        out.values.unchanged += c.unchanged;
    }
    out.indicators = per.len();
    if per.len() <= LISTED {
        out.per_indicator = per;
    }
    out.sample = changed;
    let room = LISTED - out.sample.len();
    out.sample.extend(added.into_iter().take(room));
    Ok(out)
}
