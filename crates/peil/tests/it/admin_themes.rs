//! Issue 14: the theme tree edited in the back office (every operation over HTTP as a browser
//! without JavaScript sends it, cycles and viewers refused, audited, public only after
//! publishing) and the preview of the test copy (experts only, never cached, never for a
//! forged cookie or parameter). Expectations come from the demo's own tree as the store holds
//! it, read with SQL here, never from the functions under test.

use crate::admin::{Browser, add_user, audit_actions, count, enc, population, serve, some_sector};
use crate::common::*;
use serde_json::Value as Json;
use std::time::{Duration, Instant};

/// (parent, seq) of a theme in the test copy; `None`: there is no such theme.
fn stored(s: &Server, code: &str) -> Option<(Option<String>, i64)> {
    let rows = s
        .site
        .sql(&format!(
            "SELECT parent, seq FROM theme WHERE code = '{code}'"
        ))
        .unwrap();
    let row = rows.first()?;
    let parent = Some(row[0].clone()).filter(|p| !p.is_empty());
    Some((parent, row[1].parse().unwrap()))
}

/// The themes an indicator is listed in (test copy), sorted.
fn places(s: &Server, indicator: &str) -> Vec<String> {
    s.site
        .sql(&format!(
            "SELECT t.theme_code FROM indicator_theme t JOIN indicator i ON i.id = t.indicator_id
             WHERE i.code = '{indicator}' ORDER BY t.theme_code"
        ))
        .unwrap()
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

/// The top-level themes of the test copy in their order.
fn top_level(s: &Server) -> Vec<String> {
    s.site
        .sql("SELECT code FROM theme WHERE parent IS NULL ORDER BY seq, code")
        .unwrap()
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

/// A theme of the public tree (`/themes.json`): (name, parent code, indicator codes).
fn public_theme(tree: &Json, code: &str) -> Option<(String, Option<String>, Vec<String>)> {
    fn walk(
        nodes: &Json,
        parent: Option<&str>,
        code: &str,
    ) -> Option<(String, Option<String>, Vec<String>)> {
        for n in nodes.as_array()? {
            if n["code"] == code {
                let inds = n["indicators"]
                    .as_array()
                    .map(|l| {
                        l.iter()
                            .map(|i| i["code"].as_str().unwrap().to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                return Some((
                    n["name"].as_str().unwrap().to_string(),
                    parent.map(str::to_string),
                    inds,
                ));
            }
            if let Some(f) = walk(&n["children"], n["code"].as_str(), code) {
                return Some(f);
            }
        }
        None
    }
    walk(&tree["themes"], None, code)
}

fn public_tree(s: &Server) -> Json {
    let r = s.get("/themes.json");
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// Posts an edit; expects the redirect back to the node `anchor`.
fn edit(b: &mut Browser, path: &str, form: &str, anchor: &str) {
    let a = b.post(path, form);
    assert_eq!(a.status, 303, "{path} {form}: {}", a.body);
    let to = a.header("location").unwrap_or_default().to_string();
    assert!(
        to.ends_with(&format!("#{anchor}")),
        "{path}: back to {to}, expected #{anchor}"
    );
    let page = b.get(to.split('#').next().unwrap());
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(&format!("id=\"{anchor}\"")),
        "the node {anchor} is on the page it returns to"
    );
}

#[test]
fn an_expert_edits_the_tree_in_the_test_copy_and_publishing_makes_it_public() {
    let s = serve("");
    let pw = add_user(&s, "eva", "expert", "");
    let mut b = Browser::new(&s);
    assert_eq!(b.login("eva", &pw).status, 303);
    let csrf = b.token();
    assert_eq!(
        stored(&s, "jeugd").unwrap().0,
        None,
        "the demo's jeugd is at the top"
    );
    let energy_name = "Energie en klimaat";

    // The page shows the whole tree with indicators under their themes.
    let page = b.get("/admin/themes");
    assert_eq!(page.status, 200, "{}", page.body);
    for id in [
        "t-energie",
        "t-bev_omvang",
        "t-buurt_veiligheid",
        "i-bev_omvang-v1101_t",
    ] {
        assert!(page.body.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(page.body.contains(energy_name));

    // Rename, add, add beneath, move.
    edit(
        &mut b,
        "/admin/themes/energie/rename",
        &format!("csrf={csrf}&name={}", enc("Energie en klimaat 2030")),
        "t-energie",
    );
    edit(
        &mut b,
        "/admin/themes",
        &format!("csrf={csrf}&code=leefomgeving&name=Leefomgeving&parent="),
        "t-leefomgeving",
    );
    edit(
        &mut b,
        "/admin/themes",
        &format!(
            "csrf={csrf}&code=leefomgeving_prijzen&name={}&parent=leefomgeving",
            enc("Prijzen")
        ),
        "t-leefomgeving_prijzen",
    );
    assert_eq!(
        stored(&s, "leefomgeving_prijzen").unwrap().0.as_deref(),
        Some("leefomgeving")
    );
    edit(
        &mut b,
        "/admin/themes/jeugd/move",
        &format!("csrf={csrf}&parent=buurt"),
        "t-jeugd",
    );
    assert_eq!(stored(&s, "jeugd").unwrap().0.as_deref(), Some("buurt"));

    // A theme under its own descendant, or under itself, is refused with a reason.
    for target in ["jeugd", "buurt"] {
        let a = b.post(
            "/admin/themes/buurt/move",
            &format!("csrf={csrf}&parent={target}"),
        );
        assert_eq!(a.status, 409, "{}", a.body);
        assert!(a.body.contains("beneath"), "{}", a.body);
    }
    assert_eq!(stored(&s, "buurt").unwrap().0, None, "nothing moved");
    let a = b.post(
        "/admin/themes/buurt/move",
        &format!("csrf={csrf}&parent=nope"),
    );
    assert_eq!(a.status, 409);
    assert!(a.body.contains("there is no theme"), "{}", a.body);

    // Up and down among siblings.
    let order = top_level(&s);
    let k = order.iter().position(|c| c == "energie").unwrap();
    assert!(k > 0 && k + 1 < order.len(), "{order:?}");
    edit(
        &mut b,
        "/admin/themes/energie/order",
        &format!("csrf={csrf}&direction=up"),
        "t-energie",
    );
    let mut want = order.clone();
    want.swap(k - 1, k);
    assert_eq!(top_level(&s), want);
    edit(
        &mut b,
        "/admin/themes/energie/order",
        &format!("csrf={csrf}&direction=down"),
        "t-energie",
    );
    assert_eq!(top_level(&s), order);

    // An indicator moves, gets a second place, loses it again; its last place stays.
    let before = places(&s, "v1101_t");
    assert!(before.contains(&"kerncijfers".to_string()), "{before:?}");
    edit(
        &mut b,
        "/admin/indicators/v1101_t/place",
        &format!("csrf={csrf}&from=kerncijfers&to=leefomgeving"),
        "i-leefomgeving-v1101_t",
    );
    let moved: Vec<String> = {
        let mut v: Vec<String> = before
            .iter()
            .map(|t| {
                if t == "kerncijfers" {
                    "leefomgeving".into()
                } else {
                    t.clone()
                }
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(places(&s, "v1101_t"), moved);
    edit(
        &mut b,
        "/admin/indicators/v1101_t/place",
        &format!("csrf={csrf}&to=energie"),
        "i-energie-v1101_t",
    );
    assert!(places(&s, "v1101_t").contains(&"energie".to_string()));
    edit(
        &mut b,
        "/admin/indicators/v1101_t/unlist",
        &format!("csrf={csrf}&theme=energie"),
        "t-energie",
    );
    assert_eq!(places(&s, "v1101_t"), moved);
    let only = {
        let rows = s
            .site
            .sql(
                "SELECT i.code, min(t.theme_code) FROM indicator i JOIN indicator_theme t ON t.indicator_id = i.id
                 GROUP BY i.id, i.code HAVING count(*) = 1 ORDER BY i.code LIMIT 1",
            )
            .unwrap();
        (rows[0][0].clone(), rows[0][1].clone())
    };
    let a = b.post(
        &format!("/admin/indicators/{}/unlist", only.0),
        &format!("csrf={csrf}&theme={}", only.1),
    );
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(places(&s, &only.0), std::slice::from_ref(&only.1));

    // Delete: refused while a theme holds something, done when it is empty.
    let a = b.post("/admin/themes/leefomgeving/delete", &format!("csrf={csrf}"));
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(stored(&s, "leefomgeving").is_some());
    edit(
        &mut b,
        "/admin/themes/leefomgeving_prijzen/delete",
        &format!("csrf={csrf}"),
        "t-leefomgeving",
    );
    assert!(stored(&s, "leefomgeving_prijzen").is_none());

    // Every edit and every refusal is in the audit log, by the expert.
    for (action, n) in [
        ("theme.rename", 1),
        ("theme.add", 2),
        ("theme.move", 4),
        ("theme.order", 2),
        ("indicator.move", 1),
        ("indicator.alias", 1),
        ("indicator.unlist", 2),
        ("theme.delete", 2),
    ] {
        assert_eq!(count(&s, action), n, "{action}: {:?}", audit_actions(&s));
    }
    assert!(
        audit_actions(&s)
            .iter()
            .filter(|(_, a)| a.starts_with("theme.") || a.starts_with("indicator."))
            .all(|(who, _)| who == "eva")
    );

    // Readers still see the published tree: read for the first time only now, so nothing
    // was kept from before the edits.
    let tree = public_tree(&s);
    let (name, _, _) = public_theme(&tree, "energie").unwrap();
    assert_eq!(name, energy_name);
    assert_eq!(public_theme(&tree, "jeugd").unwrap().1, None);
    assert!(public_theme(&tree, "leefomgeving").is_none());
    assert!(
        public_theme(&tree, "kerncijfers")
            .unwrap()
            .2
            .contains(&"v1101_t".to_string())
    );

    // The publish page says the tree changes; publishing makes it public.
    let publish = b.get("/admin/publish");
    assert_eq!(publish.status, 200, "{}", publish.body);
    assert!(
        publish.body.contains("De themaboom verandert"),
        "{}",
        publish.body
    );
    let done = b.post("/admin/publish", &format!("csrf={csrf}"));
    assert_eq!(done.status, 303, "{}", done.body);
    let t0 = Instant::now();
    loop {
        let tree = public_tree(&s);
        if public_theme(&tree, "energie").unwrap().0 == "Energie en klimaat 2030" {
            assert_eq!(
                public_theme(&tree, "jeugd").unwrap().1.as_deref(),
                Some("buurt")
            );
            let new = public_theme(&tree, "leefomgeving").expect("the new theme is public now");
            assert!(new.2.contains(&"v1101_t".to_string()), "{new:?}");
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "not published: {tree}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Nothing is left to publish: the tree no longer differs.
    let publish = b.get("/admin/publish");
    assert!(!publish.body.contains("De themaboom verandert"));
}

#[test]
fn viewers_forged_tokens_and_anonymous_readers_cannot_edit_the_tree() {
    let s = serve("");
    let vpw = add_user(&s, "vic", "viewer", "");
    let epw = add_user(&s, "eva", "expert", "");
    let mut v = Browser::new(&s);
    assert_eq!(v.login("vic", &vpw).status, 303);
    let token = v.token();
    assert_eq!(v.get("/admin/themes").status, 403);
    for (path, form) in [
        ("/admin/themes", "code=x&name=X&parent="),
        ("/admin/themes/energie/rename", "name=Weg"),
        ("/admin/themes/jeugd/move", "parent=buurt"),
        ("/admin/themes/energie/order", "direction=up"),
        ("/admin/themes/ruimte/delete", ""),
        ("/admin/indicators/v1101_t/place", "to=energie"),
        ("/admin/preview", "on=1"),
    ] {
        let a = v.post(path, &format!("csrf={token}&{form}"));
        assert_eq!(a.status, 403, "{path}: {}", a.body);
    }
    // An expert's wrong token, and no session at all.
    let mut e = Browser::new(&s);
    assert_eq!(e.login("eva", &epw).status, 303);
    let good = e.token();
    let a = e.post(
        "/admin/themes/jeugd/move",
        &format!("csrf={good}x&parent=buurt"),
    );
    assert_eq!(a.status, 403);
    let mut anon = Browser::new(&s);
    let a = anon.post(
        "/admin/themes/jeugd/move",
        &format!("csrf={good}&parent=buurt"),
    );
    assert_eq!(a.status, 403);
    assert_eq!(stored(&s, "jeugd").unwrap().0, None, "nothing moved");
    assert!(stored(&s, "x").is_none());
    assert_eq!(count(&s, "theme.move"), 0);
    assert_eq!(count(&s, "preview"), 0);
}

/// Whether an answer's CSV has `value` for `area`.
fn has(body: &str, area: &str, value: &str) -> bool {
    body.lines()
        .any(|l| l.contains(area) && l.split(',').any(|c| c == value))
}

const DATA: &str = "/api/v1/data?indicator=v1101_t&level=statsec&period=2021&format=csv";

#[test]
fn only_experts_preview_the_test_copy_and_no_cache_passes_it_on() {
    let s = serve("");
    let epw = add_user(&s, "eva", "expert", "");
    let vpw = add_user(&s, "vic", "viewer", "");
    let (area, old) = some_sector(&s);
    let new = "98765";
    let file = s.site.path().join("preview.csv");
    std::fs::write(
        &file,
        format!("period,geolevel,geoitem,indicator,value\n2021,statsec,{area},v1101_t,{new}\n"),
    )
    .unwrap();
    s.site.import(&file, &[]);

    // Anonymous, before anyone previews: the live value (and now kept by the cache).
    assert_eq!(population(&s, &area).as_deref(), Some(old.as_str()));
    // A forged session cookie, a preview cookie or parameter change nothing.
    let mut anon = Browser::new(&s);
    anon.cookies.insert("peil_session".into(), "f".repeat(64));
    anon.cookies.insert("peil_preview".into(), "1".into());
    for url in [DATA.to_string(), format!("{DATA}&preview=1")] {
        let a = anon.get(&url);
        assert!(!has(&a.body, &area, new), "{url}: {}", a.body);
        assert!(a.header("peil-preview").is_none());
    }
    let home = anon.get("/?preview=1");
    assert!(!home.body.contains("Testkopie — niet gepubliceerd"));

    // A viewer cannot turn it on, and a viewer's session marked for preview (a demoted
    // expert's) does not get it either.
    let mut v = Browser::new(&s);
    assert_eq!(v.login("vic", &vpw).status, 303);
    let vt = v.token();
    assert_eq!(
        v.post("/admin/preview", &format!("csrf={vt}&on=1")).status,
        403
    );
    let marked = s
        .site
        .sql(
            "UPDATE app_session SET preview = 1 WHERE user_id = (SELECT id FROM app_user WHERE login = 'vic') RETURNING 1",
        )
        .unwrap();
    assert_eq!(marked.len(), 1);
    let a = v.get(DATA);
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(has(&a.body, &area, &old), "{}", a.body);
    assert!(!v.get("/").body.contains("Testkopie — niet gepubliceerd"));

    // The expert turns it on: the test copy on every page and answer, for them only.
    let mut e = Browser::new(&s);
    assert_eq!(e.login("eva", &epw).status, 303);
    let et = e.token();
    let on = e.post("/admin/preview", &format!("csrf={et}&on=1&next=/"));
    assert_eq!(on.status, 303, "{}", on.body);
    assert_eq!(on.header("location"), Some("/"));
    let a = e.get(DATA);
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        has(&a.body, &area, new),
        "the preview shows the import: {}",
        a.body
    );
    assert_eq!(a.header("cache-control"), Some("private, no-store"));
    assert!(a.header("peil-preview").is_some());
    let home = e.get("/");
    assert!(
        home.body.contains("Testkopie — niet gepubliceerd"),
        "{}",
        home.body
    );
    assert!(home.body.contains("/admin/preview"));
    // The cache passed on neither answer: anonymous readers still get the live value.
    assert_eq!(population(&s, &area).as_deref(), Some(old.as_str()));
    let a = anon.get(DATA);
    assert!(has(&a.body, &area, &old), "{}", a.body);
    // The back office itself stays on the store, without the banner.
    assert!(
        !e.get("/admin")
            .body
            .contains("Testkopie — niet gepubliceerd")
    );

    // Off again: the live value, for the expert too.
    let off = e.post(
        "/admin/preview",
        &format!("csrf={et}&on=0&next=//evil.example"),
    );
    assert_eq!(off.status, 303);
    assert_eq!(
        off.header("location"),
        Some("/admin"),
        "only paths of this site"
    );
    let a = e.get(DATA);
    assert!(has(&a.body, &area, &old), "{}", a.body);
    assert!(a.header("peil-preview").is_none());
    assert_eq!(count(&s, "preview"), 2);
}
