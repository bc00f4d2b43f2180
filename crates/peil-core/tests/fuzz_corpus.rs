//! Replays the `formula` fuzz corpus (`fuzz/corpus/formula/`, crashes found by fuzzing
//! included) on stable, so CI without a nightly toolchain still checks every input.

#[test]
fn formula_corpus_parses_and_round_trips() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/formula");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("the corpus is there") {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        if let Ok(text) = std::str::from_utf8(&bytes) {
            peil_core::formula::check_round_trip(text);
        }
        n += 1;
    }
    assert!(n >= 10, "only {n} inputs in {}", dir.display());
}

#[test]
fn seed_formulas_parse() {
    // The seeds are real formulas: they must parse, or the round trip above checks nothing.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/formula");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("seed")
        {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                peil_core::formula::Formula::parse(&text).is_ok(),
                "{}: {text}",
                path.display()
            );
        }
    }
}
