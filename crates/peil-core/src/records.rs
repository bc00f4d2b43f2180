//! Record data (issue 17): one row per case — permit dossiers, complaints, inspections — and the
//! measures defined over them. Records are kept in the store but never published as rows; only
//! measures (aggregates with the indicator privacy rules) reach readers.
//!
//! A record set is declared by a small definition ([`RecordSetDef`], a TOML file read by
//! `peil-import`): its name, the id column, the area column and its geo level, its date,
//! category and number columns, and its measures ([`MeasureDef`]). Each measure becomes an
//! indicator of the databank with the measure's code (a KPI points at a measure by that code).
//! Nothing here reads a file or a database.

use crate::period::{Period, PeriodLevel};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A date in a record: the Julian day number (`time::Date::to_julian_day`), so a duration is a
/// subtraction. [`NO_DATE`] is an empty cell (an open dossier has no decision date).
pub type Day = i32;
pub const NO_DATE: Day = i32::MIN;

/// The declaration of a record set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSetDef {
    /// The set's name (`vergunningen`): letters, digits, `_`, `-`.
    pub name: String,
    /// The column that identifies a record; a re-import replaces the records whose ids it holds.
    pub id: String,
    /// The column with each record's area code, and the geo level those codes are of. With a
    /// [`RecordSetDef::location`] the area column may be left out (`""`), or kept for the
    /// records that have no coordinates.
    #[serde(default)]
    pub area: String,
    pub level: String,
    /// The columns of each record's coordinates (issue 18, locations): a record with them is
    /// placed in the area of `level` its point lies in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<PointColumns>,
    #[serde(default)]
    pub dates: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub numbers: Vec<String>,
    /// The measures' source (their metadata's `source`).
    #[serde(default)]
    pub source: String,
    /// The lowest number of records a measure may be shown for (default 5): counts below it are
    /// `x`, and every other measure is hidden where it is over fewer records.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    #[serde(default, rename = "measure")]
    pub measures: Vec<MeasureDef>,
    /// The operational dashboard over the set for its department, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard: Option<DashboardDef>,
}

/// Where a record's point is: its x and y columns (longitude and latitude, or Lambert metres)
/// and their coordinate reference system (`EPSG:4326`, the default; `EPSG:31370` Belgian
/// Lambert 72; `EPSG:3812` Lambert 2008).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointColumns {
    pub x: String,
    pub y: String,
    #[serde(default = "default_crs")]
    pub crs: String,
}

fn default_crs() -> String {
    "EPSG:4326".into()
}

/// An operational dashboard over a record set (issue 17): per month the cases opened, closed
/// and still open (the backlog), the distribution of throughput times and the top categories,
/// with drill-down to a month. Only the access group named (and administrators) may open it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardDef {
    /// The access group of the department (e.g. `omgeving`).
    pub group: String,
    /// The date a case opens (submission) and the date it closes (decision); a case without a
    /// closing date is open.
    pub opened: String,
    pub closed: String,
    /// The category column of the top categories (e.g. the permit type).
    #[serde(default)]
    pub category: Option<String>,
    /// The upper bounds (days, ascending) of the throughput-time classes; the last class is
    /// everything above the last bound.
    #[serde(default = "default_bins")]
    pub bins: Vec<u32>,
}

fn default_bins() -> Vec<u32> {
    vec![30, 60, 90, 105, 150, 365]
}

fn default_threshold() -> f64 {
    5.0
}

/// What a measure computes per area and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeasureKind {
    /// The number of records.
    Count,
    /// The sum of the value.
    Sum,
    /// The mean of the value.
    Mean,
    /// The median of the value.
    Median,
    /// The `p`-th percentile of the value (linear interpolation between the closest ranks).
    Percentile,
    /// The share (0–100) of the records that meet the condition (`within`, `is`).
    Share,
}

/// One measure over a record set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureDef {
    /// The indicator code the measure is published as.
    pub code: String,
    /// Its name (Dutch), and optionally in English and French.
    pub name: String,
    #[serde(default)]
    pub name_en: Option<String>,
    #[serde(default)]
    pub name_fr: Option<String>,
    #[serde(default)]
    pub description: String,
    pub kind: MeasureKind,
    /// The date column that places a record in a month, quarter and year.
    pub date: String,
    /// The value: a number column …
    #[serde(default)]
    pub field: Option<String>,
    /// … or the duration in days between two date columns (records without either are left out).
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// The percentile of `kind = "percentile"` (0–100).
    #[serde(default)]
    pub p: Option<f64>,
    /// Only records whose categories hold one of the listed values.
    #[serde(default, rename = "where")]
    pub filter: BTreeMap<String, Vec<String>>,
    /// Share: the value is at most this (e.g. decided within 105 days).
    #[serde(default)]
    pub within: Option<f64>,
    /// Share: the categories hold one of the listed values.
    #[serde(default, rename = "is")]
    pub condition: BTreeMap<String, Vec<String>>,
    /// Period levels to publish (default month, quarter, year).
    #[serde(default = "default_periods")]
    pub periods: Vec<String>,
    /// Geo levels to publish (default the record level and every level above it).
    #[serde(default)]
    pub levels: Vec<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub decimals: Option<u8>,
}

fn default_periods() -> Vec<String> {
    vec!["month".into(), "quarter".into(), "year".into()]
}

impl MeasureDef {
    /// The companion indicator holding the number of records each value is over (`<code>_n`),
    /// on which the threshold is checked; `None` for a count, which is its own.
    pub fn count_code(&self) -> Option<String> {
        (self.kind != MeasureKind::Count).then(|| format!("{}_n", self.code))
    }

    /// Whether a record counts only with a value (a number or a duration): every kind but a
    /// count and a share by category alone.
    pub fn needs_value(&self) -> bool {
        match self.kind {
            MeasureKind::Count => false,
            MeasureKind::Share => self.within.is_some(),
            _ => true,
        }
    }

    pub fn period_levels(&self) -> Vec<PeriodLevel> {
        self.periods
            .iter()
            .filter_map(|p| PeriodLevel::from_code(p))
            .collect()
    }
}

/// The metadata key (`Indicator::extra`) of a measure's sums: the other measures of its set
/// (or their `_n`) whose cells add up to this one's in every cell both publish, one sum per
/// `;` (`vg_a + vg_b; vg_c + vg_d`), found on the records by the import
/// (`peil_compute::measures::measure_sums`). Secondary suppression protects them as it
/// protects `total of` (`peil_compute::linked`).
pub const MEASURE_SUMS: &str = "measure sums";

/// The metadata key (`Indicator::extra`) of a share's counts: the published counts of its set
/// (`a, b`) whose records are exactly the share's hits (the records that meet its condition),
/// found by the import; share × `_n` / 100 is such a count, so the share is hidden wherever
/// one of them is (`peil_compute::privacy`).
pub const HIDDEN_WITH: &str = "hidden with";

/// The metadata key (`Indicator::extra`) of sums of measures of its set that equal one another
/// in every cell while no measure publishes their total (`gewoon + vereenvoudigd = stedenbouw +
/// anders`: the same records split two ways), one relation per `;`, written on the relation's
/// first code; found on the records by the import. A part `hits(<share>)` is a share's hits
/// (share × its `_n` / 100). Secondary suppression protects them through an unpublished total
/// (`peil_compute::linked`).
pub const MEASURE_EQUAL: &str = "measure equal sums";

/// The metadata key (`Indicator::extra`) of a group of measures of one set whose relations the
/// import's search did not finish listing (too many parts or sums): the group's name, the same
/// on each of its members; secondary suppression hides them together (a cell hidden in one is
/// hidden in every member that publishes it).
pub const HIDDEN_TOGETHER: &str = "hidden together";

/// A share's hits as a part of a sum in [`MEASURE_SUMS`] or [`MEASURE_EQUAL`].
pub fn hits_code(share: &str) -> String {
    format!("hits({share})")
}

/// The share of a part written by [`hits_code`].
pub fn hits_of(part: &str) -> Option<&str> {
    part.strip_prefix("hits(")?.strip_suffix(')')
}

/// The relations of [`MEASURE_EQUAL`] as written: `a + b = c + d; e = f + g`.
pub fn write_equal(rels: &[&Vec<Vec<String>>]) -> String {
    rels.iter()
        .map(|sides| {
            sides
                .iter()
                .map(|parts| parts.join(" + "))
                .collect::<Vec<_>>()
                .join(" = ")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The relations of [`MEASURE_EQUAL`] as read: each relation's sides, each side's parts.
pub fn read_equal(text: &str) -> Vec<Vec<Vec<String>>> {
    text.split(';')
        .map(|rel| rel.split('=').flat_map(read_sums).collect::<Vec<_>>())
        .filter(|sides: &Vec<Vec<String>>| sides.len() >= 2)
        .collect()
}

/// The codes of [`HIDDEN_WITH`] as read.
pub fn read_codes(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|c| !c.is_empty())
}

/// The sums of [`MEASURE_SUMS`] as written: `a + b; c + d`.
pub fn write_sums(sums: &[Vec<String>]) -> String {
    sums.iter()
        .map(|parts| parts.join(" + "))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The sums of [`MEASURE_SUMS`] as read: each sum's parts (codes, trimmed, none empty).
pub fn read_sums(text: &str) -> Vec<Vec<String>> {
    text.split(';')
        .map(|sum| {
            sum.split('+')
                .map(|p| p.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|parts| parts.iter().all(|p| !p.is_empty()))
        .collect()
}

/// Whether a name is a valid set name or indicator code for a measure.
fn plain_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The EPSG number of the coordinate systems a record's point may be in (`EPSG:31370`,
/// `epsg:3812`, `4326`), or `None`.
pub fn crs_code(crs: &str) -> Option<u32> {
    let digits = crs.trim().to_ascii_uppercase();
    let digits = digits.strip_prefix("EPSG:").unwrap_or(&digits);
    match digits.parse() {
        Ok(n @ (4326 | 31370 | 3812)) => Some(n),
        _ => None,
    }
}

impl RecordSetDef {
    /// Every mistake of the definition, as (field, what is wrong); empty when it is sound.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut bad = |field: &str, msg: String| out.push((field.to_string(), msg));
        if !plain_code(&self.name) {
            bad(
                "name",
                "expected a set name of letters, digits, '_' or '-'".into(),
            );
        }
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        let point: Vec<String> = self
            .location
            .iter()
            .flat_map(|p| [p.x.clone(), p.y.clone()])
            .collect();
        let area: &[String] = if self.area.is_empty() && self.location.is_some() {
            &[]
        } else {
            std::slice::from_ref(&self.area)
        };
        for (role, cols) in [
            ("id", std::slice::from_ref(&self.id)),
            ("area", area),
            ("location", &point[..]),
            ("dates", &self.dates[..]),
            ("categories", &self.categories[..]),
            ("numbers", &self.numbers[..]),
        ] {
            for c in cols {
                if c.trim().is_empty() {
                    bad(role, "expected a column name, found an empty one".into());
                } else if let Some(other) = seen.insert(c, role) {
                    bad(role, format!("column '{c}' is already declared in {other}"));
                }
            }
        }
        if self.level.trim().is_empty() {
            bad("level", "expected the geo level of the area codes".into());
        }
        if let Some(p) = &self.location
            && crs_code(&p.crs).is_none()
        {
            bad(
                "location.crs",
                format!(
                    "expected EPSG:4326 (longitude, latitude), EPSG:31370 (Lambert 72) or \
                     EPSG:3812 (Lambert 2008), found '{}'",
                    p.crs
                ),
            );
        }
        if !(self.threshold >= 0.0 && self.threshold.is_finite()) {
            bad(
                "threshold",
                "expected a number of records, 0 or more".into(),
            );
        }
        let mut codes = std::collections::BTreeSet::new();
        for (i, m) in self.measures.iter().enumerate() {
            let f = |name: &str| format!("measure[{}].{name} ({})", i + 1, m.code);
            if !plain_code(&m.code) {
                bad(
                    &f("code"),
                    "expected an indicator code of letters, digits, '_' or '-'".into(),
                );
            }
            for c in std::iter::once(m.code.clone()).chain(m.count_code()) {
                if !codes.insert(c.clone()) {
                    bad(&f("code"), format!("code '{c}' is used twice in the set"));
                }
            }
            if m.name.trim().is_empty() {
                bad(&f("name"), "expected a name".into());
            }
            if !self.dates.contains(&m.date) {
                bad(
                    &f("date"),
                    format!(
                        "'{}' is not one of the dates ({})",
                        m.date,
                        self.dates.join(", ")
                    ),
                );
            }
            for d in [&m.from, &m.to].into_iter().flatten() {
                if !self.dates.contains(d) {
                    bad(&f("from/to"), format!("'{d}' is not one of the dates"));
                }
            }
            if let Some(n) = &m.field
                && !self.numbers.contains(n)
            {
                bad(
                    &f("field"),
                    format!(
                        "'{n}' is not one of the numbers ({})",
                        self.numbers.join(", ")
                    ),
                );
            }
            let has_value = m.field.is_some() || (m.from.is_some() && m.to.is_some());
            if m.field.is_some() && (m.from.is_some() || m.to.is_some()) {
                bad(
                    &f("field"),
                    "expected either a field or from/to, not both".into(),
                );
            }
            if m.from.is_some() != m.to.is_some() {
                bad(&f("from/to"), "expected both from and to".into());
            }
            match m.kind {
                MeasureKind::Count => {}
                MeasureKind::Share => {
                    if m.within.is_none() && m.condition.is_empty() {
                        bad(&f("kind"), "a share needs a condition: within or is".into());
                    }
                    if m.within.is_some() && !has_value {
                        bad(&f("within"), "within needs a field or from/to".into());
                    }
                }
                _ if !has_value => bad(
                    &f("kind"),
                    "this kind needs a value: a field or from/to".into(),
                ),
                _ => {}
            }
            match (m.kind, m.p) {
                (MeasureKind::Percentile, Some(p)) if (0.0..=100.0).contains(&p) => {}
                (MeasureKind::Percentile, _) => {
                    bad(&f("p"), "expected a percentile between 0 and 100".into())
                }
                (_, Some(_)) => bad(&f("p"), "p is only for kind = \"percentile\"".into()),
                _ => {}
            }
            for (col, _) in m.filter.iter().chain(&m.condition) {
                if !self.categories.contains(col) {
                    bad(
                        &f("where/is"),
                        format!(
                            "'{col}' is not one of the categories ({})",
                            self.categories.join(", ")
                        ),
                    );
                }
            }
            if m.period_levels().len() != m.periods.len() || m.periods.is_empty() {
                bad(
                    &f("periods"),
                    "expected period levels among month, quarter, halfyear, year".into(),
                );
            }
        }
        if let Some(d) = &self.dashboard {
            if d.group.trim().is_empty() {
                bad(
                    "dashboard.group",
                    "expected the access group that may open the dashboard".into(),
                );
            }
            for (field, col) in [
                ("dashboard.opened", &d.opened),
                ("dashboard.closed", &d.closed),
            ] {
                if !self.dates.contains(col) {
                    bad(
                        field,
                        format!(
                            "'{col}' is not one of the dates ({})",
                            self.dates.join(", ")
                        ),
                    );
                }
            }
            if let Some(c) = &d.category
                && !self.categories.contains(c)
            {
                bad(
                    "dashboard.category",
                    format!(
                        "'{c}' is not one of the categories ({})",
                        self.categories.join(", ")
                    ),
                );
            }
            if d.bins.is_empty() || d.bins.windows(2).any(|w| w[0] >= w[1]) {
                bad(
                    "dashboard.bins",
                    "expected ascending numbers of days, at least one".into(),
                );
            }
        }
        out
    }

    /// The columns a stored record holds, in order: changing them changes what a record is.
    pub fn shape(&self) -> (Vec<&str>, Vec<&str>, Vec<&str>) {
        (
            self.dates.iter().map(String::as_str).collect(),
            self.categories.iter().map(String::as_str).collect(),
            self.numbers.iter().map(String::as_str).collect(),
        )
    }
}

/// A category column, dictionary-coded: each record's code indexes `labels`; "" is an empty cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CategoryColumn {
    pub codes: Vec<u32>,
    pub labels: Vec<String>,
    index: std::collections::HashMap<String, u32>,
}

impl CategoryColumn {
    pub fn push(&mut self, label: &str) {
        let code = match self.index.get(label) {
            Some(c) => *c,
            None => {
                let c = self.labels.len() as u32;
                self.labels.push(label.to_string());
                self.index.insert(label.to_string(), c);
                c
            }
        };
        self.codes.push(code);
    }

    pub fn label(&self, row: usize) -> &str {
        &self.labels[self.codes[row] as usize]
    }

    /// The codes of these labels (labels the column never holds are left out).
    pub fn codes_of(&self, labels: &[String]) -> Vec<u32> {
        labels
            .iter()
            .filter_map(|l| self.index.get(l))
            .copied()
            .collect()
    }
}

/// Records, column by column: what a reader validated and what the store holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Records {
    pub ids: Vec<String>,
    /// The store's id of each record's area item (on the set's level).
    pub items: Vec<u32>,
    /// Per date column, per record.
    pub dates: Vec<Vec<Day>>,
    pub categories: Vec<CategoryColumn>,
    /// Per number column, per record; NaN is an empty cell.
    pub numbers: Vec<Vec<f64>>,
}

impl Records {
    pub fn new(def: &RecordSetDef) -> Records {
        Records {
            dates: vec![Vec::new(); def.dates.len()],
            categories: vec![CategoryColumn::default(); def.categories.len()],
            numbers: vec![Vec::new(); def.numbers.len()],
            ..Records::default()
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// A day's month as a running number (`year·12 + month − 1`), the finest period of measures.
pub fn month_index(day: Day) -> Option<i32> {
    let d = time::Date::from_julian_day(day).ok()?;
    Some(d.year() * 12 + d.month() as i32 - 1)
}

/// The period of a given level a month (see [`month_index`]) falls in.
pub fn period_of_month(month: i32, level: PeriodLevel) -> Option<Period> {
    let (y, m) = (month.div_euclid(12), month.rem_euclid(12) as u32 + 1);
    Period::new(PeriodLevel::Month, y, m)?.within(level)
}

/// The period of a given level a day falls in.
pub fn period_of(day: Day, level: PeriodLevel) -> Option<Period> {
    period_of_month(month_index(day)?, level)
}

/// A date cell as users write it: `2024-03-07` (ISO), `07/03/2024` or `7-3-2024` (Belgian day
/// first); `serial` also accepts a spreadsheet's day number (workbooks). `None`: not a date.
pub fn parse_day(raw: &str, serial: bool) -> Option<Day> {
    let s = raw.trim();
    let s = s.split_once(['T', ' ']).map(|(d, _)| d).unwrap_or(s);
    let num = |p: &str| -> Option<i32> {
        (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let date = |y: i32, m: i32, d: i32| -> Option<Day> {
        let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
        time::Date::from_calendar_date(y, month, u8::try_from(d).ok()?)
            .ok()
            .map(|d| d.to_julian_day())
    };
    let parts: Vec<&str> = s.split(['-', '/']).collect();
    if parts.len() == 3 {
        let (a, b, c) = (num(parts[0])?, num(parts[1])?, num(parts[2])?);
        return if parts[0].len() == 4 {
            date(a, b, c)
        } else if parts[2].len() == 4 {
            date(c, b, a)
        } else {
            None
        };
    }
    if serial {
        // A spreadsheet's serial day: day 1 is 1900-01-01 as counted by Excel (which takes
        // 1900 for a leap year, so day 60 is no date and later days start from 1899-12-30).
        let v: f64 = s.parse().ok()?;
        if v.fract() == 0.0 && (61.0..=2_958_465.0).contains(&v) {
            let base = time::Date::from_calendar_date(1899, time::Month::December, 30)
                .ok()?
                .to_julian_day();
            return Some(base + v as i32);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_written_form() {
        let d = parse_day("2024-03-07", false).unwrap();
        assert_eq!(parse_day("07/03/2024", false), Some(d));
        assert_eq!(parse_day("7-3-2024", false), Some(d));
        assert_eq!(parse_day("2024-03-07T00:00:00", false), Some(d));
        assert_eq!(parse_day("45358", true), Some(d));
        assert_eq!(parse_day("45358", false), None);
        assert_eq!(parse_day("2024-02-30", false), None);
        assert_eq!(parse_day("03/07/24", false), None);
        assert_eq!(
            period_of(d, PeriodLevel::Quarter).unwrap().code(),
            Period::parse("2024Q1").unwrap().code()
        );
        assert_eq!(
            period_of(d, PeriodLevel::Month),
            Period::new(PeriodLevel::Month, 2024, 3)
        );
    }

    fn def() -> RecordSetDef {
        toml_like()
    }

    fn toml_like() -> RecordSetDef {
        RecordSetDef {
            name: "vergunningen".into(),
            id: "dossier".into(),
            area: "sector".into(),
            level: "statsec".into(),
            dates: vec!["ingediend".into(), "beslist".into()],
            categories: vec!["type".into()],
            numbers: vec![],
            source: String::new(),
            threshold: 5.0,
            location: None,
            dashboard: None,
            measures: vec![MeasureDef {
                code: "vg_duur".into(),
                name: "Doorlooptijd".into(),
                name_en: None,
                name_fr: None,
                description: String::new(),
                kind: MeasureKind::Median,
                date: "beslist".into(),
                field: None,
                from: Some("ingediend".into()),
                to: Some("beslist".into()),
                p: None,
                filter: BTreeMap::new(),
                within: None,
                condition: BTreeMap::new(),
                periods: default_periods(),
                levels: vec![],
                unit: None,
                decimals: None,
            }],
        }
    }

    #[test]
    fn a_sound_definition_has_no_mistakes_and_each_mistake_is_named() {
        assert!(def().check().is_empty(), "{:?}", def().check());
        let mut d = def();
        d.measures[0].to = None;
        d.measures[0].date = "besluit".into();
        d.categories.push("ingediend".into());
        let found = d.check();
        let fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.contains(&"categories"), "{found:?}");
        assert!(fields.contains(&"measure[1].date (vg_duur)"), "{found:?}");
        assert!(
            fields.contains(&"measure[1].from/to (vg_duur)"),
            "{found:?}"
        );
    }
}
