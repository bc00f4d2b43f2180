//! Policy plans on the web (issue 17): a plan's scorecard (`/plans/{name}`, a goal's subtree
//! with `?goal=CODE`), filtered by owner and status through a GET form, made by
//! `peil_compute::scorecard` for the reader asking (so a restricted or hidden value never
//! shows). A plan that is not public shows only to logged-in users of the back office. A
//! KPI's owner (or an administrator) finds the check-in form beside the KPI; it posts to the
//! back office (`admin::plans::checkin`). Answers are never cached: a check-in changes them
//! without a publication.

use super::{Page, PageResult};
use crate::AppState;
use crate::api::Req;
use axum::extract::{Path, State};
use peil_compute::scorecard::{GoalCard, KpiCard, scorecard};
use peil_core::plan::Status;
use peil_core::{Locale, MissingCode, Role, Value, human_number};
use serde_json::{Value as Json, json};

/// A number as readers see it: whole numbers without decimals, others with one or two.
pub(crate) fn shown(v: f64, locale: Locale) -> String {
    let d = if v.fract() == 0.0 {
        0
    } else if (v * 10.0).fract().abs() < 1e-9 {
        1
    } else {
        2
    };
    human_number(v, d, locale)
}

/// The word of a status.
pub(crate) fn status_word(s: Status) -> String {
    format!("plan_{}", s.code())
}

/// The scorecard's rows as the template (and the PDF) reads them, filtered by owner and status.
pub(crate) fn rows(
    page_word: &dyn Fn(&str) -> &'static str,
    locale: Locale,
    cards: &[GoalCard],
    owner: Option<&str>,
    status: Option<Status>,
    may_enter: &dyn Fn(&KpiCard) -> bool,
) -> Vec<Json> {
    let kpi_fits = |k: &KpiCard| {
        owner.is_none_or(|o| k.owner == o) && status.is_none_or(|s| k.state.status == s)
    };
    cards
        .iter()
        .filter(|g| {
            (owner.is_none_or(|o| g.goal.owner == o) && status.is_none_or(|s| g.status == s))
                || g.kpis.iter().any(kpi_fits)
        })
        .map(|g| {
            let kpis: Vec<Json> = g
                .kpis
                .iter()
                .filter(|k| (owner.is_none() && status.is_none()) || kpi_fits(k))
                .map(|k| {
                    let s = &k.state;
                    let values: Vec<Value> = k
                        .series
                        .iter()
                        .map(|(_, v)| match v {
                            Ok(n) => Value::Number(*n),
                            Err(sym) => Value::Missing(
                                MissingCode::from_symbol(sym).unwrap_or(MissingCode::Unknown),
                            ),
                        })
                        .collect();
                    let value = if k.restricted {
                        page_word("plan_restricted").to_string()
                    } else {
                        match (s.value, s.code) {
                            (Some(v), _) => format!("{} {}", shown(v, locale), k.kpi.unit)
                                .trim()
                                .to_string(),
                            (None, Some(c)) => c.to_string(),
                            _ => "–".into(),
                        }
                    };
                    let target = s
                        .target
                        .map(|t| format!("{} {}", shown(t, locale), k.kpi.unit).trim().to_string());
                    let spark = (values.len() > 1).then(|| {
                        peil_render::chart::sparkline(&values, 96.0, 24.0, &k.kpi.name)
                    });
                    json!({
                        "code": k.kpi.code,
                        "name": k.kpi.name,
                        "owner": k.owner,
                        "year": s.year,
                        "value": value,
                        "target": target,
                        "status": s.status.code(),
                        "status_word": page_word(&status_word(s.status)),
                        "direction": page_word(if k.kpi.direction == peil_core::plan::Direction::Higher { "plan_higher" } else { "plan_lower" }),
                        "spark": spark,
                        "manual": k.kpi.manual(),
                        "comment": k.comment.map(|c| json!({"text": c.comment, "who": c.who, "year": c.year, "at": c.at})),
                        "may_enter": may_enter(k),
                    })
                })
                .collect();
            json!({
                "code": g.goal.code,
                "name": g.goal.name,
                "level": g.level,
                "depth": g.depth,
                "owner": g.goal.owner,
                "description": g.goal.description,
                "period": match (g.goal.start, g.goal.end) {
                    (Some(a), Some(b)) => format!("{a}–{b}"),
                    (Some(a), None) => format!("{a}–"),
                    (None, Some(b)) => format!("–{b}"),
                    _ => String::new(),
                },
                "status": g.status.code(),
                "status_word": page_word(&status_word(g.status)),
                "kpis": kpis,
            })
        })
        .collect()
}

/// The goals of a subtree: `goal` and every goal beneath it (all goals for `None`).
fn subtree<'a>(cards: Vec<GoalCard<'a>>, goal: Option<&str>) -> Vec<GoalCard<'a>> {
    let Some(goal) = goal else { return cards };
    let Some(start) = cards.iter().position(|g| g.goal.code == goal) else {
        return Vec::new();
    };
    let depth = cards[start].depth;
    let end = cards[start + 1..]
        .iter()
        .position(|g| g.depth <= depth)
        .map(|p| start + 1 + p)
        .unwrap_or(cards.len());
    cards.into_iter().skip(start).take(end - start).collect()
}

/// The council's report of a plan as Markdown: per goal (a page each, `---`) its level,
/// name, status, owner, period and description, its KPIs' table (year, value, target, status)
/// and their last comments. Rows come from [`rows`], as the page's do.
fn council_markdown(page: &Page, goals: &[Json]) -> String {
    use peil_story::story::md_escape as esc;
    let w = |k: &str| page.word(k);
    let s = |v: &Json| esc(v.as_str().unwrap_or(""));
    let mut md = String::new();
    for (i, g) in goals.iter().enumerate() {
        if i > 0 {
            md.push_str("\n---\n\n");
        }
        md.push_str(&format!("# {}: {}\n\n", s(&g["level"]), s(&g["name"])));
        md.push_str(&format!(
            "**{}: {}** · {}: {}",
            w("plan_status"),
            s(&g["status_word"]),
            w("plan_owner"),
            s(&g["owner"])
        ));
        if g["period"].as_str().is_some_and(|p| !p.is_empty()) {
            md.push_str(&format!(" · {}: {}", w("plan_period"), s(&g["period"])));
        }
        md.push_str("\n\n");
        if g["description"].as_str().is_some_and(|d| !d.is_empty()) {
            md.push_str(&format!("{}\n\n", s(&g["description"])));
        }
        let kpis = g["kpis"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        if kpis.is_empty() {
            continue;
        }
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n|---|---|---|---|---|\n",
            w("plan_kpi"),
            w("plan_year"),
            w("plan_value"),
            w("plan_target"),
            w("plan_status")
        ));
        for k in kpis {
            let year = k["year"]
                .as_i64()
                .map(|y| y.to_string())
                .unwrap_or("–".into());
            let target = k["target"].as_str().map(esc).unwrap_or("–".into());
            md.push_str(&format!(
                "| {} | {year} | {} | {target} | {} |\n",
                s(&k["name"]),
                s(&k["value"]),
                s(&k["status_word"])
            ));
        }
        md.push('\n');
        for k in kpis.iter().filter(|k| k["comment"].is_object()) {
            let c = &k["comment"];
            md.push_str(&format!(
                "- **{}** ({}, {}): {}\n",
                s(&k["name"]),
                s(&c["who"]),
                c["year"],
                s(&c["text"])
            ));
        }
    }
    md
}

pub(crate) async fn scorecard_page(
    State(st): State<AppState>,
    Path(name): Path<String>,
    req: Req,
) -> PageResult {
    let page = Page::new(&st, req)?;
    let (name, pdf) = match name.strip_suffix(".pdf") {
        Some(n) => (n.to_string(), true),
        None => (name, false),
    };
    let n = name.clone();
    let found = st
        .with_store(move |s| Ok((s.plan(&n)?, s.checkins(&n)?)))
        .await;
    let (plan, checkins) = match found {
        Ok((Some(p), c)) => (p, c),
        Ok((None, _)) => return Err(page.not_found()),
        Err(e) => {
            tracing::error!("plan {name}: {e}");
            return Err(page.not_found());
        }
    };
    let session = page.req.session.clone();
    if !plan.public && session.is_none() {
        return Err(page.not_found());
    }
    let goal = page.param("goal").map(str::to_string);
    let owner = page.param("owner").map(str::to_string);
    let status = page.param("status").and_then(Status::from_code);
    let cards = scorecard(&plan, &page.ctx.snap, &page.ctx.reader, &checkins);
    let cards = subtree(cards, goal.as_deref());
    if goal.is_some() && cards.is_empty() {
        return Err(page.not_found());
    }
    let may_enter = |k: &KpiCard| {
        session.as_ref().is_some_and(|s| {
            plan.may_check_in(
                k.kpi,
                &s.user.login,
                &s.user.groups,
                s.user.role.allows(Role::Beheerder),
            )
        })
    };
    let word = |k: &str| page.word(k);
    let goals = rows(
        &word,
        page.locale(),
        &cards,
        owner.as_deref(),
        status,
        &may_enter,
    );
    // A goal's owner that is a department (an access group with an operational dashboard)
    // reaches its dashboards from here — shown only to who may open them.
    let mut goals = goals;
    if let Some(sess) = &session
        && !pdf
    {
        let defs = st
            .with_store(|s| s.record_set_definitions())
            .await
            .unwrap_or_default();
        let admin = sess.user.role.allows(Role::Beheerder);
        for g in goals.iter_mut() {
            let owner = g["owner"].as_str().unwrap_or_default().to_string();
            let links: Vec<Json> = defs
                .iter()
                .filter(|d| {
                    d.dashboard.as_ref().is_some_and(|dash| {
                        dash.group == owner && (admin || sess.user.groups.contains(&dash.group))
                    })
                })
                .map(|d| {
                    json!({
                        "name": d.name,
                        "href": page.href(&format!("/admin/operations/{}", crate::api::seg(&d.name))),
                    })
                })
                .collect();
            if !links.is_empty() {
                g["dashboards"] = Json::Array(links);
            }
        }
    }
    let mut owners: Vec<&str> = plan
        .goals
        .iter()
        .map(|g| g.owner.as_str())
        .chain(plan.kpis.iter().map(|k| plan.kpi_owner(k)))
        .collect();
    owners.sort_unstable();
    owners.dedup();
    let statuses: Vec<Json> = Status::ALL
        .iter()
        .map(|s| json!({"code": s.code(), "word": page.word(&status_word(*s))}))
        .collect();
    let focus = goal.as_deref().and_then(|g| plan.goal(g));
    if pdf {
        let markdown = council_markdown(&page, &goals);
        let (site, lang, title) = (page.site.clone(), page.lang.clone(), plan.title.clone());
        let subtitle = focus.map(|g| g.name.clone()).unwrap_or_default();
        let bytes = tokio::task::spawn_blocking(move || {
            peil_story::pdf::document_pdf(&title, &subtitle, &markdown, &site.pdf_options(&lang))
        })
        .await
        .map_err(|_| super::stories::failed(&page, "the PDF could not be made"))?
        .map_err(|e| super::stories::failed(&page, &e.to_string()))?;
        return Ok(crate::admin::no_store(super::stories::pdf_response(
            bytes,
            &format!("{}.pdf", plan.name),
        )));
    }
    let title = match focus {
        Some(g) => format!("{} — {}", g.name, plan.title),
        None => plan.title.clone(),
    };
    let r = page.render(
        "plan.html",
        &title,
        json!({
            "plan": {"name": plan.name, "title": plan.title, "public": plan.public},
            "focus": focus.map(|g| json!({"code": g.code, "name": g.name})),
            "goals": goals,
            "owners": owners,
            "statuses": statuses,
            "filter": {"owner": owner, "status": status.map(Status::code), "goal": goal},
            "pdf": format!("{}.pdf?{}", page.href(&format!("/plans/{}", crate::api::seg(&plan.name))), page.req.raw_pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")),
            "this_year": peil_store::utc_now().get(..4).and_then(|y| y.parse::<i32>().ok()),
        }),
    );
    Ok(crate::admin::no_store(r))
}
