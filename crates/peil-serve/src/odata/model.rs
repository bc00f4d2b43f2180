//! The entity model: entity types, their properties and navigation, and `$metadata` (CSDL).

use super::*;

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
