//! Shopify's calculated-cost rate limit, kept on our side: a leaky bucket per shop and
//! credential that each query spends its requested cost from before it is sent, refilled at
//! the shop's restore rate, and set again from the `throttleStatus` every answer reports.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

/// `extensions.cost.throttleStatus` of a GraphQL answer.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

/// `extensions.cost` of a GraphQL answer.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryCost {
    pub requested_query_cost: f64,
    /// Null when the query was throttled and not run.
    #[serde(default)]
    pub actual_query_cost: Option<f64>,
    pub throttle_status: ThrottleStatus,
}

/// What the bucket knows, as of `at`.
#[derive(Debug, Clone, Copy)]
struct Level {
    maximum: f64,
    /// May go below zero: reservations made ahead of a refill are owed.
    available: f64,
    restore_rate: f64,
    at: Instant,
}

impl Level {
    fn now(&self, now: Instant) -> f64 {
        let refilled = self.available + self.restore_rate * (now - self.at).as_secs_f64();
        refilled.min(self.maximum)
    }
}

/// One shop's bucket as seen from this process.
#[derive(Debug, Default)]
pub struct CostBucket {
    state: Mutex<BucketState>,
}

#[derive(Debug, Default)]
struct BucketState {
    /// Unknown until the shop's first answer.
    level: Option<Level>,
    /// The longest wait a reservation was told to make, and the sum of them.
    last_wait: Duration,
    total_wait: Duration,
}

/// What the bucket holds now, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketSnapshot {
    pub maximum: f64,
    pub available: f64,
    pub restore_rate: f64,
    /// The wait the last reservation was given.
    pub last_wait: Duration,
    /// Every wait reservations were given, added up.
    pub total_wait: Duration,
}

static BUCKETS: LazyLock<Mutex<HashMap<String, Arc<CostBucket>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

impl CostBucket {
    /// The bucket of `key` (a shop with one credential), shared by every connector of this
    /// process: Shopify keeps one bucket per app and store, however many jobs use it.
    pub fn shared(key: &str) -> Arc<CostBucket> {
        BUCKETS
            .lock()
            .expect("bucket registry poisoned")
            .entry(key.to_owned())
            .or_default()
            .clone()
    }

    /// Takes `cost` from the bucket and says how long to wait before sending, so the bucket
    /// has refilled enough by then. Unknown shops are not held back: their first answer
    /// tells the bucket's size.
    pub fn reserve(&self, cost: f64) -> Duration {
        self.reserve_at(cost, Instant::now())
    }

    fn reserve_at(&self, cost: f64, now: Instant) -> Duration {
        let mut state = self.state.lock().expect("bucket poisoned");
        let Some(level) = state.level.as_mut() else {
            return Duration::ZERO;
        };
        let available = level.now(now) - cost;
        level.available = available;
        level.at = now;
        let wait = if available >= 0.0 || level.restore_rate <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-available / level.restore_rate)
        };
        state.last_wait = wait;
        state.total_wait += wait;
        wait
    }

    /// Sets the bucket from what the shop reported in an answer.
    pub fn observe(&self, status: &ThrottleStatus) {
        self.observe_at(status, Instant::now());
    }

    fn observe_at(&self, status: &ThrottleStatus, now: Instant) {
        let mut state = self.state.lock().expect("bucket poisoned");
        state.level = Some(Level {
            maximum: status.maximum_available,
            available: status.currently_available,
            restore_rate: status.restore_rate,
            at: now,
        });
    }

    pub fn snapshot(&self) -> Option<BucketSnapshot> {
        self.snapshot_at(Instant::now())
    }

    fn snapshot_at(&self, now: Instant) -> Option<BucketSnapshot> {
        let state = self.state.lock().expect("bucket poisoned");
        state.level.map(|level| BucketSnapshot {
            maximum: level.maximum,
            available: level.now(now),
            restore_rate: level.restore_rate,
            last_wait: state.last_wait,
            total_wait: state.total_wait,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(available: f64, rate: f64) -> ThrottleStatus {
        ThrottleStatus {
            maximum_available: 1000.0,
            currently_available: available,
            restore_rate: rate,
        }
    }

    #[test]
    fn a_reservation_waits_for_the_refill_it_lacks() {
        let bucket = CostBucket::default();
        let start = Instant::now();
        assert_eq!(
            bucket.reserve_at(500.0, start),
            Duration::ZERO,
            "unknown shops go"
        );
        bucket.observe_at(&status(100.0, 50.0), start);
        assert_eq!(bucket.reserve_at(60.0, start), Duration::ZERO);
        // 40 left; 140 more needs 100 points of refill at 50 a second.
        assert_eq!(bucket.reserve_at(140.0, start), Duration::from_secs(2));
        // The debt is owed by the next one too: 100 owed plus 50 wanted.
        assert_eq!(bucket.reserve_at(50.0, start), Duration::from_secs(3));
        let snapshot = bucket.snapshot_at(start + Duration::from_secs(3)).unwrap();
        assert!(snapshot.available.abs() < 1e-6, "{snapshot:?}");
        assert_eq!(snapshot.total_wait, Duration::from_secs(5));
        assert_eq!(snapshot.last_wait, Duration::from_secs(3));
    }

    #[test]
    fn the_bucket_never_refills_past_its_size() {
        let bucket = CostBucket::default();
        let start = Instant::now();
        bucket.observe_at(&status(990.0, 100.0), start);
        let later = start + Duration::from_secs(60);
        assert_eq!(bucket.snapshot_at(later).unwrap().available, 1000.0);
        assert_eq!(bucket.reserve_at(1000.0, later), Duration::ZERO);
    }
}
