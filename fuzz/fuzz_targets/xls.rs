//! The walk of an .xls file's compound file and BIFF records that runs before calamine: any
//! bytes are accepted or refused, never a panic, hang or runaway allocation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    peil_ingest::table::exercise_xls_check(data);
});
