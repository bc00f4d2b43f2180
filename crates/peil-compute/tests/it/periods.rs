//! Aggregation over time: coarser periods from finer ones by period type — flows
//! sum, stocks take the last period, average stocks average, growth rates compound — an
//! incomplete period has no value, and a loaded coarser period wins per cell.

use crate::common::*;
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

/// Issue 20, item 5: areas are aggregated per quarter first, then over time, so every area's
/// year and half years are the period rule applied to its own quarters — also where a sector
/// has an empty, `nvt` or hidden quarter (that sector's own year is incomplete and has no
/// value, but its other quarters still count in its parents' quarters, hence in their years).
/// Generated quarters on a three-level hierarchy, for an average stock, a flow, a stock and an
/// average-stock mean weighted by a stock; the expectation is computed here in plain loops.
#[test]
fn every_year_is_the_period_rule_over_the_areas_own_quarters() {
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum V {
        N(f64),
        X,
        Q,
        Nvt,
        E,
    }
    let show = |v: V| match v {
        V::N(x) => format!("{x}"),
        V::X => "x".into(),
        V::Q => "?".into(),
        V::Nvt => "nvt".into(),
        V::E => "-".into(),
    };
    // A total over areas: x before ?, empty and nvt skipped, only nvt stays nvt.
    let total = |vs: &[V]| -> V {
        if vs.contains(&V::X) {
            return V::X;
        }
        if vs.contains(&V::Q) {
            return V::Q;
        }
        let nums: Vec<f64> = vs
            .iter()
            .filter_map(|v| match v {
                V::N(x) => Some(*x),
                _ => None,
            })
            .collect();
        if !nums.is_empty() {
            V::N(nums.iter().sum())
        } else if vs.contains(&V::Nvt) {
            V::Nvt
        } else {
            V::E
        }
    };
    // Σ(v·w)/Σw over areas with a number and a weight; x/? in a value (or in the weight of a
    // number) poison.
    let wmean = |vw: &[(V, V)]| -> V {
        let (mut num, mut den, mut n, mut poison, mut nvt) = (0.0, 0.0, 0, None, false);
        for (v, w) in vw {
            match (v, w) {
                (V::X, _) | (V::N(_), V::X) => poison = Some(V::X),
                (V::Q, _) | (V::N(_), V::Q) if poison != Some(V::X) => poison = Some(V::Q),
                (V::N(a), V::N(b)) => {
                    num += a * b;
                    den += b;
                    n += 1;
                }
                (V::Nvt, _) | (V::N(_), V::Nvt) => nvt = true,
                _ => {}
            }
        }
        match poison {
            Some(p) => p,
            None if n > 0 && den != 0.0 => V::N(num / den),
            None if n > 0 => V::E,
            None if nvt => V::Nvt,
            None => V::E,
        }
    };
    // A period from its sub-periods: poison first, then every sub-period a number, else
    // nothing (all nvt: nvt).
    let over_time = |pt: &str, subs: &[V]| -> V {
        if pt == "stock" {
            return *subs.last().unwrap();
        }
        if subs.contains(&V::X) {
            return V::X;
        }
        if subs.contains(&V::Q) {
            return V::Q;
        }
        let nums: Vec<f64> = subs
            .iter()
            .filter_map(|v| match v {
                V::N(x) => Some(*x),
                _ => None,
            })
            .collect();
        if nums.len() < subs.len() {
            return if subs.iter().all(|v| *v == V::Nvt) {
                V::Nvt
            } else {
                V::E
            };
        }
        match pt {
            "flow" => V::N(nums.iter().sum()),
            _ => V::N(nums.iter().sum::<f64>() / nums.len() as f64),
        }
    };
    let sectors: Vec<String> = (0..9).map(|i| format!("S{i}")).collect();
    let wijk_of = |s: usize| s / 3;
    let mut seed = 7u64;
    let mut rnd = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    for round in 0..4 {
        let mut b = Wb::new()
            .level_items("statsec", &sectors)
            .level("wijk", "W0 W1 W2")
            .level("gemeente", "G")
            .link(
                "statsec",
                "wijk",
                "S0>W0 S1>W0 S2>W0 S3>W1 S4>W1 S5>W1 S6>W2 S7>W2 S8>W2",
            )
            .link("wijk", "gemeente", "W0>G W1>G W2>G")
            .ind(Indicator {
                period_type: PeriodType::AverageStock,
                ..count("avg")
            })
            .ind(flow("fl"))
            .ind(count("st"))
            .ind(count("pop"))
            .ind(Indicator {
                period_type: PeriodType::AverageStock,
                ..weighted("m", DataType::Mean, "pop")
            });
        // (indicator, sector, quarter) → value.
        let mut data: std::collections::HashMap<(&str, usize, usize), V> = Default::default();
        for ind in ["avg", "fl", "st", "pop", "m"] {
            for s in 0..sectors.len() {
                for q in 0..4 {
                    let v = match rnd(if ind == "pop" { 30 } else { 12 }) {
                        0 => V::E,
                        1 => V::Nvt,
                        2 if round > 1 => V::X,
                        3 if round > 2 => V::Q,
                        _ => V::N((1 + rnd(90)) as f64),
                    };
                    data.insert((ind, s, q), v);
                }
            }
            for q in 0..4 {
                let spec: Vec<String> = (0..sectors.len())
                    .map(|s| match data[&(ind, s, q)] {
                        V::E => format!("S{s}=_"),
                        v => format!("S{s}={}", show(v)),
                    })
                    .collect();
                b = b.load(ind, "statsec", &format!("2023Q{}", q + 1), &spec.join(" "));
            }
        }
        let w = b.build();
        let c = peil_compute::compute(&w).unwrap();
        // A custom selection of a wijk's sectors answers as the wijk: areas first, then time.
        let snap = peil_compute::publish(&w, 1, &Default::default()).unwrap();
        let anon = peil_core::Reader::anonymous();
        for ind in ["avg", "fl", "st", "m"] {
            for wk in 0..3 {
                let items: Vec<&str> = (0..9)
                    .filter(|&s| wijk_of(s) == wk)
                    .map(|s| sectors[s].as_str())
                    .collect();
                for period in ["2023Q2", "2023H1", "2023H2", "2023"] {
                    let sel = snap.aggregate_selection(ind, "statsec", per(period), &items, &anon);
                    let wijk = get(&c, ind, "wijk", period, &format!("W{wk}"));
                    match sel {
                        Ok(v) => assert!(
                            same(v, wijk),
                            "round {round}: {ind} W{wk} {period}: selection {v}, wijk {wijk}"
                        ),
                        // Reading a source's own hidden cell is refused, never answered.
                        Err(e) => assert!(round > 1, "round {round}: {ind} W{wk} {period}: {e}"),
                    }
                }
            }
        }
        // Quarters per area: sectors as loaded, parents aggregated per quarter.
        let quarter = |ind: &str, members: &[usize], q: usize| -> V {
            match ind {
                // A sector's own value is its loaded one, whatever its weight.
                _ if members.len() == 1 => data[&(ind, members[0], q)],
                "m" => wmean(
                    &members
                        .iter()
                        .map(|&s| (data[&("m", s, q)], data[&("pop", s, q)]))
                        .collect::<Vec<_>>(),
                ),
                _ => total(
                    &members
                        .iter()
                        .map(|&s| data[&(ind, s, q)])
                        .collect::<Vec<_>>(),
                ),
            }
        };
        let areas: Vec<(&str, String, Vec<usize>)> = (0..sectors.len())
            .map(|s| ("statsec", sectors[s].clone(), vec![s]))
            .chain((0..3).map(|w| {
                (
                    "wijk",
                    format!("W{w}"),
                    (0..9).filter(|&s| wijk_of(s) == w).collect(),
                )
            }))
            .chain(std::iter::once((
                "gemeente",
                "G".to_string(),
                (0..9).collect(),
            )))
            .collect();
        for (ind, pt) in [
            ("avg", "avg"),
            ("fl", "flow"),
            ("st", "stock"),
            ("m", "avg"),
        ] {
            for (level, item, members) in &areas {
                let qs: Vec<V> = (0..4).map(|q| quarter(ind, members, q)).collect();
                for (q, v) in qs.iter().enumerate() {
                    let got = get(&c, ind, level, &format!("2023Q{}", q + 1), item);
                    assert!(
                        same(got, val(&show(*v))),
                        "round {round}: {ind} {item} Q{}: {got} vs {}",
                        q + 1,
                        show(*v)
                    );
                }
                for (period, subs) in [
                    ("2023H1", &qs[0..2]),
                    ("2023H2", &qs[2..4]),
                    ("2023", &qs[..]),
                ] {
                    let want = over_time(pt, subs);
                    let got = get(&c, ind, level, period, item);
                    assert!(
                        same(got, val(&show(want))),
                        "round {round}: {ind} {item} {period}: got {got}, the rule over its own quarters {} gives {}",
                        qs.iter().map(|v| show(*v)).collect::<Vec<_>>().join(" "),
                        show(want)
                    );
                }
            }
        }
    }
}
