//! Swing formulas: parsing never panics, and the canonical text of a parsed formula parses
//! back to the same tree (the guarantee `peil_core::formula` documents).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        peil_core::formula::check_round_trip(text);
    }
});
