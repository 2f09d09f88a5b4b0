//! A blueprint's brief (`config_json`): what the site is for, whom it addresses and how it
//! should look. Structure generation fills its templates from it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::color::Color;
use super::kinds::{BusinessType, Typography};
use super::{Invalid, from_value, text};

pub const MAX_OBJECTIVES: usize = 8;
pub const MAX_PALETTE: usize = 6;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteBrief {
    /// Picks the pages generation starts from (default `general`).
    #[serde(default)]
    pub business_type: BusinessType,
    pub industry: Option<String>,
    /// Whom the site addresses.
    pub audience: Option<String>,
    /// What the business does, in a sentence or a paragraph.
    pub brief: Option<String>,
    /// What visitors should get or do; each becomes a feature of the home page.
    #[serde(default)]
    pub objectives: Vec<String>,
    #[serde(default)]
    pub style: Style,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Style {
    /// Up to six colours: primary, accent, background, text, in that order.
    #[serde(default)]
    pub palette: Vec<Color>,
    #[serde(default)]
    pub typography: Typography,
    /// A word or two on the tone, such as "friendly" or "precise".
    pub personality: Option<String>,
}

impl SiteBrief {
    /// Reads and checks a brief; the error names the offending path (`objectives[2]`).
    pub fn from_json(value: &Value) -> Result<SiteBrief, Invalid> {
        let brief: SiteBrief = from_value(value)?;
        brief.check()?;
        Ok(brief)
    }

    fn check(&self) -> Result<(), Invalid> {
        text::optional("industry", self.industry.as_deref(), 200)?;
        text::optional("audience", self.audience.as_deref(), 500)?;
        text::optional("brief", self.brief.as_deref(), 4000)?;
        text::count("objectives", self.objectives.len(), 0, MAX_OBJECTIVES)?;
        for (n, objective) in self.objectives.iter().enumerate() {
            text::required(&format!("objectives[{n}]"), objective, 200)?;
        }
        text::count("style.palette", self.style.palette.len(), 0, MAX_PALETTE)?;
        text::optional("style.personality", self.style.personality.as_deref(), 100)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_brief_names_what_is_wrong() {
        assert_eq!(
            SiteBrief::from_json(&json!({})).unwrap(),
            SiteBrief::default()
        );
        let path = |value| SiteBrief::from_json(&value).unwrap_err().path;
        assert_eq!(path(json!({"business_type": "casino"})), "business_type");
        assert_eq!(path(json!({"objectives": ["ok", " "]})), "objectives[1]");
        assert_eq!(
            path(json!({"style": {"palette": ["#fff", "blue"]}})),
            "style.palette[1]"
        );
        assert_eq!(path(json!({"colour": "red"})), "colour");
    }
}
