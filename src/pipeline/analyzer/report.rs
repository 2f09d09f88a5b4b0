//! One entry point for the whole analysis of a page: the HTML is segmented once (`analyze`), its
//! element facts read in one more pass (`elements`), and every score computed from those: SEO,
//! readability, engagement, and the overall score the ruleset weighs them into.

use serde::Serialize;

use super::elements::elements;
use super::engagement::{self, EngagementReport};
use super::readability::{self, ReadabilityReport};
use super::seo::{self, SeoReport};
use super::{Language, Readability, TextError, analyze};
use crate::pipeline::ruleset::{OverallWeights, Profile, Ruleset};

/// A page as the analyzer reads it.
#[derive(Clone, Copy, Debug)]
pub struct Page<'a> {
    pub html: &'a str,
    /// The SEO title, or the post title when there is none.
    pub title: &'a str,
    pub meta_description: Option<&'a str>,
    pub slug: Option<&'a str>,
    pub keyphrase: Option<&'a str>,
    pub synonyms: &'a [String],
    pub language: Language,
    /// The page's own URL: links to the same host are internal.
    pub url: Option<&'a str>,
    /// How many other items of the site use the same keyphrase.
    pub previously_used: usize,
}

impl Page<'_> {
    /// The host of the page's URL, lower-cased.
    pub(crate) fn host(&self) -> Option<String> {
        let url = url::Url::parse(self.url?).ok()?;
        url.host_str().map(str::to_ascii_lowercase)
    }
}

/// Every score of a page. Serializes with fields in declaration order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub profile: Profile,
    pub ruleset_version: String,
    /// Words, sentences, syllables and reading ease.
    pub numbers: Readability,
    pub seo: SeoReport,
    pub readability: ReadabilityReport,
    pub engagement: EngagementReport,
    /// The weighted mean of the three scores, 0 to 100.
    pub overall: u8,
}

/// Analyses `page` under `ruleset`.
pub fn report(page: &Page<'_>, ruleset: &Ruleset) -> Result<Report, TextError> {
    let analysis = analyze(page.html, page.language)?;
    let facts = elements(page.html)?;
    let seo = seo::assess(page, &analysis, &facts, &ruleset.seo);
    let readability = readability::assess_with(&analysis, &ruleset.readability);
    let host = page.host();
    let engagement = engagement::assess(&analysis, &facts, host.as_deref(), &ruleset.engagement);
    let overall = overall(
        &ruleset.overall,
        seo.score,
        readability.score,
        engagement.score,
    );
    Ok(Report {
        profile: ruleset.profile(),
        ruleset_version: ruleset.version().to_owned(),
        numbers: analysis.readability,
        seo,
        readability,
        engagement,
        overall,
    })
}

/// The weighted mean of the three scores, rounded; 0 when every weight is 0.
pub fn overall(weights: &OverallWeights, seo: u8, readability: u8, engagement: u8) -> u8 {
    let parts = [
        (weights.seo, seo),
        (weights.readability, readability),
        (weights.engagement, engagement),
    ];
    let total: u32 = parts.iter().map(|(w, _)| w).sum();
    if total == 0 {
        return 0;
    }
    let sum: u32 = parts.iter().map(|&(w, s)| w * u32::from(s)).sum();
    ((f64::from(sum) / f64::from(total)).round()).min(100.0) as u8
}
