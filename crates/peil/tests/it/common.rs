//! Helpers shared by the CLI integration tests: run the real `peil` binary on a real site.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The shared real-data folder, next to the checkout.
pub fn flanders() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = here.join("../../../shared/data/flanders");
    assert!(p.exists(), "real data not found at {}", p.display());
    p
}

pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    /// A new empty site: a SQLite file, or under [`on_postgres`] a new schema of the process's
    /// throwaway PostgreSQL server.
    pub fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let s = Site { dir };
        match on_postgres() {
            None => s.ok(&["init", "--name", "Test"]),
            Some((url, schema)) => s.ok(&[
                "init",
                "--name",
                "Test",
                "--store",
                &url,
                "--store-schema",
                &schema,
            ]),
        };
        s
    }

    /// A new site holding a copy of this one's files (no process may be writing to it); under
    /// [`on_postgres`] its store copied into a new schema by `peil migrate-store`.
    pub fn copy_of(other: &Site) -> Site {
        if on_postgres().is_some() {
            return moved_to_postgres(other.path());
        }
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "peil.toml",
            "peil.sqlite",
            "peil.sqlite-wal",
            "peil.sqlite-shm",
        ] {
            let p = other.path().join(f);
            if p.exists() {
                std::fs::copy(&p, dir.path().join(f)).unwrap();
            }
        }
        Site { dir }
    }

    /// The demo city, built and published (not served); under [`on_postgres`] built so (once
    /// per process: the build is deterministic), then moved into a new schema by
    /// `peil migrate-store`.
    pub fn demo() -> Site {
        if on_postgres().is_some() {
            return moved_to_postgres(demo_built_once());
        }
        let dir = tempfile::tempdir().unwrap();
        build_demo(dir.path());
        Site { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The SQLite file of a SQLite site (a test that reads it is [`sqlite_only!`]; one that
    /// opens the store through Peil uses [`Site::open_store`]).
    pub fn store(&self) -> PathBuf {
        self.path().join("peil.sqlite")
    }

    /// Where the site's store is, as its peil.toml says: its SQLite file, or its schema of a
    /// PostgreSQL server (`store`, `store_schema`; the test server needs no password).
    pub fn location(&self) -> peil_store::Location {
        let cfg = std::fs::read_to_string(self.path().join("peil.toml")).unwrap();
        let cfg: toml::Table = cfg.parse().unwrap();
        match cfg.get("store").and_then(|v| v.as_str()) {
            None => peil_store::Location::Sqlite(self.store()),
            Some(url) => {
                let schema = cfg["store_schema"].as_str().unwrap();
                let pg = peil_store::PgLocation::new(url, schema, None).unwrap();
                peil_store::Location::Postgres(Box::new(pg))
            }
        }
    }

    /// The site's store, opened where it is (SQLite or PostgreSQL).
    pub fn open_store(&self) -> peil_store::Store {
        peil_store::Store::open_at(&self.location()).unwrap()
    }

    /// Runs one SQL statement on the site's store itself, past Peil (as an operator with a
    /// database client would), SQLite or PostgreSQL (in the site's schema): the rows' columns
    /// as text (a number written out, `NULL` as ""), or the database's error.
    pub fn sql(&self, statement: &str) -> Result<Vec<Vec<String>>, String> {
        match self.location() {
            peil_store::Location::Sqlite(path) => {
                let db = rusqlite::Connection::open(path).unwrap();
                let mut st = db.prepare(statement).map_err(|e| e.to_string())?;
                let n = st.column_count();
                let rows = st
                    .query_map([], |r| {
                        (0..n)
                            .map(|i| {
                                Ok(match r.get_ref(i)? {
                                    rusqlite::types::ValueRef::Null => String::new(),
                                    rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                                    rusqlite::types::ValueRef::Real(v) => v.to_string(),
                                    rusqlite::types::ValueRef::Text(t) => {
                                        String::from_utf8_lossy(t).into_owned()
                                    }
                                    rusqlite::types::ValueRef::Blob(_) => "<blob>".into(),
                                })
                            })
                            .collect()
                    })
                    .map_err(|e| e.to_string())?;
                rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
            }
            peil_store::Location::Postgres(_) => {
                let pg = peil_pgtest::TempPostgres::for_process().unwrap();
                let cfg: toml::Table = std::fs::read_to_string(self.path().join("peil.toml"))
                    .unwrap()
                    .parse()
                    .unwrap();
                let schema = cfg["store_schema"].as_str().unwrap();
                let mut c = postgres::Client::connect(&pg.conninfo(), postgres::NoTls).unwrap();
                c.batch_execute(&format!("SET search_path TO \"{schema}\""))
                    .unwrap();
                // The simple query protocol answers every column as text.
                let mut out = Vec::new();
                for m in c.simple_query(statement).map_err(|e| {
                    e.as_db_error()
                        .map(|d| d.message().to_string())
                        .unwrap_or_else(|| e.to_string())
                })? {
                    if let postgres::SimpleQueryMessage::Row(r) = m {
                        out.push(
                            (0..r.len())
                                .map(|i| r.get(i).unwrap_or("").to_string())
                                .collect(),
                        );
                    }
                }
                Ok(out)
            }
        }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        run_in(self.path(), args)
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        ok_in(self.path(), args)
    }

    pub fn import(&self, file: &Path, extra: &[&str]) -> String {
        let mut args = vec!["import", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    pub fn status(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["status", "--json"])).unwrap()
    }

    /// Everything observable about the stored data: the full export and the status.
    pub fn state(&self) -> String {
        state_in(self.path())
    }
}

/// The integration suite's store matrix (issue 16): with `PEIL_TEST_STORE=postgres` every site
/// the helpers make ([`Site::new`], [`Site::demo`], [`Site::copy_of`], and through them
/// [`Server::demo`], `admin::serve`, [`permit_site`], …) lives in a schema of its own on one
/// throwaway PostgreSQL server per test process (`peil_pgtest`, stopped when the process
/// ends), and the tests run unchanged; `test.sh` runs the modules of the matrix so a second
/// time. Returns the server's URL and a new schema name then, `None` on SQLite (the default,
/// `PEIL_TEST_STORE` unset or `sqlite`).
pub fn on_postgres() -> Option<(String, String)> {
    match std::env::var("PEIL_TEST_STORE").as_deref() {
        Err(_) | Ok("") | Ok("sqlite") => None,
        Ok("postgres") => {
            let pg = peil_pgtest::TempPostgres::for_process().unwrap_or_else(|e| panic!("{e}"));
            let schema = peil_pgtest::TempPostgres::unique_name(MATRIX_SCHEMA);
            Some((crate::postgres::url(&pg), schema))
        }
        Ok(other) => panic!("PEIL_TEST_STORE={other}: say sqlite or postgres"),
    }
}

/// The prefix of the schemas [`on_postgres`] names; [`Site`]'s drop removes them.
const MATRIX_SCHEMA: &str = "matrix";

/// A site of the matrix's PostgreSQL pass takes its schema with it when the test is done, so
/// the throwaway server holds only the sites of tests under way (and is quick to stop and
/// remove at the end). A schema a test named itself (`postgres.rs`) is left alone.
impl Drop for Site {
    fn drop(&mut self) {
        if !testing_postgres() {
            return;
        }
        let Ok(cfg) = std::fs::read_to_string(self.path().join("peil.toml")) else {
            return;
        };
        let Some(schema) = cfg.parse::<toml::Table>().ok().and_then(|t| {
            t.get("store_schema")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        }) else {
            return;
        };
        if !schema.starts_with(&format!("{MATRIX_SCHEMA}_")) {
            return;
        }
        let Ok(pg) = peil_pgtest::TempPostgres::for_process() else {
            return;
        };
        if let Ok(mut c) = postgres::Client::connect(&pg.conninfo(), postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
        }
    }
}

/// Whether the matrix's PostgreSQL pass is on (see [`on_postgres`]).
pub fn testing_postgres() -> bool {
    std::env::var("PEIL_TEST_STORE").is_ok_and(|v| v == "postgres")
}

/// Ends a test that only means something on a SQLite store (it reads `peil.sqlite` itself,
/// its WAL, a copy of the file, …) when the matrix runs it on PostgreSQL, saying why on
/// standard error. Every skip of the matrix is one of these, so `grep -rn sqlite_only!`
/// lists and counts them.
macro_rules! sqlite_only {
    ($why:expr) => {
        if crate::common::testing_postgres() {
            eprintln!("SQLite only, skipped on PostgreSQL: {}", $why);
            return;
        }
    };
}

/// A copy of a site in a new PostgreSQL schema: its files in a new directory (but its SQLite
/// store and its snapshot files, so a server there reads the publication from PostgreSQL),
/// its peil.toml pointed at the schema, and its store moved by `peil migrate-store`.
fn moved_to_postgres(from: &Path) -> Site {
    let (url, schema) = on_postgres().expect("the PostgreSQL pass");
    let site = Site {
        dir: tempfile::tempdir().unwrap(),
    };
    copy_site_files(from, site.path());
    let cfg = site.path().join("peil.toml");
    let text: String = std::fs::read_to_string(&cfg)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("store =") && !l.starts_with("store_schema ="))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(
        &cfg,
        format!("store = \"{url}\"\nstore_schema = \"{schema}\"\n{text}"),
    )
    .unwrap();
    ok_in(
        from,
        &[
            "migrate-store",
            from.to_str().unwrap(),
            site.path().to_str().unwrap(),
        ],
    );
    site
}

/// The demo city as `peil demo` builds it, once for the PostgreSQL pass, in a directory of
/// the process's test server (removed with it when the process exits); [`Site::demo`] moves
/// a copy of its store into a schema of its own for each test.
fn demo_built_once() -> &'static Path {
    static DEMO: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| {
        let pg = peil_pgtest::TempPostgres::for_process().unwrap_or_else(|e| panic!("{e}"));
        let dir = pg.socket_dir().join("demo");
        build_demo(&dir);
        dir
    })
}

/// `peil demo --no-serve DIR`: the demo city built and published in `dir`; what it printed.
pub fn build_demo(dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_peil"))
        .args(["demo", "--no-serve"])
        .arg(dir)
        .env_remove("PEIL_SITE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every file under `from` copied to `to`, but a SQLite store and the snapshot files.
pub fn copy_site_files(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("peil.sqlite") || name == ".snapshots" {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(to.join(&name)).unwrap();
            copy_site_files(&e.path(), &to.join(&name));
        } else {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

/// `peil --site DIR ARGS…` on any site directory (one a test did not make with [`Site`]).
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peil"))
        .arg("--site")
        .arg(dir)
        .args(args)
        .env_remove("PEIL_SITE")
        .output()
        .expect("peil runs")
}

/// [`run_in`], asserting success; returns stdout.
pub fn ok_in(dir: &Path, args: &[&str]) -> String {
    let o = run_in(dir, args);
    assert!(
        o.status.success(),
        "peil {args:?} failed ({:?}):\n{}\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// [`Site::state`] of any site directory.
pub fn state_in(dir: &Path) -> String {
    let mut status: serde_json::Value =
        serde_json::from_str(&ok_in(dir, &["status", "--json"])).unwrap();
    status.as_object_mut().unwrap().remove("imports");
    format!("{}\n{}", ok_in(dir, &["export"]), status)
}

/// Items per level from a status document.
pub fn items(status: &serde_json::Value, level: &str) -> u64 {
    status["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == level)
        .map(|l| l["items"].as_u64().unwrap())
        .unwrap_or(0)
}

/// Starts a process that says where it listens in its first line of standard output
/// (`listening on http://127.0.0.1:…`, as `peil serve` and the test programs do): standard
/// output piped and that line read. Returns the process and what follows `listening on `.
pub fn spawn_listening(cmd: &mut Command) -> (Child, String) {
    use std::io::BufRead;
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let at = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    (child, at)
}

/// A child process, killed when dropped.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `peil serve --sites DIR` on a free loopback port, quiet: the process (killed when dropped)
/// and its `host:port`.
pub fn serve_sites(root: &Path) -> (Process, String) {
    let (child, base) = spawn_listening(
        Command::new(env!("CARGO_BIN_EXE_peil"))
            .args(["serve", "--bind", "127.0.0.1:0", "--sites"])
            .arg(root)
            .env("PEIL_QUIET", "1")
            .env_remove("PEIL_SITE")
            .stderr(Stdio::null()),
    );
    (
        Process(child),
        base.trim_start_matches("http://").to_string(),
    )
}

/// A `peil serve` process on a free loopback port, stopped when dropped.
pub struct Server {
    pub site: Site,
    pub base: String,
    child: std::process::Child,
    agent: ureq::Agent,
}

/// An HTTP answer: status, headers (lower-case names) and body.
pub struct Reply {
    pub status: u16,
    pub headers: std::collections::HashMap<String, String>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {}", &self.body[..self.body.len().min(500)])
        })
    }
}

impl Server {
    /// The demo city, built and published, then served.
    pub fn demo() -> Server {
        Server::start(Site::demo())
    }

    /// Serves a site that has been published.
    pub fn start(site: Site) -> Server {
        Server::start_with_env(site, &[])
    }

    /// [`Server::start`] with these environment variables set for the server.
    pub fn start_with_env(site: Site, env: &[(&str, &str)]) -> Server {
        let (child, base) = spawn_listening(
            Command::new(env!("CARGO_BIN_EXE_peil"))
                .arg("--site")
                .arg(site.path())
                .args(["serve", "--bind", "127.0.0.1:0"])
                .env("PEIL_QUIET", "1")
                .envs(env.iter().copied())
                .stderr(Stdio::inherit()),
        );
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Server {
            site,
            base,
            child,
            agent,
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.get_with(path, &[])
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = self.agent.get(&format!("{}{}", self.base, path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut resp = req.call().unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp
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
            .read_to_string()
            .unwrap_or_default();
        Reply {
            status,
            headers,
            body,
        }
    }
}

impl Server {
    /// POSTs a body (as `text/csv`) and returns the status and body text.
    pub fn post(&self, path: &str, body: &str) -> (u16, String) {
        let mut resp = self
            .agent
            .post(&format!("{}{}", self.base, path))
            .header("Content-Type", "text/csv")
            .send(body)
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_string().unwrap_or_default())
    }

    /// POSTs a form with an API key, as a browser's form without JavaScript, redirects not
    /// followed: the status and the `Location` (empty without one).
    pub fn post_form(&self, key: &str, path: &str, form: &str) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let r = agent
            .post(&format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("apikey", key)
            .send(form)
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (r.status().as_u16(), location)
    }
}

impl Server {
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory now, in MB (Linux).
    pub fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap();
        kb / 1024.0
    }

    /// `host:port` of the server.
    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    /// Sends raw bytes as a request and returns the answer's status and whole text (the
    /// request should say `Connection: close`). For requests no client library would send.
    pub fn raw(&self, request: &[u8]) -> (u16, String) {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(self.addr()).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        c.write_all(request).unwrap();
        let mut out = Vec::new();
        let _ = c.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out).to_string();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, text)
    }

    /// Creates an API key with these access groups (the server sees it within its poll).
    pub fn key(&self, name: &str, groups: &[&str]) -> String {
        let mut args = vec!["keys", "create", "--name", name];
        for g in groups {
            args.extend(["--group", g]);
        }
        let out = self.site.ok(&args);
        let key = out
            .lines()
            .find(|l| l.trim().starts_with("peil_"))
            .unwrap_or_else(|| panic!("no key in: {out}"))
            .trim()
            .to_string();
        // The server reads keys with every poll of the store: wait until it knows this one
        // (a busy machine may take longer than one poll).
        let t = std::time::Instant::now();
        while self
            .get_with("/api/v1/indicators?per_page=1", &[("apikey", &key)])
            .status
            == 401
        {
            assert!(
                t.elapsed().as_secs() < 60,
                "the server never took key {name}"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        key
    }
}

impl Server {
    /// Kills the server at once (`kill -9`: no chance to tidy up) and waits for it to end.
    pub fn kill_dash_nine(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            // Ended already (killed by the test): its pid may be another process's by now.
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// The standards' own validation artefacts (DCAT-AP shapes, OData CSDL schemas), next to the
/// checkout like the real data.
pub fn standards() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = here.join("../../../shared/data/standards");
    assert!(
        p.exists(),
        "standards' artefacts not found at {}",
        p.display()
    );
    p
}

/// Whether an outside tool a test needs answers `probe`. Locally a missing tool skips the check
/// with a note; under CI (`CI` set, as every CI service does) it fails, so a broken CI image
/// cannot pass by skipping.
pub fn have_tool(what: &str, install: &str, probe: &mut Command) -> bool {
    let ok = probe.output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        assert!(!ci, "{what} is missing under CI: {install}");
        eprintln!("skipped: {what} is not installed ({install})");
    }
    ok
}

fn have_pyshacl() -> bool {
    have_tool(
        "pyshacl",
        "python3 -m pip install pyshacl",
        Command::new("python3").args(["-c", "import pyshacl, rdflib"]),
    )
}

/// Validates an RDF document against the official DCAT-AP 3.0.0 shapes (`dcat-ap-SHACL.ttl`
/// and `range.ttl` together) with pyshacl and RDFS inference, as a harvester that validates
/// does. Panics with pyshacl's report (the first violations) when it does not conform.
pub fn assert_dcat_ap(what: &str, body: &str, format: &str) {
    if !have_pyshacl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("catalog");
    std::fs::write(&data, body).unwrap();
    let shapes = standards().join("dcat-ap-3.0.0");
    let script = r#"
import sys, rdflib, pyshacl
data, fmt, shapes = sys.argv[1], sys.argv[2], sys.argv[3:]
g = rdflib.Graph()
g.parse(data, format=fmt)
sh = rdflib.Graph()
for s in shapes:
    sh.parse(s, format="turtle")
conforms, _, text = pyshacl.validate(g, shacl_graph=sh, inference="rdfs", abort_on_first=False)
print("CONFORMS" if conforms else "VIOLATES")
print(text[:6000])
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&data)
        .arg(format)
        .arg(shapes.join("dcat-ap-SHACL.ttl"))
        .arg(shapes.join("range.ttl"))
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pyshacl failed on {what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with("CONFORMS"),
        "{what} ({format}) does not conform to DCAT-AP 3.0.0:\n{text}"
    );
}

/// The catalogue of a running site, in Turtle and JSON-LD, each validated against DCAT-AP.
/// Returns both bodies.
pub fn assert_catalogue_conforms(s: &Server, site: &str) -> (String, String) {
    let ttl = s.get("/api/v1/catalog.ttl");
    assert_eq!(ttl.status, 200);
    assert!(ttl.headers["content-type"].starts_with("text/turtle"));
    let ld = s.get("/api/v1/catalog.jsonld");
    assert_eq!(ld.status, 200);
    assert!(ld.headers["content-type"].starts_with("application/ld+json"));
    // An empty catalogue would conform trivially.
    assert!(
        ttl.body.contains("a dcat:Dataset"),
        "the catalogue of {site} lists no dataset"
    );
    assert_dcat_ap(&format!("the catalogue of {site}"), &ttl.body, "turtle");
    assert_dcat_ap(&format!("the catalogue of {site}"), &ld.body, "json-ld");
    (ttl.body, ld.body)
}

/// `$metadata` of both OData service roots against the OASIS CSDL XML schema (`edmx.xsd`, which
/// imports `edm.xsd` from the same folder), with xmllint and no network.
pub fn assert_metadata_valid(s: &Server) {
    if !have_tool(
        "xmllint",
        "apt-get install libxml2-utils",
        Command::new("xmllint").arg("--version"),
    ) {
        return;
    }
    // A copy of edmx.xsd whose import of edm.xsd names the local file, whatever address the
    // published schema gives it (a web address would need the network, which tests do not have).
    let csdl = standards().join("odata-csdl");
    let dir = tempfile::tempdir().unwrap();
    let mut edmx = std::fs::read_to_string(csdl.join("edmx.xsd")).unwrap();
    let local = format!("schemaLocation=\"{}\"", csdl.join("edm.xsd").display());
    let mut from = 0;
    while let Some(a) = edmx[from..].find("schemaLocation=\"").map(|a| a + from) {
        let b = a + 16 + edmx[a + 16..].find('"').unwrap() + 1;
        if edmx[a..b].ends_with("edm.xsd\"") {
            edmx.replace_range(a..b, &local);
        }
        from = a + 16;
    }
    assert!(edmx.contains(&local), "edmx.xsd no longer imports edm.xsd");
    let xsd = dir.path().join("edmx.xsd");
    std::fs::write(&xsd, edmx).unwrap();
    for root in ["/jiveservices/odata/", "/viewerservices/odata/"] {
        let r = s.get(&format!("{root}$metadata"));
        assert_eq!(r.status, 200, "{root}$metadata");
        let file = dir.path().join("metadata.xml");
        std::fs::write(&file, &r.body).unwrap();
        let out = Command::new("xmllint")
            .args(["--noout", "--nonet", "--schema"])
            .arg(&xsd)
            .arg(&file)
            .output()
            .expect("xmllint runs");
        assert!(
            out.status.success(),
            "{root}$metadata does not validate against edmx.xsd:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// How the tests read the Zennevallei income file (`stats/zennevallei_income_sector_2019_2023.csv`
/// in the Flanders data): sectors of statsec2024 in `CD_SECTOR`, years in `CD_YEAR`, the
/// municipality column left out, Statbel's status per cell in `sourceStatus`; `extra` adds a
/// test's own options (`--status-map`, `--empty-as`, …).
pub fn zennevallei_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--geoitem-column",
        "CD_SECTOR",
        "--period-column",
        "CD_YEAR",
        "--geolevel",
        "statsec2024",
        "--ignore-column",
        "CD_MUNTY_REFNIS",
        "--status-column",
        "sourceStatus",
    ];
    args.extend_from_slice(extra);
    args
}

/// The demo city served with a back office, the group `stadsdiensten` (the permits
/// department), and the generated permit register of `rows` dossiers imported as the record
/// set `vergunningen` (`records::DEFINITION`) with an operational dashboard for that group:
/// what the plan, dashboard and browser tests start from. `dir` holds the register's CSV and
/// definition.
pub struct PermitSite {
    pub s: Server,
    pub dir: tempfile::TempDir,
    pub csv: PathBuf,
}

pub fn permit_site(rows: usize) -> PermitSite {
    permit_site_with(rows, "")
}

/// [`permit_site`] with more measures (`[[measure]]` tables) in the set's definition.
pub fn permit_site_with(rows: usize, measures: &str) -> PermitSite {
    let def = format!("{}\n{measures}\n", crate::records::DEFINITION);
    permit_site_from(rows, |csv| csv.to_path_buf(), &def, "type")
}

/// [`permit_site`] from the generated register as `csv` makes it (a file it writes, from the
/// generated one), the set's definition `def` (without its dashboard) and the dashboard's
/// category column.
pub fn permit_site_from(
    rows: usize,
    csv: impl FnOnce(&Path) -> PathBuf,
    def: &str,
    category: &str,
) -> PermitSite {
    let s = crate::admin::serve("");
    let dir = tempfile::tempdir().unwrap();
    s.site.ok(&[
        "groups",
        "add",
        "stadsdiensten",
        "--description",
        "Omgeving",
    ]);
    let csv = csv(&crate::records::register(&s.site, dir.path(), rows));
    let def_path = dir.path().join("vergunningen.toml");
    std::fs::write(
        &def_path,
        format!(
            "{def}\n[dashboard]\ngroup = \"stadsdiensten\"\nopened = \"ingediend\"\nclosed = \"beslist\"\ncategory = \"{category}\"\n"
        ),
    )
    .unwrap();
    s.site.ok(&[
        "records",
        "import",
        def_path.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]);
    PermitSite { s, dir, csv }
}

impl PermitSite {
    /// Publishes, and waits until the server serves the publication holding `indicator`.
    pub fn publish(&self, indicator: &str) -> &Server {
        self.s.site.ok(&["publish"]);
        served(&self.s, indicator);
        &self.s
    }

    /// A viewer of the group `stadsdiensten` (the department the dashboard is for), logged in.
    pub fn department_member(&self) -> crate::admin::Browser<'_> {
        let sam = crate::admin::add_user(&self.s, "sam", "viewer", "stadsdiensten");
        let mut m = crate::admin::Browser::new(&self.s);
        assert_eq!(m.login("sam", &sam).status, 303);
        m
    }
}

/// Waits until the server serves the publication holding `indicator`.
pub fn served(s: &Server, indicator: &str) {
    let t0 = std::time::Instant::now();
    while s
        .get(&format!(
            "/api/v1/data?indicator={indicator}&level=wijk&format=csv"
        ))
        .status
        != 200
    {
        assert!(t0.elapsed().as_secs() < 30, "{indicator} is not served");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Imports the plan `name` from its two template files, written into `dir` from the given
/// CSV texts (`goals.csv`, `kpis.csv`), with further arguments (`--public`, `--title`, …).
pub fn import_plan(s: &Server, dir: &Path, name: &str, goals: &str, kpis: &str, extra: &[&str]) {
    let g = dir.join("goals.csv");
    std::fs::write(&g, goals).unwrap();
    let k = dir.join("kpis.csv");
    std::fs::write(&k, kpis).unwrap();
    let mut args = vec![
        "plans",
        "import",
        name,
        g.to_str().unwrap(),
        k.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    s.site.ok(&args);
}

/// The crash tests' files (`crash.rs`, `postgres.rs`): `items` sectors, a small base import of
/// `v_base`, and a long-layout file of `items × indicators × years` values that overlaps it.
pub struct CrashFixture {
    pub areas: PathBuf,
    pub base: PathBuf,
    pub big: PathBuf,
    /// The rows of `big`.
    pub rows: usize,
}

pub fn crash_fixture(dir: &Path, items: usize, indicators: usize, years: usize) -> CrashFixture {
    use std::io::Write;
    let areas = dir.join("sector.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&areas).unwrap());
    writeln!(f, "sequence nr;geoitem code;short name;name").unwrap();
    for i in 0..items {
        writeln!(f, "{};S{i:05};Sector {i};Sector {i} (Teststad)", i + 1).unwrap();
    }
    drop(f);
    let base = dir.join("base.csv");
    std::fs::write(
        &base,
        "period;geolevel;geoitem;v_base\n2020;sector;S00001;1\n2020;sector;S00002;2,5\n",
    )
    .unwrap();
    // Long layout: items × indicators × years records; it overlaps the base value of S00001.
    let big = dir.join("big.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    writeln!(f, "period,geolevel,geoitem,indicator,value").unwrap();
    for y in 0..years {
        for k in 0..indicators {
            let code = if k == 0 {
                "v_base".to_string()
            } else {
                format!("v_{k:03}")
            };
            for i in 0..items {
                writeln!(
                    f,
                    "{},sector,S{i:05},{code},{}.{}",
                    2011 + y,
                    (i * 7 + k * 13 + y) % 1000,
                    i % 10
                )
                .unwrap();
            }
        }
    }
    drop(f);
    CrashFixture {
        areas,
        base,
        big,
        rows: items * indicators * years,
    }
}

/// `peil --site DIR ARGS…` started, its output dropped.
pub fn start_peil(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_peil"))
        .arg("--site")
        .arg(dir)
        .args(args)
        .env_remove("PEIL_SITE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Kills (SIGKILL: no destructor and no rollback code of ours runs) a command at `rounds`
/// moments spread over its whole run, `full` long when left alone. `start(round)` starts the
/// command (and returns what `check` needs of the round); `check(round, killed, it)` runs
/// once the process is gone, `killed` false when it ended before its moment. Other tests run
/// beside these, so a run's length varies: a run that ends before its kill moment gives a
/// new estimate of the run and its round is tried again (at most `rounds` times). Returns how
/// many rounds were killed mid-run.
pub fn kill_at_moments<T>(
    rounds: usize,
    mut full: std::time::Duration,
    mut start: impl FnMut(usize) -> (Child, T),
    mut check: impl FnMut(usize, bool, T),
) -> usize {
    use std::time::{Duration, Instant};
    let mut killed = 0;
    let (mut i, mut retries) = (0, 0);
    while i < rounds {
        let at = full.mul_f64((i as f64 + 0.5) / rounds as f64);
        let t = Instant::now();
        let (mut child, it) = start(i);
        let mut ended = None;
        while ended.is_none() && t.elapsed() < at {
            std::thread::sleep(at.saturating_sub(t.elapsed()).min(Duration::from_millis(2)));
            ended = child.try_wait().unwrap().map(|_| t.elapsed());
        }
        if ended.is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        let status = child.wait().unwrap();
        check(i, !status.success(), it);
        match ended {
            Some(took) if retries < rounds => {
                full = full.min(took);
                retries += 1;
            }
            _ => i += 1,
        }
    }
    killed
}

/// The switch itself: every kind of site the helpers make is where `PEIL_TEST_STORE` says, so
/// a pass of the matrix cannot run on SQLite by mistake.
#[test]
fn the_helpers_make_every_site_in_the_store_the_matrix_names() {
    let new = Site::new();
    let demo = Site::demo();
    let copy = Site::copy_of(&demo);
    for (what, site) in [("new", &new), ("demo", &demo), ("copy", &copy)] {
        let status = site.ok(&["status"]);
        let sqlite = site.path().join("peil.sqlite").exists();
        match site.location() {
            peil_store::Location::Sqlite(_) => {
                assert!(
                    !testing_postgres(),
                    "{what}: a SQLite site in the PostgreSQL pass"
                );
                assert!(sqlite, "{what}");
            }
            peil_store::Location::Postgres(pg) => {
                assert!(
                    testing_postgres(),
                    "{what}: a PostgreSQL site in the SQLite pass"
                );
                assert!(!sqlite, "{what} has a SQLite file beside its schema");
                assert!(
                    status.contains(&format!("schema {}", pg.schema())),
                    "{what}: {status}"
                );
            }
        }
    }
    // A copy is a store of its own, with the same contents.
    assert_eq!(copy.state(), demo.state());
    assert_ne!(
        format!("{}", copy.location()),
        format!("{}", demo.location())
    );
    assert!(demo.open_store().live().unwrap().is_some());
}
