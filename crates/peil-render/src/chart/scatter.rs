//! Scatter plots (two indicators over the areas of a level).

use super::{Category, finite, muted, x_axis, y_axis};
use crate::escape_into;
use crate::format::NumberFormat;
use crate::palette;
use crate::svg::{self, Anchor, Scale, nice_ticks, word};
use peil_core::Value;
use std::collections::HashSet;
use std::fmt::Write;

/// A scatter plot: one `<circle data-area="CODE" class="pt">` per category with both
/// values, a tooltip with both values, axes with 1-2-5 ticks and axis titles. Highlighted
/// categories are drawn last, larger, darker and labelled (class `is-sel`). Points with a
/// missing value are left out and counted in a note under the plot.
pub struct Scatter {
    /// DOM id prefix, `[a-z0-9-]`.
    pub id: String,
    /// Title (`<title>`, table caption).
    pub title: String,
    /// Description for screen readers (`<desc>`).
    pub description: String,
    /// Category, x value, y value.
    pub points: Vec<(Category, Value, Value)>,
    /// Title of the x axis (the x indicator).
    pub x_label: String,
    /// Title of the y axis (the y indicator).
    pub y_label: String,
    /// Number format of x values.
    pub x_format: NumberFormat,
    /// Number format of y values.
    pub y_format: NumberFormat,
    /// Codes drawn emphasised.
    pub highlight: Vec<String>,
    /// Width in px.
    pub width: f64,
    /// Height in px.
    pub height: f64,
}

const POINT: &str = "#3a78b5";
const POINT_SEL: &str = "#0b2f5c";

impl Scatter {
    /// The SVG.
    pub fn svg(&self) -> String {
        let width = if self.width.is_finite() && self.width >= 160.0 {
            self.width
        } else {
            560.0
        };
        let height = if self.height.is_finite() && self.height >= 140.0 {
            self.height
        } else {
            400.0
        };
        let locale = self.x_format.locale;
        let pts: Vec<(&Category, f64, f64)> = self
            .points
            .iter()
            .filter_map(|(c, x, y)| Some((c, finite(*x)?, finite(*y)?)))
            .collect();
        let skipped = self.points.len() - pts.len();
        let range = |vals: &mut dyn Iterator<Item = f64>| {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for v in vals {
                lo = lo.min(v);
                hi = hi.max(v);
            }
            if lo > hi { (0.0, 1.0) } else { (lo, hi) }
        };
        let (xlo, xhi) = range(&mut pts.iter().map(|p| p.1));
        let (ylo, yhi) = range(&mut pts.iter().map(|p| p.2));
        let top = 12.0;
        let note_h = if skipped > 0 { 16.0 } else { 0.0 };
        let bottom = height - 42.0 - note_h;
        let yticks = nice_ticks(
            ylo,
            yhi,
            (((bottom - top) / 50.0).round() as usize).clamp(2, 8),
        );
        let yf = &self.y_format;
        let xf = &self.x_format;
        let left = 22.0
            + yticks
                .iter()
                .map(|&t| svg::text_width(&yf.axis(t), 12.0))
                .fold(0.0, f64::max)
            + 10.0;
        let xticks = nice_ticks(
            xlo,
            xhi,
            (((width - left) / 80.0).round() as usize).clamp(2, 8),
        );
        // The last tick label is centred on the right edge of the plot: keep it inside.
        let last_label = xticks
            .last()
            .map_or(0.0, |&t| svg::text_width(&xf.axis(t), 12.0));
        let right = width - (last_label / 2.0 + 8.0).max(14.0);
        let xs = Scale::new(xticks[0], xticks[xticks.len() - 1], left, right);
        let ys = Scale::new(yticks[0], yticks[yticks.len() - 1], bottom, top);

        let mut out = String::with_capacity(2048 + pts.len() * 160);
        svg::open(
            &mut out,
            &self.id,
            width,
            height,
            "chart scatter",
            &self.title,
            &self.description,
        );
        y_axis(&mut out, &yticks, &ys, left, right, |t| yf.axis(t));
        x_axis(&mut out, &xticks, &xs, top, bottom, |t| xf.axis(t));
        // Axis frame lines where zero is not a tick.
        let _ = write!(
            out,
            "<path d=\"M{l} {t}V{b}H{r}\" fill=\"none\" stroke=\"{}\"/>",
            palette::AXIS,
            l = svg::n(left),
            t = svg::n(top),
            b = svg::n(bottom),
            r = svg::n(right)
        );
        svg::text(
            &mut out,
            (left + right) / 2.0,
            bottom + 34.0,
            Anchor::Middle,
            "font-weight=\"bold\" class=\"axis-title\"",
            &self.x_label,
        );
        let _ = write!(
            out,
            "<text transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\" font-weight=\"bold\" class=\"axis-title\">",
            svg::n((top + bottom) / 2.0)
        );
        escape_into(&mut out, &self.y_label);
        out.push_str("</text>");

        let selected: HashSet<&str> = self.highlight.iter().map(String::as_str).collect();
        let is_sel = |c: &Category| c.code.as_deref().is_some_and(|c| selected.contains(c));
        out.push_str("<g class=\"points\">");
        // Plain points first, highlighted ones on top.
        for pass in [false, true] {
            for &(c, x, y) in pts.iter().filter(|p| is_sel(p.0) == pass) {
                let (px, py) = (xs.at(x), ys.at(y));
                out.push_str("<circle");
                if let Some(code) = &c.code {
                    out.push_str(" data-area=\"");
                    escape_into(&mut out, code);
                    out.push('"');
                }
                let _ = write!(
                    out,
                    " class=\"{}\" cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" fill-opacity=\"{}\" stroke=\"#ffffff\" stroke-width=\"0.75\"><title>",
                    if pass { "pt is-sel" } else { "pt" },
                    svg::n(px),
                    svg::n(py),
                    if pass { 6 } else { 4 },
                    if pass { POINT_SEL } else { POINT },
                    if pass { "1" } else { "0.8" }
                );
                escape_into(&mut out, &c.label);
                out.push_str(": ");
                escape_into(&mut out, &self.x_label);
                out.push(' ');
                escape_into(&mut out, &xf.with_unit(Value::Number(x)));
                out.push_str(", ");
                escape_into(&mut out, &self.y_label);
                out.push(' ');
                escape_into(&mut out, &yf.with_unit(Value::Number(y)));
                out.push_str("</title></circle>");
                if pass {
                    let (tx, anchor) = if px > (left + right) / 2.0 {
                        (px - 9.0, Anchor::End)
                    } else {
                        (px + 9.0, Anchor::Start)
                    };
                    svg::text(
                        &mut out,
                        tx,
                        py + 4.0,
                        anchor,
                        "font-weight=\"bold\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\" stroke-linejoin=\"round\" class=\"pt-label\"",
                        &c.label,
                    );
                }
            }
        }
        out.push_str("</g>");
        if skipped > 0 {
            let note = match locale {
                crate::Locale::Nl => format!("{skipped} zonder gegevens, niet getoond"),
                crate::Locale::En => format!("{skipped} without data, not shown"),
                crate::Locale::Fr => format!("{skipped} sans données, non affichés"),
            };
            svg::text(&mut out, right, height - 6.0, Anchor::End, &muted(), &note);
        }
        out.push_str("</svg>");
        out
    }

    /// The data as an accessible HTML table: one row per category with both values.
    pub fn table_html(&self) -> String {
        let locale = self.x_format.locale;
        let head = vec![
            word(locale, "Categorie", "Category", "Catégorie").to_string(),
            self.x_label.clone(),
            self.y_label.clone(),
        ];
        let rows: Vec<(String, Vec<String>)> = self
            .points
            .iter()
            .map(|(c, x, y)| {
                (
                    c.label.clone(),
                    vec![
                        svg::cell_html(*x, &self.x_format.with_unit(*x), locale),
                        svg::cell_html(*y, &self.y_format.with_unit(*y), locale),
                    ],
                )
            })
            .collect();
        svg::table(&self.title, &head, &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_util::{check_svg, check_table};
    use crate::format::Locale;
    use peil_core::MissingCode;

    fn scatter() -> Scatter {
        let pt = |code: &str, x: Value, y: Value| {
            (
                Category {
                    code: Some(code.into()),
                    label: format!("Wijk {code}"),
                },
                x,
                y,
            )
        };
        Scatter {
            id: "s1".into(),
            title: "Inkomen en werkloosheid".into(),
            description: "Puntenwolk".into(),
            points: vec![
                pt("A", Value::Number(20000.0), Value::Number(5.5)),
                pt("B", Value::Number(25000.0), Value::Number(3.0)),
                pt("C", Value::Number(32000.0), Value::Number(2.1)),
                pt("D", Value::Missing(MissingCode::Hidden), Value::Number(4.0)),
            ],
            x_label: "Mediaan inkomen".into(),
            y_label: "Werkloosheid".into(),
            x_format: NumberFormat::new(0, "euro", Locale::Nl),
            y_format: NumberFormat::new(1, "%", Locale::Nl),
            highlight: vec!["B".into()],
            width: 560.0,
            height: 400.0,
        }
    }

    #[test]
    fn svg_structure() {
        let s = scatter().svg();
        check_svg(&s, "s1");
        assert_eq!(s.matches("<circle data-area=").count(), 3);
        assert!(!s.contains("data-area=\"D\""));
        assert!(s.contains("<circle data-area=\"B\" class=\"pt is-sel\""));
        assert!(s.contains(">1 zonder gegevens, niet getoond</text>"));
        assert!(s.contains("<title>Wijk A: Mediaan inkomen 20\u{202f}000\u{a0}euro, Werkloosheid 5,5\u{a0}%</title>"));
        assert!(s.contains(">Wijk B</text>"));
        let mut empty = scatter();
        empty.points.clear();
        check_svg(&empty.svg(), "s1");
    }

    #[test]
    fn table() {
        let t = scatter().table_html();
        check_table(&t, "Inkomen en werkloosheid");
        assert!(t.contains("<th scope=\"row\">Wijk D</th><td class=\"num\"><abbr title=\"geheim (privacy)\">x</abbr></td><td class=\"num\">4,0\u{a0}%</td>"));
    }
}
