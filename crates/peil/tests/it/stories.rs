//! Stories, dashboards and PDF reports (issue 6) against the real binary: pages, area switch,
//! PDFs read back with `pdftotext` and compared with the API, bulk ZIPs from the CLI and the
//! web, `peil check` on a broken template, and the omgevingsanalyse on demo and Flanders data.
//! PNG renderings of sample pages (`pdftoppm`) are kept under target/report-artifacts.

use crate::common;
use crate::common::{Server, Site};
use std::path::{Path, PathBuf};
use std::process::Command;

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/report-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The text of a PDF, whitespace (incl. the narrow no-break space of Dutch thousands)
/// folded to single spaces.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.pdf");
    std::fs::write(&p, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", p.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext not found: install Debian's poppler-utils (test.sh does)");
    assert!(out.status.success());
    fold(&String::from_utf8_lossy(&out.stdout))
}

pub(crate) fn fold(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '\u{202f}' || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn pages(pdf: &[u8]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.pdf");
    std::fs::write(&p, pdf).unwrap();
    let out = Command::new("pdfinfo")
        .arg(&p)
        .output()
        .expect("pdfinfo (poppler-utils)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(|n| n.trim().parse().unwrap())
        .unwrap()
}

/// Keeps PNGs of the first pages of a PDF as CI artifacts.
fn keep_pngs(pdf: &[u8], name: &str) {
    let dir = artifacts();
    let p = dir.join(format!("{name}.pdf"));
    std::fs::write(&p, pdf).unwrap();
    let status = Command::new("pdftoppm")
        .args([
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "3",
            p.to_str().unwrap(),
            dir.join(name).to_str().unwrap(),
        ])
        .status()
        .expect("pdftoppm (poppler-utils)");
    assert!(status.success());
}

fn get_bytes(s: &Server, path: &str) -> (u16, Vec<u8>, String) {
    get_bytes_with(s, path, &[])
}

fn get_bytes_with(s: &Server, path: &str, headers: &[(&str, &str)]) -> (u16, Vec<u8>, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(&format!("{}{}", s.base, path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut r = req.call().unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = r
        .body_mut()
        .with_config()
        .limit(512 << 20)
        .read_to_vec()
        .unwrap();
    (status, body, ct)
}

/// The API's value of one cell.
fn api_value(s: &Server, ind: &str, level: &str, item: &str, period: &str) -> f64 {
    let j = s
        .get(&format!(
            "/api/v1/data?indicator={ind}&level={level}&period={period}&items={item}"
        ))
        .json();
    j["data"][0]["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("{j}"))
}

/// Dutch display of a whole number: thousands grouped from 10 000 up.
pub(crate) fn nl_int(x: f64) -> String {
    let n = x.round() as i64;
    let s = n.abs().to_string();
    if s.len() <= 4 {
        return s;
    }
    let mut out = String::new();
    for (k, ch) in s.chars().enumerate() {
        if k > 0 && (s.len() - k).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}

#[test]
fn demo_dashboard_switches_area_and_links_to_details() {
    let s = Server::demo();
    let list = s.get("/stories.json").json();
    let names: Vec<&str> = list["stories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"omgevingsanalyse") && names.contains(&"wijkprofiel"),
        "{names:?}"
    );
    assert_eq!(list["dashboards"][0]["name"], "bevolking");
    for (area, period) in [("4699901", "2025"), ("4699905", "2025")] {
        let r = s.get(&format!(
            "/dashboards/bevolking?regionlevel=wijk&regioncode={area}"
        ));
        assert_eq!(r.status, 200, "{}", &r.body[..r.body.len().min(500)]);
        let v = api_value(&s, "v1101_t", "wijk", area, period);
        assert!(
            fold(&r.body).contains(&nl_int(v)),
            "dashboard for {area} lacks {}",
            nl_int(v)
        );
        assert!(
            r.body
                .contains(&format!("/indicator/v1101_t?level=wijk&amp;select={area}")),
            "detail link"
        );
        assert_eq!(r.body.matches("class=\"tile ").count(), 8);
        let j = s
            .get(&format!(
                "/dashboards/bevolking.json?regionlevel=wijk&regioncode={area}"
            ))
            .json();
        assert_eq!(j["geo"], format!("wijk:{area}"));
        assert!(
            j["tiles"][1]["target"].as_str().unwrap().contains("Doel"),
            "{j}"
        );
    }
    let (status, pdf, ct) = get_bytes(
        &s,
        "/dashboards/bevolking.pdf?regionlevel=wijk&regioncode=4699901",
    );
    assert_eq!(status, 200);
    assert_eq!(ct, "application/pdf");
    let text = pdf_text(&pdf);
    assert!(text.contains("Bevolking"), "{text}");
    keep_pngs(&pdf, "dashboard-bevolking");
}

#[test]
fn demo_story_as_page_and_pdf_agrees_with_the_api() {
    let s = Server::demo();
    let area = "4699903";
    let r = s.get(&format!(
        "/stories/wijkprofiel?regionlevel=wijk&regioncode={area}"
    ));
    assert_eq!(r.status, 200, "{}", &r.body[..r.body.len().min(800)]);
    let v = api_value(&s, "v1101_t", "wijk", area, "2025");
    assert!(
        fold(&r.body).contains(&nl_int(v)),
        "page lacks {}",
        nl_int(v)
    );
    assert!(
        r.body.contains("<figure class=\"story-figure\"><svg"),
        "figures inline"
    );
    let (status, pdf, _) = get_bytes(
        &s,
        &format!("/stories/wijkprofiel.pdf?regionlevel=wijk&regioncode={area}"),
    );
    assert_eq!(status, 200);
    let text = pdf_text(&pdf);
    let name = s.get(&format!("/area/wijk/{area}.json")).json()["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains(&fold(&name)),
        "PDF lacks the area name {name}"
    );
    assert!(text.contains(&nl_int(v)), "PDF lacks {}: {text}", nl_int(v));
    let pct = s
        .get(&format!(
            "/api/v1/data?indicator=vp_65p&level=wijk&period=2025&items={area}"
        ))
        .json()["data"][0]["value"]
        .as_f64()
        .unwrap();
    let pct_nl = format!("{:.1}", pct).replace('.', ",");
    assert!(text.contains(&pct_nl), "PDF lacks 65+ share {pct_nl}");
    assert!(pages(&pdf) >= 3, "cover, contents, body");
    keep_pngs(&pdf, "story-wijkprofiel");
}

/// Today as a reader of `lang` writes it, from the test's own month names (not Peil's).
fn today_in(lang: &str) -> (String, String) {
    let d = time::OffsetDateTime::now_utc().date();
    let months: [&str; 12] = match lang {
        "en" => [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        "fr" => [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        _ => [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ],
    };
    let day = match (lang, d.day()) {
        ("fr", 1) => "1er".to_string(),
        (_, n) => n.to_string(),
    };
    let m = u8::from(d.month());
    let label = format!("{day} {} {}", months[usize::from(m) - 1], d.year());
    (label, format!("{}-{m:02}-{:02}", d.year(), d.day()))
}

#[test]
fn a_story_is_dated_today_in_the_readers_language_on_its_page_and_pdf() {
    let s = Server::demo();
    let query = "regionlevel=wijk&regioncode=4699903";
    for (prefix, lang) in [("", "nl"), ("/en", "en"), ("/fr", "fr")] {
        let page = s.get(&format!("{prefix}/stories/wijkprofiel?{query}"));
        assert_eq!(page.status, 200);
        let (label, iso) = today_in(lang);
        let expected = format!("<time datetime=\"{iso}\">{label}</time>");
        assert!(
            page.body.contains(&expected),
            "{lang}: the page does not say {expected}"
        );
        let (status, pdf, _) = get_bytes(&s, &format!("{prefix}/stories/wijkprofiel.pdf?{query}"));
        assert_eq!(status, 200);
        let text = pdf_text(&pdf);
        assert!(
            text.contains(&fold(&label)),
            "{lang}: the PDF's cover lacks {label}: {text}"
        );
    }
    // `peil report` dates its PDF the same way.
    let out = s.site.path().join("dated.pdf");
    s.site.ok(&[
        "report",
        "wijkprofiel",
        "--level",
        "wijk",
        "--area",
        "4699903",
        "--lang",
        "fr",
        "-o",
        out.to_str().unwrap(),
    ]);
    let (label, _) = today_in("fr");
    let text = pdf_text(&std::fs::read(&out).unwrap());
    assert!(
        text.contains(&fold(&label)),
        "peil report --lang fr lacks {label}: {text}"
    );
}

#[test]
fn omgevingsanalyse_on_the_demo_city_and_the_cli() {
    let s = Server::demo();
    let (status, pdf, _) = get_bytes(
        &s,
        "/stories/omgevingsanalyse.pdf?regionlevel=gemeente&regioncode=46999",
    );
    assert_eq!(status, 200);
    let text = pdf_text(&pdf);
    for chapter in [
        "Bevolking en huishoudens",
        "Leeftijd",
        "Wonen",
        "Energie en milieu",
        "Veiligheid",
    ] {
        assert!(text.contains(chapter), "no chapter {chapter}");
    }
    let v = api_value(&s, "v1101_t", "gemeente", "46999", "2025");
    assert!(
        text.contains(&nl_int(v)),
        "omgevingsanalyse lacks the population {}",
        nl_int(v)
    );
    keep_pngs(&pdf, "omgevingsanalyse-scheldemonde");

    // The CLI: one PDF, then every district as a ZIP.
    let out = s.site.path().join("district.pdf");
    s.site.ok(&[
        "report",
        "omgevingsanalyse",
        "--level",
        "district",
        "--area",
        "46999D1",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(std::fs::read(&out).unwrap().starts_with(b"%PDF"));
    let zip = s.site.path().join("all.zip");
    let said = s.site.ok(&[
        "report",
        "omgevingsanalyse",
        "--level",
        "district",
        "--all",
        "-o",
        zip.to_str().unwrap(),
    ]);
    assert!(said.contains("reports in"), "{said}");
    let entries = zip_names(&zip);
    let districts = s.get("/api/v1/geolevels/district/items").json();
    let n = districts["items"]
        .as_array()
        .or(districts["data"].as_array())
        .unwrap()
        .iter()
        .filter(|i| i["unknown_location"] != true)
        .count();
    assert_eq!(entries.len(), n, "{entries:?}");
    assert!(
        entries
            .iter()
            .all(|e| e.starts_with("omgevingsanalyse_") && e.ends_with(".pdf"))
    );
}

fn zip_names(p: &Path) -> Vec<String> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys,zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
            p.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bulk_job_from_the_web_shows_progress_and_gives_a_zip() {
    let s = Server::demo();
    // Bulk jobs are for staff: a key of group `reports`.
    let key = s.key("reports", &["reports"]);
    let k = [("apikey", key.as_str())];
    let (status, job) = s.post_form(&key, "/stories/wijkprofiel/bulk", "level=wijk");
    assert_eq!(status, 303, "a redirect to the job's page");
    assert!(job.starts_with("/jobs/"), "{job}");
    let page = s.get_with(&job, &k);
    assert!(page.body.contains("<progress"), "{}", page.body);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
    loop {
        let j = s.get_with(&format!("{job}.json"), &k).json();
        assert!(j["error"].is_null(), "{j}");
        if j["finished"] == true {
            assert_eq!(j["done"], j["total"]);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the job never finished: {j}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let (status, zip, ct) = get_bytes_with(&s, &format!("{job}.zip"), &k);
    assert_eq!((status, ct.as_str()), (200, "application/zip"));
    let p = s.site.path().join("web.zip");
    std::fs::write(&p, zip).unwrap();
    assert!(zip_names(&p).len() >= 40);
}

#[test]
fn a_broken_story_fails_the_check_with_file_line_and_reason() {
    // The demo city as the helper makes it (on the store the matrix names).
    let site = Site::demo();
    site.ok(&["check"]);
    std::fs::write(
        site.path().join("stories/kapot.md"),
        "+++\ntitle = \"Kapot\"\nlevel = \"wijk\"\n+++\n# Titel\n\nTekst.\n{% if has(\"v1101_t\") %}\nNooit gesloten.\n",
    )
    .unwrap();
    std::fs::write(
        site.path().join("stories/onbekend.md"),
        "+++\nlevel = \"wijk\"\n+++\nRegel een.\n{{ bestaat_niet(\"v1101_t\") }}\n",
    )
    .unwrap();
    let o = site.run(&["check"]);
    assert_eq!(o.status.code(), Some(3));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("stories/kapot.md, line "), "{text}");
    assert!(text.contains("stories/onbekend.md, line 5"), "{text}");
    assert!(text.contains("bestaat_niet"), "{text}");
}

#[test]
fn omgevingsanalyse_for_flanders_municipalities() {
    let f = common::flanders();
    let site = Site::new();
    for l in ["statsec2019", "statsec2024", "gemeente2024"] {
        site.import(&f.join(format!("swing/gebiedsdefinities/{l}.xlsx")), &[]);
    }
    for t in ["statsec2024_gemeente2024", "statsec2019_statsec2024"] {
        site.import(&f.join(format!("swing/aggregatietabellen/{t}.xlsx")), &[]);
    }
    site.import(&f.join("geo/lambert72/gemeente2024.shp"), &[]);
    site.import(
        &f.join("stats/fluvius_energy_statsec2019_2018_2021.csv"),
        &[],
    );
    site.ok(&["publish"]);
    let s = Server::start(site);
    for (code, name) in [("11002", "Antwerpen"), ("44021", "Gent")] {
        let (status, pdf, _) = get_bytes(
            &s,
            &format!("/stories/omgevingsanalyse.pdf?regionlevel=gemeente2024&regioncode={code}"),
        );
        assert_eq!(status, 200);
        let text = pdf_text(&pdf);
        assert!(text.contains(name), "{name}");
        // The energy chapter has the Fluvius figures; themes this site lacks say so.
        let v = api_value(&s, "v2506_elek_res_cons", "gemeente2024", code, "2021");
        assert!(
            text.contains(&nl_int(v)),
            "{name}: no {} in {text}",
            nl_int(v)
        );
        assert!(
            text.contains("geen indicatoren over veiligheid"),
            "missing themes are named"
        );
        if code == "44021" {
            keep_pngs(&pdf, "omgevingsanalyse-gent");
        }
    }
}

/// A real PNG of `w`×`h` RGB pixels (a colour gradient), written here so that its size is
/// known: zlib with stored blocks, CRC-32 and Adler-32 as the PNG and zlib formats define.
fn gradient_png(w: u32, h: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in bytes {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0u8); // no filter
        for x in 0..w {
            raw.extend([(x * 255 / w) as u8, (y * 255 / h) as u8, 128]);
        }
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, b) in blocks.iter().enumerate() {
        z.push((i + 1 == blocks.len()) as u8);
        z.extend((b.len() as u16).to_le_bytes());
        z.extend((!(b.len() as u16)).to_le_bytes());
        z.extend_from_slice(b);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + x as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend(((b << 16) | a).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8 bits, RGB
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &z);
    chunk(b"IEND", &[]);
    png
}

/// The images a PDF holds as `pdfimages -list` lists them: (width, height, type).
fn pdf_images(pdf: &[u8]) -> Vec<(u32, u32, String)> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.pdf");
    std::fs::write(&p, pdf).unwrap();
    let out = Command::new("pdfimages")
        .args(["-list", p.to_str().unwrap()])
        .output()
        .expect("pdfimages (poppler-utils)");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some((
                f.get(3)?.parse().ok()?,
                f.get(4)?.parse().ok()?,
                f.get(2)?.to_string(),
            ))
        })
        .collect()
}

#[test]
fn a_story_shows_a_library_image_in_its_page_and_pdf() {
    let site = Site::demo();
    // A picture in the image library, of a size nothing else in the PDF has.
    let (w, h) = (137, 61);
    let content = site.path().join("content");
    std::fs::create_dir_all(&content).unwrap();
    std::fs::write(content.join("kaart-wijken.png"), gradient_png(w, h)).unwrap();
    std::fs::write(
        site.path().join("stories/met-beeld.md"),
        "+++\ntitle = \"Met een beeld\"\nlevel = \"wijk\"\n+++\n# Inwoners per wijk\n\n![De wijken op een kaart](content/kaart-wijken.png)\n\nDe kaart hierboven komt uit de beeldbank.\n",
    )
    .unwrap();
    let s = Server::start(site);
    let query = "regionlevel=wijk&regioncode=4699903";
    let page = s.get(&format!("/stories/met-beeld?{query}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("src=\"/content/kaart-wijken.png\""),
        "{}",
        page.body
    );
    // The PDF from the website and from `peil report` both embed the picture itself.
    let (status, pdf, _) = get_bytes(&s, &format!("/stories/met-beeld.pdf?{query}"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert!(pdf_text(&pdf).contains("De kaart hierboven komt uit de beeldbank"));
    let images = pdf_images(&pdf);
    assert!(
        images
            .iter()
            .any(|(iw, ih, kind)| (*iw, *ih) == (w, h) && kind == "image"),
        "the PDF lacks the {w}×{h} image: {images:?}"
    );
    let out = s.site.path().join("met-beeld.pdf");
    let report = [
        "report",
        "met-beeld",
        "--level",
        "wijk",
        "--area",
        "4699903",
        "-o",
        out.to_str().unwrap(),
    ];
    s.site.ok(&report);
    let images = pdf_images(&std::fs::read(&out).unwrap());
    assert!(
        images.iter().any(|(iw, ih, _)| (*iw, *ih) == (w, h)),
        "peil report's PDF lacks the {w}×{h} image: {images:?}"
    );
    // A library image that is gone is an error naming it, not a PDF without it.
    std::fs::remove_file(content.join("kaart-wijken.png")).unwrap();
    let failed = s.site.run(&report);
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert!(err.contains("content/kaart-wijken.png"), "{err}");
}
