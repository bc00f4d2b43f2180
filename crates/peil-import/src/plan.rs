//! Plan imports (issue 17): a policy plan's goals and KPIs read from the template
//! (`peil_ingest::plan`), checked against the site (indicators, levels, areas, the back
//! office's users and groups as owners) and stored in one transaction, replacing the plan of
//! that name whole. Check-ins are kept. Used by `peil plans import`.

use crate::Result;
use peil_core::plan::Plan;
use peil_core::*;
use peil_ingest::TableOptions;
use peil_ingest::plan::{PlanContext, read_plan};
use peil_store::Store;
use serde_json::json;
use std::collections::HashSet;
use std::path::Path;

/// What a plan import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PlanOutcome {
    pub plan: String,
    pub goals: usize,
    pub kpis: usize,
    pub changed: bool,
    pub dry_run: bool,
    pub problems: Problems,
}

/// The names a plan may give as owners: the back office's logins and its access groups.
pub fn owners(store: &Store) -> peil_store::Result<HashSet<String>> {
    let mut out: HashSet<String> = store.users()?.into_iter().map(|u| u.login).collect();
    out.extend(store.access_groups()?.into_iter().map(|g| g.name));
    Ok(out)
}

/// Reads, checks and (unless `dry_run`) stores a plan. `head` gives the plan's name, title,
/// levels and visibility; `kpis` is the KPI file of a CSV pair (for a workbook, the same file).
pub fn import_plan(
    store: &mut Store,
    goals: &Path,
    kpis: &Path,
    table: &TableOptions,
    head: Plan,
    dry_run: bool,
    who: &str,
) -> Result<PlanOutcome> {
    let mut out = PlanOutcome {
        plan: head.name.clone(),
        dry_run,
        ..PlanOutcome::default()
    };
    let catalog = store.catalog()?;
    let owners = owners(store)?;
    let cx = PlanContext {
        catalog: &catalog,
        owners: &owners,
    };
    let read = read_plan(goals, kpis, table, head, &cx);
    out.problems = read.problems;
    let Some(plan) = read.batch else {
        return Ok(out);
    };
    out.goals = plan.goals.len();
    out.kpis = plan.kpis.len();
    let mut tx = store.begin()?;
    out.changed = tx.put_plan(&plan, who)?;
    if dry_run {
        return Ok(out);
    }
    tx.commit()?;
    if out.changed {
        store.audit(
            who,
            "cli",
            "plan imported",
            &json!({"plan": plan.name, "goals": out.goals, "kpis": out.kpis,
                    "files": [goals.display().to_string(), kpis.display().to_string()]}),
        )?;
    }
    Ok(out)
}
