//! A Swing site read through its public surface only — the OData service at
//! `/jiveservices/odata/` and the selection table `/jive/selectiontableasjson.ashx` (section 14
//! of the domain brief), the surface every Swing site and every Peil site serves. Nothing of
//! Peil's native API is used here, so a Peil site stands in for Swing in the tests.
//!
//! What the surface offers, and so what travels: geo levels and items (code, name, short name,
//! sequence), variables with name, description, unit, source, data type, period type,
//! decimals and status, and every published value per variable × geo level × period
//! (`Values`, with the item's code); a cube's dimensions, dim levels and members
//! (`CubeVariables`) and its cells, from the selection table split by each combination of its
//! dim levels (`dimlevel`; see [`Swing::cube_values`]). The hierarchy is not in the OData; it is derived from the
//! selection table's `geosplit`/`geocompare` (see [`Swing::hierarchy`]). Not offered, so never
//! moved: formulas, aggregation and threshold indicators, thresholds, how a cube's fine
//! members roll up into coarse ones, the theme tree,
//! geometry, access groups and restricted indicators, reports, dashboards and stories.

use crate::PullError;
use crate::http::Client;
use crate::map::{encode, good_code};
use peil_core::*;
use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The OData service's root below the site's base URL.
const ODATA: &str = "/jiveservices/odata/";
/// The selection table below the site's base URL.
const TABLE: &str = "/jive/selectiontableasjson.ashx";
/// Longest query string sent (IIS, which serves Swing, refuses more than 2,048 by default).
const MAX_QUERY: usize = 1800;
/// Most entities of one collection read (pages of the OData service, bounded).
const MAX_ENTITIES: usize = 2_000_000;

/// One page of an OData collection.
#[derive(Deserialize)]
struct Page<T> {
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    next: Option<String>,
}

#[derive(Deserialize)]
struct Named {
    #[serde(rename = "ExternalCode")]
    code: String,
    #[serde(rename = "Name", default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct ItemRow {
    #[serde(rename = "ExternalCode")]
    code: String,
    #[serde(rename = "Name", default)]
    name: Option<String>,
    #[serde(rename = "ShortName", default)]
    short_name: Option<String>,
    #[serde(rename = "Sequence", default)]
    seq: Option<i64>,
    #[serde(rename = "UnknownLocation", default)]
    unknown_location: Option<bool>,
}

#[derive(Deserialize)]
struct ValueRow {
    #[serde(rename = "ExternalCode")]
    code: String,
    #[serde(rename = "ValueString", default)]
    value: Option<String>,
}

#[derive(Deserialize)]
struct Table {
    rows: Vec<Vec<Json>>,
}

/// A geo level with its items, as the source lists them.
pub(crate) struct Level {
    pub level: GeoLevel,
    pub items: Vec<GeoItem>,
}

/// A variable as the source describes it: its OData entity (kept whole for the content hash).
pub(crate) struct Variable {
    pub code: String,
    pub row: Json,
}

impl Variable {
    pub fn is_cube(&self) -> bool {
        self.row.get("IsCube").and_then(Json::as_bool) == Some(true)
    }

    pub fn source(&self) -> &str {
        self.row
            .get("DataSource")
            .and_then(Json::as_str)
            .unwrap_or("")
    }
}

/// One published value: (geo level, period, item, cube cell, value); the cube cell is empty
/// for a flat variable.
pub(crate) type Cell = (String, Period, String, DimKey, Value);

/// A cube's dimensions and dim levels with their members (`Swing::cube_levels`).
pub(crate) type CubeShape = (Vec<Dimension>, Vec<CubeLevel>);

/// One request for a selection table: the area asked for alone (`None`: the whole level) and
/// the query's parameters.
type Ask<'a> = (Option<&'a str>, Vec<(&'a str, &'a str)>);

/// A cube's dim levels as `CubeVariables('v')/DimLevels` lists them, with their members.
pub(crate) struct CubeLevel {
    pub level: DimLevel,
    pub members: Vec<DimMember>,
}

#[derive(Deserialize)]
struct DimLevelRow {
    #[serde(rename = "ExternalCode")]
    code: String,
    #[serde(rename = "Name", default)]
    name: Option<String>,
    #[serde(rename = "Dimension", default)]
    dimension: Option<String>,
    #[serde(rename = "Sequence", default)]
    seq: Option<i64>,
}

/// Most dim level combinations of one cube asked for (each a selection table per geo level
/// and period level), and areas asked for one by one when their names are not unique.
const MAX_COMBINATIONS: usize = 256;
const MAX_ALONE: usize = 200;

pub(crate) struct Swing<'a> {
    pub client: &'a Client,
}

fn bad(url: String, why: impl Into<String>) -> PullError {
    PullError::Invalid {
        url,
        why: why.into(),
    }
}

impl Swing<'_> {
    /// Every entity of a collection, following the service's pages with `$skip`.
    fn collection<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        data: bool,
    ) -> Result<Vec<T>, PullError> {
        let mut out: Vec<T> = Vec::new();
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let page_path = if out.is_empty() {
                format!("{ODATA}{path}")
            } else {
                format!("{ODATA}{path}{sep}$skip={}", out.len())
            };
            let page: Page<T> = self.client.json(&page_path, data)?;
            let got = page.value.len();
            out.extend(page.value);
            if out.len() > MAX_ENTITIES {
                return Err(bad(
                    self.client.url(&page_path),
                    format!("more than {MAX_ENTITIES} entities"),
                ));
            }
            if page.next.is_none() || got == 0 {
                return Ok(out);
            }
        }
    }

    /// Geo levels and their items.
    pub fn levels(&self) -> Result<Vec<Level>, PullError> {
        let url = self.client.url(&format!("{ODATA}GeoLevels"));
        let mut out = Vec::new();
        for l in self.collection::<Named>("GeoLevels", false)? {
            if !good_code(&l.code) {
                return Err(bad(
                    url,
                    format!("geo level '{}' is not valid", shown(&l.code)),
                ));
            }
            let path = format!("GeoLevels('{}')/GeoItems", key(&l.code));
            let rows: Vec<ItemRow> = self.collection(&path, true)?;
            let mut seen = BTreeSet::new();
            let mut items = Vec::with_capacity(rows.len());
            for (n, it) in rows.into_iter().enumerate() {
                let name = it.name.unwrap_or_default();
                let short = it.short_name.unwrap_or_else(|| name.clone());
                if !good_code(&it.code)
                    || name.chars().count() > 500
                    || short.chars().count() > 500
                    || !seen.insert(it.code.clone())
                {
                    return Err(bad(
                        self.client.url(&format!("{ODATA}{path}")),
                        format!(
                            "area '{}' of level {} is not valid or twice",
                            shown(&it.code),
                            l.code
                        ),
                    ));
                }
                items.push(GeoItem {
                    code: it.code,
                    short_name: short,
                    name,
                    seq: it.seq.unwrap_or(n as i64 + 1),
                    unknown_location: it.unknown_location.unwrap_or(false),
                });
            }
            let name = l.name.unwrap_or_else(|| l.code.clone());
            if name.chars().count() > 500 {
                return Err(bad(
                    url,
                    format!("the name of level {} is too long", l.code),
                ));
            }
            out.push(Level {
                level: GeoLevel {
                    code: l.code,
                    name,
                    kind: GeoLevelKind::default(),
                },
                items,
            });
        }
        Ok(out)
    }

    /// Every variable the source lists (to this key), in its order.
    pub fn variables(&self) -> Result<Vec<Variable>, PullError> {
        let url = self.client.url(&format!("{ODATA}Variables"));
        let rows: Vec<Json> = self.collection("Variables", false)?;
        let mut out = Vec::with_capacity(rows.len());
        let mut seen = BTreeSet::new();
        for row in rows {
            let code = row
                .get("ExternalCode")
                .and_then(Json::as_str)
                .filter(|c| good_code(c))
                .ok_or_else(|| bad(url.clone(), "a variable without a valid ExternalCode"))?
                .to_string();
            if !seen.insert(code.clone()) {
                return Err(bad(
                    url,
                    format!("variable {} is listed twice", shown(&code)),
                ));
            }
            out.push(Variable { code, row });
        }
        Ok(out)
    }

    /// Every published value of a variable: each geo level it has data on, each period level,
    /// each period.
    pub fn values(&self, var: &str) -> Result<Vec<Cell>, PullError> {
        let v = key(var);
        let mut out = Vec::new();
        for gl in self.collection::<Named>(&format!("Variables('{v}')/GeoLevels"), false)? {
            let g = key(&gl.code);
            let pls = self.collection::<Named>(
                &format!("Variables('{v}')/GeoLevels('{g}')/PeriodLevels"),
                false,
            )?;
            for pl in pls {
                let p = key(&pl.code);
                let base = format!("Variables('{v}')/GeoLevels('{g}')/PeriodLevels('{p}')/Periods");
                for period in self.collection::<Named>(&base, false)? {
                    let path = format!("{base}('{}')/Values", key(&period.code));
                    let url = self.client.url(&format!("{ODATA}{path}"));
                    let pe = Period::parse(&period.code).map_err(|_| {
                        bad(
                            url.clone(),
                            format!("period '{}' is not valid", shown(&period.code)),
                        )
                    })?;
                    for r in self.collection::<ValueRow>(&path, true)? {
                        let text = r.value.unwrap_or_default();
                        let value = match cell_value(&text) {
                            Ok(Some(v)) => v,
                            Ok(None) => continue,
                            Err(why) => {
                                return Err(bad(url, format!("{why} (area '{}')", shown(&r.code))));
                            }
                        };
                        if !good_code(&r.code) {
                            return Err(bad(
                                url,
                                format!("area code '{}' is not valid", shown(&r.code)),
                            ));
                        }
                        out.push((gl.code.clone(), pe, r.code, DimKey::default(), value));
                    }
                }
            }
        }
        Ok(out)
    }

    /// A cube's dimensions (code, name) and dim levels with their members, as its
    /// `CubeVariables` entity lists them; `Err` with the reason when what it lists is unusable.
    pub fn cube_levels(&self, var: &str) -> Result<Result<CubeShape, String>, PullError> {
        let v = key(var);
        let dims: Vec<Named> =
            self.collection(&format!("CubeVariables('{v}')/Dimensions"), false)?;
        let rows: Vec<DimLevelRow> =
            self.collection(&format!("CubeVariables('{v}')/DimLevels"), false)?;
        let mut dimensions = Vec::new();
        for d in dims {
            if !good_code(&d.code) {
                return Ok(Err(format!(
                    "dimension '{}' is not a valid code",
                    shown(&d.code)
                )));
            }
            let name = d.name.unwrap_or_else(|| d.code.clone());
            dimensions.push(Dimension {
                name: LocalizedText::nl(&name),
                code: d.code,
            });
        }
        let mut levels: Vec<CubeLevel> = Vec::new();
        for (n, r) in rows.into_iter().enumerate() {
            let dimension = r.dimension.unwrap_or_else(|| r.code.clone());
            if !good_code(&r.code)
                || levels.iter().any(|l| l.level.code == r.code)
                || !dimensions.iter().any(|d| d.code == dimension)
            {
                return Ok(Err(format!(
                    "dim level '{}' is not valid, listed twice or of no dimension listed",
                    shown(&r.code)
                )));
            }
            let path = format!(
                "CubeVariables('{v}')/DimLevels('{}')/DimMembers",
                key(&r.code)
            );
            let mut members: Vec<DimMember> = Vec::new();
            for (k, m) in self
                .collection::<DimLevelRow>(&path, false)?
                .into_iter()
                .enumerate()
            {
                if !good_code(&m.code) || members.iter().any(|x| x.code == m.code) {
                    return Ok(Err(format!(
                        "member '{}' of dim level {} is not valid or listed twice",
                        shown(&m.code),
                        r.code
                    )));
                }
                members.push(DimMember {
                    level: r.code.clone(),
                    name: LocalizedText::nl(m.name.as_deref().unwrap_or(&m.code)),
                    seq: m.seq.unwrap_or(k as i64 + 1),
                    code: m.code,
                });
            }
            levels.push(CubeLevel {
                level: DimLevel {
                    name: LocalizedText::nl(r.name.as_deref().unwrap_or(&r.code)),
                    seq: r.seq.unwrap_or(n as i64 + 1),
                    code: r.code,
                    dimension,
                },
                members,
            });
        }
        if levels.is_empty() {
            return Ok(Err("the source lists no dim levels of it".into()));
        }
        Ok(Ok((dimensions, levels)))
    }

    /// Every published cell of a cube through the selection table: per geo level and period
    /// level the variable has, one table per combination of at most one dim level of each
    /// dimension (none: the totals), all periods. The table names areas, not codes: a name
    /// that is unique in its level gives the code, an area whose name is not is asked for
    /// alone (`geoitem_codes`). `Err` with the reason when the cube cannot be read so.
    pub fn cube_values(
        &self,
        var: &str,
        levels: &[Level],
        cube: &[CubeLevel],
    ) -> Result<Result<Vec<Cell>, String>, PullError> {
        let v = key(var);
        // The combinations: per dimension, none or one of its levels.
        let mut dims: Vec<(&str, Vec<&str>)> = Vec::new();
        for l in cube {
            match dims.iter_mut().find(|(d, _)| *d == l.level.dimension) {
                Some((_, ls)) => ls.push(&l.level.code),
                None => dims.push((&l.level.dimension, vec![&l.level.code])),
            }
        }
        let mut combos: Vec<Vec<&str>> = vec![Vec::new()];
        for (_, ls) in &dims {
            let mut next = Vec::new();
            for c in &combos {
                next.push(c.clone());
                for l in ls {
                    let mut c = c.clone();
                    c.push(l);
                    next.push(c);
                }
            }
            combos = next;
            if combos.len() > MAX_COMBINATIONS {
                return Ok(Err(format!(
                    "more than {MAX_COMBINATIONS} combinations of dim levels"
                )));
            }
        }
        let members: HashMap<&str, BTreeSet<&str>> = cube
            .iter()
            .map(|l| {
                (
                    l.level.code.as_str(),
                    l.members.iter().map(|m| m.code.as_str()).collect(),
                )
            })
            .collect();
        let mut out = Vec::new();
        for gl in self.collection::<Named>(&format!("Variables('{v}')/GeoLevels"), false)? {
            let Some(level) = levels.iter().find(|l| l.level.code == gl.code) else {
                return Ok(Err(format!(
                    "geo level {} is not among the source's",
                    gl.code
                )));
            };
            let by_name = codes_by_name(level);
            let alone: Vec<&str> = by_name
                .values()
                .filter(|c| c.len() > 1)
                .flatten()
                .copied()
                .collect();
            if alone.len() > MAX_ALONE {
                return Ok(Err(format!(
                    "{} areas of level {} share their names with others; the selection table names areas, not codes",
                    alone.len(),
                    gl.code
                )));
            }
            let pls = self.collection::<Named>(
                &format!(
                    "Variables('{v}')/GeoLevels('{}')/PeriodLevels",
                    key(&gl.code)
                ),
                false,
            )?;
            for pl in pls {
                for combo in &combos {
                    let dimlevel = combo.join(",");
                    let mut params = vec![
                        ("var", var),
                        ("geolevel", gl.code.as_str()),
                        ("periodlevel", pl.code.as_str()),
                        ("period", "all"),
                    ];
                    if !combo.is_empty() {
                        params.push(("dimlevel", &dimlevel));
                    }
                    // The whole level, then each area whose name is not unique on its own.
                    let mut asks: Vec<Ask> = vec![(None, params.clone())];
                    for c in &alone {
                        let mut p = params.clone();
                        p.push(("geoitem_codes", c));
                        asks.push((Some(c), p));
                    }
                    for (only, p) in asks {
                        let (url, rows) = self.table(&p)?;
                        for r in rows {
                            let text = |i: usize| r.get(i).and_then(Json::as_str);
                            let (Some(name), Some(period), Some(value)) =
                                (text(0), text(1), text(2))
                            else {
                                return Err(bad(
                                    url,
                                    "a row without an area, a period and a value",
                                ));
                            };
                            let item = match only {
                                Some(c) => c,
                                None => match by_name.get(name).map(Vec::as_slice) {
                                    Some([c]) => c,
                                    Some(_) => continue,
                                    None => {
                                        return Err(bad(
                                            url,
                                            format!(
                                                "area '{}' is not one of level {}",
                                                shown(name),
                                                gl.code
                                            ),
                                        ));
                                    }
                                },
                            };
                            let mut key = Vec::with_capacity(combo.len());
                            for (k, l) in combo.iter().enumerate() {
                                let m = text(3 + k).unwrap_or("");
                                if m.is_empty() {
                                    continue;
                                }
                                if !members[l].contains(m) {
                                    return Err(bad(
                                        url,
                                        format!(
                                            "member '{}' is not one of dim level {l}",
                                            shown(m)
                                        ),
                                    ));
                                }
                                key.push((l.to_string(), m.to_string()));
                            }
                            let Some(value) =
                                cell_value(value).map_err(|why| bad(url.clone(), why))?
                            else {
                                continue;
                            };
                            let pe = Period::parse(period).map_err(|_| {
                                bad(
                                    url.clone(),
                                    format!("period '{}' is not valid", shown(period)),
                                )
                            })?;
                            out.push((
                                gl.code.clone(),
                                pe,
                                item.to_string(),
                                DimKey::new(key),
                                value,
                            ));
                        }
                    }
                }
            }
        }
        Ok(Ok(out))
    }

    /// One selection table's rows.
    fn table(&self, params: &[(&str, &str)]) -> Result<(String, Vec<Vec<Json>>), PullError> {
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        let path = format!("{TABLE}?{}", query.join("&"));
        let url = self.client.url(&path);
        let t: Table = self.client.json(&path, true)?;
        Ok((url, t.rows))
    }

    /// The rows' geo names of one selection table; `None` when the source says the table
    /// cannot be made (a 400: no aggregation path between the levels).
    fn table_names(&self, params: &[(&str, &str)]) -> Result<Option<Vec<String>>, PullError> {
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        let path = format!("{TABLE}?{}", query.join("&"));
        let url = self.client.url(&path);
        match self.client.json::<Table>(&path, true) {
            Ok(t) => {
                let mut names = Vec::with_capacity(t.rows.len());
                for r in t.rows {
                    match r.first().and_then(Json::as_str) {
                        Some(n) => names.push(n.to_string()),
                        None => return Err(bad(url, "a row without an area name")),
                    }
                }
                Ok(Some(names))
            }
            Err(PullError::Invalid { why, .. }) if why.contains("answered 400") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The hierarchy the selection table follows, as aggregation tables between the levels.
    ///
    /// The table names areas, not codes, so: (1) `geosplit` from every level to every other
    /// says which levels lead to which (a 400 where they do not); the direct steps are those
    /// not passing through a third level. (2) Per step child → parent, the parents are taken
    /// in groups that fit one address; each group's children are asked for once, and once per
    /// bit of a parent's position in the group with only the parents that have that bit: a
    /// child's parent is the position spelled by the bits of the answers it appears in, so a
    /// group of 128 parents costs 8 requests. That reads children by name, so it holds for
    /// names that are unique in their level; (3) a child whose name is not is asked for alone
    /// with `geocompare` (its parent's name; a parent name that is not unique either is
    /// settled by which candidate's children hold the child's name). What stays ambiguous is
    /// left out and said in `notes`.
    pub fn hierarchy(
        &self,
        levels: &[Level],
        var: &str,
        period: &str,
        notes: &mut Vec<String>,
    ) -> Result<Vec<LinkBatch>, PullError> {
        let n = levels.len();
        let mut reach = vec![vec![false; n]; n];
        for c in 0..n {
            for p in 0..n {
                if c == p {
                    continue;
                }
                let (cl, pl) = (&levels[c].level.code, &levels[p].level.code);
                reach[c][p] = self
                    .table_names(&[
                        ("var", var),
                        ("geolevel", pl),
                        ("geosplit", cl),
                        ("period", period),
                    ])?
                    .is_some_and(|rows| !rows.is_empty());
            }
        }
        let mut out = Vec::new();
        for c in 0..n {
            for p in 0..n {
                if !reach[c][p] || (0..n).any(|m| m != c && m != p && reach[c][m] && reach[m][p]) {
                    continue;
                }
                let links = self.step(&levels[c], &levels[p], var, period, notes)?;
                if !links.is_empty() {
                    out.push(LinkBatch {
                        child_level: levels[c].level.code.clone(),
                        parent_level: levels[p].level.code.clone(),
                        kind: EdgeKind::Aggregation,
                        links,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The (child, parent) codes of one step of the hierarchy (see [`Swing::hierarchy`]).
    fn step(
        &self,
        child: &Level,
        parent: &Level,
        var: &str,
        period: &str,
        notes: &mut Vec<String>,
    ) -> Result<Vec<(String, String)>, PullError> {
        let (cl, pl) = (child.level.code.as_str(), parent.level.code.as_str());
        let child_names = codes_by_name(child);
        let parent_names = codes_by_name(parent);
        let mut links: BTreeMap<String, String> = BTreeMap::new();
        // (2) Groups of parents, by bits.
        let mut groups: Vec<Vec<&str>> = vec![Vec::new()];
        let mut len = 0;
        for it in &parent.items {
            let l = encode(&it.code).len() + 3;
            if len + l > MAX_QUERY - 200 && !groups.last().is_some_and(Vec::is_empty) {
                groups.push(Vec::new());
                len = 0;
            }
            len += l;
            groups.last_mut().expect("a group").push(&it.code);
        }
        let names_under = |parents: &[&str]| -> Result<Vec<String>, PullError> {
            let list = parents.join(",");
            Ok(self
                .table_names(&[
                    ("var", var),
                    ("geolevel", pl),
                    ("geoitem", &list),
                    ("geosplit", cl),
                    ("period", period),
                ])?
                .unwrap_or_default())
        };
        for group in &groups {
            let all = names_under(group)?;
            let mut code_of: BTreeMap<&str, usize> = BTreeMap::new();
            for name in &all {
                if child_names.get(name.as_str()).is_some_and(|c| c.len() == 1) {
                    code_of.insert(name.as_str(), 0);
                }
            }
            if code_of.is_empty() {
                continue;
            }
            let bits = usize::BITS - (group.len().saturating_sub(1)).leading_zeros();
            for b in 0..bits {
                let part: Vec<&str> = group
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| (i >> b) & 1 == 1)
                    .map(|(_, c)| *c)
                    .collect();
                for name in names_under(&part)? {
                    if let Some(ix) = code_of.get_mut(name.as_str()) {
                        *ix |= 1 << b;
                    }
                }
            }
            for (name, ix) in code_of {
                let Some(p) = group.get(ix) else {
                    notes.push(format!(
                        "hierarchy {cl} → {pl}: the parent of '{name}' could not be read; left out"
                    ));
                    continue;
                };
                links.insert(child_names[name][0].to_string(), p.to_string());
            }
        }
        // (3) Children whose names are not unique, one by one.
        let mut ambiguous: Vec<&GeoItem> = child
            .items
            .iter()
            .filter(|it| child_names[it.name.as_str()].len() > 1)
            .collect();
        ambiguous.sort_by(|a, b| a.code.cmp(&b.code));
        for it in ambiguous {
            let rows = self
                .table_names(&[
                    ("var", var),
                    ("geolevel", cl),
                    ("geoitem", &it.code),
                    ("geocompare", pl),
                    ("period", period),
                ])?
                .unwrap_or_default();
            // The child's own row, then the parent that contains it (none: no parent).
            let Some(parent_name) = rows.get(1) else {
                continue;
            };
            let candidates = parent_names
                .get(parent_name.as_str())
                .cloned()
                .unwrap_or_default();
            let chosen: Vec<&str> = if candidates.len() <= 1 {
                candidates
            } else {
                let mut holding = Vec::new();
                for c in candidates {
                    if names_under(&[c])?.iter().any(|n| n == &it.name) {
                        holding.push(c);
                    }
                }
                holding
            };
            match chosen.as_slice() {
                [p] => {
                    links.insert(it.code.clone(), p.to_string());
                }
                _ => notes.push(format!(
                    "hierarchy {cl} → {pl}: the parent of {} ('{}') is not determined by the names the selection table gives; left out",
                    it.code, it.name
                )),
            }
        }
        Ok(links.into_iter().collect())
    }
}

/// A published value as Swing writes it (`ValueString`, a selection table's cell): a number
/// with `.` as decimal separator or a missing code's symbol; `None` where nothing is published.
fn cell_value(text: &str) -> Result<Option<Value>, String> {
    Ok(match text {
        "" => None,
        s => match MissingCode::from_symbol(s) {
            // Empty is no record: nothing to load.
            Some(MissingCode::Empty) => None,
            Some(c) => Some(Value::Missing(c)),
            None => match s.parse::<f64>() {
                Ok(n) if n.is_finite() => Some(Value::Number(n)),
                _ => {
                    return Err(format!(
                        "value '{}' is not a number or a missing code",
                        shown(s)
                    ));
                }
            },
        },
    })
}

/// A level's item codes by name.
fn codes_by_name(l: &Level) -> HashMap<&str, Vec<&str>> {
    let mut m: HashMap<&str, Vec<&str>> = HashMap::new();
    for it in &l.items {
        m.entry(it.name.as_str())
            .or_default()
            .push(it.code.as_str());
    }
    m
}

/// A code inside an OData key literal: quotes doubled, then percent-encoded as a path segment.
fn key(code: &str) -> String {
    encode(&code.replace('\'', "''"))
}

/// The indicator a variable describes, under `code` (the source's code with this site's
/// prefix). What the OData does not carry is left at Peil's defaults, and the indicator is not
/// aggregable over areas or periods: its values are taken as published on every level and
/// period, since the source's aggregation rules are not exposed.
pub(crate) fn indicator(var: &Variable, code: String) -> Result<Indicator, String> {
    let row = &var.row;
    let text = |f: &str| -> Result<String, String> {
        match row.get(f) {
            None | Some(Json::Null) => Ok(String::new()),
            Some(Json::String(s)) if s.len() <= 100_000 => Ok(s.clone()),
            _ => Err(format!("{f} is not text")),
        }
    };
    let data_type = match text("DataType")?.as_str() {
        "" => DataType::default(),
        s => DataType::parse(s).ok_or(format!("unknown DataType '{}'", shown(s)))?,
    };
    let period_type = match text("PeriodType")?.as_str() {
        "" => PeriodType::default(),
        s => PeriodType::parse(s).ok_or(format!("unknown PeriodType '{}'", shown(s)))?,
    };
    let status = match text("Status")?.as_str() {
        "" => Lifecycle::default(),
        s => Lifecycle::parse(s).ok_or(format!("unknown Status '{}'", shown(s)))?,
    };
    let decimals = match row.get("Decimals") {
        None | Some(Json::Null) => None,
        Some(d) => Some(
            d.as_u64()
                .filter(|&d| d <= 12)
                .ok_or("Decimals is not a small number")? as u8,
        ),
    };
    let name = text("Name")?;
    let description = text("Description")?;
    Ok(Indicator {
        code,
        name: LocalizedText::nl(if name.is_empty() { &var.code } else { &name }),
        description: if description.is_empty() {
            LocalizedText::default()
        } else {
            LocalizedText::nl(&description)
        },
        unit: text("Unit")?,
        source: text("DataSource")?,
        data_type,
        period_type,
        non_aggregable: true,
        non_aggregable_periods: true,
        decimals,
        status,
        visibility: Visibility::Public,
        ..Indicator::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_variable_becomes_an_indicator_that_is_not_aggregated() {
        let var = Variable {
            code: "v1101_t".into(),
            row: json!({"ExternalCode": "v1101_t", "Name": "Inwoners", "Unit": "inwoners",
                "DataSource": "Rijksregister", "DataType": "percentage", "PeriodType": "stock",
                "Decimals": 1, "Status": "active", "IsCube": false}),
        };
        let ind = indicator(&var, "dna_v1101_t".into()).unwrap();
        assert_eq!(ind.code, "dna_v1101_t");
        assert_eq!(ind.name.get("nl"), Some("Inwoners"));
        assert_eq!(
            (ind.unit.as_str(), ind.source.as_str()),
            ("inwoners", "Rijksregister")
        );
        assert_eq!(ind.decimals, Some(1));
        assert!(ind.non_aggregable && ind.non_aggregable_periods && ind.formula.is_none());
        for bad in [
            json!({"DataType": "many"}),
            json!({"Decimals": 99}),
            json!({"Name": 7}),
        ] {
            let v = Variable {
                code: "a".into(),
                row: bad.clone(),
            };
            assert!(indicator(&v, "a".into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_are_quoted_and_encoded() {
        assert_eq!(key("v1101_t"), "v1101_t");
        assert_eq!(key("o'neil wijk"), "o%27%27neil%20wijk");
    }
}
