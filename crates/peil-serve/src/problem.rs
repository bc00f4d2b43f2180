//! Errors as RFC 9457 problem details, with a message a user understands.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub title: String,
    pub detail: String,
    /// A URI that documents this kind of problem (`about:blank` when absent).
    pub kind: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, title: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            title: title.into(),
            detail: detail.into(),
            kind: None,
        }
    }

    /// Points the problem at its documentation.
    pub fn documented(mut self, uri: &str) -> Problem {
        self.kind = Some(uri.to_string());
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "Not found", detail)
    }

    /// An unknown code, with the closest known codes suggested.
    pub fn unknown(
        what: &str,
        code: &str,
        known: impl Iterator<Item = impl AsRef<str>>,
    ) -> Problem {
        let close = suggestions(code, known);
        let hint = if close.is_empty() {
            String::new()
        } else {
            format!("; did you mean {}?", close.join(", "))
        };
        Problem::not_found(format!("no {what} '{code}'{hint}"))
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "type": self.kind.as_deref().unwrap_or("about:blank"),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
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

/// Up to three known codes closest to `code` (edit distance, then common prefix).
pub fn suggestions(code: &str, known: impl Iterator<Item = impl AsRef<str>>) -> Vec<String> {
    let lc = code.to_lowercase();
    let mut scored: Vec<(usize, String)> = known
        .map(|k| {
            let k = k.as_ref().to_string();
            (levenshtein(&lc, &k.to_lowercase()), k)
        })
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, k)| k).collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
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
    }
}
