//! `/api/v1/docs`: the API as one readable HTML page, rendered from the OpenAPI document so
//! the two never disagree. No scripts, no external assets.

use super::{ApiResult, BASE, Ctx, PROBLEMS, Req, encode, seg};
use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value as Json;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escapes, and turns `code` spans into <code>.
fn md(s: &str) -> String {
    let e = esc(s);
    let mut out = String::new();
    for (i, part) in e.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn schema_text(s: &Json) -> String {
    if let Some(e) = s.get("enum").and_then(|e| e.as_array()) {
        return e
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(" | ");
    }
    match s.get("type") {
        Some(Json::String(t)) => t.clone(),
        Some(Json::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(" | "),
        _ => String::new(),
    }
}

pub async fn handler(State(st): State<AppState>, req: Req) -> ApiResult<Response> {
    req.check(&[])?;
    let ctx = Ctx::new(&st, &req)?;
    let doc = super::openapi::document(&ctx);
    let site = esc(st.site_name());
    // Real codes for the examples.
    let ind = ctx
        .public_idx()
        .public
        .first()
        .map(|&i| ctx.code(i).to_string())
        .unwrap_or_else(|| "v1101_t".into());
    let level = ctx
        .snap
        .levels
        .iter()
        .filter(|l| !l.items.is_empty())
        .max_by_key(|l| {
            (
                !ctx.snap
                    .periods(&ind, &l.level.code, &ctx.reader)
                    .is_empty(),
                l.items.len().min(60),
            )
        })
        .map(|l| {
            (
                l.level.code.clone(),
                l.items
                    .first()
                    .map(|(_, it)| it.code.clone())
                    .unwrap_or_default(),
            )
        });
    let (lv, item) = level.unwrap_or_default();
    let examples = [
        (format!("{BASE}/indicators?q=inwoner"), "search"),
        (format!("{BASE}/indicators/{}", seg(&ind)), "one indicator"),
        (format!("{BASE}/geolevels"), "geo levels"),
        (
            format!("{BASE}/geolevels/{}/items?geometry=web", seg(&lv)),
            "areas as GeoJSON",
        ),
        (format!("{BASE}/themes"), "theme tree"),
        (
            format!("{BASE}/periods?indicator={}", encode(&ind)),
            "periods of an indicator",
        ),
        (
            format!(
                "{BASE}/data?indicator={}&level={}&period=mrp",
                encode(&ind),
                encode(&lv)
            ),
            "data, JSON",
        ),
        (
            format!(
                "{BASE}/data?indicator={}&level={}&period=mrp&format=csv",
                encode(&ind),
                encode(&lv)
            ),
            "data, CSV",
        ),
        (
            format!(
                "{BASE}/data?indicator={}&level={}&period=mrp&format=csvw",
                encode(&ind),
                encode(&lv)
            ),
            "its CSVW metadata",
        ),
        (
            format!(
                "{BASE}/data?indicator={}&level={}&period=mrp&format=jsonstat",
                encode(&ind),
                encode(&lv)
            ),
            "data, JSON-stat 2.0",
        ),
        (
            format!(
                "{BASE}/data?indicator={}&level={}&period=mrp&format=xlsx",
                encode(&ind),
                encode(&lv)
            ),
            "data, XLSX",
        ),
        (
            format!(
                "{BASE}/data?indicator={}&level={}&period=mrp&format=geojson",
                encode(&ind),
                encode(&lv)
            ),
            "data on a map, GeoJSON",
        ),
        (
            format!("{BASE}/areas/{}/{}/profile", seg(&lv), seg(&item)),
            "an area profile",
        ),
    ];
    let mut h = String::with_capacity(64 * 1024);
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{site} — API</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}}\
         code,pre{{font-family:ui-monospace,monospace;background:#f3f3f3;padding:0 .2em;border-radius:3px}}\
         table{{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}}th,td{{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}}\
         th{{background:#f7f7f7}}h2{{border-bottom:2px solid #222;padding-bottom:.2rem;margin-top:2.5rem}}\
         h3{{margin-bottom:.2rem}}.method{{font-weight:bold;color:#0a5}}a{{color:#0645ad}}\
         </style></head><body>\n<h1>{site} — open-data API</h1>\n"
    ));
    h.push_str(&format!(
        "<p>Version 1 of the native API, under <code>{BASE}/</code>. Machine-readable description: \
         <a href=\"{BASE}/openapi.json\">OpenAPI 3.1</a>. Publication (generation) {}: every answer carries it as its \
         <code>ETag</code>, so <code>If-None-Match</code> answers <code>304</code> until the next publication. \
         Answers are compressed when the client sends <code>Accept-Encoding: gzip</code>.</p>\n",
        ctx.snap.generation
    ));
    h.push_str("<h2 id=\"conventions\">Conventions</h2>\n<ul>\n");
    for li in [
        "Codes are permanent strings, also when they look like numbers.",
        "Numbers are JSON numbers. A missing value is <code>null</code> with a <code>status</code>: <code>x</code> hidden (privacy rules or the source), <code>?</code> unknown, <code>nvt</code> not applicable, <code>-</code> empty (no value). In CSV and XLSX the value cell is empty and the <code>status</code> column holds the symbol. <code>flag</code> marks provisional and forecast periods (JSON-stat status <code>p</code> and <code>f</code>).",
        "Formats: <code>?format=json|csv|csvw|xlsx|jsonstat|geojson</code> or the <code>Accept</code> header (<code>application/json</code>, <code>text/csv</code>, <code>application/csvm+json</code>, <code>application/vnd.openxmlformats-officedocument.spreadsheetml.sheet</code>, <code>application/geo+json</code>). A CSV answer links its CSV on the Web metadata with <code>Link: &lt;…&gt;; rel=\"describedby\"</code>; the same document is at the resource path + <code>-metadata.json</code>.",
        "Lists page with <code>page</code> and <code>per_page</code>; the answer gives <code>total</code> and <code>next</code>/<code>prev</code> links (also as a <code>Link</code> header).",
        "Without a key only public data is served: restricted indicators are not listed, counted, found or named anywhere, and asking for one answers exactly as for a code that does not exist. An <code>apikey</code> header with an active key also shows the restricted indicators of the key's access groups (an unknown or revoked key answers 401); answers vary by that header.",
        "Parameters an endpoint does not know are refused, so that a typo never silently changes a query. List parameters take commas (<code>indicator=a,b</code>) or repetition.",
        "The query string is form-encoded, as in OData and the selection table: <code>+</code> is a space and <code>%2B</code> a plus sign; a <code>%</code> not followed by two hex digits (write a percent sign as <code>%25</code>), or escapes that are not UTF-8, answer 400 with the parameter named in <code>parameter</code>.",
        "Periods are labelled for readers in the chosen language: <code>2019</code>, <code>1e halfjaar 2019</code> / <code>1st half 2019</code> / <code>1er semestre 2019</code>, <code>3e kwartaal 2019</code> / <code>3rd quarter 2019</code> / <code>3e trimestre 2019</code>, <code>maart 2019</code> / <code>March 2019</code> / <code>mars 2019</code> (the same labels as the website, OData <code>FullName</code> and reports).",
        "<code>lang</code> (default <code>nl</code>) chooses the language of labels in CSV, XLSX and JSON-stat; JSON carries every language.",
        "Survey indicators (a percentage with a sample size, or a mean with a sample size and a standard deviation) carry their confidence interval and the verdict against their benchmark area: in JSON the row fields <code>lower</code>, <code>upper</code>, <code>margin</code>, <code>significance</code> (<code>higher</code>, <code>lower</code>, <code>not-significant</code>) and <code>benchmark</code> (<code>{level, item}</code>), and the indicator's <code>survey.confidence</code> (90, 95 or 99 %); in CSV and XLSX the columns <code>lower, upper, margin, confidence, significance, benchmark_level, benchmark</code> after the others; in JSON-stat <code>extension.peil.survey</code>, by cell index as <code>status</code> is. A missing or hidden value (or a hidden sample size, population or standard deviation) has none, and the fields are left out for readers who may not see the sample size, population or standard deviation.",
    ] {
        h.push_str(&format!("<li>{li}</li>\n"));
    }
    h.push_str("</ul>\n<h2 id=\"examples\">Examples</h2>\n<ul>\n");
    for (u, what) in &examples {
        h.push_str(&format!(
            "<li>{}: <a href=\"{}\"><code>{}</code></a></li>\n",
            esc(what),
            esc(u),
            esc(u)
        ));
    }
    h.push_str("</ul>\n<h2 id=\"endpoints\">Endpoints</h2>\n");
    if let Some(paths) = doc["paths"].as_object() {
        // In reading order rather than alphabetically.
        const ORDER: [&str; 10] = [
            "/api/v1/indicators",
            "/api/v1/themes",
            "/api/v1/geolevels",
            "/api/v1/periodlevels",
            "/api/v1/periods",
            "/api/v1/data",
            "/api/v1/areas",
            "/api/v1/openapi.json",
            "/api/v1/docs",
            "/api/v1/",
        ];
        let rank = |p: &str| {
            ORDER
                .iter()
                .position(|o| p.starts_with(o))
                .unwrap_or(ORDER.len())
        };
        let mut sorted: Vec<(&String, &Json)> = paths.iter().collect();
        sorted.sort_by_key(|(p, _)| (rank(p), p.len(), p.to_string()));
        for (path, item) in sorted {
            let Some(op) = item.get("get") else { continue };
            let id = op["operationId"].as_str().unwrap_or("");
            h.push_str(&format!(
                "<h3 id=\"{}\"><span class=\"method\">GET</span> <code>{}</code></h3>\n<p><b>{}</b>. {}</p>\n",
                esc(id),
                esc(path),
                md(op["summary"].as_str().unwrap_or("")),
                md(op["description"].as_str().unwrap_or(""))
            ));
            if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
                h.push_str("<table><tr><th>parameter</th><th>in</th><th>values</th><th>meaning</th></tr>\n");
                for p in params {
                    h.push_str(&format!(
                        "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                        esc(p["name"].as_str().unwrap_or("")),
                        if p["required"] == true {
                            " (required)"
                        } else {
                            ""
                        },
                        esc(p["in"].as_str().unwrap_or("")),
                        esc(&schema_text(&p["schema"])),
                        md(p["description"].as_str().unwrap_or(""))
                    ));
                }
                h.push_str("</table>\n");
            }
            if let Some(resp) = op["responses"].as_object() {
                let ok: Vec<String> = resp
                    .get("200")
                    .and_then(|r| r["content"].as_object())
                    .map(|c| {
                        c.keys()
                            .map(|k| format!("<code>{}</code>", esc(k)))
                            .collect()
                    })
                    .unwrap_or_default();
                let errs: Vec<String> = resp
                    .keys()
                    .filter(|k| k.starts_with('4'))
                    .map(|k| k.to_string())
                    .collect();
                h.push_str(&format!(
                    "<p>Answers: 200 as {}; errors {}.</p>\n",
                    ok.join(", "),
                    errs.join(", ")
                ));
            }
        }
    }
    h.push_str("<h2 id=\"problems\">Problems</h2>\n<p>Errors are <a href=\"https://www.rfc-editor.org/rfc/rfc9457\">RFC 9457</a> problem details (<code>application/problem+json</code>) with <code>type</code>, <code>title</code>, <code>status</code> and <code>detail</code>, plus the members named below. Their <code>type</code> is a link to one of these sections.</p>\n");
    for (slug, status, title, when) in PROBLEMS {
        h.push_str(&format!(
            "<h3 id=\"problem-{slug}\">{status} — {}</h3>\n<p>{}</p>\n",
            esc(title),
            md(when)
        ));
    }
    h.push_str("</body></html>\n");
    let mut r = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], h).into_response();
    super::vary(&mut r);
    Ok(r)
}
