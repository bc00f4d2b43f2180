//! Checks the demo city through its public API only: what the CLI and the store will see.

use geo_types::{Coord, LineString, Polygon};
use peil_core::{
    DataType, EdgeKind, Indicator, Lifecycle, MissingCode, Period, Value, Visibility, find_cycle,
    is_unknown_location_code,
};
use peil_demo::{CITY_BOX, DemoCity, DemoSeries, GEWEST, NIS, REGION_BOX, STATSEC, WIJK, build};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

fn city() -> &'static DemoCity {
    static CITY: OnceLock<DemoCity> = OnceLock::new();
    CITY.get_or_init(build)
}

fn indicator(code: &str) -> &'static Indicator {
    city()
        .metadata
        .indicators
        .iter()
        .find(|i| i.code == code)
        .unwrap_or_else(|| panic!("no indicator {code}"))
}

/// Values of a flat statsec indicator: (year, sector) → value.
fn flat(code: &str) -> BTreeMap<(i32, String), Value> {
    flat_at(code, STATSEC)
}

/// Values of a flat indicator loaded at a level: (year, item) → value.
fn flat_at(code: &str, level: &str) -> BTreeMap<(i32, String), Value> {
    city()
        .data
        .iter()
        .filter(|s| s.key.indicator == code && s.key.dims.is_empty() && s.key.level == level)
        .flat_map(|s| {
            s.values
                .iter()
                .map(move |(item, v)| ((s.key.period.year, item.clone()), *v))
        })
        .collect()
}

fn number(v: &Value) -> f64 {
    v.number()
        .unwrap_or_else(|| panic!("expected a number, got {v:?}"))
}

fn items(level: &str) -> Vec<&'static peil_core::GeoItem> {
    city()
        .areas
        .iter()
        .find(|a| a.level.code == level)
        .expect("level")
        .items
        .iter()
        .collect()
}

#[test]
fn build_is_deterministic() {
    let a = build();
    let b = city();
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

#[test]
fn sizes_are_as_promised() {
    let c = city();
    let count = |level: &str| items(level).iter().filter(|i| !i.unknown_location).count();
    assert!(
        (240..=260).contains(&count(STATSEC)),
        "{} sectors",
        count(STATSEC)
    );
    assert!((38..=42).contains(&count(WIJK)), "{} wijken", count(WIJK));
    assert_eq!(count("district"), 8);
    // The city and the municipalities around it in its region.
    assert_eq!(items("gemeente").len(), 7);
    assert_eq!(items(GEWEST).len(), 1);
    assert!(c.metadata.indicators.len() >= 60);
    let formulas = c
        .metadata
        .indicators
        .iter()
        .filter(|i| i.formula.is_some())
        .count();
    assert!(formulas >= 10, "{formulas} formulas");
    let years: BTreeSet<i32> = c
        .data
        .iter()
        .filter(|s| s.key.indicator == "v1101_t")
        .map(|s| s.key.period.year)
        .collect();
    assert!(years.len() >= 12);
    assert!(
        c.data
            .iter()
            .any(|s| s.key.period.level == peil_core::PeriodLevel::Quarter)
    );
    assert!((8..=25).contains(&c.metadata.themes.len()));
}

#[test]
fn codes_and_names_look_flemish() {
    for level in [STATSEC, WIJK, "district", "gemeente", GEWEST] {
        let list = items(level);
        let codes: BTreeSet<&str> = list.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(codes.len(), list.len(), "{level}: duplicate codes");
        let seqs: BTreeSet<i64> = list.iter().map(|i| i.seq).collect();
        assert_eq!(seqs.len(), list.len(), "{level}: duplicate seq");
        let names: BTreeSet<&str> = list
            .iter()
            .filter(|i| !i.unknown_location)
            .map(|i| i.name.as_str())
            .collect();
        assert_eq!(
            names.len(),
            list.iter().filter(|i| !i.unknown_location).count(),
            "{level}: duplicate names"
        );
        for i in &list {
            assert!(!i.short_name.is_empty() && !i.name.is_empty());
            assert!(i.short_name.chars().count() <= 30, "{}", i.short_name);
            assert_eq!(
                i.unknown_location,
                is_unknown_location_code(&i.code),
                "{}",
                i.code
            );
        }
    }
    for s in items(STATSEC) {
        assert_eq!(s.code.len(), 9, "{}", s.code);
        assert!(s.code.starts_with(NIS));
    }
    assert!(
        items(STATSEC)
            .iter()
            .any(|s| s.code == "46999ZZZZ" && s.unknown_location)
    );
    assert!(
        items(WIJK)
            .iter()
            .any(|w| w.code == "46999WONB" && w.unknown_location)
    );
    assert!(
        items(WIJK)
            .iter()
            .filter(|w| !w.unknown_location)
            .all(|w| w.code.len() == 7 && w.code.starts_with(NIS))
    );
    assert_eq!(items(GEWEST)[0].code, "2000");
    assert_eq!(items(GEWEST)[0].name, "Vlaams Gewest");
}

#[test]
fn hierarchy_is_a_dag_with_one_parent_per_level() {
    let c = city();
    let edges: Vec<(&str, &str)> = c
        .links
        .iter()
        .map(|l| (l.child_level.as_str(), l.parent_level.as_str()))
        .collect();
    assert!(find_cycle(edges.iter().copied()).is_none());
    for want in [
        ("statsec", "wijk"),
        ("wijk", "district"),
        ("district", "gemeente"),
        ("gemeente", "gewest"),
        ("statsec", "gemeente"),
    ] {
        assert!(edges.contains(&want), "{want:?}");
    }
    for l in &c.links {
        assert_eq!(l.kind, EdgeKind::Aggregation);
        let children: BTreeSet<&str> = items(&l.child_level)
            .iter()
            .map(|i| i.code.as_str())
            .collect();
        let parents: BTreeSet<&str> = items(&l.parent_level)
            .iter()
            .map(|i| i.code.as_str())
            .collect();
        let mut seen = BTreeMap::new();
        for (ch, p) in &l.links {
            assert!(
                children.contains(ch.as_str()) && parents.contains(p.as_str()),
                "{ch} → {p}"
            );
            assert!(
                seen.insert(ch.as_str(), p.as_str()).is_none(),
                "{ch} has two parents in {}",
                l.parent_level
            );
        }
        assert_eq!(
            seen.len(),
            children.len(),
            "{} → {}: every child has a parent",
            l.child_level,
            l.parent_level
        );
        // Unknown-location items roll up into unknown-location items (or the municipality).
        for (ch, p) in &l.links {
            if is_unknown_location_code(ch) && l.parent_level != "gemeente" {
                assert!(is_unknown_location_code(p), "{ch} → {p}");
            }
        }
    }
}

// --- geometry ---------------------------------------------------------------------------

fn parse_polygon(json: &str) -> Polygon<f64> {
    let v: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    assert_eq!(v["type"], "Polygon");
    let rings: Vec<LineString<f64>> = v["coordinates"]
        .as_array()
        .expect("rings")
        .iter()
        .map(|ring| {
            LineString(
                ring.as_array()
                    .expect("points")
                    .iter()
                    .map(|p| Coord {
                        x: p[0].as_f64().unwrap(),
                        y: p[1].as_f64().unwrap(),
                    })
                    .collect(),
            )
        })
        .collect();
    let mut rings = rings.into_iter();
    Polygon::new(rings.next().expect("exterior"), rings.collect())
}

fn signed_area(r: &LineString<f64>) -> f64 {
    r.0.windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum::<f64>()
        / 2.0
}

fn segments_cross(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> bool {
    let orient = |p: Coord<f64>, q: Coord<f64>, r: Coord<f64>| {
        (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x)
    };
    let (d1, d2, d3, d4) = (
        orient(c, d, a),
        orient(c, d, b),
        orient(a, b, c),
        orient(a, b, d),
    );
    ((d1 > 0.0) != (d2 > 0.0))
        && ((d3 > 0.0) != (d4 > 0.0))
        && d1 != 0.0
        && d2 != 0.0
        && d3 != 0.0
        && d4 != 0.0
}

/// Every ring closed, at least 4 points, no repeated points, no crossing edges, exterior
/// counter-clockwise and holes clockwise.
fn assert_valid(code: &str, poly: &Polygon<f64>) {
    let rings: Vec<&LineString<f64>> = std::iter::once(poly.exterior())
        .chain(poly.interiors())
        .collect();
    for (k, ring) in rings.iter().enumerate() {
        let pts = &ring.0;
        assert!(pts.len() >= 4, "{code}: ring with {} points", pts.len());
        assert_eq!(pts.first(), pts.last(), "{code}: ring not closed");
        let distinct: BTreeSet<(u64, u64)> = pts[1..]
            .iter()
            .map(|c| (c.x.to_bits(), c.y.to_bits()))
            .collect();
        assert_eq!(distinct.len(), pts.len() - 1, "{code}: repeated point");
        assert!(
            pts.windows(2).all(|w| w[0] != w[1]),
            "{code}: repeated consecutive point"
        );
        let area = signed_area(ring);
        assert!(
            if k == 0 { area > 0.0 } else { area < 0.0 },
            "{code}: ring {k} wrongly oriented"
        );
    }
    let segs: Vec<(Coord<f64>, Coord<f64>)> = rings
        .iter()
        .flat_map(|r| r.0.windows(2).map(|w| (w[0], w[1])))
        .collect();
    for i in 0..segs.len() {
        for j in i + 1..segs.len() {
            assert!(
                !segments_cross(segs[i].0, segs[i].1, segs[j].0, segs[j].1),
                "{code}: edges {i} and {j} cross"
            );
        }
    }
}

#[test]
fn geometry_is_valid_and_complete() {
    let c = city();
    for batch in &c.geometry {
        assert_eq!(batch.source_crs, "EPSG:4326");
        let located: BTreeSet<&str> = items(&batch.level)
            .iter()
            .filter(|i| !i.unknown_location)
            .map(|i| i.code.as_str())
            .collect();
        let with_shape: BTreeSet<&str> = batch.features.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(
            located, with_shape,
            "{}: every located item has one polygon, others none",
            batch.level
        );
        assert_eq!(with_shape.len(), batch.features.len());
        for f in &batch.features {
            for json in [&f.full, &f.web] {
                let poly = parse_polygon(json);
                assert_valid(&f.code, &poly);
                assert!(
                    poly.interiors().is_empty() || batch.level == GEWEST,
                    "{}: a hole",
                    f.code
                );
            }
            for number in f
                .full
                .split(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
                .filter(|s| s.contains('.'))
            {
                assert!(number.split('.').nth(1).unwrap().len() <= 6, "{number}");
            }
            let poly = parse_polygon(&f.full);
            let b = poly.exterior().0.iter().fold(
                [
                    f64::INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NEG_INFINITY,
                ],
                |[a, b, c, d], p| [a.min(p.x), b.min(p.y), c.max(p.x), d.max(p.y)],
            );
            assert_eq!(b, f.bbox, "{}: bbox", f.code);
            if batch.level != GEWEST {
                let neighbour = batch.level == "gemeente" && f.code != NIS;
                let [x0, y0, x1, y1] = if neighbour { REGION_BOX } else { CITY_BOX };
                assert!(
                    f.bbox[0] >= x0 && f.bbox[1] >= y0 && f.bbox[2] <= x1 && f.bbox[3] <= y1,
                    "{}: {:?}",
                    f.code,
                    f.bbox
                );
            }
        }
    }
}

#[test]
fn larger_areas_are_exact_unions_of_sectors() {
    let c = city();
    let area = |level: &str| -> BTreeMap<String, f64> {
        let batch = c.geometry.iter().find(|g| g.level == level).unwrap();
        batch
            .features
            .iter()
            .map(|f| {
                (
                    f.code.clone(),
                    signed_area(parse_polygon(&f.full).exterior()),
                )
            })
            .collect()
    };
    let sectors = area(STATSEC);
    for (level, parent_level) in [
        (STATSEC, WIJK),
        (STATSEC, "district"),
        (STATSEC, "gemeente"),
    ] {
        let links = &c
            .links
            .iter()
            .find(|l| l.child_level == level && l.parent_level == parent_level)
            .map(|l| l.links.clone())
            .unwrap_or_else(|| {
                // statsec → district goes through wijk.
                let sw = &c
                    .links
                    .iter()
                    .find(|l| l.child_level == STATSEC && l.parent_level == WIJK)
                    .unwrap()
                    .links;
                let wd: BTreeMap<&String, &String> = c
                    .links
                    .iter()
                    .find(|l| l.child_level == WIJK && l.parent_level == "district")
                    .unwrap()
                    .links
                    .iter()
                    .map(|(a, b)| (a, b))
                    .collect();
                sw.iter().map(|(s, w)| (s.clone(), wd[w].clone())).collect()
            });
        let mut sums: BTreeMap<String, f64> = BTreeMap::new();
        for (s, p) in links {
            if let Some(a) = sectors.get(s) {
                *sums.entry(p.clone()).or_default() += a;
            }
        }
        // The neighbouring municipalities have no sectors.
        let parents: BTreeMap<String, f64> = area(parent_level)
            .into_iter()
            .filter(|(code, _)| parent_level != "gemeente" || code == NIS)
            .collect();
        assert_eq!(sums.len(), parents.len());
        for (code, a) in parents {
            assert!(
                (sums[&code] - a).abs() < 1e-9,
                "{code}: {a} vs {}",
                sums[&code]
            );
        }
    }
}

// --- metadata -----------------------------------------------------------------------------

const FUNCTIONS: &[&str] = &[
    "cell",
    "data_from_period",
    "data_from_mrp",
    "threshold",
    "sqrt",
    "round",
    "abs",
    "min",
    "max",
];

/// Indicator codes a formula names, and the (cube, members) of its `cell()` calls.
fn references(formula: &str) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let mut names = Vec::new();
    let mut cells = Vec::new();
    // Take the cell() calls out first: their member arguments are raw codes, not names.
    let mut rest = formula;
    let mut outside_cells = String::new();
    while let Some(start) = rest.find("cell(") {
        let end = start + rest[start..].find(')').expect("closing parenthesis");
        let args: Vec<String> = rest[start + 5..end]
            .split(',')
            .map(|a| a.trim().to_string())
            .collect();
        names.push(args[0].clone());
        cells.push((args[0].clone(), args[1..].to_vec()));
        outside_cells.push_str(&rest[..start]);
        rest = &rest[end + 1..];
    }
    outside_cells.push_str(rest);
    // Drop string literals ("-1"), then every identifier that is not a function names an indicator.
    let without_strings: Vec<&str> = outside_cells.split('"').step_by(2).collect();
    for token in without_strings
        .join(" ")
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
    {
        if !token.is_empty()
            && !token.starts_with(|c: char| c.is_ascii_digit())
            && !FUNCTIONS.contains(&token)
        {
            names.push(token.to_string());
        }
    }
    (names, cells)
}

#[test]
fn metadata_is_complete_and_consistent() {
    let m = &city().metadata;
    let codes: BTreeSet<&str> = m.indicators.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(codes.len(), m.indicators.len(), "duplicate indicator codes");
    let themes: BTreeSet<&str> = m.themes.iter().map(|t| t.code.as_str()).collect();
    for t in &m.themes {
        assert!(
            t.parent.as_deref().is_none_or(|p| themes.contains(p)),
            "{}",
            t.code
        );
        assert!(t.name.0.contains_key("nl") && t.name.0.contains_key("en"));
    }
    assert!(
        m.themes.iter().filter(|t| t.parent.is_some()).count() >= 5,
        "sub-themes"
    );
    let members: BTreeMap<&str, BTreeSet<&str>> =
        m.dim_members.iter().fold(BTreeMap::new(), |mut acc, dm| {
            acc.entry(dm.level.as_str())
                .or_default()
                .insert(dm.code.as_str());
            acc
        });
    for i in &m.indicators {
        for lang in ["nl", "en"] {
            assert!(
                i.name
                    .0
                    .get(lang)
                    .is_some_and(|n| !n.is_empty() && n.chars().count() <= 100),
                "{}: name {lang}",
                i.code
            );
            assert!(
                i.description.0.get(lang).is_some_and(|n| !n.is_empty()),
                "{}: description {lang}",
                i.code
            );
        }
        assert!(!i.unit.is_empty() && !i.source.is_empty(), "{}", i.code);
        assert!(
            !i.themes.is_empty() && i.themes.iter().all(|t| themes.contains(t.as_str())),
            "{}",
            i.code
        );
        for (what, r) in i.metadata_references() {
            assert!(codes.contains(r), "{}: {what} {r} does not exist", i.code);
        }
        if i.threshold.is_some() {
            assert!(
                i.threshold_indicator.is_some() || i.formula.is_none(),
                "{}: a formula's threshold needs an indicator",
                i.code
            );
        }
        if matches!(
            i.data_type,
            DataType::Percentage | DataType::Ratio | DataType::Mean
        ) && i.period_type != peil_core::PeriodType::GrowthRate
            && !i.non_aggregable
        {
            assert!(
                i.aggregation_indicator.is_some(),
                "{}: needs an aggregation indicator",
                i.code
            );
        }
        if let Some(f) = &i.formula {
            let (names, cells) = references(f);
            assert!(!names.is_empty(), "{}", i.code);
            for n in &names {
                assert!(
                    codes.contains(n.as_str()),
                    "{}: formula names unknown {n}",
                    i.code
                );
            }
            for (cube, args) in cells {
                let levels = &indicator(&cube).dim_levels;
                assert!(!levels.is_empty(), "{cube} is not a cube");
                for a in args {
                    let known = members.values().any(|set| set.contains(a.as_str()));
                    assert!(known, "{}: cell member {a} unknown", i.code);
                }
            }
            assert!(i.start_period.is_none() && i.end_period.is_none());
        } else {
            assert!(
                i.start_period.is_some() && i.end_period.is_some(),
                "{}: loaded indicator without periods",
                i.code
            );
        }
        for l in &i.dim_levels {
            assert!(
                members.contains_key(l.as_str()),
                "{}: dim level {l}",
                i.code
            );
        }
    }
    assert!(
        m.indicators
            .iter()
            .filter(|i| i.status == Lifecycle::Retiring)
            .count()
            >= 1
    );
    assert!(
        m.indicators
            .iter()
            .filter(|i| i.status == Lifecycle::Active)
            .count()
            > m.indicators.len() * 9 / 10
    );
    assert!(
        m.indicators
            .iter()
            .any(|i| i.visibility == Visibility::Restricted(vec!["stadsdiensten".into()]))
    );
    assert!(
        m.indicators
            .iter()
            .filter(|i| i.visibility == Visibility::Public)
            .count()
            > m.indicators.len() * 9 / 10
    );
    assert!(m.indicators.iter().any(|i| i.data_type == DataType::Mean
        && i.aggregation_indicator.as_deref() == Some("v_aangiften")));
    assert!(m.indicators.iter().any(|i| i.non_aggregable));
    assert!(
        m.indicators
            .iter()
            .any(|i| i.sample_indicator.is_some() && i.population_indicator.is_some())
    );
    assert!(m.indicators.iter().any(|i| {
        i.formula
            .as_deref()
            .is_some_and(|f| f.contains("threshold("))
    }));
    assert!(m.indicators.iter().any(|i| {
        i.formula
            .as_deref()
            .is_some_and(|f| f.contains("data_from_period("))
    }));
    // Dim links go from every fine age band to an existing coarse band.
    assert_eq!(m.dim_links.len(), members["leeftijd5"].len());
    for ((l, mm), (pl, pm)) in &m.dim_links {
        assert!(
            members[l.as_str()].contains(mm.as_str()) && members[pl.as_str()].contains(pm.as_str())
        );
    }
    let dims: BTreeSet<&str> = m.dimensions.iter().map(|d| d.code.as_str()).collect();
    assert!(
        m.dim_levels
            .iter()
            .all(|l| dims.contains(l.dimension.as_str()))
    );
}

#[test]
fn formula_references_parse_as_expected() {
    let (names, cells) =
        references(r#"cell(kubus_bevolking, 65+, v) / data_from_period(v1101_t, "-1") * 100"#);
    assert_eq!(names, vec!["kubus_bevolking", "v1101_t"]);
    assert_eq!(
        cells,
        vec![(
            "kubus_bevolking".to_string(),
            vec!["65+".to_string(), "v".to_string()]
        )]
    );
}

// --- data ---------------------------------------------------------------------------------

#[test]
fn every_series_is_loaded_data_of_a_known_indicator_and_level() {
    let c = city();
    let mut keys = BTreeSet::new();
    for s in &c.data {
        let i = indicator(&s.key.indicator);
        assert!(i.formula.is_none(), "{} is a formula but has data", i.code);
        assert!(keys.insert(s.key.clone()), "duplicate series {:?}", s.key);
        let level: BTreeSet<&str> = items(&s.key.level)
            .iter()
            .map(|i| i.code.as_str())
            .collect();
        let given: BTreeSet<&str> = s.values.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(given.len(), s.values.len(), "duplicate item in {:?}", s.key);
        if s.key.level == "gemeente" {
            // The neighbouring municipalities have figures of their own; the city only
            // where a source publishes its total (income), else it is its sectors' sum.
            let without_city: BTreeSet<&str> =
                level.iter().copied().filter(|c| *c != NIS).collect();
            assert!(
                given == level || given == without_city,
                "{:?} covers every municipality: {given:?}",
                s.key
            );
        } else {
            assert_eq!(given, level, "{:?} covers every item of its level", s.key);
        }
        let dim_levels: Vec<&str> = s.key.dims.0.iter().map(|(l, _)| l.as_str()).collect();
        let mut want: Vec<&str> = i.dim_levels.iter().map(String::as_str).collect();
        want.sort();
        assert_eq!(dim_levels, want, "{:?}", s.key);
        assert!(i.start_period.unwrap() <= s.key.period && s.key.period <= i.end_period.unwrap());
        for (_, v) in &s.values {
            if let Value::Number(n) = v {
                assert!(n.is_finite() && *n >= 0.0, "{:?}: {n}", s.key);
            }
        }
    }
}

#[test]
fn population_adds_up() {
    let total = flat("v1101_t");
    let men = flat("v1101_m");
    let women = flat("v1101_v");
    let mut cube: BTreeMap<(i32, String), (f64, f64)> = BTreeMap::new();
    for s in city()
        .data
        .iter()
        .filter(|s| s.key.indicator == "kubus_bevolking" && s.key.level == STATSEC)
    {
        let male = s
            .key
            .dims
            .0
            .iter()
            .any(|(l, m)| l == "geslacht" && m == "m");
        for (item, v) in &s.values {
            let e = cube.entry((s.key.period.year, item.clone())).or_default();
            if male {
                e.0 += number(v)
            } else {
                e.1 += number(v)
            }
        }
    }
    assert_eq!(cube.len(), total.len());
    for (k, t) in &total {
        let t = number(t);
        assert_eq!(number(&men[k]) + number(&women[k]), t, "{k:?}");
        assert_eq!(cube[k].0 + cube[k].1, t, "cube total {k:?}");
        assert_eq!(cube[k].0, number(&men[k]), "cube men {k:?}");
    }
    // Demographic balance: next year = this year + births − deaths + in − out.
    let (births, deaths, ins, outs) = (
        flat("v_geboorten"),
        flat("v_sterften"),
        flat("v_verhuis_in"),
        flat("v_verhuis_uit"),
    );
    for ((year, item), b) in &births {
        let next = number(&total[&(year + 1, item.clone())]);
        let k = (*year, item.clone());
        assert_eq!(
            number(&total[&k]) + number(b) - number(&deaths[&k]) + number(&ins[&k])
                - number(&outs[&k]),
            next,
            "{k:?}"
        );
    }
    // Realistic sizes: residential sectors hold 200–4000 people, and a handful are tiny.
    let latest: Vec<f64> = total
        .iter()
        .filter(|((y, _), _)| *y == 2025)
        .map(|(_, v)| number(v))
        .collect();
    assert!(latest.iter().all(|&p| p <= 4500.0));
    assert!(
        latest
            .iter()
            .filter(|&&p| (200.0..=4000.0).contains(&p))
            .count()
            > latest.len() * 9 / 10
    );
    assert!(
        latest.iter().filter(|&&p| p < 15.0).count() >= 5,
        "tiny sectors so thresholds bite"
    );
    let city_2013: f64 = total
        .iter()
        .filter(|((y, _), _)| *y == 2013)
        .map(|(_, v)| number(v))
        .sum();
    let city_2025: f64 = latest.iter().sum();
    assert!(
        city_2025 > city_2013 && city_2025 < city_2013 * 1.15,
        "{city_2013} → {city_2025}"
    );
    assert!(number(&total[&(2025, "46999ZZZZ".to_string())]) <= 20.0);
}

#[test]
fn neighbouring_municipalities_add_up_and_differ_from_the_city() {
    let total = flat_at("v1101_t", "gemeente");
    let (men, women) = (
        flat_at("v1101_m", "gemeente"),
        flat_at("v1101_v", "gemeente"),
    );
    let neighbours: BTreeSet<&str> = items("gemeente")
        .iter()
        .map(|i| i.code.as_str())
        .filter(|c| *c != NIS)
        .collect();
    assert!(neighbours.len() >= 4, "{neighbours:?}");
    let loaded: BTreeSet<&str> = total.keys().map(|(_, c)| c.as_str()).collect();
    assert_eq!(
        loaded, neighbours,
        "the city's population comes from its sectors"
    );
    let mut cube: BTreeMap<(i32, String), f64> = BTreeMap::new();
    for s in city()
        .data
        .iter()
        .filter(|s| s.key.indicator == "kubus_bevolking" && s.key.level == "gemeente")
    {
        for (item, v) in &s.values {
            *cube.entry((s.key.period.year, item.clone())).or_default() += number(v);
        }
    }
    let (births, deaths, ins, outs) = (
        flat_at("v_geboorten", "gemeente"),
        flat_at("v_sterften", "gemeente"),
        flat_at("v_verhuis_in", "gemeente"),
        flat_at("v_verhuis_uit", "gemeente"),
    );
    for (k, t) in &total {
        let t = number(t);
        assert_eq!(number(&men[k]) + number(&women[k]), t, "{k:?}");
        assert_eq!(cube[k], t, "cube {k:?}");
        if let Some(b) = births.get(k) {
            let next = number(&total[&(k.0 + 1, k.1.clone())]);
            assert_eq!(
                t + number(b) - number(&deaths[k]) + number(&ins[k]) - number(&outs[k]),
                next,
                "{k:?}"
            );
        }
    }
    // Towns and villages of 5,000 to 40,000 inhabitants: together a good part of the
    // region, so its figures are not the city's.
    let city_pop: f64 = flat("v1101_t")
        .iter()
        .filter(|((y, _), _)| *y == 2025)
        .map(|(_, v)| number(v))
        .sum();
    let around: Vec<f64> = total
        .iter()
        .filter(|((y, _), _)| *y == 2025)
        .map(|(_, v)| number(v))
        .collect();
    assert!(
        around.iter().all(|p| (5000.0..=40000.0).contains(p)),
        "{around:?}"
    );
    let sum: f64 = around.iter().sum();
    assert!(sum > city_pop / 5.0, "{sum} around a city of {city_pop}");
}

#[test]
fn households_housing_income_are_consistent() {
    let pop = flat("v1101_t");
    let (hh, hh_pers, single, kids) = (
        flat("v_hh_t"),
        flat("v_hh_pers"),
        flat("v_hh_alleen"),
        flat("v_hh_kind"),
    );
    let (won, occupied, owner) = (flat("v_won_t"), flat("v_won_bewoond"), flat("v_won_eig"));
    for (k, h) in &hh {
        let Value::Number(h) = h else { continue };
        assert!(
            *h <= number(&hh_pers[k]) && number(&hh_pers[k]) <= number(&pop[k]),
            "{k:?}"
        );
        assert!(number(&single[k]) + number(&kids[k]) <= *h, "{k:?}");
        assert!(
            number(&occupied[k]) <= number(&won[k]) && number(&owner[k]) <= number(&occupied[k]),
            "{k:?}"
        );
    }
    let (decl, total, mean) = (
        flat("v_aangiften"),
        flat("v_inkomen_tot"),
        flat("v_inkomen_gem"),
    );
    let mut hidden = 0;
    for (k, d) in &decl {
        let d = number(d);
        assert!(d <= number(&pop[k]));
        match (total[k], mean[k]) {
            (Value::Number(t), Value::Number(m)) => {
                assert!(d >= 5.0);
                assert!((t - m * d).abs() <= d, "{k:?}: total {t} vs mean {m} × {d}");
                assert!((15_000.0..80_000.0).contains(&m), "{k:?}: mean {m}");
            }
            (_, Value::Missing(MissingCode::Hidden)) => {
                assert!(d < 5.0);
                hidden += 1;
            }
            (_, Value::Missing(MissingCode::NotApplicable)) => assert_eq!(d, 0.0),
            other => panic!("{k:?}: {other:?}"),
        }
    }
    assert!(
        hidden > 0,
        "some sectors have income suppressed by the source"
    );
    // Income grows about 2–3 % a year city-wide.
    let city = |y: i32| {
        let t: f64 = total
            .iter()
            .filter(|((yy, _), v)| *yy == y && v.number().is_some())
            .map(|(_, v)| number(v))
            .sum();
        let d: f64 = decl
            .iter()
            .filter(|((yy, i), _)| *yy == y && total[&(y, i.clone())].number().is_some())
            .map(|(_, v)| number(v))
            .sum();
        t / d
    };
    let growth = (city(2023) / city(2013) - 1.0) / 10.0;
    assert!((0.015..0.04).contains(&growth), "{growth}");
}

#[test]
fn missing_codes_and_small_counts_occur() {
    let c = city();
    let all: Vec<&Value> = c
        .data
        .iter()
        .flat_map(|s| s.values.iter().map(|(_, v)| v))
        .collect();
    for code in [
        MissingCode::Unknown,
        MissingCode::Hidden,
        MissingCode::NotApplicable,
    ] {
        assert!(all.iter().any(|v| **v == Value::Missing(code)), "{code:?}");
    }
    // Values below their indicator's threshold exist, so suppression has work to do.
    let thresholded: BTreeMap<&str, f64> = c
        .metadata
        .indicators
        .iter()
        .filter(|i| i.formula.is_none() && i.threshold_indicator.is_none())
        .filter_map(|i| i.threshold.map(|t| (i.code.as_str(), t)))
        .collect();
    assert!(!thresholded.is_empty());
    for (code, t) in thresholded {
        let small = c
            .data
            .iter()
            .filter(|s| s.key.indicator == code)
            .flat_map(|s| &s.values)
            .filter(|(_, v)| v.number().is_some_and(|n| n > 0.0 && n < t))
            .count();
        assert!(small > 0, "{code}: no value below the threshold");
    }
    // Solar panels start later than the population.
    let first = |code: &str| {
        c.data
            .iter()
            .filter(|s| s.key.indicator == code)
            .map(|s| s.key.period)
            .min()
            .unwrap()
    };
    assert_eq!(first("v_pv_install"), Period::year(2016));
    assert_eq!(first("v1101_t"), Period::year(2013));
}

#[test]
fn survey_lives_on_wijk_level_with_its_sample_sizes() {
    let c = city();
    let survey: Vec<&DemoSeries> = c
        .data
        .iter()
        .filter(|s| s.key.indicator.starts_with("vs"))
        .collect();
    assert!(!survey.is_empty());
    // The city's results per wijk; the neighbouring municipalities' as a whole.
    assert!(
        survey
            .iter()
            .all(|s| s.key.level == WIJK || s.key.level == "gemeente")
    );
    for s in survey
        .iter()
        .filter(|s| !s.key.indicator.ends_with("_n") && s.key.indicator != "vs_pop")
    {
        let i = indicator(&s.key.indicator);
        let n_code = i.sample_indicator.as_deref().expect("sample indicator");
        let n = survey
            .iter()
            .find(|t| {
                t.key.indicator == n_code
                    && t.key.period == s.key.period
                    && t.key.level == s.key.level
            })
            .expect("sample series");
        for ((item, v), (item2, nv)) in s.values.iter().zip(&n.values) {
            assert_eq!(item, item2);
            if let Value::Number(p) = v {
                assert!((0.0..=100.0).contains(p));
                assert!(number(nv) >= 30.0, "{item}: shown with n = {nv:?}");
            }
        }
    }
}
