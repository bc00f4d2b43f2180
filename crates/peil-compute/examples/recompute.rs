//! Benchmark: recomputing one indicator and its dependants after a small import.
//!
//! usage: cargo run --release -p peil-compute --example recompute -- SITE/peil.sqlite INDICATOR
//!
//! Loads the store, computes and publishes everything once (as a server does at start), then
//! repeatedly applies a small change to INDICATOR (100 sector values of one year), reads that
//! indicator's series back from the store and recomputes it and its dependants, refreshing the
//! snapshot. Prints the full publication time and the median incremental time.

use peil_core::Value;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (path, code) = (std::path::Path::new(&args[1]), args[2].as_str());
    let store = peil_store::Store::open(path).expect("a Peil store");
    let t0 = Instant::now();
    let w = store.warehouse().expect("warehouse");
    let mut c = peil_compute::compute(&w).expect("compute");
    let mut snap = peil_compute::Snapshot::from_computed(
        peil_compute::compute(&w).expect("compute"),
        &w,
        1,
        true,
    );
    println!(
        "full: load + compute + snapshot {:.2} s ({} values published)",
        t0.elapsed().as_secs_f64(),
        snap.stats.values
    );
    drop(w);

    let mut times = Vec::new();
    let mut dirty_count = 0;
    for round in 0..15 {
        let t = Instant::now();
        // The small import, as the store hands it over: the indicator's series, one year changed.
        let mut series = store.series_of(Some(&[code])).expect("series");
        if let Some(s) = series.iter_mut().find(|s| s.key.period.year == 2020) {
            for (_, v) in s.values.iter_mut().take(100) {
                if let Value::Number(n) = v {
                    *n += round as f64 + 1.0;
                }
            }
        }
        let dirty = c
            .recompute(&[code.to_string()], &series)
            .expect("recompute");
        snap.refresh(&c, &dirty, 2 + round, true);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        dirty_count = dirty.len();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "incremental: {code} and {} dependants recomputed in {:.1} ms (median of {}, min {:.1}, max {:.1})",
        dirty_count - 1,
        times[times.len() / 2],
        times.len(),
        times[0],
        times[times.len() - 1]
    );
}
