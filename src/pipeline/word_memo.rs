//! A per-thread memory of what a pure function of one word returned. Stems and syllable counts
//! are asked for the same words over and over, since a site repeats its vocabulary from page to
//! page, and the work behind them (Snowball, a language's syllable rules) costs far more than a
//! hash lookup. A memo only ever holds what the function gives for the word, so every result is
//! the same with or without it. It forgets everything once it holds [`CAPACITY`] words, which
//! bounds a thread's memory whatever text goes through it.
//!
//! Its table, [`WordMap`], holds short words by value; the linker's lexicon keeps its words in
//! one too.

use std::cell::RefCell;
use std::thread::LocalKey;

use rustc_hash::FxHashMap;

use crate::pipeline::language::Language;

/// Words remembered per thread and memo before it starts over.
const CAPACITY: usize = 1 << 16;

/// The values of one function per word as written, one table per language (indexed by the
/// language's position in its enum).
pub(crate) struct WordMemo<V> {
    by_language: Vec<WordMap<V>>,
}

/// Values by word as written. Nearly every word is at most [`ShortKey::MAX_LEN`] bytes long and
/// is kept by value: a lookup then hashes two integers and compares them instead of following a
/// pointer to the key's bytes and comparing those. Fx hashing suits it: the keys are a site's
/// own words, not input an attacker picks to collide, and a collision costs time, never a result.
#[derive(Debug)]
pub(crate) struct WordMap<V> {
    short: FxHashMap<ShortKey, V>,
    long: FxHashMap<Box<str>, V>,
}

/// A word of at most [`ShortKey::MAX_LEN`] bytes, held in place: its bytes padded with zeros,
/// its length in the last byte, so that no two words share a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct ShortKey(u64, u64);

impl ShortKey {
    const MAX_LEN: usize = 15;

    /// The key of `word`. Built in registers from loads that may overlap: writing the bytes to
    /// a buffer and reading it back as integers stalls on every word, because a load cannot be
    /// served from several smaller stores still in flight.
    #[inline]
    fn of(word: &str) -> Option<ShortKey> {
        let bytes = word.as_bytes();
        let len = bytes.len();
        let u32_at = |at: usize| {
            u64::from(u32::from_le_bytes(
                bytes[at..at + 4].try_into().expect("four bytes"),
            ))
        };
        let u64_at =
            |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
        let (low, high) = match len {
            0 => (0, 0),
            1..=3 => {
                let byte = |at: usize| u64::from(bytes[at]) << (8 * at);
                (byte(0) | byte(len / 2) | byte(len - 1), 0)
            }
            4..=7 => (u32_at(0) | u32_at(len - 4) << (8 * (len - 4)), 0),
            8 => (u64_at(0), 0),
            9..=Self::MAX_LEN => (u64_at(0), u64_at(len - 8) >> (8 * (16 - len))),
            _ => return None,
        };
        Some(ShortKey(low, high | (len as u64) << 56))
    }
}

impl<V> Default for WordMap<V> {
    fn default() -> Self {
        WordMap {
            short: FxHashMap::default(),
            long: FxHashMap::default(),
        }
    }
}

impl<V> WordMap<V> {
    #[inline]
    pub(crate) fn get(&self, word: &str) -> Option<&V> {
        match ShortKey::of(word) {
            Some(key) => self.short.get(&key),
            None => self.long.get(word),
        }
    }

    pub(crate) fn insert(&mut self, word: &str, value: V) {
        match ShortKey::of(word) {
            Some(key) => self.short.insert(key, value),
            None => self.long.insert(word.into(), value),
        };
    }

    fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    fn clear(&mut self) {
        self.short.clear();
        self.long.clear();
    }
}

/// One language's part of a memo, borrowed for as many lookups as a caller makes in a row.
pub(crate) struct Borrowed<'m, V> {
    words: &'m mut WordMap<V>,
}

impl<V> Borrowed<'_, V> {
    /// What `compute` gives for `word`, computed only when the memo does not know it yet.
    /// Lent rather than cloned: a caller that only reads the value pays no copy for it.
    pub(crate) fn get_or_compute(&mut self, word: &str, compute: impl FnOnce() -> V) -> &V {
        let words = &mut *self.words;
        // A full memo starts over before it takes one more word, never while a known word is
        // read from it.
        if words.len() >= CAPACITY && words.get(word).is_none() {
            words.clear();
        }
        match ShortKey::of(word) {
            Some(key) => words.short.entry(key).or_insert_with(compute),
            None => {
                if !words.long.contains_key(word) {
                    words.long.insert(word.into(), compute());
                }
                &words.long[word]
            }
        }
    }
}

impl<V: Clone> WordMemo<V> {
    pub(crate) const fn new() -> Self {
        WordMemo {
            by_language: Vec::new(),
        }
    }

    /// Runs `f` with `language`'s part of `memo` borrowed once, however many words `f` looks
    /// up: a lookup then costs no access to the thread's storage. Whatever `f` computes must not
    /// use `memo` itself.
    pub(crate) fn borrowing<R>(
        memo: &'static LocalKey<RefCell<WordMemo<V>>>,
        language: Language,
        f: impl FnOnce(Borrowed<'_, V>) -> R,
    ) -> R {
        memo.with_borrow_mut(|memo| {
            f(Borrowed {
                words: memo.words(language),
            })
        })
    }

    fn words(&mut self, language: Language) -> &mut WordMap<V> {
        let at = language as usize;
        if self.by_language.len() <= at {
            self.by_language.resize_with(at + 1, WordMap::default);
        }
        &mut self.by_language[at]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_tell_every_word_apart() {
        let words = [
            "",
            "a",
            "a\0",
            "\0",
            "ab",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefghijklmno",
        ];
        for (i, one) in words.iter().enumerate() {
            for other in &words[i + 1..] {
                assert_ne!(ShortKey::of(one), ShortKey::of(other), "{one:?} {other:?}");
            }
        }
        assert_eq!(ShortKey::of("abcdefghijklmnop"), None);
    }

    #[test]
    fn short_keys_are_the_bytes_padded_with_the_length_last() {
        let text = "abcdefghijklmno";
        for len in 0..=ShortKey::MAX_LEN {
            let mut padded = [0u8; 16];
            padded[..len].copy_from_slice(&text.as_bytes()[..len]);
            padded[15] = len as u8;
            let expected = ShortKey(
                u64::from_le_bytes(padded[..8].try_into().unwrap()),
                u64::from_le_bytes(padded[8..].try_into().unwrap()),
            );
            assert_eq!(ShortKey::of(&text[..len]), Some(expected), "{len}");
        }
    }

    thread_local! {
        static LENGTHS: RefCell<WordMemo<usize>> = const { RefCell::new(WordMemo::new()) };
    }

    #[test]
    fn short_and_long_words_are_remembered_apart_per_language() {
        let long = "internationalisation";
        let computed = |language: Language, word: &str, value: usize| {
            let mut calls = 0;
            let value = WordMemo::borrowing(&LENGTHS, language, |mut memo| {
                *memo.get_or_compute(word, || {
                    calls += 1;
                    value
                })
            });
            (value, calls)
        };
        assert_eq!(computed(Language::English, "tea", 3), (3, 1));
        assert_eq!(computed(Language::English, "tea", 0), (3, 0));
        assert_eq!(computed(Language::English, long, 20), (20, 1));
        assert_eq!(computed(Language::English, long, 0), (20, 0));
        assert_eq!(computed(Language::German, "tea", 99), (99, 1));
        assert_eq!(computed(Language::English, "tea", 0), (3, 0));
    }

    #[test]
    fn a_full_memo_still_lends_known_words_and_starts_over_for_a_new_one() {
        WordMemo::borrowing(&LENGTHS, Language::Dutch, |mut memo| {
            for n in 0..CAPACITY {
                memo.get_or_compute(&format!("word{n}"), || n);
            }
            assert_eq!(memo.words.len(), CAPACITY);
            assert_eq!(*memo.get_or_compute("word7", || usize::MAX), 7);
            assert_eq!(memo.words.len(), CAPACITY);
            let long = "a word longer than fifteen bytes";
            assert_eq!(*memo.get_or_compute(long, || 1), 1);
            assert_eq!(memo.words.len(), 1);
            assert_eq!(*memo.get_or_compute("word7", || 70), 70);
            assert_eq!(*memo.get_or_compute(long, || 2), 1);
        });
    }
}
