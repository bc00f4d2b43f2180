//! The access log: one JSON line per answer on standard error, written through `tracing`.
//!
//! The outermost layer ([`access`]) makes every answer, also those refused by inner layers, an
//! event of target [`ACCESS`] with the fields `request_id`, `method`, `route`, `path`,
//! `status`, `ms` and `generation` (the publication the answer is of, as its ETag says:
//! `cache::AnsweredFrom`). The request ID is the one a proxy in front sent
//! (`X-Request-ID`, e.g. nginx's `$request_id`, when it is a short token), else one made here
//! (unique across replicas: a random prefix per process and a counter); every answer carries
//! it back in `X-Request-ID`, so one request can be followed from the proxy through a replica. [`install`] sets [`JsonLines`], a small subscriber that writes Peil's events
//! as JSON lines (one object per event, its fields in order), unless the program has set a
//! subscriber of its own, which then receives them. `PEIL_QUIET` turns the access log off;
//! the server's other events ([`SERVER`]: a publication loaded, no `base_url`) stay.

use crate::AppState;
use axum::extract::MatchedPath;
use axum::http::Request;
use axum::response::Response;
use std::fmt::Write as _;
use std::time::Instant;
use tracing::field::{Field, Visit};
use tracing::span;
use tracing::{Event, Metadata, Subscriber};

/// The target of access-log events.
pub const ACCESS: &str = "peil::access";
/// The target of the server's other events (a publication loaded, no `base_url`, a failed
/// accept), written the same way; `PEIL_QUIET` leaves them on.
pub const SERVER: &str = "peil::server";

/// The route label of requests no route matched (also in the metrics).
pub(crate) const UNMATCHED: &str = "unmatched";

/// Sets [`JsonLines`] as the process's subscriber, unless one is set already.
pub fn install() {
    let _ = tracing::subscriber::set_global_default(JsonLines);
}

/// The outermost layer: logs every answer.
pub(crate) async fn access<F: Future<Output = Response>>(
    st: &AppState,
    req: Request<axum::body::Body>,
    next: impl FnOnce(Request<axum::body::Body>) -> F,
) -> Response {
    let id = request_id(&req);
    // Read once per process: the environment's lock and copy cost more than a cached answer.
    static QUIET: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *QUIET.get_or_init(|| std::env::var_os("PEIL_QUIET").is_some()) {
        let mut resp = next(req).await;
        set_request_id(&mut resp, &id);
        return resp;
    }
    let started = Instant::now();
    let route = route(&req);
    // What the log line names: the method and the path as sent, cut short (a log line is
    // bounded like everything else).
    let method = req.method().clone();
    let path: String = req.uri().path().chars().take(200).collect();
    let mut resp = next(req).await;
    set_request_id(&mut resp, &id);
    tracing::info!(
        target: ACCESS,
        request_id = id.as_str(),
        method = method.as_str(),
        route = route.as_str(),
        path = path.as_str(),
        status = resp.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        generation = resp
            .extensions()
            .get::<crate::cache::AnsweredFrom>()
            .map_or_else(|| st.snapshot().generation, |g| g.0),
    );
    resp
}

/// The request's ID: the proxy's `X-Request-ID` when it is a token of 1–64 letters, digits,
/// `-`, `_` or `.`; else this process's random prefix and the next number.
fn request_id(req: &Request<axum::body::Body>) -> String {
    let sent = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    if let Some(v) = sent {
        return v.to_string();
    }
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let prefix = PREFIX.get_or_init(|| peil_store::random_hex(6));
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}-{n}")
}

fn set_request_id(resp: &mut Response, id: &str) {
    if let Ok(v) = axum::http::HeaderValue::from_str(id) {
        resp.headers_mut().insert("x-request-id", v);
    }
}

/// The route template the router matched, never the raw path.
pub(crate) fn route(req: &Request<axum::body::Body>) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.into(), |m| m.as_str().to_string())
}

/// Writes every event of Peil's targets (`peil…`) to standard error as one JSON object per
/// line: text fields as JSON strings, whole numbers as numbers, fractions to the hundredth.
/// Spans are not recorded; other crates' events (hyper's, tower's) are not enabled.
pub struct JsonLines;

impl Subscriber for JsonLines {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("peil")
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = Line(String::with_capacity(160));
        event.record(&mut line);
        let mut text = line.0;
        text.push('}');
        eprintln!("{text}");
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

/// One JSON object being written, field by field.
struct Line(String);

impl Line {
    fn key(&mut self, field: &Field) {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        push_json_str(&mut self.0, field.name());
        self.0.push(':');
    }
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        push_json_str(&mut self.0, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        let _ = write!(self.0, "{value}");
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        let _ = write!(self.0, "{value}");
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        if value.is_finite() {
            let _ = write!(self.0, "{value:.2}");
        } else {
            self.0.push_str("null");
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        let _ = write!(self.0, "{value}");
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.key(field);
        push_json_str(&mut self.0, &format!("{value:?}"));
    }
}

fn push_json_str(out: &mut String, s: &str) {
    out.push_str(&serde_json::Value::String(s.to_string()).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records events into a string instead of standard error, as [`JsonLines`] writes them.
    fn line_of(emit: impl FnOnce()) -> String {
        struct Capture(std::sync::Arc<std::sync::Mutex<Vec<String>>>);
        impl Subscriber for Capture {
            fn enabled(&self, m: &Metadata<'_>) -> bool {
                JsonLines.enabled(m)
            }
            fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
                span::Id::from_u64(1)
            }
            fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
            fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
            fn event(&self, event: &Event<'_>) {
                let mut line = Line(String::new());
                event.record(&mut line);
                line.0.push('}');
                self.0.lock().unwrap().push(line.0);
            }
            fn enter(&self, _: &span::Id) {}
            fn exit(&self, _: &span::Id) {}
        }
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        tracing::subscriber::with_default(Capture(lines.clone()), emit);
        lines.lock().unwrap().join("\n")
    }

    #[test]
    fn access_events_are_the_json_lines_of_the_old_log() {
        let line = line_of(|| {
            tracing::info!(
                target: ACCESS,
                method = "GET",
                route = "/api/v1/indicators/{code}",
                path = "/api/v1/indicators/\"x\"",
                status = 200u16,
                ms = 1.23456,
                generation = 7u64,
            )
        });
        assert_eq!(
            line,
            r#"{"method":"GET","route":"/api/v1/indicators/{code}","path":"/api/v1/indicators/\"x\"","status":200,"ms":1.23,"generation":7}"#
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["status"], 200);
    }

    #[test]
    fn server_events_keep_their_old_lines() {
        let line = line_of(
            || tracing::info!(target: SERVER, event = "publication loaded", generation = 3u64),
        );
        assert_eq!(line, r#"{"event":"publication loaded","generation":3}"#);
    }

    #[test]
    fn other_crates_events_are_not_written() {
        assert_eq!(
            line_of(|| tracing::info!(target: "hyper::proto", x = 1)),
            ""
        );
    }
}
