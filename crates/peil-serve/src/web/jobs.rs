//! Bulk report jobs: one PDF per area of a level, zipped, made in the background.
//!
//! A job is expensive (minutes of every core), so it is bounded on every side: only readers
//! of an access group allowed to run them ([`may_run`]) start, see, cancel or download jobs;
//! at most [`MAX_JOBS`] run at once on the site (the next is refused with 503 and
//! `Retry-After`); the ZIP is written to a temporary file as it is made and then copied into
//! the store in chunks, never held in memory; a job can be cancelled, and a job dropped from
//! the list (only the last [`KEPT`] are kept) stops and its ZIP goes.
//!
//! Replicas (issue 16 §2): jobs live in the store (`peil-store/src/jobs.rs`), so every
//! replica of the site lists, follows, cancels and downloads every job, and [`MAX_JOBS`]
//! holds for the site. The replica that starts a job runs it ([`run`]): it writes the progress
//! and renews the job's lease every [`BEAT`], reading at the same time whether a stop was
//! asked on any replica. A replica killed while it runs a job stops renewing the lease; once
//! the lease has passed ([`lease`]), whoever reads the job finds it failed
//! ([`peil_store::JOB_LOST`]) and its slot free.

use crate::limits::MAX_JOBS;
use peil_core::Reader;
use peil_store::{JobEnd, Store, StoreError};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Jobs kept in the list (finished ones wait there for their download).
pub const KEPT: usize = 8;

/// The access groups that may run bulk jobs.
pub const GROUPS: [&str; 2] = ["reports", "admin"];

/// How often a runner writes its job's progress, renews its lease and reads whether a stop
/// was asked: one small statement, twice a second.
pub const BEAT: Duration = Duration::from_millis(500);

/// A runner's lease unless `PEIL_JOB_LEASE_SECS` says otherwise: a job whose runner has not
/// beaten for this long is taken for dead.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// How long a runner's lease lasts: `PEIL_JOB_LEASE_SECS` when set to a whole number of
/// seconds of at least 2 (several beats), else [`DEFAULT_LEASE`]. The replicas of a site
/// should agree; the runner writes its own lease's end, so readers need not know it.
pub fn lease() -> Duration {
    std::env::var("PEIL_JOB_LEASE_SECS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s >= 2)
        .map_or(DEFAULT_LEASE, Duration::from_secs)
}

/// Whether a reader may start and follow bulk jobs.
pub fn may_run(reader: &Reader) -> bool {
    GROUPS.iter().any(|g| reader.in_group(g))
}

/// Why a job was not started.
#[derive(Debug)]
pub enum Refused {
    /// The reader is not in a group that may run jobs.
    NotAllowed,
    /// [`MAX_JOBS`] are running on the site already.
    Busy,
    /// The store did not answer.
    Store(StoreError),
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Refused {
        Refused::Store(e)
    }
}

/// Starts a running job for `reader` in the store, or says why not; its id.
pub fn start(store: &Store, reader: &Reader, title: &str, total: usize) -> Result<u64, Refused> {
    if !may_run(reader) {
        return Err(Refused::NotAllowed);
    }
    store
        .start_report_job(&reader.to_string(), title, total, MAX_JOBS, KEPT, lease())?
        .ok_or(Refused::Busy)
}

/// A job this reader may see: `None` for a reader who may not run jobs, whatever the id.
pub fn get(
    store: &Store,
    reader: &Reader,
    id: u64,
) -> Result<Option<peil_store::ReportJob>, StoreError> {
    if !may_run(reader) {
        return Ok(None);
    }
    store.report_job(id)
}

/// How the work of a job stopped short.
#[derive(Debug)]
pub enum Stopped {
    Cancelled,
    Failed(String),
}

/// Runs job `id` on this thread to its end, with `store` (a connection of its own).
///
/// `work` makes the ZIP into a file on a thread of its own, telling the reports done through
/// its first argument and stopping when its flag is set; meanwhile this thread beats every
/// [`BEAT`] and sets the flag when a stop was asked or the job runs no more. The finished ZIP
/// is then copied into the store's chunks, the lease renewed between them.
pub fn run<W>(store: Store, id: u64, work: W)
where
    W: FnOnce(&(dyn Fn(usize) + Sync), &AtomicBool) -> Result<tempfile::NamedTempFile, Stopped>
        + Send,
{
    let lease = lease();
    let done = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let beat = |store: &Store| match store.beat_report_job(id, done.load(Ordering::SeqCst), lease) {
        Ok(Some(false)) => {}
        // Asked to stop, or dropped from the list, or taken for dead: stop.
        Ok(Some(true) | None) => stop.store(true, Ordering::SeqCst),
        Err(e) => {
            failed_to_record(id, &e);
            // The job can no longer be followed, stopped or stored from here: its lease will
            // pass and readers see it failed, so the work stops too.
            if store.connection_lost() {
                stop.store(true, Ordering::SeqCst);
            }
        }
    };
    let outcome = std::thread::scope(|scope| {
        let (done, stop) = (&done, &stop);
        let worker = std::thread::Builder::new()
            .name("peil-job-zip".into())
            .spawn_scoped(scope, move || {
                work(&|n| done.store(n, Ordering::SeqCst), stop)
            });
        let worker = match worker {
            Ok(w) => w,
            Err(e) => return Err(Stopped::Failed(format!("no thread for the job: {e}"))),
        };
        let mut last = Instant::now();
        while !worker.is_finished() {
            std::thread::sleep(Duration::from_millis(50));
            if last.elapsed() >= BEAT {
                beat(&store);
                last = Instant::now();
            }
        }
        worker
            .join()
            .unwrap_or_else(|_| Err(Stopped::Failed("the job's thread stopped".into())))
    });
    let end = match outcome {
        Ok(file) => match store_zip(&store, id, file, &|| {
            beat(&store);
            stop.load(Ordering::SeqCst)
        }) {
            Ok(Some(size)) => JobEnd::Finished { size },
            Ok(None) => JobEnd::Cancelled,
            Err(e) => JobEnd::Failed(e),
        },
        Err(Stopped::Cancelled) => JobEnd::Cancelled,
        Err(Stopped::Failed(e)) => JobEnd::Failed(e),
    };
    if let Err(e) = store.end_report_job(id, &end) {
        failed_to_record(id, &e);
    }
}

/// Copies the ZIP into the store, [`peil_store::JOB_CHUNK`] bytes at a time, asking `stopped`
/// (which beats) between chunks; its size, or `None` when stopped.
fn store_zip(
    store: &Store,
    id: u64,
    file: tempfile::NamedTempFile,
    stopped: &dyn Fn() -> bool,
) -> Result<Option<u64>, String> {
    use std::io::Read;
    let mut f = file
        .reopen()
        .map_err(|e| format!("the ZIP cannot be read: {e}"))?;
    let mut buf = vec![0; peil_store::JOB_CHUNK];
    let (mut seq, mut size) = (0u64, 0u64);
    loop {
        // A chunk is whole but for the last.
        let mut n = 0;
        while n < buf.len() {
            match f.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("the ZIP cannot be read: {e}")),
            }
        }
        if n == 0 {
            return Ok(Some(size));
        }
        if stopped() {
            return Ok(None);
        }
        store
            .put_report_job_chunk(id, seq, &buf[..n])
            .map_err(|e| format!("the ZIP cannot be stored: {e}"))?;
        seq += 1;
        size += n as u64;
    }
}

fn failed_to_record(id: u64, e: &StoreError) {
    tracing::error!(target: crate::log::SERVER, event = "report job not recorded", job = id, error = e.to_string().as_str());
}

#[cfg(test)]
mod tests {
    use super::*;
    use peil_store::JobState;
    use std::io::Write;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::create(&dir.path().join("peil.sqlite")).unwrap();
        (dir, s)
    }

    #[test]
    fn only_allowed_readers_and_a_few_at_once() {
        let (_dir, s) = store();
        let anon = Reader::anonymous();
        let staff = Reader::key("k", ["reports".to_string()]);
        assert!(matches!(start(&s, &anon, "x", 1), Err(Refused::NotAllowed)));
        let a = start(&s, &staff, "a", 1).unwrap();
        let _b = start(&s, &staff, "b", 1).unwrap();
        assert!(matches!(start(&s, &staff, "c", 1), Err(Refused::Busy)));
        s.end_report_job(a, &JobEnd::Cancelled).unwrap();
        let c = start(&s, &staff, "c", 1).unwrap();
        assert!(get(&s, &anon, c).unwrap().is_none());
        assert_eq!(get(&s, &staff, c).unwrap().unwrap().title, "c");
        assert!(get(&s, &staff, c ^ 1).unwrap().is_none(), "a guessed id");
    }

    #[test]
    fn a_run_stores_its_zip_and_a_stop_asked_elsewhere_stops_it() {
        let (dir, s) = store();
        let staff = Reader::key("k", ["admin".to_string()]);
        let id = start(&s, &staff, "t", 3).unwrap();
        let zip: Vec<u8> = (0..peil_store::JOB_CHUNK + 7).map(|i| i as u8).collect();
        let bytes = zip.clone();
        run(
            Store::open(&dir.path().join("peil.sqlite")).unwrap(),
            id,
            move |progress, _| {
                let mut f = tempfile::NamedTempFile::new().unwrap();
                f.write_all(&bytes).unwrap();
                progress(3);
                Ok(f)
            },
        );
        let job = s.report_job(id).unwrap().unwrap();
        assert_eq!(
            job.state,
            JobState::Finished {
                size: zip.len() as u64
            }
        );
        assert_eq!(job.done, 3);
        let mut back = s.report_job_chunk(id, 0).unwrap().unwrap();
        back.extend(s.report_job_chunk(id, 1).unwrap().unwrap());
        assert!(back == zip);
        // Another connection (another replica) asks a running job to stop: its work sees
        // the flag within a beat or two.
        let id = start(&s, &staff, "u", 100).unwrap();
        let asked = Instant::now();
        s.cancel_report_job(id).unwrap();
        run(
            Store::open(&dir.path().join("peil.sqlite")).unwrap(),
            id,
            move |_, stop| {
                while !stop.load(Ordering::SeqCst) {
                    assert!(
                        asked.elapsed() < Duration::from_secs(10),
                        "never told to stop"
                    );
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(Stopped::Cancelled)
            },
        );
        assert_eq!(
            s.report_job(id).unwrap().unwrap().state,
            JobState::Cancelled
        );
    }

    #[test]
    fn dropped_jobs_stop() {
        let (dir, s) = store();
        let staff = Reader::key("k", ["admin".to_string()]);
        let first = start(&s, &staff, "0", 1).unwrap();
        for i in 0..KEPT {
            let j = start(&s, &staff, &i.to_string(), 1).unwrap();
            s.end_report_job(j, &JobEnd::Cancelled).unwrap();
        }
        assert!(get(&s, &staff, first).unwrap().is_none());
        // Its runner finds it gone and stops its work.
        let t = Instant::now();
        run(
            Store::open(&dir.path().join("peil.sqlite")).unwrap(),
            first,
            move |_, stop| {
                while !stop.load(Ordering::SeqCst) {
                    assert!(t.elapsed() < Duration::from_secs(10), "never told to stop");
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(Stopped::Cancelled)
            },
        );
        assert!(get(&s, &staff, first).unwrap().is_none());
    }
}
