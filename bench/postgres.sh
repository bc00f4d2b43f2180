#!/usr/bin/env bash
# The PostgreSQL store against the SQLite store (issue 16), side by side in one run:
#   - the import of the 10 M-row bench file (bench/import.sh's long10m.csv: 10,241 statsec2024
#     sectors × 100 indicators × 10 years) into a fresh site;
#   - the Flanders-scale publish (bench/compute.sh's set: 200 base indicators × 10 years on
#     the real hierarchy, 100 formulas, 40.7 million values published).
# PostgreSQL 15 runs from Debian's package in a temporary directory (initdb + pg_ctl, unix
# socket only), with its durability defaults (fsync, synchronous_commit and full_page_writes
# on), shared_buffers = 1GB and max_wal_size = 8GB; SQLite with Peil's own settings (WAL).
#
# usage: [PEIL=…/release/peil] bench/postgres.sh [WORKDIR]
#   (needs bench/import.sh's $WORKDIR/long10m.csv or makes it; bench/compute.sh's data in
#   /tmp/peil-bench-compute, made if missing)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="${1:-/tmp/peil-bench-pg}"
shared="$root/../shared/data/flanders"
compute="${COMPUTE_DIR:-/tmp/peil-bench-compute}"
mkdir -p "$work" "$compute"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
if [ -z "${PEIL:-}" ]; then
    (cd "$root" && cargo build --release -p peil --quiet)
fi
peil="${PEIL:-$CARGO_TARGET_DIR/release/peil}"
export PEIL_QUIET=1

csv="$work/long10m.csv"
[ -s "$csv" ] || python3 "$here/gen_long_csv.py" "$csv"
[ -s "$compute/data.csv" ] || python3 "$here/gen_compute.py" "$compute"

# PostgreSQL in $work/pg, as the user `postgres` when run as root (initdb refuses root).
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgdir="$work/pg"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pg() { as_pg "$bindir/pg_ctl" -D "$pgdir/data" -m fast stop > /dev/null 2>&1 || true; }
trap stop_pg EXIT
stop_pg
rm -rf "$pgdir"; mkdir -p "$pgdir/sock"
[ "$(id -u)" -eq 0 ] && chown -R postgres "$pgdir"
as_pg "$bindir/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 > /dev/null
cat >> "$pgdir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$pgdir/sock'
port = 5499
shared_buffers = 1GB
max_wal_size = 8GB
EOF
as_pg "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w start > /dev/null
sock=$(python3 -c "import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=''))" "$pgdir/sock")
url="postgres://postgres@$sock:5499/postgres"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB; $("$bindir/postgres" --version)"

measure() { # label, command...: wall seconds and peak RSS of the command (Peil's process)
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > "$work/last.out" 2>&1 || { cat "$work/last.out" >&2; exit 1; }
    read -r secs kb < "$work/time.txt"
    printf '  %-34s %8.2f s %8.0f MB peak RSS (peil)\n' "$label" "$secs" "$(awk "BEGIN{print $kb/1024}")"
}

new_site() { # dir store(sqlite|postgres) schema
    rm -rf "$1"
    if [ "$2" = postgres ]; then
        "$peil" init "$1" --store "$url" --store-schema "$3" > /dev/null
    else
        "$peil" init "$1" > /dev/null
    fi
}

rows=$(($(wc -l < "$csv") - 1))
for round in $(seq 1 "${ROUNDS:-2}"); do
    echo "round $round: import of $rows rows"
    for store in sqlite postgres; do
        new_site "$work/import-$store" "$store" "import_r$round"
        "$peil" --site "$work/import-$store" import "$shared/swing/gebiedsdefinities/statsec2024.xlsx" > /dev/null
        measure "$store import" "$peil" --site "$work/import-$store" import "$csv"
    done
    echo "round $round: Flanders-scale publish"
    for store in sqlite postgres; do
        s="$work/compute-$store"
        new_site "$s" "$store" "compute_r$round"
        p="$peil --site $s import"
        for l in statsec2024 ggw72024 gemeente2024 arrondiss2024 provincie2024 gewest; do
            $p "$shared/swing/gebiedsdefinities/$l.xlsx" > /dev/null
        done
        for t in statsec2024_ggw72024 statsec2024_gemeente2024 gemeente2024_arrondiss2024 arrondiss2024_provincie2024 provincie2024_gewest; do
            $p "$shared/swing/aggregatietabellen/$t.xlsx" > /dev/null
        done
        $p "$compute/meta.csv" > /dev/null
        measure "$store import (compute set)" $p "$compute/data.csv"
        measure "$store publish" "$peil" --site "$s" publish
        grep -E "^published|read .* computed" "$work/last.out" | sed 's/^/    /'
    done
    # Free the disk between rounds.
    as_pg "$bindir/psql" -h "$pgdir/sock" -p 5499 -U postgres -q -c "DROP SCHEMA import_r$round CASCADE" -c "DROP SCHEMA compute_r$round CASCADE" postgres > /dev/null
    rm -rf "$work/import-sqlite" "$work/compute-sqlite" "$work/import-postgres" "$work/compute-postgres"
done
