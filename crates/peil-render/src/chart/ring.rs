//! Swing's "profieltaart": an area's indicators in a ring, coloured by standardised score.

use super::{Swatch, auto_number, finite, flow_legend};
use crate::format::{Locale, missing_label};
use crate::palette;
use crate::svg::{self, Anchor, sector, word};
use crate::{escape, escape_into};
use peil_core::{MissingCode, Value};
use std::f64::consts::TAU;
use std::fmt::Write;

/// One indicator of a profile ring.
#[derive(Debug, Clone)]
pub struct RingSlice {
    /// Theme the indicator belongs to (slices of a theme are adjacent).
    pub theme: String,
    /// Indicator name.
    pub label: String,
    /// Indicator code (`data-ind`).
    pub code: String,
    /// The area's value (tooltip, table).
    pub value: Value,
    /// Standardised score z against the reference; `None` when there is none.
    pub score: Option<f64>,
    /// Link to the indicator's page.
    pub href: Option<String>,
}

/// The profile ring: an annulus of equal slices, one per indicator, grouped by theme (a
/// thin outer arc with the theme's name per theme, themes separated by a gap). Each slice
/// is filled by the class of its z score on a 5-class diverging palette ([`z_class`]):
/// much lower, lower, average, higher, much higher than the reference; slices without a
/// score are grey. The centre shows the number of indicators; the legend is below.
///
/// Slices are `<path class="slice" data-ind="CODE" data-score="0..4|none">` with a
/// tooltip `Label: value (z = …, class)`, wrapped in `<a href>` when the slice has a link.
pub struct ProfileRing {
    /// DOM id prefix, `[a-z0-9-]`.
    pub id: String,
    /// Title (`<title>`, table caption).
    pub title: String,
    /// Description for screen readers (`<desc>`).
    pub description: String,
    /// Slices, already grouped by theme, in order (clockwise from 12 o'clock).
    pub slices: Vec<RingSlice>,
    /// Language of legend and labels.
    pub locale: Locale,
    /// Width in px.
    pub width: f64,
}

/// The class (0..5) of a standardised score: z < −1.5, −1.5 ≤ z < −0.5, −0.5 ≤ z ≤ 0.5,
/// 0.5 < z ≤ 1.5, z > 1.5 (the average class is symmetric and closed). NaN gives `None`.
pub fn z_class(z: f64) -> Option<usize> {
    if z.is_nan() {
        None
    } else if z < -1.5 {
        Some(0)
    } else if z < -0.5 {
        Some(1)
    } else if z <= 0.5 {
        Some(2)
    } else if z <= 1.5 {
        Some(3)
    } else {
        Some(4)
    }
}

/// The words for the five score classes: nl "veel lager" … "veel hoger", en "much
/// lower" … "much higher", fr "bien inférieur" … "bien supérieur" (than the reference).
pub fn z_class_label(class: usize, locale: Locale) -> &'static str {
    const NL: [&str; 5] = ["veel lager", "lager", "gemiddeld", "hoger", "veel hoger"];
    const EN: [&str; 5] = ["much lower", "lower", "average", "higher", "much higher"];
    const FR: [&str; 5] = [
        "bien inférieur",
        "inférieur",
        "dans la moyenne",
        "supérieur",
        "bien supérieur",
    ];
    let c = class.min(4);
    match locale {
        Locale::Nl => NL[c],
        Locale::En => EN[c],
        Locale::Fr => FR[c],
    }
}

impl ProfileRing {
    fn z_text(&self, z: f64) -> String {
        crate::NumberFormat::new(1, "", self.locale).signed_with_unit(Value::Number(z))
    }

    fn value_text(&self, v: Value) -> String {
        match v {
            Value::Missing(m) => missing_label(m, self.locale).to_string(),
            Value::Number(x) if x.is_finite() => auto_number(x, self.locale),
            Value::Number(_) => missing_label(MissingCode::Unknown, self.locale).to_string(),
        }
    }

    fn tooltip(&self, s: &RingSlice) -> String {
        let mut t = format!("{}: {}", s.label, self.value_text(s.value));
        match s.score.filter(|z| z.is_finite()) {
            Some(z) => {
                let class = z_class(z).unwrap_or(2);
                let _ = write!(
                    t,
                    " (z = {}, {})",
                    self.z_text(z),
                    z_class_label(class, self.locale)
                );
            }
            None => {
                let _ = write!(t, " ({})", missing_label(MissingCode::Empty, self.locale));
            }
        }
        t
    }

    /// The SVG.
    pub fn svg(&self) -> String {
        let width = if self.width.is_finite() && self.width >= 240.0 {
            self.width
        } else {
            520.0
        };
        let locale = self.locale;
        let size = width.min(560.0);
        let r_out = size * 0.30;
        let r_in = size * 0.17;
        let (arc0, arc1) = (r_out + 4.0, r_out + 8.0);
        let label_r = r_out + 16.0;
        let cx = width / 2.0;
        let cy = label_r + 22.0;
        let ring_bottom = cy + label_r + 22.0;
        let colours = palette::diverging(5);

        // Legend (laid out first to know the height).
        let mut items: Vec<(Swatch, String)> = (0..5)
            .map(|c| {
                // The neutral middle is nearly white: outline its swatch.
                let stroke = (c == 2).then_some(palette::NOT_APPLICABLE_STROKE);
                (
                    Swatch::Rect(colours[c], stroke),
                    z_class_label(c, locale).to_string(),
                )
            })
            .collect();
        items.push((
            Swatch::Rect(palette::NO_DATA, None),
            missing_label(MissingCode::Empty, locale).to_string(),
        ));
        let mut legend = String::new();
        let legend_h = flow_legend(&mut legend, 12.0, ring_bottom + 4.0, width - 24.0, &items);
        let height = ring_bottom + legend_h + 12.0;

        let mut out = String::with_capacity(2048 + self.slices.len() * 400);
        svg::open(
            &mut out,
            &self.id,
            width,
            height,
            "chart profile-ring",
            &self.title,
            &self.description,
        );

        // Themes: runs of equal theme names.
        let mut themes: Vec<(&str, usize, usize)> = Vec::new();
        for (i, s) in self.slices.iter().enumerate() {
            match themes.last_mut() {
                Some((t, _, end)) if *t == s.theme => *end = i + 1,
                _ => themes.push((&s.theme, i, i + 1)),
            }
        }
        let n = self.slices.len();
        let gap = if themes.len() > 1 {
            (0.05f64).min(TAU / (4.0 * themes.len() as f64))
        } else {
            0.0
        };
        let per = if n > 0 {
            (TAU - gap * themes.len() as f64) / n as f64
        } else {
            0.0
        };
        let angle_of = |i: usize| -> f64 {
            // Themes before slice i each add one gap; the ring starts half a gap in.
            let t = themes
                .iter()
                .take_while(|(_, start, _)| *start <= i)
                .count();
            gap / 2.0 + (t.saturating_sub(1)) as f64 * gap + i as f64 * per
        };

        if n == 0 {
            let _ = write!(
                out,
                "<path d=\"{}\" fill=\"{}\" fill-rule=\"evenodd\"/>",
                sector(cx, cy, r_out, r_in, 0.0, TAU),
                palette::NO_DATA
            );
        }
        out.push_str("<g class=\"slices\" stroke=\"#ffffff\" stroke-width=\"1\">");
        for (i, s) in self.slices.iter().enumerate() {
            let a0 = angle_of(i);
            let class = s
                .score
                .and_then(|z| if z.is_finite() { z_class(z) } else { None });
            let fill = class.map_or(palette::NO_DATA, |c| colours[c]);
            if let Some(h) = &s.href {
                out.push_str("<a href=\"");
                escape_into(&mut out, h);
                out.push_str("\">");
            }
            let _ = write!(
                out,
                "<path class=\"slice\" data-ind=\"{}\" data-score=\"{}\" d=\"{}\" fill=\"{fill}\"><title>",
                escape(&s.code),
                class.map_or("none".to_string(), |c| c.to_string()),
                sector(cx, cy, r_out, r_in, a0, a0 + per)
            );
            escape_into(&mut out, &self.tooltip(s));
            out.push_str("</title></path>");
            if s.href.is_some() {
                out.push_str("</a>");
            }
        }
        out.push_str("</g>");
        // Theme arcs and names.
        out.push_str("<g class=\"themes\">");
        for (name, start, end) in &themes {
            let a0 = angle_of(*start);
            let a1 = angle_of(end - 1) + per;
            // Outline the theme's block so near-white (average) slices keep their shape.
            let _ = write!(
                out,
                "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"0.75\" pointer-events=\"none\"/>",
                sector(cx, cy, r_out, r_in, a0, a1),
                palette::NOT_APPLICABLE_STROKE
            );
            let _ = write!(
                out,
                "<path d=\"{}\" fill=\"{}\"><title>",
                sector(cx, cy, arc1, arc0, a0, a1),
                palette::AXIS
            );
            escape_into(&mut out, name);
            out.push_str("</title></path>");
            let mid = (a0 + a1) / 2.0;
            let (sx, sy) = (mid.sin(), -mid.cos());
            let (x, y) = (cx + label_r * sx, cy + label_r * sy);
            let anchor = if sx > 0.25 {
                Anchor::Start
            } else if sx < -0.25 {
                Anchor::End
            } else {
                Anchor::Middle
            };
            let room = match anchor {
                Anchor::Start => width - x - 4.0,
                Anchor::End => x - 4.0,
                Anchor::Middle => width - 8.0,
            };
            let max_chars = ((room / (11.0 * 0.58)).floor() as usize).max(4);
            let (short, cut) = svg::truncate(name, max_chars);
            let ty = y + 4.0 + sy * 6.0;
            out.push_str("<text x=\"");
            svg::push_num(&mut out, x);
            out.push_str("\" y=\"");
            svg::push_num(&mut out, ty);
            out.push('"');
            match anchor {
                Anchor::Start => {}
                Anchor::End => out.push_str(" text-anchor=\"end\""),
                Anchor::Middle => out.push_str(" text-anchor=\"middle\""),
            }
            out.push_str(" font-size=\"11\" font-weight=\"bold\">");
            escape_into(&mut out, &short);
            if cut {
                out.push_str("<title>");
                escape_into(&mut out, name);
                out.push_str("</title>");
            }
            out.push_str("</text>");
        }
        out.push_str("</g>");

        // Centre: number of indicators.
        svg::text(
            &mut out,
            cx,
            cy + 4.0,
            Anchor::Middle,
            "font-size=\"22\" font-weight=\"bold\"",
            &n.to_string(),
        );
        svg::text(
            &mut out,
            cx,
            cy + 20.0,
            Anchor::Middle,
            &format!("font-size=\"11\" fill=\"{}\"", palette::TEXT_MUTED),
            word(locale, "indicatoren", "indicators", "indicateurs"),
        );
        out.push_str(&legend);
        out.push_str("</svg>");
        // Slices that are links make the ring a group (an image may hold no interactive content).
        if self.slices.iter().any(|x| x.href.is_some()) {
            out.replacen("role=\"img\"", "role=\"group\"", 1)
        } else {
            out
        }
    }

    /// The data as an accessible HTML table: indicator, theme, value, z score and class.
    pub fn table_html(&self) -> String {
        let locale = self.locale;
        let head = vec![
            word(locale, "Indicator", "Indicator", "Indicateur").to_string(),
            word(locale, "Thema", "Theme", "Thème").to_string(),
            word(locale, "Waarde", "Value", "Valeur").to_string(),
            "z".to_string(),
            word(locale, "Score", "Score", "Score").to_string(),
        ];
        let rows: Vec<(String, Vec<String>)> = self
            .slices
            .iter()
            .map(|s| {
                let value = match s.value {
                    Value::Missing(m) => svg::missing_abbr(m, locale),
                    Value::Number(_) if finite(s.value).is_none() => {
                        svg::missing_abbr(MissingCode::Unknown, locale)
                    }
                    Value::Number(x) => escape(&auto_number(x, locale)),
                };
                let (z, class) = match s.score.filter(|z| z.is_finite()) {
                    Some(z) => (
                        escape(&self.z_text(z)),
                        escape(z_class_label(z_class(z).unwrap_or(2), locale)),
                    ),
                    None => (
                        String::new(),
                        escape(missing_label(MissingCode::Empty, locale)),
                    ),
                };
                (s.label.clone(), vec![escape(&s.theme), value, z, class])
            })
            .collect();
        svg::table(&self.title, &head, &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_util::{check_svg, check_table};

    fn ring() -> ProfileRing {
        let mk = |theme: &str, code: &str, z: Option<f64>| RingSlice {
            theme: theme.into(),
            label: format!("Indicator {code}"),
            code: code.into(),
            value: Value::Number(12.345),
            score: z,
            href: Some(format!("/indicator/{code}?a=1&b=2")),
        };
        ProfileRing {
            id: "pr".into(),
            title: "Profiel van Ledeberg".into(),
            description: "Profieltaart".into(),
            slices: vec![
                mk("Demografie", "d1", Some(-2.0)),
                mk("Demografie", "d2", Some(-1.0)),
                mk("Demografie", "d3", Some(0.0)),
                mk("Wonen", "w1", Some(1.0)),
                mk("Wonen", "w2", Some(2.0)),
                mk("Onderwijs en vorming", "o1", None),
            ],
            locale: Locale::Nl,
            width: 520.0,
        }
    }

    #[test]
    fn classes() {
        assert_eq!(z_class(-1.6), Some(0));
        assert_eq!(z_class(-1.5), Some(1));
        assert_eq!(z_class(-0.5), Some(2));
        assert_eq!(z_class(0.5), Some(2));
        assert_eq!(z_class(0.51), Some(3));
        assert_eq!(z_class(1.5), Some(3));
        assert_eq!(z_class(1.51), Some(4));
        assert_eq!(z_class(f64::NAN), None);
        assert_eq!(z_class_label(0, Locale::Nl), "veel lager");
        assert_eq!(z_class_label(4, Locale::En), "much higher");
        assert_eq!(z_class_label(2, Locale::Fr), "dans la moyenne");
    }

    #[test]
    fn svg_structure() {
        let r = ring();
        let s = r.svg();
        check_svg(&s, "pr");
        assert_eq!(s.matches("<path class=\"slice\" data-ind=").count(), 6);
        assert!(s.contains("data-ind=\"o1\" data-score=\"none\""));
        assert!(s.contains("data-ind=\"w2\" data-score=\"4\""));
        let pal = palette::diverging(5);
        for (code, fill) in [
            ("d1", pal[0]),
            ("d2", pal[1]),
            ("d3", pal[2]),
            ("w1", pal[3]),
            ("w2", pal[4]),
            ("o1", palette::NO_DATA),
        ] {
            let part = s.split(&format!("data-ind=\"{code}\"")).nth(1).unwrap();
            let f = part
                .split("fill=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            assert_eq!(f, fill, "{code}");
        }
        assert!(s.contains("<a href=\"/indicator/d1?a=1&amp;b=2\">"));
        assert!(s.contains("<title>Indicator d1: 12,3 (z = \u{2212}2,0, veel lager)</title>"));
        assert!(s.contains("<title>Indicator o1: 12,3 (geen gegevens)</title>"));
        assert!(s.contains(">Demografie</text>") && s.contains(">Wonen</text>"));
        for l in [
            "veel lager",
            "lager",
            "gemiddeld",
            "hoger",
            "veel hoger",
            "geen gegevens",
        ] {
            assert!(s.contains(&format!(">{l}</text>")), "{l}");
        }
        assert!(s.contains(">6</text>"));
        let mut empty = ring();
        empty.slices.clear();
        check_svg(&empty.svg(), "pr");
    }

    #[test]
    fn table() {
        let t = ring().table_html();
        check_table(&t, "Profiel van Ledeberg");
        assert!(t.contains("<tr><th scope=\"row\">Indicator w2</th><td class=\"num\">Wonen</td><td class=\"num\">12,3</td><td class=\"num\">+2,0</td><td class=\"num\">veel hoger</td></tr>"));
    }
}
