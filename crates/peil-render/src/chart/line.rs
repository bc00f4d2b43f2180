//! Line charts (time series of one or more areas).

use super::{Series, Swatch, broken_line, finite, flow_legend, muted, y_axis};
use crate::escape_into;
use crate::format::NumberFormat;
use crate::palette;
use crate::svg::{self, Anchor, Scale, nice_ticks, word};
use std::fmt::Write;

/// A line chart: one line per series over shared x labels (periods), with point markers
/// (a different shape per series, so colour is not the only cue) carrying tooltips, a
/// legend of series names, a y axis with 1-2-5 ticks and gaps where values are missing.
/// Each series is a `<g data-area="CODE" class="series">` when it has an area code.
pub struct LineChart {
    /// DOM id prefix, `[a-z0-9-]`.
    pub id: String,
    /// Title (`<title>`, table caption).
    pub title: String,
    /// Description for screen readers (`<desc>`).
    pub description: String,
    /// Labels of the x positions (e.g. periods), left to right.
    pub x_labels: Vec<String>,
    /// Series with an optional area code, values parallel to `x_labels`.
    pub series: Vec<(Option<String>, Series)>,
    /// Number format of tooltips, axis and table.
    pub format: NumberFormat,
    /// Width in px.
    pub width: f64,
    /// Height in px.
    pub height: f64,
}

/// Writes marker `kind` (cycled: circle, square, diamond, triangle) at (x, y).
fn marker(out: &mut String, kind: usize, x: f64, y: f64, colour: &str) {
    match kind % 4 {
        0 => {
            let _ = write!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{colour}\"",
                svg::n(x),
                svg::n(y)
            );
        }
        1 => {
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"7\" height=\"7\" fill=\"{colour}\"",
                svg::n(x - 3.5),
                svg::n(y - 3.5)
            );
        }
        2 => {
            let _ = write!(
                out,
                "<path d=\"M{} {}l4.5 4.5-4.5 4.5-4.5-4.5z\" fill=\"{colour}\"",
                svg::n(x),
                svg::n(y - 4.5)
            );
        }
        _ => {
            let _ = write!(
                out,
                "<path d=\"M{} {}l4.5 8h-9z\" fill=\"{colour}\"",
                svg::n(x),
                svg::n(y - 4.5)
            );
        }
    }
}

impl LineChart {
    /// The SVG.
    pub fn svg(&self) -> String {
        let width = if self.width.is_finite() && self.width >= 120.0 {
            self.width
        } else {
            600.0
        };
        let height = if self.height.is_finite() && self.height >= 100.0 {
            self.height
        } else {
            300.0
        };
        let n = self.x_labels.len();
        let fmt = &self.format;
        let mut out = String::with_capacity(2048 + self.series.len() * n * 120);
        svg::open(
            &mut out,
            &self.id,
            width,
            height,
            "chart line-chart",
            &self.title,
            &self.description,
        );

        // Legend on top.
        let items: Vec<(Swatch, String)> = self
            .series
            .iter()
            .enumerate()
            .filter(|_| {
                self.series.len() > 1 || self.series.iter().any(|(_, s)| !s.name.is_empty())
            })
            .map(|(i, (_, s))| (Swatch::Line(palette::categorical(i), false), s.name.clone()))
            .collect();
        let legend_h = flow_legend(&mut out, 8.0, 4.0, width - 16.0, &items);
        let top = legend_h + 12.0;
        let bottom = height - 24.0;

        let nums: Vec<f64> = self
            .series
            .iter()
            .flat_map(|(_, s)| s.values.iter().take(n).filter_map(|&v| finite(v)))
            .collect();
        let (lo, hi) = if nums.is_empty() {
            (0.0, 1.0)
        } else {
            (
                nums.iter().copied().fold(f64::INFINITY, f64::min),
                nums.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            )
        };
        let target = (((bottom - top) / 50.0).round() as usize).clamp(2, 8);
        let ticks = nice_ticks(lo, hi, target);
        let left = ticks
            .iter()
            .map(|&t| svg::text_width(&fmt.axis(t), 12.0))
            .fold(0.0, f64::max)
            + 14.0;
        let last_w = self
            .x_labels
            .last()
            .map_or(0.0, |l| svg::text_width(l, 12.0));
        let plot_x0 = left + 8.0;
        let plot_x1 = (width - 8.0 - (last_w / 2.0).max(8.0)).max(plot_x0 + 10.0);
        let ys = Scale::new(ticks[0], ticks[ticks.len() - 1], bottom, top);
        let xs = Scale::new(0.0, (n.max(2) - 1) as f64, plot_x0, plot_x1);
        let x_at = |i: usize| {
            if n == 1 {
                (plot_x0 + plot_x1) / 2.0
            } else {
                xs.at(i as f64)
            }
        };
        y_axis(&mut out, &ticks, &ys, left, plot_x1 + 4.0, |t| fmt.axis(t));

        // X labels, thinned to fit.
        let label_w = self
            .x_labels
            .iter()
            .map(|l| svg::text_width(l, 12.0))
            .fold(0.0, f64::max)
            + 10.0;
        let fit = (((plot_x1 - plot_x0) / label_w).floor() as usize).max(1);
        let step = n.div_ceil(fit).max(1);
        out.push_str("<g class=\"axis x\">");
        let _ = write!(
            out,
            "<path d=\"M{} {}H{}\" stroke=\"{}\" stroke-width=\"1\"/>",
            svg::n(left),
            svg::n(bottom),
            svg::n(plot_x1 + 4.0),
            palette::AXIS
        );
        for (i, l) in self.x_labels.iter().enumerate() {
            // Always label the last position; skip the one before it when it would collide.
            let show = i + 1 == n || (i % step == 0 && n - 1 - i >= step);
            if !show {
                continue;
            }
            let x = x_at(i);
            let _ = write!(
                out,
                "<path d=\"M{} {}v4\" stroke=\"{}\"/>",
                svg::n(x),
                svg::n(bottom),
                palette::AXIS
            );
            svg::text(&mut out, x, bottom + 17.0, Anchor::Middle, &muted(), l);
        }
        out.push_str("</g>");

        for (si, (code, s)) in self.series.iter().enumerate() {
            let colour = palette::categorical(si);
            out.push_str("<g");
            if let Some(c) = code {
                out.push_str(" data-area=\"");
                escape_into(&mut out, c);
                out.push('"');
            }
            let _ = write!(out, " class=\"series\" fill=\"{colour}\">");
            let pts: Vec<Option<(f64, f64)>> = (0..n)
                .map(|i| finite(s.at(i)).map(|v| (x_at(i), ys.at(v))))
                .collect();
            let d = broken_line(&pts);
            if !d.is_empty() {
                let _ = write!(
                    out,
                    "<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>"
                );
            }
            for (i, p) in pts.iter().enumerate() {
                let Some((x, y)) = p else { continue };
                marker(&mut out, si, *x, *y, colour);
                out.push_str("><title>");
                if !s.name.is_empty() {
                    escape_into(&mut out, &s.name);
                    out.push_str(", ");
                }
                escape_into(&mut out, &self.x_labels[i]);
                out.push_str(": ");
                escape_into(&mut out, &fmt.with_unit(s.at(i)));
                out.push_str("</title>");
                out.push_str(match si % 4 {
                    0 => "</circle>",
                    1 => "</rect>",
                    _ => "</path>",
                });
            }
            out.push_str("</g>");
        }
        out.push_str("</svg>");
        out
    }

    /// The data as an accessible HTML table: one row per x label, one column per series.
    pub fn table_html(&self) -> String {
        let locale = self.format.locale;
        let mut head = vec![word(locale, "Periode", "Period", "Période").to_string()];
        head.extend(self.series.iter().map(|(_, s)| s.name.clone()));
        let rows: Vec<(String, Vec<String>)> = self
            .x_labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let cells = self
                    .series
                    .iter()
                    .map(|(_, s)| svg::cell_html(s.at(i), &self.format.with_unit(s.at(i)), locale))
                    .collect();
                (l.clone(), cells)
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
    use peil_core::{MissingCode, Value};

    fn chart() -> LineChart {
        LineChart {
            id: "l1".into(),
            title: "Bevolking".into(),
            description: "Evolutie".into(),
            x_labels: (2015..=2023).map(|y| y.to_string()).collect(),
            series: vec![
                (
                    Some("44021".into()),
                    Series {
                        name: "Gent".into(),
                        values: vec![
                            Value::Number(250000.0),
                            Value::Number(252000.0),
                            Value::Missing(MissingCode::Unknown),
                            Value::Number(256000.0),
                            Value::Number(258000.0),
                            Value::Number(259000.0),
                            Value::Number(261000.0),
                            Value::Number(263000.0),
                            Value::Number(265000.0),
                        ],
                    },
                ),
                (
                    None,
                    Series {
                        name: "Vlaams gemiddelde".into(),
                        values: vec![Value::Number(240000.0); 9],
                    },
                ),
            ],
            format: NumberFormat::new(0, "inwoners", Locale::Nl),
            width: 640.0,
            height: 320.0,
        }
    }

    #[test]
    fn svg_structure() {
        let s = chart().svg();
        check_svg(&s, "l1");
        assert!(s.contains("<g data-area=\"44021\" class=\"series\""));
        assert_eq!(s.matches("class=\"series\"").count(), 2);
        // Gap: the first series' line has two pieces.
        let first = s.split("class=\"series\"").nth(1).unwrap();
        let d = first
            .split("d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(d.matches('M').count(), 2, "{d}");
        // 8 + 9 markers with tooltips.
        assert_eq!(s.matches("<title>Gent, ").count(), 8);
        assert!(
            s.contains(
                "<title>Gent, 2015: 250\u{a0}000\u{a0}inwoners</title>"
                    .replace("250\u{a0}000", "250\u{202f}000")
                    .as_str()
            )
        );
        assert!(s.contains(">Vlaams gemiddelde</text>"));
        assert!(s.contains(">2023</text>"));
        // Axis labels are compact.
        assert!(s.contains("\u{a0}k</text>"));
    }

    #[test]
    fn degenerate_inputs() {
        let mut c = chart();
        c.x_labels = vec!["2020".into()];
        check_svg(&c.svg(), "l1");
        c.series.clear();
        c.x_labels.clear();
        check_svg(&c.svg(), "l1");
    }

    #[test]
    fn table() {
        let t = chart().table_html();
        check_table(&t, "Bevolking");
        assert!(t.contains(
            "<th scope=\"row\">2017</th><td class=\"num\"><abbr title=\"onbekend\">?</abbr></td>"
        ));
        assert_eq!(t.matches("<tr>").count(), 10);
    }
}
