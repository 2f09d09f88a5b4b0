//! People of an account and the site access they are granted.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An e-mail address as users are keyed by it: trimmed and lower-cased, one `@` with something
/// on both sides and no whitespace, at most 254 characters. Case-insensitive uniqueness then
/// needs only a plain unique key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, sqlx::Type, utoipa::ToSchema)]
#[serde(transparent)]
// Rows hold only addresses that were parsed on the way in.
#[sqlx(transparent)]
#[schema(value_type = String, format = "email", max_length = 254)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Email {
    type Err = String;

    fn from_str(s: &str) -> Result<Email, String> {
        let email = s.trim().to_lowercase();
        if email.chars().count() > Email::MAX_LEN {
            return Err(format!("expected at most {} characters", Email::MAX_LEN));
        }
        let well_formed = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !email.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if well_formed {
            Ok(Email(email))
        } else {
            Err(format!(
                "expected an e-mail address like name@example.com, found {s:?}"
            ))
        }
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Email, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a grant lets an editor or viewer do to one site. The effective right is the lower of
/// this and the caller's role, so a viewer granted `edit` still only reads.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum SiteAccess {
    View,
    Edit,
}

impl FromStr for SiteAccess {
    type Err = String;

    fn from_str(s: &str) -> Result<SiteAccess, String> {
        match s {
            "view" => Ok(SiteAccess::View),
            "edit" => Ok(SiteAccess::Edit),
            other => Err(format!("expected view or edit, found {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let email: Email = "  Ana.Silva@Example.COM ".parse().unwrap();
        assert_eq!(email.as_str(), "ana.silva@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "a@b@c",
            "ana silva@example.com",
        ] {
            assert!(bad.parse::<Email>().is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(long.parse::<Email>().unwrap_err().contains("254"));
    }
}
