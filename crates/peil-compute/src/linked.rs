//! Sum relations between indicators: the "linked tables" of statistical disclosure control.
//!
//! Secondary suppression per indicator protects every relation *within* one indicator (parent =
//! Σ children, year = Σ months of a flow, cube margins). Sources often carry identities
//! *between* indicators as well — dwellings = apartments + houses in every row — and then a cell
//! hidden in one of the three comes back from the visible two. This module finds those
//! relations so that [`crate::privacy`] can protect each group of linked indicators as one
//! system of relations:
//!
//! - **formulas** that are a plain sum or difference of additive indicators (`a + b`, `a - b - c`);
//! - **declared** ones: the metadata column `total of` (`dwellings`: `apartments + houses`);
//! - **detected** ones: at publication, every exact identity `t = a + b` or `t = a` between
//!   loaded additive indicators, found by a lookup on their coarsest cells and then checked on
//!   every cell the three share. Publication reports them (declare them to make them explicit).
//!
//! Only additive indicators (counts that sum over areas) take part: for them an identity in
//! the base cells holds at every level. A relation is used for a cell only where it holds
//! there in numbers, so a relation broken by a loaded aggregate never pins a cell wrongly.

use crate::engine::{Computed, GeoRule};
use peil_core::Period;
use peil_core::formula::{BinOp, Expr};
use std::collections::{BTreeSet, HashMap};

/// Where a sum relation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// The total's formula is a plain sum or difference of the others.
    Formula,
    /// The metadata column `total of`.
    Declared,
    /// Found in the values at publication.
    Detected,
    /// Measures of one record set whose records add up (`peil_core::records::MEASURE_SUMS`,
    /// found by the import on the records).
    Records,
}

impl Source {
    pub fn code(self) -> &'static str {
        match self {
            Source::Formula => "formula",
            Source::Declared => "total of",
            Source::Detected => "detected",
            Source::Records => "records",
        }
    }
}

/// `total = Σ parts` in every cell where all of them are numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedSum {
    pub total: u32,
    pub parts: Vec<u32>,
    pub source: Source,
}

impl LinkedSum {
    /// `dwellings = apartments + houses (detected)`.
    pub fn describe(&self, c: &Computed) -> String {
        let parts: Vec<String> = self.parts.iter().map(|&p| part_name(c, p)).collect();
        format!(
            "{} = {} ({})",
            c.indicators[self.total as usize].code,
            parts.join(" + "),
            self.source.code()
        )
    }

    pub fn members(&self) -> impl Iterator<Item = u32> + '_ {
        std::iter::once(self.total).chain(self.parts.iter().copied())
    }
}

/// `Σ sides[0] = Σ sides[1] = …` in every cell where all are numbers: sums that equal one total
/// that is published nowhere (the same records split two ways). Secondary suppression hides
/// their members together (`Linked::together`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedEqual {
    pub sides: Vec<Vec<u32>>,
    pub source: Source,
}

impl LinkedEqual {
    /// `a + b = c + d (records)`; a share in a relation is its hits.
    pub fn describe(&self, c: &Computed) -> String {
        let sides: Vec<String> = self
            .sides
            .iter()
            .map(|side| {
                side.iter()
                    .map(|&p| part_name(c, p))
                    .collect::<Vec<_>>()
                    .join(" + ")
            })
            .collect();
        format!("{} ({})", sides.join(" = "), self.source.code())
    }

    pub fn members(&self) -> impl Iterator<Item = u32> + '_ {
        self.sides.iter().flatten().copied()
    }
}

/// An indicator's code in a relation: a share (a percentage, in a relation by its hits) as
/// `hits(<code>)`.
fn part_name(c: &Computed, i: u32) -> String {
    let ind = &c.indicators[i as usize];
    if ind.data_type == peil_core::DataType::Percentage {
        peil_core::records::hits_code(&ind.code)
    } else {
        ind.code.clone()
    }
}

/// A group of indicators connected by relations, with its relations.
#[derive(Debug)]
pub struct Group<'a> {
    pub members: Vec<u32>,
    pub sums: Vec<&'a LinkedSum>,
    pub equal: Vec<&'a LinkedEqual>,
}

/// The sum relations of a computation, and notes on declared relations that could not be used.
#[derive(Debug, Default)]
pub struct Linked {
    pub sums: Vec<LinkedSum>,
    /// Sums that equal one unpublished total.
    pub equal: Vec<LinkedEqual>,
    /// The shares of record sets that take part in a relation by their hits (share × n / 100,
    /// an additive count), each with its `n` (the share's threshold indicator).
    pub hits: std::collections::BTreeMap<u32, u32>,
    /// Indicators hidden together (`peil_core::records::HIDDEN_TOGETHER`, and the members of
    /// each relation of `equal`): a cell hidden in one is hidden in every member that has it.
    pub together: Vec<Vec<u32>>,
    pub notes: Vec<String>,
}

impl Linked {
    /// How secondary suppression takes a member of a relation: a share by its hits (its value
    /// × its `n`, divided by 100), every other indicator by its value.
    pub fn weight(&self, i: u32) -> Option<u32> {
        self.hits.get(&i).copied()
    }

    /// Groups of indicators connected by sum relations, each with its relations; sorted.
    pub fn groups(&self) -> Vec<Group<'_>> {
        let mut parent: HashMap<u32, u32> = HashMap::new();
        fn find(p: &mut HashMap<u32, u32>, x: u32) -> u32 {
            let up = *p.entry(x).or_insert(x);
            if up == x {
                return x;
            }
            let r = find(p, up);
            p.insert(x, r);
            r
        }
        let link = |xs: Vec<u32>, parent: &mut HashMap<u32, u32>| {
            for w in xs.windows(2) {
                let (a, b) = (find(parent, w[0]), find(parent, w[1]));
                if a != b {
                    parent.insert(a.max(b), a.min(b));
                }
            }
        };
        for s in &self.sums {
            link(s.members().collect(), &mut parent);
        }
        for e in &self.equal {
            link(e.members().collect(), &mut parent);
        }
        type Parts<'a> = (BTreeSet<u32>, Vec<&'a LinkedSum>, Vec<&'a LinkedEqual>);
        let mut groups: HashMap<u32, Parts> = HashMap::new();
        for s in &self.sums {
            let root = find(&mut parent, s.total);
            let g = groups.entry(root).or_default();
            g.0.extend(s.members());
            g.1.push(s);
        }
        for e in &self.equal {
            let root = find(&mut parent, e.sides[0][0]);
            let g = groups.entry(root).or_default();
            g.0.extend(e.members());
            g.2.push(e);
        }
        let mut out: Vec<Group> = groups
            .into_values()
            .map(|(m, sums, equal)| Group {
                members: m.into_iter().collect(),
                sums,
                equal,
            })
            .collect();
        out.sort_by(|a, b| a.members.cmp(&b.members));
        out
    }

    /// `dirty` and every indicator linked to one of them (by a relation, or hidden together).
    pub fn closure(&self, dirty: &[u32]) -> Vec<u32> {
        let mut out: BTreeSet<u32> = dirty.iter().copied().collect();
        let sets: Vec<Vec<u32>> = self
            .groups()
            .into_iter()
            .map(|g| g.members)
            .chain(self.together.iter().cloned())
            .collect();
        // A set may join another through a member a later set added.
        loop {
            let before = out.len();
            for members in &sets {
                if members.iter().any(|m| out.contains(m)) {
                    out.extend(members.iter().copied());
                }
            }
            if out.len() == before {
                break;
            }
        }
        out.into_iter().collect()
    }
}

/// Counts that sum over areas: the only indicators an identity between cells extends to
/// every level.
fn additive(c: &Computed, i: u32) -> bool {
    let ind = &c.indicators[i as usize];
    c.rule(i) == GeoRule::Sum && ind.data_type.is_numeric() && !ind.non_aggregable
}

/// Whether `t = Σ parts` holds for these numbers (relative tolerance for sums of decimals).
pub fn holds(t: f64, sum: f64) -> bool {
    (t - sum).abs() <= 1e-9 * t.abs().max(sum.abs()).max(1.0)
}

/// Every sum relation: from formulas, from `total of`, and detected in the values.
pub fn linked_sums(c: &Computed) -> Linked {
    let mut out = Linked::default();
    let resolve = |code: &str| c.index.get(code).copied();
    for (t, ind) in c.indicators.iter().enumerate() {
        let t = t as u32;
        // Formulas that are a plain sum or difference.
        if let Some(f) = &c.formulas[t as usize] {
            let mut terms = Vec::new();
            if signed_refs(&f.expr, true, &mut terms) {
                let plus: Vec<Option<u32>> = terms
                    .iter()
                    .filter(|(_, s)| *s)
                    .map(|(r, _)| resolve(r))
                    .collect();
                let minus: Vec<Option<u32>> = terms
                    .iter()
                    .filter(|(_, s)| !*s)
                    .map(|(r, _)| resolve(r))
                    .collect();
                let all: Option<Vec<u32>> = plus.iter().chain(&minus).copied().collect();
                let distinct = all.as_ref().is_some_and(|a| {
                    a.iter().collect::<BTreeSet<_>>().len() == a.len() && !a.contains(&t)
                });
                if distinct && all.iter().flatten().all(|&x| additive(c, x)) && additive(c, t) {
                    let plus: Vec<u32> = plus.into_iter().flatten().collect();
                    let minus: Vec<u32> = minus.into_iter().flatten().collect();
                    if minus.is_empty() && !plus.is_empty() {
                        out.sums.push(LinkedSum {
                            total: t,
                            parts: plus,
                            source: Source::Formula,
                        });
                    } else if plus.len() == 1 {
                        // t = a - b - c  ⇔  a = t + b + c
                        let mut parts = vec![t];
                        parts.extend(minus);
                        out.sums.push(LinkedSum {
                            total: plus[0],
                            parts,
                            source: Source::Formula,
                        });
                    }
                }
            }
        }
        // Declared: `total of`.
        if !ind.total_of.is_empty() {
            let parts: Vec<Option<u32>> = ind.total_of.iter().map(|p| resolve(p)).collect();
            if let Some(missing) = ind.total_of.iter().zip(&parts).find(|(_, p)| p.is_none()) {
                out.notes.push(format!(
                    "{}: 'total of' names {}, which is not an indicator; the relation is not protected",
                    ind.code, missing.0
                ));
            } else {
                let parts: Vec<u32> = parts.into_iter().flatten().collect();
                if let Some(&x) = std::iter::once(&t)
                    .chain(&parts)
                    .find(|&&x| !additive(c, x))
                {
                    out.notes.push(format!(
                        "{}: 'total of' links {}, which does not sum over areas (a count is needed); \
                         the relation is not used",
                        ind.code, c.indicators[x as usize].code
                    ));
                } else {
                    let (checked, failed) = verify(c, t, &parts);
                    if failed > 0 {
                        out.notes.push(format!(
                            "{}: declared the total of {}, but it differs from their sum in {failed} \
                             of {} cells; the relation is protected only where it holds",
                            ind.code,
                            ind.total_of.join(" + "),
                            checked + failed
                        ));
                    }
                    out.sums.push(LinkedSum {
                        total: t,
                        parts,
                        source: Source::Declared,
                    });
                }
            }
        }
    }
    measure_links(c, &mut out);
    let known: BTreeSet<(u32, Vec<u32>)> = out
        .sums
        .iter()
        .map(|s| {
            let mut p = s.parts.clone();
            p.sort_unstable();
            (s.total, p)
        })
        .collect();
    for s in detect(c) {
        let mut p = s.parts.clone();
        p.sort_unstable();
        if !known.contains(&(s.total, p)) {
            out.sums.push(s);
        }
    }
    out
}

/// The relations between the measures of a record set that the import found on the records and
/// wrote into their metadata (`peil_core::records`): sums (`MEASURE_SUMS`, on the total), sums
/// that equal one unpublished total (`MEASURE_EQUAL`) and groups hidden together
/// (`HIDDEN_TOGETHER`). Only between additive indicators that are there — or shares, by their
/// hits —, and used only where they hold in numbers (as every relation).
fn measure_links(c: &Computed, out: &mut Linked) {
    use peil_core::records::{HIDDEN_TOGETHER, MEASURE_EQUAL, MEASURE_SUMS, hits_of};
    // A part: an additive indicator, or a share of a record set by its hits (its threshold
    // indicator, the `_n`, being additive).
    let part = |code: &str, hits: &mut std::collections::BTreeMap<u32, u32>| -> Option<u32> {
        match hits_of(code) {
            None => c.index.get(code).copied().filter(|&x| additive(c, x)),
            Some(share) => {
                let x = *c.index.get(share)?;
                let ind = &c.indicators[x as usize];
                let n = *c.index.get(ind.threshold_indicator.as_deref()?)?;
                if ind.data_type != peil_core::DataType::Percentage || !additive(c, n) {
                    return None;
                }
                hits.insert(x, n);
                Some(x)
            }
        }
    };
    let mut together: std::collections::BTreeMap<&str, Vec<u32>> = Default::default();
    for (t, ind) in c.indicators.iter().enumerate() {
        let t = t as u32;
        if let Some(g) = ind.extra.get(HIDDEN_TOGETHER) {
            let code = if ind.data_type == peil_core::DataType::Percentage {
                peil_core::records::hits_code(&ind.code)
            } else {
                ind.code.clone()
            };
            if part(&code, &mut out.hits).is_some() {
                together.entry(g.as_str()).or_default().push(t);
            }
        }
        if let Some(text) = ind.extra.get(MEASURE_SUMS) {
            for parts in peil_core::records::read_sums(text) {
                let parts: Option<Vec<u32>> =
                    parts.iter().map(|p| part(p, &mut out.hits)).collect();
                if let Some(parts) = parts
                    && !parts.contains(&t)
                    && additive(c, t)
                {
                    out.sums.push(LinkedSum {
                        total: t,
                        parts,
                        source: Source::Records,
                    });
                }
            }
        }
        if let Some(text) = ind.extra.get(MEASURE_EQUAL) {
            for sides in peil_core::records::read_equal(text) {
                let sides: Option<Vec<Vec<u32>>> = sides
                    .iter()
                    .map(|side| side.iter().map(|p| part(p, &mut out.hits)).collect())
                    .collect();
                if let Some(sides) = sides {
                    out.equal.push(LinkedEqual {
                        sides,
                        source: Source::Records,
                    });
                }
            }
        }
    }
    out.together = together.into_values().filter(|m| m.len() > 1).collect();
    // Sums that equal an unpublished total: hidden together (see `crate::privacy`).
    for e in &out.equal {
        let mut m: Vec<u32> = e.members().collect();
        m.sort_unstable();
        m.dedup();
        out.together.push(m);
    }
}

/// The terms of an expression made only of references, `+`, `-` and negation, with their sign.
fn signed_refs(e: &Expr, sign: bool, out: &mut Vec<(String, bool)>) -> bool {
    match e {
        Expr::Ref(code) => {
            out.push((code.clone(), sign));
            true
        }
        Expr::Neg(a) => signed_refs(a, !sign, out),
        Expr::Bin {
            op: BinOp::Add,
            left,
            right,
        } => signed_refs(left, sign, out) && signed_refs(right, sign, out),
        Expr::Bin {
            op: BinOp::Sub,
            left,
            right,
        } => signed_refs(left, sign, out) && signed_refs(right, !sign, out),
        _ => false,
    }
}

/// The cells where `t` and all `parts` are numbers: (agreeing, disagreeing) with `t = Σ parts`.
fn verify(c: &Computed, t: u32, parts: &[u32]) -> (usize, usize) {
    let (mut ok, mut bad) = (0, 0);
    for_shared_cells(c, t, parts, |tv, sum| {
        if holds(tv, sum) {
            ok += 1;
        } else {
            bad += 1;
        }
        true
    });
    (ok, bad)
}

/// Calls `f(total, Σ parts)` for every cell where all are numbers; stops when `f` says so.
fn for_shared_cells(c: &Computed, t: u32, parts: &[u32], mut f: impl FnMut(f64, f64) -> bool) {
    for l in 0..c.geo.levels.len() as u16 {
        let Some(keys) = c.keys.get(&(t, l)) else {
            continue;
        };
        for &(p, d) in keys {
            let Some(tv) = c.values.get(&(t, l, p, d)) else {
                continue;
            };
            let pv: Option<Vec<&Vec<crate::slot::Slot>>> =
                parts.iter().map(|&x| c.values.get(&(x, l, p, d))).collect();
            let Some(pv) = pv else { continue };
            for (i, tcell) in tv.iter().enumerate() {
                let Some(a) = tcell.number() else { continue };
                let sum: Option<f64> = pv.iter().map(|v| v[i].number()).sum();
                if let Some(s) = sum
                    && !f(a, s)
                {
                    return;
                }
            }
        }
    }
}

/// Exact identities `t = a + b` and `t = a` between loaded additive indicators.
///
/// Candidates come from one lookup per pair: the sum of the pair's first shared non-zero cell on
/// their coarsest level is looked up among the values of every indicator in that cell; each
/// candidate is then checked on every shared cell. An identity counts when it holds in every
/// shared cell and in at least two, with every part non-zero somewhere.
fn detect(c: &Computed) -> Vec<LinkedSum> {
    let cands: Vec<u32> = (0..c.indicators.len() as u32)
        .filter(|&i| {
            c.formulas[i as usize].is_none()
                && c.indicators[i as usize].dim_levels.is_empty()
                && additive(c, i)
        })
        .collect();
    // Each candidate's coarsest level (fewest items) with values, and its cells there.
    type Cell = (u16, Period, u32);
    let mut probe: HashMap<u32, Vec<(Cell, f64)>> = HashMap::new();
    let mut index: HashMap<Cell, Vec<(f64, u32)>> = HashMap::new();
    for &i in &cands {
        let Some(l) = (0..c.geo.levels.len() as u16)
            .filter(|l| c.keys.contains_key(&(i, *l)))
            .min_by_key(|l| (c.geo.levels[*l as usize].len(), *l))
        else {
            continue;
        };
        let mut cells = Vec::new();
        for &(p, d) in &c.keys[&(i, l)] {
            if d != 0 {
                continue;
            }
            for (item, s) in c.values[&(i, l, p, 0)].iter().enumerate() {
                if let Some(v) = s.number() {
                    cells.push(((l, p, item as u32), v));
                    index.entry((l, p, item as u32)).or_default().push((v, i));
                }
            }
        }
        probe.insert(i, cells);
    }
    for v in index.values_mut() {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let lookup = |cell: &Cell, v: f64| -> Vec<u32> {
        let Some(list) = index.get(cell) else {
            return Vec::new();
        };
        let tol = 1e-9 * v.abs().max(1.0);
        let from = list.partition_point(|(x, _)| *x < v - tol);
        list[from..]
            .iter()
            .take_while(|(x, _)| *x <= v + tol)
            .map(|(_, i)| *i)
            .collect()
    };
    let nonzero = |i: u32| {
        probe
            .get(&i)
            .is_some_and(|p| p.iter().any(|(_, v)| *v != 0.0))
    };
    // A candidate is most often a coincidence of one cell: it fails at its first other cell,
    // so the check stops there (on the PinC-scale set, 1,800 counts, checking every shared
    // cell of every candidate had taken more than three minutes of CPU when it was stopped).
    let counts = |t: u32, parts: &[u32]| -> bool {
        let (mut ok, mut bad) = (0usize, false);
        for_shared_cells(c, t, parts, |tv, sum| {
            if holds(tv, sum) {
                ok += 1;
                true
            } else {
                bad = true;
                false
            }
        });
        !bad && ok >= 2
    };
    let mut found: BTreeSet<(u32, Vec<u32>)> = BTreeSet::new();
    let with_values: Vec<u32> = cands.iter().copied().filter(|&i| nonzero(i)).collect();
    // t = a (duplicates): a's first non-zero cell.
    for &a in &with_values {
        let Some((cell, v)) = probe[&a].iter().find(|(_, v)| *v != 0.0) else {
            continue;
        };
        for t in lookup(cell, *v) {
            if t != a && a < t && counts(t, &[a]) {
                found.insert((a.min(t), vec![a.max(t)]));
            }
        }
    }
    // t = a + b: the pair's first shared cell where both are non-zero.
    for (x, &a) in with_values.iter().enumerate() {
        let pa: HashMap<Cell, f64> = probe[&a].iter().copied().collect();
        for &b in &with_values[x + 1..] {
            let Some((cell, sum)) = probe[&b].iter().find_map(|(cell, vb)| {
                pa.get(cell)
                    .filter(|va| **va != 0.0 && *vb != 0.0)
                    .map(|va| (*cell, va + vb))
            }) else {
                continue;
            };
            for t in lookup(&cell, sum) {
                if t != a && t != b && counts(t, &[a, b]) {
                    found.insert((t, vec![a, b]));
                }
            }
        }
    }
    found
        .into_iter()
        .map(|(total, parts)| LinkedSum {
            total,
            parts,
            source: Source::Detected,
        })
        .collect()
}
