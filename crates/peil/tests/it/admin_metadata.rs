//! The back office's metadata pages (issue 14 §2) over real HTTP against the real binary: an
//! expert edits an indicator's metadata (texts in nl/en/fr), which the website shows only after
//! publishing; the form refuses what the metadata import refuses, next to the field; viewers
//! and requests without the session's token are refused; units, sources and area names are
//! renamed everywhere at once; every edit is audited with its before and after and can be
//! undone; the metadata workbook downloaded from `/admin/indicators.xlsx` imports back as no
//! change, and with one name changed as exactly that change.

use crate::admin::{Answer, Browser, add_user, audit_actions, count, enc, hidden, serve};
use crate::common::*;
use std::time::Duration;

/// The fields of the metadata form on a page, as a browser would send them: inputs, textareas,
/// the selected option of each select, checked checkboxes only.
fn form_fields(page: &Answer) -> Vec<(String, String)> {
    let start = page
        .body
        .find("metadata-form")
        .unwrap_or_else(|| panic!("no metadata form in: {}", page.body));
    let html = &page.body[start..page.body[start..].find("</form>").unwrap() + start];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let pat = format!(" {name}=\"");
        let at = tag.find(&pat)?;
        Some(unescape(tag[at + pat.len()..].split('"').next().unwrap()))
    };
    let mut out = Vec::new();
    let mut select: Option<String> = None;
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..end];
        let after = &rest[end + 1..];
        if tag.starts_with("<input") {
            if let Some(name) = attr(tag, "name") {
                let checkbox = attr(tag, "type").as_deref() == Some("checkbox");
                if !checkbox || tag.contains(" checked") {
                    out.push((name, attr(tag, "value").unwrap_or_default()));
                }
            }
        } else if tag.starts_with("<textarea") {
            let text = &after[..after.find("</textarea>").unwrap()];
            out.push((attr(tag, "name").unwrap(), unescape(text)));
        } else if tag.starts_with("<select") {
            select = attr(tag, "name");
        } else if tag.starts_with("<option") && tag.contains(" selected") {
            let text = &after[..after.find("</option>").unwrap()];
            out.push((select.clone().unwrap(), unescape(text)));
        }
        rest = after;
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The form with some fields set to other values (added when the form lacks them).
fn with(mut fields: Vec<(String, String)>, changes: &[(&str, &str)]) -> String {
    for (k, v) in changes {
        match fields.iter_mut().find(|(n, _)| n == k) {
            Some(f) => f.1 = v.to_string(),
            None => fields.push((k.to_string(), v.to_string())),
        }
    }
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Text as the templates escape it.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn stored(s: &Server, code: &str) -> peil_core::Indicator {
    s.site.open_store().indicator(code).unwrap().unwrap()
}

/// The detail of the last audit entry with this action.
fn last_detail(s: &Server, action: &str) -> serde_json::Value {
    let rows = s
        .site
        .sql(&format!(
            "SELECT detail FROM audit_log WHERE action = '{action}' ORDER BY id DESC LIMIT 1"
        ))
        .unwrap();
    serde_json::from_str(&rows[0][0]).unwrap()
}

/// Waits until a public page contains `want` (the server polls the store's generation).
fn wait_for_page(s: &Server, path: &str, want: &str) {
    let t0 = std::time::Instant::now();
    loop {
        let page = s.get(path);
        if page.body.contains(want) {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "{path} still lacks {want:?}: {}",
            page.body
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn logged_in<'a>(s: &'a Server, name: &str, role: &str) -> Browser<'a> {
    let pw = add_user(s, name, role, "");
    let mut b = Browser::new(s);
    assert_eq!(b.login(name, &pw).status, 303);
    b
}

#[test]
fn an_expert_edits_texts_that_the_site_shows_after_publishing() {
    let s = serve("");
    let mut b = logged_in(&s, "eva", "expert");
    let list = b.get("/admin/indicators?q=inwoners");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains(">v1101_t</a>"), "{}", list.body);
    assert!(
        !list.body.contains(">v_opp_km2</a>"),
        "filtered: {}",
        list.body
    );
    let nothing = b.get("/admin/indicators?q=geenenkelonderwerp");
    assert!(
        nothing.body.contains("<p>0 indicatoren"),
        "{}",
        nothing.body
    );
    let form = b.get("/admin/indicators/v1101_t");
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("value=\"Inwoners\""), "{}", form.body);
    assert!(
        form.body.contains("<label for=\"f-name-fr\">"),
        "{}",
        form.body
    );
    let fields = form_fields(&form);
    assert!(
        fields
            .iter()
            .any(|(k, v)| k == "name en" && v == "Inhabitants"),
        "{fields:?}"
    );
    let body = with(
        fields,
        &[
            ("name", "Inwoners (bewerkt)"),
            ("name fr", "Habitants"),
            ("footnote", "Op 1 januari."),
        ],
    );
    let saved = b.post("/admin/indicators/v1101_t", &body);
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(
        saved.body.contains("Bewaard in de testkopie"),
        "{}",
        saved.body
    );
    assert!(
        saved.body.contains("value=\"Inwoners (bewerkt)\""),
        "{}",
        saved.body
    );
    // Only what the form changed: the other fields are as they were.
    let now = stored(&s, "v1101_t");
    assert_eq!(
        now.name.0.get("nl").map(String::as_str),
        Some("Inwoners (bewerkt)")
    );
    assert_eq!(now.name.0.get("fr").map(String::as_str), Some("Habitants"));
    assert_eq!(
        now.name.0.get("en").map(String::as_str),
        Some("Inhabitants")
    );
    // The audit entry names each changed field, before and after.
    assert_eq!(count(&s, "metadata.edit"), 1);
    let d = last_detail(&s, "metadata.edit");
    assert_eq!(d["indicator"], "v1101_t");
    assert_eq!(
        d["changes"]["name"],
        serde_json::json!(["Inwoners", "Inwoners (bewerkt)"])
    );
    assert_eq!(
        d["changes"]["name fr"],
        serde_json::json!(["", "Habitants"])
    );
    assert_eq!(d["changes"].as_object().unwrap().len(), 3, "{d}");
    // Saving the same form again changes nothing and records nothing.
    let again = b.post("/admin/indicators/v1101_t", &with(form_fields(&saved), &[]));
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.body.contains("Niets gewijzigd"), "{}", again.body);
    assert_eq!(count(&s, "metadata.edit"), 1);
    // The public site still shows the live copy.
    let public = s.get("/indicator/v1101_t");
    assert!(public.body.contains("Inwoners"), "{}", public.body);
    assert!(!public.body.contains("Inwoners (bewerkt)"));
    assert!(!s.get("/fr/indicator/v1101_t").body.contains("Habitants"));
    // The publish page says metadata changed; publishing shows it, in each language.
    let page = b.get("/admin/publish");
    assert!(
        page.body
            .contains("Onderwerpen met gewijzigde metadata: 1 (v1101_t)"),
        "{}",
        page.body
    );
    let token = b.token();
    assert_eq!(
        b.post("/admin/publish", &format!("csrf={token}")).status,
        303
    );
    wait_for_page(&s, "/indicator/v1101_t", "Inwoners (bewerkt)");
    wait_for_page(&s, "/fr/indicator/v1101_t", "Habitants");
    let en = s.get("/en/indicator/v1101_t");
    assert!(en.body.contains("Inhabitants"), "{}", en.body);
    assert!(
        !en.body.contains("Habitants"),
        "English, not French: {}",
        en.body
    );
}

#[test]
fn the_form_refuses_what_the_import_refuses_next_to_the_field() {
    let s = serve("");
    let mut b = logged_in(&s, "eva", "expert");
    let before = stored(&s, "v_dichtheid");
    let imports = || s.site.ok(&["imports", "--json"]);
    let log = imports();
    let fields = form_fields(&b.get("/admin/indicators/v_dichtheid"));
    let bad = b.post(
        "/admin/indicators/v_dichtheid",
        &with(
            fields.clone(),
            &[
                ("threshold", "-3"),
                ("formula", "v1101_t / v_bestaatniet"),
                ("aggregation indicator", "v_ookniet"),
                ("name", "Dichtheid (niet bewaard)"),
            ],
        ),
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("Niet bewaard"), "{}", bad.body);
    for (id, text) in [
        ("f-threshold", "expected a threshold: a number ≥ 0"),
        ("f-formula", "v_bestaatniet"),
        ("f-aggregation-indicator", "refers to an unknown indicator"),
    ] {
        assert!(
            bad.body
                .contains(&format!("aria-describedby=\"{id}-error\"")),
            "{id}: {}",
            bad.body
        );
        let at = bad
            .body
            .find(&format!("id=\"{id}-error\">"))
            .unwrap_or_else(|| panic!("no error for {id}: {}", bad.body));
        let msg = &bad.body[at..at + bad.body[at..].find("</span>").unwrap()];
        assert!(msg.contains(text), "{id}: {msg}");
    }
    // What was sent is shown again to be corrected; nothing was written.
    assert!(
        bad.body.contains("value=\"Dichtheid (niet bewaard)\""),
        "{}",
        bad.body
    );
    assert_eq!(stored(&s, "v_dichtheid"), before);
    assert_eq!(imports(), log);
    assert_eq!(count(&s, "metadata.edit refused"), 1);
    // A formula that closes a cycle is refused as `peil check` and the import refuse it.
    let form = b.get("/admin/indicators/v1101_t");
    let cycle = b.post(
        "/admin/indicators/v1101_t",
        &with(
            form_fields(&form),
            &[("formula", "v_dichtheid * v_opp_km2")],
        ),
    );
    assert_eq!(cycle.status, 400, "{}", cycle.body);
    assert!(
        cycle.body.contains("id=\"f-formula-error\""),
        "{}",
        cycle.body
    );
    assert_eq!(stored(&s, "v_dichtheid"), before);
}

#[test]
fn viewers_and_requests_without_the_token_are_refused() {
    let s = serve("");
    let mut v = logged_in(&s, "vic", "viewer");
    let token = v.token();
    for path in [
        "/admin/indicators",
        "/admin/indicators/v1101_t",
        "/admin/indicators.xlsx",
        "/admin/units",
        "/admin/sources",
        "/admin/areas",
    ] {
        assert_eq!(v.get(path).status, 403, "{path}");
    }
    let before = stored(&s, "v1101_t");
    let post = v.post(
        "/admin/indicators/v1101_t",
        &format!("csrf={token}&name=Viewer"),
    );
    assert_eq!(post.status, 403, "{}", post.body);
    let mut e = logged_in(&s, "eva", "expert");
    let fields = form_fields(&e.get("/admin/indicators/v1101_t"));
    let forged: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                if k == "csrf" {
                    "0".repeat(64)
                } else {
                    v.clone()
                },
            )
        })
        .collect();
    let refused = e.post(
        "/admin/indicators/v1101_t",
        &with(forged, &[("name", "Vervalst")]),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    let missing: Vec<(String, String)> = fields.into_iter().filter(|(k, _)| k != "csrf").collect();
    let refused = e.post(
        "/admin/indicators/v1101_t",
        &with(missing, &[("name", "Vervalst")]),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(stored(&s, "v1101_t"), before);
    assert_eq!(count(&s, "request refused (csrf)"), 2);
    assert_eq!(count(&s, "metadata.edit"), 0);
}

#[test]
fn units_sources_and_area_names_are_renamed_everywhere_and_undone() {
    let s = serve("");
    let mut b = logged_in(&s, "eva", "expert");
    let all = || s.site.open_store().indicators().unwrap();
    let with_unit = |u: &str| all().iter().filter(|i| i.unit == u).count();
    let unit = "inwoners";
    let n = with_unit(unit);
    assert!(n >= 2, "the demo has several indicators in {unit}");
    let page = b.get("/admin/units");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains(&format!("<th scope=\"row\">{unit}</th><td>{n}</td>")),
        "{}",
        page.body
    );
    let token = page.csrf();
    let done = b.post(
        "/admin/units",
        &format!("csrf={token}&from={unit}&to=bewoners"),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(with_unit(unit), 0);
    assert_eq!(with_unit("bewoners"), n);
    let d = last_detail(&s, "metadata.rename unit");
    assert_eq!(
        (d["before"].as_str(), d["after"].as_str()),
        (Some(unit), Some("bewoners"))
    );
    assert_eq!(d["indicators"].as_array().unwrap().len(), n);
    // The rename is an import of the test copy: undone as one.
    let id = d["import"].as_i64().unwrap();
    let undo = b.post(
        &format!("/admin/imports/{id}/undo"),
        &format!("csrf={token}"),
    );
    assert_eq!(undo.status, 200, "{}", undo.body);
    assert_eq!(with_unit(unit), n);
    assert_eq!(with_unit("bewoners"), 0);
    // Sources.
    let source = all()
        .into_iter()
        .map(|i| i.source)
        .find(|s| !s.is_empty())
        .unwrap();
    let m = all().iter().filter(|i| i.source == source).count();
    let sources = b.get("/admin/sources");
    assert!(
        sources.body.contains(&format!(
            "<th scope=\"row\">{}</th><td>{m}</td>",
            html(&source)
        )),
        "{}",
        sources.body
    );
    let done = b.post(
        "/admin/sources",
        &format!("csrf={token}&from={}&to={}", enc(&source), enc("Bron X")),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(all().iter().filter(|i| i.source == "Bron X").count(), m);
    assert_eq!(count(&s, "metadata.rename source"), 1);
    // An area's names and a level's name.
    let store = s.site.open_store();
    let item = store.items("gemeente").unwrap().into_iter().next().unwrap();
    let areas = b.get(&format!(
        "/admin/areas?level=gemeente&q={}",
        enc(&item.name)
    ));
    assert_eq!(areas.status, 200, "{}", areas.body);
    assert!(
        areas
            .body
            .contains(&format!("<th scope=\"row\">{}</th>", item.code)),
        "{}",
        areas.body
    );
    let path = format!("/admin/areas/gemeente/{}?level=gemeente", item.code);
    let empty = b.post(&path, &format!("csrf={token}&short_name=&name=X"));
    assert_eq!(empty.status, 400, "{}", empty.body);
    let renamed = b.post(
        &path,
        &format!("csrf={token}&short_name=Stad&name={}", enc("De Stad")),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let now = store
        .items("gemeente")
        .unwrap()
        .into_iter()
        .find(|i| i.code == item.code)
        .unwrap();
    assert_eq!(
        (now.short_name.as_str(), now.name.as_str()),
        ("Stad", "De Stad")
    );
    let d = last_detail(&s, "area.rename");
    assert_eq!(d["name"], serde_json::json!([item.name, "De Stad"]));
    let level = b.post(
        "/admin/areas/gemeente",
        &format!("csrf={token}&name=Gemeenten"),
    );
    assert_eq!(level.status, 200, "{}", level.body);
    assert!(level.body.contains("value=\"Gemeenten\""), "{}", level.body);
    assert_eq!(count(&s, "level.rename"), 1);
    assert_eq!(
        b.post(
            "/admin/areas/gemeente/GEENCODE",
            &format!("csrf={token}&short_name=a&name=b")
        )
        .status,
        404
    );
    // The publish page counts the indicators whose source changed (the unit was undone).
    let page = b.get("/admin/publish");
    assert!(
        page.body
            .contains(&format!("Onderwerpen met gewijzigde metadata: {m} (")),
        "{}",
        page.body
    );
}

/// A multipart upload of one file (bytes), the CSRF token first.
fn upload(csrf: &str, file: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----peilmetadataboundary0q9w8e7r";
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf), ("kind", ""), ("clear", "none")] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn the_metadata_workbook_imports_back_as_no_change_and_one_edit_as_one_change() {
    let s = serve("");
    let mut b = logged_in(&s, "eva", "expert");
    let list = b.get("/admin/indicators");
    assert!(
        list.body.contains("/admin/indicators.xlsx"),
        "{}",
        list.body
    );
    let cookie: Vec<String> = b.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut resp = ureq::get(&format!("http://{}/admin/indicators.xlsx", s.addr()))
        .header("Cookie", &cookie.join("; "))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml"),
        "{:?}",
        resp.headers()
    );
    let bytes = resp.body_mut().read_to_vec().unwrap();
    assert_eq!(count(&s, "metadata.download"), 1);
    let n = s.site.open_store().indicators().unwrap().len();
    let csrf = b.token();
    let dry = |b: &mut Browser, name: &str, bytes: &[u8]| {
        let (ct, body) = upload(&csrf, name, bytes);
        let a = b.send_body("POST", "/admin/import/dry-run", Some(&ct), &body, &[]);
        assert_eq!(a.status, 200, "{}", a.body);
        a
    };
    // As downloaded: every indicator unchanged.
    let same = dry(&mut b, "metadata.xlsx", &bytes);
    assert!(
        same.body.contains("metadata.xlsx (metadata)"),
        "{}",
        same.body
    );
    assert!(
        same.body
            .contains(&format!("indicators: 0 inserted, {n} unchanged, 0 updated")),
        "{}",
        same.body
    );
    // One name changed in the spreadsheet: one indicator updated.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metadata.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    let sheets = peil_ingest::table::read_workbook(&path).unwrap();
    let rows = &sheets[0].1;
    let header = &rows[0].1;
    let (code_col, name_col) = (
        header.iter().position(|h| h == "code").unwrap(),
        header.iter().position(|h| h == "name").unwrap(),
    );
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (r, (_, cells)) in rows.iter().enumerate() {
        for (c, v) in cells.iter().enumerate() {
            let v = if r > 0 && c == name_col && cells[code_col] == "v1101_t" {
                "Inwoners (uit Excel)"
            } else {
                v.as_str()
            };
            sheet.write_string(r as u32, c as u16, v).unwrap();
        }
    }
    let edited = wb.save_to_buffer().unwrap();
    let one = dry(&mut b, "metadata.xlsx", &edited);
    assert!(
        one.body.contains(&format!(
            "indicators: 0 inserted, {} unchanged, 1 updated",
            n - 1
        )),
        "{}",
        one.body
    );
    // Imported: that one name, nothing else.
    let before = s.site.open_store().indicators().unwrap();
    let token = hidden(&one, "token");
    let done = b.post("/admin/import/run", &format!("csrf={csrf}&token={token}"));
    assert_eq!(done.status, 200, "{}", done.body);
    let after = s.site.open_store().indicators().unwrap();
    let changed: Vec<&str> = after
        .iter()
        .filter(|i| !before.contains(i))
        .map(|i| i.code.as_str())
        .collect();
    assert_eq!(changed, ["v1101_t"]);
    assert_eq!(stored(&s, "v1101_t").name.0["nl"], "Inwoners (uit Excel)");
    assert!(
        audit_actions(&s)
            .iter()
            .any(|(w, a)| w == "eva" && a == "import")
    );
}

/// The name the public API gives a period level in a language.
fn period_level_name(a: &str, level: &str, lang: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(a).unwrap();
    v["periodlevels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == level)
        .unwrap_or_else(|| panic!("no period level {level}: {v}"))["name"][lang]
        .as_str()
        .unwrap()
        .to_string()
}

/// The name of an area and of its level as a reader gets them: the area page's JSON twin and
/// the API's level list.
fn names_read(s: &Server, b: Option<&mut Browser>, code: &str) -> (String, String, String) {
    let (area, levels, periods) = match b {
        Some(b) => (
            b.get(&format!("/area/wijk/{code}.json")).body,
            b.get("/api/v1/geolevels/wijk").body,
            b.get("/api/v1/periodlevels").body,
        ),
        None => (
            s.get(&format!("/area/wijk/{code}.json")).body,
            s.get("/api/v1/geolevels/wijk").body,
            s.get("/api/v1/periodlevels").body,
        ),
    };
    let area: serde_json::Value = serde_json::from_str(&area).unwrap();
    let level: serde_json::Value = serde_json::from_str(&levels).unwrap();
    (
        area["name"].as_str().unwrap().to_string(),
        level["name"].as_str().unwrap_or_default().to_string(),
        period_level_name(&periods, "quarter", "nl"),
    )
}

/// Waits until anonymous readers get these names (the server polls the store's generation).
fn wait_for_names(s: &Server, code: &str, want: &(String, String, String)) {
    let t0 = std::time::Instant::now();
    loop {
        let now = names_read(s, None, code);
        if &now == want {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "readers still get {now:?}, not {want:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn renames_of_levels_areas_and_period_levels_wait_for_publishing() {
    let s = serve("");
    let mut b = logged_in(&s, "eva", "expert");
    let token = b.token();
    let store = s.site.open_store();
    let mut items = store.items("wijk").unwrap().into_iter();
    let (item, other) = (items.next().unwrap(), items.next().unwrap());
    let level_name = store
        .levels()
        .unwrap()
        .into_iter()
        .find(|(l, _)| l.code == "wijk")
        .unwrap()
        .0
        .name;
    let before = names_read(&s, None, &item.code);
    assert_eq!(
        before,
        (item.name.clone(), level_name.clone(), "kwartaal".into())
    );
    // An area, its level and a period level renamed in the back office.
    let path = format!("/admin/areas/wijk/{}", item.code);
    let renamed = b.post(
        &path,
        &format!("csrf={token}&short_name=Oost&name={}", enc("Wijk Oost")),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let level = b.post("/admin/areas/wijk", &format!("csrf={token}&name=Buurten"));
    assert_eq!(level.status, 200, "{}", level.body);
    let page = b.get("/admin/areas");
    assert!(
        page.body
            .contains("name=\"name_nl\" lang=\"nl\" value=\"kwartaal\""),
        "{}",
        page.body
    );
    let quarter = b.post(
        "/admin/periodlevels/quarter",
        &format!("csrf={token}&name_nl=trimester&name_en=quarter&name_fr="),
    );
    assert_eq!(quarter.status, 200, "{}", quarter.body);
    assert!(
        quarter
            .body
            .contains("name=\"name_nl\" lang=\"nl\" value=\"trimester\""),
        "{}",
        quarter.body
    );
    assert_eq!(count(&s, "period_level.rename"), 1);
    let d = last_detail(&s, "period_level.rename");
    assert_eq!(d["after"], serde_json::json!({"nl": "trimester"}));
    // Codes are the API's: an unknown period level is not found, and nothing changed twice.
    assert_eq!(
        b.post(
            "/admin/periodlevels/week",
            &format!("csrf={token}&name_nl=x")
        )
        .status,
        404
    );
    let again = b.post(
        "/admin/periodlevels/quarter",
        &format!("csrf={token}&name_nl=trimester&name_en=&name_fr="),
    );
    assert!(again.body.contains("Niets gewijzigd"), "{}", again.body);
    assert_eq!(count(&s, "period_level.rename"), 1);
    // A second area renamed, then undone before publishing: its old names are back.
    let other_path = format!("/admin/areas/wijk/{}", other.code);
    let o = b.post(
        &other_path,
        &format!("csrf={token}&short_name=Weg&name=Weg"),
    );
    assert_eq!(o.status, 200, "{}", o.body);
    // Undoes the last edit of a kind, as the import history's button does.
    let undo_last = |b: &mut Browser, kind: &str| {
        let rows = s
            .site
            .sql(&format!(
                "SELECT max(id) FROM import_log WHERE kind = '{kind}'"
            ))
            .unwrap();
        let id: i64 = rows[0][0].parse().unwrap();
        b.post(
            &format!("/admin/imports/{id}/undo"),
            &format!("csrf={token}"),
        )
    };
    let undo = undo_last(&mut b, "areas edit");
    assert_eq!(undo.status, 200, "{}", undo.body);
    let back = store
        .items("wijk")
        .unwrap()
        .into_iter()
        .find(|i| i.code == other.code)
        .unwrap();
    assert_eq!(
        (back.short_name, back.name),
        (other.short_name.clone(), other.name.clone())
    );
    // Readers still get the live names, on pages and in the API.
    assert_eq!(names_read(&s, None, &item.code), before);
    let odata = s.get("/jiveservices/odata/PeriodLevels");
    assert!(odata.body.contains("\"Kwartaal\""), "{}", odata.body);
    // The expert's preview of the test copy shows the new ones.
    let on = b.post("/admin/preview", &format!("csrf={token}&on=1&next=/"));
    assert_eq!(on.status, 303, "{}", on.body);
    let after = (
        "Wijk Oost".to_string(),
        "Buurten".to_string(),
        "trimester".to_string(),
    );
    assert_eq!(names_read(&s, Some(&mut b), &item.code), after);
    let off = b.post("/admin/preview", &format!("csrf={token}&next=/"));
    assert_eq!(off.status, 303, "{}", off.body);
    // The publish page lists what readers would see renamed (not the undone rename).
    let page = b.get("/admin/publish");
    assert!(page.body.contains("Gewijzigde namen: 3"), "{}", page.body);
    let old_area = if item.short_name == item.name {
        html(&item.name)
    } else {
        format!("{} ({})", html(&item.name), html(&item.short_name))
    };
    for (old, new) in [
        (old_area.as_str(), "Wijk Oost (Oost)"),
        (&html(&level_name), "Buurten"),
        ("kwartaal", "trimester"),
    ] {
        assert!(
            page.body.contains(&format!("<td>{old}</td><td>{new}</td>")),
            "{old} → {new}: {}",
            page.body
        );
    }
    assert!(!page.body.contains("Weg"), "{}", page.body);
    // Publishing shows them to everyone.
    let live = store.live_generation().unwrap().unwrap();
    let published = b.post("/admin/publish", &format!("csrf={token}"));
    assert_eq!(published.status, 303, "{}", published.body);
    wait_for_names(&s, &item.code, &after);
    let odata = s.get("/jiveservices/odata/PeriodLevels");
    assert!(odata.body.contains("\"Trimester\""), "{}", odata.body);
    // A published rename is no longer undone; rolling back brings the old names back.
    let refused = undo_last(&mut b, "period levels edit");
    assert_eq!(refused.status, 409, "{}", refused.body);
    let back = b.post(
        &format!("/admin/publications/{live}/rollback"),
        &format!("csrf={token}"),
    );
    assert_eq!(back.status, 303, "{}", back.body);
    wait_for_names(&s, &item.code, &before);
}
