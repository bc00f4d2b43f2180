//! Suppression across linked indicators (issue 11, item 4), checked from the outside.
//!
//! A synthetic city where dwellings = apartments + houses in every sector. Each of the three
//! has its own threshold. The attacker sees the published values of all three and knows the
//! hierarchy and the identity between them (relations built here, from the warehouse's links
//! and the planted identity, not through the engine). With per-indicator protection only, a
//! cell hidden in one indicator comes back from the visible two; with linked protection the
//! independent attack (`peil_compute::checker::attack`) must recover nothing. The same for a
//! declared relation (`total of`), for a formula (`a + b` and `a - b`), and for zeros: they are
//! chosen as secondary cells only where nothing else can protect.

use crate::common::*;
use peil_compute::Snapshot;
use peil_compute::checker::attack;
use peil_compute::linked::{Source, linked_sums};
use peil_core::{DimKey, Indicator, MissingCode, Value, Warehouse};
use std::collections::HashMap;

impl Lcg {
    /// Many small values: 35 % in 1–4, 10 % zero, the rest 5–30.
    fn small(&mut self) -> i64 {
        match self.next() % 100 {
            0..35 => 1 + (self.next() % 4) as i64,
            35..45 => 0,
            _ => 5 + (self.next() % 26) as i64,
        }
    }
}

/// 120 sectors → 12 wijken → 3 municipalities.
fn city() -> Wb {
    let sectors: Vec<String> = (0..120).map(|i| format!("S{i:03}")).collect();
    let wijken: Vec<String> = (0..12).map(|i| format!("W{i:02}")).collect();
    let agg = peil_core::EdgeKind::Aggregation;
    let s2w: Vec<(String, String)> = (0..120)
        .map(|i| (format!("S{i:03}"), format!("W{:02}", i / 10)))
        .collect();
    let w2g: Vec<(String, String)> = (0..12)
        .map(|j| (format!("W{j:02}"), format!("G{}", j / 4)))
        .collect();
    Wb::new()
        .level_items("statsec", &sectors)
        .level_items("wijk", &wijken)
        .level("gemeente", "G0 G1 G2")
        .link_pairs("statsec", "wijk", agg, &s2w)
        .link_pairs("wijk", "gemeente", agg, &w2g)
}

fn spec(xs: &[i64]) -> String {
    xs.iter()
        .enumerate()
        .map(|(i, v)| format!("S{i:03}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// apartments and houses per sector for two years (seeded), and their sum.
fn data(seed: u64) -> Vec<(&'static str, [Vec<i64>; 3])> {
    let mut rng = Lcg(seed);
    ["2022", "2023"]
        .into_iter()
        .map(|y| {
            let app: Vec<i64> = (0..120).map(|_| rng.small()).collect();
            let huis: Vec<i64> = (0..120).map(|_| rng.small()).collect();
            let won: Vec<i64> = app.iter().zip(&huis).map(|(a, b)| a + b).collect();
            (y, [won, app, huis])
        })
        .collect()
}

/// Loads the seeded columns (dwellings, apartments, houses) into the indicators named; an
/// empty name leaves that column out.
fn load(mut b: Wb, codes: &[&str], seed: u64) -> Wb {
    for (y, cols) in data(seed) {
        for (code, col) in codes.iter().zip(&cols) {
            if !code.is_empty() {
                b = b.load(code, "statsec", y, &spec(col));
            }
        }
    }
    b
}

/// What an attacker sees: every published cell of `inds` (indicator, level, period, item id),
/// the hierarchy relations of each, and `total = Σ parts` between indicators in every cell.
struct View {
    cells: Vec<Option<f64>>,
    at: HashMap<(String, String, String, u32), usize>,
    rels: Vec<Vec<u32>>,
}

fn view(w: &Warehouse, s: &Snapshot, inds: &[&str], identities: &[(&str, &[&str])]) -> View {
    let mut cells = Vec::new();
    let mut at = HashMap::new();
    for ind in inds {
        for l in &w.levels {
            for (p, d) in s.periods(ind, &l.level.code, &anyone()) {
                assert!(d.is_empty());
                let series = s
                    .series(ind, &l.level.code, p, &DimKey::default(), &anyone())
                    .unwrap();
                for ((id, _), (_, v)) in l.items.iter().zip(series) {
                    let cell = match v {
                        Value::Number(x) => Some(x),
                        Value::Missing(MissingCode::Hidden) => None,
                        Value::Missing(MissingCode::Unknown) => panic!("no unknowns here"),
                        Value::Missing(_) => Some(0.0),
                    };
                    at.insert(
                        (ind.to_string(), l.level.code.clone(), p.code(), *id),
                        cells.len(),
                    );
                    cells.push(cell);
                }
            }
        }
    }
    let mut rels = Vec::new();
    let keys: Vec<(String, String, String, u32)> = at.keys().cloned().collect();
    for ind in inds {
        for e in &w.edges {
            let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
            for (c, p) in &e.links {
                children.entry(*p).or_default().push(*c);
            }
            for period in ["2022", "2023"] {
                for (p, kids) in &children {
                    let k = |lvl: &str, id: u32| {
                        at.get(&(ind.to_string(), lvl.to_string(), period.to_string(), id))
                            .map(|x| *x as u32)
                    };
                    if let (Some(t), Some(parts)) = (
                        k(&e.parent, *p),
                        kids.iter()
                            .map(|c| k(&e.child, *c))
                            .collect::<Option<Vec<u32>>>(),
                    ) {
                        rels.push(std::iter::once(t).chain(parts).collect());
                    }
                }
            }
        }
    }
    for (total, parts) in identities {
        for (ind, level, period, id) in &keys {
            if ind != total {
                continue;
            }
            let k = |i: &str| {
                at.get(&(i.to_string(), level.clone(), period.clone(), *id))
                    .map(|x| *x as u32)
            };
            if let (Some(t), Some(ps)) = (
                k(total),
                parts.iter().map(|p| k(p)).collect::<Option<Vec<u32>>>(),
            ) {
                rels.push(std::iter::once(t).chain(ps).collect());
            }
        }
    }
    View { cells, at, rels }
}

/// The attack finds something without secondary suppression (the test can fail) and nothing
/// with it; every threshold cell stays hidden and most of the table stays visible.
fn check(w: &Warehouse, inds: &[&str], identities: &[(&str, &[&str])]) -> View {
    let open = view(w, &publish_with(w, false), inds, identities);
    assert!(
        !attack(&open.cells, &open.rels).is_empty(),
        "without secondary suppression something must be recoverable"
    );
    let s = publish_with(w, true);
    let v = view(w, &s, inds, identities);
    let found = attack(&v.cells, &v.rels);
    let named: Vec<_> = found
        .iter()
        .take(5)
        .map(|(c, x)| (v.at.iter().find(|(_, i)| **i == *c as usize).unwrap().0, x))
        .collect();
    assert!(
        found.is_empty(),
        "{} hidden cells recoverable across {inds:?}, e.g. {named:?}",
        found.len()
    );
    let visible = v.cells.iter().filter(|c| c.is_some()).count();
    assert!(
        visible * 2 > v.cells.len(),
        "only {visible} of {} cells visible",
        v.cells.len()
    );
    v
}

#[test]
fn an_identity_between_loaded_indicators_is_detected_and_protected() {
    let w = load(
        city()
            .ind(with_threshold(count("won"), 5.0))
            .ind(with_threshold(count("app"), 5.0))
            .ind(with_threshold(count("huis"), 5.0))
            .ind(count("other")),
        &["won", "app", "huis"],
        11,
    );
    // An unrelated count must not be linked.
    let mut rng = Lcg(5);
    let other: Vec<i64> = (0..120).map(|_| rng.small()).collect();
    let w = w.load("other", "statsec", "2023", &spec(&other)).build();
    let c = peil_compute::compute(&w).unwrap();
    let linked = linked_sums(&c);
    let found: Vec<String> = linked.sums.iter().map(|s| s.describe(&c)).collect();
    assert_eq!(found, vec!["won = app + huis (detected)".to_string()]);
    check(&w, &["won", "app", "huis"], &[("won", &["app", "huis"])]);
}

#[test]
fn a_declared_total_is_protected_even_where_only_the_total_has_a_threshold() {
    let w = load(
        city()
            .ind(Indicator {
                total_of: vec!["app".into(), "huis".into()],
                ..with_threshold(count("won"), 5.0)
            })
            .ind(count("app"))
            .ind(count("huis")),
        &["won", "app", "huis"],
        12,
    )
    .build();
    let c = peil_compute::compute(&w).unwrap();
    let linked = linked_sums(&c);
    assert_eq!(linked.sums.len(), 1, "{:?}", linked.sums);
    assert_eq!(linked.sums[0].source, Source::Declared);
    assert!(linked.notes.is_empty(), "{:?}", linked.notes);
    let v = check(&w, &["won", "app", "huis"], &[("won", &["app", "huis"])]);
    // Parts without a threshold of their own got secondary cells.
    let hidden_parts =
        v.at.iter()
            .filter(|(k, i)| k.0 != "won" && v.cells[**i].is_none())
            .count();
    assert!(hidden_parts > 0);
}

#[test]
fn a_declared_total_that_does_not_hold_is_reported() {
    let mut b = city()
        .ind(Indicator {
            total_of: vec!["app".into(), "huis".into()],
            ..count("won")
        })
        .ind(count("app"))
        .ind(count("huis"));
    b = b
        .load("won", "statsec", "2023", "S000=10 S001=7")
        .load("app", "statsec", "2023", "S000=4 S001=2")
        .load("huis", "statsec", "2023", "S000=6 S001=4");
    let c = peil_compute::compute(&b.build()).unwrap();
    let linked = linked_sums(&c);
    assert_eq!(linked.notes.len(), 1, "{:?}", linked.notes);
    assert!(
        linked.notes[0].contains("differs from their sum in"),
        "{}",
        linked.notes[0]
    );
}

#[test]
fn formula_sums_and_differences_are_protected_with_their_inputs() {
    // total = app + huis as a formula, with a threshold on the formula itself: a hidden total
    // must not come back as app + huis, nor a hidden app as total − huis.
    let w = load(
        city()
            .ind(with_threshold(formula("won", "app + huis"), 8.0))
            .ind(with_threshold(count("app"), 3.0))
            .ind(count("huis")),
        &["", "app", "huis"],
        13,
    )
    .build();
    let c = peil_compute::compute(&w).unwrap();
    let found: Vec<String> = linked_sums(&c)
        .sums
        .iter()
        .map(|s| s.describe(&c))
        .collect();
    assert_eq!(found, vec!["won = app + huis (formula)".to_string()]);
    check(&w, &["won", "app", "huis"], &[("won", &["app", "huis"])]);

    // rest = won − app (a difference): won = rest + app.
    let w = load(
        city()
            .ind(with_threshold(count("won"), 3.0))
            .ind(count("app"))
            .ind(with_threshold(formula("rest", "won - app"), 5.0)),
        &["won", "app", ""],
        14,
    )
    .build();
    let c = peil_compute::compute(&w).unwrap();
    let found: Vec<String> = linked_sums(&c)
        .sums
        .iter()
        .map(|s| s.describe(&c))
        .collect();
    assert_eq!(found, vec!["won = rest + app (formula)".to_string()]);
    check(&w, &["won", "app", "rest"], &[("won", &["rest", "app"])]);
}

/// Issue 11, item 5: a zero is chosen as a secondary cell only where a relation has no other
/// visible cell to hide; here every relation has non-zero cells, so no zero is hidden.
#[test]
fn zeros_are_not_chosen_as_secondary_cells_when_non_zero_cells_can_protect() {
    let w = load(
        city()
            .ind(with_threshold(count("won"), 5.0))
            .ind(with_threshold(count("app"), 5.0))
            .ind(with_threshold(count("huis"), 5.0)),
        &["won", "app", "huis"],
        15,
    )
    .build();
    let s = publish_with(&w, true);
    let raw = peil_compute::compute(&w).unwrap();
    let mut zeros_hidden = 0;
    let mut zeros = 0;
    for ind in ["won", "app", "huis"] {
        for l in &w.levels {
            for y in ["2022", "2023"] {
                for (_, it) in &l.items {
                    if get(&raw, ind, &l.level.code, y, &it.code) == Value::Number(0.0) {
                        zeros += 1;
                        if published(&s, ind, &l.level.code, y, &it.code) == HIDDEN {
                            zeros_hidden += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(zeros > 20, "{zeros}");
    assert_eq!(zeros_hidden, 0, "{zeros_hidden} of {zeros} zeros hidden");
}

/// Where the only visible parts of a relation are zeros, the non-zero total is hidden rather
/// than a zero: a wijk of one small sector and nine empty ones.
#[test]
fn a_non_zero_total_is_preferred_to_a_zero_part() {
    let mut xs: Vec<i64> = vec![2, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    xs.extend((10..120).map(|i| 5 + (i * 7) % 20));
    let w = city()
        .ind(with_threshold(count("app"), 5.0))
        .load("app", "statsec", "2023", &spec(&xs))
        .build();
    let s = publish_with(&w, true);
    assert_eq!(published(&s, "app", "statsec", "2023", "S000"), HIDDEN);
    for i in 1..10 {
        assert_eq!(
            published(&s, "app", "statsec", "2023", &format!("S{i:03}")),
            Value::Number(0.0),
            "S{i:03}"
        );
    }
    assert_eq!(published(&s, "app", "wijk", "2023", "W00"), HIDDEN);
    let v = view(&w, &s, &["app"], &[]);
    assert!(attack(&v.cells, &v.rels).is_empty());
}
