//! Problems found in import files, reported with their exact place.
//!
//! Every import lists all problems of a file (up to a cap), not only the first, and each names
//! the file, sheet, row and column, the offending value and what was expected.

use serde::{Deserialize, Serialize};
use std::fmt;

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

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(s) = &self.sheet {
            write!(f, ", sheet '{s}'")?;
        }
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column '{c}'")?;
        }
        f.write_str(": ")?;
        if let Some(v) = &self.value {
            let shown: String = v.chars().take(60).collect();
            let ell = if v.chars().count() > 60 { "…" } else { "" };
            write!(f, "found '{shown}{ell}'; ")?;
        }
        f.write_str(&self.message)
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
        self.list.push(Problem {
            severity,
            file: place.file.clone(),
            sheet: place.sheet.clone(),
            row,
            column: column.map(str::to_string),
            value: value.map(str::to_string),
            message: message.into(),
        });
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
