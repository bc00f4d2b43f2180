#!/usr/bin/env bash
# Instructions per indicator page (issue 12), deterministic whatever else the machine does:
# `peil serve` under callgrind, counting only inside the page's handler
# (`peil_serve::web::indicator::run`), 30 requests of the 2,730-area page with distinct URLs
# (a no-op parameter), total ÷ 30. HTTP is not counted.
#
# usage: bench/page_instructions.sh PEIL_BINARY [WORKDIR]
#   WORKDIR holds the Flanders site that bench/api.sh builds (default /tmp/peil-bench-api).
set -euo pipefail
peil="$1"
work="${2:-/tmp/peil-bench-api}"
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }
out="$(mktemp -d)"
port=18099
PEIL_QUIET=1 valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
    --toggle-collect='peil_serve::web::indicator::run*' \
    "$peil" --site "$work/site" serve --bind 127.0.0.1:$port > "$out/log" 2>&1 &
pid=$!
for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/api/v1/health" && break; sleep 1; done
for i in $(seq 30); do
    curl -s -o /dev/null "http://127.0.0.1:$port/indicator/v2506_elek_res_cons?level=ggw72024&period=2020&n=$i"
done
kill -INT $pid; wait $pid 2>/dev/null || true
total=$(grep -E '^(summary|totals):' "$out/cg" | awk '{print $2}' | head -1)
echo "instructions per page: $((total / 30))"
rm -rf "$out"
