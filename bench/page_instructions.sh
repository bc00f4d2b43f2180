#!/usr/bin/env bash
# Instructions per indicator page (issue 12), deterministic whatever else the machine does:
# `peil serve` under callgrind, counting only inside the page's handler
# (`peil_serve::web::indicator::run`), 30 requests of the 2,730-area page with distinct URLs
# (a no-op parameter), total ÷ 30, after three requests that warm what is built once. HTTP is
# not counted.
#
# usage: bench/page_instructions.sh PEIL_BINARY [WORKDIR]
#   WORKDIR holds the Flanders site that bench/api.sh builds (default /tmp/peil-bench-api).
#   TARGET=PATH counts another answer than the page: PATH is the request target, its
#   distinct no-op parameter appended (e.g. TARGET='/jive/selectiontableasjson.ashx?var=
#   v2506_elek_res_cons&geolevel=ggw72024&period=2020' WHOLE=1). SAME=1 asks the same URL
#   every time (with WHOLE=1: the response cache's answer, all the server does for it).
#   A TARGET holding {W} varies WORD there instead (percent-encoding some of its characters),
#   e.g. TARGET='/api/v1/data?indicator={W}&level=ggw72024&period=2020&format=jsonstat'.
#   TOGGLE=FUNCTION counts inside another function than the page's handler, e.g.
#   TOGGLE='peil_serve::listen::run::*' (the connections: all a cached answer costs, without
#   the store poller that wakes every 10 s).
set -euo pipefail
peil="$1"
work="${2:-/tmp/peil-bench-api}"
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }
out="$(mktemp -d)"
port=18099
# WHOLE=1 counts the whole server (HTTP, routing, middleware, the response cache), not
# only the handler.
collect=(--toggle-collect="${TOGGLE:-peil_serve::web::indicator::run*}")
target="${TARGET:-/indicator/v2506_elek_res_cons?level=ggw72024&period=2020}"
# A target holding {W} (for answers that refuse unknown parameters, such as /api/v1/data)
# gets WORD (default the indicator code) with the characters whose bit is set in the request's
# number percent-encoded, as bench/distinct.lua does, instead of the no-op parameter.
word="${WORD:-v2506_elek_res_cons}"
enc() {
    local out="" k ch
    for ((k = 0; k < ${#word}; k++)); do
        ch="${word:k:1}"
        if (( ($1 >> k) & 1 )); then out+=$(printf '%%%02X' "'$ch"); else out+="$ch"; fi
    done
    echo "$out"
}
url() {
    local n="${1#*=}"
    [ "${1%%=*}" = w ] && n=$((n + 100))
    if [ -n "${SAME:-}" ]; then echo "http://127.0.0.1:$port${target//\{W\}/$word}"
    elif [[ "$target" == *"{W}"* ]]; then echo "http://127.0.0.1:$port${target//\{W\}/$(enc "$n")}"
    else echo "http://127.0.0.1:$port$target&$1"; fi
}
[ -n "${WHOLE:-}" ] && collect=()
PEIL_QUIET=1 valgrind --tool=callgrind --callgrind-out-file="$out/cg" "${collect[@]}" \
    "$peil" --site "$work/site" serve --bind 127.0.0.1:$port > "$out/log" 2>&1 &
pid=$!
for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/health/ready" && break; sleep 1; done
# Three requests first, then the counters start from zero: what is built once per
# publication or process (the compiled templates, the map layer, name orders) is not counted.
for i in 1 2 3; do
    curl -s -o /dev/null "$(url "w=$i")"
done
callgrind_control -z $pid >/dev/null 2>&1
for i in $(seq 30); do
    curl -s -o /dev/null "$(url "n=$i")"
done
# The 30 requests' counts are dumped before the server stops (its shutdown is not counted).
callgrind_control -d $pid >/dev/null 2>&1
kill -INT $pid; wait $pid 2>/dev/null || true
mv "$(ls "$out"/cg.* | head -1)" "$out/cg"
total=$(grep -E '^(summary|totals):' "$out/cg" | awk '{print $2}' | head -1)
echo "instructions per answer: $((total / 30))"
[ -n "${KEEP:-}" ] && cp "$out/cg" "$KEEP"
rm -rf "$out"
