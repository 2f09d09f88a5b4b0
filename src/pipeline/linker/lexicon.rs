//! Every stem the index has met, and which of them are words of its vocabulary.
//!
//! Stemming is the costliest step of reading a text, and a site repeats its words endlessly, so
//! each word as written is stemmed once and remembered: reading a target, a phrase or a linked
//! document looks the word up, and only a word never seen goes through Snowball. The lexicon is
//! only written while the index changes, so linking shares it across threads without locks.

use rustc_hash::FxHashMap;

use super::tokens::Normaliser;
use crate::pipeline::word_memo::WordMap;

/// A stem's number in the lexicon; unlike a word id it is never an automaton character.
pub(crate) type StemId = u32;

#[derive(Debug, Default)]
pub(crate) struct Lexicon {
    /// Words as written (before case folding) to their stems. Looked up for every word of every
    /// linked text.
    by_word: WordMap<StemId>,
    by_stem: FxHashMap<Box<str>, StemId>,
    stems: Vec<Box<str>>,
    /// The word id of each stem that is in the index vocabulary.
    word_ids: Vec<Option<u32>>,
}

impl Lexicon {
    /// The stem of `word`, stemming it only the first time.
    pub(crate) fn stem_id(&mut self, normaliser: &Normaliser, word: &str) -> StemId {
        if let Some(&id) = self.by_word.get(word) {
            return id;
        }
        let stem = normaliser.normalise(word);
        let id = match self.by_stem.get(stem.as_str()) {
            Some(&id) => id,
            None => {
                let id = self.stems.len() as StemId;
                self.by_stem.insert(stem.as_str().into(), id);
                self.stems.push(stem.into_boxed_str());
                self.word_ids.push(None);
                id
            }
        };
        self.by_word.insert(word, id);
        id
    }

    /// The stem of `word` if the lexicon has met the word as written.
    pub(crate) fn known_word(&self, word: &str) -> Option<StemId> {
        self.by_word.get(word).copied()
    }

    pub(crate) fn find_stem(&self, stem: &str) -> Option<StemId> {
        self.by_stem.get(stem).copied()
    }

    pub(crate) fn stem(&self, id: StemId) -> &str {
        &self.stems[id as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.stems.len()
    }

    pub(crate) fn word_id(&self, id: StemId) -> Option<u32> {
        self.word_ids[id as usize]
    }

    pub(crate) fn set_word_id(&mut self, id: StemId, word_id: u32) {
        self.word_ids[id as usize] = Some(word_id);
    }
}
