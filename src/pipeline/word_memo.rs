//! A per-thread memory of what a pure function of one word returned. Stems and syllable counts
//! are asked for the same words over and over, since a site repeats its vocabulary from page to
//! page, and the work behind them (Snowball, a language's syllable rules) costs far more than a
//! hash lookup. A memo only ever holds what the function gives for the word, so every result is
//! the same with or without it. It forgets everything once it holds [`CAPACITY`] words, which
//! bounds a thread's memory whatever text goes through it.

use std::cell::RefCell;
use std::thread::LocalKey;

use rustc_hash::FxHashMap;

use crate::pipeline::language::Language;

/// Words remembered per thread and memo before it starts over.
const CAPACITY: usize = 1 << 16;

/// The values of one function per word as written, one map per language (indexed by the
/// language's position in its enum).
pub(crate) struct WordMemo<V> {
    by_language: Vec<FxHashMap<Box<str>, V>>,
}

impl<V: Clone> WordMemo<V> {
    pub(crate) const fn new() -> Self {
        WordMemo {
            by_language: Vec::new(),
        }
    }

    /// What `compute` gives for `word` in `language`, computed only when `memo` does not know it
    /// yet. `compute` runs outside the memo's borrow, so it may use other memos.
    pub(crate) fn get_or_compute(
        memo: &'static LocalKey<RefCell<WordMemo<V>>>,
        language: Language,
        word: &str,
        compute: impl FnOnce() -> V,
    ) -> V {
        let at = language as usize;
        let known = memo.with_borrow(|memo| memo.by_language.get(at)?.get(word).cloned());
        if let Some(value) = known {
            return value;
        }
        let value = compute();
        memo.with_borrow_mut(|memo| {
            if memo.by_language.len() <= at {
                memo.by_language.resize_with(at + 1, FxHashMap::default);
            }
            let words = &mut memo.by_language[at];
            if words.len() >= CAPACITY {
                words.clear();
            }
            words.insert(word.into(), value.clone());
        });
        value
    }
}
