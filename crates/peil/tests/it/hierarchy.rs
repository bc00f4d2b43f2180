//! One hierarchy for every reader: the native API's parents and comparison areas, the area
//! page, Swing's selection table (`geosplit`) and stories' ancestors, children and siblings
//! agree with a walk written here over the demo city's own aggregation tables
//! (`peil_demo::build`, never the store or the engine). And one home for map layers: a story's
//! map and the indicator page's map of the same level and indicator draw the same areas.

use crate::common::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

type Area = (String, String);

/// The demo city's hierarchy as its generator states it.
struct Truth {
    /// Area → its direct parents (aggregation tables).
    parents: HashMap<Area, Vec<Area>>,
    /// Level → item codes, and item names.
    items: BTreeMap<String, Vec<String>>,
    names: HashMap<Area, String>,
    unknown: HashSet<Area>,
}

impl Truth {
    fn new() -> Truth {
        let city = peil_demo::build();
        let mut t = Truth {
            parents: HashMap::new(),
            items: BTreeMap::new(),
            names: HashMap::new(),
            unknown: HashSet::new(),
        };
        for b in &city.areas {
            for it in &b.items {
                let a = (b.level.code.clone(), it.code.clone());
                t.items
                    .entry(b.level.code.clone())
                    .or_default()
                    .push(it.code.clone());
                t.names.insert(a.clone(), it.name.clone());
                if it.unknown_location {
                    t.unknown.insert(a);
                }
            }
        }
        for l in &city.links {
            for (c, p) in &l.links {
                t.parents
                    .entry((l.child_level.clone(), c.clone()))
                    .or_default()
                    .push((l.parent_level.clone(), p.clone()));
            }
        }
        t
    }

    fn size(&self, level: &str) -> usize {
        self.items[level].len()
    }

    /// Every area above one, by level (the demo's tables agree wherever paths meet).
    fn ancestors(&self, a: &Area) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let mut todo = vec![a.clone()];
        while let Some(x) = todo.pop() {
            for p in self.parents.get(&x).into_iter().flatten() {
                let before = out.insert(p.0.clone(), p.1.clone());
                assert!(before.is_none_or(|b| b == p.1), "paths disagree at {p:?}");
                todo.push(p.clone());
            }
        }
        out
    }

    /// The nearest parent: of the direct parents, the one on the finest level.
    fn nearest(&self, a: &Area) -> Option<Area> {
        self.parents
            .get(a)?
            .iter()
            .max_by_key(|p| self.size(&p.0))
            .cloned()
    }

    /// The areas directly below one on the level naming it as a parent with fewest such areas.
    fn children(&self, a: &Area) -> BTreeSet<Area> {
        let mut by_level: BTreeMap<String, BTreeSet<Area>> = BTreeMap::new();
        for (c, ps) in &self.parents {
            if ps.contains(a) && !self.unknown.contains(c) {
                by_level.entry(c.0.clone()).or_default().insert(c.clone());
            }
        }
        by_level
            .into_values()
            .min_by_key(|v| v.len())
            .unwrap_or_default()
    }

    fn siblings(&self, a: &Area) -> BTreeSet<Area> {
        let nearest = self.nearest(a);
        self.items[&a.0]
            .iter()
            .map(|c| (a.0.clone(), c.clone()))
            .filter(|x| !self.unknown.contains(x))
            .filter(|x| {
                nearest
                    .as_ref()
                    .is_none_or(|n| self.parents.get(x).is_some_and(|ps| ps.contains(n)))
            })
            .collect()
    }

    /// A few areas of every level (all of the small ones).
    fn sample(&self) -> Vec<Area> {
        let mut out = Vec::new();
        for (l, codes) in &self.items {
            let step = (codes.len() / 12).max(1);
            for c in codes.iter().step_by(step) {
                out.push((l.clone(), c.clone()));
            }
        }
        out
    }
}

fn pairs(v: &serde_json::Value, level: &str, code: &str) -> Vec<Area> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x[level].as_str().unwrap().to_string(),
                x[code].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_reader_sees_the_hierarchy_the_tables_state() {
    let t = Truth::new();
    let s = Server::demo();

    // Native API: each item's direct parents.
    for (level, codes) in &t.items {
        let v = s.get(&format!("/api/v1/geolevels/{level}/items")).json();
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), codes.len(), "{level}");
        for it in items {
            let a = (level.clone(), it["code"].as_str().unwrap().to_string());
            let want: BTreeMap<String, String> =
                t.parents.get(&a).into_iter().flatten().cloned().collect();
            let got: BTreeMap<String, String> =
                serde_json::from_value(it["parents"].clone()).unwrap();
            assert_eq!(got, want, "parents of {a:?}");
        }
    }

    // Native API's comparison areas and the area page: every ancestor, nearest first, the
    // same list in both.
    for a in t.sample() {
        let want = t.ancestors(&a);
        let api = s
            .get(&format!("/api/v1/areas/{}/{}/profile", a.0, a.1))
            .json();
        let api = pairs(&api["comparisons"], "level", "code");
        let page = s.get(&format!("/area/{}/{}.json", a.0, a.1)).json();
        let page = pairs(&page["ancestors"], "level", "code");
        assert_eq!(api, page, "{a:?}");
        assert_eq!(
            api.iter().cloned().collect::<BTreeMap<_, _>>(),
            want,
            "ancestors of {a:?}"
        );
        if let Some(n) = t.nearest(&a) {
            assert_eq!(page[0], n, "the nearest parent of {a:?} comes first");
        }
    }

    // Swing's selection table: the areas of a finer level inside one area.
    let mut splits = 0;
    for (child, codes) in &t.items {
        let above = t.ancestors(&(child.clone(), codes[0].clone()));
        for parent in above.keys() {
            for p in t.items[parent].iter().take(3) {
                let want: BTreeSet<&str> = codes
                    .iter()
                    .filter(|c| t.ancestors(&(child.clone(), (*c).clone())).get(parent) == Some(p))
                    .map(|c| t.names[&(child.clone(), c.clone())].as_str())
                    .collect();
                let r = s.get(&format!(
                    "/jive/selectiontableasjson.ashx?var=v1101_t&geolevel={parent}&geoitem={p}&geosplit={child}&period=2019"
                ));
                assert_eq!(r.status, 200, "{}", r.body);
                let got: BTreeSet<String> = r.json()["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|row| row[0].as_str().unwrap().to_string())
                    .collect();
                let got: BTreeSet<&str> = got.iter().map(String::as_str).collect();
                assert_eq!(got, want, "{child} in {parent} {p}");
                splits += 1;
            }
        }
    }
    assert!(splits >= 10, "{splits} splits checked");

    // Stories: ancestors, children and siblings of the publication the server serves.
    let snap = peil_compute::Snapshot::load(&s.site.open_store()).unwrap();
    let data = peil_story::Data::new(Arc::new(snap), Vec::new());
    for a in t.sample() {
        let area = peil_story::Area::new(&a.0, &a.1);
        let anc: Vec<Area> = data
            .ancestors(&area)
            .into_iter()
            .map(|x| (x.level, x.code))
            .collect();
        assert_eq!(
            anc.iter().cloned().collect::<BTreeMap<_, _>>(),
            t.ancestors(&a)
        );
        assert_eq!(anc.first(), t.nearest(&a).as_ref(), "{a:?}");
        let kids: BTreeSet<Area> = data
            .children(&area)
            .into_iter()
            .map(|x| (x.level, x.code))
            .collect();
        assert_eq!(kids, t.children(&a), "children of {a:?}");
        if !t.unknown.contains(&a) {
            let sib: BTreeSet<Area> = data
                .siblings(&area)
                .into_iter()
                .map(|x| (x.level, x.code))
                .collect();
            assert_eq!(sib, t.siblings(&a), "siblings of {a:?}");
        }
    }
}

/// The `data-area` codes of every `<svg>` map in a text that contains `mark`, one set per map.
fn maps(text: &str, mark: &str) -> Vec<BTreeSet<String>> {
    text.split("<svg")
        .skip(1)
        .filter(|svg| svg.split("</svg>").next().unwrap().contains(mark))
        .map(|svg| {
            let svg = svg.split("</svg>").next().unwrap();
            svg.split("data-area=\"")
                .skip(1)
                .map(|x| x.split('"').next().unwrap().to_string())
                .collect::<BTreeSet<String>>()
        })
        .filter(|m| !m.is_empty())
        .collect()
}

#[test]
fn a_story_map_and_the_indicator_page_draw_the_same_areas() {
    let t = Truth::new();
    let s = Server::demo();
    // The demo's wijkprofiel maps vp_65p over the wijk's sectors.
    let wijk = t.items["wijk"]
        .iter()
        .find(|c| !t.unknown.contains(&("wijk".to_string(), (*c).clone())))
        .unwrap();
    let story = s.get(&format!("/stories/wijkprofiel?geo=wijk:{wijk}"));
    assert_eq!(story.status, 200, "{}", story.body);
    let story_maps = maps(&story.body, "map-vp_65p");
    assert_eq!(story_maps.len(), 1, "one map in the story");
    let page = s.get("/indicator/vp_65p/map.svg?level=statsec");
    assert_eq!(page.status, 200, "{}", page.body);
    let page_maps = maps(&page.body, "");
    assert_eq!(page_maps.len(), 1);
    assert_eq!(story_maps[0], page_maps[0], "the same areas of statsec");
    let sectors: BTreeSet<String> = t.items["statsec"]
        .iter()
        .filter(|c| !t.unknown.contains(&("statsec".to_string(), (*c).clone())))
        .cloned()
        .collect();
    assert_eq!(page_maps[0], sectors, "every located sector");
}
