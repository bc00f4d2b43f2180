#!/usr/bin/env python3
"""The independent side of the locations test (crates/peil/tests/it/locations.rs, issue 18).

Generates deterministic points over Flanders and places them with shapely, apart from Peil:

  points_check.py GEOJSON SHAPEFILE N SEED OUT_DIR

- GEOJSON: the municipalities in WGS84 (property `gemeente`); SHAPEFILE: the same in Lambert 72
  (field `gemeente`).
- OUT_DIR/points.csv: N points (id;lon;lat;datum;soort) uniform over the box of Flanders, those
  within 0.0002 degrees (about 15 m) of a municipality's border left out, so that the two sides'
  reprojections of the borders (Peil reads the Lambert shapefile, this script the WGS84 file)
  cannot decide a point differently.
- OUT_DIR/expected.json: per municipality code, the number of points shapely finds in it (and
  per code and kind); `outside`: the points in no municipality.
- OUT_DIR/lambert.csv: one point per municipality in Lambert 72 metres (id;x;y;gemeente), a
  point surely inside it (shapely's representative point, computed in Lambert 72).
"""

import csv
import json
import os
import random
import sys

import shapefile
from shapely.geometry import Point, shape
from shapely.strtree import STRtree

geojson_path, shp_path, n, seed, out = sys.argv[1:6]
n, seed = int(n), int(seed)
os.makedirs(out, exist_ok=True)

with open(geojson_path, encoding="utf-8") as f:
    features = json.load(f)["features"]
codes = [str(ft["properties"]["gemeente"]) for ft in features]
shapes = [shape(ft["geometry"]) for ft in features]
tree = STRtree(shapes)
borders = STRtree([s.boundary for s in shapes])

rng = random.Random(seed)
counts, by_kind, outside, written = {}, {}, 0, 0
with open(os.path.join(out, "points.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, delimiter=";", lineterminator="\n")
    w.writerow(["id", "lon", "lat", "datum", "soort"])
    for i in range(n):
        lon, lat = rng.uniform(2.5, 5.95), rng.uniform(50.65, 51.52)
        kind = rng.choice(["school", "winkel", "winkel", "horeca"])
        day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        p = Point(lon, lat)
        if len(borders.query(p, predicate="dwithin", distance=0.0002)) > 0:
            continue
        inside = [codes[k] for k in tree.query(p, predicate="within")]
        assert len(inside) <= 1, (lon, lat, inside)
        if inside:
            counts[inside[0]] = counts.get(inside[0], 0) + 1
            key = f"{inside[0]}/{kind}"
            by_kind[key] = by_kind.get(key, 0) + 1
        else:
            outside += 1
        # Written with a decimal comma for one in three, as Flemish spreadsheets do.
        fmt = (lambda v: f"{v:.7f}".replace(".", ",")) if i % 3 == 0 else (lambda v: f"{v:.7f}")
        w.writerow([f"P{i:05d}", fmt(lon), fmt(lat), day, kind])
        written += 1

with open(os.path.join(out, "expected.json"), "w", encoding="utf-8") as f:
    json.dump({"counts": counts, "by_kind": by_kind, "outside": outside, "written": written}, f)

r = shapefile.Reader(shp_path)
with open(os.path.join(out, "lambert.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, delimiter=";", lineterminator="\n")
    w.writerow(["id", "x", "y", "datum", "gemeente"])
    for k, sr in enumerate(r.iterShapeRecords()):
        code = str(sr.record["gemeente"])
        p = shape(sr.shape.__geo_interface__).representative_point()
        w.writerow([f"L{k:03d}", f"{p.x:.3f}", f"{p.y:.3f}", "2024-06-30", code])
print(f"{written} points, {outside} outside, {len(counts)} municipalities with points")
