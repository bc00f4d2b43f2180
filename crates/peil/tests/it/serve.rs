//! `peil serve` on a loopback port: health, metrics, caching, errors, and picking up a new
//! publication.

use crate::common::*;

#[test]
fn serves_the_live_copy_with_health_metrics_and_etags() {
    let s = Server::demo();
    let h = s.get("/health");
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["status"], "ok");
    assert_eq!(h.json()["generation"], 1);

    let m = s.get("/metrics");
    assert_eq!(m.status, 200);
    assert!(
        m.body.contains("peil_publication_generation 1"),
        "{}",
        m.body
    );
    assert!(
        m.body
            .contains("peil_http_requests_total{route=\"/health\",status=\"200\"} 1"),
        "{}",
        m.body
    );

    // Unknown API paths, and any path asked for as JSON, answer RFC 9457 problem details;
    // people get the website's 404 page.
    for (path, accept) in [("/api/v1/nope", "*/*"), ("/nope", "application/json")] {
        let nf = s.get_with(path, &[("accept", accept)]);
        assert_eq!(nf.status, 404);
        assert_eq!(nf.headers["content-type"], "application/problem+json");
        assert_eq!(nf.json()["status"], 404);
    }
    let page = s.get_with("/nope", &[("accept", "text/html")]);
    assert_eq!(page.status, 404);
    assert!(page.headers["content-type"].starts_with("text/html"));

    // A new publication is picked up and changes the generation.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_peil"))
        .arg("--site")
        .arg(s.site.path())
        .arg("publish")
        .output()
        .unwrap();
    assert!(out.status.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if s.get("/health").json()["generation"] == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the new publication was not picked up"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn a_site_that_is_not_public_answers_401_without_a_valid_key() {
    // The demo city as the helper makes it (on the store the matrix names).
    let site = Site::demo();
    let cfg = site.path().join("peil.toml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("public = true", "public = false");
    std::fs::write(&cfg, text).unwrap();
    let key = std::process::Command::new(env!("CARGO_BIN_EXE_peil"))
        .arg("--site")
        .arg(site.path())
        .args([
            "keys",
            "create",
            "--name",
            "test",
            "--group",
            "stadsdiensten",
        ])
        .output()
        .unwrap();
    let key = String::from_utf8(key.stdout)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    let s = Server::start(site);
    assert_eq!(s.get("/health").status, 200, "health stays open");
    for path in [
        "/api/v1/indicators",
        "/jiveservices/odata/GeoLevels",
        "/jive/selectiontableasjson.ashx?var=v1101_t",
    ] {
        let anon = s.get(path);
        assert_eq!(anon.status, 401, "{path}");
        assert_eq!(anon.headers["content-type"], "application/problem+json");
        assert_eq!(
            s.get_with(path, &[("apikey", "peil_wrong")]).status,
            401,
            "{path}"
        );
        let ok = s.get_with(path, &[("apikey", &key)]);
        assert_eq!(ok.status, 200, "{path}: {}", ok.body);
        assert!(ok.headers["cache-control"].starts_with("private"), "{path}");
    }
}

#[test]
fn bulk_api_uploads_into_the_test_copy_with_an_upload_key() {
    let s = Server::demo();
    let (upload, reader) = (
        s.key("script", &["upload"]),
        s.key("reader", &["stadsdiensten"]),
    );
    let csv = "period;geolevel;geoitem;v_bulk_test\n2024;wijk;4699901;12\n2024;wijk;4699902;7,5\n";
    assert_eq!(s.post("/BulkAPI.ashx", csv).0, 401);
    assert_eq!(
        s.post(&format!("/BulkAPI.ashx?apikey={reader}"), csv).0,
        403
    );
    let (status, body) = s.post(&format!("/BulkAPI.ashx?apikey={upload}"), csv);
    assert_eq!((status, body.as_str()), (200, "OK"));
    // In the test copy now, not yet live.
    let test_copy = s.site.ok(&["export", "--indicator", "v_bulk_test"]);
    assert!(
        test_copy.contains("v_bulk_test,wijk,4699902,2024,7.5"),
        "{test_copy}"
    );
    assert!(
        !s.site
            .ok(&["export", "--live", "--indicator", "v_bulk_test"])
            .contains("4699902")
    );
    // A bad file is refused whole, with the report.
    let (status, body) = s.post(
        &format!("/jive/BulkAPI.ashx?apikey={upload}"),
        "period;geolevel;geoitem;v_bulk_test\n2024;wijk;4699903;veel\n",
    );
    assert_eq!(status, 400);
    assert!(
        body.contains("row 2, column 'v_bulk_test': found 'veel'"),
        "{body}"
    );
    assert!(
        !s.site
            .ok(&["export", "--indicator", "v_bulk_test"])
            .contains("4699903")
    );
    assert!(s.site.ok(&["imports"]).contains("BulkAPI"));
}

#[test]
fn rate_limit_per_address_and_long_uris_are_refused_politely() {
    // The demo city as the helper makes it (on the store the matrix names).
    let site = Site::demo();
    let cfg = site.path().join("peil.toml");
    // A top-level key goes before the file's tables (the demo's ends with `[catalog]`).
    let text = format!("rate_limit = 5\n{}", std::fs::read_to_string(&cfg).unwrap());
    std::fs::write(&cfg, text).unwrap();
    let s = Server::start(site);
    // A burst of twice the rate passes, then 429 with Retry-After.
    let statuses: Vec<u16> = (0..14).map(|_| s.get("/api/v1/geolevels").status).collect();
    assert!(statuses[..10].iter().all(|c| *c == 200), "{statuses:?}");
    let limited = s.get("/api/v1/geolevels");
    assert_eq!(limited.status, 429, "{statuses:?}");
    assert!(limited.headers.contains_key("retry-after"));
    assert_eq!(limited.headers["content-type"], "application/problem+json");
    std::thread::sleep(std::time::Duration::from_millis(1200));
    assert_eq!(s.get("/api/v1/geolevels").status, 200, "tokens come back");
    let long = format!("/api/v1/indicators?q={}", "a".repeat(9000));
    assert_eq!(s.get(&long).status, 414);
}

#[test]
fn answers_are_compressed_with_gzip_or_brotli_on_request() {
    use std::io::{Read, Write};
    let s = Server::demo();
    // A raw request, so that no client library undoes the encoding before we look.
    let raw = |path: &str, enc: &str| -> String {
        let host = s.base.trim_start_matches("http://");
        let mut c = std::net::TcpStream::connect(host).unwrap();
        write!(c, "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: {enc}\r\nConnection: close\r\n\r\n").unwrap();
        let mut buf = Vec::new();
        c.read_to_end(&mut buf).unwrap();
        let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        String::from_utf8_lossy(&buf[..head_end]).to_lowercase()
    };
    for (enc, path) in [
        ("br", "/api/v1/indicators"),
        ("gzip", "/jiveservices/odata/Variables"),
    ] {
        let head = raw(path, enc);
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(
            head.contains(&format!("content-encoding: {enc}")),
            "{path}: {head}"
        );
    }
}
