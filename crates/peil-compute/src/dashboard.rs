//! The operational dashboard of a record set (issue 17): for a department head, per month the
//! cases opened, closed and still open at the month's end (the backlog); the distribution of
//! throughput times (days from opening to closing) with its median and 90th percentile; the
//! top categories; and the categories and throughput per area of a chosen level — for the
//! whole register, or drilled down to one month (the cases closed in it for throughput times,
//! the cases opened in it for categories).
//!
//! It is computed in two steps: the counts once per import of the set (the store keeps them,
//! so a request reads no record), the figures from them against the publication readers are
//! served ([`published`]; the server keeps them per publication):
//! - [`Aggregates::build`] counts the records: per month opened and closed, throughput times
//!   per month closed as (days, cases), categories per month opened, and per area of each
//!   level (every area of it) the same for the whole register. No record leaves this step,
//!   only counts.
//! - [`publish`] applies the set's threshold to every figure the dashboard can show, as one
//!   system of counts and the sums that tie them together:
//!   - every count (opened, closed, backlog, a throughput class, a category, an area) is
//!     decided by the rule of counts: not 0 and below the threshold is hidden (`x`);
//!   - a month with one of its two counts hidden hides the other too (else the backlog's
//!     step, `backlog − previous backlog = opened − closed`, would give it);
//!   - the published cells of the set's measures that count the same cases ([`Public`]) join
//!     the system as they are published (shown or `x`; the dashboard never hides one): a
//!     count, or another measure's `_n`, without a condition, by the opening date (opened
//!     cases) or the closing date (closed cases); the `_n` of a throughput time up to the
//!     closing date (closed cases, whatever date places it in a period); a count of opened
//!     cases of categories that make whole category columns. Per period of such a measure,
//!     the months' figures in it equal its cells over the areas of the coarsest level the
//!     dashboard tabulates (and the cases on no area of it); per area of every tabulated
//!     level, the area's figure over all months equals its cells over the measure's coarsest
//!     period level. What those cells give by themselves is no secret of the dashboard's;
//!   - then, as for every indicator (secondary suppression), no hidden figure — nor hidden
//!     published cell — may follow from the shown ones: the relations are the backlog's step,
//!     the totals (all months, all classes, all categories, all areas), each month's and each
//!     area's parts and the ties above; while a hidden cell can be solved from them
//!     ([`crate::checker::determined`]), one more figure of its relation (or of a relation of
//!     an unshown sum in it) is hidden — a count before a backlog, the smallest first; when
//!     none is left to hide, every figure is.
//!
//!   The median and the 90th percentile are shown only over a shown count of at least the
//!   threshold of closed cases.
//! - [`view`] picks the figures of one page (whole or a month, an area level) from it.

use crate::checker::determined;
use crate::measures::LevelMap;
use crate::privacy::index_relations;
use peil_core::records::{DashboardDef, Day, NO_DATE, RecordSetDef, Records, month_index};
use peil_core::{MissingCode, Period, PeriodLevel, Value};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// How many categories the dashboard names; the rest are "other".
pub const TOP: usize = 10;

/// The most areas a level may have to be offered per area: a table of more areas would be
/// mostly hidden cells, and the suppression over it grows with the square of its cells.
pub const AREAS_MAX: usize = 100;

/// The counts of a register the dashboard is made of (never a record).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregates {
    /// The first month (a month index, see `peil_core::records::month_index`); every list
    /// below that is per month starts at it and runs to the last month with a case.
    pub first: i32,
    /// Per month: cases opened, and cases closed (of those with an opening date).
    pub opened: Vec<u64>,
    pub closed: Vec<u64>,
    /// Per month closed: throughput times as (days, cases), ascending.
    pub durations: Vec<Vec<(u32, u64)>>,
    /// Category labels by code; per month opened: (code, cases).
    pub labels: Vec<String>,
    pub categories: Vec<Vec<(u32, u64)>>,
    /// Per area level above (or at) the records' own, with at most [`AREAS_MAX`] areas.
    pub levels: Vec<LevelAggregates>,
    /// The measures' counts (a count's code, another measure's `_n`) whose records are exactly
    /// the cases opened (`true`) or closed (`false`), by whatever date they are counted, found
    /// on the records; `None` for counts stored before they were (the definitions decide then).
    #[serde(default)]
    pub same_cases: Option<Vec<(String, bool)>>,
}

/// One level's areas, for the whole register.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LevelAggregates {
    pub level: String,
    pub areas: Vec<AreaAggregates>,
}

/// One area's cases (code "" gathers the cases on no area of the level).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AreaAggregates {
    pub code: String,
    pub name: String,
    pub opened: u64,
    pub closed: u64,
    pub categories: Vec<(u32, u64)>,
    pub durations: Vec<(u32, u64)>,
    /// Per year of the register (every one, ascending): (year, cases opened in it, cases
    /// closed in it). Empty in counts stored before they were.
    #[serde(default)]
    pub years: Vec<(i32, u64, u64)>,
}

/// An area level to break the dashboard down by: the level's map from the records' items
/// (`LevelMap` of the measures) and each of its items' code and name.
#[derive(Debug, Clone)]
pub struct AreaLevel<'a> {
    pub map: &'a LevelMap,
    pub names: HashMap<u32, (String, String)>,
}

/// A case of the register: its record, its opening month, and its closing month and
/// throughput days when it is closed.
type Case = (usize, i32, Option<(i32, u32)>);

fn histogram(h: HashMap<u32, u64>) -> Vec<(u32, u64)> {
    let mut v: Vec<(u32, u64)> = h.into_iter().collect();
    v.sort_unstable();
    v
}

impl Aggregates {
    /// Counts a set's records for its dashboard.
    pub fn build(
        def: &RecordSetDef,
        dash: &DashboardDef,
        rec: &Records,
        levels: &[AreaLevel],
    ) -> Aggregates {
        let col = |name: &str| def.dates.iter().position(|d| d == name);
        let empty: Vec<Day> = Vec::new();
        let opened = col(&dash.opened).map(|k| &rec.dates[k]).unwrap_or(&empty);
        let closed = col(&dash.closed).map(|k| &rec.dates[k]).unwrap_or(&empty);
        let n = opened.len().min(closed.len());
        let cat = dash
            .category
            .as_ref()
            .and_then(|c| def.categories.iter().position(|x| x == c))
            .map(|k| &rec.categories[k]);
        let month = |d: Day| if d == NO_DATE { None } else { month_index(d) };
        // Per record: its opening month, and its closing month and days when it is closed.
        let mut cases: Vec<Case> = Vec::with_capacity(n);
        for i in 0..n {
            let Some(o) = month(opened[i]) else { continue };
            let c = month(closed[i])
                .filter(|_| closed[i] >= opened[i])
                .map(|m| (m, (closed[i] - opened[i]) as u32));
            cases.push((i, o, c));
        }
        let mut out = Aggregates {
            labels: cat.map(|c| c.labels.clone()).unwrap_or_default(),
            ..Aggregates::default()
        };
        let (Some(first), Some(last)) = (
            cases.iter().map(|c| c.1).min(),
            cases
                .iter()
                .map(|c| c.2.map_or(c.1, |x| x.0.max(c.1)))
                .max(),
        ) else {
            return out;
        };
        let len = (last - first + 1) as usize;
        out.first = first;
        out.opened = vec![0; len];
        out.closed = vec![0; len];
        let mut durations: Vec<HashMap<u32, u64>> = vec![HashMap::new(); len];
        let mut cats: Vec<HashMap<u32, u64>> = vec![HashMap::new(); len];
        for &(i, o, c) in &cases {
            let om = (o - first) as usize;
            out.opened[om] += 1;
            if let Some(cc) = cat {
                *cats[om].entry(cc.codes[i]).or_default() += 1;
            }
            if let Some((m, days)) = c {
                let cm = (m - first) as usize;
                out.closed[cm] += 1;
                *durations[cm].entry(days).or_default() += 1;
            }
        }
        out.durations = durations.into_iter().map(histogram).collect();
        out.categories = cats.into_iter().map(histogram).collect();
        // The measures that count exactly the opened or the closed cases.
        let (mut opened_cases, mut closed_cases) = (vec![false; rec.len()], vec![false; rec.len()]);
        for &(i, _, c) in &cases {
            opened_cases[i] = true;
            closed_cases[i] = c.is_some();
        }
        let mut same = Vec::new();
        for m in &def.measures {
            let (counts, _) = crate::measures::counted(def, rec, m);
            let code = m.count_code().unwrap_or_else(|| m.code.clone());
            if counts == opened_cases {
                same.push((code, true));
            } else if counts == closed_cases {
                same.push((code, false));
            }
        }
        out.same_cases = Some(same);
        let (y0, y1) = (year_month(first).0, year_month(last).0);
        let no_years = || (y0..=y1).map(|y| (y, 0, 0)).collect::<Vec<_>>();
        for l in levels {
            let mut index: HashMap<u32, usize> = HashMap::new();
            let mut areas: Vec<AreaAggregates> = Vec::new();
            let mut area_cats: Vec<HashMap<u32, u64>> = Vec::new();
            let mut area_durs: Vec<HashMap<u32, u64>> = Vec::new();
            let distinct: std::collections::HashSet<&u32> = l.map.parent.values().collect();
            if distinct.len().max(l.names.len()) > AREAS_MAX {
                continue;
            }
            // Every area of the level, those without a case too: a missing row would say 0
            // where the published measures may hide one.
            let mut all: Vec<(&u32, &(String, String))> = l.names.iter().collect();
            all.sort();
            for (&id, (code, name)) in all {
                index.insert(id, areas.len());
                areas.push(AreaAggregates {
                    code: code.clone(),
                    name: name.clone(),
                    ..AreaAggregates::default()
                });
                area_cats.push(HashMap::new());
                area_durs.push(HashMap::new());
            }
            for &(i, o, c) in &cases {
                let parent = l.map.parent.get(&rec.items[i]).copied();
                let key = parent.unwrap_or(u32::MAX);
                let a = *index.entry(key).or_insert_with(|| {
                    let (code, name) = parent
                        .and_then(|p| l.names.get(&p).cloned())
                        .unwrap_or_default();
                    areas.push(AreaAggregates {
                        code,
                        name,
                        ..AreaAggregates::default()
                    });
                    area_cats.push(HashMap::new());
                    area_durs.push(HashMap::new());
                    areas.len() - 1
                });
                if areas[a].years.is_empty() {
                    areas[a].years = no_years();
                }
                areas[a].opened += 1;
                areas[a].years[(year_month(o).0 - y0) as usize].1 += 1;
                if let Some(cc) = cat {
                    *area_cats[a].entry(cc.codes[i]).or_default() += 1;
                }
                if let Some((m, days)) = c {
                    areas[a].closed += 1;
                    areas[a].years[(year_month(m).0 - y0) as usize].2 += 1;
                    *area_durs[a].entry(days).or_default() += 1;
                }
            }
            for a in areas.iter_mut().filter(|a| a.years.is_empty()) {
                a.years = no_years();
            }
            for ((a, c), d) in areas.iter_mut().zip(area_cats).zip(area_durs) {
                a.categories = histogram(c);
                a.durations = histogram(d);
            }
            // Areas by code, the cases on no area of the level last.
            areas.sort_by(|a, b| (a.code.is_empty(), &a.code).cmp(&(b.code.is_empty(), &b.code)));
            out.levels.push(LevelAggregates {
                level: l.map.level.clone(),
                areas,
            });
        }
        out
    }
}

/// The `p`-th percentile (0–100) of a histogram of days, as `measures::percentile` computes it
/// over the days one by one (linear between the closest ranks).
pub fn histogram_percentile(h: &[(u32, u64)], p: f64) -> Option<f64> {
    let n: u64 = h.iter().map(|x| x.1).sum();
    if n == 0 {
        return None;
    }
    let at = (n - 1) as f64 * p / 100.0;
    let lo = at.floor() as u64;
    let rank = |r: u64| -> f64 {
        let mut seen = 0;
        for &(d, c) in h {
            seen += c;
            if r < seen {
                return f64::from(d);
            }
        }
        f64::from(h.last().map_or(0, |x| x.0))
    };
    let a = rank(lo);
    let frac = at - lo as f64;
    if frac == 0.0 || lo + 1 >= n {
        return Some(a);
    }
    Some(a + frac * (rank(lo + 1) - a))
}

fn merge(into: &mut BTreeMap<u32, u64>, h: &[(u32, u64)]) {
    for &(k, c) in h {
        *into.entry(k).or_default() += c;
    }
}

/// A figure as published: `None` is hidden.
pub type Shown = Option<u64>;

/// Every figure the dashboard can show, through the threshold ([`publish`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Published {
    pub first: i32,
    /// Per month: opened, closed, and the backlog at its end.
    pub opened: Vec<Shown>,
    pub closed: Vec<Shown>,
    pub backlog: Vec<Shown>,
    /// All months: cases opened, cases closed.
    pub total_opened: Shown,
    pub total_closed: Shown,
    /// The throughput classes (`lo`–`hi` days, inclusive; `None`: and more), whole and per
    /// month closed.
    pub bins: Vec<(u32, Option<u32>)>,
    pub classes: Vec<Shown>,
    pub month_classes: Vec<Vec<Shown>>,
    pub median: Option<f64>,
    pub p90: Option<f64>,
    pub month_median: Vec<Option<f64>>,
    pub month_p90: Vec<Option<f64>>,
    /// The category columns: the [`TOP`] most frequent over all months, then, when `other`,
    /// one column for the rest.
    pub columns: Vec<String>,
    pub other: bool,
    pub categories: Vec<Shown>,
    pub month_categories: Vec<Vec<Shown>>,
    pub levels: Vec<AreaTable>,
}

/// The areas of one level, for the whole register.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AreaTable {
    pub level: String,
    pub areas: Vec<AreaRow>,
}

/// One area's figures (code "": the cases on no area of the level).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AreaRow {
    pub code: String,
    pub name: String,
    pub opened: Shown,
    pub categories: Vec<Shown>,
    pub closed: Shown,
    pub median: Option<f64>,
    pub p90: Option<f64>,
    /// Per year: (year, opened in it, closed in it).
    #[serde(default)]
    pub years: Vec<(i32, Shown, Shown)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Count,
    Backlog,
    /// Never shown (the cases handled in a month: previous backlog + opened = backlog + closed;
    /// a public cell the publication does not hold; a sum of several figures).
    Aux,
    /// A cell of a published measure: shown or hidden as the publication has it, never hidden
    /// by the dashboard (see [`Public`]).
    Public {
        hidden: bool,
    },
}

/// The figures and the sums that tie them (`cells[r[0]] = Σ cells[r[1..]]`).
#[derive(Default)]
struct System {
    values: Vec<u64>,
    kinds: Vec<Kind>,
    rels: Vec<Vec<u32>>,
}

impl System {
    fn cell(&mut self, v: u64, kind: Kind) -> u32 {
        self.values.push(v);
        self.kinds.push(kind);
        self.values.len() as u32 - 1
    }

    /// The visible figure to hide next in a relation: a count before a backlog, a non-zero
    /// figure before a zero (a hidden 0 protects as well, but hides what discloses nothing),
    /// the smallest first.
    fn cover(&self, rel: &[u32], hidden: &[bool], known: &[bool]) -> Option<u32> {
        rel.iter()
            .copied()
            .filter(|&x| {
                !hidden[x as usize]
                    && !known[x as usize]
                    && !matches!(self.kinds[x as usize], Kind::Aux | Kind::Public { .. })
            })
            .min_by_key(|&x| {
                let v = self.values[x as usize];
                (self.kinds[x as usize] == Kind::Backlog, v == 0, v, x)
            })
    }

    /// The figures that follow from the shown cells of the published measures alone, by
    /// differencing (a figure equal to a shown published cell, an area's cases over all months
    /// when all its years are shown, …).
    fn known(&self) -> Vec<bool> {
        let mut known: Vec<bool> = self
            .kinds
            .iter()
            .map(|k| *k == Kind::Public { hidden: false })
            .collect();
        if known.iter().all(|k| !k) {
            return known;
        }
        let mut progress = true;
        while progress {
            progress = false;
            for rel in &self.rels {
                let mut unknown = rel.iter().filter(|&&x| !known[x as usize]);
                if let (Some(&x), None) = (unknown.next(), unknown.next()) {
                    known[x as usize] = true;
                    progress = true;
                }
            }
        }
        known
    }

    /// Hidden cells: below the threshold, then secondary suppression until no hidden figure
    /// follows from the shown ones.
    fn suppress(&self, mut hidden: Vec<bool>, pairs: &[(u32, u32)]) -> Vec<bool> {
        let by_cell = index_relations(&self.rels, hidden.len());
        let known = self.known();
        // What the publication gives away by itself is no secret of the dashboard's, and
        // hiding it protects nothing.
        let wanted = |x: u32| self.kinds[x as usize] != Kind::Aux && !known[x as usize];
        loop {
            // No relation may have exactly one hidden figure.
            let mut changed = true;
            while changed {
                changed = false;
                // A month's two counts are hidden together.
                for &(a, b) in pairs {
                    if hidden[a as usize] != hidden[b as usize] {
                        hidden[a as usize] = true;
                        hidden[b as usize] = true;
                        changed = true;
                    }
                }
                for rel in &self.rels {
                    let mut hs = rel.iter().copied().filter(|&x| hidden[x as usize]);
                    if let (Some(h), None) = (hs.next(), hs.next())
                        && wanted(h)
                        && let Some(y) = self.cover(rel, &hidden, &known)
                    {
                        hidden[y as usize] = true;
                        changed = true;
                    }
                }
            }
            // No hidden figure may follow from the system.
            let found: Vec<u32> = determined(&self.rels, &hidden, &by_cell)
                .into_iter()
                .filter(|&x| wanted(x))
                .collect();
            if found.is_empty() {
                return hidden;
            }
            let mut progress = false;
            for x in found {
                let count_left = |rel: &Vec<u32>| {
                    rel.iter()
                        .any(|&y| !hidden[y as usize] && self.kinds[y as usize] == Kind::Count)
                };
                // Its relations, and those of the unshown sums in them (a sum of months, the
                // cases on no area): a figure is protected through them as well.
                let mut near: Vec<u32> = by_cell[x as usize].clone();
                for &ri in &by_cell[x as usize] {
                    for &y in &self.rels[ri as usize] {
                        if y != x && self.kinds[y as usize] == Kind::Aux {
                            near.extend_from_slice(&by_cell[y as usize]);
                        }
                    }
                }
                near.sort_unstable();
                near.dedup();
                let best = near
                    .iter()
                    .map(|&ri| &self.rels[ri as usize])
                    .filter(|rel| self.cover(rel, &hidden, &known).is_some())
                    .min_by_key(|rel| {
                        (
                            !count_left(rel),
                            rel.iter().filter(|&&y| hidden[y as usize]).count(),
                        )
                    });
                if let Some(y) = best.and_then(|rel| self.cover(rel, &hidden, &known)) {
                    hidden[y as usize] = true;
                    progress = true;
                }
            }
            if !progress {
                // Nothing left to hide beside them: hide every figure rather than risk one.
                return self.kinds.iter().map(|_| true).collect();
            }
        }
    }
}

/// The throughput classes of the bins: `[0, b1]`, `[b1+1, b2]`, …, `[bn+1, ∞)`.
fn class_ranges(bins: &[u32]) -> Vec<(u32, Option<u32>)> {
    let mut out = Vec::with_capacity(bins.len() + 1);
    let mut lo = 0;
    for &b in bins {
        out.push((lo, Some(b)));
        lo = b + 1;
    }
    out.push((lo, None));
    out
}

fn class_counts(h: &[(u32, u64)], bins: &[u32]) -> Vec<u64> {
    let mut out = vec![0; bins.len() + 1];
    for &(d, c) in h {
        out[bins.partition_point(|&b| b < d)] += c;
    }
    out
}

/// Every figure of the dashboard through the threshold `t`, against what the publication shows
/// of the set's measures (see the module's rules).
pub fn publish(agg: &Aggregates, dash: &DashboardDef, t: f64, public: Public) -> Published {
    let mut s = System::default();
    let len = agg.opened.len();
    let small = |v: u64| v != 0 && (v as f64) < t;
    // The category columns: the most frequent over all months, by label on ties.
    let mut whole_cats: BTreeMap<u32, u64> = BTreeMap::new();
    for m in &agg.categories {
        merge(&mut whole_cats, m);
    }
    let mut order: Vec<(u32, u64)> = whole_cats.iter().map(|(&k, &v)| (k, v)).collect();
    let label = |k: u32| agg.labels.get(k as usize).map_or("", String::as_str);
    order.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| label(a.0).cmp(label(b.0))));
    let other = order.len() > TOP;
    let top: Vec<u32> = order.iter().take(TOP).map(|x| x.0).collect();
    let column_of = |code: u32| top.iter().position(|&c| c == code).unwrap_or(TOP);
    let ncols = top.len() + usize::from(other);
    let split = |h: &[(u32, u64)]| {
        let mut v = vec![0u64; ncols];
        for &(k, c) in h {
            v[column_of(k).min(ncols - 1)] += c;
        }
        v
    };
    let has_cats = dash.category.is_some() && ncols > 0;
    // The categories "other" gathers that a published measure names: "other" is split into
    // them (and the rest of it) as figures never shown, so that a count of some of them ties.
    let rest: Vec<u32> = order.iter().skip(TOP).map(|x| x.0).collect();
    let apart: Vec<u32> = match (public.def, &dash.category) {
        (Some(def), Some(cat)) if other && has_cats => rest
            .iter()
            .copied()
            .filter(|&r| {
                def.measures.iter().any(|m| {
                    m.filter
                        .get(cat)
                        .is_some_and(|l| l.iter().any(|x| x == label(r)))
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    // A row's "other" (its last column) as the categories apart and what is left of it.
    let split_other = |s: &mut System, row: &[u32], h: &[(u32, u64)]| -> Vec<u32> {
        let Some(&whole) = row.last().filter(|_| !apart.is_empty()) else {
            return Vec::new();
        };
        let count = |r: u32| h.iter().find(|x| x.0 == r).map_or(0, |x| x.1);
        let atoms: Vec<u32> = apart.iter().map(|&r| s.cell(count(r), Kind::Aux)).collect();
        let mut rel = vec![whole];
        rel.extend(&atoms);
        if apart.len() < rest.len() {
            let left = s.values[whole as usize] - apart.iter().map(|&r| count(r)).sum::<u64>();
            rel.push(s.cell(left, Kind::Aux));
        }
        s.rels.push(rel);
        atoms
    };

    let total_o: u64 = agg.opened.iter().sum();
    let total_c: u64 = agg.closed.iter().sum();
    let to = s.cell(total_o, Kind::Count);
    let tc = s.cell(total_c, Kind::Count);
    // The trend and the backlog's steps.
    let (mut o, mut c, mut b) = (Vec::new(), Vec::new(), Vec::new());
    let mut open = 0u64;
    for m in 0..len {
        open = open + agg.opened[m] - agg.closed[m];
        let om = s.cell(agg.opened[m], Kind::Count);
        let cm = s.cell(agg.closed[m], Kind::Count);
        let bm = s.cell(open, Kind::Backlog);
        let f = s.cell(open + agg.closed[m], Kind::Aux);
        match m {
            0 => s.rels.push(vec![f, om]),
            _ => s.rels.push(vec![f, b[m - 1], om]),
        }
        s.rels.push(vec![f, bm, cm]);
        o.push(om);
        c.push(cm);
        b.push(bm);
    }
    s.rels
        .push(std::iter::once(to).chain(o.iter().copied()).collect());
    s.rels
        .push(std::iter::once(tc).chain(c.iter().copied()).collect());
    // Implied by the ones above, and said outright so that differencing finds it: the cases
    // opened are the cases closed and those still open at the end.
    if let Some(&last) = b.last() {
        s.rels.push(vec![to, tc, last]);
    }
    // Throughput classes: whole and per month closed, a table with its margins.
    let ranges = class_ranges(&dash.bins);
    let mut whole_h: BTreeMap<u32, u64> = BTreeMap::new();
    for m in &agg.durations {
        merge(&mut whole_h, m);
    }
    let whole_h: Vec<(u32, u64)> = whole_h.into_iter().collect();
    let cls: Vec<u32> = class_counts(&whole_h, &dash.bins)
        .into_iter()
        .map(|v| s.cell(v, Kind::Count))
        .collect();
    s.rels
        .push(std::iter::once(tc).chain(cls.iter().copied()).collect());
    let mut month_cls: Vec<Vec<u32>> = Vec::with_capacity(len);
    for (&cm, durations) in c.iter().zip(&agg.durations) {
        let row: Vec<u32> = class_counts(durations, &dash.bins)
            .into_iter()
            .map(|v| s.cell(v, Kind::Count))
            .collect();
        s.rels
            .push(std::iter::once(cm).chain(row.iter().copied()).collect());
        month_cls.push(row);
    }
    for (k, &head) in cls.iter().enumerate() {
        s.rels.push(
            std::iter::once(head)
                .chain(month_cls.iter().map(|r| r[k]))
                .collect(),
        );
    }
    // Categories: whole and per month opened, a table with its margins.
    let (mut cats, mut month_cats, mut month_atoms) = (Vec::new(), Vec::new(), Vec::new());
    if has_cats {
        let whole: Vec<(u32, u64)> = whole_cats.iter().map(|(&k, &v)| (k, v)).collect();
        cats = split(&whole)
            .into_iter()
            .map(|v| s.cell(v, Kind::Count))
            .collect();
        s.rels
            .push(std::iter::once(to).chain(cats.iter().copied()).collect());
        for (&om, parts) in o.iter().zip(&agg.categories) {
            let row: Vec<u32> = split(parts)
                .into_iter()
                .map(|v| s.cell(v, Kind::Count))
                .collect();
            s.rels
                .push(std::iter::once(om).chain(row.iter().copied()).collect());
            month_atoms.push(split_other(&mut s, &row, parts));
            month_cats.push(row);
        }
        for (k, &head) in cats.iter().enumerate() {
            s.rels.push(
                std::iter::once(head)
                    .chain(month_cats.iter().map(|r| r[k]))
                    .collect(),
            );
        }
    }
    // Areas of each level: opened, closed and categories per area, tied to the totals.
    let mut area_cells: Vec<Vec<AreaCells>> = Vec::new();
    // Per level, area and year: its cases opened and closed in the year.
    let mut area_years: Vec<Vec<Vec<(u32, u32)>>> = Vec::new();
    for l in &agg.levels {
        let mut rows = Vec::new();
        let mut years = Vec::new();
        for a in &l.areas {
            // The area's years add up to its whole register.
            let ys: Vec<(u32, u32)> = a
                .years
                .iter()
                .map(|&(_, yo, yc)| (s.cell(yo, Kind::Count), s.cell(yc, Kind::Count)))
                .collect();
            years.push(ys);
            let ao = s.cell(a.opened, Kind::Count);
            let ac = s.cell(a.closed, Kind::Count);
            let parts: Vec<u32> = if has_cats {
                split(&a.categories)
                    .into_iter()
                    .map(|v| s.cell(v, Kind::Count))
                    .collect()
            } else {
                Vec::new()
            };
            let mut atoms = Vec::new();
            if has_cats {
                s.rels
                    .push(std::iter::once(ao).chain(parts.iter().copied()).collect());
                atoms = split_other(&mut s, &parts, &a.categories);
            }
            let ys = years.last().expect("pushed above");
            if !ys.is_empty() {
                s.rels
                    .push(std::iter::once(ao).chain(ys.iter().map(|y| y.0)).collect());
                s.rels
                    .push(std::iter::once(ac).chain(ys.iter().map(|y| y.1)).collect());
            }
            rows.push((ao, ac, parts, atoms));
        }
        // A year's areas add up to its months.
        for (k, &(y, _, _)) in l
            .areas
            .first()
            .map_or(&[][..], |a| &a.years)
            .iter()
            .enumerate()
        {
            let months: Vec<usize> = (0..len)
                .filter(|&m| year_month(agg.first + m as i32).0 == y)
                .collect();
            if months.is_empty() || years.iter().any(|ys| ys.len() <= k) {
                continue;
            }
            for (pick_year, month_cells) in [(0, &o), (1, &c)] {
                let total = s.sum(months.iter().map(|&m| month_cells[m]).collect());
                let parts = years
                    .iter()
                    .map(|ys| if pick_year == 0 { ys[k].0 } else { ys[k].1 });
                s.rels.push(std::iter::once(total).chain(parts).collect());
            }
        }
        area_years.push(years);
        s.rels.push(
            std::iter::once(to)
                .chain(rows.iter().map(|r| r.0))
                .collect(),
        );
        s.rels.push(
            std::iter::once(tc)
                .chain(rows.iter().map(|r| r.1))
                .collect(),
        );
        for (k, &head) in cats.iter().enumerate() {
            s.rels.push(
                std::iter::once(head)
                    .chain(rows.iter().map(|r| r.2[k]))
                    .collect(),
            );
        }
        area_cells.push(rows);
    }

    // The published measures that count the same cases, tied to these figures.
    if let (Some(def), Some(snap)) = (public.def, public.snap) {
        let columns = has_cats.then(|| CatColumns {
            labels: &agg.labels,
            top: &top,
            rest: rest.clone(),
            apart: &apart,
        });
        let figures = Figures {
            o: &o,
            c: &c,
            month_cats: &month_cats,
            month_atoms: &month_atoms,
            areas: &area_cells,
            area_years: &area_years,
        };
        tie_public(
            &mut s,
            agg,
            &ties(def, dash, columns.as_ref(), agg.same_cases.as_deref()),
            snap,
            &figures,
        );
    }
    let primary: Vec<bool> = s
        .values
        .iter()
        .zip(&s.kinds)
        .map(|(&v, &k)| match k {
            Kind::Aux => true,
            Kind::Public { hidden } => hidden,
            Kind::Count | Kind::Backlog => small(v),
        })
        .collect();
    let pairs: Vec<(u32, u32)> = o.iter().copied().zip(c.iter().copied()).collect();
    let hidden = s.suppress(primary, &pairs);
    let shown = |x: u32| (!hidden[x as usize]).then(|| s.values[x as usize]);
    let shown_all = |xs: &[u32]| xs.iter().map(|&x| shown(x)).collect::<Vec<_>>();
    // A median and a percentile over a shown count of enough cases.
    let spread = |count: u32, h: &[(u32, u64)]| -> (Option<f64>, Option<f64>) {
        match shown(count) {
            Some(n) if n > 0 && (n as f64) >= t => {
                (histogram_percentile(h, 50.0), histogram_percentile(h, 90.0))
            }
            _ => (None, None),
        }
    };
    let (median, p90) = spread(tc, &whole_h);
    let month_spread: Vec<(Option<f64>, Option<f64>)> =
        (0..len).map(|m| spread(c[m], &agg.durations[m])).collect();
    let mut columns: Vec<String> = top.iter().map(|&k| label(k).to_string()).collect();
    if other {
        columns.push(String::new());
    }
    if !has_cats {
        columns.clear();
    }
    Published {
        first: agg.first,
        opened: shown_all(&o),
        closed: shown_all(&c),
        backlog: shown_all(&b),
        total_opened: shown(to),
        total_closed: shown(tc),
        bins: ranges,
        classes: shown_all(&cls),
        month_classes: month_cls.iter().map(|r| shown_all(r)).collect(),
        median,
        p90,
        month_median: month_spread.iter().map(|x| x.0).collect(),
        month_p90: month_spread.iter().map(|x| x.1).collect(),
        columns,
        other: other && has_cats,
        categories: shown_all(&cats),
        month_categories: month_cats.iter().map(|r| shown_all(r)).collect(),
        levels: agg
            .levels
            .iter()
            .zip(&area_cells)
            .zip(&area_years)
            .map(|((l, rows), years)| AreaTable {
                level: l.level.clone(),
                areas: l
                    .areas
                    .iter()
                    .zip(rows)
                    .zip(years)
                    .map(|((a, (ao, ac, parts, _)), ys)| {
                        let (median, p90) = spread(*ac, &a.durations);
                        AreaRow {
                            code: a.code.clone(),
                            name: a.name.clone(),
                            opened: shown(*ao),
                            categories: shown_all(parts),
                            closed: shown(*ac),
                            median,
                            p90,
                            years: a
                                .years
                                .iter()
                                .zip(ys)
                                .map(|(&(y, _, _), &(yo, yc))| (y, shown(yo), shown(yc)))
                                .collect(),
                        }
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// What the publication shows of a record set's measures, which [`publish`] holds the
/// dashboard's figures against: the set's definition and the publication readers are served
/// (default: nothing published).
#[derive(Clone, Copy, Default)]
pub struct Public<'a> {
    pub def: Option<&'a RecordSetDef>,
    pub snap: Option<&'a crate::Snapshot>,
}

/// The dashboard figures a published count adds up to.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Opened,
    Closed,
    /// Cases opened in these category columns, and in these categories apart from "other"
    /// (by their place among the categories apart).
    Columns(Vec<usize>, Vec<usize>),
}

/// An area's figures in the system: opened, closed, its category columns, and its categories
/// apart from "other".
type AreaCells = (u32, u32, Vec<u32>, Vec<u32>);

/// A published count of the dashboard's cases: a count measure, or a measure's `<code>_n`.
#[derive(Debug)]
struct Tie<'a> {
    code: String,
    part: Part,
    /// Counted by the date of the part (opening for opened cases, closing for closed ones), so
    /// that its periods are sums of the dashboard's months.
    by_month: bool,
    periods: Vec<PeriodLevel>,
    /// The geo levels it is published on (empty: all).
    levels: &'a [String],
}

/// The category columns of a dashboard: the top codes, the codes "other" gathers, and those of
/// them it is split into.
struct CatColumns<'a> {
    labels: &'a [String],
    top: &'a [u32],
    rest: Vec<u32>,
    apart: &'a [u32],
}

impl CatColumns<'_> {
    /// The columns, and the categories apart from "other", whose cases are exactly those with
    /// one of `wanted` (`None`: "other" holds some of them that are not apart).
    fn covering(&self, wanted: &[String]) -> Option<(Vec<usize>, Vec<usize>)> {
        let has = |code: u32| {
            self.labels
                .get(code as usize)
                .is_some_and(|l| wanted.contains(l))
        };
        let mut cols: Vec<usize> = (0..self.top.len()).filter(|&k| has(self.top[k])).collect();
        let inside: Vec<u32> = self.rest.iter().copied().filter(|&c| has(c)).collect();
        let mut atoms = Vec::new();
        if inside.len() == self.rest.len() && !inside.is_empty() {
            cols.push(self.top.len());
        } else {
            for c in inside {
                atoms.push(self.apart.iter().position(|&a| a == c)?);
            }
        }
        Some((cols, atoms))
    }
}

/// The set's measures whose published cells count the dashboard's cases (the rule in the
/// module's documentation): a count, or the `_n` of another measure, whose records are the
/// cases opened or the cases closed (`same`, found on the records; periods are sums of the
/// dashboard's months when it counts by their date) — for counts stored before that was
/// known: without a condition, by the opening date (opened cases) or the closing date (closed
/// cases), or the `_n` of a duration up to the closing date (closed cases, by whatever date
/// it is counted) —; a count of opened cases of some categories when they make whole
/// category columns (and categories apart from "other").
fn ties<'a>(
    def: &'a RecordSetDef,
    dash: &DashboardDef,
    cols: Option<&CatColumns>,
    same: Option<&[(String, bool)]>,
) -> Vec<Tie<'a>> {
    let mut out = Vec::new();
    for m in &def.measures {
        let code = m.count_code().unwrap_or_else(|| m.code.clone());
        let verified = same.map(|s| s.iter().find(|x| x.0 == code).map(|x| x.1));
        let (part, by_month) = if let Some(Some(opened)) = verified {
            if opened {
                (Part::Opened, m.date == dash.opened)
            } else {
                (Part::Closed, m.date == dash.closed)
            }
        } else if verified.is_none() && m.needs_value() {
            if m.field.is_some() || m.to.as_deref() != Some(dash.closed.as_str()) {
                continue;
            }
            if !m.filter.is_empty() {
                continue;
            }
            (Part::Closed, m.date == dash.closed)
        } else if m.filter.is_empty() {
            if verified.is_some() {
                continue;
            }
            if m.date == dash.opened {
                (Part::Opened, true)
            } else if m.date == dash.closed {
                (Part::Closed, true)
            } else {
                continue;
            }
        } else {
            let (Some(cat), Some(cols)) = (&dash.category, cols) else {
                continue;
            };
            if m.date != dash.opened || m.filter.len() != 1 || m.needs_value() {
                continue;
            }
            let Some((set, atoms)) = m.filter.get(cat).and_then(|l| cols.covering(l)) else {
                continue;
            };
            if set.is_empty() && atoms.is_empty() {
                continue;
            }
            (Part::Columns(set, atoms), true)
        };
        out.push(Tie {
            code,
            part,
            by_month,
            periods: m.period_levels(),
            levels: &m.levels,
        });
    }
    out
}

/// The dashboard's cells a tie refers to.
struct Figures<'a> {
    o: &'a [u32],
    c: &'a [u32],
    month_cats: &'a [Vec<u32>],
    month_atoms: &'a [Vec<u32>],
    areas: &'a [Vec<AreaCells>],
    area_years: &'a [Vec<Vec<(u32, u32)>>],
}

fn pick(part: &Part, opened: u32, closed: u32, cats: &[u32], atoms: &[u32]) -> Vec<u32> {
    match part {
        Part::Opened => vec![opened],
        Part::Closed => vec![closed],
        Part::Columns(cs, apart) => cs
            .iter()
            .filter_map(|&k| cats.get(k).copied())
            .chain(apart.iter().filter_map(|&k| atoms.get(k).copied()))
            .collect(),
    }
}

impl System {
    /// One figure for the sum of several: the figure itself, or an unshown cell that is
    /// their sum.
    fn sum(&mut self, parts: Vec<u32>) -> u32 {
        if let [one] = parts[..] {
            return one;
        }
        let v = parts.iter().map(|&x| self.values[x as usize]).sum();
        let x = self.cell(v, Kind::Aux);
        self.rels.push(std::iter::once(x).chain(parts).collect());
        x
    }
}

/// Adds the published cells of the tied measures and the sums that tie them to the
/// dashboard's figures: per period of the measure, the months' figures in it equal the sum of
/// its cells over the areas of the coarsest level the dashboard tabulates (and the cases on no
/// area of that level); per area of every tabulated level, the area's figure equals the sum of
/// its cells over the periods of the measure's coarsest period level.
fn tie_public(s: &mut System, agg: &Aggregates, ties: &[Tie], snap: &crate::Snapshot, f: &Figures) {
    let flat = snap.dim_id(&peil_core::DimKey::default());
    let len = f.o.len();
    for tie in ties {
        let on = |level: &str| tie.levels.is_empty() || tie.levels.iter().any(|l| l == level);
        // A published cell as the publication has it; unknown where it holds none.
        let cell = |s: &mut System, level: &str, p: Period, code: &str| -> u32 {
            let slot = snap.level_index.get(level).and_then(|&l| {
                let pos = *snap.levels[l].pos.get(code)?;
                snap.table(&tie.code, l as u16, p, flat?)?
                    .get(pos as usize)
                    .copied()
            });
            match slot.map(|v| v.to_value()) {
                None => s.cell(0, Kind::Aux),
                Some(Value::Missing(MissingCode::Hidden)) => {
                    s.cell(0, Kind::Public { hidden: true })
                }
                Some(v) => s.cell(
                    v.number().map_or(0, |n| n.max(0.0) as u64),
                    Kind::Public { hidden: false },
                ),
            }
        };
        // Per period level: its periods over the dashboard's months, with those months.
        let months_in = |pl: PeriodLevel| -> BTreeMap<Period, Vec<usize>> {
            let mut g: BTreeMap<Period, Vec<usize>> = BTreeMap::new();
            for m in 0..len {
                if let Some(p) = peil_core::records::period_of_month(agg.first + m as i32, pl) {
                    g.entry(p).or_default().push(m);
                }
            }
            g
        };
        let tables: Vec<usize> = (0..agg.levels.len())
            .filter(|&li| on(&agg.levels[li].level))
            .collect();
        // The months' sums, on the coarsest tabulated level.
        if tie.by_month
            && let Some(&top) = tables.iter().min_by_key(|&&li| agg.levels[li].areas.len())
        {
            let table = &agg.levels[top];
            for &pl in &tie.periods {
                let mut rests = Vec::new();
                for (p, months) in months_in(pl) {
                    let parts: Vec<u32> = months
                        .iter()
                        .flat_map(|&m| {
                            let cats = f.month_cats.get(m).map_or(&[][..], Vec::as_slice);
                            let atoms = f.month_atoms.get(m).map_or(&[][..], Vec::as_slice);
                            pick(&tie.part, f.o[m], f.c[m], cats, atoms)
                        })
                        .collect();
                    let total = s.sum(parts);
                    let mut rel = vec![total];
                    for a in &table.areas {
                        if a.code.is_empty() {
                            let rest = s.cell(0, Kind::Aux);
                            rests.push(rest);
                            rel.push(rest);
                        } else {
                            rel.push(cell(s, &table.level, p, &a.code));
                        }
                    }
                    s.rels.push(rel);
                }
                // The cases on no area of the level, over all months.
                if let Some(ai) = table.areas.iter().position(|a| a.code.is_empty()) {
                    let (ao, ac, parts, atoms) = &f.areas[top][ai];
                    let whole = pick(&tie.part, *ao, *ac, parts, atoms);
                    let whole = s.sum(whole);
                    s.rels.push(std::iter::once(whole).chain(rests).collect());
                }
            }
        }
        // Each area's years, on every tabulated level: its cells of the year.
        if tie.by_month && tie.periods.contains(&PeriodLevel::Year) {
            for &li in &tables {
                let table = &agg.levels[li];
                for (ai, a) in table.areas.iter().enumerate() {
                    if a.code.is_empty() {
                        continue;
                    }
                    for (k, &(y, _, _)) in a.years.iter().enumerate() {
                        let (yo, yc) = f.area_years[li][ai][k];
                        let figure = match tie.part {
                            Part::Opened => yo,
                            Part::Closed => yc,
                            Part::Columns(..) => continue,
                        };
                        if let Some(p) = Period::new(PeriodLevel::Year, y, 1) {
                            let public = cell(s, &table.level, p, &a.code);
                            s.rels.push(vec![figure, public]);
                        }
                    }
                }
            }
        }
        // Each area over all months, on every tabulated level.
        let Some(&coarsest) = tie.periods.iter().max() else {
            continue;
        };
        for &li in &tables {
            let table = &agg.levels[li];
            let mut periods: std::collections::BTreeSet<Period> =
                months_in(coarsest).into_keys().collect();
            if let (Some(&i), Some(&l), Some(d)) = (
                snap.index.get(&tie.code),
                snap.level_index.get(&table.level),
                flat,
            ) {
                periods.extend(
                    snap.keys
                        .get(&(i, l as u16))
                        .into_iter()
                        .flatten()
                        .filter(|(p, dd)| *dd == d && p.level == coarsest)
                        .map(|(p, _)| *p),
                );
            }
            for (ai, a) in table.areas.iter().enumerate() {
                if a.code.is_empty() {
                    continue;
                }
                let (ao, ac, parts, atoms) = &f.areas[li][ai];
                let whole = pick(&tie.part, *ao, *ac, parts, atoms);
                let whole = s.sum(whole);
                let mut rel = vec![whole];
                for &p in &periods {
                    rel.push(cell(s, &table.level, p, &a.code));
                }
                s.rels.push(rel);
            }
        }
    }
}

/// One month of the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthRow {
    /// `year·12 + month − 1` (see `peil_core::records::month_index`).
    pub month: i32,
    #[serde(serialize_with = "ser_value")]
    pub opened: Value,
    #[serde(serialize_with = "ser_value")]
    pub closed: Value,
    /// The cases open at the month's end.
    #[serde(serialize_with = "ser_value")]
    pub backlog: Value,
}

/// One throughput-time class: from `lo` to `hi` days (inclusive; `hi` `None`: and more).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Class {
    pub lo: u32,
    pub hi: Option<u32>,
    #[serde(serialize_with = "ser_value")]
    pub count: Value,
}

/// One area of the chosen level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaView {
    pub code: String,
    pub name: String,
    #[serde(serialize_with = "ser_value")]
    pub opened: Value,
    #[serde(serialize_with = "ser_values")]
    pub categories: Vec<Value>,
    #[serde(serialize_with = "ser_value")]
    pub closed: Value,
    #[serde(serialize_with = "ser_value")]
    pub median: Value,
    #[serde(serialize_with = "ser_value")]
    pub p90: Value,
}

/// A dashboard as one page shows it: whole or drilled down to a month, and per area of a
/// level when one is chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    pub months: Vec<MonthRow>,
    /// The month drilled down to, if any.
    pub focus: Option<i32>,
    /// Closed cases (in the focus month, or all) and their throughput times.
    #[serde(serialize_with = "ser_value")]
    pub closed: Value,
    pub classes: Vec<Class>,
    #[serde(serialize_with = "ser_value")]
    pub median: Value,
    #[serde(serialize_with = "ser_value")]
    pub p90: Value,
    /// Cases opened (in the focus month, or all), by category column (`columns`; "" is the
    /// other categories).
    #[serde(serialize_with = "ser_value")]
    pub opened: Value,
    pub columns: Vec<String>,
    #[serde(serialize_with = "ser_values")]
    pub categories: Vec<Value>,
    /// The levels offered per area, and the chosen one's areas (whole register, or the
    /// cases opened and closed in the chosen year of `years`: then without categories and
    /// throughput times).
    pub levels: Vec<String>,
    pub level: Option<String>,
    pub years: Vec<i32>,
    pub year: Option<i32>,
    pub areas: Vec<AreaView>,
}

/// A value in JSON as readers of every export get it: a number, or the missing code's symbol.
fn ser_value<S: serde::Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Value::Number(n) => s.serialize_f64(*n),
        Value::Missing(m) => s.serialize_str(m.symbol()),
    }
}

fn ser_values<S: serde::Serializer>(v: &[Value], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for x in v {
        match x {
            Value::Number(n) => seq.serialize_element(n)?,
            Value::Missing(m) => seq.serialize_element(m.symbol())?,
        }
    }
    seq.end()
}

fn value(v: Shown) -> Value {
    v.map_or(Value::Missing(MissingCode::Hidden), |n| {
        Value::Number(n as f64)
    })
}

fn value_f(v: Option<f64>) -> Value {
    v.map_or(Value::Missing(MissingCode::Hidden), Value::Number)
}

/// The year and month (1–12) of a month index.
pub fn year_month(month: i32) -> (i32, u32) {
    (month.div_euclid(12), month.rem_euclid(12) as u32 + 1)
}

/// `2024-03` to a month index.
pub fn parse_month(s: &str) -> Option<i32> {
    let (y, m) = s.split_once('-')?;
    let (y, m): (i32, i32) = (y.parse().ok()?, m.parse().ok()?);
    ((1900..=2200).contains(&y) && (1..=12).contains(&m)).then_some(y * 12 + m - 1)
}

/// The page's figures from the published dashboard: whole or for the `focus` month (a month
/// outside the register's range has nothing), and per area of `level` when it is offered.
pub fn view(
    p: &Published,
    focus: Option<i32>,
    level: Option<&str>,
    year: Option<i32>,
) -> Dashboard {
    let months: Vec<MonthRow> = (0..p.opened.len())
        .map(|m| MonthRow {
            month: p.first + m as i32,
            opened: value(p.opened[m]),
            closed: value(p.closed[m]),
            backlog: value(p.backlog[m]),
        })
        .collect();
    let at = focus.and_then(|f| {
        let i = f - p.first;
        (0..p.opened.len() as i32)
            .contains(&i)
            .then_some(i as usize)
    });
    let zero = Some(0);
    let (closed, counts, median, p90, opened, cats) = match (focus, at) {
        (None, _) => (
            p.total_closed,
            p.classes.clone(),
            p.median,
            p.p90,
            p.total_opened,
            p.categories.clone(),
        ),
        (Some(_), Some(i)) => (
            p.closed[i],
            p.month_classes[i].clone(),
            p.month_median[i],
            p.month_p90[i],
            p.opened[i],
            p.month_categories.get(i).cloned().unwrap_or_default(),
        ),
        (Some(_), None) => (
            zero,
            vec![zero; p.bins.len()],
            None,
            None,
            zero,
            vec![zero; p.columns.len()],
        ),
    };
    let chosen = level.and_then(|l| p.levels.iter().find(|t| t.level == l));
    let years: Vec<i32> = p
        .levels
        .first()
        .and_then(|t| t.areas.first())
        .map(|a| a.years.iter().map(|y| y.0).collect())
        .unwrap_or_default();
    let year = year.filter(|y| years.contains(y));
    Dashboard {
        months,
        focus,
        closed: value(closed),
        classes: p
            .bins
            .iter()
            .zip(counts)
            .map(|(&(lo, hi), n)| Class {
                lo,
                hi,
                count: value(n),
            })
            .collect(),
        median: value_f(median),
        p90: value_f(p90),
        opened: value(opened),
        columns: p.columns.clone(),
        categories: cats.into_iter().map(value).collect(),
        levels: p.levels.iter().map(|t| t.level.clone()).collect(),
        level: chosen.map(|t| t.level.clone()),
        years,
        year,
        areas: chosen
            .map(|t| {
                t.areas
                    .iter()
                    .map(
                        |a| match year.and_then(|y| a.years.iter().find(|x| x.0 == y)) {
                            Some(&(_, opened, closed)) => AreaView {
                                code: a.code.clone(),
                                name: a.name.clone(),
                                opened: value(opened),
                                categories: Vec::new(),
                                closed: value(closed),
                                median: value_f(None),
                                p90: value_f(None),
                            },
                            None => AreaView {
                                code: a.code.clone(),
                                name: a.name.clone(),
                                opened: value(a.opened),
                                categories: a.categories.iter().copied().map(value).collect(),
                                closed: value(a.closed),
                                median: value_f(a.median),
                                p90: value_f(a.p90),
                            },
                        },
                    )
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// A set's definition (which declares a dashboard) with the aggregates its last import stored
/// (`None` inside: none stored yet — a set imported before they were, which
/// `peil_import::records::store_dashboard` counts once). `None`: no such set, or no dashboard.
pub fn stored(
    store: &peil_store::Store,
    set: &str,
) -> peil_store::Result<Option<(RecordSetDef, Option<Aggregates>)>> {
    let Some(def) = store
        .record_set_definitions()?
        .into_iter()
        .find(|d| d.name == set && d.dashboard.is_some())
    else {
        return Ok(None);
    };
    let Some(text) = store.dashboard_aggregates(set)? else {
        return Ok(Some((def, None)));
    };
    let agg: Aggregates = serde_json::from_str(&text).map_err(|e| {
        peil_store::StoreError::Corrupt(format!("the dashboard of record set {set}: {e}"))
    })?;
    Ok(Some((def, Some(agg))))
}

/// A set's dashboard as its readers get it: the stored aggregates through the set's threshold,
/// held against the publication `snap` (the one readers are served).
pub fn published(def: &RecordSetDef, agg: &Aggregates, snap: &crate::Snapshot) -> Published {
    let dash = def.dashboard.as_ref().expect("a set with a dashboard");
    let public = Public {
        def: Some(def),
        snap: Some(snap),
    };
    publish(agg, dash, def.threshold, public)
}

/// The dashboard of a set's records at once (`def.dashboard` must be set): counted, published
/// through the threshold and viewed — what an import stores, then views, in one step.
pub fn dashboard(
    def: &RecordSetDef,
    dash: &DashboardDef,
    rec: &Records,
    focus: Option<i32>,
) -> Dashboard {
    let agg = Aggregates::build(def, dash, rec, &[]);
    view(
        &publish(&agg, dash, def.threshold, Public::default()),
        focus,
        None,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::percentile;
    use peil_core::records::CategoryColumn;

    fn day(y: i32, m: u8, d: u8) -> Day {
        peil_core::records::parse_day(&format!("{y}-{m:02}-{d:02}"), false).unwrap()
    }

    fn set(threshold: f64) -> (RecordSetDef, DashboardDef) {
        let dash = DashboardDef {
            group: "omgeving".into(),
            opened: "in".into(),
            closed: "uit".into(),
            category: Some("type".into()),
            bins: vec![30, 60, 90],
        };
        let def = RecordSetDef {
            dashboard: Some(dash.clone()),
            ..crate::fixtures::record_set("v", &["type"], threshold)
        };
        (def, dash)
    }

    /// Records from (opened, closed or NO_DATE, type).
    fn records(def: &RecordSetDef, rows: &[(Day, Day, &str)]) -> Records {
        let mut r = Records::new(def);
        let mut cat = CategoryColumn::default();
        for (i, (o, c, t)) in rows.iter().enumerate() {
            r.ids.push(i.to_string());
            r.items.push((i % 4) as u32);
            r.dates[0].push(*o);
            r.dates[1].push(*c);
            cat.push(t);
        }
        r.categories[0] = cat;
        r
    }

    fn n(v: f64) -> Value {
        Value::Number(v)
    }

    /// The dashboard published against a publication of its set's measures.
    fn held(
        agg: &Aggregates,
        dash: &DashboardDef,
        def: &RecordSetDef,
        snap: &crate::Snapshot,
    ) -> Published {
        let public = Public {
            def: Some(def),
            snap: Some(snap),
        };
        publish(agg, dash, def.threshold, public)
    }

    /// The dashboard's counts by wijk: items 0 and 1 lie in N, 2 in Z, 3 in none.
    fn by_wijk(def: &RecordSetDef, dash: &DashboardDef, r: &Records) -> Aggregates {
        let map = LevelMap {
            level: "wijk".into(),
            parent: HashMap::from([(0, 10), (1, 10), (2, 11)]),
        };
        let names: HashMap<u32, (String, String)> = [
            (10, ("N".into(), "Noord".into())),
            (11, ("Z".into(), "Zuid".into())),
        ]
        .into_iter()
        .collect();
        Aggregates::build(def, dash, r, &[AreaLevel { map: &map, names }])
    }

    /// A publication of the wijken N and Z: (indicator, period, [N, Z]).
    fn wijk_snapshot(series: &[(&str, &str, [Value; 2])]) -> crate::Snapshot {
        let item = |code: &str| peil_core::GeoItem {
            code: code.into(),
            short_name: code.into(),
            name: code.into(),
            seq: 0,
            unknown_location: false,
        };
        let mut codes: Vec<&str> = series.iter().map(|s| s.0).collect();
        codes.dedup();
        crate::Snapshot::from_live(
            1,
            codes.into_iter().map(peil_core::Indicator::new).collect(),
            vec![peil_core::WarehouseLevel {
                level: peil_core::GeoLevel::new("wijk"),
                items: vec![(10, item("N")), (11, item("Z"))],
            }],
            series
                .iter()
                .map(|(code, period, values)| {
                    let key = peil_core::SeriesKey {
                        indicator: code.to_string(),
                        level: "wijk".into(),
                        period: Period::parse(period).unwrap(),
                        dims: peil_core::DimKey::default(),
                    };
                    (key, values.to_vec())
                })
                .collect(),
        )
    }

    #[test]
    fn trend_backlog_throughput_and_categories() {
        let (def, dash) = set(0.0);
        let rows = [
            (day(2024, 1, 5), day(2024, 1, 25), "bouw"), // 20 days, closed in January
            (day(2024, 1, 10), day(2024, 3, 10), "bouw"), // 60 days
            (day(2024, 1, 31), NO_DATE, "sloop"),        // still open
            (day(2024, 3, 1), day(2024, 3, 31), "bouw"), // 30 days
            (day(2024, 3, 2), day(2024, 6, 1), "milieu"), // 91 days, June
            (NO_DATE, day(2024, 2, 1), "bouw"),          // no opening date: not counted
        ];
        let r = records(&def, &rows);
        let d = dashboard(&def, &dash, &r, None);
        let m: Vec<(i32, Value, Value, Value)> = d
            .months
            .iter()
            .map(|m| (year_month(m.month).1 as i32, m.opened, m.closed, m.backlog))
            .collect();
        assert_eq!(
            m,
            vec![
                (1, n(3.0), n(1.0), n(2.0)),
                (2, n(0.0), n(0.0), n(2.0)),
                (3, n(2.0), n(2.0), n(2.0)),
                (4, n(0.0), n(0.0), n(2.0)),
                (5, n(0.0), n(0.0), n(2.0)),
                (6, n(0.0), n(1.0), n(1.0)),
            ]
        );
        // Durations 20, 60, 30, 91: classes 0–30 (2), 31–60 (1), 61–90 (0), 91+ (1).
        let c: Vec<(u32, Option<u32>, Value)> =
            d.classes.iter().map(|c| (c.lo, c.hi, c.count)).collect();
        assert_eq!(
            c,
            vec![
                (0, Some(30), n(2.0)),
                (31, Some(60), n(1.0)),
                (61, Some(90), n(0.0)),
                (91, None, n(1.0))
            ]
        );
        assert_eq!(d.closed, n(4.0));
        assert_eq!(d.median, n(45.0)); // (30 + 60) / 2
        assert_eq!(d.opened, n(5.0));
        assert_eq!(d.columns, vec!["bouw", "milieu", "sloop"]);
        assert_eq!(d.categories, vec![n(3.0), n(1.0), n(1.0)]);
        // Drilled down to March: closed in March (60 and 30 days), opened in March.
        let d = dashboard(&def, &dash, &r, parse_month("2024-03"));
        assert_eq!(d.closed, n(2.0));
        assert_eq!(d.median, n(45.0));
        assert_eq!(d.opened, n(2.0));
        assert_eq!(d.categories, vec![n(1.0), n(1.0), n(0.0)]);
        // A month outside the register has no cases.
        let d = dashboard(&def, &dash, &r, parse_month("2020-01"));
        assert_eq!(
            (d.opened, d.closed, d.median),
            (n(0.0), n(0.0), Value::Missing(MissingCode::Hidden))
        );
    }

    #[test]
    fn histogram_percentiles_equal_the_percentiles_of_the_days() {
        let days = [3u32, 3, 7, 10, 10, 10, 45, 46, 200, 365, 366];
        let mut h: BTreeMap<u32, u64> = BTreeMap::new();
        for &d in &days {
            *h.entry(d).or_default() += 1;
        }
        let h: Vec<(u32, u64)> = h.into_iter().collect();
        for k in 1..=days.len() {
            let part: Vec<u32> = days[..k].to_vec();
            let mut hist: BTreeMap<u32, u64> = BTreeMap::new();
            for &d in &part {
                *hist.entry(d).or_default() += 1;
            }
            let hist: Vec<(u32, u64)> = hist.into_iter().collect();
            for p in [0.0, 10.0, 50.0, 90.0, 99.0, 100.0] {
                let mut v: Vec<f64> = part.iter().map(|&d| f64::from(d)).collect();
                assert_eq!(
                    histogram_percentile(&hist, p),
                    percentile(&mut v, p),
                    "{part:?} p{p}"
                );
            }
        }
        assert_eq!(histogram_percentile(&h, 50.0), Some(10.0));
        assert_eq!(histogram_percentile(&[], 50.0), None);
    }

    /// A small deterministic generator (xorshift), so the registers are the same every run.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Registers with many small months, classes, categories and areas: every shown figure
    /// equals a count made here from the rows, no shown non-zero count is below the
    /// threshold, and the independent attack (`checker::attack`, exact elimination) on every
    /// published figure with every relation between them recovers no hidden one.
    #[test]
    fn no_hidden_figure_follows_from_the_shown_ones() {
        let t = 5.0;
        let (def, dash) = set(t);
        let types = [
            "bouw", "sloop", "milieu", "verbouw", "handel", "a", "b", "c", "d", "e", "f", "g",
        ];
        for seed in 1..=12u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let n = 40 + rng.below(400) as usize;
            let base = day(2022, 1, 1);
            let rows: Vec<(Day, Day, &str)> = (0..n)
                .map(|_| {
                    let o = base + rng.below(30 * (6 + seed as i32 as u64)) as i32;
                    let c = if rng.below(8) == 0 {
                        NO_DATE
                    } else {
                        o + rng.below(130) as i32
                    };
                    (
                        o,
                        c,
                        types[rng.below(if seed % 2 == 0 { 4 } else { 12 }) as usize],
                    )
                })
                .collect();
            let r = records(&def, &rows);
            // Areas: the records' items 0–3 in two areas, item 3 in none.
            let mut parent = HashMap::new();
            parent.insert(0u32, 10u32);
            parent.insert(1, 10);
            parent.insert(2, 11);
            let names: HashMap<u32, (String, String)> = [
                (10, ("N".into(), "Noord".into())),
                (11, ("Z".into(), "Zuid".into())),
            ]
            .into_iter()
            .collect();
            let map = LevelMap {
                level: "wijk".into(),
                parent,
            };
            let levels = [AreaLevel { map: &map, names }];
            let agg = Aggregates::build(&def, &dash, &r, &levels);
            let p = publish(&agg, &dash, t, Public::default());
            check_published(&p, &rows, &dash, t, seed);
        }
    }

    /// The test's own counts and relations over a published dashboard.
    fn check_published(
        p: &Published,
        rows: &[(Day, Day, &str)],
        dash: &DashboardDef,
        t: f64,
        seed: u64,
    ) {
        let mon = |d: Day| month_index(d).unwrap() - p.first;
        let len = p.opened.len();
        let mut cells: Vec<Option<f64>> = Vec::new();
        let mut truth: Vec<f64> = Vec::new();
        let mut put = |shown: Shown, real: u64, cells: &mut Vec<Option<f64>>| {
            if let Some(v) = shown {
                assert_eq!(v, real, "seed {seed}: a shown figure differs from the rows");
                assert!(v == 0 || v as f64 >= t, "seed {seed}: {v} shown");
            }
            cells.push(shown.map(|v| v as f64));
            truth.push(real as f64);
            cells.len() as u32 - 1
        };
        let mut rels: Vec<Vec<u32>> = Vec::new();
        let class_of = |days: i32| dash.bins.iter().filter(|&&b| (b as i32) < days).count();
        let col_of = |label: &str| {
            p.columns
                .iter()
                .position(|c| c == label)
                .unwrap_or(p.columns.len() - 1)
        };
        let closed_rows: Vec<&(Day, Day, &str)> = rows.iter().filter(|r| r.1 != NO_DATE).collect();
        let to = put(p.total_opened, rows.len() as u64, &mut cells);
        let tc = put(p.total_closed, closed_rows.len() as u64, &mut cells);
        let (mut om, mut cm) = (Vec::new(), Vec::new());
        let mut prev: Option<u32> = None;
        for m in 0..len as i32 {
            let o = rows.iter().filter(|r| mon(r.0) == m).count() as u64;
            let c = closed_rows.iter().filter(|r| mon(r.1) == m).count() as u64;
            let b = rows
                .iter()
                .filter(|r| mon(r.0) <= m && (r.1 == NO_DATE || mon(r.1) > m))
                .count() as u64;
            let oc = put(p.opened[m as usize], o, &mut cells);
            let cc = put(p.closed[m as usize], c, &mut cells);
            let bc = put(p.backlog[m as usize], b, &mut cells);
            // The cases handled in the month, which nobody is shown.
            let f = put(None, b + c, &mut cells);
            rels.push(match prev {
                Some(pb) => vec![f, pb, oc],
                None => vec![f, oc],
            });
            rels.push(vec![f, bc, cc]);
            prev = Some(bc);
            om.push(oc);
            cm.push(cc);
            // The month's classes and categories.
            let mut parts = Vec::new();
            for k in 0..p.bins.len() {
                let real = closed_rows
                    .iter()
                    .filter(|r| mon(r.1) == m && class_of(r.1 - r.0) == k)
                    .count() as u64;
                parts.push(put(p.month_classes[m as usize][k], real, &mut cells));
            }
            rels.push(std::iter::once(cc).chain(parts.iter().copied()).collect());
            let mut parts = Vec::new();
            for k in 0..p.columns.len() {
                let real = rows
                    .iter()
                    .filter(|r| mon(r.0) == m && col_of(r.2) == k)
                    .count() as u64;
                parts.push(put(p.month_categories[m as usize][k], real, &mut cells));
            }
            rels.push(std::iter::once(oc).chain(parts.iter().copied()).collect());
        }
        rels.push(std::iter::once(to).chain(om.iter().copied()).collect());
        rels.push(std::iter::once(tc).chain(cm.iter().copied()).collect());
        // Whole-register classes and categories: their own totals, and the sums over months.
        let month_part = |k: usize, start: u32, stride: u32| -> Vec<u32> {
            (0..len as u32)
                .map(|m| start + m * stride + k as u32)
                .collect()
        };
        let stride = 4 + (p.bins.len() + p.columns.len()) as u32;
        let first_month = tc + 1;
        let mut cls = Vec::new();
        for k in 0..p.bins.len() {
            let real = closed_rows
                .iter()
                .filter(|r| class_of(r.1 - r.0) == k)
                .count() as u64;
            let x = put(p.classes[k], real, &mut cells);
            rels.push(
                std::iter::once(x)
                    .chain(month_part(k, first_month + 4, stride))
                    .collect(),
            );
            cls.push(x);
        }
        rels.push(std::iter::once(tc).chain(cls).collect());
        let mut cats = Vec::new();
        for k in 0..p.columns.len() {
            let real = rows.iter().filter(|r| col_of(r.2) == k).count() as u64;
            let x = put(p.categories[k], real, &mut cells);
            rels.push(
                std::iter::once(x)
                    .chain(month_part(k, first_month + 4 + p.bins.len() as u32, stride))
                    .collect(),
            );
            cats.push(x);
        }
        rels.push(std::iter::once(to).chain(cats.iter().copied()).collect());
        // Areas: items 0 and 1 in N, 2 in Z, 3 in none ("").
        for table in &p.levels {
            let (mut ao, mut ac) = (Vec::new(), Vec::new());
            let mut by_col: Vec<Vec<u32>> = vec![Vec::new(); p.columns.len()];
            for a in &table.areas {
                let items: &[usize] = match a.code.as_str() {
                    "N" => &[0, 1],
                    "Z" => &[2],
                    _ => &[3],
                };
                let here = |i: usize| items.contains(&(i % 4));
                let o = rows.iter().enumerate().filter(|(i, _)| here(*i)).count() as u64;
                let c = rows
                    .iter()
                    .enumerate()
                    .filter(|(i, r)| here(*i) && r.1 != NO_DATE)
                    .count() as u64;
                let x = put(a.opened, o, &mut cells);
                ao.push(x);
                ac.push(put(a.closed, c, &mut cells));
                let mut parts = Vec::new();
                for (k, col) in by_col.iter_mut().enumerate() {
                    let real = rows
                        .iter()
                        .enumerate()
                        .filter(|(i, r)| here(*i) && col_of(r.2) == k)
                        .count() as u64;
                    let y = put(a.categories[k], real, &mut cells);
                    col.push(y);
                    parts.push(y);
                }
                rels.push(std::iter::once(x).chain(parts).collect());
            }
            rels.push(std::iter::once(to).chain(ao).collect());
            rels.push(std::iter::once(tc).chain(ac).collect());
            for (k, col) in by_col.into_iter().enumerate() {
                rels.push(std::iter::once(cats[k]).chain(col).collect());
            }
        }
        // Every relation holds on the true figures (the test's relations are right) …
        for rel in &rels {
            let parts: f64 = rel[1..].iter().map(|&x| truth[x as usize]).sum();
            assert_eq!(
                truth[rel[0] as usize], parts,
                "seed {seed}: relation {rel:?}"
            );
        }
        // … and nothing hidden that is shown to people can be recovered from them.
        let aux: Vec<bool> = (0..cells.len())
            .map(|i| {
                i >= first_month as usize
                    && i < (first_month as usize + len * stride as usize)
                    && (i - first_month as usize) % stride as usize == 3
            })
            .collect();
        let leaked: Vec<(u32, f64)> = crate::checker::attack(&cells, &rels)
            .into_iter()
            .filter(|(x, _)| !aux[*x as usize])
            .collect();
        assert!(leaked.is_empty(), "seed {seed}: recovered {leaked:?}");
        let hidden = cells.iter().filter(|c| c.is_none()).count();
        assert!(
            hidden > len,
            "seed {seed}: a test without hidden figures proves nothing"
        );
    }

    #[test]
    fn a_backlog_is_shown_after_a_month_with_a_small_count() {
        let t = 5.0;
        let (def, dash) = set(t);
        let mut rows = Vec::new();
        for m in 1..=6u8 {
            // 20 opened each month, closed 20 days later; March has 8 more, never closed.
            for d in 0..20u8 {
                rows.push((day(2024, m, 1 + d), day(2024, m, 1 + d) + 20, "bouw"));
            }
        }
        for d in 0..8 {
            rows.push((
                day(2024, 3, 5 + d),
                NO_DATE,
                if d < 2 { "sloop" } else { "bouw" },
            ));
        }
        // July: 2 opened (a small count), closed in August.
        rows.push((day(2024, 7, 1), day(2024, 8, 10), "bouw"));
        rows.push((day(2024, 7, 2), day(2024, 8, 11), "bouw"));
        let r = records(&def, &rows);
        let p = publish(
            &Aggregates::build(&def, &dash, &r, &[]),
            &dash,
            t,
            Public::default(),
        );
        // March's 28 opened is no small count; its "sloop" (2) is, and hidden.
        assert_eq!(p.opened[2], Some(28));
        assert_eq!(p.month_categories[2][1], None);
        // July's 2 opened are hidden, and so are its closed (0) with them.
        assert_eq!((p.opened[6], p.closed[6]), (None, None));
        // Every backlog is shown (each is over 5 and follows from no hidden count alone):
        // the months after July too, which the rule of the first hidden month hid.
        let real = [9, 11, 17, 18, 17, 18, 10, 8];
        for (m, b) in real.iter().enumerate() {
            assert_eq!(p.backlog[m], Some(*b), "month {m}: {p:?}");
        }
    }

    /// An area's cases over all months less its shown public years would give a hidden year:
    /// the dashboard alone shows the area (and the attack recovers the year), held against the
    /// publication it hides it, and the attack — over the area table, the months and the
    /// public years, with the cases on no area unknown — recovers nothing hidden.
    #[test]
    fn an_areas_total_gives_no_hidden_public_year_away() {
        let t = 5.0;
        let (mut def, dash) = set(t);
        def.measures
            .push(crate::fixtures::count_def("n_in", "in", &[], &["year"]));
        // Row i lies on item i % 4: items 0 and 1 in N, 2 in Z, 3 in none. 2022: 40 cases
        // (N 20, Z 10); 2023: 4 (N 2, Z 1), which the publication hides.
        let mut rows = Vec::new();
        for i in 0..40u8 {
            rows.push((day(2022, 1 + i % 12, 1 + i / 12), NO_DATE, "bouw"));
        }
        for _ in 0..4 {
            rows.push((day(2023, 3, 1), NO_DATE, "bouw"));
        }
        let r = records(&def, &rows);
        let agg = by_wijk(&def, &dash, &r);
        let x = Value::Missing(MissingCode::Hidden);
        let snap = wijk_snapshot(&[
            ("n_in", "2022", [n(20.0), n(10.0)]),
            ("n_in", "2023", [x, x]),
        ]);
        // The attacker's system: the area table, the public years, the months.
        let attack = |p: &Published| -> Vec<(u32, f64)> {
            let rows = &p.levels[0].areas;
            let code_at = |c: &str| rows.iter().position(|a| a.code == c).unwrap();
            let (an, az, a0) = (code_at("N"), code_at("Z"), code_at(""));
            let mut cells: Vec<Option<f64>> = Vec::new();
            let mut secret: Vec<bool> = Vec::new();
            let mut put = |v: Option<u64>, protected: bool| {
                cells.push(v.map(|v| v as f64));
                secret.push(protected && v.is_none());
                cells.len() as u32 - 1
            };
            let fig = [an, az, a0].map(|i| put(rows[i].opened, true));
            let total = put(p.total_opened, true);
            let years = [
                [put(Some(20), true), put(None, true)],
                [put(Some(10), true), put(None, true)],
            ];
            let rest = [put(None, false), put(None, false)];
            let mut rels = vec![
                vec![total, fig[0], fig[1], fig[2]],
                vec![fig[0], years[0][0], years[0][1]],
                vec![fig[1], years[1][0], years[1][1]],
                vec![fig[2], rest[0], rest[1]],
            ];
            // The months from January 2022: twelve of 2022, then those of 2023.
            assert_eq!(p.first, 2022 * 12);
            for (y, months) in [(0, 0..12), (1, 12..p.opened.len())] {
                let ms: Vec<u32> = months.map(|m| put(p.opened[m], true)).collect();
                let sum = put(None, false);
                rels.push(vec![sum, years[0][y], years[1][y], rest[y]]);
                rels.push(std::iter::once(sum).chain(ms).collect());
            }
            crate::checker::attack(&cells, &rels)
                .into_iter()
                .filter(|(x, _)| secret[*x as usize])
                .collect()
        };
        let alone = publish(&agg, &dash, t, Public::default());
        let n_row = alone.levels[0]
            .areas
            .iter()
            .find(|a| a.code == "N")
            .unwrap();
        assert_eq!(n_row.opened, Some(22));
        assert!(
            !attack(&alone).is_empty(),
            "the attack finds nothing to begin with"
        );
        let held = held(&agg, &dash, &def, &snap);
        let n_row = held.levels[0].areas.iter().find(|a| a.code == "N").unwrap();
        assert_eq!(n_row.opened, None);
        assert_eq!(attack(&held), vec![]);
    }

    /// A count measure for each of two categories the dashboard gathers as "other": an area's
    /// "other" less the shown public count of one category would be the other's hidden count.
    #[test]
    fn measures_that_split_other_give_no_hidden_public_cell_away() {
        let t = 5.0;
        let (mut def, dash) = set(t);
        let count = |code: &str, label: &str| {
            crate::fixtures::count_def(code, "in", &[("type", &[label])], &["year"])
        };
        def.measures.push(count("n_r1", "r1"));
        def.measures.push(count("n_r2", "r2"));
        // Ten frequent types (10 cases in N and in Z each), then r1 (N 3, Z 6) and r2 (N 8,
        // Z 7), which "other" gathers; all opened in 2022, none closed.
        let mut rows: Vec<(Day, Day, String, u32)> = Vec::new();
        let mut add = |label: String, item: u32, n: usize| {
            for i in 0..n {
                rows.push((
                    day(2022, 1 + (i % 12) as u8, 1),
                    NO_DATE,
                    label.clone(),
                    item,
                ));
            }
        };
        for k in 0..10 {
            add(format!("c{k}"), 0, 10);
            add(format!("c{k}"), 2, 10);
        }
        add("r1".into(), 0, 3);
        add("r1".into(), 2, 6);
        add("r2".into(), 1, 8);
        add("r2".into(), 2, 7);
        let flat: Vec<(Day, Day, &str)> = rows.iter().map(|r| (r.0, r.1, r.2.as_str())).collect();
        let mut r = records(&def, &flat);
        r.items = rows.iter().map(|r| r.3).collect();
        let agg = by_wijk(&def, &dash, &r);
        // As published: r1 in N is below the threshold.
        let x = Value::Missing(MissingCode::Hidden);
        let snap = wijk_snapshot(&[
            ("n_r1", "2022", [x, n(6.0)]),
            ("n_r2", "2022", [n(8.0), n(7.0)]),
        ]);
        let held = held(&agg, &dash, &def, &snap);
        assert!(held.other, "{:?}", held.columns);
        // The attacker: each area's "other" = its r1 + its r2 (the one public year).
        let rows = &held.levels[0].areas;
        let mut cells: Vec<Option<f64>> = Vec::new();
        let mut rels = Vec::new();
        for (a, public) in [("N", [None, Some(8.0)]), ("Z", [Some(6.0), Some(7.0)])] {
            let row = rows.iter().find(|r| r.code == a).unwrap();
            cells.push(row.categories.last().unwrap().map(|v| v as f64));
            cells.extend(public);
            let at = cells.len() as u32 - 3;
            rels.push(vec![at, at + 1, at + 2]);
        }
        assert_eq!(crate::checker::attack(&cells, &rels), vec![]);
    }

    /// A count by a third date (a letter sent on each decision) counts exactly the closed
    /// cases: an area's closed cases less its shown public years would be the hidden year.
    #[test]
    fn a_count_by_a_third_date_of_the_same_cases_is_tied() {
        let t = 5.0;
        let (mut def, dash) = set(t);
        def.dates.push("brief".into());
        def.measures.push(crate::fixtures::count_def(
            "n_brief",
            "brief",
            &[],
            &["year"],
        ));
        // Closed in 2022: N 20, Z 10; in 2023: N 2, Z 1 (hidden by the publication); and six
        // still open in Z.
        let mut rows = Vec::new();
        let mut items = Vec::new();
        for (year, item, n) in [(2022, 0, 20), (2022, 2, 10), (2023, 1, 2), (2023, 2, 1)] {
            for i in 0..n {
                rows.push((day(2022, 1, 1), day(year, 1 + (i % 11) as u8, 3), "bouw"));
                items.push(item);
            }
        }
        for _ in 0..6 {
            rows.push((day(2022, 1, 1), NO_DATE, "bouw"));
            items.push(2);
        }
        let mut r = records(&def, &rows);
        r.items = items;
        r.dates[2] = r.dates[1]
            .iter()
            .map(|&d| if d == NO_DATE { d } else { d + 2 })
            .collect();
        let agg = by_wijk(&def, &dash, &r);
        assert_eq!(agg.same_cases, Some(vec![("n_brief".to_string(), false)]));
        let x = Value::Missing(MissingCode::Hidden);
        let snap = wijk_snapshot(&[
            ("n_brief", "2022", [n(20.0), n(10.0)]),
            ("n_brief", "2023", [x, x]),
        ]);
        let held = held(&agg, &dash, &def, &snap);
        // The attacker: each area's closed cases = its two public years.
        let rows = &held.levels[0].areas;
        let mut cells: Vec<Option<f64>> = Vec::new();
        let mut rels = Vec::new();
        for (a, y22) in [("N", 20.0), ("Z", 10.0)] {
            let row = rows.iter().find(|r| r.code == a).unwrap();
            cells.extend([row.closed.map(|v| v as f64), Some(y22), None]);
            let at = cells.len() as u32 - 3;
            rels.push(vec![at, at + 1, at + 2]);
        }
        assert_eq!(crate::checker::attack(&cells, &rels), vec![]);
    }

    /// An area's year in the per-area table is the public cell of that year: where the
    /// publication hides it (here by secondary suppression, above the threshold), so does the
    /// table.
    #[test]
    fn an_areas_year_is_hidden_where_its_public_cell_is() {
        let t = 5.0;
        let (mut def, dash) = set(t);
        def.measures
            .push(crate::fixtures::count_def("n_in", "in", &[], &["year"]));
        // Opened in 2022: N 20, Z 10; in 2023: N 8, Z 7; in 2024: N 9, Z 6.
        let mut rows = Vec::new();
        let mut items = Vec::new();
        for (year, item, n) in [
            (2022, 0, 20),
            (2022, 2, 10),
            (2023, 1, 8),
            (2023, 2, 7),
            (2024, 0, 9),
            (2024, 2, 6),
        ] {
            for i in 0..n {
                rows.push((day(year, 1 + (i % 12) as u8, 1), NO_DATE, "bouw"));
                items.push(item);
            }
        }
        let mut r = records(&def, &rows);
        r.items = items;
        let agg = by_wijk(&def, &dash, &r);
        let x = Value::Missing(MissingCode::Hidden);
        let snap = wijk_snapshot(&[
            ("n_in", "2022", [n(20.0), n(10.0)]),
            ("n_in", "2023", [x, x]),
            ("n_in", "2024", [x, x]),
        ]);
        let alone = publish(&agg, &dash, t, Public::default());
        let year = |p: &Published, area: &str, y: i32| {
            let a = p.levels[0].areas.iter().find(|a| a.code == area).unwrap();
            a.years.iter().find(|v| v.0 == y).unwrap().1
        };
        assert_eq!(year(&alone, "N", 2023), Some(8));
        let held = held(&agg, &dash, &def, &snap);
        assert_eq!(year(&held, "N", 2023), None);
        assert_eq!(year(&held, "Z", 2023), None);
        assert_eq!(year(&held, "N", 2022), Some(20));
        let v = view(&held, None, Some("wijk"), Some(2023));
        assert_eq!(v.year, Some(2023));
        assert_eq!(v.years, vec![2022, 2023, 2024]);
        assert!(v.areas.iter().all(|a| a.categories.is_empty()));
    }
}
