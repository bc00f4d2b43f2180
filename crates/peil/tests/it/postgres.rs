//! Issue 16: a site whose peil.toml says `store = "postgres://…"`. The real binary on a
//! throwaway PostgreSQL server (`peil_pgtest`), each test a schema of its own: the same
//! commands and the same server as on SQLite, and the same answers, byte for byte.

use crate::common::*;
use peil_pgtest::TempPostgres;
use std::path::PathBuf;
use std::sync::Arc;

/// The test server's URL (its socket directory, percent-encoded, as the host).
pub fn url(pg: &TempPostgres) -> String {
    let dir: String = pg
        .socket_dir()
        .to_str()
        .unwrap()
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!(
        "postgres://{}@{dir}:{}/postgres",
        peil_pgtest::USER,
        peil_pgtest::PORT
    )
}

/// A new site on the shared test server, in a schema of its own.
pub struct PgSite {
    pub site: Site,
    pub schema: String,
    pub pg: Arc<TempPostgres>,
}

impl PgSite {
    pub fn new() -> PgSite {
        let pg = TempPostgres::shared().unwrap_or_else(|e| panic!("{e}"));
        let schema = TempPostgres::unique_name("site");
        let dir = tempfile::tempdir().unwrap();
        ok_in(
            dir.path(),
            &[
                "init",
                "--name",
                "Test",
                "--store",
                &url(&pg),
                "--store-schema",
                &schema,
            ],
        );
        PgSite {
            site: Site { dir },
            schema,
            pg,
        }
    }
}

fn write(site: &Site, name: &str, text: &str) -> PathBuf {
    let p = site.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Sectors in two wijken, indicators with a threshold, a ratio and a formula, two years:
/// imported and published by the real commands. Absolute links start with one `base_url`, so
/// two servers' answers can be compared as bytes.
pub fn fill(site: &Site) {
    let cfg = site.path().join("peil.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("base_url = \"https://stad.example\"\n{text}")).unwrap();
    let files = [
        (
            "statsec.csv",
            "code,name\nS1,Sint-Pieters\nS2,Ékeren\nS3,Zuid\nS4,Noord\nS5,Oost\nS6,West\n",
        ),
        ("wijk.csv", "code,name\nW1,Wijk één\nW2,Wijk twee\n"),
        (
            "statsec_wijk.csv",
            "statsec,wijk\nS1,W1\nS2,W1\nS3,W1\nS4,W2\nS5,W2\nS6,W2\n",
        ),
        (
            "meta.csv",
            "code;name;data type;period type;aggregation indicator;threshold;formula\n\
             inw;inwoners;numeric;stock;;;\n\
             wz;werkzoekenden;numeric;stock;;5;\n\
             aandeel;aandeel werkzoekenden;percentage;stock;inw;;\n\
             dubbel;twee keer inwoners;numeric;stock;;;inw * 2\n",
        ),
        (
            "data.csv",
            "period,geolevel,geoitem,inw,wz,aandeel\n\
             2022,statsec,S1,1200,40,3.3\n2022,statsec,S2,800,3,0.4\n\
             2022,statsec,S3,950,?,\n2022,statsec,S4,1010,51,5.0\n\
             2022,statsec,S5,0,0,nvt\n2022,statsec,S6,1500,75,5\n\
             2023,statsec,S1,1210,38,3.1\n2023,statsec,S2,805,4,0.5\n\
             2023,statsec,S3,960,12,1.25\n2023,statsec,S4,1000,50,5.0\n\
             2023,statsec,S5,3,x,\n2023,statsec,S6,1490,70,4.7\n",
        ),
    ];
    for (name, text) in files {
        site.import(&write(site, name, text), &[]);
    }
    site.ok(&["publish"]);
}

/// What the two servers are asked.
const PATHS: &[&str] = &[
    "/api/v1/indicators",
    "/api/v1/indicators/aandeel",
    "/api/v1/geolevels",
    "/api/v1/geolevels/statsec/items",
    "/api/v1/periods",
    "/api/v1/themes",
    "/api/v1/data?indicator=inw,wz,aandeel,dubbel&level=statsec",
    "/api/v1/data?indicator=inw,wz,aandeel,dubbel&level=wijk&format=csv",
    "/api/v1/areas/wijk/W1/profile",
    "/jiveservices/odata/GeoLevels",
    "/jiveservices/odata/Variables",
    "/jive/selectiontableasjson.ashx?var=wz&geolevel=wijk",
    "/api/v1/indicators/onbekend",
];

/// Every answer of [`PATHS`] (status and body) of a server.
pub fn answers(s: &Server, paths: &[&str]) -> Vec<(String, u16, String)> {
    paths
        .iter()
        .map(|p| {
            let r = s.get(p);
            (p.to_string(), r.status, r.body)
        })
        .collect()
}

#[test]
fn a_postgres_site_works_like_a_sqlite_site_and_answers_the_same_bytes() {
    let pg = PgSite::new();
    let lite = Site::new();
    fill(&lite);
    fill(&pg.site);
    let toml = std::fs::read_to_string(pg.site.path().join("peil.toml")).unwrap();
    assert!(toml.contains("store = \"postgres://"), "{toml}");
    assert!(
        !pg.site.path().join("peil.sqlite").exists(),
        "a PostgreSQL site has no SQLite file"
    );
    // The commands see the same store.
    assert_eq!(pg.site.state(), lite.state());
    assert_eq!(
        pg.site.ok(&["export", "--live"]),
        lite.ok(&["export", "--live"])
    );
    assert_eq!(pg.site.ok(&["check"]), lite.ok(&["check"]));
    assert_eq!(
        pg.site.ok(&["show", "aandeel"]),
        lite.ok(&["show", "aandeel"])
    );
    assert!(
        pg.site
            .ok(&["status"])
            .contains(&format!("schema {}", pg.schema)),
        "status names where the store is"
    );
    // The server: the same answers to the same requests.
    let (a, b) = (Server::start(pg.site), Server::start(lite));
    let (on_pg, on_lite) = (answers(&a, PATHS), answers(&b, PATHS));
    for ((path, s1, b1), (_, s2, b2)) in on_pg.iter().zip(&on_lite) {
        assert_eq!(s1, s2, "{path}");
        assert_eq!(b1, b2, "{path}");
    }
    for (path, status, body) in &on_pg {
        let want = if path.ends_with("onbekend") { 404 } else { 200 };
        assert_eq!(*status, want, "{path}: {body}");
    }
    assert!(on_pg[6].2.contains("S1"), "{}", on_pg[6].2);
    // A key made by the command while the server runs reaches the server through the store.
    let wrong = a.get_with("/api/v1/indicators", &[("apikey", "peil_wrong")]);
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let key = a.key("pg", &["intern"]);
    assert_eq!(
        a.get_with("/api/v1/indicators", &[("apikey", &key)]).status,
        200
    );
    // A new publication reaches the running server.
    let more = write(
        &a.site,
        "more.csv",
        "period,geolevel,geoitem,inw\n2024,statsec,S1,1300\n",
    );
    a.site.import(&more, &[]);
    a.site.ok(&["publish"]);
    let t = std::time::Instant::now();
    while !a.get("/api/v1/periods").body.contains("2024") {
        assert!(
            t.elapsed().as_secs() < 30,
            "the new publication never arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn a_store_url_with_a_password_is_refused_without_showing_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "init",
            "--store",
            "postgres://peil:zeergeheim@db.example/stats",
        ],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("PEIL_STORE_PASSWORD"), "{err}");
    assert!(!err.contains("zeergeheim"), "{err}");
    assert!(!dir.path().join("peil.toml").exists(), "nothing is written");
}

#[test]
fn a_schema_that_holds_a_site_is_not_given_to_another() {
    let first = PgSite::new();
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "init",
            "--store",
            &url(&first.pg),
            "--store-schema",
            &first.schema,
        ],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("already holds a Peil site"), "{err}");
    assert!(!dir.path().join("peil.toml").exists());
}

#[test]
fn a_password_file_is_read_checked_and_never_printed() {
    // The test server trusts its socket (it never asks for a password), so what is checked
    // here is the file's handling: a missing or empty file is refused with its name, a
    // readable one is used and never printed.
    let pg = PgSite::new();
    let cfg = pg.site.path().join("peil.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("store_password_file = \"pw.txt\"\n{text}")).unwrap();
    let o = pg.site.run(&["status"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("store_password_file") && err.contains("pw.txt"),
        "{err}"
    );
    std::fs::write(pg.site.path().join("pw.txt"), "\n").unwrap();
    let err = String::from_utf8_lossy(&pg.site.run(&["status"]).stderr).into_owned();
    assert!(err.contains("holds no password"), "{err}");
    std::fs::write(pg.site.path().join("pw.txt"), "s3cret\n").unwrap();
    let out = pg.site.ok(&["status"]);
    assert!(!out.contains("s3cret"), "{out}");
}

#[test]
fn a_sqlite_only_setting_on_a_sqlite_site_is_refused() {
    let site = Site::new();
    let cfg = site.path().join("peil.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("store_schema = \"gent\"\n{text}")).unwrap();
    let err = String::from_utf8_lossy(&site.run(&["status"]).stderr).into_owned();
    assert!(err.contains("store_schema"), "{err}");
    std::fs::write(&cfg, format!("store = \"/srv/peil.db\"\n{text}")).unwrap();
    let err = String::from_utf8_lossy(&site.run(&["status"]).stderr).into_owned();
    assert!(err.contains("not a PostgreSQL URL"), "{err}");
}
