//! `peil`: the command line of Peil — import → compute → publish for city statistics.

mod demo;
mod site;

use peil_import as import;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use peil_core::{ClearMode, DataOptions, DecimalSeparator, MissingCode};
use peil_ingest::{DataSpec, Encoding, GeometryOptions, Kind, Progress, TableOptions};
use site::Site;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit codes: 0 success; 1 usage or environment error; 2 an import was refused because of
/// problems in its file (nothing was written); 3 the store failed a check, or `publish` was
/// refused by the privacy review (nothing was published).
const EXIT_REFUSED: u8 = 2;
const EXIT_CHECK: u8 = 3;
/// `publish` refused because loaded values would reach no parent (see `--allow-lost-values`).
const EXIT_LOST: u8 = 4;

#[derive(Parser)]
#[command(
    name = "peil",
    version,
    about = "Peil — statistics platform for cities: import → compute → publish",
    after_help = "Examples:
  peil demo                                   build the demo city and show what it holds
  peil init gent --name 'Gent in cijfers'     create a site directory
  peil --site gent import gebiedsdefinities/statsec2024.xlsx
  peil --site gent import aggregatietabellen/statsec2024_ggw72024.xlsx
  peil --site gent import --level ggw72024 ggw72024.shp
  peil --site gent import fluvius.csv --skip-unknown-areas
  peil --site gent status
  peil --site gent export --indicator v1101_t --level gemeente --period 2024"
)]
struct Cli {
    /// The site directory (default: $PEIL_SITE, else the current directory).
    #[arg(long, global = true, env = "PEIL_SITE")]
    site: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a site directory: a configuration file and an empty store.
    #[command(after_help = "Example:\n  peil init leuven --name 'Leuven in cijfers'")]
    Init {
        /// Directory to create (default: the --site directory or the current one).
        dir: Option<PathBuf>,
        /// The site's name.
        #[arg(long, default_value = "Stad in cijfers")]
        name: String,
    },
    /// Import files: area definitions, aggregation tables, geometry, data, indicator
    /// metadata, theme trees, cube dimensions.
    ///
    /// Each file is one transaction: it lands whole or not at all. The kind of file is
    /// detected from its extension and header unless --kind says it.
    #[command(after_help = "Examples:
  peil import statsec2024.xlsx                       area definitions; level from the file name
  peil import statsec2024_ggw72024.xlsx              aggregation table (header: child, parent level)
  peil import --level gemeente2024 gemeente2024.shp  geometry (CRS from .prj, reprojected to WGS84)
  peil import data.csv --clear combinations          data, replacing what the file covers
  peil import income.csv --geoitem-column CD_SECTOR --period-column CD_YEAR \\
      --geolevel statsec2024 --ignore-column CD_MUNTY_REFNIS \\
      --empty-as x --status-column sourceStatus --status-map sector-unmatched=?
                                                     Statbel income: every blank is suppressed (x),
                                                     also in 'available' rows; unmatched sectors ?

Indicator metadata (a table with a code column and any of these; Dutch names work too;
`peil show CODE` prints what Peil read and the rules it applies):
  code                    the indicator's permanent code (onderwerpcode)
  name, description, unit, source, footnote   text (name ≤ 100 characters; name:en for English)
  data type               numeric (default), objectcount, mean, percentage, ratio, label, text, other
  period type             stock (stand: a year takes its last sub-period), flow (lopend: sums),
                          average_stock (mean of sub-periods), growth_rate (compounds),
                          independent (never aggregated over periods). Not given: independent —
                          monthly data then has no year values until you set it.
  aggregation indicator   the weight of a mean/percentage/ratio (its denominator); required for
                          those to be aggregated over areas
  aggregate geoitems      1 (default) or 0: 0 = never aggregated over areas (medians)
  aggregate periods       1 (default) or 0: 0 = never aggregated over periods
  threshold               lowest non-zero value shown (e.g. 5), checked on the threshold
                          indicator: where that value is non-zero and smaller, the cell is x
                          whatever its own value (0 % from 5 respondents under a sample
                          threshold of 30 is x); where it is 0 the cell is shown
  threshold indicator     the indicator the threshold is checked on (default: sample indicator,
                          then aggregation indicator, then the indicator itself)
  sample indicator        survey: the indicator holding the unweighted sample size n (the
                          threshold is checked on it when there is no threshold indicator)
  population indicator    survey: the indicator holding the population size N (the finite
                          population correction of the confidence margin; left out without)
  stddev indicator        survey: the standard deviation sd of a mean (data type mean): its
                          interval is mean ± z·sd/√n·sqrt(1−n/N); load it on every level
  confidence level        survey percentages and means: 90, 95 (default) or 99 % intervals
  benchmark               survey percentages and means: a level code (each area against its own area
                          there) or level:code (one area); default: the city (the nearest
                          ancestor on a level with a single area)
  rounding                publish values rounded to a multiple of this (e.g. 10)
  decimals                0–10, for display
  formula                 Swing formula; values are computed, never loaded (see Formulas below)
  status                  active, retiring (uitdovend), archived
  visibility              public or restricted:group1,group2
  theme                   theme-tree folder codes (comma list)
  dim levels              a cube's dimension levels separated by | (leeftijd5|leeftijd3|geslacht;
                          not by the file's own delimiter); list a coarser level too to load
                          marginals on it
  total of                this indicator is the sum of these in every cell (`app + huis`, totaal
                          van); secondary suppression protects them together
  start period, end period, provisional period, forecast period   period codes (2019, 2019Q3, 2019M03)
  seq no, exclude from search, protected

Cube dimensions (a table: dimension, dimlevel, member[, name, seq, parent level, parent]):
  dimension,dimlevel,member,name,parent level,parent
  leeftijd,leeftijd5,0-4,0 tot 4 jaar,leeftijd3,0-19   a member, and the coarser member it rolls up into
  leeftijd,leeftijd3,0-19,0 tot 19 jaar,,
  geslacht,geslacht,m,mannen,,

Cube data (long layout with one column per dim level; a blank member totals that dimension):
  period,geolevel,geoitem,indicator,value,leeftijd5,leeftijd3,geslacht
  2024,statsec2024,11001A00-,kubus_bev,12,0-4,,m        a finest cell
  2024,statsec2024,11001A00-,kubus_bev,250,,65+,        a marginal: 65+, both sexes
  The finest cells (a member of the finest level of each dimension) are summed over areas and
  periods. Every other cell (a coarser band, a dimension total, the grand total) is the sum of
  the finest cells beneath it, on every level and period; a loaded marginal wins for its own
  cell only and feeds no other (`peil check` and `publish` list those that differ from their cells).

Formulas: + - * / and ( ); sqrt, abs, round(x, decimals), min, max, sum; data_from_period(x, \"-1\"),
  data_from_mrp(x, n), cell(cube, member, level=member…), threshold(x). A formula has values in the
  periods of its plain terms (an indicator, cell(), threshold()) or of data_from_period.
  An operand without a number: empty or no record (also 0/0 from another formula) gives no
  value; else x or ? gives x (before ?); else nvt gives nvt (an nvt numerator gives nvt);
  never a zero. sum(a, b, …) instead adds what has a number, leaving out empty and nvt
  operands like a total over areas. Division by zero gives no value.")]
    Import(Box<ImportArgs>),
    /// What the store holds: levels, items, hierarchy, indicators, periods, values.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Export values as long CSV: indicator,geolevel,geoitem,period,value.
    #[command(
        after_help = "Example:\n  peil export --indicator v2506_elek_res_cons --level statsec2019 --period 2020 -o elek.csv"
    )]
    Export {
        /// Indicator codes (comma list; default all).
        #[arg(long, value_delimiter = ',')]
        indicator: Vec<String>,
        /// Geo level (default all).
        #[arg(long)]
        level: Option<String>,
        /// Period codes (comma list; default all).
        #[arg(long, value_delimiter = ',')]
        period: Vec<String>,
        /// Output file (default standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Export the live (published) copy instead of the loaded test copy.
        #[arg(long)]
        live: bool,
    },
    /// Check the store's integrity (SQLite, orphans, cycles, items without parent, values),
    /// stories and dashboards, and the privacy review of what `publish` would publish.
    #[command(
        after_help = "Privacy findings are errors unless peil.toml allows the indicator:
  [privacy]
  allow_public_over_restricted = [\"vp_x\"]
  allow_recomputable_hidden = [\"vp_y\"]"
    )]
    Check,
    /// Compute everything (aggregation, formulas, privacy) and make it the live copy.
    ///
    /// The live copy is replaced in one transaction: readers see the old publication or the
    /// new one, never a mix. Hidden cells are stored as `x`, without their values. The privacy
    /// review (see `peil check`) runs first; its errors refuse the publication (exit 3).
    #[command(
        after_help = "Example:\n  peil publish && peil export --live --indicator v1101_t --level wijk"
    )]
    Publish {
        /// Turn off secondary suppression (thresholds still apply).
        #[arg(long)]
        no_secondary_suppression: bool,
        /// Publish even when loaded values reach no parent item on a level their siblings
        /// reach (they would be missing from every total above; listed either way).
        #[arg(long)]
        allow_lost_values: bool,
    },
    /// Show an indicator's metadata as Peil read it, and the rules it applies to it:
    /// aggregation over areas, over periods, threshold (and on which indicator), rounding.
    #[command(after_help = "Example:\n  peil show v2506_elek_res_cons")]
    Show {
        /// Indicator code.
        indicator: String,
    },
    /// List past imports with their provenance.
    Imports {
        #[arg(long)]
        json: bool,
    },
    /// Serve the published data over HTTP: the open-data API, Swing-compatible OData and
    /// selection tables. A new `peil publish` is picked up within seconds, swapped in whole.
    #[command(
        after_help = "Examples:\n  peil serve --bind 0.0.0.0:8080\n  peil serve --demo               build the demo city into ./peil-demo and serve it"
    )]
    Serve {
        /// Address to listen on (port 0: any free port; the address is printed first).
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// Build the demo city (into the --site directory, else ./peil-demo) and serve it.
        #[arg(long)]
        demo: bool,
        /// Requests per second per client address (default: `rate_limit` in peil.toml, else none).
        #[arg(long)]
        rate_limit: Option<u32>,
    },
    /// Render a story or dashboard as PDF: for one area, or for every area of a level as a
    /// ZIP of PDFs (on every core, with a progress bar).
    #[command(
        after_help = "Examples:\n  peil report omgevingsanalyse --level gemeente2024 --area 11002 -o antwerpen.pdf\n  peil report omgevingsanalyse --level gemeente2024 --all -o alle-gemeenten.zip\n  peil report bevolking --dashboard --area 46999 -o dashboard.pdf"
    )]
    Report {
        /// The story's name: a file in stories/ (without .md), or the built-in omgevingsanalyse.
        name: String,
        /// The level of the areas (default: the story's).
        #[arg(long)]
        level: Option<String>,
        /// One area's code (a PDF).
        #[arg(long, conflicts_with = "all")]
        area: Option<String>,
        /// Every area of the level (a ZIP of PDFs).
        #[arg(long)]
        all: bool,
        /// Comparison area as level:code (default: the story's).
        #[arg(long)]
        compare: Option<String>,
        /// Language of the words Peil adds (nl, en, fr).
        #[arg(long, default_value = "nl")]
        lang: String,
        /// Render a dashboard (dashboards/NAME.toml) instead of a story.
        #[arg(long)]
        dashboard: bool,
        /// Output file (.pdf for one area, .zip for --all).
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Manage API keys: each key is scoped to access groups and unlocks the restricted
    /// indicators of those groups (HTTP header `apikey`, as Swing). Keys are stored hashed.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Build the demo city (deterministic) into a site directory and open its website.
    #[command(
        after_help = "Examples:\n  peil demo                        build ./peil-demo and serve it on http://127.0.0.1:8080\n  peil demo /tmp/city --no-serve   only build it"
    )]
    Demo {
        /// Directory for the demo site (default: the --site directory, else ./peil-demo).
        dir: Option<PathBuf>,
        /// Only build the site; do not start the web server.
        #[arg(long)]
        no_serve: bool,
        /// Address to serve on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key; it is printed once and cannot be shown again.
    #[command(
        after_help = "Example:\n  peil keys create --name 'stadsdiensten dashboard' --group stadsdiensten"
    )]
    Create {
        /// What the key is for.
        #[arg(long)]
        name: String,
        /// Access groups (repeat or comma list).
        #[arg(long, value_delimiter = ',', required = true)]
        group: Vec<String>,
    },
    /// List keys (without the keys themselves).
    List,
    /// Revoke a key by its number.
    Revoke { id: i64 },
}

#[derive(Copy, Clone, ValueEnum)]
enum KindArg {
    Areas,
    Links,
    Geometry,
    Data,
    Metadata,
    Themes,
    Dimensions,
}

#[derive(Copy, Clone, ValueEnum)]
enum ClearArg {
    None,
    Indicators,
    Combinations,
}

#[derive(Copy, Clone, ValueEnum)]
enum EncodingArg {
    Utf8,
    Windows1252,
}

#[derive(Copy, Clone, ValueEnum)]
enum DecimalArg {
    Point,
    Comma,
}

#[derive(Args)]
struct ImportArgs {
    /// Files to import, in order (area definitions before the tables that use them).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// What the files are (default: detected).
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// Geo level of area definitions or geometry (default: the file name without extension).
    #[arg(long)]
    level: Option<String>,
    /// Sheet of a workbook (default: the first that fits).
    #[arg(long)]
    sheet: Option<String>,
    /// CSV delimiter (default: detected).
    #[arg(long)]
    delimiter: Option<char>,
    /// CSV encoding (default: detected; UTF-8 with or without BOM, else Windows-1252).
    #[arg(long, value_enum)]
    encoding: Option<EncodingArg>,
    /// Decimal separator (default: detected).
    #[arg(long, value_enum)]
    decimal: Option<DecimalArg>,
    #[arg(long)]
    period_column: Option<String>,
    #[arg(long)]
    geolevel_column: Option<String>,
    #[arg(long)]
    geoitem_column: Option<String>,
    #[arg(long)]
    indicator_column: Option<String>,
    #[arg(long)]
    value_column: Option<String>,
    /// The period of every row when the file has no period column.
    #[arg(long)]
    period: Option<String>,
    /// The geo level of every row when the file has no geolevel column.
    #[arg(long)]
    geolevel: Option<String>,
    /// Columns to leave out (repeat or comma list).
    #[arg(long, value_delimiter = ',')]
    ignore_column: Vec<String>,
    /// What to clear first: nothing, all data of the file's indicators, or the
    /// (indicator, level, period) combinations in the file.
    #[arg(long, value_enum, default_value = "none")]
    clear: ClearArg,
    /// Set indicator start/end periods to the loaded range (default: only widen them).
    #[arg(long)]
    adjust_periods: bool,
    /// Add up duplicate records instead of refusing the file.
    #[arg(long)]
    totalize_duplicates: bool,
    /// Leave out records holding a missing code.
    #[arg(long)]
    drop_special_codes: bool,
    /// Leave out records with unknown area codes instead of refusing the file.
    #[arg(long)]
    skip_unknown_areas: bool,
    /// Refuse unknown indicator codes instead of creating them.
    #[arg(long)]
    no_new_indicators: bool,
    /// Load blank cells as this missing symbol (x, ?, nvt, -).
    #[arg(long)]
    empty_as: Option<String>,
    /// A column that flags rows (e.g. sourceStatus); used with --status-map, not loaded.
    #[arg(long)]
    status_column: Option<String>,
    /// VALUE=SYMBOL: blank cells of rows whose status is VALUE load as SYMBOL
    /// (e.g. not-published=x). Repeat or comma list.
    #[arg(long, value_delimiter = ',')]
    status_map: Vec<String>,
    /// Geometry: the attribute with the item code (default: detected).
    #[arg(long)]
    code_column: Option<String>,
    /// Geometry: source CRS, e.g. EPSG:31370 (default: from the file).
    #[arg(long)]
    crs: Option<String>,
    /// Geometry: web simplification tolerance in metres.
    #[arg(long, default_value_t = 10.0)]
    simplify_m: f64,
    /// Validate only; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Who imports (for the provenance record; default $USER).
    #[arg(long, env = "USER", default_value = "unknown")]
    who: String,
}

/// Set when standard output was closed by its reader (`peil export | head`): the rest of the
/// output is unwanted, which is not an error worth a message.
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Standard output that notes a closed pipe in [`STDOUT_CLOSED`].
struct Stdout<W>(W);

impl<W: Write> Write for Stdout<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).inspect_err(note_closed)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().inspect_err(note_closed)
    }
}

fn note_closed(e: &std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(_) if STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn site_dir(cli_site: &Option<PathBuf>) -> PathBuf {
    cli_site.clone().unwrap_or_else(|| PathBuf::from("."))
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Init { dir, name } => {
            let dir = dir.unwrap_or_else(|| site_dir(&cli.site));
            let site = Site::init(&dir, &name, false)?;
            println!("created site '{}' in {}", site.config.name, dir.display());
            println!("next: peil --site {} import <files>", dir.display());
            Ok(0)
        }
        Command::Import(args) => cmd_import(&Site::open(&site_dir(&cli.site))?, *args),
        Command::Status { json } => {
            let site = Site::open(&site_dir(&cli.site))?;
            let status = site.store()?.status()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print_status(&site, &status);
            }
            Ok(0)
        }
        Command::Publish {
            no_secondary_suppression,
            allow_lost_values,
        } => {
            let site = Site::open(&site_dir(&cli.site))?;
            let mut store = site.store()?;
            let t0 = std::time::Instant::now();
            let warehouse = store.warehouse()?;
            let loaded = t0.elapsed();
            let next = store.live_publication()?.map_or(1, |(g, _, _)| g + 1);
            let computed = peil_compute::compute(&warehouse)?;
            // Values that would silently drop out of every total above them.
            let lost = peil_compute::lost_values(&computed);
            for l in &lost {
                eprintln!("lost: {l}");
            }
            if !lost.is_empty() && !allow_lost_values {
                eprintln!(
                    "refused: {} groups of loaded values reach no parent (see above); link their items \
                     (import the aggregation or conversion table that names them), or publish \
                     with --allow-lost-values to leave them out of the totals",
                    lost.len()
                );
                return Ok(EXIT_LOST);
            }
            for note in periods_not_aggregated(&computed) {
                eprintln!("note: {note}");
            }
            for m in peil_compute::marginal_mismatches(&computed) {
                eprintln!("note: {m}");
            }
            if !no_secondary_suppression {
                for line in linked_report(&computed) {
                    eprintln!("{line}");
                }
            }
            let snapshot = peil_compute::Snapshot::from_computed(
                computed,
                &warehouse,
                next,
                !no_secondary_suppression,
            );
            let computed = t0.elapsed();
            // What readers would get is reviewed before anything is written.
            let review = peil_compute::review::review(&snapshot, &site.config.privacy.allow());
            print_review(&review, &mut std::io::stderr());
            if !review.errors.is_empty() {
                eprintln!(
                    "refused: {} privacy errors; nothing was published (the live copy is unchanged)",
                    review.errors.len()
                );
                return Ok(EXIT_CHECK);
            }
            let stats = serde_json::to_value(&snapshot.stats)?;
            let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
            let generation = store.publish_live(
                &who,
                &stats,
                &snapshot.indicators,
                &snapshot.level_ids(),
                snapshot.all_series(),
            )?;
            let s = &snapshot.stats;
            println!(
                "published generation {generation}: {} indicators, {} series, {} values ({} hidden by privacy rules, {} restricted indicators)",
                s.indicators, s.series, s.values, s.suppressed, s.restricted_indicators
            );
            println!(
                "  read {:.2} s, computed {:.2} s, written {:.2} s",
                loaded.as_secs_f64(),
                (computed - loaded).as_secs_f64(),
                (t0.elapsed() - computed).as_secs_f64()
            );
            Ok(0)
        }
        Command::Export {
            indicator,
            level,
            period,
            output,
            live,
        } => {
            let site = Site::open(&site_dir(&cli.site))?;
            let store = site.store()?;
            let sel = peil_store::Selection {
                indicators: indicator,
                level,
                periods: period,
            };
            let catalog = store.catalog()?;
            let cubes = catalog.indicators.iter().any(|(c, i)| {
                !i.dim_levels.is_empty()
                    && (sel.indicators.is_empty() || sel.indicators.contains(c))
            });
            let sink: Box<dyn Write> = match &output {
                Some(p) => Box::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("cannot create {}", p.display()))?,
                ),
                None => Box::new(Stdout(std::io::stdout().lock())),
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
            let n = if live {
                store.export_live(&sel, write)?
            } else {
                store.export(&sel, write)?
            };
            w.flush()?;
            if output.is_some() {
                eprintln!("{n} values exported");
            }
            if n == 0 && !live {
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
        Command::Check => {
            let site = Site::open(&site_dir(&cli.site))?;
            let store = site.store()?;
            let mut report = store.check()?;
            // Loaded values that reach no parent would be missing from every total above them.
            match peil_compute::compute(&store.warehouse()?) {
                Ok(c) => {
                    for l in peil_compute::lost_values(&c) {
                        report.errors.push(format!("lost values: {l}"));
                    }
                    report.warnings.extend(periods_not_aggregated(&c));
                    report
                        .warnings
                        .extend(c.linked().notes.iter().map(|n| format!("linked: {n}")));
                    report.warnings.extend(
                        peil_compute::marginal_mismatches(&c)
                            .iter()
                            .map(|m| m.to_string()),
                    );
                }
                Err(e) => report.errors.push(format!("cannot compute: {e}")),
            }
            // Stories and dashboards: syntax, then a trial render on the live copy, so a
            // broken template fails here and not in front of a reader.
            report.errors.extend(check_content(&site)?);
            // What open-data portals need from the catalogue (licence, contact, publisher).
            match site.catalog_config() {
                Ok(c) => report.warnings.extend(c.missing()),
                Err(e) => report.errors.push(e.to_string()),
            }
            // Privacy: what `peil publish` would make of the test copy, reviewed.
            let warehouse = site.store()?.warehouse()?;
            match peil_compute::publish(&warehouse, 0, &Default::default()) {
                Ok(snapshot) => {
                    let r = peil_compute::review::review(&snapshot, &site.config.privacy.allow());
                    let (errors, warnings) = review_lines(&r);
                    report.errors.extend(errors);
                    report.warnings.extend(warnings);
                }
                Err(e) => report
                    .errors
                    .push(format!("the test copy cannot be computed: {e}")),
            }
            for e in &report.errors {
                println!("error: {e}");
            }
            for w in &report.warnings {
                println!("warning: {w}");
            }
            if report.errors.is_empty() {
                println!("ok: {} warnings", report.warnings.len());
                Ok(0)
            } else {
                Ok(EXIT_CHECK)
            }
        }
        Command::Show { indicator } => {
            let site = Site::open(&site_dir(&cli.site))?;
            let store = site.store()?;
            let indicators = store.indicators()?;
            if !indicators.iter().any(|i| i.code == indicator) {
                bail!("unknown indicator '{indicator}' (see `peil status`)");
            }
            print!("{}", show_indicator(indicators, &indicator)?);
            Ok(0)
        }
        Command::Imports { json } => {
            let site = Site::open(&site_dir(&cli.site))?;
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
        Command::Serve {
            bind,
            demo,
            rate_limit,
        } => {
            let dir = if demo {
                let dir = cli
                    .site
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("peil-demo"));
                demo::run(&dir)?;
                dir
            } else {
                site_dir(&cli.site)
            };
            serve_site(&dir, &bind, rate_limit)
        }
        Command::Report {
            name,
            level,
            area,
            all,
            compare,
            lang,
            dashboard,
            out,
        } => {
            let site = Site::open(&site_dir(&cli.site))?;
            cmd_report(
                &site, &name, level, area, all, compare, &lang, dashboard, &out,
            )
        }
        Command::Keys(k) => {
            let site = Site::open(&site_dir(&cli.site))?;
            let store = site.store()?;
            match k {
                KeysCommand::Create { name, group } => {
                    let key = peil_store::new_key()?;
                    let id = store.add_api_key(&name, &peil_store::hash_key(&key), &group)?;
                    println!("key #{id} for '{name}' (groups: {}):", group.join(", "));
                    println!("{key}");
                    eprintln!("store it now: Peil keeps only its hash and cannot show it again");
                }
                KeysCommand::List => {
                    for peil_store::ApiKeyEntry {
                        id,
                        name,
                        groups,
                        created,
                        revoked,
                    } in store.api_keys()?
                    {
                        let state = revoked
                            .map(|r| format!("revoked {r}"))
                            .unwrap_or_else(|| "active".into());
                        println!(
                            "#{id:<4} {name:<30} groups: {:<25} created {created}  {state}",
                            groups.join(",")
                        );
                    }
                }
                KeysCommand::Revoke { id } => {
                    if !store.revoke_api_key(id)? {
                        bail!("no active key #{id} (see `peil keys list`)");
                    }
                    println!("key #{id} revoked");
                }
            }
            Ok(0)
        }
        Command::Demo {
            dir,
            no_serve,
            bind,
        } => {
            let dir = dir
                .or(cli.site)
                .unwrap_or_else(|| PathBuf::from("peil-demo"));
            let code = demo::run(&dir)?;
            if no_serve || code != 0 {
                return Ok(code);
            }
            serve_site(&dir, &bind, None)
        }
    }
}

/// `peil show`: the metadata fields as stored, then the rules the engine will apply — taken
/// from the engine's own functions (`geo_rule`, `check_indicator`), not described anew.
fn show_indicator(indicators: Vec<peil_core::Indicator>, code: &str) -> Result<String> {
    use peil_compute::engine::GeoRule;
    use peil_core::{DataType, PeriodType};
    use std::fmt::Write as _;
    let w = peil_core::Warehouse {
        indicators,
        ..Default::default()
    };
    let c = peil_compute::compute(&w)?;
    let i = c.index[code];
    let ind = &c.indicators[i as usize];
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    let num = |o: Option<f64>| o.map_or_else(|| "-".into(), |x| x.to_string());
    let mut out = String::new();
    let name = ind.name.get("nl").unwrap_or(code);
    writeln!(out, "{code} — {name}")?;
    writeln!(out, "metadata:")?;
    for (k, v) in [
        ("data type", ind.data_type.code().to_string()),
        ("period type", ind.period_type.code().to_string()),
        ("aggregation indicator", opt(&ind.aggregation_indicator)),
        (
            "aggregate geoitems",
            if ind.non_aggregable { "0" } else { "1" }.into(),
        ),
        (
            "aggregate periods",
            if ind.non_aggregable_periods { "0" } else { "1" }.into(),
        ),
        ("threshold", num(ind.threshold)),
        ("threshold indicator", opt(&ind.threshold_indicator)),
        ("sample indicator", opt(&ind.sample_indicator)),
        ("population indicator", opt(&ind.population_indicator)),
        ("rounding", num(ind.rounding)),
        (
            "decimals",
            ind.decimals.map_or_else(|| "-".into(), |d| d.to_string()),
        ),
        ("formula", opt(&ind.formula)),
        (
            "dim levels",
            if ind.dim_levels.is_empty() {
                "-".into()
            } else {
                ind.dim_levels.join("|")
            },
        ),
        (
            "total of",
            if ind.total_of.is_empty() {
                "-".into()
            } else {
                ind.total_of.join(" + ")
            },
        ),
        ("unit", ind.unit.clone()),
        ("source", ind.source.clone()),
        ("visibility", ind.visibility.code()),
        ("status", ind.status.code().into()),
    ] {
        writeln!(out, "  {k:<22} {v}")?;
    }
    writeln!(out, "rules:")?;
    let over_areas = if ind.formula.is_some() {
        "a formula: evaluated on every level from that level's values of its terms".to_string()
    } else {
        match c.rule(i) {
            GeoRule::Sum => "summed (? and x poison a total; nvt and empty are skipped)".into(),
            GeoRule::Weighted(wi) => format!(
                "weighted mean Σ(value·weight)/Σ(weight) by {} over the base areas with a value",
                c.indicators[wi as usize].code
            ),
            GeoRule::None => {
                let why = if ind.non_aggregable {
                    "aggregate geoitems is 0"
                } else if !ind.data_type.is_numeric() {
                    "not numeric"
                } else if matches!(
                    ind.data_type,
                    DataType::Mean | DataType::Percentage | DataType::Ratio
                ) {
                    "a mean, percentage or ratio needs an aggregation indicator that exists"
                } else {
                    "its aggregation indicator does not exist"
                };
                format!("not aggregated ({why}): only loaded values are shown")
            }
        }
    };
    writeln!(out, "  over areas:   {over_areas}")?;
    if !ind.dim_levels.is_empty() && c.rule(i) == GeoRule::Sum {
        writeln!(
            out,
            "  cube cells:   the finest cells (a member of the finest level of each dimension) are \
             summed over areas and periods; every other cell (a coarser band, a dimension total, \
             the grand total) is the sum of the finest cells beneath it, on every level; a loaded \
             one wins for its own cell only (check lists those that differ from their cells)"
        )?;
    }
    let additive = matches!(ind.data_type, DataType::Numeric | DataType::ObjectCount);
    let over_periods = if ind.formula.is_some() {
        "a formula: evaluated per period".to_string()
    } else if ind.non_aggregable_periods {
        "not aggregated (aggregate periods is 0)".into()
    } else if !ind.data_type.is_numeric() {
        "not aggregated (not numeric)".into()
    } else {
        match ind.period_type {
            PeriodType::Independent => {
                "not aggregated: period type independent (or not given), so months, quarters and half years never make a year; set a period type".into()
            }
            PeriodType::Stock => "a stock: a year (quarter, half year) takes its last sub-period's value".into(),
            PeriodType::Flow if additive => "a flow: a year is the sum of its complete sub-periods".into(),
            PeriodType::Flow => "not aggregated (a flow that is not a count cannot be summed)".into(),
            PeriodType::AverageStock => "an average stock: a year is the mean of its sub-periods".into(),
            PeriodType::GrowthRate => "a growth rate: sub-periods compound".into(),
        }
    };
    writeln!(out, "  over periods: {over_periods}")?;
    match ind.threshold.filter(|t| *t > 0.0) {
        Some(t) => {
            let chk = peil_compute::privacy::check_indicator(&c, i);
            let on = if chk == i {
                "itself".to_string()
            } else {
                c.indicators[chk as usize].code.clone()
            };
            writeln!(
                out,
                "  threshold:    non-zero values of {on} below {t} hide the cell (x), on every level"
            )?;
        }
        None => writeln!(out, "  threshold:    none")?,
    }
    // Sum relations with other indicators (from formulas and `total of`; relations found in the
    // values are reported by `peil publish`): suppression protects them together.
    let linked = c.linked();
    let mine: Vec<String> = linked
        .sums
        .iter()
        .filter(|s| s.members().any(|m| m == i))
        .map(|s| s.describe(&c))
        .collect();
    if mine.is_empty() {
        writeln!(out, "  linked:       none declared")?;
    } else {
        writeln!(
            out,
            "  linked:       {} — secondary suppression protects these indicators together",
            mine.join("; ")
        )?;
    }
    for n in linked
        .notes
        .iter()
        .filter(|n| n.starts_with(&format!("{code}:")))
    {
        writeln!(out, "  note:         {n}")?;
    }
    match ind.rounding.filter(|r| *r > 0.0) {
        Some(r) => writeln!(
            out,
            "  rounding:     published values are rounded to a multiple of {r}"
        )?,
        None => writeln!(out, "  rounding:     none")?,
    }
    if ind.is_survey() {
        let bench = match ind.benchmark() {
            None => "the nearest ancestor on a level with a single area (the city)".to_string(),
            Some(b) if b.contains(':') => format!("the area {b}"),
            Some(b) => format!("each area's own area on level {b}"),
        };
        let population = ind
            .population_indicator
            .as_deref()
            .map(|p| format!(" and {p}"))
            .unwrap_or_default();
        let n = ind.sample_indicator.as_deref().unwrap_or("-");
        let inputs = match ind.stddev_indicator.as_deref() {
            Some(sd) if ind.is_survey_mean() => {
                format!("mean ± z·sd/√n·sqrt(1−n/N) from sd {sd}, n {n}{population}")
            }
            _ => format!("z·sqrt(p·(100−p)/n)·sqrt(1−n/N) from {n}{population}"),
        };
        writeln!(
            out,
            "  survey:       {} % intervals {inputs}; significance against {bench}",
            ind.confidence_level(),
        )?;
    }
    Ok(out)
}

/// What `peil publish` says about sum relations between indicators: each relation secondary
/// suppression protects (an identity found in the values is named as such, with the metadata
/// that declares it), and declared relations it cannot use.
fn linked_report(c: &peil_compute::Computed) -> Vec<String> {
    let linked = c.linked();
    let mut out = Vec::new();
    for s in &linked.sums {
        let line = format!("linked: {} — protected together", s.describe(c));
        if s.source == peil_compute::linked::Source::Detected {
            let parts: Vec<&str> = s
                .parts
                .iter()
                .map(|&p| c.indicators[p as usize].code.as_str())
                .collect();
            out.push(format!(
                "{line}; found in the values: declare it with the metadata column 'total of' ({}: {})",
                c.indicators[s.total as usize].code,
                parts.join(" + ")
            ));
        } else {
            out.push(line);
        }
    }
    out.extend(linked.notes.iter().map(|n| format!("linked: {n}")));
    // A restricted indicator that public ones add up to is public in effect.
    for s in &linked.sums {
        let restricted: Vec<u32> = s
            .members()
            .filter(|&m| c.indicators[m as usize].visibility != peil_core::Visibility::Public)
            .collect();
        if let [one] = restricted[..] {
            out.push(format!(
                "warning: {} is restricted, but {} gives it from public indicators; restrict \
                 another member too or make it public",
                c.indicators[one as usize].code,
                s.describe(c)
            ));
        }
    }
    out
}

/// Indicators loaded per month, quarter or half year whose period type says nothing about
/// how periods combine: Peil does not make up years for them (a flow summed as a stock, or a
/// stock as a flow, would be a wrong number), so say so where the user looks.
fn periods_not_aggregated(c: &peil_compute::Computed) -> Vec<String> {
    use std::collections::BTreeMap;
    let mut fine: BTreeMap<&str, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for k in c.loaded.keys() {
        let ind = &c.indicators[k.0 as usize];
        if ind.period_type != peil_core::PeriodType::Independent
            || ind.non_aggregable_periods
            || ind.formula.is_some()
            || k.2.level == peil_core::PeriodLevel::Year
        {
            continue;
        }
        *fine
            .entry(ind.code.as_str())
            .or_default()
            .entry(k.2.level.code())
            .or_default() += 1;
    }
    fine.into_iter()
        .map(|(code, levels)| {
            let l: Vec<&str> = levels.keys().copied().collect();
            format!(
                "{code} is loaded per {} but has no period type (independent): its periods are \
                 not aggregated, so it has no year values; set 'period type' in its metadata \
                 (flow, stock, average_stock or growth_rate) — see `peil show {code}`",
                l.join(", ")
            )
        })
        .collect()
}

fn cmd_import(site: &Site, a: ImportArgs) -> Result<u8> {
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
        report(file, &outcome);
        if outcome.problems.has_errors() {
            eprintln!("refused: {} — nothing was written", file.display());
            return Ok(EXIT_REFUSED);
        }
    }
    Ok(0)
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

fn report(file: &Path, o: &import::Outcome) {
    let kind = o.kind.map(|k| k.code()).unwrap_or("unknown kind");
    println!("{} ({kind})", file.display());
    // A refused import has nothing to summarise but its problems.
    if !o.problems.has_errors() {
        for line in &o.summary {
            println!("  {line}");
        }
    }
    let p = &o.problems;
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

fn print_status(site: &Site, s: &peil_store::Status) {
    println!("{} — {}", site.config.name, site.store_path().display());
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

/// Serves a site until Ctrl-C or SIGTERM; the site configuration is re-read when it changes.
fn serve_site(dir: &Path, bind: &str, rate_limit: Option<u32>) -> Result<u8> {
    let site = Site::open(dir)?;
    let mut options = peil_serve::Options::new(&site.config.name);
    options.public = site.config.public;
    options.rate_limit = rate_limit.or(site.config.rate_limit);
    if let Some(mb) = site.config.cache_mb {
        options.cache_bytes = mb << 20;
    }
    let state = peil_serve::state_with_options(&site.store_path(), options)?;
    state.set_site(site.web_config()?);
    // The website's configuration is re-read when peil.toml changes: no restart needed. A
    // broken edit keeps the previous configuration and says why.
    let dir_owned = dir.to_path_buf();
    let last = std::sync::Mutex::new(site.changed_at());
    state.set_site_loader(std::sync::Arc::new(move || {
        let modified = Site::open(&dir_owned).ok().and_then(|s| s.changed_at());
        let mut last = last.lock().ok()?;
        if modified == *last {
            return None;
        }
        *last = modified;
        match Site::open(&dir_owned).and_then(|s| s.web_config()) {
            Ok(c) => {
                eprintln!("{{\"event\":\"site configuration reloaded\"}}");
                Some(c)
            }
            Err(e) => {
                eprintln!(
                    "{{\"event\":\"site configuration not reloaded\",\"error\":{:?}}}",
                    format!("{e:#}")
                );
                None
            }
        }
    }));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(peil_serve::serve(
        state,
        bind,
        async {
            // Ctrl-C or SIGTERM: stop accepting, let requests in flight finish.
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
            }
        },
        |addr| {
            println!("listening on http://{addr}");
            let _ = std::io::stdout().flush();
        },
    ))?;
    Ok(0)
}

/// A privacy review as messages: errors, then warnings (allowed findings, stale allowances).
fn review_lines(r: &peil_compute::review::Review) -> (Vec<String>, Vec<String>) {
    let errors = r.errors.iter().map(|f| format!("privacy: {f}")).collect();
    let mut warnings: Vec<String> = r
        .allowed
        .iter()
        .map(|f| format!("privacy (allowed in {}): {f}", site::CONFIG))
        .collect();
    warnings.extend(r.unused.iter().map(|c| {
        format!(
            "privacy: {} allows {c}, but the review finds nothing to allow there; remove it",
            site::CONFIG
        )
    }));
    (errors, warnings)
}

fn print_review(r: &peil_compute::review::Review, out: &mut dyn Write) {
    let (errors, warnings) = review_lines(r);
    for e in errors {
        let _ = writeln!(out, "error: {e}");
    }
    for w in warnings {
        let _ = writeln!(out, "warning: {w}");
    }
}

/// The published data as stories read it.
fn story_data(site: &Site) -> Result<std::sync::Arc<peil_story::Data>> {
    let store = site.store()?;
    let snap = peil_compute::Snapshot::load(&store)?;
    let themes = store.themes()?;
    Ok(std::sync::Arc::new(peil_story::Data::new(
        std::sync::Arc::new(snap),
        themes,
    )))
}

/// Problems of the site's stories and dashboards, as messages (file, line, reason).
fn check_content(site: &Site) -> Result<Vec<String>> {
    let (content, problems) = site.content();
    let mut out: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    let published = site.store()?.live_generation()?.is_some();
    if published {
        let data = story_data(site)?;
        for s in &content.stories {
            if let Err(e) = peil_story::check(&data, s) {
                out.push(e.to_string());
            }
        }
        for d in &content.dashboards {
            match d.story() {
                Ok(s) => {
                    if let Err(e) = peil_story::check(&data, &s) {
                        out.push(e.to_string());
                    }
                }
                Err(e) => out.push(e.to_string()),
            }
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn cmd_report(
    site: &Site,
    name: &str,
    level: Option<String>,
    area: Option<String>,
    all: bool,
    compare: Option<String>,
    lang: &str,
    dashboard: bool,
    out: &Path,
) -> Result<u8> {
    let web = site.web_config()?;
    let (content, problems) = site.content();
    let story = if dashboard {
        let d = content.dashboard(name).with_context(|| {
            format!("no dashboard '{name}' (dashboards/{name}.toml in the site directory)")
        })?;
        d.story().map_err(|e| anyhow::anyhow!("{e}"))?
    } else {
        match content.story(name) {
            Some(s) => s.clone(),
            None => {
                for p in problems {
                    eprintln!("error: {p}");
                }
                bail!(
                    "no story '{name}' (stories/{name}.md in the site directory, or the built-in omgevingsanalyse)"
                );
            }
        }
    };
    let data = story_data(site)?;
    let pdf_options = web.pdf_options(lang);
    let level = level
        .or_else(|| story.meta.level.clone())
        .context("say which level the areas are on: --level")?;
    if data.level_index(&level).is_none() {
        bail!("no level '{level}' in the published data");
    }
    let compare = compare
        .map(|c| {
            peil_story::Area::parse(&c).with_context(|| format!("--compare {c}: write level:code"))
        })
        .transpose()?;
    if all {
        let areas = data.areas(&level);
        let file = std::fs::File::create(out)
            .with_context(|| format!("cannot create {}", out.display()))?;
        let bar = indicatif::ProgressBar::new(areas.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} reports, {elapsed} (ETA {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let started = std::time::Instant::now();
        let result = peil_story::pdf::bulk_zip(
            std::io::BufWriter::new(file),
            &data,
            &story,
            &areas,
            &pdf_options,
            &|done, _| bar.set_position(done as u64),
            &std::sync::atomic::AtomicBool::new(false),
        );
        bar.finish_and_clear();
        match result {
            Ok(mut w) => {
                use std::io::Write as _;
                w.flush()?;
                println!(
                    "{} reports in {} ({:.1} s)",
                    areas.len(),
                    out.display(),
                    started.elapsed().as_secs_f64()
                );
                Ok(0)
            }
            Err(e) => {
                let _ = std::fs::remove_file(out);
                bail!("{e}")
            }
        }
    } else {
        let code = area.context("say which area: --area CODE, or --all for every area")?;
        let geo = peil_story::Area::new(&level, &code);
        if !data.exists(&geo) {
            bail!("no area '{code}' on level {level}");
        }
        let r = peil_story::render(&data, &story, &geo, compare.as_ref(), lang, None)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let pdf = peil_story::pdf::to_pdf(&r, &pdf_options, story.meta.landscape || dashboard)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        std::fs::write(out, &pdf).with_context(|| format!("cannot write {}", out.display()))?;
        println!("{} ({} bytes)", out.display(), pdf.len());
        Ok(0)
    }
}
