//! How long a failed job waits before its next attempt.

use std::time::Duration;

/// First retry after about this long; each further failure doubles it.
const BASE: Duration = Duration::from_secs(2);
/// No retry waits longer than this.
const CAP: Duration = Duration::from_secs(3600);

/// The wait after the `failures`-th failed attempt (1 for the first): exponential with a cap,
/// scaled by `jitter` in [0.5, 1.0] so jobs that failed together do not retry together.
pub fn retry_delay(failures: u32, jitter: f64) -> Duration {
    let exponent = failures.saturating_sub(1).min(20);
    let delay = BASE.saturating_mul(1 << exponent).min(CAP);
    delay.mul_f64(jitter.clamp(0.5, 1.0))
}

/// A jitter factor for [`retry_delay`].
pub fn random_jitter() -> f64 {
    rand::random_range(0.5..=1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_then_caps() {
        let waits: Vec<u64> = (1..=13).map(|n| retry_delay(n, 1.0).as_secs()).collect();
        assert_eq!(
            waits,
            [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600]
        );
        assert_eq!(retry_delay(u32::MAX, 1.0), CAP);
    }

    #[test]
    fn jitter_shortens_by_at_most_half() {
        assert_eq!(retry_delay(3, 0.5), Duration::from_secs(4));
        assert_eq!(retry_delay(3, 0.1), Duration::from_secs(4));
        for _ in 0..100 {
            let jitter = random_jitter();
            assert!((0.5..=1.0).contains(&jitter));
        }
    }
}
