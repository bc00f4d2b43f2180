//! The deployment files (`Dockerfile`, `deploy/peil.service`, `deploy/compose.yaml`,
//! `deploy/nginx.conf`) against the real binary: these machines have no container runtime or
//! systemd, so what can be checked here is: every command they run parses with this `peil`,
//! the build stage's toolchain is at least the workspace's `rust-version`, images are pinned
//! (no `latest`), the image runs as a non-root user, the unit runs as one with the file system
//! read-only but the site, and the compose file's parts fit together. `hadolint` runs too where
//! it is installed. The compose topology itself runs with the same processes started directly:
//! nginx from `deploy/nginx.conf` in front of two `peil serve` replicas on PostgreSQL, one of
//! them killed under load.

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
    /// `http://127.0.0.1:PORT`.
    front: String,
    child: std::process::Child,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _prefix: tempfile::TempDir,
}

impl Nginx {
    fn start(conf: &str, port: u16) -> Nginx {
        use std::io::BufRead;
        let prefix = tempfile::tempdir().unwrap();
        let p = prefix.path();
        // Temporary files in the prefix too, so nginx needs nothing of /var/lib/nginx (which
        // a user other than root may not write).
        let temps: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
            .iter()
            .map(|t| format!("\n    {t}_temp_path {};", p.join(t).display()))
            .collect();
        assert_eq!(conf.matches("\nhttp {").count(), 1, "nginx.conf: `http {{`");
        let conf = conf.replace("\nhttp {", &format!("\nhttp {{{temps}"));
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
            front: format!("http://127.0.0.1:{port}"),
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
    /// SIGTERM, so the master stops its workers first (a SIGKILLed master leaves them running);
    /// SIGKILL only when it has not ended within 10 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let t = std::time::Instant::now();
        while t.elapsed().as_secs() < 10 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn have_nginx() -> bool {
    crate::common::have_tool(
        "nginx",
        "apt-get install nginx",
        Command::new(nginx()).arg("-v"),
    )
}

/// A client of the tests through nginx: no error for a status, a bound on every request.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into()
}

/// GET `front` + `path` with these headers.
pub fn get_through(
    agent: &ureq::Agent,
    front: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<crate::common::Reply, String> {
    let mut req = agent.get(&format!("{front}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut r = req.call().map_err(|e| format!("GET {path}: {e}"))?;
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_lowercase(), v.to_str().unwrap_or("").into()))
        .collect();
    Ok(crate::common::Reply {
        status: r.status().as_u16(),
        headers,
        body: r.body_mut().read_to_string().map_err(|e| e.to_string())?,
    })
}

/// Two `peil serve` replicas of one PostgreSQL site ([`crate::postgres::generation_site`])
/// behind nginx running `deploy/nginx.conf`; the replicas' peil.toml trusts the proxy's
/// X-Forwarded-For, makes links from one public URL, and ends with `extra`.
fn replicas_behind_nginx(
    extra: &str,
) -> (
    crate::postgres::PgSite,
    crate::common::Server,
    crate::common::Server,
    Nginx,
) {
    use crate::common::{Server, Site};
    let pg = crate::postgres::generation_site();
    let cfg = pg.site.path().join("peil.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        format!(
            "base_url = \"https://stad.example\"\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]\n{text}{extra}"
        ),
    )
    .unwrap();
    let a = Server::start(Site::copy_of(&pg.site));
    let b = Server::start(Site::copy_of(&pg.site));
    let port = free_port();
    let nginx = Nginx::start(&nginx_conf_for(&[a.addr(), b.addr()], port), port);
    (pg, a, b, nginx)
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
    use crate::postgres::GEN_PATHS;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;
    if !have_nginx() {
        return;
    }
    let (_pg, a, b, nginx) = replicas_behind_nginx("");
    let front = nginx.front.clone();
    let get = |agent: &ureq::Agent, path: &str, id: Option<&str>| {
        let id: Vec<(&str, &str)> = id.map(|id| ("x-request-id", id)).into_iter().collect();
        get_through(agent, &front, path, &id)
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

/// The commands of a shell line (`a && b || { c; }`): each one's words, quotes removed.
fn shell_commands(line: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for w in shell_words(line) {
        let w = w.trim_start_matches('{').to_string();
        let ends = w.ends_with(';');
        match w.trim_end_matches(';') {
            "&&" | "||" | "|" | "}" | "" => {
                out.push(std::mem::take(&mut current));
            }
            w => current.push(w.to_string()),
        }
        if ends {
            out.push(std::mem::take(&mut current));
        }
    }
    out.push(current);
    out.retain(|c| !c.is_empty());
    out
}

/// The words of a compose `command` (a list, or one string).
fn compose_command(v: &serde_yaml::Value) -> Vec<String> {
    match v {
        serde_yaml::Value::Sequence(s) => s
            .iter()
            .map(|w| w.as_str().expect("a command word is a string").to_string())
            .collect(),
        serde_yaml::Value::String(s) => shell_words(s),
        other => panic!("command: {other:?}"),
    }
}

/// Issue 16 §5: `deploy/compose.yaml` checked without a container runtime. PostgreSQL 15; the
/// one-shot `init` and two replicas built from this repository's Dockerfile, every `peil`
/// command they run (and the file's own instructions) accepted by this binary, the store's
/// password a secret file, never in a URL; the replicas are the upstream servers of
/// `deploy/nginx.conf`, which nginx mounts — the very file
/// `killing_a_replica_under_load_behind_nginx_loses_no_request` runs — on the port it listens
/// on; the network nginx comes from is the one the site trusts as a proxy.
#[test]
fn the_compose_file_runs_this_peil_behind_the_tested_nginx_conf() {
    let deploy = root().join("deploy");
    let text = std::fs::read_to_string(deploy.join("compose.yaml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("compose.yaml is YAML");
    let services = doc["services"].as_mapping().expect("services");
    let service = |name: &str| &doc["services"][name];
    let image = |name: &str| service(name)["image"].as_str().unwrap_or("").to_string();
    for (name, s) in services {
        let name = name.as_str().unwrap();
        let img = s["image"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no image"));
        let tag = img.split_once(':').map(|(_, t)| t).unwrap_or("");
        assert!(!tag.is_empty() && tag != "latest", "{name}: pin {img}");
    }
    assert!(image("db").starts_with("postgres:15"), "{}", image("db"));
    assert_eq!(
        service("db")["environment"]["POSTGRES_PASSWORD_FILE"].as_str(),
        Some("/run/secrets/db_password")
    );
    // The services that run peil: built from this repository's Dockerfile.
    let peil: Vec<&str> = services
        .iter()
        .filter(|(_, s)| !s["build"].is_null())
        .map(|(n, _)| n.as_str().unwrap())
        .collect();
    assert!(peil.contains(&"init"), "{peil:?}");
    for name in &peil {
        let s = service(name);
        let dockerfile = deploy
            .join(s["build"]["context"].as_str().unwrap())
            .join(s["build"]["dockerfile"].as_str().unwrap_or("Dockerfile"));
        assert_eq!(
            dockerfile.canonicalize().unwrap(),
            root().join("Dockerfile").canonicalize().unwrap(),
            "{name} is built from the Dockerfile deploy.rs checks"
        );
        assert_eq!(image(name), image("init"), "{name}: one image");
        let secrets: Vec<&str> = s["secrets"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{name}: no secrets"))
            .iter()
            .map(|v| v.as_str().or(v["source"].as_str()).unwrap())
            .collect();
        assert!(secrets.contains(&"db_password"), "{name}: {secrets:?}");
        assert_eq!(s["environment"]["PEIL_SITE"].as_str(), Some("/site"));
        let env = serde_yaml::to_string(&s["environment"]).unwrap();
        assert!(!env.to_lowercase().contains("password"), "{name}: {env}");
    }
    assert!(
        doc["secrets"]["db_password"]["file"].as_str().is_some(),
        "the password is a secret file"
    );
    // Every peil command runs with this binary: the services' and the file's instructions.
    let mut commands: Vec<Vec<String>> = Vec::new();
    for name in &peil {
        let words = compose_command(&service(name)["command"]);
        if words[..2] == ["sh", "-c"] {
            commands.extend(shell_commands(&words[2]));
        } else {
            commands.push(words);
        }
    }
    for l in text
        .lines()
        .filter_map(|l| l.strip_prefix("#   docker compose "))
    {
        let words = shell_words(l);
        if let Some(p) = words.iter().position(|w| w == "peil") {
            commands.push(words[p..].to_vec());
        }
    }
    let peil_commands: Vec<&Vec<String>> = commands.iter().filter(|c| c[0] == "peil").collect();
    for c in &peil_commands {
        parses(
            &c.iter().map(String::as_str).collect::<Vec<_>>(),
            "compose.yaml",
        );
    }
    let init = peil_commands
        .iter()
        .find(|c| c[1] == "init")
        .expect("init makes the site");
    let flag = |name: &str| {
        let i = init
            .iter()
            .position(|w| w == name)
            .unwrap_or_else(|| panic!("init {name}"));
        init[i + 1].clone()
    };
    let url = flag("--store");
    assert!(url.starts_with("postgres://"), "{url}");
    let userinfo = url["postgres://".len()..].split('@').next().unwrap();
    assert!(!userinfo.contains(':'), "a password in {url}");
    assert_eq!(flag("--store-password-file"), "/run/secrets/db_password");
    let host = url
        .split('@')
        .nth(1)
        .unwrap()
        .split([':', '/'])
        .next()
        .unwrap();
    assert!(
        services.contains_key(host),
        "the store's host {host} is a service"
    );
    // Two replicas serving on 8080, the upstream servers of nginx.conf.
    let replicas: Vec<&str> = peil
        .iter()
        .copied()
        .filter(|n| {
            let c = compose_command(&service(n)["command"]);
            c.get(1).is_some_and(|w| w == "serve") && c.join(" ").contains("--bind 0.0.0.0:8080")
        })
        .collect();
    assert_eq!(replicas.len(), 2, "{replicas:?}");
    let conf = std::fs::read_to_string(deploy.join("nginx.conf")).unwrap();
    let mut upstreams: Vec<String> = conf
        .lines()
        .filter_map(|l| l.trim().strip_prefix("server "))
        .filter(|l| !l.starts_with('{'))
        .map(|l| {
            l.split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches(';')
                .to_string()
        })
        .collect();
    upstreams.sort();
    let mut want: Vec<String> = replicas.iter().map(|r| format!("{r}:8080")).collect();
    want.sort();
    assert_eq!(
        upstreams, want,
        "nginx.conf's upstream servers are the replicas"
    );
    // nginx mounts the tested nginx.conf as its whole configuration, published on its port.
    let nginx = service("nginx");
    assert!(image("nginx").starts_with("nginx:"));
    let mounts: Vec<&str> = nginx["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let conf_mount = mounts
        .iter()
        .find_map(|m| m.strip_suffix(":/etc/nginx/nginx.conf:ro"))
        .expect("nginx mounts its configuration read-only");
    assert_eq!(
        deploy.join(conf_mount).canonicalize().unwrap(),
        deploy.join("nginx.conf").canonicalize().unwrap(),
        "the configuration the failover test runs"
    );
    assert!(conf.contains("listen 80;"));
    let ports: Vec<&str> = nginx["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(ports.iter().any(|p| p.ends_with(":80")), "{ports:?}");
    // The site trusts the network nginx forwards from.
    let subnet = doc["networks"]["default"]["ipam"]["config"][0]["subnet"]
        .as_str()
        .expect("a fixed subnet");
    let init_line = compose_command(&service("init")["command"]).join(" ");
    assert!(
        init_line.contains(&format!("trusted_proxies = [\"{subnet}\"]")),
        "{init_line}"
    );
}

/// Behind nginx a replica sees the client's address, not nginx's: `deploy/nginx.conf` passes
/// X-Forwarded-For on and peil.toml's `trusted_proxies` names nginx, so the rate limit (one
/// request a second per address here, bursts of two, per replica) refuses one client
/// that goes over it and still serves another, though both reach the replicas from nginx's
/// one address.
#[test]
fn behind_nginx_each_client_address_has_its_own_rate_limit() {
    use crate::postgres::GEN_PATHS;
    if !have_nginx() {
        return;
    }
    let (_pg, _a, _b, nginx) = replicas_behind_nginx("rate_limit = 1\n");
    let agent = agent();
    let ask = |client: &str| {
        get_through(
            &agent,
            &nginx.front,
            GEN_PATHS[0],
            &[("x-forwarded-for", client)],
        )
        .unwrap()
        .status
    };
    // Two replicas with a burst of two each: of ten requests at once, some are over it.
    let statuses: Vec<u16> = (0..10).map(|_| ask("198.51.100.7")).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(ask("203.0.113.20"), 200, "another client is not held back");
}
