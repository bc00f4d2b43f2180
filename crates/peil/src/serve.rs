//! `peil serve` (and `peil demo` after building): the website and APIs of a site until
//! Ctrl-C or SIGTERM, with `peil.toml` re-read when it changes.

use crate::site::Site;
use anyhow::Result;
use std::io::Write;

/// Serves a site until Ctrl-C or SIGTERM; the site configuration is re-read when it changes.
pub fn run(site: &Site, bind: &str, rate_limit: Option<u32>) -> Result<u8> {
    let dir = site.dir.as_path();
    let mut options = peil_serve::Options::new(&site.config.name);
    options.public = site.config.public;
    options.rate_limit = rate_limit.or(site.config.rate_limit);
    options.admin = site.config.admin.clone().unwrap_or_default().options(dir)?;
    options.trusted_proxies = site
        .config
        .trusted_proxies
        .iter()
        .map(|p| peil_serve::limits::Proxy::parse(p).map_err(anyhow::Error::msg))
        .collect::<Result<_>>()?;
    if let Some(mb) = site.config.cache_mb {
        options.cache_bytes = mb << 20;
    }
    let state = peil_serve::state_with_options(&site.store_path(), options)?;
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
        match Site::open(&dir_owned).and_then(|s| s.web_config()) {
            Ok(c) => {
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
    // The scheduler (sources with a schedule, `[schedule] publish`): its own thread, one job
    // at a time; peil.toml is read again at each check, so a new schedule needs no restart.
    site.plan()?;
    let dir_owned = dir.to_path_buf();
    let store_path = site.store_path();
    std::thread::Builder::new()
        .name("peil-scheduler".into())
        .spawn(move || {
            peil_connect::scheduler::run_forever(
                &store_path,
                std::time::Duration::from_secs(20),
                || {
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
                },
            )
        })?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(peil_serve::serve(
        state,
        bind,
        async {
            // Ctrl-C or SIGTERM: stop accepting, let requests in flight finish.
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
            }
        },
        |addr| {
            println!("listening on http://{addr}");
            let _ = std::io::stdout().flush();
        },
    ))?;
    Ok(0)
}
