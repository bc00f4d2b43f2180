//! What the API derives once per publication: the list of public indicators with their search
//! words, and the metadata the snapshot does not carry (theme tree, geometry counts), read from
//! the store on first use. The entry belongs to the server that serves the publication
//! ([`Current`], a field of its state), never to the process: two servers in one process
//! share nothing.

use crate::AppState;
use peil_compute::Snapshot;
use peil_core::{Period, Theme};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, Weak};

/// Derived from the snapshot alone, for one set of access groups.
pub(crate) struct Index {
    /// Visible indicators in listing order (sequence, then code).
    pub public: Vec<u32>,
    /// Search words, parallel to `public`.
    pub docs: Vec<SearchDoc>,
    /// Dimension levels that occur in public cubes.
    pub dim_levels: BTreeSet<String>,
    /// Periods with public data, per geo level (same order as the snapshot's levels).
    pub periods_by_level: Vec<BTreeSet<Period>>,
}

/// From the store: what the snapshot does not hold.
#[derive(Default)]
pub(crate) struct Extras {
    pub themes: Vec<Theme>,
    /// Aggregation edges between levels: (child level, parent level), from the publication's
    /// hierarchy.
    pub edges: Vec<(String, String)>,
    /// Level → number of items with geometry.
    pub with_geometry: HashMap<String, u64>,
    /// When the publication was made (ISO 8601), if the store says.
    pub published_at: Option<String>,
}

/// Level → item code → (web, full) GeoJSON geometry.
pub(crate) type Geometry = HashMap<String, HashMap<String, (Arc<str>, Arc<str>)>>;

pub(crate) struct Entry {
    /// The publication this entry was built for.
    snap: Weak<Snapshot>,
    /// Per set of access groups (anonymous: none).
    indexes: Mutex<HashMap<Vec<String>, Arc<Index>>>,
    extras: tokio::sync::OnceCell<Arc<Extras>>,
    geometry: tokio::sync::OnceCell<Arc<Geometry>>,
    /// What stories and dashboards read (built on first use).
    pub story_data: tokio::sync::OnceCell<Arc<peil_story::Data>>,
    /// Escaped item names and sequence order per level (built on first use).
    fragments: std::sync::OnceLock<Arc<crate::fragments::Fragments>>,
}

/// A server's entry for the publication it serves (replaced when a new one is served).
#[derive(Default)]
pub(crate) struct Current(Mutex<Option<Arc<Entry>>>);

impl Current {
    /// Forgets the entry (a new publication is served).
    pub fn clear(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// The cache entry of this publication (built on first use), kept by this server.
pub(crate) fn entry(st: &AppState, snap: &Arc<Snapshot>) -> Arc<Entry> {
    let mut current = st
        .inner
        .publication
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(e) = current.as_ref()
        && std::ptr::eq(e.snap.as_ptr(), Arc::as_ptr(snap))
        && e.snap.strong_count() > 0
    {
        return e.clone();
    }
    if let Some(e) = st.inner.preview.entry_of(snap) {
        return e;
    }
    let e = new_entry(snap);
    // A request that began before a new publication was swapped in gets an entry of its
    // own; the server keeps the entry of the publication it serves now.
    if Arc::ptr_eq(snap, &st.snapshot()) {
        *current = Some(e.clone());
    }
    e
}

/// A new entry for `snap`, which its holder keeps.
pub(crate) fn new_entry(snap: &Arc<Snapshot>) -> Arc<Entry> {
    Arc::new(Entry {
        snap: Arc::downgrade(snap),
        indexes: Mutex::new(HashMap::from([(
            Vec::new(),
            Arc::new(build_index(snap, &peil_core::Reader::anonymous())),
        )])),
        extras: tokio::sync::OnceCell::new(),
        geometry: tokio::sync::OnceCell::new(),
        story_data: tokio::sync::OnceCell::new(),
        fragments: std::sync::OnceLock::new(),
    })
}

impl Entry {
    /// What answers write the same way for every request of this publication.
    pub fn fragments(&self, snap: &Snapshot) -> Arc<crate::fragments::Fragments> {
        self.fragments
            .get_or_init(|| Arc::new(crate::fragments::Fragments::build(snap)))
            .clone()
    }

    /// What a reader with these access groups may see (built on first use).
    /// What this reader may see of the publication (built once per access).
    pub fn index(&self, snap: &Snapshot, reader: &peil_core::Reader) -> Arc<Index> {
        let key: Vec<String> = reader.access().to_vec();
        let mut m = self.indexes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = m.get(&key) {
            return i.clone();
        }
        let i = Arc::new(build_index(snap, reader));
        if m.len() < 64 {
            m.insert(key, i.clone());
        }
        i
    }

    pub async fn extras(&self, st: &AppState, snap: &Arc<Snapshot>) -> Arc<Extras> {
        if let Some(x) = self.extras.get() {
            return x.clone();
        }
        let path = st.inner.store.clone();
        let generation = snap.generation;
        let snap = snap.clone();
        self.extras
            .get_or_init(|| async move {
                let r = tokio::task::spawn_blocking(move || {
                    let mut x = load_extras(&path, generation)?;
                    x.edges = snap
                        .hierarchy()
                        .level_edges()
                        .iter()
                        .map(|&(c, p)| {
                            let code = |l: u16| snap.levels[l as usize].level.code.clone();
                            (code(c), code(p))
                        })
                        .collect();
                    Ok::<Extras, peil_store::StoreError>(x)
                })
                .await;
                Arc::new(match r {
                    Ok(Ok(x)) => x,
                    Ok(Err(e)) => {
                        eprintln!(
                            "{{\"event\":\"api metadata not loaded\",\"error\":{:?}}}",
                            e.to_string()
                        );
                        Extras::default()
                    }
                    Err(_) => Extras::default(),
                })
            })
            .await
            .clone()
    }

    /// The publication's geometry (loaded with the snapshot, the same that map layers are
    /// built from: `peil_story::Data::layer_at`).
    pub async fn geometry(&self, snap: &Arc<Snapshot>) -> Arc<Geometry> {
        self.geometry
            .get_or_init(|| async { Arc::new(snap.geometry.clone()) })
            .await
            .clone()
    }
}

fn load_extras(
    path: &peil_store::Location,
    generation: u64,
) -> Result<Extras, peil_store::StoreError> {
    let s = peil_store::Store::open_at(path)?;
    let mut x = Extras {
        // The tree this publication shows (a preview's generation is none yet: the test copy's).
        themes: s.published_themes(generation)?,
        ..Default::default()
    };
    let status = s.status()?;
    for l in &status.levels {
        x.with_geometry.insert(l.code.clone(), l.with_geometry);
    }
    if let Some((g, at, _)) = s.live_publication()?
        && g == generation
    {
        x.published_at = Some(at);
    }
    Ok(x)
}

fn build_index(snap: &Snapshot, reader: &peil_core::Reader) -> Index {
    let mut public: Vec<u32> = snap
        .indicators
        .iter()
        .enumerate()
        .filter(|(_, i)| snap.visible_to(&i.code, reader))
        .map(|(k, _)| k as u32)
        .collect();
    public.sort_by(|a, b| {
        let (x, y) = (&snap.indicators[*a as usize], &snap.indicators[*b as usize]);
        (x.seq.unwrap_or(i64::MAX), &x.code).cmp(&(y.seq.unwrap_or(i64::MAX), &y.code))
    });
    let docs = public
        .iter()
        .map(|&i| SearchDoc::new(&snap.indicators[i as usize]))
        .collect();
    let is_public: Vec<bool> = snap
        .indicators
        .iter()
        .map(|i| snap.visible_to(&i.code, reader))
        .collect();
    let mut periods_by_level = vec![BTreeSet::new(); snap.levels.len()];
    let mut dim_levels = BTreeSet::new();
    let visible = (0..snap.indicators.len() as u32).filter(|&i| is_public[i as usize]);
    for (i, l) in visible.flat_map(|i| (0..snap.levels.len()).map(move |l| (i, l))) {
        for (p, d) in snap.keys_of(i, l, reader) {
            periods_by_level[l].insert(p);
            for (lvl, _) in &snap.dims[d as usize].0 {
                if !dim_levels.contains(lvl) {
                    dim_levels.insert(lvl.clone());
                }
            }
        }
    }
    Index {
        public,
        docs,
        dim_levels,
        periods_by_level,
    }
}

// --- search ------------------------------------------------------------------------------

/// The words of one indicator, folded (lower case, no accents).
pub(crate) struct SearchDoc {
    code: String,
    code_words: Vec<String>,
    name_words: Vec<String>,
    desc_words: Vec<String>,
    pub excluded: bool,
}

impl SearchDoc {
    fn new(ind: &peil_core::Indicator) -> SearchDoc {
        let mut name = String::new();
        for t in ind.name.0.values() {
            name.push_str(t);
            name.push(' ');
        }
        let mut desc = String::new();
        for t in ind.description.0.values() {
            desc.push_str(t);
            desc.push(' ');
        }
        SearchDoc {
            code: fold(&ind.code),
            code_words: words(&ind.code),
            name_words: words(&name),
            desc_words: words(&desc),
            excluded: ind.exclude_from_search,
        }
    }

    /// How well the query matches (higher is better); `None` unless every query word matches.
    pub fn score(&self, q: &Query) -> Option<u32> {
        let mut total = 0;
        if self.code == q.whole {
            total += 1000;
        }
        for w in &q.words {
            let mut best = 0;
            for cand in w {
                if self.code.starts_with(cand.as_str()) {
                    best = best.max(100);
                }
                for (list, prefix, infix) in [
                    (&self.code_words, 60, 0),
                    (&self.name_words, 30, 10),
                    (&self.desc_words, 5, 2),
                ] {
                    for word in list {
                        if word.starts_with(cand.as_str()) {
                            best = best.max(prefix);
                        } else if infix > 0
                            && cand.chars().count() >= 4
                            && word.contains(cand.as_str())
                        {
                            // Dutch compounds: "dichtheid" in "bevolkingsdichtheid".
                            best = best.max(infix);
                        }
                    }
                }
            }
            if best == 0 {
                return None;
            }
            total += best;
        }
        Some(total)
    }
}

/// A search query: per word the forms to try (the word, and a simple Dutch stem).
pub(crate) struct Query {
    whole: String,
    words: Vec<Vec<String>>,
}

impl Query {
    pub fn new(q: &str) -> Query {
        let words = words(q)
            .into_iter()
            .map(|w| {
                let mut forms = vec![w.clone()];
                for suffix in ["'s", "en", "s", "e"] {
                    if let Some(stem) = w.strip_suffix(suffix)
                        && stem.chars().count() >= 4
                    {
                        forms.push(stem.to_string());
                        break;
                    }
                }
                forms
            })
            .collect();
        Query {
            whole: fold(q.trim()),
            words,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// Lower case without accents: the one search rule ([`peil_core::text::fold`]).
pub(crate) use peil_core::text::fold;

/// Folded words (runs of letters and digits).
pub(crate) fn words(s: &str) -> Vec<String> {
    fold(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_matching() {
        assert_eq!(fold("Geïnstalleerd VERMOGEN"), "geinstalleerd vermogen");
        let mut ind = peil_core::Indicator::new("v1101_t");
        ind.name = peil_core::LocalizedText::nl("Inwoners").with("en", "Inhabitants");
        ind.description = peil_core::LocalizedText::nl("Bevolkingsdichtheid per km²");
        let d = SearchDoc::new(&ind);
        for (q, hit) in [
            ("inwoner", true),
            ("INWONERS", true),
            ("inwoners", true),
            ("inhabitant", true),
            ("v1101", true),
            ("v1101_t", true),
            ("dichtheid", true),
            ("inwoner dichtheid", true),
            ("inwoner huishouden", false),
            ("bewoner", false),
        ] {
            assert_eq!(d.score(&Query::new(q)).is_some(), hit, "{q}");
        }
        let mut acc = peil_core::Indicator::new("v_pv_kw");
        acc.name = peil_core::LocalizedText::nl("Geïnstalleerd vermogen");
        let d = SearchDoc::new(&acc);
        assert!(d.score(&Query::new("geinstalleerd")).is_some());
        assert!(d.score(&Query::new("GEÏNSTALLEERD")).is_some());
    }
}
