//! A site's link index: the anchor phrases that may link to each target, compiled into one
//! Aho-Corasick automaton over stemmed token streams, and a small stem vector per target for
//! ranking.
//!
//! Each word of the index vocabulary is one `char` of the automaton's alphabet, so a phrase is a
//! string of as many characters as it has words and a text is searched as the string of its
//! words. UTF-8 is self-synchronising, so a match always starts and ends on a word: phrase
//! matching can never land inside a word, whatever the script.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};
use rustc_hash::FxHashMap;

use super::lexicon::{Lexicon, StemId};
use super::prefetch::{prefetch, prefetch_lines};
use super::tokens::{Normaliser, Piece, pieces};
use super::url::canonical;
use crate::pipeline::language::Language;

/// Words of a target's text kept for ranking; enough to tell topics apart, small per target.
const VECTOR_TERMS: usize = 64;
/// Title and focus keyphrase words say more about a page than body words.
const HEADLINE_WEIGHT: f32 = 3.0;

/// A content item links can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TargetId(pub i64);

impl fmt::Display for TargetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What the index knows of a page it may link to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Target {
    pub id: TargetId,
    pub url: String,
    pub title: String,
    pub focus_keyphrase: Option<String>,
    pub cluster_keywords: Vec<ClusterKeyword>,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub cornerstone: bool,
    /// The target's plain text, for its stem vector.
    pub text: String,
}

/// A keyword of the keyword cluster a target belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterKeyword {
    pub cluster_id: i64,
    pub keyword: String,
}

/// A curated rule: this keyword links to that target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordRule {
    pub id: i64,
    pub keyword: String,
    pub target: TargetId,
}

/// Where an anchor phrase came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PhraseSource {
    Rule(i64),
    Title,
    FocusKeyphrase,
    Cluster(i64),
}

impl PhraseSource {
    /// The `data-igny8-link` value of a link from this source to `target`; removing links by it
    /// removes exactly what one rule or one target's phrases inserted.
    pub fn marker(self, target: TargetId) -> String {
        match self {
            PhraseSource::Rule(id) => format!("rule:{id}"),
            PhraseSource::Title => format!("title:{target}"),
            PhraseSource::FocusKeyphrase => format!("focus:{target}"),
            PhraseSource::Cluster(id) => format!("cluster:{id}:{target}"),
        }
    }
}

/// One way a phrase may link: to this target, because of this source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Owner {
    pub(crate) target: TargetId,
    pub(crate) source: PhraseSource,
}

/// An owner of a compiled pattern whose target is in the index, with the target's place in the
/// ranking table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Way {
    pub(crate) owner: Owner,
    pub(crate) slot: u32,
}

/// What ranking reads of a target, compiled with the automaton into one table, with the
/// targets' weights and taxonomy numbers each in one pool. A document weighs hundreds of
/// targets; read from each target's own record and vectors, scattered over the heap, weighing
/// waited on memory longer than it computed.
#[derive(Debug, Clone)]
pub(crate) struct Ranked {
    /// The canonical URL's [`Names`] number.
    pub(crate) url_id: Option<u32>,
    pub(crate) cornerstone: bool,
    /// The Euclidean norm of the target's weights.
    pub(crate) norm: f64,
    terms: Range<u32>,
    taxonomy: Range<u32>,
}

/// A word of a target's vector and its frequency in the target. The weight is the frequency
/// times the word's idf; a cosine multiplies the document's weight of the word by the idf
/// instead, so the target's side is eight bytes a word, its id and frequency side by side.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RankedTerm {
    pub(crate) id: u32,
    pub(crate) tf: f32,
}

/// A target as held in the index.
#[derive(Debug)]
pub(crate) struct Indexed {
    pub(crate) url: String,
    canonical_url: Option<String>,
    /// The canonical URL's [`Names`] number: every document asks of hundreds of targets whether
    /// it already links to them, and comparing numbers spares reading each target's URL.
    url_id: Option<u32>,
    /// The numbers of its categories and tags, for the same reason.
    taxonomy: Box<[u32]>,
    cornerstone: bool,
    /// Term frequencies by word id, sorted by id. Their TF-IDF weights change with every target
    /// added or removed, so each compilation computes them into the ranking table.
    vector: Vec<(u32, f32)>,
    phrases: Vec<(Vec<u32>, PhraseSource)>,
}

/// The per-site index. Build it once, then keep it current with `upsert_target`,
/// `remove_target`, `upsert_rule` and `remove_rule`; the phrase table changes by the affected
/// target only, and the automaton is recompiled from it. Word ids are never reused, so words of
/// removed targets stay in the vocabulary: a key once made means the same words for good.
///
/// A rule keeps its phrase while its target is absent; it links again once the target is back.
pub struct LinkIndex {
    normaliser: Normaliser,
    lexicon: Lexicon,
    /// The stem of each word id, from `FIRST_WORD` on.
    words: Vec<StemId>,
    phrases: BTreeMap<Vec<u32>, BTreeSet<Owner>>,
    /// Looked up once for every target a document's phrases name, often hundreds per document,
    /// and never walked in order.
    targets: FxHashMap<TargetId, Indexed>,
    /// Targets by canonical URL, to recognise links already in a document.
    by_url: HashMap<String, TargetId>,
    /// Canonical URLs, categories and tags by number, each kind numbered on its own.
    urls: Names,
    categories: Names,
    tags: Names,
    rules: BTreeMap<i64, KeywordRule>,
    document_frequency: HashMap<u32, u32>,
    /// Inverse document frequency by word id from `FIRST_WORD` on, and that of a word no
    /// target's vector has; computed at compilation, not per comparison.
    idf: Vec<f64>,
    unseen_idf: f64,
    automaton: AhoCorasick,
    /// The automaton's patterns in its order, each with its owners: a match reaches its owners
    /// by position rather than by a search of `phrases`.
    patterns: Vec<(Vec<u32>, Vec<Way>)>,
    /// The targets in id order, and the pools their terms (sorted by word id within each
    /// target) and taxonomy numbers are in.
    ranked: Vec<Ranked>,
    term_pool: Vec<RankedTerm>,
    taxonomy_pool: Vec<u32>,
}

/// Category and tag numbers in one list: a category's number doubled, a tag's doubled plus
/// one, so a category and a tag of the same name never meet.
fn taxonomy_ids(
    categories: impl IntoIterator<Item = u32>,
    tags: impl IntoIterator<Item = u32>,
) -> impl Iterator<Item = u32> {
    let categories = categories.into_iter().map(|c| c << 1);
    categories.chain(tags.into_iter().map(|t| t << 1 | 1))
}

/// Names of one kind numbered as they are first met. Like word ids, a number is never reused:
/// the names of removed targets stay, and a number means the same name for good.
#[derive(Debug, Default)]
struct Names {
    numbers: FxHashMap<Box<str>, u32>,
}

impl Names {
    fn number(&mut self, name: &str) -> u32 {
        if let Some(&number) = self.numbers.get(name) {
            return number;
        }
        let number = self.numbers.len() as u32;
        self.numbers.insert(name.into(), number);
        number
    }

    fn get(&self, name: &str) -> Option<u32> {
        self.numbers.get(name).copied()
    }
}

/// The automaton character of a word no phrase contains.
pub(crate) const UNKNOWN: char = '\u{0}';
/// The automaton character of a break between words.
pub(crate) const BREAK: char = '\u{1}';
/// The word id of `BREAK`.
pub(crate) const BREAK_ID: u32 = 1;
const FIRST_WORD: u32 = 2;

/// Longer anchors read as spam and rarely occur verbatim; titles past this length link through
/// their other phrases.
const MAX_ANCHOR_WORDS: usize = 10;

/// A key without the breaks at its ends, which punctuation around a phrase would leave there.
fn trim_key(mut key: Vec<u32>) -> Option<Vec<u32>> {
    while key.last() == Some(&BREAK_ID) {
        key.pop();
    }
    let words = key.iter().filter(|&&id| id != BREAK_ID).count();
    let usable =
        (1..=MAX_ANCHOR_WORDS).contains(&words) && key.iter().all(|&id| word_char(id).is_some());
    usable.then_some(key)
}

/// The automaton character of a word of a document, by its word id if it has one.
pub(crate) fn char_of(id: Option<u32>) -> char {
    id.and_then(word_char).unwrap_or(UNKNOWN)
}

/// The automaton character of word `id`; `None` past the last Unicode scalar value, which
/// leaves a site room for about a million distinct words.
fn word_char(id: u32) -> Option<char> {
    char::from_u32(if id < 0xd800 { id } else { id + 0x800 })
}

impl LinkIndex {
    /// `language` picks the stemmer; without one, words are only case folded.
    pub fn new(language: Option<Language>) -> LinkIndex {
        LinkIndex {
            normaliser: Normaliser::new(language),
            lexicon: Lexicon::default(),
            words: Vec::new(),
            phrases: BTreeMap::new(),
            targets: FxHashMap::default(),
            by_url: HashMap::new(),
            urls: Names::default(),
            categories: Names::default(),
            tags: Names::default(),
            rules: BTreeMap::new(),
            document_frequency: HashMap::new(),
            idf: Vec::new(),
            unseen_idf: idf(0, 0),
            automaton: compile(std::iter::empty()),
            patterns: Vec::new(),
            ranked: Vec::new(),
            term_pool: Vec::new(),
            taxonomy_pool: Vec::new(),
        }
    }

    /// An index of a whole site, compiled once.
    pub fn build(
        language: Option<Language>,
        targets: impl IntoIterator<Item = Target>,
        rules: impl IntoIterator<Item = KeywordRule>,
    ) -> LinkIndex {
        let mut index = LinkIndex::new(language);
        for target in targets {
            index.insert_target(target);
        }
        for rule in rules {
            index.insert_rule(rule);
        }
        index.recompile();
        index
    }

    /// Adds a target or replaces what the index knew of it.
    pub fn upsert_target(&mut self, target: Target) {
        self.forget_target(target.id);
        self.insert_target(target);
        self.recompile();
    }

    pub fn remove_target(&mut self, id: TargetId) {
        self.forget_target(id);
        self.recompile();
    }

    /// Adds a rule or replaces the rule with the same id.
    pub fn upsert_rule(&mut self, rule: KeywordRule) {
        self.forget_rule(rule.id);
        self.insert_rule(rule);
        self.recompile();
    }

    pub fn remove_rule(&mut self, id: i64) {
        self.forget_rule(id);
        self.recompile();
    }

    /// Applies a batch of changes with one recompilation: targets added or replaced, targets
    /// removed, and the whole set of rules, which replaces the current one.
    pub fn apply(
        &mut self,
        upserts: impl IntoIterator<Item = Target>,
        removals: impl IntoIterator<Item = TargetId>,
        rules: impl IntoIterator<Item = KeywordRule>,
    ) {
        let mut changed = false;
        for id in removals {
            changed = true;
            self.forget_target(id);
        }
        for target in upserts {
            changed = true;
            self.forget_target(target.id);
            self.insert_target(target);
        }
        let rules: BTreeMap<i64, KeywordRule> =
            rules.into_iter().map(|rule| (rule.id, rule)).collect();
        let stale: Vec<i64> = self
            .rules
            .iter()
            .filter(|(id, rule)| rules.get(id) != Some(rule))
            .map(|(&id, _)| id)
            .collect();
        for id in stale {
            changed = true;
            self.forget_rule(id);
        }
        for (id, rule) in rules {
            if !self.rules.contains_key(&id) {
                changed = true;
                self.insert_rule(rule);
            }
        }
        // Recompiling costs as much as the site is large; a use with nothing new skips it.
        if changed {
            self.recompile();
        }
    }

    pub fn target_count(&self) -> usize {
        self.targets.len()
    }

    pub fn phrase_count(&self) -> usize {
        self.phrases.len()
    }

    pub(crate) fn normaliser(&self) -> &Normaliser {
        &self.normaliser
    }

    pub(crate) fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    pub(crate) fn automaton(&self) -> &AhoCorasick {
        &self.automaton
    }

    /// The phrase behind pattern `pattern` of the automaton and the ways it may link.
    pub(crate) fn pattern(&self, pattern: usize) -> (&[u32], &[Way]) {
        let (key, ways) = &self.patterns[pattern];
        (key, ways)
    }

    /// The number of targets in the ranking table.
    pub(crate) fn ranked_count(&self) -> usize {
        self.ranked.len()
    }

    pub(crate) fn ranked(&self, slot: u32) -> &Ranked {
        &self.ranked[slot as usize]
    }

    /// A ranked target's words, sorted by id, with their frequencies.
    pub(crate) fn terms(&self, ranked: &Ranked) -> &[RankedTerm] {
        &self.term_pool[ranked.terms.start as usize..ranked.terms.end as usize]
    }

    /// Starts loading `slot`'s record of the ranking table, to be read soon.
    pub(crate) fn prefetch_ranked(&self, slot: u32) {
        if let Some(ranked) = self.ranked.get(slot as usize) {
            prefetch(ranked);
        }
    }

    /// Starts loading `slot`'s terms and taxonomy numbers, to be read soon; its record is read
    /// now, so it should be loaded already. Every cache line of the terms is asked for: they
    /// span several, and the processor's own prefetcher only follows a stream after its first
    /// misses.
    pub(crate) fn prefetch_vectors(&self, slot: u32) {
        let Some(ranked) = self.ranked.get(slot as usize) else {
            return;
        };
        prefetch_lines(self.terms(ranked));
        if !ranked.taxonomy.is_empty() {
            prefetch(&self.taxonomy_pool[ranked.taxonomy.start as usize]);
        }
    }

    /// A ranked target's category and tag numbers.
    pub(crate) fn taxonomy(&self, ranked: &Ranked) -> &[u32] {
        &self.taxonomy_pool[ranked.taxonomy.start as usize..ranked.taxonomy.end as usize]
    }

    pub(crate) fn target(&self, id: TargetId) -> Option<&Indexed> {
        self.targets.get(&id)
    }

    /// The number of a canonical URL some target has.
    pub(crate) fn url_id(&self, canonical_url: &str) -> Option<u32> {
        self.urls.get(canonical_url)
    }

    /// The taxonomy numbers of those of `categories` and `tags` that some target has too.
    pub(crate) fn taxonomy_ids(&self, categories: &[String], tags: &[String]) -> Vec<u32> {
        let categories = categories.iter().filter_map(|c| self.categories.get(c));
        let tags = tags.iter().filter_map(|t| self.tags.get(t));
        taxonomy_ids(categories, tags).collect()
    }

    /// The target at a canonical URL; of two targets sharing one, the later inserted.
    pub(crate) fn target_at(&self, canonical_url: &str) -> Option<TargetId> {
        self.by_url.get(canonical_url).copied()
    }

    /// One more than the largest word id.
    pub(crate) fn word_id_end(&self) -> usize {
        FIRST_WORD as usize + self.words.len()
    }

    /// The stem of word `id`; `None` for a break.
    pub(crate) fn word(&self, id: u32) -> Option<&str> {
        let i = id.checked_sub(FIRST_WORD)?;
        let stem = *self.words.get(i as usize)?;
        Some(self.lexicon.stem(stem))
    }

    /// Inverse document frequency of a word over the targets' vectors.
    pub(crate) fn idf(&self, id: Option<u32>) -> f64 {
        id.and_then(|id| id.checked_sub(FIRST_WORD))
            .and_then(|i| self.idf.get(i as usize))
            .copied()
            .unwrap_or(self.unseen_idf)
    }

    /// The stem of a word of a document, stemming it only when the index has never met it.
    fn stem_id_of(&self, word: &str) -> Option<StemId> {
        self.lexicon
            .known_word(word)
            .or_else(|| self.lexicon.find_stem(&self.normaliser.normalise(word)))
    }

    fn intern(&mut self, stem: StemId) -> u32 {
        if let Some(id) = self.lexicon.word_id(stem) {
            return id;
        }
        let id = FIRST_WORD + self.words.len() as u32;
        self.lexicon.set_word_id(stem, id);
        self.words.push(stem);
        id
    }

    /// A phrase's key, adding its words to the vocabulary; `None` when it has no words or more
    /// than fit the alphabet. Breaks are part of the key, so "Tom & Jerry" needs its "&".
    fn phrase_key(&mut self, phrase: &str) -> Option<Vec<u32>> {
        let mut key = Vec::new();
        for piece in pieces(phrase) {
            key.push(match piece {
                Piece::Word { word, .. } => {
                    let stem = self.lexicon.stem_id(&self.normaliser, word);
                    self.intern(stem)
                }
                Piece::Break => BREAK_ID,
            });
        }
        trim_key(key)
    }

    /// The key `text` would have as a phrase, if all its words are known.
    pub(crate) fn key_of(&self, text: &str) -> Option<Vec<u32>> {
        let key = pieces(text)
            .into_iter()
            .map(|piece| match piece {
                Piece::Word { word, .. } => self
                    .stem_id_of(word)
                    .and_then(|stem| self.lexicon.word_id(stem)),
                Piece::Break => Some(BREAK_ID),
            })
            .collect::<Option<Vec<u32>>>()?;
        trim_key(key)
    }

    fn insert_target(&mut self, target: Target) {
        let mut sources = vec![(target.title.as_str(), PhraseSource::Title)];
        if let Some(focus) = &target.focus_keyphrase {
            sources.push((focus, PhraseSource::FocusKeyphrase));
        }
        for keyword in &target.cluster_keywords {
            sources.push((&keyword.keyword, PhraseSource::Cluster(keyword.cluster_id)));
        }
        let mut phrases = Vec::new();
        for (text, source) in sources {
            if let Some(key) = self.phrase_key(text) {
                let owner = Owner {
                    target: target.id,
                    source,
                };
                self.phrases.entry(key.clone()).or_default().insert(owner);
                phrases.push((key, source));
            }
        }
        let vector = self.vector(&target);
        for &(id, _) in &vector {
            *self.document_frequency.entry(id).or_default() += 1;
        }
        let canonical_url = canonical(None, &target.url);
        if let Some(url) = &canonical_url {
            self.by_url.insert(url.clone(), target.id);
        }
        let url_id = canonical_url.as_deref().map(|url| self.urls.number(url));
        let categories = target.categories.iter().map(|c| self.categories.number(c));
        let tags = target.tags.iter().map(|t| self.tags.number(t));
        let taxonomy = taxonomy_ids(categories, tags).collect();
        self.targets.insert(
            target.id,
            Indexed {
                canonical_url,
                url_id,
                url: target.url,
                taxonomy,
                cornerstone: target.cornerstone,
                vector,
                phrases,
            },
        );
    }

    /// The target's most frequent stems, title and focus keyphrase weighted up.
    fn vector(&mut self, target: &Target) -> Vec<(u32, f32)> {
        let mut weights: HashMap<StemId, f32> = HashMap::new();
        let headline = [
            target.title.as_str(),
            target.focus_keyphrase.as_deref().unwrap_or(""),
        ];
        let texts = headline
            .into_iter()
            .map(|text| (text, HEADLINE_WEIGHT))
            .chain([(target.text.as_str(), 1.0)]);
        for (text, weight) in texts {
            for piece in pieces(text) {
                if let Piece::Word { word, .. } = piece {
                    let stem = self.lexicon.stem_id(&self.normaliser, word);
                    *weights.entry(stem).or_default() += weight;
                }
            }
        }
        let mut ranked: Vec<(StemId, f32)> = weights.into_iter().collect();
        ranked.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| self.lexicon.stem(a.0).cmp(self.lexicon.stem(b.0)))
        });
        ranked.truncate(VECTOR_TERMS);
        let mut vector: Vec<(u32, f32)> = ranked
            .iter()
            .map(|&(stem, w)| (self.intern(stem), w))
            .collect();
        vector.sort_by_key(|&(id, _)| id);
        vector
    }

    fn forget_target(&mut self, id: TargetId) {
        let Some(old) = self.targets.remove(&id) else {
            return;
        };
        if let Some(url) = &old.canonical_url
            && self.by_url.get(url) == Some(&id)
        {
            self.by_url.remove(url);
        }
        for (key, source) in old.phrases {
            self.drop_owner(&key, Owner { target: id, source });
        }
        for (word, _) in old.vector {
            if let Some(df) = self.document_frequency.get_mut(&word) {
                *df -= 1;
                if *df == 0 {
                    self.document_frequency.remove(&word);
                }
            }
        }
    }

    fn insert_rule(&mut self, rule: KeywordRule) {
        if let Some(key) = self.phrase_key(&rule.keyword) {
            let owner = Owner {
                target: rule.target,
                source: PhraseSource::Rule(rule.id),
            };
            self.phrases.entry(key).or_default().insert(owner);
        }
        self.rules.insert(rule.id, rule);
    }

    fn forget_rule(&mut self, id: i64) {
        let Some(rule) = self.rules.remove(&id) else {
            return;
        };
        if let Some(key) = self.phrase_key(&rule.keyword) {
            let owner = Owner {
                target: rule.target,
                source: PhraseSource::Rule(id),
            };
            self.drop_owner(&key, owner);
        }
    }

    fn drop_owner(&mut self, key: &[u32], owner: Owner) {
        if let Some(owners) = self.phrases.get_mut(key) {
            owners.remove(&owner);
            if owners.is_empty() {
                self.phrases.remove(key);
            }
        }
    }

    fn recompile(&mut self) {
        let targets = self.targets.len();
        self.idf = (0..self.words.len() as u32)
            .map(|i| {
                let df = self.document_frequency.get(&(FIRST_WORD + i));
                idf(targets, df.copied().unwrap_or(0))
            })
            .collect();
        self.unseen_idf = idf(targets, 0);
        let mut ids: Vec<TargetId> = self.targets.keys().copied().collect();
        ids.sort_unstable();
        self.ranked.clear();
        self.term_pool.clear();
        self.taxonomy_pool.clear();
        let mut slots = FxHashMap::with_capacity_and_hasher(ids.len(), Default::default());
        for id in ids {
            let indexed = &self.targets[&id];
            let start = self.term_pool.len() as u32;
            let mut squares = 0.0;
            for &(word, tf) in &indexed.vector {
                let weight = f64::from(tf) * self.idf[(word - FIRST_WORD) as usize];
                squares += weight * weight;
                self.term_pool.push(RankedTerm { id: word, tf });
            }
            let terms = start..self.term_pool.len() as u32;
            let start = self.taxonomy_pool.len() as u32;
            self.taxonomy_pool.extend_from_slice(&indexed.taxonomy);
            let taxonomy = start..self.taxonomy_pool.len() as u32;
            slots.insert(id, self.ranked.len() as u32);
            self.ranked.push(Ranked {
                url_id: indexed.url_id,
                cornerstone: indexed.cornerstone,
                norm: squares.sqrt(),
                terms,
                taxonomy,
            });
        }
        // A rule whose target is absent has no way to link until the target is back.
        self.patterns = self
            .phrases
            .iter()
            .map(|(key, owners)| {
                let ways = owners
                    .iter()
                    .filter_map(|&owner| {
                        let slot = *slots.get(&owner.target)?;
                        Some(Way { owner, slot })
                    })
                    .collect();
                (key.clone(), ways)
            })
            .collect();
        self.automaton = compile(self.patterns.iter().map(|(key, _)| key));
    }
}

/// Inverse document frequency of a word in `df` of `targets` vectors, smoothed so a word in
/// every vector still counts.
fn idf(targets: usize, df: u32) -> f64 {
    ((targets as f64 + 1.0) / (f64::from(df) + 1.0)).ln() + 1.0
}

fn compile<'k>(patterns: impl Iterator<Item = &'k Vec<u32>>) -> AhoCorasick {
    let strings = patterns.map(|key| {
        key.iter()
            .filter_map(|&id| word_char(id))
            .collect::<String>()
    });
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(strings)
        .expect("an automaton over at most a few million short patterns always builds")
}

#[cfg(test)]
mod tests {
    use super::{KeywordRule, LinkIndex, Target, TargetId};
    use crate::pipeline::language::Language;

    fn target(id: i64, title: &str) -> Target {
        Target {
            id: TargetId(id),
            url: format!("https://example.com/{id}"),
            title: title.to_owned(),
            ..Target::default()
        }
    }

    #[test]
    fn incremental_changes_match_a_fresh_build() {
        let rule = KeywordRule {
            id: 7,
            keyword: "borrow checker".to_owned(),
            target: TargetId(2),
        };
        let mut index = LinkIndex::build(
            Some(Language::English),
            [target(1, "Async Rust"), target(2, "Lifetimes")],
            [rule.clone()],
        );
        assert_eq!(index.phrase_count(), 3);
        index.upsert_target(target(1, "Async Rust in depth"));
        index.upsert_target(target(3, "Async Rust"));
        index.remove_rule(7);
        index.remove_target(TargetId(2));
        assert_eq!((index.target_count(), index.phrase_count()), (2, 2));
        index.upsert_rule(rule);
        assert_eq!(index.phrase_count(), 3);
        assert!(index.document_frequency.values().all(|&df| df > 0));
    }

    #[test]
    fn phrases_of_more_than_ten_words_are_not_anchors() {
        let long = "one two three four five six seven eight nine ten eleven";
        let index = LinkIndex::build(Some(Language::English), [target(1, long)], []);
        assert_eq!(index.phrase_count(), 0);
        assert!(
            index
                .key_of("one two three four five six seven eight nine ten")
                .is_some()
        );
    }
}
