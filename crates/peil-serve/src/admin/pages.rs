//! The pages of the back office: home, the user's own account, users, API keys, audit log.
//! Each handler reads or writes through the store on the blocking pool and renders a
//! template of `web/templates/admin_*.html`; the role each needs is in `mod.rs`'s table.

use super::login::{field, fields};
use super::{Admin, no_store};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use peil_core::Role;
use serde_json::{Value as Json, json};

/// Lines of the audit log per page, and at most in one CSV export.
const AUDIT_PAGE: u64 = 50;
const AUDIT_CSV_MAX: u64 = 100_000;

fn groups_of(s: &str) -> Vec<String> {
    s.split(',')
        .map(|g| g.trim().to_string())
        .filter(|g| !g.is_empty())
        .collect()
}

/// Runs `f` on the store and renders its result, or the error page.
pub(super) async fn on_store<T: Send + 'static>(
    st: &AppState,
    a: &Admin,
    f: impl FnOnce(&peil_store::Store) -> peil_store::Result<T> + Send + 'static,
) -> Result<T, Response> {
    st.with_store(f).await.map_err(|e| store_failed(a, &e))
}

/// [`on_store`] for a page that may write (the back office's one connection, on the blocking
/// pool).
pub(super) async fn on_store_write<T: Send + 'static>(
    st: &AppState,
    a: &Admin,
    f: impl FnOnce(&mut peil_store::Store) -> peil_store::Result<T> + Send + 'static,
) -> Result<T, Response> {
    st.with_store_mut(f).await.map_err(|e| store_failed(a, &e))
}

/// The answer when the store fails under a back-office page: logged, and a 500 page.
fn store_failed(a: &Admin, e: &peil_store::StoreError) -> Response {
    tracing::error!(target: crate::log::SERVER, event = "back office store error", error = e.to_string().as_str());
    no_store(
        a.page
            .refused(StatusCode::INTERNAL_SERVER_ERROR, "admin_store_error"),
    )
}

// --- home ------------------------------------------------------------------------------------

pub(super) async fn home(State(st): State<AppState>, a: Admin) -> Response {
    let data = on_store(&st, &a, |s| {
        let imports = s.imports()?;
        let live = s.live_publication()?;
        let status = s.status()?;
        Ok((imports, live, status))
    })
    .await;
    let (imports, live, status) = match data {
        Ok(d) => d,
        Err(r) => return r,
    };
    let last_import = imports.last().map(|i| i.at.clone());
    let unpublished = match (&last_import, &live) {
        (Some(i), Some((_, at, _))) => i > at,
        (Some(_), None) => true,
        _ => false,
    };
    let recent: Vec<Json> = imports
        .iter()
        .rev()
        .take(10)
        .map(|i| json!({"at": i.at, "who": i.who, "kind": i.kind, "file": i.file, "warnings": i.warnings}))
        .collect();
    let user = a.user().map(
        |u| json!({"login": u.login, "name": u.display_name, "role": u.role, "groups": u.groups}),
    );
    a.render(
        "admin_home.html",
        "admin_home",
        json!({
            "me_user": user,
            "live": live.map(|(g, at, _)| json!({"generation": g, "at": at})),
            "unpublished": unpublished,
            "imports": recent,
            "counts": {"indicators": status.indicators, "series": status.series, "values": status.values, "imports": status.imports},
        }),
    )
}

// --- own account -----------------------------------------------------------------------------

pub(super) async fn account(State(_st): State<AppState>, a: Admin) -> Response {
    account_page(&a, StatusCode::OK, None)
}

fn account_page(a: &Admin, status: StatusCode, message: Option<(&str, bool)>) -> Response {
    let user = a.user().map(
        |u| json!({"login": u.login, "name": u.display_name, "role": u.role, "groups": u.groups}),
    );
    let mut r = a.render(
        "admin_account.html",
        "admin_account",
        json!({
            "me_user": user,
            "message": message.map(|(w, ok)| json!({"text": a.page.word(w), "ok": ok})),
            "min_len": peil_store::MIN_PASSWORD_LEN,
        }),
    );
    *r.status_mut() = status;
    r
}

/// Changes the user's own password after checking the current one.
pub(super) async fn change_password(State(st): State<AppState>, a: Admin, body: Bytes) -> Response {
    let f = fields(&body);
    let (current, new, repeat) = (
        field(&f, "current").to_string(),
        field(&f, "new").to_string(),
        field(&f, "repeat"),
    );
    if new != repeat {
        return account_page(
            &a,
            StatusCode::BAD_REQUEST,
            Some(("admin_password_mismatch", false)),
        );
    }
    if peil_store::check_password(&new).is_err() {
        return account_page(
            &a,
            StatusCode::BAD_REQUEST,
            Some(("admin_password_rules", false)),
        );
    }
    let Some(login) = a.user().map(|u| u.login.clone()) else {
        return account_page(&a, StatusCode::FORBIDDEN, None);
    };
    let changed = on_store(&st, &a, move |s| {
        let hash = s.password_hash(&login)?;
        if !peil_store::verify_password(hash.as_deref(), &current) {
            return Ok(false);
        }
        s.set_password(&login, &peil_store::hash_password(&new)?)
    })
    .await;
    match changed {
        Ok(true) => {
            a.audit(&st, "password changed", json!({})).await;
            account_page(&a, StatusCode::OK, Some(("admin_password_changed", true)))
        }
        Ok(false) => {
            a.audit(
                &st,
                "password change refused",
                json!({"reason": "wrong current password"}),
            )
            .await;
            account_page(
                &a,
                StatusCode::BAD_REQUEST,
                Some(("admin_password_wrong", false)),
            )
        }
        Err(r) => r,
    }
}

// --- users -----------------------------------------------------------------------------------

pub(super) async fn users(State(st): State<AppState>, a: Admin) -> Response {
    users_page(&st, &a, StatusCode::OK, json!(null)).await
}

async fn users_page(st: &AppState, a: &Admin, status: StatusCode, message: Json) -> Response {
    let list = match on_store(st, a, |s| s.users()).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let now = peil_store::utc_now();
    let rows: Vec<Json> = list
        .iter()
        .map(|u| {
            let locked = u.locked_until.as_ref().filter(|t| **t > now);
            json!({"login": u.login, "name": u.display_name, "role": u.role, "groups": u.groups.join(", "),
                   "disabled": u.disabled, "created": u.created, "locked": locked, "source": u.source})
        })
        .collect();
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let mut r = a.render(
        "admin_users.html",
        "admin_users",
        json!({"users": rows, "roles": roles, "message": message, "min_len": peil_store::MIN_PASSWORD_LEN}),
    );
    *r.status_mut() = status;
    r
}

fn message(a: &Admin, word: &str, ok: bool, extra: Option<String>) -> Json {
    json!({"text": a.page.word(word), "ok": ok, "secret": extra})
}

/// Adds a user; without a password given, one is generated and shown once.
pub(super) async fn add_user(State(st): State<AppState>, a: Admin, body: Bytes) -> Response {
    let f = fields(&body);
    let login = field(&f, "login").trim().to_string();
    let name = field(&f, "name").trim().to_string();
    let groups = groups_of(field(&f, "groups"));
    let Ok(role) = Role::parse(field(&f, "role")) else {
        return users_page(
            &st,
            &a,
            StatusCode::BAD_REQUEST,
            message(&a, "admin_bad_role", false, None),
        )
        .await;
    };
    let given = field(&f, "password").to_string();
    let (password, shown) = if given.is_empty() {
        let p = peil_store::new_password();
        (p.clone(), Some(p))
    } else {
        (given, None)
    };
    let (l, n, g) = (login.clone(), name.clone(), groups.clone());
    let added = st
        .with_store(move |s| {
            s.add_user(&peil_store::NewUser {
                login: &l,
                display_name: if n.is_empty() { &l } else { &n },
                role,
                groups: &g,
                password_hash: Some(peil_store::hash_password(&password)?),
                source: "password",
            })
        })
        .await;
    match added {
        Ok(_) => {
            a.audit(
                &st,
                "user created",
                json!({"user": login, "role": role, "groups": groups}),
            )
            .await;
            users_page(
                &st,
                &a,
                StatusCode::OK,
                message(&a, "admin_user_added", true, shown),
            )
            .await
        }
        Err(e) => {
            let m = json!({"text": e.to_string(), "ok": false});
            users_page(&st, &a, StatusCode::BAD_REQUEST, m).await
        }
    }
}

/// Changes one user: `action` is `disable`, `enable`, `reset` (a new password, shown once)
/// or `save` (role, groups, display name).
pub(super) async fn change_user(
    State(st): State<AppState>,
    Path(login): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    let f = fields(&body);
    let action = field(&f, "action").to_string();
    let me = a.user().map(|u| u.login.clone()).unwrap_or_default();
    if login.eq_ignore_ascii_case(&me) && action == "disable" {
        return users_page(
            &st,
            &a,
            StatusCode::BAD_REQUEST,
            message(&a, "admin_not_yourself", false, None),
        )
        .await;
    }
    let (role, groups, name) = (
        Role::parse(field(&f, "role")),
        groups_of(field(&f, "groups")),
        field(&f, "name").trim().to_string(),
    );
    let password = peil_store::new_password();
    let (l, p, g, n) = (
        login.clone(),
        password.clone(),
        groups.clone(),
        name.clone(),
    );
    let (act, r) = (action.clone(), role.clone());
    let done = st
        .with_store(move |s| match act.as_str() {
            "disable" => s.set_user_disabled(&l, true),
            "enable" => s.set_user_disabled(&l, false),
            "reset" => {
                let ok = s.set_password(&l, &peil_store::hash_password(&p)?)?;
                s.end_sessions_of(&l)?;
                Ok(ok)
            }
            "save" => match r {
                Ok(r) => s.update_user(&l, r, &g, &n),
                Err(e) => Err(peil_store::StoreError::Invalid(e)),
            },
            other => Err(peil_store::StoreError::Invalid(format!(
                "unknown action '{other}': expected disable, enable, reset or save"
            ))),
        })
        .await;
    let (audit, word, secret) = match action.as_str() {
        "disable" => ("user disabled", "admin_user_disabled", None),
        "enable" => ("user enabled", "admin_user_enabled", None),
        "reset" => ("password reset", "admin_user_reset", Some(password)),
        _ => ("user changed", "admin_user_changed", None),
    };
    match done {
        Ok(true) => {
            let detail = match action.as_str() {
                "save" => json!({"user": login, "role": role.ok(), "groups": groups}),
                _ => json!({"user": login}),
            };
            a.audit(&st, audit, detail).await;
            users_page(&st, &a, StatusCode::OK, message(&a, word, true, secret)).await
        }
        Ok(false) => {
            users_page(
                &st,
                &a,
                StatusCode::NOT_FOUND,
                message(&a, "admin_no_user", false, None),
            )
            .await
        }
        Err(e) => {
            users_page(
                &st,
                &a,
                StatusCode::BAD_REQUEST,
                json!({"text": e.to_string(), "ok": false}),
            )
            .await
        }
    }
}

// --- API keys --------------------------------------------------------------------------------

pub(super) async fn keys(State(st): State<AppState>, a: Admin) -> Response {
    keys_page(&st, &a, StatusCode::OK, json!(null)).await
}

async fn keys_page(st: &AppState, a: &Admin, status: StatusCode, message: Json) -> Response {
    let list = match on_store(st, a, |s| s.api_keys()).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let rows: Vec<Json> = list
        .iter()
        .rev()
        .map(|k| json!({"id": k.id, "name": k.name, "groups": k.groups.join(", "), "created": k.created, "revoked": k.revoked}))
        .collect();
    let mut r = a.render(
        "admin_keys.html",
        "admin_keys",
        json!({"keys": rows, "message": message}),
    );
    *r.status_mut() = status;
    r
}

/// Creates an API key scoped to groups; the key is shown once.
pub(super) async fn create_key(State(st): State<AppState>, a: Admin, body: Bytes) -> Response {
    let f = fields(&body);
    let name = field(&f, "name").trim().to_string();
    let groups = groups_of(field(&f, "groups"));
    if name.is_empty() || name.chars().count() > 200 || groups.is_empty() {
        return keys_page(
            &st,
            &a,
            StatusCode::BAD_REQUEST,
            message(&a, "admin_key_fields", false, None),
        )
        .await;
    }
    let key = match peil_store::new_key() {
        Ok(k) => k,
        Err(e) => {
            return keys_page(
                &st,
                &a,
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"text": e.to_string(), "ok": false}),
            )
            .await;
        }
    };
    let (n, g, hash) = (name.clone(), groups.clone(), peil_store::hash_key(&key));
    match st.with_store(move |s| s.add_api_key(&n, &hash, &g)).await {
        // A group that means nothing (see `Store::unknown_group`) is the user's to correct.
        Err(peil_store::StoreError::Invalid(why)) => {
            keys_page(
                &st,
                &a,
                StatusCode::BAD_REQUEST,
                json!({"text": why, "ok": false}),
            )
            .await
        }
        Err(e) => store_failed(&a, &e),
        Ok(id) => {
            a.audit(
                &st,
                "key created",
                json!({"key": id, "name": name, "groups": groups}),
            )
            .await;
            keys_page(
                &st,
                &a,
                StatusCode::OK,
                message(&a, "admin_key_created", true, Some(key)),
            )
            .await
        }
    }
}

/// Revokes an API key (the server stops taking it within its next poll).
pub(super) async fn revoke_key(
    State(st): State<AppState>,
    Path(id): Path<String>,
    a: Admin,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return keys_page(
            &st,
            &a,
            StatusCode::NOT_FOUND,
            message(&a, "admin_no_key", false, None),
        )
        .await;
    };
    match on_store(&st, &a, move |s| s.revoke_api_key(id)).await {
        Ok(true) => {
            a.audit(&st, "key revoked", json!({"key": id})).await;
            keys_page(
                &st,
                &a,
                StatusCode::OK,
                message(&a, "admin_key_revoked", true, None),
            )
            .await
        }
        Ok(false) => {
            keys_page(
                &st,
                &a,
                StatusCode::NOT_FOUND,
                message(&a, "admin_no_key", false, None),
            )
            .await
        }
        Err(r) => r,
    }
}

// --- audit log -------------------------------------------------------------------------------

/// The filter of the audit page from its query (`who`, `action`, `from`, `to`, `page`).
fn audit_filter(a: &Admin) -> peil_store::AuditFilter {
    let date = |n: &str| {
        a.page
            .param(n)
            .filter(|d| d.len() == 10 && d.bytes().all(|b| b.is_ascii_digit() || b == b'-'))
            .map(str::to_string)
    };
    let page: u64 = a
        .page
        .param("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    peil_store::AuditFilter {
        who: a.page.param("who").map(str::to_string),
        action: a.page.param("action").map(str::to_string),
        from: date("from"),
        to: date("to"),
        offset: (page - 1) * AUDIT_PAGE,
        limit: AUDIT_PAGE,
    }
}

pub(super) async fn audit(State(st): State<AppState>, a: Admin) -> Response {
    let filter = audit_filter(&a);
    let f = filter.clone();
    let (rows, total, actions) = match on_store(&st, &a, move |s| {
        let (rows, total) = s.audit_log(&f)?;
        Ok((rows, total, s.audit_actions()?))
    })
    .await
    {
        Ok(d) => d,
        Err(r) => return r,
    };
    let page = filter.offset / AUDIT_PAGE + 1;
    let pages = total.div_ceil(AUDIT_PAGE).max(1);
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            [
                ("who", &filter.who),
                ("action", &filter.action),
                ("from", &filter.from),
                ("to", &filter.to),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k, v))),
        )
        .finish();
    a.render(
        "admin_audit.html",
        "admin_audit",
        json!({
            "rows": rows, "total": total, "page": page, "pages": pages, "query": query,
            "actions": actions,
            "filter": {"who": filter.who, "action": filter.action, "from": filter.from, "to": filter.to},
        }),
    )
}

/// The audit log as CSV, filtered as the page is (up to 100,000 lines).
pub(super) async fn audit_csv(State(st): State<AppState>, a: Admin) -> Response {
    let mut filter = audit_filter(&a);
    filter.offset = 0;
    filter.limit = AUDIT_CSV_MAX;
    let rows = match on_store(&st, &a, move |s| s.audit_log(&filter)).await {
        Ok((rows, _)) => rows,
        Err(r) => return r,
    };
    let mut out = String::from("id,at,who,client,action,detail\r\n");
    for r in &rows {
        for (i, v) in [
            r.id.to_string(),
            r.at.clone(),
            r.who.clone(),
            r.client.clone(),
            r.action.clone(),
            r.detail.clone(),
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                out.push(',');
            }
            crate::fragments::push_csv_text(&mut out, v);
        }
        out.push_str("\r\n");
    }
    no_store(
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit.csv\"",
                ),
            ],
            out,
        )
            .into_response(),
    )
}

// --- preview of the test copy ----------------------------------------------------------------

/// Turns the session's preview of the test copy on (`on=1`) or off, then goes back to `next`
/// (a path of this site) or the back office's home.
pub(super) async fn preview(State(st): State<AppState>, a: Admin, body: Bytes) -> Response {
    let f = fields(&body);
    let on = field(&f, "on") == "1";
    let Some(session) = a.session.clone() else {
        return no_store(a.page.refused(StatusCode::FORBIDDEN, "admin_login_needed"));
    };
    let id = session.id_sha256.clone();
    if let Err(r) = on_store(&st, &a, move |s| s.set_session_preview(&id, on)).await {
        return r;
    }
    a.audit(&st, "preview", json!({"on": on})).await;
    let next = field(&f, "next");
    let own = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    let to = if own {
        next.to_string()
    } else {
        a.page.href("/admin")
    };
    no_store(axum::response::Redirect::to(&to).into_response())
}
