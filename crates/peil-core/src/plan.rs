//! Policy monitoring (issue 17): a plan is a tree of goals (its levels named by the plan:
//! beleidsdoelstelling → actieplan → actie), each with an owner, a description, a period and
//! its key performance indicators (KPIs). A KPI reads an indicator of the databank on one
//! level and area (a measure over records is such an indicator, by its code), or, without a
//! data source, the values its owner enters in check-ins. Nothing here reads a file or a
//! database.
//!
//! **The status rule** ([`status`], the one every view uses). A KPI is judged on its latest
//! year that has an entry (a published value, or a check-in's value):
//! - *no data*: there is no such year, the entry is not a number (a hidden `x`, `?`, `nvt`,
//!   `-`), or the KPI has no target for that year;
//! - otherwise the *shortfall* is how far the value stays behind the target in the KPI's
//!   direction (`target − value` when higher is better, `value − target` when lower is
//!   better; zero or less when the target is met): *on track* when the shortfall is at most
//!   `on_track_within`, *at risk* when it is at most `at_risk_within`, *off track* beyond.
//!
//! **The target of a year** ([`Kpi::target`]): the target given for that year; between two
//! given years (the baseline counts as one, with its value) the straight line between them
//! (a trajectory); after the last given year, the last target; before the first, none.
//!
//! **Roll-up** ([`roll_up`]): a goal's status is the worst status among its KPIs and its
//! sub-goals (each rolled up the same way) that have data — off track before at risk before
//! on track; a goal none of whose KPIs and sub-goals has data has no data.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which way a KPI should go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Higher,
    Lower,
}

impl Direction {
    /// Reads `higher`/`hoger`/`up` or `lower`/`lager`/`down` (any case).
    pub fn parse(s: &str) -> Option<Direction> {
        match s.trim().to_lowercase().as_str() {
            "higher" | "hoger" | "up" | "+" => Some(Direction::Higher),
            "lower" | "lager" | "down" | "-" => Some(Direction::Lower),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
        }
    }
}

/// A KPI's (or a goal's) status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    // Ordered from the best to the worst; no data last (it never wins a roll-up).
    OnTrack,
    AtRisk,
    OffTrack,
    NoData,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::OnTrack,
        Status::AtRisk,
        Status::OffTrack,
        Status::NoData,
    ];

    /// The code in URLs and exports (`on_track`, …).
    pub fn code(self) -> &'static str {
        match self {
            Status::OnTrack => "on_track",
            Status::AtRisk => "at_risk",
            Status::OffTrack => "off_track",
            Status::NoData => "no_data",
        }
    }

    pub fn from_code(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.code() == s)
    }
}

/// One goal of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    pub code: String,
    /// The goal it belongs to (`None` for a top goal).
    pub parent: Option<String>,
    pub name: String,
    /// A back-office user's login or an access group's name.
    pub owner: String,
    pub description: String,
    /// The years it runs (inclusive).
    pub start: Option<i32>,
    pub end: Option<i32>,
}

/// One key performance indicator of a goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kpi {
    pub code: String,
    pub goal: String,
    pub name: String,
    /// A user's login or a group's name; empty: the goal's owner.
    pub owner: String,
    /// The data source: an indicator code (a measure's code for a measure over records) with
    /// the geo level and area code it is read on; `None`: values come from check-ins.
    pub indicator: Option<String>,
    pub level: Option<String>,
    pub area: Option<String>,
    pub baseline: Option<f64>,
    pub baseline_year: Option<i32>,
    /// Targets by year.
    pub targets: BTreeMap<i32, f64>,
    pub direction: Direction,
    /// How far the value may stay behind the target and still be on track, and at risk.
    pub on_track_within: f64,
    pub at_risk_within: f64,
    pub unit: String,
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The plan's name in URLs (`meerjarenplan`): letters, digits, `_`, `-`.
    pub name: String,
    pub title: String,
    /// The names of the goal levels, top first (`beleidsdoelstelling`, `actieplan`, `actie`).
    pub levels: Vec<String>,
    /// Whether everyone may see its scorecard (else logged-in users of the back office only).
    pub public: bool,
    /// Goals in the template's order (a parent before its children).
    pub goals: Vec<Goal>,
    pub kpis: Vec<Kpi>,
}

/// Whether a name is fit for a plan, goal or KPI code.
pub fn plain_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl Kpi {
    /// The target of a year (see the module's rule): given, on the line between two given
    /// points (the baseline is one), the last one after them, none before.
    pub fn target(&self, year: i32) -> Option<f64> {
        let mut points: BTreeMap<i32, f64> = self.targets.clone();
        if let (Some(y), Some(b)) = (self.baseline_year, self.baseline) {
            points.entry(y).or_insert(b);
        }
        if let Some(t) = points.get(&year) {
            return Some(*t);
        }
        let before = points.range(..year).next_back();
        let after = points.range(year..).next();
        match (before, after) {
            (Some((&y0, &v0)), Some((&y1, &v1))) => {
                Some(v0 + (v1 - v0) * f64::from(year - y0) / f64::from(y1 - y0))
            }
            (Some(_), None) => self.targets.iter().next_back().map(|(_, v)| *v),
            _ => None,
        }
    }

    /// Whether values come from check-ins rather than the databank.
    pub fn manual(&self) -> bool {
        self.indicator.is_none()
    }
}

/// The status of a value against a target (the rule in the module's documentation).
/// `value` is `None` for no value or one that is not a number (hidden, unknown).
pub fn status(kpi: &Kpi, year: i32, value: Option<f64>) -> Status {
    let (Some(v), Some(t)) = (value, kpi.target(year)) else {
        return Status::NoData;
    };
    if !v.is_finite() || !t.is_finite() {
        return Status::NoData;
    }
    let shortfall = match kpi.direction {
        Direction::Higher => t - v,
        Direction::Lower => v - t,
    };
    // A tiny margin so a value equal to the target after decimal arithmetic counts as met.
    let eps = 1e-9 * t.abs().max(1.0);
    if shortfall <= kpi.on_track_within + eps {
        Status::OnTrack
    } else if shortfall <= kpi.at_risk_within + eps {
        Status::AtRisk
    } else {
        Status::OffTrack
    }
}

/// Where a KPI stands: its latest entry, the target of that year and the status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiState {
    pub year: Option<i32>,
    /// The latest entry's number (`None`: no entry, or a code in `code`).
    pub value: Option<f64>,
    /// The missing code of the latest entry (`x` for a hidden value), if it is one.
    pub code: Option<&'static str>,
    pub target: Option<f64>,
    pub status: Status,
}

/// A KPI's state from its yearly entries: `series` holds (year, value) pairs, where a value
/// is `Err(symbol)` for a missing code (`x`, `?`, …). The latest year decides.
pub fn kpi_state(kpi: &Kpi, series: &[(i32, Result<f64, &'static str>)]) -> KpiState {
    let Some((year, entry)) = series.iter().max_by_key(|(y, _)| *y) else {
        return KpiState {
            year: None,
            value: None,
            code: None,
            target: None,
            status: Status::NoData,
        };
    };
    let value = entry.ok();
    KpiState {
        year: Some(*year),
        value,
        code: entry.err(),
        target: kpi.target(*year),
        status: status(kpi, *year, value),
    }
}

/// A goal's status from the statuses of its KPIs and sub-goals (the rule in the module's
/// documentation): the worst that has data, else no data.
pub fn roll_up(children: impl IntoIterator<Item = Status>) -> Status {
    children
        .into_iter()
        .filter(|s| *s != Status::NoData)
        .max()
        .unwrap_or(Status::NoData)
}

impl Plan {
    /// A goal by code.
    pub fn goal(&self, code: &str) -> Option<&Goal> {
        self.goals.iter().find(|g| g.code == code)
    }

    pub fn kpi(&self, code: &str) -> Option<&Kpi> {
        self.kpis.iter().find(|k| k.code == code)
    }

    /// A goal's depth (0 for a top goal).
    pub fn depth(&self, code: &str) -> usize {
        let mut d = 0;
        let mut at = self.goal(code).and_then(|g| g.parent.clone());
        while let Some(p) = at {
            d += 1;
            if d > self.goals.len() {
                break;
            }
            at = self.goal(&p).and_then(|g| g.parent.clone());
        }
        d
    }

    /// The name of a goal's level.
    pub fn level_name(&self, code: &str) -> &str {
        let d = self.depth(code);
        self.levels.get(d).map(String::as_str).unwrap_or("")
    }

    pub fn children<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Goal> + 'a {
        self.goals
            .iter()
            .filter(move |g| g.parent.as_deref() == Some(code))
    }

    pub fn kpis_of<'a>(&'a self, goal: &'a str) -> impl Iterator<Item = &'a Kpi> + 'a {
        self.kpis.iter().filter(move |k| k.goal == goal)
    }

    /// The owner a KPI answers to: its own, else its goal's.
    pub fn kpi_owner<'a>(&'a self, kpi: &'a Kpi) -> &'a str {
        if kpi.owner.is_empty() {
            self.goal(&kpi.goal).map(|g| g.owner.as_str()).unwrap_or("")
        } else {
            &kpi.owner
        }
    }

    /// Who may check in on a KPI (the one rule of the back office's form): an administrator,
    /// the KPI's owner (its own, else its goal's) by login, or a member of the owner group.
    pub fn may_check_in(&self, kpi: &Kpi, login: &str, groups: &[String], admin: bool) -> bool {
        let owner = self.kpi_owner(kpi);
        admin || (!owner.is_empty() && (owner == login || groups.iter().any(|g| g == owner)))
    }

    /// Every goal's rolled-up status, given each KPI's status (by KPI code; a KPI left out
    /// has no data).
    pub fn goal_statuses(&self, kpi_status: &BTreeMap<String, Status>) -> BTreeMap<String, Status> {
        let mut out = BTreeMap::new();
        // Children come after their parents in `goals`; walking backwards settles them first.
        // A plan read by `check` has no cycles, and `depth` bounds the walk regardless.
        let mut order: Vec<&Goal> = self.goals.iter().collect();
        order.sort_by_key(|g| std::cmp::Reverse(self.depth(&g.code)));
        for g in order {
            let kpis = self
                .kpis_of(&g.code)
                .map(|k| kpi_status.get(&k.code).copied().unwrap_or(Status::NoData));
            let subs: Vec<Status> = self
                .children(&g.code)
                .map(|c| out.get(&c.code).copied().unwrap_or(Status::NoData))
                .collect();
            out.insert(g.code.clone(), roll_up(kpis.chain(subs)));
        }
        out
    }

    /// Every mistake of a plan's structure, as (what it is about — `goal CODE`, `kpi CODE` —,
    /// the field, what is wrong); empty when it is sound. Row-level checks (numbers, codes)
    /// are the reader's; these are the ones between rows.
    pub fn check(&self) -> Vec<(String, &'static str, String)> {
        let mut out = Vec::new();
        if !plain_code(&self.name) {
            out.push((
                "plan".into(),
                "name",
                "expected a plan name of letters, digits, '_', '-' or '.'".into(),
            ));
        }
        if self.levels.is_empty() {
            out.push((
                "plan".into(),
                "levels",
                "expected at least one goal level".into(),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for g in &self.goals {
            let what = format!("goal {}", g.code);
            if !seen.insert(g.code.as_str()) {
                out.push((what.clone(), "code", "expected each goal code once".into()));
            }
            if let Some(p) = &g.parent {
                if self.goal(p).is_none() {
                    out.push((what.clone(), "parent", format!("no goal '{p}' in the plan")));
                    continue;
                }
                // A cycle: walking up never reaches a top goal.
                let mut at = Some(p.clone());
                let mut steps = 0;
                while let Some(c) = at {
                    if c == g.code || steps > self.goals.len() {
                        out.push((
                            what.clone(),
                            "parent",
                            "the goals' parents form a cycle".into(),
                        ));
                        break;
                    }
                    steps += 1;
                    at = self.goal(&c).and_then(|x| x.parent.clone());
                }
            }
            if self.depth(&g.code) >= self.levels.len() && !self.levels.is_empty() {
                out.push((
                    what.clone(),
                    "parent",
                    format!(
                        "the plan has {} goal levels ({}); this goal would be deeper",
                        self.levels.len(),
                        self.levels.join(", ")
                    ),
                ));
            }
            if let (Some(a), Some(b)) = (g.start, g.end)
                && b < a
            {
                out.push((what, "end", format!("expected a year from {a} on")));
            }
        }
        let mut kseen = std::collections::BTreeSet::new();
        for k in &self.kpis {
            let what = format!("kpi {}", k.code);
            if !kseen.insert(k.code.as_str()) {
                out.push((what.clone(), "code", "expected each KPI code once".into()));
            }
            if self.goal(&k.goal).is_none() {
                out.push((
                    what.clone(),
                    "goal",
                    format!("no goal '{}' in the plan", k.goal),
                ));
            }
            if k.indicator.is_some() && (k.level.is_none() || k.area.is_none()) {
                out.push((
                    what.clone(),
                    "area",
                    "a KPI over an indicator needs its level and area".into(),
                ));
            }
            if k.targets.is_empty() {
                out.push((
                    what.clone(),
                    "targets",
                    "expected at least one target".into(),
                ));
            }
            if !(k.on_track_within >= 0.0 && k.at_risk_within >= k.on_track_within) {
                out.push((
                    what,
                    "at_risk_within",
                    "expected 0 ≤ on_track_within ≤ at_risk_within".into(),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kpi(direction: Direction, targets: &[(i32, f64)], on: f64, risk: f64) -> Kpi {
        Kpi {
            code: "k".into(),
            goal: "g".into(),
            name: "k".into(),
            owner: String::new(),
            indicator: None,
            level: None,
            area: None,
            baseline: Some(50.0),
            baseline_year: Some(2020),
            targets: targets.iter().copied().collect(),
            direction,
            on_track_within: on,
            at_risk_within: risk,
            unit: String::new(),
        }
    }

    #[test]
    fn status_on_a_table_of_cases() {
        use Direction::*;
        use Status::*;
        let up = kpi(Higher, &[(2024, 70.0), (2026, 80.0)], 1.0, 5.0);
        let down = kpi(Lower, &[(2024, 30.0)], 0.0, 2.0);
        // (kpi, year, value, expected)
        let cases: &[(&Kpi, i32, Option<f64>, Status)] = &[
            (&up, 2024, Some(70.0), OnTrack),  // the target met exactly
            (&up, 2024, Some(90.0), OnTrack),  // beyond it
            (&up, 2024, Some(69.0), OnTrack),  // short by the on-track band
            (&up, 2024, Some(68.9), AtRisk),   // just beyond it
            (&up, 2024, Some(65.0), AtRisk),   // short by the at-risk band
            (&up, 2024, Some(64.9), OffTrack), // beyond it
            (&up, 2025, Some(75.0), OnTrack),  // trajectory: 2025's target is 75
            (&up, 2025, Some(73.5), AtRisk),   // short by 1.5
            (&up, 2022, Some(60.0), OnTrack),  // between baseline 50 (2020) and 70 (2024): 60
            (&up, 2022, Some(54.0), OffTrack), // short by 6
            (&up, 2030, Some(80.0), OnTrack),  // after the last target: 80 stays
            (&up, 2030, Some(74.0), OffTrack), // short by 6
            (&up, 2019, Some(10.0), NoData),   // before the baseline: no target
            (&up, 2024, None, NoData),         // no value (or a hidden one)
            (&up, 2024, Some(f64::NAN), NoData),
            (&down, 2024, Some(25.0), OnTrack), // lower is better
            (&down, 2024, Some(30.0), OnTrack),
            (&down, 2024, Some(31.0), AtRisk),
            (&down, 2024, Some(32.0), AtRisk),
            (&down, 2024, Some(32.5), OffTrack),
            (&down, 2022, Some(40.0), OnTrack), // 2022 on the line 50 → 30: 40
            (&down, 2022, Some(41.0), AtRisk),
        ];
        for (k, y, v, want) in cases {
            assert_eq!(status(k, *y, *v), *want, "{:?} {y} {v:?}", k.direction);
        }
    }

    #[test]
    fn state_takes_the_latest_entry() {
        let k = kpi(Direction::Higher, &[(2024, 70.0)], 0.0, 5.0);
        let s = kpi_state(&k, &[(2023, Ok(80.0)), (2024, Ok(66.0))]);
        assert_eq!(
            (s.year, s.target, s.status),
            (Some(2024), Some(70.0), Status::AtRisk)
        );
        // A hidden latest value is no data (an older value does not stand in for it).
        let s = kpi_state(&k, &[(2023, Ok(80.0)), (2024, Err("x"))]);
        assert_eq!(
            (s.value, s.code, s.status),
            (None, Some("x"), Status::NoData)
        );
        assert_eq!(kpi_state(&k, &[]).status, Status::NoData);
    }

    #[test]
    fn roll_up_on_a_table_of_cases() {
        use Status::*;
        let cases: &[(&[Status], Status)] = &[
            (&[], NoData),
            (&[NoData, NoData], NoData),
            (&[OnTrack], OnTrack),
            (&[OnTrack, NoData], OnTrack),
            (&[OnTrack, AtRisk], AtRisk),
            (&[AtRisk, OnTrack, NoData], AtRisk),
            (&[OnTrack, OffTrack, AtRisk], OffTrack),
            (&[NoData, OffTrack], OffTrack),
        ];
        for (children, want) in cases {
            assert_eq!(roll_up(children.iter().copied()), *want, "{children:?}");
        }
    }

    fn goal(code: &str, parent: Option<&str>) -> Goal {
        Goal {
            code: code.into(),
            parent: parent.map(Into::into),
            name: code.into(),
            owner: "o".into(),
            description: String::new(),
            start: None,
            end: None,
        }
    }

    #[test]
    fn goals_roll_up_through_sub_goals() {
        let mut k1 = kpi(Direction::Higher, &[(2024, 1.0)], 0.0, 0.0);
        k1.code = "k1".into();
        k1.goal = "a1".into();
        let mut k2 = k1.clone();
        k2.code = "k2".into();
        k2.goal = "ap1".into();
        let mut k3 = k1.clone();
        k3.code = "k3".into();
        k3.goal = "bd2".into();
        let plan = Plan {
            name: "p".into(),
            title: "p".into(),
            levels: vec!["bd".into(), "ap".into(), "a".into()],
            public: true,
            goals: vec![
                goal("bd1", None),
                goal("ap1", Some("bd1")),
                goal("a1", Some("ap1")),
                goal("a2", Some("ap1")),
                goal("bd2", None),
                goal("bd3", None),
            ],
            kpis: vec![k1, k2, k3],
        };
        assert!(plan.check().is_empty(), "{:?}", plan.check());
        // Check-ins: the owner (by login or group, the goal's when the KPI names none) or an
        // administrator, nobody else.
        let k1 = plan.kpi("k1").unwrap();
        assert!(plan.may_check_in(k1, "o", &[], false));
        assert!(plan.may_check_in(k1, "ann", &["o".into()], false));
        assert!(!plan.may_check_in(k1, "ann", &["other".into()], false));
        assert!(plan.may_check_in(k1, "root", &[], true));
        assert_eq!(plan.level_name("a1"), "a");
        let ks: BTreeMap<String, Status> = [
            ("k1".to_string(), Status::OffTrack),
            ("k2".to_string(), Status::OnTrack),
            ("k3".to_string(), Status::AtRisk),
        ]
        .into();
        let g = plan.goal_statuses(&ks);
        assert_eq!(g["a1"], Status::OffTrack);
        assert_eq!(g["a2"], Status::NoData);
        assert_eq!(g["ap1"], Status::OffTrack); // its own KPI on track, a sub-goal off track
        assert_eq!(g["bd1"], Status::OffTrack);
        assert_eq!(g["bd2"], Status::AtRisk);
        assert_eq!(g["bd3"], Status::NoData);
    }

    #[test]
    fn check_finds_structural_mistakes() {
        let mut k = kpi(Direction::Higher, &[], 2.0, 1.0);
        k.goal = "nope".into();
        k.indicator = Some("i".into());
        let plan = Plan {
            name: "p p".into(),
            title: String::new(),
            levels: vec!["one".into()],
            public: false,
            goals: vec![
                goal("a", Some("b")),
                goal("b", Some("a")),
                goal("c", None),
                goal("d", Some("c")),
                goal("c", Some("zz")),
            ],
            kpis: vec![k],
        };
        let found: Vec<String> = plan
            .check()
            .into_iter()
            .map(|(w, f, _)| format!("{w}.{f}"))
            .collect();
        for want in [
            "plan.name",
            "goal a.parent",
            "goal d.parent",
            "goal c.code",
            "goal c.parent",
            "kpi k.goal",
            "kpi k.area",
            "kpi k.targets",
            "kpi k.at_risk_within",
        ] {
            assert!(found.iter().any(|f| f == want), "{want} not in {found:?}");
        }
    }
}
