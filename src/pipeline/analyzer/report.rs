//! One entry point for the whole analysis of a page: one pass over the HTML yields its text blocks
//! and its element facts (`analyze_with_elements`), and every score is computed from those: SEO,
//! readability, engagement, and the overall score the ruleset weighs them into.

use serde::Serialize;

use super::elements::Elements;
use super::engagement::{self, EngagementReport};
use super::readability::{self, ReadabilityReport};
use super::seo::{self, SeoAssessment, SeoAssessmentId, SeoReport};
use super::{Analysis, Language, Readability, TextError, analyze_with_elements};
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
    report_after(page, ruleset, None).map(|(report, _)| report)
}

/// [`report`] of a page whose markup changed since `earlier` analysed it, with the analysis it
/// was computed from: every block is read from the page again, and a block whose text is as it
/// was keeps what `earlier` measured and read in it, so only text that changed is read again.
pub(crate) fn report_after(
    page: &Page<'_>,
    ruleset: &Ruleset,
    earlier: Option<&Analysis>,
) -> Result<(Report, Analysis), TextError> {
    let (analysis, facts) = analyze_with_elements(page.html, page.language, earlier)?;
    Ok((report_of(page, ruleset, &analysis, &facts), analysis))
}

/// The report of `page` from its analysis and element facts, for a caller that read them in a
/// pass of its own.
pub(crate) fn report_of(
    page: &Page<'_>,
    ruleset: &Ruleset,
    analysis: &Analysis,
    facts: &Elements,
) -> Report {
    // Parsed once: the SEO link assessments and engagement judge links from it.
    let host = page.host();
    let seo = seo::assess(page, host.as_deref(), analysis, facts, &ruleset.seo);
    let readability = readability::assess_with(analysis, &ruleset.readability);
    let engagement = engagement::assess(analysis, facts, host.as_deref(), &ruleset.engagement);
    let overall = overall(
        &ruleset.overall,
        seo.score,
        readability.score,
        engagement.score,
    );
    Report {
        profile: ruleset.profile(),
        ruleset_version: ruleset.version().to_owned(),
        numbers: analysis.readability.clone(),
        seo,
        readability,
        engagement,
        overall,
    }
}

/// Assessment `id` of `page` under `ruleset`, as [`report`] would score it, without the other
/// assessments, readability or engagement.
pub(crate) fn seo_assessment(
    page: &Page<'_>,
    ruleset: &Ruleset,
    id: SeoAssessmentId,
) -> Result<Option<SeoAssessment>, TextError> {
    let (analysis, facts) = analyze_with_elements(page.html, page.language, None)?;
    Ok(seo::assess_one(page, &analysis, &facts, &ruleset.seo, id))
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn page(html: &str) -> Page<'_> {
        Page {
            html,
            title: "Green tea: how to brew it",
            meta_description: Some("Brew green tea well."),
            slug: Some("green-tea"),
            keyphrase: Some("green tea"),
            synonyms: &[],
            language: Language::English,
            url: Some("https://example.com/green-tea/"),
            previously_used: 0,
        }
    }

    #[test]
    fn overall_weighs_the_three_scores() {
        let html = "<h2>Green tea</h2><p>Green tea is easy to brew. <b>Boil</b> water first.</p><ul><li>Cup</li></ul>";
        let report = report(&page(html), Ruleset::for_profile(Profile::Default)).unwrap();
        assert_eq!(report.profile, Profile::Default);
        assert_eq!(report.ruleset_version, "2026.11.1");
        assert_eq!(report.numbers.words, 12);
        let weights = &Ruleset::for_profile(Profile::Default).overall;
        let expected = (f64::from(
            4 * u32::from(report.seo.score)
                + 3 * u32::from(report.readability.score)
                + 3 * u32::from(report.engagement.score),
        ) / 10.0)
            .round() as u8;
        assert_eq!(report.overall, expected);
        assert_eq!(overall(weights, 100, 90, 50), 82);
        assert_eq!(overall(weights, 0, 0, 0), 0);
    }

    #[test]
    fn json_is_deterministic_and_in_declaration_order() {
        let html = "<p>Green tea. <a href=\"/cups\">Buy cups</a></p>";
        let ruleset = Ruleset::for_profile(Profile::Cornerstone);
        let first = serde_json::to_string(&report(&page(html), ruleset).unwrap()).unwrap();
        let second = serde_json::to_string(&report(&page(html), ruleset).unwrap()).unwrap();
        assert_eq!(first, second);
        assert!(first.starts_with(
            r#"{"profile":"cornerstone","ruleset_version":"2026.11.1","numbers":{"language":"english","words":4,"#
        ));
        let keys = [
            "\"seo\":",
            "\"readability\":{\"score\"",
            "\"engagement\":",
            "\"overall\":",
        ];
        let positions: Vec<usize> = keys.iter().filter_map(|k| first.find(k)).collect();
        assert_eq!(positions.len(), keys.len());
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
        assert!(first.contains(
            r#"{"id":"introduction_keyphrase","score":9,"rating":"good","measured":1.0,"missing":null,"thresholds":[],"evidence":[{"start":3,"end":13}]}"#
        ));
    }

    proptest! {
        #[test]
        fn never_panics_on_html_like_input(
            html in r#"(<(/?)(p|h1|h2|h3|li|ul|a|img|button|b|em|blockquote|noscript|!--)( (href|alt|rel|src)="[^"]*")?>|\[/?[a-z]+[^\]]*\]|&[a-z#0-9]{0,8};?|[A-Za-z .,!?'"\n\u{a0}\u{2014}\u{e9}\u{4e2d}0-9]{0,12}){0,40}"#,
            keyphrase in proptest::option::of("[a-z \"\u{e9}]{0,12}"),
            slug in proptest::option::of("[a-z%0-9_-]{0,12}"),
        ) {
            let page = Page {
                keyphrase: keyphrase.as_deref(),
                slug: slug.as_deref(),
                meta_description: Some(&html),
                title: &html,
                ..page(&html)
            };
            for profile in [Profile::Default, Profile::Cornerstone] {
                let report = report(&page, Ruleset::for_profile(profile)).unwrap();
                prop_assert!(report.seo.score <= 100 && report.overall <= 100);
                for assessment in &report.seo.assessments {
                    for range in &assessment.evidence {
                        prop_assert!(range.start <= range.end && range.end <= html.len());
                    }
                }
            }
        }

        #[test]
        fn an_earlier_analysis_never_changes_the_report(
            html in r#"(<(/?)(p|h2|li|ul|a|img|b|em|br|!--)( (href|alt|class)="[^"]*")?>|[A-Za-z .,!?'\n\u{a0}\u{e9}0-9]{0,12}| green tea ){0,40}"#,
            other in r#"(<(/?)(p|h2|li|a|em)>|[A-Za-z .,!?\n]{0,12}| green tea ){0,20}"#,
            level in 1u8..=6,
        ) {
            let ruleset = Ruleset::for_profile(Profile::Default);
            // The same text under other markup, as the optimizer leaves it; then a page with
            // other text altogether, of which nothing can be taken over.
            let retagged = html
                .replace("<h2", &format!("<h{level}"))
                .replace("<p>", "<p class=\"lead\">")
                .replace("<img", "<img loading=\"lazy\"");
            let other = format!("{other}{html}");
            for (earlier, now) in [(&html, &retagged), (&other, &html), (&html, &other)] {
                // Scoring the earlier page fills its readings, which the later one takes over.
                let (_, analysis) = report_after(&page(earlier), ruleset, None).unwrap();
                let (taken_over, _) = report_after(&page(now), ruleset, Some(&analysis)).unwrap();
                prop_assert_eq!(taken_over, report(&page(now), ruleset).unwrap());
            }
        }

        #[test]
        fn never_panics_on_any_string(html in any::<String>(), keyphrase in any::<String>()) {
            let page = Page { keyphrase: Some(&keyphrase), title: &keyphrase, ..page(&html) };
            let _ = report(&page, Ruleset::for_profile(Profile::Default));
        }
    }
}
