//! Credits: what operations cost, and holding, capturing, releasing and adding credits.
//!
//! An operation holds its estimated cost before it runs, captures the real cost after it
//! succeeds, or releases the hold when it fails; holds nobody settles expire. Every movement is
//! keyed, so a retried request or job never charges twice.

pub mod replenishment;
pub mod sweeper;

use std::time::Duration;

use crate::domain::credits::{CostTable, IdempotencyKey, Operation};
use crate::domain::ids::{AccountId, HoldId};
use crate::settings::CreditSettings;
use crate::store::credits::{
    AddOutcome, AdditionKind, Hold, HoldOutcome, HoldState, LedgerEntry, NewHold, SettleOutcome,
};
use crate::store::{Store, StoreError};

/// Why a credit movement did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CreditError {
    #[error("insufficient credits: {required} required, {available} available")]
    Insufficient { available: i64, required: i64 },
    #[error("the idempotency key was already used for a different request")]
    KeyReused,
    #[error("the hold is already {state:?}")]
    HoldNotPending { state: HoldState },
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for CreditError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => CreditError::NotFound,
            other => CreditError::Store(other),
        }
    }
}

/// A hold as the caller sees it, and whether this call placed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub hold: Hold,
    pub replayed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Added {
    pub entry: LedgerEntry,
    pub replayed: bool,
}

/// The credits service: the cost table and the rules around the ledger.
#[derive(Debug, Clone)]
pub struct Credits {
    store: Store,
    costs: CostTable,
    hold_ttl: Duration,
}

impl Credits {
    pub fn new(store: Store, settings: &CreditSettings) -> Credits {
        Credits {
            store,
            costs: settings.costs.clone(),
            hold_ttl: settings.hold_ttl(),
        }
    }

    pub fn costs(&self) -> &CostTable {
        &self.costs
    }

    /// What `quantity` units of `operation` cost.
    pub fn estimate(&self, operation: Operation, quantity: u64) -> i64 {
        i64::try_from(self.costs.cost(operation, quantity)).unwrap_or(i64::MAX)
    }

    pub async fn hold(
        &self,
        account: AccountId,
        operation: Operation,
        amount: i64,
        key: &IdempotencyKey,
        related: Option<(&str, i64)>,
    ) -> Result<Placed, CreditError> {
        let new = NewHold {
            account_id: account,
            operation_type: operation.as_str(),
            amount,
            idempotency_key: key,
            related,
            ttl: self.hold_ttl,
        };
        match self.store.hold_credits(&new).await? {
            HoldOutcome::Held(hold) => Ok(Placed {
                hold,
                replayed: false,
            }),
            HoldOutcome::Replayed(hold) => Ok(Placed {
                hold,
                replayed: true,
            }),
            HoldOutcome::KeyReused(_) => Err(CreditError::KeyReused),
            HoldOutcome::Insufficient {
                available,
                required,
            } => Err(CreditError::Insufficient {
                available,
                required,
            }),
        }
    }

    pub async fn capture(
        &self,
        account: AccountId,
        hold: HoldId,
        actual: i64,
    ) -> Result<(Hold, LedgerEntry), CreditError> {
        settled(self.store.capture_hold(account, hold, actual).await?)
    }

    pub async fn release(
        &self,
        account: AccountId,
        hold: HoldId,
    ) -> Result<(Hold, LedgerEntry), CreditError> {
        settled(self.store.release_hold(account, hold, false).await?)
    }

    /// Adds purchased or operator-given credits, once per key.
    pub async fn add(
        &self,
        account: AccountId,
        amount: i64,
        key: &IdempotencyKey,
        description: Option<&str>,
    ) -> Result<Added, CreditError> {
        let outcome = self
            .store
            .add_credits(
                account,
                AdditionKind::Add,
                amount,
                key,
                "credit_purchase",
                description,
            )
            .await?;
        added(outcome)
    }
}

fn settled(outcome: SettleOutcome) -> Result<(Hold, LedgerEntry), CreditError> {
    match outcome {
        SettleOutcome::Settled { hold, entry } => Ok((hold, entry)),
        SettleOutcome::NotPending(hold) => Err(CreditError::HoldNotPending { state: hold.state }),
        SettleOutcome::Insufficient {
            available,
            required,
        } => Err(CreditError::Insufficient {
            available,
            required,
        }),
    }
}

fn added(outcome: AddOutcome) -> Result<Added, CreditError> {
    match outcome {
        AddOutcome::Added(entry) => Ok(Added {
            entry,
            replayed: false,
        }),
        AddOutcome::Replayed(entry) => Ok(Added {
            entry,
            replayed: true,
        }),
        AddOutcome::KeyReused(_) => Err(CreditError::KeyReused),
    }
}
