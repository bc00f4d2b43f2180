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

const DATA_PARAMS: [&str; 10] = [
    "indicator",
    "level",
    "items",
    "selection",
    "selection_name",
    "period",
    "periodlevel",
    "dims",
    "geometry",
    "names",
];

mod csv;
mod geojson;
mod json;
mod jsonstat;
mod plan;
mod profile;
mod table;

use csv::*;
use geojson::*;
use json::*;
use jsonstat::*;
use plan::*;
pub use profile::*;
use table::*;

/// An area of the answer: a listed area or the custom selection.
pub(super) struct OutItem<'a> {
    pub(super) code: Cow<'a, str>,
    pub(super) name: Cow<'a, str>,
    /// Position on the level (`None` for the selection).
    pub(super) pos: Option<usize>,
}

pub(super) struct Row {
    pub(super) ind: u32,
    pub(super) item: u32,
    pub(super) period: u32,
    pub(super) key: u32,
    pub(super) value: Value,
    pub(super) flag: Option<&'static str>,
    /// The survey interval and verdict (survey indicators the reader may see; none for a
    /// hidden value, a cube cell or a custom selection).
    pub(super) survey: Option<SurveyCell>,
}

/// A data answer before it is written in some format.
pub(super) struct Answer<'a> {
    pub(super) level: usize,
    pub(super) inds: Vec<u32>,
    pub(super) items: Vec<OutItem<'a>>,
    pub(super) selection: Option<Vec<String>>,
    pub(super) periods: Vec<Period>,
    pub(super) keys: Vec<DimKey>,
    /// Dimension levels that occur in `keys`, in order of first appearance.
    pub(super) dim_levels: Vec<String>,
    pub(super) rows: Vec<Row>,
    /// Per requested indicator: whether its rows carry survey fields (a survey indicator
    /// whose sample and population the reader may see too).
    pub(super) survey: Vec<bool>,
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
    // Tables (CSV, CSVW, workbook) carry the indicators' and areas' names and units on every
    // row unless `names=no`: then codes only, for a machine that reads the names once from
    // the metadata (a pulling site).
    let names = match req.one("names")? {
        None | Some("yes") => true,
        Some("no") => false,
        Some(n) => {
            return Err(ApiError::bad_request(format!(
                "parameter 'names' is yes or no, not '{n}'"
            ))
            .with("parameter", json!("names")));
        }
    };
    let ctx = Ctx::new(&st, &req)?;
    let a = run(&ctx, &req, fmt)?;
    match fmt {
        Format::Json => Ok(write_json(&ctx, &req, &a)),
        Format::JsonStat => write_jsonstat(&ctx, &req, &a).await,
        Format::GeoJson => write_geojson(&ctx, &req, &a, geometry_full).await,
        Format::Csv => Ok(write_csv(&ctx, &req, &a, names)),
        _ => {
            Ok(data_table(&ctx, &a, fmt == Format::Xlsx, names).respond(fmt, &req, st.site_name()))
        }
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
