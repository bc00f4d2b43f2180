//! Sessions of the back office: the `peil_session` cookie, its resolution to a user at the
//! trust boundary, the options that bound a session's life, and the per-address limit on
//! failed logins.
//!
//! The cookie holds 256 random bits; the store keeps only their SHA-256, so a copy of the
//! store opens no session. A session ends after `idle` without a request or `absolute` after
//! login, whichever comes first, and with logout, "log out everywhere", or the user's
//! disabling. Sessions and failed logins live in the store, not in the process: every replica
//! of a site serving one PostgreSQL store sees the same sessions at once (a session is looked
//! up in the store at each request of the back office, never cached), and a logout or
//! revocation on one holds on the others from the next request.

use crate::AppState;
use axum::http::{HeaderMap, HeaderValue, header};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// The session cookie.
pub const COOKIE: &str = "peil_session";
/// The login form's own token (login CSRF), set before there is a session.
pub const LOGIN_COOKIE: &str = "peil_login";
/// The state of an OpenID Connect login under way (sent back by the provider's redirect, so
/// `SameSite=Lax`).
pub const OIDC_COOKIE: &str = "peil_oidc";
/// Longest cookie value looked at: a session id is 64 hex characters.
const MAX_COOKIE: usize = 128;

/// How sessions and logins are bounded (`[admin]` in peil.toml).
#[derive(Debug, Clone)]
pub struct AdminOptions {
    /// A session ends after this long without a request.
    pub idle: Duration,
    /// A session ends this long after login, used or not.
    pub absolute: Duration,
    /// The first lock of an account after repeated failed logins; each further failure
    /// doubles it (up to an hour).
    pub lockout: Duration,
    /// Failed logins per client address per quarter hour before its logins are refused.
    pub failures_per_address: u32,
    /// Leaves `Secure` off the cookies, for a site served over plain http other than
    /// localhost (never on a public site).
    pub insecure_cookie: bool,
    /// Login through an OpenID Connect provider (`[admin.oidc]`).
    pub oidc: Option<Arc<super::oidc::OidcOptions>>,
}

impl Default for AdminOptions {
    fn default() -> Self {
        AdminOptions {
            idle: Duration::from_secs(60 * 60),
            absolute: Duration::from_secs(12 * 60 * 60),
            lockout: Duration::from_secs(60),
            failures_per_address: 20,
            insecure_cookie: false,
            oidc: None,
        }
    }
}

/// A logged-in user's session, as the boundary resolved it for this request.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: peil_store::User,
    /// The token every form of this session carries.
    pub csrf: String,
    /// SHA-256 of the session id (what the store knows it by).
    pub id_sha256: String,
    /// Whether the user asked to see the test copy (`preview.rs`; honoured for experts only).
    pub preview: bool,
}

/// A cookie's value from a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty() && v.len() <= MAX_COOKIE)
}

/// The session a request presents, when it is valid (looked up in the store on the
/// blocking pool).
pub(crate) async fn resolve(st: &AppState, headers: &HeaderMap) -> Option<Arc<Session>> {
    let id = cookie(headers, COOKIE)?;
    let id_sha256 = peil_store::hash_key(id);
    let opts = st.admin_options().clone();
    let found = st
        .with_store(move |s| {
            s.session(&id_sha256, opts.idle, opts.absolute)
                .map(|u| (u, id_sha256))
        })
        .await
        .ok()?;
    let (Some(u), id_sha256) = found else {
        return None;
    };
    Some(Arc::new(Session {
        user: u.user,
        csrf: u.csrf,
        id_sha256,
        preview: u.preview,
    }))
}

/// `Set-Cookie` for a cookie of the back office (`HttpOnly`, `SameSite`, `Secure` unless
/// the site says otherwise); `max_age` 0 deletes it.
pub fn set_cookie(
    opts: &AdminOptions,
    name: &str,
    value: &str,
    path: &str,
    max_age: Duration,
) -> HeaderValue {
    let secure = if opts.insecure_cookie { "" } else { "; Secure" };
    let same_site = if name == COOKIE || name == OIDC_COOKIE {
        "Lax"
    } else {
        "Strict"
    };
    let v = format!(
        "{name}={value}; Path={path}; Max-Age={}; HttpOnly; SameSite={same_site}{secure}",
        max_age.as_secs()
    );
    HeaderValue::from_str(&v).unwrap_or(HeaderValue::from_static("peil_invalid=1"))
}

/// Whether two secrets are equal, in time that depends on their lengths only.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The window failed logins from one client address are counted in.
const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Whether a client address may try to log in now: fewer than `failures_per_address` failed
/// logins from it in the last quarter hour, else its logins are refused before any password
/// is hashed. Counted in the store (`login_failure`), so every replica of a site counts the
/// same failures; only logins read it, never another request. A store that cannot be read
/// allows the attempt, which then fails on the same store.
pub(crate) async fn address_allowed(st: &AppState, ip: Option<IpAddr>) -> bool {
    let Some(ip) = ip else { return true };
    let limit = st.admin_options().failures_per_address;
    let ip = ip.to_string();
    let failures = st
        .with_store(move |s| s.address_failures(&ip, WINDOW))
        .await;
    !matches!(failures, Ok(n) if n >= limit)
}

/// Counts a failed login from a client address (see [`address_allowed`]).
pub(crate) async fn address_failed(st: &AppState, ip: Option<IpAddr>) {
    let Some(ip) = ip else { return };
    let ip = ip.to_string();
    if let Err(e) = st.with_store(move |s| s.address_failed(&ip, WINDOW)).await {
        tracing::error!(target: crate::log::SERVER, event = "failed login not counted", error = %e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name_and_bounded() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; peil_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "peil"), None);
        let long = format!("peil_session={}", "x".repeat(200));
        h.insert(header::COOKIE, HeaderValue::from_str(&long).unwrap());
        assert_eq!(cookie(&h, COOKIE), None);
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
