#!/usr/bin/env bash
# API benchmark (issue 4): wrk at 64 connections on loopback against
#   A  the Swing selection table of one indicator at ggw72024 (3,052 items), one period,
#   B  the same at gemeente2024 (323 items),
#   C  the native JSON data query of A,
# side by side in one run with Datasette (the same values from a SQLite table through its
# JSON API with the same filter) and nginx (the identical response bytes of A and B as static
# files — the ceiling for HTTP on this machine). Also: Peil's memory before and after a
# 60-second run.
#
# usage: bench/api.sh [WORKDIR]   (needs wrk and nginx from apt, datasette from pip)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="${1:-/tmp/peil-bench-api}"
shared="$root/../shared/data/flanders"
mkdir -p "$work"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk nginx; }
command -v datasette >/dev/null || pip install --quiet datasette
(cd "$root" && cargo build --release -p peil --quiet)
peil="$CARGO_TARGET_DIR/release/peil"
DUR=${DUR:-20}

site="$work/site"
. "$here/flanders.sh"
flanders_site "$peil" "$work" "$shared"

PEIL_QUIET=1 "$peil" --site "$site" serve --bind 127.0.0.1:18080 > "$work/serve.out" 2>&1 &
PEIL_PID=$!
trap 'kill $PEIL_PID $DS_PID 2>/dev/null; nginx -s stop -c "$work/nginx.conf" 2>/dev/null || true' EXIT
sleep 2
A="/jive/selectiontableasjson.ashx?var=v2506_elek_res_cons&geolevel=ggw72024&period=2020"
B="/jive/selectiontableasjson.ashx?var=v2506_elek_res_cons&geolevel=gemeente2024&period=2020"
C="/api/v1/data?indicator=v2506_elek_res_cons&level=ggw72024&period=2020"

# Datasette: the same values in one SQLite table, filtered by its JSON API.
"$peil" --site "$site" export --live --indicator v2506_elek_res_cons --period 2020 -o "$work/values.csv" 2> /dev/null
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
DA="/values/vals.json?indicator=v2506_elek_res_cons&geolevel=ggw72024&period=2020&_size=max"
DB="/values/vals.json?indicator=v2506_elek_res_cons&geolevel=gemeente2024&period=2020&_size=max"

# nginx: the identical bytes of Peil's answers as static files.
mkdir -p "$work/www"
curl -s "http://127.0.0.1:18080$A" > "$work/www/a.json"
curl -s "http://127.0.0.1:18080$B" > "$work/www/b.json"
cat > "$work/nginx.conf" <<NGX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:18082; root $work/www; location / { default_type application/json; } }
}
NGX
nginx -c "$work/nginx.conf"
sleep 2

run() { # label url
    local out; out=$(wrk -t2 -c64 -d${DUR}s --latency "$2" 2>&1)
    local rps p99 errs
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
    p99=$(echo "$out" | awk '$1=="99%"{print $2}')
    errs=$(echo "$out" | awk '/Non-2xx|Socket errors/{print}' | tr '\n' ' ')
    printf '%-34s %10s req/s   p99 %8s   %s\n' "$1" "$rps" "$p99" "${errs:-no errors}"
}
echo "machine: $(nproc) cores; wrk -t2 -c64 -d${DUR}s; sizes: A $(wc -c < "$work/www/a.json") B, B $(wc -c < "$work/www/b.json") B"
run "peil selection table ggw72024"   "http://127.0.0.1:18080$A"
run "datasette ggw72024"              "http://127.0.0.1:18081$DA"
run "nginx static ggw72024"           "http://127.0.0.1:18082/a.json"
run "peil selection table gemeente"   "http://127.0.0.1:18080$B"
run "datasette gemeente2024"          "http://127.0.0.1:18081$DB"
run "nginx static gemeente2024"       "http://127.0.0.1:18082/b.json"
run "peil native JSON ggw72024"       "http://127.0.0.1:18080$C"
rss0=$(ps -o rss= -p $PEIL_PID)
DUR=60 run "peil selection table, 60 s"  "http://127.0.0.1:18080$A"
rss1=$(ps -o rss= -p $PEIL_PID)
echo "peil RSS before the 60 s run: $((rss0/1024)) MB, after: $((rss1/1024)) MB"
