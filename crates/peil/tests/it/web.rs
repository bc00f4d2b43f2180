//! The public website over real HTTP against the real binary: every page type renders, the
//! triptych's three views carry the same areas, twins agree with the API, restricted indicators
//! stay invisible, nothing is loaded from outside, and the budgets of the demo pages hold.

use crate::common;
use crate::common::{Server, Site};
use std::collections::HashMap;

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// Every `data-area="…"` code inside one part of a page.
fn areas_in(html: &str) -> Vec<String> {
    html.split("data-area=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

/// Each area's fill in an inline map (`data-area` → fill; hatches by any id are "hatch").
fn inline_fills(svg: &str) -> std::collections::HashMap<String, String> {
    svg.split("<path d=\"")
        .skip(1)
        .filter_map(|p| {
            let p = &p[..p.find('>').unwrap()];
            let attr = |name: &str| {
                let a = p.find(&format!(" {name}=\""))? + name.len() + 3;
                Some(p[a..a + p[a..].find('"').unwrap()].to_string())
            };
            Some((attr("data-area")?, fill_kind(&attr("fill")?)))
        })
        .collect()
}

fn fill_kind(fill: &str) -> String {
    if fill.starts_with("url(#") && fill.ends_with("-hatch)") {
        "hatch".into()
    } else {
        fill.to_string()
    }
}

/// A page's map drawn from its level's sprite colours every area as the standalone map
/// (`inline`, the whole geometry in one SVG) does: the `<use>`'s custom properties by the
/// sprite's path ids, the sprite's no-data colour where the page sets none, and the sprite
/// holds every area of the standalone map.
fn assert_sprite_map_matches_inline(s: &Server, map: &str, inline: &str) {
    let use_el = between(map, "<use href=\"", "/>");
    let href = &use_el["<use href=\"".len()..];
    let href = href[..href.find('"').unwrap()].replace("&amp;", "&");
    let sprite_url = href.strip_suffix("#m").expect("the whole sprite");
    assert!(
        sprite_url.contains("?g="),
        "{sprite_url}: the publication in the URL"
    );
    let sprite = s.get(sprite_url);
    assert_eq!(sprite.status, 200, "{sprite_url}");
    assert!(sprite.body.contains("<g id=\"m\""));
    // Its publication's sprite is kept for good; any other generation's URL for a minute.
    assert_eq!(
        sprite.headers.get("cache-control").map(String::as_str),
        Some("public, max-age=31536000, immutable"),
        "{sprite_url}"
    );
    let (path, _) = sprite_url.split_once("?g=").unwrap();
    let stale = s.get(&format!("{path}?g=0"));
    assert_eq!(stale.status, 200);
    assert_eq!(
        stale.headers.get("cache-control").map(String::as_str),
        Some("public, max-age=60")
    );
    let style = between(use_el, "style=\"", "\"");
    let vars: std::collections::HashMap<&str, &str> = style["style=\"".len()..]
        .split(';')
        .filter_map(|d| d.split_once(':'))
        .collect();
    // The sprite's areas: id aK, its code, its default fill.
    let mut from_sprite = std::collections::HashMap::new();
    for p in sprite.body.split("<path id=\"").skip(1) {
        let id = &p[..p.find('"').unwrap()];
        let code = areas_in(&p[..p.find('>').unwrap()])[0].clone();
        let fallback = between(p, "fill:var(--", ")");
        let fallback = &fallback[fallback.find(',').unwrap() + 1..fallback.len()];
        let fill = vars
            .get(format!("--{id}").as_str())
            .map_or(fallback.to_string(), |v| v.to_string());
        from_sprite.insert(code, fill_kind(&fill));
    }
    let want = inline_fills(&s.get(inline).body);
    assert!(
        want.len() >= 2_700,
        "{} areas in the standalone map",
        want.len()
    );
    assert_eq!(
        from_sprite.len(),
        want.len(),
        "areas in sprite and standalone map"
    );
    for (code, fill) in &want {
        assert_eq!(from_sprite.get(code), Some(fill), "area {code}");
    }
    assert!(
        want.values()
            .collect::<std::collections::HashSet<_>>()
            .len()
            >= 5,
        "several classes drawn"
    );
}

/// The part of a page between two markers.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let a = html.find(start).unwrap_or_else(|| panic!("no {start}"));
    let rest = &html[a..];
    let b = rest[start.len()..]
        .find(end)
        .map_or(rest.len(), |b| b + start.len());
    &rest[..b]
}

/// No page may load anything from another host (air-gapped: no CDN, fonts or tiles).
fn assert_self_contained(path: &str, html: &str) {
    // Embed codes are text for other sites (in textareas), not resources of this page.
    let mut html = html.to_string();
    while let Some(a) = html.find("<textarea") {
        let b = html[a..]
            .find("</textarea>")
            .map_or(html.len(), |b| a + b + 11);
        html.replace_range(a..b, "");
    }
    let html = html.as_str();
    for attr in ["src=\"http", "href=\"//", "src=\"//", "url(http", "@import"] {
        assert!(!html.contains(attr), "{path} refers outside: {attr}");
    }
    for (k, _) in html.match_indices("<link ") {
        let tag = &html[k..k + html[k..].find('>').unwrap()];
        assert!(!tag.contains("http"), "{path}: {tag}");
    }
}

#[test]
fn every_page_type_renders_in_dutch_without_outside_resources() {
    let s = Server::demo();
    let wijk = first_item(&s, "wijk");
    for path in [
        "/".to_string(),
        "/themes".into(),
        "/themes/bevolking".into(),
        "/search?q=inwoners".into(),
        "/indicator/v1101_t".into(),
        "/indicator/v1101_t?level=wijk&period=2024&class=quantiles".into(),
        format!("/area/wijk/{wijk}"),
        "/compare".into(),
        format!("/compare?level=wijk&areas={wijk}&indicators=v1101_t,vp_65p"),
        "/explorer".into(),
        "/explorer?indicators=v1101_t,vp_65p&level=wijk&view=map".into(),
        "/explorer?indicators=v1101_t&level=wijk&view=chart&periods=2020,2024".into(),
        "/embed/indicator/v1101_t/map".into(),
        "/embed/indicator/v1101_t/chart".into(),
        "/embed/indicator/v1101_t/table".into(),
    ] {
        let r = s.get(&path);
        assert_eq!(
            r.status,
            200,
            "{path}: {}",
            &r.body[..r.body.len().min(400)]
        );
        assert!(r.headers["content-type"].starts_with("text/html"), "{path}");
        assert!(r.body.starts_with("<!doctype html>"), "{path}");
        assert!(r.body.contains("<html lang=\"nl\">"), "{path}");
        assert!(r.body.contains("<main id=\"main\""), "{path}");
        assert!(!r.body.contains("Template error"), "{path}");
        assert!(
            r.headers["content-security-policy"].contains("default-src 'self'"),
            "{path}"
        );
        assert_self_contained(&path, &r.body);
    }
    // The theme code must be real for the themes/… path above to be meaningful.
    let themes = s.get("/themes.json").json();
    assert!(
        themes["themes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["code"] == "bevolking"),
        "{themes}"
    );
    // A page that does not exist is a page for people, and a 404.
    let r = s.get("/indicator/no_such_thing");
    assert_eq!(r.status, 404);
    assert!(r.body.contains("Pagina niet gevonden"));
    let r = s.get("/nothing/here");
    assert_eq!(r.status, 404);
    assert!(r.body.contains("<html lang=\"nl\">"));
    // API paths still answer problem documents.
    let r = s.get("/api/v1/nothing");
    assert_eq!(r.status, 404);
    assert!(r.body.starts_with('{'));
}

fn first_item(s: &Server, level: &str) -> String {
    let items = s.get(&format!("/api/v1/geolevels/{level}/items")).json();
    let list = items["items"]
        .as_array()
        .or_else(|| items["data"].as_array())
        .unwrap_or_else(|| panic!("{items}"));
    list.iter()
        .map(|i| i["code"].as_str().unwrap().to_string())
        .find(|c| !c.ends_with("ZZZZ") && !c.ends_with("ZZZ"))
        .unwrap()
}

#[test]
fn languages_follow_the_path_prefix() {
    let s = Server::demo();
    let en = s.get("/en/");
    assert_eq!(en.status, 200);
    assert!(en.body.contains("<html lang=\"en\">"));
    assert!(en.body.contains(">Themes<"));
    let ind = s.get("/en/indicator/v1101_t");
    assert!(ind.body.contains("Inhabitants"), "English indicator name");
    assert!(
        ind.body.contains("href=\"/en/area/"),
        "links stay in English"
    );
    let fr = s.get("/fr/themes");
    assert!(fr.body.contains("<html lang=\"fr\">"));
    assert!(fr.body.contains("Thèmes"));
    // Alternates name the same page in every language.
    let nl = s.get("/indicator/v1101_t?level=wijk");
    assert!(
        nl.body
            .contains("hreflang=\"en\" href=\"/en/indicator/v1101_t?level=wijk\""),
        "{}",
        between(&nl.body, "<head>", "</head>")
    );
}

#[test]
fn the_triptych_shows_the_same_areas_in_map_chart_and_table() {
    let s = Server::demo();
    let r = s.get("/indicator/v1101_t?level=wijk&period=2024");
    assert_eq!(r.status, 200);
    let map = between(&r.body, "<figure class=\"map", "</figure>");
    let chart = between(&r.body, "<figure class=\"chart", "</figure>");
    let table = between(&r.body, "<tbody class=\"rows\">", "</tbody>");
    let (m, c, t) = (areas_in(map), areas_in(chart), areas_in(table));
    let twin = s
        .get("/indicator/v1101_t.json?level=wijk&period=2024")
        .json();
    let rows = twin["rows"].as_array().unwrap();
    assert!(rows.len() >= 30, "{}", rows.len());
    // Every area of the level is in the table and on the map; the chart has them all too
    // (the demo's wijk level is small enough for every bar).
    let codes: Vec<String> = rows
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect();
    for row in rows {
        let code = row["code"].as_str().unwrap().to_string();
        assert!(t.contains(&code), "table lacks {code}");
        assert!(c.contains(&code), "chart lacks {code}");
        // The unknown-location area has a value but no place on a map.
        if row["unknown_location"] != true {
            assert!(m.contains(&code), "map lacks {code}");
        }
    }
    // Without JavaScript, clicking an area on the map selects it: the link names the area.
    let svg = between(map, "<svg", "</svg>");
    assert!(
        !svg.contains("%7Bcode%7D") && !svg.contains("{code}"),
        "unfilled link template"
    );
    // Maps too large for a link per area select through the figure's template instead.
    assert!(map.contains("data-select=\"") && map.contains("{code}"));
    let first = &m[0];
    assert!(
        map.contains(&format!("select={first}\"")),
        "map links select their area"
    );
    for code in m.iter().chain(&c) {
        assert!(codes.contains(code), "{code} is drawn but not in the table");
    }
    // Ranks: 1 is the largest value, equal values share a rank.
    let mut by_value: Vec<(f64, u64)> = rows
        .iter()
        .filter_map(|r| Some((r["value"].as_f64()?, r["rank"].as_u64()?)))
        .collect();
    by_value.sort_by(|a, b| b.0.total_cmp(&a.0));
    assert_eq!(by_value[0].1, 1);
    for w in by_value.windows(2) {
        assert!(w[0].1 <= w[1].1);
        if w[0].0 == w[1].0 {
            assert_eq!(w[0].1, w[1].1);
        }
    }
    // Controls: levels, periods, classification, a time slider; downloads and a share link.
    for needle in [
        "name=\"level\"",
        "name=\"period\"",
        "name=\"class\"",
        "type=\"range\"",
        "data-download=\"csv\"",
        "data-download=\"png\"",
        "class=\"share-url\"",
        "class=\"metadata",
        "&lt;iframe src=",
    ] {
        assert!(r.body.contains(needle), "indicator page lacks {needle}");
    }
    // Numbers are Dutch: thousands with a narrow no-break space.
    assert!(r.body.contains('\u{202f}'), "no nl-BE thousands separator");
}

#[test]
fn selection_and_comparison_areas_come_from_the_url() {
    let s = Server::demo();
    let twin = s.get("/indicator/vp_65p.json?level=wijk").json();
    let a = twin["rows"][0]["code"].as_str().unwrap().to_string();
    let b = twin["rows"][1]["code"].as_str().unwrap().to_string();
    let r = s.get(&format!("/indicator/vp_65p?level=wijk&select={a},{b}"));
    assert_eq!(r.status, 200);
    assert!(r.body.contains(&format!("data-area=\"{a}\"")));
    assert!(count(&r.body, "is-sel") >= 2, "selected areas are marked");
    // The trend chart draws the selected areas and the comparison areas.
    let trend = between(&r.body, "<figure class=\"trend", "</figure>");
    assert!(trend.contains(&format!("data-area=\"{a}\"")), "{trend}");
    // Default comparison areas: the levels with one area (the city, the region).
    let cmp = twin["compare"].as_array().unwrap();
    assert!(cmp.iter().any(|c| c["level"] == "gemeente"), "{cmp:?}");
    let none = s.get("/indicator/vp_65p.json?level=wijk&compare=").json();
    assert!(none["compare"].as_array().unwrap().is_empty());
    // The share link restores exactly this view.
    let marker = "class=\"share-url\" readonly value=\"";
    let share = between(&r.body, marker, "\" ");
    let url = share.trim_start_matches(marker).replace("&amp;", "&");
    // Share links leave the site: they are absolute.
    let url = url
        .strip_prefix(&s.base)
        .unwrap_or_else(|| panic!("not absolute: {url}"))
        .to_string();
    let again = s.get(&url);
    assert_eq!(again.status, 200);
    assert_eq!(count(&again.body, "is-sel"), count(&r.body, "is-sel"));
}

#[test]
fn csv_and_json_twins_agree_with_the_api() {
    let s = Server::demo();
    for (ind, level, period) in [
        ("v1101_t", "wijk", "2024"),
        ("vp_65p", "statsec", "2023"),
        ("v_dichtheid", "district", "2020"),
    ] {
        let csv = s.get(&format!(
            "/indicator/{ind}.csv?level={level}&period={period}"
        ));
        assert_eq!(csv.status, 200, "{}", csv.body);
        assert!(csv.headers["content-type"].starts_with("text/csv"));
        let api = s
            .get(&format!(
                "/api/v1/data?indicator={ind}&level={level}&period={period}"
            ))
            .json();
        let mut expected: HashMap<String, String> = HashMap::new();
        for row in api["data"].as_array().unwrap_or_else(|| panic!("{api}")) {
            let code = row["item"]
                .as_str()
                .unwrap_or_else(|| panic!("{row}"))
                .to_string();
            let v = match &row["value"] {
                serde_json::Value::Null => row["status"].as_str().unwrap_or("").to_string(),
                x => x.to_string(),
            };
            expected.insert(code, v);
        }
        let mut rdr = csv::Reader::from_reader(csv.body.as_bytes());
        let header = rdr.headers().unwrap().clone();
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        let mut seen = 0;
        for rec in rdr.records() {
            let rec = rec.unwrap();
            let code = &rec[col("area")];
            let got = if rec[col("value")].is_empty() {
                rec[col("status")].to_string()
            } else {
                rec[col("value")].to_string()
            };
            let want = expected
                .get(code)
                .unwrap_or_else(|| panic!("{ind}/{level}: {code} not in the API answer"));
            if want.parse::<f64>().is_ok() {
                // serde_json's default float parser may be one unit in the last place off.
                let (g, w) = (got.parse::<f64>().unwrap(), want.parse::<f64>().unwrap());
                assert!(
                    (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                    "{ind} {level} {code}: {g} vs {w}"
                );
            } else {
                assert_eq!(&got, want, "{ind} {level} {code}");
            }
            seen += 1;
        }
        assert!(
            seen > 0
                && seen >= expected.len() - expected.keys().filter(|k| k.ends_with("ZZZZ")).count(),
            "{ind}: {seen} of {}",
            expected.len()
        );
    }
}

#[test]
fn restricted_indicators_do_not_exist_for_the_public_site() {
    let s = Server::demo();
    assert_eq!(s.get("/indicator/v_leefloon").status, 404);
    assert_eq!(s.get("/indicator/v_leefloon.csv").status, 404);
    assert_eq!(s.get("/indicator/v_leefloon/map.svg").status, 404);
    assert_eq!(s.get("/embed/indicator/vp_leefloon/map").status, 404);
    let search = s.get("/search.json?q=leefloon").json();
    assert!(
        search["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| !i["code"].as_str().unwrap().contains("leefloon")),
        "{search}"
    );
    for path in ["/themes", "/explorer", "/compare"] {
        let body = s.get(path).body;
        assert!(
            !body.contains("v_leefloon") && !body.contains("vp_leefloon"),
            "{path} shows a restricted indicator"
        );
    }
    let wijk = first_item(&s, "wijk");
    let profile = s.get(&format!("/area/wijk/{wijk}")).body;
    assert!(
        !profile.contains("leefloon"),
        "the area profile shows a restricted indicator"
    );
}

#[test]
fn search_is_dutch_aware_and_finds_areas() {
    let s = Server::demo();
    for (q, code) in [
        ("inwoner", "v1101_t"),
        ("Inwoners", "v1101_t"),
        ("dichtheid", "v_dichtheid"),
        ("65-plussers", "vp_65p"),
        ("v1101_t", "v1101_t"),
    ] {
        let r = s
            .get(&format!("/search.json?q={}", q.replace(' ', "+")))
            .json();
        let codes: Vec<&str> = r["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&code), "'{q}' should find {code}: {codes:?}");
    }
    let wijk = first_item(&s, "wijk");
    let name = s.get(&format!("/area/wijk/{wijk}.json")).json()["name"]
        .as_str()
        .unwrap()
        .to_string();
    let word = name.split_whitespace().next().unwrap().to_lowercase();
    let r = s.get(&format!("/search.json?q={}", word)).json();
    assert!(
        r["areas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == name.as_str()),
        "{word}: {r}"
    );
    let html = s.get("/search?q=inwoner").body;
    assert!(
        html.contains("<ol class=\"results\">") && html.contains("href=\"/indicator/v1101_t\"")
    );
}

#[test]
fn the_area_profile_holds_key_figures_ring_and_locator() {
    let s = Server::demo();
    let wijk = first_item(&s, "wijk");
    let r = s.get(&format!("/area/wijk/{wijk}"));
    assert_eq!(r.status, 200);
    for needle in [
        "<figure class=\"profile-ring",
        "<table class=\"key-figures\"",
        "<figure class=\"locator",
        "class=\"slice",
        "aria-label=\"Evolutie: Inwoners",
    ] {
        assert!(r.body.contains(needle), "profile lacks {needle}");
    }
    let twin = s.get(&format!("/area/wijk/{wijk}.json")).json();
    let fig = twin["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["indicator"] == "v1101_t")
        .unwrap()
        .clone();
    let period = fig["period"].as_str().unwrap();
    let api = s
        .get(&format!(
            "/api/v1/data?indicator=v1101_t&level=wijk&period={period}&items={wijk}"
        ))
        .json();
    let row = &api["data"].as_array().unwrap()[0];
    assert_eq!(fig["value"], row["value"], "{fig} vs {row}");
    assert!(fig["rank"].as_u64().unwrap() >= 1 && fig["rank"].as_u64() <= fig["of"].as_u64());
    // The parent (the district or the city) is there to compare against.
    assert!(
        twin["ancestors"].as_array().unwrap().len() >= 2,
        "{}",
        twin["ancestors"]
    );
    assert!(fig["parent"].is_number());
}

#[test]
fn graphics_download_as_svg_and_png() {
    let s = Server::demo();
    let svg = s.get("/indicator/v1101_t/map.svg?level=wijk");
    assert_eq!(svg.status, 200);
    assert_eq!(svg.headers["content-type"], "image/svg+xml");
    assert!(svg.body.contains("<svg") && svg.body.contains("<title"));
    let chart = s.get("/indicator/v1101_t/chart.svg?level=wijk");
    assert!(chart.body.contains("data-area="));
    let png = s.get("/indicator/v1101_t/map.png?level=wijk");
    assert_eq!(png.status, 200);
    assert_eq!(png.headers["content-type"], "image/png");
    let xlsx = s.get("/indicator/v1101_t.xlsx?level=wijk");
    assert_eq!(xlsx.status, 200);
}

#[test]
fn suppressed_values_show_as_x_and_stay_distinct_on_the_map() {
    let s = Server::demo();
    // Find a public indicator with a hidden cell on the sector level.
    let list = s.get("/api/v1/indicators?per_page=500").json();
    let codes: Vec<String> = list["indicators"]
        .as_array()
        .or_else(|| list["data"].as_array())
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_string())
        .collect();
    let mut found = false;
    for code in codes {
        let twin = s.get(&format!("/indicator/{code}.json?level=statsec"));
        if twin.status != 200 {
            continue;
        }
        let j = twin.json();
        let Some(hidden) = j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["status"] == "x")
        else {
            continue;
        };
        assert!(hidden["value"].is_null() && hidden["rank"].is_null());
        let page = s
            .get(&format!(
                "/indicator/{code}?level=statsec&period={}",
                j["period"].as_str().unwrap()
            ))
            .body;
        let map = between(&page, "<figure class=\"map", "</figure>");
        assert!(
            map.contains("-hatch"),
            "{code}: no hatch pattern for suppressed areas"
        );
        let table = between(&page, "<tbody class=\"rows\">", "</tbody>");
        let code_h = hidden["code"].as_str().unwrap();
        let row = between(table, &format!("data-area=\"{code_h}\""), "</tr>");
        assert!(row.contains(">x<"), "{row}");
        found = true;
        break;
    }
    assert!(found, "the demo city has suppressed sector values");
}

#[test]
fn budgets_of_the_demo_pages() {
    let s = Server::demo();
    let home = s.get("/");
    assert!(
        home.body.len() < 100_000,
        "home is {} bytes",
        home.body.len()
    );
    let js = s.get("/static/peil.js");
    assert!(js.body.len() < 30_000, "peil.js is {} bytes", js.body.len());
    assert!(js.headers["content-type"].starts_with("text/javascript"));
    let css = s.get("/static/peil.css");
    assert!(css.body.contains("--brand:#"));
}

#[test]
fn the_site_configuration_is_read_again_when_it_changes() {
    let s = Server::demo();
    assert!(s.get("/").body.contains("Scheldemonde in cijfers"));
    let cfg = s.site.path().join("peil.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    // Top-level keys go before the file's tables (the demo's ends with `[catalog]`).
    let text = format!(
        "primary_color = \"#123456\"\nhighlights = [\"vp_65p\"]\n{}\n[intro]\nnl = \"Welkom in de databank.\"\n",
        text.replace("Scheldemonde in cijfers", "Testdorp in cijfers")
    );
    std::fs::write(&cfg, text).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let home = s.get("/");
        if home.body.contains("Testdorp in cijfers") {
            assert!(home.body.contains("Welkom in de databank."));
            assert!(s.get("/static/peil.css").body.contains("--brand:#123456"));
            let j = s.get("/index.json").json();
            assert_eq!(j["highlights"][0]["indicator"], "vp_65p", "{j}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the new name never showed"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

/// The website on the real Flanders data: 2,730 neighbourhoods (ggw72024) on one map, the
/// municipalities, Fluvius energy use rolled up from the 2019 sectors.
#[test]
fn the_website_works_on_the_flanders_data() {
    let f = common::flanders();
    let site = common::Site::new();
    for l in ["statsec2019", "statsec2024", "ggw72024", "gemeente2024"] {
        site.import(&f.join(format!("swing/gebiedsdefinities/{l}.xlsx")), &[]);
    }
    for t in [
        "statsec2024_ggw72024",
        "statsec2024_gemeente2024",
        "statsec2019_statsec2024",
    ] {
        site.import(&f.join(format!("swing/aggregatietabellen/{t}.xlsx")), &[]);
    }
    site.import(&f.join("geo/lambert72/ggw72024.shp"), &[]);
    site.import(&f.join("geo/lambert72/gemeente2024.shp"), &[]);
    site.import(
        &f.join("stats/fluvius_energy_statsec2019_2018_2021.csv"),
        &[],
    );
    site.ok(&["publish"]);
    let s = Server::start(site);

    // What open-data portals harvest and Swing clients read conforms to the standards here too
    // (checked on this site rather than building Flanders a second time).
    let (ttl, _) = common::assert_catalogue_conforms(&s, "the Flanders site");
    assert!(ttl.contains("/api/v1/indicators/v2506_elek_res_cons>\n    a dcat:Dataset"));
    common::assert_metadata_valid(&s);

    let ind = "v2506_elek_res_cons";
    let r = s.get(&format!("/indicator/{ind}?level=ggw72024&period=2020"));
    assert_eq!(r.status, 200);
    let map = between(&r.body, "<figure class=\"map", "</figure>");
    assert_sprite_map_matches_inline(
        &s,
        map,
        &format!("/indicator/{ind}/map.svg?level=ggw72024&period=2020"),
    );
    // The geometry stays out of the page (the 2,730 paths alone are 600 KB).
    assert!(r.body.len() < 250_000, "{} bytes", r.body.len());
    // The large level shows the extremes in the chart and the first rows of the table.
    let chart = between(&r.body, "<figure class=\"chart", "</figure>");
    let bars = areas_in(chart).len();
    assert!((20..=40).contains(&bars), "{bars} bars");
    assert!(r.body.contains("rows=all"), "a link to every row");
    let all = s.get(&format!(
        "/indicator/{ind}?level=ggw72024&period=2020&rows=all"
    ));
    let table = between(&all.body, "<tbody class=\"rows\">", "</tbody>");
    assert!(
        count(table, "<tr data-area=") >= 3_000,
        "{}",
        count(table, "<tr data-area=")
    );

    // The municipality map, the CSV twin against the API, a profile, search.
    let csv = s
        .get(&format!(
            "/indicator/{ind}.csv?level=gemeente2024&period=2021"
        ))
        .body;
    let api = s
        .get(&format!(
            "/api/v1/data?indicator={ind}&level=gemeente2024&period=2021&items=11002"
        ))
        .json();
    let want = api["data"][0]["value"].as_f64().unwrap();
    let line = csv.lines().find(|l| l.contains(",11002,")).unwrap();
    let got: f64 = line.split(',').nth(4).unwrap().parse().unwrap();
    assert!((got - want).abs() <= 1e-9 * want.abs(), "{got} vs {want}");
    let profile = s.get("/area/gemeente2024/11002");
    assert_eq!(profile.status, 200);
    assert!(profile.body.contains("Antwerpen"));
    assert!(profile.body.contains("<figure class=\"locator"));
    let found = s.get("/search.json?q=antwerpen").json();
    assert!(
        found["areas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"].as_str().unwrap().contains("Antwerpen")),
        "{found}"
    );
    for path in [
        "/",
        "/themes",
        "/compare?level=gemeente2024&areas=11002,44021",
        "/explorer?indicators=v2506_elek_res_cons&level=gemeente2024&view=map",
    ] {
        let r = s.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert_self_contained(path, &r.body);
    }
}

/// A level nothing is loaded on (a survey-only site's levels, a division without data): no
/// page may fail. The explorer once panicked on it and answered with an empty reply.
#[test]
fn no_page_fails_on_a_level_without_data() {
    let site = Site::demo();
    let f = site.path().join("losse.csv");
    std::fs::write(&f, "code;name\nA1;Eerste\nA2;Tweede\n").unwrap();
    site.import(&f, &[]);
    site.ok(&["publish"]);
    let s = Server::start(site);
    for path in [
        "/explorer?level=losse",
        "/explorer.json?level=losse",
        "/explorer.csv?level=losse",
        "/explorer?level=losse&view=chart",
        "/explorer?level=losse&view=map",
        "/explorer?level=losse&view=table",
        "/compare?level=losse&areas=A1,A2",
        "/compare.json?level=losse&areas=A1,A2",
        "/area/losse/A1",
        "/area/losse/A1.json",
        "/indicator/v1101_t?level=losse",
        "/indicator/v1101_t.json?level=losse",
        "/indicator/v1101_t/map.svg?level=losse",
        "/indicator/v1101_t/chart.svg?level=losse",
        "/embed/indicator/v1101_t/table?level=losse",
        "/api/v1/data?indicator=v1101_t&level=losse",
        "/api/v1/areas/losse/A1/profile",
        "/jive/selectiontableasjson.ashx?var=v1101_t&geolevel=losse",
        "/jiveservices/odata/GeoLevels('losse')/GeoItems",
    ] {
        let r = s.get(path);
        assert!(r.status < 500 && r.status != 0, "{path}: {}", r.status);
        assert!(!r.body.is_empty(), "{path}: empty answer");
    }
}
