//! The demo's indicators, theme tree and cube dimensions, as tables of specs.
//!
//! Codes follow Swing habits: `v…` for register counts, `vp…` for percentages, `vs…` for
//! Stadsmonitor survey results, `kubus_…` for cubes.
//!
//! # Formula syntax
//!
//! Formulas are written in Swing syntax: `+ - * /`, parentheses, `data_from_period(x, "-1")`
//! for an earlier period of the same level, `threshold(x)` for `x` with its own threshold
//! applied. Cube cells are taken with **`cell(cube, member, member…)`**: the first argument
//! is the cube indicator, each further argument is a *dimension member code written bare*,
//! as Swing writes it, e.g. `cell(kubus_bevolking, 65+)` or `cell(kubus_bevolking, 65+, v)`.
//! A member argument is the raw text up to the next `,` or `)` (trimmed), so codes such as
//! `0-19` and `65+` need no quotes. A member may belong to the cube's own dim level
//! (`leeftijd5`: `80-84`) or to a coarser level linked to it (`leeftijd3`: `65+`); the member
//! codes of a cube's levels are unique, so a code names its level. Dimensions that are not
//! named are totalled.

use peil_core::{
    DataType, DimLevel, DimMember, Dimension, Indicator, Lifecycle, LocalizedText, MetadataBatch,
    Period, PeriodType, Theme, Visibility,
};
use std::collections::BTreeMap;

use crate::DemoSeries;

/// The cube of the population by age and sex.
pub const POPULATION_CUBE: &str = "kubus_bevolking";
/// Fine age level: 5-year bands `0-4` … `90-94`, `95+`.
pub const AGE5: &str = "leeftijd5";
/// Coarse age level `0-19`, `20-64`, `65+`. A 0-17/18-64 split cannot be built from
/// 5-year bands (18 falls inside `15-19`), so the coarse level splits at 20, which is also
/// the age the Flemish employment rate uses.
pub const AGE3: &str = "leeftijd3";
/// Sex: `m`, `v`.
pub const SEX: &str = "geslacht";

/// The access group restricted indicators are open to.
pub const STAFF_GROUP: &str = "stadsdiensten";

/// Number of 5-year age bands.
pub const AGE_BANDS: usize = 20;
/// Coarse band of each fine band: 0-19, 20-64, 65+.
pub const AGE3_OF_BAND: [usize; AGE_BANDS] =
    [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2];
pub const AGE3_CODES: [&str; 3] = ["0-19", "20-64", "65+"];
pub const SEX_CODES: [&str; 2] = ["m", "v"];

/// Member code of a 5-year band.
pub fn age5_code(band: usize) -> String {
    if band + 1 == AGE_BANDS {
        format!("{}+", band * 5)
    } else {
        format!("{}-{}", band * 5, band * 5 + 4)
    }
}

/// One indicator's metadata. Start and end periods are not written here: they are read off
/// the generated data, so they can never disagree with it.
struct Spec {
    code: &'static str,
    name: (&'static str, &'static str),
    desc: (&'static str, &'static str),
    unit: &'static str,
    source: &'static str,
    data_type: DataType,
    period_type: PeriodType,
    themes: &'static [&'static str],
    formula: Option<&'static str>,
    aggregation: Option<&'static str>,
    sample: Option<&'static str>,
    population: Option<&'static str>,
    /// `Some(t)`: values below `t` are suppressed…
    threshold: Option<f64>,
    /// …checked on this indicator (`None`: on the indicator itself).
    threshold_on: Option<&'static str>,
    rounding: Option<f64>,
    decimals: u8,
    non_aggregable: bool,
    status: Lifecycle,
    restricted: bool,
    dim_levels: &'static [&'static str],
}

/// A count from a register: the most common kind of indicator.
const COUNT: Spec = Spec {
    code: "",
    name: ("", ""),
    desc: ("", ""),
    unit: "aantal",
    source: "",
    data_type: DataType::Numeric,
    period_type: PeriodType::Stock,
    themes: &[],
    formula: None,
    aggregation: None,
    sample: None,
    population: None,
    threshold: None,
    threshold_on: None,
    rounding: None,
    decimals: 0,
    non_aggregable: false,
    status: Lifecycle::Active,
    restricted: false,
    dim_levels: &[],
};
/// A count over a period (births, moves): sums over time.
const FLOW: Spec = Spec {
    period_type: PeriodType::Flow,
    ..COUNT
};
/// A percentage formula; set `aggregation` to its denominator.
const PCT: Spec = Spec {
    data_type: DataType::Percentage,
    unit: "%",
    decimals: 1,
    ..COUNT
};
/// A ratio formula; set `aggregation` to its denominator.
const RATIO: Spec = Spec {
    data_type: DataType::Ratio,
    decimals: 1,
    ..COUNT
};
/// A Stadsmonitor percentage (loaded at wijk level).
const SURVEY: Spec = Spec {
    data_type: DataType::Percentage,
    unit: "%",
    decimals: 1,
    source: SRC_SURVEY,
    population: Some("vs_pop"),
    aggregation: Some("vs_pop"),
    threshold: Some(30.0),
    ..COUNT
};
/// The unweighted number of respondents behind a survey percentage.
const SURVEY_N: Spec = Spec {
    unit: "respondenten",
    source: SRC_SURVEY,
    themes: &["buurt"],
    ..COUNT
};

const SRC_RR: &str = "Rijksregister";
const SRC_STATBEL: &str = "Statbel";
const SRC_FIN: &str = "FOD Financiën (Statbel, fiscale inkomens)";
const SRC_CADASTRE: &str = "Statbel (kadastrale statistiek)";
const SRC_FLUVIUS: &str = "Fluvius";
const SRC_SURVEY: &str = "Stadsmonitor (Agentschap Binnenlands Bestuur)";
const SRC_VDAB: &str = "VDAB";
const SRC_SW: &str = "Steunpunt Werk";
const SRC_GIS: &str = "Stad Scheldemonde, dienst GIS";
const CALC: &str = "Berekening Stad Scheldemonde";

/// The theme tree: (code, parent, Dutch, English).
const THEMES: &[(&str, Option<&str>, &str, &str)] = &[
    ("kerncijfers", None, "Kerncijfers", "Key figures"),
    ("bevolking", None, "Bevolking", "Population"),
    (
        "bev_omvang",
        Some("bevolking"),
        "Omvang en dichtheid",
        "Size and density",
    ),
    (
        "bev_leeftijd",
        Some("bevolking"),
        "Leeftijd en geslacht",
        "Age and sex",
    ),
    (
        "bev_herkomst",
        Some("bevolking"),
        "Nationaliteit en herkomst",
        "Nationality and origin",
    ),
    (
        "bev_beweging",
        Some("bevolking"),
        "Geboorte, sterfte en verhuizingen",
        "Births, deaths and moves",
    ),
    ("huishoudens", None, "Huishoudens", "Households"),
    ("wonen", None, "Wonen", "Housing"),
    (
        "wonen_patrimonium",
        Some("wonen"),
        "Woningpatrimonium",
        "Housing stock",
    ),
    (
        "wonen_bouwen",
        Some("wonen"),
        "Bouwen en vergunningen",
        "Construction and permits",
    ),
    ("inkomen", None, "Inkomen en armoede", "Income and poverty"),
    ("werk", None, "Werk en economie", "Work and economy"),
    (
        "werk_arbeidsmarkt",
        Some("werk"),
        "Arbeidsmarkt",
        "Labour market",
    ),
    (
        "werk_economie",
        Some("werk"),
        "Ondernemingen en jobs",
        "Businesses and jobs",
    ),
    ("energie", None, "Energie en klimaat", "Energy and climate"),
    ("mobiliteit", None, "Mobiliteit", "Mobility"),
    ("jeugd", None, "Kinderen en gezin", "Children and family"),
    (
        "buurt",
        None,
        "Samenleven en buurt",
        "Community and neighbourhood",
    ),
    (
        "buurt_tevredenheid",
        Some("buurt"),
        "Tevredenheid",
        "Satisfaction",
    ),
    ("buurt_veiligheid", Some("buurt"), "Veiligheid", "Safety"),
    ("ruimte", None, "Ruimte", "Land use"),
];

#[rustfmt::skip]
const SPECS: &[Spec] = &[
    // --- Population -----------------------------------------------------------------------
    Spec { code: "v1101_t", name: ("Inwoners", "Inhabitants"),
        desc: ("Aantal inwoners ingeschreven in het bevolkingsregister op 1 januari.",
               "Number of inhabitants in the population register on 1 January."),
        unit: "inwoners", source: SRC_RR, themes: &["bev_omvang", "kerncijfers"], ..COUNT },
    Spec { code: "v1101_m", name: ("Mannen", "Men"),
        desc: ("Aantal mannelijke inwoners op 1 januari.", "Number of male inhabitants on 1 January."),
        unit: "inwoners", source: SRC_RR, themes: &["bev_leeftijd"], ..COUNT },
    Spec { code: "v1101_v", name: ("Vrouwen", "Women"),
        desc: ("Aantal vrouwelijke inwoners op 1 januari.", "Number of female inhabitants on 1 January."),
        unit: "inwoners", source: SRC_RR, themes: &["bev_leeftijd"], ..COUNT },
    Spec { code: POPULATION_CUBE, name: ("Bevolking naar leeftijd en geslacht", "Population by age and sex"),
        desc: ("Inwoners op 1 januari naar leeftijd in vijfjaarsklassen en geslacht.",
               "Inhabitants on 1 January by five-year age band and sex."),
        unit: "inwoners", source: SRC_RR, themes: &["bev_leeftijd"], dim_levels: &[AGE5, SEX], ..COUNT },
    Spec { code: "v1101_0_2", name: ("Kinderen van 0 tot 2 jaar", "Children aged 0 to 2"),
        desc: ("Aantal kinderen jonger dan 3 jaar op 1 januari; basis voor de planning van kinderopvang.",
               "Number of children under 3 on 1 January; the basis for childcare planning."),
        unit: "kinderen", source: SRC_RR, themes: &["bev_leeftijd", "jeugd"], ..COUNT },
    Spec { code: "v1101_nietbelg", name: ("Inwoners met een niet-Belgische nationaliteit", "Inhabitants with a non-Belgian nationality"),
        desc: ("Aantal inwoners dat op 1 januari geen Belgische nationaliteit heeft.",
               "Number of inhabitants without Belgian nationality on 1 January."),
        unit: "inwoners", source: SRC_RR, themes: &["bev_herkomst"], threshold: Some(5.0), ..COUNT },
    Spec { code: "v1101_herkomst", name: ("Inwoners met een buitenlandse herkomst", "Inhabitants with a foreign background"),
        desc: ("Inwoners van wie minstens één ouder bij de geboorte een buitenlandse nationaliteit had (sinds 2016).",
               "Inhabitants with at least one parent of foreign nationality at birth (since 2016)."),
        unit: "inwoners", source: SRC_STATBEL, themes: &["bev_herkomst"], threshold: Some(5.0), ..COUNT },
    Spec { code: "v_opp_km2", name: ("Oppervlakte", "Area"),
        desc: ("Oppervlakte van het gebied in vierkante kilometer, berekend uit de gebiedsgrenzen.",
               "Area in square kilometres, computed from the area boundaries."),
        unit: "km²", source: SRC_GIS, period_type: PeriodType::Independent, decimals: 2,
        themes: &["ruimte"], ..COUNT },
    Spec { code: "v_dichtheid", name: ("Bevolkingsdichtheid", "Population density"),
        desc: ("Aantal inwoners per vierkante kilometer.", "Inhabitants per square kilometre."),
        unit: "inwoners/km²", source: CALC, formula: Some("v1101_t / v_opp_km2"),
        aggregation: Some("v_opp_km2"), decimals: 0, themes: &["bev_omvang", "kerncijfers"], ..RATIO },
    Spec { code: "vp_groei", name: ("Bevolkingsgroei ten opzichte van het vorige jaar", "Population growth on the previous year"),
        desc: ("Procentuele verandering van het aantal inwoners ten opzichte van 1 januari van het vorige jaar.",
               "Percentage change in the number of inhabitants since 1 January of the previous year."),
        unit: "%", source: CALC, period_type: PeriodType::GrowthRate, decimals: 2,
        formula: Some(r#"(v1101_t - data_from_period(v1101_t, "-1")) / data_from_period(v1101_t, "-1") * 100"#),
        themes: &["bev_omvang"], ..RATIO },
    Spec { code: "vp_groei_5j", name: ("Bevolkingsgroei over vijf jaar", "Population growth over five years"),
        desc: ("Procentuele verandering van het aantal inwoners over de voorbije vijf jaar.",
               "Percentage change in the number of inhabitants over the past five years."),
        unit: "%", source: CALC, period_type: PeriodType::GrowthRate,
        formula: Some(r#"(v1101_t - data_from_period(v1101_t, "-5")) / data_from_period(v1101_t, "-5") * 100"#),
        themes: &["bev_omvang"], ..RATIO },
    Spec { code: "v1101_0_19", name: ("Inwoners van 0 tot 19 jaar", "Inhabitants aged 0 to 19"),
        desc: ("Aantal inwoners jonger dan 20 jaar, uit de bevolkingskubus.", "Inhabitants under 20, from the population cube."),
        unit: "inwoners", source: SRC_RR, formula: Some("cell(kubus_bevolking, 0-19)"), themes: &["bev_leeftijd"], ..COUNT },
    Spec { code: "v1101_20_64", name: ("Inwoners van 20 tot 64 jaar", "Inhabitants aged 20 to 64"),
        desc: ("Aantal inwoners van 20 tot en met 64 jaar, uit de bevolkingskubus.", "Inhabitants aged 20 to 64, from the population cube."),
        unit: "inwoners", source: SRC_RR, formula: Some("cell(kubus_bevolking, 20-64)"), themes: &["bev_leeftijd"], ..COUNT },
    Spec { code: "v1101_65p", name: ("Inwoners van 65 jaar en ouder", "Inhabitants aged 65 and over"),
        desc: ("Aantal inwoners van 65 jaar en ouder, uit de bevolkingskubus.", "Inhabitants aged 65 and over, from the population cube."),
        unit: "inwoners", source: SRC_RR, formula: Some("cell(kubus_bevolking, 65+)"), themes: &["bev_leeftijd"], ..COUNT },
    Spec { code: "v1101_80p", name: ("Inwoners van 80 jaar en ouder", "Inhabitants aged 80 and over"),
        desc: ("Aantal inwoners van 80 jaar en ouder, opgeteld uit de vijfjaarsklassen van de bevolkingskubus.",
               "Inhabitants aged 80 and over, summed from the five-year bands of the population cube."),
        unit: "inwoners", source: SRC_RR,
        formula: Some("cell(kubus_bevolking, 80-84) + cell(kubus_bevolking, 85-89) + cell(kubus_bevolking, 90-94) + cell(kubus_bevolking, 95+)"),
        themes: &["bev_leeftijd"], ..COUNT },
    Spec { code: "vp_0_19", name: ("Aandeel inwoners jonger dan 20 jaar", "Share of inhabitants under 20"),
        desc: ("Inwoners van 0 tot 19 jaar als percentage van alle inwoners.", "Inhabitants aged 0 to 19 as a percentage of all inhabitants."),
        source: CALC, formula: Some("cell(kubus_bevolking, 0-19) / v1101_t * 100"), aggregation: Some("v1101_t"),
        themes: &["bev_leeftijd"], ..PCT },
    Spec { code: "vp_65p", name: ("Aandeel 65-plussers", "Share of inhabitants aged 65 and over"),
        desc: ("Inwoners van 65 jaar en ouder als percentage van alle inwoners.", "Inhabitants aged 65 and over as a percentage of all inhabitants."),
        source: CALC, formula: Some("cell(kubus_bevolking, 65+) / v1101_t * 100"), aggregation: Some("v1101_t"),
        themes: &["bev_leeftijd", "kerncijfers"], ..PCT },
    Spec { code: "vp_afhankelijkheid", name: ("Afhankelijkheidsratio", "Dependency ratio"),
        desc: ("Inwoners jonger dan 20 en ouder dan 64 per 100 inwoners van 20 tot 64 jaar.",
               "Inhabitants under 20 and over 64 per 100 inhabitants aged 20 to 64."),
        unit: "per 100", source: CALC,
        formula: Some("(cell(kubus_bevolking, 0-19) + cell(kubus_bevolking, 65+)) / cell(kubus_bevolking, 20-64) * 100"),
        aggregation: Some("v1101_20_64"), themes: &["bev_leeftijd"], ..RATIO },
    Spec { code: "vp_v_65p", name: ("Aandeel vrouwen bij de 65-plussers", "Share of women among inhabitants aged 65 and over"),
        desc: ("Vrouwen van 65 jaar en ouder als percentage van alle 65-plussers.", "Women aged 65 and over as a percentage of all inhabitants aged 65 and over."),
        source: CALC, formula: Some("cell(kubus_bevolking, 65+, v) / cell(kubus_bevolking, 65+) * 100"),
        aggregation: Some("v1101_65p"), themes: &["bev_leeftijd"], ..PCT },
    Spec { code: "vp_nietbelg", name: ("Aandeel inwoners met een niet-Belgische nationaliteit", "Share of inhabitants with a non-Belgian nationality"),
        desc: ("Inwoners met een niet-Belgische nationaliteit als percentage van alle inwoners.",
               "Inhabitants with a non-Belgian nationality as a percentage of all inhabitants."),
        source: CALC, formula: Some("threshold(v1101_nietbelg) / v1101_t * 100"), aggregation: Some("v1101_t"),
        threshold: Some(5.0), threshold_on: Some("v1101_nietbelg"), themes: &["bev_herkomst"], ..PCT },
    // --- Births, deaths, moves --------------------------------------------------------------
    Spec { code: "v_geboorten", name: ("Geboorten", "Births"),
        desc: ("Aantal levendgeborenen in het jaar, naar woonplaats van de moeder.", "Live births in the year, by the mother's place of residence."),
        unit: "geboorten", source: SRC_RR, themes: &["bev_beweging"], ..FLOW },
    Spec { code: "v_sterften", name: ("Sterfgevallen", "Deaths"),
        desc: ("Aantal overlijdens van inwoners in het jaar.", "Deaths of inhabitants in the year."),
        unit: "sterfgevallen", source: SRC_RR, themes: &["bev_beweging"], ..FLOW },
    Spec { code: "v_verhuis_in", name: ("Inwijkingen", "Moves in"),
        desc: ("Inschrijvingen in het gebied door verhuizing, ook verhuizingen binnen de stad.",
               "Registrations in the area after a move, including moves within the city."),
        unit: "personen", source: SRC_RR, themes: &["bev_beweging"], ..FLOW },
    Spec { code: "v_verhuis_uit", name: ("Uitwijkingen", "Moves out"),
        desc: ("Uitschrijvingen uit het gebied door verhuizing, ook verhuizingen binnen de stad.",
               "Deregistrations from the area after a move, including moves within the city."),
        unit: "personen", source: SRC_RR, themes: &["bev_beweging"], ..FLOW },
    Spec { code: "v_migratiesaldo", name: ("Migratiesaldo", "Net migration"),
        desc: ("Inwijkingen min uitwijkingen.", "Moves in minus moves out."),
        unit: "personen", source: CALC, formula: Some("v_verhuis_in - v_verhuis_uit"), themes: &["bev_beweging"], ..FLOW },
    Spec { code: "v_geboortecijfer", name: ("Geboortecijfer", "Crude birth rate"),
        desc: ("Geboorten per 1.000 inwoners.", "Births per 1,000 inhabitants."),
        unit: "per 1.000 inwoners", source: CALC, period_type: PeriodType::Flow,
        formula: Some("v_geboorten / v1101_t * 1000"), aggregation: Some("v1101_t"), themes: &["bev_beweging"], ..RATIO },
    Spec { code: "v_sterftecijfer", name: ("Sterftecijfer", "Crude death rate"),
        desc: ("Sterfgevallen per 1.000 inwoners.", "Deaths per 1,000 inhabitants."),
        unit: "per 1.000 inwoners", source: CALC, period_type: PeriodType::Flow,
        formula: Some("v_sterften / v1101_t * 1000"), aggregation: Some("v1101_t"), themes: &["bev_beweging"], ..RATIO },
    Spec { code: "v_geboorten_5j", name: ("Geboorten over vijf jaar", "Births over five years"),
        desc: ("Som van de geboorten in het jaar en de vier jaren ervoor.", "Births in the year and the four years before, summed."),
        unit: "geboorten", source: CALC,
        formula: Some(r#"v_geboorten + data_from_period(v_geboorten, "-1") + data_from_period(v_geboorten, "-2") + data_from_period(v_geboorten, "-3") + data_from_period(v_geboorten, "-4")"#),
        themes: &["bev_beweging"], ..FLOW },
    // --- Households -------------------------------------------------------------------------
    Spec { code: "v_hh_t", name: ("Private huishoudens", "Private households"),
        desc: ("Aantal private huishoudens op 1 januari (zonder collectieve huishoudens zoals woonzorgcentra).",
               "Number of private households on 1 January (excluding collective households such as care homes)."),
        unit: "huishoudens", source: SRC_RR, themes: &["huishoudens"], ..COUNT },
    Spec { code: "v_hh_pers", name: ("Inwoners in private huishoudens", "Persons in private households"),
        desc: ("Aantal inwoners dat deel uitmaakt van een privaat huishouden.", "Inhabitants who belong to a private household."),
        unit: "inwoners", source: SRC_RR, themes: &["huishoudens"], ..COUNT },
    Spec { code: "v_hh_alleen", name: ("Alleenwonenden", "One-person households"),
        desc: ("Aantal huishoudens van één persoon.", "Number of one-person households."),
        unit: "huishoudens", source: SRC_RR, threshold: Some(5.0), themes: &["huishoudens"], ..COUNT },
    Spec { code: "v_hh_kind", name: ("Huishoudens met kinderen", "Households with children"),
        desc: ("Huishoudens met minstens één kind jonger dan 18 jaar.", "Households with at least one child under 18."),
        unit: "huishoudens", source: SRC_RR, threshold: Some(5.0), themes: &["huishoudens", "jeugd"], ..COUNT },
    Spec { code: "v_hh_eenouder", name: ("Eenoudergezinnen", "Single-parent families"),
        desc: ("Huishoudens van één ouder met minstens één kind jonger dan 18 jaar.", "Households of one parent with at least one child under 18."),
        unit: "huishoudens", source: SRC_RR, threshold: Some(5.0), themes: &["huishoudens", "jeugd"], ..COUNT },
    Spec { code: "v_hh_grootte", name: ("Gemiddelde huishoudgrootte", "Average household size"),
        desc: ("Gemiddeld aantal personen per privaat huishouden.", "Average number of persons per private household."),
        unit: "personen", source: CALC, formula: Some("v_hh_pers / v_hh_t"), aggregation: Some("v_hh_t"),
        decimals: 2, themes: &["huishoudens", "kerncijfers"], ..RATIO },
    Spec { code: "vp_hh_alleen", name: ("Aandeel alleenwonenden", "Share of one-person households"),
        desc: ("Huishoudens van één persoon als percentage van alle private huishoudens.",
               "One-person households as a percentage of all private households."),
        source: CALC, formula: Some("threshold(v_hh_alleen) / v_hh_t * 100"), aggregation: Some("v_hh_t"),
        threshold: Some(5.0), threshold_on: Some("v_hh_alleen"), themes: &["huishoudens"], ..PCT },
    Spec { code: "vp_hh_kind", name: ("Aandeel huishoudens met kinderen", "Share of households with children"),
        desc: ("Huishoudens met kinderen als percentage van alle private huishoudens.",
               "Households with children as a percentage of all private households."),
        source: CALC, formula: Some("v_hh_kind / v_hh_t * 100"), aggregation: Some("v_hh_t"),
        threshold: Some(5.0), threshold_on: Some("v_hh_kind"), themes: &["huishoudens"], ..PCT },
    Spec { code: "vp_eenouder", name: ("Aandeel eenoudergezinnen", "Share of single-parent families"),
        desc: ("Eenoudergezinnen als percentage van de huishoudens met kinderen.",
               "Single-parent families as a percentage of households with children."),
        source: CALC, formula: Some("threshold(v_hh_eenouder) / v_hh_kind * 100"), aggregation: Some("v_hh_kind"),
        threshold: Some(5.0), threshold_on: Some("v_hh_eenouder"), themes: &["huishoudens", "jeugd"], ..PCT },
    // --- Income -----------------------------------------------------------------------------
    Spec { code: "v_aangiften", name: ("Aantal belastingaangiften", "Number of tax returns"),
        desc: ("Aantal aangiften in de personenbelasting (een gezamenlijke aangifte telt één keer), inkomensjaar.",
               "Number of personal income tax returns (a joint return counts once), by income year."),
        unit: "aangiften", source: SRC_FIN, themes: &["inkomen"], ..COUNT },
    Spec { code: "v_inkomen_tot", name: ("Totaal netto belastbaar inkomen", "Total net taxable income"),
        desc: ("Som van het netto belastbaar inkomen van alle aangiften.", "Sum of the net taxable income of all tax returns."),
        unit: "EUR", source: SRC_FIN, period_type: PeriodType::Flow, threshold: Some(5.0), threshold_on: Some("v_aangiften"),
        themes: &["inkomen"], ..COUNT },
    Spec { code: "v_inkomen_gem", name: ("Gemiddeld netto belastbaar inkomen per aangifte", "Average net taxable income per tax return"),
        desc: ("Totaal netto belastbaar inkomen gedeeld door het aantal aangiften; Statbel verbergt sectoren met minder dan 5 aangiften.",
               "Total net taxable income divided by the number of returns; Statbel hides sectors with fewer than 5 returns."),
        unit: "EUR", source: SRC_FIN, data_type: DataType::Mean, aggregation: Some("v_aangiften"),
        threshold: Some(5.0), threshold_on: Some("v_aangiften"), themes: &["inkomen", "kerncijfers"], ..COUNT },
    Spec { code: "v_inkomen_med", name: ("Mediaan netto belastbaar inkomen per aangifte", "Median net taxable income per tax return"),
        desc: ("Het midden van de inkomensverdeling van de aangiften; een mediaan kan niet worden samengeteld en is enkel geladen waar de bron hem geeft.",
               "The middle of the income distribution of tax returns; a median cannot be aggregated and exists only where the source gives it."),
        unit: "EUR", source: SRC_FIN, data_type: DataType::Mean, non_aggregable: true,
        threshold: Some(5.0), threshold_on: Some("v_aangiften"), themes: &["inkomen"], ..COUNT },
    Spec { code: "v_inkomen_groei_5j", name: ("Groei van het gemiddeld inkomen over vijf jaar", "Growth of the average income over five years"),
        desc: ("Procentuele verandering van het gemiddeld netto belastbaar inkomen per aangifte over vijf jaar.",
               "Percentage change in the average net taxable income per return over five years."),
        unit: "%", source: CALC, period_type: PeriodType::GrowthRate,
        formula: Some(r#"(v_inkomen_tot / v_aangiften) / (data_from_period(v_inkomen_tot, "-5") / data_from_period(v_aangiften, "-5")) * 100 - 100"#),
        themes: &["inkomen"], ..RATIO },
    Spec { code: "v_leefloon", name: ("Leefloongerechtigden", "Recipients of the integration income"),
        desc: ("Personen met een leefloon of equivalent leefloon van het OCMW op 1 januari.",
               "Persons receiving the integration income (leefloon) or its equivalent from the public social welfare centre on 1 January."),
        unit: "personen", source: "POD Maatschappelijke Integratie", threshold: Some(5.0), restricted: true,
        themes: &["inkomen"], ..COUNT },
    Spec { code: "vp_leefloon", name: ("Leefloongerechtigden per 1.000 inwoners", "Integration income recipients per 1,000 inhabitants"),
        desc: ("Leefloongerechtigden per 1.000 inwoners.", "Integration income recipients per 1,000 inhabitants."),
        unit: "per 1.000 inwoners", source: CALC, formula: Some("threshold(v_leefloon) / v1101_t * 1000"),
        aggregation: Some("v1101_t"), threshold: Some(5.0), threshold_on: Some("v_leefloon"), restricted: true,
        themes: &["inkomen"], ..RATIO },
    // --- Housing ----------------------------------------------------------------------------
    Spec { code: "v_won_t", name: ("Woongelegenheden", "Dwellings"),
        desc: ("Aantal woongelegenheden (huizen en appartementen) volgens het kadaster op 1 januari.",
               "Number of dwellings (houses and flats) in the cadastre on 1 January."),
        unit: "woningen", source: SRC_CADASTRE, themes: &["wonen_patrimonium"], ..COUNT },
    Spec { code: "v_won_bewoond", name: ("Bewoonde woongelegenheden", "Occupied dwellings"),
        desc: ("Woongelegenheden waar minstens één huishouden is ingeschreven.", "Dwellings where at least one household is registered."),
        unit: "woningen", source: SRC_CADASTRE, themes: &["wonen_patrimonium"], ..COUNT },
    Spec { code: "v_won_eig", name: ("Door de eigenaar bewoonde woningen", "Owner-occupied dwellings"),
        desc: ("Bewoonde woningen waarin de eigenaar zelf woont.", "Occupied dwellings in which the owner lives."),
        unit: "woningen", source: SRC_CADASTRE, threshold: Some(5.0), themes: &["wonen_patrimonium"], ..COUNT },
    Spec { code: "v_won_soc", name: ("Sociale huurwoningen", "Social rental dwellings"),
        desc: ("Woningen van sociale huisvestingsmaatschappijen en woonmaatschappijen.", "Dwellings let by social housing companies."),
        unit: "woningen", source: "Wonen in Vlaanderen", themes: &["wonen_patrimonium"], ..COUNT },
    Spec { code: "v_won_leeg", name: ("Leegstaande woningen", "Vacant dwellings"),
        desc: ("Woningen in het gemeentelijk leegstandsregister (langer dan 12 maanden leeg).",
               "Dwellings in the municipal vacancy register (empty for more than 12 months)."),
        unit: "woningen", source: "Stad Scheldemonde, leegstandsregister", threshold: Some(5.0), restricted: true,
        themes: &["wonen_patrimonium"], ..COUNT },
    Spec { code: "v_won_app", name: ("Appartementen", "Flats"),
        desc: ("Woongelegenheden in appartementsgebouwen.", "Dwellings in blocks of flats."),
        unit: "woningen", source: SRC_CADASTRE, themes: &["wonen_patrimonium"], ..COUNT },
    Spec { code: "vp_eigenaar", name: ("Aandeel eigenaar-bewoners", "Share of owner-occupied dwellings"),
        desc: ("Door de eigenaar bewoonde woningen als percentage van de bewoonde woningen.",
               "Owner-occupied dwellings as a percentage of occupied dwellings."),
        source: CALC, formula: Some("v_won_eig / v_won_bewoond * 100"), aggregation: Some("v_won_bewoond"),
        threshold: Some(5.0), threshold_on: Some("v_won_eig"), themes: &["wonen_patrimonium"], ..PCT },
    Spec { code: "vp_sociaal", name: ("Aandeel sociale huurwoningen", "Share of social rental dwellings"),
        desc: ("Sociale huurwoningen als percentage van alle woongelegenheden.", "Social rental dwellings as a percentage of all dwellings."),
        source: CALC, formula: Some("v_won_soc / v_won_t * 100"), aggregation: Some("v_won_t"),
        themes: &["wonen_patrimonium"], ..PCT },
    Spec { code: "vp_leegstand", name: ("Leegstandspercentage", "Vacancy rate"),
        desc: ("Woningen in het leegstandsregister als percentage van alle woongelegenheden.",
               "Dwellings in the vacancy register as a percentage of all dwellings."),
        source: CALC, formula: Some("threshold(v_won_leeg) / v_won_t * 100"), aggregation: Some("v_won_t"),
        threshold: Some(5.0), threshold_on: Some("v_won_leeg"), restricted: true, decimals: 2,
        themes: &["wonen_patrimonium"], ..PCT },
    Spec { code: "vp_app", name: ("Aandeel appartementen", "Share of flats"),
        desc: ("Appartementen als percentage van alle woongelegenheden.", "Flats as a percentage of all dwellings."),
        source: CALC, formula: Some("v_won_app / v_won_t * 100"), aggregation: Some("v_won_t"),
        themes: &["wonen_patrimonium"], ..PCT },
    Spec { code: "v_woningdichtheid", name: ("Woningdichtheid", "Dwelling density"),
        desc: ("Woongelegenheden per vierkante kilometer.", "Dwellings per square kilometre."),
        unit: "woningen/km²", source: CALC, formula: Some("v_won_t / v_opp_km2"), aggregation: Some("v_opp_km2"),
        decimals: 0, themes: &["wonen_patrimonium", "ruimte"], ..RATIO },
    Spec { code: "v_bouwverg_won", name: ("Vergunde woongelegenheden", "Dwellings permitted"),
        desc: ("Nieuwe woongelegenheden in verleende omgevingsvergunningen, per kwartaal.",
               "New dwellings in granted building permits, by quarter."),
        unit: "woningen", source: "Omgevingsloket Vlaanderen", themes: &["wonen_bouwen"], ..FLOW },
    Spec { code: "v_bouwverg_4kw", name: ("Vergunde woongelegenheden, laatste vier kwartalen", "Dwellings permitted, last four quarters"),
        desc: ("Vergunde woongelegenheden in het kwartaal en de drie kwartalen ervoor.",
               "Dwellings permitted in the quarter and the three quarters before."),
        unit: "woningen", source: CALC,
        formula: Some(r#"v_bouwverg_won + data_from_period(v_bouwverg_won, "-1") + data_from_period(v_bouwverg_won, "-2") + data_from_period(v_bouwverg_won, "-3")"#),
        themes: &["wonen_bouwen"], ..FLOW },
    // --- Work and economy -------------------------------------------------------------------
    Spec { code: "v_werk_bev_20_64", name: ("Bevolking van 20 tot 64 jaar (arbeidsmarkt)", "Population aged 20 to 64 (labour market)"),
        desc: ("Bevolking op arbeidsleeftijd volgens de arbeidsmarktdatawarehouse; kan licht afwijken van het bevolkingsregister.",
               "Working-age population according to the labour market data warehouse; may differ slightly from the population register."),
        unit: "inwoners", source: SRC_SW, themes: &["werk_arbeidsmarkt"], ..COUNT },
    Spec { code: "v_werkend_20_64", name: ("Werkende inwoners van 20 tot 64 jaar", "Employed inhabitants aged 20 to 64"),
        desc: ("Inwoners van 20 tot 64 jaar met een job als werknemer, zelfstandige of helper.",
               "Inhabitants aged 20 to 64 in work as employee, self-employed or helper."),
        unit: "inwoners", source: SRC_SW, threshold: Some(5.0), themes: &["werk_arbeidsmarkt"], ..COUNT },
    Spec { code: "v_werkzoek", name: ("Niet-werkende werkzoekenden", "Unemployed job seekers"),
        desc: ("Jaargemiddelde van het aantal niet-werkende werkzoekenden ingeschreven bij de VDAB.",
               "Annual average of unemployed job seekers registered with VDAB."),
        unit: "personen", source: SRC_VDAB, period_type: PeriodType::AverageStock, threshold: Some(5.0),
        themes: &["werk_arbeidsmarkt"], ..COUNT },
    Spec { code: "v_werkzoek_lang", name: ("Langdurig niet-werkende werkzoekenden", "Long-term unemployed job seekers"),
        desc: ("Niet-werkende werkzoekenden die minstens een jaar ingeschreven zijn, jaargemiddelde.",
               "Unemployed job seekers registered for a year or longer, annual average."),
        unit: "personen", source: SRC_VDAB, period_type: PeriodType::AverageStock, threshold: Some(5.0),
        themes: &["werk_arbeidsmarkt"], ..COUNT },
    Spec { code: "vp_werkzaamheid", name: ("Werkzaamheidsgraad (20-64 jaar)", "Employment rate (aged 20-64)"),
        desc: ("Werkende inwoners van 20 tot 64 jaar als percentage van de bevolking van 20 tot 64 jaar.",
               "Employed inhabitants aged 20 to 64 as a percentage of the population aged 20 to 64."),
        source: CALC, formula: Some("v_werkend_20_64 / v_werk_bev_20_64 * 100"), aggregation: Some("v_werk_bev_20_64"),
        threshold: Some(5.0), threshold_on: Some("v_werkend_20_64"), themes: &["werk_arbeidsmarkt", "kerncijfers"], ..PCT },
    Spec { code: "vp_werkzoekenden", name: ("Werkzoekendenratio", "Job seeker ratio"),
        desc: ("Niet-werkende werkzoekenden als percentage van de bevolking van 20 tot 64 jaar.",
               "Unemployed job seekers as a percentage of the population aged 20 to 64."),
        source: CALC, formula: Some("threshold(v_werkzoek) / v_werk_bev_20_64 * 100"), aggregation: Some("v_werk_bev_20_64"),
        threshold: Some(5.0), threshold_on: Some("v_werkzoek"), themes: &["werk_arbeidsmarkt"], ..PCT },
    Spec { code: "vp_werkzoek_lang", name: ("Aandeel langdurig werkzoekenden", "Share of long-term job seekers"),
        desc: ("Langdurig niet-werkende werkzoekenden als percentage van alle niet-werkende werkzoekenden.",
               "Long-term unemployed job seekers as a percentage of all unemployed job seekers."),
        source: CALC, formula: Some("threshold(v_werkzoek_lang) / v_werkzoek * 100"), aggregation: Some("v_werkzoek"),
        threshold: Some(5.0), threshold_on: Some("v_werkzoek_lang"), themes: &["werk_arbeidsmarkt"], ..PCT },
    Spec { code: "v_jobs", name: ("Jobs", "Jobs"),
        desc: ("Aantal jobs van werknemers en zelfstandigen op de plaats van tewerkstelling, afgerond op tientallen.",
               "Employee and self-employed jobs at the place of work, rounded to tens."),
        unit: "jobs", source: "RSZ en RSVZ (Steunpunt Werk)", rounding: Some(10.0), themes: &["werk_economie"], ..COUNT },
    Spec { code: "v_jobratio", name: ("Jobratio", "Job ratio"),
        desc: ("Jobs per 100 inwoners van 20 tot 64 jaar.", "Jobs per 100 inhabitants aged 20 to 64."),
        unit: "per 100", source: CALC, formula: Some("v_jobs / v_werk_bev_20_64 * 100"), aggregation: Some("v_werk_bev_20_64"),
        themes: &["werk_economie"], ..RATIO },
    Spec { code: "v_ondern_start", name: ("Startende ondernemingen", "Business start-ups"),
        desc: ("Nieuw opgerichte ondernemingen met zetel in het gebied, per kwartaal.", "Newly founded businesses seated in the area, by quarter."),
        unit: "ondernemingen", source: "Statbel (KBO)", themes: &["werk_economie"], ..FLOW },
    // --- Energy -----------------------------------------------------------------------------
    Spec { code: "v_elek_res", name: ("Elektriciteitsverbruik van huishoudens", "Residential electricity consumption"),
        desc: ("Afgenomen elektriciteit op residentiële aansluitingen; Fluvius geeft geen cijfer bij minder dan 10 aansluitingen.",
               "Electricity taken off residential connections; Fluvius gives no figure for fewer than 10 connections."),
        unit: "MWh", source: SRC_FLUVIUS, period_type: PeriodType::Flow, decimals: 1, themes: &["energie"], ..COUNT },
    Spec { code: "v_gas_res", name: ("Aardgasverbruik van huishoudens", "Residential natural gas consumption"),
        desc: ("Afgenomen aardgas op residentiële aansluitingen; niet van toepassing waar geen gasnet ligt.",
               "Natural gas taken off residential connections; not applicable where there is no gas grid."),
        unit: "MWh", source: SRC_FLUVIUS, period_type: PeriodType::Flow, decimals: 1, themes: &["energie"], ..COUNT },
    Spec { code: "v_pv_install", name: ("Installaties met zonnepanelen", "Solar panel installations"),
        desc: ("Aantal installaties met fotovoltaïsche zonnepanelen op 31 december (sinds 2016).",
               "Number of photovoltaic installations on 31 December (since 2016)."),
        unit: "installaties", source: "Fluvius; Vlaams Energie- en Klimaatagentschap", themes: &["energie"], ..COUNT },
    Spec { code: "v_pv_kw", name: ("Geïnstalleerd vermogen zonnepanelen", "Installed solar capacity"),
        desc: ("Som van het omvormervermogen van alle installaties met zonnepanelen.", "Total inverter capacity of all solar panel installations."),
        unit: "kW", source: "Fluvius; Vlaams Energie- en Klimaatagentschap", decimals: 1, themes: &["energie"], ..COUNT },
    Spec { code: "v_elek_hh", name: ("Elektriciteitsverbruik per huishouden", "Electricity consumption per household"),
        desc: ("Residentieel elektriciteitsverbruik per privaat huishouden.", "Residential electricity consumption per private household."),
        unit: "kWh", source: CALC, period_type: PeriodType::Flow, formula: Some("v_elek_res / v_hh_t * 1000"),
        aggregation: Some("v_hh_t"), decimals: 0, themes: &["energie"], ..RATIO },
    Spec { code: "v_gas_hh", name: ("Aardgasverbruik per huishouden", "Natural gas consumption per household"),
        desc: ("Residentieel aardgasverbruik per privaat huishouden.", "Residential natural gas consumption per private household."),
        unit: "kWh", source: CALC, period_type: PeriodType::Flow, formula: Some("v_gas_res / v_hh_t * 1000"),
        aggregation: Some("v_hh_t"), decimals: 0, themes: &["energie"], ..RATIO },
    Spec { code: "vp_pv", name: ("Installaties met zonnepanelen per 100 woningen", "Solar installations per 100 dwellings"),
        desc: ("Installaties met zonnepanelen per 100 woongelegenheden.", "Solar panel installations per 100 dwellings."),
        unit: "per 100 woningen", source: CALC, formula: Some("v_pv_install / v_won_t * 100"), aggregation: Some("v_won_t"),
        themes: &["energie"], ..RATIO },
    Spec { code: "v_pv_kw_inst", name: ("Gemiddeld vermogen per zonne-installatie", "Average capacity per solar installation"),
        desc: ("Geïnstalleerd vermogen gedeeld door het aantal installaties.", "Installed capacity divided by the number of installations."),
        unit: "kW", source: CALC, formula: Some("v_pv_kw / v_pv_install"), aggregation: Some("v_pv_install"),
        decimals: 2, themes: &["energie"], ..RATIO },
    // --- Mobility ---------------------------------------------------------------------------
    Spec { code: "v_auto", name: ("Personenwagens", "Passenger cars"),
        desc: ("Ingeschreven personenwagens van particulieren op 1 augustus.", "Registered private passenger cars on 1 August."),
        unit: "wagens", source: "Statbel (voertuigenpark)", themes: &["mobiliteit"], ..COUNT },
    Spec { code: "v_auto_hh", name: ("Personenwagens per huishouden", "Passenger cars per household"),
        desc: ("Ingeschreven personenwagens van particulieren per privaat huishouden.", "Registered private passenger cars per private household."),
        unit: "wagens", source: CALC, formula: Some("v_auto / v_hh_t"), aggregation: Some("v_hh_t"), decimals: 2,
        themes: &["mobiliteit"], ..RATIO },
    // --- Children and family ----------------------------------------------------------------
    Spec { code: "v_kinderopvang", name: ("Plaatsen in de kinderopvang", "Childcare places"),
        desc: ("Vergunde plaatsen in de kinderopvang voor baby's en peuters op 31 december.",
               "Licensed childcare places for babies and toddlers on 31 December."),
        unit: "plaatsen", source: "Opgroeien", themes: &["jeugd"], ..COUNT },
    Spec { code: "v_kinderopvang_ratio", name: ("Plaatsen in de kinderopvang per 100 kinderen", "Childcare places per 100 children"),
        desc: ("Plaatsen in de kinderopvang per 100 kinderen van 0 tot 2 jaar.", "Childcare places per 100 children aged 0 to 2."),
        unit: "per 100 kinderen", source: CALC, formula: Some("v_kinderopvang / v1101_0_2 * 100"), aggregation: Some("v1101_0_2"),
        themes: &["jeugd"], ..RATIO },
    Spec { code: "v_kinderbijslag", name: ("Kinderen met kinderbijslag", "Children receiving child benefit"),
        desc: ("Kinderen voor wie kinderbijslag werd betaald. Uitdovend: vervangen door het Groeipakket in 2019.",
               "Children for whom child benefit was paid. Retiring: replaced by the Groeipakket in 2019."),
        unit: "kinderen", source: "FAMIFED", status: Lifecycle::Retiring, themes: &["jeugd"], ..COUNT },
    // --- Stadsmonitor survey (wijk level) ---------------------------------------------------
    Spec { code: "vs_pop", name: ("Populatie Stadsmonitor (17-85 jaar)", "Survey population (aged 17-85)"),
        desc: ("Inwoners van 17 tot 85 jaar uit wie de steekproef van de Stadsmonitor getrokken werd.",
               "Inhabitants aged 17 to 85 from whom the Stadsmonitor sample was drawn."),
        unit: "inwoners", source: SRC_SURVEY, themes: &["buurt"], ..COUNT },
    Spec { code: "vs_tevreden_buurt", name: ("% tevreden over de buurt", "% satisfied with the neighbourhood"),
        desc: ("Aandeel inwoners dat (zeer) tevreden is over de eigen buurt.", "Share of residents who are (very) satisfied with their neighbourhood."),
        sample: Some("vs_tevreden_buurt_n"), threshold_on: Some("vs_tevreden_buurt_n"),
        themes: &["buurt_tevredenheid", "kerncijfers"], ..SURVEY },
    Spec { code: "vs_tevreden_buurt_n", name: ("Respondenten: tevredenheid over de buurt", "Respondents: satisfaction with the neighbourhood"),
        desc: ("Aantal respondenten dat de vraag over tevredenheid met de buurt beantwoordde.",
               "Number of respondents who answered the question on satisfaction with the neighbourhood."), ..SURVEY_N },
    Spec { code: "vs_onveilig", name: ("% voelt zich soms of vaak onveilig in de buurt", "% sometimes or often feel unsafe in the neighbourhood"),
        desc: ("Aandeel inwoners dat zich soms, vaak of altijd onveilig voelt in de eigen buurt.",
               "Share of residents who sometimes, often or always feel unsafe in their neighbourhood."),
        sample: Some("vs_onveilig_n"), threshold_on: Some("vs_onveilig_n"), themes: &["buurt_veiligheid"], ..SURVEY },
    Spec { code: "vs_onveilig_n", name: ("Respondenten: onveiligheidsgevoel", "Respondents: feeling unsafe"),
        desc: ("Aantal respondenten dat de vraag over onveiligheidsgevoel beantwoordde.",
               "Number of respondents who answered the question on feeling unsafe."), ..SURVEY_N },
    Spec { code: "vs_proper", name: ("% vindt de buurt proper", "% find the neighbourhood clean"),
        desc: ("Aandeel inwoners dat (helemaal) akkoord gaat met de uitspraak dat de buurt proper is.",
               "Share of residents who (fully) agree that their neighbourhood is clean."),
        sample: Some("vs_proper_n"), threshold_on: Some("vs_proper_n"), themes: &["buurt_tevredenheid"], ..SURVEY },
    Spec { code: "vs_proper_n", name: ("Respondenten: netheid van de buurt", "Respondents: cleanliness of the neighbourhood"),
        desc: ("Aantal respondenten dat de vraag over netheid van de buurt beantwoordde.",
               "Number of respondents who answered the question on cleanliness of the neighbourhood."), ..SURVEY_N },
    Spec { code: "vs_fiets", name: ("% fietst minstens wekelijks", "% cycle at least weekly"),
        desc: ("Aandeel inwoners dat minstens één keer per week fietst. Uitdovend: de vraag is na 2020 geschrapt.",
               "Share of residents who cycle at least once a week. Retiring: the question was dropped after 2020."),
        sample: Some("vs_fiets_n"), threshold_on: Some("vs_fiets_n"), status: Lifecycle::Retiring,
        themes: &["buurt", "mobiliteit"], ..SURVEY },
    Spec { code: "vs_fiets_n", name: ("Respondenten: fietsgebruik", "Respondents: cycling"),
        desc: ("Aantal respondenten dat de vraag over fietsgebruik beantwoordde.", "Number of respondents who answered the question on cycling."),
        status: Lifecycle::Retiring, ..SURVEY_N },
];

impl Spec {
    fn indicator(&self, seq: usize, periods: Option<&(Period, Period)>) -> Indicator {
        let text = |(nl, en): (&str, &str)| LocalizedText::nl(nl).with("en", en);
        let own = |s: Option<&str>| s.map(str::to_string);
        Indicator {
            code: self.code.to_string(),
            name: text(self.name),
            description: text(self.desc),
            unit: self.unit.to_string(),
            source: self.source.to_string(),
            data_type: self.data_type,
            period_type: self.period_type,
            aggregation_indicator: own(self.aggregation),
            sample_indicator: own(self.sample),
            population_indicator: own(self.population),
            threshold: self.threshold,
            threshold_indicator: own(self.threshold_on),
            rounding: self.rounding,
            decimals: Some(self.decimals),
            formula: own(self.formula),
            non_aggregable: self.non_aggregable,
            status: self.status,
            visibility: if self.restricted {
                Visibility::Restricted(vec![STAFF_GROUP.to_string()])
            } else {
                Visibility::Public
            },
            themes: self.themes.iter().map(|t| t.to_string()).collect(),
            start_period: periods.map(|p| p.0),
            end_period: periods.map(|p| p.1),
            dim_levels: self.dim_levels.iter().map(|t| t.to_string()).collect(),
            seq: Some(10 * (seq as i64 + 1)),
            ..Default::default()
        }
    }
}

/// All metadata: indicators (with start and end periods taken from `data`), themes and the
/// age and sex dimensions of the population cube.
pub(crate) fn metadata(data: &[DemoSeries]) -> MetadataBatch {
    let mut ranges: BTreeMap<&str, (Period, Period)> = BTreeMap::new();
    for s in data {
        let p = s.key.period;
        ranges
            .entry(s.key.indicator.as_str())
            .and_modify(|r| *r = (r.0.min(p), r.1.max(p)))
            .or_insert((p, p));
    }
    let text = |nl: &str, en: &str| LocalizedText::nl(nl).with("en", en);
    let mut batch = MetadataBatch {
        indicators: SPECS
            .iter()
            .enumerate()
            .map(|(i, s)| s.indicator(i, ranges.get(s.code)))
            .collect(),
        themes: THEMES
            .iter()
            .enumerate()
            .map(|(i, (code, parent, nl, en))| Theme {
                code: code.to_string(),
                parent: parent.map(str::to_string),
                name: text(nl, en),
                seq: 10 * (i as i64 + 1),
            })
            .collect(),
        dimensions: vec![
            Dimension {
                code: "leeftijd".into(),
                name: text("Leeftijd", "Age"),
            },
            Dimension {
                code: SEX.into(),
                name: text("Geslacht", "Sex"),
            },
        ],
        dim_levels: vec![
            DimLevel {
                code: AGE5.into(),
                dimension: "leeftijd".into(),
                name: text("Leeftijd in vijfjaarsklassen", "Age in five-year bands"),
                seq: 1,
            },
            DimLevel {
                code: AGE3.into(),
                dimension: "leeftijd".into(),
                name: text("Leeftijd in drie groepen", "Age in three groups"),
                seq: 2,
            },
            DimLevel {
                code: SEX.into(),
                dimension: SEX.into(),
                name: text("Geslacht", "Sex"),
                seq: 1,
            },
        ],
        ..Default::default()
    };
    for band in 0..AGE_BANDS {
        let code = age5_code(band);
        let (nl, en) = if band + 1 == AGE_BANDS {
            (
                format!("{} jaar en ouder", band * 5),
                format!("{} years and over", band * 5),
            )
        } else {
            (
                format!("{} tot {} jaar", band * 5, band * 5 + 4),
                format!("{} to {} years", band * 5, band * 5 + 4),
            )
        };
        batch.dim_members.push(DimMember {
            level: AGE5.into(),
            code: code.clone(),
            name: text(&nl, &en),
            seq: band as i64 + 1,
        });
        batch.dim_links.push((
            (AGE5.into(), code),
            (AGE3.into(), AGE3_CODES[AGE3_OF_BAND[band]].into()),
        ));
    }
    let age3_names = [
        ("0 tot 19 jaar", "0 to 19 years"),
        ("20 tot 64 jaar", "20 to 64 years"),
        ("65 jaar en ouder", "65 years and over"),
    ];
    for (i, (code, (nl, en))) in AGE3_CODES.iter().zip(age3_names).enumerate() {
        batch.dim_members.push(DimMember {
            level: AGE3.into(),
            code: code.to_string(),
            name: text(nl, en),
            seq: i as i64 + 1,
        });
    }
    for (i, (code, (nl, en))) in SEX_CODES
        .iter()
        .zip([("Mannen", "Men"), ("Vrouwen", "Women")])
        .enumerate()
    {
        batch.dim_members.push(DimMember {
            level: SEX.into(),
            code: code.to_string(),
            name: text(nl, en),
            seq: i as i64 + 1,
        });
    }
    batch
}
