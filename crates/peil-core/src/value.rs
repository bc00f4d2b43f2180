//! Values and missing codes: in a total, `x` (hidden) and `?` (unknown) poison, `nvt` (not
//! applicable) and `-` (empty, the same as no record) are skipped.
//!
//! A value is either a number or one of four missing codes. The codes are a proper type:
//! nothing outside input parsing and the storage encoding ever sees `-99999` as a float.

use crate::text::Locale;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value is missing. Each code has a fixed Swing number and display symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MissingCode {
    /// `-99999`, shown `?`: unknown ("ten onrechte geen antwoord"). Poisons sums.
    Unknown,
    /// `-99997`, shown `x`: hidden by the source or by Peil's privacy rules. Poisons sums.
    Hidden,
    /// `-99998`, shown `nvt`: not applicable. Skipped by sums.
    NotApplicable,
    /// `-99996`, shown `-`: empty, the same as no record. Skipped by sums.
    Empty,
}

impl MissingCode {
    pub const ALL: [MissingCode; 4] = [
        MissingCode::Unknown,
        MissingCode::Hidden,
        MissingCode::NotApplicable,
        MissingCode::Empty,
    ];

    /// The Swing numeric code.
    pub fn number(self) -> i32 {
        match self {
            MissingCode::Unknown => -99999,
            MissingCode::Hidden => -99997,
            MissingCode::NotApplicable => -99998,
            MissingCode::Empty => -99996,
        }
    }

    /// The symbol shown to readers and written in exports.
    pub fn symbol(self) -> &'static str {
        match self {
            MissingCode::Unknown => "?",
            MissingCode::Hidden => "x",
            MissingCode::NotApplicable => "nvt",
            MissingCode::Empty => "-",
        }
    }

    pub fn from_number(n: f64) -> Option<MissingCode> {
        if n.fract() != 0.0 {
            return None;
        }
        MissingCode::ALL
            .into_iter()
            .find(|c| c.number() as f64 == n)
    }

    pub fn from_symbol(s: &str) -> Option<MissingCode> {
        let s = s.trim();
        MissingCode::ALL
            .into_iter()
            .find(|c| c.symbol().eq_ignore_ascii_case(s))
    }
    /// Which code wins when two meet in a total: hidden before unknown (a censored input
    /// censors the result), then not-applicable, then empty. The one precedence of the
    /// engine's sums and of duplicate records added up at import.
    pub fn stronger(self, other: MissingCode) -> MissingCode {
        let rank = |c| match c {
            MissingCode::Hidden => 0,
            MissingCode::Unknown => 1,
            MissingCode::NotApplicable => 2,
            MissingCode::Empty => 3,
        };
        if rank(self) <= rank(other) {
            self
        } else {
            other
        }
    }

    /// Whether a sum or formula using this code becomes missing itself.
    pub fn poisons(self) -> bool {
        matches!(self, MissingCode::Unknown | MissingCode::Hidden)
    }

    /// Small stable tag used by storage encodings (1..=4; 0 means "a number").
    pub fn tag(self) -> u8 {
        match self {
            MissingCode::Unknown => 1,
            MissingCode::Hidden => 2,
            MissingCode::NotApplicable => 3,
            MissingCode::Empty => 4,
        }
    }

    pub fn from_tag(tag: u8) -> Option<MissingCode> {
        MissingCode::ALL.into_iter().find(|c| c.tag() == tag)
    }
}

/// One statistical value: a number or a missing code.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Number(f64),
    Missing(MissingCode),
}

impl Value {
    pub fn number(self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n),
            Value::Missing(_) => None,
        }
    }

    /// Turns a raw number into a value, recognising Swing's numeric missing codes.
    pub fn from_f64(n: f64) -> Value {
        match MissingCode::from_number(n) {
            Some(code) => Value::Missing(code),
            None => Value::Number(n),
        }
    }

    /// Bit-exact equality (NaN never occurs: parsing rejects it).
    pub fn same_as(self, other: Value) -> bool {
        match (self, other) {
            (Value::Number(a), Value::Number(b)) => a.to_bits() == b.to_bits(),
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for Value {
    /// Exports write numbers as [`push_number`] does and missing codes as symbols.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) => {
                let mut s = String::with_capacity(24);
                push_number(&mut s, *n);
                f.write_str(&s)
            }
            Value::Missing(code) => f.write_str(code.symbol()),
        }
    }
}

/// How Peil writes a number for machines, everywhere (exports, API answers, CSV, JSON, OData
/// `ValueString`, selection tables; people get [`human_number`]): the shortest decimal that reads back as the same f64, never with an
/// exponent, `0` for both zeros. The digits are `ryu`'s (fast: formatting numbers is the
/// largest cost of big answers); where two shortest decimals are equally close, `ryu`'s choice
/// is kept (both read back as the same f64). A non-finite number (the engine never publishes
/// one) is written as Rust writes it.
pub fn push_number(out: &mut String, n: f64) {
    use std::fmt::Write as _;
    if n == 0.0 {
        out.push('0');
    } else if !n.is_finite() {
        let _ = write!(out, "{n}");
    } else if n.abs() < 9_007_199_254_740_992.0 && (n as i64) as f64 == n {
        // Below 2^53 a whole f64 is exactly that integer, and its shortest digits are all of it.
        out.push_str(itoa::Buffer::new().format(n as i64));
    } else if push_few_decimals(out, n) {
    } else {
        let mut b = ryu::Buffer::new();
        let t = b.format_finite(n);
        if !t.contains('e') {
            out.push_str(t.strip_suffix(".0").unwrap_or(t));
            return;
        }
        // ryu chose an exponent: the same digits written out in full.
        let (digits, exp) = shortest_digits(n.abs());
        if n < 0.0 {
            out.push('-');
        }
        let digits: String = digits.iter().map(|d| (b'0' + d) as char).collect();
        let point = exp + 1; // digits before the decimal mark
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else if point as usize >= digits.len() {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
        } else {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        }
    }
}

/// Writes `n` if one to four digits after the point read back as it (most published figures:
/// amounts in cents, shares in tenths of a percent), with integer digits instead of `ryu`'s
/// general search, several times faster. Writes nothing and says `false` otherwise.
///
/// Why the text is the one `ryu` writes: the integer `m` nearest to `n`·10⁴ is what `n * 1e4`
/// rounds to, as long as |`m`| < 2^50: then `n`'s spacing times 10⁴ is at most 1/8, so the float
/// product is within 1/4 of the decimal it stands for. `m / 1e4` (two exact integers, one
/// correctly rounded division) equals `n` exactly when the decimal `m`/10⁴ reads back as `n`,
/// and it is then the only decimal with four digits after the point that does (two would be
/// 10⁻⁴ apart, more than the spacing). Without its trailing zeros it is the shortest that
/// does: a shorter one would also be one with four digits, so this one. No tie to break.
/// Only hardware conversions: `f64::round` and `fract` are software on the base x86-64.
fn push_few_decimals(out: &mut String, n: f64) -> bool {
    const LIMIT: f64 = (1u64 << 50) as f64;
    // `n` is finite: `scaled` is a number or infinite, never NaN.
    let scaled = n * 1e4;
    if scaled.abs() >= LIMIT {
        return false;
    }
    // The nearest integer: `as` truncates towards zero.
    let m = (scaled + if scaled < 0.0 { -0.5 } else { 0.5 }) as i64;
    if m as f64 / 1e4 != n {
        return false;
    }
    let a = m.unsigned_abs();
    let frac = (a % 10_000) as usize;
    if frac == 0 {
        return false;
    }
    if n < 0.0 {
        out.push('-');
    }
    out.push_str(itoa::Buffer::new().format(a / 10_000));
    out.push_str(&FRACTIONS[frac * 5..frac * 5 + usize::from(FRACTION_LEN[frac])]);
    true
}

/// `.dddd` for every four-digit fraction `f` (0 to 9999) at `5·f`: `.0001`, `.0002`, … `.9999`.
static FRACTIONS: &str = match std::str::from_utf8(&FRACTION_BYTES) {
    Ok(s) => s,
    Err(_) => panic!("the fractions are ASCII"),
};

static FRACTION_BYTES: [u8; 50_000] = {
    let mut b = [0u8; 50_000];
    let mut f = 0;
    while f < 10_000 {
        b[f * 5] = b'.';
        b[f * 5 + 1] = b'0' + (f / 1000) as u8;
        b[f * 5 + 2] = b'0' + (f / 100 % 10) as u8;
        b[f * 5 + 3] = b'0' + (f / 10 % 10) as u8;
        b[f * 5 + 4] = b'0' + (f % 10) as u8;
        f += 1;
    }
    b
};

/// How much of `f`'s `.dddd` to write: its trailing zeros left out (`.5000` is `.5`).
static FRACTION_LEN: [u8; 10_000] = {
    let mut len = [5u8; 10_000];
    let mut f = 1;
    while f < 10_000 {
        let mut x = f;
        while x % 10 == 0 {
            len[f] -= 1;
            x /= 10;
        }
        f += 1;
    }
    len
};

/// The shortest round-trip decimal digits of a finite `a` ≥ 0 and the exponent of the first:
/// 1234.5 is ([1, 2, 3, 4, 5], 3), 0.00012 is ([1, 2], -4), 0 is ([0], 0) — what `{:e}` gives,
/// from `ryu`: the digits [`push_number`] writes and pages round (`peil_render::format`).
pub fn shortest_digits(a: f64) -> (Vec<u8>, i64) {
    if a == 0.0 {
        return (vec![0], 0);
    }
    let mut b = ryu::Buffer::new();
    let t = b.format_finite(a);
    let (mantissa, exp) = t.split_once('e').unwrap_or((t, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: Vec<u8> = int
        .bytes()
        .chain(frac.bytes())
        .map(|c| c.wrapping_sub(b'0'))
        .collect();
    let lead = all.iter().take_while(|&&d| d == 0).count();
    let mut digits = all[lead.min(all.len())..].to_vec();
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        return (vec![0], 0);
    }
    // The first significant digit sits at 10^(int.len() - 1 - lead) before the exponent.
    (digits, exp + int.len() as i64 - 1 - lead as i64)
}

/// How Peil writes a number for people, everywhere (pages, charts, maps, stories, PDFs): the
/// number rounded to `decimals` digits and written in the locale. One rule for all of them:
///
/// - `nl` and `fr` write a decimal comma and group thousands with U+202F (narrow no-break
///   space): `12 345,6`; `en` writes `12,345.6`. Digits are grouped only from 10 000 upward,
///   in every locale: `1234` but `12 345`, so a four-digit number never gets a lonely separator.
/// - Rounding is half away from zero on the number as written (its shortest decimal, the
///   digits [`push_number`] writes), not on the binary float: with two decimals `0.125` is
///   `0,13` and `2.675` is `2,68`; with none `-2.5` is `−3`.
/// - Negative numbers use the minus sign U+2212 (`−3,5`), never a hyphen; a number that
///   rounds to zero has no sign (`-0.0001` with one decimal is `0,0`, `-0` is `0`).
/// - NaN is written as the unknown symbol `?`, infinities as `∞` and `−∞` (the engine never
///   publishes either).
pub fn human_number(x: f64, decimals: usize, locale: Locale) -> String {
    let mut out = String::with_capacity(24);
    push_human_number(&mut out, x, decimals, locale);
    out
}

/// [`human_number`] appended to `out` (no string of its own: maps write thousands).
pub fn push_human_number(out: &mut String, x: f64, decimals: usize, locale: Locale) {
    const MINUS: char = '\u{2212}';
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
    // Most numbers: the rounded scaled value as one integer, its digits written by itoa.
    if let Some(n) = fast_round(x.abs(), decimals) {
        if x < 0.0 && n != 0 {
            out.push(MINUS);
        }
        let mut buf = itoa::Buffer::new();
        Digits::scaled(&mut buf, n, decimals).push(out, locale);
        return;
    }
    let (digits, point) = round_digits(x.abs(), decimals);
    if x < 0.0 && digits.iter().any(|&d| d != 0) {
        out.push(MINUS);
    }
    let text: String = digits.iter().map(|&d| char::from(b'0' + d)).collect();
    let (int, frac) = text.split_at(point);
    Digits {
        int,
        zeros: 0,
        frac,
    }
    .push(out, locale);
}

/// A rounded number as ASCII digits: `int` before the decimal mark (empty for 0), then
/// `zeros` zeros and `frac` after it.
struct Digits<'a> {
    int: &'a str,
    zeros: usize,
    frac: &'a str,
}

impl<'a> Digits<'a> {
    /// The digits of a value rounded and scaled by 10^`decimals` to the integer `n`.
    fn scaled(buf: &'a mut itoa::Buffer, n: u64, decimals: usize) -> Digits<'a> {
        let text = buf.format(n);
        match text.len().checked_sub(decimals) {
            Some(point) if point > 0 => {
                let (int, frac) = text.split_at(point);
                Digits {
                    int,
                    zeros: 0,
                    frac,
                }
            }
            _ => Digits {
                int: "",
                zeros: decimals - text.len(),
                frac: text,
            },
        }
    }

    /// Writes the digits with the locale's marks, grouped by three from five integer digits
    /// on, in a few slices (maps and tables write thousands of numbers per page).
    fn push(&self, out: &mut String, locale: Locale) {
        let int = self.int;
        if int.is_empty() {
            out.push('0');
        } else if int.len() >= 5 {
            let mark = locale.group_mark();
            let head = match int.len() % 3 {
                0 => 3,
                h => h,
            };
            out.push_str(&int[..head]);
            let mut at = head;
            while at < int.len() {
                out.push(mark);
                out.push_str(&int[at..at + 3]);
                at += 3;
            }
        } else {
            out.push_str(int);
        }
        if self.zeros + self.frac.len() > 0 {
            out.push(locale.decimal_mark());
            for _ in 0..self.zeros {
                out.push('0');
            }
            out.push_str(self.frac);
        }
    }
}

/// `a` × 10^`decimals` rounded to an integer, when rounding the binary value gives the same
/// digits as rounding its shortest decimal: whenever the scaled value is not within a few
/// ulps of a tie (…5), so no decimal search is needed. `None` for ties and huge numbers,
/// which take the exact path.
fn fast_round(a: f64, decimals: usize) -> Option<u64> {
    if decimals > 15 {
        return None;
    }
    let scaled = a * 10f64.powi(decimals as i32);
    if scaled.is_nan() || scaled >= 1e15 {
        return None;
    }
    let floor = scaled.floor();
    let frac = scaled - floor;
    let margin = 8.0 * f64::EPSILON * scaled.max(1.0);
    ((frac - 0.5).abs() > margin).then_some(if frac > 0.5 { floor + 1.0 } else { floor } as u64)
}

/// Rounds |x| half away from zero to `decimals` digits, working on the shortest decimal
/// representation of x (the rule itself; [`fast_round`] is its shortcut). Returns the digits
/// and how many of them precede the decimal mark.
fn round_digits(a: f64, decimals: usize) -> (Vec<u8>, usize) {
    let (mut digits, exp) = shortest_digits(a);
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

/// Which character separates the integer part from the fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecimalSeparator {
    Point,
    Comma,
}

/// What a cell of an import file contains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// Nothing at all: no record.
    Blank,
    Value(Value),
}

/// A cell that is not a number nor a known missing symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotANumber;

/// Parses one cell of an import file.
///
/// Accepts numbers with the given decimal separator (thousands separators of the other kind
/// and spaces, including non-breaking and thin spaces, are allowed between digit groups),
/// scientific notation, Swing's numeric codes (`-99999`, also as `-99999.0`), and the symbols
/// `x`, `?`, `nvt`, `-`. An empty or all-space cell is [`Cell::Blank`].
pub fn parse_cell(raw: &str, decimal: DecimalSeparator) -> Result<Cell, NotANumber> {
    let s = raw.trim_matches(|c: char| c.is_whitespace());
    if s.is_empty() {
        return Ok(Cell::Blank);
    }
    if let Some(code) = MissingCode::from_symbol(s) {
        return Ok(Cell::Value(Value::Missing(code)));
    }
    parse_number(s, decimal)
        .map(|n| Cell::Value(Value::from_f64(n)))
        .ok_or(NotANumber)
}

/// Parses a number written by a person or a spreadsheet program.
pub fn parse_number(s: &str, decimal: DecimalSeparator) -> Option<f64> {
    let s = s.trim();
    let (dec, group) = match decimal {
        DecimalSeparator::Point => ('.', ','),
        DecimalSeparator::Comma => (',', '.'),
    };
    let mut out = String::with_capacity(s.len());
    let mut seen_dec = false;
    let mut seen_exp = false;
    let mut prev_digit = false;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next_digit = chars.get(i + 1).is_some_and(|c| c.is_ascii_digit());
        match c {
            '0'..='9' => {
                out.push(c);
                prev_digit = true;
                continue;
            }
            '+' | '-' if i == 0 || matches!(chars[i - 1], 'e' | 'E') => out.push(c),
            'e' | 'E' if prev_digit && !seen_exp => {
                seen_exp = true;
                out.push('e');
            }
            c if c == dec && !seen_dec && !seen_exp => {
                seen_dec = true;
                out.push('.');
            }
            // Grouping: only between digits, never after the decimal separator.
            c if (c == group
                || c == ' '
                || c == '\u{a0}'
                || c == '\u{202f}'
                || c == '\u{2009}')
                && prev_digit
                && next_digit
                && !seen_dec
                && !seen_exp =>
            {
                // Groups of exactly three digits follow a separator.
                let run = chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                if run != 3 {
                    return None;
                }
            }
            _ => return None,
        }
        prev_digit = false;
    }
    if !out.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: f64 = out.parse().ok()?;
    n.is_finite().then_some(n)
}

/// Decides the decimal separator of a file from sample cells.
///
/// `Ok(None)` means the sample does not tell (only integers); `Err((i, j))` gives the indices
/// of a cell with a decimal point and a cell with a decimal comma that contradict each other.
pub fn detect_decimal<'a>(
    cells: impl IntoIterator<Item = &'a str>,
) -> Result<Option<DecimalSeparator>, (usize, usize)> {
    let mut point: Option<usize> = None;
    let mut comma: Option<usize> = None;
    for (i, c) in cells.into_iter().enumerate() {
        let c = c.trim();
        if c.is_empty() || MissingCode::from_symbol(c).is_some() {
            continue;
        }
        let last_point = c.rfind('.');
        let last_comma = c.rfind(',');
        match (last_point, last_comma) {
            (Some(p), Some(q)) => {
                if p > q {
                    point.get_or_insert(i);
                } else {
                    comma.get_or_insert(i);
                }
            }
            (Some(p), None) => {
                // "1.234" alone could be a thousands group; only count it when it cannot be.
                if c.matches('.').count() == 1 && c.len() - p - 1 != 3 {
                    point.get_or_insert(i);
                }
            }
            (None, Some(q)) => {
                if c.matches(',').count() == 1 && c.len() - q - 1 != 3 {
                    comma.get_or_insert(i);
                }
            }
            (None, None) => {}
        }
    }
    match (point, comma) {
        (Some(p), Some(c)) => Err((p, c)),
        (Some(_), None) => Ok(Some(DecimalSeparator::Point)),
        (None, Some(_)) => Ok(Some(DecimalSeparator::Comma)),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DecimalSeparator::*;

    fn num(s: &str, d: DecimalSeparator) -> Option<f64> {
        match parse_cell(s, d) {
            Ok(Cell::Value(Value::Number(n))) => Some(n),
            _ => None,
        }
    }

    #[test]
    fn numbers_in_both_conventions() {
        let cases: &[(&str, DecimalSeparator, Option<f64>)] = &[
            ("12", Point, Some(12.0)),
            ("12.5", Point, Some(12.5)),
            ("12,5", Comma, Some(12.5)),
            ("1.234,5", Comma, Some(1234.5)),
            ("1,234.5", Point, Some(1234.5)),
            ("1 234,5", Comma, Some(1234.5)),
            ("1\u{202f}234", Comma, Some(1234.0)),
            ("-3.25", Point, Some(-3.25)),
            ("+7", Point, Some(7.0)),
            ("1e5", Point, Some(100000.0)),
            ("2.5E-3", Point, Some(0.0025)),
            (".5", Point, Some(0.5)),
            ("12,5", Point, None),
            ("1,23", Point, None),
            ("abc", Point, None),
            ("12a", Point, None),
            ("1.2.3", Point, None),
            ("NaN", Point, None),
            ("inf", Point, None),
            ("--1", Point, None),
            ("1-", Point, None),
        ];
        for (s, d, want) in cases {
            assert_eq!(num(s, *d), *want, "{s:?} with {d:?}");
        }
    }

    #[test]
    fn missing_symbols_and_codes() {
        let cases = [
            ("x", MissingCode::Hidden),
            ("X", MissingCode::Hidden),
            ("?", MissingCode::Unknown),
            ("nvt", MissingCode::NotApplicable),
            ("NVT", MissingCode::NotApplicable),
            ("-", MissingCode::Empty),
            ("-99999", MissingCode::Unknown),
            ("-99999.0", MissingCode::Unknown),
            ("-99997", MissingCode::Hidden),
            ("-99998", MissingCode::NotApplicable),
            ("-99996", MissingCode::Empty),
            ("-99996,0", MissingCode::Empty),
        ];
        for (s, code) in cases {
            assert_eq!(
                parse_cell(s, Comma.min_for(s)),
                Ok(Cell::Value(Value::Missing(code))),
                "{s}"
            );
        }
        assert_eq!(parse_cell("", Point), Ok(Cell::Blank));
        assert_eq!(parse_cell("  ", Point), Ok(Cell::Blank));
        assert_eq!(
            parse_cell("-99999.5", Point),
            Ok(Cell::Value(Value::Number(-99999.5)))
        );
    }

    impl DecimalSeparator {
        fn min_for(self, s: &str) -> DecimalSeparator {
            if s.contains(',') { Comma } else { Point }
        }
    }

    #[test]
    fn decimal_detection() {
        assert_eq!(detect_decimal(["1", "2,5", "3"]), Ok(Some(Comma)));
        assert_eq!(detect_decimal(["1", "2.5", "x"]), Ok(Some(Point)));
        assert_eq!(detect_decimal(["1.234,5"]), Ok(Some(Comma)));
        assert_eq!(detect_decimal(["1,234.5"]), Ok(Some(Point)));
        assert_eq!(detect_decimal(["1", "2"]), Ok(None));
        assert_eq!(detect_decimal(["1.234"]), Ok(None));
        assert_eq!(detect_decimal(["1", "1.5", "2,5"]), Err((1, 2)));
    }

    #[test]
    fn shortest_digits_are_those_of_the_e_format() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..200_000u64 {
            let r = next();
            let a = match i % 5 {
                0 => (r % 10_000_000_000) as f64 / 100.0,
                1 => (r % 1_000_000) as f64 / 1000.0 + (next() % 1000) as f64 / 7.0,
                2 => f64::from_bits(r & 0x7fff_ffff_ffff_ffff),
                3 => (r % 1000) as f64 * 1e-9,
                _ => (r % 100_000) as f64,
            };
            if !a.is_finite() {
                continue;
            }
            let sci = format!("{a:e}");
            let (m, e) = sci.split_once('e').unwrap();
            let want: Vec<u8> = m
                .bytes()
                .filter(u8::is_ascii_digit)
                .map(|b| b - b'0')
                .collect();
            let want_exp: i64 = e.parse().unwrap();
            let (got, exp) = shortest_digits(a);
            if (got.clone(), exp) != (want.clone(), want_exp) {
                // Two shortest decimals equally close: either reads back as the same f64.
                assert_eq!(got.len(), want.len(), "{a:e}");
                assert_eq!(exp, want_exp, "{a:e}");
                let text: String = got.iter().map(|d| (b'0' + d) as char).collect();
                let back: f64 = format!("0.{text}e{}", exp + 1).parse().unwrap();
                assert_eq!(back, a, "{a:e}");
            }
        }
        assert_eq!(shortest_digits(0.0), (vec![0], 0));
        assert_eq!(shortest_digits(1234.5), (vec![1, 2, 3, 4, 5], 3));
        assert_eq!(shortest_digits(0.00012), (vec![1, 2], -4));
        assert_eq!(shortest_digits(1e21), (vec![1], 21));
        assert_eq!(shortest_digits(100.0), (vec![1], 2));
    }

    #[test]
    fn numbers_are_the_shortest_decimal_that_reads_back() {
        // A small deterministic generator: decimals of every size, sums of decimals (with
        // float noise), integers, tiny and huge numbers, random bit patterns.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let significant = |t: &str| -> usize {
            let d: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
            let d = d.trim_start_matches('0');
            let d = if t.contains('.') {
                d
            } else {
                d.trim_end_matches('0')
            };
            d.len().max(1)
        };
        let mut checked = 0;
        for i in 0..300_000u64 {
            let r = next();
            let n = match i % 7 {
                0 => (r % 10_000_000_000) as f64 / 100.0,
                1 => (r % 1_000_000) as f64 / 1000.0 + (next() % 1000) as f64 / 7.0,
                2 => -((r % 1_000_000_000_000_000) as f64),
                3 => f64::from_bits(r),
                4 => (r % 1000) as f64 * 1e-9,
                5 => (r % 1000) as f64 * 1e18 + 0.5,
                _ => (r % 100_000) as f64 / 10.0,
            };
            if !n.is_finite() {
                continue;
            }
            let mut t = String::new();
            push_number(&mut t, n);
            assert!(!t.contains(['e', 'E']), "{t}");
            assert_eq!(
                t.parse::<f64>().unwrap(),
                if n == 0.0 { 0.0 } else { n },
                "{t}"
            );
            // As short as Rust's own shortest form (which may only differ in a tie's last digit).
            let std = format!("{n}");
            assert_eq!(significant(&t), significant(&std), "{t} vs {std}");
            if n.abs() < 1e15 && n.abs() > 1e-5 && n != 0.0 {
                // In the usual range the text is Rust's, but for a tie in the last digit.
                if t != std {
                    assert_eq!(t.len(), std.len(), "{t} vs {std}");
                }
            }
            checked += 1;
        }
        assert!(checked > 250_000);
        for (n, t) in [
            (0.0, "0"),
            (-0.0, "0"),
            (-0.000001, "-0.000001"),
            (9007199254740993.0, "9007199254740992"),
            (1e16, "10000000000000000"),
            (3.0, "3"),
            (2.5, "2.5"),
            (-1234.5, "-1234.5"),
            (1e-7, "0.0000001"),
            (1.5e-7, "0.00000015"),
            (1e21, "1000000000000000000000"),
            (1.25e20, "125000000000000000000"),
            (123456789.123, "123456789.123"),
        ] {
            let mut s = String::new();
            push_number(&mut s, n);
            assert_eq!(s, t);
        }
    }

    #[test]
    fn few_decimals_are_written_as_ryu_writes_them() {
        // Against `ryu` itself (no exponent in this range): every number the fast path takes
        // gets the same text, and it takes the usual published figures.
        let ryu_text = |n: f64| -> String {
            let mut b = ryu::Buffer::new();
            let t = b.format_finite(n);
            assert!(!t.contains('e'), "{t}");
            t.strip_suffix(".0").unwrap_or(t).to_string()
        };
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut taken = 0;
        let mut tried = 0;
        for i in 0..400_000u64 {
            let r = next();
            let digits = (r >> 60) % 7; // 0..=6 digits after the point
            let mag = 10u64.pow(((r >> 56) % 16) as u32);
            let n = match i % 5 {
                0 => (r % mag) as f64 / 10f64.powi(digits as i32),
                1 => -((r % mag) as f64) / 10f64.powi(digits as i32),
                // Sums of decimals, with float noise.
                2 => (r % 100_000) as f64 / 100.0 + (next() % 100_000) as f64 / 100.0,
                // Near the limit of 2^50 scaled.
                3 => ((1u64 << 50) - (r % 4096)) as f64 / 10f64.powi(1 + (r % 4) as i32),
                _ => f64::from_bits((r >> 2) | 0x3C00_0000_0000_0000) * 1e6,
            };
            if n == 0.0 || !n.is_finite() || n.fract() == 0.0 || n.abs() >= 1e15 || n.abs() < 1e-4 {
                continue;
            }
            tried += 1;
            let mut t = String::new();
            if push_few_decimals(&mut t, n) {
                taken += 1;
                assert_eq!(t, ryu_text(n), "{n:e}");
            }
        }
        assert!(taken > tried / 3, "{taken} of {tried}");
        for (n, t) in [
            (0.5, "0.5"),
            (-0.05, "-0.05"),
            (0.0001, "0.0001"),
            (4598191.45, "4598191.45"),
            (-1234.5, "-1234.5"),
            (12.3401, "12.3401"),
        ] {
            let mut s = String::new();
            assert!(push_few_decimals(&mut s, n), "{n}");
            assert_eq!(s, t);
        }
        // Five digits, float noise, and past the limit: left to ryu.
        for n in [0.00001, 0.1 + 0.2, 5773601.800000001, 1e15 + 0.5] {
            assert!(!push_few_decimals(&mut String::new(), n), "{n}");
        }
    }

    #[test]
    fn human_numbers() {
        use Locale::*;
        let nnbsp = '\u{202f}';
        let cases: &[(f64, usize, Locale, &str)] = &[
            // Ties round half away from zero on the decimal as written.
            (0.125, 2, Nl, "0,13"),
            (2.675, 2, Nl, "2,68"),
            (2.675, 2, En, "2.68"),
            (1.005, 2, Fr, "1,01"),
            (0.35, 1, Nl, "0,4"),
            (2.5, 0, Nl, "3"),
            (-2.5, 0, Nl, "\u{2212}3"),
            (-0.125, 2, En, "\u{2212}0.13"),
            (9.96, 1, Nl, "10,0"),
            // Minus zero and what rounds to zero have no sign.
            (-0.0, 0, Nl, "0"),
            (-0.0, 2, En, "0.00"),
            (-0.0001, 1, Nl, "0,0"),
            (-0.0001, 1, En, "0.0"),
            (-0.04, 1, Fr, "0,0"),
            // Grouping from five digits up.
            (1234.0, 0, Nl, "1234"),
            (1234.0, 0, En, "1234"),
            (12345.6, 1, En, "12,345.6"),
            (-1234567.891, 2, En, "\u{2212}1,234,567.89"),
            (9999.5, 0, Nl, "10\u{202f}000"),
            (1e21, 0, En, "1,000,000,000,000,000,000,000"),
            (
                123456789012.0,
                0,
                Fr,
                "123\u{202f}456\u{202f}789\u{202f}012",
            ),
            (1e-7, 3, Nl, "0,000"),
            (12.0, 2, Nl, "12,00"),
            (f64::NAN, 1, Nl, "?"),
            (f64::NEG_INFINITY, 0, En, "\u{2212}∞"),
        ];
        for (x, d, l, want) in cases {
            assert_eq!(human_number(*x, *d, *l), *want, "{x} {d} {l:?}");
        }
        assert_eq!(human_number(12345.6, 1, Fr), format!("12{nnbsp}345,6"));
        assert_eq!(human_number(12345.6, 1, Nl), human_number(12345.6, 1, Fr));
    }

    #[test]
    fn display_writes_symbols() {
        assert_eq!(Value::Missing(MissingCode::Hidden).to_string(), "x");
        assert_eq!(Value::Number(2.5).to_string(), "2.5");
        assert_eq!(Value::Number(3.0).to_string(), "3");
    }

    proptest::proptest! {
        #[test]
        fn any_finite_number_round_trips_in_both_conventions(n in -1e12f64..1e12) {
            let point = format!("{n}");
            proptest::prop_assert_eq!(num(&point, Point), Some(n));
            let comma = point.replace('.', ",");
            proptest::prop_assert_eq!(num(&comma, Comma), Some(n));
        }

        #[test]
        fn grouped_integers_parse(n in 0u64..10_000_000_000) {
            let digits = n.to_string();
            let mut grouped = String::new();
            for (i, ch) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 { grouped.push('.'); }
                grouped.push(ch);
            }
            proptest::prop_assert_eq!(num(&grouped, Comma), Some(n as f64));
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,20}") {
            let _ = parse_cell(&s, Point);
            let _ = parse_cell(&s, Comma);
        }
    }

    /// The digits the fast path writes, when it applies.
    fn fast_digits(x: f64, decimals: usize) -> Option<(Vec<u8>, usize)> {
        let n = fast_round(x, decimals)?;
        let mut buf = itoa::Buffer::new();
        let d = Digits::scaled(&mut buf, n, decimals);
        let mut digits: Vec<u8> = d.int.bytes().map(|b| b - b'0').collect();
        if digits.is_empty() {
            digits.push(0);
        }
        let point = digits.len();
        digits.extend(std::iter::repeat_n(0, d.zeros));
        digits.extend(d.frac.bytes().map(|b| b - b'0'));
        Some((digits, point))
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
        for _ in 0..200_000 {
            let r = next();
            let decimals = (r % 5) as usize;
            let magnitude = 10f64.powi((r >> 8) as i32 % 13 - 3);
            let base = (next() % 1_000_000) as f64 / 1_000_000.0 * magnitude;
            // Every fourth value is a written tie at the rounding digit (…5).
            let x = if r % 4 == 0 {
                let p = 10f64.powi(decimals as i32);
                (base * p).trunc() / p + 0.5 / p
            } else {
                base
            };
            if let Some(fast) = fast_digits(x, decimals) {
                assert_eq!(
                    fast,
                    round_digits(x, decimals),
                    "{x} to {decimals} decimals"
                );
            }
            // The text, with its sign and marks, is the exact rule's too.
            let (digits, point) = round_digits(x, decimals);
            let mut want = String::new();
            if r % 3 == 0 && digits.iter().any(|&d| d != 0) {
                want.push('\u{2212}');
            }
            let text: String = digits.iter().map(|&d| char::from(b'0' + d)).collect();
            let (int, frac) = text.split_at(point);
            let int = int.trim_start_matches('0');
            Digits {
                int,
                zeros: 0,
                frac,
            }
            .push(&mut want, Locale::Nl);
            let signed = if r % 3 == 0 { -x } else { x };
            assert_eq!(human_number(signed, decimals, Locale::Nl), want, "{signed}");
        }
        for (x, d) in [
            (0.125, 2),
            (2.675, 2),
            (1.005, 2),
            (0.5, 0),
            (2.5, 0),
            (1e14 + 0.5, 0),
        ] {
            if let Some(fast) = fast_digits(x, d) {
                assert_eq!(fast, round_digits(x, d), "{x}");
            }
        }
    }
}
