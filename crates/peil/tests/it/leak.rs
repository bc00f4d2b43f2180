//! No restricted indicator, its name or its values appear without a key that unlocks it — in
//! any endpoint; with such a key they do. A restricted code asked for without a key answers
//! exactly as an unknown code.

use crate::common::*;

const RESTRICTED: [&str; 4] = ["v_leefloon", "vp_leefloon", "v_won_leeg", "vp_leegstand"];

fn endpoints() -> Vec<String> {
    let mut v: Vec<String> = [
        "/api/v1/",
        "/api/v1/indicators?per_page=1000",
        "/api/v1/indicators?q=leefloon",
        "/api/v1/indicators?q=leegstand",
        "/api/v1/indicators?format=csv",
        "/api/v1/themes",
        "/api/v1/geolevels",
        "/api/v1/periods?level=wijk",
        "/api/v1/areas/wijk/4699901/profile",
        "/api/v1/openapi.json",
        "/api/v1/docs",
        "/api/v1/catalog.ttl",
        "/api/v1/catalog.jsonld",
        "/jiveservices/odata/",
        "/jiveservices/odata/Variables",
        "/jiveservices/odata/Variables?$count=true&$top=1000",
        "/jiveservices/odata/DataSources",
        "/viewerservices/odata/Variables?$filter=contains(Name,'leef')",
        "/metrics",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for code in RESTRICTED {
        v.push(format!("/api/v1/indicators/{code}"));
        v.push(format!("/api/v1/data?indicator={code}&level=wijk"));
        v.push(format!(
            "/api/v1/data?indicator={code}&level=wijk&format=csv"
        ));
        v.push(format!(
            "/api/v1/data?indicator={code}&level=wijk&format=jsonstat"
        ));
        v.push(format!("/jiveservices/odata/Variables('{code}')"));
        v.push(format!("/jiveservices/odata/Variables('{code}')/GeoLevels"));
        v.push(format!(
            "/jive/selectiontableasjson.ashx?var={code}&geolevel=wijk"
        ));
    }
    v
}

#[test]
fn restricted_indicators_never_leak_without_a_key() {
    let s = Server::demo();
    let store = s.site.open_store();
    let names: Vec<String> = RESTRICTED
        .iter()
        .map(|c| {
            store
                .indicator(c)
                .unwrap()
                .unwrap_or_else(|| panic!("{c} in the demo"))
                .name
                .get("nl")
                .unwrap()
                .to_string()
        })
        .collect();
    drop(store);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_peil"))
        .arg("--site")
        .arg(s.site.path())
        .args([
            "keys",
            "create",
            "--name",
            "leak test",
            "--group",
            "stadsdiensten",
        ])
        .output()
        .unwrap();
    let key = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    std::thread::sleep(std::time::Duration::from_millis(2500));

    let mut leaks = Vec::new();
    for path in endpoints() {
        let r = s.get(&path);
        assert!(r.status < 500, "{path}: {}", r.status);
        for (code, name) in RESTRICTED.iter().zip(&names) {
            // A code may appear in the error echoing what was asked; its existence must not.
            let asked = path.contains(code);
            if (!asked && r.body.contains(code)) || r.body.contains(name.as_str()) {
                leaks.push(format!("{path} shows {code} / '{name}'"));
            }
        }
        if path.contains("v_leefloon") {
            // Exactly the answer for an unknown code, but for the code itself.
            let unknown = s.get(&path.replace("v_leefloon", "v_leeflooq"));
            assert_eq!(r.status, unknown.status, "{path}");
            assert_eq!(
                r.body.replace("v_leefloon", "v_leeflooq"),
                unknown.body,
                "{path}"
            );
        }
    }
    assert!(
        leaks.is_empty(),
        "leaks without a key:\n{}",
        leaks.join("\n")
    );

    // With the key, the same indicator is there.
    let k = [("apikey", key.as_str())];
    assert_eq!(s.get_with("/api/v1/indicators/v_leefloon", &k).status, 200);
    assert_eq!(
        s.get_with("/jiveservices/odata/Variables('v_leefloon')", &k)
            .status,
        200
    );
    let data = s.get_with(
        "/api/v1/data?indicator=v_leefloon&level=wijk&format=csv",
        &k,
    );
    assert_eq!(data.status, 200);
    assert!(data.body.lines().count() > 40, "{}", data.body);
    let table = s.get_with(
        "/jive/selectiontableasjson.ashx?var=v_leefloon&geolevel=wijk",
        &k,
    );
    assert_eq!(table.status, 200, "{}", table.body);
    // And a wrong key is refused rather than treated as anonymous.
    assert_eq!(
        s.get_with("/api/v1/indicators", &[("apikey", "peil_wrong")])
            .status,
        401
    );
    // Swing clients send whatever key they were set up with: on a public site, Swing's paths
    // answer a wrong key as anonymous — without the restricted indicators.
    for path in [
        "/jiveservices/odata/Variables?$top=1000",
        "/jive/selectiontableasjson.ashx?var=v_leefloon&geolevel=wijk",
    ] {
        let r = s.get_with(path, &[("apikey", "peil_wrong")]);
        assert!(
            !(r.status == 200 && r.body.contains("Leefloon")),
            "{path}: {}",
            r.status
        );
    }
}

/// Every endpoint and format, asked by an anonymous reader, a key of group A and a key of
/// group B, interleaved and twice (so the second round is answered from the response cache):
/// no answer shows an indicator of a group the reader is not in.
#[test]
fn the_leak_walk_no_answer_crosses_groups() {
    let s = Server::demo();
    // Group B gets an indicator of its own.
    let dir = s.site.path();
    std::fs::write(
        dir.join("raad.csv"),
        "period;geolevel;geoitem;v_raad\n2021;wijk;4699901;17\n2021;wijk;4699902;23\n2021;wijk;4699903;9\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("raad_meta.csv"),
        "code;name;unit;visibility\nv_raad;Raadsdossier vertrouwelijk;dossiers;restricted:raad\n",
    )
    .unwrap();
    s.site.import(&dir.join("raad.csv"), &[]);
    s.site.import(&dir.join("raad_meta.csv"), &[]);
    s.site.ok(&["publish"]);
    let key_a = s.key("A", &["stadsdiensten"]);
    let key_b = s.key("B", &["raad"]);
    let t = std::time::Instant::now();
    while s
        .get_with("/api/v1/indicators/v_raad", &[("apikey", &key_b)])
        .status
        != 200
    {
        assert!(
            t.elapsed().as_secs() < 30,
            "the publication with v_raad never arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }

    // (code, name) of each group's indicators.
    let a: Vec<(&str, &str)> = vec![
        ("v_leefloon", "Leefloongerechtigden"),
        ("v_won_leeg", "Leegstaande woningen"),
        ("vp_leegstand", "Leegstandspercentage"),
    ];
    let b: Vec<(&str, &str)> = vec![("v_raad", "Raadsdossier")];
    let mut paths = endpoints();
    for code in ["v_raad", "v_leefloon"] {
        paths.extend([
            format!("/api/v1/indicators/{code}"),
            format!("/api/v1/data?indicator={code}&level=wijk&period=2021"),
            format!("/api/v1/data?indicator={code}&level=wijk&period=2021&format=csv"),
            format!("/api/v1/data?indicator={code}&level=wijk&period=2021&format=xlsx"),
            format!("/api/v1/data?indicator={code}&level=wijk&period=2021&format=geojson"),
            format!("/api/v1/data?indicator={code}&level=wijk&period=2021&format=jsonstat"),
            format!("/jiveservices/odata/Variables('{code}')/GeoLevels('wijk')/PeriodLevels('year')/Periods('2021')/Values"),
            format!("/jive/selectiontableasjson.ashx?var={code}&geolevel=wijk"),
            format!("/indicator/{code}"),
            format!("/indicator/{code}.json"),
            format!("/indicator/{code}.csv"),
            format!("/en/indicator/{code}"),
        ]);
    }
    paths.extend(
        [
            "/",
            "/index.json",
            "/themes",
            "/themes.json",
            "/search?q=raads",
            "/search.json?q=leefloon",
            "/explorer",
            "/explorer.json",
            "/compare?level=wijk&areas=4699901,4699902",
            "/area/wijk/4699901",
            "/area/wijk/4699901.json",
            "/api/v1/areas/wijk/4699901/profile",
            "/api/v1/indicators?q=raad",
            "/jiveservices/odata/Variables?$filter=contains(Name,'Raad')",
        ]
        .map(String::from),
    );

    let readers: [(&str, Option<&str>); 3] = [
        ("anonymous", None),
        ("A", Some(key_a.as_str())),
        ("B", Some(key_b.as_str())),
    ];
    let mut leaks = Vec::new();
    let mut seen_own = [0usize; 3];
    for round in 0..2 {
        for (n, path) in paths.iter().enumerate() {
            for k in 0..3 {
                // Rotate who asks first, so every order meets the cache.
                let who = (n + k + round) % 3;
                let (name, key) = readers[who];
                let r = match key {
                    Some(key) => s.get_with(path, &[("apikey", key)]),
                    None => s.get(path),
                };
                assert!(r.status < 500, "{name} {path}: {}", r.status);
                let forbidden: Vec<&(&str, &str)> = match who {
                    0 => a.iter().chain(&b).collect(),
                    1 => b.iter().collect(),
                    _ => a.iter().collect(),
                };
                for (code, label) in forbidden {
                    let asked = path.contains(code);
                    if (!asked && r.body.contains(code)) || r.body.contains(label) {
                        leaks.push(format!("round {round}: {name} {path} shows {code}"));
                    }
                }
                let own: &[(&str, &str)] = match who {
                    1 => &a,
                    2 => &b,
                    _ => &[],
                };
                if own.iter().any(|(_, label)| r.body.contains(label)) {
                    seen_own[who] += 1;
                }
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "answers crossed groups:\n{}",
        leaks.join("\n")
    );
    // The walk is not vacuous: each key saw its own indicators in many answers.
    assert!(seen_own[1] > 10 && seen_own[2] > 10, "{seen_own:?}");
}

/// A survey value hidden by its sample threshold (the demo's Stadsmonitor: fewer than 30
/// respondents) is hidden with its interval, margin and verdict — in the API (JSON, CSV,
/// JSON-stat), OData, the selection table, the indicator page, its chart and the profile —
/// while visible values of the same series carry theirs.
#[test]
fn hidden_survey_values_have_no_interval_anywhere() {
    let s = Server::demo();
    let survey: Vec<String> = s.get("/api/v1/indicators?per_page=1000").json()["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_string())
        .filter(|c| {
            s.get(&format!("/api/v1/indicators/{c}")).json()["survey"]["confidence"].is_number()
        })
        .collect();
    assert!(!survey.is_empty(), "the demo has survey indicators");
    let (mut hidden, mut shown) = (0, 0);
    for code in &survey {
        let j = s
            .get(&format!("/api/v1/data?indicator={code}&level=wijk"))
            .json();
        let mut hidden_cells: Vec<(String, String)> = Vec::new();
        for row in j["data"].as_array().unwrap() {
            let fields = ["lower", "upper", "margin", "significance", "benchmark"];
            if row["status"] == "x" {
                hidden += 1;
                assert!(fields.iter().all(|k| row[*k].is_null()), "{row}");
                hidden_cells.push((
                    row["item"].as_str().unwrap().to_string(),
                    row["period"].as_str().unwrap().to_string(),
                ));
            } else if row["value"].is_number() {
                shown += 1;
                assert!(
                    row["lower"].is_number() && row["upper"].is_number(),
                    "{row}"
                );
            }
        }
        // CSV: the interval columns of a hidden row are empty.
        let csv = s
            .get(&format!(
                "/api/v1/data?indicator={code}&level=wijk&format=csv"
            ))
            .body;
        for line in csv.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f[8] == "x" {
                assert!(f[10..].iter().all(|c| c.is_empty()), "{line}");
            }
        }
        // JSON-stat: no survey entry at a hidden cell's index.
        let js = s
            .get(&format!(
                "/api/v1/data?indicator={code}&level=wijk&format=jsonstat"
            ))
            .json();
        let sv = &js["extension"]["peil"]["survey"];
        for (idx, st) in js["status"].as_object().into_iter().flatten() {
            if st == "x" {
                for k in ["lower", "upper", "margin", "significance", "benchmark"] {
                    assert!(sv[k].get(idx).is_none(), "{code} {idx} {k}");
                }
            }
        }
        for (item, period) in hidden_cells.iter().take(3) {
            // OData.
            let v = s.get(&format!("/jiveservices/odata/Variables('{code}')/GeoLevels('wijk')/PeriodLevels('year')/Periods('{period}')/Values?$filter=ExternalCode%20eq%20'{item}'")).json();
            let v = &v["value"][0];
            assert_eq!(v["ValueString"], "x");
            assert!(
                v["Lower"].is_null() && v["Margin"].is_null() && v["Significance"].is_null(),
                "{v}"
            );
            // The selection table: value x, survey columns empty.
            let t = s.get(&format!("/jive/selectiontableasjson.ashx?var={code}&geolevel=wijk&geoitem_codes={item}&period={period}")).json();
            let row = t["rows"][0].as_array().unwrap();
            assert_eq!(row[2], "x");
            assert!(row[3..].iter().all(|c| c == ""), "{row:?}");
            // The indicator page's row, its chart and the page's twin.
            let page = s
                .get(&format!("/indicator/{code}?level=wijk&period={period}"))
                .body;
            let at = page.find(&format!("<tr data-area=\"{item}\"")).unwrap();
            let row = &page[at..at + page[at..].find("</tr>").unwrap()];
            assert!(
                row.contains("<td class=\"num interval\"></td><td class=\"verdict\"></td>"),
                "{row}"
            );
            assert!(!page.contains(&format!("class=\"interval\" data-area=\"{item}\"")));
            let twin = s
                .get(&format!(
                    "/indicator/{code}.json?level=wijk&period={period}"
                ))
                .json();
            let r = twin["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["code"] == item.as_str())
                .unwrap();
            assert!(r["lower"].is_null() && r["significance"].is_null(), "{r}");
        }
    }
    assert!(hidden > 0 && shown > 0, "hidden {hidden}, shown {shown}");
}
