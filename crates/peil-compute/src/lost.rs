//! Values that reach no parent: a value on a level that the engine rolls up into a parent level,
//! held by an item that has no parent item there while its siblings do, and that does not reach
//! any level above that parent by another path either. Such a value silently drops out of every
//! total above it (issue 11: the unknown-location sectors of the municipalities merged in 2019
//! were missing from the municipal totals, with only a vague `check` warning as a trace), so
//! `peil publish` refuses it unless told otherwise and `peil check` reports it as an error.
//!
//! Also here: a cube's loaded marginals that disagree with the finest cells beneath them
//! ([`marginal_mismatches`]). Such a value is shown for its own cell, but every other cell is
//! computed from the finest cells, so `check` and `publish` list it.

use crate::engine::{Computed, GeoRule};
use crate::geo::{Geo, NO_PARENT};
use crate::slot::Sum;
use peil_core::{EdgeKind, MissingCode, Period};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The values of one indicator on one level that never reach one parent level.
#[derive(Debug, Clone, PartialEq)]
pub struct LostValues {
    pub indicator: String,
    pub level: String,
    pub parent_level: String,
    /// Cells with a number or a code other than "empty".
    pub values: usize,
    /// The sum of the numbers among them.
    pub sum: f64,
    /// Cells among them holding a missing code (`?`, `x`, `nvt`).
    pub codes: usize,
    /// Up to three (item, period) examples.
    pub examples: Vec<(String, Period)>,
}

impl std::fmt::Display for LostValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ex: Vec<String> = self
            .examples
            .iter()
            .map(|(i, p)| format!("{i} {p}"))
            .collect();
        write!(
            f,
            "{}: {} values on {} (sum {}{}) reach no item of {}, while the other items of {} do (e.g. {})",
            self.indicator,
            self.values,
            self.level,
            fmt_sum(self.sum),
            if self.codes > 0 {
                format!(", {} of them missing codes", self.codes)
            } else {
                String::new()
            },
            self.parent_level,
            self.level,
            ex.join(", ")
        )
    }
}

fn fmt_sum(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Levels reachable from `level` along level edges (not including it).
fn ancestors(geo: &Geo, level: usize) -> HashSet<usize> {
    let mut out = HashSet::new();
    let mut todo = vec![level];
    while let Some(l) = todo.pop() {
        for e in geo.edges.iter().filter(|e| e.child == l) {
            if out.insert(e.parent) {
                todo.push(e.parent);
            }
        }
    }
    out
}

/// Levels an item reaches through its own links.
fn reached(geo: &Geo, level: usize, pos: u32) -> HashSet<usize> {
    let mut out = HashSet::new();
    let mut seen = HashSet::new();
    let mut todo = vec![(level, pos)];
    while let Some((l, p)) = todo.pop() {
        for e in geo.edges.iter().filter(|e| e.child == l) {
            let q = e.parent_of[p as usize];
            if q != NO_PARENT && seen.insert((e.parent, q)) {
                out.insert(e.parent);
                todo.push((e.parent, q));
            }
        }
    }
    out
}

/// Every group of values that reaches no parent, for the edges the engine rolled up along (a
/// parent level is computed from its finest child level holding the indicator).
pub fn lost_values(c: &Computed) -> Vec<LostValues> {
    let geo = &c.geo;
    // Per edge: the child positions whose values are lost along it (no parent there, and no
    // other path to the parent level or above).
    let mut lost_items: HashMap<usize, Vec<u32>> = HashMap::new();
    for (ei, e) in geo.edges.iter().enumerate() {
        if e.kind == EdgeKind::Cluster || !e.parent_of.iter().any(|p| *p != NO_PARENT) {
            // No item of the level reaches the parent level: a table not loaded yet, not a
            // sibling left behind. (An area outside every cluster loses nothing: clusters are
            // groups beside the hierarchy, not a level every value must reach.)
            continue;
        }
        let mut above = ancestors(geo, e.parent);
        above.insert(e.parent);
        let items: Vec<u32> = e
            .parent_of
            .iter()
            .enumerate()
            .filter(|(_, p)| **p == NO_PARENT)
            .map(|(ci, _)| ci as u32)
            .filter(|&ci| reached(geo, e.child, ci).is_disjoint(&above))
            .collect();
        if !items.is_empty() {
            lost_items.insert(ei, items);
        }
    }
    if lost_items.is_empty() {
        return Vec::new();
    }
    let mut groups: BTreeMap<(String, String, String), LostValues> = BTreeMap::new();
    let mut keys: Vec<_> = c.values.keys().copied().collect();
    keys.sort_unstable_by_key(|k| (k.0, k.1, k.2, k.3));
    for (ind, level, period, d) in keys {
        if c.rule(ind) == GeoRule::None || c.is_cube_sum_marginal(ind, d) {
            // A summed cube's marginals are sums of its finest cells, which are counted.
            continue;
        }
        let level = level as usize;
        for (ei, items) in &lost_items {
            let e = &geo.edges[*ei];
            if e.child != level {
                continue;
            }
            // Only the edge the parent level is computed along counts (the finest child level
            // that holds this key); another level's copy of the values reaches it instead.
            let best = geo
                .edges
                .iter()
                .filter(|x| {
                    x.parent == e.parent && c.values.contains_key(&(ind, x.child as u16, period, d))
                })
                .map(|x| geo.levels[x.child].len())
                .max();
            if best != Some(geo.levels[level].len()) {
                continue;
            }
            let v = &c.values[&(ind, level as u16, period, d)];
            for &ci in items {
                let s = v[ci as usize];
                if s.is_none() {
                    continue;
                }
                let g = groups
                    .entry((
                        c.indicators[ind as usize].code.clone(),
                        geo.levels[level].code.clone(),
                        geo.levels[e.parent].code.clone(),
                    ))
                    .or_insert_with(|| LostValues {
                        indicator: c.indicators[ind as usize].code.clone(),
                        level: geo.levels[level].code.clone(),
                        parent_level: geo.levels[e.parent].code.clone(),
                        values: 0,
                        sum: 0.0,
                        codes: 0,
                        examples: Vec::new(),
                    });
                g.values += 1;
                match s.get() {
                    Ok(x) => g.sum += x,
                    Err(MissingCode::Empty) => {}
                    Err(_) => g.codes += 1,
                }
                let code = &geo.levels[level].items[ci as usize].1.code;
                if g.examples.len() < 3 && !g.examples.iter().any(|(i, _)| i == code) {
                    g.examples.push((code.clone(), period));
                }
            }
        }
    }
    groups.into_values().collect()
}

/// A summed cube's loaded marginal cells (a coarser band, a dimension total, the grand total)
/// on one level whose number is not the sum of the finest cells beneath them.
#[derive(Debug, Clone, PartialEq)]
pub struct MarginalMismatch {
    pub indicator: String,
    pub level: String,
    /// Loaded numbers that differ from the sum of their finest cells.
    pub differ: usize,
    /// Loaded numbers with no finest cell beneath them at all (they count in no other cell).
    pub alone: usize,
    /// Up to three examples: (item, period, cube key, loaded, sum of its cells if any).
    pub examples: Vec<(String, Period, String, f64, Option<f64>)>,
}

impl std::fmt::Display for MarginalMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ex: Vec<String> = self
            .examples
            .iter()
            .map(|(i, p, k, l, s)| (i, p, if k.is_empty() { "total" } else { k }, l, s))
            .map(|(i, p, k, l, s)| match s {
                Some(s) => format!("{i} {p} {k}: loaded {}, cells {}", fmt_sum(*l), fmt_sum(*s)),
                None => format!("{i} {p} {k}: loaded {}, no cells", fmt_sum(*l)),
            })
            .collect();
        write!(
            f,
            "{}: {} loaded marginal values on {} differ from the sum of their finest cells{} \
             (each is shown for its own cell only; totals, other margins and parent areas are \
             computed from the finest cells) (e.g. {})",
            self.indicator,
            self.differ + self.alone,
            self.level,
            if self.alone > 0 {
                format!(", {} of them with no cells at all", self.alone)
            } else {
                String::new()
            },
            ex.join("; ")
        )
    }
}

/// Every summed cube's loaded marginal numbers that are not the sum of their finest cells.
pub fn marginal_mismatches(c: &Computed) -> Vec<MarginalMismatch> {
    let mut groups: BTreeMap<(String, String), MarginalMismatch> = BTreeMap::new();
    let mut keys: Vec<_> = c.loaded.keys().copied().collect();
    keys.sort_unstable_by_key(|k| (k.0, k.1, k.2, k.3));
    for (ind, level, period, d) in keys {
        if !c.is_cube_sum_marginal(ind, d) {
            continue;
        }
        let marginal = &c.dims[d as usize];
        let n = c.geo.levels[level as usize].len();
        let mut sums = vec![Sum::default(); n];
        for &(p, fd) in c.keys.get(&(ind, level)).into_iter().flatten() {
            if p != period || !c.is_fine(ind, &c.dims[fd as usize]) {
                continue;
            }
            if !c.covers(marginal, &c.dims[fd as usize]) {
                continue;
            }
            for (s, x) in sums.iter_mut().zip(&c.values[&(ind, level, p, fd)]) {
                s.add(*x);
            }
        }
        for (i, l) in c.loaded[&(ind, level, period, d)].iter().enumerate() {
            let Some(l) = l.number() else { continue };
            let sum = sums[i].result();
            let cells = match sum.get() {
                Ok(x) if (x - l).abs() <= 1e-9 * (1.0 + x.abs().max(l.abs())) => continue,
                Ok(x) => Some(x),
                Err(MissingCode::Empty) => None,
                // A code beneath (hidden, unknown, not applicable): nothing to compare.
                Err(_) => continue,
            };
            let code = &c.indicators[ind as usize].code;
            let lv = &c.geo.levels[level as usize];
            let g = groups
                .entry((code.clone(), lv.code.clone()))
                .or_insert_with(|| MarginalMismatch {
                    indicator: code.clone(),
                    level: lv.code.clone(),
                    differ: 0,
                    alone: 0,
                    examples: Vec::new(),
                });
            match cells {
                Some(_) => g.differ += 1,
                None => g.alone += 1,
            }
            if g.examples.len() < 3 {
                g.examples.push((
                    lv.items[i].1.code.clone(),
                    period,
                    marginal.to_text(),
                    l,
                    cells,
                ));
            }
        }
    }
    groups.into_values().collect()
}
