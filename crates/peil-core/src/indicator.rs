//! Indicators (onderwerpen) with the metadata Swing sites use: data and period type, aggregation,
//! threshold and survey indicators, rounding, formula, themes, lifecycle and visibility.

use crate::period::{Period, PeriodType};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Text in several languages; Dutch (`nl`) is the reference language.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LocalizedText(pub BTreeMap<String, String>);

impl LocalizedText {
    pub fn nl(text: impl Into<String>) -> LocalizedText {
        let mut m = BTreeMap::new();
        m.insert("nl".to_string(), text.into());
        LocalizedText(m)
    }

    pub fn with(mut self, lang: &str, text: impl Into<String>) -> LocalizedText {
        self.0.insert(lang.to_string(), text.into());
        self
    }

    /// The text in `lang`, else Dutch, else any.
    pub fn get(&self, lang: &str) -> Option<&str> {
        self.0
            .get(lang)
            .or_else(|| self.0.get("nl"))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.values().all(|v| v.is_empty())
    }
}

/// Swing's data types; they decide which operations make sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum DataType {
    /// A count; sums over areas.
    #[default]
    Numeric,
    /// A mean; aggregated weighted by its aggregation indicator.
    Mean,
    /// 0–100; recomputed through its aggregation indicator (the denominator).
    Percentage,
    /// A ratio; recomputed through its aggregation indicator.
    Ratio,
    /// A count of objects (points) in an area; sums.
    ObjectCount,
    Label,
    Text,
    Other,
}

impl DataType {
    pub fn code(self) -> &'static str {
        match self {
            DataType::Numeric => "numeric",
            DataType::Mean => "mean",
            DataType::Percentage => "percentage",
            DataType::Ratio => "ratio",
            DataType::ObjectCount => "objectcount",
            DataType::Label => "label",
            DataType::Text => "text",
            DataType::Other => "other",
        }
    }

    /// Accepts Swing's English and Dutch names.
    pub fn parse(s: &str) -> Option<DataType> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '_'], "")
            .as_str()
        {
            "" | "numeric" | "numeriek" | "count" | "aantal" => Some(DataType::Numeric),
            "mean" | "average" | "gemiddelde" | "percentageofmean" => Some(DataType::Mean),
            "percentage" | "percent" | "percentageofsum" | "p" => Some(DataType::Percentage),
            "ratio" | "verhouding" => Some(DataType::Ratio),
            "objectcount" => Some(DataType::ObjectCount),
            "label" => Some(DataType::Label),
            "text" | "tekst" => Some(DataType::Text),
            "other" | "overige" | "overig" => Some(DataType::Other),
            _ => None,
        }
    }

    /// Whether values are numbers at all.
    pub fn is_numeric(self) -> bool {
        !matches!(self, DataType::Label | DataType::Text)
    }
}

/// Lifecycle (status): indicators are never silently deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Lifecycle {
    #[default]
    Active,
    /// *uitdovend*: still shown, no longer updated.
    Retiring,
    Archived,
}

impl Lifecycle {
    pub fn code(self) -> &'static str {
        match self {
            Lifecycle::Active => "active",
            Lifecycle::Retiring => "retiring",
            Lifecycle::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Lifecycle> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "active" | "actief" => Some(Lifecycle::Active),
            "retiring" | "uitdovend" => Some(Lifecycle::Retiring),
            "archived" | "gearchiveerd" | "archief" => Some(Lifecycle::Archived),
            _ => None,
        }
    }
}

/// Who may see an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Visibility {
    #[default]
    Public,
    /// Only members of these access groups.
    Restricted(Vec<String>),
}

impl Visibility {
    /// `public`, or a comma list of access groups.
    pub fn parse(s: &str) -> Visibility {
        let t = s.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("public") || t.eq_ignore_ascii_case("publiek") {
            return Visibility::Public;
        }
        let t = t.strip_prefix("restricted:").unwrap_or(t);
        Visibility::Restricted(
            t.split([',', ';'])
                .map(|g| g.trim().to_string())
                .filter(|g| !g.is_empty())
                .collect(),
        )
    }

    pub fn code(&self) -> String {
        match self {
            Visibility::Public => "public".into(),
            Visibility::Restricted(groups) => format!("restricted:{}", groups.join(",")),
        }
    }
}

/// An indicator (onderwerp) with every metadata field Swing sites use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Indicator {
    /// Permanent code, e.g. `v1101_t`.
    pub code: String,
    /// At most 100 characters.
    pub name: LocalizedText,
    pub description: LocalizedText,
    pub more_info: LocalizedText,
    pub unit: String,
    pub source: String,
    pub data_type: DataType,
    pub period_type: PeriodType,
    /// Weight or denominator used to aggregate means, percentages and ratios.
    pub aggregation_indicator: Option<String>,
    pub sample_indicator: Option<String>,
    pub stddev_indicator: Option<String>,
    /// Population size N for survey indicators.
    pub population_indicator: Option<String>,
    /// Lowest value that may be shown (drempelwaarde).
    pub threshold: Option<f64>,
    /// The indicator on which the threshold is checked (normally the numerator).
    pub threshold_indicator: Option<String>,
    /// Round shown values to a multiple of this (e.g. 10).
    pub rounding: Option<f64>,
    pub decimals: Option<u8>,
    /// Formula in Swing syntax; values are derived, never loaded.
    pub formula: Option<String>,
    /// Explicitly not aggregable (medians, percentages without denominator).
    pub non_aggregable: bool,
    pub status: Lifecycle,
    pub visibility: Visibility,
    /// Theme-tree folders (codes) this indicator appears in.
    pub themes: Vec<String>,
    /// Received from a Connector donor: metadata and values are not edited locally.
    pub protected: bool,
    pub start_period: Option<Period>,
    pub end_period: Option<Period>,
    /// Dimension levels of a cube indicator, in order; empty for a flat indicator.
    pub dim_levels: Vec<String>,
    /// Declared sum relation: in every cell this indicator is the total of these indicators
    /// (`dwellings` = `apartments` + `houses`). Secondary suppression protects it as a linked
    /// table; see `peil_compute::linked`.
    #[serde(default)]
    pub total_of: Vec<String>,
    pub seq: Option<i64>,
    /// From this period on, values are provisional (shown marked, never as final).
    pub provisional_period: Option<Period>,
    /// From this period on, values are a prognosis (shown marked).
    pub forecast_period: Option<Period>,
    /// Values of periods may not be added up (Swing's "aggregate periods" = 0).
    pub non_aggregable_periods: bool,
    /// A footnote shown with every presentation of the indicator.
    pub footnote: LocalizedText,
    /// Left out of search results.
    pub exclude_from_search: bool,
    /// Other metadata columns a source delivers (e.g. Swing's "Free textfield"), kept verbatim.
    pub extra: BTreeMap<String, String>,
}

impl Indicator {
    pub fn new(code: &str) -> Indicator {
        Indicator {
            code: code.to_string(),
            name: LocalizedText::nl(code),
            ..Default::default()
        }
    }

    /// The indicators this one refers to in its metadata (not in its formula).
    pub fn metadata_references(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("aggregation indicator", &self.aggregation_indicator),
            ("sample indicator", &self.sample_indicator),
            ("stddev indicator", &self.stddev_indicator),
            ("population indicator", &self.population_indicator),
            ("threshold indicator", &self.threshold_indicator),
        ]
        .into_iter()
        .filter_map(|(what, r)| r.as_deref().map(|r| (what, r)))
        .chain(self.total_of.iter().map(|r| ("total of", r.as_str())))
    }
}

/// The key in [`Indicator::extra`] holding a survey indicator's confidence level (`90`, `95` or
/// `99`; read by [`Indicator::confidence_level`]). Kept in `extra` like Swing's other optional
/// columns, so the store and the Connector carry it without a schema change.
pub const EXTRA_CONFIDENCE: &str = "confidence level";

/// The key in [`Indicator::extra`] holding a survey indicator's benchmark area: a level code
/// (each area is compared with its own ancestor on that level) or `level:item` (one fixed area,
/// e.g. the centre-city average). Read by [`Indicator::benchmark`].
pub const EXTRA_BENCHMARK: &str = "benchmark";

impl Indicator {
    /// A survey indicator, shown with its confidence interval: a percentage with its sample size
    /// n declared, or a mean with its sample size n and its standard-deviation indicator
    /// declared.
    pub fn is_survey(&self) -> bool {
        self.sample_indicator.is_some()
            && match self.data_type {
                DataType::Percentage => true,
                DataType::Mean => self.stddev_indicator.is_some(),
                _ => false,
            }
    }

    /// A survey mean (interval `mean ± z·sd/√n`), as opposed to a survey percentage.
    pub fn is_survey_mean(&self) -> bool {
        self.is_survey() && self.data_type == DataType::Mean
    }

    /// The confidence level of a survey indicator's intervals: 90, 95 or 99 (default 95).
    pub fn confidence_level(&self) -> u8 {
        self.extra
            .get(EXTRA_CONFIDENCE)
            .and_then(|s| parse_confidence(s))
            .unwrap_or(95)
    }

    /// The declared benchmark of a survey indicator (see [`EXTRA_BENCHMARK`]).
    pub fn benchmark(&self) -> Option<&str> {
        self.extra
            .get(EXTRA_BENCHMARK)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
}

/// A confidence level as a metadata table writes it: `95`, `95%`, `95 %`, `0.95`.
pub fn parse_confidence(s: &str) -> Option<u8> {
    match s.trim().trim_end_matches('%').trim() {
        "90" | "0.90" | "0.9" | "0,90" | "0,9" => Some(90),
        "95" | "0.95" | "0,95" => Some(95),
        "99" | "0.99" | "0,99" => Some(99),
        _ => None,
    }
}

/// A folder of the theme tree (themaboom).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Theme {
    pub code: String,
    pub parent: Option<String>,
    pub name: LocalizedText,
    pub seq: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_swing_names() {
        assert_eq!(DataType::parse("Numeric"), Some(DataType::Numeric));
        assert_eq!(DataType::parse("gemiddelde"), Some(DataType::Mean));
        assert_eq!(DataType::parse("Percentage"), Some(DataType::Percentage));
        assert_eq!(DataType::parse("tekst"), Some(DataType::Text));
        assert_eq!(DataType::parse("bogus"), None);
        assert_eq!(Visibility::parse("public"), Visibility::Public);
        assert_eq!(
            Visibility::parse("restricted:staff, council"),
            Visibility::Restricted(vec!["staff".into(), "council".into()])
        );
        assert_eq!(Lifecycle::parse("uitdovend"), Some(Lifecycle::Retiring));
    }

    #[test]
    fn survey_metadata() {
        let mut i = Indicator::new("vs_a");
        assert!(!i.is_survey());
        i.sample_indicator = Some("vs_a_n".into());
        i.data_type = DataType::Percentage;
        assert!(i.is_survey());
        assert_eq!(i.confidence_level(), 95);
        assert_eq!(i.benchmark(), None);
        i.extra.insert(EXTRA_CONFIDENCE.into(), "99 %".into());
        i.extra.insert(EXTRA_BENCHMARK.into(), " gemeente ".into());
        assert_eq!(i.confidence_level(), 99);
        assert_eq!(i.benchmark(), Some("gemeente"));
        assert_eq!(parse_confidence("0,9"), Some(90));
        // A mean is a survey indicator only with its standard deviation declared.
        let mut m = Indicator::new("vs_m");
        m.data_type = DataType::Mean;
        m.sample_indicator = Some("vs_m_n".into());
        assert!(!m.is_survey());
        m.stddev_indicator = Some("vs_m_sd".into());
        assert!(m.is_survey() && m.is_survey_mean() && !i.is_survey_mean());
        assert_eq!(parse_confidence("80"), None);
    }

    #[test]
    fn localized_fallback() {
        let t = LocalizedText::nl("inwoners").with("en", "inhabitants");
        assert_eq!(t.get("en"), Some("inhabitants"));
        assert_eq!(t.get("fr"), Some("inwoners"));
    }
}
