//! `peil imports`: past imports with their provenance.

use crate::site::Site;
use anyhow::Result;
use peil_import as import;

pub fn run(site: &Site, json: bool) -> Result<u8> {
    let imports = site.store()?.imports()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&imports)?);
    } else {
        for i in &imports {
            println!(
                "#{:<4} {}  {:<9} {:<10} {}  sha256:{}…  {}{}",
                i.id,
                i.at,
                i.kind,
                i.who,
                i.file,
                &i.sha256[..i.sha256.len().min(12)],
                import::describe(&i.counts),
                if i.warnings > 0 {
                    format!(" ({} warnings)", i.warnings)
                } else {
                    String::new()
                }
            );
        }
        if imports.is_empty() {
            println!("no imports yet");
        }
    }
    Ok(0)
}
