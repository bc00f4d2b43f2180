//! Old binary .xls files through the bounded reader. `fixtures/small.xls` was written by xlwt
//! 1.3 (sheets `Data` with a header and two rows, and `_def`: its workbook stream sits in the
//! compound file's mini stream); `fixtures/big.xls` too (sheet `Big`, 400 rows of a code and
//! three numbers: a stream in regular sectors). The hostile variants are made here by patching
//! records in place.

use std::path::Path;

fn fixture() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small.xls")).unwrap()
}

/// Offsets of every record of type `typ` and length `len` in the file's bytes (the workbook
/// stream of a small file lies in a few sectors, records whole within them).
fn records(bytes: &[u8], typ: u16, len: u16) -> Vec<usize> {
    let head = [typ.to_le_bytes(), len.to_le_bytes()].concat();
    (0..bytes.len() - 4)
        .filter(|&i| bytes[i..i + 4] == head[..])
        .collect()
}

fn read(bytes: &[u8]) -> Result<Vec<peil_ingest::workbook::Sheet>, String> {
    peil_ingest::table::read_workbook_bytes("book.xls", bytes).map_err(|p| p.to_string())
}

#[test]
fn a_real_xls_reads_as_before() {
    let book = read(&fixture()).unwrap();
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Data", "_def"]);
    let rows = &book[0].1;
    assert_eq!(rows[0].1, ["period", "geolevel", "geoitem", "v1"]);
    assert_eq!(
        rows[1],
        (
            2,
            vec!["2020".into(), "wijk".into(), "wijk1".into(), "11".into()]
        )
    );
    assert_eq!(rows[2].1[3], "21.5");
}

#[test]
fn a_larger_xls_reads_through_regular_sectors() {
    let bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/big.xls"))
        .unwrap();
    let book = read(&bytes).unwrap();
    let rows = &book[0].1;
    assert_eq!(rows.len(), 400);
    assert_eq!(
        rows[399],
        (
            400,
            vec![
                "code399".into(),
                "3991".into(),
                "3992".into(),
                "3993".into()
            ]
        )
    );
}

#[test]
fn a_dimension_beyond_the_caps_is_refused() {
    let good = fixture();
    let dims = records(&good, 0x0200, 14);
    assert_eq!(dims.len(), 2, "one DIMENSIONS record per sheet");
    // Last row 2³² − 16: calamine would reserve room for four billion rows.
    let mut bytes = good.clone();
    bytes[dims[0] + 8..dims[0] + 12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let e = read(&bytes).unwrap_err();
    assert!(
        e.contains("sheet '#1'") && e.contains("declares rows 1 to 4294967280"),
        "{e}"
    );
    // A first row after the last one: calamine's arithmetic would overflow.
    let mut bytes = good.clone();
    bytes[dims[0] + 4..dims[0] + 8].copy_from_slice(&100u32.to_le_bytes());
    let e = read(&bytes).unwrap_err();
    assert!(e.contains("declares rows 101 to 3"), "{e}");
    // Found by fuzzing: a first row of 2³² − 1 overflowed the message's own arithmetic.
    let mut bytes = good.clone();
    bytes[dims[0] + 4..dims[0] + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = read(&bytes).unwrap_err();
    assert!(e.contains("declares rows 4294967296 to 3"), "{e}");
}

#[test]
fn a_far_cell_is_refused_before_the_grid_is_built() {
    let good = fixture();
    // The last RK cell of the first sheet moved to row 65536, column 256 (IV65536): a dense
    // grid of 16.7 million cells from one record.
    let rk = records(&good, 0x027E, 10);
    let mut bytes = good.clone();
    let at = rk[rk.len() - 1] + 4;
    bytes[at..at + 2].copy_from_slice(&0xFFFFu16.to_le_bytes());
    bytes[at + 2..at + 4].copy_from_slice(&0x00FFu16.to_le_bytes());
    let e = read(&bytes).unwrap_err();
    assert!(
        e.contains("IV65536") && e.contains("256 columns by 65536 rows"),
        "{e}"
    );
    // Column 65535 is beyond the column cap whatever the row.
    let mut bytes = good.clone();
    bytes[at + 2..at + 4].copy_from_slice(&0xFFFFu16.to_le_bytes());
    let e = read(&bytes).unwrap_err();
    assert!(e.contains("CRXP3"), "{e}");
}

#[test]
fn garbage_with_an_xls_name_is_refused() {
    for bytes in [b"not a workbook".to_vec(), fixture()[..600].to_vec()] {
        let e = read(&bytes).unwrap_err();
        assert!(e.contains("book.xls"), "{e}");
    }
}
