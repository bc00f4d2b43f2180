//! `peil publish`: the site's test copy published as the live copy by
//! [`peil_import::publish`], or (`--diff`) compared with it.

use crate::site::Site;
use anyhow::Result;
use peil_compute::diff::PublishDiff;
pub use peil_import::publish::{Outcome, Publish, periods_not_aggregated, review_lines};

/// Publishes the site's store as `p` says (`p.allow` and `p.keep` from [`Site::publish_rules`]).
pub fn publish(store: &mut peil_store::Store, p: Publish) -> Result<Outcome> {
    Ok(peil_import::publish::publish(store, p)?)
}

/// `peil publish`.
pub fn run(site: &Site, a: &crate::args::PublishArgs) -> Result<u8> {
    let mut store = site.store()?;
    let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let (allow, keep) = site.publish_rules();
    let outcome = publish(
        &mut store,
        Publish {
            allow,
            keep,
            secondary_suppression: !a.no_secondary_suppression,
            allow_lost_values: a.allow_lost_values,
            who: &who,
            log: &mut std::io::stderr(),
            diff_only: a.diff,
            unless_unchanged: false,
            snapshot_dir: Some(&site.snapshot_dir()),
        },
    )?;
    match outcome {
        Outcome::Lost(groups) => {
            eprintln!(
                "refused: {groups} groups of loaded values reach no parent (see above); link their items \
                 (import the aggregation or conversion table that names them), or publish \
                 with --allow-lost-values to leave them out of the totals"
            );
            Ok(crate::EXIT_LOST)
        }
        Outcome::Refused(review) => {
            eprintln!(
                "refused: {} privacy errors; nothing was published (the live copy is unchanged)",
                review.errors.len()
            );
            Ok(crate::EXIT_CHECK)
        }
        Outcome::Diff(diff, review) => {
            if a.json {
                println!("{}", serde_json::to_string_pretty(&diff)?);
            } else {
                print_diff(&diff);
            }
            if !review.errors.is_empty() {
                eprintln!(
                    "note: publishing would be refused now: {} privacy errors (see above)",
                    review.errors.len()
                );
            }
            Ok(0)
        }
        Outcome::Published {
            generation,
            snapshot,
            diff,
            read,
            computed,
            written,
        } => {
            println!("changes: {}", diff_summary(&diff));
            let s = &snapshot.stats;
            println!(
                "published generation {generation}: {} indicators, {} series, {} values ({} hidden by privacy rules, {} restricted indicators)",
                s.indicators, s.series, s.values, s.suppressed, s.restricted_indicators
            );
            println!(
                "  read {:.2} s, computed {:.2} s, written {:.2} s",
                read.as_secs_f64(),
                computed.as_secs_f64(),
                written.as_secs_f64()
            );
            Ok(0)
        }
    }
}

/// One line for a diff: what readers would see change.
pub fn diff_summary(d: &PublishDiff) -> String {
    let c = &d.cells;
    let mut parts = vec![format!(
        "{} values added, {} removed, {} changed, {} newly hidden, {} newly shown ({} unchanged)",
        c.added, c.removed, c.changed, c.newly_hidden, c.newly_shown, c.unchanged
    )];
    if d.themes_changed {
        parts.push("themes changed".into());
    }
    if !d.indicators_added.is_empty() {
        parts.push(format!(
            "indicators added: {}",
            d.indicators_added.join(", ")
        ));
    }
    if !d.indicators_removed.is_empty() {
        parts.push(format!(
            "indicators removed: {}",
            d.indicators_removed.join(", ")
        ));
    }
    let periods = |m: &std::collections::BTreeMap<String, Vec<String>>| -> String {
        m.iter()
            .map(|(i, p)| format!("{i} {}", p.join(" ")))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if !d.metadata_changed.is_empty() {
        parts.push(format!(
            "metadata changed of {} indicators",
            d.metadata_changed.len()
        ));
    }
    if d.names_changed > 0 {
        parts.push(format!("names changed: {}", d.names_changed));
    }
    if !d.periods_added.is_empty() {
        parts.push(format!("periods added: {}", periods(&d.periods_added)));
    }
    if !d.periods_removed.is_empty() {
        parts.push(format!("periods removed: {}", periods(&d.periods_removed)));
    }
    parts.join("; ")
}

/// `peil publish --diff`: the summary, then the largest changes and the hidden and shown cells.
fn print_diff(d: &PublishDiff) {
    match d.live_generation {
        Some(g) => println!("against live generation {g}"),
        None => println!("nothing is published yet: everything would be new"),
    }
    println!("{}", diff_summary(d));
    let cell = |c: &peil_compute::diff::CellChange| {
        let dims = if c.dims.is_empty() {
            String::new()
        } else {
            format!(" [{}]", c.dims)
        };
        let v = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        format!(
            "{} {} {} {}{dims}: {} → {}",
            c.indicator,
            c.level,
            c.area,
            c.period,
            v(&c.old),
            v(&c.new)
        )
    };
    for (title, list) in [
        ("largest changes", &d.largest),
        ("newly hidden", &d.hidden),
        ("newly shown", &d.shown),
    ] {
        if !list.is_empty() {
            println!("{title}:");
            for c in list {
                println!("  {}", cell(c));
            }
        }
    }
}
