//! The deployment files (`Dockerfile`, `deploy/peil.service`) against the real binary: these
//! machines have no container runtime or systemd, so what can be checked here is: every
//! command they run parses with this `peil`, the build stage's toolchain is at least the
//! workspace's `rust-version`, images are pinned (no `latest`), the image runs as a non-root
//! user, and the unit runs as one with the file system read-only but the site. `hadolint` runs
//! too where it is installed.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Asserts that `args` (a command line without the program) is one this `peil` accepts.
fn parses(args: &[&str], what: &str) {
    assert_eq!(
        args.first(),
        Some(&"peil"),
        "{what}: runs {args:?}, not peil"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_peil"))
        .args(&args[1..])
        .arg("--help")
        .env_remove("PEIL_SITE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{what}: `{}` is refused by this peil:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let sub = args[1];
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("Usage: peil {sub}")),
        "{what}: {args:?}"
    );
}

/// Words of a shell command line: split at blanks outside double quotes, quotes removed.
fn shell_words(line: &str) -> Vec<String> {
    let (mut out, mut word, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn version(v: &str) -> (u32, u32) {
    let mut p = v.split('.').map(|x| x.parse::<u32>().unwrap_or(0));
    (p.next().unwrap_or(0), p.next().unwrap_or(0))
}

#[test]
fn the_dockerfile_builds_this_workspace_and_runs_peil_as_a_user() {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let froms: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("FROM "))
        .copied()
        .collect();
    assert!(froms.len() >= 2, "a multi-stage build: {froms:?}");
    for f in &froms {
        let image = f.split_whitespace().nth(1).unwrap();
        let tag = image.split_once(':').map(|(_, t)| t).unwrap_or("");
        assert!(!tag.is_empty() && tag != "latest", "{f}: pin the image");
    }
    // The toolchain of the build stage is at least the workspace's rust-version.
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let wanted = cargo
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    let rust_tag = froms[0]
        .split_whitespace()
        .nth(1)
        .and_then(|i| i.strip_prefix("rust:"))
        .expect("the build stage uses the rust image");
    assert!(
        version(rust_tag.split('-').next().unwrap()) >= version(wanted),
        "rust:{rust_tag} is older than rust-version {wanted}"
    );
    // The final stage: a non-root user, the binary copied from the build, peil serve.
    let last = text.rfind("\nFROM ").unwrap();
    let final_stage = &text[last..];
    let user = final_stage
        .lines()
        .find_map(|l| l.trim().strip_prefix("USER "))
        .expect("the final stage sets USER");
    assert!(!["root", "0"].contains(&user.trim()), "USER {user}");
    assert!(final_stage.contains("COPY --from=build /src/target/release/peil /usr/local/bin/peil"));
    let cmd = final_stage
        .lines()
        .find_map(|l| l.trim().strip_prefix("CMD "))
        .expect("CMD");
    let cmd: Vec<String> = serde_json::from_str(cmd).expect("CMD in exec form");
    parses(&cmd.iter().map(String::as_str).collect::<Vec<_>>(), "CMD");
    // The commands in the file's own instructions parse too.
    for l in text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("#   docker run "))
    {
        let words = shell_words(l);
        let words: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .take_while(|w| *w != "#")
            .collect();
        if let Some(p) = words.iter().position(|w| *w == "peil")
            && words.get(p + 1).is_some_and(|w| *w == "peil")
        {
            parses(&words[p + 1..], "the Dockerfile's example");
        }
    }
    let hadolint = Command::new("hadolint")
        .arg(root().join("Dockerfile"))
        .output();
    if let Ok(out) = hadolint {
        assert!(
            out.status.success(),
            "hadolint:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn the_systemd_unit_runs_peil_confined() {
    let text = std::fs::read_to_string(root().join("deploy/peil.service")).unwrap();
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key}="))
            .trim()
            .to_string()
    };
    assert_eq!(value("User"), "peil");
    assert_eq!(value("NoNewPrivileges"), "yes");
    assert_eq!(value("ProtectSystem"), "strict");
    let site = value("Environment");
    let site = site.strip_prefix("PEIL_SITE=").expect("PEIL_SITE set");
    assert!(
        site.starts_with(&value("ReadWritePaths")),
        "the site {site} is writable"
    );
    for exec in text.lines().filter_map(|l| {
        let l = l.trim().trim_start_matches("# ");
        l.strip_prefix("ExecStart=")
    }) {
        let words: Vec<&str> = exec.split_whitespace().collect();
        assert_eq!(words[0], "/usr/local/bin/peil");
        let mut args = vec!["peil"];
        args.extend(&words[1..]);
        parses(&args, "ExecStart");
    }
}

/// `deploy/nginx.conf` with its upstream servers and listen port replaced by loopback ones
/// (each replacement made exactly once, so a reshaped file fails here rather than testing
/// something else).
fn nginx_conf_for(replicas: &[String], listen: u16) -> String {
    let mut text = std::fs::read_to_string(root().join("deploy/nginx.conf")).unwrap();
    for (i, addr) in replicas.iter().enumerate() {
        let from = format!("server peil-{}:8080 ", i + 1);
        assert_eq!(text.matches(&from).count(), 1, "nginx.conf: `{from}`");
        text = text.replace(&from, &format!("server {addr} "));
    }
    assert_eq!(
        text.matches("listen 80;").count(),
        1,
        "nginx.conf: `listen 80;`"
    );
    text.replace("listen 80;", &format!("listen 127.0.0.1:{listen};"))
}

/// A free loopback port (free when this returns; nginx takes it at once).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nginx run in the foreground from a configuration in a temporary prefix; stopped on drop.
/// Its access log (standard output) is collected in `log`.
struct Nginx {
    child: std::process::Child,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _prefix: tempfile::TempDir,
}

impl Nginx {
    fn start(conf: &str, port: u16) -> Nginx {
        use std::io::BufRead;
        let prefix = tempfile::tempdir().unwrap();
        let p = prefix.path();
        std::fs::write(p.join("nginx.conf"), conf).unwrap();
        let mut global = format!("daemon off; pid {};", p.join("nginx.pid").display());
        // As root, the workers would run as nobody: keep them this test's user.
        if is_root() {
            global.push_str(" user root;");
        }
        let mut child = Command::new(nginx())
            .arg("-p")
            .arg(p)
            .arg("-c")
            .arg(p.join("nginx.conf"))
            .arg("-e")
            .arg(p.join("error.log"))
            .args(["-g", &global])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (out, lines) = (child.stdout.take().unwrap(), log.clone());
        std::thread::spawn(move || {
            for l in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(l);
            }
        });
        let t = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "nginx stopped ({status}): {}",
                    std::fs::read_to_string(p.join("error.log")).unwrap_or_default()
                );
            }
            assert!(t.elapsed().as_secs() < 10, "nginx never listened");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Nginx {
            child,
            log,
            _prefix: prefix,
        }
    }
}

/// nginx: on the PATH, else where Debian puts it (`/usr/sbin`, not on a user's PATH).
fn nginx() -> &'static str {
    let on_path = Command::new("nginx").arg("-v").output().is_ok();
    if on_path { "nginx" } else { "/usr/sbin/nginx" }
}

/// Whether this process runs as root (its effective user id, from /proc).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Issue 16 §2 and §5: killing one replica under load behind nginx loses no request. nginx
/// runs `deploy/nginx.conf` itself (upstream servers and port on loopback) in front of two
/// `peil serve` replicas of one PostgreSQL site whose peil.toml trusts it as a proxy; client
/// threads send GETs through it without pause, one replica gets SIGKILL mid-load, and every
/// request still gets a 200 with the right body (nginx retries on the other: its log shows
/// it). A client's X-Request-ID reaches the replica and comes back; without one, nginx's own
/// does.
#[test]
fn killing_a_replica_under_load_behind_nginx_loses_no_request() {
    use crate::common::*;
    use crate::postgres::{GEN_PATHS, generation_site};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;
    if !have_tool(
        "nginx",
        "apt-get install nginx",
        Command::new(nginx()).arg("-v"),
    ) {
        return;
    }
    let pg = generation_site();
    // The replicas trust the proxy's X-Forwarded-For, and make links from one public URL.
    let cfg = pg.site.path().join("peil.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        format!(
            "base_url = \"https://stad.example\"\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]\n{text}"
        ),
    )
    .unwrap();
    let a = Server::start(Site::copy_of(&pg.site));
    let b = Server::start(Site::copy_of(&pg.site));
    let port = free_port();
    let nginx = Nginx::start(&nginx_conf_for(&[a.addr(), b.addr()], port), port);
    let front = format!("http://127.0.0.1:{port}");
    let agent = || -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into()
    };
    let get = |agent: &ureq::Agent, path: &str, id: Option<&str>| -> Result<Reply, String> {
        let mut req = agent.get(&format!("{front}{path}"));
        if let Some(id) = id {
            req = req.header("x-request-id", id);
        }
        let mut r = req.call().map_err(|e| format!("GET {path}: {e}"))?;
        let headers = r
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_lowercase(), v.to_str().unwrap_or("").into()))
            .collect();
        Ok(Reply {
            status: r.status().as_u16(),
            headers,
            body: r.body_mut().read_to_string().map_err(|e| e.to_string())?,
        })
    };
    // What every answer must be: the same bytes from either replica.
    let want: Vec<String> = GEN_PATHS
        .iter()
        .map(|p| {
            let (x, y) = (a.get(p), b.get(p));
            assert_eq!((x.status, y.status), (200, 200), "{p}");
            assert_eq!(x.body, y.body, "{p}: the replicas differ");
            x.body
        })
        .collect();
    // The request ID: the client's, else nginx's own (32 hex digits), back from the replica.
    let r = get(&agent(), GEN_PATHS[0], Some("rapport-42")).unwrap();
    assert_eq!(r.headers["x-request-id"], "rapport-42");
    let r = get(&agent(), GEN_PATHS[0], None).unwrap();
    let id = &r.headers["x-request-id"];
    assert!(
        id.len() == 32 && id.bytes().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(r.body, want[0]);

    let stop = AtomicBool::new(false);
    let (before, after) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let killed = AtomicBool::new(false);
    let errors = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..4)
            .map(|t| {
                let (stop, killed, before, after, want, get) =
                    (&stop, &killed, &before, &after, &want, &get);
                scope.spawn(move || {
                    let agent = agent();
                    let mut errors = Vec::new();
                    let mut i = t;
                    while !stop.load(Ordering::Relaxed) && errors.len() < 5 {
                        let k = i % GEN_PATHS.len();
                        let was_killed = killed.load(Ordering::Relaxed);
                        match get(&agent, GEN_PATHS[k], None) {
                            Ok(r) if r.status == 200 && r.body == want[k] => {}
                            Ok(r) => errors.push(format!(
                                "{}: {} {}",
                                GEN_PATHS[k],
                                r.status,
                                &r.body[..r.body.len().min(300)]
                            )),
                            Err(e) => errors.push(e),
                        }
                        [before, after][usize::from(was_killed)].fetch_add(1, Ordering::Relaxed);
                        i += 1;
                    }
                    errors
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(700));
        // SIGKILL: the replica ends without closing a connection or finishing an answer.
        let status = Command::new("kill")
            .args(["-KILL", &a.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        killed.store(true, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(1500));
        stop.store(true, Ordering::Relaxed);
        clients
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect::<Vec<_>>()
    });
    let (before, after) = (before.into_inner(), after.into_inner());
    eprintln!("{before} requests before the kill, {after} after");
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(before > 50 && after > 50, "{before} before, {after} after");
    // nginx took the killed replica out: requests it sent there went on to the other.
    let log = nginx.log.lock().unwrap().clone();
    let dead = format!("upstream={}, {}", a.addr(), b.addr());
    assert!(
        log.iter().any(|l| l.contains(&dead)),
        "no request was retried on the other replica:\n{}",
        log[log.len().saturating_sub(20)..].join("\n")
    );
    // The survivor still answers alone.
    assert_eq!(get(&agent(), GEN_PATHS[1], None).unwrap().body, want[1]);
}
