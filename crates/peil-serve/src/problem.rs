//! The server's one HTTP error: an RFC 9457 problem (`application/problem+json`) with a
//! message a user understands, returned by every handler (native API, OData, selection
//! tables, uploads, the front layers) and written by its [`IntoResponse`].
//!
//! The problem types the native API documents (`/api/v1/docs#problem-<slug>`) are listed in
//! [`crate::api::PROBLEMS`]; [`Problem::of`] makes one. Answers to OData and selection-table
//! clients ([`Problem::odata`]) carry OData's JSON error object too (`{"error": {"code",
//! "message"}}` and `OData-Version: 4.0`), which Swing's clients read.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub title: String,
    pub detail: String,
    /// A URI that documents this kind of problem (`about:blank` when absent).
    pub kind: Option<String>,
    /// Extension members (`suggestions`, `parameter`, `available`, …).
    pub ext: Vec<(&'static str, Json)>,
    /// Also written as OData's error object, for OData and selection-table clients.
    pub odata: bool,
}

impl Problem {
    pub fn new(status: StatusCode, title: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            title: title.into(),
            detail: detail.into(),
            kind: None,
            ext: Vec::new(),
            odata: false,
        }
    }

    /// A problem of a type documented on the API's docs page ([`crate::api::PROBLEMS`]).
    pub fn of(slug: &'static str, detail: impl Into<String>) -> Problem {
        let (slug, status, title, _) = crate::api::PROBLEMS
            .iter()
            .find(|p| p.0 == slug)
            .copied()
            .unwrap_or(("bad-request", 400, "Bad request", ""));
        Problem::new(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            title,
            detail,
        )
        .documented(&format!("{}/docs#problem-{slug}", crate::api::BASE))
    }

    /// Points the problem at its documentation.
    pub fn documented(mut self, uri: &str) -> Problem {
        self.kind = Some(uri.to_string());
        self
    }

    /// Adds an extension member.
    pub fn with(mut self, key: &'static str, value: Json) -> Problem {
        self.ext.push((key, value));
        self
    }

    /// Written for OData clients too (OData's error object and header).
    pub fn odata(mut self) -> Problem {
        self.odata = true;
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::of("bad-request", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "Not found", detail)
    }

    /// An unknown code with the closest known codes suggested. Callers pass only codes a
    /// reader may see, so a restricted code can never be suggested.
    pub fn unknown<S: AsRef<str>>(
        what: &str,
        code: &str,
        known: impl Iterator<Item = S>,
    ) -> Problem {
        let close = suggestions(code, known);
        let hint = if close.is_empty() {
            String::new()
        } else {
            format!("; did you mean {}?", close.join(", "))
        };
        let code = quote(code);
        Problem::of("unknown-code", format!("no {what} '{code}'{hint}"))
            .with("what", json!(what))
            .with("code", json!(code))
            .with("suggestions", json!(close))
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = serde_json::Map::new();
        body.insert(
            "type".into(),
            json!(self.kind.as_deref().unwrap_or("about:blank")),
        );
        body.insert("title".into(), json!(self.title));
        body.insert("status".into(), json!(self.status.as_u16()));
        body.insert("detail".into(), json!(self.detail));
        for (k, v) in self.ext {
            body.insert(k.into(), v);
        }
        if self.odata {
            body.insert(
                "error".into(),
                json!({ "code": self.status.as_u16().to_string(), "message": self.detail }),
            );
            return (
                self.status,
                [
                    (header::CONTENT_TYPE, "application/problem+json"),
                    (header::HeaderName::from_static("odata-version"), "4.0"),
                ],
                Json::Object(body).to_string(),
            )
                .into_response();
        }
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            Json::Object(body).to_string(),
        )
            .into_response()
    }
}

pub async fn not_found(uri: axum::http::Uri) -> Problem {
    Problem::not_found(format!(
        "nothing at {}; see /api/v1/ for the API",
        uri.path()
    ))
}

/// Codes longer than this get no suggestions: no code Peil knows is that long, and the
/// distance to every known code would cost time in proportion to the length (a hostile 8 KB
/// "code" against 10,000 sectors once took seconds).
pub const MAX_SUGGEST_LEN: usize = 64;

/// Up to three known codes closest to `code` (edit distance, then code order). Bounded: a
/// candidate whose length differs by more than the distance allowed is skipped unread, and
/// the distance computation stops as soon as it exceeds that bound.
pub fn suggestions(code: &str, known: impl Iterator<Item = impl AsRef<str>>) -> Vec<String> {
    if code.len() > MAX_SUGGEST_LEN {
        return Vec::new();
    }
    let lc: Vec<char> = code.to_lowercase().chars().collect();
    let mut row = Vec::new();
    let mut scored: Vec<(usize, String)> = known
        .filter_map(|k| {
            let k = k.as_ref();
            let n = k.chars().count();
            let limit = (k.len() / 3).max(2);
            if n.abs_diff(lc.len()) > limit {
                return None;
            }
            let d = bounded_levenshtein(&lc, k, limit, &mut row)?;
            Some((d, k.to_string()))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, k)| k).collect()
}

/// The edit distance between `a` and `b` (case-insensitively), or `None` once it is
/// certainly over `limit`.
fn bounded_levenshtein(a: &[char], b: &str, limit: usize, prev: &mut Vec<usize>) -> Option<usize> {
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    prev.clear();
    prev.extend(0..=b.len());
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        let mut best = cur[0];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
            best = best.min(cur[j + 1]);
        }
        if best > limit {
            return None;
        }
        std::mem::swap(prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= limit).then_some(d)
}

/// A code as it may be quoted back in a message: the one rule for echoing what a stranger
/// sent (`peil_core::shown`), at most [`MAX_SUGGEST_LEN`] characters.
pub fn quote(code: &str) -> String {
    peil_core::shown_with(code, MAX_SUGGEST_LEN)
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_close_codes() {
        let known = ["v1101_t", "v1101_m", "v2506_elek"];
        assert_eq!(
            super::suggestions("v1101_x", known.iter()),
            vec!["v1101_m", "v1101_t"]
        );
        assert!(super::suggestions("zzzzzzzz", known.iter()).is_empty());
        assert_eq!(super::suggestions("V1101_T", known.iter())[0], "v1101_t");
    }

    #[test]
    fn long_codes_cost_nothing() {
        let known: Vec<String> = (0..10_000).map(|i| format!("{i:09}")).collect();
        let long = "1".repeat(8000);
        let t = std::time::Instant::now();
        assert!(super::suggestions(&long, known.iter()).is_empty());
        let near = super::suggestions("00000012x", known.iter());
        assert_eq!(near[0], "000000120", "{near:?}");
        // Generous: the point is that it is not seconds.
        assert!(t.elapsed().as_millis() < 500, "{:?}", t.elapsed());
        assert_eq!(super::quote("a\u{1b}b"), "a\\u{1b}b");
        assert!(super::quote(&long).ends_with("(7936 more characters)"));
    }
}
