//! The analyzer: reads a document's HTML and measures it the way Yoast SEO does, so its numbers
//! are the ones people already know. Parsing and segmentation live in `text`, `sentences` and
//! `words`, element facts (images, links, lists) in `elements`; counting in `syllables`, read once
//! per token for every assessment in `lexemes`; scores in `flesch`, `readability`, `seo` and
//! `engagement`; `report` runs them all on a page under a ruleset. Everything here is a pure
//! function of its input.
//!
//! Reading ease is computed over all visible text, lists, tables and code included, because Yoast
//! computes it so. Prose measures (sentence and paragraph length, ...) look only at blocks whose
//! [`BlockKind::is_prose`] holds.

pub mod assessment;
pub mod elements;
pub mod engagement;
pub mod flesch;
pub(crate) mod lexemes;
pub mod passive_voice;
pub mod readability;
pub mod report;
pub mod sentences;
pub mod seo;
pub mod syllables;
pub mod text;
pub mod transition_words;
pub mod words;

use std::cell::OnceCell;
use std::ops::Range;
use std::rc::Rc;

use serde::Serialize;

pub use crate::pipeline::language::{Language, Support};
pub use assessment::{Rating, Threshold};
use elements::Elements;
pub use engagement::{EngagementReport, Signal, SignalId};
pub use flesch::Counts;
pub use readability::ReadabilityReport;
pub use report::{Page, Report, overall, report};
pub(crate) use report::{report_after, report_of, seo_assessment};
pub use seo::{Missing, SeoAssessment, SeoAssessmentId, SeoReport, aggregate};
pub use text::{Block, BlockKind, TextError};

use lexemes::Lexeme;

use crate::pipeline::html;

/// A sentence of the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sentence {
    /// Index of its block in [`Analysis::blocks`].
    pub block: usize,
    /// Byte range in the source HTML.
    pub source: Range<usize>,
    /// Byte range in the block's text.
    pub text: Range<usize>,
    pub words: usize,
}

/// The readability numbers of a document. Fields serialize in this order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Readability {
    pub language: Language,
    pub words: usize,
    pub sentences: usize,
    pub syllables: usize,
    /// `None` for 10 words or fewer.
    pub flesch_reading_ease: Option<f64>,
}

impl Readability {
    fn of(language: Language, counts: Counts) -> Self {
        Readability {
            language,
            words: counts.words,
            sentences: counts.sentences,
            syllables: counts.syllables,
            flesch_reading_ease: flesch::reading_ease(language, counts),
        }
    }
}

/// A document, segmented and measured.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub blocks: Vec<Block>,
    /// The number of words of each block, in the order of `blocks`.
    pub block_words: Vec<usize>,
    pub sentences: Vec<Sentence>,
    pub readability: Readability,
    /// The number of syllables of each block, in the order of `blocks`.
    block_syllables: Vec<usize>,
    /// What the assessments read in each sentence, in the order of `sentences`.
    readings: Vec<Readings>,
}

/// What assessments read in a sentence's words: its tokens, read as the sentence was measured,
/// and what is derived from them, each filled by the first assessment that asks and then kept
/// with the analysis. All of it is a pure function of the sentence's text, so an analysis of a
/// page whose block has the same text takes it over instead of reading the words again.
#[derive(Clone, Debug)]
pub(crate) struct Readings {
    /// The tokens of the sentence's block, in order: one list for all its sentences.
    block_lexemes: Rc<[Lexeme]>,
    /// Where the sentence's tokens are in `block_lexemes`.
    lexeme_range: Range<usize>,
    /// Whether the sentence holds a transition word, and whether it is in the passive voice.
    pub(crate) transition_and_passive: OnceCell<(bool, bool)>,
    /// The sentence's words as keyphrases are compared with them, segmented from its whole text,
    /// where they are not its tokens' words: a token's first character joins the separator
    /// before it, or the keyphrase is read in another language than the tokens. Shared, so that
    /// an analysis taking the sentence over copies a pointer rather than every word.
    pub(crate) keyphrase_words: OnceCell<Rc<[seo::keyphrase::Word]>>,
    /// How often the sentence holds a keyphrase, with the keyphrase as written: the count is
    /// kept only for the keyphrase it was counted for.
    pub(crate) keyphrase_count: OnceCell<(Rc<str>, usize)>,
}

impl Readings {
    /// The sentence's tokens, in order.
    pub(crate) fn lexemes(&self) -> &[Lexeme] {
        &self.block_lexemes[self.lexeme_range.clone()]
    }
}

impl Analysis {
    /// What the assessments read in sentence `index`.
    pub(crate) fn readings(&self, index: usize) -> &Readings {
        &self.readings[index]
    }

    /// The sentences of block `index`, as a range of indices into `sentences`.
    fn sentences_of(&self, index: usize) -> Range<usize> {
        let start = self.sentences.partition_point(|s| s.block < index);
        let end = self.sentences.partition_point(|s| s.block <= index);
        start..end
    }

    /// Block `index` of this analysis when `block`, read in `language`, has the same text and
    /// the same tag edges, so that its sentences, words and syllables are those of `block`.
    fn same_block(&self, index: usize, block: &Block, language: Language) -> bool {
        self.readability.language == language
            && self
                .blocks
                .get(index)
                .is_some_and(|b| b.text == block.text && b.tag_edges == block.tag_edges)
    }
}

/// Segments and measures `html` as text in `language`.
pub fn analyze(html: &str, language: Language) -> Result<Analysis, TextError> {
    Ok(measure(text::blocks(html)?, language, None))
}

/// The readability numbers of `html` in `language`, as [`analyze`] measures them, counted block
/// by block as the pass reads them: no sentence, block or reading is kept, which is all a
/// caller that wants the numbers alone would pay for.
pub fn readability(html: &str, language: Language) -> Result<Readability, TextError> {
    let tally = html::read(html, || text::BlockReader::with_sink(Tally::new(language)))?.finish();
    Ok(Readability::of(language, tally.counts))
}

/// The numbers of [`readability`], summed block by block. A block's words are its tokens'
/// words however its sentences fall, as [`measure_reading`] counts them.
struct Tally {
    language: Language,
    counts: Counts,
}

impl Tally {
    fn new(language: Language) -> Self {
        Tally {
            language,
            counts: Counts {
                words: 0,
                sentences: 0,
                syllables: 0,
            },
        }
    }
}

impl text::BlockSink for Tally {
    fn take(&mut self, block: Block) -> Option<Block> {
        let counts = &mut self.counts;
        sentences::each_sentence(&block, |_| counts.sentences += 1);
        // The token memo is borrowed block by block: a pass's reader cannot hold it, since the
        // pass may start over with a fresh reader.
        let (words, syllables) =
            lexemes::reading(self.language, |reader| reader.count_words(&block.text));
        counts.words += words;
        counts.syllables += syllables;
        Some(block)
    }
}

/// [`analyze`] and [`elements::elements`] from one pass over `html`. Where a block is, by its
/// position, text and tag edges, one of `earlier`'s (an analysis of the same page before a
/// change to its markup), that block's sentences, counts and readings are taken over from it;
/// their source offsets are those of `html`.
pub(crate) fn analyze_with_elements(
    html: &str,
    language: Language,
    earlier: Option<&Analysis>,
) -> Result<(Analysis, Elements), TextError> {
    // Nothing to read: the parser's set-up would cost more than the rest of the analysis of
    // a lone meta description, which is all some callers score.
    if html.is_empty() {
        return Ok((measure(Vec::new(), language, None), Elements::default()));
    }
    let (blocks, elements) = html::read(html, page_reader)?;
    Ok(finish_page(blocks, elements, language, earlier))
}

/// The analyzer's readers for one pass over a page: its text blocks and its element facts. A
/// caller may pair them with readers of its own in the same pass.
pub(crate) type PageReader = (text::BlockReader, elements::ElementReader);

pub(crate) fn page_reader() -> PageReader {
    (text::BlockReader::new(), elements::ElementReader::new())
}

/// The page measured in `language`, as [`analyze_with_elements`] measures it, from what its
/// readers gathered.
pub(crate) fn finish_page(
    blocks: text::BlockReader,
    elements: elements::ElementReader,
    language: Language,
    earlier: Option<&Analysis>,
) -> (Analysis, Elements) {
    (
        measure(blocks.finish(), language, earlier),
        elements.finish(),
    )
}

/// The sentences and readability numbers of `blocks`, taken over from `earlier` for the blocks
/// it has too.
fn measure(blocks: Vec<Block>, language: Language, earlier: Option<&Analysis>) -> Analysis {
    lexemes::reading(language, |reader| {
        measure_reading(blocks, language, earlier, reader)
    })
}

/// [`measure`], with the tokens read by `reader`.
fn measure_reading(
    blocks: Vec<Block>,
    language: Language,
    earlier: Option<&Analysis>,
    reader: &mut lexemes::Reader<'_>,
) -> Analysis {
    // Room for a sentence every eighty bytes of text, about what prose averages, so that the
    // lists are rarely moved as they grow.
    let text_bytes: usize = blocks.iter().map(|b| b.text.len()).sum();
    let mut sentence_list = Vec::with_capacity(text_bytes / 80 + blocks.len());
    let mut readings = Vec::with_capacity(text_bytes / 80 + blocks.len());
    let mut word_count = 0;
    let mut syllable_count = 0;
    let mut block_words = Vec::with_capacity(blocks.len());
    let mut block_syllables = Vec::with_capacity(blocks.len());
    // One block's tokens, its sentences and where each sentence's tokens are among them, reused
    // from one block to the next.
    let mut block_lexemes: Vec<Lexeme> = Vec::new();
    let mut ranges = Vec::new();
    let mut lexeme_ranges = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        if let Some(earlier) = earlier.filter(|e| e.same_block(index, block, language)) {
            for at in earlier.sentences_of(index) {
                let sentence = &earlier.sentences[at];
                sentence_list.push(Sentence {
                    block: index,
                    source: block.source_range(sentence.text.clone()),
                    text: sentence.text.clone(),
                    words: sentence.words,
                });
                readings.push(earlier.readings[at].clone());
            }
            word_count += earlier.block_words[index];
            syllable_count += earlier.block_syllables[index];
            block_words.push(earlier.block_words[index]);
            block_syllables.push(earlier.block_syllables[index]);
            continue;
        }
        let words_before = word_count;
        let syllables_before = syllable_count;
        sentences::each_sentence(block, |range| ranges.push(range));
        // Where whitespace separates every sentence from the next, no word spans two sentences
        // and the block's words are its sentences' words: one pass counts both. A sentence that
        // ends at a tag with no space after it ("line.<b>Next") splits a word in two, and the
        // block is then counted as whole words.
        let words_within_sentences = ranges.windows(2).all(|pair| pair[0].end < pair[1].start);
        if !words_within_sentences {
            let (words, syllables) = reader.count_words(&block.text);
            word_count += words;
            syllable_count += syllables;
        }
        for range in ranges.drain(..) {
            let first_lexeme = block_lexemes.len();
            let mut words = 0;
            words::each_token_text(&block.text[range.clone()], |token| {
                let lexeme = reader.lexeme(token);
                if lexeme.is_word() {
                    words += 1;
                    if words_within_sentences {
                        syllable_count += lexeme.syllables;
                    }
                }
                block_lexemes.push(lexeme);
            });
            if words_within_sentences {
                word_count += words;
            }
            sentence_list.push(Sentence {
                block: index,
                source: block.source_range(range.clone()),
                words,
                text: range,
            });
            lexeme_ranges.push(first_lexeme..block_lexemes.len());
        }
        let shared: Rc<[Lexeme]> = block_lexemes.drain(..).collect();
        readings.extend(lexeme_ranges.drain(..).map(|lexeme_range| Readings {
            block_lexemes: shared.clone(),
            lexeme_range,
            transition_and_passive: OnceCell::new(),
            keyphrase_words: OnceCell::new(),
            keyphrase_count: OnceCell::new(),
        }));
        block_words.push(word_count - words_before);
        block_syllables.push(syllable_count - syllables_before);
    }
    let counts = Counts {
        words: word_count,
        sentences: sentence_list.len(),
        syllables: syllable_count,
    };
    let readability = Readability::of(language, counts);
    Analysis {
        blocks,
        block_words,
        sentences: sentence_list,
        readability,
        block_syllables,
        readings,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn check(html: &str, expected: &str) {
        let analysis = analyze(html, Language::English).unwrap();
        assert_eq!(
            serde_json::to_string(&analysis.readability).unwrap(),
            expected,
            "{html}"
        );
    }

    #[test]
    fn counts_and_score() {
        check(
            "<h2>Why tea</h2><p>Tea is a simple drink. People all over the world enjoy it every day.</p><ul><li>Green tea</li><li>Black tea</li></ul>",
            r#"{"language":"english","words":20,"sentences":5,"syllables":26,"flesch_reading_ease":92.8}"#,
        );
    }

    #[test]
    fn short_texts_have_no_score() {
        check(
            "<p>Too short to score.</p>",
            r#"{"language":"english","words":4,"sentences":1,"syllables":4,"flesch_reading_ease":null}"#,
        );
        check(
            "",
            r#"{"language":"english","words":0,"sentences":0,"syllables":0,"flesch_reading_ease":null}"#,
        );
    }

    #[test]
    fn other_languages_use_their_own_rules_and_formula() {
        let analysis = analyze(
            "<p>Der Hund läuft schnell über die grüne Wiese und bellt laut.</p>",
            Language::German,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&analysis.readability).unwrap(),
            r#"{"language":"german","words":11,"sentences":1,"syllables":14,"flesch_reading_ease":94.5}"#
        );
    }

    #[test]
    fn sentences_carry_source_offsets() {
        let html = "<p>First one here. <em>Second</em> one.</p>";
        let analysis = analyze(html, Language::English).unwrap();
        let sources: Vec<&str> = analysis
            .sentences
            .iter()
            .map(|s| &html[s.source.clone()])
            .collect();
        assert_eq!(sources, ["First one here.", "Second</em> one."]);
        assert_eq!(
            analysis
                .sentences
                .iter()
                .map(|s| s.words)
                .collect::<Vec<_>>(),
            [3, 2]
        );
    }

    proptest! {
        #[test]
        fn never_panics_on_html_like_input(html in r#"(<(/?)(p|h2|li|ul|table|td|pre|br|a|em|script|!--)( [a-z]+="[^"]*")?>|\[/?[a-z]+[^\]]*\]|&[a-z#0-9]{0,8};?|[A-Za-z .,!?'"\n\u{a0}\u{2014}\u{e9}\u{4e2d}0-9]{0,12}){0,40}"#) {
            let analysis = analyze(&html, Language::English).unwrap();
            readability::assess(&analysis);
            // Counted from sentences where they allow it, the totals are still those of the
            // blocks' words.
            let block_words = analysis.blocks.iter().flat_map(|b| words::words(&b.text));
            let (words, syllables) = block_words.fold((0, 0), |(n, s), w| {
                (n + 1, s + syllables::count(Language::English, &w.text))
            });
            prop_assert_eq!((analysis.readability.words, analysis.readability.syllables), (words, syllables));
            let each: Vec<usize> = analysis.blocks.iter().map(|b| words::words(&b.text).count()).collect();
            prop_assert_eq!(&analysis.block_words, &each);
            prop_assert_eq!(readability(&html, Language::English).unwrap(), analysis.readability);
            for sentence in &analysis.sentences {
                prop_assert!(sentence.source.start <= sentence.source.end && sentence.source.end <= html.len());
                prop_assert!(html.is_char_boundary(sentence.source.start) && html.is_char_boundary(sentence.source.end));
            }
        }

        #[test]
        fn never_panics_on_any_string(html in any::<String>()) {
            if let Ok(analysis) = analyze(&html, Language::English) {
                readability::assess(&analysis);
            }
        }
    }
}
