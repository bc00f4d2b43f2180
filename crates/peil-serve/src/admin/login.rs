//! Logging in and out. Password login answers an unknown name, a wrong password, a disabled
//! or a locked account with the same page in about the same time (one Argon2id verification
//! each); failed logins lock the account (store, `login_failed`) and count against the
//! client's address (store, `address_failed`, across replicas). A new session id is made at every login (no fixation).

use super::session::{self, COOKIE, LOGIN_COOKIE};
use super::{Admin, no_store};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use peil_core::Role;
use serde_json::json;
use std::time::Duration;

/// Form fields longer than this are cut before they are looked at.
const MAX_FIELD: usize = 2048;

/// The fields of a posted form.
pub(super) fn fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.chars().take(MAX_FIELD).collect()))
        .collect()
}

pub(super) fn field<'a>(f: &'a [(String, String)], name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Where to go after login: `next` when it is a path of this site, else the user's first page.
pub(super) fn landing(next: &str, role: Role, prefix: &str) -> String {
    let own = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if own && (role.allows(Role::Expert) || !next.ends_with("/admin")) {
        return next.to_string();
    }
    if role.allows(Role::Expert) {
        format!("{prefix}/admin")
    } else {
        format!("{prefix}/admin/account")
    }
}

/// The login form. Sets the `peil_login` token the form must send back (login CSRF).
pub(super) async fn form(State(st): State<AppState>, a: Admin) -> Response {
    if let Some(s) = &a.session {
        let to = landing(
            a.page.param("next").unwrap_or(""),
            s.user.role,
            &a.page.prefix,
        );
        return no_store(Redirect::to(&to).into_response());
    }
    login_page(&st, &a, StatusCode::OK, None, "")
}

pub(super) fn login_page(
    st: &AppState,
    a: &Admin,
    status: StatusCode,
    error: Option<&str>,
    login: &str,
) -> Response {
    let token = session::cookie(&a.page.req.headers, LOGIN_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
        .unwrap_or_else(|| peil_store::random_hex(32));
    let mut r = a.render(
        "admin_login.html",
        "admin_login",
        json!({
            "csrf": token,
            "next": a.page.param("next").unwrap_or(""),
            "error": error.map(|e| a.page.word(e)),
            "login": login,
            "oidc": st.admin_options().oidc.as_ref().map(|o| o.name.clone()),
            "oidc_href": format!(
                "{}/admin/oidc/login?next={}",
                a.page.prefix,
                percent_encoding::utf8_percent_encode(
                    a.page.param("next").unwrap_or(""),
                    percent_encoding::NON_ALPHANUMERIC
                )
            ),
        }),
    );
    *r.status_mut() = status;
    r.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(
            st.admin_options(),
            LOGIN_COOKIE,
            &token,
            "/",
            Duration::from_secs(3600),
        ),
    );
    r
}

/// What a password check found.
enum Outcome {
    Ok(peil_store::User),
    Failed {
        known: bool,
        locked_now: Option<String>,
    },
}

/// Checks a password on the blocking pool and records the result in the store.
async fn check(st: &AppState, login: String, password: String) -> Result<Outcome, String> {
    let lockout = st.admin_options().lockout;
    st.with_store(move |s| {
        let user = s
            .user(&login)?
            .filter(|u| !u.disabled && u.source == "password");
        let locked = s.is_locked(&login)?;
        let hash = match (&user, locked) {
            (Some(_), false) => s.password_hash(&login)?,
            _ => None,
        };
        if peil_store::verify_password(hash.as_deref(), &password)
            && let Some(u) = user
        {
            s.login_succeeded(&u.login)?;
            return Ok(Outcome::Ok(u));
        }
        let locked_now = match (&user, locked) {
            (Some(u), false) => s.login_failed(&u.login, lockout)?,
            _ => None,
        };
        Ok(Outcome::Failed {
            known: user.is_some(),
            locked_now,
        })
    })
    .await
    .map_err(|e| e.to_string())
}

/// A posted login.
pub(super) async fn submit(State(st): State<AppState>, a: Admin, body: Bytes) -> Response {
    let f = fields(&body);
    let (login, password) = (field(&f, "login").trim().to_string(), field(&f, "password"));
    let ip = a.client.parse().ok();
    if !session::address_allowed(&st, ip).await {
        a.audit(&st, "login refused (address)", json!({"user": login}))
            .await;
        return login_page(
            &st,
            &a,
            StatusCode::TOO_MANY_REQUESTS,
            Some("admin_too_many"),
            &login,
        );
    }
    match check(&st, login.clone(), password.to_string()).await {
        Ok(Outcome::Ok(user)) => {
            let ua = a
                .page
                .req
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let to = landing(field(&f, "next"), user.role, &a.page.prefix);
            start_session(&st, &a, user, &ua, &to).await
        }
        Ok(Outcome::Failed { known, locked_now }) => {
            session::address_failed(&st, ip).await;
            a.audit(&st, "login failed", json!({"user": login, "known": known}))
                .await;
            if let Some(until) = locked_now {
                a.audit(
                    &st,
                    "account locked",
                    json!({"user": login, "until": until}),
                )
                .await;
            }
            login_page(&st, &a, StatusCode::OK, Some("admin_login_failed"), &login)
        }
        Err(e) => server_error(&a, &e),
    }
}

pub(super) fn server_error(a: &Admin, e: &str) -> Response {
    tracing::error!(target: crate::log::SERVER, event = "back office store error", error = e);
    no_store(
        a.page
            .refused(StatusCode::INTERNAL_SERVER_ERROR, "admin_store_error"),
    )
}

/// Opens a session for a user who has proven who they are (by password here; by a provider
/// later): a new random id (any session the browser held is ended: no fixation), the cookie,
/// the audit log's `login`, and a redirect to `to`.
pub(super) async fn start_session(
    st: &AppState,
    a: &Admin,
    user: peil_store::User,
    user_agent: &str,
    to: &str,
) -> Response {
    let id = peil_store::random_hex(32);
    let csrf = peil_store::random_hex(32);
    let old = session::cookie(&a.page.req.headers, COOKIE).map(peil_store::hash_key);
    let (idle, absolute) = (st.admin_options().idle, st.admin_options().absolute);
    let (id_sha256, client, ua, uid) = (
        peil_store::hash_key(&id),
        a.client.clone(),
        user_agent.to_string(),
        user.id,
    );
    let stored = st
        .with_store(move |s| {
            if let Some(old) = old {
                s.end_session(&old)?;
            }
            // Sessions that can no longer be used are forgotten here, at the rare write.
            s.end_expired_sessions(idle, absolute)?;
            s.create_session(&id_sha256, uid, &csrf, &client, &ua)
        })
        .await;
    if let Err(e) = stored {
        return server_error(a, &e.to_string());
    }
    let who = json!({"user": user.login, "role": user.role, "source": user.source});
    let from = a.client.clone();
    let login = user.login.clone();
    let _ = st
        .with_store(move |s| s.audit(&login, &from, "login", &who))
        .await;
    let opts = st.admin_options();
    let mut r = no_store(Redirect::to(to).into_response());
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        session::set_cookie(opts, COOKIE, &id, "/", opts.absolute),
    );
    h.append(
        header::SET_COOKIE,
        session::set_cookie(opts, LOGIN_COOKIE, "", "/", Duration::ZERO),
    );
    r
}

/// Logs this session out.
pub(super) async fn logout(State(st): State<AppState>, a: Admin) -> Response {
    let mut to = format!("{}/", a.page.prefix);
    if let Some(s) = a.session.clone() {
        let id = s.id_sha256.clone();
        let _ = st.with_store(move |store| store.end_session(&id)).await;
        // A user of the provider is logged out there too, when it offers that.
        let provider = super::oidc::logout_url(&st, &s.user);
        a.audit(&st, "logout", json!({"provider": provider.is_some()}))
            .await;
        if let Some(url) = provider {
            to = url;
        }
    }
    leave(&st, &to)
}

/// Ends every session of this user, on every device.
pub(super) async fn logout_everywhere(State(st): State<AppState>, a: Admin) -> Response {
    if let Some(s) = a.session.clone() {
        let login = s.user.login.clone();
        let ended = st
            .with_store(move |store| store.end_sessions_of(&login))
            .await
            .unwrap_or(0);
        a.audit(&st, "logout everywhere", json!({"sessions": ended}))
            .await;
    }
    leave(&st, &format!("{}/admin/login", a.page.prefix))
}

/// A redirect that deletes the session cookie.
fn leave(st: &AppState, to: &str) -> Response {
    let mut r = no_store(Redirect::to(to).into_response());
    r.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(st.admin_options(), COOKIE, "", "/", Duration::ZERO),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_login_only_paths_of_this_site_are_followed() {
        assert_eq!(landing("/admin/users", Role::Beheerder, ""), "/admin/users");
        assert_eq!(landing("/indicator/x", Role::Viewer, ""), "/indicator/x");
        for hostile in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "",
        ] {
            assert_eq!(
                landing(hostile, Role::Expert, "/en"),
                "/en/admin",
                "{hostile}"
            );
        }
        // A viewer has no admin home: their account instead.
        assert_eq!(landing("/admin", Role::Viewer, ""), "/admin/account");
    }
}
