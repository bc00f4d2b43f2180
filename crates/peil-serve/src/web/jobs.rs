//! Bulk report jobs: one PDF per area of a level, zipped, made in the background.
//!
//! A job is expensive (minutes of every core), so it is bounded on every side: only readers
//! of an access group allowed to run them ([`may_run`]) start, see, cancel or download jobs;
//! at most [`MAX_JOBS`] run at once per server (the next is refused with 503 and
//! `Retry-After`); the ZIP is written to a temporary file as it is made, never held in memory;
//! a job can be cancelled, and a job dropped from the list (only the last [`KEPT`] are kept)
//! is cancelled and its file removed. The jobs belong to the server's state, not to a global.
//!
//! Replicas: a job, its progress and its ZIP live in the process that runs it (issue 16 §2
//! leaves moving them to the store for later). A job's id is random, so another replica
//! asked for it answers 404 rather than showing a job of its own that happens to have the
//! same number; behind a load balancer a job's pages need the balancer to keep a reader on
//! one replica (sticky sessions), and [`MAX_JOBS`] holds per replica.

use crate::limits::MAX_JOBS;
use peil_core::Reader;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Jobs kept in the list (finished ones wait there for their download).
pub const KEPT: usize = 8;

/// The access groups that may run bulk jobs.
pub const GROUPS: [&str; 2] = ["reports", "admin"];

/// Whether a reader may start and follow bulk jobs.
pub fn may_run(reader: &Reader) -> bool {
    GROUPS.iter().any(|g| reader.in_group(g))
}

/// One job.
pub struct Job {
    pub id: u64,
    pub title: String,
    pub total: usize,
    done: AtomicUsize,
    cancel: AtomicBool,
    outcome: Mutex<Outcome>,
}

/// Where a job is.
#[derive(Clone)]
pub enum Outcome {
    Running,
    /// The ZIP, in a temporary file removed when the job is dropped.
    Finished(Arc<tempfile::NamedTempFile>),
    Failed(String),
    Cancelled,
}

impl Job {
    pub fn done(&self) -> usize {
        self.done.load(Ordering::SeqCst)
    }

    pub fn set_done(&self, n: usize) {
        self.done.store(n, Ordering::SeqCst);
    }

    /// The flag the job's workers check between reports.
    pub fn cancelled(&self) -> &AtomicBool {
        &self.cancel
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    pub fn outcome(&self) -> Outcome {
        self.outcome
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn finish(&self, o: Outcome) {
        *self.outcome.lock().unwrap_or_else(|p| p.into_inner()) = o;
    }

    fn running(&self) -> bool {
        matches!(self.outcome(), Outcome::Running)
    }
}

/// Why a job was not started.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The reader is not in a group that may run jobs.
    NotAllowed,
    /// [`MAX_JOBS`] are running already.
    Busy,
}

/// The jobs of one server.
#[derive(Default)]
pub struct Jobs {
    list: Mutex<Vec<Arc<Job>>>,
}

impl Jobs {
    /// Registers a new running job for `reader`, or says why not.
    pub fn start(&self, reader: &Reader, title: String, total: usize) -> Result<Arc<Job>, Refused> {
        if !may_run(reader) {
            return Err(Refused::NotAllowed);
        }
        let mut list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        if list.iter().filter(|j| j.running()).count() >= MAX_JOBS {
            return Err(Refused::Busy);
        }
        let job = Arc::new(Job {
            id: random_id(&list),
            title,
            total,
            done: AtomicUsize::new(0),
            cancel: AtomicBool::new(false),
            outcome: Mutex::new(Outcome::Running),
        });
        list.push(job.clone());
        while list.len() > KEPT {
            // The oldest goes: if it still runs it stops, and its file is removed once the
            // last download of it ends.
            let old = list.remove(0);
            old.cancel();
        }
        Ok(job)
    }

    /// A job this reader may see.
    pub fn get(&self, reader: &Reader, id: u64) -> Option<Arc<Job>> {
        if !may_run(reader) {
            return None;
        }
        self.list
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|j| j.id == id)
            .cloned()
    }
}

/// A job id no job in the list has: 53 random bits (exact in JSON's numbers), never 0.
fn random_id(list: &[Arc<Job>]) -> u64 {
    loop {
        let hex = peil_store::random_hex(8);
        let id = u64::from_str_radix(&hex, 16).unwrap_or(1) >> 11;
        if id != 0 && list.iter().all(|j| j.id != id) {
            return id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_readers_and_a_few_at_once() {
        let jobs = Jobs::default();
        let anon = Reader::anonymous();
        let staff = Reader::key("k", ["reports".to_string()]);
        assert_eq!(
            jobs.start(&anon, "x".into(), 1).err(),
            Some(Refused::NotAllowed)
        );
        let a = jobs.start(&staff, "a".into(), 1).unwrap();
        let _b = jobs.start(&staff, "b".into(), 1).unwrap();
        assert_eq!(jobs.start(&staff, "c".into(), 1).err(), Some(Refused::Busy));
        a.finish(Outcome::Cancelled);
        let c = jobs.start(&staff, "c".into(), 1).unwrap();
        assert!(jobs.get(&anon, c.id).is_none());
        assert!(jobs.get(&staff, c.id).is_some());
    }

    #[test]
    fn dropped_jobs_are_cancelled() {
        let jobs = Jobs::default();
        let staff = Reader::key("k", ["admin".to_string()]);
        let first = jobs.start(&staff, "0".into(), 1).unwrap();
        first.finish(Outcome::Failed("x".into()));
        let mut last = None;
        for i in 0..KEPT {
            let j = jobs.start(&staff, i.to_string(), 1).unwrap();
            j.finish(Outcome::Cancelled);
            last = Some(j);
        }
        assert!(first.cancelled().load(Ordering::SeqCst));
        assert!(jobs.get(&staff, first.id).is_none());
        assert!(jobs.get(&staff, last.unwrap().id).is_some());
    }
}
