//! What a server derives from its publication (indexes, the hierarchy's paths, map layers,
//! stories' data) belongs to that server: two servers in one process — here on the same store
//! path, with the same generation but different data — never see each other's.

use crate::common::*;

fn write(site: &Site, name: &str, text: &str) -> std::path::PathBuf {
    let p = site.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Sectors S1…S4 in wijken W1 and W2 as `links` says, with a population; published once.
fn site(links: &str) -> Site {
    let site = Site::new();
    site.import(
        &write(
            &site,
            "statsec.csv",
            "code,name\nS1,s1\nS2,s2\nS3,s3\nS4,s4\n",
        ),
        &[],
    );
    site.import(&write(&site, "wijk.csv", "code,name\nW1,w1\nW2,w2\n"), &[]);
    site.import(&write(&site, "statsec_wijk.csv", links), &[]);
    site.import(
        &write(
            &site,
            "meta.csv",
            "code;name;data type;period type\nn;inwoners;numeric;stock\n",
        ),
        &[],
    );
    site.import(
        &write(
            &site,
            "n.csv",
            "period,geolevel,geoitem,n\n2023,statsec,S1,1\n2023,statsec,S2,2\n\
             2023,statsec,S3,3\n2023,statsec,S4,4\n",
        ),
        &[],
    );
    site.ok(&["publish"]);
    site
}

/// Serves a store in this process; returns the base URL (the server stops with the process).
fn serve_here(store: peil_store::Location, name: &str) -> String {
    serve_with(store, peil_serve::Options::new(name))
}

fn serve_with(store: peil_store::Location, options: peil_serve::Options) -> String {
    let state = peil_serve::state_with_options(&store, options).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(peil_serve::serve(
            state,
            "127.0.0.1:0",
            std::future::pending(),
            move |addr| tx.send(addr).unwrap(),
        ))
        .unwrap();
    });
    format!("http://{}", rx.recv().unwrap())
}

fn get(base: &str, path: &str) -> serde_json::Value {
    let mut r = ureq::get(&format!("{base}{path}")).call().unwrap();
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
}

/// The sectors of wijk W1 by Swing's selection table, and W1's children by the native API.
fn sectors_of_w1(base: &str) -> (Vec<String>, serde_json::Value) {
    let t = get(
        base,
        "/jive/selectiontableasjson.ashx?var=n&geolevel=wijk&geoitem=W1&geosplit=statsec&period=2023",
    );
    let rows = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    let parents = get(base, "/api/v1/geolevels/statsec/items");
    (rows, parents)
}

#[test]
fn two_servers_in_one_process_do_not_share_what_they_derived() {
    sqlite_only!(
        "puts another site's SQLite file in place under one store path while a server holds it"
    );
    let a = site("statsec,wijk\nS1,W1\nS2,W1\nS3,W2\nS4,W2\n");
    let b = site("statsec,wijk\nS1,W1\nS3,W1\nS2,W2\nS4,W2\n");

    // One store path, first holding A's publication, then B's.
    let here = Site::copy_of(&a);
    let first = serve_here(here.location(), "A");
    let (rows_a, _) = sectors_of_w1(&first);
    assert_eq!(rows_a, ["s1", "s2"]);
    for f in ["peil.sqlite", "peil.sqlite-wal", "peil.sqlite-shm"] {
        let (from, to) = (b.path().join(f), here.path().join(f));
        let _ = std::fs::remove_file(&to);
        if from.exists() {
            std::fs::copy(&from, &to).unwrap();
        }
    }
    let second = serve_here(here.location(), "B");
    assert_eq!(
        get(&first, "/health")["generation"],
        get(&second, "/health")["generation"],
        "the same generation of the same store path"
    );

    let (rows_b, items_b) = sectors_of_w1(&second);
    assert_eq!(rows_b, ["s1", "s3"], "B's own hierarchy, not A's");
    let s3 = items_b["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "S3")
        .unwrap()
        .clone();
    assert_eq!(s3["parents"]["wijk"], "W1", "{s3}");
    // And A still answers from its own publication.
    assert_eq!(sectors_of_w1(&first).0, ["s1", "s2"]);
}

/// The cap on cells per data request is the server's setting, not the process's: two servers
/// in one process with different caps answer by their own.
#[test]
fn each_server_has_its_own_cell_cap() {
    let s = site("statsec,wijk\nS1,W1\nS2,W1\nS3,W2\nS4,W2\n");
    let mut small = peil_serve::Options::new("small");
    small.max_cells = 2;
    let mut large = peil_serve::Options::new("large");
    large.max_cells = 1000;
    let (a, b) = (
        serve_with(s.location(), small),
        serve_with(s.location(), large),
    );
    assert_eq!(get(&a, "/api/v1/")["max_cells"], 2);
    assert_eq!(get(&b, "/api/v1/")["max_cells"], 1000);
    let q = "/api/v1/data?indicator=n&level=statsec&period=2023";
    let refused = ureq::get(&format!("{a}{q}")).call();
    assert!(
        matches!(refused, Err(ureq::Error::StatusCode(400 | 413 | 422))),
        "4 cells over a cap of 2: {refused:?}"
    );
    assert_eq!(get(&b, q)["data"].as_array().map(Vec::len), Some(4));
}
