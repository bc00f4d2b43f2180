//! The area hierarchy of one publication, by position: direct parents, ancestors, children,
//! siblings, and composed paths between two levels.
//!
//! Built once per publication from [`Snapshot::links`] ([`Snapshot::hierarchy`]); every walk
//! over the hierarchy asks it — survey benchmarks, the native API's parents and comparison
//! areas, Swing's selection table, stories, dashboards and the website — so they all agree.
//!
//! Parents, ancestors, children and siblings follow aggregation tables only (a conversion
//! table between versions of one division is no hierarchy). A [`Hierarchy::path`] between two
//! levels follows every table, conversions included, along the shortest chain (Swing's
//! `geosplit` and `geocompare`).

use crate::Snapshot;
use peil_core::EdgeKind;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One ancestor of an area: its distance in tables, its level and item position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ancestor {
    pub depth: u32,
    pub level: u16,
    pub pos: u32,
}

/// Per child item position: the position of the item containing it on the other level.
pub type Path = Vec<Option<u32>>;

/// Composed paths: (from, to) → path (`None`: the levels are not connected).
type Paths = HashMap<(u16, u16), Option<Arc<Path>>>;

pub struct Hierarchy {
    /// Per level, per item: direct parents (level, position), in the order of the sorted
    /// aggregation tables.
    parents: Vec<Vec<Vec<(u16, u32)>>>,
    /// Per level, per item: every ancestor, one per level, nearest first (see
    /// [`Hierarchy::ancestors`]).
    ancestors: Vec<Vec<Vec<Ancestor>>>,
    /// Per level, per item: direct children (level, position), in the child level's order.
    children: Vec<Vec<Vec<(u16, u32)>>>,
    /// Per level, per item: whether it is an unknown-location item.
    unknown: Vec<Vec<bool>>,
    /// Per level: the position of its only item with areas below it (`None` when it has none
    /// or several).
    only_parent: Vec<Option<u32>>,
    /// Aggregation tables between levels: (child level, parent level), sorted by level codes.
    level_edges: Vec<(u16, u16)>,
    /// Every table (aggregation and conversion): (child level, parent level) → path.
    tables: HashMap<(u16, u16), Path>,
    /// Composed paths, computed on first use.
    paths: Mutex<Paths>,
}

impl Hierarchy {
    pub fn build(snap: &Snapshot) -> Hierarchy {
        let n = snap.levels.len();
        let empty = |_: usize| -> Vec<Vec<Vec<(u16, u32)>>> {
            snap.levels
                .iter()
                .map(|l| vec![Vec::new(); l.items.len()])
                .collect()
        };
        let mut parents = empty(n);
        let mut children = empty(n);
        let mut tables: HashMap<(u16, u16), Path> = HashMap::new();
        let mut level_edges = Vec::new();
        let mut edges: Vec<&(String, String)> = snap.links.keys().collect();
        edges.sort();
        for e in edges {
            let (Some(&cl), Some(&pl)) = (snap.level_index.get(&e.0), snap.level_index.get(&e.1))
            else {
                continue;
            };
            let aggregation = EdgeKind::between(&e.0, &e.1) == EdgeKind::Aggregation;
            if aggregation {
                level_edges.push((cl as u16, pl as u16));
            }
            let mut path: Path = vec![None; snap.levels[cl].items.len()];
            let mut links: Vec<(&String, &String)> = snap.links[e].iter().collect();
            links.sort();
            for (c, p) in links {
                let (Some(&cp), Some(&pp)) =
                    (snap.levels[cl].pos.get(c), snap.levels[pl].pos.get(p))
                else {
                    continue;
                };
                path[cp as usize] = Some(pp);
                if aggregation {
                    parents[cl][cp as usize].push((pl as u16, pp));
                    children[pl][pp as usize].push((cl as u16, cp));
                }
            }
            tables.insert((cl as u16, pl as u16), path);
        }
        for level in &mut children {
            for kids in level {
                kids.sort();
            }
        }
        let sizes: Vec<usize> = snap.levels.iter().map(|l| l.items.len()).collect();
        let codes: Vec<&str> = snap.levels.iter().map(|l| l.level.code.as_str()).collect();
        let ancestors = (0..n)
            .map(|l| {
                (0..sizes[l] as u32)
                    .map(|pos| walk_up(&parents, &sizes, &codes, l as u16, pos))
                    .collect()
            })
            .collect();
        let unknown = snap
            .levels
            .iter()
            .map(|l| l.items.iter().map(|(_, it)| it.unknown_location).collect())
            .collect();
        let only_parent = children
            .iter()
            .map(|level| {
                let mut with = (0..level.len()).filter(|&p| !level[p].is_empty());
                match (with.next(), with.next()) {
                    (Some(p), None) => Some(p as u32),
                    _ => None,
                }
            })
            .collect();
        Hierarchy {
            parents,
            ancestors,
            children,
            unknown,
            only_parent,
            level_edges,
            tables,
            paths: Mutex::new(HashMap::new()),
        }
    }

    /// The aggregation tables between levels: (child level, parent level), sorted by codes.
    pub fn level_edges(&self) -> &[(u16, u16)] {
        &self.level_edges
    }

    /// The direct parents of an item (level, position), along aggregation tables.
    pub fn parents(&self, level: u16, pos: u32) -> &[(u16, u32)] {
        self.parents
            .get(level as usize)
            .and_then(|l| l.get(pos as usize))
            .map_or(&[], Vec::as_slice)
    }

    /// Every ancestor of an item, one per level (a level reached at the same distance by two
    /// paths keeps the first, in the order of the sorted tables), nearest first; at the same
    /// distance the finer level (more items) first, then by level code.
    pub fn ancestors(&self, level: u16, pos: u32) -> &[Ancestor] {
        self.ancestors
            .get(level as usize)
            .and_then(|l| l.get(pos as usize))
            .map_or(&[], Vec::as_slice)
    }

    /// The ancestor of an item on a level.
    pub fn ancestor_on(&self, level: u16, pos: u32, on: u16) -> Option<u32> {
        self.ancestors(level, pos)
            .iter()
            .find(|a| a.level == on)
            .map(|a| a.pos)
    }

    /// The position of a level's only item with areas below it (`None` when the level has
    /// none or several): the city among municipalities of its region that only have figures
    /// of their own.
    pub fn only_parent(&self, level: u16) -> Option<u32> {
        self.only_parent.get(level as usize).copied().flatten()
    }

    /// The areas directly below an item: of the levels that name it as a parent, the one with
    /// the fewest such items (the coarsest; the lower level position on a tie), without
    /// unknown-location items, in that level's item order. `None` when nothing lies below.
    pub fn children(&self, level: u16, pos: u32) -> Option<(u16, Vec<u32>)> {
        let all = self.children.get(level as usize)?.get(pos as usize)?;
        let mut by_level: Vec<(u16, Vec<u32>)> = Vec::new();
        for &(cl, cp) in all {
            if self.unknown[cl as usize][cp as usize] {
                continue;
            }
            match by_level.iter_mut().find(|(l, _)| *l == cl) {
                Some((_, v)) => v.push(cp),
                None => by_level.push((cl, vec![cp])),
            }
        }
        by_level.into_iter().min_by_key(|(l, v)| (v.len(), *l))
    }

    /// The items of a level that share an item's nearest ancestor (itself included; every
    /// item of the level when it has none), without unknown-location items, in item order.
    pub fn siblings(&self, level: u16, pos: u32) -> Vec<u32> {
        let Some(items) = self.parents.get(level as usize) else {
            return Vec::new();
        };
        let nearest = self.ancestors(level, pos).first().map(|a| (a.level, a.pos));
        (0..items.len() as u32)
            .filter(|&p| !self.unknown[level as usize][p as usize])
            .filter(|&p| nearest.is_none_or(|n| items[p as usize].contains(&n)))
            .collect()
    }

    /// For every item of `from`, the item of `to` containing it, following the shortest chain
    /// of tables (aggregation or conversion; on equal length the one through lower level
    /// positions); `None` when no chain of tables leads from `from` to `to`. Composed once per
    /// publication and pair of levels.
    pub fn path(&self, from: u16, to: u16) -> Option<Arc<Path>> {
        let mut paths = self.paths.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = paths.get(&(from, to)) {
            return p.clone();
        }
        let found = self.compose(from, to).map(Arc::new);
        paths.insert((from, to), found.clone());
        found
    }

    fn compose(&self, from: u16, to: u16) -> Option<Path> {
        let n = self.parents.len() as u16;
        if from >= n || to >= n || from == to {
            return None;
        }
        // Breadth-first over levels: each step follows one table.
        let start: Path = (0..self.parents[from as usize].len() as u32)
            .map(Some)
            .collect();
        let mut seen = vec![false; n as usize];
        seen[from as usize] = true;
        let mut frontier = vec![(from, start)];
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for (level, map) in frontier {
                for l in 0..n {
                    if seen[l as usize] {
                        continue;
                    }
                    let Some(up) = self.tables.get(&(level, l)) else {
                        continue;
                    };
                    let composed: Path = map
                        .iter()
                        .map(|via| via.and_then(|v| up[v as usize]))
                        .collect();
                    if l == to {
                        return Some(composed);
                    }
                    seen[l as usize] = true;
                    next.push((l, composed));
                }
            }
            frontier = next;
        }
        None
    }
}

/// Breadth-first up the aggregation tables from one item.
fn walk_up(
    parents: &[Vec<Vec<(u16, u32)>>],
    sizes: &[usize],
    codes: &[&str],
    l: u16,
    pos: u32,
) -> Vec<Ancestor> {
    let mut out: Vec<Ancestor> = Vec::new();
    let mut frontier = vec![(l, pos)];
    let mut depth = 0;
    while !frontier.is_empty() && depth < 32 {
        depth += 1;
        let mut next = Vec::new();
        for (fl, fp) in frontier {
            for &(pl, pp) in &parents[fl as usize][fp as usize] {
                if pl != l && !out.iter().any(|a| a.level == pl) {
                    out.push(Ancestor {
                        depth,
                        level: pl,
                        pos: pp,
                    });
                    next.push((pl, pp));
                }
            }
        }
        frontier = next;
    }
    out.sort_by_key(|a| {
        (
            a.depth,
            std::cmp::Reverse(sizes[a.level as usize]),
            codes[a.level as usize],
        )
    });
    out
}
