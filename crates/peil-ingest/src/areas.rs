//! Area definitions (gebiedsdefinities) and aggregation tables (aggregatietabellen).

use crate::table::{Table, TableOptions};
use peil_core::*;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

fn norm(h: &str) -> String {
    h.trim().to_lowercase().replace(['_', '-', '.'], " ")
}

fn area_role(h: &str) -> Option<&'static str> {
    Some(match norm(h).as_str() {
        "sequence nr" | "sequence" | "seq" | "volgnummer" | "volgnr" | "seq no" => "seq",
        "geoitem code" | "geoitem" | "code" | "gebiedscode" | "gebied" => "code",
        "short name" | "korte naam" | "shortname" | "naam kort" => "short",
        "name" | "naam" | "full name" | "volledige naam" => "name",
        _ => return None,
    })
}

/// Whether a header is an area definition table.
pub fn looks_like_areas(header: &[String]) -> bool {
    header.iter().any(|h| area_role(h) == Some("code"))
        && header
            .iter()
            .any(|h| matches!(area_role(h), Some("name" | "short")))
}

/// The result of reading a table.
#[derive(Debug)]
pub struct Read<T> {
    pub batch: Option<T>,
    pub problems: Problems,
    pub rows: u64,
    /// Rows read and left out, each with a warning (records whose point lies in no area).
    pub left_out: u64,
}

impl<T> Default for Read<T> {
    fn default() -> Self {
        Read {
            batch: None,
            problems: Problems::default(),
            rows: 0,
            left_out: 0,
        }
    }
}

impl<T> Read<T> {
    pub(crate) fn fail(p: Problem) -> Read<T> {
        Read {
            batch: None,
            problems: Problems {
                list: vec![p],
                errors: 1,
                ..Problems::default()
            },
            rows: 0,
            left_out: 0,
        }
    }
}

/// Reads an area definition table: columns `sequence nr`, `geoitem code`, `short name`,
/// `name` in any order. The level is the given code or the file name without extension.
pub fn read_areas(path: &Path, topts: &TableOptions, level: &str) -> Read<AreaBatch> {
    let mut t = match Table::open(path, topts, &|_, h| looks_like_areas(h)) {
        Ok(t) => t,
        Err(p) => return Read::fail(*p),
    };
    let mut out: Read<AreaBatch> = Read::default();
    let place = t.place.clone();
    let col = |role: &str| t.header.iter().position(|h| area_role(h) == Some(role));
    let (seq, code, short, name) = (col("seq"), col("code"), col("short"), col("name"));
    if code.is_none() || (short.is_none() && name.is_none()) {
        out.problems.error(
            &place,
            Some(t.header_row),
            None,
            None,
            format!("expected columns 'geoitem code' and 'name' (and optionally 'short name', 'sequence nr'); found: {}", t.header.join(", ")),
        );
        return out;
    }
    if level.trim().is_empty() || level.contains(char::is_whitespace) {
        out.problems.error(
            &place,
            None,
            None,
            Some(level),
            "not a valid geo level code (no spaces); pass --level",
        );
        return out;
    }
    let header = t.header.clone();
    let mut items: Vec<GeoItem> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let problems = &mut out.problems;
    let mut rows = 0;
    let r = t.for_each_row(|line, cells| {
        rows += 1;
        let cell = |i: Option<usize>| i.and_then(|i| cells.get(i)).map(|s| s.trim()).unwrap_or("");
        let Some(c) = normalize_code(cell(code)) else {
            problems.error(
                &place,
                Some(line),
                Some(&header[code.unwrap_or(0)]),
                None,
                "empty geoitem code",
            );
            return true;
        };
        if let Some(first) = seen.get(&c) {
            problems.error(
                &place,
                Some(line),
                Some(&header[code.unwrap_or(0)]),
                Some(&c),
                format!("duplicate code (also in row {first})"),
            );
            return true;
        }
        seen.insert(c.clone(), line);
        let s = match seq {
            Some(_) if cell(seq).is_empty() => items.len() as i64 + 1,
            Some(i) => match parse_number(cell(seq), DecimalSeparator::Point) {
                Some(n) if n.fract() == 0.0 => n as i64,
                _ => {
                    problems.error(
                        &place,
                        Some(line),
                        Some(&header[i]),
                        Some(cell(seq)),
                        "expected a whole sequence number",
                    );
                    return true;
                }
            },
            None => items.len() as i64 + 1,
        };
        let (sn, n) = (cell(short), cell(name));
        let (sn, n) = match (sn.is_empty(), n.is_empty()) {
            (false, false) => (sn, n),
            (true, false) => (n, n),
            (false, true) => (sn, sn),
            (true, true) => {
                problems.warning(
                    &place,
                    Some(line),
                    None,
                    Some(&c),
                    "no name: the code is used as name",
                );
                (c.as_str(), c.as_str())
            }
        };
        items.push(GeoItem {
            unknown_location: is_unknown_location_code(&c),
            code: c.clone(),
            short_name: sn.to_string(),
            name: n.to_string(),
            seq: s,
        });
        !problems.saturated()
    });
    if let Err(p) = r {
        out.problems.list.push(*p);
        out.problems.errors += 1;
    }
    out.rows = rows;
    if items.is_empty() && !out.problems.has_errors() {
        out.problems.error(
            &place,
            None,
            None,
            None,
            "the table has a header but no rows",
        );
    }
    if !out.problems.has_errors() {
        out.batch = Some(AreaBatch {
            level: GeoLevel::new(level),
            items,
        });
    }
    out
}

/// Whether a header is an aggregation table between two known levels.
pub fn looks_like_links(header: &[String], catalog: &Catalog) -> bool {
    let named: Vec<&String> = header.iter().filter(|h| !h.is_empty()).collect();
    named.len() == 2
        && named
            .iter()
            .any(|h| catalog.levels.contains_key(h.as_str()))
}

/// Reads an aggregation (or conversion) table: two columns headed by the child and parent
/// level codes. Every child must have one parent; a conversion table may list several
/// targets, settled by [`resolve_targets`] or refused.
pub fn read_links(
    path: &Path,
    topts: &TableOptions,
    catalog: &Catalog,
    skip_unknown: bool,
) -> Read<LinkBatch> {
    let mut t = match Table::open(path, topts, &|_, h| {
        looks_like_links(h, catalog) || h.len() == 2
    }) {
        Ok(t) => t,
        Err(p) => return Read::fail(*p),
    };
    let mut out: Read<LinkBatch> = Read::default();
    let place = t.place.clone();
    let header: Vec<String> = t.header.iter().filter(|h| !h.is_empty()).cloned().collect();
    if header.len() != 2 {
        out.problems.error(
            &place,
            Some(t.header_row),
            None,
            None,
            format!("expected two columns headed by the child and the parent geo level codes; found: {}", t.header.join(", ")),
        );
        return out;
    }
    let (child, parent) = (header[0].clone(), header[1].clone());
    for l in [&child, &parent] {
        if !catalog.levels.contains_key(l) {
            out.problems.error(
                &place,
                Some(t.header_row),
                Some(l),
                None,
                "unknown geo level; import its area definitions first",
            );
        }
    }
    if child == parent {
        out.problems.error(
            &place,
            Some(t.header_row),
            None,
            Some(&child),
            "a level cannot roll up into itself (cycle)",
        );
    }
    if out.problems.has_errors() {
        return out;
    }
    let mut edges: Vec<(&str, &str)> = catalog
        .edges
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    edges.push((&child, &parent));
    if let Some(cycle) = find_cycle(edges) {
        out.problems.error(
            &place,
            Some(t.header_row),
            None,
            None,
            format!(
                "this table would make a cycle in the level hierarchy: {}",
                cycle.join(" → ")
            ),
        );
        return out;
    }
    let kind = EdgeKind::between(&child, &parent);
    let (ci, pi) = (
        &catalog.levels[&child].items,
        &catalog.levels[&parent].items,
    );
    let mut targets: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
    let problems = &mut out.problems;
    let mut rows = 0;
    let r = t.for_each_row(|line, cells| {
        rows += 1;
        let c = cells.first().and_then(|c| normalize_code(c));
        let p = cells.get(1).and_then(|c| normalize_code(c));
        match (c, p) {
            (Some(c), Some(p)) => {
                let mut ok = true;
                for (code, items, level) in [(&c, ci, &child), (&p, pi, &parent)] {
                    if !items.contains_key(code) {
                        ok = false;
                        if skip_unknown {
                            problems.warning(&place, Some(line), Some(level), Some(code), format!("not an item of {level}: row skipped"));
                        } else {
                            problems.error(&place, Some(line), Some(level), Some(code), format!("not an item of {level}; fix the code or pass --skip-unknown-areas"));
                        }
                    }
                }
                if ok {
                    targets.entry(c).or_insert((line, Vec::new())).1.push(p);
                }
            }
            (c, p) => {
                let (col, other_col) = if c.is_none() { (&child, &parent) } else { (&parent, &child) };
                let msg = match c.or(p) {
                    Some(other) => format!("blank {col} code (with {other_col} '{other}'): row skipped"),
                    None => "blank row: skipped".to_string(),
                };
                problems.warning(&place, Some(line), Some(col), None, msg);
            }
        }
        !problems.saturated()
    });
    if let Err(p) = r {
        out.problems.list.push(*p);
        out.problems.errors += 1;
    }
    out.rows = rows;
    let mut links = Vec::with_capacity(targets.len());
    for (c, (line, ts)) in targets {
        match resolve_targets(&c, &ts) {
            Resolution::Single(p) => links.push((c, p)),
            Resolution::UnknownLocation { chosen, others } if kind == EdgeKind::Conversion => {
                out.problems.warning(
                    &place,
                    Some(line),
                    Some(&child),
                    Some(&c),
                    format!(
                        "listed with {} targets ({}, {}); its values go to the unknown-location item {chosen} only, so municipality totals stay right and nothing is counted twice",
                        others.len() + 1,
                        chosen,
                        others.join(", ")
                    ),
                );
                links.push((c, chosen));
            }
            Resolution::UnknownLocation { chosen, others } => {
                let mut all = vec![chosen];
                all.extend(others);
                out.problems.error(&place, Some(line), Some(&child), Some(&c), format!("has several parents in {parent} ({}); an aggregation table gives exactly one", all.join(", ")));
            }
            Resolution::Ambiguous(all) => {
                out.problems.error(
                    &place,
                    Some(line),
                    Some(&child),
                    Some(&c),
                    format!(
                        "has several parents in {parent} ({}); give exactly one",
                        all.join(", ")
                    ),
                );
            }
        }
    }
    if links.is_empty() && !out.problems.has_errors() {
        out.problems
            .error(&place, None, None, None, "the table has no usable rows");
    }
    if !out.problems.has_errors() {
        out.batch = Some(LinkBatch {
            child_level: child,
            parent_level: parent,
            kind,
            links,
        });
    }
    out
}
