//! The website in real headless Chromium, on the demo city: the end-to-end checks
//! (`tests/browser/e2e.mjs`, Playwright), the layout checks (`layout.mjs`: nothing overlaps
//! or is cut at phone and desktop widths), the accessibility checks (`a11y.mjs`, axe-core) and
//! Lighthouse (`lighthouse.mjs`), all run against one `peil serve`; and the back office's
//! end-to-end journey (`journey.mjs`) on an empty site of its own.
//!
//! Needs Chromium at /usr/bin/chromium (or `$PEIL_CHROMIUM`), Node.js, and the pinned npm
//! packages in `tests/browser/node_modules`; `test.sh` installs them. Anything missing fails
//! the test with how to install it. `PEIL_SKIP_BROWSER=1` skips it on purpose (with a notice).
//! Screenshots and reports go to `<target dir>/browser-artifacts`.

use crate::common::*;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The checkout's `tests/browser` folder.
fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// `<target dir>/browser-artifacts`: the target directory is the one holding the `peil`
/// binary under test (`<target>/debug/peil`), which also follows `CARGO_TARGET_DIR`.
fn artifacts_dir() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_peil"));
    let target = bin
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("browser-artifacts")
}

const HOW_TO_INSTALL: &str = "install them as test.sh does:\n  \
     apt-get install -y --no-install-recommends chromium fonts-dejavu-core\n  \
     npm ci --prefix tests/browser\n\
     (or set PEIL_SKIP_BROWSER=1 to skip the browser tests on purpose)";

/// Fails with what is missing and how to install it.
fn require_tools() -> PathBuf {
    let chromium =
        std::env::var("PEIL_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
    let mut missing = Vec::new();
    if !Path::new(&chromium).exists() {
        missing.push(format!("Chromium (not found at {chromium})"));
    }
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {
            let v = String::from_utf8_lossy(&o.stdout);
            let major: u32 = v
                .trim()
                .trim_start_matches('v')
                .split('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            if major < 20 {
                missing.push(format!("Node.js 20 or newer (found {})", v.trim()));
            }
        }
        _ => missing.push("Node.js (`node` is not on PATH)".to_string()),
    }
    let modules = browser_dir().join("node_modules");
    for package in [
        "playwright-core",
        "axe-core",
        "lighthouse",
        "chrome-launcher",
    ] {
        if !modules.join(package).join("package.json").exists() {
            missing.push(format!(
                "the npm package {package} (not in {})",
                modules.display()
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "the browser tests cannot run; missing:\n  - {}\n{HOW_TO_INSTALL}",
        missing.join("\n  - ")
    );
    PathBuf::from(chromium)
}

/// Prints past the test harness's output capture, so that these lines interleave with the
/// scripts' own output (which goes straight to the terminal) and the skip notice is seen.
fn say(line: &str) {
    let mut out = std::io::stderr().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Runs `node <script>` in tests/browser with its output going straight to ours; returns
/// whether it succeeded (exit 0 within the time limit).
fn node(
    script: &str,
    base: &str,
    chromium: &Path,
    admin: (&str, &str),
    limit: Duration,
    env: &[(&str, &Path)],
) -> Result<(), String> {
    say(&format!("\n---- node {script} ----"));
    let started = Instant::now();
    let mut child = Command::new("node")
        .arg(script)
        .current_dir(browser_dir())
        .env("PEIL_URL", base)
        .env("PEIL_ARTIFACTS", artifacts_dir())
        .env("PEIL_CHROMIUM", chromium)
        .env("PEIL_ADMIN_USER", admin.0)
        .env("PEIL_ADMIN_PASSWORD", admin.1)
        .envs(env.iter().copied())
        .spawn()
        .map_err(|e| format!("node {script} did not start: {e}"))?;
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            let took = started.elapsed().as_secs_f32();
            return if status.success() {
                say(&format!("---- node {script}: passed in {took:.0} s ----"));
                Ok(())
            } else {
                Err(format!(
                    "node {script} failed ({status}) after {took:.0} s: see its output above"
                ))
            };
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "node {script} took longer than {} s and was stopped",
                limit.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Whether the browser tests are skipped on purpose (`PEIL_SKIP_BROWSER`), said loudly.
fn skipped() -> bool {
    if std::env::var("PEIL_SKIP_BROWSER").is_ok_and(|v| !v.is_empty() && v != "0") {
        say(
            "\n**********************************************************************\n\
             *  PEIL_SKIP_BROWSER is set: the browser tests (e2e, axe, Lighthouse) *\n\
             *  were SKIPPED and checked nothing. CI never sets it.                *\n\
             **********************************************************************\n",
        );
        return true;
    }
    false
}

#[test]
fn website_in_headless_chromium() {
    if skipped() {
        return;
    }
    let chromium = require_tools();
    std::fs::create_dir_all(artifacts_dir()).unwrap();
    let server = Server::demo();
    // An administrator for the back office's pages (a11y.mjs logs in as them).
    let out = server.site.ok(&[
        "users",
        "add",
        "axe",
        "--role",
        "beheerder",
        "--groups",
        "stadsdiensten",
    ]);
    let password = out
        .lines()
        .nth(1)
        .expect("a generated password")
        .trim()
        .to_string();
    say(&format!(
        "serving the demo city on {}; artifacts in {}",
        server.base,
        artifacts_dir().display()
    ));
    // Run them all so that one failure does not hide the others; each is bounded in time.
    let failures: Vec<String> = [
        ("e2e.mjs", 150),
        ("layout.mjs", 60),
        // Every page of the site, the back office and the handbook in its three languages.
        ("a11y.mjs", 480),
        ("lighthouse.mjs", 150),
    ]
    .into_iter()
    .filter_map(|(script, secs)| {
        node(
            script,
            &server.base,
            &chromium,
            ("axe", &password),
            Duration::from_secs(secs),
            &[],
        )
        .err()
    })
    .collect();
    assert!(
        failures.is_empty(),
        "browser tests failed:\n  - {}\n(screenshots and reports: {})",
        failures.join("\n  - "),
        artifacts_dir().display()
    );
}

/// The back office end to end (`tests/browser/journey.mjs`): a statistician sets up an empty
/// site from the shared Flanders files, publishes, checks a doctored file, rolls back and
/// gives a colleague access — all in the browser. The first administrator is made with the
/// CLI, as on a real server.
#[test]
fn back_office_journey_in_headless_chromium() {
    if skipped() {
        return;
    }
    let chromium = require_tools();
    std::fs::create_dir_all(artifacts_dir()).unwrap();
    let site = Site::new();
    let toml = site.path().join("peil.toml");
    let mut config = std::fs::read_to_string(&toml).unwrap();
    config.push_str("\n[admin]\ninsecure_cookie = true\n");
    std::fs::write(&toml, config).unwrap();
    let out = site.ok(&["users", "add", "statisticus", "--role", "beheerder"]);
    let password = out
        .lines()
        .nth(1)
        .expect("a generated password")
        .trim()
        .to_string();
    let server = Server::start(site);
    let flanders = flanders();
    let result = node(
        "journey.mjs",
        &server.base,
        &chromium,
        ("statisticus", &password),
        Duration::from_secs(240),
        &[("PEIL_FLANDERS", flanders.as_path())],
    );
    if let Err(e) = result {
        panic!("{e}\n(screenshots: {})", artifacts_dir().display());
    }
}

/// Policy monitoring in the browser (`tests/browser/plans.mjs`): on the demo city with a
/// public plan and the generated permit register with a dashboard for the department, the
/// scorecard is opened, filtered, a check-in entered by the KPI's owner changes its status,
/// the goal leads to the department's dashboard (trend chart, drill-down, areas), and axe
/// passes on each page.
#[test]
fn plan_scorecard_in_headless_chromium() {
    if skipped() {
        return;
    }
    let chromium = require_tools();
    std::fs::create_dir_all(artifacts_dir()).unwrap();
    let PermitSite { s, dir, .. } = permit_site(3000);
    let password = crate::admin::add_user(&s, "eigenaar", "viewer", "stadsdiensten");
    // The check-in form proposes this year; the KPI's target is for it.
    let year = time::OffsetDateTime::now_utc().year();
    import_plan(
        &s,
        dir.path(),
        "mjp",
        "code;parent;name;owner;description;start;end\n\
         vg;;Vlotte vergunningen;stadsdiensten;Snel en klantvriendelijk beslissen;2024;2030\n\
         balie;vg;Een goede balie;eigenaar;;2024;2030\n",
        &format!(
            "code;goal;name;owner;indicator;level;area;unit;direction;baseline;baseline year;on track within;at risk within;target {year}\n\
             k_tevreden;balie;Tevreden aanvragers;eigenaar;;;;%;higher;60;2024;1;5;80\n\
             k_termijn;vg;Beslist binnen de termijn;stadsdiensten;;;;%;higher;70;2024;1;5;90\n"
        ),
        &["--public", "--title", "Meerjarenplan"],
    );
    let result = node(
        "plans.mjs",
        &s.base,
        &chromium,
        ("eigenaar", &password),
        Duration::from_secs(180),
        &[],
    );
    if let Err(e) = result {
        panic!("{e}\n(artifacts: {})", artifacts_dir().display());
    }
}
