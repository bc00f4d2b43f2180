//! Representations: content negotiation, and tables written as CSV, CSV on the Web metadata
//! and XLSX.

use super::{ApiError, ApiResult, Req, vary};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

pub const XLSX_MEDIA: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV_MEDIA: &str = "text/csv; charset=utf-8; header=present";
pub const CSVW_MEDIA: &str = "application/csvm+json";
pub const GEOJSON_MEDIA: &str = "application/geo+json";
pub const JSON_MEDIA: &str = "application/json";

/// A representation of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    /// CSV on the Web metadata describing the CSV.
    Csvw,
    Xlsx,
    /// JSON-stat 2.0 (served as `application/json`).
    JsonStat,
    GeoJson,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Json,
        Format::Csv,
        Format::Csvw,
        Format::Xlsx,
        Format::JsonStat,
        Format::GeoJson,
    ];

    /// The value of `format=`.
    pub fn code(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Csvw => "csvw",
            Format::Xlsx => "xlsx",
            Format::JsonStat => "jsonstat",
            Format::GeoJson => "geojson",
        }
    }

    pub fn media(self) -> &'static str {
        match self {
            Format::Json | Format::JsonStat => JSON_MEDIA,
            Format::Csv => CSV_MEDIA,
            Format::Csvw => CSVW_MEDIA,
            Format::Xlsx => XLSX_MEDIA,
            Format::GeoJson => GEOJSON_MEDIA,
        }
    }

    /// Reads `format=` (exactly the codes: the contract is strict).
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "json" => Format::Json,
            "csv" => Format::Csv,
            // `csv-metadata.json`: the CSVW default location `{+url}-metadata.json` of a
            // CSV whose URL ends in `format=csv`.
            "csvw" | "csv-metadata.json" => Format::Csvw,
            "xlsx" => Format::Xlsx,
            "jsonstat" => Format::JsonStat,
            "geojson" => Format::GeoJson,
            _ => return None,
        })
    }

    fn from_media(m: &str) -> Option<Format> {
        Some(match m {
            "application/json" => Format::Json,
            "text/csv" => Format::Csv,
            "application/csvm+json" => Format::Csvw,
            XLSX_MEDIA => Format::Xlsx,
            "application/json-stat+json" => Format::JsonStat,
            "application/geo+json" => Format::GeoJson,
            _ => return None,
        })
    }
}

/// Picks the representation: a `-metadata.json` path, else `format=`, else `Accept`, else the
/// first of `offered`.
pub(crate) fn negotiate(req: &Req, offered: &[Format]) -> ApiResult<Format> {
    let list = || -> Json { json!(offered.iter().map(|f| f.code()).collect::<Vec<_>>()) };
    if req.path.ends_with("-metadata.json") {
        return if offered.contains(&Format::Csvw) {
            Ok(Format::Csvw)
        } else {
            Err(
                ApiError::of("format-unavailable", "this resource has no CSV metadata")
                    .with("available", list()),
            )
        };
    }
    if let Some(f) = req.one("format")? {
        return match Format::parse(f) {
            Some(x) if offered.contains(&x) => Ok(x),
            _ => Err(ApiError::of(
                "format-unavailable",
                format!(
                    "format '{f}' is not available here; choose one of {}",
                    offered
                        .iter()
                        .map(|f| f.code())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with("parameter", json!("format"))
            .with("available", list())),
        };
    }
    let Some(accept) = req
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(offered[0]);
    };
    // Media ranges by descending quality, in the order given among equals.
    let mut ranges: Vec<(f32, usize, String)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(n, r)| {
            let mut parts = r.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let mut q = 1.0f32;
            for p in parts {
                if let Some(v) = p.trim().strip_prefix("q=") {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
            (q > 0.0 && !media.is_empty()).then_some((q, n, media))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, media) in &ranges {
        match media.as_str() {
            "*/*" | "application/*" => return Ok(offered[0]),
            "text/*" if offered.contains(&Format::Csv) => return Ok(Format::Csv),
            // A client that takes problem details takes JSON.
            "application/problem+json" if offered.contains(&Format::Json) => {
                return Ok(Format::Json);
            }
            m => {
                if let Some(f) = Format::from_media(m).filter(|f| offered.contains(f)) {
                    return Ok(f);
                }
            }
        }
    }
    Err(ApiError::of(
        "not-acceptable",
        format!(
            "none of the media types in Accept is offered here; this resource is available as {}",
            offered
                .iter()
                .map(|f| f.media().split(';').next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .with("available", list()))
}

// --- tables ------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Integer,
    Boolean,
}

impl Kind {
    fn csvw(self) -> &'static str {
        match self {
            Kind::Text => "string",
            Kind::Number => "number",
            Kind::Integer => "integer",
            Kind::Boolean => "boolean",
        }
    }
}

pub struct Col {
    /// The CSV header and CSVW title.
    pub title: String,
    pub kind: Kind,
    pub description: String,
    /// Never empty (CSVW `required`).
    pub required: bool,
}

impl Col {
    pub fn new(title: impl Into<String>, kind: Kind, description: impl Into<String>) -> Col {
        Col {
            title: title.into(),
            kind,
            description: description.into(),
            required: false,
        }
    }

    pub fn required(mut self) -> Col {
        self.required = true;
        self
    }
}

#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    /// A number and the decimals to show it with in a spreadsheet.
    Number(f64, Option<u8>),
    Integer(i64),
    Boolean(bool),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn opt(s: Option<impl Into<String>>) -> Cell {
        s.map_or(Cell::Empty, |s| Cell::Text(s.into()))
    }

    fn csv(&self) -> String {
        match self {
            Cell::Text(s) => csv_text(s).into_owned(),
            Cell::Number(n, _) => fmt_number(*n),
            Cell::Integer(i) => i.to_string(),
            Cell::Boolean(b) => b.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// A text cell as CSV carries it: text that a spreadsheet would run as a formula (starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return, and longer than that one character)
/// gets a leading `'`, so a name or unit from metadata can never become `=HYPERLINK(…)` in
/// a reader's Excel. Numbers are written as numbers and never pass through here; the lone
/// status symbol `-` stays as it is.
pub fn csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = s.len() > 1 && s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Numbers in their shortest round-trip form, never in exponent notation.
pub fn fmt_number(n: f64) -> String {
    let mut s = String::new();
    crate::fragments::push_number(&mut s, n);
    s
}

/// A table that can be written as CSV, described by CSVW, or put in a workbook.
pub struct Table {
    pub title: String,
    /// Base of download file names.
    pub file: String,
    pub columns: Vec<Col>,
    pub rows: Vec<Vec<Cell>>,
    /// Column titles that identify a row.
    pub key: Vec<String>,
    /// Notes for readers: (label, text), written on the metadata sheet and into CSVW.
    pub notes: Vec<(String, String)>,
    /// Extra tables for the workbook's metadata sheet (e.g. the indicators with their units
    /// and sources): (heading, header, rows).
    pub sheets: Vec<(String, Vec<String>, Vec<Vec<Cell>>)>,
}

impl Table {
    pub fn new(title: impl Into<String>, file: impl Into<String>, columns: Vec<Col>) -> Table {
        Table {
            title: title.into(),
            file: file.into(),
            columns,
            rows: Vec::new(),
            key: Vec::new(),
            notes: Vec::new(),
            sheets: Vec::new(),
        }
    }

    pub fn csv(&self) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        let _ = w.write_record(self.columns.iter().map(|c| c.title.as_str()));
        for r in &self.rows {
            let _ = w.write_record(r.iter().map(Cell::csv));
        }
        w.into_inner().unwrap_or_default()
    }

    /// CSV on the Web metadata (W3C `http://www.w3.org/ns/csvw`) for the CSV at `csv_url`.
    pub fn csvw(&self, csv_url: &str, publisher: &str) -> Json {
        let mut used: Vec<String> = Vec::new();
        let columns: Vec<Json> = self
            .columns
            .iter()
            .map(|c| {
                let name = column_name(&c.title, &used);
                used.push(name.clone());
                let mut col = json!({
                    "name": name,
                    "titles": c.title,
                    "datatype": c.kind.csvw(),
                    "dc:description": c.description,
                });
                if c.required {
                    col["required"] = json!(true);
                }
                col
            })
            .collect();
        let key: Vec<String> = self
            .key
            .iter()
            .filter_map(|k| {
                self.columns
                    .iter()
                    .position(|c| &c.title == k)
                    .map(|i| used[i].clone())
            })
            .collect();
        let mut schema = json!({ "columns": columns });
        if !key.is_empty() {
            schema["primaryKey"] = json!(key);
        }
        let notes: Vec<String> = self
            .notes
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        json!({
            "@context": "http://www.w3.org/ns/csvw",
            "url": csv_url,
            "dc:title": self.title,
            "dc:publisher": publisher,
            "dc:description": notes.join("\n"),
            "dialect": { "header": true, "delimiter": ",", "encoding": "utf-8" },
            "tableSchema": schema,
        })
    }

    /// A workbook: the table on sheet `data` (frozen header, filter, number formats by
    /// decimals), notes and extra tables on sheet `metadata`.
    pub fn xlsx(&self, publisher: &str, url: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{DocProperties, Format as F, Workbook};
        let mut wb = Workbook::new();
        wb.set_properties(
            &DocProperties::new()
                .set_title(&self.title)
                .set_author(publisher)
                .set_comment(format!("Peil API: {url}")),
        );
        let bold = F::new().set_bold();
        let wrap = F::new().set_text_wrap();
        let formats: Vec<F> = (0..=6u8)
            .map(|d| {
                if d == 0 {
                    F::new().set_num_format("#,##0")
                } else {
                    F::new().set_num_format(format!("#,##0.{}", "0".repeat(d as usize)))
                }
            })
            .collect();
        {
            let ws = wb.add_worksheet();
            ws.set_name("data")?;
            for (c, col) in self.columns.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, &col.title, &bold)?;
            }
            for (r, row) in self.rows.iter().enumerate() {
                let r = r as u32 + 1;
                for (c, cell) in row.iter().enumerate() {
                    let c = c as u16;
                    match cell {
                        Cell::Text(s) => {
                            ws.write_string(r, c, s)?;
                        }
                        Cell::Number(n, Some(d)) => {
                            ws.write_number_with_format(r, c, *n, &formats[(*d).min(6) as usize])?;
                        }
                        Cell::Number(n, None) => {
                            ws.write_number(r, c, *n)?;
                        }
                        Cell::Integer(i) => {
                            ws.write_number(r, c, *i as f64)?;
                        }
                        Cell::Boolean(b) => {
                            ws.write_boolean(r, c, *b)?;
                        }
                        Cell::Empty => {}
                    }
                }
            }
            if !self.columns.is_empty() {
                ws.set_freeze_panes(1, 0)?;
                ws.autofilter(0, 0, self.rows.len() as u32, self.columns.len() as u16 - 1)?;
            }
            for (c, col) in self.columns.iter().enumerate() {
                let widest = self
                    .rows
                    .iter()
                    .take(2000)
                    .filter_map(|r| r.get(c))
                    .map(|x| x.csv().chars().count())
                    .chain([col.title.chars().count()])
                    .max()
                    .unwrap_or(8);
                ws.set_column_width(c as u16, (widest as f64 + 2.0).clamp(6.0, 60.0))?;
            }
        }
        {
            let ws = wb.add_worksheet();
            ws.set_name("metadata")?;
            ws.set_column_width(0, 28)?;
            ws.set_column_width(1, 90)?;
            let mut r = 0u32;
            ws.write_string_with_format(r, 0, &self.title, &bold)?;
            r += 2;
            for (k, v) in [("publisher", publisher), ("query", url)]
                .into_iter()
                .chain(self.notes.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            {
                ws.write_string_with_format(r, 0, k, &bold)?;
                ws.write_string_with_format(r, 1, v, &wrap)?;
                r += 1;
            }
            for (heading, header, rows) in &self.sheets {
                r += 1;
                ws.write_string_with_format(r, 0, heading, &bold)?;
                r += 1;
                for (c, h) in header.iter().enumerate() {
                    ws.write_string_with_format(r, c as u16, h, &bold)?;
                }
                r += 1;
                for row in rows {
                    for (c, cell) in row.iter().enumerate() {
                        match cell {
                            Cell::Text(s) => ws.write_string(r, c as u16, s).map(|_| ())?,
                            Cell::Number(n, _) => ws.write_number(r, c as u16, *n).map(|_| ())?,
                            Cell::Integer(i) => {
                                ws.write_number(r, c as u16, *i as f64).map(|_| ())?
                            }
                            Cell::Boolean(b) => ws.write_boolean(r, c as u16, *b).map(|_| ())?,
                            Cell::Empty => {}
                        }
                    }
                    r += 1;
                }
            }
        }
        wb.save_to_buffer()
    }

    /// The table in the chosen tabular format (CSV, CSVW or XLSX).
    pub fn respond(&self, fmt: Format, req: &Req, publisher: &str) -> Response {
        match fmt {
            Format::Csvw => {
                let csv_url = req.relative_with(&[("format", Some("csv"))]);
                super::json_response(&self.csvw(&csv_url, publisher), CSVW_MEDIA)
            }
            Format::Xlsx => match self.xlsx(publisher, &req.url_with(&[])) {
                Ok(bytes) => {
                    let mut r = ([(header::CONTENT_TYPE, XLSX_MEDIA)], bytes).into_response();
                    disposition(&mut r, "attachment", &format!("{}.xlsx", self.file));
                    vary(&mut r);
                    r
                }
                Err(e) => ApiError::bad_request(format!("the workbook could not be written: {e}"))
                    .into_response(),
            },
            _ => {
                let mut r = ([(header::CONTENT_TYPE, CSV_MEDIA)], self.csv()).into_response();
                disposition(&mut r, "inline", &format!("{}.csv", self.file));
                let meta = req.url_with(&[("format", Some("csvw"))]);
                if let Ok(v) = HeaderValue::from_str(&format!(
                    "<{meta}>; rel=\"describedby\"; type=\"{CSVW_MEDIA}\""
                )) {
                    r.headers_mut().append(header::LINK, v);
                }
                vary(&mut r);
                r
            }
        }
    }
}

fn disposition(r: &mut Response, kind: &str, file: &str) {
    let safe: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("{kind}; filename=\"{safe}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
}

/// A CSVW column name (letters, digits, `_`, not starting with `_`), unique in the table.
fn column_name(title: &str, used: &[String]) -> String {
    let mut n: String = title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    while n.starts_with('_') {
        n.remove(0);
    }
    if n.is_empty() || n.as_bytes()[0].is_ascii_digit() {
        n = format!("c{n}");
    }
    let base = n.clone();
    let mut k = 2;
    while used.contains(&n) {
        n = format!("{base}{k}");
        k += 1;
    }
    n
}
