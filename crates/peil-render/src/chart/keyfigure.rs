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
/// Left edge of the sparkline (it ends 16 px from the tile's right edge).
const SPARK_X: f64 = 184.0;

/// The comparison or change line: a label that may be shortened and the part that holds
/// the number, which never is.
struct Line {
    label: String,
    number: String,
    /// "Vlaanderen: 12 %" (label first) or "▲ +3 % sinds 2015" (number first).
    label_first: bool,
    class: &'static str,
}

impl Line {
    fn whole(&self) -> String {
        if self.label_first {
            format!("{}{}", self.label, self.number)
        } else {
            format!("{}{}", self.number, self.label)
        }
    }
}

/// A line where it is drawn: baseline, font size, and whether its label was shortened.
struct Placed {
    text: String,
    cut: bool,
    y: f64,
    size: f64,
    class: &'static str,
}

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

    /// The change line as the part that holds the number and the label after it.
    fn change_parts(&self) -> Option<Line> {
        let whole = self.change_text()?;
        let label = &self.change.as_ref()?.0;
        let number = whole
            .strip_suffix(label.as_str())
            .unwrap_or(&whole)
            .to_string();
        Some(Line {
            label: label.clone(),
            number,
            label_first: false,
            class: "kf-change",
        })
    }

    fn comparison_text(&self) -> Option<String> {
        let (label, v) = self.comparison.as_ref()?;
        Some(format!("{label}: {}", self.value_text(*v)))
    }

    /// The comparison line as its label and the part that holds the number.
    fn comparison_parts(&self) -> Option<Line> {
        let (label, v) = self.comparison.as_ref()?;
        Some(Line {
            label: label.clone(),
            number: format!(": {}", self.value_text(*v)),
            label_first: true,
            class: "kf-compare",
        })
    }

    /// Where the comparison and change lines go: beside the sparkline if they fit there
    /// (at 12 px, else 10.5 px), else below it across the tile's width (in order: the lines
    /// after one that went below follow it), where a line that is still too long has its
    /// label shortened. A number is never cut.
    fn layout_lines(&self) -> Vec<Placed> {
        let beside = if self.has_trend() {
            SPARK_X - 16.0 - 6.0
        } else {
            288.0
        };
        let lines: Vec<Line> = [self.comparison_parts(), self.change_parts()]
            .into_iter()
            .flatten()
            .collect();
        let mut placed = Vec::new();
        let (mut next_beside, mut next_below) = (116.0, H - 4.0);
        for line in lines {
            let whole = line.whole();
            let fits = |room: f64| {
                [12.0, 10.5]
                    .into_iter()
                    .find(|&size| svg::measure(&whole, size, false) <= room)
            };
            // Lines keep their order: once one goes below, the next ones follow it.
            let beside_free =
                next_beside < 140.0 && !placed.iter().any(|p: &Placed| p.y >= H - 4.0);
            if let Some(size) = fits(beside).filter(|_| beside_free) {
                placed.push(Placed {
                    text: whole,
                    cut: false,
                    y: next_beside,
                    size,
                    class: line.class,
                });
                next_beside += 20.0;
                continue;
            }
            let (text, cut, size) = match fits(288.0) {
                Some(size) => (whole, false, size),
                None => {
                    // The label gets the room the number leaves.
                    let room = 288.0 - svg::measure(&line.number, 10.5, false);
                    let (label, cut) = svg::fit(&line.label, room, 10.5, false);
                    let text = if line.label_first {
                        format!("{label}{}", line.number)
                    } else {
                        format!("{}{label}", line.number)
                    };
                    (text, cut, 10.5)
                }
            };
            placed.push(Placed {
                text,
                cut,
                y: next_below,
                size,
                class: line.class,
            });
            next_below += 20.0;
        }
        placed
    }

    fn has_trend(&self) -> bool {
        self.trend.iter().filter(|v| finite(**v).is_some()).count() >= 2
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

    /// The tile's height: 160, and 20 more per line below the sparkline (a comparison or
    /// change too long to stand beside it, a survey line).
    fn height(&self, lines: &[Placed]) -> f64 {
        let below = lines.iter().filter(|l| l.y >= H - 4.0).count();
        H + 20.0 * (below + self.survey_lines().len()) as f64
    }

    /// The SVG tile.
    pub fn svg(&self) -> String {
        let mut out = String::with_capacity(2048);
        let lines = self.layout_lines();
        let h = self.height(&lines);
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
        let (title, cut) = svg::fit(&self.title, 288.0, 14.0, true);
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
            - svg::measure(&format!(" {unit}"), unit_size, false)
                * f64::from(u8::from(!unit.is_empty()));
        let size = (room / svg::measure(&number, 1.0, true).max(1.0)).clamp(16.0, 32.0);
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
        for l in &lines {
            let _ = write!(out, "<text x=\"16\" y=\"{}\"", svg::n(l.y));
            if l.size != 12.0 {
                let _ = write!(out, " font-size=\"{}\"", svg::n(l.size));
            }
            let _ = write!(out, " class=\"{}\">", l.class);
            escape_into(&mut out, &l.text);
            if l.cut {
                let whole = match l.class {
                    "kf-compare" => self.comparison_text(),
                    _ => self.change_text(),
                };
                out.push_str("<title>");
                escape_into(&mut out, &whole.unwrap_or_default());
                out.push_str("</title>");
            }
            out.push_str("</text>");
        }
        // Survey lines below the sparkline (and the lines moved there), the tile's full
        // width; a cut line keeps its whole text in a tooltip.
        let first = H - 4.0 + 20.0 * lines.iter().filter(|l| l.y >= H - 4.0).count() as f64;
        for (k, (line, class)) in self.survey_lines().into_iter().enumerate() {
            let (shown, cut) = svg::fit(&line, 288.0, 12.0, false);
            let _ = write!(
                out,
                "<text x=\"16\" y=\"{}\" class=\"{class}\">",
                svg::n(first + 20.0 * k as f64)
            );
            escape_into(&mut out, &shown);
            if cut {
                out.push_str("<title>");
                escape_into(&mut out, &line);
                out.push_str("</title>");
            }
            out.push_str("</text>");
        }
        if self.has_trend() {
            out.push_str("<g class=\"kf-trend\">");
            spark_body(
                &mut out,
                &self.trend,
                SPARK_X,
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

    /// The texts of an SVG: (attributes, content without tooltips).
    fn texts(s: &str) -> Vec<(String, String)> {
        s.split("<text")
            .skip(1)
            .map(|t| {
                let (attrs, rest) = t.split_once('>').unwrap();
                let body = rest.split("</text>").next().unwrap();
                let body = body.split("<title>").next().unwrap();
                let plain: String = body
                    .split('<')
                    .map(|p| p.split_once('>').map_or(p, |(_, b)| b))
                    .collect();
                (attrs.to_string(), plain)
            })
            .collect()
    }

    #[test]
    fn numbers_are_never_cut() {
        let mut t = tile();
        t.title = "Inwoners met een niet-Belgische nationaliteit".into();
        t.format = NumberFormat::new(0, "inwoners", Locale::Nl);
        t.value = Value::Number(17832.0);
        t.comparison = Some(("Stad Scheldemonde".into(), Value::Number(268568.0)));
        t.change = Some(("t.o.v. 2015".into(), Value::Number(6590.0)));
        let s = t.svg();
        check_svg(&s, "kf");
        let all = texts(&s);
        let line = |class: &str| {
            all.iter()
                .find(|(a, _)| a.contains(class))
                .map(|(_, t)| t.clone())
                .unwrap()
        };
        // The comparison and change lines are whole: beside the sparkline, or below it
        // (the tile then grows).
        assert_eq!(
            line("kf-compare"),
            "Stad Scheldemonde: 268\u{202f}568\u{a0}inwoners"
        );
        assert_eq!(line("kf-change"), "▲ +6590\u{a0}inwoners t.o.v. 2015");
        // The title is shortened to the tile's width, whole in its tooltip.
        assert!(s.contains("<title>Inwoners met een niet-Belgische nationaliteit</title>"));
        for (attrs, text) in &all {
            let size: f64 = attrs
                .split("font-size=\"")
                .nth(1)
                .and_then(|x| x.split('"').next())
                .map_or(12.0, |x| x.parse().unwrap());
            let bold = attrs.contains("bold");
            if !attrs.contains("kf-value") {
                assert!(
                    16.0 + svg::measure(text, size, bold) <= 320.0 - 8.0,
                    "{text} is wider than the tile"
                );
            }
            assert!(
                !text.contains(|c: char| c.is_ascii_digit()) || !text.contains('…'),
                "{text}"
            );
        }
        // A label too long for the tile's width is shortened; its number stays whole and
        // the whole line is the tooltip.
        t.comparison = Some((
            "Het gemiddelde van alle dertien centrumsteden van het Vlaams Gewest samen".into(),
            Value::Number(268568.0),
        ));
        let s = t.svg();
        check_svg(&s, "kf");
        let compare = texts(&s)
            .into_iter()
            .find(|(a, _)| a.contains("kf-compare"))
            .unwrap()
            .1;
        assert!(
            compare.starts_with("Het gemiddelde")
                && compare.ends_with("…: 268\u{202f}568\u{a0}inwoners"),
            "{compare}"
        );
        assert!(s.contains("<title>Het gemiddelde van alle dertien centrumsteden van het Vlaams Gewest samen: 268\u{202f}568\u{a0}inwoners</title>"));
    }

    #[test]
    fn table() {
        let t = tile().table_html();
        check_table(&t, "Werkloosheidsgraad");
        assert!(t.contains("<th scope=\"row\">Verandering t.o.v. 2015</th><td class=\"num\">\u{2212}1,2\u{a0}%</td>"));
        assert!(t.contains("<th scope=\"row\">Periode</th><td class=\"num\">2023</td>"));
    }
}
