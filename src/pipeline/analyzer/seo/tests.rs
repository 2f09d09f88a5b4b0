//! Golden tests of the SEO assessments, one `check` per group: a page, the assessment, and the
//! expected score, measured value and evidence (as the source text it points at).

use super::super::Language;
use super::super::report::{Page, report};
use super::*;
use crate::pipeline::ruleset::{Profile, Ruleset};

fn page(html: &str) -> Page<'_> {
    Page {
        html,
        title: "",
        meta_description: None,
        slug: None,
        keyphrase: None,
        synonyms: &[],
        language: Language::English,
        url: Some("https://example.com/tea/"),
        previously_used: 0,
    }
}

fn assessment(page: &Page<'_>, profile: Profile, id: SeoAssessmentId) -> Option<SeoAssessment> {
    let report = report(page, Ruleset::for_profile(profile)).unwrap();
    report.seo.assessment(id).cloned()
}

/// Checks one assessment's score and measured value, and the source text of its evidence.
fn check(page: &Page<'_>, id: SeoAssessmentId, expected: Option<(i16, Option<f64>, &[&str])>) {
    check_profile(page, Profile::Default, id, expected);
}

fn check_profile(
    page: &Page<'_>,
    profile: Profile,
    id: SeoAssessmentId,
    expected: Option<(i16, Option<f64>, &[&str])>,
) {
    let actual = assessment(page, profile, id).map(|a| {
        let evidence: Vec<&str> = a.evidence.iter().map(|r| &page.html[r.clone()]).collect();
        (a.score, a.measured, evidence)
    });
    let expected = expected.map(|(score, measured, evidence)| (score, measured, evidence.to_vec()));
    assert_eq!(actual, expected, "{}", page.html);
}

#[test]
fn aggregate_is_the_mean_as_a_share_of_nine() {
    assert_eq!(aggregate([3, 6, 9]), 67);
    assert_eq!(aggregate([9, 9]), 100);
    assert_eq!(aggregate([-999, 9]), 0);
    assert_eq!(aggregate([]), 0);
}

fn words_of(n: usize) -> String {
    vec!["word"; n].join(" ")
}

#[test]
fn text_length_bands_by_profile() {
    let html = format!("<p>{}</p>", words_of(300));
    check(
        &page(&html),
        SeoAssessmentId::TextLength,
        Some((9, Some(300.0), &[])),
    );
    check_profile(
        &page(&html),
        Profile::Cornerstone,
        SeoAssessmentId::TextLength,
        Some((3, Some(300.0), &[])),
    );
    let html = format!("<p>{}</p>", words_of(99));
    check(
        &page(&html),
        SeoAssessmentId::TextLength,
        Some((-20, Some(99.0), &[])),
    );
}
