//! Replays the `csv` and `xlsx` fuzz corpora (`fuzz/corpus/`, crashes found by fuzzing
//! included) on stable, so CI without a nightly toolchain still checks every input; and checks
//! that the seed workbooks read as they should through the bounded reader.

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the corpus is there")
        .map(|e| e.unwrap().path())
        .collect();
    assert!(
        files.len() >= 3,
        "only {} inputs in {}",
        files.len(),
        dir.display()
    );
    files
}

#[test]
fn csv_corpus_reads_or_refuses_without_panic() {
    for path in corpus("csv") {
        peil_ingest::table::exercise_csv(&std::fs::read(&path).unwrap());
    }
}

#[test]
fn xlsx_corpus_reads_or_refuses_without_panic() {
    for path in corpus("xlsx") {
        peil_ingest::table::exercise_workbook(&std::fs::read(&path).unwrap());
    }
}

#[test]
fn xls_corpus_is_walked_without_panic() {
    for path in corpus("xls") {
        peil_ingest::table::exercise_xls_check(&std::fs::read(&path).unwrap());
    }
}

fn sheets(name: &str) -> Vec<peil_ingest::workbook::Sheet> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus/xlsx")
        .join(name);
    peil_ingest::table::read_workbook(&path).unwrap()
}

#[test]
fn seed_workbooks_read_as_text_rows() {
    let book = sheets("data.xlsx");
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Data", "_def"]);
    let rows = &book[0].1;
    assert_eq!(
        rows[0],
        (
            1,
            vec![
                "period".into(),
                "geolevel".into(),
                "geoitem".into(),
                "v1101_t".into()
            ]
        )
    );
    // A code stored as text and one stored as a number both read as 11002, never 11002.0.
    assert_eq!(rows[1].1[2], "11002");
    assert_eq!(rows[2].1[2], "11002");
    assert_eq!(rows[2].1[3], "x");
    assert_eq!(book[1].1[0].1, ["v1101_t", "indicator", "v1101_t"]);

    // Repeated ODS rows are read as repeated; trailing empty repeats cost nothing.
    let book = sheets("repeats.ods");
    let rows = &book[0].1;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0], (1, vec!["code".to_string(), "name".to_string()]));
    assert_eq!(
        rows[2],
        (3, vec!["11002".to_string(), "Antwerpen".to_string()])
    );
}

#[test]
fn a_sparse_workbook_is_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("far.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "code").unwrap();
    ws.write_string(3, 10_000, "far").unwrap();
    wb.save(&path).unwrap();
    let e = peil_ingest::table::read_workbook(&path).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("NTQ4") && text.contains("10000 columns"),
        "{text}"
    );
    // Just inside the cap, the same layout reads, sparsely.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "code").unwrap();
    ws.write_string(3, 9_999, "far").unwrap();
    wb.save(&path).unwrap();
    let book = peil_ingest::table::read_workbook(&path).unwrap();
    let rows = &book[0].1;
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[1].0, rows[1].1.len()), (4, 10_000));
}
