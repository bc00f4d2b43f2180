//! Schedules: five-field cron expressions (minute, hour, day of month, month, day of week) in
//! the site's time zone, and the next time one is due.
//!
//! Written here rather than taken from a crate: the cron crates build on chrono and chrono-tz
//! (a second date library and a compiled-in zone database the workspace does not otherwise
//! build), read six or seven fields, or leave daylight saving to the caller; this is 5 fields,
//! the syntax every `crontab` user knows, over `jiff`'s zones.
//!
//! Syntax per field: `*`, a number, a range `a-b`, a step `*/n`, `a-b/n` or `a/n` (from `a` to
//! the field's end), and comma lists of these; months `jan`–`dec` and days `sun`–`sat` by
//! name; day of week 0 or 7 is Sunday. `@hourly`, `@daily`, `@weekly` (Sunday), `@monthly`
//! and `@yearly` stand for their usual expressions. As in Vixie cron, when both day of month
//! and day of week are restricted, a day that matches either is due.
//!
//! Daylight saving (Europe/Brussels: 02:00→03:00 on the last Sunday of March, 03:00→02:00 on
//! the last Sunday of October): a time the clock skips is due as much later as the clock jumped
//! (02:30 runs at 03:30 that day); a time the clock passes twice is due once, the first time.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// A parsed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    text: String,
    minutes: u64,
    hours: u32,
    /// Bits 1..=31.
    days: u32,
    /// Bits 1..=12.
    months: u16,
    /// Bits 0..=6, Sunday 0.
    weekdays: u8,
    /// Day of month or day of week given as `*` (or `*/n`): then the other one decides alone.
    days_any: bool,
    weekdays_any: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Cron {
    /// Parses an expression; the error names the field and what it expected.
    pub fn parse(text: &str) -> Result<Cron, String> {
        let t = text.trim();
        let expanded = match t.to_ascii_lowercase().as_str() {
            "@hourly" => "0 * * * *",
            "@daily" | "@midnight" => "0 0 * * *",
            "@weekly" => "0 0 * * 0",
            "@monthly" => "0 0 1 * *",
            "@yearly" | "@annually" => "0 0 1 1 *",
            _ if t.starts_with('@') => {
                return Err(format!(
                    "'{t}' is not a schedule: expected five fields or @hourly, @daily, @weekly, @monthly, @yearly"
                ));
            }
            _ => t,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "'{t}' has {} fields; a schedule has five: minute hour day-of-month month day-of-week (e.g. \"0 6 * * mon\")",
                fields.len()
            ));
        }
        let minutes = field(fields[0], "minute", 0, 59, &[])?;
        let hours = field(fields[1], "hour", 0, 23, &[])?;
        let days = field(fields[2], "day of month", 1, 31, &[])?;
        let months = field(fields[3], "month", 1, 12, &MONTHS)?;
        let mut weekdays = field(fields[4], "day of week", 0, 7, &DAYS)?;
        if weekdays & (1 << 7) != 0 {
            weekdays = (weekdays | 1) & 0x7f;
        }
        Ok(Cron {
            text: t.to_string(),
            minutes,
            hours: hours as u32,
            days: days as u32,
            months: months as u16,
            weekdays: weekdays as u8,
            days_any: fields[2].starts_with('*'),
            weekdays_any: fields[4].starts_with('*'),
        })
    }

    /// The expression as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn day_matches(&self, d: Date) -> bool {
        if self.months & (1 << d.month()) == 0 {
            return false;
        }
        let dom = self.days & (1 << d.day()) != 0;
        let dow = self.weekdays & (1 << d.weekday().to_sunday_zero_offset()) != 0;
        match (self.days_any, self.weekdays_any) {
            (false, false) => dom || dow,
            _ => dom && dow,
        }
    }

    /// The first time strictly after `after` that the schedule is due in `tz`; `None` when it
    /// never is within eight years (`30 2 31 2 *`).
    pub fn next_after(&self, tz: &TimeZone, after: Timestamp) -> Option<Timestamp> {
        let start = tz.to_datetime(after);
        let mut day = start.date();
        for _ in 0..(8 * 366) {
            if self.day_matches(day) {
                for h in 0..24i8 {
                    if self.hours & (1 << h) == 0 {
                        continue;
                    }
                    for m in 0..60i8 {
                        if self.minutes & (1 << m) == 0 {
                            continue;
                        }
                        let civil: DateTime = day.at(h, m, 0, 0);
                        if civil < start.date().at(start.hour(), start.minute(), 0, 0) {
                            continue;
                        }
                        // Compatible: a skipped time moves on by the gap, a repeated one is
                        // its first occurrence.
                        if let Ok(ts) = tz.to_timestamp(civil)
                            && ts > after
                        {
                            return Some(ts);
                        }
                    }
                }
            }
            day = day.tomorrow().ok()?;
        }
        None
    }
}

/// One field as a bit set of the values it allows.
fn field(text: &str, name: &str, min: u8, max: u8, names: &[&str]) -> Result<u64, String> {
    let bad = |why: String| format!("{name} '{text}': {why}");
    let value = |s: &str| -> Result<u8, String> {
        let lower = s.to_ascii_lowercase();
        if let Some(i) = names.iter().position(|n| *n == lower) {
            // Month names start at 1, day names at 0.
            return Ok(i as u8 + min);
        }
        match s.parse::<u8>() {
            Ok(v) if (min..=max).contains(&v) => Ok(v),
            _ => Err(bad(format!(
                "'{s}' is not a number from {min} to {max}{}",
                if names.is_empty() {
                    String::new()
                } else {
                    format!(" or a name ({}–{})", names[0], names[names.len() - 1])
                }
            ))),
        }
    };
    if text.is_empty() {
        return Err(bad("empty".into()));
    }
    let mut bits = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => match s.parse::<u8>() {
                Ok(n) if n >= 1 => (r, n),
                _ => return Err(bad(format!("step '{s}' is not a whole number from 1"))),
            },
            None => (part, 1),
        };
        let (from, to) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a)?, value(b)?);
            if a > b {
                return Err(bad(format!("range {a}-{b} runs backwards")));
            }
            (a, b)
        } else {
            let a = value(range)?;
            // `a/n`: from a to the field's end.
            (a, if part.contains('/') { max } else { a })
        };
        let mut v = from;
        while v <= to {
            bits |= 1 << v;
            match v.checked_add(step) {
                Some(n) => v = n,
                None => break,
            }
        }
    }
    Ok(bits)
}

/// The site's time zone by its IANA name (`Europe/Brussels`).
pub fn time_zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|e| format!("time zone '{name}': {e}"))
}

/// The default time zone of a site: Flemish cities'.
pub const DEFAULT_TIME_ZONE: &str = "Europe/Brussels";

#[cfg(test)]
mod tests {
    use super::*;

    fn brussels() -> TimeZone {
        time_zone("Europe/Brussels").unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// The next `n` due times after `from`, as UTC texts.
    fn next(expr: &str, from: &str, n: usize) -> Vec<String> {
        let c = Cron::parse(expr).unwrap();
        let tz = brussels();
        let mut t = ts(from);
        let mut out = Vec::new();
        for _ in 0..n {
            t = c.next_after(&tz, t).unwrap();
            out.push(t.to_string());
        }
        out
    }

    #[test]
    fn fields_ranges_steps_lists_and_names() {
        let c = Cron::parse("*/15 6-8,20 1,15 jan-mar mon-fri").unwrap();
        assert_eq!(c.minutes, 1 | 1 << 15 | 1 << 30 | 1 << 45);
        assert_eq!(c.hours, 1 << 6 | 1 << 7 | 1 << 8 | 1 << 20);
        assert_eq!(c.days, 1 << 1 | 1 << 15);
        assert_eq!(c.months, 1 << 1 | 1 << 2 | 1 << 3);
        assert_eq!(c.weekdays, 0b0111110);
        assert_eq!(
            Cron::parse("5/20 * * * *").unwrap().minutes,
            1 << 5 | 1 << 25 | 1 << 45
        );
        assert_eq!(
            Cron::parse("0 0 * * 1-5/2").unwrap().weekdays,
            1 << 1 | 1 << 3 | 1 << 5
        );
        // 7 is Sunday too.
        assert_eq!(Cron::parse("0 0 * * 7").unwrap().weekdays, 1);
        assert_eq!(
            Cron::parse("0 0 * * 5-7").unwrap().weekdays,
            1 | 1 << 5 | 1 << 6
        );
        assert_eq!(
            Cron::parse("@weekly").unwrap(),
            Cron {
                text: "@weekly".into(),
                ..Cron::parse("0 0 * * 0").unwrap()
            }
        );
        assert_eq!(Cron::parse("0 0 * * SUN").unwrap().weekdays, 1);
    }

    #[test]
    fn bad_expressions_name_the_field() {
        for (expr, says) in [
            ("* * * *", "has 4 fields"),
            ("* * * * * *", "has 6 fields"),
            ("60 * * * *", "minute '60'"),
            ("* 24 * * *", "hour '24'"),
            ("* * 0 * *", "day of month '0'"),
            ("* * * 13 *", "month '13'"),
            ("* * * * 8", "day of week '8'"),
            ("*/0 * * * *", "step '0'"),
            ("5-1 * * * *", "runs backwards"),
            ("* * * foo *", "or a name (jan–dec)"),
            ("1,,2 * * * *", "minute '1,,2'"),
            ("@often", "not a schedule"),
            ("", "has 0 fields"),
        ] {
            let e = Cron::parse(expr).unwrap_err();
            assert!(e.contains(says), "{expr}: {e}");
        }
    }

    #[test]
    fn next_runs_in_the_site_time_zone() {
        // Monday 06:00 in Brussels is 05:00 UTC in winter, 04:00 UTC in summer.
        assert_eq!(
            next("0 6 * * mon", "2026-12-06T12:00:00Z", 2),
            ["2026-12-07T05:00:00Z", "2026-12-14T05:00:00Z"]
        );
        assert_eq!(
            next("0 6 * * 1", "2027-06-01T00:00:00Z", 1),
            ["2027-06-07T04:00:00Z"]
        );
        // Strictly after: a run at the due time is not due again.
        assert_eq!(
            next("0 6 * * 1", "2026-12-07T05:00:00Z", 1),
            ["2026-12-14T05:00:00Z"]
        );
        // Steps and lists.
        assert_eq!(
            next("*/20 9 * * *", "2026-12-06T08:10:00Z", 3),
            [
                "2026-12-06T08:20:00Z",
                "2026-12-06T08:40:00Z",
                "2026-12-07T08:00:00Z"
            ]
        );
        // Day of month and day of week both restricted: either.
        assert_eq!(
            next("0 12 13 * fri", "2027-08-01T00:00:00Z", 3),
            [
                "2027-08-06T10:00:00Z",
                "2027-08-13T10:00:00Z",
                "2027-08-20T10:00:00Z"
            ]
        );
        // Only one restricted: that one.
        assert_eq!(
            next("0 0 29 2 *", "2026-12-06T00:00:00Z", 1),
            ["2028-02-28T23:00:00Z"]
        );
        // Never.
        assert_eq!(
            Cron::parse("0 0 31 2 *")
                .unwrap()
                .next_after(&brussels(), ts("2026-01-01T00:00:00Z")),
            None
        );
    }

    #[test]
    fn daylight_saving_in_brussels() {
        // 28 March 2027: 02:00 CET becomes 03:00 CEST. 02:30 does not exist: it runs at 03:30.
        assert_eq!(
            next("30 2 * * *", "2027-03-27T12:00:00Z", 2),
            ["2027-03-28T01:30:00Z", "2027-03-29T00:30:00Z"]
        );
        // Hourly across the gap: 01:00 CET, then 03:00 CEST — one hour later, none lost.
        assert_eq!(
            next("0 * * * *", "2027-03-28T00:00:00Z", 2),
            ["2027-03-28T01:00:00Z", "2027-03-28T02:00:00Z"]
        );
        // 31 October 2027: 03:00 CEST becomes 02:00 CET; 02:30 happens twice, runs once.
        assert_eq!(
            next("30 2 * * *", "2027-10-30T12:00:00Z", 2),
            ["2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z"]
        );
        // Every 30 minutes across the fold: the repeated hour is not run twice.
        assert_eq!(
            next("*/30 * * * *", "2027-10-30T23:45:00Z", 4),
            [
                "2027-10-31T00:00:00Z", // 02:00 CEST
                "2027-10-31T00:30:00Z", // 02:30 CEST
                "2027-10-31T02:00:00Z", // 03:00 CET (02:00 and 02:30 CET already ran)
                "2027-10-31T02:30:00Z",
            ]
        );
        // Asked from inside the repeated hour (02:10 CET), the next is 03:00 CET.
        assert_eq!(
            next("*/30 * * * *", "2027-10-31T01:10:00Z", 1),
            ["2027-10-31T02:00:00Z"]
        );
    }
}
