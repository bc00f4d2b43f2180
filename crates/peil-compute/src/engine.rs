//! Computing every value: loaded values, period aggregation, aggregation up the hierarchy DAG
//! and formula indicators, in dependency order. Privacy comes after, in `privacy.rs`.
//!
//! Rules:
//! - loaded values always win over computed ones, per cell;
//! - counts sum; means, percentages and ratios are recomputed weighted by their aggregation
//!   indicator, never averaged; medians and other non-aggregable indicators are not aggregated;
//! - a parent level is computed from the child level that holds the indicator with the most
//!   items (the finest), so that data loaded on an old division flows through its conversion
//!   table into the current one and up from there;
//! - coarser periods come from finer ones by period type: flows sum, stocks take the last
//!   period, average stocks average, growth rates compound; an incomplete period has no value;
//! - formulas are evaluated on every level from that level's values (so a ratio is always
//!   sum(numerator) / sum(denominator)), vectorised over the items of a level;
//! - a summed cube's finest cells (one member of the finest declared level of each dimension)
//!   are aggregated like any count; every other cell — a coarser band, a dimension total, the
//!   grand total — is, on every level and for every period, the sum of the finest cells beneath
//!   it, unless a value is loaded for that very cell: a loaded marginal wins for its own cell
//!   only and feeds no other cell (not the grand total, not the parent area's marginal, not its
//!   year). [`marginal_mismatches`] lists loaded marginals that differ from their cells.

use crate::geo::Geo;
use crate::slot::{Slot, Sum, WeightedSum};
use peil_core::formula::Formula;
use peil_core::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Indicator, level, period, cube cell.
pub type Key = (u32, u16, Period, u32);

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ComputeError {
    #[error("indicators depend on each other in a cycle: {}", .0.join(" → "))]
    Cycle(Vec<String>),
    #[error("formula of {indicator}: {message}")]
    Formula { indicator: String, message: String },
    #[error(transparent)]
    Hierarchy(#[from] crate::geo::GeoError),
}

/// How an indicator's values combine over areas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GeoRule {
    Sum,
    /// Weighted by this indicator (its aggregation indicator).
    Weighted(u32),
    None,
}

/// All values before privacy rules: the raw computed warehouse.
pub struct Computed {
    pub geo: Geo,
    pub indicators: Vec<Indicator>,
    pub index: HashMap<String, u32>,
    pub formulas: Vec<Option<Formula>>,
    pub dims: Vec<DimKey>,
    pub dim_index: HashMap<DimKey, u32>,
    /// Fine (level, member) → the coarser (level, member)s it rolls up into, transitively.
    pub dim_up: HashMap<(String, String), Vec<(String, String)>>,
    /// Per indicator, a cube's finest dim levels: its declared levels that no other declared
    /// level rolls up into (`leeftijd5` and `geslacht` of a cube declared with `leeftijd5`,
    /// `leeftijd3` and `geslacht`). Empty for flat indicators.
    pub fine_levels: Vec<Vec<String>>,
    pub values: HashMap<Key, Vec<Slot>>,
    /// Keys holding loaded values, and for each the loaded vector (for "loaded wins").
    pub loaded: HashMap<Key, Vec<Slot>>,
    /// The sum relations between indicators, found once per computation ([`Computed::linked`]).
    linked: std::sync::OnceLock<crate::linked::Linked>,
    /// (indicator, level) → its (period, dims) keys, sorted.
    pub keys: HashMap<(u32, u16), BTreeSet<(Period, u32)>>,
    /// Evaluation order (dependencies first).
    pub order: Vec<u32>,
    /// What each indicator reads: formula references and aggregation weights.
    pub deps: Vec<Vec<u32>>,
}

impl Computed {
    /// Whether a cube key is one of the cube's finest cells (a member of each finest dim
    /// level), as opposed to a marginal or a coarser cell derived through the dimension
    /// aggregation tables.
    pub fn is_fine(&self, ind: u32, key: &DimKey) -> bool {
        let levels = &self.fine_levels[ind as usize];
        !levels.is_empty()
            && key.0.len() == levels.len()
            && key.0.iter().all(|(l, _)| levels.contains(l))
    }

    /// Whether cube key `d` of `ind` is a marginal of a summed cube: a cell computed from the
    /// finest cells (or loaded for itself alone), never aggregated over areas or periods.
    pub fn is_cube_sum_marginal(&self, ind: u32, d: u32) -> bool {
        !self.indicators[ind as usize].dim_levels.is_empty()
            && self.rule(ind) == GeoRule::Sum
            && !self.is_fine(ind, &self.dims[d as usize])
    }

    /// Whether `coarse` (a cube key naming some dimensions) covers the finest cell `fine`:
    /// each of its members is the fine cell's member or one it rolls up into.
    pub fn covers(&self, coarse: &DimKey, fine: &DimKey) -> bool {
        coarse.0.iter().all(|m| {
            fine.0
                .iter()
                .any(|f| m == f || self.dim_up.get(f).is_some_and(|ups| ups.contains(m)))
        })
    }

    pub fn get(&self, ind: u32, level: usize, period: Period, dims: u32) -> Option<&Vec<Slot>> {
        self.values.get(&(ind, level as u16, period, dims))
    }

    pub fn rule(&self, ind: u32) -> GeoRule {
        geo_rule(&self.indicators[ind as usize], &self.index)
    }

    fn put(&mut self, key: Key, v: Vec<Slot>) {
        self.keys
            .entry((key.0, key.1))
            .or_default()
            .insert((key.2, key.3));
        self.values.insert(key, v);
    }
}

pub fn geo_rule(ind: &Indicator, index: &HashMap<String, u32>) -> GeoRule {
    if ind.non_aggregable || !ind.data_type.is_numeric() {
        return GeoRule::None;
    }
    match ind.data_type {
        DataType::Numeric | DataType::ObjectCount | DataType::Other => {
            match &ind.aggregation_indicator {
                // A count with a weight is unusual but then weighted is what the user asked for.
                Some(w) if ind.data_type == DataType::Other => index
                    .get(w)
                    .map_or(GeoRule::None, |w| GeoRule::Weighted(*w)),
                _ => GeoRule::Sum,
            }
        }
        DataType::Mean | DataType::Percentage | DataType::Ratio => match ind
            .aggregation_indicator
            .as_ref()
            .and_then(|w| index.get(w))
        {
            Some(w) => GeoRule::Weighted(*w),
            // A percentage without denominator cannot be aggregated.
            None => GeoRule::None,
        },
        DataType::Label | DataType::Text => GeoRule::None,
    }
}

/// Computes all values of a warehouse.
pub fn compute(w: &Warehouse) -> Result<Computed, ComputeError> {
    let geo = Geo::new(w)?;
    let index: HashMap<String, u32> = w
        .indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| (ind.code.clone(), i as u32))
        .collect();
    let mut formulas = Vec::with_capacity(w.indicators.len());
    for ind in &w.indicators {
        formulas.push(
            match ind
                .formula
                .as_deref()
                .map(str::trim)
                .filter(|f| !f.is_empty())
            {
                None => None,
                Some(text) => Some(Formula::parse(text).map_err(|e| ComputeError::Formula {
                    indicator: ind.code.clone(),
                    message: e.to_string(),
                })?),
            },
        );
    }
    // Dependencies: formula references and aggregation weights.
    let mut deps: Vec<Vec<u32>> = vec![Vec::new(); w.indicators.len()];
    for (i, ind) in w.indicators.iter().enumerate() {
        if let Some(f) = &formulas[i] {
            for r in f.references() {
                match index.get(&r.code) {
                    Some(d) => deps[i].push(*d),
                    None => {
                        return Err(ComputeError::Formula {
                            indicator: ind.code.clone(),
                            message: format!("unknown indicator '{}'", r.code),
                        });
                    }
                }
            }
        } else if let GeoRule::Weighted(wi) = geo_rule(ind, &index) {
            deps[i].push(wi);
        }
    }
    let order = topo_order(&deps).map_err(|cycle| {
        ComputeError::Cycle(
            cycle
                .into_iter()
                .map(|i| w.indicators[i as usize].code.clone())
                .collect(),
        )
    })?;

    let mut dims = vec![DimKey::default()];
    let mut dim_index: HashMap<DimKey, u32> = HashMap::from([(DimKey::default(), 0)]);
    let dim_up = dim_closure(&w.dim_links);
    let fine_levels = w
        .indicators
        .iter()
        .map(|ind| finest_levels(&ind.dim_levels, &dim_up))
        .collect();
    let mut c = Computed {
        geo,
        indicators: w.indicators.clone(),
        index,
        formulas,
        dims: Vec::new(),
        dim_index: HashMap::new(),
        dim_up,
        fine_levels,
        values: HashMap::new(),
        loaded: HashMap::new(),
        keys: HashMap::new(),
        order: order.clone(),
        deps,
        linked: std::sync::OnceLock::new(),
    };
    for s in &w.series {
        let (Some(&ind), Some(&level)) = (
            c.index.get(&s.key.indicator),
            c.geo.by_code.get(&s.key.level),
        ) else {
            continue;
        };
        let d = *dim_index.entry(s.key.dims.clone()).or_insert_with(|| {
            dims.push(s.key.dims.clone());
            dims.len() as u32 - 1
        });
        let lv = &c.geo.levels[level];
        let mut v = vec![Slot::NONE; lv.len()];
        for (id, val) in &s.values {
            if let Some(&p) = lv.pos.get(id) {
                v[p as usize] = Slot::from_value(*val);
            }
        }
        c.loaded.insert((ind, level as u16, s.key.period, d), v);
    }
    c.dims = dims;
    c.dim_index = dim_index;

    for &i in &order {
        if c.formulas[i as usize].is_some() {
            crate::eval::evaluate_formula(&mut c, i)?;
        } else {
            aggregate(&mut c, i);
        }
    }
    Ok(c)
}

impl Computed {
    /// The sum relations between indicators (formulas, `total of`, identities in the values),
    /// found on first use and kept until the values change: publication reports them and
    /// privacy protects them without looking twice.
    pub fn linked(&self) -> &crate::linked::Linked {
        self.linked.get_or_init(|| crate::linked::linked_sums(self))
    }

    /// The given indicators and everything that reads them, transitively, in evaluation order.
    pub fn dependants(&self, changed: &[u32]) -> Vec<u32> {
        let mut dirty: std::collections::HashSet<u32> = changed.iter().copied().collect();
        // `order` lists dependencies first, so one pass in order closes the set.
        for &i in &self.order {
            if self.deps[i as usize].iter().any(|d| dirty.contains(d)) {
                dirty.insert(i);
            }
        }
        self.order
            .iter()
            .copied()
            .filter(|i| dirty.contains(i))
            .collect()
    }

    /// Recomputes after a small import: `series` are the new loaded series of the `changed`
    /// indicators (all of them, replacing what was loaded); only these indicators and their
    /// dependants are computed again. Returns the recomputed indicators.
    pub fn recompute(
        &mut self,
        changed: &[String],
        series: &[WarehouseSeries],
    ) -> Result<Vec<u32>, ComputeError> {
        let changed: Vec<u32> = changed
            .iter()
            .filter_map(|c| self.index.get(c).copied())
            .collect();
        let dirty = self.dependants(&changed);
        let dirty_set: std::collections::HashSet<u32> = dirty.iter().copied().collect();
        // New values may make or break identities between indicators.
        self.linked = std::sync::OnceLock::new();
        self.values.retain(|k, _| !dirty_set.contains(&k.0));
        self.keys.retain(|k, _| !dirty_set.contains(&k.0));
        self.loaded.retain(|k, _| !changed.contains(&k.0));
        for s in series {
            let (Some(&ind), Some(&level)) = (
                self.index.get(&s.key.indicator),
                self.geo.by_code.get(&s.key.level),
            ) else {
                continue;
            };
            if !changed.contains(&ind) {
                continue;
            }
            let d = match self.dim_index.get(&s.key.dims) {
                Some(d) => *d,
                None => {
                    self.dims.push(s.key.dims.clone());
                    self.dim_index
                        .insert(s.key.dims.clone(), self.dims.len() as u32 - 1);
                    self.dims.len() as u32 - 1
                }
            };
            let lv = &self.geo.levels[level];
            let mut v = vec![Slot::NONE; lv.len()];
            for (id, val) in &s.values {
                if let Some(&p) = lv.pos.get(id) {
                    v[p as usize] = Slot::from_value(*val);
                }
            }
            self.loaded.insert((ind, level as u16, s.key.period, d), v);
        }
        for &i in &dirty {
            if self.formulas[i as usize].is_some() {
                crate::eval::evaluate_formula(self, i)?;
            } else {
                aggregate(self, i);
            }
        }
        Ok(dirty)
    }
}

/// Topological order of indicators by dependencies, or a cycle.
fn topo_order(deps: &[Vec<u32>]) -> Result<Vec<u32>, Vec<u32>> {
    let n = deps.len();
    let mut state = vec![0u8; n];
    let mut order = Vec::with_capacity(n);
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(u32, usize)> = vec![(start as u32, 0)];
        state[start] = 1;
        while let Some((node, next)) = stack.last_mut() {
            let d = &deps[*node as usize];
            if *next < d.len() {
                let m = d[*next];
                *next += 1;
                match state[m as usize] {
                    0 => {
                        state[m as usize] = 1;
                        stack.push((m, 0));
                    }
                    1 => {
                        let pos = stack.iter().position(|(s, _)| *s == m).unwrap_or(0);
                        let mut cycle: Vec<u32> = stack[pos..].iter().map(|(s, _)| *s).collect();
                        cycle.push(m);
                        return Err(cycle);
                    }
                    _ => {}
                }
            } else {
                state[*node as usize] = 2;
                order.push(*node);
                stack.pop();
            }
        }
    }
    Ok(order)
}

fn dim_closure(links: &[(MemberRef, MemberRef)]) -> HashMap<MemberRef, Vec<MemberRef>> {
    let direct: HashMap<&MemberRef, Vec<&MemberRef>> =
        links.iter().fold(HashMap::new(), |mut m, (c, p)| {
            m.entry(c).or_default().push(p);
            m
        });
    let mut out = HashMap::new();
    for start in direct.keys() {
        let mut seen: Vec<MemberRef> = Vec::new();
        let mut todo: Vec<&MemberRef> = direct[start].clone();
        while let Some(p) = todo.pop() {
            if seen.contains(p) {
                continue;
            }
            seen.push(p.clone());
            if let Some(more) = direct.get(p) {
                todo.extend(more.iter().copied());
            }
        }
        out.insert((*start).clone(), seen);
    }
    out
}

/// A cube's declared dim levels that no other declared level rolls up into.
fn finest_levels(
    declared: &[String],
    dim_up: &HashMap<(String, String), Vec<(String, String)>>,
) -> Vec<String> {
    let coarser = |fine: &str, coarse: &str| {
        dim_up
            .iter()
            .any(|((l, _), ups)| l == fine && ups.iter().any(|(u, _)| u == coarse))
    };
    declared
        .iter()
        .filter(|l| !declared.iter().any(|m| m != *l && coarser(m, l)))
        .cloned()
        .collect()
}

/// Loaded values with coarser periods filled in, then aggregation up the hierarchy.
fn aggregate(c: &mut Computed, ind: u32) {
    let indicator = c.indicators[ind as usize].clone();
    let rule = c.rule(ind);
    // A summed cube: only its finest cells are aggregated over areas and periods; the other
    // cells are sums of those (`materialize_dims`), or loaded for themselves alone.
    let cube_sum = !indicator.dim_levels.is_empty() && rule == GeoRule::Sum;
    let marginal = |c: &Computed, d: u32| c.is_cube_sum_marginal(ind, d);
    // Per level, the loaded values (a summed cube's marginals apart).
    let mut base: BTreeMap<u16, BTreeMap<(Period, u32), Vec<Slot>>> = BTreeMap::new();
    let mut marginals: BTreeMap<u16, BTreeMap<(Period, u32), Vec<Slot>>> = BTreeMap::new();
    for (k, v) in c.loaded.iter().filter(|(k, _)| k.0 == ind) {
        let to = if marginal(c, k.3) {
            &mut marginals
        } else {
            &mut base
        };
        to.entry(k.1).or_default().insert((k.2, k.3), v.clone());
    }
    // Levels in order, children first: each key aggregated over areas, then the level's
    // coarser periods from its own finer ones (so a parent's year is the period rule over the
    // parent's own quarters, never the sum or mean of its children's years, which would leave
    // out a child whose own year is incomplete). A weighted indicator carries, per level and
    // key, each item's Σ(value·weight) and Σ(weight) over its base areas, and a parent sums
    // those — never its children's means (which would weight a child's mean by the child's
    // full weight, including areas that have no value).
    let mut sums: HashMap<(u16, Period, u32), Vec<WeightedSum>> = HashMap::new();
    let topo = c.geo.topo.clone();
    for level in topo {
        let l16 = level as u16;
        let own = base.remove(&l16).unwrap_or_default();
        let mut layer: BTreeMap<(Period, u32), Vec<Slot>> = BTreeMap::new();
        let mut keys: BTreeSet<(Period, u32)> = own.keys().copied().collect();
        let mut sources: Vec<usize> = Vec::new();
        if rule != GeoRule::None {
            for (ei, e) in c.geo.edges.iter().enumerate() {
                if e.parent == level
                    && let Some(k) = c.keys.get(&(ind, e.child as u16))
                {
                    keys.extend(k.iter().copied());
                    sources.push(ei);
                }
            }
        }
        for (period, d) in keys {
            if marginal(c, d) {
                continue;
            }
            let computed = if rule == GeoRule::None {
                None
            } else {
                // The finest child level holding this key.
                let best = sources
                    .iter()
                    .filter(|&&ei| {
                        c.values
                            .contains_key(&(ind, c.geo.edges[ei].child as u16, period, d))
                    })
                    .max_by_key(|&&ei| c.geo.levels[c.geo.edges[ei].child].len())
                    .copied();
                best.map(|ei| match rule {
                    GeoRule::Weighted(wi) => roll_up_weighted(c, &mut sums, ind, wi, ei, period, d),
                    _ => roll_up(c, ind, rule, ei, period, d),
                })
            };
            let loaded = own.get(&(period, d));
            if let GeoRule::Weighted(wi) = rule {
                // A loaded value (even a code) wins for its own cell, and counts upward with
                // this level's weight of its item: it stands for all the item's base areas.
                let n = c.geo.levels[level].len();
                let acc = sums
                    .entry((l16, period, d))
                    .or_insert_with(|| vec![WeightedSum::default(); n]);
                if let Some(l) = loaded {
                    let weights = c.values.get(&(wi, l16, period, 0));
                    for (i, lv) in l.iter().enumerate() {
                        if !lv.is_none() {
                            let w = weights.map_or(Slot::NONE, |w| w[i]);
                            acc[i] = WeightedSum::of(*lv, w);
                        }
                    }
                }
            }
            let v = match (loaded, computed) {
                (Some(l), Some(mut comp)) => {
                    for (slot, lv) in comp.iter_mut().zip(l) {
                        if !lv.is_none() {
                            *slot = *lv;
                        }
                    }
                    comp
                }
                (Some(l), None) => l.clone(),
                (None, Some(comp)) => comp,
                (None, None) => continue,
            };
            layer.insert((period, d), v);
        }
        let derived = aggregate_periods(&indicator, &mut layer, &own);
        if let GeoRule::Weighted(wi) = rule {
            // A cell computed from the item's own sub-periods counts upward as that item.
            for ((period, d), items) in derived {
                let n = c.geo.levels[level].len();
                let weights = c.values.get(&(wi, l16, period, 0));
                let acc = sums
                    .entry((l16, period, d))
                    .or_insert_with(|| vec![WeightedSum::default(); n]);
                for i in items {
                    let w = weights.map_or(Slot::NONE, |w| w[i]);
                    acc[i] = WeightedSum::of(layer[&(period, d)][i], w);
                }
            }
        }
        for ((period, d), v) in layer {
            if v.iter().any(|s| !s.is_none()) {
                c.put((ind, l16, period, d), v);
            }
        }
        // Loaded marginals stay on their own level, for their own cells.
        for ((period, d), v) in marginals.remove(&l16).unwrap_or_default() {
            if v.iter().any(|s| !s.is_none()) {
                c.put((ind, l16, period, d), v);
            }
        }
    }
    if cube_sum {
        materialize_dims(c, ind);
    }
}

/// Computes a summed cube's coarser cells on every level: each dimension either at the finest
/// member, at a coarser member through the dimension aggregation tables, or totalled. So the
/// population by `leeftijd3` × `geslacht`, by `geslacht` alone and in total are all there,
/// each the sum of the finest cells beneath it. A loaded marginal (the only values on such
/// keys so far) wins for its own cell.
fn materialize_dims(c: &mut Computed, ind: u32) {
    let levels: Vec<u16> = c
        .keys
        .keys()
        .filter(|(x, _)| *x == ind)
        .map(|(_, l)| *l)
        .collect();
    for l in levels {
        let keys: Vec<(Period, u32)> = c.keys[&(ind, l)].iter().copied().collect();
        let mut derived: BTreeMap<(Period, DimKey), Vec<Sum>> = BTreeMap::new();
        for &(p, d) in &keys {
            let fine = c.dims[d as usize].clone();
            if !c.is_fine(ind, &fine) {
                continue;
            }
            // Options per dimension: the member itself, its coarser members, or totalled (None).
            let options: Vec<Vec<Option<(String, String)>>> = fine
                .0
                .iter()
                .map(|pair| {
                    let mut o = vec![Some(pair.clone())];
                    o.extend(c.dim_up.get(pair).into_iter().flatten().cloned().map(Some));
                    o.push(None);
                    o
                })
                .collect();
            let v = &c.values[&(ind, l, p, d)];
            let mut combo = vec![0usize; options.len()];
            loop {
                let pairs: Vec<(String, String)> = combo
                    .iter()
                    .zip(&options)
                    .filter_map(|(&k, o)| o[k].clone())
                    .collect();
                let is_fine = combo.iter().all(|&k| k == 0);
                if !is_fine {
                    let acc = derived
                        .entry((p, DimKey::new(pairs)))
                        .or_insert_with(|| vec![Sum::default(); v.len()]);
                    for (s, x) in acc.iter_mut().zip(v) {
                        s.add(*x);
                    }
                }
                // Next combination (odometer).
                let mut i = 0;
                while i < combo.len() {
                    combo[i] += 1;
                    if combo[i] < options[i].len() {
                        break;
                    }
                    combo[i] = 0;
                    i += 1;
                }
                if i == combo.len() {
                    break;
                }
            }
        }
        for ((p, key), sums) in derived {
            let d = match c.dim_index.get(&key) {
                Some(d) => *d,
                None => {
                    c.dims.push(key.clone());
                    c.dim_index.insert(key, c.dims.len() as u32 - 1);
                    c.dims.len() as u32 - 1
                }
            };
            let computed: Vec<Slot> = sums.iter().map(Sum::result).collect();
            let v = match c.values.get(&(ind, l, p, d)) {
                // A loaded marginal wins for its own cell.
                Some(existing) => existing
                    .iter()
                    .zip(&computed)
                    .map(|(e, x)| if e.is_none() { *x } else { *e })
                    .collect(),
                None => computed,
            };
            c.put((ind, l, p, d), v);
        }
    }
}

/// Aggregates one key from a child level into its parent level along edge `ei`.
fn roll_up(c: &Computed, ind: u32, rule: GeoRule, ei: usize, period: Period, d: u32) -> Vec<Slot> {
    let e = &c.geo.edges[ei];
    let n = c.geo.levels[e.parent].len();
    let child = &c.values[&(ind, e.child as u16, period, d)];
    match rule {
        GeoRule::Sum => {
            let mut sums = vec![Sum::default(); n];
            for (ci, p) in e.links() {
                sums[p].add(child[ci]);
            }
            sums.iter().map(Sum::result).collect()
        }
        // Weighted indicators carry their sums: `roll_up_weighted`.
        GeoRule::Weighted(_) | GeoRule::None => vec![Slot::NONE; n],
    }
}

/// Aggregates a weighted indicator's key from a child level into its parent level along edge
/// `ei`: the parent's sums are the sums of its children's sums (stored in `sums` for the parent
/// level), and its value their quotient.
fn roll_up_weighted(
    c: &Computed,
    sums: &mut HashMap<(u16, Period, u32), Vec<WeightedSum>>,
    ind: u32,
    wi: u32,
    ei: usize,
    period: Period,
    d: u32,
) -> Vec<Slot> {
    let e = &c.geo.edges[ei];
    let n = c.geo.levels[e.parent].len();
    let mut acc = vec![WeightedSum::default(); n];
    let child_sums = sums.get(&(e.child as u16, period, d));
    // Every level holding a value of a weighted indicator has its sums (loaded levels are
    // seeded from their own values); fall back to the child's values with their weights.
    let fallback: Vec<WeightedSum>;
    let child_sums = match child_sums {
        Some(s) => s,
        None => {
            let child = &c.values[&(ind, e.child as u16, period, d)];
            let weights = c.values.get(&(wi, e.child as u16, period, 0));
            fallback = child
                .iter()
                .enumerate()
                .map(|(i, v)| WeightedSum::of(*v, weights.map_or(Slot::NONE, |w| w[i])))
                .collect();
            &fallback
        }
    };
    for (ci, p) in e.links() {
        acc[p].merge(&child_sums[ci]);
    }
    let out = acc.iter().map(WeightedSum::result).collect();
    sums.insert((e.parent as u16, period, d), acc);
    out
}

/// Fills coarser periods from finer ones in one level's layer, per item: a value loaded for
/// the coarser period wins; else an item with any value (or code) in the finer periods gets
/// the period rule over them (an incomplete period: no value); else the item keeps what the
/// layer holds (a parent's period aggregated over areas from children that have only that
/// period). Returns, per coarser key, the items computed from their sub-periods.
pub fn aggregate_periods(
    ind: &Indicator,
    layer: &mut BTreeMap<(Period, u32), Vec<Slot>>,
    loaded: &BTreeMap<(Period, u32), Vec<Slot>>,
) -> Vec<((Period, u32), Vec<usize>)> {
    let mut derived = Vec::new();
    if !aggregates_periods(ind) {
        return derived;
    }
    for fine in [
        PeriodLevel::Month,
        PeriodLevel::Quarter,
        PeriodLevel::HalfYear,
    ] {
        let Some(coarse) = fine.parent() else {
            continue;
        };
        let per = (fine.per_year() / coarse.per_year()) as usize;
        let mut groups: BTreeMap<(Period, u32), Vec<Period>> = BTreeMap::new();
        for (p, d) in layer.keys() {
            if p.level == fine
                && let Some(cp) = p.within(coarse)
            {
                groups.entry((cp, *d)).or_default().push(*p);
            }
        }
        for ((cp, d), subs) in groups {
            // A loaded coarser period wins per cell: only its empty cells are computed.
            let loaded = loaded.get(&(cp, d));
            if loaded.is_some_and(|l| l.iter().all(|s| !s.is_none())) {
                continue;
            }
            let n = layer[&(subs[0], d)].len();
            let all: Vec<Period> = (0..per as i64)
                .filter_map(|k| cp_first(cp, fine).and_then(|f| f.offset(k)))
                .collect();
            let vecs: Vec<Option<&Vec<Slot>>> = all.iter().map(|p| layer.get(&(*p, d))).collect();
            let existing = layer.get(&(cp, d));
            let mut out = vec![Slot::NONE; n];
            let mut items = Vec::new();
            for (i, slot) in out.iter_mut().enumerate() {
                let own = existing.map_or(Slot::NONE, |e| e[i]);
                if loaded.is_some_and(|l| !l[i].is_none()) {
                    *slot = own;
                    continue;
                }
                let cells: Vec<Slot> = vecs
                    .iter()
                    .map(|v| v.map_or(Slot::NONE, |v| v[i]))
                    .collect();
                if cells.iter().all(|s| s.is_none()) {
                    *slot = own;
                } else {
                    *slot = combine_periods(ind.period_type, &cells);
                    items.push(i);
                }
            }
            if out.iter().any(|s| !s.is_none()) || existing.is_some() {
                layer.insert((cp, d), out);
            }
            if !items.is_empty() {
                derived.push(((cp, d), items));
            }
        }
    }
    derived
}

/// Whether an indicator's coarser periods are computed from its finer ones.
pub(crate) fn aggregates_periods(ind: &Indicator) -> bool {
    let additive = matches!(ind.data_type, DataType::Numeric | DataType::ObjectCount);
    !(ind.non_aggregable_periods
        || ind.period_type == PeriodType::Independent
        || !ind.data_type.is_numeric()
        || ind.period_type == PeriodType::Flow && !additive)
}

/// The sub-periods of `coarse` one period level finer (a year's halves, a half's quarters, a
/// quarter's months), in order; none for a month.
pub(crate) fn sub_periods(coarse: Period) -> Vec<Period> {
    let fine = match coarse.level {
        PeriodLevel::Year => PeriodLevel::HalfYear,
        PeriodLevel::HalfYear => PeriodLevel::Quarter,
        PeriodLevel::Quarter => PeriodLevel::Month,
        PeriodLevel::Month => return Vec::new(),
    };
    let per = (fine.per_year() / coarse.level.per_year()) as i64;
    (0..per)
        .filter_map(|k| cp_first(coarse, fine).and_then(|f| f.offset(k)))
        .collect()
}

fn cp_first(coarse: Period, fine: PeriodLevel) -> Option<Period> {
    let ((y, m, _), _) = coarse.bounds();
    let months_per = 12 / fine.per_year();
    Period::new(fine, y, (m - 1) / months_per + 1)
}

/// One item's coarser-period value from its sub-periods (all of them, in order).
pub(crate) fn combine_periods(pt: PeriodType, cells: &[Slot]) -> Slot {
    // The stock at the end of the period: the last sub-period's value, whatever came before
    // (an unknown January does not make the March stock unknown).
    if pt == PeriodType::Stock {
        return *cells.last().unwrap_or(&Slot::NONE);
    }
    let mut poison = None;
    for c in cells {
        if let Err(code) = c.get()
            && code.poisons()
        {
            poison = Some(poison.map_or(code, |p: MissingCode| p.stronger(code)));
        }
    }
    if let Some(p) = poison {
        return Slot::missing(p);
    }
    let nums: Vec<f64> = cells.iter().filter_map(|c| c.number()).collect();
    match pt {
        PeriodType::Stock => unreachable!("handled above"),
        _ if nums.len() < cells.len() => {
            // Incomplete: some sub-periods have no number. All not-applicable stays so.
            if nums.is_empty()
                && cells
                    .iter()
                    .all(|c| matches!(c.get(), Err(MissingCode::NotApplicable)))
            {
                Slot::NA
            } else {
                Slot::NONE
            }
        }
        PeriodType::Flow => Slot::num(nums.iter().sum()),
        PeriodType::AverageStock => Slot::num(nums.iter().sum::<f64>() / nums.len() as f64),
        PeriodType::GrowthRate => {
            Slot::num((nums.iter().map(|r| 1.0 + r / 100.0).product::<f64>() - 1.0) * 100.0)
        }
        PeriodType::Independent => Slot::NONE,
    }
}
