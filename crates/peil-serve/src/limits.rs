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
//! | requests per address | `rate_limit` in peil.toml (429), the address by [`client_addr`] | [`rate_limit`] |
//! | `X-Forwarded-For` | read only from `trusted_proxies`, at most [`MAX_FORWARDED_HOPS`] entries | [`client_addr`] |
//! | a code's suggestions | codes up to 64 characters, bounded edit distance | `problem.rs` |
//! | kept answers | `cache_mb` in peil.toml, keys and headers included | `cache.rs` |
//! | metric series | one per route template and status | `metrics.rs` |
//! | bulk report jobs | keys of group `reports`/`admin`, [`MAX_JOBS`] at once | `web/jobs.rs` |

use crate::AppState;
use axum::http::{HeaderValue, Request, StatusCode, header};
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
pub(crate) async fn uri_cap<F: Future<Output = Response>>(
    req: Request<axum::body::Body>,
    next: impl FnOnce(Request<axum::body::Body>) -> F,
) -> Response {
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
    next(req).await
}

/// The rate limit per client address (`rate_limit` in peil.toml): over it, 429 with
/// `Retry-After`, before the key is checked or the cache is asked.
pub(crate) async fn rate_limit<F: Future<Output = Response>>(
    st: &AppState,
    req: Request<axum::body::Body>,
    next: impl FnOnce(Request<axum::body::Body>) -> F,
) -> Response {
    if let (Some(rate), Some(addr)) = (&st.inner.rate, req.extensions().get::<ClientAddr>())
        && let Err(wait) = rate.take(addr.0)
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
    next(req).await
}

pub struct RateLimiter {
    /// The site's limit: requests per second per client address, over all its servers.
    site_per_second: f64,
    /// Servers serving the site now (at least 1; `set_replicas`): each allows its share.
    replicas: std::sync::atomic::AtomicU32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_second` requests per client address on average, bursts of twice that, for the
    /// whole site: a server that is one of `n` replicas allows `1/n` of it
    /// ([`RateLimiter::set_replicas`]), so a load balancer spreading a client's requests over
    /// them lets it through at the site's rate, not `n` times that (issue 16).
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            site_per_second: f64::from(per_second.max(1)),
            replicas: std::sync::atomic::AtomicU32::new(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// How many servers serve the site now (counted in the store at every poll).
    pub fn set_replicas(&self, n: u32) {
        self.replicas
            .store(n.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    /// Takes one token; `Err(seconds)` says how long until the next one.
    pub fn take(&self, addr: IpAddr) -> Result<(), f64> {
        let n = f64::from(
            self.replicas
                .load(std::sync::atomic::Ordering::Relaxed)
                .max(1),
        );
        let per_second = self.site_per_second / n;
        // A burst of at least one request, so that a share below one per second still lets
        // a client through now and then.
        let burst = (per_second * 2.0).max(1.0);
        let Ok(mut b) = self.buckets.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        if b.len() > 100_000 {
            // Forget idle clients rather than grow without bound.
            b.retain(|_, (_, t)| now.duration_since(*t).as_secs() < 60);
        }
        let (tokens, last) = b.entry(addr).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * per_second).min(burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - *tokens) / per_second)
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

    #[test]
    fn one_of_several_replicas_allows_its_share_of_the_site_limit() {
        let r = RateLimiter::new(10);
        r.set_replicas(2);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let allowed = (0..40).filter(|_| r.take(a).is_ok()).count();
        assert_eq!(allowed, 10, "a burst of twice its share, 5 per second");
        // A share below one per second still lets a request through.
        let r = RateLimiter::new(1);
        r.set_replicas(4);
        assert!(r.take(a).is_ok());
        assert!(r.take(a).is_err());
    }
}

// --- the client's address ---------------------------------------------------------------

/// Where a request came from, resolved once per request by [`client_addr`]: the connection's
/// peer, or — when that peer is one of the site's `trusted_proxies` — the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy. The rate limit, the login limit per
/// address and the audit log's "from where" all read this one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// A trusted reverse proxy: one address or a network (`10.0.0.0/8`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proxy {
    net: IpAddr,
    bits: u8,
}

impl Proxy {
    /// Parses `192.0.2.1`, `::1` or `10.0.0.0/8`.
    pub fn parse(s: &str) -> Result<Proxy, String> {
        let bad = || {
            format!(
                "trusted_proxies: '{}' is not an address or network (expected e.g. 127.0.0.1, ::1 or 10.0.0.0/8)",
                peil_core::shown(s)
            )
        };
        let (addr, bits) = match s.trim().split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u8>().map_err(|_| bad())?)),
            None => (s.trim(), None),
        };
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        if bits > max {
            return Err(bad());
        }
        Ok(Proxy { net, bits })
    }

    fn holds(&self, ip: IpAddr) -> bool {
        // An IPv4 peer may arrive as an IPv4-mapped IPv6 address on a dual-stack socket.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        let prefix = |a: u128, b: u128, width: u32| {
            let shift = width - u32::from(self.bits);
            shift >= width || (a >> shift) == (b >> shift)
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix(u32::from(n).into(), u32::from(a).into(), 32),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix(u128::from(n), u128::from(a), 128),
            _ => false,
        }
    }
}

/// At most this many `X-Forwarded-For` entries are read (from the right).
const MAX_FORWARDED_HOPS: usize = 16;

/// The client of a request whose connection came from `peer`, given the trusted proxies.
pub fn client_of(peer: IpAddr, forwarded: &[&str], trusted: &[Proxy]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|p| p.holds(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    // Each proxy appends the address it received from; read right to left, stop at the first
    // address no trusted proxy wrote (everything left of it is the client's own claim).
    let hops = forwarded
        .iter()
        .rev()
        .flat_map(|h| h.rsplit(','))
        .take(MAX_FORWARDED_HOPS);
    for hop in hops {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            // Garbage where a proxy should have written an address: trust nothing further.
            Err(_) => break,
        }
    }
    client
}

/// Resolves the request's [`ClientAddr`] once, before anything that counts or logs by address.
pub(crate) async fn client_addr<F: Future<Output = Response>>(
    st: &AppState,
    mut req: Request<axum::body::Body>,
    next: impl FnOnce(Request<axum::body::Body>) -> F,
) -> Response {
    if let Some(peer) = req
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    {
        let trusted = &st.inner.trusted_proxies;
        let ip = if trusted.is_empty() {
            peer
        } else {
            let forwarded: Vec<&str> = req
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            client_of(peer, &forwarded, trusted)
        };
        req.extensions_mut().insert(ClientAddr(ip));
    }
    next(req).await
}

#[cfg(test)]
mod client_tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_peer_may_name_the_client() {
        let trusted = [
            Proxy::parse("10.0.0.0/8").unwrap(),
            Proxy::parse("::1").unwrap(),
        ];
        // An untrusted peer: its header is ignored.
        assert_eq!(
            client_of(ip("203.0.113.9"), &["1.2.3.4"], &trusted),
            ip("203.0.113.9")
        );
        // Through one trusted proxy.
        assert_eq!(
            client_of(ip("10.1.2.3"), &["198.51.100.7"], &trusted),
            ip("198.51.100.7")
        );
        // A client that forges the header: the proxy appended the real address, which wins.
        assert_eq!(
            client_of(ip("10.1.2.3"), &["6.6.6.6, 198.51.100.7"], &trusted),
            ip("198.51.100.7")
        );
        // Two trusted proxies in a row, over two header lines.
        assert_eq!(
            client_of(ip("::1"), &["198.51.100.7", "10.9.9.9"], &trusted),
            ip("198.51.100.7")
        );
        // No header, or garbage: the peer.
        assert_eq!(client_of(ip("10.1.2.3"), &[], &trusted), ip("10.1.2.3"));
        assert_eq!(
            client_of(ip("10.1.2.3"), &["nonsense"], &trusted),
            ip("10.1.2.3")
        );
        // An IPv4-mapped peer counts as its IPv4 address.
        assert_eq!(
            client_of(ip("::ffff:10.0.0.1"), &["198.51.100.7"], &trusted),
            ip("198.51.100.7")
        );
        // Nothing trusted: always the peer.
        assert_eq!(client_of(ip("10.1.2.3"), &["1.2.3.4"], &[]), ip("10.1.2.3"));
    }

    #[test]
    fn proxies_parse_or_say_why() {
        assert!(Proxy::parse("127.0.0.1").unwrap().holds(ip("127.0.0.1")));
        assert!(!Proxy::parse("127.0.0.1").unwrap().holds(ip("127.0.0.2")));
        assert!(Proxy::parse("0.0.0.0/0").unwrap().holds(ip("8.8.8.8")));
        assert!(Proxy::parse("fd00::/8").unwrap().holds(ip("fd12::1")));
        for bad in ["10.0.0.0/33", "localhost", "::1/129", "1.2.3.4/x"] {
            assert!(
                Proxy::parse(bad).unwrap_err().contains("trusted_proxies"),
                "{bad}"
            );
        }
    }
}
