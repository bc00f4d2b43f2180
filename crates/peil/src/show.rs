//! `peil show`: an indicator's metadata as Peil read it, and the rules it applies to it.

use crate::site::Site;
use anyhow::{Result, bail};

pub fn run(site: &Site, indicator: &str) -> Result<u8> {
    let indicators = site.store()?.indicators()?;
    if !indicators.iter().any(|i| i.code == indicator) {
        bail!("unknown indicator '{indicator}' (see `peil status`)");
    }
    print!("{}", show_indicator(indicators, indicator)?);
    Ok(0)
}

/// `peil show`: the metadata fields as stored, then the rules the engine will apply — taken
/// from the engine's own functions (`geo_rule`, `check_indicator`), not described anew.
fn show_indicator(indicators: Vec<peil_core::Indicator>, code: &str) -> Result<String> {
    use peil_compute::engine::GeoRule;
    use peil_core::{DataType, PeriodType};
    use std::fmt::Write as _;
    let w = peil_core::Warehouse {
        indicators,
        ..Default::default()
    };
    let c = peil_compute::compute(&w)?;
    let i = c.index[code];
    let ind = &c.indicators[i as usize];
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    let num = |o: Option<f64>| o.map_or_else(|| "-".into(), |x| x.to_string());
    let mut out = String::new();
    let name = ind.name.get("nl").unwrap_or(code);
    writeln!(out, "{code} — {name}")?;
    writeln!(out, "metadata:")?;
    for (k, v) in [
        ("data type", ind.data_type.code().to_string()),
        ("period type", ind.period_type.code().to_string()),
        ("aggregation indicator", opt(&ind.aggregation_indicator)),
        (
            "aggregate geoitems",
            if ind.non_aggregable { "0" } else { "1" }.into(),
        ),
        (
            "aggregate periods",
            if ind.non_aggregable_periods { "0" } else { "1" }.into(),
        ),
        ("threshold", num(ind.threshold)),
        ("threshold indicator", opt(&ind.threshold_indicator)),
        ("sample indicator", opt(&ind.sample_indicator)),
        ("population indicator", opt(&ind.population_indicator)),
        ("rounding", num(ind.rounding)),
        (
            "decimals",
            ind.decimals.map_or_else(|| "-".into(), |d| d.to_string()),
        ),
        ("formula", opt(&ind.formula)),
        (
            "dim levels",
            if ind.dim_levels.is_empty() {
                "-".into()
            } else {
                ind.dim_levels.join("|")
            },
        ),
        (
            "total of",
            if ind.total_of.is_empty() {
                "-".into()
            } else {
                ind.total_of.join(" + ")
            },
        ),
        ("unit", ind.unit.clone()),
        ("source", ind.source.clone()),
        ("visibility", ind.visibility.code()),
        ("status", ind.status.code().into()),
    ] {
        writeln!(out, "  {k:<22} {v}")?;
    }
    writeln!(out, "rules:")?;
    let over_areas = if ind.formula.is_some() {
        "a formula: evaluated on every level from that level's values of its terms".to_string()
    } else {
        match c.rule(i) {
            GeoRule::Sum => "summed (? and x poison a total; nvt and empty are skipped)".into(),
            GeoRule::Weighted(wi) => format!(
                "weighted mean Σ(value·weight)/Σ(weight) by {} over the base areas with a value",
                c.indicators[wi as usize].code
            ),
            GeoRule::None => {
                let why = if ind.non_aggregable {
                    "aggregate geoitems is 0"
                } else if !ind.data_type.is_numeric() {
                    "not numeric"
                } else if matches!(
                    ind.data_type,
                    DataType::Mean | DataType::Percentage | DataType::Ratio
                ) {
                    "a mean, percentage or ratio needs an aggregation indicator that exists"
                } else {
                    "its aggregation indicator does not exist"
                };
                format!("not aggregated ({why}): only loaded values are shown")
            }
        }
    };
    writeln!(out, "  over areas:   {over_areas}")?;
    if !ind.dim_levels.is_empty() && c.rule(i) == GeoRule::Sum {
        writeln!(
            out,
            "  cube cells:   the finest cells (a member of the finest level of each dimension) are \
             summed over areas and periods; every other cell (a coarser band, a dimension total, \
             the grand total) is the sum of the finest cells beneath it, on every level; a loaded \
             one wins for its own cell only (check lists those that differ from their cells)"
        )?;
    }
    let additive = matches!(ind.data_type, DataType::Numeric | DataType::ObjectCount);
    let over_periods = if ind.formula.is_some() {
        "a formula: evaluated per period".to_string()
    } else if ind.non_aggregable_periods {
        "not aggregated (aggregate periods is 0)".into()
    } else if !ind.data_type.is_numeric() {
        "not aggregated (not numeric)".into()
    } else {
        match ind.period_type {
            PeriodType::Independent => {
                "not aggregated: period type independent (or not given), so months, quarters and half years never make a year; set a period type".into()
            }
            PeriodType::Stock => "a stock: a year (quarter, half year) takes its last sub-period's value".into(),
            PeriodType::Flow if additive => "a flow: a year is the sum of its complete sub-periods".into(),
            PeriodType::Flow => "not aggregated (a flow that is not a count cannot be summed)".into(),
            PeriodType::AverageStock => "an average stock: a year is the mean of its sub-periods".into(),
            PeriodType::GrowthRate => "a growth rate: sub-periods compound".into(),
        }
    };
    writeln!(out, "  over periods: {over_periods}")?;
    match ind.threshold.filter(|t| *t > 0.0) {
        Some(t) => {
            let chk = peil_compute::privacy::check_indicator(&c, i);
            let on = if chk == i {
                "itself".to_string()
            } else {
                c.indicators[chk as usize].code.clone()
            };
            writeln!(
                out,
                "  threshold:    non-zero values of {on} below {t} hide the cell (x), on every level"
            )?;
        }
        None => writeln!(out, "  threshold:    none")?,
    }
    // Sum relations with other indicators (from formulas and `total of`; relations found in the
    // values are reported by `peil publish`): suppression protects them together.
    let linked = c.linked();
    let mine: Vec<String> = linked
        .sums
        .iter()
        .filter(|s| s.members().any(|m| m == i))
        .map(|s| s.describe(&c))
        .collect();
    if mine.is_empty() {
        writeln!(out, "  linked:       none declared")?;
    } else {
        writeln!(
            out,
            "  linked:       {} — secondary suppression protects these indicators together",
            mine.join("; ")
        )?;
    }
    for n in linked
        .notes
        .iter()
        .filter(|n| n.starts_with(&format!("{code}:")))
    {
        writeln!(out, "  note:         {n}")?;
    }
    match ind.rounding.filter(|r| *r > 0.0) {
        Some(r) => writeln!(
            out,
            "  rounding:     published values are rounded to a multiple of {r}"
        )?,
        None => writeln!(out, "  rounding:     none")?,
    }
    if ind.is_survey() {
        let bench = match ind.benchmark() {
            None => "the nearest ancestor on a level with a single area (the city)".to_string(),
            Some(b) if b.contains(':') => format!("the area {b}"),
            Some(b) => format!("each area's own area on level {b}"),
        };
        let population = ind
            .population_indicator
            .as_deref()
            .map(|p| format!(" and {p}"))
            .unwrap_or_default();
        let n = ind.sample_indicator.as_deref().unwrap_or("-");
        let inputs = match ind.stddev_indicator.as_deref() {
            Some(sd) if ind.is_survey_mean() => {
                format!("mean ± z·sd/√n·sqrt(1−n/N) from sd {sd}, n {n}{population}")
            }
            _ => format!("z·sqrt(p·(100−p)/n)·sqrt(1−n/N) from {n}{population}"),
        };
        writeln!(
            out,
            "  survey:       {} % intervals {inputs}; significance against {bench}",
            ind.confidence_level(),
        )?;
    }
    Ok(out)
}
