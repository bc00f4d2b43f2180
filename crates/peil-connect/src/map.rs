//! From the source's answers to this site's domain types: codes checked, prefixed (references
//! inside metadata too), texts bounded.

use peil_core::*;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// Longest code accepted from a source.
const MAX_CODE: usize = 128;
/// Longest text (name, description…) accepted from a source.
const MAX_TEXT: usize = 100_000;
/// Most dim levels of one cube, and members of one dim level, accepted from a source.
const MAX_CUBE_LEVELS: usize = 16;
const MAX_MEMBERS: usize = 100_000;

/// The dim levels of a cube as the source publishes them: the cube's own (`dim_levels`, one
/// per dimension) and the coarser ones its cells are also published on, each with its members
/// in the source's order.
pub(crate) fn cube_members(v: &Json) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for d in v
        .get("dimensions")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let level = d
            .get("level")
            .and_then(Json::as_str)
            .filter(|l| good_code(l))
            .ok_or("dimensions holds a level code that is not valid")?;
        let mut members: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for m in d
            .get("members")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let m = m.as_str().filter(|m| good_code(m)).ok_or(format!(
                "dim level {level} has a member code that is not valid"
            ))?;
            if members.len() >= MAX_MEMBERS || !seen.insert(m) {
                return Err(format!("dim level {level}: a member twice, or too many"));
            }
            members.push(m.to_string());
        }
        if out.len() >= 4 * MAX_CUBE_LEVELS || out.iter().any(|(l, _)| l == level) {
            return Err(format!(
                "dim level {level}: listed twice, or too many levels"
            ));
        }
        out.push((level.to_string(), members));
    }
    Ok(out)
}

/// A code a source may send: 1–128 characters, no control characters, no leading or trailing
/// space.
pub(crate) fn good_code(c: &str) -> bool {
    !c.is_empty()
        && c.chars().count() <= MAX_CODE
        && !c.chars().any(char::is_control)
        && c.trim() == c
}

/// A code as one URL query value or path segment.
pub(crate) fn encode(c: &str) -> String {
    let mut out = String::with_capacity(c.len());
    for b in c.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn text(v: &Json, field: &str) -> Result<LocalizedText, String> {
    let mut m = BTreeMap::new();
    match v.get(field) {
        None | Some(Json::Null) => {}
        Some(Json::Object(o)) => {
            for (lang, t) in o {
                let t = t.as_str().ok_or(format!("{field}.{lang} is not text"))?;
                if lang.len() > 8 || t.len() > MAX_TEXT {
                    return Err(format!("{field}.{lang} is too long"));
                }
                m.insert(lang.clone(), t.to_string());
            }
        }
        Some(_) => return Err(format!("{field} is not a text per language")),
    }
    Ok(LocalizedText(m))
}

fn string(v: &Json, field: &str) -> Result<String, String> {
    match v.get(field) {
        None | Some(Json::Null) => Ok(String::new()),
        Some(Json::String(s)) if s.len() <= MAX_TEXT => Ok(s.clone()),
        _ => Err(format!("{field} is not text")),
    }
}

fn reference(v: Option<&Json>, prefix: &str, field: &str) -> Result<Option<String>, String> {
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) if good_code(s) => Ok(Some(format!("{prefix}{s}"))),
        _ => Err(format!("{field} is not an indicator code")),
    }
}

fn period(v: Option<&Json>, field: &str) -> Result<Option<Period>, String> {
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Period::parse(s)
            .map(Some)
            .map_err(|e| format!("{field}: {e}")),
        _ => Err(format!("{field} is not a period")),
    }
}

fn number(v: Option<&Json>, field: &str) -> Result<Option<f64>, String> {
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) => n
            .as_f64()
            .filter(|x| x.is_finite())
            .map(Some)
            .ok_or(format!("{field} is not a number")),
        _ => Err(format!("{field} is not a number")),
    }
}

/// The indicator of `/api/v1/indicators/{code}`, under this site's code, protected. Theme names
/// it carries are added to `theme_names` (by local code). Returns notes for people; `Err` says
/// why the indicator is refused.
pub(crate) fn indicator(
    v: &Json,
    prefix: &str,
    theme_names: &mut BTreeMap<String, LocalizedText>,
) -> Result<(Indicator, Vec<String>), String> {
    let code = v
        .get("code")
        .and_then(Json::as_str)
        .filter(|c| good_code(c))
        .ok_or("the metadata has no valid code")?;
    let local = format!("{prefix}{code}");
    if !good_code(&local) {
        return Err("the prefixed code is too long".into());
    }
    let mut notes = Vec::new();
    let mut dim_levels = Vec::new();
    if v.get("cube").and_then(Json::as_bool) == Some(true) {
        for d in v
            .get("dim_levels")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let d = d
                .as_str()
                .filter(|d| good_code(d))
                .ok_or("dim_levels holds a code that is not valid")?;
            if dim_levels.iter().any(|x| x == d) {
                return Err(format!("dim level {d} is listed twice"));
            }
            dim_levels.push(d.to_string());
        }
        if dim_levels.is_empty() || dim_levels.len() > MAX_CUBE_LEVELS {
            return Err(format!(
                "a cube needs 1 to {MAX_CUBE_LEVELS} dim levels, the source lists {}",
                dim_levels.len()
            ));
        }
    }
    let data_type = DataType::parse(&string(v, "data_type")?).ok_or("unknown data_type")?;
    let period_type = PeriodType::parse(&string(v, "period_type")?).ok_or("unknown period_type")?;
    let agg = v.get("aggregation").cloned().unwrap_or(Json::Null);
    let method = agg.get("method").and_then(Json::as_str).unwrap_or("sum");
    let threshold = v.get("threshold").cloned().unwrap_or(Json::Null);
    let survey = v.get("survey").cloned().unwrap_or(Json::Null);
    let mut themes = Vec::new();
    for t in v
        .get("themes")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let c = t
            .get("code")
            .and_then(Json::as_str)
            .filter(|c| good_code(c))
            .ok_or("a theme without a valid code")?;
        let lc = format!("{prefix}{c}");
        let name = text(t, "name")?;
        if !name.is_empty() {
            theme_names.insert(lc.clone(), name);
        }
        themes.push(lc);
    }
    let mut total_of = Vec::new();
    for r in v
        .get("total_of")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        total_of.push(reference(Some(r), prefix, "total_of")?.ok_or("total_of is empty")?);
    }
    let mut extra = BTreeMap::new();
    if let Some(Json::Object(o)) = v.get("extra") {
        for (k, x) in o {
            if let Some(s) = x.as_str()
                && k.len() <= 200
                && s.len() <= MAX_TEXT
            {
                extra.insert(k.clone(), s.to_string());
            }
        }
    }
    let formula = v.get("formula").and_then(Json::as_str);
    if formula.is_some() || v.get("derived").and_then(Json::as_bool) == Some(true) {
        // The values arrive as published; the formula's inputs may not travel with it.
        notes.push(format!(
            "{local}: a formula at the source; its published values are taken as values"
        ));
        if let Some(f) = formula {
            extra.insert("source formula".into(), f.chars().take(MAX_TEXT).collect());
        }
    }
    let decimals = match v.get("decimals") {
        None | Some(Json::Null) => None,
        Some(d) => Some(
            d.as_u64()
                .filter(|&d| d <= 12)
                .ok_or("decimals is not a small number")? as u8,
        ),
    };
    let status = Lifecycle::parse(&string(v, "status")?).ok_or("unknown status")?;
    let ind = Indicator {
        code: local.clone(),
        name: text(v, "name")?,
        description: text(v, "description")?,
        more_info: text(v, "more_info")?,
        footnote: text(v, "footnote")?,
        unit: string(v, "unit")?,
        source: string(v, "source")?,
        data_type,
        period_type,
        aggregation_indicator: reference(agg.get("indicator"), prefix, "aggregation.indicator")?,
        non_aggregable: method == "none",
        non_aggregable_periods: agg.get("over_periods").and_then(Json::as_bool) == Some(false),
        threshold: number(threshold.get("value"), "threshold.value")?,
        threshold_indicator: reference(threshold.get("indicator"), prefix, "threshold.indicator")?,
        sample_indicator: reference(survey.get("sample_indicator"), prefix, "survey")?,
        population_indicator: reference(survey.get("population_indicator"), prefix, "survey")?,
        stddev_indicator: reference(survey.get("stddev_indicator"), prefix, "survey")?,
        rounding: number(v.get("rounding"), "rounding")?,
        decimals,
        formula: None,
        status,
        // The source's access groups do not travel: restricted there is restricted here, to
        // no group until this site grants it.
        // Set from the source's list of what it offers (`pull`).
        visibility: Visibility::Public,
        themes,
        protected: true,
        start_period: None,
        end_period: None,
        dim_levels,
        total_of,
        seq: None,
        provisional_period: period(v.get("provisional_from"), "provisional_from")?,
        forecast_period: period(v.get("forecast_from"), "forecast_from")?,
        exclude_from_search: false,
        extra,
    };
    Ok((ind, notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn codes_and_references_get_the_prefix() {
        let mut names = BTreeMap::new();
        let (ind, notes) = indicator(
            &json!({
                "code": "v1101_t", "name": {"nl": "Inwoners"}, "data_type": "percentage",
                "period_type": "stock", "aggregation": {"method": "weighted", "indicator": "v1100"},
                "threshold": {"value": 5.0, "indicator": "v1100"},
                "themes": [{"code": "bevolking", "name": {"nl": "Bevolking"}}],
                "formula": "v1 / v2", "status": "active",
            }),
            "dna_",
            &mut names,
        )
        .unwrap();
        assert_eq!(ind.code, "dna_v1101_t");
        assert_eq!(ind.aggregation_indicator.as_deref(), Some("dna_v1100"));
        assert_eq!(ind.threshold_indicator.as_deref(), Some("dna_v1100"));
        assert_eq!(ind.threshold, Some(5.0));
        assert_eq!(ind.themes, vec!["dna_bevolking"]);
        assert!(ind.protected && ind.formula.is_none());
        assert_eq!(notes.len(), 1);
        assert_eq!(names["dna_bevolking"].get("nl"), Some("Bevolking"));
    }

    #[test]
    fn a_cube_keeps_its_dim_levels_and_members() {
        let mut names = BTreeMap::new();
        let meta = json!({
            "code": "kubus", "data_type": "numeric", "period_type": "stock", "cube": true,
            "dim_levels": ["leeftijd5", "geslacht"],
            "dimensions": [{"level": "geslacht", "members": ["m", "v"]},
                           {"level": "leeftijd3", "members": ["0-19", "20-64", "65+"]}],
        });
        let (ind, _) = indicator(&meta, "dna_", &mut names).unwrap();
        assert_eq!(ind.dim_levels, ["leeftijd5", "geslacht"]);
        let members = cube_members(&meta).unwrap();
        assert_eq!(
            members[0],
            (
                "geslacht".to_string(),
                vec!["m".to_string(), "v".to_string()]
            )
        );
        for bad in [
            json!({"dimensions": [{"level": "", "members": []}]}),
            json!({"dimensions": [{"level": "g", "members": ["m", "m"]}]}),
            json!({"dimensions": [{"level": "g", "members": [7]}]}),
            json!({"dimensions": [{"level": "g", "members": []}, {"level": "g", "members": []}]}),
        ] {
            assert!(cube_members(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strangers_input_is_refused() {
        let mut names = BTreeMap::new();
        for bad in [
            json!({"code": ""}),
            json!({"code": "a\u{7}b", "data_type": "numeric", "period_type": "stock"}),
            json!({"code": "a", "data_type": "numeric", "period_type": "stock", "cube": true}),
            json!({"code": "a", "data_type": "numeric", "period_type": "stock", "threshold": {"value": "many"}}),
            json!({"code": "a", "data_type": "numeric", "period_type": "stock", "aggregation": {"indicator": 7}}),
        ] {
            assert!(indicator(&bad, "dna_", &mut names).is_err(), "{bad}");
        }
        assert!(!good_code(" a") && !good_code(&"x".repeat(129)) && good_code("11002"));
        assert_eq!(encode("a b/é"), "a%20b%2F%C3%A9");
    }
}
