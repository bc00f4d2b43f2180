//! The trust boundary: every request is resolved here, once, to a [`Reader`].
//!
//! The [`boundary`] layer (see `lib.rs` for the order of layers) reads the credentials (the
//! `apikey` header; for Swing's scripted uploads also `?apikey=`; else the back office's
//! `peil_session` cookie, which makes `Reader::user(login, groups)` and puts the
//! [`Session`](crate::admin::Session) beside it for the whole site), refuses what must be
//! refused (a wrong key on the native API, any request without a valid key on a site that is
//! not public) and puts the resolved [`Reader`] in the request's extensions. Handlers take it from there ([`crate::api::Req`]
//! carries it, OData and selection tables extract it) and pass it explicitly to everything that
//! answers; nothing after this layer looks at credentials again. The response cache keys on
//! the reader's access ([`Reader::access`]), so answers never cross readers with other rights.

use crate::AppState;
use crate::problem::Problem;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use peil_core::Reader;
use std::collections::HashMap;
use std::sync::RwLock;

/// A key longer than this is not a key Peil made (`peil_` + 64 hex): refused without hashing.
const MAX_KEY_LEN: usize = 256;

/// The active API keys: SHA-256 of the key → the reader it makes. Refreshed with every store
/// poll, so a revoked key stops working within seconds.
#[derive(Default)]
pub struct Keys {
    map: RwLock<HashMap<String, Reader>>,
}

impl Keys {
    pub fn replace(&self, map: HashMap<String, Reader>) {
        match self.map.write() {
            Ok(mut m) => *m = map,
            Err(p) => *p.into_inner() = map,
        }
    }

    /// The reader a presented key makes, if it is active.
    pub fn find(&self, key: &str) -> Option<Reader> {
        if key.len() > MAX_KEY_LEN {
            return None;
        }
        let hash = peil_store::hash_key(key);
        self.map.read().ok()?.get(&hash).cloned()
    }
}

/// Swing's read paths: existing clients send whatever key they were configured with, so on a
/// public site a wrong key there reads as anonymous (as Swing does).
fn is_swing_read(path: &str) -> bool {
    ["/jiveservices/", "/viewerservices/", "/jive/", "/viewer/"]
        .iter()
        .any(|p| path.starts_with(p))
        && !is_upload(path)
}

/// Swing's scripted uploads, which pass the key as `?apikey=`.
pub(crate) fn is_upload(path: &str) -> bool {
    path.eq_ignore_ascii_case("/BulkAPI.ashx")
        || path.eq_ignore_ascii_case("/jive/BulkAPI.ashx")
        || path.eq_ignore_ascii_case("/viewer/BulkAPI.ashx")
}

/// Paths every client may reach, also on a site that is not public: health, metrics, and
/// the back office (its login form, and its style sheet), which guards itself.
fn is_open(path: &str) -> bool {
    crate::is_probe(path)
        || path == "/static/peil.css"
        || path == "/static/peil.js"
        || crate::web::split_admin(path)
}

/// The key a request presents: the `apikey` header, or for uploads the `apikey` parameter.
fn presented_key(req: &Request<axum::body::Body>) -> Option<String> {
    if let Some(v) = req.headers().get("apikey") {
        // A header that is not text is a key that matches nothing.
        return Some(v.to_str().unwrap_or("\u{0}").to_string());
    }
    if !is_upload(req.uri().path()) {
        return None;
    }
    // An unreadable query string presents no key; the upload answers it with a 400.
    crate::query::pairs(req.uri().query())
        .ok()?
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("apikey"))
        .map(|(_, v)| v)
}

/// Why a request is refused at the boundary.
enum Refusal {
    InvalidKey,
    NotPublic,
}

/// Whether a path is the back office's (`/admin`, `/en/admin/…`), which never previews.
fn is_back_office(path: &str) -> bool {
    let rest = ["/nl", "/en", "/fr"]
        .into_iter()
        .find_map(|p| path.strip_prefix(p).filter(|r| r.starts_with('/')))
        .unwrap_or(path);
    rest == "/admin" || rest.starts_with("/admin/")
}

/// The reader of a request, or why it is refused.
fn reader_of(st: &AppState, req: &Request<axum::body::Body>) -> Result<Reader, Refusal> {
    let path = req.uri().path();
    let presented = presented_key(req);
    let found = presented.as_deref().map(|k| st.inner.keys.find(k));
    match found {
        Some(Some(reader)) => Ok(reader),
        Some(None) if st.inner.public && is_swing_read(path) => Ok(Reader::anonymous()),
        Some(None) => Err(Refusal::InvalidKey),
        None if st.inner.public => Ok(Reader::anonymous()),
        None => Err(Refusal::NotPublic),
    }
}

/// The boundary layer, after the URI cap and the rate limit: resolves the request's reader
/// (see the module's documentation) and puts it in the request's extensions, or refuses the
/// request before the cache is asked.
pub(crate) async fn boundary<F: Future<Output = Response>>(
    st: &AppState,
    mut req: Request<axum::body::Body>,
    next: impl FnOnce(Request<axum::body::Body>) -> F,
) -> Response {
    // A key, when one is presented, decides; else a valid session cookie does.
    if !req.headers().contains_key("apikey")
        && let Some(s) = crate::admin::session::resolve(st, req.headers()).await
    {
        let reader = Reader::user(s.user.login.clone(), s.user.groups.iter().cloned());
        // The preview of the test copy: asked for in the session, by an expert or an
        // administrator (checked at every request), for the public site and the API.
        if s.preview
            && s.user.role.allows(peil_core::Role::Expert)
            && !is_back_office(req.uri().path())
            && let Some(snap) = crate::preview::snapshot(st).await
        {
            req.extensions_mut().insert(crate::preview::Preview(snap));
        }
        let preview = req.extensions().get::<crate::preview::Preview>().is_some();
        req.extensions_mut().insert(reader);
        req.extensions_mut().insert(s);
        let mut resp = next(req).await;
        if preview {
            // For API clients, which see no banner.
            resp.headers_mut().insert(
                "peil-preview",
                axum::http::HeaderValue::from_static("test copy, not published"),
            );
        }
        return resp;
    }
    match resolve(st, &req) {
        Ok(reader) => {
            req.extensions_mut().insert(reader);
            next(req).await
        }
        Err(refused) => *refused,
    }
}

/// The reader of a request, or the answer that refuses it (boxed: every request passes here,
/// and almost every one passes).
fn resolve(st: &AppState, req: &Request<axum::body::Body>) -> Result<Reader, Box<Response>> {
    match reader_of(st, req) {
        Ok(r) => Ok(r),
        // Health and metrics answer everyone; they show no data.
        Err(_) if is_open(req.uri().path()) => Ok(Reader::anonymous()),
        Err(why) => Err(Box::new(refuse(why))),
    }
}

fn refuse(why: Refusal) -> Response {
    let problem = match why {
        Refusal::InvalidKey => Problem::new(
            StatusCode::UNAUTHORIZED,
            "Invalid API key",
            "the key in the `apikey` header is unknown or revoked; ask the site's administrators for a valid one",
        )
        .documented("/api/v1/docs#problem-invalid-key"),
        Refusal::NotPublic => Problem::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "this site is not public: send a valid key in the `apikey` header",
        ),
    };
    let mut r = problem.into_response();
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("apikey"));
    r
}

/// The reader the boundary resolved, read by the layers inside it (ETag, cache); anonymous
/// when the request did not pass the boundary.
pub(crate) fn reader_of_request(req: &Request<axum::body::Body>) -> Reader {
    req.extensions()
        .get::<Reader>()
        .cloned()
        .unwrap_or_default()
}

/// The reader resolved for a request. Handlers use this (or [`crate::api::Req::reader`]);
/// a request that did not pass the boundary layer reads as anonymous, the least it may see.
pub(crate) fn reader(parts: &axum::http::request::Parts) -> Reader {
    parts
        .extensions
        .get::<Reader>()
        .cloned()
        .unwrap_or_default()
}
