//! `peil backup` / `peil restore` and readiness: a backup taken while an import runs holds
//! the store of one moment (before the import or after it, never half of it) with every file
//! of the site; a restore checks every file against the manifest and refuses a damaged backup,
//! a non-empty directory and a backup inside the site; `/health/ready` answers 503 until a
//! publication is loaded.

use crate::common::*;
use std::io::Write;
use std::process::Command;

/// A site with a level of 500 areas and a small published value, and a long file of
/// 500 × 20 × 6 values to import while backups are taken.
fn site_with_big_file() -> (Site, tempfile::TempDir, std::path::PathBuf) {
    let site = Site::new();
    let files = tempfile::tempdir().unwrap();
    let areas_file = files.path().join("sector.csv");
    let mut f = std::fs::File::create(&areas_file).unwrap();
    writeln!(f, "sequence nr;geoitem code;short name;name").unwrap();
    for i in 0..500 {
        writeln!(f, "{};S{i:04};Sector {i};Sector {i} (Teststad)", i + 1).unwrap();
    }
    drop(f);
    site.import(&areas_file, &[]);
    let base = files.path().join("base.csv");
    std::fs::write(
        &base,
        "period;geolevel;geoitem;v_base\n2020;sector;S0001;1\n2020;sector;S0002;2,5\n",
    )
    .unwrap();
    site.import(&base, &[]);
    site.ok(&["publish"]);
    let big = files.path().join("big.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    writeln!(f, "period,geolevel,geoitem,indicator,value").unwrap();
    for y in 0..6 {
        for k in 0..20 {
            for i in 0..500 {
                writeln!(
                    f,
                    "{},sector,S{i:04},v_{k:02},{}.{}",
                    2015 + y,
                    (i * 7 + k) % 900,
                    i % 10
                )
                .unwrap();
            }
        }
    }
    drop(f);
    // Content files travel with the store.
    std::fs::create_dir_all(site.path().join("stories")).unwrap();
    std::fs::write(site.path().join("stories/wonen.md"), "# Wonen\n\nTekst.\n").unwrap();
    std::fs::create_dir_all(site.path().join("content/img")).unwrap();
    std::fs::write(
        site.path().join("content/img/logo.png"),
        [0x89, b'P', b'N', b'G', 1, 2, 3],
    )
    .unwrap();
    (site, files, big)
}

fn restore(from: &std::path::Path, to: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_peil"))
        .arg("restore")
        .arg(from)
        .arg(to)
        .env_remove("PEIL_SITE")
        .output()
        .unwrap()
}

fn restored_state(dir: &std::path::Path) -> String {
    ok_in(dir, &["check"]);
    state_in(dir)
}

#[test]
fn a_backup_taken_during_an_import_restores_one_moment_with_every_file() {
    sqlite_only!(
        "restores each backup into a new directory, a new store on SQLite; a PostgreSQL site's \
         backup restores into the schema its peil.toml names, refused while that holds the site \
         (postgres::a_postgres_site_is_backed_up_and_restored_into_its_schema)"
    );
    let (site, _files, big) = site_with_big_file();
    let before = site.state();
    let work = tempfile::tempdir().unwrap();
    // The import in another process, backups taken while it runs.
    let mut import = Command::new(env!("CARGO_BIN_EXE_peil"))
        .arg("--site")
        .arg(site.path())
        .arg("import")
        .arg(&big)
        .env_remove("PEIL_SITE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut backups = Vec::new();
    for n in 0..4 {
        let dest = work.path().join(format!("b{n}"));
        site.ok(&["backup", dest.to_str().unwrap()]);
        backups.push(dest);
        if import.try_wait().unwrap().is_some() {
            break;
        }
    }
    assert!(import.wait().unwrap().success());
    let after = site.state();
    assert_ne!(before, after, "the import changed the store");
    let last = work.path().join("after");
    site.ok(&["backup", last.to_str().unwrap(), "--json"]);
    backups.push(last);
    for (n, b) in backups.iter().enumerate() {
        let to = work.path().join(format!("site{n}"));
        let out = restore(b, &to);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let state = restored_state(&to);
        assert!(
            state == before || state == after,
            "backup {n} holds neither the store before the import nor after it"
        );
        assert_eq!(
            std::fs::read_to_string(to.join("stories/wonen.md")).unwrap(),
            "# Wonen\n\nTekst.\n"
        );
        assert_eq!(
            std::fs::read(to.join("content/img/logo.png")).unwrap(),
            [0x89, b'P', b'N', b'G', 1, 2, 3]
        );
        assert!(to.join("peil.toml").is_file());
    }
    // The last backup was taken after the import: it holds it.
    assert_eq!(
        restored_state(&work.path().join(format!("site{}", backups.len() - 1))),
        after
    );
}

#[test]
fn a_damaged_backup_or_an_occupied_directory_restores_nothing() {
    sqlite_only!(
        "damages the backup's peil.sqlite (a PostgreSQL site's backup and restore: postgres::a_postgres_site_is_backed_up_and_restored_into_its_schema)"
    );
    let (site, _files, _big) = site_with_big_file();
    let work = tempfile::tempdir().unwrap();
    let b = work.path().join("b");
    site.ok(&["backup", b.to_str().unwrap()]);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(b.join("backup.json")).unwrap()).unwrap();
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"peil.sqlite") && files.contains(&"peil.toml"),
        "{files:?}"
    );
    assert!(files.contains(&"stories/wonen.md"), "{files:?}");

    // A backup inside the site directory, or into a directory with files, is refused.
    let inside = site.run(&["backup", site.path().join("kopie").to_str().unwrap()]);
    assert!(!inside.status.success());
    assert!(String::from_utf8_lossy(&inside.stderr).contains("inside the site directory"));
    assert!(!site.path().join("kopie").exists());
    let again = site.run(&["backup", b.to_str().unwrap()]);
    assert!(!again.status.success());

    // Restoring into a directory that holds anything is refused; it is left as it was.
    let occupied = work.path().join("occupied");
    std::fs::create_dir_all(&occupied).unwrap();
    std::fs::write(occupied.join("keep.txt"), "mine").unwrap();
    let out = restore(&b, &occupied);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
    assert_eq!(
        std::fs::read_to_string(occupied.join("keep.txt")).unwrap(),
        "mine"
    );

    // One byte changed in a story, then in the store: refused by name, nothing restored.
    for damaged in ["stories/wonen.md", "peil.sqlite"] {
        let copy = work
            .path()
            .join(format!("copy-{}", damaged.replace('/', "_")));
        site.ok(&["backup", copy.to_str().unwrap()]);
        let p = copy.join(damaged);
        let mut bytes = std::fs::read(&p).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x20;
        std::fs::write(&p, bytes).unwrap();
        let to = work
            .path()
            .join(format!("to-{}", damaged.replace('/', "_")));
        let out = restore(&copy, &to);
        assert!(!out.status.success(), "{damaged}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(damaged) && err.contains("damaged"), "{err}");
        assert!(!to.exists(), "nothing restored for {damaged}");
        let leftovers: Vec<_> = std::fs::read_dir(work.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains("restoring"))
            .collect();
        assert!(leftovers.is_empty());
    }

    // A missing file is named too.
    std::fs::remove_file(b.join("stories/wonen.md")).unwrap();
    let out = restore(&b, &work.path().join("x"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stories/wonen.md"));
}

#[test]
fn readiness_waits_for_a_publication() {
    let site = Site::new();
    let areas = site.path().join("sector.csv");
    std::fs::write(
        &areas,
        "sequence nr;geoitem code;short name;name\n1;S1;Een;Een\n2;S2;Twee;Twee\n",
    )
    .unwrap();
    site.import(&areas, &[]);
    let data = site.path().join("data.csv");
    std::fs::write(&data, "period;geolevel;geoitem;v_a\n2020;sector;S1;1\n").unwrap();
    site.import(&data, &[]);
    let path = site.path().to_path_buf();
    let s = Server::start(site);
    // Alive, but nothing to serve yet.
    assert_eq!(s.get("/health").status, 200);
    let r = s.get("/health/ready");
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("nothing published"));
    ok_in(&path, &["publish"]);
    let start = std::time::Instant::now();
    loop {
        let r = s.get("/health/ready");
        if r.status == 200 {
            assert_eq!(r.json()["generation"], 1);
            break;
        }
        assert!(
            start.elapsed().as_secs() < 20,
            "not ready 20 s after publishing"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // Probes are never cached: both answer on a site that is not public as well.
    assert!(
        s.get("/health/ready")
            .headers
            .iter()
            .all(|(k, _)| k != "etag")
    );
}
