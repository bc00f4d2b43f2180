//! Swing-compatible OData v4 service at `/jiveservices/odata/` and `/viewerservices/odata/`
//! (the same service under both names), read by the `stadincijfers` Python package, R and C#
//! scripts, Power BI and Excel (domain brief section 14).
//!
//! Entity sets and navigation (keys are codes, written `('code')`; the key of every entity
//! type is `ExternalCode` and every entity has a `Name`):
//!
//! ```text
//! GeoLevels('gl')/GeoItems            GeoLevels('gl')/PeriodLevels('pl')/Periods
//! PeriodLevels('pl')/Periods          Periods      DataSources('s')/Variables
//! Variables('v')/GeoLevels('gl')/PeriodLevels('pl')/Periods('2019'|'mrp')/Values
//! Variables('v')/GeoLevels('gl')/GeoItems     CubeVariables('v')/Dimensions
//! CubeVariables('v')/DimLevels('d')/DimMembers        Dimensions('d')/DimLevels
//! $metadata (CSDL XML)     <collection>/$count (plain text)
//! ```
//!
//! Query options on collections: `$filter` (eq ne gt ge lt le, and or not, parentheses,
//! `contains`/`startswith`/`endswith`/`tolower`/`toupper`/`trim`/`length`), `$orderby`,
//! `$select`, `$top`, `$skip`, `$count=true`. Collections are paged by the server: at most
//! [`PAGE`] entities ([`VARIABLES_PAGE`] for variables, or fewer with
//! `Prefer: odata.maxpagesize=N`), followed by an absolute `@odata.nextLink`. URLs in answers
//! are absolute, built from the `Host` (and `X-Forwarded-Proto`/`X-Forwarded-Host`) headers,
//! and answers say `Vary` on them so that a shared cache never hands one host's links to
//! another. The query string is form-encoded (`query.rs`, the rule of every API): `+` is a
//! space, a plus sign is `%2B`, a `%` without two hex digits is a 400 naming the parameter.
//!
//! Choices where Swing's behaviour is not written down:
//! - Restricted indicators do not exist here: not listed, not counted, not suggested, and
//!   `Variables('restricted')` answers the same 404 as an unknown code.
//! - `ValueString` is the number in its shortest round-trip form with `.` as decimal
//!   separator, or the missing code's symbol (`?`, `x`, `nvt`, `-`); hidden cells are `x`.
//!   `Value` carries the same number as a JSON number (null when missing) for Power BI.
//! - Values of a cube indicator are its totals (the cell with no dimension member).
//! - Values of a survey indicator carry their confidence interval (`Lower`, `Upper`, `Margin`,
//!   `Confidence` in %) and the verdict against the benchmark area (`Significance`: `higher`,
//!   `lower`, `not-significant`; `BenchmarkGeoLevel`, `Benchmark`); these are null for other
//!   indicators, for missing or hidden values, and for readers who may not see the sample size.
//! - A cube's dimensions are inferred from the published cube cells, because the snapshot does
//!   not carry dimension metadata: each dim level the indicator declares is a dimension (its
//!   code is the dimension's code), and a published dim level that never occurs together with
//!   a declared one in a cell belongs to that one's dimension (`leeftijd3` with `leeftijd5`).
//!   Names of dimensions, dim levels and members are their codes.
//! - `Periods('mrp')` is the most recent period of the collection it is taken from.
//! - A variable's `StartPeriod`/`EndPeriod` come from its metadata, or, for formulas (which
//!   have none), from its published periods.
//! - Errors are RFC 9457 problem details that also carry OData's `error` object
//!   (`{"error": {"code", "message"}}`), so that both kinds of client can show the message.

use crate::AppState;
use crate::fragments::Fragments;
use crate::problem::Problem;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use peil_compute::Snapshot;
use peil_compute::survey::Cell as SurveyCell;
use peil_core::{DimKey, GeoItem, Indicator, Period, PeriodLevel, Reader, Value};
use serde_json::{Map, Value as J, json};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Largest page of a collection.
pub const PAGE: usize = 1000;
/// Largest page of `Variables` (Swing pages variables in small steps; the `stadincijfers`
/// client reads them ten at a time with `$skip`).
pub const VARIABLES_PAGE: usize = 50;
/// The CSDL namespace.
const NS: &str = "Peil";

pub fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for svc in ["jiveservices", "viewerservices"] {
        r = r
            .route(&format!("/{svc}/odata"), get(handle))
            .route(&format!("/{svc}/odata/"), get(handle))
            .route(&format!("/{svc}/odata/{{*rest}}"), get(handle));
    }
    r
}

// ---------------------------------------------------------------------------------------------
// Entity model
// ---------------------------------------------------------------------------------------------

/// The EDM types and the `$filter` parser live in `peil-odata` (no HTTP, fuzzed on their own).
pub use peil_odata::{Edm, filter};

/// An entity type: its properties (the key is always `ExternalCode`) and navigation
/// properties (all collections, all contained).
pub struct EntityType {
    pub name: &'static str,
    pub props: &'static [(&'static str, Edm)],
    pub navs: &'static [(&'static str, &'static str)],
}

use Edm::{Boolean as B, Date as D, Double as F, Int64 as I, String as S};

pub const GEO_LEVEL: EntityType = EntityType {
    name: "GeoLevel",
    props: &[
        ("ExternalCode", S),
        ("Name", S),
        ("Kind", S),
        ("ItemCount", I),
    ],
    navs: &[("GeoItems", "GeoItem"), ("PeriodLevels", "PeriodLevel")],
};
pub const GEO_ITEM: EntityType = EntityType {
    name: "GeoItem",
    props: &[
        ("ExternalCode", S),
        ("Name", S),
        ("ShortName", S),
        ("Sequence", I),
        ("GeoLevel", S),
        ("UnknownLocation", B),
    ],
    navs: &[],
};
pub const PERIOD_LEVEL: EntityType = EntityType {
    name: "PeriodLevel",
    props: &[("ExternalCode", S), ("Name", S), ("PeriodsPerYear", I)],
    navs: &[("Periods", "Period")],
};
pub const PERIOD: EntityType = EntityType {
    name: "Period",
    props: &[
        ("ExternalCode", S),
        ("Name", S),
        ("FullName", S),
        ("PeriodLevel", S),
        ("Year", I),
        ("StartDate", D),
        ("EndDate", D),
    ],
    navs: &[("Values", "Value")],
};
pub const VARIABLE: EntityType = EntityType {
    name: "Variable",
    props: &[
        ("ExternalCode", S),
        ("Name", S),
        ("Description", S),
        ("Unit", S),
        ("DataSource", S),
        ("DataType", S),
        ("PeriodType", S),
        ("Decimals", I),
        ("StartPeriod", S),
        ("EndPeriod", S),
        ("IsCube", B),
        ("Status", S),
    ],
    navs: &[
        ("GeoLevels", "GeoLevel"),
        ("Dimensions", "Dimension"),
        ("DimLevels", "DimLevel"),
    ],
};
pub const VALUE: EntityType = EntityType {
    name: "Value",
    props: &[
        ("ExternalCode", S),
        ("Name", S),
        ("ValueString", S),
        ("Value", F),
        ("Variable", S),
        ("GeoLevel", S),
        ("Period", S),
        ("Lower", F),
        ("Upper", F),
        ("Margin", F),
        ("Confidence", I),
        ("Significance", S),
        ("BenchmarkGeoLevel", S),
        ("Benchmark", S),
    ],
    navs: &[],
};
pub const DATA_SOURCE: EntityType = EntityType {
    name: "DataSource",
    props: &[("ExternalCode", S), ("Name", S), ("VariableCount", I)],
    navs: &[("Variables", "Variable")],
};
pub const DIMENSION: EntityType = EntityType {
    name: "Dimension",
    props: &[("ExternalCode", S), ("Name", S)],
    navs: &[("DimLevels", "DimLevel")],
};
pub const DIM_LEVEL: EntityType = EntityType {
    name: "DimLevel",
    props: &[
        ("ExternalCode", S),
        ("Name", S),
        ("Dimension", S),
        ("Sequence", I),
    ],
    navs: &[("DimMembers", "DimMember")],
};
pub const DIM_MEMBER: EntityType = EntityType {
    name: "DimMember",
    props: &[
        ("ExternalCode", S),
        ("Name", S),
        ("DimLevel", S),
        ("Sequence", I),
    ],
    navs: &[],
};

pub const TYPES: [&EntityType; 10] = [
    &GEO_LEVEL,
    &GEO_ITEM,
    &PERIOD_LEVEL,
    &PERIOD,
    &VARIABLE,
    &VALUE,
    &DATA_SOURCE,
    &DIMENSION,
    &DIM_LEVEL,
    &DIM_MEMBER,
];

/// The entity sets of the container, with their types.
pub const ENTITY_SETS: [(&str, &EntityType); 8] = [
    ("GeoLevels", &GEO_LEVEL),
    ("PeriodLevels", &PERIOD_LEVEL),
    ("Periods", &PERIOD),
    ("DataSources", &DATA_SOURCE),
    ("Variables", &VARIABLE),
    ("CubeVariables", &VARIABLE),
    ("Dimensions", &DIMENSION),
    ("DimLevels", &DIM_LEVEL),
];

/// The CSDL document served at `$metadata`.
pub fn metadata_xml() -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\n  <edmx:DataServices>\n",
    );
    x.push_str(&format!(
        "    <Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"{NS}\">\n"
    ));
    for t in TYPES {
        x.push_str(&format!("      <EntityType Name=\"{}\">\n", t.name));
        x.push_str(
            "        <Key>\n          <PropertyRef Name=\"ExternalCode\"/>\n        </Key>\n",
        );
        for (p, ty) in t.props {
            let nullable = if *p == "ExternalCode" {
                " Nullable=\"false\""
            } else {
                ""
            };
            x.push_str(&format!(
                "        <Property Name=\"{p}\" Type=\"{}\"{nullable}/>\n",
                ty.name()
            ));
        }
        for (n, target) in t.navs {
            x.push_str(&format!(
                "        <NavigationProperty Name=\"{n}\" Type=\"Collection({NS}.{target})\" ContainsTarget=\"true\"/>\n"
            ));
        }
        x.push_str("      </EntityType>\n");
    }
    x.push_str("      <EntityContainer Name=\"Container\">\n");
    for (name, t) in ENTITY_SETS {
        x.push_str(&format!(
            "        <EntitySet Name=\"{name}\" EntityType=\"{NS}.{}\"/>\n",
            t.name
        ));
    }
    x.push_str("      </EntityContainer>\n    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n");
    x
}

// ---------------------------------------------------------------------------------------------
// Helpers shared with the selection table (swing.rs)
// ---------------------------------------------------------------------------------------------

/// A value as Swing's `ValueString`: the number with `.` as decimal separator, or the missing
/// code's symbol.
pub fn value_string(v: Value) -> String {
    let mut s = String::new();
    crate::fragments::push_value(&mut s, v);
    s
}

/// The number of a value, if any (hidden and other missing values have none).
fn value_number(v: Value) -> J {
    crate::api::jnum(v.number())
}

/// An indicator this reader may see; restricted (for this reader) and unknown codes are both
/// `None`.
pub fn public_indicator<'a>(
    snap: &'a Snapshot,
    reader: &Reader,
    code: &str,
) -> Option<&'a Indicator> {
    snap.indicator(code)
        .filter(|_| snap.visible_to(code, reader))
}

/// The indicators this reader may see, in code order.
pub fn public_indicators<'a>(snap: &'a Snapshot, reader: &Reader) -> Vec<&'a Indicator> {
    let mut v: Vec<&Indicator> = snap
        .indicators
        .iter()
        .filter(|i| snap.visible_to(&i.code, reader))
        .collect();
    v.sort_by(|a, b| a.code.cmp(&b.code));
    v
}

/// Level positions in the snapshot, finest (most items) first.
pub fn levels_by_size(snap: &Snapshot) -> Vec<usize> {
    let mut v: Vec<usize> = (0..snap.levels.len()).collect();
    v.sort_by(|&a, &b| {
        snap.levels[b]
            .items
            .len()
            .cmp(&snap.levels[a].items.len())
            .then_with(|| snap.levels[a].level.code.cmp(&snap.levels[b].level.code))
    });
    v
}

/// A level's items in sequence order.
pub fn sorted_items(snap: &Snapshot, level: usize) -> Vec<&GeoItem> {
    let mut v: Vec<&GeoItem> = snap.levels[level].items.iter().map(|(_, it)| it).collect();
    v.sort_by(|a, b| a.seq.cmp(&b.seq).then_with(|| a.code.cmp(&b.code)));
    v
}

/// Sort key of periods: years first, then half years, quarters, months; then in time.
pub fn period_key(p: &Period) -> (usize, i32, u32) {
    let l = PeriodLevel::ALL
        .iter()
        .position(|l| *l == p.level)
        .unwrap_or(0);
    (l, p.year, p.index)
}

/// The periods (of any cube cell) of the given indicators on the given levels.
pub fn periods_of(snap: &Snapshot, inds: &[&str], levels: &[usize]) -> Vec<Period> {
    let mut set = BTreeSet::new();
    for i in inds {
        for &l in levels {
            for (p, _) in snap.periods(i, &snap.levels[l].level.code) {
                set.insert(p);
            }
        }
    }
    let mut v: Vec<Period> = set.into_iter().collect();
    v.sort_by_key(period_key);
    v
}

/// Compares codes the way people count: `5-9` before `10-14`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    if a.is_empty() || b.is_empty() {
        return a.cmp(b);
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(cb.iter()) {
        let o = match (x, y) {
            ((true, x), (true, y)) => {
                let (xt, yt) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                xt.len().cmp(&yt.len()).then(xt.cmp(yt))
            }
            ((_, x), (_, y)) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    ca.len().cmp(&cb.len()).then(a.cmp(b))
}

/// One dimension of a cube as published: its code and its dim levels with their members.
#[derive(Debug, Clone, PartialEq)]
pub struct CubeDim {
    pub code: String,
    /// (dim level code, members in natural order); the declared level first.
    pub levels: Vec<(String, Vec<String>)>,
}

/// The dimensions of a cube indicator, inferred from its published cells (see the module
/// documentation).
pub fn cube_dims(snap: &Snapshot, ind: &Indicator) -> Vec<CubeDim> {
    let mut keys: HashSet<&DimKey> = HashSet::new();
    for l in &snap.levels {
        for (_, d) in snap.periods(&ind.code, &l.level.code) {
            keys.insert(d);
        }
    }
    let mut members: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut together: HashSet<(&str, &str)> = HashSet::new();
    for k in &keys {
        for (l, m) in &k.0 {
            members.entry(l.as_str()).or_default().insert(m.as_str());
            for (l2, _) in &k.0 {
                together.insert((l.as_str(), l2.as_str()));
            }
        }
    }
    let mut dims: Vec<CubeDim> = ind
        .dim_levels
        .iter()
        .map(|d| CubeDim {
            code: d.clone(),
            levels: vec![(d.clone(), Vec::new())],
        })
        .collect();
    let mut extra: Vec<(&str, usize)> = Vec::new();
    for &l in members.keys() {
        if ind.dim_levels.iter().any(|d| d == l) {
            continue;
        }
        match ind
            .dim_levels
            .iter()
            .position(|d| !together.contains(&(l, d.as_str())))
        {
            Some(g) => extra.push((l, g)),
            None => {
                dims.push(CubeDim {
                    code: l.to_string(),
                    levels: vec![(l.to_string(), Vec::new())],
                });
                extra.push((l, dims.len() - 1));
            }
        }
    }
    // Coarser levels (fewer members) after finer ones.
    extra.sort_by(|a, b| {
        members[b.0]
            .len()
            .cmp(&members[a.0].len())
            .then(a.0.cmp(b.0))
    });
    for (l, g) in extra {
        if dims[g].code != l {
            dims[g].levels.push((l.to_string(), Vec::new()));
        }
    }
    for d in &mut dims {
        for (l, ms) in &mut d.levels {
            let mut v: Vec<String> = members
                .get(l.as_str())
                .map(|s| s.iter().map(|m| m.to_string()).collect())
                .unwrap_or_default();
            v.sort_by(|a, b| natural_cmp(a, b));
            *ms = v;
        }
    }
    dims
}

/// Query string pairs, decoded by the one rule for every API (`query.rs`: `+` is a space,
/// `%2B` a plus sign, a broken escape a 400 naming the parameter), in order.
pub fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, Problem> {
    crate::query::pairs(raw).map_err(|e| Problem::bad_request(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Request handling
// ---------------------------------------------------------------------------------------------

type Row = Map<String, J>;

/// A collection addressed by a URL.
#[derive(Debug, Clone)]
enum Set {
    GeoLevels {
        var: Option<String>,
    },
    GeoItems {
        level: usize,
    },
    PeriodLevels {
        var: Option<String>,
        level: Option<usize>,
    },
    Periods {
        var: Option<String>,
        level: Option<usize>,
        pl: Option<PeriodLevel>,
    },
    Values {
        var: String,
        level: usize,
        period: Period,
    },
    DataSources,
    Variables {
        cube: bool,
        source: Option<String>,
    },
    Dimensions {
        var: Option<String>,
    },
    DimLevels {
        var: Option<String>,
        dim: Option<String>,
    },
    DimMembers {
        var: Option<String>,
        dimlevel: String,
    },
}

impl Set {
    fn ty(&self) -> &'static EntityType {
        match self {
            Set::GeoLevels { .. } => &GEO_LEVEL,
            Set::GeoItems { .. } => &GEO_ITEM,
            Set::PeriodLevels { .. } => &PERIOD_LEVEL,
            Set::Periods { .. } => &PERIOD,
            Set::Values { .. } => &VALUE,
            Set::DataSources => &DATA_SOURCE,
            Set::Variables { .. } => &VARIABLE,
            Set::Dimensions { .. } => &DIMENSION,
            Set::DimLevels { .. } => &DIM_LEVEL,
            Set::DimMembers { .. } => &DIM_MEMBER,
        }
    }

    /// What a 404 calls an entity of this set.
    fn what(&self) -> &'static str {
        match self {
            Set::GeoLevels { var: Some(_) } => "geo level with data of this variable",
            Set::GeoLevels { .. } => "geo level",
            Set::GeoItems { .. } => "geo item",
            Set::PeriodLevels { var: Some(_), .. } => "period level with data of this variable",
            Set::PeriodLevels { .. } => "period level",
            Set::Periods { var: Some(_), .. } => "period with data of this variable",
            Set::Periods { .. } => "period",
            Set::Values { .. } => "value of geo item",
            Set::DataSources => "data source",
            Set::Variables { cube: true, .. } => "cube variable",
            Set::Variables { .. } => "variable",
            Set::Dimensions { .. } => "dimension",
            Set::DimLevels { .. } => "dim level",
            Set::DimMembers { .. } => "dim member",
        }
    }

    fn page(&self) -> usize {
        match self {
            Set::Variables { .. } => VARIABLES_PAGE,
            _ => PAGE,
        }
    }

    /// Every entity of the collection, in its natural order.
    fn rows(&self, snap: &Snapshot, reader: &Reader) -> Vec<Row> {
        match self {
            Set::GeoLevels { var } => levels_by_size(snap)
                .into_iter()
                .filter(|&l| {
                    var.as_deref().is_none_or(|v| {
                        !snap.periods(v, &snap.levels[l].level.code).is_empty()
                    })
                })
                .map(|l| geo_level_row(snap, l))
                .collect(),
            Set::GeoItems { level } => sorted_items(snap, *level)
                .into_iter()
                .map(|it| geo_item_row(it, &snap.levels[*level].level.code))
                .collect(),
            Set::PeriodLevels { var, level } => {
                let present: Option<BTreeSet<PeriodLevel>> = if var.is_none() && level.is_none() {
                    None
                } else {
                    Some(
                        periods_of(snap, &scope_vars(snap, reader, var), &scope_levels(snap, *level))
                            .into_iter()
                            .map(|p| p.level)
                            .collect(),
                    )
                };
                PeriodLevel::ALL
                    .into_iter()
                    .filter(|pl| present.as_ref().is_none_or(|s| s.contains(pl)))
                    .map(period_level_row)
                    .collect()
            }
            Set::Periods { var, level, pl } => {
                periods_of(snap, &scope_vars(snap, reader, var), &scope_levels(snap, *level))
                    .into_iter()
                    .filter(|p| pl.is_none_or(|l| p.level == l))
                    .map(|p| period_row(&p))
                    .collect()
            }
            Set::Values { var, level, period } => {
                let lc = &snap.levels[*level].level.code;
                // Survey intervals and verdicts, for readers who may see them (else null).
                let survey = snap.survey_series(var, lc, *period, reader);
                let confidence = snap.indicator(var).map(|i| i.confidence_level());
                let mut vals: Vec<(&GeoItem, Value, Option<SurveyCell>)> = snap
                    .series(var, lc, *period, &DimKey::default())
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                    .map(|(k, (it, v))| (it, v, survey.and_then(|s| s.get(k).copied().flatten())))
                    .collect();
                vals.sort_by(|a, b| a.0.seq.cmp(&b.0.seq).then_with(|| a.0.code.cmp(&b.0.code)));
                vals.into_iter()
                    .map(|(it, v, c)| {
                        let bench = c.and_then(|c| c.benchmark).and_then(|b| snap.area_at(b));
                        row(json!({
                            "ExternalCode": it.code, "Name": it.name,
                            "ValueString": value_string(v), "Value": value_number(v),
                            "Variable": var, "GeoLevel": lc, "Period": period.code(),
                            "Lower": c.map(|c| c.interval.low),
                            "Upper": c.map(|c| c.interval.high),
                            "Margin": c.map(|c| c.interval.margin),
                            "Confidence": c.and(confidence),
                            "Significance": c.and_then(|c| c.significance).map(|s| s.code()),
                            "BenchmarkGeoLevel": bench.map(|b| b.0),
                            "Benchmark": bench.map(|b| &b.1.code),
                        }))
                    })
                    .collect()
            }
            Set::DataSources => {
                let mut n: BTreeMap<&str, usize> = BTreeMap::new();
                for i in public_indicators(snap, reader) {
                    if !i.source.trim().is_empty() {
                        *n.entry(i.source.as_str()).or_default() += 1;
                    }
                }
                n.into_iter()
                    .map(|(s, c)| row(json!({"ExternalCode": s, "Name": s, "VariableCount": c})))
                    .collect()
            }
            Set::Variables { cube, source } => variables_of(snap, reader, *cube, source)
                .into_iter()
                .map(|i| variable_row(snap, i))
                .collect(),
            Set::Dimensions { var } => all_dims(snap, reader, var)
                .into_iter()
                .map(|d| row(json!({"ExternalCode": d.code, "Name": d.code})))
                .collect(),
            Set::DimLevels { var, dim } => all_dims(snap, reader, var)
                .into_iter()
                .filter(|d| dim.as_deref().is_none_or(|x| x == d.code))
                .flat_map(|d| {
                    d.levels
                        .into_iter()
                        .enumerate()
                        .map(move |(i, (l, _))| {
                            row(json!({"ExternalCode": l, "Name": l, "Dimension": d.code, "Sequence": i + 1}))
                        })
                })
                .collect(),
            Set::DimMembers { var, dimlevel } => {
                let mut seen = BTreeSet::new();
                let mut out = Vec::new();
                for d in all_dims(snap, reader, var) {
                    for (l, ms) in d.levels {
                        if &l == dimlevel {
                            for m in ms {
                                if seen.insert(m.clone()) {
                                    out.push(m);
                                }
                            }
                        }
                    }
                }
                out.sort_by(|a, b| natural_cmp(a, b));
                out.into_iter()
                    .enumerate()
                    .map(|(i, m)| {
                        row(json!({"ExternalCode": m, "Name": m, "DimLevel": dimlevel, "Sequence": i + 1}))
                    })
                    .collect()
            }
        }
    }
}

fn row(v: J) -> Row {
    match v {
        J::Object(m) => m,
        _ => Map::new(),
    }
}

fn geo_level_row(snap: &Snapshot, l: usize) -> Row {
    let lv = &snap.levels[l];
    row(json!({
        "ExternalCode": lv.level.code, "Name": lv.level.name, "Kind": lv.level.kind.code(),
        "ItemCount": lv.items.len(),
    }))
}

fn geo_item_row(it: &GeoItem, level: &str) -> Row {
    row(json!({
        "ExternalCode": it.code, "Name": it.name, "ShortName": it.short_name,
        "Sequence": it.seq, "GeoLevel": level, "UnknownLocation": it.unknown_location,
    }))
}

fn period_level_row(pl: PeriodLevel) -> Row {
    let n = pl.name(peil_core::Locale::Nl);
    let name = n[..1].to_uppercase() + &n[1..];
    row(json!({"ExternalCode": pl.code(), "Name": name, "PeriodsPerYear": pl.per_year()}))
}

fn period_row(p: &Period) -> Row {
    let ((y0, m0, d0), (y1, m1, d1)) = p.bounds();
    row(json!({
        "ExternalCode": p.code(), "Name": p.code(), "FullName": p.label(peil_core::Locale::Nl),
        "PeriodLevel": p.level.code(), "Year": p.year,
        "StartDate": format!("{y0:04}-{m0:02}-{d0:02}"), "EndDate": format!("{y1:04}-{m1:02}-{d1:02}"),
    }))
}

/// First and last period of an indicator: from its metadata, else from its published data
/// (formula indicators have none in their metadata).
fn period_range(snap: &Snapshot, i: &Indicator) -> (Option<Period>, Option<Period>) {
    if i.start_period.is_some() && i.end_period.is_some() {
        return (i.start_period, i.end_period);
    }
    let all: Vec<Period> = snap
        .levels
        .iter()
        .flat_map(|l| snap.periods(&i.code, &l.level.code))
        .map(|(p, _)| p)
        .collect();
    // Earliest start and latest end; the coarser period wins a tie (2019 before 2019Q1).
    let coarse = |p: &Period| std::cmp::Reverse(p.level);
    let first = all
        .iter()
        .min_by_key(|p| (p.bounds().0, coarse(p)))
        .copied();
    let last = all
        .iter()
        .max_by_key(|p| (p.bounds().1, std::cmp::Reverse(coarse(p))))
        .copied();
    (i.start_period.or(first), i.end_period.or(last))
}

fn variable_row(snap: &Snapshot, i: &Indicator) -> Row {
    let text =
        |t: &peil_core::LocalizedText| t.get("nl").filter(|s| !s.is_empty()).map(str::to_string);
    let (start, end) = period_range(snap, i);
    row(json!({
        "ExternalCode": i.code,
        "Name": text(&i.name).unwrap_or_else(|| i.code.clone()),
        "Description": text(&i.description),
        "Unit": i.unit,
        "DataSource": i.source,
        "DataType": i.data_type.code(),
        "PeriodType": i.period_type.code(),
        "Decimals": i.decimals,
        "StartPeriod": start.map(|p| p.code()),
        "EndPeriod": end.map(|p| p.code()),
        "IsCube": !i.dim_levels.is_empty(),
        "Status": i.status.code(),
    }))
}

/// The public indicators of a `Variables` collection, in code order.
fn variables_of<'a>(
    snap: &'a Snapshot,
    reader: &Reader,
    cube: bool,
    source: &Option<String>,
) -> Vec<&'a Indicator> {
    public_indicators(snap, reader)
        .into_iter()
        .filter(|i| !cube || !i.dim_levels.is_empty())
        .filter(|i| source.as_deref().is_none_or(|s| i.source == s))
        .collect()
}

fn scope_vars<'a>(snap: &'a Snapshot, reader: &Reader, var: &Option<String>) -> Vec<&'a str> {
    match var {
        Some(v) => vec![snap.indicator(v).map_or("", |i| i.code.as_str())],
        None => public_indicators(snap, reader)
            .into_iter()
            .map(|i| i.code.as_str())
            .collect(),
    }
}

fn scope_levels(snap: &Snapshot, level: Option<usize>) -> Vec<usize> {
    match level {
        Some(l) => vec![l],
        None => (0..snap.levels.len()).collect(),
    }
}

/// Dimensions of one public cube, or of all public cubes (merged by code).
fn all_dims(snap: &Snapshot, reader: &Reader, var: &Option<String>) -> Vec<CubeDim> {
    let cubes: Vec<&Indicator> = match var {
        Some(v) => public_indicator(snap, reader, v).into_iter().collect(),
        None => public_indicators(snap, reader)
            .into_iter()
            .filter(|i| !i.dim_levels.is_empty())
            .collect(),
    };
    let mut out: Vec<CubeDim> = Vec::new();
    for c in cubes {
        for d in cube_dims(snap, c) {
            match out.iter_mut().find(|o| o.code == d.code) {
                None => out.push(d),
                Some(o) => {
                    for (l, ms) in d.levels {
                        match o.levels.iter_mut().find(|x| x.0 == l) {
                            None => o.levels.push((l, ms)),
                            Some(x) => {
                                for m in ms {
                                    if !x.1.contains(&m) {
                                        x.1.push(m);
                                    }
                                }
                                x.1.sort_by(|a, b| natural_cmp(a, b));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// One path segment: a name and an optional key.
#[derive(Debug, Clone, PartialEq)]
struct Seg {
    name: String,
    key: Option<String>,
}

fn parse_segment(raw: &str) -> Result<Seg, Problem> {
    let s = crate::query::segment(raw).map_err(|e| Problem::bad_request(e.to_string()))?;
    let Some(open) = s.find('(') else {
        return Ok(Seg { name: s, key: None });
    };
    if !s.ends_with(')') {
        return Err(Problem::bad_request(format!(
            "'{s}' is not a valid segment: a key is written Name('code')"
        )));
    }
    let name = s[..open].to_string();
    let mut inner = s[open + 1..s.len() - 1].trim();
    // Named key: ExternalCode='x'
    if let Some((k, v)) = inner.split_once('=')
        && !k.trim().starts_with('\'')
    {
        inner = v.trim();
    }
    let key = if let Some(q) = inner.strip_prefix('\'') {
        let Some(body) = q.strip_suffix('\'') else {
            return Err(Problem::bad_request(format!(
                "the key in '{s}' has no closing quote"
            )));
        };
        body.replace("''", "'")
    } else {
        inner.to_string()
    };
    if key.is_empty() {
        return Err(Problem::bad_request(format!("the key in '{s}' is empty")));
    }
    Ok(Seg {
        name,
        key: Some(key),
    })
}

/// Where a path leads.
enum At {
    Root,
    Coll(Set),
    Entity(Set, Row),
}

/// Resolves a key in a collection (404 with suggestions when it is not there).
fn find(snap: &Snapshot, reader: &Reader, set: &Set, key: &str) -> Result<Row, Problem> {
    // Direct look-ups for the large sets; the rest are small enough to list.
    match set {
        Set::Variables { cube, source } => {
            let vars = variables_of(snap, reader, *cube, source);
            return match vars.iter().find(|i| i.code == key) {
                Some(i) => Ok(variable_row(snap, i)),
                None => Err(Problem::unknown(
                    set.what(),
                    key,
                    vars.iter().map(|i| i.code.as_str()),
                )),
            };
        }
        Set::GeoItems { level } => {
            let lv = &snap.levels[*level];
            return match lv.pos.get(key) {
                Some(&p) => {
                    let it = &lv.items[p as usize].1;
                    Ok(geo_item_row(it, &lv.level.code))
                }
                None => Err(Problem::unknown(
                    set.what(),
                    key,
                    lv.items.iter().map(|(_, it)| it.code.as_str()),
                )),
            };
        }
        _ => {}
    }
    let rows = set.rows(snap, reader);
    let hit = match set {
        Set::Periods { .. }
            if key.eq_ignore_ascii_case("mrp") || key.eq_ignore_ascii_case("mostrecent") =>
        {
            rows.last().cloned()
        }
        Set::Periods { .. } => {
            let canon = Period::parse(key)
                .map(|p| p.code())
                .unwrap_or_else(|_| key.to_string());
            rows.iter()
                .find(|r| r["ExternalCode"] == canon.as_str())
                .cloned()
        }
        Set::PeriodLevels { .. } => {
            let canon = PeriodLevel::from_code(key).map_or(key, |l| l.code());
            rows.iter().find(|r| r["ExternalCode"] == canon).cloned()
        }
        _ => rows.iter().find(|r| r["ExternalCode"] == key).cloned(),
    };
    hit.ok_or_else(|| {
        let codes: Vec<String> = rows
            .iter()
            .filter_map(|r| r["ExternalCode"].as_str().map(str::to_string))
            .collect();
        Problem::unknown(set.what(), key, codes.iter())
    })
}

fn code_of(r: &Row) -> String {
    r["ExternalCode"].as_str().unwrap_or("").to_string()
}

fn level_index(snap: &Snapshot, code: &str) -> usize {
    snap.level_index.get(code).copied().unwrap_or(0)
}

fn step(snap: &Snapshot, reader: &Reader, at: At, seg: &Seg) -> Result<At, Problem> {
    let set = match at {
        At::Root => match seg.name.as_str() {
            "GeoLevels" => Set::GeoLevels { var: None },
            "PeriodLevels" => Set::PeriodLevels {
                var: None,
                level: None,
            },
            "Periods" => Set::Periods {
                var: None,
                level: None,
                pl: None,
            },
            "DataSources" => Set::DataSources,
            "Variables" => Set::Variables {
                cube: false,
                source: None,
            },
            "CubeVariables" => Set::Variables {
                cube: true,
                source: None,
            },
            "Dimensions" => Set::Dimensions { var: None },
            "DimLevels" => Set::DimLevels {
                var: None,
                dim: None,
            },
            other => {
                return Err(Problem::unknown(
                    "entity set",
                    other,
                    ENTITY_SETS.iter().map(|(n, _)| *n),
                ));
            }
        },
        At::Coll(set) => {
            return Err(Problem::not_found(format!(
                "'{}' follows a collection of {}s; pick one first with a key, e.g. ('code')",
                seg.name,
                set.ty().name
            )));
        }
        At::Entity(set, r) => {
            let key = code_of(&r);
            let nav = match (&set, seg.name.as_str()) {
                (Set::GeoLevels { .. }, "GeoItems") => Some(Set::GeoItems {
                    level: level_index(snap, &key),
                }),
                (Set::GeoLevels { var }, "PeriodLevels") => Some(Set::PeriodLevels {
                    var: var.clone(),
                    level: Some(level_index(snap, &key)),
                }),
                (Set::PeriodLevels { var, level }, "Periods") => Some(Set::Periods {
                    var: var.clone(),
                    level: *level,
                    pl: PeriodLevel::from_code(&key),
                }),
                (
                    Set::Periods {
                        var: Some(v),
                        level: Some(l),
                        ..
                    },
                    "Values",
                ) => Some(Set::Values {
                    var: v.clone(),
                    level: *l,
                    period: Period::parse(&key).map_err(|e| Problem::bad_request(e.to_string()))?,
                }),
                (Set::Periods { .. }, "Values") => {
                    return Err(Problem::not_found(
                        "values are reached through a variable and a geo level: Variables('v')/GeoLevels('gl')/PeriodLevels('pl')/Periods('p')/Values",
                    ));
                }
                (Set::Variables { .. }, "GeoLevels") => Some(Set::GeoLevels { var: Some(key) }),
                (Set::Variables { .. }, "Dimensions") => Some(Set::Dimensions { var: Some(key) }),
                (Set::Variables { .. }, "DimLevels") => Some(Set::DimLevels {
                    var: Some(key),
                    dim: None,
                }),
                (Set::Dimensions { var }, "DimLevels") => Some(Set::DimLevels {
                    var: var.clone(),
                    dim: Some(key),
                }),
                (Set::DimLevels { var, .. }, "DimMembers") => Some(Set::DimMembers {
                    var: var.clone(),
                    dimlevel: key,
                }),
                (Set::DataSources, "Variables") => Some(Set::Variables {
                    cube: false,
                    source: Some(key),
                }),
                _ => None,
            };
            match nav {
                Some(s) => s,
                None => {
                    let t = set.ty();
                    let navs: Vec<&str> = t.navs.iter().map(|n| n.0).collect();
                    return Err(Problem::not_found(format!(
                        "a {} has no navigation property '{}'{}",
                        t.name,
                        seg.name,
                        if navs.is_empty() {
                            String::new()
                        } else {
                            format!(" (it has {})", navs.join(", "))
                        }
                    )));
                }
            }
        }
    };
    match &seg.key {
        None => Ok(At::Coll(set)),
        Some(k) => {
            let r = find(snap, reader, &set, k)?;
            Ok(At::Entity(set, r))
        }
    }
}

/// Parsed system query options.
#[derive(Default)]
struct Options {
    filter: Option<filter::Expr>,
    orderby: Vec<(String, bool)>,
    select: Option<Vec<String>>,
    top: Option<usize>,
    skip: usize,
    count: bool,
}

fn parse_options(pairs: &[(String, String)], t: &EntityType) -> Result<Options, Problem> {
    let mut o = Options::default();
    let mut seen = HashSet::new();
    let prop_names = || t.props.iter().map(|p| p.0).collect::<Vec<_>>().join(", ");
    let check_prop = |p: &str, opt: &str| -> Result<String, Problem> {
        if t.props.iter().any(|(n, _)| *n == p) {
            Ok(p.to_string())
        } else {
            Err(Problem::bad_request(format!(
                "{opt}: {} has no property '{p}' (properties: {})",
                t.name,
                prop_names()
            )))
        }
    };
    for (k, v) in pairs {
        if !k.starts_with('$') {
            continue;
        }
        let name = k.to_ascii_lowercase();
        if !seen.insert(name.clone()) {
            return Err(Problem::bad_request(format!("{k} is given more than once")));
        }
        let num = |what: &str| -> Result<usize, Problem> {
            v.trim().parse::<usize>().map_err(|_| {
                Problem::bad_request(format!(
                    "{what} must be a whole number of 0 or more, not '{v}'"
                ))
            })
        };
        match name.as_str() {
            "$filter" => {
                o.filter = Some(
                    filter::parse(v, t.props)
                        .map_err(|e| Problem::bad_request(format!("$filter: {e}")))?,
                );
            }
            "$orderby" => {
                for part in v.split(',') {
                    let mut w = part.split_whitespace();
                    let Some(p) = w.next() else {
                        return Err(Problem::bad_request(format!(
                            "$orderby: empty item in '{v}'"
                        )));
                    };
                    let p = check_prop(p, "$orderby")?;
                    let desc = match w.next().map(|d| d.to_ascii_lowercase()) {
                        None => false,
                        Some(d) if d == "asc" => false,
                        Some(d) if d == "desc" => true,
                        Some(d) => {
                            return Err(Problem::bad_request(format!(
                                "$orderby: '{d}' after {p} must be asc or desc"
                            )));
                        }
                    };
                    if let Some(extra) = w.next() {
                        return Err(Problem::bad_request(format!(
                            "$orderby: unexpected '{extra}' (separate properties with commas)"
                        )));
                    }
                    o.orderby.push((p, desc));
                }
            }
            "$select" => {
                if v.trim() == "*" {
                    continue;
                }
                let mut sel = Vec::new();
                for p in v.split(',') {
                    let p = p.trim();
                    if p.is_empty() {
                        return Err(Problem::bad_request(format!(
                            "$select: empty item in '{v}'"
                        )));
                    }
                    sel.push(check_prop(p, "$select")?);
                }
                o.select = Some(sel);
            }
            "$top" => o.top = Some(num("$top")?),
            "$skip" => o.skip = num("$skip")?,
            "$count" => {
                o.count = match v.trim() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(Problem::bad_request(format!(
                            "$count must be true or false, not '{v}'"
                        )));
                    }
                }
            }
            "$format" => {
                let f = v.trim().to_ascii_lowercase();
                if f != "json" && !f.starts_with("application/json") {
                    return Err(Problem::bad_request(format!(
                        "$format: only json is served, not '{v}'"
                    )));
                }
            }
            "$skiptoken" => o.skip = num("$skiptoken")?,
            _ => {
                return Err(Problem::bad_request(format!(
                    "the query option {k} is not supported (supported: $filter, $orderby, $select, $top, $skip, $count, $format)"
                )));
            }
        }
    }
    Ok(o)
}

/// `Prefer: odata.maxpagesize=N`.
fn preferred_page(headers: &HeaderMap) -> Option<usize> {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            (k.trim().eq_ignore_ascii_case("odata.maxpagesize"))
                .then(|| v.trim().trim_matches('"').parse::<usize>().ok())
                .flatten()
        })
        .find(|n| *n > 0)
}

fn json_response(body: &J, extra: &[(&'static str, String)]) -> Response {
    json_text_response(body.to_string(), extra)
}

fn json_text_response(body: String, extra: &[(&'static str, String)]) -> Response {
    let mut r = (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/json; odata.metadata=minimal; charset=utf-8",
        )],
        body,
    )
        .into_response();
    let h = r.headers_mut();
    h.insert("odata-version", HeaderValue::from_static("4.0"));
    for (k, v) in extra {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(*k, v);
        }
    }
    r
}

async fn handle(
    State(st): State<AppState>,
    Extension(reader): Extension<Reader>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let snap = st.snapshot();
    let frags = crate::api::cache::entry(&st, &snap).fragments(&snap);
    serve(&snap, &frags, &reader, &st.public_url(), &uri, &headers)
        .unwrap_or_else(|p| p.odata().into_response())
}

fn serve(
    snap: &Snapshot,
    frags: &Fragments,
    reader: &Reader,
    base: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, Problem> {
    let path = uri.path();
    let mut parts = path.split('/').filter(|s| !s.is_empty());
    let svc = parts.next().unwrap_or("jiveservices");
    parts.next(); // "odata"
    let rest: Vec<&str> = parts.collect();
    let root = format!("{base}/{svc}/odata/");
    let pairs = query_pairs(uri.query())?;

    if rest.is_empty() {
        let sets: Vec<J> = ENTITY_SETS
            .iter()
            .map(|(n, _)| json!({"name": n, "kind": "EntitySet", "url": n}))
            .collect();
        return Ok(json_response(
            &json!({"@odata.context": format!("{root}$metadata"), "value": sets}),
            &[],
        ));
    }
    if rest == ["$metadata"] {
        let mut r = (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
            metadata_xml(),
        )
            .into_response();
        r.headers_mut()
            .insert("odata-version", HeaderValue::from_static("4.0"));
        return Ok(r);
    }

    let (rest, count_only) = match rest.split_last() {
        Some((&"$count", before)) if !before.is_empty() => (before.to_vec(), true),
        _ => (rest, false),
    };
    let segs = rest
        .iter()
        .map(|s| parse_segment(s))
        .collect::<Result<Vec<_>, _>>()?;
    let mut at = At::Root;
    for s in &segs {
        at = step(snap, reader, at, s)?;
    }
    // The context path: segments as given, with the last key turned into /$entity.
    let ctx_path = |entity: bool| -> String {
        let mut parts: Vec<String> = segs
            .iter()
            .map(|s| match &s.key {
                Some(k) => format!("{}('{}')", s.name, k.replace('\'', "''")),
                None => s.name.clone(),
            })
            .collect();
        if entity && let Some(last) = parts.last_mut() {
            *last = segs.last().map(|s| s.name.clone()).unwrap_or_default();
        }
        parts.join("/")
    };

    match at {
        At::Root => Err(Problem::not_found("nothing here")),
        At::Entity(set, r) => {
            if count_only {
                return Err(Problem::bad_request(
                    "$count follows a collection, not one entity",
                ));
            }
            let o = parse_options(&pairs, set.ty())?;
            let mut out = select(r, &o.select);
            let sel = o
                .select
                .as_ref()
                .map(|s| format!("({})", s.join(",")))
                .unwrap_or_default();
            out.insert(
                "@odata.context".into(),
                J::String(format!("{root}$metadata#{}{sel}/$entity", ctx_path(true))),
            );
            Ok(json_response(&J::Object(out), &[]))
        }
        At::Coll(set) => {
            let o = parse_options(&pairs, set.ty())?;
            let preferred = preferred_page(headers);
            let page = preferred.map_or(set.page(), |p| p.min(set.page()));
            let want = o.top.unwrap_or(usize::MAX);
            let take = want.min(page);
            let extra: Vec<(&'static str, String)> = preferred
                .map(|_| vec![("preference-applied", format!("odata.maxpagesize={page}"))])
                .unwrap_or_default();
            // Values in their natural order with every property: the page alone, written
            // straight into the answer (the general path below builds every row as a map).
            if let Set::Values { var, level, period } = &set
                && o.filter.is_none()
                && o.orderby.is_empty()
                && o.select.is_none()
                && !count_only
            {
                let context = format!("{root}$metadata#{}", ctx_path(false));
                let body = values_page(
                    snap, frags, reader, var, *level, *period, &context, &o, take, base, uri,
                );
                return Ok(json_text_response(body, &extra));
            }
            // Variables in their natural order are built for the page only (sites have
            // thousands); everything else is built, filtered and sorted whole.
            let lazy = match &set {
                Set::Variables { cube, source } if o.filter.is_none() && o.orderby.is_empty() => {
                    Some(variables_of(snap, reader, *cube, source))
                }
                _ => None,
            };
            let mut rows = match &lazy {
                Some(vars) => {
                    let start = o.skip.min(vars.len());
                    let end = start.saturating_add(take).min(vars.len());
                    vars[start..end]
                        .iter()
                        .map(|i| variable_row(snap, i))
                        .collect()
                }
                None => set.rows(snap, reader),
            };
            if let Some(f) = &o.filter {
                rows.retain(|r| filter::matches(f, r));
            }
            let total = lazy.as_ref().map_or(rows.len(), |v| v.len());
            if count_only {
                let mut r = (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    total.to_string(),
                )
                    .into_response();
                r.headers_mut()
                    .insert("odata-version", HeaderValue::from_static("4.0"));
                return Ok(r);
            }
            if !o.orderby.is_empty() {
                rows.sort_by(|a, b| {
                    for (p, desc) in &o.orderby {
                        let (x, y) = (&a[p], &b[p]);
                        let ord = match (x.is_null(), y.is_null()) {
                            (true, true) => Ordering::Equal,
                            (true, false) => Ordering::Less,
                            (false, true) => Ordering::Greater,
                            _ => filter::compare(x, y).unwrap_or(Ordering::Equal),
                        };
                        let ord = if *desc { ord.reverse() } else { ord };
                        if ord != Ordering::Equal {
                            return ord;
                        }
                    }
                    Ordering::Equal
                });
            }
            let start = o.skip.min(total);
            let end = start.saturating_add(take).min(total);
            let more = end < total && want > take;
            let window = if lazy.is_some() {
                0..rows.len()
            } else {
                start..end
            };
            let value: Vec<J> = rows
                .drain(window)
                .map(|r| J::Object(select(r, &o.select)))
                .collect();
            let sel = o
                .select
                .as_ref()
                .map(|s| format!("({})", s.join(",")))
                .unwrap_or_default();
            let mut body = Map::new();
            body.insert(
                "@odata.context".into(),
                J::String(format!("{root}$metadata#{}{sel}", ctx_path(false))),
            );
            if o.count {
                body.insert("@odata.count".into(), json!(total));
            }
            if more {
                body.insert(
                    "@odata.nextLink".into(),
                    J::String(next_link(base, uri, end, o.top.map(|t| t - (end - start)))),
                );
            }
            body.insert("value".into(), J::Array(value));
            Ok(json_response(&J::Object(body), &extra))
        }
    }
}

/// One page of `Values` with every property, in the level's sequence order, written as
/// serde_json writes the general path's rows (members in key order, numbers as serde_json
/// writes an f64), so both paths give the same bytes.
#[allow(clippy::too_many_arguments)]
fn values_page(
    snap: &Snapshot,
    frags: &Fragments,
    reader: &Reader,
    var: &str,
    level: usize,
    period: Period,
    context: &str,
    o: &Options,
    take: usize,
    base: &str,
    uri: &Uri,
) -> String {
    use crate::fragments::push_json_str;
    let lv = &snap.levels[level];
    let lc = &lv.level.code;
    let slots = snap
        .index
        .get(var)
        .zip(snap.dim_id(&DimKey::default()))
        .and_then(|(&i, d)| snap.slots(i, level, period, d));
    let survey = snap.survey_series(var, lc, period, reader);
    let confidence = snap.indicator(var).map(|i| i.confidence_level());
    let total = if slots.is_some() { lv.items.len() } else { 0 };
    let start = o.skip.min(total);
    let end = start.saturating_add(take).min(total);
    let want = o.top.unwrap_or(usize::MAX);
    let more = end < total && want > take;
    let lf = &frags.levels[level];
    let num = |out: &mut String, x: Option<f64>| match x.filter(|x| x.is_finite()) {
        Some(x) => crate::fragments::push_number(out, x),
        None => out.push_str("null"),
    };
    let text = |out: &mut String, s: Option<&str>| match s {
        Some(s) => push_json_str(out, s),
        None => out.push_str("null"),
    };
    let mut lc_lit = String::new();
    push_json_str(&mut lc_lit, lc);
    let mut var_lit = String::new();
    push_json_str(&mut var_lit, var);
    let period_code = period.code();
    let mut out = String::with_capacity(256 + (end - start) * 320);
    out.push_str("{\"@odata.context\":");
    push_json_str(&mut out, context);
    if o.count {
        out.push_str(",\"@odata.count\":");
        out.push_str(&total.to_string());
    }
    if more {
        out.push_str(",\"@odata.nextLink\":");
        push_json_str(
            &mut out,
            &next_link(base, uri, end, o.top.map(|t| t - (end - start))),
        );
    }
    out.push_str(",\"value\":[");
    for (n, &pos) in lf.order[start..end].iter().enumerate() {
        let pos = pos as usize;
        let v = slots
            .and_then(|s| s.get(pos))
            .map_or(Value::Missing(peil_core::MissingCode::Empty), |s| {
                s.to_value()
            });
        let c: Option<SurveyCell> = survey.and_then(|s| s.get(pos).copied().flatten());
        let bench = c.and_then(|c| c.benchmark).and_then(|b| snap.area_at(b));
        if n > 0 {
            out.push(',');
        }
        out.push_str("{\"Benchmark\":");
        text(&mut out, bench.map(|b| b.1.code.as_str()));
        out.push_str(",\"BenchmarkGeoLevel\":");
        text(&mut out, bench.map(|b| b.0));
        out.push_str(",\"Confidence\":");
        match c.and(confidence) {
            Some(k) => out.push_str(&k.to_string()),
            None => out.push_str("null"),
        }
        out.push_str(",\"ExternalCode\":");
        out.push_str(&lf.code[pos]);
        out.push_str(",\"GeoLevel\":");
        out.push_str(&lc_lit);
        out.push_str(",\"Lower\":");
        num(&mut out, c.map(|c| c.interval.low));
        out.push_str(",\"Margin\":");
        num(&mut out, c.map(|c| c.interval.margin));
        out.push_str(",\"Name\":");
        out.push_str(&lf.name[pos]);
        out.push_str(",\"Period\":\"");
        out.push_str(&period_code);
        out.push_str("\",\"Significance\":");
        text(&mut out, c.and_then(|c| c.significance).map(|s| s.code()));
        out.push_str(",\"Upper\":");
        num(&mut out, c.map(|c| c.interval.high));
        out.push_str(",\"Value\":");
        num(
            &mut out,
            match v {
                Value::Number(x) => Some(x),
                Value::Missing(_) => None,
            },
        );
        out.push_str(",\"ValueString\":\"");
        crate::fragments::push_value(&mut out, v);
        out.push_str("\",\"Variable\":");
        out.push_str(&var_lit);
        out.push('}');
    }
    out.push_str("]}");
    out
}

fn select(r: Row, sel: &Option<Vec<String>>) -> Row {
    match sel {
        None => r,
        Some(s) => r.into_iter().filter(|(k, _)| s.contains(k)).collect(),
    }
}

/// The request URL with `$skip` moved on (and `$top` reduced by what was sent).
fn next_link(base: &str, uri: &Uri, skip: usize, top: Option<usize>) -> String {
    let mut parts: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let k = form_urlencoded::parse(p.as_bytes())
                .next()
                .map(|(k, _)| k.to_ascii_lowercase())
                .unwrap_or_default();
            k != "$skip" && k != "$top" && k != "$skiptoken"
        })
        .map(str::to_string)
        .collect();
    if let Some(t) = top {
        parts.push(format!("$top={t}"));
    }
    parts.push(format!("$skip={skip}"));
    format!("{base}{}?{}", uri.path(), parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use peil_core::MissingCode;

    #[test]
    fn segments_and_keys() {
        let s = |x: &str| parse_segment(x).unwrap();
        assert_eq!(s("GeoLevels").key, None);
        assert_eq!(s("Variables('v1101_t')").key.as_deref(), Some("v1101_t"));
        assert_eq!(
            s("Variables(%27v1101_t%27)").key.as_deref(),
            Some("v1101_t")
        );
        assert_eq!(s("Periods(2019)").key.as_deref(), Some("2019"));
        assert_eq!(s("DataSources('It''s')").key.as_deref(), Some("It's"));
        assert_eq!(s("Variables(ExternalCode='x')").key.as_deref(), Some("x"));
        assert!(parse_segment("Variables('x)").is_err());
        assert!(parse_segment("Variables('x'").is_err());
        assert!(parse_segment("Variables()").is_err());
    }

    #[test]
    fn natural_order_of_members() {
        let mut v = vec!["95+", "10-14", "0-4", "5-9", "m", "100+"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["0-4", "5-9", "10-14", "95+", "100+", "m"]);
    }

    #[test]
    fn value_strings() {
        assert_eq!(value_string(Value::Number(1234.0)), "1234");
        assert_eq!(value_string(Value::Number(-0.0)), "0");
        assert_eq!(value_string(Value::Number(12.5)), "12.5");
        assert_eq!(value_string(Value::Number(1e-7)), "0.0000001");
        for c in MissingCode::ALL {
            assert_eq!(value_string(Value::Missing(c)), c.symbol());
        }
    }

    #[test]
    fn decoding() {
        assert!(query_pairs(Some("$filter=100%")).is_err());
        assert_eq!(
            query_pairs(Some("$filter=Name%20eq%20%27a%27&$top=5&x")).unwrap(),
            vec![
                ("$filter".to_string(), "Name eq 'a'".to_string()),
                ("$top".to_string(), "5".to_string()),
                ("x".to_string(), String::new())
            ]
        );
    }

    #[test]
    fn metadata_lists_every_type_and_set() {
        let x = metadata_xml();
        for t in TYPES {
            assert!(x.contains(&format!("<EntityType Name=\"{}\">", t.name)));
        }
        for (s, _) in ENTITY_SETS {
            assert!(x.contains(&format!("<EntitySet Name=\"{s}\"")));
        }
    }
}
