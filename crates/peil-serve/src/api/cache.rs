//! What the API derives once per publication: the list of public indicators with their search
//! words, and the metadata the snapshot does not carry (theme tree, area hierarchy, geometry),
//! read from the store on first use.

use crate::AppState;
use peil_compute::Snapshot;
use peil_core::{Period, Theme};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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
    /// Aggregation edges between levels: (child level, parent level).
    pub edges: Vec<(String, String)>,
    /// Level → item → its direct parents (level, item).
    pub parents: HashMap<String, HashMap<String, Vec<(String, String)>>>,
    /// Level → number of items with geometry.
    pub with_geometry: HashMap<String, u64>,
    /// When the publication was made (ISO 8601), if the store says.
    pub published_at: Option<String>,
}

/// Level → item code → (web, full) GeoJSON geometry.
pub(crate) type Geometry = HashMap<String, HashMap<String, (Arc<str>, Arc<str>)>>;

pub(crate) struct Entry {
    key: (PathBuf, u64, usize),
    /// Per set of access groups (anonymous: none).
    indexes: Mutex<HashMap<Vec<String>, Arc<Index>>>,
    extras: tokio::sync::OnceCell<Arc<Extras>>,
    geometry: tokio::sync::OnceCell<Arc<Geometry>>,
    /// Projected map layers of the website: (level index, detail) → layer.
    pub layers: Mutex<HashMap<(usize, u8), Arc<peil_render::MapLayer>>>,
    /// What stories and dashboards read (built on first use).
    pub story_data: tokio::sync::OnceCell<Arc<peil_story::Data>>,
    /// Escaped item names and sequence order per level (built on first use).
    fragments: std::sync::OnceLock<Arc<crate::fragments::Fragments>>,
}

static CACHE: Mutex<Vec<Arc<Entry>>> = Mutex::new(Vec::new());

/// The cache entry of this publication (built on first use).
pub(crate) fn entry(st: &AppState, snap: &Arc<Snapshot>) -> Arc<Entry> {
    let key = (
        st.inner.store.clone(),
        snap.generation,
        Arc::as_ptr(snap) as usize,
    );
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(e) = cache.iter().find(|e| e.key == key) {
        return e.clone();
    }
    let e = Arc::new(Entry {
        key,
        indexes: Mutex::new(HashMap::from([(
            Vec::new(),
            Arc::new(build_index(snap, &peil_core::Reader::anonymous())),
        )])),
        extras: tokio::sync::OnceCell::new(),
        geometry: tokio::sync::OnceCell::new(),
        layers: Mutex::new(HashMap::new()),
        story_data: tokio::sync::OnceCell::new(),
        fragments: std::sync::OnceLock::new(),
    });
    // Older publications of the same store are of no use any more.
    cache.retain(|o| o.key.0 != e.key.0);
    if cache.len() >= 4 {
        cache.remove(0);
    }
    cache.push(e.clone());
    e
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
        let generation = self.key.1;
        let snap = snap.clone();
        self.extras
            .get_or_init(|| async move {
                let r = tokio::task::spawn_blocking(move || {
                    let mut x = load_extras(&path, generation)?;
                    // The hierarchy the publication carries wins over the store's tables.
                    if !snap.links.is_empty() {
                        hierarchy_of(&snap, &mut x);
                    }
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

    /// Geometry: the snapshot's when it carries any, else the store's.
    pub async fn geometry(&self, st: &AppState, snap: &Arc<Snapshot>) -> Arc<Geometry> {
        if let Some(g) = self.geometry.get() {
            return g.clone();
        }
        let path = st.inner.store.clone();
        let own = (!snap.geometry.is_empty()).then(|| snap.geometry.clone());
        self.geometry
            .get_or_init(|| async move {
                if let Some(g) = own {
                    return Arc::new(g);
                }
                let r = tokio::task::spawn_blocking(
                    move || -> Result<Geometry, peil_store::StoreError> {
                        let s = peil_store::Store::open(&path)?;
                        let mut g: Geometry = HashMap::new();
                        for (level, code, web, full) in s.all_geometry()? {
                            g.entry(level)
                                .or_default()
                                .insert(code, (web.into(), full.into()));
                        }
                        Ok(g)
                    },
                )
                .await;
                Arc::new(match r {
                    Ok(Ok(g)) => g,
                    _ => HashMap::new(),
                })
            })
            .await
            .clone()
    }
}

fn load_extras(path: &std::path::Path, generation: u64) -> Result<Extras, peil_store::StoreError> {
    let s = peil_store::Store::open(path)?;
    let mut x = Extras {
        themes: s.themes()?,
        ..Default::default()
    };
    let status = s.status()?;
    for l in &status.levels {
        x.with_geometry.insert(l.code.clone(), l.with_geometry);
    }
    for e in status.edges.iter().filter(|e| e.kind == "aggregation") {
        for (child, parent) in s.links(&e.child, &e.parent)? {
            x.parents
                .entry(e.child.clone())
                .or_default()
                .entry(child)
                .or_default()
                .push((e.parent.clone(), parent));
        }
        x.edges.push((e.child.clone(), e.parent.clone()));
    }
    if let Some((g, at, _)) = s.live_publication()?
        && g == generation
    {
        x.published_at = Some(at);
    }
    Ok(x)
}

/// Aggregation edges and direct parents from the snapshot's hierarchy (conversion edges between
/// versions of one division are not parents).
fn hierarchy_of(snap: &Snapshot, x: &mut Extras) {
    x.edges.clear();
    x.parents.clear();
    let mut edges: Vec<&(String, String)> = snap
        .links
        .keys()
        .filter(|(c, p)| peil_core::EdgeKind::between(c, p) == peil_core::EdgeKind::Aggregation)
        .collect();
    edges.sort();
    for e in edges {
        let (child, parent) = e;
        let mut links: Vec<(&String, &String)> = snap.links[e].iter().collect();
        links.sort();
        for (c, p) in links {
            x.parents
                .entry(child.clone())
                .or_default()
                .entry(c.clone())
                .or_default()
                .push((parent.clone(), p.clone()));
        }
        x.edges.push((child.clone(), parent.clone()));
    }
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
    for ((i, l), keys) in &snap.keys {
        if !is_public[*i as usize] {
            continue;
        }
        for (p, d) in keys {
            periods_by_level[*l as usize].insert(*p);
            for (lvl, _) in &snap.dims[*d as usize].0 {
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
