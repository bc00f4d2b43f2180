//! What a publication would change for readers (issue 14): the difference between a computed
//! snapshot (the test copy as `peil publish` would publish it, privacy applied) and the live
//! copy. Both are compared as published — dense values per series in their level's item
//! order — so the diff shows exactly what readers would see change, including cells newly
//! hidden (`x`) or shown by the privacy rules.

use peil_core::*;
use peil_store::Live;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::Snapshot;

/// How many of the largest changes, and of the newly hidden and shown cells, are listed.
pub const LISTED: usize = 20;

/// Published cells by what happens to them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CellCounts {
    /// Cells with a value that had none.
    pub added: u64,
    /// Cells that had a value and would have none.
    pub removed: u64,
    /// Cells whose value changes (numbers or codes; hiding and showing are counted apart).
    pub changed: u64,
    pub unchanged: u64,
    /// Cells shown now that the privacy rules would hide (`x`).
    pub newly_hidden: u64,
    /// Cells hidden now (`x`) that would be shown.
    pub newly_shown: u64,
}

/// One published cell, before and after (values as exports write them; none: no value).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellChange {
    pub indicator: String,
    pub level: String,
    pub area: String,
    pub period: String,
    pub dims: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A name readers would see change: a geo level's, an area's, or a period level's in one
/// language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NameChange {
    /// `level`, `area` or `period level`.
    pub what: &'static str,
    /// The level's code; the level's and the area's code; the period level's code and the
    /// language.
    pub code: String,
    pub old: String,
    pub new: String,
}

/// The difference between the live copy and what would be published.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PublishDiff {
    /// The live generation compared with (none before the first publication).
    pub live_generation: Option<u64>,
    pub indicators_added: Vec<String>,
    pub indicators_removed: Vec<String>,
    /// Per indicator, periods with values that have none live.
    pub periods_added: BTreeMap<String, Vec<String>>,
    /// Per indicator, periods live that would have no values.
    pub periods_removed: BTreeMap<String, Vec<String>>,
    pub cells: CellCounts,
    /// The [`LISTED`] largest changes of a number to another number, largest first.
    pub largest: Vec<CellChange>,
    /// Up to [`LISTED`] newly hidden cells, and newly shown ones.
    pub hidden: Vec<CellChange>,
    pub shown: Vec<CellChange>,
    /// Whether the theme tree readers see would change: a theme added, removed, renamed,
    /// moved or reordered, or an indicator listed in other themes ([`themes_changed`]).
    pub themes_changed: bool,
    /// Indicators published before whose metadata (texts, unit, source, thresholds…) would
    /// change, such as the back office's edits.
    pub metadata_changed: Vec<String>,
    /// How many names of levels, areas and period levels would change (renames held in the
    /// test copy until published), and the first [`LISTED`] of them.
    pub names_changed: u64,
    pub names: Vec<NameChange>,
}

impl PublishDiff {
    /// Whether publishing would change nothing readers see.
    pub fn is_empty(&self) -> bool {
        let c = &self.cells;
        self.indicators_added.is_empty()
            && self.indicators_removed.is_empty()
            && c.added + c.removed + c.changed + c.newly_hidden + c.newly_shown == 0
            && !self.themes_changed
            && self.metadata_changed.is_empty()
            && self.names_changed == 0
    }
}

/// A published value; `Empty` is no value, as in the store.
fn present(v: Option<&Value>) -> Option<Value> {
    v.copied()
        .filter(|v| !matches!(v, Value::Missing(MissingCode::Empty)))
}

fn is_x(v: Option<Value>) -> bool {
    matches!(v, Some(Value::Missing(MissingCode::Hidden)))
}

/// One side of the comparison: series by key, each level's item ids and codes.
struct Side<'a> {
    series: HashMap<&'a SeriesKey, &'a [Value]>,
    ids: HashMap<&'a str, &'a [(u32, GeoItem)]>,
}

impl<'a> Side<'a> {
    fn periods(&self) -> BTreeMap<&'a str, BTreeSet<Period>> {
        let mut out: BTreeMap<&str, BTreeSet<Period>> = BTreeMap::new();
        for (k, v) in &self.series {
            if v.iter().any(|v| present(Some(v)).is_some()) {
                out.entry(k.indicator.as_str())
                    .or_default()
                    .insert(k.period);
            }
        }
        out
    }
}

/// Compares the snapshot `next` with the live copy (`None`: nothing published yet).
pub fn publish_diff(live: Option<&Live>, next: &Snapshot) -> PublishDiff {
    let next_series: Vec<(SeriesKey, Vec<Value>)> = next.all_series().collect();
    let new = Side {
        series: next_series.iter().map(|(k, v)| (k, v.as_slice())).collect(),
        ids: next
            .levels
            .iter()
            .map(|l| (l.level.code.as_str(), l.items.as_slice()))
            .collect(),
    };
    let old = Side {
        series: live
            .map(|l| l.series.iter().map(|(k, v)| (k, v.as_slice())).collect())
            .unwrap_or_default(),
        ids: live
            .map(|l| {
                l.levels
                    .iter()
                    .map(|l| (l.level.code.as_str(), l.items.as_slice()))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut d = PublishDiff {
        live_generation: live.map(|l| l.generation),
        ..PublishDiff::default()
    };
    periods(&old, &new, &mut d);
    let mut numeric: Vec<Numeric> = Vec::new();
    let mut keys: BTreeSet<&SeriesKey> = new.series.keys().copied().collect();
    keys.extend(old.series.keys().copied());
    for key in keys {
        compare_series(key, &old, &new, &mut d, &mut numeric);
    }
    if let Some(live) = live {
        metadata(live, next, &mut d);
    }
    numeric.sort_by(|a, b| b.0.total_cmp(&a.0));
    d.largest = numeric
        .into_iter()
        .take(LISTED)
        .map(|(_, key, area, a, b)| cell_change(key, area, Some(a), Some(b)))
        .collect();
    d
}

/// The names of levels and areas in both copies, and of period levels, that differ.
fn names(live: &Live, next: &Snapshot, d: &mut PublishDiff) {
    let mut all = Vec::new();
    let shown = |it: &GeoItem| {
        if it.short_name == it.name {
            it.name.clone()
        } else {
            format!("{} ({})", it.name, it.short_name)
        }
    };
    for old in &live.levels {
        let Some(&i) = next.level_index.get(&old.level.code) else {
            continue;
        };
        let new = &next.levels[i];
        if old.level.name != new.level.name {
            all.push(NameChange {
                what: "level",
                code: old.level.code.clone(),
                old: old.level.name.clone(),
                new: new.level.name.clone(),
            });
        }
        for (_, it) in &old.items {
            let Some(&p) = new.pos.get(&it.code) else {
                continue;
            };
            let now = &new.items[p as usize].1;
            if (&now.short_name, &now.name) != (&it.short_name, &it.name) {
                all.push(NameChange {
                    what: "area",
                    code: format!("{} {}", old.level.code, it.code),
                    old: shown(it),
                    new: shown(now),
                });
            }
        }
    }
    for level in PeriodLevel::ALL {
        for locale in Locale::ALL {
            let (old, new) = (
                live.period_level_names.name(level, locale),
                next.period_level_names.name(level, locale),
            );
            if old != new {
                all.push(NameChange {
                    what: "period level",
                    code: format!("{} {}", level.code(), locale.code()),
                    old: old.to_string(),
                    new: new.to_string(),
                });
            }
        }
    }
    d.names_changed = all.len() as u64;
    all.truncate(LISTED);
    d.names = all;
}

/// Indicators in both copies whose metadata differ, and the names that do ([`names`]).
fn metadata(live: &Live, next: &Snapshot, d: &mut PublishDiff) {
    names(live, next, d);
    let before: HashMap<&str, &peil_core::Indicator> = live
        .indicators
        .iter()
        .map(|i| (i.code.as_str(), i))
        .collect();
    d.metadata_changed = next
        .indicators
        .iter()
        .filter(|i| before.get(i.code.as_str()).is_some_and(|b| *b != *i))
        .map(|i| i.code.clone())
        .collect();
    d.metadata_changed.sort();
}

/// A change of a number to another: its size, where, old and new (made into a
/// [`CellChange`] only for the largest).
type Numeric<'a> = (f64, &'a SeriesKey, &'a str, Value, Value);

fn cell_change(key: &SeriesKey, area: &str, a: Option<Value>, b: Option<Value>) -> CellChange {
    CellChange {
        indicator: key.indicator.clone(),
        level: key.level.clone(),
        area: area.to_string(),
        period: key.period.code(),
        dims: key.dims.to_text(),
        old: a.map(|v| v.to_string()),
        new: b.map(|v| v.to_string()),
    }
}

fn periods(old: &Side, new: &Side, d: &mut PublishDiff) {
    let (before, after) = (old.periods(), new.periods());
    let codes = |s: &BTreeMap<&str, BTreeSet<Period>>| -> BTreeSet<String> {
        s.keys().map(|k| k.to_string()).collect()
    };
    d.indicators_added = codes(&after).difference(&codes(&before)).cloned().collect();
    d.indicators_removed = codes(&before).difference(&codes(&after)).cloned().collect();
    let empty = BTreeSet::new();
    for (ind, ps) in &after {
        let was = before.get(ind).unwrap_or(&empty);
        let added: Vec<String> = ps.difference(was).map(|p| p.code()).collect();
        if !added.is_empty() && before.contains_key(ind) {
            d.periods_added.insert(ind.to_string(), added);
        }
    }
    for (ind, ps) in &before {
        let now = after.get(ind).unwrap_or(&empty);
        let removed: Vec<String> = ps.difference(now).map(|p| p.code()).collect();
        if !removed.is_empty() && after.contains_key(ind) {
            d.periods_removed.insert(ind.to_string(), removed);
        }
    }
}

/// Compares one series cell by cell, matching items by their store id.
fn compare_series<'a>(
    key: &'a SeriesKey,
    old: &Side<'a>,
    new: &Side<'a>,
    d: &mut PublishDiff,
    numeric: &mut Vec<Numeric<'a>>,
) {
    let (ov, nv) = (old.series.get(key), new.series.get(key));
    let old_items = old.ids.get(key.level.as_str()).copied().unwrap_or_default();
    let new_items = new.ids.get(key.level.as_str()).copied().unwrap_or_default();
    let mut cells: BTreeMap<u32, (Option<Value>, Option<Value>, &'a str)> = BTreeMap::new();
    if let Some(v) = ov {
        for (i, (id, item)) in old_items.iter().enumerate() {
            if let Some(x) = present(v.get(i)) {
                cells.insert(*id, (Some(x), None, item.code.as_str()));
            }
        }
    }
    if let Some(v) = nv {
        for (i, (id, item)) in new_items.iter().enumerate() {
            if let Some(x) = present(v.get(i)) {
                cells
                    .entry(*id)
                    .or_insert((None, None, item.code.as_str()))
                    .1 = Some(x);
            }
        }
    }
    let c = &mut d.cells;
    for (a, b, area) in cells.into_values() {
        let change = || cell_change(key, area, a, b);
        match (a, b) {
            (None, None) => {}
            (None, Some(_)) => c.added += 1,
            (Some(_), None) => c.removed += 1,
            (Some(x), Some(y)) if x.same_as(y) => c.unchanged += 1,
            (_, y) if is_x(y) => {
                c.newly_hidden += 1;
                if d.hidden.len() < LISTED {
                    d.hidden.push(change());
                }
            }
            (x, _) if is_x(x) => {
                c.newly_shown += 1;
                if d.shown.len() < LISTED {
                    d.shown.push(change());
                }
            }
            (Some(x), Some(y)) => {
                c.changed += 1;
                if let (Some(p), Some(q)) = (x.number(), y.number()) {
                    numeric.push(((q - p).abs(), key, area, x, y));
                }
            }
        }
    }
}

/// Whether the theme tree of the test copy (`themes`, and the indicators' places in `next`)
/// differs from the live copy's. Before the first publication every tree is new.
pub fn themes_changed(live: Option<&Live>, themes: &[peil_core::Theme], next: &Snapshot) -> bool {
    let Some(live) = live else {
        return !themes.is_empty();
    };
    let placed = |inds: &[peil_core::Indicator]| -> BTreeMap<String, Vec<String>> {
        inds.iter()
            .map(|i| {
                let mut t = i.themes.clone();
                t.sort();
                (i.code.clone(), t)
            })
            .collect()
    };
    live.themes != themes || placed(&live.indicators) != placed(&next.indicators)
}
