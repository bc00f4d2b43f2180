//! `peil serve` (and `peil demo` after building): the website and APIs of a site until
//! Ctrl-C or SIGTERM, with `peil.toml` re-read when it changes.

use crate::site::Site;
use anyhow::Result;
use std::io::Write;

/// Serves a site until Ctrl-C or SIGTERM; the site configuration is re-read when it changes.
pub fn run(site: &Site, bind: &str, rate_limit: Option<u32>) -> Result<u8> {
    let state = state_for(site, rate_limit, None)?;
    start_scheduler(site)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(peil_serve::serve(state, bind, stop_signal(), |addr| {
        println!("listening on http://{addr}");
        let _ = std::io::stdout().flush();
    }))?;
    Ok(0)
}

/// Ctrl-C or SIGTERM: stop accepting, let requests in flight finish.
async fn stop_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
    }
}

/// The server state of one site as `peil.toml` sets it up, re-reading its configuration when
/// it changes; `compute` shares one compute runtime among the sites of a process.
pub fn state_for(
    site: &Site,
    rate_limit: Option<u32>,
    compute: Option<peil_serve::SharedCompute>,
) -> Result<peil_serve::AppState> {
    let dir = site.dir.as_path();
    let mut options = peil_serve::Options::new(&site.config.name);
    options.compute = compute;
    options.public = site.config.public;
    options.rate_limit = rate_limit.or(site.config.rate_limit);
    options.admin = site.config.admin.clone().unwrap_or_default().options(dir)?;
    options.trusted_proxies = site
        .config
        .trusted_proxies
        .iter()
        .map(|p| peil_serve::limits::Proxy::parse(p).map_err(anyhow::Error::msg))
        .collect::<Result<_>>()?;
    options.snapshot_dir = Some(site.snapshot_dir());
    if let Some(mb) = site.config.cache_mb {
        options.cache_bytes = mb << 20;
    }
    let state = peil_serve::state_with_options(&site.store_location()?, options)?;
    state.set_site(site.web_config()?);
    // The website's configuration is re-read when peil.toml changes: no restart needed. A
    // broken edit keeps the previous configuration and says why.
    let dir_owned = dir.to_path_buf();
    let last = std::sync::Mutex::new(site.changed_at());
    state.set_site_loader(std::sync::Arc::new(move || {
        let modified = crate::site::changed_at(&dir_owned);
        let mut last = last.lock().ok()?;
        if modified == *last {
            return None;
        }
        *last = modified;
        // The files' digest before they are read: a file edited meanwhile is read again at
        // the next poll (its time is newer than `modified`) under a new digest, so no ETag
        // stands for two configurations.
        let files = peil_serve::site::files_digest(&dir_owned);
        match Site::open(&dir_owned).and_then(|s| s.web_config()) {
            Ok(mut c) => {
                c.files_digest = Some(files);
                eprintln!("{{\"event\":\"site configuration reloaded\"}}");
                Some(c)
            }
            Err(e) => {
                eprintln!(
                    "{{\"event\":\"site configuration not reloaded\",\"error\":{:?}}}",
                    format!("{e:#}")
                );
                None
            }
        }
    }));
    // The back office's settings form saves a peil.toml only when it passes the same checks.
    let dir_owned = dir.to_path_buf();
    state.set_config_builder(std::sync::Arc::new(move |text: &str| {
        let config: crate::site::Config = toml::from_str(text)
            .map_err(|e| format!("{} is not a valid configuration: {e}", crate::site::CONFIG))?;
        let site = Site {
            dir: dir_owned.clone(),
            config,
        };
        site.web_config().map_err(|e| format!("{e:#}"))
    }));
    Ok(state)
}

/// Serves every site under `dir` in one process (`peil serve --sites DIR`): each
/// subdirectory holding a `peil.toml` is a site, served for the host name that is its
/// directory's name (`DIR/gent.incijfers.be/` answers `Host: gent.incijfers.be`). The
/// directory is scanned again every few seconds: a new site is served, a removed one is not,
/// one that could not be opened is tried again once its files change. A site that cannot be
/// opened answers 503 and affects no other.
pub fn run_sites(dir: &std::path::Path, bind: &str, rate_limit: Option<u32>) -> Result<u8> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    if !dir.is_dir() {
        anyhow::bail!("{} is not a directory of sites", dir.display());
    }
    let compute = peil_serve::SharedCompute::new()?;
    let sites = peil_serve::sites::Sites::new();
    // Per host: whether it is up, and when its files last changed as of the last attempt.
    type Seen = HashMap<String, (bool, Option<std::time::SystemTime>)>;
    let seen: Mutex<Seen> = Mutex::new(HashMap::new());
    // Hosts whose scheduler runs (once per host for the process's life: it idles while the
    // directory is gone, and takes the site up again when it returns).
    let scheduled: Mutex<std::collections::HashSet<String>> = Mutex::new(Default::default());
    let dir = dir.to_path_buf();
    let scan = move |sites: &std::sync::Arc<peil_serve::sites::Sites>| {
        let mut seen = match seen.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        let mut present = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map(|rd| rd.flatten().collect())
            .unwrap_or_default();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let host = e.file_name().to_string_lossy().to_ascii_lowercase();
            if !path.join(crate::site::CONFIG).is_file() || !good_host(&host) {
                continue;
            }
            present.push(host.clone());
            let changed = crate::site::changed_at(&path);
            match seen.get(&host) {
                // Up: its own poll follows its configuration and publications.
                Some((true, _)) => continue,
                // Down, and nothing changed since: not tried again.
                Some((false, at)) if *at == changed => continue,
                _ => {}
            }
            let opened = Site::open(&path).and_then(|s| {
                let state = state_for(&s, rate_limit, Some(compute.clone()))?;
                let mut scheduled = scheduled.lock().unwrap_or_else(|p| p.into_inner());
                if !scheduled.contains(&host) {
                    start_scheduler(&s)?;
                    scheduled.insert(host.clone());
                }
                Ok(state)
            });
            match opened {
                Ok(state) => {
                    sites.put(&host, state);
                    seen.insert(host, (true, changed));
                }
                Err(err) => {
                    sites.put_down(&host, &format!("{err:#}"));
                    seen.insert(host, (false, changed));
                }
            }
        }
        for host in sites.hosts() {
            if !present.contains(&host) {
                sites.remove(&host);
                seen.remove(&host);
            }
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        // The first scan before listening: every site that opens is served from the start.
        let (s, sc) = (sites.clone(), std::sync::Arc::new(scan));
        let first = sc.clone();
        tokio::task::spawn_blocking(move || first(&s)).await?;
        let names = sites.hosts();
        eprintln!(
            "{{\"event\":\"sites\",\"count\":{},\"hosts\":{:?}}}",
            names.len(),
            names
        );
        peil_serve::sites::serve_sites(
            sites,
            bind,
            std::time::Duration::from_secs(3),
            move |s| sc(s),
            stop_signal(),
            |addr| {
                println!("listening on http://{addr}");
                let _ = std::io::stdout().flush();
            },
        )
        .await?;
        anyhow::Ok(())
    })?;
    Ok(0)
}

/// Starts the site's scheduler (sources with a schedule, `[schedule] publish`) on its own
/// thread, one job at a time; `peil.toml` is read again at each check, so a new schedule
/// needs no restart, and a site directory that can no longer be opened is simply not run.
fn start_scheduler(site: &Site) -> Result<()> {
    site.plan()?;
    let dir_owned = site.dir.clone();
    let store = site.store_location()?;
    std::thread::Builder::new()
        .name("peil-scheduler".into())
        .spawn(move || {
            peil_connect::scheduler::run_forever(&store, std::time::Duration::from_secs(20), || {
                let site = Site::open(&dir_owned).ok()?;
                match site.plan() {
                    Ok(plan) => Some((plan, site.run_context(peil_connect::Limits::default()))),
                    Err(e) => {
                        eprintln!(
                            "{{\"event\":\"schedule not read\",\"error\":{:?}}}",
                            format!("{e:#}")
                        );
                        None
                    }
                }
            })
        })?;
    Ok(())
}

/// A directory name that can be a host name.
fn good_host(name: &str) -> bool {
    (1..=253).contains(&name.len())
        && !name.starts_with(['.', '-'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
}
