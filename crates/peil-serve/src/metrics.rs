//! Prometheus-format metrics: requests by route family and status, and latency buckets.

use crate::AppState;
use axum::extract::State;
use axum::response::IntoResponse;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS_MS: [f64; 8] = [1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 1000.0];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Counters>,
}

#[derive(Default)]
struct Counters {
    requests: BTreeMap<(String, u16), u64>,
    buckets: [u64; BUCKETS_MS.len() + 1],
    sum_ms: f64,
    count: u64,
}

/// Groups paths so that the metric has few series: `/api/v1/data`, `/jiveservices/odata`, …
fn family(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        ["api", "v1", x, ..] => format!("/api/v1/{x}"),
        [svc @ ("jiveservices" | "viewerservices"), "odata", ..] => format!("/{svc}/odata"),
        [x, ..] => format!("/{x}"),
        [] => "/".into(),
    }
}

impl Metrics {
    pub fn observe(&self, path: &str, status: u16, took: Duration) {
        let Ok(mut c) = self.inner.lock() else { return };
        *c.requests.entry((family(path), status)).or_default() += 1;
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
    if let Ok(c) = st.metrics().inner.lock() {
        out.push_str("# HELP peil_http_requests_total HTTP requests by route family and status.\n# TYPE peil_http_requests_total counter\n");
        for ((route, status), n) in &c.requests {
            out.push_str(&format!(
                "peil_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}\n"
            ));
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
