//! Shared test helpers: a compact builder for a `Warehouse`, value parsing from the symbols
//! readers see (`3`, `2.5`, `x`, `?`, `nvt`, `-`), and lookups/expectations on computed and
//! published values.
//!
//! Conventions used by every test table:
//! - a cell list is written `"A=1 B=x C=nvt D=-"`; `-` means "no value" (no record, or the
//!   empty code, which is the same thing as no record);
//! - in a *load* spec `_` leaves the item out (no record at all);
//! - in an *expectation* every listed item is checked, unlisted items are not.

use peil_compute::{Computed, Snapshot};
use peil_core::*;
use std::collections::HashMap;

pub const NONE: Value = Value::Missing(MissingCode::Empty);
pub const HIDDEN: Value = Value::Missing(MissingCode::Hidden);
pub const UNKNOWN: Value = Value::Missing(MissingCode::Unknown);
pub const NA: Value = Value::Missing(MissingCode::NotApplicable);

/// `3`, `-2.5`, `x`, `?`, `nvt`, `-`.
pub fn val(s: &str) -> Value {
    let s = s.trim();
    if let Some(c) = MissingCode::from_symbol(s) {
        return Value::Missing(c);
    }
    Value::Number(
        s.parse()
            .unwrap_or_else(|_| panic!("bad value {s:?} in a test table")),
    )
}

pub fn per(s: &str) -> Period {
    Period::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

/// `"A=1 B=x"` → `[("A", 1), ("B", x)]`; `_` values are dropped (no record).
pub fn cells(spec: &str) -> Vec<(String, Value)> {
    spec.split_whitespace()
        .filter_map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .unwrap_or_else(|| panic!("bad cell {kv:?}"));
            (v != "_").then(|| (k.to_string(), val(v)))
        })
        .collect()
}

/// `"age5=0-4;sex=m"` → a sorted `DimKey`.
pub fn dims(spec: &str) -> DimKey {
    DimKey::parse(spec).unwrap_or_else(|| panic!("bad dims {spec:?}"))
}

/// Numbers equal up to float noise; codes equal exactly.
pub fn same(a: Value, b: Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x - y).abs() <= 1e-9 * (1.0 + x.abs().max(y.abs()))
        }
        (a, b) => a == b,
    }
}

// ---------------------------------------------------------------------------------------------
// Indicators

pub fn count(code: &str) -> Indicator {
    Indicator {
        data_type: DataType::Numeric,
        period_type: PeriodType::Stock,
        ..Indicator::new(code)
    }
}

pub fn flow(code: &str) -> Indicator {
    Indicator {
        period_type: PeriodType::Flow,
        ..count(code)
    }
}

/// A mean, percentage or ratio aggregated through `agg`.
pub fn weighted(code: &str, data_type: DataType, agg: &str) -> Indicator {
    Indicator {
        data_type,
        aggregation_indicator: Some(agg.to_string()),
        ..Indicator::new(code)
    }
}

pub fn formula(code: &str, text: &str) -> Indicator {
    Indicator {
        formula: Some(text.to_string()),
        ..count(code)
    }
}

pub fn with_threshold(mut i: Indicator, t: f64) -> Indicator {
    i.threshold = Some(t);
    i
}

// ---------------------------------------------------------------------------------------------
// Warehouse builder

#[derive(Default, Clone)]
pub struct Wb {
    pub w: Warehouse,
    ids: HashMap<(String, String), u32>,
    next: u32,
}

impl Wb {
    pub fn new() -> Wb {
        Wb {
            next: 1,
            ..Default::default()
        }
    }

    /// A level with whitespace-separated item codes (unknown-location codes are marked).
    pub fn level(self, code: &str, items: &str) -> Wb {
        let items: Vec<String> = items.split_whitespace().map(str::to_string).collect();
        self.level_items(code, &items)
    }

    pub fn level_items(mut self, code: &str, items: &[String]) -> Wb {
        let mut out = Vec::new();
        for (seq, it) in items.iter().enumerate() {
            let id = self.next;
            self.next += 1;
            self.ids.insert((code.to_string(), it.clone()), id);
            out.push((
                id,
                GeoItem {
                    code: it.clone(),
                    short_name: it.clone(),
                    name: it.clone(),
                    seq: seq as i64,
                    unknown_location: is_unknown_location_code(it),
                },
            ));
        }
        self.w.levels.push(WarehouseLevel {
            level: GeoLevel::new(code),
            items: out,
        });
        self
    }

    pub fn id(&self, level: &str, item: &str) -> u32 {
        *self
            .ids
            .get(&(level.to_string(), item.to_string()))
            .unwrap_or_else(|| panic!("no item {item} on level {level}"))
    }

    /// Aggregation links `"S1>W1 S2>W1"`.
    pub fn link(self, child: &str, parent: &str, pairs: &str) -> Wb {
        let pairs: Vec<(String, String)> = pairs
            .split_whitespace()
            .map(|p| {
                let (c, q) = p
                    .split_once('>')
                    .unwrap_or_else(|| panic!("bad link {p:?}"));
                (c.to_string(), q.to_string())
            })
            .collect();
        self.link_pairs(child, parent, EdgeKind::Aggregation, &pairs)
    }

    /// Conversion links between two versions of a division.
    pub fn conversion(self, old: &str, new: &str, pairs: &str) -> Wb {
        let pairs: Vec<(String, String)> = pairs
            .split_whitespace()
            .map(|p| {
                let (c, q) = p.split_once('>').unwrap();
                (c.to_string(), q.to_string())
            })
            .collect();
        self.link_pairs(old, new, EdgeKind::Conversion, &pairs)
    }

    pub fn link_pairs(
        mut self,
        child: &str,
        parent: &str,
        kind: EdgeKind,
        pairs: &[(String, String)],
    ) -> Wb {
        let links = pairs
            .iter()
            .map(|(c, p)| (self.id(child, c), self.id(parent, p)))
            .collect();
        self.w.edges.push(WarehouseEdge {
            child: child.to_string(),
            parent: parent.to_string(),
            kind,
            links,
        });
        self
    }

    pub fn ind(mut self, i: Indicator) -> Wb {
        self.w.indicators.push(i);
        self
    }

    /// Loads `"A=1 B=x"` for a flat indicator.
    pub fn load(self, ind: &str, level: &str, period: &str, spec: &str) -> Wb {
        self.load_dims(ind, level, period, "", spec)
    }

    /// Loads one cube cell (`dims` like `"age5=0-4;sex=m"`).
    pub fn load_dims(self, ind: &str, level: &str, period: &str, dk: &str, spec: &str) -> Wb {
        self.load_values(ind, level, per(period), dims(dk), cells(spec))
    }

    pub fn load_values(
        mut self,
        ind: &str,
        level: &str,
        period: Period,
        dims: DimKey,
        values: Vec<(String, Value)>,
    ) -> Wb {
        let mut values: Vec<(u32, Value)> = values
            .into_iter()
            .map(|(it, v)| (self.id(level, &it), v))
            .collect();
        values.sort_by_key(|(id, _)| *id);
        self.w.series.push(WarehouseSeries {
            key: SeriesKey {
                indicator: ind.to_string(),
                level: level.to_string(),
                period,
                dims,
            },
            values,
        });
        self
    }

    /// Fine member → coarse member of a cube dimension.
    pub fn dim_link(mut self, fine: (&str, &str), coarse: (&str, &str)) -> Wb {
        self.w.dim_links.push((
            (fine.0.to_string(), fine.1.to_string()),
            (coarse.0.to_string(), coarse.1.to_string()),
        ));
        self
    }

    pub fn build(self) -> Warehouse {
        self.w
    }
}

// ---------------------------------------------------------------------------------------------
// Reading results

/// A computed value (before privacy); `-` when there is no value at all.
pub fn get(c: &Computed, ind: &str, level: &str, period: &str, item: &str) -> Value {
    get_dims(c, ind, level, period, &DimKey::default(), item)
}

pub fn get_dims(
    c: &Computed,
    ind: &str,
    level: &str,
    period: &str,
    dk: &DimKey,
    item: &str,
) -> Value {
    let i = *c
        .index
        .get(ind)
        .unwrap_or_else(|| panic!("no indicator {ind}"));
    let l = *c
        .geo
        .by_code
        .get(level)
        .unwrap_or_else(|| panic!("no level {level}"));
    let pos = c.geo.levels[l]
        .items
        .iter()
        .position(|(_, it)| it.code == item)
        .unwrap_or_else(|| panic!("no item {item} on {level}"));
    let Some(&d) = c.dim_index.get(dk) else {
        return NONE;
    };
    c.get(i, l, per(period), d)
        .map_or(NONE, |v| v[pos].to_value())
}

/// The periods (codes, sorted) an indicator has values for on a level.
pub fn periods(c: &Computed, ind: &str, level: &str) -> Vec<String> {
    let i = c.index[ind];
    let l = c.geo.by_code[level] as u16;
    let mut ps: Vec<Period> = c
        .keys
        .get(&(i, l))
        .map(|k| k.iter().map(|(p, _)| *p).collect())
        .unwrap_or_default();
    ps.dedup();
    ps.iter().map(|p| p.code()).collect()
}

/// A published value; `-` when the snapshot has no such series.
pub fn published(s: &Snapshot, ind: &str, level: &str, period: &str, item: &str) -> Value {
    s.value(ind, level, per(period), &DimKey::default(), item, &anyone())
        .unwrap_or(NONE)
}

fn report(what: &str, mismatches: Vec<String>) {
    if !mismatches.is_empty() {
        panic!("{what}:\n  {}", mismatches.join("\n  "));
    }
}

/// Checks every `item=value` of `spec` against the computed values.
pub fn expect(c: &Computed, ind: &str, level: &str, period: &str, spec: &str) {
    let bad = cells(spec)
        .into_iter()
        .filter_map(|(item, want)| {
            let got = get(c, ind, level, period, &item);
            (!same(got, want))
                .then(|| format!("{ind} {level} {period} {item}: got {got}, expected {want}"))
        })
        .collect();
    report("computed values differ", bad);
}

/// Checks every `item=value` of `spec` against the published values.
pub fn expect_published(s: &Snapshot, ind: &str, level: &str, period: &str, spec: &str) {
    let bad = cells(spec)
        .into_iter()
        .filter_map(|(item, want)| {
            let got = published(s, ind, level, period, &item);
            (!same(got, want))
                .then(|| format!("{ind} {level} {period} {item}: published {got}, expected {want}"))
        })
        .collect();
    report("published values differ", bad);
}

/// One row of a results table: indicator, level, period, expected cells.
pub type Row<'a> = (&'a str, &'a str, &'a str, &'a str);

/// Computes `w` and checks every row; all mismatches are reported together.
pub fn check_rows(case: &str, w: &Warehouse, rows: &[Row]) {
    let c = peil_compute::compute(w).unwrap_or_else(|e| panic!("{case}: compute failed: {e}"));
    let mut bad = Vec::new();
    for (ind, level, period, spec) in rows {
        for (item, want) in cells(spec) {
            let got = get(&c, ind, level, period, &item);
            if !same(got, want) {
                bad.push(format!(
                    "{ind} {level} {period} {item}: got {got}, expected {want}"
                ));
            }
        }
    }
    report(case, bad);
}

/// A small deterministic generator (no dependency, same data on every run); each test file
/// adds the draws it needs.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Publishes with or without secondary suppression.
pub fn publish_with(w: &Warehouse, secondary: bool) -> Snapshot {
    peil_compute::publish(
        w,
        1,
        &peil_compute::PublishOptions {
            secondary_suppression: secondary,
        },
    )
    .unwrap()
}

/// A reader for engine tests: anonymous (every indicator these tests publish is public).
pub fn anyone() -> peil_core::Reader {
    peil_core::Reader::anonymous()
}
