//! `peil pull [SOURCE]`: indicators from other Peil sites (`[[sources]]` in peil.toml) into the
//! test copy through `peil-connect`, one atomic import per source, with a report.

use crate::args::PullArgs;
use crate::site::Site;
use anyhow::{Result, bail};
use peil_connect::{Limits, PullOptions, Report};
use std::time::Duration;

pub fn run(site: &Site, a: &PullArgs) -> Result<u8> {
    let sources: Vec<&peil_connect::Source> = match &a.source {
        Some(name) => match site.config.sources.iter().find(|s| &s.name == name) {
            Some(s) => vec![s],
            None => bail!(
                "peil.toml declares no source '{name}' (sources: {})",
                names(site)
            ),
        },
        None => site.config.sources.iter().collect(),
    };
    if sources.is_empty() {
        bail!("peil.toml declares no sources: add a [[sources]] table (see README, Connector)");
    }
    let opts = PullOptions {
        dry_run: a.dry_run,
        who: a.who.clone(),
        limits: Limits {
            timeout: Duration::from_secs(a.timeout.max(1)),
            retries: a.retries,
            ..Limits::default()
        },
    };
    let mut store = site.store()?;
    let mut reports = Vec::new();
    let mut failed = false;
    for s in sources {
        if let Err(why) = s.check() {
            bail!("peil.toml: {why}");
        }
        let key = s.key(&site.dir)?;
        match peil_connect::pull(&mut store, s, key, &opts) {
            Ok(r) => {
                if !a.json {
                    print(&r);
                }
                reports.push(serde_json::to_value(&r)?);
            }
            Err(e) => {
                failed = true;
                eprintln!("pull {}: {e}", s.name);
                reports.push(serde_json::json!({"source": s.name, "error": e.to_string()}));
            }
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(if failed { crate::EXIT_REFUSED } else { 0 })
}

fn names(site: &Site) -> String {
    site.config
        .sources
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn print(r: &Report) {
    let what = if r.dry_run { "dry run of pull" } else { "pull" };
    println!(
        "{what} {} ({}){}: {} added, {} changed, {} unchanged, {} flagged, {} refused",
        r.source,
        r.url,
        r.import_id
            .map(|i| format!(" as import #{i}"))
            .unwrap_or_default(),
        r.added.len(),
        r.changed.len(),
        r.unchanged,
        r.flagged.len(),
        r.refused.len()
    );
    println!(
        "  {} indicators transferred; values: {} inserted, {} updated, {} unchanged, {} cleared; {} areas and {} links added; {} requests, {} bytes",
        r.transferred,
        r.values.inserted,
        r.values.updated,
        r.values.unchanged,
        r.values.cleared,
        r.items_added,
        r.links_added,
        r.requests,
        r.bytes
    );
    for c in &r.added {
        println!("  added: {c}");
    }
    for c in &r.changed {
        println!("  changed: {c}");
    }
    for c in &r.flagged {
        println!("  flagged (no longer offered by the source; kept): {c}");
    }
    for f in &r.refused {
        println!("  refused: {}: {}", f.code, f.why);
    }
    for n in &r.notes {
        println!("  note: {n}");
    }
}
