//! Indicator metadata tables (like Swing's `indicator_metadata_example.xlsx`) and theme trees.
//!
//! A metadata table may start with rows of explanations; the header is the first row that
//! names an indicator-code column. Columns are matched by their English or Dutch names.
//! An empty cell leaves the stored field as it was, so a partial table never wipes metadata.

use crate::areas::Read;
use crate::table::{Table, TableOptions, file_name, is_workbook, read_workbook};
use crate::workbook::SheetRows;
use peil_core::*;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Splits a normalised header into its field and language: `name en` → (`name`, `en`);
/// without a language suffix the language is Dutch.
fn split_lang(n: &str) -> (String, String) {
    match n.rsplit_once(' ') {
        Some((b, l)) if matches!(l, "nl" | "en" | "fr" | "de") => (b.to_string(), l.to_string()),
        _ => (n.to_string(), "nl".to_string()),
    }
}

/// The text of one field in every language column a row has, or `fallback` in Dutch.
fn localized(
    fields: &[Option<(&str, String)>],
    cells: &[&str],
    field: &str,
    fallback: &str,
) -> LocalizedText {
    let mut text = LocalizedText::default();
    for (i, f) in fields.iter().enumerate() {
        if let Some((name, lang)) = f
            && *name == field
            && let Some(v) = cells.get(i).map(|c| c.trim()).filter(|c| !c.is_empty())
        {
            text.0.insert(lang.clone(), v.to_string());
        }
    }
    if text.is_empty() {
        LocalizedText::nl(fallback)
    } else {
        text
    }
}

fn norm(h: &str) -> String {
    let h = h
        .trim()
        .to_lowercase()
        .replace(['_', '-', '.', '(', ')'], " ");
    h.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A metadata column: the field and, for texts, the language.
#[derive(Debug, Clone, PartialEq)]
enum Field {
    Code,
    Name(String),
    Description(String),
    MoreInfo(String),
    Unit,
    Source,
    DataType,
    PeriodType,
    Aggregation,
    Sample,
    Stddev,
    Population,
    Threshold,
    ThresholdIndicator,
    Rounding,
    Decimals,
    Formula,
    NonAggregable,
    Status,
    Visibility,
    Themes,
    Protected,
    DimLevels,
    TotalOf,
    Seq,
    StartPeriod,
    EndPeriod,
    ProvisionalPeriod,
    ForecastPeriod,
    /// Swing's "Aggregate geoitems": 0 means not aggregable over areas.
    AggregateGeo,
    /// Swing's "Aggregate periods": 0 means not aggregable over periods.
    AggregatePeriods,
    Footnote(String),
    ExcludeFromSearch,
    /// A survey indicator's confidence level (90, 95, 99), kept in `extra`.
    Confidence,
    /// A survey indicator's benchmark area (`level` or `level:item`), kept in `extra`.
    Benchmark,
    /// Known Swing columns without a field of their own: kept verbatim in `extra`.
    Unused,
}

fn field(h: &str) -> Option<Field> {
    let n = norm(h);
    let (base, lang) = split_lang(&n);
    Some(match base.as_str() {
        "indicator code" | "onderwerpcode" | "onderwerp code" | "code" | "indicator"
        | "variable" => Field::Code,
        "name" | "naam" => Field::Name(lang),
        "description" | "beschrijving" | "omschrijving" => Field::Description(lang),
        "more information" | "meer informatie" | "more info" => Field::MoreInfo(lang),
        "unit" | "eenheid" => Field::Unit,
        "source" | "bron" => Field::Source,
        "data type" | "datatype" => Field::DataType,
        "period type" | "periodetype" | "periode type" => Field::PeriodType,
        "start period" | "startperiode" | "begin periode" => Field::StartPeriod,
        "end period" | "eindperiode" | "eind periode" => Field::EndPeriod,
        "provisional period" | "voorlopige periode" => Field::ProvisionalPeriod,
        "forecast period" | "prognoseperiode" | "prognose periode" => Field::ForecastPeriod,
        "aggregate geoitems" | "aggregeer gebieden" => Field::AggregateGeo,
        "aggregate periods" | "aggregeer periodes" => Field::AggregatePeriods,
        "footnote" | "voetnoot" => Field::Footnote(lang),
        "exclude from search" | "niet zoeken" => Field::ExcludeFromSearch,
        "confidence level" | "confidence" | "betrouwbaarheidsniveau" | "betrouwbaarheid" => {
            Field::Confidence
        }
        "benchmark" | "benchmark area" | "referentiegebied" | "benchmarkgebied" => Field::Benchmark,
        "aggregation indicator" | "aggregatieonderwerp" | "aggregatie onderwerp" => {
            Field::Aggregation
        }
        "sample indicator" | "steekproefonderwerp" | "steekproef onderwerp" => Field::Sample,
        "stddev indicator" | "stddev indciator" | "standaarddeviatie onderwerp" => Field::Stddev,
        "population indicator" | "populatieonderwerp" => Field::Population,
        "threshold" | "threshold value" | "drempel" | "drempelwaarde" => Field::Threshold,
        "threshold indicator" | "drempelonderwerp" | "drempel onderwerp" => {
            Field::ThresholdIndicator
        }
        "rounding" | "roundoff" | "afronding" => Field::Rounding,
        "decimals" | "decimalen" => Field::Decimals,
        "formula" | "formule" => Field::Formula,
        "non aggregable" | "niet aggregeerbaar" => Field::NonAggregable,
        "status" | "lifecycle" => Field::Status,
        "visibility" | "zichtbaarheid" | "access" => Field::Visibility,
        "theme" | "themes" | "thema" | "themas" | "themapad" => Field::Themes,
        "protected" | "beschermd" => Field::Protected,
        "dim levels" | "dimensions" | "dimensies" => Field::DimLevels,
        "seq no" | "seq" | "volgnummer" => Field::Seq,
        "total of" | "totaal van" | "som van" | "sum of" => Field::TotalOf,
        "base indicator"
        | "allocation indicator"
        | "vrij tekstveld"
        | "geo type"
        | "visible"
        | "interpolation"
        | "extrapolation"
        | "metadata modification date"
        | "data modification date"
        | "rating"
        | "free textfield"
        | "free text field 2"
        | "free text field 3"
        | "cube"
        | "use alternative period names"
        | "keywords"
        | "search cluster name"
        | "calculation indicator" => Field::Unused,
        _ => return None,
    })
}

/// Whether a row is the header of a metadata table.
pub fn is_metadata_header(row: &[String]) -> bool {
    row.iter().any(|h| field(h) == Some(Field::Code))
        && row
            .iter()
            .filter(|h| matches!(field(h), Some(f) if f != Field::Code && f != Field::Unused))
            .count()
            >= 2
}

/// Finds the header among the first rows of a workbook or CSV and returns the table.
fn open(
    path: &Path,
    topts: &TableOptions,
    is_header: &dyn Fn(&[String]) -> bool,
) -> Result<Table, Box<Problem>> {
    let place = Place::file(file_name(path));
    let mut csv_detected = None;
    let sheets: Vec<(Option<String>, SheetRows)> = if is_workbook(path) {
        read_workbook(path)?
            .into_iter()
            .filter(|(n, _)| topts.sheet.as_ref().is_none_or(|s| s == n))
            .map(|(n, r)| (Some(n), r))
            .collect()
    } else {
        let mut t = Table::open(path, topts, &|_, _| true)?;
        let mut rows = vec![(t.header_row, t.header.clone())];
        t.for_each_row(|n, cells| {
            rows.push((n, cells.iter().map(|c| c.to_string()).collect()));
            true
        })?;
        csv_detected = Some(t.detected.clone());
        vec![(None, rows)]
    };
    for (sheet, rows) in sheets {
        if let Some(pos) = rows.iter().take(10).position(|(_, r)| is_header(r)) {
            let mut t = Table::from_rows(
                place.with_sheet(sheet.as_deref()),
                rows.into_iter().skip(pos).collect(),
            )?;
            // A CSV keeps what was detected (its delimiter names the cause of spilled rows).
            if let Some(d) = csv_detected {
                t.detected = d;
            }
            return Ok(t);
        }
    }
    Err(crate::table::problem(
        &place,
        None,
        None,
        None,
        "no header row with an indicator code column and metadata columns (name, unit, source, formula, data type…) in the first 10 rows",
    ))
}

/// Reads an indicator metadata table. `existing` gives the stored indicator for a code, so
/// that fields the file leaves empty keep their stored value.
pub fn read_metadata(
    path: &Path,
    topts: &TableOptions,
    catalog: &Catalog,
    existing: &dyn Fn(&str) -> Option<Indicator>,
) -> Read<MetadataBatch> {
    match open(path, topts, &|r| is_metadata_header(r)) {
        Ok(t) => read_metadata_table(t, catalog, existing),
        Err(p) => Read::fail(*p),
    }
}

/// Reads indicator metadata given as rows (the first is the header) rather than as a file:
/// the back office's indicator form sends its fields as one row under the workbook's column
/// names ([`metadata_columns`]), so a form and a file are checked by the same rules, with
/// problems naming the same columns. `source` names the rows in problems.
pub fn read_metadata_rows(
    source: &str,
    rows: SheetRows,
    catalog: &Catalog,
    existing: &dyn Fn(&str) -> Option<Indicator>,
) -> Read<MetadataBatch> {
    match Table::from_rows(Place::file(source), rows) {
        Ok(t) => read_metadata_table(t, catalog, existing),
        Err(p) => Read::fail(*p),
    }
}

fn read_metadata_table(
    mut t: Table,
    catalog: &Catalog,
    existing: &dyn Fn(&str) -> Option<Indicator>,
) -> Read<MetadataBatch> {
    let mut out: Read<MetadataBatch> = Read::default();
    let place = t.place.clone();
    let header = t.header.clone();
    let fields: Vec<Option<Field>> = header.iter().map(|h| field(h)).collect();
    for (h, f) in header.iter().zip(&fields) {
        if f.is_none() && !h.is_empty() {
            out.problems.warning(
                &place,
                Some(t.header_row),
                Some(h),
                None,
                "unknown column: left out",
            );
        }
    }
    let code_col = fields
        .iter()
        .position(|f| f == &Some(Field::Code))
        .unwrap_or(0);
    let mut inds: Vec<(u64, Indicator)> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let problems = &mut out.problems;
    let mut rows = 0;
    let delimiter = t.detected.delimiter.clone();
    let r = t.for_each_row(|line, cells| {
        rows += 1;
        // A CSV row with more filled cells than columns: a list inside a cell (dim levels,
        // themes) written with the file's own delimiter spilled into the next columns, where it
        // would be read as something else (a formula, a status).
        if let Some(((extra, _), d)) = cells
            .iter()
            .enumerate()
            .skip(header.len())
            .find(|(_, c)| !c.trim().is_empty())
            .zip(delimiter.as_deref())
        {
            problems.error(
                &place,
                Some(line),
                None,
                Some(cells[extra]),
                format!(
                    "this row has {} cells but the header only {} columns: a list inside a cell \
                     (dim levels, themes) must not use the file's delimiter '{d}'; separate it \
                     with '|' (leeftijd5|leeftijd3|geslacht), or quote the cell",
                    cells.iter().rposition(|c| !c.trim().is_empty()).map_or(0, |i| i + 1),
                    header.len()
                ),
            );
            return true;
        }
        let code = cells.get(code_col).map(|c| c.trim()).unwrap_or("");
        if code.is_empty() {
            problems.warning(&place, Some(line), Some(&header[code_col]), None, "no indicator code: row left out");
            return true;
        }
        if !code.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')) || code.len() > 64 {
            problems.error(&place, Some(line), Some(&header[code_col]), Some(code), "not a valid indicator code (letters, digits, _ - . ; at most 64 characters)");
            return true;
        }
        if let Some(first) = seen.get(code) {
            problems.error(&place, Some(line), Some(&header[code_col]), Some(code), format!("indicator listed twice (also in row {first})"));
            return true;
        }
        seen.insert(code.to_string(), line);
        let is_new = existing(code).is_none();
        // A new indicator whose row gives no period type is not aggregated over periods
        // (period type independent), never guessed a stock.
        let mut ind = existing(code).unwrap_or_else(|| Indicator {
            period_type: PeriodType::Independent,
            ..Indicator::new(code)
        });
        let mut period_type_given = false;
        for (i, f) in fields.iter().enumerate() {
            let Some(f) = f else { continue };
            let raw = cells.get(i).map(|c| c.trim()).unwrap_or("");
            if raw.is_empty() {
                continue;
            }
            let col = Some(header[i].as_str());
            let mut bad = |what: &str| problems.error(&place, Some(line), col, Some(raw), format!("expected {what}"));
            let num = |raw: &str| parse_number(raw, DecimalSeparator::Point).or_else(|| parse_number(raw, DecimalSeparator::Comma));
            let opt = |raw: &str| Some(raw.to_string());
            match f {
                Field::Code => {}
                Field::Unused => {
                    ind.extra.insert(header[i].clone(), raw.to_string());
                }
                Field::StartPeriod | Field::EndPeriod | Field::ProvisionalPeriod | Field::ForecastPeriod => match Period::parse(raw) {
                    Ok(p) => match f {
                        Field::StartPeriod => ind.start_period = Some(p),
                        Field::EndPeriod => ind.end_period = Some(p),
                        Field::ProvisionalPeriod => ind.provisional_period = Some(p),
                        _ => ind.forecast_period = Some(p),
                    },
                    Err(_) => bad("a period code such as 2019, 2019Q3 or 2019M03"),
                },
                Field::AggregateGeo => match parse_bool(raw) {
                    Some(b) => ind.non_aggregable = !b,
                    None => bad("1 (aggregable) or 0 (not aggregable)"),
                },
                Field::AggregatePeriods => match parse_bool(raw) {
                    Some(b) => ind.non_aggregable_periods = !b,
                    None => bad("1 (aggregable) or 0 (not aggregable)"),
                },
                Field::ExcludeFromSearch => match parse_bool(raw) {
                    Some(b) => ind.exclude_from_search = b,
                    None => bad("1 (left out of search) or 0"),
                },
                Field::Confidence => match parse_confidence(raw) {
                    Some(c) => {
                        ind.extra.insert(EXTRA_CONFIDENCE.into(), c.to_string());
                    }
                    None => bad("a confidence level: 90, 95 or 99 (%)"),
                },
                Field::Benchmark => {
                    let known = match raw.split_once(':') {
                        Some((l, it)) => catalog
                            .levels
                            .get(l.trim())
                            .is_some_and(|lc| lc.items.contains_key(it.trim())),
                        None => catalog.levels.contains_key(raw),
                    };
                    if known {
                        ind.extra.insert(EXTRA_BENCHMARK.into(), raw.to_string());
                    } else {
                        bad("a benchmark: a geo level code (each area against its own area on that level) or level:area for one fixed area, both known to the site");
                    }
                }
                Field::Footnote(l) => {
                    ind.footnote.0.insert(l.clone(), raw.to_string());
                }
                Field::Name(l) => {
                    if raw.chars().count() > 100 {
                        problems.warning(&place, Some(line), col, Some(raw), "name longer than 100 characters; lists and charts will cut it");
                    }
                    ind.name.0.insert(l.clone(), raw.to_string());
                }
                Field::Description(l) => {
                    ind.description.0.insert(l.clone(), raw.to_string());
                }
                Field::MoreInfo(l) => {
                    ind.more_info.0.insert(l.clone(), raw.to_string());
                }
                Field::Unit => ind.unit = raw.to_string(),
                Field::Source => ind.source = raw.to_string(),
                Field::DataType => match DataType::parse(raw) {
                    Some(d) => ind.data_type = d,
                    None => bad("a data type: numeric, mean, percentage, ratio, objectcount, label, text or other"),
                },
                Field::PeriodType => match PeriodType::parse(raw) {
                    Some(p) => {
                        ind.period_type = p;
                        period_type_given = true;
                    }
                    None => bad("a period type: stock (stand), flow (lopend), average_stock, growth_rate or independent"),
                },
                Field::Aggregation => ind.aggregation_indicator = opt(raw),
                Field::Sample => ind.sample_indicator = opt(raw),
                Field::Stddev => ind.stddev_indicator = opt(raw),
                Field::Population => ind.population_indicator = opt(raw),
                Field::ThresholdIndicator => ind.threshold_indicator = opt(raw),
                Field::Threshold => match num(raw) {
                    Some(n) if n >= 0.0 => ind.threshold = Some(n),
                    _ => bad("a threshold: a number ≥ 0"),
                },
                Field::Rounding => match num(raw) {
                    Some(n) if n > 0.0 => ind.rounding = Some(n),
                    _ => bad("a rounding base: a number > 0 such as 1, 5 or 10"),
                },
                Field::Decimals => match num(raw) {
                    Some(n) if n.fract() == 0.0 && (0.0..=10.0).contains(&n) => ind.decimals = Some(n as u8),
                    _ => bad("a number of decimals from 0 to 10"),
                },
                Field::Formula => ind.formula = opt(raw),
                Field::NonAggregable => match parse_bool(raw) {
                    Some(b) => ind.non_aggregable = b,
                    None => bad("yes or no"),
                },
                Field::Protected => match parse_bool(raw) {
                    Some(b) => ind.protected = b,
                    None => bad("yes or no"),
                },
                Field::Status => match Lifecycle::parse(raw) {
                    Some(s) => ind.status = s,
                    None => bad("a status: active, retiring (uitdovend) or archived"),
                },
                Field::Visibility => ind.visibility = Visibility::parse(raw),
                Field::Themes => ind.themes = split_list(raw),
                Field::DimLevels => ind.dim_levels = split_list(raw),
                Field::TotalOf => {
                    ind.total_of = raw
                        .split(['+', '|', ','])
                        .map(|t| t.trim().to_string())
                        .filter(|t| !t.is_empty())
                        .collect();
                    if ind.total_of.iter().any(|t| t == code) {
                        bad("other indicators' codes, e.g. 'apartments + houses' (not itself)");
                    }
                }
                Field::Seq => match num(raw) {
                    Some(n) if n.fract() == 0.0 => ind.seq = Some(n as i64),
                    _ => bad("a whole sequence number"),
                },
            }
        }
        if is_new && !period_type_given && ind.formula.is_none() && ind.data_type.is_numeric() {
            problems.warning(&place, Some(line), None, Some(code), "no period type: its periods are not aggregated (months do not add up to years); give a 'period type' column: stock, flow, average_stock, growth_rate or independent");
        }
        inds.push((line, ind));
        !problems.saturated()
    });
    if let Err(p) = r {
        out.problems.list.push(*p);
        out.problems.errors += 1;
    }
    out.rows = rows;
    // References must name indicators that exist in the store or in this file.
    let in_file: HashSet<&str> = inds.iter().map(|(_, i)| i.code.as_str()).collect();
    for (line, ind) in &inds {
        for (what, r) in ind.metadata_references() {
            if !in_file.contains(r) && !catalog.indicators.contains_key(r) {
                out.problems.error(
                    &place,
                    Some(*line),
                    Some(what),
                    Some(r),
                    format!(
                        "{} refers to an unknown indicator; define it first or in the same file",
                        ind.code
                    ),
                );
            }
        }
        for d in &ind.dim_levels {
            if !catalog.dim_members.contains_key(d) {
                out.problems.error(
                    &place,
                    Some(*line),
                    Some("dim levels"),
                    Some(d),
                    "unknown dimension level",
                );
            }
        }
        if ind.formula.is_some() && !ind.dim_levels.is_empty() {
            out.problems.error(
                &place,
                Some(*line),
                Some("formula"),
                None,
                format!("{} is a cube; a cube cannot also be a formula", ind.code),
            );
        }
    }
    check_formula_definitions(&inds, catalog, &place, &header, &fields, &mut out.problems);
    if inds.is_empty() && !out.problems.has_errors() {
        out.problems
            .error(&place, None, None, None, "the table has no indicator rows");
    }
    if !out.problems.has_errors() {
        out.batch = Some(MetadataBatch {
            indicators: inds.into_iter().map(|(_, i)| i).collect(),
            ..Default::default()
        });
    }
    out
}

/// The columns Peil writes an indicator's metadata under (the metadata workbook that
/// `/admin/indicators.xlsx` downloads, and the back office's indicator form), in order. Each
/// is a header [`read_metadata`] reads back as the same field, so a written workbook imports
/// as the indicators it was written from.
pub const METADATA_COLUMNS: &[&str] = &[
    "code",
    "name",
    "name en",
    "name fr",
    "description",
    "description en",
    "description fr",
    "more information",
    "more information en",
    "more information fr",
    "unit",
    "source",
    "data type",
    "period type",
    "aggregation indicator",
    "sample indicator",
    "stddev indicator",
    "population indicator",
    "threshold",
    "threshold indicator",
    "rounding",
    "decimals",
    "formula",
    "non aggregable",
    "aggregate periods",
    "status",
    "visibility",
    "protected",
    "themes",
    "dim levels",
    "total of",
    "seq no",
    "start period",
    "end period",
    "provisional period",
    "forecast period",
    "footnote",
    "footnote en",
    "footnote fr",
    "exclude from search",
    "confidence level",
    "benchmark",
];

/// The header of a metadata workbook for these indicators: [`METADATA_COLUMNS`], then the
/// Swing columns without a field of their own that any of them keeps in `extra`.
pub fn metadata_header(inds: &[Indicator]) -> Vec<String> {
    let mut extra: Vec<&String> = inds
        .iter()
        .flat_map(|i| i.extra.keys())
        .filter(|k| field(k) == Some(Field::Unused))
        .collect();
    extra.sort();
    extra.dedup();
    METADATA_COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain(extra.into_iter().cloned())
        .collect()
}

/// An indicator's cells under `header` (from [`metadata_header`]): what [`read_metadata`]
/// reads back as this indicator. A field without a value is an empty cell.
pub fn metadata_cells(ind: &Indicator, header: &[String]) -> Vec<String> {
    // Only the language itself: `LocalizedText::get` would fall back to Dutch.
    let text = |t: &LocalizedText, l: &str| t.0.get(l).cloned().unwrap_or_default();
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let num = |n: Option<f64>| n.map(|n| n.to_string()).unwrap_or_default();
    let period = |p: &Option<Period>| p.as_ref().map(|p| p.code()).unwrap_or_default();
    let flag = |b: bool| if b { "1" } else { "0" }.to_string();
    header
        .iter()
        .map(|h| match field(h) {
            Some(Field::Code) => ind.code.clone(),
            Some(Field::Name(l)) => text(&ind.name, &l),
            Some(Field::Description(l)) => text(&ind.description, &l),
            Some(Field::MoreInfo(l)) => text(&ind.more_info, &l),
            Some(Field::Footnote(l)) => text(&ind.footnote, &l),
            Some(Field::Unit) => ind.unit.clone(),
            Some(Field::Source) => ind.source.clone(),
            Some(Field::DataType) => ind.data_type.code().into(),
            Some(Field::PeriodType) => ind.period_type.code().into(),
            Some(Field::Aggregation) => opt(&ind.aggregation_indicator),
            Some(Field::Sample) => opt(&ind.sample_indicator),
            Some(Field::Stddev) => opt(&ind.stddev_indicator),
            Some(Field::Population) => opt(&ind.population_indicator),
            Some(Field::Threshold) => num(ind.threshold),
            Some(Field::ThresholdIndicator) => opt(&ind.threshold_indicator),
            Some(Field::Rounding) => num(ind.rounding),
            Some(Field::Decimals) => ind.decimals.map(|d| d.to_string()).unwrap_or_default(),
            Some(Field::Formula) => opt(&ind.formula),
            Some(Field::NonAggregable) => flag(ind.non_aggregable),
            Some(Field::AggregateGeo) => flag(!ind.non_aggregable),
            Some(Field::AggregatePeriods) => flag(!ind.non_aggregable_periods),
            Some(Field::Status) => ind.status.code().into(),
            Some(Field::Visibility) => ind.visibility.code(),
            Some(Field::Protected) => flag(ind.protected),
            Some(Field::Themes) => ind.themes.join("|"),
            Some(Field::DimLevels) => ind.dim_levels.join("|"),
            Some(Field::TotalOf) => ind.total_of.join(" + "),
            Some(Field::Seq) => ind.seq.map(|s| s.to_string()).unwrap_or_default(),
            Some(Field::StartPeriod) => period(&ind.start_period),
            Some(Field::EndPeriod) => period(&ind.end_period),
            Some(Field::ProvisionalPeriod) => period(&ind.provisional_period),
            Some(Field::ForecastPeriod) => period(&ind.forecast_period),
            Some(Field::ExcludeFromSearch) => flag(ind.exclude_from_search),
            Some(Field::Confidence) => ind.extra.get(EXTRA_CONFIDENCE).cloned().unwrap_or_default(),
            Some(Field::Benchmark) => ind.extra.get(EXTRA_BENCHMARK).cloned().unwrap_or_default(),
            Some(Field::Unused) => ind.extra.get(h).cloned().unwrap_or_default(),
            None => String::new(),
        })
        .collect()
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "1" | "yes" | "ja" | "true" | "waar" | "y" | "j" | "x" => Some(true),
        "0" | "no" | "nee" | "false" | "onwaar" | "n" => Some(false),
        _ => None,
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split([';', ',', '|'])
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn theme_field(h: &str) -> Option<(&'static str, String)> {
    let n = norm(h);
    let (base, lang) = split_lang(&n);
    Some(match base.as_str() {
        "theme" | "thema" | "theme code" | "themacode" | "code" => ("code", lang),
        "parent" | "ouder" | "parent code" | "bovenliggend thema" => ("parent", lang),
        "name" | "naam" => ("name", lang),
        "seq" | "volgnummer" | "seq no" => ("seq", lang),
        _ => return None,
    })
}

/// Whether a header is a theme tree table: columns code, parent, name[, seq].
pub fn looks_like_themes(header: &[String]) -> bool {
    let f: Vec<&str> = header
        .iter()
        .filter_map(|h| theme_field(h))
        .map(|(f, _)| f)
        .collect();
    f.contains(&"code") && f.contains(&"parent") && f.contains(&"name")
}

/// Reads a theme tree: one folder per row with its parent (empty for a root).
pub fn read_themes(path: &Path, topts: &TableOptions) -> Read<MetadataBatch> {
    let mut t = match open(path, topts, &|r| looks_like_themes(r)) {
        Ok(t) => t,
        Err(p) => return Read::fail(*p),
    };
    let mut out: Read<MetadataBatch> = Read::default();
    let place = t.place.clone();
    let header = t.header.clone();
    let fields: Vec<Option<(&str, String)>> = header.iter().map(|h| theme_field(h)).collect();
    let col = |f: &str| {
        fields
            .iter()
            .position(|x| x.as_ref().is_some_and(|(n, _)| *n == f))
    };
    let (code_col, parent_col, seq_col) = (col("code"), col("parent"), col("seq"));
    let mut themes: Vec<(u64, Theme)> = Vec::new();
    let problems = &mut out.problems;
    let r = t.for_each_row(|line, cells| {
        let cell = |i: Option<usize>| i.and_then(|i| cells.get(i)).map(|c| c.trim()).unwrap_or("");
        let code = cell(code_col);
        if code.is_empty() {
            problems.error(&place, Some(line), Some("code"), None, "empty theme code");
            return true;
        }
        let name = localized(&fields, cells, "name", code);
        let seq = match cell(seq_col) {
            "" => themes.len() as i64 + 1,
            s => match parse_number(s, DecimalSeparator::Point) {
                Some(n) if n.fract() == 0.0 => n as i64,
                _ => {
                    problems.error(
                        &place,
                        Some(line),
                        Some("seq"),
                        Some(s),
                        "expected a whole number",
                    );
                    return true;
                }
            },
        };
        let parent = Some(cell(parent_col))
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        themes.push((
            line,
            Theme {
                code: code.to_string(),
                parent,
                name,
                seq,
            },
        ));
        true
    });
    if let Err(p) = r {
        out.problems.list.push(*p);
        out.problems.errors += 1;
    }
    let codes: HashSet<&str> = themes.iter().map(|(_, t)| t.code.as_str()).collect();
    for (line, th) in &themes {
        if let Some(p) = &th.parent
            && !codes.contains(p.as_str())
        {
            out.problems.error(
                &place,
                Some(*line),
                Some("parent"),
                Some(p),
                "unknown parent theme",
            );
        }
    }
    let edges: Vec<(&str, &str)> = themes
        .iter()
        .filter_map(|(_, t)| t.parent.as_deref().map(|p| (t.code.as_str(), p)))
        .collect();
    if let Some(cycle) = find_cycle(edges) {
        out.problems.error(
            &place,
            None,
            None,
            None,
            format!("the theme tree has a cycle: {}", cycle.join(" → ")),
        );
    }
    out.rows = themes.len() as u64;
    if !out.problems.has_errors() {
        out.batch = Some(MetadataBatch {
            themes: themes.into_iter().map(|(_, t)| t).collect(),
            ..Default::default()
        });
    }
    out
}

fn dim_field(h: &str) -> Option<(&'static str, String)> {
    let n = norm(h);
    let (base, lang) = split_lang(&n);
    Some(match base.as_str() {
        "dimension" | "dimensie" => ("dimension", lang),
        "dimlevel" | "dim level" | "dimensieniveau" => ("level", lang),
        "member" | "dimmember" | "dim member" | "lid" | "categorie" => ("member", lang),
        "name" | "naam" => ("name", lang),
        "seq" | "volgnummer" | "seq no" => ("seq", lang),
        "parent level" | "parent dimlevel" | "bovenliggend niveau" => ("parent_level", lang),
        "parent" | "parent member" | "bovenliggend lid" => ("parent", lang),
        _ => return None,
    })
}

/// Whether a header is a dimension definition table.
pub fn looks_like_dimensions(header: &[String]) -> bool {
    let f: Vec<&str> = header
        .iter()
        .filter_map(|h| dim_field(h))
        .map(|(f, _)| f)
        .collect();
    f.contains(&"dimension") && f.contains(&"level") && f.contains(&"member")
}

/// Reads cube dimensions: one member per row with its dimension and dim level, and
/// optionally the member of a coarser level it rolls up into (the dimension aggregation
/// table), e.g. `leeftijd;leeftijd5;0-4;0 tot 4 jaar;1;leeftijd3;0-17`.
pub fn read_dimensions(
    path: &Path,
    topts: &TableOptions,
    catalog: &Catalog,
) -> Read<MetadataBatch> {
    let mut t = match open(path, topts, &|r| looks_like_dimensions(r)) {
        Ok(t) => t,
        Err(p) => return Read::fail(*p),
    };
    let mut out: Read<MetadataBatch> = Read::default();
    let place = t.place.clone();
    let header = t.header.clone();
    let fields: Vec<Option<(&str, String)>> = header.iter().map(|h| dim_field(h)).collect();
    let col = |f: &str| {
        fields
            .iter()
            .position(|x| x.as_ref().is_some_and(|(n, _)| *n == f))
    };
    let (dim_c, lvl_c, mem_c, seq_c, pl_c, p_c) = (
        col("dimension"),
        col("level"),
        col("member"),
        col("seq"),
        col("parent_level"),
        col("parent"),
    );
    let mut batch = MetadataBatch::default();
    let mut level_dim: HashMap<String, String> = HashMap::new();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    let mut links: Vec<(u64, MemberRef, MemberRef)> = Vec::new();
    let problems = &mut out.problems;
    let mut rows = 0;
    let r = t.for_each_row(|line, cells| {
        rows += 1;
        let cell = |i: Option<usize>| i.and_then(|i| cells.get(i)).map(|c| c.trim()).unwrap_or("");
        let (dim, lvl, mem) = (cell(dim_c), cell(lvl_c), cell(mem_c));
        for (v, c) in [(dim, "dimension"), (lvl, "dimlevel"), (mem, "member")] {
            if v.is_empty() {
                problems.error(&place, Some(line), Some(c), None, format!("empty {c}"));
                return true;
            }
        }
        match level_dim.get(lvl) {
            Some(d) if d != dim => {
                problems.error(
                    &place,
                    Some(line),
                    Some("dimension"),
                    Some(dim),
                    format!("dim level {lvl} belongs to dimension {d} in an earlier row"),
                );
                return true;
            }
            Some(_) => {}
            None => {
                level_dim.insert(lvl.to_string(), dim.to_string());
                if !batch.dimensions.iter().any(|d: &Dimension| d.code == dim) {
                    batch.dimensions.push(Dimension {
                        code: dim.to_string(),
                        name: LocalizedText::nl(dim),
                    });
                }
                batch.dim_levels.push(DimLevel {
                    code: lvl.to_string(),
                    dimension: dim.to_string(),
                    name: LocalizedText::nl(lvl),
                    seq: batch.dim_levels.len() as i64 + 1,
                });
            }
        }
        if let Some(first) = seen.get(&(lvl.to_string(), mem.to_string())) {
            problems.error(
                &place,
                Some(line),
                Some("member"),
                Some(mem),
                format!("member listed twice in {lvl} (also in row {first})"),
            );
            return true;
        }
        seen.insert((lvl.to_string(), mem.to_string()), line);
        let name = localized(&fields, cells, "name", mem);
        let seq = match cell(seq_c) {
            "" => seen.len() as i64,
            s => match parse_number(s, DecimalSeparator::Point) {
                Some(n) if n.fract() == 0.0 => n as i64,
                _ => {
                    problems.error(
                        &place,
                        Some(line),
                        Some("seq"),
                        Some(s),
                        "expected a whole number",
                    );
                    return true;
                }
            },
        };
        batch.dim_members.push(DimMember {
            level: lvl.to_string(),
            code: mem.to_string(),
            name,
            seq,
        });
        let (pl, p) = (cell(pl_c), cell(p_c));
        match (pl.is_empty(), p.is_empty()) {
            (true, true) => {}
            (false, false) => links.push((
                line,
                (lvl.to_string(), mem.to_string()),
                (pl.to_string(), p.to_string()),
            )),
            _ => problems.error(
                &place,
                Some(line),
                Some("parent"),
                None,
                "give both the parent level and the parent member, or neither",
            ),
        }
        true
    });
    if let Err(p) = r {
        out.problems.list.push(*p);
        out.problems.errors += 1;
    }
    for (line, child, parent) in &links {
        let known = seen.contains_key(parent)
            || catalog
                .dim_members
                .get(&parent.0)
                .is_some_and(|m| m.contains(&parent.1));
        if !known {
            out.problems.error(
                &place,
                Some(*line),
                Some("parent"),
                Some(&parent.1),
                format!("not a member of dim level {}", parent.0),
            );
        }
        if child.0 == parent.0 {
            out.problems.error(
                &place,
                Some(*line),
                Some("parent level"),
                Some(&parent.0),
                "a member cannot roll up into its own level",
            );
        }
        if level_dim
            .get(&parent.0)
            .is_some_and(|d| Some(d) != level_dim.get(&child.0))
        {
            out.problems.error(
                &place,
                Some(*line),
                Some("parent level"),
                Some(&parent.0),
                "the parent level belongs to another dimension",
            );
        }
    }
    let edges: std::collections::BTreeSet<(&str, &str)> = links
        .iter()
        .map(|(_, c, p)| (c.0.as_str(), p.0.as_str()))
        .collect();
    if let Some(cycle) = find_cycle(edges) {
        out.problems.error(
            &place,
            None,
            None,
            None,
            format!("the dimension levels form a cycle: {}", cycle.join(" → ")),
        );
    }
    out.rows = rows;
    if !out.problems.has_errors() {
        batch.dim_links = links.into_iter().map(|(_, c, p)| (c, p)).collect();
        out.batch = Some(batch);
    }
    out
}

/// Formulas are checked when they are defined, not when a reader opens a page: each must parse,
/// read only indicators that exist (in the store or the same file), and no set of formulas —
/// stored and new together — may read each other in a circle.
fn check_formula_definitions(
    inds: &[(u64, Indicator)],
    catalog: &Catalog,
    place: &Place,
    header: &[String],
    fields: &[Option<Field>],
    problems: &mut Problems,
) {
    use peil_core::formula::{Formula, FormulaProblem, check_formulas};
    let col = fields
        .iter()
        .position(|f| f == &Some(Field::Formula))
        .map(|i| header[i].as_str());
    let rows: HashMap<&str, u64> = inds.iter().map(|(r, i)| (i.code.as_str(), *r)).collect();
    let mut all: Vec<(String, Formula)> = Vec::new();
    for (row, ind) in inds {
        let Some(text) = ind.formula.as_deref().filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        match Formula::parse(text) {
            Ok(f) => {
                if !f.has_frame() {
                    problems.warning(
                        place,
                        Some(*row),
                        col,
                        Some(text),
                        format!(
                            "{} never has a value: a formula has values in the periods of its plain \
                             terms (an indicator, cell() or threshold()) or of data_from_period, and \
                             this one has none; data_from_mrp and numbers alone give it no period \
                             (add a frame, e.g. data_from_mrp(x, 2) + x - x)",
                            ind.code
                        ),
                    );
                }
                all.push((ind.code.clone(), f))
            }
            Err(e) => problems.error(
                place,
                Some(*row),
                col,
                Some(text),
                format!("{} does not parse: {}", ind.code, e.summary()),
            ),
        }
    }
    // Stored formulas that this file does not redefine.
    for (code, info) in &catalog.indicators {
        if rows.contains_key(code.as_str()) {
            continue;
        }
        if let Some(f) = info.formula.as_deref().and_then(|t| Formula::parse(t).ok()) {
            all.push((code.clone(), f));
        }
    }
    let known = |c: &str| rows.contains_key(c) || catalog.indicators.contains_key(c);
    for p in check_formulas(&all, &known) {
        let (row, value) = match &p {
            FormulaProblem::UnknownReference { indicator, code } => {
                (rows.get(indicator.as_str()).copied(), Some(code.as_str()))
            }
            FormulaProblem::Duplicate { indicator } => {
                (rows.get(indicator.as_str()).copied(), None)
            }
            FormulaProblem::Cycle { cycle } => (
                cycle.iter().find_map(|c| rows.get(c.as_str()).copied()),
                None,
            ),
        };
        // Problems among stored formulas alone are not this file's doing.
        let ours = match &p {
            FormulaProblem::Cycle { cycle } => cycle.iter().any(|c| rows.contains_key(c.as_str())),
            _ => row.is_some(),
        };
        if ours {
            problems.error(place, row, col, value, p.to_string());
        }
    }
}
