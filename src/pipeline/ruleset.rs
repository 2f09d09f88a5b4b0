//! The analyzer's rules as versioned data: the thresholds that differ between Yoast's default and
//! cornerstone assessors, and the weights of the engagement and overall scores. The rulesets are
//! TOML files compiled into the binary (`rulesets/*.toml`) and parsed once; every report names the
//! profile and version it was scored under.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// Which set of thresholds a page is held to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    Default,
    /// A site's most important pages, held to stricter limits (longer texts, more keyphrase use).
    Cornerstone,
}

impl Profile {
    pub fn parse(name: &str) -> Result<Profile, UnknownProfile> {
        match name {
            "default" => Ok(Profile::Default),
            "cornerstone" => Ok(Profile::Cornerstone),
            _ => Err(UnknownProfile(name.to_owned())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Cornerstone => "cornerstone",
        }
    }
}

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(name: &str) -> Result<Profile, UnknownProfile> {
        Profile::parse(name)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown ruleset profile {0:?}: expected \"default\" or \"cornerstone\"")]
pub struct UnknownProfile(String);

/// The rules of one profile.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ruleset {
    profile: Profile,
    version: String,
    pub seo: SeoRules,
    pub readability: ReadabilityRules,
    pub overall: OverallWeights,
    pub engagement: EngagementRules,
}

static DEFAULT: LazyLock<Ruleset> =
    LazyLock::new(|| parse(include_str!("../../rulesets/default.toml")));
static CORNERSTONE: LazyLock<Ruleset> =
    LazyLock::new(|| parse(include_str!("../../rulesets/cornerstone.toml")));

/// The rulesets are part of the program, and a unit test parses both, so a failure here is a
/// build mistake rather than bad input.
fn parse(source: &str) -> Ruleset {
    match toml::from_str(source) {
        Ok(ruleset) => ruleset,
        Err(error) => panic!("a compiled-in ruleset does not parse: {error}"),
    }
}

impl Ruleset {
    pub fn for_profile(profile: Profile) -> &'static Ruleset {
        match profile {
            Profile::Default => &DEFAULT,
            Profile::Cornerstone => &CORNERSTONE,
        }
    }

    pub fn profile(&self) -> Profile {
        self.profile
    }

    pub fn version(&self) -> &str {
        &self.version
    }
}

/// SEO thresholds that the cornerstone assessors change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeoRules {
    pub text_length: TextLengthBands,
    pub meta_description_length_off_score: i16,
    pub subheadings_needed_above_words: usize,
    pub image_alt_without_keyphrase_score: i16,
    pub slug_partial_score: i16,
}

/// Score bands of text length, longest first, the last one starting at zero words so that every
/// length has a score.
#[derive(Debug, Deserialize)]
#[serde(try_from = "Vec<TextLengthBand>")]
pub struct TextLengthBands(Vec<TextLengthBand>);

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextLengthBand {
    pub min_words: usize,
    pub score: i16,
}

impl TryFrom<Vec<TextLengthBand>> for TextLengthBands {
    type Error = String;

    fn try_from(bands: Vec<TextLengthBand>) -> Result<Self, String> {
        if !bands.windows(2).all(|w| w[0].min_words > w[1].min_words) {
            return Err("text length bands must be ordered from the longest down".into());
        }
        if bands.last().map(|b| b.min_words) != Some(0) {
            return Err("the last text length band must start at 0 words".into());
        }
        Ok(TextLengthBands(bands))
    }
}

impl TextLengthBands {
    /// The band a text of `words` words falls in.
    pub fn band(&self, words: usize) -> TextLengthBand {
        let index = self
            .0
            .iter()
            .position(|b| words >= b.min_words)
            .unwrap_or(self.0.len() - 1);
        self.0[index]
    }

    pub fn bands(&self) -> &[TextLengthBand] {
        &self.0
    }
}

/// Readability thresholds that the cornerstone assessors change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadabilityRules {
    pub subheading_section_recommended_words: usize,
    pub subheading_section_far_too_many_words: usize,
    pub long_sentences_slightly_too_many_percent: f64,
    pub long_sentences_far_too_many_percent: f64,
}

/// Weights of the overall score.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverallWeights {
    pub seo: u32,
    pub readability: u32,
    pub engagement: u32,
}

/// Weights and targets of the engagement signals.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngagementRules {
    pub call_to_action: u32,
    pub call_to_action_tail_percent: u32,
    pub internal_links: u32,
    pub words_per_internal_link: usize,
    pub lists: u32,
    pub images: u32,
    pub words_per_image: usize,
    pub formatting: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_profiles_parse_and_name_themselves() {
        for profile in [Profile::Default, Profile::Cornerstone] {
            let ruleset = Ruleset::for_profile(profile);
            assert_eq!(ruleset.profile(), profile);
            assert_eq!(ruleset.version(), "2026.11.1");
        }
    }

    #[test]
    fn cornerstone_is_stricter() {
        let default = Ruleset::for_profile(Profile::Default);
        let cornerstone = Ruleset::for_profile(Profile::Cornerstone);
        assert_eq!(default.seo.text_length.band(300).score, 9);
        assert_eq!(cornerstone.seo.text_length.band(300).score, 3);
        assert_eq!(cornerstone.seo.text_length.band(900).score, 9);
        assert_eq!(default.seo.text_length.band(99).score, -20);
        assert_eq!(default.seo.text_length.band(100).score, -10);
        assert_eq!(cornerstone.seo.meta_description_length_off_score, 3);
    }

    #[test]
    fn profiles_parse_by_name() {
        assert_eq!("cornerstone".parse(), Ok(Profile::Cornerstone));
        assert_eq!(Profile::parse("default"), Ok(Profile::Default));
        let error = Profile::parse("Cornerstone").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown ruleset profile \"Cornerstone\": expected \"default\" or \"cornerstone\""
        );
    }

    #[test]
    fn bands_out_of_order_are_refused() {
        let bands = vec![
            TextLengthBand {
                min_words: 0,
                score: 3,
            },
            TextLengthBand {
                min_words: 300,
                score: 9,
            },
        ];
        assert!(TextLengthBands::try_from(bands).is_err());
        assert!(TextLengthBands::try_from(Vec::new()).is_err());
    }
}
