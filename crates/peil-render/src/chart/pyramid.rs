//! Population pyramids.

use super::{Series, Swatch, finite, flow_legend, missing_mark, missing_of, muted};
use crate::escape_into;
use crate::format::NumberFormat;
use crate::palette;
use crate::svg::{self, Anchor, Scale, nice_ticks, word};
use std::fmt::Write;

/// A population pyramid: age bands bottom-up (youngest at the bottom), the left series
/// (e.g. men) growing left and the right series (women) growing right from a central
/// column of band labels, with an optional reference outline (e.g. the city, in the same
/// units, typically shares) drawn as a stepped line over the bars.
pub struct Pyramid {
    /// DOM id prefix, `[a-z0-9-]`.
    pub id: String,
    /// Title (`<title>`, table caption).
    pub title: String,
    /// Description for screen readers (`<desc>`).
    pub description: String,
    /// Band labels, youngest first (drawn bottom-up).
    pub bands: Vec<String>,
    /// Left side, parallel to `bands` (e.g. men).
    pub left: Series,
    /// Right side, parallel to `bands` (e.g. women).
    pub right: Series,
    /// Reference outline (left, right), e.g. the city.
    pub compare: Option<(Series, Series)>,
    /// Number format of values.
    pub format: NumberFormat,
    /// Width in px (the height follows from the number of bands).
    pub width: f64,
}

impl Pyramid {
    /// The SVG.
    pub fn svg(&self) -> String {
        let width = if self.width.is_finite() && self.width >= 200.0 {
            self.width
        } else {
            560.0
        };
        let n = self.bands.len();
        let locale = self.format.locale;
        let fmt = &self.format;
        let row = if n <= 25 {
            16.0
        } else {
            (400.0 / n as f64).max(8.0)
        };
        let centre_w = self
            .bands
            .iter()
            .map(|b| svg::text_width(b, 11.0))
            .fold(36.0, f64::max)
            + 12.0;
        let cx = width / 2.0;
        let (inner_l, inner_r) = (cx - centre_w / 2.0, cx + centre_w / 2.0);
        let side = inner_l - 10.0;

        let mut out = String::with_capacity(2048 + n * 400);
        let mut head = String::new();
        // Legend: the compare outline.
        let mut items = Vec::new();
        if let Some((cl, _)) = &self.compare {
            items.push((Swatch::Line(palette::TEXT, false), cl.name.clone()));
        }
        let legend_h = flow_legend(&mut head, 10.0, 4.0, width - 20.0, &items);
        let names_y = legend_h + 18.0;
        svg::text(
            &mut head,
            inner_l - 4.0,
            names_y,
            Anchor::End,
            "font-weight=\"bold\"",
            &self.left.name,
        );
        svg::text(
            &mut head,
            inner_r + 4.0,
            names_y,
            Anchor::Start,
            "font-weight=\"bold\"",
            &self.right.name,
        );
        let top = names_y + 8.0;
        let bottom = top + n as f64 * row;
        let height = bottom + 24.0;

        // Scale: the largest value of either side or the outline.
        let mut max: f64 = 0.0;
        let mut all = vec![&self.left, &self.right];
        if let Some((a, b)) = &self.compare {
            all.push(a);
            all.push(b);
        }
        for s in &all {
            for i in 0..n {
                if let Some(x) = finite(s.at(i)) {
                    max = max.max(x.abs());
                }
            }
        }
        let target = ((side / 70.0).round() as usize).clamp(2, 5);
        let ticks = nice_ticks(0.0, max.max(f64::MIN_POSITIVE), target);
        let top_tick = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
        let ls = Scale::new(0.0, top_tick, inner_l, inner_l - side);
        let rs = Scale::new(0.0, top_tick, inner_r, inner_r + side);

        svg::open(
            &mut out,
            &self.id,
            width,
            height,
            "chart pyramid",
            &self.title,
            &self.description,
        );
        out.push_str(&head);
        // Grid and axis labels on both sides.
        out.push_str("<g class=\"axis x\">");
        for &t in &ticks {
            for scale in [&ls, &rs] {
                let x = scale.at(t);
                let _ = write!(
                    out,
                    "<path d=\"M{} {}V{}\" stroke=\"{}\" stroke-width=\"1\"/>",
                    svg::n(x),
                    svg::n(top),
                    svg::n(bottom),
                    if t == 0.0 {
                        palette::AXIS
                    } else {
                        palette::GRID
                    }
                );
                svg::text(
                    &mut out,
                    x,
                    bottom + 15.0,
                    Anchor::Middle,
                    &muted(),
                    &fmt.axis(t),
                );
            }
        }
        out.push_str("</g>");

        for (i, band) in self.bands.iter().enumerate() {
            let y = bottom - (i + 1) as f64 * row;
            svg::text(
                &mut out,
                cx,
                y + row / 2.0 + 4.0,
                Anchor::Middle,
                "font-size=\"11\" class=\"band\"",
                band,
            );
            for (s, scale, colour, left) in [
                (&self.left, &ls, palette::categorical(0), true),
                (&self.right, &rs, palette::categorical(1), false),
            ] {
                let v = s.at(i);
                let base = scale.at(0.0);
                match finite(v) {
                    Some(x) => {
                        let xv = scale.at(x.abs());
                        let _ = write!(
                            out,
                            "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{colour}\"><title>",
                            svg::n(xv.min(base)),
                            svg::n(y + 1.0),
                            svg::n((xv - base).abs()),
                            svg::n(row - 2.0)
                        );
                        escape_into(&mut out, band);
                        out.push_str(", ");
                        escape_into(&mut out, &s.name);
                        out.push_str(": ");
                        escape_into(&mut out, &fmt.with_unit(v));
                        out.push_str("</title></rect>");
                    }
                    None => {
                        let m = missing_of(v).expect("not a number");
                        let (x, anchor) = if left {
                            (base - 3.0, Anchor::End)
                        } else {
                            (base + 3.0, Anchor::Start)
                        };
                        let tip = format!("{band}, {}", s.name);
                        missing_mark(
                            &mut out,
                            (x, y + row / 2.0 + 4.0),
                            anchor,
                            m,
                            &tip,
                            locale,
                            None,
                        );
                    }
                }
            }
        }
        // Reference outline: a stepped line per side, broken at missing values.
        if let Some((cl, cr)) = &self.compare {
            for (s, scale) in [(cl, &ls), (cr, &rs)] {
                let mut d = String::new();
                let mut pen = false;
                for i in 0..n {
                    let y1 = bottom - i as f64 * row;
                    let y0 = y1 - row;
                    match finite(s.at(i)) {
                        Some(x) => {
                            let xv = scale.at(x.abs());
                            if pen {
                                let _ = write!(d, "H{}", svg::n(xv));
                            } else {
                                let _ = write!(d, "M{} {}", svg::n(xv), svg::n(y1));
                            }
                            let _ = write!(d, "V{}", svg::n(y0));
                            pen = true;
                        }
                        None => pen = false,
                    }
                }
                if !d.is_empty() {
                    let _ = write!(
                        out,
                        "<path class=\"compare\" d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"><title>",
                        palette::TEXT
                    );
                    escape_into(&mut out, &s.name);
                    out.push_str("</title></path>");
                }
            }
        }
        out.push_str("</svg>");
        out
    }

    /// The data as an accessible HTML table: one row per band (youngest first), columns
    /// left, right and the reference pair.
    pub fn table_html(&self) -> String {
        let locale = self.format.locale;
        let mut head = vec![
            word(locale, "Leeftijd", "Age", "Âge").to_string(),
            self.left.name.clone(),
            self.right.name.clone(),
        ];
        let mut series = vec![&self.left, &self.right];
        if let Some((a, b)) = &self.compare {
            // Both outline series may share a name (e.g. "Gent"): add the side's name.
            for (s, side) in [(a, &self.left), (b, &self.right)] {
                head.push(if s.name == side.name || s.name.is_empty() {
                    side.name.clone()
                } else if a.name == b.name {
                    format!("{} ({})", s.name, side.name)
                } else {
                    s.name.clone()
                });
                series.push(s);
            }
        }
        let rows: Vec<(String, Vec<String>)> = self
            .bands
            .iter()
            .enumerate()
            .map(|(i, b)| {
                (
                    b.clone(),
                    series
                        .iter()
                        .map(|s| svg::cell_html(s.at(i), &self.format.with_unit(s.at(i)), locale))
                        .collect(),
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
    use peil_core::{MissingCode, Value};

    fn pyramid() -> Pyramid {
        let bands: Vec<String> = (0..10)
            .map(|i| format!("{}-{}", i * 10, i * 10 + 9))
            .collect();
        let vals = |f: f64| Series {
            name: String::new(),
            values: (0..10)
                .map(|i| Value::Number(f * (10 - i) as f64))
                .collect(),
        };
        let mut left = vals(0.6);
        left.name = "Mannen".into();
        left.values[9] = Value::Missing(MissingCode::Hidden);
        let mut right = vals(0.65);
        right.name = "Vrouwen".into();
        let mut cl = vals(0.5);
        cl.name = "Gent".into();
        cl.values[4] = Value::Missing(MissingCode::Empty);
        let mut cr = vals(0.55);
        cr.name = "Gent".into();
        Pyramid {
            id: "py".into(),
            title: "Leeftijdspiramide".into(),
            description: "Mannen links, vrouwen rechts".into(),
            bands,
            left,
            right,
            compare: Some((cl, cr)),
            format: NumberFormat::new(1, "%", Locale::Nl),
            width: 560.0,
        }
    }

    #[test]
    fn svg_structure() {
        let s = pyramid().svg();
        check_svg(&s, "py");
        assert_eq!(s.matches("class=\"bar\"").count(), 19);
        assert!(s.contains(">x<title>90-99, Mannen: geheim (privacy)</title>"));
        assert_eq!(s.matches("class=\"compare\"").count(), 2);
        // The left outline is broken at the missing band: two subpaths.
        let d = s
            .split("class=\"compare\" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert!(s.contains(">Mannen</text>") && s.contains(">Vrouwen</text>"));
        // Youngest band at the bottom: its label comes first but lowest.
        let y_of = |label: &str| -> f64 {
            let i = s.find(&format!(">{label}</text>")).unwrap();
            let before = &s[..i];
            let y = before.rsplit("y=\"").next().unwrap();
            y.split('"').next().unwrap().parse().unwrap()
        };
        assert!(y_of("0-9") > y_of("90-99"));
        let mut plain = pyramid();
        plain.compare = None;
        check_svg(&plain.svg(), "py");
    }

    #[test]
    fn table() {
        let t = pyramid().table_html();
        check_table(&t, "Leeftijdspiramide");
        assert!(t.contains(">Gent (Mannen)</th>"));
        assert!(t.contains("<th scope=\"row\">0-9</th><td class=\"num\">6,0\u{a0}%</td>"));
    }
}
