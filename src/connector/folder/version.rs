//! A file's version as one timestamp: its modification time to the millisecond, with the
//! microseconds taken from a hash of its bytes. An edit that leaves the modification time in
//! the same millisecond (coarse file-system clocks) still changes the version, so a write's
//! precondition sees it; and the value survives PostgreSQL's microsecond timestamps exactly.

use std::time::SystemTime;

use chrono::{DateTime, Duration, DurationRound, Utc};
use sha2::{Digest, Sha256};

/// The SHA-256 of a file's bytes.
pub fn content_hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The version of a file modified at `modified` holding bytes that hash to `hash`.
pub fn stamp(modified: SystemTime, hash: &[u8; 32]) -> DateTime<Utc> {
    let millisecond = DateTime::<Utc>::from(modified)
        .duration_trunc(Duration::milliseconds(1))
        .expect("a file time truncates to milliseconds");
    let residue = u16::from_be_bytes([hash[0], hash[1]]) % 1000;
    millisecond + Duration::microseconds(i64::from(residue))
}

/// The millisecond a version belongs to.
pub fn millisecond(version: DateTime<Utc>) -> DateTime<Utc> {
    version
        .duration_trunc(Duration::milliseconds(1))
        .expect("a version truncates to milliseconds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_millisecond_with_other_bytes_is_another_version() {
        let at =
            SystemTime::UNIX_EPOCH + std::time::Duration::from_nanos(1_767_225_600_123_456_789);
        let a = stamp(at, &content_hash(b"<p>a</p>"));
        let b = stamp(at, &content_hash(b"<p>b</p>"));
        assert_ne!(a, b);
        assert_eq!(millisecond(a), millisecond(b));
        assert_eq!(millisecond(a).timestamp_subsec_micros(), 123_000);
        assert_eq!(a, stamp(at, &content_hash(b"<p>a</p>")));
        let later = at + std::time::Duration::from_millis(1);
        assert!(stamp(later, &content_hash(b"<p>a</p>")) > b.max(a));
    }
}
