//! What a stranger's request may cost, bounded before work starts.
//!
//! | what | bound | where |
//! |---|---|---|
//! | request line | [`MAX_URI`] (414 beyond) | [`uri_cap`] |
//! | all request headers | [`MAX_HEAD`] (431 beyond) | the connection (`listen.rs`) |
//! | headers' arrival, and an idle keep-alive connection | [`HEADER_TIMEOUT`] | the connection |
//! | open connections | [`max_connections`], from the file-descriptor limit | the connection |
//! | request body | [`MAX_FORM`]; uploads [`MAX_UPLOAD`], streamed to disk after the key is checked | routes |
//! | time to answer | [`ANSWER_TIMEOUT`] (503 beyond) | `work.rs` |
//! | CPU | answers run on the compute runtime, never on the one that accepts and answers `/health` | `work.rs` |
//! | requests per address | `rate_limit` in peil.toml (429) | [`rate_limit`] |
//! | a code's suggestions | codes up to 64 characters, bounded edit distance | `problem.rs` |
//! | kept answers | `cache_mb` in peil.toml, keys and headers included | `cache.rs` |
//! | metric series | one per route template and status | `metrics.rs` |
//! | bulk report jobs | keys of group `reports`/`admin`, [`MAX_JOBS`] at once | `web/jobs.rs` |

use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest request URI accepted (Power BI and Excel stay under 2,048 characters).
pub const MAX_URI: usize = 8 * 1024;
/// All request headers together (hyper's read buffer): a browser sends about 2 KB.
pub const MAX_HEAD: usize = 64 * 1024;
/// A client has this long to send a request's headers, and an idle keep-alive connection is
/// closed after it: half-sent requests cannot hold connections.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest an answer may take; the reader gets 503 after it.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest body of a form post (the bulk-report form).
pub const MAX_FORM: usize = 16 * 1024;
/// Largest scripted upload, written to a temporary file as it arrives.
pub const MAX_UPLOAD: u64 = 512 << 20;
/// Bulk report jobs running at once on one site.
pub const MAX_JOBS: usize = 2;

/// Open connections allowed: most of the process's file descriptors, keeping a reserve for
/// the store, temporary files and the poller (which once stopped with "Too many open files").
pub fn max_connections() -> usize {
    let limit = raise_fd_limit();
    (limit.saturating_sub(256) * 3 / 4).clamp(64, 100_000) as usize
}

/// Raises the soft limit on open files to the hard limit (as servers do) and returns it.
fn raise_fd_limit() -> libc::rlim_t {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
    unsafe {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return 1024;
        }
        if r.rlim_cur < r.rlim_max {
            let want = libc::rlimit {
                rlim_cur: r.rlim_max.min(1 << 20),
                rlim_max: r.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                r.rlim_cur = want.rlim_cur;
            }
        }
        r.rlim_cur
    }
}

/// The first layer after the log and metrics: a request line over [`MAX_URI`] is refused
/// (414) before anything else looks at the request.
pub(crate) async fn uri_cap(req: Request<axum::body::Body>, next: Next) -> Response {
    let uri = req.uri();
    let len = uri
        .path_and_query()
        .map_or(uri.path().len(), |p| p.as_str().len())
        + uri.authority().map_or(0, |a| a.as_str().len() + 8);
    if len > MAX_URI {
        return crate::problem::Problem::new(
            StatusCode::URI_TOO_LONG,
            "URI too long",
            format!("the request line is over {MAX_URI} characters; ask for fewer codes at once"),
        )
        .into_response();
    }
    next.run(req).await
}

/// The rate limit per client address (`rate_limit` in peil.toml): over it, 429 with
/// `Retry-After`, before the key is checked or the cache is asked.
pub(crate) async fn rate_limit(
    State(st): State<AppState>,
    req: Request<axum::body::Body>,
    next: Next,
) -> Response {
    if let (Some(rate), Some(addr)) = (
        &st.inner.rate,
        req.extensions()
            .get::<axum::extract::ConnectInfo<SocketAddr>>(),
    ) && let Err(wait) = rate.take(addr.0.ip())
    {
        let mut r = crate::problem::Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            format!(
                "this address is over the limit of requests per second; try again in {wait:.1} s"
            ),
        )
        .into_response();
        r.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.ceil().max(1.0) as u64),
        );
        return r;
    }
    next.run(req).await
}

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_second` requests per client address on average, bursts of twice that.
    pub fn new(per_second: u32) -> RateLimiter {
        let per_second = f64::from(per_second.max(1));
        RateLimiter {
            per_second,
            burst: per_second * 2.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token; `Err(seconds)` says how long until the next one.
    pub fn take(&self, addr: IpAddr) -> Result<(), f64> {
        let Ok(mut b) = self.buckets.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        if b.len() > 100_000 {
            // Forget idle clients rather than grow without bound.
            b.retain(|_, (_, t)| now.duration_since(*t).as_secs() < 60);
        }
        let (tokens, last) = b.entry(addr).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - *tokens) / self.per_second)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_limits_per_address() {
        let r = RateLimiter::new(5);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..10 {
            assert!(r.take(a).is_ok());
        }
        assert!(r.take(a).is_err());
        assert!(r.take(b).is_ok(), "another address has its own bucket");
    }
}
