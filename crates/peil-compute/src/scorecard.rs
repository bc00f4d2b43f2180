//! A plan's scorecard (issue 17): every goal in tree order with its rolled-up status, and
//! every KPI with its yearly values, the target and status of its latest year
//! (`peil_core::plan::kpi_state`, the one rule) and its last comment. Every view (the web
//! page, the PDF, `peil plans show`) is made from this.
//!
//! A KPI over an indicator reads the publication through [`Snapshot::periods`] and
//! [`Snapshot::value`] for the reader asking, the access path every page uses: an indicator
//! the reader may not see gives no values at all (and `restricted`), a hidden value stays `x`
//! and is no data. A KPI without a data source takes the values of its check-ins (the latest
//! check-in of a year counts).

use crate::snapshot::Snapshot;
use peil_core::plan::{Goal, Kpi, KpiState, Plan, Status, kpi_state};
use peil_core::{DimKey, PeriodLevel, Reader, Value};
use peil_store::CheckIn;
use std::collections::BTreeMap;

/// A KPI as a scorecard shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KpiCard<'a> {
    pub kpi: &'a Kpi,
    pub owner: &'a str,
    /// Yearly entries, oldest first: a number, or a missing code's symbol.
    pub series: Vec<(i32, Result<f64, &'static str>)>,
    pub state: KpiState,
    /// The reader may not see the KPI's indicator (nothing of it is shown).
    pub restricted: bool,
    /// The latest check-in with a comment.
    pub comment: Option<&'a CheckIn>,
}

/// A goal as a scorecard shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GoalCard<'a> {
    pub goal: &'a Goal,
    pub depth: usize,
    pub level: &'a str,
    pub status: Status,
    pub kpis: Vec<KpiCard<'a>>,
}

/// The yearly entries of a KPI for this reader; `None` when it may not see the indicator.
fn series(
    kpi: &Kpi,
    snap: &Snapshot,
    reader: &Reader,
    checkins: &[CheckIn],
) -> Option<Vec<(i32, Result<f64, &'static str>)>> {
    let (Some(ind), Some(level), Some(area)) = (&kpi.indicator, &kpi.level, &kpi.area) else {
        let mut by_year: BTreeMap<i32, f64> = BTreeMap::new();
        for c in checkins.iter().filter(|c| c.kpi == kpi.code) {
            if let Some(v) = c.value {
                by_year.insert(c.year, v);
            }
        }
        return Some(by_year.into_iter().map(|(y, v)| (y, Ok(v))).collect());
    };
    if !snap.visible_to(ind, reader) {
        return None;
    }
    let flat = DimKey::default();
    let mut out: Vec<(i32, Result<f64, &'static str>)> = snap
        .periods(ind, level, reader)
        .into_iter()
        .filter(|(p, d)| p.level == PeriodLevel::Year && d.is_empty())
        .filter_map(|(p, _)| {
            let v = snap.value(ind, level, p, &flat, area, reader)?;
            Some((
                p.year,
                match v {
                    Value::Number(n) => Ok(n),
                    Value::Missing(m) => Err(m.symbol()),
                },
            ))
        })
        .collect();
    out.sort_by_key(|(y, _)| *y);
    Some(out)
}

/// The scorecard of a plan for a reader: goals in tree order (a goal, then its sub-goals).
pub fn scorecard<'a>(
    plan: &'a Plan,
    snap: &Snapshot,
    reader: &Reader,
    checkins: &'a [CheckIn],
) -> Vec<GoalCard<'a>> {
    let mut kpis: BTreeMap<&str, KpiCard<'a>> = BTreeMap::new();
    for k in &plan.kpis {
        let s = series(k, snap, reader, checkins);
        let restricted = s.is_none();
        let s = s.unwrap_or_default();
        let state = kpi_state(k, &s);
        let comment = checkins
            .iter()
            .rev()
            .find(|c| c.kpi == k.code && !c.comment.trim().is_empty());
        kpis.insert(
            &k.code,
            KpiCard {
                kpi: k,
                owner: plan.kpi_owner(k),
                series: s,
                state,
                restricted,
                comment,
            },
        );
    }
    let statuses: BTreeMap<String, Status> = kpis
        .iter()
        .map(|(c, k)| (c.to_string(), k.state.status))
        .collect();
    let goal_status = plan.goal_statuses(&statuses);
    let mut out = Vec::with_capacity(plan.goals.len());
    fn walk<'a>(
        plan: &'a Plan,
        parent: Option<&str>,
        depth: usize,
        kpis: &mut BTreeMap<&str, KpiCard<'a>>,
        status: &BTreeMap<String, Status>,
        out: &mut Vec<GoalCard<'a>>,
    ) {
        if depth > plan.goals.len() {
            return;
        }
        for g in plan.goals.iter().filter(|g| g.parent.as_deref() == parent) {
            out.push(GoalCard {
                goal: g,
                depth,
                level: plan.levels.get(depth).map(String::as_str).unwrap_or(""),
                status: status.get(&g.code).copied().unwrap_or(Status::NoData),
                kpis: plan
                    .kpis_of(&g.code)
                    .filter_map(|k| kpis.remove(k.code.as_str()))
                    .collect(),
            });
            walk(plan, Some(&g.code), depth + 1, kpis, status, out);
        }
    }
    walk(plan, None, 0, &mut kpis, &goal_status, &mut out);
    out
}
