//! The catalogue: index, indicators (search), geo levels and areas, period levels, periods,
//! themes.

use super::cache::Query;
use super::formats::{Cell, Col, Format, Kind, Table, negotiate};
use super::{
    ApiError, ApiResult, BASE, Ctx, Req, iso, json_response, natural_cmp, page_links, paging,
    period_level_name, period_name, seg, texts, vary,
};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use peil_core::{Indicator, Period, PeriodLevel};
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet, HashSet};

const TABULAR: [Format; 4] = [Format::Json, Format::Csv, Format::Csvw, Format::Xlsx];

type PathResult<T> = Result<Path<T>, axum::extract::rejection::PathRejection>;

fn path<T>(p: PathResult<T>) -> ApiResult<T> {
    p.map(|Path(x)| x)
        .map_err(|e| ApiError::bad_request(format!("bad path: {e}")))
}

// --- index -------------------------------------------------------------------------------

pub async fn index(State(st): State<AppState>, req: Req) -> ApiResult<Response> {
    req.check(&[])?;
    negotiate(&req, &[Format::Json])?;
    let ctx = Ctx::new(&st, &req)?;
    let example = ctx
        .public_idx()
        .public
        .first()
        .map(|&i| ctx.code(i).to_string());
    Ok(json_response(
        &json!({
            "name": st.site_name(),
            "api": "Peil native API",
            "version": "1",
            "generation": ctx.snap.generation,
            "indicators": ctx.idx().public.len(),
            "max_cells": super::max_cells(&ctx.st),
            "formats": Format::ALL.iter().map(|f| f.code()).collect::<Vec<_>>(),
            "links": {
                "self": format!("{BASE}/"),
                "openapi": format!("{BASE}/openapi.json"),
                "docs": format!("{BASE}/docs"),
                "indicators": format!("{BASE}/indicators"),
                "indicator": format!("{BASE}/indicators/{{code}}"),
                "geolevels": format!("{BASE}/geolevels"),
                "items": format!("{BASE}/geolevels/{{level}}/items"),
                "periodlevels": format!("{BASE}/periodlevels"),
                "periods": format!("{BASE}/periods"),
                "themes": format!("{BASE}/themes"),
                "data": format!("{BASE}/data"),
                "profile": format!("{BASE}/areas/{{level}}/{{item}}/profile"),
            },
            "example": example.map(|c| format!("{BASE}/indicators/{}", seg(&c))),
        }),
        super::formats::JSON_MEDIA,
    ))
}

// --- indicators --------------------------------------------------------------------------

/// One line of an indicator list.
pub(crate) fn summary(ctx: &Ctx, i: u32) -> Json {
    let ind = ctx.ind(i);
    json!({
        "code": ind.code,
        "name": texts(&ind.name),
        "description": texts(&ind.description),
        "unit": ind.unit,
        "data_type": ind.data_type.code(),
        "period_type": ind.period_type.code(),
        "status": ind.status.code(),
        "themes": ind.themes,
        "cube": !ind.dim_levels.is_empty(),
        "links": { "self": format!("{BASE}/indicators/{}", seg(&ind.code)) },
    })
}

/// The theme codes of `code` and every folder below it.
pub(crate) fn theme_subtree(themes: &[peil_core::Theme], code: &str) -> HashSet<String> {
    let mut set: HashSet<String> = HashSet::from([code.to_string()]);
    loop {
        let before = set.len();
        for t in themes {
            if t.parent.as_ref().is_some_and(|p| set.contains(p)) {
                set.insert(t.code.clone());
            }
        }
        if set.len() == before {
            return set;
        }
    }
}

/// Themes a reader may see: folders holding no indicator at all, or at least one public one
/// somewhere below them (a folder of restricted indicators only stays invisible).
pub(crate) fn visible_themes(ctx: &Ctx, themes: &[peil_core::Theme]) -> Vec<peil_core::Theme> {
    let mut all: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for ind in &ctx.snap.indicators {
        let public = ctx.visible(&ind.code);
        for t in &ind.themes {
            let e = all.entry(t.as_str()).or_default();
            e.0 += 1;
            e.1 += usize::from(public);
        }
    }
    themes
        .iter()
        .filter(|t| {
            let sub = theme_subtree(themes, &t.code);
            let (n, p) = sub.iter().fold((0, 0), |acc, c| {
                let x = all.get(c.as_str()).copied().unwrap_or_default();
                (acc.0 + x.0, acc.1 + x.1)
            });
            n == 0 || p > 0
        })
        .cloned()
        .collect()
}

pub async fn indicators(State(st): State<AppState>, req: Req) -> ApiResult<Response> {
    req.check(&["q", "theme", "page", "per_page"])?;
    let fmt = negotiate(&req, &TABULAR)?;
    let ctx = Ctx::new(&st, &req)?;
    let (page, per_page) = paging(&req)?;
    let query = req.text("q")?.map(Query::new).filter(|q| !q.is_empty());
    let theme = match req.text("theme")? {
        Some(code) => {
            let x = ctx.extras().await;
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
    let idx = ctx.idx();
    let mut hits: Vec<(u32, usize, u32)> = Vec::new();
    for (k, &i) in idx.public.iter().enumerate() {
        let ind = ctx.ind(i);
        if let Some(set) = &theme
            && !ind.themes.iter().any(|t| set.contains(t))
        {
            continue;
        }
        match &query {
            Some(q) => {
                let doc = &idx.docs[k];
                if doc.excluded {
                    continue;
                }
                if let Some(s) = doc.score(q) {
                    hits.push((s, k, i));
                }
            }
            None => hits.push((0, k, i)),
        }
    }
    hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let total = hits.len();
    let explicit_paging = req.one("page")?.is_some() || req.one("per_page")?.is_some();
    let shown: Vec<u32> = if fmt == Format::Json || explicit_paging {
        hits.iter()
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .map(|h| h.2)
            .collect()
    } else {
        hits.iter().map(|h| h.2).collect()
    };
    if fmt != Format::Json {
        let mut t = Table::new(
            "Indicators",
            "indicators",
            vec![
                Col::new("code", Kind::Text, "Permanent code of the indicator").required(),
                Col::new("name", Kind::Text, "Name"),
                Col::new("unit", Kind::Text, "Unit of the values"),
                Col::new(
                    "data_type",
                    Kind::Text,
                    "numeric, mean, percentage, ratio, objectcount, label, text or other",
                ),
                Col::new(
                    "period_type",
                    Kind::Text,
                    "stock, flow, average_stock, growth_rate or independent",
                ),
                Col::new("status", Kind::Text, "active, retiring or archived"),
                Col::new("themes", Kind::Text, "Theme codes, separated by ';'"),
                Col::new("source", Kind::Text, "Source of the data"),
                Col::new("description", Kind::Text, "Description"),
            ],
        );
        t.key = vec!["code".into()];
        for i in shown {
            let ind = ctx.ind(i);
            t.rows.push(vec![
                Cell::text(&ind.code),
                Cell::text(ctx.text(&ind.name)),
                Cell::text(&ind.unit),
                Cell::text(ind.data_type.code()),
                Cell::text(ind.period_type.code()),
                Cell::text(ind.status.code()),
                Cell::text(ind.themes.join(";")),
                Cell::text(&ind.source),
                Cell::text(ctx.text(&ind.description)),
            ]);
        }
        return Ok(t.respond(fmt, &req, st.site_name()));
    }
    let (paging, link) = page_links(&req, total, page, per_page);
    let mut body = paging;
    body["query"] = json!({ "q": req.text("q")?, "theme": req.text("theme")? });
    body["indicators"] = json!(shown.iter().map(|&i| summary(&ctx, i)).collect::<Vec<_>>());
    let mut r = json_response(&body, super::formats::JSON_MEDIA);
    if let Ok(v) = HeaderValue::from_str(&link) {
        r.headers_mut().insert(header::LINK, v);
    }
    Ok(r)
}

/// Per level: its index, periods, and dimension level → members.
type Coverage = Vec<(usize, BTreeSet<Period>, BTreeMap<String, BTreeSet<String>>)>;

/// The (period, cube cell) keys of an indicator per level, for its metadata.
fn coverage(ctx: &Ctx, i: u32) -> Coverage {
    let mut out = Vec::new();
    for (l, level) in ctx.snap.levels.iter().enumerate() {
        let _ = level;
        let mut periods = BTreeSet::new();
        let mut dims: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (p, d) in ctx.snap.keys_of(i, l, &ctx.reader) {
            periods.insert(p);
            for (lvl, m) in &ctx.snap.dims[d as usize].0 {
                dims.entry(lvl.clone()).or_default().insert(m.clone());
            }
        }
        if !periods.is_empty() {
            out.push((l, periods, dims));
        }
    }
    out
}

/// Whether the request's reader may see an indicator's formula (the engine's one rule).
fn formula_is_public(ctx: &Ctx, ind: &Indicator) -> bool {
    ctx.snap.formula_visible_to(ind, &ctx.reader)
}

pub(crate) fn period_json(p: Period, ind: Option<&Indicator>) -> Json {
    let (start, end) = p.bounds();
    let mut v = json!({
        "code": p.code(),
        "level": p.level.code(),
        "name": { "nl": period_name(p, "nl"), "en": period_name(p, "en"), "fr": period_name(p, "fr") },
        "start": iso(start),
        "end": iso(end),
    });
    if let Some(ind) = ind {
        v["flag"] = json!(flag(ind, p));
    }
    v
}

/// `provisional` or `forecast` when the indicator marks this period so.
pub(crate) fn flag(ind: &Indicator, p: Period) -> Option<&'static str> {
    let from = |q: Option<Period>| q.is_some_and(|q| p.bounds().0 >= q.bounds().0);
    if from(ind.forecast_period) {
        Some("forecast")
    } else if from(ind.provisional_period) {
        Some("provisional")
    } else {
        None
    }
}

pub async fn indicator(
    State(st): State<AppState>,
    code: PathResult<String>,
    req: Req,
) -> ApiResult<Response> {
    let code = path(code)?;
    req.check(&[])?;
    negotiate(&req, &[Format::Json])?;
    let ctx = Ctx::new(&st, &req)?;
    let (i, ind) = ctx.indicator(&code)?;
    let x = ctx.extras().await;
    let cov = coverage(&ctx, i);
    let mut all_periods: BTreeSet<Period> = BTreeSet::new();
    let mut dims: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let levels: Vec<Json> = cov
        .iter()
        .map(|(l, periods, d)| {
            all_periods.extend(periods.iter().copied());
            for (k, v) in d {
                dims.entry(k.clone()).or_default().extend(v.iter().cloned());
            }
            let level = &ctx.snap.levels[*l].level;
            json!({
                "code": level.code,
                "name": level.name,
                "periods": periods.iter().map(|p| p.code()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let method = match peil_compute::engine::geo_rule(ind, &ctx.snap.index) {
        _ if ind.formula.is_some() => "formula",
        peil_compute::engine::GeoRule::Sum => "sum",
        peil_compute::engine::GeoRule::Weighted(_) => "weighted",
        peil_compute::engine::GeoRule::None => "none",
    };
    let themes: Vec<Json> = ind
        .themes
        .iter()
        .map(|t| {
            let name = x
                .themes
                .iter()
                .find(|x| &x.code == t)
                .map(|x| texts(&x.name));
            json!({ "code": t, "name": name.unwrap_or_else(|| json!({})) })
        })
        .collect();
    let dimensions: Vec<Json> = dims
        .into_iter()
        .map(|(level, members)| {
            let mut m: Vec<String> = members.into_iter().collect();
            m.sort_by(|a, b| natural_cmp(a, b));
            json!({ "level": level, "members": m })
        })
        .collect();
    let formula_public = formula_is_public(&ctx, ind);
    let body = json!({
        "code": ind.code,
        "name": texts(&ind.name),
        "description": texts(&ind.description),
        "more_info": texts(&ind.more_info),
        "footnote": texts(&ind.footnote),
        "unit": ind.unit,
        "source": ind.source,
        "data_type": ind.data_type.code(),
        "period_type": ind.period_type.code(),
        "decimals": ind.decimals,
        "rounding": ind.rounding,
        "aggregation": {
            "method": method,
            "indicator": ctx.public_ref(ind.aggregation_indicator.as_deref()),
            "over_periods": !ind.non_aggregable_periods,
        },
        "threshold": ind.threshold.map(|t| json!({
            "value": t,
            "indicator": ctx.public_ref(ind.threshold_indicator.as_deref()),
        })),
        "survey": ind.sample_indicator.as_ref().map(|_| {
            let mut s = json!({
                "sample_indicator": ctx.public_ref(ind.sample_indicator.as_deref()),
                "population_indicator": ctx.public_ref(ind.population_indicator.as_deref()),
                "stddev_indicator": ctx.public_ref(ind.stddev_indicator.as_deref()),
            });
            if let Some(Json::Object(m)) = super::data::survey_meta(&ctx, ind) {
                s.as_object_mut().into_iter().for_each(|o| o.extend(m.clone()));
            }
            s
        }),
        "formula": if formula_public { ind.formula.clone() } else { None },
        "derived": ind.formula.is_some(),
        // Declared sum relation: this indicator is the total of these (public ones only).
        "total_of": ind
            .total_of
            .iter()
            .filter_map(|r| ctx.public_ref(Some(r)))
            .collect::<Vec<_>>(),
        "cube": !ind.dim_levels.is_empty(),
        "dim_levels": ind.dim_levels,
        "dimensions": dimensions,
        "themes": themes,
        "status": ind.status.code(),
        "protected": ind.protected,
        "start_period": ind.start_period.map(|p| p.code()),
        "end_period": ind.end_period.map(|p| p.code()),
        "provisional_from": ind.provisional_period.map(|p| p.code()),
        "forecast_from": ind.forecast_period.map(|p| p.code()),
        "periods": all_periods.iter().map(|p| p.code()).collect::<Vec<_>>(),
        "levels": levels,
        "extra": ind.extra,
        "links": {
            "self": format!("{BASE}/indicators/{}", seg(&ind.code)),
            "periods": format!("{BASE}/periods?indicator={}", super::encode(&ind.code)),
            "data": cov.last().map(|(l, _, _)| format!(
                "{BASE}/data?indicator={}&level={}&period=mrp",
                super::encode(&ind.code),
                super::encode(&ctx.snap.levels[*l].level.code)
            )),
        },
    });
    Ok(json_response(&body, super::formats::JSON_MEDIA))
}

// --- geography ---------------------------------------------------------------------------

/// Levels from fine to coarse: by the longest chain of parents above them, then by code.
fn level_order(ctx: &Ctx, x: &super::cache::Extras) -> Vec<usize> {
    let height = |code: &str| -> usize {
        let mut h = 0;
        let mut frontier: Vec<&str> = vec![code];
        let mut guard = 0;
        while !frontier.is_empty() && guard < 64 {
            let next: Vec<&str> = x
                .edges
                .iter()
                .filter(|(c, _)| frontier.contains(&c.as_str()))
                .map(|(_, p)| p.as_str())
                .collect();
            if next.is_empty() {
                break;
            }
            h += 1;
            frontier = next;
            guard += 1;
        }
        h
    };
    let mut order: Vec<(usize, &str, usize)> = ctx
        .snap
        .levels
        .iter()
        .enumerate()
        .map(|(i, l)| (height(&l.level.code), l.level.code.as_str(), i))
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    order.into_iter().map(|o| o.2).collect()
}

fn level_json(ctx: &Ctx, x: &super::cache::Extras, l: usize) -> Json {
    let level = &ctx.snap.levels[l];
    let code = &level.level.code;
    let parents: Vec<&str> = x
        .edges
        .iter()
        .filter(|(c, _)| c == code)
        .map(|(_, p)| p.as_str())
        .collect();
    let children: Vec<&str> = x
        .edges
        .iter()
        .filter(|(_, p)| p == code)
        .map(|(c, _)| c.as_str())
        .collect();
    let with_geometry = x.with_geometry.get(code).copied().unwrap_or(0);
    json!({
        "code": code,
        "name": level.level.name,
        "kind": level.level.kind.code(),
        "items": level.items.len(),
        "unknown_location_items": level.items.iter().filter(|(_, it)| it.unknown_location).count(),
        "with_geometry": with_geometry,
        "parents": parents,
        "children": children,
        "periods": ctx.idx().periods_by_level[l].len(),
        "links": {
            "self": format!("{BASE}/geolevels/{}", seg(code)),
            "items": format!("{BASE}/geolevels/{}/items", seg(code)),
            "geometry": (with_geometry > 0).then(|| format!("{BASE}/geolevels/{}/items?geometry=web", seg(code))),
        },
    })
}

pub async fn geolevels(State(st): State<AppState>, req: Req) -> ApiResult<Response> {
    req.check(&[])?;
    let fmt = negotiate(&req, &TABULAR)?;
    let ctx = Ctx::new(&st, &req)?;
    let x = ctx.extras().await;
    let order = level_order(&ctx, &x);
    let levels: Vec<Json> = order.iter().map(|&l| level_json(&ctx, &x, l)).collect();
    if fmt == Format::Json {
        return Ok(json_response(
            &json!({ "total": levels.len(), "geolevels": levels }),
            super::formats::JSON_MEDIA,
        ));
    }
    let mut t = Table::new(
        "Geo levels",
        "geolevels",
        vec![
            Col::new("code", Kind::Text, "Code of the geo level").required(),
            Col::new("name", Kind::Text, "Name"),
            Col::new("kind", Kind::Text, "area, location, line or cluster"),
            Col::new("items", Kind::Integer, "Number of areas"),
            Col::new("with_geometry", Kind::Integer, "Areas with geometry"),
            Col::new(
                "parents",
                Kind::Text,
                "Levels these areas roll up into, separated by ';'",
            ),
            Col::new(
                "children",
                Kind::Text,
                "Levels that roll up into this one, separated by ';'",
            ),
        ],
    );
    t.key = vec!["code".into()];
    for l in levels {
        let join = |k: &str| {
            l[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(";")
                })
                .unwrap_or_default()
        };
        t.rows.push(vec![
            Cell::text(l["code"].as_str().unwrap_or("")),
            Cell::text(l["name"].as_str().unwrap_or("")),
            Cell::text(l["kind"].as_str().unwrap_or("")),
            Cell::Integer(l["items"].as_i64().unwrap_or(0)),
            Cell::Integer(l["with_geometry"].as_i64().unwrap_or(0)),
            Cell::text(join("parents")),
            Cell::text(join("children")),
        ]);
    }
    Ok(t.respond(fmt, &req, st.site_name()))
}

pub async fn geolevel(
    State(st): State<AppState>,
    level: PathResult<String>,
    req: Req,
) -> ApiResult<Response> {
    let level = path(level)?;
    req.check(&[])?;
    negotiate(&req, &[Format::Json])?;
    let ctx = Ctx::new(&st, &req)?;
    let l = ctx.level(&level)?;
    let x = ctx.extras().await;
    Ok(json_response(
        &level_json(&ctx, &x, l),
        super::formats::JSON_MEDIA,
    ))
}

pub async fn items(
    State(st): State<AppState>,
    level: PathResult<String>,
    req: Req,
) -> ApiResult<Response> {
    let level = path(level)?;
    req.check(&["geometry"])?;
    let geometry = match req.one("geometry")? {
        None => None,
        Some("web") => Some(false),
        Some("full") => Some(true),
        Some(g) => {
            return Err(ApiError::bad_request(format!(
                "parameter 'geometry' is web (simplified, for maps) or full, not '{g}'"
            ))
            .with("parameter", json!("geometry")));
        }
    };
    let mut offered = vec![
        Format::Json,
        Format::GeoJson,
        Format::Csv,
        Format::Csvw,
        Format::Xlsx,
    ];
    if geometry.is_some() {
        offered.swap(0, 1);
    }
    let mut fmt = negotiate(&req, &offered)?;
    if fmt == Format::Json && geometry.is_some() {
        fmt = Format::GeoJson;
    }
    let ctx = Ctx::new(&st, &req)?;
    let l = ctx.level(&level)?;
    let x = ctx.extras().await;
    let lvl = &ctx.snap.levels[l];
    let hierarchy = ctx.snap.hierarchy();
    let parents_of = |code: &str| -> Vec<(String, String)> {
        let Some(&pos) = lvl.pos.get(code) else {
            return Vec::new();
        };
        hierarchy
            .parents(l as u16, pos)
            .iter()
            .map(|&(pl, pp)| {
                let p = &ctx.snap.levels[pl as usize];
                (p.level.code.clone(), p.items[pp as usize].1.code.clone())
            })
            .collect()
    };
    let props = |it: &peil_core::GeoItem| -> Json {
        let parents: BTreeMap<String, String> = parents_of(&it.code).into_iter().collect();
        json!({
            "code": it.code,
            "short_name": it.short_name,
            "name": it.name,
            "seq": it.seq,
            "unknown_location": it.unknown_location,
            "parents": parents,
        })
    };
    match fmt {
        Format::GeoJson => {
            let geo = ctx.geometry().await;
            let shapes = geo.get(&lvl.level.code);
            let full = geometry == Some(true);
            let mut out = String::with_capacity(lvl.items.len() * 256);
            out.push_str("{\"type\":\"FeatureCollection\",\"level\":");
            out.push_str(&json!({"code": lvl.level.code, "name": lvl.level.name}).to_string());
            out.push_str(",\"features\":[");
            for (n, (_, it)) in lvl.items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                let g = shapes
                    .and_then(|s| s.get(&it.code))
                    .map(|(w, f)| if full { f.clone() } else { w.clone() });
                out.push_str("{\"type\":\"Feature\",\"id\":");
                out.push_str(&json!(it.code).to_string());
                out.push_str(",\"geometry\":");
                out.push_str(g.as_deref().unwrap_or("null"));
                out.push_str(",\"properties\":");
                out.push_str(&props(it).to_string());
                out.push('}');
            }
            out.push_str("]}");
            let mut r =
                ([(header::CONTENT_TYPE, super::formats::GEOJSON_MEDIA)], out).into_response();
            vary(&mut r);
            Ok(r)
        }
        Format::Json => {
            let items: Vec<Json> = lvl
                .items
                .iter()
                .map(|(_, it)| {
                    let mut p = props(it);
                    p["links"] = json!({
                        "profile": format!("{BASE}/areas/{}/{}/profile", seg(&lvl.level.code), seg(&it.code)),
                    });
                    p
                })
                .collect();
            Ok(json_response(
                &json!({
                    "level": { "code": lvl.level.code, "name": lvl.level.name, "kind": lvl.level.kind.code() },
                    "total": items.len(),
                    "items": items,
                }),
                super::formats::JSON_MEDIA,
            ))
        }
        _ => {
            let parent_levels: Vec<String> = x
                .edges
                .iter()
                .filter(|(c, _)| *c == lvl.level.code)
                .map(|(_, p)| p.clone())
                .collect();
            let mut cols = vec![
                Col::new("code", Kind::Text, "Code of the area").required(),
                Col::new("short_name", Kind::Text, "Short name"),
                Col::new("name", Kind::Text, "Full name"),
                Col::new("seq", Kind::Integer, "Sort order within the level"),
                Col::new(
                    "unknown_location",
                    Kind::Boolean,
                    "Counts in totals but has no location",
                ),
            ];
            for p in &parent_levels {
                cols.push(Col::new(
                    format!("parent_{p}"),
                    Kind::Text,
                    format!("The area of level {p} this area rolls up into"),
                ));
            }
            let mut t = Table::new(
                format!("Areas of {}", lvl.level.name),
                format!("areas-{}", lvl.level.code),
                cols,
            );
            t.key = vec!["code".into()];
            for (_, it) in &lvl.items {
                let parents = parents_of(&it.code);
                let mut row = vec![
                    Cell::text(&it.code),
                    Cell::text(&it.short_name),
                    Cell::text(&it.name),
                    Cell::Integer(it.seq),
                    Cell::Boolean(it.unknown_location),
                ];
                for p in &parent_levels {
                    row.push(Cell::opt(
                        parents.iter().find(|(l, _)| l == p).map(|(_, c)| c.clone()),
                    ));
                }
                t.rows.push(row);
            }
            Ok(t.respond(fmt, &req, st.site_name()))
        }
    }
}

// --- time --------------------------------------------------------------------------------

pub async fn periodlevels(State(st): State<AppState>, req: Req) -> ApiResult<Response> {
    req.check(&[])?;
    let fmt = negotiate(&req, &TABULAR)?;
    let ctx = Ctx::new(&st, &req)?;
    let mut all: BTreeSet<Period> = BTreeSet::new();
    for s in &ctx.idx().periods_by_level {
        all.extend(s.iter().copied());
    }
    let rows: Vec<(PeriodLevel, Vec<Period>)> = PeriodLevel::ALL
        .iter()
        .map(|&pl| (pl, all.iter().copied().filter(|p| p.level == pl).collect()))
        .collect();
    if fmt == Format::Json {
        let list: Vec<Json> = rows
            .iter()
            .map(|(pl, ps)| {
                json!({
                    "code": pl.code(),
                    "name": { "nl": period_level_name(&ctx.snap, *pl, "nl"), "en": period_level_name(&ctx.snap, *pl, "en"), "fr": period_level_name(&ctx.snap, *pl, "fr") },
                    "per_year": pl.per_year(),
                    "periods": ps.len(),
                    "first": ps.first().map(|p| p.code()),
                    "last": ps.last().map(|p| p.code()),
                    "links": { "periods": format!("{BASE}/periods?periodlevel={}", pl.code()) },
                })
            })
            .collect();
        return Ok(json_response(
            &json!({ "total": list.len(), "periodlevels": list }),
            super::formats::JSON_MEDIA,
        ));
    }
    let mut t = Table::new(
        "Period levels",
        "periodlevels",
        vec![
            Col::new("code", Kind::Text, "Code of the period level").required(),
            Col::new("name", Kind::Text, "Name"),
            Col::new("per_year", Kind::Integer, "Periods of this level in a year"),
            Col::new("periods", Kind::Integer, "Periods with data"),
            Col::new("first", Kind::Text, "First period with data"),
            Col::new("last", Kind::Text, "Last period with data"),
        ],
    );
    t.key = vec!["code".into()];
    for (pl, ps) in rows {
        t.rows.push(vec![
            Cell::text(pl.code()),
            Cell::text(period_level_name(&ctx.snap, pl, &ctx.lang)),
            Cell::Integer(pl.per_year() as i64),
            Cell::Integer(ps.len() as i64),
            Cell::opt(ps.first().map(|p| p.code())),
            Cell::opt(ps.last().map(|p| p.code())),
        ]);
    }
    Ok(t.respond(fmt, &req, st.site_name()))
}

pub(crate) fn parse_period_level(req: &Req) -> ApiResult<Option<PeriodLevel>> {
    match req.one("periodlevel")? {
        None => Ok(None),
        Some(s) => PeriodLevel::ALL
            .iter()
            .copied()
            .find(|p| p.code() == s)
            .map(Some)
            .ok_or_else(|| {
                ApiError::unknown("period level", s, PeriodLevel::ALL.iter().map(|p| p.code()))
            }),
    }
}

pub async fn periods(State(st): State<AppState>, req: Req) -> ApiResult<Response> {
    req.check(&["indicator", "level", "periodlevel"])?;
    let fmt = negotiate(&req, &TABULAR)?;
    let ctx = Ctx::new(&st, &req)?;
    let level = req.text("level")?.map(|l| ctx.level(l)).transpose()?;
    let pl = parse_period_level(&req)?;
    let ind = req
        .text("indicator")?
        .map(|c| ctx.indicator(c))
        .transpose()?;
    let mut set: BTreeSet<Period> = BTreeSet::new();
    match ind {
        Some((i, _)) => {
            for (l, _) in ctx.snap.levels.iter().enumerate() {
                if level.is_some_and(|x| x != l) {
                    continue;
                }
                set.extend(ctx.snap.keys_of(i, l, &ctx.reader).map(|(p, _)| p));
            }
        }
        None => {
            for (l, s) in ctx.idx().periods_by_level.iter().enumerate() {
                if level.is_none_or(|x| x == l) {
                    set.extend(s.iter().copied());
                }
            }
        }
    }
    let mut list: Vec<Period> = set
        .into_iter()
        .filter(|p| pl.is_none_or(|x| p.level == x))
        .collect();
    // Coarse levels first, then in time order.
    list.sort_by(|a, b| b.level.cmp(&a.level).then(a.cmp(b)));
    let meta = ind.map(|(_, m)| m);
    if fmt == Format::Json {
        let periods: Vec<Json> = list.iter().map(|p| period_json(*p, meta)).collect();
        return Ok(json_response(
            &json!({
                "query": {
                    "indicator": req.text("indicator")?,
                    "level": req.text("level")?,
                    "periodlevel": pl.map(|p| p.code()),
                },
                "total": periods.len(),
                "periods": periods,
            }),
            super::formats::JSON_MEDIA,
        ));
    }
    let mut t = Table::new(
        "Periods",
        "periods",
        vec![
            Col::new(
                "code",
                Kind::Text,
                "Period code (2024, 2024H1, 2024Q3, 2024M03)",
            )
            .required(),
            Col::new("level", Kind::Text, "Period level"),
            Col::new("name", Kind::Text, "Readable name"),
            Col::new("start", Kind::Text, "First day (ISO 8601)"),
            Col::new("end", Kind::Text, "Last day (ISO 8601)"),
            Col::new(
                "flag",
                Kind::Text,
                "provisional or forecast, for the indicator asked for",
            ),
        ],
    );
    t.key = vec!["code".into()];
    for p in list {
        let (s, e) = p.bounds();
        t.rows.push(vec![
            Cell::text(p.code()),
            Cell::text(p.level.code()),
            Cell::text(period_name(p, &ctx.lang)),
            Cell::text(iso(s)),
            Cell::text(iso(e)),
            Cell::opt(meta.and_then(|m| flag(m, p))),
        ]);
    }
    Ok(t.respond(fmt, &req, st.site_name()))
}

// --- themes ------------------------------------------------------------------------------

pub async fn themes(State(st): State<AppState>, req: Req) -> ApiResult<Response> {
    req.check(&[])?;
    let fmt = negotiate(&req, &TABULAR)?;
    let ctx = Ctx::new(&st, &req)?;
    let x = ctx.extras().await;
    let themes = visible_themes(&ctx, &x.themes);
    // Public indicators per folder, in listing order.
    let mut direct: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for &i in &ctx.idx().public {
        for t in &ctx.ind(i).themes {
            direct.entry(t.as_str()).or_default().push(ctx.code(i));
        }
    }
    let known: HashSet<&str> = themes.iter().map(|t| t.code.as_str()).collect();
    if fmt != Format::Json {
        let mut t = Table::new(
            "Themes",
            "themes",
            vec![
                Col::new("code", Kind::Text, "Code of the theme folder").required(),
                Col::new(
                    "parent",
                    Kind::Text,
                    "Code of the parent folder (empty at the top)",
                ),
                Col::new("name", Kind::Text, "Name"),
                Col::new("seq", Kind::Integer, "Sort order among siblings"),
                Col::new(
                    "indicators",
                    Kind::Text,
                    "Public indicators in this folder, separated by ';'",
                ),
            ],
        );
        t.key = vec!["code".into()];
        for th in &themes {
            t.rows.push(vec![
                Cell::text(&th.code),
                Cell::opt(th.parent.clone().filter(|p| known.contains(p.as_str()))),
                Cell::text(ctx.text(&th.name)),
                Cell::Integer(th.seq),
                Cell::text(
                    direct
                        .get(th.code.as_str())
                        .map(|v| v.join(";"))
                        .unwrap_or_default(),
                ),
            ]);
        }
        return Ok(t.respond(fmt, &req, st.site_name()));
    }
    fn node<'a>(
        t: &peil_core::Theme,
        themes: &[peil_core::Theme],
        direct: &BTreeMap<&str, Vec<&'a str>>,
        depth: usize,
    ) -> (Json, BTreeSet<&'a str>) {
        let mut children = Vec::new();
        let mut below: BTreeSet<&'a str> = direct
            .get(t.code.as_str())
            .map(|v| v.iter().copied().collect())
            .unwrap_or_default();
        if depth < 32 {
            let mut kids: Vec<&peil_core::Theme> = themes
                .iter()
                .filter(|c| c.parent.as_deref() == Some(t.code.as_str()))
                .collect();
            kids.sort_by(|a, b| (a.seq, &a.code).cmp(&(b.seq, &b.code)));
            for c in kids {
                let (j, n) = node(c, themes, direct, depth + 1);
                below.extend(n);
                children.push(j);
            }
        }
        (
            json!({
                "code": t.code,
                "name": texts(&t.name),
                "seq": t.seq,
                "indicators": direct.get(t.code.as_str()).cloned().unwrap_or_default(),
                "indicator_count": below.len(),
                "children": children,
                "links": { "indicators": format!("{BASE}/indicators?theme={}", super::encode(&t.code)) },
            }),
            below,
        )
    }
    let mut roots: Vec<&peil_core::Theme> = themes
        .iter()
        .filter(|t| t.parent.as_deref().is_none_or(|p| !known.contains(p)))
        .collect();
    roots.sort_by(|a, b| (a.seq, &a.code).cmp(&(b.seq, &b.code)));
    let tree: Vec<Json> = roots
        .into_iter()
        .map(|t| node(t, &themes, &direct, 0).0)
        .collect();
    Ok(json_response(
        &json!({ "total": themes.len(), "themes": tree }),
        super::formats::JSON_MEDIA,
    ))
}
