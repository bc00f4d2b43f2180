//! Access groups (toegangsgroepen): what a group of readers is granted beyond public data.
//!
//! A group grants restricted indicators — by code, by theme subtree, by source, and every
//! indicator whose metadata says `restricted:…,name,…` — and narrows what it grants to geo
//! levels, dimension levels and a period range (none listed: all). Public indicators are
//! everyone's at every level and period; a group cannot hide them. A reader's rights are the
//! union of their groups' and the [`GUEST`] group's, which applies to every reader, anonymous
//! included. The snapshot compiles groups once per publication (`peil_compute::access`).

use crate::Period;
use serde::{Deserialize, Serialize};

/// The group every reader is in, anonymous or not. Undefined (the default), it grants nothing
/// beyond the public indicators.
pub const GUEST: &str = "guest";

/// One access group as an administrator defines it (`peil groups add`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccessGroup {
    pub name: String,
    pub description: String,
    /// Indicators granted by code.
    pub indicators: Vec<String>,
    /// Indicators granted by theme: every indicator in the theme or a theme beneath it.
    pub themes: Vec<String>,
    /// Indicators granted by their metadata's source (exact text).
    pub sources: Vec<String>,
    /// Geo levels the grants hold on; empty: all.
    pub levels: Vec<String>,
    /// Dimension levels a cube's cells may use; empty: all. A cube's total (no dimension) is
    /// always within.
    pub dim_levels: Vec<String>,
    /// First and last period (inclusive, by calendar dates); `None`: all.
    pub periods: Option<(Period, Period)>,
}

impl AccessGroup {
    /// A group from what an administrator typed (the CLI's arguments, the back office's
    /// form): the name checked, list entries trimmed and empty ones dropped, the period
    /// range parsed. The one way both build a group.
    #[allow(clippy::too_many_arguments)]
    pub fn from_input(
        name: &str,
        description: &str,
        indicators: Vec<String>,
        themes: Vec<String>,
        sources: Vec<String>,
        levels: Vec<String>,
        dim_levels: Vec<String>,
        periods: Option<&str>,
    ) -> Result<AccessGroup, String> {
        let name = name.trim();
        check_group_name(name)?;
        let periods = periods
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| parse_period_range(p).map_err(|e| format!("periods: {e}")))
            .transpose()?;
        let clean = |v: Vec<String>| -> Vec<String> {
            let mut out: Vec<String> = Vec::with_capacity(v.len());
            for s in v.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                if !out.iter().any(|o| o == s) {
                    out.push(s.to_string());
                }
            }
            out
        };
        Ok(AccessGroup {
            name: name.to_string(),
            description: description.trim().to_string(),
            indicators: clean(indicators),
            themes: clean(themes),
            sources: clean(sources),
            levels: clean(levels),
            dim_levels: clean(dim_levels),
            periods,
        })
    }

    /// Whether a period lies within the group's range: its first and last day both do, so
    /// `2020:2022` holds 2020, 2021Q3 and 2022M12, and not 2023.
    pub fn holds_period(&self, p: Period) -> bool {
        self.periods.is_none_or(|(from, to)| {
            let (a, b) = p.bounds();
            a >= from.bounds().0 && b <= to.bounds().1
        })
    }
}

/// Parses a period range as `peil groups add --periods` takes it: `2015:2024`, `2019Q1:2020`
/// or one period (`2020`, from and to the same).
pub fn parse_period_range(s: &str) -> Result<(Period, Period), String> {
    let (a, b) = s.split_once(':').unwrap_or((s, s));
    let from = Period::parse(a).map_err(|e| e.to_string())?;
    let to = Period::parse(b).map_err(|e| e.to_string())?;
    if from.bounds().0 > to.bounds().1 {
        return Err(format!(
            "the period range '{s}' ends before it starts (expected FROM:TO with FROM first, e.g. 2015:2024)"
        ));
    }
    Ok((from, to))
}

/// A group name: letters, digits, `-`, `_` and `.`, at most 64 characters (names travel in
/// comma lists: metadata's `restricted:a,b` and a key's groups).
pub fn check_group_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{}' is not a group name (expected 1 to 64 letters, digits, '-', '_' or '.')",
            crate::shown(name)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_hold_periods_by_dates() {
        let g = AccessGroup {
            periods: Some(parse_period_range("2020:2022").unwrap()),
            ..Default::default()
        };
        for p in ["2020", "2021Q3", "2022M12", "2020H1"] {
            assert!(g.holds_period(Period::parse(p).unwrap()), "{p}");
        }
        for p in ["2019", "2023", "2019M12", "2023Q1"] {
            assert!(!g.holds_period(Period::parse(p).unwrap()), "{p}");
        }
        assert!(AccessGroup::default().holds_period(Period::year(1900)));
        assert!(parse_period_range("2024:2015").is_err());
        assert_eq!(
            parse_period_range("2020").unwrap(),
            (Period::year(2020), Period::year(2020))
        );
    }

    #[test]
    fn names_are_list_safe() {
        assert!(check_group_name("stadsdiensten").is_ok());
        assert!(check_group_name("a,b").is_err());
        assert!(check_group_name("").is_err());
    }
}
