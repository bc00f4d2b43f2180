//! `peil demo`: builds the deterministic demo city into a site directory through the same
//! store transaction as any import, and publishes it as `peil publish` does.

use crate::publish::{self, Outcome, Publish};
use crate::site::{CONFIG, STORE, Site};
use anyhow::{Context, Result, bail};
use peil_core::{DataBatch, DataOptions, DataRecord};
use serde_json::json;
use std::path::Path;

pub fn run(dir: &Path) -> Result<u8> {
    if dir.join(CONFIG).exists() {
        let site = Site::open(dir)?;
        if !site.config.demo {
            bail!(
                "{} holds a site that is not a demo; choose another directory",
                dir.display()
            );
        }
        if site.config.store.is_some() {
            bail!(
                "{} names a PostgreSQL store in {CONFIG}; the demo is rebuilt only in its own \
                 SQLite file ({STORE}): choose another directory",
                dir.display()
            );
        }
        for f in [
            STORE.to_string(),
            format!("{STORE}-wal"),
            format!("{STORE}-shm"),
            CONFIG.to_string(),
        ] {
            let p = dir.join(f);
            if p.exists() {
                std::fs::remove_file(&p)
                    .with_context(|| format!("cannot remove {}", p.display()))?;
            }
        }
    }
    let started = std::time::Instant::now();
    let city = peil_demo::build();
    let site = Site::init(dir, &format!("{} in cijfers", city.name), true)?;
    // What open-data portals show with the demo's datasets: the Flemish model licence most
    // cities use, the city as publisher, and a contact point (a reserved example domain: the
    // city is made up).
    let slug: String = city
        .name
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let catalog_toml = format!(
        "\n# What the DCAT-AP catalogue (/api/v1/catalog.ttl) tells open-data portals.\n\
         [catalog]\n\
         publisher = \"Stad {name}\"\n\
         licence = \"modellicentie-gratis-hergebruik\"\n\
         contact_name = \"Stad {name}, team Data en Analyse\"\n\
         contact_email = \"data@{slug}.example\"\n\
         contact_url = \"https://www.{slug}.example/contact\"\n",
        name = city.name
    );
    let cfg = dir.join(CONFIG);
    let mut text =
        std::fs::read_to_string(&cfg).with_context(|| format!("cannot read {}", cfg.display()))?;
    text.push_str(&catalog_toml);
    std::fs::write(&cfg, text).with_context(|| format!("cannot write {}", cfg.display()))?;
    let mut store = site.store()?;
    let mut tx = store.begin()?;
    for a in &city.areas {
        tx.apply_areas(a)?;
    }
    for l in &city.links {
        tx.apply_links(l)?;
    }
    for g in &city.geometry {
        tx.apply_geometry(g)?;
    }
    tx.apply_metadata(&city.metadata)?;
    let catalog = tx.catalog()?;
    let mut batch = DataBatch::default();
    for (s, series) in city.data.iter().enumerate() {
        let items = &catalog
            .levels
            .get(&series.key.level)
            .with_context(|| format!("demo series on unknown level {}", series.key.level))?
            .items;
        let start = batch.records.len();
        for (code, value) in &series.values {
            let item = *items
                .get(code)
                .with_context(|| format!("demo value for unknown item {code}"))?;
            batch.records.push(DataRecord {
                series: s as u32,
                item,
                value: *value,
            });
        }
        batch.records[start..].sort_by_key(|r| r.item);
        batch.series.push(series.key.clone());
    }
    let counts = tx.apply_data(&batch, &DataOptions::default())?;
    tx.record_import(
        "peil demo",
        "demo",
        "(built in)",
        "",
        &json!({}),
        &json!({"values": counts}),
        0,
    )?;
    tx.commit()?;
    for (path, text) in peil_demo::CONTENT {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
    }
    // Publish, so that the live copy (what readers are served) exists from the start. The
    // demo is what new users copy: it must pass what `peil publish` checks, review included.
    let (allow, keep) = site.publish_rules();
    let snapshot = match publish::publish(
        &mut store,
        Publish {
            allow,
            keep,
            secondary_suppression: true,
            allow_lost_values: false,
            who: "peil demo",
            log: &mut std::io::sink(),
            diff_only: false,
            unless_unchanged: false,
            snapshot_dir: Some(&site.snapshot_dir()),
        },
    )? {
        Outcome::Published { snapshot, .. } => snapshot,
        Outcome::Lost(groups) => {
            bail!("the demo city has {groups} groups of values that reach no parent")
        }
        Outcome::Refused(review) => bail!(
            "the demo city fails its own privacy review: {}",
            review.errors[0]
        ),
        Outcome::Diff(..) => bail!("the demo publishes; it does not ask for a diff"),
    };
    let status = store.status()?;
    println!(
        "built the demo city '{}' in {} ({:.1} s)",
        city.name,
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "  {} geo levels, {} indicators ({} formulas, {} cubes), {} values",
        status.levels.len(),
        status.indicators,
        status.formula_indicators,
        status.cube_indicators,
        status.values
    );
    println!(
        "  published: {} values on every level ({} hidden by privacy rules)",
        snapshot.stats.values, snapshot.stats.suppressed
    );
    println!("look at it with:");
    println!("  peil --site {} status", dir.display());
    println!(
        "  peil --site {} export --live --level wijk --period 2024 | head",
        dir.display()
    );
    println!(
        "  peil --site {} serve            then open http://127.0.0.1:8080/api/v1/docs",
        dir.display()
    );
    println!(
        "(with cargo: cargo run --release -- --site {} <command>)",
        dir.display()
    );
    Ok(0)
}
