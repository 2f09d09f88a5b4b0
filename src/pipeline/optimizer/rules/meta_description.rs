//! A meta description from the introduction, when the page has none or one whose length Yoast
//! rates below good.
//!
//! The text is made of whole sentences of the first prose paragraph (and, when that is too short,
//! of the paragraphs that follow it before the next heading), as many as fit in the maximum
//! length. When they do not reach the minimum, the next sentence is cut at a word boundary and
//! ends with an ellipsis, so a reader sees it goes on. When the introduction holds the keyphrase
//! and the text from its first sentence does not, the text starts at the first sentence that
//! does, since Yoast rates a description with the keyphrase higher. Nothing is proposed when no
//! text within the range can be made: a description outside it would not raise the score.

use std::ops::RangeInclusive;

use super::Context;
use crate::pipeline::analyzer::BlockKind;
use crate::pipeline::analyzer::sentences::sentences;
use crate::pipeline::optimizer::markup::normalize;
use crate::pipeline::optimizer::patch::Patch;

const ELLIPSIS: char = '\u{2026}';

pub(crate) fn patches(context: &Context<'_>) -> Vec<Patch> {
    let range = context.meta_description_range.clone();
    let current = context
        .meta_description
        .map(|text| text.trim().chars().count())
        .unwrap_or_default();
    if range.contains(&current) {
        return Vec::new();
    }
    let intro = introduction(context);
    let starts = context
        .keyphrase
        .and_then(|keyphrase| {
            intro
                .iter()
                .position(|sentence| context.contains_keyphrase(sentence, keyphrase))
        })
        .map_or_else(|| vec![0], |with_keyphrase| vec![0, with_keyphrase]);
    let texts: Vec<String> = starts
        .into_iter()
        .filter_map(|start| description(&intro[start.min(intro.len())..], &range))
        .collect();
    let with_keyphrase = context.keyphrase.and_then(|keyphrase| {
        texts
            .iter()
            .find(|text| context.contains_keyphrase(text, keyphrase))
    });
    with_keyphrase
        .or(texts.first())
        .map(|text| Patch::SetMetaDescription { text: text.clone() })
        .into_iter()
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
