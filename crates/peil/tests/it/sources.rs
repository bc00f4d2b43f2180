//! Scheduled sources and the scheduled publish (issue 15 part 3, issue 14 §3): a file served
//! over HTTP by the test, pulled on its schedule by the scheduler `peil serve` runs — driven
//! here with an injected clock — skipped when unchanged, imported when changed, a failure
//! recorded (and the store untouched) when broken; the scheduled publish publishes at its
//! time and not before; `peil sources` shows it all.

use crate::common::*;
use jiff::Timestamp;
use peil_connect::scheduler::{Context, Plan, ScheduleToml, Scheduler};
use peil_connect::{Limits, Source, SourceKind};
use peil_store::{RunTask, Store};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A file server: every request gets the current body; counts requests.
struct FileServer {
    url: String,
    body: Arc<Mutex<Vec<u8>>>,
    requests: Arc<AtomicU64>,
}

fn file_server(name: &str, body: &str) -> FileServer {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/open-data/{name}", listener.local_addr().unwrap());
    let shared = Arc::new(Mutex::new(body.as_bytes().to_vec()));
    let requests = Arc::new(AtomicU64::new(0));
    let (b, r) = (shared.clone(), requests.clone());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0u8; 8192];
            let _ = conn.read(&mut buf);
            r.fetch_add(1, Ordering::SeqCst);
            let body = b.lock().unwrap().clone();
            let _ = conn.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            );
            let _ = conn.write_all(&body);
        }
    });
    FileServer {
        url,
        body: shared,
        requests,
    }
}

/// A site with Flanders' municipalities (gemeente2024).
fn site() -> Site {
    let site = Site::new();
    site.import(
        &flanders().join("swing/gebiedsdefinities/gemeente2024.xlsx"),
        &[],
    );
    site
}

const FILE: &str =
    "jaar;gemeente;inwoners_test\n2024;11002;530000\n2024;44021;265000\n2024;24062;103000\n";

fn source(url: &str, publish: bool) -> Source {
    let mut import = peil_import::options::ImportOptions {
        geolevel: "gemeente2024".into(),
        period_column: "jaar".into(),
        geoitem_column: "gemeente".into(),
        ..Default::default()
    };
    import.clear = "indicators".into();
    Source {
        name: "bevolking".into(),
        kind: SourceKind::File,
        url: url.into(),
        schedule: Some("0 5 * * *".into()),
        publish,
        import: Some(import),
        ..Source::default()
    }
}

/// peil.toml with this source and schedule, as a city writes it.
fn declare(site: &Site, url: &str, publish_schedule: Option<&str>) {
    let toml = site.path().join("peil.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    if let Some(p) = publish_schedule {
        text.push_str(&format!(
            "\n[schedule]\ntime_zone = \"Europe/Brussels\"\npublish = \"{p}\"\n"
        ));
    }
    text.push_str(&format!(
        "\n[[sources]]\nname = \"bevolking\"\nkind = \"file\"\nurl = \"{url}\"\nschedule = \"0 5 * * *\"\npublish = true\n\
         [sources.import]\ngeolevel = \"gemeente2024\"\nperiod_column = \"jaar\"\ngeoitem_column = \"gemeente\"\nclear = \"indicators\"\n"
    ));
    std::fs::write(&toml, text).unwrap();
}

fn context(site: &Site) -> Context {
    Context {
        site_dir: site.path().to_path_buf(),
        limits: Limits {
            retries: 1,
            backoff: Duration::from_millis(10),
            timeout: Duration::from_secs(20),
            ..Limits::default()
        },
        plausibility: Default::default(),
        allow: Default::default(),
        keep: 5,
    }
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn values(site: &Site) -> String {
    site.ok(&["export", "--indicator", "inwoners_test"])
}

fn imports(site: &Site) -> usize {
    site.status()["imports"].as_u64().unwrap() as usize
}

#[test]
fn a_scheduled_file_source_runs_on_time_skips_unchanged_imports_changed_and_survives_broken() {
    let site = site();
    let files = file_server("bevolking.csv", FILE);
    declare(&site, &files.url, None);
    let plan = Plan::new(&ScheduleToml::default(), &[source(&files.url, true)]).unwrap();
    let ctx = context(&site);
    let mut store = site.open_store();
    // The server started Monday 7 December 2026 at 04:00 in Brussels (03:00 UTC); the source
    // runs daily at 05:00 Brussels time (04:00 UTC in winter).
    let scheduler = Scheduler::new(at("2026-12-07T03:00:00Z"));
    let before = imports(&site);

    // Before its time: nothing is fetched or written.
    assert!(
        scheduler
            .tick(&mut store, &plan, &ctx, at("2026-12-07T03:59:59Z"))
            .is_empty()
    );
    assert_eq!(files.requests.load(Ordering::SeqCst), 0);
    assert_eq!(imports(&site), before);

    // On time: fetched, imported through the import, provenance kept, then published.
    let runs = scheduler.tick(&mut store, &plan, &ctx, at("2026-12-07T04:00:20Z"));
    assert_eq!(runs.len(), 2, "{runs:#?}");
    assert_eq!(runs[0].outcome, "imported", "{:?}", runs[0].error);
    assert_eq!(runs[0].trigger, "schedule");
    assert_eq!(runs[0].started_at, "2026-12-07T04:00:20Z");
    let hash = runs[0].content_hash.clone().unwrap();
    assert_eq!(hash.len(), 64);
    assert_eq!(
        (runs[1].task, runs[1].outcome.as_str()),
        (RunTask::Publish, "published")
    );
    assert_eq!(runs[1].trigger, "after bevolking");
    let export = values(&site);
    for (code, v) in [
        ("11002", "530000"),
        ("44021", "265000"),
        ("24062", "103000"),
    ] {
        assert!(
            export.lines().any(|l| l.contains(code) && l.ends_with(v)),
            "{code}={v} not in\n{export}"
        );
    }
    let import_id = runs[0].import_id.unwrap();
    let log = site.ok(&["imports", "--json"]);
    let log: serde_json::Value = serde_json::from_str(&log).unwrap();
    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == import_id)
        .unwrap();
    assert_eq!(entry["file"], files.url.as_str(), "{entry}");
    assert_eq!(entry["sha256"], hash.as_str(), "{entry}");
    assert_eq!(entry["who"], "scheduler");

    // Not again the same day.
    assert!(
        scheduler
            .tick(&mut store, &plan, &ctx, at("2026-12-07T12:00:00Z"))
            .is_empty()
    );
    assert_eq!(files.requests.load(Ordering::SeqCst), 1);

    // Next day, same file: fetched, recognised, nothing written and nothing published.
    let state = site.state();
    let n = imports(&site);
    let runs = scheduler.tick(&mut store, &plan, &ctx, at("2026-12-08T04:00:05Z"));
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].outcome, "unchanged");
    assert_eq!(runs[0].content_hash.as_deref(), Some(hash.as_str()));
    assert_eq!(files.requests.load(Ordering::SeqCst), 2);
    assert_eq!(imports(&site), n);
    assert_eq!(site.state(), state);

    // A changed file: imported.
    *files.body.lock().unwrap() = FILE.replace("265000", "266123").into_bytes();
    let runs = scheduler.tick(&mut store, &plan, &ctx, at("2026-12-09T04:00:05Z"));
    assert_eq!(runs[0].outcome, "imported", "{:?}", runs[0].error);
    assert_ne!(runs[0].content_hash.as_deref(), Some(hash.as_str()));
    assert!(
        values(&site)
            .lines()
            .any(|l| l.contains("44021") && l.ends_with("266123"))
    );

    // A broken file: a failure with the row and column, the store exactly as before.
    let state = site.state();
    let n = imports(&site);
    *files.body.lock().unwrap() = FILE.replace("103000", "honderdduizend").into_bytes();
    let runs = scheduler.tick(&mut store, &plan, &ctx, at("2026-12-10T04:00:05Z"));
    assert_eq!(runs.len(), 1, "no publish after a failure");
    assert_eq!(runs[0].outcome, "failed");
    let error = runs[0].error.clone().unwrap();
    assert!(
        error.contains("honderdduizend") && error.contains("row 4"),
        "{error}"
    );
    assert_eq!(site.state(), state);
    assert_eq!(imports(&site), n);

    // A broken file is not "the last good one": fixed the next day, it imports.
    *files.body.lock().unwrap() = FILE.replace("103000", "103500").into_bytes();
    let runs = scheduler.tick(&mut store, &plan, &ctx, at("2026-12-11T04:00:05Z"));
    assert_eq!(runs[0].outcome, "imported", "{:?}", runs[0].error);

    // The status and the history, as `peil sources` prints them.
    let out = site.ok(&["sources"]);
    assert!(
        out.contains("bevolking (file): schedule \"0 5 * * *\" (Europe/Brussels), then publish"),
        "{out}"
    );
    assert!(
        out.contains("last run: 2026-12-11 05:00 CET (schedule), imported"),
        "{out}"
    );
    assert!(out.contains("next run: 2026-12-12 05:00 CET"), "{out}");
    let history = site.ok(&["sources", "history", "bevolking"]);
    let lines: Vec<&str> = history.lines().filter(|l| !l.starts_with("  ")).collect();
    assert_eq!(lines.len(), 5, "{history}");
    for (line, outcome) in
        lines
            .iter()
            .zip(["imported", "failed", "imported", "unchanged", "imported"])
    {
        assert!(line.contains(&format!("(schedule): {outcome}")), "{line}");
    }
    assert!(history.contains("honderdduizend"), "{history}");
    let json: serde_json::Value = serde_json::from_str(&site.ok(&["sources", "--json"])).unwrap();
    assert_eq!(json[0]["last"]["outcome"], "imported");

    // `peil pull` runs the same source by hand (recorded as a command): unchanged now.
    let out = site.ok(&["pull", "bevolking"]);
    assert!(out.contains("unchanged since the last run"), "{out}");
    let last = store
        .last_run(RunTask::Source, "bevolking", None)
        .unwrap()
        .unwrap();
    assert_eq!(
        (last.trigger.as_str(), last.outcome.as_str()),
        ("command", "unchanged")
    );
    // A hand-run does not move the schedule: the next scheduled run is still due tomorrow.
    assert!(
        scheduler
            .tick(&mut store, &plan, &ctx, at("2026-12-11T20:00:00Z"))
            .is_empty()
    );
}

#[test]
fn a_zip_source_imports_its_member() {
    let site = site();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("LEESMIJ.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"Bron: test").unwrap();
    zip.start_file(
        "data/bevolking.csv",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .unwrap();
    zip.write_all(FILE.as_bytes()).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let files = file_server("bevolking.zip", "");
    *files.body.lock().unwrap() = bytes;
    let mut s = source(&files.url, false);
    s.member = Some("bevolking.csv".into());
    let mut store = site.open_store();
    let (run, _) = peil_connect::scheduler::run_source(
        &mut store,
        &s,
        &context(&site),
        "command",
        "test",
        Timestamp::now(),
    );
    assert_eq!(run.outcome, "imported", "{:?}", run.error);
    assert_eq!(run.counts["member"], "bevolking.csv");
    assert!(
        values(&site)
            .lines()
            .any(|l| l.contains("11002") && l.ends_with("530000"))
    );
}

#[test]
fn the_scheduled_publish_publishes_at_its_time_and_not_before() {
    let site = site();
    let data = site.path().join("data.csv");
    std::fs::write(&data, FILE).unwrap();
    site.import(
        &data,
        &[
            "--geolevel",
            "gemeente2024",
            "--period-column",
            "jaar",
            "--geoitem-column",
            "gemeente",
        ],
    );
    let settings = ScheduleToml {
        time_zone: Some("Europe/Brussels".into()),
        publish: Some("0 6 * * mon".into()),
    };
    let plan = Plan::new(&settings, &[]).unwrap();
    let ctx = context(&site);
    let mut store = site.open_store();
    let scheduler = Scheduler::new(at("2026-12-06T20:00:00Z"));
    let generation = |s: &Store| s.live_generation().unwrap();
    assert_eq!(generation(&store), None);

    // Monday 06:00 in Brussels is 05:00 UTC: a second before, nothing.
    assert!(
        scheduler
            .tick(&mut store, &plan, &ctx, at("2026-12-07T04:59:59Z"))
            .is_empty()
    );
    assert_eq!(generation(&store), None);
    let runs = scheduler.tick(&mut store, &plan, &ctx, at("2026-12-07T05:00:00Z"));
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].outcome, "published", "{:?}", runs[0].error);
    assert_eq!(generation(&store), Some(1));
    let audit = store
        .audit_log(&peil_store::AuditFilter {
            who: Some("scheduler".into()),
            limit: 100,
            ..Default::default()
        })
        .unwrap()
        .0;
    assert!(audit.iter().any(|e| e.action == "publish"), "{audit:?}");
    // Not again that week, and the next Monday with nothing changed: nothing to publish.
    assert!(
        scheduler
            .tick(&mut store, &plan, &ctx, at("2026-12-13T23:00:00Z"))
            .is_empty()
    );
    let runs = scheduler.tick(&mut store, &plan, &ctx, at("2026-12-14T05:00:30Z"));
    assert_eq!(runs[0].outcome, "unchanged");
    assert_eq!(generation(&store), Some(1));
    // A change in the test copy is published the Monday after, in summer time at 04:00 UTC.
    std::fs::write(&data, FILE.replace("530000", "531000")).unwrap();
    site.import(
        &data,
        &[
            "--geolevel",
            "gemeente2024",
            "--period-column",
            "jaar",
            "--geoitem-column",
            "gemeente",
        ],
    );
    let scheduler = Scheduler::new(at("2027-06-01T00:00:00Z"));
    let store2 = site.open_store();
    let next = scheduler
        .next_due(&store2, &plan, peil_connect::scheduler::Job::Publish)
        .unwrap()
        .unwrap();
    // The last scheduled run (14 December) anchors the schedule: the missed Mondays run once.
    assert_eq!(next, at("2026-12-21T05:00:00Z"));
    let runs = scheduler.tick(&mut store, &plan, &ctx, at("2027-06-07T04:00:00Z"));
    assert_eq!(runs[0].outcome, "published", "{:?}", runs[0].error);
    assert_eq!(generation(&store), Some(2));
    assert!(
        scheduler
            .tick(&mut store, &plan, &ctx, at("2027-06-07T04:30:00Z"))
            .is_empty()
    );
    assert_eq!(
        scheduler
            .next_due(&store, &plan, peil_connect::scheduler::Job::Publish)
            .unwrap(),
        Some(at("2027-06-14T04:00:00Z"))
    );
}

#[test]
fn an_administrator_declares_changes_and_removes_a_source_in_the_back_office() {
    use crate::admin::{Browser, add_user, count, enc};
    let files = file_server("bevolking.csv", FILE);
    let site = site();
    let toml = site.path().join("peil.toml");
    let before = format!(
        "# Onze bronnen, met de hand geschreven.\n{}\n[admin]\ninsecure_cookie = true\n",
        std::fs::read_to_string(&toml).unwrap()
    );
    std::fs::write(&toml, &before).unwrap();
    let s = Server::start(site);

    // Experts see the page but not the form; they cannot post it either.
    let pw = add_user(&s, "eva", "expert", "");
    let mut e = Browser::new(&s);
    assert_eq!(e.login("eva", &pw).status, 303);
    let page = e.get("/admin/schedule");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("/admin/schedule/sources/new"));
    assert_eq!(e.get("/admin/schedule/sources/new").status, 403);
    let token = e.token();
    let a = e.post(
        "/admin/schedule/sources/new",
        &format!("csrf={token}&name=x&kind=file&url=http%3A%2F%2F127.0.0.1%2Fx.csv"),
    );
    assert_eq!(a.status, 403);
    assert_eq!(std::fs::read_to_string(&toml).unwrap(), before);

    let pw = add_user(&s, "ann", "beheerder", "");
    let mut b = Browser::new(&s);
    assert_eq!(b.login("ann", &pw).status, 303);
    let page = b.get("/admin/schedule");
    assert!(
        page.body.contains("/admin/schedule/sources/new"),
        "{}",
        page.body
    );
    let form = b.get("/admin/schedule/sources/new");
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf();
    let import = "geolevel = \"gemeente2024\"\nperiod_column = \"jaar\"\ngeoitem_column = \"gemeente\"\nclear = \"indicators\"\n";
    let fields = |name: &str, url: &str, schedule: &str, extra: &str| {
        format!(
            "csrf={csrf}&name={}&kind=file&url={}&schedule={}&publish=on&import={}{extra}",
            enc(name),
            enc(url),
            enc(schedule),
            enc(import)
        )
    };
    // Refused, each with why, and peil.toml untouched: a schedule that is not cron, a key
    // file outside the site folder, a prefix for a file source, an import option `peil
    // import` does not know, an address that is not http(s).
    for (form, why) in [
        (
            fields("bevolking", &files.url, "0 25 * * *", ""),
            "schedule: ",
        ),
        (
            fields(
                "bevolking",
                &files.url,
                "0 5 * * *",
                "&key_file=..%2Fgeheim",
            ),
            "must be a path inside the site folder",
        ),
        (
            fields("bevolking", &files.url, "0 5 * * *", "&prefix=dna_"),
            "and prefix are for a Peil site",
        ),
        (
            fields("bevolking", &files.url, "0 5 * * *", "")
                .replace(&enc(import), &enc("kolom = \"jaar\"\n")),
            "import: ",
        ),
        (
            fields("bevolking", "ftp://example.org/x.csv", "0 5 * * *", ""),
            "must start with http",
        ),
    ] {
        let a = b.post("/admin/schedule/sources/new", &form);
        assert_eq!(a.status, 422, "{why}: {}", a.body);
        assert!(a.body.contains(why), "{why}: {}", a.body);
        assert_eq!(std::fs::read_to_string(&toml).unwrap(), before, "{why}");
    }

    // Declared: written into peil.toml beside what was there, and applied at once.
    let a = b.post(
        "/admin/schedule/sources/new",
        &fields("bevolking", &files.url, "0 5 * * *", ""),
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let after = std::fs::read_to_string(&toml).unwrap();
    assert!(
        after.starts_with("# Onze bronnen, met de hand geschreven.\n"),
        "{after}"
    );
    assert!(after.contains("insecure_cookie = true"), "{after}");
    assert!(
        after.contains("[[sources]]\nname = \"bevolking\"\nkind = \"file\""),
        "{after}"
    );
    assert!(
        after.contains("[sources.import]\ngeolevel = \"gemeente2024\""),
        "{after}"
    );
    assert_eq!(count(&s, "source saved"), 1);
    // A second source of the same name is refused.
    let a = b.post(
        "/admin/schedule/sources/new",
        &fields("bevolking", &files.url, "0 5 * * *", ""),
    );
    assert_eq!(a.status, 422, "{}", a.body);
    let page = b.get("/admin/schedule");
    assert!(page.body.contains(&files.url), "{}", page.body);
    assert!(page.body.contains("/admin/schedule/sources/bevolking"));
    let listed = s.site.ok(&["sources"]);
    assert!(
        listed.contains("bevolking (file): schedule \"0 5 * * *\" (Europe/Brussels), then publish"),
        "{listed}"
    );

    // The declared source works: a pull fetches and imports the file.
    s.site.ok(&["pull", "bevolking"]);
    assert_eq!(files.requests.load(Ordering::SeqCst), 1);
    assert!(values(&s.site).contains("530000"), "{}", values(&s.site));

    // Changed: the form shows what the file says, and a new schedule replaces the old one
    // (the name stays: it is the key of the provenance).
    let form = b.get("/admin/schedule/sources/bevolking");
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("geoitem_column = "), "{}", form.body);
    assert!(form.body.contains("value=\"0 5 * * *\""), "{}", form.body);
    let a = b.post(
        "/admin/schedule/sources/bevolking",
        &fields("bevolking", &files.url, "30 6 * * mon", "").replace("&publish=on", ""),
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let listed = s.site.ok(&["sources"]);
    assert!(
        listed.contains("bevolking (file): schedule \"30 6 * * mon\" (Europe/Brussels)\n"),
        "{listed}"
    );
    let text = std::fs::read_to_string(&toml).unwrap();
    assert_eq!(text.matches("[[sources]]").count(), 1, "{text}");
    assert!(!text.contains("publish = true"), "{text}");
    assert_eq!(b.get("/admin/schedule/sources/geen").status, 404);

    // Removed: gone from peil.toml and the page, what it brought stays.
    let a = b.post(
        "/admin/schedule/sources/bevolking/delete",
        &format!("csrf={csrf}"),
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(!text.contains("bevolking"), "{text}");
    assert!(
        text.starts_with("# Onze bronnen, met de hand geschreven.\n"),
        "{text}"
    );
    assert_eq!(count(&s, "source removed"), 1);
    assert!(values(&s.site).contains("530000"));
    assert!(!b.get("/admin/schedule").body.contains(&files.url));
}
