#!/usr/bin/env python3
"""The DuckDB peer of `peil publish` for the compute benchmark: the same aggregates with SQL
(joins on the aggregation tables and GROUP BY; weighted means as SUM(v·w)/SUM(w); the formulas
as SQL expressions with window functions for data_from_period), into a DuckDB file.

usage: duckdb_compute.py WORKDIR
"""
import json, sys, time
from pathlib import Path
import duckdb

work = Path(sys.argv[1])
shared = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "flanders"
spec = json.load(open(work / "formulas.sql.json"))
db = work / "compute.duckdb"
if db.exists():
    db.unlink()
t0 = time.time()
con = duckdb.connect(str(db))
con.execute(f"""CREATE TABLE base AS SELECT * FROM read_csv('{work / "data.csv"}', delim=';', nullstr=['x', '-99999'], header=true)""")
con.execute(f"""CREATE TABLE h AS SELECT * FROM read_csv('{shared / "hierarchy" / "statsec2024_hierarchy_flanders_brussels.csv"}', all_varchar=true)""")
counts, means, formulas = spec["counts"], spec["means"], spec["formulas"]
for level in ["statsec2024", "ggw72024", "gemeente2024", "arrondiss2024", "provincie2024", "gewest"]:
    sums = ", ".join(f"SUM({c}) AS {c}" for c in counts)
    wmeans = ", ".join(f"SUM({m} * {w}) / NULLIF(SUM(CASE WHEN {m} IS NOT NULL THEN {w} END), 0) AS {m}" for m, w in means.items())
    con.execute(f"""CREATE TABLE agg_{level} AS SELECT h.{level} AS item, period, {sums}, {wmeans}
                    FROM base JOIN h ON base.geoitem = h.statsec2024 GROUP BY h.{level}, period""")
    exprs = ", ".join(f"{sql} AS {code}" for code, sql in formulas.items())
    con.execute(f"""CREATE TABLE formulas_{level} AS SELECT item, period, {exprs}
                    FROM agg_{level} WINDOW w AS (PARTITION BY item ORDER BY period)""")
con.close()
print(f"duckdb compute {time.time() - t0:.2f} s")
