//! Single sign-on of the back office (issue 14) against a real OpenID Connect provider: the
//! npm `oidc-provider` package (`tests/browser/oidc-provider.mjs`), driven over HTTP like a
//! browser without JavaScript (cookies kept, redirects followed, the provider's login and
//! consent forms submitted). Login with the mapped role and groups, logout at the provider,
//! and the attacks: a forged state, a replayed callback, a replayed code, a changed nonce, a
//! provider whose issuer is not the configured one, a provider that is down.
//!
//! Needs Node.js and `npm ci --prefix tests/browser` (test.sh does both); without them the
//! test is skipped with a note (under CI it fails).

use crate::common::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const SECRET: &str = "peil-test-secret-0123456789abcdef";
/// A restricted indicator of the demo and the access group that grants it.
const RESTRICTED: &str = "v_leefloon";
const GROUP: &str = "stadsdiensten";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

fn have_provider() -> bool {
    have_tool(
        "Node.js with the npm package oidc-provider",
        "install Node.js 20+, then `npm ci --prefix tests/browser`",
        Command::new("node")
            .args(["-e", "import('oidc-provider').then(() => process.exit(0))"])
            .current_dir(browser_dir()),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The provider's node process, stopped when dropped.
struct Provider(Child);

impl Provider {
    fn start(port: u16, peil: &str) -> Provider {
        let (child, _) = spawn_listening(
            Command::new("node")
                .arg("oidc-provider.mjs")
                .arg(port.to_string())
                .arg(format!("{peil}/admin/oidc/callback"))
                .arg(format!("{peil}/"))
                .current_dir(browser_dir())
                .stderr(Stdio::null()),
        );
        Provider(child)
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The demo site with `[admin.oidc]` pointing at a provider on `port`, served.
fn serve(port: u16, issuer_host: &str) -> Server {
    let site = Site::demo();
    let toml = site.path().join("peil.toml");
    let mut config = std::fs::read_to_string(&toml).unwrap();
    config.push_str(&format!(
        r#"
[admin]
insecure_cookie = true

[admin.oidc]
name = "Testprovider"
issuer = "http://{issuer_host}:{port}"
client_id = "peil"
client_secret = "{SECRET}"
scopes = ["profile", "email", "groups"]
groups_claim = "groups"

[[admin.oidc.map]]
claim_value = "peil-experts"
role = "expert"

[[admin.oidc.map]]
claim_value = "sociale-dienst"
groups = ["{GROUP}"]

[[admin.oidc.map]]
claim_value = "peil-viewers"
role = "viewer"
"#
    ));
    std::fs::write(&toml, config).unwrap();
    Server::start(site)
}

/// An answer: status, `Location` (absolute), body.
struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

/// A browser without JavaScript for two sites on 127.0.0.1: one cookie jar (cookies do not
/// tell ports apart), no redirect followed by itself.
struct Browser {
    agent: ureq::Agent,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new() -> Browser {
        Browser {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build()
                .into(),
            cookies: HashMap::new(),
        }
    }

    fn send(&mut self, url: &str, form: Option<&str>) -> Answer {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let cookie = cookie.join("; ");
        let mut resp = match form {
            None => {
                let mut r = self.agent.get(url);
                if !cookie.is_empty() {
                    r = r.header("Cookie", &cookie);
                }
                r.call()
            }
            Some(f) => {
                let mut r = self
                    .agent
                    .post(url)
                    .header("Content-Type", "application/x-www-form-urlencoded");
                if !cookie.is_empty() {
                    r = r.header("Cookie", &cookie);
                }
                r.send(f)
            }
        }
        .unwrap_or_else(|e| panic!("{url}: {e}"));
        for v in resp.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (name, value) = v.split(';').next().unwrap().split_once('=').unwrap();
            let gone = value.is_empty()
                || v.to_ascii_lowercase().contains("max-age=0")
                || v.contains("1970");
            if gone {
                self.cookies.remove(name.trim());
            } else {
                self.cookies.insert(name.trim().into(), value.into());
            }
        }
        let origin: String = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
        let location = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
            .map(|l| {
                if l.starts_with('/') {
                    format!("{origin}{l}")
                } else {
                    l
                }
            });
        Answer {
            status: resp.status().as_u16(),
            location,
            body: resp.body_mut().read_to_string().unwrap_or_default(),
        }
    }

    fn get(&mut self, url: &str) -> Answer {
        self.send(url, None)
    }

    /// Starts a login at Peil and goes through the provider's login and consent as `who`;
    /// `tamper` may change the authorization request on its way. Returns the callback URL
    /// the provider sends the browser to (not visited yet).
    fn through_provider(
        &mut self,
        peil: &str,
        who: &str,
        tamper: impl Fn(&str) -> String,
    ) -> String {
        let start = self.get(&format!("{peil}/admin/oidc/login?next=/admin/account"));
        assert_eq!(start.status, 303, "{}", start.body);
        let mut url = tamper(&start.location.unwrap());
        let mut r = self.get(&url);
        for _ in 0..20 {
            if let Some(next) = r.location.clone() {
                if next.starts_with(&format!("{peil}/admin/oidc/callback")) {
                    return next;
                }
                url = next;
                r = self.get(&url);
                continue;
            }
            assert_eq!(r.status, 200, "{url}: {}", r.body);
            let action = r
                .body
                .split("action=\"")
                .nth(1)
                .and_then(|a| a.split('"').next())
                .unwrap_or_else(|| panic!("no form at {url}: {}", r.body))
                .to_string();
            let form = if r.body.contains("value=\"login\"") {
                format!("prompt=login&login={who}&password=anything")
            } else {
                assert!(r.body.contains("value=\"consent\""), "{}", r.body);
                "prompt=consent".to_string()
            };
            url = if action.starts_with('/') {
                let origin: String = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
                format!("{origin}{action}")
            } else {
                action
            };
            r = self.send(&url, Some(&form));
        }
        panic!("no callback after 20 steps");
    }

    /// A full login as `who`: the callback's answer.
    fn login(&mut self, peil: &str, who: &str) -> Answer {
        let cb = self.through_provider(peil, who, str::to_string);
        self.get(&cb)
    }

    fn csrf(&mut self, url: &str) -> String {
        let page = self.get(url).body;
        let at = page
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf field in: {page}"));
        page[at + 19..].split('"').next().unwrap().to_string()
    }
}

/// The audit log's (who, action, detail), oldest first.
fn audit(s: &Server) -> Vec<(String, String, String)> {
    s.site
        .sql("SELECT who, action, detail FROM audit_log ORDER BY id")
        .unwrap()
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect()
}

fn failures(s: &Server) -> Vec<String> {
    audit(s)
        .into_iter()
        .filter(|(_, a, _)| a == "oidc login failed")
        .map(|(_, _, d)| d)
        .collect()
}

#[test]
fn single_sign_on_through_a_real_provider() {
    if !have_provider() {
        return;
    }
    let port = free_port();
    let s = serve(port, "127.0.0.1");
    let peil = s.base.clone();
    s.site.ok(&["users", "add", "admin", "--role", "beheerder"]);

    // The provider is down: the server runs, the login page offers the button, and the
    // button says what is wrong.
    let mut b = Browser::new();
    let login = b.get(&format!("{peil}/admin/login"));
    assert!(
        login.body.contains("Aanmelden met Testprovider"),
        "{}",
        login.body
    );
    let down = b.get(&format!("{peil}/admin/oidc/login"));
    assert_eq!(down.status, 503);
    assert!(down.body.contains("niet bereikbaar"), "{}", down.body);
    assert!(failures(&s)[0].contains("provider unavailable"));

    let _provider = Provider::start(port, &peil);
    std::thread::sleep(std::time::Duration::from_secs(6)); // past the retry pause

    // An expert of the social services: role and group from the groups claim.
    let mut an = Browser::new();
    let cb = an.through_provider(&peil, "an.expert", str::to_string);
    let done = an.get(&cb);
    assert_eq!(done.status, 303, "refused: {:?}", failures(&s));
    assert_eq!(
        done.location.as_deref(),
        Some(&*format!("{peil}/admin/account"))
    );
    assert!(an.cookies.contains_key("peil_session"));
    assert!(
        !an.cookies.contains_key("peil_oidc"),
        "the flow's cookie is gone"
    );
    let account = an.get(&format!("{peil}/admin/account"));
    assert_eq!(account.status, 200);
    assert!(account.body.contains("an.expert"), "{}", account.body);
    assert_eq!(
        an.get(&format!("{peil}/admin")).status,
        200,
        "an expert's home"
    );
    let restricted = an.get(&format!("{peil}/indicator/{RESTRICTED}"));
    assert_eq!(restricted.status, 200, "the mapped group grants it");
    assert!(restricted.body.contains("class=\"intern\""));
    let user = s
        .site
        .sql(
            "SELECT role, groups, source, CASE WHEN password_hash IS NULL THEN 'none' END \
             FROM app_user WHERE login = 'an.expert'",
        )
        .unwrap();
    assert_eq!(user.len(), 1);
    assert_eq!(
        (&*user[0][0], &*user[0][1], &*user[0][2], &*user[0][3]),
        ("expert", GROUP, "oidc", "none"),
        "role, groups, source, no password"
    );
    let actions: Vec<_> = audit(&s).into_iter().map(|(w, a, _)| (w, a)).collect();
    assert!(actions.contains(&("an.expert".into(), "oidc user created".into())));
    assert!(actions.contains(&("an.expert".into(), "login".into())));
    // The user of the provider has no password to log in with here.
    let form = b.get(&format!("{peil}/admin/login"));
    assert_eq!(form.status, 200);

    // The same callback again: its state was used.
    let replay = an.get(&cb);
    assert_eq!(replay.status, 403);
    assert!(failures(&s).last().unwrap().contains("state"));

    // Logout ends the session and sends the browser to the provider's end of session.
    let token = an.csrf(&format!("{peil}/admin/account"));
    let out = an.send(
        &format!("{peil}/admin/logout"),
        Some(&format!("csrf={token}")),
    );
    assert_eq!(out.status, 303);
    let to = out.location.unwrap();
    assert!(
        to.starts_with(&format!("http://127.0.0.1:{port}/session/end?")),
        "{to}"
    );
    assert!(to.contains("client_id=peil"), "{to}");
    assert!(to.contains("post_logout_redirect_uri="), "{to}");
    assert_eq!(an.get(&to).status, 200, "the provider asks to confirm");
    assert_eq!(
        an.get(&format!("{peil}/indicator/{RESTRICTED}")).status,
        404,
        "after logout"
    );
    let logout = audit(&s)
        .into_iter()
        .rfind(|(w, a, _)| w == "an.expert" && a == "logout")
        .unwrap();
    assert!(logout.2.contains("\"provider\":true"), "{}", logout.2);

    // A viewer: no group, so the restricted indicator stays invisible; no back-office home.
    let mut v = Browser::new();
    assert_eq!(v.login(&peil, "vera.viewer").status, 303);
    assert_eq!(v.get(&format!("{peil}/admin/account")).status, 200);
    assert_eq!(v.get(&format!("{peil}/admin")).status, 403);
    assert_eq!(v.get(&format!("{peil}/indicator/{RESTRICTED}")).status, 404);

    // A second process serving the same store, as a replica behind a load balancer: the
    // provider sends the browser back to it, and it finishes the login begun on the first
    // (the flow is in the store); the session holds on both. Replicas serve one public
    // address, which the provider knows them by: `base_url`, the first's.
    let toml = s.site.path().join("peil.toml");
    let config = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("base_url = \"{peil}\"\n{config}")).unwrap();
    let (replica, other) = spawn_listening(
        Command::new(env!("CARGO_BIN_EXE_peil"))
            .arg("--site")
            .arg(s.site.path())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("PEIL_QUIET", "1")
            .stderr(Stdio::null()),
    );
    let _replica = Process(replica);
    let mut r = Browser::new();
    let cb = r.through_provider(&peil, "vera.viewer", str::to_string);
    let done = r.get(&cb.replacen(&peil, &other, 1));
    assert_eq!(done.status, 303, "refused: {:?}", failures(&s));
    assert_eq!(r.get(&format!("{peil}/admin/account")).status, 200);
    assert_eq!(r.get(&format!("{other}/admin/account")).status, 200);

    // Claims that map to nothing are refused (no default role is set), and no account is made.
    let mut n = Browser::new();
    let nomad = n.login(&peil, "nomad");
    assert_eq!(nomad.status, 403);
    assert!(
        nomad.body.contains("geen toegang tot Peil"),
        "{}",
        nomad.body
    );
    assert!(!n.cookies.contains_key("peil_session"));
    let users = s
        .site
        .sql("SELECT count(*) FROM app_user WHERE login = 'nomad'")
        .unwrap();
    assert_eq!(users[0][0], "0");

    // A provider account named like a local (password) account does not take it over.
    let mut x = Browser::new();
    assert_eq!(x.login(&peil, "admin").status, 403);
    assert!(failures(&s).last().unwrap().contains("local account"));
    let source = s
        .site
        .sql("SELECT source FROM app_user WHERE login = 'admin'")
        .unwrap();
    assert_eq!(source[0][0], "password");

    // A forged state: unknown to the server, or not this browser's.
    let mut f = Browser::new();
    assert_eq!(
        f.get(&format!("{peil}/admin/oidc/callback?state=forged&code=x"))
            .status,
        403
    );
    let mut g = Browser::new();
    let other = g.through_provider(&peil, "an.expert", str::to_string);
    let mut h = Browser::new();
    h.get(&format!("{peil}/admin/oidc/login")); // h's own flow, own cookie
    let stolen = h.get(&other);
    assert_eq!(stolen.status, 403, "another browser's callback");
    assert!(!h.cookies.contains_key("peil_session"));
    assert!(failures(&s).last().unwrap().contains("this browser"));

    // A replayed code in a new flow of the same browser: the provider refuses it (used once,
    // and bound to the first flow's PKCE challenge).
    let mut r = Browser::new();
    let first = r.through_provider(&peil, "an.expert", str::to_string);
    assert_eq!(r.get(&first).status, 303);
    let code = first
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let start = r.get(&format!("{peil}/admin/oidc/login"));
    let state = start
        .location
        .unwrap()
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    r.cookies.remove("peil_session");
    let replayed = r.get(&format!(
        "{peil}/admin/oidc/callback?code={code}&state={state}"
    ));
    assert_eq!(replayed.status, 403);
    assert!(!r.cookies.contains_key("peil_session"));
    assert!(
        failures(&s)
            .last()
            .unwrap()
            .contains("code exchange refused")
    );

    // A nonce changed on the way to the provider: its ID token carries that nonce, which is
    // not the one Peil kept for the flow.
    let mut m = Browser::new();
    let cb = m.through_provider(&peil, "an.expert", |url| {
        let (head, rest) = url.split_once("nonce=").unwrap();
        let tail = rest.split_once('&').map(|(_, t)| t).unwrap_or("");
        format!("{head}nonce=00000000000000000000000000000000&{tail}")
    });
    assert_eq!(m.get(&cb).status, 403);
    assert!(!m.cookies.contains_key("peil_session"));
    let last = failures(&s).pop().unwrap();
    assert!(
        last.contains("ID token refused") && last.contains("nonce"),
        "{last}"
    );

    // A provider whose issuer is not the one configured (localhost is not 127.0.0.1).
    let wrong = serve(port, "localhost");
    let mut w = Browser::new();
    let r = w.get(&format!("{}/admin/oidc/login", wrong.base));
    assert_eq!(r.status, 503);
    assert!(
        failures(&wrong)[0].contains("issuer"),
        "{:?}",
        failures(&wrong)
    );
}
