//! The CSV reader on any bytes: it reads or refuses with a problem, never panics or hangs.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    peil_ingest::table::exercise_csv(data);
});
