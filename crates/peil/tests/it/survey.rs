//! Issue 20, item 1: survey intervals and significance verdicts in every output — the API
//! (JSON, CSV, JSON-stat, GeoJSON, the area profile), OData, the selection table, the
//! indicator, area, compare and embed pages, and stories — checked against an independent
//! computation: a printed table of normal quantiles here, and scipy's `norm.ppf` in
//! `api_matches_scipy`.
//!
//! The small site below is written by the test (files imported with `peil import`), so every
//! input is known here: wijken W1–W6 in districts D1 (W1–W3) and D2 (W4–W6) of one city C.
//! W2 has p = 0, W3 p = 100 from one respondent, W5's percentage is hidden at the source (`x`),
//! W6 has no population (no finite population correction).
//!
//! The survey means `sm` and `sr` (a score with its standard deviation `ssd`/`ssr`: interval
//! mean ± z·sd/√n·sqrt(1 − n/N)) have W3's standard deviation and W5's mean hidden; their
//! districts and city are loaded (a standard deviation does not add up over areas).

use crate::common::*;
use serde_json::Value as Json;
use std::collections::HashMap;

pub const STAFF: &str = "personeel";

/// (wijk, district, sa, sb, n, population); `None` = no value.
type Wijk = (
    &'static str,
    &'static str,
    Option<f64>,
    f64,
    f64,
    Option<f64>,
);
const WIJKEN: [Wijk; 6] = [
    ("W1", "D1", Some(40.0), 35.0, 400.0, Some(1600.0)),
    ("W2", "D1", Some(0.0), 12.5, 80.0, Some(900.0)),
    ("W3", "D1", Some(100.0), 0.0, 1.0, Some(300.0)),
    ("W4", "D2", Some(55.0), 70.0, 120.0, Some(2000.0)),
    ("W5", "D2", None, 48.0, 50.0, Some(700.0)),
    ("W6", "D2", Some(62.0), 100.0, 200.0, None),
];

/// (area, mean, standard deviation) of the survey means; `None` = hidden (`x`).
const MEANS: [(&str, &str, Option<f64>, Option<f64>); 9] = [
    ("wijk", "W1", Some(7.2), Some(1.4)),
    ("wijk", "W2", Some(6.1), Some(2.0)),
    ("wijk", "W3", Some(8.0), None),
    ("wijk", "W4", Some(6.9), Some(1.1)),
    ("wijk", "W5", None, Some(1.5)),
    ("wijk", "W6", Some(7.5), Some(1.2)),
    ("district", "D1", Some(6.8), Some(1.6)),
    ("district", "D2", Some(7.1), Some(1.3)),
    ("stad", "C", Some(7.0), Some(1.5)),
];

/// The survey site: `sa` (95 %, benchmark: the city, whose values are loaded), `sb` (90 %,
/// benchmark: the wijk's district), `sc` (restricted, 99 %, benchmark: district D1), `sd`
/// (public, but its sample size `nd` is restricted), all with population `pop`; the means
/// `sm` (standard deviation `ssd`, 95 %, benchmark: the city) and `sr` (the same figures, but
/// its standard deviation `ssr` is restricted).
pub fn survey_site() -> Site {
    let site = Site::new();
    let dir = site.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let num = |x: Option<f64>, missing: &str| x.map_or(missing.to_string(), |v| v.to_string());
    let mut data = String::from("period;geolevel;geoitem;sa;sb;sc;sd;n;nd;pop;sm;ssd;sr;ssr\n");
    let mean = |l: &str, it: &str| {
        let (.., m, sd) = MEANS.iter().find(|m| (m.0, m.1) == (l, it)).unwrap();
        format!(
            "{};{};{};{}",
            num(*m, "x"),
            num(*sd, "x"),
            num(*m, "x"),
            num(*sd, "x")
        )
    };
    for (w, _, sa, sb, n, pop) in WIJKEN {
        let sc = sa.unwrap_or(30.0);
        data.push_str(&format!(
            "2022;wijk;{w};{};{sb};{sc};{sb};{n};{n};{};{}\n",
            num(sa, "x"),
            num(pop, ""),
            mean("wijk", w)
        ));
    }
    // The city's own survey figures are loaded (its sample is not the sum of the wijken's).
    data.push_str(&format!(
        "2022;stad;C;45;;;;5000;;200000;{}\n",
        mean("stad", "C")
    ));
    for d in ["D1", "D2"] {
        data.push_str(&format!(
            "2022;district;{d};;;;;;;;{}\n",
            mean("district", d)
        ));
    }
    let mut wijk_district = String::from("wijk;district\n");
    for (w, d, ..) in WIJKEN {
        wijk_district.push_str(&format!("{w};{d}\n"));
    }
    let files: Vec<(&str, String)> = vec![
        (
            "wijk.csv",
            WIJKEN.iter().fold("code;name\n".to_string(), |a, w| {
                a + &format!("{};Wijk {}\n", w.0, w.0)
            }),
        ),
        ("district.csv", "code;name\nD1;Noord\nD2;Zuid\n".into()),
        ("stad.csv", "code;name\nC;Stad\n".into()),
        ("wijk_district.csv", wijk_district),
        ("district_stad.csv", "district;stad\nD1;C\nD2;C\n".into()),
        (
            "meta.csv",
            format!(
                "code;name;unit;data type;period type;aggregation indicator;sample indicator;population indicator;confidence level;benchmark;visibility;stddev indicator\n\
                 pop;Populatie;;numeric;stock;;;;;;public;\n\
                 n;Respondenten;;numeric;stock;;;;;;public;\n\
                 nd;Respondenten D;;numeric;stock;;;;;;{STAFF};\n\
                 sa;Tevreden over de buurt;%;percentage;stock;pop;n;pop;;;public;\n\
                 sb;Voelt zich veilig;%;percentage;stock;pop;n;pop;90%;district;public;\n\
                 sc;Gevoelige vraag;%;percentage;stock;pop;n;pop;99;district:D1;{STAFF};\n\
                 sd;Vraag met besloten steekproef;%;percentage;stock;pop;nd;pop;;;public;\n\
                 ssd;Spreiding rapportcijfer;;numeric;stock;;;;;;public;\n\
                 ssr;Spreiding R;;numeric;stock;;;;;;{STAFF};\n\
                 sm;Rapportcijfer voor de buurt;;mean;stock;pop;n;pop;;;public;ssd\n\
                 sr;Rapportcijfer met besloten spreiding;;mean;stock;pop;n;pop;;;public;ssr\n"
            ),
        ),
        ("data.csv", data),
    ];
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        site.import(&p, &[]);
    }
    site.ok(&["publish"]);
    site
}

/// Two-sided normal quantiles as printed in any statistics table (four decimals): the test's
/// own, independent of the engine's constants.
fn z(confidence: u64) -> f64 {
    match confidence {
        90 => 1.6449,
        95 => 1.9600,
        99 => 2.5758,
        c => panic!("no confidence level {c}"),
    }
}

/// An area's figure as the test computes it: (estimate, standard error, a percentage?).
type Est = (f64, f64, bool);

/// The standard error of a percentage p from n respondents out of N (`sqrt(p·(100−p)/n)`), or
/// of a mean with standard deviation sd (`sd/√n`), both with the finite population correction
/// `sqrt(1 − n/N)` when N is known.
fn se(p: f64, n: f64, big_n: Option<f64>) -> f64 {
    let fpc = big_n.map_or(1.0, |big| 1.0 - n / big);
    (p * (100.0 - p) / n).sqrt() * fpc.sqrt()
}

fn mean_se(sd: f64, n: f64, big_n: Option<f64>) -> f64 {
    let fpc = big_n.map_or(1.0, |big| 1.0 - n / big);
    sd / n.sqrt() * fpc.sqrt()
}

/// The expected (lower, upper, margin): a percentage's interval clipped to 0–100.
fn expected(x: Est, c: u64) -> (f64, f64, f64) {
    let m = z(c) * x.1;
    if x.2 {
        ((x.0 - m).max(0.0), (x.0 + m).min(100.0), m)
    } else {
        (x.0 - m, x.0 + m, m)
    }
}

fn expected_verdict(a: Est, b: Est, c: u64) -> &'static str {
    let limit = z(c) * (a.1.powi(2) + b.1.powi(2)).sqrt();
    let d = a.0 - b.0;
    if d > limit {
        "higher"
    } else if d < -limit {
        "lower"
    } else {
        "not-significant"
    }
}

pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-4 * b.abs().max(1.0)
}

/// The published values of one indicator: (level, item) → value (numbers only).
fn values(s: &Server, ind: &str, key: Option<&str>) -> HashMap<(String, String), f64> {
    let mut out = HashMap::new();
    for level in ["wijk", "district", "stad"] {
        let r = get(
            s,
            &format!("/api/v1/data?indicator={ind}&level={level}"),
            key,
        );
        for row in r.json()["data"].as_array().unwrap() {
            if let Some(v) = row["value"].as_f64() {
                out.insert(
                    (level.to_string(), row["item"].as_str().unwrap().to_string()),
                    v,
                );
            }
        }
    }
    out
}

fn get(s: &Server, path: &str, key: Option<&str>) -> Reply {
    let r = match key {
        Some(k) => s.get_with(path, &[("apikey", k)]),
        None => s.get(path),
    };
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r
}

/// What every output must show: (indicator, level, item) → (lower, upper, margin, verdict,
/// benchmark "level:item"), computed here from the published p, n and N alone.
type Cell = Option<((f64, f64, f64), Option<&'static str>, Option<String>)>;
type Expected = HashMap<(String, String, String), Cell>;

fn expectations(s: &Server, key: Option<&str>) -> Expected {
    let pop = values(s, "pop", key);
    let mut out = Expected::new();
    let parent: HashMap<&str, &str> = WIJKEN.iter().map(|w| (w.0, w.1)).collect();
    // (indicator, sample, standard deviation of a mean, confidence).
    type Ind = (&'static str, &'static str, Option<&'static str>, u64);
    let inds: &[Ind] = if key.is_some() {
        &[
            ("sa", "n", None, 95),
            ("sb", "n", None, 90),
            ("sc", "n", None, 99),
            ("sd", "nd", None, 95),
            ("sm", "n", Some("ssd"), 95),
            ("sr", "n", Some("ssr"), 95),
        ]
    } else {
        &[
            ("sa", "n", None, 95),
            ("sb", "n", None, 90),
            ("sm", "n", Some("ssd"), 95),
        ]
    };
    for &(ind, n_ind, sd_ind, c) in inds {
        let p = values(s, ind, key);
        let n = values(s, n_ind, key);
        let sd = sd_ind.map(|i| values(s, i, key));
        let input = |at: &(String, String)| -> Option<Est> {
            let (x, n, big) = (*p.get(at)?, *n.get(at)?, pop.get(at).copied());
            Some(match &sd {
                Some(sd) => (x, mean_se(*sd.get(at)?, n, big), false),
                None => (x, se(x, n, big), true),
            })
        };
        for level in ["wijk", "district", "stad"] {
            let items: Vec<&str> = match level {
                "wijk" => WIJKEN.iter().map(|w| w.0).collect(),
                "district" => vec!["D1", "D2"],
                _ => vec!["C"],
            };
            for it in items {
                let at = (level.to_string(), it.to_string());
                let bench: Option<(String, String)> = match (ind, level) {
                    ("sb", "wijk") => Some(("district".into(), parent[it].into())),
                    ("sb", _) => None,
                    ("sc", _) if (level, it) == ("district", "D1") => None,
                    ("sc", _) => Some(("district".into(), "D1".into())),
                    (_, "stad") => None,
                    _ => Some(("stad".into(), "C".into())),
                };
                let e = input(&at).map(|x| {
                    let verdict = bench
                        .as_ref()
                        .and_then(input)
                        .map(|b| expected_verdict(x, b, c));
                    (
                        expected(x, c),
                        verdict,
                        bench.as_ref().map(|(l, i)| format!("{l}:{i}")),
                    )
                });
                out.insert((ind.to_string(), level.to_string(), it.to_string()), e);
            }
        }
    }
    out
}

/// A benchmark object `{"level", "item"}` as `level:item`.
fn bench_of(b: &Json) -> Option<String> {
    b.as_object().map(|b| {
        format!(
            "{}:{}",
            b["level"].as_str().unwrap(),
            b["item"].as_str().unwrap()
        )
    })
}

/// Checks one answer's fields against the expectation.
fn check(
    what: &str,
    e: &Cell,
    lower: Option<f64>,
    upper: Option<f64>,
    margin: Option<f64>,
    verdict: Option<&str>,
    benchmark: Option<String>,
) {
    match e {
        None => assert_eq!(
            (lower, upper, margin, verdict),
            (None, None, None, None),
            "{what}: a missing or hidden value has no interval and no verdict"
        ),
        Some(((lo, hi, m), v, b)) => {
            let (l, u) = (lower.expect(what), upper.expect(what));
            assert!(
                close(l, *lo) && close(u, *hi),
                "{what}: [{l}, {u}], expected [{lo}, {hi}]"
            );
            if let Some(x) = margin {
                assert!(close(x, *m), "{what}: margin {x}, expected {m}");
            }
            assert_eq!(verdict, *v, "{what}: verdict");
            assert_eq!(benchmark.as_ref(), b.as_ref(), "{what}: benchmark");
        }
    }
}

#[test]
fn api_json_csv_jsonstat_geojson_and_profile_carry_intervals() {
    let s = Server::start(survey_site());
    let exp = expectations(&s, None);
    // The cases the issue names are in the data: p = 0, p = 100 with n = 1, a hidden value.
    assert_eq!(
        exp[&("sa".into(), "wijk".into(), "W2".into())]
            .as_ref()
            .unwrap()
            .0,
        (0.0, 0.0, 0.0)
    );
    assert_eq!(
        exp[&("sa".into(), "wijk".into(), "W3".into())]
            .as_ref()
            .unwrap()
            .0,
        (100.0, 100.0, 0.0)
    );
    assert!(exp[&("sa".into(), "wijk".into(), "W5".into())].is_none());
    // The mean: a hidden standard deviation (W3) or mean (W5) gives no interval; the rest have.
    let m = |it: &str| exp[&("sm".into(), "wijk".into(), it.to_string())].clone();
    assert!(m("W3").is_none() && m("W5").is_none());
    assert!(m("W6").is_some());
    let verdict = |it: &str| m(it).unwrap().1;
    assert_eq!(
        [verdict("W1"), verdict("W2"), verdict("W4")],
        [Some("higher"), Some("lower"), Some("not-significant")]
    );
    assert!(exp[&("sm".into(), "district".into(), "D1".into())].is_some());
    let mut seen = 0;
    for level in ["wijk", "district", "stad"] {
        // JSON.
        let j = get(
            &s,
            &format!("/api/v1/data?indicator=sa,sb,sm,pop&level={level}"),
            None,
        )
        .json();
        for ind in j["indicators"].as_array().unwrap() {
            match ind["code"].as_str().unwrap() {
                "sa" | "sm" => assert_eq!(ind["survey"]["confidence"], 95),
                "sb" => assert_eq!(ind["survey"]["confidence"], 90),
                _ => assert!(ind.get("survey").is_none(), "{ind}"),
            }
        }
        for row in j["data"].as_array().unwrap() {
            let ind = row["indicator"].as_str().unwrap();
            let it = row["item"].as_str().unwrap();
            if ind == "pop" {
                assert!(
                    row.get("lower").is_none(),
                    "no survey fields on other indicators"
                );
                continue;
            }
            let e = &exp[&(ind.to_string(), level.to_string(), it.to_string())];
            let bench = bench_of(&row["benchmark"]);
            check(
                &format!("json {ind} {level} {it}"),
                e,
                row["lower"].as_f64(),
                row["upper"].as_f64(),
                row["margin"].as_f64(),
                row["significance"].as_str(),
                bench,
            );
            seen += 1;
        }
        // CSV: the same, in columns after the existing ones.
        let csv = get(
            &s,
            &format!("/api/v1/data?indicator=sa,sb,sm,pop&level={level}&format=csv"),
            None,
        )
        .body;
        let mut lines = csv.lines();
        let head: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(
            &head[..10],
            [
                "indicator",
                "indicator_name",
                "unit",
                "level",
                "item",
                "item_name",
                "period",
                "value",
                "status",
                "flag"
            ],
            "existing columns stay"
        );
        assert_eq!(
            &head[10..],
            [
                "lower",
                "upper",
                "margin",
                "confidence",
                "significance",
                "benchmark_level",
                "benchmark"
            ]
        );
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            let num = |k: usize| f[k].parse::<f64>().ok();
            let opt = |k: usize| (!f[k].is_empty()).then(|| f[k].to_string());
            if f[0] == "pop" {
                assert!(f[10..].iter().all(|x| x.is_empty()), "{line}");
                continue;
            }
            let e = &exp[&(f[0].to_string(), level.to_string(), f[4].to_string())];
            if e.is_some() {
                assert_eq!(f[13], if f[0] == "sb" { "90" } else { "95" }, "{line}");
            }
            check(
                &format!("csv {line}"),
                e,
                num(10),
                num(11),
                num(12),
                opt(14).as_deref(),
                opt(15).map(|l| format!("{l}:{}", f[16])),
            );
        }
        // JSON-stat: by cell index in extension.peil.survey, as status is.
        let js = get(
            &s,
            &format!("/api/v1/data?indicator=sa,sb,sm&level={level}&format=jsonstat"),
            None,
        )
        .json();
        let sv = &js["extension"]["peil"]["survey"];
        assert_eq!(sv["indicators"]["sb"]["confidence"], 90);
        let inds: Vec<&str> = ["sa", "sb", "sm"].into();
        let items = js["dimension"]["area"]["category"]["index"]
            .as_object()
            .unwrap();
        for (k, ind) in inds.iter().enumerate() {
            for (it, pos) in items {
                let idx = (k * items.len() + pos.as_u64().unwrap() as usize).to_string();
                let e = &exp[&(ind.to_string(), level.to_string(), it.clone())];
                check(
                    &format!("jsonstat {ind} {level} {it}"),
                    e,
                    sv["lower"][&idx].as_f64(),
                    sv["upper"][&idx].as_f64(),
                    sv["margin"][&idx].as_f64(),
                    sv["significance"][&idx].as_str(),
                    bench_of(&sv["benchmark"][&idx]),
                );
            }
        }
        // GeoJSON: per feature (no geometry on this site, the properties still carry it).
        for ind in ["sa", "sm"] {
            let g = get(
                &s,
                &format!("/api/v1/data?indicator={ind}&level={level}&period=2022&format=geojson"),
                None,
            )
            .json();
            for f in g["features"].as_array().unwrap() {
                let p = &f["properties"];
                let it = p["code"].as_str().unwrap();
                check(
                    &format!("geojson {ind} {level} {it}"),
                    &exp[&(ind.to_string(), level.to_string(), it.to_string())],
                    p["lower"].as_f64(),
                    p["upper"].as_f64(),
                    p["margin"].as_f64(),
                    p["significance"].as_str(),
                    bench_of(&p["benchmark"]),
                );
            }
        }
    }
    assert_eq!(seen, 3 * 9);
    // The area profile.
    for w in WIJKEN {
        let j = get(&s, &format!("/api/v1/areas/wijk/{}/profile", w.0), None).json();
        for f in j["figures"].as_array().unwrap() {
            let ind = f["indicator"].as_str().unwrap();
            if !["sa", "sb", "sm"].contains(&ind) {
                assert!(f.get("lower").is_none());
                continue;
            }
            check(
                &format!("profile {ind} {}", w.0),
                &exp[&(ind.to_string(), "wijk".into(), w.0.to_string())],
                f["lower"].as_f64(),
                f["upper"].as_f64(),
                f["margin"].as_f64(),
                f["significance"].as_str(),
                bench_of(&f["benchmark"]),
            );
        }
    }
    // The indicator's metadata says how the intervals are made.
    let m = get(&s, "/api/v1/indicators/sb", None).json();
    assert_eq!(m["survey"]["confidence"], 90);
    assert_eq!(m["survey"]["benchmark"], "district");
    let show = s.site.ok(&["show", "sb"]);
    assert!(
        show.contains("survey:       90 % intervals")
            && show.contains("own area on level district"),
        "{show}"
    );
    let show = s.site.ok(&["show", "sm"]);
    assert!(
        show.contains(
            "survey:       95 % intervals mean ± z·sd/√n·sqrt(1−n/N) from sd ssd, n n and pop"
        ),
        "{show}"
    );
}

/// The JSON API against scipy: z = norm.ppf(1 − α/2) for the indicator's level, the margin,
/// the interval (a percentage's clipped) and the verdict, for every cell of every level, of
/// percentages and of the mean.
#[test]
fn api_matches_scipy() {
    if !have_tool(
        "scipy",
        "python3 -m pip install scipy",
        std::process::Command::new("python3").args(["-c", "import scipy"]),
    ) {
        return;
    }
    let s = Server::start(survey_site());
    let dir = tempfile::tempdir().unwrap();
    let mut answers = serde_json::Map::new();
    for ind in ["sa", "sb", "sm", "n", "pop", "ssd"] {
        for level in ["wijk", "district", "stad"] {
            let r = get(
                &s,
                &format!("/api/v1/data?indicator={ind}&level={level}"),
                None,
            );
            answers.insert(format!("{ind}/{level}"), r.json());
        }
    }
    let file = dir.path().join("answers.json");
    std::fs::write(&file, Json::Object(answers).to_string()).unwrap();
    let script = r#"
import json, math, sys
from scipy.stats import norm
a = json.load(open(sys.argv[1]))
def cells(ind):
    out = {}
    for level in ("wijk", "district", "stad"):
        for r in a[ind + "/" + level]["data"]:
            out[(level, r["item"])] = r
    return out
pop, n, ssd = cells("pop"), cells("n"), cells("ssd")
checked = 0
for ind, conf, sd in (("sa", 95, None), ("sb", 90, None), ("sm", 95, ssd)):
    z = norm.ppf(1 - (1 - conf / 100) / 2)
    rows = cells(ind)
    def inputs(at):
        r = rows.get(at)
        if r is None or r["value"] is None or n[at]["value"] is None:
            return None
        if sd is not None and sd[at]["value"] is None:
            return None
        big = pop[at]["value"] if at in pop else None
        return (r["value"], n[at]["value"], big, sd[at]["value"] if sd else None)
    def se(x):
        p, m, big, s = x
        fpc = 1 - m / big if big else 1
        if s is not None:
            return s / math.sqrt(m) * math.sqrt(fpc)
        return math.sqrt(p * (100 - p) / m) * math.sqrt(fpc)
    for at, r in rows.items():
        x = inputs(at)
        if x is None:
            assert r["lower"] is None and r["upper"] is None and r["significance"] is None, (ind, at, r)
            continue
        margin = z * se(x)
        if sd is None:
            lo, hi = max(0, x[0] - margin), min(100, x[0] + margin)
        else:
            lo, hi = x[0] - margin, x[0] + margin
        assert math.isclose(r["margin"], margin, rel_tol=1e-9, abs_tol=1e-9), (ind, at, r, margin)
        assert math.isclose(r["lower"], lo, rel_tol=1e-9, abs_tol=1e-9), (ind, at, r, lo)
        assert math.isclose(r["upper"], hi, rel_tol=1e-9, abs_tol=1e-9), (ind, at, r, hi)
        b = r["benchmark"]
        y = inputs((b["level"], b["item"])) if b else None
        if y is None:
            assert r["significance"] is None, (ind, at, r)
        else:
            limit = z * math.sqrt(se(x) ** 2 + se(y) ** 2)
            d = x[0] - y[0]
            want = "higher" if d > limit else "lower" if d < -limit else "not-significant"
            assert r["significance"] == want, (ind, at, r, want)
        checked += 1
print(checked)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let checked: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    // sa: 8 of 9 areas (W5 and so D2 are hidden: 7); sb: all 9; sm: all but W3 (hidden
    // standard deviation) and W5 (hidden mean): 7.
    assert_eq!(checked, 7 + 9 + 7);
}

/// Rows of an OData `Values` collection by area code.
fn odata_values(s: &Server, ind: &str, level: &str, key: Option<&str>) -> HashMap<String, Json> {
    let r = get(
        s,
        &format!(
            "/jiveservices/odata/Variables('{ind}')/GeoLevels('{level}')/PeriodLevels('year')/Periods('2022')/Values"
        ),
        key,
    );
    r.json()["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["ExternalCode"].as_str().unwrap().to_string(), v.clone()))
        .collect()
}

/// Rows of a selection table by area name, and its headers.
fn selection_table(s: &Server, query: &str, key: Option<&str>) -> (Vec<String>, Vec<Vec<String>>) {
    let j = get(s, &format!("/jive/selectiontableasjson.ashx?{query}"), key).json();
    let headers = j["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect();
    let rows = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    (headers, rows)
}

#[test]
fn odata_and_the_selection_table_carry_intervals() {
    let s = Server::start(survey_site());
    let exp = expectations(&s, None);
    let meta = get(&s, "/jiveservices/odata/$metadata", None).body;
    for p in ["Lower", "Upper", "Margin", "Significance", "Benchmark"] {
        assert!(
            meta.contains(&format!("<Property Name=\"{p}\"")),
            "{p} in $metadata"
        );
    }
    assert_metadata_valid(&s);
    for level in ["wijk", "district", "stad"] {
        for ind in ["sa", "sb", "sm"] {
            for (it, v) in odata_values(&s, ind, level, None) {
                let bench = v["Benchmark"]
                    .as_str()
                    .map(|b| format!("{}:{b}", v["BenchmarkGeoLevel"].as_str().unwrap()));
                check(
                    &format!("odata {ind} {level} {it}"),
                    &exp[&(ind.to_string(), level.to_string(), it.clone())],
                    v["Lower"].as_f64(),
                    v["Upper"].as_f64(),
                    v["Margin"].as_f64(),
                    v["Significance"].as_str(),
                    bench,
                );
                if v["Lower"].is_number() {
                    assert_eq!(v["Confidence"], if ind == "sb" { 90 } else { 95 });
                }
            }
        }
        // The population has no survey fields: null.
        for v in odata_values(&s, "pop", level, None).values() {
            assert!(v["Lower"].is_null() && v["Significance"].is_null(), "{v}");
        }
    }
    // The new properties filter and select like the others.
    let lower = get(
        &s,
        "/jiveservices/odata/Variables('sa')/GeoLevels('wijk')/PeriodLevels('year')/Periods('2022')/Values?$filter=Significance%20eq%20'lower'&$select=ExternalCode,Lower",
        None,
    )
    .json();
    let codes: Vec<&str> = lower["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["ExternalCode"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = WIJKEN
        .iter()
        .map(|w| w.0)
        .filter(|w| {
            exp[&("sa".into(), "wijk".into(), w.to_string())]
                .as_ref()
                .is_some_and(|e| e.1 == Some("lower"))
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(codes, want);

    // The selection table: three columns per survey indicator, after the value columns.
    let (headers, rows) = selection_table(&s, "var=sa,pop,sb&geolevel=wijk&period=2022", None);
    assert_eq!(headers.len(), 2 + 3 + 6, "{headers:?}");
    assert_eq!(headers[5], "Tevreden over de buurt (ondergrens 95%)");
    assert_eq!(headers[8], "Voelt zich veilig (ondergrens 90%)");
    for r in &rows {
        let it = r[0].strip_prefix("Wijk ").unwrap();
        for (ind, col) in [("sa", 5), ("sb", 8)] {
            let num = |k: usize| r[k].parse::<f64>().ok();
            let e = &exp[&(ind.to_string(), "wijk".into(), it.to_string())];
            check(
                &format!("selection table {ind} {it}"),
                e,
                num(col),
                num(col + 1),
                None,
                (!r[col + 2].is_empty()).then_some(r[col + 2].as_str()),
                e.as_ref().and_then(|e| e.2.clone()),
            );
        }
    }
    // A survey mean: its own three columns, from its standard deviation.
    let (headers, rows) = selection_table(&s, "var=sm&geolevel=wijk&period=2022", None);
    assert_eq!(headers.len(), 2 + 1 + 3, "{headers:?}");
    assert_eq!(headers[3], "Rapportcijfer voor de buurt (ondergrens 95%)");
    let mut with = 0;
    for r in &rows {
        let it = r[0].strip_prefix("Wijk ").unwrap();
        let num = |k: usize| r[k].parse::<f64>().ok();
        let e = &exp[&("sm".to_string(), "wijk".into(), it.to_string())];
        with += usize::from(e.is_some());
        check(
            &format!("selection table sm {it}"),
            e,
            num(3),
            num(4),
            None,
            (!r[5].is_empty()).then_some(r[5].as_str()),
            e.as_ref().and_then(|e| e.2.clone()),
        );
    }
    assert_eq!(with, 4);
    // Without survey indicators the answer is as before: geo, period, values.
    let (headers, _) = selection_table(&s, "var=pop,n&geolevel=wijk", None);
    assert_eq!(headers.len(), 4);
}

/// A hidden value's interval, margin and verdict are hidden too, and a survey indicator whose
/// sample size a reader may not see shows that reader no interval (the margin would give the
/// sample size away) — in every output; with a key that unlocks them, they are there.
#[test]
fn hidden_and_restricted_intervals_never_show() {
    let s = Server::start(survey_site());
    let staff = s.key("survey staff", &[STAFF]);
    // Anonymous: sd is public, its sample size nd is not.
    let j = get(&s, "/api/v1/data?indicator=sd,sa&level=wijk", None).json();
    for row in j["data"].as_array().unwrap() {
        let sd = row["indicator"] == "sd";
        assert_eq!(row.get("lower").is_none(), sd, "{row}");
        if row["item"] == "W5" && !sd {
            assert!(row["value"].is_null() && row["status"] == "x");
            for k in ["lower", "upper", "margin", "significance", "benchmark"] {
                assert!(row[k].is_null(), "hidden W5 shows {k}: {row}");
            }
        }
    }
    assert!(j["indicators"][0].get("survey").is_none());
    let csv = get(&s, "/api/v1/data?indicator=sd&level=wijk&format=csv", None).body;
    assert!(!csv.lines().next().unwrap().contains("lower"), "{csv}");
    let sa_csv = get(&s, "/api/v1/data?indicator=sa&level=wijk&format=csv", None).body;
    let w5 = csv_row(&sa_csv, "W5");
    assert!(w5[7..].iter().all(|c| c.is_empty() || *c == "x"), "{w5:?}");
    let js = get(
        &s,
        "/api/v1/data?indicator=sd&level=wijk&format=jsonstat",
        None,
    )
    .json();
    assert!(js["extension"]["peil"].get("survey").is_none());
    for v in odata_values(&s, "sd", "wijk", None).values() {
        assert!(v["Lower"].is_null() && v["Margin"].is_null() && v["Significance"].is_null());
    }
    let w5 = &odata_values(&s, "sa", "wijk", None)["W5"];
    assert!(w5["Lower"].is_null() && w5["Significance"].is_null() && w5["ValueString"] == "x");
    let (headers, _) = selection_table(&s, "var=sd&geolevel=wijk", None);
    assert_eq!(headers.len(), 3);
    let meta = get(&s, "/api/v1/indicators/sd", None).json();
    assert!(meta["survey"].get("confidence").is_none(), "{meta}");
    assert!(meta["survey"]["sample_indicator"].is_null());
    let prof = get(&s, "/api/v1/areas/wijk/W1/profile", None).json();
    for f in prof["figures"].as_array().unwrap() {
        assert!(f["indicator"] != "sc");
        if f["indicator"] == "sd" {
            assert!(f.get("lower").is_none());
        }
    }
    // sr is a public mean whose standard deviation ssr is restricted: no intervals anywhere
    // (the margin would give sd/√n away), its value is there.
    let j = get(&s, "/api/v1/data?indicator=sr,sm&level=wijk", None).json();
    for row in j["data"].as_array().unwrap() {
        let sr = row["indicator"] == "sr";
        assert_eq!(row.get("lower").is_none(), sr, "{row}");
        if sr && row["item"] == "W1" {
            assert_eq!(row["value"], 7.2);
        }
    }
    let meta = get(&s, "/api/v1/indicators/sr", None).json();
    assert!(meta["survey"].get("confidence").is_none(), "{meta}");
    assert!(meta["survey"]["stddev_indicator"].is_null(), "{meta}");
    for v in odata_values(&s, "sr", "wijk", None).values() {
        assert!(v["Lower"].is_null() && v["Margin"].is_null() && v["Significance"].is_null());
    }
    let (headers, _) = selection_table(&s, "var=sr&geolevel=wijk", None);
    assert_eq!(headers.len(), 3);
    let page = get(&s, "/indicator/sr?level=wijk&period=2022", None).body;
    assert!(!page.contains("Betrouwbaarheidsinterval"));
    let w1 = get(&s, "/area/wijk/W1.json", None).json();
    for f in w1["figures"].as_array().unwrap() {
        if f["indicator"] == "sr" {
            assert!(f["lower"].is_null() && f["significance"].is_null(), "{f}");
        }
    }
    // sc is restricted: it does not exist without the key, nor do its intervals anywhere.
    assert_eq!(s.get("/api/v1/data?indicator=sc&level=wijk").status, 404);
    for path in [
        "/api/v1/indicators?per_page=1000",
        "/api/v1/areas/wijk/W1/profile",
        "/api/v1/areas/wijk/W1/profile?format=csv",
        "/jiveservices/odata/Variables",
        "/jiveservices/odata/Variables('sc')/GeoLevels('wijk')/PeriodLevels('year')/Periods('2022')/Values",
        "/jive/selectiontableasjson.ashx?var=sc&geolevel=wijk",
        "/indicator/sc?level=wijk",
        "/indicator/sc/chart.svg?level=wijk",
        "/embed/indicator/sc/table?level=wijk",
        "/area/wijk/W1",
        "/area/wijk/W1.json",
        "/compare?level=wijk&areas=W1,W2&indicators=sc,sa",
        "/explorer?indicators=sc&level=wijk",
    ] {
        let r = s.get(path);
        assert!(r.status < 500, "{path}");
        assert!(
            !r.body.contains("Gevoelige vraag"),
            "{path} shows the restricted indicator"
        );
        // A 404 echoes the code asked for (`code`), exactly as for any unknown code.
        let body = if r.status == 404 {
            r.body.replace("\"code\":\"sc\"", "")
        } else {
            r.body.clone()
        };
        assert!(
            !body.contains("\"sc\""),
            "{path} names the restricted indicator"
        );
    }

    // With the key: sc and sd have their intervals, as computed here.
    let exp = expectations(&s, Some(&staff));
    assert!(exp[&("sr".into(), "wijk".into(), "W1".into())].is_some());
    for ind in ["sc", "sd", "sr"] {
        for level in ["wijk", "district", "stad"] {
            let j = get(
                &s,
                &format!("/api/v1/data?indicator={ind}&level={level}"),
                Some(&staff),
            )
            .json();
            for row in j["data"].as_array().unwrap() {
                let it = row["item"].as_str().unwrap();
                check(
                    &format!("key {ind} {level} {it}"),
                    &exp[&(ind.to_string(), level.to_string(), it.to_string())],
                    row["lower"].as_f64(),
                    row["upper"].as_f64(),
                    row["margin"].as_f64(),
                    row["significance"].as_str(),
                    bench_of(&row["benchmark"]),
                );
            }
        }
        let v = odata_values(&s, ind, "wijk", Some(&staff));
        assert!(v["W1"]["Lower"].is_number(), "{ind}");
    }
    let (headers, _) = selection_table(&s, "var=sd&geolevel=wijk", Some(&staff));
    assert_eq!(headers.len(), 6);
    let (headers, _) = selection_table(&s, "var=sr&geolevel=wijk", Some(&staff));
    assert_eq!(headers.len(), 6);
}

fn csv_row<'a>(csv: &'a str, item: &str) -> Vec<&'a str> {
    csv.lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[4] == item)
        .unwrap()
}

/// The `<tr data-area="CODE">…</tr>` of a page's table.
fn table_row<'a>(html: &'a str, code: &str) -> &'a str {
    let start = html
        .find(&format!("<tr data-area=\"{code}\""))
        .unwrap_or_else(|| panic!("no row {code}"));
    let end = start + html[start..].find("</tr>").unwrap();
    &html[start..end]
}

/// The page's words for a verdict against the city (Dutch, the site's first language).
fn verdict_words(v: &str) -> &'static str {
    match v {
        "higher" => "significant hoger dan Stad",
        "lower" => "significant lager dan Stad",
        _ => "niet significant verschillend van Stad",
    }
}

#[test]
fn pages_show_intervals_error_bars_and_verdicts() {
    let s = Server::start(survey_site());
    let exp = expectations(&s, None);
    let e = |it: &str| exp[&("sa".to_string(), "wijk".to_string(), it.to_string())].clone();
    // The indicator page: a column with the interval and one with the verdict.
    let html = get(&s, "/indicator/sa?level=wijk&period=2022", None).body;
    assert!(
        html.contains("Betrouwbaarheidsinterval (95&nbsp;%)"),
        "interval column"
    );
    let twin = get(&s, "/indicator/sa.json?level=wijk&period=2022", None).json();
    for w in WIJKEN {
        let row = table_row(&html, w.0);
        let t = twin["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == w.0)
            .unwrap();
        check(
            &format!("page twin {}", w.0),
            &e(w.0),
            t["lower"].as_f64(),
            t["upper"].as_f64(),
            t["margin"].as_f64(),
            t["significance"].as_str(),
            bench_of(&t["benchmark"]),
        );
        match e(w.0) {
            Some(((lo, hi, _), v, _)) => {
                let text = format!("{} – {}", dutch(lo), dutch(hi));
                assert!(row.contains(&text), "{}: {text} in {row}", w.0);
                assert!(row.contains(verdict_words(v.unwrap())), "{row}");
            }
            None => {
                assert!(
                    row.contains("<td class=\"num interval\"></td><td class=\"verdict\"></td>"),
                    "{row}"
                );
            }
        }
    }
    // Error bars in the bar chart (page, SVG download and embed), one per area with an interval.
    let with = WIJKEN.iter().filter(|w| e(w.0).is_some()).count();
    for path in [
        "/indicator/sa/chart.svg?level=wijk&period=2022",
        "/embed/indicator/sa/chart?level=wijk&period=2022",
    ] {
        let svg = get(&s, path, None).body;
        assert_eq!(
            svg.matches("<path class=\"interval\"").count(),
            with,
            "{path}"
        );
        assert!(
            !svg.contains("class=\"interval\" data-area=\"W5\""),
            "{path}"
        );
    }
    assert_eq!(html.matches("<path class=\"interval\"").count(), with);
    // Not a survey indicator: no column, no whiskers.
    let pop = get(&s, "/indicator/pop?level=wijk&period=2022", None).body;
    assert!(!pop.contains("Betrouwbaarheidsinterval") && !pop.contains("class=\"interval\""));
    // The embedded table.
    let embed = get(&s, "/embed/indicator/sa/table?level=wijk&period=2022", None).body;
    for w in WIJKEN {
        if let Some((_, Some(v), _)) = e(w.0) {
            assert!(
                table_row(&embed, w.0).contains(verdict_words(v)),
                "embed {}",
                w.0
            );
        }
    }
    // The page's CSV twin.
    let csv = get(&s, "/indicator/sa.csv?level=wijk&period=2022", None).body;
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(&head[7..], ["lower", "upper", "significance", "benchmark"]);
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        check(
            &format!("page csv {line}"),
            &e(f[1]),
            f[7].parse().ok(),
            f[8].parse().ok(),
            None,
            (!f[9].is_empty()).then_some(f[9]),
            (!f[10].is_empty()).then(|| f[10].to_string()),
        );
    }

    // The area profile: the interval and a "significantly higher/lower than" marker.
    for w in WIJKEN {
        let html = get(&s, &format!("/area/wijk/{}", w.0), None).body;
        let twin = get(&s, &format!("/area/wijk/{}.json", w.0), None).json();
        let f = twin["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["indicator"] == "sa")
            .unwrap();
        check(
            &format!("profile page {}", w.0),
            &e(w.0),
            f["lower"].as_f64(),
            f["upper"].as_f64(),
            None,
            f["significance"].as_str(),
            bench_of(&f["benchmark"]),
        );
        match e(w.0) {
            Some(((lo, hi, _), Some(v), _)) => {
                assert!(
                    html.contains(&format!("{} – {}", dutch(lo), dutch(hi))),
                    "{}",
                    w.0
                );
                assert!(html.contains(&format!("class=\"sig sig-{v}\"")), "{}", w.0);
                assert!(html.contains(verdict_words(v)), "{}", w.0);
            }
            _ => {
                // The hidden figure: its row has neither interval nor verdict.
                let at = html.find(">Tevreden over de buurt</a>").unwrap();
                let row = &html[at..at + html[at..].find("</tr>").unwrap()];
                assert!(row.contains(">x</td>") || row.contains(">x<"), "{row}");
                assert!(
                    !row.contains("class=\"interval") && !row.contains("class=\"sig"),
                    "{row}"
                );
            }
        }
    }

    // The compare page: interval and verdict in each cell, columns in its CSV.
    let html = get(&s, "/compare?level=wijk&areas=W1,W2,W5&indicators=sa", None).body;
    for w in ["W1", "W2"] {
        let Some(((lo, hi, _), Some(v), _)) = e(w) else {
            panic!("{w}")
        };
        assert!(
            html.contains(&format!("({} – {})", dutch(lo), dutch(hi))),
            "compare {w}"
        );
        assert!(
            html.contains(&format!("title=\"{}\"", verdict_words(v))),
            "compare {w}"
        );
    }
    let csv = get(
        &s,
        "/compare.csv?level=wijk&areas=W1,W2,W5&indicators=sa",
        None,
    )
    .body;
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let want = &exp[&("sa".to_string(), f[2].to_string(), f[3].to_string())];
        check(
            &format!("compare csv {line}"),
            want,
            f[6].parse().ok(),
            f[7].parse().ok(),
            None,
            (!f[9].is_empty()).then_some(f[9]),
            (!f[10].is_empty()).then(|| f[10].to_string()),
        );
    }
}

/// A number as the Dutch pages write a percentage with one decimal: `38,9 %`.
fn dutch(x: f64) -> String {
    format!("{:.1}\u{a0}%", x).replace('.', ",")
}

/// The text of a PDF, whitespace (incl. no-break spaces) folded to single spaces.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    if !have_tool(
        "pdftotext",
        "apt-get install poppler-utils",
        std::process::Command::new("pdftotext").arg("-v"),
    ) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.pdf");
    std::fs::write(&p, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", p.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    Some(fold(&String::from_utf8_lossy(&out.stdout)))
}

fn fold(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '\u{202f}' || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn stories_and_their_pdfs_have_interval_and_significance_functions() {
    let site = survey_site();
    std::fs::create_dir_all(site.path().join("stories")).unwrap();
    std::fs::write(
        site.path().join("stories/enquete.md"),
        r#"+++
title = "Enquête {{ geo.name }}"
level = "wijk"
+++
# Buurt

{{ name("sa") }}: {{ fmt("sa") }}, interval {{ interval("sa") }}, {{ significance("sa") }}.

{% set s = survey("sa") %}{% if s %}Marge {{ number(s.margin, 3) }} bij {{ s.confidence }} procent tegen {{ s.benchmark.name }}: {% if s.significance == "lower" %}LAGER{% elif s.significance == "higher" %}HOGER{% else %}GELIJK{% endif %}.{% else %}Geen interval.{% endif %}

{{ chart("sa", "bar") }}

{{ table(["sa"]) }}
"#,
    )
    .unwrap();
    site.ok(&["check"]);
    let s = Server::start(site);
    let exp = expectations(&s, None);
    for w in WIJKEN {
        let e = &exp[&("sa".to_string(), "wijk".to_string(), w.0.to_string())];
        let page = get(
            &s,
            &format!("/stories/enquete?regionlevel=wijk&regioncode={}", w.0),
            None,
        )
        .body;
        let page = fold(&page);
        let bytes = {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let mut r = agent
                .get(&format!(
                    "{}/stories/enquete.pdf?regionlevel=wijk&regioncode={}",
                    s.base, w.0
                ))
                .call()
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.body_mut()
                .with_config()
                .limit(64 << 20)
                .read_to_vec()
                .unwrap()
        };
        let pdf = pdf_text(&bytes);
        let mut texts = vec![("page", page.clone())];
        if let Some(t) = pdf {
            texts.push(("pdf", t));
        }
        for (what, text) in texts {
            match e {
                Some(((lo, hi, m), Some(v), _)) => {
                    let interval = fold(&format!("interval {} – {}", dutch(*lo), dutch(*hi)));
                    assert!(
                        text.contains(&interval),
                        "{what} {}: {interval} in {text}",
                        w.0
                    );
                    assert!(text.contains(&fold(verdict_words(v))), "{what} {}", w.0);
                    let margin = format!("Marge {:.3}", m).replace('.', ",");
                    assert!(text.contains(&margin), "{what} {}: {margin} in {text}", w.0);
                    let word = match *v {
                        "lower" => "LAGER",
                        "higher" => "HOGER",
                        _ => "GELIJK",
                    };
                    assert!(
                        text.contains(&format!("95 procent tegen Stad: {word}.")),
                        "{what} {}",
                        w.0
                    );
                }
                _ => {
                    assert!(text.contains("Geen interval."), "{what} {}", w.0);
                    assert!(!text.contains("significant"), "{what} {}", w.0);
                }
            }
        }
        // The table's cell carries the interval.
        if let Some(((lo, hi, _), _, _)) = e {
            let cell = fold(&format!("({} – {})", dutch(*lo), dutch(*hi)));
            assert!(
                page.contains(&format!("{} {cell}", fold(&dutch(w.2.unwrap())))),
                "{cell} in {page}"
            );
        }
        // The bar chart of the wijk and its siblings (same district) has the whiskers.
        let with = WIJKEN
            .iter()
            .filter(|x| x.1 == w.1)
            .filter(|x| exp[&("sa".into(), "wijk".into(), x.0.to_string())].is_some())
            .count();
        assert_eq!(
            page.matches("<path class=\"interval\"").count(),
            with,
            "{}",
            w.0
        );
    }
}

/// A mean as the Dutch pages write it without a unit, one decimal: `7,1`.
fn dutch_mean(x: f64) -> String {
    format!("{x:.1}").replace('.', ",")
}

/// A survey mean on the pages and in stories, like a percentage: the indicator page's
/// interval and verdict columns and whiskers, the profile's marker, the compare page, and the
/// story functions — none where the mean or its standard deviation is hidden.
#[test]
fn pages_and_stories_show_a_means_interval() {
    let site = survey_site();
    std::fs::create_dir_all(site.path().join("stories")).unwrap();
    std::fs::write(
        site.path().join("stories/cijfer.md"),
        "+++\ntitle = \"Cijfer\"\nlevel = \"wijk\"\n+++\n\nCijfer {{ fmt(\"sm\") }} [{{ interval(\"sm\") }}] {{ significance(\"sm\") }}.\n",
    )
    .unwrap();
    let s = Server::start(site);
    let exp = expectations(&s, None);
    let e = |it: &str| exp[&("sm".to_string(), "wijk".to_string(), it.to_string())].clone();
    let html = get(&s, "/indicator/sm?level=wijk&period=2022", None).body;
    assert!(html.contains("Betrouwbaarheidsinterval (95&nbsp;%)"));
    for w in WIJKEN {
        let row = table_row(&html, w.0);
        match e(w.0) {
            Some(((lo, hi, _), v, _)) => {
                let text = format!("{} – {}", dutch_mean(lo), dutch_mean(hi));
                assert!(row.contains(&text), "{}: {text} in {row}", w.0);
                assert!(row.contains(verdict_words(v.unwrap())), "{row}");
            }
            None => assert!(
                row.contains("<td class=\"num interval\"></td><td class=\"verdict\"></td>"),
                "{row}"
            ),
        }
    }
    let svg = get(&s, "/indicator/sm/chart.svg?level=wijk&period=2022", None).body;
    assert_eq!(svg.matches("<path class=\"interval\"").count(), 4);
    for w in ["W1", "W2", "W3"] {
        let html = get(&s, &format!("/area/wijk/{w}"), None).body;
        match e(w) {
            Some(((lo, hi, _), Some(v), _)) => {
                let text = format!("{} – {}", dutch_mean(lo), dutch_mean(hi));
                assert!(html.contains(&text), "profile {w}: {text}");
                assert!(html.contains(verdict_words(v)), "profile {w}");
            }
            _ => {
                let at = html.find(">Rapportcijfer voor de buurt</a>").unwrap();
                let row = &html[at..at + html[at..].find("</tr>").unwrap()];
                assert!(
                    !row.contains("class=\"interval") && !row.contains("class=\"sig"),
                    "{row}"
                );
            }
        }
        let story = fold(
            &get(
                &s,
                &format!("/stories/cijfer?regionlevel=wijk&regioncode={w}"),
                None,
            )
            .body,
        );
        match e(w) {
            Some(((lo, hi, _), Some(v), _)) => {
                let text = fold(&format!(
                    "[{} – {}] {}.",
                    dutch_mean(lo),
                    dutch_mean(hi),
                    verdict_words(v)
                ));
                assert!(story.contains(&text), "story {w}: {text} in {story}");
            }
            _ => assert!(story.contains("[] ."), "story {w}: {story}"),
        }
    }
    let html = get(&s, "/compare?level=wijk&areas=W1,W2,W3&indicators=sm", None).body;
    for w in ["W1", "W2"] {
        let Some(((lo, hi, _), Some(v), _)) = e(w) else {
            panic!("{w}")
        };
        assert!(
            html.contains(&format!("({} – {})", dutch_mean(lo), dutch_mean(hi))),
            "compare {w}"
        );
        assert!(
            html.contains(&format!("title=\"{}\"", verdict_words(v))),
            "compare {w}"
        );
    }
}

/// The explorer's table: an interval and a verdict column after each survey indicator's value
/// (none after other indicators), the same in its CSV and JSON twins; none where the value is
/// hidden, and none for a reader who may not see the standard deviation.
#[test]
fn explorer_table_shows_intervals_and_verdicts() {
    let s = Server::start(survey_site());
    let staff = s.key("survey staff", &[STAFF]);
    let exp = expectations(&s, None);
    let q = "/explorer?indicators=sa,pop,sm,sr&level=wijk&periods=2022";
    let html = get(&s, q, None).body;
    // Two survey indicators the reader may see the intervals of: two pairs of columns.
    assert_eq!(
        html.matches("<th scope=\"col\" class=\"num interval\">")
            .count(),
        2,
        "{html}"
    );
    assert!(html.contains("Betrouwbaarheidsinterval (95&nbsp;%)"));
    let text = |ind: &str, lo: f64, hi: f64| match ind {
        "sa" => format!("{} – {}", dutch(lo), dutch(hi)),
        _ => format!("{} – {}", dutch_mean(lo), dutch_mean(hi)),
    };
    for w in WIJKEN {
        let row = table_row(&html, w.0);
        let cells: Vec<&str> = row.split("<td").skip(2).collect();
        // sa, sa interval, sa verdict, pop, sm, sm interval, sm verdict, sr (after the period).
        assert_eq!(cells.len(), 8, "{row}");
        for (ind, at) in [("sa", 1), ("sm", 5)] {
            let (interval, verdict) = (cells[at], cells[at + 1]);
            match &exp[&(ind.to_string(), "wijk".to_string(), w.0.to_string())] {
                Some(((lo, hi, _), v, _)) => {
                    assert!(
                        interval.contains(&text(ind, *lo, *hi)),
                        "{ind} {}: {interval}",
                        w.0
                    );
                    assert!(
                        verdict.contains(verdict_words(v.unwrap())),
                        "{ind} {}: {verdict}",
                        w.0
                    );
                }
                None => {
                    assert!(
                        interval.starts_with(" class=\"num interval\"></td>"),
                        "{interval}"
                    );
                    assert!(verdict.starts_with(" class=\"verdict\"></td>"), "{verdict}");
                }
            }
        }
    }
    // The CSV: the survey columns after the value columns, by indicator code.
    let csv = get(&s, &q.replace("/explorer?", "/explorer.csv?"), None).body;
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(
        head,
        [
            "area",
            "name",
            "period",
            "sa",
            "pop",
            "sm",
            "sr",
            "sa_lower",
            "sa_upper",
            "sa_significance",
            "sa_benchmark",
            "sm_lower",
            "sm_upper",
            "sm_significance",
            "sm_benchmark"
        ]
    );
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        for (ind, at) in [("sa", 7), ("sm", 11)] {
            check(
                &format!("explorer csv {ind} {line}"),
                &exp[&(ind.to_string(), "wijk".to_string(), f[0].to_string())],
                f[at].parse().ok(),
                f[at + 1].parse().ok(),
                None,
                (!f[at + 2].is_empty()).then_some(f[at + 2]),
                (!f[at + 3].is_empty()).then(|| f[at + 3].to_string()),
            );
        }
    }
    // The JSON twin: per cell.
    let j = get(&s, &q.replace("/explorer?", "/explorer.json?"), None).json();
    for r in j["rows"].as_array().unwrap() {
        let it = r["code"].as_str().unwrap();
        for (ind, k) in [("sa", 0), ("pop", 1), ("sm", 2), ("sr", 3)] {
            let c = &r["cells"][k];
            let e = exp
                .get(&(ind.to_string(), "wijk".to_string(), it.to_string()))
                .cloned()
                .flatten();
            check(
                &format!("explorer json {ind} {it}"),
                &e,
                c["lower"].as_f64(),
                c["upper"].as_f64(),
                None,
                c["significance"].as_str(),
                bench_of(&c["benchmark"]),
            );
        }
    }
    // With the key, sr's standard deviation is visible: its columns are there too.
    let html = get(&s, q, Some(&staff)).body;
    assert_eq!(
        html.matches("<th scope=\"col\" class=\"num interval\">")
            .count(),
        3
    );
    let exp = expectations(&s, Some(&staff));
    let Some(((lo, hi, _), _, _)) = &exp[&("sr".into(), "wijk".into(), "W1".into())] else {
        panic!("sr W1")
    };
    assert!(table_row(&html, "W1").contains(&format!("{} – {}", dutch_mean(*lo), dutch_mean(*hi))));
}

/// The SVG of a key-figure tile (`id` as `kf-sa`) in a page.
fn tile_svg<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("aria-labelledby=\"{id}-title"))
        .unwrap_or_else(|| panic!("no tile {id}"));
    let start = html[..at].rfind("<svg").unwrap();
    &html[start..at + html[at..].find("</svg>").unwrap()]
}

/// Key-figure tiles on dashboards (and the home page's key figures): a survey figure shows its
/// interval and, only when it differs significantly, the verdict against its benchmark; a
/// hidden figure or standard deviation, or one the public may not see, shows neither.
#[test]
fn key_figure_tiles_show_survey_intervals() {
    let site = survey_site();
    std::fs::create_dir_all(site.path().join("dashboards")).unwrap();
    let mut toml = String::from("title = \"Enquête\"\nlevel = \"wijk\"\n");
    for ind in ["sa", "sm", "sr"] {
        toml.push_str(&format!(
            "\n[[tile]]\nkind = \"keyfigure\"\nindicator = \"{ind}\"\n"
        ));
    }
    std::fs::write(site.path().join("dashboards/enquete.toml"), toml).unwrap();
    let conf = site.path().join("peil.toml");
    let old = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(&conf, format!("highlights = [\"sa\"]\n{old}")).unwrap();
    site.ok(&["check"]);
    let s = Server::start(site);
    let exp = expectations(&s, None);
    let mut verdicts = 0;
    for w in WIJKEN {
        let html = get(
            &s,
            &format!("/dashboards/enquete?regionlevel=wijk&regioncode={}", w.0),
            None,
        )
        .body;
        for ind in ["sa", "sm"] {
            let tile = fold(tile_svg(&html, &format!("kf-{ind}")));
            match &exp[&(ind.to_string(), "wijk".to_string(), w.0.to_string())] {
                Some(((lo, hi, _), v, _)) => {
                    let (lo, hi) = match ind {
                        "sa" => (dutch(*lo), dutch(*hi)),
                        _ => (dutch_mean(*lo), dutch_mean(*hi)),
                    };
                    let line = fold(&format!("Interval (95 %): {lo} – {hi}"));
                    assert!(tile.contains(&line), "{ind} {}: {line} in {tile}", w.0);
                    match v {
                        Some(v @ ("higher" | "lower")) => {
                            verdicts += 1;
                            assert!(tile.contains(verdict_words(v)), "{ind} {}", w.0)
                        }
                        _ => assert!(!tile.contains("significant"), "{ind} {}: {tile}", w.0),
                    }
                }
                None => assert!(
                    !tile.contains("Interval") && !tile.contains("significant"),
                    "{ind} {}: {tile}",
                    w.0
                ),
            }
        }
        // sr's standard deviation is restricted: a public dashboard shows no interval.
        let tile = tile_svg(&html, "kf-sr");
        assert!(
            !tile.contains("Interval") && !tile.contains("significant"),
            "{tile}"
        );
    }
    assert!(verdicts >= 4, "{verdicts}");
    // The home page's key figure of the city: its interval (the city has no benchmark).
    let home = get(&s, "/", None).body;
    let Some(((lo, hi, _), None, _)) = &exp[&("sa".into(), "stad".into(), "C".into())] else {
        panic!("sa C")
    };
    let tile = fold(tile_svg(&home, "kf0"));
    let line = fold(&format!("Interval (95 %): {} – {}", dutch(*lo), dutch(*hi)));
    assert!(tile.contains(&line), "{line} in {tile}");
}

/// The tooltip (`<title>`) of an area's shape on a map.
fn map_tooltip<'a>(svg: &'a str, code: &str) -> &'a str {
    let at = svg
        .find(&format!("data-area=\"{code}\" class=\"area"))
        .unwrap_or_else(|| panic!("no shape {code}"));
    let start = at + svg[at..].find("<title>").unwrap() + "<title>".len();
    &svg[start..start + svg[start..].find("</title>").unwrap()]
}

/// Maps of survey figures: each area's tooltip mentions its interval (and verdict) — the
/// indicator page's map and its SVG download, the explorer's map and a story's map; none for
/// a hidden figure or standard deviation, nor where the reader may not see the inputs.
#[test]
fn map_tooltips_mention_the_interval() {
    let site = survey_site();
    let square = |k: usize| {
        let x = 4.40 + 0.01 * k as f64;
        format!(
            "[[[{x},51.2],[{},51.2],[{},51.21],[{x},51.21],[{x},51.2]]]",
            x + 0.01,
            x + 0.01
        )
    };
    let features: Vec<String> = WIJKEN
        .iter()
        .enumerate()
        .map(|(k, w)| {
            format!(
                r#"{{"type":"Feature","properties":{{"code":"{}"}},"geometry":{{"type":"Polygon","coordinates":{}}}}}"#,
                w.0,
                square(k)
            )
        })
        .collect();
    let path = site.path().join("wijken.geojson");
    std::fs::write(
        &path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
    site.import(&path, &["--level", "wijk"]);
    std::fs::create_dir_all(site.path().join("stories")).unwrap();
    std::fs::write(
        site.path().join("stories/kaart.md"),
        "+++\ntitle = \"Kaart\"\nlevel = \"district\"\n+++\n\n{{ map(\"sa\") }}\n\n{{ map(\"sm\") }}\n",
    )
    .unwrap();
    site.ok(&["publish"]);
    let s = Server::start(site);
    let exp = expectations(&s, None);
    let interval = |ind: &str, lo: f64, hi: f64| match ind {
        "sa" => format!("Interval (95 %): {} – {}", dutch(lo), dutch(hi)),
        _ => format!("Interval (95 %): {} – {}", dutch_mean(lo), dutch_mean(hi)),
    };
    let check_map = |what: &str, svg: &str, ind: &str, wijken: &[&str]| {
        for w in wijken {
            let tip = fold(map_tooltip(svg, w));
            match &exp[&(ind.to_string(), "wijk".to_string(), w.to_string())] {
                Some(((lo, hi, _), v, _)) => {
                    let text = fold(&interval(ind, *lo, *hi));
                    assert!(tip.contains(&text), "{what} {w}: {text} in {tip}");
                    assert!(
                        tip.contains(&fold(verdict_words(v.unwrap()))),
                        "{what} {w}: {tip}"
                    );
                }
                None => assert!(!tip.contains("Interval"), "{what} {w}: {tip}"),
            }
        }
    };
    let all: Vec<&str> = WIJKEN.iter().map(|w| w.0).collect();
    for ind in ["sa", "sm"] {
        for path in [
            format!("/indicator/{ind}/map.svg?level=wijk&period=2022"),
            format!("/indicator/{ind}?level=wijk&period=2022"),
            format!("/explorer?indicators={ind}&level=wijk&periods=2022&view=map"),
        ] {
            let body = get(&s, &path, None).body;
            check_map(&path, &body, ind, &all);
        }
    }
    // The story's map of a district's wijken.
    let story = get(
        &s,
        "/stories/kaart?regionlevel=district&regioncode=D1",
        None,
    )
    .body;
    for ind in ["sa", "sm"] {
        let at = story
            .find(&format!("aria-labelledby=\"map-{ind}-title"))
            .unwrap_or_else(|| panic!("map {ind} in {story}"));
        let svg = &story[at..at + story[at..].find("</svg>").unwrap()];
        check_map(&format!("story {ind}"), svg, ind, &["W1", "W2", "W3"]);
    }
    // sr's standard deviation is restricted: its map's tooltips have no interval.
    let svg = get(&s, "/indicator/sr/map.svg?level=wijk&period=2022", None).body;
    assert!(map_tooltip(&svg, "W1").contains("7,2"));
    assert!(!svg.contains("Interval"), "{svg}");
    // Another indicator's map is as before.
    let svg = get(&s, "/indicator/pop/map.svg?level=wijk&period=2022", None).body;
    assert!(!svg.contains("Interval"));
}
