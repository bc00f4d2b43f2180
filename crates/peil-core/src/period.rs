//! Time: period levels, period codes, and period types (how finer periods make a coarser one:
//! flows sum, stocks take the last period, average stocks average, growth rates compound).
//!
//! Canonical codes are `2019`, `2019H1`, `2019Q3` and `2019M03`. The parser also accepts the
//! spellings that turn up in real files: `2019S1`, `2019-H1`, `2019HJ1`, `2019K3`, `2019-Q3`,
//! `2019 Q3`, `Q3 2019`, `2019-03`, `2019M3`, `03/2019`, and spreadsheet floats like `2019.0`.
//! What readers see is [`Period::label`] (or [`Period::short_label`] on chart axes), per
//! language; codes are for machines.

use crate::text::Locale;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Period level (periodeniveau), from fine to coarse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PeriodLevel {
    Month,
    Quarter,
    HalfYear,
    Year,
}

impl PeriodLevel {
    pub const ALL: [PeriodLevel; 4] = [
        PeriodLevel::Year,
        PeriodLevel::HalfYear,
        PeriodLevel::Quarter,
        PeriodLevel::Month,
    ];

    /// Number of periods of this level in a year.
    pub fn per_year(self) -> u32 {
        match self {
            PeriodLevel::Year => 1,
            PeriodLevel::HalfYear => 2,
            PeriodLevel::Quarter => 4,
            PeriodLevel::Month => 12,
        }
    }

    /// The code used in APIs and the store (Swing's period level names).
    pub fn code(self) -> &'static str {
        match self {
            PeriodLevel::Year => "year",
            PeriodLevel::HalfYear => "halfyear",
            PeriodLevel::Quarter => "quarter",
            PeriodLevel::Month => "month",
        }
    }

    /// The level's name for readers: `kwartaal`, `quarter`, `trimestre`.
    pub fn name(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (PeriodLevel::Year, Locale::Nl) => "jaar",
            (PeriodLevel::HalfYear, Locale::Nl) => "halfjaar",
            (PeriodLevel::Quarter, Locale::Nl) => "kwartaal",
            (PeriodLevel::Month, Locale::Nl) => "maand",
            (PeriodLevel::Year, Locale::En) => "year",
            (PeriodLevel::HalfYear, Locale::En) => "half year",
            (PeriodLevel::Quarter, Locale::En) => "quarter",
            (PeriodLevel::Month, Locale::En) => "month",
            (PeriodLevel::Year, Locale::Fr) => "année",
            (PeriodLevel::HalfYear, Locale::Fr) => "semestre",
            (PeriodLevel::Quarter, Locale::Fr) => "trimestre",
            (PeriodLevel::Month, Locale::Fr) => "mois",
        }
    }

    pub fn from_code(s: &str) -> Option<PeriodLevel> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "year" | "jaar" | "y" => Some(PeriodLevel::Year),
            "halfyear" | "halfjaar" | "semester" | "h" => Some(PeriodLevel::HalfYear),
            "quarter" | "kwartaal" | "q" => Some(PeriodLevel::Quarter),
            "month" | "maand" | "m" => Some(PeriodLevel::Month),
            _ => None,
        }
    }

    /// The next coarser level, if any.
    pub fn parent(self) -> Option<PeriodLevel> {
        match self {
            PeriodLevel::Month => Some(PeriodLevel::Quarter),
            PeriodLevel::Quarter => Some(PeriodLevel::HalfYear),
            PeriodLevel::HalfYear => Some(PeriodLevel::Year),
            PeriodLevel::Year => None,
        }
    }
}

/// The names readers see for period levels, per language: the name a site gave a level in
/// the back office where it gave one, else Peil's own ([`PeriodLevel::name`]). Codes never
/// change (they are the API's). Kept as level code → language code → name, the form the store
/// keeps and publishes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodLevelNames(
    pub std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
);

impl PeriodLevelNames {
    /// The level's name for readers in `locale`.
    pub fn name(&self, level: PeriodLevel, locale: Locale) -> &str {
        self.own(level, locale)
            .unwrap_or_else(|| level.name(locale))
    }

    /// The name the site gave the level in `locale`, if it gave one.
    pub fn own(&self, level: PeriodLevel, locale: Locale) -> Option<&str> {
        self.0
            .get(level.code())
            .and_then(|m| m.get(locale.code()))
            .map(String::as_str)
            .filter(|n| !n.is_empty())
    }

    /// Gives the level a name in `locale`; an empty name or Peil's own takes the site's away.
    pub fn set(&mut self, level: PeriodLevel, locale: Locale, name: &str) {
        let name = name.trim();
        let names = self.0.entry(level.code().to_string()).or_default();
        if name.is_empty() || name == level.name(locale) {
            names.remove(locale.code());
        } else {
            names.insert(locale.code().to_string(), name.to_string());
        }
        if names.is_empty() {
            self.0.remove(level.code());
        }
    }
}

/// One period: a level, a year and the 1-based index within the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Period {
    pub level: PeriodLevel,
    pub year: i32,
    /// 1 for years; 1–2 halves, 1–4 quarters, 1–12 months.
    pub index: u32,
}

/// Why a period code did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a period code (expected e.g. 2019, 2019H1, 2019Q3, 2019M03, or 'mrp' where allowed)"
)]
pub struct BadPeriod(pub String);

impl Period {
    pub fn year(year: i32) -> Period {
        Period {
            level: PeriodLevel::Year,
            year,
            index: 1,
        }
    }

    pub fn new(level: PeriodLevel, year: i32, index: u32) -> Option<Period> {
        ((1..=level.per_year()).contains(&index) && (1000..=9999).contains(&year))
            .then_some(Period { level, year, index })
    }

    /// Parses a period code in any accepted spelling.
    pub fn parse(raw: &str) -> Result<Period, BadPeriod> {
        parse_period(raw).ok_or_else(|| BadPeriod(raw.trim().to_string()))
    }

    pub fn code(&self) -> String {
        self.to_string()
    }

    /// A serial number that increases by one per period within a level.
    pub fn ordinal(&self) -> i64 {
        self.year as i64 * self.level.per_year() as i64 + (self.index as i64 - 1)
    }

    pub fn from_ordinal(level: PeriodLevel, ordinal: i64) -> Option<Period> {
        let n = level.per_year() as i64;
        let year = ordinal.div_euclid(n);
        let index = ordinal.rem_euclid(n) + 1;
        Period::new(level, i32::try_from(year).ok()?, index as u32)
    }

    /// The period `offset` steps away on the same level (`data_from_period(x, "-1")`).
    pub fn offset(&self, offset: i64) -> Option<Period> {
        Period::from_ordinal(self.level, self.ordinal() + offset)
    }

    /// The period of a coarser level containing this one.
    pub fn within(&self, level: PeriodLevel) -> Option<Period> {
        if level < self.level {
            return None;
        }
        let months_per = 12 / self.level.per_year();
        let first_month = (self.index - 1) * months_per;
        let target_months = 12 / level.per_year();
        Period::new(level, self.year, first_month / target_months + 1)
    }

    /// First and last day of the period as (year, month, day) triples.
    pub fn bounds(&self) -> ((i32, u32, u32), (i32, u32, u32)) {
        let months = 12 / self.level.per_year();
        let first = (self.index - 1) * months + 1;
        let last = first + months - 1;
        let days = match last {
            2 if leap(self.year) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        ((self.year, first, 1), (self.year, last, days))
    }

    /// The period as readers see it, in full: `2019`; `1e halfjaar 2019`, `1st half 2019`,
    /// `1er semestre 2019`; `3e kwartaal 2019`, `3rd quarter 2019`, `3e trimestre 2019`;
    /// `maart 2019`, `March 2019`, `mars 2019`. The one rule for every page, API label,
    /// OData `FullName`, story and PDF.
    pub fn label(&self, locale: Locale) -> String {
        let (i, y) = (self.index, self.year);
        match (self.level, locale) {
            (PeriodLevel::Year, _) => y.to_string(),
            (PeriodLevel::HalfYear, Locale::Nl) => format!("{i}e halfjaar {y}"),
            (PeriodLevel::HalfYear, Locale::En) => format!("{} half {y}", ordinal_en(i)),
            (PeriodLevel::HalfYear, Locale::Fr) => format!("{} semestre {y}", ordinal_fr(i)),
            (PeriodLevel::Quarter, Locale::Nl) => format!("{i}e kwartaal {y}"),
            (PeriodLevel::Quarter, Locale::En) => format!("{} quarter {y}", ordinal_en(i)),
            (PeriodLevel::Quarter, Locale::Fr) => format!("{} trimestre {y}", ordinal_fr(i)),
            (PeriodLevel::Month, _) => format!("{} {y}", month_name(i, locale)),
        }
    }

    /// The period in few characters, for chart axes where many periods stand side by side:
    /// `2019`; `H1 2019` (`S1 2019` in French); `K3 2019`, `Q3 2019`, `T3 2019`; `mrt 2019`,
    /// `Mar 2019`, `mars 2019`.
    pub fn short_label(&self, locale: Locale) -> String {
        let (i, y) = (self.index, self.year);
        match (self.level, locale) {
            (PeriodLevel::Year, _) => y.to_string(),
            (PeriodLevel::HalfYear, Locale::Fr) => format!("S{i} {y}"),
            (PeriodLevel::HalfYear, _) => format!("H{i} {y}"),
            (PeriodLevel::Quarter, Locale::Nl) => format!("K{i} {y}"),
            (PeriodLevel::Quarter, Locale::En) => format!("Q{i} {y}"),
            (PeriodLevel::Quarter, Locale::Fr) => format!("T{i} {y}"),
            (PeriodLevel::Month, _) => format!("{} {y}", month_abbreviation(i, locale)),
        }
    }
}

/// The name of month `m` (1–12) as it stands in a date or a period label: `maart`, `March`,
/// `mars`.
pub fn month_name(m: u32, locale: Locale) -> &'static str {
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let names = match locale {
        Locale::Nl => &NL,
        Locale::En => &EN,
        Locale::Fr => &FR,
    };
    names[(m.clamp(1, 12) - 1) as usize]
}

/// The usual abbreviation of month `m` (1–12): `mrt`, `Mar`, `mars`.
fn month_abbreviation(m: u32, locale: Locale) -> &'static str {
    const NL: [&str; 12] = [
        "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
    ];
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const FR: [&str; 12] = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ];
    let names = match locale {
        Locale::Nl => &NL,
        Locale::En => &EN,
        Locale::Fr => &FR,
    };
    names[(m.clamp(1, 12) - 1) as usize]
}

fn ordinal_en(i: u32) -> String {
    let suffix = match i {
        1 => "st",
        2 => "nd",
        3 => "rd",
        _ => "th",
    };
    format!("{i}{suffix}")
}

fn ordinal_fr(i: u32) -> String {
    if i == 1 {
        "1er".into()
    } else {
        format!("{i}e")
    }
}

fn leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.level {
            PeriodLevel::Year => write!(f, "{}", self.year),
            PeriodLevel::HalfYear => write!(f, "{}H{}", self.year, self.index),
            PeriodLevel::Quarter => write!(f, "{}Q{}", self.year, self.index),
            PeriodLevel::Month => write!(f, "{}M{:02}", self.year, self.index),
        }
    }
}

fn parse_period(raw: &str) -> Option<Period> {
    let s: String = raw.trim().to_ascii_uppercase();
    if s.is_empty() {
        return None;
    }
    // Spreadsheet floats: "2019.0" / "2019,0".
    let s = s
        .strip_suffix(".0")
        .or_else(|| s.strip_suffix(",0"))
        .unwrap_or(&s)
        .to_string();
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let year_of = |t: &str| -> Option<i32> {
        (t.len() == 4 && digits(t))
            .then(|| t.parse().ok())
            .flatten()
    };
    if let Some(y) = year_of(&s) {
        return Period::new(PeriodLevel::Year, y, 1);
    }
    // "MM/YYYY"
    if let Some((m, y)) = s.split_once('/') {
        let (m, y) = (m.trim(), y.trim());
        if digits(m) && m.len() <= 2 {
            return Period::new(PeriodLevel::Month, year_of(y)?, m.parse().ok()?);
        }
        return None;
    }
    // "Q3 2019", "K3 2019"
    if let Some((a, b)) = s.split_once(' ')
        && let Some(y) = year_of(b.trim())
    {
        return suffix(a.trim(), y);
    }
    if s.len() < 5 || !s.is_char_boundary(4) {
        return None;
    }
    let (y, rest) = s.split_at(4);
    let y = year_of(y)?;
    let rest = rest.trim_start_matches(['-', ' ', '_', '/']);
    suffix(rest, y)
}

fn suffix(rest: &str, year: i32) -> Option<Period> {
    let digits = |t: &str| !t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit());
    let (level, num) = if let Some(n) = rest.strip_prefix("HJ") {
        (PeriodLevel::HalfYear, n)
    } else if let Some(n) = rest.strip_prefix("KW") {
        (PeriodLevel::Quarter, n)
    } else if let Some(n) = rest.strip_prefix('H').or_else(|| rest.strip_prefix('S')) {
        (PeriodLevel::HalfYear, n)
    } else if let Some(n) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('K')) {
        (PeriodLevel::Quarter, n)
    } else if let Some(n) = rest.strip_prefix('M') {
        (PeriodLevel::Month, n)
    } else if digits(rest) && rest.len() == 2 {
        (PeriodLevel::Month, rest)
    } else {
        return None;
    };
    if !digits(num) {
        return None;
    }
    Period::new(level, year, num.parse().ok()?)
}

/// A period as a user or client names it: a fixed period or "most recent".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PeriodRef {
    Fixed(Period),
    /// `mrp` / `mostrecent`: the n-th most recent period (0 = the latest) of an indicator on a level.
    MostRecent(u32),
}

impl PeriodRef {
    pub fn parse(raw: &str) -> Result<PeriodRef, BadPeriod> {
        let t = raw.trim().to_ascii_lowercase();
        if t == "mrp" || t == "mostrecent" {
            return Ok(PeriodRef::MostRecent(0));
        }
        Period::parse(raw).map(PeriodRef::Fixed)
    }
}

/// How an indicator behaves over time, which decides period aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum PeriodType {
    /// *stand*: a stock at a date; coarser periods take the last value.
    #[default]
    Stock,
    /// *lopend*: a flow over the period; coarser periods sum.
    Flow,
    /// An average stock over the period; coarser periods average.
    AverageStock,
    /// A growth rate; recomputed, never summed.
    GrowthRate,
    /// Independent of time aggregation; never aggregated over periods.
    Independent,
}

impl PeriodType {
    pub fn code(self) -> &'static str {
        match self {
            PeriodType::Stock => "stock",
            PeriodType::Flow => "flow",
            PeriodType::AverageStock => "average_stock",
            PeriodType::GrowthRate => "growth_rate",
            PeriodType::Independent => "independent",
        }
    }

    pub fn parse(s: &str) -> Option<PeriodType> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "stock" | "stand" | "" => Some(PeriodType::Stock),
            // Swing's English UI calls a flow "pending".
            "flow" | "lopend" | "stroom" | "pending" => Some(PeriodType::Flow),
            "average_stock" | "gemiddelde_stand" | "average" => Some(PeriodType::AverageStock),
            "growth_rate" | "groeivoet" | "groei" => Some(PeriodType::GrowthRate),
            "independent" | "onafhankelijk" => Some(PeriodType::Independent),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_names_period_levels_and_falls_back_to_peils_names() {
        let mut n = PeriodLevelNames::default();
        assert_eq!(n.name(PeriodLevel::Quarter, Locale::Nl), "kwartaal");
        n.set(PeriodLevel::Quarter, Locale::Nl, " trimester ");
        assert_eq!(n.name(PeriodLevel::Quarter, Locale::Nl), "trimester");
        assert_eq!(n.name(PeriodLevel::Quarter, Locale::En), "quarter");
        assert_eq!(n.own(PeriodLevel::Quarter, Locale::Fr), None);
        // Peil's own name, or none, takes the site's away.
        n.set(PeriodLevel::Quarter, Locale::Nl, "kwartaal");
        assert_eq!(n, PeriodLevelNames::default());
        n.set(PeriodLevel::Month, Locale::Fr, "mois civil");
        n.set(PeriodLevel::Month, Locale::Fr, "");
        assert_eq!(n, PeriodLevelNames::default());
    }

    #[test]
    fn spellings() {
        let cases = [
            ("2019", "2019"),
            ("2019.0", "2019"),
            (" 2019 ", "2019"),
            ("2019H1", "2019H1"),
            ("2019S2", "2019H2"),
            ("2019-H1", "2019H1"),
            ("2019HJ2", "2019H2"),
            ("2019Q3", "2019Q3"),
            ("2019q3", "2019Q3"),
            ("2019K3", "2019Q3"),
            ("2019-Q4", "2019Q4"),
            ("2019 Q1", "2019Q1"),
            ("Q2 2019", "2019Q2"),
            ("2019KW2", "2019Q2"),
            ("2019M03", "2019M03"),
            ("2019M3", "2019M03"),
            ("2019-03", "2019M03"),
            ("2019-12", "2019M12"),
            ("03/2019", "2019M03"),
        ];
        for (input, want) in cases {
            assert_eq!(
                Period::parse(input).map(|p| p.code()),
                Ok(want.to_string()),
                "{input}"
            );
        }
        for bad in [
            "", "19", "20190", "2019Q5", "2019H3", "2019M13", "2019M00", "abcd", "2019Q",
            "Q5 2019", "13/2019", "2019.5",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn offsets_and_containment() {
        let q = Period::parse("2019Q1").unwrap();
        assert_eq!(q.offset(-1).unwrap().code(), "2018Q4");
        assert_eq!(q.offset(4).unwrap().code(), "2020Q1");
        let m = Period::parse("2019M08").unwrap();
        assert_eq!(m.within(PeriodLevel::Quarter).unwrap().code(), "2019Q3");
        assert_eq!(m.within(PeriodLevel::HalfYear).unwrap().code(), "2019H2");
        assert_eq!(m.within(PeriodLevel::Year).unwrap().code(), "2019");
        assert_eq!(m.within(PeriodLevel::Month).unwrap(), m);
        assert!(Period::year(2019).within(PeriodLevel::Month).is_none());
        assert_eq!(Period::parse("2020M02").unwrap().bounds().1, (2020, 2, 29));
    }

    #[test]
    fn labels_in_every_language() {
        use Locale::*;
        let cases: &[(&str, Locale, &str, &str)] = &[
            ("2019", Nl, "2019", "2019"),
            ("2019", En, "2019", "2019"),
            ("2019", Fr, "2019", "2019"),
            ("2019H1", Nl, "1e halfjaar 2019", "H1 2019"),
            ("2019H2", Nl, "2e halfjaar 2019", "H2 2019"),
            ("2019H1", En, "1st half 2019", "H1 2019"),
            ("2019H2", En, "2nd half 2019", "H2 2019"),
            ("2019H1", Fr, "1er semestre 2019", "S1 2019"),
            ("2019H2", Fr, "2e semestre 2019", "S2 2019"),
            ("2019Q1", Nl, "1e kwartaal 2019", "K1 2019"),
            ("2019Q3", Nl, "3e kwartaal 2019", "K3 2019"),
            ("2019Q1", En, "1st quarter 2019", "Q1 2019"),
            ("2019Q2", En, "2nd quarter 2019", "Q2 2019"),
            ("2019Q3", En, "3rd quarter 2019", "Q3 2019"),
            ("2019Q4", En, "4th quarter 2019", "Q4 2019"),
            ("2019Q1", Fr, "1er trimestre 2019", "T1 2019"),
            ("2019Q4", Fr, "4e trimestre 2019", "T4 2019"),
            ("2019M03", Nl, "maart 2019", "mrt 2019"),
            ("2019M03", En, "March 2019", "Mar 2019"),
            ("2019M03", Fr, "mars 2019", "mars 2019"),
            ("2019M02", Fr, "février 2019", "févr. 2019"),
            ("2019M08", Fr, "août 2019", "août 2019"),
            ("2019M10", Nl, "oktober 2019", "okt 2019"),
            ("2019M12", En, "December 2019", "Dec 2019"),
            ("2019M12", Fr, "décembre 2019", "déc. 2019"),
        ];
        for (code, locale, full, short) in cases {
            let p = Period::parse(code).unwrap();
            assert_eq!(p.label(*locale), *full, "{code} {locale:?}");
            assert_eq!(p.short_label(*locale), *short, "{code} {locale:?}");
        }
        // Every period of every level has a distinct label per language, none a bare code.
        for locale in Locale::ALL {
            for level in PeriodLevel::ALL {
                let labels: std::collections::BTreeSet<String> = (1..=level.per_year())
                    .map(|i| Period::new(level, 2019, i).unwrap().label(locale))
                    .collect();
                assert_eq!(
                    labels.len(),
                    level.per_year() as usize,
                    "{level:?} {locale:?}"
                );
                for i in 1..=level.per_year() {
                    let p = Period::new(level, 2019, i).unwrap();
                    assert!(p.label(locale).ends_with(" 2019") || level == PeriodLevel::Year);
                    assert!(
                        p.short_label(locale).len() <= 11,
                        "{}",
                        p.short_label(locale)
                    );
                }
            }
        }
        for (level, nl, en, fr) in [
            (PeriodLevel::Year, "jaar", "year", "année"),
            (PeriodLevel::HalfYear, "halfjaar", "half year", "semestre"),
            (PeriodLevel::Quarter, "kwartaal", "quarter", "trimestre"),
            (PeriodLevel::Month, "maand", "month", "mois"),
        ] {
            assert_eq!(level.name(Nl), nl);
            assert_eq!(level.name(En), en);
            assert_eq!(level.name(Fr), fr);
        }
    }

    #[test]
    fn most_recent() {
        assert_eq!(PeriodRef::parse("mrp"), Ok(PeriodRef::MostRecent(0)));
        assert_eq!(PeriodRef::parse("MostRecent"), Ok(PeriodRef::MostRecent(0)));
        assert_eq!(
            PeriodRef::parse("2020"),
            Ok(PeriodRef::Fixed(Period::year(2020)))
        );
    }

    proptest::proptest! {
        #[test]
        fn code_round_trips(level in 0usize..4, year in 1900i32..2100, idx in 1u32..13) {
            let level = PeriodLevel::ALL[level];
            if let Some(p) = Period::new(level, year, idx.min(level.per_year())) {
                proptest::prop_assert_eq!(Period::parse(&p.code()), Ok(p));
                proptest::prop_assert_eq!(Period::from_ordinal(level, p.ordinal()), Some(p));
            }
        }

        #[test]
        fn offset_is_invertible(year in 1900i32..2100, idx in 1u32..13, k in -50i64..50) {
            let p = Period::new(PeriodLevel::Month, year, idx).unwrap();
            proptest::prop_assert_eq!(p.offset(k).and_then(|q| q.offset(-k)), Some(p));
        }

        #[test]
        fn never_panics(s in "\\PC{0,12}") { let _ = Period::parse(&s); }
    }
}
