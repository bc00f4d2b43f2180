//! Colours: sequential and diverging ramps for classes, categorical colours for series,
//! the fills of missing values and a text-contrast helper.
//!
//! The ramps are computed once (interpolated in the OKLab colour space between a few
//! anchor colours of our choosing) and cached for the life of the process. Sequential
//! ramps run light yellow-green to dark blue and diverging ramps orange to purple: both
//! keep a monotonic lightness and avoid red–green contrasts, so they stay readable with the
//! common colour-vision deficiencies. Missing kinds have their own, mutually distinct fills:
//! [`UNKNOWN`] (mid grey), hidden (the [`hatch_defs`] pattern), [`NOT_APPLICABLE`] (white,
//! with a grey outline) and [`NO_DATA`] (light grey).

use std::sync::OnceLock;

/// Fill for areas without data (missing code Empty, or absent from the data): light grey.
pub const NO_DATA: &str = "#d9d9d9";
/// Fill for Unknown (`?`) values: a mid grey, distinct from [`NO_DATA`] and ≥3:1 against
/// white.
pub const UNKNOWN: &str = "#949494";
/// Fill for not-applicable (`nvt`) values: white; draw it with [`NOT_APPLICABLE_STROKE`].
pub const NOT_APPLICABLE: &str = "#ffffff";
/// Outline for not-applicable areas and swatches, so white shapes stay visible.
pub const NOT_APPLICABLE_STROKE: &str = "#8c8c8c";
/// Background of the hatch pattern for suppressed (Hidden, `x`) values.
pub const HATCH_BACKGROUND: &str = "#f2f2f2";
/// Line colour of the hatch pattern.
pub const HATCH_LINE: &str = "#6b6b6b";
/// Main text colour of charts (≥ 4.5:1 on white).
pub const TEXT: &str = "#222222";
/// Secondary text colour (still ≥ 4.5:1 on white).
pub const TEXT_MUTED: &str = "#333333";
/// Axis lines and ticks (≥ 3:1 on white).
pub const AXIS: &str = "#6e6e6e";
/// Grid lines (decorative only).
pub const GRID: &str = "#e3e3e3";
/// Outline of selected / highlighted areas.
pub const SELECTION: &str = "#111111";

/// Anchors of the sequential ramp, light to dark.
const SEQ_ANCHORS: [u32; 5] = [0xf0f7b2, 0x9fd6b0, 0x3fadc2, 0x2a70b0, 0x11286e];
/// Anchors of the diverging ramp: dark orange, light orange, neutral, light purple, purple.
const DIV_ANCHORS: [u32; 5] = [0xa84f08, 0xf3b366, 0xf4f4f2, 0xb3acd4, 0x4f2a85];

/// Series colours: Okabe–Ito hues, darkened where needed for ≥3:1 against white.
const CATEGORICAL: [&str; 8] = [
    "#0072b2", "#d55e00", "#007a5a", "#b0508a", "#8a6d00", "#3a7fbf", "#6e4ca3", "#4d4d4d",
];

/// A colour-blind-safe sequential palette of `k` colours (1..=9, clamped), light to dark,
/// as `#rrggbb`. Fewer colours use a narrower part of the ramp so neighbours stay distinct
/// but no class is nearly white.
pub fn sequential(k: usize) -> Vec<&'static str> {
    static CACHE: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        (0..=9)
            .map(|k| {
                if k == 0 {
                    return Vec::new();
                }
                if k == 1 {
                    return vec![ramp(&SEQ_ANCHORS, 0.6)];
                }
                let spread = (0.55 + 0.45 * (k as f64 - 2.0) / 7.0).min(1.0);
                let lo = 1.0 - spread;
                (0..k)
                    .map(|i| ramp(&SEQ_ANCHORS, lo + spread * i as f64 / (k - 1) as f64))
                    .collect()
            })
            .collect()
    });
    cache[k.clamp(1, 9)].iter().map(String::as_str).collect()
}

/// A colour-blind-safe diverging palette (orange – neutral – purple) of `k` colours
/// (2..=9, clamped); for odd k the middle colour is the neutral.
pub fn diverging(k: usize) -> Vec<&'static str> {
    static CACHE: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        (0..=9)
            .map(|k| {
                if k < 2 {
                    return Vec::new();
                }
                let spread = (0.6 + 0.4 * (k as f64 - 2.0) / 7.0).min(1.0);
                (0..k)
                    .map(|i| {
                        let t = -spread + 2.0 * spread * i as f64 / (k - 1) as f64;
                        ramp(&DIV_ANCHORS, (t + 1.0) / 2.0)
                    })
                    .collect()
            })
            .collect()
    });
    cache[k.clamp(2, 9)].iter().map(String::as_str).collect()
}

/// The colour of series `i` (Okabe–Ito-like, cycled after eight), all ≥3:1 on white.
pub fn categorical(i: usize) -> &'static str {
    CATEGORICAL[i % CATEGORICAL.len()]
}

/// The `<defs>` element holding the hatch pattern for suppressed (Hidden) values, with id
/// `{id}-hatch`: diagonal dark-grey lines on a light background. Fill with
/// `url(#{id}-hatch)`.
pub fn hatch_defs(id: &str) -> String {
    format!(
        "<defs><pattern id=\"{id}-hatch\" patternUnits=\"userSpaceOnUse\" width=\"5\" height=\"5\" \
         patternTransform=\"rotate(45)\"><rect width=\"5\" height=\"5\" fill=\"{HATCH_BACKGROUND}\"/>\
         <path d=\"M0 0v5\" stroke=\"{HATCH_LINE}\" stroke-width=\"2\"/></pattern></defs>",
        id = crate::escape(id)
    )
}

/// Black (`#000000`) or white (`#ffffff`) text, whichever contrasts more with `fill`
/// (`#rgb` or `#rrggbb`; anything else is treated as a light fill). Either choice meets
/// WCAG AA (4.5:1) on every fill, because the better of the two is always ≥ 4.58:1.
pub fn text_on(fill: &str) -> &'static str {
    match parse_hex(fill) {
        Some(rgb) => {
            let l = luminance(rgb);
            if (1.05) / (l + 0.05) >= (l + 0.05) / 0.05 {
                "#ffffff"
            } else {
                "#000000"
            }
        }
        None => "#000000",
    }
}

/// WCAG contrast ratio of two `#rrggbb` colours (1 when either does not parse).
pub fn contrast(a: &str, b: &str) -> f64 {
    match (parse_hex(a), parse_hex(b)) {
        (Some(a), Some(b)) => {
            let (la, lb) = (luminance(a), luminance(b));
            (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
        }
        _ => 1.0,
    }
}

pub(crate) fn parse_hex(s: &str) -> Option<[f64; 3]> {
    let h = s.strip_prefix('#')?;
    let v = u32::from_str_radix(h, 16).ok()?;
    match h.len() {
        6 => Some(rgb_of(v)),
        3 => {
            let (r, g, b) = ((v >> 8) & 0xf, (v >> 4) & 0xf, v & 0xf);
            Some([
                r as f64 * 17.0 / 255.0,
                g as f64 * 17.0 / 255.0,
                b as f64 * 17.0 / 255.0,
            ])
        }
        _ => None,
    }
}

fn rgb_of(v: u32) -> [f64; 3] {
    [
        ((v >> 16) & 0xff) as f64 / 255.0,
        ((v >> 8) & 0xff) as f64 / 255.0,
        (v & 0xff) as f64 / 255.0,
    ]
}

fn to_linear(c: f64) -> f64 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn from_linear(c: f64) -> f64 {
    let c = c.clamp(0.0, 1.0);
    if c <= 0.0031308 {
        c * 12.92
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    }
}

fn luminance(rgb: [f64; 3]) -> f64 {
    let [r, g, b] = rgb.map(to_linear);
    0.2126 * r + 0.7152 * g + 0.0722 * b
}

fn to_oklab(rgb: [f64; 3]) -> [f64; 3] {
    let [r, g, b] = rgb.map(to_linear);
    let l = (0.412_221_470_8 * r + 0.536_332_536_3 * g + 0.051_445_992_9 * b).cbrt();
    let m = (0.211_903_498_2 * r + 0.680_699_545_1 * g + 0.107_396_956_6 * b).cbrt();
    let s = (0.088_302_461_9 * r + 0.281_718_837_6 * g + 0.629_978_700_5 * b).cbrt();
    [
        0.210_454_255_3 * l + 0.793_617_785 * m - 0.004_072_046_8 * s,
        1.977_998_495_1 * l - 2.428_592_205 * m + 0.450_593_709_9 * s,
        0.025_904_037_1 * l + 0.782_771_766_2 * m - 0.808_675_766 * s,
    ]
}

fn from_oklab(lab: [f64; 3]) -> [f64; 3] {
    let [ll, a, b] = lab;
    let l = (ll + 0.396_337_777_4 * a + 0.215_803_757_3 * b).powi(3);
    let m = (ll - 0.105_561_345_8 * a - 0.063_854_172_8 * b).powi(3);
    let s = (ll - 0.089_484_177_5 * a - 1.291_485_548 * b).powi(3);
    [
        4.076_741_662_1 * l - 3.307_711_591_3 * m + 0.230_969_929_2 * s,
        -1.268_438_004_6 * l + 2.609_757_401_1 * m - 0.341_319_396_5 * s,
        -0.004_196_086_3 * l - 0.703_418_614_7 * m + 1.707_614_701 * s,
    ]
    .map(from_linear)
}

/// The colour at t (0..=1) of a ramp through evenly spaced anchors, interpolated in OKLab.
fn ramp(anchors: &[u32], t: f64) -> String {
    let t = t.clamp(0.0, 1.0) * (anchors.len() - 1) as f64;
    let i = (t.floor() as usize).min(anchors.len() - 2);
    let f = t - i as f64;
    let a = to_oklab(rgb_of(anchors[i]));
    let b = to_oklab(rgb_of(anchors[i + 1]));
    let lab = [0, 1, 2].map(|j| a[j] + (b[j] - a[j]) * f);
    let [r, g, b] = from_oklab(lab).map(|c| (c * 255.0).round() as u32);
    format!("#{r:02x}{g:02x}{b:02x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lightness(hex: &str) -> f64 {
        to_oklab(parse_hex(hex).unwrap())[0]
    }

    #[test]
    fn sequential_is_monotonic_and_sized() {
        for k in 1..=9 {
            let p = sequential(k);
            assert_eq!(p.len(), k);
            for c in &p {
                assert_eq!(c.len(), 7);
                assert!(parse_hex(c).is_some());
            }
            for w in p.windows(2) {
                assert!(lightness(w[0]) > lightness(w[1]) + 0.03, "{k}: {w:?}");
            }
            // Never as light as the no-data grey is dark: lightest class differs from it.
            assert_ne!(p[0], NO_DATA);
        }
        assert_eq!(sequential(0).len(), 1);
        assert_eq!(sequential(12).len(), 9);
        // The anchors survive the round trip through OKLab.
        assert_eq!(ramp(&SEQ_ANCHORS, 0.0), "#f0f7b2");
        assert_eq!(ramp(&SEQ_ANCHORS, 1.0), "#11286e");
    }

    #[test]
    fn diverging_has_neutral_middle() {
        for k in 2..=9 {
            let p = diverging(k);
            assert_eq!(p.len(), k);
            if k % 2 == 1 {
                assert_eq!(p[k / 2], "#f4f4f2");
            }
            // Lightness rises to the middle and falls after it.
            let mid = (k - 1) as f64 / 2.0;
            for i in 0..k - 1 {
                let (a, b) = (lightness(p[i]), lightness(p[i + 1]));
                if (i as f64) < mid - 0.1 && ((i + 1) as f64) <= mid {
                    assert!(b > a, "{k} {i}");
                } else if (i as f64) >= mid {
                    assert!(b < a, "{k} {i}");
                }
            }
        }
        // The darkest ends carry meaning: ≥3:1 against white.
        let p = diverging(5);
        assert!(contrast(p[0], "#ffffff") >= 3.0);
        assert!(contrast(p[4], "#ffffff") >= 3.0);
    }

    #[test]
    fn categorical_contrast() {
        for i in 0..8 {
            let c = categorical(i);
            assert!(contrast(c, "#ffffff") >= 3.0, "{c}");
        }
        assert_eq!(categorical(8), categorical(0));
        assert!(contrast(UNKNOWN, "#ffffff") >= 3.0);
        assert!(contrast(AXIS, "#ffffff") >= 3.0);
        assert!(contrast(HATCH_LINE, HATCH_BACKGROUND) >= 4.5);
        assert!(contrast(TEXT, "#ffffff") >= 4.5);
        assert!(contrast(TEXT_MUTED, "#ffffff") >= 4.5);
        assert!(contrast(NOT_APPLICABLE_STROKE, "#ffffff") >= 3.0);
        // Missing fills are mutually distinct.
        let fills = [NO_DATA, UNKNOWN, NOT_APPLICABLE, HATCH_BACKGROUND];
        for i in 0..fills.len() {
            for j in i + 1..fills.len() {
                assert_ne!(fills[i], fills[j]);
            }
        }
    }

    #[test]
    fn text_contrast() {
        assert_eq!(text_on("#ffffff"), "#000000");
        assert_eq!(text_on("#000"), "#ffffff");
        assert_eq!(text_on("#11286e"), "#ffffff");
        assert_eq!(text_on("#f0f7b2"), "#000000");
        assert_eq!(text_on("url(#x)"), "#000000");
        for k in 1..=9 {
            for c in sequential(k).into_iter().chain(diverging(k.max(2))) {
                assert!(contrast(text_on(c), c) >= 4.5, "{c}");
            }
        }
    }

    #[test]
    fn hatch() {
        let d = hatch_defs("m1");
        assert!(d.starts_with("<defs><pattern id=\"m1-hatch\""));
        assert!(d.ends_with("</pattern></defs>"));
    }
}
