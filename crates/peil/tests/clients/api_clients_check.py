#!/usr/bin/env python3
"""Runs real Python clients of open statistical data against a Peil server serving the demo
city, and checks that they accept everything the native API (/api/v1/) answers:

- pyjstat reads every kind of JSON-stat answer (one indicator, several indicators, several
  periods, a cube broken down by dimension levels, a custom selection of areas, English
  labels, `Accept: application/json-stat+json`), and every cell it reads equals the same
  query's native JSON answer;
- jsonstat-validator validates each of those JSON-stat documents (and an empty answer);
- csvw finds the CSV on the Web metadata of CSV downloads through their
  `Link: rel="describedby"` header and validates the CSV against it, and reads CSVs from
  their metadata documents (`-metadata.json` paths);
- schemathesis tests every operation of /api/v1/openapi.json (bounded: a fixed number of
  examples per operation, fixed seed) with every check: no 5xx, every status code, content
  type, header and body as the document says;
- jsonschema validates the pages' `.json` twins (the operations tagged `pages` in the same
  document, which schemathesis leaves out) against their documented schemas, for every
  twin in several views and languages.

Usage: python3 api_clients_check.py http://127.0.0.1:PORT

Prints one line per check, then ALL CHECKS PASSED; exits non-zero with the reasons when a
check fails, or when a package is missing (CI installs them: see .ci/run). A check listed in
KNOWN_BUGS (an API bug that has been reported) prints `BUG` while it fails, and fails the run
once it passes, so that its mark is removed. PEIL_SCHEMATHESIS_EXAMPLES and
PEIL_SCHEMATHESIS_SEED change the schemathesis run (default 50 examples, a fixed seed).
"""

import csv
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from urllib.parse import urljoin

try:
    import requests  # a dependency of pyjstat
    from pyjstat import pyjstat
    from jsonstat_validator import validate_jsonstat
    import csvw
    import schemathesis  # noqa: F401  (run through its CLI below; imported to fail early)
    import jsonschema  # a dependency of schemathesis
except ImportError as e:  # a missing package fails the test, it never skips it
    sys.exit(
        f"FAIL: a Python package is missing ({e}). Install them with the line in .ci/run:\n"
        '  python3 -m pip install "pyjstat~=2.4.0" "jsonstat-validator~=0.4.6" "csvw~=4.1.1" "schemathesis~=4.32.5"'
    )

if len(sys.argv) != 2:
    sys.exit("usage: api_clients_check.py BASE_URL")

BASE = sys.argv[1].rstrip("/")
API = BASE + "/api/v1"
# Fuzzed test cases per API operation (schemathesis --max-examples), and its seed.
ST_EXAMPLES = int(os.environ.get("PEIL_SCHEMATHESIS_EXAMPLES", "50"))
ST_SEED = os.environ.get("PEIL_SCHEMATHESIS_SEED", "20240101")

failures = []


class CheckFailed(Exception):
    pass


def ensure(cond, what):
    if not cond:
        raise CheckFailed(what)


def run_check(name, fn):
    """Runs one check; prints `ok name: summary` or `FAIL name: reason`."""
    t = time.monotonic()
    try:
        summary = fn()
    except Exception as e:  # noqa: BLE001  (every failure is reported, then the next check runs)
        reason = str(e) if isinstance(e, CheckFailed) else "".join(
            traceback.format_exception_only(type(e), e)
        ).strip()
        if not isinstance(e, CheckFailed):
            reason += "\n" + "".join(traceback.format_tb(e.__traceback__)[-3:])
        if name in KNOWN_BUGS:
            print(f"BUG  {name} (known API bug, see KNOWN_BUGS): {reason}", flush=True)
            return
        failures.append((name, reason))
        print(f"FAIL {name}: {reason}", flush=True)
        return
    if name in KNOWN_BUGS:
        reason = "passes now: the known API bug is fixed; remove this check from KNOWN_BUGS"
        failures.append((name, reason))
        print(f"FAIL {name}: {reason}", flush=True)
        return
    print(f"ok   {name}: {summary} ({time.monotonic() - t:.2f}s)", flush=True)


def get(url, **kw):
    r = requests.get(url, timeout=30, **kw)
    ensure(r.status_code == 200, f"GET {url} answered {r.status_code}: {r.text[:500]}")
    return r


def same_number(a, b):
    """Both missing, or the same number (JSON-stat and JSON write the same double)."""
    a_missing = a is None or (isinstance(a, float) and math.isnan(a))
    b_missing = b is None or (isinstance(b, float) and math.isnan(b))
    if a_missing or b_missing:
        return a_missing and b_missing
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


# --- JSON-stat: pyjstat and jsonstat-validator -------------------------------------------------

# (name, query): every kind of JSON-stat answer the data endpoint gives.
JSONSTAT_QUERIES = [
    ("one indicator", "indicator=v1101_t&level=wijk&period=2024"),
    (
        "several indicators",
        # Different latest periods (a union with empty cells) and hidden (x) values.
        "indicator=v1101_t,vp_65p,v_inkomen_gem&level=wijk&period=mrp",
    ),
    ("several periods", "indicator=vs_tevreden_buurt,v1101_t&level=wijk&period=2015:2024"),
    ("year and quarter periods", "indicator=v_bouwverg_won&level=gemeente"),
    (
        "cube by two dimension levels",
        "indicator=kubus_bevolking&level=district&period=2023,2024&dims=leeftijd3,geslacht",
    ),
    ("cube with every cell", "indicator=kubus_bevolking&level=district&period=2024&dims=all"),
    (
        "cube next to a flat indicator",
        "indicator=kubus_bevolking,v1101_t&level=wijk&items=4699901,4699902&period=mrp&dims=geslacht",
    ),
    (
        "custom selection with areas",
        "indicator=v1101_t,v_hh_grootte&level=wijk&items=4699903"
        "&selection=4699901,4699902&selection_name=Centrum%20noord&period=2023:2024",
    ),
    (
        "custom selection alone",
        "indicator=v1101_t,vs_tevreden_buurt,v_inkomen_gem&level=wijk"
        "&selection=4699906,4699907,4699908&selection_name=Zuid",
    ),
    (
        # The selection has the cube's total only.
        "custom selection of a cube",
        "indicator=kubus_bevolking&level=wijk&items=4699901&selection=4699906,4699907&period=2024&dims=all",
    ),
    ("English labels", "indicator=v1101_t,vp_65p&level=district&period=mrp&lang=en"),
    # Survey intervals and verdicts ride in extension.peil.survey; hidden (x) cells have none.
    ("survey indicators with intervals", "indicator=vs_tevreden_buurt,vs_onveilig,v1101_t&level=wijk&period=mrp"),
]


def native_cells(query):
    """The same query as native JSON: {(indicator, area, period, dims): (value, status, flag)}."""
    j = get(f"{API}/data?{query}&format=json").json()
    return j, {
        (r["indicator"], r["item"], r["period"], tuple(sorted(r["dims"].items()))): (
            r["value"],
            r["status"],
            r["flag"],
        )
        for r in j["data"]
    }


def check_jsonstat(query):
    url = f"{API}/data?{query}&format=jsonstat"
    doc = get(url).json()
    # jsonstat-validator: the JSON-stat 2.0 specification.
    validate_jsonstat(doc)
    # What the validator leaves to readers: the value array fills the cube.
    cells = math.prod(doc["size"])
    ensure(len(doc["value"]) == cells, f"{len(doc['value'])} values for size {doc['size']}")
    ensure(doc["id"][:3] == ["indicator", "area", "period"], f"id {doc['id']}")
    ensure(
        doc["role"] == {"metric": ["indicator"], "geo": ["area"], "time": ["period"]},
        f"role {doc['role']}",
    )

    # pyjstat reads it from the URL, as its users do.
    ds = pyjstat.Dataset.read(url)
    df = ds.write("dataframe", naming="id")
    ensure(len(df) == cells, f"pyjstat read {len(df)} rows of {cells} cells")
    ensure(list(df.columns) == doc["id"] + ["value"], f"pyjstat columns {list(df.columns)}")
    labelled = ds.write("dataframe")  # naming="label"
    dim_labels = [doc["dimension"][d].get("label", d) for d in doc["id"]]
    ensure(
        list(labelled.columns) == dim_labels + ["value"],
        f"pyjstat label columns {list(labelled.columns)}, expected {dim_labels}",
    )

    # Every cell equals the native JSON answer to the same query.
    j, native = native_cells(query)
    dim_levels = doc["id"][3:]
    ensure(dim_levels == j["dim_levels"], f"cube dimensions {dim_levels}, JSON dim_levels {j['dim_levels']}")
    seen = 0
    for (row_id, row_label) in zip(df.itertuples(index=False), labelled.itertuples(index=False)):
        ind, area, period, *members = row_id[: len(doc["id"])]
        dims = tuple(sorted((l, m) for l, m in zip(dim_levels, members) if m != "_T"))
        value = row_id[-1]
        want = native.get((ind, area, period, dims))
        if want is not None:
            seen += 1
        ensure(
            same_number(value, want[0] if want else None),
            f"cell {ind} {area} {period} {dict(dims)}: pyjstat read {value}, "
            f"JSON has {want[0] if want else 'no cell'}",
        )
        # The labelled frame lists the same cells in the same order.
        for d, cat, lab in zip(doc["id"], row_id, row_label):
            want_label = doc["dimension"][d]["category"].get("label", {}).get(cat, cat)
            ensure(lab == want_label, f"dimension {d} category {cat}: label {lab!r}, expected {want_label!r}")
        ensure(same_number(row_label[-1], value), "the labelled frame has other values")
    ensure(seen == len(native), f"pyjstat found {seen} of the {len(native)} cells of the JSON answer")

    # Status per cell, found with pyjstat's own index arithmetic.
    status = doc.get("status", {})
    marked = 0
    for (ind, area, period, dims), (value, st, flag) in native.items():
        members = dict(dims)
        query_dims = [{"indicator": ind}, {"area": area}, {"period": period}]
        query_dims += [{l: members.get(l, "_T")} for l in dim_levels]
        idx = ds.get_value_index(ds.get_dimension_indices(query_dims))
        ensure(same_number(ds.get_value_by_index(idx), value), f"get_value {query_dims}")
        want = st or {"provisional": "p", "forecast": "f"}.get(flag)
        ensure(status.get(str(idx)) == want, f"status of {query_dims}: {status.get(str(idx))!r}, JSON says {want!r}")
        marked += want is not None
    ensure(marked == len(status), f"{len(status)} status entries, {marked} cells with a status")
    return ds, doc, len(native), marked


def jsonstat_check(name, query):
    def run():
        _, doc, n, marked = check_jsonstat(query)
        return (
            f"valid JSON-stat 2.0, size {doc['size']}, pyjstat read {math.prod(doc['size'])} cells "
            f"equal to the JSON answer's {n} ({marked} with a status)"
        )

    return run


def jsonstat_by_accept():
    query = "indicator=v1101_t,vp_65p&level=wijk&period=mrp"
    r = get(f"{API}/data?{query}", headers={"Accept": "application/json-stat+json"})
    doc = r.json()
    validate_jsonstat(doc)
    by_format = get(f"{API}/data?{query}&format=jsonstat").json()
    for k in ["id", "size", "value", "status", "dimension"]:
        ensure(doc.get(k) == by_format.get(k), f"'{k}' differs between Accept and format=jsonstat")
    df = pyjstat.Dataset.read(r.text).write("dataframe")
    ensure(len(df) == math.prod(doc["size"]), "pyjstat rows")
    return f"Accept: application/json-stat+json answers the same dataset ({len(df)} cells)"


def jsonstat_empty():
    # Nothing matches (the demo has no monthly figures): a cube with an empty period dimension.
    doc = get(f"{API}/data?indicator=v_werkzoek&level=gemeente&periodlevel=month&format=jsonstat").json()
    validate_jsonstat(doc)
    ensure(0 in doc["size"] and doc["value"] == [], f"size {doc['size']}, value {doc['value']}")
    # pyjstat 2.4 cannot read a dataset without values (it looks at value[0]); that is the
    # client's limit, not the answer's, so only the validator sees this one.
    return f"valid JSON-stat 2.0, size {doc['size']}"


# --- CSV on the Web: csvw -------------------------------------------------------------------

CSV_URLS = [
    ("data", "/data?indicator=v1101_t,vs_tevreden_buurt&level=wijk&period=2015:2024&format=csv"),
    ("data cube", "/data?indicator=kubus_bevolking,v1101_t&level=district&period=2024&dims=all&format=csv"),
    (
        "data with a selection",
        "/data?indicator=v1101_t&level=wijk&items=4699903&selection=4699901,4699902"
        "&selection_name=Noord%20%26%20zo&format=csv",
    ),
    ("indicators", "/indicators?format=csv"),
    ("a page of indicators", "/indicators?q=inwoners&page=2&per_page=10&format=csv"),
    ("geo levels", "/geolevels?format=csv"),
    ("areas", "/geolevels/wijk/items?format=csv"),
    ("periods", "/periods?format=csv&lang=en"),
    ("themes", "/themes?format=csv"),
    ("area profile", "/areas/wijk/4699901/profile?format=csv"),
    # Survey indicators add interval and significance columns.
    ("data with survey intervals", "/data?indicator=vs_tevreden_buurt,v1101_t&level=wijk&period=mrp&format=csv"),
    ("area profile with survey intervals", "/areas/wijk/4699903/profile?format=csv"),
]


def csvw_check(name, path):
    def run():
        url = path if path.startswith("http") else API + path
        r = get(url)
        ctype = r.headers.get("Content-Type", "")
        ensure(ctype.startswith("text/csv"), f"Content-Type {ctype}")
        link = r.links.get("describedby")
        ensure(link is not None, f"no Link rel=describedby header: {r.headers.get('Link')!r}")
        ensure(link.get("type") == "application/csvm+json", f"describedby type {link.get('type')!r}")
        # csvw: reads the CSV, locates the metadata through the Link header (§5.2 of the CSVW
        # syntax) and validates every cell against the table schema.
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            c = csvw.CSVW(url, validate=True)
            valid = c.is_valid and not c.no_metadata
        problems = "; ".join(str(w.message) for w in c.warnings) or "no metadata found"
        ensure(valid, f"csvw on {url}: {problems}")
        # The metadata csvw used is the one the Link header names, and it describes this URL.
        md_url = urljoin(url, link["url"])
        md = get(md_url).json()
        ensure(urljoin(md_url, md["url"]) == url, f"the metadata at {md_url} describes {md['url']}, not {url}")
        (table,) = c.tables
        ensure(str(table.url.resolve(table.base)) == url, f"csvw read {table.url.resolve(table.base)}")
        ensure(table.common_props.get("dc:title") == md.get("dc:title"), "csvw used other metadata")
        columns = [col.name for col in table.tableSchema.columns]
        ensure(columns == [col["name"] for col in md["tableSchema"]["columns"]], "columns differ from the metadata")
        # Compatibility (CSVW tabular metadata §5.5.1), which csvw leaves to its users: the
        # header row holds the columns' titles, and every row has a cell per column.
        header, *records = list(csv.reader(io.StringIO(r.content.decode("utf-8"))))
        titles = [col.titles.getfirst() if col.titles else None for col in table.tableSchema.columns]
        ensure(header == titles, f"CSV header {header}, metadata titles {titles}")
        short = [n for n, rec in enumerate(records, 2) if len(rec) != len(header)]
        ensure(not short, f"CSV lines {short[:5]} do not have {len(header)} cells")
        rows = list(table.iterdicts())
        ensure(len(rows) == len(records), f"csvw read {len(rows)} rows, the CSV has {len(records)}")
        ensure(rows, "the CSV is empty")
        numbers = [col.name for col in table.tableSchema.columns if str(col.datatype.base) in ("number", "integer")]
        typed = sum(1 for row in rows for n in numbers if row[n] is not None)
        ensure(typed or not numbers, "no number was read as a number")
        return f"valid against its metadata found through Link ({len(rows)} rows, {len(columns)} columns, {typed} numbers)"

    return run


# (name, path): metadata first, as CSVW processors are also used: `-metadata.json` paths and
# the default location `{+url}-metadata.json` of a CSV whose URL ends in `format=csv`.
CSVW_METADATA_URLS = [
    ("data", "/data-metadata.json?indicator=v1101_t,vp_65p&level=wijk&period=mrp"),
    ("data at the default location", "/data?indicator=v1101_t&level=district&format=csv-metadata.json"),
    ("areas", "/geolevels/district/items-metadata.json"),
    ("area profile", "/areas/district/46999D1/profile-metadata.json"),
]


def csvw_metadata_check(name, path):
    def run():
        md_url = API + path
        get(md_url)
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            c = csvw.CSVW(md_url, validate=True)
            valid = c.is_valid
        ensure(valid, "csvw: " + "; ".join(str(w.message) for w in c.warnings))
        (table,) = c.tables
        csv_url = str(table.url.resolve(table.base))
        r = get(csv_url)
        ensure(r.headers.get("Content-Type", "").startswith("text/csv"), f"{csv_url} is not CSV")
        rows = sum(1 for _ in table.iterdicts())
        ensure(rows == r.content.decode("utf-8").count("\r\n") - 1, "rows")
        return f"valid, describes {csv_url[len(API):]} ({rows} rows)"

    return run


# The query as Python clients write it: `requests.get(url, params=...)` and urllib's
# `urlencode` write `,` as %2C and a space as `+`.
REQUESTS_ENCODED_CSV = requests.Request(
    "GET",
    API + "/data",
    params={
        "indicator": "v1101_t,v_hh_grootte",
        "level": "wijk",
        "selection": "4699906,4699907",
        "selection_name": "Zuid west",
        "format": "csv",
    },
).prepare().url

# Was a known API bug (the CSVW metadata named the CSV by the server's own spelling of the
# query instead of the URL the client asked for); fixed: links keep the client's spelling.
KNOWN_BUGS: set = set()


# --- OpenAPI: schemathesis ------------------------------------------------------------------

SCHEMATHESIS_CONFIG = """\
# Written by api_clients_check.py: every warning (e.g. an operation that only ever answers
# 4xx, so that its successful answers go untested) fails the run.
[warnings]
fail-on = true
"""


def schemathesis_check():
    with tempfile.TemporaryDirectory(prefix="peil-schemathesis-") as tmp:
        config = os.path.join(tmp, "schemathesis.toml")
        with open(config, "w") as f:
            f.write(SCHEMATHESIS_CONFIG)
        cmd = [
            sys.executable, "-m", "schemathesis.cli",
            "--config-file", config,
            "--no-color",
            "run", f"{API}/openapi.json",
            "--checks", "all",
            "--max-examples", str(ST_EXAMPLES),
            "--seed", ST_SEED,
            "--workers", "2",
            "--request-timeout", "20",
            "--generation-database", "none",
            # The pages' twins answer HTML for pages that do not exist: checked below.
            "--exclude-tag", "pages",
        ]
        try:
            p = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=240)
        except subprocess.TimeoutExpired as e:
            raise CheckFailed(f"schemathesis did not finish in {e.timeout}s") from None
    out = p.stdout + p.stderr
    cases = re.search(r"Test cases:\s*\n\s*(.+)", out)
    ops = re.search(r"Tested:\s*(\d+)", out)
    summary = f"{ops.group(1) if ops else '?'} operations, {cases.group(1).strip() if cases else '?'}"
    if p.returncode != 0:
        raise CheckFailed(f"schemathesis exited {p.returncode} ({summary}):\n{out[-12000:]}")
    ensure(ops and int(ops.group(1)) >= 15, f"too few operations tested:\n{out[-3000:]}")
    ensure("No issues found" in out, f"no verdict in the output:\n{out[-3000:]}")
    return f"--checks all, {ST_EXAMPLES} examples per operation, seed {ST_SEED}: {summary}, no issues"


# --- the pages' .json twins: jsonschema -------------------------------------------------------

# Every twin the OpenAPI document describes (tag `pages`), in views that reach every kind of
# field: survey indicators (intervals, verdicts, benchmarks), hidden values, reference areas,
# empty results, another language.
TWIN_URLS = [
    ("/index.json", "/index.json"),
    ("/themes.json", "/themes.json"),
    ("/themes/{theme}.json", "/themes/bevolking.json"),
    ("/search.json", "/search.json?q=inwoners"),
    ("/search.json", "/search.json?q=wijk"),
    ("/search.json", "/search.json?q=zzzzqqq"),
    ("/compare.json", "/compare.json"),
    ("/compare.json", "/compare.json?level=wijk&areas=4699901,4699902&indicators=vs_onveilig,v1101_t,vp_65p"),
    ("/explorer.json", "/explorer.json"),
    ("/explorer.json", "/explorer.json?level=wijk&indicators=vs_onveilig,v1101_t&periods=2024,2025"),
    ("/area/{level}/{item}.json", "/area/wijk/4699901.json"),
    ("/area/{level}/{item}.json", "/area/statsec/46999A01-.json"),
    ("/area/{level}/{item}.json", "/area/gemeente/46999.json"),
    ("/indicator/{code}.json", "/indicator/v1101_t.json"),
    ("/indicator/{code}.json", "/indicator/vs_onveilig.json"),
    ("/indicator/{code}.json", "/indicator/vs_onveilig.json?level=district"),
    ("/indicator/{code}.json", "/indicator/vp_65p.json?level=wijk&select=4699901,4699902&class=quantiles"),
    ("/stories.json", "/stories.json"),
    ("/stories/{story}.json", "/stories/wijkprofiel.json"),
    ("/dashboards/{dashboard}.json", "/dashboards/bevolking.json"),
    ("/area/{level}/{item}.json", "/en/area/wijk/4699902.json"),
    ("/compare.json", "/en/compare.json"),
    ("/indicator/{code}.json", "/fr/indicator/vs_onveilig.json"),
]


def twins_check():
    doc = get(API + "/openapi.json").json()
    documented = {
        path: op["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        for path, op in doc["paths"].items()
        if "pages" in op["get"].get("tags", [])
    }
    tried = {path for path, _ in TWIN_URLS}
    ensure(tried == set(documented), f"twins documented {sorted(documented)} but tried {sorted(tried)}")
    checked = 0
    for path, url in TWIN_URLS:
        r = get(BASE + url)
        ensure(r.headers["content-type"].startswith("application/json"), f"{url}: {r.headers['content-type']}")
        # The document's own components resolve the schema's $refs.
        schema = dict(documented[path], components=doc["components"])
        validator = jsonschema.Draft202012Validator(schema)
        errors = sorted(validator.iter_errors(r.json()), key=lambda e: list(e.path))
        ensure(not errors, f"{url} does not match {documented[path]}: " + "; ".join(
            f"at {'/'.join(map(str, e.path))}: {e.message[:300]}" for e in errors[:5]))
        checked += 1
    return f"{checked} answers of {len(documented)} twins match their schemas"


def main():
    t = time.monotonic()
    try:
        index = requests.get(API + "/", timeout=10)
    except requests.RequestException as e:
        sys.exit(f"FAIL: no Peil API at {API}/ ({e})")
    if index.status_code != 200:
        sys.exit(f"FAIL: {API}/ answered {index.status_code}")

    for name, query in JSONSTAT_QUERIES:
        run_check(f"pyjstat+jsonstat-validator {name}", jsonstat_check(name, query))
    run_check("pyjstat+jsonstat-validator Accept header", jsonstat_by_accept)
    run_check("jsonstat-validator empty answer", jsonstat_empty)
    for name, path in CSV_URLS:
        run_check(f"csvw {name}", csvw_check(name, path))
    run_check(
        "csvw data asked with requests' params= encoding",
        csvw_check("requests", REQUESTS_ENCODED_CSV),
    )
    for name, path in CSVW_METADATA_URLS:
        run_check(f"csvw metadata of {name}", csvw_metadata_check(name, path))
    run_check("jsonschema pages' .json twins", twins_check)
    run_check("schemathesis openapi.json", schemathesis_check)

    took = time.monotonic() - t
    if failures:
        print(f"\n{len(failures)} CHECK(S) FAILED in {took:.0f}s:", flush=True)
        for name, reason in failures:
            print(f"- {name}: {reason.splitlines()[0] if reason else ''}")
        sys.exit(1)
    print(f"ALL CHECKS PASSED in {took:.0f}s")


if __name__ == "__main__":
    main()
