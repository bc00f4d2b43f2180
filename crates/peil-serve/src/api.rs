//! The native API under `/api/v1/`: a public contract that will not break.
//!
//! Everything is read from the published [`Snapshot`] (metadata that the snapshot does not
//! carry — the theme tree, the area hierarchy, geometry — is read once per publication from
//! the store and cached, see [`cache`]). Rules that hold for every endpoint:
//!
//! - restricted indicators are invisible: not listed, not counted, not searchable, and asked
//!   for by code they answer exactly what an unknown code answers (404, close public codes
//!   suggested), also when they are only referred to by another indicator's metadata;
//! - errors are RFC 9457 problem details (`application/problem+json`) whose `type` points at
//!   the explanation on the HTML page `/api/v1/docs`;
//! - numbers are JSON numbers; a missing cell has `value: null` and a `status` with its symbol
//!   (`?` unknown, `x` hidden, `nvt` not applicable, `-` empty);
//! - the representation is chosen by `?format=` or else the `Accept` header: JSON (default),
//!   CSV (with a CSV on the Web metadata document, `format=csvw` or the path + `-metadata.json`,
//!   announced by a `Link: rel="describedby"` header), XLSX, JSON-stat 2.0 and GeoJSON where
//!   they make sense;
//! - unknown query parameters are refused (400) so that a typo never silently widens a query;
//! - a data request is capped at [`max_cells`] cells (422 beyond).
//!
//! Additions to this API add fields and parameters; they never rename or remove any.

pub(crate) mod cache;
pub(crate) mod catalog;
pub(crate) mod data;
mod docs;
pub(crate) mod formats;
mod hashes;
mod openapi;

use crate::AppState;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use peil_compute::Snapshot;
use peil_core::{Indicator, LocalizedText, Period, PeriodLevel};
use serde_json::{Value as Json, json};
use std::sync::Arc;

pub use formats::Format;

/// Cells one data request may ask for unless `PEIL_API_MAX_CELLS` says otherwise.
pub const DEFAULT_MAX_CELLS: usize = 1_000_000;
/// Page size of lists when `per_page` is not given.
pub const DEFAULT_PER_PAGE: usize = 50;
/// The largest `per_page` accepted.
pub const MAX_PER_PAGE: usize = 1000;
/// The API's base path.
pub const BASE: &str = "/api/v1";

/// The default cap on cells per data request ([`crate::Options::max_cells`]):
/// `PEIL_API_MAX_CELLS` when set to a positive number, else [`DEFAULT_MAX_CELLS`].
pub fn max_cells_from_env() -> usize {
    std::env::var("PEIL_API_MAX_CELLS")
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_MAX_CELLS)
}

/// The cap on cells per data request of this server.
pub(crate) fn max_cells(st: &AppState) -> usize {
    st.inner.max_cells
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1", get(catalog::index))
        .route("/api/v1/", get(catalog::index))
        .route("/api/v1/openapi.json", get(openapi::handler))
        .route("/api/v1/docs", get(docs::handler))
        .route("/api/v1/indicators", get(catalog::indicators))
        .route("/api/v1/indicators-metadata.json", get(catalog::indicators))
        .route("/api/v1/indicators/{code}", get(catalog::indicator))
        .route("/api/v1/geolevels", get(catalog::geolevels))
        .route("/api/v1/geolevels-metadata.json", get(catalog::geolevels))
        .route("/api/v1/geolevels/{level}", get(catalog::geolevel))
        .route("/api/v1/geolevels/{level}/items", get(catalog::items))
        .route(
            "/api/v1/geolevels/{level}/items-metadata.json",
            get(catalog::items),
        )
        .route("/api/v1/periodlevels", get(catalog::periodlevels))
        .route(
            "/api/v1/periodlevels-metadata.json",
            get(catalog::periodlevels),
        )
        .route("/api/v1/periods", get(catalog::periods))
        .route("/api/v1/periods-metadata.json", get(catalog::periods))
        .route("/api/v1/themes", get(catalog::themes))
        .route("/api/v1/themes-metadata.json", get(catalog::themes))
        .route("/api/v1/hashes", get(hashes::handler))
        .route("/api/v1/data", get(data::data))
        .route("/api/v1/data-metadata.json", get(data::data))
        .route("/api/v1/areas/{level}/{item}/profile", get(data::profile))
        .route(
            "/api/v1/areas/{level}/{item}/profile-metadata.json",
            get(data::profile),
        )
}

// --- errors ------------------------------------------------------------------------------

/// The native API's errors are the server's one problem type; its `type` points at the
/// explanation in `/api/v1/docs` ([`PROBLEMS`]).
pub(crate) type ApiError = crate::problem::Problem;

/// The problem types this API answers with: (slug, status, title, when).
pub(crate) const PROBLEMS: &[(&str, u16, &str, &str)] = &[
    (
        "bad-request",
        400,
        "Bad request",
        "A parameter is missing, malformed, unknown, or two parameters contradict each other. The detail names the parameter.",
    ),
    (
        "unknown-code",
        404,
        "Not found",
        "No indicator, geo level, area, theme, dimension level or period level has this code (restricted indicators answer exactly the same). `suggestions` lists up to three close codes.",
    ),
    (
        "invalid-key",
        401,
        "Unauthorized",
        "The `apikey` header holds no active key (unknown or revoked). Leave the header out to read public data; a valid key also shows the restricted indicators of its access groups.",
    ),
    (
        "reveals-hidden-cell",
        403,
        "Refused: it would reveal a hidden value",
        "A custom selection includes an area whose value is hidden (`x`); its total could be used to recover the hidden value, so it is not computed.",
    ),
    (
        "not-aggregable",
        422,
        "Cannot be aggregated",
        "The indicator cannot be computed for a custom selection (for instance a median, or a formula that takes a cube cell).",
    ),
    (
        "too-many-cells",
        422,
        "Query too large",
        "The query asks for more cells than one request may return (`cells`, `max_cells`). Ask for fewer indicators, areas, periods or cube cells, or split the query.",
    ),
    (
        "format-unavailable",
        400,
        "Format not available",
        "The format asked for with `format=` does not exist or is not offered by this endpoint (`available` lists the ones that are).",
    ),
    (
        "not-acceptable",
        406,
        "Not acceptable",
        "None of the media types in the `Accept` header is offered by this endpoint (`available` lists the ones that are).",
    ),
];

pub(crate) type ApiResult<T> = Result<T, ApiError>;

// --- the request -------------------------------------------------------------------------

/// What a handler needs to know about a request: its path, headers and query parameters.
pub(crate) struct Req {
    pub path: String,
    pub headers: HeaderMap,
    pub pairs: Vec<(String, String)>,
    /// The same parameters as the client spelled them (still percent-encoded), so that links
    /// back to this request name exactly the URL the client used.
    pub raw_pairs: Vec<(String, String)>,
    /// Why the query string could not be read, if it could not (`query.rs`).
    pub bad_query: Option<crate::query::BadQuery>,
    /// Who is asking, as the trust boundary resolved it (`access.rs`).
    pub reader: peil_core::Reader,
    /// The back-office session of a logged-in user (pages name them and offer logout).
    pub session: Option<std::sync::Arc<crate::admin::Session>>,
    /// The test copy's snapshot, when this is an expert's preview (`preview.rs`; set by the
    /// boundary only).
    pub preview: Option<Arc<Snapshot>>,
    /// The live publication the ETag layer pinned for this request (`cache::Pinned`).
    pub pinned: Option<crate::cache::Pinned>,
}

impl<S: Send + Sync> FromRequestParts<S> for Req {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Req, Self::Rejection> {
        let (pairs, bad_query) = match crate::query::pairs(parts.uri.query()) {
            Ok(p) => (p, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let raw_pairs = parts
            .uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        Ok(Req {
            path: parts.uri.path().to_string(),
            headers: parts.headers.clone(),
            pairs,
            raw_pairs,
            bad_query,
            reader: crate::access::reader(parts),
            session: parts.extensions.get().cloned(),
            preview: parts
                .extensions
                .get::<crate::preview::Preview>()
                .map(|p| p.0.clone()),
            pinned: parts.extensions.get().cloned(),
        })
    }
}

/// Parameters every endpoint accepts.
const COMMON_PARAMS: [&str; 2] = ["format", "lang"];

impl Req {
    /// Refuses unreadable query strings and parameters this endpoint does not know.
    pub fn check(&self, allowed: &[&str]) -> ApiResult<()> {
        if let Some(e) = &self.bad_query {
            return Err(ApiError::bad_request(e.to_string()).with("parameter", json!(e.parameter)));
        }
        for (k, _) in &self.pairs {
            if !allowed.contains(&k.as_str()) && !COMMON_PARAMS.contains(&k.as_str()) {
                let mut known: Vec<&str> = allowed.iter().chain(&COMMON_PARAMS).copied().collect();
                known.sort_unstable();
                return Err(ApiError::bad_request(format!(
                    "unknown parameter '{k}'; this endpoint takes {}",
                    known.join(", ")
                ))
                .with("parameter", json!(k)));
            }
        }
        Ok(())
    }

    /// A free-text parameter: empty counts as absent.
    pub fn text(&self, name: &str) -> ApiResult<Option<&str>> {
        Ok(self.one(name)?.filter(|v| !v.is_empty()))
    }

    /// A single-valued parameter (an empty value is a value, which a code, number or choice
    /// refuses); given twice with different values is an error.
    pub fn one(&self, name: &str) -> ApiResult<Option<&str>> {
        let mut found: Option<&str> = None;
        for (k, v) in &self.pairs {
            if k == name {
                let v = v.as_str();
                match found {
                    Some(f) if f != v => {
                        return Err(ApiError::bad_request(format!(
                            "parameter '{name}' is given twice ('{f}' and '{v}')"
                        ))
                        .with("parameter", json!(name)));
                    }
                    _ => found = Some(v),
                }
            }
        }
        Ok(found)
    }

    /// A list parameter: comma-separated, and/or repeated. `None` when absent or empty.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for (k, v) in &self.pairs {
            if k == name {
                for part in v.split(',') {
                    let p = part.trim();
                    if !p.is_empty() && !out.iter().any(|o| o == p) {
                        out.push(p.to_string());
                    }
                }
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// A whole-number parameter within bounds.
    pub fn number(&self, name: &str, min: usize, max: usize) -> ApiResult<Option<usize>> {
        let Some(v) = self.one(name)? else {
            return Ok(None);
        };
        match v
            .parse::<usize>()
            .ok()
            .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
        {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::bad_request(format!(
                "parameter '{name}' must be a whole number from {min} to {max}, not '{v}'"
            ))
            .with("parameter", json!(name))),
        }
    }

    /// The language labels are written in (`lang`, default Dutch).
    pub fn lang(&self) -> ApiResult<String> {
        match self.one("lang")? {
            None => Ok("nl".into()),
            Some(l) if (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()) => {
                Ok(l.to_string())
            }
            Some(l) => Err(ApiError::bad_request(format!(
                "parameter 'lang' must be a two-letter language code such as nl or en, not '{l}'"
            ))
            .with("parameter", json!("lang"))),
        }
    }

    /// The resource path without a `-metadata.json` suffix.
    pub fn base_path(&self) -> &str {
        self.path
            .strip_suffix("-metadata.json")
            .unwrap_or(&self.path)
    }

    /// This request's URL (root-relative) with some parameters replaced (`None` removes).
    pub fn url_with(&self, replace: &[(&str, Option<&str>)]) -> String {
        // Parameters keep their place and the client's own spelling (`%2C` or `,`, `+` or
        // `%20`); only replaced ones are written anew. CSVW processors compare the CSV's URL
        // with the one its metadata names, character for character.
        let mut q: Vec<String> = Vec::new();
        let mut done: Vec<&str> = Vec::new();
        for ((k, _), (rk, rv)) in self.pairs.iter().zip(&self.raw_pairs) {
            match replace.iter().find(|(r, _)| r == k) {
                None => q.push(format!("{rk}={rv}")),
                Some((r, new)) => {
                    if !done.contains(r) {
                        done.push(r);
                        if let Some(n) = new {
                            q.push(format!("{rk}={}", encode(n)));
                        }
                    }
                }
            }
        }
        for (k, v) in replace {
            if let (false, Some(v)) = (done.contains(k), v) {
                q.push(format!("{}={}", encode(k), encode(v)));
            }
        }
        if q.is_empty() {
            self.base_path().to_string()
        } else {
            format!("{}?{}", self.base_path(), q.join("&"))
        }
    }

    /// The last segment of the resource path with the given query: a URL relative to this
    /// request (used by CSVW metadata to point at its CSV).
    pub fn relative_with(&self, replace: &[(&str, Option<&str>)]) -> String {
        let full = self.url_with(replace);
        let path_end = full.find('?').unwrap_or(full.len());
        let last = full[..path_end].rfind('/').map_or(0, |i| i + 1);
        full[last..].to_string()
    }
}

/// Percent-encodes a query component (keeps unreserved characters and `,:;`).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(&mut out, s, false);
    out
}

/// Percent-encodes a path segment (as [`encode`], but `+` stays as it is).
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(&mut out, s, true);
    out
}

/// Appends `s` percent-encoded to `out`: unreserved characters and `,:` as they are (and
/// `+` when `plus`), every other byte as `%XX`.
pub(crate) fn encode_into(out: &mut String, s: &str, plus: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' | b':' => {
                out.push(b as char)
            }
            b'+' if plus => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}

// --- the context -------------------------------------------------------------------------

/// One request's view of the publication.
pub(crate) struct Ctx {
    pub st: AppState,
    pub snap: Arc<Snapshot>,
    pub entry: Arc<cache::Entry>,
    pub lang: String,
    /// Who is asking.
    pub reader: peil_core::Reader,
    index: Arc<cache::Index>,
}

impl Ctx {
    pub fn new(st: &AppState, req: &Req) -> ApiResult<Ctx> {
        // An expert's preview reads the test copy; everyone else the live copy.
        let snap = req
            .preview
            .clone()
            .unwrap_or_else(|| crate::cache::served(st, req.pinned.as_ref()));
        let entry = cache::entry(st, &snap);
        let index = entry.index(&snap, &req.reader);
        Ok(Ctx {
            st: st.clone(),
            snap,
            entry,
            lang: req.lang()?,
            reader: req.reader.clone(),
            index,
        })
    }

    /// Whether this reader may see an indicator: public ones, and those of their access
    /// groups. Everything else does not exist for them.
    pub fn visible(&self, code: &str) -> bool {
        self.snap.visible_to(code, &self.reader)
    }

    /// What anonymous readers see (for examples in documents that anyone may be shown).
    pub fn public_idx(&self) -> Arc<cache::Index> {
        self.entry
            .index(&self.snap, &peil_core::Reader::anonymous())
    }

    pub fn idx(&self) -> &cache::Index {
        &self.index
    }

    /// A visible indicator by code; anything else answers as an unknown code.
    pub fn indicator(&self, code: &str) -> ApiResult<(u32, &Indicator)> {
        match self.snap.index.get(code) {
            Some(&i) if self.visible(code) => Ok((i, &self.snap.indicators[i as usize])),
            _ => Err(ApiError::unknown(
                "indicator",
                code,
                self.idx().public.iter().map(|&i| self.code(i)),
            )),
        }
    }

    pub fn code(&self, i: u32) -> &str {
        &self.snap.indicators[i as usize].code
    }

    pub fn ind(&self, i: u32) -> &Indicator {
        &self.snap.indicators[i as usize]
    }

    /// A geo level's index by code.
    pub fn level(&self, code: &str) -> ApiResult<usize> {
        self.snap.level_index.get(code).copied().ok_or_else(|| {
            ApiError::unknown(
                "geo level",
                code,
                self.snap.levels.iter().map(|l| l.level.code.as_str()),
            )
        })
    }

    /// An area's position on a level.
    pub fn item(&self, level: usize, code: &str) -> ApiResult<usize> {
        let l = &self.snap.levels[level];
        l.pos.get(code).map(|p| *p as usize).ok_or_else(|| {
            ApiError::unknown("area", code, l.items.iter().map(|(_, it)| it.code.as_str()))
                .with("level", json!(l.level.code))
        })
    }

    /// An indicator code as other metadata may show it: only when this reader may see it.
    pub fn public_ref(&self, code: Option<&str>) -> Option<String> {
        code.filter(|c| self.visible(c)).map(str::to_string)
    }

    /// Text in the request's language.
    pub fn text(&self, t: &LocalizedText) -> String {
        t.get(&self.lang).unwrap_or("").to_string()
    }

    pub async fn extras(&self) -> Arc<cache::Extras> {
        self.entry.extras(&self.st, &self.snap).await
    }

    pub async fn geometry(&self) -> Arc<cache::Geometry> {
        self.entry.geometry(&self.snap).await
    }
}

/// A value as a JSON number (whole numbers without a fraction, as in CSV), or null.
pub(crate) fn jnum(v: Option<f64>) -> Json {
    match v {
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Json::from(x as i64),
        Some(x) => json!(x),
        None => Json::Null,
    }
}

/// A text in every language it has, as a JSON object.
pub(crate) fn texts(t: &LocalizedText) -> Json {
    json!(
        t.0.iter()
            .filter(|(_, v)| !v.is_empty())
            .collect::<std::collections::BTreeMap<_, _>>()
    )
}

/// A period's label in the request's language ([`Period::label`]; English for a language
/// Peil has no words for).
pub(crate) fn period_name(p: Period, lang: &str) -> String {
    p.label(peil_core::Locale::parse(lang).unwrap_or(peil_core::Locale::En))
}

/// A period level's name in the request's language, as the publication names it
/// ([`peil_core::PeriodLevelNames::name`]: the site's name, else Peil's own).
pub(crate) fn period_level_name<'a>(snap: &'a Snapshot, l: PeriodLevel, lang: &str) -> &'a str {
    snap.period_level_names.name(
        l,
        peil_core::Locale::parse(lang).unwrap_or(peil_core::Locale::En),
    )
}

/// ISO date of a (year, month, day) triple.
pub(crate) fn iso((y, m, d): (i32, u32, u32)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// Compares codes the way people expect: digit runs by value (`5-9` before `10-14`).
pub(crate) fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, _) => return std::cmp::Ordering::Less,
            (_, None) => return std::cmp::Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let n = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let m = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (p, q) = (&x[..n], &y[..m]);
                let strip = |s: &[u8]| -> usize { s.iter().take_while(|c| **c == b'0').count() };
                let (p2, q2) = (&p[strip(p)..], &q[strip(q)..]);
                let o = p2.len().cmp(&q2.len()).then_with(|| p2.cmp(q2));
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
                x = &x[n..];
                y = &y[m..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

// --- responses ---------------------------------------------------------------------------

/// A JSON answer (also used for GeoJSON, JSON-stat and CSVW metadata, by media type).
/// A JSON answer already written as text.
pub(crate) fn json_text_response(body: String, media: &'static str) -> Response {
    let mut r = ([(header::CONTENT_TYPE, media)], body).into_response();
    vary(&mut r);
    r
}

pub(crate) fn json_response(body: &Json, media: &'static str) -> Response {
    let mut r = (
        [(header::CONTENT_TYPE, media)],
        serde_json::to_string(body).unwrap_or_else(|_| "null".into()),
    )
        .into_response();
    vary(&mut r);
    r
}

/// Answers differ by `Accept` and, for restricted indicators, by `apikey`: caches must keep
/// them apart.
pub(crate) fn vary(r: &mut Response) {
    r.headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept, apikey"));
}

/// Paging of a list: (page, per_page) from the query.
pub(crate) fn paging(req: &Req) -> ApiResult<(usize, usize)> {
    let page = req.number("page", 1, 1_000_000_000)?.unwrap_or(1);
    let per_page = req
        .number("per_page", 1, MAX_PER_PAGE)?
        .unwrap_or(DEFAULT_PER_PAGE);
    Ok((page, per_page))
}

/// The paging block of a list answer, and `Link` header values for it.
pub(crate) fn page_links(req: &Req, total: usize, page: usize, per_page: usize) -> (Json, String) {
    let pages = total.div_ceil(per_page).max(1);
    let at = |p: usize| req.url_with(&[("page", Some(&p.to_string()))]);
    let next = (page < pages).then(|| at(page + 1));
    let prev = (page > 1).then(|| at((page - 1).min(pages)));
    let mut link = vec![
        format!("<{}>; rel=\"first\"", at(1)),
        format!("<{}>; rel=\"last\"", at(pages)),
    ];
    if let Some(n) = &next {
        link.push(format!("<{n}>; rel=\"next\""));
    }
    if let Some(p) = &prev {
        link.push(format!("<{p}>; rel=\"prev\""));
    }
    (
        json!({
            "total": total,
            "page": page,
            "per_page": per_page,
            "pages": pages,
            "links": {
                "self": req.url_with(&[]),
                "first": at(1),
                "last": at(pages),
                "next": next,
                "prev": prev,
            }
        }),
        link.join(", "),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_components_and_path_segments_are_percent_encoded() {
        let s = "Gent-Zuid a,b:c~_. +é/%?&=";
        assert_eq!(
            super::encode(s),
            "Gent-Zuid%20a,b:c~_.%20%2B%C3%A9%2F%25%3F%26%3D"
        );
        assert_eq!(
            super::seg(s),
            "Gent-Zuid%20a,b:c~_.%20+%C3%A9%2F%25%3F%26%3D"
        );
    }
}
