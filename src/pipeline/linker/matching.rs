//! Finding and choosing links: every phrase occurrence in a linkable text node becomes a
//! candidate for each target the phrase may link to; candidates are ranked, and the limits are
//! applied to the ranking, so the best candidates survive the caps rather than the first ones.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::ops::Range;

use rustc_hash::{FxHashMap, FxHashSet};
use url::Url;

use super::entities::decode;
use super::index::{
    BREAK, LinkIndex, Owner, PhraseSource, Ranked, RankedTerm, TargetId, Way, char_of,
};
use super::lexicon::StemId;
use super::scan::Scan;
use super::scratch::{Scratch, ScratchTable};
use super::shortcodes::protected_ranges;
use super::tokens::{Piece, each_piece};
use super::url::canonical;
use super::{Document, Limits};

/// Added to the cosine when source and target share a category or tag.
const SHARED_TAXONOMY_BONUS: f64 = 0.5;

/// A link that may be inserted: the raw bytes `start..end` of text node `node` become its anchor.
#[derive(Debug, Clone)]
pub(crate) struct Candidate<'i> {
    pub(crate) node: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Empty until the candidate is chosen: most are not, and a phrase has many owners.
    pub(crate) anchor: String,
    /// Where the anchor is in the node's decoded text.
    text_range: (usize, usize),
    pub(crate) key: &'i [u32],
    pub(crate) target: TargetId,
    pub(crate) source: PhraseSource,
    /// The target's place in the index's ranking table.
    slot: u32,
    pub(crate) cornerstone: bool,
    pub(crate) score: f64,
    paragraph: usize,
}

/// The candidates of one target, which share its place in the ranking: cornerstone targets
/// first, then by score, ties by target id so nothing depends on chance. Among themselves a
/// target's candidates rank by position, so the first occurrence wins, then by phrase source,
/// then in the order they were found. Ordered so that the best target is the greatest.
struct TargetCandidates {
    cornerstone: bool,
    score: f64,
    target: TargetId,
    /// Where its candidates' indices are in the list [`ranked`] returns.
    members: Range<usize>,
}

impl Ord for TargetCandidates {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cornerstone
            .cmp(&other.cornerstone)
            .then_with(|| self.score.total_cmp(&other.score))
            .then_with(|| other.target.cmp(&self.target))
    }
}

impl PartialOrd for TargetCandidates {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for TargetCandidates {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for TargetCandidates {}

/// The targets of `candidates`, best on top, and the candidates' indices, each target's together
/// in the order they were found. Cornerstone and score belong to the target, so taking the
/// targets best first and each target's few candidates in their own order visits the candidates
/// as ranking them all would. The limits are met after a few targets of the hundreds a document's
/// phrases name, so the targets are kept in a heap rather than sorted, and a target's candidates
/// are ordered only when it is reached.
fn ranked(candidates: &[Candidate<'_>]) -> (BinaryHeap<TargetCandidates>, Vec<usize>) {
    let mut group_of: FxHashMap<TargetId, usize> =
        FxHashMap::with_capacity_and_hasher(candidates.len(), Default::default());
    // No more targets than candidates: room for that many spares growing the list from empty.
    let mut targets: Vec<TargetCandidates> = Vec::with_capacity(candidates.len());
    let mut groups = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let group = *group_of.entry(candidate.target).or_insert_with(|| {
            targets.push(TargetCandidates {
                cornerstone: candidate.cornerstone,
                score: candidate.score,
                target: candidate.target,
                members: 0..0,
            });
            targets.len() - 1
        });
        // Counted here; made a range below.
        targets[group].members.end += 1;
        groups.push(group);
    }
    let mut start = 0;
    for target in &mut targets {
        let count = target.members.end;
        target.members = start..start;
        start += count;
    }
    let mut order = vec![0; candidates.len()];
    for (index, &group) in groups.iter().enumerate() {
        let members = &mut targets[group].members;
        order[members.end] = index;
        members.end += 1;
    }
    (BinaryHeap::from(targets), order)
}

/// The links to insert, in document order.
pub(crate) fn choose<'i>(
    document: &Document,
    index: &'i LinkIndex,
    limits: &Limits,
    scan: &Scan,
) -> Vec<Candidate<'i>> {
    let base = Url::parse(&document.url).ok();
    // Asked about every target the document's phrases name, so by number: a URL is read once
    // per link here rather than once per target there, and a URL no target has can be left
    // out, since it names no target.
    let linked: FxHashSet<u32> = scan
        .hrefs
        .iter()
        .filter_map(|(href, _)| index.url_id(&canonical(base.as_ref(), href)?))
        .collect();
    let own_url = canonical(None, &document.url).and_then(|url| index.url_id(&url));
    let taxonomy = index.taxonomy_ids(&document.categories, &document.tags);
    let focus = document
        .focus_keyphrase
        .as_deref()
        .and_then(|k| index.key_of(k));

    let mut words = 0usize;
    let mut terms = Terms::new(index);
    let mut source_terms = ScratchTable::take(&TERM_COUNTS, index.lexicon().len());
    // Every node's words in one list, each node holding its range of it: one allocation for
    // the document rather than one per node. Room for a word every five bytes, so the list is
    // rarely moved as it grows.
    let prose_bytes: usize = scan
        .nodes
        .iter()
        .filter(|n| n.prose)
        .map(|n| n.raw.len())
        .sum();
    let mut all_tokens: Vec<Word> = Vec::with_capacity(prose_bytes / 5 + 4);
    let mut node_tokens = Vec::with_capacity(scan.nodes.len());
    for node in &scan.nodes {
        // Scripts and styles are neither counted nor linked, so their words are not read.
        let raw = if node.prose { node.raw } else { "" };
        let decoded = decode(raw);
        let first = all_tokens.len();
        each_piece(&decoded.text, |piece| {
            all_tokens.push(match piece {
                Piece::Word { word, start, end } => Word::Term {
                    term: terms.term(word),
                    start,
                    end,
                },
                Piece::Break => Word::Break,
            });
        });
        for token in &all_tokens[first..] {
            if let Word::Term { term, .. } = token {
                words += 1;
                *source_terms.entry(*term) += 1;
            }
        }
        node_tokens.push((decoded, first..all_tokens.len()));
    }
    let source = SourceVector::new(index, &terms, &source_terms);
    // Brackets in scripts and styles are code, not shortcodes.
    let shortcodes = protected_ranges(scan.nodes.iter().map(|n| if n.prose { n.raw } else { "" }));

    // Each target met is weighed once per document, after every candidate is found: a phrase
    // occurs many times and has many owners, and weighing the targets together in one loop lets
    // it load the next targets' vectors while it computes one.
    let mut weighed = ScratchTable::take(&WEIGHED, index.ranked_count());
    // A document of the usual length finds a few hundred candidates; starting with room for
    // them spares copying the list as it grows, which cost more than building it.
    let mut candidates = Vec::with_capacity(512);
    // The node's words as automaton characters, and where each starts; reused node to node, and
    // made long enough for the longest node at once.
    let longest = node_tokens.iter().map(|(_, t)| t.len()).max().unwrap_or(0);
    let mut haystack = String::with_capacity(longest * char::MAX.len_utf8());
    let mut offsets = Vec::with_capacity(longest);
    for (n, node) in scan.nodes.iter().enumerate() {
        if !node.linkable {
            continue;
        }
        let (decoded, tokens) = &node_tokens[n];
        let tokens = &all_tokens[tokens.clone()];
        haystack.clear();
        offsets.clear();
        for token in tokens {
            offsets.push(haystack.len());
            haystack.push(match *token {
                Word::Term { term, .. } => char_of(terms.word_id(term)),
                Word::Break => BREAK,
            });
        }
        for found in index.automaton().find_iter(&haystack) {
            let first = offsets.partition_point(|&o| o < found.start());
            let last = offsets.partition_point(|&o| o < found.end()) - 1;
            let (Word::Term { start, .. }, Word::Term { end, .. }) =
                (&tokens[first], &tokens[last])
            else {
                continue;
            };
            let (raw_start, raw_end) = decoded.raw_range(*start, *end);
            let shielded = shortcodes[n]
                .iter()
                .any(|&(s, e)| s < raw_end && raw_start < e);
            let (key, ways) = index.pattern(found.pattern().as_usize());
            if shielded || focus.as_deref() == Some(key) {
                continue;
            }
            for &Way {
                owner:
                    Owner {
                        target,
                        source: phrase_source,
                    },
                slot,
            } in ways
            {
                if document.id == Some(target) {
                    continue;
                }
                let weight = weighed.entry(slot);
                if *weight == Weight::Unweighed {
                    *weight = Weight::Pending;
                }
                candidates.push(Candidate {
                    node: n,
                    start: raw_start,
                    end: raw_end,
                    anchor: String::new(),
                    text_range: (*start, *end),
                    key,
                    target,
                    source: phrase_source,
                    slot,
                    cornerstone: false,
                    score: 0.0,
                    paragraph: node.paragraph,
                });
            }
        }
    }
    weigh(
        &mut weighed,
        index,
        &source,
        |ranked| match ranked.url_id {
            None => true,
            Some(url) => own_url == Some(url) || linked.contains(&url),
        },
        &taxonomy,
    );
    candidates.retain_mut(|candidate| match weighed.get(candidate.slot) {
        Weight::Scored { score, cornerstone } => {
            candidate.score = score;
            candidate.cornerstone = cornerstone;
            true
        }
        _ => false,
    });
    let mut chosen = select(candidates, index, limits, scan, words);
    for candidate in &mut chosen {
        let (start, end) = candidate.text_range;
        candidate.anchor = node_tokens[candidate.node].0.text[start..end].to_owned();
    }
    chosen
}

/// Applies the limits to the candidates in rank order. Links inserted on an earlier run count
/// against every limit, so a second run adds nothing.
fn select<'i>(
    candidates: Vec<Candidate<'i>>,
    index: &LinkIndex,
    limits: &Limits,
    scan: &Scan,
    words: usize,
) -> Vec<Candidate<'i>> {
    let cap = limits
        .max_links
        .min(words.div_ceil(limits.words_per_link.max(1)));
    let mut total = scan.marked.len();
    // Only membership is asked of these, so hash sets decide exactly as ordered ones would;
    // thousands of ranked candidates are tested against them for the few that are chosen.
    let marked_keys: Vec<Vec<u32>> = scan
        .marked
        .iter()
        .filter_map(|marked| index.key_of(&decode(&marked.raw_text).text))
        .collect();
    let mut keys: FxHashSet<&[u32]> = marked_keys.iter().map(Vec::as_slice).collect();
    let mut per_paragraph: FxHashMap<usize, usize> = FxHashMap::default();
    for marked in &scan.marked {
        *per_paragraph.entry(marked.paragraph).or_default() += 1;
    }
    let (mut targets, mut order) = ranked(&candidates);
    let mut chosen: Vec<usize> = Vec::new();
    'targets: while let Some(target) = targets.pop() {
        let members = &mut order[target.members];
        // Found in document order, so nearly sorted; the sort is stable, so ties stay in the
        // order they were found.
        members.sort_by_key(|&index| {
            let candidate = &candidates[index];
            (candidate.node, candidate.start, candidate.source)
        });
        for &at in members.iter() {
            if total >= cap {
                break 'targets;
            }
            let candidate = &candidates[at];
            if keys.contains(candidate.key) {
                continue;
            }
            let paragraph = per_paragraph.entry(candidate.paragraph).or_default();
            let overlaps = chosen.iter().map(|&c| &candidates[c]).any(|c| {
                c.node == candidate.node && c.start < candidate.end && candidate.start < c.end
            });
            if *paragraph >= limits.per_paragraph || overlaps {
                continue;
            }
            *paragraph += 1;
            total += 1;
            keys.insert(candidate.key);
            chosen.push(at);
            continue 'targets;
        }
    }
    chosen.sort_unstable();
    let mut chosen = chosen.into_iter().peekable();
    let mut links: Vec<Candidate> = candidates
        .into_iter()
        .enumerate()
        .filter(|(at, _)| chosen.next_if_eq(at).is_some())
        .map(|(_, candidate)| candidate)
        .collect();
    links.sort_by_key(|c| (c.node, c.start));
    links
}

/// A word of a document by its term, or a break.
#[derive(Debug, Clone, Copy)]
enum Word {
    Term { term: u32, start: usize, end: usize },
    Break,
}

/// A document's stems as terms: a stem the index has met is its lexicon id, any other is
/// numbered after the lexicon. Each word is stemmed at most once per document, and not at all
/// when the index has met it as written.
struct Terms<'i> {
    index: &'i LinkIndex,
    unknown_words: FxHashMap<Box<str>, u32>,
    new_stems: FxHashMap<String, u32>,
    new_stem_list: Vec<String>,
}

impl<'i> Terms<'i> {
    fn new(index: &'i LinkIndex) -> Terms<'i> {
        Terms {
            index,
            unknown_words: FxHashMap::default(),
            new_stems: FxHashMap::default(),
            new_stem_list: Vec::new(),
        }
    }

    fn term(&mut self, word: &str) -> u32 {
        let lexicon = self.index.lexicon();
        if let Some(id) = lexicon.known_word(word) {
            return id;
        }
        if let Some(&term) = self.unknown_words.get(word) {
            return term;
        }
        let stem = self.index.normaliser().normalise(word);
        let term = match lexicon.find_stem(&stem) {
            Some(id) => id,
            None => match self.new_stems.get(&stem) {
                Some(&term) => term,
                None => {
                    let term = (lexicon.len() + self.new_stem_list.len()) as u32;
                    self.new_stems.insert(stem.clone(), term);
                    self.new_stem_list.push(stem);
                    term
                }
            },
        };
        self.unknown_words.insert(word.into(), term);
        term
    }

    fn lexicon_id(&self, term: u32) -> Option<StemId> {
        ((term as usize) < self.index.lexicon().len()).then_some(term)
    }

    /// The index's word id of a term; stems the index never met are no word of it.
    fn word_id(&self, term: u32) -> Option<u32> {
        self.lexicon_id(term)
            .and_then(|id| self.index.lexicon().word_id(id))
    }

    fn stem(&self, term: u32) -> &str {
        match self.lexicon_id(term) {
            Some(id) => self.index.lexicon().stem(id),
            None => &self.new_stem_list[term as usize - self.index.lexicon().len()],
        }
    }
}

thread_local! {
    /// Room for a document's term counts, indexed by term: an indexed increment per word costs
    /// a fraction of a hash lookup, and a document has a thousand words but a few hundred terms.
    static TERM_COUNTS: RefCell<Scratch<u32>> = const { RefCell::new(Scratch::new()) };
    /// Room for a [`SourceVector`]'s weights times idf, indexed by word id.
    static WEIGHTS: RefCell<Scratch<f64>> = const { RefCell::new(Scratch::new()) };
    /// Room for a document's weight of each target, indexed by ranking slot.
    static WEIGHED: RefCell<Scratch<Weight>> = const { RefCell::new(Scratch::new()) };
}

/// Targets ahead of the one being weighed whose vectors are being loaded, and as many again
/// whose records are: enough to cover the wait for memory with the work on the targets between.
const WEIGH_AHEAD: usize = 4;

/// Weighs every target met, which `weighed` holds as pending, in the order they were met:
/// `unwanted` tells a target the document must not link to (it is at the document's URL or the
/// document links there already); any other is scored by cosine, plus a bonus when it shares a
/// category or tag.
fn weigh(
    weighed: &mut ScratchTable<Weight>,
    index: &LinkIndex,
    source: &SourceVector,
    unwanted: impl Fn(&Ranked) -> bool,
    taxonomy: &[u32],
) {
    weighed.update_each(|slot, after, _| {
        if let Some(&ahead) = after.get(2 * WEIGH_AHEAD - 1) {
            index.prefetch_ranked(ahead);
        }
        if let Some(&ahead) = after.get(WEIGH_AHEAD - 1) {
            index.prefetch_vectors(ahead);
        }
        let ranked = index.ranked(slot);
        if unwanted(ranked) {
            return Weight::Unwanted;
        }
        let shares = index.taxonomy(ranked).iter().any(|t| taxonomy.contains(t));
        Weight::Scored {
            score: source.cosine(index.terms(ranked), ranked.norm)
                + if shares { SHARED_TAXONOMY_BONUS } else { 0.0 },
            cornerstone: ranked.cornerstone,
        }
    });
}

/// What a document makes of a target as a place to link to.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Weight {
    #[default]
    Unweighed,
    /// Met, and to be weighed once every target is met.
    Pending,
    /// The document is the target, is at its URL or links there already.
    Unwanted,
    Scored {
        score: f64,
        cornerstone: bool,
    },
}

/// The source document's TF-IDF weights over the index vocabulary, by word id.
struct SourceVector {
    /// The document's weight of every word id times the word's idf, zero for the words it
    /// lacks: a document has hundreds of distinct words, a target's vector a few dozen, and a
    /// cosine looks each of the target's words up here and multiplies by its frequency in the
    /// target, which with this idf makes the target's weight.
    weights_idf: ScratchTable<f64>,
    /// The norm of the weights themselves.
    norm: f64,
}

impl SourceVector {
    fn new(index: &LinkIndex, terms: &Terms, counts: &ScratchTable<u32>) -> SourceVector {
        // Squares are summed in stem order, so the norm is the same on every run.
        let mut by_stem: Vec<(u64, &str, Option<u32>, u32)> = counts
            .each()
            .map(|(term, tf)| {
                let stem = terms.stem(term);
                (leading_bytes(stem), stem, terms.word_id(term), tf)
            })
            .collect();
        by_stem.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        let mut weights_idf = ScratchTable::take(&WEIGHTS, index.word_id_end());
        let mut squares = 0.0;
        for (_, _, id, tf) in by_stem {
            // Finite and positive: idf is at least one.
            let idf = index.idf(id);
            let weight = f64::from(tf) * idf;
            squares += weight * weight;
            if let Some(id) = id {
                *weights_idf.entry(id) = weight * idf;
            }
        }
        SourceVector {
            weights_idf,
            norm: squares.sqrt(),
        }
    }

    /// Cosine between this document and a target's terms (sorted by id) and norm. The products
    /// are summed in four running sums, term `i` into sum `i % 4`, and the sums added pairwise
    /// at the end: a fixed order, so the result is the same on every run, and four sums rather
    /// than one, since each addition waits for the one before it in its own sum only.
    fn cosine(&self, terms: &[RankedTerm], target_norm: f64) -> f64 {
        // A word the document lacks adds an exact zero (weights are finite and positive), so no
        // branch guards the product: whether a target's word is the document's is not
        // predictable.
        let product = |term: &RankedTerm| f64::from(term.tf) * self.weights_idf.get(term.id);
        let mut sums = [0.0; 4];
        let mut quads = terms.chunks_exact(4);
        for quad in &mut quads {
            for lane in 0..4 {
                sums[lane] += product(&quad[lane]);
            }
        }
        for (sum, term) in sums.iter_mut().zip(quads.remainder()) {
            *sum += product(term);
        }
        let dot = (sums[0] + sums[1]) + (sums[2] + sums[3]);
        if dot == 0.0 {
            0.0
        } else {
            dot / (self.norm * target_norm)
        }
    }
}

/// The first eight bytes of `text` as a big-endian integer, zeros past its end. Where two texts
/// differ in their first eight bytes these order as the texts do, so a sort by text compares
/// them first and most stems, eight bytes or shorter, are never compared byte by byte.
fn leading_bytes(text: &str) -> u64 {
    let mut bytes = [0; 8];
    let len = text.len().min(8);
    bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
    u64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::leading_bytes;

    proptest! {
        #[test]
        fn leading_bytes_order_as_the_texts_do(a in "[ab\\x00\u{e9}]{0,10}", b in "[ab\\x00\u{e9}]{0,10}") {
            let by_prefix = leading_bytes(&a).cmp(&leading_bytes(&b)).then_with(|| a.cmp(&b));
            prop_assert_eq!(by_prefix, a.cmp(&b));
        }
    }
}
