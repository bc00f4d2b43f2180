//! Builders the unit tests of this crate share: a record set over the dates `in` and `uit`,
//! count measures, and records.

use peil_core::records::{MeasureDef, MeasureKind, RecordSetDef};
use std::collections::BTreeMap;

/// A record set `name` on level `s` (area column `a`, id column `id`) with the dates `in` and
/// `uit`, the given category columns and threshold, and no numbers, measures or dashboard.
pub(crate) fn record_set(name: &str, categories: &[&str], threshold: f64) -> RecordSetDef {
    RecordSetDef {
        name: name.into(),
        id: "id".into(),
        area: "a".into(),
        level: "s".into(),
        dates: vec!["in".into(), "uit".into()],
        categories: categories.iter().map(|c| c.to_string()).collect(),
        numbers: vec![],
        source: String::new(),
        threshold,
        measures: vec![],
        location: None,
        dashboard: None,
    }
}

/// A count measure: its code, date, filter and period levels.
pub(crate) fn count_def(
    code: &str,
    date: &str,
    filter: &[(&str, &[&str])],
    periods: &[&str],
) -> MeasureDef {
    MeasureDef {
        code: code.into(),
        name: code.into(),
        name_en: None,
        name_fr: None,
        description: String::new(),
        kind: MeasureKind::Count,
        date: date.into(),
        field: None,
        from: None,
        to: None,
        p: None,
        filter: filter
            .iter()
            .map(|(c, l)| (c.to_string(), l.iter().map(|x| x.to_string()).collect()))
            .collect(),
        within: None,
        condition: BTreeMap::new(),
        periods: periods.iter().map(|p| p.to_string()).collect(),
        levels: vec![],
        unit: None,
        decimals: None,
    }
}
