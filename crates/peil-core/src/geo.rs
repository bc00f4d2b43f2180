//! Geography: levels (gebiedsniveaus) and items (gebieden). Codes are permanent strings, even
//! when they look like numbers (`11002`, never `11002.0`).

use serde::{Deserialize, Serialize};

/// What the items of a level are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum GeoLevelKind {
    /// Polygons: sectors, neighbourhoods, municipalities.
    #[default]
    Area,
    /// Points such as schools.
    Location,
    Line,
    /// A custom grouping of areas (retail areas, police zones).
    Cluster,
}

impl GeoLevelKind {
    pub fn code(self) -> &'static str {
        match self {
            GeoLevelKind::Area => "area",
            GeoLevelKind::Location => "location",
            GeoLevelKind::Line => "line",
            GeoLevelKind::Cluster => "cluster",
        }
    }

    pub fn parse(s: &str) -> Option<GeoLevelKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "area" | "gebied" => Some(GeoLevelKind::Area),
            "location" | "locatie" | "point" => Some(GeoLevelKind::Location),
            "line" | "lijn" => Some(GeoLevelKind::Line),
            "cluster" => Some(GeoLevelKind::Cluster),
            _ => None,
        }
    }
}

/// A geo level (gebiedsniveau), e.g. `statsec2024`, `ggw72024`, `gemeente`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeoLevel {
    pub code: String,
    pub name: String,
    pub kind: GeoLevelKind,
}

impl GeoLevel {
    pub fn new(code: &str) -> GeoLevel {
        GeoLevel {
            code: code.to_string(),
            name: code.to_string(),
            kind: GeoLevelKind::Area,
        }
    }

    /// The division this level is a version of, and the last year it was valid:
    /// `statsec2019` → (`statsec`, Some(2019)); `gemeente` → (`gemeente`, None).
    pub fn version(&self) -> (&str, Option<i32>) {
        level_version(&self.code)
    }
}

/// See [`GeoLevel::version`].
pub fn level_version(code: &str) -> (&str, Option<i32>) {
    let n = code.len();
    if n > 4 && code.is_char_boundary(n - 4) {
        let (base, year) = code.split_at(n - 4);
        if year.bytes().all(|b| b.is_ascii_digit()) && !base.is_empty() {
            let y: i32 = year.parse().unwrap_or(0);
            if (1900..=2200).contains(&y) {
                return (base, Some(y));
            }
        }
    }
    (code, None)
}

/// A geo item (gebied).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeoItem {
    /// Permanent code; a string even when it looks like a number.
    pub code: String,
    pub short_name: String,
    pub name: String,
    /// Sort order within the level (volgnummer).
    pub seq: i64,
    /// Counts in totals, has no geometry ("niet te lokaliseren").
    pub unknown_location: bool,
}

/// Whether a code denotes an unknown-location item: sectors `<NIS5>ZZZZ`, wijken `<NIS5>WONB`,
/// and the municipality-level codes `99991`, `99992`, `99999`.
pub fn is_unknown_location_code(code: &str) -> bool {
    let c = code.trim();
    c.ends_with("ZZZZ") || c.ends_with("WONB") || matches!(c, "99991" | "99992" | "99999")
}

/// Normalises a geo code as read from a file: trims, and turns spreadsheet numbers such as
/// `11002.0` into `11002`. Returns `None` for an empty code.
pub fn normalize_code(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(int) = t.strip_suffix(".0")
        && !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
    {
        return Some(int.to_string());
    }
    Some(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(level_version("statsec2019"), ("statsec", Some(2019)));
        assert_eq!(level_version("ggw72024"), ("ggw7", Some(2024)));
        assert_eq!(level_version("gemeente"), ("gemeente", None));
        assert_eq!(level_version("2024"), ("2024", None));
    }

    #[test]
    fn unknown_locations() {
        assert!(is_unknown_location_code("11002ZZZZ"));
        assert!(is_unknown_location_code("11002WONB"));
        assert!(is_unknown_location_code("99992"));
        assert!(!is_unknown_location_code("11002A00-"));
        assert!(!is_unknown_location_code("11002"));
    }

    #[test]
    fn codes() {
        assert_eq!(normalize_code(" 11002.0 "), Some("11002".into()));
        assert_eq!(normalize_code("11001A00-"), Some("11001A00-".into()));
        assert_eq!(normalize_code("  "), None);
        assert_eq!(normalize_code("1.5"), Some("1.5".into()));
    }
}
