//! `peil publish`: compute the test copy, review what readers would get, and make it the live
//! copy in one transaction. [`publish`] is the one way to publish: the command and `peil demo`
//! both go through it.

use crate::site::Site;
use anyhow::Result;
use peil_compute::Snapshot;
use peil_compute::diff::PublishDiff;
use peil_compute::review::Review;
use std::io::Write;
use std::time::{Duration, Instant};

/// How to publish.
pub struct Publish<'a> {
    /// Hide cells that would give a hidden one away (off: thresholds only).
    pub secondary_suppression: bool,
    /// Publish even when loaded values reach no parent (they are listed either way).
    pub allow_lost_values: bool,
    /// Who publishes, for the publication's record.
    pub who: &'a str,
    /// Where lost values, notes, sum relations and review findings are written.
    pub log: &'a mut dyn Write,
    /// Compute and compare with the live copy only: publish nothing.
    pub diff_only: bool,
}

/// What [`publish`] did.
pub enum Outcome {
    Published {
        generation: u64,
        snapshot: Box<Snapshot>,
        /// What changed for readers against the previous live copy.
        diff: Box<PublishDiff>,
        /// Time spent reading the store, computing, and writing the live copy.
        read: Duration,
        computed: Duration,
        written: Duration,
    },
    /// Groups of loaded values that reach no parent (listed in the log); nothing was published.
    Lost(usize),
    /// The privacy review found errors (listed in the log); nothing was published.
    Refused(Review),
    /// `diff_only`: what publishing would change (and the review's errors, which would refuse
    /// it); nothing was published.
    Diff(Box<PublishDiff>, Review),
}

/// Computes the site's test copy, reviews it with the site's allowances, and writes it as the
/// live copy unless values would be lost or the review finds errors.
pub fn publish(site: &Site, store: &mut peil_store::Store, p: Publish) -> Result<Outcome> {
    let log = p.log;
    let t0 = Instant::now();
    let warehouse = store.warehouse()?;
    let read = t0.elapsed();
    let next = store.live_publication()?.map_or(1, |(g, _, _)| g + 1);
    let computed = peil_compute::compute(&warehouse)?;
    // Values that would silently drop out of every total above them.
    let lost = peil_compute::lost_values(&computed);
    for l in &lost {
        let _ = writeln!(log, "lost: {l}");
    }
    if !lost.is_empty() && !p.allow_lost_values && !p.diff_only {
        return Ok(Outcome::Lost(lost.len()));
    }
    for note in periods_not_aggregated(&computed) {
        let _ = writeln!(log, "note: {note}");
    }
    for m in peil_compute::marginal_mismatches(&computed) {
        let _ = writeln!(log, "note: {m}");
    }
    if p.secondary_suppression {
        for line in linked_report(&computed) {
            let _ = writeln!(log, "{line}");
        }
    }
    let snapshot = Snapshot::from_computed(computed, &warehouse, next, p.secondary_suppression);
    let computed = t0.elapsed();
    // What readers would get is reviewed before anything is written.
    let review = peil_compute::review::review(&snapshot, &site.config.privacy.allow());
    print_review(&review, log);
    let diff = Box::new(peil_compute::diff::publish_diff(
        store.live()?.as_ref(),
        &snapshot,
    ));
    if p.diff_only {
        return Ok(Outcome::Diff(diff, review));
    }
    if !review.errors.is_empty() {
        return Ok(Outcome::Refused(review));
    }
    let stats = serde_json::to_value(&snapshot.stats)?;
    let generation = store.publish_live(
        site.config.keep_publications(),
        p.who,
        &stats,
        &snapshot.indicators,
        &snapshot.level_ids(),
        snapshot.all_series(),
    )?;
    Ok(Outcome::Published {
        generation,
        snapshot: Box::new(snapshot),
        diff,
        read,
        computed: computed - read,
        written: t0.elapsed() - computed,
    })
}

/// `peil publish`.
pub fn run(site: &Site, a: &crate::args::PublishArgs) -> Result<u8> {
    let mut store = site.store()?;
    let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let outcome = publish(
        site,
        &mut store,
        Publish {
            secondary_suppression: !a.no_secondary_suppression,
            allow_lost_values: a.allow_lost_values,
            who: &who,
            log: &mut std::io::stderr(),
            diff_only: a.diff,
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

/// A privacy review as messages: errors, then warnings (allowed findings, stale allowances).
pub fn review_lines(r: &peil_compute::review::Review) -> (Vec<String>, Vec<String>) {
    let errors = r.errors.iter().map(|f| format!("privacy: {f}")).collect();
    let mut warnings: Vec<String> = r
        .allowed
        .iter()
        .map(|f| format!("privacy (allowed in {}): {f}", crate::site::CONFIG))
        .collect();
    warnings.extend(r.unused.iter().map(|c| {
        format!(
            "privacy: {} allows {c}, but the review finds nothing to allow there; remove it",
            crate::site::CONFIG
        )
    }));
    (errors, warnings)
}

fn print_review(r: &peil_compute::review::Review, out: &mut dyn Write) {
    let (errors, warnings) = review_lines(r);
    for e in errors {
        let _ = writeln!(out, "error: {e}");
    }
    for w in warnings {
        let _ = writeln!(out, "warning: {w}");
    }
}

/// What `peil publish` says about sum relations between indicators: each relation secondary
/// suppression protects (an identity found in the values is named as such, with the metadata
/// that declares it), and declared relations it cannot use.
fn linked_report(c: &peil_compute::Computed) -> Vec<String> {
    let linked = c.linked();
    let mut out = Vec::new();
    for s in &linked.sums {
        let line = format!("linked: {} — protected together", s.describe(c));
        if s.source == peil_compute::linked::Source::Detected {
            let parts: Vec<&str> = s
                .parts
                .iter()
                .map(|&p| c.indicators[p as usize].code.as_str())
                .collect();
            out.push(format!(
                "{line}; found in the values: declare it with the metadata column 'total of' ({}: {})",
                c.indicators[s.total as usize].code,
                parts.join(" + ")
            ));
        } else {
            out.push(line);
        }
    }
    out.extend(linked.notes.iter().map(|n| format!("linked: {n}")));
    // A restricted indicator that public ones add up to is public in effect.
    for s in &linked.sums {
        let restricted: Vec<u32> = s
            .members()
            .filter(|&m| c.indicators[m as usize].visibility != peil_core::Visibility::Public)
            .collect();
        if let [one] = restricted[..] {
            out.push(format!(
                "warning: {} is restricted, but {} gives it from public indicators; restrict \
                 another member too or make it public",
                c.indicators[one as usize].code,
                s.describe(c)
            ));
        }
    }
    out
}

/// Indicators loaded per month, quarter or half year whose period type says nothing about
/// how periods combine: Peil does not make up years for them (a flow summed as a stock, or a
/// stock as a flow, would be a wrong number), so say so where the user looks.
pub fn periods_not_aggregated(c: &peil_compute::Computed) -> Vec<String> {
    use std::collections::BTreeMap;
    let mut fine: BTreeMap<&str, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for k in c.loaded.keys() {
        let ind = &c.indicators[k.0 as usize];
        if ind.period_type != peil_core::PeriodType::Independent
            || ind.non_aggregable_periods
            || ind.formula.is_some()
            || k.2.level == peil_core::PeriodLevel::Year
        {
            continue;
        }
        *fine
            .entry(ind.code.as_str())
            .or_default()
            .entry(k.2.level.code())
            .or_default() += 1;
    }
    fine.into_iter()
        .map(|(code, levels)| {
            let l: Vec<&str> = levels.keys().copied().collect();
            format!(
                "{code} is loaded per {} but has no period type (independent): its periods are \
                 not aggregated, so it has no year values; set 'period type' in its metadata \
                 (flow, stock, average_stock or growth_rate) — see `peil show {code}`",
                l.join(", ")
            )
        })
        .collect()
}
