//! Aggregation over areas: counts sum up the level DAG, unknown-location items count, loaded
//! values win per cell, means and percentages are recomputed through their aggregation
//! indicator, non-aggregable indicators stay put, conversions carry data from old divisions,
//! and in totals `x` and `?` poison (`x` first) while empty and `nvt` are skipped.

use crate::common::*;
use peil_core::{DataType, Indicator};

/// (level, cells) pairs.
type Loads<'a> = &'a [(&'a str, &'a str)];

/// statsec → wijk → gemeente, and statsec → district → gemeente crossing the wijken, with the
/// unknown-location sector `11002ZZZZ` in the unknown-location wijk `11002WONB`.
fn city() -> Wb {
    Wb::new()
        .level("statsec", "S1 S2 S3 S4 11002ZZZZ")
        .level("wijk", "W1 W2 11002WONB")
        .level("district", "D1 D2")
        .level("gemeente", "11002")
        .link(
            "statsec",
            "wijk",
            "S1>W1 S2>W1 S3>W2 S4>W2 11002ZZZZ>11002WONB",
        )
        .link("wijk", "gemeente", "W1>11002 W2>11002 11002WONB>11002")
        .link(
            "statsec",
            "district",
            "S1>D1 S3>D1 S2>D2 S4>D2 11002ZZZZ>D2",
        )
        .link("district", "gemeente", "D1>11002 D2>11002")
}

/// A plain chain statsec → wijk → gemeente (no second path to the top).
fn chain() -> Wb {
    Wb::new()
        .level("statsec", "S1 S2 S3 S4 11002ZZZZ")
        .level("wijk", "W1 W2 11002WONB")
        .level("gemeente", "11002")
        .link(
            "statsec",
            "wijk",
            "S1>W1 S2>W1 S3>W2 S4>W2 11002ZZZZ>11002WONB",
        )
        .link("wijk", "gemeente", "W1>11002 W2>11002 11002WONB>11002")
}

#[test]
fn counts_sum_up_a_three_level_hierarchy_and_a_dag() {
    let w = city()
        .ind(count("v"))
        .load("v", "statsec", "2020", "S1=1 S2=2 S3=4 S4=8 11002ZZZZ=16")
        .load("v", "statsec", "2021", "S1=0 S2=0 S3=0 S4=0 11002ZZZZ=0")
        .build();
    check_rows(
        "sums",
        &w,
        &[
            ("v", "statsec", "2020", "S1=1 S2=2 S3=4 S4=8 11002ZZZZ=16"),
            ("v", "wijk", "2020", "W1=3 W2=12 11002WONB=16"),
            ("v", "district", "2020", "D1=5 D2=26"),
            // The unknown-location sector counts in the municipal total.
            ("v", "gemeente", "2020", "11002=31"),
            // A real zero is a zero on every level, not "no value".
            ("v", "wijk", "2021", "W1=0 W2=0 11002WONB=0"),
            ("v", "district", "2021", "D1=0 D2=0"),
            ("v", "gemeente", "2021", "11002=0"),
        ],
    );
}

#[test]
fn an_unknown_location_item_linked_only_to_the_top_still_counts() {
    // Sectors roll up into wijken and, directly, into the municipality; the unknown-location
    // sector has no wijk. The municipality must still include it.
    let w = Wb::new()
        .level("statsec", "S1 S2 11002ZZZZ")
        .level("wijk", "W1")
        .level("gemeente", "11002")
        .link("statsec", "wijk", "S1>W1 S2>W1")
        .link("statsec", "gemeente", "S1>11002 S2>11002 11002ZZZZ>11002")
        .link("wijk", "gemeente", "W1>11002")
        .ind(count("v"))
        .load("v", "statsec", "2020", "S1=5 S2=6 11002ZZZZ=7")
        .build();
    check_rows(
        "unknown location",
        &w,
        &[
            ("v", "wijk", "2020", "W1=11"),
            ("v", "gemeente", "2020", "11002=18"),
        ],
    );
    // Not a lost value: it has no wijk, but reaches the level above the wijken directly.
    let c = peil_compute::compute(&w).unwrap();
    assert_eq!(peil_compute::lost_values(&c), vec![]);
}

#[test]
fn values_of_items_without_parent_are_reported_lost() {
    // S3 is missing from the conversion table: its 2020 value and its `?` of 2021 reach no
    // item of statsec2024 and nothing above it, while S1 and S2 do.
    let w = Wb::new()
        .level("statsec2019", "S1 S2 S3")
        .level("statsec2024", "T1 T2")
        .level("gemeente", "G")
        .conversion("statsec2019", "statsec2024", "S1>T1 S2>T2")
        .link("statsec2024", "gemeente", "T1>G T2>G")
        .ind(count("v"))
        .load("v", "statsec2019", "2020", "S1=1 S2=2 S3=40")
        .load("v", "statsec2019", "2021", "S1=1 S2=2 S3=?")
        .load("v", "statsec2019", "2022", "S1=1 S2=2 S3=-")
        .build();
    let c = peil_compute::compute(&w).unwrap();
    check_rows("lost", &w, &[("v", "gemeente", "2020", "G=3")]);
    let lost = peil_compute::lost_values(&c);
    assert_eq!(lost.len(), 1, "{lost:?}");
    let l = &lost[0];
    assert_eq!(
        (
            l.indicator.as_str(),
            l.level.as_str(),
            l.parent_level.as_str()
        ),
        ("v", "statsec2019", "statsec2024")
    );
    // 40 and `?`; the empty code of 2022 is no value.
    assert_eq!((l.values, l.sum, l.codes), (2, 40.0, 1));
    assert_eq!(l.examples[0].0, "S3");
}

/// Missing codes in the total of one parent: (children, parent). `_` = no record for that child.
#[test]
fn missing_codes_in_sums() {
    #[rustfmt::skip]
    let table: &[(&str, &str)] = &[
        ("1 2 3", "6"),
        ("-3 5", "2"),
        ("0", "0"),
        ("0 0", "0"),
        ("1 ? 2", "?"),
        ("1 x 2", "x"),
        ("? x", "x"),          // x wins over ?
        ("x ?", "x"),
        ("1 ? x 2", "x"),
        ("nvt ?", "?"),
        ("nvt x", "x"),
        ("1 nvt 2", "3"),      // nvt is skipped
        ("1 - 2", "3"),        // - is skipped
        ("1 _ 2", "3"),        // no record is the same as -
        ("0 nvt", "0"),
        ("nvt nvt", "nvt"),    // all not applicable stays not applicable
        ("nvt -", "nvt"),
        ("nvt _", "nvt"),
        ("- -", "-"),
        ("_ _", "-"),
    ];
    for (children, want) in table {
        check_sum(children, want);
    }
}

fn check_sum(children: &str, want: &str) {
    let kids: Vec<&str> = children.split_whitespace().collect();
    let codes: Vec<String> = (0..kids.len()).map(|i| format!("C{i}")).collect();
    let links: Vec<String> = codes.iter().map(|c| format!("{c}>P")).collect();
    let load: Vec<String> = codes
        .iter()
        .zip(&kids)
        .map(|(c, v)| format!("{c}={v}"))
        .collect();
    let w = Wb::new()
        .level_items("child", &codes)
        .level("parent", "P Empty")
        .link("child", "parent", &links.join(" "))
        .ind(count("v"))
        .load("v", "child", "2020", &load.join(" "))
        .build();
    let c = peil_compute::compute(&w).unwrap();
    let got = get(&c, "v", "parent", "2020", "P");
    assert!(
        same(got, val(want)),
        "children [{children}]: parent {got}, expected {want}"
    );
    // A parent without children has no value.
    assert!(same(get(&c, "v", "parent", "2020", "Empty"), NONE));
}

#[test]
fn loaded_values_at_a_parent_win_per_cell() {
    const SECTORS: &str = "S1=1 S2=2 S3=4 S4=8 11002ZZZZ=16";
    // (sector values, what is loaded on the wijken and the municipality, expected rows)
    #[rustfmt::skip]
    let table: &[(&str, Loads, Loads)] = &[
        // W1 loaded: it wins even though its sectors sum to 3; W2 stays computed, and the
        // municipality is the sum of what the wijken show.
        (SECTORS, &[("wijk", "W1=100")], &[("wijk", "W1=100 W2=12 11002WONB=16"), ("gemeente", "11002=128")]),
        // A loaded '-' is no record: the computed value stays.
        (SECTORS, &[("wijk", "W1=-")], &[("wijk", "W1=3 W2=12"), ("gemeente", "11002=31")]),
        // A loaded '?' is a value: it wins and poisons the total above.
        (SECTORS, &[("wijk", "W1=?")], &[("wijk", "W1=? W2=12"), ("gemeente", "11002=?")]),
        (SECTORS, &[("wijk", "W2=nvt")], &[("wijk", "W1=3 W2=nvt"), ("gemeente", "11002=19")]),
        (SECTORS, &[("gemeente", "11002=500")], &[("wijk", "W1=3 W2=12"), ("gemeente", "11002=500")]),
        (SECTORS, &[("wijk", "W1=100"), ("gemeente", "11002=7")], &[("wijk", "W1=100"), ("gemeente", "11002=7")]),
        // A loaded zero wins too (it is a real zero, not "no value").
        (SECTORS, &[("wijk", "W2=0")], &[("wijk", "W2=0"), ("gemeente", "11002=19")]),
        // A loaded value on a wijk that no sector value reaches.
        ("S1=1 S2=2 S3=4 S4=8", &[("wijk", "11002WONB=9")], &[("wijk", "11002WONB=9"), ("gemeente", "11002=24")]),
    ];
    for (sectors, loads, rows) in table {
        let mut b = chain()
            .ind(count("v"))
            .load("v", "statsec", "2020", sectors);
        for (level, spec) in loads.iter() {
            b = b.load("v", level, "2020", spec);
        }
        let w = b.build();
        let rows: Vec<Row> = rows.iter().map(|(l, s)| ("v", *l, "2020", *s)).collect();
        check_rows(&format!("loaded {loads:?}"), &w, &rows);
    }
}

/// (child value, child weight) pairs of one parent → the parent's mean, for percentages and
/// means aggregated through their aggregation indicator.
#[test]
fn weighted_means_are_recomputed_through_the_aggregation_indicator() {
    #[rustfmt::skip]
    let table: &[(&str, &str, &str)] = &[
        // values,            weights,        parent
        ("10 50",            "100 300",      "40"),   // (1000 + 15000) / 400; the naive mean is 30
        ("10 50 20",         "100 300 0",    "40"),   // a zero weight contributes nothing
        ("10 - 50",          "100 300 100",  "30"),   // a child without value: its weight is not counted
        ("10 _ 50",          "100 300 100",  "30"),
        ("10 nvt 50",        "100 300 100",  "30"),
        ("10 ? 50",          "100 300 100",  "?"),
        ("10 x ?",           "100 300 1",    "x"),
        ("10 50",            "100 x",        "x"),    // a hidden weight poisons too
        ("nvt nvt",          "100 50",       "nvt"),
        ("10 50",            "0 0",          "-"),    // no weight at all: no value, not infinity
        ("0 0",              "5 5",          "0"),
    ];
    for dt in [DataType::Percentage, DataType::Mean, DataType::Ratio] {
        for (values, weights, want) in table {
            check_weighted(dt, values, weights, want);
        }
    }
}

fn check_weighted(dt: DataType, values: &str, weights: &str, want: &str) {
    let vs: Vec<&str> = values.split_whitespace().collect();
    let ws: Vec<&str> = weights.split_whitespace().collect();
    let codes: Vec<String> = (0..vs.len()).map(|i| format!("C{i}")).collect();
    let links: Vec<String> = codes.iter().map(|c| format!("{c}>P")).collect();
    let spec = |xs: &[&str]| -> String {
        codes
            .iter()
            .zip(xs)
            .map(|(c, v)| format!("{c}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let w = Wb::new()
        .level_items("child", &codes)
        .level("parent", "P")
        .link("child", "parent", &links.join(" "))
        .ind(weighted("p", dt, "pop"))
        .ind(count("pop"))
        .load("p", "child", "2020", &spec(&vs))
        .load("pop", "child", "2020", &spec(&ws))
        .build();
    let c = peil_compute::compute(&w).unwrap();
    let got = get(&c, "p", "parent", "2020", "P");
    assert!(
        same(got, val(want)),
        "{dt:?} values [{values}] weights [{weights}]: parent {got}, expected {want}"
    );
}

#[test]
fn a_weighted_percentage_is_not_the_mean_of_its_children() {
    let w = chain()
        .ind(weighted("p", DataType::Percentage, "pop"))
        .ind(count("pop"))
        .load(
            "pop",
            "statsec",
            "2020",
            "S1=10 S2=30 S3=100 S4=50 11002ZZZZ=10",
        )
        .load(
            "p",
            "statsec",
            "2020",
            "S1=10 S2=30 S3=10 S4=60 11002ZZZZ=50",
        )
        .build();
    let c = peil_compute::compute(&w).unwrap();
    let w1 = get(&c, "p", "wijk", "2020", "W1").number().unwrap();
    let w2 = get(&c, "p", "wijk", "2020", "W2").number().unwrap();
    let g = get(&c, "p", "gemeente", "2020", "11002").number().unwrap();
    // Σ(v·w)/Σw
    assert!(same(val(&w1.to_string()), val("25")), "W1 {w1}");
    assert!((w2 - 4000.0 / 150.0).abs() < 1e-9, "W2 {w2}");
    let want_g = (100.0 + 900.0 + 1000.0 + 3000.0 + 500.0) / 200.0;
    assert!((g - want_g).abs() < 1e-9, "gemeente {g}, expected {want_g}");
    // …and not the naive means.
    assert!((w1 - 20.0).abs() > 1.0 && (w2 - 35.0).abs() > 1.0);
    assert!((g - (w1 + w2 + 50.0) / 3.0).abs() > 1.0);
    assert!((g - (10.0 + 30.0 + 10.0 + 60.0 + 50.0) / 5.0).abs() > 1.0);
    // The weights themselves sum.
    expect(&c, "pop", "gemeente", "2020", "11002=200");
}

#[test]
fn non_aggregable_indicators_are_not_aggregated() {
    let median = Indicator {
        non_aggregable: true,
        ..weighted("median", DataType::Mean, "pop")
    };
    let no_denominator = Indicator {
        data_type: DataType::Percentage,
        ..Indicator::new("pct")
    };
    let label = Indicator {
        data_type: DataType::Label,
        ..Indicator::new("label")
    };
    let count_marked = Indicator {
        non_aggregable: true,
        ..count("cnt")
    };
    for ind in [median, no_denominator, label, count_marked] {
        let code = ind.code.clone();
        let w = chain()
            .ind(ind)
            .ind(count("pop"))
            .load("pop", "statsec", "2020", "S1=1 S2=1 S3=1 S4=1 11002ZZZZ=1")
            .load(&code, "statsec", "2020", "S1=1 S2=2 S3=3 S4=4 11002ZZZZ=5")
            .load(&code, "gemeente", "2020", "11002=42")
            .build();
        check_rows(
            &code,
            &w,
            &[
                (&code, "statsec", "2020", "S1=1 S4=4"),
                (&code, "wijk", "2020", "W1=- W2=- 11002WONB=-"),
                // A loaded value at the top is still shown.
                (&code, "gemeente", "2020", "11002=42"),
            ],
        );
    }
}

#[test]
fn a_conversion_edge_carries_data_from_the_old_division() {
    let w = Wb::new()
        .level("statsec2019", "A B C D")
        .level("statsec2024", "N1 N2")
        .level("wijk2024", "W")
        .conversion("statsec2019", "statsec2024", "A>N1 B>N1 C>N2 D>N2")
        .link("statsec2024", "wijk2024", "N1>W N2>W")
        .ind(count("v"))
        // Old years only exist on the old division, new years on the new one.
        .load("v", "statsec2019", "2018", "A=1 B=2 C=4 D=8")
        .load("v", "statsec2024", "2024", "N1=100 N2=200")
        // Both for 2019: the value loaded on the new division wins per cell.
        .load("v", "statsec2019", "2019", "A=1 B=1 C=1 D=1")
        .load("v", "statsec2024", "2019", "N1=50")
        .build();
    check_rows(
        "conversion",
        &w,
        &[
            ("v", "statsec2024", "2018", "N1=3 N2=12"),
            ("v", "wijk2024", "2018", "W=15"),
            ("v", "wijk2024", "2024", "W=300"),
            ("v", "statsec2024", "2019", "N1=50 N2=2"),
            ("v", "wijk2024", "2019", "W=52"),
        ],
    );
}

#[test]
fn a_conversion_and_an_aggregation_into_the_same_level_agree() {
    // The old division also aggregates straight into the municipality: the municipal total of
    // an old year must not depend on which path the engine takes.
    let w = Wb::new()
        .level("statsec2019", "A B C D E")
        .level("statsec2024", "N1 N2")
        .level("gemeente", "G")
        .conversion("statsec2019", "statsec2024", "A>N1 B>N1 C>N2 D>N2 E>N2")
        .link("statsec2024", "gemeente", "N1>G N2>G")
        .link("statsec2019", "gemeente", "A>G B>G C>G D>G E>G")
        .ind(count("v"))
        .load("v", "statsec2019", "2018", "A=1 B=2 C=4 D=8 E=16")
        .build();
    check_rows("two paths", &w, &[("v", "gemeente", "2018", "G=31")]);
}

#[test]
fn cube_cells_roll_up_per_cell() {
    let w = chain()
        .ind(Indicator {
            dim_levels: vec!["sex".into()],
            ..count("kub")
        })
        .load_dims(
            "kub",
            "statsec",
            "2020",
            "sex=m",
            "S1=1 S2=2 S3=3 S4=4 11002ZZZZ=5",
        )
        .load_dims(
            "kub",
            "statsec",
            "2020",
            "sex=v",
            "S1=10 S2=x S3=30 S4=40 11002ZZZZ=50",
        )
        .build();
    let c = peil_compute::compute(&w).unwrap();
    let m = dims("sex=m");
    let v = dims("sex=v");
    let g = |d, level, item| get_dims(&c, "kub", level, "2020", d, item);
    assert!(same(g(&m, "wijk", "W1"), val("3")));
    assert!(same(g(&m, "gemeente", "11002"), val("15")));
    assert!(same(g(&v, "wijk", "W1"), HIDDEN));
    assert!(same(g(&v, "wijk", "W2"), val("70")));
    assert!(same(g(&v, "gemeente", "11002"), HIDDEN));
}

#[test]
fn cube_coarser_cells_and_totals_are_computed_with_loaded_marginals_winning() {
    let mut w = chain()
        .ind(Indicator {
            dim_levels: vec!["age5".into(), "sex".into()],
            ..count("kub")
        })
        .load_dims(
            "kub",
            "statsec",
            "2020",
            "age5=0-4;sex=m",
            "S1=1 S2=2 S3=3 S4=4",
        )
        .load_dims(
            "kub",
            "statsec",
            "2020",
            "age5=5-9;sex=m",
            "S1=10 S2=20 S3=30 S4=40",
        )
        .load_dims(
            "kub",
            "statsec",
            "2020",
            "age5=0-4;sex=v",
            "S1=100 S2=200 S3=300 S4=400",
        )
        .load_dims(
            "kub",
            "statsec",
            "2020",
            "age5=5-9;sex=v",
            "S1=1000 S2=x S3=3000 S4=4000",
        )
        // A loaded marginal for one sector wins there.
        .load_dims("kub", "statsec", "2020", "sex=m", "S4=999")
        .build();
    // The dimension aggregation table: both 5-year bands are in the band 0-17.
    for m in ["0-4", "5-9"] {
        w.dim_links
            .push((("age5".into(), m.into()), ("age3".into(), "0-17".into())));
    }
    let c = peil_compute::compute(&w).unwrap();
    let g = |d: &str, level, item| get_dims(&c, "kub", level, "2020", &dims(d), item);
    // Coarser age band × sex, per sector and rolled up.
    assert!(same(g("age3=0-17;sex=m", "statsec", "S1"), val("11")));
    assert!(same(g("age3=0-17;sex=v", "statsec", "S1"), val("1100")));
    assert!(same(g("age3=0-17;sex=v", "statsec", "S2"), HIDDEN));
    // Sex totalled over age, and the grand total.
    assert!(same(g("age5=0-4", "statsec", "S3"), val("303")));
    assert!(same(g("", "statsec", "S1"), val("1111")));
    // The loaded marginal wins for S4; the others are the sum of their cells.
    assert!(same(g("sex=m", "statsec", "S4"), val("999")));
    assert!(same(g("sex=m", "statsec", "S1"), val("11")));
}
