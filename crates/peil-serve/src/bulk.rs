//! Swing's scripted upload: `POST /BulkAPI.ashx?apikey=…` with a CSV body (also under
//! `/jive/` and `/viewer/`). The file goes through the same import as `peil import` — validated
//! whole, applied in one transaction — into the test copy; readers see it after the next
//! publication. The answer is `OK`, or the import's problem report with status 400.
//!
//! A key may upload when its access groups include `upload` or `admin`.

use crate::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use std::collections::HashMap;

/// Largest upload accepted.
const MAX_UPLOAD: usize = 512 << 20;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/BulkAPI.ashx", post(upload))
        .route("/jive/BulkAPI.ashx", post(upload))
        .route("/viewer/BulkAPI.ashx", post(upload))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

async fn upload(
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Swing passes the key as a query parameter; the header works too.
    let mut h = headers.clone();
    if let Some(k) = q
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("apikey"))
        .map(|(_, v)| v)
    {
        if let Ok(v) = k.parse() {
            h.insert("apikey", v);
        }
    }
    if !h.contains_key("apikey") {
        return text(
            StatusCode::UNAUTHORIZED,
            "an apikey is required (create one with `peil keys create --group upload`)",
        );
    }
    let access = st.access(&h);
    if access.invalid_key {
        return text(StatusCode::UNAUTHORIZED, "unknown or revoked apikey");
    }
    if !access.groups.iter().any(|g| g == "upload" || g == "admin") {
        return text(
            StatusCode::FORBIDDEN,
            "this key may not upload: its access groups include neither 'upload' nor 'admin'",
        );
    }
    if body.is_empty() {
        return text(
            StatusCode::BAD_REQUEST,
            "the request has no body; send the CSV file as the body",
        );
    }
    let store = st.store_path().to_path_buf();
    let name = q
        .get("filename")
        .map(|f| f.replace(['/', '\\'], "_"))
        .unwrap_or_else(|| "bulkapi.csv".into());
    let who = format!("BulkAPI (key groups: {})", access.groups.join(","));
    let result = tokio::task::spawn_blocking(move || -> anyhow::Result<peil_import::Outcome> {
        let dir =
            std::env::temp_dir().join(format!("peil-bulk-{}-{}", std::process::id(), unique()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(&name);
        std::fs::write(&path, &body)?;
        let mut store = peil_store::Store::open(&store)?;
        let req = peil_import::ImportRequest {
            kind: Some(peil_ingest::Kind::Data),
            who,
            ..Default::default()
        };
        let out = peil_import::import(&mut store, &path, &req);
        let _ = std::fs::remove_dir_all(&dir);
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
            format!("the import failed: {e:#}"),
        ),
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the import failed: {e}"),
        ),
    }
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}
