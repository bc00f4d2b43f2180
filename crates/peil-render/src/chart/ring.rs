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

/// Theme labels: 11 px bold, 13 px between lines.
const LABEL_SIZE: f64 = 11.0;
const LINE: f64 = 13.0;
/// At most this many lines per theme label.
const MAX_LINES: usize = 3;
/// Space between two stacked labels, and between the ring and the labels.
const GAP: f64 = 3.0;
/// Outer radius of the ring as a share of the drawing's size, largest first: the ring
/// shrinks until every theme's name fits beside it.
const RING_SCALES: [f64; 6] = [0.30, 0.28, 0.26, 0.24, 0.22, 0.20];

/// Where the ring and its theme labels go, computed before anything is drawn.
#[derive(Debug, Clone)]
pub(crate) struct RingLayout {
    pub cx: f64,
    pub cy: f64,
    pub r_out: f64,
    pub r_in: f64,
    /// The theme arcs lie between these radii.
    pub arc: (f64, f64),
    /// The bottom of the ring and its labels; the legend starts here.
    pub bottom: f64,
    /// One label per theme, in theme order.
    pub labels: Vec<ThemeLabel>,
    /// The ring was too crowded for names: labels are numbers, named in a legend.
    pub numbered: bool,
}

/// A theme's label beside the ring, with a leader line from its arc.
#[derive(Debug, Clone)]
pub(crate) struct ThemeLabel {
    /// The lines shown (the theme's name wrapped, or its number).
    pub lines: Vec<String>,
    /// Right of the ring (text starts at `x`), else left of it (text ends at `x`).
    pub right: bool,
    pub x: f64,
    /// Baseline of the first line.
    pub y: f64,
    /// The text's box: left, top, right, bottom (what the tests check).
    #[cfg_attr(not(test), allow(dead_code))]
    pub bbox: (f64, f64, f64, f64),
    /// Leader line: from the theme's arc, out, to the label.
    pub leader: [(f64, f64); 3],
}

/// Ascent and descent of DejaVu Sans, as shares of the font size: a text's box spans from
/// `baseline − 0.93 size` to `baseline + 0.24 size`.
const ASCENT: f64 = 0.93;
const DESCENT: f64 = 0.24;

/// Wraps a name into lines at most `room` px wide (bold, at [`LABEL_SIZE`]), at spaces;
/// `None` when it needs more than [`MAX_LINES`] lines or a word is wider than the room.
fn wrap(name: &str, room: f64) -> Option<Vec<String>> {
    let w = |s: &str| svg::measure(s, LABEL_SIZE, true);
    let mut lines: Vec<String> = Vec::new();
    for word in name.split_whitespace() {
        if w(word) > room {
            return None;
        }
        match lines.last_mut() {
            Some(line) if w(&format!("{line} {word}")) <= room => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    (lines.len() <= MAX_LINES).then_some(lines)
}

impl RingLayout {
    /// Lays out a ring `width` px wide whose themes have these names and mid angles
    /// (clockwise from 12 o'clock). Tries ever smaller rings until every name fits beside
    /// it without overlapping another; when none does, numbers the themes instead.
    pub(crate) fn new(width: f64, themes: &[(&str, f64)]) -> RingLayout {
        let size = width.min(560.0);
        for scale in RING_SCALES {
            if let Some(l) = Self::try_names(width, size * scale, themes) {
                return l;
            }
        }
        let numbers: Vec<Vec<String>> = (1..=themes.len()).map(|k| vec![k.to_string()]).collect();
        let mut l = Self::place(width, size * RING_SCALES[0], themes, numbers, true)
            .expect("numbers always fit");
        l.numbered = true;
        l
    }

    fn try_names(width: f64, r_out: f64, themes: &[(&str, f64)]) -> Option<RingLayout> {
        let room = width / 2.0 - (r_out + 8.0 + GAP + 6.0) - 4.0;
        let lines = themes
            .iter()
            .map(|(name, _)| wrap(name, room))
            .collect::<Option<Vec<_>>>()?;
        Self::place(width, r_out, themes, lines, false)
    }

    /// Stacks the labels on each side of the ring (in angle order, each as near its arc as
    /// the ones before allow) and moves them out of the ring. `None` when a side's stack
    /// does not fit the ring's height, unless `grow`: then the drawing grows downwards.
    fn place(
        width: f64,
        r_out: f64,
        themes: &[(&str, f64)],
        lines: Vec<Vec<String>>,
        grow: bool,
    ) -> Option<RingLayout> {
        let arc = (r_out + 4.0, r_out + 8.0);
        let clear = arc.1 + GAP; // labels stay outside this circle
        let cx = width / 2.0;
        let cy = clear + 2.0 * LINE;
        let mut bottom = cy + clear + 2.0 * LINE;
        let height = |k: usize| (k as f64 - 1.0) * LINE + (ASCENT + DESCENT) * LABEL_SIZE;
        // (theme index, wanted top) per side, top to bottom.
        let mut sides: [Vec<(usize, f64)>; 2] = [Vec::new(), Vec::new()];
        for (i, (_, mid)) in themes.iter().enumerate() {
            let wanted_centre = cy - (clear + LINE / 2.0) * mid.cos();
            let top = wanted_centre - height(lines[i].len()) / 2.0;
            sides[usize::from(mid.sin() < -1e-9)].push((i, top));
        }
        let mut tops = vec![0.0; themes.len()];
        for side in &mut sides {
            side.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            // Down: each label at its wanted place or just below the previous one.
            let mut next = 2.0;
            for &(i, top) in side.iter() {
                tops[i] = top.max(next);
                next = tops[i] + height(lines[i].len()) + GAP;
            }
            // Up from the bottom when the stack runs past it.
            let mut limit = bottom - 2.0;
            for &(i, _) in side.iter().rev() {
                let h = height(lines[i].len());
                if tops[i] + h > limit {
                    tops[i] = limit - h;
                }
                limit = tops[i] - GAP;
            }
            if side.first().is_some_and(|&(i, _)| tops[i] < 2.0) {
                if !grow {
                    return None;
                }
                // Stack down from the top and let the drawing grow.
                let mut next = 2.0;
                for &(i, top) in side.iter() {
                    tops[i] = top.max(next);
                    next = tops[i] + height(lines[i].len()) + GAP;
                }
                bottom = bottom.max(next + 2.0);
            }
        }
        let labels = themes
            .iter()
            .zip(lines)
            .enumerate()
            .map(|(i, ((_, mid), lines))| {
                let right = mid.sin() >= -1e-9;
                let top = tops[i];
                let bot = top + height(lines.len());
                // The label's nearest height to the centre decides how far out it must go.
                let dy = if top <= cy && cy <= bot {
                    0.0
                } else {
                    (top - cy).abs().min((bot - cy).abs())
                };
                let out = (clear * clear - dy * dy).max(0.0).sqrt() + 6.0;
                let w = lines
                    .iter()
                    .map(|l| svg::measure(l, LABEL_SIZE, true))
                    .fold(0.0, f64::max);
                let (x, bbox) = if right {
                    (cx + out, (cx + out, top, cx + out + w, bot))
                } else {
                    (cx - out, (cx - out - w, top, cx - out, bot))
                };
                let (sx, sy) = (mid.sin(), -mid.cos());
                let from = (cx + (arc.1 + 1.0) * sx, cy + (arc.1 + 1.0) * sy);
                let elbow = (cx + (arc.1 + 5.0) * sx, cy + (arc.1 + 5.0) * sy);
                let to_y = top + (ASCENT * LABEL_SIZE).min((bot - top) / 2.0);
                let to = (if right { x - 2.0 } else { x + 2.0 }, to_y);
                ThemeLabel {
                    lines,
                    right,
                    x,
                    y: top + ASCENT * LABEL_SIZE,
                    bbox,
                    leader: [from, elbow, to],
                }
            })
            .collect();
        Some(RingLayout {
            cx,
            cy,
            r_out,
            r_in: r_out * 0.57,
            arc,
            bottom,
            labels,
            numbered: false,
        })
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

    /// Themes as runs of equal theme names: (name, first slice, end), and the angles of the
    /// ring: the gap between themes and the angle per slice.
    fn themes(&self) -> (Vec<(&str, usize, usize)>, f64, f64) {
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
        (themes, gap, per)
    }

    fn width(&self) -> f64 {
        if self.width.is_finite() && self.width >= 240.0 {
            self.width
        } else {
            520.0
        }
    }

    /// Where ring and labels go (see [`RingLayout::new`]).
    pub(crate) fn layout(&self) -> RingLayout {
        let (themes, gap, per) = self.themes();
        let angle_of = |i: usize| -> f64 {
            let t = themes
                .iter()
                .take_while(|(_, start, _)| *start <= i)
                .count();
            gap / 2.0 + (t.saturating_sub(1)) as f64 * gap + i as f64 * per
        };
        let mids: Vec<(&str, f64)> = themes
            .iter()
            .map(|(name, start, end)| (*name, (angle_of(*start) + angle_of(end - 1) + per) / 2.0))
            .collect();
        RingLayout::new(self.width(), &mids)
    }

    /// The SVG.
    pub fn svg(&self) -> String {
        let width = self.width();
        let locale = self.locale;
        let layout = self.layout();
        let (cx, cy, r_out, r_in) = (layout.cx, layout.cy, layout.r_out, layout.r_in);
        let (arc0, arc1) = layout.arc;
        let colours = palette::diverging(5);

        // Legends (laid out first to know the height): the score classes, then, when the
        // ring is too crowded for names, the themes by number.
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
        let mut legend_h =
            flow_legend(&mut legend, 12.0, layout.bottom + 4.0, width - 24.0, &items);
        let (themes, gap, per) = self.themes();
        if layout.numbered {
            legend_h += self.theme_legend(
                &mut legend,
                layout.bottom + 4.0 + legend_h + 6.0,
                width,
                &themes,
            ) + 6.0;
        }
        let height = layout.bottom + legend_h + 12.0;

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

        let n = self.slices.len();
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
        // Theme arcs, leader lines and labels.
        out.push_str("<g class=\"themes\">");
        for ((name, start, end), label) in themes.iter().zip(&layout.labels) {
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
            let [p0, p1, p2] = label.leader;
            let _ = write!(
                out,
                "<path class=\"leader\" d=\"M{} {}L{} {}L{} {}\" fill=\"none\" stroke=\"{}\" stroke-width=\"0.75\"/>",
                svg::n(p0.0),
                svg::n(p0.1),
                svg::n(p1.0),
                svg::n(p1.1),
                svg::n(p2.0),
                svg::n(p2.1),
                palette::AXIS
            );
            out.push_str("<text x=\"");
            svg::push_num(&mut out, label.x);
            out.push_str("\" y=\"");
            svg::push_num(&mut out, label.y);
            out.push('"');
            if !label.right {
                out.push_str(" text-anchor=\"end\"");
            }
            let _ = write!(
                out,
                " font-size=\"{}\" font-weight=\"bold\" class=\"theme-label\">",
                svg::n(LABEL_SIZE)
            );
            for (k, line) in label.lines.iter().enumerate() {
                if k == 0 {
                    escape_into(&mut out, line);
                } else {
                    out.push_str("<tspan x=\"");
                    svg::push_num(&mut out, label.x);
                    let _ = write!(out, "\" dy=\"{}\">", svg::n(LINE));
                    escape_into(&mut out, line);
                    out.push_str("</tspan>");
                }
            }
            if layout.numbered {
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

    /// The themes by number ("1 Kerncijfers"), in columns from `y0` down; returns the height.
    fn theme_legend(
        &self,
        out: &mut String,
        y0: f64,
        width: f64,
        themes: &[(&str, usize, usize)],
    ) -> f64 {
        const ROW: f64 = 16.0;
        let entries: Vec<String> = themes
            .iter()
            .enumerate()
            .map(|(k, (name, _, _))| format!("{} {name}", k + 1))
            .collect();
        let room = width - 24.0;
        let col_w = entries
            .iter()
            .map(|e| svg::measure(e, 11.0, false) + 16.0)
            .fold(0.0, f64::max)
            .min(room);
        let cols = ((room / col_w).floor() as usize).max(1);
        let rows = entries.len().div_ceil(cols);
        out.push_str("<g class=\"theme-legend\" font-size=\"11\">");
        for (k, e) in entries.iter().enumerate() {
            let (col, row) = (k / rows, k % rows);
            let (shown, _) = svg::fit(e, col_w - 16.0, 11.0, false);
            svg::text(
                out,
                12.0 + col as f64 * col_w,
                y0 + 11.0 + row as f64 * ROW,
                Anchor::Start,
                "",
                &shown,
            );
        }
        out.push_str("</g>");
        rows as f64 * ROW
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

    /// Theme names of Flemish city monitors, long ones included.
    const THEMES: [&str; 17] = [
        "Kerncijfers",
        "Geboorte, sterfte en verhuizingen",
        "Nationaliteit en herkomst",
        "Samenleven en buurt",
        "Kinderen en gezin",
        "Ondernemingen en jobs",
        "Ruimte",
        "Woningpatrimonium",
        "Inkomen en armoede",
        "Onderwijs en vorming",
        "Gezondheid en welzijn",
        "Cultuur, sport en vrije tijd",
        "Verkeersveiligheid en mobiliteit",
        "Bestuur en dienstverlening",
        "Energie en klimaat",
        "Veiligheid",
        "Leeftijd en geslacht",
    ];

    /// A ring of `themes` themes with 1 to 4 indicators each (a theme of one indicator is
    /// a narrow wedge: its neighbours' labels crowd it).
    fn ring_of(themes: usize, width: f64) -> ProfileRing {
        let mut slices = Vec::new();
        for (t, name) in THEMES.iter().cycle().take(themes).enumerate() {
            for k in 0..1 + (t * 7 + 3) % 4 {
                slices.push(RingSlice {
                    theme: format!("{name}{}", if t >= THEMES.len() { " (2)" } else { "" }),
                    label: format!("Indicator {t}.{k}"),
                    code: format!("i{t}_{k}"),
                    value: Value::Number(1.0),
                    score: Some(t as f64 / 5.0 - 1.0),
                    href: None,
                });
            }
        }
        ProfileRing {
            id: "pr".into(),
            title: "Profiel".into(),
            description: "Profieltaart".into(),
            slices,
            locale: Locale::Nl,
            width,
        }
    }

    /// No two labels overlap, each lies inside the drawing and outside the ring.
    fn check_labels(r: &ProfileRing) -> RingLayout {
        let l = r.layout();
        let s = r.svg();
        let height: f64 = s
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|v| v.split('"').next())
            .and_then(|v| v.split(' ').nth(1))
            .unwrap()
            .parse()
            .unwrap();
        let what = format!("{} themes at {} px", l.labels.len(), r.width);
        for (i, a) in l.labels.iter().enumerate() {
            let (x0, y0, x1, y1) = a.bbox;
            assert!(
                x0 >= 0.0 && y0 >= 0.0 && x1 <= r.width && y1 <= l.bottom && l.bottom < height,
                "{what}: {:?} at {:?} leaves the drawing ({} × {height})",
                a.lines,
                a.bbox,
                r.width
            );
            // The nearest point of the box to the centre lies outside the theme arcs.
            let nx = l.cx.clamp(x0, x1) - l.cx;
            let ny = l.cy.clamp(y0, y1) - l.cy;
            assert!(
                (nx * nx + ny * ny).sqrt() >= l.arc.1,
                "{what}: {:?} at {:?} lies on the ring",
                a.lines,
                a.bbox
            );
            for b in &l.labels[i + 1..] {
                let apart = a.bbox.2 <= b.bbox.0
                    || b.bbox.2 <= a.bbox.0
                    || a.bbox.3 <= b.bbox.1
                    || b.bbox.3 <= a.bbox.1;
                assert!(
                    apart,
                    "{what}: {:?} {:?} overlaps {:?} {:?}",
                    a.lines, a.bbox, b.lines, b.bbox
                );
            }
            // The box is as wide as the widest line, and every line is drawn whole.
            for line in &a.lines {
                assert!(svg::measure(line, LABEL_SIZE, true) <= x1 - x0 + 1e-9);
                assert!(s.contains(&format!(">{}<", escape(line))), "{what}: {line}");
            }
        }
        l
    }

    #[test]
    fn theme_labels_never_overlap_nor_leave_the_drawing() {
        for width in [520.0, 360.0, 760.0] {
            for themes in 4..=14 {
                let l = check_labels(&ring_of(themes, width));
                if width >= 520.0 && themes <= 12 {
                    assert!(!l.numbered, "{themes} themes at {width} px are numbered");
                    // Names are shown whole: no ellipsis.
                    assert!(l.labels.iter().all(|x| !x.lines.concat().contains('…')));
                }
            }
        }
        // The demo city's ring: 17 themes.
        check_labels(&ring_of(17, 520.0));
    }

    #[test]
    fn a_crowded_ring_numbers_its_themes() {
        let r = ring_of(60, 520.0);
        let l = check_labels(&r);
        assert!(l.numbered);
        let s = r.svg();
        assert!(s.contains("class=\"theme-legend\""));
        assert!(s.contains(">1 Kerncijfers</text>"), "{s}");
        assert!(s.contains(">60 Leeftijd en geslacht (2)</text>") || s.contains(">60 "));
        assert!(s.contains(">1<title>Kerncijfers</title></text>"));
    }

    #[test]
    fn table() {
        let t = ring().table_html();
        check_table(&t, "Profiel van Ledeberg");
        assert!(t.contains("<tr><th scope=\"row\">Indicator w2</th><td class=\"num\">Wonen</td><td class=\"num\">12,3</td><td class=\"num\">+2,0</td><td class=\"num\">veel hoger</td></tr>"));
    }
}
