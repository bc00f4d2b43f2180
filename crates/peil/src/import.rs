//! `peil import`: files into the store's test copy, one transaction per file, with a
//! progress bar for large CSV files and the problems of a refused file listed together.

use crate::args::{ClearArg, DecimalArg, EncodingArg, ImportArgs, KindArg};
use crate::site::Site;
use anyhow::{Context, Result, bail};
use peil_core::{ClearMode, DataOptions, DecimalSeparator, MissingCode};
use peil_import as import;
use peil_ingest::{DataSpec, Encoding, GeometryOptions, Kind, Progress, TableOptions};
use std::path::Path;

pub fn run(site: &Site, a: &ImportArgs) -> Result<u8> {
    let empty_as = match &a.empty_as {
        None => None,
        Some(s) => match MissingCode::from_symbol(s) {
            Some(c) => Some(c),
            None => bail!("--empty-as takes a missing symbol: x, ?, nvt or -"),
        },
    };
    let mut status_map = Vec::new();
    for m in &a.status_map {
        let (v, sym) = m
            .rsplit_once('=')
            .with_context(|| format!("--status-map takes VALUE=SYMBOL, not '{m}'"))?;
        let code = MissingCode::from_symbol(sym).with_context(|| {
            format!("--status-map: '{sym}' is not a missing symbol (x, ?, nvt, -)")
        })?;
        status_map.push((v.to_string(), code));
    }
    let delimiter = match a.delimiter {
        Some(c) if c.is_ascii() => Some(c as u8),
        Some(c) => bail!("--delimiter must be one ASCII character, not '{c}'"),
        None => None,
    };
    let base = import::ImportRequest {
        kind: a.kind.map(|k| match k {
            KindArg::Areas => Kind::Areas,
            KindArg::Links => Kind::Links,
            KindArg::Geometry => Kind::Geometry,
            KindArg::Data => Kind::Data,
            KindArg::Metadata => Kind::Metadata,
            KindArg::Themes => Kind::Themes,
            KindArg::Dimensions => Kind::Dimensions,
            KindArg::Clusters => Kind::Clusters,
        }),
        level: a.level.clone(),
        table: TableOptions {
            progress: None,
            delimiter,
            encoding: a.encoding.map(|e| match e {
                EncodingArg::Utf8 => Encoding::Utf8,
                EncodingArg::Windows1252 => Encoding::Windows1252,
            }),
            sheet: a.sheet.clone(),
        },
        spec: DataSpec {
            period_column: a.period_column.clone(),
            geolevel_column: a.geolevel_column.clone(),
            geoitem_column: a.geoitem_column.clone(),
            indicator_column: a.indicator_column.clone(),
            value_column: a.value_column.clone(),
            period: a.period.clone(),
            geolevel: a.geolevel.clone(),
            ignore_columns: a.ignore_column.clone(),
            decimal: a.decimal.map(|d| match d {
                DecimalArg::Point => DecimalSeparator::Point,
                DecimalArg::Comma => DecimalSeparator::Comma,
            }),
            status_column: a.status_column.clone(),
            status_map,
        },
        data: DataOptions {
            clear: match a.clear {
                ClearArg::None => ClearMode::None,
                ClearArg::Indicators => ClearMode::Indicators,
                ClearArg::Combinations => ClearMode::Combinations,
            },
            adjust_periods: a.adjust_periods,
            totalize_duplicates: a.totalize_duplicates,
            drop_special_codes: a.drop_special_codes,
            skip_unknown_areas: a.skip_unknown_areas,
            no_new_indicators: a.no_new_indicators,
            empty_as,
        },
        geometry: GeometryOptions {
            code_column: a.code_column.clone(),
            crs: a.crs.clone(),
            simplify_m: Some(a.simplify_m),
            skip_unknown_areas: a.skip_unknown_areas,
        },
        dry_run: a.dry_run,
        who: a.who.clone(),
        plausibility: thresholds(site, a),
        source_name: None,
    };
    let mut store = site.store()?;
    for file in &a.files {
        let mut req = base.clone();
        let bar = progress_bar(file);
        if let Some(bar) = &bar {
            let b = bar.clone();
            req.table.progress = Some(Progress(std::sync::Arc::new(move |bytes| {
                b.set_position(bytes)
            })));
        }
        let outcome = import::import(&mut store, file, &req)?;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        if a.json {
            println!("{}", serde_json::to_string_pretty(&outcome)?);
        } else {
            print_outcome(file, &outcome);
        }
        if outcome.problems.has_errors() {
            eprintln!("refused: {} — nothing was written", file.display());
            return Ok(crate::EXIT_REFUSED);
        }
    }
    Ok(0)
}

/// The plausibility thresholds: the flags, else peil.toml's `[plausibility]`, else defaults.
fn thresholds(site: &Site, a: &ImportArgs) -> import::plausibility::Thresholds {
    let mut t = site.config.plausibility.unwrap_or_default();
    if let Some(f) = a.jump_factor {
        t.jump_factor = f;
    }
    if let Some(m) = a.jump_min {
        t.jump_min = m;
    }
    if let Some(x) = a.total_tolerance {
        t.total_tolerance = x;
    }
    t
}

fn progress_bar(file: &Path) -> Option<indicatif::ProgressBar> {
    let len = std::fs::metadata(file).ok()?.len();
    if len < 8 << 20 || peil_ingest::table::is_workbook(file) {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(format!("reading {}", peil_ingest::table::file_name(file)));
    Some(bar)
}

fn print_outcome(file: &Path, o: &import::Outcome) {
    let kind = o.kind.map(|k| k.code()).unwrap_or("unknown kind");
    println!("{} ({kind})", file.display());
    // A refused import has nothing to summarise but its problems.
    if !o.problems.has_errors() {
        for line in &o.summary {
            println!("  {line}");
        }
        if let Some(d) = &o.data {
            print_changes(d);
        }
        for w in o.plausibility.warnings.iter().take(20) {
            println!("  plausibility: {}", crate::imports::describe_warning(w));
        }
        let rest = o.plausibility.total().saturating_sub(20);
        if rest > 0 {
            println!("  plausibility: … and {rest} more (`peil imports show` lists them)");
        }
    }
    print_problems(&o.problems);
}

/// An import's errors, then its first 20 warnings and how many more, on standard error: the
/// one way every import command reports what it found in a file.
pub(crate) fn print_problems(p: &peil_core::Problems) {
    for e in p.errors() {
        eprintln!("error: {e}");
    }
    if p.more_errors > 0 {
        eprintln!("error: … and {} more errors not listed", p.more_errors);
    }
    let warnings: Vec<_> = p.warnings().collect();
    for w in warnings.iter().take(20) {
        eprintln!("warning: {w}");
    }
    let rest = warnings.len().saturating_sub(20) as u64 + p.more_warnings;
    if rest > 0 {
        eprintln!("warning: … and {rest} more warnings");
    }
}

/// What a dry run found in a data file, for people.
fn print_changes(d: &import::changes::DataChanges) {
    let v = &d.values;
    println!(
        "  values: {} added, {} changed, {} unchanged, {} cleared",
        v.added, v.changed, v.unchanged, d.cleared
    );
    for (code, c) in &d.per_indicator {
        println!(
            "    {code}: {} added, {} changed, {} unchanged",
            c.added, c.changed, c.unchanged
        );
    }
    if !d.new_indicators.is_empty() {
        println!("  new indicators: {}", d.new_indicators.join(", "));
    }
    for (code, periods) in &d.new_periods {
        println!("  new periods of {code}: {}", periods.join(" "));
    }
    for c in &d.sample {
        let dims = if c.dims.is_empty() {
            String::new()
        } else {
            format!(" [{}]", c.dims)
        };
        println!(
            "  {} {} {} {}{dims}: {} → {}",
            c.indicator,
            c.level,
            c.area,
            c.period,
            c.old.as_deref().unwrap_or("(none)"),
            c.new
        );
    }
}
