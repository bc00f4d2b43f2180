//! Bulk report jobs (issue 16 §2, migration 20), shared by the replicas of `peil serve`: a job
//! started on one is listed, followed, stopped and downloaded on any other.
//!
//! - **One runner, a lease.** The process that starts a job runs it and renews its lease
//!   ([`Store::beat_report_job`]) while it works; the same statement writes the progress and
//!   reads whether someone asked it to stop. A job whose lease has passed is taken for dead
//!   (its server was killed) and shown as failed ([`LOST`]) by whoever reads it next.
//! - **A bound for the site.** A running job holds one of `max_running` slots (`slot`, a unique
//!   column, cleared when the job ends); [`Store::start_report_job`] inserts into a free slot or
//!   not at all, one statement per slot, so two replicas starting jobs at once never exceed the
//!   bound. Dead runners' slots are freed first.
//! - **The ZIP in chunks** (`report_job_chunk`, [`CHUNK`] bytes each), written one by one as
//!   the runner copies its file ([`Store::put_report_job_chunk`]) and read one by one by a
//!   download ([`Store::report_job_chunk`]): neither holds the whole ZIP.
//! - **A short list.** Only the last `kept` jobs are kept; older ones go with their chunks (a
//!   running one among them stops: its runner finds it gone).
//!
//! Who may run jobs is the server's rule (`peil-serve/src/web/jobs.rs`), not the store's: the
//! store keeps who started a job for the record.

use crate::db::params;
use crate::{Result, Store, timestamp, utc_now};
use std::time::Duration;

/// Bytes of a ZIP per stored chunk.
pub const CHUNK: usize = 1 << 20;

/// The error of a job whose runner stopped renewing its lease.
pub const LOST: &str = "the server running it stopped";

/// Where a job is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    Running,
    /// The ZIP is in the store: `size` bytes.
    Finished {
        size: u64,
    },
    Failed(String),
    Cancelled,
}

/// One report job as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportJob {
    pub id: u64,
    /// The reader who started it (a key's or a user's name).
    pub started_by: String,
    pub title: String,
    pub total: usize,
    pub done: usize,
    pub state: JobState,
    /// A stop was asked (the runner stops at its next beat).
    pub cancel_requested: bool,
    pub created: String,
    pub finished: Option<String>,
}

/// How a runner ends its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    /// All its chunks are written: `size` bytes.
    Finished {
        size: u64,
    },
    Failed(String),
    Cancelled,
}

fn until(lease: Duration) -> String {
    timestamp(time::OffsetDateTime::now_utc() + lease)
}

const COLUMNS: &str =
    "id, started_by, title, total, done, state, error, cancel, size, created, finished";

fn job_from(r: &crate::db::Row<'_>) -> Result<ReportJob> {
    let id: i64 = r.get(0)?;
    let state: String = r.get(5)?;
    let error: Option<String> = r.get(6)?;
    let size: Option<i64> = r.get(8)?;
    let count = |n: i64| usize::try_from(n).unwrap_or(0);
    Ok(ReportJob {
        id: u64::try_from(id).unwrap_or(0),
        started_by: r.get(1)?,
        title: r.get(2)?,
        total: count(r.get(3)?),
        done: count(r.get(4)?),
        state: match state.as_str() {
            "running" => JobState::Running,
            "finished" => JobState::Finished {
                size: size.and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
            },
            "cancelled" => JobState::Cancelled,
            _ => JobState::Failed(error.unwrap_or_default()),
        },
        cancel_requested: r.get(7)?,
        created: r.get(9)?,
        finished: r.get(10)?,
    })
}

impl Store {
    /// Starts a running job for `started_by` in a free one of `max_running` slots, with its
    /// runner's lease for `lease`, and keeps only the last `kept` jobs; its new random id, or
    /// `None` when `max_running` jobs are running on the site.
    pub fn start_report_job(
        &self,
        started_by: &str,
        title: &str,
        total: usize,
        max_running: usize,
        kept: usize,
        lease: Duration,
    ) -> Result<Option<u64>> {
        self.expire_report_jobs()?;
        let id = loop {
            // 53 random bits (exact in JSON's numbers), never 0.
            let id = u64::from_str_radix(&crate::random_hex(8), 16).unwrap_or(1) >> 11;
            let taken: Option<i64> = self.db.query_row(
                "SELECT id FROM report_job WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )?;
            if id != 0 && taken.is_none() {
                break id;
            }
        };
        let now = utc_now();
        // The list's order (two replicas starting at once may share a number: either goes
        // first).
        let seq: i64 = self.db.query_one(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM report_job",
            params![],
            |r| r.get(0),
        )?;
        let mut started = false;
        for slot in 0..max_running {
            // A slot held by a running job makes the insert do nothing: the unique `slot`
            // decides between replicas starting at the same moment.
            let n = self.db.execute(
                "INSERT OR IGNORE INTO report_job
                     (id, seq, slot, started_by, title, total, done, state, error, cancel,
                      lease_until, size, created, finished)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 'running', NULL, 0, ?7, NULL, ?8, NULL)",
                params![id, seq, slot, started_by, title, total, &until(lease), &now],
            )?;
            if n == 1 {
                started = true;
                break;
            }
        }
        if !started {
            return Ok(None);
        }
        if let Some(oldest_kept) = self.db.query_row(
            "SELECT seq FROM report_job ORDER BY seq DESC LIMIT 1 OFFSET ?1",
            params![kept.saturating_sub(1)],
            |r| r.get::<i64>(0),
        )? {
            // Their chunks go with them (ON DELETE CASCADE).
            self.db.execute(
                "DELETE FROM report_job WHERE seq < ?1 AND id <> ?2",
                params![oldest_kept, id],
            )?;
        }
        Ok(Some(id))
    }

    /// Jobs running on the site now (those whose runner is dead not counted).
    pub fn running_report_jobs(&self) -> Result<usize> {
        let n: i64 = self.db.query_one(
            "SELECT COUNT(*) FROM report_job WHERE state = 'running' AND lease_until >= ?1",
            params![&utc_now()],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Marks the running jobs whose lease has passed as failed ([`LOST`]), freeing their slots.
    fn expire_report_jobs(&self) -> Result<usize> {
        let now = utc_now();
        self.db.execute(
            "UPDATE report_job SET state = 'failed', error = ?1, slot = NULL, finished = ?2
             WHERE state = 'running' AND lease_until < ?2",
            params![LOST, &now],
        )
    }

    /// The job `id`; a running one whose runner's lease has passed is marked failed first.
    pub fn report_job(&self, id: u64) -> Result<Option<ReportJob>> {
        let sql = format!("SELECT {COLUMNS}, lease_until FROM report_job WHERE id = ?1");
        let found = self.db.query_row(&sql, params![id], |r| {
            Ok((job_from(r)?, r.get::<String>(11)?))
        })?;
        match found {
            Some((job, lease)) if job.state == JobState::Running && lease < utc_now() => {
                // Written only when a dead runner is found: a read stays a read otherwise.
                self.expire_report_jobs()?;
                self.db.query_row(
                    &format!("SELECT {COLUMNS} FROM report_job WHERE id = ?1"),
                    params![id],
                    job_from,
                )
            }
            other => Ok(other.map(|(job, _)| job)),
        }
    }

    /// The site's jobs, newest first.
    pub fn report_jobs(&self) -> Result<Vec<ReportJob>> {
        let ids: Vec<i64> = self.db.query(
            "SELECT id FROM report_job ORDER BY seq DESC",
            params![],
            |r| r.get(0),
        )?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(j) = self.report_job(u64::try_from(id).unwrap_or(0))? {
                out.push(j);
            }
        }
        Ok(out)
    }

    /// Asks the running job `id` to stop; `false` when it is not running.
    pub fn cancel_report_job(&self, id: u64) -> Result<bool> {
        Ok(self.db.execute(
            "UPDATE report_job SET cancel = 1 WHERE id = ?1 AND state = 'running'",
            params![id],
        )? == 1)
    }

    /// The runner's beat: writes the progress and renews the lease for `lease`; whether a stop
    /// was asked (`Some(true)`), or `None` when the job runs no more (gone from the list, or
    /// taken for dead): the runner stops.
    pub fn beat_report_job(&self, id: u64, done: usize, lease: Duration) -> Result<Option<bool>> {
        self.db.query_row(
            "UPDATE report_job SET done = ?2, lease_until = ?3
             WHERE id = ?1 AND state = 'running' RETURNING cancel",
            params![id, done, &until(lease)],
            |r| r.get::<bool>(0),
        )
    }

    /// Writes chunk `seq` (from 0) of the running job `id`'s ZIP.
    pub fn put_report_job_chunk(&self, id: u64, seq: u64, bytes: &[u8]) -> Result<()> {
        self.db.execute(
            "INSERT INTO report_job_chunk (job, seq, bytes) VALUES (?1, ?2, ?3)",
            params![id, seq, bytes],
        )?;
        Ok(())
    }

    /// Ends the running job `id`; `false` when it ran no more. The chunks of a job that ends
    /// other than finished are dropped.
    pub fn end_report_job(&self, id: u64, end: &JobEnd) -> Result<bool> {
        let (state, error, size) = match end {
            JobEnd::Finished { size } => ("finished", None, Some(*size)),
            JobEnd::Failed(e) => ("failed", Some(e.as_str()), None),
            JobEnd::Cancelled => ("cancelled", None, None),
        };
        let n = self.db.execute(
            "UPDATE report_job SET state = ?2, error = ?3, size = ?4, slot = NULL, finished = ?5
             WHERE id = ?1 AND state = 'running'",
            params![id, state, error, size, &utc_now()],
        )?;
        // Chunks of a job that did not finish (or was taken for dead while they were written)
        // are nobody's; a finished job's are its ZIP, whoever calls this.
        self.db.execute(
            "DELETE FROM report_job_chunk WHERE job = ?1
             AND NOT EXISTS (SELECT 1 FROM report_job WHERE id = ?1 AND state = 'finished')",
            params![id],
        )?;
        Ok(n == 1)
    }

    /// Chunk `seq` (from 0) of job `id`'s ZIP; `None` past the last (or for a job gone).
    pub fn report_job_chunk(&self, id: u64, seq: u64) -> Result<Option<Vec<u8>>> {
        self.db.query_row(
            "SELECT bytes FROM report_job_chunk WHERE job = ?1 AND seq = ?2",
            params![id, seq],
            |r| r.get(0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::on_both;

    const LEASE: Duration = Duration::from_secs(60);

    /// A ZIP-like run of bytes of `n` bytes, no two chunks alike.
    fn bytes(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| (i % 251) as u8 ^ (i / CHUNK) as u8)
            .collect()
    }

    on_both! {
        fn a_zip_goes_in_and_out_in_chunks_byte_for_byte(s: &mut Store) {
            let id = s.start_report_job("k", "Wijkprofiel — wijk", 3, 2, 8, LEASE).unwrap().unwrap();
            assert_eq!(s.beat_report_job(id, 3, LEASE).unwrap(), Some(false));
            let zip = bytes(2 * CHUNK + 12_345);
            for (seq, part) in zip.chunks(CHUNK).enumerate() {
                s.put_report_job_chunk(id, seq as u64, part).unwrap();
            }
            // Not finished until the runner says so.
            assert_eq!(s.report_job(id).unwrap().unwrap().state, JobState::Running);
            let size = zip.len() as u64;
            assert!(s.end_report_job(id, &JobEnd::Finished { size }).unwrap());
            let job = s.report_job(id).unwrap().unwrap();
            assert_eq!(job.state, JobState::Finished { size });
            assert_eq!((job.done, job.total, job.title.as_str()), (3, 3, "Wijkprofiel — wijk"));
            let mut back = Vec::new();
            let mut seq = 0;
            while let Some(c) = s.report_job_chunk(id, seq).unwrap() {
                assert!(c.len() <= CHUNK);
                back.extend(c);
                seq += 1;
            }
            assert_eq!(seq, 3);
            assert!(back == zip, "the ZIP comes back byte for byte");
            // A finished job runs no more: no beat, no cancel, no second end.
            assert_eq!(s.beat_report_job(id, 3, LEASE).unwrap(), None);
            assert!(!s.cancel_report_job(id).unwrap());
            assert!(!s.end_report_job(id, &JobEnd::Cancelled).unwrap());
            assert_eq!(s.report_job_chunk(id, 0).unwrap().map(|c| c.len()), Some(CHUNK));
        }

        fn at_most_max_running_jobs_run_on_the_site(s: &mut Store) {
            let start = |s: &Store| s.start_report_job("k", "t", 5, 2, 8, LEASE).unwrap();
            let a = start(s).unwrap();
            let b = start(s).unwrap();
            assert_eq!(start(s), None, "a third at once is refused");
            assert_eq!(s.running_report_jobs().unwrap(), 2);
            // A stop asked is read by the runner, which ends the job: its slot is free.
            assert!(s.cancel_report_job(a).unwrap());
            assert_eq!(s.beat_report_job(a, 1, LEASE).unwrap(), Some(true));
            assert_eq!(s.beat_report_job(b, 1, LEASE).unwrap(), Some(false));
            assert!(s.end_report_job(a, &JobEnd::Cancelled).unwrap());
            assert_eq!(s.report_job(a).unwrap().unwrap().state, JobState::Cancelled);
            let c = start(s).unwrap();
            assert_eq!(start(s), None);
            // b's runner dies: once its lease has passed, its job is failed and its slot free.
            s.db.execute(
                "UPDATE report_job SET lease_until = '2000-01-01T00:00:00Z' WHERE id = ?1",
                params![b],
            )
            .unwrap();
            assert_eq!(s.running_report_jobs().unwrap(), 1);
            assert_eq!(
                s.report_job(b).unwrap().unwrap().state,
                JobState::Failed(LOST.into())
            );
            assert_eq!(s.beat_report_job(b, 2, LEASE).unwrap(), None, "its runner, back, stops");
            let d = start(s).unwrap();
            assert_eq!(s.running_report_jobs().unwrap(), 2);
            assert!(s.end_report_job(c, &JobEnd::Failed("no PDF".into())).unwrap());
            assert_eq!(
                s.report_job(c).unwrap().unwrap().state,
                JobState::Failed("no PDF".into())
            );
            assert_ne!(d, c);
        }

        fn two_connections_starting_at_once_hold_the_bound(s: &mut Store) {
            // Another connection to the same store, as another replica has.
            let other = crate::testing::another_connection(s);
            let at_once = &std::sync::Barrier::new(2);
            let me: &mut Store = s;
            let started: Vec<Option<u64>> = std::thread::scope(|scope| {
                let mine = scope.spawn(move || {
                    at_once.wait();
                    (0..3)
                        .map(|_| me.start_report_job("a", "t", 1, 2, 8, LEASE).unwrap())
                        .collect::<Vec<_>>()
                });
                let theirs = scope.spawn(move || {
                    at_once.wait();
                    (0..3)
                        .map(|_| other.start_report_job("b", "t", 1, 2, 8, LEASE).unwrap())
                        .collect::<Vec<_>>()
                });
                let mut all = mine.join().unwrap();
                all.extend(theirs.join().unwrap());
                all
            });
            assert_eq!(started.iter().flatten().count(), 2, "{started:?}");
            assert_eq!(s.running_report_jobs().unwrap(), 2);
        }

        fn only_the_last_kept_jobs_stay_with_their_chunks(s: &mut Store) {
            let first = s.start_report_job("k", "0", 1, 2, 3, LEASE).unwrap().unwrap();
            s.put_report_job_chunk(first, 0, b"PK").unwrap();
            assert!(s.end_report_job(first, &JobEnd::Finished { size: 2 }).unwrap());
            let running = s.start_report_job("k", "1", 1, 2, 3, LEASE).unwrap().unwrap();
            let mut last = 0;
            for i in 2..5 {
                last = s.start_report_job("k", &i.to_string(), 1, 2, 3, LEASE).unwrap().unwrap();
                assert!(s.end_report_job(last, &JobEnd::Cancelled).unwrap());
            }
            assert_eq!(s.report_job(first).unwrap(), None);
            assert_eq!(s.report_job_chunk(first, 0).unwrap(), None, "its chunks went with it");
            assert_eq!(s.report_job(running).unwrap(), None);
            assert_eq!(s.beat_report_job(running, 1, LEASE).unwrap(), None, "its runner stops");
            let titles: Vec<String> = s.report_jobs().unwrap().into_iter().map(|j| j.title).collect();
            assert_eq!(titles, ["4", "3", "2"]);
            assert!(s.report_job(last).unwrap().is_some());
        }
    }
}
