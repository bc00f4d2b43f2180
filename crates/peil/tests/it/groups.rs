//! Access groups (issue 14): a group's grants — indicators by code, theme subtree or source,
//! narrowed to geo levels and a period range — decide what a key sees on every route; the
//! guest group is every reader's; a changed group reaches the server without a publish.
//! Expectations come from the store's live copy and theme tree, not from the server.

use crate::common::*;
use peil_core::Value;
use std::collections::BTreeSet;

const CODE: &str = "v_leefloon";
const NAME: &str = "Leefloongerechtigden";

/// Waits until `f` holds (the server picks up store changes with its poll).
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let t = std::time::Instant::now();
    while !f() {
        assert!(t.elapsed().as_secs() < 60, "never: {what}");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// The live copy's cells of an indicator: (level, item, period) → value, records only.
fn live_cells(s: &Server, code: &str) -> Vec<(String, String, String, Value)> {
    let live = s.site.open_store().live().unwrap().unwrap();
    let mut out = Vec::new();
    for (k, values) in live.series.iter().filter(|(k, _)| k.indicator == code) {
        if !k.dims.is_empty() {
            continue;
        }
        let level = live
            .levels
            .iter()
            .find(|l| l.level.code == k.level)
            .unwrap();
        for ((_, item), v) in level.items.iter().zip(values) {
            if *v != Value::Missing(peil_core::MissingCode::Empty) {
                out.push((k.level.clone(), item.code.clone(), k.period.code(), *v));
            }
        }
    }
    out
}

fn in_range(period: &str) -> bool {
    matches!(&period[..4], "2020" | "2021" | "2022")
}

/// The (item, period) → value pairs of a native JSON data answer.
fn data_rows(r: &Reply) -> BTreeSet<(String, String, String)> {
    if r.status != 200 {
        return BTreeSet::new();
    }
    r.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["value"].is_number())
        .map(|row| {
            (
                row["item"].as_str().unwrap().to_string(),
                row["period"].as_str().unwrap().to_string(),
                format!("{}", row["value"].as_f64().unwrap()),
            )
        })
        .collect()
}

#[test]
fn a_grant_narrowed_to_a_level_and_periods_shows_those_cells_only() {
    let s = Server::demo();
    s.site.ok(&[
        "groups",
        "add",
        "wijkteam",
        "--description",
        "Wijkwerkers",
        "--indicators",
        CODE,
        "--levels",
        "wijk",
        "--periods",
        "2020:2022",
    ]);
    let key = s.key("wijkteam key", &["wijkteam"]);
    let k = [("apikey", key.as_str())];
    eventually("the group reaches the server", || {
        s.get_with(&format!("/api/v1/indicators/{CODE}"), &k).status == 200
    });
    let cells = live_cells(&s, CODE);
    let levels: BTreeSet<&str> = cells.iter().map(|c| c.0.as_str()).collect();
    assert!(levels.len() > 1 && levels.contains("wijk"), "{levels:?}");
    let want: BTreeSet<(String, String, String)> = cells
        .iter()
        .filter(|(l, _, p, v)| l == "wijk" && in_range(p) && v.number().is_some())
        .map(|(_, i, p, v)| (i.clone(), p.clone(), format!("{}", v.number().unwrap())))
        .collect();
    assert!(!want.is_empty());

    // The native API: exactly the granted cells, in JSON, CSV, JSON-stat and GeoJSON.
    let data = |level: &str, format: &str| {
        s.get_with(
            &format!("/api/v1/data?indicator={CODE}&level={level}{format}"),
            &k,
        )
    };
    assert_eq!(data_rows(&data("wijk", "")), want);
    let csv = data("wijk", "&format=csv").body;
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == "period").unwrap();
    let periods: BTreeSet<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(at).unwrap())
        .collect();
    assert!(
        !periods.is_empty() && periods.iter().all(|p| in_range(p)),
        "{periods:?}"
    );
    let js = data("wijk", "&format=jsonstat").json();
    let idx = js["dimension"]["period"]["category"]["index"]
        .as_object()
        .unwrap();
    assert!(
        idx.keys().all(|p| in_range(p)) && !idx.is_empty(),
        "{idx:?}"
    );
    let geo = data("wijk", "&format=geojson").json();
    assert!(
        geo["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| { f["properties"]["period"].as_str().is_none_or(in_range) })
    );
    // Other levels answer as a level without data for this reader; the metadata lists wijk only.
    for level in levels.iter().filter(|l| **l != "wijk") {
        assert!(data_rows(&data(level, "")).is_empty(), "{level}");
        let t = s.get_with(
            &format!("/jive/selectiontableasjson.ashx?var={CODE}&geolevel={level}"),
            &k,
        );
        assert!(
            !(t.status == 200
                && t.body.contains(NAME)
                && t.json()["rows"].as_array().is_some_and(|r| !r.is_empty())),
            "{level}: {}",
            t.body
        );
        let page = s.get_with(&format!("/indicator/{CODE}.json?level={level}"), &k);
        assert!(
            page.status != 200 || page.json()["level"] != *level,
            "{level}: the page shows a level it does not grant"
        );
    }
    // The page's comparison areas on other levels (the city) carry no value.
    let twin = s
        .get_with(&format!("/indicator/{CODE}.json?level=wijk"), &k)
        .json();
    for c in twin["compare"].as_array().unwrap() {
        assert!(c["level"] == "wijk" || c["value"].is_null(), "{c}");
    }
    let meta = s.get_with(&format!("/api/v1/indicators/{CODE}"), &k).body;
    for level in levels.iter().filter(|l| **l != "wijk") {
        assert!(!meta.contains(&format!("\"{level}\"")), "{level} in {meta}");
    }
    // OData: wijk only, and only the granted years.
    let gl = s
        .get_with(
            &format!("/jiveservices/odata/Variables('{CODE}')/GeoLevels"),
            &k,
        )
        .json();
    let codes: Vec<&str> = gl["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["ExternalCode"].as_str())
        .collect();
    assert_eq!(codes, ["wijk"]);
    let values = |year: &str| {
        s.get_with(&format!("/jiveservices/odata/Variables('{CODE}')/GeoLevels('wijk')/PeriodLevels('year')/Periods('{year}')/Values"), &k)
    };
    let v21 = values("2021").json();
    assert!(
        v21["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["Value"].is_number())
    );
    for year in ["2019", "2023"] {
        let r = values(year);
        assert!(
            r.status != 200
                || r.json()["value"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|v| v["Value"].is_null()),
            "{year}: {}",
            r.body
        );
    }
    // The selection table: the granted years on wijk; nothing for another year.
    let t = s.get_with(
        &format!("/jive/selectiontableasjson.ashx?var={CODE}&geolevel=wijk&period=2021"),
        &k,
    );
    assert_eq!(t.status, 200, "{}", t.body);
    let t19 = s.get_with(
        &format!("/jive/selectiontableasjson.ashx?var={CODE}&geolevel=wijk&period=2019"),
        &k,
    );
    assert!(
        t19.status != 200
            || t19.json()["rows"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r.as_array().unwrap()[2..].iter().all(|c| c == "")),
        "{}",
        t19.body
    );
    // Pages: the indicator page and the profile show the indicator; public documents do not.
    assert!(
        s.get_with(&format!("/indicator/{CODE}?level=wijk"), &k)
            .body
            .contains(NAME)
    );
    assert!(
        s.get_with("/search.json?q=leefloon", &k)
            .body
            .contains(CODE)
    );
    let profile = |level: &str, code: &str| {
        s.get_with(&format!("/api/v1/areas/{level}/{code}/profile"), &k)
            .body
    };
    let own = profile("wijk", "4699901");
    assert!(own.contains(CODE) && own.contains("\"2022\""), "{own}");
    let city = profile("gemeente", "46999");
    assert!(city.contains("v1101_t") && !city.contains(CODE), "{city}");
    let compare = |level: &str, areas: &str| {
        s.get_with(&format!("/compare?level={level}&areas={areas}"), &k)
            .body
    };
    assert!(compare("wijk", "4699901,4699902").contains(NAME));
    assert!(!compare("gemeente", "46999").contains(NAME));
    assert!(!s.get_with("/api/v1/catalog.ttl", &k).body.contains(CODE));
    // Anonymous readers see none of it.
    assert_eq!(s.get(&format!("/api/v1/indicators/{CODE}")).status, 404);
    assert!(data_rows(&s.get(&format!("/api/v1/data?indicator={CODE}&level=wijk"))).is_empty());
    assert!(!s.get("/search.json?q=leefloon").body.contains(CODE));
    // The formula over it (restricted to stadsdiensten, not granted here) stays hidden.
    assert_eq!(s.get_with("/api/v1/indicators/vp_leefloon", &k).status, 404);

    // The response cache never hands one group's answer to another: a key of the indicator's
    // own group sees every year at every level, asked before and after.
    let staff = s.key("staff key", &["stadsdiensten"]);
    let url = format!("/api/v1/data?indicator={CODE}&level=wijk");
    for _ in 0..2 {
        let all = data_rows(&s.get_with(&url, &[("apikey", &staff)]));
        assert!(all.len() > want.len() && all.is_superset(&want));
        assert_eq!(data_rows(&s.get_with(&url, &k)), want);
    }

    // A changed group reaches the server without a publish, and cached answers follow.
    s.site.ok(&[
        "groups",
        "add",
        "wijkteam",
        "--indicators",
        CODE,
        "--levels",
        "wijk",
        "--periods",
        "2021",
    ]);
    eventually("the narrowed group reaches the server", || {
        data_rows(&s.get_with(&url, &k))
            .iter()
            .all(|(_, p, _)| p.starts_with("2021"))
    });
}

#[test]
fn theme_source_union_guest_and_formulas() {
    let s = Server::demo();
    let store = s.site.open_store();
    let inds = store.indicators().unwrap();
    let themes = store.themes().unwrap();
    drop(store);
    let restricted: Vec<&peil_core::Indicator> = inds
        .iter()
        .filter(|i| i.visibility != peil_core::Visibility::Public)
        .collect();
    // A theme with restricted indicators, and its subtree computed here.
    let root = restricted
        .iter()
        .flat_map(|i| i.themes.iter())
        .next()
        .expect("a restricted indicator in a theme")
        .clone();
    let mut subtree: BTreeSet<String> = BTreeSet::from([root.clone()]);
    loop {
        let n = subtree.len();
        for t in &themes {
            if t.parent.as_ref().is_some_and(|p| subtree.contains(p)) {
                subtree.insert(t.code.clone());
            }
        }
        if subtree.len() == n {
            break;
        }
    }
    let in_tree = |i: &peil_core::Indicator| i.themes.iter().any(|t| subtree.contains(t));
    // A formula is granted only with the restricted indicators it reads.
    let granted_by = |pick: &dyn Fn(&peil_core::Indicator) -> bool| -> BTreeSet<String> {
        let picked: BTreeSet<&str> = restricted
            .iter()
            .filter(|i| pick(i))
            .map(|i| i.code.as_str())
            .collect();
        restricted
            .iter()
            .filter(|i| picked.contains(i.code.as_str()))
            .filter(|i| {
                let Some(f) = &i.formula else { return true };
                restricted
                    .iter()
                    .filter(|r| f.contains(r.code.as_str()))
                    .all(|r| picked.contains(r.code.as_str()))
            })
            .map(|i| i.code.clone())
            .collect()
    };
    let by_theme = granted_by(&|i| in_tree(i));
    let source = "Stad Scheldemonde, leegstandsregister";
    let by_source = granted_by(&|i| i.source == source);
    assert!(!by_theme.is_empty() && !by_source.is_empty());

    s.site.ok(&["groups", "add", "thema", "--themes", &root]);
    s.site.ok(&["groups", "add", "bron", "--source", source]);
    let visible = |key: Option<&str>| -> BTreeSet<String> {
        let h: Vec<(&str, &str)> = key.map(|k| vec![("apikey", k)]).unwrap_or_default();
        let all = s.get_with("/api/v1/indicators?per_page=1000", &h).json();
        all["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap().to_string())
            .filter(|c| restricted.iter().any(|r| r.code == *c))
            .collect()
    };
    let theme_key = s.key("thema", &["thema"]);
    let source_key = s.key("bron", &["bron"]);
    let both_key = s.key("beide", &["thema", "bron"]);
    eventually("the groups reach the server", || {
        !visible(Some(&theme_key)).is_empty()
    });
    assert_eq!(visible(Some(&theme_key)), by_theme);
    assert_eq!(visible(Some(&source_key)), by_source);
    assert_eq!(
        visible(Some(&both_key)),
        by_theme.union(&by_source).cloned().collect()
    );
    assert!(visible(None).is_empty());

    // The guest group is every reader's: anonymous readers get what it grants, on its level.
    s.site.ok(&[
        "groups", "add", "guest", "--source", source, "--levels", "wijk",
    ]);
    eventually("the guest group reaches the server", || {
        visible(None) == by_source
    });
    let code = by_source.iter().next().unwrap();
    let wijk = s.get(&format!("/api/v1/data?indicator={code}&level=wijk"));
    assert!(!data_rows(&wijk).is_empty());
    assert!(data_rows(&s.get(&format!("/api/v1/data?indicator={code}&level=gemeente"))).is_empty());
}

#[test]
fn groups_cli_round_trip() {
    let site = Site::demo();
    let out = site.ok(&[
        "groups",
        "add",
        "wijkteam",
        "--description",
        "Wijkwerkers",
        "--indicators",
        "v_leefloon,v_won_leeg",
        "--levels",
        "wijk",
        "--periods",
        "2015:2024",
    ]);
    assert!(out.contains("added"), "{out}");
    assert!(site.ok(&["groups", "list"]).contains("wijkteam"));
    let show = site.ok(&["groups", "show", "wijkteam"]);
    for want in [
        "Wijkwerkers",
        "v_leefloon, v_won_leeg",
        "levels:      wijk",
        "periods:     2015:2024",
        "dim levels:  all",
    ] {
        assert!(show.contains(want), "{want} in {show}");
    }
    // Bad input is refused with what was expected.
    let bad = site.run(&["groups", "add", "x", "--periods", "2024:2015"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("FROM:TO"));
    let typo = site.run(&["groups", "add", "x", "--levels", "wjik"]);
    assert!(!typo.status.success());
    let err = String::from_utf8_lossy(&typo.stderr);
    assert!(
        err.contains("unknown geo level 'wjik'") && err.contains("wijk"),
        "{err}"
    );
    assert!(!site.ok(&["groups", "list"]).contains("x "));
    // Keys: unknown groups are refused once groups exist; roles and metadata groups are not.
    let unknown = site.run(&["keys", "create", "--name", "k", "--groups", "nobody"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown access group 'nobody'"));
    site.ok(&[
        "keys",
        "create",
        "--name",
        "k",
        "--groups",
        "wijkteam,stadsdiensten,reports",
    ]);
    // A group in use is not removed.
    let busy = site.run(&["groups", "remove", "wijkteam"]);
    assert!(!busy.status.success());
    assert!(String::from_utf8_lossy(&busy.stderr).contains("revoke"));
    site.ok(&["keys", "revoke", "1"]);
    // Users: the same check of group names, and a user in a group keeps it too.
    let unknown = site.run(&[
        "users", "add", "an", "--role", "viewer", "--groups", "nobody",
    ]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown access group 'nobody'"));
    site.ok(&[
        "users", "add", "an", "--role", "viewer", "--groups", "wijkteam",
    ]);
    let busy = site.run(&["groups", "remove", "wijkteam"]);
    assert!(!busy.status.success());
    assert!(String::from_utf8_lossy(&busy.stderr).contains("user(s) an"));
    site.ok(&["users", "disable", "an"]);
    assert!(
        site.ok(&["groups", "remove", "wijkteam"])
            .contains("removed")
    );
    assert!(!site.run(&["groups", "show", "wijkteam"]).status.success());
}
