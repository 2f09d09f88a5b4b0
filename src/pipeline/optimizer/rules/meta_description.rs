//! A meta description from the introduction, when the page has none or one whose length Yoast
//! rates below good.
//!
//! The text is made of whole sentences of the first prose paragraph (and, when that is too short,
//! of the paragraphs that follow it before the next heading), as many as fit in the maximum
//! length. When they do not reach the minimum, the next sentence is cut at a word boundary and
//! ends with an ellipsis, so a reader sees it goes on. When the introduction holds the keyphrase
//! and the text from its first sentence does not, the text starts at the sentence that does, or
//! as few sentences before it as make it long enough, since Yoast rates a description with the
//! keyphrase higher. Nothing is proposed when no
//! text within the range can be made: a description outside it would not raise the score.

use std::ops::RangeInclusive;

use super::{Context, Prediction};
use crate::pipeline::analyzer::sentences::sentences;
use crate::pipeline::analyzer::{BlockKind, SeoAssessmentId};
use crate::pipeline::optimizer::markup::normalize;
use crate::pipeline::optimizer::patch::Patch;

const ELLIPSIS: char = '\u{2026}';

/// The lengths in characters Yoast rates good.
const GOOD_LENGTH: RangeInclusive<usize> = 121..=156;

pub(crate) fn patches(context: &Context<'_>) -> Vec<Patch> {
    let range = GOOD_LENGTH;
    let current = context
        .page
        .meta_description
        .map(|text| text.trim().chars().count())
        .unwrap_or_default();
    if range.contains(&current) {
        return Vec::new();
    }
    let holds_keyphrase = |text: &str| {
        context.keyphrase().is_some() && context.description_keyphrase_score(text) == Some(9)
    };
    let intro = introduction(context);
    // From the start of the introduction first; then from the sentence holding the keyphrase,
    // or as little before it as makes a long enough text.
    let starts = match intro.iter().position(|sentence| holds_keyphrase(sentence)) {
        Some(with_keyphrase) => std::iter::once(0)
            .chain((1..=with_keyphrase).rev())
            .collect(),
        None => vec![0],
    };
    let mut first = None;
    for start in starts {
        let Some(text) = description(&intro[start..], &range) else {
            continue;
        };
        if holds_keyphrase(&text) {
            return vec![Patch::SetMetaDescription { text }];
        }
        first.get_or_insert(text);
    }
    first
        .map(|text| Patch::SetMetaDescription { text })
        .into_iter()
        .collect()
}

/// The description is within the good length by construction, so its length assessment becomes
/// good; the keyphrase assessment is the analyzer's on the new description, which it reads alone.
pub(crate) fn predict(context: &Context<'_>, patches: &[Patch]) -> Vec<Prediction> {
    let Some(Patch::SetMetaDescription { text }) = patches.first() else {
        return Vec::new();
    };
    let length = SeoAssessmentId::MetaDescriptionLength;
    let keyphrase = SeoAssessmentId::MetaDescriptionKeyphrase;
    let after_length = (GOOD_LENGTH.contains(&text.chars().count())).then_some(9);
    [
        (length, context.score_before(length), after_length),
        (
            keyphrase,
            context.score_before(keyphrase),
            context.description_keyphrase_score(text),
        ),
    ]
    .into_iter()
    .filter_map(|(assessment, before, after)| {
        Some(Prediction {
            assessment,
            before: before?,
            after: after?,
        })
    })
    .collect()
}

/// The sentences of the first prose paragraph and of the paragraphs after it up to the next
/// heading or other block.
fn introduction(context: &Context<'_>) -> Vec<String> {
    context
        .blocks
        .iter()
        .skip_while(|block| block.kind != BlockKind::Paragraph)
        .take_while(|block| block.kind == BlockKind::Paragraph)
        .flat_map(|block| {
            sentences(block)
                .into_iter()
                .map(|range| normalize(&block.text[range]))
                .collect::<Vec<_>>()
        })
        .filter(|sentence| !sentence.is_empty())
        .collect()
}

fn description(sentences: &[String], range: &RangeInclusive<usize>) -> Option<String> {
    let max = *range.end();
    let mut text = String::new();
    for sentence in sentences {
        let joined = join(&text, sentence);
        if joined.chars().count() > max {
            if range.contains(&text.chars().count()) {
                return Some(text);
            }
            let cut = cut(&joined, max - 1);
            let text = format!("{cut}{ELLIPSIS}");
            return range.contains(&text.chars().count()).then_some(text);
        }
        text = joined;
    }
    range.contains(&text.chars().count()).then_some(text)
}

fn join(text: &str, sentence: &str) -> String {
    if text.is_empty() {
        sentence.to_owned()
    } else {
        format!("{text} {sentence}")
    }
}

/// The longest run of whole words of `text` within `max` characters, without trailing
/// punctuation that would sit oddly before the ellipsis.
fn cut(text: &str, max: usize) -> &str {
    let mut end = 0;
    for (count, (index, c)) in text.char_indices().enumerate() {
        if count > max {
            break;
        }
        if c == ' ' {
            end = index;
        }
    }
    text[..end].trim_end_matches([',', ';', ':', ' ', '-', '\u{2013}', '\u{2014}'])
}
