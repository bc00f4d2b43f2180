//! Edits of the theme tree (themaboom) in the test copy, as the back office makes them: add,
//! rename, delete an empty theme, move a theme under another parent, order siblings, and place
//! an indicator in a theme (move, alias, remove an alias). Each edit is one transaction and
//! refuses, writing nothing, what would break the tree: an unknown code, a theme under itself
//! or its own descendant, a delete of a theme that still holds something. Readers see the edits
//! on the next publication, which keeps the tree it published (`Store::published_themes`).
//!
//! A theme has exactly one place (its parent): access groups grant a theme's *subtree* and a
//! theme page shows one trail of parents, both of which need one path. An indicator may be
//! listed in several themes (an alias), as Swing's tree allows.

use crate::db::{Db, params};
use crate::{Result, Store, StoreError, write};
use peil_core::LocalizedText;

/// An indicator and the themes it is listed in, for the tree's editor.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Placement {
    pub code: String,
    pub name: LocalizedText,
    /// Theme codes, in code order.
    pub themes: Vec<String>,
}

/// Why an edit failed: the store, or a refusal (nothing was written).
enum Edit {
    Store(StoreError),
    Refused(String),
}

impl From<StoreError> for Edit {
    fn from(e: StoreError) -> Edit {
        Edit::Store(e)
    }
}

fn refused(why: String) -> Edit {
    Edit::Refused(why)
}

type Step<T> = std::result::Result<T, Edit>;

/// The parent of theme `code`: `None` when there is no such theme, `Some(None)` at the top.
fn parent_of(tx: &Db, code: &str) -> Result<Option<Option<String>>> {
    tx.query_row(
        "SELECT parent FROM theme WHERE code = ?1",
        params![code],
        |r| r.get(0),
    )
}

fn known(tx: &Db, code: &str) -> Step<Option<String>> {
    parent_of(tx, code)?.ok_or_else(|| refused(format!("there is no theme '{code}'")))
}

/// The next sequence number among the children of `parent`.
fn next_seq(tx: &Db, parent: Option<&str>) -> Result<i64> {
    tx.query_one(
        "SELECT coalesce(max(seq), -1) + 1 FROM theme WHERE parent IS NOT DISTINCT FROM ?1",
        params![parent],
        |r| r.get(0),
    )
}

/// The id of indicator `code`.
fn indicator_id(tx: &Db, code: &str) -> Step<i64> {
    tx.query_row(
        "SELECT id FROM indicator WHERE code = ?1",
        params![code],
        |r| r.get(0),
    )?
    .ok_or_else(|| refused(format!("there is no indicator '{code}'")))
}

impl Store {
    /// Runs one edit of the tree in a transaction.
    fn edit_tree<T>(&mut self, f: impl FnOnce(&Db) -> Step<T>) -> Result<T> {
        let tx = self.db.begin(true)?;
        let out = f(&tx).map_err(|x| match x {
            Edit::Store(e) => e,
            Edit::Refused(why) => StoreError::Invalid(why),
        })?;
        tx.commit()?;
        Ok(out)
    }

    /// Every indicator with the themes it is listed in, by code.
    pub fn placements(&self) -> Result<Vec<Placement>> {
        let mut out: Vec<Placement> = Vec::new();
        let rows: Vec<(String, String, Option<String>)> = self.db.query(
            "SELECT i.code, i.name, t.theme_code FROM indicator i
             LEFT JOIN indicator_theme t ON t.indicator_id = i.id ORDER BY i.code, t.theme_code",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        for (code, name, theme) in rows {
            if out.last().is_none_or(|p| p.code != code) {
                out.push(Placement {
                    code,
                    name: write::text_from_json(&name),
                    themes: Vec::new(),
                });
            }
            if let (Some(t), Some(p)) = (theme, out.last_mut()) {
                p.themes.push(t);
            }
        }
        Ok(out)
    }

    /// Adds theme `code` named `name` (in `lang`) under `parent` (the top: `None`), last
    /// among its siblings.
    pub fn add_theme(
        &mut self,
        code: &str,
        parent: Option<&str>,
        lang: &str,
        name: &str,
    ) -> Result<()> {
        let (code, name) = (code.trim(), name.trim());
        if code.is_empty() || code.len() > 100 || code.chars().any(|c| c.is_control() || c == '/') {
            return Err(StoreError::Invalid(
                "a theme's code is 1 to 100 characters, without '/' or control characters".into(),
            ));
        }
        if name.is_empty() {
            return Err(StoreError::Invalid("a theme needs a name".into()));
        }
        self.edit_tree(|tx| {
            if parent_of(tx, code)?.is_some() {
                return Err(refused(format!("there is already a theme '{code}'")));
            }
            if let Some(p) = parent {
                known(tx, p)?;
            }
            let seq = next_seq(tx, parent)?;
            let text = write::text_to_json(&LocalizedText::default().with(lang, name));
            tx.execute(
                "INSERT INTO theme (code, parent, name, seq) VALUES (?1, ?2, ?3, ?4)",
                params![code, parent, &text, seq],
            )?;
            Ok(())
        })
    }

    /// Names theme `code` `name` in `lang` (its names in other languages stay).
    pub fn rename_theme(&mut self, code: &str, lang: &str, name: &str) -> Result<()> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("a theme needs a name".into()));
        }
        self.edit_tree(|tx| {
            known(tx, code)?;
            let old: String = tx.query_one(
                "SELECT name FROM theme WHERE code = ?1",
                params![code],
                |r| r.get(0),
            )?;
            let text = write::text_from_json(&old).with(lang, name);
            tx.execute(
                "UPDATE theme SET name = ?2 WHERE code = ?1",
                params![code, &write::text_to_json(&text)],
            )?;
            Ok(())
        })
    }

    /// Deletes theme `code`; refused while it holds themes or indicators.
    pub fn delete_theme(&mut self, code: &str) -> Result<()> {
        self.edit_tree(|tx| {
            known(tx, code)?;
            let (themes, indicators): (i64, i64) = tx.query_one(
                "SELECT (SELECT count(*) FROM theme WHERE parent = ?1),
                        (SELECT count(*) FROM indicator_theme WHERE theme_code = ?1)",
                params![code],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if themes + indicators > 0 {
                return Err(refused(format!(
                    "theme '{code}' is not empty ({themes} themes, {indicators} indicators): move them first"
                )));
            }
            tx.execute("DELETE FROM theme WHERE code = ?1", params![code])?;
            Ok(())
        })
    }

    /// Moves theme `code` (with everything beneath it) under `parent` (the top: `None`), last
    /// among its new siblings. Refused when `parent` is the theme itself or beneath it.
    pub fn move_theme(&mut self, code: &str, parent: Option<&str>) -> Result<()> {
        self.edit_tree(|tx| {
            let old = known(tx, code)?;
            if old.as_deref() == parent {
                return Ok(());
            }
            // Walk up from the new parent: meeting the theme itself would close a cycle.
            let mut at = parent.map(str::to_string);
            let mut steps = 0;
            while let Some(p) = at {
                if p == code {
                    return Err(refused(format!(
                        "theme '{code}' cannot move under '{}': that theme is '{code}' itself or lies beneath it",
                        parent.unwrap_or_default()
                    )));
                }
                at = known(tx, &p)?;
                steps += 1;
                if steps > 10_000 {
                    return Err(refused("the theme tree has a cycle already".into()));
                }
            }
            let seq = next_seq(tx, parent)?;
            tx.execute(
                "UPDATE theme SET parent = ?2, seq = ?3 WHERE code = ?1",
                params![code, parent, seq],
            )
            ?;
            Ok(())
        })
    }

    /// Moves theme `code` one place up (`up`) or down among its siblings; at the end it stays.
    pub fn order_theme(&mut self, code: &str, up: bool) -> Result<()> {
        self.edit_tree(|tx| {
            let parent = known(tx, code)?;
            let mut siblings: Vec<String> = tx.query(
                "SELECT code FROM theme WHERE parent IS NOT DISTINCT FROM ?1 ORDER BY seq, code",
                params![&parent],
                |r| r.get(0),
            )?;
            let Some(i) = siblings.iter().position(|s| s == code) else {
                return Ok(());
            };
            let j = if up { i.checked_sub(1) } else { Some(i + 1) };
            let Some(j) = j.filter(|&j| j < siblings.len()) else {
                return Ok(());
            };
            siblings.swap(i, j);
            // Number the siblings afresh, so ties in the imported sequence cannot hide a move.
            for (seq, s) in siblings.iter().enumerate() {
                tx.execute(
                    "UPDATE theme SET seq = ?2 WHERE code = ?1",
                    params![s, seq as i64],
                )?;
            }
            Ok(())
        })
    }

    /// Lists indicator `indicator` in theme `to`: instead of theme `from` when given (a move),
    /// else beside its other themes (an alias). Nothing changes when it is there already.
    pub fn place_indicator(&mut self, indicator: &str, from: Option<&str>, to: &str) -> Result<()> {
        self.edit_tree(|tx| {
            let id = indicator_id(tx, indicator)?;
            known(tx, to)?;
            if let Some(f) = from {
                let n = tx.execute(
                    "DELETE FROM indicator_theme WHERE indicator_id = ?1 AND theme_code = ?2",
                    params![id, f],
                )?;
                if n == 0 {
                    return Err(refused(format!(
                        "indicator '{indicator}' is not in theme '{f}'"
                    )));
                }
            }
            tx.execute(
                "INSERT OR IGNORE INTO indicator_theme (indicator_id, theme_code) VALUES (?1, ?2)",
                params![id, to],
            )?;
            Ok(())
        })
    }

    /// Takes indicator `indicator` out of theme `theme`; refused for its only theme (it would
    /// drop out of the tree: move it instead).
    pub fn unplace_indicator(&mut self, indicator: &str, theme: &str) -> Result<()> {
        self.edit_tree(|tx| {
            let id = indicator_id(tx, indicator)?;
            let places: Vec<String> = tx.query(
                "SELECT theme_code FROM indicator_theme WHERE indicator_id = ?1",
                params![id],
                |r| r.get(0),
            )?;
            if !places.iter().any(|p| p == theme) {
                return Err(refused(format!(
                    "indicator '{indicator}' is not in theme '{theme}'"
                )));
            }
            if places.len() == 1 {
                return Err(refused(format!(
                    "theme '{theme}' is the only place of indicator '{indicator}': move it instead"
                )));
            }
            tx.execute(
                "DELETE FROM indicator_theme WHERE indicator_id = ?1 AND theme_code = ?2",
                params![id, theme],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::on_both;

    fn tree(s: &mut Store) {
        for (code, parent) in [("a", None), ("b", Some("a")), ("c", Some("b")), ("d", None)] {
            s.add_theme(code, parent, "nl", &code.to_uppercase())
                .unwrap();
        }
    }

    fn parent(s: &Store, code: &str) -> Option<String> {
        s.themes()
            .unwrap()
            .into_iter()
            .find(|t| t.code == code)
            .unwrap()
            .parent
    }

    on_both! {
        fn a_theme_never_moves_beneath_itself(s: &mut Store) {
            tree(s);
            let before = s.test_revision().unwrap();
            for target in ["a", "b", "c"] {
                let e = s.move_theme("a", Some(target)).unwrap_err().to_string();
                assert!(e.contains("beneath"), "{e}");
            }
            assert_eq!(
                s.test_revision().unwrap(),
                before,
                "a refusal writes nothing"
            );
            s.move_theme("b", Some("d")).unwrap();
            assert_eq!(parent(s, "b").as_deref(), Some("d"));
            assert_eq!(
                parent(s, "c").as_deref(),
                Some("b"),
                "the subtree moves along"
            );
            s.move_theme("b", None).unwrap();
            assert_eq!(parent(s, "b"), None);
            assert!(s.test_revision().unwrap() > before);
        }

        fn siblings_swap_and_a_full_theme_stays(s: &mut Store) {
            tree(s);
            let top = |s: &Store| -> Vec<String> {
                s.themes()
                    .unwrap()
                    .into_iter()
                    .filter(|t| t.parent.is_none())
                    .map(|t| t.code)
                    .collect()
            };
            assert_eq!(top(s), ["a", "d"]);
            s.order_theme("d", true).unwrap();
            assert_eq!(top(s), ["d", "a"]);
            s.order_theme("d", true).unwrap();
            assert_eq!(top(s), ["d", "a"], "the first stays first");
            s.rename_theme("d", "en", "Dee").unwrap();
            let d = s
                .themes()
                .unwrap()
                .into_iter()
                .find(|t| t.code == "d")
                .unwrap();
            assert_eq!(
                (d.name.get("nl"), d.name.get("en")),
                (Some("D"), Some("Dee"))
            );
            assert!(s.delete_theme("a").is_err());
            s.delete_theme("c").unwrap();
            assert!(s.themes().unwrap().iter().all(|t| t.code != "c"));
            assert!(s.add_theme("d", None, "nl", "again").is_err());
            assert!(s.add_theme("e", Some("zz"), "nl", "E").is_err());
        }

        fn indicators_move_alias_and_keep_one_place(s: &mut Store) {
            tree(s);
            for (code, name) in [("bev", r#"{"nl":"Bevolking"}"#), ("inw", r#"{"nl":"Inwoners"}"#)] {
                s.db.execute(
                    "INSERT INTO indicator (code, name, description, more_info, unit, source, data_type,
                 period_type, non_aggregable, status, visibility, protected, dim_levels,
                 non_aggregable_periods, footnote, exclude_from_search, extra)
                 VALUES (?1, ?2, '{}', '{}', '', '', 'number', 'year', 0, 'active', 'public', 0,
                 '[]', 0, '{}', 0, '{}')",
                    crate::db::params![code, name],
                )
                .unwrap();
            }
            assert!(s.place_indicator("bev", None, "zz").is_err());
            assert!(s.place_indicator("geen", None, "a").is_err());
            s.place_indicator("bev", None, "b").unwrap();
            s.place_indicator("bev", None, "b").unwrap();
            s.place_indicator("bev", None, "d").unwrap();
            s.place_indicator("bev", Some("d"), "c").unwrap();
            assert!(s.place_indicator("bev", Some("d"), "a").is_err(), "not in d any more");
            let p = s.placements().unwrap();
            assert_eq!(p.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), ["bev", "inw"]);
            assert_eq!(p[0].themes, ["b", "c"]);
            assert_eq!(p[0].name.get("nl"), Some("Bevolking"));
            assert!(p[1].themes.is_empty());
            s.unplace_indicator("bev", "b").unwrap();
            assert!(s.unplace_indicator("bev", "c").is_err(), "its only place");
            assert_eq!(s.indicator("bev").unwrap().unwrap().themes, ["c"]);
            assert!(s.delete_theme("c").is_err(), "c holds an indicator");
        }
    }
}
