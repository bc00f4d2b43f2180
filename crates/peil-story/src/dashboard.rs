//! Dashboards: a theme page of tiles defined in a TOML file in the site directory
//! (`dashboards/{name}.toml`), readable, diffable and shareable between cities.
//!
//! ```toml
//! title = "Bevolking"
//! level = "gemeente"        # the level whose areas the dashboard switches between
//! area = "46999"            # the area shown first
//! compare = "gewest"        # comparison: the area's ancestor on this level, or level:code
//!
//! [[tile]]
//! kind = "keyfigure"        # keyfigure | chart | map | table | text | image
//! indicator = "v1101_t"
//! change = -5               # the change since this many periods back (default -10)
//! target = 300000           # optional target; the tile says whether it is reached
//!
//! [[tile]]
//! kind = "chart"
//! indicator = "vp_65p"
//! chart = "trend"           # trend | bar
//! ```

use crate::data::{Area, Data, format_of, period_name, text};
use crate::story::{Story, StoryError, render};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    #[serde(skip)]
    pub name: String,
    #[serde(skip)]
    pub file: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub level: String,
    #[serde(default)]
    pub area: Option<String>,
    #[serde(default)]
    pub compare: Option<String>,
    #[serde(default, rename = "tile")]
    pub tiles: Vec<Tile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tile {
    pub kind: TileKind,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub indicator: Option<String>,
    #[serde(default)]
    pub indicators: Vec<String>,
    #[serde(default)]
    pub chart: Option<String>,
    #[serde(default)]
    pub change: Option<i64>,
    #[serde(default)]
    pub target: Option<f64>,
    /// Markdown for text tiles (may use the story functions).
    #[serde(default)]
    pub text: Option<String>,
    /// An image file in the site directory (image tiles).
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub alt: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TileKind {
    Keyfigure,
    Chart,
    Map,
    Table,
    Text,
    Image,
}

impl TileKind {
    /// Every kind, in the order the handbook lists them.
    pub const ALL: [TileKind; 6] = [
        TileKind::Keyfigure,
        TileKind::Chart,
        TileKind::Map,
        TileKind::Table,
        TileKind::Text,
        TileKind::Image,
    ];

    /// The name a dashboard file writes (`kind = "keyfigure"`).
    pub fn name(self) -> &'static str {
        match self {
            TileKind::Keyfigure => "keyfigure",
            TileKind::Chart => "chart",
            TileKind::Map => "map",
            TileKind::Table => "table",
            TileKind::Text => "text",
            TileKind::Image => "image",
        }
    }
}

impl Dashboard {
    pub fn parse(name: &str, file: &str, src: &str) -> Result<Dashboard, StoryError> {
        let mut d: Dashboard = toml::from_str(src).map_err(|e| StoryError {
            file: file.to_string(),
            line: e.span().map(|s| src[..s.start].lines().count().max(1)),
            reason: e.message().to_string(),
        })?;
        d.name = name.to_string();
        d.file = file.to_string();
        for (k, t) in d.tiles.iter().enumerate() {
            let needs_indicator = matches!(
                t.kind,
                TileKind::Keyfigure | TileKind::Chart | TileKind::Map
            );
            let problem = if needs_indicator && t.indicator.is_none() {
                Some("needs `indicator`")
            } else if t.kind == TileKind::Table && t.indicators.is_empty() && t.indicator.is_none()
            {
                Some("needs `indicators`")
            } else if t.kind == TileKind::Text && t.text.is_none() {
                Some("needs `text`")
            } else if t.kind == TileKind::Image && t.image.is_none() {
                Some("needs `image`")
            } else {
                None
            };
            if let Some(p) = problem {
                return Err(StoryError {
                    file: file.to_string(),
                    line: tile_line(src, k),
                    reason: format!("tile {} ({:?}) {p}", k + 1, t.kind),
                });
            }
        }
        // Text tiles are templates: their syntax is checked now.
        d.story()?;
        Ok(d)
    }

    /// The dashboard as a story: each tile a section, so the web and PDF share one renderer.
    pub fn story(&self) -> Result<Story, StoryError> {
        let mut body = String::new();
        body.push_str("```typst-grid 2\n");
        let mut grid = Vec::new();
        let mut rest = String::new();
        for t in &self.tiles {
            let ind = t.indicator.clone().unwrap_or_default();
            let q = |s: &str| format!("{s:?}");
            match t.kind {
                TileKind::Keyfigure => grid.push(format!("{{{{ {} }}}}", keyfigure_call(t))),
                TileKind::Chart => grid.push(format!(
                    "{{{{ chart({}, {}) }}}}",
                    q(&ind),
                    q(t.chart.as_deref().unwrap_or("trend"))
                )),
                TileKind::Map => grid.push(format!("{{{{ map({}) }}}}", q(&ind))),
                TileKind::Table => {
                    let mut inds = t.indicators.clone();
                    if inds.is_empty() {
                        inds.push(ind);
                    }
                    let list: Vec<String> = inds.iter().map(|i| q(i)).collect();
                    if let Some(title) = &t.title {
                        rest.push_str(&format!("\n## {title}\n"));
                    }
                    rest.push_str(&format!("\n{{{{ table([{}]) }}}}\n", list.join(", ")));
                }
                TileKind::Text => {
                    if let Some(title) = &t.title {
                        rest.push_str(&format!("\n## {title}\n"));
                    }
                    rest.push_str(&format!("\n{}\n", t.text.as_deref().unwrap_or("")));
                }
                TileKind::Image => {}
            }
        }
        for g in grid {
            body.push_str(&g);
            body.push('\n');
        }
        body.push_str("```\n");
        body.push_str(&rest);
        let header = format!(
            "+++\ntitle = {:?}\nlevel = {:?}\n{}+++\n",
            self.title,
            self.level,
            self.compare
                .as_ref()
                .map(|c| format!("compare = {c:?}\n"))
                .unwrap_or_default()
        );
        Story::parse(&self.name, &self.file, &(header + &body))
    }

    /// The area shown when none is asked for.
    pub fn default_area(&self, data: &Data) -> Option<Area> {
        self.area
            .as_ref()
            .map(|c| Area::new(&self.level, c))
            .filter(|a| data.exists(a))
            .or_else(|| data.areas(&self.level).into_iter().next())
    }
}

/// A key-figure tile as a template call: its indicator, and its `change` offset when given.
fn keyfigure_call(t: &Tile) -> String {
    let ind = t.indicator.as_deref().unwrap_or("");
    match t.change {
        Some(offset) => format!("keyfigure({ind:?}, {offset})"),
        None => format!("keyfigure({ind:?})"),
    }
}

fn tile_line(src: &str, k: usize) -> Option<usize> {
    src.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[tile]]")
        .nth(k)
        .map(|(n, _)| n + 1)
}

/// One tile, rendered for the web.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WebTile {
    pub kind: &'static str,
    pub title: String,
    /// The graphic (SVG) or HTML of the tile.
    pub html: String,
    /// The indicator's page (the detail view), when the tile shows one.
    pub indicator: Option<String>,
    /// For key figures with a target: whether it is reached.
    pub target: Option<String>,
}

/// Renders every tile of a dashboard for an area.
pub fn render_tiles(
    data: &Arc<Data>,
    d: &Dashboard,
    geo: &Area,
    compare: Option<&Area>,
    lang: &str,
    link_base: Option<&str>,
) -> Result<Vec<WebTile>, StoryError> {
    let locale = peil_render::Locale::parse(lang).unwrap_or(peil_render::Locale::Nl);
    let mut out = Vec::new();
    for t in &d.tiles {
        // Each tile is a one-tile story, so tiles and stories share every function.
        let body = match t.kind {
            TileKind::Keyfigure => format!("{{{{ {} }}}}", keyfigure_call(t)),
            TileKind::Chart => format!(
                "{{{{ chart({:?}, {:?}) }}}}",
                t.indicator.as_deref().unwrap_or(""),
                t.chart.as_deref().unwrap_or("trend")
            ),
            TileKind::Map => format!("{{{{ map({:?}) }}}}", t.indicator.as_deref().unwrap_or("")),
            TileKind::Table => {
                let mut inds = t.indicators.clone();
                if inds.is_empty() {
                    inds.extend(t.indicator.clone());
                }
                format!(
                    "{{{{ table([{}]) }}}}",
                    inds.iter()
                        .map(|i| format!("{i:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            TileKind::Text => t.text.clone().unwrap_or_default(),
            TileKind::Image => String::new(),
        };
        let header = format!(
            "+++\nlevel = {:?}\n{}+++\n",
            d.level,
            d.compare
                .as_ref()
                .map(|c| format!("compare = {c:?}\n"))
                .unwrap_or_default()
        );
        let story = Story::parse(&d.name, &d.file, &(header + &body))?;
        let r = render(data, &story, geo, compare, lang, link_base)?;
        let ind = t.indicator.as_deref().and_then(|c| data.indicator(c));
        let title = t
            .title
            .clone()
            .or_else(|| ind.map(|i| text(&i.name, lang)))
            .unwrap_or_default();
        let html = match t.kind {
            TileKind::Image => {
                let src = t.image.clone().unwrap_or_default();
                format!(
                    "<img src=\"{}\" alt=\"{}\">",
                    peil_render::escape(&format!("{}/content/{}", link_base.unwrap_or(""), src)),
                    peil_render::escape(t.alt.as_deref().unwrap_or(""))
                )
            }
            _ => {
                let html = crate::html::to_html(&r);
                if html.trim().is_empty() && ind.is_none() && t.indicator.is_some() {
                    // An indicator this site does not have: said, not an error.
                    "<p class=\"muted\">—</p>".to_string()
                } else {
                    html
                }
            }
        };
        let target = match (t.target, ind) {
            (Some(goal), Some(i)) => data.latest_value(&i.code, geo).and_then(|(p, v)| {
                let x = v.number()?;
                let f = format_of(i, locale);
                let reached = x >= goal;
                Some(format!(
                    "{} {} ({}): {}",
                    match lang {
                        "en" => "Target",
                        "fr" => "Objectif",
                        _ => "Doel",
                    },
                    f.with_unit(peil_core::Value::Number(goal)),
                    period_name(p, lang),
                    match (reached, lang) {
                        (true, "en") => "reached",
                        (false, "en") => "not reached",
                        (true, "fr") => "atteint",
                        (false, "fr") => "pas atteint",
                        (true, _) => "bereikt",
                        (false, _) => "niet bereikt",
                    }
                ))
            }),
            _ => None,
        };
        out.push(WebTile {
            kind: t.kind.name(),
            title,
            html,
            indicator: ind.map(|i| i.code.clone()),
            target,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tile_kind_is_listed_by_its_name() {
        // serde's own list of the kinds, from the message for an unknown one.
        let err = Dashboard::parse(
            "d",
            "d.toml",
            "title = \"t\"\nlevel = \"wijk\"\n[[tile]]\nkind = \"?\"\n",
        )
        .unwrap_err();
        let expected: Vec<&str> = err
            .reason
            .split_once("expected one of")
            .map(|(_, l)| l.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let names: Vec<&str> = TileKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(expected, names, "{}", err.reason);
    }
}
