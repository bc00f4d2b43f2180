//! Cluster levels (issue 18): named groups of the areas of one member level — retail areas,
//! "centrumsteden", a city's own "kansenwijken" — defined by a table, overlapping allowed and
//! outside the strict hierarchy (`item_link` gives a child one parent per level; a member here
//! may be in any number of clusters). The clusters are the level's items in `geo_item`; the
//! level's member level is in `cluster_level`, the memberships in `cluster_member`. Written
//! only by [`ImportTx::apply_clusters`]; read by the warehouse as edges of kind
//! [`EdgeKind::Cluster`], which the engine aggregates by the hierarchy's own rules.

use crate::write::RowCounts;
use crate::{ImportTx, Result, StoreError};
use peil_core::{ClusterBatch, EdgeKind, GeoLevelKind, WarehouseEdge};
use rusqlite::{OptionalExtension, params};
use std::collections::{HashMap, HashSet};

/// What applying a cluster table did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClusterCounts {
    /// The clusters, as items of the level.
    pub clusters: RowCounts,
    /// Memberships after the import.
    pub members: u64,
    /// Memberships the table no longer lists.
    pub removed: u64,
}

/// Every cluster level's memberships as warehouse edges (member level → cluster level), with
/// `level_codes` the store's level ids and codes.
pub(crate) fn cluster_edges(
    db: &crate::db::Db,
    level_codes: &HashMap<i64, String>,
) -> Result<Vec<WarehouseEdge>> {
    let levels: Vec<(i64, i64)> = db.query(
        "SELECT level_id, member_level_id FROM cluster_level ORDER BY level_id",
        crate::db::params![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut out = Vec::new();
    for (level, member_level) in levels {
        let (Some(parent), Some(child)) = (level_codes.get(&level), level_codes.get(&member_level))
        else {
            continue;
        };
        let links = db.query(
            "SELECT m.member_item_id, m.cluster_item_id FROM cluster_member m
             JOIN geo_item c ON c.id = m.cluster_item_id
             WHERE c.level_id = ?1 ORDER BY m.member_item_id, m.cluster_item_id",
            crate::db::params![level],
            |r| Ok((r.get::<u32>(0)?, r.get::<u32>(1)?)),
        )?;
        out.push(WarehouseEdge {
            child: child.clone(),
            parent: parent.clone(),
            kind: EdgeKind::Cluster,
            links,
        });
    }
    Ok(out)
}

impl ImportTx<'_> {
    /// Applies a cluster table (see [`ClusterBatch`]): the level (kind cluster) and its
    /// clusters as items, and every membership, replacing the level's memberships as a whole.
    /// Refuses a level that exists as another kind, and a member level that is a cluster level
    /// or unknown; member codes must be known (the reader checked them).
    pub fn apply_clusters(&mut self, batch: &ClusterBatch) -> Result<ClusterCounts> {
        let path = self.path.clone();
        let e = crate::sqlite_err(&path);
        let kind: Option<String> = self
            .lite()
            .query_row(
                "SELECT kind FROM geo_level WHERE code = ?1",
                [&batch.level.code],
                |r| r.get(0),
            )
            .optional()
            .map_err(&e)?;
        if let Some(k) = kind
            && GeoLevelKind::parse(&k) != Some(GeoLevelKind::Cluster)
        {
            return Err(StoreError::Invalid(format!(
                "geo level '{}' exists and is not a cluster level (it is of kind {k}); choose another code with --level",
                batch.level.code
            )));
        }
        let member: Option<(i64, String)> = self
            .lite()
            .query_row(
                "SELECT id, kind FROM geo_level WHERE code = ?1",
                [&batch.member_level],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(&e)?;
        let member_level_id = match member {
            None => {
                return Err(StoreError::Invalid(format!(
                    "unknown geo level '{}': import its area definitions first",
                    batch.member_level
                )));
            }
            Some((_, k)) if GeoLevelKind::parse(&k) == Some(GeoLevelKind::Cluster) => {
                return Err(StoreError::Invalid(format!(
                    "geo level '{}' is a cluster level: a cluster's members are areas of a level of the hierarchy",
                    batch.member_level
                )));
            }
            Some((id, _)) => id,
        };
        let clusters = self.apply_areas(&peil_core::AreaBatch {
            level: batch.level.clone(),
            items: batch.clusters.clone(),
        })?;
        let level_id: i64 = self
            .lite()
            .query_row(
                "SELECT id FROM geo_level WHERE code = ?1",
                [&batch.level.code],
                |r| r.get(0),
            )
            .map_err(&e)?;
        self.lite()
            .execute(
                "INSERT INTO cluster_level (level_id, member_level_id) VALUES (?1, ?2)
                 ON CONFLICT (level_id) DO UPDATE SET member_level_id = excluded.member_level_id",
                params![level_id, member_level_id],
            )
            .map_err(&e)?;
        let before: HashSet<(i64, i64)> = {
            let mut st = self
                .lite()
                .prepare("SELECT m.cluster_item_id, m.member_item_id FROM cluster_member m JOIN geo_item c ON c.id = m.cluster_item_id WHERE c.level_id = ?1")
                .map_err(&e)?;
            let rows = st
                .query_map([level_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(&e)?;
            rows.collect::<rusqlite::Result<_>>().map_err(&e)?
        };
        self.lite()
            .execute(
                "DELETE FROM cluster_member WHERE cluster_item_id IN (SELECT id FROM geo_item WHERE level_id = ?1)",
                [level_id],
            )
            .map_err(&e)?;
        let ids = |level: i64| -> Result<HashMap<String, i64>> {
            let mut st = self
                .lite()
                .prepare("SELECT code, id FROM geo_item WHERE level_id = ?1")
                .map_err(&e)?;
            let rows = st
                .query_map([level], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(&e)?;
            rows.collect::<rusqlite::Result<_>>().map_err(&e)
        };
        let (cluster_ids, member_ids) = (ids(level_id)?, ids(member_level_id)?);
        let mut ins = self
            .lite()
            .prepare("INSERT INTO cluster_member (cluster_item_id, member_item_id) VALUES (?1, ?2)")
            .map_err(&e)?;
        let mut after: HashSet<(i64, i64)> = HashSet::new();
        for (c, m) in &batch.members {
            let (Some(ci), Some(mi)) = (cluster_ids.get(c), member_ids.get(m)) else {
                return Err(StoreError::Invalid(format!(
                    "cluster {c}: member {m} is not an area of level {}",
                    batch.member_level
                )));
            };
            ins.execute(params![ci, mi]).map_err(&e)?;
            after.insert((*ci, *mi));
        }
        Ok(ClusterCounts {
            clusters,
            members: after.len() as u64,
            removed: before.difference(&after).count() as u64,
        })
    }
}
