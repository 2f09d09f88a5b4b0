//! What a site is made of: its name, the kind of CMS behind it, and what happens to pipeline
//! results (the push policy).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A site's name: how the config file, the CLI and webhook URLs refer to it. Lowercase letters,
/// digits, `-` and `_`, starting with a letter or digit, at most 64 characters, so it is safe in
/// a URL path, a file name and a log line without quoting.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(transparent)]
// Rows hold only names that were parsed on the way in.
#[sqlx(transparent)]
#[schema(value_type = String, pattern = "^[a-z0-9][a-z0-9_-]{0,63}$")]
pub struct SiteName(String);

impl SiteName {
    pub const MAX_LEN: usize = 64;

    pub fn parse(name: &str) -> Result<SiteName, String> {
        let valid_start = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let valid_rest = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if name.is_empty() || name.len() > Self::MAX_LEN || !valid_start || !valid_rest {
            return Err(format!(
                "expected a site name of 1 to {} lowercase letters, digits, '-' or '_', \
                 starting with a letter or digit, got {name:?}",
                Self::MAX_LEN
            ));
        }
        Ok(SiteName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SiteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SiteName {
    type Err = String;

    fn from_str(name: &str) -> Result<SiteName, String> {
        SiteName::parse(name)
    }
}

impl<'de> Deserialize<'de> for SiteName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<SiteName, D::Error> {
        let text = String::deserialize(deserializer)?;
        SiteName::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Which connector talks to the site.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum ConnectorKind {
    Wordpress,
    Shopify,
    Rest,
    Files,
}

impl ConnectorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorKind::Wordpress => "wordpress",
            ConnectorKind::Shopify => "shopify",
            ConnectorKind::Rest => "rest",
            ConnectorKind::Files => "files",
        }
    }
}

impl fmt::Display for ConnectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to a pipeline result on a synced site.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    sqlx::Type,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum PushPolicy {
    /// Results stay in igny8; nothing is written to the CMS.
    #[default]
    Off,
    /// Results wait for a person to approve the push.
    Review,
    /// Results are pushed as soon as they are ready.
    Auto,
}

impl PushPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PushPolicy::Off => "off",
            PushPolicy::Review => "review",
            PushPolicy::Auto => "auto",
        }
    }
}

impl FromStr for PushPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<PushPolicy, String> {
        match s {
            "off" => Ok(PushPolicy::Off),
            "review" => Ok(PushPolicy::Review),
            "auto" => Ok(PushPolicy::Auto),
            other => Err(format!("expected off, review or auto, got {other:?}")),
        }
    }
}

impl fmt::Display for PushPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_names_are_url_and_file_safe() {
        for good in ["blog", "my-shop_2", "9lives"] {
            assert_eq!(SiteName::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", "Blog", "-blog", "a/b", "a b", "ü", &"x".repeat(65)] {
            let err = SiteName::parse(bad).unwrap_err();
            assert!(err.contains("expected a site name"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn push_policies_parse_from_their_names() {
        for policy in [PushPolicy::Off, PushPolicy::Review, PushPolicy::Auto] {
            assert_eq!(policy.as_str().parse::<PushPolicy>(), Ok(policy));
        }
        assert!("always".parse::<PushPolicy>().is_err());
    }
}
