//! Locale-aware number formatting for labels, tooltips, legends and tables.
//!
//! Conventions (the Flemish government's style guide, also used for French):
//!
//! - `nl` and `fr` write a decimal comma and group thousands with U+202F (narrow no-break
//!   space): `12 345,6`; `en` writes `12,345.6`.
//! - Digits are grouped only from 10 000 upward, in every locale: `1234` but `12 345`, so a
//!   four-digit number never gets a lonely separator.
//! - Negative numbers use the real minus sign U+2212 (`−3,5`), never a hyphen; a value that
//!   rounds to zero is written without a sign.
//! - Rounding is half away from zero on the number as written in its shortest decimal form,
//!   so `1.005` with two decimals is `1.01` and `-2.5` with none is `−3` (binary floating
//!   point would otherwise round some of these down).

use peil_core::{MissingCode, Value};

/// Narrow no-break space, the thousands separator in `nl` and `fr`.
pub(crate) const NNBSP: char = '\u{202f}';
/// No-break space, between a number and its unit.
pub(crate) const NBSP: char = '\u{a0}';
/// The minus sign.
pub(crate) const MINUS: char = '\u{2212}';

/// The languages Peil's pages and reports are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    /// Dutch (Flemish): decimal comma, narrow-space grouping.
    Nl,
    /// English: decimal point, comma grouping.
    En,
    /// French: decimal comma, narrow-space grouping.
    Fr,
}

impl Locale {
    /// Parses a language tag such as `nl`, `nl-BE`, `en_GB`, `FR`: only the primary subtag
    /// counts. Unknown languages give `None`.
    pub fn parse(s: &str) -> Option<Locale> {
        let primary = s.trim().split(['-', '_']).next().unwrap_or("");
        match primary.to_ascii_lowercase().as_str() {
            "nl" => Some(Locale::Nl),
            "en" => Some(Locale::En),
            "fr" => Some(Locale::Fr),
            _ => None,
        }
    }

    /// The two-letter language code (`nl`, `en`, `fr`), e.g. for `lang` attributes.
    pub fn code(self) -> &'static str {
        match self {
            Locale::Nl => "nl",
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }

    fn decimal_mark(self) -> char {
        match self {
            Locale::En => '.',
            Locale::Nl | Locale::Fr => ',',
        }
    }

    fn group_mark(self) -> char {
        match self {
            Locale::En => ',',
            Locale::Nl | Locale::Fr => NNBSP,
        }
    }
}

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
        write_number(x, self.decimals as usize, self.locale, true)
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
                push_number(out, x, self.decimals as usize, self.locale, true);
                append_unit(out, &self.unit, self.locale);
            }
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
            return trim_fraction(write_number(x, 6, self.locale, true), self.locale);
        };
        let mut s = trim_fraction(write_number(scaled, 3, self.locale, true), self.locale);
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

/// Rounds |x| half away from zero to `decimals` digits, working on the shortest decimal
/// representation of x. Returns the digits and how many of them precede the decimal mark.
fn round_digits(a: f64, decimals: usize) -> (Vec<u8>, usize) {
    // Fast path: rounding the binary value gives the same digits as rounding its shortest
    // decimal whenever the scaled value is not within a few ulps of a tie (…,5): then no
    // decimal search is needed. Ties and huge numbers take the exact path below.
    if decimals <= 15 {
        let scaled = a * 10f64.powi(decimals as i32);
        if scaled < 1e15 {
            let floor = scaled.floor();
            let frac = scaled - floor;
            let margin = 8.0 * f64::EPSILON * scaled.max(1.0);
            if (frac - 0.5).abs() > margin {
                let mut n = if frac > 0.5 { floor + 1.0 } else { floor } as u64;
                let mut digits = Vec::with_capacity(20);
                while n > 0 || digits.len() <= decimals {
                    digits.push((n % 10) as u8);
                    n /= 10;
                }
                digits.reverse();
                let point = digits.len() - decimals;
                return (digits, point);
            }
        }
    }
    round_digits_exact(a, decimals)
}

/// Rounds the shortest decimal that reads back as `a` (half up): the rule itself.
fn round_digits_exact(a: f64, decimals: usize) -> (Vec<u8>, usize) {
    let (mut digits, exp) = peil_core::value::shortest_digits(a);
    // Digits before the decimal mark.
    let mut point = exp + 1;
    if point <= 0 {
        let pad = (1 - point) as usize;
        digits.splice(0..0, std::iter::repeat_n(0, pad));
        point = 1;
    }
    let point = point as usize;
    let keep = point + decimals;
    if digits.len() < keep {
        digits.resize(keep, 0);
    }
    let round_up = digits.get(keep).is_some_and(|&d| d >= 5);
    digits.truncate(keep);
    let mut point = point;
    if round_up {
        let mut i = keep;
        loop {
            if i == 0 {
                digits.insert(0, 1);
                point += 1;
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    // Strip leading zeros of the integer part, keeping one.
    let lead = digits[..point - 1].iter().take_while(|&&d| d == 0).count();
    digits.drain(..lead);
    (digits, point - lead)
}

pub(crate) fn write_number(x: f64, decimals: usize, locale: Locale, group: bool) -> String {
    let mut out = String::with_capacity(24);
    push_number(&mut out, x, decimals, locale, group);
    out
}

/// [`write_number`] appended to `out`.
fn push_number(out: &mut String, x: f64, decimals: usize, locale: Locale, group: bool) {
    if x.is_nan() {
        out.push_str(MissingCode::Unknown.symbol());
        return;
    }
    if x.is_infinite() {
        if x < 0.0 {
            out.push(MINUS);
        }
        out.push('∞');
        return;
    }
    let (digits, point) = round_digits(x.abs(), decimals);
    if x < 0.0 && digits.iter().any(|&d| d != 0) {
        out.push(MINUS);
    }
    let int = &digits[..point];
    let grouped = group && int.len() >= 5;
    for (i, d) in int.iter().enumerate() {
        if grouped && i > 0 && (int.len() - i) % 3 == 0 {
            out.push(locale.group_mark());
        }
        out.push((b'0' + d) as char);
    }
    if decimals > 0 {
        out.push(locale.decimal_mark());
        for d in &digits[point..] {
            out.push((b'0' + d) as char);
        }
    }
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
    fn locale_parse_and_code() {
        assert_eq!(Locale::parse("nl"), Some(Locale::Nl));
        assert_eq!(Locale::parse("nl-BE"), Some(Locale::Nl));
        assert_eq!(Locale::parse("EN_gb"), Some(Locale::En));
        assert_eq!(Locale::parse("fr-BE"), Some(Locale::Fr));
        assert_eq!(Locale::parse("de"), None);
        assert_eq!(Locale::parse(""), None);
        for l in [Locale::Nl, Locale::En, Locale::Fr] {
            assert_eq!(Locale::parse(l.code()), Some(l));
        }
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

    #[test]
    fn fast_rounding_agrees_with_the_decimal_rule() {
        // Values near and far from ties, small and large, against the exact path.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut checked = 0;
        for _ in 0..200_000 {
            let r = next();
            let decimals = (r % 5) as usize;
            let magnitude = 10f64.powi((r >> 8) as i32 % 13 - 3);
            let base = (next() % 1_000_000) as f64 / 1_000_000.0 * magnitude;
            // Every fourth value is a written tie at the rounding digit (x.xx5).
            let x = if r % 4 == 0 {
                let p = 10f64.powi(decimals as i32 + 1);
                ((base * p).trunc() + 0.5).trunc() / p + 5.0 / (p * 10.0)
            } else {
                base
            };
            assert_eq!(
                round_digits(x, decimals),
                round_digits_exact(x, decimals),
                "{x} to {decimals} decimals"
            );
            checked += 1;
        }
        assert_eq!(checked, 200_000);
        for (x, d) in [
            (0.125, 2),
            (2.675, 2),
            (1.005, 2),
            (0.5, 0),
            (2.5, 0),
            (1e14 + 0.5, 0),
        ] {
            assert_eq!(round_digits(x, d), round_digits_exact(x, d), "{x}");
        }
    }
}
