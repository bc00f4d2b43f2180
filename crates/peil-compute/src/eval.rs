//! Vectorised evaluation of formula indicators: one pass over the expression per level and
//! period, each node producing a whole vector of items (never one interpretation per cell).
//!
//! Missing codes in formulas (section 5 and 6): a poisoning code (`?`, `x`) makes the result
//! that code, hidden winning over unknown, so a censored input censors the result. A skipped
//! code (`nvt`, `-`) is left out of `+`, `-`, `min` and `max` like a sum leaves it out; in `*`,
//! `/` and the other functions it makes the result that code. Division by zero, the root of a
//! negative number and any non-finite result give no value.
//!
//! "No value" that the formula itself runs into is not a skipped input: a term outside its
//! series (`data_from_period` before the first or after the last period, `data_from_mrp` beyond
//! the oldest period, a term without any data in the period), a division by zero or the root of
//! a negative number make the whole result no value (internally [`Slot::VOID`]), so that
//! `a - data_from_period(a, "-1")` has no value in the first year, `data_from_period(x, "+1") +
//! x - x` shifts a series (its last period has no value, not 0), and `a / b * 100 - 100` has no
//! value where `b` is 0; it wins over every code (nothing is shown, so nothing is revealed).
//! Within an existing series, an item's `-` (no record) is skipped by `+` and `-` as section 5
//! says.

use crate::engine::{ComputeError, Computed};
use crate::privacy::threshold_hides;
use crate::slot::{Slot, stronger};
use peil_core::Period;
use peil_core::formula::{BinOp, Expr, Func, MemberSpec};
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
/// the nth most recent period of that period level in which var has a number (0 and 1: the
/// latest).
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
                .is_some_and(|v| v.iter().any(|s| s.number().is_some()))
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
        Expr::Neg(a) => map1(eval(a, c, level, p), n, |x| x.get().map_or(x, |v| fin(-v))),
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

/// `Err(result)` when either side is missing, by the rules in the module doc.
#[inline]
fn missing_pair(a: Slot, b: Slot) -> Option<Slot> {
    match (a.get(), b.get()) {
        (Ok(_), Ok(_)) => None,
        (Err(x), Err(y)) => Some(Slot::missing(stronger(x, y))),
        (Err(x), Ok(_)) | (Ok(_), Err(x)) => Some(Slot::missing(x)),
    }
}

/// No value at all ([`Slot::VOID`]) on either side, else a poisoning code on either side
/// (hidden before unknown).
fn poisoned(a: Slot, b: Slot) -> Option<Slot> {
    if a.is_void() || b.is_void() {
        return Some(Slot::VOID);
    }
    let p = |s: Slot| s.get().err().filter(|c| c.poisons());
    match (p(a), p(b)) {
        (Some(x), Some(y)) => Some(Slot::missing(stronger(x, y))),
        (Some(x), None) | (None, Some(x)) => Some(Slot::missing(x)),
        (None, None) => None,
    }
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

pub(crate) fn add(a: Slot, b: Slot) -> Slot {
    if let Some(p) = poisoned(a, b) {
        return p;
    }
    match (a.get(), b.get()) {
        (Ok(x), Ok(y)) => fin(x + y),
        (Ok(_), Err(_)) => a,
        (Err(_), Ok(_)) => b,
        _ => missing_pair(a, b).unwrap_or(Slot::NONE),
    }
}

pub(crate) fn sub(a: Slot, b: Slot) -> Slot {
    if let Some(p) = poisoned(a, b) {
        return p;
    }
    match (a.get(), b.get()) {
        (Ok(x), Ok(y)) => fin(x - y),
        (Ok(_), Err(_)) => a,
        (Err(_), Ok(y)) => fin(-y),
        _ => missing_pair(a, b).unwrap_or(Slot::NONE),
    }
}

pub(crate) fn mul(a: Slot, b: Slot) -> Slot {
    if let Some(p) = poisoned(a, b) {
        return p;
    }
    match missing_pair(a, b) {
        Some(m) => m,
        None => fin(a.number().unwrap_or(0.0) * b.number().unwrap_or(0.0)),
    }
}

pub(crate) fn div(a: Slot, b: Slot) -> Slot {
    if let Some(p) = poisoned(a, b) {
        return p;
    }
    match missing_pair(a, b) {
        Some(m) => m,
        None => match b.number() {
            Some(y) if y != 0.0 => fin(a.number().unwrap_or(0.0) / y),
            // Division by zero: no value, and not one that a later `+` may skip.
            _ => Slot::VOID,
        },
    }
}

pub(crate) fn call(func: Func, args: &[Slot]) -> Slot {
    // No value at all wins, then a poisoning code; skipped codes follow the rules below.
    let poison = args.iter().fold(None, |acc: Option<Slot>, a| match acc {
        None => poisoned(*a, *a),
        Some(prev) => poisoned(prev, *a),
    });
    if let Some(p) = poison {
        return p;
    }
    match func {
        Func::Min | Func::Max => {
            let mut best: Option<f64> = None;
            let mut poison = None;
            let mut skipped = None;
            for a in args {
                match a.get() {
                    Ok(v) => {
                        best = Some(best.map_or(v, |b| {
                            if func == Func::Min {
                                b.min(v)
                            } else {
                                b.max(v)
                            }
                        }))
                    }
                    Err(c) if c.poisons() => poison = Some(poison.map_or(c, |p| stronger(p, c))),
                    Err(c) => skipped = Some(skipped.map_or(c, |p| stronger(p, c))),
                }
            }
            match (poison, best) {
                (Some(p), _) => Slot::missing(p),
                (None, Some(b)) => fin(b),
                (None, None) => skipped.map_or(Slot::NONE, Slot::missing),
            }
        }
        _ => {
            let mut m: Option<Slot> = None;
            for a in args {
                if a.get().is_err() {
                    m = Some(match m {
                        Some(prev) => missing_pair(prev, *a).unwrap_or(*a),
                        None => *a,
                    });
                }
            }
            if let Some(m) = m {
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
                Func::Min | Func::Max => unreachable!(),
            }
        }
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
    let mut sums = vec![crate::slot::Sum::default(); n];
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
