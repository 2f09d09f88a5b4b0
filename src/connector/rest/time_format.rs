//! How a CMS writes times, in responses and in filters.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde::Deserialize;

/// `rfc3339`, `rfc3339_millis` (always three fractional digits and `Z`), `unix`, `unix_millis`,
/// or a strftime pattern read as UTC (`%Y-%m-%d %H:%M:%S`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum TimeFormat {
    Rfc3339,
    Rfc3339Millis,
    Unix,
    UnixMillis,
    Pattern(String),
}

impl TryFrom<String> for TimeFormat {
    type Error = String;

    fn try_from(text: String) -> Result<TimeFormat, String> {
        Ok(match text.as_str() {
            "rfc3339" => TimeFormat::Rfc3339,
            "rfc3339_millis" => TimeFormat::Rfc3339Millis,
            "unix" => TimeFormat::Unix,
            "unix_millis" => TimeFormat::UnixMillis,
            pattern => {
                let items: Vec<_> = chrono::format::StrftimeItems::new(pattern).collect();
                if items.contains(&chrono::format::Item::Error) || !pattern.contains('%') {
                    return Err(format!(
                        "{pattern:?} is not a time format: expected rfc3339, rfc3339_millis, \
                         unix, unix_millis or a strftime pattern"
                    ));
                }
                TimeFormat::Pattern(pattern.to_owned())
            }
        })
    }
}

impl TimeFormat {
    pub fn format(&self, time: DateTime<Utc>) -> String {
        match self {
            TimeFormat::Rfc3339 => time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            TimeFormat::Rfc3339Millis => time.to_rfc3339_opts(SecondsFormat::Millis, true),
            TimeFormat::Unix => time.timestamp().to_string(),
            TimeFormat::UnixMillis => time.timestamp_millis().to_string(),
            TimeFormat::Pattern(pattern) => time.format(pattern).to_string(),
        }
    }

    /// Reads a time as the CMS wrote it: a string, or a number for the unix formats.
    pub fn parse(&self, value: &serde_json::Value) -> Result<DateTime<Utc>, String> {
        let text = match value {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Number(number) => number.to_string(),
            other => return Err(format!("expected a time, found {other}")),
        };
        let parsed = match self {
            TimeFormat::Rfc3339 | TimeFormat::Rfc3339Millis => DateTime::parse_from_rfc3339(&text)
                .map(|time| time.with_timezone(&Utc))
                .ok(),
            TimeFormat::Unix => text
                .parse::<i64>()
                .ok()
                .and_then(|seconds| Utc.timestamp_opt(seconds, 0).single()),
            TimeFormat::UnixMillis => text
                .parse::<i64>()
                .ok()
                .and_then(|millis| Utc.timestamp_millis_opt(millis).single()),
            TimeFormat::Pattern(pattern) => NaiveDateTime::parse_from_str(&text, pattern)
                .map(|time| time.and_utc())
                .ok(),
        };
        parsed.ok_or_else(|| format!("{text:?} is not a time in the format {}", self.name()))
    }

    fn name(&self) -> &str {
        match self {
            TimeFormat::Rfc3339 => "rfc3339",
            TimeFormat::Rfc3339Millis => "rfc3339_millis",
            TimeFormat::Unix => "unix",
            TimeFormat::UnixMillis => "unix_millis",
            TimeFormat::Pattern(pattern) => pattern,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_round_trip_in_every_format() {
        let time = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap();
        for name in [
            "rfc3339",
            "rfc3339_millis",
            "unix",
            "unix_millis",
            "%Y-%m-%d %H:%M:%S",
        ] {
            let format = TimeFormat::try_from(name.to_owned()).unwrap();
            let written = format.format(time);
            assert_eq!(format.parse(&json!(written)), Ok(time), "{name}");
        }
        assert_eq!(
            TimeFormat::Rfc3339Millis.format(time),
            "2026-03-04T05:06:07.000Z"
        );
        assert!(TimeFormat::try_from("yesterday".to_owned()).is_err());
        assert!(TimeFormat::Rfc3339.parse(&json!("4 March")).is_err());
    }
}
