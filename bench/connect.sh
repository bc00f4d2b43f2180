#!/usr/bin/env bash
# The Connector's budgets (issue 15), timed with the release binary on the real Flanders set:
# a "province" site (statsec2019, statsec2024, ggw72024, gemeente2024 with their aggregation
# tables and the Fluvius energy file 2018–2021, published) served by `peil serve` on
# loopback, and a fresh "city" site pulling every indicator from it with prefix `dna_`:
#   - the first pull (metadata, levels, areas, hierarchy, every value of every period);
#   - a pull with nothing changed (only the content hashes);
#   - `peil migrate` of the same site into a new site, through the Swing surface only (OData
#     and the selection table), as from a Swing site (budget < 60 s);
# each RUNS times (the first into a new city site each run), the median reported, with the
# pull's own counts (requests, bytes of answer bodies after decompression) and the bytes on
# the wire of the same data answers with gzip (what ureq asks for), measured with curl.
# Usage: bash bench/connect.sh [RUNS]   (PEIL=path/to/release/peil; default target/release)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shared="$here/../../shared/data/flanders"
peil="${PEIL:-${CARGO_TARGET_DIR:-$here/../target}/release/peil}"
runs="${1:-3}"
work="${TMPDIR:-/tmp}/peil-bench-connect"
mkdir -p "$work"
. "$here/flanders.sh"
flanders_site "$peil" "$work" "$shared"
port=18094
base="http://127.0.0.1:$port"
"$peil" --site "$work/site" serve --bind 127.0.0.1:$port > "$work/serve.out" 2> "$work/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for _ in $(seq 300); do curl -sf -o /dev/null "$base/health/ready" && break; sleep 0.2; done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
firsts=(); agains=()
for r in $(seq "$runs"); do
    city="$work/city$r"
    rm -rf "$city"; "$peil" init "$city" > /dev/null
    printf '\n[[sources]]\nname = "provincie"\nurl = "%s"\nprefix = "dna_"\n' "$base" >> "$city/peil.toml"
    t0=$(date +%s.%N)
    "$peil" --site "$city" pull provincie --json > "$work/first.json"
    t1=$(date +%s.%N)
    "$peil" --site "$city" pull provincie --json > "$work/again.json"
    t2=$(date +%s.%N)
    firsts+=("$(echo "$t1 - $t0" | bc)"); agains+=("$(echo "$t2 - $t1" | bc)")
done
summary() {
    python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))[0]
v = r["values"]
print(f"indicators {len(r['added']) + len(r['changed'])} transferred {r['transferred']} unchanged {r['unchanged']}; "
      f"values {v}; levels {len(r['levels_added'])} items {r['items_added']} links {r['links_added']}; "
      f"requests {r['requests']}; body bytes {r['bytes']}")
PY
}
echo "machine: $(nproc) cores; Peil $(git -C "$here/.." rev-parse --short HEAD); runs: $runs"
printf 'first pull           runs: %s  median %.2f s\n' "${firsts[*]}" "$(printf '%s\n' "${firsts[@]}" | median)"
echo "  $(summary "$work/first.json")"
printf 'nothing changed      runs: %s  median %.3f s\n' "${agains[*]}" "$(printf '%s\n' "${agains[@]}" | median)"
echo "  $(summary "$work/again.json")"
# The data answers on the wire: every level, all the source's indicators, gzip as ureq asks.
inds=$(curl -s "$base/api/v1/hashes" | python3 -c 'import json,sys; print(",".join(i["code"] for i in json.load(sys.stdin)["indicators"]))')
wire=0; raw=0
for l in $(curl -s "$base/api/v1/geolevels" | python3 -c 'import json,sys; print(" ".join(l["code"] for l in json.load(sys.stdin)["geolevels"]))'); do
    url="$base/api/v1/data?indicator=$inds&level=$l&period=all&names=no&format=csv"
    w=$(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$url")
    b=$(curl -s -o /dev/null -w '%{size_download}' "$url")
    wire=$((wire + w)); raw=$((raw + b))
done
echo "data answers (all levels): $raw bytes raw, $wire bytes gzip on the wire"

# Migration of the whole site through its Swing surface (OData and the selection table).
migs=()
for r in $(seq "$runs"); do
    rm -rf "$work/migrated$r"
    t0=$(date +%s.%N)
    "$peil" migrate "$base" "$work/migrated$r" --json > "$work/migrate.json"
    t1=$(date +%s.%N)
    migs+=("$(echo "$t1 - $t0" | bc)")
    rm -rf "$work/migrated$r"
done
printf 'migration            runs: %s  median %.2f s\n' "${migs[*]}" "$(printf '%s\n' "${migs[@]}" | median)"
python3 - "$work/migrate.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
v = m["values"]
print(f"  variables {m['variables']} migrated {m['migrated']}; values {v['inserted']}; levels {len(m['levels'])} "
      f"items {m['items']} links {m['links']}; requests {m['requests']}; body bytes {m['bytes']}; "
      f"not moved {len(m['not_moved'])} kinds")
PY
