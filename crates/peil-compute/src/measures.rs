//! Measures over records (issue 17): count, sum, mean, median, percentile and share of a value
//! (a number field or the days between two dates), filtered by category, per period (month,
//! quarter, half year, year) and per geo level.
//!
//! Every figure is computed from the records themselves: a year's median, or a district's, is
//! the median of that year's or district's records, never a statistic of finer medians. The
//! records are first grouped by (area item, month) — the finest cell —, then each coarser cell
//! gathers the records of the finest cells beneath it (an area's ancestor on the level, the
//! months of the period).
//!
//! Count and sum are 0 for an area the set reaches (some record of the set lies in it) in a
//! period within the range of the measure's date (a month without any decision is 0
//! decisions); mean, median, percentile and share have no value over no records. Every measure
//! but a count has a companion `<code>_n`, the number of records each value is over, on which
//! its threshold is checked (see `peil_import::records`).

use crate::modp;
use peil_core::records::{
    MeasureDef, MeasureKind, NO_DATE, RecordSetDef, Records, month_index, period_of_month,
};
use peil_core::{Period, Value};
use std::collections::{BTreeMap, HashMap};

/// The items of one geo level the measures are published on: for each item of the record
/// level (store id), its item on this level (the record level maps each item to itself).
#[derive(Debug, Clone)]
pub struct LevelMap {
    pub level: String,
    pub parent: HashMap<u32, u32>,
}

/// One computed series: a measure (or its `_n`) on a level for a period, sorted by item.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureSeries {
    pub code: String,
    pub level: String,
    pub period: Period,
    pub values: Vec<(u32, Value)>,
}

/// The `p`-th percentile (0–100) with linear interpolation between the closest ranks (the
/// default of numpy, pandas and R's type 7): position `(n−1)·p/100` in the sorted values.
/// Reorders `v`; `None` for no values.
pub fn percentile(v: &mut [f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let h = (v.len() - 1) as f64 * p / 100.0;
    let lo = h.floor() as usize;
    let (_, &mut a, rest) = v.select_nth_unstable_by(lo, f64::total_cmp);
    let frac = h - lo as f64;
    if frac == 0.0 || rest.is_empty() {
        return Some(a);
    }
    let b = rest.iter().copied().fold(f64::INFINITY, f64::min);
    Some(a + frac * (b - a))
}

/// Whether record `i` holds one of the listed labels in every listed category.
struct Condition(Vec<(usize, Vec<u32>)>);

impl Condition {
    fn new(def: &RecordSetDef, rec: &Records, map: &BTreeMap<String, Vec<String>>) -> Condition {
        Condition(
            map.iter()
                .filter_map(|(col, labels)| {
                    let k = def.categories.iter().position(|c| c == col)?;
                    Some((k, rec.categories[k].codes_of(labels)))
                })
                .collect(),
        )
    }

    fn holds(&self, rec: &Records, i: usize) -> bool {
        self.0
            .iter()
            .all(|(k, codes)| codes.contains(&rec.categories[*k].codes[i]))
    }
}

/// Every series of every measure of the set.
pub fn compute_measures(
    def: &RecordSetDef,
    rec: &Records,
    levels: &[LevelMap],
) -> Vec<MeasureSeries> {
    let mut out = Vec::new();
    // The record level's items, densely numbered.
    let mut dense: HashMap<u32, u32> = HashMap::new();
    let mut dense_items: Vec<u32> = Vec::new();
    let item_idx: Vec<u32> = rec
        .items
        .iter()
        .map(|&it| {
            *dense.entry(it).or_insert_with(|| {
                dense_items.push(it);
                dense_items.len() as u32 - 1
            })
        })
        .collect();
    for m in &def.measures {
        measure(def, rec, m, levels, &item_idx, &dense_items, &mut out);
    }
    out
}

/// Record `i`'s value for a measure: its number field, or the days between its two dates.
fn value_of(def: &RecordSetDef, rec: &Records, m: &MeasureDef, i: usize) -> Option<f64> {
    if let Some(f) = &m.field {
        let k = def.numbers.iter().position(|n| n == f)?;
        let v = rec.numbers[k][i];
        return (!v.is_nan()).then_some(v);
    }
    let col = |c: &Option<String>| def.dates.iter().position(|d| Some(d) == c.as_ref());
    let (a, b) = (rec.dates[col(&m.from)?][i], rec.dates[col(&m.to)?][i]);
    (a != NO_DATE && b != NO_DATE).then(|| f64::from(b - a))
}

/// Per record, whether a measure's count (the measure's own, or its `_n`) counts it — its date
/// places it in a month, it passes the filter and has a value where the measure needs one —,
/// and whether it is one of a share's hits (counted, and it meets the condition).
pub fn counted(def: &RecordSetDef, rec: &Records, m: &MeasureDef) -> (Vec<bool>, Vec<bool>) {
    let n = rec.len();
    let (mut counted, mut hits) = (vec![false; n], vec![false; n]);
    let Some(dk) = def.dates.iter().position(|d| *d == m.date) else {
        return (counted, hits);
    };
    let filter = Condition::new(def, rec, &m.filter);
    let condition = Condition::new(def, rec, &m.condition);
    let needs_value = m.needs_value();
    for (i, &d) in rec.dates[dk].iter().enumerate() {
        if d == NO_DATE || month_index(d).is_none() || !filter.holds(rec, i) {
            continue;
        }
        let v = value_of(def, rec, m, i);
        if needs_value && v.is_none() {
            continue;
        }
        counted[i] = true;
        hits[i] = m.within.is_none_or(|w| v.is_some_and(|v| v <= w)) && condition.holds(rec, i);
    }
    (counted, hits)
}

/// What an additive series of a measure adds up per record: the records themselves (a count,
/// an `_n`), or their value (a sum of a field, or of the days between two dates).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Quantity {
    Records,
    Value(Option<String>, Option<String>, Option<String>),
}

/// The records an additive series counts, as a bit set over the records.
struct Members {
    code: String,
    bits: Vec<u64>,
    size: u64,
}

impl Members {
    fn disjoint(&self, other: &Members) -> bool {
        self.bits.iter().zip(&other.bits).all(|(a, b)| a & b == 0)
    }
}

/// The most sums [`measure_sums`] lists per total (each is a sum of parts that exactly cover
/// it), and the most parts it tries per total.
pub const SUMS_MAX: usize = 64;
pub const CANDIDATES_MAX: usize = 24;
/// The most unpublished totals (unions of two or three disjoint series, and all of a group's
/// records) [`measure_links`] tries per group.
pub const UNIONS_MAX: usize = 512;

/// How the measures of a set hang together on its records ([`measure_links`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeasureLinks {
    /// By total: the sums of parts that equal it in every cell (see [`measure_links`]).
    pub sums: BTreeMap<String, Vec<Vec<String>>>,
    /// By share: the published counts whose records are exactly the share's hits (the records
    /// that meet its condition), so that share × `_n` / 100 is that count in every cell.
    pub hits: BTreeMap<String, Vec<String>>,
    /// Sums that equal one another in every cell while no series publishes their total (two
    /// partitions of the same records; a share's hits, `hits(<share>)`, as a total or a part):
    /// each relation's sides (at least two), each side's parts.
    pub equal: Vec<Vec<Vec<String>>>,
    /// Groups of series (a date and a quantity) whose relations the search did not finish
    /// listing ([`CANDIDATES_MAX`], [`SUMS_MAX`], [`UNIONS_MAX`] or its step budget): to be
    /// hidden together, named by the group.
    pub together: BTreeMap<String, Vec<String>>,
    /// What the statistician is told: each search that stopped at a limit.
    pub notes: Vec<String>,
}

impl MeasureLinks {
    /// The relations of [`MeasureLinks::equal`] written on `code`: those whose smallest code
    /// (a share's for its hits) it is.
    pub fn equal_on(&self, code: &str) -> Vec<&Vec<Vec<String>>> {
        self.equal
            .iter()
            .filter(|sides| {
                sides
                    .iter()
                    .flatten()
                    .map(|p| peil_core::records::hits_of(p).unwrap_or(p))
                    .min()
                    == Some(code)
            })
            .collect()
    }

    /// The group [`MeasureLinks::together`] `code` belongs to.
    pub fn together_of(&self, code: &str) -> Option<&str> {
        self.together.iter().find_map(|(g, members)| {
            members
                .iter()
                .any(|m| m == code || peil_core::records::hits_of(m) == Some(code))
                .then_some(g.as_str())
        })
    }
}

/// Every sum between the additive series of a set's measures (counts, `_n`s, sums): `total =
/// Σ parts` where, on these records, the parts count disjoint records that together are
/// exactly the total's, each placed in its period by the same date and adding up the same
/// quantity — so the sum holds in every cell (area, period) both publish. A published part
/// that equals its total is a sum of one. Found on the records, not from the definitions, so a
/// partition of a category by its values (`procedure = gewoon` + `procedure = vereenvoudigd` =
/// all) is found however the filters are written, and never one the records do not bear out.
/// Sorted by total, then parts. And every share whose hits are the records of a count.
pub fn measure_links(def: &RecordSetDef, rec: &Records) -> MeasureLinks {
    let n = rec.len();
    let words = n.div_ceil(64);
    // (date column, quantity) → the series that add it up.
    let mut groups: BTreeMap<(usize, Quantity), Vec<Members>> = BTreeMap::new();
    // A share's hits: (share, date column, records).
    let mut hits: Vec<(String, usize, Vec<u64>)> = Vec::new();
    for m in &def.measures {
        let Some(dk) = def.dates.iter().position(|d| *d == m.date) else {
            continue;
        };
        let (counted, hits_of) = counted(def, rec, m);
        let (mut bits, mut hit) = (vec![0u64; words], vec![0u64; words]);
        let mut size = 0;
        for (i, (&c, &h)) in counted.iter().zip(&hits_of).enumerate() {
            if c {
                bits[i / 64] |= 1 << (i % 64);
                size += 1;
            }
            if h {
                hit[i / 64] |= 1 << (i % 64);
            }
        }
        if m.kind == MeasureKind::Share {
            hits.push((m.code.clone(), dk, hit));
        }
        let value = Quantity::Value(m.field.clone(), m.from.clone(), m.to.clone());
        let series: Vec<(String, Quantity)> = match m.kind {
            MeasureKind::Count => vec![(m.code.clone(), Quantity::Records)],
            MeasureKind::Sum => vec![
                (m.code.clone(), value),
                (m.count_code().unwrap_or_default(), Quantity::Records),
            ],
            _ => vec![(m.count_code().unwrap_or_default(), Quantity::Records)],
        };
        for (code, q) in series {
            groups.entry((dk, q)).or_default().push(Members {
                code,
                bits: bits.clone(),
                size,
            });
        }
    }
    let mut links = MeasureLinks::default();
    // A share's hits add up like a count (share × `_n` / 100): a series of the group, after
    // the published ones (a relation is written over a published series where one is equal).
    for (share, dk, bits) in &hits {
        let size: u64 = bits.iter().map(|w| u64::from(w.count_ones())).sum();
        groups
            .entry((*dk, Quantity::Records))
            .or_default()
            .push(Members {
                code: peil_core::records::hits_code(share),
                bits: bits.clone(),
                size,
            });
    }
    for (share, dk, bits) in hits {
        let counts: Vec<String> = groups
            .get(&(dk, Quantity::Records))
            .into_iter()
            .flatten()
            .filter(|c| {
                c.size > 0 && c.bits == bits && peil_core::records::hits_of(&c.code).is_none()
            })
            .map(|c| c.code.clone())
            .collect();
        if !counts.is_empty() {
            links.hits.insert(share, counts);
        }
    }
    let set = &def.name;
    for ((dk, q), series) in &groups {
        let group = match q {
            Quantity::Records => format!("{set}: records by {}", def.dates[*dk]),
            Quantity::Value(..) => format!("{set}: sums by {}", def.dates[*dk]),
        };
        let mut limited = Vec::new();
        // Series of the same records: each equals the first of them.
        let mut distinct: Vec<&Members> = Vec::new();
        for s in series {
            match distinct.iter().find(|d| d.bits == s.bits) {
                Some(d) => links
                    .sums
                    .entry(d.code.clone())
                    .or_default()
                    .push(vec![s.code.clone()]),
                None => distinct.push(s),
            }
        }
        for t in &distinct {
            if t.size == 0 {
                continue;
            }
            let (covers, stopped) = covers_of(&t.bits, t.size, Some(&t.code), &distinct, 1 << 20);
            if let Some(why) = stopped {
                limited.push(format!("{}: {why}", t.code));
            }
            if !covers.is_empty() {
                links.sums.entry(t.code.clone()).or_default().extend(covers);
            }
        }
        // Unpublished totals: the group's records, and every union of two or three disjoint
        // series that no series publishes; related where they have two covers or more.
        let nonempty: Vec<&Members> = distinct.iter().copied().filter(|d| d.size > 0).collect();
        let mut unions: Vec<Vec<u64>> = Vec::new();
        let mut seen: std::collections::HashSet<Vec<u64>> =
            distinct.iter().map(|d| d.bits.clone()).collect();
        let mut add = |bits: Vec<u64>, unions: &mut Vec<Vec<u64>>| {
            if seen.insert(bits.clone()) {
                unions.push(bits);
            }
        };
        if let Some(first) = nonempty.first() {
            let all = nonempty
                .iter()
                .fold(first.bits.clone(), |acc, d| or(&acc, &d.bits));
            add(all, &mut unions);
        }
        'pairs: for (i, a) in nonempty.iter().enumerate() {
            for (j, b) in nonempty.iter().enumerate().skip(i + 1) {
                if !a.disjoint(b) {
                    continue;
                }
                let ab = or(&a.bits, &b.bits);
                for c in nonempty.iter().skip(j + 1) {
                    if unions.len() > UNIONS_MAX {
                        break 'pairs;
                    }
                    if a.disjoint(c) && b.disjoint(c) {
                        add(or(&ab, &c.bits), &mut unions);
                    }
                }
                add(ab, &mut unions);
            }
        }
        if unions.len() > UNIONS_MAX {
            limited.push(format!(
                "more than {UNIONS_MAX} unions of parts that no measure publishes"
            ));
            unions.truncate(UNIONS_MAX);
        }
        for u in &unions {
            let size: u64 = u.iter().map(|w| u64::from(w.count_ones())).sum();
            let (covers, stopped) = covers_of(u, size, None, &distinct, 1 << 16);
            if let Some(why) = stopped {
                limited.push(format!("an unpublished total of {size} records: {why}"));
            }
            if covers.len() >= 2 {
                links.equal.push(covers);
            }
        }
        // Which series are hidden together: all of the group's when a search stopped at a
        // limit; those in an identity when the identities are not all listed.
        let mut involved: Option<Vec<Vec<u64>>> = None;
        if limited.is_empty()
            && let Some((why, bits)) = unlisted_identities(rec.len(), &nonempty, &links)
        {
            limited.push(why);
            involved = bits;
        }
        if !limited.is_empty() {
            let members: Vec<String> = series
                .iter()
                .filter(|s| s.size > 0)
                .filter(|s| involved.as_ref().is_none_or(|i| i.contains(&s.bits)))
                .map(|s| s.code.clone())
                .collect();
            links.notes.push(format!(
                "{group}: the search for measures that add up stopped ({}); {} of the group's \
                 {} measures are hidden together instead (a cell hidden in one is hidden in \
                 all)",
                limited.join("; "),
                members.len(),
                series.len()
            ));
            links.together.insert(group.clone(), members);
        }
    }
    // A sum whose total is a share's hits (no published series): a relation through an
    // unpublished total.
    let of_hits: Vec<String> = links
        .sums
        .keys()
        .filter(|t| peil_core::records::hits_of(t).is_some())
        .cloned()
        .collect();
    for t in of_hits {
        let sums = links.sums.remove(&t).unwrap_or_default();
        links
            .equal
            .push(std::iter::once(vec![t]).chain(sums).collect());
    }
    links
}

/// Measures that add up on the records (a sum, equal sums, a group hidden together) while one
/// publishes a period level that another could add up to from its finer cells without
/// publishing it itself: a monthly count `a` beside a yearly `b = a + c`. That relation crosses
/// periods, and secondary suppression protects relations within one cell key; such a
/// definition is refused, each message saying what to add. (The same across geo levels — `a`
/// on wijken only beside `b` on municipalities only — is not checked yet.)
pub fn period_gaps(def: &RecordSetDef, links: &MeasureLinks) -> Vec<String> {
    let measure_of = |code: &str| {
        def.measures.iter().find(|m| {
            m.code == code
                || m.count_code().as_deref() == Some(code)
                || peil_core::records::hits_of(code) == Some(m.code.as_str())
        })
    };
    let mut groups: Vec<Vec<&str>> = Vec::new();
    for (total, sums) in &links.sums {
        for parts in sums {
            groups.push(
                std::iter::once(total.as_str())
                    .chain(parts.iter().map(String::as_str))
                    .collect(),
            );
        }
    }
    for sides in &links.equal {
        groups.push(sides.iter().flatten().map(String::as_str).collect());
    }
    for members in links.together.values() {
        groups.push(members.iter().map(String::as_str).collect());
    }
    let mut out = std::collections::BTreeSet::new();
    for g in groups {
        let ms: Vec<&MeasureDef> = g.iter().filter_map(|c| measure_of(c)).collect();
        for x in &ms {
            let xp = x.period_levels();
            let finest = xp.iter().map(|p| p.per_year()).max().unwrap_or(0);
            for y in &ms {
                if x.code == y.code {
                    continue;
                }
                for p in y.period_levels() {
                    if !xp.contains(&p) && finest > p.per_year() {
                        out.insert(format!(
                            "measures {} and {} add up on the records, and {} publishes {} cells \
                             that {} gives only as sums of finer ones: add \"{}\" to the periods of {}",
                            x.code, y.code, y.code, p.code(), x.code, p.code(), x.code
                        ));
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

/// The most (series × kinds of record) a group's identities are counted over; past it the
/// group is hidden together.
pub const IDENTITY_CELLS_MAX: usize = 1 << 22;

/// Whether the relations listed for a group (`links`' sums and equal sums over its `series`)
/// are all the identities its series have; if not, why — and the group is to be hidden
/// together. An identity is any integer combination of the series that is zero on every
/// record (`ab + bc = b + abc` as much as two partitions of one total), so it holds in every
/// cell both publish; the search above lists only sums of disjoint parts. The identities are
/// the null space of the series × kinds-of-record matrix (a kind: the records that are in
/// exactly the same series), of dimension series − rank; the listed relations must span it.
/// Ranks are taken modulo the prime 2⁶¹ − 1. A rank modulo a prime is never more than over
/// the rationals, so an error could only count more identities or fewer listed ones: hide
/// more, never less (and there is none while every minor is smaller than the prime, as for the
/// 0/1 matrix of up to about thirty series).
///
/// With the reason comes which series take part in an identity (their bits; `None`: all of
/// them, past the size limit): the series whose row is in the span of the others. A series in
/// no identity cannot be worked out from the others, so it need not be hidden with them.
fn unlisted_identities(
    records: usize,
    series: &[&Members],
    links: &MeasureLinks,
) -> Option<(String, Option<Vec<Vec<u64>>>)> {
    let n = series.len();
    if n < 2 {
        return None;
    }
    // Each record's signature: the series it is in, n bits.
    let w = n.div_ceil(64);
    let mut sig = vec![0u64; records * w];
    for (k, s) in series.iter().enumerate() {
        for (word, &bits) in s.bits.iter().enumerate() {
            let mut b = bits;
            while b != 0 {
                let i = word * 64 + b.trailing_zeros() as usize;
                b &= b - 1;
                sig[i * w + k / 64] |= 1 << (k % 64);
            }
        }
    }
    let mut kinds: std::collections::HashSet<&[u64]> = std::collections::HashSet::new();
    for r in sig.chunks_exact(w) {
        if r.iter().any(|&x| x != 0) {
            kinds.insert(r);
            if kinds.len() * n > IDENTITY_CELLS_MAX {
                return Some((
                    format!(
                        "more than {} kinds of record to count its identities over",
                        IDENTITY_CELLS_MAX / n
                    ),
                    None,
                ));
            }
        }
    }
    let matrix: Vec<Vec<u64>> = (0..n)
        .map(|k| kinds.iter().map(|r| (r[k / 64] >> (k % 64)) & 1).collect())
        .collect();
    let rank = modp::rank(matrix.clone());
    let identities = n - rank;
    if identities == 0 {
        return None;
    }
    // The listed relations as vectors over the series: total − Σ parts, side − first side.
    let at: HashMap<&str, usize> = series
        .iter()
        .enumerate()
        .map(|(k, s)| (s.code.as_str(), k))
        .collect();
    let vector = |plus: &[String], minus: &[String]| -> Option<Vec<u64>> {
        let mut v = vec![0u64; n];
        for (codes, sign) in [(plus, 1u64), (minus, modp::P - 1)] {
            for c in codes {
                let k = *at.get(c.as_str())?;
                v[k] = (v[k] + sign) % modp::P;
            }
        }
        Some(v)
    };
    let mut listed: Vec<Vec<u64>> = Vec::new();
    for (total, sums) in &links.sums {
        for parts in sums {
            listed.extend(vector(std::slice::from_ref(total), parts));
        }
    }
    for sides in &links.equal {
        for other in sides.iter().skip(1) {
            listed.extend(vector(&sides[0], other));
        }
    }
    let spanned = if listed.is_empty() {
        0
    } else {
        modp::rank(listed)
    };
    if spanned >= identities {
        return None;
    }
    let involved = (0..n)
        .filter(|&k| {
            let mut others = matrix.clone();
            others.remove(k);
            modp::rank(others) == rank
        })
        .map(|k| series[k].bits.clone())
        .collect();
    Some((
        format!(
            "{} of its {identities} identities between measures not listed as sums",
            identities - spanned
        ),
        Some(involved),
    ))
}

fn or(a: &[u64], b: &[u64]) -> Vec<u64> {
    a.iter().zip(b).map(|(x, y)| x | y).collect()
}

/// Every exact cover of a total's records (`bits`, `size` of them) by pairwise disjoint series
/// of the group other than the total itself (`own`), as codes; and why the search stopped
/// early, if it did.
fn covers_of(
    bits: &[u64],
    size: u64,
    own: Option<&str>,
    distinct: &[&Members],
    budget: u32,
) -> (Vec<Vec<String>>, Option<String>) {
    let inside = |p: &&&Members| {
        Some(p.code.as_str()) != own
            && p.size > 0
            && p.bits.iter().zip(bits).all(|(a, b)| a & !b == 0)
    };
    let all: Vec<&Members> = distinct.iter().filter(inside).copied().collect();
    let mut stopped = None;
    if all.len() > CANDIDATES_MAX {
        stopped = Some(format!(
            "{} possible parts, more than {CANDIDATES_MAX}",
            all.len()
        ));
    }
    let cands: Vec<&Members> = all.into_iter().take(CANDIDATES_MAX).collect();
    if cands.len() < 2 && own.is_some() {
        return (Vec::new(), stopped);
    }
    let apart: Vec<Vec<bool>> = cands
        .iter()
        .map(|a| cands.iter().map(|b| a.disjoint(b)).collect())
        .collect();
    let mut search = Covers {
        cands,
        apart,
        size,
        chosen: Vec::new(),
        out: Vec::new(),
        budget,
    };
    search.search(0, 0);
    let also = if search.out.len() >= SUMS_MAX {
        Some(format!("{SUMS_MAX} sums or more"))
    } else if search.budget == 0 {
        Some("too many combinations of parts".to_string())
    } else {
        None
    };
    if let Some(also) = also {
        stopped = Some(match stopped {
            Some(s) => format!("{s}, {also}"),
            None => also,
        });
    }
    let Covers {
        cands, out: covers, ..
    } = search;
    let covers = covers
        .into_iter()
        .map(|c| c.iter().map(|&k| cands[k].code.clone()).collect())
        .collect();
    (covers, stopped)
}

/// The search for the exact covers of one total by its candidate parts (subsets of it).
struct Covers<'a> {
    cands: Vec<&'a Members>,
    /// Whether two candidates are disjoint.
    apart: Vec<Vec<bool>>,
    size: u64,
    chosen: Vec<usize>,
    out: Vec<Vec<usize>>,
    /// Steps left: a search over many small parts that never cover the total stops.
    budget: u32,
}

impl Covers<'_> {
    /// Every set of pairwise disjoint candidates from `from` on whose sizes add up to the
    /// total's with `sum` (the candidates are subsets of the total, so those cover it
    /// exactly), at most [`SUMS_MAX`].
    fn search(&mut self, from: usize, sum: u64) {
        if sum == self.size {
            self.out.push(self.chosen.clone());
            return;
        }
        for k in from..self.cands.len() {
            if self.out.len() >= SUMS_MAX || self.budget == 0 {
                return;
            }
            self.budget -= 1;
            let size = self.cands[k].size;
            if sum + size > self.size || !self.chosen.iter().all(|&c| self.apart[c][k]) {
                continue;
            }
            self.chosen.push(k);
            self.search(k + 1, sum + size);
            self.chosen.pop();
        }
    }
}

fn measure(
    def: &RecordSetDef,
    rec: &Records,
    m: &MeasureDef,
    levels: &[LevelMap],
    item_idx: &[u32],
    dense_items: &[u32],
    out: &mut Vec<MeasureSeries>,
) {
    let Some(dk) = def.dates.iter().position(|d| *d == m.date) else {
        return;
    };
    let dates = &rec.dates[dk];
    let months: Vec<Option<i32>> = dates
        .iter()
        .map(|&d| if d == NO_DATE { None } else { month_index(d) })
        .collect();
    let Some(first) = months.iter().flatten().min().copied() else {
        return;
    };
    let last = months.iter().flatten().max().copied().unwrap_or(first);
    let nm = (last - first + 1) as usize;
    let value = |i: usize| value_of(def, rec, m, i);
    let filter = Condition::new(def, rec, &m.filter);
    let condition = Condition::new(def, rec, &m.condition);
    let needs_value = m.needs_value();
    // The finest cells: (dense item, month) → n, sum (or hits), values.
    let cells = dense_items.len() * nm;
    let mut n = vec![0u32; cells];
    let mut sum = vec![0f64; cells];
    let quantile = matches!(m.kind, MeasureKind::Median | MeasureKind::Percentile);
    let mut pairs: Vec<(u32, f64)> = Vec::new();
    for (i, mo) in months.iter().enumerate() {
        let Some(mo) = *mo else { continue };
        if !filter.holds(rec, i) {
            continue;
        }
        let v = value(i);
        if needs_value && v.is_none() {
            continue;
        }
        let c = item_idx[i] as usize * nm + (mo - first) as usize;
        n[c] += 1;
        match m.kind {
            MeasureKind::Share => {
                let hit =
                    m.within.is_none_or(|w| v.is_some_and(|v| v <= w)) && condition.holds(rec, i);
                sum[c] += f64::from(u8::from(hit));
            }
            MeasureKind::Count => {}
            _ => sum[c] += v.unwrap_or(0.0),
        }
        if quantile {
            pairs.push((c as u32, v.unwrap_or(0.0)));
        }
    }
    // Values per finest cell, contiguous (cell c's values are values[start[c]..start[c+1]]).
    let mut start = vec![0usize; cells + 1];
    let mut values = vec![0f64; pairs.len()];
    if quantile {
        for &(c, _) in &pairs {
            start[c as usize + 1] += 1;
        }
        for c in 0..cells {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        for &(c, v) in &pairs {
            values[fill[c as usize]] = v;
            fill[c as usize] += 1;
        }
    }
    let mut buf: Vec<f64> = Vec::new();
    for level in levels {
        if !m.levels.is_empty() && !m.levels.contains(&level.level) {
            continue;
        }
        // Each dense item's item on this level; the level's items the set reaches.
        let target: Vec<Option<u32>> = dense_items
            .iter()
            .map(|it| level.parent.get(it).copied())
            .collect();
        let mut reached: Vec<u32> = target.iter().flatten().copied().collect();
        reached.sort_unstable();
        reached.dedup();
        for pl in m.period_levels() {
            // Coarse cell (item, period) → its finest cells.
            let mut groups: BTreeMap<(Period, u32), Vec<usize>> = BTreeMap::new();
            for (d, t) in target.iter().enumerate() {
                let Some(t) = *t else { continue };
                for mo in 0..nm {
                    let Some(p) = period_of_month(first + mo as i32, pl) else {
                        continue;
                    };
                    groups.entry((p, t)).or_default().push(d * nm + mo);
                }
            }
            let mut series: BTreeMap<(bool, Period), Vec<(u32, Value)>> = BTreeMap::new();
            for ((p, t), fine) in &groups {
                let count: u32 = fine.iter().map(|&c| n[c]).sum();
                let total: f64 = fine.iter().map(|&c| sum[c]).sum();
                let v = match m.kind {
                    MeasureKind::Count => Some(f64::from(count)),
                    MeasureKind::Sum => Some(total),
                    _ if count == 0 => None,
                    MeasureKind::Mean => Some(total / f64::from(count)),
                    MeasureKind::Share => Some(100.0 * total / f64::from(count)),
                    MeasureKind::Median | MeasureKind::Percentile => {
                        buf.clear();
                        for &c in fine {
                            buf.extend_from_slice(&values[start[c]..start[c + 1]]);
                        }
                        percentile(&mut buf, m.p.unwrap_or(50.0))
                    }
                };
                if let Some(v) = v {
                    series
                        .entry((false, *p))
                        .or_default()
                        .push((*t, Value::Number(v)));
                }
                if m.kind != MeasureKind::Count {
                    series
                        .entry((true, *p))
                        .or_default()
                        .push((*t, Value::Number(f64::from(count))));
                }
            }
            debug_assert!(
                series
                    .values()
                    .all(|s| s.iter().all(|(t, _)| reached.binary_search(t).is_ok()))
            );
            for ((is_n, period), mut vals) in series {
                vals.sort_by_key(|(t, _)| *t);
                let code = if is_n {
                    m.count_code().unwrap_or_default()
                } else {
                    m.code.clone()
                };
                out.push(MeasureSeries {
                    code,
                    level: level.level.clone(),
                    period,
                    values: vals,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{count_def, record_set};
    use peil_core::records::parse_day;

    #[test]
    fn percentiles_interpolate_between_closest_ranks() {
        assert_eq!(percentile(&mut [3.0, 1.0, 2.0], 50.0), Some(2.0));
        assert_eq!(percentile(&mut [4.0, 1.0, 2.0, 3.0], 50.0), Some(2.5));
        assert_eq!(
            percentile(&mut [10.0, 20.0, 30.0, 40.0, 50.0], 90.0),
            Some(46.0)
        );
        assert_eq!(percentile(&mut [7.0], 90.0), Some(7.0));
        assert_eq!(percentile(&mut [], 50.0), None);
    }

    /// A year's median comes from the year's records, not from its months' medians.
    #[test]
    fn a_years_median_is_the_median_of_its_records() {
        let def = RecordSetDef {
            measures: vec![MeasureDef {
                code: "med".into(),
                name: "m".into(),
                name_en: None,
                name_fr: None,
                description: String::new(),
                kind: MeasureKind::Median,
                date: "in".into(),
                field: None,
                from: Some("in".into()),
                to: Some("uit".into()),
                p: None,
                filter: BTreeMap::new(),
                within: None,
                condition: BTreeMap::new(),
                periods: vec!["month".into(), "year".into()],
                levels: vec![],
                unit: None,
                decimals: None,
            }],
            ..record_set("t", &[], 0.0)
        };
        let mut rec = Records::new(&def);
        // January: 1, 2, 3 days (median 2); February: 10 days (median 10).
        // Median of medians would be 6; the year's median of its records is 2.5.
        for (k, (a, b)) in [
            ("2024-01-02", 1),
            ("2024-01-03", 2),
            ("2024-01-04", 3),
            ("2024-02-01", 10),
        ]
        .into_iter()
        .enumerate()
        {
            let d = parse_day(a, false).unwrap();
            rec.ids.push(k.to_string());
            rec.items.push(7);
            rec.dates[0].push(d);
            rec.dates[1].push(d + b);
        }
        let levels = [LevelMap {
            level: "s".into(),
            parent: HashMap::from([(7, 7)]),
        }];
        let got = compute_measures(&def, &rec, &levels);
        let find = |code: &str, p: &str| {
            got.iter()
                .find(|s| s.code == code && s.period.code() == p)
                .map(|s| s.values.clone())
        };
        assert_eq!(find("med", "2024"), Some(vec![(7, Value::Number(2.5))]));
        assert_eq!(find("med", "2024M01"), Some(vec![(7, Value::Number(2.0))]));
        assert_eq!(find("med_n", "2024"), Some(vec![(7, Value::Number(4.0))]));
    }

    /// Counts whose filters partition another count's records are found as its sum, however
    /// the filters are written; counts that overlap or leave records out are not.
    #[test]
    fn sums_between_measures_are_found_on_the_records() {
        let count =
            |code: &str, filter: &[(&str, &[&str])]| count_def(code, "in", filter, &["year"]);
        let mut median = count("med", &[("type", &["a"])]);
        median.kind = MeasureKind::Median;
        median.from = Some("in".into());
        median.to = Some("uit".into());
        let def = RecordSetDef {
            measures: vec![
                count("all", &[]),
                count("a", &[("type", &["a"])]),
                count("bc", &[("type", &["b", "c"])]),
                count("d", &[("type", &["d"])]),
                count("ab", &[("type", &["a", "b"])]),
                count("also_a", &[("type", &["a", "x"])]),
                median,
            ],
            ..record_set("t", &["type"], 0.0)
        };
        let mut rec = Records::new(&def);
        for (k, t) in ["a", "a", "b", "c", "d", "d"].into_iter().enumerate() {
            let d = parse_day("2024-01-02", false).unwrap();
            rec.ids.push(k.to_string());
            rec.items.push(7);
            rec.dates[0].push(d);
            // Only the first "a" is closed: the median's `_n` counts it alone.
            rec.dates[1].push(if k == 0 { d + 3 } else { NO_DATE });
            rec.categories[0].push(t);
        }
        let sums = measure_links(&def, &rec).sums;
        let of = |t: &str| sums.get(t).cloned().unwrap_or_default();
        assert_eq!(of("all"), vec![vec!["a", "bc", "d"]]);
        assert_eq!(of("a"), vec![vec!["also_a"]]);
        assert_eq!(of("ab"), Vec::<Vec<String>>::new());
        assert_eq!(of("med_n"), Vec::<Vec<String>>::new());
        assert_eq!(sums.len(), 2, "{sums:?}");
    }

    /// Records of one sector on 2024-01-02, one per row of category labels.
    fn records_of(def: &RecordSetDef, rows: &[&[&str]]) -> Records {
        let mut rec = Records::new(def);
        let d = parse_day("2024-01-02", false).unwrap();
        for (k, labels) in rows.iter().enumerate() {
            rec.ids.push(k.to_string());
            rec.items.push(7);
            rec.dates[0].push(d);
            rec.dates[1].push(NO_DATE);
            for (c, l) in labels.iter().enumerate() {
                rec.categories[c].push(l);
            }
        }
        rec
    }

    /// The same records split by procedure and by type, with no measure of their total: the
    /// two sums equal each other (through the unpublished total).
    #[test]
    fn two_partitions_without_a_total_are_related() {
        let count = |code: &str, filter: &[(&str, &[&str])]| count_def(code, "in", filter, &[]);
        let def = RecordSetDef {
            measures: vec![
                count("g", &[("proc", &["g"]), ("uit", &["v"])]),
                count("e", &[("proc", &["e"]), ("uit", &["v"])]),
                count("a", &[("type", &["a"]), ("uit", &["v"])]),
                count("b", &[("type", &["b", "c"]), ("uit", &["v"])]),
                count("all", &[]),
            ],
            ..record_set("t", &["proc", "type", "uit"], 0.0)
        };
        let rows: &[&[&str]] = &[
            &["g", "a", "v"],
            &["g", "b", "v"],
            &["e", "c", "v"],
            &["e", "a", "x"],
        ];
        let links = measure_links(&def, &records_of(&def, rows));
        assert_eq!(
            links.equal,
            vec![vec![vec!["g", "e"], vec!["a", "b"]]],
            "{links:?}"
        );
        assert_eq!(links.equal_on("a").len(), 1);
        assert!(links.together.is_empty() && links.notes.is_empty());
    }

    /// Two partitions of four parts each of records no measure publishes (the decided ones),
    /// none of their smaller unions equal: `p1 + … + p4 = t1 + … + t4` in every cell, past
    /// the search's unions of two or three. A cell hidden in one part would come back from the
    /// other seven: the group is hidden together.
    #[test]
    fn partitions_of_four_parts_of_an_unpublished_total_hide_the_group_together() {
        let count = |code: &str, filter: &[(&str, &[&str])]| count_def(code, "in", filter, &[]);
        let mut measures = vec![count("all", &[])];
        for k in 1..=4 {
            let (p, t) = (format!("p{k}"), format!("t{k}"));
            measures.push(count(&p, &[("p", &[p.as_str()]), ("uit", &["v"])]));
            measures.push(count(&t, &[("t", &[t.as_str()]), ("uit", &["v"])]));
        }
        let def = RecordSetDef {
            measures,
            ..record_set("t", &["p", "t", "uit"], 0.0)
        };
        // p_k with t_k and t_(k+1): no union of fewer than four parts is a union of the other's.
        let rows: &[&[&str]] = &[
            &["p1", "t1", "v"],
            &["p2", "t2", "v"],
            &["p3", "t3", "v"],
            &["p4", "t4", "v"],
            &["p1", "t2", "v"],
            &["p2", "t3", "v"],
            &["p3", "t4", "v"],
            &["p4", "t1", "v"],
            &["p1", "t1", "x"],
        ];
        let links = measure_links(&def, &records_of(&def, rows));
        assert_eq!(
            links.together_of("p3"),
            Some("t: records by in"),
            "{links:?}"
        );
        assert_eq!(links.together_of("t1"), Some("t: records by in"));
        assert!(
            links.notes.iter().any(|n| n.contains("not listed")),
            "{:?}",
            links.notes
        );
    }

    /// Overlapping counts: `ab + bc = b + abc` (inclusion and exclusion), no partition at all.
    /// A cell hidden in `b` is `ab + bc - abc`: the group is hidden together.
    #[test]
    fn counts_related_by_inclusion_and_exclusion_hide_the_group_together() {
        let count = |code: &str, filter: &[(&str, &[&str])]| count_def(code, "in", filter, &[]);
        let def = RecordSetDef {
            measures: vec![
                count("ab", &[("type", &["a", "b"])]),
                count("bc", &[("type", &["b", "c"])]),
                count("b", &[("type", &["b"])]),
                count("abc", &[("type", &["a", "b", "c"])]),
                count("d", &[("type", &["d"])]),
            ],
            ..record_set("t", &["type"], 0.0)
        };
        let rows: &[&[&str]] = &[&["a"], &["b"], &["b"], &["c"], &["d"]];
        let links = measure_links(&def, &records_of(&def, rows));
        for code in ["ab", "bc", "b", "abc"] {
            assert_eq!(
                links.together_of(code),
                Some("t: records by in"),
                "{links:?}"
            );
        }
        // `d` is in no identity: nothing of it follows from the others; not hidden with them.
        assert_eq!(links.together_of("d"), None, "{links:?}");
    }

    /// Where every identity of the group is listed, nothing is hidden together: measures
    /// that are independent, and partitions the search lists whole.
    #[test]
    fn listed_or_independent_measures_are_not_hidden_together() {
        let count = |code: &str, filter: &[(&str, &[&str])]| count_def(code, "in", filter, &[]);
        let def = RecordSetDef {
            measures: vec![
                count("ab", &[("type", &["a", "b"])]),
                count("bc", &[("type", &["b", "c"])]),
                count("x", &[("uit", &["x"])]),
            ],
            ..record_set("t", &["type", "uit"], 0.0)
        };
        let rows: &[&[&str]] = &[&["a", "v"], &["b", "x"], &["c", "v"], &["c", "x"]];
        let links = measure_links(&def, &records_of(&def, rows));
        assert!(
            links.together.is_empty() && links.notes.is_empty(),
            "{links:?}"
        );
    }

    /// A share's hits with the other outcomes add up to the decisions.
    #[test]
    fn a_shares_hits_are_a_part_of_sums() {
        let count = |code: &str, filter: &[(&str, &[&str])]| count_def(code, "in", filter, &[]);
        let mut share = count("aandeel", &[]);
        share.kind = MeasureKind::Share;
        share.condition = BTreeMap::from([("uit".to_string(), vec!["v".to_string()])]);
        let def = RecordSetDef {
            measures: vec![count("all", &[]), count("x", &[("uit", &["x"])]), share],
            ..record_set("t", &["uit"], 0.0)
        };
        let rows: &[&[&str]] = &[&["v"], &["v"], &["x"]];
        let links = measure_links(&def, &records_of(&def, rows));
        let of = |t: &str| links.sums.get(t).cloned().unwrap_or_default();
        assert!(
            of("all").contains(&vec!["x".to_string(), "hits(aandeel)".to_string()]),
            "{links:?}"
        );
    }

    /// Past the search's limits, the group's measures are hidden together and the
    /// statistician is told.
    #[test]
    fn a_search_past_its_limits_hides_the_group_together_and_says_so() {
        let types: Vec<String> = (0..CANDIDATES_MAX + 2).map(|k| format!("t{k}")).collect();
        let mut measures = vec![count_def("all", "in", &[], &[])];
        for t in &types {
            measures.push(count_def(t, "in", &[("type", &[t.as_str()])], &[]));
        }
        let def = RecordSetDef {
            measures,
            ..record_set("t", &["type"], 0.0)
        };
        let rows: Vec<[&str; 1]> = types.iter().map(|t| [t.as_str()]).collect();
        let rows: Vec<&[&str]> = rows.iter().map(|r| &r[..]).collect();
        let links = measure_links(&def, &records_of(&def, &rows));
        assert_eq!(links.together.len(), 1, "{links:?}");
        let members = links.together.values().next().unwrap();
        assert_eq!(members.len(), types.len() + 1);
        assert_eq!(links.together_of("t3"), Some("t: records by in"));
        assert_eq!(links.notes.len(), 1);
        assert!(
            links.notes[0].contains("more than 24") && links.notes[0].contains("hidden together"),
            "{}",
            links.notes[0]
        );
    }
}
