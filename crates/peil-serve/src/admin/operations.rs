//! Operational dashboards (issue 17): per record set that declares one (`[dashboard]` in its
//! definition), a page for the department head with the monthly trend of opened and closed
//! cases and the backlog, the throughput-time distribution and the top categories, with
//! drill-down to a month (`?month=2024-03`). Only members of the dashboard's access group
//! and administrators open it; others get 403 (the list shows them nothing). The figures come
//! from `peil_compute::dashboard`, which applies the set's threshold: no record and no small
//! count leaves it.

use super::Admin;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use peil_compute::dashboard::{Dashboard, dashboard, parse_month, year_month};
use peil_core::records::{DashboardDef, RecordSetDef};
use peil_core::{Locale, Role, Value, human_number};
use serde_json::{Value as Json, json};

/// Whether the session's user may open a dashboard: an administrator, or a member of its group.
fn may_open(a: &Admin, d: &DashboardDef) -> bool {
    a.user()
        .is_some_and(|u| u.role.allows(Role::Beheerder) || u.groups.contains(&d.group))
}

/// The dashboards the user may open.
pub(super) async fn list(State(st): State<AppState>, a: Admin) -> Response {
    let sets = match super::pages::on_store(&st, &a, |s| s.record_set_definitions()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let rows: Vec<Json> = sets
        .iter()
        .filter_map(|s| {
            let d = s.dashboard.as_ref()?;
            may_open(&a, d).then(|| json!({"name": s.name, "group": d.group}))
        })
        .collect();
    a.render(
        "admin_operations.html",
        "admin_operations",
        json!({"dashboards": rows, "one": null}),
    )
}

fn shown(v: Value, decimals: usize, locale: Locale) -> String {
    match v {
        Value::Number(n) => human_number(n, decimals, locale),
        Value::Missing(m) => m.symbol().to_string(),
    }
}

fn month_code(m: i32) -> String {
    let (y, mm) = year_month(m);
    format!("{y}-{mm:02}")
}

/// The page's data from a computed dashboard.
fn view(def: &RecordSetDef, d: &Dashboard, locale: Locale, word: &dyn Fn(&str) -> String) -> Json {
    let trend: Vec<Value> = d.months.iter().map(|m| m.backlog).collect();
    let opened: Vec<Value> = d.months.iter().map(|m| m.opened).collect();
    json!({
        "name": def.name,
        "focus": d.focus.map(month_code),
        "months": d.months.iter().rev().map(|m| json!({
            "code": month_code(m.month),
            "opened": shown(m.opened, 0, locale),
            "closed": shown(m.closed, 0, locale),
            "backlog": shown(m.backlog, 0, locale),
            "current": d.focus == Some(m.month),
        })).collect::<Vec<_>>(),
        "spark_opened": (opened.len() > 1).then(|| peil_render::chart::sparkline(&opened, 240.0, 40.0, &word("dash_opened"))),
        "spark_backlog": (trend.len() > 1).then(|| peil_render::chart::sparkline(&trend, 240.0, 40.0, &word("dash_backlog"))),
        "closed": shown(d.closed, 0, locale),
        "median": shown(d.median, 1, locale),
        "p90": shown(d.p90, 1, locale),
        "classes": d.classes.iter().map(|c| json!({
            "range": match c.hi { Some(h) => format!("{}–{h}", c.lo), None => format!("≥ {}", c.lo) },
            "count": shown(c.count, 0, locale),
            "share": match (c.count, d.closed) {
                (Value::Number(k), Value::Number(t)) if t > 0.0 => Some((k * 100.0 / t).round()),
                _ => None,
            },
        })).collect::<Vec<_>>(),
        "opened": shown(d.opened, 0, locale),
        "categories": d.columns.iter().zip(&d.categories).map(|(l, c)| json!({
            "label": if l.is_empty() { word("dash_other") } else { l.clone() },
            "count": shown(*c, 0, locale),
        })).collect::<Vec<_>>(),
    })
}

/// One dashboard, whole or drilled down to `?month=`.
pub(super) async fn page(
    State(st): State<AppState>,
    Path(name): Path<String>,
    a: Admin,
) -> Response {
    let focus = match a.page.param("month") {
        None | Some("") => None,
        Some(m) => match parse_month(m) {
            Some(m) => Some(m),
            None => return a.page.refused(StatusCode::BAD_REQUEST, "dash_bad_month"),
        },
    };
    // The definition first: a user outside the group never makes the store read the records.
    let n = name.clone();
    let sets = match super::pages::on_store(&st, &a, |s| s.record_set_definitions()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(dash) = sets
        .iter()
        .find(|s| s.name == n)
        .and_then(|s| s.dashboard.clone())
    else {
        return a.page.not_found();
    };
    if !may_open(&a, &dash) {
        a.audit(&st, "dashboard refused", json!({"set": name}))
            .await;
        return a.page.refused(StatusCode::FORBIDDEN, "dash_refused");
    }
    let computed = super::pages::on_store(&st, &a, move |s| {
        Ok(s.records_for_dashboard(&n)?.and_then(|(def, rec)| {
            let d = def.dashboard.clone()?;
            let out = dashboard(&def, &d, &rec, focus);
            Some((def, out))
        }))
    })
    .await;
    let (def, d) = match computed {
        Ok(Some(x)) => x,
        Ok(None) => return a.page.not_found(),
        Err(r) => return r,
    };
    let word = |k: &str| a.page.word(k).to_string();
    let data = view(&def, &d, a.page.locale(), &word);
    a.render(
        "admin_operations.html",
        "admin_operations",
        json!({"dashboards": [], "one": data}),
    )
}
