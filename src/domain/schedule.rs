//! Cron schedules as operators write them.
//!
//! Operators write the classic five fields (`min hour day-of-month month day-of-week`, Sunday
//! being 0 or 7); six or seven fields add seconds in front and a year at the end. The `cron`
//! crate counts weekdays from 1 = Sunday, so numeric weekdays are translated once here and every
//! other module sees crontab's meaning.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::timezone::Timezone;

/// A parsed, valid cron expression; it keeps the text it was written as. Its fields are read
/// as wall-clock time in its zone, UTC unless `in_zone` says otherwise.
#[derive(Clone)]
pub struct CronSchedule {
    source: String,
    schedule: cron::Schedule,
    zone: Timezone,
}

impl CronSchedule {
    pub fn parse(expression: &str) -> Result<CronSchedule, String> {
        let fields: Vec<&str> = expression.split_whitespace().collect();
        let normalized = match fields.len() {
            5 => {
                let weekdays = classic_weekdays(fields[4])?;
                format!(
                    "0 {} {} {} {} {}",
                    fields[0], fields[1], fields[2], fields[3], weekdays
                )
            }
            6 | 7 => {
                let mut fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
                fields[5] = classic_weekdays(&fields[5])?;
                fields.join(" ")
            }
            n => {
                return Err(format!(
                    "expected a cron expression of 5 fields (minute hour day month weekday), \
                     found {n} field{} in {expression:?}",
                    if n == 1 { "" } else { "s" }
                ));
            }
        };
        let schedule = cron::Schedule::from_str(&normalized)
            .map_err(|err| format!("not a valid cron expression {expression:?}: {err}"))?;
        Ok(CronSchedule {
            source: expression.to_owned(),
            schedule,
            zone: Timezone::UTC,
        })
    }

    /// The same schedule read in `zone` (so `0 9 * * *` is nine o'clock there, summer or
    /// winter).
    pub fn in_zone(self, zone: Timezone) -> CronSchedule {
        CronSchedule { zone, ..self }
    }

    pub fn zone(&self) -> Timezone {
        self.zone
    }

    /// The expression as it was written.
    pub fn expression(&self) -> &str {
        &self.source
    }

    /// The first fire strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.fires_after(after).next()
    }

    /// The latest fire in `(after, until]`, if any: after downtime only the most recent missed
    /// fire runs, not every one of them.
    pub fn latest_fire_in(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        self.fires_after(after)
            .take_while(|fire| *fire <= until)
            .last()
    }

    fn fires_after(&self, after: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.schedule
            .after(&after.with_timezone(&self.zone.zone()))
            .map(|fire| fire.with_timezone(&Utc))
    }
}

/// Maps classic weekday numbers (0-7, Sunday = 0 or 7) to the crate's (1-7, Sunday = 1).
/// Numeric items, ranges and steps are expanded to the days they mean and listed; names (MON,
/// Sun, MON-FRI) mean the same in both and pass through.
fn classic_weekdays(field: &str) -> Result<String, String> {
    let day = |n: &str| -> Result<u32, String> {
        match n.parse::<u32>() {
            Ok(day @ 0..=7) => Ok(day),
            Ok(day) => Err(format!("weekday {day} is out of range (expected 0-7)")),
            Err(_) => Err(format!("weekday {n:?} is not a number or a day name")),
        }
    };
    let mut items = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        let numeric = range == "*" || range.chars().all(|c| c.is_ascii_digit() || c == '-');
        if range.is_empty() || !numeric || (range == "*" && step.is_none()) {
            items.push(item.to_owned());
            continue;
        }
        let (first, last) = match range.split_once('-') {
            _ if range == "*" => (0, 6),
            // A single day with a step runs to the end of the week, as in crontab.
            None if step.is_some() => (day(range)?, 7),
            None => (day(range)?, day(range)?),
            Some((first, last)) => (day(first)?, day(last)?),
        };
        if first > last {
            return Err(format!("weekday range {range} runs backwards"));
        }
        let step = match step {
            None => 1,
            Some(step) => match step.parse::<u32>() {
                Ok(step) if step > 0 => step,
                _ => return Err(format!("weekday step {step:?} is not a positive number")),
            },
        };
        for classic in (first..=last).step_by(step as usize) {
            items.push((classic % 7 + 1).to_string());
        }
    }
    items.sort();
    items.dedup();
    Ok(items.join(","))
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSchedule({:?})", self.source)
    }
}

impl Serialize for CronSchedule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Weekday};

    const WEEK: [Weekday; 7] = [
        Weekday::Sun,
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
    ];

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn five_fields_fire_on_the_minute() {
        let monthly = CronSchedule::parse("0 0 1 * *").unwrap();
        assert_eq!(
            monthly.next_after(at(2026, 11, 26, 12, 0)),
            Some(at(2026, 12, 1, 0, 0))
        );
    }

    #[test]
    fn classic_weekday_numbers_keep_their_meaning() {
        use Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};
        let cases = [
            ("0", vec![Sun]),
            ("7", vec![Sun]),
            ("1-5", vec![Mon, Tue, Wed, Thu, Fri]),
            ("5-7", vec![Fri, Sat, Sun]),
            ("0-7", WEEK.to_vec()),
            ("*", WEEK.to_vec()),
            ("0-6/2", vec![Sun, Tue, Thu, Sat]),
            ("0-7/2", vec![Sun, Tue, Thu, Sat]),
            ("1-7/2", vec![Mon, Wed, Fri, Sun]),
            ("*/3", vec![Sun, Wed, Sat]),
            ("5/1", vec![Fri, Sat, Sun]),
            ("1,3-4", vec![Mon, Wed, Thu]),
            ("MON,wed", vec![Mon, Wed]),
            ("MON-FRI", vec![Mon, Tue, Wed, Thu, Fri]),
        ];
        for (field, expected) in cases {
            for expression in [format!("30 9 * * {field}"), format!("0 30 9 * * {field}")] {
                assert_eq!(
                    days_fired(&expression),
                    sorted(expected.clone()),
                    "{expression}"
                );
            }
        }
    }

    fn sorted(mut days: Vec<Weekday>) -> Vec<Weekday> {
        days.sort_by_key(|d| d.num_days_from_sunday());
        days
    }

    /// The weekdays a schedule fires on in one week.
    fn days_fired(expression: &str) -> Vec<Weekday> {
        let schedule = CronSchedule::parse(expression).unwrap();
        let mut days = Vec::new();
        let mut cursor = at(2026, 11, 1, 0, 0);
        while let Some(next) = schedule.next_after(cursor) {
            if next >= at(2026, 11, 8, 0, 0) {
                break;
            }
            days.push(next.weekday());
            cursor = next;
        }
        sorted(days)
    }

    #[test]
    fn latest_fire_skips_older_missed_fires() {
        let hourly = CronSchedule::parse("17 * * * *").unwrap();
        let fire = hourly.latest_fire_in(at(2026, 11, 26, 8, 0), at(2026, 11, 26, 12, 20));
        assert_eq!(fire, Some(at(2026, 11, 26, 12, 17)));
        assert_eq!(
            hourly.latest_fire_in(at(2026, 11, 26, 12, 17), at(2026, 11, 26, 13, 0)),
            None
        );
    }

    #[test]
    fn zoned_schedules_fire_at_local_wall_clock_time() {
        let utc = CronSchedule::parse("0 9 * * *").unwrap();
        let berlin = Timezone::parse("Europe/Berlin").unwrap();
        let nine = utc.clone().in_zone(berlin);
        // Winter: UTC+1; summer: UTC+2.
        assert_eq!(
            nine.next_after(at(2026, 11, 26, 12, 0)),
            Some(at(2026, 11, 27, 8, 0))
        );
        assert_eq!(
            nine.next_after(at(2026, 7, 1, 0, 0)),
            Some(at(2026, 7, 1, 7, 0))
        );
        assert_eq!(
            nine.latest_fire_in(at(2026, 11, 26, 0, 0), at(2026, 11, 26, 12, 0)),
            Some(at(2026, 11, 26, 8, 0))
        );
        assert_eq!(
            utc.next_after(at(2026, 11, 26, 12, 0)),
            Some(at(2026, 11, 27, 9, 0))
        );
    }

    #[test]
    fn bad_expressions_say_why() {
        assert!(
            CronSchedule::parse("every day")
                .unwrap_err()
                .contains("5 fields")
        );
        assert!(
            CronSchedule::parse("0 0 * * 9")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(
            CronSchedule::parse("61 * * * *")
                .unwrap_err()
                .contains("not a valid")
        );
    }
}
