//! `peil migrate URL SITE_DIR`: a Swing site moved into a new Peil site's test copy through
//! the Swing site's public surface only ([`crate::swing`]).
//!
//! In steps, each one transaction: first the geo levels, their items and the hierarchy the
//! selection table shows (an import of kind `migration areas`), then the variables in chunks
//! (imports of kind `migration`), each with its metadata, all its published values and its
//! provenance (source `migration`). A run that is interrupted leaves the store as after its
//! last committed step; the next run skips what is there (the areas import, the indicators
//! with provenance) and continues, so it ends in the same state as one uninterrupted run.
//! Migrated indicators are the site's own (not protected).
//!
//! What the surface does not offer cannot be moved; [`Migration::not_moved`] says what, and
//! the CLI writes it to the site directory.

use crate::swing::{Level, Swing};
use crate::swing_pull::{areas, content_hash, read};
use crate::{
    CubeMeta, Limits, PullError, PullOptions, Report, Source, SourceKind, Transfer, apply, http,
};
use peil_core::ApplyCounts;
use peil_store::Store;
use serde::Serialize;
use std::collections::HashSet;

/// The provenance source of migrated indicators.
pub const SOURCE: &str = "migration";
/// The import kind of the areas step.
const AREAS_KIND: &str = "migration areas";

#[derive(Debug, Clone)]
pub struct MigrateOptions {
    pub who: String,
    pub limits: Limits,
    /// Variables per transaction.
    pub chunk: usize,
}

/// What a migration run did, and what cannot be moved.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Migration {
    pub url: String,
    /// Areas step: levels, areas and hierarchy links written by this run (0 when resumed).
    pub levels: Vec<String>,
    pub items: u64,
    pub links: u64,
    /// Variables the source lists.
    pub variables: u64,
    /// Indicators written by this run, and those an earlier run had written.
    pub migrated: u64,
    pub already: u64,
    pub values: ApplyCounts,
    /// Things that did not move, with why.
    pub not_moved: Vec<NotMoved>,
    pub notes: Vec<String>,
    pub requests: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NotMoved {
    pub what: String,
    pub why: String,
}

/// Where a migration is: `done` of `total` variables, the code being read.
pub struct Progress<'a> {
    pub done: u64,
    pub total: u64,
    pub step: &'a str,
}

/// Migrates the Swing site at `url` into `store` (see the module's documentation).
pub fn migrate(
    store: &mut Store,
    url: &str,
    key: Option<String>,
    opts: &MigrateOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Migration, PullError> {
    let source = Source {
        name: SOURCE.into(),
        url: url.trim_end_matches('/').to_string(),
        kind: SourceKind::Swing,
        ..Source::default()
    };
    source.check().map_err(PullError::Config)?;
    let client = http::Client::new(&source.url, key, opts.limits.clone());
    let sw = Swing { client: &client };
    let pull_opts = PullOptions {
        dry_run: false,
        who: opts.who.clone(),
        limits: opts.limits.clone(),
        plausibility: Default::default(),
    };
    let mut m = Migration {
        url: source.url.clone(),
        ..Migration::default()
    };
    let imports = store.imports()?;
    if let Some(other) = imports
        .iter()
        .find(|i| (i.kind == AREAS_KIND || i.kind == "migration") && i.file != source.url)
    {
        return Err(PullError::Config(format!(
            "this site is a migration of {}, not of {}",
            other.file, source.url
        )));
    }
    if imports
        .iter()
        .any(|i| i.kind != AREAS_KIND && i.kind != "migration")
    {
        return Err(PullError::Config(
            "this site has imports of its own: migrate into a new directory".into(),
        ));
    }
    let variables = sw.variables()?;
    m.variables = variables.len() as u64;
    let total = m.variables;

    // 1. Geo levels, areas and hierarchy, once.
    let areas_done = imports.iter().any(|i| i.kind == AREAS_KIND);
    // The source's levels with their items, once: the areas step and the cubes need them.
    let mut source_levels: Option<Vec<Level>> = None;
    if !areas_done {
        progress(Progress {
            done: 0,
            total,
            step: "geo levels, areas and hierarchy",
        });
        let levels = source_levels.insert(sw.levels()?);
        let mut report = Report::default();
        let (a, links) = match variables.first() {
            Some(v) => areas(store, &sw, levels, &v.code, &mut report)?,
            None => (
                levels
                    .iter()
                    .map(|l| peil_core::AreaBatch {
                        level: l.level.clone(),
                        items: l.items.clone(),
                    })
                    .collect(),
                Vec::new(),
            ),
        };
        m.levels = levels.iter().map(|l| l.level.code.clone()).collect();
        m.items = a.iter().map(|b| b.items.len() as u64).sum();
        m.links = links.iter().map(|b| b.links.len() as u64).sum();
        m.notes.append(&mut report.notes);
        let t = Transfer {
            areas: a,
            links,
            themes: Vec::new(),
            cubes: Default::default(),
            indicators: Vec::new(),
            rows: Vec::new(),
            gone: Vec::new(),
            selection: m.levels.join("\n"),
            hash_version: "swing-odata-1".into(),
        };
        apply(
            store,
            &source,
            &t,
            &mut report,
            &pull_opts,
            &peil_store::utc_now(),
            AREAS_KIND,
        )?;
    }

    // 2. Variables in chunks, skipping what an earlier run moved.
    let done: HashSet<String> = store
        .pull_provenance(SOURCE)?
        .into_iter()
        .map(|p| p.remote_code)
        .collect();
    let mut refused = Vec::new();
    let todo: Vec<_> = variables
        .iter()
        .filter(|v| {
            if done.contains(&v.code) {
                m.already += 1;
                false
            } else {
                true
            }
        })
        .collect();
    let mut count = m.already;
    for chunk in todo.chunks(opts.chunk.max(1)) {
        let fetched_at = peil_store::utc_now();
        let mut indicators = Vec::new();
        let mut rows = Vec::new();
        let mut selection = Vec::new();
        let mut cubes = CubeMeta::default();
        for var in chunk {
            progress(Progress {
                done: count,
                total,
                step: &var.code,
            });
            count += 1;
            let mut ind = match crate::swing::indicator(var, var.code.clone()) {
                Ok(i) => i,
                Err(why) => {
                    refused.push(NotMoved {
                        what: format!("indicator {}", var.code),
                        why,
                    });
                    continue;
                }
            };
            let read = match read(&sw, var, &mut source_levels)? {
                Ok(r) => r,
                Err(why) => {
                    refused.push(NotMoved {
                        what: format!("indicator {}", var.code),
                        why,
                    });
                    continue;
                }
            };
            let hash = content_hash(var, &read.cells, read.cube.as_ref().map(|c| &c.1));
            if let Some((own, meta)) = read.cube {
                ind.dim_levels = own;
                cubes.extend(meta);
            }
            selection.push(format!("{}={hash}", var.code));
            for (l, p, i, d, v) in read.cells {
                rows.push((var.code.clone(), l, p, i, d, v));
            }
            let url = client.url(&format!(
                "/jiveservices/odata/Variables('{}')",
                crate::map::encode(&var.code)
            ));
            indicators.push((var.code.clone(), ind, url, hash));
        }
        let mut report = Report {
            added: indicators.iter().map(|(c, _, _, _)| c.clone()).collect(),
            ..Report::default()
        };
        m.migrated += indicators.len() as u64;
        let t = Transfer {
            areas: Vec::new(),
            links: Vec::new(),
            themes: Vec::new(),
            cubes,
            indicators,
            rows,
            gone: Vec::new(),
            selection: selection.join("\n"),
            hash_version: "swing-odata-1".into(),
        };
        apply(
            store,
            &source,
            &t,
            &mut report,
            &pull_opts,
            &fetched_at,
            "migration",
        )?;
        m.values.inserted += report.values.inserted;
        m.values.updated += report.values.updated;
        m.values.unchanged += report.values.unchanged;
        m.values.cleared += report.values.cleared;
    }
    progress(Progress {
        done: total,
        total,
        step: "done",
    });
    m.requests = client.requests.get();
    m.bytes = client.bytes.get();

    // 3. What did not move.
    let nm = |what: &str, why: &str| NotMoved {
        what: what.into(),
        why: why.into(),
    };
    m.not_moved.extend(refused);
    m.not_moved.extend([
        nm(
            "formulas",
            "the Swing API does not expose formula definitions: every indicator arrived with its published values as loaded values; indicators that were formulas at the source must be defined again to be recomputed",
        ),
        nm(
            "aggregation and threshold rules",
            "aggregation indicators, thresholds, threshold indicators and rounding are not exposed: migrated indicators are not aggregated (their published values are loaded on every level and period; values hidden at the source stay x); set the rules in the metadata to aggregate custom selections and new levels",
        ),
        nm(
            "how cube members roll up",
            "the API lists a cube's dimensions, dim levels and members (with their names) but not which fine member rolls up into which coarser one: cubes arrived with every published cell, their totals and coarser bands as the published values they are; import the dimension table to have them computed again",
        ),
        nm(
            "theme tree",
            "the Swing API exposes no theme tree: build it in the back office (Thema's) or import a metadata workbook with a theme column",
        ),
        nm(
            "survey intervals",
            "sample, population and standard-deviation indicators are not exposed: confidence intervals and significance are not shown until they are set in the metadata",
        ),
        nm(
            "geometry",
            "area boundaries are not exposed: import the levels' Shapefile, GeoJSON or GeoPackage files for maps",
        ),
        nm(
            "restricted indicators and access groups",
            "only what the key (if any) may read was moved; access groups do not travel",
        ),
        nm(
            "reports, dashboards, stories and presentations",
            "not exposed by the API: rebuild them as Peil stories and dashboards",
        ),
        nm(
            "translations and other metadata",
            "only the Dutch name and description, unit, source, data type, period type, decimals and status are exposed",
        ),
    ]);
    Ok(m)
}

impl Migration {
    /// The report for people, as Markdown (written to the site directory by the CLI).
    pub fn markdown(&self) -> String {
        let mut s = format!("# Migration from {}\n\n", self.url);
        s.push_str(&format!(
            "- variables at the source: {}\n- indicators migrated by this run: {}; by an earlier run: {}\n- values: {} inserted, {} updated, {} unchanged\n",
            self.variables,
            self.migrated,
            self.already,
            self.values.inserted,
            self.values.updated,
            self.values.unchanged
        ));
        if !self.levels.is_empty() {
            s.push_str(&format!(
                "- geo levels: {} ({} areas, {} hierarchy links)\n",
                self.levels.join(", "),
                self.items,
                self.links
            ));
        }
        s.push_str(&format!(
            "- {} requests, {} bytes received\n\n## Not moved\n\n",
            self.requests, self.bytes
        ));
        for n in &self.not_moved {
            s.push_str(&format!("- **{}**: {}\n", n.what, n.why));
        }
        if !self.notes.is_empty() {
            s.push_str("\n## Notes\n\n");
            for n in &self.notes {
                s.push_str(&format!("- {n}\n"));
            }
        }
        s.push_str("\nNext: `peil check`, then `peil publish`.\n");
        s
    }
}
