//! Inbound rate limits: a keyed token bucket per (account, route group), and one per peer
//! address for requests without a valid token. Limits live in this process: N daemons behind
//! a balancer allow up to N times the quota.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::api::auth::Principal;
use crate::api::error::ApiError;
use crate::domain::ids::AccountId;
use crate::settings::{RateLimit, RateLimitGroup};

pub struct RateLimits {
    by_account: BTreeMap<RateLimitGroup, DefaultKeyedRateLimiter<AccountId>>,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

fn quota(limit: RateLimit) -> Quota {
    let per_minute = NonZeroU32::new(limit.per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(limit.burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

impl RateLimits {
    pub fn new(limits: &BTreeMap<RateLimitGroup, RateLimit>) -> RateLimits {
        let limit_of = |group| {
            limits.get(&group).copied().unwrap_or(RateLimit {
                per_minute: 120,
                burst: 30,
            })
        };
        RateLimits {
            by_account: RateLimitGroup::ALL
                .iter()
                .filter(|group| **group != RateLimitGroup::Unauthenticated)
                .map(|group| (*group, RateLimiter::keyed(quota(limit_of(*group)))))
                .collect(),
            by_address: RateLimiter::keyed(quota(limit_of(RateLimitGroup::Unauthenticated))),
            clock: DefaultClock::default(),
        }
    }

    pub fn check_account(&self, group: RateLimitGroup, account: AccountId) -> Result<(), ApiError> {
        let Some(limiter) = self.by_account.get(&group) else {
            return Ok(());
        };
        limiter
            .check_key(&account)
            .map_err(|not_until| ApiError::RateLimited {
                retry_after: not_until.wait_time_from(self.clock.now()),
            })
    }

    pub fn check_address(&self, address: IpAddr) -> Result<(), ApiError> {
        self.by_address
            .check_key(&address)
            .map_err(|not_until| ApiError::RateLimited {
                retry_after: not_until.wait_time_from(self.clock.now()),
            })
    }

    /// Forgets keys whose buckets are full again, so the maps do not grow with every account
    /// and address ever seen.
    pub fn prune(&self) {
        for limiter in self.by_account.values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        self.by_address.retain_recent();
        self.by_address.shrink_to_fit();
    }
}

/// How often [`RateLimits::prune`] runs.
pub const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// The state of a group's limiting middleware.
#[derive(Clone)]
pub struct GroupLimit {
    pub limits: Arc<RateLimits>,
    pub group: RateLimitGroup,
}

/// Counts an authenticated request against its account's quota for the group.
pub async fn limit(State(limit): State<GroupLimit>, request: Request, next: Next) -> Response {
    let Some(principal) = request.extensions().get::<Principal>() else {
        return ApiError::Unauthorized.into_response();
    };
    if let Err(err) = limit
        .limits
        .check_account(limit.group, principal.account_id)
    {
        return err.into_response();
    }
    next.run(request).await
}
