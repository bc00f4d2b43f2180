//! `peil init`: a new site directory with a configuration file and an empty store.

use crate::site::Site;
use anyhow::Result;
use std::path::Path;

pub fn run(dir: &Path, name: &str) -> Result<u8> {
    let site = Site::init(dir, name, false)?;
    println!("created site '{}' in {}", site.config.name, dir.display());
    println!("next: peil --site {} import <files>", dir.display());
    Ok(0)
}
