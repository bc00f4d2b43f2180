//! Pie and ring (donut) charts.

use super::{finite, missing_of};
use crate::format::{Locale, NumberFormat};
use crate::palette;
use crate::svg::{self, Anchor, sector, word};
use crate::{escape, escape_into};
use peil_core::Value;
use std::fmt::Write;

/// A pie (or, with `ring`, a donut with the total in the middle). Slices are the positive
/// values, clockwise from 12 o'clock, each a `<path class="slice">` with a tooltip; the
/// legend lists every slice with its share in percent and its value (missing, zero or
/// negative values are listed but not drawn).
pub struct PieChart {
    /// DOM id prefix, `[a-z0-9-]`.
    pub id: String,
    /// Title (`<title>`, table caption).
    pub title: String,
    /// Description for screen readers (`<desc>`).
    pub description: String,
    /// Label and value of each slice.
    pub slices: Vec<(String, Value)>,
    /// Draw a ring (donut) instead of a full pie.
    pub ring: bool,
    /// Number format of values.
    pub format: NumberFormat,
    /// Width in px (the height follows).
    pub width: f64,
}

impl PieChart {
    fn total(&self) -> f64 {
        self.slices
            .iter()
            .filter_map(|(_, v)| finite(*v))
            .filter(|x| *x > 0.0)
            .sum()
    }

    fn share_format(&self) -> NumberFormat {
        NumberFormat::new(1, "%", self.format.locale)
    }

    /// Share of a value in percent, when it is drawn.
    fn share(&self, v: Value) -> Option<f64> {
        let total = self.total();
        finite(v)
            .filter(|x| *x >= 0.0 && total > 0.0)
            .map(|x| x / total * 100.0)
    }

    /// The SVG.
    pub fn svg(&self) -> String {
        let width = if self.width.is_finite() && self.width >= 160.0 {
            self.width
        } else {
            480.0
        };
        let locale = self.format.locale;
        let side = width >= 420.0;
        let d = if side {
            (width * 0.42).min(280.0)
        } else {
            (width - 24.0).min(260.0)
        };
        let r = d / 2.0;
        let legend_rows = self.slices.len() as f64;
        let legend_h = legend_rows * 20.0;
        // Legend beside the pie on wide charts, below it on narrow ones.
        let (cx, cy, lx, ly, height) = if side {
            let cy = 12.0 + r.max(legend_h / 2.0);
            let ly = (cy - legend_h / 2.0).max(12.0);
            (
                12.0 + r,
                cy,
                12.0 + d + 24.0,
                ly,
                (cy + r + 12.0).max(ly + legend_h + 8.0),
            )
        } else {
            let ly = 12.0 + d + 16.0;
            (width / 2.0, 12.0 + r, 12.0, ly, ly + legend_h + 8.0)
        };
        let mut out = String::with_capacity(1024 + self.slices.len() * 300);
        svg::open(
            &mut out,
            &self.id,
            width,
            height,
            "chart pie-chart",
            &self.title,
            &self.description,
        );
        let total = self.total();
        let r_in = if self.ring { r * 0.56 } else { 0.0 };
        let sf = self.share_format();
        if total > 0.0 {
            let mut a = 0.0;
            for (i, (label, v)) in self.slices.iter().enumerate() {
                let Some(x) = finite(*v).filter(|x| *x > 0.0) else {
                    continue;
                };
                let span = x / total * std::f64::consts::TAU;
                let path = sector(cx, cy, r, r_in, a, a + span);
                a += span;
                let _ = write!(
                    out,
                    "<path class=\"slice\" d=\"{path}\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"1\"><title>",
                    palette::categorical(i)
                );
                escape_into(&mut out, label);
                out.push_str(": ");
                escape_into(&mut out, &self.format.with_unit(*v));
                out.push_str(" (");
                escape_into(&mut out, &sf.with_unit(Value::Number(x / total * 100.0)));
                out.push_str(")</title></path>");
            }
        } else {
            // Nothing to share out: an empty outline.
            let _ = write!(
                out,
                "<path d=\"{}\" fill=\"{}\" fill-rule=\"evenodd\"/>",
                sector(cx, cy, r, r_in, 0.0, std::f64::consts::TAU),
                palette::NO_DATA
            );
        }
        if self.ring && total > 0.0 {
            svg::text(
                &mut out,
                cx,
                cy + 6.0,
                Anchor::Middle,
                "font-size=\"16\" font-weight=\"bold\" class=\"total\"",
                &self.format.with_unit(Value::Number(total)),
            );
        }
        // Legend.
        out.push_str("<g class=\"legend\">");
        for (i, (label, v)) in self.slices.iter().enumerate() {
            let y = ly + i as f64 * 20.0;
            let drawn = finite(*v).is_some_and(|x| x > 0.0) && total > 0.0;
            if drawn {
                let _ = write!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"14\" fill=\"{}\"/>",
                    svg::n(lx),
                    svg::n(y + 1.0),
                    palette::categorical(i)
                );
            } else {
                let _ = write!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"13\" height=\"13\" fill=\"#ffffff\" stroke=\"{}\"/>",
                    svg::n(lx + 0.5),
                    svg::n(y + 1.5),
                    palette::AXIS
                );
            }
            let value = match missing_of(*v) {
                Some(m) => crate::format::missing_label(m, locale).to_string(),
                None => match self.share(*v) {
                    Some(p) => format!(
                        "{} ({})",
                        sf.with_unit(Value::Number(p)),
                        self.format.with_unit(*v)
                    ),
                    None => self.format.with_unit(*v),
                },
            };
            let text = format!("{label}: {value}");
            let max_chars = (((width - lx - 28.0) / (12.0 * 0.58)).floor() as usize).max(8);
            let (short, cut) = svg::truncate(&text, max_chars);
            out.push_str("<text x=\"");
            svg::push_num(&mut out, lx + 20.0);
            out.push_str("\" y=\"");
            svg::push_num(&mut out, y + 12.5);
            out.push_str("\">");
            escape_into(&mut out, &short);
            if cut {
                out.push_str("<title>");
                escape_into(&mut out, &text);
                out.push_str("</title>");
            }
            out.push_str("</text>");
        }
        out.push_str("</g></svg>");
        out
    }

    /// The data as an accessible HTML table: label, value and share per slice.
    pub fn table_html(&self) -> String {
        let locale: Locale = self.format.locale;
        let head = vec![
            word(locale, "Categorie", "Category", "Catégorie").to_string(),
            word(locale, "Waarde", "Value", "Valeur").to_string(),
            word(locale, "Aandeel", "Share", "Part").to_string(),
        ];
        let sf = self.share_format();
        let rows: Vec<(String, Vec<String>)> = self
            .slices
            .iter()
            .map(|(label, v)| {
                let share = match self.share(*v) {
                    Some(p) => escape(&sf.with_unit(Value::Number(p))),
                    None => String::new(),
                };
                (
                    label.clone(),
                    vec![
                        svg::cell_html(*v, &self.format.with_unit(*v), locale),
                        share,
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
    use peil_core::MissingCode;

    fn chart(width: f64, ring: bool) -> PieChart {
        PieChart {
            id: "p1".into(),
            title: "Woningtypes".into(),
            description: "Verdeling".into(),
            slices: vec![
                ("Huis".into(), Value::Number(75.0)),
                ("Appartement".into(), Value::Number(25.0)),
                ("Andere".into(), Value::Missing(MissingCode::Hidden)),
            ],
            ring,
            format: NumberFormat::new(0, "", Locale::Nl),
            width,
        }
    }

    #[test]
    fn svg_structure() {
        for (w, ring) in [(600.0, false), (300.0, true)] {
            let s = chart(w, ring).svg();
            check_svg(&s, "p1");
            assert_eq!(s.matches("class=\"slice\"").count(), 2);
            assert!(s.contains("<title>Huis: 75 (75,0\u{a0}%)</title>"));
            assert!(s.contains(">Huis: 75,0\u{a0}% (75)</text>"));
            assert!(s.contains(">Andere: geheim (privacy)</text>"));
            assert_eq!(s.contains("class=\"total\""), ring);
        }
        // One slice only: a full circle.
        let mut one = chart(600.0, false);
        one.slices.truncate(1);
        let s = one.svg();
        check_svg(&s, "p1");
        assert!(s.contains("A"));
        // Nothing positive.
        let mut none = chart(600.0, true);
        none.slices = vec![("a".into(), Value::Number(0.0))];
        check_svg(&none.svg(), "p1");
    }

    #[test]
    fn table() {
        let t = chart(600.0, false).table_html();
        check_table(&t, "Woningtypes");
        assert!(t.contains("<th scope=\"row\">Appartement</th><td class=\"num\">25</td><td class=\"num\">25,0\u{a0}%</td>"));
        assert!(t.contains("<abbr title=\"geheim (privacy)\">x</abbr>"));
    }
}
