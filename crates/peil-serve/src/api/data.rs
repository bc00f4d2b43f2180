//! The data query (indicators × areas or a custom selection × periods × cube cells) and the
//! area profile.

use super::catalog::{flag, parse_period_level, theme_subtree, visible_themes};
use super::formats::{Cell, Col, Format, Kind, Table, negotiate};
use super::{
    ApiError, ApiResult, BASE, Ctx, Req, jnum, json_response, json_text_response, natural_cmp,
    period_name, seg, texts, vary,
};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use peil_compute::snapshot::SelectionError;
use peil_compute::survey::Cell as SurveyCell;
use peil_core::{DimKey, MissingCode, Period, PeriodLevel, Value};
use serde_json::{Value as Json, json};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

/// Rows a workbook may hold (a spreadsheet is not the place for more; use CSV).
pub const MAX_XLSX_ROWS: usize = 100_000;

/// The code of the custom selection among the areas of an answer.
pub const SELECTION_CODE: &str = "_selection";

const DATA_PARAMS: [&str; 9] = [
    "indicator",
    "level",
    "items",
    "selection",
    "selection_name",
    "period",
    "periodlevel",
    "dims",
    "geometry",
];

/// Which periods a request asks for.
#[derive(Debug, Clone, PartialEq)]
enum PeriodSpec {
    All,
    Fixed(Period),
    /// The n-th most recent period (0 = latest).
    Mrp(u32),
    Range(Period, Period),
}

/// Which cube cells a request asks for.
#[derive(Debug, Clone, PartialEq)]
enum DimSpec {
    /// Only the total (flat indicators have nothing else).
    Total,
    /// Every published cell.
    All,
    /// Cells broken down by exactly these dimension levels (those the cube has).
    Levels(BTreeSet<String>),
}

fn parse_periods(req: &Req) -> ApiResult<Vec<PeriodSpec>> {
    let Some(list) = req.list("period") else {
        return Ok(vec![PeriodSpec::All]);
    };
    let bad = |s: &str, why: String| {
        ApiError::bad_request(format!("period '{s}': {why}")).with("parameter", json!("period"))
    };
    let mut out = Vec::new();
    for s in list {
        let spec = if s == "all" {
            PeriodSpec::All
        } else if s == "mrp" {
            PeriodSpec::Mrp(0)
        } else if let Some(n) = s.strip_prefix("mrp-") {
            PeriodSpec::Mrp(
                n.parse::<u32>()
                    .ok()
                    .filter(|_| n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        bad(
                            &s,
                            "mrp-N takes a whole number below 10000: mrp-1 is the period before the latest".into(),
                        )
                    })?,
            )
        } else if let Some((a, b)) = s.split_once(':') {
            let a = period_code(a).map_err(|e| bad(&s, e))?;
            let b = period_code(b).map_err(|e| bad(&s, e))?;
            // A reversed range is read the right way round.
            let (a, b) = if a.bounds().0 <= b.bounds().0 {
                (a, b)
            } else {
                (b, a)
            };
            PeriodSpec::Range(a, b)
        } else {
            PeriodSpec::Fixed(period_code(&s).map_err(|e| bad(&s, e))?)
        };
        if !out.contains(&spec) {
            out.push(spec);
        }
    }
    Ok(out)
}

/// A period as the API writes it: `2024`, `2024H1`, `2024Q3`, `2024M03` (other spellings are
/// refused with the canonical one suggested).
fn period_code(s: &str) -> Result<Period, String> {
    match Period::parse(s) {
        Ok(p) if p.code() == s => Ok(p),
        Ok(p) => Err(format!("write it as {}", p.code())),
        Err(e) => Err(e.to_string()),
    }
}

fn parse_dims(ctx: &Ctx, req: &Req) -> ApiResult<DimSpec> {
    let Some(list) = req.list("dims") else {
        return Ok(DimSpec::Total);
    };
    match list.as_slice() {
        [one] if one == "total" => return Ok(DimSpec::Total),
        [one] if one == "all" => return Ok(DimSpec::All),
        _ => {}
    }
    let known = &ctx.idx().dim_levels;
    let mut set = BTreeSet::new();
    for d in list {
        if !known.contains(&d) {
            return Err(ApiError::unknown(
                "dimension level",
                &d,
                known.iter().map(String::as_str).chain(["total", "all"]),
            ));
        }
        set.insert(d);
    }
    Ok(DimSpec::Levels(set))
}

/// One requested indicator: its periods and cube cells.
struct IndPlan {
    i: u32,
    periods: Vec<Period>,
    keys: Vec<DimKey>,
}

/// Orders cube cells: the total first, then by how many dimensions they split, then
/// naturally by level and member.
fn key_cmp(a: &DimKey, b: &DimKey) -> std::cmp::Ordering {
    a.0.len().cmp(&b.0.len()).then_with(|| {
        for ((la, ma), (lb, mb)) in a.0.iter().zip(&b.0) {
            let o = la.cmp(lb).then_with(|| natural_cmp(ma, mb));
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    })
}

fn period_cmp(a: &Period, b: &Period) -> std::cmp::Ordering {
    b.level.cmp(&a.level).then(a.cmp(b))
}

/// The periods and cells of one indicator on a level.
fn plan_indicator(
    ctx: &Ctx,
    i: u32,
    level: usize,
    specs: &[PeriodSpec],
    pl: Option<PeriodLevel>,
    dims: &DimSpec,
) -> IndPlan {
    let code = ctx.code(i);
    let level_code = &ctx.snap.levels[level].level.code;
    let avail = ctx.snap.periods(code, level_code);
    let ind_levels: BTreeSet<&str> = avail
        .iter()
        .flat_map(|(_, k)| k.0.iter().map(|(l, _)| l.as_str()))
        .collect();
    let want: Option<BTreeSet<&str>> = match dims {
        DimSpec::Total => Some(BTreeSet::new()),
        DimSpec::All => None,
        DimSpec::Levels(set) => Some(
            set.iter()
                .map(String::as_str)
                .filter(|l| ind_levels.contains(l))
                .collect(),
        ),
    };
    let key_ok = |k: &DimKey| match &want {
        None => true,
        Some(w) => k.0.len() == w.len() && k.0.iter().all(|(l, _)| w.contains(l.as_str())),
    };
    let sel: Vec<(Period, &DimKey)> = avail
        .into_iter()
        .filter(|(p, k)| key_ok(k) && pl.is_none_or(|x| p.level == x))
        .collect();
    let have: BTreeSet<Period> = sel.iter().map(|(p, _)| *p).collect();
    let mut keys: Vec<DimKey> = if want.as_ref().is_some_and(|w| w.is_empty()) {
        vec![DimKey::default()]
    } else {
        let set: BTreeSet<&DimKey> = sel.iter().map(|(_, k)| *k).collect();
        set.into_iter().cloned().collect()
    };
    keys.sort_by(key_cmp);
    // "Most recent" counts on the coarsest period level the indicator has (or the one asked).
    let mrp_level = pl.or_else(|| have.iter().map(|p| p.level).max());
    let recent: Vec<Period> = have
        .iter()
        .copied()
        .filter(|p| Some(p.level) == mrp_level)
        .collect();
    let mut periods: Vec<Period> = Vec::new();
    for s in specs {
        match s {
            PeriodSpec::All => periods.extend(have.iter().copied()),
            PeriodSpec::Fixed(p) => periods.push(*p),
            PeriodSpec::Mrp(n) => {
                if let Some(p) = recent.iter().rev().nth(*n as usize) {
                    periods.push(*p);
                }
            }
            PeriodSpec::Range(a, b) => periods.extend(have.iter().copied().filter(|p| {
                (p.level == a.level || p.level == b.level)
                    && p.bounds().0 >= a.bounds().0
                    && p.bounds().1 <= b.bounds().1
            })),
        }
    }
    periods.sort_by(period_cmp);
    periods.dedup();
    IndPlan { i, periods, keys }
}

/// An area of the answer: a listed area or the custom selection.
struct OutItem<'a> {
    code: Cow<'a, str>,
    name: Cow<'a, str>,
    /// Position on the level (`None` for the selection).
    pos: Option<usize>,
}

struct Row {
    ind: u32,
    item: u32,
    period: u32,
    key: u32,
    value: Value,
    flag: Option<&'static str>,
    /// The survey interval and verdict (survey indicators the reader may see; none for a
    /// hidden value, a cube cell or a custom selection).
    survey: Option<SurveyCell>,
}

/// A data answer before it is written in some format.
struct Answer<'a> {
    level: usize,
    inds: Vec<u32>,
    items: Vec<OutItem<'a>>,
    selection: Option<Vec<String>>,
    periods: Vec<Period>,
    keys: Vec<DimKey>,
    /// Dimension levels that occur in `keys`, in order of first appearance.
    dim_levels: Vec<String>,
    rows: Vec<Row>,
    /// Per requested indicator: whether its rows carry survey fields (a survey indicator
    /// whose sample and population the reader may see too).
    survey: Vec<bool>,
}

fn value_parts(v: Value) -> (Option<f64>, Option<&'static str>) {
    match v {
        Value::Number(n) => (Some(n), None),
        Value::Missing(c) => (None, Some(c.symbol())),
    }
}

fn selection_error(ctx: &Ctx, code: &str, p: Period, e: SelectionError) -> ApiError {
    match e {
        SelectionError::RevealsHidden { indicator, item } => {
            // Name the indicator asked for when the hidden one is not public.
            let shown = if ctx.visible(&indicator) { indicator } else { code.to_string() };
            ApiError::of(
                "reveals-hidden-cell",
                format!(
                    "the selection includes area {item}, whose value of {shown} for {} is hidden (x); a total over it could reveal the hidden value, so it is refused. Leave {item} out of the selection.",
                    p.code()
                ),
            )
            .with("indicator", json!(shown))
            .with("item", json!(item))
            .with("period", json!(p.code()))
        }
        SelectionError::NotAggregable(_) | SelectionError::Unknown { .. } => ApiError::of(
            "not-aggregable",
            format!("{code} cannot be computed for a custom selection of areas (it is not aggregable, or takes a cube cell)"),
        )
        .with("indicator", json!(code)),
    }
}

/// Reads and runs a data query.
fn run<'a>(ctx: &'a Ctx, req: &Req, fmt: Format) -> ApiResult<Answer<'a>> {
    // Only blanks and commas: answer as for the unknown code they are.
    if req.list("indicator").is_none()
        && let Some((_, raw)) = req
            .pairs
            .iter()
            .find(|(k, v)| k == "indicator" && !v.is_empty())
    {
        return Err(ctx
            .indicator(raw)
            .err()
            .unwrap_or_else(|| ApiError::bad_request("no indicator code given")));
    }
    let codes = req.list("indicator").ok_or_else(|| {
        ApiError::bad_request(
            "parameter 'indicator' is required: one or more indicator codes, separated by commas",
        )
        .with("parameter", json!("indicator"))
    })?;
    let mut inds = Vec::new();
    for c in &codes {
        inds.push(ctx.indicator(c)?.0);
    }
    let level_code = req.text("level")?.ok_or_else(|| {
        ApiError::bad_request(
            "parameter 'level' is required: the code of a geo level (see /api/v1/geolevels)",
        )
        .with("parameter", json!("level"))
    })?;
    let level = ctx.level(level_code)?;
    let lvl = &ctx.snap.levels[level];
    let listed = req.list("items");
    let selection = req.list("selection");
    let mut items: Vec<OutItem<'a>> = Vec::new();
    match (&listed, &selection) {
        (Some(list), _) => {
            for c in list {
                let pos = ctx.item(level, c)?;
                let it = &lvl.items[pos].1;
                items.push(OutItem {
                    code: Cow::Borrowed(&it.code),
                    name: Cow::Borrowed(&it.name),
                    pos: Some(pos),
                });
            }
        }
        (None, None) => {
            for (pos, (_, it)) in lvl.items.iter().enumerate() {
                items.push(OutItem {
                    code: Cow::Borrowed(&it.code),
                    name: Cow::Borrowed(&it.name),
                    pos: Some(pos),
                });
            }
        }
        (None, Some(_)) => {}
    }
    if let Some(sel) = &selection {
        for c in sel {
            ctx.item(level, c)?;
        }
        let default_name = if ctx.lang == "nl" {
            "Selectie"
        } else {
            "Selection"
        };
        let name = req
            .text("selection_name")?
            .map(str::to_string)
            .unwrap_or_else(|| format!("{default_name} ({})", sel.join(", ")));
        items.push(OutItem {
            code: Cow::Borrowed(SELECTION_CODE),
            name: Cow::Owned(name),
            pos: None,
        });
    }
    let specs = parse_periods(req)?;
    let pl = parse_period_level(req)?;
    let dims = parse_dims(ctx, req)?;
    let plans: Vec<IndPlan> = inds
        .iter()
        .map(|&i| plan_indicator(ctx, i, level, &specs, pl, &dims))
        .collect();
    let cells: usize = plans
        .iter()
        .map(|p| {
            p.periods
                .len()
                .saturating_mul(p.keys.len())
                .saturating_mul(items.len())
        })
        .fold(0usize, usize::saturating_add);
    let cap = super::max_cells();
    if cells > cap {
        return Err(ApiError::of(
            "too-many-cells",
            format!(
                "this query asks for {cells} cells and one request may ask for {cap}; ask for fewer indicators, areas, periods or cube cells"
            ),
        )
        .with("cells", json!(cells))
        .with("max_cells", json!(cap)));
    }
    if fmt == Format::Xlsx && cells > MAX_XLSX_ROWS {
        return Err(ApiError::of(
            "too-many-cells",
            format!("a workbook holds at most {MAX_XLSX_ROWS} rows and this query has {cells}; ask for CSV instead"),
        )
        .with("cells", json!(cells))
        .with("max_cells", json!(MAX_XLSX_ROWS)));
    }
    // The union of periods and cells, in answer order.
    let mut periods: Vec<Period> = plans
        .iter()
        .flat_map(|p| p.periods.iter().copied())
        .collect();
    periods.sort_by(period_cmp);
    periods.dedup();
    let mut keys: Vec<DimKey> = plans.iter().flat_map(|p| p.keys.iter().cloned()).collect();
    keys.sort_by(key_cmp);
    keys.dedup();
    let mut dim_levels: Vec<String> = Vec::new();
    for k in &keys {
        for (l, _) in &k.0 {
            if !dim_levels.contains(l) {
                dim_levels.push(l.clone());
            }
        }
    }
    let p_index: HashMap<Period, u32> = periods
        .iter()
        .enumerate()
        .map(|(n, p)| (*p, n as u32))
        .collect();
    let k_index: HashMap<&DimKey, u32> = keys
        .iter()
        .enumerate()
        .map(|(n, k)| (k, n as u32))
        .collect();
    let sel_codes: Option<Vec<&str>> = selection
        .as_ref()
        .map(|s| s.iter().map(String::as_str).collect());
    let mut rows: Vec<Row> = Vec::with_capacity(cells);
    let reader = &ctx.reader;
    let survey: Vec<bool> = inds
        .iter()
        .map(|&i| ctx.snap.survey_visible_to(ctx.ind(i), reader))
        .collect();
    for (n, plan) in plans.iter().enumerate() {
        let code = ctx.code(plan.i);
        let meta = ctx.ind(plan.i);
        for p in &plan.periods {
            for key in &plan.keys {
                let series = ctx
                    .snap
                    .dim_id(key)
                    .and_then(|d| ctx.snap.slots(plan.i, level, *p, d));
                let surv = if key.is_empty() && survey[n] {
                    ctx.snap.survey_series(code, &lvl.level.code, *p, reader)
                } else {
                    None
                };
                for (k, it) in items.iter().enumerate() {
                    // A custom selection is computed for totals only.
                    if it.pos.is_none() && !key.is_empty() {
                        continue;
                    }
                    let value = match (it.pos, &sel_codes) {
                        (Some(pos), _) => series
                            .and_then(|s| s.get(pos))
                            .map_or(Value::Missing(MissingCode::Empty), |s| s.to_value()),
                        (None, Some(sel)) => ctx
                            .snap
                            .aggregate_selection(code, &lvl.level.code, *p, sel, reader)
                            .map_err(|e| selection_error(ctx, code, *p, e))?,
                        (None, None) => Value::Missing(MissingCode::Empty),
                    };
                    rows.push(Row {
                        ind: n as u32,
                        item: k as u32,
                        period: p_index[p],
                        key: k_index[key],
                        value,
                        flag: flag(meta, *p),
                        survey: it.pos.and_then(|pos| *surv?.get(pos)?),
                    });
                }
            }
        }
    }
    rows.sort_by_key(|r| (r.ind, r.item, r.period, r.key));
    Ok(Answer {
        level,
        inds,
        items,
        selection,
        periods,
        keys,
        dim_levels,
        rows,
        survey,
    })
}

pub async fn data(State(st): State<AppState>, req: Req) -> ApiResult<Response> {
    req.check(&DATA_PARAMS)?;
    let fmt = negotiate(
        &req,
        &[
            Format::Json,
            Format::Csv,
            Format::Csvw,
            Format::Xlsx,
            Format::JsonStat,
            Format::GeoJson,
        ],
    )?;
    let geometry_full = match req.one("geometry")? {
        None | Some("web") => false,
        Some("full") => true,
        Some(g) => {
            return Err(ApiError::bad_request(format!(
                "parameter 'geometry' is web or full, not '{g}'"
            ))
            .with("parameter", json!("geometry")));
        }
    };
    let ctx = Ctx::new(&st, &req)?;
    let a = run(&ctx, &req, fmt)?;
    match fmt {
        Format::Json => Ok(write_json(&ctx, &req, &a)),
        Format::JsonStat => write_jsonstat(&ctx, &req, &a).await,
        Format::GeoJson => write_geojson(&ctx, &req, &a, geometry_full).await,
        Format::Csv => Ok(write_csv(&ctx, &req, &a)),
        _ => Ok(data_table(&ctx, &a, fmt == Format::Xlsx).respond(fmt, &req, st.site_name())),
    }
}

fn indicator_meta(ctx: &Ctx, i: u32) -> Json {
    let ind = ctx.ind(i);
    let mut m = json!({
        "code": ind.code,
        "name": texts(&ind.name),
        "unit": ind.unit,
        "decimals": ind.decimals,
        "data_type": ind.data_type.code(),
        "period_type": ind.period_type.code(),
        "source": ind.source,
        "footnote": texts(&ind.footnote),
        "links": { "self": format!("{BASE}/indicators/{}", seg(&ind.code)) },
    });
    if let Some(s) = survey_meta(ctx, ind) {
        m["survey"] = s;
    }
    m
}

/// What a survey indicator's intervals mean: its confidence level and benchmark rule (only
/// for readers who may see them).
pub(crate) fn survey_meta(ctx: &Ctx, ind: &peil_core::Indicator) -> Option<Json> {
    ctx.snap.survey_visible_to(ind, &ctx.reader).then(|| {
        json!({
            "confidence": ind.confidence_level(),
            "benchmark": ind.benchmark(),
            "benchmark_rule": match ind.benchmark() {
                None => "the nearest area above on a level holding one area (the city)",
                Some(b) if b.contains(':') => "one fixed area",
                Some(_) => "the area's own area on this level",
            },
        })
    })
}

/// A survey cell's fields, in the order every JSON answer writes them.
pub(crate) fn survey_fields(ctx: &Ctx, c: Option<&SurveyCell>) -> [(&'static str, Json); 5] {
    let bench = c
        .and_then(|c| c.benchmark)
        .and_then(|b| ctx.snap.area_at(b));
    [
        ("lower", jnum(c.map(|c| c.interval.low))),
        ("upper", jnum(c.map(|c| c.interval.high))),
        ("margin", jnum(c.map(|c| c.interval.margin))),
        (
            "significance",
            json!(c.and_then(|c| c.significance).map(|s| s.code())),
        ),
        (
            "benchmark",
            bench.map_or(Json::Null, |(l, it)| json!({ "level": l, "item": it.code })),
        ),
    ]
}

fn dims_object(k: &DimKey) -> Json {
    let mut m = serde_json::Map::new();
    for (l, v) in &k.0 {
        m.insert(l.clone(), json!(v));
    }
    Json::Object(m)
}

fn links(req: &Req) -> Json {
    let f = |x: &str| req.url_with(&[("format", Some(x))]);
    json!({
        "self": req.url_with(&[]),
        "json": f("json"),
        "csv": f("csv"),
        "csvw": f("csvw"),
        "xlsx": f("xlsx"),
        "jsonstat": f("jsonstat"),
        "geojson": f("geojson"),
    })
}

fn write_json(ctx: &Ctx, req: &Req, a: &Answer) -> Response {
    use crate::fragments::{push_json_str, push_number};
    let lvl = &ctx.snap.levels[a.level].level;
    let frags = ctx.entry.fragments(&ctx.snap);
    let lf = &frags.levels[a.level];
    // The head's members in serde_json's (sorted) order, with `items` written from the
    // publication's fragments between the two halves.
    let before = json!({
        "cells": a.rows.len(),
        "dim_levels": a.dim_levels,
        "generation": ctx.snap.generation,
        "indicators": a.inds.iter().map(|&i| indicator_meta(ctx, i)).collect::<Vec<_>>(),
    });
    let after = json!({
        "level": { "code": lvl.code, "name": lvl.name },
        "links": links(req),
        "periods": a.periods.iter().map(|p| json!({
            "code": p.code(),
            "level": p.level.code(),
            "name": period_name(*p, &ctx.lang),
        })).collect::<Vec<_>>(),
        "query": {
            "indicator": a.inds.iter().map(|&i| ctx.code(i)).collect::<Vec<_>>(),
            "level": lvl.code,
            "items": req.list("items"),
            "selection": a.selection,
            "period": req.list("period").unwrap_or_else(|| vec!["all".into()]),
            "periodlevel": req.one("periodlevel").ok().flatten(),
            "dims": req.list("dims").unwrap_or_else(|| vec!["total".into()]),
        },
    });
    let inner = |v: &Json| {
        let t = v.to_string();
        t[1..t.len() - 1].to_string()
    };
    // Item code literals (from the fragments, or escaped here for a selection).
    let item_s: Vec<std::borrow::Cow<'_, str>> = a
        .items
        .iter()
        .map(|it| match it.pos {
            Some(pos) => std::borrow::Cow::Borrowed(&*lf.code[pos]),
            None => {
                let mut b = String::new();
                push_json_str(&mut b, &it.code);
                std::borrow::Cow::Owned(b)
            }
        })
        .collect();
    let mut out = String::with_capacity(256 + a.items.len() * 64 + a.rows.len() * 120);
    out.push('{');
    out.push_str(&inner(&before));
    out.push_str(",\"items\":[");
    for (n, it) in a.items.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str("{\"code\":");
        out.push_str(&item_s[n]);
        out.push_str(",\"name\":");
        match it.pos {
            Some(pos) => out.push_str(&lf.name[pos]),
            None => push_json_str(&mut out, &it.name),
        }
        out.push_str(",\"selection\":");
        out.push_str(if it.pos.is_none() { "true}" } else { "false}" });
    }
    out.push_str("],");
    out.push_str(&inner(&after));
    out.push_str(",\"data\":[");
    let ind_s: Vec<String> = a
        .inds
        .iter()
        .map(|&i| json!(ctx.code(i)).to_string())
        .collect();
    let per_s: Vec<String> = a
        .periods
        .iter()
        .map(|p| json!(p.code()).to_string())
        .collect();
    let key_s: Vec<String> = a.keys.iter().map(|k| dims_object(k).to_string()).collect();
    for (n, r) in a.rows.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let (v, s) = value_parts(r.value);
        out.push_str("{\"indicator\":");
        out.push_str(&ind_s[r.ind as usize]);
        out.push_str(",\"item\":");
        out.push_str(&item_s[r.item as usize]);
        out.push_str(",\"period\":");
        out.push_str(&per_s[r.period as usize]);
        out.push_str(",\"dims\":");
        out.push_str(&key_s[r.key as usize]);
        out.push_str(",\"value\":");
        match v {
            Some(x) => push_number(&mut out, x),
            None => out.push_str("null"),
        }
        out.push_str(",\"status\":");
        match s {
            Some(sym) => push_json_str(&mut out, sym),
            None => out.push_str("null"),
        }
        out.push_str(",\"flag\":");
        match r.flag {
            Some(f) => push_json_str(&mut out, f),
            None => out.push_str("null"),
        }
        if a.survey[r.ind as usize] {
            for (k, v) in survey_fields(ctx, r.survey.as_ref()) {
                out.push_str(",\"");
                out.push_str(k);
                out.push_str("\":");
                out.push_str(&v.to_string());
            }
        }
        out.push('}');
    }
    out.push_str("]}");
    let mut r = ([(header::CONTENT_TYPE, super::formats::JSON_MEDIA)], out).into_response();
    vary(&mut r);
    r
}

/// The fixed columns of a data table, then one per dimension level, then value columns.
const FIXED_COLUMNS: [&str; 10] = [
    "indicator",
    "indicator_name",
    "unit",
    "level",
    "item",
    "item_name",
    "period",
    "value",
    "status",
    "flag",
];

fn dim_title(l: &str) -> String {
    if FIXED_COLUMNS.contains(&l) {
        format!("dim_{l}")
    } else {
        l.to_string()
    }
}

/// The data as a table (rows only for a workbook; CSV is streamed by [`write_csv`]).
fn data_table(ctx: &Ctx, a: &Answer, with_rows: bool) -> Table {
    let lvl = &ctx.snap.levels[a.level].level;
    let mut cols = vec![
        Col::new("indicator", Kind::Text, "Code of the indicator").required(),
        Col::new("indicator_name", Kind::Text, "Name of the indicator"),
        Col::new("unit", Kind::Text, "Unit of the value"),
        Col::new("level", Kind::Text, "Code of the geo level").required(),
        Col::new(
            "item",
            Kind::Text,
            format!("Code of the area ({SELECTION_CODE} for the custom selection)"),
        )
        .required(),
        Col::new("item_name", Kind::Text, "Name of the area"),
        Col::new(
            "period",
            Kind::Text,
            "Period code (2024, 2024H1, 2024Q3, 2024M03)",
        )
        .required(),
    ];
    for l in &a.dim_levels {
        cols.push(Col::new(
            dim_title(l),
            Kind::Text,
            format!("Member of dimension level {l} (empty: all members, the total)"),
        ));
    }
    cols.push(Col::new(
        "value",
        Kind::Number,
        "The value; empty when missing (see status)",
    ));
    cols.push(Col::new(
        "status",
        Kind::Text,
        "Why the value is missing: x hidden (privacy or source), ? unknown, nvt not applicable, - empty",
    ));
    cols.push(Col::new(
        "flag",
        Kind::Text,
        "provisional or forecast when the period is marked so",
    ));
    let survey = a.survey.iter().any(|s| *s);
    if survey {
        cols.extend([
            Col::new("lower", Kind::Number, "Survey indicators: lower bound of the confidence interval (empty when the value is missing or hidden)"),
            Col::new("upper", Kind::Number, "Survey indicators: upper bound of the confidence interval"),
            Col::new("margin", Kind::Number, "Survey indicators: the margin z·sqrt(p·(100−p)/n)·sqrt(1−n/N) before clipping to 0–100"),
            Col::new("confidence", Kind::Number, "Survey indicators: the confidence level of the interval, in %"),
            Col::new("significance", Kind::Text, "Survey indicators: higher, lower or not-significant against the benchmark area"),
            Col::new("benchmark_level", Kind::Text, "Survey indicators: the geo level of the benchmark area"),
            Col::new("benchmark", Kind::Text, "Survey indicators: the code of the benchmark area"),
        ]);
    }
    let mut t = Table::new(
        format!(
            "{} — {}",
            a.inds
                .iter()
                .map(|&i| ctx.code(i))
                .collect::<Vec<_>>()
                .join(", "),
            lvl.name
        ),
        format!("peil-data-{}", lvl.code),
        cols,
    );
    t.key = ["indicator", "item", "period"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    t.key.extend(a.dim_levels.iter().map(|l| dim_title(l)));
    t.notes = vec![
        ("publication".into(), format!("generation {}", ctx.snap.generation)),
        (
            "missing values".into(),
            "x = hidden (privacy rules or the source), ? = unknown, nvt = not applicable, - = empty (no value)".into(),
        ),
        (
            "sources".into(),
            a.inds
                .iter()
                .map(|&i| format!("{}: {}", ctx.code(i), ctx.ind(i).source))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    ];
    if let Some(sel) = &a.selection {
        t.notes.push((
            "custom selection".into(),
            format!(
                "{SELECTION_CODE} aggregates the areas {} with the indicators' own rules",
                sel.join(", ")
            ),
        ));
    }
    t.sheets.push((
        "indicators".into(),
        [
            "code",
            "name",
            "unit",
            "decimals",
            "source",
            "description",
            "footnote",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        a.inds
            .iter()
            .map(|&i| {
                let ind = ctx.ind(i);
                vec![
                    Cell::text(&ind.code),
                    Cell::text(ctx.text(&ind.name)),
                    Cell::text(&ind.unit),
                    ind.decimals
                        .map_or(Cell::Empty, |d| Cell::Integer(d as i64)),
                    Cell::text(&ind.source),
                    Cell::text(ctx.text(&ind.description)),
                    Cell::text(ctx.text(&ind.footnote)),
                ]
            })
            .collect(),
    ));
    if with_rows {
        let names: Vec<String> = a.inds.iter().map(|&i| ctx.text(&ctx.ind(i).name)).collect();
        for r in &a.rows {
            let ind = ctx.ind(a.inds[r.ind as usize]);
            let it = &a.items[r.item as usize];
            let key = &a.keys[r.key as usize];
            let (v, s) = value_parts(r.value);
            let mut row = vec![
                Cell::text(&ind.code),
                Cell::text(&names[r.ind as usize]),
                Cell::text(&ind.unit),
                Cell::text(&lvl.code),
                Cell::text(&*it.code),
                Cell::text(&*it.name),
                Cell::text(a.periods[r.period as usize].code()),
            ];
            for l in &a.dim_levels {
                row.push(Cell::opt(
                    key.0.iter().find(|(x, _)| x == l).map(|(_, m)| m.clone()),
                ));
            }
            row.push(v.map_or(Cell::Empty, |x| Cell::Number(x, ind.decimals)));
            row.push(Cell::opt(s));
            row.push(Cell::opt(r.flag));
            if survey {
                let f = survey_columns(ctx, a, r);
                row.extend(f[..3].iter().map(|x| {
                    x.parse::<f64>()
                        .map_or(Cell::Empty, |n| Cell::Number(n, None))
                }));
                row.push(f[3].parse::<i64>().map_or(Cell::Empty, Cell::Integer));
                row.extend(
                    f[4..]
                        .iter()
                        .map(|x| Cell::opt((!x.is_empty()).then_some(x.as_str()))),
                );
            }
            t.rows.push(row);
        }
    }
    t
}

/// The survey columns of one row as text (lower, upper, margin, confidence, significance,
/// benchmark level, benchmark); all empty for a row without an interval.
fn survey_columns(ctx: &Ctx, a: &Answer, r: &Row) -> [String; 7] {
    let Some(c) = r.survey.as_ref().filter(|_| a.survey[r.ind as usize]) else {
        return Default::default();
    };
    let num = super::formats::fmt_number;
    let bench = c.benchmark.and_then(|b| ctx.snap.area_at(b));
    [
        num(c.interval.low),
        num(c.interval.high),
        num(c.interval.margin),
        ctx.ind(a.inds[r.ind as usize])
            .confidence_level()
            .to_string(),
        c.significance.map(|s| s.code()).unwrap_or("").to_string(),
        bench.map(|(l, _)| l.to_string()).unwrap_or_default(),
        bench.map(|(_, it)| it.code.clone()).unwrap_or_default(),
    ]
}

fn write_csv(ctx: &Ctx, req: &Req, a: &Answer) -> Response {
    use crate::fragments::{push_csv_field, push_csv_text, push_number};
    let t = data_table(ctx, a, false);
    let lvl = &ctx.snap.levels[a.level].level;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(a.rows.len() * 64));
    let _ = w.write_record(t.columns.iter().map(|c| c.title.as_str()));
    let head = w.into_inner().unwrap_or_default();
    let mut out = String::from_utf8(head).unwrap_or_default();
    out.reserve(a.rows.len() * 96);
    // What repeats is written once: per indicator `code,name,unit,level,`, per item
    // `code,name` (from the publication's fragments), per period its code.
    let frags = ctx.entry.fragments(&ctx.snap);
    let lf = &frags.levels[a.level];
    let prefix: Vec<String> = a
        .inds
        .iter()
        .map(|&i| {
            let ind = ctx.ind(i);
            let mut b = String::new();
            for (k, f) in [
                ind.code.as_str(),
                &ctx.text(&ind.name),
                &ind.unit,
                &lvl.code,
            ]
            .into_iter()
            .enumerate()
            {
                if k > 0 {
                    b.push(',');
                }
                push_csv_text(&mut b, f);
            }
            b.push(',');
            b
        })
        .collect();
    let item_csv: Vec<std::borrow::Cow<'_, str>> = a
        .items
        .iter()
        .map(|it| match it.pos {
            Some(pos) => std::borrow::Cow::Borrowed(&*lf.csv[pos]),
            None => {
                let mut b = String::new();
                push_csv_text(&mut b, &it.code);
                b.push(',');
                push_csv_text(&mut b, &it.name);
                std::borrow::Cow::Owned(b)
            }
        })
        .collect();
    let periods: Vec<String> = a.periods.iter().map(|p| p.code()).collect();
    let survey = a.survey.iter().any(|s| *s);
    for r in &a.rows {
        let key = &a.keys[r.key as usize];
        let (v, s) = value_parts(r.value);
        out.push_str(&prefix[r.ind as usize]);
        out.push_str(&item_csv[r.item as usize]);
        out.push(',');
        push_csv_field(&mut out, &periods[r.period as usize]);
        for l in &a.dim_levels {
            out.push(',');
            if let Some((_, m)) = key.0.iter().find(|(x, _)| x == l) {
                push_csv_text(&mut out, m);
            }
        }
        out.push(',');
        if let Some(x) = v {
            push_number(&mut out, x);
        }
        out.push(',');
        out.push_str(s.unwrap_or(""));
        out.push(',');
        out.push_str(r.flag.unwrap_or(""));
        if survey {
            for x in survey_columns(ctx, a, r) {
                out.push(',');
                push_csv_text(&mut out, &x);
            }
        }
        out.push_str("\r\n");
    }
    let body = out.into_bytes();
    let mut r = ([(header::CONTENT_TYPE, super::formats::CSV_MEDIA)], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "<{}>; rel=\"describedby\"; type=\"{}\"",
        req.url_with(&[("format", Some("csvw"))]),
        super::formats::CSVW_MEDIA
    )) {
        r.headers_mut().append(header::LINK, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "inline; filename=\"{}.csv\"",
        t.file.replace('"', "_")
    )) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    vary(&mut r);
    r
}

/// JSON-stat 2.0: one dataset with dimensions indicator (metric), area (geo), period (time)
/// and one per cube dimension level; `value` in row-major order; `status` per cell (object
/// form: cell index → symbol) for missing cells and marked periods.
async fn write_jsonstat(ctx: &Ctx, req: &Req, a: &Answer<'_>) -> ApiResult<Response> {
    let nl = ctx.lang == "nl";
    let lvl = &ctx.snap.levels[a.level].level;
    // Categories of each cube dimension level: "_T" (not split) when some cell lacks it.
    let total_code = "_T";
    let mut dim_cats: Vec<Vec<String>> = Vec::new();
    for l in &a.dim_levels {
        let mut members: Vec<String> = a
            .keys
            .iter()
            .filter_map(|k| k.0.iter().find(|(x, _)| x == l).map(|(_, m)| m.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        members.sort_by(|x, y| natural_cmp(x, y));
        if a.keys.iter().any(|k| !k.0.iter().any(|(x, _)| x == l)) {
            members.insert(0, total_code.to_string());
        }
        dim_cats.push(members);
    }
    let mut size: Vec<usize> = vec![a.inds.len(), a.items.len(), a.periods.len()];
    size.extend(dim_cats.iter().map(Vec::len));
    let n: usize = size.iter().fold(1usize, |acc, s| acc.saturating_mul(*s));
    let cap = super::max_cells();
    if n > cap {
        return Err(ApiError::of(
            "too-many-cells",
            format!("as a JSON-stat cube this query needs {n} cells and one request may ask for {cap}; ask for fewer, or use JSON or CSV (which hold only the cells that exist)"),
        )
        .with("cells", json!(n))
        .with("max_cells", json!(cap)));
    }
    // Position of each cube cell's members in the dimension categories.
    let key_pos: Vec<Vec<usize>> = a
        .keys
        .iter()
        .map(|k| {
            a.dim_levels
                .iter()
                .zip(&dim_cats)
                .map(|(l, cats)| {
                    let m =
                        k.0.iter()
                            .find(|(x, _)| x == l)
                            .map_or(total_code, |(_, m)| m.as_str());
                    cats.iter().position(|c| c == m).unwrap_or(0)
                })
                .collect()
        })
        .collect();
    let mut values: Vec<Option<f64>> = vec![None; n];
    let mut status = serde_json::Map::new();
    // Survey cells, by cell index as `status` is: lower, upper, margin, significance, benchmark.
    let mut survey: [serde_json::Map<String, Json>; 5] = Default::default();
    for r in &a.rows {
        let mut idx = r.ind as usize;
        idx = idx * size[1] + r.item as usize;
        idx = idx * size[2] + r.period as usize;
        for (d, p) in key_pos[r.key as usize].iter().enumerate() {
            idx = idx * size[3 + d] + p;
        }
        let (v, s) = value_parts(r.value);
        if let Some(x) = v {
            values[idx] = Some(x);
        }
        let st = s.or(match r.flag {
            Some("provisional") => Some("p"),
            Some("forecast") => Some("f"),
            _ => None,
        });
        if let Some(st) = st {
            status.insert(idx.to_string(), json!(st));
        }
        if a.survey[r.ind as usize]
            && let Some(c) = &r.survey
        {
            for (m, (_, v)) in survey.iter_mut().zip(survey_fields(ctx, Some(c))) {
                if !v.is_null() {
                    m.insert(idx.to_string(), v);
                }
            }
        }
    }
    let index = |codes: Vec<String>| -> Json {
        json!(
            codes
                .into_iter()
                .enumerate()
                .map(|(i, c)| (c, json!(i)))
                .collect::<serde_json::Map<String, Json>>()
        )
    };
    let labels = |pairs: Vec<(String, String)>| -> Json {
        json!(
            pairs
                .into_iter()
                .map(|(c, l)| (c, json!(l)))
                .collect::<serde_json::Map<String, Json>>()
        )
    };
    let mut dimension = serde_json::Map::new();
    let mut unit = serde_json::Map::new();
    for &i in &a.inds {
        let ind = ctx.ind(i);
        let decimals = ind.decimals.unwrap_or(match ind.data_type {
            peil_core::DataType::Numeric | peil_core::DataType::ObjectCount => 0,
            _ => 2,
        });
        let mut u = json!({ "decimals": decimals, "label": ind.unit });
        if ind.unit == "%" {
            u["symbol"] = json!("%");
            u["position"] = json!("end");
        }
        unit.insert(ind.code.clone(), u);
    }
    dimension.insert(
        "indicator".into(),
        json!({
            "label": if nl { "onderwerp" } else { "indicator" },
            "category": {
                "index": index(a.inds.iter().map(|&i| ctx.code(i).to_string()).collect()),
                "label": labels(a.inds.iter().map(|&i| (ctx.code(i).to_string(), ctx.text(&ctx.ind(i).name))).collect()),
                "unit": unit,
            },
        }),
    );
    // The area dimension's index and labels and the values are the bulk of the answer: they
    // are written straight into the text (item literals from the publication's fragments) in
    // place of these markers. serde_json writes members in key order, so the first marker
    // strings after `"class"` are the area's (`dimension` → `area` → `category` → `index`,
    // `label`), and the values marker is the last string before `"version"` (found from the
    // end): a text in the data that happens to equal a marker cannot be taken for it.
    const AREA_INDEX: &str = "\u{0}area-index";
    const AREA_LABEL: &str = "\u{0}area-label";
    const VALUES: &str = "\u{0}values";
    dimension.insert(
        "area".into(),
        json!({
            "label": lvl.name,
            "category": { "index": AREA_INDEX, "label": AREA_LABEL },
        }),
    );
    dimension.insert(
        "period".into(),
        json!({
            "label": if nl { "periode" } else { "period" },
            "category": {
                "index": index(a.periods.iter().map(|p| p.code()).collect()),
                "label": labels(a.periods.iter().map(|p| (p.code(), period_name(*p, &ctx.lang))).collect()),
            },
        }),
    );
    for (l, cats) in a.dim_levels.iter().zip(&dim_cats) {
        dimension.insert(
            l.clone(),
            json!({
                "label": l,
                "category": {
                    "index": index(cats.clone()),
                    "label": labels(cats.iter().map(|c| (c.clone(), if c == total_code {
                        (if nl { "Totaal" } else { "Total" }).to_string()
                    } else {
                        c.clone()
                    })).collect()),
                },
            }),
        );
    }
    let mut id: Vec<String> = vec!["indicator".into(), "area".into(), "period".into()];
    id.extend(a.dim_levels.iter().cloned());
    let sources: Vec<&str> = a
        .inds
        .iter()
        .map(|&i| ctx.ind(i).source.as_str())
        .filter(|s| !s.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let x = ctx.extras().await;
    let mut ds = json!({
        "version": "2.0",
        "class": "dataset",
        "label": format!(
            "{} — {}",
            a.inds.iter().map(|&i| ctx.text(&ctx.ind(i).name)).collect::<Vec<_>>().join(", "),
            lvl.name
        ),
        "source": sources.join("; "),
        "id": id,
        "size": size,
        "role": { "metric": ["indicator"], "geo": ["area"], "time": ["period"] },
        "dimension": dimension,
        "value": VALUES,
        "note": [
            "status: x = hidden (privacy rules or the source), ? = unknown, nvt = not applicable, - = empty, p = provisional, f = forecast",
        ],
        "extension": {
            "peil": {
                "generation": ctx.snap.generation,
                "level": lvl.code,
                "selection": a.selection,
                "links": links(req),
            }
        },
    });
    if !status.is_empty() {
        ds["status"] = Json::Object(status);
    }
    if a.survey.iter().any(|s| *s) {
        let [lower, upper, margin, significance, benchmark] = survey;
        ds["extension"]["peil"]["survey"] = json!({
            "indicators": a.inds.iter().zip(&a.survey).filter(|(_, s)| **s)
                .map(|(&i, _)| (ctx.code(i).to_string(), survey_meta(ctx, ctx.ind(i)).unwrap_or(Json::Null)))
                .collect::<serde_json::Map<String, Json>>(),
            "lower": lower,
            "upper": upper,
            "margin": margin,
            "significance": significance,
            "benchmark": benchmark,
        });
        if let Some(notes) = ds["note"].as_array_mut() {
            notes.push(json!("survey indicators: extension.peil.survey holds each cell's confidence interval (lower, upper, margin) and its significance against the benchmark area, by cell index as status is; none where the value is missing or hidden"));
        }
    }
    if let Some(at) = &x.published_at {
        ds["updated"] = json!(at);
    }
    let text = ds.to_string();
    let frags = ctx.entry.fragments(&ctx.snap);
    let lf = &frags.levels[a.level];
    let literal = |it: &OutItem, code: bool| -> std::borrow::Cow<'_, str> {
        match it.pos {
            Some(pos) => {
                std::borrow::Cow::Borrowed(if code { &*lf.code[pos] } else { &*lf.name[pos] })
            }
            None => {
                let mut b = String::new();
                crate::fragments::push_json_str(&mut b, if code { &it.code } else { &it.name });
                std::borrow::Cow::Owned(b)
            }
        }
    };
    let mut out = String::with_capacity(text.len() + a.items.len() * 64 + n * 12);
    let mut rest = text.as_str();
    for marker in [AREA_INDEX, AREA_LABEL, VALUES] {
        let quoted = serde_json::to_string(marker).unwrap_or_default();
        let found = if marker == VALUES {
            rest.rfind(&quoted)
        } else {
            rest.find(&quoted)
        };
        let Some(at) = found else {
            continue;
        };
        out.push_str(&rest[..at]);
        rest = &rest[at + quoted.len()..];
        if marker == VALUES {
            out.push('[');
            for (k, v) in values.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                match v {
                    Some(x) => crate::fragments::push_number(&mut out, *x),
                    None => out.push_str("null"),
                }
            }
            out.push(']');
            continue;
        }
        out.push('{');
        for (k, it) in a.items.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str(&literal(it, true));
            out.push(':');
            if marker == AREA_INDEX {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("{k}"));
            } else {
                out.push_str(&literal(it, false));
            }
        }
        out.push('}');
    }
    out.push_str(rest);
    Ok(json_text_response(out, super::formats::JSON_MEDIA))
}

/// GeoJSON: the areas with their geometry and the value of one indicator for one period.
async fn write_geojson(ctx: &Ctx, req: &Req, a: &Answer<'_>, full: bool) -> ApiResult<Response> {
    let lvl = &ctx.snap.levels[a.level];
    let geo = ctx.geometry().await;
    let shapes = geo.get(&lvl.level.code);
    // One feature per area; a map of one indicator for one period has `value`, `status` and
    // `flag` on every feature, and every answer lists the area's cells under `data`.
    let single = a.inds.len() == 1 && a.periods.len() == 1 && a.keys.len() == 1;
    let head = json!({
        "type": "FeatureCollection",
        "indicators": a.inds.iter().map(|&i| indicator_meta(ctx, i)).collect::<Vec<_>>(),
        "level": { "code": lvl.level.code, "name": lvl.level.name },
        "periods": a.periods.iter().map(|p| p.code()).collect::<Vec<_>>(),
        "generation": ctx.snap.generation,
        "links": links(req),
    });
    let mut out = head.to_string();
    out.pop();
    out.push_str(",\"features\":[");
    let key_s: Vec<Json> = a.keys.iter().map(dims_object).collect();
    for (k, it) in a.items.iter().enumerate() {
        let cells: Vec<&Row> = a.rows.iter().filter(|r| r.item as usize == k).collect();
        if k > 0 {
            out.push(',');
        }
        let g = it
            .pos
            .and_then(|p| shapes.and_then(|s| s.get(&lvl.items[p].1.code)))
            .map(|(w, f)| if full { f.clone() } else { w.clone() });
        let data: Vec<Json> = cells
            .iter()
            .map(|r| {
                let (v, s) = value_parts(r.value);
                let mut d = json!({
                    "indicator": ctx.code(a.inds[r.ind as usize]),
                    "period": a.periods[r.period as usize].code(),
                    "dims": key_s[r.key as usize],
                    "value": jnum(v),
                    "status": s,
                    "flag": r.flag,
                });
                if a.survey[r.ind as usize] {
                    for (k, x) in survey_fields(ctx, r.survey.as_ref()) {
                        d[k] = x;
                    }
                }
                d
            })
            .collect();
        let mut props = json!({
            "code": it.code,
            "name": it.name,
            "selection": it.pos.is_none(),
        });
        if let (true, [r]) = (single, cells.as_slice()) {
            let (v, s) = value_parts(r.value);
            props["indicator"] = json!(ctx.code(a.inds[0]));
            props["period"] = json!(a.periods[0].code());
            props["value"] = jnum(v);
            props["status"] = json!(s);
            props["flag"] = json!(r.flag);
            if a.survey[0] {
                for (k, x) in survey_fields(ctx, r.survey.as_ref()) {
                    props[k] = x;
                }
            }
        }
        props["data"] = json!(data);
        out.push_str("{\"type\":\"Feature\",\"id\":");
        out.push_str(&json!(it.code).to_string());
        out.push_str(",\"geometry\":");
        out.push_str(g.as_deref().unwrap_or("null"));
        out.push_str(",\"properties\":");
        out.push_str(&props.to_string());
        out.push('}');
    }
    out.push_str("]}");
    let mut r = ([(header::CONTENT_TYPE, super::formats::GEOJSON_MEDIA)], out).into_response();
    vary(&mut r);
    Ok(r)
}

// --- area profile ------------------------------------------------------------------------

type PathResult<T> = Result<Path<T>, axum::extract::rejection::PathRejection>;

pub async fn profile(
    State(st): State<AppState>,
    p: PathResult<(String, String)>,
    req: Req,
) -> ApiResult<Response> {
    let (level_code, item_code) = p
        .map(|Path(x)| x)
        .map_err(|e| ApiError::bad_request(format!("bad path: {e}")))?;
    req.check(&["period", "theme"])?;
    let fmt = negotiate(
        &req,
        &[Format::Json, Format::Csv, Format::Csvw, Format::Xlsx],
    )?;
    let ctx = Ctx::new(&st, &req)?;
    let level = ctx.level(&level_code)?;
    let pos = ctx.item(level, &item_code)?;
    let spec = match req.text("period")? {
        None => PeriodSpec::Mrp(0),
        Some("mrp") => PeriodSpec::Mrp(0),
        Some(s) => PeriodSpec::Fixed(period_code(s).map_err(|e| {
            ApiError::bad_request(format!("period '{s}': {e}")).with("parameter", json!("period"))
        })?),
    };
    let x = ctx.extras().await;
    let theme = match req.text("theme")? {
        Some(code) => {
            let visible = visible_themes(&ctx, &x.themes);
            if !visible.iter().any(|t| t.code == code) {
                return Err(ApiError::unknown(
                    "theme",
                    code,
                    visible.iter().map(|t| t.code.as_str()),
                ));
            }
            Some(theme_subtree(&x.themes, code))
        }
        None => None,
    };
    let lvl = &ctx.snap.levels[level];
    let item = &lvl.items[pos].1;
    // Ancestors, nearest first: (level, item, depth).
    let hierarchy = ctx.snap.hierarchy();
    let ancestors: Vec<(String, String, usize)> = hierarchy
        .ancestors(level as u16, pos as u32)
        .iter()
        .map(|a| {
            let l = &ctx.snap.levels[a.level as usize];
            (
                l.level.code.clone(),
                l.items[a.pos as usize].1.code.clone(),
                a.depth as usize,
            )
        })
        .collect();
    let is_top = |l: &str, c: &str| {
        let lv = &ctx.snap.levels[ctx.snap.level_index[l]];
        lv.pos.get(c).is_none_or(|&p| {
            hierarchy
                .parents(ctx.snap.level_index[l] as u16, p)
                .is_empty()
        })
    };
    let comparisons: Vec<Json> = ancestors
        .iter()
        .map(|(l, c, d)| {
            let li = ctx.snap.level_index[l];
            let name = ctx.snap.levels[li]
                .pos
                .get(c)
                .map(|p| ctx.snap.levels[li].items[*p as usize].1.name.clone())
                .unwrap_or_default();
            json!({
                "level": l,
                "level_name": ctx.snap.levels[li].level.name,
                "code": c,
                "name": name,
                "depth": d,
                "top": is_top(l, c),
            })
        })
        .collect();
    let total_key = DimKey::default();
    struct Fig {
        i: u32,
        p: Period,
        v: Value,
        cmp: Vec<Option<Value>>,
        /// Some(cell) for a survey indicator the reader may see (the cell itself `None` when
        /// the value has no interval).
        survey: Option<Option<SurveyCell>>,
    }
    let mut figs: Vec<Fig> = Vec::new();
    for &i in &ctx.idx().public {
        let ind = ctx.ind(i);
        if !ind.dim_levels.is_empty() {
            continue;
        }
        if let Some(set) = &theme
            && !ind.themes.iter().any(|t| set.contains(t))
        {
            continue;
        }
        let Some(keys) = ctx.snap.keys.get(&(i, level as u16)) else {
            continue;
        };
        let periods: BTreeSet<Period> = keys
            .iter()
            .filter(|(_, d)| ctx.snap.dims[*d as usize].is_empty())
            .map(|(p, _)| *p)
            .collect();
        let p = match &spec {
            PeriodSpec::Fixed(p) if periods.contains(p) => *p,
            PeriodSpec::Fixed(_) => continue,
            _ => {
                let coarsest = periods.iter().map(|p| p.level).max();
                match periods.iter().rev().find(|p| Some(p.level) == coarsest) {
                    Some(p) => *p,
                    None => continue,
                }
            }
        };
        let Some(v) = ctx
            .snap
            .value(&ind.code, &lvl.level.code, p, &total_key, &item.code)
        else {
            continue;
        };
        if matches!(v, Value::Missing(MissingCode::Empty)) {
            continue;
        }
        let cmp = ancestors
            .iter()
            .map(|(l, c, _)| ctx.snap.value(&ind.code, l, p, &total_key, c))
            .collect();
        let survey = ctx.snap.survey_visible_to(ind, &ctx.reader).then(|| {
            ctx.snap
                .survey_cell(&ind.code, &lvl.level.code, p, &item.code, &ctx.reader)
        });
        figs.push(Fig {
            i,
            p,
            v,
            cmp,
            survey,
        });
    }
    if fmt != Format::Json {
        let mut cols = vec![
            Col::new("indicator", Kind::Text, "Code of the indicator").required(),
            Col::new("indicator_name", Kind::Text, "Name of the indicator"),
            Col::new("unit", Kind::Text, "Unit"),
            Col::new("period", Kind::Text, "Period of the figures").required(),
            Col::new(
                "value",
                Kind::Number,
                format!("Value for {} ({})", item.name, item.code),
            ),
            Col::new(
                "status",
                Kind::Text,
                "Why the value is missing (x, ?, nvt, -)",
            ),
        ];
        let survey = figs.iter().any(|f| f.survey.is_some());
        if survey {
            cols.extend([
                Col::new("lower", Kind::Number, "Survey indicators: lower bound of the confidence interval"),
                Col::new("upper", Kind::Number, "Survey indicators: upper bound of the confidence interval"),
                Col::new("confidence", Kind::Number, "Survey indicators: confidence level, in %"),
                Col::new("significance", Kind::Text, "Survey indicators: higher, lower or not-significant against the benchmark area"),
                Col::new("benchmark", Kind::Text, "Survey indicators: the benchmark area (level:code)"),
            ]);
        }
        for (l, c, _) in &ancestors {
            cols.push(Col::new(
                format!("value_{l}"),
                Kind::Number,
                format!("Value for {l} {c}"),
            ));
            cols.push(Col::new(
                format!("status_{l}"),
                Kind::Text,
                format!("Why the value for {l} {c} is missing"),
            ));
        }
        let mut t = Table::new(
            format!("{} — {}", item.name, lvl.level.name),
            format!("profile-{}-{}", lvl.level.code, item.code),
            cols,
        );
        t.key = vec!["indicator".into()];
        t.notes.push((
            "missing values".into(),
            "x = hidden (privacy rules or the source), ? = unknown, nvt = not applicable, - = empty".into(),
        ));
        for f in &figs {
            let ind = ctx.ind(f.i);
            let (v, s) = value_parts(f.v);
            let mut row = vec![
                Cell::text(&ind.code),
                Cell::text(ctx.text(&ind.name)),
                Cell::text(&ind.unit),
                Cell::text(f.p.code()),
                v.map_or(Cell::Empty, |x| Cell::Number(x, ind.decimals)),
                Cell::opt(s),
            ];
            if survey {
                let c = f.survey.flatten();
                let bench = c
                    .and_then(|c| c.benchmark)
                    .and_then(|b| ctx.snap.area_at(b));
                row.extend([
                    c.map_or(Cell::Empty, |c| Cell::Number(c.interval.low, None)),
                    c.map_or(Cell::Empty, |c| Cell::Number(c.interval.high, None)),
                    c.map_or(
                        Cell::Empty,
                        |_| Cell::Integer(ind.confidence_level() as i64),
                    ),
                    Cell::opt(c.and_then(|c| c.significance).map(|s| s.code())),
                    Cell::opt(bench.map(|(l, it)| format!("{l}:{}", it.code))),
                ]);
            }
            for c in &f.cmp {
                let (v, s) = value_parts(c.unwrap_or(Value::Missing(MissingCode::Empty)));
                row.push(v.map_or(Cell::Empty, |x| Cell::Number(x, ind.decimals)));
                row.push(Cell::opt(s));
            }
            t.rows.push(row);
        }
        return Ok(t.respond(fmt, &req, st.site_name()));
    }
    let figures: Vec<Json> = figs
        .iter()
        .map(|f| {
            let ind = ctx.ind(f.i);
            let (v, s) = value_parts(f.v);
            let mut fig = json!({
                "indicator": ind.code,
                "name": texts(&ind.name),
                "unit": ind.unit,
                "decimals": ind.decimals,
                "data_type": ind.data_type.code(),
                "themes": ind.themes,
                "period": f.p.code(),
                "value": jnum(v),
                "status": s,
                "flag": flag(ind, f.p),
                "comparisons": ancestors.iter().zip(&f.cmp).map(|((l, c, _), x)| {
                    let (v, s) = value_parts(x.unwrap_or(Value::Missing(MissingCode::Empty)));
                    json!({ "level": l, "item": c, "value": jnum(v), "status": s })
                }).collect::<Vec<_>>(),
            });
            if let Some(c) = &f.survey {
                fig["confidence"] = json!(ind.confidence_level());
                for (k, x) in survey_fields(&ctx, c.as_ref()) {
                    fig[k] = x;
                }
            }
            fig
        })
        .collect();
    Ok(json_response(
        &json!({
            "area": {
                "level": lvl.level.code,
                "level_name": lvl.level.name,
                "code": item.code,
                "short_name": item.short_name,
                "name": item.name,
                "unknown_location": item.unknown_location,
            },
            "comparisons": comparisons,
            "query": {
                "period": req.text("period")?.unwrap_or("mrp"),
                "theme": req.text("theme")?,
            },
            "generation": ctx.snap.generation,
            "total": figures.len(),
            "figures": figures,
            "links": {
                "self": req.url_with(&[]),
                "csv": req.url_with(&[("format", Some("csv"))]),
                "xlsx": req.url_with(&[("format", Some("xlsx"))]),
            },
        }),
        super::formats::JSON_MEDIA,
    ))
}
