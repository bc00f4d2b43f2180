#!/usr/bin/env python3
"""Points for the locations benchmark (bench/points.sh, issue 18): N records, each a point drawn
uniformly inside an area of a Lambert 72 shapefile (the area drawn by its share of the total
area, so the points are uniform over the territory), deterministic for a seed. Each row has the
point (x, y in Lambert 72 metres) and the area's code, so the same records can be imported
placed by their points and by their area codes.

  gen_points.py SHAPEFILE CODE_FIELD N SEED OUT.csv
"""

import sys

import numpy as np
import shapely
from shapely.geometry import shape

import shapefile

path, field, n, seed, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
records = list(shapefile.Reader(path).iterShapeRecords())
codes = [str(sr.record[field]) for sr in records]
geoms = [shape(sr.shape.__geo_interface__) for sr in records]
areas = np.array([g.area for g in geoms])
rng = np.random.default_rng(seed)
which = rng.choice(len(geoms), size=n, p=areas / areas.sum())
lon = np.empty(n)
lat = np.empty(n)
for k, g in enumerate(geoms):
    idx = np.nonzero(which == k)[0]
    if len(idx) == 0:
        continue
    x0, y0, x1, y1 = g.bounds
    got = np.empty((0, 2))
    while len(got) < len(idx):
        xs = rng.uniform(x0, x1, 4 * len(idx) + 16)
        ys = rng.uniform(y0, y1, 4 * len(idx) + 16)
        ok = shapely.contains_xy(g, xs, ys)
        got = np.vstack([got, np.column_stack([xs[ok], ys[ok]])])
    lon[idx], lat[idx] = got[: len(idx), 0], got[: len(idx), 1]
kinds = np.array(["school", "winkel", "horeca", "zorg"])[rng.integers(0, 4, n)]
with open(out, "w", encoding="utf-8") as f:
    f.write("id;x;y;gebied;datum;soort\n")
    for i in range(n):
        f.write(f"P{i:07d};{lon[i]:.2f};{lat[i]:.2f};{codes[which[i]]};2024-06-30;{kinds[i]}\n")
