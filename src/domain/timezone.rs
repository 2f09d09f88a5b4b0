//! IANA time zones, in which schedules fire and daily limits count.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// A checked IANA zone name such as `Europe/Berlin` or `UTC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timezone(chrono_tz::Tz);

impl Timezone {
    pub const UTC: Timezone = Timezone(chrono_tz::Tz::UTC);

    pub fn parse(name: &str) -> Result<Timezone, String> {
        chrono_tz::Tz::from_str(name).map(Timezone).map_err(|_| {
            format!("expected an IANA time zone such as UTC or Europe/Berlin, found {name:?}")
        })
    }

    pub fn zone(self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Timezone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_parse_by_their_iana_names() {
        assert_eq!(
            Timezone::parse("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(Timezone::parse("UTC").unwrap(), Timezone::UTC);
        assert!(
            Timezone::parse("Mars/Olympus")
                .unwrap_err()
                .contains("IANA")
        );
    }
}
