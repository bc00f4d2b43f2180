//! Problems found in import files, reported with their exact place.
//!
//! Every import lists all problems of a file (up to a cap), not only the first, and each names
//! the file, sheet, row and column, the offending value and what was expected.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How many characters of a value, column name or sheet name a problem keeps. A problem says
/// *which* value is wrong; the user has the file for the rest. Without a cap a 100 MB header
/// cell becomes 100 MB on a terminal, in the import report and in an HTTP answer.
pub const SHOWN_CHARS: usize = 80;

/// How many characters of a file name or message a problem keeps: messages are written by
/// Peil but may list names from the file (sheets, columns), so they are bounded too, more
/// generously.
pub const SHOWN_MESSAGE_CHARS: usize = 2000;

/// The one rule for putting text from a file into a problem: at most [`SHOWN_CHARS`]
/// characters, then "… (N more characters)", with control characters escaped (ESC is shown as
/// `\u{1b}`, a tab as `\t`) so that no file can move a terminal's cursor, change its colours or
/// hide text, and with the invisible bidirectional overrides escaped too (they can make a
/// terminal show a code reversed).
pub fn shown(value: &str) -> String {
    shown_with(value, SHOWN_CHARS)
}

/// [`shown`] with another length cap.
pub fn shown_with(value: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(value.len().min(max_chars * 2));
    let mut chars = value.char_indices();
    for (n, (_, c)) in chars.by_ref().enumerate() {
        if n == max_chars {
            // Counting the rest reads it once; bounded by the input, never quadratic.
            let more = 1 + chars.count();
            out.push_str(&format!("… ({more} more characters)"));
            return out;
        }
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if c.is_control() || is_invisible_override(c) => {
            out.extend(c.escape_unicode());
        }
        c => out.push(c),
    }
}

/// Bidirectional embeddings, overrides and isolates, and zero-width marks: invisible, yet they
/// reorder or hide what a terminal shows ("Trojan Source").
fn is_invisible_override(c: char) -> bool {
    matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF)
}

/// The cap for showing a text a second time: never shorter than what [`shown_with`] made of
/// it the first time (each character escaped to at most 10, plus the "more characters" note),
/// so showing is idempotent.
const fn again(max_chars: usize) -> usize {
    max_chars * 10 + 40
}

/// Whether a text already obeys [`shown_with`] (so it can be kept without copying).
fn is_shown(text: &str, max_chars: usize) -> bool {
    text.len() <= max_chars
        && !text
            .chars()
            .any(|c| c.is_control() || is_invisible_override(c))
}

fn shown_cow(text: &str, max_chars: usize) -> String {
    if is_shown(text, max_chars) {
        text.to_string()
    } else {
        shown_with(text, max_chars)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    /// The import is refused.
    Error,
    /// The import goes on; the report says what was done.
    Warning,
}

/// One problem at one place in a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub severity: Severity,
    pub file: String,
    pub sheet: Option<String>,
    /// 1-based row as a spreadsheet program shows it (the header is row 1).
    pub row: Option<u64>,
    pub column: Option<String>,
    pub value: Option<String>,
    /// What was wrong or expected, in words a user understands.
    pub message: String,
}

impl Problem {
    /// A problem with every text from the file passed through [`shown`]: the one constructor
    /// readers use, so no reader can forget the rule.
    pub fn new(
        severity: Severity,
        place: &Place,
        row: Option<u64>,
        column: Option<&str>,
        value: Option<&str>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            severity,
            file: shown_cow(&place.file, SHOWN_MESSAGE_CHARS),
            sheet: place.sheet.as_deref().map(|s| shown_cow(s, SHOWN_CHARS)),
            row,
            column: column.map(|c| shown_cow(c, SHOWN_CHARS)),
            value: value.map(|v| shown_cow(v, SHOWN_CHARS)),
            message: shown_cow(&message.into(), SHOWN_MESSAGE_CHARS),
        }
    }
}

impl fmt::Display for Problem {
    // The fields are public, so a problem built by hand is shown by the same rule again: what
    // reaches a terminal is bounded and escaped whatever way the problem was made. A text that
    // went through `Problem::new` already is left as it is (see `again`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shown_cow(&self.file, again(SHOWN_MESSAGE_CHARS)))?;
        if let Some(s) = &self.sheet {
            write!(f, ", sheet '{}'", shown_cow(s, again(SHOWN_CHARS)))?;
        }
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column '{}'", shown_cow(c, again(SHOWN_CHARS)))?;
        }
        f.write_str(": ")?;
        if let Some(v) = &self.value {
            write!(f, "found '{}'; ", shown_cow(v, again(SHOWN_CHARS)))?;
        }
        f.write_str(&shown_cow(&self.message, again(SHOWN_MESSAGE_CHARS)))
    }
}

/// Where in a file a problem is: filled in by readers, then completed per problem.
#[derive(Debug, Clone, Default)]
pub struct Place {
    pub file: String,
    pub sheet: Option<String>,
}

impl Place {
    pub fn file(name: impl Into<String>) -> Place {
        Place {
            file: name.into(),
            sheet: None,
        }
    }

    pub fn with_sheet(&self, sheet: Option<&str>) -> Place {
        Place {
            file: self.file.clone(),
            sheet: sheet.map(str::to_string),
        }
    }
}

/// Collects problems up to a cap, counting the rest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Problems {
    pub list: Vec<Problem>,
    /// Errors beyond the cap, counted but not listed.
    pub more_errors: u64,
    pub more_warnings: u64,
    pub errors: u64,
}

impl Problems {
    /// How many problems of each severity are listed in full.
    pub const CAP: usize = 200;

    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        severity: Severity,
        place: &Place,
        row: Option<u64>,
        column: Option<&str>,
        value: Option<&str>,
        message: impl Into<String>,
    ) {
        if severity == Severity::Error {
            self.errors += 1;
        }
        let listed = self.list.iter().filter(|p| p.severity == severity).count();
        if listed >= Self::CAP {
            match severity {
                Severity::Error => self.more_errors += 1,
                Severity::Warning => self.more_warnings += 1,
            }
            return;
        }
        self.list
            .push(Problem::new(severity, place, row, column, value, message));
    }

    pub fn error(
        &mut self,
        place: &Place,
        row: Option<u64>,
        column: Option<&str>,
        value: Option<&str>,
        message: impl Into<String>,
    ) {
        self.push(Severity::Error, place, row, column, value, message)
    }

    pub fn warning(
        &mut self,
        place: &Place,
        row: Option<u64>,
        column: Option<&str>,
        value: Option<&str>,
        message: impl Into<String>,
    ) {
        self.push(Severity::Warning, place, row, column, value, message)
    }

    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    /// Whether enough errors were seen that reading on is pointless.
    pub fn saturated(&self) -> bool {
        self.errors as usize >= Self::CAP * 5
    }

    pub fn extend(&mut self, other: Problems) {
        self.errors += other.errors;
        self.more_errors += other.more_errors;
        self.more_warnings += other.more_warnings;
        self.list.extend(other.list);
    }

    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.list.iter().filter(|p| p.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.list.iter().filter(|p| p.severity == Severity::Warning)
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in self.errors() {
            writeln!(f, "error: {p}")?;
        }
        if self.more_errors > 0 {
            writeln!(
                f,
                "error: … and {} more errors not listed",
                self.more_errors
            )?;
        }
        for p in self.warnings() {
            writeln!(f, "warning: {p}")?;
        }
        if self.more_warnings > 0 {
            writeln!(
                f,
                "warning: … and {} more warnings not listed",
                self.more_warnings
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_everything() {
        let mut p = Problems::default();
        let place = Place::file("data.xlsx").with_sheet(Some("2019"));
        p.error(
            &place,
            Some(12),
            Some("v1101_t"),
            Some("abc"),
            "expected a number or x ? nvt -",
        );
        assert_eq!(
            p.to_string(),
            "error: data.xlsx, sheet '2019', row 12, column 'v1101_t': found 'abc'; expected a number or x ? nvt -\n"
        );
    }

    #[test]
    fn long_values_are_cut_and_counted() {
        let long = "é".repeat(100_000);
        let s = shown(&long);
        assert_eq!(
            s,
            format!(
                "{}… ({} more characters)",
                "é".repeat(SHOWN_CHARS),
                100_000 - SHOWN_CHARS
            )
        );
        assert_eq!(shown(&"x".repeat(SHOWN_CHARS)), "x".repeat(SHOWN_CHARS));
        assert_eq!(
            shown(&"x".repeat(SHOWN_CHARS + 1)),
            format!("{}… (1 more characters)", "x".repeat(SHOWN_CHARS))
        );
        assert_eq!(shown("11002"), "11002");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(shown("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(shown("tab\there\r\n"), "tab\\there\\r\\n");
        assert_eq!(shown("\u{7}\u{0}\u{9b}"), "\\u{7}\\u{0}\\u{9b}");
        // A right-to-left override would show "11002" as "20011".
        assert_eq!(shown("\u{202e}11002"), "\\u{202e}11002");
        assert_eq!(shown("Sint-Genesius-Rode € ’"), "Sint-Genesius-Rode € ’");
    }

    #[test]
    fn every_field_of_a_problem_follows_the_rule() {
        let mut p = Problems::default();
        let big = "h".repeat(1_000_000);
        let place = Place::file("evil\u{1b}]0;title\u{7}.csv").with_sheet(Some(&big));
        p.error(&place, Some(1), Some(&big), Some(&big), "bad");
        let listed = &p.list[0];
        for field in [
            &listed.file,
            listed.sheet.as_ref().unwrap(),
            listed.column.as_ref().unwrap(),
            listed.value.as_ref().unwrap(),
        ] {
            assert!(field.chars().count() < SHOWN_CHARS + 40, "{field}");
            assert!(!field.chars().any(char::is_control), "{field:?}");
        }
        let text = p.to_string();
        assert!(text.len() < 1000, "{}", text.len());
        assert!(text.contains("(999920 more characters)"));
        // A problem built by hand is shown by the same rule.
        let raw = Problem {
            severity: Severity::Error,
            file: "f.csv".into(),
            sheet: None,
            row: None,
            column: None,
            value: Some(format!("\u{1b}[2J{big}")),
            message: "m\u{1b}".into(),
        };
        let text = raw.to_string();
        assert!(text.len() < 1000 && !text.contains('\u{1b}'), "{text}");
    }

    #[test]
    fn cap_counts_the_rest() {
        let mut p = Problems::default();
        for i in 0..(Problems::CAP + 5) {
            p.error(&Place::file("f"), Some(i as u64), None, None, "bad");
        }
        assert_eq!(p.errors().count(), Problems::CAP);
        assert_eq!(p.more_errors, 5);
        assert_eq!(p.errors, Problems::CAP as u64 + 5);
    }
}
