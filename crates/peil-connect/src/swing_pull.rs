//! `peil pull` from a source of `kind = "swing"`: the Connector's semantics over a Swing site's
//! public surface ([`crate::swing`]). A Swing site offers no change dates or hashes, so every
//! selected variable's metadata and values are fetched and hashed here; only those whose hash
//! differs from the one kept in the provenance are written, in one transaction as every pull.

use crate::swing::{Cell, Level, Swing, Variable};
use crate::{
    CubeMeta, PullError, PullOptions, Refusal, Report, Source, Transfer, apply, http, map,
};
use peil_core::*;
use peil_store::{Provenance, Store};
use std::collections::{HashMap, HashSet};

/// Any year: the selection table lists a level's areas for it whether or not it has values.
pub(crate) const ANY_YEAR: &str = "2000";

/// A variable's content hash: its OData entity, a cube's dimensions, and every value taken, in
/// a stable order.
pub(crate) fn content_hash(var: &Variable, cells: &[Cell], cube: Option<&CubeMeta>) -> String {
    let mut lines: Vec<String> = cells
        .iter()
        .map(|(l, p, i, d, v)| {
            if d.is_empty() {
                format!("{l}\t{}\t{i}\t{v:?}", p.code())
            } else {
                format!("{l}\t{}\t{i}\t{}\t{v:?}", p.code(), d.to_text())
            }
        })
        .collect();
    lines.sort();
    let mut text = var.row.to_string();
    if let Some(c) = cube {
        text.push_str(&format!(
            "\n{:?}\n{:?}\n{:?}",
            c.dimensions, c.levels, c.members
        ));
    }
    for l in lines {
        text.push('\n');
        text.push_str(&l);
    }
    crate::sha2_hex(text.as_bytes())
}

/// The areas a transfer needs that this site lacks: new levels and items (counted in the
/// report), and, where levels are new to this site, the hierarchy between the chosen levels
/// as the source's selection table shows it (steps this site already has are kept).
pub(crate) fn areas(
    store: &Store,
    sw: &Swing,
    levels: &[Level],
    var: &str,
    report: &mut Report,
) -> Result<(Vec<AreaBatch>, Vec<LinkBatch>), PullError> {
    let catalog = store.catalog()?;
    let mut batches = Vec::new();
    for l in levels {
        let have = catalog.levels.get(&l.level.code);
        if have.is_none() {
            report.levels_added.push(l.level.code.clone());
        }
        let items: Vec<GeoItem> = l
            .items
            .iter()
            .filter(|it| have.is_none_or(|h| !h.items.contains_key(&it.code)))
            .cloned()
            .collect();
        if !items.is_empty() {
            report.items_added += items.len() as u64;
            batches.push(AreaBatch {
                level: l.level.clone(),
                items,
            });
        }
    }
    let mut links = Vec::new();
    if !report.levels_added.is_empty() && levels.len() > 1 {
        for b in sw.hierarchy(levels, var, ANY_YEAR, &mut report.notes)? {
            if !catalog
                .edges
                .iter()
                .any(|(c, p)| c == &b.child_level && p == &b.parent_level)
            {
                report.links_added += b.links.len() as u64;
                links.push(b);
            }
        }
    }
    Ok((batches, links))
}

/// What one variable brings: its published cells and, for a cube, the dim levels of the
/// indicator (per dimension, the level of the dimension's code or else its first) with the
/// dimensions, levels and members the source lists.
pub(crate) struct Read {
    pub cells: Vec<Cell>,
    pub cube: Option<(Vec<String>, CubeMeta)>,
}

/// Reads one variable: a flat one through OData's `Values`, a cube through `CubeVariables`
/// and the selection table (`levels`, the source's geo levels with their items, fetched the
/// first time a cube needs them). `Err` inside says why the variable cannot be taken.
pub(crate) fn read(
    sw: &Swing,
    var: &Variable,
    levels: &mut Option<Vec<Level>>,
) -> Result<Result<Read, String>, PullError> {
    if !var.is_cube() {
        return Ok(Ok(Read {
            cells: sw.values(&var.code)?,
            cube: None,
        }));
    }
    let (dimensions, cube) = match sw.cube_levels(&var.code)? {
        Ok(c) => c,
        Err(why) => {
            return Ok(Err(format!(
                "a cube whose dimensions cannot be read: {why}"
            )));
        }
    };
    if levels.is_none() {
        *levels = Some(sw.levels()?);
    }
    let cells = match sw.cube_values(&var.code, levels.as_deref().unwrap_or(&[]), &cube)? {
        Ok(c) => c,
        Err(why) => return Ok(Err(format!("a cube whose cells cannot be read: {why}"))),
    };
    let own: Vec<String> = dimensions
        .iter()
        .filter_map(|d| {
            let of_d = || cube.iter().filter(|l| l.level.dimension == d.code);
            of_d()
                .find(|l| l.level.code == d.code)
                .or_else(|| of_d().next())
                .map(|l| l.level.code.clone())
        })
        .collect();
    let mut meta = CubeMeta {
        dimensions,
        ..CubeMeta::default()
    };
    for l in cube {
        meta.levels.push(l.level);
        meta.members.extend(l.members);
    }
    Ok(Ok(Read {
        cells,
        cube: Some((own, meta)),
    }))
}

pub(crate) fn pull(
    store: &mut Store,
    source: &Source,
    client: &http::Client,
    opts: &PullOptions,
) -> Result<Report, PullError> {
    let fetched_at = peil_store::utc_now();
    let sw = Swing { client };
    let mut report = Report {
        source: source.name.clone(),
        url: source.url.clone(),
        dry_run: opts.dry_run,
        ..Report::default()
    };
    let prefix = source.prefix.as_str();
    let local = |code: &str| format!("{prefix}{code}");

    // 1. What the source lists, and what this site takes.
    let variables = sw.variables()?;
    let offered: HashSet<&str> = variables.iter().map(|v| v.code.as_str()).collect();
    for t in &source.themes {
        report.refused.push(Refusal {
            code: format!("theme {t}"),
            why: "a Swing site exposes no theme tree; list the indicators or source_names".into(),
        });
    }
    for code in &source.indicators {
        if !offered.contains(code.as_str()) {
            report.refused.push(Refusal {
                code: code.clone(),
                why: "the source does not offer it (unknown, or not visible to this key)".into(),
            });
        }
    }
    let take_all =
        source.indicators.is_empty() && source.themes.is_empty() && source.source_names.is_empty();
    let selected: Vec<&Variable> = variables
        .iter()
        .filter(|v| {
            take_all
                || source.indicators.contains(&v.code)
                || source.source_names.iter().any(|s| s == v.source())
        })
        .collect();
    let periods_from = source
        .periods_from
        .as_deref()
        .and_then(|p| Period::parse(p).ok());

    // 2. Each selected variable fetched and hashed; against what earlier pulls brought.
    let known: HashMap<String, Provenance> = store
        .pull_provenance(&source.name)?
        .into_iter()
        .map(|p| (p.code.clone(), p))
        .collect();
    let mut indicators = Vec::new();
    let mut rows = Vec::new();
    let mut selection = Vec::new();
    let mut cubes = CubeMeta::default();
    let mut source_levels: Option<Vec<Level>> = None;
    for var in selected {
        let code = local(&var.code);
        if !map::good_code(&code) {
            report.refused.push(Refusal {
                code,
                why: "the prefixed code is too long".into(),
            });
            continue;
        }
        let read = match read(&sw, var, &mut source_levels)? {
            Ok(r) => r,
            Err(why) => {
                report.refused.push(Refusal { code, why });
                continue;
            }
        };
        let cells: Vec<Cell> = read
            .cells
            .into_iter()
            .filter(|(l, p, _, _, _)| {
                (source.levels.is_empty() || source.levels.contains(l))
                    && periods_from.is_none_or(|f| p.bounds().0 >= f.bounds().0)
            })
            .collect();
        let hash = content_hash(var, &cells, read.cube.as_ref().map(|c| &c.1));
        selection.push(format!("{}={hash}", var.code));
        match known.get(&code) {
            Some(p) if p.hash == hash && p.gone_at.is_none() => {
                report.unchanged += 1;
                continue;
            }
            Some(_) => report.changed.push(code.clone()),
            None => match store.indicator(&code)? {
                Some(ind) if !ind.protected => {
                    report.refused.push(Refusal {
                        code,
                        why: "this site has an indicator of its own with that code; choose another prefix".into(),
                    });
                    continue;
                }
                Some(_) => {
                    report.refused.push(Refusal {
                        code,
                        why: "a protected indicator of that code comes from another source".into(),
                    });
                    continue;
                }
                None => report.added.push(code.clone()),
            },
        }
        let mut ind = match crate::swing::indicator(var, code.clone()) {
            Ok(i) => i,
            Err(why) => {
                report.added.retain(|c| c != &code);
                report.changed.retain(|c| c != &code);
                report.refused.push(Refusal { code, why });
                continue;
            }
        };
        ind.protected = true;
        if let Some((own, meta)) = read.cube {
            ind.dim_levels = own;
            cubes.extend(meta);
        }
        for (l, p, i, d, v) in cells {
            rows.push((code.clone(), l, p, i, d, v));
        }
        let url = client.url(&format!(
            "/jiveservices/odata/Variables('{}')",
            map::encode(&var.code)
        ));
        indicators.push((var.code.clone(), ind, url, hash));
    }
    if !indicators.is_empty() {
        report.notes.push(
            "a Swing site does not expose aggregation rules, thresholds or formulas: the values are taken as published on every level and period, and not aggregated further".into(),
        );
    }
    let mut gone: Vec<String> = known
        .values()
        .filter(|p| !offered.contains(p.remote_code.as_str()) && p.gone_at.is_none())
        .map(|p| p.code.clone())
        .collect();
    gone.sort();

    // 3. Areas and hierarchy of the levels the values are on, when something is transferred.
    let (mut area_batches, mut links) = (Vec::new(), Vec::new());
    if !rows.is_empty() {
        let used: HashSet<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        let levels: Vec<Level> = match source_levels {
            Some(l) => l,
            None => sw.levels()?,
        }
        .into_iter()
        .filter(|l| used.contains(l.level.code.as_str()))
        .collect();
        (area_batches, links) = areas(store, &sw, &levels, &variables[0].code, &mut report)?;
    }
    selection.sort();
    let transfer = Transfer {
        areas: area_batches,
        links,
        themes: Vec::new(),
        cubes,
        indicators,
        rows,
        gone,
        selection: selection.join("\n"),
        hash_version: "swing-odata-1".into(),
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
