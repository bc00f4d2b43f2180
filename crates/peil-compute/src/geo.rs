//! The geography as the engine walks it: levels with item positions, edges as position maps,
//! and the levels in an order where every child level comes before its parents.

use peil_core::{EdgeKind, GeoItem, Warehouse, find_cycle};
use std::collections::HashMap;

/// No parent (an item not listed in an aggregation table).
pub const NO_PARENT: u32 = u32::MAX;

pub struct Level {
    pub code: String,
    pub items: Vec<(u32, GeoItem)>,
    /// Store item id → position in `items`.
    pub pos: HashMap<u32, u32>,
}

impl Level {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

pub struct Edge {
    pub child: usize,
    pub parent: usize,
    pub kind: EdgeKind,
    /// For each child position, the parent position (or [`NO_PARENT`]). All [`NO_PARENT`] for
    /// a cluster edge, whose children may have several parents: see `cluster`.
    pub parent_of: Vec<u32>,
    /// A cluster edge's (child position, parent position) pairs, a child in any number of
    /// clusters (empty for an edge of the hierarchy).
    pub cluster: Vec<(u32, u32)>,
}

impl Edge {
    /// Every (child position, parent position) link of the edge, of the hierarchy or of a
    /// cluster level alike: the one walk aggregation and secondary suppression make.
    pub fn links(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.parent_of
            .iter()
            .enumerate()
            .filter(|(_, p)| **p != NO_PARENT)
            .map(|(c, p)| (c, *p as usize))
            .chain(self.cluster.iter().map(|&(c, p)| (c as usize, p as usize)))
    }
}

pub struct Geo {
    pub levels: Vec<Level>,
    pub by_code: HashMap<String, usize>,
    pub edges: Vec<Edge>,
    /// Level indices, children before parents.
    pub topo: Vec<usize>,
}

/// The level hierarchy cannot be computed over.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoError {
    #[error("cycle in the level hierarchy: {}", .0.join(" → "))]
    Cycle(Vec<String>),
}

impl Geo {
    pub fn new(w: &Warehouse) -> Result<Geo, GeoError> {
        let levels: Vec<Level> = w
            .levels
            .iter()
            .map(|l| Level {
                code: l.level.code.clone(),
                pos: l
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, (id, _))| (*id, i as u32))
                    .collect(),
                items: l.items.clone(),
            })
            .collect();
        let by_code: HashMap<String, usize> = levels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.code.clone(), i))
            .collect();
        let mut edges = Vec::new();
        for e in &w.edges {
            let (Some(&c), Some(&p)) = (by_code.get(&e.child), by_code.get(&e.parent)) else {
                continue;
            };
            let mut parent_of = vec![NO_PARENT; levels[c].len()];
            let mut cluster = Vec::new();
            for (ci, pi) in &e.links {
                if let (Some(&cp), Some(&pp)) = (levels[c].pos.get(ci), levels[p].pos.get(pi)) {
                    if e.kind == EdgeKind::Cluster {
                        cluster.push((cp, pp));
                    } else {
                        parent_of[cp as usize] = pp;
                    }
                }
            }
            edges.push(Edge {
                child: c,
                parent: p,
                kind: e.kind,
                parent_of,
                cluster,
            });
        }
        if let Some(cycle) = find_cycle(
            w.edges
                .iter()
                .map(|e| (e.child.as_str(), e.parent.as_str())),
        ) {
            return Err(GeoError::Cycle(cycle));
        }
        // Kahn's algorithm over level edges.
        let n = levels.len();
        let mut indegree = vec![0usize; n];
        for e in &edges {
            indegree[e.parent] += 1;
        }
        let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
        ready.sort_by(|a, b| levels[*b].code.cmp(&levels[*a].code));
        let mut topo = Vec::with_capacity(n);
        while let Some(l) = ready.pop() {
            topo.push(l);
            for e in edges.iter().filter(|e| e.child == l) {
                indegree[e.parent] -= 1;
                if indegree[e.parent] == 0 {
                    ready.push(e.parent);
                }
            }
        }
        Ok(Geo {
            levels,
            by_code,
            edges,
            topo,
        })
    }

    /// Edges into a parent level.
    pub fn children_of(&self, parent: usize) -> impl Iterator<Item = &Edge> {
        self.edges.iter().filter(move |e| e.parent == parent)
    }
}
