//! A page's slug: its URL segment in the preview and its file name (`pages/{slug}.json`) on
//! deploy, so nothing in it can name another place.

use std::fmt;

use serde::{Deserialize, Serialize};

/// 1 to 100 of `a-z`, `0-9`, `-` and `_`, starting with a letter or digit (the format the
/// `page_blueprints` table checks too).
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    sqlx::Type,
    utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[sqlx(transparent)]
#[schema(value_type = String, pattern = "^[a-z0-9][a-z0-9_-]{0,99}$")]
pub struct PageSlug(String);

impl PageSlug {
    pub const MAX_LEN: usize = 100;

    pub fn parse(text: &str) -> Result<PageSlug, String> {
        let mut chars = text.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok =
            chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !first_ok || !rest_ok || text.len() > Self::MAX_LEN {
            return Err(format!(
                "expected 1 to {} of a-z, 0-9, '-' and '_', starting with a letter or digit, found {text:?}",
                Self::MAX_LEN
            ));
        }
        Ok(PageSlug(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PageSlug {
    type Error = String;

    fn try_from(text: String) -> Result<PageSlug, String> {
        PageSlug::parse(&text)
    }
}

impl From<PageSlug> for String {
    fn from(slug: PageSlug) -> String {
        slug.0
    }
}

impl fmt::Display for PageSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_file_names() {
        for good in ["home", "about-us", "2026_offers", "a"] {
            assert!(PageSlug::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-home",
            "_x",
            "About",
            "a/b",
            "..",
            ".hidden",
            "a.json",
            "a b",
            "caf\u{e9}",
            "a\0",
            &"x".repeat(101),
        ] {
            assert!(PageSlug::parse(bad).is_err(), "{bad:?}");
        }
    }
}
