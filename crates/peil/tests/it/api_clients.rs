//! Real Python clients against `peil serve` on the demo city: `pyjstat` reads every kind of
//! JSON-stat answer, `jsonstat-validator` validates them, `csvw` validates a CSV download with
//! the metadata its `Link: rel="describedby"` header points at, and `schemathesis` checks
//! the API against its own OpenAPI document (no 5xx, every answer matches its schema).
//!
//! Missing Python or a missing package fails the test: CI installs them (see `test.sh`).

use crate::common::*;

#[test]
fn python_api_clients_accept_peil() {
    let s = Server::demo();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/api_clients_check.py"
    );
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&s.base)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "python3 is needed for this test ({e}); install it and the packages named in test.sh"
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "api_clients_check.py failed ({:?}):\n{stdout}\n{stderr}",
        out.status.code()
    );
    assert!(stdout.contains("ALL CHECKS PASSED"), "{stdout}\n{stderr}");
    // One line per check (shown with `--nocapture`).
    println!("{stdout}");
}
