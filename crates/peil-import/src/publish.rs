//! Publishing: compute the test copy, review what readers would get, and make it the live
//! copy in one transaction. [`publish`] is the one way to publish: `peil publish`, `peil demo`
//! and the back office's publish page all go through it.

use peil_compute::Snapshot;
use peil_compute::diff::PublishDiff;
use peil_compute::review::Review;
use std::io::Write;
use std::time::{Duration, Instant};

/// A failure of publishing itself (lost values and review errors are [`Outcome`]s).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Store(#[from] peil_store::StoreError),
    #[error(transparent)]
    Compute(#[from] peil_compute::ComputeError),
    #[error("cannot record the publication's statistics: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Load(#[from] peil_compute::LoadError),
}

/// The snapshot the test copy would publish (the same computation and privacy rules as
/// [`publish`], whatever its review says), with everything readers need, as the next
/// generation: the server's preview for experts. Nothing is written.
pub fn preview(store: &peil_store::Store) -> Result<Snapshot, PublishError> {
    let warehouse = store.warehouse()?;
    let next = store.live_publication()?.map_or(1, |(g, _, _)| g + 1);
    let computed = peil_compute::compute(&warehouse)?;
    let mut snapshot = Snapshot::from_computed(computed, &warehouse, next, true);
    snapshot.period_level_names = store.period_level_names()?;
    snapshot.prepare_for_readers(store, &store.themes()?)?;
    Ok(snapshot)
}

/// The site configuration file, named in review messages.
const CONFIG: &str = "peil.toml";

/// How to publish.
pub struct Publish<'a> {
    /// The privacy decisions of the site (`[privacy]` in peil.toml).
    pub allow: peil_compute::review::Allow,
    /// Publications kept for rollback (`keep_publications`).
    pub keep: usize,
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
    /// Publish only when readers would see a difference (the scheduled publish): when the
    /// diff is empty, answer [`Outcome::Diff`] and publish nothing.
    pub unless_unchanged: bool,
    /// Where the site's servers map the publication from (`peil_compute::file`): the new
    /// publication's snapshot file is written there, so that a server on this machine need not
    /// write it from the store. A file that cannot be written is a warning in `log` (the
    /// publication stands; a server writes the file itself).
    pub snapshot_dir: Option<&'a std::path::Path>,
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
    /// `diff_only`, or `unless_unchanged` with nothing to change: what publishing would change
    /// (and the review's errors, which would refuse it); nothing was published.
    Diff(Box<PublishDiff>, Review),
}

/// Computes the site's test copy, reviews it with the site's allowances, and writes it as the
/// live copy unless values would be lost or the review finds errors.
pub fn publish(store: &mut peil_store::Store, p: Publish) -> Result<Outcome, PublishError> {
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
    let mut snapshot = Snapshot::from_computed(computed, &warehouse, next, p.secondary_suppression);
    snapshot.period_level_names = store.period_level_names()?;
    let computed = t0.elapsed();
    // What readers would get is reviewed before anything is written.
    let review = peil_compute::review::review(&snapshot, &p.allow);
    print_review(&review, log);
    let live = store.live()?;
    let mut diff = Box::new(peil_compute::diff::publish_diff(live.as_ref(), &snapshot));
    diff.themes_changed =
        peil_compute::diff::themes_changed(live.as_ref(), &store.themes()?, &snapshot);
    drop(live);
    if p.diff_only || (p.unless_unchanged && diff.is_empty()) {
        return Ok(Outcome::Diff(diff, review));
    }
    if !review.errors.is_empty() {
        return Ok(Outcome::Refused(review));
    }
    let stats = serde_json::to_value(&snapshot.stats)?;
    let generation = store.publish_live(
        p.keep,
        p.who,
        &stats,
        &snapshot.indicators,
        &snapshot.level_ids(),
        snapshot.all_series(),
    )?;
    if let Some(dir) = p.snapshot_dir {
        let written = match store.live_meta()? {
            Some(live) if live.generation == generation => {
                snapshot.write_file(dir, &live).map(|_| ())
            }
            // Another publication came in between: its servers write their own file.
            _ => Ok(()),
        };
        if let Err(e) = written {
            let _ = writeln!(
                log,
                "warning: the snapshot file in {} was not written ({e}); servers write it from the store",
                dir.display()
            );
        }
    }
    Ok(Outcome::Published {
        generation,
        snapshot: Box::new(snapshot),
        diff,
        read,
        computed: computed - read,
        written: t0.elapsed() - computed,
    })
}

/// A privacy review as messages: errors, then warnings (allowed findings, stale allowances).
pub fn review_lines(r: &peil_compute::review::Review) -> (Vec<String>, Vec<String>) {
    let errors = r.errors.iter().map(|f| format!("privacy: {f}")).collect();
    let mut warnings: Vec<String> = r
        .allowed
        .iter()
        .map(|f| format!("privacy (allowed in {}): {f}", CONFIG))
        .collect();
    warnings.extend(r.unused.iter().map(|c| {
        format!(
            "privacy: {} allows {c}, but the review finds nothing to allow there; remove it",
            CONFIG
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
    for e in &linked.equal {
        out.push(format!(
            "linked: {} — through a total no indicator publishes: hidden together",
            e.describe(c)
        ));
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
