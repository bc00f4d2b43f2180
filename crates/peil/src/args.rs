//! The command line's arguments (clap): every subcommand, its options and its help text.
//! A subcommand with more than one option takes an argument struct, handed whole to its
//! module.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "peil",
    version,
    disable_help_subcommand = true,
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
pub struct Cli {
    /// The site directory (default: $PEIL_SITE, else the current directory).
    #[arg(long, global = true, env = "PEIL_SITE")]
    pub site: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a site directory: a configuration file and an empty store.
    #[command(after_help = "Example:\n  peil init leuven --name 'Leuven in cijfers'")]
    Init(InitArgs),
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
    Export(ExportArgs),
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
    Publish(PublishArgs),
    /// Show an indicator's metadata as Peil read it, and the rules it applies to it:
    /// aggregation over areas, over periods, threshold (and on which indicator), rounding.
    #[command(after_help = "Example:\n  peil show v2506_elek_res_cons")]
    Show {
        /// Indicator code.
        indicator: String,
    },
    /// Pull indicators from the sources declared in peil.toml (`[[sources]]`: other Peil
    /// sites, or Swing sites with `kind = "swing"`) into the test copy: one import per source, only what changed since the last
    /// pull, codes with the source's prefix, pulled indicators protected, nothing deleted.
    #[command(after_help = "Examples:
  peil pull                    every source in peil.toml
  peil pull provincie          one source
  peil pull provincie --dry-run --json   what it would do, as JSON")]
    Pull(PullArgs),
    /// Create a new Peil site from a Swing site through its public API (OData and the
    /// selection table): geo levels and areas, the hierarchy the selection table shows, the
    /// indicators' metadata and all their published values. Resumable: run it again after an
    /// interruption and it continues. What the API does not expose (formulas, thresholds,
    /// theme tree, geometry, reports, dashboards) is listed in SITE_DIR/migration-report.md.
    #[command(after_help = "Examples:
  peil migrate https://stad.incijfers.be ./stad     a new site in ./stad
  peil migrate https://stad.incijfers.be ./stad     again: continues where it stopped
  peil --site ./stad publish                          then check and publish it")]
    Migrate(MigrateArgs),
    /// Copy a site's store between SQLite and PostgreSQL (either way, or between two of one
    /// kind): in one transaction on the target, every table compared with the source before it
    /// commits. FROM and TO are each a site directory (its peil.toml says where its store is),
    /// a SQLite file, or postgres://user@host/database (the password in PEIL_STORE_PASSWORD).
    /// A target that already holds a site is refused unless --replace. The source is read in
    /// one moment, so the site may go on running; point its peil.toml at the target after.
    #[command(after_help = "Examples:
  peil migrate-store ./stad postgres://peil@db.stad.be/statistiek --to-schema stad
  peil migrate-store postgres://peil@db.stad.be/statistiek ./stad-lite/peil.sqlite --from-schema stad
  peil migrate-store ./stad ./stad-pg          into a site made by peil init --store postgres://…")]
    MigrateStore(MigrateStoreArgs),
    /// The sources of peil.toml and the scheduled publish: each one's schedule, last run,
    /// outcome and next run (`peil serve` runs them); `history NAME` lists a source's runs.
    #[command(after_help = "Examples:
  peil sources                    every source and the scheduled publish
  peil sources history statbel    the runs of one source, newest first
  peil sources history publish    the runs of the scheduled publish")]
    Sources(SourcesArgs),
    /// List past imports with their provenance; show one with its plausibility warnings;
    /// undo one that is not published yet.
    #[command(after_help = "Examples:
  peil imports                 every import: number, time, who, file, what it did
  peil imports show 12         import #12 with its plausibility warnings
  peil imports undo 12         put the test copy back as it was before import #12")]
    Imports(ImportsArgs),
    /// List the publications, newest first: generation, when, who, statistics, and whether
    /// `peil rollback` can make it live again (the last `keep_publications`, default 5).
    Publications {
        #[arg(long)]
        json: bool,
    },
    /// Make a kept publication live again, in one step: it becomes a new generation with the
    /// old one's contents, which a running `peil serve` picks up like a publish.
    #[command(after_help = "Example:\n  peil publications && peil rollback 3")]
    Rollback {
        /// The generation to make live again (see `peil publications`).
        generation: u64,
    },
    /// Back the whole site up into a new directory: a consistent copy of the store (taken while
    /// the site runs: imports and `peil serve` go on) and every file of the site directory
    /// (configuration, stories, dashboards, images), with a manifest of each file's SHA-256.
    #[command(after_help = "Example:\n  peil --site stad backup /backups/stad-2026-12-06")]
    Backup {
        /// The backup directory to create (new or empty, outside the site directory).
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Restore a backup into a new site directory: every file is checked against the
    /// backup's manifest first, the store is brought up to this Peil's schema and checked, and
    /// the site appears in one move. An existing, non-empty directory is never overwritten.
    #[command(after_help = "Example:\n  peil restore /backups/stad-2026-12-06 stad-hersteld")]
    Restore {
        /// The backup directory (made by `peil backup`).
        backup: PathBuf,
        /// The site directory to create.
        site_dir: PathBuf,
    },
    /// Serve the published data over HTTP: the open-data API, Swing-compatible OData and
    /// selection tables. A new `peil publish` is picked up within seconds, swapped in whole.
    #[command(
        after_help = "Examples:\n  peil serve --bind 0.0.0.0:8080\n  peil serve --demo               build the demo city into ./peil-demo and serve it"
    )]
    Serve(ServeArgs),
    /// Render a story or dashboard as PDF: for one area, or for every area of a level as a
    /// ZIP of PDFs (on every core, with a progress bar).
    #[command(
        after_help = "Examples:\n  peil report omgevingsanalyse --level gemeente2024 --area 11002 -o antwerpen.pdf\n  peil report omgevingsanalyse --level gemeente2024 --all -o alle-gemeenten.zip\n  peil report bevolking --dashboard --area 46999 -o dashboard.pdf"
    )]
    Report(ReportArgs),
    /// Manage API keys: each key is scoped to access groups and unlocks the restricted
    /// indicators of those groups (HTTP header `apikey`, as Swing). Keys are stored hashed.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage back-office users (`/admin`): role (viewer, expert, beheerder), access groups,
    /// password. For the first administrator and for scripts; each change is in the audit log.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Access groups: which restricted indicators, geo levels, dimension levels and periods
    /// each group may see. A change reaches a running server within seconds, without a publish.
    #[command(subcommand)]
    Groups(GroupsCommand),
    /// Record data (permit dossiers, complaints, inspections: one row per case), kept in the
    /// store but never published as rows; their measures (counts, medians, shares within a
    /// term, …) become indicators of the test copy, published like every indicator.
    #[command(subcommand)]
    Records(RecordsCommand),
    /// Policy plans (issue 17): import a plan's goals and KPIs from its workbook, list the
    /// plans, show a plan's scorecard (status per KPI and goal) as a reader sees it.
    #[command(subcommand)]
    Plans(PlansCommand),
    /// Build the demo city (deterministic) into a site directory and open its website.
    #[command(
        after_help = "Examples:\n  peil demo                        build ./peil-demo and serve it on http://127.0.0.1:8080\n  peil demo /tmp/city --no-serve   only build it"
    )]
    Demo(DemoArgs),
    /// The handbook in the terminal: `peil help` lists its chapters, `peil help TOPIC`
    /// prints one (Dutch, English or French by the name used); a command's name prints its
    /// options.
    #[command(after_help = "Examples:
  peil help                      the chapters (handleiding / manual / manuel)
  peil help begrippen            the chapter on concepts, in Dutch
  peil help file-formats         the chapter on file formats, in English
  peil help notions              the chapter on concepts, in French
  peil help import               the options of peil import")]
    Help { topic: Option<String> },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a key; it is printed once and cannot be shown again.
    #[command(
        after_help = "Example:\n  peil keys create --name 'stadsdiensten dashboard' --group stadsdiensten"
    )]
    Create {
        /// What the key is for.
        #[arg(long)]
        name: String,
        /// Access groups (repeat or comma list). Once groups are defined (`peil groups add`),
        /// a name that is neither defined, nor named by an indicator's visibility, nor a role
        /// (`admin`, `reports`, `upload`) is refused.
        #[arg(long, alias = "groups", value_delimiter = ',', required = true)]
        group: Vec<String>,
    },
    /// List keys (without the keys themselves).
    List,
    /// Revoke a key by its number.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Add a user; without --password-stdin a password is generated and printed once.
    #[command(
        after_help = "Examples:\n  peil users add an.peeters --role beheerder\n  peil users add stadsdienst --role viewer --groups stadsdiensten,welzijn\n  printf '%s' \"$PW\" | peil users add bert --role expert --password-stdin"
    )]
    Add {
        /// The login name (letters, digits, . _ @ -).
        name: String,
        /// viewer (reads restricted data), expert (loads and publishes), beheerder (everything).
        #[arg(long)]
        role: String,
        /// Access groups (comma list or repeated): the restricted indicators the user reads.
        #[arg(long, value_delimiter = ',')]
        groups: Vec<String>,
        /// The name shown in the back office (default: the login name).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (first line) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users (never their passwords).
    List,
    /// Disable a user: their sessions end and they cannot log in.
    Disable { name: String },
    /// Enable a disabled user again.
    Enable { name: String },
    /// Set a new password (generated and printed once, or from --password-stdin); unlocks.
    Reset {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
pub enum PlansCommand {
    /// Import a plan: a workbook with the sheets goals and kpis, or a goals CSV and a KPI CSV.
    /// The plan of that name is replaced whole (its check-ins stay); one transaction.
    #[command(
        after_help = "Examples:\n  peil plans import meerjarenplan plan.xlsx --title \"Meerjarenplan 2026-2031\" --public\n  peil plans import meerjarenplan goals.csv kpis.csv --levels beleidsdoelstelling,actieplan,actie"
    )]
    Import {
        /// The plan's name (in URLs): letters, digits, '_', '-', '.'.
        name: String,
        /// The workbook, or the goals CSV.
        goals: PathBuf,
        /// The KPI CSV (not for a workbook: its sheet kpis is read).
        kpis: Option<PathBuf>,
        /// The plan's title (default: the stored one, else the name).
        #[arg(long)]
        title: Option<String>,
        /// The names of the goal levels, top first, separated by commas (default: the stored
        /// ones, else beleidsdoelstelling,actieplan,actie).
        #[arg(long)]
        levels: Option<String>,
        /// Everyone may see the scorecard (default: the stored choice, else internal).
        #[arg(long, conflicts_with = "internal")]
        public: bool,
        /// Only users of the back office may see the scorecard.
        #[arg(long)]
        internal: bool,
        /// Check and report, write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, env = "USER", default_value = "unknown")]
        who: String,
        #[arg(long)]
        json: bool,
    },
    /// List the plans: goals, KPIs, public or internal.
    List {
        #[arg(long)]
        json: bool,
    },
    /// A plan's scorecard from the live copy, as an anonymous reader sees it (or the user
    /// given): each goal's status and each KPI's latest value, target and status.
    Show {
        name: String,
        /// See it as this back-office user (with the user's access groups).
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum RecordsCommand {
    /// Import a record file (CSV or XLSX) of the set its definition declares: the file's
    /// records replace the stored ones with the same id, then the set's measures are computed
    /// again from all its records; one transaction.
    #[command(
        after_help = "Examples:\n  peil records import vergunningen.toml dossiers.csv\n  peil records import vergunningen.toml export-2025.xlsx --replace"
    )]
    Import {
        /// The record set's definition (TOML): columns and measures.
        definition: PathBuf,
        /// The record file.
        file: PathBuf,
        /// Replace the whole set: also remove its records that the file does not hold.
        #[arg(long)]
        replace: bool,
        /// Check and report, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The sheet of a workbook (default: the first whose header has the id column).
        #[arg(long)]
        sheet: Option<String>,
        /// Who imports (for the provenance record; default $USER).
        #[arg(long, env = "USER", default_value = "unknown")]
        who: String,
        /// The report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the record sets: their number of records, level and measures (never a record).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Compute the measures of a set (or of every set) again from its stored records.
    Measures {
        set: Option<String>,
        #[arg(long, env = "USER", default_value = "unknown")]
        who: String,
    },
    /// The operational dashboard of a set (its `[dashboard]`): per month the cases opened,
    /// closed and open, the throughput times and the top categories — aggregates only, through
    /// the set's threshold, as the back office's page shows them.
    #[command(
        after_help = "Examples:\n  peil records dashboard vergunningen\n  peil records dashboard vergunningen --month 2025-03"
    )]
    Dashboard {
        set: String,
        /// Drill down to one month (YYYY-MM).
        #[arg(long)]
        month: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum GroupsCommand {
    /// Define a group, or replace the definition of one.
    #[command(
        after_help = "Example:\n  peil groups add wijkteam --description 'Wijkwerkers' --themes zorg --levels wijk --periods 2020:2022"
    )]
    Add(GroupAddArgs),
    /// List the defined groups.
    List,
    /// Show one group's grants.
    Show { name: String },
    /// Remove a group; refused while an active API key or user is in it.
    Remove { name: String },
}

#[derive(Args)]
pub struct GroupAddArgs {
    /// The group's name (letters, digits, '-', '_', '.'); `guest` applies to every reader.
    pub name: String,
    #[arg(long, default_value = "")]
    pub description: String,
    /// Restricted indicators granted by code (comma list).
    #[arg(long, value_delimiter = ',')]
    pub indicators: Vec<String>,
    /// Restricted indicators granted by theme: the theme and every theme beneath it.
    #[arg(long, value_delimiter = ',')]
    pub themes: Vec<String>,
    /// Restricted indicators granted by their source (the metadata's exact text; repeat the
    /// option for several, since sources contain commas).
    #[arg(long = "source", alias = "sources")]
    pub sources: Vec<String>,
    /// Geo levels the group's grants hold on (none: all).
    #[arg(long, value_delimiter = ',')]
    pub levels: Vec<String>,
    /// Dimension levels a cube's cells may use (none: all).
    #[arg(long, value_delimiter = ',')]
    pub dim_levels: Vec<String>,
    /// Period range FROM:TO, inclusive (e.g. 2015:2024; none: all).
    #[arg(long)]
    pub periods: Option<String>,
}

#[derive(Copy, Clone, ValueEnum)]
pub enum KindArg {
    Areas,
    Links,
    Geometry,
    Data,
    Metadata,
    Themes,
    Dimensions,
    // A cluster table: cluster, cluster name, geolevel, geoitem (issue 18). A plain comment:
    // a doc comment here would make clap list every value on a line of its own.
    Clusters,
}

#[derive(Copy, Clone, ValueEnum)]
pub enum ClearArg {
    None,
    Indicators,
    Combinations,
}

#[derive(Copy, Clone, ValueEnum)]
pub enum EncodingArg {
    Utf8,
    Windows1252,
}

#[derive(Copy, Clone, ValueEnum)]
pub enum DecimalArg {
    Point,
    Comma,
}

#[derive(Args)]
pub struct ImportArgs {
    /// Files to import, in order (area definitions before the tables that use them).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// What the files are (default: detected).
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Geo level of area definitions or geometry (default: the file name without extension).
    #[arg(long)]
    pub level: Option<String>,
    /// Sheet of a workbook (default: the first that fits).
    #[arg(long)]
    pub sheet: Option<String>,
    /// CSV delimiter (default: detected).
    #[arg(long)]
    pub delimiter: Option<char>,
    /// CSV encoding (default: detected; UTF-8 with or without BOM, else Windows-1252).
    #[arg(long, value_enum)]
    pub encoding: Option<EncodingArg>,
    /// Decimal separator (default: detected).
    #[arg(long, value_enum)]
    pub decimal: Option<DecimalArg>,
    #[arg(long)]
    pub period_column: Option<String>,
    #[arg(long)]
    pub geolevel_column: Option<String>,
    #[arg(long)]
    pub geoitem_column: Option<String>,
    #[arg(long)]
    pub indicator_column: Option<String>,
    #[arg(long)]
    pub value_column: Option<String>,
    /// The period of every row when the file has no period column.
    #[arg(long)]
    pub period: Option<String>,
    /// The geo level of every row when the file has no geolevel column.
    #[arg(long)]
    pub geolevel: Option<String>,
    /// Columns to leave out (repeat or comma list).
    #[arg(long, value_delimiter = ',')]
    pub ignore_column: Vec<String>,
    /// What to clear first: nothing, all data of the file's indicators, or the
    /// (indicator, level, period) combinations in the file.
    #[arg(long, value_enum, default_value = "none")]
    pub clear: ClearArg,
    /// Set indicator start/end periods to the loaded range (default: only widen them).
    #[arg(long)]
    pub adjust_periods: bool,
    /// Add up duplicate records instead of refusing the file.
    #[arg(long)]
    pub totalize_duplicates: bool,
    /// Leave out records holding a missing code.
    #[arg(long)]
    pub drop_special_codes: bool,
    /// Leave out records with unknown area codes instead of refusing the file.
    #[arg(long)]
    pub skip_unknown_areas: bool,
    /// Refuse unknown indicator codes instead of creating them.
    #[arg(long)]
    pub no_new_indicators: bool,
    /// Load blank cells as this missing symbol (x, ?, nvt, -).
    #[arg(long)]
    pub empty_as: Option<String>,
    /// A column that flags rows (e.g. sourceStatus); used with --status-map, not loaded.
    #[arg(long)]
    pub status_column: Option<String>,
    /// VALUE=SYMBOL: blank cells of rows whose status is VALUE load as SYMBOL
    /// (e.g. not-published=x). Repeat or comma list.
    #[arg(long, value_delimiter = ',')]
    pub status_map: Vec<String>,
    /// Geometry: the attribute with the item code (default: detected).
    #[arg(long)]
    pub code_column: Option<String>,
    /// Geometry: source CRS, e.g. EPSG:31370 (default: from the file).
    #[arg(long)]
    pub crs: Option<String>,
    /// Geometry: web simplification tolerance in metres.
    #[arg(long, default_value_t = 10.0)]
    pub simplify_m: f64,
    /// Write nothing: report what the import would do (rows read, values added, changed,
    /// unchanged and cleared, new indicators and periods, a sample of changes, plausibility
    /// warnings, every problem).
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON (with --dry-run, or after an import).
    #[arg(long)]
    pub json: bool,
    /// Plausibility: warn when a value changes by more than this factor against the same
    /// area's previous period (default: peil.toml's [plausibility] jump_factor, else 2).
    #[arg(long)]
    pub jump_factor: Option<f64>,
    /// Plausibility: check jumps only from previous values at least this large (default 20).
    #[arg(long)]
    pub jump_min: Option<f64>,
    /// Plausibility: how far (a fraction) a loaded total may differ from the sum of its
    /// loaded areas (default 0.005).
    #[arg(long)]
    pub total_tolerance: Option<f64>,
    /// Who imports (for the provenance record; default $USER).
    #[arg(long, env = "USER", default_value = "unknown")]
    pub who: String,
}

#[derive(Args)]
pub struct InitArgs {
    /// Directory to create (default: the --site directory or the current one).
    pub dir: Option<PathBuf>,
    /// The site's name.
    #[arg(long, default_value = "Stad in cijfers")]
    pub name: String,
    /// Keep the site's data in a PostgreSQL database instead of the SQLite file peil.sqlite:
    /// postgres://user@host:port/database, without a password (give it in
    /// PEIL_STORE_PASSWORD or --store-password-file). Written to peil.toml as `store`.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// The PostgreSQL schema that holds this site (default peil); sites sharing a database
    /// each need their own.
    #[arg(long, value_name = "NAME", requires = "store")]
    pub store_schema: Option<String>,
    /// A file, relative to the site directory, whose first line is the PostgreSQL password.
    #[arg(long, value_name = "FILE", requires = "store")]
    pub store_password_file: Option<String>,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Indicator codes (comma list; default all).
    #[arg(long, value_delimiter = ',')]
    pub indicator: Vec<String>,
    /// Geo level (default all).
    #[arg(long)]
    pub level: Option<String>,
    /// Period codes (comma list; default all).
    #[arg(long, value_delimiter = ',')]
    pub period: Vec<String>,
    /// Output file (default standard output).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Export the live (published) copy instead of the loaded test copy.
    #[arg(long)]
    pub live: bool,
}

#[derive(Args)]
pub struct PublishArgs {
    /// Turn off secondary suppression (thresholds still apply).
    #[arg(long)]
    pub no_secondary_suppression: bool,
    /// Publish even when loaded values reach no parent item on a level their siblings
    /// reach (they would be missing from every total above; listed either way).
    #[arg(long)]
    pub allow_lost_values: bool,
    /// Show what publishing would change in the live copy, and publish nothing.
    #[arg(long)]
    pub diff: bool,
    /// With --diff: print the difference as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct PullArgs {
    /// The source's name in peil.toml (default: every source).
    pub source: Option<String>,
    /// Fetch and check everything, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Who pulls (for the provenance record; default $USER).
    #[arg(long, env = "USER", default_value = "unknown")]
    pub who: String,
    /// Seconds a request to the source may take.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Further attempts after a failed request, with doubling back-off.
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
}

#[derive(Args)]
pub struct MigrateStoreArgs {
    /// Where the site is now: a site directory, a SQLite file or a postgres:// URL.
    pub from: String,
    /// Where it goes: a site directory, a SQLite file (made) or a postgres:// URL.
    pub to: String,
    /// The PostgreSQL schema FROM is in, when FROM is a URL (default peil).
    #[arg(long, value_name = "NAME")]
    pub from_schema: Option<String>,
    /// The PostgreSQL schema TO is in, when TO is a URL (default peil).
    #[arg(long, value_name = "NAME")]
    pub to_schema: Option<String>,
    /// Replace the site TO holds (without it, a target that holds one is refused).
    #[arg(long)]
    pub replace: bool,
    /// What was copied, as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct MigrateArgs {
    /// The Swing site's base URL (its OData service is URL/jiveservices/odata/).
    pub url: String,
    /// The new site's directory (created; an existing migration there is continued).
    pub dir: PathBuf,
    /// The new site's name (default: "Stad in cijfers").
    #[arg(long, default_value = "Stad in cijfers")]
    pub name: String,
    /// An environment variable holding an API key for the Swing site.
    #[arg(long)]
    pub key_env: Option<String>,
    /// Indicators per transaction (an interruption loses at most one such step).
    #[arg(long, default_value_t = 25)]
    pub chunk: usize,
    /// The report as JSON on standard output (no progress bar).
    #[arg(long)]
    pub json: bool,
    /// Who migrates (for the provenance record; default $USER).
    #[arg(long, env = "USER", default_value = "unknown")]
    pub who: String,
    /// Seconds a request to the source may take.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Further attempts after a failed request, with doubling back-off.
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
}

#[derive(Args)]
pub struct SourcesArgs {
    #[command(subcommand)]
    pub action: Option<SourcesAction>,
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum SourcesAction {
    /// The runs of one source (or of `publish`, the scheduled publish), newest first.
    History {
        name: String,
        /// How many runs to list.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Args)]
pub struct ImportsArgs {
    #[command(subcommand)]
    pub action: Option<ImportsAction>,
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum ImportsAction {
    /// One import with its provenance and plausibility warnings.
    Show { id: i64 },
    /// Put the test copy back exactly as it was before an import that is not published yet,
    /// in one transaction. Refused when it was published, or a later import (not undone)
    /// changed the same values: undo that one first.
    Undo { id: i64 },
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port; the address is printed first).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Build the demo city (into the --site directory, else ./peil-demo) and serve it.
    #[arg(long)]
    pub demo: bool,
    /// Requests per second per client address (default: `rate_limit` in peil.toml, else none).
    #[arg(long)]
    pub rate_limit: Option<u32>,
    /// Serve every site in this directory from one process: each subdirectory with a
    /// peil.toml is a site, answered for the host name that is its directory's name
    /// (DIR/gent.example.be/ for `Host: gent.example.be`); sites added or removed are picked
    /// up within seconds, a site that cannot be opened answers 503 and affects no other.
    #[arg(long, conflicts_with = "demo")]
    pub sites: Option<PathBuf>,
}

#[derive(Args)]
pub struct ReportArgs {
    /// The story's name: a file in stories/ (without .md), or the built-in omgevingsanalyse.
    pub name: String,
    /// The level of the areas (default: the story's).
    #[arg(long)]
    pub level: Option<String>,
    /// One area's code (a PDF).
    #[arg(long, conflicts_with = "all")]
    pub area: Option<String>,
    /// Every area of the level (a ZIP of PDFs).
    #[arg(long)]
    pub all: bool,
    /// Comparison area as level:code (default: the story's).
    #[arg(long)]
    pub compare: Option<String>,
    /// Language of the words Peil adds (nl, en, fr).
    #[arg(long, default_value = "nl")]
    pub lang: String,
    /// Render a dashboard (dashboards/NAME.toml) instead of a story.
    #[arg(long)]
    pub dashboard: bool,
    /// Output file: .pdf for one area (or .md: its Markdown, figures as SVG files beside it),
    /// .zip for --all.
    #[arg(long, short)]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct DemoArgs {
    /// Directory for the demo site (default: the --site directory, else ./peil-demo).
    pub dir: Option<PathBuf>,
    /// Only build the site; do not start the web server.
    #[arg(long)]
    pub no_serve: bool,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
}
