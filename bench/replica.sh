#!/usr/bin/env bash
# Replica start-up and memory (issue 16, §3): a `peil serve` process on the Flanders-scale
# publication of bench/compute.sh (40.7 million values), mapping the publication's snapshot
# file, side by side in one run with PEER, a build from before snapshot files that reads the
# values from the store into its own memory.
#
# For each server: seconds from start to `/health/ready`, resident memory once ready (VmRSS,
# with its anonymous and file-backed parts), and after 300 distinct data requests over 100
# indicators; then two servers of the same site at once (their proportional set sizes, Pss:
# pages of one file are shared).
#
# usage: PEER=/path/to/old/peil [PEIL=/path/to/peil] bench/replica.sh [WORKDIR]   (WORKDIR of
# bench/compute.sh; PEIL: a release binary already built)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="${1:-/tmp/peil-bench-compute}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
if [ -z "${PEIL:-}" ]; then
    (cd "$root" && cargo build --release -p peil --quiet)
fi
peil="${PEIL:-$CARGO_TARGET_DIR/release/peil}"
peer="${PEER:-}"
site="$work/site"
[ -s "$site/peil.sqlite" ] || { echo "run bench/compute.sh first (it builds $site)" >&2; exit 1; }
"$peil" --site "$site" status | grep -E "values|generation" || true
export PEIL_QUIET=1

mem() { # pid -> "rss anon file" in MB
    awk '/^VmRSS/{r=$2} /^RssAnon/{a=$2} /^RssFile/{f=$2} END{printf "%d MB (anon %d, file %d)", r/1024, a/1024, f/1024}' "/proc/$1/status"
}
pss() { awk '/^Pss:/{printf "%d MB", $2/1024}' "/proc/$1/smaps_rollup"; }

start() { # binary port -> pid; prints seconds to ready
    local bin=$1 port=$2
    local t0; t0=$(date +%s.%N)
    "$bin" --site "$site" serve --bind "127.0.0.1:$port" > "$work/serve-$port.log" 2>&1 &
    local pid=$!
    until curl -sf -o /dev/null "http://127.0.0.1:$port/health/ready"; do
        kill -0 "$pid" 2>/dev/null || { cat "$work/serve-$port.log" >&2; exit 1; }
        sleep 0.02
    done
    local t1; t1=$(date +%s.%N)
    echo "$pid $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}")"
}

load() { # port: 300 distinct data requests over 100 indicators, 3 levels
    local port=$1 n=0
    for i in $(seq 0 99); do
        ind=$(printf "b%03d" "$i")
        for lv in statsec2024 gemeente2024 provincie2024; do
            curl -sf -o /dev/null "http://127.0.0.1:$port/api/v1/data?indicator=$ind&level=$lv&period=2020" && n=$((n+1))
        done
    done
    echo "$n"
}

run() { # label binary port [env...]
    local label=$1 bin=$2 port=$3
    read -r pid secs < <(start "$bin" "$port")
    local ready; ready=$(mem "$pid")
    local ok; ok=$(load "$port")
    printf '%-34s ready in %5s s  RSS at ready %-30s after %s requests %s\n' "$label" "$secs" "$ready" "$ok" "$(mem "$pid")"
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
if [ -n "$peer" ]; then
    run "peer (values read into memory)" "$peer" 18401
fi
rm -rf "$site/.snapshots"
run "peil, no snapshot file yet" "$peil" 18402
ls -la "$site/.snapshots" | tail -n +2
run "peil, snapshot file present" "$peil" 18403
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
run "peil, file present, caches dropped" "$peil" 18404
if [ -n "$peer" ]; then
    run "peer again" "$peer" 18405
fi

# Two servers of one site on one machine: the file's pages are shared.
read -r a sa < <(start "$peil" 18406)
read -r b sb < <(start "$peil" 18407)
load 18406 > /dev/null; load 18407 > /dev/null
printf 'two peil servers: ready in %s s and %s s; RSS %s and %s; Pss %s and %s\n' "$sa" "$sb" "$(mem "$a")" "$(mem "$b")" "$(pss "$a")" "$(pss "$b")"
kill "$a" "$b"; wait "$a" "$b" 2>/dev/null || true
if [ -n "$peer" ]; then
    read -r a sa < <(start "$peer" 18408)
    read -r b sb < <(start "$peer" 18409)
    load 18408 > /dev/null; load 18409 > /dev/null
    printf 'two peer servers: ready in %s s and %s s; RSS %s and %s; Pss %s and %s\n' "$sa" "$sb" "$(mem "$a")" "$(mem "$b")" "$(pss "$a")" "$(pss "$b")"
    kill "$a" "$b"; wait "$a" "$b" 2>/dev/null || true
fi
