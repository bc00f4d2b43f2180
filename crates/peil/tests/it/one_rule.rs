//! One home per rule (issue 13): what readers get from the website, the native API, OData,
//! the selection table, uploads, stories and their PDFs follows one rule each for period
//! labels, accent folding in search, number text and percent-decoding — checked here on the
//! answers themselves, with expectations written out by hand.

use crate::common::{Server, Site};
use std::process::Command;

const NNBSP: char = '\u{202f}';

/// A small site: three areas under a city, indicators on a month, a quarter and a half-year
/// (not aggregated over time), numbers that test rounding and signs, names with accents,
/// and two stories that print period labels, numbers and search results.
fn site() -> Site {
    let site = Site::new();
    let dir = site.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let files: [(&str, &str); 5] = [
        (
            "wijk.csv",
            "code;name\nW1;Cœur de ville\nW2;Straße\nW3;Plus+Min\n",
        ),
        ("stad.csv", "code;name\nC;Stad\n"),
        ("wijk_stad.csv", "wijk;stad\nW1;C\nW2;C\nW3;C\n"),
        (
            "meta.csv",
            "code;name;unit;data type;period type;decimals;visibility\n\
             m;Maandcijfer;;numeric;independent;0;public\n\
             q;Kwartaalcijfer;;numeric;independent;0;public\n\
             h;Halfjaarcijfer;;numeric;independent;0;public\n\
             d2;Twee decimalen;;numeric;stock;2;public\n\
             d1;Een decimaal;;numeric;stock;1;public\n\
             z;Nul;;numeric;stock;0;public\n\
             hart;Cœur van de stad;;numeric;stock;0;public\n\
             straat;Lawaai in de Straße;;numeric;stock;0;public\n\
             vermogen;Geïnstalleerd vermogen;;numeric;stock;0;public\n",
        ),
        (
            "data.csv",
            "period;geolevel;geoitem;m;q;h;d2;d1;z;hart;straat;vermogen\n\
             2019M03;wijk;W1;11;;;;;;;;\n\
             2019M03;wijk;W2;12;;;;;;;;\n\
             2019Q3;wijk;W1;;21;;;;;;;\n\
             2019Q3;wijk;W2;;22;;;;;;;\n\
             2019H1;wijk;W1;;;31;;;;;;\n\
             2019H1;wijk;W2;;;32;;;;;;\n\
             2019;wijk;W1;;;;2.675;-0.0001;-0;1;2;3\n\
             2019;wijk;W2;;;;0.125;12345678.25;0;1;2;3\n\
             2019;wijk;W3;;;;1.005;-2.25;0;1;2;3\n",
        ),
    ];
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        site.import(&p, &[]);
    }
    site.ok(&["publish"]);
    let stories = site.path().join("stories");
    std::fs::create_dir_all(&stories).unwrap();
    std::fs::write(
        stories.join("periodes.md"),
        "+++\ntitle = \"Periodes\"\nlevel = \"wijk\"\n+++\n# Periodes\n\n\
         Maand: {{ period(\"m\") }}. Kwartaal: {{ period(\"q\") }}. Halfjaar: {{ period(\"h\") }}.\n\n\
         Getallen: {{ fmt(\"d2\") }} / {{ fmt(\"d1\") }} / {{ fmt(\"z\") }} / \
         {{ fmt(\"d2\", area(\"wijk:W2\")) }} / {{ fmt(\"d1\", area(\"wijk:W2\")) }} / \
         {{ fmt(\"d2\", area(\"wijk:W3\")) }} / {{ fmt(\"d1\", area(\"wijk:W3\")) }}.\n",
    )
    .unwrap();
    std::fs::write(
        stories.join("zoeken.md"),
        "+++\ntitle = \"Zoeken\"\nlevel = \"wijk\"\n+++\n# Zoeken\n\n\
         {% for w in [\"coeur\", \"cœur\", \"CŒUR\", \"strasse\", \"straße\", \"geinstalleerd\", \"geïnstalleerd\"] %}\
         FOUND {{ w }}: {{ find([w])|join(\" \") }} END\n\n{% endfor %}",
    )
    .unwrap();
    site.ok(&["check"]);
    site
}

fn bytes(s: &Server, path: &str) -> (u16, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.get(&format!("{}{}", s.base, path)).call().unwrap();
    let status = r.status().as_u16();
    let body = r
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap();
    (status, body)
}

/// The text of a PDF (`pdftotext`), runs of white space (also U+202F and U+00A0) as one space.
fn pdf_text(s: &Server, path: &str) -> String {
    pdf_pages(s, path).join(" ")
}

/// The text of each page of a PDF, as [`pdf_text`] gives the whole.
pub(crate) fn pdf_pages(s: &Server, path: &str) -> Vec<String> {
    let (status, pdf) = bytes(s, path);
    assert_eq!(status, 200, "{path}");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.pdf");
    std::fs::write(&p, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", p.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext not found: install Debian's poppler-utils (test.sh does)");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split('\x0c')
        .map(spaces)
        .filter(|p| !p.is_empty())
        .collect()
}

fn spaces(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == NNBSP || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn ok_json(s: &Server, path: &str) -> serde_json::Value {
    let r = s.get(path);
    assert_eq!(r.status, 200, "GET {path}: {}", r.body);
    r.json()
}

#[test]
fn a_period_has_one_label_on_pages_in_the_api_in_odata_and_in_pdfs() {
    let s = Server::start(site());
    // (indicator, period, level code, nl, en, fr), written out by hand.
    let cases = [
        (
            "m",
            "2019M03",
            "month",
            "maart 2019",
            "March 2019",
            "mars 2019",
        ),
        (
            "q",
            "2019Q3",
            "quarter",
            "3e kwartaal 2019",
            "3rd quarter 2019",
            "3e trimestre 2019",
        ),
        (
            "h",
            "2019H1",
            "halfyear",
            "1e halfjaar 2019",
            "1st half 2019",
            "1er semestre 2019",
        ),
    ];
    for (ind, period, level, nl, en, fr) in cases {
        for (lang, prefix, label) in [("nl", "", nl), ("en", "/en", en), ("fr", "/fr", fr)] {
            // The indicator page's lead: "wijk · <period>".
            let page = s.get(&format!(
                "{prefix}/indicator/{ind}?level=wijk&period={period}"
            ));
            assert_eq!(page.status, 200);
            let lead = page
                .body
                .split("<p class=\"lead\">")
                .nth(1)
                .and_then(|r| r.split("</p>").next())
                .unwrap_or_else(|| panic!("no lead on {ind} {lang}"));
            assert!(
                lead.contains(&format!("· {label}")),
                "{ind} page ({lang}): {lead}"
            );
            // The native API's label for the period.
            let j = ok_json(
                &s,
                &format!("/api/v1/data?indicator={ind}&level=wijk&period={period}&lang={lang}"),
            );
            assert_eq!(j["periods"][0]["name"], label, "{ind} API ({lang})");
        }
        // The catalogue names the period in every language at once.
        let named = ok_json(&s, &format!("/api/v1/periods?indicator={ind}&level=wijk")).to_string();
        for label in [nl, en, fr] {
            assert!(named.contains(label), "{ind} catalogue lacks {label}");
        }
        // OData speaks Dutch, as Swing does.
        let o = ok_json(
            &s,
            &format!(
                "/jiveservices/odata/Variables('{ind}')/GeoLevels('wijk')/PeriodLevels('{level}')/Periods"
            ),
        );
        assert_eq!(o["value"][0]["ExternalCode"], period);
        assert_eq!(o["value"][0]["FullName"], nl, "{ind} OData");
    }
    // The story, as a page and as a PDF, in every language.
    for (i, prefix) in ["", "/en", "/fr"].into_iter().enumerate() {
        let story = s.get(&format!(
            "{prefix}/stories/periodes?regionlevel=wijk&regioncode=W1"
        ));
        assert_eq!(story.status, 200);
        let text = pdf_text(
            &s,
            &format!("{prefix}/stories/periodes.pdf?regionlevel=wijk&regioncode=W1"),
        );
        for case in &cases {
            let label = [case.3, case.4, case.5][i];
            assert!(
                story.body.contains(label),
                "story page {prefix} lacks {label}"
            );
            assert!(text.contains(label), "PDF {prefix} lacks {label}: {text}");
        }
    }
    // The Dutch PDF carries all three Dutch labels in one sentence.
    let text = pdf_text(&s, "/stories/periodes.pdf?regionlevel=wijk&regioncode=W1");
    assert!(
        text.contains("Maand: maart 2019. Kwartaal: 3e kwartaal 2019. Halfjaar: 1e halfjaar 2019."),
        "{text}"
    );
}

#[test]
fn searches_with_and_without_accents_find_the_same_things_everywhere() {
    let s = Server::start(site());
    let story = s.get("/stories/zoeken?regionlevel=wijk&regioncode=W1");
    assert_eq!(story.status, 200, "{}", story.body);
    let found = |w: &str| -> String {
        let at = format!("FOUND {w}: ");
        let rest = story
            .body
            .split(&at)
            .nth(1)
            .unwrap_or_else(|| panic!("no line for {w}: {}", story.body));
        rest.split(" END").next().unwrap().trim().to_string()
    };
    let api = |q: &str| -> Vec<String> {
        let j = ok_json(&s, &format!("/api/v1/indicators?q={}", encode(q)));
        let mut v: Vec<String> = j["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let search = |q: &str| -> (Vec<String>, Vec<String>) {
        let j = ok_json(&s, &format!("/search.json?q={}", encode(q)));
        let names = |k: &str, f: &str| -> Vec<String> {
            let mut v: Vec<String> = j[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x[f].as_str().unwrap().to_string())
                .collect();
            v.sort();
            v
        };
        (names("indicators", "code"), names("areas", "name"))
    };
    for (words, code, area) in [
        (
            &["coeur", "cœur", "CŒUR"][..],
            "hart",
            Some("Cœur de ville"),
        ),
        (&["strasse", "straße"][..], "straat", Some("Straße")),
        (&["geinstalleerd", "geïnstalleerd"][..], "vermogen", None),
    ] {
        for w in words {
            assert_eq!(found(w), code, "story find({w})");
            assert_eq!(api(w), [code], "API search {w}");
            let (inds, areas) = search(w);
            assert_eq!(inds, [code], "site search {w}");
            assert_eq!(
                areas,
                area.map(|a| vec![a.to_string()]).unwrap_or_default(),
                "site search {w}: areas"
            );
        }
    }
}

/// A query component percent-encoded (every byte but unreserved ASCII).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn numbers_are_written_for_machines_in_answers_and_for_people_on_pages() {
    let s = Server::start(site());
    // The API, CSV, OData and the selection table write the number as loaded: shortest
    // round trip, never an exponent, minus zero as 0.
    for (ind, item, machine) in [
        ("d2", "W1", "2.675"),
        ("d2", "W2", "0.125"),
        ("d1", "W1", "-0.0001"),
        ("d1", "W2", "12345678.25"),
        ("z", "W1", "0"),
    ] {
        let j = ok_json(
            &s,
            &format!("/api/v1/data?indicator={ind}&level=wijk&period=2019&items={item}"),
        );
        assert_eq!(
            j["data"][0]["value"].to_string(),
            machine,
            "{ind} {item} JSON"
        );
        let csv = s.get(&format!(
            "/api/v1/data?indicator={ind}&level=wijk&period=2019&items={item}&format=csv"
        ));
        assert!(
            csv.body
                .lines()
                .nth(1)
                .unwrap()
                .contains(&format!(",{machine},")),
            "{ind} {item} CSV: {}",
            csv.body
        );
        let o = s.get(&format!(
            "/jiveservices/odata/Variables('{ind}')/GeoLevels('wijk')/PeriodLevels('year')/Periods('2019')/Values?$filter=ExternalCode%20eq%20'{item}'"
        ));
        assert_eq!(o.status, 200, "{}", o.body);
        assert!(
            o.body.contains(&format!("\"ValueString\":\"{machine}\""))
                && o.body.contains(&format!("\"Value\":{machine},")),
            "{ind} {item} OData: {}",
            o.body
        );
        let t = ok_json(
            &s,
            &format!("/jive/selectiontableasjson.ashx?var={ind}&geolevel=wijk&period=2019"),
        );
        let row = t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r[0] == s_area(item))
            .unwrap_or_else(|| panic!("{t}"))
            .clone();
        assert_eq!(row[2], machine, "{ind} {item} selection table");
    }
    // Pages round half away from zero on the decimal as written, with the locale's marks,
    // and never show a minus sign on a number that rounds to zero.
    let g = NNBSP;
    for (ind, item, nl, en) in [
        ("d2", "W1", "2,68".to_string(), "2.68".to_string()),
        ("d2", "W2", "0,13".into(), "0.13".into()),
        ("d2", "W3", "1,01".into(), "1.01".into()),
        ("d1", "W1", "0,0".into(), "0.0".into()),
        (
            "d1",
            "W2",
            format!("12{g}345{g}678,3"),
            "12,345,678.3".into(),
        ),
        ("d1", "W3", "\u{2212}2,3".into(), "\u{2212}2.3".into()),
        ("z", "W1", "0".into(), "0".into()),
    ] {
        for (prefix, want) in [("", &nl), ("/en", &en)] {
            let page = s.get(&format!("{prefix}/indicator/{ind}?level=wijk&period=2019"));
            let row = page
                .body
                .split(&format!("<tr data-area=\"{item}\""))
                .nth(1)
                .and_then(|r| r.split("</tr>").next())
                .unwrap_or_else(|| panic!("no row {item} on {ind}"));
            let cell = row
                .split("class=\"num\"")
                .nth(1)
                .and_then(|c| c.split("</td>").next())
                .unwrap();
            let shown = cell.rsplit('>').next().unwrap();
            assert_eq!(shown, want.as_str(), "{ind} {item} page {prefix}: {cell}");
        }
    }
    // The story and its PDF write the same text as the page.
    let want = "Getallen: 2,68 / 0,0 / 0 / 0,13 / 12 345 678,3 / 1,01 / −2,3.";
    let page = s.get("/stories/periodes?regionlevel=wijk&regioncode=W1");
    assert!(spaces(&page.body).contains(want), "{}", page.body);
    let text = pdf_text(&s, "/stories/periodes.pdf?regionlevel=wijk&regioncode=W1");
    assert!(text.contains(want), "{text}");
}

/// The name the selection table writes for an area.
fn s_area(item: &str) -> &'static str {
    match item {
        "W1" => "Cœur de ville",
        "W2" => "Straße",
        _ => "Plus+Min",
    }
}

#[test]
fn every_api_reads_query_strings_by_one_rule() {
    let s = Server::start(site());
    // `+` is a space and `%2B` a plus sign.
    let j = ok_json(&s, "/api/v1/indicators?q=a+b");
    assert_eq!(j["query"]["q"], "a b");
    let j = ok_json(&s, "/api/v1/indicators?q=a%2Bb");
    assert_eq!(j["query"]["q"], "a+b");
    let items = |filter: &str| -> Vec<String> {
        ok_json(
            &s,
            &format!("/jiveservices/odata/GeoLevels('wijk')/GeoItems?$filter={filter}"),
        )["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["ExternalCode"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(items("Name+eq+'Plus%2BMin'"), ["W3"]);
    assert_eq!(items("Name+eq+'Plus+Min'"), Vec::<String>::new());
    let t = ok_json(
        &s,
        "/jive/selectiontableasjson.ashx?var=%6D&geolevel=wijk&period=2019M03&periodlevel=month",
    );
    assert!(
        t["rows"].as_array().unwrap().iter().any(|r| r[2] == "11"),
        "{t}"
    );

    // A `%` without two hex digits is a 400 that names the parameter, on every API.
    let bad = [
        ("/api/v1/indicators?q=100%", "parameter 'q'"),
        (
            "/api/v1/data?indicator=d2&level=wijk&period=2019&items=W%zz",
            "parameter 'items'",
        ),
        (
            "/jiveservices/odata/GeoLevels('wijk')/GeoItems?$filter=Name%20eq%20'100%'",
            "parameter '$filter'",
        ),
        (
            "/jiveservices/odata/GeoLevels?$top=1&$sel%ect=Name",
            "parameter '$sel%ect'",
        ),
        (
            "/jiveservices/odata/GeoLevels('wi%zz')",
            "path segment 'GeoLevels('wi%zz')'",
        ),
        (
            "/jive/selectiontableasjson.ashx?var=d2&geolevel=wijk&flip_table=tr%ue",
            "parameter 'flip_table'",
        ),
        ("/api/v1/indicators?q=%C3", "parameter 'q'"),
    ];
    for (path, what) in bad {
        let r = s.get(path);
        assert_eq!(r.status, 400, "GET {path}: {}", r.body);
        assert!(
            r.headers["content-type"].starts_with("application/problem+json"),
            "GET {path}"
        );
        let j = r.json();
        assert!(
            j["detail"].as_str().unwrap().contains(what),
            "GET {path}: {j}"
        );
    }
    assert_eq!(
        s.get("/api/v1/indicators?q=100%").json()["parameter"],
        "q",
        "the native API's problem names the parameter as a field too"
    );
    // Scripted uploads too (answered in plain text, as Swing's clients expect).
    let key = s.key("uploader", &["upload"]);
    let (status, body) = s.post(
        &format!("/BulkAPI.ashx?apikey={key}&filename=a%zz.csv"),
        "period;geolevel;geoitem;m\n2019M03;wijk;W1;5\n",
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("parameter 'filename'"), "{body}");
}
