#!/usr/bin/env bash
# API benchmark (issue 12): what readers get with and without the response cache, side by side
# in one run with Datasette and nginx on the same machine.
#
# The data: the real Flanders hierarchy and the Fluvius energy file; the answer: indicator
# v2506_elek_res_cons at ggw72024 (3,052 rows) for 2020, in every answer kind:
#   - the Swing selection table, native JSON, CSV, JSON-stat, OData Values (one page, 1,000
#     rows), and the indicator page with its 2,730-area map;
#   - "cached": the same URL every time (answered from Peil's response cache);
#   - "distinct": every URL different with the same meaning (bench/distinct.lua percent-encodes
#     a different subset of the indicator code's characters each time), so no cache helps —
#     what readers get after a publication and on the long tail of queries;
#   - Datasette 0.65 serving the same rows from one SQLite table with the same filter, on
#     distinct URLs, with `_nocount=1&_nofacet=1` (no row count, no facet suggestions) and with
#     its defaults;
#   - nginx serving the selection table's bytes as a static file (sendfile): the ceiling for
#     HTTP on this machine.
# wrk -t2 -c64 for DUR seconds each (default 10). Prints a Markdown table for BENCHMARKS.md.
#
# usage: bench/api.sh [WORKDIR]   (installs wrk and nginx from apt, datasette from pip if missing)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="${1:-/tmp/peil-bench-api}"
shared="$root/../shared/data/flanders"
mkdir -p "$work"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk nginx > /dev/null
fi
command -v datasette >/dev/null || pip install --quiet "datasette==0.65.*"
(cd "$root" && cargo build --release -p peil --quiet)
peil="$CARGO_TARGET_DIR/release/peil"
DUR=${DUR:-10}

site="$work/site"
. "$here/flanders.sh"
flanders_site "$peil" "$work" "$shared" geometry

PEIL_QUIET=1 "$peil" --site "$site" serve --bind 127.0.0.1:18080 > "$work/serve.out" 2>&1 &
PEIL_PID=$!
DS_PID=
trap 'kill $PEIL_PID $DS_PID 2>/dev/null; nginx -s stop -c "$work/nginx.conf" 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:18080/health/ready && break; sleep 0.2; done

IND=v2506_elek_res_cons
Q="var={W}&geolevel=ggw72024&period=2020"
SEL="/jive/selectiontableasjson.ashx?$Q"
NATIVE="/api/v1/data?indicator={W}&level=ggw72024&period=2020"
ODATA="/jiveservices/odata/Variables('{W}')/GeoLevels('ggw72024')/PeriodLevels('year')/Periods('2020')/Values"
PAGE="/indicator/{W}?level=ggw72024&period=2020"
plain() { echo "${1//\{W\}/$IND}"; }

# Datasette: the same values in one SQLite table, filtered by its JSON API.
"$peil" --site "$site" export --live --indicator $IND --period 2020 -o "$work/values.csv" 2> /dev/null
python3 - "$work" <<'PY'
import csv, sqlite3, sys, os
work = sys.argv[1]
db = os.path.join(work, "values.db")
if os.path.exists(db): os.remove(db)
con = sqlite3.connect(db)
con.execute("CREATE TABLE vals (indicator TEXT, geolevel TEXT, geoitem TEXT, period TEXT, value TEXT)")
with open(os.path.join(work, "values.csv")) as f:
    r = csv.reader(f); next(r)
    con.executemany("INSERT INTO vals VALUES (?,?,?,?,?)", (row[:5] for row in r))
con.execute("CREATE INDEX vals_q ON vals (indicator, geolevel, period)")
con.commit()
PY
datasette serve "$work/values.db" --port 18081 --setting max_returned_rows 5000 > "$work/datasette.out" 2>&1 &
DS_PID=$!
DS="/values/vals.json?indicator={W}&geolevel=ggw72024&period=2020&_size=max"

# nginx: the selection table's bytes as a static file.
mkdir -p "$work/www"
curl -s "http://127.0.0.1:18080$(plain "$SEL")" > "$work/www/a.json"
cat > "$work/nginx.conf" <<NGX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  server { listen 127.0.0.1:18082; root $work/www; location / { default_type application/json; } }
}
NGX
nginx -c "$work/nginx.conf"
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:18081$(plain "$DS")" && break; sleep 0.3; done

bytes() { curl -s "$1" | wc -c; }
row() { # label url [distinct]
    local args=(-t2 -c64 -d"${DUR}s" --latency)
    local url="$2"
    if [ "${3:-}" = distinct ]; then args+=(-s "$here/distinct.lua"); else url="${url//\{W\}/$IND}"; fi
    local size; size=$(bytes "${2//\{W\}/$IND}")
    local out
    if [ "${3:-}" = distinct ]; then out=$(wrk "${args[@]}" "$url" -- "$IND" 2>&1); else out=$(wrk "${args[@]}" "$url" 2>&1); fi
    local rps p50 p99 errs
    rps=$(echo "$out" | awk '/Requests\/sec/{printf "%d", $2}')
    p50=$(echo "$out" | awk '$1=="50%"{print $2}')
    p99=$(echo "$out" | awk '$1=="99%"{print $2}')
    errs=$(echo "$out" | awk '/Non-2xx|Socket errors/{printf "%s ", $0}')
    printf '| %s | %s | %s | %s | %s |%s\n' "$1" "$size" "$rps" "$p50" "$p99" "${errs:+ $errs}"
}
P=http://127.0.0.1:18080
echo "machine: $(nproc) cores; wrk -t2 -c64 -d${DUR}s; Peil $(git -C "$root" rev-parse --short HEAD)"
echo
echo "| request | bytes | req/s | p50 | p99 |"
echo "|---|---|---|---|---|"
row "nginx static file (the selection table's bytes)" "http://127.0.0.1:18082/a.json"
row "Peil selection table, cached" "$P$SEL"
row "Peil selection table, distinct" "$P$SEL" distinct
row "Datasette, _nocount=1&_nofacet=1, distinct" "http://127.0.0.1:18081$DS&_nocount=1&_nofacet=1" distinct
row "Datasette, defaults, distinct" "http://127.0.0.1:18081$DS" distinct
row "Peil native JSON, cached" "$P$NATIVE"
row "Peil native JSON, distinct" "$P$NATIVE" distinct
row "Peil CSV, distinct" "$P$NATIVE&format=csv" distinct
row "Peil JSON-stat, distinct" "$P$NATIVE&format=jsonstat" distinct
row "Peil OData Values (1,000 rows), distinct" "$P$ODATA" distinct
row "Peil indicator page (2,730-area map), cached" "$P$PAGE"
row "Peil indicator page (2,730-area map), distinct" "$P$PAGE" distinct
echo
echo "Peil RSS after the run: $(( $(ps -o rss= -p $PEIL_PID) / 1024 )) MB"
