//! `peil pull [SOURCE]`: the sources of peil.toml (`[[sources]]`) into the test copy — other
//! Peil sites through `peil-connect`'s Connector, files at an address through the import —
//! one atomic import per source, with a report. Each run is recorded as `peil sources` shows
//! (`peil_connect::scheduler::run_source`, the scheduler's own function); a dry run is not.

use crate::args::PullArgs;
use crate::site::Site;
use anyhow::{Result, bail};
use peil_connect::scheduler::{SourceReport, run_source};
use peil_connect::{FileReport, Limits, PullOptions, Report, SourceKind};
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
    let limits = Limits {
        timeout: Duration::from_secs(a.timeout.max(1)),
        retries: a.retries,
        ..Limits::default()
    };
    let ctx = site.run_context(limits.clone());
    let opts = PullOptions {
        dry_run: a.dry_run,
        who: a.who.clone(),
        limits,
        plausibility: ctx.plausibility,
    };
    let mut store = site.store()?;
    let mut reports = Vec::new();
    let mut failed = false;
    for s in sources {
        if let Err(why) = s.check() {
            bail!("peil.toml: {why}");
        }
        let result = if a.dry_run {
            dry_run(&mut store, site, s, &opts)
        } else {
            let (run, report) = run_source(
                &mut store,
                s,
                &ctx,
                "command",
                &a.who,
                jiff::Timestamp::now(),
            );
            report.ok_or_else(|| run.error.unwrap_or_default())
        };
        match result {
            Ok(r) => {
                let json = match &r {
                    SourceReport::Peil(r) => serde_json::to_value(r)?,
                    SourceReport::File(r) => serde_json::to_value(r)?,
                };
                if !a.json {
                    match &r {
                        SourceReport::Peil(r) => print(r),
                        SourceReport::File(r) => print_file(r),
                    }
                }
                reports.push(json);
            }
            Err(e) => {
                failed = true;
                eprintln!("pull {}: {e}", s.name);
                reports.push(serde_json::json!({"source": s.name, "error": e}));
            }
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(if failed { crate::EXIT_REFUSED } else { 0 })
}

/// What a pull would do, writing nothing (and recording no run).
fn dry_run(
    store: &mut peil_store::Store,
    site: &Site,
    s: &peil_connect::Source,
    opts: &PullOptions,
) -> Result<SourceReport, String> {
    let key = s.key(&site.dir).map_err(|e| e.to_string())?;
    match s.kind {
        SourceKind::Peil | SourceKind::Swing => {
            peil_connect::pull(store, s, key, opts).map(|r| SourceReport::Peil(Box::new(r)))
        }
        SourceKind::File => {
            let last = store.last_good_hash(&s.name).map_err(|e| e.to_string())?;
            peil_connect::pull_file(store, s, key, opts, last.as_deref())
                .map(|r| SourceReport::File(Box::new(r)))
        }
    }
    .map_err(|e| e.to_string())
}

fn names(site: &Site) -> String {
    site.config
        .sources
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_file(r: &FileReport) {
    let what = if r.dry_run { "dry run of pull" } else { "pull" };
    let member = r
        .member
        .as_deref()
        .map(|m| format!(", {m}"))
        .unwrap_or_default();
    match &r.import {
        None => println!(
            "{what} {} ({}{member}): unchanged since the last run (content hash {}); nothing imported",
            r.source,
            r.url,
            &r.content_hash[..12.min(r.content_hash.len())]
        ),
        Some(o) => {
            println!(
                "{what} {} ({}{member}){}: {} bytes, content hash {}",
                r.source,
                r.url,
                o.import_id
                    .map(|i| format!(" as import #{i}"))
                    .unwrap_or_default(),
                r.bytes,
                &r.content_hash[..12.min(r.content_hash.len())]
            );
            for line in &o.summary {
                println!("  {line}");
            }
            for w in o.problems.warnings().take(20) {
                println!("  warning: {w}");
            }
        }
    }
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
