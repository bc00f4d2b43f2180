//! The scheduler `peil serve` runs: sources with a `schedule` and the site's scheduled publish
//! (`[schedule] publish`), one job at a time, on its own thread (never on the server's async
//! executor). The clock is a parameter ([`Scheduler::tick`] takes "now"), so tests drive it.
//!
//! When a job is due: its schedule's first time after its last scheduled run started (from the
//! store's `source_run`), or, never run, after the scheduler started. A server that was down at
//! a due time runs the job once when it is back, not once per missed time.
//!
//! Every run — scheduled, or `peil pull`'s — is recorded ([`peil_store::Run`]); scheduled
//! imports and publications are also in the audit log, as `scheduler`.
//!
//! Replicas (issue 16 §2): every `peil serve` of a site runs this scheduler, but only the one
//! holding the store's lease [`LEASE`] runs jobs ([`Scheduler::tick_held`]): it takes the lease
//! at a check, keeps it by renewing it at every check and, while a job runs, every third of
//! [`LEASE_TTL`] from a connection of its own. The others skip their checks. A replica that
//! dies stops renewing; another takes the scheduler over at its first check after
//! [`LEASE_TTL`], and runs what is due then (from the store's `source_run`, so nothing runs
//! twice and nothing missed runs more than once). A holder left with nothing to run (its
//! peil.toml has no schedule any more, or cannot be read) gives the lease up at its next check.

use crate::cron::{Cron, time_zone};
use crate::{Limits, PullOptions, Source, SourceKind};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use peil_store::{Run, RunTask, Store};
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

/// Who scheduled work is done as (import log, publication, audit log).
pub const WHO: &str = "scheduler";
/// Where the audit log says scheduled work came from.
const FROM: &str = "peil serve";
/// Runs kept in `peil sources history` and the back office by default.
pub const HISTORY: usize = 50;

/// `[schedule]` in peil.toml.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleToml {
    /// The IANA time zone schedules are read in (default `Europe/Brussels`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// When `peil serve` publishes the test copy if it differs from the live copy
    /// (e.g. `"0 6 * * mon"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish: Option<String>,
}

/// What is scheduled, checked: the zone, the sources and the publish.
#[derive(Debug, Clone)]
pub struct Plan {
    pub zone: TimeZone,
    pub zone_name: String,
    /// Every declared source with its schedule (`None`: run only by `peil pull`).
    pub sources: Vec<(Source, Option<Cron>)>,
    pub publish: Option<Cron>,
}

impl Plan {
    /// The plan of a site's `[schedule]` and `[[sources]]`, or what is wrong with them.
    pub fn new(settings: &ScheduleToml, sources: &[Source]) -> Result<Plan, String> {
        let zone_name = settings
            .time_zone
            .clone()
            .unwrap_or_else(|| crate::cron::DEFAULT_TIME_ZONE.to_string());
        let zone = time_zone(&zone_name).map_err(|e| format!("[schedule] {e}"))?;
        let publish = settings
            .publish
            .as_deref()
            .map(Cron::parse)
            .transpose()
            .map_err(|e| format!("[schedule] publish: {e}"))?;
        let mut out = Vec::new();
        for s in sources {
            s.check()?;
            let cron = s.schedule.as_deref().map(Cron::parse).transpose()?;
            out.push((s.clone(), cron));
        }
        Ok(Plan {
            zone,
            zone_name,
            sources: out,
            publish,
        })
    }

    /// Whether anything is scheduled.
    pub fn is_empty(&self) -> bool {
        self.publish.is_none() && self.sources.iter().all(|(_, c)| c.is_none())
    }
}

/// What runs need besides the store: the site directory (key files), bounds, and the site's
/// publishing rules.
#[derive(Clone)]
pub struct Context {
    pub site_dir: PathBuf,
    pub limits: Limits,
    pub plausibility: peil_import::plausibility::Thresholds,
    pub allow: peil_compute::review::Allow,
    pub keep: usize,
}

/// A job of the plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Job<'a> {
    Source(&'a Source),
    Publish,
}

impl Job<'_> {
    fn key(&self) -> (RunTask, &str) {
        match self {
            Job::Source(s) => (RunTask::Source, s.name.as_str()),
            Job::Publish => (RunTask::Publish, ""),
        }
    }
}

/// The scheduler's memory: when it started (the anchor of jobs that never ran).
#[derive(Debug, Clone, Copy)]
pub struct Scheduler {
    pub started: Timestamp,
}

impl Scheduler {
    pub fn new(started: Timestamp) -> Scheduler {
        Scheduler { started }
    }

    /// When a scheduled job is next due (see the module's documentation); `None` for a job
    /// without a schedule or whose schedule never comes.
    pub fn next_due(
        &self,
        store: &Store,
        plan: &Plan,
        job: Job,
    ) -> peil_store::Result<Option<Timestamp>> {
        next_due(store, plan, job, self.started)
    }

    /// Runs every job due at `now`, one after another; a source that says `publish = true`
    /// and imported something is followed by a publish. Returns the runs recorded.
    pub fn tick(&self, store: &mut Store, plan: &Plan, ctx: &Context, now: Timestamp) -> Vec<Run> {
        let mut done = Vec::new();
        for (source, _) in &plan.sources {
            if !self.is_due(store, plan, Job::Source(source), now) {
                continue;
            }
            let (run, _) = run_source(store, source, ctx, "schedule", WHO, now);
            let changed = run.outcome == "imported";
            done.push(run);
            if changed && source.publish {
                let started = now_after(now, &done);
                done.push(run_publish(
                    store,
                    ctx,
                    &format!("after {}", source.name),
                    started,
                ));
            }
        }
        if self.is_due(store, plan, Job::Publish, now) {
            let started = now_after(now, &done);
            done.push(run_publish(store, ctx, "schedule", started));
        }
        done
    }

    fn is_due(&self, store: &Store, plan: &Plan, job: Job, now: Timestamp) -> bool {
        match self.next_due(store, plan, job) {
            Ok(Some(t)) => t <= now,
            Ok(None) => false,
            Err(e) => {
                log(&json!({"event": "schedule not read", "error": e.to_string()}));
                false
            }
        }
    }
}

/// The store's lease on a site's scheduler: one replica at a time runs scheduled jobs.
pub const LEASE: &str = "scheduler";
/// How long a replica holds the scheduler without renewing: a replica that dies hands it to
/// another within this (plus one check).
pub const LEASE_TTL: Duration = Duration::from_secs(60);

/// Who holds the scheduler's lease: a replica's name and how long a hold lasts.
#[derive(Debug, Clone)]
pub struct Holder {
    pub name: String,
    pub ttl: Duration,
}

impl Holder {
    /// This process, under a name of its own (process id and random), for [`LEASE_TTL`].
    pub fn this_process() -> Holder {
        Holder {
            name: format!("{}-{}", std::process::id(), peil_store::random_hex(8)),
            ttl: LEASE_TTL,
        }
    }
}

impl Scheduler {
    /// [`Scheduler::tick`] on the replica holding the scheduler's lease only: `None` (nothing
    /// run) when another replica holds it. The lease is renewed from a connection to
    /// `location` of its own while the jobs run, so a long pull keeps it.
    pub fn tick_held(
        &self,
        store: &mut Store,
        location: &peil_store::Location,
        holder: &Holder,
        plan: &Plan,
        ctx: &Context,
        now: Timestamp,
    ) -> Option<Vec<Run>> {
        match store.take_lease(LEASE, &holder.name, holder.ttl) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                log(&json!({"event": "scheduler lease not taken", "error": e.to_string()}));
                return None;
            }
        }
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|scope| {
            scope.spawn(move || renew_while_running(location, holder, &stopped));
            let runs = self.tick(store, plan, ctx, now);
            drop(stop);
            Some(runs)
        })
    }
}

/// Renews the lease every third of its time until `stopped` says the jobs are done; the
/// connection is opened at the first renewal, so short checks open none.
fn renew_while_running(
    location: &peil_store::Location,
    holder: &Holder,
    stopped: &std::sync::mpsc::Receiver<()>,
) {
    let mut own: Option<Store> = None;
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(holder.ttl / 3)
    {
        if own.is_none() {
            own = Store::open_at(location).ok();
        }
        let renewed = own
            .as_ref()
            .map(|s| s.take_lease(LEASE, &holder.name, holder.ttl));
        if !matches!(renewed, Some(Ok(true))) {
            log(&json!({"event": "scheduler lease not renewed", "holder": holder.name}));
            own = None;
        }
    }
}

/// The first due time after a job's last scheduled run (or after `started`).
pub fn next_due(
    store: &Store,
    plan: &Plan,
    job: Job,
    started: Timestamp,
) -> peil_store::Result<Option<Timestamp>> {
    let cron = match job {
        Job::Source(s) => plan
            .sources
            .iter()
            .find(|(x, _)| x.name == s.name)
            .and_then(|(_, c)| c.as_ref()),
        Job::Publish => plan.publish.as_ref(),
    };
    let Some(cron) = cron else { return Ok(None) };
    let (task, name) = job.key();
    let anchor = store
        .last_run(task, name, Some("schedule"))?
        .and_then(|r| r.started_at.parse::<Timestamp>().ok())
        .unwrap_or(started);
    Ok(cron.next_after(&plan.zone, anchor))
}

/// The start of a run that follows `runs` begun at `now`: `now` plus the time they took.
fn now_after(now: Timestamp, runs: &[Run]) -> Timestamp {
    let took: i64 = runs
        .iter()
        .map(|r| seconds_between(&r.started_at, &r.ended_at))
        .sum();
    Timestamp::from_second(now.as_second() + took).unwrap_or(now)
}

fn seconds_between(a: &str, b: &str) -> i64 {
    match (a.parse::<Timestamp>(), b.parse::<Timestamp>()) {
        (Ok(a), Ok(b)) => (b.as_second() - a.as_second()).max(0),
        _ => 0,
    }
}

/// A timestamp as the store writes them (to the second).
pub fn stamp(t: Timestamp) -> String {
    Timestamp::from_second(t.as_second())
        .unwrap_or(t)
        .to_string()
}

/// `start` plus the time since `clock` (the injected clock's start plus real time taken).
fn ended(start: Timestamp, clock: std::time::Instant) -> String {
    stamp(
        Timestamp::from_second(start.as_second() + clock.elapsed().as_secs() as i64)
            .unwrap_or(start),
    )
}

/// What a source's run reported, by its kind.
#[derive(Debug, Clone)]
pub enum SourceReport {
    Peil(Box<crate::Report>),
    File(Box<crate::FileReport>),
}

/// Runs one source now (for `peil pull` as well as the scheduler: `trigger` is `command` or
/// `schedule`), records the run, and — when the scheduler ran it and it did something —
/// audits it. The report is there when the run did not fail.
pub fn run_source(
    store: &mut Store,
    source: &Source,
    ctx: &Context,
    trigger: &str,
    who: &str,
    now: Timestamp,
) -> (Run, Option<SourceReport>) {
    let clock = std::time::Instant::now();
    let opts = PullOptions {
        dry_run: false,
        who: who.to_string(),
        limits: ctx.limits.clone(),
        plausibility: ctx.plausibility,
    };
    let mut run = Run {
        id: 0,
        task: RunTask::Source,
        name: source.name.clone(),
        trigger: trigger.to_string(),
        started_at: stamp(now),
        ended_at: String::new(),
        outcome: "failed".into(),
        counts: json!({}),
        error: None,
        import_id: None,
        generation: None,
        url: Some(source.url.clone()),
        content_hash: None,
    };
    let result = source.key(&ctx.site_dir).and_then(|key| match source.kind {
        SourceKind::Peil | SourceKind::Swing => crate::pull(store, source, key, &opts).map(|r| {
            let changed = r.transferred > 0 || !r.flagged.is_empty();
            run.outcome = if changed { "imported" } else { "unchanged" }.into();
            run.import_id = r.import_id;
            run.counts = json!({
                "added": r.added.len(), "changed": r.changed.len(), "unchanged": r.unchanged,
                "flagged": r.flagged.len(), "refused": r.refused.len(),
                "transferred": r.transferred, "values": r.values, "bytes": r.bytes,
            });
            SourceReport::Peil(Box::new(r))
        }),
        SourceKind::File => {
            let last = store.last_good_hash(&source.name)?;
            crate::pull_file(store, source, key, &opts, last.as_deref()).map(|r| {
                run.outcome = r.outcome.clone();
                run.content_hash = Some(r.content_hash.clone());
                run.import_id = r.import.as_ref().and_then(|o| o.import_id);
                let mut counts = json!({"bytes": r.bytes});
                if let Some(o) = &r.import {
                    counts["rows"] = json!(o.rows);
                    counts["import"] = o.counts.clone();
                }
                if let Some(m) = &r.member {
                    counts["member"] = json!(m);
                }
                run.counts = counts;
                SourceReport::File(Box::new(r))
            })
        }
    });
    let report = match result {
        Ok(r) => Some(r),
        Err(e) => {
            run.error = Some(e.to_string());
            None
        }
    };
    run.ended_at = ended(now, clock);
    if let Err(e) = store.record_run(&run) {
        log(
            &json!({"event": "source run not recorded", "source": source.name, "error": e.to_string()}),
        );
    }
    if trigger != "command" {
        let detail = json!({"source": source.name, "outcome": run.outcome, "import": run.import_id, "error": run.error});
        if run.outcome != "unchanged" {
            let _ = store.audit(WHO, FROM, "source.pull", &detail);
        }
        log(&json!({"event": "source run", "detail": detail}));
    }
    (run, report)
}

/// Publishes the test copy when it differs from the live copy, as the back office does
/// (secondary suppression, the site's privacy decisions; refused when values would be lost or
/// the review finds errors), records the run and audits a publication.
pub fn run_publish(store: &mut Store, ctx: &Context, trigger: &str, now: Timestamp) -> Run {
    use peil_import::publish::{Outcome, Publish, publish, review_lines};
    let clock = std::time::Instant::now();
    let mut run = Run {
        id: 0,
        task: RunTask::Publish,
        name: String::new(),
        trigger: trigger.to_string(),
        started_at: stamp(now),
        ended_at: String::new(),
        outcome: "failed".into(),
        counts: json!({}),
        error: None,
        import_id: None,
        generation: None,
        url: None,
        content_hash: None,
    };
    let result = publish(
        store,
        Publish {
            allow: ctx.allow.clone(),
            keep: ctx.keep,
            secondary_suppression: true,
            allow_lost_values: false,
            who: WHO,
            log: &mut std::io::sink(),
            diff_only: false,
            unless_unchanged: true,
            // The server that runs the schedule writes its file when it loads the publication.
            snapshot_dir: None,
        },
    );
    match result {
        Ok(Outcome::Published {
            generation, diff, ..
        }) => {
            run.outcome = "published".into();
            run.generation = Some(generation as i64);
            run.counts = json!({"cells": diff.cells, "indicators_added": diff.indicators_added.len(),
                "indicators_removed": diff.indicators_removed.len()});
            let _ = store.audit(
                WHO,
                FROM,
                "publish",
                &json!({"generation": generation, "trigger": trigger}),
            );
        }
        Ok(Outcome::Diff(..)) => run.outcome = "unchanged".into(),
        Ok(Outcome::Lost(n)) => {
            run.error = Some(format!(
                "{n} groups of loaded values reach no parent; nothing was published (see peil publish)"
            ))
        }
        Ok(Outcome::Refused(review)) => {
            let (errors, _) = review_lines(&review);
            run.error = Some(format!(
                "the privacy review found {} errors; nothing was published: {}",
                errors.len(),
                errors.into_iter().take(5).collect::<Vec<_>>().join("; ")
            ))
        }
        Err(e) => run.error = Some(e.to_string()),
    }
    run.ended_at = ended(now, clock);
    if run.outcome == "failed" {
        let _ = store.audit(
            WHO,
            FROM,
            "publish refused",
            &json!({"trigger": trigger, "error": run.error}),
        );
    }
    if let Err(e) = store.record_run(&run) {
        log(&json!({"event": "publish run not recorded", "error": e.to_string()}));
    }
    log(
        &json!({"event": "scheduled publish", "outcome": run.outcome, "generation": run.generation, "error": run.error}),
    );
    run
}

/// One JSON line on standard error, as the server's other events.
fn log(v: &serde_json::Value) {
    eprintln!("{v}");
}

/// One scheduled or declared job as `peil sources` and the back office show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JobStatus {
    /// The source's name, or `publish`.
    pub name: String,
    /// `peil`, `file` or `publish`.
    pub kind: String,
    pub url: Option<String>,
    /// The cron expression, if scheduled.
    pub schedule: Option<String>,
    /// Whether a source's scheduled run that changed the test copy is followed by a publish.
    pub publish_after: bool,
    pub last: Option<Run>,
    /// The next due time in the site's time zone (`2026-12-07 06:00 CET`).
    pub next: Option<String>,
    /// The next due time has passed: it runs at the scheduler's next check.
    pub overdue: bool,
}

/// Every source and the scheduled publish with its last run and next due time, as of `now`
/// (a job never run by the scheduler is due after `now`).
pub fn status(store: &Store, plan: &Plan, now: Timestamp) -> peil_store::Result<Vec<JobStatus>> {
    let mut out = Vec::new();
    let mut push = |job: Job,
                    kind: &str,
                    url: Option<String>,
                    schedule: Option<&Cron>,
                    publish_after: bool|
     -> peil_store::Result<()> {
        let (task, name) = job.key();
        let next = next_due(store, plan, job, now)?;
        out.push(JobStatus {
            name: if task == RunTask::Publish {
                "publish".into()
            } else {
                name.to_string()
            },
            kind: kind.to_string(),
            url,
            schedule: schedule.map(|c| c.text().to_string()),
            publish_after,
            last: store.last_run(task, name, None)?,
            next: next.map(|t| local(&plan.zone, t)),
            overdue: next.is_some_and(|t| t <= now),
        });
        Ok(())
    };
    for (s, cron) in &plan.sources {
        push(
            Job::Source(s),
            s.kind.code(),
            Some(s.url.clone()),
            cron.as_ref(),
            s.publish,
        )?;
    }
    if plan.publish.is_some() {
        push(Job::Publish, "publish", None, plan.publish.as_ref(), false)?;
    }
    Ok(out)
}

/// A moment as people in the site's time zone read it: `2026-12-07 06:00 CET`.
pub fn local(zone: &TimeZone, t: Timestamp) -> String {
    t.to_zoned_datetime(zone.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// A time the store wrote (`2026-12-07T05:00:00Z`) in the site's time zone; as written when it
/// does not read.
pub fn local_text(zone: &TimeZone, stored: &str) -> String {
    stored
        .parse::<Timestamp>()
        .map(|t| local(zone, t))
        .unwrap_or_else(|_| stored.to_string())
}

/// Runs the plan until the process ends: every `every`, the jobs due now, when this process
/// holds the scheduler's lease (see the module's documentation; the `plan` closure
/// reads the site's configuration again, so an edit of peil.toml applies without a restart).
/// Meant for its own thread: everything it does blocks.
pub fn run_forever(
    store: &peil_store::Location,
    every: std::time::Duration,
    plan: impl Fn() -> Option<(Plan, Context)>,
) {
    let scheduler = Scheduler::new(Timestamp::now());
    let holder = Holder::this_process();
    let mut held = false;
    loop {
        std::thread::sleep(every);
        let Some((plan, ctx)) = plan().filter(|(p, _)| !p.is_empty()) else {
            // Nothing to run here (no schedule, or a peil.toml this replica cannot read): a
            // lease held is given up at once, for a replica that has something to run.
            if held
                && Store::open_at(store)
                    .and_then(|s| s.release_lease(LEASE, &holder.name))
                    .is_ok()
            {
                held = false;
            }
            continue;
        };
        match Store::open_at(store) {
            Ok(mut s) => {
                let ran =
                    scheduler.tick_held(&mut s, store, &holder, &plan, &ctx, Timestamp::now());
                held = ran.is_some();
            }
            Err(e) => {
                log(&json!({"event": "scheduler cannot open the store", "error": e.to_string()}))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job that outlasts the lease keeps it: the holder renews it while the job runs, and
    /// stops renewing when the job ends.
    #[test]
    fn the_lease_is_renewed_while_a_job_runs_and_then_left_to_expire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("peil.sqlite");
        let store = Store::create(&path).unwrap();
        let location = peil_store::Location::Sqlite(path);
        let holder = Holder {
            name: "a".into(),
            ttl: Duration::from_secs(3),
        };
        assert!(store.take_lease(LEASE, "a", holder.ttl).unwrap());
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|scope| {
            let (location, holder) = (&location, &holder);
            scope.spawn(move || renew_while_running(location, holder, &stopped));
            // Twice the lease's time into the "job": still held by a.
            std::thread::sleep(Duration::from_secs(6));
            assert!(!store.take_lease(LEASE, "b", holder.ttl).unwrap());
            drop(stop);
        });
        std::thread::sleep(Duration::from_secs(5));
        assert!(
            store.take_lease(LEASE, "b", holder.ttl).unwrap(),
            "left to expire"
        );
    }
}
