//! Tables as long as the index vocabulary, indexed by id, that a document borrows from its
//! thread instead of allocating: a document sets a few hundred entries of tens of thousands, so
//! it pays for the entries it sets, which the table lists and resets when it is given back. The
//! list's room goes back with the table too, so a document does not grow it from empty again.

use std::cell::RefCell;
use std::thread::LocalKey;

/// A thread's table while no document borrows it.
pub(crate) struct Scratch<T> {
    values: Vec<T>,
    /// Empty, with the room the last document needed.
    set: Vec<u32>,
}

impl<T> Scratch<T> {
    pub(crate) const fn new() -> Scratch<T> {
        Scratch {
            values: Vec::new(),
            set: Vec::new(),
        }
    }
}

/// A table borrowed from `home`, every entry unset (the default value) between documents.
pub(crate) struct ScratchTable<T: Copy + Default + 'static> {
    values: Vec<T>,
    /// The ids whose entry is set, in the order first set.
    set: Vec<u32>,
    home: &'static LocalKey<RefCell<Scratch<T>>>,
}

impl<T: Copy + Default + PartialEq> ScratchTable<T> {
    /// This thread's table from `home`, at least `len` entries long.
    pub(crate) fn take(home: &'static LocalKey<RefCell<Scratch<T>>>, len: usize) -> Self {
        let Scratch { mut values, set } =
            home.with_borrow_mut(|home| std::mem::replace(home, Scratch::new()));
        if values.len() < len {
            values.resize(len, T::default());
        }
        ScratchTable { values, set, home }
    }

    /// The entry of `id`, listed as set from now on; the table grows to hold it. A caller must
    /// not leave the default value in it, which would read as unset.
    pub(crate) fn entry(&mut self, id: u32) -> &mut T {
        let at = id as usize;
        if at >= self.values.len() {
            self.values.resize(at + 1, T::default());
        }
        if self.values[at] == T::default() {
            self.set.push(id);
        }
        &mut self.values[at]
    }

    /// The entry of `id`; the default value when it is unset.
    #[inline]
    pub(crate) fn get(&self, id: u32) -> T {
        self.values.get(id as usize).copied().unwrap_or_default()
    }

    /// Replaces every entry set, in the order first set, by what `f` makes of it, given its id
    /// and the ids set after it.
    pub(crate) fn update_each(&mut self, mut f: impl FnMut(u32, &[u32], T) -> T) {
        for (at, &id) in self.set.iter().enumerate() {
            let value = &mut self.values[id as usize];
            *value = f(id, &self.set[at + 1..], *value);
        }
    }

    /// Each id set, with its entry, in the order first set.
    pub(crate) fn each(&self) -> impl Iterator<Item = (u32, T)> + '_ {
        self.set.iter().map(|&id| (id, self.values[id as usize]))
    }
}

impl<T: Copy + Default + 'static> Drop for ScratchTable<T> {
    fn drop(&mut self) {
        // Reset through the list: the table is as long as the vocabulary, the list a document's.
        for &id in &self.set {
            self.values[id as usize] = T::default();
        }
        self.set.clear();
        let scratch = Scratch {
            values: std::mem::take(&mut self.values),
            set: std::mem::take(&mut self.set),
        };
        self.home.with_borrow_mut(|home| *home = scratch);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::{Scratch, ScratchTable};

    thread_local! {
        static TABLE: RefCell<Scratch<u32>> = const { RefCell::new(Scratch::new()) };
    }

    #[test]
    fn a_table_comes_back_unset_and_grows_for_ids_past_its_length() {
        {
            let mut table = ScratchTable::take(&TABLE, 4);
            *table.entry(2) += 1;
            *table.entry(9) += 5;
            *table.entry(2) += 1;
            assert_eq!(table.each().collect::<Vec<_>>(), [(2, 2), (9, 5)]);
            assert_eq!((table.get(3), table.get(100)), (0, 0));
        }
        let table = ScratchTable::take(&TABLE, 4);
        assert_eq!(table.each().count(), 0);
        assert_eq!((table.get(2), table.get(9)), (0, 0));
    }

    #[test]
    fn every_set_entry_is_updated_in_the_order_first_set_seeing_the_ids_after_it() {
        let mut table = ScratchTable::take(&TABLE, 8);
        for id in [5, 1, 7, 1] {
            *table.entry(id) += 1;
        }
        let mut seen = Vec::new();
        table.update_each(|id, after, value| {
            seen.push((id, after.to_vec()));
            value * 10 + id
        });
        assert_eq!(seen, [(5, vec![1, 7]), (1, vec![7]), (7, vec![])]);
        assert_eq!(
            table.each().collect::<Vec<_>>(),
            [(5, 15), (1, 21), (7, 17)]
        );
    }
}
