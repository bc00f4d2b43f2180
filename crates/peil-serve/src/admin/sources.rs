//! The sources and schedules page (`/admin/schedule`, experts; `/admin/sources` is the
//! indicators' metadata sources): every source of peil.toml and the scheduled
//! publish with its schedule, last run, outcome and next run, and each one's recent runs —
//! the status `peil sources` prints (`peil_connect::scheduler::status`), read on the blocking
//! pool. The schedules themselves live in peil.toml (`[[sources]]`, `[schedule]`).

use super::Admin;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use peil_connect::scheduler::{self, local_text};
use peil_store::RunTask;
use serde_json::json;

/// Runs listed per source on the page.
const RECENT: usize = 10;

pub(super) async fn page(State(st): State<AppState>, a: Admin) -> Response {
    let plan = st.site().schedule.clone();
    let data = super::pages::on_store(&st, &a, move |s| {
        let Some(plan) = plan else {
            return Ok(json!({"jobs": [], "zone": ""}));
        };
        let zone = &plan.zone;
        let mut jobs = Vec::new();
        for j in scheduler::status(s, &plan, jiff::Timestamp::now())? {
            let (task, name) = if j.kind == "publish" {
                (RunTask::Publish, "")
            } else {
                (RunTask::Source, j.name.as_str())
            };
            let runs: Vec<_> = s
                .runs(task, name, RECENT)?
                .into_iter()
                .map(|r| {
                    json!({"started": local_text(zone, &r.started_at), "ended": local_text(zone, &r.ended_at),
                           "trigger": r.trigger, "outcome": r.outcome, "error": r.error,
                           "import": r.import_id, "generation": r.generation,
                           "hash": r.content_hash.as_deref().map(|h| &h[..12.min(h.len())])})
                })
                .collect();
            jobs.push(json!({
                "name": j.name, "kind": j.kind, "url": j.url, "schedule": j.schedule,
                "publish_after": j.publish_after, "next": j.next, "overdue": j.overdue,
                "last": j.last.as_ref().map(|r| json!({"started": local_text(zone, &r.started_at),
                    "outcome": r.outcome, "trigger": r.trigger})),
                "runs": runs,
            }));
        }
        Ok(json!({"jobs": jobs, "zone": plan.zone_name}))
    })
    .await;
    match data {
        Ok(d) => a.render("admin_schedule.html", "admin_schedule_page", d),
        Err(r) => r,
    }
}
