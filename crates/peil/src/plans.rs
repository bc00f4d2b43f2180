//! `peil plans`: policy plans (issue 17) — import a plan's workbook through
//! `peil_import::plan`, list the plans, and show a plan's scorecard
//! (`peil_compute::scorecard`, the one every view uses) from the live copy.

use crate::args::PlansCommand;
use crate::site::Site;
use anyhow::{Result, bail};
use peil_core::Reader;
use peil_core::plan::Plan;

const DEFAULT_LEVELS: &str = "beleidsdoelstelling,actieplan,actie";

pub fn run(site: &Site, p: PlansCommand) -> Result<u8> {
    let mut store = site.store()?;
    match p {
        PlansCommand::Import {
            name,
            goals,
            kpis,
            title,
            levels,
            public,
            internal,
            dry_run,
            who,
            json,
        } => {
            let stored = store.plan(&name)?;
            let levels = levels
                .or_else(|| stored.as_ref().map(|s| s.levels.join(",")))
                .unwrap_or_else(|| DEFAULT_LEVELS.into());
            let head = Plan {
                name: name.clone(),
                title: title
                    .or_else(|| stored.as_ref().map(|s| s.title.clone()))
                    .unwrap_or_else(|| name.clone()),
                levels: levels
                    .split(',')
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect(),
                public: public || (!internal && stored.as_ref().is_some_and(|s| s.public)),
                goals: vec![],
                kpis: vec![],
            };
            let kpis = match (kpis, peil_ingest::table::is_workbook(&goals)) {
                (Some(k), _) => k,
                (None, true) => goals.clone(),
                (None, false) => bail!(
                    "a goals CSV needs its KPI CSV as well (or use a workbook with the sheets goals and kpis)"
                ),
            };
            let out = peil_import::plan::import_plan(
                &mut store,
                &goals,
                &kpis,
                &Default::default(),
                head,
                dry_run,
                &who,
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else if !out.problems.has_errors() {
                println!(
                    "plan {}: {} goals, {} KPIs{}{}",
                    out.plan,
                    out.goals,
                    out.kpis,
                    if out.changed { "" } else { " (unchanged)" },
                    if dry_run {
                        " — dry run: nothing written"
                    } else {
                        ""
                    }
                );
            }
            for e in out.problems.errors() {
                eprintln!("error: {e}");
            }
            if out.problems.has_errors() {
                eprintln!("refused: {} — nothing was written", goals.display());
                return Ok(crate::EXIT_REFUSED);
            }
        }
        PlansCommand::List { json } => {
            let plans = store.plans()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&plans)?);
                return Ok(0);
            }
            for p in plans {
                println!(
                    "{}: {} — {} goals, {} KPIs, {}",
                    p.name,
                    p.title,
                    p.goals.len(),
                    p.kpis.len(),
                    if p.public { "public" } else { "internal" }
                );
            }
        }
        PlansCommand::Show { name, user, json } => {
            let Some(plan) = store.plan(&name)? else {
                bail!("no plan '{name}' (see `peil plans list`)");
            };
            let reader = match user {
                None => Reader::anonymous(),
                Some(login) => match store.user(&login)? {
                    Some(u) => Reader::user(u.login, u.groups),
                    None => bail!("no user '{login}'"),
                },
            };
            let checkins = store.checkins(&name)?;
            let snap = peil_compute::Snapshot::load(&store)?;
            let card = peil_compute::scorecard::scorecard(&plan, &snap, &reader, &checkins);
            if json {
                println!("{}", serde_json::to_string_pretty(&card)?);
                return Ok(0);
            }
            println!("{} ({})", plan.title, plan.name);
            for g in &card {
                let pad = "  ".repeat(g.depth);
                println!(
                    "{pad}{} {} — {}: {}",
                    g.level,
                    g.goal.code,
                    g.goal.name,
                    g.status.code()
                );
                for k in &g.kpis {
                    let s = &k.state;
                    let num =
                        |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_else(|| "-".into());
                    let value = match (k.restricted, s.code) {
                        (true, _) => "restricted".to_string(),
                        (_, Some(c)) => c.to_string(),
                        _ => num(s.value),
                    };
                    println!(
                        "{pad}  KPI {} — {}: {} (year {}, value {}, target {})",
                        k.kpi.code,
                        k.kpi.name,
                        s.status.code(),
                        s.year.map(|y| y.to_string()).unwrap_or_else(|| "-".into()),
                        value,
                        num(s.target),
                    );
                }
            }
        }
    }
    Ok(0)
}
