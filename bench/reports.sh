#!/usr/bin/env bash
# Report budgets (issue 6):
#   A  one area report as PDF, server time (distinct URLs, the server's request log): the demo
#      city's wijkprofiel and omgevingsanalyse, and the omgevingsanalyse of Flanders
#      municipalities; pages and figures counted from the PDF;
#   B  the omgevingsanalyse for every municipality of the Flanders data as one ZIP from the
#      CLI (`peil report --all`, every core), wall time and peak RSS (GNU time).
#
# usage: bench/reports.sh [WORKDIR]   (uses the Flanders site that bench/web.sh builds)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="${1:-/tmp/peil-bench-web}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --release -p peil --quiet)
peil="$CARGO_TARGET_DIR/release/peil"
command -v pdfinfo >/dev/null || { apt-get update -qq && apt-get install -y -qq poppler-utils; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }
[ -s "$work/site.ready" ] || bash "$here/web.sh" "$work" > /dev/null
N=${N:-20}

demo="$work/demo"
[ -d "$demo" ] || "$peil" demo "$demo" --no-serve > /dev/null
"$peil" --site "$demo" serve --bind 127.0.0.1:18111 > /dev/null 2> "$work/demo.log" &
P1=$!
"$peil" --site "$work/site" serve --bind 127.0.0.1:18112 > /dev/null 2> "$work/fl.log" &
P2=$!
trap 'kill $P1 $P2 2>/dev/null' EXIT
sleep 3
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { # base path-prefix log areas…
    local base=$1 path=$2 log=$3; shift 3
    for a in "$@"; do curl -s -o "$work/last.pdf" "$base$path$a"; done
    grep "\"path\":\"${path%%\?*}\"" "$log" | tail -n $# | sed 's/.*"ms":\([0-9.]*\).*/\1/' | median
}
wijken=$(curl -s http://127.0.0.1:18111/api/v1/geolevels/wijk/items | python3 -c 'import json,sys; print(" ".join(i["code"] for i in json.load(sys.stdin)["items"] if not i["unknown_location"]))' | cut -d' ' -f1-$N)
ms=$(timed http://127.0.0.1:18111 "/stories/wijkprofiel.pdf?regionlevel=wijk&regioncode=" "$work/demo.log" $wijken)
pg=$(pdfinfo "$work/last.pdf" 2>/dev/null | awk '/^Pages/ {print $2}')
echo "demo wijkprofiel PDF ($pg pages, 5 charts and 1 map): median ${ms} ms over $N wijken"
ms=$(timed http://127.0.0.1:18111 "/stories/omgevingsanalyse.pdf?regionlevel=wijk&regioncode=" "$work/demo.log" $wijken)
pg=$(pdfinfo "$work/last.pdf" 2>/dev/null | awk '/^Pages/ {print $2}')
echo "demo omgevingsanalyse PDF per wijk ($pg pages, 11 trends and 11 maps): median ${ms} ms over $N wijken"
gem=$(curl -s http://127.0.0.1:18112/api/v1/geolevels/gemeente2024/items | python3 -c 'import json,sys; print(" ".join(i["code"] for i in json.load(sys.stdin)["items"] if not i["unknown_location"]))')
some=$(echo $gem | cut -d' ' -f1-$N)
ms=$(timed http://127.0.0.1:18112 "/stories/omgevingsanalyse.pdf?regionlevel=gemeente2024&regioncode=" "$work/fl.log" $some)
pg=$(pdfinfo "$work/last.pdf" 2>/dev/null | awk '/^Pages/ {print $2}')
echo "Flanders omgevingsanalyse PDF per municipality ($pg pages): median ${ms} ms over $N"
kill $P1 $P2 2>/dev/null; trap - EXIT
n=$(echo $gem | wc -w)
/usr/bin/time -v "$peil" --site "$work/site" report omgevingsanalyse --level gemeente2024 --all -o "$work/all.zip" > "$work/bulk.out" 2> "$work/bulk.time"
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/bulk.time")
rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/bulk.time")
echo "omgevingsanalyse for all $n municipalities (ZIP of PDFs, $(nproc) cores): wall ${wall}, peak RSS ${rss} MB, $(du -h "$work/all.zip" | cut -f1)"
