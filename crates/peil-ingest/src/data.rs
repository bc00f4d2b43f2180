//! Data files in both Swing layouts, each with the columns `period`, `geolevel`, `geoitem`:
//! - wide, one indicator per column: `period;geolevel;geoitem;v1101_t;v1102_m…`
//! - long, one value per record: `period;geolevel;geoitem;indicator;value` (+ dim level columns).
//!
//! The reader validates every row against the [`Catalog`] and returns a sorted, duplicate-free
//! [`DataBatch`] or the list of problems; it never writes anything.

use crate::table::{Detected, Table, TableOptions, is_workbook, read_workbook};
use peil_core::*;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// How the columns of a data file are to be read; everything is optional.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DataSpec {
    pub period_column: Option<String>,
    pub geolevel_column: Option<String>,
    pub geoitem_column: Option<String>,
    pub indicator_column: Option<String>,
    pub value_column: Option<String>,
    /// The period of every row, when the file has no period column.
    pub period: Option<String>,
    /// The geo level of every row, when the file has no geolevel column.
    pub geolevel: Option<String>,
    /// Columns to leave out (e.g. a name column).
    pub ignore_columns: Vec<String>,
    /// Force the decimal separator instead of detecting it.
    pub decimal: Option<DecimalSeparator>,
    /// A column that flags rows (e.g. Statbel's `sourceStatus`); left out as data.
    pub status_column: Option<String>,
    /// Status value → the missing code that blank cells of such rows get
    /// (`not-published` → `x`). Overrides `empty_as` for those rows.
    pub status_map: Vec<(String, MissingCode)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Layout {
    /// One indicator per column.
    Wide,
    /// One value per record.
    Long,
}

/// The result of reading a data file.
#[derive(Debug, Default)]
pub struct DataRead {
    pub batch: DataBatch,
    pub problems: Problems,
    /// Data rows read.
    pub rows: u64,
    /// Rows left out because their area code is unknown (with `skip_unknown_areas`).
    pub skipped_rows: u64,
    /// Values left out because they hold a missing code (with `drop_special_codes`).
    pub dropped_values: u64,
    /// Duplicate records added up (with `totalize_duplicates`).
    pub totalized: u64,
    pub layout: Option<Layout>,
    pub detected: Detected,
    pub decimal: Option<DecimalSeparator>,
}

#[derive(Debug, Clone, PartialEq)]
enum Role {
    Period,
    GeoLevel,
    GeoItem,
    Indicator,
    Value,
    Ignore,
    /// A dimension level column (long layout).
    Dim(String),
    /// Values of this indicator (wide layout).
    Values(String),
}

fn alias(h: &str) -> Option<Role> {
    let n = h.trim().to_lowercase();
    Some(match n.as_str() {
        "period" | "periode" | "periodcode" | "jaar" | "year" => Role::Period,
        "geolevel" | "gebiedsniveau" | "geo level" | "level" => Role::GeoLevel,
        "geoitem" | "gebied" | "geo item" | "geoitem code" | "gebiedscode" => Role::GeoItem,
        "indicator" | "onderwerp" | "variable" | "var" | "onderwerpcode" => Role::Indicator,
        "value" | "waarde" => Role::Value,
        _ => return None,
    })
}

fn parse_role(s: &str, column: &str, extra: Option<&str>) -> Option<Role> {
    let s = s.trim().to_lowercase();
    let target = extra
        .filter(|e| !e.trim().is_empty())
        .map(|e| e.trim().to_string());
    Some(match s.as_str() {
        "period" => Role::Period,
        "geolevel" => Role::GeoLevel,
        "geoitem" => Role::GeoItem,
        "indicator" => Role::Indicator,
        "value" => Role::Value,
        "ignore" | "negeer" => Role::Ignore,
        "dim" | "dimlevel" => Role::Dim(target.unwrap_or_else(|| column.to_string())),
        "values" | "data" | "indicatorvalues" => {
            Role::Values(target.unwrap_or_else(|| column.to_string()))
        }
        _ => return None,
    })
}

/// Reads a `_def` sheet: rows of (column header, role[, indicator or dim level code]).
fn read_def(path: &Path, problems: &mut Problems) -> Option<HashMap<String, Role>> {
    if !is_workbook(path) {
        return None;
    }
    let sheets = read_workbook(path).ok()?;
    let (name, rows) = sheets
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("_def"))?;
    let place = Place::file(crate::table::file_name(path)).with_sheet(Some(&name));
    let mut roles = HashMap::new();
    for (n, row) in rows {
        let col = row.first().map(|s| s.trim()).unwrap_or("");
        let role = row.get(1).map(|s| s.trim()).unwrap_or("");
        if col.is_empty() || (n == 1 && col.eq_ignore_ascii_case("column")) {
            continue;
        }
        match parse_role(role, col, row.get(2).map(String::as_str)) {
            Some(r) => {
                roles.insert(col.to_lowercase(), r);
            }
            None => problems.error(
                &place,
                Some(n),
                Some("role"),
                Some(role),
                "expected one of period, geolevel, geoitem, indicator, value, ignore, dimlevel, values",
            ),
        }
    }
    Some(roles)
}

/// Whether a header looks like a data file.
pub fn looks_like_data(header: &[String]) -> bool {
    header.iter().any(|h| alias(h) == Some(Role::GeoItem))
        && (header.iter().any(|h| alias(h) == Some(Role::Period))
            || header.iter().any(|h| alias(h) == Some(Role::GeoLevel)))
}

/// Reads and validates a data file against the catalog, in five steps: the columns' roles, the
/// indicators the file names, the decimal separator, the rows, then sorting and duplicates.
/// Each step stops the read when it finds errors the next one could only repeat.
pub fn read_data(
    path: &Path,
    topts: &TableOptions,
    spec: &DataSpec,
    opts: &DataOptions,
    catalog: &Catalog,
) -> DataRead {
    let mut out = DataRead::default();
    let def = read_def(path, &mut out.problems);
    let pick = |_: &str, h: &[String]| looks_like_data(h) || def.is_some();
    let mut table = match Table::open(path, topts, &pick) {
        Ok(t) => t,
        Err(p) => {
            out.problems.list.push(*p);
            out.problems.errors += 1;
            return out;
        }
    };
    out.detected = table.detected.clone();
    let place = table.place.clone();
    let Some(columns) = column_roles(&table, spec, &def, catalog, &mut out) else {
        return out;
    };
    let mut indicators = Indicators::new(catalog, opts, &place);
    let Some(resolved) = file_indicators(&table, spec, &columns, &mut indicators, &mut out) else {
        return out;
    };
    let Some(decimal) = decimal_separator(path, topts, &pick, &table, spec, &columns, &mut out)
    else {
        return out;
    };
    let strict_width = !is_workbook(path);
    let rules = RowRules {
        spec,
        opts,
        catalog,
        columns: &columns,
        resolved: &resolved,
        decimal,
        strict_width,
    };
    let (recs, series_keys) = read_rows(&mut table, &rules, &mut indicators, &mut out);
    out.batch.new_indicators = indicators.created;
    if out.problems.has_errors() {
        return out;
    }
    sort_and_deduplicate(recs, series_keys, catalog, opts, &place, &mut out);
    out
}

/// What the header says (step 1): each column's role and the file's layout.
struct Columns {
    roles: Vec<Role>,
    period: Option<usize>,
    level: Option<usize>,
    item: Option<usize>,
    indicator: Option<usize>,
    value: Option<usize>,
    layout: Layout,
    /// Wide layout: (column, indicator code) of every value column.
    values: Vec<(usize, String)>,
    /// Long layout: (column, dimension level) of every dimension column.
    dims: Vec<(usize, String)>,
}

/// Step 1, column roles: from the options, the `_def` sheet, the usual names, else values
/// of the indicator the header names. `None` when the header cannot be read as a data file.
fn column_roles(
    table: &Table,
    spec: &DataSpec,
    def: &Option<HashMap<String, Role>>,
    catalog: &Catalog,
    out: &mut DataRead,
) -> Option<Columns> {
    let place = &table.place;
    let explicit: Vec<(&Option<String>, Role)> = vec![
        (&spec.period_column, Role::Period),
        (&spec.geolevel_column, Role::GeoLevel),
        (&spec.geoitem_column, Role::GeoItem),
        (&spec.indicator_column, Role::Indicator),
        (&spec.value_column, Role::Value),
    ];
    let mut roles: Vec<Role> = Vec::with_capacity(table.header.len());
    for h in &table.header {
        let lower = h.to_lowercase();
        let role = if spec
            .ignore_columns
            .iter()
            .any(|c| c.eq_ignore_ascii_case(h))
            || spec
                .status_column
                .as_ref()
                .is_some_and(|c| c.eq_ignore_ascii_case(h))
        {
            Role::Ignore
        } else if let Some((_, r)) = explicit
            .iter()
            .find(|(c, _)| c.as_ref().is_some_and(|c| c.eq_ignore_ascii_case(h)))
        {
            r.clone()
        } else if let Some(r) = def.as_ref().and_then(|d| d.get(&lower)) {
            r.clone()
        } else if let Some(r) =
            alias(h).filter(|r| !explicit.iter().any(|(c, er)| c.is_some() && er == r))
        {
            r
        } else if h.is_empty() {
            // Checked below: an unnamed column must be empty.
            Role::Ignore
        } else if lower.starts_with("te verwijderen") {
            out.problems.warning(
                place,
                Some(table.header_row),
                Some(h),
                None,
                "column marked 'TE VERWIJDEREN' (to delete at upload): left out",
            );
            Role::Ignore
        } else {
            Role::Values(h.clone())
        };
        roles.push(role);
    }
    let find = |r: &Role| roles.iter().position(|x| x == r);
    let (period_col, level_col, item_col) = (
        find(&Role::Period),
        find(&Role::GeoLevel),
        find(&Role::GeoItem),
    );
    let (ind_col, value_col) = (find(&Role::Indicator), find(&Role::Value));
    let found = table.header.join(", ");
    let hr = Some(table.header_row);
    for (r, name) in [
        (&Role::Period, "period"),
        (&Role::GeoLevel, "geolevel"),
        (&Role::GeoItem, "geoitem"),
        (&Role::Indicator, "indicator"),
        (&Role::Value, "value"),
    ] {
        if roles.iter().filter(|x| *x == r).count() > 1 {
            out.problems.error(
                place,
                hr,
                Some(name),
                None,
                format!("more than one '{name}' column; found: {found}"),
            );
        }
    }
    if item_col.is_none() {
        out.problems.error(
            place,
            hr,
            None,
            None,
            format!("no 'geoitem' column; found: {found}; name it with --geoitem-column"),
        );
    }
    if period_col.is_none() && spec.period.is_none() {
        out.problems.error(
            place,
            hr,
            None,
            None,
            format!(
                "no 'period' column; found: {found}; name it with --period-column or give --period"
            ),
        );
    }
    if level_col.is_none() && spec.geolevel.is_none() {
        out.problems.error(place, hr, None, None, format!("no 'geolevel' column; found: {found}; name it with --geolevel-column or give --geolevel"));
    }
    let layout = match (ind_col, value_col) {
        (Some(_), Some(_)) => Layout::Long,
        (None, None) => Layout::Wide,
        (Some(_), None) => {
            out.problems.error(
                place,
                hr,
                None,
                None,
                "an 'indicator' column without a 'value' column; a long file needs both",
            );
            Layout::Long
        }
        (None, Some(_)) => {
            out.problems.error(
                place,
                hr,
                None,
                None,
                "a 'value' column without an 'indicator' column; a long file needs both",
            );
            Layout::Long
        }
    };
    out.layout = Some(layout);
    if layout == Layout::Long {
        for r in roles.iter_mut() {
            if let Role::Values(h) = r {
                let h = h.clone();
                if catalog.dim_members.contains_key(&h) {
                    *r = Role::Dim(h);
                } else {
                    out.problems.error(place, hr, Some(&h), None, "in a long file every other column must be a dimension level; this is none (leave it out with --ignore-column)");
                    *r = Role::Ignore;
                }
            }
        }
    }
    let value_cols: Vec<(usize, String)> = roles
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            if let Role::Values(c) = r {
                Some((i, c.clone()))
            } else {
                None
            }
        })
        .collect();
    let dim_cols: Vec<(usize, String)> = roles
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            if let Role::Dim(c) = r {
                Some((i, c.clone()))
            } else {
                None
            }
        })
        .collect();
    if layout == Layout::Wide && value_cols.is_empty() && !out.problems.has_errors() {
        out.problems.error(
            place,
            hr,
            None,
            None,
            format!("no indicator columns; found: {found}"),
        );
    }
    for (i, r) in roles.iter().enumerate() {
        if r == &Role::Ignore && table.header[i].is_empty() {
            // An unnamed column is fine only while it stays empty; checked per row.
        }
    }
    if out.problems.has_errors() {
        return None;
    }
    Some(Columns {
        roles,
        period: period_col,
        level: level_col,
        item: item_col,
        indicator: ind_col,
        value: value_col,
        layout,
        values: value_cols,
        dims: dim_cols,
    })
}

/// What step 2 settles once per file.
struct Resolved {
    /// The period of every row (`--period`).
    constant_period: Option<Period>,
    /// The indicator of each wide value column, `None` where it is refused.
    wide_inds: Vec<Option<u32>>,
    /// Columns without a header, which must stay empty.
    unnamed: Vec<usize>,
    status_col: Option<usize>,
}

/// Step 2, the indicators of the file (wide layout: one per value column), the constant
/// period and the status column.
fn file_indicators(
    table: &Table,
    spec: &DataSpec,
    columns: &Columns,
    indicators: &mut Indicators<'_>,
    out: &mut DataRead,
) -> Option<Resolved> {
    let place = &table.place;
    let found = table.header.join(", ");
    let (roles, value_cols) = (&columns.roles, &columns.values);
    let constant_period = match &spec.period {
        Some(p) => match Period::parse(p) {
            Ok(p) => Some(p),
            Err(e) => {
                out.problems
                    .error(place, None, Some("--period"), Some(p), e.to_string());
                return None;
            }
        },
        None => None,
    };
    let wide_inds: Vec<Option<u32>> = value_cols
        .iter()
        .map(|(_, code)| {
            indicators.resolve(code, Some(table.header_row), Some(code), &mut out.problems)
        })
        .collect();
    let unnamed: Vec<usize> = (0..roles.len())
        .filter(|&i| table.header[i].is_empty())
        .collect();
    let status_col = match &spec.status_column {
        Some(c) => match table.header.iter().position(|h| h.eq_ignore_ascii_case(c)) {
            Some(i) => Some(i),
            None => {
                out.problems.error(
                    place,
                    Some(table.header_row),
                    Some(c),
                    None,
                    format!("no such column for --status-column; found: {found}"),
                );
                return None;
            }
        },
        None => None,
    };
    Some(Resolved {
        constant_period,
        wide_inds,
        unnamed,
        status_col,
    })
}

/// Step 3, the decimal separator: from the option, else from a sample of value cells. A file
/// whose values show no separator at all has none to report (it used to be called "decimal
/// comma" for being `;`-separated); the guess only decides how a later cell would be read.
fn decimal_separator(
    path: &Path,
    topts: &TableOptions,
    pick: &dyn Fn(&str, &[String]) -> bool,
    table: &Table,
    spec: &DataSpec,
    columns: &Columns,
    out: &mut DataRead,
) -> Option<DecimalSeparator> {
    let place = &table.place;
    let (layout, value_cols, value_col) = (columns.layout, &columns.values, columns.value);
    let mut seen_separator = spec.decimal.is_some();
    let decimal = match spec.decimal {
        Some(d) => d,
        None => {
            let value_idx: Vec<usize> = match layout {
                Layout::Wide => value_cols.iter().map(|(i, _)| *i).collect(),
                Layout::Long => value_col.into_iter().collect(),
            };
            // (row, column, text) of cells that show a separator.
            let mut sample: Vec<(u64, usize, String)> = Vec::new();
            if let Ok(mut t) = Table::open(path, topts, &pick) {
                let _ = t.for_each_row(|line, cells| {
                    for &i in &value_idx {
                        if let Some(c) = cells.get(i)
                            && c.contains(['.', ','])
                        {
                            sample.push((line, i, c.to_string()));
                        }
                    }
                    sample.len() < 20_000
                });
            }
            match detect_decimal(sample.iter().map(|(_, _, c)| c.as_str())) {
                Ok(Some(d)) => {
                    seen_separator = true;
                    d
                }
                Ok(None) => {
                    if table.detected.delimiter.as_deref() == Some(";") {
                        DecimalSeparator::Comma
                    } else {
                        DecimalSeparator::Point
                    }
                }
                Err((a, b)) => {
                    let (ra, ca, va) = &sample[a];
                    let (rb, cb, vb) = &sample[b];
                    out.problems.error(
                        place,
                        Some(*rb),
                        Some(&table.header[*cb]),
                        Some(vb),
                        format!(
                            "a decimal comma, while row {ra}, column '{}' has a decimal point ('{}'); the file mixes both: fix it or pass --decimal point|comma",
                            peil_core::shown(&table.header[*ca]),
                            peil_core::shown(va)
                        ),
                    );
                    return None;
                }
            }
        }
    };
    out.decimal = seen_separator.then_some(decimal);
    Some(decimal)
}

/// What every row is read with (step 4).
struct RowRules<'a> {
    spec: &'a DataSpec,
    opts: &'a DataOptions,
    catalog: &'a Catalog,
    columns: &'a Columns,
    resolved: &'a Resolved,
    decimal: DecimalSeparator,
    /// CSV rows must be as wide as the header; workbook rows may be shorter.
    strict_width: bool,
}

/// Step 4, the rows: every cell validated and turned into records, with the problems of
/// unknown areas and blank cells of unmapped statuses reported once each. Returns the records
/// and the series they belong to.
fn read_rows(
    table: &mut Table,
    rules: &RowRules<'_>,
    indicators: &mut Indicators<'_>,
    out: &mut DataRead,
) -> (Vec<Rec>, Vec<SeriesKey>) {
    let RowRules {
        spec,
        opts,
        catalog,
        columns,
        resolved,
        decimal,
        strict_width,
    } = *rules;
    let Columns {
        period: period_col,
        level: level_col,
        item: item_col,
        indicator: ind_col,
        value: value_col,
        layout,
        values: ref value_cols,
        dims: ref dim_cols,
        ..
    } = *columns;
    let Resolved {
        constant_period,
        ref wide_inds,
        ref unnamed,
        status_col,
    } = *resolved;
    let place = table.place.clone();
    let mut series: HashMap<(u32, u32, Period, u32), u32> = HashMap::new();
    let mut series_keys: Vec<SeriesKey> = Vec::new();
    let mut level_names: Vec<String> = Vec::new();
    let mut level_index: HashMap<String, Option<u32>> = HashMap::new();
    let mut dims_names: Vec<DimKey> = vec![DimKey::default()];
    let mut dims_index: HashMap<Vec<String>, u32> = HashMap::new();
    let mut recs: Vec<Rec> = Vec::new();
    let mut unknown_items: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    // With a status column: per status that --status-map does not name, the blank cells loaded
    // as no record (count, first row, first column) while the row has values elsewhere.
    let mut unmapped_blanks: BTreeMap<String, (u64, u64, usize)> = BTreeMap::new();
    let mut last_period: (String, Option<Period>) = (String::new(), None);
    let width = table.header.len();
    let constant_level = spec.geolevel.clone();
    let header = table.header.clone();
    let mut rows = 0u64;
    let mut dropped = 0u64;
    let mut pending: Vec<(u32, u32, usize)> = Vec::new();
    let problems = &mut out.problems;
    let read = table.for_each_row(|line, cells| {
        rows += 1;
        if problems.saturated() {
            return false;
        }
        if strict_width && cells.len() != width && !(cells.len() > width && cells[width..].iter().all(|c| c.trim().is_empty())) {
            problems.error(&place, Some(line), None, None, format!(
                    "this row has {} {}, the header has {width} (ragged row; check the delimiter and quoting)",
                    cells.len(),
                    if cells.len() == 1 { "cell" } else { "cells" }
                ));
            return true;
        }
        if cells.len() > width && cells[width..].iter().any(|c| !c.trim().is_empty()) {
            problems.error(&place, Some(line), None, Some(cells[width]), format!("a value beyond the last named column ({width} columns in the header)"));
            return true;
        }
        for &u in unnamed {
            if let Some(c) = cells.get(u).filter(|c| !c.trim().is_empty()) {
                problems.error(&place, Some(line), Some(&format!("#{}", u + 1)), Some(c), "a value in a column without a header; name the column or remove it");
                return true;
            }
        }
        let cell = |i: usize| cells.get(i).copied().unwrap_or("");
        // Period.
        let period = match (period_col, constant_period) {
            (Some(pc), _) => {
                let raw = cell(pc);
                if raw != last_period.0 {
                    last_period = (raw.to_string(), Period::parse(raw).ok());
                }
                match last_period.1 {
                    Some(p) => p,
                    None => {
                        problems.error(&place, Some(line), Some(&header[pc]), Some(raw), "expected a period code such as 2019, 2019H1, 2019Q3 or 2019M03");
                        return true;
                    }
                }
            }
            (None, Some(p)) => p,
            (None, None) => return false,
        };
        // Level.
        let level_raw = match (level_col, &constant_level) {
            (Some(lc), _) => cell(lc).trim(),
            (None, Some(l)) => l.as_str(),
            (None, None) => return false,
        };
        let level = match level_index.get(level_raw) {
            Some(l) => *l,
            None => {
                let l = if catalog.levels.contains_key(level_raw) {
                    level_names.push(level_raw.to_string());
                    Some(level_names.len() as u32 - 1)
                } else {
                    let mut known: Vec<&String> = catalog.levels.keys().collect();
                    known.sort();
                    let known = known.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
                    problems.error(
                        &place,
                        Some(line),
                        level_col.map(|c| header[c].as_str()).or(Some("--geolevel")),
                        Some(level_raw),
                        format!("unknown geo level (known: {}); import its area definitions first", if known.is_empty() { "none" } else { &known }),
                    );
                    None
                };
                level_index.insert(level_raw.to_string(), l);
                l
            }
        };
        let Some(level) = level else { return true };
        // Item.
        let item_raw = cell(item_col.unwrap_or(0)).trim();
        let level_code = &level_names[level as usize];
        let level_items = &catalog.levels[level_code].items;
        // The common case needs no allocation: the trimmed cell is the code.
        let item = match level_items.get(item_raw) {
            Some(id) => *id,
            None => {
                let Some(code) = normalize_code(item_raw) else {
                    problems.error(&place, Some(line), Some(&header[item_col.unwrap_or(0)]), None, "empty geoitem code");
                    return true;
                };
                match level_items.get(&code) {
                    Some(id) => *id,
                    None => {
                        let e = unknown_items.entry((level_code.clone(), code)).or_insert((line, 0));
                        e.1 += 1;
                        return true;
                    }
                }
            }
        };
        pending.clear();
        let blank_as = match status_col {
            Some(sc) => {
                let st = cell(sc).trim();
                spec.status_map.iter().find(|(v, _)| v.eq_ignore_ascii_case(st)).map(|(_, c)| *c).or(opts.empty_as)
            }
            None => opts.empty_as,
        };
        match layout {
            Layout::Wide => {
                for ((i, _), ind) in value_cols.iter().zip(wide_inds) {
                    if let Some(ind) = ind {
                        pending.push((*ind, 0, *i));
                    }
                }
            }
            Layout::Long => {
                let (ic, vc) = (ind_col.unwrap_or(0), value_col.unwrap_or(0));
                let Some(ind) = indicators.resolve(cell(ic).trim(), Some(line), Some(&header[ic]), problems) else {
                    return true;
                };
                let mut dims = 0;
                if !dim_cols.is_empty() {
                    let mut key: Vec<String> = Vec::new();
                    for (i, lvl) in dim_cols {
                        let m = cell(*i).trim();
                        if m.is_empty() {
                            continue;
                        }
                        if !catalog.dim_members[lvl].contains(m) {
                            problems.error(&place, Some(line), Some(&header[*i]), Some(m), format!("not a member of dimension level {lvl}"));
                            return true;
                        }
                        key.push(format!("{lvl}={m}"));
                    }
                    let cube = &indicators.dim_levels[ind as usize];
                    let named: Vec<&str> = key.iter().filter_map(|k| k.split_once('=').map(|(l, _)| l)).collect();
                    if let Some(bad) = named.iter().find(|l| !cube.iter().any(|c| c == *l)) {
                        problems.error(&place, Some(line), Some(bad), None, format!("indicator {} has no dimension level {bad}", indicators.codes[ind as usize]));
                        return true;
                    }
                    dims = match dims_index.get(&key) {
                        Some(d) => *d,
                        None => {
                            let d = dims_names.len() as u32;
                            dims_names.push(DimKey::new(
                                key.iter().filter_map(|k| k.split_once('=')).map(|(a, b)| (a.to_string(), b.to_string())).collect(),
                            ));
                            dims_index.insert(key, d);
                            d
                        }
                    };
                }
                pending.push((ind, dims, vc));
            }
        }
        for &(ind, dims, col) in pending.iter() {
            let raw = cell(col);
            let value = match parse_cell(raw, decimal) {
                Ok(Cell::Blank) => match blank_as {
                    Some(code) => Value::Missing(code),
                    None => {
                        if let Some(sc) = status_col {
                            let e = unmapped_blanks
                                .entry(cell(sc).trim().to_string())
                                .or_insert((0, line, col));
                            e.0 += 1;
                        }
                        continue;
                    }
                },
                Ok(Cell::Value(v)) => v,
                Err(NotANumber) => {
                    let sep = match decimal { DecimalSeparator::Point => "point", DecimalSeparator::Comma => "comma" };
                    problems.error(&place, Some(line), Some(&header[col]), Some(raw), format!("expected a number (decimal {sep}) or a missing symbol x ? nvt - or code -99999…-99996"));
                    continue;
                }
            };
            if opts.drop_special_codes && matches!(value, Value::Missing(_)) {
                dropped += 1;
                continue;
            }
            let key = (ind, level, period, dims);
            let s = match series.get(&key) {
                Some(s) => *s,
                None => {
                    let s = series_keys.len() as u32;
                    series_keys.push(SeriesKey {
                        indicator: indicators.codes[ind as usize].clone(),
                        level: level_code.clone(),
                        period,
                        dims: dims_names[dims as usize].clone(),
                    });
                    series.insert(key, s);
                    s
                }
            };
            recs.push(Rec { key: (u64::from(s) << 32) | u64::from(item), row: line as u32, value });
        }
        true
    });
    if let Err(p) = read {
        out.problems.list.push(*p);
        out.problems.errors += 1;
    }
    out.rows = rows;
    if rows == 0 && !out.problems.has_errors() {
        out.problems.error(
            &place,
            None,
            None,
            None,
            "the file has a header but no data rows",
        );
    }
    for ((level, code), (line, n)) in &unknown_items {
        let more = if *n > 1 {
            format!(" (and {} more rows)", n - 1)
        } else {
            String::new()
        };
        let col = item_col.map(|c| header[c].as_str());
        if opts.skip_unknown_areas {
            out.skipped_rows += n;
            out.problems.warning(
                &place,
                Some(*line),
                col,
                Some(code),
                format!("not an item of {level}: skipped{more}"),
            );
        } else {
            out.problems.error(&place, Some(*line), col, Some(code), format!("not an item of {level}{more}; import the area definitions, fix the code, or pass --skip-unknown-areas"));
        }
    }
    for (status, (n, line, col)) in &unmapped_blanks {
        out.problems.warning(
            &place,
            Some(*line),
            Some(&header[*col]),
            None,
            format!(
                "{n} blank cells in rows with status '{status}' load as no record (where other \
                 cells of the same rows load, a count still counts in a parent's total while the \
                 income it goes with does not, so parent means come out too low); if the source \
                 left them blank to suppress them (Statbel does), import with --empty-as x, or \
                 name the status in --status-map"
            ),
        );
    }
    out.dropped_values = dropped;
    (recs, series_keys)
}

/// Step 5, sort and find duplicates: refused, or added up with `totalize_duplicates`.
fn sort_and_deduplicate(
    mut recs: Vec<Rec>,
    series_keys: Vec<SeriesKey>,
    catalog: &Catalog,
    opts: &DataOptions,
    place: &Place,
    out: &mut DataRead,
) {
    recs.sort_unstable_by_key(|r| (r.key, r.row));
    let mut records: Vec<DataRecord> = Vec::with_capacity(recs.len());
    let mut i = 0;
    while i < recs.len() {
        let mut j = i + 1;
        while j < recs.len() && recs[j].key == recs[i].key {
            j += 1;
        }
        let mut value = recs[i].value;
        if j - i > 1 {
            let key = &series_keys[(recs[i].key >> 32) as usize];
            if opts.totalize_duplicates {
                value = total(recs[i..j].iter().map(|r| r.value));
                out.totalized += (j - i - 1) as u64;
            } else {
                let rows: Vec<String> = recs[i..j].iter().map(|r| r.row.to_string()).collect();
                let item_id = recs[i].key as u32;
                let item_code = catalog.levels[&key.level]
                    .items
                    .iter()
                    .find(|(_, id)| **id == item_id)
                    .map(|(c, _)| c.as_str())
                    .unwrap_or("?");
                out.problems.error(
                    place,
                    Some(u64::from(recs[i + 1].row)),
                    None,
                    None,
                    format!(
                        "duplicate record for {} {} {} {}{} (rows {}); remove the duplicates or pass --totalize-duplicates",
                        key.indicator,
                        key.level,
                        item_code,
                        key.period,
                        if key.dims.is_empty() { String::new() } else { format!(" [{}]", key.dims.to_text()) },
                        rows.join(", ")
                    ),
                );
            }
        }
        records.push(DataRecord {
            series: (recs[i].key >> 32) as u32,
            item: recs[i].key as u32,
            value,
        });
        i = j;
    }
    drop(recs);
    if out.problems.has_errors() {
        return;
    }
    out.batch.series = series_keys;
    out.batch.records = records;
}

struct Rec {
    key: u64,
    row: u32,
    value: Value,
}

/// Adds up duplicate records (`--totalize-duplicates`) with the engine's rule for totals:
/// numbers add up, `x` and `?` poison (`x` before `?`, whatever the order of the records),
/// `nvt` and empty are skipped; only skipped codes give `nvt` if there is one, else empty.
fn total(values: impl Iterator<Item = Value>) -> Value {
    let mut sum: Option<f64> = None;
    let mut poison: Option<MissingCode> = None;
    let mut skipped: Option<MissingCode> = None;
    for v in values {
        match v {
            Value::Number(n) => sum = Some(sum.unwrap_or(0.0) + n),
            Value::Missing(c) if c.poisons() => poison = Some(poison.map_or(c, |p| p.stronger(c))),
            Value::Missing(c) => skipped = Some(skipped.map_or(c, |s| s.stronger(c))),
        }
    }
    match (poison, sum, skipped) {
        (Some(p), _, _) => Value::Missing(p),
        (None, Some(s), _) => Value::Number(s),
        (None, None, Some(c)) => Value::Missing(c),
        (None, None, None) => Value::Missing(MissingCode::Empty),
    }
}

/// The indicators a file names, resolved once each.
struct Indicators<'a> {
    catalog: &'a Catalog,
    opts: &'a DataOptions,
    place: &'a Place,
    codes: Vec<String>,
    dim_levels: Vec<Vec<String>>,
    index: HashMap<String, Option<u32>>,
    created: Vec<String>,
}

impl<'a> Indicators<'a> {
    fn new(catalog: &'a Catalog, opts: &'a DataOptions, place: &'a Place) -> Self {
        Indicators {
            catalog,
            opts,
            place,
            codes: Vec::new(),
            dim_levels: Vec::new(),
            index: HashMap::new(),
            created: Vec::new(),
        }
    }

    fn resolve(
        &mut self,
        code: &str,
        row: Option<u64>,
        column: Option<&str>,
        problems: &mut Problems,
    ) -> Option<u32> {
        if let Some(r) = self.index.get(code) {
            return *r;
        }
        let r = self.check(code, row, column, problems).map(|dims| {
            self.codes.push(code.to_string());
            self.dim_levels.push(dims);
            self.codes.len() as u32 - 1
        });
        self.index.insert(code.to_string(), r);
        r
    }

    fn check(
        &mut self,
        code: &str,
        row: Option<u64>,
        column: Option<&str>,
        problems: &mut Problems,
    ) -> Option<Vec<String>> {
        let valid = !code.is_empty()
            && code.len() <= 64
            && code
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            problems.error(
                self.place,
                row,
                column,
                Some(code),
                "not a valid indicator code (letters, digits, _ - . ; at most 64 characters)",
            );
            return None;
        }
        match self.catalog.indicators.get(code) {
            Some(i) if i.is_formula => {
                problems.error(
                    self.place,
                    row,
                    column,
                    Some(code),
                    "this is a formula indicator: its values are computed, not loaded",
                );
                None
            }
            Some(i) if !i.data_type.is_numeric() => {
                problems.error(
                    self.place,
                    row,
                    column,
                    Some(code),
                    "this is a label/text indicator; loading text values is not supported yet",
                );
                None
            }
            Some(i) => Some(i.dim_levels.clone()),
            None if self.opts.no_new_indicators => {
                problems.error(
                    self.place,
                    row,
                    column,
                    Some(code),
                    "unknown indicator; import its metadata first (or allow new indicators)",
                );
                None
            }
            None => {
                problems.warning(self.place, row, column, Some(code), "new indicator: created as numeric with the code as name and no period type, so its periods are not aggregated (months do not add up to years); import metadata with a 'period type' (stock, flow, average_stock, growth_rate, independent) to describe it");
                self.created.push(code.to_string());
                Some(Vec::new())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_follow_missing_rules() {
        use MissingCode::*;
        let n = Value::Number;
        let m = Value::Missing;
        assert_eq!(total([n(1.0), n(2.0)].into_iter()), n(3.0));
        assert_eq!(total([n(1.0), m(NotApplicable)].into_iter()), n(1.0));
        assert_eq!(total([n(1.0), m(Hidden)].into_iter()), m(Hidden));
        // `x` before `?` in either order of the records.
        assert_eq!(total([m(Unknown), m(Hidden)].into_iter()), m(Hidden));
        assert_eq!(
            total([m(Hidden), n(2.0), m(Unknown)].into_iter()),
            m(Hidden)
        );
        assert_eq!(total([m(Empty), m(Unknown)].into_iter()), m(Unknown));
        assert_eq!(
            total([m(Empty), m(NotApplicable)].into_iter()),
            m(NotApplicable)
        );
    }
}
