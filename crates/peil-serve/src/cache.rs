//! Rendered answers kept in memory, and the HTTP caching headers that go with them.
//!
//! An answer is a function of the publication, the site configuration's revision, the
//! reader's access, the request line and the few headers declared in [`VARYING`] — nothing
//! else. The [`Key`] holds exactly those parts (as a structure, so a crafted header can never
//! be read as another part), and everything else a client sends (cookies, junk headers, Host)
//! neither enters the key nor changes an answer: absolute links come from the configured
//! public URL. The cache is bounded by the bytes of keys, headers and bodies together
//! (`quick_cache`, weighted), so no sequence of requests grows it past its size.

use crate::AppState;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use peil_core::Reader;
use std::sync::Arc;

/// The request headers that may change an answer: format negotiation and OData's page size.
/// Sent back as `Vary` (with `apikey` and `cookie`, which are folded into the reader: a shared
/// cache must not give the anonymous answer to a request carrying a session cookie, whose
/// reader may see more).
pub const VARYING: [header::HeaderName; 2] =
    [header::ACCEPT, header::HeaderName::from_static("prefer")];
const VARY: &str = "accept, prefer, apikey, cookie";

/// A request whose varying headers are longer than this is answered but not kept.
const MAX_VARYING: usize = 512;
/// Answers larger than this are not kept.
const MAX_BODY: usize = 8 << 20;
/// What one entry costs besides its bytes (maps, headers' structure).
const ENTRY_OVERHEAD: u64 = 256;

/// What decides an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    generation: u64,
    revision: u64,
    /// The reader's access groups: equal rights share answers, other rights never do.
    access: Arc<[String]>,
    /// Path and query, as sent.
    target: String,
    /// The values of [`VARYING`], in that order.
    varying: [Option<HeaderValue>; 2],
}

/// A request's key, borrowed: a hit costs no allocation. Hashes exactly as [`Key`].
struct KeyRef<'a> {
    generation: u64,
    revision: u64,
    access: &'a [String],
    target: &'a str,
    varying: [Option<&'a HeaderValue>; 2],
}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.as_ref().hash(h)
    }
}

impl std::hash::Hash for KeyRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.generation.hash(h);
        self.revision.hash(h);
        self.access.hash(h);
        self.target.hash(h);
        for v in &self.varying {
            v.map(HeaderValue::as_bytes).hash(h);
        }
    }
}

impl quick_cache::Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, k: &Key) -> bool {
        self.generation == k.generation
            && self.revision == k.revision
            && self.access == &*k.access
            && self.target == k.target
            && self
                .varying
                .iter()
                .zip(&k.varying)
                .all(|(a, b)| *a == b.as_ref())
    }
}

impl<'a> KeyRef<'a> {
    fn owned(&self) -> Key {
        Key {
            generation: self.generation,
            revision: self.revision,
            access: self.access.into(),
            target: self.target.to_string(),
            varying: self.varying.map(|v| v.cloned()),
        }
    }
}

impl Key {
    fn as_ref(&self) -> KeyRef<'_> {
        KeyRef {
            generation: self.generation,
            revision: self.revision,
            access: &self.access,
            target: &self.target,
            varying: [self.varying[0].as_ref(), self.varying[1].as_ref()],
        }
    }

    fn weight(&self) -> u64 {
        let v: usize = self.varying.iter().flatten().map(|h| h.len()).sum();
        (self.target.len() + v + self.access.iter().map(|g| g.len() + 8).sum::<usize>()) as u64
    }
}

#[derive(Clone)]
struct Entry {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<Key, Entry> for Weight {
    fn weight(&self, key: &Key, e: &Entry) -> u64 {
        let headers: usize = e
            .headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 16)
            .sum();
        key.weight() + headers as u64 + e.body.len() as u64 + ENTRY_OVERHEAD
    }
}

/// The kept answers, at most `bytes` of them.
pub struct Responses {
    cache: quick_cache::sync::Cache<Key, Entry, Weight>,
}

impl Responses {
    pub fn new(bytes: u64) -> Responses {
        Responses {
            // A typical answer is a few kilobytes.
            cache: quick_cache::sync::Cache::with_weighter(
                (bytes / 8192).max(64) as usize,
                bytes.max(1),
                Weight,
            ),
        }
    }

    /// Forgets every kept answer (a new publication or configuration).
    pub fn clear(&self) {
        self.cache.clear();
    }

    /// Bytes held now (keys, headers and bodies).
    pub fn weight(&self) -> u64 {
        self.cache.weight()
    }

    fn get(&self, key: &KeyRef<'_>) -> Option<Response> {
        let e = self.cache.get(key)?;
        let mut r = Response::new(Body::from(e.body));
        *r.status_mut() = e.status;
        *r.headers_mut() = e.headers;
        Some(r)
    }

    fn put(&self, key: Key, status: StatusCode, headers: HeaderMap, body: Bytes) {
        if body.len() <= MAX_BODY {
            self.cache.insert(
                key,
                Entry {
                    status,
                    headers,
                    body,
                },
            );
        }
    }
}

/// The key of a request, when its answer may be kept.
fn key_of<'a>(
    generation: u64,
    revision: u64,
    req: &'a Request<Body>,
    reader: &'a Reader,
) -> Option<KeyRef<'a>> {
    let h = req.headers();
    let varying = [h.get(&VARYING[0]), h.get(&VARYING[1])];
    let size: usize = varying.iter().flatten().map(|v| v.len()).sum();
    (size <= MAX_VARYING).then(|| KeyRef {
        generation,
        revision,
        access: reader.groups(),
        target: req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().path(), |p| p.as_str()),
        varying,
    })
}

/// The ETag of everything answered from one publication, access groups and configuration.
/// The publication's generation and the access groups' revision are the store's, and the
/// configuration is named by the digest of its files (`SiteConfig::digest`), so every replica
/// serving one store with the same files gives one publication the same ETag, however often
/// it read its files again (issue 16). A configuration without a site directory has no
/// digest: this process's count of changes stands in.
fn etag(v: Version) -> String {
    let Version {
        generation,
        access,
        revision,
        digest,
    } = v;
    let config = if digest != 0 {
        format!("-c{digest:016x}")
    } else if revision != 0 {
        format!("-{revision}")
    } else {
        String::new()
    };
    let access = if access != 0 {
        format!("-a{access}")
    } else {
        String::new()
    };
    format!("\"peil-{generation}{config}{access}\"")
}

fn if_none_match(h: &HeaderMap, etag: &str) -> bool {
    h.get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// The publication a request is answered from, taken once by [`validate`] and carried in the
/// request's extensions to the handler ([`served`]), so that the ETag, the cache key and the
/// body of one answer are of one publication even when a new one is swapped in meanwhile
/// (issue 16: `tests/it/postgres.rs::no_answer_mixes_publications_under_load_on_two_replicas`
/// found ETags naming the publication before the body's).
#[derive(Clone)]
pub(crate) struct Pinned(pub Arc<peil_compute::Snapshot>);

/// The generation of the publication an answer is of, in the response's extensions (set by
/// [`validate`]), so the access log names the answer's publication, not the one current when
/// the line is written.
#[derive(Clone, Copy)]
pub(crate) struct AnsweredFrom(pub u64);

/// The publication a handler answers from: the one [`validate`] pinned, else (a request the
/// ETag layer leaves alone) the current one.
pub(crate) fn served(st: &AppState, pinned: Option<&Pinned>) -> Arc<peil_compute::Snapshot> {
    pinned.map_or_else(|| st.snapshot(), |p| p.0.clone())
}

/// The publication and configuration a request is answered from, read once by [`validate`]
/// so that the ETag and the cache key of one request always agree.
#[derive(Clone, Copy)]
struct Version {
    generation: u64,
    /// The access groups' revision the publication was loaded with.
    access: u64,
    /// The configuration's revision in this process (the cache key's).
    revision: u64,
    /// The configuration's digest, 0 for none (the ETag's).
    digest: u64,
}

impl Version {
    fn of(st: &AppState) -> Version {
        Version::at(st, &st.snapshot())
    }

    fn at(st: &AppState, snap: &peil_compute::Snapshot) -> Version {
        Version {
            generation: snap.generation,
            access: snap.access_revision,
            revision: st.revision(),
            digest: st.config_digest(),
        }
    }
}

/// Whether answers to this request may be validated and kept: GETs, except health and
/// metrics, which change all the time, and answers to a logged-in user (their pages name
/// them and carry their session's token) — a preview of the test copy above all.
fn cacheable(req: &Request<Body>, reader: &Reader) -> bool {
    let path = req.uri().path();
    req.method() == Method::GET
        && !crate::is_probe(path)
        && !matches!(reader.who(), peil_core::Who::User(_))
        && req.extensions().get::<crate::preview::Preview>().is_none()
}

/// What every answer to a logged-in user says: no cache, shared or private, keeps it.
fn set_user_headers(h: &mut HeaderMap) {
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(header::VARY, HeaderValue::from_static("cookie"));
}

/// Whether an answer may be kept and validated: a success that does not say `no-store`
/// (answers that change while a publication lasts, such as a job's progress, say so).
fn keepable(resp: &Response) -> bool {
    resp.status().is_success()
        && !resp
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|d| d.trim() == "no-store"))
}

/// The ETag layer, after the boundary: `304 Not Modified` for a client that has this
/// publication, and ETag, Cache-Control and Vary on every answer that may be kept (chosen by
/// the reader of this request, also for an answer the cache kept for another).
pub(crate) async fn validate<F: Future<Output = Response>>(
    st: &AppState,
    mut req: Request<Body>,
    next: impl FnOnce(Request<Body>) -> F,
) -> Response {
    let reader = crate::access::reader_of_request(&req);
    let preview = req.extensions().get::<crate::preview::Preview>().is_some();
    if preview || matches!(reader.who(), peil_core::Who::User(_)) {
        let mut resp = next(req).await;
        set_user_headers(resp.headers_mut());
        return resp;
    }
    if !cacheable(&req, &reader) {
        return next(req).await;
    }
    let snap = st.snapshot();
    let version = Version::at(st, &snap);
    let tag = etag(version);
    if if_none_match(req.headers(), &tag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        set_validators(r.headers_mut(), &tag, &reader);
        r.extensions_mut().insert(AnsweredFrom(version.generation));
        return r;
    }
    req.extensions_mut().insert(version);
    req.extensions_mut().insert(Pinned(snap));
    let mut resp = next(req).await;
    if keepable(&resp) {
        set_validators(resp.headers_mut(), &tag, &reader);
    }
    resp.extensions_mut()
        .insert(AnsweredFrom(version.generation));
    resp
}

/// The cache layer, innermost before the compute runtime: a kept answer when there is one,
/// else the handler's answer, kept for the next reader with the same key.
pub(crate) async fn respond<F: Future<Output = Response>>(
    st: &AppState,
    req: Request<Body>,
    next: impl FnOnce(Request<Body>) -> F,
) -> Response {
    let reader = crate::access::reader_of_request(&req);
    if !cacheable(&req, &reader) {
        return next(req).await;
    }
    let version = req
        .extensions()
        .get::<Version>()
        .copied()
        .unwrap_or_else(|| Version::of(st));
    let key = key_of(version.generation, version.revision, &req, &reader);
    if let Some(hit) = key.as_ref().and_then(|k| st.inner.responses.get(k)) {
        return hit;
    }
    let key = key.map(|k| k.owned());
    let resp = next(req).await;
    if !keepable(&resp) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    // Every answer of this server is built in memory: buffering it costs nothing more.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the answer could not be sent: {e}"),
            )
                .into_response();
        }
    };
    if let Some(k) = key {
        st.inner
            .responses
            .put(k, parts.status, parts.headers.clone(), bytes.clone());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// ETag, Cache-Control and Vary of a successful answer. Answers to a key holder may hold
/// restricted data: shared caches never keep them. An answer whose handler marked it
/// `immutable` (its URL names the publication, as a level's map sprite) is kept for a year,
/// otherwise for a minute.
fn set_validators(h: &mut HeaderMap, tag: &str, reader: &Reader) {
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    let immutable = h
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("immutable"));
    let cc = match (reader.is_anonymous(), immutable) {
        (true, false) => "public, max-age=60",
        (false, false) => "private, max-age=60",
        (true, true) => "public, max-age=31536000, immutable",
        (false, true) => "private, max-age=31536000, immutable",
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cc));
    h.insert(header::VARY, HeaderValue::from_static(VARY));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(target: &str, access: &[&str], accept: Option<&str>) -> Key {
        Key {
            generation: 1,
            revision: 0,
            access: access
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .into(),
            target: target.into(),
            varying: [accept.map(|a| HeaderValue::from_str(a).unwrap()), None],
        }
    }

    fn entry(n: usize) -> (StatusCode, HeaderMap, Bytes) {
        (StatusCode::OK, HeaderMap::new(), Bytes::from(vec![b'x'; n]))
    }

    #[test]
    fn access_is_a_part_of_its_own() {
        // The attack on the old string key: a header value that spells another part.
        let a = key("/api/v1/data?x=1", &["staff"], None);
        let b = key("/api/v1/data?x=1", &[], Some("*/*|groups=staff"));
        assert_ne!(a, b);
        let c = Responses::new(1 << 20);
        let (s, h, body) = entry(10);
        c.put(a.clone(), s, h, body);
        assert!(c.get(&a.as_ref()).is_some());
        assert!(c.get(&b.as_ref()).is_none());
        assert!(
            c.get(&key("/api/v1/data?x=1", &[], None).as_ref())
                .is_none()
        );
    }

    #[test]
    fn bounded_by_bytes_of_keys_and_bodies() {
        let c = Responses::new(1 << 20);
        for i in 0..2000 {
            let (s, h, body) = entry(4096);
            c.put(
                key(&format!("/p/{i}/{}", "q".repeat(2000)), &[], None),
                s,
                h,
                body,
            );
        }
        assert!(c.weight() <= 1 << 20, "{} bytes kept", c.weight());
    }
}
