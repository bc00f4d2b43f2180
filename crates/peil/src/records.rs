//! `peil records`: record data (issue 17) through `peil_import::records` — import a record file
//! with its set's definition, list the sets, compute their measures again. Records themselves
//! are never printed: only counts and the measures' codes.

use crate::args::RecordsCommand;
use crate::site::Site;
use anyhow::{Result, bail};
use peil_compute::dashboard as dash;
use peil_import::records::{self, RecordsOutcome, RecordsRequest};
use peil_ingest::TableOptions;

pub fn run(site: &Site, r: RecordsCommand) -> Result<u8> {
    let mut store = site.store()?;
    match r {
        RecordsCommand::Import {
            definition,
            file,
            replace,
            dry_run,
            sheet,
            who,
            json,
        } => {
            let req = RecordsRequest {
                table: TableOptions {
                    sheet,
                    ..TableOptions::default()
                },
                replace_all: replace,
                dry_run,
                who,
            };
            let out = records::import_records(&mut store, &definition, &file, &req)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                print_outcome(&out);
            }
            if out.problems.has_errors() {
                eprintln!("refused: {} — nothing was written", file.display());
                return Ok(crate::EXIT_REFUSED);
            }
        }
        RecordsCommand::List { json } => {
            let sets = store.record_sets()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&sets)?);
                return Ok(0);
            }
            for s in sets {
                let d = &s.definition;
                let measures: Vec<&str> = d.measures.iter().map(|m| m.code.as_str()).collect();
                println!(
                    "{}: {} records on level {} (updated {}); measures: {}",
                    d.name,
                    s.records,
                    d.level,
                    s.updated_at,
                    measures.join(", ")
                );
            }
        }
        RecordsCommand::Measures { set, who } => {
            let names: Vec<String> = match set {
                Some(s) => vec![s],
                None => store
                    .record_sets()?
                    .into_iter()
                    .map(|s| s.definition.name)
                    .collect(),
            };
            for name in names {
                match records::recompute(&mut store, &name, &who)? {
                    Some(out) => {
                        print_outcome(&out);
                        if out.problems.has_errors() {
                            eprintln!("refused: {name} — nothing was written");
                            return Ok(crate::EXIT_REFUSED);
                        }
                    }
                    None => bail!("no record set '{name}' (see `peil records list`)"),
                }
            }
        }
        RecordsCommand::Dashboard { set, month, json } => {
            let focus = match month.as_deref() {
                None => None,
                Some(m) => match dash::parse_month(m) {
                    Some(m) => Some(m),
                    None => bail!("--month: expected a month as 2025-03, found '{m}'"),
                },
            };
            let mut got = dash::stored(&store, &set)?;
            if matches!(got, Some((_, None))) {
                records::store_dashboard(&mut store, &set)?;
                got = dash::stored(&store, &set)?;
            }
            let Some((def, Some(agg))) = got else {
                if store
                    .record_set_definitions()?
                    .iter()
                    .any(|d| d.name == set)
                {
                    bail!("record set '{set}' declares no [dashboard] in its definition");
                }
                bail!("no record set '{set}' (see `peil records list`)");
            };
            // Held against the live copy, as the back office's page is.
            let live = match peil_compute::Snapshot::load(&store) {
                Err(peil_compute::LoadError::NotPublished) => peil_compute::Snapshot::unpublished(),
                other => other?,
            };
            let out = dash::view(&dash::published(&def, &agg, &live), focus, None, None);
            if json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                print_dashboard(&set, &out);
            }
        }
    }
    Ok(0)
}

fn print_dashboard(set: &str, d: &dash::Dashboard) {
    let month = |m: i32| {
        let (y, mm) = dash::year_month(m);
        format!("{y}-{mm:02}")
    };
    match d.focus {
        Some(m) => println!("{set}, {}", month(m)),
        None => println!("{set}"),
    }
    println!("month    opened closed backlog");
    for m in &d.months {
        println!(
            "{}  {:>6} {:>6} {:>7}",
            month(m.month),
            m.opened.to_string(),
            m.closed.to_string(),
            m.backlog.to_string()
        );
    }
    println!(
        "closed cases: {}; throughput median {} days, 90th percentile {} days",
        d.closed, d.median, d.p90
    );
    for c in &d.classes {
        let range = match c.hi {
            Some(h) => format!("{}-{h}", c.lo),
            None => format!(">= {}", c.lo),
        };
        println!("  {range} days: {}", c.count);
    }
    println!("cases opened: {}", d.opened);
    for (label, n) in d.columns.iter().zip(&d.categories) {
        let label = if label.is_empty() { "other" } else { label };
        println!("  {label}: {n}");
    }
}

fn print_outcome(o: &RecordsOutcome) {
    println!(
        "{} (records)",
        if o.file.is_empty() { &o.set } else { &o.file }
    );
    if !o.problems.has_errors() {
        for line in &o.summary {
            println!("  {line}");
        }
    }
    crate::import::print_problems(&o.problems);
}
