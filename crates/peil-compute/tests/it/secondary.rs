//! Secondary suppression, checked from the outside: a synthetic city with many
//! small cells is published, and the independent checker `peil_compute::checker::attack` is run
//! on the PUBLISHED values only, with relations built here from the warehouse's own links
//! (parent = Σ children along every edge, year = Σ halves = Σ quarters for the flow). With
//! secondary suppression it must recover nothing; without it, it must recover something (so
//! this test can fail).

use crate::common::*;
use peil_compute::Snapshot;
use peil_compute::checker::attack;
use peil_core::{DataType, DimKey, Indicator, MissingCode, Value, Warehouse};
use std::collections::HashMap;

const QUARTERS: [&str; 4] = ["2023Q1", "2023Q2", "2023Q3", "2023Q4"];

impl Lcg {
    /// A count with many small values: 40 % in 1–4, 10 % zero, the rest 5–40.
    fn small_count(&mut self) -> i64 {
        match self.next() % 100 {
            0..40 => 1 + (self.next() % 4) as i64,
            40..50 => 0,
            _ => 5 + (self.next() % 36) as i64,
        }
    }
}

/// 200 sectors → 20 wijken → 2 municipalities, and a crossing division of 12 zones (each
/// inside one municipality, cutting across its wijken) → municipalities.
fn city() -> Wb {
    let sectors: Vec<String> = (0..200).map(|i| format!("S{i:03}")).collect();
    let wijken: Vec<String> = (0..20).map(|i| format!("W{i:02}")).collect();
    let zones: Vec<String> = (0..12).map(|i| format!("Z{i:02}")).collect();
    let pairs = |f: &dyn Fn(usize) -> String, n: usize, child: &dyn Fn(usize) -> String| {
        (0..n).map(|i| (child(i), f(i))).collect::<Vec<_>>()
    };
    let s = |i: usize| format!("S{i:03}");
    let agg = peil_core::EdgeKind::Aggregation;
    Wb::new()
        .level_items("statsec", &sectors)
        .level_items("wijk", &wijken)
        .level_items("zone", &zones)
        .level("gemeente", "G0 G1")
        .link_pairs(
            "statsec",
            "wijk",
            agg,
            &pairs(&|i| format!("W{:02}", i / 10), 200, &s),
        )
        .link_pairs(
            "wijk",
            "gemeente",
            agg,
            &pairs(&|j| format!("G{}", j / 10), 20, &|j| format!("W{j:02}")),
        )
        .link_pairs(
            "statsec",
            "zone",
            agg,
            &pairs(&|i| format!("Z{:02}", (i / 100) * 6 + i % 6), 200, &s),
        )
        .link_pairs(
            "zone",
            "gemeente",
            agg,
            &pairs(&|z| format!("G{}", z / 6), 12, &|z| format!("Z{z:02}")),
        )
}

/// The flow `inw` (threshold 5) over four quarters, a population without threshold, a ratio
/// checked on `inw` and a formula reading `inw`.
fn warehouse() -> Warehouse {
    let mut rng = Lcg(20240607);
    let mut b = city()
        .ind(with_threshold(flow("inw"), 5.0))
        .ind(count("pop"))
        .ind(Indicator {
            data_type: DataType::Percentage,
            aggregation_indicator: Some("pop".into()),
            threshold: Some(5.0),
            threshold_indicator: Some("inw".into()),
            ..formula("r", "inw / pop * 100")
        })
        .ind(formula("f", "inw * 2"));
    for q in QUARTERS {
        let inw: Vec<String> = (0..200)
            .map(|i| format!("S{i:03}={}", rng.small_count()))
            .collect();
        let pop: Vec<String> = (0..200)
            .map(|i| format!("S{i:03}={}", 50 + rng.next() % 150))
            .collect();
        b = b.load("inw", "statsec", q, &inw.join(" "));
        b = b.load("pop", "statsec", q, &pop.join(" "));
    }
    b.build()
}

/// What an attacker sees of one indicator: every published cell (level, period, item id) and
/// the additive relations between them.
struct Published {
    cells: Vec<Option<f64>>,
    at: HashMap<(String, String, u32), usize>,
    rels: Vec<Vec<u32>>,
}

fn attacker_view(w: &Warehouse, s: &Snapshot, ind: &str) -> Published {
    let mut cells = Vec::new();
    let mut at = HashMap::new();
    let mut periods_of: HashMap<String, Vec<String>> = HashMap::new();
    for l in &w.levels {
        let code = &l.level.code;
        for (p, d) in s.periods(ind, code, &anyone()) {
            assert!(d.is_empty());
            let series = s
                .series(ind, code, p, &DimKey::default(), &anyone())
                .unwrap();
            for ((id, _), (_, v)) in l.items.iter().zip(series) {
                let cell = match v {
                    Value::Number(x) => Some(x),
                    Value::Missing(MissingCode::Hidden) => None,
                    Value::Missing(MissingCode::Unknown) => {
                        panic!("no unknown values in this test")
                    }
                    // Skipped codes count as 0 in a sum.
                    Value::Missing(_) => Some(0.0),
                };
                at.insert((code.clone(), p.code(), *id), cells.len());
                cells.push(cell);
            }
            periods_of.entry(code.clone()).or_default().push(p.code());
        }
    }
    let mut rels = Vec::new();
    // Geography: along every edge of the warehouse, parent = Σ children, in every period.
    for e in &w.edges {
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        for (c, p) in &e.links {
            children.entry(*p).or_default().push(*c);
        }
        for period in periods_of.get(&e.parent).into_iter().flatten() {
            for (p, kids) in &children {
                let Some(&total) = at.get(&(e.parent.clone(), period.clone(), *p)) else {
                    continue;
                };
                let parts: Option<Vec<u32>> = kids
                    .iter()
                    .map(|k| {
                        at.get(&(e.child.clone(), period.clone(), *k))
                            .map(|x| *x as u32)
                    })
                    .collect();
                if let Some(parts) = parts {
                    let mut r = vec![total as u32];
                    r.extend(parts);
                    rels.push(r);
                }
            }
        }
    }
    // Time: year = Q1+…+Q4 = H1 + H2, H1 = Q1 + Q2, H2 = Q3 + Q4, for every item of every level.
    let sums: [(&str, &[&str]); 4] = [
        ("2023", &QUARTERS),
        ("2023", &["2023H1", "2023H2"]),
        ("2023H1", &["2023Q1", "2023Q2"]),
        ("2023H2", &["2023Q3", "2023Q4"]),
    ];
    for l in &w.levels {
        for (id, _) in &l.items {
            for (total, parts) in sums {
                let key = |p: &str| {
                    at.get(&(l.level.code.clone(), p.to_string(), *id))
                        .map(|x| *x as u32)
                };
                if let (Some(t), Some(ps)) = (
                    key(total),
                    parts.iter().map(|p| key(p)).collect::<Option<Vec<u32>>>(),
                ) {
                    let mut r = vec![t];
                    r.extend(ps);
                    rels.push(r);
                }
            }
        }
    }
    Published { cells, at, rels }
}

#[test]
fn secondary_suppression_leaves_nothing_recoverable() {
    let w = warehouse();
    let raw = peil_compute::compute(&w).unwrap();

    // Without secondary suppression the attack works (the test can fail), and what it
    // recovers is the true value (the attacker's relations are right).
    let open = publish_with(&w, false);
    let view = attacker_view(&w, &open, "inw");
    let hidden = view.cells.iter().filter(|c| c.is_none()).count();
    assert!(
        hidden > 100,
        "the synthetic city should have many small cells, has {hidden}"
    );
    let found = attack(&view.cells, &view.rels);
    assert!(
        !found.is_empty(),
        "without secondary suppression something must be recoverable"
    );
    let by_cell: HashMap<usize, (String, String, u32)> =
        view.at.iter().map(|(k, v)| (*v, k.clone())).collect();
    let mut checked = 0;
    for (cell, value) in &found {
        if value.is_nan() {
            continue; // pinned down by elimination; the value is not reported
        }
        let (level, period, id) = &by_cell[&(*cell as usize)];
        let pos = w
            .levels
            .iter()
            .find(|l| &l.level.code == level)
            .unwrap()
            .items
            .iter()
            .position(|(i, _)| i == id)
            .unwrap();
        let item = &w
            .levels
            .iter()
            .find(|l| &l.level.code == level)
            .unwrap()
            .items[pos]
            .1
            .code;
        let truth = get(&raw, "inw", level, period, item).number().unwrap();
        assert_eq!(*value, truth, "recovered {level} {period} {item}");
        checked += 1;
    }
    assert!(checked > 0);

    // With secondary suppression nothing is recoverable from the published values.
    let s = publish_with(&w, true);
    let view = attacker_view(&w, &s, "inw");
    let found = attack(&view.cells, &view.rels);
    assert!(
        found.is_empty(),
        "{} hidden cells recoverable after secondary suppression, e.g. {:?}",
        found.len(),
        found
            .iter()
            .take(5)
            .map(|(c, v)| (
                view.at.iter().find(|(_, x)| **x == *c as usize).unwrap().0,
                v
            ))
            .collect::<Vec<_>>()
    );
    // Every primary cell (1–4) is hidden, and suppression did not hide everything.
    let mut primary = 0;
    for l in &w.levels {
        let code = &l.level.code;
        for p in QUARTERS.iter().copied().chain(["2023H1", "2023H2", "2023"]) {
            for (_, it) in &l.items {
                let v = get(&raw, "inw", code, p, &it.code).number().unwrap();
                let shown = published(&s, "inw", code, p, &it.code);
                if v > 0.0 && v < 5.0 {
                    primary += 1;
                    assert_eq!(shown, HIDDEN, "inw {code} {p} {} = {v}", it.code);
                }
                if shown == HIDDEN {
                    // The ratio and the formula on inw are hidden wherever inw is.
                    assert_eq!(
                        published(&s, "r", code, p, &it.code),
                        HIDDEN,
                        "r {code} {p} {}",
                        it.code
                    );
                    assert_eq!(
                        published(&s, "f", code, p, &it.code),
                        HIDDEN,
                        "f {code} {p} {}",
                        it.code
                    );
                } else {
                    assert_eq!(shown, Value::Number(v));
                }
            }
        }
    }
    assert!(primary > 100);
    let visible = view.cells.iter().filter(|c| c.is_some()).count();
    assert!(
        visible * 2 > view.cells.len(),
        "only {visible} of {} cells visible",
        view.cells.len()
    );
    for g in ["G0", "G1"] {
        assert!(
            published(&s, "inw", "gemeente", "2023", g)
                .number()
                .is_some(),
            "{g} total hidden"
        );
    }
}

/// A percentage hidden because its aggregation indicator (the population it is a share of) is
/// below the threshold must not be recoverable from the parent's value: the parent's numerator
/// Σ p·pop is the sum of the children's numerators.
#[test]
fn a_weighted_percentage_hidden_on_its_denominator_is_not_recoverable() {
    let mut rng = Lcg(7);
    let mut b = city().ind(count("pop")).ind(with_threshold(
        weighted("p", DataType::Percentage, "pop"),
        5.0,
    ));
    let pop: Vec<i64> = (0..200).map(|_| rng.small_count()).collect();
    let pct: Vec<i64> = (0..200).map(|_| (rng.next() % 101) as i64).collect();
    let spec = |xs: &[i64]| {
        xs.iter()
            .enumerate()
            .map(|(i, v)| format!("S{i:03}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    b = b
        .load("pop", "statsec", "2023", &spec(&pop))
        .load("p", "statsec", "2023", &spec(&pct));
    let w = b.build();
    // The attacker's cells: the numerators p·pop/100 of every published p (pop is public).
    let numerators = |s: &Snapshot| {
        let p_view = attacker_view(&w, s, "p");
        let pop_view = attacker_view(&w, s, "pop");
        let mut cells = vec![None; p_view.cells.len()];
        let mut pops = vec![0.0; p_view.cells.len()];
        for (key, &i) in &p_view.at {
            let pop = pop_view.cells[pop_view.at[key]].expect("pop has no threshold");
            pops[i] = pop;
            cells[i] = p_view.cells[i].map(|p| p * pop / 100.0);
        }
        (p_view, cells, pops)
    };
    // Without secondary suppression the attack works (the test can fail).
    let (p_view, cells, _) = numerators(&publish_with(&w, false));
    assert!(!attack(&cells, &p_view.rels).is_empty());
    let s = publish_with(&w, true);
    let (p_view, cells, pops) = numerators(&s);
    let hidden = cells.iter().filter(|c| c.is_none()).count();
    assert!(hidden > 20, "{hidden}");
    let found = attack(&cells, &p_view.rels);
    let raw = peil_compute::compute(&w).unwrap();
    let examples: Vec<String> = found
        .iter()
        .filter(|(_, v)| !v.is_nan())
        .take(3)
        .map(|(c, v)| {
            let (level, period, id) = p_view
                .at
                .iter()
                .find(|(_, x)| **x == *c as usize)
                .unwrap()
                .0;
            let l = w.levels.iter().find(|l| &l.level.code == level).unwrap();
            let item = &l.items.iter().find(|(i, _)| i == id).unwrap().1.code;
            format!(
                "{level} {period} {item}: recovered p = {:.4}, true p = {}",
                v / pops[*c as usize] * 100.0,
                get(&raw, "p", level, period, item)
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "{} hidden percentages recoverable as (parent numerator − visible siblings) / pop: {examples:?}",
        found.len()
    );
}

/// A cube with loaded marginal totals (sex = m over all ages) and hidden fine cells: the
/// marginal total is Σ of its cells, so a lone hidden cell next to visible siblings could be
/// recovered as total − visible siblings. Checked on the published cube with the cube's own
/// relations (marginal = Σ matching cells) plus the geography.
#[test]
fn a_cube_with_loaded_marginal_totals_leaves_nothing_recoverable() {
    let ages = ["0-4", "5-9", "10-14", "15-19"];
    let mut rng = Lcg(99);
    let mut b = city().ind(Indicator {
        dim_levels: vec!["age".into(), "sex".into()],
        ..with_threshold(count("kub"), 5.0)
    });
    // Only the first 40 sectors (wijken W00–W03) to keep the system small.
    let mut totals = vec![[0i64; 2]; 40];
    for age in ages {
        for (k, sex) in ["m", "v"].iter().enumerate() {
            let vals: Vec<i64> = (0..40).map(|_| rng.small_count()).collect();
            for (i, v) in vals.iter().enumerate() {
                totals[i][k] += v;
            }
            let spec: Vec<String> = vals
                .iter()
                .enumerate()
                .map(|(i, v)| format!("S{i:03}={v}"))
                .collect();
            b = b.load_dims(
                "kub",
                "statsec",
                "2023",
                &format!("age={age};sex={sex}"),
                &spec.join(" "),
            );
        }
    }
    for (k, sex) in ["m", "v"].iter().enumerate() {
        let spec: Vec<String> = totals
            .iter()
            .enumerate()
            .map(|(i, t)| format!("S{i:03}={}", t[k]))
            .collect();
        b = b.load_dims(
            "kub",
            "statsec",
            "2023",
            &format!("sex={sex}"),
            &spec.join(" "),
        );
    }
    let w = b.build();
    for secondary in [false, true] {
        let s = publish_with(&w, secondary);
        // Cells: (level, dims, item) of every published cube cell.
        let mut cells: Vec<Option<f64>> = Vec::new();
        let mut at: HashMap<(String, String, u32), usize> = HashMap::new();
        for l in &w.levels {
            for (p, d) in s.periods("kub", &l.level.code, &anyone()) {
                let series = s.series("kub", &l.level.code, p, d, &anyone()).unwrap();
                for ((id, _), (_, v)) in l.items.iter().zip(series) {
                    at.insert((l.level.code.clone(), d.to_text(), *id), cells.len());
                    cells.push(match v {
                        Value::Number(x) => Some(x),
                        Value::Missing(MissingCode::Hidden) => None,
                        _ => Some(0.0),
                    });
                }
            }
        }
        let mut rels: Vec<Vec<u32>> = Vec::new();
        let dim_keys: Vec<String> = at
            .keys()
            .map(|k| k.1.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        // Geography, per cube cell.
        for e in &w.edges {
            let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
            for (c, p) in &e.links {
                children.entry(*p).or_default().push(*c);
            }
            for dk in &dim_keys {
                for (p, kids) in &children {
                    let Some(&t) = at.get(&(e.parent.clone(), dk.clone(), *p)) else {
                        continue;
                    };
                    let parts: Option<Vec<u32>> = kids
                        .iter()
                        .map(|k| {
                            at.get(&(e.child.clone(), dk.clone(), *k))
                                .map(|x| *x as u32)
                        })
                        .collect();
                    if let Some(parts) = parts {
                        rels.push(std::iter::once(t as u32).chain(parts).collect());
                    }
                }
            }
        }
        // The cube: sex=s total = Σ over ages of (age, s), per level and item.
        for l in &w.levels {
            for (id, _) in &l.items {
                for sex in ["m", "v"] {
                    let key =
                        |dk: String| at.get(&(l.level.code.clone(), dk, *id)).map(|x| *x as u32);
                    let total = key(format!("sex={sex}"));
                    let parts: Option<Vec<u32>> = ages
                        .iter()
                        .map(|a| key(format!("age={a};sex={sex}")))
                        .collect();
                    if let (Some(t), Some(ps)) = (total, parts) {
                        rels.push(std::iter::once(t).chain(ps).collect());
                    }
                }
            }
        }
        let found = attack(&cells, &rels);
        if secondary {
            assert!(
                found.is_empty(),
                "{} hidden cube cells recoverable with secondary suppression",
                found.len()
            );
        } else {
            assert!(!found.is_empty(), "the test must be able to fail");
        }
    }
}

/// A count whose threshold is checked on another indicator (income hidden where there are
/// fewer than 5 tax returns) is a sum like any other: parent − visible siblings must not give
/// a hidden cell back, also when the check indicator itself has no threshold.
#[test]
fn a_count_checked_on_another_indicator_is_protected_too() {
    let w = Wb::new()
        .level("sec", "A B C D E F")
        .level("wijk", "W V")
        .link("sec", "wijk", "A>W B>W C>W D>V E>V F>V")
        .ind(count("returns"))
        .ind(Indicator {
            threshold_indicator: Some("returns".into()),
            ..with_threshold(count("income"), 5.0)
        })
        .load("returns", "sec", "2024", "A=2 B=10 C=12 D=3 E=4 F=20")
        .load(
            "income",
            "sec",
            "2024",
            "A=100 B=200 C=300 D=150 E=170 F=900",
        )
        .build();
    let s = publish_with(&w, true);
    let cell = |level: &str, item: &str| match published(&s, "income", level, "2024", item) {
        Value::Number(x) => Some(x),
        _ => None,
    };
    // Primary: where returns < 5.
    for hidden in ["A", "D", "E"] {
        assert_eq!(cell("sec", hidden), None, "{hidden}");
    }
    let cells: Vec<Option<f64>> = ["A", "B", "C", "D", "E", "F"]
        .iter()
        .map(|i| cell("sec", i))
        .chain([cell("wijk", "W"), cell("wijk", "V")])
        .collect();
    let rels = vec![vec![6, 0, 1, 2], vec![7, 3, 4, 5]];
    assert_eq!(attack(&cells, &rels), vec![], "{cells:?}");
    // Without secondary suppression, A is 600 − 200 − 300 (the test can fail).
    let open = publish_with(&w, false);
    let cells: Vec<Option<f64>> = ["A", "B", "C", "D", "E", "F"]
        .iter()
        .map(|i| match published(&open, "income", "sec", "2024", i) {
            Value::Number(x) => Some(x),
            _ => None,
        })
        .chain(
            ["W", "V"]
                .iter()
                .map(|i| published(&open, "income", "wijk", "2024", i).number()),
        )
        .collect();
    assert!(attack(&cells, &rels).contains(&(0, 100.0)), "{cells:?}");
}
