//! The Connector (issue 15): a "city" site pulls from a "province" site served by `peil serve`
//! with the real Flanders data — Fluvius energy on statsec2019 and Zennevallei income on
//! statsec2024 with Statbel's unpublished (`x`) cells.

use crate::common::*;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub(crate) const FLUVIUS: [&str; 9] = [
    "v2506_elek_nietres_cons",
    "v2506_elek_res_cons",
    "v2506_elek_nietres_n",
    "v2506_elek_res_n",
    "v2506_elek_res_injectie",
    "v2506_gas_res_cons",
    "v2506_gas_nietres_cons",
    "v2506_gas_res_n",
    "v2506_gas_nietres_n",
];

/// The province, every level of the Flanders set: statsec2019 → statsec2024 → ggw72024 and
/// gemeente2024, Fluvius and Zennevallei income,
/// with metadata (themes, a threshold, a weighted mean), published.
pub(crate) fn province() -> Site {
    let site = Site::new();
    let f = flanders();
    for l in ["statsec2019", "statsec2024", "ggw72024", "gemeente2024"] {
        site.import(&f.join(format!("swing/gebiedsdefinities/{l}.xlsx")), &[]);
    }
    for t in [
        "statsec2019_statsec2024",
        "statsec2024_ggw72024",
        "statsec2024_gemeente2024",
    ] {
        site.import(&f.join(format!("swing/aggregatietabellen/{t}.xlsx")), &[]);
    }
    site.import(
        &f.join("stats/fluvius_energy_statsec2019_2018_2021.csv"),
        &[],
    );
    site.import(
        &f.join("stats/zennevallei_income_sector_2019_2023.csv"),
        &zennevallei_args(&["--status-map", "not-published=x,sector-unmatched=?"]),
    );
    let mut meta =
        String::from("code;name;unit;source;data type;aggregation indicator;threshold;theme\n");
    for c in FLUVIUS {
        let threshold = if c == "v2506_gas_nietres_n" { "3" } else { "" };
        meta.push_str(&format!(
            "{c};Fluvius {c};kWh;Fluvius;numeric;;{threshold};energie\n"
        ));
    }
    meta.push_str(
        "numberOfDeclarations;Aangiften;aantal;Statbel;numeric;;;inkomen\n\
         totalNetTaxableIncome;Totaal netto belastbaar inkomen;euro;Statbel;numeric;;;inkomen\n\
         averageNetTaxableIncome;Gemiddeld netto belastbaar inkomen;euro;Statbel;mean;numberOfDeclarations;;inkomen\n",
    );
    let path = site.path().join("province_meta.csv");
    std::fs::write(&path, meta).unwrap();
    site.import(&path, &[]);
    site.ok(&["publish", "--allow-lost-values"]);
    site
}

/// Appends a `[[sources]]` table to a site's peil.toml.
fn declare_source(city: &Site, url: &str) {
    let toml = city.path().join("peil.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str(&format!(
        "\n[[sources]]\nname = \"provincie\"\nurl = \"{url}\"\nthemes = [\"energie\"]\n\
         indicators = [\"numberOfDeclarations\", \"totalNetTaxableIncome\", \"averageNetTaxableIncome\"]\n\
         prefix = \"dna_\"\n"
    ));
    std::fs::write(&toml, text).unwrap();
}

fn pull(city: &Site) -> serde_json::Value {
    let out = city.ok(&["pull", "provincie", "--json", "--retries", "1"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0].clone()
}

pub(crate) fn codes(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

/// Rows `indicator,level,item,period,value` of an export, the indicator prefixed.
pub(crate) fn rows(export: &str, prefix: &str, only: &BTreeSet<String>) -> BTreeSet<String> {
    export
        .lines()
        .skip(1)
        .filter(|l| only.contains(l.split(',').next().unwrap()))
        .map(|l| format!("{prefix}{l}"))
        .collect()
}

/// Waits until the server has loaded a publication newer than `generation`.
pub(crate) fn wait_for_generation(s: &Server, generation: u64) {
    let start = Instant::now();
    loop {
        let g = s.get("/api/v1/hashes").json()["generation"]
            .as_u64()
            .unwrap();
        if g > generation {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server did not pick up the publication"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A stand-in for the network between the sites: forwards every request to the province, but
/// while `broken` is set sends only half of each data answer before closing the connection;
/// and when `kill` is (n, permille), forwards n more answers whole and then sends only that
/// share of the next one — the source killed mid-transfer — and forwards whole again.
struct Proxy {
    url: String,
    broken: Arc<AtomicBool>,
    cut: Arc<AtomicU64>,
    kill: Arc<std::sync::Mutex<Option<(u64, u64)>>>,
}

fn proxy(target: String) -> Proxy {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let broken = Arc::new(AtomicBool::new(false));
    let cut = Arc::new(AtomicU64::new(0));
    let kill = Arc::new(std::sync::Mutex::new(None));
    let (b, c, k) = (broken.clone(), cut.clone(), kill.clone());
    std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                match conn.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            let head = String::from_utf8_lossy(&head).to_string();
            let Some(path) = head.split_whitespace().nth(1) else {
                continue;
            };
            let Ok(mut resp) = agent.get(&format!("{target}{path}")).call() else {
                continue;
            };
            let status = resp.status().as_u16();
            let Ok(body) = resp.body_mut().with_config().limit(1 << 30).read_to_vec() else {
                continue;
            };
            let half = b.load(Ordering::SeqCst) && path.starts_with("/api/v1/data");
            let killed = {
                let mut k = k.lock().unwrap();
                match *k {
                    Some((0, permille)) => {
                        *k = None;
                        Some(body.len() * permille as usize / 1000)
                    }
                    Some((n, permille)) => {
                        *k = Some((n - 1, permille));
                        None
                    }
                    None => None,
                }
            };
            let _ = conn.write_all(
                format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            );
            if let Some(at) = killed {
                c.fetch_add(1, Ordering::SeqCst);
                let _ = conn.write_all(&body[..at.min(body.len().saturating_sub(1))]);
            } else if half {
                c.fetch_add(1, Ordering::SeqCst);
                let _ = conn.write_all(&body[..body.len() / 2]);
            } else {
                let _ = conn.write_all(&body);
            }
        }
    });
    Proxy {
        url,
        broken,
        cut,
        kill,
    }
}

#[test]
fn a_city_pulls_from_a_province_with_the_connectors_semantics() {
    let server = Server::start(province());
    let prov = &server.site;
    let net = proxy(server.base.clone());
    let city = Site::new();
    declare_source(&city, &net.url);

    // The first pull: the energy theme and three income indicators, with areas and hierarchy.
    let t = Instant::now();
    let r = pull(&city);
    let first_secs = t.elapsed().as_secs_f64();
    let mut pulled: BTreeSet<String> = FLUVIUS.iter().map(|c| c.to_string()).collect();
    pulled.extend(
        [
            "numberOfDeclarations",
            "totalNetTaxableIncome",
            "averageNetTaxableIncome",
        ]
        .map(String::from),
    );
    let local: BTreeSet<String> = pulled.iter().map(|c| format!("dna_{c}")).collect();
    assert_eq!(codes(&r["added"]), local, "{r}");
    assert_eq!(r["transferred"], 12);
    assert!(r["refused"].as_array().unwrap().is_empty(), "{r}");
    eprintln!(
        "first pull: {first_secs:.2} s, {} requests, {} bytes",
        r["requests"], r["bytes"]
    );

    // Every pulled value equals the source's published value; x stays x.
    let published = rows(&prov.ok(&["export", "--live"]), "dna_", &pulled);
    let city_rows = rows(&city.ok(&["export"]), "", &local);
    assert!(published.len() > 40_932 * 9, "{}", published.len());
    assert!(
        published
            .iter()
            .any(|r| r.starts_with("dna_totalNetTaxableIncome,") && r.ends_with(",x"))
    );
    let extra: Vec<&String> = city_rows.difference(&published).take(5).collect();
    let missing: Vec<&String> = published.difference(&city_rows).take(5).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "the city's values differ from the province's published ones: more {extra:?}, fewer {missing:?} ({} vs {})",
        city_rows.len(),
        published.len()
    );

    // Metadata travels, references prefixed; pulled indicators are protected.
    let meta = |code: &str| -> (String, String, Option<f64>, Option<String>, bool) {
        let rows = city
            .sql(&format!(
                "SELECT name, unit, threshold, aggregation_indicator, protected FROM indicator WHERE code = '{code}'"
            ))
            .unwrap();
        let r = &rows[0];
        let set = |v: &String| Some(v.clone()).filter(|v| !v.is_empty());
        (
            r[0].clone(),
            r[1].clone(),
            set(&r[2]).map(|t| t.parse().unwrap()),
            set(&r[3]),
            r[4] != "0",
        )
    };
    let m = meta("dna_averageNetTaxableIncome");
    assert!(m.0.contains("Gemiddeld netto belastbaar inkomen"), "{m:?}");
    assert_eq!(m.1, "euro");
    assert_eq!(m.3.as_deref(), Some("dna_numberOfDeclarations"));
    assert!(m.4, "pulled indicators are protected");
    assert_eq!(
        meta("dna_v2506_gas_nietres_n").2,
        Some(3.0),
        "thresholds travel"
    );
    let themes = city
        .sql(
            "SELECT count(*) FROM indicator_theme t JOIN indicator i ON i.id = t.indicator_id
             WHERE t.theme_code = 'dna_energie' AND i.code LIKE 'dna_v2506%'",
        )
        .unwrap();
    assert_eq!(themes[0][0], "9");
    let imports = city.ok(&["imports"]);
    assert!(
        imports.contains("pull") && imports.contains(&net.url),
        "{imports}"
    );

    // A second pull with nothing changed transfers no series.
    let before = city.state();
    let t = Instant::now();
    let r = pull(&city);
    let second_secs = t.elapsed().as_secs_f64();
    assert_eq!(r["transferred"], 0, "{r}");
    assert_eq!(r["unchanged"], 12);
    assert!(
        r["added"].as_array().unwrap().is_empty() && r["changed"].as_array().unwrap().is_empty()
    );
    assert_eq!(r["requests"], 1, "only the hashes are asked for");
    assert_eq!(city.state(), before);
    eprintln!("unchanged pull: {second_secs:.2} s, {} bytes", r["bytes"]);

    // A local metadata edit of a protected indicator is refused, and changes nothing.
    let edit = city.path().join("edit_meta.csv");
    std::fs::write(
        &edit,
        "code;name;unit\ndna_v2506_elek_res_cons;Mijn eigen naam;kWh\n",
    )
    .unwrap();
    let o = city.run(&["import", "--kind", "metadata", edit.to_str().unwrap()]);
    assert!(
        !o.status.success(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("protected"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(city.state(), before);

    // A series changed at the source (a doctored Fluvius file) is the only one pulled next.
    let gen0 = server.get("/api/v1/hashes").json()["generation"]
        .as_u64()
        .unwrap();
    let doctored = prov.path().join("fluvius_fix.csv");
    std::fs::write(
        &doctored,
        "geoitem,period,v2506_elek_res_cons,geolevel\n11001A00-,2018,3462999.5,statsec2019\n",
    )
    .unwrap();
    prov.import(&doctored, &[]);
    prov.ok(&["publish", "--allow-lost-values"]);
    wait_for_generation(&server, gen0);

    // … but first the network fails halfway through the data: nothing is written.
    net.broken.store(true, Ordering::SeqCst);
    let o = city.run(&["pull", "provincie", "--retries", "1"]);
    assert!(!o.status.success(), "a broken transfer fails the pull");
    assert!(
        net.cut.load(Ordering::SeqCst) >= 2,
        "the data answers were cut (with a retry)"
    );
    assert_eq!(
        city.state(),
        before,
        "a failed pull leaves the store exactly as before"
    );
    net.broken.store(false, Ordering::SeqCst);
    // The source killed at random points of the transfer (the hashes, metadata, areas or
    // values; anywhere in the answer): every time the pull fails and writes nothing.
    let mut seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut random = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for _ in 0..4 {
        let point = (random(6), random(1000));
        *net.kill.lock().unwrap() = Some(point);
        let o = city.run(&["pull", "provincie", "--retries", "0"]);
        assert!(
            !o.status.success(),
            "killed at answer {} after {}‰ of it: {}",
            point.0,
            point.1,
            String::from_utf8_lossy(&o.stdout)
        );
        assert!(net.kill.lock().unwrap().is_none(), "the kill happened");
        assert_eq!(
            city.state(),
            before,
            "killed at answer {} after {}‰ of it: the store is as before",
            point.0,
            point.1
        );
    }

    // A dry run says what the pull would do, and writes nothing.
    let dry: serde_json::Value =
        serde_json::from_str(&city.ok(&["pull", "--dry-run", "--json"])).unwrap();
    assert_eq!(dry[0]["dry_run"], true);
    assert_eq!(
        codes(&dry[0]["changed"]),
        BTreeSet::from(["dna_v2506_elek_res_cons".to_string()]),
        "{dry}"
    );
    assert!(dry[0]["import_id"].is_null());
    assert_eq!(city.state(), before);

    // The next run completes, and takes only the changed indicator.
    let t = Instant::now();
    let r = pull(&city);
    eprintln!(
        "one changed indicator: {:.2} s, {} requests, {} bytes",
        t.elapsed().as_secs_f64(),
        r["requests"],
        r["bytes"]
    );
    assert_eq!(
        codes(&r["changed"]),
        BTreeSet::from(["dna_v2506_elek_res_cons".to_string()]),
        "{r}"
    );
    assert_eq!(r["transferred"], 1);
    assert_eq!(r["unchanged"], 11);
    let export = city.ok(&[
        "export",
        "--indicator",
        "dna_v2506_elek_res_cons",
        "--level",
        "statsec2019",
    ]);
    assert!(
        export.contains("dna_v2506_elek_res_cons,statsec2019,11001A00-,2018,3462999.5"),
        "{export}"
    );
    let published = rows(&prov.ok(&["export", "--live"]), "dna_", &pulled);
    assert!(rows(&city.ok(&["export"]), "", &local) == published);

    // An indicator the source stops offering is flagged, not removed.
    let gen1 = server.get("/api/v1/hashes").json()["generation"]
        .as_u64()
        .unwrap();
    let hide = prov.path().join("hide_meta.csv");
    std::fs::write(&hide, "code;name;visibility\ntotalNetTaxableIncome;Totaal netto belastbaar inkomen;restricted:intern\n").unwrap();
    prov.import(&hide, &[]);
    prov.ok(&["publish", "--allow-lost-values"]);
    wait_for_generation(&server, gen1);
    let kept = rows(
        &city.ok(&["export"]),
        "",
        &BTreeSet::from(["dna_totalNetTaxableIncome".to_string()]),
    );
    let r = pull(&city);
    assert_eq!(
        codes(&r["flagged"]),
        BTreeSet::from(["dna_totalNetTaxableIncome".to_string()]),
        "{r}"
    );
    assert_eq!(r["transferred"], 0);
    assert!(!kept.is_empty());
    assert_eq!(
        rows(
            &city.ok(&["export"]),
            "",
            &BTreeSet::from(["dna_totalNetTaxableIncome".to_string()])
        ),
        kept,
        "its values stay"
    );
    let gone = city
        .sql("SELECT gone_at FROM pull_provenance WHERE code = 'dna_totalNetTaxableIncome'")
        .unwrap();
    assert!(!gone[0][0].is_empty(), "{gone:?}");
    // Flagged once: the next pull has nothing to say about it.
    let r = pull(&city);
    assert!(r["flagged"].as_array().unwrap().is_empty(), "{r}");
}

/// The cells of one indicator on one level as a site publishes them through the data API
/// (`dims=all`: every cube cell, totals and coarser bands included), without the indicator's
/// own columns: `item,item_name,period,<dim levels>,value,status,flag` per line.
fn cube_cells(s: &Server, indicator: &str, level: &str) -> BTreeSet<String> {
    let r = s.get(&format!(
        "/api/v1/data?indicator={indicator}&level={level}&period=all&dims=all&format=csv"
    ));
    assert_eq!(r.status, 200, "{indicator} on {level}: {}", r.body);
    let mut lines = r.body.lines();
    let head = lines.next().unwrap().to_string();
    let cut = |l: &str| l.splitn(4, ',').nth(3).unwrap().to_string();
    std::iter::once(format!("header {}", cut(&head)))
        .chain(lines.map(cut))
        .collect()
}

#[test]
fn a_city_pulls_a_cube_with_every_cell_and_its_hidden_ones() {
    // The demo city's population cube (age in 5 and 3 bands, sex), with one finest cell the
    // source hides (`x`): every cell computed from it is hidden there too.
    let demo = Site::demo();
    let hide = demo.path().join("cube_x.csv");
    std::fs::write(
        &hide,
        "period,geolevel,geoitem,indicator,value,leeftijd5,geslacht\n\
         2013,statsec,46999A00-,kubus_bevolking,x,0-4,m\n",
    )
    .unwrap();
    demo.import(&hide, &[]);
    demo.ok(&["publish", "--allow-lost-values"]);
    let source = Server::start(demo);

    let city = Site::new();
    let toml = city.path().join("peil.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str(&format!(
        "\n[[sources]]\nname = \"provincie\"\nurl = \"{}\"\nindicators = [\"kubus_bevolking\"]\nprefix = \"dna_\"\n",
        source.base
    ));
    std::fs::write(&toml, text).unwrap();
    let r = pull(&city);
    assert_eq!(
        codes(&r["added"]),
        BTreeSet::from(["dna_kubus_bevolking".to_string()]),
        "{r}"
    );
    assert!(r["refused"].as_array().unwrap().is_empty(), "{r}");

    // The dimensions travel: every dim level the cells are published on, with its members.
    let members = |level: &str| -> i64 {
        city.sql(&format!(
            "SELECT count(*) FROM dim_member WHERE level = '{level}'"
        ))
        .unwrap()[0][0]
            .parse()
            .unwrap()
    };
    assert_eq!(
        (
            members("leeftijd5"),
            members("leeftijd3"),
            members("geslacht")
        ),
        (20, 3, 2)
    );
    let dimension = city
        .sql("SELECT dimension FROM dim_level WHERE code = 'leeftijd3'")
        .unwrap();
    assert_eq!(
        dimension[0][0], "leeftijd5",
        "the coarse band is the age dimension's"
    );

    // Published by the city, every cell on every level equals the source's, x stays x.
    city.ok(&["publish", "--allow-lost-values"]);
    let copy = Server::start(city);
    let levels: Vec<String> = source.get("/api/v1/indicators/kubus_bevolking").json()["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["code"].as_str().unwrap().to_string())
        .collect();
    assert!(levels.len() >= 4, "{levels:?}");
    let mut hidden = 0;
    let mut cells = 0;
    for l in &levels {
        let published = cube_cells(&source, "kubus_bevolking", l);
        let pulled = cube_cells(&copy, "dna_kubus_bevolking", l);
        let more: Vec<&String> = pulled.difference(&published).take(5).collect();
        let fewer: Vec<&String> = published.difference(&pulled).take(5).collect();
        assert!(
            more.is_empty() && fewer.is_empty(),
            "level {l}: the city's cells differ from the source's: more {more:?}, fewer {fewer:?}"
        );
        hidden += published.iter().filter(|c| c.contains(",,x,")).count();
        cells += published.len();
    }
    assert!(cells > 10_000, "{cells} cells compared");
    assert!(
        hidden >= 5,
        "the hidden cell and those computed from it: {hidden}"
    );

    // Nothing changed at the source: only the hashes are asked for.
    let r = pull(&copy.site);
    assert_eq!(
        (r["transferred"].as_u64(), r["unchanged"].as_u64()),
        (Some(0), Some(1)),
        "{r}"
    );
    assert_eq!(r["requests"], 1);

    // The pull reads the data answer without names (`names=no`): the same cells, codes only,
    // the names and unit left for the metadata, which carries them once.
    for l in &levels {
        let path = format!("/api/v1/data?indicator=kubus_bevolking&level={l}&period=all&dims=all");
        let full = source.get(&format!("{path}&format=csv"));
        let codes = source.get(&format!("{path}&names=no&format=csv"));
        assert_eq!(codes.status, 200, "{}", codes.body);
        let full: Vec<Vec<String>> = full.body.lines().map(csv_fields).collect();
        let codes: Vec<Vec<String>> = codes.body.lines().map(csv_fields).collect();
        assert_eq!(
            &full[0][..7],
            [
                "indicator",
                "indicator_name",
                "unit",
                "level",
                "item",
                "item_name",
                "period"
            ]
        );
        assert_eq!(&codes[0][..4], ["indicator", "level", "item", "period"]);
        assert_eq!(full.len(), codes.len());
        for (f, c) in full.iter().zip(&codes) {
            let without: Vec<&String> = f
                .iter()
                .enumerate()
                .filter(|(i, _)| ![1, 2, 5].contains(i))
                .map(|(_, x)| x)
                .collect();
            assert_eq!(without, c.iter().collect::<Vec<_>>());
        }
        let (a, b) = (full.concat().len(), codes.concat().len());
        assert!(
            b < a,
            "level {l}: {b} bytes of fields without names, {a} with"
        );
    }
    let csvw = source.get("/api/v1/data?indicator=kubus_bevolking&level=wijk&names=no&format=csvw");
    assert_eq!(csvw.status, 200, "{}", csvw.body);
    assert!(!csvw.body.contains("\"item_name\""), "{}", csvw.body);
    let bad =
        source.get("/api/v1/data?indicator=kubus_bevolking&level=wijk&names=maybe&format=csv");
    assert_eq!(bad.status, 400, "{}", bad.body);
}

/// The fields of one CSV line (RFC 4180 quoting, no line breaks inside fields).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    out
}
