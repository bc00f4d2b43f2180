//! Cluster tables (issue 18): named groups of areas — retail areas, "centrumsteden", a city's
//! "kansenwijken" — one row per membership: `cluster` (the cluster's code), optionally
//! `cluster name`, `geolevel` (the members' level, one for the whole table) and `geoitem`
//! (the member's code). A member may be in any number of clusters (overlapping); the clusters
//! are the items of a level of kind cluster, outside the strict hierarchy.

use crate::areas::Read;
use crate::table::{Table, TableOptions};
use peil_core::*;
use std::collections::HashMap;
use std::path::Path;

fn role(h: &str) -> Option<&'static str> {
    Some(
        match h
            .trim()
            .to_lowercase()
            .replace(['_', '-', '.'], " ")
            .as_str()
        {
            "cluster" | "cluster code" | "clustercode" => "cluster",
            "cluster name" | "clustername" | "clusternaam" | "naam cluster" | "cluster naam" => {
                "name"
            }
            "geolevel" | "gebiedsniveau" | "member level" => "level",
            "geoitem" | "geoitem code" | "gebied" | "gebiedscode" | "member" => "item",
            _ => return None,
        },
    )
}

/// Whether a header is a cluster table: a `cluster` column and a `geoitem` column.
pub fn looks_like_clusters(header: &[String]) -> bool {
    header.iter().any(|h| role(h) == Some("cluster"))
        && header.iter().any(|h| role(h) == Some("item"))
}

/// Reads a cluster table for the cluster level `level` against the catalog: every member an
/// area of one known level that is not itself a cluster level, each (cluster, member) once,
/// one name per cluster. Problems name file, sheet, row and column.
pub fn read_clusters(
    path: &Path,
    topts: &TableOptions,
    level: &str,
    catalog: &Catalog,
) -> Read<ClusterBatch> {
    let mut t = match Table::open(path, topts, &|_, h| looks_like_clusters(h)) {
        Ok(t) => t,
        Err(p) => return Read::fail(*p),
    };
    let mut out: Read<ClusterBatch> = Read::default();
    let place = t.place.clone();
    let col = |r: &str| t.header.iter().position(|h| role(h) == Some(r));
    let (cluster, name, member_level, item) =
        (col("cluster"), col("name"), col("level"), col("item"));
    let (Some(cluster), Some(member_level), Some(item)) = (cluster, member_level, item) else {
        out.problems.error(
            &place,
            Some(t.header_row),
            None,
            None,
            format!(
                "expected columns 'cluster', 'geolevel' and 'geoitem' (and optionally 'cluster name'); found: {}",
                t.header.join(", ")
            ),
        );
        return out;
    };
    if level.trim().is_empty() || level.contains(char::is_whitespace) {
        out.problems.error(
            &place,
            None,
            None,
            Some(level),
            "not a valid geo level code for the clusters (no spaces); pass --level",
        );
        return out;
    }
    if let Some(l) = catalog.levels.get(level)
        && l.kind != GeoLevelKind::Cluster
    {
        out.problems.error(
            &place,
            None,
            None,
            Some(level),
            format!(
                "geo level {level} exists and is of kind {}, not cluster; pass another code with --level",
                l.kind.code()
            ),
        );
        return out;
    }
    let header = t.header.clone();
    // The member level: the first row's, which every row must repeat.
    let mut members_of: Option<(String, u64)> = None;
    let mut clusters: Vec<GeoItem> = Vec::new();
    let mut names: HashMap<String, (String, u64)> = HashMap::new();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    let mut members: Vec<(String, String)> = Vec::new();
    let problems = &mut out.problems;
    let mut rows = 0;
    let r = t.for_each_row(|line, cells| {
        rows += 1;
        let cell = |i: usize| cells.get(i).map(|s| s.trim()).unwrap_or("");
        let Some(c) = normalize_code(cell(cluster)) else {
            problems.error(
                &place,
                Some(line),
                Some(&header[cluster]),
                None,
                "empty cluster code",
            );
            return !problems.saturated();
        };
        let ml = cell(member_level);
        let Some(l) = catalog.levels.get(ml) else {
            problems.error(
                &place,
                Some(line),
                Some(&header[member_level]),
                Some(ml),
                "unknown geo level: the members' level must be imported first",
            );
            return !problems.saturated();
        };
        if l.kind == GeoLevelKind::Cluster {
            problems.error(
                &place,
                Some(line),
                Some(&header[member_level]),
                Some(ml),
                "a cluster level: a cluster's members are areas of a level of the hierarchy",
            );
            return !problems.saturated();
        }
        match &members_of {
            None => members_of = Some((ml.to_string(), line)),
            Some((first, at)) if first != ml => {
                problems.error(
                    &place,
                    Some(line),
                    Some(&header[member_level]),
                    Some(ml),
                    format!(
                        "expected geo level {first} (row {at}): the members of one cluster level are areas of one level"
                    ),
                );
                return !problems.saturated();
            }
            Some(_) => {}
        }
        let Some(m) = normalize_code(cell(item)) else {
            problems.error(
                &place,
                Some(line),
                Some(&header[item]),
                None,
                "empty geoitem code",
            );
            return !problems.saturated();
        };
        if !l.items.contains_key(&m) {
            problems.error(
                &place,
                Some(line),
                Some(&header[item]),
                Some(&m),
                format!("not an area of geo level {ml}"),
            );
            return !problems.saturated();
        }
        let n = name.map(cell).unwrap_or("");
        let n = if n.is_empty() { c.as_str() } else { n };
        match names.get(&c) {
            None => {
                names.insert(c.clone(), (n.to_string(), line));
                clusters.push(GeoItem {
                    code: c.clone(),
                    short_name: n.to_string(),
                    name: n.to_string(),
                    seq: clusters.len() as i64 + 1,
                    unknown_location: false,
                });
            }
            Some((first, at)) if name.is_some() && first != n && n != c => {
                problems.error(
                    &place,
                    Some(line),
                    name.map(|i| header[i].as_str()),
                    Some(n),
                    format!("cluster {c} is named '{first}' in row {at}: one name per cluster"),
                );
                return !problems.saturated();
            }
            Some(_) => {}
        }
        if let Some(first) = seen.get(&(c.clone(), m.clone())) {
            problems.error(
                &place,
                Some(line),
                Some(&header[item]),
                Some(&m),
                format!("{m} is listed in cluster {c} already (row {first})"),
            );
            return !problems.saturated();
        }
        seen.insert((c.clone(), m.clone()), line);
        members.push((c, m));
        !problems.saturated()
    });
    if let Err(p) = r {
        out.problems.list.push(*p);
        out.problems.errors += 1;
    }
    out.rows = rows;
    if members.is_empty() && !out.problems.has_errors() {
        out.problems.error(
            &place,
            None,
            None,
            None,
            "the table has a header but no rows",
        );
    }
    if !out.problems.has_errors()
        && let Some((member_level, _)) = members_of
    {
        out.batch = Some(ClusterBatch {
            level: GeoLevel {
                code: level.to_string(),
                name: level.to_string(),
                kind: GeoLevelKind::Cluster,
            },
            member_level,
            clusters,
            members,
        });
    }
    out
}
