#!/usr/bin/env bash
# Locations budget (issue 18 §1): assigning 1 million points to areas. The 2,730 neighbourhoods
# of Flanders (ggw72024, real Lambert 72 polygons: the finest level with geometry in the shared
# data), 1,000,000 records each a point inside one of them (bench/gen_points.py, seed 7), imported
# into fresh copies of the site twice: placed by their points (Lambert 72, reprojected and placed
# by Peil), and by the area code the generator wrote beside each point. The difference is the
# cost of placing the points; every record must land where the generator drew it.
#
# usage: bench/points.sh [RUNS] [WORKDIR]   (PEIL=path/to/release/peil; default target/release)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
runs="${1:-3}"
work="${2:-/tmp/peil-bench-points}"
peil="${PEIL:-$root/target/release/peil}"
data="$root/../shared/data/flanders"
rm -rf "$work"; mkdir -p "$work"
"$peil" --site "$work/base" init --name Punten > /dev/null
"$peil" --site "$work/base" import "$data/swing/gebiedsdefinities/ggw72024.xlsx" > /dev/null
"$peil" --site "$work/base" import "$data/geo/lambert72/ggw72024.shp" > /dev/null
python3 "$here/gen_points.py" "$data/geo/lambert72/ggw72024.shp" geoitem 1000000 7 "$work/points.csv"
common='id = "id"
level = "ggw72024"
dates = ["datum"]
categories = ["soort"]
[[measure]]
code = "MEASURE"
name = "Punten"
kind = "count"
date = "datum"
periods = ["year"]'
{ echo 'name = "by_point"'; echo "${common/MEASURE/by_point_n}"; printf '[location]\nx = "x"\ny = "y"\ncrs = "EPSG:31370"\n'; } > "$work/by_point.toml"
{ echo 'name = "by_code"'; echo 'area = "gebied"'; echo "${common/MEASURE/by_code_n}"; } > "$work/by_code.toml"
echo "machine: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); records: $(($(wc -l < "$work/points.csv") - 1))"
for i in $(seq "$runs"); do
    for how in by_point by_code; do
        rm -rf "$work/site"; cp -a "$work/base" "$work/site"
        /usr/bin/time -f "import of 1,000,000 records $how: %e s, peak %M KB" \
            "$peil" --site "$work/site" records import "$work/$how.toml" "$work/points.csv" > "$work/$how.out"
    done
done
# Both ways give (nearly) every neighbourhood the same count: Peil places the points on the
# polygons reprojected to WGS84 and stored to 7 decimals (about a centimetre), the generator drew
# them inside the Lambert 72 polygons; a point within that of a border may land next door.
"$peil" --site "$work/site" records import "$work/by_point.toml" "$work/points.csv" > /dev/null
"$peil" --site "$work/site" export --level ggw72024 2> /dev/null > "$work/export.csv"
python3 - "$work/export.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
by = {}
for r in rows:
    by.setdefault(r["indicator"], {})[r["geoitem"]] = r["value"]
a, b = by.get("by_point_n", {}), by.get("by_code_n", {})
assert a and set(a) == set(b), f"{len(a)} vs {len(b)} cells"
moved = sum(abs(float(a[k] or 0) - float(b[k] or 0)) for k in a) / 2
differ = sum(1 for k in a if a[k] != b[k])
print(f"placed by point vs by code: {len(a) - differ} of {len(a)} neighbourhoods equal; "
      f"about {moved:.0f} of the records landed in a neighbouring area (within a centimetre of a border)")
assert moved < 100, moved
PY
