//! The Connector: pulls indicators from another Peil site (a province's, say) into this site's
//! test copy, with PinC's Connector semantics:
//!
//! - codes get the source's **prefix** (`dna_`), references inside metadata too;
//! - pulled indicators are **protected**: only a pull changes their metadata (the store refuses
//!   every other metadata import of them, `ImportTx::apply_metadata`);
//! - a pull **never deletes**: an indicator the source no longer offers is flagged in its
//!   provenance (`gone_at`), its metadata and values stay;
//! - **incremental**: the source's `/api/v1/hashes` gives a content hash per indicator (metadata
//!   and every value the key may see); only indicators whose hash differs from the one kept in
//!   the store's provenance are fetched;
//! - **suppression kept**: published values are taken as published, `x` stays `x`, thresholds
//!   travel with the metadata; the source's access groups do not travel (a restricted indicator
//!   arrives restricted to no group of this site), and the source answers only what the key may
//!   see.
//!
//! Everything is fetched and validated first (codes, periods, numbers, sizes); only then is one
//! `ImportTx` opened, applied and committed, so a failed pull leaves the store exactly as it
//! was and the next run simply runs again.

pub mod cron;
pub mod file;
mod http;
mod map;
pub mod migrate;
pub mod scheduler;
mod swing;
mod swing_pull;

pub use file::{FileReport, pull_file};
pub use http::Limits;

use peil_core::*;
use peil_store::{ImportTx, Provenance, Store};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

/// A source declared in `peil.toml` (`[[sources]]`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The name `peil pull NAME` uses, and the key of its provenance.
    pub name: String,
    /// The source site's base URL, e.g. `https://provincies.incijfers.be`. Only this host is
    /// contacted; redirects are not followed.
    pub url: String,
    /// An environment variable holding the API key for the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_env: Option<String>,
    /// A file holding the API key (relative to the site directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
    /// Indicator codes at the source to take.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<String>,
    /// Theme codes at the source: every indicator in these subtrees.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub themes: Vec<String>,
    /// Metadata sources (the indicator's `source` field): all their indicators.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_names: Vec<String>,
    /// Geo levels to take (default: all the source publishes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<String>,
    /// Leave out periods that start before this one (e.g. `"2015"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub periods_from: Option<String>,
    /// Put before every code taken from the source (e.g. `"dna_"`).
    #[serde(default)]
    pub prefix: String,
    /// What the source is: `peil` (the default; another Peil site, read through its native
    /// API), `swing` (any Swing site, read through its OData service and selection table only)
    /// or `file` (a CSV, workbook or ZIP at `url`).
    #[serde(default, skip_serializing_if = "SourceKind::is_peil")]
    pub kind: SourceKind,
    /// When `peil serve` runs it: a cron expression in the site's time zone (`"0 6 * * mon"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Publish the test copy after a scheduled run that changed it.
    #[serde(default)]
    pub publish: bool,
    /// A file source's part of a ZIP archive to import (default: its only data file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// A file source's import options and column mapping, as `peil import` takes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<peil_import::options::ImportOptions>,
}

/// What a source is, and so how it is read.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// Another Peil site: content hashes per indicator, the native API.
    #[default]
    Peil,
    /// A Swing site (or anything serving Swing's public API): OData and the selection table;
    /// hashes are computed here from what was fetched.
    Swing,
    /// A file at an address, imported as `peil import` does.
    File,
}

impl SourceKind {
    fn is_peil(&self) -> bool {
        *self == SourceKind::Peil
    }

    pub fn code(self) -> &'static str {
        match self {
            SourceKind::Peil => "peil",
            SourceKind::Swing => "swing",
            SourceKind::File => "file",
        }
    }
}

impl Source {
    /// Checks what `peil.toml` says before anything is contacted.
    pub fn check(&self) -> Result<(), String> {
        if !map::good_code(&self.name) {
            return Err(format!("source name '{}' is not a valid name", self.name));
        }
        let u = self.url.as_str();
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(format!(
                "source {}: url '{}' must start with http:// or https://",
                self.name, self.url
            ));
        }
        if !self.prefix.is_empty() && !map::good_code(&self.prefix) {
            return Err(format!(
                "source {}: prefix '{}' is not valid",
                self.name, self.prefix
            ));
        }
        if let Some(p) = &self.periods_from {
            Period::parse(p).map_err(|e| format!("source {}: periods_from: {e}", self.name))?;
        }
        if let Some(s) = &self.schedule {
            cron::Cron::parse(s).map_err(|e| format!("source {}: schedule: {e}", self.name))?;
        }
        match self.kind {
            SourceKind::Peil | SourceKind::Swing => {
                if self.member.is_some() || self.import.is_some() {
                    return Err(format!(
                        "source {}: member and import are for kind = \"file\"",
                        self.name
                    ));
                }
            }
            SourceKind::File => {
                if !(self.indicators.is_empty()
                    && self.themes.is_empty()
                    && self.source_names.is_empty()
                    && self.levels.is_empty()
                    && self.periods_from.is_none()
                    && self.prefix.is_empty())
                {
                    return Err(format!(
                        "source {}: indicators, themes, source_names, levels, periods_from and prefix \
                         are for a Peil site; a file source takes its columns from [sources.import]",
                        self.name
                    ));
                }
                if let Some(o) = &self.import {
                    o.request("")
                        .map_err(|e| format!("source {}: import: {e}", self.name))?;
                }
            }
        }
        if self.key_env.is_some() && self.key_file.is_some() {
            return Err(format!(
                "source {}: give key_env or key_file, not both",
                self.name
            ));
        }
        Ok(())
    }

    /// The key for the source, if one is declared.
    pub fn key(&self, site_dir: &std::path::Path) -> Result<Option<String>, PullError> {
        if let Some(var) = &self.key_env {
            return std::env::var(var)
                .map(|k| Some(k.trim().to_string()))
                .map_err(|_| {
                    PullError::Config(format!(
                        "source {}: the environment variable {var} (key_env) is not set",
                        self.name
                    ))
                });
        }
        if let Some(f) = &self.key_file {
            let path: PathBuf = site_dir.join(f);
            return std::fs::read_to_string(&path)
                .map(|k| Some(k.trim().to_string()))
                .map_err(|e| {
                    PullError::Config(format!(
                        "source {}: cannot read key_file {}: {e}",
                        self.name,
                        path.display()
                    ))
                });
        }
        Ok(None)
    }
}

/// A failure of the pull as a whole; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Store(#[from] peil_store::StoreError),
    #[error("{0}")]
    Config(String),
    #[error("{url}: {why} (after {attempts} attempts); nothing was written, run the pull again")]
    Network {
        url: String,
        why: String,
        attempts: u32,
    },
    #[error("{url}: {why}; nothing was written")]
    Refused { url: String, why: String },
    #[error("{url}: the source sent something invalid: {why}; nothing was written")]
    Invalid { url: String, why: String },
    #[error("{url}: the file was refused; nothing was written:\n{problems}")]
    FileRefused { url: String, problems: String },
    #[error(transparent)]
    Import(#[from] peil_import::ImportError),
}

/// What the user chose for one pull.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    pub dry_run: bool,
    pub who: String,
    pub limits: Limits,
    /// Thresholds of the plausibility checks of a file source's data.
    pub plausibility: peil_import::plausibility::Thresholds,
}

/// An indicator not taken, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Refusal {
    pub code: String,
    pub why: String,
}

/// What a pull did (or, dry, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub source: String,
    pub url: String,
    pub dry_run: bool,
    pub import_id: Option<i64>,
    /// Local codes of indicators new to this site.
    pub added: Vec<String>,
    /// Local codes of indicators whose metadata or values changed at the source.
    pub changed: Vec<String>,
    /// How many indicators were unchanged (not transferred).
    pub unchanged: u64,
    /// Local codes of indicators the source no longer offers (kept, flagged).
    pub flagged: Vec<String>,
    pub refused: Vec<Refusal>,
    /// Indicators whose metadata and values were transferred.
    pub transferred: u64,
    /// Values written, by the store's counts.
    pub values: ApplyCounts,
    pub levels_added: Vec<String>,
    pub items_added: u64,
    pub links_added: u64,
    /// Notes for people (formulas taken as values, references not pulled…).
    pub notes: Vec<String>,
    pub requests: u64,
    /// Bytes of answer bodies received.
    pub bytes: u64,
}

// --- what the source sends -------------------------------------------------------------------

#[derive(Deserialize)]
struct Hashes {
    version: String,
    indicators: Vec<HashEntry>,
    #[serde(default)]
    themes: Vec<ThemeEntry>,
}

#[derive(Deserialize, Clone)]
struct HashEntry {
    code: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    themes: Vec<String>,
    hash: String,
    #[serde(default = "yes")]
    public: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Clone)]
struct ThemeEntry {
    code: String,
    parent: Option<String>,
}

#[derive(Deserialize)]
struct Levels {
    geolevels: Vec<LevelEntry>,
}

#[derive(Deserialize)]
struct LevelEntry {
    code: String,
    name: String,
    kind: String,
    #[serde(default)]
    parents: Vec<String>,
}

#[derive(Deserialize)]
struct Items {
    items: Vec<ItemEntry>,
}

#[derive(Deserialize)]
struct ItemEntry {
    code: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    seq: i64,
    #[serde(default)]
    unknown_location: bool,
    #[serde(default)]
    parents: BTreeMap<String, String>,
}

/// One row of the source's CSV data answer (numbers as the source wrote them, read exactly).
struct DataRow {
    indicator: String,
    item: String,
    period: String,
    /// The cube cell: (dim level, member) of each dim level column that is filled.
    dims: Vec<(String, String)>,
    value: String,
    status: String,
}

/// Reads the source's CSV data answer: the columns by name; the columns between `period` and
/// `value` are the answer's dim levels (named `dim_LEVEL` where the level's code is one of the
/// fixed columns' names), empty where a cell is not split by that level.
fn data_rows(body: &[u8]) -> Result<Vec<DataRow>, String> {
    let mut r = csv::ReaderBuilder::new().from_reader(body);
    let head = r
        .headers()
        .map_err(|e| format!("not the CSV expected: {e}"))?
        .clone();
    let col = |n: &str| {
        head.iter()
            .position(|h| h == n)
            .ok_or(format!("the CSV has no column {n}"))
    };
    let (ind, item, period, value, status) = (
        col("indicator")?,
        col("item")?,
        col("period")?,
        col("value")?,
        col("status")?,
    );
    if value <= period {
        return Err("the CSV's value column comes before its period column".into());
    }
    let dim_cols: Vec<(usize, String)> = (period + 1..value)
        .map(|i| (i, peil_core::dim_level_of_column(&head[i]).to_string()))
        .collect();
    if dim_cols.iter().any(|(_, l)| !map::good_code(l)) {
        return Err("the CSV has a dim level column without a valid code".into());
    }
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| format!("not the CSV expected: {e}"))?;
        let get = |i: usize| -> Result<String, String> {
            let f = rec.get(i).ok_or("a short CSV row")?;
            // Text cells a spreadsheet would run are written with a leading quote.
            Ok(match f.strip_prefix('\'') {
                Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest.to_string(),
                _ => f.to_string(),
            })
        };
        let mut dims = Vec::new();
        for (i, l) in &dim_cols {
            let m = get(*i)?;
            if !m.is_empty() {
                dims.push((l.clone(), m));
            }
        }
        out.push(DataRow {
            indicator: get(ind)?,
            item: get(item)?,
            period: get(period)?,
            dims,
            value: get(value)?,
            status: get(status)?,
        });
    }
    Ok(out)
}

/// Indicators per data request (one level each); a cube is asked for alone, with all its cells.
const DATA_CHUNK: usize = 25;

/// One value to write: (local indicator code, level, period, item, cube cell, value).
pub(crate) type Row = (String, String, Period, String, DimKey, Value);

/// Pulls one source into the store's test copy (see the crate's documentation).
pub fn pull(
    store: &mut Store,
    source: &Source,
    key: Option<String>,
    opts: &PullOptions,
) -> Result<Report, PullError> {
    source.check().map_err(PullError::Config)?;
    let client = http::Client::new(&source.url, key, opts.limits.clone());
    match source.kind {
        SourceKind::Peil => pull_peil(store, source, &client, opts),
        SourceKind::Swing => swing_pull::pull(store, source, &client, opts),
        SourceKind::File => Err(PullError::Config(format!(
            "source {} is a file: it is fetched by pull_file",
            source.name
        ))),
    }
}

/// A pull from a Peil site through its native API (`/api/v1/hashes`, indicators, levels,
/// data).
fn pull_peil(
    store: &mut Store,
    source: &Source,
    client: &http::Client,
    opts: &PullOptions,
) -> Result<Report, PullError> {
    let fetched_at = peil_store::utc_now();
    let mut report = Report {
        source: source.name.clone(),
        url: source.url.clone(),
        dry_run: opts.dry_run,
        ..Report::default()
    };
    let prefix = source.prefix.as_str();
    let local = |code: &str| format!("{prefix}{code}");

    // 1. What the source offers this key, with a content hash per indicator.
    let hashes: Hashes = client.json("/api/v1/hashes", false)?;
    let hashes_url = client.url("/api/v1/hashes");
    if hashes.indicators.len() > 200_000 {
        return Err(PullError::Invalid {
            url: hashes_url,
            why: "more than 200,000 indicators".into(),
        });
    }
    let mut offered: BTreeMap<String, HashEntry> = BTreeMap::new();
    for h in &hashes.indicators {
        if !map::good_code(&h.code) || !map::good_code(&local(&h.code)) || h.hash.len() > 128 {
            return Err(PullError::Invalid {
                url: hashes_url,
                why: format!("indicator code '{}' is not valid", shown(&h.code)),
            });
        }
        offered.insert(h.code.clone(), h.clone());
    }

    // 2. What this site takes.
    let wanted_themes = theme_subtrees(&hashes.themes, &source.themes);
    let take_all =
        source.indicators.is_empty() && source.themes.is_empty() && source.source_names.is_empty();
    let selected: Vec<&HashEntry> = offered
        .values()
        .filter(|h| {
            take_all
                || source.indicators.contains(&h.code)
                || source.source_names.contains(&h.source)
                || h.themes.iter().any(|t| wanted_themes.contains(t))
        })
        .collect();
    for code in &source.indicators {
        if !offered.contains_key(code) {
            report.refused.push(Refusal {
                code: code.clone(),
                why: "the source does not offer it (unknown, or not visible to this key)".into(),
            });
        }
    }
    for t in &source.themes {
        if !hashes.themes.iter().any(|x| &x.code == t) {
            report.refused.push(Refusal {
                code: format!("theme {t}"),
                why: "the source has no such theme visible to this key".into(),
            });
        }
    }

    // 3. Against what earlier pulls brought.
    let known: HashMap<String, Provenance> = store
        .pull_provenance(&source.name)?
        .into_iter()
        .map(|p| (p.code.clone(), p))
        .collect();
    let mut fetch: Vec<&HashEntry> = Vec::new();
    for h in &selected {
        let code = local(&h.code);
        match known.get(&code) {
            Some(p) if p.hash == h.hash && p.gone_at.is_none() => report.unchanged += 1,
            Some(_) => {
                report.changed.push(code);
                fetch.push(h);
            }
            None => match store.indicator(&code)? {
                Some(ind) if !ind.protected => report.refused.push(Refusal {
                    code,
                    why: "this site has an indicator of its own with that code; choose another prefix".into(),
                }),
                Some(_) => report.refused.push(Refusal {
                    code,
                    why: "a protected indicator of that code comes from another source".into(),
                }),
                None => {
                    report.added.push(code);
                    fetch.push(h);
                }
            },
        }
    }
    let mut gone: Vec<String> = Vec::new();
    for (code, p) in &known {
        if !offered.contains_key(&p.remote_code) && p.gone_at.is_none() {
            gone.push(code.clone());
        }
    }
    gone.sort();

    // 4. Metadata of what changed, validated and mapped.
    let mut indicators: Vec<(String, Indicator, String)> = Vec::new();
    let mut theme_names: BTreeMap<String, LocalizedText> = BTreeMap::new();
    // Per cube (code at the source): its dim levels with their members.
    let mut cube_levels: HashMap<String, Vec<(String, Vec<String>)>> = HashMap::new();
    for h in &fetch {
        let path = format!("/api/v1/indicators/{}", map::encode(&h.code));
        let url = client.url(&path);
        let meta: serde_json::Value = client.json(&path, false)?;
        let parsed = map::indicator(&meta, prefix, &mut theme_names).and_then(|(ind, notes)| {
            let members = map::cube_members(&meta)?;
            if let Some(l) = ind
                .dim_levels
                .iter()
                .find(|l| !members.iter().any(|(m, _)| m == *l))
            {
                return Err(format!("the cube lists dim level {l} without its members"));
            }
            if !ind.dim_levels.is_empty() {
                cube_levels.insert(h.code.clone(), members);
            }
            Ok((ind, notes))
        });
        match parsed {
            Ok((mut ind, notes)) if ind.code == local(&h.code) => {
                // The source's access groups do not travel: restricted there is restricted
                // here, to no group until this site grants it.
                if !h.public {
                    ind.visibility = Visibility::Restricted(Vec::new());
                }
                report.notes.extend(notes);
                indicators.push((h.code.clone(), ind, url));
            }
            Ok(_) => {
                return Err(PullError::Invalid {
                    url,
                    why: "the answer is about another indicator".into(),
                });
            }
            Err(why) => {
                let code = local(&h.code);
                report.added.retain(|c| c != &code);
                report.changed.retain(|c| c != &code);
                report.refused.push(Refusal { code, why });
            }
        }
    }

    // 5. Areas, hierarchy and values, only when something is transferred.
    let periods_from = source
        .periods_from
        .as_deref()
        .and_then(|p| Period::parse(p).ok());
    let mut areas: Vec<AreaBatch> = Vec::new();
    let mut links: Vec<LinkBatch> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    if !indicators.is_empty() {
        let catalog = store.catalog()?;
        let levels: Levels = client.json("/api/v1/geolevels", false)?;
        let levels_url = client.url("/api/v1/geolevels");
        let chosen: Vec<&LevelEntry> = levels
            .geolevels
            .iter()
            .filter(|l| source.levels.is_empty() || source.levels.contains(&l.code))
            .collect();
        for l in &source.levels {
            if !levels.geolevels.iter().any(|x| &x.code == l) {
                return Err(PullError::Config(format!(
                    "source {}: the source has no geo level '{l}' (levels in peil.toml)",
                    source.name
                )));
            }
        }
        let chosen_codes: HashSet<&str> = chosen.iter().map(|l| l.code.as_str()).collect();
        let mut parents_of: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
        for l in &chosen {
            if !map::good_code(&l.code) || l.name.chars().count() > 500 {
                return Err(PullError::Invalid {
                    url: levels_url,
                    why: format!("geo level '{}' is not valid", shown(&l.code)),
                });
            }
            let path = format!("/api/v1/geolevels/{}/items", map::encode(&l.code));
            let url = client.url(&path);
            let items: Items = client.json(&path, true)?;
            let have = catalog.levels.get(&l.code);
            let mut new_items = Vec::new();
            let mut seen = HashSet::new();
            for it in &items.items {
                if !map::good_code(&it.code)
                    || it.name.chars().count() > 500
                    || it.short_name.chars().count() > 500
                    || !seen.insert(it.code.clone())
                {
                    return Err(PullError::Invalid {
                        url,
                        why: format!(
                            "area '{}' of level {} is not valid or twice",
                            shown(&it.code),
                            l.code
                        ),
                    });
                }
                for (pl, pc) in &it.parents {
                    if chosen_codes.contains(pl.as_str()) && map::good_code(pc) {
                        parents_of.entry(l.code.clone()).or_default().push((
                            it.code.clone(),
                            pl.clone(),
                            pc.clone(),
                        ));
                    }
                }
                if have.is_none_or(|h| !h.items.contains_key(&it.code)) {
                    new_items.push(GeoItem {
                        code: it.code.clone(),
                        short_name: it.short_name.clone(),
                        name: it.name.clone(),
                        seq: it.seq,
                        unknown_location: it.unknown_location,
                    });
                }
            }
            if have.is_none() {
                report.levels_added.push(l.code.clone());
            }
            if !new_items.is_empty() {
                report.items_added += new_items.len() as u64;
                areas.push(AreaBatch {
                    level: GeoLevel {
                        code: l.code.clone(),
                        name: l.name.clone(),
                        kind: GeoLevelKind::parse(&l.kind).unwrap_or_default(),
                    },
                    items: new_items,
                });
            }
        }
        // The hierarchy between chosen levels where this site has none of its own.
        for l in &chosen {
            for p in &l.parents {
                if !chosen_codes.contains(p.as_str())
                    || catalog.edges.iter().any(|(c, q)| c == &l.code && q == p)
                {
                    continue;
                }
                let pairs: Vec<(String, String)> = parents_of
                    .get(&l.code)
                    .into_iter()
                    .flatten()
                    .filter(|(_, pl, _)| pl == p)
                    .map(|(c, _, pc)| (c.clone(), pc.clone()))
                    .collect();
                if !pairs.is_empty() {
                    report.links_added += pairs.len() as u64;
                    links.push(LinkBatch {
                        child_level: l.code.clone(),
                        parent_level: p.clone(),
                        kind: EdgeKind::Aggregation,
                        links: pairs,
                    });
                }
            }
        }
        // Values, per level, in chunks of flat indicators; each cube alone with every cell.
        let flat: Vec<&str> = indicators
            .iter()
            .filter(|(r, _, _)| !cube_levels.contains_key(r))
            .map(|(r, _, _)| r.as_str())
            .collect();
        let mut requests: Vec<(Vec<&str>, &str)> =
            flat.chunks(DATA_CHUNK).map(|c| (c.to_vec(), "")).collect();
        for (r, _, _) in &indicators {
            if cube_levels.contains_key(r) {
                requests.push((vec![r.as_str()], "&dims=all"));
            }
        }
        let remote_to_local: HashMap<&str, &str> = indicators
            .iter()
            .map(|(r, i, _)| (r.as_str(), i.code.as_str()))
            .collect();
        let cube_cells: HashMap<&str, HashSet<(&str, &str)>> = cube_levels
            .iter()
            .map(|(c, ls)| {
                let cells = ls
                    .iter()
                    .flat_map(|(l, ms)| ms.iter().map(move |m| (l.as_str(), m.as_str())))
                    .collect();
                (c.as_str(), cells)
            })
            .collect();
        for l in &chosen {
            for (chunk, dims) in &requests {
                let list: Vec<String> = chunk.iter().map(|c| map::encode(c)).collect();
                let path = format!(
                    "/api/v1/data?indicator={}&level={}&period=all{dims}&names=no&format=csv",
                    list.join(","),
                    map::encode(&l.code)
                );
                let url = client.url(&path);
                let answer: Vec<DataRow> = match client.fetch(&path, true, data_rows) {
                    Ok(a) => a,
                    // An indicator without values on this level answers 404.
                    Err(PullError::Invalid { why, .. }) if why.contains("404") => continue,
                    Err(e) => return Err(e),
                };
                for r in answer {
                    let bad = |why: &str| PullError::Invalid {
                        url: url.clone(),
                        why: format!(
                            "{why}: indicator '{}', area '{}', period '{}'",
                            shown(&r.indicator),
                            shown(&r.item),
                            shown(&r.period)
                        ),
                    };
                    if !chunk.contains(&r.indicator.as_str()) {
                        return Err(bad("an indicator not asked for"));
                    }
                    let code = remote_to_local[r.indicator.as_str()];
                    let cube = cube_cells.get(r.indicator.as_str());
                    for (dl, m) in &r.dims {
                        if !cube.is_some_and(|c| c.contains(&(dl.as_str(), m.as_str()))) {
                            return Err(bad(&format!(
                                "a cube cell {}={} the indicator's metadata does not list",
                                shown(dl),
                                shown(m)
                            )));
                        }
                    }
                    if !map::good_code(&r.item) {
                        return Err(bad("an area code that is not valid"));
                    }
                    let period =
                        Period::parse(&r.period).map_err(|_| bad("a period that is not valid"))?;
                    if periods_from.is_some_and(|f| period.bounds().0 < f.bounds().0) {
                        continue;
                    }
                    let value = match (r.value.as_str(), r.status.as_str()) {
                        (v, "") if !v.is_empty() => match v.parse::<f64>() {
                            Ok(n) if n.is_finite() => Value::Number(n),
                            _ => return Err(bad("a value that is not a number")),
                        },
                        ("", s) if !s.is_empty() => match MissingCode::from_symbol(s) {
                            // Empty is no record: nothing to load.
                            Some(MissingCode::Empty) => continue,
                            Some(c) => Value::Missing(c),
                            None => return Err(bad("an unknown status")),
                        },
                        ("", "") => continue,
                        _ => return Err(bad("a value that is not a number or a missing code")),
                    };
                    rows.push((
                        code.to_string(),
                        l.code.clone(),
                        period,
                        r.item,
                        DimKey::new(r.dims),
                        value,
                    ));
                }
            }
        }
    }
    // The theme tree of what is transferred, with the ancestors of its themes so the tree
    // keeps its shape.
    let mut theme_codes: BTreeSet<String> = BTreeSet::new();
    for (_, ind, _) in &indicators {
        for t in &ind.themes {
            theme_codes.insert(t.clone());
        }
    }
    let parent: HashMap<String, Option<String>> = hashes
        .themes
        .iter()
        .map(|t| (local(&t.code), t.parent.as_deref().map(local)))
        .collect();
    let mut todo: Vec<String> = theme_codes.iter().cloned().collect();
    while let Some(t) = todo.pop() {
        if let Some(Some(p)) = parent.get(&t)
            && theme_codes.insert(p.clone())
        {
            todo.push(p.clone());
        }
    }
    let themes: Vec<Theme> = theme_codes
        .iter()
        .enumerate()
        .map(|(seq, t)| Theme {
            code: t.clone(),
            parent: parent.get(t).cloned().flatten(),
            name: theme_names
                .get(t)
                .cloned()
                .unwrap_or_else(|| LocalizedText::nl(t.strip_prefix(prefix).unwrap_or(t))),
            seq: seq as i64,
        })
        .collect();
    let selection = selected
        .iter()
        .map(|h| format!("{}={}", h.code, h.hash))
        .collect::<Vec<_>>()
        .join("\n");
    let cubes: Vec<PulledCube> = indicators
        .iter()
        .filter_map(|(r, ind, _)| {
            cube_levels
                .get(r)
                .map(|ls| (ind.code.as_str(), ind.dim_levels.as_slice(), ls.as_slice()))
        })
        .collect();
    let cubes = cube_meta(&cubes, &rows);
    let transfer = Transfer {
        areas,
        links,
        themes,
        cubes,
        indicators: indicators
            .into_iter()
            .map(|(remote, ind, url)| {
                let hash = offered[&remote].hash.clone();
                (remote, ind, url, hash)
            })
            .collect(),
        rows,
        gone,
        selection,
        hash_version: hashes.version,
    };
    report.requests = client.requests.get();
    report.bytes = client.bytes.get();
    apply(
        store,
        source,
        &transfer,
        &mut report,
        opts,
        &fetched_at,
        "pull",
    )?;
    Ok(report)
}

/// Dimensions, dim levels and members of the cubes a pull transfers.
#[derive(Default)]
pub(crate) struct CubeMeta {
    pub dimensions: Vec<Dimension>,
    pub levels: Vec<DimLevel>,
    pub members: Vec<DimMember>,
}

impl CubeMeta {
    /// Adds another cube's, leaving out what is already here (shared dimensions and levels).
    pub(crate) fn extend(&mut self, other: CubeMeta) {
        for d in other.dimensions {
            if !self.dimensions.iter().any(|x| x.code == d.code) {
                self.dimensions.push(d);
            }
        }
        for l in other.levels {
            if !self.levels.iter().any(|x| x.code == l.code) {
                self.levels.push(l);
            }
        }
        let have: HashSet<(String, String)> = (self.members.iter())
            .map(|m| (m.level.clone(), m.code.clone()))
            .collect();
        for m in other.members {
            if !have.contains(&(m.level.clone(), m.code.clone())) {
                self.members.push(m);
            }
        }
    }
}

/// A transferred cube as [`cube_meta`] reads it: its local code, its own dim levels, and every
/// dim level its cells are published on with the members.
pub(crate) type PulledCube<'a> = (&'a str, &'a [String], &'a [(String, Vec<String>)]);

/// The dimensions of transferred cubes as the source publishes them — per cube (local code,
/// its own dim levels, every dim level its cells are published on with the members): each of
/// the cube's own dim levels is a dimension of that code (as Swing's OData names them); a
/// coarser level its cells are also published on belongs to the first of the cube's levels it
/// never shares a cell with (age in 3 bands beside age in 5 bands). Names are the codes: the
/// published surface carries none, nor how fine members roll up into coarse ones, so a coarse
/// level's cells arrive as the published values they are.
pub(crate) fn cube_meta(cubes: &[PulledCube], rows: &[Row]) -> CubeMeta {
    let mut keys: HashMap<&str, HashSet<&DimKey>> = HashMap::new();
    for r in rows {
        if !r.4.is_empty() {
            keys.entry(r.0.as_str()).or_default().insert(&r.4);
        }
    }
    let mut out = CubeMeta::default();
    let mut level_seen: HashSet<String> = HashSet::new();
    for (code, own, levels) in cubes {
        let mut together: HashSet<(&str, &str)> = HashSet::new();
        for k in keys.get(code).into_iter().flatten() {
            for (a, _) in &k.0 {
                for (b, _) in &k.0 {
                    together.insert((a.as_str(), b.as_str()));
                }
            }
        }
        for (seq, (level, members)) in levels.iter().enumerate() {
            if !level_seen.insert(level.clone()) {
                continue;
            }
            let dimension = if own.contains(level) {
                level.clone()
            } else {
                own.iter()
                    .find(|d| !together.contains(&(level.as_str(), d.as_str())))
                    .unwrap_or(level)
                    .clone()
            };
            if &dimension == level {
                out.dimensions.push(Dimension {
                    code: level.clone(),
                    name: LocalizedText::nl(level),
                });
            }
            out.levels.push(DimLevel {
                code: level.clone(),
                dimension,
                name: LocalizedText::nl(level),
                seq: seq as i64 + 1,
            });
            for (n, m) in members.iter().enumerate() {
                out.members.push(DimMember {
                    level: level.clone(),
                    code: m.clone(),
                    name: LocalizedText::nl(m),
                    seq: n as i64 + 1,
                });
            }
        }
    }
    out
}

/// What a pull writes, fetched and validated before the transaction opens.
pub(crate) struct Transfer {
    pub areas: Vec<AreaBatch>,
    pub links: Vec<LinkBatch>,
    pub themes: Vec<Theme>,
    /// (code at the source, the indicator under its local code, its address, content hash).
    pub indicators: Vec<(String, Indicator, String, String)>,
    /// (local indicator code, level, period, item, value).
    pub rows: Vec<Row>,
    /// Dimensions, dim levels and members of the cubes transferred (those this site lacks
    /// are added; what it has is left as it is).
    pub cubes: CubeMeta,
    /// Local codes of indicators the source no longer offers.
    pub gone: Vec<String>,
    /// `code=hash` of everything selected, one a line (the import's fingerprint).
    pub selection: String,
    pub hash_version: String,
}

/// One transaction: areas, hierarchy, metadata, values, provenance, the import record
/// (`kind`: `pull`, or `migration` for `peil migrate`); committed unless this is a dry run.
pub(crate) fn apply(
    store: &mut Store,
    source: &Source,
    t: &Transfer,
    report: &mut Report,
    opts: &PullOptions,
    fetched_at: &str,
    kind: &str,
) -> Result<(), PullError> {
    report.transferred = t.indicators.len() as u64;
    report.flagged = t.gone.clone();
    report.added.sort();
    report.changed.sort();
    let mut tx = store.begin()?;
    tx.as_pull();
    for a in &t.areas {
        tx.apply_areas(a)?;
    }
    for l in &t.links {
        tx.apply_links(l)?;
    }
    if !t.links.is_empty() {
        tx.infer_all_unknown_location_links()?;
    }
    // Dim levels and members this site lacks (what it has keeps its names and order).
    let have = if t.cubes.levels.is_empty() {
        HashMap::new()
    } else {
        tx.catalog()?.dim_members
    };
    let new_level = |l: &str| !have.contains_key(l);
    let batch = MetadataBatch {
        themes: t.themes.clone(),
        indicators: t.indicators.iter().map(|(_, i, _, _)| i.clone()).collect(),
        dimensions: (t.cubes.dimensions.iter())
            .filter(|d| new_level(&d.code))
            .cloned()
            .collect(),
        dim_levels: (t.cubes.levels.iter())
            .filter(|l| new_level(&l.code))
            .cloned()
            .collect(),
        dim_members: (t.cubes.members.iter())
            .filter(|m| have.get(&m.level).is_none_or(|ms| !ms.contains(&m.code)))
            .cloned()
            .collect(),
        ..MetadataBatch::default()
    };
    if !batch.indicators.is_empty() || !batch.themes.is_empty() || !batch.dim_members.is_empty() {
        tx.apply_metadata(&batch)?;
    }
    let data = data_batch(&tx, &t.rows)?;
    if !data.series.is_empty() {
        report.values = tx.apply_data(
            &data,
            &DataOptions {
                clear: ClearMode::Indicators,
                adjust_periods: true,
                ..DataOptions::default()
            },
        )?;
    }
    // Indicators transferred without values keep none: clear what they had.
    let with_values: HashSet<&str> = data.series.iter().map(|s| s.indicator.as_str()).collect();
    for (_, ind, _, _) in &t.indicators {
        if !with_values.contains(ind.code.as_str()) && report.changed.contains(&ind.code) {
            report.notes.push(format!(
                "{}: the source publishes no values of it now",
                ind.code
            ));
        }
    }
    let mut all = sha2_hex(t.selection.as_bytes());
    all.truncate(64);
    let options = json!({
        "source": source.name,
        "kind": source.kind,
        "url": source.url,
        "indicators": source.indicators,
        "themes": source.themes,
        "source_names": source.source_names,
        "levels": source.levels,
        "periods_from": source.periods_from,
        "prefix": source.prefix,
        "hash_version": t.hash_version,
    });
    let counts = json!({
        "added": report.added.len(),
        "changed": report.changed.len(),
        "unchanged": report.unchanged,
        "flagged": report.flagged.len(),
        "refused": report.refused.len(),
        "transferred": report.transferred,
        "values": report.values,
        "areas": report.items_added,
        "links": report.links_added,
        "bytes": report.bytes,
    });
    let id = tx.record_import(&opts.who, kind, &source.url, &all, &options, &counts, 0)?;
    for (remote, ind, url, hash) in &t.indicators {
        tx.record_pulled(
            &source.name,
            &Provenance {
                code: ind.code.clone(),
                remote_code: remote.clone(),
                url: url.clone(),
                fetched_at: fetched_at.to_string(),
                hash: hash.clone(),
                import_id: id,
                gone_at: None,
            },
        )?;
    }
    for code in &t.gone {
        tx.flag_gone(&source.name, code, fetched_at)?;
    }
    if opts.dry_run {
        drop(tx);
    } else {
        tx.commit()?;
        report.import_id = Some(id);
    }
    Ok(())
}

/// The values as a batch sorted by (series, item), with this transaction's item ids.
fn data_batch(tx: &ImportTx, rows: &[Row]) -> Result<DataBatch, PullError> {
    let catalog = tx.catalog()?;
    let mut by_series: BTreeMap<SeriesKey, BTreeMap<u32, Value>> = BTreeMap::new();
    for (ind, level, period, item, dims, value) in rows {
        let Some(id) = catalog.levels.get(level).and_then(|l| l.items.get(item)) else {
            return Err(PullError::Invalid {
                url: String::new(),
                why: format!(
                    "a value for area '{}' of level {level}, which the source does not list",
                    shown(item)
                ),
            });
        };
        let key = SeriesKey {
            indicator: ind.clone(),
            level: level.clone(),
            period: *period,
            dims: dims.clone(),
        };
        if by_series
            .entry(key)
            .or_default()
            .insert(*id, *value)
            .is_some()
        {
            return Err(PullError::Invalid {
                url: String::new(),
                why: format!(
                    "two values for {ind}, area {}, {} {}",
                    shown(item),
                    period.code(),
                    dims.to_text()
                ),
            });
        }
    }
    let mut batch = DataBatch::default();
    for (n, (key, values)) in by_series.into_iter().enumerate() {
        batch.series.push(key);
        for (item, value) in values {
            batch.records.push(DataRecord {
                series: n as u32,
                item,
                value,
            });
        }
    }
    Ok(batch)
}

/// Theme codes in the subtrees of `roots`.
fn theme_subtrees(themes: &[ThemeEntry], roots: &[String]) -> HashSet<String> {
    let mut out: HashSet<String> = roots.iter().cloned().collect();
    loop {
        let before = out.len();
        for t in themes {
            if t.parent.as_ref().is_some_and(|p| out.contains(p)) {
                out.insert(t.code.clone());
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

pub(crate) fn sha2_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cube_answer_is_read_cell_by_cell_and_its_levels_grouped() {
        let csv = "indicator,indicator_name,unit,level,item,item_name,period,geslacht,leeftijd3,dim_level,value,status,flag\r\n\
                   k,K,n,wijk,1,Een,2020,,,,10,,\r\n\
                   k,K,n,wijk,1,Een,2020,m,0-19,,,x,\r\n\
                   k,K,n,wijk,1,Een,2020,,,a,4,,\r\n";
        let rows = data_rows(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows[0].dims.is_empty());
        assert_eq!(
            rows[1].dims,
            [
                ("geslacht".into(), "m".into()),
                ("leeftijd3".into(), "0-19".into())
            ]
        );
        assert_eq!((rows[1].value.as_str(), rows[1].status.as_str()), ("", "x"));
        assert_eq!(rows[2].dims, [("level".to_string(), "a".to_string())]);

        let key = |pairs: &[(&str, &str)]| {
            DimKey::new(
                pairs
                    .iter()
                    .map(|(l, m)| (l.to_string(), m.to_string()))
                    .collect(),
            )
        };
        let p = Period::parse("2020").unwrap();
        let row = |k: DimKey| -> Row {
            (
                "dna_k".into(),
                "wijk".into(),
                p,
                "1".into(),
                k,
                Value::Number(1.0),
            )
        };
        let rows = vec![
            row(key(&[("leeftijd5", "0-4"), ("geslacht", "m")])),
            row(key(&[("leeftijd3", "0-19"), ("geslacht", "m")])),
        ];
        let own = ["leeftijd5".to_string(), "geslacht".to_string()];
        let levels = [
            ("geslacht".to_string(), vec!["m".to_string()]),
            ("leeftijd3".to_string(), vec!["0-19".to_string()]),
            ("leeftijd5".to_string(), vec!["0-4".to_string()]),
        ];
        let m = cube_meta(&[("dna_k", &own, &levels)], &rows);
        let dims: Vec<(&str, &str)> = m
            .levels
            .iter()
            .map(|l| (l.code.as_str(), l.dimension.as_str()))
            .collect();
        assert_eq!(
            dims,
            [
                ("geslacht", "geslacht"),
                ("leeftijd3", "leeftijd5"),
                ("leeftijd5", "leeftijd5")
            ]
        );
        assert_eq!(m.dimensions.len(), 2);
        assert_eq!(m.members.len(), 3);
    }
}
