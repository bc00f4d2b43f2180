#!/usr/bin/env bash
# Trust-boundary budgets (issue 10), side by side in one run:
#   1. selection-table throughput (the bench/api.sh figure A: v2506_elek_res_cons at ggw72024,
#      3,052 rows) of this build against a baseline build (BASELINE=path to an older `peil`
#      binary, e.g. built from the commit before the trust boundary), same site, same URL;
#   2. peak memory of this build under a 60 s flood of distinct URLs, each request carrying
#      a 48 KB junk header and a cookie (budget: under 300 MB);
#   3. /health latency (p50/p99 of 2,000 requests) while 1,000 idle connections and two
#      clients sending hostile 8 KB lookups in a loop are open (budget: p99 < 50 ms).
#
# usage: BASELINE=/path/to/old/peil bench/trust.sh [WORKDIR]   (needs wrk from apt)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="${1:-/tmp/peil-bench-trust}"
shared="$root/../shared/data/flanders"
mkdir -p "$work"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
(cd "$root" && cargo build --release -p peil --quiet)
peil="$CARGO_TARGET_DIR/release/peil"
DUR=${DUR:-20}

site="$work/site"
. "$here/flanders.sh"
flanders_site "$peil" "$work" "$shared"
A="/jive/selectiontableasjson.ashx?var=v2506_elek_res_cons&geolevel=ggw72024&period=2020"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
serve() { # binary port
    PEIL_QUIET=1 "$1" --site "$site" serve --bind "127.0.0.1:$2" > "$work/serve-$2.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$2/health" > /dev/null && return; sleep 0.2; done
    echo "server on $2 did not start" >&2; exit 1
}
run() { # label url [script]
    local out; out=$(wrk -t2 -c64 -d${DUR}s --latency ${3:+-s "$3"} "$2" 2>&1)
    local rps p99 errs
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
    p99=$(echo "$out" | awk '$1=="99%"{print $2}')
    errs=$(echo "$out" | awk '/Non-2xx|Socket errors/{print}' | tr '\n' ' ')
    printf '%-46s %10s req/s   p99 %8s   %s\n' "$1" "$rps" "$p99" "${errs:-no errors}"
}

echo "machine: $(nproc) cores; wrk -t2 -c64 -d${DUR}s"
serve "$peil" 18090
if [ -n "${BASELINE:-}" ]; then
    serve "$BASELINE" 18091
    run "baseline: selection table, same URL"  "http://127.0.0.1:18091$A"
fi
run "this build: selection table, same URL"    "http://127.0.0.1:18090$A"
if [ -n "${BASELINE:-}" ]; then
    run "baseline: selection table, same URL (again)" "http://127.0.0.1:18091$A"
fi
run "this build: selection table, same URL (again)" "http://127.0.0.1:18090$A"

# 2. The flood: every request a new URL, a 48 KB junk header and a cookie.
# The distinct-URL parameter must be accepted: the native API refuses unknown parameters,
# so the flood goes to the selection table, which ignores them (as Swing does).
cat > "$work/flood.lua" <<'LUA'
local junk = string.rep("j", 48 * 1024)
local n = 0
request = function()
    n = n + 1
    local path = "/jive/selectiontableasjson.ashx?var=v2506_elek_res_cons&geolevel=ggw72024&period=2020&nocache=" .. n
    return wrk.format("GET", path, { ["X-Junk"] = n .. junk, ["Cookie"] = "s=" .. n .. string.sub(junk, 1, 2000) })
end
LUA
pid=${pids[0]}
rss0=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
DUR=60 run "this build: 60 s flood, distinct URLs + 48 KB junk" "http://127.0.0.1:18090" "$work/flood.lua"
rss1=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
hwm=$(awk '/VmHWM/{print $2}' /proc/$pid/status)
echo "this build RSS: before the flood $((rss0/1024)) MB, after $((rss1/1024)) MB, peak $((hwm/1024)) MB (budget < 300 MB)"

# 3. /health under 1,000 idle connections and two hostile lookup loops.
python3 - 18090 <<'PY'
import socket, sys, threading, time
port = int(sys.argv[1])
idle = []
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", port))
    if i % 2 == 0:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    idle.append(s)
stop = False
def hostile(path):
    while not stop:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        while s.recv(65536):
            pass
        s.close()
long = "1" * 7900
hs = [threading.Thread(target=hostile, args=(p,)) for p in (f"/api/v1/areas/statsec2024/{long}/profile", f"/jiveservices/odata/GeoItems('{long}')")]
for h in hs: h.start()
times = []
c = socket.create_connection(("127.0.0.1", port))
for _ in range(2000):
    t = time.perf_counter()
    c.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf or not buf.rstrip().endswith(b"}"):
        buf += c.recv(4096)
    times.append((time.perf_counter() - t) * 1000)
stop = True
for h in hs: h.join()
times.sort()
print(f"/health with 1,000 idle connections and 2 hostile 8 KB lookup loops: p50 {times[1000]:.2f} ms, p99 {times[1980]:.2f} ms, max {times[-1]:.2f} ms (budget p99 < 50 ms)")
PY
