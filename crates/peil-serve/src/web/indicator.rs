//! The indicator page: the triptych of map, chart and table of one selection, linked by area
//! code, with the trend of the selected areas, metadata, downloads, a share link and embeds.

use super::geo::{self, Detail};
use super::{AreaRef, FRAGMENTS, Num, Page, PageResult, json_twin, png_response, svg_response};
use crate::AppState;
use crate::api::formats::{Cell, Col, Format, Kind, Table};
use crate::api::{Req, period_name};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use peil_compute::survey::{Cell as SurveyCell, Significance};
use peil_core::{DataType, Indicator, MissingCode, Period, Value};
use peil_render::{
    BarChart, BarMode, Category, Classes, LineChart, MapSpec, MapValues, Method, NumberFormat,
    Series, choropleth, palette,
};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Above this many areas the bar chart shows the extremes and the selection only.
const CHART_ALL: usize = 60;
/// Above this many areas the table shows the first rows unless all are asked for.
const TABLE_ALL: usize = 500;
const TABLE_FIRST: usize = 100;
/// Up to this many areas each one on the map is a link.
const LINKED_MAP: usize = 400;

/// One area's row of the triptych (borrowing the area's code and name from the snapshot).
pub(crate) struct Row<'a> {
    /// The area's position in its level (its index in the level's series).
    pub pos: u32,
    pub code: &'a str,
    pub name: &'a str,
    /// A "niet te lokaliseren" item: counted in totals, never ranked or classed.
    pub unknown_location: bool,
    pub value: Value,
    /// 1 = highest; equal values share a rank.
    pub rank: Option<usize>,
    pub class: Option<usize>,
    /// The survey interval and verdict (survey indicators the reader may see them of).
    pub survey: Option<&'a SurveyCell>,
}

/// Everything one view of an indicator shows, resolved from the request.
pub(crate) struct View<'a> {
    pub i: u32,
    pub level: usize,
    pub levels: Vec<usize>,
    pub periods: Vec<Period>,
    pub period: Period,
    pub method: Method,
    pub k: usize,
    pub select: Vec<String>,
    /// Comparison areas: (level, code, name, value).
    pub compare: Vec<(usize, String, String, Value)>,
    /// The comparison areas' survey cells, parallel to `compare`.
    pub compare_survey: Vec<Option<SurveyCell>>,
    /// The confidence level (%) when this reader sees the indicator's survey intervals.
    pub confidence: Option<u8>,
    pub rows: Vec<Row<'a>>,
    /// Indices into `rows`: areas with a number by value, highest first (equal values by
    /// name), then the others by name — the bar chart's order, sorted once per view.
    pub order: Vec<u32>,
    /// The level's series as it is (one value per area of the level, in level order): what
    /// the map reads by position.
    pub values: Vec<Value>,
    pub classes: Classes,
    pub format: NumberFormat,
    pub zoom: bool,
    /// How many areas' values are hidden (`x`).
    pub hidden: usize,
    /// The text alternative of the map and the chart ([`describe`]), written once.
    description: std::sync::OnceLock<String>,
}

impl View<'_> {
    pub fn ind<'p>(&self, page: &'p Page) -> &'p Indicator {
        page.ctx.ind(self.i)
    }

    /// This view's URL with some parameters replaced (`None` removes one): the view's
    /// parameters in their order without the replaced ones, then the replacements given.
    pub fn url(&self, page: &Page, base: &str, replace: &[(&str, Option<String>)]) -> String {
        let mut out = String::with_capacity(base.len() + 96);
        out.push_str(base);
        let mut first = true;
        let mut put = |out: &mut String, key: &str, value: &str| {
            out.push(if first { '?' } else { '&' });
            first = false;
            out.push_str(key);
            out.push('=');
            crate::api::encode_into(out, value, false);
        };
        let replaced = |key: &str| replace.iter().any(|(k, _)| *k == key);
        let mut digits = itoa::Buffer::new();
        let period = self.period.code();
        let level = &page.ctx.snap.levels[self.level].level.code;
        for (key, value) in [("level", level.as_str()), ("period", period.as_str())] {
            if !replaced(key) {
                put(&mut out, key, value);
            }
        }
        if self.method != Method::MeanStdDev && !replaced("class") {
            put(&mut out, "class", &self.method.code());
        }
        if self.k != 5 && !replaced("k") {
            put(&mut out, "k", digits.format(self.k));
        }
        if !self.select.is_empty() && !replaced("select") {
            put(&mut out, "select", &self.select.join(","));
        }
        if !replaced("compare") {
            let mut cmp = String::new();
            for (i, (l, c, _, _)) in self.compare.iter().enumerate() {
                if i > 0 {
                    cmp.push(',');
                }
                cmp.push_str(&page.ctx.snap.levels[*l].level.code);
                cmp.push(':');
                cmp.push_str(c);
            }
            put(&mut out, "compare", &cmp);
        }
        if self.zoom && !replaced("zoom") {
            put(&mut out, "zoom", "selection");
        }
        for (key, value) in replace {
            if let Some(value) = value {
                put(&mut out, key, value);
            }
        }
        if first {
            // No parameter at all: the old form ended in `?` too.
            out.push('?');
        }
        out
    }

    fn period_label(&self, page: &Page) -> String {
        period_name(self.period, &page.lang)
    }

    /// The rows in the order of `order`.
    pub fn ordered(&self) -> impl Iterator<Item = &Row<'_>> + '_ {
        self.order.iter().map(|&k| &self.rows[k as usize])
    }

    /// The highest and the lowest ranked row (of equal values, the first by name).
    fn extremes(&self) -> Option<(&Row<'_>, &Row<'_>)> {
        let hi = self.ordered().find(|r| r.rank.is_some())?;
        // Ranked rows come in rank order, so the lowest rank is the last ranked row's; of
        // its equal values, the first in the order.
        let mut lo: Option<&Row> = None;
        for r in self.order.iter().rev().map(|&k| &self.rows[k as usize]) {
            match (r.rank, lo.and_then(|l| l.rank)) {
                (None, _) => {}
                (Some(_), None) => lo = Some(r),
                (Some(x), Some(l)) if x == l => lo = Some(r),
                (Some(_), Some(_)) => break,
            }
        }
        Some((hi, lo?))
    }

    fn level_name(&self, page: &Page) -> String {
        page.ctx.snap.levels[self.level].level.name.clone()
    }
}

/// Decimals and unit to show (the same rule as stories and reports).
pub(crate) fn format_of(page: &Page, ind: &Indicator) -> NumberFormat {
    peil_story::data::format_of(ind, page.locale())
}

/// Resolves the view a request asks for (defaults for what it leaves out).
pub(crate) async fn view<'a>(page: &'a Page, code: &str) -> Result<View<'a>, Response> {
    let ctx = &page.ctx;
    let (i, ind) = match ctx.indicator(code) {
        Ok(x) => x,
        Err(_) => return Err(page.not_found()),
    };
    let levels = geo::levels_with_data(page, i);
    if levels.is_empty() {
        return Err(page.not_found());
    }
    let level = match page
        .param("level")
        .and_then(|l| ctx.snap.level_index.get(l).copied())
    {
        Some(l) if levels.contains(&l) => l,
        _ => geo::default_level(page, &levels).await.unwrap_or(levels[0]),
    };
    let periods = geo::periods(page, i, level);
    let period = page
        .param("period")
        .and_then(|p| Period::parse(p).ok())
        .filter(|p| periods.contains(p))
        .or_else(|| geo::default_period(&periods))
        .ok_or_else(|| page.not_found())?;
    let method = page
        .param("class")
        .and_then(Method::parse)
        .unwrap_or(Method::MeanStdDev);
    let k = page
        .param("k")
        .and_then(|k| k.parse::<usize>().ok())
        .filter(|k| (2..=9).contains(k))
        .unwrap_or(5);
    let snap = &ctx.snap;
    let lvl = &snap.levels[level];
    let select: Vec<String> = page
        .list("select")
        .into_iter()
        .filter(|c| lvl.pos.contains_key(c))
        .collect();
    let total = geo::total();
    let compare_codes: Vec<(usize, String)> =
        match page.req.pairs.iter().any(|(k, _)| k == "compare") {
            true => page
                .list("compare")
                .iter()
                .filter_map(|c| {
                    let (l, code) = c.split_once(':')?;
                    let li = *snap.level_index.get(l)?;
                    snap.levels[li]
                        .pos
                        .contains_key(code)
                        .then(|| (li, code.to_string()))
                })
                .collect(),
            false => geo::single_area_levels(page, i),
        };
    let reader = &ctx.reader;
    let confidence = snap
        .survey_visible_to(ind, reader)
        .then(|| ind.confidence_level());
    let compare: Vec<(usize, String, String, Value)> = compare_codes
        .into_iter()
        .map(|(l, c)| {
            let name = geo::area_name(page, l, &c).unwrap_or_default();
            let v = snap
                .value(
                    &ind.code,
                    &snap.levels[l].level.code,
                    period,
                    &total,
                    &c,
                    &page.ctx.reader,
                )
                .unwrap_or(Value::Missing(MissingCode::Empty));
            (l, c, name, v)
        })
        .collect();
    let compare_survey = compare
        .iter()
        .map(|(l, c, _, _)| {
            snap.survey_cell(&ind.code, &snap.levels[*l].level.code, period, c, reader)
        })
        .collect();
    // The level's series as the snapshot holds it (items and slots in the same order).
    let slots = snap
        .dim_id(&total)
        .and_then(|d| snap.slots(i, level, period, d, reader))
        .unwrap_or_default();
    let survey = snap.survey_series(&ind.code, &lvl.level.code, period, reader);
    let values: Vec<Value> = slots.iter().map(|s| s.to_value()).collect();
    // Rows leave out the "niet te lokaliseren" items without a number; `row_of` maps a
    // position in the level to its row.
    let mut rows: Vec<Row> = Vec::with_capacity(values.len());
    let mut row_of: Vec<u32> = Vec::with_capacity(values.len());
    for (k, ((_, it), &v)) in lvl.items.iter().zip(&values).enumerate() {
        if it.unknown_location && v.number().is_none() {
            row_of.push(u32::MAX);
            continue;
        }
        row_of.push(rows.len() as u32);
        rows.push(Row {
            pos: k as u32,
            code: it.code.as_str(),
            name: it.name.as_str(),
            unknown_location: it.unknown_location,
            value: v,
            rank: None,
            class: None,
            survey: survey.and_then(|s| s.get(k).and_then(Option::as_ref)),
        });
    }
    // One order per series and publication (numbers by value, highest first, then name,
    // then level order; then the areas without a number by name), sorted by the snapshot
    // on the series' first view: ranks, the table's default order, the bar chart and the
    // description all read it.
    let sorted = snap
        .dim_id(&total)
        .and_then(|d| snap.order(i, level, period, d, reader))
        .unwrap_or_default();
    let mut numbered: Vec<(f64, u32)> = Vec::with_capacity(sorted.numbered.len());
    for &p in &sorted.numbered {
        if let Some(&k) = row_of.get(p as usize).filter(|k| **k != u32::MAX) {
            numbered.push((rows[k as usize].value.number().unwrap_or(f64::NAN), k));
        }
    }
    // Ascending, as the classification reads them.
    let mut numbers: Vec<f64> = Vec::with_capacity(numbered.len());
    for &(x, k) in numbered.iter().rev() {
        if !rows[k as usize].unknown_location && x.is_finite() {
            numbers.push(x);
        }
    }
    let classes = Classes::from_sorted(&numbers, &method, k);
    // Rank = 1 + the number of ranked areas with a higher value (equal values share it).
    let mut ranked = 0usize;
    let mut last: Option<(f64, usize)> = None;
    for &(x, k) in &numbered {
        let r = &mut rows[k as usize];
        if !r.unknown_location {
            let rank = match last {
                Some((y, rank)) if y == x => rank,
                _ => ranked + 1,
            };
            r.rank = Some(rank);
            last = Some((x, rank));
            ranked += 1;
        }
        if !classes.is_empty() {
            r.class = Some(classes.class_of(x));
        }
    }
    let mut order: Vec<u32> = Vec::with_capacity(rows.len());
    order.extend(numbered.iter().map(|(_, k)| *k));
    for &p in &sorted.others {
        if let Some(&k) = row_of.get(p as usize).filter(|k| **k != u32::MAX) {
            order.push(k);
        }
    }
    let hidden = rows
        .iter()
        .filter(|r| r.value == Value::Missing(MissingCode::Hidden))
        .count();
    let format = format_of(page, ind);
    Ok(View {
        i,
        level,
        levels,
        periods,
        period,
        method,
        k,
        select,
        compare,
        compare_survey,
        confidence,
        rows,
        order,
        values,
        classes,
        format,
        zoom: page.param("zoom") == Some("selection"),
        hidden,
        description: std::sync::OnceLock::new(),
    })
}

/// An interval as the pages write it: `38,1 % – 41,9 %`.
pub(crate) fn interval_text(format: &NumberFormat, c: &SurveyCell) -> String {
    format!(
        "{} – {}",
        format.with_unit(Value::Number(c.interval.low)),
        format.with_unit(Value::Number(c.interval.high))
    )
}

/// A verdict as the pages write it: `significant hoger dan Stad` (none without a verdict).
pub(crate) fn verdict_text(page: &Page, c: &SurveyCell) -> Option<String> {
    let word = match c.significance? {
        Significance::Higher => "sig_higher",
        Significance::Lower => "sig_lower",
        Significance::NotSignificant => "sig_none",
    };
    let (_, bench) = page.ctx.snap.area_at(c.benchmark?)?;
    Some(format!("{} {}", page.word(word), bench.name))
}

/// A survey figure's note in a map's tooltip: `Interval (95 %): 38,1 % – 41,9 %; significant
/// hoger dan Stad`.
pub(crate) fn survey_note(
    page: &Page,
    format: &NumberFormat,
    confidence: u8,
    c: &SurveyCell,
) -> String {
    let mut note = format!(
        "{} ({confidence}\u{a0}%): {}",
        page.word("interval_short"),
        interval_text(format, c)
    );
    if let Some(v) = verdict_text(page, c) {
        note.push_str("; ");
        note.push_str(&v);
    }
    note
}

/// The verdict's short mark for tables and the profile: ▲ higher, ▼ lower, = not significant.
pub(crate) fn verdict_mark(c: &SurveyCell) -> Option<&'static str> {
    Some(match c.significance? {
        Significance::Higher => "▲",
        Significance::Lower => "▼",
        Significance::NotSignificant => "=",
    })
}

/// The map of a view (`None` when the level has no geometry).
pub(crate) async fn map_svg(page: &Page, v: &View<'_>, id: &str, legend: bool) -> Option<String> {
    let zoomed = v.zoom && !v.select.is_empty();
    let detail = if zoomed {
        Detail::Zoomed
    } else {
        Detail::Overview
    };
    let layer = geo::layer(page, v.level, detail).await?;
    // Survey figures: the interval and verdict in each area's tooltip.
    let notes: Option<HashMap<String, String>> = v.confidence.map(|conf| {
        v.rows
            .iter()
            .filter_map(|r| {
                Some((
                    r.code.to_string(),
                    survey_note(page, &v.format, conf, r.survey?),
                ))
            })
            .collect()
    });
    let colours = palette::sequential(v.classes.len().max(1));
    let ind = v.ind(page);
    let title = format!(
        "{} — {}, {}",
        page.text(&ind.name),
        v.level_name(page),
        v.period_label(page)
    );
    let href_base = page.href(&format!("/indicator/{}", crate::api::seg(&ind.code)));
    // Clicking an area adds it to the selection (a link, so it works without JavaScript).
    let href = select_template(page, v, &href_base);
    let view = if zoomed {
        let codes: Vec<&str> = v.select.iter().map(String::as_str).collect();
        layer.bbox_of(&codes)
    } else {
        None
    };
    let description = describe(page, v);
    let legend_title = if ind.unit.is_empty() {
        page.text(&ind.name)
    } else {
        format!("{} ({})", page.text(&ind.name), ind.unit)
    };
    // Large maps leave the links out (a few hundred kilobytes for thousands of areas): the
    // script selects an area on click from the template in `data-select`, and without it
    // the table's links do the same.
    let linked = layer.shapes.len() <= LINKED_MAP;
    // The page's drawing of a large level takes its geometry from the level's sprite; the
    // standalone map (`legend`: SVG, PNG, embeds) stays whole.
    let sprite =
        (!legend && layer.shapes.len() > geo::SPRITE_FROM).then(|| geo::sprite_url(page, v.level));
    Some(choropleth(&MapSpec {
        id,
        title: &title,
        description: &description,
        layer: &layer,
        // The layer is built from the level's items in order (geo::layer), so each shape
        // reads its value by position.
        values: MapValues::ByItem(&v.values),
        format: &v.format,
        classes: &v.classes,
        palette: &colours,
        selected: &v.select,
        href: linked.then_some(href.as_str()),
        view,
        legend,
        legend_title: &legend_title,
        notes: notes.as_ref(),
        sprite: sprite.as_deref(),
    }))
}

/// This view's URL with one more area selected, `{code}` standing for the area.
fn select_template(page: &Page, v: &View, base: &str) -> String {
    let mut with = v.select.clone();
    with.push("PEILCODE".into());
    v.url(page, base, &[("select", Some(with.join(",")))])
        .replace("PEILCODE", "{code}")
}

/// A sentence for screen readers: highest, lowest, and what has no value.
fn describe(page: &Page, v: &View) -> String {
    v.description
        .get_or_init(|| {
            let ind = v.ind(page);
            let mut s = format!(
                "{} {} {} ({}).",
                page.text(&ind.name),
                page.word("level").to_lowercase(),
                v.level_name(page),
                v.period_label(page)
            );
            if let Some((hi, lo)) = v.extremes() {
                let _ = write!(
                    s,
                    " ↑ {}: {}; ↓ {}: {}.",
                    hi.name,
                    v.format.with_unit(hi.value),
                    lo.name,
                    v.format.with_unit(lo.value)
                );
            }
            if v.hidden > 0 {
                let _ = write!(s, " {} {}.", v.hidden, page.word("hidden_cells"));
            }
            s
        })
        .clone()
}

/// The bar chart of a view: every area sorted by value, or the extremes for large levels.
pub(crate) fn bar_chart(page: &Page, v: &View, id: &str) -> BarChart {
    let ind = v.ind(page);
    let mut note = String::new();
    let rows: Vec<&Row> = if v.order.len() <= CHART_ALL {
        v.ordered().collect()
    } else {
        // The ten highest and lowest ranked areas and the selected ones, without a list of
        // all of them first.
        let n = v.ordered().filter(|r| r.rank.is_some()).count();
        let keep: Vec<&Row> = v
            .ordered()
            .filter(|r| r.rank.is_some())
            .enumerate()
            .filter(|(k, r)| *k < 10 || k + 10 >= n || v.select.iter().any(|c| c == r.code))
            .map(|(_, r)| r)
            .collect();
        note = format!(
            " (10 {}, {} {})",
            page.word("top_bottom"),
            n,
            page.word("areas").to_lowercase()
        );
        keep
    };
    BarChart {
        id: id.to_string(),
        title: format!("{} — {}{note}", page.text(&ind.name), v.period_label(page)),
        description: describe(page, v),
        categories: rows
            .iter()
            .map(|r| Category {
                code: Some(r.code.to_string()),
                label: r.name.to_string(),
            })
            .collect(),
        series: vec![Series {
            name: page.text(&ind.name),
            values: rows.iter().map(|r| r.value).collect(),
        }],
        mode: BarMode::Single,
        horizontal: true,
        format: v.format.clone(),
        highlight: v.select.clone(),
        // A count of a larger area is on another scale: only rates, shares and means compare.
        reference: if comparable(ind) {
            v.compare
                .iter()
                .filter_map(|(_, _, name, val)| val.number().map(|x| (name.clone(), x)))
                .collect()
        } else {
            Vec::new()
        },
        width: 400.0,
        intervals: rows
            .iter()
            .map(|r| r.survey.map(|c| (c.interval.low, c.interval.high)))
            .collect(),
    }
}

/// Whether values of areas of different size can be set side by side (not counts).
pub(crate) fn comparable(ind: &Indicator) -> bool {
    matches!(
        ind.data_type,
        DataType::Percentage | DataType::Mean | DataType::Ratio
    )
}

/// The trend of the selected areas and the comparison areas over the view's period level.
pub(crate) fn trend_chart(page: &Page, v: &View, id: &str) -> Option<LineChart> {
    let ind = v.ind(page);
    let snap = &page.ctx.snap;
    let total = geo::total();
    let mut ps: Vec<Period> = v
        .periods
        .iter()
        .copied()
        .filter(|p| p.level == v.period.level)
        .collect();
    ps.sort_by_key(|p| p.ordinal());
    if ps.len() < 2 {
        return None;
    }
    let mut lines: Vec<(Option<String>, Series)> = Vec::new();
    let lcode = &snap.levels[v.level].level.code;
    for code in &v.select {
        let name = geo::area_name(page, v.level, code).unwrap_or_default();
        let values = ps
            .iter()
            .map(|p| {
                snap.value(&ind.code, lcode, *p, &total, code, &page.ctx.reader)
                    .unwrap_or(Value::Missing(MissingCode::Empty))
            })
            .collect();
        lines.push((Some(code.clone()), Series { name, values }));
    }
    for (l, code, name, _) in v
        .compare
        .iter()
        .filter(|_| comparable(ind) || v.select.is_empty())
    {
        let lc = &snap.levels[*l].level.code;
        let values = ps
            .iter()
            .map(|p| {
                snap.value(&ind.code, lc, *p, &total, code, &page.ctx.reader)
                    .unwrap_or(Value::Missing(MissingCode::Empty))
            })
            .collect();
        lines.push((
            None,
            Series {
                name: name.clone(),
                values,
            },
        ));
    }
    if lines.is_empty() {
        return None;
    }
    let names: Vec<&str> = lines.iter().map(|(_, s)| s.name.as_str()).collect();
    Some(LineChart {
        id: id.to_string(),
        title: format!("{}: {}", page.word("trend"), page.text(&ind.name)),
        description: format!(
            "{} {}–{}: {}.",
            page.text(&ind.name),
            period_name(ps[0], &page.lang),
            period_name(*ps.last().unwrap_or(&ps[0]), &page.lang),
            names.join(", ")
        ),
        x_labels: ps
            .iter()
            .map(|p| peil_story::data::period_short_name(*p, &page.lang))
            .collect(),
        series: lines,
        format: v.format.clone(),
        width: 900.0,
        height: 300.0,
    })
}

// --- handlers --------------------------------------------------------------------------------

/// Splits a known twin extension off a path segment.
fn strip_twin(code: &str) -> (&str, Option<&str>) {
    for ext in ["json", "csv", "xlsx"] {
        if let Some(c) = code.strip_suffix(&format!(".{ext}")) {
            return (c, Some(ext));
        }
    }
    (code, None)
}

pub(crate) async fn page(
    State(st): State<AppState>,
    Path(code): Path<String>,
    req: Req,
) -> Response {
    run(st, code, req).await.unwrap_or_else(|e| e)
}

/// One row of the page's table, written straight into the page (a hundred rows through the
/// template engine cost more than the rest of the page).
struct TableRow<'a> {
    code: &'a str,
    name: &'a str,
    value: Value,
    rank: Option<usize>,
    swatch: Option<&'a str>,
    /// A survey figure's interval text and its verdict (mark, words) against the benchmark.
    survey: Option<(String, Option<(&'static str, String)>)>,
    selected: bool,
    /// The area's page and the view with the area added to or taken from the selection,
    /// both already HTML-escaped.
    href: &'a str,
    toggle: &'a str,
    pick_label: &'a str,
}

impl TableRow<'_> {
    /// The row as HTML; `survey_columns` when the table has the interval and verdict columns.
    fn write(&self, out: &mut String, format: &NumberFormat, survey_columns: bool) {
        let esc = peil_render::escape_into;
        // The name is written three times, escaped once.
        let name = peil_render::escape(self.name);
        out.push_str("<tr data-area=\"");
        esc(out, self.code);
        out.push('"');
        if self.selected {
            out.push_str(" class=\"is-sel\"");
        }
        out.push_str("><td data-v=\"");
        if let Some(rank) = self.rank {
            let mut digits = itoa::Buffer::new();
            let rank = digits.format(rank);
            out.push_str(rank);
            out.push_str("\">");
            out.push_str(rank);
        } else {
            out.push('"');
            out.push('>');
        }
        out.push_str("</td><th scope=\"row\" data-v=\"");
        out.push_str(&name);
        out.push_str("\"><a href=\"");
        out.push_str(self.href);
        out.push_str("\">");
        out.push_str(&name);
        out.push_str("</a> <a class=\"pick\" href=\"");
        out.push_str(self.toggle);
        out.push_str("\" aria-label=\"");
        esc(out, self.pick_label);
        out.push_str(": ");
        out.push_str(&name);
        out.push_str(if self.selected {
            "\">✓</a>"
        } else {
            "\">+</a>"
        });
        out.push_str("</th><td class=\"num\" data-v=\"");
        if let Some(x) = self.value.number() {
            crate::fragments::push_number(out, x);
        }
        out.push_str("\">");
        if let Some(sw) = self.swatch {
            out.push_str("<span class=\"sw\" style=\"background:");
            esc(out, sw);
            out.push_str("\"></span>");
        }
        format.push_with_unit_html(out, self.value);
        out.push_str("</td>");
        if survey_columns {
            out.push_str("<td class=\"num interval\">");
            if let Some((interval, _)) = &self.survey {
                esc(out, interval);
            }
            out.push_str("</td><td class=\"verdict\">");
            if let Some((_, Some((mark, words)))) = &self.survey {
                out.push_str("<span class=\"sig\" aria-hidden=\"true\">");
                esc(out, mark);
                out.push_str("</span> ");
                esc(out, words);
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n      ");
    }
}

async fn run(st: AppState, code: String, req: Req) -> PageResult {
    let page = Page::new(&st, req)?;
    let (code, twin) = match page.ctx.indicator(&code) {
        Ok(_) => (code.as_str(), None),
        Err(_) => strip_twin(&code),
    };
    let v = view(&page, code).await?;
    match twin {
        Some("json") => return Ok(view_json(&page, &v)),
        Some("csv") => {
            return Ok(table(&page, &v).respond(Format::Csv, &page.req, &page.site.name));
        }
        Some("xlsx") => {
            return Ok(table(&page, &v).respond(Format::Xlsx, &page.req, &page.site.name));
        }
        _ => {}
    }
    let ind = v.ind(&page);
    let snap = &page.ctx.snap;
    let base = page.href(&format!("/indicator/{}", crate::api::seg(&ind.code)));
    let map = map_svg(&page, &v, "map", false).await;
    let chart = bar_chart(&page, &v, "chart");
    let legend_items = legend(&page, &v);
    let trend = trend_chart(&page, &v, "trend");
    let all_rows = page.param("rows") == Some("all");
    // Names compare as their places in the level's name order (then position).
    let ranks = snap.name_ranks(v.level);
    let sort = page.param("sort").unwrap_or("rank");
    let mut rows: Vec<&Row> = match sort {
        "name" | "code" => {
            let mut rows: Vec<&Row> = v.rows.iter().collect();
            match sort {
                "name" => rows.sort_by_key(|r| ranks[r.pos as usize]),
                _ => rows.sort_by(|a, b| a.code.cmp(b.code)),
            }
            rows
        }
        // By rank, equal ranks by name, then the unranked by name: the view's order with the
        // (few) unranked areas that have a number moved among the others.
        _ => {
            let mut rows: Vec<&Row> = v.ordered().filter(|r| r.rank.is_some()).collect();
            let mut unranked: Vec<&Row> = v.ordered().filter(|r| r.rank.is_none()).collect();
            unranked.sort_by_key(|r| ranks[r.pos as usize]);
            rows.extend(unranked);
            rows
        }
    };
    let total_rows = rows.len();
    if total_rows > TABLE_ALL && !all_rows {
        rows.truncate(TABLE_FIRST);
    }
    let colours = palette::sequential(v.classes.len().max(1));
    let area_prefix = page.href(&format!(
        "/area/{}/",
        crate::api::seg(&snap.levels[v.level].level.code)
    ));
    let area_base = |code: &str| {
        let mut href = area_prefix.clone();
        crate::api::encode_into(&mut href, code, true);
        href
    };
    // This view's URL with an area added to or taken from the selection: the URL without
    // `select` and the new list appended (what `View::url` writes), built once.
    let unselected = v.url(&page, &base, &[("select", None)]);
    // The table's links are written HTML-escaped as they are built: the fixed parts are
    // escaped once, and percent-encoded codes hold nothing HTML escapes.
    let unselected_html = peil_render::escape(&unselected);
    let area_prefix_html = peil_render::escape(&area_prefix);
    let toggle_into = |out: &mut String, code: &str, html: bool| {
        out.clear();
        out.push_str(if html { &unselected_html } else { &unselected });
        let start = if html { "&amp;select=" } else { "&select=" };
        let mut first = true;
        let mut found = false;
        for c in &v.select {
            if c == code {
                found = true;
                continue;
            }
            out.push_str(if first { start } else { "," });
            crate::api::encode_into(out, c, false);
            first = false;
        }
        if !found {
            out.push_str(if first { start } else { "," });
            crate::api::encode_into(out, code, false);
        }
    };
    let toggle = |code: &str| {
        let mut out = String::new();
        toggle_into(&mut out, code, false);
        out
    };
    let mut rows_html = String::with_capacity(rows.len() * 480);
    let select_word = [page.word("select"), page.word("unselect")];
    // Each row's two links are written into the same two buffers.
    let (mut href, mut toggled) = (String::new(), String::new());
    for r in &rows {
        let selected = v.select.iter().any(|c| c == r.code);
        href.clear();
        href.push_str(&area_prefix_html);
        crate::api::encode_into(&mut href, r.code, true);
        toggle_into(&mut toggled, r.code, true);
        let row = TableRow {
            code: r.code,
            name: r.name,
            value: r.value,
            rank: r.rank,
            swatch: r.class.map(|c| colours[c.min(colours.len() - 1)]),
            survey: r.survey.map(|c| {
                (
                    interval_text(&v.format, c),
                    verdict_text(&page, c).map(|t| (verdict_mark(c).unwrap_or(""), t)),
                )
            }),
            selected,
            href: &href,
            toggle: &toggled,
            pick_label: select_word[usize::from(selected)],
        };
        row.write(&mut rows_html, &v.format, v.confidence.is_some());
    }
    let levels: Vec<Json> = v
        .levels
        .iter()
        .map(|l| {
            json!({"code": snap.levels[*l].level.code, "name": snap.levels[*l].level.name, "current": *l == v.level})
        })
        .collect();
    let periods: Vec<Json> = v
        .periods
        .iter()
        .rev()
        .map(|p| json!({"code": p.code(), "name": period_name(*p, &page.lang), "current": *p == v.period}))
        .collect();
    let period_index = v.periods.iter().position(|p| *p == v.period).unwrap_or(0);
    let methods: Vec<Json> = [
        Method::MeanStdDev,
        Method::Quantiles,
        Method::EqualIntervals,
        Method::NaturalBreaks,
    ]
    .iter()
    .map(|m| json!({"code": m.code(), "name": m.name(page.locale()), "current": *m == v.method}))
    .collect();
    // Comparison candidates: areas of levels with few areas.
    let mut candidates: Vec<Json> = Vec::new();
    for l in &v.levels {
        let lv = &snap.levels[*l];
        if *l == v.level || lv.items.len() > 60 {
            continue;
        }
        for (_, it) in &lv.items {
            let key = format!("{}:{}", lv.level.code, it.code);
            let on = v
                .compare
                .iter()
                .any(|(cl, cc, _, _)| cl == l && *cc == it.code);
            candidates.push(json!({"key": key, "name": format!("{} ({})", it.name, lv.level.name), "current": on}));
        }
    }
    let compare_rows: Vec<Json> = v
        .compare
        .iter()
        .zip(&v.compare_survey)
        .map(|((l, c, name, val), sv)| {
            json!({
                "name": name,
                "level": snap.levels[*l].level.name,
                "value": v.format.with_unit(*val),
                "interval": sv.as_ref().map(|c| interval_text(&v.format, c)),
                "num": val.number().map(crate::api::formats::fmt_number),
                "href": page.href(&format!("/area/{}/{}", crate::api::seg(&snap.levels[*l].level.code), crate::api::seg(c))),
            })
        })
        .collect();
    let selected: Vec<Json> = v
        .select
        .iter()
        .map(|c| json!({"code": c, "name": geo::area_name(&page, v.level, c), "remove": toggle(c), "href": area_base(c)}))
        .collect();
    let hidden = v.hidden;
    let x = page.ctx.extras().await;
    let share = page.absolute(&v.url(&page, &base, &[]));
    let level_code = snap.levels[v.level].level.code.clone();
    let q = |extra: &str| {
        format!(
            "level={}&period={}{extra}",
            crate::api::encode(&level_code),
            v.period.code()
        )
    };
    let embed_base = page.href(&format!("/embed/indicator/{}", crate::api::seg(&ind.code)));
    let embed_url = page.absolute(&v.url(&page, &format!("{embed_base}/map"), &[]));
    let select_template = select_template(&page, &v, &base);
    let data = minijinja::context! {
        code => ind.code.as_str(),
        name => page.text(&ind.name),
        // Restricted data a logged-in reader sees is marked, so it is not passed on as public.
        intern => !matches!(ind.visibility, peil_core::Visibility::Public),
        description => page.text(&ind.description),
        more_info => page.text(&ind.more_info),
        footnote => page.text(&ind.footnote),
        unit => ind.unit.as_str(),
        source => ind.source.as_str(),
        formula => formula(&page, ind),
        published_at => x.published_at.as_deref().map(|s| s.chars().take(10).collect::<String>()),
        provisional => ind.provisional_period.is_some_and(|p| p <= v.period && p.level == v.period.level),
        level_name => v.level_name(&page),
        period_name => v.period_label(&page),
        levels => minijinja::Value::from(minijinja::value::Serde(&levels)),
        periods => minijinja::Value::from(minijinja::value::Serde(&periods)),
        period_index => period_index,
        period_count => v.periods.len(),
        period_codes => v.periods.iter().map(|p| p.code()).collect::<Vec<_>>().join(","),
        methods => minijinja::Value::from(minijinja::value::Serde(&methods)),
        k => v.k,
        // The large parts are spliced in after the template ran (Page::render_values).
        map => map.as_ref().map(|_| FRAGMENTS[0]),
        chart => FRAGMENTS[1],
        chart_table => FRAGMENTS[2],
        trend => trend.is_some().then_some(FRAGMENTS[3]),
        trend_table => trend.is_some().then_some(FRAGMENTS[4]),
        rows_html => FRAGMENTS[5],
        rows_shown => rows.len(),
        total_rows => total_rows,
        truncated => rows.len() < total_rows,
        all_rows_href => v.url(&page, &base, &[("rows", Some("all".into()))]),
        sort_href => minijinja::context! {
            rank => v.url(&page, &base, &[("sort", None)]),
            name => v.url(&page, &base, &[("sort", Some("name".into()))]),
        },
        sort => sort,
        compare_rows => minijinja::Value::from(minijinja::value::Serde(&compare_rows)),
        candidates => minijinja::Value::from(minijinja::value::Serde(&candidates)),
        selected => minijinja::Value::from(minijinja::value::Serde(&selected)),
        clear_selection => v.url(&page, &base, &[("select", None), ("zoom", None)]),
        zoom_href => (!v.select.is_empty() && !v.zoom).then(|| v.url(&page, &base, &[("zoom", Some("selection".into()))])),
        unzoom_href => v.zoom.then(|| v.url(&page, &base, &[("zoom", None)])),
        hidden => hidden,
        confidence => v.confidence,
        legend => minijinja::Value::from(minijinja::value::Serde(&legend_items)),
        share => share,
        downloads => minijinja::context! {
            csv => format!("{base}.csv?{}", q("")),
            xlsx => format!("{base}.xlsx?{}", q("")),
            json => format!("{base}.json?{}", q("")),
            svg => v.url(&page, &format!("{base}/map.svg"), &[]),
            png => v.url(&page, &format!("{base}/map.png"), &[]),
            chart_svg => v.url(&page, &format!("{base}/chart.svg"), &[]),
            chart_png => v.url(&page, &format!("{base}/chart.png"), &[]),
            api => format!("/api/v1/data?indicator={}&level={}&period={}", crate::api::encode(&ind.code), crate::api::encode(&level_code), v.period.code()),
        },
        embed_map => embed_url,
        select_template => select_template,
        embed_chart => page.absolute(&v.url(&page, &format!("{embed_base}/chart"), &[])),
        embed_table => page.absolute(&v.url(&page, &format!("{embed_base}/table"), &[])),
    };
    let title = format!("{} — {}", page.text(&ind.name), page.site.name);
    let (chart_svg, chart_table) = (chart.svg(), chart.table_html());
    let (trend_svg, trend_table) = trend
        .as_ref()
        .map(|t| (t.svg(), t.table_html()))
        .unwrap_or_default();
    Ok(page.render_values(
        "indicator.html",
        &title,
        json!({}),
        data,
        &[
            map.as_deref().unwrap_or_default(),
            &chart_svg,
            &chart_table,
            &trend_svg,
            &trend_table,
            &rows_html,
        ],
    ))
}

/// The map's legend as HTML items: each class with its colour and count, then each kind of
/// missing value present (suppressed, unknown, not applicable, no data), each drawn apart.
fn legend(page: &Page, v: &View) -> Vec<Json> {
    let colours = palette::sequential(v.classes.len().max(1));
    let labels = v.classes.labels(&v.format);
    const MISSING: [MissingCode; 4] = [
        MissingCode::Hidden,
        MissingCode::Unknown,
        MissingCode::NotApplicable,
        MissingCode::Empty,
    ];
    // One pass counts the classes and each kind of missing value.
    let mut counts = vec![0usize; v.classes.len()];
    let mut missing = [0usize; 4];
    let last = counts.len().saturating_sub(1);
    for r in &v.rows {
        if let Some(c) = r.class {
            counts[c.min(last)] += 1;
        }
        if let Value::Missing(m) = r.value {
            missing[MISSING.iter().position(|x| *x == m).unwrap_or(3)] += 1;
        }
    }
    // Only the classes some area falls in (manual boundaries can leave one empty), as the
    // map's own legend.
    let mut out: Vec<Json> = labels
        .iter()
        .enumerate()
        .filter(|(k, _)| counts.get(*k).is_some_and(|n| *n > 0))
        .map(|(k, l)| json!({"swatch": colours[k.min(colours.len() - 1)], "label": l, "count": counts.get(k), "kind": "class"}))
        .collect();
    for (code, n) in MISSING.into_iter().zip(missing) {
        if n > 0 {
            let kind = match code {
                MissingCode::Hidden => "hidden",
                MissingCode::Unknown => "unknown",
                MissingCode::NotApplicable => "nvt",
                MissingCode::Empty => "empty",
            };
            out.push(json!({
                "label": format!("{} ({})", peil_render::format::missing_label(code, page.locale()), code.symbol()),
                "count": n,
                "kind": kind,
            }));
        }
    }
    out
}

/// The formula, when the reader may see every indicator it names (the engine's rule).
fn formula<'a>(page: &Page, ind: &'a peil_core::Indicator) -> Option<&'a str> {
    ind.formula
        .as_deref()
        .filter(|_| page.ctx.snap.formula_visible_to(ind, &page.ctx.reader))
}

/// The view as JSON (the page's machine-readable twin).
/// The indicator page's twin (`/indicator/{code}.json`; schema `TwinIndicator`): the view's
/// comparison areas and every area of the level with value, rank and class.
#[derive(serde::Serialize)]
struct IndicatorTwin<'a> {
    classification: ClassificationTwin<'a>,
    compare: Vec<CompareTwin<'a>>,
    /// The confidence level (%) of a survey indicator whose intervals the reader may see.
    confidence: Option<u8>,
    indicator: IndicatorRef<'a>,
    level: &'a str,
    period: String,
    rows: Vec<RowTwin<'a>>,
}

#[derive(serde::Serialize)]
struct ClassificationTwin<'a> {
    breaks: &'a [f64],
    method: String,
}

#[derive(serde::Serialize)]
struct IndicatorRef<'a> {
    code: &'a str,
    /// Only for readers who may see every indicator it names.
    formula: Option<&'a str>,
    name: String,
    source: &'a str,
    unit: &'a str,
}

/// A comparison area (a parent or the top of the hierarchy).
#[derive(serde::Serialize)]
struct CompareTwin<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    benchmark: Option<Option<AreaRef<'a>>>,
    code: &'a str,
    level: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lower: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    margin: Option<Num>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    significance: Option<Option<&'static str>>,
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upper: Option<Num>,
    value: Num,
}

/// One area of the level. The survey fields (named as in the API's data rows) are there only
/// for survey indicators whose intervals the reader may see (`confidence` is not null).
#[derive(serde::Serialize)]
struct RowTwin<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    benchmark: Option<Option<AreaRef<'a>>>,
    class: Option<usize>,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lower: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    margin: Option<Num>,
    name: &'a str,
    rank: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    significance: Option<Option<&'static str>>,
    status: Option<&'static str>,
    /// The value as the map's tooltip says it: the number with its unit, or the missing kind
    /// in words (the page's script puts it in the tooltips of a map drawn from a sprite).
    tip: String,
    unknown_location: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    upper: Option<Num>,
    value: Num,
}

/// A survey cell's fields for a twin, as the API's data rows name and write them
/// (`api::data::survey_fields`); all `None` (left out) unless the view shows intervals.
struct SurveyTwin<'a> {
    benchmark: Option<Option<AreaRef<'a>>>,
    lower: Option<Num>,
    margin: Option<Num>,
    significance: Option<Option<&'static str>>,
    upper: Option<Num>,
}

impl<'a> SurveyTwin<'a> {
    fn new(page: &'a Page, v: &View, c: Option<&SurveyCell>) -> Self {
        let shown = v.confidence.is_some();
        let num = |f: fn(&SurveyCell) -> f64| shown.then(|| Num(c.map(f)));
        SurveyTwin {
            benchmark: shown.then(|| {
                c.and_then(|c| c.benchmark)
                    .and_then(|b| page.ctx.snap.area_at(b))
                    .map(|(l, it)| AreaRef {
                        item: &it.code,
                        level: l,
                    })
            }),
            lower: num(|c| c.interval.low),
            margin: num(|c| c.interval.margin),
            significance: shown.then(|| c.and_then(|c| c.significance).map(|s| s.code())),
            upper: num(|c| c.interval.high),
        }
    }
}

fn view_json(page: &Page, v: &View) -> Response {
    let ind = v.ind(page);
    let snap = &page.ctx.snap;
    let twin = IndicatorTwin {
        classification: ClassificationTwin {
            breaks: &v.classes.breaks,
            method: v.method.code(),
        },
        compare: v
            .compare
            .iter()
            .zip(&v.compare_survey)
            .map(|((l, c, name, val), sv)| {
                let s = SurveyTwin::new(page, v, sv.as_ref());
                CompareTwin {
                    benchmark: s.benchmark,
                    code: c,
                    level: &snap.levels[*l].level.code,
                    lower: s.lower,
                    margin: s.margin,
                    name,
                    significance: s.significance,
                    status: missing_symbol(*val),
                    upper: s.upper,
                    value: Num(val.number()),
                }
            })
            .collect(),
        confidence: v.confidence,
        indicator: IndicatorRef {
            code: &ind.code,
            formula: formula(page, ind),
            name: page.text(&ind.name),
            source: &ind.source,
            unit: &ind.unit,
        },
        level: &snap.levels[v.level].level.code,
        period: v.period.code(),
        rows: v
            .rows
            .iter()
            .map(|r| {
                let s = SurveyTwin::new(page, v, r.survey);
                RowTwin {
                    benchmark: s.benchmark,
                    class: r.class,
                    code: r.code,
                    lower: s.lower,
                    margin: s.margin,
                    name: r.name,
                    rank: r.rank,
                    significance: s.significance,
                    status: missing_symbol(r.value),
                    tip: match r.value {
                        Value::Missing(m) => {
                            peil_render::format::missing_label(m, v.format.locale).to_string()
                        }
                        Value::Number(_) => v.format.with_unit(r.value),
                    },
                    unknown_location: r.unknown_location,
                    upper: s.upper,
                    value: Num(r.value.number()),
                }
            })
            .collect(),
    };
    json_twin(&twin)
}

fn missing_symbol(v: Value) -> Option<&'static str> {
    match v {
        Value::Missing(c) => Some(c.symbol()),
        Value::Number(_) => None,
    }
}

/// The view's table for CSV and XLSX.
fn table(page: &Page, v: &View) -> Table {
    let ind = v.ind(page);
    let snap = &page.ctx.snap;
    let level = &snap.levels[v.level].level.code;
    let mut t = Table::new(
        format!(
            "{} — {}, {}",
            page.text(&ind.name),
            v.level_name(page),
            v.period_label(page)
        ),
        format!("{}_{}_{}", ind.code, level, v.period.code()),
        vec![
            Col::new("level", Kind::Text, "Geo level code").required(),
            Col::new("area", Kind::Text, "Area code").required(),
            Col::new("name", Kind::Text, "Area name"),
            Col::new("period", Kind::Text, "Period code").required(),
            Col::new(
                "value",
                Kind::Number,
                "The value (empty when missing: see status)",
            ),
            Col::new(
                "status",
                Kind::Text,
                "Why a value is missing: x hidden, ? unknown, nvt not applicable, - empty",
            ),
            Col::new(
                "rank",
                Kind::Integer,
                "Rank among the level's areas, 1 = highest",
            ),
        ],
    );
    t.key = vec!["area".into()];
    if let Some(c) = v.confidence {
        t.columns.extend([
            Col::new(
                "lower",
                Kind::Number,
                format!("Lower bound of the {c} % confidence interval"),
            ),
            Col::new(
                "upper",
                Kind::Number,
                format!("Upper bound of the {c} % confidence interval"),
            ),
            Col::new(
                "significance",
                Kind::Text,
                "higher, lower or not-significant against the benchmark area",
            ),
            Col::new("benchmark", Kind::Text, "The benchmark area (level:code)"),
        ]);
    }
    for r in &v.rows {
        let mut row = vec![
            Cell::text(level.clone()),
            Cell::text(r.code.to_string()),
            Cell::text(r.name.to_string()),
            Cell::text(v.period.code()),
            r.value
                .number()
                .map_or(Cell::Empty, |x| Cell::Number(x, ind.decimals)),
            Cell::opt(missing_symbol(r.value)),
            r.rank.map_or(Cell::Empty, |k| Cell::Integer(k as i64)),
        ];
        if v.confidence.is_some() {
            let c = r.survey;
            let bench = c.and_then(|c| c.benchmark).and_then(|b| snap.area_at(b));
            row.extend([
                c.map_or(Cell::Empty, |c| Cell::Number(c.interval.low, None)),
                c.map_or(Cell::Empty, |c| Cell::Number(c.interval.high, None)),
                Cell::opt(c.and_then(|c| c.significance).map(|s| s.code())),
                Cell::opt(bench.map(|(l, it)| format!("{l}:{}", it.code))),
            ]);
        }
        t.rows.push(row);
    }
    if !ind.source.is_empty() {
        t.notes.push(("source".into(), ind.source.clone()));
    }
    if !ind.unit.is_empty() {
        t.notes.push(("unit".into(), ind.unit.clone()));
    }
    t
}

/// `/indicator/{code}/{map|chart|trend}.{svg|png}`: one graphic of the view.
pub(crate) async fn graphic(
    State(st): State<AppState>,
    Path((code, graphic)): Path<(String, String)>,
    req: Req,
) -> Response {
    let page = match Page::new(&st, req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let v = match view(&page, &code).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (what, ext) = graphic
        .rsplit_once('.')
        .unwrap_or((graphic.as_str(), "svg"));
    let svg = match what {
        "map" => map_svg(&page, &v, "map", true).await,
        "chart" => Some(bar_chart(&page, &v, "chart").svg()),
        "trend" => trend_chart(&page, &v, "trend").map(|t| t.svg()),
        _ => None,
    };
    match (svg, ext) {
        (Some(s), "svg") => svg_response(s),
        (Some(s), "png") => png_response(&s),
        _ => page.not_found(),
    }
}

/// `/embed/indicator/{code}/{map|chart|table}`: one part of the triptych on a bare page.
pub(crate) async fn embed(
    State(st): State<AppState>,
    Path((code, what)): Path<(String, String)>,
    req: Req,
) -> Response {
    let page = match Page::new(&st, req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let v = match view(&page, &code).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let ind = v.ind(&page);
    let base = page.href(&format!("/indicator/{}", crate::api::seg(&ind.code)));
    let (graphic, rows) = match what.as_str() {
        "map" => (map_svg(&page, &v, "map", true).await, None),
        "chart" => (Some(bar_chart(&page, &v, "chart").svg()), None),
        "table" => (
            None,
            Some(
                v.rows
                    .iter()
                    .map(|r| json!({
                        "code": r.code, "name": r.name, "value": v.format.with_unit(r.value), "rank": r.rank,
                        "interval": r.survey.map(|c| interval_text(&v.format, c)),
                        "verdict": r.survey.and_then(|c| verdict_text(&page, c)),
                        "mark": r.survey.and_then(verdict_mark),
                    }))
                    .collect::<Vec<_>>(),
            ),
        ),
        _ => return page.not_found(),
    };
    let title = format!(
        "{} — {}, {}",
        page.text(&ind.name),
        v.level_name(&page),
        v.period_label(&page)
    );
    page.render(
        "embed.html",
        &title,
        json!({
            "graphic": graphic,
            "rows": rows,
            "confidence": v.confidence,
            "source": ind.source,
            "full": v.url(&page, &base, &[]),
        }),
    )
    .into_response()
}
