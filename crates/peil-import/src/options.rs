//! The import options as words, the one reading of them into an [`ImportRequest`]: the back
//! office's upload form and a file source's `[sources.import]` in peil.toml name the options
//! of `peil import` the same way (`clear = "indicators"`, `delimiter = ";"`, …).

use crate::ImportRequest;
use peil_core::{ClearMode, DataOptions, DecimalSeparator, MissingCode};
use peil_ingest::{Encoding, Kind};
use std::collections::BTreeMap;

/// The kinds of file an import can be told it has, in the order forms list them.
pub const KINDS: [Kind; 8] = [
    Kind::Data,
    Kind::Areas,
    Kind::Links,
    Kind::Geometry,
    Kind::Metadata,
    Kind::Themes,
    Kind::Dimensions,
    Kind::Clusters,
];

/// The options of one import, as `peil import`'s long options without the dashes; empty is
/// "not given" (detected, or the default of `peil import`). The `*_column` options, `geolevel`,
/// `period`, `ignore_columns` and `status_column`/`status_map` are the file's column mapping.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImportOptions {
    /// data, areas, links, geometry, metadata, themes, dimensions, clusters; empty: detected.
    pub kind: String,
    pub level: String,
    pub sheet: String,
    pub period: String,
    /// none, indicators or combinations.
    pub clear: String,
    pub no_new_indicators: bool,
    pub skip_unknown_areas: bool,
    pub adjust_periods: bool,
    pub totalize_duplicates: bool,
    pub drop_special_codes: bool,
    /// `x`, `?`, `nvt` or `-`.
    pub empty_as: String,
    /// One character, or `tab`.
    pub delimiter: String,
    /// utf-8 or windows-1252.
    pub encoding: String,
    /// point or comma.
    pub decimal: String,
    pub geolevel: String,
    pub period_column: String,
    pub geolevel_column: String,
    pub geoitem_column: String,
    pub indicator_column: String,
    pub value_column: String,
    pub ignore_columns: Vec<String>,
    pub status_column: String,
    /// Status value → missing symbol (e.g. `not-published = "x"`).
    pub status_map: BTreeMap<String, String>,
}

/// The kinds as a list for messages.
pub fn kind_list() -> String {
    KINDS.map(|k| k.code()).join(", ")
}

impl ImportOptions {
    /// The import these options ask for (`who` imports), or what is wrong with them.
    pub fn request(&self, who: &str) -> Result<ImportRequest, String> {
        let kind =
            match self.kind.as_str() {
                "" => None,
                k => Some(KINDS.into_iter().find(|c| c.code() == k).ok_or_else(|| {
                    format!("unknown kind '{k}': expected one of {}", kind_list())
                })?),
            };
        let clear = match self.clear.as_str() {
            "" | "none" => ClearMode::None,
            "indicators" => ClearMode::Indicators,
            "combinations" => ClearMode::Combinations,
            c => {
                return Err(format!(
                    "unknown clear mode '{c}': expected none, indicators or combinations"
                ));
            }
        };
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let symbol = |what: &str, s: &str| {
            MissingCode::from_symbol(s)
                .ok_or_else(|| format!("{what}: '{s}' is not a missing symbol (x, ?, nvt or -)"))
        };
        let empty_as = match self.empty_as.as_str() {
            "" => None,
            s => Some(symbol("blank cells", s)?),
        };
        let delimiter = match self.delimiter.as_str() {
            "" => None,
            "tab" => Some(b'\t'),
            d if d.len() == 1 && d.is_ascii() => Some(d.as_bytes()[0]),
            d => return Err(format!("delimiter: '{d}' is not one character (or tab)")),
        };
        let encoding = match self.encoding.as_str() {
            "" => None,
            "utf-8" => Some(Encoding::Utf8),
            "windows-1252" => Some(Encoding::Windows1252),
            e => return Err(format!("encoding: '{e}': expected utf-8 or windows-1252")),
        };
        let decimal = match self.decimal.as_str() {
            "" => None,
            "point" => Some(DecimalSeparator::Point),
            "comma" => Some(DecimalSeparator::Comma),
            d => return Err(format!("decimal separator: '{d}': expected point or comma")),
        };
        let mut status_map = Vec::new();
        for (value, s) in &self.status_map {
            status_map.push((value.clone(), symbol("status map", s)?));
        }
        if !status_map.is_empty() && self.status_column.is_empty() {
            return Err("a status map needs the status column it reads".into());
        }
        let mut req = ImportRequest {
            kind,
            level: some(&self.level),
            who: who.to_string(),
            data: DataOptions {
                clear,
                adjust_periods: self.adjust_periods,
                totalize_duplicates: self.totalize_duplicates,
                drop_special_codes: self.drop_special_codes,
                skip_unknown_areas: self.skip_unknown_areas,
                no_new_indicators: self.no_new_indicators,
                empty_as,
            },
            ..Default::default()
        };
        req.table.sheet = some(&self.sheet);
        req.table.delimiter = delimiter;
        req.table.encoding = encoding;
        let s = &mut req.spec;
        s.decimal = decimal;
        s.period = some(&self.period);
        s.geolevel = some(&self.geolevel);
        s.period_column = some(&self.period_column);
        s.geolevel_column = some(&self.geolevel_column);
        s.geoitem_column = some(&self.geoitem_column);
        s.indicator_column = some(&self.indicator_column);
        s.value_column = some(&self.value_column);
        s.ignore_columns = self.ignore_columns.clone();
        s.status_column = some(&self.status_column);
        s.status_map = status_map;
        req.geometry.skip_unknown_areas = self.skip_unknown_areas;
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_the_request_and_bad_words_are_named() {
        let o: ImportOptions = toml_like(&[
            ("kind", "data"),
            ("clear", "indicators"),
            ("delimiter", "tab"),
            ("empty_as", "x"),
            ("geoitem_column", "CD_SECTOR"),
        ]);
        let r = o.request("scheduler").unwrap();
        assert_eq!(r.kind, Some(Kind::Data));
        assert_eq!(r.data.clear, ClearMode::Indicators);
        assert_eq!(r.table.delimiter, Some(b'\t'));
        assert_eq!(r.data.empty_as, Some(MissingCode::Hidden));
        assert_eq!(r.spec.geoitem_column.as_deref(), Some("CD_SECTOR"));
        assert_eq!(r.who, "scheduler");
        for (k, v, says) in [
            ("kind", "cube", "unknown kind 'cube'"),
            ("clear", "all", "unknown clear mode"),
            ("delimiter", ";;", "not one character"),
            ("encoding", "latin1", "expected utf-8"),
            ("decimal", "dot", "expected point or comma"),
            ("empty_as", "0", "not a missing symbol"),
        ] {
            let e = toml_like(&[(k, v)]).request("x").unwrap_err();
            assert!(e.contains(says), "{k}={v}: {e}");
        }
        let mut o = ImportOptions::default();
        o.status_map.insert("not-published".into(), "x".into());
        assert!(o.request("x").unwrap_err().contains("status column"));
        o.status_column = "sourceStatus".into();
        assert_eq!(
            o.request("x").unwrap().spec.status_map,
            [("not-published".to_string(), MissingCode::Hidden)]
        );
    }

    fn toml_like(kv: &[(&str, &str)]) -> ImportOptions {
        let map: serde_json::Map<String, serde_json::Value> = kv
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect();
        serde_json::from_value(serde_json::Value::Object(map)).unwrap()
    }
}
