//! Charts: bar, line, pie, population pyramid, scatter, key-figure tile, sparkline and
//! Swing's profile ring.
//!
//! Every chart is an `<svg>` with `role="img"`, `aria-labelledby` pointing at its
//! `<title>` and `<desc>`, a `viewBox` plus `width`/`height` (pages scale it with CSS), the
//! system font stack and presentation attributes only. The visible heading of a chart is
//! the page's (or report's) job, so charts do not repeat their title as text, except the
//! key-figure tile, whose title is part of the tile. Every chart also has
//! `table_html()`: the same data, formatted, as an HTML `<table class="sr-table">` whose
//! caption is the title, for screen readers and as a fallback.
//!
//! Missing values are never drawn as zero: bars show the missing symbol (`x`, `?`, `nvt`,
//! `-`) at the baseline, lines break, scatter points are left out (and counted in a note).

mod bar;
mod keyfigure;
mod line;
mod pie;
mod pyramid;
mod ring;
mod scatter;

pub use bar::BarChart;
pub use keyfigure::KeyFigure;
pub use line::LineChart;
pub use pie::PieChart;
pub use pyramid::Pyramid;
pub use ring::{ProfileRing, RingSlice, z_class, z_class_label};
pub use scatter::Scatter;

use crate::format::{Locale, missing_label};
use crate::palette;
use crate::svg::{self, Anchor, Scale, push_num};
use crate::{escape, escape_into};
use peil_core::{MissingCode, Value};
use std::fmt::Write;

/// A category of a bar chart or scatter plot: usually an area (then `code` is its code and
/// elements carry `data-area`), sometimes something else (an age band, a sector).
#[derive(Debug, Clone)]
pub struct Category {
    /// Area code for `data-area`, or `None`.
    pub code: Option<String>,
    /// The label shown.
    pub label: String,
}

/// A named row of values, parallel to the categories (or x labels) of its chart; missing
/// trailing values count as Empty.
#[derive(Debug, Clone)]
pub struct Series {
    /// Series name (legend, tooltips, table header).
    pub name: String,
    /// The values.
    pub values: Vec<Value>,
}

impl Series {
    /// Value `i`, or Empty when the series is shorter.
    pub(crate) fn at(&self, i: usize) -> Value {
        self.values
            .get(i)
            .copied()
            .unwrap_or(Value::Missing(MissingCode::Empty))
    }
}

/// How several series of a bar chart are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarMode {
    /// One series (only the first is drawn).
    Single,
    /// Bars of each series side by side per category.
    Grouped,
    /// Bars of the series stacked per category (positives up, negatives down).
    Stacked,
}

/// A number of a value when it is a finite number.
pub(crate) fn finite(v: Value) -> Option<f64> {
    match v {
        Value::Number(x) if x.is_finite() => Some(x),
        _ => None,
    }
}

/// The missing code of a value that is not a finite number (NaN counts as Unknown).
pub(crate) fn missing_of(v: Value) -> Option<MissingCode> {
    match v {
        Value::Missing(m) => Some(m),
        Value::Number(x) if !x.is_finite() => Some(MissingCode::Unknown),
        Value::Number(_) => None,
    }
}

/// Text attributes: muted text.
pub(crate) fn muted() -> String {
    format!("fill=\"{}\"", palette::TEXT_MUTED)
}

/// Draws the symbol of a missing value as text with an explaining tooltip.
pub(crate) fn missing_mark(
    out: &mut String,
    (x, y): (f64, f64),
    anchor: Anchor,
    code: MissingCode,
    tooltip_prefix: &str,
    locale: Locale,
    area: Option<&str>,
) {
    out.push_str("<text x=\"");
    push_num(out, x);
    out.push_str("\" y=\"");
    push_num(out, y);
    out.push_str("\" class=\"missing\"");
    match anchor {
        Anchor::Middle => out.push_str(" text-anchor=\"middle\""),
        Anchor::End => out.push_str(" text-anchor=\"end\""),
        Anchor::Start => {}
    }
    if let Some(a) = area {
        out.push_str(" data-area=\"");
        escape_into(out, a);
        out.push('"');
    }
    out.push('>');
    escape_into(out, code.symbol());
    out.push_str("<title>");
    escape_into(out, tooltip_prefix);
    out.push_str(": ");
    out.push_str(missing_label(code, locale));
    out.push_str("</title></text>");
}

/// A legend entry's symbol.
pub(crate) enum Swatch<'a> {
    /// A filled square, optionally outlined.
    Rect(&'a str, Option<&'a str>),
    /// A short line (for line charts and outlines), optionally dashed.
    Line(&'a str, bool),
}

/// Lays out legend entries left to right, wrapping at `max_w`; returns the height used.
pub(crate) fn flow_legend(
    out: &mut String,
    x0: f64,
    y0: f64,
    max_w: f64,
    items: &[(Swatch, String)],
) -> f64 {
    if items.is_empty() {
        return 0.0;
    }
    const ROW: f64 = 18.0;
    let (mut x, mut y) = (x0, y0);
    out.push_str("<g class=\"legend\">");
    for (swatch, label) in items {
        let w = 20.0 + svg::text_width(label, 12.0) + 14.0;
        if x > x0 && x + w > x0 + max_w {
            x = x0;
            y += ROW;
        }
        match swatch {
            Swatch::Rect(fill, stroke) => {
                let _ = write!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"12\" fill=\"{}\"",
                    svg::n(x),
                    svg::n(y + 2.0),
                    escape(fill)
                );
                if let Some(s) = stroke {
                    let _ = write!(out, " stroke=\"{}\"", escape(s));
                }
                out.push_str("/>");
            }
            Swatch::Line(colour, dashed) => {
                let _ = write!(
                    out,
                    "<path d=\"M{} {}h16\" stroke=\"{}\" stroke-width=\"2\"{}/>",
                    svg::n(x - 1.0),
                    svg::n(y + 8.0),
                    escape(colour),
                    if *dashed {
                        " stroke-dasharray=\"4 2\""
                    } else {
                        ""
                    }
                );
            }
        }
        svg::text(out, x + 20.0, y + 12.5, Anchor::Start, "", label);
        x += w;
    }
    out.push_str("</g>");
    y + ROW - y0
}

/// Vertical value axis with grid lines (x from `x0` to `x1`), labels left of `x0`.
pub(crate) fn y_axis(
    out: &mut String,
    ticks: &[f64],
    scale: &Scale,
    x0: f64,
    x1: f64,
    label: impl Fn(f64) -> String,
) {
    out.push_str("<g class=\"axis y\">");
    for &t in ticks {
        let y = scale.at(t);
        let _ = write!(
            out,
            "<path d=\"M{} {}H{}\" stroke=\"{}\" stroke-width=\"1\"/>",
            svg::n(x0),
            svg::n(y),
            svg::n(x1),
            if t == 0.0 {
                palette::AXIS
            } else {
                palette::GRID
            }
        );
        svg::text(out, x0 - 6.0, y + 4.0, Anchor::End, &muted(), &label(t));
    }
    out.push_str("</g>");
}

/// Horizontal value axis with grid lines (y from `y0` to `y1`), labels below `y1`.
pub(crate) fn x_axis(
    out: &mut String,
    ticks: &[f64],
    scale: &Scale,
    y0: f64,
    y1: f64,
    label: impl Fn(f64) -> String,
) {
    out.push_str("<g class=\"axis x\">");
    for &t in ticks {
        let x = scale.at(t);
        let _ = write!(
            out,
            "<path d=\"M{} {}V{}\" stroke=\"{}\" stroke-width=\"1\"/>",
            svg::n(x),
            svg::n(y0),
            svg::n(y1),
            if t == 0.0 {
                palette::AXIS
            } else {
                palette::GRID
            }
        );
        svg::text(out, x, y1 + 15.0, Anchor::Middle, &muted(), &label(t));
    }
    out.push_str("</g>");
}

/// Path data of a polyline through the points, broken where a point is `None`.
pub(crate) fn broken_line(points: &[Option<(f64, f64)>]) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for p in points {
        match p {
            Some((x, y)) => {
                d.push(if pen_down { 'L' } else { 'M' });
                push_num(&mut d, *x);
                d.push(' ');
                push_num(&mut d, *y);
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d
}

/// Draws a sparkline's marks into the box (x, y, w, h).
pub(crate) fn spark_body(
    out: &mut String,
    values: &[Value],
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    colour: &str,
) {
    let nums: Vec<f64> = values.iter().filter_map(|&v| finite(v)).collect();
    if nums.is_empty() {
        return;
    }
    let lo = nums.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = nums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let pad = 3.0;
    let ys = if hi > lo {
        Scale::new(lo, hi, y + h - pad, y + pad)
    } else {
        Scale::new(lo - 1.0, lo + 1.0, y + h - pad, y + pad)
    };
    let n = values.len();
    let xs = Scale::new(0.0, (n.max(2) - 1) as f64, x + pad, x + w - pad);
    let pts: Vec<Option<(f64, f64)>> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            finite(v).map(|v| (if n == 1 { x + w / 2.0 } else { xs.at(i as f64) }, ys.at(v)))
        })
        .collect();
    let d = broken_line(&pts);
    let _ = write!(
        out,
        "<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>"
    );
    // Isolated points (neighbours missing) would be invisible as lines: dot them.
    for (i, p) in pts.iter().enumerate() {
        let Some((px, py)) = p else { continue };
        let prev = i > 0 && pts[i - 1].is_some();
        let next = pts.get(i + 1).is_some_and(Option::is_some);
        let last = pts[i + 1..].iter().all(Option::is_none);
        if last || (!prev && !next) {
            let _ = write!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{colour}\"/>",
                svg::n(*px),
                svg::n(*py),
                if last { "2.5" } else { "1.5" }
            );
        }
    }
}

/// A tiny trend line without axes (e.g. 120 × 28), the last value marked with a dot;
/// missing values break the line. `role="img"` with `aria-label` = `label` (also the
/// tooltip).
pub fn sparkline(values: &[Value], width: f64, height: f64, label: &str) -> String {
    let mut out = String::with_capacity(256 + values.len() * 16);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" class=\"spark\" role=\"img\" aria-label=\"{l}\"><title>{l}</title>",
        w = svg::n(width),
        h = svg::n(height),
        l = escape(label)
    );
    spark_body(
        &mut out,
        values,
        0.0,
        0.0,
        width,
        height,
        palette::categorical(0),
    );
    out.push_str("</svg>");
    out
}

/// The number formatted with a number of decimals that suits its size (for values that
/// come without a format, e.g. in the profile ring).
pub(crate) fn auto_number(x: f64, locale: Locale) -> String {
    let d = if x.abs() >= 100.0 {
        0
    } else if x.abs() >= 1.0 {
        1
    } else {
        2
    };
    crate::NumberFormat::new(d, "", locale).number(x)
}

#[cfg(test)]
pub(crate) mod test_util {
    /// Parses SVG with usvg (well-formedness and structure) and checks the accessible
    /// title and description.
    pub(crate) fn check_svg(svg: &str, id: &str) {
        resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default())
            .unwrap_or_else(|e| panic!("invalid SVG: {e}\n{svg}"));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(
            svg.contains(&format!("aria-labelledby=\"{id}-title {id}-desc\"")),
            "{svg}"
        );
        assert!(svg.contains(&format!("<title id=\"{id}-title\">")));
        assert!(svg.contains(&format!("<desc id=\"{id}-desc\">")));
        assert!(svg.contains("role=\"img\"") || svg.contains("role=\"group\""));
        assert!(svg.ends_with("</svg>"));
    }

    /// Checks a table: class, caption and well-balanced rows.
    pub(crate) fn check_table(html: &str, caption: &str) {
        assert!(html.starts_with("<table class=\"sr-table\"><caption>"));
        assert!(
            html.contains(&format!("<caption>{caption}</caption>")),
            "{html}"
        );
        assert_eq!(html.matches("<tr>").count(), html.matches("</tr>").count());
        assert!(html.ends_with("</tbody></table>"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_breaks_on_missing() {
        let v = [
            Value::Number(1.0),
            Value::Number(2.0),
            Value::Missing(MissingCode::Hidden),
            Value::Number(3.0),
            Value::Number(2.5),
        ];
        let s = sparkline(&v, 120.0, 28.0, "Trend 2019–2023");
        resvg::usvg::Tree::from_str(&s, &resvg::usvg::Options::default()).unwrap();
        assert!(s.contains("role=\"img\" aria-label=\"Trend 2019–2023\""));
        let d = s.split("d=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('L').count(), 2, "{d}");
        // The last point is marked.
        assert_eq!(s.matches("<circle").count(), 1);
        assert!(s.contains("cx=\"117\""));
        // Nothing to draw: still a valid, labelled SVG.
        let e = sparkline(&[Value::Missing(MissingCode::Empty)], 120.0, 28.0, "x");
        resvg::usvg::Tree::from_str(&e, &resvg::usvg::Options::default()).unwrap();
    }

    #[test]
    fn broken_lines() {
        assert_eq!(
            broken_line(&[Some((0.0, 0.0)), None, Some((1.0, 1.0)), Some((2.0, 1.5))]),
            "M0 0M1 1L2 1.5"
        );
    }
}
