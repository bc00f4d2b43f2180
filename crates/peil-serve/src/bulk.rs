//! Swing's scripted upload: `POST /BulkAPI.ashx?apikey=…` with a CSV body (also under
//! `/jive/` and `/viewer/`). The file goes through the same import as `peil import` — validated
//! whole, applied in one transaction — into the test copy; readers see it after the next
//! publication. The answer is `OK`, or the import's problem report with status 400.
//!
//! A key may upload when its access groups include `upload` or `admin`.

use crate::AppState;
use crate::limits::MAX_UPLOAD;
use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::StreamExt;
use peil_core::Reader;
use std::collections::HashMap;
use std::io::Write;

/// A refused upload's body up to this size is read and dropped (see `upload`).
const DRAIN: u64 = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/BulkAPI.ashx", post(upload))
        .route("/jive/BulkAPI.ashx", post(upload))
        .route("/viewer/BulkAPI.ashx", post(upload))
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

/// The name an upload is imported (and recorded) under: the client's `filename` reduced to
/// letters, digits, `-`, `_` and inner dots, so it can never leave the temporary folder.
pub(crate) fn safe_name(asked: Option<&str>) -> String {
    let cleaned: String = asked
        .unwrap_or("")
        .chars()
        .rev()
        .take_while(|c| *c != '/' && *c != '\\')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let trimmed = cleaned.trim_matches('.');
    if trimmed.is_empty() {
        "bulkapi.csv".into()
    } else {
        trimmed.to_string()
    }
}

async fn upload(
    State(st): State<AppState>,
    Extension(reader): Extension<Reader>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // The query string is read by the rule of every API (`query.rs`).
    let q: Result<HashMap<String, String>, _> =
        crate::query::pairs(uri.query()).map(|p| p.into_iter().collect());
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Who may upload is settled before the body is read.
    // A broken query string first: it also hides the key (`access.rs` reads none from it).
    let refusal = if let Err(e) = &q {
        Some(text(StatusCode::BAD_REQUEST, e.to_string()))
    } else if reader.is_anonymous() {
        Some(text(
            StatusCode::UNAUTHORIZED,
            "an apikey is required (create one with `peil keys create --group upload`)",
        ))
    } else if !(reader.in_group("upload") || reader.in_group("admin")) {
        Some(text(
            StatusCode::FORBIDDEN,
            "this key may not upload: its access groups include neither 'upload' nor 'admin'",
        ))
    } else {
        None
    };
    if let Some(r) = refusal {
        // A small body is taken in and dropped so that the client reads the answer rather than
        // a reset connection; a large one is never read (the connection closes after the answer).
        if declared.is_some_and(|n| n <= DRAIN) {
            let _ = axum::body::to_bytes(body, DRAIN as usize).await;
        }
        return r;
    }
    if declared.is_some_and(|n| n > MAX_UPLOAD) {
        return too_large();
    }
    let name = safe_name(
        q.ok()
            .as_ref()
            .and_then(|q| q.get("filename"))
            .map(String::as_str),
    );
    let dir = match tempfile::Builder::new().prefix("peil-bulk-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("no temporary folder for the upload: {e}"),
            );
        }
    };
    let path = dir.path().join(&name);
    // The body goes to disk as it arrives, never whole into memory.
    let written = match receive(body, &path).await {
        Ok(n) => n,
        Err(Received::TooLarge) => return too_large(),
        Err(Received::Failed(e)) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("the upload could not be read: {e}"),
            );
        }
    };
    if written == 0 {
        return text(
            StatusCode::BAD_REQUEST,
            "the request has no body; send the CSV file as the body",
        );
    }
    let store = st.store_location().clone();
    let who = format!("BulkAPI ({reader})");
    let result =
        tokio::task::spawn_blocking(move || -> peil_import::Result<peil_import::Outcome> {
            let mut store = peil_store::Store::open_at(&store)?;
            let req = peil_import::ImportRequest {
                kind: Some(peil_ingest::Kind::Data),
                who,
                ..Default::default()
            };
            let out = peil_import::import(&mut store, &path, &req);
            drop(dir);
            out
        })
        .await;
    match result {
        Ok(Ok(o)) if !o.problems.has_errors() => text(StatusCode::OK, "OK"),
        Ok(Ok(o)) => text(
            StatusCode::BAD_REQUEST,
            format!("refused: nothing was written\n{}", o.problems),
        ),
        Ok(Err(e)) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the import failed: {e}"),
        ),
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the import failed: {e}"),
        ),
    }
}

fn too_large() -> Response {
    text(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the upload is over {} MB; split the file", MAX_UPLOAD >> 20),
    )
}

enum Received {
    TooLarge,
    Failed(String),
}

/// Writes the body to `path`, at most [`MAX_UPLOAD`] bytes; the number written.
async fn receive(body: Body, path: &std::path::Path) -> Result<u64, Received> {
    let mut file = std::fs::File::create(path).map_err(|e| Received::Failed(e.to_string()))?;
    let mut stream = body.into_data_stream();
    let mut n: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Received::Failed(e.to_string()))?;
        n += chunk.len() as u64;
        if n > MAX_UPLOAD {
            return Err(Received::TooLarge);
        }
        file.write_all(&chunk)
            .map_err(|e| Received::Failed(e.to_string()))?;
    }
    file.flush().map_err(|e| Received::Failed(e.to_string()))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_stay_in_their_folder() {
        assert_eq!(super::safe_name(Some("..")), "bulkapi.csv");
        assert_eq!(super::safe_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(super::safe_name(Some("a b.csv")), "a_b.csv");
        assert_eq!(super::safe_name(Some("..\\x.csv")), "x.csv");
        assert_eq!(super::safe_name(None), "bulkapi.csv");
    }
}
