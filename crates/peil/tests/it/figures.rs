//! Issue 11 on the command line: values that reach no parent are refused at publish and are a
//! `check` error; the conversion rule for unknown-location sectors does not depend on the order
//! of the tables; and the silent defaults a new user fell into (a monthly flow published as its
//! December, undocumented metadata, a bare header from `export`, "decimal comma" for whole
//! numbers, "Broken pipe" from `peil export | head`).

use crate::common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

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

/// (level, item, period) → value text from `peil export --live`.
fn live(site: &Site, args: &[&str]) -> std::collections::HashMap<(String, String, String), String> {
    let mut a = vec!["export", "--live"];
    a.extend_from_slice(args);
    site.ok(&a)
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            ((c[1].into(), c[2].into(), c[3].into()), c[4].into())
        })
        .collect()
}

/// Two municipalities merged: 44029 (Knesselare) and 44001 (Aalter) became 44084. The
/// conversion table lists every 2019 sector but 44029ZZZZ; the sector 44001B001 is missing
/// from it as well (a real error in a table, which no rule can settle).
fn merged_site() -> Site {
    let site = Site::new();
    for (name, text) in [
        (
            "statsec2019.csv",
            "code,name\n44029A001,K1\n44029ZZZZ,K onbekend\n44001A001,A1\n44001B001,A2\n44001ZZZZ,A onbekend\n",
        ),
        (
            "statsec2024.csv",
            "code,name\n44084A001,K1\n44084A002,A1\n44084A003,A2\n44084ZZZZ,onbekend\n",
        ),
        ("gemeente2024.csv", "code,name\n44084,Aalter\n"),
    ] {
        site.import(&write(&site, name, text), &[]);
    }
    // The conversion table first, the aggregation table after it (alphabetical order).
    site.import(
        &write(
            &site,
            "statsec2019_statsec2024.csv",
            "statsec2019,statsec2024\n44029A001,44084A001\n44001A001,44084A002\n44001ZZZZ,44084ZZZZ\n",
        ),
        &[],
    );
    let out = run_all(
        &site,
        &[
            "import",
            write(
                &site,
                "statsec2024_gemeente2024.csv",
                "statsec2024,gemeente2024\n44084A001,44084\n44084A002,44084\n44084A003,44084\n44084ZZZZ,44084\n",
            )
            .to_str()
            .unwrap(),
        ],
    );
    assert_eq!(out.0, Some(0), "{out:?}");
    // The rule reached 44029ZZZZ although its table came first, and says so.
    assert!(
        out.2.contains("44029ZZZZ") && out.2.contains("44084ZZZZ"),
        "{out:?}"
    );
    site.import(
        &write(
            &site,
            "energie.csv",
            "period,geolevel,geoitem,elek\n\
             2020,statsec2019,44029A001,100\n2020,statsec2019,44029ZZZZ,7\n\
             2020,statsec2019,44001A001,1000\n2020,statsec2019,44001B001,30\n\
             2020,statsec2019,44001ZZZZ,5\n",
        ),
        &[],
    );
    site
}

#[test]
fn values_that_reach_no_parent_are_refused_until_allowed() {
    let site = merged_site();
    let (code, _, err) = run_all(&site, &["publish"]);
    assert_eq!(code, Some(4), "publish refuses: {err}");
    // Only 44001B001 is lost (44029ZZZZ was settled by the rule): its count and sum.
    assert!(
        err.contains("elek: 1 values on statsec2019 (sum 30) reach no item of statsec2024")
            && err.contains("44001B001 2020")
            && err.contains("--allow-lost-values"),
        "{err}"
    );
    let (code, out, _) = run_all(&site, &["check"]);
    assert_eq!(code, Some(3), "check fails: {out}");
    assert!(out.contains("error: lost values: elek: 1 values"), "{out}");

    site.ok(&["publish", "--allow-lost-values"]);
    let v = live(&site, &["--level", "gemeente2024"]);
    // Every sector but the lost one, including both unknown-location rows: 100+7+1000+5.
    assert_eq!(
        v[&("gemeente2024".into(), "44084".into(), "2020".into())],
        "1112"
    );

    // Linking the sector completes the totals, and publish no longer refuses.
    site.import(
        &write(
            &site,
            "statsec2019_statsec2024_fix.csv",
            "statsec2019,statsec2024\n44001B001,44084A003\n",
        ),
        &["--kind", "links"],
    );
    site.ok(&["publish"]);
    let v = live(&site, &["--level", "gemeente2024"]);
    assert_eq!(
        v[&("gemeente2024".into(), "44084".into(), "2020".into())],
        "1142"
    );
    let check = site.ok(&["check"]);
    assert!(!check.contains("lost values"), "{check}");
}

#[test]
fn show_prints_metadata_and_the_rules_peil_applies() {
    let site = Site::new();
    let (code, _, err) = run_all(
        &site,
        &[
            "import",
            write(
                &site,
                "meta.csv",
                "code;name;data type;period type;aggregation indicator;threshold;rounding\n\
                 pop;inwoners;numeric;stock;;;10\n\
                 inc;gemiddeld inkomen;mean;;pop;5;\n\
                 med;mediaan inkomen;numeric;flow;;;\n",
            )
            .to_str()
            .unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    // The row without a period type is told so at import.
    assert!(
        err.contains("inc") && err.contains("no period type"),
        "{err}"
    );

    let inc = site.ok(&["show", "inc"]);
    for want in [
        "inc — gemiddeld inkomen",
        "data type              mean",
        "period type            independent",
        "aggregation indicator  pop",
        "weighted mean Σ(value·weight)/Σ(weight) by pop",
        "over periods: not aggregated: period type independent",
        // The threshold is checked on the aggregation indicator (no threshold indicator).
        "non-zero values of pop below 5 hide the cell",
    ] {
        assert!(inc.contains(want), "missing {want:?} in:\n{inc}");
    }
    let pop = site.ok(&["show", "pop"]);
    for want in [
        "over areas:   summed",
        "a stock: a year (quarter, half year) takes its last sub-period's value",
        "threshold:    none",
        "rounded to a multiple of 10",
    ] {
        assert!(pop.contains(want), "missing {want:?} in:\n{pop}");
    }
    let med = site.ok(&["show", "med"]);
    assert!(med.contains("a flow: a year is the sum"), "{med}");
    let (code, _, err) = run_all(&site, &["show", "nope"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("unknown indicator 'nope'"), "{err}");

    // `peil import --help` lists the metadata columns with their allowed values.
    let help = site.ok(&["import", "--help"]);
    for want in [
        "period type",
        "stock (stand",
        "flow (lopend",
        "average_stock",
        "growth_rate",
        "aggregation indicator",
        "threshold indicator",
        "aggregate geoitems",
        "data type",
        "peil show CODE",
    ] {
        assert!(help.contains(want), "missing {want:?} in import --help");
    }
}

/// A monthly flow loaded without metadata is not published as a stock (its December).
#[test]
fn a_monthly_flow_without_period_type_gets_no_year_until_told() {
    let site = Site::new();
    site.import(&write(&site, "wijk.csv", "code,name\nw1,W1\nw2,W2\n"), &[]);
    let mut data = String::from("period;geolevel;geoitem;births\n");
    for m in 1..=12 {
        data.push_str(&format!(
            "2020M{m:02};wijk;w1;{m}\n2020M{m:02};wijk;w2;{}\n",
            10 * m
        ));
    }
    let (code, out, err) = run_all(
        &site,
        &[
            "import",
            write(&site, "births.csv", &data).to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("new indicator") && err.contains("no period type"),
        "import says it: {err}"
    );
    // Whole numbers in a `;` file are not "decimal comma".
    assert!(
        out.contains("whole numbers (no decimals)") && !out.contains("decimal comma"),
        "{out}"
    );

    let (code, _, err) = run_all(&site, &["publish"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("births is loaded per month but has no period type"),
        "publish says it: {err}"
    );
    let check = site.ok(&["check"]);
    assert!(check.contains("births is loaded per month"), "{check}");
    let v = live(&site, &["--indicator", "births"]);
    assert!(
        !v.contains_key(&("wijk".into(), "w1".into(), "2020".into())),
        "no year: {v:?}"
    );
    assert_eq!(v[&("wijk".into(), "w1".into(), "2020M12".into())], "12");

    // Told it is a flow, the year is the sum of the months (1+…+12 = 78), not December.
    site.import(
        &write(
            &site,
            "meta.csv",
            "code;name;period type\nbirths;geboorten;flow\n",
        ),
        &[],
    );
    let (code, _, err) = run_all(&site, &["publish"]);
    assert_eq!(code, Some(0));
    assert!(!err.contains("no period type"), "{err}");
    let v = live(&site, &["--indicator", "births", "--period", "2020"]);
    assert_eq!(v[&("wijk".into(), "w1".into(), "2020".into())], "78");
    assert_eq!(v[&("wijk".into(), "w2".into(), "2020".into())], "780");
}

#[test]
fn export_says_where_computed_levels_are_and_stops_quietly_at_a_closed_pipe() {
    let site = Site::new();
    let n = 3000;
    let mut wijk = String::from("code,name\n");
    let mut link = String::from("wijk,stad\n");
    let mut data = String::from("period,geolevel,geoitem,v\n");
    for i in 0..n {
        wijk.push_str(&format!("w{i},W{i}\n"));
        link.push_str(&format!("w{i},s1\n"));
        for y in 2010..2020 {
            data.push_str(&format!("{y},wijk,w{i},{}\n", i + y));
        }
    }
    site.import(&write(&site, "wijk.csv", &wijk), &[]);
    site.import(&write(&site, "stad.csv", "code,name\ns1,Stad\n"), &[]);
    site.import(&write(&site, "wijk_stad.csv", &link), &[]);
    site.import(&write(&site, "data.csv", &data), &[]);

    // The computed level is not in the test copy: the export says where it is.
    let (code, out, err) = run_all(&site, &["export", "--level", "stad"]);
    assert_eq!(code, Some(0));
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        err.contains("computed levels and periods exist only in the live copy")
            && err.contains("peil export --live"),
        "{err}"
    );
    site.ok(&["publish"]);
    let v = live(&site, &["--level", "stad", "--period", "2019"]);
    let want: usize = (0..n).map(|i| i + 2019).sum();
    assert_eq!(
        v[&("stad".into(), "s1".into(), "2019".into())],
        want.to_string()
    );

    // `peil export --live | head -1`: 30,000 rows into a pipe closed after one line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_peil"))
        .arg("--site")
        .arg(site.path())
        .args(["export", "--live"])
        .env_remove("PEIL_SITE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("indicator,geolevel"), "{first}");
    // The reader is dropped here: the pipe is closed while peil still writes.
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !err.to_lowercase().contains("broken pipe") && err.trim().is_empty(),
        "stderr: {err}"
    );
    assert!(o.status.success(), "{:?}", o.status);
}
