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

fn keyed<'a>(html: &'a str, keyphrase: &'a str) -> Page<'a> {
    Page {
        keyphrase: Some(keyphrase),
        ..page(html)
    }
}

#[test]
fn text_length_edges() {
    for (words, score) in [
        (300, 9),
        (299, 6),
        (250, 6),
        (249, 3),
        (200, 3),
        (199, -10),
        (100, -10),
    ] {
        let html = format!("<p>{}</p>", words_of(words));
        check(
            &page(&html),
            SeoAssessmentId::TextLength,
            Some((score, Some(words as f64), &[])),
        );
    }
    for (words, score) in [(900, 9), (899, 6), (400, 6), (399, 3), (299, -20)] {
        let html = format!("<p>{}</p>", words_of(words));
        check_profile(
            &page(&html),
            Profile::Cornerstone,
            SeoAssessmentId::TextLength,
            Some((score, Some(words as f64), &[])),
        );
    }
}

#[test]
fn keyphrase_length() {
    let id = SeoAssessmentId::KeyphraseLength;
    check(&page("<p>Tea.</p>"), id, Some((-999, None, &[])));
    check(
        &keyed("", "how to brew green tea"),
        id,
        Some((9, Some(3.0), &[])),
    );
    check(
        &keyed("", "best green tea kettle"),
        id,
        Some((9, Some(4.0), &[])),
    );
    check(
        &keyed("", "best green tea kettle guide"),
        id,
        Some((6, Some(5.0), &[])),
    );
    check(
        &keyed(
            "",
            "best green tea kettle guide for small busy city kitchens",
        ),
        id,
        Some((3, Some(9.0), &[])),
    );
    // Without a function-word list every word counts, against wider limits.
    let german = Page {
        language: Language::German,
        ..keyed("", "der beste grüne Tee aus dem Laden")
    };
    check(&german, id, Some((6, Some(7.0), &[])));
}

#[test]
fn function_words_in_keyphrase() {
    let id = SeoAssessmentId::FunctionWordsInKeyphrase;
    check(&keyed("", "how to do it"), id, Some((0, Some(4.0), &[])));
    check(&keyed("", "green tea"), id, None);
    let german = Page {
        language: Language::German,
        ..keyed("", "wie und wo")
    };
    let report = report(&german, Ruleset::for_profile(Profile::Default)).unwrap();
    assert_eq!(report.seo.omitted, [id]);
    assert!(report.seo.assessment(id).is_none());
}

#[test]
fn previously_used_keyphrase() {
    let id = SeoAssessmentId::PreviouslyUsedKeyphrase;
    check(&page(""), id, Some((1, None, &[])));
    for (used, score) in [(0, 9), (1, 6), (2, 1)] {
        let page = Page {
            previously_used: used,
            ..keyed("", "green tea")
        };
        check(&page, id, Some((score, Some(used as f64), &[])));
    }
}

#[test]
fn images() {
    let id = SeoAssessmentId::Images;
    check(&page("<p>No picture.</p>"), id, Some((3, Some(0.0), &[])));
    check(
        &page("<p>One <img src=a.png> here.</p><noscript><img src=a.png></noscript>"),
        id,
        Some((9, Some(1.0), &["<img src=a.png>"])),
    );
}

#[test]
fn outbound_and_internal_links() {
    let outbound = SeoAssessmentId::OutboundLinks;
    let internal = SeoAssessmentId::InternalLinks;
    let away = r#"<a href="https://other.org/x">away</a>"#;
    let away_nofollow = r#"<a href="https://other.org/y" rel="nofollow">spon</a>"#;
    let home = r#"<a href="/about">about</a>"#;
    let home_absolute = r#"<a href="https://EXAMPLE.com/shop">shop</a>"#;
    let neither = r##"<a href="#top">top</a><a href="mailto:a@b.c">mail</a>"##;
    let html = format!("<p>{neither}</p>");
    check(&page(&html), outbound, Some((3, Some(0.0), &[])));
    check(&page(&html), internal, Some((3, Some(0.0), &[])));
    let html = format!("<p>{away} {home} {home_absolute}</p>");
    check(&page(&html), outbound, Some((9, Some(1.0), &[away])));
    check(
        &page(&html),
        internal,
        Some((9, Some(2.0), &[home, home_absolute])),
    );
    let html = format!("<p>{away_nofollow}</p>");
    check(
        &page(&html),
        outbound,
        Some((7, Some(1.0), &[away_nofollow])),
    );
    let html = format!("<p>{away} {away_nofollow}</p>");
    check(
        &page(&html),
        outbound,
        Some((8, Some(2.0), &[away, away_nofollow])),
    );
    // Without the page's URL every absolute link leads away.
    let html = format!("<p>{home_absolute}</p>");
    let unknown = Page {
        url: None,
        ..page(&html)
    };
    check(&unknown, outbound, Some((9, Some(1.0), &[home_absolute])));
}

#[test]
fn single_h1() {
    let id = SeoAssessmentId::SingleH1;
    check(
        &page("<h1>Only</h1><p>Text.</p>"),
        id,
        Some((8, Some(1.0), &["Only"])),
    );
    check(
        &page("<h1>One</h1><p>Text.</p><h1>Two</h1>"),
        id,
        Some((1, Some(2.0), &["One", "Two"])),
    );
}

#[test]
fn keyphrase_in_introduction() {
    let id = SeoAssessmentId::IntroductionKeyphrase;
    let html =
        "<h2>Kettles</h2><p>We brew daily. Configuring kettles helps.</p><p>Configure kettles.</p>";
    check(
        &keyed(html, "configure kettle"),
        id,
        Some((9, Some(1.0), &["Configuring kettles helps."])),
    );
    let html = "<p>Configure it well. The kettle matters.</p>";
    check(
        &keyed(html, "configure kettle"),
        id,
        Some((6, Some(1.0), &["Configure it well. The kettle matters."])),
    );
    let html = "<p>Intro.</p><p>Configure the kettle.</p>";
    check(
        &keyed(html, "configure kettle"),
        id,
        Some((3, Some(0.0), &[])),
    );
    let synonyms = ["matcha".to_owned()];
    let page_with_synonym = Page {
        synonyms: &synonyms,
        ..keyed("<p>Matcha is great.</p>", "green tea")
    };
    check(
        &page_with_synonym,
        id,
        Some((9, Some(1.0), &["Matcha is great."])),
    );
    check(&page("<p>Text.</p>"), id, Some((3, None, &[])));
    check(
        &keyed("<ul><li>Tea</li></ul>", "tea"),
        id,
        Some((3, None, &[])),
    );
}

/// A paragraph of `matches` sentences "Tea is good." followed by a filler sentence up to `words`
/// words (capitalised: a sentence only ends before a capital letter).
fn tea_text(matches: usize, words: usize) -> String {
    let sentences = "Tea is good. ".repeat(matches);
    format!(
        "<p>{sentences}Word {}.</p>",
        words_of(words - 3 * matches - 1)
    )
}

#[test]
fn keyphrase_density_in_short_texts() {
    let id = SeoAssessmentId::KeyphraseDensity;
    let one = ["Tea is good."];
    check(
        &keyed(&tea_text(0, 20), "tea"),
        id,
        Some((4, Some(0.0), &[])),
    );
    check(
        &keyed(&tea_text(1, 50), "tea"),
        id,
        Some((9, Some(1.0), &one)),
    );
    check(
        &keyed(&tea_text(2, 50), "tea"),
        id,
        Some((-10, Some(2.0), &[one[0], one[0]])),
    );
    check(
        &keyed(&tea_text(2, 51), "tea"),
        id,
        Some((9, Some(2.0), &[one[0], one[0]])),
    );
    check(
        &keyed(&tea_text(4, 99), "tea"),
        id,
        Some((-50, Some(4.0), &[one[0]; 4])),
    );
    check(&page("<p>Tea.</p>"), id, Some((-50, None, &[])));
}

#[test]
fn keyphrase_density_in_long_texts() {
    let id = SeoAssessmentId::KeyphraseDensity;
    let score = |matches, words| {
        let html = tea_text(matches, words);
        let page = keyed(&html, "tea");
        let found = assessment(&page, Profile::Default, id).unwrap();
        (found.score, found.measured)
    };
    // One keyphrase word weighs 0.7 + 1/3.
    assert_eq!(score(1, 300), (4, Some(0.34)));
    assert_eq!(score(2, 300), (9, Some(0.69)));
    // Two matches below 0.5% are too few when the text asks for more.
    assert_eq!(score(2, 1000), (4, Some(0.21)));
    assert_eq!(score(5, 1000), (9, Some(0.52)));
    assert_eq!(score(3, 100), (9, Some(3.1)));
    assert_eq!(score(4, 110), (-10, Some(3.76)));
    assert_eq!(score(4, 100), (-50, Some(4.13)));
}

#[test]
fn keyphrase_in_subheadings() {
    let id = SeoAssessmentId::SubheadingsKeyphrase;
    let section = |heading: &str| format!("<h2>{heading}</h2><p>Some words.</p>");
    let html = [section("Green tea basics"), section("Other")].concat();
    check(
        &keyed(&html, "green tea"),
        id,
        Some((9, Some(50.0), &["Green tea basics"])),
    );
    // Half the content words is not enough, Yoast asks for more; h4 does not count.
    let html = format!(
        "{}<h4>Green tea</h4>{}{}{}",
        section("Green things"),
        section("Tea green"),
        section("B"),
        section("C")
    );
    check(
        &keyed(&html, "green tea"),
        id,
        Some((3, Some(25.0), &["Tea green"])),
    );
    let html = [section("Green tea"), section("<em>Teas</em> of green")].concat();
    check(
        &keyed(&html, "green tea"),
        id,
        Some((3, Some(100.0), &["Green tea", "Teas</em> of green"])),
    );
    check(
        &keyed(&section("Brewing green tea"), "green tea"),
        id,
        Some((9, Some(100.0), &["Brewing green tea"])),
    );
    // Yoast asks for subheadings from 300 words on.
    let html = format!("<p>{}</p>", words_of(300));
    check(&keyed(&html, "tea"), id, Some((2, Some(0.0), &[])));
    let html = format!("<p>{}</p>", words_of(299));
    check(&keyed(&html, "tea"), id, Some((9, Some(0.0), &[])));
    let html = format!("<p>{}</p>", words_of(250));
    check_profile(
        &keyed(&html, "tea"),
        Profile::Cornerstone,
        id,
        Some((2, Some(0.0), &[])),
    );
    check(&page(&html), id, Some((1, None, &[])));
}

#[test]
fn competing_links() {
    let id = SeoAssessmentId::TextCompetingLinks;
    let link = r#"<a href="/x">Green teas</a>"#;
    let html = format!("<p>See {link}.</p>");
    check(
        &keyed(&html, "green tea"),
        id,
        Some((2, Some(1.0), &[link])),
    );
    let html = r#"<p>See <a href="/x">green tea recipes</a>.</p>"#;
    check(&keyed(html, "green tea"), id, Some((8, Some(0.0), &[])));
    check(&page(html), id, Some((8, None, &[])));
}

#[test]
fn keyphrase_in_image_alt() {
    let id = SeoAssessmentId::ImageKeyphrase;
    let good = r#"<img alt="Green tea cup">"#;
    let half = r#"<img alt="green cup">"#;
    let other = r#"<img alt="category">"#;
    let html = format!("<p>{good}{other}</p>");
    check(
        &keyed(&html, "green tea"),
        id,
        Some((9, Some(50.0), &[good])),
    );
    let html = format!("<p>{other}<img src=a.png></p>");
    check(&keyed(&html, "cat"), id, Some((6, Some(0.0), &[])));
    check_profile(
        &keyed(&html, "cat"),
        Profile::Cornerstone,
        id,
        Some((3, Some(0.0), &[])),
    );
    // Five images or more: 30 to 75% of them.
    let html = format!("<p>{half}{}</p>", other.repeat(4));
    check(
        &keyed(&html, "green tea"),
        id,
        Some((6, Some(20.0), &[half])),
    );
    let html = format!("<p>{half}{half}{}</p>", other.repeat(3));
    check(
        &keyed(&html, "green tea"),
        id,
        Some((9, Some(40.0), &[half, half])),
    );
    let html = format!("<p>{}</p>", good.repeat(5));
    check(
        &keyed(&html, "green tea"),
        id,
        Some((6, Some(100.0), &[good; 5])),
    );
    check(&keyed("<p>Text.</p>", "tea"), id, Some((3, None, &[])));
    check(&page(&format!("<p>{good}</p>")), id, Some((3, None, &[])));
}

#[test]
fn keyphrase_distribution() {
    let id = SeoAssessmentId::KeyphraseDistribution;
    let text = |with: &[usize]| {
        let sentences: Vec<&str> = (0..15)
            .map(|i| {
                if with.contains(&i) {
                    "Tea here."
                } else {
                    "Nothing."
                }
            })
            .collect();
        format!("<p>{}</p>", sentences.join(" "))
    };
    let html = text(&[0, 5, 10]);
    check(
        &keyed(&html, "tea"),
        id,
        Some((9, Some(26.67), &["Nothing. Nothing. Nothing. Nothing."])),
    );
    let html = text(&[0, 7]);
    let run = ["Nothing."; 7].join(" ");
    check(
        &keyed(&html, "tea"),
        id,
        Some((6, Some(46.67), &[run.as_str()])),
    );
    let html = text(&[0]);
    let run = ["Nothing."; 14].join(" ");
    check(
        &keyed(&html, "tea"),
        id,
        Some((1, Some(93.33), &[run.as_str()])),
    );
    check(
        &keyed("<p>Tea here. Nothing.</p>", "tea"),
        id,
        Some((9, Some(50.0), &["Nothing."])),
    );
    check(
        &keyed("<p>Nothing.</p>", "tea"),
        id,
        Some((1, Some(100.0), &["Nothing."])),
    );
    check(&page("<p>Tea.</p>"), id, None);
}

fn titled<'a>(title: &'a str, keyphrase: &'a str) -> Page<'a> {
    Page {
        title,
        ..keyed("", keyphrase)
    }
}

#[test]
fn keyphrase_in_title() {
    let id = SeoAssessmentId::TitleKeyphrase;
    check(
        &titled("Green Tea: a guide", "green tea"),
        id,
        Some((9, Some(0.0), &[])),
    );
    check(
        &titled("The green tea guide", "green tea"),
        id,
        Some((9, Some(1.0), &[])),
    );
    check(
        &titled("Best green tea", "green tea"),
        id,
        Some((6, Some(1.0), &[])),
    );
    check(
        &titled("Teas that are green", "green tea"),
        id,
        Some((6, None, &[])),
    );
    check(
        &titled("Green coffee", "green tea"),
        id,
        Some((2, None, &[])),
    );
    check(&titled("", "green tea"), id, Some((2, None, &[])));
    check(&page(""), id, Some((2, None, &[])));
}

#[test]
fn title_width() {
    let id = SeoAssessmentId::TitleWidth;
    let title = |n: usize| "a".repeat(n);
    // "a" is 556/1000 of 20 px.
    for (letters, score, px) in [
        (1, 9, 11.0),
        (35, 9, 389.0),
        (36, 9, 400.0),
        (54, 9, 600.0),
        (55, 3, 612.0),
    ] {
        let title = title(letters);
        check(&titled(&title, "tea"), id, Some((score, Some(px), &[])));
    }
    check(&titled("  ", "tea"), id, Some((1, None, &[])));
}

fn described<'a>(description: &'a str, keyphrase: &'a str) -> Page<'a> {
    Page {
        meta_description: Some(description),
        ..keyed("", keyphrase)
    }
}

#[test]
fn meta_description_length() {
    let id = SeoAssessmentId::MetaDescriptionLength;
    for (length, score) in [(120, 6), (121, 9), (156, 9), (157, 6)] {
        let description = "é".repeat(length);
        check(
            &described(&description, "tea"),
            id,
            Some((score, Some(length as f64), &[])),
        );
    }
    check_profile(
        &described(&"a".repeat(157), "tea"),
        Profile::Cornerstone,
        id,
        Some((3, Some(157.0), &[])),
    );
    check(&page(""), id, Some((1, None, &[])));
}

#[test]
fn keyphrase_in_meta_description() {
    let id = SeoAssessmentId::MetaDescriptionKeyphrase;
    let cases = [
        ("Brew green tea well. Teas so green! Coffee.", 9, 2.0),
        ("Brew green tea. Green tea. More green tea.", 3, 3.0),
        ("Brew coffee.", 3, 0.0),
    ];
    for (description, score, matches) in cases {
        check(
            &described(description, "green tea"),
            id,
            Some((score, Some(matches), &[])),
        );
    }
    check(&keyed("", "tea"), id, Some((3, None, &[])));
    // The keyphrase and a synonym in one sentence are two matches, and with a third, too many.
    let synonyms = ["herbal tea".to_owned()];
    let page = |description| Page {
        synonyms: &synonyms,
        ..described(description, "green tea")
    };
    check(
        &page("Green tea or herbal tea."),
        id,
        Some((9, Some(2.0), &[])),
    );
    check(
        &page("Green tea or herbal tea. Green tea again."),
        id,
        Some((3, Some(3.0), &[])),
    );
    // "Tea" went to the keyphrase, so the synonym is not found again.
    check(&page("Green herbal tea."), id, Some((9, Some(1.0), &[])));
}

fn slugged<'a>(slug: &'a str, keyphrase: &'a str) -> Page<'a> {
    Page {
        slug: Some(slug),
        ..keyed("", keyphrase)
    }
}

#[test]
fn keyphrase_in_slug() {
    let id = SeoAssessmentId::SlugKeyphrase;
    check(
        &slugged("green-tea-guide", "green tea"),
        id,
        Some((9, Some(100.0), &[])),
    );
    check(
        &slugged("green-things", "green tea"),
        id,
        Some((6, Some(50.0), &[])),
    );
    check_profile(
        &slugged("green-things", "green tea"),
        Profile::Cornerstone,
        id,
        Some((3, Some(50.0), &[])),
    );
    check(
        &slugged("green_tea", "green tea brewing"),
        id,
        Some((9, Some(67.0), &[])),
    );
    check(
        &slugged("tea", "green tea brewing"),
        id,
        Some((6, Some(33.0), &[])),
    );
    check(
        &slugged("caf%C3%A9s-paris", "café"),
        id,
        Some((9, Some(100.0), &[])),
    );
    check(&slugged("category", "cat"), id, Some((6, Some(0.0), &[])));
    check(&keyed("", "tea"), id, Some((3, None, &[])));
}

#[test]
fn the_score_with_one_assessment_fixed() {
    let html = format!("<p>{}</p>", words_of(300));
    let report = report(&keyed(&html, "tea"), Ruleset::for_profile(Profile::Default)).unwrap();
    let seo = &report.seo;
    assert_eq!(
        seo.score,
        aggregate(seo.assessments.iter().map(|a| a.score))
    );
    let fixed = seo.score_with(SeoAssessmentId::MetaDescriptionLength, 9);
    let before = seo
        .assessment(SeoAssessmentId::MetaDescriptionLength)
        .unwrap()
        .score;
    assert_eq!(before, 1);
    let n = seo.assessments.len() as f64;
    let sum: f64 = seo.assessments.iter().map(|a| f64::from(a.score)).sum();
    assert_eq!(
        f64::from(fixed),
        ((sum + 8.0) * 100.0 / (n * 9.0)).round().clamp(0.0, 100.0)
    );
}
