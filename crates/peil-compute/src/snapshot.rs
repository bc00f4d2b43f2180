//! The published snapshot: an immutable, in-memory copy of every value readers may see, with
//! privacy rules applied. Hidden cells hold the code `x`, never their raw value, so no
//! endpoint built on a snapshot can leak them.

use crate::engine::{Computed, Key};
use crate::privacy;
use crate::slot::Slot;
use peil_core::*;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PublishStats {
    pub indicators: usize,
    pub series: usize,
    pub values: usize,
    /// Cells hidden by thresholds (primary) and to protect them (secondary), and by formulas on them.
    pub suppressed: usize,
    pub restricted_indicators: usize,
}

pub struct SnapshotLevel {
    pub level: GeoLevel,
    pub items: Vec<(u32, GeoItem)>,
    pub pos: HashMap<String, u32>,
}

pub struct Snapshot {
    pub generation: u64,
    pub levels: Vec<SnapshotLevel>,
    pub level_index: HashMap<String, usize>,
    pub indicators: Vec<Indicator>,
    pub index: HashMap<String, u32>,
    pub dims: Vec<DimKey>,
    pub keys: HashMap<(u32, u16), BTreeSet<(Period, u32)>>,
    tables: HashMap<Key, Vec<Slot>>,
    pub stats: PublishStats,
}

impl Snapshot {
    /// Applies privacy rules to computed values.
    pub fn from_computed(c: Computed, w: &Warehouse, generation: u64, secondary: bool) -> Snapshot {
        let masks = privacy::masks(&c, secondary);
        let mut stats = PublishStats {
            indicators: c.indicators.len(),
            ..Default::default()
        };
        let mut tables = HashMap::with_capacity(c.values.len());
        for (key, mut v) in c.values {
            let ind = &c.indicators[key.0 as usize];
            if let Some(m) = masks.get(&key) {
                for (s, h) in v.iter_mut().zip(m) {
                    if *h && s.number().is_some() {
                        *s = Slot::HIDDEN;
                        stats.suppressed += 1;
                    }
                }
            }
            if let Some(base) = ind.rounding.filter(|b| *b > 0.0) {
                for s in v.iter_mut() {
                    if let Some(x) = s.number() {
                        *s = Slot::num(privacy::round_to(x, base));
                    }
                }
            }
            stats.series += 1;
            stats.values += v.iter().filter(|s| !s.is_none()).count();
            tables.insert(key, v);
        }
        stats.restricted_indicators = c
            .indicators
            .iter()
            .filter(|i| matches!(i.visibility, Visibility::Restricted(_)))
            .count();
        let levels = w
            .levels
            .iter()
            .map(|l| SnapshotLevel {
                level: l.level.clone(),
                pos: l
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, (_, it))| (it.code.clone(), i as u32))
                    .collect(),
                items: l.items.clone(),
            })
            .collect::<Vec<_>>();
        let level_index = levels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.level.code.clone(), i))
            .collect();
        Snapshot {
            generation,
            levels,
            level_index,
            indicators: c.indicators,
            index: c.index,
            dims: c.dims,
            keys: c.keys,
            tables,
            stats,
        }
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.index.get(code).map(|&i| &self.indicators[i as usize])
    }

    /// Restricted indicators stay in the snapshot, marked, for the web layer to filter.
    pub fn is_restricted(&self, code: &str) -> bool {
        self.indicator(code)
            .is_some_and(|i| matches!(i.visibility, Visibility::Restricted(_)))
    }

    fn key(&self, ind: &str, level: &str, period: Period, dims: &DimKey) -> Option<Key> {
        let i = *self.index.get(ind)?;
        let l = *self.level_index.get(level)? as u16;
        let d = self.dims.iter().position(|k| k == dims)? as u32;
        Some((i, l, period, d))
    }

    /// One published value (`None` when the snapshot has no such series or item).
    pub fn value(
        &self,
        ind: &str,
        level: &str,
        period: Period,
        dims: &DimKey,
        item: &str,
    ) -> Option<Value> {
        let key = self.key(ind, level, period, dims)?;
        let pos = *self.levels[key.1 as usize].pos.get(item)?;
        self.tables.get(&key).map(|v| v[pos as usize].to_value())
    }

    /// A whole published series: items of the level in order with their values.
    pub fn series(
        &self,
        ind: &str,
        level: &str,
        period: Period,
        dims: &DimKey,
    ) -> Option<Vec<(&GeoItem, Value)>> {
        let key = self.key(ind, level, period, dims)?;
        let v = self.tables.get(&key)?;
        Some(
            self.levels[key.1 as usize]
                .items
                .iter()
                .zip(v)
                .map(|((_, it), s)| (it, s.to_value()))
                .collect(),
        )
    }

    /// The (period, cube cell) keys of an indicator on a level.
    pub fn periods(&self, ind: &str, level: &str) -> Vec<(Period, &DimKey)> {
        let (Some(&i), Some(&l)) = (self.index.get(ind), self.level_index.get(level)) else {
            return Vec::new();
        };
        self.keys
            .get(&(i, l as u16))
            .map(|k| {
                k.iter()
                    .map(|(p, d)| (*p, &self.dims[*d as usize]))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every published series with store item ids, for persisting the live copy.
    pub fn all_series(&self) -> impl Iterator<Item = (SeriesKey, Vec<(u32, Value)>)> + '_ {
        self.tables.iter().map(|(k, v)| {
            let level = &self.levels[k.1 as usize];
            let values = level
                .items
                .iter()
                .zip(v)
                .filter(|(_, s)| !s.is_none())
                .map(|((id, _), s)| (*id, s.to_value()))
                .collect();
            (
                SeriesKey {
                    indicator: self.indicators[k.0 as usize].code.clone(),
                    level: level.level.code.clone(),
                    period: k.2,
                    dims: self.dims[k.3 as usize].clone(),
                },
                values,
            )
        })
    }
}
