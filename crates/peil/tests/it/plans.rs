//! Policy monitoring (issue 17): a plan imported from its template (`peil plans import`), bad
//! cells refused by file, row and column with the store unchanged; the scorecard page with
//! each KPI's value, target and status from the one status rule; a restricted indicator's
//! values and a hidden `x` never shown to a reader who may not see them; filters by owner and
//! status (GET); check-ins: the owner may enter one, someone else is refused, each audited,
//! and the status follows the entered value.

use crate::admin::{Browser, add_user, audit_actions, enc, serve};
use crate::common::*;

/// (period year, value or status) per item of an indicator on a level, from the API's CSV.
pub(crate) fn series(s: &Server, ind: &str, level: &str) -> Vec<(String, i32, String, String)> {
    let csv = s.get(&format!(
        "/api/v1/data?indicator={ind}&level={level}&format=csv"
    ));
    assert_eq!(csv.status, 200, "{}", csv.body);
    let mut rd = csv::ReaderBuilder::new().from_reader(csv.body.as_bytes());
    let h: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    let col = |n: &str| {
        h.iter()
            .position(|c| c == n)
            .unwrap_or_else(|| panic!("{n} not in {h:?}"))
    };
    rd.records()
        .map(Result::unwrap)
        .filter_map(|r| {
            let y: i32 = r[col("period")].parse().ok()?;
            Some((
                r[col("item")].to_string(),
                y,
                r[col("value")].to_string(),
                r[col("status")].to_string(),
            ))
        })
        .collect()
}

/// The text of a KPI's row on a scorecard page.
fn kpi_row<'a>(body: &'a str, kpi: &str) -> &'a str {
    let at = body
        .find(&format!("data-kpi=\"{kpi}\""))
        .unwrap_or_else(|| panic!("no KPI {kpi} in: {body}"));
    let end = body[at..].find("</tr>").unwrap();
    &body[at..at + end]
}

fn status_of(body: &str, kpi: &str) -> String {
    let row = kpi_row(body, kpi);
    let at = row.find("data-status=\"").unwrap() + 13;
    row[at..].split('"').next().unwrap().to_string()
}

#[test]
fn a_plan_is_imported_followed_on_its_scorecard_and_checked_in_by_its_owner() {
    let s = serve("");
    let dir = tempfile::tempdir().unwrap();
    let ann = add_user(&s, "ann", "viewer", "");
    let bob = add_user(&s, "bob", "viewer", "");
    // The population of the city (public), its latest year and value.
    let pop = series(&s, "v1101_t", "gemeente");
    let (city, year, value, _) = pop
        .iter()
        .filter(|r| !r.2.is_empty())
        .max_by_key(|r| r.1)
        .cloned()
        .unwrap();
    let v: f64 = value.parse().unwrap();
    // A sector whose latest value of a thresholded indicator is hidden.
    let foreign = series(&s, "v1101_nietbelg", "statsec");
    let last = foreign.iter().map(|r| r.1).max().unwrap();
    let (hidden_area, _, _, _) = foreign
        .iter()
        .find(|r| r.1 == last && r.3 == "x")
        .cloned()
        .unwrap_or_else(|| panic!("no hidden value in {last}"));
    // The restricted indicator (group stadsdiensten) on the city level.
    let restricted = s.get("/api/v1/data?indicator=v_leefloon&level=gemeente&format=csv");
    assert_eq!(
        restricted.status, 404,
        "an anonymous reader saw {}",
        restricted.body
    );

    let goals = dir.path().join("goals.csv");
    std::fs::write(
        &goals,
        "code;parent;name;owner;description;start;end\n\
         bd1;;Een stad om in te wonen;ann;Wonen en samenleven;2026;2031\n\
         ap1;bd1;Snelle dienstverlening;bob;;2026;2031\n\
         a1;ap1;Tevreden bezoekers;ann;;2026;2028\n",
    )
    .unwrap();
    let kpis = dir.path().join("kpis.csv");
    let target_off = v * 1.2;
    std::fs::write(
        &kpis,
        format!(
            "code;goal;name;owner;indicator;level;area;unit;direction;baseline;baseline year;on track within;at risk within;target {year}\n\
             k_inw;bd1;Inwoners;;v1101_t;gemeente;{city};inwoners;higher;;;0;{risk};{target_off}\n\
             k_vreemd;ap1;Niet-Belgen in een sector;;v1101_nietbelg;statsec;{hidden_area};;lower;;;0;1;1\n\
             k_leef;ap1;Leefloon;;v_leefloon;gemeente;{city};;lower;;;0;1;1\n\
             k_tevreden;a1;Tevredenheid;ann;;;;%;higher;60;2024;1;5;80\n",
            risk = v * 0.05,
        ),
    )
    .unwrap();
    let bad = dir.path().join("kpis-bad.csv");
    std::fs::write(
        &bad,
        format!(
            "code;goal;name;owner;indicator;level;area;unit;direction;baseline;baseline year;on track within;at risk within;target {year}\n\
             k_inw;bd1;Inwoners;;v1101_t;gemeente;{city};;upwards;;;0;1;veel\n"
        ),
    )
    .unwrap();
    let before = s.site.state();
    let out = s.site.run(&[
        "plans",
        "import",
        "mjp",
        goals.to_str().unwrap(),
        bad.to_str().unwrap(),
        "--public",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("kpis-bad.csv") && err.contains("row 2") && err.contains("direction"),
        "{err}"
    );
    assert!(err.contains(&format!("target {year}")), "{err}");
    assert_eq!(s.site.state(), before, "a refused plan changed the store");

    let out = s.site.ok(&[
        "plans",
        "import",
        "mjp",
        goals.to_str().unwrap(),
        kpis.to_str().unwrap(),
        "--public",
        "--title",
        "Meerjarenplan",
    ]);
    assert!(out.contains("3 goals, 4 KPIs"), "{out}");

    // The scorecard, anonymously: the population is off track (20 % short of its target).
    let page = s.get("/plans/mjp");
    assert_eq!(page.status, 200, "{}", page.body);
    let body = &page.body;
    assert_eq!(status_of(body, "k_inw"), "off_track");
    assert!(kpi_row(body, "k_inw").contains("<svg"), "no sparkline");
    // The hidden value stays x and is no data; the restricted one shows nothing of itself.
    assert_eq!(status_of(body, "k_vreemd"), "no_data");
    assert!(
        kpi_row(body, "k_vreemd").contains(">x<"),
        "{}",
        kpi_row(body, "k_vreemd")
    );
    assert_eq!(status_of(body, "k_leef"), "no_data");
    assert!(kpi_row(body, "k_leef").contains("Niet beschikbaar"));
    assert!(!kpi_row(body, "k_leef").contains("<svg"));
    assert_eq!(status_of(body, "k_tevreden"), "no_data");
    // Goals roll up: the worst with data.
    assert!(body.contains("id=\"goal-bd1\""));
    let goal_status = |body: &str, g: &str| {
        let at = body.find(&format!("id=\"goal-{g}\"")).unwrap();
        let st = body[at..].find("data-status=\"").unwrap() + at + 13;
        body[st..].split('"').next().unwrap().to_string()
    };
    assert_eq!(goal_status(body, "bd1"), "off_track");
    assert_eq!(goal_status(body, "a1"), "no_data");
    // No check-in form for a reader without a session.
    assert!(!body.contains("/checkin"));
    // Filters (GET): by status, by owner.
    let f = s.get("/plans/mjp?status=off_track");
    assert!(f.body.contains("data-kpi=\"k_inw\"") && !f.body.contains("data-kpi=\"k_tevreden\""));
    let f = s.get("/plans/mjp?owner=bob");
    assert!(f.body.contains("id=\"goal-ap1\"") && !f.body.contains("id=\"goal-a1\""));
    // A goal's own page: its subtree.
    let g = s.get("/en/plans/mjp?goal=ap1");
    assert_eq!(g.status, 200);
    assert!(g.body.contains("id=\"goal-a1\"") && !g.body.contains("id=\"goal-bd1\""));
    assert!(g.body.contains("Off track") || g.body.contains("No data"));

    // Check-ins: bob may not enter ann's KPI; ann may.
    let mut b = Browser::new(&s);
    assert_eq!(b.login("bob", &bob).status, 303);
    let token = b.token();
    let r = b.post(
        "/admin/plans/mjp/checkin",
        &format!("csrf={token}&kpi=k_tevreden&year=2026&value=81&comment=x"),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let mut a = Browser::new(&s);
    assert_eq!(a.login("ann", &ann).status, 303);
    let page = a.get("/plans/mjp");
    assert!(kpi_row(&page.body, "k_tevreden").contains("/checkin"));
    assert!(!kpi_row(&page.body, "k_inw").contains("name=\"value\""));
    let token = page.csrf();
    // A value for a KPI with a data source is refused; so is a value that is no number.
    let r = a.post(
        "/admin/plans/mjp/checkin",
        &format!("csrf={token}&kpi=k_inw&year=2026&value=1&comment="),
    );
    assert_eq!(r.status, 400);
    let r = a.post(
        "/admin/plans/mjp/checkin",
        &format!("csrf={token}&kpi=k_tevreden&year=2026&value=veel&comment="),
    );
    assert_eq!(r.status, 400);
    let r = a.post(
        "/admin/plans/mjp/checkin",
        &format!(
            "csrf={token}&kpi=k_tevreden&year=2026&value=77&comment={}",
            enc("Enquête van mei")
        ),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    // 2026 has its own target, 80: 77 is 3 short, beyond 1 and within 5: at risk.
    let page = s.get("/plans/mjp");
    assert_eq!(status_of(&page.body, "k_tevreden"), "at_risk");
    assert!(kpi_row(&page.body, "k_tevreden").contains("Enquête van mei"));
    let r = a.post(
        "/admin/plans/mjp/checkin",
        &format!("csrf={token}&kpi=k_tevreden&year=2026&value=80,5&comment="),
    );
    assert_eq!(r.status, 303);
    let page = s.get("/plans/mjp");
    assert_eq!(status_of(&page.body, "k_tevreden"), "on_track");
    let actions = audit_actions(&s);
    let count = |a: &str| actions.iter().filter(|(_, x)| x == a).count();
    assert_eq!(count("check-in"), 2, "{actions:?}");
    assert_eq!(count("check-in refused"), 1, "{actions:?}");
    // The CLI shows the same statuses (the one rule).
    let shown = s.site.ok(&["plans", "show", "mjp"]);
    assert!(
        shown.contains("KPI k_tevreden — Tevredenheid: on_track"),
        "{shown}"
    );
    assert!(
        shown.contains("KPI k_leef — Leefloon: no_data") && shown.contains("restricted"),
        "{shown}"
    );

    // The council's PDF: a page per goal with its figures, as the page shows them.
    let pages = crate::one_rule::pdf_pages(&s, "/plans/mjp.pdf");
    let page_of = |name: &str| {
        pages
            .iter()
            .position(|p| p.contains(&format!(": {name}")) && p.contains("Status"))
            .unwrap_or_else(|| panic!("no page for {name} in {pages:?}"))
    };
    let (p1, p2, p3) = (
        page_of("Een stad om in te wonen"),
        page_of("Snelle dienstverlening"),
        page_of("Tevreden bezoekers"),
    );
    assert!(p1 < p2 && p2 < p3, "{pages:?}");
    let html = s.get("/plans/mjp").body;
    let cell = |kpi: &str, n: usize| {
        let row = kpi_row(&html, kpi);
        let at = row.match_indices("<td class=\"num\">").nth(n).unwrap().0 + 16;
        row[at..]
            .split('<')
            .next()
            .unwrap()
            .replace(['\u{202f}', '\u{a0}'], " ")
    };
    let (value, target) = (cell("k_inw", 0), cell("k_inw", 1));
    assert!(
        pages[p1].contains(&format!("Inwoners {year} {value} {target} Niet op koers")),
        "{value} {target}: {}",
        pages[p1]
    );
    assert!(
        pages[p3].contains("Tevredenheid 2026 80,5 % 80 % Op koers"),
        "{}",
        pages[p3]
    );
    assert!(pages[p3].contains("Enquête van mei"), "{}", pages[p3]);
    assert!(
        pages[p2].contains("Leefloon – Niet beschikbaar – Geen gegevens"),
        "{}",
        pages[p2]
    );

    // Editing in the back office (experts): a KPI's target moves, and the status with it; an
    // owner who is no user or group is refused and nothing changes.
    let eve = add_user(&s, "eve", "expert", "");
    let mut e = Browser::new(&s);
    assert_eq!(e.login("eve", &eve).status, 303);
    let form = e.get("/admin/plans");
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.body.contains(&format!("value=\"{year}=80\"")),
        "{}",
        form.body
    );
    let token = form.csrf();
    let kpi_form = |owner: &str, targets: &str| {
        format!(
            "csrf={token}&what=kpi&code=k_tevreden&name=Tevredenheid&owner={owner}&unit=%25&direction=higher&baseline=60&baseline_year=2024&targets={}&on=1&risk=5",
            enc(targets)
        )
    };
    let r = e.post("/admin/plans/mjp", &kpi_form("nobody", "2026=90"));
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        status_of(&s.get("/plans/mjp").body, "k_tevreden"),
        "on_track"
    );
    let r = e.post("/admin/plans/mjp", &kpi_form("ann", "2026=90; 2031=95"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        status_of(&s.get("/plans/mjp").body, "k_tevreden"),
        "off_track"
    );
    // A viewer does not reach the editor.
    assert_eq!(a.get("/admin/plans").status, 403);
    let actions = audit_actions(&s);
    assert!(
        actions
            .iter()
            .any(|(w, x)| w == "eve" && x == "plan changed"),
        "{actions:?}"
    );

    // An internal plan is not found without a session.
    s.site.ok(&[
        "plans",
        "import",
        "mjp",
        goals.to_str().unwrap(),
        kpis.to_str().unwrap(),
        "--internal",
    ]);
    assert_eq!(s.get("/plans/mjp").status, 404);
    assert_eq!(a.get("/plans/mjp").status, 200);
}

/// The attack on the plan views: a KPI over a restricted indicator and one whose latest value
/// is hidden. A member of the indicator's group sees the restricted value (so the check can
/// fail); an anonymous reader finds it nowhere — not on the scorecard, a goal's page, a
/// filtered page, the council's PDF nor `peil plans show` (text or JSON).
#[test]
fn restricted_and_hidden_values_never_leave_through_the_plan_views() {
    let s = serve("");
    let dir = tempfile::tempdir().unwrap();
    let sam = add_user(&s, "sam", "viewer", "stadsdiensten");
    let pop = series(&s, "v1101_t", "gemeente");
    let (city, _, _, _) = pop.iter().find(|r| !r.2.is_empty()).cloned().unwrap();
    let foreign = series(&s, "v1101_nietbelg", "statsec");
    let last = foreign.iter().map(|r| r.1).max().unwrap();
    let (hidden_area, _, _, _) = foreign
        .iter()
        .find(|r| r.1 == last && r.3 == "x")
        .cloned()
        .unwrap();
    import_plan(
        &s,
        dir.path(),
        "arm",
        "code;parent;name;owner;description;start;end\n\
         bd1;;Armoede bestrijden;sam;;2024;2031\n",
        &format!(
            "code;goal;name;owner;indicator;level;area;unit;direction;baseline;baseline year;on track within;at risk within;target 2020\n\
             k_leef;bd1;Leefloon;;v_leefloon;gemeente;{city};;lower;;;0;1;1\n\
             k_vreemd;bd1;Niet-Belgen;;v1101_nietbelg;statsec;{hidden_area};;lower;;;0;1;1\n"
        ),
        &["--public"],
    );
    // The restricted value, as its group sees it: the latest year and its number.
    let json: serde_json::Value = serde_json::from_str(
        &s.site
            .ok(&["plans", "show", "arm", "--user", "sam", "--json"]),
    )
    .unwrap();
    let card = &json[0]["kpis"][0];
    assert_eq!(card["kpi"]["code"], "k_leef");
    assert_eq!(card["restricted"], false, "{card}");
    let secret = card["state"]["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("the group sees no value: {card}"));
    let series_len = card["series"].as_array().unwrap().len();
    assert!(series_len > 0);
    let mut m = Browser::new(&s);
    assert_eq!(m.login("sam", &sam).status, 303);
    let shown = kpi_row(&m.get("/plans/arm").body, "k_leef").to_string();
    let num = |row: &str| {
        let at = row.find("<td class=\"num\">").unwrap() + 16;
        row[at..].split('<').next().unwrap().to_string()
    };
    let secret_text = num(&shown);
    assert!(
        secret_text.chars().any(|c| c.is_ascii_digit()),
        "the member sees {secret_text} for {secret}"
    );
    // Anonymous: every view.
    for path in [
        "/plans/arm",
        "/en/plans/arm",
        "/plans/arm?goal=bd1",
        "/plans/arm?status=no_data",
        "/plans/arm?owner=sam",
    ] {
        let page = s.get(path);
        assert_eq!(page.status, 200, "{path}");
        let row = kpi_row(&page.body, "k_leef");
        assert!(!row.contains(&secret_text), "{path}: {row}");
        assert!(
            !row.contains("<svg"),
            "{path}: a sparkline of the restricted series"
        );
        assert_eq!(status_of(&page.body, "k_leef"), "no_data", "{path}");
        assert!(kpi_row(&page.body, "k_vreemd").contains(">x<"), "{path}");
    }
    let pdf = crate::one_rule::pdf_pages(&s, "/plans/arm.pdf").join(" ");
    // The KPI's row of the council's table: its name, then year, value, target and status.
    let at = pdf.rfind("Leefloon").unwrap_or_else(|| panic!("{pdf}"));
    let row: String = pdf[at..].chars().take(60).collect();
    assert!(row.contains("Niet beschikbaar"), "{row}");
    assert!(
        !row.contains(&secret_text.replace(['\u{202f}', '\u{a0}'], " ")),
        "{secret_text} in {row}"
    );
    let text = s.site.ok(&["plans", "show", "arm"]);
    assert!(text.contains("KPI k_leef — Leefloon: no_data") && text.contains("restricted"));
    assert!(!text.contains(&format!("value {secret}")), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&s.site.ok(&["plans", "show", "arm", "--json"])).unwrap();
    let card = &json[0]["kpis"][0];
    assert_eq!(card["restricted"], true, "{card}");
    assert!(card["series"].as_array().unwrap().is_empty(), "{card}");
    assert!(card["state"]["value"].is_null() && card["state"]["year"].is_null());
    let hidden = &json[0]["kpis"][1];
    assert!(hidden["state"]["value"].is_null() && hidden["state"]["code"] == "x");
}

/// The operational dashboard of the generated permit register: only its group (and
/// administrators) open it; its monthly counts, backlog, median throughput and categories
/// equal a computation straight from the CSV in this test; a month drills down; no dossier
/// number shows.
#[test]
fn the_operational_dashboard_is_its_groups_and_its_figures_are_right() {
    let PermitSite {
        s,
        dir,
        csv: csv_path,
    } = permit_site(6000);
    // The independent computation: per month opened, closed, and the backlog at its end.
    let text = std::fs::read_to_string(&csv_path).unwrap();
    let mut rd = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let h: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (ci, cb, ct, cd) = (
        col("ingediend"),
        col("beslist"),
        col("type"),
        col("dossier"),
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    let month = |d: &str| d.get(..7).map(str::to_string);
    let days = |d: &str| {
        let p: Vec<i64> = d.split('-').map(|x| x.parse().unwrap()).collect();
        // Days from the civil date (an algorithm independent of the engine's `time` crate).
        let (y, m) = if p[1] <= 2 {
            (p[0] - 1, p[1] + 9)
        } else {
            (p[0], p[1] - 3)
        };
        365 * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + p[2]
    };
    let focus = "2024-03";
    let opened_in = rows
        .iter()
        .filter(|r| month(&r[ci]).as_deref() == Some(focus))
        .count();
    let closed_in = rows
        .iter()
        .filter(|r| !r[ci].is_empty() && month(&r[cb]).as_deref() == Some(focus))
        .count();
    let backlog = rows
        .iter()
        .filter(|r| month(&r[ci]).is_some_and(|m| m.as_str() <= focus))
        .filter(|r| r[cb].is_empty() || month(&r[cb]).unwrap().as_str() > focus)
        .count();
    let mut durations: Vec<i64> = rows
        .iter()
        .filter(|r| !r[ci].is_empty() && month(&r[cb]).as_deref() == Some(focus))
        .map(|r| days(&r[cb]) - days(&r[ci]))
        .collect();
    durations.sort();
    let n = durations.len();
    let median = if n % 2 == 1 {
        durations[n / 2] as f64
    } else {
        (durations[n / 2 - 1] + durations[n / 2]) as f64 / 2.0
    };
    let mut types: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in rows
        .iter()
        .filter(|r| month(&r[ci]).as_deref() == Some(focus))
    {
        *types.entry(r.get(ct).unwrap()).or_default() += 1;
    }
    assert!(
        opened_in >= 5 && closed_in >= 5 && n >= 5,
        "too few dossiers in {focus}"
    );

    // Who may open it: the department's group (added with the register) and no other.
    s.site
        .ok(&["groups", "add", "welzijn", "--description", "Welzijn"]);
    let sam = add_user(&s, "sam", "viewer", "stadsdiensten");
    let vic = add_user(&s, "vic", "viewer", "");
    let wim = add_user(&s, "wim", "viewer", "welzijn");
    // A plan whose goals belong to the departments: the permits' goal to the department
    // with the dashboard, another to the welfare department.
    import_plan(
        &s,
        dir.path(),
        "diensten",
        "code;parent;name;owner;description;start;end\n\
         vg;;Vlotte vergunningen;stadsdiensten;;2024;2029\n\
         wz;;Zorgzame stad;welzijn;;2024;2029\n",
        "code;goal;name;owner;indicator;level;area;unit;direction;baseline;baseline year;on track within;at risk within;target 2026\n\
         k_vg;vg;Tevredenheid aanvragers;;;;;%;higher;60;2024;1;5;80\n\
         k_wz;wz;Tevredenheid bezoekers;;;;;%;higher;60;2024;1;5;80\n",
        &["--public"],
    );
    let link = "href=\"/admin/operations/vergunningen\"";
    // The department's member reaches the dashboard from its goal on the scorecard …
    let mut m = Browser::new(&s);
    assert_eq!(m.login("sam", &sam).status, 303);
    let card = m.get("/plans/diensten");
    assert_eq!(card.status, 200);
    let goal_vg = card.body.find("Vlotte vergunningen").unwrap();
    let goal_wz = card.body.find("Zorgzame stad").unwrap();
    let at = card
        .body
        .find(link)
        .unwrap_or_else(|| panic!("no link in {}", card.body));
    assert!(
        goal_vg < at && at < goal_wz,
        "the link is not the permits goal's"
    );
    assert_eq!(card.body.matches(link).count(), 1);
    // … another department's member sees no link and is refused the dashboard (audited),
    // and so is an anonymous reader of the public scorecard.
    let mut w = Browser::new(&s);
    assert_eq!(w.login("wim", &wim).status, 303);
    assert!(!w.get("/plans/diensten").body.contains(link));
    let refused = w.get("/admin/operations/vergunningen");
    assert_eq!(refused.status, 403);
    assert!(!refused.body.contains("data-month"));
    assert!(!w.get("/admin/operations").body.contains(link));
    assert!(!s.get("/plans/diensten").body.contains(link));
    assert!(
        audit_actions(&s)
            .iter()
            .any(|(who, a)| who == "wim" && a == "dashboard refused")
    );
    let mut v = Browser::new(&s);
    assert_eq!(v.login("vic", &vic).status, 303);
    assert_eq!(v.get("/admin/operations/vergunningen").status, 403);
    assert!(
        !v.get("/admin/operations")
            .body
            .contains("/admin/operations/vergunningen")
    );
    // Without a session: the login form, nothing of the dashboard.
    let anon = s.get("/admin/operations/vergunningen");
    assert!(!anon.body.contains("data-month") && anon.body.contains("password"));
    assert!(
        m.get("/admin/operations")
            .body
            .contains("/admin/operations/vergunningen")
    );
    let whole = m.get("/admin/operations/vergunningen");
    assert_eq!(whole.status, 200, "{}", whole.body);
    let row_of = |body: &str, month: &str| -> Vec<String> {
        let at = body
            .find(&format!("data-month=\"{month}\""))
            .unwrap_or_else(|| panic!("no {month} in {body}"));
        let end = body[at..].find("</tr>").unwrap() + at;
        body[at..end]
            .split("<td class=\"num\">")
            .skip(1)
            .map(|c| {
                c.split('<')
                    .next()
                    .unwrap()
                    .replace(['\u{202f}', '\u{a0}', '.'], "")
            })
            .collect()
    };
    // Every month: a shown figure equals the count made here, and a backlog is a count like
    // any other (hidden only when small or when it would give a hidden count away), so on a
    // register this size nearly every month's backlog is shown.
    let mut per: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for r in &rows {
        if let Some(m) = month(&r[ci]) {
            per.entry(m).or_default().0 += 1;
            if let Some(c) = month(&r[cb]) {
                per.entry(c).or_default().1 += 1;
            }
        }
    }
    let (mut open, mut shown_backlogs) = (0i64, 0);
    for (m, (o, c)) in &per {
        open += *o as i64 - *c as i64;
        let row = row_of(&whole.body, m);
        for (got, want) in row.iter().zip([*o as i64, *c as i64, open]) {
            assert!(
                got == "x" || *got == want.to_string(),
                "{m}: {row:?} against {o} {c} {open}"
            );
        }
        shown_backlogs += usize::from(row[2] != "x");
    }
    assert!(
        shown_backlogs * 10 >= per.len() * 9,
        "{shown_backlogs} of {} backlogs shown",
        per.len()
    );
    assert_eq!(
        row_of(&whole.body, focus),
        vec![
            opened_in.to_string(),
            closed_in.to_string(),
            backlog.to_string()
        ]
    );
    // Drilled down to the month: its throughput times and categories.
    let page = m.get(&format!("/admin/operations/vergunningen?month={focus}"));
    assert_eq!(page.status, 200);
    let b = &page.body;
    let median_shown = b
        .split("<span data-median>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .replace(',', ".");
    assert_eq!(median_shown.parse::<f64>().unwrap(), median, "{b}");
    assert!(
        b.contains(&format!("data-closed=\"{n}\"")),
        "{n} closed in {b}"
    );
    let mut shown_types = 0;
    for (t, c) in &types {
        let head = format!("<th scope=\"row\">{t}</th><td class=\"num\">");
        let Some(at) = b.find(&head) else { continue };
        let got = b[at + head.len()..].split('<').next().unwrap();
        assert!(got == c.to_string() || got == "x", "{t}: {got} for {c}");
        if *c < 5 {
            assert_eq!(got, "x", "{t}: a small count shown");
        }
        shown_types += usize::from(got != "x");
    }
    assert!(shown_types > 0, "no category of {focus} shown: {b}");
    // The CLI gives the same figures.
    let json: serde_json::Value = serde_json::from_str(&s.site.ok(&[
        "records",
        "dashboard",
        "vergunningen",
        "--month",
        focus,
        "--json",
    ]))
    .unwrap();
    assert_eq!(json["median"].as_f64(), Some(median), "{json}");
    assert_eq!(json["closed"].as_f64(), Some(n as f64));
    // No dossier number on either page.
    for r in rows.iter().take(200) {
        let id = &r[cd];
        assert!(!whole.body.contains(&format!(">{id}<")) && !b.contains(&format!(">{id}<")));
    }
    // A month that is no month is refused.
    assert_eq!(
        m.get("/admin/operations/vergunningen?month=2024-13").status,
        400
    );

    // The monthly trend is a chart through the one renderer, its table the alternative, and
    // every month of the table links to its detail (plain links: no JavaScript needed).
    assert!(
        whole.body.contains("class=\"chart line-chart\""),
        "no trend chart"
    );
    assert!(
        whole
            .body
            .contains("role=\"img\" aria-labelledby=\"dash-trend-chart-title")
    );
    for m in per.keys() {
        assert!(
            whole.body.contains(&format!(
                "href=\"/admin/operations/vergunningen?month={m}\""
            )),
            "no drill-down link to {m}"
        );
    }

    // Per area of a chosen level (a GET form): each shown count of cases opened in a
    // neighbourhood equals the sum of the yearly counts of the measure vg_aanvragen in the
    // test copy (computed by the measures, not the dashboard).
    assert!(
        whole
            .body
            .contains("<select id=\"dash-level\" name=\"level\">")
    );
    let areas = m.get("/admin/operations/vergunningen?level=wijk");
    assert_eq!(areas.status, 200);
    let export = s
        .site
        .ok(&["export", "--indicator", "vg_aanvragen", "--level", "wijk"]);
    let mut lines = export.lines();
    let head: Vec<&str> = lines.next().unwrap().split([';', ',']).collect();
    let at_col = |n: &str| head.iter().position(|c| *c == n).unwrap();
    let (gi, pi, vi) = (at_col("geoitem"), at_col("period"), at_col("value"));
    let yearly: Vec<(String, i32, String, String)> = lines
        .filter_map(|l| {
            let c: Vec<&str> = l.split([';', ',']).collect();
            let y: i32 = c[pi].parse().ok()?;
            Some((c[gi].to_string(), y, c[vi].to_string(), String::new()))
        })
        .collect();
    assert!(!yearly.is_empty(), "{export}");
    let (mut compared, mut rows_seen) = (0, 0);
    let body = &areas.body;
    let mut at = 0;
    while let Some(i) = body[at..].find("<tr data-area=\"") {
        let start = at + i + 15;
        let code = body[start..].split('"').next().unwrap().to_string();
        let end = start + body[start..].find("</tr>").unwrap();
        let cells: Vec<String> = body[start..end]
            .split("<td class=\"num\">")
            .skip(1)
            .map(|c| {
                c.split('<')
                    .next()
                    .unwrap()
                    .replace(['\u{202f}', '\u{a0}', '.'], "")
            })
            .collect();
        at = end;
        rows_seen += 1;
        let years: Vec<&(String, i32, String, String)> =
            yearly.iter().filter(|r| r.0 == code).collect();
        if cells[0] == "x" || years.is_empty() || years.iter().any(|r| r.2.is_empty()) {
            continue;
        }
        let sum: f64 = years.iter().map(|r| r.2.parse::<f64>().unwrap()).sum();
        assert_eq!(cells[0], format!("{sum}"), "{code}: {cells:?}");
        compared += 1;
    }
    assert!(
        rows_seen >= 2 && compared >= 1,
        "{rows_seen} areas, {compared} compared: {body}"
    );
    // An unknown level shows no area table.
    assert!(
        !m.get("/admin/operations/vergunningen?level=nope")
            .body
            .contains("<tr data-area")
    );

    // A request reads the counts the import stored, never the records: with the records
    // gone from the store (behind Peil's back), the page is the same. A set without stored
    // counts (imported before they were stored, or since migration 17 dropped them) is
    // counted once, on first use, and its counts stored.
    let stored = || -> i64 {
        s.site
            .sql("SELECT count(*) FROM record_dashboard WHERE set_name = 'vergunningen'")
            .unwrap()[0][0]
            .parse()
            .unwrap()
    };
    assert_eq!(stored(), 1);
    let median_of = |body: &str| {
        body.split("<span data-median>")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string()
    };
    s.site
        .sql("DELETE FROM record_dashboard WHERE set_name = 'vergunningen'")
        .unwrap();
    let first = m.get("/admin/operations/vergunningen?month=2024-03");
    assert_eq!(median_of(&first.body), median_of(b));
    assert_eq!(row_of(&first.body, focus), row_of(b, focus));
    assert_eq!(stored(), 1, "the counts are not stored on first use");
    s.site
        .sql("DELETE FROM record WHERE set_name = 'vergunningen'")
        .unwrap();
    let again = m.get("/admin/operations/vergunningen?month=2024-03");
    assert_eq!(median_of(&again.body), median_of(b));
    assert_eq!(row_of(&again.body, focus), row_of(b, focus));
}

/// The numeric cells of a table row as the page writes them (Dutch: `.` groups thousands, `,`
/// is the decimal sign), `x` as `None`.
pub(crate) fn number_cells(row: &str) -> Vec<Option<f64>> {
    row.split("<td class=\"num\">")
        .skip(1)
        .map(|c| {
            let t = c
                .split('<')
                .next()
                .unwrap()
                .replace(['\u{202f}', '\u{a0}', '.'], "")
                .replace(',', ".");
            (t != "x").then(|| t.parse::<f64>().unwrap())
        })
        .collect()
}

/// The figures of a dashboard page's per-area table: (area code, cells), a hidden cell `None`
/// (cells: opened, the category columns, closed, median, 90th percentile).
pub(crate) fn area_rows(body: &str) -> Vec<(String, Vec<Option<f64>>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = body[at..].find("<tr data-area=\"") {
        let start = at + i + 15;
        let code = body[start..].split('"').next().unwrap().to_string();
        let end = start + body[start..].find("</tr>").unwrap();
        out.push((code, number_cells(&body[start..end])));
        at = end;
    }
    out
}

/// The months of a dashboard page's trend table: ("YYYY-MM", [opened, closed, backlog]), a
/// hidden figure `None`.
fn month_rows(body: &str) -> Vec<(String, Vec<Option<f64>>)> {
    body.split("data-month=\"")
        .skip(1)
        .map(|r| {
            let month = r.split('"').next().unwrap().to_string();
            (month, number_cells(r.split("</tr>").next().unwrap()))
        })
        .collect()
}

/// Every published value of an indicator on a level by (item, period code), `None` for `x`.
fn all_periods(s: &Server, ind: &str, level: &str) -> Vec<(String, String, Option<f64>)> {
    let csv = s.get(&format!(
        "/api/v1/data?indicator={ind}&level={level}&format=csv"
    ));
    assert_eq!(csv.status, 200, "{}", csv.body);
    let mut rd = csv::ReaderBuilder::new().from_reader(csv.body.as_bytes());
    let h: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (i, p, v, st) = (col("item"), col("period"), col("value"), col("status"));
    rd.records()
        .map(Result::unwrap)
        .map(|r| {
            let value = (&r[st] != "x").then(|| r[v].parse::<f64>().unwrap_or(0.0));
            (r[i].to_string(), r[p].to_string(), value)
        })
        .collect()
}

/// The levels a dashboard page offers per area.
pub(crate) fn offered_levels(body: &str) -> Vec<String> {
    let select = body
        .split("<select id=\"dash-level\" name=\"level\">")
        .nth(1)
        .unwrap()
        .split("</select>")
        .next()
        .unwrap();
    select
        .split("<option value=\"")
        .skip(1)
        .map(|o| o.split('"').next().unwrap().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The attack of a department member who reads the public measures beside the dashboard: an
/// area's cases over all months (the dashboard's per-area table) minus the area's shown public
/// years of the same count (`vg_aanvragen` for cases opened, `vg_beslissingen` for cases
/// closed) would be the hidden year. Every level the dashboard offers is attacked by plain
/// differencing, and by exact elimination (`checker::attack`) over every area table with the
/// public yearly cells and one total shared by all levels; then the monthly trend and its
/// backlog against the city's public months, quarters and years. Nothing hidden may come out,
/// on either side.
#[test]
fn a_dashboards_figures_give_no_hidden_public_cell_away() {
    let p = permit_site(6000);
    let s = &p.s;
    s.site.ok(&["publish"]);
    // The server takes the new publication at its next poll.
    let t0 = std::time::Instant::now();
    while s
        .get("/api/v1/data?indicator=vg_aanvragen&level=wijk&format=csv")
        .status
        != 200
    {
        assert!(t0.elapsed().as_secs() < 30, "the measures are not served");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let sam = add_user(s, "sam", "viewer", "stadsdiensten");
    let mut m = Browser::new(s);
    assert_eq!(m.login("sam", &sam).status, 303);
    let whole = m.get("/admin/operations/vergunningen");
    assert_eq!(whole.status, 200);
    let levels = offered_levels(&whole.body);
    assert!(levels.len() >= 2, "{levels:?}");
    let mut cells: Vec<Option<f64>> = Vec::new();
    let mut rels: Vec<Vec<u32>> = Vec::new();
    let mut secret: Vec<bool> = Vec::new();
    let mut cell = |v: Option<f64>, protected: bool, cells: &mut Vec<Option<f64>>| {
        cells.push(v);
        secret.push(protected && v.is_none());
        cells.len() as u32 - 1
    };
    let (mut hidden_years, mut leaks) = (0, Vec::new());
    let (mut area_figures, mut area_shown) = (0, 0);
    for (ind, col) in [("vg_aanvragen", 0usize), ("vg_beslissingen", usize::MAX)] {
        // All cases, opened or closed: unknown to the attacker, the same for every level.
        let total = cell(None, false, &mut cells);
        for level in &levels {
            let page = m.get(&format!("/admin/operations/vergunningen?level={level}"));
            assert_eq!(page.status, 200);
            let rows = area_rows(&page.body);
            assert!(!rows.is_empty(), "{level}: no areas");
            let public = series(s, ind, level);
            let mut parts = Vec::new();
            for (code, figures) in &rows {
                let f = if col == 0 {
                    figures[0]
                } else {
                    figures[figures.len() - 3]
                };
                let fa = cell(f, true, &mut cells);
                area_figures += 1;
                area_shown += usize::from(f.is_some());
                parts.push(fa);
                let years: Vec<Option<f64>> = public
                    .iter()
                    .filter(|r| &r.0 == code)
                    .map(|r| {
                        if r.3 == "x" {
                            None
                        } else {
                            Some(r.2.parse::<f64>().unwrap_or(0.0))
                        }
                    })
                    .collect();
                let hidden = years.iter().filter(|y| y.is_none()).count();
                hidden_years += hidden;
                // Plain differencing: the area's total less its shown years.
                if let (Some(f), 1) = (f, hidden) {
                    let shown: f64 = years.iter().flatten().sum();
                    leaks.push(format!(
                        "{ind} on {level}: area {code}'s hidden year is {} (the dashboard's \
                         {f} less the shown years)",
                        f - shown
                    ));
                }
                let mut rel = vec![fa];
                for y in years {
                    rel.push(cell(y, true, &mut cells));
                }
                if !code.is_empty() {
                    rels.push(rel);
                }
            }
            rels.push(std::iter::once(total).chain(parts).collect());
        }
    }
    assert!(
        hidden_years > 0,
        "no public year is hidden: the attack proves nothing"
    );
    assert!(leaks.is_empty(), "{leaks:#?}");
    // Suppression keeps what gives nothing away: most areas' figures stay shown.
    assert!(
        area_shown * 2 >= area_figures,
        "{area_shown} of {area_figures} area figures shown"
    );
    let recovered: Vec<(u32, f64)> = peil_compute::checker::attack(&cells, &rels)
        .into_iter()
        .filter(|(x, _)| secret[*x as usize])
        .collect();
    assert!(recovered.is_empty(), "recovered {recovered:?}");

    // The monthly trend against the city's public months, quarters and years of the same
    // counts: each public period is the sum of the trend's months in it, and the backlog
    // steps from month to month (previous backlog + opened = backlog + closed).
    // (The page lists the newest month first.)
    let mut months = month_rows(&whole.body);
    months.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(months.len() > 24, "{} months", months.len());
    let mut cells: Vec<Option<f64>> = Vec::new();
    let mut secret: Vec<bool> = Vec::new();
    let mut rels: Vec<Vec<u32>> = Vec::new();
    let mut cell = |v: Option<f64>, protected: bool, cells: &mut Vec<Option<f64>>| {
        cells.push(v);
        secret.push(protected && v.is_none());
        cells.len() as u32 - 1
    };
    let mut ids: Vec<[u32; 3]> = Vec::new();
    let mut prev: Option<u32> = None;
    let mut shown = 0;
    for (_, f) in &months {
        let [o, c, b] = [0, 1, 2].map(|k| cell(f[k], true, &mut cells));
        shown += f.iter().filter(|x| x.is_some()).count();
        let handled = cell(None, false, &mut cells);
        rels.push(match prev {
            Some(p) => vec![handled, p, o],
            None => vec![handled, o],
        });
        rels.push(vec![handled, b, c]);
        prev = Some(b);
        ids.push([o, c, b]);
    }
    assert!(
        shown * 10 >= months.len() * 3 * 8,
        "{shown} of {} monthly figures shown",
        months.len() * 3
    );
    // The city: the one area of level gemeente with cases.
    let city = area_rows(&m.get("/admin/operations/vergunningen?level=gemeente").body)
        .into_iter()
        .find(|(code, f)| !code.is_empty() && f[0] != Some(0.0))
        .map(|(code, _)| code)
        .expect("no city in the dashboard's areas");
    let dashboard_cells = cells.len();
    let mut hidden_months = 0;
    for (ind, k) in [("vg_aanvragen", 0usize), ("vg_beslissingen", 1)] {
        let public = all_periods(s, ind, "gemeente");
        for (_, period, value) in public.iter().filter(|r| r.0 == city) {
            // The trend's months inside the period (`2024`, `2024Q1`, `2024M03`).
            let inside: Vec<u32> = months
                .iter()
                .zip(&ids)
                .filter(|((m, _), _)| {
                    let (y, mm) = (&m[..4], m[5..].parse::<u32>().unwrap());
                    let index = match period.get(4..5) {
                        None => return period == y,
                        Some("Q") => mm.div_ceil(3),
                        Some("H") => mm.div_ceil(6),
                        Some("M") => mm,
                        _ => return false,
                    };
                    period[..4] == *y && period[5..].parse::<u32>() == Ok(index)
                })
                .map(|(_, id)| id[k])
                .collect();
            if inside.is_empty() {
                continue;
            }
            hidden_months += usize::from(value.is_none() && period.contains('M'));
            let pc = cell(*value, true, &mut cells);
            rels.push(std::iter::once(pc).chain(inside).collect());
        }
    }
    assert!(
        hidden_months > 0,
        "no public month is hidden: the attack proves nothing"
    );
    // A figure the dashboard hides but the public cells give by themselves is no secret.
    let mut public_only = cells.clone();
    public_only[..dashboard_cells].fill(None);
    for (x, _) in peil_compute::checker::attack(&public_only, &rels) {
        assert!(
            (x as usize) < dashboard_cells,
            "the public cells alone give cell {x} away"
        );
        secret[x as usize] = false;
    }
    let recovered: Vec<(u32, f64)> = peil_compute::checker::attack(&cells, &rels)
        .into_iter()
        .filter(|(x, _)| secret[*x as usize])
        .collect();
    assert!(
        recovered.is_empty(),
        "recovered from the months {recovered:?}"
    );
}
