#!/usr/bin/env python3
"""Runs every public method of the real `stadincijfers` client (PyPI) against a Peil server
serving the demo city, and checks that the answers make sense.

Usage: python3 stadincijfers_check.py http://127.0.0.1:PORT

Exits non-zero on the first failed check (or when the package is missing: CI installs it
with `python3 -m pip install stadincijfers`). Prints ALL CHECKS PASSED at the end.
"""

import contextlib
import io
import json
import math
import sys
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import urlopen

from stadincijfers import stadincijfers  # noqa: E402  (a missing package must fail the test)

BASE = sys.argv[1].rstrip("/")
ODATA = BASE + "/jiveservices/odata/"
RESTRICTED = ["v_leefloon", "vp_leefloon", "v_won_leeg", "vp_leegstand"]
checks = 0


def check(cond, what):
    global checks
    if not cond:
        raise AssertionError(what)
    checks += 1


def raises(fn, exc, needle=""):
    try:
        fn()
    except exc as e:  # noqa: PERF203
        check(needle in str(e), f"expected '{needle}' in '{e}'")
        return e
    raise AssertionError(f"{fn} did not raise {exc.__name__}")


def odata(path):
    """Plain OData, to compare the client's answers with."""
    with urlopen(ODATA + quote(path, safe="/()',$=&?")) as r:
        return json.load(r)


def section(name):
    print(f"-- {name}", flush=True)


sic = stadincijfers(BASE)
check(sic.url == BASE + "/", sic.url)
check(sic.odata_url == ODATA, sic.odata_url)
raises(lambda: stadincijfers("not a site"), Exception, "not a valid name or url")
# An API key is sent as a header; a public site ignores it.
keyed = stadincijfers(BASE + "/", apikey="secret")

section("geolevels")
levels = sic.geolevels()
check(set(levels) == {"statsec", "wijk", "district", "gemeente", "gewest"}, levels)
check(levels["wijk"] == "Wijk" and levels["statsec"] == "Statistische sector", levels)
check(sic.geolevels("v1101_t") == levels, "v1101_t has data on every level")
check(keyed.geolevels() == levels, "apikey")
raises(lambda: sic.geolevels("v_leefloon"), HTTPError, "404")

section("geoitemlevels")
wijken = sic.geoitemlevels("wijk")
check(len(wijken) == 41 and wijken["4699901"] == "Ververij (Centrum)", wijken)
check(sic.geoitemlevels("wijk", "v1101_t") == wijken, "items of a variable's level")
check(len(sic.geoitemlevels("statsec")) == 251, "sectors")
raises(lambda: sic.geoitemlevels(), Exception, "geolevel must be in")
raises(lambda: sic.geoitemlevels("wijkk"), HTTPError, "404")

section("periodlevels")
check(sic.periodlevels() == {"year": "Jaar", "halfyear": "Halfjaar", "quarter": "Kwartaal", "month": "Maand"}, sic.periodlevels())
check(sic.periodlevels("v1101_t", "wijk") == {"year": "Jaar"}, sic.periodlevels("v1101_t", "wijk"))
check("quarter" in sic.periodlevels("v_bouwverg_won", "gemeente"), "quarterly permits")

section("periods")
years = sic.periods()
check("2013" in years and "2025" in years, years)
v_years = sic.periods("year", "v1101_t", "wijk")
check(list(v_years) == [str(y) for y in range(2013, 2026)], v_years)
quarters = sic.periods("quarter")
check(quarters.get("2019Q1") == "2019Q1" and all(len(q) == 6 for q in quarters), quarters)
check(sic.periods("quarter", "v_bouwverg_won", "gemeente").keys() <= quarters.keys(), "subset")

section("dim_dict / dimlevels")
dims = sic.dim_dict("kubus_bevolking")
check(list(dims) == ["leeftijd5", "geslacht"], dims)
check(dims["geslacht"] == ["m", "v"], dims)
check(len(dims["leeftijd5"]) == 20 and dims["leeftijd5"][:3] == ["0-4", "5-9", "10-14"], dims)
members = sic.dimlevels("kubus_bevolking")
check(len(members) == 22 and "m" in members and "95+" in members, members)
raises(lambda: sic.dim_dict("v1101_t"), HTTPError, "404")

section("odataVariables")
public = int(urlopen(ODATA + "Variables/$count").read())
with contextlib.redirect_stdout(io.StringIO()):
    variables = sic.odataVariables()
check(len(variables) == public, (len(variables), public))
check(variables["v1101_t"] == "Inwoners", variables.get("v1101_t"))
for code in RESTRICTED:
    check(code not in variables, code)
with contextlib.redirect_stdout(io.StringIO()):
    part = sic.odataVariables(skip_rows=20, to_rows=40)
check(0 < len(part) < public and set(part) <= set(variables), len(part))
raises(lambda: sic.odataVariables(skip_rows=10, to_rows=5), Exception, "skip_rows must be smaller")
check(len(sic._odataVariables(0)["value"]) > 0, "a first page")


def float_or_none(s):
    try:
        return float(s)
    except ValueError:
        return None


section("selectiontableasjson")
t = sic.selectiontableasjson("v1101_t", geolevel="wijk", period="2019")
check([h["name"] for h in t["headers"]] == ["Gebied", "Periode", "Inwoners"], t["headers"])
check(t["headers"][2]["type"] == "Numeric", t["headers"])
vals = odata("Variables('v1101_t')/GeoLevels('wijk')/PeriodLevels('year')/Periods('2019')/Values")["value"]
check([[v["Name"], "2019", v["ValueString"]] for v in vals] == t["rows"], "rows equal OData values")
check(all(isinstance(c, str) for r in t["rows"] for c in r), "cells are strings")
# The city and the six municipalities of its region, each in the latest period.
mrp = sic.selectiontableasjson("v1101_t", geolevel="gemeente")
check(len(mrp["rows"]) == 7 and mrp["rows"][0][0] == "Stad Scheldemonde" and all(r[1] == "2025" for r in mrp["rows"]), mrp)
default_level = sic.selectiontableasjson("v1101_t")
check(len(default_level["rows"]) == 251, "default level: the finest")
one = sic.selectiontableasjson("v1101_t", geolevel="wijk", geoitem="4699901", geocompare="district", period="2019")
check(one["rows"] == [t["rows"][0], ["District Centrum", "2019", one["rows"][1][2]]], one)
codes = sic.selectiontableasjson("v1101_t", geolevel="wijk", geoitem_codes="4699901,4699902", period="2019")
check(codes["rows"] == t["rows"][:2], codes)
cmp_item = sic.selectiontableasjson("v1101_t", geolevel="district", geoitem="46999D1", geocompare="gemeente", geocompare_item="46999", period="2019")
check([r[0] for r in cmp_item["rows"]] == ["District Centrum", "Stad Scheldemonde"], cmp_item)
split = sic.selectiontableasjson("v1101_t", geolevel="district", geoitem="46999D1", geosplit="wijk", period="2019")
check(len(split["rows"]) > 1 and all(r[0].endswith("(Centrum)") for r in split["rows"]), split)
check(sum(float(r[2]) for r in split["rows"]) == float(cmp_item["rows"][0][2]), "wijken add up to their district")
several = sic.selectiontableasjson("v1101_t", geolevel="gemeente", geoitem="46999", period="2019,2020,2021")
check([r[1] for r in several["rows"]] == ["2019", "2020", "2021"], several)
quarterly = sic.selectiontableasjson("v_bouwverg_won", geolevel="gemeente", geoitem="46999", periodlevel="quarter", period="2019Q1,2019Q2")
check([r[1] for r in quarterly["rows"]] == ["2019Q1", "2019Q2"], quarterly)
validated = sic.selectiontableasjson("v1101_t", geolevel="wijk", periodlevel="year", period="2019", validate=True)
check(validated == t, "validate=True")
# The client asks for the level's period levels before it checks the level: a 404.
raises(lambda: sic.selectiontableasjson("v1101_t", geolevel="nope", validate=True), HTTPError, "404")
raises(lambda: sic.selectiontableasjson("v1101_t", geolevel="wijk", periodlevel="month", validate=True), Exception, "periodlevel must be in")
cube_total = float(sic.selectiontableasjson("kubus_bevolking", geolevel="gemeente", geoitem="46999")["rows"][0][2])
by_sex = sic.selectiontableasjson("kubus_bevolking", geolevel="gemeente", geoitem="46999", dimlevel="geslacht")
check([r[3] for r in by_sex["rows"]] == ["m", "v"], by_sex)
check(sum(float(r[2]) for r in by_sex["rows"]) == cube_total, "m + v = total")
# validate=True checks dimlevel against dimlevels() (member codes), so members must work.
men = sic.selectiontableasjson("kubus_bevolking", geolevel="gemeente", geoitem="46999", dimlevel="m", validate=True)
check(men["rows"] == by_sex["rows"][:1], men)
raises(lambda: sic.selectiontableasjson("kubus_bevolking", geolevel="gemeente", dimlevel="x", validate=True), Exception, "dimlevel must be in")
for code in RESTRICTED:
    raises(lambda: sic.selectiontableasjson(code, geolevel="wijk"), HTTPError, "404")

section("selectiontableasDataframe")
df = sic.selectiontableasDataframe("v1101_t", geolevel="wijk", period="2019")
check(list(df.columns) == ["Gebied", "Periode", "Inwoners"] and df.shape == (41, 3), df.shape)
check(df["Inwoners"].dtype.kind == "f", df.dtypes)
gemeente = float(sic.selectiontableasjson("v1101_t", geolevel="gemeente", geoitem="46999", period="2019")["rows"][0][2])
check(df["Inwoners"].sum() == gemeente, "the wijken add up to the city")
elek = sic.selectiontableasDataframe("v_elek_hh", geolevel="statsec", period="2019")
ovals = odata("Variables('v_elek_hh')/GeoLevels('statsec')/PeriodLevels('year')/Periods('2019')/Values")["value"]
missing = [v["ValueString"] for v in ovals if float_or_none(v["ValueString"]) is None]
check(set(missing) == {"x", "?", "nvt"}, set(missing))
check(int(elek.iloc[:, 2].isna().sum()) == len(missing), "missing codes become NaN")
for got, v in zip(elek.iloc[:, 2], ovals):
    want = float_or_none(v["ValueString"])
    check((want is None and math.isnan(got)) or got == want, (got, v))
check(sic._str2flt("12.5") == 12.5 and sic._str2flt("x") is None, "_str2flt")

section("viewerservices")
sic.odata_url = BASE + "/viewerservices/odata/"
check(sic.geolevels() == levels, "the same service under /viewerservices/odata/")
check(sic.periods("year", "v1101_t", "wijk") == v_years, "periods under viewerservices")

print(f"{checks} checks")
print("ALL CHECKS PASSED")
