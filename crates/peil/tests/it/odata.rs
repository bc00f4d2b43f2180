//! Swing compatibility on the demo city, over real HTTP against `peil serve`: the OData v4
//! service under both of its names (every path real clients call, `$metadata`, query
//! options, server-driven paging), the selection table, restricted indicators staying
//! invisible, and the real `stadincijfers` Python client.

use crate::common::*;
use serde_json::Value as J;
use std::collections::{BTreeSet, HashMap};

const JIVE: &str = "/jiveservices/odata/";
const VIEWER: &str = "/viewerservices/odata/";
/// The demo's restricted indicators (access group `stadsdiensten`).
const RESTRICTED: [&str; 4] = ["v_leefloon", "vp_leefloon", "v_won_leeg", "vp_leegstand"];

/// GET that must answer 200 with JSON.
fn ok(s: &Server, path: &str) -> J {
    let r = s.get(path);
    assert_eq!(r.status, 200, "GET {path}: {}", r.body);
    r.json()
}

fn values(j: &J) -> &Vec<J> {
    j["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value array: {j}"))
}

fn codes(j: &J) -> Vec<String> {
    values(j)
        .iter()
        .map(|e| e["ExternalCode"].as_str().unwrap().to_string())
        .collect()
}

/// Follows `@odata.nextLink` to the end; returns every entity and the number of pages.
fn all_pages(s: &Server, path: &str, headers: &[(&str, &str)]) -> (Vec<J>, usize) {
    let mut out = Vec::new();
    let mut next = Some(path.to_string());
    let mut pages = 0;
    while let Some(p) = next.take() {
        let r = s.get_with(&p, headers);
        assert_eq!(r.status, 200, "GET {p}: {}", r.body);
        let j = r.json();
        out.extend(values(&j).iter().cloned());
        pages += 1;
        assert!(pages < 1000, "paging does not end");
        if let Some(link) = j["@odata.nextLink"].as_str() {
            let rest = link
                .strip_prefix(&s.base)
                .unwrap_or_else(|| panic!("nextLink {link} is not absolute on {}", s.base));
            next = Some(rest.to_string());
        }
    }
    (out, pages)
}

/// A problem-details answer with this status whose message names `needle`.
fn problem(s: &Server, path: &str, status: u16, needle: &str) -> String {
    let r = s.get(path);
    assert_eq!(r.status, status, "GET {path}: {}", r.body);
    assert_eq!(
        r.headers["content-type"], "application/problem+json",
        "GET {path}"
    );
    let j = r.json();
    let detail = j["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains(needle),
        "GET {path}: '{detail}' does not name '{needle}'"
    );
    assert_eq!(j["status"], status);
    assert_eq!(
        j["error"]["message"], detail,
        "OData clients read error.message"
    );
    detail
}

/// Public indicators and their data sources, read from the published live copy.
fn published(s: &Server) -> (BTreeSet<String>, BTreeSet<String>) {
    let store = s.site.open_store();
    let live = store.live().unwrap().unwrap();
    let public: Vec<_> = live
        .indicators
        .iter()
        .filter(|i| i.visibility == peil_core::Visibility::Public)
        .collect();
    (
        public.iter().map(|i| i.code.clone()).collect(),
        public
            .iter()
            .map(|i| i.source.clone())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// A `$filter` as a query component: a percent sign is `%25` (a bare `%` is a 400).
fn url(path: &str) -> String {
    path.replace('%', "%25")
        .replace(' ', "%20")
        .replace('\'', "%27")
}

#[test]
fn odata_serves_every_swing_path_under_both_names_and_metadata() {
    let s = Server::demo();
    let mut bodies: Vec<String> = Vec::new();

    // Service document and $metadata, under both names.
    for root in [JIVE, VIEWER, "/jiveservices/odata"] {
        let doc = ok(&s, root);
        let ctx = doc["@odata.context"].as_str().unwrap();
        assert!(
            ctx.starts_with(&s.base) && ctx.ends_with("/odata/$metadata"),
            "{ctx}"
        );
        let sets: Vec<&str> = values(&doc)
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        for want in [
            "GeoLevels",
            "PeriodLevels",
            "Periods",
            "DataSources",
            "Variables",
            "CubeVariables",
            "Dimensions",
        ] {
            assert!(sets.contains(&want), "{want} missing from {sets:?}");
        }
    }
    let meta = s.get(&format!("{JIVE}$metadata"));
    assert_eq!(meta.status, 200);
    assert!(meta.headers["content-type"].starts_with("application/xml"));
    assert_eq!(meta.headers["odata-version"], "4.0");
    assert_eq!(meta.body, s.get(&format!("{VIEWER}$metadata")).body);
    let csdl = parse_csdl(&meta.body);
    let expected_types: &[(&str, &[&str], &[&str])] = &[
        (
            "GeoLevel",
            &["ExternalCode", "Name"],
            &["GeoItems", "PeriodLevels"],
        ),
        ("GeoItem", &["ExternalCode", "Name"], &[]),
        ("PeriodLevel", &["ExternalCode", "Name"], &["Periods"]),
        ("Period", &["ExternalCode", "Name", "FullName"], &["Values"]),
        (
            "Variable",
            &["ExternalCode", "Name"],
            &["GeoLevels", "Dimensions", "DimLevels"],
        ),
        ("Value", &["ExternalCode", "Name", "ValueString"], &[]),
        ("DataSource", &["ExternalCode", "Name"], &[]),
        ("Dimension", &["ExternalCode", "Name"], &["DimLevels"]),
        ("DimLevel", &["ExternalCode", "Name"], &["DimMembers"]),
        ("DimMember", &["ExternalCode", "Name"], &[]),
    ];
    for (t, props, navs) in expected_types {
        let et = csdl
            .types
            .get(*t)
            .unwrap_or_else(|| panic!("no EntityType {t}"));
        assert_eq!(et.key, vec!["ExternalCode"], "{t} key");
        for p in *props {
            assert!(et.props.contains(&p.to_string()), "{t}.{p}");
        }
        for n in *navs {
            assert!(et.navs.contains(&n.to_string()), "{t} nav {n}");
        }
    }
    for (set, t) in [
        ("GeoLevels", "GeoLevel"),
        ("PeriodLevels", "PeriodLevel"),
        ("Periods", "Period"),
        ("DataSources", "DataSource"),
        ("Variables", "Variable"),
        ("CubeVariables", "Variable"),
        ("Dimensions", "Dimension"),
    ] {
        assert_eq!(
            csdl.sets.get(set).map(String::as_str),
            Some(format!("Peil.{t}").as_str()),
            "{set}"
        );
    }

    // Every path Swing's clients call: (path, entity type, codes that must be there, exact count).
    let v = "Variables('v1101_t')";
    let cases: Vec<(String, &str, Vec<&str>, Option<usize>)> = vec![
        ("GeoLevels".into(), "GeoLevel", vec!["statsec", "wijk", "district", "gemeente", "gewest"], Some(5)),
        ("PeriodLevels".into(), "PeriodLevel", vec!["year", "halfyear", "quarter", "month"], Some(4)),
        ("Periods".into(), "Period", vec!["2013", "2025", "2019H1", "2019Q3"], None),
        ("DataSources".into(), "DataSource", vec!["Rijksregister", "Fluvius"], None),
        ("Variables?$skip=10".into(), "Variable", vec![], None),
        (v.into(), "Variable", vec!["v1101_t"], Some(1)),
        (format!("{v}/GeoLevels"), "GeoLevel", vec!["statsec", "wijk", "gemeente"], Some(5)),
        ("GeoLevels('wijk')/GeoItems".into(), "GeoItem", vec!["4699901", "46999WONB"], Some(41)),
        ("GeoLevels('statsec')/GeoItems".into(), "GeoItem", vec!["46999A00-", "46999ZZZZ"], Some(251)),
        (format!("{v}/GeoLevels('wijk')/GeoItems"), "GeoItem", vec!["4699901"], Some(41)),
        (format!("{v}/GeoLevels('wijk')/PeriodLevels"), "PeriodLevel", vec!["year"], Some(1)),
        ("Variables('v_bouwverg_won')/GeoLevels('gemeente')/PeriodLevels".into(), "PeriodLevel", vec!["year", "quarter"], None),
        ("PeriodLevels('year')/Periods".into(), "Period", vec!["2013", "2025"], None),
        ("PeriodLevels('quarter')/Periods".into(), "Period", vec!["2016Q4", "2019Q1"], None),
        (format!("{v}/GeoLevels('wijk')/PeriodLevels('year')/Periods"), "Period", vec!["2013", "2019", "2025"], Some(13)),
        (format!("{v}/GeoLevels('wijk')/PeriodLevels('year')/Periods('2019')"), "Period", vec!["2019"], Some(1)),
        (format!("{v}/GeoLevels('wijk')/PeriodLevels('year')/Periods('mrp')"), "Period", vec!["2025"], Some(1)),
        (format!("{v}/GeoLevels('wijk')/PeriodLevels('year')/Periods('2019')/Values"), "Value", vec!["4699901"], Some(41)),
        (format!("{v}/GeoLevels('wijk')/PeriodLevels('year')/Periods('mrp')/Values"), "Value", vec!["4699901"], Some(41)),
        ("Variables('v_elek_hh')/GeoLevels('statsec')/PeriodLevels('year')/Periods('2019')/Values".into(), "Value", vec!["46999A00-"], Some(251)),
        ("CubeVariables".into(), "Variable", vec!["kubus_bevolking"], Some(1)),
        ("CubeVariables('kubus_bevolking')/Dimensions".into(), "Dimension", vec!["leeftijd5", "geslacht"], Some(2)),
        ("CubeVariables('kubus_bevolking')/DimLevels".into(), "DimLevel", vec!["leeftijd5", "leeftijd3", "geslacht"], Some(3)),
        ("CubeVariables('kubus_bevolking')/DimLevels('leeftijd5')/DimMembers".into(), "DimMember", vec!["0-4", "95+"], Some(20)),
        ("CubeVariables('kubus_bevolking')/DimLevels('leeftijd3')/DimMembers".into(), "DimMember", vec!["0-19", "20-64", "65+"], Some(3)),
        ("CubeVariables('kubus_bevolking')/DimLevels('geslacht')/DimMembers".into(), "DimMember", vec!["m", "v"], Some(2)),
        ("Dimensions".into(), "Dimension", vec!["leeftijd5", "geslacht"], Some(2)),
        ("Dimensions('leeftijd5')/DimLevels".into(), "DimLevel", vec!["leeftijd5", "leeftijd3"], Some(2)),
        ("Dimensions('geslacht')/DimLevels('geslacht')/DimMembers".into(), "DimMember", vec!["m", "v"], Some(2)),
        ("DataSources('Rijksregister')/Variables".into(), "Variable", vec!["v1101_t"], None),
    ];
    for (path, ty, must, n) in &cases {
        let jive = s.get(&format!("{JIVE}{}", url(path)));
        assert_eq!(jive.status, 200, "{path}: {}", jive.body);
        assert_eq!(jive.headers["odata-version"], "4.0", "{path}");
        let viewer = s.get(&format!("{VIEWER}{}", url(path)));
        assert_eq!(
            jive.body,
            viewer.body.replace(VIEWER, JIVE),
            "{path}: both service names answer the same"
        );
        let j = jive.json();
        let ctx = j["@odata.context"].as_str().unwrap();
        assert!(
            ctx.starts_with(&format!("{}{JIVE}$metadata#", s.base)),
            "{path}: context {ctx}"
        );
        // A single entity is answered flat; a collection in "value".
        let entities: Vec<J> = if j.get("value").is_some() {
            values(&j).clone()
        } else {
            assert!(ctx.ends_with("/$entity"), "{path}: {ctx}");
            vec![j.clone()]
        };
        let props = &csdl.types[*ty].props;
        let found: Vec<&str> = entities
            .iter()
            .map(|e| e["ExternalCode"].as_str().unwrap())
            .collect();
        for e in &entities {
            assert!(
                e["ExternalCode"].is_string() && e["Name"].is_string(),
                "{path}: {e}"
            );
            for (k, _) in e.as_object().unwrap() {
                assert!(
                    k.starts_with('@') || props.contains(k),
                    "{path}: {k} is not a property of {ty}"
                );
            }
            if *ty == "Period" {
                assert!(e["FullName"].is_string(), "{path}: {e}");
            }
            if *ty == "Value" {
                assert!(e["ValueString"].is_string(), "{path}: {e}");
            }
        }
        for m in must {
            assert!(found.contains(m), "{path}: {m} missing from {found:?}");
        }
        if let Some(n) = n {
            assert_eq!(entities.len(), *n, "{path}: {found:?}");
        }
        let unique: BTreeSet<&&str> = found.iter().collect();
        assert_eq!(unique.len(), found.len(), "{path}: duplicate codes");
        bodies.push(jive.body);
    }

    // Details that clients rely on.
    let q3 = ok(
        &s,
        &url(&format!("{JIVE}PeriodLevels('quarter')/Periods('2019Q3')")),
    );
    assert_eq!(q3["FullName"], "3e kwartaal 2019");
    assert_eq!(q3["StartDate"], "2019-07-01");
    assert_eq!(q3["EndDate"], "2019-09-30");
    let members = codes(&ok(
        &s,
        &url(&format!(
            "{JIVE}CubeVariables('kubus_bevolking')/DimLevels('leeftijd5')/DimMembers"
        )),
    ));
    assert_eq!(
        members[..3],
        ["0-4", "5-9", "10-14"],
        "members in counting order"
    );
    let levels = codes(&ok(&s, &format!("{JIVE}GeoLevels")));
    assert_eq!(
        levels,
        ["statsec", "wijk", "district", "gemeente", "gewest"],
        "finest first"
    );
    let mrp = ok(
        &s,
        &url(&format!(
            "{JIVE}{v}/GeoLevels('gemeente')/PeriodLevels('year')/Periods('mrp')/Values"
        )),
    );
    assert_eq!(values(&mrp)[0]["Period"], "2025");
    let formula = ok(&s, &url(&format!("{JIVE}Variables('vp_65p')")));
    assert!(
        formula["StartPeriod"].is_string(),
        "a formula's periods come from its data: {formula}"
    );

    // ValueString: numbers with '.', missing codes as their symbols, equal to the live export.
    let export = s
        .site
        .ok(&["export", "--live", "--level", "statsec", "--period", "2019"]);
    let mut want: HashMap<String, String> = HashMap::new();
    let mut rdr = csv::Reader::from_reader(export.as_bytes());
    for r in rdr.records() {
        let r = r.unwrap();
        if &r[0] == "v_elek_hh" && r[5].is_empty() {
            want.insert(r[2].to_string(), r[4].to_string());
        }
    }
    let vals = ok(
        &s,
        &url(&format!(
            "{JIVE}Variables('v_elek_hh')/GeoLevels('statsec')/PeriodLevels('year')/Periods('2019')/Values"
        )),
    );
    let mut symbols = BTreeSet::new();
    for e in values(&vals) {
        let code = e["ExternalCode"].as_str().unwrap();
        let vs = e["ValueString"].as_str().unwrap();
        assert_eq!(Some(vs), want.get(code).map(String::as_str), "{code}");
        match vs.parse::<f64>() {
            Ok(x) => {
                assert!(!vs.contains(','), "{vs}");
                // serde_json (without float_roundtrip) may parse one ulp off
                let v = e["Value"].as_f64().unwrap();
                assert!((v - x).abs() <= x.abs() * 1e-15, "{e}");
            }
            Err(_) => {
                assert!(["?", "x", "nvt", "-"].contains(&vs), "{vs}");
                assert!(e["Value"].is_null(), "{e}");
                symbols.insert(vs.to_string());
            }
        }
    }
    assert_eq!(
        symbols,
        ["?", "nvt", "x"].iter().map(|x| x.to_string()).collect(),
        "the demo's 2019 electricity series has unknown, not-applicable and hidden cells"
    );

    // Unknown sets, keys and navigation: 404 with suggestions.
    for (path, needle) in [
        ("GeoLevelz", "did you mean GeoLevels"),
        ("Variables('v1101_x')", "did you mean v1101_m, v1101_t"),
        (
            "GeoLevels('wijkk')",
            "no geo level 'wijkk'; did you mean wijk",
        ),
        ("GeoLevels('wijk')/GeoItems('nope')", "no geo item 'nope'"),
        ("Variables('v1101_t')/Foo", "no navigation property 'Foo'"),
        (
            "Variables('v1101_t')/GeoLevels('wijk')/PeriodLevels('quarter')",
            "period level",
        ),
        (
            "Variables('v1101_t')/GeoLevels('wijk')/PeriodLevels('year')/Periods('1999')/Values",
            "no period with data of this variable '1999'",
        ),
        (
            "CubeVariables('v1101_t')/Dimensions",
            "no cube variable 'v1101_t'",
        ),
        (
            "CubeVariables('kubus_bevolking')/DimLevels('leeftijd9')/DimMembers",
            "no dim level 'leeftijd9'; did you mean",
        ),
        (
            "Periods('2019')/Values",
            "values are reached through a variable",
        ),
        ("Variables/GeoLevels", "pick one first"),
    ] {
        problem(&s, &format!("{JIVE}{}", url(path)), 404, needle);
    }
    problem(
        &s,
        &url(&format!("{JIVE}Variables('v1101_t)")),
        400,
        "no closing quote",
    );
    problem(
        &s,
        &url(&format!("{JIVE}Variables('v1101_t'")),
        400,
        "a key is written Name('code')",
    );

    // Restricted indicators are invisible everywhere, and answer exactly like unknown codes.
    let (public, sources) = published(&s);
    let (all_vars, _) = all_pages(&s, &format!("{JIVE}Variables"), &[]);
    let listed: BTreeSet<String> = all_vars
        .iter()
        .map(|e| e["ExternalCode"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, public);
    assert_eq!(
        s.get(&format!("{JIVE}Variables/$count")).body,
        public.len().to_string()
    );
    let listed_sources: BTreeSet<String> = codes(&ok(&s, &format!("{JIVE}DataSources")))
        .into_iter()
        .collect();
    assert_eq!(listed_sources, sources);
    assert!(
        !listed_sources.contains("POD Maatschappelijke Integratie"),
        "the source of v_leefloon only"
    );
    for code in RESTRICTED {
        assert!(!listed.contains(code));
        // The same answer as for an unknown code: the code, then at most public suggestions.
        let hidden = problem(&s, &url(&format!("{JIVE}Variables('{code}')")), 404, code);
        let unknown = problem(
            &s,
            &url(&format!("{JIVE}Variables('zz_unknown_code')")),
            404,
            "zz_unknown_code",
        );
        assert_eq!(unknown, "no variable 'zz_unknown_code'");
        let rest = hidden
            .strip_prefix(&format!("no variable '{code}'"))
            .unwrap_or_else(|| panic!("{hidden}"));
        if let Some(list) = rest
            .strip_prefix("; did you mean ")
            .and_then(|r| r.strip_suffix('?'))
        {
            assert!(list.split(", ").all(|c| public.contains(c)), "{hidden}");
        } else {
            assert_eq!(rest, "", "{hidden}");
        }
        for tail in [
            "/GeoLevels",
            "/GeoLevels('wijk')/GeoItems",
            "/GeoLevels('wijk')/PeriodLevels('year')/Periods('mrp')/Values",
        ] {
            problem(
                &s,
                &url(&format!("{JIVE}Variables('{code}'){tail}")),
                404,
                code,
            );
            problem(
                &s,
                &url(&format!("{VIEWER}Variables('{code}'){tail}")),
                404,
                code,
            );
        }
        problem(
            &s,
            &url(&format!("{JIVE}CubeVariables('{code}')/Dimensions")),
            404,
            code,
        );
        problem(
            &s,
            &format!("/jive/selectiontableasjson.ashx?var={code}"),
            404,
            code,
        );
    }
    for f in [
        "contains(ExternalCode,'leef')",
        "contains(Name,'eefloon') or contains(Name,'eegstand')",
    ] {
        let j = ok(
            &s,
            &url(&format!("{JIVE}Variables?$filter={f}&$count=true")),
        );
        assert_eq!(j["@odata.count"], 0, "{f}");
    }
    bodies.push(ok(&s, &format!("{JIVE}Variables?$top=1000")).to_string());
    bodies.push(s.get(&url(&format!("{JIVE}Variables('v_leefloo')"))).body);
    bodies.push(ok(&s, &format!("{JIVE}Periods")).to_string());
    for b in &bodies {
        let lower = b.to_lowercase();
        assert!(
            !lower.contains("leefloon") && !lower.contains("leegstand"),
            "restricted data leaked: {}",
            &b[..b.len().min(300)]
        );
    }
}

struct Csdl {
    types: HashMap<String, EntityTypeDef>,
    sets: HashMap<String, String>,
}

#[derive(Default)]
struct EntityTypeDef {
    key: Vec<String>,
    props: Vec<String>,
    navs: Vec<String>,
}

/// Parses CSDL with quick-xml, checking well-formedness (every element closed in order).
fn parse_csdl(xml: &str) -> Csdl {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(xml);
    r.config_mut().trim_text(true);
    let mut stack: Vec<String> = Vec::new();
    let mut out = Csdl {
        types: HashMap::new(),
        sets: HashMap::new(),
    };
    let mut current: Option<String> = None;
    let mut roots = 0;
    loop {
        let ev = r
            .read_event()
            .unwrap_or_else(|e| panic!("$metadata is not well-formed XML: {e}"));
        let (e, empty) = match ev {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                let name = e.name().as_ref().to_string();
                assert_eq!(
                    stack.pop().as_deref(),
                    Some(name.as_str()),
                    "mismatched </{name}>"
                );
                if name == "EntityType" {
                    current = None;
                }
                continue;
            }
            Event::Eof => break,
            Event::Text(t) => {
                assert!(
                    t.as_ref().chars().all(|c| c.is_whitespace()),
                    "stray text in CSDL"
                );
                continue;
            }
            _ => continue,
        };
        let name = e.name().as_ref().to_string();
        if stack.is_empty() {
            roots += 1;
            assert_eq!(name, "edmx:Edmx");
        }
        let attrs: HashMap<String, String> = e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (a.key.as_ref().to_string(), a.value.to_string())
            })
            .collect();
        match name.as_str() {
            "edmx:Edmx" => assert_eq!(attrs["Version"], "4.0"),
            "Schema" => assert_eq!(attrs["xmlns"], "http://docs.oasis-open.org/odata/ns/edm"),
            "EntityType" => {
                current = Some(attrs["Name"].clone());
                out.types
                    .insert(attrs["Name"].clone(), EntityTypeDef::default());
            }
            "PropertyRef" => out
                .types
                .get_mut(current.as_ref().unwrap())
                .unwrap()
                .key
                .push(attrs["Name"].clone()),
            "Property" => {
                assert!(attrs["Type"].starts_with("Edm."), "{attrs:?}");
                out.types
                    .get_mut(current.as_ref().unwrap())
                    .unwrap()
                    .props
                    .push(attrs["Name"].clone())
            }
            "NavigationProperty" => {
                assert!(attrs["Type"].starts_with("Collection(Peil."), "{attrs:?}");
                out.types
                    .get_mut(current.as_ref().unwrap())
                    .unwrap()
                    .navs
                    .push(attrs["Name"].clone())
            }
            "EntitySet" => {
                out.sets
                    .insert(attrs["Name"].clone(), attrs["EntityType"].clone());
            }
            _ => {}
        }
        if !empty {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    assert_eq!(roots, 1);
    // Every navigation property points at a declared type.
    for (t, d) in &out.types {
        assert!(d.props.contains(&"ExternalCode".to_string()), "{t}");
    }
    for set_type in out.sets.values() {
        assert!(
            out.types.contains_key(set_type.trim_start_matches("Peil.")),
            "{set_type}"
        );
    }
    out
}

#[test]
fn odata_query_options_and_server_driven_paging() {
    let s = Server::demo();
    let (public, _) = published(&s);

    // Variables are paged by the server; following nextLink yields each public one once.
    let first = ok(&s, &format!("{JIVE}Variables"));
    assert_eq!(values(&first).len(), 50);
    let link = first["@odata.nextLink"].as_str().unwrap();
    assert_eq!(link, format!("{}{JIVE}Variables?$skip=50", s.base));
    let (vars, pages) = all_pages(&s, &format!("{JIVE}Variables"), &[]);
    assert_eq!(pages, public.len().div_ceil(50));
    let got: Vec<String> = vars
        .iter()
        .map(|e| e["ExternalCode"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(got, sorted, "variables in code order");
    assert_eq!(got.iter().cloned().collect::<BTreeSet<_>>(), public);
    // The client's own stepping ($skip by 10) sees the same.
    let mut stepped = BTreeSet::new();
    for skip in (0..).step_by(10) {
        let j = ok(&s, &format!("{JIVE}Variables?$skip={skip}"));
        if values(&j).is_empty() {
            break;
        }
        stepped.extend(codes(&j));
    }
    assert_eq!(stepped, public);

    // Prefer: odata.maxpagesize, with $filter, $count and $top kept across pages.
    let statsec = format!("{JIVE}{}", url("GeoLevels('statsec')/GeoItems"));
    let whole = ok(&s, &statsec);
    assert_eq!(values(&whole).len(), 251);
    assert!(whole.get("@odata.nextLink").is_none());
    let prefer = [("Prefer", "odata.maxpagesize=100")];
    let r = s.get_with(&statsec, &prefer);
    assert_eq!(r.headers["preference-applied"], "odata.maxpagesize=100");
    let (paged, pages) = all_pages(&s, &statsec, &prefer);
    assert_eq!((pages, &paged), (3, values(&whole)));
    let (top, pages) = all_pages(
        &s,
        &format!("{statsec}?$top=120&$skip=5"),
        &[("Prefer", "odata.maxpagesize=50")],
    );
    assert_eq!(pages, 3);
    assert_eq!(&top, &values(&whole)[5..125]);
    let filtered = format!(
        "{JIVE}{}",
        url(
            "Variables('v_elek_hh')/GeoLevels('statsec')/PeriodLevels('year')/Periods('2019')/Values?$filter=Value ne null and Value gt 1000&$count=true&$orderby=Value desc"
        )
    );
    let p1 = s
        .get_with(&filtered, &[("Prefer", "odata.maxpagesize=40")])
        .json();
    let total = p1["@odata.count"].as_u64().unwrap() as usize;
    assert!(total > 40, "{total}");
    let next = p1["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.contains("filter") && next.contains("orderby") && next.contains("$skip=40"),
        "{next}"
    );
    let (rows, _) = all_pages(&s, &filtered, &[("Prefer", "odata.maxpagesize=40")]);
    assert_eq!(rows.len(), total);
    let nums: Vec<f64> = rows.iter().map(|e| e["Value"].as_f64().unwrap()).collect();
    assert!(nums.windows(2).all(|w| w[0] >= w[1]) && nums.iter().all(|x| *x > 1000.0));

    // $top, $skip, $count, $select, $orderby on a small set.
    let levels = codes(&ok(&s, &format!("{JIVE}GeoLevels")));
    assert_eq!(
        codes(&ok(&s, &format!("{JIVE}GeoLevels?$top=2"))),
        levels[..2]
    );
    assert_eq!(
        codes(&ok(&s, &format!("{JIVE}GeoLevels?$skip=3"))),
        levels[3..]
    );
    assert_eq!(
        codes(&ok(&s, &format!("{JIVE}GeoLevels?$skip=1&$top=2"))),
        levels[1..3]
    );
    assert!(values(&ok(&s, &format!("{JIVE}GeoLevels?$skip=99"))).is_empty());
    assert!(values(&ok(&s, &format!("{JIVE}GeoLevels?$top=0"))).is_empty());
    let counted = ok(&s, &format!("{JIVE}GeoLevels?$count=true&$top=1"));
    assert_eq!(counted["@odata.count"], 5);
    assert!(
        ok(&s, &format!("{JIVE}GeoLevels?$count=false"))
            .get("@odata.count")
            .is_none()
    );
    let sel = ok(
        &s,
        &format!("{JIVE}GeoLevels?$select=ExternalCode,ItemCount"),
    );
    assert!(
        sel["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("#GeoLevels(ExternalCode,ItemCount)")
    );
    for e in values(&sel) {
        let keys: BTreeSet<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["ExternalCode", "ItemCount"]));
    }
    let one = ok(
        &s,
        &url(&format!("{JIVE}Variables('v1101_t')?$select=Name")),
    );
    assert_eq!(one.as_object().unwrap().len(), 2, "{one}");
    assert_eq!(one["Name"], "Inwoners");
    let by_name = ok(&s, &format!("{JIVE}GeoLevels?$orderby=Name%20desc"));
    let names: Vec<&str> = values(&by_name)
        .iter()
        .map(|e| e["Name"].as_str().unwrap())
        .collect();
    let mut want = names.clone();
    want.sort_by(|a, b| b.cmp(a));
    assert_eq!(names, want);
    let two_keys = ok(
        &s,
        &format!("{JIVE}GeoLevels?$orderby=ItemCount%20asc,ExternalCode%20desc"),
    );
    assert_eq!(
        codes(&two_keys),
        ["gewest", "gemeente", "district", "wijk", "statsec"]
    );
    let items = ok(
        &s,
        &url(&format!(
            "{JIVE}GeoLevels('wijk')/GeoItems?$orderby=Sequence desc&$top=1"
        )),
    );
    assert_eq!(values(&items)[0]["Sequence"], 41);

    // $filter, data-driven: each filter against the same predicate evaluated here.
    type Pred = fn(&J) -> bool;
    let var_filters: Vec<(&str, Pred)> = vec![
        ("DataType eq 'percentage'", |e| {
            e["DataType"] == "percentage"
        }),
        ("DataType ne 'numeric' and IsCube eq false", |e| {
            e["DataType"] != "numeric" && e["IsCube"] == false
        }),
        (
            "contains(Name,'inwoners') or startswith(ExternalCode,'vs_')",
            |e| {
                e["Name"].as_str().unwrap().contains("inwoners")
                    || e["ExternalCode"].as_str().unwrap().starts_with("vs_")
            },
        ),
        ("not (Decimals gt 0)", |e| {
            e["Decimals"].as_i64().is_none_or(|d| d <= 0)
        }),
        (
            "(startswith(ExternalCode,'v1101') or endswith(ExternalCode,'_n')) and Decimals eq 0",
            |e| {
                let c = e["ExternalCode"].as_str().unwrap();
                (c.starts_with("v1101") || c.ends_with("_n")) && e["Decimals"] == 0
            },
        ),
        ("StartPeriod le '2015' and EndPeriod ge '2025'", |e| {
            e["StartPeriod"].as_str().is_some_and(|p| p <= "2015")
                && e["EndPeriod"].as_str().is_some_and(|p| p >= "2025")
        }),
        ("tolower(DataSource) eq 'rijksregister'", |e| {
            e["DataSource"] == "Rijksregister"
        }),
        ("IsCube", |e| e["IsCube"] == true),
        ("Description eq null", |e| e["Description"].is_null()),
        ("Unit eq '%' or Unit eq 'EUR'", |e| {
            e["Unit"] == "%" || e["Unit"] == "EUR"
        }),
        (
            "length(ExternalCode) lt 8 and not contains(ExternalCode, '_')",
            |e| {
                let c = e["ExternalCode"].as_str().unwrap();
                c.chars().count() < 8 && !c.contains('_')
            },
        ),
    ];
    for (f, pred) in &var_filters {
        let want: Vec<String> = vars
            .iter()
            .filter(|e| pred(e))
            .map(|e| e["ExternalCode"].as_str().unwrap().to_string())
            .collect();
        let (got, _) = all_pages(&s, &format!("{JIVE}Variables?$filter={}", url(f)), &[]);
        let got: Vec<String> = got
            .iter()
            .map(|e| e["ExternalCode"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, want, "$filter={f}");
        let n = ok(
            &s,
            &format!("{JIVE}Variables?$count=true&$top=0&$filter={}", url(f)),
        );
        assert_eq!(n["@odata.count"], want.len(), "$filter={f}");
        assert_eq!(
            s.get(&format!("{JIVE}Variables/$count?$filter={}", url(f)))
                .body,
            want.len().to_string()
        );
    }
    assert!(var_filters.iter().all(|(f, _)| !f.is_empty()));
    let item_filters: Vec<(&str, Pred)> = vec![
        ("Sequence ge 10 and Sequence lt 20", |e| {
            (10..20).contains(&e["Sequence"].as_i64().unwrap())
        }),
        ("UnknownLocation eq true", |e| e["UnknownLocation"] == true),
        (
            "startswith(ExternalCode,'46999B') or ExternalCode eq '46999ZZZZ'",
            |e| {
                let c = e["ExternalCode"].as_str().unwrap();
                c.starts_with("46999B") || c == "46999ZZZZ"
            },
        ),
        ("ShortName gt 'V'", |e| {
            e["ShortName"].as_str().unwrap() > "V"
        }),
    ];
    for (f, pred) in &item_filters {
        let want: Vec<&J> = values(&whole).iter().filter(|e| pred(e)).collect();
        let got = ok(&s, &format!("{statsec}?$filter={}", url(f)));
        assert_eq!(values(&got).iter().collect::<Vec<_>>(), want, "$filter={f}");
        assert!(!want.is_empty(), "$filter={f} selects nothing in the demo");
    }
    let values_path = format!(
        "{JIVE}{}",
        url(
            "Variables('v_elek_hh')/GeoLevels('statsec')/PeriodLevels('year')/Periods('2019')/Values"
        )
    );
    let all_values = ok(&s, &values_path);
    for (f, pred) in [
        (
            "ValueString eq 'x'",
            (|e: &J| e["ValueString"] == "x") as Pred,
        ),
        ("Value eq null and ValueString ne 'x'", |e| {
            e["Value"].is_null() && e["ValueString"] != "x"
        }),
        ("Value ge 2000.5 or ValueString eq '?'", |e| {
            e["Value"].as_f64().is_some_and(|v| v >= 2000.5) || e["ValueString"] == "?"
        }),
    ] {
        let want: Vec<&J> = values(&all_values).iter().filter(|e| pred(e)).collect();
        let got = ok(&s, &format!("{values_path}?$filter={}", url(f)));
        assert_eq!(values(&got).iter().collect::<Vec<_>>(), want, "$filter={f}");
        assert!(!want.is_empty(), "$filter={f}");
    }

    // Invalid options: 400 problem details naming the problem.
    for (q, needle) in [
        ("$top=-1", "$top"),
        ("$top=abc", "$top"),
        ("$skip=x", "$skip"),
        ("$count=yes", "$count"),
        ("$select=Foo", "no property 'Foo'"),
        ("$orderby=Name sideways", "asc or desc"),
        ("$orderby=Bogus", "no property 'Bogus'"),
        ("$filter=Name eq", "$filter"),
        ("$filter=Nmae eq 'x'", "unknown property 'Nmae'"),
        ("$filter=ExternalCode eq 46999", "quote the value: '46999'"),
        ("$filter=Name eq 'x' or", "$filter"),
        ("$filter=(Name eq 'x'", "expected ')'"),
        ("$filter=contains(Name)", "contains() takes 2"),
        ("$filter=Name", "must be a condition"),
        ("$filter=ItemCount gt 'x'", "cannot compare"),
        ("$expand=GeoItems", "$expand"),
        ("$format=xml", "$format"),
        ("$top=1&$top=2", "more than once"),
    ] {
        problem(&s, &format!("{JIVE}GeoLevels?{}", url(q)), 400, needle);
    }
}

#[test]
fn selection_table_has_swing_shape_and_odata_values() {
    let s = Server::demo();
    let st = |q: &str| ok(&s, &format!("/jive/selectiontableasjson.ashx?{q}"));
    let rows = |j: &J| -> Vec<Vec<String>> {
        j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().expect("cells are strings").to_string())
                    .collect()
            })
            .collect()
    };
    let odata = |var: &str, level: &str, pl: &str, p: &str| -> Vec<(String, String, String)> {
        let j = ok(
            &s,
            &url(&format!(
                "{JIVE}Variables('{var}')/GeoLevels('{level}')/PeriodLevels('{pl}')/Periods('{p}')/Values"
            )),
        );
        values(&j)
            .iter()
            .map(|e| {
                (
                    e["Name"].as_str().unwrap().to_string(),
                    e["Period"].as_str().unwrap().to_string(),
                    e["ValueString"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let as_rows = |v: Vec<(String, String, String)>| -> Vec<Vec<String>> {
        v.into_iter().map(|(a, b, c)| vec![a, b, c]).collect()
    };

    // Shape, and the same values as OData for whole levels, including missing codes.
    for (var, level, period) in [
        ("v1101_t", "wijk", "2019"),
        ("v_elek_hh", "statsec", "2019"),
        ("vp_65p", "district", "2024"),
        ("v_inkomen_med", "statsec", "2021"),
    ] {
        let j = st(&format!(
            "var={var}&geolevel={level}&periodlevel=year&period={period}"
        ));
        let h = j["headers"].as_array().unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(
            h[0],
            serde_json::json!({"name": "Gebied", "type": "String"})
        );
        assert_eq!(
            h[1],
            serde_json::json!({"name": "Periode", "type": "String"})
        );
        assert_eq!(h[2]["type"], "Numeric", "{var}");
        let name = ok(&s, &url(&format!("{JIVE}Variables('{var}')")))["Name"].clone();
        assert_eq!(h[2]["name"], name);
        assert_eq!(
            rows(&j),
            as_rows(odata(var, level, "year", period)),
            "{var} {level} {period}"
        );
        for r in rows(&j) {
            assert!(
                r[2].parse::<f64>().is_ok() || ["", "-", "x", "?", "nvt"].contains(&r[2].as_str()),
                "{r:?}"
            );
        }
        assert_eq!(
            j,
            ok(
                &s,
                &format!(
                    "/viewer/selectiontableasjson.ashx?var={var}&geolevel={level}&period={period}"
                )
            )
        );
    }
    let elek = rows(&st("var=v_elek_hh&geolevel=statsec&period=2019"));
    for sym in ["x", "?", "nvt"] {
        assert!(elek.iter().any(|r| r[2] == sym), "{sym}");
    }

    // The most recent period, in every spelling, and by default.
    let latest = as_rows(odata("v1101_t", "wijk", "year", "mrp"));
    for q in [
        "var=v1101_t&geolevel=wijk",
        "var=v1101_t&geolevel=wijk&period=mrp",
        "var=v1101_t&geolevel=wijk&period=mostrecent&periodlevel=year",
        "VAR=v1101_t&GeoLevel=wijk&Periodlevel=year",
    ] {
        assert_eq!(rows(&st(q)), latest, "{q}");
    }
    // Without geolevel: the finest level with data.
    assert_eq!(
        rows(&st("var=v1101_t&period=2019")),
        as_rows(odata("v1101_t", "statsec", "year", "2019"))
    );

    // Several periods and indicators.
    let two = st("var=v1101_t,vp_65p&geolevel=district&period=2019,2020");
    let h = two["headers"].as_array().unwrap();
    assert_eq!(h.len(), 4);
    assert_eq!(h[3]["type"], "Numeric");
    let r2 = rows(&two);
    assert_eq!(r2.len(), 9 * 2);
    let d19 = odata("vp_65p", "district", "year", "2019");
    let d20 = odata("vp_65p", "district", "year", "2020");
    for (i, (a, b)) in d19.iter().zip(&d20).enumerate() {
        assert_eq!(r2[2 * i][0], a.0);
        assert_eq!((&r2[2 * i][1], &r2[2 * i][3]), (&a.1, &a.2));
        assert_eq!((&r2[2 * i + 1][1], &r2[2 * i + 1][3]), (&b.1, &b.2));
    }
    // Quarters, all of them: of the city, and of each municipality of its region.
    let q = rows(&st(
        "var=v_bouwverg_won&geolevel=gemeente&geoitem=46999&periodlevel=quarter&period=all",
    ));
    let region = rows(&st(
        "var=v_bouwverg_won&geolevel=gemeente&periodlevel=quarter&period=all",
    ));
    assert_eq!(region.len(), 7 * q.len());
    let quarters = codes(&ok(
        &s,
        &url(&format!(
            "{JIVE}Variables('v_bouwverg_won')/GeoLevels('gemeente')/PeriodLevels('quarter')/Periods"
        )),
    ));
    assert_eq!(q.iter().map(|r| r[1].clone()).collect::<Vec<_>>(), quarters);

    // Selecting areas, comparison areas and splitting.
    let wijk19 = as_rows(odata("v1101_t", "wijk", "year", "2019"));
    let one = rows(&st("var=v1101_t&geolevel=wijk&geoitem=4699901&period=2019"));
    assert_eq!(one, wijk19[..1]);
    let list = rows(&st(
        "var=v1101_t&geolevel=wijk&geoitem_codes=4699903,4699901&period=2019",
    ));
    assert_eq!(
        list,
        vec![wijk19[0].clone(), wijk19[2].clone()],
        "in the level's order"
    );
    let district19 = as_rows(odata("v1101_t", "district", "year", "2019"));
    let gemeente19 = as_rows(odata("v1101_t", "gemeente", "year", "2019"));
    let cmp = rows(&st(
        "var=v1101_t&geolevel=wijk&geoitem=4699901&geocompare=district&period=2019",
    ));
    assert_eq!(
        cmp,
        vec![wijk19[0].clone(), district19[0].clone()],
        "compared with the district that contains it"
    );
    let cmp = rows(&st(
        "var=v1101_t&geolevel=wijk&geoitem=4699901&geocompare=gemeente&geocompare_item=46999&period=2019",
    ));
    assert_eq!(cmp, vec![wijk19[0].clone(), gemeente19[0].clone()]);
    let cmp = rows(&st(
        "var=v1101_t&geolevel=district&geoitem_codes=46999D1,46999D2&geocompare=gemeente&period=2019",
    ));
    assert_eq!(
        cmp,
        vec![
            district19[0].clone(),
            district19[1].clone(),
            gemeente19[0].clone()
        ]
    );
    let split = rows(&st(
        "var=v1101_t&geolevel=district&geoitem=46999D1&geosplit=wijk&period=2019",
    ));
    assert!(
        split.len() > 1 && split.iter().all(|r| r[0].ends_with("(Centrum)")),
        "{split:?}"
    );
    let sum: f64 = split.iter().map(|r| r[2].parse::<f64>().unwrap()).sum();
    assert_eq!(
        sum,
        district19[0][2].parse::<f64>().unwrap(),
        "the wijken of a district add up to it"
    );
    let all_split = rows(&st(
        "var=v1101_t&geolevel=gemeente&geosplit=district&period=2019",
    ));
    assert_eq!(all_split, district19);
    let flipped = st(
        "var=v1101_t&geolevel=wijk&geoitem=4699901&geocompare=district&flip_table=true&period=2019,2020",
    );
    assert_eq!(flipped["headers"][0]["name"], "Periode");
    let f = rows(&flipped);
    assert_eq!(
        f.iter()
            .map(|r| (r[0].as_str(), r[1].as_str()))
            .collect::<Vec<_>>(),
        [
            ("2019", wijk19[0][0].as_str()),
            ("2019", district19[0][0].as_str()),
            ("2020", wijk19[0][0].as_str()),
            ("2020", district19[0][0].as_str()),
        ]
    );
    assert_eq!(
        rows(&st(
            "var=v1101_t&geolevel=wijk&flip_table=false&period=2019"
        )),
        wijk19
    );

    // Cubes split by dim levels (columns after the value), or by chosen members (the
    // city: the first municipality).
    let total = odata("kubus_bevolking", "gemeente", "year", "mrp")[0]
        .2
        .parse::<f64>()
        .unwrap();
    let by_sex = st("var=kubus_bevolking&geolevel=gemeente&geoitem=46999&dimlevel=geslacht");
    assert_eq!(by_sex["headers"][2]["type"], "Numeric");
    assert_eq!(by_sex["headers"][3]["name"], "geslacht");
    let r = rows(&by_sex);
    assert_eq!(
        r.iter().map(|r| r[3].as_str()).collect::<Vec<_>>(),
        ["m", "v"]
    );
    assert_eq!(
        r.iter().map(|r| r[2].parse::<f64>().unwrap()).sum::<f64>(),
        total
    );
    let cells = rows(&st(
        "var=kubus_bevolking&geolevel=gemeente&geoitem=46999&dimlevel=geslacht,leeftijd3",
    ));
    assert_eq!(cells.len(), 6);
    assert_eq!(
        cells
            .iter()
            .map(|r| r[2].parse::<f64>().unwrap())
            .sum::<f64>(),
        total
    );
    assert_eq!(cells[0][3..], ["m".to_string(), "0-19".to_string()]);
    let men = rows(&st(
        "var=kubus_bevolking&geolevel=gemeente&geoitem=46999&dimlevel=m",
    ));
    assert_eq!(men, r[..1]);

    // Errors name the problem.
    for (q, status, needle) in [
        ("geolevel=wijk", 400, "var is required"),
        ("var=v1101_x", 404, "did you mean v1101_m, v1101_t"),
        ("var=v1101_t&geolevel=wijkk", 404, "did you mean wijk"),
        (
            "var=v1101_t&geolevel=wijk&geoitem=nope",
            404,
            "no geo item of wijk 'nope'",
        ),
        (
            "var=v1101_t&geolevel=wijk&geocompare=distrikt",
            404,
            "did you mean district",
        ),
        (
            "var=v1101_t&periodlevel=decade",
            400,
            "periodlevel 'decade'",
        ),
        (
            "var=v1101_t&period=2019Q1",
            400,
            "is a quarter but periodlevel is year",
        ),
        ("var=v1101_t&period=someday", 400, "not a period code"),
        (
            "var=kubus_bevolking&dimlevel=bogus",
            400,
            "dimlevel 'bogus'",
        ),
        (
            "var=v1101_t&dimlevel=geslacht",
            400,
            "none of the variables is a cube",
        ),
    ] {
        problem(
            &s,
            &format!("/jive/selectiontableasjson.ashx?{q}"),
            status,
            needle,
        );
    }
    // A level without data for the indicator gives an empty table, not an error.
    assert!(rows(&st("var=v1101_t&geolevel=wijk&periodlevel=month")).is_empty());
}

/// The real `stadincijfers` client from PyPI, every public method, against this server.
/// Fails (never skips) when python3 or the package is missing: CI installs them.
#[test]
fn stadincijfers_python_client_works_against_peil() {
    let s = Server::demo();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/stadincijfers_check.py"
    );
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&s.base)
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed for this test ({e}); install it and `python3 -m pip install stadincijfers`"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "stadincijfers_check.py failed ({:?}):\n{stdout}\n{stderr}",
        out.status.code()
    );
    assert!(stdout.contains("ALL CHECKS PASSED"), "{stdout}\n{stderr}");
}

/// `Values` in natural order with every property are written straight into the answer (issue
/// 12); the general path (a `$select` of every property, then rows built as maps) must give
/// the same rows, byte for byte, for plain and survey indicators, with paging, `$top`,
/// `$skip`, `$count` and `Prefer: odata.maxpagesize`.
#[test]
fn odata_values_fast_path_equals_the_general_path() {
    let s = Server::demo();
    let all = "Benchmark,BenchmarkGeoLevel,Confidence,ExternalCode,GeoLevel,Lower,Margin,Name,Period,Significance,Upper,Value,ValueString,Variable";
    let survey = "vs_tevreden_buurt";
    let j = ok(
        &s,
        &format!(
            "{JIVE}Variables('{survey}')/GeoLevels('wijk')/PeriodLevels('year')/Periods('mrp')/Values"
        ),
    );
    assert!(
        values(&j).iter().any(|r| !r["Lower"].is_null()),
        "the demo's survey indicator has intervals"
    );
    let mut compared = 0;
    for var in ["v1101_t", survey] {
        for level in ["statsec", "wijk", "gemeente"] {
            for q in ["", "$top=7", "$skip=5&$top=30", "$count=true", "$skip=240"] {
                let path = format!(
                    "{JIVE}Variables('{var}')/GeoLevels('{level}')/PeriodLevels('year')/Periods('mrp')/Values"
                );
                for prefer in [None, Some(("Prefer", "odata.maxpagesize=100"))] {
                    let h: Vec<(&str, &str)> = prefer.into_iter().collect();
                    let sep = |q: &str| {
                        if q.is_empty() {
                            String::new()
                        } else {
                            format!("&{q}")
                        }
                    };
                    let fast = s.get_with(&format!("{path}?{}", q), &h);
                    let slow = s.get_with(&format!("{path}?$select={all}{}", sep(q)), &h);
                    assert_eq!(fast.status, slow.status, "{path}?{q}: {}", fast.body);
                    if fast.status == 404 {
                        continue; // no data of this indicator on this level
                    }
                    assert_eq!(fast.status, 200, "{path}?{q}: {}", fast.body);
                    let (f, g): (J, J) = (
                        serde_json::from_str(&fast.body).unwrap(),
                        serde_json::from_str(&slow.body).unwrap(),
                    );
                    // The rows, byte for byte (serde_json's parser does not round-trip
                    // every f64, so the texts are compared, not parsed values).
                    let rows = |body: &str| body[body.find("\"value\":").unwrap()..].to_string();
                    assert_eq!(rows(&fast.body), rows(&slow.body), "{path}?{q}");
                    assert_eq!(f["@odata.count"], g["@odata.count"], "{path}?{q}");
                    assert_eq!(
                        f["@odata.nextLink"].is_null(),
                        g["@odata.nextLink"].is_null(),
                        "{path}?{q}"
                    );
                    assert_eq!(
                        fast.headers.get("preference-applied"),
                        slow.headers.get("preference-applied")
                    );
                    compared += values(&f).len();
                }
            }
        }
    }
    assert!(compared > 1000, "{compared}");
}
