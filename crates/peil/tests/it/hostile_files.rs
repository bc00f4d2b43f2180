//! Files made to hurt the readers (issue 10, "Trust boundary"): sparse workbooks that declare
//! billions of cells, zip bombs, a CSV with a 100 MB header cell, control bytes meant for the
//! terminal. `peil import` must refuse each quickly, in bounded memory, with a short message,
//! and leave the store as it was. Every file is generated here; none is large on disk.

use crate::common::*;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

/// Peak memory (resident set) a refusal may take. The binary itself needs about 20 MB; a
/// reader that builds a dense grid for A1:XFD1048576 asks for 550 GB.
const MAX_RSS_KB: i64 = 300 * 1024;
/// A refusal must be quick (generous: two cores are shared with other builds).
const MAX_TIME: Duration = Duration::from_secs(10);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: Vec<u8>,
    max_rss_kb: i64,
    took: Duration,
}

/// Forks `argv[2:]`, waits for it with `wait4` and writes to `argv[1]` its own peak RSS (KB),
/// exit code (negative: killed by that signal) and seconds taken.
const MEASURE_PY: &str = r#"
import os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
start = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
took = time.monotonic() - start
with open(report, "w") as f:
    f.write(f"{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)} {took}")
"#;

/// Runs `peil` with `args` on the site and measures its own peak RSS. A small python3 process
/// forks it: spawned from this test process, the child would report this process's peak
/// instead (exec records the peak of the address space it replaces, and a child that
/// `Command` makes by vfork replaces ours, grown by the other tests of this binary).
fn run_measured(site: &Site, args: &[&str]) -> Run {
    let report = tempfile::NamedTempFile::new().unwrap();
    let out = std::process::Command::new("python3")
        .args(["-c", MEASURE_PY])
        .arg(report.path())
        .arg(env!("CARGO_BIN_EXE_peil"))
        .arg("--site")
        .arg(site.path())
        .args(args)
        .env_remove("PEIL_SITE")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "measuring peil failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(report.path()).unwrap();
    let [rss, code, took] = report.split(' ').collect::<Vec<_>>()[..] else {
        panic!("unexpected report: {report}");
    };
    let code: i32 = code.parse().unwrap();
    Run {
        code: (code >= 0).then_some(code),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: out.stderr,
        // Linux reports kilobytes.
        max_rss_kb: rss.parse().unwrap(),
        took: Duration::from_secs_f64(took.parse().unwrap()),
    }
}

/// A small site with areas and values, so an unchanged store is not an empty one.
fn base_site(dir: &Path) -> Site {
    let site = Site::new();
    for (name, text) in [
        ("wijk.csv", "code,name\nwijk1,Wijk 1\nwijk2,Wijk 2\n"),
        (
            "base.csv",
            "period,geolevel,geoitem,v1\n2019,wijk,wijk1,10\n2019,wijk,wijk2,20\n",
        ),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        site.import(&p, &[]);
    }
    site
}

/// Imports `path` and asserts a quick, small, bounded refusal that changed nothing; returns
/// stderr for further checks.
fn assert_refused(site: &Site, path: &Path, expect: &[&str]) -> String {
    let before = site.state();
    let run = run_measured(site, &["import", path.to_str().unwrap()]);
    let name = path.file_name().unwrap().to_string_lossy();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    eprintln!(
        "{name}: exit {:?} in {:?}, peak RSS {} MB, {} bytes on stderr",
        run.code,
        run.took,
        run.max_rss_kb / 1024,
        run.stderr.len()
    );
    assert_eq!(
        run.code,
        Some(2),
        "{name}: expected a refusal (exit 2)\n{}{stderr}",
        run.stdout
    );
    assert!(run.took < MAX_TIME, "{name}: took {:?}", run.took);
    assert!(
        run.max_rss_kb < MAX_RSS_KB,
        "{name}: peak RSS {} MB",
        run.max_rss_kb / 1024
    );
    assert!(
        run.stderr.len() < 4096,
        "{name}: {} bytes on stderr",
        run.stderr.len()
    );
    assert!(
        !run.stderr.iter().any(|&b| b == 0x1b || b == 0x07),
        "{name}: control bytes reach the terminal: {stderr:?}"
    );
    assert!(
        stderr.contains("nothing was written"),
        "{name}: no refusal line:\n{stderr}"
    );
    for e in expect {
        assert!(stderr.contains(e), "{name}: stderr lacks {e:?}:\n{stderr}");
    }
    assert_eq!(site.state(), before, "{name}: the store changed");
    stderr
}

/// A workbook with text in A1 and a number in one far cell, as Excel would save it (with the
/// dimension A1:<far cell>).
fn sparse_xlsx(path: &Path, row: u32, col: u16) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "period").unwrap();
    ws.write_number(row, col, 1.0).unwrap();
    wb.save(path).unwrap();
}

/// A valid workbook whose sheet XML is `filler` bytes of spaces inside `<sheetData>`
/// (deflate packs them about 1000:1). With `declare` set, the declared unpacked size of the
/// sheet is patched to that many bytes in both ZIP headers: the size lies.
fn bomb_xlsx(path: &Path, filler: usize, declare: Option<u32>) {
    let template = {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "period").unwrap();
        wb.save_to_buffer().unwrap()
    };
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(template)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    const SHEET: &str = "xl/worksheets/sheet1.xml";
    for i in 0..src.len() {
        let mut entry = src.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).unwrap();
        out.start_file(name.as_str(), opts).unwrap();
        if name == SHEET {
            let text = String::from_utf8(body).unwrap();
            let (head, tail) = text.split_at(text.find("</sheetData>").unwrap());
            out.write_all(head.as_bytes()).unwrap();
            let chunk = vec![b' '; 1 << 20];
            let mut left = filler;
            while left > 0 {
                let n = left.min(chunk.len());
                out.write_all(&chunk[..n]).unwrap();
                left -= n;
            }
            out.write_all(tail.as_bytes()).unwrap();
        } else {
            out.write_all(&body).unwrap();
        }
    }
    let mut bytes = out.finish().unwrap().into_inner();
    if let Some(size) = declare {
        // The uncompressed-size field: offset 22 in a local header (PK\3\4), 24 in a central
        // directory header (PK\1\2); each is followed by its name at offset 30 or 46.
        let mut patched = 0;
        for (sig, size_at, name_at) in [(b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)] {
            let mut at = 0;
            while let Some(p) = find(&bytes[at..], sig) {
                let h = at + p;
                if bytes[h + name_at..].starts_with(SHEET.as_bytes()) {
                    bytes[h + size_at..h + size_at + 4].copy_from_slice(&size.to_le_bytes());
                    patched += 1;
                }
                at = h + 4;
            }
        }
        assert_eq!(patched, 2, "both headers of the sheet patched");
    }
    std::fs::write(path, &bytes).unwrap();
}

/// An ODS sheet of a few hundred bytes whose one row of 100 numbers is repeated a million
/// times: 100 million cells once expanded (calamine's own cap, about 3 GB as a dense grid).
fn ods_bomb(path: &Path) {
    let mut out = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    out.start_file("mimetype", stored).unwrap();
    out.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    out.start_file("META-INF/manifest.xml", stored).unwrap();
    out.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    out.start_file("content.xml", stored).unwrap();
    out.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="Data"><table:table-row><table:table-cell office:value-type="string"><text:p>period</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="100"><text:p>1</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#).unwrap();
    out.finish().unwrap();
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    (0..hay.len().saturating_sub(needle.len()))
        .filter(|&i| hay[i..].starts_with(needle))
        .collect()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn hostile_workbooks_are_refused_quickly_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let site = base_site(dir.path());

    // The 1.6 KB file that made calamine ask for 550 GB.
    let p = dir.path().join("a1_xfd1048576.xlsx");
    sparse_xlsx(&p, 1_048_575, 16_383);
    assert!(std::fs::metadata(&p).unwrap().len() < 20_000);
    assert_refused(&site, &p, &["XFD1048576", "columns"]);

    // A1 + Z1048576: 27 million declared cells (1.5 GB and 25 s before).
    let p = dir.path().join("a1_z1048576.xlsx");
    sparse_xlsx(&p, 1_048_575, 25);
    assert_refused(&site, &p, &["Z1048576", "26 columns by 1048576 rows"]);

    // A sheet of 300 MiB of spaces: over the unpacked cap, seen in the central directory.
    let p = dir.path().join("bomb_big.xlsx");
    bomb_xlsx(&p, 300 << 20, None);
    assert!(std::fs::metadata(&p).unwrap().len() < 2 << 20);
    assert_refused(&site, &p, &["unpacks to more than", "zip bomb"]);

    // 100 MiB of spaces: under the cap, but at about 1000:1.
    let p = dir.path().join("bomb_ratio.xlsx");
    bomb_xlsx(&p, 100 << 20, None);
    assert_refused(
        &site,
        &p,
        &["xl/worksheets/sheet1.xml", "expected at most 200:1"],
    );

    // The same part declaring 1000 bytes: caught when unpacking, not believed.
    let p = dir.path().join("bomb_lying.xlsx");
    bomb_xlsx(&p, 100 << 20, Some(1000));
    assert_refused(
        &site,
        &p,
        &[
            "larger than its declared",
            "unpack to the size they declare",
        ],
    );

    // Repeated ODS rows: 100 million cells from 1 KB.
    let p = dir.path().join("repeats.ods");
    ods_bomb(&p);
    assert!(std::fs::metadata(&p).unwrap().len() < 2000);
    assert_refused(&site, &p, &["sheet 'Data'", "100 columns by 1000001 rows"]);

    // An old .xls whose last cell is moved to IV65536: a 16.7-million-cell grid from one
    // record (the fixture is peil-ingest's, written by xlwt).
    let mut xls = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../peil-ingest/tests/fixtures/small.xls"),
    )
    .unwrap();
    let rk = find_all(&xls, &[0x7E, 0x02, 10, 0]);
    let at = rk[rk.len() - 1] + 4;
    xls[at..at + 4].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0x00]);
    let p = dir.path().join("far.xls");
    std::fs::write(&p, &xls).unwrap();
    assert_refused(&site, &p, &["IV65536", "256 columns by 65536 rows"]);

    // A healthy workbook still imports after all this (the bounds are not too tight).
    let p = dir.path().join("fine.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["period", "geolevel", "geoitem", "v1"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (item, v)) in [("wijk1", 11.0), ("wijk2", 21.0)].iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_number(r, 0, 2020.0).unwrap();
        ws.write_string(r, 1, "wijk").unwrap();
        ws.write_string(r, 2, *item).unwrap();
        ws.write_number(r, 3, *v).unwrap();
    }
    wb.save(&p).unwrap();
    site.import(&p, &[]);
    assert!(site.ok(&["export"]).contains("2020"));
}

#[test]
fn hostile_csv_gives_a_short_clean_error() {
    let dir = tempfile::tempdir().unwrap();
    let site = base_site(dir.path());

    // One header cell of 100 MB.
    let p = dir.path().join("huge_header.csv");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        f.write_all(b"period,geolevel,geoitem,").unwrap();
        let chunk = vec![b'v'; 1 << 20];
        for _ in 0..100 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\n2021,wijk,wijk1,1\n").unwrap();
    }
    assert_refused(&site, &p, &["line 1 is longer than 4 MiB"]);

    // A header just under the line cap, in a column of its own: read, and echoed cut short.
    let p = dir.path().join("long_column.csv");
    let long = "w".repeat(3 << 20);
    std::fs::write(
        &p,
        format!("period,geolevel,geoitem,{long}\n2021,wijk,wijk1,abc\n"),
    )
    .unwrap();
    let stderr = assert_refused(&site, &p, &["more characters)"]);
    assert!(!stderr.contains(&"w".repeat(200)), "{stderr}");

    // Escape sequences after the first megabyte (the binary-file check reads the first one):
    // an unknown area code that would set the terminal's title and clear its screen.
    let p = dir.path().join("escapes.csv");
    let mut text = b"period,geolevel,geoitem,v1\n".to_vec();
    text.extend(std::iter::repeat_n(b'\n', 1_200_000));
    text.extend_from_slice(b"2021,wijk,\x1b]0;pwned\x07\x1b[2J,1\n");
    std::fs::write(&p, text).unwrap();
    let stderr = assert_refused(&site, &p, &["\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"]);
    assert!(stderr.contains("not an item of wijk"), "{stderr}");
}
