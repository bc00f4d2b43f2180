//! `peil records`: record data (issue 17) through `peil_import::records` — import a record file
//! with its set's definition, list the sets, compute their measures again. Records themselves
//! are never printed: only counts and the measures' codes.

use crate::args::RecordsCommand;
use crate::site::Site;
use anyhow::{Result, bail};
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
                    Some(out) => print_outcome(&out),
                    None => bail!("no record set '{name}' (see `peil records list`)"),
                }
            }
        }
    }
    Ok(0)
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
    for e in o.problems.errors() {
        eprintln!("error: {e}");
    }
    if o.problems.more_errors > 0 {
        eprintln!(
            "error: … and {} more errors not listed",
            o.problems.more_errors
        );
    }
}
