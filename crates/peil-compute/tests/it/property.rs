//! Property test: random hierarchies (2–4 levels, random fan-out, random integer values and
//! missing codes including 0, optionally loaded values on parents, optionally extra edges that
//! skip levels) against a small reference implementation, written here, of how totals treat
//! missing codes. Totals on every level must equal the reference exactly (integers, so no
//! float rounding).

use crate::common::*;
use peil_core::{MissingCode, Value};
use proptest::prelude::*;

/// A leaf (or a loaded parent cell): a number, a code, or no record at all.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Num(i64),
    Code(MissingCode),
    NoRecord,
}

fn cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        12 => (1i64..1000).prop_map(Cell::Num),
        2 => Just(Cell::Num(0)),
        1 => Just(Cell::Code(MissingCode::Unknown)),
        1 => Just(Cell::Code(MissingCode::Hidden)),
        2 => Just(Cell::Code(MissingCode::NotApplicable)),
        2 => Just(Cell::Code(MissingCode::Empty)),
        2 => Just(Cell::NoRecord),
    ]
}

/// What the reference computes: a number, a code, or no value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ref {
    Num(i64),
    Code(MissingCode),
    Nothing,
}

impl Ref {
    fn value(self) -> Value {
        match self {
            Ref::Num(n) => Value::Number(n as f64),
            Ref::Code(c) => Value::Missing(c),
            Ref::Nothing => NONE,
        }
    }
}

/// The sum rule, written as plainly as possible: `x` beats `?`, both poison; numbers add up;
/// `nvt` and `-` are skipped; only `nvt`s (and nothing else) give `nvt`; nothing gives nothing.
fn reference_sum(children: &[Ref]) -> Ref {
    if children.contains(&Ref::Code(MissingCode::Hidden)) {
        return Ref::Code(MissingCode::Hidden);
    }
    if children.contains(&Ref::Code(MissingCode::Unknown)) {
        return Ref::Code(MissingCode::Unknown);
    }
    let numbers: Vec<i64> = children
        .iter()
        .filter_map(|c| match c {
            Ref::Num(n) => Some(*n),
            _ => None,
        })
        .collect();
    if !numbers.is_empty() {
        return Ref::Num(numbers.iter().sum());
    }
    if children.contains(&Ref::Code(MissingCode::NotApplicable)) {
        return Ref::Code(MissingCode::NotApplicable);
    }
    Ref::Nothing
}

fn as_ref(c: Cell) -> Ref {
    match c {
        Cell::Num(n) => Ref::Num(n),
        Cell::Code(MissingCode::Empty) | Cell::NoRecord => Ref::Nothing,
        Cell::Code(c) => Ref::Code(c),
    }
}

/// A random tree: `levels[0]` is the top; each item knows its parent on the level above.
#[derive(Debug, Clone)]
struct Tree {
    /// Per level (top first), per item, the parent's position on the level above.
    parents: Vec<Vec<usize>>,
    leaves: Vec<Cell>,
    /// Loaded cells on inner levels (per level, per item).
    loaded: Vec<Vec<Cell>>,
    skip_edges: bool,
}

fn tree() -> impl Strategy<Value = Tree> {
    (
        2usize..=4,
        1usize..=3,
        proptest::collection::vec(0usize..=4, 64),
        proptest::collection::vec(cell(), 200),
        proptest::collection::vec(prop_oneof![6 => Just(Cell::NoRecord), 1 => cell()], 64),
        any::<bool>(),
    )
        .prop_map(
            |(depth, roots, fanouts, leaf_pool, load_pool, skip_edges)| {
                let mut parents = vec![vec![usize::MAX; roots]];
                let mut f = fanouts.iter().cycle();
                for _ in 1..depth {
                    let above = parents.last().unwrap().len();
                    let mut level = Vec::new();
                    for p in 0..above {
                        for _ in 0..*f.next().unwrap() {
                            level.push(p);
                        }
                    }
                    parents.push(level);
                }
                let n_leaves = parents.last().unwrap().len();
                let leaves = leaf_pool.iter().cycle().take(n_leaves).copied().collect();
                let mut lp = load_pool.iter().cycle();
                let loaded = parents[..depth - 1]
                    .iter()
                    .map(|lv| {
                        lv.iter()
                            .map(|_| {
                                if skip_edges {
                                    Cell::NoRecord
                                } else {
                                    *lp.next().unwrap()
                                }
                            })
                            .collect()
                    })
                    .collect();
                Tree {
                    parents,
                    leaves,
                    loaded,
                    skip_edges,
                }
            },
        )
}

fn code(level: usize, item: usize) -> String {
    format!("L{level}I{item}")
}

fn spec(c: Cell) -> Option<String> {
    match c {
        Cell::Num(n) => Some(n.to_string()),
        Cell::Code(c) => Some(c.symbol().to_string()),
        Cell::NoRecord => None,
    }
}

/// The reference value of every item on every level, bottom up.
fn reference(t: &Tree) -> Vec<Vec<Ref>> {
    let depth = t.parents.len();
    let mut out: Vec<Vec<Ref>> = vec![Vec::new(); depth];
    out[depth - 1] = t.leaves.iter().map(|c| as_ref(*c)).collect();
    for l in (0..depth - 1).rev() {
        let n = t.parents[l].len();
        out[l] = (0..n)
            .map(|p| {
                let kids: Vec<Ref> = t.parents[l + 1]
                    .iter()
                    .zip(&out[l + 1])
                    .filter(|(pp, _)| **pp == p)
                    .map(|(_, r)| *r)
                    .collect();
                match as_ref(t.loaded[l][p]) {
                    // A loaded value wins; a loaded '-' is no record.
                    Ref::Nothing => reference_sum(&kids),
                    loaded => loaded,
                }
            })
            .collect();
    }
    out
}

fn warehouse(t: &Tree) -> peil_core::Warehouse {
    let depth = t.parents.len();
    let mut b = Wb::new().ind(count("v"));
    for (l, lv) in t.parents.iter().enumerate() {
        let items: Vec<String> = (0..lv.len()).map(|i| code(l, i)).collect();
        b = b.level_items(&format!("L{l}"), &items);
    }
    for l in 1..depth {
        let pairs: Vec<(String, String)> = t.parents[l]
            .iter()
            .enumerate()
            .map(|(i, p)| (code(l, i), code(l - 1, *p)))
            .collect();
        b = b.link_pairs(
            &format!("L{l}"),
            &format!("L{}", l - 1),
            peil_core::EdgeKind::Aggregation,
            &pairs,
        );
    }
    if t.skip_edges {
        // Every level also rolls up directly into every level above its parent level.
        for l in 2..depth {
            for up in 0..l - 1 {
                let pairs: Vec<(String, String)> = (0..t.parents[l].len())
                    .map(|i| {
                        let mut p = i;
                        for k in (up + 1..=l).rev() {
                            p = t.parents[k][p];
                        }
                        (code(l, i), code(up, p))
                    })
                    .collect();
                b = b.link_pairs(
                    &format!("L{l}"),
                    &format!("L{up}"),
                    peil_core::EdgeKind::Aggregation,
                    &pairs,
                );
            }
        }
    }
    let leaf_level = depth - 1;
    let leaves: Vec<(String, Value)> = t
        .leaves
        .iter()
        .enumerate()
        .filter_map(|(i, c)| spec(*c).map(|s| (code(leaf_level, i), val(&s))))
        .collect();
    b = b.load_values(
        "v",
        &format!("L{leaf_level}"),
        per("2020"),
        Default::default(),
        leaves,
    );
    for (l, lv) in t.loaded.iter().enumerate() {
        let cells: Vec<(String, Value)> = lv
            .iter()
            .enumerate()
            .filter_map(|(i, c)| spec(*c).map(|s| (code(l, i), val(&s))))
            .collect();
        if !cells.is_empty() {
            b = b.load_values(
                "v",
                &format!("L{l}"),
                per("2020"),
                Default::default(),
                cells,
            );
        }
    }
    b.build()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn totals_on_every_level_equal_the_reference(t in tree()) {
        let w = warehouse(&t);
        let c = peil_compute::compute(&w).unwrap();
        let want = reference(&t);
        for (l, items) in want.iter().enumerate() {
            for (i, r) in items.iter().enumerate() {
                let got = get(&c, "v", &format!("L{l}"), "2020", &code(l, i));
                // Exact: integers, no tolerance.
                let exact = match (got, r.value()) {
                    (Value::Number(a), Value::Number(b)) => a == b,
                    (a, b) => a == b,
                };
                prop_assert!(exact, "level {} item {}: engine {}, reference {}", l, i, got, r.value());
            }
        }
    }
}

/// The reference itself, on every case of the rule (so a wrong reference cannot hide a bug).
#[test]
fn the_reference_follows_section_5() {
    use MissingCode::*;
    let n = Ref::Num;
    let c = Ref::Code;
    assert_eq!(reference_sum(&[n(1), n(2)]), n(3));
    assert_eq!(reference_sum(&[n(1), c(Unknown)]), c(Unknown));
    assert_eq!(reference_sum(&[c(Unknown), c(Hidden)]), c(Hidden));
    assert_eq!(reference_sum(&[n(1), c(NotApplicable)]), n(1));
    assert_eq!(
        reference_sum(&[c(NotApplicable), Ref::Nothing]),
        c(NotApplicable)
    );
    assert_eq!(reference_sum(&[Ref::Nothing]), Ref::Nothing);
    assert_eq!(reference_sum(&[]), Ref::Nothing);
    assert_eq!(reference_sum(&[n(0), c(NotApplicable)]), n(0));
}
