#!/usr/bin/env bash
# The PinC-scale set (issue 16 §3 and its budget): what Provincies in Cijfers publishes — the
# real statsec2024 hierarchy (10,241 sectors and every higher level: wijk, deelgemeente,
# gemeente, arrondissement, province, region), 2,000 indicators × 15 years
# (bench/gen_pinc.py: 1,900 base indicators, 291.9 million base values, 100 formulas) — on top
# of the Flanders benchmark site of bench/api.sh (the Fluvius energy file, the ggw72024 and
# gemeente2024 maps), so both sites can answer the same request.
#
# Builds both sites (imports timed per file), publishes the PinC site (time, peak RSS, values,
# snapshot file size), then serves both side by side in one run: seconds to `/health/ready` and
# RSS, and wrk on the selection table of bench/api.sh (v2506_elek_res_cons at ggw72024 for 2020,
# distinct URLs: bench/distinct.lua) alternately on the Flanders site and the PinC site, two
# rounds each; then PinC-only answers (a generated indicator at sector and municipality level).
#
# usage: [PEIL=/path/to/release/peil] [DUR=10] [ONLY=build] bench/pinc.sh [WORKDIR]
#   WORKDIR (default /tmp/peil-bench-pinc) needs ≈ 15 GB free; publishing takes ≈ 10 GB of memory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="${1:-/tmp/peil-bench-pinc}"
shared="$root/../shared/data/flanders"
mkdir -p "$work"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk > /dev/null; }
python3 -c 'import numpy' 2>/dev/null || pip install --quiet numpy
if [ -z "${PEIL:-}" ]; then (cd "$root" && cargo build --release -p peil --quiet); fi
peil="${PEIL:-$CARGO_TARGET_DIR/release/peil}"
DUR=${DUR:-10}
export PEIL_QUIET=1

secs() { awk "BEGIN{printf \"%.1f\", $2 - $1}"; }
now() { date +%s.%N; }

# The Flanders site (bench/api.sh's).
. "$here/flanders.sh"
flanders_site "$peil" "$work/flanders" "$shared" geometry
flanders="$work/flanders/site"

# The PinC site.
python3 "$here/gen_pinc.py" "$work/gen"
site="$work/pinc"
if [ ! -s "$work/pinc.base" ]; then
    rm -rf "$site"; "$peil" init "$site" > /dev/null
    p="$peil --site $site import"
    for l in statsec2019 statsec2024 ggw72024 deelgemeente2024 gemeente2024 arrondiss2024 provincie2024 gewest; do
        $p "$shared/swing/gebiedsdefinities/$l.xlsx" > /dev/null
    done
    for t in statsec2019_statsec2024 statsec2024_ggw72024 statsec2024_deelgemeente2024 statsec2024_gemeente2024 \
             gemeente2024_arrondiss2024 arrondiss2024_provincie2024 provincie2024_gewest; do
        $p "$shared/swing/aggregatietabellen/$t.xlsx" > /dev/null 2>&1
    done
    $p "$shared/geo/lambert72/ggw72024.shp" > /dev/null
    $p "$shared/geo/lambert72/gemeente2024.shp" > /dev/null
    $p "$shared/stats/fluvius_energy_statsec2019_2018_2021.csv" > /dev/null 2>&1
    $p "$work/gen/meta.csv" > /dev/null
    echo ok > "$work/pinc.base"
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB; Peil $(git -C "$root" rev-parse --short HEAD)"
for f in "$work"/gen/data_*.csv; do
    mark="$work/imported.$(basename "$f")"
    [ -s "$mark" ] && { echo "import $(basename "$f"): $(cat "$mark") (earlier run)"; continue; }
    /usr/bin/time -f "%e s, %M KB peak RSS" -o "$work/t.txt" "$peil" --site "$site" import "$f" > /dev/null 2>&1
    cp "$work/t.txt" "$mark"
    echo "import $(basename "$f"): $(cat "$mark")"
done
if [ ! -s "$work/published" ] || [ -n "${REPUBLISH:-}" ]; then
    /usr/bin/time -f "%e s, %M KB peak RSS" -o "$work/t.txt" "$peil" --site "$site" publish > "$work/publish.out" 2>&1
    { cat "$work/t.txt"; tail -1 "$work/publish.out"; } > "$work/published"
fi
echo "publish: $(head -1 "$work/published")  ($(tail -1 "$work/published" | sed 's/^ *//'))"
"$peil" --site "$site" status | grep -E "values|indicators|levels" || true
echo "store: $(du -sh "$site/peil.sqlite" | cut -f1); snapshot file: $(du -sh "$site/.snapshots" | cut -f1)"
[ "${ONLY:-}" = build ] && exit 0

mem() { awk '/^VmRSS/{r=$2} /^RssAnon/{a=$2} /^RssFile/{f=$2} END{printf "%d MB (anon %d, file %d)", r/1024, a/1024, f/1024}' "/proc/$1/status"; }
start() { # site port -> "pid seconds"
    local t0; t0=$(now)
    "$peil" --site "$1" serve --bind "127.0.0.1:$2" > "$work/serve-$2.log" 2>&1 &
    local pid=$!
    until curl -sf -o /dev/null "http://127.0.0.1:$2/health/ready"; do
        kill -0 "$pid" 2>/dev/null || { cat "$work/serve-$2.log" >&2; exit 1; }
        sleep 0.02
    done
    echo "$pid $(secs "$t0" "$(now)")"
}
read -r fpid fsecs < <(start "$flanders" 18501)
read -r ppid psecs < <(start "$site" 18502)
trap 'kill $fpid $ppid 2>/dev/null' EXIT
echo "ready: Flanders site in $fsecs s, RSS $(mem "$fpid"); PinC site in $psecs s, RSS $(mem "$ppid")"

IND=v2506_elek_res_cons
SEL="/jive/selectiontableasjson.ashx?var={W}&geolevel=ggw72024&period=2020"
row() { # label url word
    local out size
    size=$(curl -s "${2//\{W\}/$3}" | wc -c)
    out=$(wrk -t2 -c64 -d"${DUR}s" --latency -s "$here/distinct.lua" "$2" -- "$3" 2>&1)
    printf '| %s | %s | %s | %s | %s |%s\n' "$1" "$size" \
        "$(echo "$out" | awk '/Requests\/sec/{printf "%d", $2}')" \
        "$(echo "$out" | awk '$1=="50%"{print $2}')" "$(echo "$out" | awk '$1=="99%"{print $2}')" \
        "$(echo "$out" | awk '/Non-2xx|Socket errors/{printf " %s", $0}')"
}
F=http://127.0.0.1:18501; P=http://127.0.0.1:18502
# The same answer from both sites, byte for byte.
cmp <(curl -s "$F${SEL//\{W\}/$IND}") <(curl -s "$P${SEL//\{W\}/$IND}") && echo "the selection table is the same bytes on both sites"
echo
echo "wrk -t2 -c64 -d${DUR}s, distinct URLs"
echo
echo "| request | bytes | req/s | p50 | p99 |"
echo "|---|---|---|---|---|"
for r in 1 2; do
    row "Flanders site: selection table, ggw72024 (round $r)" "$F$SEL" "$IND"
    row "PinC site: the same selection table (round $r)" "$P$SEL" "$IND"
done
row "PinC site: selection table of a generated count, statsec2024 (10,241 rows)" "$P/jive/selectiontableasjson.ashx?var={W}&geolevel=statsec2024&period=2020" p0937
row "PinC site: selection table of a formula, gemeente2024" "$P/jive/selectiontableasjson.ashx?var={W}&geolevel=gemeente2024&period=2020" r042
row "PinC site: native JSON of a weighted mean, gemeente2024" "$P/api/v1/data?indicator={W}&level=gemeente2024&period=2015" q042
echo
echo "RSS after the run: Flanders site $(mem "$fpid"); PinC site $(mem "$ppid")"
