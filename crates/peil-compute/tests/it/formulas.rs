//! Formula indicators: operators and precedence, functions, division by zero,
//! period functions at the edges of a series, the frame rule, data_from_mrp, cell() on a cube,
//! threshold(), missing codes, ratios on parent levels, formulas on formulas, cycles and
//! unknown references.

use crate::common::*;
use peil_compute::ComputeError;
use peil_core::{DataType, Indicator};

/// (indicator, formula) pairs.
type Defs<'a> = &'a [(&'a str, &'a str)];

/// One level `L`; each item exercises one thing:
/// A, B plain numbers; N `b` not applicable; X hidden by the source (`a` 2019); Q unknown
/// (`a` 2019); Z zero denominator; E `b` empty; M `?` and `x` meeting in 2019.
/// `c` has only 2019 and 2020 and only item A; `t` has threshold 5; `g = a + b`.
fn base() -> Wb {
    Wb::new()
        .level("L", "A B N X Q Z E M")
        .ind(count("a"))
        .ind(count("b"))
        .ind(count("c"))
        .ind(with_threshold(count("t"), 5.0))
        .ind(formula("g", "a + b"))
        .load("a", "L", "2019", "A=6 B=9 N=5 X=x Q=? Z=4 E=7 M=?")
        .load("a", "L", "2020", "A=8 B=3 N=1 X=2 Q=3 Z=4 E=1 M=1")
        .load("a", "L", "2021", "A=20 B=1 N=2 X=3 Q=5 Z=0 E=2 M=1")
        .load("b", "L", "2019", "A=2 B=3 N=nvt X=2 Q=1 Z=0 E=- M=x")
        .load("b", "L", "2020", "A=4 B=1 N=nvt X=1 Q=1 Z=0 E=- M=1")
        .load("b", "L", "2021", "A=5 B=2 N=nvt X=1 Q=2 Z=0 E=- M=1")
        .load("c", "L", "2019", "A=100")
        .load("c", "L", "2020", "A=200")
        .load("t", "L", "2019", "A=6 B=3 Z=0")
}

/// Adds formula `f` to the base warehouse and checks its values in one period.
fn check(text: &str, period: &str, want: &str) {
    let w = base().ind(formula("f", text)).build();
    check_rows(&format!("f = {text}"), &w, &[("f", "L", period, want)]);
}

const ALL_NONE: &str = "A=- B=- N=- X=- Q=- Z=- E=- M=-";

#[test]
fn operators_and_precedence() {
    #[rustfmt::skip]
    let table = [
        ("a + b * 2",        "2019", "A=10 B=15"),
        ("(a + b) * 2",      "2019", "A=16 B=24"),
        ("a - b - 1",        "2019", "A=3 B=5"),      // left associative
        ("a / b / 3",        "2019", "A=1 B=1"),      // left associative
        ("-a * b",           "2019", "A=-12 B=-27"),
        ("a - -b",           "2019", "A=8 B=12"),
        ("2 * a / 4 + 1",    "2019", "A=4 B=5.5"),
        ("a * b - a / b",    "2019", "A=9 B=24"),
        ("a+b*2-b/2",        "2019", "A=9 B=13.5"),
        ("((a))",            "2020", "A=8 B=3"),
        ("a * 1.5",          "2021", "A=30 B=1.5"),
    ];
    for (f, p, want) in table {
        check(f, p, want);
    }
}

#[test]
fn functions() {
    #[rustfmt::skip]
    let table = [
        ("sqrt(a)",                "2019", "A=2.449489742783178 B=3 Z=2"),
        ("sqrt(b - a)",            "2019", "A=- B=- Z=-"),          // root of a negative number: no value
        ("abs(b - a)",             "2019", "A=4 B=6 Z=4"),
        ("round(a / 7, 2)",        "2019", "A=0.86 B=1.29 Z=0.57"),
        ("round(a / 4)",           "2019", "A=2 B=2 Z=1"),
        ("min(a, b)",              "2019", "A=2 B=3 Z=0"),
        ("max(a, b, 7)",           "2019", "A=7 B=9 Z=7"),
        ("min(a, b) + max(a, b)",  "2019", "A=8 B=12 Z=4"),
        ("SQRT(a) * Sqrt(a)",      "2020", "A=8 B=3"),
        ("max(a - 10, 0)",         "2021", "A=10 B=0"),
    ];
    for (f, p, want) in table {
        check(f, p, want);
    }
}

#[test]
fn division_by_zero_gives_no_value() {
    #[rustfmt::skip]
    let table = [
        ("a / b",        "2019", "A=3 B=3 Z=-"),
        ("a / 0",        "2019", "A=- B=- Z=-"),
        ("a / (b - b)",  "2020", "A=- B=-"),
        ("0 / b",        "2019", "A=0 Z=-"),
        ("b / a",        "2021", "A=0.25 Z=-"),
        ("(a / b) + 1",  "2019", "Z=-"),                 // no value stays no value after +
        ("1e308 * a * 10", "2019", "A=- B=-"),           // overflow: no value, not infinity
    ];
    for (f, p, want) in table {
        check(f, p, want);
    }
}

/// The documented rules for operands without a number (module doc of `eval.rs`, README
/// "Formulas"): an empty operand (`-`, no record, 0/0 from another formula) gives no value; else
/// `x` and `?` poison (x first); else `nvt` gives `nvt`; `sum()` leaves out empty and `nvt`
/// operands like a total over areas. One row per pair of operands (u, v), one column per
/// formula; `_` loads no record at all.
#[test]
fn missing_codes_in_formulas() {
    const FORMULAS: [&str; 10] = [
        "u + v",
        "u - v",
        "u * v",
        "u / v",
        "sum(u, v)",
        "max(u, v)",
        "-v",
        "round(v)",
        "g * 2 + 1",
        "u * 0",
    ];
    #[rustfmt::skip]
    let table: [(&str, &str, [&str; 10]); 16] = [
        //  u      v       u+v    u-v    u*v    u/v    sum    max    -v     round  g*2+1  u*0
        ("6",   "2",   ["8",   "4",   "12",  "3",   "8",   "6",   "-2",  "2",   "7",   "0"]),
        ("6",   "0",   ["6",   "6",   "0",   "-",   "6",   "6",   "0",   "0",   "-",   "0"]),
        ("0",   "0",   ["0",   "0",   "0",   "-",   "0",   "0",   "0",   "0",   "-",   "0"]),
        ("6",   "-",   ["-",   "-",   "-",   "-",   "6",   "-",   "-",   "-",   "-",   "0"]),
        ("6",   "_",   ["-",   "-",   "-",   "-",   "6",   "-",   "-",   "-",   "-",   "0"]),
        ("6",   "nvt", ["nvt", "nvt", "nvt", "nvt", "6",   "nvt", "nvt", "nvt", "nvt", "0"]),
        ("nvt", "2",   ["nvt", "nvt", "nvt", "nvt", "2",   "nvt", "-2",  "2",   "nvt", "nvt"]),
        ("6",   "?",   ["?",   "?",   "?",   "?",   "?",   "?",   "?",   "?",   "?",   "0"]),
        ("6",   "x",   ["x",   "x",   "x",   "x",   "x",   "x",   "x",   "x",   "x",   "0"]),
        ("x",   "2",   ["x",   "x",   "x",   "x",   "x",   "x",   "-2",  "2",   "x",   "x"]),
        ("?",   "x",   ["x",   "x",   "x",   "x",   "x",   "x",   "x",   "x",   "x",   "?"]),
        ("nvt", "?",   ["?",   "?",   "?",   "?",   "?",   "?",   "?",   "?",   "?",   "nvt"]),
        ("x",   "-",   ["-",   "-",   "-",   "-",   "x",   "-",   "-",   "-",   "-",   "x"]),
        ("-",   "nvt", ["-",   "-",   "-",   "-",   "nvt", "-",   "nvt", "nvt", "-",   "-"]),
        ("nvt", "nvt", ["nvt", "nvt", "nvt", "nvt", "nvt", "nvt", "nvt", "nvt", "nvt", "nvt"]),
        ("-",   "-",   ["-",   "-",   "-",   "-",   "-",   "-",   "-",   "-",   "-",   "-"]),
    ];
    let items: Vec<String> = (0..table.len()).map(|i| format!("R{i}")).collect();
    let load = |col: usize| -> String {
        items
            .iter()
            .zip(&table)
            .map(|(it, row)| format!("{it}={}", if col == 0 { row.0 } else { row.1 }))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut w = Wb::new()
        .level_items("L", &items)
        .ind(count("u"))
        .ind(count("v"))
        // A ratio as another formula: 0/0 has no value, and neither has g * 2 + 1 there.
        .ind(formula("g", "u / v"))
        .load("u", "L", "2020", &load(0))
        .load("v", "L", "2020", &load(1));
    for (k, f) in FORMULAS.iter().enumerate() {
        w = w.ind(formula(&format!("f{k}"), f));
    }
    let c = peil_compute::compute(&w.build()).unwrap();
    for (k, f) in FORMULAS.iter().enumerate() {
        for (it, (u, v, want)) in items.iter().zip(&table) {
            let got = get(&c, &format!("f{k}"), "L", "2020", it);
            assert!(
                same(got, val(want[k])),
                "{f} with u = {u}, v = {v}: got {got}, documented {}",
                want[k]
            );
        }
    }
}

/// Issue 20, item 4: a growth rate over an empty year is no value, not −100 %, and the first
/// year (no previous one) has none either.
#[test]
fn a_growth_rate_over_an_empty_year_has_no_value() {
    let growth = r#"a / data_from_period(a, "-1") * 100 - 100"#;
    let w = Wb::new()
        .level("L", "A B C D")
        .ind(count("a"))
        .ind(formula("gr", growth))
        .load("a", "L", "2020", "A=100 B=100 C=- D=nvt")
        .load("a", "L", "2021", "A=110 B=- C=50 D=50")
        .load("a", "L", "2022", "A=121 C=60 D=nvt")
        .build();
    check_rows(
        growth,
        &w,
        &[
            ("gr", "L", "2020", "A=- B=- C=- D=-"),
            ("gr", "L", "2021", "A=10 B=- C=- D=nvt"),
            ("gr", "L", "2022", "A=10 B=- C=20 D=nvt"),
        ],
    );
}

#[test]
fn period_functions_at_the_edges_of_a_series() {
    let growth = r#"a - data_from_period(a, "-1")"#;
    let shift = r#"data_from_period(a, "+1") + a - a"#;
    let lag = r#"data_from_period(a, "-1")"#;
    let sum3 = r#"a + data_from_period(a, "-1") + data_from_period(a, "-2")"#;
    #[rustfmt::skip]
    let table = [
        // The first year has no previous year: no value, not a(2019).
        (growth, "2019", ALL_NONE),
        (growth, "2020", "A=2 B=-6 N=-4 X=x Q=? Z=0 E=-6 M=?"),
        (growth, "2021", "A=12 B=-2 N=1 X=1 Q=2 Z=-4 E=1 M=0"),
        // The frame rule: the series moves one year back, and its last year is empty.
        (shift, "2019", "A=8 B=3 N=1 X=x Q=? Z=4 E=1 M=?"),
        (shift, "2020", "A=20 B=1 N=2 X=3 Q=5 Z=0 E=2 M=1"),
        (shift, "2021", ALL_NONE),
        // Only a shifted term: its own periods moved.
        (lag, "2019", ALL_NONE),
        (lag, "2020", "A=6 B=9 X=x Q=?"),
        (lag, "2022", "A=20 B=1 Z=0"),
        // A three-year cumulative sum only exists from the third year on.
        (sum3, "2019", ALL_NONE),
        (sum3, "2020", ALL_NONE),
        (sum3, "2021", "A=34 B=13 N=8 X=x Q=? Z=8 E=10 M=?"),
        // A plain term outside its own series: c has no 2021 at all.
        ("a + c", "2021", "A=- B=-"),
        // An item without record in an existing series has no value either.
        ("a + c", "2019", "A=106 B=- X=- Z=-"),
    ];
    for (f, p, want) in table {
        check(f, p, want);
    }
}

#[test]
fn period_offsets_count_periods_of_the_formulas_own_level() {
    let w = Wb::new()
        .level("L", "A")
        .ind(flow("q"))
        .ind(formula("prev", r#"q - data_from_period(q, "-1")"#))
        .ind(formula("yoy", r#"q - data_from_period(q, "-4")"#))
        .load("q", "L", "2019Q3", "A=1")
        .load("q", "L", "2019Q4", "A=2")
        .load("q", "L", "2020Q1", "A=4")
        .load("q", "L", "2020Q2", "A=8")
        .load("q", "L", "2020Q3", "A=16")
        .load("q", "L", "2020Q4", "A=32")
        .build();
    check_rows(
        "quarters",
        &w,
        &[
            ("prev", "L", "2019Q3", "A=-"),
            ("prev", "L", "2020Q1", "A=2"), // 2020Q1 − 2019Q4
            ("yoy", "L", "2020Q3", "A=15"), // 2020Q3 − 2019Q3
            ("yoy", "L", "2020Q2", "A=-"),  // no 2019Q2
            // The year 2020 is complete (sum 60), 2019 is not: no year-on-year value.
            ("q", "L", "2020", "A=60"),
            ("prev", "L", "2020", "A=-"),
        ],
    );
}

#[test]
fn the_periods_of_a_formula_are_those_of_its_frame() {
    #[rustfmt::skip]
    let table = [
        ("a + b",                                    "2019 2020 2021"),
        ("a * 2",                                    "2019 2020 2021"),
        (r#"data_from_period(a, "-1")"#,             "2020 2021 2022"),
        (r#"data_from_period(a, "+1") + a - a"#,     "2019 2020"),
        (r#"a - data_from_period(a, "-1")"#,         "2020 2021"),
        ("data_from_mrp(a, 1) + b - b",              "2019 2020 2021"),
        ("threshold(t)",                             "2019"),
        ("100",                                      ""),
        // No term gives it periods: it never has a value (the import warns).
        ("data_from_mrp(a, 2)",                      ""),
    ];
    for (f, want) in table {
        let w = base().ind(formula("f", f)).build();
        let c = peil_compute::compute(&w).unwrap();
        assert_eq!(periods(&c, "f", "L").join(" "), want, "periods of f = {f}");
    }
}

#[test]
fn data_from_mrp() {
    #[rustfmt::skip]
    let table = [
        ("data_from_mrp(a, 1) + b - b", "2019", "A=20 B=1 Z=0 X=3"),
        ("data_from_mrp(a, 1) + b - b", "2021", "A=20 B=1 Z=0"),
        ("data_from_mrp(a, 0) + b - b", "2020", "A=20 B=1"),     // 0 and 1 both mean the latest
        ("data_from_mrp(a, 2) + b - b", "2019", "A=8 B=3 Z=4"),
        ("data_from_mrp(a, 3) + b - b", "2021", "A=6 B=9"),
        // There is no fourth most recent period: no value (not 0 = nothing + b - b).
        ("data_from_mrp(a, 4) + b - b", "2019", "A=- B=- Z=-"),
        ("a / data_from_mrp(a, 1) * 100", "2020", "A=40 B=300 Z=-"),
    ];
    for (f, p, want) in table {
        check(f, p, want);
    }
}

/// Issue 20, item 7: a series that the source hid entirely still has periods, so its most
/// recent period is `x`, not nothing; a period of nothing but empty cells is not a period.
#[test]
fn data_from_mrp_of_a_hidden_series_is_hidden() {
    let w = base()
        .ind(count("h"))
        .load("h", "L", "2019", "A=x B=x")
        .load("h", "L", "2020", "A=x B=x")
        .load("h", "L", "2021", "A=- B=-")
        .ind(formula("f", "data_from_mrp(h, 1) + a - a"))
        .ind(formula("f2", "data_from_mrp(h, 2) + a - a"))
        .ind(formula("f3", "data_from_mrp(h, 3) + a - a"))
        .build();
    check_rows(
        "mrp of x",
        &w,
        &[
            ("f", "L", "2021", "A=x B=x"),
            ("f2", "L", "2021", "A=x B=x"),
            ("f3", "L", "2021", "A=- B=-"),
        ],
    );
}

#[test]
fn threshold_applies_the_threshold_inside_a_formula() {
    check("threshold(t)", "2019", "A=6 B=x Z=0");
    check("threshold(t) * 2 + 1", "2019", "A=13 B=x Z=1");
    // The plain term is not censored by the formula engine (privacy comes later).
    check("t * 2", "2019", "A=12 B=6 Z=0");
}

#[test]
fn formulas_on_formulas() {
    check("g * 2 - a", "2019", "A=10 B=15 N=nvt X=x Q=? E=-");
    let w = base()
        .ind(formula("h2", "h1 * 10"))
        .ind(formula("h1", "g + 1"))
        .build();
    check_rows(
        "chain declared out of order",
        &w,
        &[("h2", "L", "2020", "A=130 B=50")],
    );
}

/// statsec → wijk → gemeente with a ratio formula and a loaded percentage.
#[test]
fn a_ratio_on_a_parent_level_is_the_ratio_of_sums() {
    let w = Wb::new()
        .level("statsec", "S1 S2 S3 S4")
        .level("wijk", "W1 W2")
        .level("gemeente", "G")
        .link("statsec", "wijk", "S1>W1 S2>W1 S3>W2 S4>W2")
        .link("wijk", "gemeente", "W1>G W2>G")
        .ind(count("num"))
        .ind(count("den"))
        .ind(Indicator {
            data_type: DataType::Percentage,
            aggregation_indicator: Some("den".into()),
            ..formula("r", "num / den * 100")
        })
        .ind(weighted("p", DataType::Percentage, "den"))
        .load("num", "statsec", "2020", "S1=1 S2=9 S3=10 S4=30")
        .load("den", "statsec", "2020", "S1=10 S2=30 S3=100 S4=50")
        .load("p", "statsec", "2020", "S1=10 S2=30 S3=10 S4=60")
        .build();
    let c = peil_compute::compute(&w).unwrap();
    let want_w2 = 40.0 / 150.0 * 100.0;
    let want_g = 50.0 / 190.0 * 100.0;
    expect(&c, "r", "statsec", "2020", "S1=10 S2=30 S3=10 S4=60");
    expect(&c, "r", "wijk", "2020", &format!("W1=25 W2={want_w2}"));
    expect(&c, "r", "gemeente", "2020", &format!("G={want_g}"));
    // The loaded percentage aggregated through its denominator agrees with the formula.
    expect(&c, "p", "wijk", "2020", &format!("W1=25 W2={want_w2}"));
    expect(&c, "p", "gemeente", "2020", &format!("G={want_g}"));
    // Not the mean of the children's ratios.
    let g = get(&c, "r", "gemeente", "2020", "G").number().unwrap();
    assert!((g - (25.0 + want_w2) / 2.0).abs() > 0.1);
    assert!((g - (10.0 + 30.0 + 10.0 + 60.0) / 4.0).abs() > 0.1);
}

/// A cube `kub` (age5 × sex) on sectors S1, S2 in wijk W; age5 rolls up into age3.
fn cube() -> Wb {
    let mut b = Wb::new()
        .level("statsec", "S1 S2")
        .level("wijk", "W")
        .link("statsec", "wijk", "S1>W S2>W")
        .ind(Indicator {
            dim_levels: vec!["age5".into(), "sex".into()],
            ..count("kub")
        })
        .ind(count("pop"))
        .load("pop", "statsec", "2020", "S1=100 S2=1000")
        .dim_link(("age5", "0-4"), ("age3", "jong"))
        .dim_link(("age5", "5-9"), ("age3", "jong"))
        .dim_link(("age5", "65-69"), ("age3", "65+"))
        .dim_link(("age5", "70+"), ("age3", "65+"));
    let mut k = 1;
    for age in ["0-4", "5-9", "65-69", "70+"] {
        for sex in ["m", "v"] {
            b = b.load_dims(
                "kub",
                "statsec",
                "2020",
                &format!("age5={age};sex={sex}"),
                &format!("S1={k} S2={}", k * 10),
            );
            k += 1;
        }
    }
    b
}

#[test]
fn cell_takes_one_cell_out_of_a_cube() {
    // S1 cells: (0-4,m)=1 (0-4,v)=2 (5-9,m)=3 (5-9,v)=4 (65-69,m)=5 (65-69,v)=6 (70+,m)=7 (70+,v)=8
    #[rustfmt::skip]
    let table = [
        ("cell(kub, 65+)",                  "S1=26 S2=260 W=286"),  // through the dim links, sex totalled
        ("cell(kub, age3=65+)",             "S1=26 S2=260 W=286"),
        ("cell(kub, 65+, m)",               "S1=12 S2=120 W=132"),
        ("cell(kub, sex=v)",                "S1=20 S2=200 W=220"),  // age totalled
        ("cell(kub, 0-4)",                  "S1=3 S2=30 W=33"),
        ("cell(kub, 0-4, v)",               "S1=2 S2=20 W=22"),
        ("cell(kub, jong) + cell(kub, 65+)", "S1=36 S2=360 W=396"),
        ("cell(kub, 65+) / pop * 100",      "S1=26 S2=26 W=26"),
        ("cell(kub, nobody)",               "S1=- S2=- W=-"),
    ];
    for (f, want) in table {
        let w = cube().ind(formula("f", f)).build();
        let c = peil_compute::compute(&w).unwrap();
        for (item, v) in cells(want) {
            let level = if item == "W" { "wijk" } else { "statsec" };
            let got = get(&c, "f", level, "2020", &item);
            assert!(same(got, v), "f = {f}: {item} got {got}, expected {v}");
        }
    }
}

#[test]
fn a_loaded_marginal_total_wins_for_its_own_cell_only() {
    // The sex=m total is loaded for S1 only (and differs from the sum of its cells, 16).
    let w = cube()
        .load_dims("kub", "statsec", "2020", "sex=m", "S1=100")
        .ind(formula("f", "cell(kub, m)"))
        .ind(formula("t", "cell(kub, m) + cell(kub, v)"))
        .build();
    let c = peil_compute::compute(&w).unwrap();
    expect(&c, "f", "statsec", "2020", "S1=100 S2=160");
    // The wijk's total is computed from the finest cells (16 + 160), not from S1's loaded
    // total: a loaded marginal feeds no other cell, so men + women is the total above S1.
    expect(&c, "f", "wijk", "2020", "W=176");
    expect(&c, "t", "wijk", "2020", "W=396");
    expect(&c, "kub", "wijk", "2020", "W=396");
    // The sector's grand total is computed from its cells too (36), not 100 + 20.
    let total = |level, item| get_dims(&c, "kub", level, "2020", &dims(""), item);
    assert!(same(total("statsec", "S1"), val("36")));
    // The disagreement is listed (check and publish show it).
    let m = peil_compute::marginal_mismatches(&c);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!((m[0].differ, m[0].alone), (1, 0));
    assert!(
        m[0].to_string()
            .contains("S1 2020 sex=m: loaded 100, cells 16"),
        "{}",
        m[0]
    );
    // Loaded for every sector: each wins at its sector, the wijk is still its cells' sum.
    let w = cube()
        .load_dims("kub", "statsec", "2020", "sex=m", "S1=100 S2=160")
        .ind(formula("f", "cell(kub, m)"))
        .build();
    let c = peil_compute::compute(&w).unwrap();
    expect(&c, "f", "statsec", "2020", "S1=100 S2=160");
    expect(&c, "f", "wijk", "2020", "W=176");
    // S2's loaded total agrees with its cells: only S1 is listed.
    let m = peil_compute::marginal_mismatches(&c);
    assert_eq!(m.iter().map(|m| m.differ).sum::<usize>(), 1, "{m:?}");
}

#[test]
fn cycles_are_refused_and_named() {
    #[rustfmt::skip]
    let table: &[(Defs, &[&str])] = &[
        (&[("f1", "f2 + 1"), ("f2", "f1 * 2")], &["f1", "f2"]),
        (&[("f", r#"data_from_period(f, "-1") + a"#)], &["f"]),
        (&[("f1", "a + f2"), ("f2", "threshold(f3)"), ("f3", "cell(f1, m)")], &["f1", "f2", "f3"]),
        (&[("ok", "a + 1"), ("f1", "ok + f2"), ("f2", "data_from_mrp(f1, 1)")], &["f1", "f2"]),
    ];
    for (defs, members) in table {
        let mut b = base();
        for (code, text) in defs.iter() {
            b = b.ind(formula(code, text));
        }
        match peil_compute::compute(&b.build()) {
            Err(ComputeError::Cycle(cycle)) => {
                assert_eq!(
                    cycle.first(),
                    cycle.last(),
                    "{defs:?}: {cycle:?} is not closed"
                );
                let mut inner: Vec<&str> = cycle[1..].iter().map(String::as_str).collect();
                inner.sort();
                assert_eq!(inner, *members, "{defs:?}: cycle {cycle:?}");
                let msg = ComputeError::Cycle(cycle.clone()).to_string();
                for m in members.iter() {
                    assert!(msg.contains(m), "{msg}");
                }
            }
            Err(e) => panic!("{defs:?}: expected a cycle, got {e}"),
            Ok(_) => panic!("{defs:?}: expected a cycle, got values"),
        }
    }
}

#[test]
fn a_cycle_through_an_aggregation_weight_is_refused() {
    // p is aggregated weighted by f, and f is computed from p.
    let w = base()
        .ind(weighted("p", DataType::Percentage, "f"))
        .ind(formula("f", "p * 2"))
        .build();
    match peil_compute::compute(&w) {
        Err(ComputeError::Cycle(cycle)) => {
            assert!(
                cycle.contains(&"p".to_string()) && cycle.contains(&"f".to_string()),
                "{cycle:?}"
            );
        }
        other => panic!("expected a cycle, got {:?}", other.err()),
    }
}

#[test]
fn unknown_references_and_bad_formulas_are_refused() {
    #[rustfmt::skip]
    let table = [
        ("a + nope",                            "nope"),
        (r#"data_from_period(nope, "-1")"#,     "nope"),
        ("data_from_mrp(nope, 1) + a",          "nope"),
        ("threshold(nope)",                     "nope"),
        ("cell(nope, m)",                       "nope"),
        ("a +",                                 "end of formula"),
        ("sqr(a)",                              "sqr"),
    ];
    for (text, mention) in table {
        let w = base().ind(formula("f", text)).build();
        match peil_compute::compute(&w) {
            Err(ComputeError::Formula { indicator, message }) => {
                assert_eq!(indicator, "f", "{text}");
                assert!(message.contains(mention), "{text}: {message}");
            }
            Err(e) => panic!("{text}: expected a formula error, got {e}"),
            Ok(_) => panic!("{text}: expected a formula error, got values"),
        }
    }
}
