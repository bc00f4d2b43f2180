//! Tabular sources: CSV (any delimiter, UTF-8 with or without BOM or Windows-1252) and
//! spreadsheets (XLSX, XLS, ODS), read as rows of text cells with their 1-based row numbers.
//!
//! CSV is streamed record by record, so a file of millions of rows never sits in memory as
//! text; spreadsheets are read whole, within the bounds of [`crate::workbook`].

use peil_core::{Place, Problem, Severity};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// How the text of a CSV file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Windows1252,
}

/// Called with the number of bytes read so far, every few thousand rows of a CSV file.
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(u64) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// Options for reading a table.
#[derive(Debug, Clone, Default)]
pub struct TableOptions {
    pub progress: Option<Progress>,
    /// Force a delimiter instead of detecting it.
    pub delimiter: Option<u8>,
    /// Force an encoding instead of detecting it.
    pub encoding: Option<Encoding>,
    /// Sheet to read from a workbook; by default the first sheet whose header fits the import.
    pub sheet: Option<String>,
}

/// A reader's refusal. Boxed: it is the error of every reader in this crate, and a `Problem`
/// (144 bytes) would make each `Result` that large on its `Ok` path too.
pub(crate) fn problem(
    place: &Place,
    row: Option<u64>,
    column: Option<&str>,
    value: Option<&str>,
    msg: impl Into<String>,
) -> Box<Problem> {
    Box::new(Problem::new(
        Severity::Error,
        place,
        row,
        column,
        value,
        msg,
    ))
}

/// A table ready to be read: its place, header and rows.
pub struct Table {
    pub place: Place,
    pub header: Vec<String>,
    /// Row number of the header (1-based).
    pub header_row: u64,
    body: Body,
    /// What was detected, for the import report.
    pub detected: Detected,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Detected {
    pub delimiter: Option<String>,
    pub encoding: Option<Encoding>,
    pub sheet: Option<String>,
}

enum Body {
    Csv {
        reader: csv::Reader<LineCap<BufReader<File>>>,
        encoding: Encoding,
        progress: Option<Progress>,
    },
    Rows(std::vec::IntoIter<(u64, Vec<String>)>),
}

/// Whether a path is a spreadsheet by its extension.
pub fn is_workbook(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some("xlsx" | "xlsm" | "xls" | "xlsb" | "ods")
    )
}

pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Opens a workbook and lists its sheets with their non-empty rows (as text), within the
/// bounds of [`crate::workbook`].
pub fn read_workbook(path: &Path) -> Result<Vec<crate::workbook::Sheet>, Box<Problem>> {
    let place = Place::file(file_name(path));
    let io = |e: std::io::Error| {
        problem(
            &place,
            None,
            None,
            None,
            format!("cannot read the file: {e}"),
        )
    };
    let file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    crate::workbook::read_sheets(&place, BufReader::new(file), size)
}

/// [`read_workbook`] on bytes in memory; `name` gives the kind by its extension and names the
/// file in problems.
pub fn read_workbook_bytes(
    name: &str,
    bytes: &[u8],
) -> Result<Vec<crate::workbook::Sheet>, Box<Problem>> {
    crate::workbook::read_sheets(
        &Place::file(name),
        std::io::Cursor::new(bytes),
        bytes.len() as u64,
    )
}

impl Table {
    /// Opens a CSV file or a sheet of a workbook. `pick` chooses among sheets when none is
    /// named: it gets the sheet name and header and says whether the sheet fits.
    pub fn open(
        path: &Path,
        opts: &TableOptions,
        pick: &dyn Fn(&str, &[String]) -> bool,
    ) -> Result<Table, Box<Problem>> {
        let place = Place::file(file_name(path));
        if !path.exists() {
            return Err(problem(&place, None, None, None, "file not found"));
        }
        if is_workbook(path) {
            let sheets = read_workbook(path)?;
            let chosen = match &opts.sheet {
                Some(s) => {
                    let names: Vec<String> = sheets.iter().map(|(n, _)| n.clone()).collect();
                    sheets.into_iter().find(|(n, _)| n == s).ok_or_else(|| {
                        problem(
                            &place,
                            None,
                            None,
                            Some(s),
                            format!(
                                "no sheet with this name in the workbook; sheets: {}",
                                names.join(", ")
                            ),
                        )
                    })?
                }
                None => {
                    let names: Vec<String> = sheets.iter().map(|(n, _)| n.clone()).collect();
                    let mut fitting = sheets.into_iter().filter(|(n, rows)| {
                        !n.starts_with('_') && rows.first().is_some_and(|(_, h)| pick(n, h))
                    });
                    match fitting.next() {
                        Some(s) => s,
                        None => {
                            return Err(problem(
                                &place,
                                None,
                                None,
                                None,
                                format!(
                                    "no sheet has the expected header; sheets: {}; name one with --sheet",
                                    names.join(", ")
                                ),
                            ));
                        }
                    }
                }
            };
            let (name, rows) = chosen;
            return Table::from_rows(place.with_sheet(Some(&name)), rows);
        }
        open_csv(path, &place, opts)
    }

    /// A table from rows already in memory (a workbook sheet read by the caller).
    pub fn from_rows(
        place: Place,
        mut rows: crate::workbook::SheetRows,
    ) -> Result<Table, Box<Problem>> {
        let blank = rows
            .iter()
            .take_while(|(_, r)| r.iter().all(|c| c.trim().is_empty()))
            .count();
        rows.drain(..blank);
        if rows.is_empty() {
            return Err(problem(
                &place,
                None,
                None,
                None,
                "the sheet is empty; expected a header row and data rows",
            ));
        }
        let (header_row, header) = rows.remove(0);
        Ok(Table {
            header: header.iter().map(|h| h.trim().to_string()).collect(),
            header_row,
            body: Body::Rows(rows.into_iter()),
            detected: Detected {
                sheet: place.sheet.clone(),
                ..Default::default()
            },
            place,
        })
    }

    /// Calls `f` for each data row with its row number and cells. Blank rows are skipped.
    /// Stops early when `f` returns false. Errors are problems of the file itself (encoding,
    /// broken quoting) that make reading on impossible.
    pub fn for_each_row(
        &mut self,
        mut f: impl FnMut(u64, &[&str]) -> bool,
    ) -> Result<(), Box<Problem>> {
        match &mut self.body {
            Body::Rows(rows) => {
                for (n, row) in rows.by_ref() {
                    if row.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    let cells: Vec<&str> = row.iter().map(String::as_str).collect();
                    if !f(n, &cells) {
                        break;
                    }
                }
                Ok(())
            }
            Body::Csv {
                reader,
                encoding,
                progress,
            } => {
                let mut rec = csv::ByteRecord::new();
                let mut decoded: Vec<String> = Vec::new();
                let mut n = 0u64;
                loop {
                    n += 1;
                    if n.is_multiple_of(16384)
                        && let Some(p) = progress
                    {
                        (p.0)(reader.position().byte());
                    }
                    match reader.read_byte_record(&mut rec) {
                        Ok(false) => return Ok(()),
                        Ok(true) => {}
                        Err(e) => {
                            let line = e.position().map(|p| p.line());
                            return Err(problem(
                                &self.place,
                                line,
                                None,
                                None,
                                format!("the file cannot be read as CSV: {e}"),
                            ));
                        }
                    }
                    let line = rec.position().map(|p| p.line()).unwrap_or(0);
                    if rec
                        .iter()
                        .all(|c| c.iter().all(|b| b.is_ascii_whitespace()))
                    {
                        continue;
                    }
                    let mut cells: Vec<&str> = Vec::with_capacity(rec.len());
                    match encoding {
                        Encoding::Utf8 | Encoding::Utf8Bom => {
                            for (i, field) in rec.iter().enumerate() {
                                match std::str::from_utf8(field) {
                                    Ok(s) => cells.push(s),
                                    Err(_) => {
                                        return Err(problem(
                                            &self.place,
                                            Some(line),
                                            self.header.get(i).map(String::as_str),
                                            Some(&String::from_utf8_lossy(field)),
                                            "this row is not UTF-8 while the file starts as UTF-8 (mixed encodings); save the whole file in one encoding",
                                        ));
                                    }
                                }
                            }
                            if !f(line, &cells) {
                                return Ok(());
                            }
                        }
                        Encoding::Windows1252 => {
                            decoded.clear();
                            for (i, field) in rec.iter().enumerate() {
                                if looks_like_utf8_text(field) {
                                    return Err(problem(
                                        &self.place,
                                        Some(line),
                                        self.header.get(i).map(String::as_str),
                                        Some(&String::from_utf8_lossy(field)),
                                        "this cell is UTF-8 while the file starts as Windows-1252 (mixed encodings); save the whole file in one encoding",
                                    ));
                                }
                                let (s, _) =
                                    encoding_rs::WINDOWS_1252.decode_without_bom_handling(field);
                                decoded.push(s.into_owned());
                            }
                            let cells: Vec<&str> = decoded.iter().map(String::as_str).collect();
                            if !f(line, &cells) {
                                return Ok(());
                            }
                        }
                    }
                }
            }
        }
    }
}

const SNIFF: usize = 1 << 20;

/// The longest line of a CSV file Peil reads. The csv parser holds a whole record in memory,
/// so without a cap one 100 MB header cell is 100 MB (and more copies of it). A header of
/// 10,000 indicator codes is about 200 KB; 4 MiB leaves twenty times that.
pub const MAX_LINE_BYTES: u64 = 4 << 20;

/// Fails a read as soon as a line (bytes between two newlines) exceeds [`MAX_LINE_BYTES`], so
/// the csv parser never buffers more than that. Costs one pass over the bytes.
pub(crate) struct LineCap<R> {
    inner: R,
    line: u64,
    since_newline: u64,
}

impl<R: Read> Read for LineCap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut start = 0;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' {
                self.since_newline += (i - start) as u64;
                self.check()?;
                self.line += 1;
                self.since_newline = 0;
                start = i + 1;
            }
        }
        self.since_newline += (n - start) as u64;
        self.check()?;
        Ok(n)
    }
}

impl<R> LineCap<R> {
    fn new(inner: R) -> LineCap<R> {
        LineCap {
            inner,
            line: 1,
            since_newline: 0,
        }
    }

    fn check(&self) -> std::io::Result<()> {
        if self.since_newline > MAX_LINE_BYTES {
            return Err(std::io::Error::other(format!(
                "line {} is longer than {} MiB; expected rows of a table (is this really a CSV file?)",
                self.line,
                MAX_LINE_BYTES >> 20
            )));
        }
        Ok(())
    }
}

/// Whether a cell of a Windows-1252 file is really UTF-8 text: it decodes as UTF-8 and every
/// non-ASCII character is one Western European text uses (Latin-1, Latin Extended-A, general
/// punctuation and currency). Windows-1252 byte pairs that happen to be valid UTF-8 — `È€`
/// is the bytes of `Ȁ` — decode to other blocks and are not mistaken for it.
fn looks_like_utf8_text(field: &[u8]) -> bool {
    if field.is_ascii() {
        return false;
    }
    std::str::from_utf8(field).is_ok_and(|t| {
        t.chars()
            .filter(|c| !c.is_ascii())
            .all(|c| matches!(c as u32, 0xA0..=0x17F | 0x2000..=0x20CF))
    })
}

fn open_csv(path: &Path, place: &Place, opts: &TableOptions) -> Result<Table, Box<Problem>> {
    let io = |e: std::io::Error| {
        problem(
            place,
            None,
            None,
            None,
            format!("cannot read the file: {e}"),
        )
    };
    let mut head = Vec::with_capacity(SNIFF);
    File::open(path)
        .map_err(io)?
        .take(SNIFF as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(problem(
            place,
            None,
            None,
            None,
            "the file is empty; expected a header row and data rows",
        ));
    }
    // Before the binary check: the ZIP signature itself holds control bytes.
    if head.starts_with(b"PK\x03\x04") {
        return Err(problem(
            place,
            None,
            None,
            None,
            "this looks like a spreadsheet (ZIP) file with a text extension; rename it to .xlsx",
        ));
    }
    if let Some(pos) = head
        .iter()
        .position(|&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)))
    {
        return Err(problem(
            place,
            Some(head[..pos].iter().filter(|&&b| b == b'\n').count() as u64 + 1),
            None,
            None,
            format!(
                "this is not a text file (binary byte 0x{:02x} at offset {pos}); expected CSV text",
                head[pos]
            ),
        ));
    }
    let encoding = opts.encoding.unwrap_or_else(|| {
        if head.starts_with(b"\xEF\xBB\xBF") {
            Encoding::Utf8Bom
        } else {
            match std::str::from_utf8(&head) {
                Ok(_) => Encoding::Utf8,
                // A cut in the middle of a character at the sniff boundary is still UTF-8.
                Err(e) if e.error_len().is_none() => Encoding::Utf8,
                Err(_) => Encoding::Windows1252,
            }
        }
    });
    let body = if encoding == Encoding::Utf8Bom && head.starts_with(b"\xEF\xBB\xBF") {
        &head[3..]
    } else {
        &head[..]
    };
    let first_line = body.split(|&b| b == b'\n').next().unwrap_or(body);
    let delimiter = opts
        .delimiter
        .unwrap_or_else(|| detect_delimiter(body, first_line));
    let file = File::open(path).map_err(io)?;
    let mut buf = BufReader::with_capacity(1 << 16, file);
    if encoding == Encoding::Utf8Bom && head.starts_with(b"\xEF\xBB\xBF") {
        let mut bom = [0u8; 3];
        buf.read_exact(&mut bom).map_err(io)?;
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(LineCap::new(buf));
    let mut rec = csv::ByteRecord::new();
    let mut header_row = 0;
    loop {
        match reader.read_byte_record(&mut rec) {
            Ok(true) => {
                header_row = rec.position().map(|p| p.line()).unwrap_or(header_row + 1);
                if rec
                    .iter()
                    .all(|c| c.iter().all(|b| b.is_ascii_whitespace()))
                {
                    continue;
                }
                break;
            }
            Ok(false) => {
                return Err(problem(
                    place,
                    None,
                    None,
                    None,
                    "the file is empty; expected a header row and data rows",
                ));
            }
            Err(e) => {
                return Err(problem(
                    place,
                    Some(1),
                    None,
                    None,
                    format!("the header cannot be read as CSV: {e}"),
                ));
            }
        }
    }
    if rec.len() > crate::workbook::MAX_COLUMNS as usize {
        return Err(problem(
            place,
            Some(header_row),
            None,
            None,
            format!(
                "the header has {} columns; Peil reads tables of up to {} columns (is the delimiter right?)",
                rec.len(),
                crate::workbook::MAX_COLUMNS
            ),
        ));
    }
    let header: Vec<String> = rec
        .iter()
        .map(|h| match encoding {
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(h)
                .0
                .trim()
                .to_string(),
            _ => String::from_utf8_lossy(h).trim().to_string(),
        })
        .collect();
    Ok(Table {
        place: place.clone(),
        header,
        header_row,
        body: Body::Csv {
            reader,
            encoding,
            progress: opts.progress.clone(),
        },
        detected: Detected {
            delimiter: Some(match delimiter {
                b'\t' => "tab".to_string(),
                d => (d as char).to_string(),
            }),
            encoding: Some(encoding),
            sheet: None,
        },
    })
}

/// Picks the delimiter that splits the first lines into the same, largest number of fields.
fn detect_delimiter(body: &[u8], first_line: &[u8]) -> u8 {
    let candidates = [b';', b',', b'\t', b'|'];
    let lines: Vec<&[u8]> = body
        .split(|&b| b == b'\n')
        .take(20)
        .filter(|l| !l.is_empty())
        .collect();
    let count = |line: &[u8], d: u8| {
        let mut in_quotes = false;
        let mut n = 0;
        for &b in line {
            if b == b'"' {
                in_quotes = !in_quotes;
            } else if b == d && !in_quotes {
                n += 1;
            }
        }
        n
    };
    let mut best = (b',', 0usize, false);
    for d in candidates {
        let h = count(first_line, d);
        if h == 0 {
            continue;
        }
        let consistent = lines.iter().skip(1).take(10).all(|l| count(l, d) == h);
        let better = (consistent && !best.2) || (consistent == best.2 && h > best.1);
        if better {
            best = (d, h, consistent);
        }
    }
    best.0
}

/// The longest text a problem may show: the rule of [`peil_core::shown`] applied to a file
/// name, sheet, row, column, value and message, with room for the words around them.
const LONGEST_PROBLEM: usize = 50_000;

fn check_problem(p: &Problem) {
    let text = p.to_string();
    assert!(
        text.len() <= LONGEST_PROBLEM,
        "a problem of {} bytes: {}",
        text.len(),
        peil_core::shown(&text)
    );
    assert!(
        !text.chars().any(|c| c.is_control()),
        "a control character in {text:?}"
    );
}

/// A scratch file for [`exercise_csv`], one per process and thread (fuzzers and tests run in
/// parallel).
fn scratch(ext: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "peil-exercise-{}-{:?}.{ext}",
        std::process::id(),
        std::thread::current().id()
    ))
}

/// The property the `csv` fuzz target and the corpus replay test check: any bytes, read as a
/// CSV file, give rows or a problem (bounded and escaped by the rule of
/// [`peil_core::shown`]); never a panic.
pub fn exercise_csv(bytes: &[u8]) {
    let path = scratch("csv");
    std::fs::write(&path, bytes).expect("the scratch file is writable");
    let result = Table::open(&path, &TableOptions::default(), &|_, _| true);
    let _ = std::fs::remove_file(&path);
    match result {
        Ok(mut t) => {
            let mut rows = 0u64;
            let r = t.for_each_row(|_, cells| {
                rows += cells.len() as u64;
                true
            });
            if let Err(p) = r {
                check_problem(&p);
            }
        }
        Err(p) => check_problem(&p),
    }
}

/// The property the `xlsx` fuzz target and the corpus replay test check: any bytes, read as
/// an .xlsx and as an .ods workbook, give sheets within the caps of [`crate::workbook`] or a
/// problem (bounded and escaped); never a panic.
pub fn exercise_workbook(bytes: &[u8]) {
    for name in ["fuzz.xlsx", "fuzz.ods"] {
        match read_workbook_bytes(name, bytes) {
            Ok(sheets) => {
                for (_, rows) in &sheets {
                    let cells: usize = rows.iter().map(|(_, r)| r.len()).sum();
                    assert!(cells as u64 <= crate::workbook::MAX_CELLS);
                    assert!(
                        rows.iter()
                            .all(|(_, r)| r.len() <= crate::workbook::MAX_COLUMNS as usize)
                    );
                }
            }
            Err(p) => check_problem(&p),
        }
    }
}

/// The property the `xls` fuzz target and the corpus replay test check: the walk of an .xls
/// file's compound file and BIFF records (our own parser, run before calamine's) refuses or
/// accepts any bytes without a panic. calamine's own .xls parser is left out: a panic in it is
/// caught and refused by the reader, but would stop the fuzzer.
pub fn exercise_xls_check(bytes: &[u8]) {
    let _ = crate::xls::check(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter(b"a;b;c\n1;2,5;3\n", b"a;b;c"), b';');
        assert_eq!(detect_delimiter(b"a,b,c\n1,2,3\n", b"a,b,c"), b',');
        assert_eq!(detect_delimiter(b"a\tb\n1\t2\n", b"a\tb"), b'\t');
        assert_eq!(detect_delimiter(b"\"a;x\",b\n1,2\n", b"\"a;x\",b"), b',');
    }
}

#[cfg(test)]
mod line_cap {
    use super::*;

    fn read(bytes: &[u8], chunk: usize) -> std::io::Result<usize> {
        // Reads through a small buffer so lines straddle reads, as they do in a file.
        let mut r = LineCap::new(bytes);
        let mut buf = vec![0u8; chunk];
        let mut total = 0;
        loop {
            match r.read(&mut buf)? {
                0 => return Ok(total),
                n => total += n,
            }
        }
    }

    #[test]
    fn long_lines_are_refused_with_their_number() {
        let max = MAX_LINE_BYTES as usize;
        let fits = [b"a;b\n".as_slice(), &vec![b'x'; max], b"\n1;2\n"].concat();
        for chunk in [1 << 16, 1000, 7] {
            assert_eq!(read(&fits, chunk).unwrap(), fits.len());
        }
        let long = [b"a;b\n1;2\n\n".as_slice(), &vec![b'x'; max + 1], b"\n"].concat();
        for chunk in [1 << 16, 1000, 7] {
            let e = read(&long, chunk).unwrap_err().to_string();
            assert!(e.contains("line 4 is longer than 4 MiB"), "{chunk}: {e}");
        }
    }
}

#[cfg(test)]
mod mixed_encoding {
    #[test]
    fn utf8_text_in_a_windows_1252_file_is_told_apart_from_coincidences() {
        assert!(super::looks_like_utf8_text(
            "Sint-Genesius-Rode é".as_bytes()
        ));
        assert!(super::looks_like_utf8_text("12 €".as_bytes()));
        // 'È€' and 'é€€' in Windows-1252 happen to be valid UTF-8 ('Ȁ', '退').
        assert!(!super::looks_like_utf8_text(b"\xC8\x80"));
        assert!(!super::looks_like_utf8_text(b"\xE9\x80\x80"));
        assert!(!super::looks_like_utf8_text(b"plain"));
    }
}

#[cfg(test)]
mod encoding_props {
    use super::*;
    use proptest::prelude::*;

    fn read_all(bytes: &[u8]) -> (Detected, Vec<Vec<String>>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, bytes).unwrap();
        let mut t = Table::open(&path, &TableOptions::default(), &|_, _| true).unwrap();
        let mut rows = vec![t.header.clone()];
        t.for_each_row(|_, c| {
            rows.push(c.iter().map(|s| s.to_string()).collect());
            true
        })
        .unwrap();
        (t.detected.clone(), rows)
    }

    // Names as Flemish sources write them: accents, apostrophes, the euro sign.
    fn name() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[A-Za-z0-9éèëêïîôöüçàâÉÈ'€ -]{1,20}").unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn text_survives_every_encoding(names in proptest::collection::vec(name(), 1..20), which in 0usize..3) {
            let mut text = String::from("code;name\n");
            for (i, n) in names.iter().enumerate() {
                text.push_str(&format!("c{i};{}\n", n.trim()));
            }
            let bytes: Vec<u8> = match which {
                0 => text.clone().into_bytes(),
                1 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
                _ => encoding_rs::WINDOWS_1252.encode(&text).0.into_owned(),
            };
            // A Windows-1252 cell whose bytes are also UTF-8 text ('â€™' is the UTF-8 of '’')
            // cannot be told apart from it; real files get the mixed-encoding error there.
            if which == 2 {
                for n in &names {
                    let cell = encoding_rs::WINDOWS_1252.encode(n.trim()).0;
                    proptest::prop_assume!(!looks_like_utf8_text(&cell));
                }
            }
            let (detected, rows) = read_all(&bytes);
            prop_assert_eq!(detected.delimiter.as_deref(), Some(";"));
            prop_assert_eq!(&rows[0], &vec!["code".to_string(), "name".to_string()]);
            for (i, n) in names.iter().enumerate() {
                prop_assert_eq!(&rows[i + 1][1], n.trim());
            }
            let ascii = text.is_ascii();
            let expected = match which {
                0 => Encoding::Utf8,
                1 => Encoding::Utf8Bom,
                _ if ascii => Encoding::Utf8,
                _ => Encoding::Windows1252,
            };
            prop_assert_eq!(detected.encoding, Some(expected));
        }
    }
}
