//! Cubes with loaded marginals at several dimension levels and geo levels (issue 20, item 3):
//! every cell of a generated cube, on every level and period, against an independent
//! computation written here in plain loops, and `cell()` over it.
//!
//! The documented rule: the finest cells (one member of the finest declared level of each
//! dimension) are aggregated like counts — loaded finest cells win for their own cell and count
//! upward; every other cell is the sum of the finest cells beneath it, on every level and for
//! every period, unless a value is loaded for that very cell, which then wins there and feeds
//! nothing else.

use crate::common::*;
use peil_core::{DimKey, Indicator, Value};
use std::collections::{BTreeMap, BTreeSet};

const BANDS: [&str; 8] = [
    "0-4", "5-9", "10-19", "20-44", "45-64", "65-74", "75-84", "85+",
];
/// The coarse band of each 5-year band.
const BAND3: [&str; 8] = [
    "0-19", "0-19", "0-19", "20-64", "20-64", "65+", "65+", "65+",
];
const SEXES: [&str; 2] = ["m", "v"];
const SECTORS: usize = 12;

/// A value as the test sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum V {
    Num(f64),
    Hidden,
    Unknown,
    Nvt,
}

fn to_value(v: Option<V>) -> Value {
    match v {
        None => NONE,
        Some(V::Num(x)) => Value::Number(x),
        Some(V::Hidden) => HIDDEN,
        Some(V::Unknown) => UNKNOWN,
        Some(V::Nvt) => NA,
    }
}

fn text(v: Option<V>) -> String {
    match v {
        None => "_".into(),
        Some(V::Num(x)) => format!("{x}"),
        Some(V::Hidden) => "x".into(),
        Some(V::Unknown) => "?".into(),
        Some(V::Nvt) => "nvt".into(),
    }
}

/// A total over cells: `x` before `?` poison, empty and `nvt` are skipped, and a
/// total of nothing but `nvt` is `nvt`.
fn total(cells: impl IntoIterator<Item = Option<V>>) -> Option<V> {
    let (mut sum, mut nums, mut hidden, mut unknown, mut nvt) = (0.0, 0, false, false, false);
    for c in cells {
        match c {
            Some(V::Num(x)) => {
                sum += x;
                nums += 1;
            }
            Some(V::Hidden) => hidden = true,
            Some(V::Unknown) => unknown = true,
            Some(V::Nvt) => nvt = true,
            None => {}
        }
    }
    if hidden {
        Some(V::Hidden)
    } else if unknown {
        Some(V::Unknown)
    } else if nums > 0 {
        Some(V::Num(sum))
    } else if nvt {
        Some(V::Nvt)
    } else {
        None
    }
}

/// A small deterministic generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A finest cell: mostly a count, sometimes a code or no record.
    fn cell(&mut self) -> Option<V> {
        match self.below(100) {
            0..=3 => None,
            4..=5 => Some(V::Hidden),
            6..=8 => Some(V::Nvt),
            9 => Some(V::Unknown),
            _ => Some(V::Num(self.below(60) as f64)),
        }
    }
}

/// A cell coordinate: the age member (at `age5` or `age3`, or totalled) and the sex (or totalled).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Age {
    Band(usize),
    Band3(&'static str),
    All,
}

fn key(age: &Age, sex: Option<usize>) -> DimKey {
    let mut pairs = Vec::new();
    match age {
        Age::Band(b) => pairs.push(("age5".to_string(), BANDS[*b].to_string())),
        Age::Band3(g) => pairs.push(("age3".to_string(), g.to_string())),
        Age::All => {}
    }
    if let Some(s) = sex {
        pairs.push(("sex".to_string(), SEXES[s].to_string()));
    }
    DimKey::new(pairs)
}

fn covers(age: &Age, sex: Option<usize>, b: usize, s: usize) -> bool {
    let a = match age {
        Age::Band(x) => *x == b,
        Age::Band3(g) => BAND3[b] == *g,
        Age::All => true,
    };
    a && sex.is_none_or(|x| x == s)
}

fn all_cells() -> Vec<(Age, Option<usize>)> {
    let mut ages: Vec<Age> = (0..BANDS.len()).map(Age::Band).collect();
    let groups: BTreeSet<&'static str> = BAND3.iter().copied().collect();
    ages.extend(groups.into_iter().map(Age::Band3));
    ages.push(Age::All);
    let mut out = Vec::new();
    for a in ages {
        for s in [None, Some(0), Some(1)] {
            out.push((a, s));
        }
    }
    out
}

/// (level, item, period, cell) → loaded value.
type Loads = BTreeMap<(String, String, String, DimKey), Option<V>>;

struct Generated {
    wb: Wb,
    /// Every loaded value, finest cells and marginals alike.
    loads: Loads,
    sectors: Vec<String>,
    wijk_of: Vec<usize>,
    gemeente_of_wijk: Vec<usize>,
}

fn generate(seed: u64) -> Generated {
    let mut rng = Rng(seed);
    let sectors: Vec<String> = (0..SECTORS).map(|i| format!("S{i:02}")).collect();
    let wijk_of: Vec<usize> = (0..SECTORS).map(|i| i / 3).collect();
    let gemeente_of_wijk = vec![0, 0, 1, 1];
    let links: Vec<String> = sectors
        .iter()
        .zip(&wijk_of)
        .map(|(s, w)| format!("{s}>W{w}"))
        .collect();
    let mut wb = Wb::new()
        .level_items("statsec", &sectors)
        .level("wijk", "W0 W1 W2 W3")
        .level("gemeente", "G0 G1")
        .link("statsec", "wijk", &links.join(" "))
        .link("wijk", "gemeente", "W0>G0 W1>G0 W2>G1 W3>G1")
        // The coarse age level is declared with the cube, as a user must to load its marginals.
        .ind(Indicator {
            dim_levels: vec!["age5".into(), "age3".into(), "sex".into()],
            ..count("kub")
        })
        .ind(formula("f_old", "cell(kub, 65+)"))
        .ind(formula("f_old_v", "cell(kub, age3=65+, v)"))
        .ind(formula("f_m", "cell(kub, m)"))
        .ind(formula("f_band_m", "cell(kub, 20-44, m)"))
        .ind(formula("f_band", "cell(kub, age5=0-4)"))
        .ind(formula(
            "f_all",
            "cell(kub, 65+) + cell(kub, 0-19) + cell(kub, 20-64)",
        ));
    for (b, g) in BAND3.iter().enumerate() {
        wb = wb.dim_link(("age5", BANDS[b]), ("age3", g));
    }
    let mut loads: Loads = BTreeMap::new();
    // One series per (level, period, cell), as the store holds them.
    let mut load = |wb: Wb, level: &str, item: &str, period: &str, k: DimKey, v: Option<V>| {
        loads.insert((level.into(), item.into(), period.into(), k), v);
        wb
    };
    // Finest cells on every sector: the year 2020, and the four quarters of 2021 (a stock:
    // the year is its last quarter).
    for period in ["2020", "2021Q1", "2021Q2", "2021Q3", "2021Q4"] {
        for s in &sectors {
            for b in 0..BANDS.len() {
                for x in 0..SEXES.len() {
                    let v = rng.cell();
                    wb = load(wb, "statsec", s, period, key(&Age::Band(b), Some(x)), v);
                }
            }
        }
    }
    // A finest cell loaded on a wijk wins there and counts upward.
    wb = load(
        wb,
        "wijk",
        "W1",
        "2020",
        key(&Age::Band(3), Some(0)),
        Some(V::Num(500.0)),
    );
    // Marginals at several dimension levels, on several geo levels: most differ from their
    // cells, one agrees, one is a code, one has no cells beneath it at all.
    let n = |x: f64| Some(V::Num(x));
    type Marginal = (
        &'static str,
        &'static str,
        &'static str,
        Age,
        Option<usize>,
        Option<V>,
    );
    let marginals: Vec<Marginal> = vec![
        (
            "statsec",
            "S02",
            "2020",
            Age::Band3("65+"),
            Some(1),
            n(3944.0),
        ),
        (
            "statsec",
            "S05",
            "2020",
            Age::Band3("0-19"),
            Some(0),
            n(7.0),
        ),
        ("statsec", "S07", "2020", Age::All, Some(0), n(999.0)),
        ("statsec", "S08", "2020", Age::Band(2), None, n(11.0)),
        ("statsec", "S09", "2020", Age::All, None, n(12345.0)),
        (
            "statsec",
            "S10",
            "2020",
            Age::Band3("20-64"),
            None,
            Some(V::Hidden),
        ),
        ("statsec", "S11", "2020", Age::Band3("65+"), None, n(42.0)),
        ("statsec", "S03", "2021Q4", Age::All, Some(0), n(77.0)),
        ("wijk", "W2", "2020", Age::Band3("65+"), None, n(123.0)),
        ("wijk", "W3", "2020", Age::All, None, n(1.0)),
        ("wijk", "W0", "2021", Age::All, Some(1), n(55.0)),
        ("gemeente", "G1", "2020", Age::All, Some(1), n(2.0)),
        ("gemeente", "G0", "2020", Age::All, None, n(3.0)),
        ("gemeente", "G1", "2019", Age::All, None, n(9.0)),
    ];
    for (level, item, period, age, sex, v) in marginals {
        wb = load(wb, level, item, period, key(&age, sex), v);
    }
    let mut series: BTreeMap<(String, String, DimKey), Vec<String>> = BTreeMap::new();
    for ((level, item, period, k), v) in &loads {
        if v.is_some() {
            series
                .entry((level.clone(), period.clone(), k.clone()))
                .or_default()
                .push(format!("{item}={}", text(*v)));
        }
    }
    for ((level, period, k), cells) in series {
        wb = wb.load_dims("kub", &level, &period, &k.to_text(), &cells.join(" "));
    }
    Generated {
        wb,
        loads,
        sectors,
        wijk_of,
        gemeente_of_wijk,
    }
}

type Cells = BTreeMap<(String, String, String, DimKey), Option<V>>;

/// The independent computation: (level, item, period, cell) → the published value of every
/// cell, and the sum of the finest cells beneath every cell.
fn reference(g: &Generated) -> (Cells, Cells) {
    let loaded = |level: &str, item: &str, period: &str, k: &DimKey| -> Option<V> {
        g.loads
            .get(&(level.into(), item.into(), period.into(), k.clone()))
            .copied()
            .flatten()
    };
    // Finest cells per (level, item, period): [band][sex].
    type Fine = Vec<[Option<V>; 2]>;
    let mut fine: BTreeMap<(String, String, String), Fine> = BTreeMap::new();
    let periods = [
        "2020", "2021Q1", "2021Q2", "2021Q3", "2021Q4", "2021H1", "2021H2", "2021",
    ];
    for p in periods {
        for s in &g.sectors {
            let mut cells: Fine = vec![[None; 2]; BANDS.len()];
            for (b, row) in cells.iter_mut().enumerate() {
                for (x, c) in row.iter_mut().enumerate() {
                    let k = key(&Age::Band(b), Some(x));
                    // A stock's year (half year) is its last quarter.
                    let q = match p {
                        "2021" | "2021H2" => "2021Q4",
                        "2021H1" => "2021Q2",
                        p => p,
                    };
                    *c = loaded("statsec", s, q, &k);
                }
            }
            fine.insert(("statsec".into(), s.clone(), p.into()), cells);
        }
        for w in 0..4 {
            let mut cells: Fine = vec![[None; 2]; BANDS.len()];
            for (b, row) in cells.iter_mut().enumerate() {
                for (x, c) in row.iter_mut().enumerate() {
                    let k = key(&Age::Band(b), Some(x));
                    *c = loaded("wijk", &format!("W{w}"), p, &k).or_else(|| {
                        total((0..SECTORS).filter(|&s| g.wijk_of[s] == w).map(|s| {
                            fine[&("statsec".to_string(), g.sectors[s].clone(), p.to_string())][b]
                                [x]
                        }))
                    });
                }
            }
            fine.insert(("wijk".into(), format!("W{w}"), p.into()), cells);
        }
        for gm in 0..2 {
            let mut cells: Fine = vec![[None; 2]; BANDS.len()];
            for (b, row) in cells.iter_mut().enumerate() {
                for (x, c) in row.iter_mut().enumerate() {
                    *c = total((0..4).filter(|&w| g.gemeente_of_wijk[w] == gm).map(|w| {
                        fine[&("wijk".to_string(), format!("W{w}"), p.to_string())][b][x]
                    }));
                }
            }
            fine.insert(("gemeente".into(), format!("G{gm}"), p.into()), cells);
        }
    }
    let mut out = BTreeMap::new();
    let mut sums = BTreeMap::new();
    for ((level, item, p), cells) in &fine {
        for (age, sex) in all_cells() {
            let k = key(&age, sex);
            let is_fine = matches!(age, Age::Band(_)) && sex.is_some();
            let sum = total((0..BANDS.len()).flat_map(|b| {
                (0..2)
                    .filter(move |&x| covers(&age, sex, b, x))
                    .map(move |x| cells[b][x])
            }));
            let v = match loaded(level, item, p, &k) {
                // A loaded marginal wins for its own cell only.
                Some(v) if !is_fine => Some(v),
                _ => sum,
            };
            out.insert((level.clone(), item.clone(), p.clone(), k.clone()), v);
            sums.insert((level.clone(), item.clone(), p.clone(), k), sum);
        }
    }
    // A marginal loaded in a period without any finest cell stays alone in its cell.
    for ((level, item, p, k), v) in &g.loads {
        out.entry((level.clone(), item.clone(), p.clone(), k.clone()))
            .or_insert(*v);
    }
    (out, sums)
}

#[test]
fn every_cell_of_a_cube_with_loaded_marginals_is_its_finest_cells_sum() {
    for seed in [1, 2, 3] {
        let g = generate(seed);
        let c = peil_compute::compute(&g.wb.clone().build()).unwrap();
        let (want, _) = reference(&g);
        let mut checked = 0;
        for ((level, item, p, k), v) in &want {
            let got = get_dims(&c, "kub", level, p, k, item);
            assert!(
                same(got, to_value(*v)),
                "seed {seed}: kub {level} {item} {p} [{}]: got {got}, expected {}",
                k.to_text(),
                text(*v)
            );
            checked += 1;
        }
        assert_eq!(checked, (SECTORS + 4 + 2) * 8 * all_cells().len() + 1);
        // No cell beyond those: every key the engine holds for the cube is one of them.
        let ci = c.index["kub"];
        for ((i, l), keys) in &c.keys {
            if *i != ci {
                continue;
            }
            let level = &c.geo.levels[*l as usize].code;
            for (p, d) in keys {
                for (pos, s) in c.values[&(ci, *l, *p, *d)].iter().enumerate() {
                    if s.is_none() {
                        continue;
                    }
                    let item = &c.geo.levels[*l as usize].items[pos].1.code;
                    let k = (
                        level.clone(),
                        item.clone(),
                        p.to_string(),
                        c.dims[*d as usize].clone(),
                    );
                    assert!(
                        want.get(&k).is_some_and(|v| v.is_some()),
                        "seed {seed}: unexpected value {s:?} at {k:?}"
                    );
                }
            }
        }
        // cell() over the cube is the same cell, on every level.
        for (f, age, sex) in [
            ("f_old", Age::Band3("65+"), None),
            ("f_old_v", Age::Band3("65+"), Some(1)),
            ("f_m", Age::All, Some(0)),
            ("f_band_m", Age::Band(3), Some(0)),
            ("f_band", Age::Band(0), None),
        ] {
            let k = key(&age, sex);
            for ((level, item, p, kk), v) in &want {
                if *kk != k || p == "2019" {
                    continue;
                }
                let got = get(&c, f, level, p, item);
                assert!(
                    same(got, to_value(*v)),
                    "seed {seed}: {f} {level} {item} {p}: got {got}, expected {}",
                    text(*v)
                );
            }
        }
        // A formula over three cell() terms adds the three coarse bands as published (a
        // loaded band included), where all three are numbers.
        for s in &g.sectors {
            let groups: Vec<Option<V>> = ["65+", "0-19", "20-64"]
                .iter()
                .map(|b| {
                    let k = key(&Age::Band3(b), None);
                    want[&("statsec".into(), s.clone(), "2020".into(), k)]
                })
                .collect();
            if groups.iter().all(|v| matches!(v, Some(V::Num(_)))) {
                let got = get(&c, "f_all", "statsec", "2020", s);
                assert!(same(got, to_value(total(groups))), "f_all {s}: {got}");
            }
        }
    }
}

#[test]
fn loaded_marginals_that_disagree_with_their_cells_are_listed() {
    for seed in [1, 2, 3] {
        let g = generate(seed);
        let c = peil_compute::compute(&g.wb.clone().build()).unwrap();
        let (_, sums) = reference(&g);
        // Per level: loaded marginal numbers that differ from their cells' sum, and those
        // without any cell beneath.
        let mut want: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for ((level, item, p, k), v) in &g.loads {
            let Some(V::Num(x)) = v else { continue };
            if k.0.len() == 2 && k.0.iter().any(|(l, _)| l == "age5") {
                continue; // a finest cell
            }
            let e = want.entry(level.clone()).or_default();
            match sums.get(&(level.clone(), item.clone(), p.clone(), k.clone())) {
                Some(Some(V::Num(y))) if (x - y).abs() < 1e-9 => {}
                Some(Some(V::Num(_))) => e.0 += 1,
                Some(Some(_)) => {}
                Some(None) | None => e.1 += 1,
            }
        }
        want.retain(|_, v| *v != (0, 0));
        let m = peil_compute::marginal_mismatches(&c);
        let got: BTreeMap<String, (usize, usize)> = m
            .iter()
            .map(|m| (m.level.clone(), (m.differ, m.alone)))
            .collect();
        assert_eq!(got, want, "seed {seed}: {m:?}");
        let all: Vec<String> = m.iter().map(|m| m.to_string()).collect();
        let all = all.join("\n");
        assert!(all.contains("G1 2019 total: loaded 9, no cells"), "{all}");
    }
}
