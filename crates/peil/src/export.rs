//! `peil export`: values as long CSV (indicator, geolevel, geoitem, period, value, and the
//! cube cell when there are cubes), from the test copy or with `--live` the published copy.

use crate::args::ExportArgs;
use crate::site::Site;
use anyhow::{Context, Result};
use std::io::Write;

pub fn run(site: &Site, a: &ExportArgs) -> Result<u8> {
    let store = site.store()?;
    let sel = peil_store::Selection {
        indicators: a.indicator.clone(),
        level: a.level.clone(),
        periods: a.period.clone(),
    };
    let catalog = store.catalog()?;
    let cubes = catalog.indicators.iter().any(|(c, i)| {
        !i.dim_levels.is_empty() && (sel.indicators.is_empty() || sel.indicators.contains(c))
    });
    let sink: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        ),
        None => Box::new(crate::Stdout(std::io::stdout().lock())),
    };
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(sink));
    let mut header = vec!["indicator", "geolevel", "geoitem", "period", "value"];
    if cubes {
        header.push("dims");
    }
    w.write_record(&header)?;
    let mut buf = String::new();
    let write = |r: peil_store::ExportRow<'_>| -> std::io::Result<()> {
        buf.clear();
        use std::fmt::Write as _;
        let _ = write!(buf, "{}", r.value);
        if cubes {
            w.write_record([r.indicator, r.level, r.item, r.period, &buf, r.dims])?;
        } else {
            w.write_record([r.indicator, r.level, r.item, r.period, &buf])?;
        }
        Ok(())
    };
    let n = if a.live {
        store.export_live(&sel, write)?
    } else {
        store.export(&sel, write)?
    };
    w.flush()?;
    if a.output.is_some() {
        eprintln!("{n} values exported");
    }
    if n == 0 && !a.live {
        // Without --live only loaded values are exported: a level or period Peil
        // computes (a municipality from its sectors, a year from its months) is not
        // there, and a bare header says nothing about why.
        eprintln!(
            "no loaded values match: computed levels and periods exist only in the live copy; \
                 run `peil publish`, then `peil export --live` with the same options"
        );
    }
    Ok(0)
}
