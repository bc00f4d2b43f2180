//! The privacy review of a publication: what its published values give away, judged on the
//! snapshot itself (what readers get), not on how the values were computed.
//!
//! Two rules, both errors unless a statistician allows the indicator explicitly (`peil.toml`,
//! `[privacy]`), run by `peil check` and `peil publish`:
//!
//! - **Over restricted**: an indicator visible to readers who may not see one of its inputs (a
//!   formula reference, or the weight of a weighted mean). Its values are a function of the
//!   restricted values and can give them back (a public `r / d * 100` times the public `d`).
//! - **Recomputable**: a formula indicator with hidden (`x`) cells whose formula inputs are all
//!   published as numbers at those same cells. The threshold hides nothing there: anyone can
//!   evaluate the formula on the published inputs.

use crate::slot::Slot;
use crate::snapshot::Snapshot;
use peil_core::formula::{Expr, Formula, mrp_index};
use peil_core::{Period, Visibility};
use std::fmt;

/// Which rule a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Rule {
    /// Visible to readers who may not see some of its inputs.
    OverRestricted,
    /// Hidden cells that can be recomputed from inputs published at those cells.
    Recomputable,
}

/// One problem the review found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub rule: Rule,
    /// The indicator at fault.
    pub indicator: String,
    /// The inputs concerned: the restricted ones, or the formula's inputs.
    pub inputs: Vec<String>,
    /// Published values of the indicator (over restricted), or hidden cells that can be
    /// recomputed (recomputable).
    pub cells: usize,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inputs = self.inputs.join(", ");
        match self.rule {
            Rule::OverRestricted => write!(
                f,
                "{} is visible to readers who may not see {inputs}, and is computed from it: its {} published values can give the restricted values back. Restrict {} like its inputs, or allow it in peil.toml: [privacy] allow_public_over_restricted = [\"{}\"]",
                self.indicator, self.cells, self.indicator, self.indicator
            ),
            Rule::Recomputable => write!(
                f,
                "{}: the hidden cells can be recomputed from {inputs}, published at those cells ({} cells). Give the inputs the same threshold, drop the threshold that hides nothing, or allow it in peil.toml: [privacy] allow_recomputable_hidden = [\"{}\"]",
                self.indicator, self.cells, self.indicator
            ),
        }
    }
}

/// Indicators a statistician has explicitly allowed to break a rule.
#[derive(Debug, Clone, Default)]
pub struct Allow {
    pub over_restricted: Vec<String>,
    pub recomputable: Vec<String>,
}

/// The outcome of a review.
#[derive(Debug, Clone, Default)]
pub struct Review {
    /// Findings that stop a publication.
    pub errors: Vec<Finding>,
    /// Findings an [`Allow`] entry accepts (still worth showing: they are decisions).
    pub allowed: Vec<Finding>,
    /// Allow entries that match no finding (stale decisions to remove).
    pub unused: Vec<String>,
}

/// Reviews a snapshot (computed with the privacy rules applied, as `publish` does).
pub fn review(s: &Snapshot, allow: &Allow) -> Review {
    let mut out = Review::default();
    let mut used = std::collections::HashSet::new();
    for finding in findings(s) {
        let list = match finding.rule {
            Rule::OverRestricted => &allow.over_restricted,
            Rule::Recomputable => &allow.recomputable,
        };
        if list.contains(&finding.indicator) {
            used.insert((finding.rule, finding.indicator.clone()));
            out.allowed.push(finding);
        } else {
            out.errors.push(finding);
        }
    }
    for (rule, list) in [
        (Rule::OverRestricted, &allow.over_restricted),
        (Rule::Recomputable, &allow.recomputable),
    ] {
        for code in list {
            if !used.contains(&(rule, code.clone())) {
                out.unused.push(code.clone());
            }
        }
    }
    out
}

/// Every finding, allowed or not, in indicator order.
pub fn findings(s: &Snapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, ind) in s.indicators.iter().enumerate() {
        let formula = ind.formula.as_deref().map(Formula::parse);
        // Inputs: formula references, else the weight of a weighted mean.
        let mut inputs: Vec<String> = match &formula {
            Some(Ok(f)) => f.references().into_iter().map(|r| r.code).collect(),
            Some(Err(_)) => Vec::new(),
            None => match crate::engine::geo_rule(ind, &s.index) {
                crate::engine::GeoRule::Weighted(w) => {
                    vec![s.indicators[w as usize].code.clone()]
                }
                _ => Vec::new(),
            },
        };
        inputs.dedup();
        let restricted: Vec<String> = inputs
            .iter()
            .filter(|c| {
                s.indicator(c)
                    .is_some_and(|r| seen_more_widely(&ind.visibility, &r.visibility))
            })
            .cloned()
            .collect();
        if !restricted.is_empty() {
            out.push(Finding {
                rule: Rule::OverRestricted,
                indicator: ind.code.clone(),
                inputs: restricted,
                cells: s
                    .tables_of(i as u32)
                    .map(|(_, v)| v.iter().filter(|x| x.number().is_some()).count())
                    .sum(),
            });
        }
        if let Some(Ok(f)) = &formula {
            let n = recomputable(s, i as u32, &f.expr);
            if n > 0 {
                out.push(Finding {
                    rule: Rule::Recomputable,
                    indicator: ind.code.clone(),
                    inputs,
                    cells: n,
                });
            }
        }
    }
    out
}

/// Whether some reader may see `a` but not `b`: `a` public and `b` restricted, or `a` open to
/// an access group `b` is not open to.
fn seen_more_widely(a: &Visibility, b: &Visibility) -> bool {
    match (a, b) {
        (_, Visibility::Public) => false,
        (Visibility::Public, Visibility::Restricted(_)) => true,
        (Visibility::Restricted(ga), Visibility::Restricted(gb)) => {
            ga.iter().any(|g| !gb.contains(g))
        }
    }
}

/// The hidden cells of formula indicator `i` at which every input the formula reads is a
/// published number. A `cell()` input counts only where every cell of the cube is published
/// at that item (a conservative reading: the snapshot does not carry the dimension tables).
fn recomputable(s: &Snapshot, i: u32, expr: &Expr) -> usize {
    let mut n = 0;
    for ((l, p, d), own) in s.tables_of(i) {
        if d != 0 || !own.iter().any(|x| x.same(Slot::HIDDEN)) {
            continue;
        }
        let mut inputs: Vec<Option<&[Slot]>> = Vec::new();
        expr.walk(&mut |e| match e {
            Expr::Ref(v) | Expr::Threshold(v) => inputs.push(s.table(v, l, p, 0)),
            Expr::Shift { var, offset } => {
                inputs.push(p.offset(*offset).and_then(|q| s.table(var, l, q, 0)))
            }
            Expr::Mrp { var, n } => {
                inputs.push(mrp_period(s, var, l, p, *n).and_then(|q| s.table(var, l, q, 0)))
            }
            Expr::Cell { cube, .. } => {
                let cells: Vec<u32> = s
                    .index
                    .get(cube)
                    .and_then(|ci| s.keys.get(&(*ci, l)))
                    .map(|k| k.range((p, 0)..=(p, u32::MAX)).map(|(_, d)| *d).collect())
                    .unwrap_or_default();
                if cells.is_empty() {
                    inputs.push(None);
                }
                for d in cells {
                    inputs.push(s.table(cube, l, p, d));
                }
            }
            _ => {}
        });
        for (k, x) in own.iter().enumerate() {
            if x.same(Slot::HIDDEN)
                && inputs
                    .iter()
                    .all(|v| v.is_some_and(|v| v[k].number().is_some()))
            {
                n += 1;
            }
        }
    }
    n
}

/// The period `data_from_mrp(var, n)` reads on level `l` for periods of `p`'s kind.
fn mrp_period(s: &Snapshot, var: &str, l: u16, p: Period, n: u32) -> Option<Period> {
    let ci = *s.index.get(var)?;
    let mut ps: Vec<Period> = s
        .keys
        .get(&(ci, l))?
        .iter()
        .filter(|(q, d)| *d == 0 && q.level == p.level)
        .map(|(q, _)| *q)
        .collect();
    ps.sort_unstable_by(|a, b| b.cmp(a));
    ps.get(mrp_index(n) as usize).copied()
}
