//! The operational dashboard of a record set (issue 17): for a department head, per month the
//! cases opened, closed and still open at the month's end (the backlog); the distribution of
//! throughput times (days from opening to closing) with its median and 90th percentile; and
//! the top categories — for the whole register, or drilled down to one month (the cases
//! closed in it for throughput times, the cases opened in it for categories).
//!
//! Only aggregates leave this module, through the set's threshold:
//! - a month's count of opened or closed cases that is not 0 but below the threshold is
//!   hidden (`x`); the backlog is the running sum of opened minus closed, so from the first
//!   month with a hidden count on, every backlog is hidden too (any later backlog would give
//!   the hidden count as a difference of visible figures); before it the backlog is
//!   determined by visible counts and shown;
//! - the median and percentile are hidden over fewer closed cases than the threshold;
//! - throughput classes and categories are never hidden cells: a class below the threshold
//!   is merged with its neighbour (the ranges widen), a category below it joins "other", and
//!   when "other" itself would be below it the smallest category shown joins it too — so no
//!   small count can be read as a difference with the total.

use crate::measures::percentile;
use peil_core::records::{DashboardDef, Day, NO_DATE, RecordSetDef, Records, month_index};
use peil_core::{MissingCode, Value};
use std::collections::HashMap;

/// One month of the trend.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MonthRow {
    /// `year·12 + month − 1` (see `peil_core::records::month_index`).
    pub month: i32,
    #[serde(serialize_with = "ser_value")]
    pub opened: Value,
    #[serde(serialize_with = "ser_value")]
    pub closed: Value,
    /// The cases open at the month's end.
    #[serde(serialize_with = "ser_value")]
    pub backlog: Value,
}

/// One throughput-time class: from `lo` to `hi` days (inclusive; `hi` `None`: and more).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Class {
    pub lo: u32,
    pub hi: Option<u32>,
    pub count: u64,
}

/// A dashboard as the page shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Dashboard {
    pub months: Vec<MonthRow>,
    /// The month drilled down to, if any.
    pub focus: Option<i32>,
    /// Closed cases (in the focus month, or all) with a throughput time; when it is hidden,
    /// there are no classes either.
    #[serde(serialize_with = "ser_value")]
    pub closed: Value,
    pub classes: Vec<Class>,
    #[serde(serialize_with = "ser_value")]
    pub median: Value,
    #[serde(serialize_with = "ser_value")]
    pub p90: Value,
    /// Cases opened (in the focus month, or all), by category, most first; when it is hidden,
    /// there are no categories either.
    #[serde(serialize_with = "ser_value")]
    pub opened: Value,
    pub categories: Vec<(String, u64)>,
    /// The cases of the categories not shown (0 when all are).
    pub other: u64,
}

/// A value in JSON as readers of every export get it: a number, or the missing code's symbol.
fn ser_value<S: serde::Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Value::Number(n) => s.serialize_f64(*n),
        Value::Missing(m) => s.serialize_str(m.symbol()),
    }
}

fn hidden() -> Value {
    Value::Missing(MissingCode::Hidden)
}

/// A count through the threshold: not 0 and below it is hidden.
fn count(n: u64, threshold: f64) -> Value {
    if n != 0 && (n as f64) < threshold {
        hidden()
    } else {
        Value::Number(n as f64)
    }
}

/// The year and month (1–12) of a month index.
pub fn year_month(month: i32) -> (i32, u32) {
    (month.div_euclid(12), month.rem_euclid(12) as u32 + 1)
}

/// `2024-03` to a month index.
pub fn parse_month(s: &str) -> Option<i32> {
    let (y, m) = s.split_once('-')?;
    let (y, m): (i32, i32) = (y.parse().ok()?, m.parse().ok()?);
    ((1900..=2200).contains(&y) && (1..=12).contains(&m)).then_some(y * 12 + m - 1)
}

/// The throughput classes of durations (days), merged so that none is below the threshold.
fn classes(durations: &[f64], bins: &[u32], threshold: f64) -> Vec<Class> {
    let mut raw: Vec<Class> = Vec::with_capacity(bins.len() + 1);
    let mut lo = 0;
    for &b in bins {
        raw.push(Class {
            lo,
            hi: Some(b),
            count: 0,
        });
        lo = b + 1;
    }
    raw.push(Class {
        lo,
        hi: None,
        count: 0,
    });
    for &d in durations {
        let i = bins.partition_point(|&b| f64::from(b) < d);
        raw[i].count += 1;
    }
    let small = |c: &Class| c.count != 0 && (c.count as f64) < threshold;
    // Merge each small class into the next one; a small last class into the one before.
    let mut out: Vec<Class> = Vec::with_capacity(raw.len());
    let mut carry: Option<Class> = None;
    for c in raw {
        let c = match carry.take() {
            Some(p) => Class {
                lo: p.lo,
                hi: c.hi,
                count: p.count + c.count,
            },
            None => c,
        };
        if small(&c) {
            carry = Some(c);
        } else {
            out.push(c);
        }
    }
    out.extend(carry);
    // A small last class (or classes that became small together) joins the one before it.
    while out.len() > 1 && out.last().is_some_and(small) {
        let c = out.pop().expect("a last class");
        let last = out.last_mut().expect("a class before it");
        last.hi = c.hi;
        last.count += c.count;
    }
    out
}

/// The dashboard of a set's records (`def.dashboard` must be set), whole or for `focus`.
pub fn dashboard(
    def: &RecordSetDef,
    dash: &DashboardDef,
    rec: &Records,
    focus: Option<i32>,
) -> Dashboard {
    let t = def.threshold;
    let col = |name: &str| def.dates.iter().position(|d| d == name);
    let empty: Vec<Day> = Vec::new();
    let opened = col(&dash.opened).map(|k| &rec.dates[k]).unwrap_or(&empty);
    let closed = col(&dash.closed).map(|k| &rec.dates[k]).unwrap_or(&empty);
    let n = opened.len().min(closed.len());
    let month = |d: Day| {
        if d == NO_DATE { None } else { month_index(d) }
    };

    // The trend: counts per month, the backlog as opened minus closed so far (a case closed
    // without an opening date is not a case of the backlog).
    let mut per: HashMap<i32, (u64, u64)> = HashMap::new();
    for i in 0..n {
        let o = month(opened[i]);
        if let Some(m) = o {
            per.entry(m).or_default().0 += 1;
        }
        if let (Some(_), Some(m)) = (o, month(closed[i])) {
            per.entry(m).or_default().1 += 1;
        }
    }
    let mut months = Vec::new();
    if let (Some(&first), Some(&last)) = (per.keys().min(), per.keys().max()) {
        let (mut open, mut veiled) = (0i64, false);
        for m in first..=last {
            let (o, c) = per.get(&m).copied().unwrap_or((0, 0));
            open += o as i64 - c as i64;
            let (ov, cv) = (count(o, t), count(c, t));
            veiled = veiled || ov.number().is_none() || cv.number().is_none();
            months.push(MonthRow {
                month: m,
                opened: ov,
                closed: cv,
                backlog: if veiled {
                    hidden()
                } else {
                    Value::Number(open.max(0) as f64)
                },
            });
        }
    }

    // Throughput times of the cases closed (in the focus month).
    let mut durations: Vec<f64> = (0..n)
        .filter(|&i| opened[i] != NO_DATE && closed[i] != NO_DATE && closed[i] >= opened[i])
        .filter(|&i| focus.is_none_or(|f| month(closed[i]) == Some(f)))
        .map(|i| f64::from(closed[i] - opened[i]))
        .collect();
    let closed = count(durations.len() as u64, t);
    let classes = if closed.number().is_some() {
        classes(&durations, &dash.bins, t)
    } else {
        Vec::new()
    };
    let enough = (durations.len() as f64) >= t && !durations.is_empty();
    let (median, p90) = if enough {
        (
            percentile(&mut durations, 50.0).map_or(hidden(), Value::Number),
            percentile(&mut durations, 90.0).map_or(hidden(), Value::Number),
        )
    } else {
        (hidden(), hidden())
    };

    // Top categories of the cases opened (in the focus month).
    let mut by_cat: HashMap<&str, u64> = HashMap::new();
    let cat = dash
        .category
        .as_ref()
        .and_then(|c| def.categories.iter().position(|x| x == c))
        .map(|k| &rec.categories[k]);
    let mut total_opened = 0u64;
    for (i, &day) in opened.iter().enumerate().take(n) {
        let m = month(day);
        if m.is_none() || focus.is_some_and(|f| m != Some(f)) {
            continue;
        }
        total_opened += 1;
        if let Some(c) = cat {
            *by_cat.entry(c.label(i)).or_default() += 1;
        }
    }
    let mut cats: Vec<(String, u64)> = by_cat
        .into_iter()
        .map(|(l, c)| (if l.is_empty() { "–" } else { l }.to_string(), c))
        .collect();
    cats.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    const TOP: usize = 10;
    let mut other: u64 = 0;
    while cats.len() > TOP || cats.last().is_some_and(|c| (c.1 as f64) < t) {
        other += cats.pop().map_or(0, |c| c.1);
    }
    while other != 0 && (other as f64) < t {
        match cats.pop() {
            Some(c) => other += c.1,
            None => break,
        }
    }

    let opened = count(total_opened, t);
    if opened.number().is_none() {
        cats.clear();
        other = 0;
    }
    Dashboard {
        months,
        focus,
        closed,
        classes,
        median,
        p90,
        opened,
        categories: cats,
        other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use peil_core::records::CategoryColumn;

    fn day(y: i32, m: u8, d: u8) -> Day {
        peil_core::records::parse_day(&format!("{y}-{m:02}-{d:02}"), false).unwrap()
    }

    fn set(threshold: f64) -> (RecordSetDef, DashboardDef) {
        let dash = DashboardDef {
            group: "omgeving".into(),
            opened: "in".into(),
            closed: "uit".into(),
            category: Some("type".into()),
            bins: vec![30, 60, 90],
        };
        let def = RecordSetDef {
            name: "v".into(),
            id: "id".into(),
            area: "a".into(),
            level: "s".into(),
            dates: vec!["in".into(), "uit".into()],
            categories: vec!["type".into()],
            numbers: vec![],
            source: String::new(),
            threshold,
            measures: vec![],
            dashboard: Some(dash.clone()),
        };
        (def, dash)
    }

    /// Records from (opened, closed or NO_DATE, type).
    fn records(def: &RecordSetDef, rows: &[(Day, Day, &str)]) -> Records {
        let mut r = Records::new(def);
        let mut cat = CategoryColumn::default();
        for (i, (o, c, t)) in rows.iter().enumerate() {
            r.ids.push(i.to_string());
            r.items.push(0);
            r.dates[0].push(*o);
            r.dates[1].push(*c);
            cat.push(t);
        }
        r.categories[0] = cat;
        r
    }

    #[test]
    fn trend_backlog_throughput_and_categories() {
        let (def, dash) = set(0.0);
        let rows = [
            (day(2024, 1, 5), day(2024, 1, 25), "bouw"), // 20 days, closed in January
            (day(2024, 1, 10), day(2024, 3, 10), "bouw"), // 60 days
            (day(2024, 1, 31), NO_DATE, "sloop"),        // still open
            (day(2024, 3, 1), day(2024, 3, 31), "bouw"), // 30 days
            (day(2024, 3, 2), day(2024, 6, 1), "milieu"), // 91 days, June
            (NO_DATE, day(2024, 2, 1), "bouw"),          // no opening date: not counted
        ];
        let r = records(&def, &rows);
        let d = dashboard(&def, &dash, &r, None);
        let m: Vec<(i32, Value, Value, Value)> = d
            .months
            .iter()
            .map(|m| (year_month(m.month).1 as i32, m.opened, m.closed, m.backlog))
            .collect();
        let n = Value::Number;
        assert_eq!(
            m,
            vec![
                (1, n(3.0), n(1.0), n(2.0)),
                (2, n(0.0), n(0.0), n(2.0)),
                (3, n(2.0), n(2.0), n(2.0)),
                (4, n(0.0), n(0.0), n(2.0)),
                (5, n(0.0), n(0.0), n(2.0)),
                (6, n(0.0), n(1.0), n(1.0)),
            ]
        );
        // Durations 20, 60, 30, 91: classes 0–30 (2), 31–60 (1), 61–90 (0), 91+ (1).
        let c: Vec<(u32, Option<u32>, u64)> =
            d.classes.iter().map(|c| (c.lo, c.hi, c.count)).collect();
        assert_eq!(
            c,
            vec![
                (0, Some(30), 2),
                (31, Some(60), 1),
                (61, Some(90), 0),
                (91, None, 1)
            ]
        );
        assert_eq!(d.closed, n(4.0));
        assert_eq!(d.median, n(45.0)); // (30 + 60) / 2
        assert_eq!(d.opened, n(5.0));
        assert_eq!(
            d.categories,
            vec![
                ("bouw".into(), 3),
                ("milieu".into(), 1),
                ("sloop".into(), 1)
            ]
        );
        // Drilled down to March: closed in March (60 and 30 days), opened in March.
        let d = dashboard(&def, &dash, &r, parse_month("2024-03"));
        assert_eq!(d.closed, n(2.0));
        assert_eq!(d.median, n(45.0));
        assert_eq!(d.opened, n(2.0));
        assert_eq!(d.categories, vec![("bouw".into(), 1), ("milieu".into(), 1)]);
    }

    #[test]
    fn small_counts_never_leave_it() {
        let (def, dash) = set(3.0);
        let mut rows = Vec::new();
        // January: 5 opened, of which 3 closed within 10 days; 1 "sloop".
        for i in 0..5u8 {
            let t = if i == 0 { "sloop" } else { "bouw" };
            let closed = if i < 3 { day(2024, 1, 12 + i) } else { NO_DATE };
            rows.push((day(2024, 1, 1 + i), closed, t));
        }
        // February: 1 opened (a small count), closed after 200 days.
        rows.push((day(2024, 2, 3), day(2024, 8, 21), "milieu"));
        let r = records(&def, &rows);
        let d = dashboard(&def, &dash, &r, None);
        // January: 5 opened and 3 closed are shown, so is the backlog they give (2).
        assert_eq!(d.months[0].backlog, Value::Number(2.0));
        let feb = &d.months[1];
        assert!(feb.opened.number().is_none() && feb.backlog.number().is_none());
        // From February on every backlog is hidden: March's would give February's count.
        assert!(d.months[1..].iter().all(|m| m.backlog.number().is_none()));
        assert_eq!(feb.closed, Value::Number(0.0));
        // August's single closing is hidden, and so is its backlog.
        let aug = d
            .months
            .iter()
            .find(|m| year_month(m.month).1 == 8)
            .unwrap();
        assert!(aug.closed.number().is_none() && aug.backlog.number().is_none());
        // The one long case is merged into the class before it: no class below 3.
        assert!(
            d.classes.iter().all(|c| c.count == 0 || c.count >= 3),
            "{:?}",
            d.classes
        );
        assert_eq!(d.classes.iter().map(|c| c.count).sum::<u64>(), 4);
        // Categories: sloop (1) and milieu (1) form "other" (2 < 3), so bouw (4) joins it.
        assert!(d.categories.is_empty(), "{:?}", d.categories);
        assert_eq!(d.other, 6);
        // Over 1 closed case in August: no median, no count, no classes.
        let d = dashboard(&def, &dash, &r, parse_month("2024-08"));
        assert!(d.median.number().is_none() && d.p90.number().is_none());
        assert!(d.closed.number().is_none() && d.classes.is_empty());
        // One case opened in February: no total, no categories.
        let d = dashboard(&def, &dash, &r, parse_month("2024-02"));
        assert!(d.opened.number().is_none() && d.categories.is_empty() && d.other == 0);
    }

    #[test]
    fn months_parse_and_print() {
        assert_eq!(parse_month("2024-03").map(year_month), Some((2024, 3)));
        assert_eq!(parse_month("2024-13"), None);
        assert_eq!(parse_month("x"), None);
    }
}
