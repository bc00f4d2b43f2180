//! What stories and dashboards read: the published snapshot (public indicators only: a report
//! is a public document), the hierarchy, the theme tree and map layers.

use peil_compute::Snapshot;
use peil_core::{DimKey, EdgeKind, Indicator, LocalizedText, MissingCode, Period, Theme, Value};
use peil_render::{Locale, MapLayer, NumberFormat};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// An area: a level code and an item code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Area {
    pub level: String,
    pub code: String,
}

impl Area {
    pub fn new(level: &str, code: &str) -> Area {
        Area {
            level: level.to_string(),
            code: code.to_string(),
        }
    }

    /// `level:code`, as URLs and templates write it.
    pub fn parse(s: &str) -> Option<Area> {
        let (l, c) = s.split_once(':')?;
        (!l.is_empty() && !c.is_empty()).then(|| Area::new(l, c))
    }

    pub fn key(&self) -> String {
        format!("{}:{}", self.level, self.code)
    }
}

/// One publication as stories see it.
pub struct Data {
    pub snap: Arc<Snapshot>,
    pub themes: Vec<Theme>,
    /// Level → item → its direct parents (level, item), from aggregation edges only.
    pub parents: HashMap<String, HashMap<String, Vec<(String, String)>>>,
    layers: Mutex<HashMap<usize, Arc<MapLayer>>>,
}

impl Data {
    pub fn new(snap: Arc<Snapshot>, themes: Vec<Theme>) -> Data {
        let mut parents: HashMap<String, HashMap<String, Vec<(String, String)>>> = HashMap::new();
        let mut edges: Vec<&(String, String)> = snap
            .links
            .keys()
            .filter(|(c, p)| EdgeKind::between(c, p) == EdgeKind::Aggregation)
            .collect();
        edges.sort();
        for e in edges {
            for (c, p) in &snap.links[e] {
                parents
                    .entry(e.0.clone())
                    .or_default()
                    .entry(c.clone())
                    .or_default()
                    .push((e.1.clone(), p.clone()));
            }
        }
        Data {
            snap,
            themes,
            parents,
            layers: Mutex::new(HashMap::new()),
        }
    }

    /// A public indicator by code (restricted and unknown ones do not exist here).
    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.snap
            .indicator(code)
            .filter(|_| self.snap.is_public(code))
    }

    pub fn level_index(&self, level: &str) -> Option<usize> {
        self.snap.level_index.get(level).copied()
    }

    /// The name of an area, if it exists.
    pub fn area_name(&self, a: &Area) -> Option<String> {
        let l = &self.snap.levels[self.level_index(&a.level)?];
        l.pos
            .get(&a.code)
            .map(|p| l.items[*p as usize].1.name.clone())
    }

    pub fn level_name(&self, level: &str) -> String {
        self.level_index(level)
            .map(|l| self.snap.levels[l].level.name.clone())
            .unwrap_or_else(|| level.to_string())
    }

    pub fn exists(&self, a: &Area) -> bool {
        self.area_name(a).is_some()
    }

    /// Periods with a total series of an indicator on a level, oldest first.
    pub fn periods(&self, ind: &str, level: &str) -> Vec<Period> {
        let mut v: Vec<Period> = self
            .snap
            .periods(ind, level)
            .into_iter()
            .filter(|(_, d)| d.is_empty())
            .map(|(p, _)| p)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        v.sort_by_key(|p| (p.level, p.ordinal()));
        v
    }

    /// The latest period of the coarsest period level (years before quarters).
    pub fn latest(&self, ind: &str, level: &str) -> Option<Period> {
        let ps = self.periods(ind, level);
        let coarsest = ps.iter().map(|p| p.level).max()?;
        ps.into_iter()
            .filter(|p| p.level == coarsest)
            .max_by_key(|p| p.ordinal())
    }

    /// A published value (`None` when there is no such series or area).
    pub fn value(&self, ind: &str, a: &Area, p: Period) -> Option<Value> {
        self.indicator(ind)?;
        self.snap
            .value(ind, &a.level, p, &DimKey::default(), &a.code)
    }

    /// A public survey indicator's interval and verdict (none for a missing or hidden value,
    /// or where the sample size is not public: stories are public documents).
    pub fn survey(&self, ind: &str, a: &Area, p: Period) -> Option<peil_compute::survey::Cell> {
        self.snap
            .survey_cell(ind, &a.level, p, &a.code, &peil_core::Reader::anonymous())
    }

    /// The value in the latest period, with that period.
    pub fn latest_value(&self, ind: &str, a: &Area) -> Option<(Period, Value)> {
        let p = self.latest(ind, &a.level)?;
        Some((p, self.value(ind, a, p)?))
    }

    /// An area's ancestors, nearest first.
    pub fn ancestors(&self, a: &Area) -> Vec<Area> {
        let mut out: Vec<(Area, usize)> = Vec::new();
        let mut seen: BTreeSet<String> = [a.level.clone()].into();
        let mut frontier = vec![a.clone()];
        let mut depth = 0;
        while !frontier.is_empty() && depth < 32 {
            depth += 1;
            let mut next = Vec::new();
            for f in &frontier {
                for (pl, pc) in self
                    .parents
                    .get(&f.level)
                    .and_then(|m| m.get(&f.code))
                    .into_iter()
                    .flatten()
                {
                    if self.level_index(pl).is_some() && seen.insert(pl.clone()) {
                        let p = Area::new(pl, pc);
                        out.push((p.clone(), depth));
                        next.push(p);
                    }
                }
            }
            frontier = next;
        }
        let size = |a: &Area| {
            self.level_index(&a.level)
                .map(|l| self.snap.levels[l].items.len())
                .unwrap_or(0)
        };
        out.sort_by_key(|(a, d)| (*d, std::cmp::Reverse(size(a))));
        out.into_iter().map(|(a, _)| a).collect()
    }

    /// The ancestor of an area on a level.
    pub fn ancestor_on(&self, a: &Area, level: &str) -> Option<Area> {
        self.ancestors(a).into_iter().find(|x| x.level == level)
    }

    /// Areas of a level sharing the nearest parent (itself included; the whole level when
    /// it has no parent). Unknown-location items are left out.
    pub fn siblings(&self, a: &Area) -> Vec<Area> {
        let Some(li) = self.level_index(&a.level) else {
            return Vec::new();
        };
        let parent = self.ancestors(a).into_iter().next();
        let parents = self.parents.get(&a.level);
        self.snap.levels[li]
            .items
            .iter()
            .filter(|(_, it)| !it.unknown_location)
            .filter(|(_, it)| match &parent {
                None => true,
                Some(p) => parents
                    .and_then(|m| m.get(&it.code))
                    .is_some_and(|v| v.iter().any(|(pl, pc)| *pl == p.level && *pc == p.code)),
            })
            .map(|(_, it)| Area::new(&a.level, &it.code))
            .collect()
    }

    /// The areas directly below one (on the coarsest level that names it as a parent).
    pub fn children(&self, a: &Area) -> Vec<Area> {
        let mut best: Option<Vec<Area>> = None;
        for (child_level, m) in &self.parents {
            let kids: Vec<Area> = m
                .iter()
                .filter(|(_, ps)| ps.iter().any(|(pl, pc)| *pl == a.level && *pc == a.code))
                .map(|(c, _)| Area::new(child_level, c))
                .filter(|k| !self.is_unknown_location(k))
                .collect();
            if !kids.is_empty() && best.as_ref().is_none_or(|b| kids.len() < b.len()) {
                best = Some(kids);
            }
        }
        let mut kids = best.unwrap_or_default();
        kids.sort_by_key(|k| self.area_name(k).unwrap_or_default());
        kids
    }

    fn is_unknown_location(&self, a: &Area) -> bool {
        self.level_index(&a.level).is_some_and(|l| {
            let lv = &self.snap.levels[l];
            lv.pos
                .get(&a.code)
                .is_some_and(|p| lv.items[*p as usize].1.unknown_location)
        })
    }

    /// Every area of a level (without unknown-location items), in the level's order.
    pub fn areas(&self, level: &str) -> Vec<Area> {
        let Some(li) = self.level_index(level) else {
            return Vec::new();
        };
        self.snap.levels[li]
            .items
            .iter()
            .filter(|(_, it)| !it.unknown_location)
            .map(|(_, it)| Area::new(level, &it.code))
            .collect()
    }

    /// The map layer of a level (projected and simplified once).
    pub fn layer(&self, level: &str) -> Option<Arc<MapLayer>> {
        let li = self.level_index(level)?;
        if let Some(l) = self.layers.lock().ok()?.get(&li) {
            return Some(l.clone());
        }
        let shapes = self.snap.geometry.get(level)?;
        let items: Vec<(&str, &str, &str)> = self.snap.levels[li]
            .items
            .iter()
            .filter_map(|(_, it)| {
                shapes
                    .get(&it.code)
                    .map(|(web, _)| (it.code.as_str(), it.name.as_str(), &**web))
            })
            .collect();
        let (layer, _) = MapLayer::from_geojson(items, 800.0, 0.6);
        if layer.shapes.is_empty() {
            return None;
        }
        let layer = Arc::new(layer);
        if let Ok(mut m) = self.layers.lock() {
            m.insert(li, layer.clone());
        }
        Some(layer)
    }

    /// Public indicators whose name (in any language) contains one of the words (folded),
    /// with data on a level; in listing order.
    pub fn find(&self, words: &[String], level: &str) -> Vec<String> {
        let words: Vec<String> = words.iter().map(|w| fold(w)).collect();
        let mut v: Vec<&Indicator> = self
            .snap
            .indicators
            .iter()
            .filter(|i| self.snap.is_public(&i.code) && i.dim_levels.is_empty())
            .filter(|i| {
                let name = fold(&i.name.0.values().cloned().collect::<Vec<_>>().join(" "));
                words.iter().any(|w| name.contains(w.as_str()))
            })
            .filter(|i| !self.periods(&i.code, level).is_empty())
            .collect();
        v.sort_by(|a, b| {
            (a.seq.unwrap_or(i64::MAX), &a.code).cmp(&(b.seq.unwrap_or(i64::MAX), &b.code))
        });
        v.into_iter().map(|i| i.code.clone()).collect()
    }
}

/// Decimals and unit of an indicator for display.
pub fn format_of(ind: &Indicator, locale: Locale) -> NumberFormat {
    use peil_core::DataType;
    let decimals = ind.decimals.unwrap_or(match ind.data_type {
        DataType::Numeric | DataType::ObjectCount => 0,
        _ => 1,
    });
    NumberFormat::new(decimals, &ind.unit, locale)
}

/// A text in `lang`, else Dutch, else any.
pub fn text(t: &LocalizedText, lang: &str) -> String {
    t.get(lang)
        .or_else(|| t.get("nl"))
        .or_else(|| t.0.values().next().map(String::as_str))
        .unwrap_or("")
        .to_string()
}

/// A period's label in a language ([`Period::label`]).
pub fn period_name(p: Period, lang: &str) -> String {
    p.label(Locale::parse(lang).unwrap_or(Locale::Nl))
}

/// A period's short label in a language, for chart axes ([`Period::short_label`]).
pub fn period_short_name(p: Period, lang: &str) -> String {
    p.short_label(Locale::parse(lang).unwrap_or(Locale::Nl))
}

/// Lower case without accents, for matching names: the one search rule,
/// [`peil_core::text::fold`].
pub use peil_core::text::fold;

/// A missing value's symbol, or `None` for numbers.
pub fn symbol(v: Value) -> Option<&'static str> {
    match v {
        Value::Missing(MissingCode::Empty) => Some("-"),
        Value::Missing(c) => Some(c.symbol()),
        Value::Number(_) => None,
    }
}
