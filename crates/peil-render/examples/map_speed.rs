//! Times `choropleth()` on a layer of ~2,700 synthetic polygons of ~40 vertices each (the
//! size of Flanders' statistical sectors at city level).
//!
//! Run with `cargo run --release -p peil-render --example map_speed`.

use peil_core::{MissingCode, Value};
use peil_render::map::{MapLayer, MapSpec, choropleth, locator};
use peil_render::{Classes, Locale, Method, NumberFormat, palette};
use std::collections::HashMap;
use std::time::Instant;

fn main() {
    let (cols, rows) = (90, 30);
    let (lon0, lat0, dlon, dlat) = (2.55, 50.70, 3.3 / cols as f64, 0.8 / rows as f64);
    let mut items = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let (cx, cy) = (
                lon0 + (c as f64 + 0.5) * dlon,
                lat0 + (r as f64 + 0.5) * dlat,
            );
            let mut ring = Vec::with_capacity(41);
            for k in 0..40 {
                let a = k as f64 / 40.0 * std::f64::consts::TAU;
                // A lumpy blob filling most of its cell.
                let wobble = 0.85 + 0.15 * ((k * 7 + r * 3 + c) % 5) as f64 / 4.0;
                ring.push(format!(
                    "[{:.6},{:.6}]",
                    cx + 0.48 * dlon * wobble * a.cos(),
                    cy + 0.48 * dlat * wobble * a.sin()
                ));
            }
            ring.push(ring[0].clone());
            let geometry = format!(
                r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
                ring.join(",")
            );
            items.push((
                format!("S{r:02}{c:02}"),
                format!("Sector {r}-{c}"),
                geometry,
            ));
        }
    }
    let t = Instant::now();
    let (layer, skipped) = MapLayer::from_geojson(
        items
            .iter()
            .map(|(c, n, g)| (c.as_str(), n.as_str(), g.as_str())),
        1000.0,
        0.5,
    );
    let prep = t.elapsed();
    let path_bytes: usize = layer.shapes.iter().map(|s| s.d.len()).sum();
    println!(
        "layer: {} shapes ({} skipped), {:.0}×{:.0}, {} bytes of path data, prepared in {:.1} ms",
        layer.shapes.len(),
        skipped.len(),
        layer.width,
        layer.height,
        path_bytes,
        prep.as_secs_f64() * 1000.0
    );

    let mut values = HashMap::new();
    let mut numbers = Vec::new();
    for (i, s) in layer.shapes.iter().enumerate() {
        let v = match i % 50 {
            0 => Value::Missing(MissingCode::Hidden),
            1 => Value::Missing(MissingCode::Unknown),
            2 => Value::Missing(MissingCode::NotApplicable),
            3 => continue, // absent: no data
            _ => {
                let x = ((i * 37) % 1000) as f64 / 10.0;
                numbers.push(x);
                Value::Number(x)
            }
        };
        values.insert(s.code.clone(), v);
    }
    let classes = Classes::new(&numbers, &Method::MeanStdDev, 5);
    let pal = palette::sequential(classes.len());
    let format = NumberFormat::new(1, "%", Locale::Nl);
    let selected = vec![
        layer.shapes[100].code.clone(),
        layer.shapes[200].code.clone(),
    ];
    let spec = MapSpec {
        id: "map",
        title: "Synthetic map",
        description: "2,700 synthetic sectors",
        layer: &layer,
        values: peil_render::MapValues::ByCode(&values),
        format: &format,
        classes: &classes,
        palette: &pal,
        selected: &selected,
        href: Some("/sector/{code}"),
        view: None,
        legend: true,
        legend_title: "Aandeel",
        notes: None,
        sprite: None,
    };
    let mut bytes = choropleth(&spec).len();
    let runs = 100;
    let t = Instant::now();
    for _ in 0..runs {
        bytes = std::hint::black_box(choropleth(std::hint::black_box(&spec))).len();
    }
    let per = t.elapsed().as_secs_f64() * 1000.0 / runs as f64;
    println!("choropleth: {per:.3} ms per render, {bytes} bytes of SVG");
    let t = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(locator("loc", &layer, "S1545", "Ligging"));
    }
    println!(
        "locator: {:.3} ms per render",
        t.elapsed().as_secs_f64() * 1000.0 / runs as f64
    );
}
