#!/usr/bin/env bash
# Import benchmark (issue 2): a long-format CSV of ~10 million rows (10,241 real statsec2024
# sectors × 100 indicators × 10 years) into a fresh Peil store, side by side with DuckDB
# (`CREATE TABLE t AS SELECT * FROM read_csv(...)` into a DuckDB file), in one run.
# Then the time to load the whole real Flanders set.
#
# usage: bench/import.sh [WORKDIR]     (needs python3; installs duckdb with pip if missing)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="${1:-/tmp/peil-bench}"
shared="$root/../shared/data/flanders"
mkdir -p "$work"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

python3 -c 'import duckdb' 2>/dev/null || pip install --quiet duckdb
(cd "$root" && cargo build --release -p peil --quiet)
peil="$CARGO_TARGET_DIR/release/peil"

csv="$work/long10m.csv"
[ -s "$csv" ] || python3 "$here/gen_long_csv.py" "$csv"
rows=$(($(wc -l < "$csv") - 1))

measure() { # label, command...: prints wall seconds and peak RSS (MB)
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > "$work/$label.out" 2>&1
    read -r secs kb < "$work/time.txt"
    printf '%-8s %8.2f s %10.0f rows/s %8.0f MB peak RSS\n' "$label" "$secs" "$(awk "BEGIN{print $rows/$secs}")" "$(awk "BEGIN{print $kb/1024}")"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB; file: $rows rows, $(du -m "$csv" | cut -f1) MB"
for round in 1 2; do
    echo "round $round"
    rm -rf "$work/site" "$work/bench.duckdb"
    "$peil" init "$work/site" > /dev/null
    "$peil" --site "$work/site" import "$shared/swing/gebiedsdefinities/statsec2024.xlsx" > /dev/null
    measure peil "$peil" --site "$work/site" import "$csv"
    measure duckdb python3 -c "
import duckdb, sys
con = duckdb.connect('$work/bench.duckdb')
con.execute(\"CREATE TABLE t AS SELECT * FROM read_csv('$csv')\")
con.close()"
done

echo "real Flanders set (areas, hierarchy, geometry, Fluvius, income, education, metadata):"
rm -rf "$work/flanders"
"$peil" init "$work/flanders" > /dev/null
load_flanders() {
    local p="$peil --site $work/flanders import"
    for l in statsec2019 statsec2024 ggw72024 deelgemeente2024 gemeente2024 gemeente arrondiss2024 provincie2024 gewest; do
        $p "$shared/swing/gebiedsdefinities/$l.xlsx"
    done
    for t in statsec2024_ggw72024 statsec2024_gemeente2024 statsec2024_deelgemeente2024 gemeente2024_arrondiss2024 \
             gemeente2024_gemeente arrondiss2024_provincie2024 provincie2024_gewest statsec2019_statsec2024; do
        $p "$shared/swing/aggregatietabellen/$t.xlsx"
    done
    $p "$shared/geo/lambert72/gemeente2024.shp"
    $p "$shared/geo/lambert72/ggw72024.shp"
    $p --level statsec2024 "$shared/geo/wgs84/zennevallei_sectors_2024_wgs84.geojson"
    $p "$shared/stats/fluvius_energy_statsec2019_2018_2021.csv"
    $p "$shared/stats/zennevallei_income_sector_2019_2023.csv" --geoitem-column CD_SECTOR --period-column CD_YEAR \
        --geolevel statsec2024 --ignore-column CD_MUNTY_REFNIS --status-column sourceStatus \
        --status-map not-published=x,sector-unmatched=?
    $p "$shared/swing/upload_template_with_education_example.xlsx" --sheet voorbeeld_UPLOAD_onderwijs --skip-unknown-areas
    $p "$shared/swing/indicator_metadata_example.xlsx"
}
export -f load_flanders; export peil work shared
/usr/bin/time -f "%e %M" -o "$work/time.txt" bash -c load_flanders > "$work/flanders.out" 2>&1
read -r secs kb < "$work/time.txt"
printf 'flanders %8.2f s total, %8.0f MB peak RSS (largest single import)\n' "$secs" "$(awk "BEGIN{print $kb/1024}")"
