//! No restricted indicator, its name or its values appear without a key that unlocks it — in
//! any endpoint; with such a key they do. A restricted code asked for without a key answers
//! exactly as an unknown code.

mod common;
use common::*;

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
    let store = peil_store::Store::open(&s.site.store()).unwrap();
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
