//! `peil status`: what the store holds (levels, hierarchy, indicators, periods, values).

use crate::site::Site;
use anyhow::Result;

pub fn run(site: &Site, json: bool) -> Result<u8> {
    let status = site.store()?.status()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print_status(site, &site.store_location()?, &status);
    }
    Ok(0)
}

fn print_status(site: &Site, at: &peil_store::Location, s: &peil_store::Status) {
    println!("{} — {at}", site.config.name);
    println!("geo levels:");
    for l in &s.levels {
        println!(
            "  {:<18} {:>7} items ({} unknown-location), {} with geometry",
            l.code, l.items, l.unknown_location_items, l.with_geometry
        );
    }
    println!("hierarchy:");
    for e in &s.edges {
        println!(
            "  {:<18} → {:<18} {:>7} links ({})",
            e.child, e.parent, e.links, e.kind
        );
    }
    println!(
        "indicators: {} ({} formulas, {} cubes), {} themes",
        s.indicators, s.formula_indicators, s.cube_indicators, s.themes
    );
    for p in &s.periods {
        println!(
            "periods ({}): {} … {} ({} periods)",
            p.level, p.first, p.last, p.count
        );
    }
    println!("values: {} in {} series", s.values, s.series);
    println!("imports: {}", s.imports);
}
