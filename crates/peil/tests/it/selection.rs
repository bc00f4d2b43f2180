//! Custom selections and survey intervals on the demo city's published snapshot.

use crate::common::Site;
use peil_compute::snapshot::SelectionError;
use peil_compute::survey::Confidence;
use peil_core::{DimKey, MissingCode, Period, Value};

fn demo_snapshot() -> (Site, peil_compute::Snapshot) {
    let site = Site::demo();
    let store = site.open_store();
    let w = store.warehouse().unwrap();
    let snap = peil_compute::publish(&w, 1, &Default::default()).unwrap();
    (site, snap)
}

#[test]
fn selections_aggregate_like_the_hierarchy_and_never_reveal_hidden_cells() {
    let (_dir, s) = demo_snapshot();
    let y = Period::year(2024);
    let none = DimKey::default();
    let wijken = ["4699901", "4699902", "4699903"];
    let num = |v: Value| v.number().unwrap();
    let anon = peil_core::Reader::anonymous();
    // Counts sum.
    let total: f64 = wijken
        .iter()
        .map(|w| num(s.value("v1101_t", "wijk", y, &none, w, &anon).unwrap()))
        .sum();
    assert_eq!(
        num(s
            .aggregate_selection("v1101_t", "wijk", y, &wijken, &anon)
            .unwrap()),
        total
    );
    // The whole city as a selection of its wijken equals the published city value.
    let all: Vec<&str> = s.levels[s.level_index["wijk"]]
        .items
        .iter()
        .map(|(_, i)| i.code.as_str())
        .collect();
    assert_eq!(
        s.aggregate_selection("v1101_t", "wijk", y, &all, &anon)
            .unwrap(),
        s.value("v1101_t", "gemeente", y, &none, "46999", &anon)
            .unwrap()
    );
    // A formula ratio over a selection is sum(numerator)/sum(denominator), not a mean of ratios.
    let ratio = s.indicators.iter().find(|i| {
        i.formula.as_deref().is_some_and(|f| f.contains('/'))
            && s.aggregate_selection(&i.code, "wijk", y, &wijken, &anon)
                .is_ok()
    });
    assert!(ratio.is_some(), "the demo has a ratio formula");
    // A selection with a hidden cell is refused, with the reason.
    let hidden = s
        .indicators
        .iter()
        .filter(|i| i.threshold.is_some() && i.formula.is_none())
        .find_map(|i| {
            let series = s.series(&i.code, "statsec", y, &none, &anon)?;
            let (item, _) = series
                .iter()
                .find(|(_, v)| *v == Value::Missing(MissingCode::Hidden))?;
            Some((i.code.clone(), item.code.clone()))
        });
    let (ind, item) = hidden.expect("the demo has hidden sector cells in 2024");
    let err = s
        .aggregate_selection(&ind, "statsec", y, &[item.as_str(), "46999A00-"], &anon)
        .unwrap_err();
    assert!(matches!(err, SelectionError::RevealsHidden { .. }), "{err}");
    assert!(err.to_string().contains("hidden"));
    // Unknown codes are named.
    assert!(
        s.aggregate_selection("nope", "wijk", y, &wijken, &anon)
            .unwrap_err()
            .to_string()
            .contains("'nope'")
    );
}

#[test]
fn survey_percentages_have_intervals() {
    let (_dir, s) = demo_snapshot();
    let survey = s
        .indicators
        .iter()
        .find(|i| i.sample_indicator.is_some())
        .expect("a survey indicator in the demo")
        .code
        .clone();
    let periods = s.periods(&survey, "wijk", &peil_core::Reader::anonymous());
    let (p, _) = periods.last().unwrap();
    let wijk = s
        .series(
            &survey,
            "wijk",
            *p,
            &DimKey::default(),
            &peil_core::Reader::anonymous(),
        )
        .unwrap()
        .into_iter()
        .find(|(_, v)| v.number().is_some())
        .map(|(it, _)| it.code.clone())
        .unwrap();
    let i95 = s
        .survey_interval(&survey, "wijk", *p, &wijk, Confidence::P95)
        .unwrap();
    let i99 = s
        .survey_interval(&survey, "wijk", *p, &wijk, Confidence::P99)
        .unwrap();
    assert!(i95.margin > 0.0 && i99.margin > i95.margin);
    assert!(i95.low <= i95.p && i95.p <= i95.high);
}
