//! `peil imports`: past imports with their provenance; `show` one with its plausibility
//! warnings; `undo` one that is not published yet.

use crate::args::{ImportsAction, ImportsArgs};
use crate::site::Site;
use anyhow::{Context, Result};
use peil_import as import;
use peil_store::ImportEntry;

pub fn run(site: &Site, a: &ImportsArgs) -> Result<u8> {
    match a.action {
        None => list(site, a.json),
        Some(ImportsAction::Show { id }) => show(site, id, a.json),
        Some(ImportsAction::Undo { id }) => undo(site, id, a.json),
    }
}

fn list(site: &Site, json: bool) -> Result<u8> {
    let imports = site.store()?.imports()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&imports)?);
        return Ok(0);
    }
    for i in &imports {
        println!("{}", line(i));
    }
    if imports.is_empty() {
        println!("no imports yet");
    }
    Ok(0)
}

/// One import on one line.
fn line(i: &ImportEntry) -> String {
    let mut notes = Vec::new();
    if i.warnings > 0 {
        notes.push(format!("{} warnings", i.warnings));
    }
    if i.plausibility > 0 {
        notes.push(format!("{} plausibility warnings", i.plausibility));
    }
    if let Some(at) = &i.undone_at {
        notes.push(format!("undone at {at}"));
    }
    format!(
        "#{:<4} {}  {:<9} {:<10} {}  sha256:{}…  {}{}",
        i.id,
        i.at,
        i.kind,
        i.who,
        i.file,
        &i.sha256[..i.sha256.len().min(12)],
        import::describe(&i.counts),
        if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        }
    )
}

fn show(site: &Site, id: i64, json: bool) -> Result<u8> {
    let store = site.store()?;
    let entry = store
        .imports()?
        .into_iter()
        .find(|i| i.id == id)
        .with_context(|| format!("there is no import #{id}; `peil imports` lists them"))?;
    let found = store.import_plausibility(id)?;
    if json {
        let mut v = serde_json::to_value(&entry)?;
        v["plausibility"] = found;
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(0);
    }
    println!("{}", line(&entry));
    let found: import::plausibility::Findings = serde_json::from_value(found).unwrap_or_default();
    for w in &found.warnings {
        println!("  plausibility: {}", describe_warning(w));
    }
    if found.more > 0 {
        println!("  plausibility: … and {} more", found.more);
    }
    Ok(0)
}

/// A plausibility warning for people: rule, where, and what.
pub fn describe_warning(w: &import::plausibility::Warning) -> String {
    let dims = if w.dims.is_empty() {
        String::new()
    } else {
        format!(" [{}]", w.dims)
    };
    let rule = serde_json::to_value(w.rule)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    format!(
        "{rule}: {} {} {} {}{dims}: {}",
        w.indicator, w.level, w.area, w.period, w.message
    )
}

fn undo(site: &Site, id: i64, json: bool) -> Result<u8> {
    let mut store = site.store()?;
    match store.undo_import(id) {
        Ok(c) if json => println!("{}", serde_json::to_string_pretty(&c)?),
        Ok(c) => println!(
            "undone import #{id}: {} series, {} indicators and {} names put back as they were",
            c.series, c.indicators, c.names
        ),
        Err(peil_store::StoreError::Invalid(why)) => {
            eprintln!("refused: {why}");
            return Ok(crate::EXIT_REFUSED);
        }
        Err(e) => return Err(e.into()),
    }
    Ok(0)
}
