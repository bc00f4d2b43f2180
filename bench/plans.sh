#!/usr/bin/env bash
# Policy monitoring budget (issue 17): server time of a plan's scorecard with 200 KPIs on the
# demo city (160 reading indicators of the databank on the city level, 40 from check-ins).
# Each request is a distinct URL; the server's own request log gives the time from request to
# response.
#
# usage: bench/plans.sh [WORKDIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="${1:-/tmp/peil-bench-plans}"
rm -rf "$work"
mkdir -p "$work"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --release -p peil --quiet)
peil="$CARGO_TARGET_DIR/release/peil"
N=${N:-50}

site="$work/site"
"$peil" demo "$site" --no-serve > /dev/null
"$peil" --site "$site" users add owner --role viewer > /dev/null
# The city's code and a few public indicators on the city level.
city=$("$peil" --site "$site" export --live --level gemeente | awk -F'[;,]' 'NR==1 {for (i=1;i<=NF;i++) if ($i=="geoitem") c=i} NR==2 {print $c; exit}')
python3 "$here/gen_plan.py" "$work/plan" owner gemeente "$city" 200 v1101_t v1101_nietbelg
"$peil" --site "$site" plans import bench "$work/plan/goals.csv" "$work/plan/kpis.csv" --public

"$peil" --site "$site" serve --bind 127.0.0.1:18098 > "$work/serve.out" 2> "$work/serve.log" &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
sleep 2
base="http://127.0.0.1:18098"
for i in $(seq 1 "$N"); do curl -s -o /dev/null "$base/plans/bench?bench=$i"; done
grep '"path":"/plans/bench"' "$work/serve.log" | tail -n "$N" \
    | sed 's/.*"ms":\([0-9.]*\).*/\1/' | sort -g > "$work/ms.txt"
median=$(awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' "$work/ms.txt")
p95=$(awk '{a[NR]=$1} END {print a[int(NR*0.95)]}' "$work/ms.txt")
echo "scorecard of 200 KPIs, server time over $N requests: median ${median} ms, p95 ${p95} ms (budget 50 ms)"
