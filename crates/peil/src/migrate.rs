//! `peil migrate URL SITE_DIR`: a new site from a Swing site through `peil_connect::migrate`,
//! with a progress bar, and the report of what could not be moved written to
//! `SITE_DIR/migration-report.md` and printed.

use crate::args::MigrateArgs;
use crate::site::{CONFIG, Site};
use anyhow::{Context, Result};
use peil_connect::Limits;
use peil_connect::migrate::{MigrateOptions, Progress};
use std::time::Duration;

/// The report's file in the site directory.
pub const REPORT: &str = "migration-report.md";

pub fn run(a: &MigrateArgs) -> Result<u8> {
    // A directory holding a site continues its migration; otherwise a new site.
    let site = if a.dir.join(CONFIG).exists() {
        Site::open(&a.dir)?
    } else {
        Site::init(&a.dir, &a.name, false)?
    };
    let key = match &a.key_env {
        Some(var) => Some(
            std::env::var(var)
                .map(|k| k.trim().to_string())
                .with_context(|| {
                    format!("the environment variable {var} (--key-env) is not set")
                })?,
        ),
        None => None,
    };
    let opts = MigrateOptions {
        who: a.who.clone(),
        limits: Limits {
            timeout: Duration::from_secs(a.timeout.max(1)),
            retries: a.retries,
            ..Limits::default()
        },
        chunk: a.chunk.max(1),
    };
    let bar = if a.json {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} indicators, {elapsed} (ETA {eta}) {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    };
    let mut store = site.store()?;
    let result =
        peil_connect::migrate::migrate(&mut store, &a.url, key, &opts, &mut |p: Progress| {
            bar.set_length(p.total);
            bar.set_position(p.done);
            bar.set_message(p.step.to_string());
        });
    bar.finish_and_clear();
    let m = match result {
        Ok(m) => m,
        Err(e) => {
            eprintln!(
                "migrate {}: {e}\nwhat was migrated so far is kept; run the same command again to continue",
                a.url
            );
            return Ok(crate::EXIT_REFUSED);
        }
    };
    let report = m.markdown();
    let path = site.dir.join(REPORT);
    std::fs::write(&path, &report).with_context(|| format!("cannot write {}", path.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        print!("{report}");
        println!("(this report is in {})", path.display());
    }
    Ok(0)
}
