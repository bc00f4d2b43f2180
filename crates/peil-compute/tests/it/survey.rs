//! Survey intervals and verdicts of a published snapshot (`survey::Tables`): the indicator's
//! confidence level, the benchmark rules, hidden inputs and the reader check.

use peil_compute::Snapshot;
use peil_compute::survey::{Confidence, Significance, compare, interval};
use peil_core::*;

const Y: &str = "2022";

fn item(code: &str) -> GeoItem {
    GeoItem {
        code: code.into(),
        short_name: code.into(),
        name: format!("Area {code}"),
        seq: 0,
        unknown_location: false,
    }
}

fn level(code: &str, items: &[&str]) -> WarehouseLevel {
    WarehouseLevel {
        level: GeoLevel::new(code),
        items: items
            .iter()
            .enumerate()
            .map(|(k, c)| (k as u32, item(c)))
            .collect(),
    }
}

fn survey(code: &str, extra: &[(&str, &str)]) -> Indicator {
    let mut i = Indicator::new(code);
    i.data_type = DataType::Percentage;
    i.sample_indicator = Some("n".into());
    i.population_indicator = Some("pop".into());
    for (k, v) in extra {
        i.extra.insert(k.to_string(), v.to_string());
    }
    i
}

fn series(ind: &str, lvl: &str, v: &[Value]) -> (SeriesKey, Vec<Value>) {
    (
        SeriesKey {
            indicator: ind.into(),
            level: lvl.into(),
            period: Period::parse(Y).unwrap(),
            dims: DimKey::default(),
        },
        v.to_vec(),
    )
}

const X: Value = Value::Missing(MissingCode::Hidden);

fn num(x: f64) -> Value {
    Value::Number(x)
}

/// Wijken a–e in district d1 (a, b, c) and d2 (d, e), all in the city `city`.
fn snapshot(indicators: Vec<Indicator>) -> Snapshot {
    let levels = vec![
        level("wijk", &["a", "b", "c", "d", "e"]),
        level("district", &["d1", "d2"]),
        level("gemeente", &["city"]),
    ];
    let mut rows = vec![
        // a: ordinary; b: p = 0; c: p = 100 with n = 1; d: hidden p; e: hidden population.
        series(
            "p",
            "wijk",
            &[num(40.0), num(0.0), num(100.0), X, num(55.0)],
        ),
        series(
            "n",
            "wijk",
            &[num(400.0), num(80.0), num(1.0), num(12.0), num(90.0)],
        ),
        series(
            "pop",
            "wijk",
            &[num(1600.0), num(900.0), num(300.0), num(500.0), X],
        ),
        series("p", "district", &[num(30.0), num(50.0)]),
        series("n", "district", &[num(481.0), num(102.0)]),
        series("pop", "district", &[num(2800.0), num(800.0)]),
        series("p", "gemeente", &[num(45.0)]),
        series("n", "gemeente", &[num(5000.0)]),
        series("pop", "gemeente", &[num(200000.0)]),
        // The mean m with its standard deviation msd: a ordinary, b's sd hidden, c negative
        // (a mean's interval is not clipped), d ordinary, e's population hidden.
        series(
            "m",
            "wijk",
            &[num(3.2), num(7.5), num(-0.5), num(6.0), num(4.0)],
        ),
        series("msd", "wijk", &[num(1.1), X, num(2.0), num(1.5), num(1.0)]),
        series("m", "district", &[num(4.0), num(6.5)]),
        series("msd", "district", &[num(1.2), num(1.4)]),
        series("m", "gemeente", &[num(5.0)]),
        series("msd", "gemeente", &[num(1.3)]),
    ];
    for code in ["p90", "pdist", "pfixed", "pnone", "prestricted"] {
        for (k, v) in rows.clone() {
            if k.indicator == "p" {
                rows.push((
                    SeriesKey {
                        indicator: code.into(),
                        ..k
                    },
                    v,
                ));
            }
        }
    }
    let mut snap = Snapshot::from_live(1, indicators, levels, rows);
    let link = |c: &[(&str, &str)]| {
        c.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    snap.links.insert(
        ("wijk".into(), "district".into()),
        link(&[
            ("a", "d1"),
            ("b", "d1"),
            ("c", "d1"),
            ("d", "d2"),
            ("e", "d2"),
        ]),
    );
    snap.links.insert(
        ("district".into(), "gemeente".into()),
        link(&[("d1", "city"), ("d2", "city")]),
    );
    snap
}

fn all_indicators() -> Vec<Indicator> {
    let mut restricted = survey("prestricted", &[]);
    restricted.visibility = Visibility::Restricted(vec!["staff".into()]);
    let mut n = Indicator::new("n");
    n.data_type = DataType::Numeric;
    let mut none = survey("pnone", &[]);
    none.population_indicator = None;
    let mut mean = survey("m", &[]);
    mean.data_type = DataType::Mean;
    mean.stddev_indicator = Some("msd".into());
    vec![
        survey("p", &[]),
        survey("p90", &[(EXTRA_CONFIDENCE, "90")]),
        survey("pdist", &[(EXTRA_BENCHMARK, "district")]),
        survey("pfixed", &[(EXTRA_BENCHMARK, "district:d2")]),
        none,
        restricted,
        n,
        Indicator::new("pop"),
        mean,
        Indicator::new("msd"),
    ]
}

fn y() -> Period {
    Period::parse(Y).unwrap()
}

#[test]
fn intervals_follow_the_formula_and_hidden_inputs_give_none() {
    let snap = snapshot(all_indicators());
    let anon = Reader::anonymous();
    let cells = snap.survey_series("p", "wijk", y(), &anon).unwrap();
    let a = cells[0].unwrap();
    // 1.96 · sqrt(40·60/400) · sqrt(1 − 400/1600).
    let m = 1.959_963_984_540_054 * (40.0f64 * 60.0 / 400.0).sqrt() * 0.75f64.sqrt();
    assert!((a.interval.margin - m).abs() < 1e-12, "{a:?}");
    assert_eq!(
        (a.interval.low, a.interval.high),
        (40.0 - a.interval.margin, 40.0 + a.interval.margin)
    );
    // p = 0 and p = 100 (n = 1) have no sampling error in this formula.
    let b = cells[1].unwrap();
    assert_eq!(
        (b.interval.low, b.interval.high, b.interval.margin),
        (0.0, 0.0, 0.0)
    );
    let c = cells[2].unwrap();
    assert_eq!(
        (c.interval.low, c.interval.high, c.interval.margin),
        (100.0, 100.0, 0.0)
    );
    // A hidden percentage has no interval, nor has one whose population is hidden.
    assert_eq!(cells[3], None);
    assert_eq!(cells[4], None);
    // The 90 % indicator is narrower; the one without population has no correction.
    let a90 = snap.survey_cell("p90", "wijk", y(), "a", &anon).unwrap();
    assert!(
        (a90.interval.margin / a.interval.margin - 1.644_853_626_951_472_2 / 1.959_963_984_540_054)
            .abs()
            < 1e-12
    );
    let nofpc = snap.survey_cell("pnone", "wijk", y(), "a", &anon).unwrap();
    assert!((nofpc.interval.margin - m / 0.75f64.sqrt()).abs() < 1e-12);
    // Hidden population: pnone does not read it, so e has an interval there.
    assert!(snap.survey_cell("pnone", "wijk", y(), "e", &anon).is_some());
}

#[test]
fn benchmarks_follow_the_declared_rule() {
    let snap = snapshot(all_indicators());
    let anon = Reader::anonymous();
    let at = |ind: &str, lvl: &str, it: &str| {
        snap.survey_cell(ind, lvl, y(), it, &anon)
            .and_then(|c| c.benchmark)
            .map(|b| {
                let (l, i) = snap.area_at(b).unwrap();
                format!("{l}:{}", i.code)
            })
    };
    // Default: the city (the nearest ancestor on a single-area level), for wijken and districts.
    assert_eq!(at("p", "wijk", "a").as_deref(), Some("gemeente:city"));
    assert_eq!(at("p", "district", "d2").as_deref(), Some("gemeente:city"));
    assert_eq!(at("p", "gemeente", "city"), None);
    // A level: the area's own ancestor there.
    assert_eq!(at("pdist", "wijk", "a").as_deref(), Some("district:d1"));
    assert_eq!(at("pdist", "district", "d1"), None);
    // A fixed area: every other area, not itself.
    assert_eq!(at("pfixed", "wijk", "a").as_deref(), Some("district:d2"));
    assert_eq!(at("pfixed", "district", "d2"), None);
    assert_eq!(
        at("pfixed", "gemeente", "city").as_deref(),
        Some("district:d2")
    );

    // Verdicts equal `compare` on the published inputs.
    let c = Confidence::P95;
    let verdict = |ind: &str, lvl: &str, it: &str| {
        snap.survey_cell(ind, lvl, y(), it, &anon)
            .and_then(|c| c.significance)
    };
    let city = (45.0, 5000.0, Some(200000.0));
    assert_eq!(
        verdict("p", "wijk", "a"),
        compare((40.0, 400.0, Some(1600.0)), city, c)
    );
    assert_eq!(verdict("p", "wijk", "b"), Some(Significance::Lower));
    assert_eq!(verdict("p", "wijk", "c"), Some(Significance::Higher));
    assert_eq!(
        verdict("pdist", "wijk", "a"),
        compare((40.0, 400.0, Some(1600.0)), (30.0, 481.0, Some(2800.0)), c)
    );
    // Higher levels have intervals too.
    let i = interval(30.0, 481.0, Some(2800.0), c).unwrap();
    assert_eq!(
        snap.survey_cell("p", "district", y(), "d1", &anon)
            .map(|c| c.interval),
        Some(i)
    );
}

#[test]
fn a_hidden_benchmark_gives_no_verdict() {
    let mut inds = all_indicators();
    inds[0]
        .extra
        .insert(EXTRA_BENCHMARK.into(), "wijk:d".into());
    let snap = snapshot(inds);
    let anon = Reader::anonymous();
    let a = snap.survey_cell("p", "wijk", y(), "a", &anon).unwrap();
    assert!(a.benchmark.is_some());
    assert_eq!(a.significance, None);
    // An unknown benchmark: intervals, no verdicts.
    let mut inds = all_indicators();
    inds[0]
        .extra
        .insert(EXTRA_BENCHMARK.into(), "nowhere".into());
    let snap = snapshot(inds);
    let a = snap.survey_cell("p", "wijk", y(), "a", &anon).unwrap();
    assert_eq!((a.benchmark, a.significance), (None, None));
}

#[test]
fn readers_see_intervals_only_of_what_they_may_see() {
    let anon = Reader::anonymous();
    let staff = Reader::key("k", ["staff".to_string()]);
    let snap = snapshot(all_indicators());
    assert_eq!(snap.survey_series("prestricted", "wijk", y(), &anon), None);
    assert!(
        snap.survey_cell("prestricted", "wijk", y(), "a", &staff)
            .is_some()
    );
    // A restricted sample size hides the intervals of a public percentage.
    let mut inds = all_indicators();
    inds[6].visibility = Visibility::Restricted(vec!["staff".into()]);
    let snap = snapshot(inds);
    assert_eq!(snap.survey_cell("p", "wijk", y(), "a", &anon), None);
    assert!(snap.survey_cell("p", "wijk", y(), "a", &staff).is_some());
    // Not a survey indicator: nothing.
    assert_eq!(snap.survey_series("n", "wijk", y(), &staff), None);
}

/// Two-sided normal quantile at 95 % as a printed table gives it (independent of the engine).
const Z95: f64 = 1.9600;

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-4 * b.abs().max(1.0)
}

#[test]
fn means_have_intervals_from_their_standard_deviation() {
    let snap = snapshot(all_indicators());
    let anon = Reader::anonymous();
    let cells = snap.survey_series("m", "wijk", y(), &anon).unwrap();
    // a: 3.2 ± 1.96 · 1.1/√400 · √(1 − 400/1600).
    let se_a = 1.1 / 400f64.sqrt() * 0.75f64.sqrt();
    let a = cells[0].unwrap();
    assert!(near(a.interval.margin, Z95 * se_a), "{a:?}");
    assert!(near(a.interval.low, 3.2 - Z95 * se_a) && near(a.interval.high, 3.2 + Z95 * se_a));
    // A hidden standard deviation gives no interval, nor does a hidden population.
    assert_eq!(cells[1], None);
    assert_eq!(cells[4], None);
    // A mean's interval is not clipped to 0–100: c's lower bound is below zero.
    let se_c = 2.0 / 1f64.sqrt() * (1.0 - 1.0 / 300.0f64).sqrt();
    let c = cells[2].unwrap();
    assert!(near(c.interval.low, -0.5 - Z95 * se_c), "{c:?}");
    assert!(c.interval.low < 0.0);
    // The verdict against the city: the same test as for percentages, on sd/√n.
    let se_city = 1.3 / 5000f64.sqrt() * (1.0 - 5000.0 / 200000.0f64).sqrt();
    let verdict = |x: f64, se: f64| {
        let limit = Z95 * (se * se + se_city * se_city).sqrt();
        if x - 5.0 > limit {
            Significance::Higher
        } else if x - 5.0 < -limit {
            Significance::Lower
        } else {
            Significance::NotSignificant
        }
    };
    assert_eq!(a.significance, Some(verdict(3.2, se_a)));
    assert_eq!(a.significance, Some(Significance::Lower));
    let se_d = 1.5 / 12f64.sqrt() * (1.0 - 12.0 / 500.0f64).sqrt();
    let d = cells[3].unwrap();
    assert_eq!(d.significance, Some(verdict(6.0, se_d)));
    // Higher levels too, and the snapshot's single-cell access agrees.
    let d1 = snap.survey_cell("m", "district", y(), "d1", &anon).unwrap();
    let se_d1 = 1.2 / 481f64.sqrt() * (1.0 - 481.0 / 2800.0f64).sqrt();
    assert!(near(d1.interval.margin, Z95 * se_d1));
    assert_eq!(
        snap.survey_interval("m", "wijk", y(), "a", Confidence::P95),
        Some(a.interval)
    );
    // A mean without a standard-deviation indicator is no survey indicator.
    let mut inds = all_indicators();
    inds[8].stddev_indicator = None;
    let snap = snapshot(inds);
    assert_eq!(snap.survey_series("m", "wijk", y(), &anon), None);
}

#[test]
fn a_restricted_standard_deviation_hides_a_means_intervals() {
    let anon = Reader::anonymous();
    let staff = Reader::key("k", ["staff".to_string()]);
    let mut inds = all_indicators();
    inds[9].visibility = Visibility::Restricted(vec!["staff".into()]);
    let snap = snapshot(inds);
    assert_eq!(snap.survey_series("m", "wijk", y(), &anon), None);
    assert!(snap.survey_cell("m", "wijk", y(), "a", &staff).is_some());
    // So does a restricted population.
    let mut inds = all_indicators();
    inds[7].visibility = Visibility::Restricted(vec!["staff".into()]);
    let snap = snapshot(inds);
    assert_eq!(snap.survey_cell("m", "wijk", y(), "a", &anon), None);
    assert!(snap.survey_cell("m", "wijk", y(), "a", &staff).is_some());
}
