//! Property test: custom selections reveal nothing that the published cells do not.
//!
//! Random hierarchies (2–4 levels, random fan-out) carry a count `cnt` with threshold 5 and a
//! public ratio `r = cnt / den * 100` checked on `cnt`; they are published as `peil publish`
//! does (thresholds and secondary suppression). Random selections (1..n areas of one level,
//! single areas included) are then asked of the snapshot, of `cnt` and of `r`. Every answer must
//! be the sum (or ratio of sums) of the published cells it covers — so any equality with a
//! hidden value is a coincidence anyone sees from the published cells — and, with every answer
//! added as a known linear relation (selection total = Σ its cells) to the hierarchy's
//! relations, the independent `checker::attack` must recover no hidden cell.

use crate::common::*;
use peil_compute::checker::attack;
use peil_compute::snapshot::SelectionError;
use peil_compute::{PublishOptions, Snapshot, publish};
use peil_core::{DataType, EdgeKind, Indicator, MissingCode, Reader, Value, Warehouse};
use proptest::prelude::*;
use std::collections::HashMap;

/// A count with many small values: a third 1–4, some zeros, the rest 5–40.
fn small_count() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => 1i64..5,
        1 => Just(0i64),
        6 => 5i64..41,
    ]
}

/// Level `k`'s item codes and, for `k > 0`, the parent (on level `k`) of each item of level
/// `k - 1`. Fan-outs come from `fan` (1–4 children per parent).
struct Tree {
    levels: Vec<Vec<String>>,
    parent: Vec<Vec<usize>>,
}

fn tree(leaves: usize, depth: usize, fan: &[usize]) -> Tree {
    let mut levels = vec![(0..leaves).map(|i| format!("L0_{i}")).collect::<Vec<_>>()];
    let mut parent = vec![Vec::new()];
    let mut f = fan.iter().cycle();
    for k in 1..depth {
        let below = levels[k - 1].len();
        let mut of = Vec::with_capacity(below);
        let mut p = 0;
        let mut left = *f.next().unwrap();
        for _ in 0..below {
            if left == 0 {
                p += 1;
                left = *f.next().unwrap();
            }
            of.push(p);
            left -= 1;
        }
        levels.push((0..=p).map(|i| format!("L{k}_{i}")).collect());
        parent.push(of);
    }
    Tree { levels, parent }
}

fn warehouse(t: &Tree, cnt: &[i64], den: &[i64]) -> Warehouse {
    let mut b = Wb::new();
    for (k, items) in t.levels.iter().enumerate() {
        b = b.level_items(&format!("l{k}"), items);
    }
    for k in 1..t.levels.len() {
        let pairs: Vec<(String, String)> = t.parent[k]
            .iter()
            .enumerate()
            .map(|(c, &p)| (t.levels[k - 1][c].clone(), t.levels[k][p].clone()))
            .collect();
        b = b.link_pairs(
            &format!("l{}", k - 1),
            &format!("l{k}"),
            EdgeKind::Aggregation,
            &pairs,
        );
    }
    let spec = |v: &[i64]| {
        t.levels[0]
            .iter()
            .zip(v)
            .map(|(c, x)| format!("{c}={x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    b.ind(with_threshold(count("cnt"), 5.0))
        .ind(count("den"))
        .ind(Indicator {
            data_type: DataType::Percentage,
            aggregation_indicator: Some("den".into()),
            threshold: Some(5.0),
            threshold_indicator: Some("cnt".into()),
            ..formula("r", "cnt / den * 100")
        })
        .load("cnt", "l0", "2024", &spec(cnt))
        .load("den", "l0", "2024", &spec(den))
        .build()
}

/// Published cells (hidden = `None`), the cell of each (level, item position), and relations
/// (first cell = Σ the others).
type View = (
    Vec<Option<f64>>,
    HashMap<(usize, usize), u32>,
    Vec<Vec<u32>>,
);

/// The attacker's view of `cnt`: every published cell by (level, item position), and parent =
/// Σ children for every edge.
fn view(t: &Tree, s: &Snapshot) -> View {
    let mut cells = Vec::new();
    let mut at = HashMap::new();
    for (k, items) in t.levels.iter().enumerate() {
        for (i, code) in items.iter().enumerate() {
            let v = published(s, "cnt", &format!("l{k}"), "2024", code);
            at.insert((k, i), cells.len() as u32);
            cells.push(match v {
                Value::Number(x) => Some(x),
                Value::Missing(MissingCode::Hidden) => None,
                other => panic!("unexpected {other:?}"),
            });
        }
    }
    let mut rels = Vec::new();
    for k in 1..t.levels.len() {
        for p in 0..t.levels[k].len() {
            let mut r = vec![at[&(k, p)]];
            r.extend(
                t.parent[k]
                    .iter()
                    .enumerate()
                    .filter(|(_, q)| **q == p)
                    .map(|(c, _)| at[&(k - 1, c)]),
            );
            rels.push(r);
        }
    }
    (cells, at, rels)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn selections_reveal_no_hidden_cell(
        (cnt, den) in (3usize..24).prop_flat_map(|n| (
            prop::collection::vec(small_count(), n),
            prop::collection::vec(50i64..200, n),
        )),
        depth in 2usize..=4,
        fan in prop::collection::vec(1usize..=4, 1..8),
        picks in prop::collection::vec((0usize..4, prop::collection::vec(any::<prop::sample::Index>(), 1..12)), 1..40),
    ) {
        let t = tree(cnt.len(), depth, &fan);
        let w = warehouse(&t, &cnt, &den);
        let s = publish(&w, 1, &PublishOptions::default()).unwrap();
        let raw = peil_compute::compute(&w).unwrap();
        let (mut cells, at, mut rels) = view(&t, &s);
        let hidden: Vec<u32> = (0..cells.len() as u32).filter(|&c| cells[c as usize].is_none()).collect();
        let anon = Reader::anonymous();
        for (lv, idx) in &picks {
            let k = lv % t.levels.len();
            let items = &t.levels[k];
            let mut chosen: Vec<usize> = idx.iter().map(|i| i.index(items.len())).collect();
            chosen.sort_unstable();
            chosen.dedup();
            let codes: Vec<&str> = chosen.iter().map(|&i| items[i].as_str()).collect();
            let level = format!("l{k}");
            let pubv = |ind: &str, i: usize| published(&s, ind, &level, "2024", &items[i]);
            let any_hidden = chosen.iter().any(|&i| {
                pubv("cnt", i) == Value::Missing(MissingCode::Hidden)
                    || pubv("r", i) == Value::Missing(MissingCode::Hidden)
            });
            for ind in ["cnt", "r"] {
                let answer = s.aggregate_selection(ind, &level, per("2024"), &codes, &anon);
                if any_hidden {
                    // r's own cells are hidden wherever cnt's are (it is checked on cnt), so
                    // either indicator refuses a selection touching any hidden cell.
                    prop_assert!(
                        matches!(answer, Err(SelectionError::RevealsHidden { .. })),
                        "{ind} {codes:?}: {answer:?}"
                    );
                    continue;
                }
                let v = answer.unwrap().number().unwrap();
                // The answer is a function of the published cells it covers.
                let sum = |x: &str| chosen.iter().map(|&i| pubv(x, i).number().unwrap()).sum::<f64>();
                let total = if ind == "cnt" {
                    prop_assert_eq!(v, sum("cnt"));
                    v
                } else {
                    prop_assert!((v - sum("cnt") / sum("den") * 100.0).abs() < 1e-9);
                    // What the ratio gives away: ratio × denominator = the selection's count.
                    v * sum("den") / 100.0
                };
                // A single area answers its own published value.
                if chosen.len() == 1 {
                    prop_assert_eq!(Value::Number(v), pubv(ind, chosen[0]));
                }
                // Known to the attacker from now on: total = Σ the selected cells.
                cells.push(Some(total.round()));
                let mut r = vec![cells.len() as u32 - 1];
                r.extend(chosen.iter().map(|&i| at[&(k, i)]));
                rels.push(r);
            }
        }
        let found = attack(&cells, &rels);
        prop_assert!(found.is_empty(), "recovered {found:?} of hidden {hidden:?}");
        // The attack is not blind: one leaked hidden value (a one-area "selection" of it
        // answered with its true value) is recovered.
        if let Some(&h) = hidden.first() {
            let (&(k, i), _) = at.iter().find(|(_, c)| **c == h).unwrap();
            let truth = get(&raw, "cnt", &format!("l{k}"), "2024", &t.levels[k][i]).number().unwrap();
            cells.push(Some(truth));
            rels.push(vec![cells.len() as u32 - 1, h]);
            prop_assert!(attack(&cells, &rels).iter().any(|(c, _)| *c == h));
        }
    }
}

/// A restricted input makes a selection answer as an indicator that cannot be aggregated,
/// whatever the areas (hidden ones included); its readers get the answer.
#[test]
fn a_restricted_input_answers_as_not_aggregable() {
    let w = Wb::new()
        .level("sec", "A B C")
        .ind(Indicator {
            visibility: peil_core::Visibility::Restricted(vec!["staff".into()]),
            ..with_threshold(count("secret"), 5.0)
        })
        .ind(count("den"))
        .ind(Indicator {
            data_type: DataType::Percentage,
            aggregation_indicator: Some("den".into()),
            ..formula("pub", "secret / den * 100")
        })
        .ind(weighted("mean", DataType::Mean, "secret"))
        .ind(Indicator {
            non_aggregable: true,
            ..weighted("median", DataType::Mean, "den")
        })
        .load("secret", "sec", "2024", "A=2 B=10 C=20")
        .load("den", "sec", "2024", "A=50 B=100 C=100")
        .load("mean", "sec", "2024", "A=1 B=2 C=3")
        .load("median", "sec", "2024", "A=1 B=2 C=3")
        .build();
    let s = publish(&w, 1, &PublishOptions::default()).unwrap();
    let y = per("2024");
    let anon = Reader::anonymous();
    let staff = Reader::key("k", ["staff".to_string()]);
    for items in [&["B", "C"][..], &["A"], &["A", "B", "C"]] {
        for ind in ["pub", "mean"] {
            assert_eq!(
                s.aggregate_selection(ind, "sec", y, items, &anon),
                Err(SelectionError::NotAggregable(ind.into())),
                "{ind} {items:?}"
            );
        }
        assert_eq!(
            s.aggregate_selection("median", "sec", y, items, &anon),
            Err(SelectionError::NotAggregable("median".into()))
        );
        // The restricted indicator itself is unknown to anonymous readers.
        assert!(matches!(
            s.aggregate_selection("secret", "sec", y, items, &anon),
            Err(SelectionError::Unknown { .. })
        ));
    }
    // Key holders: B and C answer; A is hidden (2 < 5) and refused, for every indicator that
    // reads it.
    assert_eq!(
        s.aggregate_selection("pub", "sec", y, &["B", "C"], &staff),
        Ok(Value::Number(30.0 / 200.0 * 100.0))
    );
    assert_eq!(
        s.aggregate_selection("mean", "sec", y, &["B", "C"], &staff),
        Ok(Value::Number((2.0 * 10.0 + 3.0 * 20.0) / 30.0))
    );
    for ind in ["pub", "mean", "secret"] {
        assert!(
            matches!(
                s.aggregate_selection(ind, "sec", y, &["A"], &staff),
                Err(SelectionError::RevealsHidden { .. })
            ),
            "{ind}"
        );
    }
    // The formula is shown to those who may see its inputs only.
    let f = s.indicator("pub").unwrap();
    assert!(!s.formula_visible_to(f, &anon));
    assert!(s.formula_visible_to(f, &staff));
}

/// The tester's finding: a formula whose own cell is hidden (threshold on a public input
/// without a threshold) is refused for a one-area selection although its inputs are visible;
/// and a shifted period that is hidden is refused too.
#[test]
fn a_hidden_formula_cell_is_refused_even_over_visible_inputs() {
    let w = Wb::new()
        .level("sec", "A B C")
        .ind(count("num"))
        .ind(count("den"))
        .ind(Indicator {
            data_type: DataType::Percentage,
            aggregation_indicator: Some("den".into()),
            threshold: Some(5.0),
            threshold_indicator: Some("num".into()),
            ..formula("p", "num / den * 100")
        })
        .ind(with_threshold(count("t"), 5.0))
        .ind(formula("growth", r#"t - data_from_period(t, "-1")"#))
        .load("num", "sec", "2024", "A=2 B=10 C=20")
        .load("den", "sec", "2024", "A=50 B=100 C=100")
        .load("t", "sec", "2023", "A=3 B=10 C=20")
        .load("t", "sec", "2024", "A=8 B=12 C=25")
        .build();
    let s = publish(&w, 1, &PublishOptions::default()).unwrap();
    let anon = Reader::anonymous();
    let y = per("2024");
    assert_eq!(
        published(&s, "p", "sec", "2024", "A"),
        Value::Missing(MissingCode::Hidden)
    );
    assert_eq!(published(&s, "num", "sec", "2024", "A"), Value::Number(2.0));
    assert_eq!(
        s.aggregate_selection("p", "sec", y, &["A"], &anon),
        Err(SelectionError::RevealsHidden {
            indicator: "p".into(),
            item: "A".into()
        })
    );
    assert_eq!(
        s.aggregate_selection("p", "sec", y, &["B", "C"], &anon),
        Ok(Value::Number(30.0 / 200.0 * 100.0))
    );
    // growth 2024 at A reads t 2023 at A, hidden (3 < 5).
    assert!(matches!(
        s.aggregate_selection("growth", "sec", y, &["A", "B"], &anon),
        Err(SelectionError::RevealsHidden { .. })
    ));
    assert_eq!(
        s.aggregate_selection("growth", "sec", y, &["B", "C"], &anon),
        Ok(Value::Number(37.0 - 30.0))
    );
}
