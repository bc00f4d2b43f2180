//! Rendered answers kept in memory, keyed by publication generation and request. A new
//! publication changes the generation, so old entries are never served again and are dropped.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Mutex;

/// Answers larger than this are not kept.
const MAX_BODY: usize = 8 << 20;
/// All kept answers together stay under this.
const MAX_TOTAL: usize = 256 << 20;

type Key = (u64, String);

#[derive(Default)]
pub struct Responses {
    inner: Mutex<Store>,
}

#[derive(Default)]
struct Store {
    map: HashMap<Key, (StatusCode, HeaderMap, Bytes)>,
    bytes: usize,
}

impl Responses {
    /// Forgets every kept answer (the site's configuration changed).
    pub fn clear(&self) {
        if let Ok(mut s) = self.inner.lock() {
            s.map.clear();
            s.bytes = 0;
        }
    }

    pub fn get(&self, key: &Key) -> Option<Response> {
        let s = self.inner.lock().ok()?;
        let (status, headers, body) = s.map.get(key)?;
        let mut r = Response::new(Body::from(body.clone()));
        *r.status_mut() = *status;
        *r.headers_mut() = headers.clone();
        Some(r)
    }

    /// Buffers an answer (every answer of this server is built in memory anyway), keeps it
    /// when it is small enough, and gives it back.
    pub async fn put(&self, key: Key, resp: Response) -> Response {
        let (parts, body) = resp.into_parts();
        let bytes = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(b) => b,
            Err(e) => {
                let mut r = Response::new(Body::from(format!("the answer could not be sent: {e}")));
                *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                return r;
            }
        };
        if bytes.len() > MAX_BODY {
            return Response::from_parts(parts, Body::from(bytes));
        }
        if let Ok(mut s) = self.inner.lock() {
            if s.bytes + bytes.len() > MAX_TOTAL
                || s.map.keys().next().is_some_and(|k| k.0 != key.0)
            {
                s.map.clear();
                s.bytes = 0;
            }
            s.bytes += bytes.len();
            s.map
                .insert(key, (parts.status, parts.headers.clone(), bytes.clone()));
        }
        Response::from_parts(parts, Body::from(bytes))
    }
}
