//! Calendar dates as readers see them: one label per language, written from a
//! [`time::Date`] value at the edge (a report's cover, a story page). Dates travel as values
//! everywhere else, so nothing ever parses a label back.

use time::{Date, Month};

/// A date as written in running text: `6 december 2026` (nl), `6 December 2026` (en),
/// `6 décembre 2026` (fr, with `1er` for the first of the month). A language Peil has no
/// words for gets Dutch, the website's default language.
pub fn label(date: Date, lang: &str) -> String {
    let day = date.day();
    let month = month_name(date.month(), lang);
    let year = date.year();
    match (lang, day) {
        ("fr", 1) => format!("1er {month} {year}"),
        _ => format!("{day} {month} {year}"),
    }
}

/// `2026-12-06`: the ISO 8601 form machines read (`<time datetime>`, JSON twins).
pub fn iso(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A month's name in `lang` (lower case except in English, as each language writes it): the
/// one month table, [`crate::period::month_name`]. A language Peil has no words for gets
/// Dutch.
fn month_name(month: Month, lang: &str) -> &'static str {
    let locale = crate::Locale::parse(lang).unwrap_or(crate::Locale::Nl);
    crate::period::month_name(u8::from(month) as u32, locale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> Date {
        Date::from_calendar_date(y, Month::try_from(m).unwrap(), day).unwrap()
    }

    #[test]
    fn labels_per_language() {
        for (date, nl, en, fr) in [
            (
                d(2026, 12, 6),
                "6 december 2026",
                "6 December 2026",
                "6 décembre 2026",
            ),
            (
                d(2027, 1, 1),
                "1 januari 2027",
                "1 January 2027",
                "1er janvier 2027",
            ),
            (
                d(2028, 2, 29),
                "29 februari 2028",
                "29 February 2028",
                "29 février 2028",
            ),
            (
                d(2026, 8, 15),
                "15 augustus 2026",
                "15 August 2026",
                "15 août 2026",
            ),
        ] {
            assert_eq!(label(date, "nl"), nl);
            assert_eq!(label(date, "en"), en);
            assert_eq!(label(date, "fr"), fr);
            assert_eq!(label(date, "de"), nl, "unknown languages get Dutch");
        }
    }

    #[test]
    fn iso_form() {
        assert_eq!(iso(d(2026, 3, 9)), "2026-03-09");
        assert_eq!(iso(d(999, 12, 31)), "0999-12-31");
    }
}
