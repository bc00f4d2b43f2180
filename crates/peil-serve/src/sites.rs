//! Many sites in one process (`peil serve --sites DIR`): each request goes to the site its
//! host name names, each site with its own state — store, snapshot, configuration, keys,
//! users, response cache, rate limits — built exactly as for a server of one site, so nothing
//! a site holds is reachable from another. Sites share only the process: the listener and the
//! compute runtime ([`crate::work::Compute`]).
//!
//! A site that cannot be opened (a broken configuration, a store that will not open) is held
//! as [`Hosted::Down`]: its host name answers 503, every other site goes on. Sites are added,
//! replaced and removed while the process runs ([`Sites::put`], [`Sites::remove`]); the
//! caller (the CLI) decides when, by scanning the sites directory.

use crate::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tower::ServiceExt;

/// One host name's site.
pub enum Hosted {
    Up {
        state: AppState,
        router: Router,
        /// The site's store poll (new publications, keys, configuration), stopped when the
        /// site goes.
        watcher: tokio::task::AbortHandle,
    },
    /// Could not be opened: why (for the log, not for readers).
    Down(String),
}

impl Drop for Hosted {
    fn drop(&mut self) {
        if let Hosted::Up { watcher, .. } = self {
            watcher.abort();
        }
    }
}

/// The sites of a process, by host name (lower case, without port).
#[derive(Default)]
pub struct Sites {
    map: RwLock<HashMap<String, Arc<Hosted>>>,
}

impl Sites {
    pub fn new() -> Arc<Sites> {
        Arc::new(Sites::default())
    }

    /// Serves `state` for `host` from now on (replacing what the host had). Starts the site's
    /// store poll: call on a tokio runtime (the server's, or a blocking task of it).
    pub fn put(&self, host: &str, state: AppState) {
        let watcher = tokio::runtime::Handle::current()
            .spawn(crate::watch(state.clone()))
            .abort_handle();
        let router = crate::router(state.clone());
        self.insert(
            host,
            Hosted::Up {
                state,
                router,
                watcher,
            },
        );
    }

    /// Holds `host` as down (its answers are 503), saying why in the server log.
    pub fn put_down(&self, host: &str, why: &str) {
        tracing::warn!(target: crate::log::SERVER, event = "site not served", host = host, error = why);
        self.insert(host, Hosted::Down(why.to_string()));
    }

    fn insert(&self, host: &str, hosted: Hosted) {
        if let Ok(mut m) = self.map.write() {
            m.insert(host.to_ascii_lowercase(), Arc::new(hosted));
        }
    }

    /// Stops serving `host`.
    pub fn remove(&self, host: &str) {
        if let Ok(mut m) = self.map.write() {
            m.remove(&host.to_ascii_lowercase());
        }
    }

    /// The host names served (up or down), sorted.
    pub fn hosts(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .map
            .read()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Whether `host` is served and up.
    pub fn is_up(&self, host: &str) -> bool {
        self.get(host)
            .is_some_and(|h| matches!(*h, Hosted::Up { .. }))
    }

    fn get(&self, host: &str) -> Option<Arc<Hosted>> {
        self.map.read().ok()?.get(host).cloned()
    }

    /// Tells every site where the process listens (for absolute links without `base_url`).
    fn set_listening(&self, addr: std::net::SocketAddr) {
        if let Ok(m) = self.map.read() {
            for h in m.values() {
                if let Hosted::Up { state, .. } = &**h {
                    let _ = state.inner.listening.set(addr);
                }
            }
        }
    }
}

/// The host a request names: the `Host` header (HTTP/1.1) or the URI's authority, without
/// port or trailing dot, lower case; `None` when it is missing or not a host name.
fn host_of(req: &Request<Body>) -> Option<String> {
    let raw = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))?;
    let name = match raw.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => raw,
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    let good = (1..=253).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'));
    good.then(|| name.to_ascii_lowercase())
}

/// Sends a request to its host's site. An unknown host answers 404 (the process's own
/// liveness, `/health`, excepted: 200 with the number of sites up and down), a site that is
/// down 503 — without naming other sites or why.
async fn dispatch(State(sites): State<Arc<Sites>>, req: Request<Body>) -> Response {
    let hosted = host_of(&req).and_then(|h| sites.get(&h));
    match hosted.as_deref() {
        Some(Hosted::Up { router, .. }) => {
            let router = router.clone();
            match router.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            }
        }
        Some(Hosted::Down(_)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "30")],
            "This site is not available at the moment.\n",
        )
            .into_response(),
        None if req.uri().path() == "/health" => {
            let (mut up, mut down) = (0, 0);
            for h in sites.hosts() {
                if sites.is_up(&h) {
                    up += 1;
                } else {
                    down += 1;
                }
            }
            axum::Json(serde_json::json!({ "status": "ok", "sites_up": up, "sites_down": down }))
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "No site at this address.\n").into_response(),
    }
}

/// Serves every site of `sites` on one listener until `shutdown` resolves; `rescan` is called
/// every `every` on the blocking pool to add, replace and remove sites.
pub async fn serve_sites(
    sites: Arc<Sites>,
    addr: &str,
    every: std::time::Duration,
    rescan: impl Fn(&Arc<Sites>) + Send + Sync + 'static,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    on_ready: impl FnOnce(std::net::SocketAddr),
) -> Result<(), crate::ServeError> {
    crate::log::install();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| crate::ServeError::Bind {
            addr: addr.to_string(),
            source,
        })?;
    let local = listener.local_addr()?;
    sites.set_listening(local);
    on_ready(local);
    let rescan = Arc::new(rescan);
    let scanner = {
        let sites = sites.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let (s, r) = (sites.clone(), rescan.clone());
                let _ = tokio::task::spawn_blocking(move || r(&s)).await;
                sites.set_listening(local);
            }
        })
    };
    let app = Router::new().fallback(dispatch).with_state(sites);
    crate::listen::run(listener, app, shutdown).await?;
    scanner.abort();
    Ok(())
}
