//! Access groups compiled for one publication: per group, the restricted indicators it grants
//! and, per indicator, the cells (geo levels, cube cells, periods) it grants them on. Built
//! once when a snapshot is made or loaded ([`Snapshot::set_access_groups`]), so that a
//! request's check ([`Snapshot::grants`]) is two hash lookups per series and group.
//!
//! The combination rule, in full:
//! - a public indicator is granted to everyone on every cell; no group narrows it;
//! - a group grants a restricted indicator when the indicator's metadata names it
//!   (`restricted:a,b`) or its definition names the indicator's code, a theme the indicator
//!   is in or beneath (the theme tree when the publication is loaded), or its source;
//! - a defined group grants those indicators only on its levels, dimension levels and period
//!   range (each: none listed, all); a group only named in metadata grants every cell;
//! - a formula indicator is granted by a group only on the cells where that group also grants
//!   every restricted indicator the formula reads (levels, dimension levels and periods
//!   intersected); when such an input is narrowed to a period range and the formula reads it
//!   in another period (`data_from_period`, `data_from_mrp`) or reads one of its cube cells
//!   (`cell()`) under a dimension-level restriction, the group does not grant the formula;
//! - a reader's rights are the union of their groups' and [`peil_core::GUEST`]'s.

use crate::snapshot::Snapshot;
use peil_core::formula::{Formula, RefKind};
use peil_core::{AccessGroup, Period, Reader, Theme, Visibility};
use std::collections::{HashMap, HashSet};

/// The cells one group grants of one indicator.
#[derive(Debug, Clone, PartialEq)]
struct Cells {
    /// By level position; `None`: all levels.
    levels: Option<Vec<bool>>,
    /// By cube cell id: whether every dimension level of the cell is granted; `None`: all.
    dims: Option<Vec<bool>>,
    /// Inclusive (first day, last day); `None`: all periods.
    periods: Option<(Day, Day)>,
}

type Day = (i32, u32, u32);

impl Cells {
    const ALL: Cells = Cells {
        levels: None,
        dims: None,
        periods: None,
    };

    fn holds(&self, l: usize, p: Period, d: u32) -> bool {
        let flag =
            |v: &Option<Vec<bool>>, k: usize| v.as_ref().is_none_or(|v| v.get(k) == Some(&true));
        flag(&self.levels, l)
            && flag(&self.dims, d as usize)
            && self.periods.is_none_or(|(a, b)| {
                let (x, y) = p.bounds();
                x >= a && y <= b
            })
    }

    /// The cells both grant.
    fn meet(&self, o: &Cells) -> Cells {
        let and = |a: &Option<Vec<bool>>, b: &Option<Vec<bool>>| match (a, b) {
            (None, x) | (x, None) => x.clone(),
            (Some(a), Some(b)) => Some(a.iter().zip(b).map(|(x, y)| *x && *y).collect()),
        };
        let periods = match (self.periods, o.periods) {
            (None, x) | (x, None) => x,
            (Some((a, b)), Some((c, d))) => Some((a.max(c), b.min(d))),
        };
        Cells {
            levels: and(&self.levels, &o.levels),
            dims: and(&self.dims, &o.dims),
            periods,
        }
    }
}

/// Every group of a publication, compiled. Groups nobody defined and no metadata names
/// grant nothing and are not kept.
#[derive(Debug, Default)]
pub struct Access {
    groups: HashMap<String, HashMap<u32, Cells>>,
}

impl Access {
    /// Whether one of the reader's groups (or the guest group) grants this cell of a
    /// restricted indicator.
    fn grants(&self, reader: &Reader, i: u32, l: usize, p: Period, d: u32) -> bool {
        self.of(reader)
            .any(|g| g.get(&i).is_some_and(|c| c.holds(l, p, d)))
    }

    fn grants_any(&self, reader: &Reader, i: u32) -> bool {
        self.of(reader).any(|g| g.contains_key(&i))
    }

    fn of<'a>(&'a self, reader: &'a Reader) -> impl Iterator<Item = &'a HashMap<u32, Cells>> + 'a {
        reader
            .groups()
            .iter()
            .map(String::as_str)
            .chain([peil_core::GUEST])
            .filter_map(|g| self.groups.get(g))
    }

    /// Compiles the definitions (and the groups metadata names) against a snapshot.
    pub(crate) fn compile(snap: &Snapshot, defined: &[AccessGroup], themes: &[Theme]) -> Access {
        let mut groups: HashMap<String, HashMap<u32, Cells>> = HashMap::new();
        let narrowing: HashMap<&str, Cells> = defined
            .iter()
            .map(|g| (g.name.as_str(), narrowing_of(snap, g)))
            .collect();
        let cells_of = |g: &str| narrowing.get(g).cloned().unwrap_or(Cells::ALL);
        for (i, ind) in snap.indicators.iter().enumerate() {
            if let Visibility::Restricted(names) = &ind.visibility {
                for g in names {
                    groups
                        .entry(g.clone())
                        .or_default()
                        .insert(i as u32, cells_of(g));
                }
            }
        }
        for g in defined {
            let granted = granted_indicators(snap, g, themes);
            let cells = groups.entry(g.name.clone()).or_default();
            for i in granted {
                let restricted = snap.indicators[i as usize].visibility != Visibility::Public;
                if restricted {
                    cells.insert(i, cells_of(&g.name));
                }
            }
        }
        for cells in groups.values_mut() {
            *cells = through_formulas(snap, cells);
            cells.retain(|&i, c| {
                snap.tables_of(i)
                    .any(|((l, p, d), _)| c.holds(l as usize, p, d))
            });
        }
        groups.retain(|_, c| !c.is_empty());
        Access { groups }
    }
}

/// The cells a defined group narrows its grants to.
fn narrowing_of(snap: &Snapshot, g: &AccessGroup) -> Cells {
    let levels = (!g.levels.is_empty()).then(|| {
        snap.levels
            .iter()
            .map(|l| g.levels.contains(&l.level.code))
            .collect()
    });
    let dims = (!g.dim_levels.is_empty()).then(|| {
        snap.dims
            .iter()
            .map(|k| k.0.iter().all(|(lvl, _)| g.dim_levels.contains(lvl)))
            .collect()
    });
    let periods = g.periods.map(|(a, b)| (a.bounds().0, b.bounds().1));
    Cells {
        levels,
        dims,
        periods,
    }
}

/// The indicators a definition names: by code, by theme subtree, by source.
fn granted_indicators(snap: &Snapshot, g: &AccessGroup, themes: &[Theme]) -> Vec<u32> {
    let subtree = theme_subtree(&g.themes, themes);
    snap.indicators
        .iter()
        .enumerate()
        .filter(|(_, ind)| {
            g.indicators.contains(&ind.code)
                || g.sources.contains(&ind.source)
                || ind.themes.iter().any(|t| subtree.contains(t.as_str()))
        })
        .map(|(i, _)| i as u32)
        .collect()
}

/// The named themes and every theme beneath them.
fn theme_subtree<'a>(roots: &'a [String], themes: &'a [Theme]) -> HashSet<&'a str> {
    let mut inside: HashSet<&str> = roots.iter().map(String::as_str).collect();
    // The tree is small; a pass per depth until nothing is added (cycles end it too).
    loop {
        let before = inside.len();
        for t in themes {
            if t.parent.as_deref().is_some_and(|p| inside.contains(p)) {
                inside.insert(&t.code);
            }
        }
        if inside.len() == before {
            return inside;
        }
    }
}

/// A group's grants with every formula narrowed to the cells where the group grants the
/// restricted indicators it reads (see the module's rule).
fn through_formulas(snap: &Snapshot, granted: &HashMap<u32, Cells>) -> HashMap<u32, Cells> {
    let mut memo: HashMap<u32, Option<Cells>> = HashMap::new();
    granted
        .keys()
        .filter_map(|&i| Some((i, effective(snap, granted, i, &mut memo, 0)?)))
        .collect()
}

fn effective(
    snap: &Snapshot,
    granted: &HashMap<u32, Cells>,
    i: u32,
    memo: &mut HashMap<u32, Option<Cells>>,
    depth: u32,
) -> Option<Cells> {
    if let Some(c) = memo.get(&i) {
        return c.clone();
    }
    let ind = &snap.indicators[i as usize];
    let own = if ind.visibility == Visibility::Public {
        Some(Cells::ALL)
    } else {
        granted.get(&i).cloned()
    };
    let out = match (own, ind.formula.as_deref()) {
        (None, _) => None,
        (Some(c), None) => Some(c),
        // Formulas are acyclic in a publication; the bound only guards a damaged one.
        (Some(_), Some(_)) if depth > 64 => None,
        (Some(c), Some(text)) => through_inputs(snap, granted, c, text, memo, depth),
    };
    memo.insert(i, out.clone());
    out
}

/// A formula's own cells met with the cells of every input it reads (see the module's rule);
/// `None` when an input is not granted or is read outside what its grant can hold.
fn through_inputs(
    snap: &Snapshot,
    granted: &HashMap<u32, Cells>,
    mut c: Cells,
    text: &str,
    memo: &mut HashMap<u32, Option<Cells>>,
    depth: u32,
) -> Option<Cells> {
    let f = Formula::parse(text).ok()?;
    for r in f.references() {
        let Some(&j) = snap.index.get(&r.code) else {
            continue;
        };
        let mut input = effective(snap, granted, j, memo, depth + 1)?;
        let other_period = matches!(r.kind, RefKind::Shift | RefKind::Mrp);
        if other_period && input.periods.is_some()
            || r.kind == RefKind::Cell && input.dims.is_some()
        {
            return None;
        }
        if r.kind == RefKind::Cell {
            input.dims = None;
        }
        c = c.meet(&input);
    }
    Some(c)
}

impl Snapshot {
    /// Compiles access groups into this snapshot (at load, and again when they change):
    /// `defined` are the store's definitions, `themes` the theme tree that theme grants are
    /// resolved against.
    pub fn set_access_groups(&mut self, defined: &[AccessGroup], themes: &[Theme]) {
        self.access = Access::compile(self, defined, themes);
    }

    /// THE access rule for values: whether this reader may see this series (indicator,
    /// level position, period, cube cell id). Public indicators: everyone; restricted ones:
    /// the reader's groups' grants (module `access`). Every reader-facing read of values,
    /// keys, periods and survey cells asks here.
    pub fn grants(&self, reader: &Reader, i: u32, l: usize, p: Period, d: u32) -> bool {
        self.indicators
            .get(i as usize)
            .is_some_and(|ind| ind.visibility == Visibility::Public)
            || self.access.grants(reader, i, l, p, d)
    }

    /// Whether this reader may see an indicator at all (some cell of it).
    pub fn may_see(&self, i: u32, reader: &Reader) -> bool {
        self.indicators
            .get(i as usize)
            .is_some_and(|ind| ind.visibility == Visibility::Public)
            || self.access.grants_any(reader, i)
    }

    /// Whether this reader may see every published cell of an indicator (used where one
    /// answer mixes levels or periods, such as a survey verdict against its benchmark).
    pub fn grants_all(&self, reader: &Reader, i: u32) -> bool {
        let public = |i: u32| self.indicators[i as usize].visibility == Visibility::Public;
        self.indicators.get(i as usize).is_some() && public(i)
            || self
                .tables_of(i)
                .all(|((l, p, d), _)| self.grants(reader, i, l as usize, p, d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme(code: &str, parent: Option<&str>) -> Theme {
        Theme {
            code: code.into(),
            parent: parent.map(str::to_string),
            name: Default::default(),
            seq: 0,
        }
    }

    #[test]
    fn a_theme_grant_is_its_subtree() {
        let tree = [
            theme("zorg", None),
            theme("armoede", Some("zorg")),
            theme("leefloon", Some("armoede")),
            theme("wonen", None),
        ];
        let roots = ["armoede".to_string()];
        let got: std::collections::BTreeSet<&str> =
            theme_subtree(&roots, &tree).into_iter().collect();
        assert_eq!(got, ["armoede", "leefloon"].into());
    }

    #[test]
    fn cells_meet_and_hold() {
        let y = |n| Period::year(n).bounds();
        let a = Cells {
            levels: Some(vec![true, true, false]),
            dims: None,
            periods: Some((y(2015).0, y(2022).1)),
        };
        let b = Cells {
            levels: Some(vec![false, true, true]),
            dims: Some(vec![true, false]),
            periods: Some((y(2020).0, y(2024).1)),
        };
        let m = a.meet(&b);
        assert!(m.holds(1, Period::year(2021), 0));
        assert!(!m.holds(0, Period::year(2021), 0));
        assert!(!m.holds(1, Period::year(2023), 0));
        assert!(!m.holds(1, Period::year(2021), 1));
        assert!(Cells::ALL.holds(7, Period::year(1900), 9));
    }
}
