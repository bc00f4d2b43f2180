//! The DCAT-AP catalogue as an open-data portal harvests it: valid against the official DCAT-AP
//! 3.0.0 shapes (pyshacl, RDFS inference) in Turtle and JSON-LD, both serialisations the same
//! graph (rdflib), one dataset per public indicator and none for restricted ones, with the
//! licence, contact, themes, coverage and dates a portal shows. Also: `$metadata` of both OData
//! roots against the OASIS CSDL schema, and `peil check` on what the catalogue lacks. The
//! Flanders site gets the same validations in `web.rs`, which builds it once.

use crate::common::*;
use std::process::Command;

/// What rdflib reads back from both serialisations: whether they are the same graph, the
/// datasets, and what one dataset and the API service say.
const READ_BACK: &str = r#"
import sys, json, rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, DCAT, DCTERMS, FOAF, Namespace
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ttl = rdflib.Graph(); ttl.parse(sys.argv[1], format="turtle")
ld = rdflib.Graph(); ld.parse(sys.argv[2], format="json-ld")
g = ttl
def objs(s, p): return sorted(str(o) for o in g.objects(s, p))
def texts(s, p): return sorted(f"{o.language}:{o}" for o in g.objects(s, p))
ds = list(g.subjects(RDF.type, DCAT.Dataset))
out = {"isomorphic": isomorphic(ttl, ld), "triples": len(ttl),
       "datasets": sorted(str(d).rsplit("/", 1)[1] for d in ds)}
d = next(x for x in ds if str(x).endswith("/" + sys.argv[3]))
out["dataset"] = {
    "title": texts(d, DCTERMS.title),
    "description": texts(d, DCTERMS.description),
    "keyword": texts(d, DCAT.keyword),
    "theme": objs(d, DCAT.theme),
    "periodicity": objs(d, DCTERMS.accrualPeriodicity),
    "modified": [str(o.datatype) for o in g.objects(d, DCTERMS.modified)],
    "temporal": [[str(g.value(t, DCAT.startDate)), str(g.value(t, DCAT.endDate)),
                  str(g.value(t, DCAT.startDate).datatype)] for t in g.objects(d, DCTERMS.temporal)],
    "bbox": [str(g.value(a, DCAT.bbox)) for a in g.objects(d, DCTERMS.spatial)],
    "contact": [str(o) for c in g.objects(d, DCAT.contactPoint) for o in g.objects(c, VCARD.hasEmail)],
    "publisher": [str(g.value(p, FOAF.name)) for p in g.objects(d, DCTERMS.publisher)],
    "creator": [str(g.value(p, FOAF.name)) for p in g.objects(d, DCTERMS.creator)],
    "source": objs(d, DCTERMS.source),
    "landing": objs(d, DCAT.landingPage),
    "distributions": sorted(({"media": objs(x, DCAT.mediaType), "format": objs(x, DCTERMS.format),
        "licence": objs(x, DCTERMS.license), "service": objs(x, DCAT.accessService),
        "url": objs(x, DCAT.downloadURL)} for x in g.objects(d, DCAT.distribution)),
        key=lambda x: x["format"]),
}
cat = next(g.subjects(RDF.type, DCAT.Catalog))
out["catalog"] = {"issued": [str(o.datatype) for o in g.objects(cat, DCTERMS.issued)],
    "modified": [str(o.datatype) for o in g.objects(cat, DCTERMS.modified)],
    "licence": objs(cat, DCTERMS.license), "title": texts(cat, DCTERMS.title)}
svc = next(g.subjects(RDF.type, DCAT.DataService))
out["service"] = {"conformsTo": objs(svc, DCTERMS.conformsTo), "serves": len(objs(svc, DCAT.servesDataset))}
print(json.dumps(out))
"#;

fn read_back(ttl: &str, jsonld: &str, dataset: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.ttl"), ttl).unwrap();
    std::fs::write(dir.path().join("c.jsonld"), jsonld).unwrap();
    let out = Command::new("python3")
        .args(["-c", READ_BACK])
        .arg(dir.path().join("c.ttl"))
        .arg(dir.path().join("c.jsonld"))
        .arg(dataset)
        .output()
        .expect("python3 runs (CI installs rdflib)");
    assert!(
        out.status.success(),
        "rdflib could not read the catalogue: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn strings(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

#[test]
fn the_demo_catalogue_conforms_to_dcat_ap_and_says_what_portals_show() {
    let s = Server::demo();
    let (ttl, ld) = assert_catalogue_conforms(&s, "the demo city");
    assert!(
        !ttl.contains("v_leefloon") && !ld.contains("v_leefloon"),
        "a restricted indicator leaks into the catalogue"
    );
    let facts = read_back(&ttl, &ld, "v1101_t");
    assert_eq!(
        facts["isomorphic"], true,
        "Turtle and JSON-LD describe different graphs"
    );

    // One dataset per public indicator, none other.
    let public = s.get("/api/v1/indicators?per_page=1000").json();
    let mut codes: Vec<&str> = public["data"]
        .as_array()
        .or_else(|| public["indicators"].as_array())
        .unwrap_or_else(|| panic!("{public}"))
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    codes.sort();
    assert!(codes.len() > 50, "{} public indicators", codes.len());
    assert_eq!(strings(&facts["datasets"]), codes);
    assert_eq!(facts["service"]["serves"], codes.len());
    assert_eq!(
        strings(&facts["service"]["conformsTo"]),
        [format!("{}/api/v1/openapi.json", s.base)]
    );

    let c = &facts["catalog"];
    let date_time = ["http://www.w3.org/2001/XMLSchema#dateTime"];
    assert_eq!(strings(&c["issued"]), date_time);
    assert_eq!(strings(&c["modified"]), date_time);
    assert_eq!(strings(&c["title"]), ["nl:Scheldemonde in cijfers"]);
    assert_eq!(
        strings(&c["licence"]),
        ["https://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0"]
    );

    let d = &facts["dataset"];
    assert_eq!(strings(&d["title"]), ["en:Inhabitants", "nl:Inwoners"]);
    assert!(
        strings(&d["description"])
            .contains(&"nl:Aantal inwoners ingeschreven in het bevolkingsregister op 1 januari.")
    );
    // Keywords are the theme folders and their parents, in each language; the EU theme comes
    // from the "Bevolking" folder by its name.
    let keywords = strings(&d["keyword"]);
    for k in [
        "nl:Bevolking",
        "en:Population",
        "nl:Omvang en dichtheid",
        "nl:Kerncijfers",
    ] {
        assert!(keywords.contains(&k), "{k} missing from {keywords:?}");
    }
    assert_eq!(
        strings(&d["theme"]),
        ["http://publications.europa.eu/resource/authority/data-theme/SOCI"]
    );
    assert_eq!(
        strings(&d["periodicity"]),
        ["http://publications.europa.eu/resource/authority/frequency/ANNUAL"]
    );
    assert_eq!(strings(&d["modified"]), date_time);
    let t = &d["temporal"][0];
    assert!(t[0].as_str().unwrap().ends_with("-01-01"), "{t}");
    assert!(t[1].as_str().unwrap().ends_with("-12-31"), "{t}");
    assert_eq!(t[2], "http://www.w3.org/2001/XMLSchema#date");
    let bbox = d["bbox"][0].as_str().unwrap();
    assert!(bbox.starts_with("POLYGON(("), "{bbox}");
    // From the demo's peil.toml: publisher, contact point, licence.
    assert_eq!(strings(&d["publisher"]), ["Stad Scheldemonde"]);
    assert_eq!(strings(&d["contact"]), ["mailto:data@scheldemonde.example"]);
    // The source is the creator agent, not a literal where DCAT-AP wants a dataset.
    assert_eq!(strings(&d["creator"]), ["Rijksregister"]);
    assert!(d["source"].as_array().unwrap().is_empty());
    assert_eq!(
        strings(&d["landing"]),
        [format!("{}/indicator/v1101_t", s.base)]
    );
    let dists = d["distributions"].as_array().unwrap();
    assert_eq!(dists.len(), 3);
    let formats: Vec<&str> = dists
        .iter()
        .map(|x| x["format"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        formats,
        ["CSV", "JSON", "XLSX"]
            .map(|f| format!("http://publications.europa.eu/resource/authority/file-type/{f}"))
    );
    assert_eq!(
        strings(&dists[0]["media"]),
        ["http://www.iana.org/assignments/media-types/text/csv"]
    );
    for x in dists {
        assert_eq!(
            strings(&x["licence"]),
            ["https://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0"]
        );
        assert_eq!(strings(&x["service"]), [format!("{}/api/v1", s.base)]);
        // Every download link works and answers the format it claims.
        let url = x["url"][0].as_str().unwrap();
        let r = s.get(url.strip_prefix(&s.base).unwrap());
        assert_eq!(r.status, 200, "{url}");
    }
}

#[test]
fn odata_metadata_of_both_roots_validates_against_the_csdl_schema() {
    let s = Server::demo();
    assert_metadata_valid(&s);
}

#[test]
fn check_warns_when_the_catalogue_lacks_what_portals_need() {
    let site = Site::new();
    let out = site.ok(&["check"]);
    for what in ["no licence", "no contact_email", "no publisher"] {
        assert!(out.contains(what), "{what} not warned about:\n{out}");
    }
    // Configured, the warnings go; a licence Peil does not know is an error that says why.
    let cfg = site.path().join("peil.toml");
    let base = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        format!(
            "{base}\n[catalog]\npublisher = \"Stad Gent\"\nlicence = \"cc-by-4.0\"\n\
             contact_email = \"data@stad.gent\"\n[catalog.themes]\nbevolking = \"SOCI\"\n"
        ),
    )
    .unwrap();
    let out = site.ok(&["check"]);
    assert!(!out.contains("[catalog]"), "{out}");
    std::fs::write(
        &cfg,
        format!(
            "{base}\n[catalog]\nlicence = \"vrij\"\n[catalog.themes]\nbevolking = \"PEOPLE\"\n"
        ),
    )
    .unwrap();
    let o = site.run(&["check"]);
    assert_eq!(o.status.code(), Some(3));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("licence 'vrij'") && text.contains("modellicentie-gratis-hergebruik"),
        "{text}"
    );
}
