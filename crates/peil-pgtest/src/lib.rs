//! A throwaway PostgreSQL server for tests.
//!
//! [`TempPostgres::start`] runs `initdb` and `pg_ctl` (PostgreSQL 15 or newer) in a new temporary
//! directory: trust authentication, no TCP at all (`listen_addresses = ''`), one unix socket in
//! that directory, durability switched off (a test server loses nothing it needs). The server is
//! stopped and its directory removed when the handle is dropped. [`TempPostgres::shared`] hands
//! every test of one process the same server while any of them holds it; tests keep apart by
//! schema ([`TempPostgres::unique_name`]), which is how a deployment keeps its sites apart too.
//!
//! `initdb` refuses to run as root. As root (CI runs as root) every server command runs as the
//! unprivileged user `postgres` (Debian's package creates it; `PEIL_PG_USER` names another)
//! through `runuser`, and the directory is handed to that user.
//!
//! The binaries are looked up in `PEIL_PG_BINDIR`, then `pg_config --bindir`, then
//! `/usr/lib/postgresql/<newest>/bin`, then `PATH`.
//!
//! A test process killed before it drops its server (`kill -9`, a timeout) leaves a postmaster
//! behind: each start first stops the servers whose owning process is gone (their directory
//! names the owner's pid) and removes their directories.
//!
//! The database's default collation is ICU Dutch (`nl-BE`), a linguistic order, on purpose: SQL
//! that sorts or compares text without saying `COLLATE "C"` orders differently here than on
//! SQLite, and the tests see it.

use std::ffi::{CString, OsStr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// The superuser `initdb` creates; tests connect as it.
pub const USER: &str = "peil";
/// The port that names the socket file (`.s.PGSQL.5432`); nothing listens on TCP.
pub const PORT: u16 = 5432;
const PREFIX: &str = "peil-pg-";

/// A running throwaway server. Dropping it stops the server and removes its files.
pub struct TempPostgres {
    dir: tempfile::TempDir,
    bindir: PathBuf,
    run_as: Option<String>,
}

static SHARED: Mutex<Weak<TempPostgres>> = Mutex::new(Weak::new());
static HELD: Mutex<Option<Arc<TempPostgres>>> = Mutex::new(None);
static NAMES: AtomicU64 = AtomicU64::new(0);

impl TempPostgres {
    /// Initialises and starts a new server; waits until it accepts connections.
    pub fn start() -> Result<TempPostgres, String> {
        let bindir = bindir()?;
        let run_as = if unsafe { libc::geteuid() } == 0 {
            Some(std::env::var("PEIL_PG_USER").unwrap_or_else(|_| "postgres".to_string()))
        } else {
            None
        };
        stop_orphans(&bindir, run_as.as_deref());
        let dir = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-", std::process::id()))
            .tempdir()
            .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        if let Some(user) = &run_as {
            let (uid, gid) = user_ids(user)?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| format!("cannot hand {} to {user}: {e}", dir.path().display()))?;
        }
        let pg = TempPostgres {
            dir,
            bindir,
            run_as,
        };
        let data = pg.data_dir();
        pg.run(
            "initdb",
            &[
                OsStr::new("-D"),
                data.as_os_str(),
                OsStr::new("-U"),
                OsStr::new(USER),
                OsStr::new("-A"),
                OsStr::new("trust"),
                OsStr::new("-E"),
                OsStr::new("UTF8"),
                OsStr::new("--locale=C.UTF-8"),
                OsStr::new("--locale-provider=icu"),
                OsStr::new("--icu-locale=nl-BE"),
                OsStr::new("--no-sync"),
            ],
        )?;
        // Settings for a server that lives as long as a test run: one socket in our own
        // directory, no TCP, nothing flushed to disk.
        let conf = format!(
            "\n# peil-pgtest\nlisten_addresses = ''\nport = {PORT}\nunix_socket_directories = '{}'\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n\
             max_connections = 200\nshared_buffers = 64MB\n",
            pg.socket_dir().display()
        );
        let conf_path = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf_path)
            .map_err(|e| format!("cannot read {}: {e}", conf_path.display()))?;
        text.push_str(&conf);
        std::fs::write(&conf_path, text)
            .map_err(|e| format!("cannot write {}: {e}", conf_path.display()))?;
        let log = pg.dir.path().join("server.log");
        if let Err(e) = pg.run(
            "pg_ctl",
            &[
                OsStr::new("-D"),
                data.as_os_str(),
                OsStr::new("-l"),
                log.as_os_str(),
                OsStr::new("-w"),
                OsStr::new("-t"),
                OsStr::new("60"),
                OsStr::new("start"),
            ],
        ) {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!("{e}\nserver log:\n{log}"));
        }
        Ok(pg)
    }

    /// The server every caller in this process shares while any of them holds it (started on
    /// first use, stopped when the last holder drops it).
    pub fn shared() -> Result<Arc<TempPostgres>, String> {
        let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pg) = shared.upgrade() {
            return Ok(pg);
        }
        let pg = Arc::new(TempPostgres::start()?);
        *shared = Arc::downgrade(&pg);
        Ok(pg)
    }

    /// [`TempPostgres::shared`], held until the process exits (then stopped, from an `atexit`
    /// handler): for callers whose sites outlive any one handle, such as test helpers that
    /// make sites by the dozen, so that the server is not stopped and started again between
    /// two tests.
    pub fn for_process() -> Result<Arc<TempPostgres>, String> {
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pg) = held.as_ref() {
            return Ok(pg.clone());
        }
        let pg = TempPostgres::shared()?;
        *held = Some(pg.clone());
        extern "C" fn release() {
            let pg = HELD.lock().unwrap_or_else(|e| e.into_inner()).take();
            drop(pg);
        }
        // SAFETY: `release` is a plain function that only takes the handle out of a static.
        unsafe { libc::atexit(release) };
        Ok(pg)
    }

    /// The directory holding the server's socket.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A libpq-style connection string for database `postgres` as [`USER`], over the socket.
    pub fn conninfo(&self) -> String {
        format!(
            "host={} port={PORT} user={USER} dbname=postgres",
            self.socket_dir().display()
        )
    }

    /// A name no other caller of this process gets (for a schema or a database per test).
    pub fn unique_name(prefix: &str) -> String {
        format!(
            "{prefix}_{}_{}",
            std::process::id(),
            NAMES.fetch_add(1, Ordering::Relaxed)
        )
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, program: &str, args: &[&OsStr]) -> Result<Output, String> {
        run(&self.bindir, self.run_as.as_deref(), program, args)
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let data = self.data_dir();
        let _ = self.run(
            "pg_ctl",
            &[
                OsStr::new("-D"),
                data.as_os_str(),
                OsStr::new("-m"),
                OsStr::new("fast"),
                OsStr::new("-w"),
                OsStr::new("stop"),
            ],
        );
    }
}

fn run(
    bindir: &Path,
    run_as: Option<&str>,
    program: &str,
    args: &[&OsStr],
) -> Result<Output, String> {
    let exe = bindir.join(program);
    let mut cmd = match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.arg("-u").arg(user).arg("--").arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    cmd.args(args);
    // The server inherits the environment: keep the caller's locale from choosing its messages.
    cmd.env("LC_ALL", "C.UTF-8");
    let out = cmd.output().map_err(|e| match run_as {
        Some(user) => format!(
            "cannot run {} as {user} through runuser: {e}",
            exe.display()
        ),
        None => format!("cannot run {}: {e}", exe.display()),
    })?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}): {}{}",
            exe.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out)
}

/// Where `initdb` and `pg_ctl` are.
fn bindir() -> Result<PathBuf, String> {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(d) = std::env::var_os("PEIL_PG_BINDIR") {
        let d = PathBuf::from(d);
        return if has(&d) {
            Ok(d)
        } else {
            Err(format!(
                "PEIL_PG_BINDIR={} holds no initdb and pg_ctl",
                d.display()
            ))
        };
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has(&d) {
            return Ok(d);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(v, d)| *v >= 15 && has(d))
        .collect();
    versions.sort();
    if let Some((_, d)) = versions.pop() {
        return Ok(d);
    }
    if let Some(path) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&path) {
            if has(&d) {
                return Ok(d);
            }
        }
    }
    Err(
        "PostgreSQL 15 or newer is not installed (initdb and pg_ctl not found): \
         `apt-get install postgresql`, or set PEIL_PG_BINDIR"
            .to_string(),
    )
}

fn user_ids(user: &str) -> Result<(u32, u32), String> {
    let name = CString::new(user).map_err(|_| format!("bad user name {user:?}"))?;
    // SAFETY: getpwnam returns a pointer into static storage or null; read at once, and tests
    // that start servers do so under `SHARED`'s lock or from one thread each.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        return Err(format!(
            "running as root, and initdb refuses root: there is no user {user:?} to run \
             PostgreSQL as (`apt-get install postgresql` creates `postgres`; PEIL_PG_USER names another)"
        ));
    }
    // SAFETY: checked non-null above.
    let pw = unsafe { &*pw };
    Ok((pw.pw_uid, pw.pw_gid))
}

/// Stops servers left behind by test processes that are gone, and removes their directories.
fn stop_orphans(bindir: &Path, run_as: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        // SAFETY: signal 0 only checks that the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if alive {
            continue;
        }
        let data = e.path().join("data");
        if data.join("postmaster.pid").exists() {
            let _ = run(
                bindir,
                run_as,
                "pg_ctl",
                &[
                    OsStr::new("-D"),
                    data.as_os_str(),
                    OsStr::new("-m"),
                    OsStr::new("immediate"),
                    OsStr::new("-w"),
                    OsStr::new("stop"),
                ],
            );
        }
        let _ = std::fs::remove_dir_all(e.path());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn psql(pg: &TempPostgres, sql: &str) -> String {
        let out = pg
            .run(
                "psql",
                &[
                    OsStr::new("-X"),
                    OsStr::new("-A"),
                    OsStr::new("-t"),
                    OsStr::new("-v"),
                    OsStr::new("ON_ERROR_STOP=1"),
                    OsStr::new("-d"),
                    OsStr::new(&pg.conninfo()),
                    OsStr::new("-c"),
                    OsStr::new(sql),
                ],
            )
            .expect("psql runs");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    #[test]
    fn starts_answers_and_stops_on_drop() {
        let pg = TempPostgres::start().expect("a PostgreSQL server starts");
        let version: u32 = psql(&pg, "SHOW server_version_num").parse().unwrap();
        assert!(version >= 150000, "PostgreSQL 15 or newer, got {version}");
        // Trust auth over the socket only: nothing listens on TCP.
        assert_eq!(psql(&pg, "SHOW listen_addresses"), "");
        // Linguistic default order, so that SQL without COLLATE "C" shows up in the tests.
        assert_eq!(
            psql(
                &pg,
                "SELECT string_agg(x, ',' ORDER BY x) FROM (VALUES ('b'), ('B'), ('a')) v(x)"
            ),
            "a,b,B"
        );
        let dir = pg.socket_dir().to_path_buf();
        let pidfile = dir.join("data/postmaster.pid");
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        drop(pg);
        assert!(!dir.exists(), "the directory is removed");
        // Gone, or a zombie its parent has not reaped yet (a container's init may be slow to).
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = state
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .next();
        assert!(
            matches!(state, None | Some("Z") | Some("X")),
            "the postmaster is gone, not {state:?}"
        );
    }

    #[test]
    fn shared_is_one_server_while_held() {
        let a = TempPostgres::shared().unwrap();
        let b = TempPostgres::shared().unwrap();
        assert_eq!(a.socket_dir(), b.socket_dir());
        assert_ne!(
            TempPostgres::unique_name("t"),
            TempPostgres::unique_name("t")
        );
    }
}
