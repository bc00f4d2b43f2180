//! Snapshot files (issue 16, §3): `peil publish` writes the publication's values as a file in
//! `<site>/.snapshots/`, and `peil serve` maps it instead of reading the values into its own
//! memory. A server that finds no file, or a damaged one, writes it again from the store,
//! byte for byte what the publish wrote; a server that cannot write one serves from memory.
//! Every answer is the same either way.

use crate::common::*;
use std::path::{Path, PathBuf};

fn snapshot_files(site: &Path) -> Vec<PathBuf> {
    let dir = site.join(".snapshots");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// The demo with the file its publish wrote. On the PostgreSQL pass the demo is a copy moved
/// by `peil migrate-store`, which copies the store and not the files beside it: published
/// again there, so that its publish writes the file as `peil demo`'s did on SQLite.
fn demo() -> Site {
    let demo = Site::demo();
    if snapshot_files(demo.path()).is_empty() {
        demo.ok(&["publish"]);
    }
    demo
}

/// Every data answer a reader can ask of the demo: each indicator on each level for its most
/// recent period, as JSON and CSV, and a few pages and selection tables.
fn answers(s: &Server) -> Vec<(String, u16, String)> {
    let all = s.get("/api/v1/indicators?per_page=1000").json();
    let codes: Vec<String> = all["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_string())
        .collect();
    assert!(codes.len() > 20, "{codes:?}");
    let levels: Vec<String> = s.get("/api/v1/geolevels").json()["geolevels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["code"].as_str().unwrap().to_string())
        .collect();
    assert!(levels.len() >= 3, "{levels:?}");
    let mut paths = Vec::new();
    for code in &codes {
        for level in &levels {
            paths.push(format!(
                "/api/v1/data?indicator={code}&level={level}&period=mrp"
            ));
        }
        paths.push(format!(
            "/api/v1/data?indicator={code}&level=wijk&period=mrp&format=csv"
        ));
    }
    for code in codes.iter().take(5) {
        paths.push(format!("/indicator/{code}"));
        paths.push(format!(
            "/jive/selectiontableasjson.ashx?var={code}&geolevel=wijk&periodlevel=year"
        ));
    }
    paths
        .into_iter()
        .map(|p| {
            let r = s.get(&p);
            // Pages name the address they are served at (share and embed links).
            (p, r.status, r.body.replace(&s.addr(), "ADDR"))
        })
        .collect()
}

#[test]
fn a_server_maps_the_file_publish_wrote_and_answers_as_from_memory() {
    let demo = demo();
    // `peil demo` published: one file, readable by the site's user only.
    let files = snapshot_files(demo.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let written = std::fs::read(&files[0]).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The same site where no snapshot directory can be made: served from memory.
    let in_memory = Site::copy_of(&demo);
    std::fs::write(in_memory.path().join(".snapshots"), "not a directory").unwrap();
    let from_memory = Server::start(in_memory);
    let want = answers(&from_memory);
    assert!(want.iter().filter(|(_, status, _)| *status == 200).count() > 100);
    assert!(from_memory.get("/health/ready").status == 200);
    drop(from_memory);

    let mapped = Server::start(demo);
    let got = answers(&mapped);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert!(
            g == w,
            "{} differs between the mapped and the in-memory server",
            w.0
        );
    }
    // The server mapped the file publish wrote; it did not write another.
    assert_eq!(snapshot_files(mapped.site.path()), files);
    assert_eq!(std::fs::read(&files[0]).unwrap(), written);
}

#[test]
fn a_missing_or_damaged_file_is_written_again_from_the_store_byte_for_byte() {
    let demo = demo();
    let files = snapshot_files(demo.path());
    assert_eq!(files.len(), 1);
    let written = std::fs::read(&files[0]).unwrap();

    // No file: the server writes it from the store's live copy, the same bytes.
    std::fs::remove_file(&files[0]).unwrap();
    let s = Server::start(demo);
    let first = answers(&s);
    assert_eq!(snapshot_files(s.site.path()), files);
    assert_eq!(std::fs::read(&files[0]).unwrap(), written);
    let site = Site::copy_of(&s.site);
    drop(s);

    // A value damaged on disk: refused by its checksum and written again.
    let dir = site.path().join(".snapshots");
    std::fs::create_dir_all(&dir).unwrap();
    let mut bad = written.clone();
    bad[200] ^= 0x01;
    let path = dir.join(files[0].file_name().unwrap());
    std::fs::write(&path, &bad).unwrap();
    let s = Server::start(site);
    assert!(answers(&s) == first, "the answers changed");
    assert_eq!(std::fs::read(&path).unwrap(), written);

    // A new publication gets its own file; the previous one stays for a rollback.
    s.site.ok(&["publish"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while snapshot_files(s.site.path()).len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no second file");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(s.get("/health/ready").status, 200);
}

#[test]
fn a_backup_leaves_the_snapshot_files_out_and_a_restored_site_serves() {
    let demo = demo();
    assert_eq!(snapshot_files(demo.path()).len(), 1);
    let out = tempfile::tempdir().unwrap();
    let backup = out.path().join("backup");
    demo.ok(&["backup", backup.to_str().unwrap()]);
    let listed = walk(&backup);
    assert!(
        listed
            .iter()
            .all(|p| !p.contains(".snapshots") && !p.ends_with(".peilsnap")),
        "{listed:?}"
    );
    // Restored into an empty directory, the site writes its file at the first start. (A
    // PostgreSQL site's backup restores into the schema its peil.toml names, that of the site
    // backed up, and only once the site there is lost: dropped here.)
    if let peil_store::Location::Postgres(pg) = demo.location() {
        demo.sql(&format!("DROP SCHEMA \"{}\" CASCADE", pg.schema()))
            .unwrap();
    }
    let restored = Site {
        dir: tempfile::tempdir().unwrap(),
    };
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_peil"))
        .arg("restore")
        .arg(&backup)
        .arg(restored.path())
        .env_remove("PEIL_SITE")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(snapshot_files(restored.path()).is_empty());
    let s = Server::start(restored);
    assert_eq!(s.get("/api/v1/indicators").status, 200);
    assert_eq!(snapshot_files(s.site.path()).len(), 1);
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p.clone());
            }
            out.push(p.to_string_lossy().into_owned());
        }
    }
    out
}
