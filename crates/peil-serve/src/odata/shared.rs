//! What the selection table (`swing.rs`) and the catalogue (`dcat.rs`) share with OData:
//! value text, public indicators, level and period order, cube dimensions, query pairs.

use super::*;

/// A value as Swing's `ValueString`: the number with `.` as decimal separator, or the missing
/// code's symbol.
pub fn value_string(v: Value) -> String {
    let mut s = String::new();
    crate::fragments::push_value(&mut s, v);
    s
}

/// The number of a value, if any (hidden and other missing values have none).
pub(super) fn value_number(v: Value) -> J {
    crate::api::jnum(v.number())
}

/// An indicator this reader may see; restricted (for this reader) and unknown codes are both
/// `None`.
pub fn public_indicator<'a>(
    snap: &'a Snapshot,
    reader: &Reader,
    code: &str,
) -> Option<&'a Indicator> {
    snap.indicator(code)
        .filter(|_| snap.visible_to(code, reader))
}

/// The indicators this reader may see, in code order.
pub fn public_indicators<'a>(snap: &'a Snapshot, reader: &Reader) -> Vec<&'a Indicator> {
    let mut v: Vec<&Indicator> = snap
        .indicators
        .iter()
        .filter(|i| snap.visible_to(&i.code, reader))
        .collect();
    v.sort_by(|a, b| a.code.cmp(&b.code));
    v
}

/// Level positions in the snapshot, finest (most items) first.
pub fn levels_by_size(snap: &Snapshot) -> Vec<usize> {
    let mut v: Vec<usize> = (0..snap.levels.len()).collect();
    v.sort_by(|&a, &b| {
        snap.levels[b]
            .items
            .len()
            .cmp(&snap.levels[a].items.len())
            .then_with(|| snap.levels[a].level.code.cmp(&snap.levels[b].level.code))
    });
    v
}

/// A level's items in sequence order.
pub fn sorted_items(snap: &Snapshot, level: usize) -> Vec<&GeoItem> {
    let mut v: Vec<&GeoItem> = snap.levels[level].items.iter().map(|(_, it)| it).collect();
    v.sort_by(|a, b| a.seq.cmp(&b.seq).then_with(|| a.code.cmp(&b.code)));
    v
}

/// Sort key of periods: years first, then half years, quarters, months; then in time.
pub fn period_key(p: &Period) -> (usize, i32, u32) {
    let l = PeriodLevel::ALL
        .iter()
        .position(|l| *l == p.level)
        .unwrap_or(0);
    (l, p.year, p.index)
}

/// The periods (of any cube cell) of the given indicators on the given levels.
pub fn periods_of(
    snap: &Snapshot,
    reader: &Reader,
    inds: &[&str],
    levels: &[usize],
) -> Vec<Period> {
    let mut set = BTreeSet::new();
    for i in inds {
        for &l in levels {
            for (p, _) in snap.periods(i, &snap.levels[l].level.code, reader) {
                set.insert(p);
            }
        }
    }
    let mut v: Vec<Period> = set.into_iter().collect();
    v.sort_by_key(period_key);
    v
}

/// Compares codes the way people count: `5-9` before `10-14`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    if a.is_empty() || b.is_empty() {
        return a.cmp(b);
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(cb.iter()) {
        let o = match (x, y) {
            ((true, x), (true, y)) => {
                let (xt, yt) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                xt.len().cmp(&yt.len()).then(xt.cmp(yt))
            }
            ((_, x), (_, y)) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    ca.len().cmp(&cb.len()).then(a.cmp(b))
}

/// One dimension of a cube as published: its code and its dim levels with their members.
#[derive(Debug, Clone, PartialEq)]
pub struct CubeDim {
    pub code: String,
    /// (dim level code, members in natural order); the declared level first.
    pub levels: Vec<(String, Vec<String>)>,
}

/// The dimensions of a cube indicator, inferred from its published cells (see the module
/// documentation).
pub fn cube_dims(snap: &Snapshot, reader: &Reader, ind: &Indicator) -> Vec<CubeDim> {
    let mut keys: HashSet<&DimKey> = HashSet::new();
    for l in &snap.levels {
        for (_, d) in snap.periods(&ind.code, &l.level.code, reader) {
            keys.insert(d);
        }
    }
    let mut members: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut together: HashSet<(&str, &str)> = HashSet::new();
    for k in &keys {
        for (l, m) in &k.0 {
            members.entry(l.as_str()).or_default().insert(m.as_str());
            for (l2, _) in &k.0 {
                together.insert((l.as_str(), l2.as_str()));
            }
        }
    }
    let mut dims: Vec<CubeDim> = ind
        .dim_levels
        .iter()
        .map(|d| CubeDim {
            code: d.clone(),
            levels: vec![(d.clone(), Vec::new())],
        })
        .collect();
    let mut extra: Vec<(&str, usize)> = Vec::new();
    for &l in members.keys() {
        if ind.dim_levels.iter().any(|d| d == l) {
            continue;
        }
        match ind
            .dim_levels
            .iter()
            .position(|d| !together.contains(&(l, d.as_str())))
        {
            Some(g) => extra.push((l, g)),
            None => {
                dims.push(CubeDim {
                    code: l.to_string(),
                    levels: vec![(l.to_string(), Vec::new())],
                });
                extra.push((l, dims.len() - 1));
            }
        }
    }
    // Coarser levels (fewer members) after finer ones.
    extra.sort_by(|a, b| {
        members[b.0]
            .len()
            .cmp(&members[a.0].len())
            .then(a.0.cmp(b.0))
    });
    for (l, g) in extra {
        if dims[g].code != l {
            dims[g].levels.push((l.to_string(), Vec::new()));
        }
    }
    for d in &mut dims {
        for (l, ms) in &mut d.levels {
            let mut v: Vec<String> = members
                .get(l.as_str())
                .map(|s| s.iter().map(|m| m.to_string()).collect())
                .unwrap_or_default();
            v.sort_by(|a, b| natural_cmp(a, b));
            *ms = v;
        }
    }
    dims
}

/// Query string pairs, decoded by the one rule for every API (`query.rs`: `+` is a space,
/// `%2B` a plus sign, a broken escape a 400 naming the parameter), in order.
pub fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, Problem> {
    crate::query::pairs(raw).map_err(|e| Problem::bad_request(e.to_string()))
}
