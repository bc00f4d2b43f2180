//! The DCAT-AP catalogue: Turtle and JSON-LD that an RDF parser reads, one dataset per public
//! indicator, none for restricted ones.

mod common;
use common::*;

#[test]
fn catalogue_lists_public_indicators_as_datasets() {
    let s = Server::demo();
    let ttl = s.get("/api/v1/catalog.ttl");
    assert_eq!(ttl.status, 200);
    assert!(ttl.headers["content-type"].starts_with("text/turtle"));
    assert!(
        ttl.body
            .contains("/api/v1/indicators/v1101_t> a dcat:Dataset"),
        "{}",
        &ttl.body[..2000.min(ttl.body.len())]
    );
    assert!(
        !ttl.body.contains("v_leefloon"),
        "a restricted indicator leaks into the catalogue"
    );
    let ld = s.get("/api/v1/catalog.jsonld");
    assert_eq!(ld.status, 200);
    let doc = ld.json();
    let datasets = doc["dcat:dataset"].as_array().unwrap();
    let public = s.get("/api/v1/indicators?per_page=1000").json();
    let total = public["total"]
        .as_u64()
        .or_else(|| public["count"].as_u64());
    if let Some(total) = total {
        assert_eq!(
            datasets.len() as u64,
            total,
            "one dataset per public indicator"
        );
    }
    assert!(
        datasets
            .iter()
            .all(|d| d["dcat:distribution"].as_array().unwrap().len() == 3)
    );
    // Both serialisations parse as RDF and describe the same number of datasets.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.ttl"), &ttl.body).unwrap();
    std::fs::write(dir.path().join("c.jsonld"), &ld.body).unwrap();
    let script = "import rdflib,sys\n\
        n=[]\n\
        for f,fmt in ((sys.argv[1],'turtle'),(sys.argv[2],'json-ld')):\n\
        \x20   g=rdflib.Graph(); g.parse(f, format=fmt)\n\
        \x20   n.append(len(list(g.subjects(rdflib.RDF.type, rdflib.URIRef('http://www.w3.org/ns/dcat#Dataset')))))\n\
        print(n[0], n[1])\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(dir.path().join("c.ttl"))
        .arg(dir.path().join("c.jsonld"))
        .output()
        .expect("python3 runs (CI installs rdflib)");
    assert!(
        out.status.success(),
        "rdflib could not read the catalogue: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts = String::from_utf8(out.stdout).unwrap();
    let n: Vec<usize> = counts
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(n[0], datasets.len());
    assert_eq!(n[1], datasets.len());
}
