//! Privacy: thresholds with the threshold-indicator precedence, censoring that
//! propagates into formulas, rounding, and secondary suppression so that no hidden cell can
//! be recovered by differencing along any parent = sum of children relation of the hierarchy
//! (or year = sum of its sub-periods for flows).

use crate::engine::{Computed, GeoRule, Key};
use crate::slot::Slot;
use peil_core::{DataType, Period, PeriodType};
use std::collections::HashMap;

/// The indicator whose value decides whether `ind` is shown: its threshold indicator, sample
/// indicator, aggregation indicator, or itself, in that order of preference.
pub fn check_indicator(c: &Computed, ind: u32) -> u32 {
    let i = &c.indicators[ind as usize];
    [
        &i.threshold_indicator,
        &i.sample_indicator,
        &i.aggregation_indicator,
    ]
    .into_iter()
    .flatten()
    .find_map(|code| c.index.get(code).copied())
    .unwrap_or(ind)
}

/// Whether the indicator's own threshold hides one cell (primary suppression).
pub fn threshold_hides(
    c: &Computed,
    ind: u32,
    level: usize,
    p: Period,
    dims: u32,
    item: usize,
) -> bool {
    let Some(t) = c.indicators[ind as usize].threshold.filter(|t| *t > 0.0) else {
        return false;
    };
    let chk = check_indicator(c, ind);
    let d = if chk == ind { dims } else { 0 };
    // A non-zero value of the check indicator below the threshold hides the cell, whatever
    // the indicator's own value: "0 is always shown" is about the check indicator (a 0 %
    // from 5 respondents is hidden under a sample threshold of 30; a 0 numerator is shown).
    match c.get(chk, level, p, d).and_then(|v| v[item].number()) {
        Some(v) => v != 0.0 && v.abs() < t,
        None => false,
    }
}

/// Per key, which cells Peil hides.
pub type Masks = HashMap<Key, Vec<bool>>;

/// Computes the final suppression masks of all indicators.
pub fn masks(c: &Computed, secondary: bool) -> Masks {
    masks_of(c, secondary, None, HashMap::new())
}

/// Computes the masks of `only` (and keeps `previous` masks of every other indicator, which
/// the formulas among `only` may read).
pub fn masks_of(
    c: &Computed,
    secondary: bool,
    only: Option<&std::collections::HashSet<u32>>,
    previous: Masks,
) -> Masks {
    let wanted = |i: u32| only.is_none_or(|o| o.contains(&i));
    let mut masks: Masks = previous;
    masks.retain(|k, _| !wanted(k.0));
    // 1. Primary suppression.
    for (key, v) in &c.values {
        if !wanted(key.0)
            || c.indicators[key.0 as usize]
                .threshold
                .is_none_or(|t| t <= 0.0)
        {
            continue;
        }
        let m: Vec<bool> = (0..v.len())
            .map(|i| threshold_hides(c, key.0, key.1 as usize, key.2, key.3, i))
            .collect();
        if m.iter().any(|b| *b) {
            masks.insert(*key, m);
        }
    }
    // 2. Secondary suppression for additive indicators with a threshold (checked on themselves
    //    or on another indicator: a sum hidden where its check indicator is small is still a
    //    sum, and parent − visible siblings would give it back; the check indicator's own mask
    //    is added in step 3, and hiding more never makes a hidden cell recoverable), and for
    //    weighted means and percentages with a threshold: their parent is Σ(v·w)/Σw, so the
    //    numerators v·w add up like counts and a hidden child's numerator (hence its value, the
    //    weight being public) could be recovered by differencing.
    //    Indicators linked by sum relations (`crate::linked`) are protected together, as one
    //    system: their own relations plus total = Σ parts in every cell.
    let no_links = crate::linked::Linked::default();
    let linked = if secondary { c.linked() } else { &no_links };
    let groups = linked.groups();
    let in_group: std::collections::HashSet<u32> = groups
        .iter()
        .flat_map(|g| g.members.iter().copied())
        .collect();
    if secondary {
        for ind in 0..c.indicators.len() as u32 {
            let i = &c.indicators[ind as usize];
            if !wanted(ind)
                || in_group.contains(&ind)
                || i.threshold.is_none_or(|t| t <= 0.0)
                || c.formulas[ind as usize].is_some()
            {
                continue;
            }
            let weight = match c.rule(ind) {
                GeoRule::Sum => None,
                GeoRule::Weighted(w) => Some(w),
                _ => continue,
            };
            secondary_suppress(c, &[(ind, weight)], &[], &mut masks);
        }
    }
    // Groups, then the sets hidden together, then the masks formulas inherit (step 3); a group
    // whose masks the later steps extended is protected again, until nothing changes. A share
    // in a relation is taken by its hits (its value × its `n` / 100).
    let linked_members: Vec<u32> = groups
        .iter()
        .flat_map(|g| g.members.iter().copied())
        .chain(linked.together.iter().flatten().copied())
        .collect();
    for _round in 0..16 {
        for g in &groups {
            if g.members.iter().any(|m| wanted(*m)) {
                let m: Vec<(u32, Option<u32>)> =
                    g.members.iter().map(|&x| (x, linked.weight(x))).collect();
                let s: Vec<crate::linked::LinkedSum> =
                    g.sums.iter().map(|s| (*s).clone()).collect();
                secondary_suppress(c, &m, &s, &mut masks);
            }
        }
        let after_groups = group_masks(&masks, &linked_members);
        hide_together(c, linked, &wanted, &mut masks);
        inherit(c, &mut masks, &wanted);
        if group_masks(&masks, &linked_members) == after_groups {
            break;
        }
    }
    masks
}

/// Indicators hidden together (`crate::linked::Linked::together`: sums that equal one
/// unpublished total, and measures whose relations the import could not list in full): every
/// cell hidden in one member is hidden in each member that has it, and each member is protected
/// along its own relations, until nothing changes. With the same hidden cells in every member
/// (and the same levels and periods), no relation between them that holds record by record can
/// give a hidden cell away — whatever relations are known or missed: moving each member's
/// hidden cells by the same amounts along its own relations, scaled by whether one record
/// counts in it, keeps every such relation.
fn hide_together(
    c: &Computed,
    linked: &crate::linked::Linked,
    wanted: &dyn Fn(u32) -> bool,
    masks: &mut Masks,
) {
    for set in &linked.together {
        if !set.iter().any(|m| wanted(*m)) {
            continue;
        }
        for _ in 0..64 {
            let before = group_masks(masks, set);
            let mut union: HashMap<(u16, Period, u32), Vec<bool>> = HashMap::new();
            for (k, v) in &before {
                let u = union
                    .entry((k.1, k.2, k.3))
                    .or_insert_with(|| vec![false; v.len()]);
                if u.len() == v.len() {
                    u.iter_mut().zip(v).for_each(|(a, b)| *a |= *b);
                }
            }
            for &m in set {
                for (&(l, p, d), u) in &union {
                    let key = (m, l, p, d);
                    let Some(n) = c.values.get(&key).map(|v| v.len()) else {
                        continue;
                    };
                    if n != u.len() {
                        continue;
                    }
                    let mask = masks.entry(key).or_insert_with(|| vec![false; n]);
                    mask.iter_mut().zip(u).for_each(|(a, b)| *a |= *b);
                }
            }
            for &m in set {
                secondary_suppress(c, &[(m, linked.weight(m))], &[], masks);
            }
            if group_masks(masks, set) == before {
                break;
            }
        }
    }
}

/// The masks of some indicators.
fn group_masks(masks: &Masks, members: &[u32]) -> Masks {
    masks
        .iter()
        .filter(|(k, _)| members.contains(&k.0))
        .map(|(k, v)| (*k, v.clone()))
        .collect()
}

/// Step 3 of [`masks_of`].
fn inherit(c: &Computed, masks: &mut Masks, wanted: &dyn Fn(u32) -> bool) {
    // 3. Indicators checked on another indicator share its whole mask (a ratio hidden where its
    //    numerator is, including the numerator's secondary cells, or numerator = ratio × denominator
    //    would give it away); then formulas inherit the masks of their inputs, in dependency order.
    for &ind in c.order.iter().filter(|i| wanted(**i)) {
        let chk = check_indicator(c, ind);
        let levels: Vec<u16> = c
            .keys
            .keys()
            .filter(|(x, _)| *x == ind)
            .map(|(_, l)| *l)
            .collect();
        for l in levels {
            let ks: Vec<(Period, u32)> = c.keys[&(ind, l)].iter().copied().collect();
            for (p, d) in ks {
                let key = (ind, l, p, d);
                let n = c.values[&key].len();
                let mut m = masks.get(&key).cloned().unwrap_or_else(|| vec![false; n]);
                if chk != ind
                    && c.indicators[ind as usize].threshold.is_some()
                    && let Some(cm) = masks.get(&(chk, l, p, 0))
                {
                    m.iter_mut().zip(cm).for_each(|(a, b)| *a |= *b);
                }
                // A share of a record set is hidden wherever a count of its hits is (share ×
                // its `_n` / 100 would give the count).
                for code in hidden_with(c, ind) {
                    if let Some(cm) = masks.get(&(code, l, p, 0)) {
                        m.iter_mut().zip(cm).for_each(|(a, b)| *a |= *b);
                    }
                }
                if let Some(f) = &c.formulas[ind as usize] {
                    for r in f.references() {
                        let Some(&ri) = c.index.get(&r.code) else {
                            continue;
                        };
                        let mut inputs: Vec<Key> = Vec::new();
                        match r.kind {
                            peil_core::formula::RefKind::Shift => {
                                for off in shift_offsets(&f.expr, &r.code) {
                                    if let Some(q) = p.offset(off) {
                                        inputs.push((ri, l, q, 0));
                                    }
                                }
                            }
                            // data_from_mrp reads the most recent periods, not p: inherit
                            // the mask of the period it actually reads.
                            peil_core::formula::RefKind::Mrp => {
                                for nth in mrp_counts(&f.expr, &r.code) {
                                    if let Some(q) =
                                        crate::eval::mrp_period(c, ri, l as usize, p.level, nth)
                                    {
                                        inputs.push((ri, l, q, 0));
                                    }
                                }
                            }
                            peil_core::formula::RefKind::Cell => {
                                if let Some(k) = c.keys.get(&(ri, l)) {
                                    inputs.extend(
                                        k.range((p, 0)..=(p, u32::MAX))
                                            .map(|(q, dd)| (ri, l, *q, *dd)),
                                    );
                                }
                            }
                            _ => inputs.push((ri, l, p, 0)),
                        }
                        for k in inputs {
                            if let Some(im) = masks.get(&k) {
                                m.iter_mut().zip(im).for_each(|(a, b)| *a |= *b);
                            }
                        }
                    }
                }
                if m.iter().any(|b| *b) {
                    masks.insert(key, m);
                }
            }
        }
    }
}

/// `dirty` and the indicators whose masks are taken from one of them (checked on it, or a
/// share hidden with it), so that a recomputation suppresses them again too.
pub fn mask_readers(c: &Computed, dirty: &[u32]) -> Vec<u32> {
    let mut out: std::collections::BTreeSet<u32> = dirty.iter().copied().collect();
    for ind in 0..c.indicators.len() as u32 {
        let chk = check_indicator(c, ind);
        if (chk != ind && out.contains(&chk)) || hidden_with(c, ind).iter().any(|x| out.contains(x))
        {
            out.insert(ind);
        }
    }
    out.into_iter().collect()
}

/// The indicators whose masks a record set's share takes on
/// (`peil_core::records::HIDDEN_WITH`).
fn hidden_with(c: &Computed, ind: u32) -> Vec<u32> {
    c.indicators[ind as usize]
        .extra
        .get(peil_core::records::HIDDEN_WITH)
        .map(|t| {
            peil_core::records::read_codes(t)
                .filter_map(|code| c.index.get(code).copied())
                .collect()
        })
        .unwrap_or_default()
}

/// The `n` of every `data_from_mrp(code, n)` in a formula.
fn mrp_counts(e: &peil_core::formula::Expr, code: &str) -> Vec<u32> {
    let mut out = Vec::new();
    e.walk(&mut |x| {
        if let peil_core::formula::Expr::Mrp { var, n } = x
            && var == code
        {
            out.push(*n);
        }
    });
    out
}

fn shift_offsets(e: &peil_core::formula::Expr, code: &str) -> Vec<i64> {
    use peil_core::formula::Expr;
    let mut out = Vec::new();
    fn walk(e: &Expr, code: &str, out: &mut Vec<i64>) {
        match e {
            Expr::Shift { var, offset } if var == code => out.push(*offset),
            Expr::Neg(a) => walk(a, code, out),
            Expr::Bin { left, right, .. } => {
                walk(left, code, out);
                walk(right, code, out);
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| walk(a, code, out)),
            _ => {}
        }
    }
    walk(e, code, &mut out);
    out
}

/// The cells of one indicator (every cube cell), across levels and periods, and the additive
/// relations between them: parent = Σ children, a flow's period = Σ its sub-periods, and a
/// cube's marginal total = Σ the cells it totals.
pub struct Relations {
    /// (level, period, cube cell) of each block of cells; cell id = block start + item position.
    pub blocks: Vec<(u16, Period, u32, usize)>,
    pub block_of: HashMap<(u16, Period, u32), usize>,
    pub values: Vec<Slot>,
    /// Each relation: first cell is the total, the rest its parts.
    pub rels: Vec<Vec<u32>>,
}

impl Relations {
    pub fn build(c: &Computed, ind: u32) -> Relations {
        Relations::build_as(c, ind, false)
    }

    /// [`Relations::build`]; `hits`: the indicator is a share taken by its hits (share × n /
    /// 100), which add up over periods like a flow — a period by the finest sub-periods of
    /// which it has all (a share per quarter and year: a year is its quarters).
    pub fn build_as(c: &Computed, ind: u32, hits: bool) -> Relations {
        let mut blocks = Vec::new();
        let mut block_of = HashMap::new();
        let mut values = Vec::new();
        let mut levels: Vec<u16> = c
            .keys
            .keys()
            .filter(|(x, _)| *x == ind)
            .map(|(_, l)| *l)
            .collect();
        levels.sort();
        for &l in &levels {
            for &(p, d) in &c.keys[&(ind, l)] {
                let v = &c.values[&(ind, l, p, d)];
                block_of.insert((l, p, d), blocks.len());
                blocks.push((l, p, d, values.len()));
                values.extend_from_slice(v);
            }
        }
        let mut rels = Vec::new();
        let cell = |b: usize, i: usize| (blocks[b].3 + i) as u32;
        // Relations are made in the blocks' order (never a hash map's): which cell secondary
        // suppression hides next depends on their order, and a publication must not depend on
        // the process that computed it.
        // Geography: parent = sum of children, per period and cube cell.
        for e in &c.geo.edges {
            let mut children: Vec<Vec<u32>> = vec![Vec::new(); c.geo.levels[e.parent].len()];
            for (ci, p) in e.links() {
                children[p].push(ci as u32);
            }
            for (pb, &(l, p, d, _)) in blocks.iter().enumerate() {
                if l as usize != e.parent {
                    continue;
                }
                let Some(&cb) = block_of.get(&(e.child as u16, p, d)) else {
                    continue;
                };
                for (pp, kids) in children.iter().enumerate() {
                    if kids.is_empty() {
                        continue;
                    }
                    let mut r = vec![cell(pb, pp)];
                    r.extend(kids.iter().map(|&k| cell(cb, k as usize)));
                    rels.push(r);
                }
            }
        }
        // Time: a flow's coarser period = sum of its sub-periods.
        let i = &c.indicators[ind as usize];
        if hits
            || (i.period_type == PeriodType::Flow
                && matches!(i.data_type, DataType::Numeric | DataType::ObjectCount)
                && !i.non_aggregable_periods)
        {
            for (pb, &(l, p, d, _)) in blocks.iter().enumerate() {
                let subs_at = |fine: peil_core::PeriodLevel| -> Option<Vec<usize>> {
                    let per = (fine.per_year() / p.level.per_year()) as i64;
                    let ((y, m, _), _) = p.bounds();
                    let first = Period::new(fine, y, (m - 1) / (12 / fine.per_year()) + 1)?;
                    (0..per)
                        .map(|k| {
                            first
                                .offset(k)
                                .and_then(|q| block_of.get(&(l, q, d)).copied())
                        })
                        .collect()
                };
                let mut fine = finer(p.level);
                let mut subs = None;
                while let Some(f) = fine {
                    subs = subs_at(f);
                    if subs.is_some() || !hits {
                        break;
                    }
                    fine = finer(f);
                }
                let Some(subs) = subs else { continue };
                let n = c.geo.levels[l as usize].len();
                for item in 0..n {
                    let mut r = vec![cell(pb, item)];
                    r.extend(subs.iter().map(|&b| cell(b, item)));
                    rels.push(r);
                }
            }
        }
        // Cube: a marginal total (a key naming fewer dimensions than the cube has) = sum of the
        // finest cells it totals, directly or through the dimension aggregation tables.
        let full = i.dim_levels.len();
        if full > 0 {
            let covers = |coarse: &(String, String), fine: &(String, String)| {
                coarse == fine || c.dim_up.get(fine).is_some_and(|ups| ups.contains(coarse))
            };
            for (mb, &(l, p, d, _)) in blocks.iter().enumerate() {
                let marginal = &c.dims[d as usize];
                if c.is_fine(ind, marginal) {
                    continue;
                }
                let parts: Vec<usize> = blocks
                    .iter()
                    .enumerate()
                    .filter(|(_, (l2, p2, d2, _))| *l2 == l && *p2 == p && *d2 != d)
                    .filter(|(_, (_, _, d2, _))| {
                        let key = &c.dims[*d2 as usize];
                        c.is_fine(ind, key)
                            && marginal
                                .0
                                .iter()
                                .all(|m| key.0.iter().any(|f| covers(m, f)))
                    })
                    .map(|(b, _)| b)
                    .collect();
                if parts.is_empty() {
                    continue;
                }
                for item in 0..c.geo.levels[l as usize].len() {
                    let mut r = vec![cell(mb, item)];
                    r.extend(parts.iter().map(|&b| cell(b, item)));
                    rels.push(r);
                }
            }
        }
        // Only relations that hold between known numbers (missing codes break them).
        rels.retain(|r| {
            r.iter()
                .all(|&x| values[x as usize].number().is_some() || values[x as usize].is_none())
                && values[r[0] as usize].number().is_some()
        });
        Relations {
            blocks,
            block_of,
            values,
            rels,
        }
    }
}

fn finer(level: peil_core::PeriodLevel) -> Option<peil_core::PeriodLevel> {
    use peil_core::PeriodLevel::*;
    match level {
        Year => Some(HalfYear),
        HalfYear => Some(Quarter),
        Quarter => Some(Month),
        Month => None,
    }
}

/// Extends the masks of some indicators (all their cube cells) until no hidden cell can be
/// recovered from their relations and the sum relations `sums` between them. A member with a
/// weight is taken as its numerators value × weight (a weighted mean or percentage). A member
/// that is a formula over other members is hidden wherever one of its inputs is (as step 3 of
/// [`masks_of`] will do), so that the system sees what readers will see.
fn secondary_suppress(
    c: &Computed,
    members: &[(u32, Option<u32>)],
    sums: &[crate::linked::LinkedSum],
    masks: &mut Masks,
) {
    // Every member's cells one after another, and all their relations.
    let mut values: Vec<Slot> = Vec::new();
    let mut rels: Vec<Vec<u32>> = Vec::new();
    // (indicator, level, period, cube cell, first cell id)
    let mut blocks: Vec<(u32, u16, Period, u32, usize)> = Vec::new();
    let mut block_of: HashMap<Key, usize> = HashMap::new();
    for &(ind, weight) in members {
        let hits = weight.is_some() && c.linked().hits.get(&ind) == weight.as_ref();
        let mut one = Relations::build_as(c, ind, hits);
        if let Some(w) = weight {
            // A percentage × its weight / 100: a share's hits, in the units of the counts it
            // adds up with.
            let scale = if c.indicators[ind as usize].data_type == DataType::Percentage {
                100.0
            } else {
                1.0
            };
            for &(l, p, _, start) in &one.blocks {
                let wv = c.get(w, l as usize, p, 0);
                for i in 0..c.geo.levels[l as usize].len() {
                    let v = one.values[start + i];
                    if let (Some(a), Some(b)) = (v.number(), wv.and_then(|x| x[i].number())) {
                        one.values[start + i] = Slot::num(a * b / scale);
                    }
                }
            }
        }
        let offset = values.len();
        for &(l, p, d, start) in &one.blocks {
            block_of.insert((ind, l, p, d), offset + start);
            blocks.push((ind, l, p, d, offset + start));
        }
        rels.extend(
            one.rels
                .into_iter()
                .map(|rel| rel.into_iter().map(|x| x + offset as u32).collect()),
        );
        values.extend(one.values);
    }
    if values.is_empty() {
        return;
    }
    // total = Σ parts, in every cell where it holds in numbers (an empty part counts as 0).
    for s in sums {
        for &(_, l, p, d, ts) in blocks.iter().filter(|b| b.0 == s.total) {
            let parts: Option<Vec<usize>> = s
                .parts
                .iter()
                .map(|&x| block_of.get(&(x, l, p, d)).copied())
                .collect();
            let Some(parts) = parts else { continue };
            for item in 0..c.geo.levels[l as usize].len() {
                let Some(t) = values[ts + item].number() else {
                    continue;
                };
                let mut sum = 0.0;
                let mut ok = true;
                for &ps in &parts {
                    let v = values[ps + item];
                    match v.number() {
                        Some(x) => sum += x,
                        None if v.is_none() => {}
                        None => ok = false,
                    }
                }
                if ok && crate::linked::holds(t, sum) {
                    let mut rel = vec![(ts + item) as u32];
                    rel.extend(parts.iter().map(|&ps| (ps + item) as u32));
                    rels.push(rel);
                }
            }
        }
    }
    // Formula members read these cells of other members (same level, period, cube cell).
    let mut reads: Vec<(u32, u32)> = Vec::new();
    for &(ind, _) in members {
        let Some(f) = &c.formulas[ind as usize] else {
            continue;
        };
        for input in f.references() {
            let Some(&x) = c.index.get(&input.code) else {
                continue;
            };
            if input.kind != peil_core::formula::RefKind::Plain || !members.iter().any(|m| m.0 == x)
            {
                continue;
            }
            for &(_, l, p, d, fs) in blocks.iter().filter(|b| b.0 == ind) {
                if let Some(&xs) = block_of.get(&(x, l, p, d)) {
                    for item in 0..c.geo.levels[l as usize].len() {
                        reads.push(((fs + item) as u32, (xs + item) as u32));
                    }
                }
            }
        }
    }
    // Cells that a relation of one part makes equal (a duplicate series, a parent with one
    // child) are one unknown: every relation is written over the first cell of its class, so
    // the system has one variable where it had several.
    let class = equal_cells(&mut rels, values.len());
    let reads: Vec<(u32, u32)> = reads
        .into_iter()
        .map(|(f, x)| (class[f as usize], class[x as usize]))
        .collect();
    let inherit = |hidden: &mut Vec<bool>| {
        let mut any = false;
        for &(f, x) in &reads {
            if hidden[x as usize] && !hidden[f as usize] {
                hidden[f as usize] = true;
                any = true;
            }
        }
        any
    };
    let mut hidden = vec![false; values.len()];
    for &(ind, l, p, d, start) in &blocks {
        if let Some(m) = masks.get(&(ind, l, p, d)) {
            for (i, h) in m.iter().enumerate() {
                hidden[start + i] = *h;
            }
        }
    }
    for x in 0..hidden.len() {
        if hidden[x] {
            hidden[class[x] as usize] = true;
        }
    }
    inherit(&mut hidden);
    if !hidden.iter().any(|h| *h) {
        return;
    }
    let by_cell = index_relations(&rels, hidden.len());
    loop {
        // Group rule: no relation may have exactly one hidden cell.
        let mut changed = true;
        while changed {
            changed = inherit(&mut hidden);
            for rel in &rels {
                let h = rel.iter().filter(|&&x| hidden[x as usize]).count();
                if h == 1
                    && let Some(x) = pick_cover(rel, &hidden, &values)
                {
                    hidden[x as usize] = true;
                    changed = true;
                }
            }
        }
        // Exact rule: no hidden cell may be determined by the system of relations.
        let recoverable = crate::checker::determined(&rels, &hidden, &by_cell);
        if recoverable.is_empty() {
            break;
        }
        let mut progress = false;
        for x in recoverable {
            // Hide one more cell in the relation of x with the fewest hidden cells.
            // A relation whose shown cells are all empty has nothing left to hide: then a
            // relation of the hidden cells of x's relations, and so on.
            let mut near: Vec<u32> = vec![x];
            let mut seen: std::collections::HashSet<u32> = near.iter().copied().collect();
            for _ in 0..4 {
                let best = near
                    .iter()
                    .flat_map(|&z| by_cell[z as usize].iter())
                    .map(|&ri| &rels[ri as usize])
                    .filter_map(|rel| {
                        let y = pick_cover(rel, &hidden, &values)?;
                        Some((rel.iter().filter(|&&y| hidden[y as usize]).count(), y))
                    })
                    .min_by_key(|(h, _)| *h);
                if let Some((_, y)) = best {
                    hidden[y as usize] = true;
                    progress = true;
                    break;
                }
                near = near
                    .iter()
                    .flat_map(|&z| by_cell[z as usize].iter())
                    .flat_map(|&ri| rels[ri as usize].iter().copied())
                    .filter(|&y| hidden[y as usize] && seen.insert(y))
                    .collect();
                if near.is_empty() {
                    break;
                }
            }
        }
        if !progress {
            break;
        }
    }
    for x in 0..hidden.len() {
        hidden[x] = hidden[class[x] as usize];
    }
    for &(ind, l, p, d, start) in &blocks {
        let n = c.geo.levels[l as usize].len();
        let m: Vec<bool> = hidden[start..start + n].to_vec();
        if m.iter().any(|h| *h) {
            masks.insert((ind, l, p, d), m);
        }
    }
}

/// Merges the cells that relations of one part (`a = b`) make equal: returns each cell's class
/// (its smallest cell) and rewrites every relation over classes, leaving out those that say
/// nothing any more (`a = a`) and repeated ones.
fn equal_cells(rels: &mut Vec<Vec<u32>>, cells: usize) -> Vec<u32> {
    let mut up: Vec<u32> = (0..cells as u32).collect();
    fn root(up: &mut [u32], mut x: u32) -> u32 {
        while up[x as usize] != x {
            up[x as usize] = up[up[x as usize] as usize];
            x = up[x as usize];
        }
        x
    }
    let mut merged = false;
    for r in rels.iter().filter(|r| r.len() == 2) {
        let (a, b) = (root(&mut up, r[0]), root(&mut up, r[1]));
        if a != b {
            up[a.max(b) as usize] = a.min(b);
            merged = true;
        }
    }
    let class: Vec<u32> = (0..cells as u32).map(|x| root(&mut up, x)).collect();
    if merged {
        let mut seen = std::collections::HashSet::new();
        rels.retain_mut(|r| {
            r.iter_mut().for_each(|x| *x = class[*x as usize]);
            if r.len() == 2 && r[0] == r[1] {
                return false;
            }
            let mut key = r.clone();
            key[1..].sort_unstable();
            seen.insert(key)
        });
    }
    class
}

pub fn index_relations(rels: &[Vec<u32>], cells: usize) -> Vec<Vec<u32>> {
    let mut by_cell = vec![Vec::new(); cells];
    for (ri, rel) in rels.iter().enumerate() {
        for &x in rel {
            by_cell[x as usize].push(ri as u32);
        }
    }
    by_cell
}

/// The visible cell to hide next in a relation: the smallest non-zero part, else the total when
/// it is a non-zero number, else a zero part. Zeros come last: a hidden zero protects as well in
/// the equations, but readers know that thresholds never hide a 0 and may guess it, and hiding
/// zeros hides figures that disclose nothing.
fn pick_cover(rel: &[u32], hidden: &[bool], values: &[Slot]) -> Option<u32> {
    let visible = |x: &u32| !hidden[*x as usize] && values[*x as usize].number().is_some();
    let size = |x: u32| values[x as usize].number().unwrap_or(0.0).abs();
    let parts = || rel[1..].iter().copied().filter(visible);
    parts()
        .filter(|&x| size(x) != 0.0)
        .min_by(|&a, &b| size(a).total_cmp(&size(b)).then(a.cmp(&b)))
        .or_else(|| (visible(&rel[0]) && size(rel[0]) != 0.0).then_some(rel[0]))
        .or_else(|| parts().next())
        .or_else(|| (!hidden[rel[0] as usize]).then_some(rel[0]))
}

/// Rounds a shown value to a multiple of the indicator's rounding base.
pub fn round_to(v: f64, base: f64) -> f64 {
    if base > 0.0 {
        (v / base).round() * base
    } else {
        v
    }
}
