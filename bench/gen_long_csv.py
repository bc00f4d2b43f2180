#!/usr/bin/env python3
"""Generates the import benchmark file: a long-format CSV (value per record) over the real
statsec2024 sectors of ../shared/data/flanders: sectors × indicators × years rows.

usage: gen_long_csv.py OUT.csv [--indicators 100] [--years 10]
"""
import argparse, csv, random, sys
from pathlib import Path

here = Path(__file__).resolve().parent
shared = here.parent.parent / "shared" / "data" / "flanders"

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--indicators", type=int, default=100)
ap.add_argument("--years", type=int, default=10)
ap.add_argument("--first-year", type=int, default=2015)
args = ap.parse_args()

with open(shared / "hierarchy" / "statsec2024_hierarchy_flanders_brussels.csv", newline="", encoding="utf-8") as f:
    sectors = [r["statsec2024"] for r in csv.DictReader(f)]

rng = random.Random(42)
with open(args.out, "w", newline="", encoding="utf-8") as out:
    out.write("period,geolevel,geoitem,indicator,value\n")
    for y in range(args.first_year, args.first_year + args.years):
        for i in range(args.indicators):
            code = f"v{1000 + i}_bench"
            base = 10 + 37 * i
            lines = []
            for s in sectors:
                r = rng.random()
                if r < 0.01:
                    v = "x"
                elif r < 0.015:
                    v = "-99999"
                else:
                    v = f"{base * (1 + rng.random()):.2f}"
                lines.append(f"{y},statsec2024,{s},{code},{v}\n")
            out.writelines(lines)
print(f"{len(sectors) * args.indicators * args.years} rows written to {args.out}", file=sys.stderr)
