#!/usr/bin/env python3
"""A realistic permit register (omgevingsvergunningen), generated deterministically: one row per
dossier with its procedure, type, submission date, completeness date, decision date (empty while
the dossier is open on the export date), outcome, estimated building cost and the statistical
sector it lies in. Used by the records tests (crates/peil/tests/it/records.rs) and the records
benchmark (bench/records.sh, 1 million rows).

usage: gen_permits.py SECTORS_FILE ROWS SEED OUT.csv
  SECTORS_FILE: the sector codes of the demo city, one per line (the tests take them from
  the site's API); a code ending in ZZZZ (location unknown) gets a rare dossier too.

Submissions run over five years (2021-01-01 .. 2025-12-31, fewer in August and at Christmas);
the export date is 2025-12-31, so later decisions are still open. The regular procedure has a
legal term of 105 days from completeness, the simplified one 60; about one in eight dossiers
runs late, a few are withdrawn, some never become complete.
"""
import csv
import datetime as dt
import random
import sys

sectors_file, rows, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sectors = [s.strip() for s in open(sectors_file, encoding="utf-8") if s.strip()]
known = [s for s in sectors if not s.endswith("ZZZZ")]
unknown = [s for s in sectors if s.endswith("ZZZZ")]
rng = random.Random(seed)
# Some sectors are busy (the centre, development areas), most are quiet.
weights = [rng.choice([1, 1, 1, 2, 3, 8]) for _ in known]
cum = list(__import__('itertools').accumulate(weights))

START, END = dt.date(2021, 1, 1), dt.date(2025, 12, 31)
EXPORT = END
DAYS = (END - START).days + 1
TYPES = [("stedenbouw", 0.55), ("milieu", 0.12), ("gemengd", 0.13), ("verkaveling", 0.05), ("melding", 0.15)]


def pick(pairs):
    r, acc = rng.random(), 0.0
    for v, p in pairs:
        acc += p
        if r < acc:
            return v
    return pairs[-1][0]


def submission():
    while True:
        d = START + dt.timedelta(days=rng.randrange(DAYS))
        # Fewer submissions in the building holiday and between Christmas and New Year.
        if d.month == 8 and rng.random() < 0.4:
            continue
        if d.month == 12 and d.day > 22 and rng.random() < 0.7:
            continue
        return d


with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, delimiter=";", lineterminator="\n")
    w.writerow(["dossier", "procedure", "type", "ingediend", "volledig", "beslist", "uitkomst", "bouwkost", "sector"])
    for n in range(rows):
        kind = pick(TYPES)
        simplified = kind == "melding" or rng.random() < 0.25
        procedure = "vereenvoudigd" if simplified else "gewoon"
        term = 60 if simplified else 105
        ingediend = submission()
        volledig = beslist = None
        uitkomst = ""
        if rng.random() < 0.95:
            volledig = ingediend + dt.timedelta(days=int(rng.expovariate(1 / 9)))
            if rng.random() < 0.87:
                days = int(rng.triangular(10, term, term * 0.7))
            else:
                days = term + 1 + int(rng.expovariate(1 / 40))
            beslist = volledig + dt.timedelta(days=days)
            if volledig > EXPORT:
                volledig = None
            if beslist > EXPORT:
                beslist = None
            elif rng.random() < 0.03:
                uitkomst = "ingetrokken"
            else:
                uitkomst = "geweigerd" if rng.random() < 0.13 else "vergund"
        sector = rng.choice(unknown) if unknown and rng.random() < 0.004 else rng.choices(known, cum_weights=cum)[0]
        cost = "" if kind == "melding" else round(rng.lognormvariate(11.5, 1.0), 2)
        w.writerow([
            f"OMV_{ingediend.year}_{n + 1:07d}",
            procedure,
            kind,
            ingediend.isoformat(),
            volledig.isoformat() if volledig else "",
            beslist.isoformat() if beslist else "",
            uitkomst,
            cost,
            sector,
        ])
