//! Recently authenticated tokens, so a burst of requests with one token costs one database
//! lookup. Entries live `http.token_cache_seconds`; revoking a token through this daemon's API
//! forgets it at once, while a revocation made elsewhere (another daemon, the CLI) takes
//! effect here within that time.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::api::auth::Principal;
use crate::domain::ids::TokenId;

/// Past this many entries, expired ones are dropped on the next insert.
const PRUNE_ABOVE: usize = 10_000;

pub struct TokenCache {
    ttl: Duration,
    entries: RwLock<HashMap<Vec<u8>, Entry>>,
}

struct Entry {
    principal: Principal,
    cached_at: Instant,
}

impl TokenCache {
    /// A zero `ttl` caches nothing.
    pub fn new(ttl: Duration) -> TokenCache {
        TokenCache {
            ttl,
            entries: RwLock::default(),
        }
    }

    /// The principal for a token hash, if cached less than the lifetime ago.
    pub fn get(&self, hash: &[u8]) -> Option<Principal> {
        let entries = self.entries.read().expect("token cache lock");
        let entry = entries.get(hash)?;
        (entry.cached_at.elapsed() < self.ttl).then(|| entry.principal.clone())
    }

    pub fn put(&self, hash: Vec<u8>, principal: Principal) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().expect("token cache lock");
        if entries.len() >= PRUNE_ABOVE {
            entries.retain(|_, entry| entry.cached_at.elapsed() < self.ttl);
        }
        entries.insert(
            hash,
            Entry {
                principal,
                cached_at: Instant::now(),
            },
        );
    }

    /// Forgets a revoked token.
    pub fn forget(&self, token: TokenId) {
        let mut entries = self.entries.write().expect("token cache lock");
        entries.retain(|_, entry| entry.principal.token_id != token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::AccountId;
    use crate::domain::role::Role;

    fn principal(token: i64) -> Principal {
        Principal {
            account_id: AccountId::new(1),
            token_id: TokenId::new(token),
            role: Role::Viewer,
        }
    }

    #[test]
    fn entries_expire_and_revocations_are_forgotten() {
        let cache = TokenCache::new(Duration::from_millis(50));
        cache.put(vec![1], principal(1));
        cache.put(vec![2], principal(2));
        assert_eq!(cache.get(&[1]).unwrap().token_id, TokenId::new(1));
        cache.forget(TokenId::new(1));
        assert!(cache.get(&[1]).is_none());
        assert!(cache.get(&[2]).is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get(&[2]).is_none());
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = TokenCache::new(Duration::ZERO);
        cache.put(vec![1], principal(1));
        assert!(cache.get(&[1]).is_none());
    }
}
