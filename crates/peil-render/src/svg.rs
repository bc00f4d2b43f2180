//! Small SVG and HTML writing helpers shared by maps and charts.

use crate::format::{Locale, missing_label};
use crate::palette;
use crate::{escape, escape_into};
use peil_core::{MissingCode, Value};
use std::fmt::Write;

/// The font stack of every graphic.
pub(crate) const FONT: &str =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif";

/// Appends a coordinate rounded to two decimals, without trailing zeros or `-0`.
pub(crate) fn push_num(out: &mut String, x: f64) {
    if !x.is_finite() {
        out.push('0');
        return;
    }
    let r = (x * 100.0).round() as i64;
    if r < 0 {
        out.push('-');
    }
    let a = r.unsigned_abs();
    let (int, frac) = (a / 100, a % 100);
    // Digits without the formatting machinery: charts and maps write thousands of these.
    out.push_str(itoa::Buffer::new().format(int));
    if frac != 0 {
        out.push('.');
        out.push(char::from(b'0' + (frac / 10) as u8));
        if frac % 10 != 0 {
            out.push(char::from(b'0' + (frac % 10) as u8));
        }
    }
}

/// A coordinate as text (see [`push_num`]).
pub(crate) fn n(x: f64) -> String {
    let mut s = String::new();
    push_num(&mut s, x);
    s
}

/// Opens an `<svg>` element with viewBox, size, role, labels and the font, followed by
/// `<title>` and `<desc>`.
pub(crate) fn open(
    out: &mut String,
    id: &str,
    w: f64,
    h: f64,
    class: &str,
    title: &str,
    desc: &str,
) {
    let id = escape(id);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
         class=\"{class}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"{FONT}\" \
         font-size=\"12\" fill=\"{text}\"><title id=\"{id}-title\">",
        w = n(w),
        h = n(h),
        text = palette::TEXT,
    );
    escape_into(out, title);
    let _ = write!(out, "</title><desc id=\"{id}-desc\">");
    escape_into(out, desc);
    out.push_str("</desc>");
}

/// Horizontal alignment of a text.
#[derive(Clone, Copy)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn attr(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// Appends a `<text>` element; `extra` is inserted as further attributes (may be empty).
pub(crate) fn text(out: &mut String, x: f64, y: f64, anchor: Anchor, extra: &str, content: &str) {
    out.push_str("<text x=\"");
    push_num(out, x);
    out.push_str("\" y=\"");
    push_num(out, y);
    out.push('"');
    if !matches!(anchor, Anchor::Start) {
        out.push_str(" text-anchor=\"");
        out.push_str(anchor.attr());
        out.push('"');
    }
    if !extra.is_empty() {
        out.push(' ');
        out.push_str(extra);
    }
    out.push('>');
    escape_into(out, content);
    out.push_str("</text>");
}

/// Rough width in px of a text at a font size (no font metrics at hand: an average glyph of
/// DejaVu Sans is about 0.6 em wide; a little more, so labels never collide).
pub(crate) fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.62
}

/// Advance widths of DejaVu Sans (the font every graphic falls back to, and the one resvg
/// and Chromium use on our servers) in 1/2048 em, regular and bold, for ASCII from `' '`.
#[rustfmt::skip]
const DEJAVU: [(u16, u16); 95] = [
    (651, 713), (823, 917), (942, 1067), (1716, 1716), (1303, 1425), (1946, 2052), (1597, 1798),
    (563, 627), (799, 936), (799, 936), (1024, 1024), (1716, 1716), (651, 778), (739, 850),
    (651, 778), (690, 748), (1303, 1425), (1303, 1425), (1303, 1425), (1303, 1425),
    (1303, 1425), (1303, 1425), (1303, 1425), (1303, 1425), (1303, 1425), (1303, 1425),
    (690, 819), (690, 819), (1716, 1716), (1716, 1716), (1716, 1716), (1087, 1186),
    (2048, 2048), (1401, 1585), (1405, 1561), (1430, 1503), (1577, 1700), (1294, 1399),
    (1178, 1399), (1587, 1681), (1540, 1714), (604, 762), (604, 762), (1343, 1587),
    (1141, 1305), (1767, 2038), (1532, 1714), (1612, 1741), (1235, 1501), (1612, 1741),
    (1423, 1577), (1300, 1475), (1251, 1397), (1499, 1663), (1401, 1585), (2025, 2259),
    (1403, 1579), (1251, 1483), (1403, 1485), (799, 936), (690, 748), (799, 936),
    (1716, 1716), (1024, 1024), (1024, 1024), (1255, 1382), (1300, 1466), (1126, 1214),
    (1300, 1466), (1260, 1389), (721, 891), (1300, 1466), (1298, 1458), (569, 702),
    (569, 702), (1186, 1362), (569, 702), (1995, 2134), (1298, 1458), (1253, 1407),
    (1300, 1466), (1300, 1466), (842, 1010), (1067, 1219), (803, 979), (1298, 1458),
    (1212, 1335), (1675, 1892), (1212, 1321), (1212, 1335), (1075, 1192), (1303, 1425),
    (690, 748), (1303, 1425), (1716, 1716),
];

/// The width in px of a text at a font size, from DejaVu Sans's advance widths (accented
/// letters as their base letter, other characters as a wide glyph), plus 2 % so that a
/// fallback font a little wider still fits. For layouts where a label must fit exactly:
/// long labels in a narrow space, key figures.
pub(crate) fn measure(s: &str, size: f64, bold: bool) -> f64 {
    let units: u32 = s
        .chars()
        .map(|c| {
            let c = match c {
                'à'..='å' => 'a',
                'è'..='ë' => 'e',
                'ì'..='ï' => 'i',
                'ò'..='ö' => 'o',
                'ù'..='ü' => 'u',
                'ç' => 'c',
                'É' | 'È' => 'E',
                '\u{a0}' => ' ',
                c => c,
            };
            let (regular, heavy) = match c {
                ' '..='~' => DEJAVU[c as usize - 32],
                '\u{202f}' => (409, 409),
                '–' | '—' => (1024, 2048),
                '…' => (2048, 2048),
                '²' | '³' => (821, 897),
                _ => (1716, 1716),
            };
            u32::from(if bold { heavy } else { regular })
        })
        .sum();
    f64::from(units) / 2048.0 * size * 1.02
}

/// Shortens `s` with an ellipsis so that it is at most `room` px wide at `size` (see
/// [`measure`]); the flag tells whether it did. The ellipsis never follows a digit (a
/// number is dropped whole rather than shown in part), nor spaces or punctuation.
pub(crate) fn fit(s: &str, room: f64, size: f64, bold: bool) -> (String, bool) {
    if measure(s, size, bold) <= room {
        return (s.to_string(), false);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut n = chars.len();
    while n > 0 {
        n -= 1;
        let head: String = chars[..n].iter().collect();
        // An ellipsis right after a digit reads as a cut number: drop the number whole.
        let head = head
            .trim_end_matches(|c: char| c.is_whitespace() || ",;:(-–".contains(c))
            .trim_end_matches(|c: char| c.is_ascii_digit() || ".,\u{a0}\u{202f}".contains(c))
            .trim_end_matches(|c: char| c.is_whitespace() || ",;:(-–+−".contains(c));
        let t = format!("{head}…");
        if head.is_empty() || measure(&t, size, bold) <= room {
            return (if head.is_empty() { "…".into() } else { t }, true);
        }
    }
    ("…".into(), true)
}

/// Truncates to at most `max` characters with an ellipsis; the flag tells whether it did.
pub(crate) fn truncate(s: &str, max: usize) -> (String, bool) {
    if s.chars().count() <= max {
        return (s.to_string(), false);
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t = t.trim_end().to_string();
    t.push('…');
    (t, true)
}

/// "Nice" axis ticks covering [lo, hi] with steps of 1, 2 or 5 × 10^n, about `target`
/// intervals. Returns the ticks (ascending; first ≤ lo, last ≥ hi).
pub(crate) fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (mut lo, mut hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if !lo.is_finite() || !hi.is_finite() {
        return vec![0.0, 1.0];
    }
    if lo == hi {
        if lo == 0.0 {
            hi = 1.0;
        } else {
            let pad = lo.abs() * 0.1;
            lo -= pad;
            hi += pad;
        }
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * 0.999)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).floor();
    let end = (hi / step).ceil();
    let count = ((end - start) as usize).min(100);
    // Decimals of the step, to snap away floating noise like 0.30000000000000004.
    let decimals = (-step.log10().floor()).max(0.0) as usize + 1;
    (0..=count)
        .map(|i| {
            let v = (start + i as f64) * step;
            let snapped: f64 = format!("{v:.decimals$}").parse().unwrap_or(v);
            if snapped == 0.0 { 0.0 } else { snapped }
        })
        .collect()
}

/// A linear scale from a domain to a range.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    pub(crate) fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Scale {
        let d1 = if d1 == d0 { d0 + 1.0 } else { d1 };
        Scale { d0, d1, r0, r1 }
    }
    /// The output range (r0, r1).
    pub(crate) fn range(&self) -> (f64, f64) {
        (self.r0, self.r1)
    }
    pub(crate) fn at(&self, x: f64) -> f64 {
        self.r0 + (x - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// HTML for one value in a table cell: formatted text, or the missing symbol wrapped in an
/// `<abbr>` explaining it.
pub(crate) fn cell_html(v: Value, formatted: &str, locale: Locale) -> String {
    match v {
        Value::Number(_) => escape(formatted),
        Value::Missing(code) => missing_abbr(code, locale),
    }
}

pub(crate) fn missing_abbr(code: MissingCode, locale: Locale) -> String {
    format!(
        "<abbr title=\"{}\">{}</abbr>",
        escape(missing_label(code, locale)),
        escape(code.symbol())
    )
}

/// An accessible HTML table: caption, one header row, rows with a row header.
/// Header and row-header texts are plain text (escaped here); cells are HTML.
pub(crate) fn table(caption: &str, head: &[String], rows: &[(String, Vec<String>)]) -> String {
    let mut out = String::new();
    out.push_str("<table class=\"sr-table\"><caption>");
    escape_into(&mut out, caption);
    out.push_str("</caption><thead><tr>");
    for (i, h) in head.iter().enumerate() {
        out.push_str(if i == 0 {
            "<th scope=\"col\">"
        } else {
            "<th scope=\"col\" class=\"num\">"
        });
        escape_into(&mut out, h);
        out.push_str("</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for (label, cells) in rows {
        out.push_str("<tr><th scope=\"row\">");
        escape_into(&mut out, label);
        out.push_str("</th>");
        for c in cells {
            out.push_str("<td class=\"num\">");
            out.push_str(c);
            out.push_str("</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// Word for the first column of category tables.
pub(crate) fn word(
    locale: Locale,
    nl: &'static str,
    en: &'static str,
    fr: &'static str,
) -> &'static str {
    match locale {
        Locale::Nl => nl,
        Locale::En => en,
        Locale::Fr => fr,
    }
}

/// Fills a link template's `{code}` with the percent-encoded code.
pub(crate) fn href_for(template: &str, code: &str) -> String {
    let mut enc = String::with_capacity(code.len());
    for b in code.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            enc.push(b as char);
        } else {
            let _ = write!(enc, "%{b:02X}");
        }
    }
    template.replace("{code}", &enc)
}

/// Path of an annular sector (or a pie slice when `r_in` is 0) from angle `a0` to `a1`
/// (radians, clockwise from 12 o'clock).
pub(crate) fn sector(cx: f64, cy: f64, r_out: f64, r_in: f64, a0: f64, a1: f64) -> String {
    let span = a1 - a0;
    let pt = |r: f64, a: f64| (cx + r * a.sin(), cy - r * a.cos());
    let mut d = String::new();
    if span >= std::f64::consts::TAU - 1e-9 {
        // Full circle: two half arcs (an arc cannot start and end at the same point).
        let (x0, y0) = pt(r_out, 0.0);
        let (x1, y1) = pt(r_out, std::f64::consts::PI);
        let _ = write!(
            d,
            "M{} {}A{r} {r} 0 1 1 {} {}A{r} {r} 0 1 1 {} {}Z",
            n(x0),
            n(y0),
            n(x1),
            n(y1),
            n(x0),
            n(y0),
            r = n(r_out)
        );
        if r_in > 0.0 {
            let (x0, y0) = pt(r_in, 0.0);
            let (x1, y1) = pt(r_in, std::f64::consts::PI);
            let _ = write!(
                d,
                "M{} {}A{r} {r} 0 1 0 {} {}A{r} {r} 0 1 0 {} {}Z",
                n(x0),
                n(y0),
                n(x1),
                n(y1),
                n(x0),
                n(y0),
                r = n(r_in)
            );
        }
        return d;
    }
    let large = if span > std::f64::consts::PI { 1 } else { 0 };
    let (x0, y0) = pt(r_out, a0);
    let (x1, y1) = pt(r_out, a1);
    let _ = write!(
        d,
        "M{} {}A{r} {r} 0 {large} 1 {} {}",
        n(x0),
        n(y0),
        n(x1),
        n(y1),
        r = n(r_out)
    );
    if r_in > 0.0 {
        let (x2, y2) = pt(r_in, a1);
        let (x3, y3) = pt(r_in, a0);
        let _ = write!(
            d,
            "L{} {}A{r} {r} 0 {large} 0 {} {}Z",
            n(x2),
            n(y2),
            n(x3),
            n(y3),
            r = n(r_in)
        );
    } else {
        let _ = write!(d, "L{} {}Z", n(cx), n(cy));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(n(1.0), "1");
        assert_eq!(n(-0.001), "0");
        assert_eq!(n(-1.25), "-1.25");
        assert_eq!(n(3.1), "3.1");
        assert_eq!(n(3.05), "3.05");
        assert_eq!(n(f64::NAN), "0");
    }

    #[test]
    fn ticks() {
        assert_eq!(
            nice_ticks(0.0, 97.0, 5),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        let close = |a: &[f64], b: &[f64]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
        };
        assert!(close(
            &nice_ticks(0.1, 0.9, 4),
            &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        ));
        let t = nice_ticks(-35.0, 12.0, 5);
        assert_eq!(t.first(), Some(&-40.0));
        assert_eq!(t.last(), Some(&20.0));
        assert!(t.contains(&0.0));
        let same = nice_ticks(5.0, 5.0, 5);
        assert!(same.len() > 1 && same[0] <= 4.5 && *same.last().unwrap() >= 5.5);
        assert!(close(
            &nice_ticks(0.0, 0.0, 5),
            &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        ));
        // Floating noise is snapped away.
        assert!(
            nice_ticks(0.0, 0.9, 9)
                .iter()
                .all(|t| format!("{t}").len() <= 3)
        );
    }

    #[test]
    fn truncation_and_links() {
        assert_eq!(truncate("abc", 5), ("abc".into(), false));
        assert_eq!(truncate("abcdefgh", 5), ("abcd…".into(), true));
        assert_eq!(
            href_for("/wijk/{code}?x=1", "A 1/é"),
            "/wijk/A%201%2F%C3%A9?x=1"
        );
    }

    #[test]
    fn measure_follows_dejavu_sans() {
        // Chromium measures "Kerncijfers" in DejaVu Sans Bold at 11 px as 67.33 px, and
        // "268 568" (narrow no-break space) at 12 px as 48.22 px: never less, at most 3 % more.
        let bold = measure("Kerncijfers", 11.0, true);
        assert!((67.33..67.33 * 1.03).contains(&bold), "{bold}");
        let regular = measure("268\u{202f}568", 12.0, false);
        assert!((48.22..48.22 * 1.03).contains(&regular), "{regular}");
        assert!(measure("Wéé", 12.0, false) == measure("Wee", 12.0, false));
    }

    #[test]
    fn fit_never_cuts_a_number() {
        assert_eq!(fit("Gent", 100.0, 12.0, false), ("Gent".into(), false));
        let (s, cut) = fit("Samenleven en buurt", 60.0, 12.0, false);
        assert!(
            cut && s.ends_with('…') && measure(&s, 12.0, false) <= 60.0,
            "{s}"
        );
        // Every room: the text is whole, or cut where no number is cut.
        let text = "Stad Scheldemonde: 268\u{202f}568 inwoners t.o.v. 2015";
        for room in 10..400 {
            let (s, cut) = fit(text, f64::from(room), 12.0, false);
            assert!(
                measure(&s, 12.0, false) <= f64::from(room) || s == "…",
                "{room}: {s}"
            );
            if cut {
                let head = s.trim_end_matches('…');
                assert!(!head.ends_with(|c: char| c.is_ascii_digit()), "{room}: {s}");
                let digits = head.matches(|c: char| c.is_ascii_digit()).count();
                assert!([0, 6, 10].contains(&digits), "{room}: {s}");
            }
        }
    }
}
