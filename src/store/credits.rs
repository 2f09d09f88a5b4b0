//! The credit ledger: balances, holds, captures, releases and additions.
//!
//! `accounts.credits` is the balance and `accounts.credits_held` the sum of pending holds. Each
//! movement changes them with one conditional UPDATE (so concurrent callers can never take more
//! than is free) and writes one `credit_transactions` row in the same transaction. Every
//! movement is keyed: a hold by its caller's key, a capture or release by its hold, an addition
//! by its caller's key, so a retry finds the first result instead of moving credits again.
//!
//! Holds, captures and releases run as the database functions `credit_hold` and
//! `credit_settle` (migrations 0010, 0016 and 0017): one round trip each, which is what lets many
//! callers share an account row quickly. They answer with row values, whose fields the queries
//! here select by name. Calls that arrive together run in one transaction through
//! `credit_batch` (see `credit_batches`); a lone call runs on its own.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgConnection, PgPool, Row};

use crate::domain::credits::IdempotencyKey;
use crate::domain::ids::{AccountId, HoldId, TransactionId};
use crate::store::{Page, Paged, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub credits: i64,
    pub held: i64,
}

impl Balance {
    /// What can still be held or spent.
    pub fn available(self) -> i64 {
        self.credits - self.held
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    sqlx::Type,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum HoldState {
    Pending,
    Captured,
    Released,
    Expired,
}

impl HoldState {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldState::Pending => "pending",
            HoldState::Captured => "captured",
            HoldState::Released => "released",
            HoldState::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Hold {
    pub id: HoldId,
    pub account_id: AccountId,
    pub operation_type: String,
    pub amount: i64,
    pub state: HoldState,
    pub idempotency_key: String,
    pub captured_amount: Option<i64>,
    pub related_object_type: Option<String>,
    pub related_object_id: Option<i64>,
    pub expires_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A hold to place.
#[derive(Debug, Clone)]
pub struct NewHold<'a> {
    pub account_id: AccountId,
    pub operation_type: &'a str,
    pub amount: i64,
    pub idempotency_key: &'a IdempotencyKey,
    pub related: Option<(&'a str, i64)>,
    pub ttl: std::time::Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HoldOutcome {
    Held(Hold),
    /// The key was used before for the same hold: this is that hold, as it is now.
    Replayed(Hold),
    /// The key was used before for a different hold.
    KeyReused(Hold),
    Insufficient {
        available: i64,
        required: i64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum SettleOutcome {
    /// The hold was captured or released by this call.
    Settled {
        hold: Hold,
        entry: LedgerEntry,
    },
    /// The hold had already left pending; nothing moved.
    NotPending(Hold),
    Insufficient {
        available: i64,
        required: i64,
    },
}

/// How an addition of credits is booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdditionKind {
    /// The plan's monthly allowance.
    Grant,
    /// A purchase or an operator's top-up.
    Add,
}

impl AdditionKind {
    fn as_str(self) -> &'static str {
        match self {
            AdditionKind::Grant => "grant",
            AdditionKind::Add => "add",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum AddOutcome {
    Added(LedgerEntry),
    Replayed(LedgerEntry),
    KeyReused(LedgerEntry),
}

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LedgerEntry {
    pub id: TransactionId,
    pub kind: String,
    pub amount: i64,
    pub held_change: i64,
    pub balance_after: i64,
    pub held_after: i64,
    pub hold_id: Option<HoldId>,
    pub operation_type: Option<String>,
    pub idempotency_key: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
}

const LEDGER_COLUMNS: &str = "id, kind, amount, held_change, balance_after, held_after, hold_id,
                              operation_type, idempotency_key, description, created_at";

/// One charged operation.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UsageRecord {
    pub id: i64,
    pub operation_type: String,
    pub credits_used: i64,
    pub related_object_type: Option<String>,
    pub related_object_id: Option<i64>,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct UsageFilter {
    pub operation_type: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A ledger row to write; the balances after it come from the account update.
struct Movement<'a> {
    account_id: AccountId,
    kind: &'a str,
    amount: i64,
    held_change: i64,
    after: Balance,
    hold_id: Option<HoldId>,
    operation_type: Option<&'a str>,
    idempotency_key: &'a str,
    description: Option<&'a str>,
}

/// Writes a ledger row unless its key exists; `None` when it does.
async fn record(
    conn: &mut PgConnection,
    movement: Movement<'_>,
) -> Result<Option<LedgerEntry>, StoreError> {
    let entry = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO credit_transactions (account_id, kind, amount, held_change, balance_after,
                                          held_after, hold_id, operation_type, idempotency_key,
                                          description)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (account_id, idempotency_key) DO NOTHING
         RETURNING {LEDGER_COLUMNS}"
    )))
    .bind(movement.account_id)
    .bind(movement.kind)
    .bind(movement.amount)
    .bind(movement.held_change)
    .bind(movement.after.credits)
    .bind(movement.after.held)
    .bind(movement.hold_id)
    .bind(movement.operation_type)
    .bind(movement.idempotency_key)
    .bind(movement.description)
    .fetch_optional(conn)
    .await?;
    Ok(entry)
}

async fn balance_in(conn: &mut PgConnection, account: AccountId) -> Result<Balance, StoreError> {
    let (credits, held): (i64, i64) =
        sqlx::query_as("SELECT credits, credits_held FROM accounts WHERE id = $1")
            .bind(account)
            .fetch_one(conn)
            .await?;
    Ok(Balance { credits, held })
}

/// The SQLSTATE `credit_settle` raises when the balance cannot cover a charge.
const UNCOVERED_CHARGE: &str = "IG402";

/// The fields of the `hold` row value the credit functions answer with, named as [`Hold`]'s.
pub(crate) const HOLD_FIELDS: &str =
    "(hold).id, (hold).account_id, (hold).operation_type, (hold).amount,
    (hold).state, (hold).idempotency_key, (hold).captured_amount, (hold).related_object_type,
    (hold).related_object_id, (hold).expires_at, (hold).resolved_at, (hold).created_at";

/// The fields of the `entry` row value `credit_settle` answers with, prefixed so they do not
/// collide with the hold's; read back by [`settled_entry`].
pub(crate) const ENTRY_FIELDS: &str = "(entry).id AS entry_id, (entry).kind AS entry_kind,
    (entry).amount AS entry_amount, (entry).held_change AS entry_held_change,
    (entry).balance_after AS entry_balance_after, (entry).held_after AS entry_held_after,
    (entry).hold_id AS entry_hold_id, (entry).operation_type AS entry_operation_type,
    (entry).idempotency_key AS entry_idempotency_key, (entry).description AS entry_description,
    (entry).created_at AS entry_created_at";

fn settled_entry(row: &PgRow) -> Result<LedgerEntry, sqlx::Error> {
    Ok(LedgerEntry {
        id: row.try_get("entry_id")?,
        kind: row.try_get("entry_kind")?,
        amount: row.try_get("entry_amount")?,
        held_change: row.try_get("entry_held_change")?,
        balance_after: row.try_get("entry_balance_after")?,
        held_after: row.try_get("entry_held_after")?,
        hold_id: row.try_get("entry_hold_id")?,
        operation_type: row.try_get("entry_operation_type")?,
        idempotency_key: row.try_get("entry_idempotency_key")?,
        description: row.try_get("entry_description")?,
        created_at: row.try_get("entry_created_at")?,
    })
}

/// A hold to place, owned so that it can wait for a batch.
#[derive(Debug, Clone)]
pub(crate) struct HoldRequest {
    pub account_id: AccountId,
    pub operation_type: String,
    pub amount: i64,
    pub idempotency_key: String,
    pub related: Option<(String, i64)>,
    pub ttl_seconds: f64,
}

/// A capture (`charge` set) or a release of a pending hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SettleRequest {
    pub account_id: AccountId,
    pub hold_id: HoldId,
    pub charge: Option<i64>,
    pub expired: bool,
}

/// Places one hold in a transaction of its own.
pub(crate) async fn hold_alone(
    pool: &PgPool,
    request: &HoldRequest,
) -> Result<HoldOutcome, StoreError> {
    let (related_type, related_id) = request
        .related
        .as_ref()
        .map(|(kind, id)| (kind.as_str(), *id))
        .unzip();
    // One statement: see `credit_hold` in the migrations for the steps and their order.
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT outcome, available, {HOLD_FIELDS}
         FROM credit_hold($1, $2, $3, $4, $5, $6, $7)"
    )))
    .bind(request.account_id)
    .bind(&request.operation_type)
    .bind(request.amount)
    .bind(&request.idempotency_key)
    .bind(related_type)
    .bind(related_id)
    .bind(request.ttl_seconds)
    .fetch_one(pool)
    .await?;
    hold_outcome(&row, request.amount)
}

/// Settles one hold in a transaction of its own.
pub(crate) async fn settle_alone(
    pool: &PgPool,
    request: SettleRequest,
) -> Result<SettleOutcome, StoreError> {
    // One statement: see `credit_settle` in the migrations for the steps and their order.
    let settled = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT outcome, {HOLD_FIELDS}, {ENTRY_FIELDS}
         FROM credit_settle($1, $2, $3, $4)"
    )))
    .bind(request.account_id)
    .bind(request.hold_id)
    .bind(request.charge)
    .bind(request.expired)
    .fetch_one(pool)
    .await;
    match settled {
        Ok(row) => settle_outcome(&row),
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some(UNCOVERED_CHARGE) => {
            // Nothing moved; say what could have been charged.
            let available: i64 = sqlx::query_scalar(
                "SELECT a.credits - a.credits_held + h.amount
                 FROM accounts a JOIN credit_holds h ON h.account_id = a.id
                 WHERE a.id = $1 AND h.id = $2",
            )
            .bind(request.account_id)
            .bind(request.hold_id)
            .fetch_one(pool)
            .await?;
            Ok(SettleOutcome::Insufficient {
                available,
                required: request.charge.unwrap_or(0),
            })
        }
        Err(err) => Err(err.into()),
    }
}

/// Reads `credit_hold`'s answer (`outcome`, `available` and the hold's fields).
pub(crate) fn hold_outcome(row: &PgRow, required: i64) -> Result<HoldOutcome, StoreError> {
    match row.try_get("outcome")? {
        "held" => Ok(HoldOutcome::Held(Hold::from_row(row)?)),
        "replayed" => Ok(HoldOutcome::Replayed(Hold::from_row(row)?)),
        "key_reused" => Ok(HoldOutcome::KeyReused(Hold::from_row(row)?)),
        "insufficient" => Ok(HoldOutcome::Insufficient {
            available: row.try_get::<Option<i64>, _>("available")?.unwrap_or(0),
            required,
        }),
        _ => Err(StoreError::NotFound),
    }
}

/// Reads `credit_settle`'s answer (`outcome`, the hold's and the entry's fields).
pub(crate) fn settle_outcome(row: &PgRow) -> Result<SettleOutcome, StoreError> {
    match row.try_get("outcome")? {
        "settled" => Ok(SettleOutcome::Settled {
            hold: Hold::from_row(row)?,
            entry: settled_entry(row)?,
        }),
        "not_pending" => Ok(SettleOutcome::NotPending(Hold::from_row(row)?)),
        _ => Err(StoreError::NotFound),
    }
}

impl Store {
    pub async fn balance(&self, account: AccountId) -> Result<Balance, StoreError> {
        let mut conn = self.pool().acquire().await?;
        balance_in(&mut conn, account).await
    }

    /// Reserves `amount` credits if that many are free. Concurrent holds on one account queue
    /// on the account row, so together they never reserve more than its balance.
    pub async fn hold_credits(&self, new: &NewHold<'_>) -> Result<HoldOutcome, StoreError> {
        let request = HoldRequest {
            account_id: new.account_id,
            operation_type: new.operation_type.to_owned(),
            amount: new.amount,
            idempotency_key: new.idempotency_key.as_str().to_owned(),
            related: new.related.map(|(kind, id)| (kind.to_owned(), id)),
            ttl_seconds: new.ttl.as_secs_f64(),
        };
        self.credit_batches().hold(self.pool(), request).await
    }

    /// Charges `actual` for a pending hold and frees the reservation. `actual` may exceed the
    /// hold when the free balance covers the rest; otherwise nothing moves.
    pub async fn capture_hold(
        &self,
        account: AccountId,
        id: HoldId,
        actual: i64,
    ) -> Result<SettleOutcome, StoreError> {
        self.settle(SettleRequest {
            account_id: account,
            hold_id: id,
            charge: Some(actual),
            expired: false,
        })
        .await
    }

    /// Frees a pending hold without charging. `expired` marks the sweeper's releases.
    pub async fn release_hold(
        &self,
        account: AccountId,
        id: HoldId,
        expired: bool,
    ) -> Result<SettleOutcome, StoreError> {
        self.settle(SettleRequest {
            account_id: account,
            hold_id: id,
            charge: None,
            expired,
        })
        .await
    }

    async fn settle(&self, request: SettleRequest) -> Result<SettleOutcome, StoreError> {
        self.credit_batches().settle(self.pool(), request).await
    }

    /// Pending holds past their expiry, oldest first.
    pub async fn expired_holds(&self, limit: i64) -> Result<Vec<(AccountId, HoldId)>, StoreError> {
        let holds = sqlx::query_as(
            "SELECT account_id, id FROM credit_holds
             WHERE state = 'pending' AND expires_at < now()
             ORDER BY expires_at LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(holds)
    }

    /// Adds credits once per key. A replay returns the first addition; the same key with a
    /// different amount is [`AddOutcome::KeyReused`] and moves nothing.
    pub async fn add_credits(
        &self,
        account: AccountId,
        kind: AdditionKind,
        amount: i64,
        key: &IdempotencyKey,
        operation_type: &str,
        description: Option<&str>,
    ) -> Result<AddOutcome, StoreError> {
        let mut tx = self.begin().await?;
        let (credits, held): (i64, i64) = sqlx::query_as(
            "UPDATE accounts SET credits = credits + $2 WHERE id = $1
             RETURNING credits, credits_held",
        )
        .bind(account)
        .bind(amount)
        .fetch_one(&mut *tx)
        .await?;
        let entry = record(
            &mut tx,
            Movement {
                account_id: account,
                kind: kind.as_str(),
                amount,
                held_change: 0,
                after: Balance { credits, held },
                hold_id: None,
                operation_type: Some(operation_type),
                idempotency_key: key.as_str(),
                description,
            },
        )
        .await?;
        if let Some(entry) = entry {
            tx.commit().await?;
            return Ok(AddOutcome::Added(entry));
        }
        // The key was used: undo this call's increment and answer with the first addition.
        tx.rollback().await?;
        let existing: LedgerEntry = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {LEDGER_COLUMNS} FROM credit_transactions
             WHERE account_id = $1 AND idempotency_key = $2"
        )))
        .bind(account)
        .bind(key.as_str())
        .fetch_one(self.pool())
        .await?;
        Ok(
            if existing.amount == amount && existing.kind == kind.as_str() {
                AddOutcome::Replayed(existing)
            } else {
                AddOutcome::KeyReused(existing)
            },
        )
    }

    /// The ledger, newest first.
    pub async fn ledger(
        &self,
        account: AccountId,
        page: Page,
    ) -> Result<Paged<LedgerEntry>, StoreError> {
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {LEDGER_COLUMNS} FROM credit_transactions WHERE account_id = $1
             ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
        )))
        .bind(account)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total =
            sqlx::query_scalar("SELECT count(*) FROM credit_transactions WHERE account_id = $1")
                .bind(account)
                .fetch_one(self.pool())
                .await?;
        Ok(Paged { items, total })
    }

    /// Charged operations, newest first, filtered by operation and time.
    pub async fn usage(
        &self,
        account: AccountId,
        filter: &UsageFilter,
        page: Page,
    ) -> Result<Paged<UsageRecord>, StoreError> {
        const WHERE: &str = "account_id = $1
             AND ($2::text IS NULL OR operation_type = $2)
             AND ($3::timestamptz IS NULL OR created_at >= $3)
             AND ($4::timestamptz IS NULL OR created_at < $4)";
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, operation_type, credits_used, related_object_type, related_object_id,
                    metadata, created_at
             FROM credit_usage_logs WHERE {WHERE}
             ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6"
        )))
        .bind(account)
        .bind(&filter.operation_type)
        .bind(filter.from)
        .bind(filter.to)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM credit_usage_logs WHERE {WHERE}"
        )))
        .bind(account)
        .bind(&filter.operation_type)
        .bind(filter.from)
        .bind(filter.to)
        .fetch_one(self.pool())
        .await?;
        Ok(Paged { items, total })
    }
}
