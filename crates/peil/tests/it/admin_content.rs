//! The back office's content pages (issue 14 §4) over real HTTP against the real binary: a story
//! edited by an expert and served at once, a broken one refused at its line, the live preview,
//! history and restore, the image library's checks, the site settings (administrators only,
//! comments and unknown keys kept), CSRF, and the audit rows every change writes.

use crate::admin::{Answer, Browser, add_user, count, enc, serve};
use crate::common::*;

/// A wijk of the demo and the story the demo ships.
const WIJK: &str = "4699903";
const OTHER_WIJK: &str = "4699905";
const STORY: &str = "stories/wijkprofiel.md";

/// The API's population of a wijk in 2025, as a whole number.
fn population(s: &Server, area: &str) -> i64 {
    let j = s
        .get(&format!(
            "/api/v1/data?indicator=v1101_t&level=wijk&period=2025&items={area}"
        ))
        .json();
    j["data"][0]["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("{j}"))
        .round() as i64
}

/// Text without any kind of space (numbers are grouped with narrow spaces).
fn tight(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}')
        .collect()
}

/// A story that prints the 2025 population of its area between markers.
fn marked_story(marker: &str) -> String {
    format!(
        "+++\ntitle = \"Wijk {{{{ geo.name }}}}\"\nlevel = \"wijk\"\n+++\n# Nieuw\n\n{marker} {{{{ value(\"v1101_t\", geo, \"2025\") | int }}}} EINDE\n"
    )
}

fn expert(s: &Server) -> Browser<'_> {
    let pw = add_user(s, "eva", "expert", "");
    let mut b = Browser::new(s);
    assert_eq!(b.login("eva", &pw).status, 303);
    b
}

fn location(a: &Answer) -> String {
    a.header("location")
        .unwrap_or_else(|| panic!("no redirect: {} {}", a.status, a.body))
        .to_string()
}

/// The versions of a file in the store: (id, who, action, restored_from), oldest first.
fn versions(s: &Server, path: &str) -> Vec<(i64, String, String, Option<i64>)> {
    s.site
        .sql(&format!(
            "SELECT id, who, action, restored_from FROM content_version WHERE path = '{path}' ORDER BY id"
        ))
        .unwrap()
        .into_iter()
        .map(|r| {
            let from = Some(&r[3]).filter(|f| !f.is_empty());
            (
                r[0].parse().unwrap(),
                r[1].clone(),
                r[2].clone(),
                from.map(|f| f.parse().unwrap()),
            )
        })
        .collect()
}

#[test]
fn an_expert_edits_a_story_and_the_public_page_follows() {
    let s = serve("");
    let file = s.site.path().join(STORY);
    let original = std::fs::read_to_string(&file).unwrap();
    let public = format!("/stories/wijkprofiel?regionlevel=wijk&regioncode={WIJK}");
    // The old page is in the response cache.
    for _ in 0..2 {
        let r = s.get(&public);
        assert_eq!(r.status, 200);
        assert!(!r.body.contains("EINDE"));
    }
    let mut b = expert(&s);
    let list = b.get("/admin/stories");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body.contains("stories/wijkprofiel.md"),
        "{}",
        list.body
    );
    let editor = b.get("/admin/stories/wijkprofiel");
    assert_eq!(editor.status, 200);
    assert!(
        editor.body.contains("value(ind, area?, period?)"),
        "functions listed"
    );
    let csrf = editor.csrf();

    // Without a token nothing is written.
    let text = marked_story("BEGIN");
    let a = b.post(
        "/admin/stories/wijkprofiel",
        &format!("op=save&source={}", enc(&text)),
    );
    assert_eq!(a.status, 403);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);

    // Preview without JavaScript: the page again, with the story for the chosen area; no save.
    let a = b.post(
        "/admin/stories/wijkprofiel",
        &format!(
            "csrf={csrf}&op=preview&area=wijk:{OTHER_WIJK}&source={}",
            enc(&text)
        ),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let want = format!("BEGIN {} EINDE", population(&s, OTHER_WIJK));
    let at = a.body.find("id=\"preview\"").unwrap_or(0);
    assert!(
        tight(&a.body).contains(&tight(&want)),
        "no {want} in the preview: {}",
        &a.body[at..(at + 300).min(a.body.len())]
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);

    // The live preview's endpoint answers the fragment for the chosen area.
    for area in [WIJK, OTHER_WIJK] {
        let a = b.post(
            "/admin/stories/wijkprofiel/preview",
            &format!("csrf={csrf}&area=wijk:{area}&source={}", enc(&text)),
        );
        assert_eq!(a.status, 200, "{}", a.body);
        let want = format!("BEGIN {} EINDE", population(&s, area));
        assert!(
            tight(&a.body).contains(&tight(&want)),
            "no {want} in: {}",
            a.body
        );
        assert!(!a.body.contains("<html"), "a fragment, not a page");
    }

    // A broken story is refused with its line, the text stays in the form, the file is kept.
    let broken = "+++\nlevel = \"wijk\"\n+++\nRegel een.\n{{ bestaat_niet(\"v1101_t\") }}\n";
    let a = b.post(
        "/admin/stories/wijkprofiel",
        &format!("csrf={csrf}&op=save&source={}", enc(broken)),
    );
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(a.body.contains("href=\"#line-5\""), "{}", a.body);
    assert!(a.body.contains("id=\"line-5\""));
    assert!(
        a.body.contains("bestaat_niet(&quot;v1101_t&quot;)")
            || a.body.contains("bestaat_niet(&#34;v1101_t&#34;)"),
        "{}",
        a.body
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    // So is a story whose header is not closed.
    let a = b.post(
        "/admin/stories/wijkprofiel",
        &format!("csrf={csrf}&op=save&source={}", enc("+++\ntitle = \"x\"\n")),
    );
    assert_eq!(a.status, 422);
    assert!(a.body.contains("href=\"#line-1\""), "{}", a.body);

    // Saved: the file changes atomically, the public page follows at once (no stale cache).
    let a = b.post(
        "/admin/stories/wijkprofiel",
        &format!("csrf={csrf}&op=save&source={}", enc(&text)),
    );
    assert_eq!(a.status, 303, "{}", a.body);
    assert!(location(&a).starts_with("/admin/stories/wijkprofiel?saved="));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    let leftovers: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let r = s.get(&public);
    let want = format!("BEGIN {} EINDE", population(&s, WIJK));
    assert!(
        tight(&r.body).contains(&tight(&want)),
        "the public page is not the new story"
    );
    assert_eq!(count(&s, "content saved"), 1);

    // History: the file as it was found, then the save.
    let v = versions(&s, STORY);
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!((v[0].1.as_str(), v[0].2.as_str()), ("-", "found"));
    assert_eq!((v[1].1.as_str(), v[1].2.as_str()), ("eva", "save"));
    let h = b.get("/admin/stories/wijkprofiel/history");
    assert_eq!(h.status, 200);
    assert!(
        h.body
            .contains(&format!("/admin/versions/{}/restore", v[0].0))
    );
    let view = b.get(&format!("/admin/versions/{}", v[0].0));
    assert_eq!(view.status, 200);
    assert!(
        view.body.contains("<span class=\"add\">+ BEGIN"),
        "{}",
        view.body
    );

    // Restore the original: a new version that names it; the public page is the old one again.
    let a = b.post(
        &format!("/admin/versions/{}/restore", v[0].0),
        &format!("csrf={csrf}"),
    );
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    let v = versions(&s, STORY);
    assert_eq!(v.len(), 3);
    assert_eq!(v[2].2, "restore");
    assert_eq!(v[2].3, Some(v[0].0));
    assert!(!s.get(&public).body.contains("EINDE"));
    assert_eq!(count(&s, "content restored"), 1);
    // A viewer has no business here.
    let vpw = add_user(&s, "vic", "viewer", "");
    let mut viewer = Browser::new(&s);
    viewer.login("vic", &vpw);
    assert_eq!(viewer.get("/admin/stories").status, 403);
}

#[test]
fn the_dashboard_form_adds_moves_and_saves_tiles() {
    let s = serve("");
    let mut b = expert(&s);
    let file = s.site.path().join("dashboards/bevolking.toml");
    let form = b.get("/admin/dashboards/bevolking");
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf();
    assert!(form.body.contains("name=\"t0_kind\""));
    // A new dashboard of two tiles, the second moved up, then saved.
    let base = format!(
        "csrf={csrf}&title=Kort&level=wijk&tiles=2&t0_kind=keyfigure&t0_indicator=v1101_t&t0_target=100&t1_kind=text&t1_text={}",
        enc("Tekst over {{ geo.name }}")
    );
    let moved = b.post("/admin/dashboards/kort", &format!("{base}&op=up:1"));
    assert_eq!(moved.status, 200, "{}", moved.body);
    let first = moved.body.find("name=\"t0_kind\"").unwrap();
    assert!(moved.body[first..].starts_with("name=\"t0_kind\"><option>keyfigure</option><option>chart</option><option>map</option><option>table</option><option selected>text</option>"), "{}", &moved.body[first..first + 300]);
    // A tile without its indicator is refused at its line.
    let bad = b.post(
        "/admin/dashboards/kort",
        &format!("csrf={csrf}&title=Kort&level=wijk&tiles=1&t0_kind=map&op=save"),
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("href=\"#line-4\""), "{}", bad.body);
    assert!(!s.site.path().join("dashboards/kort.toml").exists());
    let saved = b.post("/admin/dashboards/kort", &format!("{base}&op=save"));
    assert_eq!(saved.status, 303, "{}", saved.body);
    let text = std::fs::read_to_string(s.site.path().join("dashboards/kort.toml")).unwrap();
    assert!(text.contains("indicator = \"v1101_t\""), "{text}");
    let page = s.get(&format!(
        "/dashboards/kort?regionlevel=wijk&regioncode={WIJK}"
    ));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Tekst over"), "{}", page.body);
    // The demo's dashboard is untouched.
    assert!(file.exists());
    assert_eq!(count(&s, "content saved"), 1);
}

#[test]
fn the_dashboard_form_keeps_the_files_comments() {
    let s = serve("");
    let mut b = expert(&s);
    let file = s.site.path().join("dashboards/commentaar.toml");
    let text = "# Kerncijfers van de wijk, met uitleg voor wie dit bestand later leest.\n\
title = \"Met commentaar\" # zoals de lezer het ziet\n\
level = \"wijk\"\n\
\n\
# Eerst het aantal inwoners\n\
[[tile]]\n\
kind = \"keyfigure\"\n\
indicator = \"v1101_t\" # inwoners op 1 januari\n\
change = -10\n\
\n\
# Dan de 65-plussers, met een doel\n\
[[tile]]\n\
kind = \"keyfigure\"\n\
indicator = \"vp_65p\"\n\
target = 20.0\n";
    std::fs::write(&file, text).unwrap();
    let form = b.get("/admin/dashboards/commentaar");
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.body
            .contains("<input type=\"hidden\" name=\"t1_orig\" value=\"1\">"),
        "{}",
        form.body
    );
    let csrf = form.csrf();
    let fields = |first: (usize, &str, &str), second: (usize, &str, &str)| {
        let tile = |i: usize, (orig, ind, extra): (usize, &str, &str)| {
            format!("&t{i}_kind=keyfigure&t{i}_orig={orig}&t{i}_indicator={ind}{extra}")
        };
        format!(
            "csrf={csrf}&title={}&level=wijk&tiles=2{}{}",
            enc("Met commentaar"),
            tile(0, first),
            tile(1, second)
        )
    };
    // One tile edited: its target, and nothing else of the file.
    let edited = fields(
        (0, "v1101_t", "&t0_change=-10"),
        (1, "vp_65p", "&t1_target=25"),
    );
    let saved = b.post("/admin/dashboards/commentaar", &format!("{edited}&op=save"));
    assert_eq!(saved.status, 303, "{}", saved.body);
    let now = std::fs::read_to_string(&file).unwrap();
    assert_eq!(now, text.replace("target = 20.0", "target = 25.0"));
    let page = s.get(&format!(
        "/dashboards/commentaar?regionlevel=wijk&regioncode={WIJK}"
    ));
    assert_eq!(page.status, 200, "{}", page.body);
    // Moved through the form, each tile keeps its comments; a field emptied goes with its line.
    let moved = b.post("/admin/dashboards/commentaar", &format!("{edited}&op=up:1"));
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert!(
        moved
            .body
            .contains("<input type=\"hidden\" name=\"t0_orig\" value=\"1\">"),
        "{}",
        moved.body
    );
    let swapped = fields((1, "vp_65p", "&t0_target=25"), (0, "v1101_t", ""));
    let saved = b.post(
        "/admin/dashboards/commentaar",
        &format!("{swapped}&op=save"),
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let now = std::fs::read_to_string(&file).unwrap();
    let (second, first) = (
        now.find("# Dan de 65-plussers").expect(&now),
        now.find("# Eerst het aantal inwoners").expect(&now),
    );
    assert!(second < first, "{now}");
    assert!(now.starts_with("# Kerncijfers van de wijk"), "{now}");
    assert!(
        now.contains("title = \"Met commentaar\" # zoals de lezer het ziet"),
        "{now}"
    );
    assert!(
        now.contains("indicator = \"v1101_t\" # inwoners op 1 januari"),
        "{now}"
    );
    assert!(!now.contains("change"), "{now}");
    assert_eq!(count(&s, "content saved"), 2);
}

/// A multipart upload of one image field (the CSRF token first).
fn image_upload(csrf: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----peilimageboundaryQ1w2E3r4";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{file_name}\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend_from_slice(&[0u8; 64]);
    b
}

#[test]
fn images_are_taken_by_their_bytes_under_safe_names() {
    let s = serve("");
    let mut b = expert(&s);
    let csrf = b.token();
    let content = s.site.path().join("content");
    let upload = |b: &mut Browser, name: &str, bytes: &[u8]| {
        let (ct, body) = image_upload(&csrf, name, bytes);
        b.send_body("POST", "/admin/images", Some(&ct), &body, &[])
    };
    // A PNG with a name that climbs out of the folder lands inside it, under a safe name.
    let a = upload(&mut b, "../../peil.toml.png", &png());
    assert_eq!(a.status, 303, "{}", a.body);
    assert!(
        location(&a).contains("added=peil-toml.png"),
        "{}",
        location(&a)
    );
    assert!(content.join("peil-toml.png").exists());
    assert!(!s.site.path().join("peil.toml.png").exists());
    let served = s.get("/content/peil-toml.png");
    assert_eq!(served.status, 200);
    let list = b.get("/admin/images");
    assert!(
        list.body.contains("![…](content/peil-toml.png)"),
        "{}",
        list.body
    );
    // The same name again gets a number, never replaces.
    let a = upload(&mut b, "peil toml.png", &png());
    assert!(location(&a).contains("added=peil-toml-2.png"));
    // SVG with a script, a text file called .png, an empty file: refused, nothing written.
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let a = upload(&mut b, "logo.svg", svg);
    assert_eq!(a.status, 415, "{}", a.body);
    assert!(a.body.contains("SVG"), "{}", a.body);
    let a = upload(&mut b, "x.png", b"GIF? no, this is text");
    assert_eq!(a.status, 415);
    assert_eq!(std::fs::read_dir(&content).unwrap().count(), 2);
    // Too large: refused before it is read.
    let (ct, body) = image_upload(&csrf, "big.png", &png());
    let big = (5u64 << 20) + 100_000;
    let a = b.send_body(
        "POST",
        "/admin/images",
        Some(&ct),
        &body,
        &[("Content-Length", &big.to_string())],
    );
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(std::fs::read_dir(&content).unwrap().count(), 2);
    assert_eq!(count(&s, "image added"), 2);
    assert_eq!(count(&s, "image refused"), 2);
    // An image a story uses is not deleted; one no file names is.
    std::fs::write(
        s.site.path().join("stories/met-beeld.md"),
        "# Beeld\n\n![Kaart](content/peil-toml.png)\n",
    )
    .unwrap();
    let a = b.post(
        "/admin/images/peil-toml.png/delete",
        &format!("csrf={csrf}"),
    );
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(a.body.contains("stories/met-beeld.md"));
    assert!(content.join("peil-toml.png").exists());
    let a = b.post(
        "/admin/images/peil-toml-2.png/delete",
        &format!("csrf={csrf}"),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(!content.join("peil-toml-2.png").exists());
    assert_eq!(count(&s, "image deleted"), 1);
    assert_eq!(s.get("/content/peil-toml-2.png").status, 404);
    // The story (written beside the back office: served after the server's poll) shows the
    // library's image.
    let t0 = std::time::Instant::now();
    let mut r = s.get("/stories/met-beeld");
    while r.status != 200 && t0.elapsed() < std::time::Duration::from_secs(15) {
        std::thread::sleep(std::time::Duration::from_millis(200));
        r = s.get("/stories/met-beeld");
    }
    assert!(
        r.body
            .contains("src=\"/content/peil-toml.png\" alt=\"Kaart\""),
        "{}",
        r.body
    );
}

#[test]
fn settings_are_the_administrators_and_keep_what_the_form_does_not_know() {
    let s = serve("");
    let toml = s.site.path().join("peil.toml");
    let mut before = std::fs::read_to_string(&toml).unwrap();
    before = format!("# Onze site, met de hand geschreven.\n{before}");
    std::fs::write(&toml, &before).unwrap();
    let mut e = expert(&s);
    let token = e.token();
    assert_eq!(e.get("/admin/settings").status, 403);
    let a = e.post("/admin/settings", &format!("csrf={token}&name=Nee"));
    assert_eq!(a.status, 403);
    assert_eq!(std::fs::read_to_string(&toml).unwrap(), before);

    let pw = add_user(&s, "ann", "beheerder", "");
    let mut b = Browser::new(&s);
    assert_eq!(b.login("ann", &pw).status, 303);
    let form = b.get("/admin/settings");
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf();
    let fields = |name: &str, primary: &str| {
        format!(
            "csrf={csrf}&name={}&primary_color={}&accent_color=%23b34400&languages=nl&languages=en&default_language=nl&highlights=v1101_t&intro_nl={}",
            enc(name),
            enc(primary),
            enc("Welkom in Teststad.")
        )
    };
    // A colour white text cannot be read on is refused with its contrast.
    let a = b.post("/admin/settings", &fields("Teststad", "#ffcc00"));
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(a.body.contains("4.5:1"), "{}", a.body);
    assert_eq!(std::fs::read_to_string(&toml).unwrap(), before);
    // So is an indicator that is not public, as a highlight.
    let a = b.post(
        "/admin/settings",
        &fields("Teststad", "#00536f").replace("highlights=v1101_t", "highlights=v_leefloon"),
    );
    assert_eq!(a.status, 422, "{}", a.body);

    let a = b.post("/admin/settings", &fields("Teststad", "#00536f"));
    assert_eq!(a.status, 303, "{}", a.body);
    let after = std::fs::read_to_string(&toml).unwrap();
    assert!(
        after.starts_with("# Onze site, met de hand geschreven.\n"),
        "{after}"
    );
    assert!(after.contains("name = \"Teststad\""), "{after}");
    assert!(after.contains("insecure_cookie = true"), "{after}");
    assert!(after.contains("languages = [\"nl\", \"en\"]"), "{after}");
    // Applied without a restart.
    let home = s.get("/");
    assert!(home.body.contains("Teststad"), "{}", home.body);
    assert!(home.body.contains("Welkom in Teststad."));
    assert_eq!(count(&s, "settings saved"), 1);

    // History and restore bring the old file back, as a new version.
    let v = versions(&s, "peil.toml");
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!(e.get(&format!("/admin/versions/{}", v[0].0)).status, 403);
    let h = b.get("/admin/settings/history");
    assert!(
        h.body
            .contains(&format!("/admin/settings/versions/{}/restore", v[0].0))
    );
    // The content route does not restore settings; the settings route does.
    let a = e.post(
        &format!("/admin/versions/{}/restore", v[0].0),
        &format!("csrf={token}"),
    );
    assert_eq!(a.status, 404);
    let a = b.post(
        &format!("/admin/settings/versions/{}/restore", v[0].0),
        &format!("csrf={csrf}"),
    );
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(std::fs::read_to_string(&toml).unwrap(), before);
    assert!(!s.get("/").body.contains("Teststad"));
    assert_eq!(count(&s, "settings restored"), 1);
}
