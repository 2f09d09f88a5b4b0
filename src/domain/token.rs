//! API token secrets: `igny8_<account id>_<43 base64url characters>` (256 random bits).
//!
//! The account id inside the token keeps the lookup within one account (one shard on Citus);
//! only the SHA-256 of the whole token is stored, so editing the account part cannot make a
//! token valid for another account.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::domain::ids::AccountId;

const PREFIX: &str = "igny8_";
const SECRET_LEN: usize = 43;

/// A token as presented: well-formed, not yet known to be valid.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret {
    account_id: AccountId,
    text: String,
}

impl TokenSecret {
    /// A new random token for `account_id`.
    pub fn generate(account_id: AccountId) -> TokenSecret {
        let bytes: [u8; 32] = rand::random();
        let text = format!("{PREFIX}{account_id}_{}", URL_SAFE_NO_PAD.encode(bytes));
        TokenSecret { account_id, text }
    }

    /// Parses a presented token; `None` when it cannot be one of ours.
    pub fn parse(text: &str) -> Option<TokenSecret> {
        let rest = text.strip_prefix(PREFIX)?;
        let (account, secret) = rest.split_once('_')?;
        if account.is_empty() || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let valid_secret = secret.len() == SECRET_LEN
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid_secret {
            return None;
        }
        Some(TokenSecret {
            account_id: account.parse().ok()?,
            text: text.to_owned(),
        })
    }

    pub fn account_id(&self) -> AccountId {
        self.account_id
    }

    /// What is stored and looked up.
    pub fn hash(&self) -> Vec<u8> {
        Sha256::digest(self.text.as_bytes()).to_vec()
    }

    /// Enough of the token to tell tokens apart in a listing, and nothing that helps guess it.
    pub fn display_prefix(&self) -> String {
        let head = PREFIX.len() + self.account_id.to_string().len() + 1 + 6;
        format!("{}…", &self.text[..head])
    }

    /// The token itself, shown exactly once: when it is created.
    pub fn reveal(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenSecret({})", self.display_prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_back_and_differ() {
        let a = TokenSecret::generate(AccountId::new(42));
        let b = TokenSecret::generate(AccountId::new(42));
        assert_ne!(a.reveal(), b.reveal());
        let parsed = TokenSecret::parse(a.reveal()).unwrap();
        assert_eq!(parsed.account_id(), AccountId::new(42));
        assert_eq!(parsed.hash(), a.hash());
        assert_eq!(a.hash().len(), 32);
        assert!(a.display_prefix().starts_with("igny8_42_"));
        assert!(!format!("{a:?}").contains(a.reveal()));
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        let good = TokenSecret::generate(AccountId::new(7));
        let secret = &good.reveal()["igny8_7_".len()..];
        for bad in [
            String::new(),
            "igny8_".to_owned(),
            format!("igny9_7_{secret}"),
            format!("igny8_x_{secret}"),
            format!("igny8__{secret}"),
            format!("igny8_7_{}", &secret[1..]),
            format!("igny8_7_{}!", &secret[1..]),
        ] {
            assert!(TokenSecret::parse(&bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn editing_the_account_part_changes_the_hash() {
        let token = TokenSecret::generate(AccountId::new(1));
        let forged = token.reveal().replacen("igny8_1_", "igny8_2_", 1);
        let forged = TokenSecret::parse(&forged).unwrap();
        assert_eq!(forged.account_id(), AccountId::new(2));
        assert_ne!(forged.hash(), token.hash());
    }
}
