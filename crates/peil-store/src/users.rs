//! The back office's accounts, sessions and audit log.
//!
//! Users carry a [`Role`] (what they may do) and access groups (what they may read, the same
//! strings API keys carry). Passwords are stored as Argon2id hashes only (`password.rs`);
//! sessions by the SHA-256 of their id, so a copy of the store opens no session. The audit
//! log is append-only: triggers refuse every UPDATE and DELETE of its rows.

use crate::db::{Dialect, Param, Row, params};
use crate::{Result, Store, StoreError, timestamp, utc_now};
use peil_core::Role;
use std::time::Duration;

/// Failed logins in a row before an account is locked; each further failure doubles the lock.
pub const LOCK_AFTER: i64 = 5;
/// The longest lock.
const MAX_LOCK: Duration = Duration::from_secs(3600);
/// Longest login name, display name and group list.
const MAX_NAME: usize = 64;
const MAX_DISPLAY: usize = 200;

/// A user to add.
pub struct NewUser<'a> {
    pub login: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub groups: &'a [String],
    /// `None` for a user who logs in through a provider only (`source`).
    pub password_hash: Option<String>,
    /// `password`, or the provider's name.
    pub source: &'a str,
}

/// A user as the back office lists them (never the password hash).
#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub groups: Vec<String>,
    pub source: String,
    pub disabled: bool,
    pub created: String,
    pub failed_logins: i64,
    /// Until when the account is locked after failed logins (it may lie in the past).
    pub locked_until: Option<String>,
    /// For a user of an OpenID Connect provider: the provider's issuer and the user's subject
    /// (`sub`) there, by which the user is found again ([`Store::user_by_subject`]).
    pub oidc: Option<(String, String)>,
}

/// The user of a valid session, with the session's CSRF token.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: User,
    pub csrf: String,
    pub created: String,
    pub last_seen: String,
    /// Whether the session asked to see the test copy instead of the live one (its role
    /// decides whether it gets it).
    pub preview: bool,
}

/// One line of the audit log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub who: String,
    pub client: String,
    pub action: String,
    /// JSON.
    pub detail: String,
}

/// Which lines of the audit log to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub who: Option<String>,
    pub action: Option<String>,
    /// First and last day (`YYYY-MM-DD`), inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

const USER_COLUMNS: &str = "u.id, u.login, u.display_name, u.role, u.groups, u.source, u.disabled, u.created, u.failed_logins, u.locked_until, u.oidc_issuer, u.oidc_subject";
/// How many columns `USER_COLUMNS` names (a query's own columns come after them).
const USER_COLUMN_COUNT: usize = 12;

/// `column = ?N` for a login name, without regard to ASCII case: SQLite's column is
/// `COLLATE NOCASE`; PostgreSQL compares `lower()` under `"C"`, which folds ASCII only, as
/// NOCASE does (and its unique index is on `lower(login)`).
fn login_is(d: Dialect, column: &str, n: usize) -> String {
    match d {
        Dialect::Sqlite => format!("{column} = ?{n}"),
        Dialect::Postgres => format!("lower({column}) = lower(?{n} COLLATE \"C\")"),
    }
}

fn user_row(r: &Row<'_>) -> Result<User> {
    debug_assert_eq!(USER_COLUMNS.split(',').count(), USER_COLUMN_COUNT);
    let role: String = r.get(3)?;
    let groups: String = r.get(4)?;
    Ok(User {
        id: r.get(0)?,
        login: r.get(1)?,
        display_name: r.get(2)?,
        // The schema's CHECK allows only the three names.
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        groups: split_groups(&groups),
        source: r.get(5)?,
        disabled: r.get(6)?,
        created: r.get(7)?,
        failed_logins: r.get(8)?,
        locked_until: r.get(9)?,
        oidc: match (r.get(10)?, r.get(11)?) {
            (Some(issuer), Some(subject)) => Some((issuer, subject)),
            _ => None,
        },
    })
}

fn split_groups(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect()
}

/// A login name: 1 to 64 of `a-z 0-9 . _ @ -` (case is kept, but two names that differ only
/// in case are one user).
pub fn check_login(login: &str) -> Result<()> {
    let ok = !login.is_empty()
        && login.len() <= MAX_NAME
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "'{}' is not a login name: expected 1 to {MAX_NAME} letters, digits or . _ @ -",
            login.chars().take(80).collect::<String>()
        )))
    }
}

/// Access group names: each 1 to 64 characters, without commas.
fn check_groups(groups: &[String]) -> Result<String> {
    for g in groups {
        if g.trim().is_empty() || g.len() > MAX_NAME || g.contains(',') {
            return Err(StoreError::Invalid(format!(
                "'{g}' is not an access group: expected 1 to {MAX_NAME} characters without a comma"
            )));
        }
    }
    let mut v: Vec<&str> = groups.iter().map(|g| g.trim()).collect();
    v.sort_unstable();
    v.dedup();
    Ok(v.join(","))
}

fn check_display(name: &str) -> Result<()> {
    if name.chars().count() > MAX_DISPLAY || name.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "a display name has at most {MAX_DISPLAY} characters and no control characters"
        )));
    }
    Ok(())
}

/// How long an account is locked after `failed` failures in a row (none below [`LOCK_AFTER`]).
pub fn lock_for(failed: i64, base: Duration) -> Option<Duration> {
    if failed < LOCK_AFTER {
        return None;
    }
    let doublings = (failed - LOCK_AFTER).min(20) as u32;
    Some(base.saturating_mul(1 << doublings).min(MAX_LOCK.max(base)))
}

fn ago(d: Duration) -> String {
    timestamp(time::OffsetDateTime::now_utc() - d)
}

impl Store {
    /// Adds a user; refuses a login name that exists (in any case).
    pub fn add_user(&self, u: &NewUser) -> Result<i64> {
        check_login(u.login)?;
        check_display(u.display_name)?;
        let groups = check_groups(u.groups)?;
        self.known_groups(u.groups)?;
        if self.user(u.login)?.is_some() {
            return Err(StoreError::Invalid(format!(
                "a user '{}' exists already (see `peil users list`)",
                u.login
            )));
        }
        self.db.insert(
            "INSERT INTO app_user (login, display_name, role, groups, password_hash, source, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![u.login, u.display_name, u.role.as_str(), &groups, &u.password_hash, u.source, &utc_now()],
        )
    }

    /// A user by login name (in any case).
    pub fn user(&self, login: &str) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM app_user u WHERE {}",
            login_is(self.db.dialect(), "u.login", 1)
        );
        self.db.query_row(&sql, params![login], user_row)
    }

    /// The user an OpenID Connect provider (`issuer`) knows as `subject`, if any.
    pub fn user_by_subject(&self, issuer: &str, subject: &str) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM app_user u WHERE u.oidc_issuer = ?1 AND u.oidc_subject = ?2"
        );
        self.db.query_row(&sql, params![issuer, subject], user_row)
    }

    /// Binds the account `id` of a provider's user to the provider's issuer and subject (its
    /// first login; accounts made before subjects were kept at their next one). Refused for a
    /// local account and for one bound already.
    pub fn bind_subject(&self, id: i64, issuer: &str, subject: &str) -> Result<()> {
        let n = self.db.execute(
            "UPDATE app_user SET oidc_issuer = ?2, oidc_subject = ?3
             WHERE id = ?1 AND source <> 'password' AND oidc_subject IS NULL",
            params![id, issuer, subject],
        )?;
        if n != 1 {
            return Err(StoreError::Invalid(format!(
                "user #{id} is not an unbound account of a provider"
            )));
        }
        Ok(())
    }

    /// Gives the account `id` another login name; refused when the name is not valid or
    /// another account has it (in any case). Sessions and everything else stay.
    pub fn rename_user(&self, id: i64, login: &str) -> Result<()> {
        check_login(login)?;
        if self.user(login)?.is_some_and(|u| u.id != id) {
            return Err(StoreError::Invalid(format!(
                "a user '{login}' exists already (see `peil users list`)"
            )));
        }
        self.db.execute(
            "UPDATE app_user SET login = ?2 WHERE id = ?1",
            params![id, login],
        )?;
        Ok(())
    }

    /// Every user, by login name.
    pub fn users(&self) -> Result<Vec<User>> {
        // SQLite sorts the NOCASE column without regard to ASCII case; lower() under "C" is
        // the same order on both (two logins never differ in case only).
        let sql = format!("SELECT {USER_COLUMNS} FROM app_user u ORDER BY lower(u.login)");
        self.db.query(&sql, params![], user_row)
    }

    /// The stored password hash of an enabled user who logs in with a password here.
    pub fn password_hash(&self, login: &str) -> Result<Option<String>> {
        let sql = format!(
            "SELECT password_hash FROM app_user WHERE {} AND disabled = 0",
            login_is(self.db.dialect(), "login", 1)
        );
        Ok(self
            .db
            .query_row(&sql, params![login], |r| r.get::<Option<String>>(0))?
            .flatten())
    }

    /// Changes role, access groups and display name; `false` when there is no such user.
    pub fn update_user(
        &self,
        login: &str,
        role: Role,
        groups: &[String],
        display_name: &str,
    ) -> Result<bool> {
        check_display(display_name)?;
        self.known_groups(groups)?;
        let groups = check_groups(groups)?;
        let sql = format!(
            "UPDATE app_user SET role = ?2, groups = ?3, display_name = ?4 WHERE {}",
            login_is(self.db.dialect(), "login", 1)
        );
        let n = self
            .db
            .execute(&sql, params![login, role.as_str(), &groups, display_name])?;
        Ok(n == 1)
    }

    /// Disables (ending all their sessions) or enables a user; `false` when there is none.
    pub fn set_user_disabled(&self, login: &str, disabled: bool) -> Result<bool> {
        let sql = format!(
            "UPDATE app_user SET disabled = ?2 WHERE {}",
            login_is(self.db.dialect(), "login", 1)
        );
        let n = self.db.execute(&sql, params![login, disabled])?;
        if disabled {
            self.end_sessions_of(login)?;
        }
        Ok(n == 1)
    }

    /// Sets a user's password hash and unlocks the account (an administrator's reset, or the
    /// user's own change); `false` when there is no such user.
    pub fn set_password(&self, login: &str, hash: &str) -> Result<bool> {
        let sql = format!(
            "UPDATE app_user SET password_hash = ?2, failed_logins = 0, locked_until = NULL
             WHERE {}",
            login_is(self.db.dialect(), "login", 1)
        );
        let n = self.db.execute(&sql, params![login, hash])?;
        Ok(n == 1)
    }

    /// Whether the account is locked now.
    pub fn is_locked(&self, login: &str) -> Result<bool> {
        let sql = format!(
            "SELECT locked_until FROM app_user WHERE {}",
            login_is(self.db.dialect(), "login", 1)
        );
        let until: Option<String> = self
            .db
            .query_row(&sql, params![login], |r| r.get::<Option<String>>(0))?
            .flatten();
        Ok(until.is_some_and(|u| u > utc_now()))
    }

    /// Counts a failed login; returns until when the account is now locked, if it is
    /// (after [`LOCK_AFTER`] failures in a row: `base`, doubling with each further failure).
    pub fn login_failed(&self, login: &str, base: Duration) -> Result<Option<String>> {
        let sql = format!(
            "UPDATE app_user SET failed_logins = failed_logins + 1 WHERE {}
             RETURNING failed_logins",
            login_is(self.db.dialect(), "login", 1)
        );
        let failed: Option<i64> = self.db.query_row(&sql, params![login], |r| r.get(0))?;
        let Some(lock) = failed.and_then(|f| lock_for(f, base)) else {
            return Ok(None);
        };
        let until = timestamp(time::OffsetDateTime::now_utc() + lock);
        let sql = format!(
            "UPDATE app_user SET locked_until = ?2 WHERE {}",
            login_is(self.db.dialect(), "login", 1)
        );
        self.db.execute(&sql, params![login, &until])?;
        Ok(Some(until))
    }

    /// Clears the failure count after a successful login.
    pub fn login_succeeded(&self, login: &str) -> Result<()> {
        let sql = format!(
            "UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE {}",
            login_is(self.db.dialect(), "login", 1)
        );
        self.db.execute(&sql, params![login])?;
        Ok(())
    }

    /// Opens a session for a user: `id_sha256` is the hash of the id the browser holds.
    pub fn create_session(
        &self,
        id_sha256: &str,
        user_id: i64,
        csrf: &str,
        client: &str,
        user_agent: &str,
    ) -> Result<()> {
        let now = utc_now();
        let ua: String = user_agent.chars().take(200).collect();
        self.db.execute(
            "INSERT INTO app_session (id_sha256, user_id, csrf, created, last_seen, client, user_agent)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
            params![id_sha256, user_id, csrf, &now, client, &ua],
        )?;
        Ok(())
    }

    /// Turns a session's preview of the test copy on or off.
    pub fn set_session_preview(&self, id_sha256: &str, on: bool) -> Result<()> {
        self.db.execute(
            "UPDATE app_session SET preview = ?2 WHERE id_sha256 = ?1",
            params![id_sha256, on],
        )?;
        Ok(())
    }

    /// The user of a session that is still valid: seen within `idle`, opened within
    /// `absolute`, its user enabled. Marks the session seen now (at most once per second).
    pub fn session(
        &self,
        id_sha256: &str,
        idle: Duration,
        absolute: Duration,
    ) -> Result<Option<SessionUser>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf, s.created, s.last_seen, s.preview FROM app_session s
             JOIN app_user u ON u.id = s.user_id
             WHERE s.id_sha256 = ?1 AND s.last_seen >= ?2 AND s.created >= ?3 AND u.disabled = 0"
        );
        let found =
            self.db
                .query_row(&sql, params![id_sha256, &ago(idle), &ago(absolute)], |r| {
                    Ok(SessionUser {
                        user: user_row(r)?,
                        csrf: r.get(USER_COLUMN_COUNT)?,
                        created: r.get(USER_COLUMN_COUNT + 1)?,
                        last_seen: r.get(USER_COLUMN_COUNT + 2)?,
                        preview: r.get(USER_COLUMN_COUNT + 3)?,
                    })
                })?;
        if let Some(s) = &found {
            let now = utc_now();
            if s.last_seen != now {
                self.db.execute(
                    "UPDATE app_session SET last_seen = ?2 WHERE id_sha256 = ?1",
                    params![id_sha256, &now],
                )?;
            }
        }
        Ok(found)
    }

    /// Ends one session (logout).
    pub fn end_session(&self, id_sha256: &str) -> Result<()> {
        self.db.execute(
            "DELETE FROM app_session WHERE id_sha256 = ?1",
            params![id_sha256],
        )?;
        Ok(())
    }

    /// Ends every session of a user ("log out everywhere"); returns how many there were.
    pub fn end_sessions_of(&self, login: &str) -> Result<usize> {
        let sql = format!(
            "DELETE FROM app_session WHERE user_id IN (SELECT id FROM app_user WHERE {})",
            login_is(self.db.dialect(), "login", 1)
        );
        self.db.execute(&sql, params![login])
    }

    /// Forgets sessions that can no longer be used.
    pub fn end_expired_sessions(&self, idle: Duration, absolute: Duration) -> Result<usize> {
        self.db.execute(
            "DELETE FROM app_session WHERE last_seen < ?1 OR created < ?2",
            params![&ago(idle), &ago(absolute)],
        )
    }

    /// Appends a line to the audit log: who (a login name, `$USER` of the command line, or
    /// `-` when nobody is known), from where (the client's address, or `cli`), what (a short
    /// action name such as `login failed`) and its details as JSON.
    pub fn audit(
        &self,
        who: &str,
        client: &str,
        action: &str,
        detail: &serde_json::Value,
    ) -> Result<()> {
        self.db.execute(
            "INSERT INTO audit_log (at, who, client, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![&utc_now(), who, client, action, &detail.to_string()],
        )?;
        Ok(())
    }

    /// Lines of the audit log as `filter` says, newest first, and how many match in all.
    pub fn audit_log(&self, f: &AuditFilter) -> Result<(Vec<AuditEntry>, u64)> {
        let mut clauses = Vec::new();
        let mut args: Vec<String> = Vec::new();
        for (col, op, value) in [
            ("who", "=", f.who.clone()),
            ("action", "=", f.action.clone()),
            ("at", ">=", f.from.clone()),
            ("at", "<=", f.to.as_ref().map(|t| format!("{t}T23:59:59Z"))),
        ] {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                args.push(v);
                clauses.push(format!("{col} {op} ?{}", args.len()));
            }
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let args: Vec<Param<'_>> = args.iter().map(Param::from).collect();
        let total: i64 = self.db.query_one(
            &format!("SELECT count(*) FROM audit_log {filter}"),
            &args,
            |r| r.get(0),
        )?;
        let sql = format!(
            "SELECT id, at, who, client, action, detail FROM audit_log {filter}
             ORDER BY id DESC LIMIT {} OFFSET {}",
            f.limit.min(100_000),
            f.offset
        );
        let rows = self.db.query(&sql, &args, |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                who: r.get(2)?,
                client: r.get(3)?,
                action: r.get(4)?,
                detail: r.get(5)?,
            })
        })?;
        Ok((rows, total as u64))
    }

    /// The distinct actions in the audit log (for the filter's choices).
    pub fn audit_actions(&self) -> Result<Vec<String>> {
        self.db.query(
            "SELECT DISTINCT action FROM audit_log ORDER BY action",
            params![],
            |r| r.get(0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::on_both;

    fn add(s: &Store, login: &str) -> i64 {
        s.add_user(&NewUser {
            login,
            display_name: "Ann",
            role: Role::Expert,
            groups: &["b".into(), "a".into()],
            password_hash: Some("h".into()),
            source: "password",
        })
        .unwrap()
    }

    on_both! {
        fn the_audit_log_refuses_update_and_delete(s: &mut Store) {
            s.audit("ann", "127.0.0.1", "login", &serde_json::json!({}))
                .unwrap();
            for sql in ["UPDATE audit_log SET who = 'eve'", "DELETE FROM audit_log"] {
                let e = s.db.execute(sql, params![]).unwrap_err().to_string();
                assert!(e.contains("append-only"), "{sql}: {e}");
            }
            let (rows, n) = s
                .audit_log(&AuditFilter {
                    limit: 10,
                    ..Default::default()
                })
                .unwrap();
            assert_eq!((rows[0].who.as_str(), n), ("ann", 1));
        }

        fn users_lock_after_failures_and_a_reset_unlocks(s: &mut Store) {
            add(s, "ann");
            assert!(
                s.add_user(&NewUser {
                    login: "ANN",
                    display_name: "",
                    role: Role::Viewer,
                    groups: &[],
                    password_hash: None,
                    source: "password"
                })
                .is_err()
            );
            assert_eq!(s.user("ann").unwrap().unwrap().groups, ["a", "b"]);
            let base = Duration::from_secs(60);
            for _ in 1..LOCK_AFTER {
                assert_eq!(s.login_failed("ann", base).unwrap(), None);
            }
            assert!(s.login_failed("ann", base).unwrap().is_some());
            assert!(s.is_locked("ann").unwrap());
            assert!(s.set_password("ann", "h2").unwrap());
            assert!(!s.is_locked("ann").unwrap());
            assert_eq!(lock_for(6, base), Some(Duration::from_secs(120)));
            assert_eq!(lock_for(40, base), Some(MAX_LOCK));
            assert!(check_login("a,b").is_err());
        }

        fn sessions_expire_and_end(s: &mut Store) {
            let id = add(s, "ann");
            s.create_session("h1", id, "c", "1.2.3.4", "ua").unwrap();
            let day = Duration::from_secs(86400);
            assert_eq!(
                s.session("h1", day, day).unwrap().unwrap().user.login,
                "ann"
            );
            s.set_user_disabled("ann", true).unwrap();
            assert!(s.session("h1", day, day).unwrap().is_none());
        }

        fn logins_match_without_regard_to_ascii_case_and_sort_so(s: &mut Store) {
            for login in ["carl", "Bob", "ann"] {
                add(s, login);
            }
            let logins: Vec<String> = s.users().unwrap().into_iter().map(|u| u.login).collect();
            assert_eq!(logins, ["ann", "Bob", "carl"]);
            assert_eq!(s.user("BOB").unwrap().unwrap().login, "Bob");
            assert_eq!(s.user("bób").unwrap().map(|u| u.login), None, "ASCII only, as NOCASE");
            assert_eq!(s.password_hash("ANN").unwrap().as_deref(), Some("h"));
            assert!(s.update_user("CARL", Role::Beheerder, &[], "Carl").unwrap());
            assert_eq!(s.user("carl").unwrap().unwrap().role, Role::Beheerder);
            let ann = s.user("ann").unwrap().unwrap().id;
            assert!(s.rename_user(ann, "BOB").is_err(), "taken in another case");
            s.rename_user(ann, "anna").unwrap();
            assert!(s.user("ann").unwrap().is_none());
            // A provider's account is bound once.
            let eva = s
                .add_user(&NewUser {
                    login: "eva",
                    display_name: "Eva",
                    role: Role::Viewer,
                    groups: &[],
                    password_hash: None,
                    source: "entra",
                })
                .unwrap();
            assert!(s.bind_subject(ann, "https://id", "sub-a").is_err(), "a local account");
            s.bind_subject(eva, "https://id", "sub-e").unwrap();
            assert!(s.bind_subject(eva, "https://id", "sub-x").is_err(), "bound already");
            assert_eq!(s.user_by_subject("https://id", "sub-e").unwrap().unwrap().id, eva);
            assert_eq!(s.user_by_subject("https://id", "sub-x").unwrap().map(|u| u.id), None);
            assert_eq!(s.user("eva").unwrap().unwrap().oidc, Some(("https://id".into(), "sub-e".into())));
        }

        fn sessions_preview_and_end_everywhere(s: &mut Store) {
            let id = add(s, "ann");
            s.create_session("h1", id, "c1", "1.2.3.4", &"u".repeat(500)).unwrap();
            s.create_session("h2", id, "c2", "1.2.3.4", "ua").unwrap();
            let day = Duration::from_secs(86400);
            let one = s.session("h1", day, day).unwrap().unwrap();
            assert_eq!((one.csrf.as_str(), one.preview), ("c1", false));
            s.set_session_preview("h1", true).unwrap();
            assert!(s.session("h1", day, day).unwrap().unwrap().preview);
            // Idle longer than allowed: not valid, and forgotten by the sweep.
            s.db.execute("UPDATE app_session SET last_seen = '2000-01-01T00:00:00Z' WHERE id_sha256 = 'h2'", params![]).unwrap();
            assert!(s.session("h2", day, day).unwrap().is_none());
            assert_eq!(s.end_expired_sessions(day, day).unwrap(), 1);
            s.end_session("h1").unwrap();
            assert!(s.session("h1", day, day).unwrap().is_none());
            s.create_session("h3", id, "c3", "", "").unwrap();
            s.create_session("h4", id, "c4", "", "").unwrap();
            assert_eq!(s.end_sessions_of("ANN").unwrap(), 2);
        }

        fn the_audit_log_filters_and_pages(s: &mut Store) {
            for (who, action) in [("ann", "login"), ("bob", "login"), ("ann", "publish"), ("ann", "login")] {
                s.audit(who, "cli", action, &serde_json::json!({"n": 1})).unwrap();
            }
            let page = |f: AuditFilter| s.audit_log(&AuditFilter { limit: 2, ..f }).unwrap();
            let (rows, n) = page(AuditFilter { who: Some("ann".into()), ..Default::default() });
            assert_eq!((rows.len(), n), (2, 3));
            assert!(rows[0].id > rows[1].id, "newest first");
            let (rows, n) = page(AuditFilter {
                who: Some("ann".into()),
                action: Some("login".into()),
                offset: 1,
                ..Default::default()
            });
            assert_eq!((rows.len(), n), (1, 2));
            let today = &crate::utc_now()[..10];
            let (_, n) = page(AuditFilter { from: Some(today.into()), to: Some(today.into()), ..Default::default() });
            assert_eq!(n, 4);
            let (_, n) = page(AuditFilter { to: Some("2000-01-01".into()), ..Default::default() });
            assert_eq!(n, 0);
            assert_eq!(s.audit_actions().unwrap(), ["login", "publish"]);
        }
    }
}
