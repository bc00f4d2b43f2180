//! Bar charts: horizontal (one row per category) or vertical, single, grouped or stacked.

use super::{
    BarMode, Category, Series, Swatch, finite, flow_legend, missing_mark, missing_of, x_axis,
    y_axis,
};
use crate::format::NumberFormat;
use crate::palette;
use crate::svg::{self, Anchor, Scale, nice_ticks, push_num, word};
use crate::{escape, escape_into};
use peil_core::Value;
use std::collections::HashSet;
use std::fmt::Write;

/// Fill of bars of a single-series chart.
const BAR: &str = "#3a78b5";
/// Fill of highlighted bars of a single-series chart.
const BAR_SEL: &str = "#0b2f5c";
/// Reference labels: bold, with a white halo so they stay readable over bars.
const REF_LABEL: &str = "class=\"ref-label\" font-weight=\"bold\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\" stroke-linejoin=\"round\"";
/// Longest category label in characters before it is cut with an ellipsis.
const MAX_LABEL: usize = 28;

/// A bar chart. Horizontal bars get one row per category (the height grows with the
/// categories, about 18 px per row), labels on the left (cut at 28 characters, the full
/// name in a tooltip) and value labels at the bar ends. Negative values grow from the zero
/// axis the other way. Bars are `<rect data-area="CODE" class="bar">` with a `<title>`;
/// highlighted categories get `is-sel` and a darker fill (or an outline with several
/// series). Reference lines (e.g. the city average) are dashed and labelled.
pub struct BarChart {
    /// DOM id prefix, `[a-z0-9-]`.
    pub id: String,
    /// Title (`<title>`, table caption).
    pub title: String,
    /// Description for screen readers (`<desc>`).
    pub description: String,
    /// The categories, in drawing order (top to bottom, or left to right).
    pub categories: Vec<Category>,
    /// Series of values parallel to the categories.
    pub series: Vec<Series>,
    /// How several series are combined.
    pub mode: BarMode,
    /// Horizontal bars (rows) instead of vertical columns.
    pub horizontal: bool,
    /// Number format of labels, axis and table.
    pub format: NumberFormat,
    /// Codes of categories drawn emphasised (class `is-sel`).
    pub highlight: Vec<String>,
    /// Labelled reference lines, e.g. `("Gent", 23.5)`.
    pub reference: Vec<(String, f64)>,
    /// Width in px (the height follows from the content).
    pub width: f64,
    /// Confidence intervals (lower, upper) of the first series, parallel to the categories
    /// (survey percentages): whiskers over the bars of a single-series chart and a column of
    /// the data table. Empty for none; `None` for a category without one.
    pub intervals: Vec<Option<(f64, f64)>>,
}

impl BarChart {
    fn drawn_series(&self) -> &[Series] {
        match self.mode {
            BarMode::Single => &self.series[..self.series.len().min(1)],
            _ => &self.series,
        }
    }

    /// The interval of category `i`, when one is drawn (single-series charts).
    fn interval(&self, i: usize) -> Option<(f64, f64)> {
        if self.drawn_series().len() != 1 {
            return None;
        }
        self.intervals
            .get(i)
            .copied()
            .flatten()
            .filter(|(a, b)| a.is_finite() && b.is_finite() && a <= b)
    }

    /// A whisker from `a` to `b` (pixel positions along the value axis) at `c` across it.
    fn whisker(
        &self,
        out: &mut String,
        (a, b, c): (f64, f64, f64),
        horizontal: bool,
        cat: &Category,
        i: usize,
    ) {
        let Some((lo, hi)) = self.interval(i) else {
            return;
        };
        let d = if horizontal {
            format!(
                "M{a} {c}H{b}M{a} {}V{}M{b} {}V{}",
                svg::n(c - 4.0),
                svg::n(c + 4.0),
                svg::n(c - 4.0),
                svg::n(c + 4.0),
                a = svg::n(a),
                b = svg::n(b),
                c = svg::n(c)
            )
        } else {
            format!(
                "M{c} {a}V{b}M{} {a}H{}M{} {b}H{}",
                svg::n(c - 4.0),
                svg::n(c + 4.0),
                svg::n(c - 4.0),
                svg::n(c + 4.0),
                a = svg::n(a),
                b = svg::n(b),
                c = svg::n(c)
            )
        };
        out.push_str("<path class=\"interval\"");
        if let Some(code) = &cat.code {
            out.push_str(" data-area=\"");
            escape_into(out, code);
            out.push('"');
        }
        let _ = write!(
            out,
            " d=\"{d}\" stroke=\"{}\" stroke-width=\"1.25\" fill=\"none\"><title>",
            palette::TEXT
        );
        escape_into(out, &cat.label);
        out.push_str(": ");
        escape_into(out, &self.interval_text(lo, hi));
        out.push_str("</title></path>");
    }

    fn interval_text(&self, lo: f64, hi: f64) -> String {
        format!(
            "{} – {}",
            self.format.with_unit(Value::Number(lo)),
            self.format.with_unit(Value::Number(hi))
        )
    }

    /// Ticks of the value axis (covering 0, the data, the intervals and the references).
    fn ticks(&self, length: f64) -> Vec<f64> {
        let series = self.drawn_series();
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for i in 0..self.categories.len() {
            if self.mode == BarMode::Stacked {
                let (mut pos, mut neg) = (0.0, 0.0);
                for s in series {
                    match finite(s.at(i)) {
                        Some(x) if x >= 0.0 => pos += x,
                        Some(x) => neg += x,
                        None => {}
                    }
                }
                lo = lo.min(neg);
                hi = hi.max(pos);
            } else {
                for s in series {
                    if let Some(x) = finite(s.at(i)) {
                        lo = lo.min(x);
                        hi = hi.max(x);
                    }
                }
            }
        }
        for (_, r) in &self.reference {
            if r.is_finite() {
                lo = lo.min(*r);
                hi = hi.max(*r);
            }
        }
        for i in 0..self.categories.len() {
            if let Some((a, b)) = self.interval(i) {
                lo = lo.min(a);
                hi = hi.max(b);
            }
        }
        let target = ((length / 90.0).round() as usize).clamp(2, 8);
        nice_ticks(lo, hi, target)
    }

    fn width(&self) -> f64 {
        if self.width.is_finite() && self.width >= 120.0 {
            self.width
        } else {
            600.0
        }
    }

    fn tooltip(&self, cat: &Category, series: &Series) -> String {
        if self.drawn_series().len() > 1 && !series.name.is_empty() {
            format!("{}, {}", cat.label, series.name)
        } else {
            cat.label.clone()
        }
    }

    fn legend_items(&self) -> Vec<(Swatch<'static>, String)> {
        let series = self.drawn_series();
        if series.len() < 2 {
            return Vec::new();
        }
        series
            .iter()
            .enumerate()
            .map(|(i, s)| (Swatch::Rect(palette::categorical(i), None), s.name.clone()))
            .collect()
    }

    /// The SVG.
    pub fn svg(&self) -> String {
        if self.horizontal {
            self.svg_horizontal()
        } else {
            self.svg_vertical()
        }
    }

    fn bar_rect(
        &self,
        out: &mut String,
        (x, y, w, h): (f64, f64, f64, f64),
        cat: &Category,
        s_index: usize,
        value: Value,
        selected: bool,
    ) {
        let series = &self.drawn_series()[s_index];
        let multi = self.drawn_series().len() > 1;
        let fill = if multi {
            palette::categorical(s_index)
        } else if selected {
            BAR_SEL
        } else {
            BAR
        };
        out.push_str("<rect");
        if let Some(code) = &cat.code {
            out.push_str(" data-area=\"");
            escape_into(out, code);
            out.push('"');
        }
        out.push_str(if selected {
            " class=\"bar is-sel\""
        } else {
            " class=\"bar\""
        });
        for (name, value) in [
            (" x=\"", x),
            ("\" y=\"", y),
            ("\" width=\"", w.max(0.0)),
            ("\" height=\"", h.max(0.0)),
        ] {
            out.push_str(name);
            svg::push_num(out, value);
        }
        out.push_str("\" fill=\"");
        out.push_str(fill);
        out.push('"');
        if multi && selected {
            let _ = write!(
                out,
                " stroke=\"{}\" stroke-width=\"1.5\"",
                palette::SELECTION
            );
        }
        out.push_str("><title>");
        if multi && !series.name.is_empty() {
            escape_into(out, &self.tooltip(cat, series));
        } else {
            escape_into(out, &cat.label);
        }
        out.push_str(": ");
        self.format.push_with_unit_html(out, value);
        out.push_str("</title></rect>");
    }

    fn references_h(&self, out: &mut String, scale: &Scale, y_bottom: f64, label_y: f64) {
        for (i, (label, v)) in self.reference.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            let x = scale.at(*v);
            let ly = label_y + i as f64 * 14.0;
            let _ = write!(
                out,
                "<path class=\"ref\" d=\"M{} {}V{}\" stroke=\"{}\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>",
                svg::n(x),
                svg::n(ly + 3.0),
                svg::n(y_bottom),
                palette::TEXT
            );
            let text = format!("{}: {}", label, self.format.with_unit(Value::Number(*v)));
            let (r0, r1) = scale.range();
            let (tx, anchor) = if x > (r0 + r1) / 2.0 {
                (x - 3.0, Anchor::End)
            } else {
                (x + 3.0, Anchor::Start)
            };
            svg::text(out, tx, ly, anchor, REF_LABEL, &text);
        }
    }

    fn svg_horizontal(&self) -> String {
        let width = self.width();
        let series = self.drawn_series();
        let n = self.categories.len();
        let ns = series.len().max(1);
        let grouped = self.mode == BarMode::Grouped && ns > 1;
        let bar_h = if grouped { 10.0 } else { 13.0 };
        let row_h = if grouped {
            ns as f64 * bar_h + 6.0
        } else {
            18.0
        };
        let selected: HashSet<&str> = self.highlight.iter().map(String::as_str).collect();

        // Left label column.
        // Bold (highlighted) labels are about 10 % wider.
        let label_w = self
            .categories
            .iter()
            .map(|c| {
                let w = svg::text_width(&svg::truncate(&c.label, MAX_LABEL).0, 12.0);
                if c.code.as_deref().is_some_and(|c| selected.contains(c)) {
                    w * 1.12
                } else {
                    w
                }
            })
            .fold(0.0, f64::max)
            .min(width * 0.4)
            + 14.0;
        // Room for value labels at the bar ends.
        let mut max_pos_label: f64 = 0.0;
        let mut max_neg_label: f64 = 0.0;
        for s in series {
            for i in 0..n {
                let v = s.at(i);
                let w = svg::text_width(&self.format.with_unit(v), 11.0) + 6.0;
                match finite(v) {
                    Some(x) if x < 0.0 => max_neg_label = max_neg_label.max(w),
                    _ => max_pos_label = max_pos_label.max(w),
                }
            }
        }
        if self.mode == BarMode::Stacked {
            max_pos_label = max_pos_label.max(40.0);
        }
        let mut out = String::with_capacity(1024 + n * ns * 200);
        let mut legend = String::new();
        let legend_h = flow_legend(&mut legend, 8.0, 4.0, width - 16.0, &self.legend_items());
        let refs_h = self.reference.iter().filter(|r| r.1.is_finite()).count() as f64 * 14.0;
        let top = legend_h + 6.0 + refs_h + if refs_h > 0.0 { 4.0 } else { 0.0 };
        let plot_x0 = label_w + max_neg_label;
        let plot_x1 = (width - max_pos_label - 4.0).max(plot_x0 + 20.0);
        let plot_h = n as f64 * row_h;
        let axis_y = top + plot_h;
        let height = axis_y + 24.0;
        let ticks = self.ticks(plot_x1 - plot_x0);
        let scale = Scale::new(ticks[0], ticks[ticks.len() - 1], plot_x0, plot_x1);
        let x0 = scale.at(0.0);

        svg::open(
            &mut out,
            &self.id,
            width,
            height,
            "chart bar-chart",
            &self.title,
            &self.description,
        );
        out.push_str(&legend);
        let fmt = &self.format;
        x_axis(&mut out, &ticks, &scale, top, axis_y, |t| fmt.axis(t));
        let locale = self.format.locale;
        for (i, cat) in self.categories.iter().enumerate() {
            let y = top + i as f64 * row_h;
            let sel = cat.code.as_deref().is_some_and(|c| selected.contains(c));
            // Category label.
            let (short, cut) = svg::truncate(&cat.label, MAX_LABEL);
            out.push_str("<text x=\"");
            push_num(&mut out, label_w - 6.0);
            out.push_str("\" y=\"");
            push_num(&mut out, y + row_h / 2.0 + 4.0);
            out.push_str("\" text-anchor=\"end\" class=\"cat-label");
            if sel {
                out.push_str(" is-sel\" font-weight=\"bold");
            }
            out.push('"');
            if let Some(code) = &cat.code {
                out.push_str(" data-area=\"");
                escape_into(&mut out, code);
                out.push('"');
            }
            out.push('>');
            escape_into(&mut out, &short);
            if cut {
                out.push_str("<title>");
                escape_into(&mut out, &cat.label);
                out.push_str("</title>");
            }
            out.push_str("</text>");

            match self.mode {
                BarMode::Stacked if ns > 1 => {
                    let by = y + (row_h - bar_h) / 2.0;
                    let (mut pos, mut neg) = (0.0, 0.0);
                    let mut first_missing = None;
                    for (s, ser) in series.iter().enumerate() {
                        let v = ser.at(i);
                        match finite(v) {
                            Some(x) => {
                                let (a, b) = if x >= 0.0 {
                                    pos += x;
                                    (pos - x, pos)
                                } else {
                                    neg += x;
                                    (neg, neg - x)
                                };
                                let (xa, xb) = (scale.at(a), scale.at(b));
                                self.bar_rect(&mut out, (xa, by, xb - xa, bar_h), cat, s, v, sel);
                            }
                            None => {
                                if first_missing.is_none() {
                                    first_missing = missing_of(v).map(|m| (m, ser));
                                }
                            }
                        }
                    }
                    let any = series.iter().any(|s| finite(s.at(i)).is_some());
                    let end = scale.at(pos);
                    if any {
                        let total = self.format.with_unit(Value::Number(pos + neg));
                        svg::text(
                            &mut out,
                            end + 4.0,
                            by + bar_h - 2.0,
                            Anchor::Start,
                            "class=\"value\" font-size=\"11\"",
                            &total,
                        );
                    }
                    if let Some((m, ser)) = first_missing {
                        let shift = if any {
                            svg::text_width(&self.format.with_unit(Value::Number(pos + neg)), 11.0)
                                + 10.0
                        } else {
                            4.0
                        };
                        let tip = self.tooltip(cat, ser);
                        missing_mark(
                            &mut out,
                            (end.max(x0) + shift, by + bar_h - 2.0),
                            Anchor::Start,
                            m,
                            &tip,
                            locale,
                            cat.code.as_deref(),
                        );
                    }
                }
                _ => {
                    for (s, ser) in series.iter().enumerate() {
                        let by = if grouped {
                            y + 3.0 + s as f64 * bar_h
                        } else {
                            y + (row_h - bar_h) / 2.0
                        };
                        let v = ser.at(i);
                        let text_y = by + bar_h - 2.0;
                        match finite(v) {
                            Some(x) => {
                                let xv = scale.at(x);
                                self.bar_rect(
                                    &mut out,
                                    (xv.min(x0), by, (xv - x0).abs(), bar_h - 1.0),
                                    cat,
                                    s,
                                    v,
                                    sel,
                                );
                                let label = self.format.with_unit(v);
                                // A whisker over the bar; the value label goes past it.
                                let iv = self.interval(i).map(|(a, b)| (scale.at(a), scale.at(b)));
                                if let Some((xa, xb)) = iv {
                                    self.whisker(
                                        &mut out,
                                        (xa, xb, by + (bar_h - 1.0) / 2.0),
                                        true,
                                        cat,
                                        i,
                                    );
                                }
                                let (tx, anchor) = if x < 0.0 {
                                    (iv.map_or(xv, |w| w.0.min(xv)) - 4.0, Anchor::End)
                                } else {
                                    (iv.map_or(xv, |w| w.1.max(xv)) + 4.0, Anchor::Start)
                                };
                                let attrs = if sel {
                                    "class=\"value\" font-size=\"11\" font-weight=\"bold\""
                                } else {
                                    "class=\"value\" font-size=\"11\""
                                };
                                svg::text(&mut out, tx, text_y, anchor, attrs, &label);
                            }
                            None => {
                                let m = missing_of(v).expect("not a number");
                                let tip = self.tooltip(cat, ser);
                                missing_mark(
                                    &mut out,
                                    (x0 + 4.0, text_y),
                                    Anchor::Start,
                                    m,
                                    &tip,
                                    locale,
                                    cat.code.as_deref(),
                                );
                            }
                        }
                    }
                }
            }
        }
        self.references_h(&mut out, &scale, axis_y, legend_h + 16.0);
        out.push_str("</svg>");
        out
    }

    fn svg_vertical(&self) -> String {
        let width = self.width();
        let series = self.drawn_series();
        let n = self.categories.len();
        let ns = series.len().max(1);
        let grouped = self.mode == BarMode::Grouped && ns > 1;
        let stacked = self.mode == BarMode::Stacked && ns > 1;
        let selected: HashSet<&str> = self.highlight.iter().map(String::as_str).collect();
        let locale = self.format.locale;

        let mut legend = String::new();
        let legend_h = flow_legend(&mut legend, 8.0, 4.0, width - 16.0, &self.legend_items());
        let top = legend_h + 12.0;
        let plot_h = (width * 0.45).clamp(160.0, 320.0);
        // Provisional ticks for the left margin.
        let ticks = self.ticks(plot_h);
        let fmt = &self.format;
        let left = ticks
            .iter()
            .map(|&t| svg::text_width(&fmt.axis(t), 12.0))
            .fold(0.0, f64::max)
            + 14.0;
        let plot_x0 = left;
        let plot_x1 = width - 8.0;
        let slot = (plot_x1 - plot_x0) / n.max(1) as f64;
        // Category labels: straight when they fit, else rotated.
        let max_chars_straight = ((slot - 4.0) / (12.0 * 0.58)).floor().max(1.0) as usize;
        let longest = self
            .categories
            .iter()
            .map(|c| c.label.chars().count())
            .max()
            .unwrap_or(0);
        let rotate = longest > max_chars_straight && max_chars_straight < 8;
        let label_chars = if rotate {
            longest.min(20)
        } else {
            max_chars_straight.min(MAX_LABEL)
        };
        let bottom = if rotate {
            svg::text_width(&"m".repeat(label_chars), 12.0) * 0.72 + 16.0
        } else {
            22.0
        };
        let axis_y = top + plot_h;
        let height = axis_y + bottom;
        let scale = Scale::new(ticks[0], ticks[ticks.len() - 1], axis_y, top);
        let y0 = scale.at(0.0);

        let mut out = String::with_capacity(1024 + n * ns * 200);
        svg::open(
            &mut out,
            &self.id,
            width,
            height,
            "chart bar-chart vertical",
            &self.title,
            &self.description,
        );
        out.push_str(&legend);
        y_axis(&mut out, &ticks, &scale, plot_x0, plot_x1, |t| fmt.axis(t));
        let bar_w_total = slot * 0.72;
        for (i, cat) in self.categories.iter().enumerate() {
            let sx = plot_x0 + i as f64 * slot;
            let cx = sx + slot / 2.0;
            let sel = cat.code.as_deref().is_some_and(|c| selected.contains(c));
            // Label.
            let (short, cut) = svg::truncate(&cat.label, label_chars);
            out.push_str("<text class=\"cat-label");
            if sel {
                out.push_str(" is-sel\" font-weight=\"bold");
            }
            out.push('"');
            if rotate {
                let _ = write!(
                    out,
                    " text-anchor=\"end\" transform=\"translate({} {}) rotate(-45)\"",
                    svg::n(cx + 4.0),
                    svg::n(axis_y + 12.0)
                );
            } else {
                let _ = write!(
                    out,
                    " text-anchor=\"middle\" x=\"{}\" y=\"{}\"",
                    svg::n(cx),
                    svg::n(axis_y + 16.0)
                );
            }
            if let Some(code) = &cat.code {
                out.push_str(" data-area=\"");
                escape_into(&mut out, code);
                out.push('"');
            }
            out.push('>');
            escape_into(&mut out, &short);
            if cut {
                out.push_str("<title>");
                escape_into(&mut out, &cat.label);
                out.push_str("</title>");
            }
            out.push_str("</text>");

            if stacked {
                let bx = cx - bar_w_total / 2.0;
                let (mut pos, mut neg) = (0.0, 0.0);
                let mut first_missing = None;
                for (s, ser) in series.iter().enumerate() {
                    let v = ser.at(i);
                    match finite(v) {
                        Some(x) => {
                            let (a, b) = if x >= 0.0 {
                                pos += x;
                                (pos - x, pos)
                            } else {
                                neg += x;
                                (neg, neg - x)
                            };
                            let (ya, yb) = (scale.at(b), scale.at(a));
                            self.bar_rect(&mut out, (bx, ya, bar_w_total, yb - ya), cat, s, v, sel);
                        }
                        None => {
                            if first_missing.is_none() {
                                first_missing = missing_of(v).map(|m| (m, ser));
                            }
                        }
                    }
                }
                if let Some((m, ser)) = first_missing {
                    let tip = self.tooltip(cat, ser);
                    missing_mark(
                        &mut out,
                        (cx, scale.at(pos).min(y0) - 4.0),
                        Anchor::Middle,
                        m,
                        &tip,
                        locale,
                        cat.code.as_deref(),
                    );
                }
            } else {
                let bw = if grouped {
                    bar_w_total / ns as f64
                } else {
                    bar_w_total
                };
                for (s, ser) in series.iter().enumerate() {
                    let bx = cx - bar_w_total / 2.0 + if grouped { s as f64 * bw } else { 0.0 };
                    let v = ser.at(i);
                    match finite(v) {
                        Some(x) => {
                            let yv = scale.at(x);
                            self.bar_rect(
                                &mut out,
                                (bx + 0.5, yv.min(y0), bw - 1.0, (yv - y0).abs()),
                                cat,
                                s,
                                v,
                                sel,
                            );
                            let label = self.format.with_unit(v);
                            let iv = self.interval(i).map(|(a, b)| (scale.at(a), scale.at(b)));
                            if let Some((ya, yb)) = iv {
                                self.whisker(&mut out, (ya, yb, bx + bw / 2.0), false, cat, i);
                            }
                            if svg::text_width(&label, 11.0) <= bw + 6.0 {
                                let ty = if x < 0.0 {
                                    iv.map_or(yv, |w| w.0.max(yv)) + 12.0
                                } else {
                                    iv.map_or(yv, |w| w.1.min(yv)) - 4.0
                                };
                                svg::text(
                                    &mut out,
                                    bx + bw / 2.0,
                                    ty,
                                    Anchor::Middle,
                                    "class=\"value\" font-size=\"11\"",
                                    &label,
                                );
                            }
                        }
                        None => {
                            let m = missing_of(v).expect("not a number");
                            let tip = self.tooltip(cat, ser);
                            missing_mark(
                                &mut out,
                                (bx + bw / 2.0, y0 - 4.0),
                                Anchor::Middle,
                                m,
                                &tip,
                                locale,
                                cat.code.as_deref(),
                            );
                        }
                    }
                }
            }
        }
        // Reference lines across the plot, labels above the plot.
        for (label, v) in self.reference.iter().filter(|r| r.1.is_finite()) {
            let y = scale.at(*v);
            let _ = write!(
                out,
                "<path class=\"ref\" d=\"M{} {}H{}\" stroke=\"{}\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>",
                svg::n(plot_x0),
                svg::n(y),
                svg::n(plot_x1),
                palette::TEXT
            );
            let text = format!("{}: {}", label, self.format.with_unit(Value::Number(*v)));
            svg::text(
                &mut out,
                plot_x1 - 2.0,
                y - 4.0,
                Anchor::End,
                REF_LABEL,
                &text,
            );
        }
        out.push_str("</svg>");
        out
    }

    /// The data as an accessible HTML table: one row per category, one column per series;
    /// reference values as extra rows.
    pub fn table_html(&self) -> String {
        let locale = self.format.locale;
        let series = self.drawn_series();
        let mut head = vec![word(locale, "Categorie", "Category", "Catégorie").to_string()];
        if series.len() == 1 && series[0].name.is_empty() || series.is_empty() {
            head.push(word(locale, "Waarde", "Value", "Valeur").to_string());
        } else {
            head.extend(series.iter().map(|s| s.name.clone()));
        }
        let intervals = (0..self.categories.len()).any(|i| self.interval(i).is_some());
        if intervals {
            head.push(
                word(
                    locale,
                    "Betrouwbaarheidsinterval",
                    "Confidence interval",
                    "Intervalle de confiance",
                )
                .to_string(),
            );
        }
        let mut rows: Vec<(String, Vec<String>)> = self
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut cells: Vec<String> = if series.is_empty() {
                    vec![String::new()]
                } else {
                    series
                        .iter()
                        .map(|s| svg::cell_html(s.at(i), &self.format.with_unit(s.at(i)), locale))
                        .collect()
                };
                if intervals {
                    cells.push(
                        self.interval(i)
                            .map(|(lo, hi)| escape(&self.interval_text(lo, hi)))
                            .unwrap_or_default(),
                    );
                }
                (c.label.clone(), cells)
            })
            .collect();
        for (label, v) in &self.reference {
            let mut cells = vec![escape(&self.format.with_unit(Value::Number(*v)))];
            cells.resize(head.len() - 1, String::new());
            rows.push((label.clone(), cells));
        }
        svg::table(&self.title, &head, &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_util::{check_svg, check_table};
    use crate::format::Locale;
    use peil_core::MissingCode;

    fn cat(code: &str, label: &str) -> Category {
        Category {
            code: Some(code.into()),
            label: label.into(),
        }
    }

    fn chart(mode: BarMode, horizontal: bool) -> BarChart {
        BarChart {
            id: "b1".into(),
            title: "Inkomen per wijk".into(),
            description: "Staafdiagram".into(),
            categories: vec![
                cat("A", "Binnenstad"),
                cat("B", "Een heel lange wijknaam die afgekapt moet worden"),
                cat("C", "Ledeberg"),
                cat("D", "Zwijnaarde"),
            ],
            series: vec![
                Series {
                    name: "2022".into(),
                    values: vec![
                        Value::Number(12.5),
                        Value::Number(-3.0),
                        Value::Missing(MissingCode::Hidden),
                        Value::Number(40.0),
                    ],
                },
                Series {
                    name: "2023".into(),
                    values: vec![Value::Number(10.0), Value::Number(2.0), Value::Number(5.0)],
                },
            ],
            mode,
            horizontal,
            format: NumberFormat::new(1, "%", Locale::Nl),
            highlight: vec!["D".into()],
            reference: vec![("Gent".into(), 15.0)],
            width: 600.0,
            intervals: Vec::new(),
        }
    }

    fn rects_for(svg: &str, code: &str) -> usize {
        svg.matches(&format!("<rect data-area=\"{code}\"")).count()
    }

    #[test]
    fn single_horizontal() {
        let c = chart(BarMode::Single, true);
        let s = c.svg();
        check_svg(&s, "b1");
        // Three bars: the hidden value is a symbol, not a rect.
        assert_eq!(s.matches("class=\"bar").count(), 3);
        assert_eq!(rects_for(&s, "C"), 0);
        assert!(s.contains(
            "class=\"missing\" data-area=\"C\">x<title>Ledeberg: geheim (privacy)</title></text>"
        ));
        assert!(s.contains("<rect data-area=\"D\" class=\"bar is-sel\""));
        assert!(s.contains("<title>Binnenstad: 12,5\u{a0}%</title>"));
        assert!(s.contains(">\u{2212}3,0\u{a0}%</text>"));
        // Long label cut with the full name as tooltip.
        assert!(s.contains("Een heel lange wijknaam die…<title>Een heel lange wijknaam die afgekapt moet worden</title>"));
        assert!(s.contains(">Gent: 15,0\u{a0}%</text>"));
        assert!(s.contains("font-family=\"system-ui"));
        // Height grows with rows.
        let mut more = chart(BarMode::Single, true);
        more.categories = (0..40).map(|i| cat(&format!("c{i}"), "x")).collect();
        let h = |s: &str| -> f64 {
            s.split("height=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        assert!(h(&more.svg()) > h(&s) + 500.0);
    }

    #[test]
    fn intervals_are_whiskers_and_a_table_column() {
        for horizontal in [true, false] {
            let mut c = chart(BarMode::Single, horizontal);
            c.series.truncate(1);
            c.intervals = vec![Some((8.0, 17.0)), None, None, Some((35.0, 52.0))];
            let s = c.svg();
            check_svg(&s, "b1");
            assert_eq!(s.matches("class=\"interval\"").count(), 2, "{s}");
            assert!(s.contains("<path class=\"interval\" data-area=\"A\""));
            assert!(s.contains("<title>Zwijnaarde: 35,0\u{a0}% – 52,0\u{a0}%</title>"));
            // The axis reaches the upper bound beyond the largest value.
            assert!(
                s.contains(">60</text>")
                    || s.contains(">60,0</text>")
                    || s.contains(">60\u{a0}%</text>"),
                "{s}"
            );
            let t = c.table_html();
            check_table(&t, "Inkomen per wijk");
            assert!(t.contains("Betrouwbaarheidsinterval"));
            assert!(
                t.contains("<td>8,0\u{a0}% – 17,0\u{a0}%</td>")
                    || t.contains("8,0\u{a0}% – 17,0\u{a0}%"),
                "{t}"
            );
            // Several series: no whiskers.
            let mut g = chart(BarMode::Grouped, horizontal);
            g.intervals = c.intervals.clone();
            assert!(!g.svg().contains("class=\"interval\""));
        }
    }

    #[test]
    fn grouped_and_stacked() {
        for horizontal in [true, false] {
            let g = chart(BarMode::Grouped, horizontal).svg();
            check_svg(&g, "b1");
            // 4 + 3 numbers, one hidden and one absent value.
            assert_eq!(g.matches("class=\"bar").count(), 6, "{g}");
            assert_eq!(g.matches("class=\"missing\"").count(), 2);
            assert!(g.contains(">2022</text>") && g.contains(">2023</text>"));
            assert!(g.contains("<title>Binnenstad, 2023: 10,0\u{a0}%</title>"));
            let st = chart(BarMode::Stacked, horizontal).svg();
            check_svg(&st, "b1");
            assert_eq!(st.matches("class=\"bar").count(), 6);
            assert!(st.contains("class=\"missing\""));
        }
    }

    #[test]
    fn vertical_single() {
        let s = chart(BarMode::Single, false).svg();
        check_svg(&s, "b1");
        assert_eq!(s.matches("class=\"bar").count(), 3);
        assert_eq!(rects_for(&s, "C"), 0);
        assert!(s.contains("class=\"ref\""));
    }

    #[test]
    fn empty_chart_is_valid() {
        let mut c = chart(BarMode::Single, true);
        c.categories.clear();
        c.series.clear();
        c.reference.clear();
        check_svg(&c.svg(), "b1");
        c.horizontal = false;
        check_svg(&c.svg(), "b1");
        check_table(&c.table_html(), "Inkomen per wijk");
    }

    #[test]
    fn table() {
        let t = chart(BarMode::Grouped, true).table_html();
        check_table(&t, "Inkomen per wijk");
        assert!(t.contains("<th scope=\"col\">Categorie</th>"));
        assert!(t.contains("<th scope=\"col\" class=\"num\">2022</th>"));
        assert!(t.contains("<tr><th scope=\"row\">Ledeberg</th><td class=\"num\"><abbr title=\"geheim (privacy)\">x</abbr></td><td class=\"num\">5,0\u{a0}%</td></tr>"));
        assert!(t.contains(
            "<th scope=\"row\">Gent</th><td class=\"num\">15,0\u{a0}%</td><td class=\"num\"></td>"
        ));
        let single = chart(BarMode::Single, true).table_html();
        assert!(!single.contains("2023"));
    }
}
