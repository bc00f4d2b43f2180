#!/usr/bin/env python3
"""The independent computation of record measures (crates/peil/tests/it/records.rs): reads the
record file and the set's definition, computes every measure with pandas — per month, quarter
and year, per geo level, each group from its records (a year's median is the median of the
year's records) —, applies the threshold (0 < records < threshold → x) and compares every cell
with what the site's API answers (/api/v1/data). The hierarchy is the one readers see
(/api/v1/geolevels/LEVEL/items, parents).

usage: records_check.py BASE_URL DEFINITION.toml RECORDS.csv MODE
  MODE exact:     every cell equals (value, or x where the threshold hides it); the site was
                  published without secondary suppression.
  protected:      every cell the threshold hides is x, every shown cell equals; cells hidden
                  beyond the threshold (secondary suppression) are counted.
Prints a JSON summary; exits 1 with the first differences.
"""
import json
import sys
import tomllib
import urllib.request

import pandas as pd

base, def_path, csv_path, mode = sys.argv[1:5]
spec = tomllib.load(open(def_path, "rb"))
threshold = spec.get("threshold", 5)


def get(path):
    with urllib.request.urlopen(base + path) as r:
        return json.load(r)


df = pd.read_csv(csv_path, sep=";", dtype=str, keep_default_na=False)
for c in spec.get("dates", []):
    df[c] = pd.to_datetime(df[c].mask(df[c] == ""), format="%Y-%m-%d")
for c in spec.get("numbers", []):
    df[c] = pd.to_numeric(df[c].mask(df[c] == ""))

# Each record's item on every level above the record level, from the parents readers see.
parents = {}
for lv in get("/api/v1/geolevels")["geolevels"]:
    items = get(f"/api/v1/geolevels/{lv['code']}/items")["items"]
    parents[lv["code"]] = {it["code"]: it["parents"] for it in items}
record_level = spec["level"]
area = df[spec["area"]].map(str)
up = {record_level: area}
frontier = [record_level]
while frontier:
    lv = frontier.pop()
    for code, ps in parents[lv].items():
        for plv in ps:
            if plv not in up:
                up[plv] = None
                frontier.append(plv)
    for plv in {p for ps in parents[lv].values() for p in ps}:
        if up[plv] is None:
            up[plv] = up[lv].map(lambda c, lv=lv, plv=plv: parents[lv].get(c, {}).get(plv))

PERIOD = {
    "month": lambda d: f"{d.year}M{d.month:02d}",
    "quarter": lambda d: f"{d.year}Q{(d.month - 1) // 3 + 1}",
    "halfyear": lambda d: f"{d.year}H{(d.month - 1) // 6 + 1}",
    "year": lambda d: f"{d.year}",
}


def period_range(dates, level):
    d = dates.dropna()
    months = pd.period_range(d.min().to_period("M"), d.max().to_period("M"), freq="M")
    return sorted({PERIOD[level](m.to_timestamp()) for m in months})


expected = {}  # (code, level, period, item) -> number or "x"
required = set()  # the cells the definition asks for
for m in spec["measure"]:
    kind, date = m["kind"], m["date"]
    sel = df[date].notna()
    for col, vals in m.get("where", {}).items():
        sel &= df[col].isin(vals)
    if "field" in m:
        value = df[m["field"]]
    elif "from" in m:
        value = (df[m["to"]] - df[m["from"]]).dt.days
    else:
        value = pd.Series(0, index=df.index)
    if kind not in ("count",) and not (kind == "share" and "within" not in m):
        sel &= value.notna()
    hit = pd.Series(True, index=df.index)
    if "within" in m:
        hit &= value <= m["within"]
    for col, vals in m.get("is", {}).items():
        hit &= df[col].isin(vals)
    # Every level and period level: those the measure asks for must be published; the engine
    # may add others for counts and sums (a half year of a flow, a level above), which must be
    # the records' figures too.
    for lv, codes in up.items():
        reached = sorted(set(codes.dropna()))
        for pl in PERIOD:
            asked = (not m.get("levels") or lv in m["levels"]) and pl in m.get("periods", ["month", "quarter", "year"])
            periods = period_range(df[date], pl)
            frame = pd.DataFrame({
                "item": codes[sel], "period": df.loc[sel, date].map(PERIOD[pl]),
                "v": value[sel].astype(float), "hit": hit[sel].astype(float),
            }).dropna(subset=["item"])
            g = frame.groupby(["item", "period"])
            n = g.size()
            stat = {
                "count": n.astype(float), "sum": g["v"].sum(), "mean": g["v"].mean(),
                "median": g["v"].median(), "percentile": g["v"].quantile(m.get("p", 50) / 100),
                "share": 100 * g["hit"].mean(),
            }[kind]
            full = pd.MultiIndex.from_product([reached, periods], names=["item", "period"])
            n = n.reindex(full, fill_value=0)
            if kind in ("count", "sum"):
                stat = stat.reindex(full, fill_value=0.0)
            for (item, period), v in stat.items():
                hidden = 0 < n[(item, period)] < threshold
                expected[(m["code"], lv, period, item)] = "x" if hidden else float(v)
                if asked:
                    required.add((m["code"], lv, period, item))
            if kind != "count":
                for (item, period), c in n.items():
                    expected[(m["code"] + "_n", lv, period, item)] = "x" if 0 < c < threshold else float(c)
                    if asked:
                        required.add((m["code"] + "_n", lv, period, item))

codes = sorted({k[0] for k in expected})
got = {}
for code in codes:
    for lv in up:
        ans = get(f"/api/v1/data?indicator={code}&level={lv}&period=all")
        for r in ans["data"]:
            if r["value"] is None and r["status"] == "-":
                continue  # no value: the API lists every area of the level
            v = r["status"] if r["value"] is None else float(r["value"])
            got[(code, lv, r["period"], r["item"])] = v

diffs, secondary, hidden, compared = [], 0, 0, 0
for key in sorted(required | set(got), key=str):
    e, g = expected.get(key), got.get(key)
    compared += 1
    if e == "x":
        hidden += 1
        if g != "x":
            diffs.append((key, e, g))
    elif mode == "protected" and g == "x" and e is not None:
        secondary += 1
    elif e is None or g is None or g == "x" or abs(e - g) > 1e-9 * max(1.0, abs(e)):
        diffs.append((key, e, g))
print(json.dumps({"compared": compared, "hidden": hidden, "secondary": secondary, "differences": len(diffs),
                  "first": [str(d) for d in diffs[:15]]}))
sys.exit(1 if diffs else 0)
