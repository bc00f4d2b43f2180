//! The back office under `/admin`: login, the user's own account, users, API keys and the
//! audit log, on the same store, templates and trust boundary as the public site.
//!
//! Every route is one row of [`table`]: its method, path, the role it needs and its entry in
//! the navigation. The router, the role guard and the tests' list of state-changing routes
//! ([`route_specs`]) are all made from that table, so a new page is one row (and a
//! handler). Every request passes, in order: the boundary (`access.rs`, which resolves the
//! `peil_session` cookie to the user's [`Session`] and the reader
//! `Reader::user(login, groups)` for the whole site), [`csrf`] (every non-GET route: the
//! Origin/Referer and the session's token, in constant time), then [`guard`] (the row's
//! role: no session → the login page, too low a role → 403). A second way to log in
//! (OpenID Connect) adds a route that ends in [`login::start_session`], as password login does.

mod content;
mod data;
mod groups;
mod images;
mod login;
mod metadata;
mod oidc;
mod operations;
mod pages;
mod plans;
pub mod session;
mod settings;
mod sources;
mod themes;

pub use axum::http::Method;
pub use data::DiffCache;
pub use oidc::{ClaimMap, Flows as OidcFlows, OidcOptions};
pub use operations::DashboardCache;
pub use session::{AdminOptions, Session};

use crate::AppState;
use crate::api::Req;
use crate::web::Page;
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderValue, Request, StatusCode, header, request::Parts};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use peil_core::Role;
use serde_json::json;
use std::sync::Arc;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Everyone (the login form).
    Anyone,
    /// A logged-in user with at least this role.
    Role(Role),
}

/// One route of the back office, as the router and the tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRoute {
    pub method: Method,
    /// The path with its language prefix (`/en/admin/users`), parameters as `{name}`.
    pub path: String,
    pub need: Need,
}

/// A row of the table: method, path (without language prefix), need, navigation label (a
/// word of `i18n.rs`), handler.
type Row = (
    Method,
    &'static str,
    Need,
    Option<&'static str>,
    MethodRouter<AppState>,
);

const VIEWER: Need = Need::Role(Role::Viewer);
const EXPERT: Need = Need::Role(Role::Expert);
const BEHEERDER: Need = Need::Role(Role::Beheerder);

/// Every route of the back office: the one list the router, the navigation and the tests use.
fn table() -> Vec<Row> {
    use Method as M;
    vec![
        (M::GET, "/admin/login", Need::Anyone, None, get(login::form)),
        (
            M::POST,
            "/admin/login",
            Need::Anyone,
            None,
            post(login::submit),
        ),
        // OpenID Connect: the start redirects to the provider; the callback is a GET from the
        // provider, protected by its state (bound to the browser's `peil_oidc` cookie).
        (
            M::GET,
            "/admin/oidc/login",
            Need::Anyone,
            None,
            get(oidc::start),
        ),
        (
            M::GET,
            "/admin/oidc/callback",
            Need::Anyone,
            None,
            get(oidc::callback),
        ),
        (M::POST, "/admin/logout", VIEWER, None, post(login::logout)),
        (
            M::GET,
            "/admin/operations",
            VIEWER,
            Some("admin_operations"),
            get(operations::list),
        ),
        (
            M::GET,
            "/admin/operations/{name}",
            VIEWER,
            None,
            get(operations::page),
        ),
        (
            M::GET,
            "/admin/plans",
            EXPERT,
            Some("admin_plans"),
            get(plans::plans),
        ),
        (
            M::POST,
            "/admin/plans/{name}",
            EXPERT,
            None,
            post(plans::save),
        ),
        (
            M::POST,
            "/admin/plans/{name}/checkin",
            VIEWER,
            None,
            post(plans::checkin),
        ),
        (
            M::GET,
            "/admin",
            EXPERT,
            Some("admin_home"),
            get(pages::home),
        ),
        (
            M::GET,
            "/admin/account",
            VIEWER,
            Some("admin_account"),
            get(pages::account),
        ),
        (
            M::POST,
            "/admin/account/password",
            VIEWER,
            None,
            post(pages::change_password),
        ),
        (
            M::POST,
            "/admin/account/logout-everywhere",
            VIEWER,
            None,
            post(login::logout_everywhere),
        ),
        (
            M::GET,
            "/admin/import",
            EXPERT,
            Some("admin_import"),
            get(data::import_form),
        ),
        (
            M::POST,
            "/admin/import/dry-run",
            EXPERT,
            None,
            post(data::dry_run),
        ),
        (
            M::POST,
            "/admin/import/run",
            EXPERT,
            None,
            post(data::run_import),
        ),
        (
            M::GET,
            "/admin/imports",
            EXPERT,
            Some("admin_imports"),
            get(data::imports),
        ),
        (
            M::GET,
            "/admin/schedule",
            EXPERT,
            Some("admin_schedule_page"),
            get(sources::page),
        ),
        (
            M::GET,
            "/admin/schedule/sources/new",
            BEHEERDER,
            None,
            get(sources::new_form),
        ),
        (
            M::POST,
            "/admin/schedule/sources/new",
            BEHEERDER,
            None,
            post(sources::create).layer(long_form()),
        ),
        (
            M::GET,
            "/admin/schedule/sources/{name}",
            BEHEERDER,
            None,
            get(sources::edit_form),
        ),
        (
            M::POST,
            "/admin/schedule/sources/{name}",
            BEHEERDER,
            None,
            post(sources::update).layer(long_form()),
        ),
        (
            M::POST,
            "/admin/schedule/sources/{name}/delete",
            BEHEERDER,
            None,
            post(sources::remove),
        ),
        (
            M::GET,
            "/admin/imports/{id}",
            EXPERT,
            None,
            get(data::import_detail),
        ),
        (
            M::POST,
            "/admin/imports/{id}/undo",
            EXPERT,
            None,
            post(data::undo),
        ),
        (
            M::GET,
            "/admin/publish",
            EXPERT,
            Some("admin_publish"),
            get(data::publish_page),
        ),
        (M::POST, "/admin/publish", EXPERT, None, post(data::publish)),
        (
            M::POST,
            "/admin/publications/{id}/rollback",
            EXPERT,
            None,
            post(data::rollback),
        ),
        (
            M::GET,
            "/admin/themes",
            EXPERT,
            Some("admin_themes"),
            get(themes::tree),
        ),
        (M::POST, "/admin/themes", EXPERT, None, post(themes::add)),
        (
            M::POST,
            "/admin/themes/{code}/rename",
            EXPERT,
            None,
            post(themes::rename),
        ),
        (
            M::POST,
            "/admin/themes/{code}/move",
            EXPERT,
            None,
            post(themes::move_theme),
        ),
        (
            M::POST,
            "/admin/themes/{code}/order",
            EXPERT,
            None,
            post(themes::order),
        ),
        (
            M::POST,
            "/admin/themes/{code}/delete",
            EXPERT,
            None,
            post(themes::delete),
        ),
        (
            M::POST,
            "/admin/indicators/{code}/place",
            EXPERT,
            None,
            post(themes::place),
        ),
        (
            M::POST,
            "/admin/indicators/{code}/unlist",
            EXPERT,
            None,
            post(themes::unplace),
        ),
        (
            M::POST,
            "/admin/preview",
            EXPERT,
            None,
            post(pages::preview),
        ),
        (
            M::GET,
            "/admin/indicators",
            EXPERT,
            Some("admin_indicators"),
            get(metadata::indicators),
        ),
        (
            M::GET,
            "/admin/indicators.xlsx",
            EXPERT,
            None,
            get(metadata::workbook),
        ),
        (
            M::GET,
            "/admin/indicators/{code}",
            EXPERT,
            None,
            get(metadata::indicator),
        ),
        (
            M::POST,
            "/admin/indicators/{code}",
            EXPERT,
            None,
            post(metadata::save_indicator),
        ),
        (
            M::GET,
            "/admin/units",
            EXPERT,
            Some("admin_units"),
            get(metadata::vocabulary),
        ),
        (
            M::POST,
            "/admin/units",
            EXPERT,
            None,
            post(metadata::rename_vocabulary),
        ),
        (
            M::GET,
            "/admin/sources",
            EXPERT,
            Some("admin_sources"),
            get(metadata::vocabulary),
        ),
        (
            M::POST,
            "/admin/sources",
            EXPERT,
            None,
            post(metadata::rename_vocabulary),
        ),
        (
            M::GET,
            "/admin/areas",
            EXPERT,
            Some("admin_areas"),
            get(metadata::areas),
        ),
        (
            M::POST,
            "/admin/areas/{level}",
            EXPERT,
            None,
            post(metadata::rename_level),
        ),
        (
            M::POST,
            "/admin/areas/{level}/{code}",
            EXPERT,
            None,
            post(metadata::rename_item),
        ),
        (
            M::POST,
            "/admin/periodlevels/{level}",
            EXPERT,
            None,
            post(metadata::rename_period_level),
        ),
        (
            M::GET,
            "/admin/stories",
            EXPERT,
            Some("admin_stories"),
            get(content::stories),
        ),
        (
            M::GET,
            "/admin/stories/{name}",
            EXPERT,
            None,
            get(content::story_form),
        ),
        (
            M::POST,
            "/admin/stories/{name}",
            EXPERT,
            None,
            post(content::story_submit).layer(long_form()),
        ),
        (
            M::POST,
            "/admin/stories/{name}/preview",
            EXPERT,
            None,
            post(content::story_preview).layer(long_form()),
        ),
        (
            M::GET,
            "/admin/stories/{name}/history",
            EXPERT,
            None,
            get(content::story_history),
        ),
        (
            M::GET,
            "/admin/dashboards",
            EXPERT,
            Some("admin_dashboards"),
            get(content::dashboards),
        ),
        (
            M::GET,
            "/admin/dashboards/{name}",
            EXPERT,
            None,
            get(content::dashboard_form),
        ),
        (
            M::POST,
            "/admin/dashboards/{name}",
            EXPERT,
            None,
            post(content::dashboard_submit).layer(long_form()),
        ),
        (
            M::GET,
            "/admin/dashboards/{name}/history",
            EXPERT,
            None,
            get(content::dashboard_history),
        ),
        (
            M::GET,
            "/admin/versions/{id}",
            EXPERT,
            None,
            get(content::version),
        ),
        (
            M::POST,
            "/admin/versions/{id}/restore",
            EXPERT,
            None,
            post(content::restore),
        ),
        (
            M::GET,
            "/admin/images",
            EXPERT,
            Some("admin_images"),
            get(images::list),
        ),
        (M::POST, "/admin/images", EXPERT, None, post(images::upload)),
        (
            M::POST,
            "/admin/images/{file}/delete",
            EXPERT,
            None,
            post(images::delete),
        ),
        (
            M::GET,
            "/admin/settings",
            BEHEERDER,
            Some("admin_settings"),
            get(settings::form_page),
        ),
        (
            M::POST,
            "/admin/settings",
            BEHEERDER,
            None,
            post(settings::submit).layer(long_form()),
        ),
        (
            M::GET,
            "/admin/settings/history",
            BEHEERDER,
            None,
            get(settings::settings_history),
        ),
        (
            M::POST,
            "/admin/settings/versions/{id}/restore",
            BEHEERDER,
            None,
            post(settings::restore),
        ),
        (
            M::GET,
            "/admin/users",
            BEHEERDER,
            Some("admin_users"),
            get(pages::users),
        ),
        (
            M::POST,
            "/admin/users",
            BEHEERDER,
            None,
            post(pages::add_user),
        ),
        (
            M::POST,
            "/admin/users/{login}",
            BEHEERDER,
            None,
            post(pages::change_user),
        ),
        (
            M::GET,
            "/admin/keys",
            BEHEERDER,
            Some("admin_keys"),
            get(pages::keys),
        ),
        (
            M::POST,
            "/admin/keys",
            BEHEERDER,
            None,
            post(pages::create_key),
        ),
        (
            M::POST,
            "/admin/keys/{id}/revoke",
            BEHEERDER,
            None,
            post(pages::revoke_key),
        ),
        (
            M::GET,
            "/admin/groups",
            BEHEERDER,
            Some("admin_groups"),
            get(groups::groups),
        ),
        (
            M::POST,
            "/admin/groups",
            BEHEERDER,
            None,
            post(groups::save),
        ),
        (
            M::POST,
            "/admin/groups/{name}/remove",
            BEHEERDER,
            None,
            post(groups::remove),
        ),
        (
            M::GET,
            "/admin/audit",
            BEHEERDER,
            Some("admin_audit"),
            get(pages::audit),
        ),
        (
            M::GET,
            "/admin/audit.csv",
            BEHEERDER,
            None,
            get(pages::audit_csv),
        ),
    ]
}

const PREFIXES: [&str; 4] = ["", "/nl", "/en", "/fr"];

/// Every route of the back office with its language prefixes, as the router serves them.
pub fn route_specs() -> Vec<AdminRoute> {
    table()
        .into_iter()
        .flat_map(|(method, path, need, _, _)| {
            PREFIXES.map(|p| AdminRoute {
                method: method.clone(),
                path: format!("{p}{path}"),
                need,
            })
        })
        .collect()
}

/// The routes of the back office, each behind its role guard, all behind the CSRF check.
pub fn routes(st: &AppState) -> Router<AppState> {
    let mut r = Router::new();
    for (_, path, need, _, handler) in table() {
        for p in PREFIXES {
            r = r.route(
                &format!("{p}{path}"),
                handler
                    .clone()
                    .route_layer(from_fn_with_state((st.clone(), need), guard)),
            );
        }
    }
    r.layer(from_fn_with_state(st.clone(), csrf))
}

/// The navigation a user of this role sees: (label word, path).
fn nav(role: Role) -> Vec<(&'static str, &'static str)> {
    table()
        .into_iter()
        .filter(|(m, _, need, nav, _)| {
            *m == Method::GET && nav.is_some() && matches!(need, Need::Role(r) if role.allows(*r))
        })
        .filter_map(|(_, path, _, nav, _)| nav.map(|n| (n, path)))
        .collect()
}

/// The language prefix of a path (`/en`), empty for the default language.
fn prefix_of(path: &str) -> &'static str {
    PREFIXES
        .into_iter()
        .skip(1)
        .find(|p| path.starts_with(&format!("{p}/")))
        .unwrap_or("")
}

/// The client's address (`limits::ClientAddr`: the connection's, or a trusted proxy's
/// `X-Forwarded-For`; `-` when unknown).
pub(crate) fn client(parts_ext: &axum::http::Extensions) -> String {
    parts_ext
        .get::<crate::limits::ClientAddr>()
        .map(|c| c.0.to_string())
        .unwrap_or_else(|| "-".into())
}

/// The role guard of one route.
async fn guard(
    State((st, need)): State<(AppState, Need)>,
    req: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let Need::Role(role) = need else {
        return next.run(req).await;
    };
    let session = req.extensions().get::<Arc<Session>>().cloned();
    match session {
        Some(s) if s.user.role.allows(role) => next.run(req).await,
        Some(s) => {
            // Every attempt beyond one's role is on record (who, where from, what).
            let detail = json!({"path": req.uri().path(), "method": req.method().as_str(),
                                "role": s.user.role, "needs": role});
            let (who, from) = (s.user.login.clone(), client(req.extensions()));
            let _ = st
                .with_store(move |store| {
                    store.audit(&who, &from, "request refused (role)", &detail)
                })
                .await;
            refused_page(&st, req, StatusCode::FORBIDDEN, "admin_forbidden").await
        }
        None if req.method() == Method::GET => {
            let path = req.uri().path();
            let target = format!(
                "{}/admin/login?next={}",
                prefix_of(path),
                percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC)
            );
            no_store(Redirect::to(&target).into_response())
        }
        None => refused_page(&st, req, StatusCode::FORBIDDEN, "admin_login_needed").await,
    }
}

/// The error page of a refused back-office request, in the request's language.
async fn refused_page(
    st: &AppState,
    req: Request<axum::body::Body>,
    status: StatusCode,
    word: &str,
) -> Response {
    let (mut parts, _) = req.into_parts();
    let Ok(r) = Req::from_request_parts(&mut parts, st).await;
    match Page::new(st, r) {
        Ok(p) => no_store(p.refused(status, word)),
        Err(r) => no_store(r),
    }
}

/// Longest form the back office reads (a story's text, URL-encoded, is the longest).
const MAX_FORM: usize = 3 * content::MAX_SOURCE;

/// The body limit of the forms that carry a story, a dashboard or the settings (the CSRF layer
/// has already bounded them by [`MAX_FORM`]); other forms keep the server's 16 KB.
fn long_form() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(MAX_FORM)
}

/// The CSRF check of every state-changing request of the back office, before any handler:
/// an `Origin` (or else `Referer`) naming another host is refused, and the form's `csrf`
/// field must equal the session's token (for the login form: the `peil_login` cookie's),
/// compared in constant time. Refusals are written to the audit log.
async fn csrf(State(st): State<AppState>, req: Request<axum::body::Body>, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    if let Some(boundary) = multipart_boundary(&parts) {
        // An upload: one declared over its limit is refused before anything is read; else the
        // token is the form's first field, read from the body's beginning, and the rest
        // streams on to the handler, which bounds it.
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > upload_bound(parts.uri.path())) {
            let req = Request::from_parts(parts, axum::body::Body::empty());
            return refused_page(&st, req, StatusCode::PAYLOAD_TOO_LARGE, "admin_too_large").await;
        }
        let (head, rest) = body_head(body).await;
        let token = first_field(&head, boundary).await;
        if let Err(why) = check_csrf(&parts, token) {
            return csrf_refused(&st, parts, why).await;
        }
        let head = futures_util::stream::once(async move { Ok(head) });
        let body = axum::body::Body::from_stream(futures_util::StreamExt::chain(head, rest));
        return next.run(Request::from_parts(parts, body)).await;
    }
    let bytes = match axum::body::to_bytes(body, MAX_FORM).await {
        Ok(b) => b,
        Err(_) => return csrf_refused(&st, parts, "form too large").await,
    };
    let token = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned());
    if let Err(why) = check_csrf(&parts, token) {
        return csrf_refused(&st, parts, why).await;
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// The most an upload to `path` may declare: an image of the library, or data files.
fn upload_bound(path: &str) -> u64 {
    if path.ends_with("/admin/images") {
        images::MAX_IMAGE as u64 + 64 * 1024
    } else {
        crate::limits::MAX_UPLOAD
    }
}

/// The boundary of a `multipart/form-data` request.
fn multipart_boundary(parts: &Parts) -> Option<String> {
    let ct = parts.headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    multer::parse_boundary(ct).ok()
}

/// The first [`MAX_FORM`] bytes of a body (or all of a shorter one), and the rest as a stream.
async fn body_head(body: axum::body::Body) -> (axum::body::Bytes, axum::body::BodyDataStream) {
    use futures_util::StreamExt;
    let mut rest = body.into_data_stream();
    let mut head = Vec::new();
    while head.len() < MAX_FORM {
        match rest.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            _ => break,
        }
    }
    (head.into(), rest)
}

/// The value of a multipart body's first field when it is `csrf` and complete in `head`.
async fn first_field(head: &axum::body::Bytes, boundary: String) -> Option<String> {
    let h = head.clone();
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(h) });
    let mut mp = multer::Multipart::new(stream, boundary);
    let field = mp.next_field().await.ok()??;
    if field.name() != Some("csrf") {
        return None;
    }
    field.text().await.ok()
}

/// Why a state-changing request is refused, if it is: `sent` is the form's `csrf` field.
fn check_csrf(parts: &Parts, sent: Option<String>) -> Result<(), &'static str> {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    for name in [header::ORIGIN, header::REFERER] {
        if let Some(v) = parts.headers.get(&name) {
            let v = v.to_str().unwrap_or("");
            let authority = v.split("://").nth(1).unwrap_or("").split('/').next();
            if authority != Some(host) || host.is_empty() {
                return Err("origin of another site");
            }
            break;
        }
    }
    let sent = sent.ok_or("no token")?;
    let expected = if parts.uri.path().ends_with("/admin/login") {
        session::cookie(&parts.headers, session::LOGIN_COOKIE).map(str::to_string)
    } else {
        parts
            .extensions
            .get::<Arc<Session>>()
            .map(|s| s.csrf.clone())
    };
    match expected {
        Some(e) if session::same_secret(&e, &sent) => Ok(()),
        _ => Err("wrong token"),
    }
}

async fn csrf_refused(st: &AppState, parts: Parts, why: &str) -> Response {
    let who = parts
        .extensions
        .get::<Arc<Session>>()
        .map(|s| s.user.login.clone())
        .unwrap_or_else(|| "-".into());
    let detail = json!({"path": parts.uri.path(), "method": parts.method.as_str(), "reason": why});
    let from = client(&parts.extensions);
    let _ = st
        .with_store(move |s| s.audit(&who, &from, "request refused (csrf)", &detail))
        .await;
    let req = Request::from_parts(parts, axum::body::Body::empty());
    refused_page(st, req, StatusCode::FORBIDDEN, "admin_csrf").await
}

/// Back-office answers are never stored by any cache.
pub(crate) fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    r
}

/// A request of the back office: the page (language, site, reader) and the session, when
/// there is one (the guard has checked its role).
pub(crate) struct Admin {
    pub page: Page,
    pub session: Option<Arc<Session>>,
    /// The client's address, for the audit log.
    pub client: String,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Admin, Response> {
        let req = Req::from_request_parts(parts, st)
            .await
            .map_err(|e| match e {})?;
        Ok(Admin {
            page: Page::new(st, req)?,
            session: parts.extensions.get::<Arc<Session>>().cloned(),
            client: client(&parts.extensions),
        })
    }
}

impl Admin {
    /// The session's user, whose role the route's guard has checked.
    pub fn user(&self) -> Option<&peil_store::User> {
        self.session.as_deref().map(|s| &s.user)
    }

    /// Renders an admin page (never kept by any cache) with the navigation and the session's
    /// CSRF token in the context.
    pub fn render(
        &self,
        template: &str,
        title_word: &str,
        mut data: serde_json::Value,
    ) -> Response {
        let p = &self.page;
        if let (serde_json::Value::Object(d), Some(s)) = (&mut data, &self.session) {
            let nav: Vec<_> = nav(s.user.role)
                .into_iter()
                .map(|(w, path)| json!({"label": p.word(w), "href": p.href(path), "current": p.path == path}))
                .collect();
            d.insert("nav".into(), json!(nav));
            d.insert("csrf".into(), json!(s.csrf));
        }
        no_store(p.render(template, p.word(title_word), data))
    }

    /// The record of an action, in the audit log.
    pub async fn audit(&self, st: &AppState, action: &'static str, detail: serde_json::Value) {
        let who = self
            .user()
            .map(|u| u.login.clone())
            .unwrap_or_else(|| "-".into());
        let from = self.client.clone();
        if let Err(e) = st
            .with_store(move |s| s.audit(&who, &from, action, &detail))
            .await
        {
            tracing::error!(target: crate::log::SERVER, event = "audit failed", error = e.to_string().as_str());
        }
    }
}
