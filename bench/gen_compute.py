#!/usr/bin/env python3
"""Generates the compute benchmark (issue 3) over the real statsec2024 sectors:
- data.csv: wide upload, 10 years × 10,241 sectors × 200 base indicators
  (180 counts b000…b179 and 20 means m00…m19 weighted by b000…b019), ~1 % missing codes;
- meta.csv: indicator metadata with 20 weighted means and 100 formula indicators f000…f099
  (ratios, sums, differences, growth rates with data_from_period, formulas on formulas);
- formulas.sql.json: the same formulas as SQL expressions for the DuckDB peer.

usage: gen_compute.py OUTDIR
"""
import csv, json, random, sys
from pathlib import Path

here = Path(__file__).resolve().parent
shared = here.parent.parent / "shared" / "data" / "flanders"
out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
with open(shared / "hierarchy" / "statsec2024_hierarchy_flanders_brussels.csv", newline="", encoding="utf-8") as f:
    sectors = [r["statsec2024"] for r in csv.DictReader(f)]
counts = [f"b{i:03d}" for i in range(180)]
means = [f"m{i:02d}" for i in range(20)]
years = range(2015, 2025)
rng = random.Random(7)

with open(out / "data.csv", "w", encoding="utf-8") as f:
    f.write("period;geolevel;geoitem;" + ";".join(counts + means) + "\n")
    for y in years:
        for s in sectors:
            size = rng.randint(20, 3000)
            cells = []
            for i, _ in enumerate(counts):
                r = rng.random()
                cells.append("x" if r < 0.005 else "-99999" if r < 0.01 else str(int(size * (0.1 + (i % 17) / 10) * (1 + rng.random() / 5))))
            for i, _ in enumerate(means):
                cells.append(f"{20000 + 500 * i + rng.random() * 10000:.1f}")
            f.write(f"{y};statsec2024;{s};" + ";".join(cells) + "\n")

formulas = []  # (code, swing formula, sql expression)
for k in range(100):
    a, b, c = counts[k], counts[(k * 7 + 3) % 180], counts[(k * 13 + 5) % 180]
    kind = k % 5
    if kind == 0:
        formulas.append((f"f{k:03d}", f"{a} / {b} * 100", f"{a} / NULLIF({b}, 0) * 100"))
    elif kind == 1:
        formulas.append((f"f{k:03d}", f"{a} + {b} + {c}", f"{a} + {b} + {c}"))
    elif kind == 2:
        formulas.append((f"f{k:03d}", f"({a} - data_from_period({a}, \"-1\")) / data_from_period({a}, \"-1\") * 100",
                         f"({a} - LAG({a}) OVER w) / NULLIF(LAG({a}) OVER w, 0) * 100"))
    elif kind == 3:
        formulas.append((f"f{k:03d}", f"({a} + {b}) / ({a} + {b} + {c}) * 100", f"({a} + {b}) / NULLIF({a} + {b} + {c}, 0) * 100"))
    else:
        prev = f"f{k - 4:03d}"  # a formula on a formula (a ratio)
        prev_sql = formulas[k - 4][2]
        formulas.append((f"f{k:03d}", f"round({prev} * 2, 1)", f"round(({prev_sql}) * 2, 1)"))

with open(out / "meta.csv", "w", encoding="utf-8") as f:
    f.write("code;name;data type;aggregation indicator;formula;period type\n")
    for c in counts:
        f.write(f"{c};count {c};numeric;;;stock\n")
    for i, m in enumerate(means):
        f.write(f"{m};mean {m};mean;{counts[i]};;stock\n")
    for code, fx, _ in formulas:
        f.write(f"{code};formula {code};ratio;;{fx};stock\n")

json.dump({"counts": counts, "means": {m: counts[i] for i, m in enumerate(means)},
           "formulas": {code: sql for code, _, sql in formulas}}, open(out / "formulas.sql.json", "w"), indent=1)
print(f"{len(sectors) * len(years)} rows × {len(counts) + len(means)} base indicators, {len(formulas)} formulas in {out}", file=sys.stderr)
