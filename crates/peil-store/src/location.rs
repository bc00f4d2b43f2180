//! Where a site's store is: a SQLite file, or a schema of a PostgreSQL database.
//!
//! A PostgreSQL location is built from a `postgres://` URL without a password (the password
//! comes apart, from the environment or a file, see `peil.toml`'s `store_password_file`) and a
//! schema name; several sites share one database, each in its own schema. Nothing here prints
//! the password: [`Location`]'s `Display` and `Debug` show [`Location::label`].

use crate::{Result, StoreError};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a site's store is.
#[derive(Clone)]
pub enum Location {
    /// A SQLite file (the default: `peil.sqlite` in the site directory).
    Sqlite(PathBuf),
    /// A schema of a PostgreSQL database.
    Postgres(Box<PgLocation>),
}

/// A schema of a PostgreSQL database, with how to connect to it.
#[derive(Clone)]
pub struct PgLocation {
    pub(crate) config: postgres::Config,
    pub(crate) schema: String,
}

/// Whether a `store` setting names a PostgreSQL database.
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

impl PgLocation {
    /// A location from a `postgres://user@host:port/database` URL (a unix socket's directory
    /// percent-encoded as the host: `postgres://peil@%2Frun%2Fpostgresql/stats`), the site's
    /// schema and the password kept apart. A URL that holds a password is refused: it would
    /// end up in a file that is copied, versioned and shown in the back office.
    pub fn new(url: &str, schema: &str, password: Option<&[u8]>) -> Result<PgLocation> {
        if !is_postgres_url(url) {
            return Err(StoreError::Invalid(
                "a PostgreSQL store is a URL starting with postgres://".into(),
            ));
        }
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            // The parser's message does not repeat the URL (which might hold a password).
            StoreError::Invalid(format!("the PostgreSQL URL of the store is not valid: {e}"))
        })?;
        if config.get_password().is_some() {
            return Err(StoreError::Invalid(
                "the PostgreSQL URL of the store holds a password; leave it out and give it in \
                 the environment variable PEIL_STORE_PASSWORD or in a file named by \
                 store_password_file"
                    .into(),
            ));
        }
        if config.get_hosts().is_empty() {
            return Err(StoreError::Invalid(
                "the PostgreSQL URL of the store names no host (postgres://user@host/database)"
                    .into(),
            ));
        }
        if config.get_dbname().is_none() {
            return Err(StoreError::Invalid(
                "the PostgreSQL URL of the store names no database (postgres://user@host/database)"
                    .into(),
            ));
        }
        if config.get_ssl_mode() == postgres::config::SslMode::Require {
            return Err(StoreError::Invalid(
                "the PostgreSQL URL of the store asks for TLS (sslmode=require), which Peil does \
                 not speak yet: connect over a unix socket or a trusted network"
                    .into(),
            ));
        }
        crate::db::check_schema_name(schema)?;
        if let Some(p) = password {
            config.password(p);
        }
        if config.get_application_name().is_none() {
            config.application_name("peil");
        }
        Ok(PgLocation {
            config,
            schema: schema.to_string(),
        })
    }

    /// The site's schema.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The same database, another schema (another site).
    pub fn with_schema(&self, schema: &str) -> Result<PgLocation> {
        crate::db::check_schema_name(schema)?;
        Ok(PgLocation {
            config: self.config.clone(),
            schema: schema.to_string(),
        })
    }

    /// The location without its password: `postgres://user@host:port/database, schema s`.
    pub fn label(&self) -> String {
        use postgres::config::Host;
        let c = &self.config;
        let ports = c.get_ports();
        let hosts: Vec<String> = c
            .get_hosts()
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let host = match h {
                    Host::Tcp(name) => name.clone(),
                    Host::Unix(dir) => dir.display().to_string(),
                };
                match ports.get(i).or(ports.first()) {
                    Some(p) => format!("{host}:{p}"),
                    None => host,
                }
            })
            .collect();
        let user = c.get_user().map(|u| format!("{u}@")).unwrap_or_default();
        format!(
            "postgres://{user}{}/{}, schema {}",
            hosts.join(","),
            c.get_dbname().unwrap_or(""),
            self.schema
        )
    }
}

impl Location {
    /// What messages name: the file, or the database and schema (never a password).
    pub fn label(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(pg) => pg.label(),
        }
    }

    /// The SQLite file, if the store is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(p) => Some(p),
            Location::Postgres(_) => None,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Location::Postgres(_))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({})", self.label())
    }
}

impl fmt::Debug for PgLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgLocation({})", self.label())
    }
}

impl From<&Path> for Location {
    fn from(p: &Path) -> Location {
        Location::Sqlite(p.to_path_buf())
    }
}

impl From<PathBuf> for Location {
    fn from(p: PathBuf) -> Location {
        Location::Sqlite(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_with_a_password_are_refused_and_labels_never_show_one() {
        let e = PgLocation::new("postgres://peil:geheim@db.example/stats", "gent", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("PEIL_STORE_PASSWORD"), "{e}");
        assert!(!e.contains("geheim"), "{e}");
        let at = PgLocation::new(
            "postgres://peil@db.example:6432/stats",
            "gent",
            Some(b"geheim"),
        )
        .unwrap();
        assert_eq!(
            at.label(),
            "postgres://peil@db.example:6432/stats, schema gent"
        );
        let shown = format!(
            "{:?} {}",
            Location::Postgres(Box::new(at.clone())),
            Location::Postgres(Box::new(at))
        );
        assert!(!shown.contains("geheim"), "{shown}");
    }

    #[test]
    fn a_socket_directory_is_a_host() {
        let at =
            PgLocation::new("postgres://peil@%2Frun%2Fpostgresql/stats", "site_1", None).unwrap();
        assert_eq!(
            at.label(),
            "postgres://peil@/run/postgresql:5432/stats, schema site_1"
        );
    }

    #[test]
    fn bad_urls_and_schemas_are_refused() {
        for (url, schema) in [
            ("mysql://x@h/d", "s"),
            ("postgres://x@h/d", "Gent"),
            ("postgres://x@h/d", "a;b"),
            ("postgres://x@h", "s"),
            ("postgres://x@h/d?sslmode=bogus", "s"),
            ("postgres://x@h/d?sslmode=require", "s"),
        ] {
            assert!(
                PgLocation::new(url, schema, None).is_err(),
                "{url} {schema}"
            );
        }
    }
}
