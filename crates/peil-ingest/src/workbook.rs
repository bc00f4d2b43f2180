//! Workbooks (XLSX, XLSM, XLSB, ODS, XLS) read as sparse rows of text, with bounds a hostile
//! file cannot get past.
//!
//! A workbook is a compressed archive that *declares* its own size: a 1.6 KB XLSX with cells
//! A1 and XFD1048576 declares 17 billion cells, and a reader that builds a dense grid from the
//! declared or used dimension allocates hundreds of gigabytes. So, in this order:
//!
//! 1. The ZIP central directory is checked before anything is decompressed: number of entries,
//!    total declared size, compression ratio per entry ([`check_zip`]). Declared sizes can lie,
//!    so every entry is then decompressed once into nothing, counting, and refused as soon as it
//!    holds more than it declares: after this pass calamine can never decompress more than the
//!    cap, whatever the headers say.
//! 2. XLSX and XLSB sheets are streamed cell by cell (calamine's cell readers); the declared
//!    dimension and every cell are checked against [`MAX_COLUMNS`] and [`MAX_CELLS`] before
//!    anything is kept, and rows are built sparsely: an empty row costs nothing, a row costs
//!    what its own cells span.
//! 3. ODS sheets are pre-scanned for the area calamine's dense grid would cover (repeated rows
//!    and columns included) before calamine reads them. Old .xls files are bounded by their
//!    size, and their BIFF records are walked first ([`crate::xls`]) for the declared and used
//!    area of each sheet, which calamine would otherwise allocate as it opens the file.
//!
//! The caps are generous for statistics: the largest real Flemish workbook we know
//! (`statsec2024_als_basis.xlsx`) is 30 MB unpacked, 54 columns by 10,242 rows (0.55 million
//! cells); the caps leave 8× to 18× room above it while keeping the worst case of one import
//! within a few hundred megabytes.

use crate::table::problem;
use calamine::{Data, DataRef, Reader};
use peil_core::{Place, Problem};
use std::collections::BTreeMap;
use std::io::{Read, Seek};

/// Total unpacked size of all entries of a workbook archive: 8× the largest real workbook.
pub const MAX_UNPACKED_BYTES: u64 = 256 << 20;
/// Compression ratio an entry of more than [`RATIO_FROM_BYTES`] may have. Real sheets compress
/// 5–15×; deflate cannot exceed about 1032×, which is what bombs use.
pub const MAX_RATIO: u64 = 200;
/// Entries smaller than this may have any ratio (a tiny XML part of repeated tags).
pub const RATIO_FROM_BYTES: u64 = 1 << 20;
/// Entries in a workbook archive: a workbook has about two per sheet plus a dozen more.
pub const MAX_ENTRIES: usize = 10_000;
/// Columns a sheet may use. A wide data layout has one column per indicator and period, a few
/// thousand at most; Excel's own limit is 16,384 (XFD).
pub const MAX_COLUMNS: u32 = 10_000;
/// Cells a sheet may span (the sum of its rows' widths, and its declared dimension's area):
/// 18× the largest real sheet, about 0.5 GB of text cells in the worst case.
pub const MAX_CELLS: u64 = 10_000_000;
/// Size of an old binary .xls file: BIFF is not compressed, so its size bounds what calamine
/// parses; real ones are a few megabytes.
pub const MAX_XLS_BYTES: u64 = 64 << 20;

/// One sheet: its name and its rows.
pub type Sheet = (String, SheetRows);

/// A sheet's non-empty rows, each with its 1-based row number and cells from column A (empty
/// text where a cell is missing, no empty cells after the last).
pub type SheetRows = Vec<(u64, Vec<String>)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Xlsx,
    Xlsb,
    Ods,
    Xls,
}

fn kind_of(name: &str) -> Kind {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "xlsb" => Kind::Xlsb,
        "ods" => Kind::Ods,
        "xls" | "xla" => Kind::Xls,
        _ => Kind::Xlsx,
    }
}

/// Reads every sheet of a workbook. `place` names the file in problems; the kind is taken
/// from its extension. The reader is any seekable source: a file, or bytes in memory.
pub fn read_sheets<RS: Read + Seek>(
    place: &Place,
    mut source: RS,
    size: u64,
) -> Result<Vec<Sheet>, Box<Problem>> {
    let kind = kind_of(&place.file);
    if kind == Kind::Xls {
        if size > MAX_XLS_BYTES {
            return Err(problem(
                place,
                None,
                None,
                None,
                format!(
                    "this .xls file is {} MiB; Peil reads old .xls files up to {} MiB. Save it as .xlsx or CSV",
                    size >> 20,
                    MAX_XLS_BYTES >> 20
                ),
            ));
        }
    } else {
        check_zip(place, &mut source)?;
        source.rewind().map_err(|e| unreadable(place, &e))?;
    }
    match kind {
        Kind::Xlsx => read_xlsx(place, source),
        Kind::Ods => {
            check_ods(place, &mut source)?;
            source.rewind().map_err(|e| unreadable(place, &e))?;
            let wb = calamine::Ods::new(source).map_err(|e| unreadable(place, &e))?;
            read_dense(place, wb)
        }
        Kind::Xlsb => read_xlsb(place, source),
        Kind::Xls => {
            let mut bytes = Vec::new();
            source
                .take(MAX_XLS_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| unreadable(place, &e))?;
            crate::xls::check(&bytes).map_err(|r| {
                let place = place.with_sheet(r.sheet.as_deref());
                let row = r.at.map(|(row, _)| row as u64 + 1);
                let cell = r.at.map(|(row, col)| cell_name(row, col));
                problem(
                    &place,
                    row,
                    cell.as_deref(),
                    None,
                    format!(
                        "{}; Peil reads sheets of up to {MAX_COLUMNS} columns and {MAX_CELLS} cells. Save it as .xlsx or CSV",
                        r.what
                    ),
                )
            })?;
            // The check above mirrors what calamine allocates; a panic in its BIFF parser on
            // some other malformed record is still a refusal of this file, not the end of the
            // process or the server.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let wb = calamine::Xls::new(std::io::Cursor::new(bytes))
                    .map_err(|e| unreadable(place, &e))?;
                read_dense(place, wb)
            }))
            .unwrap_or_else(|_| Err(unreadable(place, &"the .xls reader failed on this file")))
        }
    }
}

fn unreadable(place: &Place, e: &dyn std::fmt::Display) -> Box<Problem> {
    problem(
        place,
        None,
        None,
        None,
        format!(
            "cannot read this workbook ({e}); expected an .xlsx, .xls or .ods file that a spreadsheet program can open"
        ),
    )
}

/// Checks a workbook's ZIP archive against the caps, first from its central directory (no
/// decompression), then by decompressing every entry into nothing, counting.
pub fn check_zip<RS: Read + Seek>(place: &Place, source: &mut RS) -> Result<(), Box<Problem>> {
    let mut zip = zip::ZipArchive::new(&mut *source).map_err(|e| unreadable(place, &e))?;
    let refuse = |what: String| {
        Err(problem(
            place,
            None,
            None,
            None,
            format!("{what}; this is not a workbook Peil reads (a \"zip bomb\"?)"),
        ))
    };
    if zip.len() > MAX_ENTRIES {
        return refuse(format!(
            "the workbook archive has {} parts, expected at most {MAX_ENTRIES}",
            zip.len()
        ));
    }
    let mut declared = Vec::with_capacity(zip.len());
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|e| unreadable(place, &e))?;
        let (size, packed) = (entry.size(), entry.compressed_size());
        total = total.saturating_add(size);
        if total > MAX_UNPACKED_BYTES {
            return refuse(format!(
                "the workbook unpacks to more than {} MiB (part '{}' declares {size} bytes), expected at most {} MiB",
                total >> 20,
                peil_core::shown(&entry.name().unwrap_or_default()),
                MAX_UNPACKED_BYTES >> 20
            ));
        }
        if size > RATIO_FROM_BYTES && size / packed.max(1) > MAX_RATIO {
            return refuse(format!(
                "part '{}' of the workbook unpacks from {packed} to {size} bytes ({}:1), expected at most {MAX_RATIO}:1",
                peil_core::shown(&entry.name().unwrap_or_default()),
                size / packed.max(1)
            ));
        }
        declared.push(size);
    }
    for (i, size) in declared.into_iter().enumerate() {
        let entry = match zip.by_index(i) {
            Ok(e) => e,
            // Encrypted or unsupported parts: calamine refuses them with its own words.
            Err(_) => continue,
        };
        let name = peil_core::shown(&entry.name().unwrap_or_default());
        let mut sink = std::io::sink();
        // zip itself stops at the declared size with an error; the `take` keeps this bounded
        // even if it did not.
        let actual = std::io::copy(&mut entry.take(size + 1), &mut sink);
        match actual {
            Ok(n) if n > size => {
                return refuse(format!(
                    "part '{name}' of the workbook holds more than the {size} bytes it declares"
                ));
            }
            Ok(_) => {}
            Err(e) => {
                return Err(problem(
                    place,
                    None,
                    None,
                    None,
                    format!(
                        "part '{name}' of the workbook cannot be unpacked ({e}); expected parts that unpack to the size they declare"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A1-style name of a 0-based cell position.
pub fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col as u64 + 1;
    while c > 0 {
        c -= 1;
        letters.push(b'A' + (c % 26) as u8);
        c /= 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row as u64 + 1)
}

fn too_big(place: &Place, row: u32, col: u32, what: String) -> Box<Problem> {
    problem(
        place,
        Some(row as u64 + 1),
        Some(&cell_name(row, col)),
        None,
        format!(
            "{what}; Peil reads sheets of up to {MAX_COLUMNS} columns and {MAX_CELLS} cells. Remove the stray cell, or split the sheet or save it as CSV"
        ),
    )
}

/// Sparse rows of a sheet under construction, checked against the caps as cells arrive.
struct Rows {
    rows: BTreeMap<u32, Vec<(u32, String)>>,
    cells: u64,
}

impl Rows {
    fn new() -> Rows {
        Rows {
            rows: BTreeMap::new(),
            cells: 0,
        }
    }

    fn push(
        &mut self,
        place: &Place,
        row: u32,
        col: u32,
        text: String,
    ) -> Result<(), Box<Problem>> {
        // An empty cell (a formatted one, say) is not kept, so it costs nothing wherever it is.
        if text.is_empty() {
            return Ok(());
        }
        if col >= MAX_COLUMNS {
            return Err(too_big(
                place,
                row,
                col,
                format!("the sheet uses column {}", cell_name(row, col)),
            ));
        }
        self.cells += 1;
        if self.cells > MAX_CELLS {
            return Err(too_big(
                place,
                row,
                col,
                format!("the sheet has more than {MAX_CELLS} cells"),
            ));
        }
        self.rows.entry(row).or_default().push((col, text));
        Ok(())
    }

    /// Dense rows from column A, checked for their total width before a cell is allocated.
    fn finish(self, place: &Place) -> Result<SheetRows, Box<Problem>> {
        let mut spanned: u64 = 0;
        for (&row, cells) in &self.rows {
            let width = cells.iter().map(|(c, _)| *c as u64 + 1).max().unwrap_or(0);
            spanned += width;
            if spanned > MAX_CELLS {
                return Err(too_big(
                    place,
                    row,
                    (width - 1) as u32,
                    format!("the sheet's rows span more than {MAX_CELLS} cells"),
                ));
            }
        }
        Ok(self
            .rows
            .into_iter()
            .map(|(row, cells)| {
                let width = cells
                    .iter()
                    .map(|(c, _)| *c as usize + 1)
                    .max()
                    .unwrap_or(0);
                let mut dense = vec![String::new(); width];
                // A later cell at the same place wins, as in a spreadsheet program.
                for (c, text) in cells {
                    dense[c as usize] = text;
                }
                (row as u64 + 1, dense)
            })
            .collect())
    }
}

/// Streams every sheet of an XLSX or XLSB workbook through calamine's cell reader: the
/// declared dimension is checked first, then every cell as it arrives, and only non-empty
/// cells are kept. (A macro because calamine's two cell readers share methods, not a trait.)
macro_rules! stream_sheets {
    ($place:expr, $wb:expr) => {{
        let place: &Place = $place;
        let mut wb = $wb;
        let names = wb.sheet_names().to_vec();
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let place = place.with_sheet(Some(&name));
            let sheet_error = |e: &dyn std::fmt::Display| {
                problem(
                    &place,
                    None,
                    None,
                    None,
                    format!("cannot read this sheet ({e})"),
                )
            };
            let mut cells = wb
                .worksheet_cells_reader(&name)
                .map_err(|e| sheet_error(&e))?;
            check_dimension(&place, cells.dimensions())?;
            let mut rows = Rows::new();
            while let Some(cell) = cells.next_cell().map_err(|e| sheet_error(&e))? {
                let (row, col) = cell.get_position();
                rows.push(&place, row, col, cell_ref_text(cell.get_value()))?;
            }
            out.push((name, rows.finish(&place)?));
        }
        Ok(out)
    }};
}

/// Refuses a sheet whose declared dimension is beyond the caps, before reading a cell.
fn check_dimension(place: &Place, dim: calamine::Dimensions) -> Result<(), Box<Problem>> {
    let (width, height) = (
        dim.end.1.saturating_sub(dim.start.1) as u64 + 1,
        dim.end.0.saturating_sub(dim.start.0) as u64 + 1,
    );
    if dim.end.1 >= MAX_COLUMNS || width.saturating_mul(height) > MAX_CELLS {
        return Err(too_big(
            place,
            dim.end.0,
            dim.end.1,
            format!(
                "the sheet declares the area {}:{} ({width} columns by {height} rows)",
                cell_name(dim.start.0, dim.start.1),
                cell_name(dim.end.0, dim.end.1)
            ),
        ));
    }
    Ok(())
}

fn read_xlsx<RS: Read + Seek>(place: &Place, source: RS) -> Result<Vec<Sheet>, Box<Problem>> {
    let wb = calamine::Xlsx::new(source).map_err(|e| unreadable(place, &e))?;
    stream_sheets!(place, wb)
}

fn read_xlsb<RS: Read + Seek>(place: &Place, source: RS) -> Result<Vec<Sheet>, Box<Problem>> {
    let wb = calamine::Xlsb::new(source).map_err(|e| unreadable(place, &e))?;
    stream_sheets!(place, wb)
}

/// Reads sheets through calamine's dense `Range`, for formats without a streaming reader. The
/// caller has bounded what the range can cover (the ODS pre-scan, the XLS record walk).
fn read_dense<RS: Read + Seek, R: Reader<RS>>(
    place: &Place,
    mut wb: R,
) -> Result<Vec<Sheet>, Box<Problem>>
where
    R::Error: std::fmt::Display,
{
    let names = wb.sheet_names().to_vec();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let place = place.with_sheet(Some(&name));
        let range = wb.worksheet_range(&name).map_err(|e| {
            problem(
                &place,
                None,
                None,
                None,
                format!("cannot read this sheet ({e})"),
            )
        })?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let mut rows = Rows::new();
        // Positions in a range are relative to its first cell.
        for (row, col, value) in range.used_cells() {
            let (row, col) = (r0.saturating_add(row as u32), c0.saturating_add(col as u32));
            rows.push(&place, row, col, cell_text(value))?;
        }
        out.push((name, rows.finish(&place)?));
    }
    Ok(out)
}

/// Checks an ODS file's sheets for the area calamine would allocate, before it does: rows and
/// cells may be repeated (`table:number-rows-repeated`), so a few bytes can declare a huge
/// sheet. Counts the bounding box of every non-empty cell with its repeats, as calamine does.
fn check_ods<RS: Read + Seek>(place: &Place, source: &mut RS) -> Result<(), Box<Problem>> {
    use quick_xml::events::Event;
    let mut zip = zip::ZipArchive::new(&mut *source).map_err(|e| unreadable(place, &e))?;
    let Ok(content) = zip.by_name("content.xml") else {
        // calamine says what is missing.
        return Ok(());
    };
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let mut buf = Vec::new();
    // Per sheet: name, rows seen so far, bounding box of non-empty cells.
    let mut sheet = String::new();
    let (mut row, mut col) = (0u64, 0u64);
    let mut row_repeat = 1u64;
    let mut bbox: Option<(u64, u64, u64, u64)> = None;
    let attr = |e: &quick_xml::events::BytesStart, key: &str| -> Option<u64> {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == key)
            .and_then(|a| a.value.trim().parse().ok())
    };
    loop {
        buf.clear();
        let ev = xml
            .read_event_into(&mut buf)
            .map_err(|e| unreadable(place, &e))?;
        let (start, empty) = match &ev {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            Event::Eof => break,
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                row = row.saturating_add(row_repeat);
                continue;
            }
            _ => continue,
        };
        let Some(e) = start else { continue };
        match e.name().as_ref() {
            "table:table" => {
                sheet = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == "table:name")
                    .map(|a| a.value.into_owned())
                    .unwrap_or_default();
                (row, col, bbox) = (0, 0, None);
            }
            "table:table-row" => {
                row_repeat = attr(e, "table:number-rows-repeated").unwrap_or(1).max(1);
                col = 0;
                if empty {
                    row = row.saturating_add(row_repeat);
                }
            }
            "table:table-cell" | "table:covered-table-cell" => {
                let repeat = attr(e, "table:number-columns-repeated").unwrap_or(1).max(1);
                // A cell with a value type or content is not empty; a bare element is.
                let filled = !empty
                    || e.attributes()
                        .flatten()
                        .any(|a| a.key.as_ref() == "office:value-type");
                if filled {
                    let (r0, r1) = (row, row.saturating_add(row_repeat - 1));
                    let (c0, c1) = (col, col.saturating_add(repeat - 1));
                    let b = bbox.get_or_insert((r0, r1, c0, c1));
                    *b = (b.0.min(r0), b.1.max(r1), b.2.min(c0), b.3.max(c1));
                    let width = b.3 - b.2 + 1;
                    let height = b.1 - b.0 + 1;
                    if b.3 >= MAX_COLUMNS as u64 || width.saturating_mul(height) > MAX_CELLS {
                        let at = (
                            r1.min(u32::MAX as u64) as u32,
                            c1.min(u32::MAX as u64) as u32,
                        );
                        return Err(too_big(
                            &place.with_sheet(Some(&sheet)),
                            at.0,
                            at.1,
                            format!(
                                "the sheet's cells (with their repeats) span {width} columns by {height} rows"
                            ),
                        ));
                    }
                }
                col = col.saturating_add(repeat);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Text of a streamed XLSX cell, by the same rules as [`cell_text`].
fn cell_ref_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::SharedString(s) => s.to_string(),
        DataRef::String(s) => s.clone(),
        DataRef::Empty => String::new(),
        other => cell_text(&Data::from(other.clone())),
    }
}

/// Text of a spreadsheet cell: integers without `.0`, floats in shortest round-trip form.
pub fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        // Dates have no meaning in Peil's tables; keep the spreadsheet serial visible.
        Data::DateTime(dt) => dt.as_f64().to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#ERROR {e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(0, 25), "Z1");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
    }
}
