//! Issue 20 through what readers get (`peil publish`, then `peil export --live`): a threshold
//! checked on a sample, cubes with loaded marginals at several dimension levels, formulas over
//! empty and special operands, average stocks with empty quarters, and data_from_mrp.
//! Every expectation is computed here, in plain loops over the generated input, never by the
//! engine's own functions.

use crate::common::*;
use std::collections::{BTreeMap, HashMap};

fn write(site: &Site, name: &str, text: &str) -> std::path::PathBuf {
    let p = site.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run_all(site: &Site, args: &[&str]) -> (Option<i32>, String, String) {
    let o = site.run(args);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// (indicator, level, item, period, dims) → value text, from `peil export --live`.
type Live = HashMap<(String, String, String, String, String), String>;

fn live(site: &Site, args: &[&str]) -> Live {
    let mut a = vec!["export", "--live"];
    a.extend_from_slice(args);
    let out = site.ok(&a);
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    let h = rdr.headers().unwrap().clone();
    let dims = h.iter().position(|x| x == "dims");
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (
                (
                    r[0].to_string(),
                    r[1].to_string(),
                    r[2].to_string(),
                    r[3].to_string(),
                    dims.map_or(String::new(), |d| r[d].to_string()),
                ),
                r[4].to_string(),
            )
        })
        .collect()
}

/// Equal texts, or numbers equal up to float noise.
fn same(a: &str, b: &str) -> bool {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * (1.0 + x.abs().max(y.abs())),
        _ => a == b,
    }
}

fn get<'a>(v: &'a Live, ind: &str, level: &str, item: &str, period: &str, dims: &str) -> &'a str {
    v.get(&(
        ind.to_string(),
        level.to_string(),
        item.to_string(),
        period.to_string(),
        dims.to_string(),
    ))
    .map_or("-", String::as_str)
}

/// Two levels: sectors S1…S6 in wijken W1 (S1–S3) and W2 (S4–S6).
fn small_site() -> Site {
    let site = Site::new();
    site.import(
        &write(
            &site,
            "statsec.csv",
            "code,name\nS1,s1\nS2,s2\nS3,s3\nS4,s4\nS5,s5\nS6,s6\n",
        ),
        &[],
    );
    site.import(&write(&site, "wijk.csv", "code,name\nW1,w1\nW2,w2\n"), &[]);
    site.import(
        &write(
            &site,
            "statsec_wijk.csv",
            "statsec,wijk\nS1,W1\nS2,W1\nS3,W1\nS4,W2\nS5,W2\nS6,W2\n",
        ),
        &[],
    );
    site
}

/// Item 2: a survey share of 0 % from 5 respondents is hidden under a sample threshold of 30;
/// 0 is always shown only where the sample itself is 0.
#[test]
fn a_zero_share_from_a_small_sample_is_hidden() {
    let site = small_site();
    site.import(
        &write(
            &site,
            "meta.csv",
            "code;name;data type;period type;aggregation indicator;sample indicator;threshold\n\
             n;respondenten;numeric;stock;;;\n\
             p;aandeel;percentage;stock;n;n;30\n",
        ),
        &[],
    );
    site.import(
        &write(
            &site,
            "survey.csv",
            "period,geolevel,geoitem,n,p\n\
             2023,statsec,S1,5,0\n2023,statsec,S2,40,0\n2023,statsec,S3,0,0\n\
             2023,statsec,S4,12,25\n2023,statsec,S5,30,0\n2023,statsec,S6,29,100\n",
        ),
        &[],
    );
    // Primary suppression alone (secondary suppression hides more, checked below).
    site.ok(&["publish", "--no-secondary-suppression"]);
    let v = live(&site, &["--indicator", "p"]);
    for (item, want) in [
        ("S1", "x"),
        ("S2", "0"),
        ("S3", "0"),
        ("S4", "x"),
        ("S5", "0"),
        ("S6", "x"),
    ] {
        assert_eq!(
            get(&v, "p", "statsec", item, "2023", ""),
            want,
            "p at {item}"
        );
    }
    // W1 has 45 respondents (shown), W2 71.
    assert_eq!(get(&v, "p", "wijk", "W1", "2023", ""), "0");
    let w2 = (12.0 * 25.0 + 29.0 * 100.0) / 71.0;
    let got: f64 = get(&v, "p", "wijk", "W2", "2023", "").parse().unwrap();
    assert!((got - w2).abs() < 1e-9, "W2 {got} vs {w2}");
    // With secondary suppression the small samples stay hidden (and more may be).
    site.ok(&["publish"]);
    let v = live(&site, &["--indicator", "p"]);
    for item in ["S1", "S4", "S6"] {
        assert_eq!(
            get(&v, "p", "statsec", item, "2023", ""),
            "x",
            "p at {item}"
        );
    }
}

/// Items 4 and 7: formulas over empty, `nvt`, `?` and `x` operands, as published. An empty
/// operand gives no value (a growth rate over an empty year is not −100 %, `r * 2 + 1` where
/// r is 0/0 is not 1), `nvt` gives `nvt`, `x` and `?` poison, and `sum()` leaves out empty and
/// `nvt` operands. `data_from_mrp` of a series hidden entirely is `x`; a formula of only
/// `data_from_mrp` is warned about when it is defined.
#[test]
fn formulas_over_operands_without_a_number() {
    let site = small_site();
    let (code, _, err) = run_all(
        &site,
        &[
            "import",
            write(
                &site,
                "meta.csv",
                "code;name;period type;formula\n\
                 inc;inkomen;stock;\n\
                 werkloos;werklozen;stock;\n\
                 bev;bevolking;stock;\n\
                 hidden;verborgen;stock;\n\
                 groei;groei;;inc / data_from_period(inc, \"-1\") * 100 - 100\n\
                 vp_werkloos;aandeel werklozen;;werkloos / bev * 100\n\
                 dubbel;dubbel;;vp_werkloos * 2 + 1\n\
                 totaal;totaal;;sum(werkloos, inc)\n\
                 laatste;laatste verborgen;;data_from_mrp(hidden, 1) + bev - bev\n\
                 enkel_mrp;enkel mrp;;data_from_mrp(inc, 2)\n",
            )
            .to_str()
            .unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("enkel_mrp never has a value") && !err.contains("laatste never"),
        "{err}"
    );
    site.import(
        &write(
            &site,
            "data.csv",
            "period,geolevel,geoitem,inc,werkloos,bev,hidden\n\
             2022,statsec,S1,100,1,10,x\n2023,statsec,S1,110,2,10,x\n\
             2022,statsec,S2,100,0,0,x\n2023,statsec,S2,,0,0,x\n\
             2022,statsec,S3,,nvt,10,x\n2023,statsec,S3,50,nvt,10,x\n\
             2022,statsec,S4,100,?,10,x\n2023,statsec,S4,nvt,?,10,x\n\
             2022,statsec,S5,100,x,10,x\n2023,statsec,S5,120,x,10,x\n\
             2022,statsec,S6,100,3,10,x\n2023,statsec,S6,90,,10,x\n",
        ),
        &[],
    );
    site.ok(&["publish"]);
    let v = live(&site, &[]);
    #[rustfmt::skip]
    let want: [(&str, [&str; 6]); 5] = [
        //               S1     S2     S3     S4     S5     S6
        ("groei",       ["10",  "-",   "-",   "nvt", "20",  "-10"]),
        ("vp_werkloos", ["20",  "-",   "nvt", "?",   "x",   "-"]),
        ("dubbel",      ["41",  "-",   "nvt", "?",   "x",   "-"]),
        ("totaal",      ["112", "0",   "50",  "?",   "x",   "90"]),
        ("laatste",     ["x",   "x",   "x",   "x",   "x",   "x"]),
    ];
    for (ind, row) in want {
        for (k, w) in row.iter().enumerate() {
            let item = format!("S{}", k + 1);
            let got = get(&v, ind, "statsec", &item, "2023", "");
            assert!(
                same(got, w),
                "{ind} at {item} in 2023: {got}, documented {w}"
            );
        }
    }
    // The first year has no previous one: no growth at all.
    assert_eq!(get(&v, "groei", "statsec", "S1", "2022", ""), "-");
    assert!(!v.keys().any(|k| k.0 == "enkel_mrp"));
}

/// A small deterministic generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const BANDS: [&str; 8] = [
    "0-4", "5-9", "10-19", "20-44", "45-64", "65-74", "75-84", "85+",
];
const BAND3: [&str; 8] = [
    "0-19", "0-19", "0-19", "20-64", "20-64", "65+", "65+", "65+",
];
const SEXES: [&str; 2] = ["m", "v"];

/// A total over cells with missing codes: `x` before `?`, both poison; empty and `nvt`
/// skipped, nothing but `nvt` stays `nvt`, nothing at all is no value (`-`).
fn total<'a>(cells: impl IntoIterator<Item = &'a str>) -> String {
    let (mut sum, mut nums, mut x, mut q, mut nvt) = (0.0, 0, false, false, false);
    for c in cells {
        match c {
            "x" => x = true,
            "?" => q = true,
            "nvt" => nvt = true,
            "-" => {}
            n => {
                sum += n.parse::<f64>().unwrap();
                nums += 1;
            }
        }
    }
    if x {
        "x".into()
    } else if q {
        "?".into()
    } else if nums > 0 {
        format!("{sum}")
    } else if nvt {
        "nvt".into()
    } else {
        "-".into()
    }
}

/// The export's text of a cube cell: `level=member` pairs sorted, joined by `;`.
fn dims_text(age: Option<(&str, &str)>, sex: Option<&str>) -> String {
    let mut pairs: Vec<String> = Vec::new();
    if let Some((l, m)) = age {
        pairs.push(format!("{l}={m}"));
    }
    if let Some(s) = sex {
        pairs.push(format!("geslacht={s}"));
    }
    pairs.sort();
    pairs.join(";")
}

/// Item 3: a population cube by 5-year band and sex, the coarse band level declared with it,
/// marginals loaded at both age levels, per sex and in total, on sectors, wijken,
/// municipalities and the arrondissement. Every cell on every level is its own loaded value or
/// the sum of the finest cells beneath it; cell() formulas read the same cells; `check` and
/// `publish` list the marginals that differ from their cells.
#[test]
fn a_cube_with_coarse_marginals_keeps_every_total() {
    let site = Site::new();
    let sectors: Vec<String> = (0..24).map(|i| format!("S{i:02}")).collect();
    let wijk = |s: usize| s / 4; // 6 wijken
    let gem = |w: usize| w / 2; // 3 municipalities
    let mut areas = String::from("code,name\n");
    sectors.iter().for_each(|s| areas += &format!("{s},{s}\n"));
    site.import(&write(&site, "statsec.csv", &areas), &[]);
    let wijken: String = (0..6).map(|w| format!("W{w},w{w}\n")).collect();
    site.import(
        &write(&site, "wijk.csv", &format!("code,name\n{wijken}")),
        &[],
    );
    site.import(
        &write(&site, "gemeente.csv", "code,name\nG0,g0\nG1,g1\nG2,g2\n"),
        &[],
    );
    site.import(&write(&site, "arrondiss.csv", "code,name\nA,a\n"), &[]);
    let links: String = (0..24).map(|s| format!("S{s:02},W{}\n", wijk(s))).collect();
    site.import(
        &write(&site, "statsec_wijk.csv", &format!("statsec,wijk\n{links}")),
        &[],
    );
    let links: String = (0..6).map(|w| format!("W{w},G{}\n", gem(w))).collect();
    site.import(
        &write(
            &site,
            "wijk_gemeente.csv",
            &format!("wijk,gemeente\n{links}"),
        ),
        &[],
    );
    site.import(
        &write(
            &site,
            "gemeente_arrondiss.csv",
            "gemeente,arrondiss\nG0,A\nG1,A\nG2,A\n",
        ),
        &[],
    );
    // The dimension table: members, and the coarse band each 5-year band rolls up into.
    let mut dimt = String::from("dimension,dimlevel,member,name,parent level,parent\n");
    for (b, g) in BANDS.iter().zip(BAND3) {
        dimt += &format!("leeftijd,leeftijd5,{b},{b},leeftijd3,{g}\n");
    }
    for g in ["0-19", "20-64", "65+"] {
        dimt += &format!("leeftijd,leeftijd3,{g},{g},,\n");
    }
    dimt += "geslacht,geslacht,m,mannen,,\ngeslacht,geslacht,v,vrouwen,,\n";
    site.import(&write(&site, "dimensies.csv", &dimt), &[]);
    // The cube with its coarse level declared (a `|` list inside a `;` file), and cell()
    // formulas over it.
    site.import(
        &write(
            &site,
            "meta.csv",
            "code;name;period type;dim levels;formula\n\
             kub;bevolking;stock;leeftijd5|leeftijd3|geslacht;\n\
             f65;65 plus;;;cell(kub, 65+)\n\
             f65v;vrouwen 65 plus;;;cell(kub, leeftijd3=65+, v)\n\
             fm;mannen;;;cell(kub, m)\n\
             f20m;mannen 20-44;;;cell(kub, 20-44, m)\n",
        ),
        &[],
    );
    // Finest cells on every sector, loaded marginals on every level.
    let mut rng = Rng(20);
    let mut loaded: BTreeMap<(String, String, String, String), String> = BTreeMap::new();
    for year in ["2022", "2023"] {
        for s in &sectors {
            for b in BANDS {
                for x in SEXES {
                    // Codes that poison totals only in 2023, so that 2022's totals are numbers.
                    let v = match (rng.below(100), year) {
                        (0..=3, _) => continue, // no record
                        (4..=5, "2023") => "x".to_string(),
                        (6..=8, _) => "nvt".to_string(),
                        (9, "2023") => "?".to_string(),
                        _ => rng.below(80).to_string(),
                    };
                    let k = dims_text(Some(("leeftijd5", b)), Some(x));
                    loaded.insert(("statsec".into(), s.clone(), year.into(), k), v);
                }
            }
        }
    }
    // A finest cell loaded on a wijk wins there and counts upward.
    loaded.insert(
        (
            "wijk".into(),
            "W1".into(),
            "2022".into(),
            dims_text(Some(("leeftijd5", "20-44")), Some("m")),
        ),
        "900".into(),
    );
    for (level, item, year, age, sex, v) in [
        (
            "statsec",
            "S01",
            "2022",
            Some(("leeftijd3", "65+")),
            None,
            "3944",
        ),
        (
            "statsec",
            "S02",
            "2022",
            Some(("leeftijd3", "65+")),
            Some("v"),
            "17",
        ),
        ("statsec", "S05", "2022", None, Some("m"), "999"),
        ("statsec", "S06", "2022", None, None, "12345"),
        (
            "statsec",
            "S07",
            "2022",
            Some(("leeftijd5", "0-4")),
            None,
            "6",
        ),
        (
            "statsec",
            "S08",
            "2023",
            Some(("leeftijd3", "0-19")),
            None,
            "x",
        ),
        (
            "wijk",
            "W2",
            "2022",
            Some(("leeftijd3", "20-64")),
            None,
            "50",
        ),
        ("wijk", "W3", "2023", None, None, "1"),
        ("gemeente", "G1", "2022", None, Some("v"), "2"),
        (
            "arrondiss",
            "A",
            "2022",
            Some(("leeftijd3", "65+")),
            None,
            "3944",
        ),
    ] {
        loaded.insert(
            (level.into(), item.into(), year.into(), dims_text(age, sex)),
            v.into(),
        );
    }
    let mut data =
        String::from("period,geolevel,geoitem,indicator,value,leeftijd5,leeftijd3,geslacht\n");
    for ((level, item, year, k), v) in &loaded {
        let (mut l5, mut l3, mut sx) = ("", "", "");
        for pair in k.split(';').filter(|p| !p.is_empty()) {
            let (l, m) = pair.split_once('=').unwrap();
            match l {
                "leeftijd5" => l5 = m,
                "leeftijd3" => l3 = m,
                _ => sx = m,
            }
        }
        data += &format!("{year},{level},{item},kub,{v},{l5},{l3},{sx}\n");
    }
    site.import(&write(&site, "kubus.csv", &data), &[]);
    let (code, _, err) = run_all(&site, &["publish"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("loaded marginal values"),
        "publish lists the disagreements: {err}"
    );
    let v = live(&site, &[]);

    // The independent computation: finest cells per level, then every cell.
    let lv = |l: &str, i: &str, y: &str, k: &str| -> Option<String> {
        loaded
            .get(&(l.into(), i.into(), y.into(), k.into()))
            .cloned()
    };
    let mut items: Vec<(&str, String, Vec<String>)> = Vec::new(); // (level, item, children)
    for s in &sectors {
        items.push(("statsec", s.clone(), Vec::new()));
    }
    for w in 0..6 {
        let kids = (0..24)
            .filter(|&s| wijk(s) == w)
            .map(|s| sectors[s].clone())
            .collect();
        items.push(("wijk", format!("W{w}"), kids));
    }
    for g in 0..3 {
        let kids = (0..6)
            .filter(|&w| gem(w) == g)
            .map(|w| format!("W{w}"))
            .collect();
        items.push(("gemeente", format!("G{g}"), kids));
    }
    items.push((
        "arrondiss",
        "A".into(),
        vec!["G0".into(), "G1".into(), "G2".into()],
    ));
    let child_level = |l: &str| match l {
        "wijk" => "statsec",
        "gemeente" => "wijk",
        _ => "gemeente",
    };
    let mut fine: HashMap<(String, String, String, String), String> = HashMap::new();
    let mut checked = 0;
    for year in ["2022", "2023"] {
        for (level, item, kids) in &items {
            for b in BANDS {
                for x in SEXES {
                    let k = dims_text(Some(("leeftijd5", b)), Some(x));
                    let val = lv(level, item, year, &k).unwrap_or_else(|| {
                        if kids.is_empty() {
                            "-".into()
                        } else {
                            let cl = child_level(level);
                            let cells: Vec<String> = kids
                                .iter()
                                .map(|c| {
                                    fine[&(cl.to_string(), c.clone(), year.to_string(), k.clone())]
                                        .clone()
                                })
                                .collect();
                            total(cells.iter().map(String::as_str))
                        }
                    });
                    fine.insert((level.to_string(), item.clone(), year.into(), k), val);
                }
            }
            // Every cell: each age choice (a band, a coarse band, all) × (a sex, both).
            let mut ages: Vec<Option<(&str, &str)>> =
                BANDS.iter().map(|b| Some(("leeftijd5", *b))).collect();
            ages.extend(["0-19", "20-64", "65+"].map(|g| Some(("leeftijd3", g))));
            ages.push(None);
            for age in ages {
                for sex in [None, Some("m"), Some("v")] {
                    let k = dims_text(age, sex);
                    let is_fine = sex.is_some() && age.is_some_and(|(l, _)| l == "leeftijd5");
                    let sum = {
                        let mut cells = Vec::new();
                        for (bi, b) in BANDS.iter().enumerate() {
                            for x in SEXES {
                                let in_age = match age {
                                    None => true,
                                    Some(("leeftijd5", m)) => m == *b,
                                    Some((_, g)) => BAND3[bi] == g,
                                };
                                if in_age && sex.is_none_or(|s| s == x) {
                                    let fk = dims_text(Some(("leeftijd5", b)), Some(x));
                                    cells.push(
                                        fine[&(level.to_string(), item.clone(), year.into(), fk)]
                                            .clone(),
                                    );
                                }
                            }
                        }
                        total(cells.iter().map(String::as_str))
                    };
                    let want = match lv(level, item, year, &k) {
                        Some(l) if !is_fine => l,
                        _ => sum,
                    };
                    let got = get(&v, "kub", level, item, year, &k);
                    assert!(
                        same(got, &want),
                        "kub {level} {item} {year} [{k}]: {got}, expected {want}"
                    );
                    checked += 1;
                    // cell() formulas read the same cells.
                    for (f, fa, fs) in [
                        ("f65", Some(("leeftijd3", "65+")), None),
                        ("f65v", Some(("leeftijd3", "65+")), Some("v")),
                        ("fm", None, Some("m")),
                        ("f20m", Some(("leeftijd5", "20-44")), Some("m")),
                    ] {
                        if fa == age && fs == sex {
                            let got = get(&v, f, level, item, year, "");
                            assert!(
                                same(got, &want),
                                "{f} {level} {item} {year}: {got}, expected {want}"
                            );
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, 2 * (24 + 6 + 3 + 1) * 12 * 3);
    // The arrondissement's grand total is the sum of all its finest cells, nowhere near the
    // loaded "65+" marginal.
    let a: f64 = get(&v, "kub", "arrondiss", "A", "2022", "")
        .parse()
        .unwrap();
    assert!(a > 3944.0 * 3.0, "{a}");
    assert_eq!(
        get(&v, "kub", "arrondiss", "A", "2022", "leeftijd3=65+"),
        "3944"
    );
    let (code, out, _) = run_all(&site, &["check"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("warning: kub:") && out.contains("loaded marginal values on statsec"),
        "{out}"
    );
}

/// Friction found with item 3: a dim-level list separated by the file's own delimiter spills
/// into the next columns; the import says so (instead of "a cube cannot also be a formula"),
/// and the `|` it suggests works.
#[test]
fn a_list_written_with_the_delimiter_is_explained() {
    let site = Site::new();
    site.import(
        &write(
            &site,
            "dimensies.csv",
            "dimension,dimlevel,member\nleeftijd,leeftijd5,0-4\nleeftijd,leeftijd3,0-19\ngeslacht,geslacht,m\n",
        ),
        &[],
    );
    let bad = write(
        &site,
        "meta.csv",
        "code;name;period type;dim levels;formula\nkub;bevolking;stock;leeftijd5;leeftijd3;geslacht;\n",
    );
    let (code, _, err) = run_all(&site, &["import", bad.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("row 2")
            && err.contains("header only 5 columns")
            && err.contains("delimiter ';'")
            && err.contains("leeftijd5|leeftijd3|geslacht")
            && !err.contains("cannot also be a formula"),
        "{err}"
    );
    let good = write(
        &site,
        "meta2.csv",
        "code;name;period type;dim levels;formula\nkub;bevolking;stock;leeftijd5|leeftijd3|geslacht;\n",
    );
    site.import(&good, &[]);
    let show = site.ok(&["show", "kub"]);
    assert!(
        show.contains("dim levels             leeftijd5|leeftijd3|geslacht"),
        "{show}"
    );
    assert!(
        show.contains("a loaded one wins for its own cell only"),
        "{show}"
    );
}

/// Item 5: an average stock with empty and `nvt` quarters. A sector with such a quarter has no
/// year of its own, but its other quarters count in its wijk's quarters, and every published
/// year and half year is the mean of the same area's own published quarters.
#[test]
fn an_average_stock_year_is_the_mean_of_its_own_quarters() {
    let site = small_site();
    site.import(&write(&site, "stad.csv", "code,name\nG,stad\n"), &[]);
    site.import(
        &write(&site, "wijk_stad.csv", "wijk,stad\nW1,G\nW2,G\n"),
        &[],
    );
    site.import(
        &write(
            &site,
            "meta.csv",
            "code;name;period type\nbedden;bedden;average_stock\n",
        ),
        &[],
    );
    // Per sector the four quarters of 2023 (blank: no record).
    let quarters = [
        ("S1", ["10", "12", "14", "16"]),
        ("S2", ["40", "", "60", "70"]),
        ("S3", ["5", "5", "nvt", "5"]),
        ("S4", ["100", "90", "80", "70"]),
        ("S5", ["nvt", "nvt", "nvt", "nvt"]),
        ("S6", ["", "", "", "3"]),
    ];
    let mut data = String::from("period,geolevel,geoitem,bedden\n");
    for (s, qs) in quarters {
        for (q, v) in qs.iter().enumerate() {
            data += &format!("2023Q{},statsec,{s},{v}\n", q + 1);
        }
    }
    site.import(&write(&site, "bedden.csv", &data), &[]);
    site.ok(&["publish"]);
    let v = live(&site, &["--indicator", "bedden"]);
    let num = |level: &str, item: &str, p: &str| -> Option<f64> {
        get(&v, "bedden", level, item, p, "").parse().ok()
    };
    // Sectors: a complete year is the mean, an incomplete one has none (all nvt: nvt).
    assert_eq!(num("statsec", "S1", "2023"), Some(13.0));
    assert_eq!(get(&v, "bedden", "statsec", "S2", "2023", ""), "-");
    assert_eq!(get(&v, "bedden", "statsec", "S3", "2023", ""), "-");
    assert_eq!(get(&v, "bedden", "statsec", "S5", "2023", ""), "nvt");
    // Every area's year and halves: the mean of its own published quarters, computed here.
    let mut checked = 0;
    for (level, item) in [("wijk", "W1"), ("wijk", "W2"), ("stad", "G")] {
        let qs: Vec<f64> = (1..=4)
            .map(|q| num(level, item, &format!("2023Q{q}")).unwrap())
            .collect();
        for (p, part) in [
            ("2023", &qs[..]),
            ("2023H1", &qs[..2]),
            ("2023H2", &qs[2..]),
        ] {
            let want = part.iter().sum::<f64>() / part.len() as f64;
            let got = num(level, item, p).unwrap();
            assert!(
                (got - want).abs() < 1e-9,
                "{item} {p}: {got}, mean of its quarters {want}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 9);
    // W1's quarters are the sums over its sectors of what they have: 55, 17, 74, 91.
    assert_eq!(num("wijk", "W1", "2023Q2"), Some(17.0));
    assert_eq!(
        num("wijk", "W1", "2023"),
        Some((55.0 + 17.0 + 74.0 + 91.0) / 4.0)
    );
}

/// Friction found with the Statbel recipe: 'available' rows with a blank income used to load
/// as no record without a word; the import now says so and names `--empty-as x`, and the
/// recipe in `peil import --help` uses it.
#[test]
fn blank_cells_of_unmapped_status_rows_are_warned_about() {
    let site = Site::new();
    let f = flanders();
    site.import(&f.join("swing/gebiedsdefinities/statsec2024.xlsx"), &[]);
    let file = f.join("stats/zennevallei_income_sector_2019_2023.csv");
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut a: Vec<String> = ["import", file.to_str().unwrap(), "--dry-run"]
            .iter()
            .chain(&zennevallei_args(&[]))
            .map(|s| s.to_string())
            .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        run_all(&site, &a)
    };
    let (code, _, err) = run(args(&[
        "--status-map",
        "not-published=x,sector-unmatched=?",
    ]));
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("blank cells in rows with status 'available' load as no record")
            && err.contains("--empty-as x"),
        "{err}"
    );
    let (code, _, err) = run(args(&[
        "--empty-as",
        "x",
        "--status-map",
        "sector-unmatched=?",
    ]));
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("blank cells in rows"), "{err}");
    let help = site.ok(&["import", "--help"]);
    assert!(
        help.contains("--empty-as x --status-column sourceStatus"),
        "{help}"
    );
}
