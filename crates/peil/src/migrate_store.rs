//! `peil migrate-store FROM TO`: a site's store copied between SQLite and PostgreSQL through
//! `peil_store::copy_store` (one transaction on the target, every table compared with the
//! source before it commits; a target that holds a site refused unless `--replace`).

use crate::args::MigrateStoreArgs;
use crate::site::{CONFIG, DEFAULT_SCHEMA, PASSWORD_ENV, Site};
use anyhow::{Context, Result, bail};
use peil_store::{Location, PgLocation, Store, is_postgres_url};
use std::path::Path;

/// Where `spec` says a store is: a postgres:// URL (in `schema`), a site directory (its
/// peil.toml), or a SQLite file.
fn location(spec: &str, schema: Option<&str>, which: &str) -> Result<Location> {
    if is_postgres_url(spec) {
        let password = std::env::var_os(PASSWORD_ENV).map(|v| v.into_encoded_bytes());
        let pg = PgLocation::new(spec, schema.unwrap_or(DEFAULT_SCHEMA), password.as_deref())?;
        return Ok(Location::Postgres(Box::new(pg)));
    }
    if schema.is_some() {
        bail!("--{which}-schema applies to a postgres:// URL; {spec} is not one");
    }
    let path = Path::new(spec);
    if path.is_dir() {
        if !path.join(CONFIG).is_file() {
            bail!("{spec} is a directory without {CONFIG}: not a site directory");
        }
        return Site::open(path)?.store_location();
    }
    Ok(Location::Sqlite(path.to_path_buf()))
}

/// Whether two locations are one store (a copy onto itself would drop what it reads).
fn same(a: &Location, b: &Location) -> bool {
    match (a, b) {
        (Location::Sqlite(x), Location::Sqlite(y)) => {
            let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
            canon(x) == canon(y)
        }
        _ => a.label() == b.label(),
    }
}

pub fn run(a: &MigrateStoreArgs) -> Result<u8> {
    let from = location(&a.from, a.from_schema.as_deref(), "from")?;
    let to = location(&a.to, a.to_schema.as_deref(), "to")?;
    if same(&from, &to) {
        bail!("{from} and {to} are the same store; nothing was copied");
    }
    let source = Store::open_at(&from).with_context(|| format!("opening {from}"))?;
    let started = std::time::Instant::now();
    let report = peil_store::copy_store(&source, &to, a.replace)
        .with_context(|| format!("copying {from} to {to}"))?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "from": from.label(),
                "to": report.target,
                "rows": report.rows(),
                "tables": report.tables.iter().map(|(t, n)| serde_json::json!({"table": t, "rows": n})).collect::<Vec<_>>(),
                "verified": true,
            })
        );
    } else {
        let series = report
            .tables
            .iter()
            .find(|(t, _)| t == "series")
            .map_or(0, |t| t.1);
        println!(
            "copied {} rows in {} tables ({series} series) from {from} to {to} in {:.1} s; every table compared with its source: equal",
            report.rows(),
            report.tables.len(),
            started.elapsed().as_secs_f64()
        );
        if !Path::new(&a.to).is_dir() {
            println!(
                "next: point the site's {CONFIG} at it ({})",
                match &to {
                    Location::Postgres(pg) =>
                        format!("store = \"{}\", store_schema = \"{}\"", a.to, pg.schema()),
                    Location::Sqlite(_) =>
                        "leave store out, with the file as peil.sqlite in the site directory".into(),
                }
            );
        }
    }
    Ok(0)
}
