//! Writes one of every graphic as SVG and PNG into a folder, for looking at them.
//!
//! Run with `cargo run -p peil-render --example gallery -- /tmp/gallery`.

use peil_core::{MissingCode, Value};
use peil_render::chart::*;
use peil_render::map::{MapLayer, MapSpec, choropleth, locator};
use peil_render::{Classes, Locale, Method, NumberFormat, palette, png};
use std::collections::HashMap;

fn n(x: f64) -> Value {
    Value::Number(x)
}

fn m(c: MissingCode) -> Value {
    Value::Missing(c)
}

fn save(dir: &std::path::Path, name: &str, svg: &str) {
    std::fs::write(dir.join(format!("{name}.svg")), svg).unwrap();
    let png = png::to_png(svg, 1.5).unwrap_or_else(|e| panic!("{name}: {e}"));
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

fn main() {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/peil-render-gallery".into()),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let cat = |code: &str, label: &str| Category {
        code: Some(code.into()),
        label: label.into(),
    };
    let nl = |d: u8, unit: &str| NumberFormat::new(d, unit, Locale::Nl);

    let names = [
        "Binnenstad",
        "Brugse Poort - Rooigem",
        "Dampoort",
        "Drongen",
        "Gentbrugge",
        "Ledeberg",
        "Mariakerke",
        "Muide - Meulestede - Afrikalaan",
        "Oostakker",
        "Sint-Amandsberg",
        "Sluizeken - Tolhuis - Ham",
        "Wondelgem",
        "Zwijnaarde",
    ];
    let vals = [
        n(12.5),
        n(18.25),
        n(21.0),
        n(6.4),
        m(MissingCode::Hidden),
        n(16.0),
        n(7.5),
        n(-2.5),
        m(MissingCode::Unknown),
        n(13.1),
        n(24.9),
        m(MissingCode::NotApplicable),
        n(5.2),
    ];
    let cats: Vec<Category> = names
        .iter()
        .enumerate()
        .map(|(i, l)| cat(&format!("W{i:02}"), l))
        .collect();
    let bar = BarChart {
        id: "bar".into(),
        title: "Werkzoekenden per wijk".into(),
        description: "Aandeel werkzoekenden per wijk, 2023".into(),
        categories: cats.clone(),
        series: vec![Series {
            name: "2023".into(),
            values: vals.to_vec(),
        }],
        mode: BarMode::Single,
        horizontal: true,
        format: nl(1, "%"),
        highlight: vec!["W05".into()],
        reference: vec![("Gent".into(), 12.0)],
        width: 640.0,
        intervals: vals
            .iter()
            .map(|v| v.number().map(|x| ((x - 1.5).max(0.0), x + 1.5)))
            .collect(),
    };
    save(&dir, "bar_h", &bar.svg());
    let mut bar_v = BarChart {
        horizontal: false,
        ..bar
    };
    bar_v.categories.truncate(8);
    save(&dir, "bar_v", &bar_v.svg());
    let grouped = BarChart {
        id: "grp".into(),
        title: "Grouped".into(),
        description: "Grouped".into(),
        categories: cats[..5].to_vec(),
        series: vec![
            Series {
                name: "2022".into(),
                values: vec![n(10.0), n(12.0), n(8.0), m(MissingCode::Hidden), n(4.0)],
            },
            Series {
                name: "2023".into(),
                values: vec![n(11.0), n(13.0), n(9.0), n(3.0), n(5.0)],
            },
            Series {
                name: "2024".into(),
                values: vec![n(12.0), n(11.0), n(10.0), n(3.5), n(6.0)],
            },
        ],
        mode: BarMode::Grouped,
        horizontal: true,
        format: nl(0, ""),
        highlight: vec!["W01".into()],
        reference: vec![],
        width: 640.0,
        intervals: Vec::new(),
    };
    save(&dir, "bar_grouped", &grouped.svg());
    let stacked = BarChart {
        id: "stk".into(),
        mode: BarMode::Stacked,
        horizontal: false,
        ..grouped
    };
    save(&dir, "bar_stacked", &stacked.svg());

    let line = LineChart {
        id: "line".into(),
        title: "Bevolking".into(),
        description: "Evolutie".into(),
        x_labels: (2010..=2024).map(|y| y.to_string()).collect(),
        series: vec![
            (
                Some("44021".into()),
                Series {
                    name: "Gent".into(),
                    values: (0..15)
                        .map(|i| {
                            if i == 6 {
                                m(MissingCode::Unknown)
                            } else {
                                n(248000.0 + i as f64 * 1500.0)
                            }
                        })
                        .collect(),
                },
            ),
            (
                Some("11002".into()),
                Series {
                    name: "Antwerpen".into(),
                    values: (0..15)
                        .map(|i| n(252000.0 + (i as f64 * 0.7).sin() * 4000.0))
                        .collect(),
                },
            ),
            (
                None,
                Series {
                    name: "Referentie".into(),
                    values: (0..15).map(|i| n(245000.0 + i as f64 * 900.0)).collect(),
                },
            ),
        ],
        format: nl(0, "inwoners"),
        width: 640.0,
        height: 320.0,
    };
    save(&dir, "line", &line.svg());

    let pie = PieChart {
        id: "pie".into(),
        title: "Woningen".into(),
        description: "Verdeling".into(),
        slices: vec![
            ("Open bebouwing".into(), n(3400.0)),
            ("Halfopen".into(), n(2100.0)),
            ("Gesloten".into(), n(5200.0)),
            ("Appartement".into(), n(7300.0)),
            ("Andere".into(), m(MissingCode::Hidden)),
        ],
        ring: true,
        format: nl(0, ""),
        width: 560.0,
    };
    save(&dir, "pie", &pie.svg());

    let bands: Vec<String> = (0..18)
        .map(|i| {
            if i == 17 {
                "85+".into()
            } else {
                format!("{}-{}", i * 5, i * 5 + 4)
            }
        })
        .collect();
    let shape = |f: f64| {
        (0..18)
            .map(|i| n(f * (1.0 + (i as f64 / 4.0).sin() * 0.3) * (18 - i) as f64 / 18.0 * 4.0))
            .collect::<Vec<_>>()
    };
    let mut men = shape(1.0);
    men[17] = m(MissingCode::Hidden);
    let pyramid = Pyramid {
        id: "pyr".into(),
        title: "Leeftijdspiramide".into(),
        description: "Pyramide".into(),
        bands,
        left: Series {
            name: "Mannen".into(),
            values: men,
        },
        right: Series {
            name: "Vrouwen".into(),
            values: shape(1.05),
        },
        compare: Some((
            Series {
                name: "Gent".into(),
                values: shape(0.9),
            },
            Series {
                name: "Gent".into(),
                values: shape(0.95),
            },
        )),
        format: nl(1, "%"),
        width: 560.0,
    };
    save(&dir, "pyramid", &pyramid.svg());

    let scatter = Scatter {
        id: "sc".into(),
        title: "Inkomen en werkloosheid".into(),
        description: "Puntenwolk".into(),
        points: cats
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    c.clone(),
                    if i == 3 {
                        m(MissingCode::Hidden)
                    } else {
                        n(18000.0 + i as f64 * 1300.0)
                    },
                    n(14.0 - i as f64 * 0.8),
                )
            })
            .collect(),
        x_label: "Mediaan inkomen".into(),
        y_label: "Werkloosheid".into(),
        x_format: nl(0, "euro"),
        y_format: nl(1, "%"),
        highlight: vec!["W05".into()],
        width: 560.0,
        height: 380.0,
    };
    save(&dir, "scatter", &scatter.svg());

    let kf = KeyFigure {
        id: "kf".into(),
        title: "Werkloosheidsgraad".into(),
        value: n(7.25),
        format: nl(1, "%"),
        period: "2023".into(),
        comparison: Some(("Vlaanderen".into(), n(4.1))),
        change: Some(("t.o.v. 2015".into(), n(-1.24))),
        trend: vec![
            n(8.5),
            n(8.0),
            n(8.2),
            m(MissingCode::Unknown),
            n(7.6),
            n(7.25),
        ],
        interval: None,
        verdict: None,
    };
    save(&dir, "keyfigure", &kf.svg());
    save(
        &dir,
        "sparkline",
        &sparkline(&kf.trend, 120.0, 28.0, "Trend"),
    );

    let themes = [
        "Demografie",
        "Wonen",
        "Onderwijs en vorming",
        "Werk",
        "Welzijn",
    ];
    let ring = ProfileRing {
        id: "ring".into(),
        title: "Profiel van Ledeberg".into(),
        description: "Profieltaart".into(),
        slices: (0..24)
            .map(|i| RingSlice {
                theme: themes[i * themes.len() / 24].into(),
                label: format!("Indicator {i}"),
                code: format!("i{i}"),
                value: n(i as f64 * 3.3),
                score: if i % 7 == 3 {
                    None
                } else {
                    Some(((i * 13) % 9) as f64 / 2.0 - 2.0)
                },
                href: Some(format!("/indicator/i{i}")),
            })
            .collect(),
        locale: Locale::Nl,
        width: 560.0,
    };
    save(&dir, "ring", &ring.svg());

    // A small map of hexagon-ish cells.
    let mut items = Vec::new();
    for r in 0..8 {
        for c in 0..12 {
            let (x, y) = (
                3.0 + c as f64 * 0.2 + if r % 2 == 1 { 0.1 } else { 0.0 },
                51.0 + r as f64 * 0.11,
            );
            let ring: Vec<String> = (0..=6)
                .map(|k| {
                    let a =
                        (k % 6) as f64 / 6.0 * std::f64::consts::TAU + std::f64::consts::PI / 6.0;
                    format!("[{},{}]", x + 0.115 * a.cos(), y + 0.074 * a.sin())
                })
                .collect();
            items.push((
                format!("H{r}{c:02}"),
                format!("Cel {r}/{c}"),
                format!(
                    r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
                    ring.join(",")
                ),
            ));
        }
    }
    let (layer, _) = MapLayer::from_geojson(
        items
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())),
        640.0,
        0.5,
    );
    let mut values = HashMap::new();
    let mut nums = Vec::new();
    for (i, s) in layer.shapes.iter().enumerate() {
        let v = match i % 23 {
            5 => m(MissingCode::Hidden),
            9 => m(MissingCode::Unknown),
            14 => m(MissingCode::NotApplicable),
            20 => continue,
            _ => {
                let x = ((i * 37) % 100) as f64 / 2.0;
                nums.push(x);
                n(x)
            }
        };
        values.insert(s.code.clone(), v);
    }
    let classes = Classes::new(&nums, &Method::MeanStdDev, 5);
    let pal = palette::sequential(classes.len());
    let fmt = nl(1, "%");
    let sel = vec!["H305".to_string()];
    let spec = MapSpec {
        id: "map",
        title: "Kaart",
        description: "Kaart",
        layer: &layer,
        values: peil_render::MapValues::ByCode(&values),
        format: &fmt,
        classes: &classes,
        palette: &pal,
        selected: &sel,
        href: Some("/gebied/{code}"),
        view: None,
        legend: true,
        legend_title: "Aandeel (gemiddelde ± standaardafwijking)",
        notes: None,
        sprite: None,
    };
    save(&dir, "map", &choropleth(&spec));
    let zoom = MapSpec {
        id: "zoom",
        view: layer.bbox_of(&["H305", "H407"]),
        ..spec
    };
    save(&dir, "map_zoom", &choropleth(&zoom));
    save(
        &dir,
        "locator",
        &locator("loc", &layer, "H305", "Ligging van cel 3/5"),
    );
    // The real municipalities, when the shared data is beside the repository.
    let real = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/flanders/geo/wgs84/gemeente2024_wgs84.geojson");
    if let Ok(text) = std::fs::read_to_string(&real) {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let items: Vec<(String, String, String)> = v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["properties"]["gemeente"].as_str().unwrap().to_string(),
                    f["properties"]["naam"].as_str().unwrap().to_string(),
                    f["geometry"].to_string(),
                )
            })
            .collect();
        let (layer, _) = MapLayer::from_geojson(
            items
                .iter()
                .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())),
            800.0,
            0.5,
        );
        let mut values = HashMap::new();
        let mut nums = Vec::new();
        for (i, s) in layer.shapes.iter().enumerate() {
            let code: f64 = s.code.parse().unwrap_or(0.0);
            let v = match i % 41 {
                7 => m(MissingCode::Hidden),
                19 => m(MissingCode::Unknown),
                _ => {
                    let x = (code * 0.37) % 30.0 + (s.centroid.0 / 40.0);
                    nums.push(x);
                    n(x)
                }
            };
            values.insert(s.code.clone(), v);
        }
        let classes = Classes::new(&nums, &Method::NaturalBreaks, 6);
        let pal = palette::sequential(classes.len());
        let sel = vec!["44021".to_string()];
        let spec = MapSpec {
            id: "gem",
            title: "Gemeenten",
            description: "Gemeenten",
            layer: &layer,
            values: peil_render::MapValues::ByCode(&values),
            format: &fmt,
            classes: &classes,
            palette: &pal,
            selected: &sel,
            href: None,
            view: None,
            legend: true,
            legend_title: "Synthetische waarde (Jenks)",
            notes: None,
            sprite: None,
        };
        save(&dir, "map_real", &choropleth(&spec));
        save(
            &dir,
            "locator_real",
            &locator("loc", &layer, "44021", "Ligging van Gent"),
        );
    }
    println!("written to {}", dir.display());
}
