//! Cubes (kubussen): dimensions (age, sex), their levels (5-year bands, 3 bands) and members.

use crate::indicator::LocalizedText;
use serde::{Deserialize, Serialize};

/// The fixed columns of the data API's tables (CSV, CSVW, XLSX); a cube's dim levels follow
/// `period`, each under [`dim_column`].
pub const DATA_FIXED_COLUMNS: [&str; 10] = [
    "indicator",
    "indicator_name",
    "unit",
    "level",
    "item",
    "item_name",
    "period",
    "value",
    "status",
    "flag",
];

/// The column a dim level is written under in a data table: its code, or `dim_CODE` where the
/// code is the name of a fixed column.
pub fn dim_column(level: &str) -> String {
    if DATA_FIXED_COLUMNS.contains(&level) {
        format!("dim_{level}")
    } else {
        level.to_string()
    }
}

/// The dim level a data table's column names (what [`dim_column`] wrote).
pub fn dim_level_of_column(column: &str) -> &str {
    match column.strip_prefix("dim_") {
        Some(level) if DATA_FIXED_COLUMNS.contains(&level) => level,
        _ => column,
    }
}

/// A dimension such as age or sex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dimension {
    pub code: String,
    pub name: LocalizedText,
}

/// A level of a dimension, e.g. age in 5-year bands (`leeftijd5`) or in 3 bands (`leeftijd3`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimLevel {
    pub code: String,
    pub dimension: String,
    pub name: LocalizedText,
    pub seq: i64,
}

/// A member of a dimension level, e.g. `0-4`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimMember {
    pub level: String,
    pub code: String,
    pub name: LocalizedText,
    pub seq: i64,
}

/// A member named by its dim level and its code: `("leeftijd5", "0-4")`.
pub type MemberRef = (String, String);

/// The cube cell coordinates of a value: (dim level, member) pairs sorted by dim level.
///
/// Flat indicators have the empty key. The canonical text form is `lvl=member;lvl2=member2`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct DimKey(pub Vec<(String, String)>);

impl DimKey {
    pub fn new(mut pairs: Vec<(String, String)>) -> DimKey {
        pairs.sort();
        DimKey(pairs)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(|(l, m)| format!("{l}={m}"))
            .collect::<Vec<_>>()
            .join(";")
    }

    pub fn parse(s: &str) -> Option<DimKey> {
        if s.is_empty() {
            return Some(DimKey::default());
        }
        let mut pairs = Vec::new();
        for part in s.split(';') {
            let (l, m) = part.split_once('=')?;
            pairs.push((l.to_string(), m.to_string()));
        }
        Some(DimKey::new(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dim_key_text_round_trips_and_sorts() {
        let k = DimKey::new(vec![
            ("sex".into(), "m".into()),
            ("age5".into(), "0-4".into()),
        ]);
        assert_eq!(k.to_text(), "age5=0-4;sex=m");
        assert_eq!(DimKey::parse(&k.to_text()), Some(k));
        assert_eq!(DimKey::parse(""), Some(DimKey::default()));
        assert_eq!(DimKey::parse("bad"), None);
    }
}
