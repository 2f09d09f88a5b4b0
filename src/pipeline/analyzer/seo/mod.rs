//! Yoast's SEO assessments (the post and page `seoAssessor` of yoastseo 3.6.0, its
//! previously-used-keyphrase plugin and Premium's keyphrase distribution) with Yoast's thresholds
//! and its aggregate: the mean of the scores as a share of 9, out of 100.
//!
//! The assessments are grouped by what they look at: the keyphrase itself (`choice`), the
//! keyphrase in the body (`body`), the search snippet (`snippet`) and the page's structure
//! (`structure`). Profile-dependent thresholds come from the [`Ruleset`](crate::pipeline::ruleset).

mod body;
mod choice;
pub(crate) mod function_words;
pub(crate) mod keyphrase;
mod snippet;
mod structure;
mod title_width;

use std::cell::OnceCell;
use std::ops::Range;
use std::rc::Rc;

use serde::Serialize;

use super::Analysis;
use super::assessment::{Rating, Threshold};
use super::elements::Elements;
use super::lexemes;
use super::report::Page;
use crate::pipeline::ruleset::SeoRules;
use keyphrase::{Matcher, Topic, Word};

pub use title_width::title_width_px;

/// Which assessment a result belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeoAssessmentId {
    IntroductionKeyphrase,
    KeyphraseLength,
    KeyphraseDensity,
    MetaDescriptionKeyphrase,
    MetaDescriptionLength,
    SubheadingsKeyphrase,
    TextCompetingLinks,
    ImageKeyphrase,
    Images,
    TextLength,
    OutboundLinks,
    TitleKeyphrase,
    InternalLinks,
    TitleWidth,
    SlugKeyphrase,
    FunctionWordsInKeyphrase,
    SingleH1,
    PreviouslyUsedKeyphrase,
    KeyphraseDistribution,
}

/// What an assessment had nothing of, when that decided its score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    Keyphrase,
    Text,
    MetaDescription,
    Title,
    Slug,
    Images,
}

/// One SEO assessment's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeoAssessment {
    pub id: SeoAssessmentId,
    /// Yoast's score: 9 is best; some results are negative (−999 for no keyphrase) to pull the
    /// mean down hard.
    pub score: i16,
    pub rating: Rating,
    /// The number the score was decided on (a count, a percentage, a width), when there was one.
    pub measured: Option<f64>,
    pub missing: Option<Missing>,
    pub thresholds: Vec<Threshold>,
    /// Byte ranges of the source HTML the result is about (matching sentences, images, links).
    pub evidence: Vec<Range<usize>>,
}

impl SeoAssessment {
    fn new(id: SeoAssessmentId, score: i16, measured: f64) -> SeoAssessment {
        SeoAssessment {
            id,
            score,
            rating: Rating::of(score),
            measured: Some(measured),
            missing: None,
            thresholds: Vec::new(),
            evidence: Vec::new(),
        }
    }

    fn missing(id: SeoAssessmentId, score: i16, missing: Missing) -> SeoAssessment {
        SeoAssessment {
            id,
            score,
            rating: Rating::of(score),
            measured: None,
            missing: Some(missing),
            thresholds: Vec::new(),
            evidence: Vec::new(),
        }
    }

    fn thresholds(mut self, thresholds: &[(&'static str, f64)]) -> SeoAssessment {
        self.thresholds = Threshold::list(thresholds);
        self
    }

    fn evidence(mut self, evidence: Vec<Range<usize>>) -> SeoAssessment {
        self.evidence = evidence;
        self
    }
}

/// The SEO results and their aggregate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeoReport {
    /// [`aggregate`] of the assessments' scores.
    pub score: u8,
    pub assessments: Vec<SeoAssessment>,
    /// Assessments this language lacks the word lists for, left out rather than guessed.
    pub omitted: Vec<SeoAssessmentId>,
}

impl SeoReport {
    pub fn assessment(&self, id: SeoAssessmentId) -> Option<&SeoAssessment> {
        self.assessments.iter().find(|a| a.id == id)
    }

    /// The aggregate if assessment `id` scored `score` instead (added if it did not run), every
    /// other score unchanged: what fixing one finding would bring.
    pub fn score_with(&self, id: SeoAssessmentId, score: i16) -> u8 {
        let others = self
            .assessments
            .iter()
            .filter(|a| a.id != id)
            .map(|a| a.score);
        aggregate(others.chain(std::iter::once(score)))
    }
}

/// Yoast's SEO aggregate: `round(Σ score / (n × 9) × 100)`, every result counted, feedback (0)
/// included. Yoast lets very negative means through; they are clamped to 0 here, which is also
/// what Yoast's traffic light shows for them. No results give 0.
pub fn aggregate(scores: impl IntoIterator<Item = i16>) -> u8 {
    let (sum, count) = scores.into_iter().fold((0i64, 0i64), |(sum, count), s| {
        (sum + i64::from(s), count + 1)
    });
    if count == 0 {
        return 0;
    }
    let mean = (sum as f64 * 100.0 / (count * 9) as f64 + 0.5).floor();
    mean.clamp(0.0, 100.0) as u8
}

/// What every assessment reads: the page, its analysis and element facts, and words ready for
/// keyphrase matching, segmented once.
struct Context<'a> {
    page: &'a Page<'a>,
    /// The host of the page's URL: links to it are internal.
    host: Option<&'a str>,
    analysis: &'a Analysis,
    elements: &'a Elements,
    rules: &'a SeoRules,
    matcher: Matcher,
    topic: Option<Topic>,
    /// The words of the analysis' sentences, read when an assessment first asks for them: the
    /// keyphrase's counts, which most ask for, are mostly kept with the analysis.
    sentence_words: OnceCell<SentenceWords<'a>>,
    /// How often each sentence holds the keyphrase, which several assessments ask; empty
    /// without a keyphrase.
    keyphrase_counts: Vec<usize>,
}

/// The words of all the sentences of an analysis, in order, borrowed from their tokens.
struct SentenceWords<'a> {
    words: Vec<&'a Word>,
    /// Where each sentence's words are in `words`.
    ranges: Vec<Range<usize>>,
}

impl<'a> Context<'a> {
    fn new(
        page: &'a Page<'a>,
        host: Option<&'a str>,
        analysis: &'a Analysis,
        elements: &'a Elements,
        rules: &'a SeoRules,
    ) -> Self {
        let matcher = Matcher::new(page.language);
        let topic = page
            .keyphrase
            .and_then(|k| Topic::parse(k, page.synonyms, &matcher));
        let mut keyphrase_counts = Vec::new();
        if let (Some(topic), Some(keyphrase)) = (&topic, page.keyphrase) {
            let keyphrase: Rc<str> = keyphrase.into();
            let mut words = Vec::new();
            let mut count = |index: usize| {
                words.clear();
                push_sentence_words(analysis, index, &matcher, &mut words);
                topic.keyphrase.count_in(&words)
            };
            keyphrase_counts.reserve(analysis.sentences.len());
            for index in 0..analysis.sentences.len() {
                let kept = &analysis.readings(index).keyphrase_count;
                keyphrase_counts.push(match kept.get() {
                    Some((counted_for, kept)) if **counted_for == *keyphrase => *kept,
                    Some(_) => count(index),
                    None => kept.get_or_init(|| (keyphrase.clone(), count(index))).1,
                });
            }
        }
        Context {
            page,
            host,
            analysis,
            elements,
            rules,
            matcher,
            topic,
            sentence_words: OnceCell::new(),
            keyphrase_counts,
        }
    }

    /// The words of sentence `index`, for keyphrase matching.
    fn sentence(&self, index: usize) -> &[&'a Word] {
        let all = self.sentence_words.get_or_init(|| {
            let analysis = self.analysis;
            // A word every five bytes or so, as in English.
            let bytes: usize = analysis.blocks.iter().map(|b| b.text.len()).sum();
            let mut words = Vec::with_capacity(bytes / 5);
            let ranges = (0..analysis.sentences.len())
                .map(|index| {
                    let start = words.len();
                    push_sentence_words(analysis, index, &self.matcher, &mut words);
                    start..words.len()
                })
                .collect();
            SentenceWords { words, ranges }
        });
        &all.words[all.ranges[index].clone()]
    }

    /// Whether sentence `index` holds the keyphrase or a synonym.
    fn holds_topic(&self, topic: &Topic, index: usize) -> bool {
        self.keyphrase_counts[index] > 0
            || topic
                .synonyms
                .iter()
                .any(|p| p.found_in(self.sentence(index)))
    }
}

/// Appends the words of sentence `index` of `analysis`, as `matcher` reads them, to `words`:
/// its tokens' words where they are the sentence's, else the sentence's whole text segmented,
/// which is kept with the analysis.
fn push_sentence_words<'a>(
    analysis: &'a Analysis,
    index: usize,
    matcher: &Matcher,
    words: &mut Vec<&'a Word>,
) {
    let readings = analysis.readings(index);
    if lexemes::push_keyphrase_words(readings.lexemes(), matcher, words) {
        return;
    }
    let own = readings.keyphrase_words.get_or_init(|| {
        let sentence = &analysis.sentences[index];
        matcher
            .words(&analysis.blocks[sentence.block].text[sentence.text.clone()])
            .into()
    });
    words.extend(own.iter());
}

/// Assessment `id` of an analysed page, run alone: a caller that scores a small text on one
/// assessment pays for that one instead of the whole report.
pub(crate) fn assess_one(
    page: &Page<'_>,
    analysis: &Analysis,
    elements: &Elements,
    rules: &SeoRules,
    id: SeoAssessmentId,
) -> Option<SeoAssessment> {
    // The three a rule asks of a lone text read no link, so they need no host.
    let cx = Context::new(page, None, analysis, elements, rules);
    match id {
        SeoAssessmentId::MetaDescriptionKeyphrase => Some(snippet::meta_description_keyphrase(&cx)),
        SeoAssessmentId::SubheadingsKeyphrase => Some(body::subheadings(&cx)),
        SeoAssessmentId::ImageKeyphrase => Some(body::image_keyphrase(&cx)),
        _ => assess(page, page.host().as_deref(), analysis, elements, rules)
            .assessment(id)
            .cloned(),
    }
}

/// Runs the SEO assessments on an analysed page whose links are judged from `host`, the
/// lower-cased host of its URL.
pub fn assess(
    page: &Page<'_>,
    host: Option<&str>,
    analysis: &Analysis,
    elements: &Elements,
    rules: &SeoRules,
) -> SeoReport {
    let cx = Context::new(page, host, analysis, elements, rules);
    let support = page.language.support();
    let mut omitted = Vec::new();
    let mut assessments = vec![
        body::introduction(&cx),
        choice::keyphrase_length(&cx),
        body::density(&cx),
        snippet::meta_description_keyphrase(&cx),
        snippet::meta_description_length(&cx),
        body::subheadings(&cx),
        body::competing_links(&cx),
        body::image_keyphrase(&cx),
        structure::images(&cx),
        structure::text_length(&cx),
        structure::outbound_links(&cx),
        snippet::title_keyphrase(&cx),
        structure::internal_links(&cx),
        snippet::title_width(&cx),
        snippet::slug_keyphrase(&cx),
    ];
    if support.function_words {
        assessments.extend(choice::function_words(&cx));
    } else {
        omitted.push(SeoAssessmentId::FunctionWordsInKeyphrase);
    }
    assessments.push(structure::single_h1(&cx));
    assessments.push(choice::previously_used(&cx));
    assessments.extend(body::distribution(&cx));
    SeoReport {
        score: aggregate(assessments.iter().map(|a| a.score)),
        assessments,
        omitted,
    }
}

#[cfg(test)]
mod tests;
