//! Locale-aware number formatting for labels, tooltips, legends and tables.
//!
//! The digits, marks, grouping, sign and rounding are the one human rule,
//! [`peil_core::value::human_number`] (the Flemish government's style guide, also used for
//! French: `12 345,6` in nl and fr, `12,345.6` in en, `−3,5`, half away from zero on the
//! number as written); this module adds units, signs for changes and compact axis labels.

use peil_core::{MissingCode, Value};

/// No-break space, between a number and its unit.
pub(crate) const NBSP: char = '\u{a0}';
/// The minus sign.
pub(crate) const MINUS: char = '\u{2212}';

pub use peil_core::Locale;

/// How the numbers of one indicator are written: decimals, unit and locale.
#[derive(Debug, Clone)]
pub struct NumberFormat {
    /// Digits after the decimal mark (numbers are rounded, half away from zero).
    pub decimals: u8,
    /// Unit appended by [`NumberFormat::with_unit`]; empty for none. `%` is special-cased.
    pub unit: String,
    /// Language conventions for marks and words.
    pub locale: Locale,
}

impl NumberFormat {
    /// A format with `decimals` digits after the decimal mark and the given unit.
    pub fn new(decimals: u8, unit: &str, locale: Locale) -> NumberFormat {
        NumberFormat {
            decimals,
            unit: unit.to_string(),
            locale,
        }
    }

    /// The number rounded to `decimals` and written in the locale (see the module docs):
    /// `nl` `12 345,6`, `en` `12,345.6`, `−3,5`. NaN is written as the unknown symbol `?`,
    /// infinities as `∞` and `−∞`.
    pub fn number(&self, x: f64) -> String {
        write_number(x, self.decimals as usize, self.locale)
    }

    /// The number, or for a missing value its symbol (`?`, `x`, `nvt`, `-`).
    pub fn value(&self, v: Value) -> String {
        match v {
            Value::Number(x) => self.number(x),
            Value::Missing(code) => code.symbol().to_string(),
        }
    }

    /// Like [`NumberFormat::value`], with the unit appended when it is not empty. `%` is
    /// written `12,5 %` in `nl` and `fr` (with U+00A0 before `%`) and `12.5%` in `en`; any
    /// other unit follows a no-break space: `1 234 inwoners`. Missing values never get a
    /// unit.
    pub fn with_unit(&self, v: Value) -> String {
        let mut s = String::new();
        self.push_with_unit(&mut s, v);
        s
    }

    /// [`NumberFormat::with_unit`] appended to `out` (no string of its own: maps write
    /// thousands of tooltips).
    pub fn push_with_unit(&self, out: &mut String, v: Value) {
        match v {
            Value::Missing(code) => out.push_str(code.symbol()),
            Value::Number(x) => {
                peil_core::value::push_human_number(out, x, self.decimals as usize, self.locale);
                append_unit(out, &self.unit, self.locale);
            }
        }
    }

    /// [`NumberFormat::push_with_unit`] HTML-escaped: numbers and missing symbols never need
    /// it, so only a unit with a markup character is escaped (the one home of that rule for
    /// tables, tooltips and titles).
    pub fn push_with_unit_html(&self, out: &mut String, v: Value) {
        if self.unit.contains(['&', '<', '>', '"', '\'']) {
            crate::escape_into(out, &self.with_unit(v));
        } else {
            self.push_with_unit(out, v);
        }
    }

    /// A compact axis label: `12 300` is `12,3 k` in `nl`/`fr` and `12.3k` in `en`,
    /// millions are `mln` (`nl`) or `M` (`en`, `fr`), milliards `mld` / `B` / `Md`.
    /// Abbreviation starts at 10 000, like digit grouping. The label shows the digits the
    /// tick needs (up to six decimals, trailing zeros dropped), not `decimals`, so that a
    /// 0.5 step on an integer indicator stays readable. The unit is not appended.
    pub fn axis(&self, x: f64) -> String {
        if !x.is_finite() {
            return self.number(x);
        }
        let a = x.abs();
        let (scaled, suffix) = if a >= 1e9 {
            (x / 1e9, ["mld", "B", "Md"])
        } else if a >= 1e6 {
            (x / 1e6, ["mln", "M", "M"])
        } else if a >= 1e4 {
            (x / 1e3, ["k", "k", "k"])
        } else {
            return trim_fraction(write_number(x, 6, self.locale), self.locale);
        };
        let mut s = trim_fraction(write_number(scaled, 3, self.locale), self.locale);
        let suffix = match self.locale {
            Locale::Nl => suffix[0],
            Locale::En => suffix[1],
            Locale::Fr => suffix[2],
        };
        if self.locale != Locale::En {
            s.push(NBSP);
        }
        s.push_str(suffix);
        s
    }

    /// The value with an explicit sign (`+1,2`, `−0,5`, `0`) and the unit, for changes.
    pub fn signed_with_unit(&self, v: Value) -> String {
        match v {
            Value::Number(x) => {
                let mut s = self.number(x);
                if !s.starts_with(MINUS) && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
                    s.insert(0, '+');
                }
                append_unit(&mut s, &self.unit, self.locale);
                s
            }
            Value::Missing(code) => code.symbol().to_string(),
        }
    }
}

fn append_unit(s: &mut String, unit: &str, locale: Locale) {
    if unit.is_empty() {
        return;
    }
    if unit == "%" && locale == Locale::En {
        s.push('%');
    } else {
        s.push(NBSP);
        s.push_str(unit);
    }
}

/// Drops trailing zeros (and a trailing decimal mark) of a formatted number.
fn trim_fraction(mut s: String, locale: Locale) -> String {
    let mark = locale.decimal_mark();
    if s.contains(mark) {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with(mark) {
            s.pop();
        }
    }
    s
}

/// The one human number rule ([`peil_core::value::human_number`]).
pub(crate) fn write_number(x: f64, decimals: usize, locale: Locale) -> String {
    peil_core::value::human_number(x, decimals, locale)
}

/// Human label for a missing code in the locale, for legends, tooltips and tables.
pub fn missing_label(code: MissingCode, locale: Locale) -> &'static str {
    use MissingCode::*;
    match (locale, code) {
        (Locale::Nl, Unknown) => "onbekend",
        (Locale::Nl, Hidden) => "geheim (privacy)",
        (Locale::Nl, NotApplicable) => "niet van toepassing",
        (Locale::Nl, Empty) => "geen gegevens",
        (Locale::En, Unknown) => "unknown",
        (Locale::En, Hidden) => "suppressed (privacy)",
        (Locale::En, NotApplicable) => "not applicable",
        (Locale::En, Empty) => "no data",
        (Locale::Fr, Unknown) => "inconnu",
        (Locale::Fr, Hidden) => "secret (confidentialité)",
        (Locale::Fr, NotApplicable) => "sans objet",
        (Locale::Fr, Empty) => "pas de données",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nl(d: u8, unit: &str) -> NumberFormat {
        NumberFormat::new(d, unit, Locale::Nl)
    }

    #[test]
    fn separators_per_locale() {
        assert_eq!(nl(1, "").number(12345.6), "12\u{202f}345,6");
        assert_eq!(
            NumberFormat::new(1, "", Locale::Fr).number(12345.6),
            "12\u{202f}345,6"
        );
        assert_eq!(
            NumberFormat::new(1, "", Locale::En).number(12345.6),
            "12,345.6"
        );
        // Four digits: no separator.
        assert_eq!(nl(0, "").number(1234.0), "1234");
        assert_eq!(NumberFormat::new(0, "", Locale::En).number(1234.0), "1234");
        assert_eq!(nl(0, "").number(1234567.0), "1\u{202f}234\u{202f}567");
        assert_eq!(
            NumberFormat::new(2, "", Locale::En).number(-1234567.891),
            "\u{2212}1,234,567.89"
        );
        assert_eq!(nl(0, "").number(100000.0), "100\u{202f}000");
    }

    #[test]
    fn rounding_half_away_from_zero() {
        assert_eq!(nl(0, "").number(2.5), "3");
        assert_eq!(nl(0, "").number(-2.5), "\u{2212}3");
        assert_eq!(nl(2, "").number(1.005), "1,01");
        assert_eq!(nl(1, "").number(0.35), "0,4");
        assert_eq!(nl(1, "").number(0.34), "0,3");
        assert_eq!(nl(1, "").number(9.96), "10,0");
        assert_eq!(nl(0, "").number(9999.5), "10\u{202f}000");
        assert_eq!(nl(2, "").number(0.0001), "0,00");
        assert_eq!(nl(3, "").number(1e-7), "0,000");
        assert_eq!(nl(0, "").number(0.5), "1");
        assert_eq!(nl(0, "").number(0.49), "0");
        assert_eq!(nl(2, "").number(12.0), "12,00");
        assert_eq!(
            nl(0, "").number(1e21),
            "1\u{202f}000\u{202f}000\u{202f}000\u{202f}000\u{202f}000\u{202f}000\u{202f}000"
        );
    }

    #[test]
    fn negatives_and_zero() {
        assert_eq!(nl(1, "").number(-3.54), "\u{2212}3,5");
        // Rounds to zero: no sign.
        assert_eq!(nl(1, "").number(-0.04), "0,0");
        assert_eq!(nl(0, "").number(-0.0), "0");
        assert_eq!(nl(0, "").number(f64::NAN), "?");
        assert_eq!(nl(0, "").number(f64::NEG_INFINITY), "\u{2212}∞");
    }

    #[test]
    fn values_and_units() {
        let pct = nl(1, "%");
        assert_eq!(pct.with_unit(Value::Number(12.5)), "12,5\u{a0}%");
        assert_eq!(
            NumberFormat::new(1, "%", Locale::Fr).with_unit(Value::Number(12.5)),
            "12,5\u{a0}%"
        );
        assert_eq!(
            NumberFormat::new(1, "%", Locale::En).with_unit(Value::Number(12.5)),
            "12.5%"
        );
        assert_eq!(
            nl(0, "inwoners").with_unit(Value::Number(12345.0)),
            "12\u{202f}345\u{a0}inwoners"
        );
        assert_eq!(
            NumberFormat::new(0, "inhabitants", Locale::En).with_unit(Value::Number(1234.0)),
            "1234\u{a0}inhabitants"
        );
        assert_eq!(nl(0, "").with_unit(Value::Number(7.0)), "7");
        for (code, sym) in [
            (MissingCode::Unknown, "?"),
            (MissingCode::Hidden, "x"),
            (MissingCode::NotApplicable, "nvt"),
            (MissingCode::Empty, "-"),
        ] {
            assert_eq!(pct.value(Value::Missing(code)), sym);
            assert_eq!(pct.with_unit(Value::Missing(code)), sym);
        }
        assert_eq!(pct.value(Value::Number(-1.25)), "\u{2212}1,3");
        assert_eq!(pct.signed_with_unit(Value::Number(1.23)), "+1,2\u{a0}%");
        assert_eq!(
            pct.signed_with_unit(Value::Number(-1.23)),
            "\u{2212}1,2\u{a0}%"
        );
        assert_eq!(pct.signed_with_unit(Value::Number(0.01)), "0,0\u{a0}%");
    }

    #[test]
    fn axis_labels() {
        let n = nl(0, "");
        let e = NumberFormat::new(0, "", Locale::En);
        let f = NumberFormat::new(0, "", Locale::Fr);
        assert_eq!(n.axis(12300.0), "12,3\u{a0}k");
        assert_eq!(e.axis(12300.0), "12.3k");
        assert_eq!(f.axis(12300.0), "12,3\u{a0}k");
        assert_eq!(n.axis(2_500_000.0), "2,5\u{a0}mln");
        assert_eq!(e.axis(2_500_000.0), "2.5M");
        assert_eq!(e.axis(-3e9), "\u{2212}3B");
        assert_eq!(n.axis(2000.0), "2000");
        assert_eq!(n.axis(0.5), "0,5");
        assert_eq!(e.axis(0.30000000000000004), "0.3");
        assert_eq!(n.axis(0.0), "0");
        assert_eq!(n.axis(-20000.0), "\u{2212}20\u{a0}k");
    }

    #[test]
    fn missing_labels() {
        assert_eq!(
            missing_label(MissingCode::Hidden, Locale::Nl),
            "geheim (privacy)"
        );
        assert_eq!(missing_label(MissingCode::Empty, Locale::En), "no data");
        assert_eq!(
            missing_label(MissingCode::NotApplicable, Locale::Fr),
            "sans objet"
        );
        // All labels in a locale are distinct.
        for l in [Locale::Nl, Locale::En, Locale::Fr] {
            let mut v: Vec<_> = MissingCode::ALL
                .iter()
                .map(|&c| missing_label(c, l))
                .collect();
            v.sort();
            v.dedup();
            assert_eq!(v.len(), 4);
        }
    }
}
