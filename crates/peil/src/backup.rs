//! `peil backup FILE`: a consistent copy of the site's database (`Store::backup_to`), safe
//! while `peil serve` runs and an import writes.

use crate::site::Site;
use anyhow::{Context, Result, bail};
use std::path::Path;

pub fn run(site: &Site, file: &Path) -> Result<u8> {
    if file.exists() {
        bail!("{} exists: a backup goes to a new file", file.display());
    }
    let store = site.store()?;
    store
        .backup_to(file)
        .with_context(|| format!("cannot back up to {}", file.display()))?;
    let bytes = std::fs::metadata(file)?.len();
    let published = match store.live_generation()? {
        Some(g) => format!("published generation {g}"),
        None => "nothing published".to_string(),
    };
    println!(
        "backed up {} to {} ({bytes} bytes, {published})",
        site.store_path().display(),
        file.display()
    );
    println!(
        "keep {} and the folders stories/, dashboards/ and content/ with it",
        crate::site::CONFIG
    );
    Ok(0)
}
