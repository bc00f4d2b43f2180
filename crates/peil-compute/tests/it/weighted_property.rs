//! Property test for issue 11: weighted means must not depend on the path of aggregation.
//!
//! Random DAGs of 3–5 levels (a chain, plus edges that skip levels), a count `w` and a mean `m`
//! weighted by it, every missing code and "no record" in values and in weights, and loaded
//! values (of both) on intermediate levels. A reference written here, without the engine,
//! computes every cell: counts as totals (`x` before `?`, both poison; empty and `nvt` skipped);
//! a mean as Σ(value·weight)/Σ(weight) over the base areas beneath it, where a loaded mean on
//! an intermediate level stands for its item with that item's published weight. Every
//! published cell must equal the reference, and where no loaded value lies beneath a cell, a
//! custom selection of its base areas must give the same number.

use crate::common::*;
use peil_compute::Snapshot;
use peil_compute::snapshot::SelectionError;
use peil_core::{DataType, MissingCode, Value};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Num(i64),
    Code(MissingCode),
    NoRecord,
}

fn cell(max: i64) -> impl Strategy<Value = Cell> {
    prop_oneof![
        12 => (1..max).prop_map(Cell::Num),
        2 => Just(Cell::Num(0)),
        1 => Just(Cell::Code(MissingCode::Unknown)),
        1 => Just(Cell::Code(MissingCode::Hidden)),
        2 => Just(Cell::Code(MissingCode::NotApplicable)),
        1 => Just(Cell::Code(MissingCode::Empty)),
        2 => Just(Cell::NoRecord),
    ]
}

/// A cell as published: a number, a code, or nothing (the empty code is the same as nothing).
#[derive(Debug, Clone, Copy, PartialEq)]
enum R {
    Num(f64),
    Hidden,
    Unknown,
    Nvt,
    Nothing,
}

fn r_of(c: Cell) -> R {
    match c {
        Cell::Num(n) => R::Num(n as f64),
        Cell::Code(MissingCode::Hidden) => R::Hidden,
        Cell::Code(MissingCode::Unknown) => R::Unknown,
        Cell::Code(MissingCode::NotApplicable) => R::Nvt,
        Cell::Code(MissingCode::Empty) | Cell::NoRecord => R::Nothing,
    }
}

fn r_value(r: R) -> Value {
    match r {
        R::Num(n) => Value::Number(n),
        R::Hidden => HIDDEN,
        R::Unknown => UNKNOWN,
        R::Nvt => NA,
        R::Nothing => NONE,
    }
}

/// The missing-code rule for a sum, written plainly.
fn ref_sum(xs: &[R]) -> R {
    if xs.contains(&R::Hidden) {
        return R::Hidden;
    }
    if xs.contains(&R::Unknown) {
        return R::Unknown;
    }
    let nums: Vec<f64> = xs
        .iter()
        .filter_map(|x| match x {
            R::Num(n) => Some(*n),
            _ => None,
        })
        .collect();
    if !nums.is_empty() {
        return R::Num(nums.iter().sum());
    }
    if xs.contains(&R::Nvt) {
        R::Nvt
    } else {
        R::Nothing
    }
}

/// The two sums behind a mean, and what the areas without a usable pair said.
#[derive(Debug, Clone, Copy, Default)]
struct Mean {
    num: f64,
    den: f64,
    pairs: usize,
    hidden: bool,
    unknown: bool,
    nvt: bool,
}

impl Mean {
    /// One area: an area without a value is not in the mean; nvt is left out; ? and x poison,
    /// in the value, or in the weight of a value.
    fn area(v: R, w: R) -> Mean {
        let mut m = Mean::default();
        let code = match (v, w) {
            (R::Num(v), R::Num(w)) => {
                m.num = v * w;
                m.den = w;
                m.pairs = 1;
                return m;
            }
            (R::Num(_), w) => w,
            (v, _) => v,
        };
        match code {
            R::Hidden => m.hidden = true,
            R::Unknown => m.unknown = true,
            R::Nvt => m.nvt = true,
            _ => {}
        }
        m
    }

    fn add(&mut self, o: &Mean) {
        self.num += o.num;
        self.den += o.den;
        self.pairs += o.pairs;
        self.hidden |= o.hidden;
        self.unknown |= o.unknown;
        self.nvt |= o.nvt;
    }

    fn result(&self) -> R {
        if self.hidden {
            R::Hidden
        } else if self.unknown {
            R::Unknown
        } else if self.pairs > 0 {
            if self.den != 0.0 {
                R::Num(self.num / self.den)
            } else {
                R::Nothing
            }
        } else if self.nvt {
            R::Nvt
        } else {
            R::Nothing
        }
    }
}

#[derive(Debug, Clone)]
struct Case {
    /// Items per level, strictly fewer on each level up (so "the finest child level" is clear).
    sizes: Vec<usize>,
    /// (child level, parent level, parent position per child item or None).
    edges: Vec<(usize, usize, Vec<Option<usize>>)>,
    /// Per level, per item: (loaded weight, loaded mean). Level 0 is the base.
    loads: Vec<Vec<(Cell, Cell)>>,
}

fn case() -> impl Strategy<Value = Case> {
    (3usize..=5)
        .prop_flat_map(|n| {
            // Sizes: base 6..14 items, each level up 1..=the level below minus one.
            let sizes = (6usize..14).prop_flat_map(move |base| {
                let mut v = vec![Just(base).boxed()];
                let mut top = base;
                for _ in 1..n {
                    top = (top - 1).max(1);
                    v.push((1usize..=top).boxed());
                }
                v
            });
            (sizes, proptest::collection::vec(any::<u64>(), 64))
        })
        .prop_filter("strictly decreasing sizes", |(s, _)| {
            s.windows(2).all(|w| w[1] < w[0])
        })
        .prop_flat_map(|(sizes, seeds)| {
            let n = sizes.len();
            // Chain edges k-1 → k, and a skip edge j → k for some k (chosen by the seeds).
            let mut pairs: Vec<(usize, usize)> = (1..n).map(|k| (k - 1, k)).collect();
            for k in 2..n {
                if seeds[k] % 3 == 0 {
                    pairs.push(((seeds[k + 8] % (k as u64 - 1)) as usize, k));
                }
            }
            let edges: Vec<_> = pairs
                .into_iter()
                .map(|(c, p)| {
                    let size = sizes[p];
                    proptest::collection::vec(
                        prop_oneof![12 => (0..size).prop_map(Some), 1 => Just(None)],
                        sizes[c],
                    )
                    .prop_map(move |v| (c, p, v))
                })
                .collect();
            let loads: Vec<_> = sizes
                .iter()
                .enumerate()
                .map(|(l, &s)| {
                    // Every base item gets a draw; intermediate items are mostly not loaded.
                    let pair = if l == 0 {
                        (cell(500), cell(100)).boxed()
                    } else {
                        prop_oneof![
                            6 => Just((Cell::NoRecord, Cell::NoRecord)),
                            1 => (cell(500), Just(Cell::NoRecord)),
                            1 => (Just(Cell::NoRecord), cell(100)),
                        ]
                        .boxed()
                    };
                    proptest::collection::vec(pair, s)
                })
                .collect();
            (Just(sizes), edges, loads)
        })
        .prop_map(|(sizes, edges, loads)| Case {
            sizes,
            edges,
            loads,
        })
}

fn level(l: usize) -> String {
    format!("L{l}")
}

fn item(l: usize, i: usize) -> String {
    format!("L{l}I{i}")
}

fn cell_text(c: Cell) -> Option<String> {
    match c {
        Cell::NoRecord => None,
        Cell::Num(n) => Some(n.to_string()),
        Cell::Code(c) => Some(c.symbol().to_string()),
    }
}

/// Published values per level and item, and for each cell its base items and whether a loaded
/// value lies on the way (then a selection of base areas need not give the same number).
struct Reference {
    w: Vec<Vec<R>>,
    m: Vec<Vec<R>>,
    /// Per indicator (count, mean), level and item: the base items beneath it.
    base: Vec<Vec<Vec<Vec<usize>>>>,
    w_pure: Vec<Vec<bool>>,
    m_pure: Vec<Vec<bool>>,
}

fn reference(c: &Case) -> Reference {
    let n = c.sizes.len();
    let loaded = |l: usize, i: usize| (r_of(c.loads[l][i].0), r_of(c.loads[l][i].1));
    let mut w: Vec<Vec<R>> = Vec::new();
    let mut m: Vec<Vec<R>> = Vec::new();
    let mut sums: Vec<Vec<Mean>> = Vec::new();
    let mut w_base: Vec<Vec<Vec<usize>>> = Vec::new();
    let mut m_base: Vec<Vec<Vec<usize>>> = Vec::new();
    let mut w_pure: Vec<Vec<bool>> = Vec::new();
    let mut m_pure: Vec<Vec<bool>> = Vec::new();
    let holds = |v: &Vec<R>| v.iter().any(|x| *x != R::Nothing);
    for l in 0..n {
        let size = c.sizes[l];
        // The source of a level: the child level with the most items that holds values.
        let source = |vals: &Vec<Vec<R>>| {
            c.edges
                .iter()
                .filter(|(ch, p, _)| *p == l && holds(&vals[*ch]))
                .max_by_key(|(ch, _, _)| c.sizes[*ch])
        };
        // The count.
        let mut wl = vec![R::Nothing; size];
        let mut wb = vec![Vec::new(); size];
        let mut wp = vec![true; size];
        if l == 0 {
            for (i, b) in wb.iter_mut().enumerate() {
                *b = vec![i];
            }
        }
        if let Some((ch, _, parent)) = source(&w) {
            let mut kids: Vec<Vec<R>> = vec![Vec::new(); size];
            for (ci, p) in parent.iter().enumerate() {
                if let Some(p) = p {
                    kids[*p].push(w[*ch][ci]);
                    let b = w_base[*ch][ci].clone();
                    wb[*p].extend(b);
                    wp[*p] &= w_pure[*ch][ci];
                }
            }
            for (i, k) in kids.iter().enumerate() {
                wl[i] = ref_sum(k);
            }
        }
        for (i, x) in wl.iter_mut().enumerate() {
            let (lw, _) = loaded(l, i);
            if lw != R::Nothing {
                *x = lw;
                if l > 0 {
                    wp[i] = false;
                }
            }
        }
        // The mean.
        let mut ml = vec![R::Nothing; size];
        let mut sl = vec![Mean::default(); size];
        let mut mb = vec![Vec::new(); size];
        let mut mp = vec![true; size];
        if l == 0 {
            for (i, b) in mb.iter_mut().enumerate() {
                *b = vec![i];
            }
        }
        if let Some((ch, _, parent)) = source(&m) {
            for (ci, p) in parent.iter().enumerate() {
                if let Some(p) = p {
                    let s = sums[*ch][ci];
                    sl[*p].add(&s);
                    let b = m_base[*ch][ci].clone();
                    mb[*p].extend(b);
                    mp[*p] &= m_pure[*ch][ci];
                }
            }
            for (i, s) in sl.iter().enumerate() {
                ml[i] = s.result();
            }
        }
        for i in 0..size {
            let (_, lm) = loaded(l, i);
            if lm != R::Nothing {
                ml[i] = lm;
                sl[i] = Mean::area(lm, wl[i]);
                if l > 0 {
                    mp[i] = false;
                }
            }
        }
        w.push(wl);
        m.push(ml);
        sums.push(sl);
        w_base.push(wb);
        m_base.push(mb);
        w_pure.push(wp);
        m_pure.push(mp);
    }
    Reference {
        w,
        m,
        base: vec![w_base, m_base],
        w_pure,
        m_pure,
    }
}

fn build(c: &Case) -> peil_core::Warehouse {
    let mut wb = Wb::new();
    for (l, &s) in c.sizes.iter().enumerate() {
        let items: Vec<String> = (0..s).map(|i| item(l, i)).collect();
        wb = wb.level_items(&level(l), &items);
    }
    for (ch, p, parent) in &c.edges {
        let pairs: Vec<(String, String)> = parent
            .iter()
            .enumerate()
            .filter_map(|(ci, p2)| p2.map(|p2| (item(*ch, ci), item(*p, p2))))
            .collect();
        wb = wb.link_pairs(
            &level(*ch),
            &level(*p),
            peil_core::EdgeKind::Aggregation,
            &pairs,
        );
    }
    wb = wb.ind(count("w")).ind(weighted("m", DataType::Mean, "w"));
    for (l, items) in c.loads.iter().enumerate() {
        let mut ws = Vec::new();
        let mut ms = Vec::new();
        for (i, (cw, cm)) in items.iter().enumerate() {
            if let Some(t) = cell_text(*cw) {
                ws.push(format!("{}={t}", item(l, i)));
            }
            if let Some(t) = cell_text(*cm) {
                ms.push(format!("{}={t}", item(l, i)));
            }
        }
        if !ws.is_empty() {
            wb = wb.load("w", &level(l), "2020", &ws.join(" "));
        }
        if !ms.is_empty() {
            wb = wb.load("m", &level(l), "2020", &ms.join(" "));
        }
    }
    wb.build()
}

fn same_r(got: Value, want: R) -> bool {
    same(got, r_value(want))
}

fn check(c: &Case) -> Result<(), TestCaseError> {
    let w = build(c);
    let computed = peil_compute::compute(&w).map_err(|e| TestCaseError::fail(e.to_string()))?;
    // Privacy rules are not the subject here: no thresholds, no secondary suppression.
    let snap = Snapshot::from_computed(computed, &w, 1, false);
    let r = reference(c);
    let period = per("2020");
    let dk = peil_core::DimKey::default();
    for l in 0..c.sizes.len() {
        for i in 0..c.sizes[l] {
            for (k, (ind, want, pure)) in [("w", &r.w, &r.w_pure), ("m", &r.m, &r.m_pure)]
                .into_iter()
                .enumerate()
            {
                let got = snap
                    .value(ind, &level(l), period, &dk, &item(l, i), &anyone())
                    .unwrap_or(NONE);
                prop_assert!(
                    same_r(got, want[l][i]),
                    "{ind} {}: published {got}, reference {:?}\n{c:?}",
                    item(l, i),
                    want[l][i]
                );
                if l == 0 || !pure[l][i] {
                    continue;
                }
                // A custom selection of the same base areas.
                let base: Vec<String> = r.base[k][l][i].iter().map(|b| item(0, *b)).collect();
                let refs: Vec<&str> = base.iter().map(String::as_str).collect();
                let hidden_input = r.base[k][l][i]
                    .iter()
                    .any(|&b| r.w[0][b] == R::Hidden || (ind == "m" && r.m[0][b] == R::Hidden));
                match snap.aggregate_selection(
                    ind,
                    &level(0),
                    period,
                    &refs,
                    &peil_core::Reader::anonymous(),
                ) {
                    Ok(v) => prop_assert!(
                        same_r(v, want[l][i]),
                        "selection of {ind} over {base:?} ({}): {v}, reference {:?}\n{c:?}",
                        item(l, i),
                        want[l][i]
                    ),
                    // Refused only when a selected input is hidden; and a hidden reference
                    // must be refused, never answered.
                    Err(SelectionError::RevealsHidden { .. }) => prop_assert!(
                        hidden_input,
                        "selection of {ind} over {base:?} refused without a hidden input"
                    ),
                    Err(e) => prop_assert!(false, "selection of {ind}: {e}"),
                }
                prop_assert!(want[l][i] != R::Hidden || hidden_input);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn weighted_means_and_counts_equal_the_reference_on_every_level(c in case()) {
        check(&c)?;
    }
}

/// The class of issue 11: region over divisions over states, one state without a value. The
/// region's mean is Σ(value·weight)/Σ(weight) over the states with a value, not the
/// divisions' means weighted by the divisions' full weights.
#[test]
fn a_state_without_a_value_does_not_shift_the_region_mean() {
    let w = Wb::new()
        .level("state", "S1 S2 S3 S4")
        .level("division", "D1 D2")
        .level("region", "R")
        .link("state", "division", "S1>D1 S2>D1 S3>D2 S4>D2")
        .link("division", "region", "D1>R D2>R")
        .ind(count("pop"))
        .ind(weighted("m", DataType::Mean, "pop"))
        .load("pop", "state", "2020", "S1=100 S2=300 S3=200 S4=400")
        .load("m", "state", "2020", "S1=10 S2=nvt S3=30 S4=40")
        .build();
    let c = peil_compute::compute(&w).unwrap();
    // By hand: (10·100 + 30·200 + 40·400) / (100 + 200 + 400) = 23000 / 700.
    assert!(same(
        get(&c, "m", "region", "2020", "R"),
        Value::Number(23000.0 / 700.0)
    ));
    assert!(same(
        get(&c, "m", "division", "2020", "D1"),
        Value::Number(10.0)
    ));
    // An nvt weight leaves its state out instead of poisoning the parents.
    let w = Wb::new()
        .level("state", "S1 S2 S3")
        .level("region", "R")
        .link("state", "region", "S1>R S2>R S3>R")
        .ind(count("pop"))
        .ind(weighted("m", DataType::Mean, "pop"))
        .load("pop", "state", "2020", "S1=100 S2=nvt S3=300")
        .load("m", "state", "2020", "S1=10 S2=20 S3=30")
        .build();
    let c = peil_compute::compute(&w).unwrap();
    assert!(same(
        get(&c, "m", "region", "2020", "R"),
        Value::Number(10000.0 / 400.0)
    ));
}
