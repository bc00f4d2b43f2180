#![recursion_limit = "256"]
//! Peil's HTTP server: answers from the published, immutable [`Snapshot`] only.
//!
//! The snapshot sits behind one `RwLock<Arc<…>>`: a request clones the `Arc` once and reads a
//! consistent publication for its whole life; a new publication (noticed by polling the
//! store's generation) is loaded aside and swapped in at once, so readers never see half of
//! one. Nothing here reads the test copy.
//!
//! Routes: `/health`, `/metrics` (Prometheus text), the native API under `/api/v1/`
//! (`api.rs`), Swing's OData services and selection tables (`odata.rs`, `swing.rs`).

pub mod api;
pub mod bulk;
mod cache;
pub mod dcat;
pub mod limits;
pub mod metrics;
pub mod odata;
pub mod problem;
pub mod swing;
pub mod web;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Request, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use peil_compute::Snapshot;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    snapshot: RwLock<Arc<Snapshot>>,
    store: PathBuf,
    pub metrics: metrics::Metrics,
    site_name: String,
    /// Active API keys: SHA-256 → access groups; refreshed with every store poll, so a
    /// revoked key stops working within seconds.
    keys: RwLock<std::collections::HashMap<String, Vec<String>>>,
    /// Anonymous readers allowed.
    public: bool,
    responses: cache::Responses,
    rate: Option<limits::RateLimiter>,
    /// The website's configuration (name, logo, colours, languages, highlights).
    site: RwLock<Arc<web::SiteConfig>>,
    /// Asked at every poll for a changed site configuration.
    site_loader: RwLock<Option<SiteLoader>>,
    /// Counts configuration changes; part of every ETag, so pages follow a changed config.
    site_revision: std::sync::atomic::AtomicU64,
}

/// Returns a new site configuration when it changed since the last call.
pub type SiteLoader = Arc<dyn Fn() -> Option<web::SiteConfig> + Send + Sync>;

/// Who is asking: the access groups their `apikey` header unlocks (none for anonymous).
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub groups: Vec<String>,
    /// A key was sent but is unknown or revoked.
    pub invalid_key: bool,
}

impl AppState {
    /// The current publication; hold on to it for the whole request.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.inner
            .snapshot
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn metrics(&self) -> &metrics::Metrics {
        &self.inner.metrics
    }

    /// The store file (for writes that go through the import path, like scripted uploads).
    pub fn store_path(&self) -> &Path {
        &self.inner.store
    }

    pub fn site_name(&self) -> &str {
        &self.inner.site_name
    }

    /// The website's configuration.
    pub fn site(&self) -> Arc<web::SiteConfig> {
        self.inner
            .site
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Sets what the server asks for configuration changes every few seconds.
    pub fn set_site_loader(&self, loader: SiteLoader) {
        if let Ok(mut l) = self.inner.site_loader.write() {
            *l = Some(loader);
        }
    }

    /// Replaces the website's configuration (at start, or when the config file changes).
    pub fn set_site(&self, site: web::SiteConfig) {
        let s = Arc::new(site);
        match self.inner.site.write() {
            Ok(mut g) => *g = s,
            Err(p) => *p.into_inner() = s,
        }
        self.inner
            .site_revision
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.responses.clear();
    }

    /// The access groups of a request, from its `apikey` header (as Swing).
    pub fn access(&self, headers: &HeaderMap) -> Access {
        let Some(key) = headers.get("apikey").and_then(|v| v.to_str().ok()) else {
            return Access::default();
        };
        let hash = peil_store::hash_key(key);
        match self
            .inner
            .keys
            .read()
            .ok()
            .and_then(|k| k.get(&hash).cloned())
        {
            Some(groups) => Access {
                groups,
                invalid_key: false,
            },
            None => Access {
                groups: Vec::new(),
                invalid_key: true,
            },
        }
    }

    fn refresh_keys(&self, store: &Path) {
        let Ok(s) = peil_store::Store::open(store) else {
            return;
        };
        let Ok(map) = s.api_key_hashes() else { return };
        if let Ok(mut k) = self.inner.keys.write() {
            *k = map;
        }
    }

    fn swap(&self, s: Snapshot) {
        let s = Arc::new(s);
        match self.inner.snapshot.write() {
            Ok(mut g) => *g = s,
            Err(p) => *p.into_inner() = s,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] peil_store::StoreError),
    #[error("the site has not been published yet: run `peil publish` first")]
    NotPublished,
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Loads the live copy of a store into a snapshot.
pub fn load(store: &Path) -> Result<Snapshot, ServeError> {
    let s = peil_store::Store::open(store)?;
    let live = s.live()?.ok_or(ServeError::NotPublished)?;
    let mut snap = Snapshot::from_live(live.generation, live.indicators, live.levels, live.series);
    // Geography is reference data: codes are permanent, so the current tables describe the
    // published items too. Loaded once per publication, never per request.
    snap.set_geometry(s.all_geometry()?);
    for e in s.status()?.edges {
        let links = s.links(&e.child, &e.parent)?.into_iter().collect();
        snap.links.insert((e.child, e.parent), links);
    }
    Ok(snap)
}

/// The state for a store whose live copy exists.
pub fn state(store: &Path, site_name: &str) -> Result<AppState, ServeError> {
    state_with(store, site_name, true)
}

/// Like [`state`]; a site that is not public answers 401 to requests without a valid key
/// (as a protected Swing service does), except for `/health` and `/metrics`.
pub fn state_with(store: &Path, site_name: &str, public: bool) -> Result<AppState, ServeError> {
    state_full(store, site_name, public, None)
}

/// Like [`state_with`], with an optional rate limit in requests per second per client address.
pub fn state_full(
    store: &Path,
    site_name: &str,
    public: bool,
    rate_limit: Option<u32>,
) -> Result<AppState, ServeError> {
    let snap = load(store)?;
    Ok(AppState {
        inner: Arc::new(Inner {
            snapshot: RwLock::new(Arc::new(snap)),
            store: store.to_path_buf(),
            metrics: metrics::Metrics::default(),
            site_name: site_name.to_string(),
            keys: RwLock::new(Default::default()),
            public,
            responses: cache::Responses::default(),
            rate: rate_limit.filter(|r| *r > 0).map(limits::RateLimiter::new),
            site: RwLock::new(Arc::new(web::SiteConfig::named(site_name))),
            site_loader: RwLock::new(None),
            site_revision: std::sync::atomic::AtomicU64::new(0),
        }),
    })
    .inspect(|st: &AppState| st.refresh_keys(store))
}

/// All routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics::handler))
        .merge(api::routes())
        .merge(odata::routes())
        .merge(swing::routes())
        .merge(bulk::routes())
        .merge(dcat::routes())
        .merge(web::routes())
        .fallback(web::fallback)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        // The fastest levels: a map page of thousands of areas compresses in a few
        // milliseconds instead of fifteen, for a transfer a tenth larger.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Fastest),
        )
        .layer(tower_http::cors::CorsLayer::permissive())
        .with_state(state)
}

async fn health(State(st): State<AppState>) -> impl IntoResponse {
    let s = st.snapshot();
    axum::Json(
        serde_json::json!({ "status": "ok", "generation": s.generation, "values": s.stats.values }),
    )
}

/// Request log, metrics, and caching headers: the ETag is the publication's generation, so a
/// client that has this publication gets `304 Not Modified`.
async fn observe(
    State(st): State<AppState>,
    req: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    if req.uri().to_string().len() > limits::MAX_URI {
        return problem::Problem::new(
            axum::http::StatusCode::URI_TOO_LONG,
            "URI too long",
            format!(
                "the request line is over {} characters; ask for fewer codes at once",
                limits::MAX_URI
            ),
        )
        .into_response();
    }
    if let (Some(rate), Some(addr)) = (
        &st.inner.rate,
        req.extensions()
            .get::<axum::extract::ConnectInfo<SocketAddr>>(),
    ) {
        if let Err(wait) = rate.take(addr.0.ip()) {
            let mut r = problem::Problem::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                format!("this address is over the limit of requests per second; try again in {wait:.1} s"),
            )
            .into_response();
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(wait.ceil().max(1.0) as u64),
            );
            st.metrics().observe(&path, 429, started.elapsed());
            return r;
        }
    }
    let generation = st.snapshot().generation;
    let revision = st
        .inner
        .site_revision
        .load(std::sync::atomic::Ordering::SeqCst);
    let etag = if revision == 0 {
        format!("\"peil-{generation}\"")
    } else {
        format!("\"peil-{generation}-{revision}\"")
    };
    let cacheable = method == axum::http::Method::GET
        && !path.starts_with("/health")
        && !path.starts_with("/metrics");
    let open = path.starts_with("/health") || path.starts_with("/metrics");
    // A site that is not public wants a valid key. On a public site a wrong or revoked key is
    // refused by the native API (rather than read as anonymous), while Swing's paths answer as
    // Swing does: existing clients send whatever key they were configured with.
    let swing = ["/jiveservices/", "/viewerservices/", "/jive/", "/viewer/"]
        .iter()
        .any(|p| path.starts_with(p));
    if !open && (req.headers().contains_key("apikey") || !st.inner.public) {
        let access = st.access(req.headers());
        let refuse = if st.inner.public {
            access.invalid_key && !swing
        } else {
            access.invalid_key || !req.headers().contains_key("apikey")
        };
        if refuse {
            let problem = if access.invalid_key {
                problem::Problem::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "Invalid API key",
                    "the key in the `apikey` header is unknown or revoked; ask the site's administrators for a valid one",
                )
                .documented("/api/v1/docs#problem-invalid-key")
            } else {
                problem::Problem::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "Unauthorized",
                    "this site is not public: send a valid key in the `apikey` header",
                )
            };
            let mut r = problem.into_response();
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("apikey"));
            st.metrics().observe(&path, 401, started.elapsed());
            return r;
        }
    }
    if cacheable && if_none_match(req.headers(), &etag) {
        let mut r = axum::http::StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert(
            header::ETAG,
            HeaderValue::from_str(&etag).expect("ascii etag"),
        );
        st.metrics().observe(&path, 304, started.elapsed());
        return r;
    }
    // Answers to a key holder may hold restricted data: never kept by shared caches.
    let keyed = req.headers().contains_key("apikey");
    // The snapshot is immutable, so an answer is a function of the publication, the request
    // and the reader's access: rendered once, then served from memory.
    let cache_key = cacheable.then(|| {
        // Every header that can change an answer (Accept, Host for absolute links, Prefer…),
        // the key itself replaced by the access groups it unlocks.
        let mut key = req.uri().to_string();
        let mut names: Vec<&str> = req.headers().keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        for name in names {
            if matches!(
                name,
                "apikey"
                    | "user-agent"
                    | "connection"
                    | "if-none-match"
                    | "if-modified-since"
                    | "accept-encoding"
                    | "content-length"
                    | "cache-control"
                    | "pragma"
                    | "traceparent"
                    | "x-request-id"
            ) {
                continue;
            }
            for v in req.headers().get_all(name) {
                key.push('|');
                key.push_str(name);
                key.push('=');
                key.push_str(v.to_str().unwrap_or("?"));
            }
        }
        if keyed {
            key.push_str("|groups=");
            key.push_str(&st.access(req.headers()).groups.join(","));
        }
        (generation, key)
    });
    if let Some(hit) = cache_key.as_ref().and_then(|k| st.inner.responses.get(k)) {
        st.metrics()
            .observe(&path, hit.status().as_u16(), started.elapsed());
        return hit;
    }
    let resp = next.run(req).await;
    // Answers that change while a publication lasts (a job's progress) say no-store.
    let no_store = resp
        .headers()
        .get(header::CACHE_CONTROL)
        .is_some_and(|v| v.as_bytes().starts_with(b"no-store"));
    let mut resp = match &cache_key {
        Some(k) if resp.status().is_success() && !no_store => {
            st.inner.responses.put(k.clone(), resp).await
        }
        _ => resp,
    };
    if cacheable && resp.status().is_success() && !no_store {
        let h = resp.headers_mut();
        h.insert(
            header::ETAG,
            HeaderValue::from_str(&etag).expect("ascii etag"),
        );
        let cc = if keyed {
            "private, max-age=60"
        } else {
            "public, max-age=60"
        };
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cc));
        if !h.contains_key(header::VARY) {
            h.insert(header::VARY, HeaderValue::from_static("accept, apikey"));
        }
    }
    let status = resp.status().as_u16();
    st.metrics().observe(&path, status, started.elapsed());
    if std::env::var_os("PEIL_QUIET").is_none() {
        eprintln!(
            "{{\"method\":\"{method}\",\"path\":{},\"status\":{status},\"ms\":{:.2},\"generation\":{generation}}}",
            serde_json::Value::String(path),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    resp
}

fn if_none_match(h: &HeaderMap, etag: &str) -> bool {
    h.get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// Polls the store for a new publication and swaps it in.
async fn watch(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tick.tick().await;
        let store = state.inner.store.clone();
        {
            let (st, path) = (state.clone(), store.clone());
            let _ = tokio::task::spawn_blocking(move || st.refresh_keys(&path)).await;
        }
        let loader = state.inner.site_loader.read().ok().and_then(|l| l.clone());
        if let Some(load) = loader
            && let Ok(Some(cfg)) = tokio::task::spawn_blocking(move || load()).await
        {
            state.set_site(cfg);
        }
        let current = state.snapshot().generation;
        let newer = tokio::task::spawn_blocking(move || -> Option<Snapshot> {
            let g = peil_store::Store::open(&store)
                .ok()?
                .live_generation()
                .ok()??;
            (g != current).then(|| load(&store).ok()).flatten()
        })
        .await
        .ok()
        .flatten();
        if let Some(s) = newer {
            eprintln!(
                "{{\"event\":\"publication loaded\",\"generation\":{}}}",
                s.generation
            );
            state.swap(s);
        }
    }
}

/// Serves until `shutdown` resolves (Ctrl-C for the CLI); in-flight requests finish first.
pub async fn serve(
    state: AppState,
    addr: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: addr.to_string(),
            source,
        })?;
    on_ready(listener.local_addr()?);
    let watcher = tokio::spawn(watch(state.clone()));
    let app = router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    watcher.abort();
    Ok(())
}
