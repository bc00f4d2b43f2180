//! Sums between the measures of one record set (issue 17): counts of one register that add up
//! to another published count — the parts of a category partition and their total — are one
//! system for secondary suppression. The attack reads what every reader gets (the public API's
//! cells of every level and period), builds the relations an attacker knows (parent = Σ
//! children, a period = Σ its sub-periods, a total = Σ its parts) and runs the independent
//! `checker::attack` over them: nothing hidden may come out.

use crate::common::*;
use std::collections::BTreeMap;

/// (indicator, level, item, period) of a published cell.
type Key = (String, String, String, String);

/// The cells of some indicators as readers get them, with the relations between them.
#[derive(Default)]
pub(crate) struct Cells {
    pub id: BTreeMap<Key, u32>,
    pub cells: Vec<Option<f64>>,
    pub rels: Vec<Vec<u32>>,
}

impl Cells {
    /// Every published cell of `indicators` on every level but `skip` (an empty value counts as
    /// 0, `x` is unknown), with the hierarchy's and the periods' relations of each indicator
    /// but the `ratios`. (Leaving a level out leaves the attacker less to work with, never a
    /// false relation.)
    pub(crate) fn read(s: &Server, indicators: &[&str], ratios: &[&str], skip: &str) -> Cells {
        let mut out = Cells::default();
        let levels = s.get("/api/v1/geolevels").json();
        let levels: Vec<String> = levels["geolevels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["code"].as_str().unwrap().to_string())
            .filter(|l| l != skip)
            .collect();
        // (level, item) → its parents (level → item).
        let mut parents: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
        for lv in &levels {
            let items = s.get(&format!("/api/v1/geolevels/{lv}/items")).json();
            for it in items["items"].as_array().unwrap() {
                let ps = it["parents"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect();
                parents.insert((lv.clone(), it["code"].as_str().unwrap().to_string()), ps);
            }
        }
        for ind in indicators {
            for lv in &levels {
                let csv = s.get(&format!(
                    "/api/v1/data?indicator={ind}&level={lv}&format=csv"
                ));
                if csv.status != 200 {
                    continue;
                }
                let mut rd = csv::ReaderBuilder::new().from_reader(csv.body.as_bytes());
                let h: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
                let col = |n: &str| h.iter().position(|c| c == n).unwrap();
                let (i, p, v, st) = (col("item"), col("period"), col("value"), col("status"));
                for r in rd.records().map(Result::unwrap) {
                    let value = (&r[st] != "x").then(|| r[v].parse::<f64>().unwrap_or(0.0));
                    let key = (
                        ind.to_string(),
                        lv.clone(),
                        r[i].to_string(),
                        r[p].to_string(),
                    );
                    out.id.insert(key, out.cells.len() as u32);
                    out.cells.push(value);
                }
            }
        }
        // A period = Σ its sub-periods (year: quarters or months; half year: quarters;
        // quarter: months), per indicator, level and item.
        let subs = |p: &str| -> Vec<String> {
            let y = &p[..4];
            match p.get(4..5) {
                None => {
                    let q: Vec<String> = (1..=4).map(|k| format!("{y}Q{k}")).collect();
                    let m: Vec<String> = (1..=12).map(|k| format!("{y}M{k:02}")).collect();
                    [q, m].concat()
                }
                Some("H") => {
                    let h: u32 = p[5..].parse().unwrap();
                    (1..=2)
                        .map(|k| format!("{y}Q{}", (h - 1) * 2 + k))
                        .collect()
                }
                Some("Q") => {
                    let q: u32 = p[5..].parse().unwrap();
                    (1..=3)
                        .map(|k| format!("{y}M{:02}", (q - 1) * 3 + k))
                        .collect()
                }
                _ => Vec::new(),
            }
        };
        let mut rels = Vec::new();
        for ((ind, lv, item, p), &total) in &out.id {
            if ratios.contains(&ind.as_str()) {
                continue;
            }
            let all = subs(p);
            // A year by its quarters when it has them, else by its months.
            let (quarters, months): (Vec<&String>, Vec<&String>) =
                all.iter().partition(|q| q.contains('Q'));
            for group in [quarters, months] {
                let parts: Vec<u32> = group
                    .iter()
                    .filter_map(|q| {
                        out.id
                            .get(&(ind.clone(), lv.clone(), item.clone(), (*q).clone()))
                            .copied()
                    })
                    .collect();
                if !parts.is_empty() {
                    rels.push(std::iter::once(total).chain(parts).collect::<Vec<u32>>());
                    break;
                }
            }
        }
        // A parent = Σ the items of a level beneath it.
        let mut children: BTreeMap<Key, Vec<u32>> = BTreeMap::new();
        for ((ind, lv, item, p), &x) in &out.id {
            if ratios.contains(&ind.as_str()) {
                continue;
            }
            for (plv, parent) in parents
                .get(&(lv.clone(), item.clone()))
                .into_iter()
                .flatten()
            {
                children
                    .entry((
                        ind.clone(),
                        plv.clone(),
                        parent.clone(),
                        format!("{lv}|{p}"),
                    ))
                    .or_default()
                    .push(x);
            }
        }
        for ((ind, plv, parent, lp), kids) in children {
            let p = lp.split_once('|').unwrap().1.to_string();
            if let Some(&t) = out.id.get(&(ind, plv, parent, p)) {
                rels.push(std::iter::once(t).chain(kids).collect());
            }
        }
        out.rels = rels;
        out
    }

    /// The count a share gives with its `_n` (share × n / 100, where both are shown), tied to
    /// the published `count` in every cell the three share.
    pub(crate) fn hits(&mut self, share: &str, n: &str, count: &str) {
        for (h, cx) in self.share_hits(share, n, Some(count)) {
            self.rels.push(vec![cx.unwrap(), h]);
        }
    }

    /// The count a share gives with its `_n` (share × n / 100 where both are shown, else
    /// unknown), as cells `<share> × <n>` in every cell where both are published (and `count`
    /// too, if given): each with the cell of `count`.
    pub(crate) fn share_hits(
        &mut self,
        share: &str,
        n: &str,
        count: Option<&str>,
    ) -> Vec<(u32, Option<u32>)> {
        let cells: Vec<(Key, u32)> = self
            .id
            .iter()
            .filter(|(k, _)| k.0 == share)
            .map(|(k, &x)| (k.clone(), x))
            .collect();
        let mut out = Vec::new();
        for ((_, lv, item, p), x) in cells {
            let at = |code: &str| {
                self.id
                    .get(&(code.to_string(), lv.clone(), item.clone(), p.clone()))
                    .copied()
            };
            let Some(nx) = at(n) else { continue };
            let cx = count.map(at);
            if cx == Some(None) {
                continue;
            }
            let hits = match (self.cells[x as usize], self.cells[nx as usize]) {
                (Some(v), Some(n)) => Some((v * n / 100.0).round()),
                _ => None,
            };
            let h = self.cells.len() as u32;
            self.id.insert((format!("{share} × {n}"), lv, item, p), h);
            self.cells.push(hits);
            out.push((h, cx.flatten()));
        }
        out
    }

    /// `total = Σ parts` in every cell the indicators all publish.
    pub(crate) fn sum(&mut self, total: &str, parts: &[&str]) {
        let mut add = Vec::new();
        for ((ind, lv, item, p), &t) in &self.id {
            if ind != total {
                continue;
            }
            let ps: Option<Vec<u32>> = parts
                .iter()
                .map(|q| {
                    self.id
                        .get(&(q.to_string(), lv.clone(), item.clone(), p.clone()))
                        .copied()
                })
                .collect();
            // Only where every part is published (a period one of them does not publish).
            if let Some(ps) = ps {
                add.push(std::iter::once(t).chain(ps).collect());
            }
        }
        self.rels.extend(add);
    }

    /// `Σ left = Σ right` in every cell the indicators share, through an unknown cell per cell
    /// (`(name)`, an unpublished total: what an attacker who knows the definitions writes).
    pub(crate) fn equal(&mut self, name: &str, left: &[&str], right: &[&str]) {
        let keys: Vec<(String, String, String)> = self
            .id
            .keys()
            .filter(|k| k.0 == left[0])
            .map(|k| (k.1.clone(), k.2.clone(), k.3.clone()))
            .collect();
        for (lv, item, p) in keys {
            let at = |code: &&str| {
                self.id
                    .get(&(code.to_string(), lv.clone(), item.clone(), p.clone()))
                    .copied()
            };
            let l: Option<Vec<u32>> = left.iter().map(at).collect();
            let r: Option<Vec<u32>> = right.iter().map(at).collect();
            let (Some(l), Some(r)) = (l, r) else { continue };
            let u = self.cells.len() as u32;
            self.id.insert((format!("({name})"), lv, item, p), u);
            self.cells.push(None);
            self.rels.push(std::iter::once(u).chain(l).collect());
            self.rels.push(std::iter::once(u).chain(r).collect());
        }
    }

    /// Every relation holds between the shown cells (the test's relations are right).
    pub(crate) fn check(&self) {
        for r in &self.rels {
            let v: Option<Vec<f64>> = r.iter().map(|&x| self.cells[x as usize]).collect();
            if let Some(v) = v {
                let parts: f64 = v[1..].iter().sum();
                assert!(
                    (v[0] - parts).abs() < 1e-6,
                    "a relation of the test does not hold: {:?} = {v:?}",
                    self.names(r)
                );
            }
        }
    }

    pub(crate) fn names(&self, xs: &[u32]) -> Vec<&Key> {
        xs.iter()
            .map(|&x| self.id.iter().find(|&(_, &v)| v == x).unwrap().0)
            .collect()
    }

    pub(crate) fn hidden(&self, ind: &str) -> usize {
        self.id
            .iter()
            .filter(|&(k, &x)| k.0 == ind && self.cells[x as usize].is_none())
            .count()
    }

    /// Asserts that the attack recovers no published cell (the test's own derived cells — an
    /// unpublished total `(…)`, a share's count `… × …` — it may recover).
    pub(crate) fn assert_nothing_recovered(&self) {
        let recovered: Vec<_> = self
            .attack()
            .into_iter()
            .filter(|(k, _)| !k.0.starts_with('(') && !k.0.contains(" × "))
            .collect();
        assert!(
            recovered.is_empty(),
            "{} hidden cells recovered, e.g. {:?}",
            recovered.len(),
            &recovered[..recovered.len().min(5)]
        );
    }

    /// What `checker::attack` recovers: (cell, value). The system is attacked per group of
    /// unknown cells that share relations (the same as attacking it whole).
    pub(crate) fn attack(&self) -> Vec<(&Key, f64)> {
        let n = self.cells.len();
        let mut up: Vec<usize> = (0..n).collect();
        fn find(up: &mut [usize], x: usize) -> usize {
            let mut r = x;
            while up[r] != r {
                r = up[r];
            }
            up[x] = r;
            r
        }
        for r in &self.rels {
            let unknown: Vec<usize> = r
                .iter()
                .map(|&x| x as usize)
                .filter(|&x| self.cells[x].is_none())
                .collect();
            for w in unknown.windows(2) {
                let (a, b) = (find(&mut up, w[0]), find(&mut up, w[1]));
                up[a] = b;
            }
        }
        let mut rels_of: BTreeMap<usize, Vec<&Vec<u32>>> = BTreeMap::new();
        for r in &self.rels {
            if let Some(&x) = r.iter().find(|&&x| self.cells[x as usize].is_none()) {
                let g = find(&mut up, x as usize);
                rels_of.entry(g).or_default().push(r);
            }
        }
        let mut out = Vec::new();
        for rels in rels_of.values() {
            // The group's own numbering: every cell its relations name.
            let mut local: BTreeMap<u32, u32> = BTreeMap::new();
            let mut cells = Vec::new();
            let mut back = Vec::new();
            let rels: Vec<Vec<u32>> = rels
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|&x| {
                            *local.entry(x).or_insert_with(|| {
                                cells.push(self.cells[x as usize]);
                                back.push(x);
                                cells.len() as u32 - 1
                            })
                        })
                        .collect()
                })
                .collect();
            for (x, v) in peil_compute::checker::attack(&cells, &rels) {
                out.push((self.names(&[back[x as usize]])[0], v));
            }
        }
        out
    }
}

/// Counts of the applications by type that partition all applications (three parts, which no
/// detection of `t = a + b` finds).
const PARTITION: &str = r#"
[[measure]]
code = "vg_stedenbouw"
name = "Aanvragen stedenbouw"
kind = "count"
date = "ingediend"
where = { type = ["stedenbouw"] }

[[measure]]
code = "vg_milieu_gemengd"
name = "Aanvragen milieu of gemengd"
kind = "count"
date = "ingediend"
where = { type = ["milieu", "gemengd"] }

[[measure]]
code = "vg_overige"
name = "Andere aanvragen"
kind = "count"
date = "ingediend"
where = { type = ["verkaveling", "melding"] }

[[measure]]
code = "vg_vergund_aantal"
name = "Vergunde aanvragen"
kind = "count"
date = "beslist"
where = { uitkomst = ["vergund"] }
"#;

/// All applications = stedenbouw + milieu or gemengd + the others, in every area and period:
/// a part hidden where the total and the other parts are shown would be their difference. And
/// the share of permits granted times its number of decisions is the count of permits
/// granted: a share shown where that count is hidden would give it.
#[test]
fn counts_and_shares_of_one_register_give_no_hidden_cell_away() {
    let p = permit_site_with(6000, PARTITION);
    let s = p.publish("vg_overige");
    let parts = ["vg_stedenbouw", "vg_milieu_gemengd", "vg_overige"];
    let shares = ["vg_vergund", "vg_vergund_n", "vg_vergund_aantal"];
    let mut c = Cells::read(
        s,
        &[&["vg_aanvragen"][..], &parts, &shares].concat(),
        &shares[..1],
        "statsec",
    );
    c.sum("vg_aanvragen", &parts);
    c.hits(shares[0], shares[1], shares[2]);
    c.check();
    let hidden: usize = parts.iter().map(|q| c.hidden(q)).sum();
    assert!(
        hidden > 100,
        "{hidden} hidden parts: the attack proves nothing"
    );
    assert!(
        c.hidden(shares[2]) > 10,
        "{} hidden counts of permits granted",
        c.hidden(shares[2])
    );
    // A derived count (share × n where one of them is hidden) is no published cell.
    c.assert_nothing_recovered();
}

/// The register with a column `dienst` of thirteen services: ten frequent ones and three rare
/// (`r1`, `r2`, `r3`, 2 % each) that the dashboard's top ten leave to "other".
fn with_services(csv: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let service = match i {
            0 => "dienst".to_string(),
            _ if i % 50 == 7 => "r1".into(),
            _ if i % 50 == 19 => "r2".into(),
            _ if i % 50 == 33 => "r3".into(),
            _ => format!("d{}", i % 10),
        };
        out.push_str(&format!("{line};{service}\n"));
    }
    let p = csv.with_file_name("dossiers_diensten.csv");
    std::fs::write(&p, out).unwrap();
    p
}

/// The dashboard gathers the rare services as "other"; the public measures count each of
/// them. An area's "other" over all months less the shown public years of the services would
/// be a hidden one: a department member who reads both may recover nothing hidden.
#[test]
fn measures_that_split_the_dashboards_other_give_no_hidden_cell_away() {
    let mut def = crate::records::DEFINITION.replace(
        r#"categories = ["procedure", "type", "uitkomst"]"#,
        r#"categories = ["procedure", "type", "uitkomst", "dienst"]"#,
    );
    for r in ["r1", "r2", "r3"] {
        def.push_str(&format!(
            "\n[[measure]]\ncode = \"vg_{r}\"\nname = \"Aanvragen {r}\"\nkind = \"count\"\n\
             date = \"ingediend\"\nperiods = [\"year\"]\nwhere = {{ dienst = [\"{r}\"] }}\n"
        ));
    }
    let p = permit_site_from(6000, with_services, &def, "dienst");
    let s = p.publish("vg_r3");
    let mut m = p.department_member();
    let whole = m.get("/admin/operations/vergunningen");
    assert_eq!(whole.status, 200);
    let mut cells: Vec<Option<f64>> = Vec::new();
    let mut rels: Vec<Vec<u32>> = Vec::new();
    let mut secret: Vec<bool> = Vec::new();
    let (mut hidden_years, mut others) = (0, 0);
    for level in crate::plans::offered_levels(&whole.body) {
        let page = m.get(&format!("/admin/operations/vergunningen?level={level}"));
        assert_eq!(page.status, 200);
        let public: Vec<Vec<(String, i32, String, String)>> = ["vg_r1", "vg_r2", "vg_r3"]
            .iter()
            .map(|r| crate::plans::series(s, r, &level))
            .collect();
        for (code, figures) in crate::plans::area_rows(&page.body) {
            if code.is_empty() {
                continue;
            }
            // opened, ten services, other, closed, median, 90th percentile
            assert_eq!(figures.len(), 15, "{code}: {figures:?}");
            let other = figures[11];
            others += usize::from(other.is_some());
            let mut rel = vec![cells.len() as u32];
            cells.push(other);
            secret.push(false);
            for rows in &public {
                for r in rows.iter().filter(|r| r.0 == code) {
                    let v = (r.3 != "x").then(|| r.2.parse::<f64>().unwrap_or(0.0));
                    hidden_years += usize::from(v.is_none());
                    rel.push(cells.len() as u32);
                    cells.push(v);
                    secret.push(v.is_none());
                }
            }
            rels.push(rel);
        }
    }
    assert!(
        hidden_years > 0,
        "no public year is hidden: the attack proves nothing"
    );
    assert!(others > 0, "no area's other is shown");
    let recovered: Vec<(u32, f64)> = peil_compute::checker::attack(&cells, &rels)
        .into_iter()
        .filter(|(x, _)| secret[*x as usize])
        .collect();
    assert!(recovered.is_empty(), "recovered {recovered:?}");
}

/// The years the dashboard's per-area table offers.
fn offered_years(body: &str) -> Vec<String> {
    let Some(select) = body.split("<select id=\"dash-year\" name=\"year\">").nth(1) else {
        return Vec::new();
    };
    select
        .split("</select>")
        .next()
        .unwrap()
        .split("<option value=\"")
        .skip(1)
        .map(|o| o.split('"').next().unwrap().to_string())
        .filter(|y| !y.is_empty())
        .collect()
}

/// The per-area table of a year (cases opened and closed in it) beside the table over all
/// months and the public yearly cells of the same counts (`vg_aanvragen`, `vg_beslissingen`):
/// each area's year is its public cell, its years add up to its whole register, a year's areas
/// to the year. A department member who reads them all recovers nothing hidden.
#[test]
fn the_per_area_table_of_a_year_gives_no_hidden_cell_away() {
    let p = permit_site(6000);
    let s = p.publish("vg_aanvragen");
    let mut m = p.department_member();
    let whole = m.get("/admin/operations/vergunningen");
    assert_eq!(whole.status, 200);
    let years = offered_years(&whole.body);
    assert_eq!(years, ["2021", "2022", "2023", "2024", "2025"], "{years:?}");
    assert_eq!(
        m.get("/admin/operations/vergunningen?level=wijk&year=twee")
            .status,
        400
    );
    let mut cells: Vec<Option<f64>> = Vec::new();
    let mut dashboard: Vec<bool> = Vec::new();
    let mut rels: Vec<Vec<u32>> = Vec::new();
    let mut cell = |v: Option<f64>, ours: bool, cells: &mut Vec<Option<f64>>| {
        cells.push(v);
        dashboard.push(ours);
        cells.len() as u32 - 1
    };
    let (mut public_hidden, mut figures, mut shown) = (0, 0, 0);
    for (ind, k) in [("vg_aanvragen", 0usize), ("vg_beslissingen", 1)] {
        // Each year over all areas: unknown, the same on every level.
        let totals: Vec<u32> = years
            .iter()
            .map(|_| cell(None, false, &mut cells))
            .collect();
        for level in crate::plans::offered_levels(&whole.body) {
            let all = crate::plans::area_rows(
                &m.get(&format!("/admin/operations/vergunningen?level={level}"))
                    .body,
            );
            let public = crate::plans::series(s, ind, &level);
            let by_year: Vec<Vec<(String, Vec<Option<f64>>)>> = years
                .iter()
                .map(|y| {
                    let page = m.get(&format!(
                        "/admin/operations/vergunningen?level={level}&year={y}"
                    ));
                    assert_eq!(page.status, 200);
                    crate::plans::area_rows(&page.body)
                })
                .collect();
            let mut per_year: Vec<Vec<u32>> = vec![Vec::new(); years.len()];
            for (code, f) in &all {
                let whole = if k == 0 { f[0] } else { f[f.len() - 3] };
                let w = cell(whole, true, &mut cells);
                let mut rel = vec![w];
                for (yi, y) in years.iter().enumerate() {
                    let row = by_year[yi].iter().find(|r| &r.0 == code).unwrap();
                    assert_eq!(row.1.len(), 2, "{level} {y} {code}: {:?}", row.1);
                    let v = row.1[k];
                    figures += 1;
                    shown += usize::from(v.is_some());
                    let fy = cell(v, true, &mut cells);
                    rel.push(fy);
                    per_year[yi].push(fy);
                    if code.is_empty() {
                        continue;
                    }
                    if let Some(r) = public
                        .iter()
                        .find(|r| &r.0 == code && r.1.to_string() == *y)
                    {
                        let pv = (r.3 != "x").then(|| r.2.parse::<f64>().unwrap_or(0.0));
                        public_hidden += usize::from(pv.is_none());
                        let pc = cell(pv, false, &mut cells);
                        rels.push(vec![fy, pc]);
                    }
                }
                rels.push(rel);
            }
            for (yi, parts) in per_year.into_iter().enumerate() {
                rels.push(std::iter::once(totals[yi]).chain(parts).collect());
            }
        }
    }
    assert!(
        public_hidden > 0,
        "no public year is hidden: the attack proves nothing"
    );
    assert!(
        shown * 2 >= figures,
        "{shown} of {figures} yearly figures shown"
    );
    // What the public cells give by themselves is no secret of the dashboard's.
    let mut public_only = cells.clone();
    for (x, v) in public_only.iter_mut().enumerate() {
        if dashboard[x] {
            *v = None;
        }
    }
    let mut secret: Vec<bool> = cells.iter().map(|c| c.is_none()).collect();
    for (x, _) in peil_compute::checker::attack(&public_only, &rels) {
        secret[x as usize] = false;
    }
    // The unknown totals are no published cell.
    for x in 0..cells.len() {
        if !dashboard[x]
            && cells[x].is_none()
            && !rels.iter().any(|r| r.len() == 2 && r[1] == x as u32)
        {
            secret[x] = false;
        }
    }
    let recovered: Vec<(u32, f64)> = peil_compute::checker::attack(&cells, &rels)
        .into_iter()
        .filter(|(x, _)| secret[*x as usize])
        .collect();
    assert!(recovered.is_empty(), "recovered {recovered:?}");
}

/// Granted applications split two ways, by procedure and by type, with no measure of their
/// total: `gewoon + vereenvoudigd = stedenbouw + other types` in every cell, through an
/// unpublished total.
const TWO_PARTITIONS: &str = r#"
[[measure]]
code = "vg_v_gewoon"
name = "Vergunde aanvragen, gewone procedure"
kind = "count"
date = "ingediend"
where = { procedure = ["gewoon"], uitkomst = ["vergund"] }

[[measure]]
code = "vg_v_vereenvoudigd"
name = "Vergunde aanvragen, vereenvoudigde procedure"
kind = "count"
date = "ingediend"
where = { procedure = ["vereenvoudigd"], uitkomst = ["vergund"] }

[[measure]]
code = "vg_v_stedenbouw"
name = "Vergunde aanvragen stedenbouw"
kind = "count"
date = "ingediend"
where = { type = ["stedenbouw"], uitkomst = ["vergund"] }

[[measure]]
code = "vg_v_anders"
name = "Andere vergunde aanvragen"
kind = "count"
date = "ingediend"
where = { type = ["milieu", "gemengd", "verkaveling", "melding"], uitkomst = ["vergund"] }
"#;

/// Two partitions of the same records with no published total: a part hidden where the other
/// part of its partition and the whole other partition are shown is their difference.
#[test]
fn two_partitions_without_a_published_total_give_no_hidden_cell_away() {
    let p = permit_site_with(6000, TWO_PARTITIONS);
    let s = p.publish("vg_v_anders");
    let by_procedure = ["vg_v_gewoon", "vg_v_vereenvoudigd"];
    let by_type = ["vg_v_stedenbouw", "vg_v_anders"];
    let mut c = Cells::read(s, &[&by_procedure[..], &by_type].concat(), &[], "statsec");
    c.equal("granted", &by_procedure, &by_type);
    c.check();
    let hidden: usize = by_procedure
        .iter()
        .chain(&by_type)
        .map(|q| c.hidden(q))
        .sum();
    assert!(
        hidden > 50,
        "{hidden} hidden parts: the attack proves nothing"
    );
    c.assert_nothing_recovered();
}

/// The decisions by outcome besides the share of permits granted: refused and withdrawn.
const OUTCOMES: &str = r#"
[[measure]]
code = "vg_geweigerd"
name = "Geweigerde aanvragen"
kind = "count"
date = "beslist"
where = { uitkomst = ["geweigerd"] }
periods = ["quarter", "year"]

[[measure]]
code = "vg_ingetrokken"
name = "Ingetrokken aanvragen"
kind = "count"
date = "beslist"
where = { uitkomst = ["ingetrokken"] }
periods = ["quarter", "year"]
"#;

/// The share of permits granted times its decisions is the number granted; with the refused
/// and the withdrawn it adds up to the decisions (`vg_vergund_n`): a hidden number refused is
/// the decisions less the granted and the withdrawn where those are shown.
#[test]
fn a_shares_hits_that_add_up_with_counts_give_no_hidden_cell_away() {
    let p = permit_site_with(6000, OUTCOMES);
    let s = p.publish("vg_ingetrokken");
    let counts = ["vg_geweigerd", "vg_ingetrokken"];
    let share = ["vg_vergund", "vg_vergund_n"];
    let mut c = Cells::read(s, &[&counts[..], &share].concat(), &share[..1], "statsec");
    c.share_hits(share[0], share[1], None);
    c.sum(
        share[1],
        &["vg_vergund × vg_vergund_n", counts[0], counts[1]],
    );
    c.check();
    let hidden: usize = counts.iter().map(|q| c.hidden(q)).sum();
    assert!(
        hidden > 50,
        "{hidden} hidden counts: the attack proves nothing"
    );
    c.assert_nothing_recovered();
}

/// Applications of overlapping kinds of permit: `stedenbouw or milieu`, `milieu or gemengd`,
/// `milieu` and the three together. No part is disjoint from the others, yet `ab + bc = b +
/// abc` in every cell (inclusion and exclusion): a hidden `milieu` is the other three's
/// difference.
const OVERLAPPING: &str = r#"
[[measure]]
code = "vg_t_ab"
name = "Aanvragen stedenbouw of milieu"
kind = "count"
date = "ingediend"
where = { type = ["stedenbouw", "milieu"] }

[[measure]]
code = "vg_t_bc"
name = "Aanvragen milieu of gemengd"
kind = "count"
date = "ingediend"
where = { type = ["milieu", "gemengd"] }

[[measure]]
code = "vg_t_b"
name = "Aanvragen milieu"
kind = "count"
date = "ingediend"
where = { type = ["milieu"] }

[[measure]]
code = "vg_t_abc"
name = "Aanvragen stedenbouw, milieu of gemengd"
kind = "count"
date = "ingediend"
where = { type = ["stedenbouw", "milieu", "gemengd"] }
"#;

/// Counts that overlap and add up by inclusion and exclusion, with no sum of disjoint parts
/// among them: nothing hidden comes back from the other three.
#[test]
fn overlapping_counts_that_add_up_by_inclusion_and_exclusion_give_no_hidden_cell_away() {
    let p = permit_site_with(6000, OVERLAPPING);
    let s = p.publish("vg_t_abc");
    let all = ["vg_t_ab", "vg_t_bc", "vg_t_b", "vg_t_abc"];
    let mut c = Cells::read(s, &all, &[], "statsec");
    c.equal("ab + bc", &all[..2], &all[2..]);
    c.check();
    let hidden: usize = all.iter().map(|q| c.hidden(q)).sum();
    assert!(
        hidden > 50,
        "{hidden} hidden counts: the attack proves nothing"
    );
    c.assert_nothing_recovered();
}
