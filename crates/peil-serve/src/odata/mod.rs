//! Swing-compatible OData v4 service at `/jiveservices/odata/` and `/viewerservices/odata/`
//! (the same service under both names), read by the `stadincijfers` Python package, R and C#
//! scripts, Power BI and Excel: the API Swing sites publish, which these clients call today.
//!
//! Entity sets and navigation (keys are codes, written `('code')`; the key of every entity
//! type is `ExternalCode` and every entity has a `Name`):
//!
//! ```text
//! GeoLevels('gl')/GeoItems            GeoLevels('gl')/PeriodLevels('pl')/Periods
//! PeriodLevels('pl')/Periods          Periods      DataSources('s')/Variables
//! Variables('v')/GeoLevels('gl')/PeriodLevels('pl')/Periods('2019'|'mrp')/Values
//! Variables('v')/GeoLevels('gl')/GeoItems     CubeVariables('v')/Dimensions
//! CubeVariables('v')/DimLevels('d')/DimMembers        Dimensions('d')/DimLevels
//! $metadata (CSDL XML)     <collection>/$count (plain text)
//! ```
//!
//! Query options on collections: `$filter` (eq ne gt ge lt le, and or not, parentheses,
//! `contains`/`startswith`/`endswith`/`tolower`/`toupper`/`trim`/`length`), `$orderby`,
//! `$select`, `$top`, `$skip`, `$count=true`. Collections are paged by the server: at most
//! [`PAGE`] entities ([`VARIABLES_PAGE`] for variables, or fewer with
//! `Prefer: odata.maxpagesize=N`), followed by an absolute `@odata.nextLink`. URLs in answers
//! are absolute, built from the `Host` (and `X-Forwarded-Proto`/`X-Forwarded-Host`) headers,
//! and answers say `Vary` on them so that a shared cache never hands one host's links to
//! another. The query string is form-encoded (`query.rs`, the rule of every API): `+` is a
//! space, a plus sign is `%2B`, a `%` without two hex digits is a 400 naming the parameter.
//!
//! Choices where Swing's behaviour is not written down:
//! - Restricted indicators do not exist here: not listed, not counted, not suggested, and
//!   `Variables('restricted')` answers the same 404 as an unknown code.
//! - `ValueString` is the number in its shortest round-trip form with `.` as decimal
//!   separator, or the missing code's symbol (`?`, `x`, `nvt`, `-`); hidden cells are `x`.
//!   `Value` carries the same number as a JSON number (null when missing) for Power BI.
//! - Values of a cube indicator are its totals (the cell with no dimension member).
//! - Values of a survey indicator carry their confidence interval (`Lower`, `Upper`, `Margin`,
//!   `Confidence` in %) and the verdict against the benchmark area (`Significance`: `higher`,
//!   `lower`, `not-significant`; `BenchmarkGeoLevel`, `Benchmark`); these are null for other
//!   indicators, for missing or hidden values, and for readers who may not see the sample size.
//! - A cube's dimensions are inferred from the published cube cells, because the snapshot does
//!   not carry dimension metadata: each dim level the indicator declares is a dimension (its
//!   code is the dimension's code), and a published dim level that never occurs together with
//!   a declared one in a cell belongs to that one's dimension (`leeftijd3` with `leeftijd5`).
//!   Names of dimensions, dim levels and members are their codes.
//! - `Periods('mrp')` is the most recent period of the collection it is taken from.
//! - A variable's `StartPeriod`/`EndPeriod` come from its metadata, or, for formulas (which
//!   have none), from its published periods.
//! - Errors are RFC 9457 problem details that also carry OData's `error` object
//!   (`{"error": {"code", "message"}}`), so that both kinds of client can show the message.

use crate::AppState;
use crate::fragments::Fragments;
use crate::problem::Problem;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use peil_compute::Snapshot;
use peil_compute::survey::Cell as SurveyCell;
use peil_core::{DimKey, GeoItem, Indicator, Period, PeriodLevel, Reader, Value};
use serde_json::{Map, Value as J, json};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Largest page of a collection.
pub const PAGE: usize = 1000;
/// Largest page of `Variables` (Swing pages variables in small steps; the `stadincijfers`
/// client reads them ten at a time with `$skip`).
pub const VARIABLES_PAGE: usize = 50;
/// The CSDL namespace.
const NS: &str = "Peil";

pub fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for svc in ["jiveservices", "viewerservices"] {
        r = r
            .route(&format!("/{svc}/odata"), get(handle))
            .route(&format!("/{svc}/odata/"), get(handle))
            .route(&format!("/{svc}/odata/{{*rest}}"), get(handle));
    }
    r
}

mod model;
mod options;
mod path;
mod shared;

pub use model::*;
use options::*;
use path::*;
pub use shared::*;

/// `Prefer: odata.maxpagesize=N`.
fn preferred_page(headers: &HeaderMap) -> Option<usize> {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            (k.trim().eq_ignore_ascii_case("odata.maxpagesize"))
                .then(|| v.trim().trim_matches('"').parse::<usize>().ok())
                .flatten()
        })
        .find(|n| *n > 0)
}

fn json_response(body: &J, extra: &[(&'static str, String)]) -> Response {
    json_text_response(body.to_string(), extra)
}

fn json_text_response(body: String, extra: &[(&'static str, String)]) -> Response {
    let mut r = (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/json; odata.metadata=minimal; charset=utf-8",
        )],
        body,
    )
        .into_response();
    let h = r.headers_mut();
    h.insert("odata-version", HeaderValue::from_static("4.0"));
    for (k, v) in extra {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(*k, v);
        }
    }
    r
}

async fn handle(
    State(st): State<AppState>,
    Extension(reader): Extension<Reader>,
    preview: Option<Extension<crate::preview::Preview>>,
    pinned: Option<axum::extract::Extension<crate::cache::Pinned>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let snap = preview.map_or_else(
        || crate::cache::served(&st, pinned.as_ref().map(|p| &p.0)),
        |p| p.0.0,
    );
    let frags = crate::api::cache::entry(&st, &snap).fragments(&snap);
    serve(&snap, &frags, &reader, &st.public_url(), &uri, &headers)
        .unwrap_or_else(|p| p.odata().into_response())
}

fn serve(
    snap: &Snapshot,
    frags: &Fragments,
    reader: &Reader,
    base: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, Problem> {
    let path = uri.path();
    let mut parts = path.split('/').filter(|s| !s.is_empty());
    let svc = parts.next().unwrap_or("jiveservices");
    parts.next(); // "odata"
    let rest: Vec<&str> = parts.collect();
    let root = format!("{base}/{svc}/odata/");
    let pairs = query_pairs(uri.query())?;

    if rest.is_empty() {
        let sets: Vec<J> = ENTITY_SETS
            .iter()
            .map(|(n, _)| json!({"name": n, "kind": "EntitySet", "url": n}))
            .collect();
        return Ok(json_response(
            &json!({"@odata.context": format!("{root}$metadata"), "value": sets}),
            &[],
        ));
    }
    if rest == ["$metadata"] {
        let mut r = (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
            metadata_xml(),
        )
            .into_response();
        r.headers_mut()
            .insert("odata-version", HeaderValue::from_static("4.0"));
        return Ok(r);
    }

    let (rest, count_only) = match rest.split_last() {
        Some((&"$count", before)) if !before.is_empty() => (before.to_vec(), true),
        _ => (rest, false),
    };
    let segs = rest
        .iter()
        .map(|s| parse_segment(s))
        .collect::<Result<Vec<_>, _>>()?;
    let mut at = At::Root;
    for s in &segs {
        at = step(snap, reader, at, s)?;
    }
    // The context path: segments as given, with the last key turned into /$entity.
    let ctx_path = |entity: bool| -> String {
        let mut parts: Vec<String> = segs
            .iter()
            .map(|s| match &s.key {
                Some(k) => format!("{}('{}')", s.name, k.replace('\'', "''")),
                None => s.name.clone(),
            })
            .collect();
        if entity && let Some(last) = parts.last_mut() {
            *last = segs.last().map(|s| s.name.clone()).unwrap_or_default();
        }
        parts.join("/")
    };

    match at {
        At::Root => Err(Problem::not_found("nothing here")),
        At::Entity(set, r) => {
            if count_only {
                return Err(Problem::bad_request(
                    "$count follows a collection, not one entity",
                ));
            }
            let o = parse_options(&pairs, set.ty())?;
            let mut out = select(r, &o.select);
            let sel = o
                .select
                .as_ref()
                .map(|s| format!("({})", s.join(",")))
                .unwrap_or_default();
            out.insert(
                "@odata.context".into(),
                J::String(format!("{root}$metadata#{}{sel}/$entity", ctx_path(true))),
            );
            Ok(json_response(&J::Object(out), &[]))
        }
        At::Coll(set) => {
            let o = parse_options(&pairs, set.ty())?;
            let preferred = preferred_page(headers);
            let page = preferred.map_or(set.page(), |p| p.min(set.page()));
            let want = o.top.unwrap_or(usize::MAX);
            let take = want.min(page);
            let extra: Vec<(&'static str, String)> = preferred
                .map(|_| vec![("preference-applied", format!("odata.maxpagesize={page}"))])
                .unwrap_or_default();
            // Values in their natural order with every property: the page alone, written
            // straight into the answer (the general path below builds every row as a map).
            if let Set::Values { var, level, period } = &set
                && o.filter.is_none()
                && o.orderby.is_empty()
                && o.select.is_none()
                && !count_only
            {
                let context = format!("{root}$metadata#{}", ctx_path(false));
                let body = values_page(
                    snap, frags, reader, var, *level, *period, &context, &o, take, base, uri,
                );
                return Ok(json_text_response(body, &extra));
            }
            // Variables in their natural order are built for the page only (sites have
            // thousands); everything else is built, filtered and sorted whole.
            let lazy = match &set {
                Set::Variables { cube, source } if o.filter.is_none() && o.orderby.is_empty() => {
                    Some(variables_of(snap, reader, *cube, source))
                }
                _ => None,
            };
            let mut rows = match &lazy {
                Some(vars) => {
                    let start = o.skip.min(vars.len());
                    let end = start.saturating_add(take).min(vars.len());
                    vars[start..end]
                        .iter()
                        .map(|i| variable_row(snap, reader, i))
                        .collect()
                }
                None => set.rows(snap, reader),
            };
            if let Some(f) = &o.filter {
                rows.retain(|r| filter::matches(f, r));
            }
            let total = lazy.as_ref().map_or(rows.len(), |v| v.len());
            if count_only {
                let mut r = (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    total.to_string(),
                )
                    .into_response();
                r.headers_mut()
                    .insert("odata-version", HeaderValue::from_static("4.0"));
                return Ok(r);
            }
            if !o.orderby.is_empty() {
                rows.sort_by(|a, b| {
                    for (p, desc) in &o.orderby {
                        let (x, y) = (&a[p], &b[p]);
                        let ord = match (x.is_null(), y.is_null()) {
                            (true, true) => Ordering::Equal,
                            (true, false) => Ordering::Less,
                            (false, true) => Ordering::Greater,
                            _ => filter::compare(x, y).unwrap_or(Ordering::Equal),
                        };
                        let ord = if *desc { ord.reverse() } else { ord };
                        if ord != Ordering::Equal {
                            return ord;
                        }
                    }
                    Ordering::Equal
                });
            }
            let start = o.skip.min(total);
            let end = start.saturating_add(take).min(total);
            let more = end < total && want > take;
            let window = if lazy.is_some() {
                0..rows.len()
            } else {
                start..end
            };
            let value: Vec<J> = rows
                .drain(window)
                .map(|r| J::Object(select(r, &o.select)))
                .collect();
            let sel = o
                .select
                .as_ref()
                .map(|s| format!("({})", s.join(",")))
                .unwrap_or_default();
            let mut body = Map::new();
            body.insert(
                "@odata.context".into(),
                J::String(format!("{root}$metadata#{}{sel}", ctx_path(false))),
            );
            if o.count {
                body.insert("@odata.count".into(), json!(total));
            }
            if more {
                body.insert(
                    "@odata.nextLink".into(),
                    J::String(next_link(base, uri, end, o.top.map(|t| t - (end - start)))),
                );
            }
            body.insert("value".into(), J::Array(value));
            Ok(json_response(&J::Object(body), &extra))
        }
    }
}

/// One page of `Values` with every property, in the level's sequence order, written as
/// serde_json writes the general path's rows (members in key order, numbers as serde_json
/// writes an f64), so both paths give the same bytes.
#[allow(clippy::too_many_arguments)]
fn values_page(
    snap: &Snapshot,
    frags: &Fragments,
    reader: &Reader,
    var: &str,
    level: usize,
    period: Period,
    context: &str,
    o: &Options,
    take: usize,
    base: &str,
    uri: &Uri,
) -> String {
    use crate::fragments::push_json_str;
    let lv = &snap.levels[level];
    let lc = &lv.level.code;
    let slots = snap
        .index
        .get(var)
        .zip(snap.dim_id(&DimKey::default()))
        .and_then(|(&i, d)| snap.slots(i, level, period, d, reader));
    let survey = snap.survey_series(var, lc, period, reader);
    let confidence = snap.indicator(var).map(|i| i.confidence_level());
    let total = if slots.is_some() { lv.items.len() } else { 0 };
    let start = o.skip.min(total);
    let end = start.saturating_add(take).min(total);
    let want = o.top.unwrap_or(usize::MAX);
    let more = end < total && want > take;
    let lf = &frags.levels[level];
    let num = |out: &mut String, x: Option<f64>| match x.filter(|x| x.is_finite()) {
        Some(x) => crate::fragments::push_number(out, x),
        None => out.push_str("null"),
    };
    let text = |out: &mut String, s: Option<&str>| match s {
        Some(s) => push_json_str(out, s),
        None => out.push_str("null"),
    };
    let mut lc_lit = String::new();
    push_json_str(&mut lc_lit, lc);
    let mut var_lit = String::new();
    push_json_str(&mut var_lit, var);
    let period_code = period.code();
    let mut out = String::with_capacity(256 + (end - start) * 320);
    out.push_str("{\"@odata.context\":");
    push_json_str(&mut out, context);
    if o.count {
        out.push_str(",\"@odata.count\":");
        out.push_str(&total.to_string());
    }
    if more {
        out.push_str(",\"@odata.nextLink\":");
        push_json_str(
            &mut out,
            &next_link(base, uri, end, o.top.map(|t| t - (end - start))),
        );
    }
    out.push_str(",\"value\":[");
    for (n, &pos) in lf.order[start..end].iter().enumerate() {
        let pos = pos as usize;
        let v = slots
            .and_then(|s| s.get(pos))
            .map_or(Value::Missing(peil_core::MissingCode::Empty), |s| {
                s.to_value()
            });
        let c: Option<SurveyCell> = survey.and_then(|s| s.get(pos).copied().flatten());
        let bench = c.and_then(|c| c.benchmark).and_then(|b| snap.area_at(b));
        if n > 0 {
            out.push(',');
        }
        out.push_str("{\"Benchmark\":");
        text(&mut out, bench.map(|b| b.1.code.as_str()));
        out.push_str(",\"BenchmarkGeoLevel\":");
        text(&mut out, bench.map(|b| b.0));
        out.push_str(",\"Confidence\":");
        match c.and(confidence) {
            Some(k) => out.push_str(&k.to_string()),
            None => out.push_str("null"),
        }
        out.push_str(",\"ExternalCode\":");
        out.push_str(&lf.code[pos]);
        out.push_str(",\"GeoLevel\":");
        out.push_str(&lc_lit);
        out.push_str(",\"Lower\":");
        num(&mut out, c.map(|c| c.interval.low));
        out.push_str(",\"Margin\":");
        num(&mut out, c.map(|c| c.interval.margin));
        out.push_str(",\"Name\":");
        out.push_str(&lf.name[pos]);
        out.push_str(",\"Period\":\"");
        out.push_str(&period_code);
        out.push_str("\",\"Significance\":");
        text(&mut out, c.and_then(|c| c.significance).map(|s| s.code()));
        out.push_str(",\"Upper\":");
        num(&mut out, c.map(|c| c.interval.high));
        out.push_str(",\"Value\":");
        num(
            &mut out,
            match v {
                Value::Number(x) => Some(x),
                Value::Missing(_) => None,
            },
        );
        out.push_str(",\"ValueString\":\"");
        crate::fragments::push_value(&mut out, v);
        out.push_str("\",\"Variable\":");
        out.push_str(&var_lit);
        out.push('}');
    }
    out.push_str("]}");
    out
}

fn select(r: Row, sel: &Option<Vec<String>>) -> Row {
    match sel {
        None => r,
        Some(s) => r.into_iter().filter(|(k, _)| s.contains(k)).collect(),
    }
}

/// The request URL with `$skip` moved on (and `$top` reduced by what was sent).
fn next_link(base: &str, uri: &Uri, skip: usize, top: Option<usize>) -> String {
    let mut parts: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let k = form_urlencoded::parse(p.as_bytes())
                .next()
                .map(|(k, _)| k.to_ascii_lowercase())
                .unwrap_or_default();
            k != "$skip" && k != "$top" && k != "$skiptoken"
        })
        .map(str::to_string)
        .collect();
    if let Some(t) = top {
        parts.push(format!("$top={t}"));
    }
    parts.push(format!("$skip={skip}"));
    format!("{base}{}?{}", uri.path(), parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use peil_core::MissingCode;

    #[test]
    fn segments_and_keys() {
        let s = |x: &str| parse_segment(x).unwrap();
        assert_eq!(s("GeoLevels").key, None);
        assert_eq!(s("Variables('v1101_t')").key.as_deref(), Some("v1101_t"));
        assert_eq!(
            s("Variables(%27v1101_t%27)").key.as_deref(),
            Some("v1101_t")
        );
        assert_eq!(s("Periods(2019)").key.as_deref(), Some("2019"));
        assert_eq!(s("DataSources('It''s')").key.as_deref(), Some("It's"));
        assert_eq!(s("Variables(ExternalCode='x')").key.as_deref(), Some("x"));
        assert!(parse_segment("Variables('x)").is_err());
        assert!(parse_segment("Variables('x'").is_err());
        assert!(parse_segment("Variables()").is_err());
    }

    #[test]
    fn natural_order_of_members() {
        let mut v = vec!["95+", "10-14", "0-4", "5-9", "m", "100+"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["0-4", "5-9", "10-14", "95+", "100+", "m"]);
    }

    #[test]
    fn value_strings() {
        assert_eq!(value_string(Value::Number(1234.0)), "1234");
        assert_eq!(value_string(Value::Number(-0.0)), "0");
        assert_eq!(value_string(Value::Number(12.5)), "12.5");
        assert_eq!(value_string(Value::Number(1e-7)), "0.0000001");
        for c in MissingCode::ALL {
            assert_eq!(value_string(Value::Missing(c)), c.symbol());
        }
    }

    #[test]
    fn decoding() {
        assert!(query_pairs(Some("$filter=100%")).is_err());
        assert_eq!(
            query_pairs(Some("$filter=Name%20eq%20%27a%27&$top=5&x")).unwrap(),
            vec![
                ("$filter".to_string(), "Name eq 'a'".to_string()),
                ("$top".to_string(), "5".to_string()),
                ("x".to_string(), String::new())
            ]
        );
    }

    #[test]
    fn metadata_lists_every_type_and_set() {
        let x = metadata_xml();
        for t in TYPES {
            assert!(x.contains(&format!("<EntityType Name=\"{}\">", t.name)));
        }
        for (s, _) in ENTITY_SETS {
            assert!(x.contains(&format!("<EntitySet Name=\"{s}\"")));
        }
    }
}
