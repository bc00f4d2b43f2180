//! What the replicas of `peil serve` share through the store (issue 16 §2, migration 18), so
//! that two processes serving one PostgreSQL store behave as one server:
//!
//! - **Failed logins per client address** (`login_failure`): a count and the start of its
//!   window. Counted by one statement (an upsert), so two replicas counting at once lose no
//!   failure; windows that have passed are forgotten as failures are counted, so the table
//!   holds at most the addresses of one window.
//! - **Leases of background work** (`lease`): one row per kind of work (`scheduler`), the
//!   replica holding it and until when. A replica takes a lease that is free, expired or its
//!   own, in one statement, and renews it while it works; a replica that dies stops renewing
//!   and another takes the work over once the lease expires.
//! - **OpenID Connect logins under way** (`oidc_flow`): the nonce, PKCE verifier and landing
//!   page of a login sent to the provider, by the SHA-256 of its state, so the provider's
//!   redirect may reach any replica. Taken out by one statement (`DELETE … RETURNING`): a
//!   state is good once, on every replica together.
//!
//! Sessions were in the store already (`users.rs`). On SQLite there is one process, and all
//! of this holds trivially.

use crate::db::params;
use crate::{Result, Store, timestamp, utc_now};
use std::time::Duration;

fn at(d: Duration, later: bool) -> String {
    let now = time::OffsetDateTime::now_utc();
    timestamp(if later { now + d } else { now - d })
}

impl Store {
    /// Failed logins from `address` counted within the last `window`.
    pub fn address_failures(&self, address: &str, window: Duration) -> Result<u32> {
        let n: Option<i64> = self.db.query_row(
            "SELECT failures FROM login_failure WHERE address = ?1 AND since >= ?2",
            params![address, &at(window, false)],
            |r| r.get(0),
        )?;
        Ok(n.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// Counts a failed login from `address`: one more in its window, or the first of a new
    /// window when the last has passed. Forgets the addresses whose window has passed.
    pub fn address_failed(&self, address: &str, window: Duration) -> Result<()> {
        let cutoff = at(window, false);
        self.db.execute(
            "INSERT INTO login_failure (address, failures, since) VALUES (?1, 1, ?2)
             ON CONFLICT (address) DO UPDATE SET
                 failures = CASE WHEN login_failure.since < ?3 THEN 1
                                 ELSE login_failure.failures + 1 END,
                 since = CASE WHEN login_failure.since < ?3 THEN excluded.since
                              ELSE login_failure.since END",
            params![address, &utc_now(), &cutoff],
        )?;
        self.db.execute(
            "DELETE FROM login_failure WHERE since < ?1",
            params![&cutoff],
        )?;
        Ok(())
    }

    /// Takes or renews the lease `name` for `holder` until `ttl` from now: `true` when
    /// `holder` holds it now, `false` when another holder's lease has not expired.
    pub fn take_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        let n = self.db.execute(
            "INSERT INTO lease (name, holder, expires) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
             WHERE lease.holder = excluded.holder OR lease.expires < ?4",
            params![name, holder, &at(ttl, true), &utc_now()],
        )?;
        Ok(n == 1)
    }

    /// Gives the lease `name` up, if `holder` holds it.
    pub fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        self.db.execute(
            "DELETE FROM lease WHERE name = ?1 AND holder = ?2",
            params![name, holder],
        )?;
        Ok(())
    }
}

/// An OpenID Connect login under way at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcFlow {
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where to go after login.
    pub next: String,
}

impl Store {
    /// Keeps a login under way by the SHA-256 of its state, when fewer than `max` started
    /// within `lifetime` (those older are forgotten first); `false` when there are too many.
    pub fn start_oidc_flow(
        &self,
        state_sha256: &str,
        flow: &OidcFlow,
        lifetime: Duration,
        max: usize,
    ) -> Result<bool> {
        self.db.execute(
            "DELETE FROM oidc_flow WHERE started < ?1",
            params![&at(lifetime, false)],
        )?;
        let n: i64 = self
            .db
            .query_one("SELECT COUNT(*) FROM oidc_flow", params![], |r| r.get(0))?;
        if usize::try_from(n).unwrap_or(usize::MAX) >= max {
            return Ok(false);
        }
        self.db.execute(
            "INSERT INTO oidc_flow (state_sha256, nonce, pkce_verifier, next, started)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                state_sha256,
                &flow.nonce,
                &flow.pkce_verifier,
                &flow.next,
                &utc_now()
            ],
        )?;
        Ok(true)
    }

    /// The login under way of this state, taken out (a state is good once), when it started
    /// within `lifetime`.
    pub fn take_oidc_flow(
        &self,
        state_sha256: &str,
        lifetime: Duration,
    ) -> Result<Option<OidcFlow>> {
        let found = self.db.query_row(
            "DELETE FROM oidc_flow WHERE state_sha256 = ?1
             RETURNING nonce, pkce_verifier, next, started",
            params![state_sha256],
            |r| {
                let started: String = r.get(3)?;
                Ok((
                    OidcFlow {
                        nonce: r.get(0)?,
                        pkce_verifier: r.get(1)?,
                        next: r.get(2)?,
                    },
                    started,
                ))
            },
        )?;
        let oldest = at(lifetime, false);
        Ok(found.and_then(|(f, started)| (started >= oldest).then_some(f)))
    }
}

#[cfg(test)]
mod tests {
    use crate::db::params;
    use crate::testing::on_both;
    use std::time::Duration;

    const WINDOW: Duration = Duration::from_secs(900);

    on_both! {
        fn failures_are_counted_per_address_within_their_window(s: &mut Store) {
            assert_eq!(s.address_failures("10.0.0.1", WINDOW).unwrap(), 0);
            for _ in 0..3 {
                s.address_failed("10.0.0.1", WINDOW).unwrap();
            }
            s.address_failed("10.0.0.2", WINDOW).unwrap();
            assert_eq!(s.address_failures("10.0.0.1", WINDOW).unwrap(), 3);
            assert_eq!(s.address_failures("10.0.0.2", WINDOW).unwrap(), 1);
            // A window that has passed counts nothing, starts over, and others' are forgotten.
            s.db.execute(
                "UPDATE login_failure SET since = '2000-01-01T00:00:00Z'",
                params![],
            )
            .unwrap();
            assert_eq!(s.address_failures("10.0.0.1", WINDOW).unwrap(), 0);
            s.address_failed("10.0.0.1", WINDOW).unwrap();
            assert_eq!(s.address_failures("10.0.0.1", WINDOW).unwrap(), 1);
            let rows: i64 = s
                .db
                .query_one("SELECT COUNT(*) FROM login_failure", params![], |r| r.get(0))
                .unwrap();
            assert_eq!(rows, 1, "10.0.0.2's passed window is forgotten");
        }
    }

    on_both! {
        fn a_lease_has_one_holder_until_it_expires_or_is_released(s: &mut Store) {
            let ttl = Duration::from_secs(60);
            assert!(s.take_lease("scheduler", "a", ttl).unwrap());
            assert!(s.take_lease("scheduler", "a", ttl).unwrap(), "renewed by its holder");
            assert!(!s.take_lease("scheduler", "b", ttl).unwrap());
            assert!(s.take_lease("other", "b", ttl).unwrap(), "leases are per name");
            // a dies: its lease expires and b takes it.
            s.db.execute(
                "UPDATE lease SET expires = '2000-01-01T00:00:00Z' WHERE name = 'scheduler'",
                params![],
            )
            .unwrap();
            assert!(s.take_lease("scheduler", "b", ttl).unwrap());
            assert!(!s.take_lease("scheduler", "a", ttl).unwrap());
            s.release_lease("scheduler", "a").unwrap();
            assert!(!s.take_lease("scheduler", "a", ttl).unwrap(), "only its holder releases it");
            s.release_lease("scheduler", "b").unwrap();
            assert!(s.take_lease("scheduler", "a", ttl).unwrap());
        }
    }

    on_both! {
        fn an_oidc_flow_is_bounded_good_once_and_expires(s: &mut Store) {
            let flow = crate::OidcFlow {
                nonce: "n".into(),
                pkce_verifier: "v".into(),
                next: "/admin".into(),
            };
            let life = Duration::from_secs(600);
            assert!(s.start_oidc_flow("a", &flow, life, 2).unwrap());
            assert!(s.start_oidc_flow("b", &flow, life, 2).unwrap());
            assert!(!s.start_oidc_flow("c", &flow, life, 2).unwrap(), "at most 2");
            assert_eq!(s.take_oidc_flow("a", life).unwrap(), Some(flow.clone()));
            assert_eq!(s.take_oidc_flow("a", life).unwrap(), None, "a state is good once");
            s.db.execute("UPDATE oidc_flow SET started = '2000-01-01T00:00:00Z'", params![])
                .unwrap();
            assert_eq!(s.take_oidc_flow("b", life).unwrap(), None, "an expired flow is refused");
            assert!(s.start_oidc_flow("c", &flow, life, 2).unwrap());
        }
    }
}
