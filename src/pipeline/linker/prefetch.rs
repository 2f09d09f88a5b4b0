//! Asking the processor to start loading memory before it is read. A document weighs hundreds
//! of targets picked by its phrases, each with a record and vectors that sit anywhere in the
//! index, so each target read on its own begins with cache misses. Knowing the next targets
//! ahead, weighing asks for theirs while it computes the current one.

/// The bytes of a cache line on the processors this runs on.
const LINE: usize = 64;

/// Starts loading the cache line of `value` into every cache level; never faults, and changes
/// nothing a program can observe but time.
#[inline]
pub(crate) fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that reads no memory architecturally: it cannot fault or
    // change any value, and the address comes from a live reference besides.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(value).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Starts loading every cache line `values` spans: one element a line apart from the first, and
/// the last, whose line the steps miss when the slice does not start on a line.
#[inline]
pub(crate) fn prefetch_lines<T>(values: &[T]) {
    for value in values.iter().step_by((LINE / size_of::<T>()).max(1)) {
        prefetch(value);
    }
    if let Some(last) = values.last() {
        prefetch(last);
    }
}
