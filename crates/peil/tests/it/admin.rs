//! The back office (issue 14) over real HTTP against the real binary: login and logout,
//! lockout, CSRF on every state-changing route, session fixation and expiry, roles, what a
//! logged-in reader sees (and that no cache passes it on), the audit log, `peil users`.

use crate::common::*;
use std::collections::HashMap;
use std::time::Duration;

/// A restricted indicator of the demo (group `stadsdiensten`).
const RESTRICTED: &str = "v_leefloon";
const GROUP: &str = "stadsdiensten";

/// The demo site with `[admin]` settings, served.
pub(crate) fn serve(admin: &str) -> Server {
    serve_with(admin, false)
}

/// The same, for a site that is not public when `private`.
fn serve_with(admin: &str, private: bool) -> Server {
    let site = Site::demo();
    let toml = site.path().join("peil.toml");
    let mut config = std::fs::read_to_string(&toml).unwrap();
    if private {
        config = config.replace("public = true", "public = false");
        assert!(config.contains("public = false"));
    }
    config.push_str(&format!("\n[admin]\ninsecure_cookie = true\n{admin}\n"));
    std::fs::write(&toml, config).unwrap();
    Server::start(site)
}

/// Adds a user with the CLI; returns the generated password it printed once.
pub(crate) fn add_user(s: &Server, name: &str, role: &str, groups: &str) -> String {
    let mut args = vec!["users", "add", name, "--role", role];
    if !groups.is_empty() {
        args.extend(["--groups", groups]);
    }
    let out = s.site.ok(&args);
    let mut lines = out.lines();
    assert!(lines.next().unwrap().contains(name), "{out}");
    let pw = lines
        .next()
        .unwrap_or_else(|| panic!("no password in: {out}"))
        .trim();
    assert_eq!(pw.len(), 20, "{out}");
    pw.to_string()
}

/// An answer read off the wire.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of the first hidden `csrf` field of the page.
    pub(crate) fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf field in: {}", self.body));
        self.body[at + 19..].split('"').next().unwrap().to_string()
    }
}

/// A browser without JavaScript: keeps cookies, follows nothing by itself.
pub(crate) struct Browser<'a> {
    s: &'a Server,
    pub(crate) cookies: HashMap<String, String>,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(s: &'a Server) -> Browser<'a> {
        Browser {
            s,
            cookies: HashMap::new(),
        }
    }

    pub(crate) fn send(
        &mut self,
        method: &str,
        path: &str,
        form: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        let ct = (method == "POST").then_some("application/x-www-form-urlencoded");
        self.send_body(method, path, ct, form.as_bytes(), extra)
    }

    /// Sends a request with this body (and content type, if any).
    pub(crate) fn send_body(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
        extra: &[(&str, &str)],
    ) -> Answer {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.s.addr()
        );
        if !cookie.is_empty() {
            req.push_str(&format!("Cookie: {}\r\n", cookie.join("; ")));
        }
        for (k, v) in extra {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(ct) = content_type {
            req.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        if !extra
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            && method == "POST"
        {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        let (status, text) = self.s.raw(&bytes);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let headers: Vec<(String, String)> = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
            .collect();
        for (k, v) in &headers {
            if k == "set-cookie" {
                let pair = v.split(';').next().unwrap();
                let (name, value) = pair.split_once('=').unwrap();
                if value.is_empty() || v.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.into(), value.into());
                }
            }
        }
        Answer {
            status,
            headers,
            body: body.to_string(),
        }
    }

    pub(crate) fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, "", &[])
    }

    pub(crate) fn post(&mut self, path: &str, form: &str) -> Answer {
        self.send("POST", path, form, &[])
    }

    /// Logs in through the form; returns the answer to the posted form.
    pub(crate) fn login(&mut self, name: &str, password: &str) -> Answer {
        let form = self.get("/admin/login");
        assert_eq!(form.status, 200, "{}", form.body);
        let token = form.csrf();
        self.post(
            "/admin/login",
            &format!("csrf={token}&login={name}&password={}", enc(password)),
        )
    }

    /// The same browser, its cookies kept, sending to another server (a replica behind the
    /// same load balancer).
    pub(crate) fn to(&mut self, s: &'a Server) {
        self.s = s;
    }

    /// The session's CSRF token, from a page that carries it.
    pub(crate) fn token(&mut self) -> String {
        self.get("/admin/account").csrf()
    }
}

pub(crate) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The audit log's actions, oldest first, read from the store itself.
pub(crate) fn audit_actions(s: &Server) -> Vec<(String, String)> {
    pairs(&s.site, "SELECT who, action FROM audit_log ORDER BY id")
}

/// The rows of a query of two columns, read from the store itself.
fn pairs(site: &Site, query: &str) -> Vec<(String, String)> {
    site.sql(query)
        .unwrap()
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

pub(crate) fn count(s: &Server, action: &str) -> usize {
    audit_actions(s).iter().filter(|(_, a)| a == action).count()
}

#[test]
fn login_logout_and_failures_look_alike() {
    let s = serve("");
    let pw = add_user(&s, "ann", "beheerder", "");
    let mut b = Browser::new(&s);
    let home = b.get("/admin");
    assert_eq!(home.status, 303);
    assert_eq!(home.header("location"), Some("/admin/login?next=%2Fadmin"));
    // Wrong password and unknown user: the same page.
    let wrong = b.login("ann", "not the password at all");
    let unknown = b.login("nobody", "not the password at all");
    assert_eq!(wrong.status, 200);
    assert_eq!(wrong.status, unknown.status);
    assert!(wrong.body.contains("Aanmelden mislukt"), "{}", wrong.body);
    assert_eq!(
        wrong.body.replace("ann", "X"),
        unknown.body.replace("nobody", "X")
    );
    assert!(!b.cookies.contains_key("peil_session"));
    let ok = b.login("ann", &pw);
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.header("location"), Some("/admin"));
    let cookie = ok
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("peil_session="))
        .unwrap();
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.1.contains(attr), "{}", cookie.1);
    }
    let home = b.get("/admin");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("ann"));
    assert_eq!(home.header("cache-control"), Some("private, no-store"));
    let session = b.cookies["peil_session"].clone();
    let token = b.token();
    let out = b.post("/admin/logout", &format!("csrf={token}"));
    assert_eq!(out.status, 303);
    assert!(!b.cookies.contains_key("peil_session"));
    // The old cookie opens nothing any more.
    b.cookies.insert("peil_session".into(), session);
    assert_eq!(b.get("/admin").status, 303);
    let actions = audit_actions(&s);
    for want in [("-", "login failed"), ("ann", "login"), ("ann", "logout")] {
        assert!(
            actions
                .iter()
                .any(|(w, a)| (w.as_str(), a.as_str()) == want),
            "{want:?} in {actions:?}"
        );
    }
    assert_eq!(count(&s, "login failed"), 2);
}

#[test]
fn failures_lock_an_account_with_back_off_and_a_reset_unlocks() {
    let s = serve("lockout_seconds = 2\nfailures_per_address = 1000");
    let admin_pw = add_user(&s, "ann", "beheerder", "");
    let pw = add_user(&s, "bob", "expert", "");
    let mut b = Browser::new(&s);
    for _ in 0..5 {
        assert_eq!(b.login("bob", "wrong password!!").status, 200);
    }
    assert_eq!(count(&s, "account locked"), 1);
    // Locked: even the right password fails, with the same page.
    let locked = b.login("bob", &pw);
    assert_eq!(locked.status, 200);
    assert!(locked.body.contains("Aanmelden mislukt"));
    std::thread::sleep(Duration::from_millis(2300));
    assert_eq!(b.login("bob", &pw).status, 303, "the lock has passed");
    // Back-off: five failures lock for 2 s, the sixth for 4 s.
    let mut b = Browser::new(&s);
    for _ in 0..5 {
        b.login("bob", "wrong password!!");
    }
    std::thread::sleep(Duration::from_millis(2300));
    b.login("bob", "wrong password!!");
    std::thread::sleep(Duration::from_millis(2300));
    assert_eq!(
        b.login("bob", &pw).status,
        200,
        "still locked: the lock doubled"
    );
    // An administrator's reset unlocks at once, with a password shown once.
    let mut admin = Browser::new(&s);
    assert_eq!(admin.login("ann", &admin_pw).status, 303);
    let token = admin.get("/admin/users").csrf();
    let reset = admin.post("/admin/users/bob", &format!("csrf={token}&action=reset"));
    assert_eq!(reset.status, 200, "{}", reset.body);
    let at = reset.body.find("<code class=\"secret\">").unwrap();
    let new_pw = reset.body[at + 21..].split('<').next().unwrap().to_string();
    assert_eq!(b.login("bob", &pw).status, 200, "the old password is gone");
    assert_eq!(b.login("bob", &new_pw).status, 303);
    assert_eq!(count(&s, "password reset"), 1);
}

#[test]
fn too_many_failures_from_one_address_are_refused_before_hashing() {
    let s = serve("failures_per_address = 3");
    add_user(&s, "ann", "beheerder", "");
    let mut b = Browser::new(&s);
    for _ in 0..3 {
        assert_eq!(b.login("ann", "wrong password!!").status, 200);
    }
    assert_eq!(b.login("ann", "wrong password!!").status, 429);
    assert_eq!(count(&s, "login refused (address)"), 1);
}

#[test]
fn every_state_changing_route_refuses_a_missing_or_wrong_token() {
    let s = serve("");
    let pw = add_user(&s, "ann", "beheerder", "");
    let mut b = Browser::new(&s);
    assert_eq!(b.login("ann", &pw).status, 303);
    let good = b.token();
    let routes: Vec<_> = peil_serve::admin::route_specs()
        .into_iter()
        .filter(|r| r.method != peil_serve::admin::Method::GET)
        .collect();
    assert!(
        routes.iter().any(|r| r.path == "/admin/users"),
        "{routes:?}"
    );
    assert!(
        routes
            .iter()
            .any(|r| r.path == "/en/admin/keys/{id}/revoke")
    );
    let mut refused = 0;
    for r in &routes {
        let path = r
            .path
            .replace("{login}", "ann")
            .replace("{id}", "1")
            .replace("{code}", "energie")
            .replace("{name}", "buurt")
            .replace("{file}", "a.png");
        for (form, headers) in [
            ("action=disable".to_string(), vec![]),
            (format!("csrf={}&action=disable", "0".repeat(64)), vec![]),
            (format!("csrf={good}x&action=disable"), vec![]),
            // The right token from another site.
            (
                format!("csrf={good}&action=disable"),
                vec![("Origin", "http://evil.example")],
            ),
            (
                format!("csrf={good}&action=disable"),
                vec![("Referer", "http://evil.example/page")],
            ),
        ] {
            let a = b.send(r.method.as_str(), &path, &form, &headers);
            assert_eq!(
                a.status, 403,
                "{} {path} with {form} {headers:?}: {}",
                r.method, a.body
            );
            refused += 1;
        }
    }
    // Every refusal is in the audit log, and nothing was done.
    assert_eq!(count(&s, "request refused (csrf)"), refused);
    assert_eq!(count(&s, "user disabled"), 0);
    assert_eq!(b.get("/admin").status, 200, "still logged in");
    // The right token from this site passes.
    let origin = format!("http://{}", s.addr());
    let ok = b.send(
        "POST",
        "/admin/keys",
        &format!("csrf={good}&name=dash&groups={GROUP}"),
        &[("Origin", &origin)],
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("peil_"), "the key is shown once");
    // Login CSRF: a login form posted without the form's own cookie is refused.
    let mut stranger = Browser::new(&s);
    let a = stranger.post(
        "/admin/login",
        &format!("csrf={}&login=ann&password={}", "a".repeat(64), enc(&pw)),
    );
    assert_eq!(a.status, 403);
    assert!(!stranger.cookies.contains_key("peil_session"));
}

#[test]
fn a_session_id_is_new_at_login_and_expires() {
    let s = serve("session_idle_minutes = 0.05");
    let pw = add_user(&s, "ann", "beheerder", "");
    let mut b = Browser::new(&s);
    let planted = "ab".repeat(32);
    b.cookies.insert("peil_session".into(), planted.clone());
    assert_eq!(b.login("ann", &pw).status, 303);
    let now = b.cookies["peil_session"].clone();
    assert_ne!(now, planted, "the session id is made at login");
    let mut attacker = Browser::new(&s);
    attacker.cookies.insert("peil_session".into(), planted);
    assert_eq!(attacker.get("/admin").status, 303);
    assert_eq!(b.get("/admin").status, 200);
    // Idle for longer than 3 s: the session is gone.
    std::thread::sleep(Duration::from_millis(4200));
    assert_eq!(b.get("/admin").status, 303);

    // Absolute expiry: used every second, it still ends 3.6 s after login.
    let s = serve("session_max_hours = 0.001");
    let pw = add_user(&s, "ann", "beheerder", "");
    let mut b = Browser::new(&s);
    assert_eq!(b.login("ann", &pw).status, 303);
    let t = std::time::Instant::now();
    while b.get("/admin").status == 200 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the session never ended"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        t.elapsed() > Duration::from_secs(2),
        "ended after {:?}",
        t.elapsed()
    );
}

#[test]
fn roles_decide_which_pages_open() {
    let s = serve("");
    let expert = add_user(&s, "eva", "expert", "");
    let viewer = add_user(&s, "vic", "viewer", GROUP);
    let mut e = Browser::new(&s);
    assert_eq!(e.login("eva", &expert).status, 303);
    assert_eq!(e.get("/admin").status, 200);
    for path in [
        "/admin/users",
        "/admin/keys",
        "/admin/audit",
        "/en/admin/users",
    ] {
        assert_eq!(e.get(path).status, 403, "{path}");
    }
    let mut v = Browser::new(&s);
    let landed = v.login("vic", &viewer);
    assert_eq!(landed.header("location"), Some("/admin/account"));
    assert_eq!(v.get("/admin/account").status, 200);
    assert_eq!(v.get("/admin").status, 403);
    let mut anonymous = Browser::new(&s);
    let a = anonymous.get("/admin/users");
    assert_eq!(a.status, 303);
    assert!(a.header("location").unwrap().starts_with("/admin/login"));
    // A POST from a role too low is refused by the guard (with a valid token).
    let token = e.token();
    let r = e.post(
        "/admin/users",
        &format!("csrf={token}&login=x&role=beheerder"),
    );
    assert_eq!(r.status, 403);
    // Each attempt beyond a role is in the audit log: by whom, on what.
    let refused = pairs(
        &s.site,
        "SELECT who, detail FROM audit_log WHERE action = 'request refused (role)' ORDER BY id",
    );
    let of = |who: &str, path: &str, method: &str| {
        refused.iter().any(|(w, d)| {
            w == who && d.contains(&format!("\"path\":\"{path}\"")) && d.contains(method)
        })
    };
    assert!(of("eva", "/admin/users", "GET"), "{refused:?}");
    assert!(of("eva", "/en/admin/users", "GET"), "{refused:?}");
    assert!(of("eva", "/admin/users", "POST"), "{refused:?}");
    assert!(of("vic", "/admin", "GET"), "{refused:?}");
    assert_eq!(
        refused.len(),
        6,
        "one line per refused request: {refused:?}"
    );
}

#[test]
fn a_viewer_reads_their_groups_data_and_no_cache_passes_it_on() {
    let s = serve("");
    let pw = add_user(&s, "vic", "viewer", GROUP);
    let page = format!("/indicator/{RESTRICTED}");
    let api = format!("/api/v1/data?indicator={RESTRICTED}&level=wijk&period=2021&format=csv");
    let mut anonymous = Browser::new(&s);
    // Anonymous first, so that the cache holds the anonymous answers.
    for p in [&page, &api] {
        assert_eq!(anonymous.get(p).status, 404, "{p}");
    }
    // A public answer tells shared caches that a cookie (a session) may change it.
    let public = anonymous.get("/indicator/v1101_t");
    assert_eq!(public.status, 200);
    let vary = public.header("vary").unwrap_or_default().to_string();
    assert!(vary.split(',').any(|v| v.trim() == "cookie"), "{vary}");
    let mut v = Browser::new(&s);
    assert_eq!(v.login("vic", &pw).status, 303);
    for p in [&page, &api] {
        let a = v.get(p);
        assert_eq!(a.status, 200, "{p}: {}", a.body);
        assert_eq!(a.header("cache-control"), Some("private, no-store"), "{p}");
        assert!(a.header("etag").is_none(), "{p}");
    }
    let html = v.get(&page);
    assert!(html.body.contains("class=\"intern\""), "the intern mark");
    assert!(html.body.contains("Aangemeld als"), "logged in as");
    // The viewer's answers are never served to anyone else.
    for p in [&page, &api] {
        assert_eq!(anonymous.get(p).status, 404, "{p}");
    }
    let token = v.get(&page).csrf();
    assert_eq!(
        v.post("/admin/logout", &format!("csrf={token}")).status,
        303
    );
    for p in [&page, &api] {
        assert_eq!(v.get(p).status, 404, "{p} after logout");
    }
}

#[test]
fn the_audit_log_is_append_only() {
    let s = serve("");
    add_user(&s, "ann", "beheerder", "");
    for sql in ["UPDATE audit_log SET who = 'eve'", "DELETE FROM audit_log"] {
        let e = s.site.sql(sql).unwrap_err();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
    assert_eq!(count(&s, "user created"), 1);
}

#[test]
fn users_cli_round_trip() {
    let s = serve("");
    let pw = add_user(&s, "ann", "beheerder", "a,b");
    let list = s.site.ok(&["users", "list"]);
    assert!(
        list.contains("ann")
            && list.contains("beheerder")
            && list.contains("a,b")
            && list.contains("active"),
        "{list}"
    );
    s.site.ok(&["users", "disable", "ann"]);
    assert!(s.site.ok(&["users", "list"]).contains("disabled"));
    let mut b = Browser::new(&s);
    assert_eq!(
        b.login("ann", &pw).status,
        200,
        "a disabled user cannot log in"
    );
    s.site.ok(&["users", "enable", "ann"]);
    assert_eq!(b.login("ann", &pw).status, 303);
    let out = s.site.ok(&["users", "reset", "ann"]);
    let new_pw = out.lines().nth(1).unwrap().trim().to_string();
    assert_eq!(b.get("/admin").status, 303, "a reset ends the sessions");
    assert_eq!(b.login("ann", &new_pw).status, 303);
    // --password-stdin, and the refusals say what was expected.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_peil"))
        .arg("--site")
        .arg(s.site.path())
        .args([
            "users",
            "add",
            "bert",
            "--role",
            "expert",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(
        Browser::new(&s)
            .login("bert", "a long enough password")
            .status,
        303
    );
    let e = s.site.run(&["users", "add", "x", "--role", "root"]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("expected viewer, expert or beheerder"));
    let e = s.site.run(&["users", "add", "ANN", "--role", "viewer"]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("exists already"));
    let e = s.site.run(&["users", "disable", "nobody"]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("no user 'nobody'"));
    let actions: Vec<String> = audit_actions(&s).into_iter().map(|(_, a)| a).collect();
    for want in [
        "user created",
        "user disabled",
        "user enabled",
        "password reset",
    ] {
        assert!(actions.iter().any(|a| a == want), "{want} in {actions:?}");
    }
}

#[test]
fn on_a_site_that_is_not_public_a_logged_in_user_reads_without_a_key() {
    let s = serve_with("", true);
    let pw = add_user(&s, "vic", "viewer", GROUP);
    let mut anonymous = Browser::new(&s);
    assert_eq!(anonymous.get("/").status, 401);
    assert_eq!(
        anonymous.get(&format!("/indicator/{RESTRICTED}")).status,
        401
    );
    // The login form (and its style sheet) opens without a key; nothing else does.
    assert_eq!(anonymous.get("/admin/login").status, 200);
    assert_eq!(anonymous.get("/static/peil.css").status, 200);
    let mut v = Browser::new(&s);
    assert_eq!(v.login("vic", &pw).status, 303);
    assert_eq!(v.get("/").status, 200);
    let a = v.get(&format!("/indicator/{RESTRICTED}"));
    assert_eq!(a.status, 200);
    assert_eq!(a.header("cache-control"), Some("private, no-store"));
}

// --- the data pages: upload, dry run, import, publish, roll back ----------------------------

/// A multipart form as a browser sends it: the CSRF token first, then options, then files.
fn multipart(csrf: &str, fields: &[(&str, &str)], files: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----peiltestboundary7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (name, value) in std::iter::once(&("csrf", csrf)).chain(fields) {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    for (file, text) in files {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{file}\"\r\nContent-Type: text/csv\r\n\r\n{text}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

/// The statsec population of 2021 the API serves for `area` (`None`: no value).
pub(crate) fn population(s: &Server, area: &str) -> Option<String> {
    population_row(s, area)
        .map(|(value, _)| value)
        .filter(|v| !v.is_empty())
}

/// The statsec population of 2021 the API's CSV has for `area`: (value, status).
fn population_row(s: &Server, area: &str) -> Option<(String, String)> {
    let csv = s.get("/api/v1/data?indicator=v1101_t&level=statsec&period=2021&format=csv");
    assert_eq!(csv.status, 200, "{}", csv.body);
    let mut rd = csv::ReaderBuilder::new().from_reader(csv.body.as_bytes());
    let h: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    rd.records()
        .map(Result::unwrap)
        .find(|r| &r[col("item")] == area)
        .map(|r| (r[col("value")].to_string(), r[col("status")].to_string()))
}

/// The first statsec with a population in 2021, and that population.
pub(crate) fn some_sector(s: &Server) -> (String, String) {
    let csv = s.get("/api/v1/data?indicator=v1101_t&level=statsec&period=2021&format=csv");
    let mut rd = csv::ReaderBuilder::new().from_reader(csv.body.as_bytes());
    let h: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    rd.records()
        .map(Result::unwrap)
        .find(|r| !r[col("value")].is_empty())
        .map(|r| (r[col("item")].to_string(), r[col("value")].to_string()))
        .unwrap_or_else(|| panic!("no statsec population in: {}", csv.body))
}

fn import_count(s: &Server) -> usize {
    let out = s.site.ok(&["imports", "--json"]);
    serde_json::from_str::<serde_json::Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .len()
}

/// Files left in the back office's upload folders.
fn uploads_left(s: &Server) -> usize {
    let root = s.site.store().parent().unwrap().join(".uploads");
    std::fs::read_dir(root)
        .map(|d| d.flatten().count())
        .unwrap_or(0)
}

/// The value of a hidden field of a page.
pub(crate) fn hidden(a: &Answer, name: &str) -> String {
    let pat = format!("name=\"{name}\" value=\"");
    let at = a
        .body
        .find(&pat)
        .unwrap_or_else(|| panic!("no {name} field in: {}", a.body));
    a.body[at + pat.len()..]
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

/// Waits until the API serves `want` for `area` (the server polls the store).
pub(crate) fn wait_for(s: &Server, area: &str, want: &str) {
    let t0 = std::time::Instant::now();
    while population(s, area).as_deref() != Some(want) {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the API still serves {:?} for {area}, expected {want}",
            population(s, area)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_expert_uploads_dry_runs_imports_publishes_and_rolls_back() {
    let s = serve("");
    let pw = add_user(&s, "eva", "expert", "");
    let mut b = Browser::new(&s);
    assert_eq!(b.login("eva", &pw).status, 303);
    let csrf = b.token();
    let (area, old) = some_sector(&s);
    let new = "98765";
    // The publish page before the import: its diff is computed and kept.
    let before_import = b.get("/admin/publish");
    assert_eq!(before_import.status, 200, "{}", before_import.body);
    assert!(!before_import.body.contains("<td>98765</td>"));
    let file =
        format!("period,geolevel,geoitem,indicator,value\n2021,statsec,{area},v1101_t,{new}\n");
    let before = import_count(&s);
    let form = b.get("/admin/import");
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.body.contains("type=\"file\" multiple"),
        "{}",
        form.body
    );
    // The dry run reports and writes nothing.
    let (ct, body) = multipart(
        &csrf,
        &[("kind", ""), ("clear", "none")],
        &[("bevolking.csv", &file)],
    );
    let dry = b.send_body("POST", "/admin/import/dry-run", Some(&ct), &body, &[]);
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert!(dry.body.contains("bevolking.csv (data)"), "{}", dry.body);
    assert!(
        dry.body.contains(&format!("<td>{old}</td><td>{new}</td>")),
        "old → new: {}",
        dry.body
    );
    assert_eq!(import_count(&s), before, "a dry run writes nothing");
    assert_eq!(count(&s, "import.dry_run"), 1);
    // The import of exactly those files.
    let token = hidden(&dry, "token");
    let done = b.post("/admin/import/run", &format!("csrf={}&token={token}", csrf));
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(import_count(&s), before + 1);
    assert_eq!(uploads_left(&s), 0, "the saved files are removed");
    let again = b.post("/admin/import/run", &format!("csrf={}&token={token}", csrf));
    assert_eq!(again.status, 410, "a token imports once: {}", again.body);
    let history = b.get("/admin/imports");
    assert!(history.body.contains("bevolking.csv"), "{}", history.body);
    assert_eq!(count(&s, "import"), 1);
    // The publish page shows the change (the import invalidated the kept diff); publishing
    // makes the API answer it.
    let page = b.get("/admin/publish");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(&format!("<td>{old}</td><td>{new}</td>")),
        "{}",
        page.body
    );
    assert_eq!(population(&s, &area).as_deref(), Some(old.as_str()));
    let published = b.post("/admin/publish", &format!("csrf={}", csrf));
    assert_eq!(published.status, 303, "{}", published.body);
    wait_for(&s, &area, new);
    assert_eq!(count(&s, "publish"), 1);
    // Roll back to the previous generation: the old value again.
    let page = b.get("/admin/publish");
    let at = page
        .body
        .find("/admin/publications/")
        .expect("a rollback button");
    let generation: String = page.body[at + 20..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let back = b.post(
        &format!("/admin/publications/{generation}/rollback"),
        &format!("csrf={}", csrf),
    );
    assert_eq!(back.status, 303, "{}", back.body);
    wait_for(&s, &area, &old);
    assert_eq!(count(&s, "rollback"), 1);
    // A published import cannot be undone; the page says why.
    let out = s.site.ok(&["imports", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = list.as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap();
    let undo = b.post(
        &format!("/admin/imports/{id}/undo"),
        &format!("csrf={}", csrf),
    );
    assert_eq!(undo.status, 409, "{}", undo.body);
    assert!(
        undo.body
            .contains(&format!("import #{id} cannot be undone")),
        "{}",
        undo.body
    );
    assert_eq!(count(&s, "import.undo refused"), 1);
}

#[test]
fn data_pages_refuse_viewers_and_oversize_uploads() {
    let s = serve("");
    let vpw = add_user(&s, "vic", "viewer", "");
    let epw = add_user(&s, "eva", "expert", "");
    let mut v = Browser::new(&s);
    assert_eq!(v.login("vic", &vpw).status, 303);
    let token = v.token();
    for (method, path) in [
        ("GET", "/admin/import"),
        ("POST", "/admin/import/dry-run"),
        ("POST", "/admin/import/run"),
        ("GET", "/admin/imports"),
        ("GET", "/admin/imports/1"),
        ("POST", "/admin/imports/1/undo"),
        ("GET", "/admin/publish"),
        ("POST", "/admin/publish"),
        ("POST", "/admin/publications/1/rollback"),
    ] {
        let a = v.send(method, path, &format!("csrf={token}"), &[]);
        assert_eq!(a.status, 403, "{method} {path}: {}", a.body);
    }
    // A viewer's navigation has none of them.
    assert!(!v.get("/admin/account").body.contains("/admin/publish"));
    // An upload declared over the limit is refused before it is read; nothing is saved.
    let mut e = Browser::new(&s);
    assert_eq!(e.login("eva", &epw).status, 303);
    let (ct, body) = multipart(&e.token(), &[], &[("big.csv", "period,geolevel\n")]);
    let big = (peil_serve::limits::MAX_UPLOAD + 1).to_string();
    let a = e.send_body(
        "POST",
        "/admin/import/dry-run",
        Some(&ct),
        &body,
        &[("Content-Length", &big)],
    );
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(uploads_left(&s), 0);
    // Without the token first in the form, an upload is refused as any post is.
    let (ct, body) = multipart("", &[], &[("a.csv", "x\n")]);
    let a = e.send_body("POST", "/admin/import/dry-run", Some(&ct), &body, &[]);
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(uploads_left(&s), 0);
}

#[test]
fn the_back_office_refuses_groups_that_mean_nothing_as_the_cli_does() {
    let s = serve("");
    let pw = add_user(&s, "ann", "beheerder", "");
    s.site
        .ok(&["groups", "add", "wijkteam", "--levels", "wijk"]);
    let mut b = Browser::new(&s);
    assert_eq!(b.login("ann", &pw).status, 303);
    // A user with a misspelt group: refused, saying which names are expected; nobody added.
    let token = b.get("/admin/users").csrf();
    let typo = b.post(
        "/admin/users",
        &format!("csrf={token}&login=bert&role=viewer&groups=wijktem"),
    );
    assert_eq!(typo.status, 400, "{}", typo.body);
    assert!(typo.body.contains("unknown access group"), "{}", typo.body);
    assert!(typo.body.contains("wijkteam"), "{}", typo.body);
    assert!(!s.site.ok(&["users", "list"]).contains("bert"));
    // The same name defined: taken.
    let ok = b.post(
        "/admin/users",
        &format!("csrf={token}&login=bert&role=viewer&groups=wijkteam"),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    // Changing a user's groups and creating a key check the same rule.
    let save = b.post(
        "/admin/users/bert",
        &format!("csrf={token}&action=save&role=viewer&groups=nobody&name=Bert"),
    );
    assert_eq!(save.status, 400, "{}", save.body);
    assert!(save.body.contains("unknown access group"), "{}", save.body);
    let key = b.post(
        "/admin/keys",
        &format!("csrf={token}&name=dash&groups=nobody"),
    );
    assert_eq!(key.status, 400, "{}", key.body);
    assert!(key.body.contains("unknown access group"), "{}", key.body);
    assert!(!s.site.ok(&["keys", "list"]).contains("dash"));
}

/// The rows with a value a CSV answer carries for this browser (none when refused; a cell
/// outside the reader's grants is a row without value, as a level without data).
fn csv_rows(b: &mut Browser, path: &str) -> usize {
    let a = b.get(path);
    match a.status {
        // The last columns are value, status, flag.
        200 => a
            .body
            .lines()
            .skip(1)
            .filter(|l| l.rsplit(',').nth(2).is_some_and(|v| !v.is_empty()))
            .count(),
        404 => 0,
        other => panic!("{path}: {other} {}", a.body),
    }
}

/// Polls until `path` holds data rows for this browser or not (a group change applies
/// within one poll of the access revision, not at once).
fn wait_rows(b: &mut Browser, path: &str, some: bool) {
    let t0 = std::time::Instant::now();
    loop {
        let n = csv_rows(b, path);
        if (n > 0) == some {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "{path}: still {n} rows, expected {}",
            if some { "some" } else { "none" }
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_administrator_defines_access_groups_in_the_browser() {
    let s = serve("");
    let pw = add_user(&s, "ann", "beheerder", "");
    let expert = add_user(&s, "eva", "expert", "");
    let mut b = Browser::new(&s);
    assert_eq!(b.login("ann", &pw).status, 303);
    let page = b.get("/admin/groups");
    assert_eq!(page.status, 200, "{}", page.body);
    let token = page.csrf();
    let form = |name: &str, original: &str, rest: &str| {
        format!("csrf={token}&original={original}&name={name}&description=Wijkwerkers{rest}")
    };

    // Refused: a bad name, an unknown level, a backwards period range — nothing stored, the
    // typed text kept in the form.
    for (f, why) in [
        (form("wijk%20team", "", ""), "not a group name"),
        (
            form("wijkteam", "", "&indicators=v_leefloon&levels=wjik"),
            "unknown geo level &#39;wjik&#39;",
        ),
        (
            form("wijkteam", "", "&indicators=v_leefloon&periods=2022%3A2019"),
            "ends before it starts",
        ),
        (
            form("wijkteam", "", "&indicators=v_leefloonx"),
            "unknown indicator &#39;v_leefloonx&#39;",
        ),
    ] {
        let r = b.post("/admin/groups", &f);
        assert_eq!(r.status, 400, "{f}: {}", r.body);
        assert!(r.body.contains(why), "{why}: {}", r.body);
    }
    assert!(s.site.ok(&["groups", "list"]).trim().is_empty());
    let kept = b.post(
        "/admin/groups",
        &form("wijkteam", "", "&indicators=v_leefloon&levels=wjik"),
    );
    assert!(kept.body.contains("value=\"wjik\""), "{}", kept.body);

    // Added: the CLI shows what the form defined.
    let r = b.post(
        "/admin/groups",
        &form(
            "wijkteam",
            "",
            "&indicators=v_leefloon&levels=wijk&periods=2019%3A2022",
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let shown = s.site.ok(&["groups", "show", "wijkteam"]);
    assert!(shown.contains("indicators:  v_leefloon"), "{shown}");
    assert!(shown.contains("levels:      wijk"), "{shown}");
    assert!(shown.contains("periods:     2019:2022"), "{shown}");
    // Adding it again is refused (its own form changes it); renaming is refused.
    let again = b.post(
        "/admin/groups",
        &form("wijkteam", "", "&indicators=v_leefloon"),
    );
    assert_eq!(again.status, 400, "{}", again.body);
    let renamed = b.post("/admin/groups", &form("buurtteam", "wijkteam", ""));
    assert_eq!(renamed.status, 400, "{}", renamed.body);

    // A viewer in the group reads the restricted indicator at the granted level, once the
    // server has seen the change; anonymous does not.
    let vpw = add_user(&s, "vic", "viewer", "wijkteam");
    let mut v = Browser::new(&s);
    assert_eq!(v.login("vic", &vpw).status, 303);
    let wijk = format!("/api/v1/data?indicator={RESTRICTED}&level=wijk&period=2021&format=csv");
    wait_rows(&mut v, &wijk, true);
    assert_eq!(Browser::new(&s).get(&wijk).status, 404);

    // Changed in its own form: the period range no longer holds 2021.
    let r = b.post(
        "/admin/groups",
        &form(
            "wijkteam",
            "wijkteam",
            "&indicators=v_leefloon&levels=wijk&periods=2022%3A2022",
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    wait_rows(&mut v, &wijk, false);

    // Removing a group a user still has is refused, naming the user; after the user is
    // disabled it goes.
    let refused = b.post("/admin/groups/wijkteam/remove", &format!("csrf={token}"));
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("vic"), "{}", refused.body);
    s.site.ok(&["users", "disable", "vic"]);
    let gone = b.post("/admin/groups/wijkteam/remove", &format!("csrf={token}"));
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert!(s.site.ok(&["groups", "list"]).trim().is_empty());
    let none = b.post("/admin/groups/wijkteam/remove", &format!("csrf={token}"));
    assert_eq!(none.status, 404);

    // Audited: created, changed, removed — by ann.
    let log = audit_actions(&s);
    for action in ["group created", "group changed", "group removed"] {
        assert!(
            log.iter().any(|(w, a)| w == "ann" && a == action),
            "{action}: {log:?}"
        );
    }
    // An expert cannot manage groups.
    let mut e = Browser::new(&s);
    assert_eq!(e.login("eva", &expert).status, 303);
    assert_eq!(e.get("/admin/groups").status, 403);
    let t = e.token();
    let r = e.post(
        "/admin/groups",
        &format!("csrf={t}&original=&name=x&description=x"),
    );
    assert_eq!(r.status, 403);
}

/// The audit log's "from where" of each line, oldest first.
fn audit_clients(s: &Server) -> Vec<(String, String)> {
    pairs(&s.site, "SELECT action, client FROM audit_log ORDER BY id")
}

#[test]
fn behind_a_trusted_proxy_the_forwarded_address_counts_and_a_forged_one_does_not() {
    // Without trusted proxies a client's own X-Forwarded-For is ignored.
    let s = serve("");
    add_user(&s, "ann", "beheerder", "");
    let mut b = Browser::new(&s);
    let token = b.get("/admin/login").csrf();
    let forged = [("X-Forwarded-For", "198.51.100.7")];
    b.send(
        "POST",
        "/admin/login",
        &format!("csrf={token}&login=ann&password=wrong"),
        &forged,
    );
    let last = audit_clients(&s).pop().unwrap();
    assert_eq!(last, ("login failed".to_string(), "127.0.0.1".to_string()));

    // Behind a trusted proxy (here: loopback) the address the proxy appended is the client,
    // whatever the client itself put in front of it.
    let site = Site::demo();
    let toml = site.path().join("peil.toml");
    let config = std::fs::read_to_string(&toml).unwrap();
    let config = format!(
        "trusted_proxies = [\"127.0.0.1\", \"::1\"]\n{config}\n[admin]\ninsecure_cookie = true\nfailures_per_address = 3\n"
    );
    std::fs::write(&toml, config).unwrap();
    let s = Server::start(site);
    let pw = add_user(&s, "ann", "beheerder", "");
    let mut b = Browser::new(&s);
    let token = b.get("/admin/login").csrf();
    let via = |client: &str| format!("6.6.6.6, {client}");
    for _ in 0..3 {
        let h = via("198.51.100.7");
        b.send(
            "POST",
            "/admin/login",
            &format!("csrf={token}&login=ann&password=wrong"),
            &[("X-Forwarded-For", h.as_str())],
        );
    }
    let clients = audit_clients(&s);
    assert!(
        clients
            .iter()
            .filter(|(a, _)| a == "login failed")
            .all(|(_, c)| c == "198.51.100.7"),
        "{clients:?}"
    );
    // That address is now over its limit; another one behind the same proxy is not.
    let h = via("198.51.100.7");
    b.send(
        "POST",
        "/admin/login",
        &format!("csrf={token}&login=ann&password={}", enc(&pw)),
        &[("X-Forwarded-For", h.as_str())],
    );
    assert_eq!(
        audit_clients(&s).pop().unwrap(),
        (
            "login refused (address)".to_string(),
            "198.51.100.7".to_string()
        )
    );
    let h = via("203.0.113.5");
    let ok = b.send(
        "POST",
        "/admin/login",
        &format!("csrf={token}&login=ann&password={}", enc(&pw)),
        &[("X-Forwarded-For", h.as_str())],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(
        audit_clients(&s).pop().unwrap(),
        ("login".to_string(), "203.0.113.5".to_string())
    );
}

/// The statsec population of 2021 for `area` as the API's CSV has it: (value, status).
fn population_cell(s: &Server, area: &str) -> (String, String) {
    population_row(s, area).unwrap_or_else(|| panic!("no row for {area}"))
}

#[test]
fn the_upload_form_offers_the_import_options_of_the_command_line() {
    let s = serve("");
    let pw = add_user(&s, "eva", "expert", "");
    let mut b = Browser::new(&s);
    assert_eq!(b.login("eva", &pw).status, 303);
    let csrf = b.token();
    let csv = s.get("/api/v1/data?indicator=v1101_t&level=statsec&period=2021&format=csv");
    let areas: Vec<String> = csv
        .body
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(4).map(str::to_string))
        .take(2)
        .collect();
    let (a, z) = (&areas[0], &areas[1]);
    // A Belgian Excel export: semicolons, decimal commas, its own column names, a record in
    // two parts to add up, a blank cell that means "hidden".
    let file = format!(
        "jaar;code;indicator;waarde\n2021;{a};v1101_t;100,5\n2021;{a};v1101_t;200,25\n2021;{z};v1101_t;\n"
    );
    let options: &[(&str, &str)] = &[
        ("kind", "data"),
        ("clear", "none"),
        ("delimiter", ";"),
        ("decimal", "comma"),
        ("geolevel", "statsec"),
        ("period_column", "jaar"),
        ("geoitem_column", "code"),
        ("value_column", "waarde"),
        ("totalize_duplicates", "1"),
        ("empty_as", "x"),
    ];
    // Without adding up, the duplicate is an error (the option is what makes it pass).
    let without: Vec<(&str, &str)> = options
        .iter()
        .copied()
        .filter(|(k, _)| *k != "totalize_duplicates")
        .collect();
    let (ct, body) = multipart(&csrf, &without, &[("export.csv", &file)]);
    let refused = b.send_body("POST", "/admin/import/dry-run", Some(&ct), &body, &[]);
    assert!(refused.body.contains("notice error"), "{}", refused.body);
    // With every option: the values as meant.
    let (ct, body) = multipart(&csrf, options, &[("export.csv", &file)]);
    let dry = b.send_body("POST", "/admin/import/dry-run", Some(&ct), &body, &[]);
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert!(!dry.body.contains("notice error"), "{}", dry.body);
    // The form shows back what was chosen.
    assert!(
        dry.body.contains("<option value=\";\" selected>"),
        "{}",
        dry.body
    );
    assert!(
        dry.body
            .contains("name=\"totalize_duplicates\" type=\"checkbox\" value=\"1\" checked"),
        "{}",
        dry.body
    );
    let token = hidden(&dry, "token");
    let done = b.post("/admin/import/run", &format!("csrf={csrf}&token={token}"));
    assert_eq!(done.status, 200, "{}", done.body);
    let published = b.post("/admin/publish", &format!("csrf={csrf}"));
    assert_eq!(published.status, 303, "{}", published.body);
    wait_for(&s, a, "300.75");
    assert_eq!(population_cell(&s, z), (String::new(), "x".to_string()));
    // A bad option is refused with what is expected, before any file is read.
    let (ct, body) = multipart(
        &csrf,
        &[("kind", "data"), ("empty_as", "zero")],
        &[("export.csv", &file)],
    );
    let bad = b.send_body("POST", "/admin/import/dry-run", Some(&ct), &body, &[]);
    assert!(bad.body.contains("not a missing symbol"), "{}", bad.body);
}
