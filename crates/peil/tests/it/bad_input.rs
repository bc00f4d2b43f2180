//! A corpus of broken import files. Each one must be refused with a specific, clear error
//! (file, sheet, row, column where they apply) and leave the store exactly as it was.
//!
//! The files are generated into a temporary folder; no binary fixture is committed.
//! A new case is one line in [`cases`].

use crate::common::*;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How a case's file comes to be.
enum Contents {
    /// Text written as is.
    Text(&'static str),
    /// Bytes written as is.
    Bytes(&'static [u8]),
    /// Writes the file (and any sidecar files) at the given path.
    Gen(fn(&Path)),
}
use Contents::*;

struct Case {
    name: &'static str,
    file_name: &'static str,
    contents: Contents,
    /// Extra arguments after `import FILE`.
    args: &'static [&'static str],
    /// Substrings that must all appear: on stderr for a refusal, on stdout for success.
    expect: &'static [&'static str],
    /// Expected exit code: 2 (refused), 1 (usage error) or 0 (dry run).
    code: i32,
    /// Valid files (name, text) imported before the case's state is recorded.
    pre: &'static [(&'static str, &'static str)],
}

/// A file refused with exit code 2.
fn refused(
    name: &'static str,
    file_name: &'static str,
    contents: Contents,
    args: &'static [&'static str],
    expect: &'static [&'static str],
) -> Case {
    Case {
        name,
        file_name,
        contents,
        args,
        expect,
        code: 2,
        pre: &[],
    }
}

const WIDE_HEADER: &str = "period,geolevel,geoitem,v1,v2\n";

fn cases() -> Vec<Case> {
    vec![
        // --- CSV structure -------------------------------------------------------------
        // Product bug (reported): for an unreadable file detection fails and hides the
        // reader's error behind "cannot tell what this file is"; the same for the next
        // cases marked (detection). Each has a `--kind` twin below that passes.
        refused("empty file (0 bytes)", "empty.csv", Text(""), &[],
            &["error: empty.csv: the file is empty; expected a header row and data rows"]),
        // (detection)
        refused("whitespace-only file", "blank.csv", Text("  \n\t\n   \r\n"), &[],
            &["error: blank.csv: the file is empty; expected a header row and data rows"]),
        refused("header only", "header_only.csv", Text(WIDE_HEADER), &[],
            &["error: header_only.csv: the file has a header but no data rows"]),
        refused("wrong delimiter: header with ';', rows with ','", "wrong_delim.csv",
            Text("period;geolevel;geoitem;v1;v2\n2021,wijk,wijk1,1,2\n2021,wijk,wijk2,3,4\n"), &[],
            &["error: wrong_delim.csv, row 2: this row has 1 cell, the header has 5 (ragged row; check the delimiter"]),
        refused("ragged row: too many cells", "ragged_many.csv",
            Text("period,geolevel,geoitem,v1,v2\n2021,wijk,wijk1,1,2\n2021,wijk,wijk2,1,2,3\n"), &[],
            &["error: ragged_many.csv, row 3: this row has 6 cells, the header has 5 (ragged row"]),
        refused("ragged row: too few cells", "ragged_few.csv",
            Text("period,geolevel,geoitem,v1,v2\n2021,wijk,wijk1,1,2\n2021,wijk,wijk2,1\n"), &[],
            &["error: ragged_few.csv, row 3: this row has 4 cells, the header has 5 (ragged row"]),
        refused("a value in a column without a header (header ends with a delimiter)", "unnamed_column.csv",
            Text("period,geolevel,geoitem,v1,\n2021,wijk,wijk1,1,\n2021,wijk,wijk2,2,7\n"), &[],
            &["error: unnamed_column.csv, row 3, column '#5': found '7'; a value in a column without a header"]),
        refused("mixed encodings: Windows-1252 first, a UTF-8 cell later", "mixed_1252_utf8.csv",
            Bytes(b"period,geolevel,geoitem,naam,v1,v2\n2021,wijk,wijk1,Caf\xe9,1,2\n2021,wijk,wijk2,Caf\xc3\xa9,1,2\n"),
            &["--ignore-column", "naam"],
            &["error: mixed_1252_utf8.csv, row 3, column 'naam': found 'Café'; this cell is UTF-8 while the file starts as Windows-1252 (mixed encodings)"]),
        refused("mixed encodings: UTF-8 for more than 1 MiB, then a Windows-1252 row", "mixed_utf8_1252.csv",
            Gen(utf8_then_1252), &["--ignore-column", "naam"],
            &["error: mixed_utf8_1252.csv, row 3, column 'naam': found 'Caf\u{fffd}'; this row is not UTF-8 while the file starts as UTF-8 (mixed encodings)"]),
        // (detection)
        refused("1 GiB of binary garbage", "huge.csv", Gen(huge_garbage), &[],
            &["error: huge.csv, row 1: this is not a text file (binary byte 0x00 at offset 0); expected CSV text"]),
        // (detection)
        refused("an XLSX saved with a .csv extension", "zipped.csv", Gen(xlsx_as_csv), &[],
            &["error: zipped.csv: this looks like a spreadsheet (ZIP) file with a text extension; rename it to .xlsx"]),
        // --- data rows -----------------------------------------------------------------
        refused("unknown geo level", "unknown_level.csv",
            Text("period,geolevel,geoitem,v1\n2021,buurt,wijk1,5\n"), &[],
            &["error: unknown_level.csv, row 2, column 'geolevel': found 'buurt'; unknown geo level (known: stad, wijk)"]),
        refused("unknown area code", "unknown_item.csv",
            Text("period,geolevel,geoitem,v1\n2021,wijk,wijk1,5\n2021,wijk,wijk9,6\n"), &[],
            &["error: unknown_item.csv, row 3, column 'geoitem': found 'wijk9'; not an item of wijk", "--skip-unknown-areas"]),
        // Product bug (reported): the message leaves out the geo item of the duplicated key.
        refused("duplicate keys", "duplicates.csv",
            Text("period,geolevel,geoitem,v1\n2021,wijk,wijk1,5\n2021,wijk,wijk2,6\n2021,wijk,wijk1,7\n"), &[],
            &["error: duplicates.csv, row 4: duplicate record for v1 wijk wijk1 2021 (rows 2, 4)", "--totalize-duplicates"]),
        refused("text in a numeric column", "text_value.csv",
            Text("period,geolevel,geoitem,v1,v2\n2021,wijk,wijk1,1,2\n2021,wijk,wijk2,veel,2\n"), &[],
            &["error: text_value.csv, row 3, column 'v1': found 'veel'; expected a number"]),
        refused("period 2019Q5", "period_q5.csv",
            Text("period,geolevel,geoitem,v1\n2019Q4,wijk,wijk1,1\n2019Q5,wijk,wijk1,1\n"), &[],
            &["error: period_q5.csv, row 3, column 'period': found '2019Q5'; expected a period code"]),
        refused("period 20x9", "period_20x9.csv",
            Text("period,geolevel,geoitem,v1\n20x9,wijk,wijk1,1\n"), &[],
            &["error: period_20x9.csv, row 2, column 'period': found '20x9'; expected a period code"]),
        refused("long file without its value column", "long_no_value.csv",
            Text("period,geolevel,geoitem,indicator\n2021,wijk,wijk1,v1\n"), &[],
            &["error: long_no_value.csv, row 1: an 'indicator' column without a 'value' column"]),
        refused("mixed decimal separators in one column", "mixed_decimals.csv",
            Text("period;geolevel;geoitem;v1\n2021;wijk;wijk1;1,5\n2021;wijk;wijk2;2.5\n"), &[],
            &["error: mixed_decimals.csv", "row 2, column 'v1': found '1,5'; a decimal comma, while row 3, column 'v1' has a decimal point ('2.5')", "--decimal"]),
        refused("unknown indicator with --no-new-indicators", "new_indicator.csv",
            Text("period,geolevel,geoitem,v1,v9\n2021,wijk,wijk1,1,2\n"), &["--no-new-indicators"],
            &["error: new_indicator.csv, row 1, column 'v9': found 'v9'; unknown indicator"]),
        Case {
            pre: &[("formula_meta.csv", "code,name,formula\nv3,Som,v1 + v2\n")],
            ..refused("values for a formula indicator", "formula_values.csv",
                Text("period,geolevel,geoitem,v3\n2021,wijk,wijk1,3\n"), &[],
                &["error: formula_values.csv, row 1, column 'v3': found 'v3'; this is a formula indicator: its values are computed, not loaded"])
        },
        refused("a formula that does not parse", "formula_syntax.csv",
            Text("code,name,formula\nv4,Aandeel,(v1 / v2 * 100\n"), &[],
            &["error: formula_syntax.csv, row 2, column 'formula': found '(v1 / v2 * 100'; v4 does not parse"]),
        refused("a formula reading an unknown indicator", "formula_unknown.csv",
            Text("code,name,formula\nv4,Aandeel,v1 / v_onbekend * 100\n"), &[],
            &["error: formula_unknown.csv, row 2, column 'formula': found 'v_onbekend'; the formula of 'v4' reads 'v_onbekend', which is not a known indicator"]),
        Case {
            pre: &[("formula_chain.csv", "code,name,formula\nv5,Vijf,v1 + 1\nv6,Zes,v5 * 2\n")],
            ..refused("formulas in a cycle with stored ones", "formula_cycle.csv",
                Text("code,name,formula\nv5,Vijf,v6 + 1\n"), &[],
                &["error: formula_cycle.csv, row 2, column 'formula'", "formulas read each other in a circle: v5 → v6 → v5"])
        },
        Case {
            code: 1,
            ..refused("invalid --status-map symbol", "status_map.csv", Text(VALID_2021), &["--status-column", "v2", "--status-map", "geheim=zz"],
                &["error: --status-map: 'zz' is not a missing symbol (x, ?, nvt, -)"])
        },
        Case {
            code: 1,
            ..refused("invalid --empty-as value", "empty_as.csv", Text(VALID_2021), &["--empty-as", "0"],
                &["error: --empty-as takes a missing symbol: x, ?, nvt or -"])
        },
        // --- spreadsheets --------------------------------------------------------------
        // (detection)
        refused("corrupt XLSX: random bytes", "random.xlsx", Gen(random_bytes), &[],
            &["error: random.xlsx: cannot read this workbook"]),
        // (detection)
        refused("corrupt XLSX: a real workbook cut in half", "truncated.xlsx", Gen(truncated_xlsx), &[],
            &["error: truncated.xlsx: cannot read this workbook"]),
        // (detection)
        refused("XLSX: --sheet names a sheet that does not exist", "sheets.xlsx", Gen(valid_xlsx), &["--sheet", "Gegevens"],
            &["error: sheets.xlsx: found 'Gegevens'; no sheet with this name in the workbook; sheets: Data"]),
        refused("XLSX: text in a numeric cell", "text_cell.xlsx", Gen(xlsx_text_cell), &[],
            &["error: text_cell.xlsx, sheet 'Data', row 3, column 'v1': found 'veel'; expected a number"]),
        refused("XLSX: a value beyond the last named column", "beyond.xlsx", Gen(xlsx_beyond), &[],
            &["error: beyond.xlsx, sheet 'Data', row 3: found '7'; a value beyond the last named column (4 columns in the header)"]),
        // --- hierarchy -----------------------------------------------------------------
        refused("aggregation table making a cycle", "stad_wijk.csv",
            Text("stad,wijk\nstad1,wijk1\n"), &[],
            &["error: stad_wijk.csv, row 1: this table would make a cycle in the level hierarchy", "stad → wijk → stad"]),
        refused("aggregation table: a child with two parents", "two_parents.csv",
            Text("wijk,stad\nwijk1,stad1\nwijk2,stad1\nwijk1,stad2\n"), &[],
            &["error: two_parents.csv, row 2, column 'wijk': found 'wijk1'; has several parents in stad (stad1, stad2)"]),
        // (detection): a two-column header with one known level is an aggregation table.
        refused("aggregation table with an unknown level in the header", "wijk_buurt.csv",
            Text("wijk,buurt\nwijk1,b1\n"), &[],
            &["error: wijk_buurt.csv, row 1, column 'buurt': unknown geo level"]),
        refused("aggregation table with an unknown child code", "unknown_child.csv",
            Text("wijk,stad\nwijk1,stad1\nwijk7,stad1\n"), &[],
            &["error: unknown_child.csv, row 3, column 'wijk': found 'wijk7'; not an item of wijk"]),
        refused("area definition with duplicate codes", "dup_codes.csv",
            Text("code,name\nwijk1,Eén\nwijk2,Twee\nwijk1,Nog eens één\n"), &["--level", "wijk"],
            &["error: dup_codes.csv, row 4, column 'code': found 'wijk1'; duplicate code (also in row 2)"]),
        refused("area definition with an empty code", "empty_code.csv",
            Text("code,name\nwijk1,Eén\n  ,Twee\n"), &["--level", "wijk"],
            &["error: empty_code.csv, row 3, column 'code': empty geoitem code"]),
        // --- geometry ------------------------------------------------------------------
        refused("shapefile without .dbf", "nodbf.shp", Gen(shapefile_without_dbf), &["--level", "stad"],
            &["error: nodbf.shp: the shapefile has no .dbf beside it"]),
        refused("GeoJSON that is not valid JSON", "broken.geojson",
            Text("{\"type\": \"FeatureCollection\", \"features\": [\n  {\"type\": \"Feature\", \"properties\": {\"code\": \"wijk1\"}\n"),
            &["--level", "wijk"],
            &["error: broken.geojson, row 3: not valid JSON"]),
        refused("GeoJSON whose codes match no item", "nomatch.geojson", Text(GEOJSON_NO_MATCH), &["--level", "wijk"],
            &["error: nomatch.geojson: no attribute holds codes of wijk items (attributes: code, naam)"]),
        // --- metadata and themes -------------------------------------------------------
        refused("metadata with an unknown data type", "meta_type.csv",
            Text("code,name,data type\nv1,Eerste,numeric\nv2,Tweede,banaan\n"), &[],
            &["error: meta_type.csv, row 3, column 'data type': found 'banaan'; expected a data type"]),
        refused("metadata referring to an unknown aggregation indicator", "meta_agg.csv",
            Text("code,name,aggregation indicator\nv1,Eerste,v2\nv2,Tweede,v99\n"), &[],
            &["error: meta_agg.csv, row 3, column 'aggregation indicator': found 'v99'; v2 refers to an unknown indicator"]),
        refused("theme tree with a cycle", "themes_cycle.csv",
            Text("code,parent,name\nroot,,Alles\na,b,Thema A\nb,a,Thema B\n"), &[],
            &["error: themes_cycle.csv", "the theme tree has a cycle: a → b → a"]),
        // --- the same kinds of broken files with --kind, so detection is not involved -----
        refused("empty file, --kind data", "empty_kind.csv", Text(""), &["--kind", "data"],
            &["error: empty_kind.csv: the file is empty; expected a header row and data rows"]),
        refused("1 GiB of binary garbage, --kind data", "huge_kind.csv", Gen(huge_garbage), &["--kind", "data"],
            &["error: huge_kind.csv, row 1: this is not a text file (binary byte 0x00 at offset 0); expected CSV text"]),
        refused("an XLSX saved with a .csv extension, --kind data", "zipped_kind.csv", Gen(xlsx_as_csv), &["--kind", "data"],
            &["error: zipped_kind.csv: this looks like a spreadsheet (ZIP) file with a text extension; rename it to .xlsx"]),
        refused("corrupt XLSX: random bytes, --kind data", "random_kind.xlsx", Gen(random_bytes), &["--kind", "data"],
            &["error: random_kind.xlsx: cannot read this workbook"]),
        refused("corrupt XLSX: cut in half, --kind data", "truncated_kind.xlsx", Gen(truncated_xlsx), &["--kind", "data"],
            &["error: truncated_kind.xlsx: cannot read this workbook"]),
        refused("XLSX: missing --sheet, --kind data", "sheets_kind.xlsx", Gen(valid_xlsx), &["--kind", "data", "--sheet", "Gegevens"],
            &["error: sheets_kind.xlsx: found 'Gegevens'; no sheet with this name in the workbook; sheets: Data"]),
        refused("aggregation table with an unknown level, --kind links", "wijk_buurt_kind.csv",
            Text("wijk,buurt\nwijk1,b1\n"), &["--kind", "links"],
            &["error: wijk_buurt_kind.csv, row 1, column 'buurt': unknown geo level; import its area definitions first"]),
        // --- a dry run writes nothing --------------------------------------------------
        Case {
            code: 0,
            ..refused("dry run of a valid file", "dry_run.csv", Text(VALID_2021), &["--dry-run"],
                &["2 rows read", "dry run: nothing written"])
        },
    ]
}

/// A valid wide file with values the base does not hold yet.
const VALID_2021: &str =
    "period,geolevel,geoitem,v1,v2\n2021,wijk,wijk1,7,8\n2021,wijk,wijk2,9,10\n";

const GEOJSON_NO_MATCH: &str = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {"code": "zz1", "naam": "Elders"},
   "geometry": {"type": "Point", "coordinates": [3.72, 51.05]}}
]}"#;

fn utf8_then_1252(path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(b"period,geolevel,geoitem,naam,v1,v2\n")
        .unwrap();
    // One cell of 1.2 MB of 'é': the whole first MiB is valid UTF-8.
    f.write_all(format!("2021,wijk,wijk1,{},1,2\n", "é".repeat(600_000)).as_bytes())
        .unwrap();
    f.write_all(b"2021,wijk,wijk2,Caf\xe9,1,2\n").unwrap();
}

/// A few KB of pseudo-random binary bytes, then a sparse hole up to 1 GiB.
fn huge_garbage(path: &Path) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = std::io::BufWriter::new(&f);
    w.write_all(&[0u8]).unwrap();
    w.write_all(&noise(8192, 7)).unwrap();
    w.flush().unwrap();
    drop(w);
    f.set_len(1 << 30).unwrap();
}

fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn random_bytes(path: &Path) {
    std::fs::write(path, noise(4096, 42)).unwrap();
}

fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Data").unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            match cell.parse::<f64>() {
                Ok(n) => ws.write_number(r as u32, c as u16, n).unwrap(),
                Err(_) => ws.write_string(r as u32, c as u16, *cell).unwrap(),
            };
        }
    }
    wb.save_to_buffer().unwrap()
}

const XLSX_VALID: &[&[&str]] = &[
    &["period", "geolevel", "geoitem", "v1"],
    &["2021", "wijk", "wijk1", "1"],
    &["2021", "wijk", "wijk2", "2"],
];

fn valid_xlsx(path: &Path) {
    std::fs::write(path, workbook(XLSX_VALID)).unwrap();
}

fn xlsx_as_csv(path: &Path) {
    std::fs::write(path, workbook(XLSX_VALID)).unwrap();
}

fn truncated_xlsx(path: &Path) {
    let b = workbook(XLSX_VALID);
    std::fs::write(path, &b[..b.len() / 2]).unwrap();
}

fn xlsx_text_cell(path: &Path) {
    let rows: &[&[&str]] = &[
        &["period", "geolevel", "geoitem", "v1"],
        &["2021", "wijk", "wijk1", "1"],
        &["2021", "wijk", "wijk2", "veel"],
    ];
    std::fs::write(path, workbook(rows)).unwrap();
}

fn xlsx_beyond(path: &Path) {
    let rows: &[&[&str]] = &[
        &["period", "geolevel", "geoitem", "v1"],
        &["2021", "wijk", "wijk1", "1"],
        &["2021", "wijk", "wijk2", "2", "7"],
    ];
    std::fs::write(path, workbook(rows)).unwrap();
}

/// The real gewest shapefile's .shp, .shx and .prj, without its .dbf.
fn shapefile_without_dbf(path: &Path) {
    let src = flanders().join("geo/lambert72");
    for ext in ["shp", "shx", "prj"] {
        std::fs::copy(src.join(format!("gewest.{ext}")), path.with_extension(ext)).unwrap();
    }
}

/// The small valid base every case starts from.
const BASE: &[(&str, &str)] = &[
    (
        "wijk.csv",
        "code,name\nwijk1,Wijk 1\nwijk2,Wijk 2\nwijk3,Wijk 3\nwijk4,Wijk 4\nwijk5,Wijk 5\n",
    ),
    ("stad.csv", "code,name\nstad1,Stad 1\nstad2,Stad 2\n"),
    (
        "wijk_stad.csv",
        "wijk,stad\nwijk1,stad1\nwijk2,stad1\nwijk3,stad1\nwijk4,stad1\nwijk5,stad1\n",
    ),
    (
        "base_data.csv",
        "period,geolevel,geoitem,v1,v2\n\
         2019,wijk,wijk1,10,1.5\n2019,wijk,wijk2,20,2.5\n2019,wijk,wijk3,30,3.5\n2019,wijk,wijk4,40,4.5\n2019,wijk,wijk5,50,5.5\n\
         2020,wijk,wijk1,11,x\n2020,wijk,wijk2,21,2.6\n2020,wijk,wijk3,31,3.6\n2020,wijk,wijk4,41,4.6\n2020,wijk,wijk5,51,5.6\n",
    ),
];

fn base_site(dir: &Path) -> Site {
    let site = Site::new();
    for (name, text) in BASE {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        site.import(&p, &[]);
    }
    let export = site.ok(&["export"]);
    assert_eq!(
        export.lines().count(),
        1 + 2 * 2 * 5,
        "the base holds 20 values:\n{export}"
    );
    site
}

/// Every row of every table of the store, to prove a refused import wrote nothing at all.
fn store_rows(site: &Site) -> Vec<String> {
    let db = rusqlite::Connection::open_with_flags(
        site.store(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = Vec::new();
    for t in tables {
        let mut st = db.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = st.column_count();
        let mut rows: Vec<String> = st
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(format!("{t}: {}", cells.join(" | ")))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        out.extend(rows);
    }
    out
}

fn write_case_file(dir: &Path, case: &Case) -> PathBuf {
    let path = dir.join(case.file_name);
    match &case.contents {
        Text(t) => std::fs::write(&path, t).unwrap(),
        Bytes(b) => std::fs::write(&path, b).unwrap(),
        Gen(f) => f(&path),
    }
    path
}

/// Runs one case; returns a description of what went wrong, if anything.
fn run_case(template: &Site, corpus: &Path, case: &Case) -> Result<(), String> {
    let site = Site::copy_of(template);
    for (name, text) in case.pre {
        let p = corpus.join(name);
        std::fs::write(&p, text).unwrap();
        site.import(&p, &[]);
    }
    let before = site.state();
    let before_imports = site.ok(&["imports", "--json"]);
    let before_rows = store_rows(&site);
    let path = write_case_file(corpus, case);
    let mut args = vec!["import", path.to_str().unwrap()];
    args.extend_from_slice(case.args);
    let start = Instant::now();
    let out = site.run(&args);
    let took = start.elapsed();
    for ext in ["", "shx", "prj"] {
        let p = if ext.is_empty() {
            path.clone()
        } else {
            path.with_extension(ext)
        };
        let _ = std::fs::remove_file(p);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if std::env::var_os("PEIL_TEST_VERBOSE").is_some() {
        eprintln!(
            "=== {} ({took:?}, exit {:?})\n{stdout}{stderr}",
            case.name,
            out.status.code()
        );
    }
    let mut wrong = Vec::new();
    if out.status.code() != Some(case.code) {
        wrong.push(format!(
            "exit code {:?}, expected {}",
            out.status.code(),
            case.code
        ));
    }
    let (stream, text) = if case.code == 0 {
        ("stdout", &stdout)
    } else {
        ("stderr", &stderr)
    };
    for e in case.expect {
        if !text.contains(e) {
            wrong.push(format!("{stream} lacks: {e}"));
        }
    }
    if case.code == 2 && !(stderr.contains("refused: ") && stderr.contains("nothing was written")) {
        wrong.push("stderr lacks the 'refused: … nothing was written' line".into());
    }
    if took > Duration::from_secs(10) {
        wrong.push(format!("took {took:?}; a refusal must be quick"));
    }
    if site.state() != before {
        wrong.push("the store changed (export or status)".into());
    }
    if site.ok(&["imports", "--json"]) != before_imports {
        wrong.push("an import was recorded".into());
    }
    if store_rows(&site) != before_rows {
        wrong.push("a row of the SQLite store changed".into());
    }
    let check = site.run(&["check"]);
    if !check.status.success() {
        wrong.push(format!(
            "peil check fails afterwards:\n{}",
            String::from_utf8_lossy(&check.stdout)
        ));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "  - {}\n--- stdout:\n{stdout}--- stderr:\n{stderr}",
            wrong.join("\n  - ")
        ))
    }
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    sqlite_only!(
        "reads every row of every table from the SQLite file (sqlite_master) to prove nothing was written"
    );
    let corpus = tempfile::tempdir().unwrap();
    let template = base_site(corpus.path());
    // The change detectors are not blind: a valid import does change what they see.
    {
        let site = Site::copy_of(&template);
        let (state, rows) = (site.state(), store_rows(&site));
        let p = corpus.path().join("control.csv");
        std::fs::write(&p, VALID_2021).unwrap();
        site.import(&p, &[]);
        assert_ne!(site.state(), state, "a valid import shows in state()");
        assert_ne!(
            store_rows(&site),
            rows,
            "a valid import shows in the store rows"
        );
    }
    let cases = cases();
    assert!(cases.len() >= 28, "the corpus has {} cases", cases.len());
    let mut names = std::collections::HashSet::new();
    for c in &cases {
        assert!(names.insert(c.file_name), "two cases write {}", c.file_name);
    }
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(why) = run_case(&template, corpus.path(), case) {
            failures.push(format!("case '{}' ({}):\n{why}", case.name, case.file_name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
