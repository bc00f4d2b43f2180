//! The published snapshot: an immutable, in-memory copy of every value readers may see, with
//! privacy rules applied. Hidden cells hold the code `x`, never their raw value, so no
//! endpoint built on a snapshot can leak them.

use crate::engine::{Computed, Key};
use crate::file::{self, Column};
use crate::privacy;
use crate::slot::Slot;
use peil_core::*;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Why a store's live copy could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] peil_store::StoreError),
    #[error("the site has not been published yet: run `peil publish` first")]
    NotPublished,
    /// The snapshot file could not be written or read (the directory, the disk).
    #[error("snapshot file in {dir}: {source}")]
    File {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PublishStats {
    pub indicators: usize,
    pub series: usize,
    pub values: usize,
    /// Cells hidden by thresholds (primary) and to protect them (secondary), and by formulas on them.
    pub suppressed: usize,
    pub restricted_indicators: usize,
}

/// A level's geometry by item code: the (web, full) GeoJSON geometry objects.
pub type LevelGeometry = HashMap<String, (std::sync::Arc<str>, std::sync::Arc<str>)>;

pub struct SnapshotLevel {
    pub level: GeoLevel,
    pub items: Vec<(u32, GeoItem)>,
    pub pos: HashMap<String, u32>,
}

/// How many positions the series orders of one publication may hold in all (4 bytes each:
/// 32 MB), so that views over every series of a large site cannot grow the memory without
/// bound; a view of a series beyond it sorts its own copy.
pub const ORDERS_MAX: usize = 8 << 20;

/// A series' areas in page order ([`Snapshot::order`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeriesOrder {
    /// Positions of the areas with a number: highest value first (in `f64::total_cmp`
    /// order), equal values by name rank, then by position.
    pub numbered: Vec<u32>,
    /// Positions of the areas without a number, by name rank, then by position.
    pub others: Vec<u32>,
}

impl SeriesOrder {
    /// Sorts a series given its level's name ranks (one integer key per area: the
    /// value's order reversed, the name rank, the position).
    fn sort(slots: &[Slot], ranks: &[u32]) -> SeriesOrder {
        let mut keyed: Vec<u128> = Vec::with_capacity(slots.len());
        let mut others: Vec<u64> = Vec::new();
        for (k, s) in slots.iter().enumerate() {
            let by_name = (u64::from(ranks.get(k).copied().unwrap_or(u32::MAX)) << 32) | k as u64;
            match s.number() {
                Some(x) => {
                    keyed.push((u128::from(!total_order_key(x)) << 64) | u128::from(by_name))
                }
                None => others.push(by_name),
            }
        }
        keyed.sort_unstable();
        others.sort_unstable();
        SeriesOrder {
            numbered: keyed.into_iter().map(|key| key as u32).collect(),
            others: others.into_iter().map(|key| key as u32).collect(),
        }
    }
}

/// A key whose integer order is [`f64::total_cmp`]'s order of the numbers.
fn total_order_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The series orders sorted so far in a publication, and how many positions they hold.
#[derive(Default)]
struct Orders(std::sync::RwLock<(HashMap<Key, Arc<SeriesOrder>>, usize)>);

impl Orders {
    fn get(&self, key: &Key) -> Option<Arc<SeriesOrder>> {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        map.0.get(key).cloned()
    }

    fn keep(&self, key: Key, order: &Arc<SeriesOrder>) {
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        let size = order.numbered.len() + order.others.len();
        if map.1 + size <= ORDERS_MAX && !map.0.contains_key(&key) {
            map.0.insert(key, order.clone());
            map.1 += size;
        }
    }

    fn forget(&mut self, key: &Key) {
        let map = self.0.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(o) = map.0.remove(key) {
            map.1 -= o.numbered.len() + o.others.len();
        }
    }
}

pub struct Snapshot {
    pub generation: u64,
    pub levels: Vec<SnapshotLevel>,
    pub level_index: HashMap<String, usize>,
    pub indicators: Vec<Indicator>,
    pub index: HashMap<String, u32>,
    pub dims: Vec<DimKey>,
    /// The (period, cube cell) keys per (indicator, level): readers go through
    /// [`Snapshot::keys_of`], which leaves out what they are not granted.
    pub(crate) keys: HashMap<(u32, u16), BTreeSet<(Period, u32)>>,
    /// The published series: computed, or columns of a mapped snapshot file (`file.rs`).
    tables: HashMap<Key, Column>,
    /// Privacy masks of the publication (kept for incremental refreshes).
    masks: privacy::Masks,
    /// The hierarchy: (child level, parent level) → child code → parent code.
    pub links: HashMap<(String, String), HashMap<String, String>>,
    /// Geometry per level.
    pub geometry: HashMap<String, LevelGeometry>,
    pub stats: PublishStats,
    /// Survey intervals and verdicts, built on first use from the published values and the
    /// hierarchy (`links` must be set before; [`Snapshot::survey`]).
    survey: std::sync::OnceLock<crate::survey::Tables>,
    /// The area hierarchy by position, built on first use from `links` (which must be set
    /// before; [`Snapshot::hierarchy`]).
    hierarchy: std::sync::OnceLock<crate::hierarchy::Hierarchy>,
    /// Per level, per item: its place in the level's order by name (then position), built
    /// on first use ([`Snapshot::name_ranks`]).
    name_ranks: std::sync::OnceLock<Vec<Vec<u32>>>,
    /// Per series, its areas in the order pages show them ([`Snapshot::order`]), built on a
    /// series' first view and dropped when the series changes.
    orders: Orders,
    /// The access groups, compiled for this publication ([`Snapshot::grants`]).
    pub(crate) access: crate::access::Access,
    /// The store's access-group revision the groups were compiled at (see
    /// `Store::access_revision`); a server reloads when the store's differs.
    pub access_revision: u64,
    /// The period level names readers see (the site's, else Peil's own): as published for
    /// the live copy, as the test copy has them for a computed snapshot.
    pub period_level_names: PeriodLevelNames,
}

impl Snapshot {
    /// Applies privacy rules to computed values (consuming them: no second copy in memory).
    pub fn from_computed(
        mut c: Computed,
        w: &Warehouse,
        generation: u64,
        secondary: bool,
    ) -> Snapshot {
        let masks = privacy::masks(&c, secondary);
        let values = std::mem::take(&mut c.values);
        let mut snap = Snapshot::empty(&c, w, generation);
        for (key, v) in values {
            snap.put(key, v, masks.get(&key));
        }
        snap.masks = masks;
        snap.finish_stats();
        snap.set_access_groups(&[], &[]);
        snap
    }

    /// Brings the snapshot up to date after [`Computed::recompute`]: only the tables of the
    /// recomputed indicators are rebuilt.
    pub fn refresh(&mut self, c: &Computed, dirty: &[u32], generation: u64, secondary: bool) {
        // Indicators linked by sum relations are suppressed together: a change in one may
        // hide cells of the others, of those that take their masks and of the formulas
        // reading them.
        let dirty = if secondary {
            c.dependants(&privacy::mask_readers(c, &c.linked().closure(dirty)))
        } else {
            dirty.to_vec()
        };
        let only: std::collections::HashSet<u32> = dirty.iter().copied().collect();
        self.masks = privacy::masks_of(c, secondary, Some(&only), std::mem::take(&mut self.masks));
        self.tables.retain(|k, _| !only.contains(&k.0));
        self.orders = Orders::default();
        for (key, v) in c.values.iter().filter(|(k, _)| only.contains(&k.0)) {
            let m = self.masks.get(key).cloned();
            self.put(*key, v.clone(), m.as_ref());
        }
        self.keys = c.keys.clone();
        self.dims = c.dims.clone();
        self.generation = generation;
        self.survey = std::sync::OnceLock::new();
        self.finish_stats();
    }

    fn empty(c: &Computed, w: &Warehouse, generation: u64) -> Snapshot {
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
            indicators: c.indicators.clone(),
            index: c.index.clone(),
            dims: c.dims.clone(),
            keys: c.keys.clone(),
            tables: HashMap::with_capacity(c.values.len()),
            masks: HashMap::new(),
            links: HashMap::new(),
            geometry: HashMap::new(),
            stats: PublishStats::default(),
            survey: std::sync::OnceLock::new(),
            hierarchy: std::sync::OnceLock::new(),
            name_ranks: std::sync::OnceLock::new(),
            orders: Orders::default(),
            access: Default::default(),
            access_revision: 0,
            period_level_names: PeriodLevelNames::default(),
        }
    }

    /// Stores one published table: hidden cells lose their value, rounding applies.
    fn put(&mut self, key: Key, mut v: Vec<Slot>, mask: Option<&Vec<bool>>) {
        let ind = &self.indicators[key.0 as usize];
        if let Some(m) = mask {
            for (s, h) in v.iter_mut().zip(m) {
                if *h && s.number().is_some() {
                    *s = Slot::HIDDEN;
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
        self.orders.forget(&key);
        self.tables.insert(key, Column::Owned(v));
    }

    fn finish_stats(&mut self) {
        let mut stats = PublishStats {
            indicators: self.indicators.len(),
            series: self.tables.len(),
            ..Default::default()
        };
        for (key, v) in &self.tables {
            stats.values += v.iter().filter(|s| !s.is_none()).count();
            if let Some(m) = self.masks.get(key) {
                stats.suppressed += v
                    .iter()
                    .zip(m)
                    .filter(|(s, h)| **h && s.same(Slot::HIDDEN))
                    .count();
            }
        }
        stats.restricted_indicators = self.restricted_indicators();
        self.stats = stats;
    }

    /// Rebuilds a snapshot from the live copy a store holds (what a server loads at start).
    pub fn from_live(
        generation: u64,
        indicators: Vec<Indicator>,
        levels: Vec<WarehouseLevel>,
        series: Vec<(SeriesKey, Vec<Value>)>,
    ) -> Snapshot {
        let mut snap = Snapshot::from_columns(
            generation,
            indicators,
            levels,
            series.into_iter().map(|(key, values)| {
                (
                    key,
                    Column::Owned(values.into_iter().map(Slot::from_value).collect()),
                )
            }),
        );
        snap.finish_stats();
        // Hidden cells carry no mask after a reload; count them from their code.
        snap.stats.suppressed = snap
            .tables
            .values()
            .flat_map(|v| v.iter())
            .filter(|s| s.same(Slot::HIDDEN))
            .count();
        snap
    }

    /// Rebuilds a snapshot from a publication's metadata and its values in a mapped snapshot
    /// file (`file.rs`): nothing of the values is read here; the counts are the file's.
    fn from_file(
        live: peil_store::Live,
        file: file::Mapped,
        entries: Vec<file::Entry>,
    ) -> Snapshot {
        let file = Arc::new(file);
        let columns = entries.into_iter().map(|e| {
            let column = Column::Mapped {
                file: Arc::clone(&file),
                start: e.start,
                len: e.len,
            };
            (e.key, column)
        });
        let mut snap =
            Snapshot::from_columns(live.generation, live.indicators, live.levels, columns);
        snap.period_level_names = live.period_level_names;
        snap.stats = PublishStats {
            indicators: snap.indicators.len(),
            series: snap.tables.len(),
            values: file.values as usize,
            suppressed: file.hidden as usize,
            restricted_indicators: snap.restricted_indicators(),
        };
        snap
    }

    fn restricted_indicators(&self) -> usize {
        self.indicators
            .iter()
            .filter(|i| matches!(i.visibility, Visibility::Restricted(_)))
            .count()
    }

    /// A snapshot of a publication's series, its statistics left to the caller.
    fn from_columns(
        generation: u64,
        indicators: Vec<Indicator>,
        levels: Vec<WarehouseLevel>,
        series: impl Iterator<Item = (SeriesKey, Column)>,
    ) -> Snapshot {
        let index: HashMap<String, u32> = indicators
            .iter()
            .enumerate()
            .map(|(i, ind)| (ind.code.clone(), i as u32))
            .collect();
        let levels: Vec<SnapshotLevel> = levels
            .into_iter()
            .map(|l| SnapshotLevel {
                level: l.level,
                pos: l
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, (_, it))| (it.code.clone(), i as u32))
                    .collect(),
                items: l.items,
            })
            .collect();
        let level_index: HashMap<String, usize> = levels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.level.code.clone(), i))
            .collect();
        let mut snap = Snapshot {
            generation,
            levels,
            level_index,
            indicators,
            index,
            dims: vec![DimKey::default()],
            keys: HashMap::new(),
            tables: HashMap::with_capacity(series.size_hint().0),
            masks: HashMap::new(),
            links: HashMap::new(),
            geometry: HashMap::new(),
            stats: PublishStats::default(),
            survey: std::sync::OnceLock::new(),
            hierarchy: std::sync::OnceLock::new(),
            name_ranks: std::sync::OnceLock::new(),
            orders: Orders::default(),
            access: Default::default(),
            access_revision: 0,
            period_level_names: PeriodLevelNames::default(),
        };
        let mut dim_index: HashMap<DimKey, u32> = HashMap::from([(DimKey::default(), 0)]);
        for (key, values) in series {
            let (Some(&i), Some(&l)) = (
                snap.index.get(&key.indicator),
                snap.level_index.get(&key.level),
            ) else {
                continue;
            };
            if values.len() != snap.levels[l].items.len() {
                continue;
            }
            let d = *dim_index.entry(key.dims.clone()).or_insert_with(|| {
                snap.dims.push(key.dims.clone());
                snap.dims.len() as u32 - 1
            });
            snap.keys
                .entry((i, l as u16))
                .or_default()
                .insert((key.period, d));
            snap.tables.insert((i, l as u16, key.period, d), values);
        }
        snap.set_access_groups(&[], &[]);
        snap
    }

    /// What a server answers from before a site's first publication (generation 0): no
    /// indicators, no areas — so that the back office can set a new site up in the browser.
    pub fn unpublished() -> Snapshot {
        Snapshot::from_live(0, Vec::new(), Vec::new(), Vec::new())
    }

    /// Loads the live copy a store holds into a snapshot, with what every reader of a
    /// publication needs: geometry, the hierarchy's links, and the survey tables.
    pub fn load(store: &peil_store::Store) -> Result<Snapshot, LoadError> {
        let live = store.live()?.ok_or(LoadError::NotPublished)?;
        let mut snap =
            Snapshot::from_live(live.generation, live.indicators, live.levels, live.series);
        snap.period_level_names = live.period_level_names;
        snap.prepare_for_readers(store, &live.themes)?;
        Ok(snap)
    }

    /// Loads the live copy like [`Snapshot::load`], its values mapped from the publication's
    /// snapshot file in `dir` (`file.rs`). When `dir` has no file for the live publication (or
    /// a damaged one), it is written first from the store's live copy, series by series, in the
    /// read that gives the publication (so file and metadata are one publication's).
    pub fn load_mapped(
        store: &peil_store::Store,
        dir: &std::path::Path,
    ) -> Result<Snapshot, LoadError> {
        let failed = |source| LoadError::File {
            dir: dir.to_path_buf(),
            source,
        };
        let meta = store.live_meta()?.ok_or(LoadError::NotPublished)?;
        let print = file::fingerprint(meta.generation, &meta.at, &meta.stats.to_string());
        let opened = match file::Mapped::open(dir, meta.generation, print) {
            Ok(Some(found)) => Some((meta, found)),
            Ok(None) => None,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                // Written again below, under the same name (the rename replaces it).
                None
            }
            Err(e) => return Err(failed(e)),
        };
        let (live, (mapped, entries)) = match opened {
            Some(found) => found,
            None => {
                let mut writer = file::Writer::create(dir).map_err(failed)?;
                let mut io_error = None;
                let mut slots = Vec::new();
                let mut each = |key: SeriesKey, values: Vec<Value>| {
                    slots.clear();
                    slots.extend(values.into_iter().map(Slot::from_value));
                    writer.series(&key, &slots).map_err(|e| {
                        io_error = Some(e);
                        peil_store::StoreError::Invalid("snapshot file not written".into())
                    })
                };
                let live = store.live_each(&mut each);
                if let Some(e) = io_error {
                    return Err(failed(e));
                }
                let live = live?.ok_or(LoadError::NotPublished)?;
                let print = file::fingerprint(live.generation, &live.at, &live.stats.to_string());
                writer.finish(live.generation, print).map_err(failed)?;
                let found = file::Mapped::open(dir, live.generation, print)
                    .map_err(failed)?
                    .ok_or_else(|| failed(std::io::ErrorKind::NotFound.into()))?;
                (live, found)
            }
        };
        file::tidy(dir, live.generation);
        let themes = live.themes.clone();
        let mut snap = Snapshot::from_file(live, mapped, entries);
        snap.prepare_for_readers(store, &themes)?;
        Ok(snap)
    }

    /// Writes this snapshot's values as the snapshot file of publication `live` (whose
    /// metadata the store gives just after publishing it) into `dir`: what `peil publish` does,
    /// so that a server on the same site maps the file at once. The bytes are the ones a server
    /// writes from the store's live copy.
    pub fn write_file(
        &self,
        dir: &std::path::Path,
        live: &peil_store::Live,
    ) -> std::io::Result<std::path::PathBuf> {
        let mut writer = file::Writer::create(dir)?;
        for (key, k) in &self.keys_in_order() {
            writer.series(key, &self.tables[*k])?;
        }
        let print = file::fingerprint(live.generation, &live.at, &live.stats.to_string());
        let path = writer.finish(live.generation, print)?;
        file::tidy(dir, live.generation);
        Ok(path)
    }

    fn series_key(&self, k: &Key) -> SeriesKey {
        SeriesKey {
            indicator: self.indicators[k.0 as usize].code.clone(),
            level: self.levels[k.1 as usize].level.code.clone(),
            period: k.2,
            dims: self.dims[k.3 as usize].clone(),
        }
    }

    /// Adds what every reader of a snapshot needs from the store: geometry, the hierarchy's
    /// links, the access groups (compiled against `themes`, the tree the snapshot shows) and
    /// the survey tables. [`Snapshot::load`] does it for the live copy, the server's preview
    /// of the test copy for a snapshot computed from it.
    pub fn prepare_for_readers(
        &mut self,
        store: &peil_store::Store,
        themes: &[peil_core::Theme],
    ) -> Result<(), LoadError> {
        let snap = self;
        // Geography is reference data: codes are permanent, so the current tables describe the
        // published items too. Loaded once per publication, never per request.
        snap.set_geometry(store.all_geometry()?);
        for e in store.status()?.edges {
            let links = store.links(&e.child, &e.parent)?.into_iter().collect();
            snap.links.insert((e.child, e.parent), links);
        }
        // Read the revision first: a change made while compiling is picked up at the next poll.
        snap.access_revision = store.access_revision()?;
        snap.set_access_groups(&store.access_groups()?, themes);
        // Survey intervals and verdicts need the hierarchy: built here, once per publication.
        snap.survey();
        Ok(())
    }

    /// Adds geometry (level, item code, web, full) for maps and GeoJSON answers.
    pub fn set_geometry(&mut self, rows: Vec<(String, String, String, String)>) {
        for (level, code, web, full) in rows {
            self.geometry
                .entry(level)
                .or_default()
                .insert(code, (web.into(), full.into()));
        }
    }

    /// Every survey indicator's intervals and verdicts (built once, on first use). Readers go
    /// through [`Snapshot::survey_series`] and [`Snapshot::survey_cell`], which check access.
    /// The area hierarchy of this publication (parents, ancestors, children, siblings, paths
    /// between levels), built once; every hierarchy walk asks it.
    /// Each item's place in its level sorted by name (bytewise), equal names by position:
    /// comparing two items' ranks is comparing (name, position), without reading a string.
    /// Once per publication, so pages sort thousands of areas by name as integers.
    pub fn name_ranks(&self, level: usize) -> &[u32] {
        let all = self.name_ranks.get_or_init(|| {
            self.levels
                .iter()
                .map(|l| {
                    let mut by_name: Vec<u32> = (0..l.items.len() as u32).collect();
                    by_name.sort_by(|a, b| {
                        l.items[*a as usize]
                            .1
                            .name
                            .cmp(&l.items[*b as usize].1.name)
                    });
                    let mut rank = vec![0u32; by_name.len()];
                    for (r, p) in by_name.into_iter().enumerate() {
                        rank[p as usize] = r as u32;
                    }
                    rank
                })
                .collect()
        });
        all.get(level).map_or(&[], Vec::as_slice)
    }

    /// A series' areas (positions in the level) in the order every page shows them: those
    /// with a number by value, highest first, equal values by name (then position); then
    /// those without a number by name. `None` when the reader is not granted the series.
    ///
    /// The order depends on the published values only (never on the reader, who either
    /// sees a series whole or not at all), so it is sorted on the series' first view in
    /// this publication and read by every later one; series sorted earlier are kept up to
    /// [`ORDERS_MAX`] positions in all, beyond which views sort for themselves.
    pub fn order(
        &self,
        ind: u32,
        level: usize,
        period: Period,
        dims: u32,
        reader: &peil_core::Reader,
    ) -> Option<Arc<SeriesOrder>> {
        let slots = self.slots(ind, level, period, dims, reader)?;
        let key = (ind, level as u16, period, dims);
        if let Some(o) = self.orders.get(&key) {
            return Some(o);
        }
        let order = Arc::new(SeriesOrder::sort(slots, self.name_ranks(level)));
        self.orders.keep(key, &order);
        Some(order)
    }

    pub fn hierarchy(&self) -> &crate::hierarchy::Hierarchy {
        self.hierarchy
            .get_or_init(|| crate::hierarchy::Hierarchy::build(self))
    }

    pub fn survey(&self) -> &crate::survey::Tables {
        self.survey
            .get_or_init(|| crate::survey::Tables::build(self))
    }

    /// Whether this reader may see an indicator, some cell of it (public ones: everyone;
    /// unknown: no one).
    pub fn visible_to(&self, code: &str, reader: &peil_core::Reader) -> bool {
        self.index
            .get(code)
            .is_some_and(|&i| self.may_see(i, reader))
    }

    /// Whether readers without an access group may see an indicator.
    pub fn is_public(&self, code: &str) -> bool {
        self.visible_to(code, &peil_core::Reader::anonymous())
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.index.get(code).map(|&i| &self.indicators[i as usize])
    }

    fn granted_key(
        &self,
        ind: &str,
        level: &str,
        period: Period,
        dims: &DimKey,
        reader: &peil_core::Reader,
    ) -> Option<Key> {
        let i = *self.index.get(ind)?;
        let l = *self.level_index.get(level)?;
        let d = self.dims.iter().position(|k| k == dims)? as u32;
        self.grants(reader, i, l, period, d)
            .then_some((i, l as u16, period, d))
    }

    /// One published series by indicator, level position, period and cube cell id, when
    /// this reader is granted it.
    pub fn slots(
        &self,
        ind: u32,
        level: usize,
        period: Period,
        dims: u32,
        reader: &peil_core::Reader,
    ) -> Option<&[Slot]> {
        if !self.grants(reader, ind, level, period, dims) {
            return None;
        }
        self.tables
            .get(&(ind, level as u16, period, dims))
            .map(|c| &**c)
    }

    /// The (period, cube cell id) keys of an indicator on a level (by position) that this
    /// reader is granted, in order.
    pub fn keys_of<'a>(
        &'a self,
        i: u32,
        l: usize,
        reader: &'a peil_core::Reader,
    ) -> impl Iterator<Item = (Period, u32)> + 'a {
        self.keys
            .get(&(i, l as u16))
            .into_iter()
            .flatten()
            .filter(move |(p, d)| self.grants(reader, i, l, *p, *d))
            .copied()
    }

    /// The id of a cube cell (the flat cell is found at once).
    pub fn dim_id(&self, dims: &DimKey) -> Option<u32> {
        self.dims.iter().position(|k| k == dims).map(|p| p as u32)
    }

    /// One published series by indicator code, level position, period and cube cell.
    pub(crate) fn table(&self, ind: &str, l: u16, p: Period, d: u32) -> Option<&[Slot]> {
        let i = *self.index.get(ind)?;
        self.tables.get(&(i, l, p, d)).map(|c| &**c)
    }

    /// Every published series of one indicator: ((level position, period, cube cell), values).
    pub(crate) fn tables_of(
        &self,
        i: u32,
    ) -> impl Iterator<Item = ((u16, Period, u32), &[Slot])> + '_ {
        (0..self.levels.len() as u16)
            .filter_map(move |l| self.keys.get(&(i, l)).map(|ks| (l, ks)))
            .flat_map(move |(l, ks)| {
                ks.iter().filter_map(move |(p, d)| {
                    self.tables
                        .get(&(i, l, *p, *d))
                        .map(|v| ((l, *p, *d), &**v))
                })
            })
    }

    /// One published value (`None` when the snapshot has no such series or item, or the
    /// reader is not granted it).
    pub fn value(
        &self,
        ind: &str,
        level: &str,
        period: Period,
        dims: &DimKey,
        item: &str,
        reader: &peil_core::Reader,
    ) -> Option<Value> {
        let key = self.granted_key(ind, level, period, dims, reader)?;
        let pos = *self.levels[key.1 as usize].pos.get(item)?;
        self.tables.get(&key).map(|v| v[pos as usize].to_value())
    }

    /// A whole published series this reader is granted: items of the level in order with
    /// their values.
    pub fn series(
        &self,
        ind: &str,
        level: &str,
        period: Period,
        dims: &DimKey,
        reader: &peil_core::Reader,
    ) -> Option<Vec<(&GeoItem, Value)>> {
        let key = self.granted_key(ind, level, period, dims, reader)?;
        let v = self.tables.get(&key)?;
        Some(
            self.levels[key.1 as usize]
                .items
                .iter()
                .zip(v.iter())
                .map(|((_, it), s)| (it, s.to_value()))
                .collect(),
        )
    }

    /// The (period, cube cell) keys of an indicator on a level that this reader is granted.
    pub fn periods(
        &self,
        ind: &str,
        level: &str,
        reader: &peil_core::Reader,
    ) -> Vec<(Period, &DimKey)> {
        let (Some(&i), Some(&l)) = (self.index.get(ind), self.level_index.get(level)) else {
            return Vec::new();
        };
        self.keys_of(i, l, reader)
            .map(|(p, d)| (p, &self.dims[d as usize]))
            .collect()
    }

    /// Each level's store item ids in the order of [`Snapshot::all_series`] values.
    pub fn level_ids(&self) -> Vec<(String, Vec<u32>)> {
        self.levels
            .iter()
            .map(|l| {
                (
                    l.level.code.clone(),
                    l.items.iter().map(|(id, _)| *id).collect(),
                )
            })
            .collect()
    }

    /// Every published series as dense values in level item order, for persisting the live
    /// copy: in key order (`file::key_order`), the order the store reads them back in.
    pub fn all_series(&self) -> impl Iterator<Item = (SeriesKey, Vec<Value>)> + '_ {
        self.keys_in_order().into_iter().map(|(key, k)| {
            let values = self.tables[k].iter().map(|s| s.to_value()).collect();
            (key, values)
        })
    }

    /// Every series' key, in key order.
    fn keys_in_order(&self) -> Vec<(SeriesKey, &Key)> {
        let mut keys: Vec<(SeriesKey, &Key)> = self
            .tables
            .keys()
            .map(|k| (self.series_key(k), k))
            .collect();
        keys.sort_by(|a, b| file::key_order(&a.0, &b.0));
        keys
    }
}

/// Why a custom selection has no value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SelectionError {
    #[error("unknown {what} '{code}'")]
    Unknown { what: &'static str, code: String },
    #[error(
        "the selection includes {item}, whose value of {indicator} is hidden (x); a total over it could reveal the hidden value, so it is refused"
    )]
    RevealsHidden { indicator: String, item: String },
    #[error("{0} cannot be aggregated over a custom selection")]
    NotAggregable(String),
}

/// One selection's computation: who asks, what was asked, and every published series read.
struct Walk<'a> {
    reader: &'a peil_core::Reader,
    top: &'a str,
    reads: Vec<(u32, Period)>,
    depth: u32,
}

impl Walk<'_> {
    fn read(&mut self, i: u32, p: Period) {
        if !self.reads.contains(&(i, p)) {
            self.reads.push((i, p));
        }
    }

    /// Always names the indicator asked for, never the input that made it fail.
    fn not_aggregable(&self) -> SelectionError {
        SelectionError::NotAggregable(self.top.to_string())
    }
}

impl Snapshot {
    /// Whether this reader may see an indicator's formula: only when the reader may see the
    /// indicator and every indicator the formula refers to. A formula names its inputs, and a
    /// formula over a restricted indicator tells a reader how to turn published values back
    /// into restricted ones; the API and the website both ask here.
    pub fn formula_visible_to(&self, ind: &Indicator, reader: &peil_core::Reader) -> bool {
        if !self.visible_to(&ind.code, reader) {
            return false;
        }
        let Some(text) = ind.formula.as_deref() else {
            return true;
        };
        match peil_core::formula::Formula::parse(text) {
            Ok(f) => f
                .references()
                .iter()
                .all(|r| self.visible_to(&r.code, reader)),
            Err(_) => false,
        }
    }

    /// Aggregates a custom selection of items (three neighbourhoods, a drawn retail area) with
    /// the same rules as the hierarchy: counts sum, means and ratios are weighted, formulas are
    /// evaluated on the aggregated inputs.
    ///
    /// The answer is a function of published values this reader can already see, and of
    /// nothing else. It is refused ([`SelectionError::RevealsHidden`]) when the indicator's own
    /// published cell, or any value the computation reads (formula inputs, a mean's weight,
    /// shifted periods), is `x` at a selected area: a one-area selection of a hidden cell would
    /// otherwise be that cell, and a formula over visible inputs would give back what its
    /// threshold hides. An input the reader may not see makes the indicator answer exactly as
    /// one that cannot be aggregated ([`SelectionError::NotAggregable`]), so the answer does
    /// not tell that a restricted input exists; an indicator the reader may not see answers as
    /// an unknown code.
    pub fn aggregate_selection(
        &self,
        ind: &str,
        level: &str,
        period: Period,
        items: &[&str],
        reader: &peil_core::Reader,
    ) -> Result<Value, SelectionError> {
        let unknown = |what, code: &str| SelectionError::Unknown {
            what,
            code: code.to_string(),
        };
        let &i = self
            .index
            .get(ind)
            .filter(|&&i| self.may_see(i, reader))
            .ok_or_else(|| unknown("indicator", ind))?;
        let &l = self
            .level_index
            .get(level)
            .ok_or_else(|| unknown("geo level", level))?;
        let mut pos = Vec::with_capacity(items.len());
        for it in items {
            pos.push(
                *self.levels[l]
                    .pos
                    .get(*it)
                    .ok_or_else(|| unknown("area", it))? as usize,
            );
        }
        pos.sort_unstable();
        pos.dedup();
        let mut walk = Walk {
            reader,
            top: ind,
            reads: Vec::new(),
            depth: 0,
        };
        // Compute first, recording every published series read; structural refusals
        // (not aggregable, an input the reader may not see) win over hidden cells, so that
        // a restricted input is never betrayed by a 403 instead of a 422.
        let value = self.selection_value(i, l, period, &pos, &mut walk)?;
        for (j, q) in &walk.reads {
            let Some(v) = self.tables.get(&(*j, l as u16, *q, 0)) else {
                continue;
            };
            if let Some(&k) = pos
                .iter()
                .find(|&&k| v[k].get() == Err(peil_core::MissingCode::Hidden))
            {
                return Err(SelectionError::RevealsHidden {
                    indicator: self.indicators[*j as usize].code.clone(),
                    item: self.levels[l].items[k].1.code.clone(),
                });
            }
        }
        Ok(value.to_value())
    }

    /// The selection's value of indicator `i` in period `period`; records in `walk` every
    /// published series (indicator, period) it reads, the indicator's own first.
    fn selection_value(
        &self,
        i: u32,
        l: usize,
        period: Period,
        pos: &[usize],
        walk: &mut Walk<'_>,
    ) -> Result<Slot, SelectionError> {
        let ind = &self.indicators[i as usize];
        // Formulas are acyclic in a published snapshot; the bound only guards a damaged one.
        if !self.grants(walk.reader, i, l, period, 0) || walk.depth > 64 {
            return Err(walk.not_aggregable());
        }
        walk.read(i, period);
        let column = |j: u32, p: Period| -> Vec<Slot> {
            let v = self.tables.get(&(j, l as u16, p, 0));
            pos.iter()
                .map(|&k| v.map_or(Slot::NONE, |v| v[k]))
                .collect()
        };
        if let Some(text) = ind.formula.as_deref() {
            let f = peil_core::formula::Formula::parse(text).map_err(|_| walk.not_aggregable())?;
            walk.depth += 1;
            let v = self.eval_scalar(&f.expr, l, period, pos, walk);
            walk.depth -= 1;
            return v;
        }
        // Areas first, then time, as the engine does: where the selected areas have values in
        // the finer periods, the selection's coarser period is the period rule over its own
        // finer periods (a parent's year is the rule over the parent's quarters).
        if crate::engine::geo_rule(ind, &self.index) != crate::engine::GeoRule::None
            && crate::engine::aggregates_periods(ind)
        {
            let subs = crate::engine::sub_periods(period);
            if subs
                .iter()
                .any(|q| column(i, *q).iter().any(|s| !s.is_none()))
            {
                let mut cells = Vec::with_capacity(subs.len());
                for q in subs {
                    cells.push(self.selection_value(i, l, q, pos, walk)?);
                }
                return Ok(crate::engine::combine_periods(ind.period_type, &cells));
            }
        }
        match crate::engine::geo_rule(ind, &self.index) {
            crate::engine::GeoRule::Sum => {
                let mut s = crate::slot::Sum::default();
                column(i, period).into_iter().for_each(|x| s.add(x));
                Ok(s.result())
            }
            crate::engine::GeoRule::Weighted(w) => {
                if !self.grants(walk.reader, w, l, period, 0) {
                    return Err(walk.not_aggregable());
                }
                walk.read(w, period);
                let (v, wt) = (column(i, period), column(w, period));
                // The same rule as aggregation up the hierarchy (`slot::WeightedSum`).
                let mut acc = crate::slot::WeightedSum::default();
                v.into_iter().zip(wt).for_each(|(a, b)| acc.add(a, b));
                Ok(acc.result())
            }
            crate::engine::GeoRule::None => Err(walk.not_aggregable()),
        }
    }

    fn eval_scalar(
        &self,
        e: &peil_core::formula::Expr,
        l: usize,
        p: Period,
        pos: &[usize],
        walk: &mut Walk<'_>,
    ) -> Result<Slot, SelectionError> {
        use peil_core::formula::{BinOp, Expr};
        // An unknown reference answers like a restricted one: the formula cannot be aggregated.
        let index = |var: &str, walk: &Walk<'_>| -> Result<u32, SelectionError> {
            self.index
                .get(var)
                .copied()
                .ok_or_else(|| walk.not_aggregable())
        };
        Ok(match e {
            Expr::Num(x) => Slot::num(*x),
            Expr::Ref(v) => {
                let j = index(v, walk)?;
                self.selection_value(j, l, p, pos, walk)?
            }
            // A term outside its series makes the whole result no value (as in the engine).
            Expr::Shift { var, offset } => {
                let j = index(var, walk)?;
                // Whether the shifted series exists is only looked at for a visible input.
                if !self.may_see(j, walk.reader) {
                    return Err(walk.not_aggregable());
                }
                let q = p.offset(*offset);
                // Nor whether it exists in a period the reader is not granted.
                if q.is_some_and(|q| !self.grants(walk.reader, j, l, q, 0)) {
                    return Err(walk.not_aggregable());
                }
                match q {
                    Some(q) if self.tables.contains_key(&(j, l as u16, q, 0)) => {
                        self.selection_value(j, l, q, pos, walk)?
                    }
                    _ => Slot::VOID,
                }
            }
            Expr::Neg(a) => crate::eval::neg(self.eval_scalar(a, l, p, pos, walk)?),
            Expr::Bin { op, left, right } => {
                let (a, b) = (
                    self.eval_scalar(left, l, p, pos, walk)?,
                    self.eval_scalar(right, l, p, pos, walk)?,
                );
                let f = match op {
                    BinOp::Add => crate::eval::add,
                    BinOp::Sub => crate::eval::sub,
                    BinOp::Mul => crate::eval::mul,
                    BinOp::Div => crate::eval::div,
                };
                f(a, b)
            }
            Expr::Call { func, args } => {
                let vals = args
                    .iter()
                    .map(|a| self.eval_scalar(a, l, p, pos, walk))
                    .collect::<Result<Vec<_>, _>>()?;
                crate::eval::call(*func, &vals)
            }
            // cell(), threshold() and data_from_mrp() have no meaning for a custom area.
            _ => return Err(walk.not_aggregable()),
        })
    }

    /// A survey percentage or mean with its confidence interval, from the sample, population
    /// and standard-deviation indicators named in its metadata.
    pub fn survey_interval(
        &self,
        ind: &str,
        level: &str,
        period: Period,
        item: &str,
        c: crate::survey::Confidence,
    ) -> Option<crate::survey::Interval> {
        let meta = self.indicator(ind)?;
        Some(crate::survey::cell_inputs(self, meta, level, period, item)?.interval(c))
    }
}

#[cfg(test)]
mod tests {
    use super::{SeriesOrder, Slot, total_order_key};

    #[test]
    fn sort_keys_order_numbers_as_total_cmp_does() {
        let xs = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -1.0,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1e-300,
            1.0,
            2.5,
            1e300,
            f64::INFINITY,
        ];
        for a in xs {
            for b in xs {
                assert_eq!(
                    total_order_key(a).cmp(&total_order_key(b)),
                    a.total_cmp(&b),
                    "{a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn series_order_is_value_descending_then_name_then_position_then_the_missing_by_name() {
        use peil_core::MissingCode;
        let slots = [
            Slot::num(2.0),
            Slot::missing(MissingCode::Hidden),
            Slot::num(5.0),
            Slot::num(2.0),
            Slot::NONE,
            Slot::num(-1.0),
            Slot::num(2.0),
        ];
        // By name: 2, 6, 0, 3, 5, 4, 1.
        let ranks = [2, 6, 0, 3, 5, 4, 1];
        let o = SeriesOrder::sort(&slots, &ranks);
        assert_eq!(o.numbered, vec![2, 6, 0, 3, 5]);
        assert_eq!(o.others, vec![4, 1]);
    }
}
