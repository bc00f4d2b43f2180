//! `peil publications` and `peil rollback`: the kept publications, and making one of them live
//! again in one step.

use crate::site::Site;
use anyhow::Result;

pub fn list(site: &Site, json: bool) -> Result<u8> {
    let list = site.store()?.publications()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(0);
    }
    for p in &list {
        let s = &p.stats;
        let restored = p
            .restored_from
            .map(|g| format!(", rollback to {g}"))
            .unwrap_or_default();
        println!(
            "{:<5} {}  {:<12} {} indicators, {} series, {} values ({} hidden){restored}{}",
            p.generation,
            p.at,
            p.who,
            s["indicators"],
            s["series"],
            s["values"],
            s["suppressed"],
            if p.kept { "" } else { " — not kept" }
        );
    }
    if list.is_empty() {
        println!("nothing published yet");
    }
    Ok(0)
}

pub fn rollback(site: &Site, generation: u64) -> Result<u8> {
    let mut store = site.store()?;
    let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    match store.rollback(generation, &who, site.config.keep_publications()) {
        Ok(new) => {
            println!(
                "publication {generation} is live again as generation {new}; a running server takes it within seconds"
            );
            Ok(0)
        }
        Err(peil_store::StoreError::Invalid(why)) => {
            eprintln!("refused: {why}");
            Ok(crate::EXIT_REFUSED)
        }
        Err(e) => Err(e.into()),
    }
}
