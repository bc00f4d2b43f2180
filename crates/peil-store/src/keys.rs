//! API keys: only their SHA-256 is stored; each active key makes a reader with its name and
//! access groups.

use crate::db::params;
use crate::{Result, Store, utc_now};
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
        let id = self.db.insert(
            "INSERT INTO api_key (name, sha256, groups, created) VALUES (?1, ?2, ?3, ?4)",
            params![name, sha256, &groups.join(","), &utc_now()],
        )?;
        // After the insert has committed: a server that hears it finds the key.
        self.db.announce("keys")?;
        Ok(id)
    }

    /// All keys, in the order they were made.
    pub fn api_keys(&self) -> Result<Vec<ApiKeyEntry>> {
        self.db.query(
            "SELECT id, name, groups, created, revoked FROM api_key ORDER BY id",
            params![],
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
            .db
            .query(
                "SELECT sha256, name, groups FROM api_key WHERE revoked IS NULL",
                params![],
                |r| {
                    Ok((
                        r.get::<String>(0)?,
                        r.get::<String>(1)?,
                        r.get::<String>(2)?,
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
        let n = self.db.execute(
            "UPDATE api_key SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
            params![id, &utc_now()],
        )?;
        self.db.announce("keys")?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::on_both;

    on_both! {
        fn keys_are_stored_hashed_listed_and_revoked(s: &mut Store) {
            let (k1, k2) = (new_key().unwrap(), new_key().unwrap());
            assert!(k1.starts_with("peil_") && k1.len() == 69 && k1 != k2);
            let groups = vec!["reports".to_string(), "wijkteam".to_string()];
            let a = s.add_api_key("dashboard", &hash_key(&k1), &groups).unwrap();
            let b = s.add_api_key("etl", &hash_key(&k2), &[]).unwrap();
            assert!(b > a);
            let list = s.api_keys().unwrap();
            assert_eq!(list.iter().map(|k| k.id).collect::<Vec<_>>(), [a, b]);
            assert_eq!(list[0].groups, groups);
            assert!(list[1].groups.is_empty() && list[1].revoked.is_none());
            let readers = s.api_key_readers().unwrap();
            assert_eq!(readers.len(), 2);
            assert_eq!(readers[&hash_key(&format!(" {k1}\n"))], peil_core::Reader::key("dashboard", groups.iter().cloned()));
            assert!(s.revoke_api_key(a).unwrap());
            assert!(!s.revoke_api_key(a).unwrap(), "revoked once");
            assert!(!s.revoke_api_key(b + 100).unwrap());
            let readers = s.api_key_readers().unwrap();
            assert_eq!(readers.keys().collect::<Vec<_>>(), [&hash_key(&k2)]);
            assert!(s.api_keys().unwrap()[0].revoked.is_some());
        }
    }
}
