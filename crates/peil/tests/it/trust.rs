//! The trust boundary, attacked as a hostile reader would, over real HTTP against the real
//! binary: each test reproduces one finding of the hostile review and asserts that it fails.
//! (Privacy of selections and formulas: `selection.rs`; hostile files: `bad_input.rs`.)

use crate::common::*;
use std::time::{Duration, Instant};

/// A restricted indicator of the demo (group `stadsdiensten`).
const RESTRICTED: &str = "v_leefloon";
const GROUP: &str = "stadsdiensten";

fn restricted_csv() -> String {
    format!("/api/v1/data?indicator={RESTRICTED}&level=wijk&period=2021&format=csv")
}

#[test]
fn a_crafted_header_never_reads_a_key_holders_cached_answer() {
    let s = Server::demo();
    let key = s.key("staff", &[GROUP]);
    // The key holder's answers are now kept.
    let odata = format!(
        "/jiveservices/odata/Variables('{RESTRICTED}')/GeoLevels('wijk')/PeriodLevels('year')/Periods('2021')/Values"
    );
    for path in [restricted_csv(), odata.clone()] {
        let r = s.get_with(&path, &[("apikey", &key)]);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(r.headers["cache-control"].starts_with("private"), "{path}");
    }
    // The old cache key was the URI plus `|name=value` per header plus `|groups=G`: any
    // header spelling `|groups=stadsdiensten` read the key holder's entry.
    for path in [restricted_csv(), odata] {
        for (name, value) in [
            ("Host", format!("{}|groups={GROUP}", s.addr())),
            ("Accept", format!("*/*|groups={GROUP}")),
            ("X-Junk", format!("|groups={GROUP}")),
        ] {
            // The crafted header replaces Host, or comes beside it.
            let host = if name == "Host" {
                String::new()
            } else {
                format!("Host: {}\r\n", s.addr())
            };
            let req = format!(
                "GET {path} HTTP/1.1\r\n{host}{name}: {value}\r\nConnection: close\r\n\r\n"
            );
            let (status, text) = s.raw(req.as_bytes());
            assert_ne!(status, 200, "{path} with {name}: {value}\n{text}");
            assert!(!text.contains("Leefloon"), "{path} with {name}");
        }
    }
}

#[test]
fn hostile_long_codes_answer_at_once_and_health_stays_fast() {
    let s = Server::demo();
    let long = "1".repeat(7900);
    let paths = [
        format!("/api/v1/areas/statsec/{long}/profile"),
        format!("/jiveservices/odata/GeoItems('{long}')"),
        format!("/api/v1/indicators/{long}"),
    ];
    // The hostile requests run in parallel with the health checks.
    let hostile: Vec<_> = paths
        .iter()
        .cycle()
        .take(6)
        .map(|p| {
            let (addr, p) = (s.addr(), p.clone());
            std::thread::spawn(move || {
                let t = Instant::now();
                let mut c = std::net::TcpStream::connect(&addr).unwrap();
                use std::io::{Read, Write};
                c.write_all(
                    format!("GET {p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
                )
                .unwrap();
                let mut out = String::new();
                let _ = c.read_to_string(&mut out);
                (t.elapsed(), out)
            })
        })
        .collect();
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let t = Instant::now();
        assert_eq!(s.get("/health").status, 200);
        worst = worst.max(t.elapsed());
    }
    for h in hostile {
        let (took, out) = h.join().unwrap();
        let status = out.split_whitespace().nth(1).unwrap_or("");
        assert!(
            status == "404" || status == "400",
            "{status}: {}",
            &out[..out.len().min(300)]
        );
        assert!(
            took < Duration::from_secs(2),
            "a hostile lookup took {took:?}"
        );
        // The code is not echoed back whole.
        assert!(out.len() < 4000, "answer of {} bytes", out.len());
    }
    assert!(worst < Duration::from_millis(100), "/health took {worst:?}");
}

#[test]
fn uploads_without_a_valid_key_are_refused_before_the_body_is_read() {
    let s = Server::demo();
    let before = s.rss_mb();
    // Three keyless "500 MB" posts: each is answered 401 after its headers.
    for _ in 0..3 {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(s.addr()).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.write_all(
            b"POST /BulkAPI.ashx HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 524288000\r\n\r\n",
        )
        .unwrap();
        let chunk = vec![b'1'; 1 << 20];
        // The server may close the connection as soon as it has refused.
        for _ in 0..64 {
            if c.write_all(&chunk).is_err() {
                break;
            }
        }
        let mut head = [0u8; 64];
        let n = c.read(&mut head).unwrap_or(0);
        let text = String::from_utf8_lossy(&head[..n]);
        assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    }
    let wrong = s.raw(b"POST /BulkAPI.ashx?apikey=peil_wrong HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\na;b\n1");
    assert_eq!(wrong.0, 401, "{}", wrong.1);
    let grown = s.rss_mb() - before;
    assert!(grown < 40.0, "RSS grew by {grown:.0} MB");

    // A valid key with a declared size over the cap: 413 at once.
    let key = s.key("uploads", &["upload"]);
    let (status, _) = s.raw(
        format!("POST /BulkAPI.ashx?apikey={key} HTTP/1.1\r\nHost: x\r\nContent-Length: 9000000000\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    assert_eq!(status, 413);
    // A large body from a valid key goes to disk, not memory; it is then refused as a file.
    let before = s.rss_mb();
    let big = "period;geolevel;geoitem;v_x\n".to_string() + &"2024;wijk;nope;1\n".repeat(1_500_000);
    let (status, body) = s.post(&format!("/BulkAPI.ashx?apikey={key}&filename=.."), &big);
    assert_eq!(status, 400, "{}", &body[..body.len().min(500)]);
    assert!(
        body.len() < 200_000,
        "the report is bounded: {} bytes",
        body.len()
    );
    let grown = s.rss_mb() - before;
    assert!(
        grown < 150.0,
        "RSS grew by {grown:.0} MB for a 25 MB upload"
    );
    // A hostile file name is no error of the server's.
    let (status, body) = s.post(&format!("/BulkAPI.ashx?apikey={key}&filename=../../x"), "a");
    assert!(status < 500, "{status}: {body}");
}

#[test]
fn a_site_that_is_not_public_takes_upload_keys_as_swing_sends_them() {
    let site = Site::demo();
    let toml = site.path().join("peil.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let text = if text.contains("public = true") {
        text.replace("public = true", "public = false")
    } else {
        format!("public = false\n{text}")
    };
    std::fs::write(&toml, text).unwrap();
    let s = Server::start(site);
    assert_eq!(s.get("/api/v1/indicators").status, 401);
    let key = s.key("uploads", &["upload"]);
    let csv = "period;geolevel;geoitem;v_bulk_private\n2024;wijk;4699901;12\n";
    assert_eq!(s.post("/BulkAPI.ashx", csv).0, 401);
    let (status, body) = s.post(&format!("/BulkAPI.ashx?apikey={key}"), csv);
    assert_eq!((status, body.as_str()), (200, "OK"));
}

#[test]
fn anonymous_readers_cannot_start_report_jobs_and_jobs_are_bounded() {
    let s = Server::demo();
    for _ in 0..10 {
        let (status, _) = s.post("/stories/omgevingsanalyse/bulk", "level=statsec");
        assert_eq!(status, 403);
    }
    // No job runs: the story page offers no bulk form to anonymous readers either.
    let page = s.get("/stories/omgevingsanalyse");
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("/bulk\""),
        "bulk form shown to anonymous readers"
    );
    // A job runs on a thread named `peil-job` (its workers' names start the same way, and so
    // do pool threads they start, which stay idle).
    let threads = || {
        std::fs::read_dir(format!("/proc/{}/task", s.pid()))
            .unwrap()
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
            .filter(|name| name.trim() == "peil-job")
            .count()
    };
    // CPU time the server has used, in clock ticks.
    let cpu = || -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", s.pid())).unwrap();
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = after.split_whitespace().collect();
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    };
    assert_eq!(threads(), 0);

    let key = s.key("reports", &["reports"]);
    let post = |body: &str| -> (u16, String) {
        s.raw(
            format!(
                "POST /stories/omgevingsanalyse/bulk HTTP/1.1\r\nHost: x\r\napikey: {key}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
    };
    let location = |text: &str| -> String {
        text.lines()
            .find_map(|l| {
                l.strip_prefix("location: ")
                    .or_else(|| l.strip_prefix("Location: "))
            })
            .unwrap_or_else(|| panic!("no location in {text}"))
            .trim()
            .to_string()
    };
    let (a, ta) = post("level=statsec");
    let (b, tb) = post("level=statsec");
    assert_eq!((a, b), (303, 303), "{ta}\n{tb}");
    let (c, tc) = post("level=statsec");
    assert_eq!(c, 503, "a third job at once is refused: {tc}");
    assert!(tc.to_lowercase().contains("retry-after"));
    // Someone else's job is invisible without the right key.
    let job_a = location(&ta);
    assert_eq!(s.get(&job_a).status, 404);
    // Cancel both; they stop and their threads go.
    let k = [("apikey", key.as_str())];
    for job in [&job_a, &location(&tb)] {
        let (st, _) = s.raw(
            format!("POST {job}/cancel HTTP/1.1\r\nHost: x\r\napikey: {key}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        assert_eq!(st, 303);
    }
    let t = Instant::now();
    loop {
        let j: serde_json::Value = s.get_with(&format!("{job_a}.json"), &k).json();
        if j["cancelled"] == true {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "job not cancelled: {j}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let t = Instant::now();
    while threads() > 0 {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "{} job threads",
            threads()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Stopped means stopped: the server is idle again.
    let before = cpu();
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu() - before;
    assert!(
        used < 50,
        "{used} clock ticks in 2 s after both jobs were cancelled"
    );
    // A new job may start again.
    let (d, td) = post("level=wijk");
    assert_eq!(d, 303, "{td}");
}

#[test]
fn junk_headers_do_not_grow_the_server() {
    let s = Server::demo();
    let path = "/api/v1/data?indicator=v1101_t&level=wijk&format=csv";
    assert_eq!(s.get(path).status, 200);
    let before = s.rss_mb();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let junk = "j".repeat(50 * 1024);
    for i in 0..2000 {
        let r = agent
            .get(&format!("{}{path}", s.base))
            .header("X-Junk", format!("{i}{junk}"))
            .header("Cookie", format!("session={i}{}", &junk[..1000]))
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    let grown = s.rss_mb() - before;
    assert!(
        grown < 60.0,
        "RSS grew by {grown:.0} MB over 2,000 junk-header requests"
    );
    // A head over the limit is refused by the connection, not buffered.
    let (status, _) = s.raw(
        format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Junk: {}\r\nConnection: close\r\n\r\n",
            "j".repeat(200 * 1024)
        )
        .as_bytes(),
    );
    assert_eq!(status, 431);
}

#[test]
fn metrics_count_routes_not_paths() {
    let s = Server::demo();
    s.get("/api/v1/indicators");
    let series = |s: &Server| {
        s.get("/metrics")
            .body
            .lines()
            .filter(|l| l.starts_with("peil_http_requests_total{"))
            .count()
    };
    let before = series(&s);
    for i in 0..500 {
        s.get(&format!("/x{i}/y"));
        s.get(&format!("/api/v1/indicators/nope{i}"));
    }
    let after = series(&s);
    assert!(after <= before + 3, "{before} → {after} series");
    let m = s.get("/metrics").body;
    assert!(m.contains("route=\"/api/v1/indicators/{code}\""), "{m}");
    assert!(!m.contains("/x1/"), "a raw path became a label");
}

#[test]
fn idle_and_half_sent_connections_cannot_starve_the_server() {
    use std::io::Write;
    let s = Server::demo();
    let mut idle = Vec::new();
    for i in 0..1000 {
        let mut c = std::net::TcpStream::connect(s.addr()).unwrap();
        if i % 2 == 0 {
            // Half a request: the head never ends.
            c.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
        }
        idle.push(c);
    }
    let mut times = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        assert_eq!(s.get("/health").status, 200);
        times.push(t.elapsed());
    }
    times.sort();
    let p99 = times[98];
    assert!(
        p99 < Duration::from_millis(50),
        "/health p99 {p99:?} with 1,000 idle connections"
    );
    // The server closes them after the header timeout (10 s).
    std::thread::sleep(Duration::from_secs(12));
    let mut closed = 0;
    for c in &mut idle {
        use std::io::Read;
        c.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let mut b = [0u8; 256];
        match c.read(&mut b) {
            Ok(_) => closed += 1, // EOF or a 408 before closing
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => closed += 1,
            Err(_) => {}
        }
    }
    assert_eq!(
        closed,
        idle.len(),
        "connections left open after the timeout"
    );
}

#[test]
fn outputs_cannot_be_turned_into_attacks() {
    let s = Server::demo();
    // CSV cells that a spreadsheet would run are text.
    let r = s.get("/api/v1/data?indicator=v1101_t&level=wijk&period=2021&selection=4699901,4699902&selection_name==HYPERLINK(%22http://evil%22)&format=csv");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("'=HYPERLINK"), "{}", r.body);
    assert!(!r.body.contains(",=HYPERLINK"), "{}", r.body);
    // Absolute links come from the configuration, not from headers a stranger sends.
    for path in [
        "/indicator/v1101_t",
        "/jiveservices/odata/",
        "/jiveservices/odata/Variables?$top=1",
    ] {
        let r = s.get_with(
            path,
            &[
                ("X-Forwarded-Host", "evil.example"),
                ("X-Forwarded-Proto", "https"),
            ],
        );
        assert_eq!(r.status, 200, "{path}");
        assert!(
            !r.body.contains("evil.example"),
            "{path} reflects X-Forwarded-Host"
        );
    }
    // Every answer says what it may run; files are sandboxed.
    std::fs::create_dir_all(s.site.path().join("content")).unwrap();
    std::fs::write(
        s.site.path().join("content/x.svg"),
        r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
    )
    .unwrap();
    for path in [
        "/content/x.svg",
        "/api/v1/indicators",
        "/api/v1/data?indicator=v1101_t&level=wijk&format=csv",
        "/favicon.ico",
        "/static/peil.css",
    ] {
        let r = s.get(path);
        let csp = r
            .headers
            .get("content-security-policy")
            .cloned()
            .unwrap_or_default();
        assert!(!csp.is_empty(), "{path} has no CSP ({})", r.status);
        assert_eq!(
            r.headers.get("x-content-type-options").map(String::as_str),
            Some("nosniff")
        );
        if path.ends_with(".svg") && r.status == 200 {
            assert!(csp.contains("sandbox"), "{path}: {csp}");
        }
    }
}

#[test]
fn names_from_metadata_stay_text_in_stories() {
    let site = Site::demo();
    let dir = site.path();
    std::fs::write(
        dir.join("x.csv"),
        "period;geolevel;geoitem;v_md\n2021;wijk;4699901;5\n2021;wijk;4699902;6\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("x_meta.csv"),
        "code;name;unit\nv_md;[klik hier](javascript:alert(1)) **vet** <b>x</b>;# kop\n",
    )
    .unwrap();
    site.import(&dir.join("x.csv"), &[]);
    site.import(&dir.join("x_meta.csv"), &[]);
    site.ok(&["publish"]);
    std::fs::write(
        dir.join("stories/md.md"),
        "+++\ntitle = \"Namen\"\nlevel = \"wijk\"\n+++\n# Namen\n\n{{ name(\"v_md\") }} in {{ unit(\"v_md\") }}\n\n{{ table([\"v_md\"]) }}\n",
    )
    .unwrap();
    let s = Server::start(site);
    let r = s.get("/stories/md?regionlevel=wijk&regioncode=4699901");
    assert_eq!(r.status, 200, "{}", r.body);
    if let Some(at) = r.body.find("href=\"javascript") {
        panic!(
            "a name became a link: {}",
            &r.body[at.saturating_sub(300)..(at + 200).min(r.body.len())]
        );
    }
    assert!(!r.body.contains("<strong>vet"), "a name became bold text");
    assert!(!r.body.contains("<h1>kop"), "a unit became a heading");
    assert!(
        r.body.contains("[klik hier]"),
        "the name is shown as written"
    );
}

#[test]
fn a_sparse_workbook_through_bulk_api_leaves_the_server_up() {
    let s = Server::demo();
    let key = s.key("uploads", &["upload"]);
    // Two cells, A1 and XFD1048576: once 550 GB of allocation and a dead server.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "period").unwrap();
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    wb.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() < 10_000);
    let before = s.rss_mb();
    let t = Instant::now();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(&format!(
            "{}/BulkAPI.ashx?apikey={key}&filename=sparse.xlsx",
            s.base
        ))
        .send(&bytes[..])
        .unwrap();
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().unwrap_or_default();
    assert_eq!(status, 400, "{body}");
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t.elapsed()
    );
    assert!(
        s.rss_mb() - before < 300.0,
        "RSS grew by {:.0} MB",
        s.rss_mb() - before
    );
    // Still up, and still serving.
    assert_eq!(s.get("/health").status, 200);
    assert_eq!(s.get("/api/v1/indicators").status, 200);
}

/// The layers every request passes each do one job, in the documented order (`peil-serve`'s
/// `lib.rs`): the URI cap before everything, the rate limit before the key check, the key
/// check before the ETag and the cache, and the log and metrics around all of them.
#[test]
fn each_layer_does_its_one_job_in_order() {
    let site = Site::demo();
    let toml = site.path().join("peil.toml");
    // One request per second per address, bursts of two.
    let text = format!(
        "rate_limit = 1\n{}",
        std::fs::read_to_string(&toml).unwrap()
    );
    std::fs::write(&toml, text).unwrap();
    // A key whose groups are all blank reads with no access group, as anonymous readers do
    // (made before the server starts, which reads the keys at once: no request spent on it).
    let out = site.ok(&["keys", "create", "--name", "no groups", "--group", " "]);
    let key = out
        .lines()
        .find(|l| l.trim().starts_with("peil_"))
        .unwrap()
        .trim()
        .to_string();
    let s = Server::start(site);
    let path = "/api/v1/geolevels";

    // The two requests of the burst. The key holder's answer comes from the cache the
    // anonymous one filled (same access), yet it is marked private: the ETag layer sets the
    // validators for the reader of each request.
    let anonymous = s.get(path);
    assert_eq!(anonymous.status, 200);
    assert_eq!(anonymous.headers["cache-control"], "public, max-age=60");
    let holder = s.get_with(path, &[("apikey", &key)]);
    assert_eq!(holder.status, 200);
    assert_eq!(holder.body, anonymous.body);
    assert_eq!(holder.headers["cache-control"], "private, max-age=60");
    let etag = anonymous.headers["etag"].clone();

    // Over the limit: refused before the ETag, the cache and the key check are reached.
    let refused = s.get_with(path, &[("if-none-match", &etag)]);
    assert_eq!(refused.status, 429, "not 304: {}", refused.body);
    let refused = s.get_with(path, &[("apikey", "peil_wrong")]);
    assert_eq!(refused.status, 429, "not 401: {}", refused.body);
    // An over-long URI is refused before anything else, also the rate limit.
    let long = format!("/api/v1/indicators?q={}", "a".repeat(9000));
    let refused = s.get_with(&long, &[("apikey", "peil_wrong")]);
    assert_eq!(refused.status, 414, "{}", refused.body);

    // With tokens again: a wrong key is refused before the ETag is compared.
    std::thread::sleep(Duration::from_millis(2200));
    let refused = s.get_with(path, &[("apikey", "peil_wrong"), ("if-none-match", &etag)]);
    assert_eq!(refused.status, 401, "not 304: {}", refused.body);
    // Refused answers were counted, with the security headers every answer has.
    assert_eq!(refused.headers["x-content-type-options"], "nosniff");
    let metrics = s.get("/metrics").body;
    for status in ["429", "414", "401"] {
        assert!(
            metrics.contains(&format!("status=\"{status}\"")),
            "{status} not counted:\n{metrics}"
        );
    }
}

/// The access log: one JSON line per answer on standard error (written through `tracing`),
/// also for answers refused by the layers inside it; `PEIL_QUIET` silences it. Each line and
/// each answer carry the request's ID: the proxy's `X-Request-ID` when it is a short token,
/// else one made by the server, different per request.
#[test]
fn the_access_log_is_one_json_line_per_answer() {
    use std::io::Read;
    let site = Site::demo();
    let (mut child, base) = spawn_listening(
        std::process::Command::new(env!("CARGO_BIN_EXE_peil"))
            .arg("--site")
            .arg(site.path())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env_remove("PEIL_QUIET")
            .stderr(std::process::Stdio::piped()),
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let ok = agent
        .get(&format!("{base}/api/v1/geolevels"))
        .header("X-Request-ID", "nginx-4f2a.9")
        .call()
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.headers()["x-request-id"], "nginx-4f2a.9");
    // A header that is not a short token is not taken: the server makes its own IDs.
    let made: Vec<String> = (0..2)
        .map(|_| {
            let r = agent
                .get(&format!("{base}/health"))
                .header("X-Request-ID", "a b\"c")
                .call()
                .unwrap();
            r.headers()["x-request-id"].to_str().unwrap().to_string()
        })
        .collect();
    assert!(
        made.iter().all(|m| !m.contains(' ') && m.len() <= 64),
        "{made:?}"
    );
    assert_ne!(made[0], made[1]);
    let long = format!("{base}/api/v1/indicators?q={}", "a".repeat(9000));
    assert_eq!(agent.get(&long).call().unwrap().status().as_u16(), 414);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let _ = child.wait();
    let lines: Vec<serde_json::Value> = err
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.get("route").is_some())
        .collect();
    let served = lines
        .iter()
        .find(|v| v["path"] == "/api/v1/geolevels")
        .unwrap_or_else(|| panic!("no access line in:\n{err}"));
    assert_eq!(served["method"], "GET");
    assert_eq!(served["route"], "/api/v1/geolevels");
    assert_eq!(served["status"], 200);
    assert!(served["ms"].is_f64(), "{served}");
    assert!(served["generation"].is_u64(), "{served}");
    assert_eq!(served["request_id"], "nginx-4f2a.9");
    let keys: Vec<&str> = served
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 7, "{served}");
    assert!(
        lines.iter().any(|v| v["status"] == 414),
        "the refused request is logged too:\n{err}"
    );
}
