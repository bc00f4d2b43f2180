//! Privacy rules on the published snapshot: thresholds (0 always shown), the
//! threshold-indicator precedence, rounding, and censoring that carries into formulas.

use crate::common::*;
use peil_compute::{PublishOptions, Snapshot, publish};
use peil_core::{DataType, DimKey, Indicator, Warehouse};

fn published_with(w: &Warehouse, secondary: bool) -> Snapshot {
    publish(
        w,
        1,
        &PublishOptions {
            secondary_suppression: secondary,
        },
    )
    .unwrap()
}

/// One level, one indicator with threshold 5: (loaded, published).
#[test]
fn a_threshold_hides_small_non_zero_values() {
    #[rustfmt::skip]
    let table = [
        ("0",   "0"),
        ("1",   "x"),
        ("2",   "x"),
        ("4",   "x"),
        ("4.9", "x"),
        ("5",   "5"),
        ("6",   "6"),
        ("120", "120"),
        ("?",   "?"),
        ("nvt", "nvt"),
        ("x",   "x"),
    ];
    let items: Vec<String> = (0..table.len()).map(|i| format!("I{i}")).collect();
    let load: Vec<String> = items
        .iter()
        .zip(&table)
        .map(|(it, (v, _))| format!("{it}={v}"))
        .collect();
    let want: Vec<String> = items
        .iter()
        .zip(&table)
        .map(|(it, (_, v))| format!("{it}={v}"))
        .collect();
    let w = Wb::new()
        .level_items("L", &items)
        .ind(with_threshold(count("v"), 5.0))
        .load("v", "L", "2020", &load.join(" "))
        .build();
    for secondary in [false, true] {
        let s = published_with(&w, secondary);
        expect_published(&s, "v", "L", "2020", &want.join(" "));
    }
}

#[test]
fn the_threshold_is_checked_on_the_threshold_indicator_first() {
    // r = a / b * 100 is hidden where its numerator a is below 5, whatever r itself is.
    let w = Wb::new()
        .level("L", "A B C D E")
        .ind(count("a"))
        .ind(count("b"))
        .ind(count("n"))
        .ind(Indicator {
            threshold: Some(5.0),
            threshold_indicator: Some("a".into()),
            aggregation_indicator: Some("b".into()),
            data_type: DataType::Percentage,
            ..formula("r", "a / b * 100")
        })
        // A loaded percentage without threshold indicator: checked on its sample indicator,
        // then on its aggregation indicator.
        .ind(Indicator {
            threshold: Some(5.0),
            sample_indicator: Some("n".into()),
            ..weighted("p_sample", DataType::Percentage, "b")
        })
        .ind(with_threshold(
            weighted("p_agg", DataType::Percentage, "b"),
            5.0,
        ))
        .load("a", "L", "2020", "A=3 B=10 C=0 D=4 E=50")
        .load("b", "L", "2020", "A=10 B=10 C=10 D=4 E=3")
        .load("n", "L", "2020", "A=100 B=2 C=100 D=100 E=100")
        .load("p_sample", "L", "2020", "A=40 B=40 C=40 D=40 E=40")
        .load("p_agg", "L", "2020", "A=40 B=40 C=40 D=40 E=40")
        .build();
    let s = published_with(&w, true);
    // r: A 30 % of 3 trees, D 100 % of 4: hidden; C 0 %: shown; E 1666 % of 50 (b = 3): shown.
    expect_published(
        &s,
        "r",
        "L",
        "2020",
        "A=x B=100 C=0 D=x E=1666.6666666666667",
    );
    // The numerator itself has no threshold: shown.
    expect_published(&s, "a", "L", "2020", "A=3 D=4");
    expect_published(&s, "p_sample", "L", "2020", "A=40 B=x C=40 D=40 E=40");
    expect_published(&s, "p_agg", "L", "2020", "A=40 B=40 C=40 D=x E=x");
}

/// Issue 20, item 2: "0 is always shown" is a rule about the value the threshold is checked
/// on, not about the figure shown. A survey share of 0 % from 5 respondents is hidden under a
/// sample threshold of 30; a share from 0 respondents (a 0 sample) and a 0 % from 40 are shown.
#[test]
fn zero_is_always_shown_is_checked_on_the_check_indicator() {
    let w = Wb::new()
        .level("L", "A B C D E F")
        .ind(count("n"))
        .ind(Indicator {
            threshold: Some(30.0),
            sample_indicator: Some("n".into()),
            ..weighted("p", DataType::Percentage, "n")
        })
        .ind(count("a"))
        .ind(count("b"))
        .ind(Indicator {
            threshold: Some(5.0),
            threshold_indicator: Some("a".into()),
            ..formula("r", "a / b * 100")
        })
        .load("n", "L", "2020", "A=5 B=40 C=0 D=29 E=30 F=x")
        .load("p", "L", "2020", "A=0 B=0 C=0 D=12 E=0 F=0")
        .load("a", "L", "2020", "A=0 B=3 C=0 D=7 E=0 F=0")
        .load("b", "L", "2020", "A=10 B=10 C=10 D=10 E=10 F=10")
        .build();
    for secondary in [false, true] {
        let s = published_with(&w, secondary);
        expect_published(&s, "p", "L", "2020", "A=x B=0 C=0 D=x E=0");
        // A ratio whose numerator (its threshold indicator) is 0 is a real 0 and is shown.
        expect_published(&s, "r", "L", "2020", "A=0 B=x D=70");
    }
}

/// (rounding base, threshold, loaded, published)
#[test]
fn rounding() {
    #[rustfmt::skip]
    let table: &[(f64, Option<f64>, &str, &str)] = &[
        (10.0, None,      "A=123 B=125 C=4 D=0 E=5 F=1234.5", "A=120 B=130 C=0 D=0 E=10 F=1230"),
        (5.0,  None,      "A=12 B=13 C=2 D=-7",               "A=10 B=15 C=0 D=-5"),
        (10.0, Some(5.0), "A=3 B=7 C=0 D=44 E=x F=?",         "A=x B=10 C=0 D=40 E=x F=?"),
        (0.5,  None,      "A=1.2 B=1.3",                      "A=1 B=1.5"),
    ];
    for (base, threshold, load, want) in table {
        let w = Wb::new()
            .level("L", "A B C D E F")
            .ind(Indicator {
                rounding: Some(*base),
                threshold: *threshold,
                ..count("v")
            })
            .load("v", "L", "2020", load)
            .build();
        let s = published_with(&w, true);
        expect_published(&s, "v", "L", "2020", want);
    }
}

/// `a` has threshold 5; formulas that read it in any way are hidden where what they read is.
#[test]
fn a_formula_on_a_hidden_input_is_hidden() {
    let b = Wb::new()
        .level("L", "A B C Z")
        .ind(with_threshold(count("a"), 5.0))
        .ind(count("one"))
        .load("a", "L", "2019", "A=3 B=10 C=7 Z=0")
        .load("a", "L", "2020", "A=8 B=2 C=9 Z=0")
        .load("a", "L", "2021", "A=9 B=9 C=1 Z=6")
        .load("one", "L", "2019", "A=1 B=1 C=1 Z=1")
        .load("one", "L", "2020", "A=1 B=1 C=1 Z=1")
        .load("one", "L", "2021", "A=1 B=1 C=1 Z=1");
    #[rustfmt::skip]
    let table = [
        ("a * 2",                              "2019", "A=x B=20 C=14 Z=0"),
        ("a + one",                            "2019", "A=x B=11 C=8 Z=1"),
        ("(a + one) * 0",                      "2020", "A=0 B=x C=0"),
        ("one - a / 1000",                     "2021", "A=0.991 C=x"),
        ("f1 + 1",                             "2019", "A=x B=21"),                  // formula on formula
        (r#"data_from_period(a, "-1") + one - one"#, "2020", "A=x B=10 C=7"),  // last year's hidden value
        (r#"a - data_from_period(a, "-1")"#,    "2020", "A=x B=x C=2"),
        ("data_from_mrp(a, 1) * one",          "2019", "A=9 B=9 C=x Z=6"),           // reads 2021
        ("data_from_mrp(a, 2) * one",          "2021", "A=8 B=x C=9"),               // reads 2020
        ("threshold(a) * 0 + one",             "2019", "A=x B=1"),
        ("max(a, 100)",                        "2020", "A=100 B=x"),
    ];
    for (f, period, want) in table {
        let w = b
            .clone()
            .ind(formula("f1", "a * 2"))
            .ind(formula("f", f))
            .build();
        let s = published_with(&w, true);
        let c = peil_compute::compute(&w).unwrap();
        for (item, v) in cells(want) {
            let got = published(&s, "f", "L", period, &item);
            assert!(
                same(got, v),
                "f = {f}, {period} {item}: published {got}, expected {v} (computed {})",
                get(&c, "f", "L", period, &item)
            );
        }
    }
}

#[test]
fn a_cell_formula_on_a_hidden_cube_cell_is_hidden() {
    let w = Wb::new()
        .level("L", "A B")
        .ind(Indicator {
            dim_levels: vec!["sex".into()],
            threshold: Some(5.0),
            ..count("kub")
        })
        .ind(formula("men", "cell(kub, m)"))
        .ind(formula("all", "cell(kub, m) + cell(kub, v)"))
        .load_dims("kub", "L", "2020", "sex=m", "A=3 B=10")
        .load_dims("kub", "L", "2020", "sex=v", "A=20 B=30")
        .build();
    let s = published_with(&w, true);
    expect_published(&s, "men", "L", "2020", "A=x B=10");
    expect_published(&s, "all", "L", "2020", "A=x B=40");
    assert_eq!(
        s.value("kub", "L", per("2020"), &dims("sex=m"), "A", &anyone()),
        Some(HIDDEN)
    );
}

/// Every way out of a snapshot shows `x` for a hidden cell, never the number.
#[test]
fn the_published_snapshot_holds_no_raw_value_for_hidden_cells() {
    let w = Wb::new()
        .level("L", "A B C")
        .ind(with_threshold(count("a"), 5.0))
        .ind(formula("f", "a * 1000 + 7"))
        .load("a", "L", "2020", "A=3 B=10 C=4")
        .build();
    let s = published_with(&w, true);
    let hidden = [("a", "A"), ("a", "C"), ("f", "A"), ("f", "C")];
    for (ind, item) in hidden {
        assert_eq!(
            published(&s, ind, "L", "2020", item),
            HIDDEN,
            "{ind} {item}"
        );
        let series = s
            .series(ind, "L", per("2020"), &DimKey::default(), &anyone())
            .unwrap();
        let (_, v) = series.iter().find(|(it, _)| it.code == item).unwrap();
        assert_eq!(*v, HIDDEN, "series() of {ind} {item}");
    }
    let level_items = &s.levels[s.level_index["L"]].items;
    for (key, values) in s.all_series() {
        for (k, v) in values.iter().enumerate() {
            let code = &level_items[k].1.code;
            if (code == "A" || code == "C") && key.level == "L" {
                assert_eq!(*v, HIDDEN, "all_series() {} {code}", key.indicator);
            }
        }
        // The raw numbers appear nowhere.
        for raw in [3.0, 4.0, 3007.0, 4007.0] {
            assert!(
                !values.contains(&peil_core::Value::Number(raw)),
                "{raw} leaked in {key:?}"
            );
        }
    }
    assert!(s.stats.suppressed >= 4, "{:?}", s.stats);
}
