//! The DCAT-AP 3.0 catalogue of the published indicators, for harvesting by open-data portals
//! (the Flemish open-data portal, data.europa.eu). Served as Turtle at `/api/v1/catalog.ttl` and
//! as JSON-LD at `/api/v1/catalog.jsonld`; both are written from one graph, so they say the same.
//!
//! What it guarantees: zero violations of the official DCAT-AP 3.0.0 shapes
//! (`dcat-ap-SHACL.ttl` and `range.ttl`, checked by pyshacl with RDFS inference in
//! `crates/peil/tests/it/dcat.rs`) for every site, whatever its configuration holds. Every
//! resource an object points to is typed in the graph itself (a harvester validates the
//! document alone), every controlled value is an IRI of the EU vocabulary it belongs to (media
//! types from IANA, file types, data themes, frequencies, languages, licences) and carries a
//! label, and every time is an `xsd:date`/`xsd:dateTime`. Restricted indicators are left out.

use crate::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use peil_compute::Snapshot;
use peil_core::{Period, PeriodLevel, Theme};
use serde_json::{Map, Value as J, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/catalog.ttl", get(turtle))
        .route("/api/v1/catalog.jsonld", get(jsonld))
}

// ---------------------------------------------------------------------------------------------
// Configuration (`[catalog]` in peil.toml, checked by the CLI)
// ---------------------------------------------------------------------------------------------

/// What a site says about its open data: who publishes it, under which licence, whom to ask,
/// where it is about, and how its theme tree maps to the EU data themes.
#[derive(Debug, Clone, Default)]
pub struct CatalogConfig {
    /// The publishing organisation's name (default: the site's name).
    pub publisher: Option<String>,
    /// A persistent IRI of the publisher (e.g. its OVO or KBO identifier at data.vlaanderen.be).
    pub publisher_uri: Option<String>,
    pub licence: Option<Licence>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_url: Option<String>,
    /// The area the data covers as an IRI (e.g. `https://data.vlaanderen.be/id/gemeente/44021`);
    /// a bounding box from the site's geometry is added either way.
    pub spatial: Option<String>,
    /// Theme-tree folder code → EU data-theme code (e.g. `bevolking = "SOCI"`); folders not
    /// listed are mapped by their name.
    pub themes: BTreeMap<String, String>,
}

impl CatalogConfig {
    /// What a portal needs and this configuration lacks, as sentences for `peil check`.
    pub fn missing(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.licence.is_none() {
            out.push(
                "peil.toml: [catalog] has no licence; open-data portals show none and may refuse \
                 the datasets (e.g. licence = \"modellicentie-gratis-hergebruik\" or \"cc-by-4.0\")"
                    .to_string(),
            );
        }
        if self.contact_email.is_none() && self.contact_url.is_none() {
            out.push(
                "peil.toml: [catalog] has no contact_email or contact_url; portals show a contact \
                 point for every dataset"
                    .to_string(),
            );
        }
        if self.publisher.is_none() {
            out.push(
                "peil.toml: [catalog] has no publisher; the catalogue names the site as publisher \
                 (set publisher = \"Stad …\" and, if it has one, publisher_uri)"
                    .to_string(),
            );
        }
        out
    }
}

/// A licence: its IRI and a readable name.
#[derive(Debug, Clone, PartialEq)]
pub struct Licence {
    pub iri: String,
    pub label: String,
}

const EU_LICENCE: &str = "http://publications.europa.eu/resource/authority/licence/";
const VL_LICENCE: &str = "https://data.vlaanderen.be/id/licentie/";

/// The licences a site can name by a short name: the Flemish model licences (by their IRIs at
/// data.vlaanderen.be, which the Flemish portal uses) and the Creative Commons ones (by their IRIs
/// in the EU licence vocabulary).
const LICENCES: &[(&[&str], &str, &str)] = &[
    (
        &["modellicentie-gratis-hergebruik", "gratis-hergebruik"],
        "modellicentie-gratis-hergebruik/v1.0",
        "Modellicentie voor gratis hergebruik",
    ),
    (
        &["onvoorwaardelijk-hergebruik"],
        "onvoorwaardelijk-hergebruik/v1.0",
        "Onvoorwaardelijk hergebruik",
    ),
    (
        &["cc-by-4.0", "cc-by"],
        "CC_BY_4_0",
        "Creative Commons Attribution 4.0 International",
    ),
    (
        &["cc-by-sa-4.0", "cc-by-sa"],
        "CC_BY_SA_4_0",
        "Creative Commons Attribution-ShareAlike 4.0 International",
    ),
    (
        &["cc0", "cc0-1.0"],
        "CC0",
        "Creative Commons CC0 1.0 Universal",
    ),
];

/// A licence in `peil.toml` that is neither a short name of [`LICENCES`] nor an `http(s)` IRI.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("licence '{name}' is not one Peil knows ({}) nor an http(s) IRI", LICENCES.iter().map(|l| l.0[0]).collect::<Vec<_>>().join(", "))]
pub struct UnknownLicence {
    pub name: String,
}

/// A licence from `peil.toml`: a short name from [`LICENCES`] or an `http(s)` IRI.
pub fn licence(name: &str) -> Result<Licence, UnknownLicence> {
    let n = name.trim();
    if let Some((_, path, label)) = LICENCES
        .iter()
        .find(|(names, _, _)| names.iter().any(|x| x.eq_ignore_ascii_case(n)))
    {
        let base = if path.contains('/') {
            VL_LICENCE
        } else {
            EU_LICENCE
        };
        return Ok(Licence {
            iri: format!("{base}{path}"),
            label: label.to_string(),
        });
    }
    if is_http_iri(n) {
        // A known licence given by its IRI keeps its name.
        let label = LICENCES
            .iter()
            .find(|(_, path, _)| {
                n == format!("{VL_LICENCE}{path}") || n == format!("{EU_LICENCE}{path}")
            })
            .map_or(n, |l| l.2);
        return Ok(Licence {
            iri: n.to_string(),
            label: label.to_string(),
        });
    }
    Err(UnknownLicence {
        name: n.to_string(),
    })
}

/// Whether a configured value can stand as an IRI: `http(s)://` and nothing an IRI may not hold.
pub fn is_http_iri(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > 8
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|^`\\".contains(c))
}

const DATA_THEME: &str = "http://publications.europa.eu/resource/authority/data-theme";

/// The EU data themes: code, English and Dutch label (the vocabulary's own labels), and words
/// of theme-folder names (Dutch, English, French stems) that mean the theme.
const DATA_THEMES: &[(&str, &str, &str, &[&str])] = &[
    (
        "AGRI",
        "Agriculture, fisheries, forestry and food",
        "Landbouw, visserij, bosbouw en voeding",
        &[
            "landbouw", "visserij", "bosbouw", "voeding", "agricult", "fisher", "forest",
        ],
    ),
    (
        "ECON",
        "Economy and finance",
        "Economie en financiën",
        &[
            "econom", "financ", "werk", "arbeid", "inkomen", "ondernem", "bedrijf", "handel",
            "toeris", "employ", "labour", "income", "business", "emploi", "revenu",
        ],
    ),
    (
        "EDUC",
        "Education, culture and sport",
        "Onderwijs, cultuur en sport",
        &[
            "onderwijs",
            "school",
            "cultuur",
            "cultur",
            "sport",
            "educat",
            "enseign",
            "loisir",
        ],
    ),
    ("ENER", "Energy", "Energie", &["energ"]),
    (
        "ENVI",
        "Environment",
        "Milieu",
        &[
            "milieu", "natuur", "klimaat", "groen", "afval", "lucht", "environ", "nature",
            "climat", "waste",
        ],
    ),
    (
        "GOVE",
        "Government and public sector",
        "Overheid en publieke sector",
        &[
            "bestuur",
            "overheid",
            "politiek",
            "verkiez",
            "dienstverlening",
            "govern",
            "politic",
            "elect",
            "administr",
        ],
    ),
    (
        "HEAL",
        "Health",
        "Gezondheid",
        &["gezond", "zorg", "health", "santé", "sante"],
    ),
    (
        "INTR",
        "International issues",
        "Internationale vraagstukken",
        &["internation"],
    ),
    (
        "JUST",
        "Justice, legal system and public safety",
        "Justitie, rechtsstelsel en openbare veiligheid",
        &[
            "veilig",
            "criminal",
            "misdrijf",
            "justitie",
            "politie",
            "safety",
            "crime",
            "justice",
            "sécurité",
            "securite",
        ],
    ),
    (
        "REGI",
        "Regions and cities",
        "Regio's en steden",
        &[
            "ruimte",
            "ruimtelijk",
            "grondgebied",
            "wonen",
            "woning",
            "huisvest",
            "buurt",
            "wijk",
            "stad",
            "housing",
            "region",
            "urban",
            "logement",
        ],
    ),
    (
        "SOCI",
        "Population and society",
        "Bevolking en samenleving",
        &[
            "bevolking",
            "demograf",
            "welzijn",
            "armoede",
            "samenleving",
            "gezin",
            "huishoud",
            "herkomst",
            "population",
            "society",
            "welfare",
            "poverty",
            "société",
            "societe",
        ],
    ),
    (
        "TECH",
        "Science and technology",
        "Wetenschap en technologie",
        &["wetenschap", "technolog", "digita", "science"],
    ),
    (
        "TRAN",
        "Transport",
        "Vervoer",
        &[
            "mobilit",
            "verkeer",
            "vervoer",
            "transport",
            "fiets",
            "auto",
            "traffic",
            "trafic",
        ],
    ),
];

/// Whether `code` is an EU data-theme code (for checking `[catalog.themes]`).
pub fn is_data_theme(code: &str) -> bool {
    DATA_THEMES.iter().any(|t| t.0 == code)
}

/// The EU data-theme codes (for messages).
pub fn data_theme_codes() -> Vec<&'static str> {
    DATA_THEMES.iter().map(|t| t.0).collect()
}

/// The EU data theme a theme-tree folder is about: the configured one, else one whose words
/// occur in the folder's names, else its parent's (a sub-folder of "Bevolking" is about
/// population even when its own name says "Leeftijd").
fn folder_theme<'a>(
    code: &str,
    tree: &'a HashMap<&str, &'a Theme>,
    config: &'a BTreeMap<String, String>,
) -> Option<&'static str> {
    let mut at = Some(code);
    let mut seen = 0;
    while let Some(c) = at {
        if let Some(eu) = config.get(c) {
            return DATA_THEMES.iter().find(|t| t.0 == eu.as_str()).map(|t| t.0);
        }
        let folder = tree.get(c)?;
        // Stems match at the start of a word ("Bevolkingsdichtheid" is about population;
        // "Transport" is not about sport).
        let words: Vec<String> = folder
            .name
            .0
            .values()
            .flat_map(|n| n.split(|ch: char| !ch.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        if let Some(t) = DATA_THEMES.iter().find(|t| {
            t.3.iter()
                .any(|stem| words.iter().any(|w| w.starts_with(stem)))
        }) {
            return Some(t.0);
        }
        at = folder.parent.as_deref();
        seen += 1;
        if seen > 64 {
            break; // A malformed tree with a cycle; the folder simply has no theme.
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// The graph
// ---------------------------------------------------------------------------------------------

/// An object of a statement.
#[derive(Debug, Clone)]
enum O {
    Iri(String),
    Lang(String, String),
    Plain(String),
    /// A literal with a datatype (a prefixed name such as `xsd:date`).
    Typed(String, &'static str),
}

struct Node {
    id: String,
    types: Vec<&'static str>,
    props: Vec<(&'static str, O)>,
}

impl Node {
    fn add(&mut self, p: &'static str, o: O) -> &mut Node {
        self.props.push((p, o));
        self
    }
    fn iri(&mut self, p: &'static str, iri: impl Into<String>) -> &mut Node {
        self.add(p, O::Iri(iri.into()))
    }
    fn lang(&mut self, p: &'static str, lang: &str, text: &str) -> &mut Node {
        self.add(p, O::Lang(lang.to_string(), text.to_string()))
    }
}

/// Nodes in order of first mention; a node mentioned twice (a shared concept, the publisher)
/// is one node.
#[derive(Default)]
struct Graph {
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
}

impl Graph {
    /// The node `id`, created on first use, with these types added. The bool says whether it is
    /// new (so shared nodes are described once).
    fn node(&mut self, id: &str, types: &[&'static str]) -> (&mut Node, bool) {
        let (i, new) = match self.index.get(id) {
            Some(&i) => (i, false),
            None => {
                self.nodes.push(Node {
                    id: id.to_string(),
                    types: Vec::new(),
                    props: Vec::new(),
                });
                self.index.insert(id.to_string(), self.nodes.len() - 1);
                (self.nodes.len() - 1, true)
            }
        };
        let n = &mut self.nodes[i];
        for t in types {
            if !n.types.contains(t) {
                n.types.push(t);
            }
        }
        (n, new)
    }

    /// A controlled-vocabulary concept, typed as what the property needs, labelled, and in its
    /// scheme (itself a titled `skos:ConceptScheme`, as the vocabulary shapes ask).
    fn concept(&mut self, id: &str, types: &[&'static str], scheme: &str, labels: &[(&str, &str)]) {
        let (n, new) = self.node(id, types);
        if new {
            n.iri("skos:inScheme", scheme);
            for (l, v) in labels {
                n.lang("skos:prefLabel", l, v);
            }
        }
        let (s, new) = self.node(scheme, &["skos:ConceptScheme"]);
        if new {
            let title = SCHEMES
                .iter()
                .find(|(iri, _)| *iri == scheme)
                .map_or(scheme, |x| x.1);
            s.lang("dct:title", "en", title);
        }
    }
}

const PREFIXES: [(&str, &str); 8] = [
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("gsp", "http://www.opengis.net/ont/geosparql#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
];

/// An IRI with every character an IRI may not hold percent-encoded (the host comes from a
/// request header, codes from imported files).
fn safe_iri(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || c.is_whitespace() || "<>\"{}|^`\\".contains(c) {
            let mut b = [0; 4];
            for byte in c.encode_utf8(&mut b).bytes() {
                o.push_str(&format!("%{byte:02X}"));
            }
        } else {
            o.push(c);
        }
    }
    o
}

/// A code as one path segment or query value: everything but unreserved characters encoded.
fn enc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

fn ttl_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if c.is_control() => o.push_str(&format!("\\u{:04X}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A language tag as BCP 47 allows it (site languages are checked; this guards the rest).
fn lang_tag(l: &str) -> bool {
    !l.is_empty()
        && l.split('-')
            .all(|p| !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn to_turtle(g: &Graph) -> String {
    let mut t = String::new();
    for (p, iri) in PREFIXES {
        t.push_str(&format!("@prefix {p}: <{iri}> .\n"));
    }
    for n in &g.nodes {
        t.push_str(&format!("\n<{}>", safe_iri(&n.id)));
        let mut first = true;
        let mut sep = |t: &mut String| {
            t.push_str(if first { "\n    " } else { " ;\n    " });
            first = false;
        };
        if !n.types.is_empty() {
            sep(&mut t);
            t.push_str(&format!("a {}", n.types.join(", ")));
        }
        for (p, o) in &n.props {
            sep(&mut t);
            let o = match o {
                O::Iri(i) => format!("<{}>", safe_iri(i)),
                O::Lang(l, v) if lang_tag(l) => format!("{}@{l}", ttl_str(v)),
                O::Lang(_, v) | O::Plain(v) => ttl_str(v),
                O::Typed(v, dt) => format!("{}^^{dt}", ttl_str(v)),
            };
            t.push_str(&format!("{p} {o}"));
        }
        t.push_str(" .\n");
    }
    t
}

fn to_jsonld(g: &Graph) -> J {
    let context: Map<String, J> = PREFIXES
        .iter()
        .map(|(p, iri)| (p.to_string(), J::from(*iri)))
        .collect();
    let nodes: Vec<J> = g
        .nodes
        .iter()
        .map(|n| {
            let mut o = Map::new();
            o.insert("@id".into(), J::from(safe_iri(&n.id)));
            if !n.types.is_empty() {
                o.insert("@type".into(), json!(n.types));
            }
            for (p, v) in &n.props {
                let v = match v {
                    O::Iri(i) => json!({"@id": safe_iri(i)}),
                    O::Lang(l, v) if lang_tag(l) => json!({"@value": v, "@language": l}),
                    O::Lang(_, v) | O::Plain(v) => json!({"@value": v}),
                    O::Typed(v, dt) => json!({"@value": v, "@type": dt}),
                };
                match o
                    .entry(p.to_string())
                    .or_insert_with(|| J::Array(Vec::new()))
                {
                    J::Array(a) => a.push(v),
                    _ => unreachable!("every property holds an array"),
                }
            }
            J::Object(o)
        })
        .collect();
    json!({"@context": context, "@graph": nodes})
}

// ---------------------------------------------------------------------------------------------
// The catalogue
// ---------------------------------------------------------------------------------------------

/// Interface words of the catalogue, per language.
fn words(lang: &str) -> Words {
    match lang {
        "en" => Words {
            catalogue: "Open data of {site}: {n} statistical indicators per area and period.",
            service: "Open data API of {site}",
            service_about: "Data, metadata and geography of {site} as JSON, CSV with CSV on the \
                            Web metadata, XLSX, JSON-stat and GeoJSON; described by OpenAPI.",
            dataset: "{name}: figures per area and period",
            unit: "Unit",
            source: "Source",
            from: "from",
            to: "to",
        },
        "fr" => Words {
            catalogue: "Données ouvertes de {site} : {n} indicateurs statistiques par zone et par période.",
            service: "API de données ouvertes de {site}",
            service_about: "Données, métadonnées et géographie de {site} en JSON, CSV avec \
                            métadonnées CSV on the Web, XLSX, JSON-stat et GeoJSON ; décrite par OpenAPI.",
            dataset: "{name} : chiffres par zone et par période",
            unit: "Unité",
            source: "Source",
            from: "de",
            to: "à",
        },
        _ => Words {
            catalogue: "Open data van {site}: {n} statistische indicatoren per gebied en periode.",
            service: "Open-data-API van {site}",
            service_about: "Data, metadata en geografie van {site} als JSON, CSV met CSV on the \
                            Web-metadata, XLSX, JSON-stat en GeoJSON; beschreven met OpenAPI.",
            dataset: "{name}: cijfers per gebied en periode",
            unit: "Eenheid",
            source: "Bron",
            from: "van",
            to: "tot",
        },
    }
}

struct Words {
    catalogue: &'static str,
    service: &'static str,
    service_about: &'static str,
    dataset: &'static str,
    unit: &'static str,
    source: &'static str,
    from: &'static str,
    to: &'static str,
}

/// The distributions of every dataset: API format, IANA media type, EU file type, and the
/// standard the format follows (if it has one beyond its media type).
const FORMATS: [(&str, &str, &str, Option<&str>); 3] = [
    ("csv", "text/csv", "CSV", None),
    (
        "jsonstat",
        "application/json",
        "JSON",
        Some("https://json-stat.org/format/"),
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX",
        None,
    ),
];

const IANA: &str = "http://www.iana.org/assignments/media-types/";
const PUBLISHER_TYPE: &str = "http://purl.org/adms/publishertype/1.0";

/// The vocabularies the catalogue's concepts come from, with their titles.
const SCHEMES: [(&str, &str); 5] = [
    (DATA_THEME, "Data theme"),
    (FILE_TYPE, "File type"),
    (FREQUENCY, "Frequency"),
    (LANGUAGE, "Language"),
    (PUBLISHER_TYPE, "Publisher type"),
];
const FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type";
const FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency";
const LANGUAGE: &str = "http://publications.europa.eu/resource/authority/language";

fn language_iri(l: &str) -> Option<(String, &'static str)> {
    let (code, label) = match l {
        "nl" => ("NLD", "Nederlands"),
        "en" => ("ENG", "English"),
        "fr" => ("FRA", "français"),
        "de" => ("DEU", "Deutsch"),
        _ => return None,
    };
    Some((format!("{LANGUAGE}/{code}"), label))
}

/// How often a series gets a new period: from the finest period level it has.
fn frequency(level: PeriodLevel) -> (&'static str, &'static str) {
    match level {
        PeriodLevel::Year => ("ANNUAL", "annual"),
        PeriodLevel::HalfYear => ("ANNUAL_2", "semiannual"),
        PeriodLevel::Quarter => ("QUARTERLY", "quarterly"),
        PeriodLevel::Month => ("MONTHLY", "monthly"),
    }
}

fn date((y, m, d): (i32, u32, u32)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// One public indicator as the catalogue describes it.
struct Dataset<'a> {
    ind: &'a peil_core::Indicator,
    /// The level with most items that has data, and its periods (sorted).
    level: Option<String>,
    periods: Vec<Period>,
}

fn datasets(s: &Snapshot) -> Vec<Dataset<'_>> {
    // The catalogue is public: what an anonymous reader is granted.
    let anyone = peil_core::Reader::anonymous();
    let mut inds: Vec<_> = s
        .indicators
        .iter()
        .filter(|i| s.is_public(&i.code))
        .collect();
    inds.sort_by(|a, b| a.code.cmp(&b.code));
    inds.into_iter()
        .map(|ind| {
            let level = s
                .levels
                .iter()
                .filter(|l| !s.periods(&ind.code, &l.level.code, &anyone).is_empty())
                .max_by_key(|l| l.items.len())
                .map(|l| l.level.code.clone());
            let periods: BTreeSet<Period> = level
                .as_ref()
                .map(|l| {
                    s.periods(&ind.code, l, &anyone)
                        .iter()
                        .map(|(p, _)| *p)
                        .collect()
                })
                .unwrap_or_default();
            Dataset {
                ind,
                level,
                periods: periods.into_iter().collect(),
            }
        })
        .collect()
}

/// The bounding box of the site's geometry as WKT (longitude latitude, CRS84), from the
/// coarsest level that has any (the same outline, far fewer points).
fn bbox(s: &Snapshot) -> Option<String> {
    let (_, shapes) = s
        .geometry
        .iter()
        .filter(|(_, g)| !g.is_empty())
        .min_by_key(|(level, g)| (g.len(), (*level).clone()))?;
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    fn walk(v: &J, b: &mut [f64; 4]) {
        match v {
            J::Array(a) if a.len() >= 2 && a[0].is_number() && a[1].is_number() => {
                let (x, y) = (
                    a[0].as_f64().unwrap_or(f64::NAN),
                    a[1].as_f64().unwrap_or(f64::NAN),
                );
                if x.is_finite() && y.is_finite() {
                    b[0] = b[0].min(x);
                    b[1] = b[1].min(y);
                    b[2] = b[2].max(x);
                    b[3] = b[3].max(y);
                }
            }
            J::Array(a) => a.iter().for_each(|x| walk(x, b)),
            J::Object(o) => o.values().for_each(|x| walk(x, b)),
            _ => {}
        }
    }
    for (web, _) in shapes.values() {
        if let Ok(v) = serde_json::from_str::<J>(web) {
            walk(&v, &mut b);
        }
    }
    if b[0] > b[2] || b[1] > b[3] {
        return None; // no coordinates at all
    }
    let [x0, y0, x1, y1] = b.map(|v| format!("{v:.6}"));
    Some(format!(
        "POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"
    ))
}

/// Everything the catalogue is made of, for one request.
struct Input<'a> {
    base: &'a str,
    snap: &'a Snapshot,
    site: &'a crate::site::SiteConfig,
    themes: &'a [Theme],
    published_at: Option<&'a str>,
    /// When the site was first published.
    issued: Option<&'a str>,
}

fn graph(x: &Input) -> Graph {
    let base = x.base;
    let cfg = &x.site.catalog;
    let langs: Vec<&str> = x
        .site
        .languages
        .iter()
        .map(String::as_str)
        .filter(|l| lang_tag(l))
        .collect();
    let first = langs.first().copied().unwrap_or("nl");
    let site_name = x.site.name.as_str();
    let ds = datasets(x.snap);
    let mut g = Graph::default();

    let catalog = format!("{base}/api/v1/catalog");
    let publisher = cfg
        .publisher_uri
        .clone()
        .unwrap_or_else(|| format!("{catalog}#publisher"));
    let service = format!("{base}/api/v1");
    let contact = format!("{catalog}#contact");
    let has_contact = cfg.contact_email.is_some() || cfg.contact_url.is_some();
    let area = cfg
        .spatial
        .clone()
        .unwrap_or_else(|| format!("{catalog}#area"));
    let bbox = bbox(x.snap);
    let has_area = cfg.spatial.is_some() || bbox.is_some();
    let modified = x
        .published_at
        .map(|t| O::Typed(t.to_string(), "xsd:dateTime"));
    let dataset_iri = |d: &Dataset| format!("{base}/api/v1/indicators/{}", enc(&d.ind.code));

    // The catalogue.
    {
        let (c, _) = g.node(&catalog, &["dcat:Catalog"]);
        c.lang("dct:title", first, site_name);
        for l in &langs {
            let text = words(l)
                .catalogue
                .replace("{site}", site_name)
                .replace("{n}", &ds.len().to_string());
            c.lang("dct:description", l, &text);
        }
        c.iri("dct:publisher", &publisher)
            .iri("foaf:homepage", format!("{base}/"))
            .iri("dcat:themeTaxonomy", DATA_THEME)
            .iri("dcat:service", &service);
        for l in &langs {
            if let Some((iri, _)) = language_iri(l) {
                c.iri("dct:language", iri);
            }
        }
        if let Some(lic) = &cfg.licence {
            c.iri("dct:license", &lic.iri);
        }
        if let Some(m) = &modified {
            c.add("dct:modified", m.clone());
        }
        if let Some(i) = x.issued {
            c.add("dct:issued", O::Typed(i.to_string(), "xsd:dateTime"));
        }
        if has_area {
            c.iri("dct:spatial", &area);
        }
        for d in &ds {
            c.iri("dcat:dataset", dataset_iri(d));
        }
    }
    g.node(&format!("{base}/"), &["foaf:Document"])
        .0
        .lang("dct:title", first, site_name);
    g.node(DATA_THEME, &["skos:ConceptScheme"])
        .0
        .lang("dct:title", "en", "Data theme");
    {
        let (p, _) = g.node(&publisher, &["foaf:Agent", "foaf:Organization"]);
        p.add(
            "foaf:name",
            O::Lang(
                first.to_string(),
                cfg.publisher
                    .clone()
                    .unwrap_or_else(|| site_name.to_string()),
            ),
        );
        // Municipalities and cities publish these sites: ADMS publisher type "local authority".
        p.iri(
            "dct:type",
            "http://purl.org/adms/publishertype/LocalAuthority",
        );
    }
    g.concept(
        "http://purl.org/adms/publishertype/LocalAuthority",
        &["skos:Concept"],
        PUBLISHER_TYPE,
        &[("en", "Local Authority")],
    );
    for l in &langs {
        if let Some((iri, label)) = language_iri(l) {
            g.concept(
                &iri,
                &["dct:LinguisticSystem", "skos:Concept"],
                LANGUAGE,
                &[(l, label)],
            );
        }
    }
    if let Some(lic) = &cfg.licence {
        let (n, _) = g.node(&lic.iri, &["dct:LicenseDocument"]);
        n.lang(
            "rdfs:label",
            if lic.iri.starts_with(VL_LICENCE) {
                "nl"
            } else {
                "en"
            },
            &lic.label,
        );
    }
    if has_contact {
        let (n, _) = g.node(&contact, &["vcard:Kind", "vcard:Organization"]);
        n.add(
            "vcard:fn",
            O::Plain(
                cfg.contact_name
                    .clone()
                    .or_else(|| cfg.publisher.clone())
                    .unwrap_or_else(|| site_name.to_string()),
            ),
        );
        if let Some(e) = &cfg.contact_email {
            n.iri("vcard:hasEmail", format!("mailto:{e}"));
        }
        if let Some(u) = &cfg.contact_url {
            n.iri("vcard:hasURL", u);
        }
    }
    if has_area {
        let (n, _) = g.node(&area, &["dct:Location"]);
        if let Some(b) = &bbox {
            n.add("dcat:bbox", O::Typed(b.clone(), "gsp:wktLiteral"));
        }
    }

    // The API that serves every distribution.
    {
        let openapi = format!("{base}/api/v1/openapi.json");
        let docs = format!("{base}/api/v1/docs");
        let (s, _) = g.node(&service, &["dcat:DataService"]);
        for l in &langs {
            let w = words(l);
            s.lang("dct:title", l, &w.service.replace("{site}", site_name));
            s.lang(
                "dct:description",
                l,
                &w.service_about.replace("{site}", site_name),
            );
        }
        s.iri("dcat:endpointURL", format!("{base}/api/v1/"))
            .iri("dcat:endpointDescription", &openapi)
            .iri("dct:conformsTo", &openapi)
            .iri("dcat:landingPage", &docs)
            .iri("dct:publisher", &publisher);
        if has_contact {
            s.iri("dcat:contactPoint", &contact);
        }
        if let Some(lic) = &cfg.licence {
            s.iri("dct:license", &lic.iri);
        }
        for d in &ds {
            s.iri("dcat:servesDataset", dataset_iri(d));
        }
        g.node(&openapi, &["dct:Standard"]).0.lang(
            "dct:title",
            "en",
            &format!("OpenAPI description of the API of {site_name}"),
        );
        g.node(&docs, &["foaf:Document"]).0.lang(
            "dct:title",
            "en",
            &format!("API documentation of {site_name}"),
        );
    }

    // Theme folders by code, and the keywords and EU theme of each.
    let tree: HashMap<&str, &Theme> = x.themes.iter().map(|t| (t.code.as_str(), t)).collect();
    /// A folder and its ancestors (a cycle in a malformed tree ends the walk).
    fn folder_path<'t>(tree: &HashMap<&str, &'t Theme>, code: &str) -> Vec<&'t Theme> {
        let mut out: Vec<&Theme> = Vec::new();
        let mut at = tree.get(code).copied();
        while let Some(t) = at {
            if out.iter().any(|o| o.code == t.code) {
                break;
            }
            out.push(t);
            at = t.parent.as_deref().and_then(|p| tree.get(p).copied());
        }
        out
    }

    for d in &ds {
        let ind = d.ind;
        let id = dataset_iri(d);
        let page = format!("{base}/indicator/{}", enc(&ind.code));
        let texts = |t: &peil_core::LocalizedText| -> Vec<(String, String)> {
            langs
                .iter()
                .filter_map(|l| {
                    t.0.get(*l)
                        .map(|v| v.trim())
                        .filter(|v| !v.is_empty())
                        .map(|v| (l.to_string(), v.to_string()))
                })
                .collect()
        };
        let mut titles = texts(&ind.name);
        if titles.is_empty() {
            // A name only in a language the site does not show: still the name.
            let name = ind
                .name
                .get(first)
                .filter(|n| !n.trim().is_empty())
                .unwrap_or(&ind.code);
            titles.push((first.to_string(), name.trim().to_string()));
        }
        let given = texts(&ind.description);
        let range = match (d.periods.first(), d.periods.last()) {
            (Some(a), Some(b)) => Some((*a, *b)),
            _ => None,
        };
        let (n, _) = g.node(&id, &["dcat:Dataset"]);
        n.add("dct:identifier", O::Plain(ind.code.clone()));
        for (l, v) in &titles {
            n.lang("dct:title", l, v);
        }
        // A description in every language that has a title: the given one, else one made of
        // what the metadata says (portals require one and show it in lists).
        for (l, title) in &titles {
            if let Some((_, v)) = given.iter().find(|(gl, _)| gl == l) {
                n.lang("dct:description", l, v);
                continue;
            }
            let w = words(l);
            let mut text = w.dataset.replace("{name}", title);
            if let Some((a, b)) = range {
                text.push_str(&format!(" ({} {} {} {})", w.from, a.code(), w.to, b.code()));
            }
            text.push('.');
            if !ind.unit.trim().is_empty() {
                text.push_str(&format!(" {}: {}.", w.unit, ind.unit.trim()));
            }
            if !ind.source.trim().is_empty() {
                text.push_str(&format!(" {}: {}.", w.source, ind.source.trim()));
            }
            n.lang("dct:description", l, &text);
        }
        // Keywords: the names of the theme folders the indicator is in, and their parents'.
        let mut keywords: BTreeSet<(String, String)> = BTreeSet::new();
        let mut eu: BTreeSet<&'static str> = BTreeSet::new();
        for folder in &ind.themes {
            for t in folder_path(&tree, folder) {
                for (l, v) in texts(&t.name) {
                    keywords.insert((l, v));
                }
            }
            if let Some(code) = folder_theme(folder, &tree, &cfg.themes) {
                eu.insert(code);
            }
        }
        for (l, v) in &keywords {
            n.lang("dcat:keyword", l, v);
        }
        // Every indicator is statistics about the city's areas; without a theme that says more,
        // that is what it is about.
        if eu.is_empty() {
            eu.insert("REGI");
        }
        for code in &eu {
            n.iri("dcat:theme", format!("{DATA_THEME}/{code}"));
        }
        n.iri("dct:publisher", &publisher);
        if !ind.source.trim().is_empty() {
            n.iri(
                "dct:creator",
                format!("{catalog}#source-{}", enc(ind.source.trim())),
            );
        }
        if has_contact {
            n.iri("dcat:contactPoint", &contact);
        }
        if has_area {
            n.iri("dct:spatial", &area);
        }
        if range.is_some() {
            n.iri("dct:temporal", format!("{id}#period"));
        }
        let finest = d.periods.iter().map(|p| p.level).min();
        if let Some(level) = finest {
            n.iri(
                "dct:accrualPeriodicity",
                format!("{FREQUENCY}/{}", frequency(level).0),
            );
        }
        if let Some(m) = &modified {
            n.add("dct:modified", m.clone());
        }
        for l in &langs {
            if let Some((iri, _)) = language_iri(l) {
                n.iri("dct:language", iri);
            }
        }
        n.iri("dcat:landingPage", &page);
        for (f, ..) in FORMATS {
            n.iri("dcat:distribution", format!("{id}#{f}"));
        }

        // What the dataset's statements point to.
        let title = &titles[0];
        g.node(&page, &["foaf:Document"])
            .0
            .lang("dct:title", &title.0, &title.1);
        if !ind.source.trim().is_empty() {
            let src = format!("{catalog}#source-{}", enc(ind.source.trim()));
            let (a, new) = g.node(&src, &["foaf:Agent"]);
            if new {
                a.add("foaf:name", O::Plain(ind.source.trim().to_string()));
            }
        }
        for code in &eu {
            let t = DATA_THEMES
                .iter()
                .find(|t| t.0 == *code)
                .expect("a known theme");
            g.concept(
                &format!("{DATA_THEME}/{code}"),
                &["skos:Concept"],
                DATA_THEME,
                &[("en", t.1), ("nl", t.2)],
            );
        }
        if let Some((a, b)) = range {
            let (p, _) = g.node(&format!("{id}#period"), &["dct:PeriodOfTime"]);
            p.add("dcat:startDate", O::Typed(date(a.bounds().0), "xsd:date"));
            p.add("dcat:endDate", O::Typed(date(b.bounds().1), "xsd:date"));
        }
        if let Some(level) = finest {
            let (code, label) = frequency(level);
            g.concept(
                &format!("{FREQUENCY}/{code}"),
                &["dct:Frequency", "skos:Concept"],
                FREQUENCY,
                &[("en", label)],
            );
        }
        for (f, media, file_type, standard) in FORMATS {
            let url = match &d.level {
                Some(l) => format!(
                    "{base}/api/v1/data?indicator={}&level={}&format={f}",
                    enc(&ind.code),
                    enc(l)
                ),
                None => format!("{base}/api/v1/indicators/{}", enc(&ind.code)),
            };
            let (dist, _) = g.node(&format!("{id}#{f}"), &["dcat:Distribution"]);
            dist.lang("dct:title", &title.0, &format!("{} ({file_type})", title.1))
                .iri("dcat:accessURL", &url)
                .iri("dcat:downloadURL", &url)
                .iri("dcat:mediaType", format!("{IANA}{media}"))
                .iri("dct:format", format!("{FILE_TYPE}/{file_type}"))
                .iri("dcat:accessService", &service);
            if let Some(s) = standard {
                dist.iri("dct:conformsTo", s);
            }
            if let Some(lic) = &cfg.licence {
                dist.iri("dct:license", &lic.iri);
            }
            if let Some(m) = &modified {
                dist.add("dct:modified", m.clone());
            }
            g.node(&format!("{IANA}{media}"), &["dct:MediaType"]);
            g.concept(
                &format!("{FILE_TYPE}/{file_type}"),
                &["dct:MediaTypeOrExtent", "skos:Concept"],
                FILE_TYPE,
                &[("en", file_type)],
            );
            if let Some(s) = standard {
                g.node(s, &["dct:Standard"])
                    .0
                    .lang("dct:title", "en", "JSON-stat 2.0");
            }
        }
    }
    g
}

async fn build(st: &AppState, pinned: Option<&crate::cache::Pinned>) -> Graph {
    let snap = crate::cache::served(st, pinned);
    let base = st.public_url();
    let site = st.site();
    // The theme tree and the publication's time, read from the store once per publication.
    let extras = crate::api::cache::entry(st, &snap).extras(st, &snap).await;
    // The first publication's time: when the catalogue was issued (one indexed row).
    let path = st.store_location().clone();
    let issued = tokio::task::spawn_blocking(move || {
        peil_store::Store::open_at(&path)
            .and_then(|s| s.first_publication_at())
            .ok()
            .flatten()
    })
    .await
    .ok()
    .flatten();
    graph(&Input {
        base: &base,
        snap: &snap,
        site: &site,
        themes: &extras.themes,
        published_at: extras.published_at.as_deref(),
        issued: issued.as_deref(),
    })
}

async fn turtle(
    State(st): State<AppState>,
    pinned: Option<axum::extract::Extension<crate::cache::Pinned>>,
) -> impl IntoResponse {
    let g = build(&st, pinned.as_ref().map(|p| &p.0)).await;
    (
        [(header::CONTENT_TYPE, "text/turtle; charset=utf-8")],
        to_turtle(&g),
    )
}

async fn jsonld(
    State(st): State<AppState>,
    pinned: Option<axum::extract::Extension<crate::cache::Pinned>>,
) -> impl IntoResponse {
    let g = build(&st, pinned.as_ref().map(|p| &p.0)).await;
    (
        [(header::CONTENT_TYPE, "application/ld+json")],
        to_jsonld(&g).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use peil_core::LocalizedText;

    #[test]
    fn licences_by_short_name_or_iri() {
        let l = licence("Modellicentie-Gratis-Hergebruik").unwrap();
        assert_eq!(
            l.iri,
            "https://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0"
        );
        assert_eq!(
            licence("cc-by-4.0").unwrap().iri,
            "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
        );
        // A known licence given by its IRI keeps its readable name.
        let by_iri =
            licence("http://publications.europa.eu/resource/authority/licence/CC0").unwrap();
        assert_eq!(by_iri.label, "Creative Commons CC0 1.0 Universal");
        assert!(licence("https://example.org/licence").is_ok());
        let e = licence("free").unwrap_err().to_string();
        assert!(e.contains("cc-by-4.0") && e.contains("'free'"), "{e}");
        assert!(licence("https://example.org/a licence").is_err());
    }

    fn folder(code: &str, parent: Option<&str>, nl: &str, en: &str) -> Theme {
        Theme {
            code: code.into(),
            parent: parent.map(String::from),
            name: LocalizedText::nl(nl).with("en", en),
            seq: 0,
        }
    }

    #[test]
    fn folders_map_to_eu_data_themes_by_name_parent_or_configuration() {
        let themes = [
            folder("mob", None, "Mobiliteit", "Transport"),
            folder("bev", None, "Bevolking", "Population"),
            folder("leeftijd", Some("bev"), "Leeftijd", "Age"),
            folder("kern", None, "Kerncijfers", "Key figures"),
            folder("energie", None, "Energieverbruik", "Energy use"),
        ];
        let tree: HashMap<&str, &Theme> = themes.iter().map(|t| (t.code.as_str(), t)).collect();
        let none = BTreeMap::new();
        // "Transport" holds "sport" but is not about it: stems match at word starts.
        assert_eq!(folder_theme("mob", &tree, &none), Some("TRAN"));
        assert_eq!(folder_theme("leeftijd", &tree, &none), Some("SOCI"));
        assert_eq!(folder_theme("energie", &tree, &none), Some("ENER"));
        assert_eq!(folder_theme("kern", &tree, &none), None);
        assert_eq!(folder_theme("unknown", &tree, &none), None);
        let cfg = BTreeMap::from([
            ("kern".to_string(), "REGI".to_string()),
            ("bev".to_string(), "HEAL".to_string()),
        ]);
        assert_eq!(folder_theme("kern", &tree, &cfg), Some("REGI"));
        // A configured parent wins over a sub-folder's own (unmatched) name.
        assert_eq!(folder_theme("leeftijd", &tree, &cfg), Some("HEAL"));
    }

    #[test]
    fn both_serialisations_escape_what_they_must() {
        let mut g = Graph::default();
        let (n, _) = g.node("http://h<o>st/a b", &["dcat:Dataset"]);
        n.lang("dct:title", "nl", "say \"x\"\\\n")
            .lang("dct:title", "x y", "bad tag")
            .add(
                "dct:modified",
                O::Typed("2026-01-01T00:00:00Z".into(), "xsd:dateTime"),
            );
        let t = to_turtle(&g);
        assert!(
            t.contains("<http://h%3Co%3Est/a%20b>\n    a dcat:Dataset ;"),
            "{t}"
        );
        assert!(t.contains(r#"dct:title "say \"x\"\\\n"@nl"#), "{t}");
        assert!(t.contains(r#"dct:title "bad tag" ;"#), "{t}");
        assert!(
            t.contains(r#""2026-01-01T00:00:00Z"^^xsd:dateTime ."#),
            "{t}"
        );
        let j = to_jsonld(&g);
        let node = &j["@graph"][0];
        assert_eq!(node["@id"], "http://h%3Co%3Est/a%20b");
        assert_eq!(node["dct:title"][0]["@language"], "nl");
        assert!(node["dct:title"][1].get("@language").is_none());
        assert_eq!(node["dct:modified"][0]["@type"], "xsd:dateTime");
    }

    #[test]
    fn codes_in_addresses_are_encoded() {
        assert_eq!(enc("v1101_t"), "v1101_t");
        assert_eq!(enc("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
