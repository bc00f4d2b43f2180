//! The versions of the site's files that the back office edits (stories, dashboards and
//! `peil.toml`): every save keeps the text with who saved it and when, so an old version can be
//! read, compared and restored. A restore is itself a new version naming the one it restored.
//! The files themselves live in the site directory; this is their history only.

use crate::db::{Row, params};
use crate::{Result, Store, utc_now};

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

fn version(r: &Row<'_>) -> Result<ContentVersion> {
    Ok(ContentVersion {
        id: r.get(0)?,
        path: r.get(1)?,
        at: r.get(2)?,
        who: r.get(3)?,
        action: r.get(4)?,
        restored_from: r.get(5)?,
        text: r.get(6)?,
    })
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
        self.db.insert(
            "INSERT INTO content_version (path, at, who, action, restored_from, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![path, &utc_now(), who, action, restored_from, text],
        )
    }

    /// The versions of `path`, newest first, without their texts.
    pub fn content_versions(&self, path: &str) -> Result<Vec<ContentVersion>> {
        self.db.query(
            "SELECT id, path, at, who, action, restored_from, '' FROM content_version
             WHERE path = ?1 ORDER BY id DESC",
            params![path],
            version,
        )
    }

    /// One version with its text.
    pub fn content_version(&self, id: i64) -> Result<Option<ContentVersion>> {
        self.db.query_row(
            "SELECT id, path, at, who, action, restored_from, text FROM content_version
             WHERE id = ?1",
            params![id],
            version,
        )
    }

    /// The text of the newest version of `path`, if any.
    pub fn latest_content(&self, path: &str) -> Result<Option<String>> {
        self.db.query_row(
            "SELECT text FROM content_version WHERE path = ?1 ORDER BY id DESC LIMIT 1",
            params![path],
            |r| r.get(0),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::on_both;

    on_both! {
        fn versions_are_kept_newest_first_with_their_texts(s: &mut Store) {
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
}
