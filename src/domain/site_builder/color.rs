//! A colour of a palette or theme. Themes end up in a stylesheet, so only the strict hex form
//! is accepted: nothing else can reach the CSS.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `#rgb` or `#rrggbb`, kept as lowercase `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$", example = "#1f6feb")]
pub struct Color(String);

impl Color {
    pub fn parse(text: &str) -> Result<Color, String> {
        let hex = text
            .strip_prefix('#')
            .filter(|hex| matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()))
            .ok_or_else(|| format!("expected a colour as #rgb or #rrggbb, found {text:?}"))?;
        let full: String = if hex.len() == 3 {
            hex.chars().flat_map(|c| [c, c]).collect()
        } else {
            hex.to_owned()
        };
        Ok(Color(format!("#{}", full.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Color {
    type Error = String;

    fn try_from(text: String) -> Result<Color, String> {
        Color::parse(&text)
    }
}

impl From<Color> for String {
    fn from(color: Color) -> String {
        color.0
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_colours_pass() {
        assert_eq!(Color::parse("#ABC").unwrap().as_str(), "#aabbcc");
        assert_eq!(Color::parse("#1F6feb").unwrap().as_str(), "#1f6feb");
        for bad in [
            "red",
            "#12",
            "#1234567",
            "#ggg",
            "#fff;}body{x:y",
            "1f6feb",
            "",
        ] {
            assert!(Color::parse(bad).is_err(), "{bad}");
        }
    }
}
