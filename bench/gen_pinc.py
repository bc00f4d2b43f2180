#!/usr/bin/env python3
"""Generates the PinC-scale set (issue 16 §3): what Provincies in Cijfers publishes, over the real
statsec2024 sectors (10,241), 2,000 indicators × 15 years (2010–2024):
- 1,800 counts p0000…p1799 and 100 means q000…q099 (weighted by p0000…p0099): 1,900 base
  indicators, ≈ 1 % missing codes (half `x`, half -99999), 291,869,500 base values;
- 100 formula indicators r000…r099 (shares of two counts, sums, growth rates);
- meta.csv: the 2,000 indicators' metadata;
- data_00.csv … data_09.csv: wide uploads of 190 base indicators each (the means in the last),
  one file per import, so no single import holds the whole set.

usage: gen_pinc.py OUTDIR        (needs numpy)
"""
import sys
from pathlib import Path

import numpy as np

here = Path(__file__).resolve().parent
shared = here.parent.parent / "shared" / "data" / "flanders"
out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
import csv

with open(shared / "hierarchy" / "statsec2024_hierarchy_flanders_brussels.csv", newline="", encoding="utf-8") as f:
    sectors = [r["statsec2024"] for r in csv.DictReader(f)]
counts = [f"p{i:04d}" for i in range(1800)]
means = [f"q{i:03d}" for i in range(100)]
base = counts + means
years = list(range(2010, 2025))
CHUNKS = 10
per = len(base) // CHUNKS
n = len(sectors)

formulas = []
for k in range(100):
    a, b, c = counts[k * 17 % 1800], counts[(k * 7 + 3) % 1800], counts[(k * 13 + 5) % 1800]
    kind = k % 3
    if kind == 0:
        formulas.append((f"r{k:03d}", f"{a} / ({a} + {b}) * 100"))
    elif kind == 1:
        formulas.append((f"r{k:03d}", f"{a} + {b} + {c}"))
    else:
        formulas.append((f"r{k:03d}", f'({a} - data_from_period({a}, "-1")) / data_from_period({a}, "-1") * 100'))

with open(out / "meta.csv", "w", encoding="utf-8") as f:
    f.write("code;name;data type;aggregation indicator;formula;period type\n")
    for c in counts:
        f.write(f"{c};count {c};numeric;;;stock\n")
    for i, m in enumerate(means):
        f.write(f"{m};mean {m};mean;{counts[i]};;stock\n")
    for code, fx in formulas:
        f.write(f"{code};formula {code};ratio;;{fx};stock\n")

rng = np.random.default_rng(16)
# A sector's size per year (a slow drift), shared by every chunk so the set is coherent.
size0 = rng.integers(20, 3000, n)
sizes = {y: (size0 * (1 + 0.01 * (y - 2010))).astype(np.int64) for y in years}
for chunk in range(CHUNKS):
    codes = base[chunk * per:(chunk + 1) * per]
    path = out / f"data_{chunk:02d}.csv"
    if path.exists() and path.stat().st_size > 0:
        continue
    tmp = path.with_suffix(".part")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("period;geolevel;geoitem;" + ";".join(codes) + "\n")
        is_mean = np.array([c.startswith("q") for c in codes])
        factor = np.array([0.1 + (i % 17) / 10 for i in range(chunk * per, (chunk + 1) * per)])
        for y in years:
            noise = 1 + rng.random((n, len(codes))) / 5
            vals = (sizes[y][:, None] * factor[None, :] * noise).astype(np.int64)
            mean_vals = 20000 + 500 * (np.arange(len(codes)) % 100)[None, :] + noise * 10000
            miss = rng.random((n, len(codes)))
            for r in range(n):
                cells = [f"{v:.1f}" if m else str(c) for c, v, m in zip(vals[r].tolist(), mean_vals[r].tolist(), is_mean)] \
                    if is_mean.any() else list(map(str, vals[r].tolist()))
                for j in np.nonzero(miss[r] < 0.01)[0].tolist():
                    cells[j] = "x" if miss[r, j] < 0.005 else "-99999"
                f.write(f"{y};statsec2024;{sectors[r]};" + ";".join(cells) + "\n")
    tmp.rename(path)
    print(f"{path.name}: {n * len(years):,} rows × {len(codes)} indicators", file=sys.stderr)
print(f"{n:,} sectors × {len(years)} years × {len(base):,} base indicators "
      f"({n * len(years) * len(base):,} values), {len(formulas)} formulas in {out}", file=sys.stderr)
