//! API keys: only their SHA-256 is stored; each active key makes a reader with its name and
//! access groups.

use crate::{Result, Store, utc_now};
use rusqlite::params;
use std::collections::HashMap;

/// An API key as `peil keys list` shows it (never the key itself: only its hash is stored).
#[derive(Debug, Clone)]
pub struct ApiKeyEntry {
    pub id: i64,
    pub name: String,
    pub groups: Vec<String>,
    pub created: String,
    /// When it was revoked; `None` while it is valid.
    pub revoked: Option<String>,
}

impl Store {
    /// Stores a new API key (its SHA-256 only: the key itself is shown once, never stored).
    pub fn add_api_key(&self, name: &str, sha256: &str, groups: &[String]) -> Result<i64> {
        self.known_groups(groups)?;
        self.conn()
            .execute(
                "INSERT INTO api_key (name, sha256, groups, created) VALUES (?1, ?2, ?3, ?4)",
                params![name, sha256, groups.join(","), utc_now()],
            )
            .map_err(self.e())?;
        Ok(self.conn().last_insert_rowid())
    }

    /// All keys, in the order they were made.
    pub fn api_keys(&self) -> Result<Vec<ApiKeyEntry>> {
        self.rows(
            "SELECT id, name, groups, created, revoked FROM api_key ORDER BY id",
            [],
            |r| {
                let groups: String = r.get(2)?;
                Ok(ApiKeyEntry {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    groups: groups
                        .split(',')
                        .filter(|g| !g.is_empty())
                        .map(str::to_string)
                        .collect(),
                    created: r.get(3)?,
                    revoked: r.get(4)?,
                })
            },
        )
    }

    /// The active keys: SHA-256 of the key → the reader it makes (its name and access groups).
    pub fn api_key_readers(&self) -> Result<HashMap<String, peil_core::Reader>> {
        Ok(self
            .rows(
                "SELECT sha256, name, groups FROM api_key WHERE revoked IS NULL",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )?
            .into_iter()
            .map(|(h, name, g)| {
                let groups = g.split(',').map(str::to_string);
                (h, peil_core::Reader::key(name, groups))
            })
            .collect())
    }

    /// Revokes a key by id; `false` when there is no such active key.
    pub fn revoke_api_key(&self, id: i64) -> Result<bool> {
        let n = self
            .conn()
            .execute(
                "UPDATE api_key SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
                params![id, utc_now()],
            )
            .map_err(self.e())?;
        Ok(n == 1)
    }
}

/// The stored form of an API key: its SHA-256 as hex. Keys are 256 random bits, so a fast hash
/// is enough (a slow password hash protects guessable secrets, which these are not).
pub fn hash_key(key: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(key.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new random API key (`peil_` + 64 hex characters) from the operating system's generator.
pub fn new_key() -> std::io::Result<String> {
    Ok(format!("peil_{}", crate::random_hex(32)))
}
