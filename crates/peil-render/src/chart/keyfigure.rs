//! Key-figure tiles for dashboards and area profiles.

use super::{finite, muted, spark_body};
use crate::format::{Locale, NumberFormat, missing_label};
use crate::palette;
use crate::svg::{self, Anchor, word};
use crate::{escape, escape_into};
use peil_core::Value;
use std::fmt::Write as _;

/// Size of a tile.
const W: f64 = 320.0;
const H: f64 = 160.0;

/// A key-figure tile (about 320 × 160): the title, the value large with its unit, the
/// period, a comparison line (e.g. "Vlaanderen: 12,3 %"), the change with ▲/▼ and an
/// explicit sign (neutral colour: up is not necessarily good), and a sparkline of the
/// trend. A survey figure adds its interval and verdict on lines below (the tile grows by
/// 20 px a line).
pub struct KeyFigure {
    /// DOM id prefix, `[a-z0-9-]`.
    pub id: String,
    /// Indicator name.
    pub title: String,
    /// The value.
    pub value: Value,
    /// Number format of value, comparison and change.
    pub format: NumberFormat,
    /// The period of the value, e.g. "2023".
    pub period: String,
    /// Comparison: label (e.g. "Vlaanderen") and value.
    pub comparison: Option<(String, Value)>,
    /// Change: label (e.g. "t.o.v. 2015") and the change in the indicator's units.
    pub change: Option<(String, Value)>,
    /// Trend values, oldest first (drawn as a sparkline when at least two are numbers).
    pub trend: Vec<Value>,
    /// A survey figure's confidence interval: label (e.g. "95%-interval") and the interval
    /// as written (e.g. "35,2 % – 44,8 %").
    pub interval: Option<(String, String)>,
    /// A survey figure's verdict against its benchmark, e.g. "significant hoger dan Stad".
    pub verdict: Option<String>,
}

impl KeyFigure {
    fn locale(&self) -> Locale {
        self.format.locale
    }

    /// The value as written on the tile: with unit, or the missing kind in words.
    fn value_text(&self, v: Value) -> String {
        match v {
            Value::Missing(m) => format!("{} ({})", m.symbol(), missing_label(m, self.locale())),
            Value::Number(_) => self.format.with_unit(v),
        }
    }

    fn change_text(&self) -> Option<String> {
        let (label, v) = self.change.as_ref()?;
        let arrow = match finite(*v) {
            Some(x)
                if self
                    .format
                    .number(x)
                    .chars()
                    .any(|c| c.is_ascii_digit() && c != '0') =>
            {
                if x > 0.0 {
                    "▲ "
                } else {
                    "▼ "
                }
            }
            Some(_) => "= ",
            None => "",
        };
        let amount = match v {
            Value::Missing(m) => missing_label(*m, self.locale()).to_string(),
            Value::Number(_) => self.format.signed_with_unit(*v),
        };
        Some(format!("{arrow}{amount} {label}").trim_end().to_string())
    }

    fn comparison_text(&self) -> Option<String> {
        let (label, v) = self.comparison.as_ref()?;
        Some(format!("{label}: {}", self.value_text(*v)))
    }

    /// A sentence with everything on the tile, for `<desc>`.
    fn description(&self) -> String {
        let mut s = format!("{}: {}", self.title, self.value_text(self.value));
        if !self.period.is_empty() {
            s.push_str(&format!(" ({})", self.period));
        }
        s.push('.');
        if let Some(c) = self.comparison_text() {
            s.push_str(&format!(" {c}."));
        }
        if let Some(c) = self.change_text() {
            let c = c.trim_start_matches(['▲', '▼', '=', ' ']);
            s.push_str(&format!(
                " {} {c}.",
                word(self.locale(), "Verandering", "Change", "Évolution")
            ));
        }
        for (line, _) in self.survey_lines() {
            s.push_str(&format!(" {line}."));
        }
        s
    }

    /// The survey lines under the tile's body with their class: the interval, then the
    /// verdict.
    fn survey_lines(&self) -> Vec<(String, &'static str)> {
        self.interval
            .iter()
            .map(|(label, text)| (format!("{label}: {text}"), "kf-interval"))
            .chain(self.verdict.clone().map(|v| (v, "kf-verdict")))
            .collect()
    }

    /// The tile's height: 160, and 20 more per survey line.
    fn height(&self) -> f64 {
        H + 20.0 * self.survey_lines().len() as f64
    }

    /// The SVG tile.
    pub fn svg(&self) -> String {
        let mut out = String::with_capacity(2048);
        let h = self.height();
        svg::open(
            &mut out,
            &self.id,
            W,
            h,
            "chart key-figure",
            &self.title,
            &self.description(),
        );
        let _ = write!(
            out,
            "<rect x=\"0.5\" y=\"0.5\" width=\"319\" height=\"{}\" rx=\"6\" fill=\"#ffffff\" stroke=\"#c4c4c4\"/>",
            svg::n(h - 1.0)
        );
        let (title, cut) = svg::truncate(&self.title, 40);
        out.push_str(
            "<text x=\"16\" y=\"28\" font-size=\"14\" font-weight=\"bold\" class=\"kf-title\">",
        );
        escape_into(&mut out, &title);
        if cut {
            out.push_str("<title>");
            escape_into(&mut out, &self.title);
            out.push_str("</title>");
        }
        out.push_str("</text>");
        // The number large, a word unit smaller after it, both within the tile's width.
        let (number, unit) = match self.value {
            Value::Missing(m) => (m.symbol().to_string(), String::new()),
            Value::Number(_) if self.format.unit.is_empty() || self.format.unit == "%" => {
                (self.format.with_unit(self.value), String::new())
            }
            Value::Number(_) => (self.format.value(self.value), self.format.unit.clone()),
        };
        let unit_size = 15.0;
        let room = 288.0
            - svg::text_width(&format!(" {unit}"), unit_size)
                * f64::from(u8::from(!unit.is_empty()));
        let size = (room / (number.chars().count().max(1) as f64 * 0.62)).clamp(16.0, 32.0);
        let _ = write!(
            out,
            "<text x=\"16\" y=\"70\" font-size=\"{}\" font-weight=\"bold\" class=\"kf-value\">",
            svg::n(size)
        );
        escape_into(&mut out, &number);
        if !unit.is_empty() {
            out.push_str("<tspan font-size=\"15\" font-weight=\"normal\"> ");
            escape_into(&mut out, &unit);
            out.push_str("</tspan>");
        }
        if let Value::Missing(m) = self.value {
            out.push_str("<title>");
            out.push_str(&escape(missing_label(m, self.locale())));
            out.push_str("</title>");
        }
        out.push_str("</text>");
        if !self.period.is_empty() {
            svg::text(&mut out, 16.0, 92.0, Anchor::Start, &muted(), &self.period);
        }
        let mut y = 116.0;
        if let Some(c) = self.comparison_text() {
            let (c, _) = svg::truncate(&c, 26);
            svg::text(&mut out, 16.0, y, Anchor::Start, "class=\"kf-compare\"", &c);
            y += 20.0;
        }
        if let Some(c) = self.change_text() {
            let (c, _) = svg::truncate(&c, 26);
            svg::text(&mut out, 16.0, y, Anchor::Start, "class=\"kf-change\"", &c);
        }
        // Survey lines below the sparkline, the tile's full width; a cut line keeps its
        // whole text in a tooltip.
        for (k, (line, class)) in self.survey_lines().into_iter().enumerate() {
            let (shown, cut) = svg::truncate(&line, 44);
            let _ = write!(
                out,
                "<text x=\"16\" y=\"{}\" class=\"{class}\">",
                svg::n(H - 4.0 + 20.0 * k as f64)
            );
            escape_into(&mut out, &shown);
            if cut {
                out.push_str("<title>");
                escape_into(&mut out, &line);
                out.push_str("</title>");
            }
            out.push_str("</text>");
        }
        if self.trend.iter().filter(|v| finite(**v).is_some()).count() >= 2 {
            out.push_str("<g class=\"kf-trend\">");
            spark_body(
                &mut out,
                &self.trend,
                184.0,
                104.0,
                120.0,
                40.0,
                palette::categorical(0),
            );
            out.push_str("</g>");
        }
        out.push_str("</svg>");
        out
    }

    /// The tile's content as an accessible HTML table.
    pub fn table_html(&self) -> String {
        let locale = self.locale();
        let head = vec![
            word(locale, "Kencijfer", "Key figure", "Chiffre clé").to_string(),
            word(locale, "Waarde", "Value", "Valeur").to_string(),
        ];
        let mut rows = vec![(
            self.title.clone(),
            vec![svg::cell_html(
                self.value,
                &self.format.with_unit(self.value),
                locale,
            )],
        )];
        if !self.period.is_empty() {
            rows.push((
                word(locale, "Periode", "Period", "Période").to_string(),
                vec![escape(&self.period)],
            ));
        }
        if let Some((label, v)) = &self.comparison {
            rows.push((
                label.clone(),
                vec![svg::cell_html(*v, &self.format.with_unit(*v), locale)],
            ));
        }
        if let Some((label, v)) = &self.change {
            rows.push((
                format!(
                    "{} {label}",
                    word(locale, "Verandering", "Change", "Évolution")
                ),
                vec![svg::cell_html(
                    *v,
                    &self.format.signed_with_unit(*v),
                    locale,
                )],
            ));
        }
        if let Some((label, text)) = &self.interval {
            rows.push((label.clone(), vec![escape(text)]));
        }
        if let Some(v) = &self.verdict {
            rows.push((
                word(locale, "Significantie", "Significance", "Significativité").to_string(),
                vec![escape(v)],
            ));
        }
        svg::table(&self.title, &head, &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_util::{check_svg, check_table};
    use peil_core::MissingCode;

    fn tile() -> KeyFigure {
        KeyFigure {
            id: "kf".into(),
            title: "Werkloosheidsgraad".into(),
            value: Value::Number(7.25),
            format: NumberFormat::new(1, "%", Locale::Nl),
            period: "2023".into(),
            comparison: Some(("Vlaanderen".into(), Value::Number(4.1))),
            change: Some(("t.o.v. 2015".into(), Value::Number(-1.24))),
            trend: vec![
                Value::Number(8.5),
                Value::Number(8.0),
                Value::Missing(MissingCode::Unknown),
                Value::Number(7.25),
            ],
            interval: None,
            verdict: None,
        }
    }

    #[test]
    fn svg_structure() {
        let s = tile().svg();
        check_svg(&s, "kf");
        assert!(s.contains(">7,3\u{a0}%</text>"));
        assert!(s.contains(">Vlaanderen: 4,1\u{a0}%</text>"));
        assert!(s.contains(">▼ \u{2212}1,2\u{a0}% t.o.v. 2015</text>"));
        assert!(s.contains(">2023</text>"));
        assert!(s.contains("class=\"kf-trend\""));
        assert!(s.contains("<desc id=\"kf-desc\">Werkloosheidsgraad: 7,3\u{a0}% (2023). Vlaanderen: 4,1\u{a0}%. Verandering \u{2212}1,2\u{a0}% t.o.v. 2015.</desc>"));
        let mut up = tile();
        up.change = Some(("sinds 2020".into(), Value::Number(0.5)));
        assert!(up.svg().contains(">▲ +0,5\u{a0}% sinds 2020</text>"));
        let mut hidden = tile();
        hidden.value = Value::Missing(MissingCode::Hidden);
        hidden.trend.clear();
        hidden.comparison = None;
        hidden.change = None;
        let s = hidden.svg();
        check_svg(&s, "kf");
        assert!(s.contains(">x<title>geheim (privacy)</title></text>"));
        assert!(!s.contains("kf-trend"));
    }

    #[test]
    fn survey_lines_grow_the_tile() {
        let mut t = tile();
        t.interval = Some(("95%-interval".into(), "6,1\u{a0}% – 8,4\u{a0}%".into()));
        t.verdict = Some("significant hoger dan Vlaanderen".into());
        let s = t.svg();
        check_svg(&s, "kf");
        assert!(s.contains("viewBox=\"0 0 320 200\""), "{s}");
        assert!(s.contains("<text x=\"16\" y=\"156\" class=\"kf-interval\">95%-interval: 6,1\u{a0}% – 8,4\u{a0}%</text>"));
        assert!(s.contains(
            "<text x=\"16\" y=\"176\" class=\"kf-verdict\">significant hoger dan Vlaanderen</text>"
        ));
        assert!(s.contains("t.o.v. 2015. 95%-interval: 6,1\u{a0}% – 8,4\u{a0}%. significant hoger dan Vlaanderen.</desc>"));
        let table = t.table_html();
        check_table(&table, "Werkloosheidsgraad");
        assert!(table.contains(
            "<th scope=\"row\">95%-interval</th><td class=\"num\">6,1\u{a0}% – 8,4\u{a0}%</td>"
        ));
        assert!(table.contains("<th scope=\"row\">Significantie</th><td class=\"num\">significant hoger dan Vlaanderen</td>"));
        // Only an interval (no significant difference): one line, the verdict class unused.
        t.verdict = None;
        let s = t.svg();
        assert!(s.contains("viewBox=\"0 0 320 180\"") && !s.contains("kf-verdict"));
        // A long verdict is cut on the tile, whole in its tooltip.
        t.interval = None;
        t.verdict =
            Some("significant lager dan het gemiddelde van de dertien centrumsteden".into());
        let s = t.svg();
        assert!(s.contains("<text x=\"16\" y=\"156\" class=\"kf-verdict\">"));
        assert!(s.contains(
            "<title>significant lager dan het gemiddelde van de dertien centrumsteden</title>"
        ));
        // Without survey lines the tile is as before.
        assert!(tile().svg().contains("viewBox=\"0 0 320 160\""));
    }

    #[test]
    fn table() {
        let t = tile().table_html();
        check_table(&t, "Werkloosheidsgraad");
        assert!(t.contains("<th scope=\"row\">Verandering t.o.v. 2015</th><td class=\"num\">\u{2212}1,2\u{a0}%</td>"));
        assert!(t.contains("<th scope=\"row\">Periode</th><td class=\"num\">2023</td>"));
    }
}
