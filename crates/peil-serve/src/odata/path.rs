//! Resolving a URL path: entity sets, keys and navigation, step by step, to a collection or
//! an entity.

use super::*;

pub(super) type Row = Map<String, J>;

/// A collection addressed by a URL.
#[derive(Debug, Clone)]
pub(super) enum Set {
    GeoLevels {
        var: Option<String>,
    },
    GeoItems {
        level: usize,
    },
    PeriodLevels {
        var: Option<String>,
        level: Option<usize>,
    },
    Periods {
        var: Option<String>,
        level: Option<usize>,
        pl: Option<PeriodLevel>,
    },
    Values {
        var: String,
        level: usize,
        period: Period,
    },
    DataSources,
    Variables {
        cube: bool,
        source: Option<String>,
    },
    Dimensions {
        var: Option<String>,
    },
    DimLevels {
        var: Option<String>,
        dim: Option<String>,
    },
    DimMembers {
        var: Option<String>,
        dimlevel: String,
    },
}

impl Set {
    pub(super) fn ty(&self) -> &'static EntityType {
        match self {
            Set::GeoLevels { .. } => &GEO_LEVEL,
            Set::GeoItems { .. } => &GEO_ITEM,
            Set::PeriodLevels { .. } => &PERIOD_LEVEL,
            Set::Periods { .. } => &PERIOD,
            Set::Values { .. } => &VALUE,
            Set::DataSources => &DATA_SOURCE,
            Set::Variables { .. } => &VARIABLE,
            Set::Dimensions { .. } => &DIMENSION,
            Set::DimLevels { .. } => &DIM_LEVEL,
            Set::DimMembers { .. } => &DIM_MEMBER,
        }
    }

    /// What a 404 calls an entity of this set.
    fn what(&self) -> &'static str {
        match self {
            Set::GeoLevels { var: Some(_) } => "geo level with data of this variable",
            Set::GeoLevels { .. } => "geo level",
            Set::GeoItems { .. } => "geo item",
            Set::PeriodLevels { var: Some(_), .. } => "period level with data of this variable",
            Set::PeriodLevels { .. } => "period level",
            Set::Periods { var: Some(_), .. } => "period with data of this variable",
            Set::Periods { .. } => "period",
            Set::Values { .. } => "value of geo item",
            Set::DataSources => "data source",
            Set::Variables { cube: true, .. } => "cube variable",
            Set::Variables { .. } => "variable",
            Set::Dimensions { .. } => "dimension",
            Set::DimLevels { .. } => "dim level",
            Set::DimMembers { .. } => "dim member",
        }
    }

    pub(super) fn page(&self) -> usize {
        match self {
            Set::Variables { .. } => VARIABLES_PAGE,
            _ => PAGE,
        }
    }

    /// Every entity of the collection, in its natural order.
    pub(super) fn rows(&self, snap: &Snapshot, reader: &Reader) -> Vec<Row> {
        match self {
            Set::GeoLevels { var } => levels_by_size(snap)
                .into_iter()
                .filter(|&l| {
                    var.as_deref().is_none_or(|v| {
                        !snap.periods(v, &snap.levels[l].level.code, reader).is_empty()
                    })
                })
                .map(|l| geo_level_row(snap, l))
                .collect(),
            Set::GeoItems { level } => sorted_items(snap, *level)
                .into_iter()
                .map(|it| geo_item_row(it, &snap.levels[*level].level.code))
                .collect(),
            Set::PeriodLevels { var, level } => {
                let present: Option<BTreeSet<PeriodLevel>> = if var.is_none() && level.is_none() {
                    None
                } else {
                    Some(
                        periods_of(snap, reader, &scope_vars(snap, reader, var), &scope_levels(snap, *level))
                            .into_iter()
                            .map(|p| p.level)
                            .collect(),
                    )
                };
                PeriodLevel::ALL
                    .into_iter()
                    .filter(|pl| present.as_ref().is_none_or(|s| s.contains(pl)))
                    .map(|pl| period_level_row(snap, pl))
                    .collect()
            }
            Set::Periods { var, level, pl } => {
                periods_of(snap, reader, &scope_vars(snap, reader, var), &scope_levels(snap, *level))
                    .into_iter()
                    .filter(|p| pl.is_none_or(|l| p.level == l))
                    .map(|p| period_row(&p))
                    .collect()
            }
            Set::Values { var, level, period } => {
                let lc = &snap.levels[*level].level.code;
                // Survey intervals and verdicts, for readers who may see them (else null).
                let survey = snap.survey_series(var, lc, *period, reader);
                let confidence = snap.indicator(var).map(|i| i.confidence_level());
                let mut vals: Vec<(&GeoItem, Value, Option<SurveyCell>)> = snap
                    .series(var, lc, *period, &DimKey::default(), reader)
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                    .map(|(k, (it, v))| (it, v, survey.and_then(|s| s.get(k).copied().flatten())))
                    .collect();
                vals.sort_by(|a, b| a.0.seq.cmp(&b.0.seq).then_with(|| a.0.code.cmp(&b.0.code)));
                vals.into_iter()
                    .map(|(it, v, c)| {
                        let bench = c.and_then(|c| c.benchmark).and_then(|b| snap.area_at(b));
                        row(json!({
                            "ExternalCode": it.code, "Name": it.name,
                            "ValueString": value_string(v), "Value": value_number(v),
                            "Variable": var, "GeoLevel": lc, "Period": period.code(),
                            "Lower": c.map(|c| c.interval.low),
                            "Upper": c.map(|c| c.interval.high),
                            "Margin": c.map(|c| c.interval.margin),
                            "Confidence": c.and(confidence),
                            "Significance": c.and_then(|c| c.significance).map(|s| s.code()),
                            "BenchmarkGeoLevel": bench.map(|b| b.0),
                            "Benchmark": bench.map(|b| &b.1.code),
                        }))
                    })
                    .collect()
            }
            Set::DataSources => {
                let mut n: BTreeMap<&str, usize> = BTreeMap::new();
                for i in public_indicators(snap, reader) {
                    if !i.source.trim().is_empty() {
                        *n.entry(i.source.as_str()).or_default() += 1;
                    }
                }
                n.into_iter()
                    .map(|(s, c)| row(json!({"ExternalCode": s, "Name": s, "VariableCount": c})))
                    .collect()
            }
            Set::Variables { cube, source } => variables_of(snap, reader, *cube, source)
                .into_iter()
                .map(|i| variable_row(snap, reader, i))
                .collect(),
            Set::Dimensions { var } => all_dims(snap, reader, var)
                .into_iter()
                .map(|d| row(json!({"ExternalCode": d.code, "Name": d.code})))
                .collect(),
            Set::DimLevels { var, dim } => all_dims(snap, reader, var)
                .into_iter()
                .filter(|d| dim.as_deref().is_none_or(|x| x == d.code))
                .flat_map(|d| {
                    d.levels
                        .into_iter()
                        .enumerate()
                        .map(move |(i, (l, _))| {
                            row(json!({"ExternalCode": l, "Name": l, "Dimension": d.code, "Sequence": i + 1}))
                        })
                })
                .collect(),
            Set::DimMembers { var, dimlevel } => {
                let mut seen = BTreeSet::new();
                let mut out = Vec::new();
                for d in all_dims(snap, reader, var) {
                    for (l, ms) in d.levels {
                        if &l == dimlevel {
                            for m in ms {
                                if seen.insert(m.clone()) {
                                    out.push(m);
                                }
                            }
                        }
                    }
                }
                out.sort_by(|a, b| natural_cmp(a, b));
                out.into_iter()
                    .enumerate()
                    .map(|(i, m)| {
                        row(json!({"ExternalCode": m, "Name": m, "DimLevel": dimlevel, "Sequence": i + 1}))
                    })
                    .collect()
            }
        }
    }
}

pub(super) fn row(v: J) -> Row {
    match v {
        J::Object(m) => m,
        _ => Map::new(),
    }
}

pub(super) fn geo_level_row(snap: &Snapshot, l: usize) -> Row {
    let lv = &snap.levels[l];
    row(json!({
        "ExternalCode": lv.level.code, "Name": lv.level.name, "Kind": lv.level.kind.code(),
        "ItemCount": lv.items.len(),
    }))
}

pub(super) fn geo_item_row(it: &GeoItem, level: &str) -> Row {
    row(json!({
        "ExternalCode": it.code, "Name": it.name, "ShortName": it.short_name,
        "Sequence": it.seq, "GeoLevel": level, "UnknownLocation": it.unknown_location,
    }))
}

pub(super) fn period_level_row(snap: &Snapshot, pl: PeriodLevel) -> Row {
    let n = snap.period_level_names.name(pl, peil_core::Locale::Nl);
    let mut c = n.chars();
    let name = c
        .next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect());
    row(json!({"ExternalCode": pl.code(), "Name": name, "PeriodsPerYear": pl.per_year()}))
}

pub(super) fn period_row(p: &Period) -> Row {
    let ((y0, m0, d0), (y1, m1, d1)) = p.bounds();
    row(json!({
        "ExternalCode": p.code(), "Name": p.code(), "FullName": p.label(peil_core::Locale::Nl),
        "PeriodLevel": p.level.code(), "Year": p.year,
        "StartDate": format!("{y0:04}-{m0:02}-{d0:02}"), "EndDate": format!("{y1:04}-{m1:02}-{d1:02}"),
    }))
}

/// First and last period of an indicator: from its metadata, else from its published data
/// (formula indicators have none in their metadata).
pub(super) fn period_range(
    snap: &Snapshot,
    reader: &Reader,
    i: &Indicator,
) -> (Option<Period>, Option<Period>) {
    if i.start_period.is_some() && i.end_period.is_some() {
        return (i.start_period, i.end_period);
    }
    let all: Vec<Period> = snap
        .levels
        .iter()
        .flat_map(|l| snap.periods(&i.code, &l.level.code, reader))
        .map(|(p, _)| p)
        .collect();
    // Earliest start and latest end; the coarser period wins a tie (2019 before 2019Q1).
    let coarse = |p: &Period| std::cmp::Reverse(p.level);
    let first = all
        .iter()
        .min_by_key(|p| (p.bounds().0, coarse(p)))
        .copied();
    let last = all
        .iter()
        .max_by_key(|p| (p.bounds().1, std::cmp::Reverse(coarse(p))))
        .copied();
    (i.start_period.or(first), i.end_period.or(last))
}

pub(super) fn variable_row(snap: &Snapshot, reader: &Reader, i: &Indicator) -> Row {
    let text =
        |t: &peil_core::LocalizedText| t.get("nl").filter(|s| !s.is_empty()).map(str::to_string);
    let (start, end) = period_range(snap, reader, i);
    row(json!({
        "ExternalCode": i.code,
        "Name": text(&i.name).unwrap_or_else(|| i.code.clone()),
        "Description": text(&i.description),
        "Unit": i.unit,
        "DataSource": i.source,
        "DataType": i.data_type.code(),
        "PeriodType": i.period_type.code(),
        "Decimals": i.decimals,
        "StartPeriod": start.map(|p| p.code()),
        "EndPeriod": end.map(|p| p.code()),
        "IsCube": !i.dim_levels.is_empty(),
        "Status": i.status.code(),
    }))
}

/// The public indicators of a `Variables` collection, in code order.
pub(super) fn variables_of<'a>(
    snap: &'a Snapshot,
    reader: &Reader,
    cube: bool,
    source: &Option<String>,
) -> Vec<&'a Indicator> {
    public_indicators(snap, reader)
        .into_iter()
        .filter(|i| !cube || !i.dim_levels.is_empty())
        .filter(|i| source.as_deref().is_none_or(|s| i.source == s))
        .collect()
}

pub(super) fn scope_vars<'a>(
    snap: &'a Snapshot,
    reader: &Reader,
    var: &Option<String>,
) -> Vec<&'a str> {
    match var {
        Some(v) => vec![snap.indicator(v).map_or("", |i| i.code.as_str())],
        None => public_indicators(snap, reader)
            .into_iter()
            .map(|i| i.code.as_str())
            .collect(),
    }
}

pub(super) fn scope_levels(snap: &Snapshot, level: Option<usize>) -> Vec<usize> {
    match level {
        Some(l) => vec![l],
        None => (0..snap.levels.len()).collect(),
    }
}

/// Dimensions of one public cube, or of all public cubes (merged by code).
pub(super) fn all_dims(snap: &Snapshot, reader: &Reader, var: &Option<String>) -> Vec<CubeDim> {
    let cubes: Vec<&Indicator> = match var {
        Some(v) => public_indicator(snap, reader, v).into_iter().collect(),
        None => public_indicators(snap, reader)
            .into_iter()
            .filter(|i| !i.dim_levels.is_empty())
            .collect(),
    };
    let mut out: Vec<CubeDim> = Vec::new();
    for c in cubes {
        for d in cube_dims(snap, reader, c) {
            match out.iter_mut().find(|o| o.code == d.code) {
                None => out.push(d),
                Some(o) => {
                    for (l, ms) in d.levels {
                        match o.levels.iter_mut().find(|x| x.0 == l) {
                            None => o.levels.push((l, ms)),
                            Some(x) => {
                                for m in ms {
                                    if !x.1.contains(&m) {
                                        x.1.push(m);
                                    }
                                }
                                x.1.sort_by(|a, b| natural_cmp(a, b));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// One path segment: a name and an optional key.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Seg {
    pub(super) name: String,
    pub(super) key: Option<String>,
}

pub(super) fn parse_segment(raw: &str) -> Result<Seg, Problem> {
    let s = crate::query::segment(raw).map_err(|e| Problem::bad_request(e.to_string()))?;
    let Some(open) = s.find('(') else {
        return Ok(Seg { name: s, key: None });
    };
    if !s.ends_with(')') {
        return Err(Problem::bad_request(format!(
            "'{s}' is not a valid segment: a key is written Name('code')"
        )));
    }
    let name = s[..open].to_string();
    let mut inner = s[open + 1..s.len() - 1].trim();
    // Named key: ExternalCode='x'
    if let Some((k, v)) = inner.split_once('=')
        && !k.trim().starts_with('\'')
    {
        inner = v.trim();
    }
    let key = if let Some(q) = inner.strip_prefix('\'') {
        let Some(body) = q.strip_suffix('\'') else {
            return Err(Problem::bad_request(format!(
                "the key in '{s}' has no closing quote"
            )));
        };
        body.replace("''", "'")
    } else {
        inner.to_string()
    };
    if key.is_empty() {
        return Err(Problem::bad_request(format!("the key in '{s}' is empty")));
    }
    Ok(Seg {
        name,
        key: Some(key),
    })
}

/// Where a path leads.
pub(super) enum At {
    Root,
    Coll(Set),
    Entity(Set, Row),
}

/// Resolves a key in a collection (404 with suggestions when it is not there).
pub(super) fn find(snap: &Snapshot, reader: &Reader, set: &Set, key: &str) -> Result<Row, Problem> {
    // Direct look-ups for the large sets; the rest are small enough to list.
    match set {
        Set::Variables { cube, source } => {
            let vars = variables_of(snap, reader, *cube, source);
            return match vars.iter().find(|i| i.code == key) {
                Some(i) => Ok(variable_row(snap, reader, i)),
                None => Err(Problem::unknown(
                    set.what(),
                    key,
                    vars.iter().map(|i| i.code.as_str()),
                )),
            };
        }
        Set::GeoItems { level } => {
            let lv = &snap.levels[*level];
            return match lv.pos.get(key) {
                Some(&p) => {
                    let it = &lv.items[p as usize].1;
                    Ok(geo_item_row(it, &lv.level.code))
                }
                None => Err(Problem::unknown(
                    set.what(),
                    key,
                    lv.items.iter().map(|(_, it)| it.code.as_str()),
                )),
            };
        }
        _ => {}
    }
    let rows = set.rows(snap, reader);
    let hit = match set {
        Set::Periods { .. }
            if key.eq_ignore_ascii_case("mrp") || key.eq_ignore_ascii_case("mostrecent") =>
        {
            rows.last().cloned()
        }
        Set::Periods { .. } => {
            let canon = Period::parse(key)
                .map(|p| p.code())
                .unwrap_or_else(|_| key.to_string());
            rows.iter()
                .find(|r| r["ExternalCode"] == canon.as_str())
                .cloned()
        }
        Set::PeriodLevels { .. } => {
            let canon = PeriodLevel::from_code(key).map_or(key, |l| l.code());
            rows.iter().find(|r| r["ExternalCode"] == canon).cloned()
        }
        _ => rows.iter().find(|r| r["ExternalCode"] == key).cloned(),
    };
    hit.ok_or_else(|| {
        let codes: Vec<String> = rows
            .iter()
            .filter_map(|r| r["ExternalCode"].as_str().map(str::to_string))
            .collect();
        Problem::unknown(set.what(), key, codes.iter())
    })
}

pub(super) fn code_of(r: &Row) -> String {
    r["ExternalCode"].as_str().unwrap_or("").to_string()
}

pub(super) fn level_index(snap: &Snapshot, code: &str) -> usize {
    snap.level_index.get(code).copied().unwrap_or(0)
}

pub(super) fn step(snap: &Snapshot, reader: &Reader, at: At, seg: &Seg) -> Result<At, Problem> {
    let set = match at {
        At::Root => match seg.name.as_str() {
            "GeoLevels" => Set::GeoLevels { var: None },
            "PeriodLevels" => Set::PeriodLevels {
                var: None,
                level: None,
            },
            "Periods" => Set::Periods {
                var: None,
                level: None,
                pl: None,
            },
            "DataSources" => Set::DataSources,
            "Variables" => Set::Variables {
                cube: false,
                source: None,
            },
            "CubeVariables" => Set::Variables {
                cube: true,
                source: None,
            },
            "Dimensions" => Set::Dimensions { var: None },
            "DimLevels" => Set::DimLevels {
                var: None,
                dim: None,
            },
            other => {
                return Err(Problem::unknown(
                    "entity set",
                    other,
                    ENTITY_SETS.iter().map(|(n, _)| *n),
                ));
            }
        },
        At::Coll(set) => {
            return Err(Problem::not_found(format!(
                "'{}' follows a collection of {}s; pick one first with a key, e.g. ('code')",
                seg.name,
                set.ty().name
            )));
        }
        At::Entity(set, r) => {
            let key = code_of(&r);
            let nav = match (&set, seg.name.as_str()) {
                (Set::GeoLevels { .. }, "GeoItems") => Some(Set::GeoItems {
                    level: level_index(snap, &key),
                }),
                (Set::GeoLevels { var }, "PeriodLevels") => Some(Set::PeriodLevels {
                    var: var.clone(),
                    level: Some(level_index(snap, &key)),
                }),
                (Set::PeriodLevels { var, level }, "Periods") => Some(Set::Periods {
                    var: var.clone(),
                    level: *level,
                    pl: PeriodLevel::from_code(&key),
                }),
                (
                    Set::Periods {
                        var: Some(v),
                        level: Some(l),
                        ..
                    },
                    "Values",
                ) => Some(Set::Values {
                    var: v.clone(),
                    level: *l,
                    period: Period::parse(&key).map_err(|e| Problem::bad_request(e.to_string()))?,
                }),
                (Set::Periods { .. }, "Values") => {
                    return Err(Problem::not_found(
                        "values are reached through a variable and a geo level: Variables('v')/GeoLevels('gl')/PeriodLevels('pl')/Periods('p')/Values",
                    ));
                }
                (Set::Variables { .. }, "GeoLevels") => Some(Set::GeoLevels { var: Some(key) }),
                (Set::Variables { .. }, "Dimensions") => Some(Set::Dimensions { var: Some(key) }),
                (Set::Variables { .. }, "DimLevels") => Some(Set::DimLevels {
                    var: Some(key),
                    dim: None,
                }),
                (Set::Dimensions { var }, "DimLevels") => Some(Set::DimLevels {
                    var: var.clone(),
                    dim: Some(key),
                }),
                (Set::DimLevels { var, .. }, "DimMembers") => Some(Set::DimMembers {
                    var: var.clone(),
                    dimlevel: key,
                }),
                (Set::DataSources, "Variables") => Some(Set::Variables {
                    cube: false,
                    source: Some(key),
                }),
                _ => None,
            };
            match nav {
                Some(s) => s,
                None => {
                    let t = set.ty();
                    let navs: Vec<&str> = t.navs.iter().map(|n| n.0).collect();
                    return Err(Problem::not_found(format!(
                        "a {} has no navigation property '{}'{}",
                        t.name,
                        seg.name,
                        if navs.is_empty() {
                            String::new()
                        } else {
                            format!(" (it has {})", navs.join(", "))
                        }
                    )));
                }
            }
        }
    };
    match &seg.key {
        None => Ok(At::Coll(set)),
        Some(k) => {
            let r = find(snap, reader, &set, k)?;
            Ok(At::Entity(set, r))
        }
    }
}
