//! Crash safety: `kill -9` a large import at moments spread over its whole run (reading,
//! validating, writing, committing). Each time the store must open, pass SQLite's integrity
//! check and `peil check`, and hold exactly the state from before that import.

use crate::common::*;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ITEMS: usize = 2_000;
const INDICATORS: usize = 40;
const YEARS: usize = 10;

fn write_fixture(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let areas = dir.join("sector.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&areas).unwrap());
    writeln!(f, "sequence nr;geoitem code;short name;name").unwrap();
    for i in 0..ITEMS {
        writeln!(f, "{};S{i:05};Sector {i};Sector {i} (Teststad)", i + 1).unwrap();
    }
    drop(f);
    let base = dir.join("base.csv");
    std::fs::write(
        &base,
        "period;geolevel;geoitem;v_base\n2020;sector;S00001;1\n2020;sector;S00002;2,5\n",
    )
    .unwrap();
    // Long layout: ITEMS × INDICATORS × YEARS records; it overlaps the base value of S00001.
    let big = dir.join("big.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    writeln!(f, "period,geolevel,geoitem,indicator,value").unwrap();
    for y in 0..YEARS {
        for k in 0..INDICATORS {
            let code = if k == 0 {
                "v_base".to_string()
            } else {
                format!("v_{k:03}")
            };
            for i in 0..ITEMS {
                writeln!(
                    f,
                    "{},sector,S{i:05},{code},{}.{}",
                    2011 + y,
                    (i * 7 + k * 13 + y) % 1000,
                    i % 10
                )
                .unwrap();
            }
        }
    }
    drop(f);
    (areas, base, big)
}

#[test]
fn kill_dash_nine_during_import_leaves_the_store_as_before() {
    let site = Site::new();
    let (areas, base, big) = write_fixture(site.path());
    site.import(&areas, &["--level", "sector"]);
    site.import(&base, &[]);
    let before = site.state();

    let start_import = |site: &Site| {
        Command::new(env!("CARGO_BIN_EXE_peil"))
            .arg("--site")
            .arg(site.path())
            .args(["import", big.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };

    // How long a full import takes here, measured on a copy of the site.
    let probe = Site::copy_of(&site);
    let t0 = Instant::now();
    assert!(start_import(&probe).wait().unwrap().success());
    let full = t0.elapsed();
    // The store as the whole import leaves it: a kill that lands after the commit
    // (the process still has to exit) may legitimately leave this state.
    let after = probe.state();
    let again = Site::copy_of(&site);
    again.import(&big, &[]);
    assert_eq!(
        after,
        again.state(),
        "the same import leaves the same store"
    );

    // Kill moments spread over the whole run: reading, validating, writing, committing. Other
    // tests run beside this one, so a run's length varies: an import that ends before its
    // kill moment gives a new estimate of the run, and its round is tried again.
    let rounds = 12;
    let mut killed = 0;
    let (mut i, mut retries) = (0, 0);
    let mut full = full;
    while i < rounds {
        let at = full.mul_f64((i as f64 + 0.5) / rounds as f64);
        let round = Site::copy_of(&site);
        let t = Instant::now();
        let mut child = start_import(&round);
        let mut ended = None;
        while ended.is_none() && t.elapsed() < at {
            std::thread::sleep(at.saturating_sub(t.elapsed()).min(Duration::from_millis(2)));
            ended = child.try_wait().unwrap().map(|_| t.elapsed());
        }
        if ended.is_none() {
            // SIGKILL: no destructor and no rollback code of ours runs.
            child.kill().unwrap();
            killed += 1;
        }
        let status = child.wait().unwrap();
        let store = peil_store::Store::open(&round.store()).expect("the store opens after kill -9");
        assert_eq!(store.integrity_check().unwrap(), "ok", "round {i}");
        drop(store);
        assert!(round.ok(&["check"]).contains("ok:"), "round {i}");
        if !status.success() {
            // Atomic: all of the import or none of it, never a part.
            let state = round.state();
            assert!(
                state == before || state == after,
                "round {i} (killed after {at:?} of {full:?}): the store holds part of the import"
            );
        }
        match ended {
            Some(took) if retries < rounds => {
                full = full.min(took);
                retries += 1;
            }
            _ => i += 1,
        }
    }
    assert!(
        killed >= 10,
        "only {killed} of {rounds} rounds killed the import mid-run"
    );

    // And the same import, left alone, lands whole.
    let out = site.import(&big, &[]);
    assert!(
        out.contains(&format!("{} rows read", ITEMS * INDICATORS * YEARS)),
        "{out}"
    );
    let s = site.status();
    // The big file covers both base values (v_base 2020 of S00001 and S00002).
    assert_eq!(
        s["values"].as_u64().unwrap(),
        (ITEMS * INDICATORS * YEARS) as u64
    );
}
