//! Geography for pages: map layers (projected and simplified once per publication and level),
//! the levels an indicator has data on, and an area's place in the hierarchy.

use super::Page;
use peil_core::{DimKey, Period};
use peil_render::MapLayer;
use std::collections::BTreeSet;
use std::sync::Arc;

pub use peil_story::data::Detail;

/// The map layer of a level (`None` when the level has no geometry): built once per
/// publication by `peil_story::Data::layer_at`, the home stories and PDFs draw from too.
/// Each shape's [`item`](peil_render::map::Shape::item) is its area's position in the level.
pub async fn layer(page: &Page, level: usize, detail: Detail) -> Option<Arc<MapLayer>> {
    let data = super::stories::data(page).await;
    // Built once per publication: only the first request of a level leaves the executor.
    if let Some(built) = data.built_layer(level, detail) {
        return built;
    }
    tokio::task::spawn_blocking(move || data.layer_at(level, detail))
        .await
        .ok()?
}

/// Drawings of more areas than this leave their geometry to the level's sprite (the browser
/// fetches it once per publication): a page of 2,730 neighbourhoods then carries 40 KB of
/// colours instead of 600 KB of paths written per request.
pub const SPRITE_FROM: usize = 400;

/// The URL of a level's sprite in this publication (its generation in the query, so a new
/// publication's drawings never colour the old geometry).
pub fn sprite_url(page: &Page, level: usize) -> String {
    format!(
        "/geo/{}.svg?g={}",
        crate::api::seg(&page.ctx.snap.levels[level].level.code),
        page.ctx.snap.generation
    )
}

/// `/geo/{level}.svg`: the geometry of a level as a sprite ([`peil_render::map::sprite`]),
/// areas in the order of the level's map layer.
pub async fn sprite(
    axum::extract::State(st): axum::extract::State<crate::AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
    req: crate::api::Req,
) -> axum::response::Response {
    let page = match Page::new(&st, req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(level) = file.strip_suffix(".svg").and_then(|code| {
        page.ctx
            .snap
            .levels
            .iter()
            .position(|l| l.level.code == code)
    }) else {
        return page.not_found();
    };
    let Some(layer) = layer(&page, level, Detail::Overview).await else {
        return page.not_found();
    };
    // The URL names its publication: a browser keeps that sprite for good (a new publication
    // links a new URL; the response cache makes it public or private by reader). Any other
    // `g` gets today's geometry, kept for a minute like every answer.
    let current = page.param("g") == Some(page.ctx.snap.generation.to_string().as_str());
    match tokio::task::spawn_blocking(move || peil_render::map::sprite(&layer)).await {
        Ok(svg) => {
            let mut response = super::svg_response(svg);
            if current {
                response.headers_mut().insert(
                    axum::http::header::CACHE_CONTROL,
                    axum::http::HeaderValue::from_static("max-age=31536000, immutable"),
                );
            }
            response
        }
        Err(_) => page.not_found(),
    }
}

/// Whether a level has geometry at all (without building a layer).
pub async fn has_geometry(page: &Page, level: usize) -> bool {
    let g = page.ctx.geometry().await;
    g.get(&page.ctx.snap.levels[level].level.code)
        .is_some_and(|m| !m.is_empty())
}

/// Periods with a (total, not cube cell) series of indicator `i` on a level, oldest first.
pub fn periods(page: &Page, i: u32, level: usize) -> Vec<Period> {
    let snap = &page.ctx.snap;
    let mut out: BTreeSet<Period> = BTreeSet::new();
    for (p, d) in snap.keys_of(i, level, &page.ctx.reader) {
        if snap.dims[d as usize].is_empty() {
            out.insert(p);
        }
    }
    let mut v: Vec<Period> = out.into_iter().collect();
    v.sort_by_key(|p| (p.level, p.ordinal()));
    v
}

/// The levels where indicator `i` has data, finest (most items) first.
pub fn levels_with_data(page: &Page, i: u32) -> Vec<usize> {
    let snap = &page.ctx.snap;
    let mut v: Vec<usize> = (0..snap.levels.len())
        .filter(|l| !periods(page, i, *l).is_empty())
        .collect();
    v.sort_by_key(|l| std::cmp::Reverse(snap.levels[*l].items.len()));
    v
}

/// The level a page shows first: the finest one with geometry and at most 400 areas, else the
/// coarsest with geometry, else the finest with data.
pub async fn default_level(page: &Page, levels: &[usize]) -> Option<usize> {
    let snap = &page.ctx.snap;
    let mut mapped = Vec::new();
    for &l in levels {
        if has_geometry(page, l).await && snap.levels[l].items.len() > 1 {
            mapped.push(l);
        }
    }
    mapped
        .iter()
        .copied()
        .find(|l| snap.levels[*l].items.len() <= 400)
        .or_else(|| mapped.last().copied())
        .or_else(|| levels.first().copied())
}

/// The latest period of the commonest period level (years before quarters).
pub fn default_period(periods: &[Period]) -> Option<Period> {
    let coarsest = periods.iter().map(|p| p.level).max()?;
    periods
        .iter()
        .filter(|p| p.level == coarsest)
        .max_by_key(|p| p.ordinal())
        .copied()
}

/// An area's ancestors, nearest first: (level index, item code). The hierarchy walk is
/// `peil_story::Data`'s, shared with stories and dashboards.
pub async fn ancestors(page: &Page, level: usize, code: &str) -> Vec<(usize, String)> {
    let data = super::stories::data(page).await;
    let lcode = &page.ctx.snap.levels[level].level.code;
    data.ancestors(&peil_story::Area::new(lcode, code))
        .into_iter()
        .filter_map(|a| Some((data.level_index(&a.level)?, a.code)))
        .collect()
}

/// The areas of a level that share this area's nearest parent (itself included); the whole
/// level when it has no parent.
pub async fn siblings(page: &Page, level: usize, code: &str) -> Vec<String> {
    let data = super::stories::data(page).await;
    let lcode = &page.ctx.snap.levels[level].level.code;
    data.siblings(&peil_story::Area::new(lcode, code))
        .into_iter()
        .map(|a| a.code)
        .collect()
}

/// The name of an area.
pub fn area_name(page: &Page, level: usize, code: &str) -> Option<String> {
    let l = &page.ctx.snap.levels[level];
    l.pos.get(code).map(|p| l.items[*p as usize].1.name.clone())
}

/// The default comparison areas, finer levels first: per level its only area (the
/// region), or its only area that has areas below it (the city, among municipalities of
/// its region that only have figures of their own).
pub fn single_area_levels(page: &Page, i: u32) -> Vec<(usize, String)> {
    let snap = &page.ctx.snap;
    let h = snap.hierarchy();
    let mut v: Vec<(usize, String)> = (0..snap.levels.len())
        .filter(|l| !periods(page, i, *l).is_empty())
        .filter_map(|l| {
            let level = &snap.levels[l];
            if level.items.len() == 1 {
                return Some((l, level.items[0].1.code.clone()));
            }
            // The level's only item with areas below it (none, or a second: no default).
            let only = h.only_parent(l as u16)?;
            Some((l, level.items[only as usize].1.code.clone()))
        })
        .collect();
    // Finer levels come first in the snapshot (the city before the region).
    v.sort_by_key(|(l, _)| *l);
    v
}

/// The whole-total cube key (plain indicators).
pub fn total() -> DimKey {
    DimKey::default()
}
