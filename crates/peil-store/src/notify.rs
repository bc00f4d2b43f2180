//! Announcing a change of what servers answer from (issue 16, serving replicas): on
//! PostgreSQL a publication, a rollback and a change of access groups send `NOTIFY` on the
//! site's channel inside their transaction, so it is delivered at commit and only if they
//! commit; every `peil serve` on that store holds one [`Listener`] and reloads when told. A
//! SQLite store has no listener: its servers poll.

use crate::db::{Db, Dialect};
use crate::location::Location;
use crate::{Result, StoreError};
use postgres::fallible_iterator::FallibleIterator;
use std::time::Duration;

/// The channel a site's changes are announced on: one per schema (several sites share a
/// database). A schema name is at most 63 characters of `[a-z0-9_]`, so the channel is too
/// once the prefix is counted against PostgreSQL's 63-byte identifiers: the tail is kept.
pub(crate) fn channel(schema: &str) -> String {
    let name = format!("peil_{schema}");
    let cut = name.len().saturating_sub(63);
    // Every character is ASCII, so any byte offset is a character boundary.
    name[cut..].to_string()
}

impl Db {
    /// Tells every listener of this site, at commit of the transaction this runs in, that
    /// `what` changed. Nothing on SQLite.
    pub(crate) fn announce(&self, what: &str) -> Result<()> {
        if self.dialect() != Dialect::Postgres {
            return Ok(());
        }
        let Some(schema) = self.schema() else {
            return Ok(());
        };
        self.execute(
            "SELECT pg_notify(?1, ?2)",
            crate::db::params![&channel(&schema), what],
        )?;
        Ok(())
    }
}

/// One connection listening on a site's channel.
pub struct Listener {
    client: postgres::Client,
    label: String,
}

/// What [`Listener::wait`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A change was announced (its payload: `publication <generation>` or `access`).
    Change(String),
    /// Nothing within the time given.
    Nothing,
}

/// The `application_name` of a connection listening for the site in `schema` (what
/// `pg_stat_activity` shows; PostgreSQL keeps 63 bytes of it).
pub fn listener_name(schema: &str) -> String {
    format!("peil listen {schema}")
}

impl crate::Store {
    /// How many servers serve this site now: on PostgreSQL the connections listening for it
    /// (each `peil serve` holds one, named by [`listener_name`]; at least 1, this one, which
    /// may be reconnecting), on SQLite 1 (its servers are the processes of one machine). A
    /// replica divides the site's `rate_limit` by it.
    pub fn serving_replicas(&self) -> crate::Result<u32> {
        let Some(schema) = self.db.schema() else {
            return Ok(1);
        };
        let n: i64 = self.db.query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?1",
            crate::db::params![&listener_name(&schema)],
            |r| r.get(0),
        )?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX).max(1))
    }
}

impl Listener {
    /// Listens on the channel of the store at `at`; `None` for a SQLite store, which has no
    /// announcements.
    pub fn connect(at: &Location) -> Result<Option<Listener>> {
        let Location::Postgres(pg) = at else {
            return Ok(None);
        };
        crate::db::check_schema_name(&pg.schema)?;
        let label = format!("PostgreSQL schema {} (listening)", pg.schema);
        let e = |source| StoreError::Postgres {
            at: label.clone(),
            source,
        };
        let mut config = pg.config.clone();
        config.application_name(&listener_name(&pg.schema));
        let mut client = config.connect(postgres::NoTls).map_err(e)?;
        client
            .batch_execute(&format!("LISTEN \"{}\"", channel(&pg.schema)))
            .map_err(e)?;
        Ok(Some(Listener { client, label }))
    }

    /// Waits up to `timeout` for an announcement. An error means the connection is lost: make
    /// a new listener (and look for what was missed meanwhile).
    pub fn wait(&mut self, timeout: Duration) -> Result<Heard> {
        let label = &self.label;
        let heard = self.client.notifications().timeout_iter(timeout).next();
        match heard {
            Ok(Some(note)) => Ok(Heard::Change(note.payload().to_string())),
            Ok(None) if self.client.is_closed() => Err(StoreError::Invalid(format!(
                "{label}: the connection was closed"
            ))),
            Ok(None) => Ok(Heard::Nothing),
            Err(source) => Err(StoreError::Postgres {
                at: label.clone(),
                source,
            }),
        }
    }
}
