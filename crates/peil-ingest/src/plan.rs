//! Plan workbooks (issue 17): a policy plan's goals and KPIs from the template Peil documents
//! (handbook, chapter "Beleidsmonitoring"). A workbook (XLSX, ODS, XLS) holds the sheets
//! `goals` and `kpis`; as CSV they are two files.
//!
//! `goals`: `code`, `parent` (empty for a top goal), `name`, `owner`, `description`, `start`,
//! `end` (years). `kpis`: `code`, `goal`, `name`, `owner` (empty: the goal's), `indicator`,
//! `level`, `area` (all three empty: values come from check-ins), `unit`, `direction`
//! (`higher`/`lower`), `baseline`, `baseline year`, `on track within`, `at risk within`, and
//! one column per target year (`target 2026`, or just `2026`).
//!
//! Every cell is checked — codes, years, numbers, the direction, owners that are users or
//! groups of the back office, indicators, levels and areas the site knows — and then the tree
//! (`Plan::check`: parents that exist, no cycles, no deeper than the plan's levels); every
//! problem names file, sheet, row and column.

use crate::areas::Read;
use crate::table::{Table, TableOptions};
use peil_core::plan::{Direction, Goal, Kpi, Plan, plain_code};
use peil_core::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// What the site knows that a plan refers to.
pub struct PlanContext<'a> {
    pub catalog: &'a Catalog,
    /// Logins of back-office users and names of access groups.
    pub owners: &'a HashSet<String>,
}

const GOAL_COLUMNS: [&str; 7] = [
    "code",
    "parent",
    "name",
    "owner",
    "description",
    "start",
    "end",
];
const KPI_COLUMNS: [&str; 12] = [
    "code",
    "goal",
    "name",
    "owner",
    "indicator",
    "level",
    "area",
    "unit",
    "direction",
    "baseline",
    "baseline year",
    "at risk within",
];

/// A target column's year: `target 2026`, `doel 2026` or `2026`.
fn target_year(h: &str) -> Option<i32> {
    let h = h.trim().to_lowercase();
    let y = h
        .strip_prefix("target")
        .or_else(|| h.strip_prefix("doel"))
        .unwrap_or(&h)
        .trim();
    (y.len() == 4).then(|| y.parse().ok()).flatten()
}

fn number(raw: &str) -> Option<f64> {
    let sep = if raw.contains(',') && !raw.contains('.') {
        DecimalSeparator::Comma
    } else {
        DecimalSeparator::Point
    };
    parse_number(raw, sep).filter(|v| v.is_finite())
}

fn year(raw: &str) -> Option<i32> {
    raw.trim()
        .trim_end_matches(".0")
        .parse()
        .ok()
        .filter(|y| (1900..=2200).contains(y))
}

/// Opens one of the plan's tables: a workbook's sheet by name, or a CSV file.
fn open(path: &Path, sheet: &str, topts: &TableOptions) -> Result<Table, Box<Problem>> {
    let mut o = topts.clone();
    if crate::table::is_workbook(path) {
        o.sheet = Some(sheet.to_string());
    }
    Table::open(path, &o, &|_, _| true)
}

/// Reads a plan's goals and KPIs. `kpis` is the KPI file of a CSV pair; for a workbook it is
/// the same file (its sheet `kpis`). `head` carries the plan's name, title, levels and
/// visibility (its goals and KPIs are replaced by the file's).
pub fn read_plan(
    goals: &Path,
    kpis: &Path,
    topts: &TableOptions,
    head: Plan,
    cx: &PlanContext,
) -> Read<Plan> {
    let mut out: Read<Plan> = Read::default();
    let mut plan = head;
    plan.goals.clear();
    plan.kpis.clear();
    let mut rows_of: HashMap<String, (Place, u64)> = HashMap::new();
    // Goals.
    let mut t = match open(goals, "goals", topts) {
        Ok(t) => t,
        Err(p) => return Read::fail(*p),
    };
    let Some(cols) = columns(&t, &GOAL_COLUMNS, &mut out.problems) else {
        return out;
    };
    let place = t.place.clone();
    let problems = &mut out.problems;
    let mut rows = 0;
    let r = t.for_each_row(|line, cells| {
        rows += 1;
        let cell = |k: usize| cells.get(cols[k]).map(|s| s.trim()).unwrap_or("");
        if cells.iter().all(|c| c.trim().is_empty()) {
            return true;
        }
        let mut err = |col: &str, v: &str, msg: &str| {
            problems.error(
                &place,
                Some(line),
                Some(col),
                (!v.is_empty()).then_some(v),
                msg,
            )
        };
        let code = cell(0);
        if !plain_code(code) {
            err(
                "code",
                code,
                "expected a goal code of letters, digits, '_', '-' or '.'",
            );
        }
        let owner = cell(3);
        if !cx.owners.contains(owner) {
            err(
                "owner",
                owner,
                "expected the login of a back-office user or the name of an access group",
            );
        }
        if cell(2).is_empty() {
            err("name", "", "expected the goal's name");
        }
        let mut years = [None, None];
        for (k, y) in [5usize, 6].into_iter().zip(years.iter_mut()) {
            let raw = cell(k);
            if !raw.is_empty() {
                *y = year(raw);
                if y.is_none() {
                    err(
                        GOAL_COLUMNS[k],
                        raw,
                        "expected a year (2026) or an empty cell",
                    );
                }
            }
        }
        rows_of.insert(format!("goal {code}"), (place.clone(), line));
        plan.goals.push(Goal {
            code: code.to_string(),
            parent: Some(cell(1)).filter(|p| !p.is_empty()).map(String::from),
            name: cell(2).to_string(),
            owner: owner.to_string(),
            description: cell(4).to_string(),
            start: years[0],
            end: years[1],
        });
        !problems.saturated()
    });
    if let Err(p) = r {
        out.problems.list.push(*p);
        out.problems.errors += 1;
    }
    out.rows += rows;
    // KPIs.
    let mut t = match open(kpis, "kpis", topts) {
        Ok(t) => t,
        Err(p) => {
            out.problems.list.push(*p);
            out.problems.errors += 1;
            return out;
        }
    };
    let Some(cols) = columns(&t, &KPI_COLUMNS, &mut out.problems) else {
        return out;
    };
    let on_col = t
        .header
        .iter()
        .position(|h| h.eq_ignore_ascii_case("on track within"));
    let targets: Vec<(usize, i32)> = t
        .header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| Some((i, target_year(h)?)))
        .collect();
    let place = t.place.clone();
    if targets.is_empty() {
        out.problems.error(
            &place,
            Some(t.header_row),
            None,
            None,
            "expected target columns (target 2026, target 2027, … or 2026, 2027, …)",
        );
        return out;
    }
    let header = t.header.clone();
    let problems = &mut out.problems;
    let mut rows = 0;
    let r = t.for_each_row(|line, cells| {
        rows += 1;
        if cells.iter().all(|c| c.trim().is_empty()) {
            return true;
        }
        let at = |i: usize| cells.get(i).map(|s| s.trim()).unwrap_or("");
        let cell = |k: usize| at(cols[k]);
        let mut err = |col: &str, v: &str, msg: &str| {
            problems.error(&place, Some(line), Some(col), (!v.is_empty()).then_some(v), msg)
        };
        let code = cell(0);
        if !plain_code(code) {
            err("code", code, "expected a KPI code of letters, digits, '_', '-' or '.'");
        }
        let owner = cell(3);
        if !owner.is_empty() && !cx.owners.contains(owner) {
            err(
                "owner",
                owner,
                "expected the login of a back-office user, the name of an access group, or an empty cell (the goal's owner)",
            );
        }
        if cell(2).is_empty() {
            err("name", "", "expected the KPI's name");
        }
        let (ind, level, area) = (cell(4), cell(5), cell(6));
        let source = if ind.is_empty() && level.is_empty() && area.is_empty() {
            None
        } else {
            if !cx.catalog.indicators.contains_key(ind) {
                err(
                    "indicator",
                    ind,
                    "expected the code of an indicator of the site (a measure's code for a measure over records), or an empty cell for a KPI entered in check-ins",
                );
            }
            match cx.catalog.levels.get(level) {
                None => err("level", level, "expected a geo level of the site"),
                Some(l) => {
                    if normalize_code(area).is_none_or(|a| !l.items.contains_key(&a)) {
                        err("area", area, &format!("expected an area code of level {level}"));
                    }
                }
            }
            Some((
                ind.to_string(),
                level.to_string(),
                normalize_code(area).unwrap_or_default(),
            ))
        };
        let direction = Direction::parse(cell(8));
        if direction.is_none() {
            err("direction", cell(8), "expected higher or lower");
        }
        let mut num = |k: Option<usize>, name: &str, required: bool| -> Option<f64> {
            let raw = k.map(at).unwrap_or("");
            if raw.is_empty() {
                if required {
                    err(name, "", "expected a number");
                }
                return None;
            }
            let v = number(raw);
            if v.is_none() {
                err(name, raw, "expected a number or an empty cell");
            }
            v
        };
        let baseline = num(Some(cols[9]), "baseline", false);
        let on = num(on_col, "on track within", false).unwrap_or(0.0);
        let risk = num(Some(cols[11]), "at risk within", true).unwrap_or(0.0);
        let mut tg = BTreeMap::new();
        for &(i, y) in &targets {
            if let Some(v) = num(Some(i), &header[i], false) {
                tg.insert(y, v);
            }
        }
        let raw_by = cell(10);
        let baseline_year = if raw_by.is_empty() {
            None
        } else {
            let y = year(raw_by);
            if y.is_none() {
                err("baseline year", raw_by, "expected a year (2024) or an empty cell");
            }
            y
        };
        if baseline.is_some() != baseline_year.is_some() {
            err(
                "baseline year",
                raw_by,
                "expected a baseline and its year together, or neither",
            );
        }
        rows_of.insert(format!("kpi {code}"), (place.clone(), line));
        let (indicator, level, area) = match source {
            Some((i, l, a)) => (Some(i), Some(l), Some(a)),
            None => (None, None, None),
        };
        plan.kpis.push(Kpi {
            code: code.to_string(),
            goal: cell(1).to_string(),
            name: cell(2).to_string(),
            owner: owner.to_string(),
            indicator,
            level,
            area,
            baseline,
            baseline_year,
            targets: tg,
            direction: direction.unwrap_or(Direction::Higher),
            on_track_within: on,
            at_risk_within: risk,
            unit: cell(7).to_string(),
        });
        !problems.saturated()
    });
    if let Err(p) = r {
        out.problems.list.push(*p);
        out.problems.errors += 1;
    }
    out.rows += rows;
    if out.problems.has_errors() {
        return out;
    }
    for (what, field, msg) in plan.check() {
        let (place, row) = rows_of
            .get(&what)
            .cloned()
            .map(|(p, r)| (p, Some(r)))
            .unwrap_or_else(|| (Place::file(crate::table::file_name(goals)), None));
        out.problems
            .error(&place, row, Some(field), None, format!("{what}: {msg}"));
    }
    if !out.problems.has_errors() {
        out.batch = Some(plan);
    }
    out
}

/// The positions of the expected columns (case-insensitive), or a problem naming the missing.
fn columns(t: &Table, want: &[&str], problems: &mut Problems) -> Option<Vec<usize>> {
    let find = |c: &str| t.header.iter().position(|h| h.eq_ignore_ascii_case(c));
    let missing: Vec<&str> = want.iter().copied().filter(|c| find(c).is_none()).collect();
    if !missing.is_empty() {
        problems.error(
            &t.place,
            Some(t.header_row),
            None,
            None,
            format!(
                "the header lacks the column(s) {}; found: {}",
                missing.join(", "),
                t.header.join(", ")
            ),
        );
        return None;
    }
    Some(want.iter().map(|c| find(c).unwrap_or(0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> (Catalog, HashSet<String>) {
        let mut catalog = Catalog::default();
        let mut l = peil_core::LevelCatalog::default();
        l.items.insert("11002".into(), 1);
        catalog.levels.insert("gemeente".into(), l);
        catalog.indicators.insert(
            "bev".into(),
            peil_core::IndicatorCatalog {
                data_type: DataType::Numeric,
                is_formula: false,
                formula: None,
                dim_levels: vec![],
            },
        );
        (catalog, ["dienst".to_string(), "ann".to_string()].into())
    }

    fn head() -> Plan {
        Plan {
            name: "mjp".into(),
            title: "Meerjarenplan".into(),
            levels: vec!["beleidsdoelstelling".into(), "actieplan".into()],
            public: true,
            goals: vec![],
            kpis: vec![],
        }
    }

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_a_plan_and_names_every_bad_cell() {
        let dir = tempfile::tempdir().unwrap();
        let (catalog, owners) = context();
        let cx = PlanContext {
            catalog: &catalog,
            owners: &owners,
        };
        let g = write(
            dir.path(),
            "goals.csv",
            "code;parent;name;owner;description;start;end\nbd1;;Wonen;dienst;;2026;2031\nap1;bd1;Vergunningen;ann;Sneller;2026;2031\n",
        );
        let k = write(
            dir.path(),
            "kpis.csv",
            "code;goal;name;owner;indicator;level;area;unit;direction;baseline;baseline year;on track within;at risk within;target 2026;target 2031\nk1;ap1;Inwoners;;bev;gemeente;11002;;higher;100;2024;0;5;110;150\nk2;ap1;Tevredenheid;ann;;;;%;hoger;;;1;3;70;80\n",
        );
        let r = read_plan(&g, &k, &TableOptions::default(), head(), &cx);
        assert!(!r.problems.has_errors(), "{:?}", r.problems);
        let p = r.batch.unwrap();
        assert_eq!(p.goals.len(), 2);
        assert_eq!(p.kpis[0].indicator.as_deref(), Some("bev"));
        assert_eq!(p.kpis[0].target(2026), Some(110.0));
        assert!(p.kpis[1].manual());
        assert_eq!(p.kpi_owner(&p.kpis[0]), "ann");

        let g = write(
            dir.path(),
            "goals2.csv",
            "code;parent;name;owner;description;start;end\nbd1;;Wonen;nobody;;2026;20x1\nap1;zz;Vergunningen;ann;;;\n",
        );
        let k = write(
            dir.path(),
            "kpis2.csv",
            "code;goal;name;owner;indicator;level;area;unit;direction;baseline;baseline year;on track within;at risk within;target 2026\nk1;ap1;Inwoners;;nope;gemeente;99999;;sideways;1o0;2024;0;;110\n",
        );
        let r = read_plan(&g, &k, &TableOptions::default(), head(), &cx);
        let found: Vec<(String, u64, String)> = r
            .problems
            .errors()
            .map(|p| {
                (
                    p.file.clone(),
                    p.row.unwrap_or(0),
                    p.column.clone().unwrap_or_default(),
                )
            })
            .collect();
        for want in [
            ("goals2.csv", 2, "owner"),
            ("goals2.csv", 2, "end"),
            ("kpis2.csv", 2, "indicator"),
            ("kpis2.csv", 2, "area"),
            ("kpis2.csv", 2, "direction"),
            ("kpis2.csv", 2, "baseline"),
            ("kpis2.csv", 2, "at risk within"),
        ] {
            assert!(
                found
                    .iter()
                    .any(|(f, r, c)| (f.as_str(), *r, c.as_str()) == want),
                "{want:?} not in {found:?}"
            );
        }
        assert!(r.batch.is_none());
        // The tree is checked once the cells are sound: a parent that does not exist.
        let g = write(
            dir.path(),
            "goals3.csv",
            "code;parent;name;owner;description;start;end\nbd1;;Wonen;dienst;;;\nap1;zz;Vergunningen;ann;;;\n",
        );
        let k = write(
            dir.path(),
            "kpis3.csv",
            "code;goal;name;owner;indicator;level;area;unit;direction;baseline;baseline year;on track within;at risk within;target 2026\nk1;bd1;Tevreden;;;;;;higher;;;0;1;1\n",
        );
        let r = read_plan(&g, &k, &TableOptions::default(), head(), &cx);
        let e: Vec<_> = r.problems.errors().collect();
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            (e[0].row, e[0].column.as_deref()),
            (Some(3), Some("parent"))
        );
    }
}
