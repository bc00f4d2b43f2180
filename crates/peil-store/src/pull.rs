//! Pull provenance (`peil pull`): per source and pulled indicator, where it came from, when, the
//! content hash the source published it with, the pull that wrote it, and whether the source
//! still offers it. The hashes make the next pull incremental; a row is never deleted (an
//! indicator gone at the source is flagged with `gone_at`).

use crate::db::{Row, params};
use crate::{ImportTx, Result, Store};

/// One pulled indicator's provenance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Provenance {
    /// The local code (with the source's prefix).
    pub code: String,
    /// The code at the source.
    pub remote_code: String,
    /// Where it was fetched (the source's metadata address of the indicator).
    pub url: String,
    pub fetched_at: String,
    /// The content hash of its metadata and values as the source published them.
    pub hash: String,
    /// The pull (import log entry) that last wrote it.
    pub import_id: i64,
    /// When a pull found the source no longer offering it.
    pub gone_at: Option<String>,
}

const SELECT: &str = "SELECT code, remote_code, url, fetched_at, hash, import_id, gone_at
     FROM pull_provenance WHERE source = ?1 ORDER BY code";

fn row(r: &Row<'_>) -> Result<Provenance> {
    Ok(Provenance {
        code: r.get(0)?,
        remote_code: r.get(1)?,
        url: r.get(2)?,
        fetched_at: r.get(3)?,
        hash: r.get(4)?,
        import_id: r.get(5)?,
        gone_at: r.get(6)?,
    })
}

impl Store {
    /// Every indicator pulled from a source, by local code.
    pub fn pull_provenance(&self, source: &str) -> Result<Vec<Provenance>> {
        self.db.query(SELECT, params![source], row)
    }
}

impl ImportTx<'_> {
    /// Every indicator pulled from a source, as this transaction sees it.
    pub fn pull_provenance(&self, source: &str) -> Result<Vec<Provenance>> {
        self.tx.query(SELECT, params![source], row)
    }

    /// Writes (or replaces) the provenance of an indicator pulled from `source`.
    pub fn record_pulled(&mut self, source: &str, p: &Provenance) -> Result<()> {
        self.tx.execute(
            "INSERT INTO pull_provenance (source, code, remote_code, url, fetched_at, hash, import_id, gone_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (source, code) DO UPDATE SET remote_code = excluded.remote_code,
                url = excluded.url, fetched_at = excluded.fetched_at, hash = excluded.hash,
                import_id = excluded.import_id, gone_at = excluded.gone_at",
            params![
                source,
                &p.code,
                &p.remote_code,
                &p.url,
                &p.fetched_at,
                &p.hash,
                p.import_id,
                &p.gone_at
            ],
        )?;
        Ok(())
    }

    /// Flags an indicator the source no longer offers (its data and metadata stay).
    pub fn flag_gone(&mut self, source: &str, code: &str, at: &str) -> Result<()> {
        self.tx.execute(
            "UPDATE pull_provenance SET gone_at = ?3 WHERE source = ?1 AND code = ?2",
            params![source, code, at],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::on_both;

    fn prov(code: &str, hash: &str, import_id: i64) -> Provenance {
        Provenance {
            code: code.into(),
            remote_code: code.trim_start_matches("src_").into(),
            url: format!("https://example.org/api/v1/indicators/{code}"),
            fetched_at: "2026-12-07T05:00:00Z".into(),
            hash: hash.into(),
            import_id,
            gone_at: None,
        }
    }

    on_both! {
        fn provenance_is_written_replaced_and_flagged(s: &mut Store) {
            let mut tx = s.begin().unwrap();
            let import = tx
                .tx
                .insert(
                    "INSERT INTO import_log (at, who, kind, file, sha256, options, counts, warnings)
                     VALUES ('t', 'pull', 'pull', '', '', '{}', '{}', 0)",
                    params![],
                )
                .unwrap();
            tx.record_pulled("src", &prov("src_b", "h1", import)).unwrap();
            tx.record_pulled("src", &prov("src_a", "h2", import)).unwrap();
            tx.record_pulled("src", &prov("src_b", "h3", import)).unwrap();
            tx.record_pulled("other", &prov("src_c", "h4", import)).unwrap();
            tx.flag_gone("src", "src_a", "2026-12-08T05:00:00Z").unwrap();
            let seen = tx.pull_provenance("src").unwrap();
            tx.commit().unwrap();
            let p = s.pull_provenance("src").unwrap();
            assert_eq!(p, seen);
            assert_eq!(p.iter().map(|p| (p.code.as_str(), p.hash.as_str())).collect::<Vec<_>>(), [("src_a", "h2"), ("src_b", "h3")]);
            assert_eq!(p[0].gone_at.as_deref(), Some("2026-12-08T05:00:00Z"));
            assert_eq!(p[1].gone_at, None);
            let mut tx = s.begin().unwrap();
            assert!(tx.record_pulled("src", &prov("src_d", "h", import + 1000)).is_err(), "the pull must exist");
        }
    }
}
