#![recursion_limit = "256"]
//! Peil's HTTP server: answers from the published, immutable [`Snapshot`] only.
//!
//! The snapshot sits behind one `RwLock<Arc<…>>`: a request clones the `Arc` once and reads a
//! consistent publication for its whole life; a new publication (announced by a PostgreSQL
//! store, else noticed by polling the store's generation: see [`watch`]) is loaded aside and swapped in at once, so readers never see half of
//! one. Nothing here reads the test copy.
//!
//! Routes: `/health` (liveness), `/health/ready` (readiness: a publication is loaded), `/metrics` (Prometheus text), the native API under `/api/v1/`
//! (`api.rs`), Swing's OData services and selection tables (`odata/`, `swing.rs`).
//!
//! Every request passes the same steps, each with one job, outermost first (one layer, [`layers`], calls them in turn; see [`router`]):
//! the client's address (`limits::client_addr`: the peer, or a trusted proxy's
//! `X-Forwarded-For`), the access log (`log::access`), metrics and security headers (`metrics::observe`), the
//! request line's length (`limits::uri_cap`), the rate limit (`limits::rate_limit`), the
//! reader (`access::boundary` — the trust boundary), ETag and 304 (`cache::validate`), the
//! response cache (`cache::respond`), and the move to the compute runtime (`work::offload`).
//! So a refused request is still logged and counted, an over-long URI is refused before
//! anything else looks at it, a rate-limited request before its key is checked, and only a
//! request with a resolved reader reaches the cache. Connections themselves are bounded in
//! `listen.rs`. See `limits.rs` for every bound.

pub mod access;
pub mod admin;
pub mod api;
pub mod bulk;
mod cache;
pub mod dcat;
pub mod fragments;
pub mod limits;
mod listen;
pub mod log;
pub mod manual;
pub mod metrics;
pub mod odata;
mod pool;
mod preview;
pub mod problem;
pub mod query;
pub mod site;
pub mod sites;
pub mod swing;
pub mod web;
mod work;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::{self, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use peil_compute::Snapshot;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    snapshot: RwLock<Arc<Snapshot>>,
    /// What this server derived from the publication it serves (indexes, fragments, map
    /// layers, stories' data): per server, never per process.
    publication: api::cache::Current,
    store: peil_store::Location,
    pub metrics: metrics::Metrics,
    site_name: String,
    /// Cells one data request may ask for ([`Options::max_cells`]).
    max_cells: usize,
    /// Active API keys, refreshed with every store poll.
    keys: access::Keys,
    /// Anonymous readers allowed.
    public: bool,
    responses: cache::Responses,
    rate: Option<limits::RateLimiter>,
    trusted_proxies: Vec<limits::Proxy>,
    /// The website's configuration (name, logo, colours, languages, highlights).
    site: RwLock<Arc<site::SiteConfig>>,
    /// Asked at every poll for a changed site configuration.
    site_loader: RwLock<Option<SiteLoader>>,
    /// Builds the site configuration from a `peil.toml` text, checked as the CLI checks it
    /// (the back office's settings form saves only what it accepts).
    config_builder: RwLock<Option<ConfigBuilder>>,
    /// Held while the site's files are written and the configuration swapped, by the back
    /// office's saves and the poll alike, so an older read never replaces a newer one.
    site_files: std::sync::Mutex<()>,
    /// Whether the store has been read since start (see [`Readiness`]).
    readiness: std::sync::atomic::AtomicU8,
    /// Counts configuration changes; part of every cache key, and of the ETag when the
    /// configuration has no digest.
    site_revision: std::sync::atomic::AtomicU64,
    /// The configuration's digest (`SiteConfig::digest`, 0 for none); part of every ETag, so
    /// pages follow a changed configuration and replicas of the same files agree.
    site_digest: std::sync::atomic::AtomicU64,
    /// The address the server listens on (for absolute links when no `base_url` is set).
    listening: OnceLock<SocketAddr>,
    /// Where answers are computed (see `work.rs`); shared by the sites of one process.
    compute: Arc<work::Compute>,
    /// How the back office's sessions and logins are bounded.
    admin: admin::AdminOptions,
    /// The server's connections to the store (users, sessions, audit log, the back office's
    /// reads and edits), opened when first needed and used on the blocking pool only.
    admin_store: pool::Pool,
    /// The test copy's snapshot that experts preview, when one was built.
    preview: preview::Copies,
    /// OpenID Connect logins under way and the provider's metadata.
    oidc: admin::OidcFlows,
    /// The back office's last publish diff and what it was computed from.
    diff_cache: admin::DiffCache,
    /// The operational dashboards' figures last made, with what they were made from.
    dashboards: admin::DashboardCache,
    /// Where the publication's snapshot file is mapped from ([`Options::snapshot_dir`]).
    snapshot_dir: Option<std::path::PathBuf>,
}

/// Returns a new site configuration when it changed since the last call.
pub type SiteLoader = Arc<dyn Fn() -> Option<site::SiteConfig> + Send + Sync>;

/// Builds the site configuration from the text of a `peil.toml` in the site directory, or says
/// what is wrong with it (the CLI's own checks: `peil serve` sets it).
pub type ConfigBuilder = Arc<dyn Fn(&str) -> Result<site::SiteConfig, String> + Send + Sync>;

/// How a server is set up (what `peil.toml` and the command line say).
#[derive(Debug, Clone)]
pub struct Options {
    pub site_name: String,
    /// Anonymous readers allowed; `false` answers 401 without a valid key (as a protected
    /// Swing service does), except for `/health` and `/metrics`.
    pub public: bool,
    /// Requests per second per client address.
    pub rate_limit: Option<u32>,
    /// Bytes of rendered answers kept in memory (keys and headers included).
    pub cache_bytes: u64,
    /// Cells one data request may ask for.
    pub max_cells: usize,
    /// The back office's sessions and logins (`[admin]` in peil.toml).
    pub admin: admin::AdminOptions,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`trusted_proxies`).
    pub trusted_proxies: Vec<limits::Proxy>,
    /// The compute runtime to use (several sites of one process share one); `None` makes the
    /// server its own.
    pub compute: Option<SharedCompute>,
    /// Where the publication's snapshot file is kept and mapped (`peil_compute::file`;
    /// `<site>/.snapshots` for `peil serve`); `None` holds the values in memory.
    pub snapshot_dir: Option<std::path::PathBuf>,
}

/// A compute runtime (see `work.rs`) that several servers of one process share.
#[derive(Clone)]
pub struct SharedCompute(Arc<work::Compute>);

impl SharedCompute {
    pub fn new() -> std::io::Result<SharedCompute> {
        Ok(SharedCompute(Arc::new(work::Compute::new()?)))
    }
}

impl std::fmt::Debug for SharedCompute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedCompute")
    }
}

impl Options {
    pub fn new(site_name: &str) -> Options {
        Options {
            site_name: site_name.to_string(),
            public: true,
            rate_limit: None,
            cache_bytes: 64 << 20,
            max_cells: api::max_cells_from_env(),
            admin: admin::AdminOptions::default(),
            trusted_proxies: Vec::new(),
            compute: None,
            snapshot_dir: None,
        }
    }
}

impl AppState {
    /// Where the publication's snapshot file is mapped from, if it is.
    pub fn snapshot_dir(&self) -> Option<&std::path::Path> {
        self.inner.snapshot_dir.as_deref()
    }

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

    /// Where the store is (for writes that go through the import path, like scripted uploads).
    pub fn store_location(&self) -> &peil_store::Location {
        &self.inner.store
    }

    pub fn site_name(&self) -> &str {
        &self.inner.site_name
    }

    /// The website's configuration.
    pub fn site(&self) -> Arc<site::SiteConfig> {
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

    /// Sets how a `peil.toml` text becomes the site's configuration (for the settings form).
    pub fn set_config_builder(&self, builder: ConfigBuilder) {
        if let Ok(mut b) = self.inner.config_builder.write() {
            *b = Some(builder);
        }
    }

    /// The configuration a `peil.toml` text makes, checked; `None` when this server was given
    /// no way to check one.
    pub(crate) fn build_config(&self, text: &str) -> Option<Result<site::SiteConfig, String>> {
        let b = self.inner.config_builder.read().ok()?.clone()?;
        Some(b(text))
    }

    /// Runs `f` (a write of the site's files and the swap of the configuration it makes) while
    /// no other write or reload of the site's files runs. Blocking: call it on the blocking
    /// pool.
    pub(crate) fn with_site_files<T>(&self, f: impl FnOnce() -> T) -> T {
        let _held = self
            .inner
            .site_files
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        f()
    }

    /// Reads the site's stories and dashboards again and serves them from now on (the rest of
    /// the configuration is kept); every cached answer is forgotten. Call it inside
    /// [`AppState::with_site_files`].
    pub(crate) fn reload_content(&self) -> Vec<peil_story::StoryError> {
        let mut site = (*self.site()).clone();
        let Some(dir) = site.dir.clone() else {
            return Vec::new();
        };
        let (content, problems) = peil_story::Content::load(&dir);
        site.content = Arc::new(content);
        self.set_site(site);
        problems
    }

    /// Replaces the website's configuration (at start, or when the config file changes).
    pub fn set_site(&self, mut site: site::SiteConfig) {
        let files = site.files_digest.take();
        let digest = site.digest(files).unwrap_or(0);
        let s = Arc::new(site);
        match self.inner.site.write() {
            Ok(mut g) => *g = s,
            Err(p) => *p.into_inner() = s,
        }
        self.inner
            .site_revision
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner
            .site_digest
            .store(digest, std::sync::atomic::Ordering::SeqCst);
        self.inner.responses.clear();
    }

    /// The configuration's revision (part of every cache key).
    pub(crate) fn revision(&self) -> u64 {
        self.inner
            .site_revision
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The configuration's digest, 0 for none (part of every ETag; `SiteConfig::digest`).
    pub(crate) fn config_digest(&self) -> u64 {
        self.inner
            .site_digest
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The site's public address, for every absolute link it writes (share links, OData
    /// context and paging links, the catalogue): `base_url` from peil.toml, else the address
    /// it listens on. Never taken from request headers (`Host`, `X-Forwarded-Host`), which a
    /// stranger controls and which would then end up in answers kept for everyone.
    pub fn public_url(&self) -> String {
        if let Some(b) = self.site().base_url.as_deref() {
            return b.trim_end_matches('/').to_string();
        }
        match self.inner.listening.get() {
            Some(a) if a.ip().is_unspecified() => format!("http://localhost:{}", a.port()),
            Some(a) => format!("http://{a}"),
            None => "http://localhost".into(),
        }
    }

    /// How the back office's sessions and logins are bounded.
    pub fn admin_options(&self) -> &admin::AdminOptions {
        &self.inner.admin
    }

    pub(crate) fn oidc_flows(&self) -> &admin::OidcFlows {
        &self.inner.oidc
    }

    pub(crate) fn admin_diff_cache(&self) -> &admin::DiffCache {
        &self.inner.diff_cache
    }

    pub(crate) fn admin_dashboards(&self) -> &admin::DashboardCache {
        &self.inner.dashboards
    }

    /// Runs `f` on one of the server's store connections ([`pool`]), on the blocking pool.
    pub async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&peil_store::Store) -> peil_store::Result<T> + Send + 'static,
    ) -> peil_store::Result<T> {
        self.with_store_mut(move |s| f(s)).await
    }

    /// [`AppState::with_store`] for the back office's edits that need a transaction.
    pub async fn with_store_mut<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut peil_store::Store) -> peil_store::Result<T> + Send + 'static,
    ) -> peil_store::Result<T> {
        let st = self.clone();
        let joined = tokio::task::spawn_blocking(move || st.inner.admin_store.run(f)).await;
        joined.unwrap_or_else(|e| {
            Err(peil_store::StoreError::Invalid(format!(
                "the store task failed: {e}"
            )))
        })
    }

    fn refresh_keys(&self, store: &peil_store::Location) {
        if let Ok(s) = peil_store::Store::open_at(store) {
            let _ = self.refresh_keys_from(&s);
        }
    }

    fn refresh_keys_from(&self, s: &peil_store::Store) -> Result<(), ServeError> {
        self.inner.keys.replace(s.api_key_readers()?);
        Ok(())
    }

    fn swap(&self, s: Snapshot) {
        let s = Arc::new(s);
        match self.inner.snapshot.write() {
            Ok(mut g) => *g = s,
            Err(p) => *p.into_inner() = s,
        }
        // Answers of the previous publication are never served again, nor is what was
        // derived from it kept.
        self.inner.responses.clear();
        self.inner.publication.clear();
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] peil_store::StoreError),
    #[error(transparent)]
    Load(#[from] peil_compute::LoadError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Loads the live copy of a store into a snapshot (see [`Snapshot::load`]); a site never
/// published is served empty (generation 0) until its first publication, which the store
/// poll then picks up.
fn load(
    store: &peil_store::Location,
    dir: Option<&std::path::Path>,
) -> Result<Snapshot, ServeError> {
    load_from(&peil_store::Store::open_at(store)?, dir)
}

/// [`load`] from a store already open: mapped from the publication's snapshot file in `dir`
/// (written first when there is none); when the file cannot be written or read (a full
/// disk, a read-only directory), from the store into memory, with a warning.
fn load_from(
    store: &peil_store::Store,
    dir: Option<&std::path::Path>,
) -> Result<Snapshot, ServeError> {
    let loaded = match dir {
        Some(dir) => match Snapshot::load_mapped(store, dir) {
            Err(e @ peil_compute::LoadError::File { .. }) => {
                let detail = e.to_string();
                tracing::warn!(target: log::SERVER, event = "snapshot file", detail = detail.as_str());
                Snapshot::load(store)
            }
            r => r,
        },
        None => Snapshot::load(store),
    };
    match loaded {
        Err(peil_compute::LoadError::NotPublished) => Ok(Snapshot::unpublished()),
        r => Ok(r?),
    }
}

/// The state for a store (published or not yet), set up as `options` say.
pub fn state_with_options(
    store: &peil_store::Location,
    options: Options,
) -> Result<AppState, ServeError> {
    // A store that cannot be reached at start is served from no publication (not ready)
    // until it can; one that answers with an error (a wrong user, no such store) is refused.
    // The first publication is loaded before the server listens (until then it answers
    // nothing, which a probe takes for not ready).
    let (snap, readiness) = match load(store, options.snapshot_dir.as_deref()) {
        Ok(s) => (s, Readiness::Read),
        Err(ServeError::Store(e)) if e.is_unreachable() => {
            let detail = e.to_string();
            tracing::warn!(target: log::SERVER, event = "store unreachable", detail = detail.as_str());
            (Snapshot::unpublished(), Readiness::Unreachable)
        }
        Err(e) => return Err(e),
    };
    let st = AppState {
        inner: Arc::new(Inner {
            snapshot: RwLock::new(Arc::new(snap)),
            publication: Default::default(),
            store: store.clone(),
            metrics: metrics::Metrics::default(),
            keys: access::Keys::default(),
            public: options.public,
            max_cells: options.max_cells,
            responses: cache::Responses::new(options.cache_bytes),
            rate: options
                .rate_limit
                .filter(|r| *r > 0)
                .map(limits::RateLimiter::new),
            trusted_proxies: options.trusted_proxies,
            site: RwLock::new(Arc::new(site::SiteConfig::named(&options.site_name))),
            site_name: options.site_name,
            site_loader: RwLock::new(None),
            config_builder: RwLock::new(None),
            site_files: std::sync::Mutex::new(()),
            site_revision: std::sync::atomic::AtomicU64::new(0),
            site_digest: std::sync::atomic::AtomicU64::new(0),
            readiness: std::sync::atomic::AtomicU8::new(readiness as u8),
            listening: OnceLock::new(),
            compute: match options.compute {
                Some(c) => c.0,
                None => Arc::new(work::Compute::new()?),
            },
            admin: options.admin,
            admin_store: pool::Pool::new(store.clone(), pool::SIZE),
            preview: Default::default(),
            oidc: Default::default(),
            diff_cache: Default::default(),
            dashboards: Default::default(),
            snapshot_dir: options.snapshot_dir,
        }),
    };
    if readiness == Readiness::Read {
        st.refresh_keys(store);
    }
    Ok(st)
}

/// All routes, behind the layers every request passes. Installs the access log's subscriber
/// ([`log::install`]) unless the program has its own.
pub fn router(state: AppState) -> Router {
    log::install();
    Router::new()
        .route("/health", get(health))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics::handler))
        .merge(api::routes())
        .merge(odata::routes())
        .merge(swing::routes())
        .merge(bulk::routes())
        .merge(dcat::routes())
        .merge(web::routes())
        .merge(admin::routes(&state))
        .fallback(web::fallback)
        .layer(from_fn_with_state(state.clone(), layers))
        .layer(axum::extract::DefaultBodyLimit::max(limits::MAX_FORM))
        // The fastest levels: a map page of thousands of areas compresses in a few
        // milliseconds instead of fifteen, for a transfer a tenth larger.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Fastest),
        )
        .layer(tower_http::cors::CorsLayer::permissive())
        .with_state(state)
}

/// The steps every request passes after its route is found, outermost first (see the module's
/// documentation for why this order). One layer that calls them in turn, each handing the
/// request on to the next through a closure, instead of one tower layer each: a layer's
/// service is cloned, with everything inside it, for every request and again by each layer
/// above it, which cost more than the cached answer itself.
async fn layers(
    State(st): State<AppState>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let st = &st;
    limits::client_addr(st, req, move |req| {
        log::access(st, req, move |req| {
            metrics::observe(st, req, move |req| {
                limits::uri_cap(req, move |req| {
                    limits::rate_limit(st, req, move |req| {
                        access::boundary(st, req, move |req| {
                            cache::validate(st, req, move |req| {
                                cache::respond(st, req, move |req| work::offload(st, req, next))
                            })
                        })
                    })
                })
            })
        })
    })
    .await
}

async fn health(State(st): State<AppState>) -> impl IntoResponse {
    let s = st.snapshot();
    axum::Json(
        serde_json::json!({ "status": "ok", "generation": s.generation, "values": s.stats.values }),
    )
}

/// The paths of probes and monitoring (liveness, readiness, metrics): open on every site,
/// answered on the runtime that accepts connections, never cached.
pub(crate) fn is_probe(path: &str) -> bool {
    matches!(path, "/health" | "/health/ready" | "/metrics")
}

/// Where a server is with its store, for the readiness probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Readiness {
    /// The store has been read: a publication is loaded, or there is none yet.
    Read = 1,
    /// The store could not be reached since start.
    Unreachable = 2,
}

impl AppState {
    fn readiness(&self) -> Readiness {
        match self
            .inner
            .readiness
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            2 => Readiness::Unreachable,
            _ => Readiness::Read,
        }
    }

    fn set_readiness(&self, r: Readiness) {
        self.inner
            .readiness
            .store(r as u8, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Readiness, distinct from liveness (`/health`): 200 once a publication is loaded and
/// answered from, 503 while the server answers from no publication — a store that could not
/// be reached since start (the server starts anyway and loads the publication once it can),
/// or a new site before its first `peil publish` — so a load balancer sends readers only to a server with data. A server
/// that loaded a publication stays ready if its store goes away: it answers from what it has.
async fn ready(State(st): State<AppState>) -> Response {
    let s = st.snapshot();
    let ready = s.generation > 0;
    let status = match st.readiness() {
        _ if ready => "ready",
        Readiness::Unreachable => "not ready: the store cannot be reached",
        Readiness::Read => "not ready: nothing published yet",
    };
    let body = serde_json::json!({
        "status": status,
        "generation": s.generation,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

/// How often a server looks for a new publication (and changed keys and access groups) by
/// itself: on SQLite this is how it notices; on PostgreSQL, where every change is announced
/// (see [`listen`]), it is the fallback.
const POLL: Duration = Duration::from_secs(2);
const POLL_FALLBACK: Duration = Duration::from_secs(10);

/// The poll's connection to the store. On PostgreSQL one connection is kept from poll to poll
/// (and opened again once lost or after a failed read); a SQLite file is opened at each poll,
/// so a store moved into place (`peil migrate-store --replace`) is found.
#[derive(Clone)]
struct PollStore {
    at: peil_store::Location,
    open: Arc<std::sync::Mutex<Option<peil_store::Store>>>,
}

impl PollStore {
    /// Runs `f` on the store (blocking: call it on the blocking pool); `None` when the store
    /// cannot be opened or `f` failed.
    fn with<T>(&self, f: impl FnOnce(&peil_store::Store) -> Result<T, ServeError>) -> Option<T> {
        let mut slot = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_none_or(|s| s.connection_lost()) {
            *slot = peil_store::Store::open_at(&self.at).ok();
        }
        let r = f(slot.as_ref()?);
        if r.is_err() || !matches!(self.at, peil_store::Location::Postgres(_)) {
            *slot = None;
        }
        r.ok()
    }
}

impl Drop for PollStore {
    /// The last holder closes the connection on a thread of its own: the watcher that holds
    /// it is dropped on the async executor, where the blocking client must not close.
    fn drop(&mut self) {
        if Arc::strong_count(&self.open) > 1 {
            return;
        }
        let kept = self.open.lock().unwrap_or_else(|p| p.into_inner()).take();
        close_apart(kept);
    }
}

/// Closes a store on a thread of its own: a PostgreSQL client closes by blocking on a runtime
/// of its own, which must not happen on a thread of the async executor (it panics there).
fn close_apart(store: Option<peil_store::Store>) {
    if let Some(store) = store {
        let _ = std::thread::Builder::new()
            .name("peil-close".into())
            .spawn(move || drop(store));
    }
}

impl Drop for Inner {
    /// The server's connections, closed apart: the last holder of the server's state is
    /// often a task of the executor, dropped at shutdown.
    fn drop(&mut self) {
        for store in self.admin_store.drain() {
            close_apart(Some(store));
        }
    }
}

/// Sets a flag when dropped: the listening thread of an aborted watcher stops.
struct StopOnDrop(Arc<std::sync::atomic::AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Holds one connection listening on the site's channel (a thread of its own: the listener
/// blocks) and wakes the watcher at every announcement, and once at every (re)connection for
/// what was announced while no one listened. A lost connection is made again after 0.1 s,
/// doubling up to 10 s while the server cannot be reached. Returns when `stop` is set.
fn listen(
    at: peil_store::Location,
    wake: Arc<tokio::sync::Notify>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering::SeqCst;
    const FIRST: Duration = Duration::from_millis(100);
    let mut backoff = FIRST;
    while !stop.load(SeqCst) {
        match peil_store::Listener::connect(&at) {
            Ok(None) => return,
            Ok(Some(mut ear)) => {
                backoff = FIRST;
                wake.notify_one();
                while !stop.load(SeqCst) {
                    match ear.wait(Duration::from_secs(1)) {
                        Ok(peil_store::Heard::Change(_)) => wake.notify_one(),
                        Ok(peil_store::Heard::Nothing) => {}
                        Err(e) => {
                            let detail = e.to_string();
                            tracing::warn!(target: log::SERVER, event = "listening connection lost", detail = detail.as_str());
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                let detail = e.to_string();
                tracing::warn!(target: log::SERVER, event = "cannot listen", detail = detail.as_str());
            }
        }
        let until = std::time::Instant::now() + backoff;
        while !stop.load(SeqCst) && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

/// Looks for a new publication, changed keys and access groups, and a changed configuration
/// — when the store announces a change, and at every poll — and swaps a new publication in.
async fn watch(state: AppState) {
    let store = PollStore {
        at: state.inner.store.clone(),
        open: Default::default(),
    };
    let wake = Arc::new(tokio::sync::Notify::new());
    let listening = matches!(store.at, peil_store::Location::Postgres(_));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _stop = StopOnDrop(stop.clone());
    if listening {
        let (at, wake) = (store.at.clone(), wake.clone());
        let spawned = std::thread::Builder::new()
            .name("peil-listen".into())
            .spawn(move || listen(at, wake, stop));
        if let Err(e) = spawned {
            let detail = e.to_string();
            tracing::warn!(target: log::SERVER, event = "cannot listen", detail = detail.as_str());
        }
    }
    let mut tick = tokio::time::interval(if listening { POLL_FALLBACK } else { POLL });
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = wake.notified() => {}
        }
        {
            let (st, store) = (state.clone(), store.clone());
            let _ = tokio::task::spawn_blocking(move || {
                store.with(|s| {
                    // The site's rate limit is shared by the servers serving it now.
                    if let Some(rate) = &st.inner.rate {
                        rate.set_replicas(s.serving_replicas()?);
                    }
                    st.refresh_keys_from(s)
                })
            })
            .await;
        }
        let loader = state.inner.site_loader.read().ok().and_then(|l| l.clone());
        if let Some(load) = loader {
            let st = state.clone();
            let _ = tokio::task::spawn_blocking(move || {
                st.with_site_files(|| {
                    if let Some(cfg) = load() {
                        st.set_site(cfg);
                    }
                })
            })
            .await;
        }
        let (current, access) = {
            let s = state.snapshot();
            (s.generation, s.access_revision)
        };
        // A new publication, or changed access groups (which need no publication): either
        // loads the live copy again (on the blocking pool, over the poll's connection), and
        // the swap forgets every cached answer.
        let store = store.clone();
        let dir = state.inner.snapshot_dir.clone();
        let checked = tokio::task::spawn_blocking(move || {
            store.with(|s| {
                let Some(g) = s.live_generation()? else {
                    return Ok(None);
                };
                let a = s.access_revision()?;
                if g == current && a == access {
                    return Ok(None);
                }
                load_from(s, dir.as_deref()).map(Some)
            })
        })
        .await
        .ok()
        .flatten();
        if checked.is_some() {
            state.set_readiness(Readiness::Read);
        }
        if let Some(s) = checked.flatten() {
            tracing::info!(target: log::SERVER, event = "publication loaded", generation = s.generation);
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
    log::install();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: addr.to_string(),
            source,
        })?;
    let addr = listener.local_addr()?;
    let _ = state.inner.listening.set(addr);
    if state.site().base_url.is_none() && addr.ip().is_unspecified() {
        let detail = format!(
            "absolute links will say {}; set base_url in peil.toml to the address readers use",
            state.public_url()
        );
        tracing::warn!(target: log::SERVER, event = "no base_url", detail = detail.as_str());
    }
    on_ready(addr);
    let watcher = tokio::spawn(watch(state.clone()));
    let app = router(state);
    listen::run(listener, app, shutdown).await?;
    watcher.abort();
    Ok(())
}
