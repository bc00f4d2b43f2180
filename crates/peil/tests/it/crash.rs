//! Crash safety: `kill -9` a large import at moments spread over its whole run (reading,
//! validating, writing, committing). Each time the store must open, pass SQLite's integrity
//! check and `peil check`, and hold exactly the state from before that import. (The same on
//! PostgreSQL, for imports and publications: `postgres.rs`.)

use crate::common::*;
use std::time::Instant;

const ITEMS: usize = 2_000;
const INDICATORS: usize = 40;
const YEARS: usize = 10;

#[test]
fn kill_dash_nine_during_import_leaves_the_store_as_before() {
    sqlite_only!(
        "kills imports on the SQLite file and runs SQLite's integrity check on it (on PostgreSQL: postgres::kill_dash_nine_during_an_import_on_postgres_leaves_it_before_or_after)"
    );
    let site = Site::new();
    let CrashFixture {
        areas, base, big, ..
    } = crash_fixture(site.path(), ITEMS, INDICATORS, YEARS);
    site.import(&areas, &["--level", "sector"]);
    site.import(&base, &[]);
    let before = site.state();

    let import = ["import", big.to_str().unwrap()];
    // How long a full import takes here, measured on a copy of the site.
    let probe = Site::copy_of(&site);
    let t0 = Instant::now();
    assert!(start_peil(probe.path(), &import).wait().unwrap().success());
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

    // Kill moments spread over the whole run: reading, validating, writing, committing.
    let rounds = 12;
    let killed = kill_at_moments(
        rounds,
        full,
        |_| {
            let round = Site::copy_of(&site);
            (start_peil(round.path(), &import), round)
        },
        |i, failed, round| {
            let store =
                peil_store::Store::open(&round.store()).expect("the store opens after kill -9");
            assert_eq!(store.integrity_check().unwrap(), "ok", "round {i}");
            drop(store);
            assert!(round.ok(&["check"]).contains("ok:"), "round {i}");
            if failed {
                // Atomic: all of the import or none of it, never a part.
                let state = round.state();
                assert!(
                    state == before || state == after,
                    "round {i} (of {full:?}): the store holds part of the import"
                );
            }
        },
    );
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
