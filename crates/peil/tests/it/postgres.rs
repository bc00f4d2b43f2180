//! Issue 16: a site whose peil.toml says `store = "postgres://…"`. The real binary on a
//! throwaway PostgreSQL server (`peil_pgtest`), each test a schema of its own: the same
//! commands and the same server as on SQLite, and the same answers, byte for byte.

use crate::common::*;
use peil_pgtest::TempPostgres;
use std::path::PathBuf;
use std::sync::Arc;

/// The test server's URL (its socket directory, percent-encoded, as the host).
pub fn url(pg: &TempPostgres) -> String {
    url_at(pg.socket_dir())
}

/// The URL of a server whose socket is (or will be) in `dir`.
fn url_at(dir: &std::path::Path) -> String {
    let dir: String = dir
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

/// Runs SQL on the test server as its superuser (what an operator would do with psql).
fn sql(pg: &TempPostgres, statements: &str) {
    let mut c = postgres::Client::connect(&pg.conninfo(), postgres::NoTls).unwrap();
    c.batch_execute(statements).unwrap();
}

/// Points a site directory's peil.toml at a PostgreSQL schema.
fn point_at(dir: &std::path::Path, url: &str, schema: &str) {
    let cfg = dir.join("peil.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        format!("store = \"{url}\"\nstore_schema = \"{schema}\"\n{text}"),
    )
    .unwrap();
}

#[test]
fn a_postgres_site_is_backed_up_and_restored_into_its_schema() {
    let pg = PgSite::new();
    fill(&pg.site);
    pg.site.ok(&["users", "add", "eva", "--role", "beheerder"]);
    let before = pg.site.state();
    let live = pg.site.ok(&["export", "--live"]);
    let users = pg.site.ok(&["users", "list"]);
    let backups = tempfile::tempdir().unwrap();
    let b = backups.path().join("b1");
    let out = pg.site.ok(&["backup", b.to_str().unwrap()]);
    assert!(out.contains("checked"), "{out}");
    assert!(b.join("peil.sqlite").is_file() && b.join("backup.json").is_file());
    // The copy is a store in its own right: as a SQLite site it holds the same.
    let as_file = tempfile::tempdir().unwrap();
    copy_site_files(&b, as_file.path());
    std::fs::copy(b.join("peil.sqlite"), as_file.path().join("peil.sqlite")).unwrap();
    let cfg = as_file.path().join("peil.toml");
    let text: String = std::fs::read_to_string(&cfg)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("store"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&cfg, text).unwrap();
    assert_eq!(state_in(as_file.path()), before);
    // The schema still holds the site: a restore leaves it alone and makes nothing.
    let target = backups.path().join("hersteld");
    let o = run_in(
        backups.path(),
        &["restore", b.to_str().unwrap(), target.to_str().unwrap()],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("already holds a site"), "{err}");
    assert!(!target.exists());
    assert_eq!(pg.site.state(), before);
    // The schema lost: the restore puts the site back into it, the same in every respect.
    sql(&pg.pg, &format!("DROP SCHEMA \"{}\" CASCADE", pg.schema));
    assert!(!pg.site.run(&["status"]).status.success());
    let o = run_in(
        backups.path(),
        &["restore", b.to_str().unwrap(), target.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        !target.join("peil.sqlite").exists(),
        "a PostgreSQL site keeps no SQLite file"
    );
    assert_eq!(state_in(&target), before);
    assert_eq!(ok_in(&target, &["export", "--live"]), live);
    assert_eq!(ok_in(&target, &["users", "list"]), users);
    ok_in(&target, &["check"]);
    assert_eq!(pg.site.state(), before, "the old directory sees it too");
}

#[test]
fn migrate_store_moves_the_demo_to_postgres_and_back_unchanged() {
    let pg = TempPostgres::shared().unwrap_or_else(|e| panic!("{e}"));
    let schema = TempPostgres::unique_name("demo");
    let demo = Site::demo();
    // The demo's files in a second directory whose peil.toml names the new schema.
    let on_pg = Site {
        dir: tempfile::tempdir().unwrap(),
    };
    copy_site_files(demo.path(), on_pg.path());
    point_at(on_pg.path(), &url(&pg), &schema);
    let out = demo.ok(&[
        "migrate-store",
        demo.path().to_str().unwrap(),
        &url(&pg),
        "--to-schema",
        &schema,
    ]);
    assert!(
        out.contains("every table compared with its source: equal"),
        "{out}"
    );
    assert_eq!(on_pg.state(), demo.state());
    // Once there, a second copy is refused unless it is to replace the site.
    let again = demo.run(&[
        "migrate-store",
        demo.path().to_str().unwrap(),
        on_pg.path().to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("already holds a site"), "{err}");
    let json: serde_json::Value = serde_json::from_str(&demo.ok(&[
        "migrate-store",
        demo.path().to_str().unwrap(),
        on_pg.path().to_str().unwrap(),
        "--replace",
        "--json",
    ]))
    .unwrap();
    assert_eq!(json["verified"], true);
    assert!(json["rows"].as_u64().unwrap() > 1000, "{json}");
    // The server on either store: the same bytes (absolute links from one base_url).
    for dir in [on_pg.path(), demo.path()] {
        let cfg = dir.join("peil.toml");
        let text = std::fs::read_to_string(&cfg).unwrap();
        std::fs::write(&cfg, format!("base_url = \"https://stad.example\"\n{text}")).unwrap();
    }
    let (a, b) = (Server::start(on_pg), Server::start(demo));
    let codes: Vec<String> = b.get("/api/v1/indicators").json()["indicators"]
        .as_array()
        .map(|l| {
            l.iter()
                .take(3)
                .filter_map(|i| i["code"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let mut paths: Vec<String> = [
        "/",
        "/api/v1/indicators",
        "/api/v1/geolevels",
        "/api/v1/themes",
        "/api/v1/periods",
        "/jiveservices/odata/GeoLevels",
        "/api/v1/catalog.ttl",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    assert!(!codes.is_empty(), "the demo lists indicators");
    for c in &codes {
        paths.push(format!("/api/v1/indicators/{c}"));
        paths.push(format!("/api/v1/data?indicator={c}&level=wijk&format=csv"));
        paths.push(format!("/api/v1/data?indicator={c}&level=statsec"));
        paths.push(format!("/indicator/{c}"));
    }
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    for ((path, s1, b1), (_, s2, b2)) in answers(&a, &paths).iter().zip(&answers(&b, &paths)) {
        assert_eq!(*s1, 200, "{path}: {b1}");
        assert_eq!(s1, s2, "{path}");
        assert_eq!(b1, b2, "{path}");
    }
    // And back into a SQLite file, which a site directory then serves as before.
    let back = Site {
        dir: tempfile::tempdir().unwrap(),
    };
    copy_site_files(b.site.path(), back.path());
    let out = back.ok(&[
        "migrate-store",
        a.site.path().to_str().unwrap(),
        back.path().join("peil.sqlite").to_str().unwrap(),
    ]);
    assert!(out.contains("equal"), "{out}");
    assert_eq!(back.state(), b.site.state());
    assert_eq!(
        back.ok(&["export", "--live"]),
        b.site.ok(&["export", "--live"])
    );
}

#[test]
fn migrate_store_refuses_a_copy_onto_itself_and_a_missing_source() {
    let site = Site::new();
    let o = site.run(&[
        "migrate-store",
        site.path().to_str().unwrap(),
        site.store().to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("the same store"));
    let dir = tempfile::tempdir().unwrap();
    let o = site.run(&[
        "migrate-store",
        dir.path().join("nergens.sqlite").to_str().unwrap(),
        dir.path().join("doel.sqlite").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a Peil store"));
    assert!(!dir.path().join("doel.sqlite").exists());
}

#[test]
fn two_sites_in_one_database_are_served_by_one_process_each_on_its_own() {
    use crate::sites::{get, key, make_site_with};
    let pg = TempPostgres::shared().unwrap_or_else(|e| panic!("{e}"));
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (
        root.path().join("a.localhost"),
        root.path().join("b.localhost"),
    );
    for (dir, code) in [(&a, "v_a"), (&b, "v_b")] {
        let schema = TempPostgres::unique_name(code);
        make_site_with(
            dir,
            code,
            false,
            &["--store", &url(&pg), "--store-schema", &schema],
        );
        assert!(!dir.join("peil.sqlite").exists());
    }
    let (key_a, key_b) = (key(&a, "ka"), key(&b, "kb"));
    let (_server, addr) = serve_sites(root.path());
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
        "b.localhost",
        "/api/v1/indicators",
        &[("apikey", &key_b)],
    );
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("v_b") && !body.contains("v_a"), "{body}");
    for (host, wrong) in [("a.localhost", &key_b), ("b.localhost", &key_a)] {
        let (st, _) = get(&addr, host, "/api/v1/indicators", &[("apikey", wrong)]);
        assert_eq!(st, 401, "{host} takes only its own keys");
    }
    let (_, v) = get(
        &addr,
        "a.localhost",
        "/api/v1/data?indicator=v_a&level=sector&period=2020&format=csv",
        &[("apikey", &key_a)],
    );
    assert!(v.contains("S1") && v.contains(",7"), "{v}");
}

#[test]
fn undo_rollback_and_groups_do_the_same_on_both_stores() {
    let pg = PgSite::new();
    let lite = Site::new();
    for site in [&pg.site, &lite] {
        fill(site);
        let first = site.ok(&["export", "--live"]);
        let before = site.state();
        // An import undone leaves the test copy exactly as it was.
        let more = write(
            site,
            "meer.csv",
            "period,geolevel,geoitem,inw,wz\n2023,statsec,S1,1400,41\n2024,statsec,S2,900,5\n",
        );
        site.import(&more, &[]);
        assert_ne!(site.state(), before);
        let last: serde_json::Value =
            serde_json::from_str(&site.ok(&["imports", "--json"])).unwrap();
        let id = last.as_array().unwrap().last().unwrap()["id"].to_string();
        site.ok(&["imports", "undo", &id]);
        assert_eq!(site.state(), before);
        // A second publication, then the first made live again.
        site.import(&more, &[]);
        site.ok(&["publish"]);
        assert_ne!(site.ok(&["export", "--live"]), first);
        site.ok(&["rollback", "1"]);
        assert_eq!(site.ok(&["export", "--live"]), first);
        site.ok(&[
            "groups",
            "add",
            "intern",
            "--description",
            "Stadsdiensten",
            "--indicators",
            "wz",
            "--levels",
            "wijk",
        ]);
    }
    assert_eq!(pg.site.state(), lite.state());
    assert_eq!(
        pg.site.ok(&["groups", "list"]),
        lite.ok(&["groups", "list"])
    );
    assert_eq!(pg.site.ok(&["check"]), lite.ok(&["check"]));
}

/// The demo city in a new PostgreSQL schema (moved there by `peil migrate-store`), in a site
/// directory of its own.
fn demo_on_postgres(pg: &TempPostgres, demo: &Site) -> Site {
    let schema = TempPostgres::unique_name("demo");
    let site = Site {
        dir: tempfile::tempdir().unwrap(),
    };
    copy_site_files(demo.path(), site.path());
    point_at(site.path(), &url(pg), &schema);
    demo.ok(&[
        "migrate-store",
        demo.path().to_str().unwrap(),
        site.path().to_str().unwrap(),
    ]);
    site
}

#[test]
fn records_and_their_dashboard_are_imported_and_published_alike_on_postgres() {
    let pg = TempPostgres::shared().unwrap_or_else(|e| panic!("{e}"));
    let lite = Site::demo();
    let on_pg = demo_on_postgres(&pg, &lite);
    let dir = tempfile::tempdir().unwrap();
    let def = dir.path().join("vergunningen.toml");
    std::fs::write(&def, crate::records::DEFINITION).unwrap();
    let register = crate::records::register(&lite, dir.path(), 1500);
    let mut reports = Vec::new();
    for site in [&on_pg, &lite] {
        let out = site.ok(&[
            "records",
            "import",
            def.to_str().unwrap(),
            register.to_str().unwrap(),
            "--json",
        ]);
        let mut report: serde_json::Value = serde_json::from_str(&out).unwrap();
        report.as_object_mut().unwrap().remove("import");
        reports.push(report);
        site.ok(&["publish"]);
    }
    assert_eq!(reports[0], reports[1]);
    assert_eq!(reports[0]["records"]["inserted"], 1500, "{}", reports[0]);
    let (a, b) = (
        on_pg.ok(&["records", "list", "--json"]),
        lite.ok(&["records", "list", "--json"]),
    );
    // The same, but for when each was imported.
    assert_eq!(a.lines().count(), b.lines().count());
    for (x, y) in a.lines().zip(b.lines()) {
        if !x.contains("\"updated_at\"") {
            assert_eq!(x, y);
        }
    }
    assert_eq!(on_pg.state(), lite.state());
    // The publications alike, every hidden cell too (secondary suppression in the same order).
    assert_eq!(
        on_pg.ok(&["export", "--live"]),
        lite.ok(&["export", "--live"])
    );
}

/// The generation a server answers from, by its liveness probe.
fn generation(s: &Server) -> u64 {
    s.get("/health").json()["generation"].as_u64().unwrap()
}

/// How long until every server answers from `generation`, asked every 10 ms; panics after 30 s.
fn until_all_serve(servers: &[&Server], generation_wanted: u64) -> std::time::Duration {
    let t = std::time::Instant::now();
    while servers.iter().any(|s| generation(s) != generation_wanted) {
        assert!(
            t.elapsed().as_secs() < 30,
            "generation {generation_wanted} never reached every replica"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    t.elapsed()
}

/// The listening connections of the replicas of the site in `schema`, ended by the server.
fn terminate_listeners(pg: &TempPostgres, schema: &str) -> usize {
    let mut c = postgres::Client::connect(&pg.conninfo(), postgres::NoTls).unwrap();
    let rows = c
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&peil_store::listener_name(schema)],
        )
        .unwrap();
    rows.iter().filter(|r| r.get::<_, bool>(0)).count()
}

fn listeners(pg: &TempPostgres, schema: &str) -> i64 {
    let mut c = postgres::Client::connect(&pg.conninfo(), postgres::NoTls).unwrap();
    c.query_one(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
        &[&peil_store::listener_name(schema)],
    )
    .unwrap()
    .get(0)
}

/// Issue 16, serving replicas: two `peil serve` processes (each with a site directory of its
/// own, as on two machines) on one PostgreSQL store. A publication made by the command
/// reaches both within 2 s (announced by NOTIFY; the fallback poll is every 10 s), their
/// ETags agree, also after a change of access groups one of them saw while running; a
/// listening connection ended by the database is made again and the replica still catches
/// up.
#[test]
fn two_replicas_serve_a_new_publication_within_two_seconds_with_one_etag() {
    let pg = PgSite::new();
    fill(&pg.site);
    let other = tempfile::tempdir().unwrap();
    std::fs::copy(
        pg.site.path().join("peil.toml"),
        other.path().join("peil.toml"),
    )
    .unwrap();
    let a = Server::start(pg.site);
    // A change of access groups while only the first replica runs.
    a.site.ok(&[
        "groups",
        "add",
        "intern",
        "--description",
        "Stadsdiensten",
        "--indicators",
        "inw",
    ]);
    let b = Server::start(Site { dir: other });
    for s in [&a, &b] {
        let r = s.get("/health/ready");
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let etags = |path: &str| {
        let (x, y) = (a.get(path), b.get(path));
        assert_eq!((x.status, y.status), (200, 200), "{path}");
        (x.headers["etag"].clone(), y.headers["etag"].clone())
    };
    const PATH: &str = "/api/v1/indicators";
    until_all_serve(&[&a, &b], 1);
    // The first replica reloads for the new groups (announced too); then both agree.
    let t = std::time::Instant::now();
    loop {
        let (x, y) = etags(PATH);
        if x == y {
            break;
        }
        assert!(t.elapsed().as_secs() < 5, "ETags differ: {x} and {y}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let (before, _) = etags(PATH);
    let more = write(
        &a.site,
        "meer.csv",
        "period,geolevel,geoitem,inw\n2024,statsec,S1,1300\n",
    );
    a.site.import(&more, &[]);
    a.site.ok(&["publish"]);
    let took = until_all_serve(&[&a, &b], 2);
    eprintln!("publication 2 reached both replicas {took:?} after the command ended");
    assert!(took <= std::time::Duration::from_secs(2), "took {took:?}");
    let (x, y) = etags(PATH);
    assert_eq!(x, y, "one publication, one ETag on every replica");
    assert_ne!(x, before, "a new publication, a new ETag");
    assert!(b.get("/api/v1/periods").body.contains("2024"));
    // A client's copy is confirmed by the other replica.
    let r = b.get_with(PATH, &[("if-none-match", &x)]);
    assert_eq!(r.status, 304);
    // The database ends both listening connections; each replica listens again and hears
    // the next publication.
    let schema = &pg.schema;
    assert_eq!(terminate_listeners(&pg.pg, schema), 2);
    let t = std::time::Instant::now();
    while listeners(&pg.pg, schema) < 2 {
        assert!(
            t.elapsed().as_secs() < 10,
            "the replicas did not listen again"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    a.site.ok(&["rollback", "1"]);
    let took = until_all_serve(&[&a, &b], 3);
    eprintln!("after the listeners were ended: publication 3 reached both in {took:?}");
    assert!(took <= std::time::Duration::from_secs(2), "took {took:?}");
    assert!(!b.get("/api/v1/periods").body.contains("2024"));
    // Ended again and published at once: the replicas catch up (a listener made again looks
    // for what it missed).
    assert_eq!(terminate_listeners(&pg.pg, schema), 2);
    a.site.ok(&["rollback", "2"]);
    let took = until_all_serve(&[&a, &b], 4);
    eprintln!("published while no one listened: publication 4 reached both in {took:?}");
    assert!(took <= std::time::Duration::from_secs(2), "took {took:?}");
    let (x, y) = etags(PATH);
    assert_eq!(x, y);
}

/// A replica whose PostgreSQL cannot be reached when it starts is alive (`/health`) but not
/// ready (`/health/ready` 503, saying why); once the server can be reached it loads the
/// publication and is ready, without a restart.
#[test]
fn a_replica_started_while_the_store_is_unreachable_is_live_not_ready_until_it_loads() {
    let pg = PgSite::new();
    fill(&pg.site);
    // The replica's store URL names a socket directory that is empty for now.
    let sockets = tempfile::tempdir().unwrap();
    let replica = tempfile::tempdir().unwrap();
    let toml = std::fs::read_to_string(pg.site.path().join("peil.toml")).unwrap();
    let real = url(&pg.pg);
    assert!(toml.contains(&real), "{toml}");
    std::fs::write(
        replica.path().join("peil.toml"),
        toml.replace(&real, &url_at(sockets.path())),
    )
    .unwrap();
    let s = Server::start(Site { dir: replica });
    let live = s.get("/health");
    assert_eq!(live.status, 200, "{}", live.body);
    let r = s.get("/health/ready");
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("cannot be reached"), "{}", r.body);
    assert_eq!(r.json()["generation"], 0);
    // The server becomes reachable: its socket appears in the directory.
    let name = format!(".s.PGSQL.{}", peil_pgtest::PORT);
    std::os::unix::fs::symlink(pg.pg.socket_dir().join(&name), sockets.path().join(&name)).unwrap();
    let t = std::time::Instant::now();
    while s.get("/health/ready").status != 200 {
        assert!(t.elapsed().as_secs() < 30, "never ready");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(generation(&s), 1);
    assert!(s.get("/api/v1/periods").body.contains("2023"));
}

/// Two replicas of one PostgreSQL site, each with a site directory of its own (as on two
/// machines) whose peil.toml ends with `extra`; the data of [`fill`] published. The site comes
/// first, so that bound in order the servers stop before it.
fn two_replicas(extra: &str) -> (PgSite, Server, Server) {
    let pg = PgSite::new();
    fill(&pg.site);
    let toml = pg.site.path().join("peil.toml");
    let mut config = std::fs::read_to_string(&toml).unwrap();
    config.push_str(extra);
    std::fs::write(&toml, config).unwrap();
    let a = Server::start(Site::copy_of(&pg.site));
    let b = Server::start(Site::copy_of(&pg.site));
    (pg, a, b)
}

/// Issue 16 §2: a site's `rate_limit` holds for the site, not per replica. Each replica
/// counts the servers listening for the site at every poll and allows its share, so a client
/// whose requests a load balancer spreads over two replicas gets the site's burst (twice
/// 5 a second), not twice it.
#[test]
fn two_replicas_share_the_sites_rate_limit() {
    let pg = PgSite::new();
    fill(&pg.site);
    let toml = pg.site.path().join("peil.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("rate_limit = 5\n{text}")).unwrap();
    let a = Server::start(Site::copy_of(&pg.site));
    let b = Server::start(Site::copy_of(&pg.site));
    // Both listening; then a publication, after which each polls and counts two replicas.
    let t = std::time::Instant::now();
    while listeners(&pg.pg, &pg.schema) < 2 {
        assert!(t.elapsed().as_secs() < 30, "the replicas never listened");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let next = generation(&a) + 1;
    pg.site.ok(&["publish"]);
    until_all_serve(&[&a, &b], next);
    // The probes above took tokens too: wait until each replica's burst is whole again.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let through = (0..40)
        .filter(|i| {
            let s = if i % 2 == 0 { &a } else { &b };
            s.get("/api/v1/indicators").status == 200
        })
        .count();
    // The site's burst of 10, and what refills while the 40 requests are made; per replica
    // it would be 20.
    assert!(
        (8..=13).contains(&through),
        "{through} of 40 requests let through"
    );
}

/// Issue 16 §2: the back office behind a load balancer that sends a browser to either
/// replica. A session made on one is valid on the other; a logout on one ends it on the
/// other; failed logins from one address are counted across both.
#[test]
fn two_replicas_share_sessions_logouts_and_the_login_throttle() {
    use crate::admin::{Browser, add_user};
    let (_pg, a, b) = two_replicas("\n[admin]\ninsecure_cookie = true\nfailures_per_address = 3\n");
    let pw = add_user(&a, "ann", "beheerder", "");
    let mut browser = Browser::new(&a);
    assert_eq!(browser.login("ann", &pw).status, 303);
    browser.to(&b);
    let home = browser.get("/admin");
    assert_eq!(home.status, 200, "a session made on A is valid on B");
    assert!(home.body.contains("ann"));
    let session = browser.cookies["peil_session"].clone();
    browser.to(&a);
    let token = browser.token();
    assert_eq!(
        browser
            .post("/admin/logout", &format!("csrf={token}"))
            .status,
        303
    );
    browser.to(&b);
    browser.cookies.insert("peil_session".into(), session);
    assert_eq!(
        browser.get("/admin").status,
        303,
        "logged out on A, refused on B"
    );
    // Three failures from one address, spread over both, and the fourth is refused on
    // either replica.
    let (mut on_a, mut on_b) = (Browser::new(&a), Browser::new(&b));
    assert_eq!(on_a.login("ann", "wrong password!!").status, 200);
    assert_eq!(on_b.login("ann", "wrong password!!").status, 200);
    assert_eq!(on_a.login("ann", "wrong password!!").status, 200);
    assert_eq!(on_b.login("ann", "wrong password!!").status, 429);
    assert_eq!(on_a.login("ann", "wrong password!!").status, 429);
}

/// Issue 16 §2: every replica runs the scheduler, the one holding the store's lease runs its
/// jobs. Two replicas check at the same moment when the scheduled publish is due: it runs
/// once. The holder dies (stops checking and renewing): the other takes the scheduler over
/// once the lease has expired, and the first, back, runs nothing.
#[test]
fn a_scheduled_publish_runs_on_one_replica_only_and_moves_when_its_holder_dies() {
    use peil_connect::scheduler::{Context, Holder, Plan, ScheduleToml, Scheduler};
    use peil_store::{Location, PgLocation, RunTask, Store};
    use std::time::Duration;
    let pg = PgSite::new();
    fill(&pg.site);
    let more = write(
        &pg.site,
        "meer.csv",
        "period,geolevel,geoitem,inw\n2024,statsec,S1,1300\n",
    );
    pg.site.import(&more, &[]);
    let location = Location::Postgres(Box::new(
        PgLocation::new(&url(&pg.pg), &pg.schema, None).unwrap(),
    ));
    let schedule = ScheduleToml {
        publish: Some("0 5 * * *".into()),
        ..Default::default()
    };
    let plan = Plan::new(&schedule, &[]).unwrap();
    let ctx = Context {
        site_dir: pg.site.path().to_path_buf(),
        limits: Default::default(),
        plausibility: Default::default(),
        allow: Default::default(),
        keep: 5,
    };
    // Both started at 04:00 in Brussels; the publish is due at 05:00 (04:00 UTC).
    let scheduler = Scheduler::new("2026-12-07T03:00:00Z".parse().unwrap());
    let holder = |name: &str| Holder {
        name: name.into(),
        ttl: Duration::from_secs(2),
    };
    let replicas = [holder("a"), holder("b")];
    let check = |h: &Holder, now: &str| {
        let mut store = Store::open_at(&location).unwrap();
        scheduler.tick_held(&mut store, &location, h, &plan, &ctx, now.parse().unwrap())
    };
    let at_once = std::sync::Barrier::new(2);
    let ran: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = replicas
            .iter()
            .map(|h| {
                let (check, at_once) = (&check, &at_once);
                scope.spawn(move || {
                    at_once.wait();
                    check(h, "2026-12-07T04:00:20Z")
                })
            })
            .collect();
        handles.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let holders: Vec<usize> = (0..2).filter(|&i| ran[i].is_some()).collect();
    assert_eq!(holders.len(), 1, "one replica runs the jobs: {ran:#?}");
    let (first, other) = (&replicas[holders[0]], &replicas[1 - holders[0]]);
    let runs = ran[holders[0]].as_ref().unwrap();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0].outcome, "published", "{runs:#?}");
    let store = Store::open_at(&location).unwrap();
    assert_eq!(store.runs(RunTask::Publish, "", 10).unwrap().len(), 1);
    // The holder dies. Its lease holds a while, then the other replica runs the next day's
    // publish; the first, back, finds the scheduler taken.
    let next_day = "2026-12-08T04:00:20Z";
    assert!(
        check(other, next_day).is_none(),
        "the dead holder's lease still holds"
    );
    std::thread::sleep(Duration::from_millis(3100));
    let runs = check(other, next_day).expect("the lease expired: the other takes over");
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert!(check(first, "2026-12-09T04:00:20Z").is_none());
    assert_eq!(store.runs(RunTask::Publish, "", 10).unwrap().len(), 2);
}

/// The areas and indicators of [`generation_site`]: six sectors, two indicators, two years.
const GEN_ITEMS: usize = 6;
const GEN_INDICATORS: [&str; 2] = ["ga", "gb"];
const GEN_PERIODS: [u32; 2] = [2022, 2023];

/// Every value publication `n` holds: `n·100000` plus a small number telling the cell, so a
/// value names its publication (`value / 100000`) and no period or code can be taken for one.
fn generation_data(n: u64) -> String {
    let mut csv = format!("period,geolevel,geoitem,{}\n", GEN_INDICATORS.join(","));
    for p in GEN_PERIODS {
        for i in 1..=GEN_ITEMS {
            let cells: Vec<String> = (0..GEN_INDICATORS.len())
                .map(|k| {
                    (n * 100_000 + (p as u64 % 10) * 100 + k as u64 * 10 + i as u64).to_string()
                })
                .collect();
            csv.push_str(&format!("{p},statsec,S{i},{}\n", cells.join(",")));
        }
    }
    csv
}

/// A PostgreSQL site whose first publication is [`generation_data`]`(1)`.
pub fn generation_site() -> PgSite {
    let pg = PgSite::new();
    let site = &pg.site;
    let mut areas = "code,name\n".to_string();
    for i in 1..=GEN_ITEMS {
        areas.push_str(&format!("S{i},Sector {i}\n"));
    }
    site.import(&write(site, "statsec.csv", &areas), &[]);
    let mut meta = "code;name;data type;period type\n".to_string();
    for code in GEN_INDICATORS {
        meta.push_str(&format!("{code};waarde {code};numeric;stock\n"));
    }
    site.import(&write(site, "meta.csv", &meta), &[]);
    publish_generation(site, 1);
    pg
}

/// Imports [`generation_data`]`(n)` over every value and publishes it (generation `n`).
pub fn publish_generation(site: &Site, n: u64) {
    site.import(&write(site, "gen.csv", &generation_data(n)), &[]);
    site.ok(&["publish"]);
}

/// The data answers the load asks for, each holding every value of the publication.
pub const GEN_PATHS: &[&str] = &[
    "/api/v1/data?indicator=ga,gb&level=statsec",
    "/api/v1/data?indicator=ga,gb&level=statsec&format=csv",
    "/jive/selectiontableasjson.ashx?var=ga&geolevel=statsec",
];

/// How many values of the publication an answer of [`GEN_PATHS`] holds.
fn gen_values(path: &str) -> usize {
    if path.contains("var=") {
        GEN_ITEMS // the selection table's default: the latest period
    } else {
        GEN_ITEMS * GEN_PERIODS.len() * GEN_INDICATORS.len()
    }
}

/// The generation an answer says it is of, by its ETag (`"peil-N…"`).
fn etag_generation(etag: &str) -> Option<u64> {
    let rest = etag
        .trim_start_matches("W/")
        .trim_matches('"')
        .strip_prefix("peil-")?;
    rest.split('-').next()?.parse().ok()
}

/// Checks that an answer is wholly of one publication: the generation of its ETag and of
/// every value agree, and it holds as many values as the publication has. Returns the
/// generation, or what is wrong.
pub fn one_generation(path: &str, r: &Reply) -> Result<u64, String> {
    if r.status != 200 {
        return Err(format!("{path}: status {}: {}", r.status, r.body));
    }
    let etag = r.headers.get("etag").ok_or(format!("{path}: no ETag"))?;
    let g = etag_generation(etag).ok_or(format!("{path}: ETag {etag}"))?;
    // Every run of six or more digits is a value (periods and codes are shorter).
    let values: Vec<u64> = r
        .body
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() >= 6)
        .map(|w| w.parse().unwrap())
        .collect();
    if values.len() != gen_values(path) {
        return Err(format!(
            "{path}: {} values, not {}: {}",
            values.len(),
            gen_values(path),
            r.body
        ));
    }
    let others: Vec<u64> = values
        .iter()
        .filter(|v| *v / 100_000 != g)
        .copied()
        .collect();
    if !others.is_empty() {
        return Err(format!(
            "{path}: ETag {etag} (generation {g}) but values {others:?} of another: {}",
            r.body
        ));
    }
    Ok(g)
}

/// Issue 16 §2: no answer mixes publications under load. Two replicas on one PostgreSQL
/// store; client threads ask both for data answers without pause while five publications
/// are made, each changing every value (publication `n` holds only values `n·100000 + …`).
/// Every answer is wholly of one publication — its ETag's generation and every value agree —
/// no replica ever answers an older publication after a newer one, and both serve each new
/// one within 2 s of the command.
#[test]
fn no_answer_mixes_publications_under_load_on_two_replicas() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let pg = generation_site();
    let a = Server::start(Site::copy_of(&pg.site));
    let b = Server::start(Site::copy_of(&pg.site));
    until_all_serve(&[&a, &b], 1);
    let stop = AtomicBool::new(false);
    let asked = AtomicUsize::new(0);
    let last = 30;
    let (errors, seen) = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..3)
            .map(|t| {
                let (a, b, stop, asked) = (&a, &b, &stop, &asked);
                scope.spawn(move || {
                    let mut errors = Vec::new();
                    let mut seen = std::collections::BTreeSet::new();
                    // The newest generation each replica has answered this client from.
                    let mut newest = [0u64; 2];
                    let mut i = t;
                    while !stop.load(Ordering::Relaxed) && errors.len() < 5 {
                        let r = i % 2;
                        let path = GEN_PATHS[(i / 2) % GEN_PATHS.len()];
                        let reply = [a, b][r].get(path);
                        asked.fetch_add(1, Ordering::Relaxed);
                        match one_generation(path, &reply) {
                            Ok(g) if g < newest[r] => errors.push(format!(
                                "{path}: replica {r} answered generation {g} after {}",
                                newest[r]
                            )),
                            Ok(g) => {
                                newest[r] = g;
                                seen.insert(g);
                            }
                            Err(e) => errors.push(e),
                        }
                        i += 1;
                    }
                    (errors, seen)
                })
            })
            .collect();
        let mut took = Vec::new();
        for n in 2..=last {
            publish_generation(&pg.site, n);
            took.push(until_all_serve(&[&a, &b], n));
        }
        stop.store(true, Ordering::Relaxed);
        let mut errors = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for c in clients {
            let (e, s) = c.join().unwrap();
            errors.extend(e);
            seen.extend(s);
        }
        eprintln!("publications reached both replicas under load after {took:?}");
        for t in &took {
            errors.extend(
                (*t > std::time::Duration::from_secs(2))
                    .then(|| format!("a publication took {t:?} to reach both replicas")),
            );
        }
        (errors, seen)
    });
    let asked = asked.load(Ordering::Relaxed);
    eprintln!("{asked} answers checked, generations {seen:?}");
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert_eq!(seen, (1..=last).collect(), "the load saw every publication");
    assert!(asked > 200, "only {asked} answers under load");
}

/// The crash fixture of an import on PostgreSQL: smaller than SQLite's (`crash.rs`), the same
/// shape (a publication's test takes a larger one, so that its run is long enough to kill in).
const CRASH_ITEMS: usize = 600;
const CRASH_INDICATORS: usize = 16;
const CRASH_YEARS: usize = 8;

/// How long until the site's write lock can be taken: a killed writer's transaction has ended
/// (rolled back, or committed when the kill came after its `COMMIT` was sent) and its lock is
/// released. Fails after 10 s (`lock_timeout`): a lock left held would keep every later import
/// and publication waiting.
fn until_write_lock_free(pg: &TempPostgres, schema: &str) -> std::time::Duration {
    let t = std::time::Instant::now();
    let mut c = postgres::Client::connect(&pg.conninfo(), postgres::NoTls).unwrap();
    let key = peil_store::write_lock_key(schema);
    let mut tx = c.transaction().unwrap();
    tx.batch_execute("SET LOCAL lock_timeout = '10s'").unwrap();
    tx.query_one("SELECT pg_advisory_xact_lock($1)::text", &[&key])
        .unwrap_or_else(|e| panic!("the write lock is still held after 10 s: {e}"));
    tx.commit().unwrap();
    t.elapsed()
}

/// The id of the last import (`peil imports --json`).
fn last_import(site: &Site) -> String {
    let list: serde_json::Value = serde_json::from_str(&site.ok(&["imports", "--json"])).unwrap();
    list.as_array().unwrap().last().unwrap()["id"].to_string()
}

/// Issue 16, crash safety on PostgreSQL: `kill -9` a large import at moments spread over its
/// run (reading, validating, the binary COPY, the commit). Each time `peil check` passes and
/// the store holds exactly the state from before the import or, when the kill came after the
/// commit, from after it (then undone for the next round); the next import is never kept
/// waiting by the killed one's transaction and its write lock, and lands whole.
#[test]
fn kill_dash_nine_during_an_import_on_postgres_leaves_it_before_or_after() {
    use std::time::{Duration, Instant};
    let pg = PgSite::new();
    let site = &pg.site;
    let fx = crash_fixture(site.path(), CRASH_ITEMS, CRASH_INDICATORS, CRASH_YEARS);
    site.import(&fx.areas, &["--level", "sector"]);
    site.import(&fx.base, &[]);
    let before = site.state();
    let import = ["import", fx.big.to_str().unwrap()];
    let t0 = Instant::now();
    assert!(start_peil(site.path(), &import).wait().unwrap().success());
    let full = t0.elapsed();
    let after = site.state();
    assert_ne!(after, before);
    site.ok(&["imports", "undo", &last_import(site)]);
    assert_eq!(site.state(), before, "undone exactly");
    let rounds = 8;
    let mut completed = 0;
    let killed = kill_at_moments(
        rounds,
        full,
        |_| (start_peil(site.path(), &import), Instant::now()),
        |i, _, killed_at| {
            until_write_lock_free(&pg.pg, &pg.schema);
            assert!(site.ok(&["check"]).contains("ok:"), "round {i}");
            let state = site.state();
            if state == after {
                completed += 1;
                site.ok(&["imports", "undo", &last_import(site)]);
            } else {
                assert!(
                    state == before,
                    "round {i} (of {full:?}): the store holds part of the import"
                );
            }
            eprintln!(
                "round {i}: checked {:?} after the kill",
                killed_at.elapsed()
            );
        },
    );
    eprintln!(
        "a whole import took {full:?}; {killed} of {rounds} rounds killed, {completed} had committed"
    );
    assert!(
        killed >= 6,
        "only {killed} of {rounds} rounds killed the import mid-run"
    );
    // The import left alone: not kept waiting behind a killed one's lock, and whole.
    let t = Instant::now();
    let out = site.import(&fx.big, &[]);
    assert!(out.contains(&format!("{} rows read", fx.rows)), "{out}");
    assert!(
        t.elapsed() < full * 3 + Duration::from_secs(10),
        "the next import waited {:?}",
        t.elapsed()
    );
    assert_eq!(site.state(), after);
}

/// The live copy as commands see it: its export and its generation (`peil publications`).
fn live_state(site: &Site) -> (String, u64) {
    let list: serde_json::Value =
        serde_json::from_str(&site.ok(&["publications", "--json"])).unwrap();
    let generation = list[0]["generation"].as_u64().unwrap();
    (site.ok(&["export", "--live"]), generation)
}

/// Issue 16, crash safety on PostgreSQL: `kill -9` `peil publish` at moments spread over its
/// run (computing, the privacy review, writing the live copy, the commit). Each time `peil
/// check` passes and the live copy is wholly the one before (same generation) or wholly the
/// new one (the next generation); a new one is rolled back for the next round. Afterwards a
/// publish left alone goes through.
#[test]
fn kill_dash_nine_during_a_publish_on_postgres_leaves_it_before_or_after() {
    use std::time::Instant;
    let pg = PgSite::new();
    let site = &pg.site;
    let fx = crash_fixture(site.path(), 1_000, 20, CRASH_YEARS);
    site.import(&fx.areas, &["--level", "sector"]);
    site.import(&fx.base, &[]);
    site.ok(&["publish"]);
    let (old, _) = live_state(site);
    site.import(&fx.big, &[]);
    let t0 = Instant::now();
    assert!(
        start_peil(site.path(), &["publish"])
            .wait()
            .unwrap()
            .success()
    );
    let full = t0.elapsed();
    let (new, g) = live_state(site);
    assert_ne!(new, old);
    // The old contents made live again: the state every round starts from.
    site.ok(&["rollback", "1"]);
    let mut live = live_state(site);
    assert_eq!(live, (old.clone(), g + 1));
    let rounds = 8;
    let mut completed = 0;
    let killed = kill_at_moments(
        rounds,
        full,
        |_| (start_peil(site.path(), &["publish"]), ()),
        |i, _, ()| {
            until_write_lock_free(&pg.pg, &pg.schema);
            assert!(site.ok(&["check"]).contains("ok:"), "round {i}");
            let now = live_state(site);
            // A generation is an identity column on PostgreSQL: a publish killed after it took
            // its number leaves a gap (sequences are not transactional), never a reuse.
            if now.0 == new && now.1 > live.1 {
                completed += 1;
                site.ok(&["rollback", &live.1.to_string()]);
                live = live_state(site);
                assert_eq!(live.0, old, "round {i}: rolled back");
            } else {
                assert!(
                    now == live,
                    "round {i} (of {full:?}): the live copy is neither the one before (generation {}) nor the new one: generation {}",
                    live.1,
                    now.1
                );
            }
        },
    );
    eprintln!(
        "a whole publish took {full:?}; {killed} of {rounds} rounds killed, {completed} had committed"
    );
    assert!(
        killed >= 6,
        "only {killed} of {rounds} rounds killed the publish mid-run"
    );
    site.ok(&["publish"]);
    let after = live_state(site);
    assert_eq!(after.0, new);
    assert!(after.1 > live.1, "generation {} after {}", after.1, live.1);
}

/// Issue 16 §2: ETags agree across replicas after a configuration reload. The ETag holds a
/// digest of the site's configuration, not a count of this process's reloads: a replica that
/// read its peil.toml again with the same content gives the ETags of a replica that did not;
/// a real change gives different ones until the other replica has it too.
#[test]
fn etags_agree_across_replicas_after_one_reloads_an_identical_configuration() {
    let (pg, a, b) = two_replicas("");
    const PATH: &str = "/api/v1/indicators";
    let etag = |s: &Server| {
        let r = s.get(PATH);
        assert_eq!(r.status, 200, "{}", r.body);
        r.headers["etag"].clone()
    };
    // A publication wakes both replicas, which read their configuration again (when its file
    // changed) before they load it: once both serve it, both have reloaded.
    let mut generation = 1;
    let mut publish = || {
        generation += 1;
        let more = write(
            &pg.site,
            "meer.csv",
            &format!(
                "period,geolevel,geoitem,inw\n2024,statsec,S1,{}\n",
                1000 + generation
            ),
        );
        pg.site.import(&more, &[]);
        pg.site.ok(&["publish"]);
        until_all_serve(&[&a, &b], generation);
    };
    assert_eq!(etag(&a), etag(&b));
    let config = |s: &Server| s.site.path().join("peil.toml");
    let text = std::fs::read_to_string(config(&a)).unwrap();
    // The same bytes written again: A reloads an identical configuration, B does not.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(config(&a), &text).unwrap();
    publish();
    assert_eq!(etag(&a), etag(&b), "an identical configuration, one ETag");
    // A real change on B only: the answers may differ, so do the ETags.
    let changed = text.replace(
        "base_url = \"https://stad.example\"",
        "base_url = \"https://stad.example/cijfers\"",
    );
    assert_ne!(changed, text);
    std::fs::write(config(&b), &changed).unwrap();
    publish();
    assert_ne!(
        etag(&a),
        etag(&b),
        "different configurations, different ETags"
    );
    // A gets the same change: one ETag again.
    std::fs::write(config(&a), &changed).unwrap();
    publish();
    assert_eq!(etag(&a), etag(&b), "the same configuration again");
    let r = b.get_with(PATH, &[("if-none-match", &etag(&a))]);
    assert_eq!(r.status, 304, "A's copy is confirmed by B");
}

/// Issue 16 §5, request IDs across replicas: the access log line of an answer names the
/// publication the answer is of. A replica with its access log on, client threads sending
/// requests with IDs of their own while publications are made: for every ID, the generation
/// of the log line and of the answer's ETag (and values) agree.
#[test]
fn the_access_log_names_the_publication_each_answer_is_of() {
    use std::io::BufRead;
    use std::sync::atomic::{AtomicBool, Ordering};
    let pg = generation_site();
    let replica = Site::copy_of(&pg.site);
    let (mut child, base) = spawn_listening(
        std::process::Command::new(env!("CARGO_BIN_EXE_peil"))
            .arg("--site")
            .arg(replica.path())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env_remove("PEIL_QUIET")
            .env_remove("PEIL_SITE")
            .stderr(std::process::Stdio::piped()),
    );
    let stderr = child.stderr.take().unwrap();
    let server = Process(child);
    let logged = std::thread::spawn(move || {
        let mut by_id = std::collections::HashMap::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if let (Some(id), Some(g)) = (v["request_id"].as_str(), v["generation"].as_u64()) {
                by_id.insert(id.to_string(), g);
            }
        }
        by_id
    });
    let stop = AtomicBool::new(false);
    let last = 25;
    let answered: Vec<(String, u64)> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..2)
            .map(|t| {
                let (stop, base) = (&stop, &base);
                scope.spawn(move || {
                    let agent = crate::deploy::agent();
                    let mut out = Vec::new();
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let id = format!("t{t}-{n}");
                        let path = GEN_PATHS[n % GEN_PATHS.len()];
                        let r = crate::deploy::get_through(
                            &agent,
                            base,
                            path,
                            &[("x-request-id", &id)],
                        )
                        .unwrap();
                        let g = one_generation(path, &r).unwrap_or_else(|e| panic!("{e}"));
                        out.push((id, g));
                        n += 1;
                    }
                    out
                })
            })
            .collect();
        for n in 2..=last {
            publish_generation(&pg.site, n);
            let t = std::time::Instant::now();
            while !answered_by(base.as_str(), n) {
                assert!(t.elapsed().as_secs() < 10, "generation {n} never served");
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        stop.store(true, Ordering::Relaxed);
        clients
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect()
    });
    // SIGTERM: the server ends, its standard error closes, the log is read to the end.
    std::process::Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    let logged = logged.join().unwrap();
    drop(server);
    let wrong: Vec<String> = answered
        .iter()
        .filter_map(|(id, g)| match logged.get(id) {
            Some(l) if l == g => None,
            l => Some(format!(
                "{id}: the answer is of generation {g}, its log line says {l:?}"
            )),
        })
        .collect();
    eprintln!("{} answers compared with their log lines", answered.len());
    assert!(answered.len() > 100, "{}", answered.len());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Whether the server at `base` answers from generation `n` (its liveness probe).
fn answered_by(base: &str, n: u64) -> bool {
    let r = crate::deploy::get_through(&crate::deploy::agent(), base, "/health", &[]).unwrap();
    r.json()["generation"].as_u64() == Some(n)
}

/// The demo on PostgreSQL served by two replicas, each with a site directory of its own (as
/// on two machines: the same files) and these environment variables; a key of group
/// `reports` both know. The test server comes first, so that bound in order it is let go
/// after the replicas stop.
fn demo_replicas(env: &[(&str, &str)]) -> (Arc<TempPostgres>, Server, Server, String) {
    let pg = TempPostgres::shared().unwrap_or_else(|e| panic!("{e}"));
    let on_pg = demo_on_postgres(&pg, &Site::demo());
    let other = Site {
        dir: tempfile::tempdir().unwrap(),
    };
    copy_site_files(on_pg.path(), other.path());
    let a = Server::start_with_env(on_pg, env);
    let b = Server::start_with_env(other, env);
    let key = a.key("reports", &["reports"]);
    let t = std::time::Instant::now();
    while b
        .get_with("/api/v1/indicators?per_page=1", &[("apikey", &key)])
        .status
        == 401
    {
        assert!(t.elapsed().as_secs() < 60, "B never took the key");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    (pg, a, b, key)
}

/// Starts a bulk job of the built-in story on `s`: the job's path (`/jobs/ID`).
fn start_job(s: &Server, key: &str, level: &str) -> String {
    let (status, job) = s.post_form(
        key,
        "/stories/omgevingsanalyse/bulk",
        &format!("level={level}"),
    );
    assert_eq!(status, 303, "the job is started");
    assert!(job.starts_with("/jobs/"), "{job}");
    job
}

/// Polls a job's `.json` on `s` until `done` holds for it (at most `within`): the last answer.
fn until_job(
    s: &Server,
    key: &str,
    job: &str,
    within: std::time::Duration,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let t = std::time::Instant::now();
    loop {
        let r = s.get_with(&format!("{job}.json"), &[("apikey", key)]);
        assert_eq!(r.status, 200, "{job}: {}", r.body);
        let j = r.json();
        if done(&j) {
            return j;
        }
        assert!(t.elapsed() < within, "{job} after {within:?}: {j}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The threads of a server that run report jobs (`peil-job`).
fn job_threads(s: &Server) -> usize {
    std::fs::read_dir(format!("/proc/{}/task", s.pid()))
        .map(|tasks| {
            tasks
                .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                .filter(|name| name.trim() == "peil-job")
                .count()
        })
        .unwrap_or(0)
}

/// A job's ZIP from `s`, checked to be whole (its `Content-Length`).
fn job_zip(s: &Server, key: &str, job: &str) -> Vec<u8> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .get(&format!("{}{job}.zip", s.base))
        .header("apikey", key)
        // Not compressed on the way, so that its length is said.
        .header("accept-encoding", "identity")
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let length: usize = r.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let zip = r
        .body_mut()
        .with_config()
        .limit(512 << 20)
        .read_to_vec()
        .unwrap();
    assert_eq!(zip.len(), length);
    zip
}

/// Issue 16 §2: a bulk report job lives in the store, not in the replica that runs it. A job
/// started on A is seen running on B with its progress, and stopped from B (A's job thread
/// ends); a finished job's ZIP downloads from B byte for byte as from A, one PDF per area.
/// Before, B answered 404 for every job of A.
#[test]
fn a_report_job_is_followed_stopped_and_downloaded_on_either_replica() {
    use std::time::Duration;
    let (_pg, a, b, key) = demo_replicas(&[]);
    let long = start_job(&a, &key, "wijk");
    let j = until_job(&b, &key, &long, Duration::from_secs(180), |j| {
        j["done"].as_u64().unwrap() >= 1
    });
    assert_eq!(
        (j["finished"].as_bool(), j["cancelled"].as_bool()),
        (Some(false), Some(false)),
        "{j}"
    );
    assert!(j["done"].as_u64() < j["total"].as_u64(), "{j}");
    let page = b.get_with(&long, &[("apikey", &key)]);
    assert!(page.body.contains("<progress"), "{}", page.body);
    // Stopped from B: A's job ends, cancelled, and its thread goes.
    let (status, back) = b.post_form(&key, &format!("{long}/cancel"), "");
    assert_eq!((status, back.as_str()), (303, long.as_str()));
    until_job(&a, &key, &long, Duration::from_secs(60), |j| {
        j["cancelled"] == true
    });
    let t = std::time::Instant::now();
    while job_threads(&a) > 0 {
        assert!(t.elapsed() < Duration::from_secs(60), "A's job runs on");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A job of the districts, run on A, followed on B to its end.
    let districts: Vec<String> = a.get("/api/v1/geolevels/district/items").json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_string())
        .collect();
    let short = start_job(&a, &key, "district");
    let j = until_job(&b, &key, &short, Duration::from_secs(240), |j| {
        assert!(j["error"].is_null(), "{j}");
        j["finished"] == true
    });
    let n = j["total"].as_u64().unwrap() as usize;
    assert!(n >= 2 && n <= districts.len(), "{j}");
    assert_eq!(j["done"], j["total"]);
    let (from_a, from_b) = (job_zip(&a, &key, &short), job_zip(&b, &key, &short));
    assert!(from_a == from_b, "the same ZIP from both replicas");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(from_b)).unwrap();
    let mut named = Vec::new();
    for i in 0..zip.len() {
        use std::io::Read;
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        assert!(name.ends_with(".pdf"), "{name}");
        // `omgevingsanalyse_CODE_NAME.pdf`
        named.push(name.split('_').nth(1).unwrap().to_string());
        let mut pdf = Vec::new();
        f.read_to_end(&mut pdf).unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "{name}");
    }
    // One PDF per area of the job, each a district.
    named.sort();
    named.dedup();
    assert_eq!(named.len(), n, "{named:?}");
    assert!(
        named.iter().all(|c| districts.contains(c)),
        "{named:?} {districts:?}"
    );
    // Still only for readers who may run jobs, and a guessed id is no job, on either.
    for s in [&a, &b] {
        assert_eq!(s.get(&short).status, 404);
        assert_eq!(s.get(&format!("{short}.zip")).status, 404);
        let id: u64 = short.trim_start_matches("/jobs/").parse().unwrap();
        let guessed = format!("/jobs/{}.json", id ^ 1);
        assert_eq!(s.get_with(&guessed, &[("apikey", &key)]).status, 404);
    }
}

/// Issue 16 §2: the site's bound on jobs running at once holds across replicas, and a job
/// whose replica is killed (`kill -9`, mid-job) shows as failed on the other once its
/// runner's lease has passed (3 s here), which frees its slot.
#[test]
fn a_report_job_whose_replica_is_killed_fails_on_the_other_after_its_lease() {
    use std::time::{Duration, Instant};
    let (_pg, mut a, b, key) = demo_replicas(&[("PEIL_JOB_LEASE_SECS", "3")]);
    let first = start_job(&a, &key, "wijk");
    let _second = start_job(&a, &key, "wijk");
    let (status, _) = b.post_form(&key, "/stories/omgevingsanalyse/bulk", "level=wijk");
    assert_eq!(
        status, 503,
        "two run on the site: a third is refused on B too"
    );
    until_job(&b, &key, &first, Duration::from_secs(60), |j| {
        j["done"].as_u64().unwrap() >= 1
    });
    a.kill_dash_nine();
    let killed = Instant::now();
    let j = until_job(&b, &key, &first, Duration::from_secs(30), |j| {
        !j["error"].is_null()
    });
    assert_eq!(j["error"], "the server running it stopped", "{j}");
    assert_eq!(j["finished"], false);
    assert!(
        killed.elapsed() >= Duration::from_secs(2),
        "failed only once the lease passed: {:?}",
        killed.elapsed()
    );
    // The dead replica's slots are free: B runs a job, and stops it.
    let third = start_job(&b, &key, "district");
    assert_eq!(b.post_form(&key, &format!("{third}/cancel"), "").0, 303);
    until_job(&b, &key, &third, Duration::from_secs(60), |j| {
        j["cancelled"] == true
    });
}
