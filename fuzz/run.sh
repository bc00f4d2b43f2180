#!/usr/bin/env bash
# Runs every fuzz target for a fixed number of inputs and fails on the first crash, hang or
# leak. Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`).
#
#   fuzz/run.sh               # every target, FUZZ_RUNS inputs each (default 50000)
#   FUZZ_RUNS=-1 FUZZ_TIME=300 fuzz/run.sh csv   # one target for five minutes
#
# Inputs that crash are written to fuzz/artifacts/<target>/; add them to fuzz/corpus/<target>/
# once fixed, so the stable replay tests (`fuzz_corpus`) keep checking them.
set -euo pipefail
cd "$(dirname "$0")"

export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/peil-fuzz-target}"
runs="${FUZZ_RUNS:-50000}"
# A safety net, not the measure: a slow machine stops after this many seconds per target.
time="${FUZZ_TIME:-60}"
# AddressSanitizer by default (the readers' dependencies have unsafe code); FUZZ_SANITIZER=none
# runs faster (measured: about as slow to build) and still catches panics, overflows (debug
# assertions), hangs and memory blow-ups.
sanitizer="${FUZZ_SANITIZER:-address}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(formula odata_filter csv xlsx xls)
fi

# One build for all targets (the sanitizer build of peil-ingest's dependencies dominates).
cargo +nightly fuzz build --sanitizer "$sanitizer"

for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    # Fuzz into a scratch copy of the corpus: new inputs libFuzzer finds stay out of the
    # repository unless someone chooses to keep them.
    work="$(mktemp -d)"
    cp -r "corpus/$t/." "$work/"
    log="$work.log"
    echo "fuzz: $t ($runs runs, at most ${time}s)" >&2
    # -rss_limit_mb: the readers' own caps keep far below this; -timeout: one input may take
    # this many seconds (a hang is a failure); -max_len: workbooks need more than the default.
    status=0
    cargo +nightly fuzz run --sanitizer "$sanitizer" "$t" "$work" -- \
        -runs="$runs" -max_total_time="$time" -rss_limit_mb=1024 -timeout=10 \
        -max_len=65536 -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$log" 2>&1 ||
        status=$?
    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)" "$log" >&2 || true
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log" >&2
        echo "fuzz: $t failed (exit $status); the input is in fuzz/artifacts/$t/" >&2
        rm -rf "$work" "$log"
        exit 1
    fi
    rm -rf "$work" "$log"
done
echo "fuzz: all targets passed" >&2
