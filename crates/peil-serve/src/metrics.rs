//! Prometheus-format metrics (requests by route template and status, latency buckets); the
//! request log is `log.rs`.
//!
//! The route label is the template the router matched (`/api/v1/geolevels/{level}/items`),
//! never the raw path: the number of series is fixed by the routes, whatever paths strangers
//! send (unknown paths all count as `unmatched`).

use crate::AppState;
use axum::extract::State;
use axum::http::Request;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const BUCKETS_MS: [f64; 8] = [1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 1000.0];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Counters>,
}

#[derive(Default)]
struct Counters {
    /// Route template → status → count.
    requests: BTreeMap<String, BTreeMap<u16, u64>>,
    buckets: [u64; BUCKETS_MS.len() + 1],
    sum_ms: f64,
    count: u64,
}

impl Metrics {
    pub fn observe(&self, route: &str, status: u16, took: Duration) {
        let Ok(mut c) = self.inner.lock() else { return };
        match c.requests.get_mut(route) {
            Some(by_status) => *by_status.entry(status).or_default() += 1,
            None => {
                c.requests
                    .insert(route.to_string(), BTreeMap::from([(status, 1)]));
            }
        }
        let ms = took.as_secs_f64() * 1000.0;
        let b = BUCKETS_MS
            .iter()
            .position(|l| ms <= *l)
            .unwrap_or(BUCKETS_MS.len());
        c.buckets[b] += 1;
        c.sum_ms += ms;
        c.count += 1;
    }
}

/// The layer inside the log: counts every answer by route template and status, also those
/// refused by inner layers, and gives it the security headers.
pub(crate) async fn observe<F: Future<Output = Response>>(
    st: &AppState,
    req: Request<axum::body::Body>,
    next: impl FnOnce(Request<axum::body::Body>) -> F,
) -> Response {
    let started = Instant::now();
    let route = crate::log::route(&req);
    let mut resp = next(req).await;
    crate::web::security_headers(resp.headers_mut());
    st.metrics()
        .observe(&route, resp.status().as_u16(), started.elapsed());
    resp
}

pub async fn handler(State(st): State<AppState>) -> impl IntoResponse {
    let snap = st.snapshot();
    let mut out = String::new();
    out.push_str("# HELP peil_publication_generation Generation of the publication being served.\n# TYPE peil_publication_generation gauge\n");
    out.push_str(&format!(
        "peil_publication_generation {}\n",
        snap.generation
    ));
    out.push_str("# HELP peil_published_values Values in the publication being served.\n# TYPE peil_published_values gauge\n");
    out.push_str(&format!("peil_published_values {}\n", snap.stats.values));
    out.push_str("# HELP peil_response_cache_bytes Bytes of rendered answers kept (keys and headers included).\n# TYPE peil_response_cache_bytes gauge\n");
    out.push_str(&format!(
        "peil_response_cache_bytes {}\n",
        st.inner.responses.weight()
    ));
    if let Ok(c) = st.metrics().inner.lock() {
        out.push_str("# HELP peil_http_requests_total HTTP requests by route template and status.\n# TYPE peil_http_requests_total counter\n");
        for (route, by_status) in &c.requests {
            for (status, n) in by_status {
                out.push_str(&format!(
                    "peil_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}\n"
                ));
            }
        }
        out.push_str("# HELP peil_http_request_duration_ms Request duration.\n# TYPE peil_http_request_duration_ms histogram\n");
        let mut cum = 0;
        for (i, l) in BUCKETS_MS.iter().enumerate() {
            cum += c.buckets[i];
            out.push_str(&format!(
                "peil_http_request_duration_ms_bucket{{le=\"{l}\"}} {cum}\n"
            ));
        }
        cum += c.buckets[BUCKETS_MS.len()];
        out.push_str(&format!(
            "peil_http_request_duration_ms_bucket{{le=\"+Inf\"}} {cum}\n"
        ));
        out.push_str(&format!(
            "peil_http_request_duration_ms_sum {}\npeil_http_request_duration_ms_count {}\n",
            c.sum_ms, c.count
        ));
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        out,
    )
}
