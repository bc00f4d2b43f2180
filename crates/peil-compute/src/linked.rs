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
        let code = |i: u32| c.indicators[i as usize].code.as_str();
        let parts: Vec<&str> = self.parts.iter().map(|&p| code(p)).collect();
        format!(
            "{} = {} ({})",
            code(self.total),
            parts.join(" + "),
            self.source.code()
        )
    }

    pub fn members(&self) -> impl Iterator<Item = u32> + '_ {
        std::iter::once(self.total).chain(self.parts.iter().copied())
    }
}

/// The sum relations of a computation, and notes on declared relations that could not be used.
#[derive(Debug, Default)]
pub struct Linked {
    pub sums: Vec<LinkedSum>,
    pub notes: Vec<String>,
}

impl Linked {
    /// Groups of indicators connected by sum relations, each with its relations; sorted.
    pub fn groups(&self) -> Vec<(Vec<u32>, Vec<&LinkedSum>)> {
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
        for s in &self.sums {
            for m in s.members() {
                let (a, b) = (find(&mut parent, s.total), find(&mut parent, m));
                if a != b {
                    parent.insert(a.max(b), a.min(b));
                }
            }
        }
        let mut groups: HashMap<u32, (BTreeSet<u32>, Vec<&LinkedSum>)> = HashMap::new();
        for s in &self.sums {
            let root = find(&mut parent, s.total);
            let g = groups.entry(root).or_default();
            g.0.extend(s.members());
            g.1.push(s);
        }
        let mut out: Vec<(Vec<u32>, Vec<&LinkedSum>)> = groups
            .into_values()
            .map(|(m, s)| (m.into_iter().collect(), s))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// `dirty` and every indicator linked to one of them.
    pub fn closure(&self, dirty: &[u32]) -> Vec<u32> {
        let mut out: BTreeSet<u32> = dirty.iter().copied().collect();
        for (members, _) in self.groups() {
            if members.iter().any(|m| out.contains(m)) {
                out.extend(members);
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
    out.sums.extend(measure_sums(c));
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

/// The sums between the measures of a record set that the import found on the records and
/// wrote into the total's metadata (`peil_core::records::MEASURE_SUMS`): only between additive
/// indicators that are there, and used only where they hold in numbers (as every relation).
fn measure_sums(c: &Computed) -> Vec<LinkedSum> {
    let mut out = Vec::new();
    for (t, ind) in c.indicators.iter().enumerate() {
        let Some(text) = ind.extra.get(peil_core::records::MEASURE_SUMS) else {
            continue;
        };
        let t = t as u32;
        for parts in peil_core::records::read_sums(text) {
            let parts: Option<Vec<u32>> = parts.iter().map(|p| c.index.get(p).copied()).collect();
            if let Some(parts) = parts
                && !parts.contains(&t)
                && std::iter::once(t)
                    .chain(parts.iter().copied())
                    .all(|x| additive(c, x))
            {
                out.push(LinkedSum {
                    total: t,
                    parts,
                    source: Source::Records,
                });
            }
        }
    }
    out
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
    let counts = |t: u32, parts: &[u32]| -> bool {
        let (ok, bad) = verify(c, t, parts);
        bad == 0 && ok >= 2
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
