//! Home, theme tree, search, compare and explorer pages.

use super::geo;
use super::indicator::format_of;
use super::{AreaRef, Num, Page, PageResult, json_twin};
use crate::AppState;
use crate::api::cache::{Query, fold, words};
use crate::api::catalog::{theme_subtree, visible_themes};
use crate::api::formats::{Cell, Col, Format, Kind, Table};
use crate::api::{Req, encode, period_name, seg};
use axum::extract::{Path, State};
use axum::response::Response;
use peil_compute::survey::{Cell as SurveyCell, Significance};
use peil_core::{MissingCode, Period, Theme, Value};
use peil_render::{
    BarChart, BarMode, Category, Classes, KeyFigure, LineChart, MapSpec, Method, Series,
    choropleth, palette,
};
use serde::Serialize;
use serde_json::{Value as Json, json};
use std::collections::HashMap;

fn done(r: PageResult) -> Response {
    r.unwrap_or_else(|e| e)
}

// --- home --------------------------------------------------------------------------------------

/// The home page's twin (`/index.json`; schema `TwinHome`).
#[derive(Serialize)]
struct HomeTwin<'a> {
    highlights: Vec<&'a Highlight<'a>>,
    site: &'a str,
    themes: &'a [ThemeTile],
}

/// A top theme with its number of indicators.
#[derive(Serialize)]
struct ThemeTile {
    count: usize,
    href: String,
    name: String,
}

/// A highlighted key figure, as the twin has it.
#[derive(Serialize)]
struct Highlight<'a> {
    area: String,
    indicator: &'a str,
    period: String,
    value: Num,
}

/// A highlighted key figure's tile, as the page shows it.
#[derive(Serialize)]
struct HighlightTile {
    href: String,
    name: String,
    svg: String,
}

pub(crate) async fn home(State(st): State<AppState>, req: Req) -> Response {
    done(home_page(st, req).await)
}

async fn home_page(st: AppState, req: Req) -> PageResult {
    let page = Page::new(&st, req)?;
    let x = page.ctx.extras().await;
    let themes = visible_themes(&page.ctx, &x.themes);
    let counts = indicator_counts(&page, &themes);
    let tiles: Vec<ThemeTile> = themes
        .iter()
        .filter(|t| t.parent.is_none())
        .map(|t| ThemeTile {
            count: counts.get(t.code.as_str()).copied().unwrap_or(0),
            href: page.href(&format!("/themes/{}", seg(&t.code))),
            name: page.text(&t.name),
        })
        .collect();
    let highlights = highlights(&page);
    if page.twin() == Some("json") {
        return Ok(json_twin(&HomeTwin {
            highlights: highlights.iter().map(|h| &h.1).collect(),
            site: &page.site.name,
            themes: &tiles,
        }));
    }
    let levels: Vec<Json> = page
        .ctx
        .snap
        .levels
        .iter()
        .filter(|l| l.items.len() > 1 && l.items.len() <= 2000)
        .map(|l| json!({"code": l.level.code, "name": l.level.name, "count": l.items.len()}))
        .collect();
    let data = json!({
        "intro": page.site.intro.get(&page.lang).or_else(|| page.site.intro.values().next()),
        "tiles": tiles,
        "highlights": highlights.iter().map(|h| &h.0).collect::<Vec<_>>(),
        "levels": levels,
        "areas_level": page.ctx.snap.levels.iter().rfind(|l| l.items.len() > 1 && l.items.len() <= 60).map(|l| {
            json!({"name": l.level.name, "items": l.items.iter().filter(|(_, it)| !it.unknown_location).map(|(_, it)| json!({
                "name": it.name,
                "href": page.href(&format!("/area/{}/{}", seg(&l.level.code), seg(&it.code))),
            })).collect::<Vec<_>>()})
        }),
        "indicator_count": page.ctx.idx().public.len(),
    });
    let title = page.site.name.clone();
    Ok(page.render("home.html", &title, data))
}

/// Public indicators per theme, counting everything below it.
fn indicator_counts<'a>(page: &Page, themes: &'a [Theme]) -> HashMap<&'a str, usize> {
    let mut direct: HashMap<&str, usize> = HashMap::new();
    for &i in &page.ctx.idx().public {
        for t in &page.ctx.ind(i).themes {
            if let Some(th) = themes.iter().find(|x| &x.code == t) {
                *direct.entry(th.code.as_str()).or_default() += 1;
            }
        }
    }
    themes
        .iter()
        .map(|t| {
            let sub = theme_subtree(themes, &t.code);
            (
                t.code.as_str(),
                sub.iter()
                    .map(|c| direct.get(c.as_str()).copied().unwrap_or(0))
                    .sum(),
            )
        })
        .collect()
}

/// Key-figure tiles for the home page: the configured indicators, else the first few with a
/// value for the whole city. (rendered tile, JSON twin)
fn highlights<'a>(page: &'a Page) -> Vec<(HighlightTile, Highlight<'a>)> {
    let snap = &page.ctx.snap;
    let total = geo::total();
    let chosen: Vec<u32> = if page.site.highlights.is_empty() {
        page.ctx.idx().public.clone()
    } else {
        page.site
            .highlights
            .iter()
            .filter_map(|c| page.ctx.indicator(c).ok().map(|(i, _)| i))
            .collect()
    };
    let mut out = Vec::new();
    // By default one figure per theme, so the home page shows the breadth of the databank.
    let mut themes_used: Vec<&str> = Vec::new();
    let configured = !page.site.highlights.is_empty();
    for i in chosen {
        if out.len() >= 4 {
            break;
        }
        let ind = page.ctx.ind(i);
        if !ind.data_type.is_numeric() || !ind.dim_levels.is_empty() {
            continue;
        }
        let theme = ind.themes.first().map(String::as_str).unwrap_or("");
        if !configured && themes_used.contains(&theme) {
            continue;
        }
        let singles = geo::single_area_levels(page, i);
        let Some((l, code)) = singles.first() else {
            continue;
        };
        let periods = geo::periods(page, i, *l);
        let Some(p) = geo::default_period(&periods) else {
            continue;
        };
        let lc = &snap.levels[*l].level.code;
        let value = snap
            .value(&ind.code, lc, p, &total, code, &page.ctx.reader)
            .unwrap_or(Value::Missing(MissingCode::Empty));
        if value.number().is_none() {
            continue;
        }
        let same: Vec<Period> = periods
            .iter()
            .copied()
            .filter(|q| q.level == p.level)
            .collect();
        let trend: Vec<Value> = same
            .iter()
            .map(|q| {
                snap.value(&ind.code, lc, *q, &total, code, &page.ctx.reader)
                    .unwrap_or(Value::Missing(MissingCode::Empty))
            })
            .collect();
        let fmt = format_of(page, ind);
        let earlier = same
            .iter()
            .rev()
            .nth(5)
            .or(same.first())
            .copied()
            .filter(|q| *q != p);
        let change = earlier.and_then(|q| {
            let a = snap
                .value(&ind.code, lc, q, &total, code, &page.ctx.reader)?
                .number()?;
            Some((
                format!(
                    "{} {}",
                    page.word("change_since"),
                    period_name(q, &page.lang)
                ),
                Value::Number(value.number()? - a),
            ))
        });
        let comparison = singles.get(1).and_then(|(l2, c2)| {
            let v = snap.value(
                &ind.code,
                &snap.levels[*l2].level.code,
                p,
                &total,
                c2,
                &page.ctx.reader,
            )?;
            Some((geo::area_name(page, *l2, c2)?, v))
        });
        let area = geo::area_name(page, *l, code).unwrap_or_default();
        // A survey figure: its interval and, when significant, the verdict.
        let survey = snap.survey_cell(&ind.code, lc, p, code, &page.ctx.reader);
        let fig = KeyFigure {
            id: format!("kf{}", out.len()),
            title: page.text(&ind.name),
            value,
            format: fmt.clone(),
            period: format!("{area}, {}", period_name(p, &page.lang)),
            comparison: comparison.clone(),
            change,
            trend,
            interval: survey.map(|c| {
                (
                    format!(
                        "{} ({}\u{a0}%)",
                        page.word("interval_short"),
                        ind.confidence_level()
                    ),
                    super::indicator::interval_text(&fmt, &c),
                )
            }),
            verdict: survey
                .filter(|c| {
                    c.significance
                        .is_some_and(|s| s != Significance::NotSignificant)
                })
                .and_then(|c| super::indicator::verdict_text(page, &c)),
        };
        let href = page.href(&format!("/indicator/{}", seg(&ind.code)));
        themes_used.push(theme);
        out.push((
            HighlightTile {
                href,
                name: page.text(&ind.name),
                svg: fig.svg(),
            },
            Highlight {
                area: code.clone(),
                indicator: &ind.code,
                period: p.code(),
                value: Num(value.number()),
            },
        ));
    }
    out
}

// --- themes ------------------------------------------------------------------------------------

pub(crate) async fn themes(State(st): State<AppState>, req: Req) -> Response {
    done(themes_page(st, req).await)
}

/// A theme with its public indicators and subthemes (the theme pages and their twins; schema
/// `TwinThemeNode`).
#[derive(Serialize)]
struct ThemeNode<'a> {
    children: Vec<ThemeNode<'a>>,
    code: &'a str,
    depth: usize,
    href: String,
    indicators: Vec<IndicatorLink<'a>>,
    name: String,
}

#[derive(Serialize)]
struct IndicatorLink<'a> {
    code: &'a str,
    href: String,
    name: String,
}

fn theme_node<'a>(
    page: &'a Page,
    themes: &'a [Theme],
    t: &'a Theme,
    depth: usize,
) -> ThemeNode<'a> {
    ThemeNode {
        children: themes
            .iter()
            .filter(|c| c.parent.as_deref() == Some(t.code.as_str()))
            .map(|c| theme_node(page, themes, c, depth + 1))
            .collect(),
        code: &t.code,
        depth,
        href: page.href(&format!("/themes/{}", seg(&t.code))),
        indicators: page
            .ctx
            .idx()
            .public
            .iter()
            .map(|&i| page.ctx.ind(i))
            .filter(|ind| ind.themes.contains(&t.code))
            .map(|ind| IndicatorLink {
                code: &ind.code,
                href: page.href(&format!("/indicator/{}", seg(&ind.code))),
                name: page.text(&ind.name),
            })
            .collect(),
        name: page.text(&t.name),
    }
}

/// The theme tree's twin (`/themes.json`; schema `TwinThemes`).
#[derive(Serialize)]
struct ThemesTwin<'a> {
    themes: &'a [ThemeNode<'a>],
}

/// One theme's twin (`/themes/{code}.json`; schema `TwinTheme`).
#[derive(Serialize)]
struct ThemeTwin<'a> {
    indicators: &'a [ThemeIndicator<'a>],
    theme: &'a ThemeNode<'a>,
}

/// An indicator of a theme, with its description.
#[derive(Serialize)]
struct ThemeIndicator<'a> {
    code: &'a str,
    description: String,
    href: String,
    name: String,
    unit: &'a str,
}

async fn themes_page(st: AppState, req: Req) -> PageResult {
    let page = Page::new(&st, req)?;
    let x = page.ctx.extras().await;
    let themes = visible_themes(&page.ctx, &x.themes);
    let tree: Vec<ThemeNode> = themes
        .iter()
        .filter(|t| {
            t.parent
                .as_ref()
                .is_none_or(|p| !themes.iter().any(|o| &o.code == p))
        })
        .map(|t| theme_node(&page, &themes, t, 0))
        .collect();
    if page.twin() == Some("json") {
        return Ok(json_twin(&ThemesTwin { themes: &tree }));
    }
    let title = format!("{} — {}", page.word("themes"), page.site.name);
    Ok(page.render("themes.html", &title, json!({"tree": tree})))
}

pub(crate) async fn theme(
    State(st): State<AppState>,
    Path(code): Path<String>,
    req: Req,
) -> Response {
    done(theme_page(st, code, req).await)
}

async fn theme_page(st: AppState, code: String, req: Req) -> PageResult {
    let page = Page::new(&st, req)?;
    let x = page.ctx.extras().await;
    let themes = visible_themes(&page.ctx, &x.themes);
    let (code, twin) = match code.strip_suffix(".json") {
        Some(c) if !themes.iter().any(|t| t.code == code) => (c.to_string(), true),
        _ => (code, false),
    };
    let Some(t) = themes.iter().find(|t| t.code == code) else {
        return Err(page.not_found());
    };
    let node = theme_node(&page, &themes, t, 0);
    // Breadcrumb: the theme's ancestors.
    let mut trail = Vec::new();
    let mut cur = t.parent.clone();
    while let Some(p) = cur {
        let Some(pt) = themes.iter().find(|x| x.code == p) else {
            break;
        };
        trail.push(json!({"name": page.text(&pt.name), "href": page.href(&format!("/themes/{}", seg(&pt.code)))}));
        cur = pt.parent.clone();
        if trail.len() > 32 {
            break;
        }
    }
    trail.reverse();
    // Indicators with their descriptions.
    let indicators: Vec<ThemeIndicator> = page
        .ctx
        .idx()
        .public
        .iter()
        .map(|&i| page.ctx.ind(i))
        .filter(|ind| ind.themes.contains(&t.code))
        .map(|ind| ThemeIndicator {
            code: &ind.code,
            description: page.text(&ind.description),
            href: page.href(&format!("/indicator/{}", seg(&ind.code))),
            name: page.text(&ind.name),
            unit: &ind.unit,
        })
        .collect();
    if twin {
        return Ok(json_twin(&ThemeTwin {
            indicators: &indicators,
            theme: &node,
        }));
    }
    let title = format!("{} — {}", page.text(&t.name), page.site.name);
    Ok(page.render(
        "theme.html",
        &title,
        json!({"theme": node, "trail": trail, "indicators": indicators, "explorer": page.href(&format!("/explorer?indicators={}", encode(&indicators.iter().map(|i| i.code).take(6).collect::<Vec<_>>().join(","))))}),
    ))
}

// --- search ------------------------------------------------------------------------------------

pub(crate) async fn search(State(st): State<AppState>, req: Req) -> Response {
    done(search_page(st, req).await)
}

/// The search page's context and twin (`/search.json`; schema `TwinSearch`).
#[derive(Serialize)]
struct SearchTwin<'a> {
    /// At most 30.
    areas: Vec<SearchArea<'a>>,
    /// The first 50 of `total`.
    indicators: Vec<SearchIndicator<'a>>,
    /// Sections of the handbook (at most 10).
    manual: Vec<ManualHit>,
    q: &'a str,
    themes: Vec<Link>,
    total: usize,
}

/// A section of the handbook that has every search word.
#[derive(Serialize)]
struct ManualHit {
    /// The chapter's title.
    chapter: &'static str,
    href: String,
    /// The section's heading.
    name: String,
}

/// The handbook's sections (in the page's handbook language) whose heading or text has every
/// query word as the start of one of its words; sections whose heading matches come first.
fn manual_hits(page: &Page, qwords: &[String]) -> Vec<ManualHit> {
    use crate::manual;
    if qwords.is_empty() {
        return Vec::new();
    }
    let root = manual::root(&page.lang);
    let mut hits: Vec<(bool, ManualHit)> = Vec::new();
    for c in manual::CHAPTERS {
        let slug = c.slug(&page.lang);
        for s in manual::sections(c.text(&page.lang)) {
            let head = words(&s.heading);
            let body = words(&s.text);
            let has = |w: &String, ws: &[String]| ws.iter().any(|x| x.starts_with(w.as_str()));
            if !qwords.iter().all(|w| has(w, &head) || has(w, &body)) {
                continue;
            }
            let in_heading = qwords.iter().all(|w| has(w, &head));
            let href = if s.anchor.is_empty() {
                page.href(&format!("/{root}/{slug}"))
            } else {
                page.href(&format!("/{root}/{slug}#{}", s.anchor))
            };
            hits.push((
                in_heading,
                ManualHit {
                    chapter: c.title(&page.lang),
                    href,
                    name: s.heading,
                },
            ));
        }
    }
    hits.sort_by_key(|(h, _)| !*h);
    hits.into_iter().take(10).map(|(_, h)| h).collect()
}

#[derive(Serialize)]
struct SearchIndicator<'a> {
    code: &'a str,
    description: String,
    href: String,
    name: String,
}

#[derive(Serialize)]
struct SearchArea<'a> {
    href: String,
    /// The level's name.
    level: &'a str,
    name: &'a str,
}

/// A link with its text.
#[derive(Serialize)]
struct Link {
    href: String,
    name: String,
}

async fn search_page(st: AppState, req: Req) -> PageResult {
    let page = Page::new(&st, req)?;
    let q = page.param("q").unwrap_or("").trim().to_string();
    let query = Query::new(&q);
    let idx = page.ctx.idx();
    let mut hits: Vec<(u32, u32)> = Vec::new();
    if !query.is_empty() {
        for (k, doc) in idx.docs.iter().enumerate() {
            if doc.excluded {
                continue;
            }
            if let Some(s) = doc.score(&query) {
                hits.push((s, idx.public[k]));
            }
        }
    }
    hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let total_hits = hits.len();
    hits.truncate(50);
    let indicators: Vec<SearchIndicator> = hits
        .iter()
        .map(|(_, i)| {
            let ind = page.ctx.ind(*i);
            SearchIndicator {
                code: &ind.code,
                description: page.text(&ind.description),
                href: page.href(&format!("/indicator/{}", seg(&ind.code))),
                name: page.text(&ind.name),
            }
        })
        .collect();
    // Areas: every query word is the start of a word of the name (or the code).
    let qwords = words(&q);
    let mut areas: Vec<SearchArea> = Vec::new();
    if !qwords.is_empty() {
        'levels: for l in &page.ctx.snap.levels {
            for (_, it) in &l.items {
                if it.unknown_location {
                    continue;
                }
                let name_words = words(&it.name);
                let code = fold(&it.code);
                let ok = qwords.iter().all(|w| {
                    code.starts_with(w.as_str())
                        || name_words.iter().any(|n| n.starts_with(w.as_str()))
                });
                if ok {
                    areas.push(SearchArea {
                        href: page.href(&format!("/area/{}/{}", seg(&l.level.code), seg(&it.code))),
                        level: &l.level.name,
                        name: &it.name,
                    });
                    if areas.len() >= 30 {
                        break 'levels;
                    }
                }
            }
        }
    }
    let x = page.ctx.extras().await;
    let themes: Vec<Link> = if qwords.is_empty() {
        Vec::new()
    } else {
        visible_themes(&page.ctx, &x.themes)
            .iter()
            .filter(|t| {
                let n = words(&page.text(&t.name));
                qwords
                    .iter()
                    .all(|w| n.iter().any(|x| x.starts_with(w.as_str())))
            })
            .map(|t| Link {
                href: page.href(&format!("/themes/{}", seg(&t.code))),
                name: page.text(&t.name),
            })
            .collect()
    };
    let manual = manual_hits(&page, &qwords);
    let found = SearchTwin {
        areas,
        indicators,
        manual,
        q: &q,
        themes,
        total: total_hits,
    };
    if page.twin() == Some("json") {
        return Ok(json_twin(&found));
    }
    let title = format!("{} {} — {}", page.word("results_for"), q, page.site.name);
    Ok(page.render("search.html", &title, json!(found)))
}

// --- compare -----------------------------------------------------------------------------------

pub(crate) async fn compare(State(st): State<AppState>, req: Req) -> Response {
    done(compare_page(st, req).await)
}

/// Numeric public indicators with data on a level (first `n`).
fn indicators_on(page: &Page, level: usize, n: usize) -> Vec<u32> {
    page.ctx
        .idx()
        .public
        .iter()
        .copied()
        .filter(|&i| {
            page.ctx.ind(i).data_type.is_numeric() && !geo::periods(page, i, level).is_empty()
        })
        .take(n)
        .collect()
}

/// A level chosen by the request, else the finest with at most 400 areas.
fn level_param(page: &Page) -> Option<usize> {
    let snap = &page.ctx.snap;
    page.param("level")
        .and_then(|l| snap.level_index.get(l).copied())
        .or_else(|| {
            (0..snap.levels.len())
                .filter(|l| snap.levels[*l].items.len() > 1 && snap.levels[*l].items.len() <= 400)
                .max_by_key(|l| snap.levels[*l].items.len())
        })
}

/// The compare page's twin (`/compare.json`; schema `TwinCompare`).
#[derive(Serialize)]
struct CompareTwin<'a> {
    areas: &'a [String],
    level: &'a str,
    rows: &'a [CompareRow],
}

/// One indicator's row of the compare table: a cell per area, then per reference area.
#[derive(Serialize)]
struct CompareRow {
    cells: Vec<CompareCell>,
    href: String,
    name: String,
    /// The period's label.
    period: String,
}

/// One cell of the compare table, as the page shows it and as a number.
#[derive(Serialize)]
struct CompareCell {
    /// The bar's length in % of the row's largest absolute value.
    bar: Option<f64>,
    interval: Option<String>,
    lower: Option<f64>,
    mark: Option<&'static str>,
    num: Num,
    significance: Option<&'static str>,
    upper: Option<f64>,
    /// The value with its unit.
    value: String,
    verdict: Option<String>,
}

async fn compare_page(st: AppState, req: Req) -> PageResult {
    let page = Page::new(&st, req)?;
    let snap = page.ctx.snap.clone();
    let Some(level) = level_param(&page) else {
        return Err(page.not_found());
    };
    let lvl = &snap.levels[level];
    let mut areas: Vec<String> = page
        .list("areas")
        .into_iter()
        .filter(|c| lvl.pos.contains_key(c))
        .collect();
    if areas.is_empty() {
        areas = lvl
            .items
            .iter()
            .filter(|(_, it)| !it.unknown_location)
            .take(3)
            .map(|(_, it)| it.code.clone())
            .collect();
    }
    areas.truncate(12);
    // The first area's ancestors as reference columns.
    let refs: Vec<(usize, String)> = match areas.first() {
        Some(a) => geo::ancestors(&page, level, a).await,
        None => Vec::new(),
    };
    let chosen: Vec<u32> = {
        let asked: Vec<u32> = page
            .list("indicators")
            .iter()
            .filter_map(|c| page.ctx.indicator(c).ok().map(|x| x.0))
            .collect();
        if asked.is_empty() {
            indicators_on(&page, level, 15)
        } else {
            asked
        }
    };
    let total = geo::total();
    let mut columns: Vec<(usize, String, String)> = areas
        .iter()
        .map(|c| {
            (
                level,
                c.clone(),
                geo::area_name(&page, level, c).unwrap_or_default(),
            )
        })
        .collect();
    for (l, c) in &refs {
        columns.push((
            *l,
            c.clone(),
            geo::area_name(&page, *l, c).unwrap_or_default(),
        ));
    }
    let mut rows: Vec<CompareRow> = Vec::new();
    let mut csv = Table::new(
        page.word("compare"),
        "compare",
        vec![
            Col::new("indicator", Kind::Text, "Indicator code").required(),
            Col::new("period", Kind::Text, "Period code"),
            Col::new("level", Kind::Text, "Geo level code").required(),
            Col::new("area", Kind::Text, "Area code").required(),
            Col::new("value", Kind::Number, "Value"),
            Col::new("status", Kind::Text, "Missing code, if any"),
        ],
    );
    let reader = &page.ctx.reader;
    let survey = chosen
        .iter()
        .any(|&i| snap.survey_visible_to(page.ctx.ind(i), reader));
    if survey {
        csv.columns.extend([
            Col::new(
                "lower",
                Kind::Number,
                "Survey indicators: lower bound of the confidence interval",
            ),
            Col::new(
                "upper",
                Kind::Number,
                "Survey indicators: upper bound of the confidence interval",
            ),
            Col::new(
                "confidence",
                Kind::Number,
                "Survey indicators: confidence level, in %",
            ),
            Col::new(
                "significance",
                Kind::Text,
                "Survey indicators: higher, lower or not-significant against the benchmark area",
            ),
            Col::new(
                "benchmark",
                Kind::Text,
                "Survey indicators: the benchmark area (level:code)",
            ),
        ]);
    }
    for &i in &chosen {
        let ind = page.ctx.ind(i);
        let ps = geo::periods(&page, i, level);
        let Some(p) = geo::default_period(&ps) else {
            continue;
        };
        let fmt = format_of(&page, ind);
        let mut cells = Vec::new();
        for (l, c, _) in &columns {
            let lc = &snap.levels[*l].level.code;
            let v = snap
                .value(&ind.code, lc, p, &total, c, &page.ctx.reader)
                .unwrap_or(Value::Missing(MissingCode::Empty));
            let sv = snap.survey_cell(&ind.code, lc, p, c, reader);
            let mut row = vec![
                Cell::text(ind.code.clone()),
                Cell::text(p.code()),
                Cell::text(lc.clone()),
                Cell::text(c.clone()),
                v.number()
                    .map_or(Cell::Empty, |x| Cell::Number(x, ind.decimals)),
                Cell::opt(match v {
                    Value::Missing(m) => Some(m.symbol()),
                    _ => None,
                }),
            ];
            if survey {
                let bench = sv.and_then(|c| c.benchmark).and_then(|b| snap.area_at(b));
                row.extend([
                    sv.map_or(Cell::Empty, |c| Cell::Number(c.interval.low, None)),
                    sv.map_or(Cell::Empty, |c| Cell::Number(c.interval.high, None)),
                    sv.map_or(
                        Cell::Empty,
                        |_| Cell::Integer(ind.confidence_level() as i64),
                    ),
                    Cell::opt(sv.and_then(|c| c.significance).map(|s| s.code())),
                    Cell::opt(bench.map(|(l, it)| format!("{l}:{}", it.code))),
                ]);
            }
            csv.rows.push(row);
            cells.push(CompareCell {
                bar: None,
                interval: sv
                    .as_ref()
                    .map(|c| super::indicator::interval_text(&fmt, c)),
                lower: sv.map(|c| c.interval.low),
                mark: sv.as_ref().and_then(super::indicator::verdict_mark),
                num: Num(v.number()),
                significance: sv.and_then(|c| c.significance).map(|s| s.code()),
                upper: sv.map(|c| c.interval.high),
                value: fmt.with_unit(v),
                verdict: sv
                    .as_ref()
                    .and_then(|c| super::indicator::verdict_text(&page, c)),
            });
        }
        // A bar per area in the row, scaled to the row's largest value, for the eye.
        let max = cells
            .iter()
            .filter_map(|c| c.num.0)
            .fold(0.0_f64, |m, x| m.max(x.abs()));
        for c in &mut cells {
            c.bar = c
                .num
                .0
                .filter(|_| max > 0.0)
                .map(|x| (x.abs() / max * 100.0).round());
        }
        rows.push(CompareRow {
            cells,
            href: page.href(&format!(
                "/indicator/{}?level={}&select={}",
                seg(&ind.code),
                encode(&lvl.level.code),
                encode(&areas.join(","))
            )),
            name: page.text(&ind.name),
            period: period_name(p, &page.lang),
        });
    }
    match page.twin() {
        Some("json") => {
            return Ok(json_twin(&CompareTwin {
                areas: &areas,
                level: &lvl.level.code,
                rows: &rows,
            }));
        }
        Some("csv") => return Ok(csv.respond(Format::Csv, &page.req, &page.site.name)),
        _ => {}
    }
    let options: Vec<Choice> = if lvl.items.len() <= 2000 {
        lvl.items
            .iter()
            .filter(|(_, it)| !it.unknown_location)
            .map(|(_, it)| Choice {
                code: &it.code,
                name: it.name.clone(),
                current: areas.contains(&it.code),
            })
            .collect()
    } else {
        Vec::new()
    };
    let ind_options: Vec<Choice> = indicators_on(&page, level, usize::MAX)
        .iter()
        .map(|&i| {
            let ind = page.ctx.ind(i);
            Choice {
                code: &ind.code,
                name: page.text(&ind.name),
                current: chosen.contains(&i),
            }
        })
        .collect();
    let title = format!("{} — {}", page.word("compare"), page.site.name);
    let context = ComparePage {
        columns: columns
            .iter()
            .map(|(l, c, n)| Column {
                name: n,
                reference: *l != level,
                href: page.href(&format!(
                    "/area/{}/{}",
                    seg(&snap.levels[*l].level.code),
                    seg(c)
                )),
            })
            .collect(),
        rows: &rows,
        options,
        area_codes: areas.join(","),
        ind_options,
        levels: level_choices(&snap, lvl),
        csv: page.href(&format!(
            "/compare.csv?level={}&areas={}&indicators={}",
            encode(&lvl.level.code),
            encode(&areas.join(",")),
            encode(
                &chosen
                    .iter()
                    .map(|i| page.ctx.ind(*i).code.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            )
        )),
    };
    Ok(page.render_typed("compare.html", &title, &context))
}

/// What `compare.html` shows.
#[derive(Serialize)]
struct ComparePage<'a> {
    /// The chosen areas, then the first area's parents as reference columns.
    columns: Vec<Column<'a>>,
    rows: &'a [CompareRow],
    /// The level's areas to choose from (none on a level of more than 2000).
    options: Vec<Choice<'a>>,
    area_codes: String,
    ind_options: Vec<Choice<'a>>,
    levels: Vec<Choice<'a>>,
    csv: String,
}

#[derive(Serialize)]
struct Column<'a> {
    name: &'a str,
    /// A parent area rather than a chosen one.
    reference: bool,
    href: String,
}

/// One option of a choice (an area, indicator or level), `current` when chosen.
#[derive(Serialize)]
struct Choice<'a> {
    code: &'a str,
    name: String,
    current: bool,
}

/// The levels with more than one area, to choose from.
fn level_choices<'a>(
    snap: &'a peil_compute::Snapshot,
    current: &peil_compute::snapshot::SnapshotLevel,
) -> Vec<Choice<'a>> {
    snap.levels
        .iter()
        .filter(|l| l.items.len() > 1)
        .map(|l| Choice {
            code: &l.level.code,
            name: l.level.name.clone(),
            current: l.level.code == current.level.code,
        })
        .collect()
}

// --- explorer ----------------------------------------------------------------------------------

pub(crate) async fn explorer(State(st): State<AppState>, req: Req) -> Response {
    done(explorer_page(st, req).await)
}

/// The explorer's twin (`/explorer.json`; schema `TwinExplorer`).
#[derive(Serialize)]
struct ExplorerTwin<'a> {
    indicators: Vec<&'a str>,
    level: &'a str,
    periods: Vec<String>,
    rows: &'a [ExplorerRow<'a>],
}

/// One row of the explorer's table: an area in a period, a cell per indicator.
#[derive(Serialize)]
struct ExplorerRow<'a> {
    cells: Vec<ExplorerCell<'a>>,
    code: &'a str,
    name: String,
    /// The period's label.
    period: String,
}

/// One indicator's cell, as the page shows it and as a number, with a survey indicator's
/// interval and verdict.
#[derive(Serialize)]
struct ExplorerCell<'a> {
    benchmark: Option<AreaRef<'a>>,
    interval: Option<String>,
    lower: Option<f64>,
    mark: Option<&'static str>,
    num: Num,
    significance: Option<&'static str>,
    /// Whether the indicator is a survey indicator whose intervals the reader may see.
    survey: bool,
    upper: Option<f64>,
    /// The value with its unit.
    value: String,
    verdict: Option<String>,
}

async fn explorer_page(st: AppState, req: Req) -> PageResult {
    let page = Page::new(&st, req)?;
    let snap = page.ctx.snap.clone();
    let Some(level) = level_param(&page) else {
        return Err(page.not_found());
    };
    let lvl = &snap.levels[level];
    let mut chosen: Vec<u32> = page
        .list("indicators")
        .iter()
        .filter_map(|c| page.ctx.indicator(c).ok().map(|x| x.0))
        .collect();
    chosen.retain(|i| !geo::periods(&page, *i, level).is_empty());
    if chosen.is_empty() {
        chosen = indicators_on(&page, level, 1);
    }
    chosen.truncate(10);
    let areas: Vec<String> = {
        let asked: Vec<String> = page
            .list("areas")
            .into_iter()
            .filter(|c| lvl.pos.contains_key(c))
            .collect();
        if asked.is_empty() {
            lvl.items
                .iter()
                .filter(|(_, it)| !it.unknown_location)
                .map(|(_, it)| it.code.clone())
                .collect()
        } else {
            asked
        }
    };
    let all_periods: Vec<Period> = {
        let mut v: Vec<Period> = chosen
            .iter()
            .flat_map(|i| geo::periods(&page, *i, level))
            .collect();
        v.sort_by_key(|p| (p.level, p.ordinal()));
        v.dedup();
        v
    };
    let periods: Vec<Period> = {
        let asked: Vec<Period> = page
            .list("periods")
            .iter()
            .filter_map(|p| Period::parse(p).ok())
            .filter(|p| all_periods.contains(p))
            .collect();
        if asked.is_empty() {
            geo::default_period(&all_periods).into_iter().collect()
        } else {
            asked
        }
    };
    let view = match page.param("view") {
        Some("map") => "map",
        Some("chart") => "chart",
        _ => "table",
    };
    let total = geo::total();
    let value = |i: u32, p: Period, c: &str| {
        snap.value(
            &page.ctx.ind(i).code,
            &lvl.level.code,
            p,
            &total,
            c,
            &page.ctx.reader,
        )
        .unwrap_or(Value::Missing(MissingCode::Empty))
    };
    // Table: one row per area and period, one column per indicator.
    let mut table_rows: Vec<ExplorerRow> = Vec::new();
    let mut csv = Table::new(
        page.word("explorer"),
        "explorer",
        vec![
            Col::new("area", Kind::Text, "Area code").required(),
            Col::new("name", Kind::Text, "Area name"),
            Col::new("period", Kind::Text, "Period code").required(),
        ],
    );
    for &i in &chosen {
        csv.columns.push(Col::new(
            page.ctx.ind(i).code.clone(),
            Kind::Number,
            page.text(&page.ctx.ind(i).name),
        ));
    }
    // Survey indicators whose intervals this reader may see: the confidence level of each
    // (an interval and a verdict column follow its value; in the CSV, after all values).
    let reader = &page.ctx.reader;
    let confidence: Vec<Option<u8>> = chosen
        .iter()
        .map(|&i| {
            let ind = page.ctx.ind(i);
            snap.survey_visible_to(ind, reader)
                .then(|| ind.confidence_level())
        })
        .collect();
    for (&i, c) in chosen.iter().zip(&confidence) {
        let Some(c) = c else { continue };
        let code = &page.ctx.ind(i).code;
        csv.columns.extend([
            Col::new(
                format!("{code}_lower"),
                Kind::Number,
                format!("{code}: lower bound of the {c} % confidence interval"),
            ),
            Col::new(
                format!("{code}_upper"),
                Kind::Number,
                format!("{code}: upper bound of the {c} % confidence interval"),
            ),
            Col::new(
                format!("{code}_significance"),
                Kind::Text,
                format!("{code}: higher, lower or not-significant against the benchmark area"),
            ),
            Col::new(
                format!("{code}_benchmark"),
                Kind::Text,
                format!("{code}: the benchmark area (level:code)"),
            ),
        ]);
    }
    let fmts: Vec<_> = chosen
        .iter()
        .map(|&i| format_of(&page, page.ctx.ind(i)))
        .collect();
    for c in &areas {
        let name = geo::area_name(&page, level, c).unwrap_or_default();
        for p in &periods {
            let vals: Vec<Value> = chosen.iter().map(|&i| value(i, *p, c)).collect();
            let svs: Vec<Option<SurveyCell>> = chosen
                .iter()
                .zip(&confidence)
                .map(|(&i, conf)| {
                    conf.and_then(|_| {
                        snap.survey_cell(&page.ctx.ind(i).code, &lvl.level.code, *p, c, reader)
                    })
                })
                .collect();
            let mut row = vec![
                Cell::text(c.clone()),
                Cell::text(name.clone()),
                Cell::text(p.code()),
            ];
            for v in &vals {
                row.push(v.number().map_or_else(
                    || {
                        Cell::opt(match v {
                            Value::Missing(m) => Some(m.symbol()),
                            _ => None,
                        })
                    },
                    |x| Cell::Number(x, None),
                ));
            }
            for (sv, conf) in svs.iter().zip(&confidence) {
                if conf.is_none() {
                    continue;
                }
                let bench = sv.and_then(|c| c.benchmark).and_then(|b| snap.area_at(b));
                row.extend([
                    sv.map_or(Cell::Empty, |c| Cell::Number(c.interval.low, None)),
                    sv.map_or(Cell::Empty, |c| Cell::Number(c.interval.high, None)),
                    Cell::opt(sv.and_then(|c| c.significance).map(|s| s.code())),
                    Cell::opt(bench.map(|(l, it)| format!("{l}:{}", it.code))),
                ]);
            }
            csv.rows.push(row);
            let cells: Vec<ExplorerCell> = vals
                .iter()
                .zip(&fmts)
                .zip(svs.iter().zip(&confidence))
                .map(|((v, f), (sv, conf))| ExplorerCell {
                    benchmark: sv
                        .and_then(|c| c.benchmark)
                        .and_then(|b| snap.area_at(b))
                        .map(|(l, it)| AreaRef {
                            item: &it.code,
                            level: l,
                        }),
                    interval: sv.as_ref().map(|c| super::indicator::interval_text(f, c)),
                    lower: sv.map(|c| c.interval.low),
                    mark: sv.as_ref().and_then(super::indicator::verdict_mark),
                    num: Num(v.number()),
                    significance: sv.and_then(|c| c.significance).map(|s| s.code()),
                    survey: conf.is_some(),
                    upper: sv.map(|c| c.interval.high),
                    value: f.with_unit(*v),
                    verdict: sv
                        .as_ref()
                        .and_then(|c| super::indicator::verdict_text(&page, c)),
                })
                .collect();
            table_rows.push(ExplorerRow {
                cells,
                code: c,
                name: name.clone(),
                period: period_name(*p, &page.lang),
            });
        }
    }
    match page.twin() {
        Some("json") => {
            return Ok(json_twin(&ExplorerTwin {
                indicators: chosen.iter().map(|i| &*page.ctx.ind(*i).code).collect(),
                level: &lvl.level.code,
                periods: periods.iter().map(|p| p.code()).collect(),
                rows: &table_rows,
            }));
        }
        Some("csv") => return Ok(csv.respond(Format::Csv, &page.req, &page.site.name)),
        _ => {}
    }
    // A level without data (a survey-only site, a level nothing is loaded on) has no
    // indicator or period to draw: the page says so instead of failing.
    let graphic = if chosen.is_empty() || periods.is_empty() {
        None
    } else {
        let sel = Selection {
            level,
            chosen: &chosen,
            periods: &periods,
            areas: &areas,
            confidence: &confidence,
            fmts: &fmts,
        };
        explorer_graphic(&page, &sel, view).await
    };
    let x = page.ctx.extras().await;
    let themes = visible_themes(&page.ctx, &x.themes);
    let mut groups: Vec<Json> = Vec::new();
    let mut placed: std::collections::HashSet<u32> = Default::default();
    let on_level = indicators_on(&page, level, usize::MAX);
    for t in &themes {
        let opts: Vec<Json> = on_level
            .iter()
            .filter(|i| page.ctx.ind(**i).themes.first() == Some(&t.code))
            .map(|&i| {
                placed.insert(i);
                json!({"code": page.ctx.ind(i).code, "name": page.text(&page.ctx.ind(i).name), "current": chosen.contains(&i)})
            })
            .collect();
        if !opts.is_empty() {
            groups.push(json!({"name": page.text(&t.name), "options": opts}));
        }
    }
    let rest: Vec<Json> = on_level
        .iter()
        .filter(|i| !placed.contains(i))
        .map(|&i| json!({"code": page.ctx.ind(i).code, "name": page.text(&page.ctx.ind(i).name), "current": chosen.contains(&i)}))
        .collect();
    if !rest.is_empty() {
        groups.push(json!({"name": page.word("indicators"), "options": rest}));
    }
    let asked_areas = page.list("areas");
    let title = format!("{} — {}", page.word("explorer"), page.site.name);
    let query = page
        .req
        .raw_pairs
        .iter()
        .filter(|(k, _)| k != "view")
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let views: Vec<Json> = ["table", "map", "chart"]
        .iter()
        .map(|v| {
            let sep = if query.is_empty() { "" } else { "&" };
            json!({"code": v, "href": page.href(&format!("/explorer?{query}{sep}view={v}")), "current": *v == view})
        })
        .collect();
    Ok(page.render(
        "explorer.html",
        &title,
        json!({
            "groups": groups,
            "levels": level_choices(&snap, lvl),
            "area_options": if lvl.items.len() <= 2000 { lvl.items.iter().filter(|(_, it)| !it.unknown_location).map(|(_, it)| json!({"code": it.code, "name": it.name, "current": asked_areas.contains(&it.code)})).collect::<Vec<_>>() } else { Vec::new() },
            "period_options": all_periods.iter().rev().map(|p| json!({"code": p.code(), "name": period_name(*p, &page.lang), "current": periods.contains(p)})).collect::<Vec<_>>(),
            "view": view,
            "headers": chosen.iter().zip(&confidence).map(|(&i, c)| json!({"name": page.text(&page.ctx.ind(i).name), "unit": page.ctx.ind(i).unit, "href": page.href(&format!("/indicator/{}", seg(&page.ctx.ind(i).code))), "confidence": c})).collect::<Vec<_>>(),
            "survey": confidence.iter().any(Option::is_some),
            "rows": if view == "table" { &table_rows[..] } else { &[] },
            "graphic": graphic,
            "views": views,
            "csv": page.href(&format!("/explorer.csv?{query}")),
            "json": page.href(&format!("/explorer.json?{query}")),
        }),
    ))
}

/// What the explorer shows: a level, the chosen indicators (each with its number format and,
/// for readers who may see them, its survey confidence level), areas and periods.
struct Selection<'a> {
    level: usize,
    chosen: &'a [u32],
    periods: &'a [Period],
    areas: &'a [String],
    confidence: &'a [Option<u8>],
    fmts: &'a [peil_render::NumberFormat],
}

/// The explorer's graphic of a selection with at least one indicator and period: the first
/// indicator's map in the first period, its trend over the periods for up to 10 areas, or a
/// bar chart of up to 4 indicators with the same unit for up to 60 areas.
async fn explorer_graphic(page: &Page, sel: &Selection<'_>, view: &str) -> Option<String> {
    let snap = &page.ctx.snap;
    let (level, chosen, periods, areas) = (sel.level, sel.chosen, sel.periods, sel.areas);
    let (confidence, fmts) = (sel.confidence, sel.fmts);
    let lvl = &snap.levels[level];
    let total = geo::total();
    let value = |i: u32, p: Period, c: &str| {
        snap.value(
            &page.ctx.ind(i).code,
            &lvl.level.code,
            p,
            &total,
            c,
            &page.ctx.reader,
        )
        .unwrap_or(Value::Missing(MissingCode::Empty))
    };
    let first = chosen[0];
    let first_ind = page.ctx.ind(first);
    match view {
        "map" => {
            let p = periods[0];
            let values: HashMap<String, Value> = areas
                .iter()
                .map(|c| (c.clone(), value(first, p, c)))
                .collect();
            let nums: Vec<f64> = values.values().filter_map(|v| v.number()).collect();
            // A survey indicator's interval and verdict in each area's tooltip.
            let notes: Option<HashMap<String, String>> = confidence[0].map(|conf| {
                areas
                    .iter()
                    .filter_map(|c| {
                        let cell = snap.survey_cell(
                            &first_ind.code,
                            &lvl.level.code,
                            p,
                            c,
                            &page.ctx.reader,
                        )?;
                        Some((
                            c.clone(),
                            super::indicator::survey_note(page, &fmts[0], conf, &cell),
                        ))
                    })
                    .collect()
            });
            let classes = Classes::new(&nums, &Method::MeanStdDev, 5);
            let colours = palette::sequential(classes.len().max(1));
            let layer = geo::layer(page, level, geo::Detail::Overview).await?;
            Some(choropleth(&MapSpec {
                id: "xmap",
                title: &format!(
                    "{} — {}",
                    page.text(&first_ind.name),
                    period_name(p, &page.lang)
                ),
                description: &page.text(&first_ind.description),
                layer: &layer,
                values: peil_render::MapValues::ByCode(&values),
                format: &fmts[0],
                classes: &classes,
                palette: &colours,
                selected: &[],
                href: None,
                view: None,
                legend: true,
                legend_title: &page.text(&first_ind.name),
                notes: notes.as_ref(),
                sprite: None,
            }))
        }
        "chart" if periods.len() > 1 => {
            let shown: Vec<&String> = areas.iter().take(10).collect();
            Some(
                LineChart {
                    id: "xchart".into(),
                    title: page.text(&first_ind.name),
                    description: page.text(&first_ind.description),
                    x_labels: periods
                        .iter()
                        .map(|p| period_name(*p, &page.lang))
                        .collect(),
                    series: shown
                        .iter()
                        .map(|c| {
                            (
                                Some((*c).clone()),
                                Series {
                                    name: geo::area_name(page, level, c).unwrap_or_default(),
                                    values: periods.iter().map(|p| value(first, *p, c)).collect(),
                                },
                            )
                        })
                        .collect(),
                    format: fmts[0].clone(),
                    width: 720.0,
                    height: 320.0,
                }
                .svg(),
            )
        }
        "chart" => {
            let p = periods[0];
            let shown: Vec<&String> = areas.iter().take(60).collect();
            Some(
                BarChart {
                    id: "xchart".into(),
                    title: format!(
                        "{} — {}",
                        page.text(&first_ind.name),
                        period_name(p, &page.lang)
                    ),
                    description: page.text(&first_ind.description),
                    categories: shown
                        .iter()
                        .map(|c| Category {
                            code: Some((*c).clone()),
                            label: geo::area_name(page, level, c).unwrap_or_default(),
                        })
                        .collect(),
                    series: chosen
                        .iter()
                        .filter(|i| page.ctx.ind(**i).unit == first_ind.unit)
                        .take(4)
                        .map(|&i| Series {
                            name: page.text(&page.ctx.ind(i).name),
                            values: shown.iter().map(|c| value(i, p, c)).collect(),
                        })
                        .collect(),
                    mode: BarMode::Grouped,
                    horizontal: true,
                    format: fmts[0].clone(),
                    highlight: Vec::new(),
                    reference: Vec::new(),
                    width: 720.0,
                    // Whiskers of the first indicator (drawn when it is the only series).
                    intervals: shown
                        .iter()
                        .map(|c| {
                            snap.survey_cell(
                                &first_ind.code,
                                &snap.levels[level].level.code,
                                p,
                                c,
                                &page.ctx.reader,
                            )
                            .map(|c| (c.interval.low, c.interval.high))
                        })
                        .collect(),
                }
                .svg(),
            )
        }
        _ => None,
    }
}
