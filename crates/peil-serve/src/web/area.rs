//! The area profile ("wijk in cijfers"): an area's key figures against its parent and the
//! region with their trend, its rank and place among its siblings, a locator map, and the
//! profile ring of standardised scores grouped by theme.

use super::geo::{self, Detail};
use super::indicator::format_of;
use super::{AreaRef, Num, Page, PageResult, json_twin};
use crate::AppState;
use crate::api::{Req, period_name, seg};
use axum::extract::{Path, State};
use axum::response::Response;
use peil_compute::survey::Cell as SurveyCell;
use peil_core::{DataType, MissingCode, Period, Value};
use peil_render::{ProfileRing, RingSlice, escape, sparkline};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

pub(crate) async fn page(
    State(st): State<AppState>,
    Path((level, code)): Path<(String, String)>,
    req: Req,
) -> Response {
    run(st, level, code, req).await.unwrap_or_else(|e| e)
}

/// The area profile's twin (`/area/{level}/{code}.json`; schema `TwinArea`).
#[derive(Serialize)]
struct AreaTwin<'a> {
    /// Nearest first.
    ancestors: Vec<AncestorTwin<'a>>,
    code: &'a str,
    figures: Vec<FigureTwin<'a>>,
    level: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct AncestorTwin<'a> {
    code: &'a str,
    level: &'a str,
}

/// One key figure: the area's value, its parent's and the top area's, its rank among its
/// siblings (`rank` of `of`), its standardised score, and a survey indicator's interval.
#[derive(Serialize)]
struct FigureTwin<'a> {
    benchmark: Option<AreaRef<'a>>,
    indicator: &'a str,
    lower: Option<f64>,
    of: Option<usize>,
    parent: Option<Num>,
    period: String,
    rank: Option<usize>,
    region: Option<Num>,
    score: Option<f64>,
    significance: Option<&'static str>,
    status: Option<&'static str>,
    upper: Option<f64>,
    value: Num,
}

/// One key figure of the profile.
struct Figure {
    i: u32,
    theme: String,
    period: Period,
    value: Value,
    /// (name, value) of the nearest ancestor and the top one.
    parent: Option<(String, Value)>,
    region: Option<(String, Value)>,
    trend: Vec<Value>,
    rank: Option<(usize, usize)>,
    siblings: Vec<f64>,
    score: Option<f64>,
    /// The survey interval and verdict (survey indicators the reader may see them of).
    survey: Option<SurveyCell>,
}

async fn run(st: AppState, level: String, code: String, req: Req) -> PageResult {
    let page = Page::new(&st, req)?;
    let (code, twin) = match code.strip_suffix(".json") {
        Some(c) => (c.to_string(), true),
        None => (code, false),
    };
    let snap = page.ctx.snap.clone();
    let Some(&li) = snap.level_index.get(&level) else {
        return Err(page.not_found());
    };
    let lvl = &snap.levels[li];
    let Some(&pos) = lvl.pos.get(&code) else {
        return Err(page.not_found());
    };
    let item = &lvl.items[pos as usize].1;
    let ancestors = geo::ancestors(&page, li, &code).await;
    let siblings: HashSet<String> = geo::siblings(&page, li, &code).await.into_iter().collect();
    let x = page.ctx.extras().await;
    let theme_names: HashMap<&str, String> = x
        .themes
        .iter()
        .map(|t| (t.code.as_str(), page.text(&t.name)))
        .collect();
    let theme_order: HashMap<&str, usize> = x
        .themes
        .iter()
        .enumerate()
        .map(|(k, t)| (t.code.as_str(), k))
        .collect();
    let total = geo::total();
    let mut figures: Vec<Figure> = Vec::new();
    for &i in &page.ctx.idx().public {
        let ind = page.ctx.ind(i);
        if !ind.data_type.is_numeric() {
            continue;
        }
        let periods = geo::periods(&page, i, li);
        let Some(period) = geo::default_period(&periods) else {
            continue;
        };
        let Some(series) = snap.series(&ind.code, &level, period, &total, &page.ctx.reader) else {
            continue;
        };
        let value = series[pos as usize].1;
        let mut sib: Vec<f64> = series
            .iter()
            .filter(|(it, _)| siblings.contains(&it.code))
            .filter_map(|(_, v)| v.number())
            .collect();
        let rank = value
            .number()
            .map(|v| (sib.iter().filter(|y| **y > v).count() + 1, sib.len()));
        let value_of = |l: usize, c: &str| {
            snap.value(
                &ind.code,
                &snap.levels[l].level.code,
                period,
                &total,
                c,
                &page.ctx.reader,
            )
        };
        let named = |l: usize, c: &str| -> Option<(String, Value)> {
            Some((geo::area_name(&page, l, c)?, value_of(l, c)?))
        };
        let parent = ancestors.iter().find_map(|(l, c)| named(*l, c));
        let region = ancestors
            .iter()
            .rev()
            .find_map(|(l, c)| named(*l, c))
            .filter(|r| Some(&r.0) != parent.as_ref().map(|p| &p.0));
        let trend: Vec<Value> = periods
            .iter()
            .filter(|p| p.level == period.level)
            .map(|p| {
                snap.value(&ind.code, &level, *p, &total, &code, &page.ctx.reader)
                    .unwrap_or(Value::Missing(MissingCode::Empty))
            })
            .collect();
        // Standardised score: distance from the reference (the parent's value, else the
        // siblings' mean) in standard deviations of the siblings. Counts are not comparable
        // between areas of different size, so only rates, shares and means get one.
        let score = match (ind.data_type, value.number()) {
            (DataType::Percentage | DataType::Mean | DataType::Ratio, Some(v))
                if sib.len() >= 3 =>
            {
                let n = sib.len() as f64;
                let mean = sib.iter().sum::<f64>() / n;
                let sd = (sib.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / n).sqrt();
                let reference = parent.as_ref().and_then(|p| p.1.number()).unwrap_or(mean);
                (sd > 0.0).then(|| (v - reference) / sd)
            }
            _ => None,
        };
        sib.sort_by(f64::total_cmp);
        let theme = ind.themes.first().cloned().unwrap_or_default();
        let survey = snap.survey_cell(&ind.code, &level, period, &code, &page.ctx.reader);
        figures.push(Figure {
            i,
            theme,
            period,
            value,
            parent,
            region,
            trend,
            rank,
            siblings: sib,
            score,
            survey,
        });
    }
    figures.sort_by_key(|f| {
        (
            theme_order
                .get(f.theme.as_str())
                .copied()
                .unwrap_or(usize::MAX),
            f.i,
        )
    });
    let parent_name = ancestors
        .first()
        .and_then(|(l, c)| geo::area_name(&page, *l, c));
    if twin {
        return Ok(json_twin(&AreaTwin {
            ancestors: ancestors
                .iter()
                .map(|(l, c)| AncestorTwin {
                    code: c,
                    level: &snap.levels[*l].level.code,
                })
                .collect(),
            code: &code,
            figures: figures
                .iter()
                .map(|f| {
                    let survey = f.survey.as_ref();
                    FigureTwin {
                        benchmark: survey
                            .and_then(|c| c.benchmark)
                            .and_then(|b| snap.area_at(b))
                            .map(|(l, it)| AreaRef {
                                item: &it.code,
                                level: l,
                            }),
                        indicator: &page.ctx.ind(f.i).code,
                        lower: survey.map(|c| c.interval.low),
                        of: f.rank.map(|r| r.1),
                        parent: f.parent.as_ref().map(|p| Num(p.1.number())),
                        period: f.period.code(),
                        rank: f.rank.map(|r| r.0),
                        region: f.region.as_ref().map(|p| Num(p.1.number())),
                        score: f.score,
                        significance: survey.and_then(|c| c.significance).map(|s| s.code()),
                        status: match f.value {
                            Value::Missing(c) => Some(c.symbol()),
                            Value::Number(_) => None,
                        },
                        upper: survey.map(|c| c.interval.high),
                        value: Num(f.value.number()),
                    }
                })
                .collect(),
            level: &level,
            name: &item.name,
        }));
    }
    // The ring.
    let ring = ProfileRing {
        id: "ring".into(),
        title: format!("{}: {}", page.word("profile_ring"), item.name),
        description: format!(
            "{} {}.",
            page.word("profile_ring_help"),
            parent_name
                .clone()
                .unwrap_or_else(|| page.word("reference").to_string())
        ),
        slices: figures
            .iter()
            .filter(|f| {
                f.score.is_some()
                    || matches!(
                        page.ctx.ind(f.i).data_type,
                        DataType::Percentage | DataType::Mean | DataType::Ratio
                    )
            })
            .map(|f| {
                let ind = page.ctx.ind(f.i);
                RingSlice {
                    theme: theme_names
                        .get(f.theme.as_str())
                        .cloned()
                        .unwrap_or_default(),
                    label: page.text(&ind.name),
                    code: ind.code.clone(),
                    value: f.value,
                    score: f.score,
                    href: Some(page.href(&format!(
                        "/indicator/{}?level={}&select={}",
                        seg(&ind.code),
                        crate::api::encode(&level),
                        crate::api::encode(&code)
                    ))),
                }
            })
            .collect(),
        locale: page.locale(),
        width: 520.0,
    };
    let locator = geo::layer(&page, li, Detail::Overview).await.map(|layer| {
        peil_render::map::locator(
            "locator",
            &layer,
            &code,
            &format!("{}: {}", page.word("location"), item.name),
        )
    });
    // Group figures by theme for the tables.
    let mut groups: Vec<Group> = Vec::new();
    for f in &figures {
        let ind = page.ctx.ind(f.i);
        let fmt = format_of(&page, ind);
        let theme = theme_names
            .get(f.theme.as_str())
            .cloned()
            .unwrap_or_default();
        let name = page.text(&ind.name);
        let row = FigureRow {
            href: page.href(&format!(
                "/indicator/{}?level={}&select={}",
                seg(&ind.code),
                crate::api::encode(&level),
                crate::api::encode(&code)
            )),
            period: period_name(f.period, &page.lang),
            value: fmt.with_unit(f.value),
            interval: f
                .survey
                .as_ref()
                .map(|c| super::indicator::interval_text(&fmt, c)),
            verdict: f
                .survey
                .as_ref()
                .and_then(|c| super::indicator::verdict_text(&page, c)),
            mark: f.survey.as_ref().and_then(super::indicator::verdict_mark),
            significance: f.survey.and_then(|c| c.significance).map(|s| s.code()),
            parent: f.parent.as_ref().map(|p| fmt.with_unit(p.1)),
            region: f.region.as_ref().map(|p| fmt.with_unit(p.1)),
            spark: (f.trend.len() > 1).then(|| {
                sparkline(
                    &f.trend,
                    96.0,
                    24.0,
                    &format!("{}: {}", page.word("trend"), name),
                )
            }),
            rank: f
                .rank
                .map(|r| format!("{} {} {}", r.0, page.word("among"), r.1)),
            strip: strip(
                &f.siblings,
                f.value.number(),
                &format!("{}: {}", page.word("distribution"), name),
            ),
            name,
        };
        match groups.last_mut() {
            Some(g) if g.theme == theme => g.rows.push(row),
            _ => groups.push(Group {
                theme,
                rows: vec![row],
            }),
        }
    }
    let parent_col = ancestors
        .first()
        .and_then(|(l, c)| geo::area_name(&page, *l, c));
    let region_col = ancestors
        .last()
        .and_then(|(l, c)| geo::area_name(&page, *l, c))
        .filter(|n| Some(n) != parent_col.as_ref());
    let has_ring = !ring.slices.is_empty();
    let context = AreaPage {
        name: &item.name,
        level_name: &lvl.level.name,
        code: &code,
        ancestors: ancestors
            .iter()
            .map(|(l, c)| AncestorLink {
                name: geo::area_name(&page, *l, c),
                level: &snap.levels[*l].level.name,
                href: page.href(&format!(
                    "/area/{}/{}",
                    seg(&snap.levels[*l].level.code),
                    seg(c)
                )),
            })
            .collect(),
        children: children_of(&page, li, &code).await,
        ring: has_ring.then(|| ring.svg()),
        ring_table: has_ring.then(|| ring.table_html()),
        ring_help: format!(
            "{} {}.",
            page.word("profile_ring_help"),
            parent_name.unwrap_or_else(|| page.word("reference").to_string())
        ),
        locator,
        groups,
        parent_col,
        region_col,
        json: page.href(&format!("/area/{}/{}.json", seg(&level), seg(&code))),
        compare_href: page.href(&format!(
            "/compare?level={}&areas={}",
            crate::api::encode(&level),
            crate::api::encode(&code)
        )),
    };
    let title = format!("{} — {}", item.name, page.site.name);
    Ok(page.render_typed("area.html", &title, &context))
}

/// What `area.html` shows.
#[derive(Serialize)]
struct AreaPage<'a> {
    name: &'a str,
    level_name: &'a str,
    code: &'a str,
    /// Nearest first.
    ancestors: Vec<AncestorLink<'a>>,
    children: Vec<AreaLink>,
    /// The profile ring (SVG) and its table, when any figure has a score.
    ring: Option<String>,
    ring_table: Option<String>,
    ring_help: String,
    /// The locator map (SVG).
    locator: Option<String>,
    /// The figures by theme, in the themes' order.
    groups: Vec<Group>,
    /// The names of the nearest parent and the top area, the tables' reference columns.
    parent_col: Option<String>,
    region_col: Option<String>,
    json: String,
    compare_href: String,
}

#[derive(Serialize)]
struct AncestorLink<'a> {
    name: Option<String>,
    /// The level's name.
    level: &'a str,
    href: String,
}

#[derive(Serialize)]
struct AreaLink {
    name: Option<String>,
    href: String,
}

/// One theme's table of key figures.
#[derive(Serialize)]
struct Group {
    theme: String,
    rows: Vec<FigureRow>,
}

/// One key figure as the page shows it.
#[derive(Serialize)]
struct FigureRow {
    name: String,
    href: String,
    /// The period's label.
    period: String,
    value: String,
    interval: Option<String>,
    verdict: Option<String>,
    mark: Option<&'static str>,
    significance: Option<&'static str>,
    /// The nearest parent's and the top area's value.
    parent: Option<String>,
    region: Option<String>,
    /// The trend (SVG sparkline).
    spark: Option<String>,
    /// "3 of 12".
    rank: Option<String>,
    /// The siblings' distribution (SVG).
    strip: Option<String>,
}

/// The areas directly below this one (`peil_story::Data::children`), as links.
async fn children_of(page: &Page, level: usize, code: &str) -> Vec<AreaLink> {
    let data = super::stories::data(page).await;
    let lcode = &page.ctx.snap.levels[level].level.code;
    data.children(&peil_story::Area::new(lcode, code))
        .into_iter()
        .map(|c| AreaLink {
            name: data.area_name(&c),
            href: page.href(&format!("/area/{}/{}", seg(&c.level), seg(&c.code))),
        })
        .collect()
}

/// A distribution strip: the siblings' values as ticks, this area's as a marker.
fn strip(sorted: &[f64], value: Option<f64>, label: &str) -> Option<String> {
    if sorted.len() < 3 {
        return None;
    }
    let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let x = |v: f64| 4.0 + (v - lo) / span * 112.0;
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 20" width="120" height="20" role="img" aria-label="{}"><line x1="4" y1="10" x2="116" y2="10" stroke="#767676" stroke-width="1"/>"##,
        escape(label)
    );
    for v in sorted {
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" y1="6" x2="{0:.1}" y2="14" stroke="#8a8a8a" stroke-width="1"/>"##,
            x(*v)
        );
    }
    if let Some(v) = value {
        let _ = write!(
            s,
            r##"<circle cx="{:.1}" cy="10" r="4.5" fill="#b34400" stroke="#fff" stroke-width="1"/>"##,
            x(v)
        );
    }
    s.push_str("</svg>");
    Some(s)
}
