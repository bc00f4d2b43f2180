//! The versions of the site's files that the back office edits (stories, dashboards and
//! `peil.toml`): every save keeps the text with who saved it and when, so an old version can be
//! read, compared and restored. A restore is itself a new version naming the one it restored.
//! The files themselves live in the site directory; this is their history only.

use crate::{Result, Store, utc_now};
use rusqlite::{OptionalExtension, params};

/// One kept version of a site file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ContentVersion {
    pub id: i64,
    /// The file, relative to the site directory (`stories/buurt.md`, `peil.toml`).
    pub path: String,
    /// When it was saved (ISO 8601, UTC).
    pub at: String,
    pub who: String,
    /// `save`, `restore`, or `found` (the file as it was before its first save here).
    pub action: String,
    /// The version a restore brought back.
    pub restored_from: Option<i64>,
    /// The text (empty in lists: see [`Store::content_version`]).
    pub text: String,
}

impl Store {
    /// Keeps a version of `path`: its `text` as `who` saved (`action` save or restore) it.
    pub fn add_content_version(
        &self,
        path: &str,
        who: &str,
        action: &str,
        restored_from: Option<i64>,
        text: &str,
    ) -> Result<i64> {
        self.conn()
            .execute(
                "INSERT INTO content_version (path, at, who, action, restored_from, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![path, utc_now(), who, action, restored_from, text],
            )
            .map_err(self.e())?;
        Ok(self.conn().last_insert_rowid())
    }

    /// The versions of `path`, newest first, without their texts.
    pub fn content_versions(&self, path: &str) -> Result<Vec<ContentVersion>> {
        self.rows(
            "SELECT id, path, at, who, action, restored_from FROM content_version
             WHERE path = ?1 ORDER BY id DESC",
            [path],
            |r| {
                Ok(ContentVersion {
                    id: r.get(0)?,
                    path: r.get(1)?,
                    at: r.get(2)?,
                    who: r.get(3)?,
                    action: r.get(4)?,
                    restored_from: r.get(5)?,
                    text: String::new(),
                })
            },
        )
    }

    /// One version with its text.
    pub fn content_version(&self, id: i64) -> Result<Option<ContentVersion>> {
        self.conn()
            .query_row(
                "SELECT id, path, at, who, action, restored_from, text FROM content_version
                 WHERE id = ?1",
                [id],
                |r| {
                    Ok(ContentVersion {
                        id: r.get(0)?,
                        path: r.get(1)?,
                        at: r.get(2)?,
                        who: r.get(3)?,
                        action: r.get(4)?,
                        restored_from: r.get(5)?,
                        text: r.get(6)?,
                    })
                },
            )
            .optional()
            .map_err(self.e())
    }

    /// The text of the newest version of `path`, if any.
    pub fn latest_content(&self, path: &str) -> Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT text FROM content_version WHERE path = ?1 ORDER BY id DESC LIMIT 1",
                [path],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.e())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_kept_newest_first_with_their_texts() {
        let d = tempfile::tempdir().unwrap();
        let s = Store::create(&d.path().join("s.sqlite")).unwrap();
        assert_eq!(s.latest_content("stories/a.md").unwrap(), None);
        let one = s
            .add_content_version("stories/a.md", "eva", "save", None, "one")
            .unwrap();
        s.add_content_version("stories/b.md", "eva", "save", None, "other")
            .unwrap();
        let two = s
            .add_content_version("stories/a.md", "bert", "restore", Some(one), "one again")
            .unwrap();
        let list = s.content_versions("stories/a.md").unwrap();
        assert_eq!(list.iter().map(|v| v.id).collect::<Vec<_>>(), [two, one]);
        assert_eq!(list[0].who, "bert");
        assert_eq!(list[0].restored_from, Some(one));
        assert!(list[0].text.is_empty(), "lists leave texts out");
        assert_eq!(s.content_version(one).unwrap().unwrap().text, "one");
        assert_eq!(
            s.latest_content("stories/a.md").unwrap().as_deref(),
            Some("one again")
        );
        assert!(s.content_version(999).unwrap().is_none());
    }
}
