//! Check-ins on a plan's KPIs (issue 17), posted from the scorecard (`web::plans`): a year, a
//! comment and, for a KPI without a data source, its value. Only the KPI's owner or an
//! administrator may enter one (`Plan::may_check_in`, the one rule); every check-in is
//! appended to the plan's check-ins and recorded in the audit log. On success the browser
//! goes back to the KPI on the scorecard.

use super::Admin;
use super::login::{field, fields};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use peil_core::{DecimalSeparator, Role, parse_number};
use serde_json::json;

pub(super) async fn checkin(
    State(st): State<AppState>,
    Path(name): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    let f = fields(&body);
    let kpi = field(&f, "kpi").trim().to_string();
    let comment = field(&f, "comment").trim().to_string();
    let raw_value = field(&f, "value").trim().to_string();
    let year: Option<i32> = field(&f, "year")
        .trim()
        .parse()
        .ok()
        .filter(|y| (1900..=2200).contains(y));
    let Some(user) = a.user().cloned() else {
        return a
            .page
            .refused(StatusCode::FORBIDDEN, "plan_checkin_refused");
    };
    let n = name.clone();
    let plan = match st.with_store(move |s| s.plan(&n)).await {
        Ok(Some(p)) => p,
        Ok(None) => return a.page.not_found(),
        Err(e) => {
            tracing::error!("plan {name}: {e}");
            return a.page.not_found();
        }
    };
    let Some(k) = plan.kpi(&kpi) else {
        return a.page.not_found();
    };
    if !plan.may_check_in(
        k,
        &user.login,
        &user.groups,
        user.role.allows(Role::Beheerder),
    ) {
        a.audit(&st, "check-in refused", json!({"plan": name, "kpi": kpi}))
            .await;
        return a
            .page
            .refused(StatusCode::FORBIDDEN, "plan_checkin_refused");
    }
    let sep = if raw_value.contains(',') && !raw_value.contains('.') {
        DecimalSeparator::Comma
    } else {
        DecimalSeparator::Point
    };
    let value = if raw_value.is_empty() {
        Ok(None)
    } else if !k.manual() {
        Err(())
    } else {
        parse_number(&raw_value, sep)
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or(())
    };
    let (Some(year), Ok(value)) = (year, value) else {
        return a.page.refused(StatusCode::BAD_REQUEST, "plan_checkin_bad");
    };
    if value.is_none() && comment.is_empty() {
        return a.page.refused(StatusCode::BAD_REQUEST, "plan_checkin_bad");
    }
    let (p, kc, c, who, from) = (
        name.clone(),
        kpi.clone(),
        comment.clone(),
        user.login.clone(),
        a.client.clone(),
    );
    let saved = st
        .with_store(move |s| {
            let id = s.add_checkin(&p, &kc, year, value, &c, &who)?;
            s.audit(
                &who,
                &from,
                "check-in",
                &json!({"plan": p, "kpi": kc, "year": year, "value": value, "comment": c, "id": id}),
            )
        })
        .await;
    if let Err(e) = saved {
        tracing::error!("check-in on plan {name}: {e}");
        return a
            .page
            .refused(StatusCode::INTERNAL_SERVER_ERROR, "plan_checkin_bad");
    }
    super::no_store(
        Redirect::to(&format!(
            "{}#kpi-{kpi}",
            a.page.href(&format!("/plans/{}", crate::api::seg(&name)))
        ))
        .into_response(),
    )
}

// --- editing a plan ----------------------------------------------------------------------------

/// The plans, each with its editing forms: the plan's title, levels and visibility, and per
/// goal and per KPI the fields an owner changes during the cycle (a KPI's data source changes
/// through an import of the template, which checks it against the site).
pub(super) async fn plans(State(st): State<AppState>, a: Admin) -> Response {
    page(&st, &a, StatusCode::OK, json!(null)).await
}

async fn page(
    st: &AppState,
    a: &Admin,
    status: StatusCode,
    message: serde_json::Value,
) -> Response {
    let plans = match super::pages::on_store(st, a, |s| s.plans()).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let targets = |k: &peil_core::plan::Kpi| {
        k.targets
            .iter()
            .map(|(y, v)| format!("{y}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let rows: Vec<serde_json::Value> = plans
        .iter()
        .map(|p| {
            json!({
                "name": p.name, "title": p.title, "levels": p.levels.join(", "), "public": p.public,
                "goals": p.goals.iter().map(|g| json!({
                    "code": g.code, "name": g.name, "owner": g.owner, "description": g.description,
                    "start": g.start, "end": g.end, "level": p.level_name(&g.code),
                })).collect::<Vec<_>>(),
                "kpis": p.kpis.iter().map(|k| json!({
                    "code": k.code, "goal": k.goal, "name": k.name, "owner": k.owner,
                    "source": k.indicator.as_ref().map(|i| format!("{i} · {} {}", k.level.as_deref().unwrap_or(""), k.area.as_deref().unwrap_or(""))),
                    "direction": k.direction.code(), "baseline": k.baseline, "baseline_year": k.baseline_year,
                    "on": k.on_track_within, "risk": k.at_risk_within, "targets": targets(k), "unit": k.unit,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut r = a.render(
        "admin_plans.html",
        "admin_plans",
        json!({"plans": rows, "message": message}),
    );
    *r.status_mut() = status;
    r
}

/// A number typed in a form (`,` or `.` as decimal separator); empty is `None`.
fn typed_number(raw: &str) -> Result<Option<f64>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let sep = if raw.contains(',') && !raw.contains('.') {
        DecimalSeparator::Comma
    } else {
        DecimalSeparator::Point
    };
    parse_number(raw, sep)
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or(())
}

fn typed_year(raw: &str) -> Result<Option<i32>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .ok()
        .filter(|y| (1900..=2200).contains(y))
        .map(Some)
        .ok_or(())
}

/// Applies one form to a plan; the field that is wrong, if any.
fn apply(
    plan: &mut peil_core::plan::Plan,
    f: &[(String, String)],
    owners: &std::collections::HashSet<String>,
) -> Result<(), &'static str> {
    use peil_core::plan::Direction;
    let code = field(f, "code").trim();
    let owner_ok = |o: &str, empty_ok: bool| (empty_ok && o.is_empty()) || owners.contains(o);
    match field(f, "what") {
        "plan" => {
            let title = field(f, "title").trim();
            let levels: Vec<String> = field(f, "levels")
                .split(',')
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect();
            if title.is_empty() {
                return Err("title");
            }
            plan.title = title.to_string();
            plan.levels = levels;
            plan.public = field(f, "public") == "1";
        }
        "goal" => {
            let g = plan
                .goals
                .iter_mut()
                .find(|g| g.code == code)
                .ok_or("code")?;
            let owner = field(f, "owner").trim();
            if !owner_ok(owner, false) {
                return Err("owner");
            }
            let name = field(f, "name").trim();
            if name.is_empty() {
                return Err("name");
            }
            g.name = name.to_string();
            g.owner = owner.to_string();
            g.description = field(f, "description").trim().to_string();
            g.start = typed_year(field(f, "start")).map_err(|_| "start")?;
            g.end = typed_year(field(f, "end")).map_err(|_| "end")?;
        }
        "kpi" => {
            let k = plan
                .kpis
                .iter_mut()
                .find(|k| k.code == code)
                .ok_or("code")?;
            let owner = field(f, "owner").trim();
            if !owner_ok(owner, true) {
                return Err("owner");
            }
            let name = field(f, "name").trim();
            if name.is_empty() {
                return Err("name");
            }
            let mut targets = std::collections::BTreeMap::new();
            for part in field(f, "targets")
                .split(';')
                .filter(|p| !p.trim().is_empty())
            {
                let (y, v) = part.split_once('=').ok_or("targets")?;
                let y = typed_year(y).ok().flatten().ok_or("targets")?;
                let v = typed_number(v).ok().flatten().ok_or("targets")?;
                targets.insert(y, v);
            }
            k.name = name.to_string();
            k.owner = owner.to_string();
            k.unit = field(f, "unit").trim().to_string();
            k.direction = Direction::parse(field(f, "direction")).ok_or("direction")?;
            k.baseline = typed_number(field(f, "baseline")).map_err(|_| "baseline")?;
            k.baseline_year = typed_year(field(f, "baseline_year")).map_err(|_| "baseline_year")?;
            if k.baseline.is_some() != k.baseline_year.is_some() {
                return Err("baseline_year");
            }
            k.on_track_within = typed_number(field(f, "on"))
                .map_err(|_| "on")?
                .unwrap_or(0.0);
            k.at_risk_within = typed_number(field(f, "risk"))
                .map_err(|_| "risk")?
                .unwrap_or(0.0);
            k.targets = targets;
        }
        _ => return Err("what"),
    }
    Ok(())
}

/// Saves one form of the plans page: the plan's own fields, a goal's or a KPI's. The edited
/// plan must still pass `Plan::check`; one statement, audited.
pub(super) async fn save(
    State(st): State<AppState>,
    Path(name): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    let f = fields(&body);
    let n = name.clone();
    let found = super::pages::on_store(&st, &a, move |s| {
        Ok((s.plan(&n)?, peil_import::plan::owners(s)?))
    })
    .await;
    let (mut plan, owners) = match found {
        Ok((Some(p), o)) => (p, o),
        Ok((None, _)) => return a.page.not_found(),
        Err(r) => return r,
    };
    let bad = |field: &str, text: String| json!({"ok": false, "text": format!("{}: {field}: {text}", a.page.word("admin_plan_refused"))});
    if let Err(field) = apply(&mut plan, &f, &owners) {
        let m = bad(field, a.page.word("admin_plan_bad_field").to_string());
        return page(&st, &a, StatusCode::BAD_REQUEST, m).await;
    }
    if let Some((what, field, msg)) = plan.check().into_iter().next() {
        let m = bad(&format!("{what}.{field}"), msg);
        return page(&st, &a, StatusCode::BAD_REQUEST, m).await;
    }
    let who = a.user().map(|u| u.login.clone()).unwrap_or_default();
    let p = plan.clone();
    if let Err(r) = super::pages::on_store(&st, &a, move |s| s.save_plan(&p, &who)).await {
        return r;
    }
    let detail: serde_json::Value = f
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    a.audit(&st, "plan changed", json!({"plan": name, "form": detail}))
        .await;
    let m = json!({"ok": true, "text": a.page.word("admin_plan_saved")});
    page(&st, &a, StatusCode::OK, m).await
}
