//! Record files (issue 17): one row per case, read against a record set's definition
//! ([`peil_core::records::RecordSetDef`]). Every row is checked — a non-empty id seen once, an
//! area code of the set's level, dates that are dates, durations that do not run backwards,
//! numbers that are numbers — and every problem names file, row, column and what was expected.

use crate::areas::Read;
use crate::table::{Table, TableOptions, is_workbook};
use peil_core::records::{NO_DATE, RecordSetDef, Records, parse_day};
use peil_core::*;
use std::path::Path;

/// The records whose id an earlier record has too: (row, the id's first row, id), by row.
/// Found by sorting the ids rather than hashing them (a file's ids are anyone's strings, a
/// million of them; no second copy of each is kept).
fn repeated<'a>(ids: &'a [String], lines: &[u64]) -> Vec<(u64, u64, &'a str)> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    // Stable: the records of one id stay in the file's order, its first row first.
    order.sort_by(|&a, &b| ids[a].cmp(&ids[b]));
    let mut out = Vec::new();
    let mut first = 0;
    for (k, &i) in order.iter().enumerate() {
        if k > 0 && ids[i] == ids[order[k - 1]] {
            out.push((lines[i], lines[order[first]], ids[i].as_str()));
        } else {
            first = k;
        }
    }
    out.sort_unstable();
    out
}

/// Where a record's point lies (issue 18): the store id of the area of the set's level that
/// holds it, or why none does. Implemented over the level's geometry by
/// `geometry::points::Placer`; a trait here, so reading records needs no geometry code.
pub trait Locate: Sync {
    /// `x`, `y` in the set's coordinate system.
    fn locate(&self, x: f64, y: f64) -> Located;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Located {
    In(u32),
    /// In no area of the level (outside the territory, or in a gap between areas).
    Outside,
    /// Not a point of the coordinate system (out of its range).
    Invalid,
}

/// A number as record files write them: a decimal point, or a decimal comma without points.
fn number(raw: &str) -> Option<f64> {
    let sep = if raw.contains(',') && !raw.contains('.') {
        DecimalSeparator::Comma
    } else {
        DecimalSeparator::Point
    };
    parse_number(raw, sep)
}

/// Reads a record file. `catalog` gives the area codes of the set's level; `locate` places the
/// records of a set with a `location` by their coordinates (required for such a set).
pub fn read_records(
    path: &Path,
    topts: &TableOptions,
    def: &RecordSetDef,
    catalog: &Catalog,
    locate: Option<&dyn Locate>,
) -> Read<Records> {
    let mut t = match Table::open(path, topts, &|_, h| h.iter().any(|c| c.trim() == def.id)) {
        Ok(t) => t,
        Err(p) => return Read::fail(*p),
    };
    let serial = is_workbook(path);
    let mut out: Read<Records> = Read::default();
    let place = t.place.clone();
    let Some(items) = catalog.levels.get(&def.level) else {
        out.problems.error(
            &place,
            None,
            None,
            Some(&def.level),
            "the definition's level is not a geo level of the site; import its area definitions first",
        );
        return out;
    };
    let header = t.header.clone();
    let find = |c: &str| header.iter().position(|h| h == c);
    let mut missing = Vec::new();
    let mut col = |c: &str| -> usize {
        find(c).unwrap_or_else(|| {
            missing.push(c.to_string());
            0
        })
    };
    let id_col = col(&def.id);
    let area_col = (!def.area.is_empty()).then(|| col(&def.area));
    let point_cols = def.location.as_ref().map(|p| (col(&p.x), col(&p.y)));
    let date_cols: Vec<usize> = def.dates.iter().map(|c| col(c)).collect();
    let cat_cols: Vec<usize> = def.categories.iter().map(|c| col(c)).collect();
    let num_cols: Vec<usize> = def.numbers.iter().map(|c| col(c)).collect();
    if !missing.is_empty() {
        out.problems.error(
            &place,
            Some(t.header_row),
            None,
            None,
            format!(
                "the header lacks the definition's column(s) {}; found: {}",
                missing.join(", "),
                header.join(", ")
            ),
        );
        return out;
    }
    let locate = match (&def.location, locate) {
        (None, _) => None,
        (Some(_), Some(l)) => Some(l),
        (Some(_), None) => {
            out.problems.error(
                &place,
                None,
                None,
                Some(&def.level),
                "the records are placed by their coordinates, and the level has no geometry: \
                 import the areas' geometry first",
            );
            return out;
        }
    };
    // The durations the measures take, checked per row: (from, to) as column positions.
    let mut spans: Vec<(usize, usize)> = def
        .measures
        .iter()
        .filter_map(|m| {
            let i = |c: &Option<String>| def.dates.iter().position(|d| Some(d) == c.as_ref());
            Some((i(&m.from)?, i(&m.to)?))
        })
        .collect();
    // The dashboard's throughput time too: a case cannot close before it opens.
    if let Some(d) = &def.dashboard {
        let i = |c: &String| def.dates.iter().position(|x| x == c);
        spans.extend(i(&d.opened).zip(i(&d.closed)));
    }
    spans.sort();
    spans.dedup();
    let mut rec = Records::new(def);
    // The file's row of each record read, for the check that each id is there once (below).
    let mut lines: Vec<u64> = Vec::new();
    let problems = &mut out.problems;
    let mut rows = 0u64;
    let mut left_out = 0u64;
    let mut row_dates: Vec<i32> = vec![NO_DATE; date_cols.len()];
    let r = t.for_each_row(|line, cells| {
        rows += 1;
        let cell = |i: usize| cells.get(i).map(|s| s.trim()).unwrap_or("");
        let mut ok = true;
        let id = cell(id_col);
        if id.is_empty() {
            problems.error(
                &place,
                Some(line),
                Some(&def.id),
                None,
                "expected a record id, found an empty cell",
            );
            ok = false;
        }
        // The record's area: where its point lies, or its area code.
        let mut item = None;
        let mut outside = false;
        let point = point_cols.map(|(xc, yc)| (cell(xc), cell(yc)));
        match point {
            Some((x, y)) if !x.is_empty() || !y.is_empty() => {
                let p = def
                    .location
                    .as_ref()
                    .expect("point columns come with a location");
                let (nx, ny) = (number(x), number(y));
                for (n, raw, column) in [(nx, x, &p.x), (ny, y, &p.y)] {
                    if n.is_none_or(|v| !v.is_finite()) {
                        problems.error(
                            &place,
                            Some(line),
                            Some(column),
                            (!raw.is_empty()).then_some(raw),
                            format!("expected a coordinate in {} (a number)", p.crs),
                        );
                        ok = false;
                    }
                }
                if let (Some(nx), Some(ny), Some(locate)) = (nx, ny, locate) {
                    match locate.locate(nx, ny) {
                        Located::In(i) => item = Some(i),
                        Located::Outside => outside = true,
                        Located::Invalid if ok => {
                            problems.error(
                                &place,
                                Some(line),
                                Some(&p.x),
                                Some(&format!("{x} {y}")),
                                format!("expected a point in {}", p.crs),
                            );
                            ok = false;
                        }
                        Located::Invalid => {}
                    }
                }
            }
            _ => match area_col {
                Some(c) => {
                    let area = normalize_code(cell(c));
                    item = area.as_ref().and_then(|a| items.items.get(a)).copied();
                    if item.is_none() {
                        let found = cell(c);
                        let msg = match (found.is_empty(), point.is_some()) {
                            (true, true) => {
                                "expected coordinates or an area code, found empty cells"
                                    .to_string()
                            }
                            (true, false) => {
                                "expected an area code, found an empty cell".to_string()
                            }
                            (false, _) => format!("expected an area code of level {}", def.level),
                        };
                        problems.error(
                            &place,
                            Some(line),
                            Some(&def.area),
                            (!found.is_empty()).then_some(found),
                            msg,
                        );
                        ok = false;
                    }
                }
                None => {
                    let p = def
                        .location
                        .as_ref()
                        .expect("a set has an area column or a location");
                    problems.error(
                        &place,
                        Some(line),
                        Some(&p.x),
                        None,
                        "expected coordinates, found empty cells",
                    );
                    ok = false;
                }
            },
        }
        for (k, &c) in date_cols.iter().enumerate() {
            let raw = cell(c);
            row_dates[k] = if raw.is_empty() {
                NO_DATE
            } else {
                match parse_day(raw, serial) {
                    Some(d) => d,
                    None => {
                        problems.error(
                            &place,
                            Some(line),
                            Some(&def.dates[k]),
                            Some(raw),
                            "expected a date (2024-03-07 or 07/03/2024) or an empty cell",
                        );
                        ok = false;
                        NO_DATE
                    }
                }
            };
        }
        for &(a, b) in &spans {
            if row_dates[a] != NO_DATE && row_dates[b] != NO_DATE && row_dates[b] < row_dates[a] {
                problems.error(
                    &place,
                    Some(line),
                    Some(&def.dates[b]),
                    Some(cell(date_cols[b])),
                    format!(
                        "expected a date on or after {} ({})",
                        def.dates[a],
                        cell(date_cols[a])
                    ),
                );
                ok = false;
            }
        }
        let mut nums = Vec::with_capacity(num_cols.len());
        for (k, &c) in num_cols.iter().enumerate() {
            let raw = cell(c);
            match number(raw) {
                _ if raw.is_empty() => nums.push(f64::NAN),
                Some(v) if v.is_finite() => nums.push(v),
                _ => {
                    problems.error(
                        &place,
                        Some(line),
                        Some(&def.numbers[k]),
                        Some(raw),
                        "expected a number or an empty cell",
                    );
                    ok = false;
                }
            }
        }
        if ok && outside {
            // Reported, never dropped silently: a warning per record, and the count.
            let p = def.location.as_ref().expect("only a point lies outside");
            let (x, y) = point.unwrap_or_default();
            problems.warning(
                &place,
                Some(line),
                Some(&p.x),
                Some(&format!("{x} {y}")),
                format!(
                    "the point lies in no area of level {}: the record is left out",
                    def.level
                ),
            );
            left_out += 1;
        } else if ok {
            lines.push(line);
            rec.ids.push(id.to_string());
            rec.items.push(item.unwrap_or_default());
            for (k, d) in row_dates.iter().enumerate() {
                rec.dates[k].push(*d);
            }
            for (k, &c) in cat_cols.iter().enumerate() {
                rec.categories[k].push(cell(c));
            }
            for (k, v) in nums.into_iter().enumerate() {
                rec.numbers[k].push(v);
            }
        }
        !problems.saturated()
    });
    if let Err(p) = r {
        out.problems.list.push(*p);
        out.problems.errors += 1;
    }
    for (line, first, id) in repeated(&rec.ids, &lines) {
        out.problems.error(
            &place,
            Some(line),
            Some(&def.id),
            Some(id),
            format!("expected each record once; this id is also on row {first}"),
        );
    }
    out.rows = rows;
    out.left_out = left_out;
    if !out.problems.has_errors() {
        out.batch = Some(rec);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::repeated;

    #[test]
    fn each_repeat_of_an_id_names_the_ids_first_row() {
        let ids: Vec<String> = ["b", "a", "b", "c", "b", "a"].map(String::from).to_vec();
        let lines = [2, 3, 4, 5, 6, 9];
        assert_eq!(
            repeated(&ids, &lines),
            [(4, 2, "b"), (6, 2, "b"), (9, 3, "a")]
        );
        assert!(repeated(&ids[..2], &lines[..2]).is_empty());
        assert!(repeated(&[], &[]).is_empty());
    }
}
