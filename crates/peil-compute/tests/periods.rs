//! Aggregation over time (section 3): coarser periods from finer ones by period type — flows
//! sum, stocks take the last period, average stocks average, growth rates compound — an
//! incomplete period has no value, and a loaded coarser period wins per cell.

mod common;
use common::*;
use peil_core::{DataType, Indicator, PeriodType};

/// Loads per item: `("A", "1 2 3 …")` gives A's values for the sub-periods in order
/// (`_` = no record for that sub-period).
type Columns<'a> = &'a [(&'a str, &'a str)];

fn load_columns(mut b: Wb, ind: &str, year: i32, level: char, cols: Columns) -> Wb {
    let n = match level {
        'M' => 12,
        'Q' => 4,
        'H' => 2,
        _ => unreachable!(),
    };
    for k in 0..n {
        let period = match level {
            'M' => format!("{year}M{:02}", k + 1),
            q => format!("{year}{q}{}", k + 1),
        };
        let spec: Vec<String> = cols
            .iter()
            .map(|(item, vals)| {
                let vs: Vec<&str> = vals.split_whitespace().collect();
                assert_eq!(vs.len(), n, "{item}: need {n} values");
                format!("{item}={}", vs[k])
            })
            .collect();
        b = b.load(ind, "L", &period, &spec.join(" "));
    }
    b
}

/// One case: indicator, sub-period level, columns, extra loads, expected rows
/// (period, cells).
fn check(
    case: &str,
    ind: Indicator,
    level: char,
    cols: Columns,
    extra: &[(&str, &str)],
    want: &[(&str, &str)],
) {
    let code = ind.code.clone();
    let mut b = Wb::new().level("L", "A B").ind(ind);
    b = load_columns(b, &code, 2020, level, cols);
    for (p, spec) in extra {
        b = b.load(&code, "L", p, spec);
    }
    let rows: Vec<Row> = want
        .iter()
        .map(|(p, s)| (code.as_str(), "L", *p, *s))
        .collect();
    check_rows(case, &b.build(), &rows);
}

const TWELVE: &str = "1 2 3 4 5 6 7 8 9 10 11 12";

#[test]
fn flows_sum_months_into_quarters_halves_and_the_year() {
    check(
        "flow",
        flow("f"),
        'M',
        &[("A", TWELVE), ("B", "0 0 0 0 0 0 0 0 0 0 0 5")],
        &[],
        &[
            ("2020Q1", "A=6 B=0"),
            ("2020Q2", "A=15 B=0"),
            ("2020Q4", "A=33 B=5"),
            ("2020H1", "A=21 B=0"),
            ("2020H2", "A=57 B=5"),
            ("2020", "A=78 B=5"),
        ],
    );
}

#[test]
fn an_incomplete_flow_period_has_no_value() {
    check(
        "flow without December",
        flow("f"),
        'M',
        &[("A", "1 2 3 4 5 6 7 8 9 10 11 _"), ("B", TWELVE)],
        &[],
        &[
            ("2020Q3", "A=24 B=24"),
            ("2020Q4", "A=- B=33"),
            ("2020H2", "A=- B=57"),
            ("2020", "A=- B=78"),
        ],
    );
    check(
        "flow without a quarter",
        flow("f"),
        'Q',
        &[("A", "1 2 _ 4"), ("B", "1 2 3 4")],
        &[],
        &[
            ("2020H1", "A=3 B=3"),
            ("2020H2", "A=- B=7"),
            ("2020", "A=- B=10"),
        ],
    );
}

#[test]
fn missing_codes_over_time() {
    check(
        "flow codes",
        flow("f"),
        'Q',
        &[("A", "1 ? 3 4"), ("B", "1 x 3 ?")],
        &[],
        &[
            ("2020H1", "A=? B=x"),
            ("2020H2", "A=7 B=?"),
            ("2020", "A=? B=x"),
        ],
    );
    check(
        "flow all nvt",
        flow("f"),
        'Q',
        &[("A", "nvt nvt nvt nvt"), ("B", "1 2 3 4")],
        &[],
        &[("2020", "A=nvt B=10")],
    );
}

#[test]
fn stocks_take_the_last_period() {
    check(
        "stock",
        count("s"),
        'M',
        &[("A", TWELVE), ("B", "5 5 5 5 5 5 5 5 5 5 5 0")],
        &[],
        &[
            ("2020Q1", "A=3 B=5"),
            ("2020Q4", "A=12 B=0"),
            ("2020H1", "A=6"),
            ("2020", "A=12 B=0"),
        ],
    );
    check(
        "stock without its last month",
        count("s"),
        'M',
        &[("A", "1 2 3 4 5 6 7 8 9 10 11 _"), ("B", TWELVE)],
        &[],
        &[("2020Q4", "A=- B=12"), ("2020", "A=- B=12")],
    );
}

#[test]
fn a_stock_is_the_value_at_the_end_of_the_period_whatever_came_before() {
    // The stock at the end of a quarter is the last month's stock; an unknown January does
    // not make the March stock unknown.
    check(
        "stock with an unknown early month",
        count("s"),
        'M',
        &[
            ("A", "? 2 3 4 5 6 7 8 9 10 11 12"),
            ("B", "1 2 3 4 5 6 7 8 9 10 11 ?"),
        ],
        &[],
        &[
            ("2020Q1", "A=3 B=3"),
            ("2020", "A=12 B=?"),
            ("2020Q4", "B=?"),
        ],
    );
}

#[test]
fn average_stocks_average() {
    let avg = Indicator {
        period_type: PeriodType::AverageStock,
        ..count("avg")
    };
    check(
        "average stock",
        avg,
        'M',
        &[("A", TWELVE), ("B", "2 4 6 2 4 6 2 4 6 2 4 6")],
        &[],
        &[
            ("2020Q1", "A=2 B=4"),
            ("2020Q4", "A=11 B=4"),
            ("2020", "A=6.5 B=4"),
        ],
    );
}

#[test]
fn growth_rates_compound() {
    let g = Indicator {
        data_type: DataType::Percentage,
        period_type: PeriodType::GrowthRate,
        ..Indicator::new("groei")
    };
    let year_a = (1.01 * 1.02 * 1.03 * 1.04 - 1.0) * 100.0;
    let year_b: f64 = (1.10 * 0.90 * 1.0 * 1.0 - 1.0) * 100.0;
    let h1_a = (1.01 * 1.02 - 1.0) * 100.0;
    check(
        "growth rate",
        g,
        'Q',
        &[("A", "1 2 3 4"), ("B", "10 -10 0 0")],
        &[],
        &[
            ("2020H1", &format!("A={h1_a}")),
            ("2020", &format!("A={year_a} B={year_b}")),
        ],
    );
    // -1 % (B) is not the sum of the quarters (0) nor their mean.
    assert!((year_b + 1.0).abs() < 1e-9);
}

#[test]
fn a_loaded_coarser_period_wins_per_cell() {
    check(
        "loaded year, both items",
        flow("f"),
        'M',
        &[("A", TWELVE), ("B", TWELVE)],
        &[("2020", "A=1000 B=2000")],
        &[("2020", "A=1000 B=2000"), ("2020Q1", "A=6 B=6")],
    );
    // The year is loaded for A only: B's year is still the sum of its months.
    check(
        "loaded year, one item",
        flow("f"),
        'M',
        &[("A", TWELVE), ("B", TWELVE)],
        &[("2020", "A=1000")],
        &[("2020", "A=1000 B=78")],
    );
    // A loaded '-' is no record: the computed value stays.
    check(
        "loaded year '-'",
        flow("f"),
        'M',
        &[("A", TWELVE), ("B", TWELVE)],
        &[("2020", "A=- B=5")],
        &[("2020", "A=78 B=5")],
    );
    // A loaded quarter is used for the half year and the year above it.
    check(
        "loaded quarter",
        flow("f"),
        'M',
        &[("A", TWELVE), ("B", TWELVE)],
        &[("2020Q1", "A=100 B=100")],
        &[
            ("2020Q1", "A=100 B=100"),
            ("2020H1", "A=115"),
            ("2020", "A=172 B=172"),
        ],
    );
}

#[test]
fn periods_are_not_aggregated_when_the_indicator_forbids_it() {
    let no_periods = Indicator {
        non_aggregable_periods: true,
        ..flow("f")
    };
    check(
        "non-aggregable periods",
        no_periods,
        'Q',
        &[("A", "1 2 3 4")],
        &[],
        &[("2020", "A=-"), ("2020H1", "A=-")],
    );
    let independent = Indicator {
        period_type: PeriodType::Independent,
        ..count("i")
    };
    check(
        "independent",
        independent,
        'Q',
        &[("A", "1 2 3 4")],
        &[],
        &[("2020", "A=-")],
    );
}

#[test]
fn time_and_space_commute_for_a_flow() {
    // The municipal year of a flow is the sum over sectors of their years, which is the sum
    // over months of the municipal months.
    let mut b = Wb::new()
        .level("statsec", "S1 S2 S3")
        .level("gemeente", "G")
        .link("statsec", "gemeente", "S1>G S2>G S3>G")
        .ind(flow("f"));
    for m in 1..=12 {
        b = b.load(
            "f",
            "statsec",
            &format!("2020M{m:02}"),
            &format!("S1={m} S2={} S3=1", 2 * m),
        );
    }
    let c = peil_compute::compute(&b.build()).unwrap();
    expect(&c, "f", "gemeente", "2020", "G=246");
    expect(&c, "f", "gemeente", "2020Q2", "G=48");
    expect(&c, "f", "statsec", "2020", "S1=78 S2=156 S3=12");
}
