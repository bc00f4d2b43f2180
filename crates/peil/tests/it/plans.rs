//! Policy monitoring (issue 17): a plan imported from its template (`peil plans import`), bad
//! cells refused by file, row and column with the store unchanged; the scorecard page with
//! each KPI's value, target and status from the one status rule; a restricted indicator's
//! values and a hidden `x` never shown to a reader who may not see them; filters by owner and
//! status (GET); check-ins: the owner may enter one, someone else is refused, each audited,
//! and the status follows the entered value.

use crate::admin::{Browser, add_user, audit_actions, enc, serve};
use crate::common::*;

/// (period year, value or status) per item of an indicator on a level, from the API's CSV.
fn series(s: &Server, ind: &str, level: &str) -> Vec<(String, i32, String, String)> {
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
