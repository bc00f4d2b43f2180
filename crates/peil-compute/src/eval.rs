//! Vectorised evaluation of formula indicators: one pass over the expression per level and
//! period, each node producing a whole vector of items (never one interpretation per cell).
//!
//! Operands without a number, in formulas. "Skipped" (empty and `nvt` left out of a sum)
//! is a rule for totals over areas and periods; inside a formula nothing is skipped and nothing
//! is taken as zero. For `+`, `-`, `*`, `/`, unary minus and every function but `sum`:
//! 1. an operand with no value — empty (`-`), no record, a term outside its series
//!    (`data_from_period` before the first or after the last period, `data_from_mrp` beyond the
//!    oldest period, a term without data in the period), a division by zero, the root of a
//!    negative number, any non-finite step — gives the result no value (internally
//!    [`Slot::VOID`]), whatever the other operands are (nothing is shown, so nothing is
//!    revealed): a growth rate over an empty year is not −100 %, `a * 2 + 1` where `a` is 0/0
//!    is not 1;
//! 2. else a poisoning code gives the result that code, hidden (`x`) before unknown (`?`), so a
//!    censored input censors the result (also `x * 0`);
//! 3. else a not-applicable operand (`nvt`) gives `nvt` (an `nvt` numerator gives `nvt`);
//! 4. else the numbers are combined.
//!
//! `sum(a, b, …)` is how a formula says otherwise: it adds the operands that have a number and
//! leaves out empty, no-value and `nvt` ones, like a total over areas (`?` and `x` still
//! poison; nothing but left-out operands: `nvt` if one was `nvt`, else no value). So
//! `sum(x, data_from_period(x, "-1"))` is a partial sum at the start of a series where
//! `x + data_from_period(x, "-1")` has no value.

use crate::engine::{ComputeError, Computed};
use crate::privacy::threshold_hides;
use crate::slot::{Slot, Sum};
use peil_core::formula::{BinOp, Expr, Func, MemberSpec};
use peil_core::{MissingCode, Period};
use std::collections::BTreeSet;

/// A scalar or a vector of one level's items.
enum Operand {
    Scalar(Slot),
    Vector(Vec<Slot>),
}

impl Operand {
    fn at(&self, i: usize) -> Slot {
        match self {
            Operand::Scalar(s) => *s,
            Operand::Vector(v) => v[i],
        }
    }
}

pub fn evaluate_formula(c: &mut Computed, ind: u32) -> Result<(), ComputeError> {
    let f = c.formulas[ind as usize]
        .clone()
        .expect("a formula indicator");
    let frame_refs: Vec<u32> = f
        .frame_references()
        .iter()
        .filter_map(|code| c.index.get(code).copied())
        .collect();
    let shifts = shifts(&f.expr);
    for level in 0..c.geo.levels.len() {
        let l16 = level as u16;
        let periods_of = |i: u32| -> BTreeSet<Period> {
            c.keys
                .get(&(i, l16))
                .map(|k| k.iter().map(|(p, _)| *p).collect())
                .unwrap_or_default()
        };
        let mut frame: BTreeSet<Period> = frame_refs.iter().flat_map(|&r| periods_of(r)).collect();
        if frame.is_empty() {
            // Only shifted terms: the frame is their periods moved by the shift.
            for (var, off) in &shifts {
                if let Some(&i) = c.index.get(var) {
                    frame.extend(periods_of(i).into_iter().filter_map(|p| p.offset(-off)));
                }
            }
        }
        let n = c.geo.levels[level].len();
        for p in frame {
            let v = eval(&f.expr, c, level, p);
            let mut v: Vec<Slot> = match v {
                Operand::Vector(v) => v,
                Operand::Scalar(s) => vec![s; n],
            };
            for s in v.iter_mut().filter(|s| s.is_void()) {
                *s = Slot::NONE;
            }
            if v.iter().any(|s| !s.is_none()) {
                c.keys.entry((ind, l16)).or_default().insert((p, 0));
                c.values.insert((ind, l16, p, 0), v);
            }
        }
    }
    Ok(())
}

fn shifts(e: &Expr) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    fn walk(e: &Expr, out: &mut Vec<(String, i64)>) {
        match e {
            Expr::Shift { var, offset } => out.push((var.clone(), *offset)),
            Expr::Neg(a) => walk(a, out),
            Expr::Bin { left, right, .. } => {
                walk(left, out);
                walk(right, out);
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| walk(a, out)),
            _ => {}
        }
    }
    walk(e, &mut out);
    out
}

/// A term's values on a level in one period; outside its series the term has no value at all.
fn vector_of(c: &Computed, code: &str, level: usize, p: Option<Period>) -> Operand {
    let n = c.geo.levels[level].len();
    match (c.index.get(code), p) {
        (Some(&i), Some(p)) => match c.get(i, level, p, 0) {
            Some(v) => Operand::Vector(v.clone()),
            None => Operand::Vector(vec![Slot::VOID; n]),
        },
        _ => Operand::Vector(vec![Slot::VOID; n]),
    }
}

/// The period `data_from_mrp(var, nth)` reads on a level, for a formula period of `plevel`:
/// the nth most recent period of that period level in which var has a value on that level —
/// a number or a code `?`, `x`, `nvt` (0 and 1: the latest). A period holding nothing but
/// empty cells is not one of var's periods; one that the source hid entirely (all `x`) is, so
/// the formula is `x` there rather than nothing.
pub(crate) fn mrp_period(
    c: &Computed,
    var: u32,
    level: usize,
    plevel: peil_core::PeriodLevel,
    nth: u32,
) -> Option<Period> {
    let periods: Vec<Period> = c
        .keys
        .get(&(var, level as u16))
        .map(|k| {
            k.iter()
                .filter(|(q, d)| *d == 0 && q.level == plevel)
                .map(|(q, _)| *q)
                .collect()
        })
        .unwrap_or_default();
    let skip = nth.saturating_sub(1) as usize;
    periods
        .iter()
        .rev()
        .filter(|q| {
            c.get(var, level, **q, 0)
                .is_some_and(|v| v.iter().any(|s| !absent(*s)))
        })
        .nth(skip)
        .copied()
}

fn eval(e: &Expr, c: &Computed, level: usize, p: Period) -> Operand {
    let n = c.geo.levels[level].len();
    match e {
        Expr::Num(x) => Operand::Scalar(Slot::num(*x)),
        Expr::Ref(code) => vector_of(c, code, level, Some(p)),
        Expr::Shift { var, offset } => vector_of(c, var, level, p.offset(*offset)),
        Expr::Mrp { var, n: nth } => {
            // The n-th most recent period of var on this level and period level (0 and 1: the latest).
            let Some(&i) = c.index.get(var) else {
                return Operand::Vector(vec![Slot::VOID; n]);
            };
            vector_of(c, var, level, mrp_period(c, i, level, p.level, *nth))
        }
        Expr::Cell { cube, members } => cell(c, cube, members, level, p),
        Expr::Threshold(var) => {
            let Some(&i) = c.index.get(var) else {
                return Operand::Vector(vec![Slot::VOID; n]);
            };
            let mut v = match c.get(i, level, p, 0) {
                Some(v) => v.clone(),
                None => return Operand::Vector(vec![Slot::VOID; n]),
            };
            for (k, s) in v.iter_mut().enumerate() {
                if threshold_hides(c, i, level, p, 0, k) {
                    *s = Slot::HIDDEN;
                }
            }
            Operand::Vector(v)
        }
        Expr::Neg(a) => map1(eval(a, c, level, p), n, neg),
        Expr::Bin { op, left, right } => {
            let (a, b) = (eval(left, c, level, p), eval(right, c, level, p));
            let f = match op {
                BinOp::Add => add,
                BinOp::Sub => sub,
                BinOp::Mul => mul,
                BinOp::Div => div,
            };
            map2(a, b, n, f)
        }
        Expr::Call { func, args } => {
            let ops: Vec<Operand> = args.iter().map(|a| eval(a, c, level, p)).collect();
            let all_scalar = ops.iter().all(|o| matches!(o, Operand::Scalar(_)));
            let len = if all_scalar { 1 } else { n };
            let mut out = Vec::with_capacity(len);
            let mut cells: Vec<Slot> = Vec::with_capacity(ops.len());
            for i in 0..len {
                cells.clear();
                cells.extend(ops.iter().map(|o| o.at(i)));
                out.push(call(*func, &cells));
            }
            if all_scalar {
                Operand::Scalar(out[0])
            } else {
                Operand::Vector(out)
            }
        }
    }
}

fn map1(a: Operand, n: usize, f: impl Fn(Slot) -> Slot) -> Operand {
    match a {
        Operand::Scalar(s) => Operand::Scalar(f(s)),
        Operand::Vector(mut v) => {
            v.iter_mut().for_each(|s| *s = f(*s));
            let _ = n;
            Operand::Vector(v)
        }
    }
}

fn map2(a: Operand, b: Operand, n: usize, f: fn(Slot, Slot) -> Slot) -> Operand {
    match (a, b) {
        (Operand::Scalar(x), Operand::Scalar(y)) => Operand::Scalar(f(x, y)),
        (Operand::Vector(mut v), b) => {
            for (i, s) in v.iter_mut().enumerate() {
                *s = f(*s, b.at(i));
            }
            Operand::Vector(v)
        }
        (a, Operand::Vector(mut w)) => {
            for (i, s) in w.iter_mut().enumerate() {
                *s = f(a.at(i), *s);
            }
            let _ = n;
            Operand::Vector(w)
        }
    }
}

/// Whether an operand has no value at all: empty, no record, or [`Slot::VOID`].
#[inline]
fn absent(s: Slot) -> bool {
    s.is_void() || s.is_none()
}

/// The result of an operation when an operand is not a number, by rules 1–3 of the module
/// doc; `None` when every operand is a number.
#[inline]
fn not_a_number(args: &[Slot]) -> Option<Slot> {
    let mut code: Option<MissingCode> = None;
    for a in args {
        if absent(*a) {
            return Some(Slot::VOID);
        }
        if let Err(c) = a.get() {
            code = Some(code.map_or(c, |p| p.stronger(c)));
        }
    }
    code.map(Slot::missing)
}

/// A finite number, else no value for the whole formula.
#[inline]
fn fin(x: f64) -> Slot {
    if x.is_finite() {
        Slot::num(x)
    } else {
        Slot::VOID
    }
}

#[inline]
fn arith(a: Slot, b: Slot, f: impl Fn(f64, f64) -> Slot) -> Slot {
    match (a.get(), b.get()) {
        (Ok(x), Ok(y)) => f(x, y),
        _ => not_a_number(&[a, b]).unwrap_or(Slot::VOID),
    }
}

pub(crate) fn add(a: Slot, b: Slot) -> Slot {
    arith(a, b, |x, y| fin(x + y))
}

pub(crate) fn sub(a: Slot, b: Slot) -> Slot {
    arith(a, b, |x, y| fin(x - y))
}

pub(crate) fn mul(a: Slot, b: Slot) -> Slot {
    arith(a, b, |x, y| fin(x * y))
}

pub(crate) fn div(a: Slot, b: Slot) -> Slot {
    // Division by zero: no value, and not one that a later operator may pass over.
    arith(a, b, |x, y| if y != 0.0 { fin(x / y) } else { Slot::VOID })
}

pub(crate) fn neg(a: Slot) -> Slot {
    match a.get() {
        Ok(x) => fin(-x),
        Err(_) => not_a_number(&[a]).unwrap_or(Slot::VOID),
    }
}

pub(crate) fn call(func: Func, args: &[Slot]) -> Slot {
    if func == Func::Sum {
        // Like a total over areas: numbers add up, `?`/`x` poison, the rest is left out.
        let mut s = Sum::default();
        for a in args {
            if !a.is_void() {
                s.add(*a);
            }
        }
        return match s.result() {
            r if r.is_none() => Slot::VOID,
            r => r,
        };
    }
    if let Some(m) = not_a_number(args) {
        return m;
    }
    let x = args[0].number().unwrap_or(0.0);
    match func {
        Func::Sqrt if x < 0.0 => Slot::VOID,
        Func::Sqrt => fin(x.sqrt()),
        Func::Abs => fin(x.abs()),
        Func::Round => {
            let digits = args.get(1).and_then(|d| d.number()).unwrap_or(0.0).round() as i32;
            let f = 10f64.powi(digits);
            fin((x * f).round() / f)
        }
        Func::Min => fin(args
            .iter()
            .filter_map(|a| a.number())
            .fold(f64::INFINITY, f64::min)),
        Func::Max => fin(args
            .iter()
            .filter_map(|a| a.number())
            .fold(f64::NEG_INFINITY, f64::max)),
        Func::Sum => unreachable!("handled above"),
    }
}

/// `cell(cube, member…)`: the sum of the cube's finest cells that match every named member
/// (directly or through the dimension aggregation tables); unnamed dimensions are totalled.
/// A loaded cell whose key is exactly the named members wins per item (a loaded marginal total);
/// items without one keep the sum of their cells.
fn cell(c: &Computed, cube: &str, members: &[MemberSpec], level: usize, p: Period) -> Operand {
    let n = c.geo.levels[level].len();
    let Some(&ci) = c.index.get(cube) else {
        return Operand::Vector(vec![Slot::VOID; n]);
    };
    let Some(keys) = c
        .keys
        .get(&(ci, level as u16))
        .filter(|k| k.range((p, 0)..=(p, u32::MAX)).next().is_some())
    else {
        // The cube has no data in this period on this level: the term is outside its series.
        return Operand::Vector(vec![Slot::VOID; n]);
    };
    let matches = |pair: &(String, String), spec: &MemberSpec| {
        let direct = pair.1 == spec.member && spec.level.as_ref().is_none_or(|l| *l == pair.0);
        direct
            || c.dim_up.get(pair).is_some_and(|ups| {
                ups.iter()
                    .any(|(l, m)| *m == spec.member && spec.level.as_ref().is_none_or(|sl| sl == l))
            })
    };
    let mut exact: Option<u32> = None;
    let mut fine: Vec<u32> = Vec::new();
    for (q, d) in keys.range((p, 0)..=(p, u32::MAX)) {
        debug_assert_eq!(*q, p);
        let key = &c.dims[*d as usize];
        let all = members
            .iter()
            .all(|s| key.0.iter().any(|pair| matches(pair, s)));
        if !all {
            continue;
        }
        let is_exact = key.0.len() == members.len()
            && members.iter().all(|s| {
                key.0
                    .iter()
                    .any(|pair| pair.1 == s.member && s.level.as_ref().is_none_or(|l| *l == pair.0))
            });
        let is_fine = c.is_fine(ci, key);
        if is_exact && !is_fine {
            exact = Some(*d);
        }
        if is_fine {
            fine.push(*d);
        }
    }
    let mut sums = vec![Sum::default(); n];
    for d in fine {
        if let Some(v) = c.get(ci, level, p, d) {
            for (s, x) in sums.iter_mut().zip(v) {
                s.add(*x);
            }
        }
    }
    let mut out: Vec<Slot> = sums.iter().map(|s| s.result()).collect();
    if let Some(v) = exact.and_then(|d| c.get(ci, level, p, d)) {
        for (o, x) in out.iter_mut().zip(v) {
            if !x.is_none() {
                *o = *x;
            }
        }
    }
    Operand::Vector(out)
}
