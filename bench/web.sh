#!/usr/bin/env bash
# Website budgets (issue 5) on the real Flanders data:
#   - server time of the indicator page with the 2,730-polygon ggw72024 neighbourhood map
#     (each request a distinct URL, so the response cache never answers; the server's own
#     request log gives the time from request to response);
#   - its transfer size compressed (gzip and brotli, as a browser asks);
#   - all JavaScript compressed; the home page compressed.
#
# usage: bench/web.sh [WORKDIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="${1:-/tmp/peil-bench-web}"
shared="$root/../shared/data/flanders"
mkdir -p "$work"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --release -p peil --quiet)
peil="$CARGO_TARGET_DIR/release/peil"
N=${N:-50}

site="$work/site"
. "$here/flanders.sh"
flanders_site "$peil" "$work" "$shared" geometry

"$peil" --site "$site" serve --bind 127.0.0.1:18097 > "$work/serve.out" 2> "$work/serve.log" &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
sleep 2
base="http://127.0.0.1:18097"
page="/indicator/v2506_elek_res_cons?level=ggw72024&period=2020"
# First request: projects and simplifies the level's geometry once per publication.
first=$(curl -s -o /dev/null -w '%{time_total}' "$base$page")
for i in $(seq 1 "$N"); do curl -s -o /dev/null "$base$page&bench=$i"; done
grep '"path":"/indicator/v2506_elek_res_cons"' "$work/serve.log" | tail -n "$N" \
    | sed 's/.*"ms":\([0-9.]*\).*/\1/' | sort -g > "$work/ms.txt"
median=$(awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' "$work/ms.txt")
p95=$(awk '{a[NR]=$1} END {print a[int(NR*0.95)]}' "$work/ms.txt")
# End to end on loopback with gzip (what a browser waits for, compression included).
for i in $(seq 1 "$N"); do curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{time_total}\n' "$base$page&e2e=$i"; done \
    | sort -g > "$work/e2e.txt"
e2e=$(awk '{a[NR]=$1*1000} END {print a[int((NR+1)/2)]}' "$work/e2e.txt")
raw=$(curl -s -o /dev/null -w '%{size_download}' "$base$page")
gz=$(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$base$page")
br=$(curl -s -H 'Accept-Encoding: br' -o /dev/null -w '%{size_download}' "$base$page")
css=$(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$base/static/peil.css")
js=$(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$base/static/peil.js")
home=$(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$base/")
paths=$(curl -s "$base$page" | grep -o '<path' | wc -l)
echo "indicator page, ggw72024 ($paths paths in the page):"
echo "  first request (builds the map layer): ${first}s"
echo "  server time over $N uncached requests: median ${median} ms, p95 ${p95} ms (handler, before compression)"
echo "  end to end with gzip on loopback: median ${e2e} ms"
echo "  transfer: ${raw} B raw, ${gz} B gzip, ${br} B brotli (+ CSS ${css} B gzip, JS ${js} B gzip)"
echo "home page transfer: ${home} B gzip (+ CSS ${css} B, JS ${js} B)"

# Search over 20,000 indicators: the demo city plus 20,000 indicators of generated Dutch
# names and descriptions; each query a distinct URL, timed by the server's log.
kill $PID 2>/dev/null; wait $PID 2>/dev/null || true
s2="$work/search"
if [ ! -s "$work/search.ready" ]; then
    rm -rf "$s2"; "$peil" demo "$s2" --no-serve > /dev/null
    python3 - "$work/meta20k.csv" <<'PY'
import csv, random, sys
random.seed(7)
heads = ["inwoners", "huishoudens", "woningen", "leerlingen", "werkzoekenden", "ondernemingen",
         "voertuigen", "gezinnen", "bejaarden", "jongeren", "studenten", "vestigingen"]
mods = ["aandeel", "aantal", "groei", "dichtheid", "gemiddelde", "mediaan", "evolutie", "verdeling"]
tails = ["per wijk", "per sector", "met een uitkering", "in een sociale woning", "zonder diploma",
         "met een migratieachtergrond", "ouder dan 65 jaar", "jonger dan 18 jaar", "in de stad"]
w = csv.writer(open(sys.argv[1], "w", newline=""))
w.writerow(["code", "name", "description"])
for i in range(20000):
    name = f"{random.choice(mods).capitalize()} {random.choice(heads)} {random.choice(tails)}"
    w.writerow([f"x{i:05d}", name, f"{name}; bron: register {i % 97}, bijgewerkt jaarlijks."])
PY
    "$peil" --site "$s2" import "$work/meta20k.csv" > /dev/null 2>&1
    "$peil" --site "$s2" publish > /dev/null
    echo ok > "$work/search.ready"
fi
"$peil" --site "$s2" serve --bind 127.0.0.1:18098 > "$work/serve2.out" 2> "$work/serve2.log" &
PID=$!
sleep 2
count=$(curl -s "http://127.0.0.1:18098/api/v1/indicators?per_page=1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("total") or d.get("count") or "?")')
for i in $(seq 1 "$N"); do
    for q in inwoner "werkzoekende+jonger" dichtheid "sociale+woning"; do
        curl -s -o /dev/null "http://127.0.0.1:18098/search?q=$q&n=$i"
    done
done
grep '"path":"/search"' "$work/serve2.log" | tail -n $((N * 4)) | sed 's/.*"ms":\([0-9.]*\).*/\1/' | sort -g > "$work/search_ms.txt"
smed=$(awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' "$work/search_ms.txt")
sp95=$(awk '{a[NR]=$1} END {print a[int(NR*0.95)]}' "$work/search_ms.txt")
echo "search page over $count indicators: median ${smed} ms, p95 ${sp95} ms ($((N * 4)) queries)"
dhome=$(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "http://127.0.0.1:18098/")
dind=$(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "http://127.0.0.1:18098/indicator/v1101_t")
echo "demo city: home ${dhome} B gzip, indicator page (250 sectors) ${dind} B gzip"
