#!/usr/bin/env bash
# The back office's budgets (issue 14), timed with the release binary on the real Flanders set:
#   - `peil import --dry-run` of the Fluvius file (40,932 rows × 9 indicators) into the Flanders
#     site that already holds it (every value compared, plausibility checked, rolled back);
#   - `peil publish --diff` of the Flanders set (the whole publish computation, then compared
#     cell by cell with the live copy).
# Usage: bash bench/backoffice.sh [RUNS]   (PEIL=path/to/release/peil; default target/release)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shared="$here/../../shared/data/flanders"
peil="${PEIL:-${CARGO_TARGET_DIR:-$here/../target}/release/peil}"
runs="${1:-5}"
work="${TMPDIR:-/tmp}/peil-bench-backoffice"
mkdir -p "$work"
. "$here/flanders.sh"
flanders_site "$peil" "$work" "$shared"
site="$work/site"
fluvius="$shared/stats/fluvius_energy_statsec2019_2018_2021.csv"

# time_runs LABEL CMD…: every run's wall time, then the median.
time_runs() {
    local label="$1"; shift
    local times=()
    for _ in $(seq "$runs"); do
        local t0 t1
        t0=$(date +%s.%N)
        "$@" > /dev/null 2>&1
        t1=$(date +%s.%N)
        times+=("$(echo "$t1 - $t0" | bc)")
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '%-40s runs: %s  median %.3f s\n' "$label" "${times[*]}" "$median"
}

time_runs "import --dry-run (Fluvius)" "$peil" --site "$site" import --dry-run "$fluvius"
time_runs "publish --diff (Flanders)" "$peil" --site "$site" publish --diff
