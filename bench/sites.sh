#!/usr/bin/env bash
# Many sites in one process (issue 16): N copies of the demo city (default 50) served by one
# `peil serve --sites DIR`, release build. Reports the time until every site is up, and the
# process's resident memory (VmRSS, /proc) after start-up and after every site has answered
# its home page, an indicator page with its map, and a data request.
# Usage: bash bench/sites.sh [N]   (PEIL=path/to/release/peil; default target/release)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
peil="${PEIL:-${CARGO_TARGET_DIR:-$here/../target}/release/peil}"
n="${1:-50}"
work="${TMPDIR:-/tmp}/peil-bench-sites"
rm -rf "$work/sites"; mkdir -p "$work/sites"
[ -s "$work/demo/peil.sqlite" ] || { rm -rf "$work/demo"; "$peil" demo --no-serve "$work/demo" > /dev/null; }
for i in $(seq -w 1 "$n"); do cp -r "$work/demo" "$work/sites/s$i.localhost"; done
port=18093
t0=$(date +%s.%N)
PEIL_QUIET=1 "$peil" serve --sites "$work/sites" --bind 127.0.0.1:$port > "$work/serve.out" 2> "$work/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for _ in $(seq 600); do
    up=$(curl -s -H 'Host: 127.0.0.1' "http://127.0.0.1:$port/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sites_up"])' 2>/dev/null || echo 0)
    [ "$up" = "$n" ] && break
    sleep 0.1
done
t1=$(date +%s.%N)
rss() { awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$pid/status; }
echo "machine: $(nproc) cores; Peil $(git -C "$here/.." rev-parse --short HEAD); $n demo sites in one process"
printf 'all %s sites up after %.2f s; RSS %s\n' "$up" "$(echo "$t1 - $t0" | bc)" "$(rss)"
first=$(basename "$(printf '%s\n' "$work"/sites/* | sed -n 1p)")
ind=$(curl -s -H "Host: $first" "http://127.0.0.1:$port/api/v1/indicators?per_page=1" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print((d.get("indicators") or d.get("items") or d)[0]["code"])')
level=$(curl -s -H "Host: $first" "http://127.0.0.1:$port/api/v1/geolevels" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["geolevels"][0]["code"])')
t2=$(date +%s.%N)
for i in $(seq -w 1 "$n"); do
    h="Host: s$i.localhost"
    curl -sf -o /dev/null -H "$h" "http://127.0.0.1:$port/"
    curl -sf -o /dev/null -H "$h" "http://127.0.0.1:$port/indicator/$ind"
    curl -sf -o /dev/null -H "$h" "http://127.0.0.1:$port/api/v1/data?indicator=$ind&level=$level&period=all&format=csv"
done
t3=$(date +%s.%N)
printf 'every site answered home, indicator page (%s) and data in %.2f s; RSS %s\n' "$ind" "$(echo "$t3 - $t2" | bc)" "$(rss)"
