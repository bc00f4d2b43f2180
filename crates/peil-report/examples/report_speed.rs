//! Times `peil_report::pdf` on an 8-page report with 10 bar charts (~20 KB of SVG each) and 2
//! maps (~150 KB of SVG each).
//!
//! ```text
//! cargo run --release -p peil-report --example report_speed            # 20 runs after a warm-up
//! cargo run --release -p peil-report --example report_speed -- 308      # also 308 distinct reports, RSS as it goes
//! PEIL_REPORT_OUT=/tmp/r.pdf cargo run …                                   # and keep the PDF to look at
//! PEIL_REPORT_LANDSCAPE=1 cargo run …                                       # A4 landscape
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Instant;

use peil_report::{Report, pdf};

/// A deterministic pseudo-random sequence (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 10_000) as f64 / 10_000.0
    }
}

/// A bar chart with 40 bars, labels, grid lines and value labels (~20 KB).
fn bar_chart(seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed * 7919 + 1);
    let mut s = String::new();
    s.push_str(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 420" width="800" height="420" font-family="DejaVu Sans" font-size="11"><title>Inwoners per wijk</title><desc>Staafdiagram met 40 wijken</desc><rect width="800" height="420" fill="#ffffff"/>"##,
    );
    for g in 0..=5 {
        let y = 380 - g * 60;
        let _ = write!(
            s,
            r##"<line x1="60" y1="{y}" x2="790" y2="{y}" stroke="#d0d0d0" stroke-width="0.5"/><text x="54" y="{}" text-anchor="end" fill="#555555">{}</text>"##,
            y + 4,
            g * 2000
        );
    }
    for i in 0..40 {
        let v = 500.0 + rng.next() * 9500.0;
        let h = v / 10_000.0 * 300.0;
        let x = 64.0 + i as f64 * 18.2;
        let _ = write!(
            s,
            r##"<g class="bar" data-area="W{i:02}" data-value="{v:.3}"><line x1="{:.1}" y1="380" x2="{:.1}" y2="384" stroke="#555555" stroke-width="0.5"/><rect x="{x:.1}" y="{:.1}" width="14" height="{h:.1}" fill="#0072b2" stroke="#005a8c" stroke-width="0.3"><title>Wijk {i} (statistische sector W{i:02}): {v:.0} inwoners op 1 januari 2024</title></rect><text x="{:.1}" y="396" font-size="8" text-anchor="middle" fill="#333333">W{i:02}</text><text x="{:.1}" y="{:.1}" font-size="7" text-anchor="middle" fill="#333333">{v:.0}</text></g>"##,
            x + 7.0,
            x + 7.0,
            380.0 - h,
            x + 7.0,
            x + 7.0,
            376.0 - h
        );
    }
    s.push_str("</svg>");
    s.into_bytes()
}

/// A choropleth with ~600 small polygons (~150 KB).
fn map(seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed * 104_729 + 3);
    let colours = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
    let mut s = String::new();
    s.push_str(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 800" width="1000" height="800"><title>Kaart</title><desc>Statistische sectoren</desc>"##,
    );
    let (cols, rows) = (30, 20);
    for r in 0..rows {
        for c in 0..cols {
            let cx = 20.0 + c as f64 * 32.0;
            let cy = 20.0 + r as f64 * 38.0;
            let mut d = String::new();
            for k in 0..14 {
                let a = k as f64 / 14.0 * std::f64::consts::TAU;
                let rad = 13.0 + rng.next() * 5.0;
                let _ = write!(
                    d,
                    "{}{:.1} {:.1}",
                    if k == 0 { "M" } else { "L" },
                    cx + rad * a.cos(),
                    cy + rad * a.sin()
                );
            }
            d.push('Z');
            let fill = colours[(rng.next() * 5.0) as usize % 5];
            let _ = write!(
                s,
                r##"<path d="{d}" fill="{fill}" stroke="#ffffff" stroke-width="0.6"><title>S{r:02}{c:02}</title></path>"##
            );
        }
    }
    s.push_str("</svg>");
    s.into_bytes()
}

const PARAGRAPH: &str = "De bevolking van de stad groeide het voorbije decennium met bijna tien procent. \
De groei is ongelijk verdeeld: wijken rond het centrum trokken vooral jonge gezinnen aan, terwijl \
de randgemeenten vergrijzen. Het aandeel eenpersoonshuishoudens stijgt overal, met de hoogste \
waarden in de binnenstad. Deze tekst vult een pagina zoals een echt verhaal dat zou doen, met \
**vette** en *schuine* woorden en een [link](https://peil.example/nl).";

fn story() -> String {
    let mut md = String::new();
    for chapter in 1..=4 {
        let _ = writeln!(md, "# Hoofdstuk {chapter}\n\n{PARAGRAPH}\n\n{PARAGRAPH}\n");
        md.push_str("| Wijk | Inwoners | Aandeel |\n|---|---|---|\n");
        for w in 0..8 {
            let _ = writeln!(
                md,
                "| Wijk {w} | {} {:03},{} | {},{} % |",
                10 + w,
                17 * w,
                w,
                20 + w,
                w
            );
        }
        md.push('\n');
        for k in 0..2 {
            let n = (chapter - 1) * 2 + k + 1;
            let _ = writeln!(
                md,
                "## Grafiek {n}\n\n![Inwoners per wijk ({n})](fig-{n}.svg)\n\n{PARAGRAPH}\n"
            );
        }
        if chapter == 2 || chapter == 4 {
            let m = chapter / 2;
            let _ = writeln!(md, "## Kaart {m}\n\n![Kaart {m}](map-{m}.svg)\n");
        }
    }
    md.push_str("```typst-grid 2\n![Tegel 9](fig-9.svg)\n![Tegel 10](fig-10.svg)\n```\n");
    md
}

fn status(key: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))
        .map(|l| l[key.len()..].trim().to_string())
}

fn main() {
    let many: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    // Where to write the report, to look at it (`PEIL_REPORT_OUT=/tmp/r.pdf`).
    let out = std::env::var_os("PEIL_REPORT_OUT");
    let mut files = HashMap::new();
    for n in 1..=10 {
        files.insert(format!("fig-{n}.svg"), bar_chart(n));
    }
    files.insert("map-1.svg".to_string(), map(1));
    files.insert("map-2.svg".to_string(), map(2));
    let svg_kb = |name: &str| files[name].len() / 1024;
    println!(
        "figures: chart {} KB, map {} KB",
        svg_kb("fig-1.svg"),
        svg_kb("map-1.svg")
    );
    let md = story();
    let sources = vec![
        "Statbel, Rijksregister".to_string(),
        "FOD Financiën".to_string(),
    ];
    let report = Report {
        title: "Wijkmonitor",
        subtitle: "Sint-Amandsberg vergeleken met Gent",
        publisher: "Peil",
        date: time::Date::from_calendar_date(2026, time::Month::November, 28).expect("a date"),
        lang: "nl",
        landscape: std::env::var_os("PEIL_REPORT_LANDSCAPE").is_some(),
        cover: true,
        toc: true,
        markdown: &md,
        files: &files,
        sources: &sources,
        accent: "#00536f",
    };

    let t = Instant::now();
    let (first, conformance) = peil_report::pdf_with_conformance(&report).expect("report compiles");
    println!(
        "first report (fonts, library, cold caches): {:.0} ms, {} KB, {conformance:?}",
        t.elapsed().as_secs_f64() * 1000.0,
        first.len() / 1024
    );
    if let Some(out) = &out {
        std::fs::write(out, &first).expect("writable output path");
    }

    let runs = 20;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let bytes = pdf(&report).expect("report compiles");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(bytes.len(), first.len());
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / runs as f64;
    println!(
        "{runs} runs: mean {mean:.1} ms, median {:.1} ms, min {:.1} ms, max {:.1} ms per report",
        times[runs / 2],
        times[0],
        times[runs - 1]
    );
    println!(
        "RSS {}, peak {}",
        status("VmRSS:").unwrap_or_default(),
        status("VmHWM:").unwrap_or_default()
    );

    if many > 0 {
        let t = Instant::now();
        for i in 0..many {
            // Every report differs (title, a figure and the text), as on a real site.
            let title = format!("Wijkmonitor {i}");
            let md_i = md.replace("Hoofdstuk 1", &format!("Hoofdstuk 1 (wijk {i})"));
            let mut files_i = files.clone();
            files_i.insert("fig-1.svg".to_string(), bar_chart(100 + i as u64));
            let r = Report {
                title: &title,
                markdown: &md_i,
                files: &files_i,
                ..report
            };
            pdf(&r).expect("report compiles");
            if (i + 1) % 50 == 0 || i + 1 == many {
                println!(
                    "{:>4} distinct reports: RSS {}, peak {}",
                    i + 1,
                    status("VmRSS:").unwrap_or_default(),
                    status("VmHWM:").unwrap_or_default()
                );
            }
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{many} distinct reports in {secs:.1} s: {:.1} ms per report",
            secs * 1000.0 / many as f64
        );
    }
}
