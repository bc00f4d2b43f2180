//! Access groups (toegangsgroepen): their definitions, and the revision a server polls to
//! notice a change without a new publication.

use crate::db::{Db, Row, params};
use crate::{Result, Store, StoreError, utc_now};
use peil_core::{AccessGroup, Period};

const COLUMNS: &str =
    "name, description, indicators, themes, sources, levels, dim_levels, period_from, period_to";

fn list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// A stored value that does not read back is an error, never a wider grant.
fn bad(col: usize, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("access group, column {col}: {e}"))
}

fn group_row(r: &Row<'_>) -> Result<AccessGroup> {
    let list = |col: usize| -> Result<Vec<String>> {
        serde_json::from_str(&r.get::<String>(col)?).map_err(|e| bad(col, e))
    };
    let period = |col: usize| -> Result<Option<Period>> {
        r.get::<Option<String>>(col)?
            .map(|p| Period::parse(&p).map_err(|e| bad(col, e)))
            .transpose()
    };
    let periods = match (period(7)?, period(8)?) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    Ok(AccessGroup {
        name: r.get(0)?,
        description: r.get(1)?,
        indicators: list(2)?,
        themes: list(3)?,
        sources: list(4)?,
        levels: list(5)?,
        dim_levels: list(6)?,
        periods,
    })
}

impl Store {
    /// Adds a group or replaces the one of that name; `true` when it is new.
    pub fn put_access_group(&self, g: &AccessGroup) -> Result<bool> {
        let tx = self.db.begin(true)?;
        let existed = tx.query_one(
            "SELECT count(*) FROM access_group WHERE name = ?1",
            params![&g.name],
            |r| r.get::<i64>(0),
        )? > 0;
        let (from, to) = (g.periods.map(|p| p.0.code()), g.periods.map(|p| p.1.code()));
        tx.execute(
            &format!(
                "INSERT INTO access_group ({COLUMNS}, changed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (name) DO UPDATE SET description = excluded.description,
                 indicators = excluded.indicators, themes = excluded.themes,
                 sources = excluded.sources, levels = excluded.levels,
                 dim_levels = excluded.dim_levels, period_from = excluded.period_from,
                 period_to = excluded.period_to, changed = excluded.changed"
            ),
            params![
                &g.name,
                &g.description,
                &list(&g.indicators),
                &list(&g.themes),
                &list(&g.sources),
                &list(&g.levels),
                &list(&g.dim_levels),
                &from,
                &to,
                &utc_now(),
            ],
        )?;
        bump_revision(&tx)?;
        tx.commit()?;
        Ok(!existed)
    }

    /// Every defined group, by name.
    pub fn access_groups(&self) -> Result<Vec<AccessGroup>> {
        self.db.query(
            &format!("SELECT {COLUMNS} FROM access_group ORDER BY name"),
            params![],
            group_row,
        )
    }

    pub fn access_group(&self, name: &str) -> Result<Option<AccessGroup>> {
        self.db.query_row(
            &format!("SELECT {COLUMNS} FROM access_group WHERE name = ?1"),
            params![name],
            group_row,
        )
    }

    /// Removes a group; `false` when there was none of that name.
    pub fn remove_access_group(&self, name: &str) -> Result<bool> {
        let tx = self.db.begin(true)?;
        let n = tx.execute("DELETE FROM access_group WHERE name = ?1", params![name])?;
        if n > 0 {
            bump_revision(&tx)?;
        }
        tx.commit()?;
        Ok(n > 0)
    }

    /// Counts changes to access groups: a server whose snapshot was compiled at another
    /// revision loads its groups again.
    pub fn access_revision(&self) -> Result<u64> {
        let v: Option<String> = self.db.query_row(
            "SELECT value FROM site_meta WHERE key = 'access_revision'",
            params![],
            |r| r.get(0),
        )?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }
}

impl Store {
    /// Counts changes to the test copy (imports, undos, theme-tree edits; kept by triggers):
    /// a preview of the test copy built at another revision is built again.
    pub fn test_revision(&self) -> Result<u64> {
        let v: Option<String> = self.db.query_row(
            "SELECT value FROM site_meta WHERE key = 'test_revision'",
            params![],
            |r| r.get(0),
        )?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }
}

fn bump_revision(tx: &Db) -> Result<usize> {
    // Servers on a PostgreSQL store reload at commit; on SQLite they poll.
    tx.announce("access")?;
    tx.execute(
        "INSERT INTO site_meta (key, value) VALUES ('access_revision', '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(site_meta.value AS INTEGER) + 1 AS TEXT)",
        params![],
    )
}

/// Groups the server itself gives a meaning (report jobs, uploads): always valid on a key or
/// a user.
pub const SERVER_GROUPS: [&str; 3] = ["admin", "reports", "upload"];

impl Store {
    /// Why these group names would be refused on a key or a user, once groups are defined: a
    /// name must be defined, named by an indicator's visibility (`restricted:…`), the guest
    /// group or one of [`SERVER_GROUPS`]. `None` when all are known; without any definition
    /// every name is taken, as before groups existed. The one check the CLI and the back
    /// office make.
    pub fn unknown_group(&self, groups: &[String]) -> Result<Option<String>> {
        let defined = self.access_groups()?;
        if defined.is_empty() {
            return Ok(None);
        }
        let indicators = self.indicators()?;
        let named = |g: &str| {
            indicators.iter().any(|i| match &i.visibility {
                peil_core::Visibility::Restricted(v) => v.iter().any(|x| x == g),
                peil_core::Visibility::Public => false,
            })
        };
        for g in groups.iter().map(|g| g.trim()).filter(|g| !g.is_empty()) {
            let known = defined.iter().any(|d| d.name == g)
                || SERVER_GROUPS.contains(&g)
                || g == peil_core::GUEST
                || named(g);
            if !known {
                let names: Vec<&str> = defined.iter().map(|d| d.name.as_str()).collect();
                return Ok(Some(format!(
                    "unknown access group '{}': expected one of the defined groups ({}), a group an indicator's visibility names, or a server group ({}); define it with `peil groups add`",
                    peil_core::shown(g),
                    names.join(", "),
                    SERVER_GROUPS.join(", ")
                )));
            }
        }
        Ok(None)
    }
}

impl Store {
    /// Refuses a group naming geo levels, dimension levels, themes or indicators the store
    /// does not know: a misspelt level would otherwise grant nothing, silently. The one check
    /// `peil groups add` and the back office's group form make before [`Store::put_access_group`].
    pub fn check_group_codes(&self, g: &AccessGroup) -> Result<()> {
        let catalog = self.catalog()?;
        let themes: Vec<String> = self.themes()?.into_iter().map(|t| t.code).collect();
        let unknown = |what: &str, asked: &[String], known: Vec<&String>| -> Result<()> {
            if let Some(bad) = asked.iter().find(|c| !known.contains(c)) {
                let mut known: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
                known.sort_unstable();
                let shown: Vec<&str> = known.iter().take(20).copied().collect();
                return Err(crate::StoreError::Invalid(format!(
                    "unknown {what} '{}': expected one of {}{}",
                    peil_core::shown(bad),
                    shown.join(", "),
                    if known.len() > 20 { ", …" } else { "" }
                )));
            }
            Ok(())
        };
        unknown("geo level", &g.levels, catalog.levels.keys().collect())?;
        unknown(
            "dimension level",
            &g.dim_levels,
            catalog.dim_members.keys().collect(),
        )?;
        unknown("theme", &g.themes, themes.iter().collect())?;
        unknown(
            "indicator",
            &g.indicators,
            catalog.indicators.keys().collect(),
        )
    }

    /// Who uses a group: the active users (logins) and unrevoked API keys (`#id name`) that
    /// name it. The one rule the back office's group page and the removal check read.
    pub fn group_members(&self, name: &str) -> Result<(Vec<String>, Vec<String>)> {
        let users = self
            .users()?
            .into_iter()
            .filter(|u| !u.disabled && u.groups.iter().any(|g| g == name))
            .map(|u| u.login)
            .collect();
        let keys = self
            .api_keys()?
            .into_iter()
            .filter(|k| k.revoked.is_none() && k.groups.iter().any(|g| g == name))
            .map(|k| format!("#{} {}", k.id, k.name))
            .collect();
        Ok((users, keys))
    }

    /// Removes a group that no active user and no unrevoked API key still names; otherwise
    /// refuses, naming them. `false` when there was no group of that name.
    pub fn remove_unused_access_group(&self, name: &str) -> Result<bool> {
        let (users, keys) = self.group_members(name)?;
        if !keys.is_empty() {
            return Err(crate::StoreError::Invalid(format!(
                "group '{}' is still used by API key(s) {}: revoke them first",
                peil_core::shown(name),
                keys.join(", ")
            )));
        }
        if !users.is_empty() {
            return Err(crate::StoreError::Invalid(format!(
                "group '{}' is still used by user(s) {}: take it from them first or disable them",
                peil_core::shown(name),
                users.join(", ")
            )));
        }
        self.remove_access_group(name)
    }
}

impl Store {
    /// [`Store::unknown_group`] as a refusal: what `add_user`, `update_user` and
    /// `add_api_key` check before they write, so no route gives a reader a group that means
    /// nothing.
    pub(crate) fn known_groups(&self, groups: &[String]) -> Result<()> {
        match self.unknown_group(groups)? {
            Some(why) => Err(crate::StoreError::Invalid(why)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::on_both;

    on_both! {
        fn groups_round_trip_and_bump_the_revision(s: &mut Store) {
            assert_eq!(s.access_revision().unwrap(), 0);
            let g = AccessGroup {
                name: "wijkteam".into(),
                description: "Wijkwerkers".into(),
                indicators: vec!["a".into()],
                levels: vec!["wijk".into()],
                periods: Some((Period::year(2020), Period::year(2022))),
                ..Default::default()
            };
            assert!(s.put_access_group(&g).unwrap());
            assert!(!s.put_access_group(&g).unwrap());
            assert_eq!(s.access_group("wijkteam").unwrap(), Some(g.clone()));
            assert_eq!(s.access_groups().unwrap(), vec![g]);
            assert_eq!(s.access_revision().unwrap(), 2);
            assert!(s.remove_access_group("wijkteam").unwrap());
            assert!(!s.remove_access_group("wijkteam").unwrap());
            assert_eq!(s.access_revision().unwrap(), 3);
            assert!(s.access_groups().unwrap().is_empty());
        }
    }
}
