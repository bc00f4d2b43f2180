//! The OpenAPI 3.1 description of the native API (also the source of the HTML page).

use super::formats::{CSVW_MEDIA, Format, GEOJSON_MEDIA, JSON_MEDIA, XLSX_MEDIA, negotiate};
use super::{ApiResult, Ctx, MAX_PER_PAGE, PROBLEMS, Req, json_response};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value as Json, json};

pub async fn handler(State(st): State<AppState>, req: Req) -> ApiResult<Response> {
    req.check(&[])?;
    negotiate(&req, &[Format::Json])?;
    let ctx = Ctx::new(&st, &req)?;
    Ok(json_response(&document(&ctx), JSON_MEDIA))
}

/// A period code as the API writes it.
const PERIOD_PATTERN: &str = "[1-9][0-9]{3}(H[12]|Q[1-4]|M(0[1-9]|1[0-2]))?";
/// The `period` parameter of the data query: a comma list of codes, ranges, mrp[-N] and all.
const PERIODS_PATTERN: &str = "^((all|mrp(-[0-9]{1,4})?|[1-9][0-9]{3}(H[12]|Q[1-4]|M(0[1-9]|1[0-2]))?(:[1-9][0-9]{3}(H[12]|Q[1-4]|M(0[1-9]|1[0-2]))?)?)(,(all|mrp(-[0-9]{1,4})?|[1-9][0-9]{3}(H[12]|Q[1-4]|M(0[1-9]|1[0-2]))?(:[1-9][0-9]{3}(H[12]|Q[1-4]|M(0[1-9]|1[0-2]))?)?))*)?$";

fn r(name: &str) -> Json {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn nullable(t: &str) -> Json {
    json!({ "type": [t, "null"] })
}

fn string() -> Json {
    json!({ "type": "string" })
}

fn integer() -> Json {
    json!({ "type": "integer" })
}

fn array(items: Json) -> Json {
    json!({ "type": "array", "items": items })
}

fn object(required: &[&str], props: Json) -> Json {
    json!({ "type": "object", "required": required, "properties": props })
}

fn map_of(values: Json) -> Json {
    json!({ "type": "object", "additionalProperties": values })
}

/// A query parameter.
fn q(name: &str, description: &str, schema: Json, required: bool) -> Json {
    json!({ "name": name, "in": "query", "required": required, "description": description, "schema": schema })
}

/// A path parameter.
fn p(name: &str, description: &str) -> Json {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": string() })
}

fn format_param(formats: &[Format]) -> Json {
    q(
        "format",
        "The representation, instead of the Accept header (`-metadata.json` paths always answer CSVW).",
        json!({ "type": "string", "enum": formats.iter().map(|f| f.code()).collect::<Vec<_>>() }),
        false,
    )
}

fn lang_param() -> Json {
    q(
        "lang",
        "Language of the labels in CSV, XLSX and JSON-stat (default `nl`; texts fall back to Dutch). JSON answers carry every language.",
        json!({ "type": "string", "pattern": "^[a-z]{2,3}$" }),
        false,
    )
}

fn problem() -> Json {
    json!({ "application/problem+json": { "schema": r("Problem") } })
}

/// The responses of an operation: 200 in the given formats, 304, and problems.
fn responses(ok: &str, formats: &[(Format, Json)], errors: &[u16]) -> Json {
    let mut content = serde_json::Map::new();
    for (f, schema) in formats {
        let media = match f {
            Format::Json | Format::JsonStat => JSON_MEDIA,
            Format::Csv => "text/csv",
            Format::Csvw => CSVW_MEDIA,
            Format::Xlsx => XLSX_MEDIA,
            Format::GeoJson => GEOJSON_MEDIA,
        };
        match content.get_mut(media) {
            // JSON and JSON-stat share application/json.
            Some(existing) => {
                let prev = existing["schema"].take();
                existing["schema"] = json!({ "anyOf": [prev, schema] });
            }
            None => {
                content.insert(media.to_string(), json!({ "schema": schema }));
            }
        }
    }
    let mut out = serde_json::Map::new();
    out.insert(
        "200".into(),
        json!({
            "description": ok,
            "headers": {
                "ETag": { "description": "The publication; send it back in If-None-Match to get 304 while nothing was published.", "schema": string() },
                "Link": { "description": "Paging links (rel=next, prev, first, last) on lists; rel=describedby to the CSVW metadata on CSV.", "schema": string() },
            },
            "content": content,
        }),
    );
    out.insert(
        "304".into(),
        json!({ "description": "Not modified: the ETag sent in If-None-Match is still current." }),
    );
    let mut codes: Vec<u16> = vec![400, 401, 406];
    codes.extend_from_slice(errors);
    codes.sort_unstable();
    codes.dedup();
    for c in codes {
        let what: Vec<&str> = PROBLEMS.iter().filter(|x| x.1 == c).map(|x| x.2).collect();
        out.insert(
            c.to_string(),
            json!({ "description": what.join("; "), "content": problem() }),
        );
    }
    Json::Object(out)
}

fn op(
    id: &str,
    tag: &str,
    summary: &str,
    description: &str,
    params: Vec<Json>,
    responses: Json,
) -> Json {
    json!({
        "operationId": id,
        "tags": [tag],
        "summary": summary,
        "description": description,
        "parameters": params,
        "responses": responses,
    })
}

fn tabular(schema: Json) -> Vec<(Format, Json)> {
    vec![
        (Format::Json, schema),
        (Format::Csv, string()),
        (Format::Csvw, r("CsvwMetadata")),
        (
            Format::Xlsx,
            json!({ "type": "string", "format": "binary" }),
        ),
    ]
}

const TABULAR: [Format; 4] = [Format::Json, Format::Csv, Format::Csvw, Format::Xlsx];

/// The CSVW variant of a tabular path.
fn metadata_op(id: &str, tag: &str, of: &str, params: Vec<Json>, errors: &[u16]) -> Json {
    op(
        id,
        tag,
        &format!("CSV on the Web metadata of {of}"),
        "The same as the resource with `format=csvw`: a W3C CSVW metadata document whose `url` points at the CSV.",
        params,
        responses(
            "CSVW metadata",
            &[(Format::Csvw, r("CsvwMetadata"))],
            errors,
        ),
    )
}

pub(crate) fn document(ctx: &Ctx) -> Json {
    let cap = super::max_cells(&ctx.st);
    let indicator_list_params = vec![
        q(
            "q",
            "Search words: each must match the start of a word of the code, name or description (case and accents do not matter; `inwoner` finds `inwoners`, parts of Dutch compounds match too).",
            string(),
            false,
        ),
        q(
            "theme",
            "Only indicators in this theme folder or below it.",
            string(),
            false,
        ),
        q(
            "page",
            "Page number (from 1). CSV and XLSX hold every match unless page or per_page is given.",
            json!({ "type": "integer", "minimum": 1, "maximum": 1_000_000_000 }),
            false,
        ),
        q(
            "per_page",
            &format!(
                "Indicators per page (default {}, at most {MAX_PER_PAGE}).",
                super::DEFAULT_PER_PAGE
            ),
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE }),
            false,
        ),
        format_param(&TABULAR),
        lang_param(),
    ];
    let items_params = vec![
        p("level", "Code of the geo level."),
        q(
            "geometry",
            "Add geometry and answer GeoJSON: `web` (simplified, WGS84) or `full`.",
            json!({ "type": "string", "enum": ["web", "full"] }),
            false,
        ),
        format_param(&[
            Format::Json,
            Format::GeoJson,
            Format::Csv,
            Format::Csvw,
            Format::Xlsx,
        ]),
        lang_param(),
    ];
    let periods_params = vec![
        q(
            "indicator",
            "Only the periods of this indicator (and mark provisional and forecast periods).",
            string(),
            false,
        ),
        q(
            "level",
            "Only periods with data on this geo level.",
            string(),
            false,
        ),
        q(
            "periodlevel",
            "Only periods of this period level.",
            json!({ "type": "string", "enum": ["year", "halfyear", "quarter", "month"] }),
            false,
        ),
        format_param(&TABULAR),
        lang_param(),
    ];
    let data_formats = [
        Format::Json,
        Format::Csv,
        Format::Csvw,
        Format::Xlsx,
        Format::JsonStat,
        Format::GeoJson,
    ];
    let data_params = vec![
        q(
            "indicator",
            "Indicator codes, separated by commas (or the parameter repeated).",
            json!({ "type": "string", "minLength": 1 }),
            true,
        ),
        q(
            "level",
            "Code of the geo level.",
            json!({ "type": "string", "minLength": 1 }),
            true,
        ),
        q(
            "items",
            "Area codes of the level, separated by commas (default: every area of the level, unless selection is given).",
            string(),
            false,
        ),
        q(
            "selection",
            "Area codes aggregated into one custom area (code `_selection`) with each indicator's own rules: counts sum, ratios are recomputed from their numerator and denominator. Refused (403) when an area's value is hidden. Totals only.",
            string(),
            false,
        ),
        q(
            "selection_name",
            "Name of the custom selection.",
            string(),
            false,
        ),
        q(
            "period",
            "Periods, separated by commas: codes (`2024`, `2024H1`, `2024Q3`, `2024M03`), ranges (`2015:2020`: the periods with data from the start of one to the end of the other), `mrp` (most recent period of each indicator on its coarsest period level, or of `periodlevel`), `mrp-1` (the one before), `all` (default).",
            json!({ "type": "string", "pattern": PERIODS_PATTERN }),
            false,
        ),
        q(
            "periodlevel",
            "Only periods of this level (also the level `mrp` counts on).",
            json!({ "type": "string", "enum": ["year", "halfyear", "quarter", "month"] }),
            false,
        ),
        q(
            "dims",
            "Cube cells: `total` (default; flat indicators only have this), `all` (every published cell), or dimension levels separated by commas (cells broken down by exactly those levels, e.g. `leeftijd3,geslacht`).",
            string(),
            false,
        ),
        q(
            "names",
            "For CSV, CSVW and XLSX: `yes` (default) writes the indicator's name and unit and the area's name on every row; `no` leaves those columns out (codes only, for a machine that reads the names once from the metadata).",
            json!({ "type": "string", "enum": ["yes", "no"] }),
            false,
        ),
        q(
            "geometry",
            "For GeoJSON: `web` (default) or `full` geometry.",
            json!({ "type": "string", "enum": ["web", "full"] }),
            false,
        ),
        format_param(&data_formats),
        lang_param(),
    ];
    let profile_params = vec![
        p("level", "Code of the geo level."),
        p("item", "Code of the area."),
        q(
            "period",
            "A period code, or `mrp` (default: each indicator's most recent period on its coarsest period level).",
            json!({ "type": "string", "pattern": format!("^(mrp|{PERIOD_PATTERN})?$") }),
            false,
        ),
        q(
            "theme",
            "Only indicators in this theme folder or below it.",
            string(),
            false,
        ),
        format_param(&TABULAR),
        lang_param(),
    ];
    let csvw_params = |mut v: Vec<Json>| {
        v.retain(|x| x["name"] != "format");
        v
    };
    let mut paths = serde_json::Map::new();
    paths.insert("/api/v1/".into(), json!({ "get": op("index", "about", "Index", "Links to every endpoint, this document and the HTML page.", vec![lang_param()], responses("The index", &[(Format::Json, r("Index"))], &[])) }));
    paths.insert("/api/v1/openapi.json".into(), json!({ "get": op("openapi", "about", "This OpenAPI document", "OpenAPI 3.1.", vec![lang_param()], responses("OpenAPI 3.1 document", &[(Format::Json, json!({ "type": "object" }))], &[])) }));
    paths.insert("/api/v1/docs".into(), json!({ "get": {
            "operationId": "docs", "tags": ["about"], "summary": "The API as a readable HTML page",
            "responses": {
                "200": { "description": "HTML", "content": { "text/html": { "schema": string() } } },
                "400": { "description": "Bad request", "content": problem() },
                "401": { "description": "Unauthorized", "content": problem() },
            },
        } }));
    paths.insert("/api/v1/indicators".into(), json!({ "get": op("listIndicators", "indicators", "List and search indicators",
            "Public indicators (and with a key those of its access groups) in the site's order, or by relevance when `q` is given. Other restricted indicators are never listed, counted or found.",
            indicator_list_params.clone(), responses("A page of indicators", &tabular(r("IndicatorList")), &[404])) }));
    paths.insert("/api/v1/indicators-metadata.json".into(), json!({ "get": metadata_op("listIndicatorsCsvw", "indicators", "the indicator list", csvw_params(indicator_list_params), &[404]) }));
    paths.insert("/api/v1/indicators/{code}".into(), json!({ "get": op("getIndicator", "indicators", "One indicator's metadata",
            "Names and descriptions per language, unit, source, data and period type, aggregation and threshold, formula, themes, status, and the levels and periods it has data for. References to restricted indicators are left out (null).",
            vec![p("code", "Code of the indicator."), lang_param()], responses("The indicator", &[(Format::Json, r("Indicator"))], &[404])) }));
    paths.insert("/api/v1/geolevels".into(), json!({ "get": op("listGeoLevels", "geography", "Geo levels", "Levels from fine to coarse, with their place in the hierarchy.",
            vec![format_param(&TABULAR), lang_param()], responses("The geo levels", &tabular(r("GeoLevelList")), &[])) }));
    paths.insert("/api/v1/geolevels-metadata.json".into(), json!({ "get": metadata_op("listGeoLevelsCsvw", "geography", "the geo levels", vec![lang_param()], &[]) }));
    paths.insert("/api/v1/geolevels/{level}".into(), json!({ "get": op("getGeoLevel", "geography", "One geo level", "",
            vec![p("level", "Code of the geo level."), lang_param()], responses("The geo level", &[(Format::Json, r("GeoLevel"))], &[404])) }));
    paths.insert("/api/v1/geolevels/{level}/items".into(), json!({ "get": op("listItems", "geography", "The areas of a level",
            "Every area with its parents; with `geometry` (or format=geojson) a GeoJSON FeatureCollection (unknown-location areas have null geometry).",
            items_params.clone(), responses("The areas", &[
                (Format::Json, r("GeoItemList")),
                (Format::GeoJson, r("FeatureCollection")),
                (Format::Csv, string()),
                (Format::Csvw, r("CsvwMetadata")),
                (Format::Xlsx, json!({ "type": "string", "format": "binary" })),
            ], &[404])) }));
    paths.insert("/api/v1/geolevels/{level}/items-metadata.json".into(), json!({ "get": metadata_op("listItemsCsvw", "geography", "the areas of a level", csvw_params(items_params), &[404]) }));
    paths.insert("/api/v1/periodlevels".into(), json!({ "get": op("listPeriodLevels", "time", "Period levels", "year, halfyear, quarter, month, with the periods that have public data.",
            vec![format_param(&TABULAR), lang_param()], responses("The period levels", &tabular(r("PeriodLevelList")), &[])) }));
    paths.insert("/api/v1/periodlevels-metadata.json".into(), json!({ "get": metadata_op("listPeriodLevelsCsvw", "time", "the period levels", vec![lang_param()], &[]) }));
    paths.insert("/api/v1/periods".into(), json!({ "get": op("listPeriods", "time", "Periods", "Periods with public data: coarse levels first, then in time order.",
            periods_params.clone(), responses("The periods", &tabular(r("PeriodList")), &[404])) }));
    paths.insert("/api/v1/periods-metadata.json".into(), json!({ "get": metadata_op("listPeriodsCsvw", "time", "the periods", csvw_params(periods_params), &[404]) }));
    paths.insert("/api/v1/hashes".into(), json!({ "get": op("listContentHashes", "indicators", "Content hashes per indicator", "For each indicator the caller may see: its code, source, themes and a SHA-256 over the metadata and every value the caller is granted (all levels, periods and cube cells). Another Peil site pulling from this one (`peil pull`) fetches only the indicators whose hash changed. `themes` is the visible theme tree (code, parent).",
            vec![json!({ "name": "indicator", "in": "query", "required": false, "description": "Only these indicator codes (comma-separated).", "schema": { "type": "string" } })],
            responses("The hashes", &[(Format::Json, json!({ "type": "object" }))], &[])) }));
    paths.insert("/api/v1/themes".into(), json!({ "get": op("listThemes", "indicators", "The theme tree", "Folders with their public indicators and subfolders (a flat list in CSV and XLSX).",
            vec![format_param(&TABULAR), lang_param()], responses("The theme tree", &tabular(r("ThemeList")), &[])) }));
    paths.insert("/api/v1/themes-metadata.json".into(), json!({ "get": metadata_op("listThemesCsvw", "indicators", "the themes", vec![lang_param()], &[]) }));
    paths.insert("/api/v1/data".into(), json!({ "get": op("getData", "data", "Data",
            &format!("Values of indicators × areas (or a custom selection) × periods × cube cells. JSON has one object per cell; CSV and XLSX one row per cell; JSON-stat 2.0 one dataset (dimensions indicator, area, period and one per cube dimension level, roles metric, geo, time; `status` per cell); GeoJSON the areas with the value of one indicator for one period. At most {cap} cells per request (422 beyond)."),
            data_params.clone(), responses("The data", &[
                (Format::Json, r("Data")),
                (Format::JsonStat, r("JsonStatDataset")),
                (Format::Csv, string()),
                (Format::Csvw, r("CsvwMetadata")),
                (Format::Xlsx, json!({ "type": "string", "format": "binary" })),
                (Format::GeoJson, r("FeatureCollection")),
            ], &[403, 404, 422])) }));
    paths.insert("/api/v1/data-metadata.json".into(), json!({ "get": metadata_op("getDataCsvw", "data", "a data query", csvw_params(data_params), &[403, 404, 422]) }));
    paths.insert("/api/v1/areas/{level}/{item}/profile".into(), json!({ "get": op("getProfile", "data", "An area profile",
            "Key figures of one area against its parent areas and the top of the hierarchy: for every public indicator with a value, the area's value and those of its parents, for one period.",
            profile_params.clone(), responses("The profile", &tabular(r("Profile")), &[404])) }));
    paths.insert("/api/v1/areas/{level}/{item}/profile-metadata.json".into(), json!({ "get": metadata_op("getProfileCsvw", "data", "an area profile", csvw_params(profile_params), &[404]) }));
    let texts = map_of(string());
    let links = map_of(nullable("string"));
    let status = json!({ "type": ["string", "null"], "enum": ["x", "?", "nvt", "-", null], "description": "Why the value is missing: x hidden, ? unknown, nvt not applicable, - empty." });
    let flag = json!({ "type": ["string", "null"], "enum": ["provisional", "forecast", null] });
    let value = json!({ "type": ["number", "null"] });
    let paging_props = |extra: Json| -> Json {
        let mut props = json!({
            "total": integer(), "page": integer(), "per_page": integer(), "pages": integer(),
            "links": object(&["self", "first", "last", "next", "prev"], json!({
                "self": string(), "first": string(), "last": string(), "next": nullable("string"), "prev": nullable("string"),
            })),
        });
        if let (Some(p), Some(e)) = (props.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                p.insert(k.clone(), v.clone());
            }
        }
        props
    };
    let mut schemas = serde_json::Map::new();
    schemas.insert("Problem".into(), json!({
            "type": "object",
            "description": "RFC 9457 problem details. `type` points at the explanation on /api/v1/docs.",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": string(), "title": string(), "status": integer(), "detail": string(),
                "what": string(), "code": string(), "suggestions": array(string()),
                "parameter": string(), "available": array(string()),
                "cells": integer(), "max_cells": integer(),
                "indicator": string(), "item": string(), "period": string(), "level": string(),
            },
        }));
    schemas.insert("Texts".into(), json!({ "type": "object", "description": "A text per language code (nl, en, …).", "additionalProperties": string() }));
    schemas.insert(
        "Index".into(),
        object(
            &["name", "version", "generation", "links"],
            json!({
                "name": string(), "api": string(), "version": string(), "generation": integer(),
                "indicators": integer(), "max_cells": integer(), "formats": array(string()),
                "links": map_of(string()), "example": nullable("string"),
            }),
        ),
    );
    schemas.insert("IndicatorSummary".into(), object(&["code", "name", "unit", "data_type", "period_type", "status", "themes"], json!({
            "code": string(), "name": texts, "description": texts, "unit": string(),
            "data_type": { "type": "string", "enum": ["numeric", "mean", "percentage", "ratio", "objectcount", "label", "text", "other"] },
            "period_type": { "type": "string", "enum": ["stock", "flow", "average_stock", "growth_rate", "independent"] },
            "status": { "type": "string", "enum": ["active", "retiring", "archived"] },
            "themes": array(string()), "cube": { "type": "boolean" }, "links": map_of(string()),
        })));
    schemas.insert("IndicatorList".into(), object(&["total", "page", "per_page", "pages", "links", "indicators"], paging_props(json!({
            "query": object(&[], json!({ "q": nullable("string"), "theme": nullable("string") })),
            "indicators": array(r("IndicatorSummary")),
        }))));
    schemas.insert("Indicator".into(), object(&["code", "name", "unit", "source", "data_type", "period_type", "status", "periods", "levels"], json!({
            "code": string(), "name": texts, "description": texts, "more_info": texts, "footnote": texts,
            "unit": string(), "source": string(),
            "data_type": string(), "period_type": string(),
            "decimals": nullable("integer"), "rounding": nullable("number"),
            "aggregation": object(&["method"], json!({
                "method": { "type": "string", "enum": ["sum", "weighted", "formula", "none"] },
                "indicator": nullable("string"), "over_periods": { "type": "boolean" },
            })),
            "threshold": { "type": ["object", "null"], "properties": { "value": { "type": "number" }, "indicator": nullable("string") } },
            "survey": { "type": ["object", "null"], "properties": {
                "sample_indicator": nullable("string"), "population_indicator": nullable("string"), "stddev_indicator": nullable("string"),
                "confidence": { "type": "integer", "enum": [90, 95, 99], "description": "Confidence level of the intervals, in % (survey indicators whose sample size the reader may see)." },
                "benchmark": nullable("string"), "benchmark_rule": string(),
            } },
            "formula": nullable("string"), "derived": { "type": "boolean" }, "total_of": array(string()), "cube": { "type": "boolean" },
            "dim_levels": array(string()),
            "dimensions": array(object(&["level", "members"], json!({ "level": string(), "members": array(string()) }))),
            "themes": array(object(&["code"], json!({ "code": string(), "name": texts }))),
            "status": string(), "protected": { "type": "boolean" },
            "start_period": nullable("string"), "end_period": nullable("string"),
            "provisional_from": nullable("string"), "forecast_from": nullable("string"),
            "periods": array(string()),
            "levels": array(object(&["code", "periods"], json!({ "code": string(), "name": string(), "periods": array(string()) }))),
            "extra": map_of(string()),
            "links": links,
        })));
    schemas.insert(
        "GeoLevel".into(),
        object(
            &["code", "name", "kind", "items"],
            json!({
                "code": string(), "name": string(),
                "kind": { "type": "string", "enum": ["area", "location", "line", "cluster"] },
                "items": integer(), "unknown_location_items": integer(), "with_geometry": integer(),
                "parents": array(string()), "children": array(string()), "periods": integer(),
                "links": links,
            }),
        ),
    );
    schemas.insert(
        "GeoLevelList".into(),
        object(
            &["total", "geolevels"],
            json!({ "total": integer(), "geolevels": array(r("GeoLevel")) }),
        ),
    );
    schemas.insert("GeoItem".into(), object(&["code", "name"], json!({
            "code": string(), "short_name": string(), "name": string(), "seq": integer(),
            "unknown_location": { "type": "boolean" }, "parents": map_of(string()), "links": links,
        })));
    schemas.insert("GeoItemList".into(), object(&["level", "total", "items"], json!({
            "level": object(&["code"], json!({ "code": string(), "name": string(), "kind": string() })),
            "total": integer(), "items": array(r("GeoItem")),
        })));
    schemas.insert(
        "FeatureCollection".into(),
        object(
            &["type", "features"],
            json!({
                "type": { "const": "FeatureCollection" },
                "features": array(object(&["type", "geometry", "properties"], json!({
                    "type": { "const": "Feature" },
                    "id": string(),
                    "geometry": { "type": ["object", "null"] },
                    "properties": { "type": "object" },
                }))),
            }),
        ),
    );
    schemas.insert(
        "PeriodLevel".into(),
        object(
            &["code", "name", "per_year", "periods"],
            json!({
                "code": string(), "name": texts, "per_year": integer(), "periods": integer(),
                "first": nullable("string"), "last": nullable("string"), "links": links,
            }),
        ),
    );
    schemas.insert(
        "PeriodLevelList".into(),
        object(
            &["total", "periodlevels"],
            json!({ "total": integer(), "periodlevels": array(r("PeriodLevel")) }),
        ),
    );
    schemas.insert("Period".into(), object(&["code", "level", "name", "start", "end"], json!({
            "code": string(), "level": string(), "name": texts,
            "start": { "type": "string", "format": "date" }, "end": { "type": "string", "format": "date" },
            "flag": flag,
        })));
    schemas.insert("PeriodList".into(), object(&["total", "periods"], json!({
            "query": object(&[], json!({ "indicator": nullable("string"), "level": nullable("string"), "periodlevel": nullable("string") })),
            "total": integer(), "periods": array(r("Period")),
        })));
    schemas.insert(
        "Theme".into(),
        object(
            &["code", "name", "indicators", "children"],
            json!({
                "code": string(), "name": texts, "seq": integer(),
                "indicators": array(string()), "indicator_count": integer(),
                "children": array(r("Theme")), "links": links,
            }),
        ),
    );
    schemas.insert(
        "ThemeList".into(),
        object(
            &["total", "themes"],
            json!({ "total": integer(), "themes": array(r("Theme")) }),
        ),
    );
    schemas.insert("DataRow".into(), object(&["indicator", "item", "period", "dims", "value", "status", "flag"], json!({
            "indicator": string(), "item": string(), "period": string(),
            "dims": { "type": "object", "description": "Dimension level → member; empty for totals and flat indicators.", "additionalProperties": string() },
            "value": value, "status": status, "flag": flag,
            "lower": { "type": ["number", "null"], "description": "Survey indicators only: lower bound of the confidence interval; null when the value is missing or hidden." },
            "upper": { "type": ["number", "null"], "description": "Survey indicators only: upper bound of the confidence interval." },
            "margin": { "type": ["number", "null"], "description": "Survey indicators only: z·sqrt(p·(100−p)/n)·sqrt(1−n/N), before clipping to 0–100." },
            "significance": { "type": ["string", "null"], "enum": ["higher", "lower", "not-significant", null], "description": "Survey indicators only: the value against the benchmark area." },
            "benchmark": { "type": ["object", "null"], "properties": { "level": string(), "item": string() }, "description": "Survey indicators only: the benchmark area." },
        })));
    schemas.insert("Data".into(), object(&["query", "level", "indicators", "items", "periods", "cells", "data"], json!({
            "query": { "type": "object" },
            "generation": integer(),
            "level": object(&["code"], json!({ "code": string(), "name": string() })),
            "indicators": array(object(&["code"], json!({
                "code": string(), "name": texts, "unit": string(), "decimals": nullable("integer"),
                "data_type": string(), "period_type": string(), "source": string(), "footnote": texts, "links": links,
                "survey": object(&["confidence"], json!({ "confidence": integer(), "benchmark": nullable("string"), "benchmark_rule": string() })),
            }))),
            "items": array(object(&["code", "name"], json!({ "code": string(), "name": string(), "selection": { "type": "boolean" } }))),
            "periods": array(object(&["code"], json!({ "code": string(), "level": string(), "name": string() }))),
            "dim_levels": array(string()),
            "cells": integer(),
            "links": links,
            "data": array(r("DataRow")),
        })));
    schemas.insert("JsonStatDataset".into(), json!({
            "type": "object",
            "description": "A JSON-stat 2.0 dataset (https://json-stat.org/full/).",
            "required": ["version", "class", "id", "size", "dimension", "value"],
            "properties": {
                "version": { "const": "2.0" }, "class": { "const": "dataset" },
                "label": string(), "source": string(), "updated": string(),
                "id": array(string()), "size": array(integer()),
                "role": { "type": "object", "properties": { "time": array(string()), "geo": array(string()), "metric": array(string()) } },
                "dimension": map_of(json!({ "type": "object", "required": ["category"] })),
                "value": array(value.clone()),
                "status": map_of(string()),
                "note": array(string()),
                "extension": { "type": "object" },
            },
        }));
    schemas.insert("Profile".into(), object(&["area", "comparisons", "figures"], json!({
            "area": object(&["level", "code", "name"], json!({
                "level": string(), "level_name": string(), "code": string(), "short_name": string(), "name": string(),
                "unknown_location": { "type": "boolean" },
            })),
            "comparisons": array(object(&["level", "code"], json!({
                "level": string(), "level_name": string(), "code": string(), "name": string(), "depth": integer(), "top": { "type": "boolean" },
            }))),
            "query": { "type": "object" },
            "generation": integer(),
            "total": integer(),
            "figures": array(object(&["indicator", "period", "value", "status", "comparisons"], json!({
                "indicator": string(), "name": texts, "unit": string(), "decimals": nullable("integer"),
                "data_type": string(), "themes": array(string()), "period": string(),
                "value": value, "status": status, "flag": flag,
                "comparisons": array(object(&["level", "item", "value", "status"], json!({
                    "level": string(), "item": string(), "value": value, "status": status,
                }))),
            }))),
            "links": links,
        })));
    schemas.insert("CsvwMetadata".into(), json!({
            "type": "object",
            "description": "CSV on the Web metadata (https://www.w3.org/TR/tabular-metadata/).",
            "required": ["@context", "url", "tableSchema"],
            "properties": {
                "@context": string(), "url": string(),
                "tableSchema": object(&["columns"], json!({
                    "columns": array(object(&["name", "titles", "datatype"], json!({ "name": string(), "titles": string(), "datatype": string() }))),
                    "primaryKey": array(string()),
                })),
            },
        }));
    twins(&mut paths, &mut schemas, &status, &value);
    // Real codes as examples, so that generated requests reach real resources.
    let ex_ind = ctx
        .public_idx()
        .public
        .first()
        .map(|&i| ctx.code(i).to_string());
    let ex_level = ctx
        .snap
        .levels
        .iter()
        .filter(|l| !l.items.is_empty())
        .min_by_key(|l| l.items.len().abs_diff(30))
        .map(|l| (l.level.code.clone(), l.items[0].1.code.clone()));
    for item in paths.values_mut() {
        let Some(params) = item
            .get_mut("get")
            .and_then(|g| g.get_mut("parameters"))
            .and_then(|p| p.as_array_mut())
        else {
            continue;
        };
        for prm in params {
            let example = match (prm["name"].as_str(), prm["in"].as_str()) {
                (Some("code" | "indicator"), _) => ex_ind.clone(),
                (Some("level"), _) => ex_level.as_ref().map(|l| l.0.clone()),
                (Some("item"), Some("path")) => ex_level.as_ref().map(|l| l.1.clone()),
                _ => None,
            };
            if let Some(e) = example {
                prm["example"] = json!(e);
            }
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("{} — Peil API", ctx.st.site_name()),
            "version": "1.0.0",
            "description": format!(
                "The native open-data API of a Peil statistics site: indicators, areas, periods, themes, data and area profiles, from the published data only. \
                 Missing values are `null` with a `status` symbol (`x` hidden, `?` unknown, `nvt` not applicable, `-` empty). \
                 Formats by `format=` or the Accept header: JSON, CSV (+ CSV on the Web metadata), XLSX, JSON-stat 2.0 and GeoJSON where they apply. \
                 Every answer carries the publication's ETag. Errors are RFC 9457 problem details. At most {cap} cells per data request. \
                 Readable documentation: /api/v1/docs."
            ),
            "license": { "name": "Open data; see the site's terms" },
        },
        "servers": [{ "url": "/" }],
        "tags": [
            { "name": "about" }, { "name": "indicators" }, { "name": "geography" }, { "name": "time" }, { "name": "data" },
            { "name": "pages", "description": "The website's pages as JSON (their `.json` twins): what each page shows, with the same texts. Paths in the site's first language; the others are under `/en/`, `/fr/`, `/nl/`." },
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "apikey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "apikey",
                    "description": "Optional. A key (see `peil keys`) also shows the restricted indicators of its access groups; an unknown or revoked key answers 401.",
                },
            },
        },
        "security": [{}, { "apikey": [] }],
    })
}

/// An object whose every property is always written and nothing else: a twin's contract.
fn closed(props: Json) -> Json {
    let required: Vec<&String> = props
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    json!({ "type": "object", "required": required, "properties": props, "additionalProperties": false })
}

/// A twin's operation: 200 with its schema, 404 when the page does not exist.
fn twin_op(id: &str, summary: &str, description: &str, params: Vec<Json>, schema: &str) -> Json {
    json!({ "get": {
        "operationId": id,
        "tags": ["pages"],
        "summary": summary,
        "description": description,
        "parameters": params,
        "responses": {
            "200": { "description": summary, "content": { JSON_MEDIA: { "schema": r(schema) } } },
            "404": { "description": "No such page (an HTML page)." },
        },
    } })
}

/// The pages' `.json` twins (`web::json_twin`) and their schemas, `Twin…`, written from the
/// structs that make them (`web/area.rs`, `web/browse.rs`, `web/indicator.rs`,
/// `web/stories.rs`); `tests/clients/api_clients_check.py` validates real answers against them.
fn twins(
    paths: &mut serde_json::Map<String, Json>,
    schemas: &mut serde_json::Map<String, Json>,
    status: &Json,
    value: &Json,
) {
    let list = |name: &str, what: &str| {
        q(
            name,
            &format!("{what}, separated by commas (or the parameter repeated)."),
            string(),
            false,
        )
    };
    let level = q(
        "level",
        "Code of the geo level (default: the finest with at most 400 areas).",
        string(),
        false,
    );
    let link = || closed(json!({ "href": string(), "name": string() }));
    let benchmark = json!({ "anyOf": [closed(json!({ "item": string(), "level": string() })), { "type": "null" }], "description": "Survey indicators: the benchmark area." });
    let num_or_null = json!({ "type": ["number", "null"] });
    let text_or_null = nullable("string");
    let significance =
        json!({ "type": ["string", "null"], "enum": ["higher", "lower", "not-significant", null] });
    let mark = json!({ "type": ["string", "null"], "description": "▲ or ▼ when the value differs significantly from the benchmark." });

    paths.insert("/index.json".into(), twin_op("twinHome", "The home page", "The site's name, its top themes with their number of indicators, and the highlighted key figures.", vec![], "TwinHome"));
    schemas.insert("TwinHome".into(), closed(json!({
        "highlights": array(closed(json!({ "area": string(), "indicator": string(), "period": string(), "value": value }))),
        "site": string(),
        "themes": array(closed(json!({ "count": integer(), "href": string(), "name": string() }))),
    })));
    schemas.insert("TwinThemeNode".into(), closed(json!({
        "children": array(r("TwinThemeNode")), "code": string(), "depth": integer(), "href": string(),
        "indicators": array(closed(json!({ "code": string(), "href": string(), "name": string() }))),
        "name": string(),
    })));
    paths.insert(
        "/themes.json".into(),
        twin_op(
            "twinThemes",
            "The theme tree",
            "Every theme with its public indicators and subthemes.",
            vec![],
            "TwinThemes",
        ),
    );
    schemas.insert(
        "TwinThemes".into(),
        closed(json!({ "themes": array(r("TwinThemeNode")) })),
    );
    paths.insert(
        "/themes/{theme}.json".into(),
        twin_op(
            "twinTheme",
            "One theme",
            "The theme's tree and its own indicators with their descriptions.",
            vec![p("theme", "Code of the theme.")],
            "TwinTheme",
        ),
    );
    schemas.insert("TwinTheme".into(), closed(json!({
        "indicators": array(closed(json!({ "code": string(), "description": string(), "href": string(), "name": string(), "unit": string() }))),
        "theme": r("TwinThemeNode"),
    })));
    paths.insert("/search.json".into(), twin_op("twinSearch", "Search", "Indicators (the first 50 of `total`), areas (at most 30), themes and sections of the manual (at most 10) matching every word.",
        vec![q("q", "Search words.", string(), false)], "TwinSearch"));
    schemas.insert("TwinSearch".into(), closed(json!({
        "areas": array(closed(json!({ "href": string(), "level": string(), "name": string() }))),
        "indicators": array(closed(json!({ "code": string(), "description": string(), "href": string(), "name": string() }))),
        "manual": array(closed(json!({ "chapter": string(), "href": string(), "name": string() }))),
        "q": string(),
        "themes": array(link()),
        "total": integer(),
    })));
    paths.insert("/compare.json".into(), twin_op("twinCompare", "Compare areas",
        "Areas side by side (at most 12, then the first area's parents as reference columns): a row per indicator in its most recent period, a cell per column.",
        vec![level.clone(), list("areas", "Area codes of the level (default: the first three)"), list("indicators", "Indicator codes (default: the first 15 with data on the level)")], "TwinCompare"));
    schemas.insert("TwinCompare".into(), closed(json!({
        "areas": array(string()),
        "level": string(),
        "rows": array(closed(json!({
            "cells": array(closed(json!({
                "bar": { "type": ["number", "null"], "description": "The bar's length in % of the row's largest absolute value." },
                "interval": text_or_null, "lower": num_or_null, "mark": mark, "num": value,
                "significance": significance, "upper": num_or_null,
                "value": { "type": "string", "description": "The value with its unit, as the page shows it." },
                "verdict": text_or_null,
            }))),
            "href": string(), "name": string(),
            "period": { "type": "string", "description": "The period's label." },
        }))),
    })));
    paths.insert(
        "/explorer.json".into(),
        twin_op(
            "twinExplorer",
            "The data explorer",
            "A row per area and period, a cell per indicator (at most 10).",
            vec![
                level.clone(),
                list("indicators", "Indicator codes"),
                list("areas", "Area codes of the level (default: all)"),
                list("periods", "Period codes (default: the most recent)"),
            ],
            "TwinExplorer",
        ),
    );
    schemas.insert("TwinExplorer".into(), closed(json!({
        "indicators": array(string()),
        "level": string(),
        "periods": array(string()),
        "rows": array(closed(json!({
            "cells": array(closed(json!({
                "benchmark": benchmark, "interval": text_or_null, "lower": num_or_null, "mark": mark, "num": value,
                "significance": significance,
                "survey": { "type": "boolean", "description": "A survey indicator whose intervals the reader may see." },
                "upper": num_or_null,
                "value": { "type": "string", "description": "The value with its unit, as the page shows it." },
                "verdict": text_or_null,
            }))),
            "code": string(), "name": string(),
            "period": { "type": "string", "description": "The period's label." },
        }))),
    })));
    paths.insert("/area/{level}/{item}.json".into(), twin_op("twinArea", "An area profile",
        "Every numeric public indicator's most recent value in the area, with its nearest parent's and the top area's, its rank among its siblings (`rank` of `of`, 1 = highest) and its standardised score.",
        vec![p("level", "Code of the geo level."), p("item", "Code of the area.")], "TwinArea"));
    schemas.insert("TwinArea".into(), closed(json!({
        "ancestors": array(closed(json!({ "code": string(), "level": string() }))),
        "code": string(),
        "figures": array(closed(json!({
            "benchmark": benchmark, "indicator": string(), "lower": num_or_null,
            "of": nullable("integer"), "parent": value, "period": string(), "rank": nullable("integer"),
            "region": value, "score": num_or_null, "significance": significance, "status": status,
            "upper": num_or_null, "value": value,
        }))),
        "level": string(),
        "name": string(),
    })));
    // Survey fields are written only when `confidence` is not null.
    let survey_props = |mut props: Json| {
        let required: Vec<String> = props
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for (k, v) in [
            ("benchmark", benchmark.clone()),
            ("lower", num_or_null.clone()),
            ("margin", num_or_null.clone()),
            ("significance", significance.clone()),
            ("upper", num_or_null.clone()),
        ] {
            props[k] = v;
        }
        json!({ "type": "object", "required": required, "properties": props, "additionalProperties": false })
    };
    paths.insert("/indicator/{code}.json".into(), twin_op("twinIndicator", "An indicator on a level",
        "Every area of the level with value, rank (1 = highest) and map class, and the comparison areas; survey fields for survey indicators whose intervals the reader may see.",
        vec![
            p("code", "Code of the indicator."), level,
            q("period", "A period code (default: the most recent).", string(), false),
            q("class", "The map's classification: `stddev`, `quantiles`, `equal`, `jenks` or `manual:b1,b2,…`.", string(), false),
            q("k", "The number of classes.", string(), false),
            list("select", "Selected area codes"),
        ], "TwinIndicator"));
    schemas.insert("TwinIndicator".into(), closed(json!({
        "classification": closed(json!({ "breaks": array(json!({ "type": "number" })), "method": string() })),
        "compare": array(survey_props(json!({ "code": string(), "level": string(), "name": string(), "status": status, "value": value }))),
        "confidence": { "type": ["integer", "null"], "description": "The confidence level (%) of a survey indicator whose intervals the reader may see." },
        "indicator": closed(json!({ "code": string(), "formula": text_or_null, "name": string(), "source": string(), "unit": string() })),
        "level": string(),
        "period": string(),
        "rows": array(survey_props(json!({
            "class": nullable("integer"), "code": string(), "name": string(), "rank": nullable("integer"),
            "status": status, "tip": { "type": "string", "description": "The value as the map's tooltip words it: the number with its unit, or the kind of missing value in words." },
            "unknown_location": { "type": "boolean" }, "value": value,
        }))),
    })));
    paths.insert(
        "/stories.json".into(),
        twin_op(
            "twinStories",
            "Stories and dashboards",
            "The site's stories and dashboards.",
            vec![],
            "TwinStories",
        ),
    );
    let report = closed(
        json!({ "description": string(), "href": string(), "name": string(), "title": string() }),
    );
    schemas.insert(
        "TwinStories".into(),
        closed(json!({ "dashboards": array(report.clone()), "stories": array(report) })),
    );
    let area_params = || {
        vec![
            q("geo", "The area as `level:code`.", string(), false),
            q(
                "compare",
                "The comparison area as `level:code`.",
                string(),
                false,
            ),
        ]
    };
    let mut story_params = vec![p("story", "Name of the story.")];
    story_params.extend(area_params());
    paths.insert("/stories/{story}.json".into(), twin_op("twinStory", "A story", "The story rendered for an area, as Markdown with its figures' names, sources and the indicators the site lacks.", story_params, "TwinStory"));
    schemas.insert("TwinStory".into(), closed(json!({
        "compare": text_or_null, "figures": array(string()), "geo": string(), "markdown": string(),
        "missing": array(string()), "sources": array(string()), "title": string(),
    })));
    let mut dash_params = vec![p("dashboard", "Name of the dashboard.")];
    dash_params.extend(area_params());
    paths.insert(
        "/dashboards/{dashboard}.json".into(),
        twin_op(
            "twinDashboard",
            "A dashboard",
            "The dashboard's tiles for an area.",
            dash_params,
            "TwinDashboard",
        ),
    );
    schemas.insert("TwinDashboard".into(), closed(json!({
        "geo": string(),
        "tiles": array(closed(json!({ "indicator": text_or_null, "kind": string(), "target": { "type": ["string", "null"], "description": "The target and whether it is reached, as the tile says it." }, "title": string() }))),
        "title": string(),
    })));
}
