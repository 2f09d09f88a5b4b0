//! Assessments of the keyphrase in the body: in the introduction, its density, in subheadings, in
//! image alt text, in competing links, and how evenly it is spread. A sentence holds a phrase
//! when it holds all the phrase's content words.

use std::ops::Range;

use super::super::BlockKind;
use super::keyphrase::{Phrase, Topic};
use super::{Context, Missing, SeoAssessment, SeoAssessmentId, push_sentence_words};

/// The first paragraph: 9 when one of its sentences holds the keyphrase or a synonym, 6 when the
/// paragraph holds one only across sentences, 3 otherwise.
pub(super) fn introduction(cx: &Context<'_>) -> SeoAssessment {
    let id = SeoAssessmentId::IntroductionKeyphrase;
    let Some(topic) = &cx.topic else {
        return SeoAssessment::missing(id, 3, Missing::Keyphrase);
    };
    let Some(first) = cx
        .analysis
        .blocks
        .iter()
        .position(|b| b.kind == BlockKind::Paragraph)
    else {
        return SeoAssessment::missing(id, 3, Missing::Text);
    };
    let sentences: Vec<usize> = (0..cx.analysis.sentences.len())
        .filter(|&i| cx.analysis.sentences[i].block == first)
        .collect();
    let matching: Vec<Range<usize>> = sentences
        .iter()
        .filter(|&&i| cx.holds_topic(topic, i))
        .map(|&i| cx.analysis.sentences[i].source.clone())
        .collect();
    // The paragraph's words, read only when no sentence holds a phrase on its own.
    let paragraph = || {
        let mut words = Vec::new();
        for &index in &sentences {
            push_sentence_words(cx.analysis, index, &cx.matcher, &mut words);
        }
        words
    };
    let (score, evidence) = if !matching.is_empty() {
        (9, matching)
    } else if topic.phrases().any(|p| p.found_in(&paragraph())) {
        let block = &cx.analysis.blocks[first];
        (6, vec![block.source_range(0..block.text.len())])
    } else {
        (3, Vec::new())
    };
    SeoAssessment::new(id, score, evidence.len() as f64).evidence(evidence)
}

/// Keyphrase density above which, for languages matched by word forms, Yoast calls it too high.
const DENSITY_GOOD_MAX: f64 = 3.5;
const DENSITY_GOOD_MIN: f64 = 0.5;
const DENSITY_MAX: f64 = 4.0;

/// Occurrences of the keyphrase (synonyms not counted), weighted by its length as Yoast does:
/// `count / words × 100 × (0.7 + L / 3)`. Texts under 100 words are judged by the count alone.
/// The good range goes up to 3.5% rather than 3% because matching is by word forms, as in Yoast
/// with morphology.
pub(super) fn density(cx: &Context<'_>) -> SeoAssessment {
    let id = SeoAssessmentId::KeyphraseDensity;
    let Some(topic) = &cx.topic else {
        return SeoAssessment::missing(id, -50, Missing::Keyphrase);
    };
    let words = cx.analysis.readability.words;
    if words == 0 {
        return SeoAssessment::missing(id, -50, Missing::Text);
    }
    let mut count = 0;
    let mut evidence = Vec::new();
    for (index, &found) in cx.keyphrase_counts.iter().enumerate() {
        if found > 0 {
            count += found;
            evidence.push(cx.analysis.sentences[index].source.clone());
        }
    }
    if words < 100 {
        let most = if words <= 50 { 1 } else { 2 };
        let score = match count {
            0 => 4,
            c if c <= most => 9,
            c if c == most + 1 => -10,
            _ => -50,
        };
        return SeoAssessment::new(id, score, count as f64)
            .thresholds(&[("most_matches", most as f64)])
            .evidence(evidence);
    }
    let factor = 0.7 + topic.keyphrase.content_words() as f64 / 3.0;
    let density = count as f64 / words as f64 * 100.0 * factor;
    let fewest = ((DENSITY_GOOD_MIN * words as f64 / (100.0 * factor)).ceil() as usize).max(2);
    // One occurrence is too few however short the text; two are enough when the text is short
    // enough that two is all the recommended minimum asks for.
    let score = if count <= 1 {
        4
    } else if density > DENSITY_MAX {
        -50
    } else if density > DENSITY_GOOD_MAX {
        -10
    } else if density >= DENSITY_GOOD_MIN || (count == 2 && fewest <= 2) {
        9
    } else {
        4
    };
    SeoAssessment::new(id, score, round2(density))
        .thresholds(&[
            ("good_min_percent", DENSITY_GOOD_MIN),
            ("good_max_percent", DENSITY_GOOD_MAX),
            ("max_percent", DENSITY_MAX),
            ("matches", count as f64),
        ])
        .evidence(evidence)
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// H2 and H3 that reflect the topic: more than half the content words of the keyphrase or of a
/// synonym (all of them without a function-word list), so one word of a two-word keyphrase is not
/// enough. 30 to 75% of them is good, as is a single subheading that reflects it.
pub(super) fn subheadings(cx: &Context<'_>) -> SeoAssessment {
    let id = SeoAssessmentId::SubheadingsKeyphrase;
    let Some(topic) = &cx.topic else {
        return SeoAssessment::missing(id, 1, Missing::Keyphrase);
    };
    let words = cx.analysis.readability.words;
    if words == 0 {
        return SeoAssessment::missing(id, 1, Missing::Text);
    }
    let function_words = cx.page.language.support().function_words;
    let subheadings: Vec<(Range<usize>, bool)> = cx
        .analysis
        .blocks
        .iter()
        .filter(|b| matches!(b.kind, BlockKind::Heading(2 | 3)))
        .map(|b| {
            let text = cx.matcher.words(&b.text);
            let reflects = topic.phrases().any(|p| {
                let share = p.share_in(&text);
                if function_words {
                    share > 0.5
                } else {
                    share >= 1.0
                }
            });
            (b.source_range(0..b.text.len()), reflects)
        })
        .collect();
    let (low, high) = (30.0, 75.0);
    if subheadings.is_empty() {
        // Yoast asks for subheadings from the limit on, the limit itself included.
        let from = cx.rules.subheadings_needed_above_words;
        let score = if words >= from { 2 } else { 9 };
        return SeoAssessment::new(id, score, 0.0)
            .thresholds(&[("needed_from_words", from as f64)]);
    }
    let reflecting: Vec<Range<usize>> = subheadings
        .iter()
        .filter(|(_, reflects)| *reflects)
        .map(|(range, _)| range.clone())
        .collect();
    let share = reflecting.len() as f64 / subheadings.len() as f64 * 100.0;
    let score =
        if (subheadings.len() == 1 && reflecting.len() == 1) || (low..=high).contains(&share) {
            9
        } else {
            3
        };
    SeoAssessment::new(id, score, round2(share))
        .thresholds(&[("low_percent", low), ("high_percent", high)])
        .evidence(reflecting)
}

/// A link whose anchor text is the keyphrase or a synonym, and nothing more, tells search engines
/// another page is about the same topic. Without a keyphrase no link competes, which Yoast scores
/// as good.
pub(super) fn competing_links(cx: &Context<'_>) -> SeoAssessment {
    let id = SeoAssessmentId::TextCompetingLinks;
    let Some(topic) = &cx.topic else {
        return SeoAssessment::missing(id, 8, Missing::Keyphrase);
    };
    let competing: Vec<Range<usize>> = cx
        .elements
        .links
        .iter()
        .filter(|link| {
            let anchor = cx.matcher.words(&link.text);
            topic.phrases().any(|p| p.is_whole_of(&anchor, &cx.matcher))
        })
        .map(|link| link.source.clone())
        .collect();
    let score = if competing.is_empty() { 8 } else { 2 };
    SeoAssessment::new(id, score, competing.len() as f64).evidence(competing)
}

/// Alt texts holding at least half the content words of the keyphrase or a synonym. With fewer
/// than 5 images one is enough; with 5 or more, 30 to 75% of them should.
pub(super) fn image_keyphrase(cx: &Context<'_>) -> SeoAssessment {
    let id = SeoAssessmentId::ImageKeyphrase;
    let Some(topic) = &cx.topic else {
        return SeoAssessment::missing(id, 3, Missing::Keyphrase);
    };
    let images = &cx.elements.images;
    if images.is_empty() {
        return SeoAssessment::missing(id, 3, Missing::Images);
    }
    let matching: Vec<Range<usize>> = images
        .iter()
        .filter(|image| {
            image
                .alt
                .as_deref()
                .is_some_and(|alt| alt_reflects(topic, &cx.matcher.words(alt)))
        })
        .map(|image| image.source.clone())
        .collect();
    let (low, high) = (30.0, 75.0);
    let share = matching.len() as f64 / images.len() as f64 * 100.0;
    let score = if matching.is_empty() {
        cx.rules.image_alt_without_keyphrase_score
    } else if images.len() < 5 || (low..=high).contains(&share) {
        9
    } else {
        6
    };
    SeoAssessment::new(id, score, round2(share))
        .thresholds(&[
            ("many_images", 5.0),
            ("low_percent", low),
            ("high_percent", high),
        ])
        .evidence(matching)
}

fn alt_reflects(topic: &Topic, alt: &[super::keyphrase::Word]) -> bool {
    topic.phrases().any(|p: &Phrase| p.share_in(alt) >= 0.5)
}

/// The longest run of sentences without the keyphrase or a synonym, as a share of all sentences:
/// under 30% is good, up to 50% ok. Texts under 15 sentences only need to hold it once.
pub(super) fn distribution(cx: &Context<'_>) -> Option<SeoAssessment> {
    let topic = cx.topic.as_ref()?;
    let id = SeoAssessmentId::KeyphraseDistribution;
    let total = cx.analysis.sentences.len();
    if total == 0 {
        return Some(SeoAssessment::missing(id, 1, Missing::Text));
    }
    let found: Vec<bool> = (0..total).map(|i| cx.holds_topic(topic, i)).collect();
    // The longest run of sentences without it, as a range of sentence indices.
    let mut longest = 0..0;
    let mut run_start = 0;
    for (index, &holds) in found.iter().chain([&true]).enumerate() {
        if holds {
            if index - run_start > longest.len() {
                longest = run_start..index;
            }
            run_start = index + 1;
        }
    }
    let share = longest.len() as f64 / total as f64 * 100.0;
    let (good, ok, minimum_sentences) = (30.0, 50.0, 15);
    let score = if !found.contains(&true) {
        1
    } else if total < minimum_sentences || share < good {
        9
    } else if share <= ok {
        6
    } else {
        1
    };
    let sentences = &cx.analysis.sentences;
    let evidence: Vec<Range<usize>> = match (
        sentences.get(longest.start),
        longest
            .end
            .checked_sub(1)
            .and_then(|last| sentences.get(last)),
    ) {
        (Some(first), Some(last)) if !longest.is_empty() => {
            std::iter::once(first.source.start..last.source.end).collect()
        }
        _ => Vec::new(),
    };
    Some(
        SeoAssessment::new(id, score, round2(share))
            .thresholds(&[
                ("good_below_percent", good),
                ("ok_up_to_percent", ok),
                ("minimum_sentences", minimum_sentences as f64),
            ])
            .evidence(evidence),
    )
}
