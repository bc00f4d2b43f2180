//! The workbook reader on any bytes as an .xlsx (and the same bytes as an .ods): it reads or
//! refuses with a problem, never panics, hangs or allocates past its caps.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    peil_ingest::table::exercise_workbook(data);
});
