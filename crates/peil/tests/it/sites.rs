//! Many sites in one process (`peil serve --sites DIR`): each host name reaches its own site
//! — data, keys, users — and nothing of another; a site that cannot be opened answers 503 and
//! affects no other; sites added, repaired or removed while the process runs are picked up.

use crate::common::{ok_in, on_postgres, serve_sites};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A small published site in `dir` with one indicator `code`; not public when `public` is
/// false.
fn make_site(dir: &Path, code: &str, public: bool) {
    make_site_with(dir, code, public, &[]);
}

/// [`make_site`], with more arguments for `peil init` (a store elsewhere).
pub(crate) fn make_site_with(dir: &Path, code: &str, public: bool, init: &[&str]) {
    // No store named: where the matrix says (a new PostgreSQL schema in its PostgreSQL pass).
    let matrix = match on_postgres() {
        Some((url, schema)) if init.is_empty() => {
            vec!["--store".to_string(), url, "--store-schema".into(), schema]
        }
        _ => Vec::new(),
    };
    let out = Command::new(env!("CARGO_BIN_EXE_peil"))
        .args(["init"])
        .arg(dir)
        .args(["--name", code])
        .args(init)
        .args(&matrix)
        .env_remove("PEIL_SITE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if !public {
        let cfg = dir.join("peil.toml");
        let text = std::fs::read_to_string(&cfg).unwrap();
        let text = if text.contains("public = true") {
            text.replace("public = true", "public = false")
        } else {
            format!("public = false\n{text}")
        };
        std::fs::write(&cfg, text).unwrap();
    }
    let files = tempfile::tempdir().unwrap();
    let areas = files.path().join("sector.csv");
    std::fs::write(
        &areas,
        "sequence nr;geoitem code;short name;name\n1;S1;Een;Een\n2;S2;Twee;Twee\n",
    )
    .unwrap();
    ok_in(dir, &["import", areas.to_str().unwrap()]);
    let data = files.path().join("data.csv");
    std::fs::write(
        &data,
        format!("period;geolevel;geoitem;{code}\n2020;sector;S1;7\n"),
    )
    .unwrap();
    ok_in(dir, &["import", data.to_str().unwrap()]);
    ok_in(dir, &["publish"]);
}

pub(crate) fn key(dir: &Path, name: &str) -> String {
    ok_in(
        dir,
        &["keys", "create", "--name", name, "--group", "lezers"],
    )
    .lines()
    .find(|l| l.trim().starts_with("peil_"))
    .expect("a key")
    .trim()
    .to_string()
}

/// GET `path` from `addr` as host `host`: (status, body).
pub(crate) fn get(addr: &str, host: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let t = Instant::now();
    while !ok() {
        assert!(t.elapsed() < Duration::from_secs(60), "never: {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn one_process_serves_many_sites_each_on_its_own() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (
        root.path().join("a.localhost"),
        root.path().join("b.localhost"),
    );
    make_site(&a, "v_a", false);
    make_site(&b, "v_b", false);
    let key_a = key(&a, "ka");
    let key_b = key(&b, "kb");
    // A site whose configuration is broken, and a directory that is not a site.
    let broken = root.path().join("broken.localhost");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("peil.toml"), "name = [this is not toml\n").unwrap();
    std::fs::create_dir_all(root.path().join("notes")).unwrap();

    let (_server, addr) = serve_sites(root.path());

    // Each host its own data, with its own keys only.
    let (st, body) = get(
        &addr,
        "a.localhost",
        "/api/v1/indicators",
        &[("apikey", &key_a)],
    );
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("v_a") && !body.contains("v_b"), "{body}");
    let (st, body) = get(
        &addr,
        "B.localhost:8080",
        "/api/v1/indicators",
        &[("apikey", &key_b)],
    );
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("v_b") && !body.contains("v_a"), "{body}");
    assert_eq!(
        get(
            &addr,
            "b.localhost",
            "/api/v1/indicators",
            &[("apikey", &key_a)]
        )
        .0,
        401
    );
    assert_eq!(
        get(
            &addr,
            "a.localhost",
            "/api/v1/indicators",
            &[("apikey", &key_b)]
        )
        .0,
        401
    );
    assert_eq!(get(&addr, "a.localhost", "/api/v1/indicators", &[]).0, 401);
    // The value itself, through each site's own engine.
    let (_, v) = get(
        &addr,
        "a.localhost",
        "/api/v1/data?indicator=v_a&level=sector&period=2020&format=csv",
        &[("apikey", &key_a)],
    );
    assert!(v.contains("S1") && v.contains(",7"), "{v}");

    // The broken site answers 503 without saying why; unknown hosts 404; the process is alive.
    let (st, body) = get(&addr, "broken.localhost", "/", &[]);
    assert_eq!(st, 503);
    assert!(!body.contains("toml"), "{body}");
    assert_eq!(get(&addr, "notes", "/", &[]).0, 404);
    assert_eq!(
        get(&addr, "elsewhere.example", "/api/v1/indicators", &[]).0,
        404
    );
    let (st, health) = get(&addr, "127.0.0.1", "/health", &[]);
    assert_eq!(st, 200);
    let h: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert_eq!(
        (h["sites_up"].as_u64(), h["sites_down"].as_u64()),
        (Some(2), Some(1)),
        "{h}"
    );

    // A site added while the process runs is served; the broken one, once repaired, too.
    let c = root.path().join("c.localhost");
    let staging = tempfile::tempdir().unwrap();
    let staged = staging.path().join("c");
    make_site(&staged, "v_c", true);
    std::fs::rename(&staged, &c).unwrap_or_else(|_| {
        // Another file system: build it in place instead.
        make_site(&c, "v_c", true);
    });
    wait_for("the new site served", || {
        let (st, body) = get(&addr, "c.localhost", "/api/v1/indicators", &[]);
        st == 200 && body.contains("v_c")
    });
    std::fs::remove_dir_all(&broken).unwrap();
    make_site(&broken, "v_fixed", true);
    wait_for("the repaired site served", || {
        get(&addr, "broken.localhost", "/api/v1/indicators", &[]).0 == 200
    });
    // A new publication of one site reaches it, and only it.
    let files = tempfile::tempdir().unwrap();
    let data = files.path().join("more.csv");
    std::fs::write(&data, "period;geolevel;geoitem;v_a2\n2021;sector;S2;3\n").unwrap();
    ok_in(&a, &["import", data.to_str().unwrap()]);
    ok_in(&a, &["publish"]);
    wait_for("a's new publication", || {
        get(
            &addr,
            "a.localhost",
            "/api/v1/indicators",
            &[("apikey", &key_a)],
        )
        .1
        .contains("v_a2")
    });
    assert!(
        !get(
            &addr,
            "b.localhost",
            "/api/v1/indicators",
            &[("apikey", &key_b)]
        )
        .1
        .contains("v_a2")
    );
    // A removed site is no longer served.
    std::fs::remove_dir_all(&b).unwrap();
    wait_for("the removed site gone", || {
        get(
            &addr,
            "b.localhost",
            "/api/v1/indicators",
            &[("apikey", &key_b)],
        )
        .0 == 404
    });
    assert_eq!(
        get(
            &addr,
            "a.localhost",
            "/api/v1/indicators",
            &[("apikey", &key_a)]
        )
        .0,
        200
    );
}
