//! The native API (`/api/v1/`) of `peil serve` on the demo city: every endpoint and format,
//! search and paging, restricted indicators, formats that agree with each other, JSON-stat
//! structure, workbooks, custom selections, caching and compression, the cell cap.

use crate::common::*;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Restricted indicators of the demo: (code, every name and description text).
fn restricted() -> Vec<(String, Vec<String>)> {
    peil_demo::build()
        .metadata
        .indicators
        .into_iter()
        .filter(|i| matches!(i.visibility, peil_core::Visibility::Restricted(_)))
        .map(|i| {
            let texts = i.name.0.values().cloned().collect();
            (i.code, texts)
        })
        .collect()
}

/// A GET whose body may be binary.
fn get_bytes(
    s: &Server,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, HashMap<String, String>, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(&format!("{}{}", s.base, path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req.call().unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = resp.status().as_u16();
    let h = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_lowercase(),
                v.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let body = resp
        .body_mut()
        .with_config()
        .limit(256 << 20)
        .read_to_vec()
        .unwrap_or_default();
    (status, h, body)
}

fn ok_json(s: &Server, path: &str) -> Json {
    let r = s.get(path);
    assert_eq!(r.status, 200, "GET {path}: {}", r.body);
    r.json()
}

fn csv_rows(body: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rd = csv::ReaderBuilder::new().from_reader(body.as_bytes());
    let header = rd.headers().unwrap().iter().map(str::to_string).collect();
    let rows = rd
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The number of a JSON value.
fn num(v: &Json) -> Option<f64> {
    v.as_f64()
}

/// Equal numbers (the JSON parser of the tests may be a unit in the last place off), or both
/// missing.
fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0),
        (x, y) => x == y,
    }
}

/// A raw HTTP/1.1 GET (no client-side decompression): status line and headers.
fn raw_head(s: &Server, path: &str, headers: &[(&str, &str)]) -> (String, HashMap<String, String>) {
    use std::io::{Read, Write};
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut c = std::net::TcpStream::connect(&addr).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    c.write_all(req.as_bytes()).unwrap();
    let mut buf = Vec::new();
    c.read_to_end(&mut buf).unwrap();
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let mut lines = head.lines();
    let status = lines.next().unwrap().to_string();
    let mut h: HashMap<String, String> = HashMap::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let e = h.entry(k.trim().to_lowercase()).or_default();
            if !e.is_empty() {
                e.push_str(", ");
            }
            e.push_str(v.trim());
        }
    }
    (status, h)
}

#[test]
fn every_endpoint_answers_in_every_format() {
    let s = Server::demo();
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let data = "/api/v1/data?indicator=v1101_t,vp_65p&level=wijk&period=mrp";
    let one = "/api/v1/data?indicator=v1101_t&level=wijk&period=mrp";
    // (path, Accept header, status, media type of the answer)
    #[rustfmt::skip]
    let cases: &[(&str, &str, u16, &str)] = &[
        ("/api/v1/", "", 200, "application/json"),
        ("/api/v1", "", 200, "application/json"),
        ("/api/v1/openapi.json", "", 200, "application/json"),
        ("/api/v1/docs", "", 200, "text/html"),
        ("/api/v1/indicators", "", 200, "application/json"),
        ("/api/v1/indicators?format=csv", "", 200, "text/csv"),
        ("/api/v1/indicators", "text/csv", 200, "text/csv"),
        ("/api/v1/indicators?format=csvw", "", 200, "application/csvm+json"),
        ("/api/v1/indicators-metadata.json", "", 200, "application/csvm+json"),
        ("/api/v1/indicators?format=xlsx", "", 200, xlsx),
        ("/api/v1/indicators", xlsx, 200, xlsx),
        ("/api/v1/indicators?format=jsonstat", "", 400, "application/problem+json"),
        ("/api/v1/indicators", "image/png", 406, "application/problem+json"),
        ("/api/v1/indicators", "text/html,application/xhtml+xml,*/*;q=0.8", 200, "application/json"),
        ("/api/v1/indicators/v1101_t", "", 200, "application/json"),
        ("/api/v1/indicators/kubus_bevolking", "", 200, "application/json"),
        ("/api/v1/geolevels", "", 200, "application/json"),
        ("/api/v1/geolevels?format=csv", "", 200, "text/csv"),
        ("/api/v1/geolevels?format=xlsx", "", 200, xlsx),
        ("/api/v1/geolevels-metadata.json", "", 200, "application/csvm+json"),
        ("/api/v1/geolevels/wijk", "", 200, "application/json"),
        ("/api/v1/geolevels/wijk/items", "", 200, "application/json"),
        ("/api/v1/geolevels/wijk/items?geometry=web", "", 200, "application/geo+json"),
        ("/api/v1/geolevels/wijk/items?geometry=full", "", 200, "application/geo+json"),
        ("/api/v1/geolevels/wijk/items?format=geojson", "", 200, "application/geo+json"),
        ("/api/v1/geolevels/wijk/items", "application/geo+json", 200, "application/geo+json"),
        ("/api/v1/geolevels/wijk/items?format=csv", "", 200, "text/csv"),
        ("/api/v1/geolevels/wijk/items?format=xlsx", "", 200, xlsx),
        ("/api/v1/geolevels/wijk/items-metadata.json", "", 200, "application/csvm+json"),
        ("/api/v1/geolevels/wijk/items?geometry=round", "", 400, "application/problem+json"),
        ("/api/v1/periodlevels", "", 200, "application/json"),
        ("/api/v1/periodlevels?format=csv", "", 200, "text/csv"),
        ("/api/v1/periods", "", 200, "application/json"),
        ("/api/v1/periods?indicator=v_ondern_start&level=wijk&periodlevel=quarter", "", 200, "application/json"),
        ("/api/v1/periods?format=xlsx", "", 200, xlsx),
        ("/api/v1/themes", "", 200, "application/json"),
        ("/api/v1/themes?format=csv", "", 200, "text/csv"),
        ("/api/v1/themes-metadata.json", "", 200, "application/csvm+json"),
        (data, "", 200, "application/json"),
        (&format!("{data}&format=csv"), "", 200, "text/csv"),
        (data, "text/csv", 200, "text/csv"),
        (&format!("{data}&format=csvw"), "", 200, "application/csvm+json"),
        ("/api/v1/data-metadata.json?indicator=v1101_t&level=wijk", "", 200, "application/csvm+json"),
        // The CSVW default location of a CSV whose URL ends in format=csv: {+url}-metadata.json.
        (&format!("{data}&format=csv-metadata.json"), "", 200, "application/csvm+json"),
        (&format!("{data}&format=xlsx"), "", 200, xlsx),
        (&format!("{data}&format=jsonstat"), "", 200, "application/json"),
        (data, "application/json-stat+json", 200, "application/json"),
        (&format!("{one}&format=geojson"), "", 200, "application/geo+json"),
        (one, "application/geo+json", 200, "application/geo+json"),
        (&format!("{data}&format=geojson"), "", 200, "application/geo+json"),
        ("/api/v1/areas/wijk/4699901/profile", "", 200, "application/json"),
        ("/api/v1/areas/wijk/4699901/profile?format=csv", "", 200, "text/csv"),
        ("/api/v1/areas/wijk/4699901/profile?format=xlsx", "", 200, xlsx),
        ("/api/v1/areas/wijk/4699901/profile-metadata.json", "", 200, "application/csvm+json"),
        ("/api/v1/areas/statsec/46999A00-/profile?period=2020&theme=bevolking&lang=en", "", 200, "application/json"),
        // Errors.
        ("/api/v1/indicators/nope", "", 404, "application/problem+json"),
        ("/api/v1/indicators?pagina=2", "", 400, "application/problem+json"),
        ("/api/v1/indicators?per_page=0", "", 400, "application/problem+json"),
        ("/api/v1/indicators?per_page=1001", "", 400, "application/problem+json"),
        ("/api/v1/indicators?page=abc", "", 400, "application/problem+json"),
        ("/api/v1/indicators?theme=nope", "", 404, "application/problem+json"),
        ("/api/v1/indicators?lang=Dutch", "", 400, "application/problem+json"),
        ("/api/v1/indicators?q=%zz", "", 400, "application/problem+json"),
        ("/api/v1/geolevels/nope", "", 404, "application/problem+json"),
        ("/api/v1/geolevels/nope/items", "", 404, "application/problem+json"),
        ("/api/v1/periods?periodlevel=decade", "", 404, "application/problem+json"),
        ("/api/v1/data", "", 400, "application/problem+json"),
        ("/api/v1/data?indicator=v1101_t", "", 400, "application/problem+json"),
        ("/api/v1/data?indicator=v1101_t&level=wijk&period=20x0", "", 400, "application/problem+json"),
        ("/api/v1/data?indicator=v1101_t&level=wijk&period=2020:2019", "", 200, "application/json"),
        ("/api/v1/data?indicator=v1101_t&level=wijk&period=2020:20x9", "", 400, "application/problem+json"),
        ("/api/v1/data?indicator=v1101_t&level=wijk&period=2024q3", "", 400, "application/problem+json"),
        ("/api/v1/data?indicator=v1101_t&level=wijk&period=MRP", "", 400, "application/problem+json"),
        ("/api/v1/data?indicator=,&level=wijk", "", 404, "application/problem+json"),
        ("/api/v1/indicators?format=JSON", "", 400, "application/problem+json"),
        ("/api/v1/indicators?lang=", "", 400, "application/problem+json"),
        ("/api/v1/periods?periodlevel=jaar", "", 404, "application/problem+json"),
        ("/api/v1/data?indicator=v1101_t&level=wijk&items=nope", "", 404, "application/problem+json"),
        ("/api/v1/data?indicator=kubus_bevolking&level=wijk&dims=nope", "", 404, "application/problem+json"),
        ("/api/v1/data?indicator=v1101_t&level=wijk&format=bogus", "", 400, "application/problem+json"),
        ("/api/v1/areas/wijk/nope/profile", "", 404, "application/problem+json"),
        ("/api/v1/areas/wijk/4699901/profile?period=soon", "", 400, "application/problem+json"),
    ];
    for (path, accept, status, media) in cases {
        let headers: Vec<(&str, &str)> = if accept.is_empty() {
            vec![]
        } else {
            vec![("Accept", *accept)]
        };
        let (got, h, body) = get_bytes(&s, path, &headers);
        assert_eq!(
            got,
            *status,
            "GET {path} (Accept: {accept}): {}",
            String::from_utf8_lossy(&body)
        );
        let ct = h.get("content-type").cloned().unwrap_or_default();
        assert!(
            ct.starts_with(media),
            "GET {path} (Accept: {accept}): content-type {ct}, want {media}"
        );
        match *media {
            m if m.contains("json") => {
                let j: Json = serde_json::from_slice(&body)
                    .unwrap_or_else(|e| panic!("GET {path}: not JSON ({e})"));
                if m == "application/problem+json" {
                    for k in ["type", "title", "status", "detail"] {
                        assert!(j.get(k).is_some(), "GET {path}: problem without {k}: {j}");
                    }
                    assert_eq!(j["status"], *status as u64, "{path}");
                }
                if m == "application/geo+json" {
                    assert_eq!(j["type"], "FeatureCollection", "{path}");
                    assert!(!j["features"].as_array().unwrap().is_empty(), "{path}");
                }
                if m == "application/csvm+json" {
                    assert_eq!(j["@context"], "http://www.w3.org/ns/csvw", "{path}");
                    assert!(j["url"].as_str().unwrap().contains("format=csv"), "{path}");
                }
            }
            "text/csv" => {
                let text = String::from_utf8(body).unwrap();
                let (header, rows) = csv_rows(&text);
                assert!(!header.is_empty() && !rows.is_empty(), "{path}: {text}");
                let link = h.get("link").cloned().unwrap_or_default();
                assert!(
                    link.contains("rel=\"describedby\"") && link.contains("format=csvw"),
                    "{path}: Link {link}"
                );
            }
            "text/html" => {
                let html = String::from_utf8(body).unwrap();
                assert!(html.contains("<h1>") && html.contains("/api/v1/openapi.json"));
                for external in ["<script", "<link", "src=", "@import"] {
                    assert!(
                        !html.contains(external),
                        "docs load an external asset: {external}"
                    );
                }
            }
            m if m == xlsx => {
                assert_eq!(&body[..4], b"PK\x03\x04", "{path}: not a ZIP");
                assert!(
                    h.get("content-disposition")
                        .is_some_and(|d| d.contains(".xlsx")),
                    "{path}"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn openapi_documents_every_endpoint_and_they_answer() {
    let s = Server::demo();
    let doc = ok_json(&s, "/api/v1/openapi.json");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/",
        "/api/v1/openapi.json",
        "/api/v1/docs",
        "/api/v1/indicators",
        "/api/v1/indicators/{code}",
        "/api/v1/geolevels",
        "/api/v1/geolevels/{level}/items",
        "/api/v1/periodlevels",
        "/api/v1/periods",
        "/api/v1/themes",
        "/api/v1/data",
        "/api/v1/areas/{level}/{item}/profile",
        // The pages' twins (their answers are validated against these schemas by
        // `api_clients_check.py`).
        "/index.json",
        "/indicator/{code}.json",
        "/area/{level}/{item}.json",
        "/compare.json",
        "/explorer.json",
    ] {
        assert!(paths.contains_key(p), "{p} is not documented");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    // Every $ref resolves.
    let text = doc.to_string();
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }
    // Every documented path answers; required parameters from the demo.
    let fill = |p: &str| {
        p.replace("{code}", "v1101_t")
            .replace("{level}", "wijk")
            .replace("{item}", "4699901")
            .replace("{theme}", "bevolking")
            .replace("{story}", "wijkprofiel")
            .replace("{dashboard}", "bevolking")
    };
    for (path, item) in paths {
        let op = &item["get"];
        let mut url = fill(path);
        if path == "/api/v1/data" || path == "/api/v1/data-metadata.json" {
            url.push_str("?indicator=v1101_t&level=wijk&period=mrp");
        }
        let (status, h, body) = get_bytes(&s, &url, &[]);
        assert_eq!(status, 200, "{url}: {}", String::from_utf8_lossy(&body));
        let ct = h["content-type"].split(';').next().unwrap().to_string();
        let ok = &op["responses"]["200"]["content"];
        assert!(
            ok.get(&ct).is_some(),
            "{url} answers {ct}, not documented: {ok}"
        );
        // The top-level required fields of a JSON answer's schema are there.
        if ct == "application/json" || ct == "application/csvm+json" {
            let j: Json = serde_json::from_slice(&body).unwrap();
            let schema = &ok[&ct]["schema"];
            let schema = match schema["$ref"].as_str() {
                Some(r) => &schemas[r.trim_start_matches("#/components/schemas/")],
                None => schema,
            };
            for k in schema["required"].as_array().into_iter().flatten() {
                let k = k.as_str().unwrap();
                assert!(j.get(k).is_some(), "{url}: required field {k} missing");
            }
        }
        // Every operation of the API documents its problems (a page's twin answers a page).
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for code in ["400", "406"] {
            assert!(
                op["responses"].get(code).is_some() || path == "/api/v1/docs",
                "{path} lacks {code}"
            );
        }
    }
    // The index links to everything it names.
    let idx = ok_json(&s, "/api/v1/");
    for (k, v) in idx["links"].as_object().unwrap() {
        let u = fill(v.as_str().unwrap());
        if k == "data" {
            continue;
        }
        assert_eq!(s.get(&u).status, 200, "index link {k}: {u}");
    }
    assert_eq!(s.get("/api/v1/data").status, 400);
}

#[test]
fn search_paging_and_themes() {
    let s = Server::demo();
    let all = ok_json(&s, "/api/v1/indicators?per_page=1000");
    let total = all["total"].as_u64().unwrap() as usize;
    let list: Vec<Json> = all["indicators"].as_array().unwrap().clone();
    assert_eq!(list.len(), total);
    let text_of = |i: &Json| -> String {
        let mut t = i["code"].as_str().unwrap().to_lowercase();
        for k in ["name", "description"] {
            for v in i[k].as_object().unwrap().values() {
                t.push(' ');
                t.push_str(&v.as_str().unwrap().to_lowercase());
            }
        }
        t
    };
    let codes = |j: &Json| -> Vec<String> {
        j["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap().to_string())
            .collect()
    };
    // "inwoner" finds every indicator whose name says inwoners (the population indicators).
    let found = ok_json(&s, "/api/v1/indicators?q=inwoner&per_page=1000");
    let hits: BTreeSet<String> = codes(&found).into_iter().collect();
    for must in [
        "v1101_t",
        "v1101_0_19",
        "v1101_20_64",
        "v1101_65p",
        "v1101_nietbelg",
    ] {
        assert!(
            hits.contains(must),
            "inwoner does not find {must}: {hits:?}"
        );
    }
    for i in &list {
        let name_nl = i["name"]["nl"].as_str().unwrap().to_lowercase();
        if name_nl.contains("inwoner") {
            assert!(hits.contains(i["code"].as_str().unwrap()), "{name_nl}");
        }
    }
    for h in &hits {
        let i = list.iter().find(|i| i["code"] == h.as_str()).unwrap();
        assert!(
            text_of(i).contains("inwoner"),
            "{h} has nothing to do with inwoner"
        );
    }
    assert_eq!(
        found["indicators"][0]["code"], "v1101_t",
        "the best match comes first"
    );
    // Case, accents, several words, codes, compounds.
    let q = |q: &str| {
        codes(&ok_json(
            &s,
            &format!("/api/v1/indicators?per_page=1000&q={q}"),
        ))
    };
    let pv = q("geinstalleerd");
    assert!(pv.contains(&"v_pv_kw".to_string()), "{pv:?}");
    assert_eq!(
        q("GE%C3%8FNSTALLEERD"),
        pv,
        "accents and case do not matter"
    );
    assert_eq!(q("Ge%C3%AFnstalleerd+vermogen"), pv);
    assert_eq!(q("v1101_65p")[0], "v1101_65p");
    assert!(
        q("dichtheid").contains(&"v_dichtheid".to_string()),
        "compound words match"
    );
    assert!(
        q("inwoner+zonnepanelen").is_empty(),
        "every word must match"
    );
    assert!(q("qqqqqq").is_empty());

    // Paging: follow next links; the pages add up to the whole list in the same order.
    let mut seen: Vec<String> = Vec::new();
    let mut next = Some("/api/v1/indicators?per_page=7".to_string());
    let mut pages = 0;
    while let Some(u) = next {
        let r = s.get(&u);
        assert_eq!(r.status, 200);
        let j = r.json();
        assert_eq!(j["total"].as_u64().unwrap() as usize, total);
        assert_eq!(j["pages"].as_u64().unwrap() as usize, total.div_ceil(7));
        let link = &r.headers["link"];
        assert!(link.contains("rel=\"first\"") && link.contains("rel=\"last\""));
        if j["links"]["next"].is_string() {
            assert!(link.contains("rel=\"next\""));
        }
        if pages > 0 {
            assert!(j["links"]["prev"].is_string() && link.contains("rel=\"prev\""));
        }
        seen.extend(codes(&j));
        next = j["links"]["next"].as_str().map(str::to_string);
        pages += 1;
    }
    assert_eq!(pages, total.div_ceil(7));
    assert_eq!(seen, codes(&all));
    let beyond = ok_json(&s, "/api/v1/indicators?page=999");
    assert_eq!(beyond["indicators"].as_array().unwrap().len(), 0);
    assert_eq!(beyond["total"].as_u64().unwrap() as usize, total);
    // CSV holds every match unless paged.
    let csv = s.get("/api/v1/indicators?format=csv");
    assert_eq!(csv_rows(&csv.body).1.len(), total);
    let csv = s.get("/api/v1/indicators?format=csv&per_page=5");
    assert_eq!(csv_rows(&csv.body).1.len(), 5);

    // Themes: the tree holds every public indicator; a folder filter takes its subfolders.
    let tree = ok_json(&s, "/api/v1/themes");
    fn walk(t: &Json, out: &mut BTreeMap<String, Vec<String>>, parent: Option<&str>) {
        for n in t.as_array().unwrap() {
            let code = n["code"].as_str().unwrap().to_string();
            let mut inds: Vec<String> = n["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            if let Some(p) = parent {
                out.entry(p.to_string()).or_default().extend(inds.clone());
            }
            inds.sort();
            out.entry(code.clone()).or_default().extend(inds);
            walk(&n["children"], out, Some(&code));
        }
    }
    let mut by_theme = BTreeMap::new();
    walk(&tree["themes"], &mut by_theme, None);
    let in_tree: BTreeSet<String> = by_theme.values().flatten().cloned().collect();
    for i in &list {
        if !i["themes"].as_array().unwrap().is_empty() {
            assert!(
                in_tree.contains(i["code"].as_str().unwrap()),
                "{} is not in the tree",
                i["code"]
            );
        }
    }
    let pop = codes(&ok_json(
        &s,
        "/api/v1/indicators?theme=bevolking&per_page=1000",
    ));
    assert!(
        pop.contains(&"v1101_65p".to_string()),
        "subfolder bev_leeftijd is included: {pop:?}"
    );
    assert!(!pop.contains(&"v_won_t".to_string()));
    let both = codes(&ok_json(
        &s,
        "/api/v1/indicators?theme=bevolking&q=inwoner&per_page=1000",
    ));
    assert!(both.iter().all(|c| pop.contains(c) && hits.contains(c)) && !both.is_empty());
    let typo = s.get("/api/v1/indicators?theme=bevolkin");
    assert_eq!(typo.status, 404);
    assert_eq!(typo.json()["suggestions"][0], "bevolking");

    // An unknown code suggests close public codes.
    let nf = s.get("/api/v1/indicators/v1101_x");
    assert_eq!(nf.status, 404);
    let sug: Vec<String> = nf.json()["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(
        sug.contains(&"v1101_t".to_string()) || sug.contains(&"v1101_m".to_string()),
        "{sug:?}"
    );
    assert!(
        nf.json()["detail"]
            .as_str()
            .unwrap()
            .contains("did you mean")
    );
}

#[test]
fn restricted_indicators_are_invisible_everywhere() {
    let s = Server::demo();
    let hidden = restricted();
    assert!(
        hidden.iter().any(|(c, _)| c == "v_leefloon"),
        "the demo restricts v_leefloon"
    );
    let all = ok_json(&s, "/api/v1/indicators?per_page=1000");
    let listed: Vec<&str> = all["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    let total_demo = peil_demo::build().metadata.indicators.len();
    assert_eq!(
        all["total"].as_u64().unwrap() as usize,
        total_demo - hidden.len(),
        "restricted ones are not counted"
    );
    assert_eq!(
        ok_json(&s, "/api/v1/")["indicators"].as_u64().unwrap() as usize,
        listed.len()
    );

    // Asked for by code: exactly the answer for an unknown code, apart from the code.
    let same = |path_of: &dyn Fn(&str) -> String, code: &str, unknown: &str| {
        let a = s.get(&path_of(code));
        let b = s.get(&path_of(unknown));
        assert_eq!((a.status, b.status), (404, 404), "{}", path_of(code));
        assert_eq!(a.headers["content-type"], b.headers["content-type"]);
        assert_eq!(
            a.body.replace(code, "CODE"),
            b.body.replace(unknown, "CODE"),
            "{}",
            path_of(code)
        );
        let sug = a.json()["suggestions"].clone();
        for (h, _) in &hidden {
            assert!(
                !sug.to_string().contains(&format!("\"{h}\"")),
                "{h} suggested for {code}"
            );
        }
    };
    for (code, _) in &hidden {
        let unknown = format!("{}q", &code[..code.len() - 1]);
        same(&|c| format!("/api/v1/indicators/{c}"), code, &unknown);
        same(
            &|c| format!("/api/v1/periods?indicator={c}"),
            code,
            &unknown,
        );
        same(
            &|c| format!("/api/v1/data?indicator={c}&level=wijk"),
            code,
            &unknown,
        );
        same(
            &|c| format!("/api/v1/data?indicator=v1101_t,{c}&level=wijk&format=csv"),
            code,
            &unknown,
        );
        same(
            &|c| format!("/api/v1/data?indicator={c}&level=wijk&selection=4699901,4699902"),
            code,
            &unknown,
        );
        // A typo of a restricted code never suggests it.
        let typo = s.get(&format!("/api/v1/indicators/{}", &code[..code.len() - 1]));
        assert!(!typo.body.contains(&format!("\"{code}\"")), "{}", typo.body);
        // Not found by search.
        for q in [code.clone(), code.replace('_', " ")] {
            let r = ok_json(&s, &format!("/api/v1/indicators?q={}", q.replace(' ', "+")));
            assert_eq!(r["total"], 0, "search {q}: {r}");
            assert!(
                !r["indicators"].to_string().contains(code.as_str()),
                "search {q}: {r}"
            );
        }
    }
    // Nothing anywhere names a restricted indicator.
    let mut pages: Vec<String> = vec![
        "/api/v1/".into(),
        "/api/v1/indicators?per_page=1000".into(),
        "/api/v1/indicators?format=csv".into(),
        "/api/v1/indicators?q=leefloon".into(),
        "/api/v1/indicators?q=leegstand".into(),
        "/api/v1/themes".into(),
        "/api/v1/themes?format=csv".into(),
        "/api/v1/openapi.json".into(),
        "/api/v1/docs".into(),
        "/api/v1/periods".into(),
        "/api/v1/areas/wijk/4699901/profile".into(),
        "/api/v1/areas/wijk/4699901/profile?format=csv".into(),
        "/api/v1/areas/statsec/46999A00-/profile?period=2020".into(),
        "/api/v1/areas/gemeente/46999/profile?theme=inkomen".into(),
        "/api/v1/areas/gemeente/46999/profile?theme=wonen".into(),
    ];
    for c in &listed {
        pages.push(format!("/api/v1/indicators/{c}"));
    }
    let every = listed.join(",");
    pages.push(format!(
        "/api/v1/data?indicator={every}&level=gemeente&period=mrp"
    ));
    pages.push(format!(
        "/api/v1/data?indicator={every}&level=gemeente&period=mrp&format=csv"
    ));
    pages.push(format!(
        "/api/v1/data?indicator={every}&level=gemeente&period=mrp&format=jsonstat"
    ));
    pages.push(format!(
        "/api/v1/data?indicator={every}&level=gemeente&period=mrp&format=csvw"
    ));
    for p in &pages {
        let r = s.get(p);
        assert_eq!(r.status, 200, "{p}: {}", r.body);
        for (code, names) in &hidden {
            let quoted = [
                format!("\"{code}\""),
                format!(",{code},"),
                format!("{code}\r\n"),
                format!("/{code}"),
            ];
            for q in &quoted {
                assert!(!r.body.contains(q.as_str()), "{p} names restricted {code}");
            }
            for n in names {
                assert!(
                    !r.body.contains(n.as_str()),
                    "{p} names restricted {code} ({n})"
                );
            }
        }
    }
}

#[test]
fn data_formats_agree() {
    let s = Server::demo();
    // Counts, a ratio, income with hidden cells, on sectors, two periods.
    let q = "indicator=v1101_t,v_dichtheid,v_inkomen_gem,vs_tevreden_buurt&level=statsec&period=2020,mrp";
    let j = ok_json(&s, &format!("/api/v1/data?{q}"));
    let rows = j["data"].as_array().unwrap();
    assert_eq!(j["cells"].as_u64().unwrap() as usize, rows.len());
    let key = |r: &Json| {
        (
            r["indicator"].as_str().unwrap().to_string(),
            r["item"].as_str().unwrap().to_string(),
            r["period"].as_str().unwrap().to_string(),
        )
    };
    let by_key: BTreeMap<_, (Option<f64>, Option<String>)> = rows
        .iter()
        .map(|r| {
            (
                key(r),
                (num(&r["value"]), r["status"].as_str().map(str::to_string)),
            )
        })
        .collect();
    assert_eq!(by_key.len(), rows.len(), "one row per cell");
    let statuses: BTreeSet<Option<String>> = by_key.values().map(|v| v.1.clone()).collect();
    assert!(
        statuses.contains(&Some("x".into())),
        "the query has hidden cells: {statuses:?}"
    );
    for r in rows {
        // Missing cells: null value and a status symbol; numbers: no status.
        assert_eq!(r["value"].is_null(), r["status"].is_string(), "{r}");
        if let Some(st) = r["status"].as_str() {
            assert!(["x", "?", "nvt", "-"].contains(&st), "{r}");
        }
    }

    // CSV: the same cells with the same values.
    let csv = s.get(&format!("/api/v1/data?{q}&format=csv"));
    let (header, crow) = csv_rows(&csv.body);
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    assert_eq!(crow.len(), rows.len());
    for r in &crow {
        let k = (
            r[col("indicator")].clone(),
            r[col("item")].clone(),
            r[col("period")].clone(),
        );
        let (v, st) = &by_key[&k];
        let cv = (!r[col("value")].is_empty()).then(|| r[col("value")].parse::<f64>().unwrap());
        assert!(same(cv, *v), "{k:?}: {cv:?} vs {v:?}");
        let cs = (!r[col("status")].is_empty()).then(|| r[col("status")].clone());
        assert_eq!(&cs, st, "{k:?}");
    }
    // CSVW: its columns are the CSV's, its url is the CSV; the Link header points at it.
    let link = &csv.headers["link"];
    let meta_url = link[1..link.find('>').unwrap()].to_string();
    let meta = ok_json(&s, &meta_url);
    let titles: Vec<&str> = meta["tableSchema"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["titles"].as_str().unwrap())
        .collect();
    assert_eq!(titles, header);
    let csv_url = format!("/api/v1/{}", meta["url"].as_str().unwrap());
    assert_eq!(
        s.get(&csv_url).body,
        csv.body,
        "the CSVW url resolves to the CSV"
    );
    let meta2 = ok_json(&s, &format!("/api/v1/data-metadata.json?{q}"));
    assert_eq!(meta2["tableSchema"], meta["tableSchema"]);
    for c in meta["tableSchema"]["columns"].as_array().unwrap() {
        let dt = c["datatype"].as_str().unwrap();
        assert!(["string", "number", "integer", "boolean"].contains(&dt));
    }

    // XLSX: a real workbook with the same rows, and a metadata sheet with units and sources.
    let (st, h, bytes) = get_bytes(&s, &format!("/api/v1/data?{q}&format=xlsx"), &[]);
    assert_eq!(st, 200);
    assert!(h["content-type"].starts_with("application/vnd.openxmlformats"));
    assert_eq!(&bytes[..4], b"PK\x03\x04");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    let book = peil_ingest::table::read_workbook(&path).expect("the workbook opens");
    let sheet = |name: &str| {
        book.iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no sheet {name}"))
            .1
            .clone()
    };
    let data = sheet("data");
    assert_eq!(data[0].1, header, "same columns as the CSV");
    assert_eq!(data.len() - 1, rows.len());
    for (_, r) in &data[1..] {
        let get = |n: &str| r.get(col(n)).cloned().unwrap_or_default();
        let k = (get("indicator"), get("item"), get("period"));
        let (v, st) = &by_key[&k];
        let xv = (!get("value").is_empty()).then(|| get("value").parse::<f64>().unwrap());
        assert!(same(xv, *v), "{k:?}: {xv:?} vs {v:?}");
        assert_eq!(
            (!get("status").is_empty()).then(|| get("status")),
            *st,
            "{k:?}"
        );
    }
    let meta_sheet: String = sheet("metadata")
        .iter()
        .flat_map(|(_, r)| r.clone())
        .collect::<Vec<_>>()
        .join("|");
    for needle in ["Rijksregister", "inwoners", "Stadsmonitor", "x = hidden"] {
        assert!(meta_sheet.contains(needle), "metadata sheet lacks {needle}");
    }

    // JSON-stat 2.0: shape, roles, categories, and the same values and statuses.
    let js = ok_json(&s, &format!("/api/v1/data?{q}&format=jsonstat"));
    check_jsonstat(&js);
    let ids: Vec<&str> = js["id"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let size: Vec<usize> = js["size"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let pos = |dim: &str, cat: &str| {
        js["dimension"][dim]["category"]["index"][cat]
            .as_u64()
            .unwrap() as usize
    };
    for (k, (v, st)) in &by_key {
        let coords = [
            pos("indicator", &k.0),
            pos("area", &k.1),
            pos("period", &k.2),
        ];
        let mut idx = 0;
        for (d, c) in coords.iter().enumerate() {
            idx = idx * size[d] + c;
        }
        assert_eq!(ids.len(), 3, "flat indicators: no cube dimensions");
        assert!(same(num(&js["value"][idx]), *v), "{k:?}");
        assert_eq!(
            js["status"]
                .get(idx.to_string())
                .and_then(|s| s.as_str())
                .map(str::to_string),
            *st,
            "{k:?}"
        );
    }
    // With cube dimensions: one dimension per dim level, sizes multiply to the value count.
    let cube = ok_json(
        &s,
        "/api/v1/data?indicator=kubus_bevolking&level=wijk&period=mrp&dims=leeftijd3,geslacht&format=jsonstat",
    );
    check_jsonstat(&cube);
    assert_eq!(cube["id"].as_array().unwrap().len(), 5);
    let long = ok_json(
        &s,
        "/api/v1/data?indicator=kubus_bevolking&level=wijk&period=mrp&dims=leeftijd3,geslacht",
    );
    let n = cube["value"].as_array().unwrap().len();
    assert_eq!(
        n,
        long["cells"].as_u64().unwrap() as usize,
        "a full cross-table: every cell exists"
    );
    let sum: f64 = long["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["item"] == "4699901")
        .filter_map(|r| r["value"].as_f64())
        .sum();
    let total = ok_json(
        &s,
        "/api/v1/data?indicator=kubus_bevolking&level=wijk&items=4699901&period=mrp",
    );
    assert_eq!(
        total["data"][0]["value"].as_f64().unwrap(),
        sum,
        "cells add up to the total"
    );
    let all = ok_json(
        &s,
        "/api/v1/data?indicator=kubus_bevolking,v1101_t&level=gemeente&period=mrp&dims=all&format=jsonstat",
    );
    check_jsonstat(&all);

    // GeoJSON: one feature per area with geometry (none for the unknown location) and the value.
    let g = ok_json(
        &s,
        "/api/v1/data?indicator=v1101_t&level=wijk&period=2024&format=geojson",
    );
    let items = ok_json(&s, "/api/v1/geolevels/wijk/items");
    let feats = g["features"].as_array().unwrap();
    assert_eq!(feats.len(), items["total"].as_u64().unwrap() as usize);
    let wijk = ok_json(&s, "/api/v1/data?indicator=v1101_t&level=wijk&period=2024");
    for (f, r) in feats.iter().zip(wijk["data"].as_array().unwrap()) {
        assert_eq!(f["id"], r["item"]);
        assert_eq!(f["properties"]["value"], r["value"]);
        let unknown = f["id"].as_str().unwrap().ends_with("WONB");
        assert_eq!(f["geometry"].is_null(), unknown, "{}", f["id"]);
    }
    assert_eq!(g["periods"], serde_json::json!(["2024"]));
    assert!(feats.iter().all(|f| f["properties"]["period"] == "2024"));
    // Several indicators and periods: every feature lists its cells.
    let g2 = ok_json(
        &s,
        "/api/v1/data?indicator=v1101_t,v_dichtheid&level=wijk&period=2023,2024&format=geojson",
    );
    for f in g2["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["data"].as_array().unwrap().len(), 4, "{f}");
        assert!(f["properties"].get("value").is_none());
    }
}

/// The JSON-stat 2.0 rules a strict validator (jsonstat-validator) applies to a dataset.
fn check_jsonstat(js: &Json) {
    let allowed: BTreeSet<&str> = [
        "version",
        "class",
        "href",
        "label",
        "source",
        "updated",
        "id",
        "size",
        "role",
        "value",
        "status",
        "dimension",
        "note",
        "extension",
        "link",
    ]
    .into();
    for k in js.as_object().unwrap().keys() {
        assert!(allowed.contains(k.as_str()), "unknown dataset property {k}");
    }
    assert_eq!(js["version"], "2.0");
    assert_eq!(js["class"], "dataset");
    let ids: Vec<&str> = js["id"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let size: Vec<usize> = js["size"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(ids.len(), size.len());
    let n: usize = size.iter().product();
    let values = js["value"].as_array().unwrap();
    assert_eq!(values.len(), n, "sizes multiply to the value count");
    assert!(values.iter().all(|v| v.is_null() || v.is_number()));
    if let Some(st) = js.get("status") {
        for (k, v) in st.as_object().expect("status by cell index") {
            assert!(k.parse::<usize>().unwrap() < n);
            assert!(["x", "?", "nvt", "-", "p", "f"].contains(&v.as_str().unwrap()));
        }
    }
    let mut roles: Vec<&str> = Vec::new();
    for r in ["time", "geo", "metric"] {
        let dims = js["role"][r]
            .as_array()
            .unwrap_or_else(|| panic!("role {r} missing"));
        for d in dims {
            assert!(
                ids.contains(&d.as_str().unwrap()),
                "role {r} names an unknown dimension"
            );
            roles.push(d.as_str().unwrap());
        }
    }
    let unique: BTreeSet<&str> = roles.iter().copied().collect();
    assert_eq!(unique.len(), roles.len(), "a dimension has one role");
    for (d, sz) in ids.iter().zip(&size) {
        let dim = &js["dimension"][*d];
        for k in dim.as_object().unwrap().keys() {
            assert!(
                [
                    "label",
                    "category",
                    "href",
                    "link",
                    "note",
                    "extension",
                    "updated",
                    "source"
                ]
                .contains(&k.as_str()),
                "dimension {d}: {k}"
            );
        }
        let cat = &dim["category"];
        for k in cat.as_object().unwrap().keys() {
            assert!(
                ["index", "label", "child", "coordinates", "unit", "note"].contains(&k.as_str()),
                "category of {d}: {k}"
            );
        }
        let index = cat["index"].as_object().unwrap();
        assert_eq!(index.len(), *sz, "dimension {d}");
        let mut positions: Vec<u64> = index.values().map(|v| v.as_u64().unwrap()).collect();
        positions.sort();
        assert_eq!(positions, (0..*sz as u64).collect::<Vec<_>>());
        let labels: BTreeSet<&String> = cat["label"].as_object().unwrap().keys().collect();
        assert_eq!(
            labels,
            index.keys().collect(),
            "labels and index have the same keys in {d}"
        );
        if let Some(u) = cat.get("unit") {
            for (k, unit) in u.as_object().unwrap() {
                assert!(index.contains_key(k));
                assert!(unit["decimals"].is_u64(), "unit decimals are required");
                for f in unit.as_object().unwrap().keys() {
                    assert!(
                        [
                            "label",
                            "decimals",
                            "symbol",
                            "position",
                            "base",
                            "type",
                            "multiplier",
                            "adjustment"
                        ]
                        .contains(&f.as_str())
                    );
                }
            }
        }
    }
    if let Some(u) = js.get("updated") {
        let u = u.as_str().unwrap();
        assert!(
            u.len() >= 10 && u.as_bytes()[4] == b'-',
            "updated is ISO 8601: {u}"
        );
    }
}

#[test]
fn custom_selections_sum_their_parts_and_never_reveal_hidden_cells() {
    let s = Server::demo();
    let sectors = ok_json(&s, "/api/v1/geolevels/statsec/items");
    let codes: Vec<String> = sectors["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_string())
        .collect();
    // Counts sum; a ratio is recomputed from its numerator and denominator.
    for parts in [&codes[0..2], &codes[5..12], &codes[40..41]] {
        let list = parts.join(",");
        let j = ok_json(
            &s,
            &format!(
                "/api/v1/data?indicator=v1101_t,v_opp_km2,v_dichtheid&level=statsec&items={list}&selection={list}&period=2024"
            ),
        );
        let val = |ind: &str, item: &str| -> Option<f64> {
            j["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["indicator"] == ind && r["item"] == item)
                .and_then(|r| r["value"].as_f64())
        };
        let sum = |ind: &str| parts.iter().map(|p| val(ind, p).unwrap()).sum::<f64>();
        assert_eq!(val("v1101_t", "_selection"), Some(sum("v1101_t")), "{list}");
        let density = val("v_dichtheid", "_selection").unwrap();
        assert!(
            (density - sum("v1101_t") / sum("v_opp_km2")).abs() < 1e-6 * density,
            "{list}"
        );
        // CSV and JSON-stat carry the selection too.
        let csv = s.get(&format!(
            "/api/v1/data?indicator=v1101_t&level=statsec&selection={list}&period=2024&format=csv"
        ));
        let (h, rows) = csv_rows(&csv.body);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0][h.iter().position(|c| c == "item").unwrap()],
            "_selection"
        );
        assert_eq!(
            rows[0][h.iter().position(|c| c == "value").unwrap()]
                .parse::<f64>()
                .unwrap(),
            sum("v1101_t")
        );
    }
    // A selection with a hidden cell is refused, naming the area; without it, it is computed.
    let income = ok_json(
        &s,
        "/api/v1/data?indicator=v_inkomen_gem&level=statsec&period=2020",
    );
    let rows = income["data"].as_array().unwrap();
    let hidden = rows
        .iter()
        .find(|r| r["status"] == "x")
        .expect("a hidden income cell")["item"]
        .as_str()
        .unwrap()
        .to_string();
    let shown: Vec<String> = rows
        .iter()
        .filter(|r| r["value"].is_number())
        .take(3)
        .map(|r| r["item"].as_str().unwrap().to_string())
        .collect();
    let mut sel = shown.clone();
    sel.push(hidden.clone());
    for fmt in ["json", "csv", "jsonstat", "xlsx"] {
        let r = s.get(&format!("/api/v1/data?indicator=v_inkomen_gem&level=statsec&selection={}&period=2020&format={fmt}", sel.join(",")));
        assert_eq!(r.status, 403, "{fmt}: {}", r.body);
        assert_eq!(r.headers["content-type"], "application/problem+json");
        let p = r.json();
        assert_eq!(p["type"], "/api/v1/docs#problem-reveals-hidden-cell");
        assert_eq!(p["item"], hidden.as_str());
        assert!(p["detail"].as_str().unwrap().contains("hidden"), "{p}");
    }
    let ok = ok_json(
        &s,
        &format!(
            "/api/v1/data?indicator=v_inkomen_gem&level=statsec&selection={}&period=2020",
            shown.join(",")
        ),
    );
    assert!(ok["data"][0]["value"].is_number(), "{ok}");
    // Cube breakdowns: the selection has its total only.
    let cube = ok_json(
        &s,
        "/api/v1/data?indicator=kubus_bevolking&level=wijk&items=4699901,4699902&selection=4699901,4699902&period=2024&dims=all",
    );
    let sel: Vec<&Json> = cube["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["item"] == "_selection")
        .collect();
    assert_eq!(sel.len(), 1);
    assert_eq!(sel[0]["dims"], serde_json::json!({}));
    let parts: f64 = cube["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["item"] != "_selection" && r["dims"] == serde_json::json!({}))
        .map(|r| r["value"].as_f64().unwrap())
        .sum();
    assert_eq!(sel[0]["value"].as_f64().unwrap(), parts);
    // Unknown areas are 404.
    let nf = s.get("/api/v1/data?indicator=v1101_t&level=wijk&selection=4699901,469990X");
    assert_eq!(nf.status, 404);
    assert_eq!(nf.json()["code"], "469990X");
}

#[test]
fn profiles_compare_an_area_with_its_parents() {
    let s = Server::demo();
    let p = ok_json(&s, "/api/v1/areas/wijk/4699901/profile");
    let cmp: Vec<(String, String)> = p["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["level"].as_str().unwrap().to_string(),
                c["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(cmp.first().unwrap().0, "district");
    assert_eq!(
        cmp.last().unwrap(),
        &("gewest".to_string(), "2000".to_string())
    );
    assert!(p["comparisons"].as_array().unwrap().last().unwrap()["top"] == true);
    let figs = p["figures"].as_array().unwrap();
    assert!(figs.len() > 20, "{}", figs.len());
    assert!(figs.iter().any(|f| f["indicator"] == "v1101_t"));
    // Every figure equals what the data endpoint says for the area and each comparison.
    for f in figs.iter().step_by(7) {
        let ind = f["indicator"].as_str().unwrap();
        let period = f["period"].as_str().unwrap();
        let at = |level: &str, item: &str| -> Json {
            ok_json(
                &s,
                &format!("/api/v1/data?indicator={ind}&level={level}&items={item}&period={period}"),
            )["data"][0]
                .clone()
        };
        let own = at("wijk", "4699901");
        assert_eq!(own["value"], f["value"], "{ind}");
        for c in f["comparisons"].as_array().unwrap() {
            let other = at(c["level"].as_str().unwrap(), c["item"].as_str().unwrap());
            assert_eq!(other["value"], c["value"], "{ind} {c}");
            assert_eq!(other["status"], c["status"], "{ind} {c}");
        }
    }
    // A sector's parents: its wijk and municipality directly, then district and region.
    let sp = ok_json(&s, "/api/v1/areas/statsec/46999A00-/profile?period=2020");
    let levels: Vec<&str> = sp["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["level"].as_str().unwrap())
        .collect();
    for l in ["wijk", "gemeente", "district", "gewest"] {
        assert!(levels.contains(&l), "{levels:?}");
    }
    assert!(
        sp["figures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["period"] == "2020")
    );
    // CSV: one row per figure, a value column per comparison.
    let csv = s.get("/api/v1/areas/wijk/4699901/profile?format=csv");
    let (h, rows) = csv_rows(&csv.body);
    assert_eq!(rows.len(), figs.len());
    for l in ["district", "gemeente", "gewest"] {
        assert!(h.contains(&format!("value_{l}")), "{h:?}");
    }
    // A theme narrows the figures.
    let t = ok_json(&s, "/api/v1/areas/wijk/4699901/profile?theme=energie");
    assert!(t["figures"].as_array().unwrap().len() < figs.len());
}

#[test]
fn caching_compression_and_the_cell_cap() {
    let s = Server::demo();
    let path = "/api/v1/data?indicator=v1101_t&level=wijk&period=mrp";
    let r = s.get(path);
    let etag = r.headers["etag"].clone();
    assert!(r.headers.contains_key("vary"));
    let again = s.get_with(path, &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(
        s.get_with(path, &[("If-None-Match", "\"other\"")]).status,
        200
    );
    // gzip when asked.
    let (st, h) = raw_head(
        &s,
        "/api/v1/indicators?per_page=100",
        &[("Accept-Encoding", "gzip")],
    );
    assert!(st.contains(" 200 "), "{st}");
    assert_eq!(
        h.get("content-encoding").map(String::as_str),
        Some("gzip"),
        "{h:?}"
    );
    let vary: Vec<&str> = h["vary"].split(',').map(str::trim).collect();
    assert!(
        vary.contains(&"accept-encoding") && vary.contains(&"accept"),
        "{h:?}"
    );
    let (_, plain) = raw_head(&s, "/api/v1/indicators?per_page=100", &[]);
    assert!(!plain.contains_key("content-encoding"));
    let (st, _) = raw_head(
        &s,
        "/api/v1/indicators?per_page=100",
        &[("If-None-Match", &etag)],
    );
    assert!(st.contains(" 304 "), "{st}");
    // The cap: many indicators × every sector × many named periods.
    let all = ok_json(&s, "/api/v1/indicators?per_page=1000");
    let codes: Vec<&str> = all["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    let mut periods: Vec<String> = (2000..2026).map(|y| y.to_string()).collect();
    periods.extend((2016..2026).flat_map(|y| (1..=4).map(move |q| format!("{y}Q{q}"))));
    let big = format!(
        "/api/v1/data?indicator={}&level=statsec&period={}",
        codes.join(","),
        periods.join(",")
    );
    assert!(big.len() < 8000);
    let r = s.get(&big);
    assert_eq!(r.status, 422, "{}", &r.body[..r.body.len().min(300)]);
    let p = r.json();
    assert_eq!(p["type"], "/api/v1/docs#problem-too-many-cells");
    assert!(p["cells"].as_u64().unwrap() > p["max_cells"].as_u64().unwrap());
    assert_eq!(p["max_cells"], ok_json(&s, "/api/v1/")["max_cells"]);
}

#[test]
fn an_api_key_shows_the_restricted_indicators_of_its_groups() {
    let s = Server::demo();
    let hidden = restricted();
    let key_for = |group: &str| -> String {
        let out = s
            .site
            .ok(&["keys", "create", "--name", "test", "--group", group]);
        out.lines().nth(1).unwrap().trim().to_string()
    };
    let staff = key_for(peil_demo::indicators::STAFF_GROUP);
    let other = key_for("gemeenteraad");
    // Keys are picked up with the next store poll.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while s
        .get_with("/api/v1/indicators/v_leefloon", &[("apikey", &staff)])
        .status
        != 200
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the key was not picked up"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let anon = ok_json(&s, "/api/v1/indicators?per_page=1000");
    let keyed = s.get_with("/api/v1/indicators?per_page=1000", &[("apikey", &staff)]);
    assert_eq!(keyed.status, 200);
    let (_, h) = raw_head(&s, "/api/v1/indicators", &[("apikey", &staff)]);
    let vary: Vec<&str> = h["vary"].split(',').map(str::trim).collect();
    assert!(vary.contains(&"apikey"), "answers vary by key: {vary:?}");
    assert_eq!(
        keyed.json()["total"].as_u64().unwrap(),
        anon["total"].as_u64().unwrap() + hidden.len() as u64
    );
    for (code, _) in &hidden {
        let with = |k: &str, path: &str| s.get_with(path, &[("apikey", k)]);
        let data = format!("/api/v1/data?indicator={code}&level=wijk&period=mrp");
        assert_eq!(
            with(&staff, &format!("/api/v1/indicators/{code}")).status,
            200
        );
        let d = with(&staff, &data);
        assert_eq!(d.status, 200, "{}", d.body);
        assert!(d.json()["cells"].as_u64().unwrap() > 0);
        // Search finds it with the key, not without.
        let found = with(&staff, &format!("/api/v1/indicators?q={code}")).json();
        assert_eq!(found["indicators"][0]["code"], code.as_str());
        // Another group's key and no key: it does not exist.
        assert_eq!(
            with(&other, &format!("/api/v1/indicators/{code}")).status,
            404
        );
        assert_eq!(s.get(&data).status, 404);
        assert_eq!(
            ok_json(&s, &format!("/api/v1/indicators?q={code}"))["total"],
            0
        );
    }
    // A profile with the key has the restricted figures too.
    let p = s.get_with(
        "/api/v1/areas/gemeente/46999/profile",
        &[("apikey", &staff)],
    );
    assert!(p.body.contains("\"v_leefloon\""));
    assert!(
        !s.get("/api/v1/areas/gemeente/46999/profile")
            .body
            .contains("\"v_leefloon\"")
    );
    // An unknown key is refused everywhere, also on public resources.
    for path in [
        "/api/v1/",
        "/api/v1/indicators",
        "/api/v1/indicators/v1101_t",
    ] {
        let r = s.get_with(path, &[("apikey", "not-a-key")]);
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(r.headers["content-type"], "application/problem+json");
        assert_eq!(r.json()["type"], "/api/v1/docs#problem-invalid-key");
    }
}
