//! OData `$filter`: parsing never panics, and a parsed filter evaluates on a row without panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        peil_odata::filter::exercise(text);
    }
});
