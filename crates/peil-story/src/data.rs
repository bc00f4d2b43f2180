//! What stories and dashboards read: the published snapshot (public indicators only: a report
//! is a public document), the hierarchy, the theme tree and map layers.

use peil_compute::Snapshot;
use peil_core::{DimKey, Indicator, LocalizedText, MissingCode, Period, Theme, Value};
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

/// Map width in SVG units; simplification tolerances are in these units.
pub const MAP_WIDTH: f64 = 800.0;

/// How finely a map layer is drawn: the whole level, or a zoomed view (4× finer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Detail {
    Overview,
    Zoomed,
}

impl Detail {
    fn tolerance(self) -> f64 {
        match self {
            Detail::Overview => 0.6,
            Detail::Zoomed => 0.15,
        }
    }
}

/// Map layers by level position and detail (`None`: the level has no geometry).
type Layers = HashMap<(usize, Detail), Option<Arc<MapLayer>>>;

/// One publication as stories see it.
pub struct Data {
    pub snap: Arc<Snapshot>,
    pub themes: Vec<Theme>,
    /// Built on first use: the one home of map layers, for web pages, stories, dashboards and
    /// PDFs.
    layers: Mutex<Layers>,
}

impl Data {
    pub fn new(snap: Arc<Snapshot>, themes: Vec<Theme>) -> Data {
        Data {
            snap,
            themes,
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
            .periods(ind, level, &peil_core::Reader::anonymous())
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
        self.snap.value(
            ind,
            &a.level,
            p,
            &DimKey::default(),
            &a.code,
            &peil_core::Reader::anonymous(),
        )
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

    /// An area's level and item positions (`None` when it does not exist).
    fn position(&self, a: &Area) -> Option<(u16, u32)> {
        let l = self.level_index(&a.level)?;
        Some((l as u16, *self.snap.levels[l].pos.get(&a.code)?))
    }

    fn area_at(&self, level: u16, pos: u32) -> Area {
        let l = &self.snap.levels[level as usize];
        Area::new(&l.level.code, &l.items[pos as usize].1.code)
    }

    /// An area's ancestors, nearest first ([`peil_compute::hierarchy::Hierarchy::ancestors`]).
    pub fn ancestors(&self, a: &Area) -> Vec<Area> {
        let Some((l, p)) = self.position(a) else {
            return Vec::new();
        };
        self.snap
            .hierarchy()
            .ancestors(l, p)
            .iter()
            .map(|x| self.area_at(x.level, x.pos))
            .collect()
    }

    /// The ancestor of an area on a level.
    pub fn ancestor_on(&self, a: &Area, level: &str) -> Option<Area> {
        let (l, p) = self.position(a)?;
        let on = self.level_index(level)? as u16;
        let pos = self.snap.hierarchy().ancestor_on(l, p, on)?;
        Some(self.area_at(on, pos))
    }

    /// Areas of a level sharing the nearest parent (itself included; the whole level when
    /// it has no parent). Unknown-location items are left out.
    pub fn siblings(&self, a: &Area) -> Vec<Area> {
        let Some((l, p)) = self.position(a) else {
            return Vec::new();
        };
        self.snap
            .hierarchy()
            .siblings(l, p)
            .into_iter()
            .map(|s| self.area_at(l, s))
            .collect()
    }

    /// The areas directly below one (on the coarsest level that names it as a parent), by
    /// name.
    pub fn children(&self, a: &Area) -> Vec<Area> {
        let Some((l, p)) = self.position(a) else {
            return Vec::new();
        };
        let Some((cl, kids)) = self.snap.hierarchy().children(l, p) else {
            return Vec::new();
        };
        let mut kids: Vec<Area> = kids.into_iter().map(|k| self.area_at(cl, k)).collect();
        kids.sort_by_key(|k| self.area_name(k).unwrap_or_default());
        kids
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

    /// The map layer of a level as stories draw it (the overview).
    pub fn layer(&self, level: &str) -> Option<Arc<MapLayer>> {
        self.layer_at(self.level_index(level)?, Detail::Overview)
    }
    /// The layer of a level when it has been built already (`Some(None)`: the level has no
    /// geometry); `None` when [`Data::layer_at`] still has to build it.
    pub fn built_layer(&self, li: usize, detail: Detail) -> Option<Option<Arc<MapLayer>>> {
        self.layers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(li, detail))
            .cloned()
    }

    /// The map layer of a level position: the publication's geometry projected to
    /// [`MAP_WIDTH`] and simplified for `detail`, once per publication (`None` when the level
    /// has no geometry).
    pub fn layer_at(&self, li: usize, detail: Detail) -> Option<Arc<MapLayer>> {
        if let Some(l) = self.built_layer(li, detail) {
            return l;
        }
        let lvl = self.snap.levels.get(li)?;
        let built = self.snap.geometry.get(&lvl.level.code).and_then(|shapes| {
            // Every item of the level, in level order (no geometry: skipped by the layer), so
            // a shape's `item` is its area's position in the level and pages read values by
            // it.
            let items: Vec<(&str, &str, &str)> = lvl
                .items
                .iter()
                .map(|(_, it)| {
                    let web = shapes.get(&it.code).map_or("", |(web, _)| &**web);
                    (it.code.as_str(), it.name.as_str(), web)
                })
                .collect();
            let (layer, _) = MapLayer::from_geojson(items, MAP_WIDTH, detail.tolerance());
            (!layer.shapes.is_empty()).then(|| Arc::new(layer))
        });
        self.layers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((li, detail), built.clone());
        built
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
