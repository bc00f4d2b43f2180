//! `peil sources`: each source of peil.toml and the scheduled publish with its schedule, last
//! run, outcome and next run; `peil sources history NAME` the runs of one, newest first. The
//! same status as the back office's sources page (`peil_connect::scheduler::status`).

use crate::args::{SourcesAction, SourcesArgs};
use crate::site::Site;
use anyhow::{Result, bail};
use peil_connect::scheduler::{self, local_text};
use peil_store::RunTask;

pub fn run(site: &Site, a: &SourcesArgs) -> Result<u8> {
    let plan = site.plan()?;
    let store = site.store()?;
    match &a.action {
        None => {
            let list = scheduler::status(&store, &plan, jiff::Timestamp::now())?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(0);
            }
            if list.is_empty() {
                println!(
                    "no sources and no scheduled publish (see [[sources]] and [schedule] in peil.toml)"
                );
            }
            for j in &list {
                let schedule = match &j.schedule {
                    Some(s) => format!("schedule \"{s}\" ({})", plan.zone_name),
                    None => "not scheduled (peil pull)".into(),
                };
                let then = if j.publish_after {
                    ", then publish"
                } else {
                    ""
                };
                println!("{} ({}): {schedule}{then}", j.name, j.kind);
                if let Some(u) = &j.url {
                    println!("  url: {u}");
                }
                match &j.last {
                    Some(r) => println!(
                        "  last run: {} ({}), {}{}",
                        local_text(&plan.zone, &r.started_at),
                        r.trigger,
                        r.outcome,
                        r.error
                            .as_deref()
                            .map(|e| format!(": {}", first_line(e)))
                            .unwrap_or_default()
                    ),
                    None => println!("  last run: never"),
                }
                if let Some(n) = &j.next {
                    let overdue = if j.overdue {
                        " (due: peil serve runs it at its next check)"
                    } else {
                        ""
                    };
                    println!("  next run: {n}{overdue}");
                }
            }
        }
        Some(SourcesAction::History { name, limit }) => {
            let (task, key) = if name == "publish" {
                (RunTask::Publish, "")
            } else if site.config.sources.iter().any(|s| &s.name == name) {
                (RunTask::Source, name.as_str())
            } else {
                bail!(
                    "peil.toml declares no source '{name}' (and 'publish' is the scheduled publish)"
                );
            };
            let runs = store.runs(task, key, *limit)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
                return Ok(0);
            }
            if runs.is_empty() {
                println!("{name}: no runs yet");
            }
            for r in &runs {
                let mut line = format!(
                    "{} → {} ({}): {}",
                    local_text(&plan.zone, &r.started_at),
                    local_text(&plan.zone, &r.ended_at),
                    r.trigger,
                    r.outcome
                );
                if let Some(i) = r.import_id {
                    line.push_str(&format!(", import #{i}"));
                }
                if let Some(g) = r.generation {
                    line.push_str(&format!(", publication {g}"));
                }
                if let Some(h) = &r.content_hash {
                    line.push_str(&format!(", content {}", &h[..12.min(h.len())]));
                }
                println!("{line}");
                if let Some(e) = &r.error {
                    for l in e.lines() {
                        println!("  {l}");
                    }
                }
            }
        }
    }
    Ok(0)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}
