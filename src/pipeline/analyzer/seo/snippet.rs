//! Assessments of what a search result shows: the SEO title (keyphrase, width), the meta
//! description (keyphrase, length) and the slug.

use super::super::{sentences, text};
use super::keyphrase::Phrase;
use super::title_width::title_width_px;
use super::{Context, Missing, SeoAssessment, SeoAssessmentId};

/// The keyphrase, exactly, at the start of the title (function words before it allowed) is best;
/// exactly elsewhere, or all its content words in any form and order, is ok.
pub(super) fn title_keyphrase(cx: &Context<'_>) -> SeoAssessment {
    let id = SeoAssessmentId::TitleKeyphrase;
    let Some(topic) = &cx.topic else {
        return SeoAssessment::missing(id, 2, Missing::Keyphrase);
    };
    let title = cx.matcher.words(cx.page.title);
    if title.is_empty() {
        return SeoAssessment::missing(id, 2, Missing::Title);
    }
    let keyphrase = &topic.keyphrase;
    let exact = keyphrase.exact_positions(&title).next();
    let score = match exact {
        Some(at) if Phrase::only_function_words_before(&title, at, &cx.matcher) => 9,
        Some(_) => 6,
        None if keyphrase.found_in(&title) => 6,
        None => 2,
    };
    // The measured value is the word position of the exact match, when there is one.
    SeoAssessment {
        measured: exact.map(|at| at as f64),
        ..SeoAssessment::new(id, score, 0.0)
    }
}

/// Rendered width of the title: up to 600 px fits a search result; wider is cut off. Yoast's
/// post and page assessors (cornerstone too) score a short title as well as one that fills the
/// line, so no lower limit lowers the score.
pub(super) fn title_width(cx: &Context<'_>) -> SeoAssessment {
    let id = SeoAssessmentId::TitleWidth;
    let width = title_width_px(cx.page.title.trim());
    let max = 600.0;
    let thresholds = [("max_px", max)];
    if width == 0.0 {
        return SeoAssessment::missing(id, 1, Missing::Title).thresholds(&thresholds);
    }
    let score = if width > max { 3 } else { 9 };
    SeoAssessment::new(id, score, width).thresholds(&thresholds)
}

/// Occurrences of the keyphrase and of its synonyms in the description, sentence by sentence, as
/// Yoast counts them: a sentence holding the keyphrase and a synonym counts twice, and words
/// counted for the keyphrase are not counted again for a synonym. One or two is good; more reads
/// as stuffing.
pub(super) fn meta_description_keyphrase(cx: &Context<'_>) -> SeoAssessment {
    let id = SeoAssessmentId::MetaDescriptionKeyphrase;
    let Some(topic) = &cx.topic else {
        return SeoAssessment::missing(id, 3, Missing::Keyphrase);
    };
    let Some(description) = cx.page.meta_description.filter(|d| !d.trim().is_empty()) else {
        return SeoAssessment::missing(id, 3, Missing::MetaDescription);
    };
    let mut matches = 0;
    each_description_sentence(description, |sentence| {
        let words = cx.matcher.words(sentence);
        let found = topic.keyphrase.count_in(&words);
        matches += found;
        if !topic.synonyms.is_empty() {
            let rest = topic.keyphrase.without_occurrences(&words, found);
            matches += topic
                .synonyms
                .iter()
                .map(|s| s.count_in(&rest))
                .sum::<usize>();
        }
    });
    let score = if (1..=2).contains(&matches) { 9 } else { 3 };
    SeoAssessment::new(id, score, matches as f64).thresholds(&[("most_matches", 2.0)])
}

/// Hands `f` each sentence of the description, segmented as body text is (it may hold entities
/// and tags); the whole description when it cannot be read as HTML.
fn each_description_sentence(description: &str, mut f: impl FnMut(&str)) {
    let Ok(blocks) = text::blocks(description) else {
        return f(description);
    };
    for block in &blocks {
        sentences::each_sentence(block, |range| f(&block.text[range]));
    }
}

/// Characters of the description: 121 to 156 is good; shorter or longer scores the profile's
/// penalty; none scores 1.
pub(super) fn meta_description_length(cx: &Context<'_>) -> SeoAssessment {
    let id = SeoAssessmentId::MetaDescriptionLength;
    let (min, max) = (120, 156);
    let thresholds = [("too_short_up_to", min as f64), ("max", max as f64)];
    let length = cx
        .page
        .meta_description
        .map_or(0, |d| d.trim().chars().count());
    if length == 0 {
        return SeoAssessment::missing(id, 1, Missing::MetaDescription).thresholds(&thresholds);
    }
    let score = if length <= min || length > max {
        cx.rules.meta_description_length_off_score
    } else {
        9
    };
    SeoAssessment::new(id, score, length as f64).thresholds(&thresholds)
}

/// Content words of the keyphrase in the slug (synonyms not counted): all of them for a keyphrase
/// of one or two, more than half for a longer one.
pub(super) fn slug_keyphrase(cx: &Context<'_>) -> SeoAssessment {
    let id = SeoAssessmentId::SlugKeyphrase;
    let Some(topic) = &cx.topic else {
        return SeoAssessment::missing(id, 3, Missing::Keyphrase);
    };
    let Some(slug) = cx.page.slug.map(percent_decode).filter(|s| !s.is_empty()) else {
        return SeoAssessment::missing(id, 3, Missing::Slug);
    };
    let words = cx.matcher.words(&slug.replace(['-', '_'], " "));
    let share = topic.keyphrase.share_in(&words);
    let enough = if topic.keyphrase.content_words() <= 2 {
        share >= 1.0
    } else {
        share > 0.5
    };
    let score = if enough {
        9
    } else {
        cx.rules.slug_partial_score
    };
    SeoAssessment::new(id, score, (share * 100.0).round())
        .thresholds(&[("more_than_percent", 50.0)])
}

/// WordPress stores non-ASCII slugs percent-encoded ("caf%c3%a9").
fn percent_decode(slug: &str) -> String {
    let bytes = slug.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).trim().to_owned()
}
