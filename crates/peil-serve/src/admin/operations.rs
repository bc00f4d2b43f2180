//! Operational dashboards (issue 17): per record set that declares one (`[dashboard]` in its
//! definition), a page for the department head with the monthly trend of opened and closed
//! cases and the backlog, the throughput-time distribution and the top categories, with
//! drill-down to a month (`?month=2024-03`). Only members of the dashboard's access group
//! and administrators open it; others get 403 (the list shows them nothing). The figures come
//! from `peil_compute::dashboard::published`, which applies the set's threshold and holds them
//! against the publication served (so that no figure and no public cell of the set's measures
//! follows from the two): no record and no small count leaves it.

use super::Admin;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use peil_compute::dashboard::{
    Aggregates, Dashboard, MonthRow, Published, parse_month, published, stored, view, year_month,
};
use peil_core::records::{DashboardDef, RecordSetDef};
use peil_core::{Locale, Role, Value, human_number};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The figures last made per record set, with the publication's generation, the set's
/// definition (its threshold, measures and dashboard) and the counts they were made from: a
/// request for which all three are the same reads them.
#[derive(Default)]
pub struct DashboardCache(Mutex<HashMap<String, Made>>);

type Made = (u64, Arc<(RecordSetDef, Aggregates)>, Arc<Published>);

impl DashboardCache {
    fn get(
        &self,
        generation: u64,
        def: &RecordSetDef,
        agg: &Aggregates,
        make: impl FnOnce() -> Published,
    ) -> Arc<Published> {
        let set = def.name.as_str();
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((g, made_from, p)) = kept.get(set)
            && *g == generation
            && made_from.0 == *def
            && made_from.1 == *agg
        {
            return p.clone();
        }
        drop(kept);
        let p = Arc::new(make());
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.insert(
            set.to_string(),
            (generation, Arc::new((def.clone(), agg.clone())), p.clone()),
        );
        p
    }
}

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

/// The monthly trend as a line chart (opened, closed, backlog; a hidden month is a gap),
/// through the one renderer; its table alternative is the page's table of months, whose
/// month links drill down.
fn trend_chart(d: &Dashboard, locale: Locale, word: &dyn Fn(&str) -> String) -> Option<String> {
    use peil_render::chart::{LineChart, Series};
    if d.months.len() < 2 {
        return None;
    }
    let series = |key: &str, f: &dyn Fn(&MonthRow) -> Value| {
        (
            None,
            Series {
                name: word(key),
                values: d.months.iter().map(f).collect(),
            },
        )
    };
    let first = d
        .months
        .first()
        .map(|m| month_code(m.month))
        .unwrap_or_default();
    let last = d
        .months
        .last()
        .map(|m| month_code(m.month))
        .unwrap_or_default();
    let chart = LineChart {
        id: "dash-trend-chart".into(),
        title: word("dash_trend"),
        description: format!(
            "{} {first}–{last}: {}, {}, {}. {}",
            word("dash_trend"),
            word("dash_opened"),
            word("dash_closed"),
            word("dash_backlog"),
            word("dash_chart_table")
        ),
        x_labels: d.months.iter().map(|m| month_code(m.month)).collect(),
        series: vec![
            series("dash_opened", &|m| m.opened),
            series("dash_closed", &|m| m.closed),
            series("dash_backlog", &|m| m.backlog),
        ],
        format: peil_render::format::NumberFormat::new(0, "", locale),
        width: 880.0,
        height: 280.0,
    };
    Some(chart.svg())
}

/// The page's data from a computed dashboard.
fn page_data(
    def: &RecordSetDef,
    d: &Dashboard,
    locale: Locale,
    word: &dyn Fn(&str) -> String,
    level_name: &dyn Fn(&str) -> String,
) -> Json {
    let n1 = |v: Value| shown(v, 1, locale);
    let label = |l: &String| {
        if l.is_empty() {
            word("dash_other")
        } else {
            l.clone()
        }
    };
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
        "chart": trend_chart(d, locale, word),
        "closed": shown(d.closed, 0, locale),
        "median": n1(d.median),
        "p90": n1(d.p90),
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
            "label": label(l),
            "count": shown(*c, 0, locale),
        })).collect::<Vec<_>>(),
        "columns": d.columns.iter().map(label).collect::<Vec<_>>(),
        "levels": d.levels.iter().map(|l| json!({
            "code": l,
            "name": level_name(l),
            "current": d.level.as_deref() == Some(l.as_str()),
        })).collect::<Vec<_>>(),
        "level": d.level.as_deref().map(level_name),
        "years": d.years.iter().map(|y| json!({"year": y, "current": d.year == Some(*y)})).collect::<Vec<_>>(),
        "year": d.year,
        "areas": d.areas.iter().map(|a| json!({
            "code": a.code,
            "name": if a.code.is_empty() { word("dash_no_area") } else { a.name.clone() },
            "opened": shown(a.opened, 0, locale),
            "categories": a.categories.iter().map(|&c| shown(c, 0, locale)).collect::<Vec<_>>(),
            "closed": shown(a.closed, 0, locale),
            "median": n1(a.median),
            "p90": n1(a.p90),
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
    // The counts its last import stored (never a record), through the threshold and held
    // against the publication readers are served now; a set imported before the counts were
    // stored has them counted once, here.
    let level = a
        .page
        .param("level")
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    let year = match a.page.param("year") {
        None | Some("") => None,
        Some(y) => match y.parse::<i32>() {
            Ok(y) => Some(y),
            Err(_) => return a.page.refused(StatusCode::BAD_REQUEST, "dash_bad_year"),
        },
    };
    let snap = st.snapshot();
    let state = st.clone();
    let computed = super::pages::on_store_write(&st, &a, move |s| {
        let mut got = stored(s, &n)?;
        if matches!(got, Some((_, None))) {
            peil_import::records::store_dashboard(s, &n)?;
            got = stored(s, &n)?;
        }
        Ok(got.and_then(|(def, agg)| {
            let agg = agg?;
            let p = state
                .admin_dashboards()
                .get(snap.generation, &def, &agg, || published(&def, &agg, &snap));
            Some((p, def))
        }))
    })
    .await;
    let (def, d) = match computed {
        Ok(Some((p, def))) => (def, view(&p, focus, level.as_deref(), year)),
        Ok(None) => return a.page.not_found(),
        Err(r) => return r,
    };
    let word = |k: &str| a.page.word(k).to_string();
    let snap = &a.page.ctx.snap;
    let level_name = |code: &str| {
        snap.levels
            .iter()
            .find(|l| l.level.code == code)
            .map_or_else(|| code.to_string(), |l| l.level.name.clone())
    };
    let data = page_data(&def, &d, a.page.locale(), &word, &level_name);
    a.render(
        "admin_operations.html",
        "admin_operations",
        json!({"dashboards": [], "one": data}),
    )
}
