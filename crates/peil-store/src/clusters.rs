//! Cluster levels (issue 18): named groups of the areas of one member level — retail areas,
//! "centrumsteden", a city's own "kansenwijken" — defined by a table, overlapping allowed and
//! outside the strict hierarchy (`item_link` gives a child one parent per level; a member here
//! may be in any number of clusters). The clusters are the level's items in `geo_item`; the
//! level's member level is in `cluster_level`, the memberships in `cluster_member`. Written
//! only by [`ImportTx::apply_clusters`]; read by the warehouse as edges of kind
//! [`EdgeKind::Cluster`], which the engine aggregates by the hierarchy's own rules.

use crate::db::params;
use crate::write::RowCounts;
use crate::{ImportTx, Result, StoreError};
use peil_core::{ClusterBatch, EdgeKind, GeoLevelKind, WarehouseEdge};
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
        params![],
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
            params![level],
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
        let kind: Option<String> = self.tx.query_row(
            "SELECT kind FROM geo_level WHERE code = ?1",
            params![&batch.level.code],
            |r| r.get(0),
        )?;
        if let Some(k) = kind
            && GeoLevelKind::parse(&k) != Some(GeoLevelKind::Cluster)
        {
            return Err(StoreError::Invalid(format!(
                "geo level '{}' exists and is not a cluster level (it is of kind {k}); choose another code with --level",
                batch.level.code
            )));
        }
        let member: Option<(i64, String)> = self.tx.query_row(
            "SELECT id, kind FROM geo_level WHERE code = ?1",
            params![&batch.member_level],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
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
        let level_id: i64 = self.tx.query_one(
            "SELECT id FROM geo_level WHERE code = ?1",
            params![&batch.level.code],
            |r| r.get(0),
        )?;
        self.tx.execute(
            "INSERT INTO cluster_level (level_id, member_level_id) VALUES (?1, ?2)
             ON CONFLICT (level_id) DO UPDATE SET member_level_id = excluded.member_level_id",
            params![level_id, member_level_id],
        )?;
        let before: HashSet<(i64, i64)> = self
            .tx
            .query(
                "SELECT m.cluster_item_id, m.member_item_id FROM cluster_member m JOIN geo_item c ON c.id = m.cluster_item_id WHERE c.level_id = ?1",
                params![level_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .into_iter()
            .collect();
        self.tx.execute(
            "DELETE FROM cluster_member WHERE cluster_item_id IN (SELECT id FROM geo_item WHERE level_id = ?1)",
            params![level_id],
        )?;
        let ids = |level: i64| -> Result<HashMap<String, i64>> {
            Ok(self
                .tx
                .query(
                    "SELECT code, id FROM geo_item WHERE level_id = ?1",
                    params![level],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?
                .into_iter()
                .collect())
        };
        let (cluster_ids, member_ids) = (ids(level_id)?, ids(member_level_id)?);
        let mut after: HashSet<(i64, i64)> = HashSet::new();
        for (c, m) in &batch.members {
            let (Some(ci), Some(mi)) = (cluster_ids.get(c), member_ids.get(m)) else {
                return Err(StoreError::Invalid(format!(
                    "cluster {c}: member {m} is not an area of level {}",
                    batch.member_level
                )));
            };
            self.tx.execute(
                "INSERT INTO cluster_member (cluster_item_id, member_item_id) VALUES (?1, ?2)",
                params![*ci, *mi],
            )?;
            after.insert((*ci, *mi));
        }
        Ok(ClusterCounts {
            clusters,
            members: after.len() as u64,
            removed: before.difference(&after).count() as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::on_both;
    use peil_core::{AreaBatch, GeoItem, GeoLevel, LinkBatch, Locale, PeriodLevel};

    fn item(code: &str, seq: i64) -> GeoItem {
        GeoItem {
            code: code.into(),
            short_name: code.into(),
            name: format!("Gebied {code}"),
            seq,
            unknown_location: false,
        }
    }

    fn level(code: &str, kind: GeoLevelKind) -> GeoLevel {
        GeoLevel {
            code: code.into(),
            name: code.to_uppercase(),
            kind,
        }
    }

    on_both! {
        fn areas_links_clusters_and_names_are_written(s: &mut Store) {
            let mut tx = s.begin().unwrap();
            let wijk = level("wijk", GeoLevelKind::default());
            let c = tx
                .apply_areas(&AreaBatch { level: wijk.clone(), items: vec![item("A", 1), item("B", 2), item("C", 3)] })
                .unwrap();
            assert_eq!((c.inserted, c.updated, c.unchanged), (3, 0, 0));
            let mut b2 = item("B", 5);
            b2.name = "Bee".into();
            let c = tx
                .apply_areas(&AreaBatch { level: wijk, items: vec![item("A", 1), b2] })
                .unwrap();
            assert_eq!((c.inserted, c.updated, c.unchanged), (0, 1, 1));
            tx.apply_areas(&AreaBatch { level: level("stad", GeoLevelKind::default()), items: vec![item("S", 1)] })
                .unwrap();
            let links = LinkBatch {
                child_level: "wijk".into(),
                parent_level: "stad".into(),
                kind: EdgeKind::Aggregation,
                links: vec![("A".into(), "S".into()), ("B".into(), "S".into())],
            };
            assert_eq!(tx.apply_links(&links).unwrap().inserted, 2);
            assert_eq!(tx.apply_links(&links).unwrap().unchanged, 2);
            let back = LinkBatch { child_level: "stad".into(), parent_level: "wijk".into(), links: vec![], ..links.clone() };
            assert!(tx.apply_links(&back).unwrap_err().to_string().contains("cycle"));
            let batch = ClusterBatch {
                level: level("kern", GeoLevelKind::Cluster),
                member_level: "wijk".into(),
                clusters: vec![item("K1", 1), item("K2", 2)],
                members: vec![("K1".into(), "A".into()), ("K1".into(), "B".into()), ("K2".into(), "B".into())],
            };
            let c = tx.apply_clusters(&batch).unwrap();
            assert_eq!((c.clusters.inserted, c.members, c.removed), (2, 3, 0));
            let fewer = ClusterBatch { members: vec![("K2".into(), "B".into())], ..batch.clone() };
            assert_eq!(tx.apply_clusters(&fewer).unwrap().removed, 2);
            let bad = ClusterBatch { member_level: "kern".into(), ..batch.clone() };
            assert!(tx.apply_clusters(&bad).is_err(), "members of a cluster level");
            assert_eq!(tx.rename_level("stad", "De stad").unwrap().as_deref(), Some("STAD"));
            assert_eq!(tx.rename_level("geen", "x").unwrap(), None);
            assert_eq!(
                tx.rename_item("wijk", "A", "a", "Wijk A").unwrap(),
                Some(("A".into(), "Gebied A".into()))
            );
            let (before, after) = tx
                .set_period_level_names(PeriodLevel::Year, &[(Locale::Nl, "Kalenderjaar".into())])
                .unwrap();
            assert!(before.is_empty() && after["nl"] == "Kalenderjaar");
            tx.commit().unwrap();
            let items = s.items("wijk").unwrap();
            assert_eq!(items.iter().map(|i| (i.code.as_str(), i.name.as_str())).collect::<Vec<_>>(), [("A", "Wijk A"), ("C", "Gebied C"), ("B", "Bee")]);
            assert_eq!(s.links("wijk", "stad").unwrap().len(), 2);
            assert_eq!(s.period_level_names().unwrap().0["year"]["nl"], "Kalenderjaar");
            let w = s.warehouse().unwrap();
            let cluster = w.edges.iter().find(|e| e.kind == EdgeKind::Cluster).unwrap();
            assert_eq!((cluster.child.as_str(), cluster.parent.as_str(), cluster.links.len()), ("wijk", "kern", 1));
            assert_eq!(s.levels().unwrap().iter().find(|(l, _)| l.code == "stad").unwrap().0.name, "De stad");
        }
    }
}
