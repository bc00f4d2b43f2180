//! Swing's "selection table": `/jive/selectiontableasjson.ashx` and
//! `/viewer/selectiontableasjson.ashx`, the endpoint Swing sites publish, as called by the
//! `stadincijfers` Python package and R scripts.
//!
//! The answer is `{"headers": [{"name", "type"}, …], "rows": [[geo, period, value…], …]}`.
//! Every cell is a string; a value is written as OData's `ValueString` (see
//! [`crate::odata::value_string`]): the number with `.` as decimal separator or a missing
//! code's symbol (`?`, `x`, `nvt`, `-`), and `""` where nothing is published. A value
//! column's type is `Numeric` for numeric indicators (counts, means, percentages, ratios) and
//! `String` otherwise; the geo and period columns are `String`.
//!
//! Parameters (names are matched without regard to case; lists are comma separated):
//! - `var` (required): one or more indicator codes, one value column each, in the order given.
//!   Restricted indicators answer the same 404 as unknown codes.
//! - `geolevel`: the geo level of the rows. Default: the finest level (most items) on which
//!   the first indicator has data.
//! - `geoitem`, `geoitem_codes`: restrict the rows to these items of `geolevel` (the two
//!   lists are joined). Without them every item of the level is a row.
//! - `geosplit`: a finer geo level; the rows become the items of that level that lie in the
//!   selected items of `geolevel` (all of them without a selection), following the
//!   aggregation tables.
//! - `geocompare`, `geocompare_item`: comparison rows after the main rows: the items
//!   `geocompare_item` of level `geocompare` (or of `geolevel` when only items are given), or,
//!   without items, the areas of level `geocompare` that contain the rows (following the
//!   aggregation tables; every item of the level when the tables do not connect them).
//! - `periodlevel`: `year` (default), `halfyear`, `quarter`, `month` (Dutch names work too).
//! - `period`: period codes, `mrp`/`mostrecent` (the most recent period with data, per
//!   indicator; the default) or `all`. Rows cover the union of the periods of all indicators.
//! - `dimlevel`: dim levels of a cube indicator to split the rows by (`geslacht,leeftijd3`);
//!   one column per dim level is added *after* the value columns (so the first value stays
//!   the third column, where clients look for it). A member code (`m`) instead of a level
//!   keeps only that member of its level (and splits by that level). Without `dimlevel` a
//!   cube's totals are shown.
//! - `flip_table=true`: the period column comes first and rows are ordered by period first.
//! - Survey indicators (whose sample size the reader may see) add three columns each after
//!   all others: the interval's lower and upper bound at the indicator's confidence level and
//!   the verdict against its benchmark area (`higher`, `lower`, `not-significant`); `""` where
//!   the value is missing or hidden, for cube cells and where the benchmark has no interval.
//!
//! Geo cells hold the item's name, period cells the period code (`2019`, `2019Q3`).

use crate::AppState;
use crate::fragments::{Fragments, push_json_str, push_value};
use crate::odata::{
    self, cube_dims, levels_by_size, natural_cmp, period_key, public_indicator, public_indicators,
    query_pairs,
};
use crate::problem::Problem;
use axum::Router;
use axum::extract::State;
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use peil_compute::Snapshot;
use peil_core::{DimKey, Indicator, Period, PeriodLevel, Reader};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/jive/selectiontableasjson.ashx", get(handle))
        .route("/viewer/selectiontableasjson.ashx", get(handle))
}

async fn handle(
    State(st): State<AppState>,
    axum::extract::Extension(reader): axum::extract::Extension<Reader>,
    preview: Option<axum::extract::Extension<crate::preview::Preview>>,
    pinned: Option<axum::extract::Extension<crate::cache::Pinned>>,
    uri: Uri,
) -> Response {
    let snap = preview.map_or_else(
        || crate::cache::served(&st, pinned.as_ref().map(|p| &p.0)),
        |p| p.0.0,
    );
    let frags = crate::api::cache::entry(&st, &snap).fragments(&snap);
    // Written here, on the compute runtime (`work::offload`), as OData's `Values` and the
    // native API's answers are: a hand-off to the blocking pool cost two more thread switches
    // per answer than the answer itself.
    let answer = query_pairs(uri.query()).and_then(|pairs| table(&snap, &frags, &reader, &pairs));
    match answer {
        Ok(body) => (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(p) => p.odata().into_response(),
    }
}

fn unknown_level(snap: &Snapshot, code: &str) -> Problem {
    Problem::unknown(
        "geo level",
        code,
        snap.levels.iter().map(|l| l.level.code.as_str()),
    )
}

fn level_of(snap: &Snapshot, code: &str) -> Result<usize, Problem> {
    snap.level_index
        .get(code)
        .copied()
        .ok_or_else(|| unknown_level(snap, code))
}

fn list(v: Option<&String>) -> Vec<String> {
    v.map(|s| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// Item positions of a level by code, in the order given; unknown codes are a 404.
fn items_by_code(snap: &Snapshot, level: usize, codes: &[String]) -> Result<Vec<u32>, Problem> {
    let lv = &snap.levels[level];
    let mut out: Vec<u32> = Vec::new();
    for c in codes {
        let Some(&p) = lv.pos.get(c) else {
            return Err(Problem::unknown(
                &format!("geo item of {}", lv.level.code),
                c,
                lv.items.iter().map(|(_, it)| it.code.as_str()),
            ));
        };
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Builds the selection table.
///
/// Written straight into the answer's text: item names come JSON-escaped from `frags` (built
/// once per publication), each value column reads its series once, numbers are formatted into
/// the buffer.
pub fn table(
    snap: &Snapshot,
    frags: &Fragments,
    reader: &Reader,
    pairs: &[(String, String)],
) -> Result<String, Problem> {
    let plan = plan(snap, frags, reader, pairs)?;
    Ok(write(snap, frags, reader, &plan))
}

/// What a selection-table request asks for, resolved against the publication and the reader.
struct Plan<'a> {
    vars: Vec<&'a Indicator>,
    /// The rows' areas (level, item position): the chosen areas, then the comparison areas.
    geo_rows: Vec<(usize, u32)>,
    periods: Vec<Period>,
    /// The dim levels split by, in the order asked, and the cube cells of each row.
    split_levels: Vec<String>,
    cells: Vec<DimKey>,
    /// Periods as the outer loop (`flip_table`).
    flip: bool,
}

/// Reads the request: indicators, the rows' geography and comparison areas, periods and cube
/// cells (every check and every refusal happens here, before anything is written).
fn plan<'a>(
    snap: &'a Snapshot,
    frags: &Fragments,
    reader: &Reader,
    pairs: &[(String, String)],
) -> Result<Plan<'a>, Problem> {
    let mut q: HashMap<String, String> = HashMap::new();
    for (k, v) in pairs {
        q.insert(k.to_ascii_lowercase(), v.clone());
    }
    // Indicators.
    let codes = list(q.get("var"));
    if codes.is_empty() {
        return Err(Problem::bad_request(
            "var is required: one or more indicator codes, e.g. var=v1101_t",
        ));
    }
    let mut vars: Vec<&Indicator> = Vec::new();
    for c in &codes {
        let Some(i) = public_indicator(snap, reader, c) else {
            return Err(Problem::unknown(
                "variable",
                c,
                public_indicators(snap, reader)
                    .into_iter()
                    .map(|i| i.code.as_str()),
            ));
        };
        vars.push(i);
    }
    let pl = match q
        .get("periodlevel")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        None => PeriodLevel::Year,
        Some(s) => PeriodLevel::from_code(s).ok_or_else(|| {
            Problem::bad_request(format!(
                "periodlevel '{s}' is not a period level (year, halfyear, quarter, month)"
            ))
        })?,
    };

    // Geography of the rows.
    let geolevel = match q
        .get("geolevel")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        Some(g) => level_of(snap, g)?,
        None => levels_by_size(snap)
            .into_iter()
            .find(|&l| {
                !snap
                    .periods(&vars[0].code, &snap.levels[l].level.code, reader)
                    .is_empty()
            })
            .or_else(|| levels_by_size(snap).into_iter().next())
            .ok_or_else(|| Problem::not_found("the site has no geo levels"))?,
    };
    let mut chosen = list(q.get("geoitem"));
    chosen.extend(list(q.get("geoitem_codes")));
    let selected = items_by_code(snap, geolevel, &chosen)?;
    let hierarchy = snap.hierarchy();
    let (row_level, mut rows): (usize, Vec<u32>) = match q
        .get("geosplit")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        Some(split) => {
            let sl = level_of(snap, split)?;
            let from = &snap.levels[geolevel].level.code;
            let anc = hierarchy.path(sl as u16, geolevel as u16).ok_or_else(|| {
                Problem::bad_request(format!(
                    "geosplit: the aggregation tables do not lead from {split} to {from}"
                ))
            })?;
            let inside: BTreeSet<u32> = selected.iter().copied().collect();
            let rows = frags.levels[sl]
                .order
                .iter()
                .copied()
                .filter(|&pos| {
                    anc[pos as usize].is_some_and(|p| inside.is_empty() || inside.contains(&p))
                })
                .collect();
            (sl, rows)
        }
        None if selected.is_empty() => (geolevel, frags.levels[geolevel].order.clone()),
        None => {
            let mut s = selected.clone();
            if chosen.len() > 1 {
                // keep the level's order for lists
                let rank = &frags.levels[geolevel].rank;
                s.sort_by_key(|&p| rank[p as usize]);
            }
            (geolevel, s)
        }
    };

    // Comparison rows: (level, item position).
    let mut compare: Vec<(usize, u32)> = Vec::new();
    let cmp_level = q
        .get("geocompare")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    let cmp_items = list(q.get("geocompare_item"));
    if cmp_level.is_some() || !cmp_items.is_empty() {
        let cl = match cmp_level {
            Some(c) => level_of(snap, c)?,
            None => geolevel,
        };
        if !cmp_items.is_empty() {
            compare = items_by_code(snap, cl, &cmp_items)?
                .into_iter()
                .map(|it| (cl, it))
                .collect();
        } else {
            let wanted: Option<BTreeSet<u32>> = if cl == row_level {
                None
            } else {
                hierarchy
                    .path(row_level as u16, cl as u16)
                    .map(|a| rows.iter().filter_map(|&r| a[r as usize]).collect())
            };
            compare = frags.levels[cl]
                .order
                .iter()
                .copied()
                .filter(|&it| wanted.as_ref().is_none_or(|w| w.contains(&it)))
                .map(|it| (cl, it))
                .collect();
        }
    }
    let main_rows: Vec<(usize, u32)> = rows.drain(..).map(|it| (row_level, it)).collect();

    // Periods.
    let periods_wanted = list(q.get("period"));
    let periods_wanted = if periods_wanted.is_empty() {
        vec!["mrp".to_string()]
    } else {
        periods_wanted
    };
    let mut periods: BTreeSet<Period> = BTreeSet::new();
    for v in &vars {
        let have: BTreeSet<Period> = snap
            .periods(&v.code, &snap.levels[row_level].level.code, reader)
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| p.level == pl)
            .collect();
        for w in &periods_wanted {
            match w.to_ascii_lowercase().as_str() {
                "mrp" | "mostrecent" | "laatste" => periods.extend(have.last().copied()),
                "all" | "alle" => periods.extend(have.iter().copied()),
                _ => {
                    let p = Period::parse(w)
                        .map_err(|e| Problem::bad_request(format!("period: {e}")))?;
                    if p.level != pl {
                        return Err(Problem::bad_request(format!(
                            "period '{w}' is a {} but periodlevel is {}",
                            p.level.code(),
                            pl.code()
                        )));
                    }
                    periods.insert(p);
                }
            }
        }
    }
    let mut periods: Vec<Period> = periods.into_iter().collect();
    periods.sort_by_key(period_key);

    // Cube cells.
    let (split_levels, member_filter) =
        dim_selection(snap, reader, &vars, &list(q.get("dimlevel")))?;
    let cells: Vec<DimKey> = if split_levels.is_empty() {
        vec![DimKey::default()]
    } else {
        let mut set: BTreeSet<DimKey> = BTreeSet::new();
        for v in &vars {
            for (_, d) in snap.periods(&v.code, &snap.levels[row_level].level.code, reader) {
                let lv: BTreeSet<&str> = d.0.iter().map(|(l, _)| l.as_str()).collect();
                let want: BTreeSet<&str> = split_levels.iter().map(String::as_str).collect();
                if lv == want
                    && d.0.iter().all(|(l, m)| {
                        member_filter
                            .get(l)
                            .is_none_or(|ms| ms.iter().any(|x| x == m))
                    })
                {
                    set.insert(d.clone());
                }
            }
        }
        let mut v: Vec<DimKey> = set.into_iter().collect();
        let member = |k: &DimKey, l: &str| -> String {
            k.0.iter()
                .find(|(x, _)| x == l)
                .map(|(_, m)| m.clone())
                .unwrap_or_default()
        };
        v.sort_by(|a, b| {
            for l in &split_levels {
                let o = natural_cmp(&member(a, l), &member(b, l));
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
        v
    };

    let flip = q
        .get("flip_table")
        .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"));
    let geo_rows: Vec<(usize, u32)> = main_rows.into_iter().chain(compare).collect();
    Ok(Plan {
        vars,
        geo_rows,
        periods,
        split_levels,
        cells,
        flip,
    })
}

/// Writes the table of a plan: headers, then one row per area, period and cube cell, each
/// column's series looked up once per (level, period, cell).
fn write(snap: &Snapshot, frags: &Fragments, reader: &Reader, plan: &Plan) -> String {
    let (vars, geo_rows, periods) = (&plan.vars, &plan.geo_rows, &plan.periods);
    let (split_levels, cells, flip) = (&plan.split_levels, &plan.cells, plan.flip);
    let mut headers = vec![
        json!({"name": "Gebied", "type": "String"}),
        json!({"name": "Periode", "type": "String"}),
    ];
    if flip {
        headers.swap(0, 1);
    }
    for v in vars {
        headers.push(json!({
            "name": v.name.get("nl").filter(|s| !s.is_empty()).unwrap_or(&v.code),
            "type": if v.data_type.is_numeric() { "Numeric" } else { "String" },
        }));
    }
    for l in split_levels {
        headers.push(json!({"name": l, "type": "String"}));
    }
    // Survey indicators the reader may see the intervals of: three columns each, last.
    let survey: Vec<&Indicator> = vars
        .iter()
        .copied()
        .filter(|v| snap.survey_visible_to(v, reader))
        .collect();
    for v in &survey {
        let name = v
            .name
            .get("nl")
            .filter(|s| !s.is_empty())
            .unwrap_or(&v.code);
        let c = v.confidence_level();
        headers.push(json!({"name": format!("{name} (ondergrens {c}%)"), "type": "Numeric"}));
        headers.push(json!({"name": format!("{name} (bovengrens {c}%)"), "type": "Numeric"}));
        headers.push(json!({"name": format!("{name} (significant t.o.v. referentiegebied)"), "type": "String"}));
    }
    let ids: Vec<u32> = vars.iter().map(|v| snap.index[&v.code]).collect();
    let dim_ids: Vec<Option<u32>> = cells.iter().map(|c| snap.dim_id(c)).collect();
    // Each value column's series and each survey column's cells, looked up once per (level,
    // period, cube cell) before the rows are written: `tab[level slot][period][cell]`.
    let mut row_levels: Vec<usize> = Vec::new();
    for (l, _) in geo_rows {
        if !row_levels.contains(l) {
            row_levels.push(*l);
        }
    }
    type Cols<'a> = Vec<Option<&'a [peil_compute::slot::Slot]>>;
    type SurveyCols<'a> = Vec<Option<&'a [Option<peil_compute::survey::Cell>]>>;
    let tab: Vec<Vec<Vec<Cols>>> = row_levels
        .iter()
        .map(|&l| {
            periods
                .iter()
                .map(|p| {
                    (0..cells.len())
                        .map(|ci| {
                            ids.iter()
                                .map(|&i| dim_ids[ci].and_then(|d| snap.slots(i, l, *p, d, reader)))
                                .collect()
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let survey_tab: Vec<Vec<SurveyCols>> = row_levels
        .iter()
        .map(|&l| {
            let level = &snap.levels[l].level.code;
            periods
                .iter()
                .map(|p| {
                    survey
                        .iter()
                        .map(|v| snap.survey_series(&v.code, level, *p, reader))
                        .collect()
                })
                .collect()
        })
        .collect();
    let period_codes: Vec<String> = periods.iter().map(|p| p.code()).collect();
    // Rows that start with the area: `,["name","` from `frags`, then the period and the
    // opening quote of the first value column, `2020","`, as one piece.
    let period_heads: Vec<String> = period_codes
        .iter()
        .map(|c| match vars.is_empty() {
            true => format!("{c}\""),
            false => format!("{c}\",\""),
        })
        .collect();
    let cell_members: Vec<Vec<&str>> = cells
        .iter()
        .map(|cell| {
            split_levels
                .iter()
                .map(|l| {
                    cell.0
                        .iter()
                        .find(|(x, _)| x == l)
                        .map_or("", |(_, m)| m.as_str())
                })
                .collect()
        })
        .collect();
    let mut out = String::with_capacity(64 + geo_rows.len() * periods.len() * cells.len() * 48);
    out.push_str("{\"headers\":");
    out.push_str(&serde_json::to_string(&headers).unwrap_or_default());
    out.push_str(",\"rows\":[");
    let mut first = true;
    let mut emit = |(l, pos): (usize, u32), pi: usize, ci: usize| {
        let slot = row_levels.iter().position(|x| *x == l).unwrap_or(0);
        let cols = &tab[slot][pi][ci];
        if flip {
            if !first {
                out.push(',');
            }
            out.push_str("[\"");
            out.push_str(&period_codes[pi]);
            out.push_str("\",");
            out.push_str(&frags.levels[l].name[pos as usize]);
            for col in cols.iter() {
                out.push_str(",\"");
                if let Some(v) = col.and_then(|c| c.get(pos as usize)) {
                    push_value(&mut out, v.to_value());
                }
                out.push('"');
            }
        } else {
            let head = &frags.levels[l].row[pos as usize];
            out.push_str(if first { &head[1..] } else { head });
            out.push_str(&period_heads[pi]);
            for (k, col) in cols.iter().enumerate() {
                if k > 0 {
                    out.push_str("\",\"");
                }
                if let Some(v) = col.and_then(|c| c.get(pos as usize)) {
                    push_value(&mut out, v.to_value());
                }
            }
            if !cols.is_empty() {
                out.push('"');
            }
        }
        first = false;
        for m in &cell_members[ci] {
            out.push(',');
            push_json_str(&mut out, m);
        }
        for col in survey_tab[slot][pi].iter() {
            let c = cells[ci]
                .is_empty()
                .then(|| col.and_then(|c| c.get(pos as usize).copied().flatten()))
                .flatten();
            for x in [c.map(|c| c.interval.low), c.map(|c| c.interval.high)] {
                out.push_str(",\"");
                if let Some(x) = x {
                    push_value(&mut out, peil_core::Value::Number(x));
                }
                out.push('"');
            }
            out.push_str(",\"");
            if let Some(sig) = c.and_then(|c| c.significance) {
                out.push_str(sig.code());
            }
            out.push('"');
        }
        out.push(']');
    };
    if flip {
        for pi in 0..periods.len() {
            for g in geo_rows {
                for ci in 0..cells.len() {
                    emit(*g, pi, ci);
                }
            }
        }
    } else {
        for g in geo_rows {
            for pi in 0..periods.len() {
                for ci in 0..cells.len() {
                    emit(*g, pi, ci);
                }
            }
        }
    }
    out.push_str("]}");
    out
}

/// Per dim level, the members to keep.
type MemberFilter = HashMap<String, Vec<String>>;

/// `dimlevel`: the dim levels to split by (in the order given) and, per level, the members
/// to keep when member codes were given.
fn dim_selection(
    snap: &Snapshot,
    reader: &Reader,
    vars: &[&Indicator],
    tokens: &[String],
) -> Result<(Vec<String>, MemberFilter), Problem> {
    let mut split: Vec<String> = Vec::new();
    let mut members: MemberFilter = HashMap::new();
    if tokens.is_empty() {
        return Ok((split, members));
    }
    let dims: Vec<odata::CubeDim> = vars
        .iter()
        .filter(|v| !v.dim_levels.is_empty())
        .flat_map(|v| cube_dims(snap, reader, v))
        .collect();
    let levels: Vec<(&str, &Vec<String>)> = dims
        .iter()
        .flat_map(|d| d.levels.iter().map(|(l, ms)| (l.as_str(), ms)))
        .collect();
    for t in tokens {
        if let Some((l, _)) = levels.iter().find(|(l, _)| l == t) {
            if !split.iter().any(|s| s == l) {
                split.push(l.to_string());
            }
        } else if let Some((l, _)) = levels.iter().find(|(_, ms)| ms.contains(t)) {
            if !split.iter().any(|s| s == l) {
                split.push(l.to_string());
            }
            members.entry(l.to_string()).or_default().push(t.clone());
        } else {
            let known: Vec<&str> = levels.iter().map(|(l, _)| *l).collect();
            return Err(if known.is_empty() {
                Problem::bad_request(format!("dimlevel '{t}': none of the variables is a cube"))
            } else {
                Problem::bad_request(format!(
                    "dimlevel '{t}' is neither a dim level nor a member of the cube (dim levels: {})",
                    known.join(", ")
                ))
            });
        }
    }
    Ok((split, members))
}
