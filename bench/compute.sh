#!/usr/bin/env bash
# Compute benchmark (issue 3): the real statsec2024 hierarchy (10,241 sectors → wijk, gemeente,
# arrondissement, province, region), 200 base indicators × 10 years (~20 million base values),
# 100 formula indicators and 20 weighted means. `peil publish` side by side with DuckDB
# computing the same aggregates with SQL, in one run.
#
# usage: bench/compute.sh [WORKDIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="${1:-/tmp/peil-bench-compute}"
shared="$root/../shared/data/flanders"
mkdir -p "$work"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
python3 -c 'import duckdb' 2>/dev/null || pip install --quiet duckdb
(cd "$root" && cargo build --release -p peil --quiet)
peil="$CARGO_TARGET_DIR/release/peil"
[ -s "$work/data.csv" ] || python3 "$here/gen_compute.py" "$work"

if [ ! -s "$work/site.ready" ]; then
    rm -rf "$work/site"
    "$peil" init "$work/site" > /dev/null
    p="$peil --site $work/site import"
    for l in statsec2024 ggw72024 gemeente2024 arrondiss2024 provincie2024 gewest; do
        $p "$shared/swing/gebiedsdefinities/$l.xlsx" > /dev/null
    done
    for t in statsec2024_ggw72024 statsec2024_gemeente2024 gemeente2024_arrondiss2024 arrondiss2024_provincie2024 provincie2024_gewest; do
        $p "$shared/swing/aggregatietabellen/$t.xlsx" > /dev/null
    done
    $p "$work/meta.csv" > /dev/null
    $p "$work/data.csv" > /dev/null 2>&1
    echo ok > "$work/site.ready"
fi
cp "$work/site/peil.sqlite" "$work/site/base.sqlite.bak"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB"
"$peil" --site "$work/site" status | grep -E "values|indicators"
for round in 1 2; do
    cp "$work/site/base.sqlite.bak" "$work/site/peil.sqlite"; rm -f "$work/site/peil.sqlite-wal" "$work/site/peil.sqlite-shm"
    /usr/bin/time -f "%e %M" -o "$work/t.txt" "$peil" --site "$work/site" publish > "$work/publish.out"
    read -r secs kb < "$work/t.txt"
    printf 'round %d  peil publish  %7.2f s  %6.0f MB peak RSS   (%s)\n' "$round" "$secs" "$(awk "BEGIN{print $kb/1024}")" "$(tail -1 "$work/publish.out" | sed 's/^ *//')"
    /usr/bin/time -f "%e %M" -o "$work/t.txt" python3 "$here/duckdb_compute.py" "$work" > /dev/null
    read -r secs kb < "$work/t.txt"
    printf 'round %d  duckdb        %7.2f s  %6.0f MB peak RSS\n' "$round" "$secs" "$(awk "BEGIN{print $kb/1024}")"
done
head -1 "$work/publish.out"
