//! EventBridge schedule expressions: `cron(...)` and `rate(...)`, parsed and
//! validated the way EventBridge does, and their fire times computed. Pure.
//!
//! Cron has six fields, evaluated in UTC:
//! `minutes hours day-of-month month day-of-week year`, with
//! minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC,
//! day-of-week 1-7 (1 = Sunday) or SUN-SAT, year 1970-2199. Wildcards:
//! `,` lists, `-` ranges, `*` all, `/` increments (`0/15`, `*/5`, `10-50/10`),
//! `?` any (day-of-month or day-of-week; exactly one of the two is `?`),
//! `L` last (day-of-month: last day; day-of-week: `L` = Saturday, `6L` = last
//! Friday), `W` nearest weekday (`15W`, `LW`), `#` nth weekday (`2#1` = first
//! Monday).

use std::fmt;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::Timestamp;

/// A parsed schedule expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Cron(Box<Cron>),
    Rate { value: u32, unit: RateUnit },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    Minute,
    Hour,
    Day,
}

impl RateUnit {
    fn minutes(self) -> u64 {
        match self {
            RateUnit::Minute => 1,
            RateUnit::Hour => 60,
            RateUnit::Day => 1440,
        }
    }
}

/// Why an expression is not a valid EventBridge schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CronError {
    pub message: String,
}

fn err<T>(message: impl Into<String>) -> Result<T, CronError> {
    Err(CronError {
        message: message.into(),
    })
}

/// A set of small integers (bit `n` = value `n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Bits(u64);

impl Bits {
    fn set(&mut self, n: u32) {
        self.0 |= 1 << n;
    }
    fn has(self, n: u32) -> bool {
        self.0 & (1 << n) != 0
    }
    fn count(self) -> u32 {
        self.0.count_ones()
    }
    fn iter(self) -> impl Iterator<Item = u32> {
        (0..64).filter(move |n| self.has(*n))
    }
}

/// Day-of-month rules.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Dom {
    days: Bits,
    last: bool,
    last_weekday: bool,
    nearest_weekday: Vec<u32>,
}

/// Day-of-week rules (1 = Sunday … 7 = Saturday).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Dow {
    days: Bits,
    /// `5L`: the last Thursday of the month.
    last_of_month: Vec<u32>,
    /// `2#1`: (weekday, n), the first Monday.
    nth: Vec<(u32, u32)>,
}

/// A parsed six-field cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Bits,
    hours: Bits,
    /// `None` when the field is `?`.
    dom: Option<Dom>,
    months: Bits,
    dow: Option<Dow>,
    /// Years 1970-2199 as offsets from 1970, in four words.
    years: [u64; 4],
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const FIRST_YEAR: i32 = 1970;
const LAST_YEAR: i32 = 2199;

#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    hint: &'static str,
}

const F_MINUTES: Field = Field {
    name: "minutes",
    min: 0,
    max: 59,
    names: &[],
    hint: "0-59",
};
const F_HOURS: Field = Field {
    name: "hours",
    min: 0,
    max: 23,
    names: &[],
    hint: "0-23",
};
const F_DOM: Field = Field {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
    hint: "1-31",
};
const F_MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &MONTHS,
    hint: "1-12 or JAN-DEC",
};
const F_DOW: Field = Field {
    name: "day-of-week",
    min: 1,
    max: 7,
    names: &DAYS,
    hint: "1-7 (1 = SUN) or SUN-SAT",
};
const F_YEAR: Field = Field {
    name: "year",
    min: 1970,
    max: 2199,
    names: &[],
    hint: "1970-2199",
};

impl Field {
    fn value(&self, s: &str) -> Result<u32, CronError> {
        let upper = s.to_ascii_uppercase();
        if let Some(i) = self.names.iter().position(|n| *n == upper) {
            return Ok(self.min + i as u32);
        }
        let n: u32 = match s.parse() {
            Ok(n) if !s.starts_with('+') => n,
            _ => return err(format!("{}: `{s}` is not a value (expected {})", self.name, self.hint)),
        };
        if n < self.min || n > self.max {
            return err(format!("{}: {n} is out of range (expected {})", self.name, self.hint));
        }
        Ok(n)
    }

    /// Expands one comma-separated item (`*`, `n`, `a-b`, `a/s`, `*/s`, `a-b/s`) into values.
    fn item(&self, item: &str, out: &mut Vec<u32>) -> Result<(), CronError> {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = match s.parse() {
                    Ok(n) if n > 0 && !s.starts_with('+') => n,
                    _ => {
                        return err(format!(
                            "{}: increment `{s}` in `{item}` must be a positive number",
                            self.name
                        ))
                    }
                };
                (r, Some(step))
            }
            None => (item, None),
        };
        let seq: Vec<u32> = if range == "*" {
            (self.min..=self.max).collect()
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (self.value(a)?, self.value(b)?);
            if a <= b {
                (a..=b).collect()
            } else {
                // A range past the end wraps around: FRI-MON, 22-2, NOV-FEB.
                (a..=self.max).chain(self.min..=b).collect()
            }
        } else {
            let a = self.value(range)?;
            // `a/s` runs from a to the end of the field.
            if step.is_some() {
                (a..=self.max).collect()
            } else {
                vec![a]
            }
        };
        out.extend(seq.into_iter().step_by(step.unwrap_or(1) as usize));
        Ok(())
    }

    fn values(&self, text: &str) -> Result<Vec<u32>, CronError> {
        let mut out = Vec::new();
        for item in text.split(',') {
            if item.is_empty() {
                return err(format!("{}: empty item in `{text}`", self.name));
            }
            self.item(item, &mut out)?;
        }
        Ok(out)
    }

    fn bits(&self, text: &str) -> Result<Bits, CronError> {
        if text == "?" {
            return err(format!(
                "{}: `?` is only allowed in day-of-month or day-of-week",
                self.name
            ));
        }
        let mut b = Bits::default();
        for v in self.values(text)? {
            b.set(v);
        }
        Ok(b)
    }
}

fn parse_dom(text: &str) -> Result<Dom, CronError> {
    let mut dom = Dom::default();
    for item in text.split(',') {
        let upper = item.to_ascii_uppercase();
        if upper == "L" {
            dom.last = true;
        } else if upper == "LW" {
            dom.last_weekday = true;
        } else if let Some(n) = upper.strip_suffix('W') {
            let d = F_DOM.value(n).map_err(|_| CronError {
                message: format!("day-of-month: `{item}` needs a day 1-31 before W (e.g. 15W)"),
            })?;
            dom.nearest_weekday.push(d);
        } else if upper.contains('L') || upper.contains('W') || upper.contains('#') {
            return err(format!(
                "day-of-month: `{item}` is not valid (L, LW and nW are the special forms here)"
            ));
        } else {
            for v in F_DOM.values(item)? {
                dom.days.set(v);
            }
        }
    }
    Ok(dom)
}

fn parse_dow(text: &str) -> Result<Dow, CronError> {
    let mut dow = Dow::default();
    for item in text.split(',') {
        let upper = item.to_ascii_uppercase();
        if upper == "L" {
            dow.days.set(7);
        } else if let Some(d) = upper.strip_suffix('L') {
            dow.last_of_month.push(F_DOW.value(d)?);
        } else if let Some((d, n)) = upper.split_once('#') {
            let d = F_DOW.value(d)?;
            let n: u32 = match n.parse() {
                Ok(n) if (1..=5).contains(&n) => n,
                _ => return err(format!("day-of-week: in `{item}` the instance after # must be 1-5")),
            };
            dow.nth.push((d, n));
        } else if upper.contains('W') && !DAYS.iter().any(|d| upper.contains(d)) {
            return err(format!("day-of-week: `{item}`: W is only allowed in day-of-month"));
        } else {
            for v in F_DOW.values(item)? {
                dow.days.set(v);
            }
        }
    }
    Ok(dow)
}

fn weekday_number(w: Weekday) -> u32 {
    // 1 = Sunday … 7 = Saturday.
    w.to_sunday_one_offset() as u32
}

fn days_in_month(d: Date) -> u32 {
    d.days_in_month() as u32
}

impl Dom {
    fn matches(&self, d: Date) -> bool {
        let day = d.day() as u32;
        let last = days_in_month(d);
        if self.days.has(day) || (self.last && day == last) {
            return true;
        }
        let is_weekday = |x: Date| !matches!(x.weekday(), Weekday::Saturday | Weekday::Sunday);
        if self.last_weekday && is_weekday(d) {
            // The last weekday: no weekday after it this month.
            let later = (day + 1..=last).any(|n| is_weekday(d.with().day(n as i8).build().unwrap_or(d)));
            if !later {
                return true;
            }
        }
        self.nearest_weekday.iter().any(|&n| nearest_weekday(d, n) == Some(day))
    }
}

/// The weekday nearest to day `n` of `d`'s month, not crossing into another month.
fn nearest_weekday(d: Date, n: u32) -> Option<u32> {
    let last = days_in_month(d);
    if n > last {
        return None;
    }
    let target = d.with().day(n as i8).build().ok()?;
    Some(match target.weekday() {
        Weekday::Saturday if n == 1 => 3,
        Weekday::Saturday => n - 1,
        Weekday::Sunday if n == last => n - 2,
        Weekday::Sunday => n + 1,
        _ => n,
    })
}

impl Dow {
    fn matches(&self, d: Date) -> bool {
        let wd = weekday_number(d.weekday());
        let day = d.day() as u32;
        if self.days.has(wd) {
            return true;
        }
        if self.last_of_month.contains(&wd) && day + 7 > days_in_month(d) {
            return true;
        }
        self.nth.iter().any(|&(w, n)| w == wd && (day - 1) / 7 + 1 == n)
    }
}

impl Cron {
    /// Parses the six fields (without the `cron(...)` wrapper).
    pub fn parse(fields: &str) -> Result<Cron, CronError> {
        let parts: Vec<&str> = fields.split_whitespace().collect();
        if parts.len() != 6 {
            return err(format!(
                "cron needs 6 fields (minutes hours day-of-month month day-of-week year), found {}",
                parts.len()
            ));
        }
        let (dom_t, dow_t) = (parts[2], parts[4]);
        let (dom, dow) = match (dom_t == "?", dow_t == "?") {
            (true, true) => return err("only one of day-of-month and day-of-week may be `?`"),
            (false, false) => {
                return err(format!(
                    "day-of-month (`{dom_t}`) and day-of-week (`{dow_t}`) cannot both be set: use `?` in one of them"
                ))
            }
            (true, false) => (None, Some(parse_dow(dow_t)?)),
            (false, true) => (Some(parse_dom(dom_t)?), None),
        };
        let mut years = [0u64; 4];
        if parts[5] == "?" {
            return err("year: `?` is only allowed in day-of-month or day-of-week");
        }
        for y in F_YEAR.values(parts[5])? {
            let off = y - F_YEAR.min;
            years[(off / 64) as usize] |= 1 << (off % 64);
        }
        Ok(Cron {
            minutes: F_MINUTES.bits(parts[0])?,
            hours: F_HOURS.bits(parts[1])?,
            dom,
            months: F_MONTH.bits(parts[3])?,
            dow,
            years,
        })
    }

    fn year_ok(&self, y: i32) -> bool {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&y) {
            return false;
        }
        let off = (y - FIRST_YEAR) as u32;
        self.years[(off / 64) as usize] & (1 << (off % 64)) != 0
    }

    /// True when the schedule fires on this (UTC) date.
    pub fn date_matches(&self, d: Date) -> bool {
        self.year_ok(d.year() as i32)
            && self.months.has(d.month() as u32)
            && self.dom.as_ref().is_none_or(|x| x.matches(d))
            && self.dow.as_ref().is_none_or(|x| x.matches(d))
    }

    /// True when the schedule fires at this (UTC) minute.
    pub fn matches(&self, t: DateTime) -> bool {
        self.date_matches(t.date()) && self.hours.has(t.hour() as u32) && self.minutes.has(t.minute() as u32)
    }

    /// Fires on one matching day.
    pub fn fires_per_matching_day(&self) -> u32 {
        self.minutes.count() * self.hours.count()
    }

    /// The first fire time at or after `from` (UTC, minute precision).
    pub fn next_from(&self, from: DateTime) -> Option<DateTime> {
        let mut date = from.date();
        let mut first = true;
        loop {
            if date.year() as i32 > LAST_YEAR {
                return None;
            }
            if self.date_matches(date) {
                for h in self.hours.iter() {
                    for m in self.minutes.iter() {
                        let t = date.at(h as i8, m as i8, 0, 0);
                        if !first || t >= from {
                            return Some(t);
                        }
                    }
                }
            }
            first = false;
            date = date.tomorrow().ok()?;
        }
    }
}

/// One fire time, with the same instant in the stack's display time zone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Fire {
    pub utc: String,
    pub local: Option<String>,
}

impl Schedule {
    /// Parses `cron(...)` or `rate(...)` exactly as EventBridge accepts them.
    pub fn parse(expr: &str) -> Result<Schedule, CronError> {
        let e = expr.trim();
        if let Some(inner) = e.strip_prefix("cron(").and_then(|s| s.strip_suffix(')')) {
            return Ok(Schedule::Cron(Box::new(Cron::parse(inner)?)));
        }
        if let Some(inner) = e.strip_prefix("rate(").and_then(|s| s.strip_suffix(')')) {
            return parse_rate(inner);
        }
        err(format!(
            "`{expr}` is neither cron(...) nor rate(...) (e.g. cron(0 15 ? * MON *) or rate(1 hour))"
        ))
    }

    /// The next `n` fire times at or after `from`. A rate schedule counts
    /// from when its rule is created, so its times are shown from `from`.
    pub fn next_n(&self, from: Timestamp, n: usize) -> Vec<Timestamp> {
        let utc = from.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        let from_min = utc.with().second(0).subsec_nanosecond(0).build().unwrap_or(utc);
        let to_ts = |dt: DateTime| dt.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp());
        match self {
            Schedule::Cron(c) => {
                let mut out = Vec::new();
                let mut t = from_min;
                while out.len() < n {
                    let Some(next) = c.next_from(t) else { break };
                    out.extend(to_ts(next));
                    t = match next.checked_add(jiff::Span::new().minutes(1)) {
                        Ok(x) => x,
                        Err(_) => break,
                    };
                }
                out
            }
            Schedule::Rate { value, unit } => {
                let step = i64::from(*value) * unit.minutes() as i64;
                (1..=n as i64)
                    .filter_map(|k| from_min.checked_add(jiff::Span::new().minutes(step * k)).ok())
                    .filter_map(to_ts)
                    .collect()
            }
        }
    }

    /// The most fires on any single UTC day in the year from `from`: what a
    /// daily sending quota must allow.
    pub fn max_fires_per_day(&self, from: Timestamp) -> f64 {
        match self {
            Schedule::Rate { value, unit } => (1440.0 / (f64::from(*value) * unit.minutes() as f64)).ceil(),
            Schedule::Cron(c) => {
                let mut d = from.to_zoned(jiff::tz::TimeZone::UTC).date();
                let mut any = false;
                for _ in 0..366 {
                    if c.date_matches(d) {
                        any = true;
                        break;
                    }
                    match d.tomorrow() {
                        Ok(x) => d = x,
                        Err(_) => break,
                    }
                }
                if any {
                    f64::from(c.fires_per_matching_day())
                } else {
                    0.0
                }
            }
        }
    }
}

fn parse_rate(inner: &str) -> Result<Schedule, CronError> {
    let parts: Vec<&str> = inner.split(' ').collect();
    let [value, unit] = parts.as_slice() else {
        return err(format!(
            "rate(`{inner}`) must be `value unit`, e.g. rate(5 minutes), with one space"
        ));
    };
    let value: u32 = match value.parse() {
        Ok(n) if n > 0 && !value.starts_with('+') => n,
        _ => return err(format!("rate: `{value}` must be a positive whole number")),
    };
    let (unit, singular) = match *unit {
        "minute" => (RateUnit::Minute, true),
        "minutes" => (RateUnit::Minute, false),
        "hour" => (RateUnit::Hour, true),
        "hours" => (RateUnit::Hour, false),
        "day" => (RateUnit::Day, true),
        "days" => (RateUnit::Day, false),
        other => return err(format!("rate: unit `{other}` must be minute(s), hour(s) or day(s)")),
    };
    if singular != (value == 1) {
        let word = match unit {
            RateUnit::Minute => "minute",
            RateUnit::Hour => "hour",
            RateUnit::Day => "day",
        };
        return err(if value == 1 {
            format!("rate: write rate(1 {word}), singular, for a value of 1")
        } else {
            format!("rate: write rate({value} {word}s), plural, for a value above 1")
        });
    }
    Ok(Schedule::Rate { value, unit })
}

impl fmt::Display for RateUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RateUnit::Minute => "minute",
            RateUnit::Hour => "hour",
            RateUnit::Day => "day",
        })
    }
}

/// Formats a fire time in UTC and, when given, a display time zone.
pub fn fire(t: Timestamp, tz: Option<&jiff::tz::TimeZone>) -> Fire {
    let utc = t
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%a %Y-%m-%d %H:%M UTC")
        .to_string();
    let local = tz.map(|z| t.to_zoned(z.clone()).strftime("%a %Y-%m-%d %H:%M %Z").to_string());
    Fire { utc, local }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(expr: &str, from: &str, n: usize) -> Vec<String> {
        let s = Schedule::parse(&format!("cron({expr})")).unwrap();
        let from: DateTime = from.parse().unwrap();
        let ts = from.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp();
        s.next_n(ts, n)
            .into_iter()
            .map(|t| {
                t.to_zoned(jiff::tz::TimeZone::UTC)
                    .strftime("%Y-%m-%dT%H:%M")
                    .to_string()
            })
            .collect()
    }

    /// Checks the parser and fire times against an independent corpus of
    /// EventBridge expressions transcribed from other projects' test suites
    /// (sources, licenses and commits in the file's header comments).
    #[test]
    fn independent_corpus() {
        let corpus = include_str!("../tests/data/eventbridge_cron_corpus.txt");
        let mut counts = [0usize; 6];
        for (i, line) in corpus.lines().enumerate() {
            let line_no = i + 1;
            let (kind, rest) = if let Some(r) = line.strip_prefix("# match | ") {
                ("match", r)
            } else if let Some(r) = line.strip_prefix("# none | ") {
                ("none", r)
            } else if line.starts_with('#') || line.trim().is_empty() {
                continue;
            } else {
                match line.split_once(" | ") {
                    Some((k, r)) => (k, r),
                    None => panic!("line {line_no}: unreadable: {line}"),
                }
            };
            let f: Vec<&str> = rest.split(" | ").collect();
            let parsed = |e: &str| Schedule::parse(&format!("cron({e})"));
            match kind {
                "valid" => {
                    counts[0] += 1;
                    assert!(
                        parsed(f[0]).is_ok(),
                        "line {line_no}: `{}` rejected: {:?}",
                        f[0],
                        parsed(f[0])
                    );
                }
                "invalid" => {
                    counts[1] += 1;
                    assert!(parsed(f[0]).is_err(), "line {line_no}: `{}` accepted", f[0]);
                }
                "rate-valid" | "rate-invalid" => {
                    counts[2] += 1;
                    let ok = Schedule::parse(f[0]).is_ok();
                    assert_eq!(ok, kind == "rate-valid", "line {line_no}: {}", f[0]);
                }
                "next" => {
                    counts[3] += 1;
                    let want: Vec<&str> = f[2].split(',').collect();
                    assert_eq!(next(f[0], f[1], want.len()), want, "line {line_no}: {}", f[0]);
                }
                "none" => {
                    counts[4] += 1;
                    assert!(next(f[0], f[1], 1).is_empty(), "line {line_no}: {}", f[0]);
                }
                "match" => {
                    counts[5] += 1;
                    let Ok(Schedule::Cron(c)) = parsed(f[0]) else {
                        panic!("line {line_no}: `{}` rejected", f[0])
                    };
                    let t: DateTime = f[1].parse().unwrap();
                    assert_eq!(c.matches(t), f[2] == "true", "line {line_no}: {} at {}", f[0], f[1]);
                }
                other => panic!("line {line_no}: unknown kind {other}"),
            }
        }
        assert!(
            counts[0] >= 100 && counts[3] >= 20 && counts[5] >= 100,
            "corpus shrank: {counts:?}"
        );
    }

    #[test]
    fn wrapping_ranges() {
        assert_eq!(
            next("0 22-2 * * ? *", "2026-01-01T03:00", 5),
            [
                "2026-01-01T22:00",
                "2026-01-01T23:00",
                "2026-01-02T00:00",
                "2026-01-02T01:00",
                "2026-01-02T02:00"
            ]
        );
        // FRI-MON: Friday, Saturday, Sunday, Monday.
        assert_eq!(
            next("0 0 ? * FRI-MON *", "2026-11-19T00:00", 4),
            [
                "2026-11-20T00:00",
                "2026-11-21T00:00",
                "2026-11-22T00:00",
                "2026-11-23T00:00"
            ]
        );
    }

    #[test]
    fn weekly_and_daily() {
        assert_eq!(
            next("0 15 ? * MON *", "2026-11-21T00:00", 3),
            ["2026-11-23T15:00", "2026-11-30T15:00", "2026-12-07T15:00"]
        );
        assert_eq!(
            next("*/20 9 * * ? *", "2026-01-01T09:30", 3),
            ["2026-01-01T09:40", "2026-01-02T09:00", "2026-01-02T09:20"]
        );
    }

    #[test]
    fn the_start_minute_itself_counts() {
        assert_eq!(next("0 10 * * ? *", "2022-11-03T10:00", 1), ["2022-11-03T10:00"]);
    }

    #[test]
    fn special_day_forms() {
        // Last day of February in a leap year, and the last Friday.
        assert_eq!(next("0 0 L * ? *", "2028-02-01T00:00", 1), ["2028-02-29T00:00"]);
        assert_eq!(next("0 0 ? * 6L *", "2026-11-01T00:00", 1), ["2026-11-27T00:00"]);
        // First Monday (2#1), nearest weekday to the 1st when it is a Saturday (→ Monday 3rd).
        assert_eq!(next("0 0 ? * 2#1 *", "2026-11-21T00:00", 1), ["2026-12-07T00:00"]);
        assert_eq!(next("0 0 1W * ? *", "2026-08-01T00:00", 1), ["2026-08-03T00:00"]);
        // The last weekday of a month ending on a Saturday.
        assert_eq!(next("0 0 LW * ? *", "2026-10-01T00:00", 1), ["2026-10-30T00:00"]);
    }

    #[test]
    fn invalid_expressions_say_what_is_wrong() {
        let e = |s: &str| Schedule::parse(s).unwrap_err().message;
        assert!(e("cron(0 15 * * MON *)").contains("cannot both be set"));
        assert!(e("cron(0 15 ? * ? *)").contains("only one of"));
        assert!(e("cron(0 15 ? * MON)").contains("6 fields"));
        assert!(e("cron(60 15 ? * MON *)").contains("minutes: 60 is out of range"));
        assert!(e("cron(0 15 ? * 8 *)").contains("day-of-week: 8 is out of range"));
        assert!(e("cron(0 15 ? * MON 2200)").contains("year: 2200"));
        assert!(e("cron(0 15 ? * 2#6 *)").contains("1-5"));
        assert!(e("cron(0/0 15 ? * MON *)").contains("increment"));
        assert!(e("rate(1 hours)").contains("singular"));
        assert!(e("rate(5 hour)").contains("plural"));
        assert!(e("rate(0 minutes)").contains("positive"));
        assert!(e("rate(5 weeks)").contains("unit"));
        assert!(e("every day").contains("neither cron"));
    }

    #[test]
    fn rate_and_daily_volume() {
        let s = Schedule::parse("rate(30 minutes)").unwrap();
        assert_eq!(s.max_fires_per_day(Timestamp::UNIX_EPOCH), 48.0);
        let s = Schedule::parse("cron(0 8,17 ? * MON-FRI *)").unwrap();
        assert_eq!(s.max_fires_per_day("2026-11-21T00:00Z".parse().unwrap()), 2.0);
        let s = Schedule::parse("cron(0 8 1 1 ? 2020)").unwrap();
        assert_eq!(s.max_fires_per_day("2026-11-21T00:00Z".parse().unwrap()), 0.0);
    }

    #[test]
    fn display_zone_crosses_dst() {
        // 15:00 UTC is 07:00 PST in winter and 08:00 PDT in summer.
        let tz = jiff::tz::TimeZone::get("America/Los_Angeles").unwrap();
        let s = Schedule::parse("cron(0 15 ? * SUN *)").unwrap();
        let from: Timestamp = "2026-02-28T00:00Z".parse().unwrap();
        let fires: Vec<Fire> = s.next_n(from, 3).into_iter().map(|t| fire(t, Some(&tz))).collect();
        let local: Vec<&str> = fires.iter().map(|f| f.local.as_deref().unwrap()).collect();
        assert_eq!(
            local,
            [
                "Sun 2026-03-01 07:00 PST",
                "Sun 2026-03-08 08:00 PDT",
                "Sun 2026-03-15 08:00 PDT"
            ]
        );
        assert_eq!(fires[0].utc, "Sun 2026-03-01 15:00 UTC");
    }
}
