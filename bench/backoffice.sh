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

# Admin pages' server time: a beheerder logged in with curl, every page of the back office
# requested $N times; the server's own request log gives the handler time per request.
N="${N:-30}"
port=18096
if ! "$peil" --site "$site" users list 2>/dev/null | grep -q '^bench '; then
    printf 'bench-password-1234\n' | "$peil" --site "$site" users add bench --role beheerder --password-stdin > /dev/null
else
    printf 'bench-password-1234\n' | "$peil" --site "$site" users reset bench --password-stdin > /dev/null
fi
"$peil" --site "$site" serve --bind 127.0.0.1:$port > "$work/admin-serve.out" 2> "$work/admin-serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf -o /dev/null "$base/health" && break; sleep 0.2; done
jar="$work/cookies.txt"; rm -f "$jar"
token=$(curl -s -c "$jar" -b "$jar" "$base/admin/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"//')
curl -s -c "$jar" -b "$jar" -o /dev/null -H "Origin: $base" \
    --data "csrf=$token&login=bench&password=bench-password-1234" "$base/admin/login"
echo
# The publish page computes the diff once per state of the test copy (then it is kept): its
# first view after a change is timed on its own.
curl -s -b "$jar" -o /dev/null "$base/admin/publish?first=1"
sleep 0.2
first=$(grep '"path":"/admin/publish"' "$work/admin-serve.log" | tail -1 | sed 's/.*"ms":\([0-9.]*\).*/\1/')
echo "/admin/publish, first view after a change (the diff computed): ${first} ms"
echo "admin pages, server time over $N requests each (budget < 50 ms):"
for path in /admin /admin/account /admin/users /admin/keys /admin/groups /admin/audit \
    /admin/audit.csv /admin/import /admin/imports /admin/publish /admin/indicators \
    /admin/indicators/v2506_elek_res_cons /admin/units /admin/sources /admin/areas \
    /admin/themes /admin/stories /admin/dashboards /admin/images /admin/settings; do
    code=$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' "$base$path")
    [ "$code" = 200 ] || { echo "  $path: HTTP $code (skipped)"; continue; }
    for i in $(seq "$N"); do curl -s -b "$jar" -o /dev/null "$base$path?n=$i"; done
    grep "\"path\":\"$path\"" "$work/admin-serve.log" | tail -n "$N" \
        | sed 's/.*"ms":\([0-9.]*\).*/\1/' | sort -g > "$work/admin-ms.txt"
    median=$(awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' "$work/admin-ms.txt")
    p95=$(awk '{a[NR]=$1} END {print a[int(NR*0.95)]}' "$work/admin-ms.txt")
    max=$(tail -1 "$work/admin-ms.txt")
    echo "  $path: median ${median} ms, p95 ${p95} ms, max ${max} ms"
done
