//! A DCAT-AP (Vlaanderen) catalogue of the published indicators, for harvesting by open-data
//! portals: the site is a `dcat:Catalog`, each public indicator a `dcat:Dataset` with one
//! distribution per format of the native API (CSV, JSON-stat, XLSX). Served as Turtle at
//! `/api/v1/catalog.ttl` and as JSON-LD at `/api/v1/catalog.jsonld`.

use crate::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use peil_compute::Snapshot;
use serde_json::{Value as J, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/catalog.ttl", get(turtle))
        .route("/api/v1/catalog.jsonld", get(jsonld))
}

/// One dataset: identifier, titles and descriptions per language, publisher-side metadata.
struct Dataset {
    code: String,
    titles: Vec<(String, String)>,
    descriptions: Vec<(String, String)>,
    source: String,
    unit: String,
    /// The finest level with data, and the period range there.
    level: Option<String>,
    first: Option<String>,
    last: Option<String>,
}

fn datasets(s: &Snapshot) -> Vec<Dataset> {
    let mut out = Vec::new();
    let mut inds: Vec<_> = s
        .indicators
        .iter()
        .filter(|i| s.is_public(&i.code))
        .collect();
    inds.sort_by(|a, b| a.code.cmp(&b.code));
    for i in inds {
        // The level with most items that has data for the indicator.
        let level = s
            .levels
            .iter()
            .filter(|l| !s.periods(&i.code, &l.level.code).is_empty())
            .max_by_key(|l| l.items.len())
            .map(|l| l.level.code.clone());
        let periods: Vec<String> = level
            .as_ref()
            .map(|l| {
                s.periods(&i.code, l)
                    .iter()
                    .map(|(p, _)| p.code())
                    .collect()
            })
            .unwrap_or_default();
        out.push(Dataset {
            code: i.code.clone(),
            titles: i
                .name
                .0
                .iter()
                .map(|(l, t)| (l.clone(), t.clone()))
                .collect(),
            descriptions: i
                .description
                .0
                .iter()
                .filter(|(_, t)| !t.is_empty())
                .map(|(l, t)| (l.clone(), t.clone()))
                .collect(),
            source: i.source.clone(),
            unit: i.unit.clone(),
            level,
            first: periods.iter().min().cloned(),
            last: periods.iter().max().cloned(),
        });
    }
    out
}

const FORMATS: [(&str, &str, &str); 3] = [
    ("csv", "text/csv", "CSV"),
    ("jsonstat", "application/json", "JSON"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX",
    ),
];

fn data_url(base: &str, d: &Dataset, format: &str) -> String {
    match &d.level {
        Some(l) => format!(
            "{base}/api/v1/data?indicator={}&level={l}&format={format}",
            d.code
        ),
        None => format!("{base}/api/v1/indicators/{}", d.code),
    }
}

fn ttl_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

async fn turtle(State(st): State<AppState>) -> impl IntoResponse {
    let s = st.snapshot();
    let base = st.public_url();
    let mut t = String::new();
    t.push_str("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n");
    t.push_str("@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\n");
    let ds = datasets(&s);
    t.push_str(&format!(
        "<{base}/api/v1/catalog> a dcat:Catalog ;\n    dct:title {}@nl ;\n",
        ttl_str(st.site_name())
    ));
    t.push_str(&format!(
        "    dct:description {}@nl ;\n",
        ttl_str(&format!(
            "Open data van {}: {} indicatoren",
            st.site_name(),
            ds.len()
        ))
    ));
    t.push_str(&format!(
        "    dct:publisher <{base}/api/v1/catalog#publisher> ;\n    foaf:homepage <{base}/> ;\n"
    ));
    t.push_str(&format!(
        "    dct:modified \"publication {}\"",
        s.generation
    ));
    for d in &ds {
        t.push_str(&format!(
            " ;\n    dcat:dataset <{base}/api/v1/indicators/{}>",
            d.code
        ));
    }
    t.push_str(" .\n\n");
    t.push_str(&format!(
        "<{base}/api/v1/catalog#publisher> a foaf:Agent ;\n    foaf:name {}@nl .\n\n",
        ttl_str(st.site_name())
    ));
    for d in &ds {
        let id = format!("{base}/api/v1/indicators/{}", d.code);
        t.push_str(&format!(
            "<{id}> a dcat:Dataset ;\n    dct:identifier {} ",
            ttl_str(&d.code)
        ));
        for (l, v) in &d.titles {
            t.push_str(&format!(";\n    dct:title {}@{l} ", ttl_str(v)));
        }
        for (l, v) in &d.descriptions {
            t.push_str(&format!(";\n    dct:description {}@{l} ", ttl_str(v)));
        }
        if !d.source.is_empty() {
            t.push_str(&format!(";\n    dct:source {} ", ttl_str(&d.source)));
        }
        if let (Some(a), Some(b)) = (&d.first, &d.last) {
            t.push_str(&format!(
                ";\n    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate {} ; dcat:endDate {} ] ",
                ttl_str(a),
                ttl_str(b)
            ));
        }
        t.push_str(&format!(
            ";\n    dct:publisher <{base}/api/v1/catalog#publisher> ;\n    dcat:landingPage <{id}> "
        ));
        for (f, _, _) in FORMATS {
            t.push_str(&format!(";\n    dcat:distribution <{id}#{f}> "));
        }
        t.push_str(".\n");
        for (f, media, name) in FORMATS {
            let url = data_url(&base, d, f);
            t.push_str(&format!(
                "<{id}#{f}> a dcat:Distribution ;\n    dct:title {} ;\n    dcat:accessURL <{url}> ;\n    dcat:downloadURL <{url}> ;\n    dcat:mediaType {} ;\n    dct:format {} .\n",
                ttl_str(&format!("{} ({name})", d.code)),
                ttl_str(media),
                ttl_str(name)
            ));
        }
        t.push('\n');
    }
    ([(header::CONTENT_TYPE, "text/turtle; charset=utf-8")], t)
}

async fn jsonld(State(st): State<AppState>) -> impl IntoResponse {
    let s = st.snapshot();
    let base = st.public_url();
    let lang = |pairs: &[(String, String)]| -> J {
        J::Array(
            pairs
                .iter()
                .map(|(l, v)| json!({"@language": l, "@value": v}))
                .collect(),
        )
    };
    let datasets: Vec<J> = datasets(&s)
        .iter()
        .map(|d| {
            let id = format!("{base}/api/v1/indicators/{}", d.code);
            let mut o = json!({
                "@id": id,
                "@type": "dcat:Dataset",
                "dct:identifier": d.code,
                "dct:title": lang(&d.titles),
                "dct:description": lang(&d.descriptions),
                "dct:publisher": {"@id": format!("{base}/api/v1/catalog#publisher")},
                "dcat:landingPage": {"@id": id},
                "dcat:distribution": FORMATS.iter().map(|(f, media, name)| json!({
                    "@id": format!("{id}#{f}"),
                    "@type": "dcat:Distribution",
                    "dct:title": format!("{} ({name})", d.code),
                    "dcat:accessURL": {"@id": data_url(&base, d, f)},
                    "dcat:downloadURL": {"@id": data_url(&base, d, f)},
                    "dcat:mediaType": media,
                    "dct:format": name,
                })).collect::<Vec<_>>(),
            });
            if !d.source.is_empty() {
                o["dct:source"] = json!(d.source);
            }
            if !d.unit.is_empty() {
                o["dcat:keyword"] = json!(d.unit);
            }
            if let (Some(a), Some(b)) = (&d.first, &d.last) {
                o["dct:temporal"] =
                    json!({"@type": "dct:PeriodOfTime", "dcat:startDate": a, "dcat:endDate": b});
            }
            o
        })
        .collect();
    let doc = json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
        },
        "@id": format!("{base}/api/v1/catalog"),
        "@type": "dcat:Catalog",
        "dct:title": [{"@language": "nl", "@value": st.site_name()}],
        "dct:publisher": {"@id": format!("{base}/api/v1/catalog#publisher"), "@type": "foaf:Agent", "foaf:name": st.site_name()},
        "foaf:homepage": {"@id": format!("{base}/")},
        "dcat:dataset": datasets,
    });
    (
        [(header::CONTENT_TYPE, "application/ld+json")],
        doc.to_string(),
    )
}
