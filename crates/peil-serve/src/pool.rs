//! The server's pool of store connections (the back office, sessions, the pages that read the
//! store): at most [`SIZE`] open at once, opened when first needed and kept for the next
//! caller, so a slow store call (a publish diff, an import's dry run) does not hold up every
//! signed-in reader's session lookup behind it, and a PostgreSQL round-trip is not paid for a
//! new connection per request.
//!
//! Our own rather than `deadpool`/`r2d2`: what is pooled is [`peil_store::Store`] (SQLite or
//! PostgreSQL behind one type, used on the blocking pool), not a driver's client, so the
//! pool must not know a dialect; the whole of it is a mutex, a condition variable and a list.
//!
//! A connection found lost (a restarted PostgreSQL server) is not put back: the next caller
//! opens a new one. Callers wait (on the blocking pool, never on the async executor) while all
//! [`SIZE`] are in use.

use peil_store::{Location, Result, Store};
use std::sync::{Condvar, Mutex};

/// Connections a server keeps open to its store at most (per site). SQLite allows one writer
/// at a time (the others wait up to its busy timeout); PostgreSQL's default 100 connections
/// leave room for many replicas of many sites.
pub const SIZE: usize = 4;

/// Idle connections kept for the next callers at most; those beyond are closed when given back,
/// so a burst does not leave every site of a many-site process holding [`SIZE`] connections.
pub const KEEP: usize = 2;

pub(crate) struct Pool {
    at: Location,
    size: usize,
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Default)]
struct State {
    idle: Vec<Store>,
    /// Connections out (in a caller's hands) or being opened.
    busy: usize,
}

impl Pool {
    pub fn new(at: Location, size: usize) -> Pool {
        Pool {
            at,
            size: size.max(1),
            state: Mutex::new(State::default()),
            freed: Condvar::new(),
        }
    }

    /// Runs `f` on a connection of the pool. Blocking: call it on the blocking pool.
    /// A call that panics gives its place back (its connection is dropped).
    pub fn run<T>(&self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        let mut out = Out {
            pool: self,
            store: Some(self.take()?),
        };
        let store = out.store.as_mut().expect("taken above");
        f(store)
    }

    fn take(&self) -> Result<Store> {
        let mut st = self.lock();
        loop {
            if let Some(s) = st.idle.pop() {
                st.busy += 1;
                return Ok(s);
            }
            if st.busy < self.size {
                st.busy += 1;
                drop(st);
                return Store::open_at(&self.at).inspect_err(|_| self.release(None));
            }
            st = self.freed.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Ends one use: the connection back in the list (or dropped when `None`), a waiter woken.
    fn release(&self, store: Option<Store>) {
        let mut st = self.lock();
        st.busy -= 1;
        let closed = match store {
            Some(s) if st.idle.len() < KEEP => {
                st.idle.push(s);
                None
            }
            other => other,
        };
        drop(st);
        self.freed.notify_one();
        drop(closed);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The idle connections, taken out (to close them apart from the async executor).
    pub fn drain(&mut self) -> Vec<Store> {
        std::mem::take(&mut self.state.get_mut().unwrap_or_else(|p| p.into_inner()).idle)
    }

    /// Connections open now (idle and in use), for tests.
    #[cfg(test)]
    fn open(&self) -> (usize, usize) {
        let st = self.lock();
        (st.idle.len(), st.busy)
    }
}

/// A connection in a caller's hands: back to the pool when the call ends, however it ends.
struct Out<'a> {
    pool: &'a Pool,
    store: Option<Store>,
}

impl Drop for Out<'_> {
    fn drop(&mut self) {
        let store = self.store.take();
        let keep =
            !std::thread::panicking() && store.as_ref().is_some_and(|s| !s.connection_lost());
        self.pool.release(if keep { store } else { None });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::time::Duration;

    fn pool(size: usize) -> (tempfile::TempDir, Arc<Pool>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("peil.sqlite");
        Store::create(&path).unwrap();
        (dir, Arc::new(Pool::new(Location::Sqlite(path), size)))
    }

    #[test]
    fn a_slow_call_does_not_hold_up_the_others() {
        let (_dir, pool) = pool(2);
        let (entered, wait_entered) = mpsc::channel();
        let (finish, wait_finish) = mpsc::channel::<()>();
        let slow = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                pool.run(|s| {
                    entered.send(()).unwrap();
                    wait_finish.recv().unwrap();
                    s.status().map(|_| ())
                })
            })
        };
        wait_entered.recv().unwrap();
        // While the slow call holds one connection, others are answered on the second.
        for _ in 0..5 {
            pool.run(|s| s.status().map(|_| ())).unwrap();
        }
        assert_eq!(
            pool.open(),
            (1, 1),
            "one idle, one in the slow call's hands"
        );
        finish.send(()).unwrap();
        slow.join().unwrap().unwrap();
        assert_eq!(pool.open(), (2, 0), "both kept for the next callers");
    }

    #[test]
    fn a_burst_leaves_no_more_than_keep_idle() {
        let (_dir, pool) = pool(SIZE);
        let (entered, wait_entered) = mpsc::channel();
        let (finish, wait_finish) = mpsc::channel::<()>();
        let finish = Arc::new(Mutex::new(Some(finish)));
        let wait_finish = Arc::new(Mutex::new(wait_finish));
        let holders: Vec<_> = (0..SIZE)
            .map(|_| {
                let (pool, entered, wait_finish) =
                    (pool.clone(), entered.clone(), wait_finish.clone());
                std::thread::spawn(move || {
                    pool.run(|_| {
                        entered.send(()).unwrap();
                        wait_finish.lock().unwrap().recv().unwrap();
                        Ok(())
                    })
                })
            })
            .collect();
        for _ in 0..SIZE {
            wait_entered.recv().unwrap();
        }
        assert_eq!(pool.open(), (0, SIZE), "a connection each");
        let finish = finish.lock().unwrap().take().unwrap();
        for _ in 0..SIZE {
            finish.send(()).unwrap();
        }
        for h in holders {
            h.join().unwrap().unwrap();
        }
        assert_eq!(pool.open(), (KEEP, 0));
    }

    #[test]
    fn callers_beyond_the_size_wait_for_a_connection() {
        let (_dir, pool) = pool(1);
        let (entered, wait_entered) = mpsc::channel();
        let (finish, wait_finish) = mpsc::channel::<()>();
        let holder = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                pool.run(|_| {
                    entered.send(()).unwrap();
                    wait_finish.recv().unwrap();
                    Ok(())
                })
            })
        };
        wait_entered.recv().unwrap();
        let (done, wait_done) = mpsc::channel();
        let waiter = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                pool.run(|_| Ok(())).unwrap();
                done.send(()).unwrap();
            })
        };
        assert!(
            wait_done.recv_timeout(Duration::from_millis(300)).is_err(),
            "a second connection was opened beyond the pool's size"
        );
        finish.send(()).unwrap();
        holder.join().unwrap().unwrap();
        wait_done.recv_timeout(Duration::from_secs(5)).unwrap();
        waiter.join().unwrap();
        assert_eq!(pool.open(), (1, 0));
    }

    #[test]
    fn a_store_that_cannot_be_opened_frees_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::new(Location::Sqlite(dir.path().join("missing/peil.sqlite")), 1);
        for _ in 0..3 {
            assert!(pool.run(|_| Ok(())).is_err());
        }
        assert_eq!(pool.open(), (0, 0));
    }
}
