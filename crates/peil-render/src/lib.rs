//! Peil's chart and map renderer, shared by the website, PNG downloads and PDF reports.
//!
//! Everything here turns already-computed values into SVG text (and PNG through
//! [`png::to_png`]); nothing reads the store or knows about requests.
//!
//! - [`format`](mod@format): locale-aware numbers (`12 345,6`, `12,345.6`, U+2212 minus), units and the
//!   human labels of missing codes.
//! - [`classify`]: class boundaries (mean ± sd, quantiles, equal intervals, Jenks, manual).
//! - [`palette`]: colour-blind-safe ramps, series colours, fills of missing values.
//! - [`map`]: a [`MapLayer`] prepared once from GeoJSON (projected, simplified, path data
//!   pre-formatted) and [`choropleth`] / [`map::locator`] renderings of it.
//! - [`chart`]: bar, line, pie, population pyramid, scatter, key-figure tile, sparkline and
//!   the profile ring; each chart also gives an accessible HTML table of its data.
//! - [`png`]: SVG to PNG with resvg, for reports and downloads.
//!
//! # Invariants
//!
//! - **PNG parity.** Styling is written as presentation attributes (`fill=`, `stroke=`,
//!   `font-size=`…), never as CSS, so resvg renders a PNG that looks like the page. Pages
//!   may add CSS for hover and focus on top; the graphics do not depend on it. Stroke
//!   widths of maps are computed from the zoom (resvg ignores `vector-effect`).
//! - **Missing values are never zero.** A missing value is never drawn as a zero-length bar
//!   or a point at zero: charts write its symbol (`?`, `x`, `nvt`, `-`) where the bar would
//!   start and lines break. On maps the four kinds are mutually distinct: unknown (mid
//!   grey), suppressed (hatched), not applicable (white with a grey outline) and no data
//!   (light grey), each in the legend only when present.
//! - **The `data-area` contract.** Every element that stands for an area (map path, bar,
//!   scatter point, line series) carries `data-area="CODE"` so a page can link hover and
//!   selection across map, chart and table; selected or highlighted elements carry the
//!   class `is-sel`.
//! - **Accessibility.** Every graphic is `role="img"` with a `<title>` and `<desc>` (or an
//!   `aria-label`) and per-element `<title>` tooltips; every chart has `table_html()` with
//!   the same data as an HTML table. Text is `#222`/`#555` on white (≥ 4.5:1), axis lines
//!   and meaningful colours are ≥ 3:1 against white.
//! - **Escaping.** All text that comes in (names, labels, titles) is escaped with
//!   [`escape`]; ids are expected to be `[a-z0-9-]` and are escaped too.

#![warn(missing_docs)]

pub mod chart;
pub mod classify;
pub mod format;
pub mod map;
pub mod palette;
pub mod png;
mod svg;

pub use chart::*;
pub use classify::{Classes, Method};
pub use format::{Locale, NumberFormat};
pub use map::{MapLayer, MapSpec, MapValues, choropleth};

/// Escapes text for XML and HTML content and attribute values (`&`, `<`, `>`, `"`, `'`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(&mut out, s);
    out
}

/// Appends `s` escaped to `out` (see [`escape`]).
pub fn escape_into(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut last = 0;
    let mut i = 0;
    // Runs of clean bytes are found by a table lookup per byte and copied whole.
    while i < bytes.len() {
        if !SPECIAL[usize::from(bytes[i])] {
            i += 1;
            continue;
        }
        let rep = match bytes[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        i += 1;
        last = i;
    }
    out.push_str(&s[last..]);
}

/// The bytes [`escape_into`] replaces.
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_all_five() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("Sint-Amandsberg é"), "Sint-Amandsberg é");
        assert_eq!(escape(""), "");
    }
}
