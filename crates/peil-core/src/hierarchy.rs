//! The geographic hierarchy: a DAG of levels built from aggregation tables.
//!
//! An edge says "items of `child` roll up into items of `parent`". One child level may roll up
//! into many parent levels. A *conversion* edge links two versions of one division
//! (`statsec2019 → statsec2024`); data loaded on the old version flows into the new one.

use crate::geo::{is_unknown_location_code, level_version};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EdgeKind {
    /// Every child item has exactly one parent item.
    Aggregation,
    /// Versions of the same division; a child may be listed with several candidates.
    Conversion,
    /// Membership of a cluster level (issue 18): named groups of areas of one level, a member
    /// in any number of clusters (overlapping), outside the strict hierarchy. Aggregated by the
    /// same rules as an aggregation edge; never part of the hierarchy walk.
    Cluster,
}

impl EdgeKind {
    /// Two levels that are versions of one division are linked by conversion.
    pub fn between(child: &str, parent: &str) -> EdgeKind {
        let (a, ya) = level_version(child);
        let (b, yb) = level_version(parent);
        if a == b && ya != yb {
            EdgeKind::Conversion
        } else {
            EdgeKind::Aggregation
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            EdgeKind::Aggregation => "aggregation",
            EdgeKind::Conversion => "conversion",
            EdgeKind::Cluster => "cluster",
        }
    }

    pub fn parse(s: &str) -> Option<EdgeKind> {
        match s {
            "aggregation" => Some(EdgeKind::Aggregation),
            "conversion" => Some(EdgeKind::Conversion),
            "cluster" => Some(EdgeKind::Cluster),
            _ => None,
        }
    }
}

/// Finds a cycle among level edges; returns the levels along it, first repeated last.
pub fn find_cycle<'a>(edges: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<Vec<String>> {
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (c, p) in edges {
        graph.entry(c).or_default().insert(p);
        graph.entry(p).or_default();
    }
    // Iterative DFS with colours: 0 new, 1 on stack, 2 done.
    let mut colour: BTreeMap<&str, u8> = graph.keys().map(|k| (*k, 0)).collect();
    for &start in graph.keys() {
        if colour[start] != 0 {
            continue;
        }
        let mut stack: Vec<(&str, Vec<&str>)> =
            vec![(start, graph[start].iter().copied().collect())];
        colour.insert(start, 1);
        while let Some((node, next)) = stack.last_mut() {
            if let Some(n) = next.pop() {
                match colour[n] {
                    0 => {
                        colour.insert(n, 1);
                        stack.push((n, graph[n].iter().copied().collect()));
                    }
                    1 => {
                        let pos = stack.iter().position(|(s, _)| *s == n).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            stack[pos..].iter().map(|(s, _)| s.to_string()).collect();
                        cycle.push(n.to_string());
                        return Some(cycle);
                    }
                    _ => {}
                }
            } else {
                let node = *node;
                colour.insert(node, 2);
                stack.pop();
            }
        }
    }
    None
}

/// How a conversion row with several targets was settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// One target: nothing to settle.
    Single(String),
    /// Several targets, one of which is the child's own unknown-location code: values go there,
    /// so totals of the municipality stay right and nothing is counted twice.
    UnknownLocation { chosen: String, others: Vec<String> },
    /// Several targets and no rule to choose; the caller reports an error.
    Ambiguous(Vec<String>),
}

/// Settles the targets listed for one child in a conversion table.
pub fn resolve_targets(child: &str, targets: &[String]) -> Resolution {
    let unique: BTreeSet<&String> = targets.iter().collect();
    if unique.len() == 1 {
        return Resolution::Single(targets[0].clone());
    }
    if is_unknown_location_code(child)
        && let Some(chosen) = unique.iter().find(|t| t.as_str() == child)
    {
        return Resolution::UnknownLocation {
            chosen: chosen.to_string(),
            others: unique
                .iter()
                .filter(|t| **t != *chosen)
                .map(|t| t.to_string())
                .collect(),
        };
    }
    Resolution::Ambiguous(unique.into_iter().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles() {
        assert_eq!(find_cycle([("a", "b"), ("b", "c")]), None);
        assert_eq!(
            find_cycle([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]),
            None
        );
        let c = find_cycle([("a", "b"), ("b", "c"), ("c", "a")]).unwrap();
        assert_eq!(c.first(), c.last());
        assert_eq!(c.len(), 4);
        assert!(find_cycle([("x", "x")]).is_some());
    }

    #[test]
    fn edge_kinds() {
        assert_eq!(
            EdgeKind::between("statsec2019", "statsec2024"),
            EdgeKind::Conversion
        );
        assert_eq!(
            EdgeKind::between("gemeente2024", "gemeente"),
            EdgeKind::Conversion
        );
        assert_eq!(
            EdgeKind::between("statsec2024", "ggw72024"),
            EdgeKind::Aggregation
        );
    }

    #[test]
    fn resolutions() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            resolve_targets("a", &t(&["b"])),
            Resolution::Single("b".into())
        );
        assert_eq!(
            resolve_targets("a", &t(&["b", "b"])),
            Resolution::Single("b".into())
        );
        assert_eq!(
            resolve_targets("31004ZZZZ", &t(&["31004X0JQ", "31004ZZZZ"])),
            Resolution::UnknownLocation {
                chosen: "31004ZZZZ".into(),
                others: vec!["31004X0JQ".into()]
            }
        );
        assert!(matches!(
            resolve_targets("a", &t(&["b", "c"])),
            Resolution::Ambiguous(_)
        ));
    }
}
