//! Runs of sources and of the scheduled publish (`source_run`): one row per run, written when
//! it ends, never changed. `peil sources`, the back office's sources page and the scheduler
//! (when a job last ran; a file source's last good content hash) read them.

use crate::db::{Row, params};
use crate::{Result, Store};

/// What ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunTask {
    /// A `[[sources]]` entry.
    Source,
    /// The scheduled publish.
    Publish,
}

impl RunTask {
    pub fn code(self) -> &'static str {
        match self {
            RunTask::Source => "source",
            RunTask::Publish => "publish",
        }
    }
}

/// One run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Run {
    pub id: i64,
    pub task: RunTask,
    /// The source's name; empty for the scheduled publish.
    pub name: String,
    /// `schedule`, `command`, or `after NAME`.
    pub trigger: String,
    pub started_at: String,
    pub ended_at: String,
    /// `imported`, `unchanged`, `published` or `failed`.
    pub outcome: String,
    pub counts: serde_json::Value,
    pub error: Option<String>,
    pub import_id: Option<i64>,
    /// The publication a publish made.
    pub generation: Option<i64>,
    /// A file source's address and the SHA-256 of what it fetched.
    pub url: Option<String>,
    pub content_hash: Option<String>,
}

const COLUMNS: &str = "id, task, name, trigger, started_at, ended_at, outcome, counts, error, \
     import_id, generation, url, content_hash";

fn row(r: &Row<'_>) -> Result<Run> {
    let task: String = r.get(1)?;
    let counts: String = r.get(7)?;
    Ok(Run {
        id: r.get(0)?,
        task: if task == "publish" {
            RunTask::Publish
        } else {
            RunTask::Source
        },
        name: r.get(2)?,
        trigger: r.get(3)?,
        started_at: r.get(4)?,
        ended_at: r.get(5)?,
        outcome: r.get(6)?,
        counts: serde_json::from_str(&counts).unwrap_or(serde_json::Value::Null),
        error: r.get(8)?,
        import_id: r.get(9)?,
        generation: r.get(10)?,
        url: r.get(11)?,
        content_hash: r.get(12)?,
    })
}

impl Store {
    /// Records a run that ended (its `id` is ignored) and returns its id.
    pub fn record_run(&self, run: &Run) -> Result<i64> {
        self.db.insert(
            "INSERT INTO source_run (task, name, trigger, started_at, ended_at, outcome, \
             counts, error, import_id, generation, url, content_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                run.task.code(),
                &run.name,
                &run.trigger,
                &run.started_at,
                &run.ended_at,
                &run.outcome,
                &run.counts.to_string(),
                &run.error,
                run.import_id,
                run.generation,
                &run.url,
                &run.content_hash
            ],
        )
    }

    /// The runs of one task and name, newest first, at most `limit`.
    pub fn runs(&self, task: RunTask, name: &str, limit: usize) -> Result<Vec<Run>> {
        self.db.query(
            &format!(
                "SELECT {COLUMNS} FROM source_run WHERE task = ?1 AND name = ?2 \
                 ORDER BY id DESC LIMIT ?3"
            ),
            params![task.code(), name, limit as i64],
            row,
        )
    }

    /// The last run of one task and name that `trigger` started (any trigger: `None`).
    pub fn last_run(
        &self,
        task: RunTask,
        name: &str,
        trigger: Option<&str>,
    ) -> Result<Option<Run>> {
        self.db.query_row(
            &format!(
                "SELECT {COLUMNS} FROM source_run WHERE task = ?1 AND name = ?2 \
                 AND (CAST(?3 AS TEXT) IS NULL OR trigger = ?3) ORDER BY id DESC LIMIT 1"
            ),
            params![task.code(), name, trigger],
            row,
        )
    }

    /// The content hash of a file source's last successful run (imported or unchanged): a
    /// file with this hash has nothing new.
    pub fn last_good_hash(&self, name: &str) -> Result<Option<String>> {
        self.db.query_row(
            "SELECT content_hash FROM source_run WHERE task = 'source' AND name = ?1 \
             AND outcome IN ('imported', 'unchanged') AND content_hash IS NOT NULL \
             ORDER BY id DESC LIMIT 1",
            params![name],
            |r| r.get(0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::on_both;

    fn run(name: &str, outcome: &str, hash: Option<&str>, trigger: &str) -> Run {
        Run {
            id: 0,
            task: RunTask::Source,
            name: name.into(),
            trigger: trigger.into(),
            started_at: "2026-12-07T05:00:00Z".into(),
            ended_at: "2026-12-07T05:00:01Z".into(),
            outcome: outcome.into(),
            counts: serde_json::json!({"rows": 3}),
            error: (outcome == "failed").then(|| "broken".into()),
            import_id: None,
            generation: None,
            url: Some("http://example.org/a.csv".into()),
            content_hash: hash.map(String::from),
        }
    }

    on_both! {
    fn runs_are_kept_newest_first_and_failures_keep_the_last_good_hash(store: &mut Store) {
        assert_eq!(store.last_good_hash("a").unwrap(), None);
        store
            .record_run(&run("a", "imported", Some("h1"), "schedule"))
            .unwrap();
        store
            .record_run(&run("a", "failed", Some("h2"), "command"))
            .unwrap();
        store
            .record_run(&run("b", "imported", Some("h3"), "schedule"))
            .unwrap();
        assert_eq!(store.last_good_hash("a").unwrap().as_deref(), Some("h1"));
        let runs = store.runs(RunTask::Source, "a", 10).unwrap();
        assert_eq!(
            runs.iter().map(|r| r.outcome.as_str()).collect::<Vec<_>>(),
            ["failed", "imported"]
        );
        assert_eq!(runs[1].counts["rows"], 3);
        let last = store
            .last_run(RunTask::Source, "a", Some("schedule"))
            .unwrap()
            .unwrap();
        assert_eq!(last.content_hash.as_deref(), Some("h1"));
        assert_eq!(store.last_run(RunTask::Publish, "", None).unwrap(), None);
        // Append-only.
        let refused = store
            .db
            .execute("UPDATE source_run SET outcome = 'x'", params![])
            .unwrap_err();
        assert!(refused.to_string().contains("append-only"), "{refused}");
        // A trigger given as NULL (any) and as text, in one prepared statement.
        assert_eq!(store.last_run(RunTask::Source, "b", None).unwrap().unwrap().name, "b");
        assert_eq!(store.last_run(RunTask::Source, "b", Some("command")).unwrap(), None);
    }
    }
}
