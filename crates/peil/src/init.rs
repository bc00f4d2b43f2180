//! `peil init`: a new site directory with a configuration file and an empty store.

use crate::args::InitArgs;
use crate::site::{Site, StoreChoice};
use anyhow::Result;
use std::path::Path;

pub fn run(dir: &Path, a: &InitArgs) -> Result<u8> {
    let store = StoreChoice {
        url: a.store.clone(),
        schema: a.store_schema.clone(),
        password_file: a.store_password_file.clone(),
    };
    let site = Site::init_with(dir, &a.name, false, &store)?;
    println!("created site '{}' in {}", site.config.name, dir.display());
    if site.config.store.is_some() {
        println!("its store: {}", site.store_location()?);
    }
    println!("next: peil --site {} import <files>", dir.display());
    Ok(0)
}
