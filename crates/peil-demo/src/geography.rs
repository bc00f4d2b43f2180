//! The city's geography: sectors, wijken and districts with Flemish codes and names, the
//! aggregation tables between them, and their polygons.
//!
//! The layout is a roundish blob of grid cells (one cell = one statistical sector). The
//! historic centre is one district: the cells nearest the middle. The ring around it is cut
//! into seven wedge-like districts, and every district into about five wijken, by recursive
//! bisection. A cut is accepted only if both sides are *simple areas*: one boundary ring, no
//! holes, no cells touching only at a corner (checked with the same exact union code that
//! draws the polygons). So every area item is one contiguous polygon by construction.

use crate::geometry::{self, COLS, Cell, Grid, ROWS};
use crate::names::{self, CITY, COMPASS, DISTRICTS, NameBook};
use crate::rng::Rng;
use peil_core::{AreaBatch, EdgeKind, GeoItem, GeoLevel, GeoLevelKind, GeometryBatch, LinkBatch};
use std::collections::{BTreeMap, BTreeSet};

/// The fictional municipality's NIS code: real Flemish NIS5 codes end well below 999
/// within a province, so `46999` cannot collide with one.
pub const NIS: &str = "46999";
/// The Flemish Region's code.
pub const GEWEST_CODE: &str = "2000";

pub const STATSEC: &str = "statsec";
pub const WIJK: &str = "wijk";
pub const DISTRICT: &str = "district";
pub const GEMEENTE: &str = "gemeente";
pub const GEWEST: &str = "gewest";

/// What a sector is like; it drives its name and all its statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The historic centre: dense, young, many small households.
    Centre,
    /// The 19th/20th-century belt around it.
    Urban,
    /// Villages and allotments at the edge.
    Suburban,
    /// A development area that grows fast until about 2020.
    NewBuild,
    /// Industrial estate: jobs, almost no residents.
    Industrial,
    /// Park or nature area: almost no residents.
    Park,
    /// The `ZZZZ` sector: residents without a known address in the city.
    Unknown,
}

pub(crate) struct Sector {
    pub code: String,
    pub name: String,
    /// `None` for the unknown-location sector.
    pub cell: Option<Cell>,
    pub wijk: usize,
    pub kind: Kind,
    /// Has a residential care centre (its residents live in a collective household).
    pub care_home: bool,
    pub area_km2: f64,
}

pub(crate) struct Wijk {
    pub code: String,
    pub name: String,
    pub district: usize,
    pub sectors: Vec<usize>,
    pub unknown: bool,
}

pub(crate) struct District {
    pub code: String,
    pub short_name: String,
    pub wijken: Vec<usize>,
    pub unknown: bool,
}

/// A municipality of the region around the city: on the map and with figures at
/// municipality level only, so the region's figures are not the city's own.
pub(crate) struct Neighbour {
    pub code: String,
    pub name: String,
    pub polygon: geo_types::Polygon<f64>,
    pub area_km2: f64,
    /// Sectors that are simulated like the city's and added up into the municipality's
    /// figures; they are not areas of the site.
    pub sectors: Vec<Sector>,
}

/// A neighbouring municipality's NIS code, name, and how many sectors of each kind it has.
type Neighbourhood = (&'static str, &'static str, &'static [(Kind, usize)]);

/// The neighbouring municipalities (names that belong to no Belgian municipality, NIS
/// codes that no real one has) and the kinds of sectors they are made of: a small town
/// and villages, greener and older than the city.
const NEIGHBOURS: [Neighbourhood; 6] = [
    (
        "46991",
        "Ravelsdonk",
        &[
            (Kind::Centre, 3),
            (Kind::Urban, 8),
            (Kind::Suburban, 12),
            (Kind::Industrial, 2),
            (Kind::Park, 1),
        ],
    ),
    (
        "46992",
        "Heidebeke",
        &[(Kind::Suburban, 16), (Kind::Urban, 3), (Kind::Park, 2)],
    ),
    (
        "46993",
        "Wastelhove",
        &[
            (Kind::Suburban, 22),
            (Kind::NewBuild, 2),
            (Kind::Industrial, 1),
        ],
    ),
    (
        "46994",
        "Broekzele",
        &[(Kind::Suburban, 14), (Kind::Urban, 2), (Kind::Park, 1)],
    ),
    (
        "46995",
        "Haverdijk",
        &[
            (Kind::Urban, 5),
            (Kind::Suburban, 18),
            (Kind::Industrial, 3),
        ],
    ),
    (
        "46996",
        "Lovendonk",
        &[(Kind::Suburban, 12), (Kind::Park, 2)],
    ),
];

pub(crate) struct Layout {
    pub sectors: Vec<Sector>,
    pub wijken: Vec<Wijk>,
    pub districts: Vec<District>,
    pub neighbours: Vec<Neighbour>,
    grid: Grid,
}

impl Layout {
    pub(crate) fn new() -> Layout {
        let grid = Grid::jittered(&mut Rng::keyed(&["grid"]));
        let region = outline(&mut Rng::keyed(&["outline"]));
        let mut rng = Rng::keyed(&["partition"]);
        let mut wijk_counts = vec![4, 5, 5, 5, 5, 5, 5, 6];
        rng.shuffle(&mut wijk_counts);

        // District 1 is the historic core: the cells nearest the middle. The other districts
        // share the ring around it and are numbered clockwise from north, as cities do.
        let centre = centroid(&region);
        let total: usize = wijk_counts.iter().sum();
        let core_size = ((region.len() * wijk_counts[0]) as f64 / total as f64).round() as usize;
        let mut by_distance = region.clone();
        by_distance.sort_by(|a, b| {
            dist2(cell_centre(*a), centre)
                .total_cmp(&dist2(cell_centre(*b), centre))
                .then(a.cmp(b))
        });
        let (core, ring) = by_distance.split_at(core_size);
        assert!(geometry::is_simple_area(core));
        let mut districts: Vec<(Vec<Cell>, usize)> = vec![(core.to_vec(), wijk_counts[0])];
        districts.extend(
            split(ring, &wijk_counts[1..], centre)
                .into_iter()
                .zip(wijk_counts[1..].iter().copied()),
        );
        districts[1..].sort_by(|a, b| {
            clockwise(centroid(&a.0), centre).total_cmp(&clockwise(centroid(&b.0), centre))
        });

        let mut layout = Layout {
            sectors: Vec::new(),
            wijken: Vec::new(),
            districts: Vec::new(),
            neighbours: Vec::new(),
            grid,
        };
        for (d, (cells, n_wijken)) in districts.iter().enumerate() {
            let mut parts = split(cells, &vec![1; *n_wijken], centre);
            for part in &mut parts {
                part.sort_by_key(|&(c, r)| (-r, c));
            }
            parts.sort_by_key(|p| (-p[0].1, p[0].0));
            let mut wijk_ids = Vec::new();
            for part in parts {
                assert!(
                    part.len() <= 10,
                    "sector codes leave one digit per sector in a wijk"
                );
                let w = layout.wijken.len();
                wijk_ids.push(w);
                let mut sector_ids = Vec::new();
                for cell in part {
                    sector_ids.push(layout.sectors.len());
                    layout.sectors.push(Sector {
                        code: String::new(),
                        name: String::new(),
                        cell: Some(cell),
                        wijk: w,
                        kind: Kind::Suburban,
                        care_home: false,
                        area_km2: 0.0,
                    });
                }
                layout.wijken.push(Wijk {
                    code: format!("{NIS}{:02}", w + 1),
                    name: String::new(),
                    district: d,
                    sectors: sector_ids,
                    unknown: false,
                });
            }
            layout.districts.push(District {
                code: format!("{NIS}D{}", d + 1),
                short_name: DISTRICTS[d].to_string(),
                wijken: wijk_ids,
                unknown: false,
            });
        }
        layout.assign_kinds(centre);
        layout.assign_names_and_codes();
        layout.add_unknown_location();
        for s in &mut layout.sectors {
            if let Some(cell) = s.cell {
                s.area_km2 = geometry::area_km2(&layout.grid.polygon(&[cell]));
            }
        }
        layout.add_neighbours();
        layout
    }

    /// The municipalities around the city: slices of a ring around its outline, each made
    /// of virtual sectors of the kinds in [`NEIGHBOURS`].
    fn add_neighbours(&mut self) {
        let cells: Vec<Cell> = self.sectors.iter().filter_map(|s| s.cell).collect();
        let city = self.grid.polygon(&cells);
        let slices = geometry::ring_around(&city, NEIGHBOURS.len(), 1.9);
        assert_eq!(slices.len(), NEIGHBOURS.len(), "one slice per neighbour");
        for ((code, name, kinds), polygon) in NEIGHBOURS.iter().zip(slices) {
            let mut sectors = Vec::new();
            for &(kind, count) in kinds.iter() {
                for _ in 0..count {
                    let k = sectors.len();
                    sectors.push(Sector {
                        code: format!("{code}V{k:02}"),
                        name: String::new(),
                        cell: None,
                        wijk: 0,
                        kind,
                        care_home: kind == Kind::Suburban && k % 9 == 4,
                        area_km2: 0.0,
                    });
                }
            }
            self.neighbours.push(Neighbour {
                code: code.to_string(),
                name: name.to_string(),
                area_km2: geometry::area_km2(&polygon),
                polygon,
                sectors,
            });
        }
    }

    /// Distance rings make the centre, the urban belt and the suburbs; then a few sectors
    /// become industrial estates (in two clusters at the edge), parks and development areas.
    fn assign_kinds(&mut self, centre: (f64, f64)) {
        for s in &mut self.sectors {
            let d = dist2(cell_centre(s.cell.expect("grid sector")), centre).sqrt();
            s.kind = if d < 2.8 {
                Kind::Centre
            } else if d < 6.0 {
                Kind::Urban
            } else {
                Kind::Suburban
            };
        }
        let by_cell: BTreeMap<Cell, usize> = self
            .sectors
            .iter()
            .enumerate()
            .map(|(i, s)| (s.cell.expect("grid sector"), i))
            .collect();
        let mut rng = Rng::keyed(&["kinds"]);
        let of_kind = |sectors: &[Sector], k: Kind| -> Vec<usize> {
            (0..sectors.len())
                .filter(|&i| sectors[i].kind == k)
                .collect()
        };

        let suburban = of_kind(&self.sectors, Kind::Suburban);
        let seed1 = *rng.pick(&suburban);
        let centres: Vec<(f64, f64)> = self
            .sectors
            .iter()
            .map(|s| cell_centre(s.cell.expect("grid sector")))
            .collect();
        let at = |i: usize| centres[i];
        let far: Vec<usize> = suburban
            .iter()
            .copied()
            .filter(|&i| dist2(at(i), at(seed1)) >= 64.0)
            .collect();
        let seed2 = *rng.pick(&far);
        for (seed, size) in [(seed1, 3), (seed2, 4)] {
            let mut zone = vec![seed];
            let mut k = 0;
            while zone.len() < size && k < zone.len() {
                let (c, r) = self.sectors[zone[k]].cell.expect("grid sector");
                for n in [(c + 1, r), (c - 1, r), (c, r + 1), (c, r - 1)] {
                    if let Some(&i) = by_cell.get(&n)
                        && zone.len() < size
                        && self.sectors[i].kind == Kind::Suburban
                        && !zone.contains(&i)
                    {
                        zone.push(i);
                    }
                }
                k += 1;
            }
            for i in zone {
                self.sectors[i].kind = Kind::Industrial;
            }
        }

        // The city park lies just outside the centre; three nature areas lie at the edge.
        let urban = of_kind(&self.sectors, Kind::Urban);
        let park = *urban
            .iter()
            .min_by(|&&a, &&b| dist2(at(a), centre).total_cmp(&dist2(at(b), centre)))
            .expect("an urban belt");
        self.sectors[park].kind = Kind::Park;
        let mut suburban = of_kind(&self.sectors, Kind::Suburban);
        rng.shuffle(&mut suburban);
        for &i in &suburban[..3] {
            self.sectors[i].kind = Kind::Park;
        }
        let mut urban = of_kind(&self.sectors, Kind::Urban);
        rng.shuffle(&mut urban);
        for &i in &urban[..3] {
            self.sectors[i].kind = Kind::NewBuild;
        }
        let mut residential: Vec<usize> = (0..self.sectors.len())
            .filter(|&i| {
                matches!(
                    self.sectors[i].kind,
                    Kind::Centre | Kind::Urban | Kind::Suburban
                )
            })
            .collect();
        rng.shuffle(&mut residential);
        for &i in &residential[..8] {
            self.sectors[i].care_home = true;
        }
    }

    /// Names follow the habits of Statbel's sector names: the first sector of a wijk carries
    /// the wijk's name, neighbours get compass variants (`Kerkveld-Noord`) or names of their
    /// own; estates and parks say what they are.
    fn assign_names_and_codes(&mut self) {
        let mut rng = Rng::keyed(&["names"]);
        let mut book = NameBook::new(&mut rng);
        let (mut n_works, mut n_parks) = (0, 0);
        for w in 0..self.wijken.len() {
            let ids = self.wijken[w].sectors.clone();
            let central = ids
                .iter()
                .filter(|&&i| self.sectors[i].kind == Kind::Centre)
                .count()
                * 2
                > ids.len();
            let wijk_name = if central {
                book.central()
            } else {
                book.compound()
            };
            let cells: Vec<Cell> = ids
                .iter()
                .map(|&i| self.sectors[i].cell.expect("grid sector"))
                .collect();
            let middle = centroid(&cells);
            let mut first_done = false;
            let mut compass_used = BTreeSet::new();
            for &i in &ids {
                let s = &self.sectors[i];
                let name = match s.kind {
                    Kind::Industrial => {
                        n_works += 1;
                        book.works(n_works - 1)
                    }
                    Kind::Park => {
                        n_parks += 1;
                        book.park(n_parks - 1)
                    }
                    _ if !first_done => {
                        first_done = true;
                        wijk_name.clone()
                    }
                    kind => {
                        let dir = compass(cell_centre(s.cell.expect("grid sector")), middle);
                        let variant = format!("{wijk_name}-{dir}");
                        if rng.chance(0.6) && compass_used.insert(dir) && book.claim(&variant) {
                            variant
                        } else if kind == Kind::Centre {
                            book.central()
                        } else {
                            book.compound()
                        }
                    }
                };
                self.sectors[i].name = name;
            }
            self.wijken[w].name = wijk_name;
        }
        // Sector codes: NIS5 + section letter (one per district, like a deelgemeente) +
        // wijk digit + sector digit + `-`; development areas carry a split digit instead,
        // as sectors that were cut out of an older one do.
        for (d, district) in self.districts.iter().enumerate() {
            let letter = (b'A' + d as u8) as char;
            for (wi, &w) in district.wijken.iter().enumerate() {
                for (si, &i) in self.wijken[w].sectors.iter().enumerate() {
                    let tail = if self.sectors[i].kind == Kind::NewBuild {
                        '1'
                    } else {
                        '-'
                    };
                    self.sectors[i].code = format!("{NIS}{letter}{wi}{si}{tail}");
                }
            }
        }
    }

    /// The unknown-location sector counts in the city's totals but has no place: it gets
    /// its own wijk and district so that every sector has exactly one parent on each level.
    fn add_unknown_location(&mut self) {
        let (s, w, d) = (self.sectors.len(), self.wijken.len(), self.districts.len());
        self.sectors.push(Sector {
            code: format!("{NIS}ZZZZ"),
            name: "Niet te lokaliseren".to_string(),
            cell: None,
            wijk: w,
            kind: Kind::Unknown,
            care_home: false,
            area_km2: 0.0,
        });
        self.wijken.push(Wijk {
            code: format!("{NIS}WONB"),
            name: "Wijk onbekend".to_string(),
            district: d,
            sectors: vec![s],
            unknown: true,
        });
        self.districts.push(District {
            code: format!("{NIS}DZZZZ"),
            short_name: "Onbekend".to_string(),
            wijken: vec![w],
            unknown: true,
        });
    }

    pub(crate) fn area_batches(&self) -> Vec<AreaBatch> {
        let level = |code: &str, name: &str| GeoLevel {
            code: code.to_string(),
            name: name.to_string(),
            kind: GeoLevelKind::Area,
        };
        let item = |seq: usize, code: &str, short: &str, name: &str, unknown: bool| GeoItem {
            code: code.to_string(),
            short_name: short.to_string(),
            name: name.to_string(),
            seq: seq as i64 + 1,
            unknown_location: unknown,
        };
        let district_name = |d: &District| {
            if d.unknown {
                "District niet te lokaliseren".to_string()
            } else {
                format!("District {}", d.short_name)
            }
        };
        vec![
            AreaBatch {
                level: level(STATSEC, "Statistische sector"),
                items: self
                    .sectors
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let unknown = s.kind == Kind::Unknown;
                        let short = if unknown {
                            "Onbekend".to_string()
                        } else {
                            names::short_name(&s.name)
                        };
                        item(i, &s.code, &short, &s.name, unknown)
                    })
                    .collect(),
            },
            AreaBatch {
                level: level(WIJK, "Wijk"),
                items: self
                    .wijken
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        let d = &self.districts[w.district];
                        let full = if w.unknown {
                            "Wijk niet te lokaliseren".to_string()
                        } else {
                            format!("{} ({})", w.name, d.short_name)
                        };
                        item(i, &w.code, &w.name, &full, w.unknown)
                    })
                    .collect(),
            },
            AreaBatch {
                level: level(DISTRICT, "District"),
                items: self
                    .districts
                    .iter()
                    .enumerate()
                    .map(|(i, d)| item(i, &d.code, &d.short_name, &district_name(d), d.unknown))
                    .collect(),
            },
            AreaBatch {
                level: level(GEMEENTE, "Gemeente"),
                items: std::iter::once(item(0, NIS, CITY, &format!("Stad {CITY}"), false))
                    .chain(self.neighbours.iter().enumerate().map(|(i, n)| {
                        item(
                            i + 1,
                            &n.code,
                            &n.name,
                            &format!("Gemeente {}", n.name),
                            false,
                        )
                    }))
                    .collect(),
            },
            AreaBatch {
                level: level(GEWEST, "Gewest"),
                items: vec![item(0, GEWEST_CODE, "Vlaanderen", "Vlaams Gewest", false)],
            },
        ]
    }

    /// Aggregation tables. Sectors roll up both through wijk and district and straight into
    /// the municipality, so the level hierarchy is a DAG, not a tree.
    pub(crate) fn link_batches(&self) -> Vec<LinkBatch> {
        let batch = |child: &str, parent: &str, links: Vec<(String, String)>| LinkBatch {
            child_level: child.to_string(),
            parent_level: parent.to_string(),
            kind: EdgeKind::Aggregation,
            links,
        };
        vec![
            batch(
                STATSEC,
                WIJK,
                self.sectors
                    .iter()
                    .map(|s| (s.code.clone(), self.wijken[s.wijk].code.clone()))
                    .collect(),
            ),
            batch(
                WIJK,
                DISTRICT,
                self.wijken
                    .iter()
                    .map(|w| (w.code.clone(), self.districts[w.district].code.clone()))
                    .collect(),
            ),
            batch(
                DISTRICT,
                GEMEENTE,
                self.districts
                    .iter()
                    .map(|d| (d.code.clone(), NIS.to_string()))
                    .collect(),
            ),
            batch(
                GEMEENTE,
                GEWEST,
                std::iter::once(NIS)
                    .chain(self.neighbours.iter().map(|n| n.code.as_str()))
                    .map(|code| (code.to_string(), GEWEST_CODE.to_string()))
                    .collect(),
            ),
            batch(
                STATSEC,
                GEMEENTE,
                self.sectors
                    .iter()
                    .map(|s| (s.code.clone(), NIS.to_string()))
                    .collect(),
            ),
        ]
    }

    /// Polygons of every item with a location; unknown-location items have none.
    pub(crate) fn geometry_batches(&self) -> Vec<GeometryBatch> {
        let cells_of_wijk = |w: &Wijk| -> Vec<Cell> {
            w.sectors
                .iter()
                .filter_map(|&i| self.sectors[i].cell)
                .collect()
        };
        let batch = |level: &str, features| GeometryBatch {
            level: level.to_string(),
            source_crs: "EPSG:4326".to_string(),
            features,
        };
        let all: Vec<Cell> = self.sectors.iter().filter_map(|s| s.cell).collect();
        vec![
            batch(
                STATSEC,
                self.sectors
                    .iter()
                    .filter_map(|s| {
                        s.cell
                            .map(|c| geometry::feature(&s.code, &self.grid.polygon(&[c])))
                    })
                    .collect(),
            ),
            batch(
                WIJK,
                self.wijken
                    .iter()
                    .filter(|w| !w.unknown)
                    .map(|w| geometry::feature(&w.code, &self.grid.polygon(&cells_of_wijk(w))))
                    .collect(),
            ),
            batch(
                DISTRICT,
                self.districts
                    .iter()
                    .filter(|d| !d.unknown)
                    .map(|d| {
                        let cells: Vec<Cell> = d
                            .wijken
                            .iter()
                            .flat_map(|&w| cells_of_wijk(&self.wijken[w]))
                            .collect();
                        geometry::feature(&d.code, &self.grid.polygon(&cells))
                    })
                    .collect(),
            ),
            batch(
                GEMEENTE,
                std::iter::once(geometry::feature(NIS, &self.grid.polygon(&all)))
                    .chain(
                        self.neighbours
                            .iter()
                            .map(|n| geometry::feature(&n.code, &n.polygon)),
                    )
                    .collect(),
            ),
            batch(
                GEWEST,
                vec![geometry::feature(GEWEST_CODE, &geometry::flanders())],
            ),
        ]
    }
}

fn cell_centre((c, r): Cell) -> (f64, f64) {
    (c as f64 + 0.5, r as f64 + 0.5)
}

fn centroid(cells: &[Cell]) -> (f64, f64) {
    let n = cells.len() as f64;
    let (x, y) = cells
        .iter()
        .map(|&c| cell_centre(c))
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    (x / n, y / n)
}

fn dist2(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1)
}

/// A pseudo-angle clockwise from north in [0, 4): monotone in the true angle, without atan2.
fn clockwise(p: (f64, f64), centre: (f64, f64)) -> f64 {
    let (dx, dy) = (p.0 - centre.0, p.1 - centre.1);
    let t = dy / (dx.abs() + dy.abs()).max(1e-12);
    if dx >= 0.0 { 1.0 - t } else { 3.0 + t }
}

fn compass(p: (f64, f64), centre: (f64, f64)) -> &'static str {
    let (dx, dy) = (p.0 - centre.0, p.1 - centre.1);
    match (dy.abs() >= dx.abs(), dy >= 0.0, dx >= 0.0) {
        (true, true, _) => COMPASS[0],
        (true, false, _) => COMPASS[2],
        (false, _, true) => COMPASS[1],
        (false, _, false) => COMPASS[3],
    }
}

/// A roundish city of about 250 cells: each row is one run of cells around a circle with a
/// wobbly edge; runs shrink monotonically away from the middle row, so the outline has no
/// notches deeper than a row.
fn outline(rng: &mut Rng) -> Vec<Cell> {
    let wobble: Vec<(f64, f64)> = (0..ROWS)
        .map(|_| (rng.range(-0.6, 0.6), rng.range(-0.6, 0.6)))
        .collect();
    let (mid_c, mid_r) = (COLS as f64 / 2.0, ROWS as f64 / 2.0);
    let runs_for = |radius: f64| -> Vec<(i32, i32)> {
        let mut runs: Vec<(i32, i32)> = (0..ROWS)
            .map(|j| {
                let dy = j as f64 + 0.5 - mid_r;
                if dy.abs() >= radius {
                    return (1, 0);
                }
                let half = (radius * radius - dy * dy).sqrt();
                let (wl, wr) = wobble[j as usize];
                let a = (mid_c - half + wl - 0.5).ceil().max(0.0) as i32;
                let b = ((mid_c + half + wr - 0.5).floor() as i32).min(COLS - 1);
                (a, b)
            })
            .collect();
        let pivot = (ROWS / 2) as usize;
        for j in (0..pivot).rev() {
            runs[j] = (runs[j].0.max(runs[j + 1].0), runs[j].1.min(runs[j + 1].1));
        }
        for j in pivot + 1..ROWS as usize {
            runs[j] = (runs[j].0.max(runs[j - 1].0), runs[j].1.min(runs[j - 1].1));
        }
        runs
    };
    let size = |runs: &[(i32, i32)]| runs.iter().map(|(a, b)| (b - a + 1).max(0)).sum::<i32>();
    let radius = (0..40)
        .map(|k| 8.4 + 0.025 * k as f64)
        .min_by_key(|&r| (size(&runs_for(r)) - 250).abs())
        .expect("candidates");
    runs_for(radius)
        .iter()
        .enumerate()
        .flat_map(|(j, &(a, b))| (a..=b).map(move |c| (c, j as i32)))
        .collect()
}

/// The orders in which [`split`] tries to cut a set of cells: straight cuts across columns
/// or rows (with a one-cell staircase step either way), and radial or ring-shaped cuts
/// around the city centre, which suit the wedges of the ring around the core.
#[derive(Clone, Copy)]
enum Order {
    Columns(bool),
    Rows(bool),
    Angle,
    Radius,
}

const ORDERS: [Order; 6] = [
    Order::Columns(false),
    Order::Columns(true),
    Order::Rows(false),
    Order::Rows(true),
    Order::Angle,
    Order::Radius,
];

fn sorted(cells: &[Cell], order: Order, centre: (f64, f64)) -> Vec<Cell> {
    let mut v = cells.to_vec();
    let flip = |x: i32, desc: bool| if desc { -x } else { x };
    match order {
        Order::Columns(desc) => v.sort_by_key(|&(c, r)| (c, flip(r, desc))),
        Order::Rows(desc) => v.sort_by_key(|&(c, r)| (r, flip(c, desc))),
        Order::Angle => v.sort_by(|a, b| {
            clockwise(cell_centre(*a), centre)
                .total_cmp(&clockwise(cell_centre(*b), centre))
                .then(a.cmp(b))
        }),
        Order::Radius => v.sort_by(|a, b| {
            dist2(cell_centre(*a), centre)
                .total_cmp(&dist2(cell_centre(*b), centre))
                .then(a.cmp(b))
        }),
    }
    v
}

/// Splits cells into one part per weight (a weight is a number of wijken), sized in
/// proportion to the weights, by recursive bisection. Every candidate cut takes a prefix of
/// one of the [`ORDERS`]; it is accepted only if both sides are simple areas and can still
/// hold 3–10 sectors per wijk. Among acceptable cuts, the one closest to the target size
/// with the shortest border wins (short borders make compact areas).
fn split(cells: &[Cell], weights: &[usize], centre: (f64, f64)) -> Vec<Vec<Cell>> {
    if weights.len() == 1 {
        return vec![cells.to_vec()];
    }
    let (wl, wr) = weights.split_at(weights.len() / 2);
    let total: usize = weights.iter().sum();
    let left: usize = wl.iter().sum();
    let right = total - left;
    let n = cells.len() as i64;
    let target = (n as f64 * left as f64 / total as f64).round() as i64;
    let fits = |k: i64| {
        (3 * left as i64..=10 * left as i64).contains(&k)
            && (3 * right as i64..=10 * right as i64).contains(&(n - k))
    };
    let orders: Vec<Vec<Cell>> = ORDERS.iter().map(|&o| sorted(cells, o, centre)).collect();
    let mut best: Option<(usize, Vec<Cell>, Vec<Cell>)> = None;
    let mut reach = (n / 10).max(2);
    while best.is_none() {
        assert!(reach <= 2 * n, "no valid cut for {n} cells");
        for delta in -reach..=reach {
            let k = target + delta;
            if !fits(k) {
                continue;
            }
            for order in &orders {
                let (a, b) = order.split_at(k as usize);
                if geometry::is_simple_area(a) && geometry::is_simple_area(b) {
                    let score = 2 * delta.unsigned_abs() as usize
                        + geometry::perimeter(a)
                        + geometry::perimeter(b);
                    if best.as_ref().is_none_or(|(s, _, _)| score < *s) {
                        best = Some((score, a.to_vec(), b.to_vec()));
                    }
                }
            }
        }
        reach *= 2;
    }
    let (_, a, b) = best.expect("found");
    let mut parts = split(&a, wl, centre);
    parts.extend(split(&b, wr, centre));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outline_is_roundish_and_simple() {
        let region = outline(&mut Rng::keyed(&["outline"]));
        assert!((240..=260).contains(&region.len()), "{}", region.len());
        assert!(geometry::is_simple_area(&region));
    }

    #[test]
    fn layout_nests_simple_areas() {
        let layout = Layout::new();
        let located: Vec<&Sector> = layout.sectors.iter().filter(|s| s.cell.is_some()).collect();
        assert!((240..=260).contains(&located.len()));
        assert_eq!(layout.districts.iter().filter(|d| !d.unknown).count(), 8);
        for d in layout.districts.iter().filter(|d| !d.unknown) {
            let mut district_cells = Vec::new();
            for &w in &d.wijken {
                let cells: Vec<Cell> = layout.wijken[w]
                    .sectors
                    .iter()
                    .filter_map(|&i| layout.sectors[i].cell)
                    .collect();
                assert!((3..=10).contains(&cells.len()) && geometry::is_simple_area(&cells));
                district_cells.extend(cells);
            }
            assert!(geometry::is_simple_area(&district_cells));
        }
        // The historic centre lies in district 1.
        for s in layout.sectors.iter().filter(|s| s.kind == Kind::Centre) {
            assert_eq!(layout.wijken[s.wijk].district, 0, "{}", s.code);
        }
    }
}
