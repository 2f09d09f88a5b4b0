//! `/api/v1/credits`: balance, costs, usage, the ledger, additions, and holds that callers
//! capture or release.

use axum::Json as ResponseJson;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::error::ApiError;
use crate::api::error::ErrorBody;
use crate::api::extract::{Json, Path, Query, RequiredIdempotencyKey};
use crate::api::pagination::{PageOf, page};
use crate::api::responses::CommonErrors;
use crate::domain::credits::{Operation, Unit};
use crate::domain::ids::{HoldId, TransactionId};
use crate::domain::role::Role;
use crate::store::credits::{Hold, HoldState, LedgerEntry, UsageFilter, UsageRecord};

/// Largest single addition or hold, a guard against typos that add a billion credits.
const MAX_AMOUNT: i64 = 1_000_000_000;

#[derive(Serialize, ToSchema)]
pub struct BalanceView {
    /// Credits on the account, held ones included.
    pub balance: i64,
    /// Credits reserved by pending holds.
    pub held: i64,
    /// What can be held or spent now: balance minus held.
    pub available: i64,
}

/// The account's balance.
#[utoipa::path(get, path = "/credits/balance", tag = "credits",
    responses((status = 200, body = BalanceView), CommonErrors))]
pub async fn balance(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<ResponseJson<BalanceView>, ApiError> {
    let balance = state.store.balance(principal.account_id).await?;
    Ok(ResponseJson(BalanceView {
        balance: balance.credits,
        held: balance.held,
        available: balance.available(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CostView {
    pub operation: Operation,
    /// What one unit is: request, cluster, words, image, content or page.
    pub unit: &'static str,
    /// For `words`: how many words make one unit.
    pub unit_size: Option<u32>,
    pub credits_per_unit: u32,
}

/// What each operation costs.
#[utoipa::path(get, path = "/credits/costs", tag = "credits",
    responses((status = 200, body = Vec<CostView>), CommonErrors))]
pub async fn costs(
    State(state): State<AppState>,
    _principal: Principal,
) -> ResponseJson<Vec<CostView>> {
    let table = state.credits.costs();
    ResponseJson(
        Operation::ALL
            .iter()
            .map(|operation| {
                let (unit, unit_size) = match operation.unit() {
                    Unit::Request => ("request", None),
                    Unit::Cluster => ("cluster", None),
                    Unit::Words(size) => ("words", Some(size)),
                    Unit::Image => ("image", None),
                    Unit::Content => ("content", None),
                    Unit::Page => ("page", None),
                };
                CostView {
                    operation: *operation,
                    unit,
                    unit_size,
                    credits_per_unit: table.per_unit(*operation),
                }
            })
            .collect(),
    )
}

#[derive(Serialize, ToSchema)]
pub struct UsageView {
    pub id: i64,
    pub operation_type: String,
    pub credits_used: i64,
    pub related_object_type: Option<String>,
    pub related_object_id: Option<i64>,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

impl From<UsageRecord> for UsageView {
    fn from(record: UsageRecord) -> Self {
        UsageView {
            id: record.id,
            operation_type: record.operation_type,
            credits_used: record.credits_used,
            related_object_type: record.related_object_type,
            related_object_id: record.related_object_id,
            metadata: record.metadata,
            created_at: record.created_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// Only this operation.
    operation_type: Option<Operation>,
    /// From this time (inclusive, RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Until this time (exclusive, RFC 3339).
    to: Option<DateTime<Utc>>,
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<u32>,
}

/// Charged operations, newest first.
#[utoipa::path(get, path = "/credits/usage", tag = "credits", params(UsageQuery),
    responses((status = 200, body = PageOf<UsageView>), CommonErrors))]
pub async fn usage(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<UsageQuery>,
) -> Result<ResponseJson<PageOf<UsageView>>, ApiError> {
    let page = page(query.page, query.page_size)?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(ApiError::invalid("to", "must not be before from"));
    }
    let filter = UsageFilter {
        operation_type: query.operation_type.map(|op| op.as_str().to_owned()),
        from: query.from,
        to: query.to,
    };
    let records = state
        .store
        .usage(principal.account_id, &filter, page)
        .await?;
    Ok(ResponseJson(PageOf::new(page, records, UsageView::from)))
}

#[derive(Serialize, ToSchema)]
pub struct TransactionView {
    pub id: TransactionId,
    /// grant, add, hold, capture, release, refund or adjustment.
    pub kind: String,
    /// Change to the balance.
    pub amount: i64,
    /// Change to the held credits.
    pub held_change: i64,
    pub balance_after: i64,
    pub held_after: i64,
    pub hold_id: Option<HoldId>,
    pub operation_type: Option<String>,
    pub idempotency_key: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<LedgerEntry> for TransactionView {
    fn from(entry: LedgerEntry) -> Self {
        TransactionView {
            id: entry.id,
            kind: entry.kind,
            amount: entry.amount,
            held_change: entry.held_change,
            balance_after: entry.balance_after,
            held_after: entry.held_after,
            hold_id: entry.hold_id,
            operation_type: entry.operation_type,
            idempotency_key: entry.idempotency_key,
            description: entry.description,
            created_at: entry.created_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<u32>,
}

/// Every movement of credits, newest first.
#[utoipa::path(get, path = "/credits/transactions", tag = "credits", params(LedgerQuery),
    responses((status = 200, body = PageOf<TransactionView>), CommonErrors))]
pub async fn transactions(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<LedgerQuery>,
) -> Result<ResponseJson<PageOf<TransactionView>>, ApiError> {
    let page = page(query.page, query.page_size)?;
    let entries = state.store.ledger(principal.account_id, page).await?;
    Ok(ResponseJson(PageOf::new(
        page,
        entries,
        TransactionView::from,
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCredits {
    /// Credits to add, 1 to 1,000,000,000.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    amount: i64,
    /// Why, for the statement (at most 500 characters).
    #[schema(max_length = 500)]
    description: Option<String>,
}

/// The header that marks an answer repeated for a replayed Idempotency-Key.
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

fn created<T: Serialize>(body: T, replayed: bool) -> Response {
    let mut response = (StatusCode::CREATED, ResponseJson(body)).into_response();
    if replayed {
        response
            .headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

/// Adds credits (owner or admin). Needs an `Idempotency-Key`: a replay answers with the
/// first addition and adds nothing.
#[utoipa::path(post, path = "/credits/add", tag = "credits", request_body = AddCredits,
    params(("Idempotency-Key" = String, Header, min_length = 1, max_length = 200,
        pattern = "^[!-~]+$", description = "Makes the addition happen once")),
    responses((status = 201, body = TransactionView),
              (status = 409, body = ErrorBody, description = "Key used for another request"),
              CommonErrors))]
pub async fn add(
    State(state): State<AppState>,
    principal: Principal,
    RequiredIdempotencyKey(key): RequiredIdempotencyKey,
    Json(body): Json<AddCredits>,
) -> Result<Response, ApiError> {
    principal.require(Role::Admin)?;
    if !(1..=MAX_AMOUNT).contains(&body.amount) {
        return Err(ApiError::invalid(
            "amount",
            format!("expected 1 to {MAX_AMOUNT}"),
        ));
    }
    if body
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 500)
    {
        return Err(ApiError::invalid(
            "description",
            "expected at most 500 characters",
        ));
    }
    let added = state
        .credits
        .add(
            principal.account_id,
            body.amount,
            &key,
            body.description.as_deref(),
        )
        .await?;
    Ok(created(TransactionView::from(added.entry), added.replayed))
}

#[derive(Serialize, ToSchema)]
pub struct HoldView {
    pub id: HoldId,
    pub operation_type: String,
    /// Credits reserved.
    pub amount: i64,
    pub state: HoldState,
    /// What was charged, once captured.
    pub captured_amount: Option<i64>,
    pub related_object_type: Option<String>,
    pub related_object_id: Option<i64>,
    /// When the hold is released if nobody captures or releases it.
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl From<Hold> for HoldView {
    fn from(hold: Hold) -> Self {
        HoldView {
            id: hold.id,
            operation_type: hold.operation_type,
            amount: hold.amount,
            state: hold.state,
            captured_amount: hold.captured_amount,
            related_object_type: hold.related_object_type,
            related_object_id: hold.related_object_id,
            expires_at: hold.expires_at,
            created_at: hold.created_at,
            resolved_at: hold.resolved_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHold {
    operation: Operation,
    /// Units of the operation to estimate the hold from (words for word-priced operations).
    /// Give this or `amount`.
    #[schema(minimum = 1)]
    quantity: Option<u64>,
    /// Credits to hold. Give this or `quantity`.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    amount: Option<i64>,
    /// The object the operation works on.
    #[schema(max_length = 100)]
    related_object_type: Option<String>,
    related_object_id: Option<i64>,
}

/// Reserves credits for an operation before it runs (editor or higher). Needs an
/// `Idempotency-Key`: a replay answers with the same hold as it is now.
#[utoipa::path(post, path = "/credits/holds", tag = "credits", request_body = CreateHold,
    params(("Idempotency-Key" = String, Header, min_length = 1, max_length = 200,
        pattern = "^[!-~]+$", description = "Makes the hold happen once")),
    responses((status = 201, body = HoldView),
              (status = 402, body = ErrorBody, description = "Not enough credits"),
              (status = 409, body = ErrorBody, description = "Key used for another request"),
              CommonErrors))]
pub async fn hold(
    State(state): State<AppState>,
    principal: Principal,
    RequiredIdempotencyKey(key): RequiredIdempotencyKey,
    Json(body): Json<CreateHold>,
) -> Result<Response, ApiError> {
    principal.require(Role::Editor)?;
    let amount = match (body.quantity, body.amount) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "amount",
                "give quantity or amount, not both",
            ));
        }
        (None, None) => return Err(ApiError::invalid("quantity", "give quantity or amount")),
        (Some(0), None) => return Err(ApiError::invalid("quantity", "expected at least 1")),
        (Some(quantity), None) => state.credits.estimate(body.operation, quantity),
        (None, Some(amount)) => amount,
    };
    if !(1..=MAX_AMOUNT).contains(&amount) {
        return Err(ApiError::invalid(
            "amount",
            format!("expected 1 to {MAX_AMOUNT}"),
        ));
    }
    let related = match (body.related_object_type.as_deref(), body.related_object_id) {
        (Some(kind), Some(id)) if !kind.is_empty() && kind.len() <= 100 => Some((kind, id)),
        (None, None) => None,
        _ => {
            return Err(ApiError::invalid(
                "related_object_type",
                "give related_object_type (1 to 100 characters) and related_object_id together",
            ));
        }
    };
    let placed = state
        .credits
        .hold(principal.account_id, body.operation, amount, &key, related)
        .await?;
    Ok(created(HoldView::from(placed.hold), placed.replayed))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptureHold {
    /// The real cost. More than the hold only when the available balance covers the rest.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    amount: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SettledHold {
    pub hold: HoldView,
    pub transaction: TransactionView,
}

/// Charges a pending hold (editor or higher). A second capture or a release after it is 409.
#[utoipa::path(post, path = "/credits/holds/{id}/capture", tag = "credits",
    request_body = CaptureHold,
    params(("id" = i64, Path, description = "Hold id")),
    responses((status = 200, body = SettledHold),
              (status = 402, body = ErrorBody, description = "The balance does not cover the charge"),
              (status = 409, body = ErrorBody, description = "The hold is no longer pending"),
              CommonErrors))]
pub async fn capture(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<HoldId>,
    Json(body): Json<CaptureHold>,
) -> Result<ResponseJson<SettledHold>, ApiError> {
    principal.require(Role::Editor)?;
    if !(0..=MAX_AMOUNT).contains(&body.amount) {
        return Err(ApiError::invalid(
            "amount",
            format!("expected 0 to {MAX_AMOUNT}"),
        ));
    }
    let (hold, entry) = state
        .credits
        .capture(principal.account_id, id, body.amount)
        .await?;
    Ok(ResponseJson(SettledHold {
        hold: hold.into(),
        transaction: entry.into(),
    }))
}

/// Frees a pending hold without charging (editor or higher). Releasing twice is 409.
#[utoipa::path(post, path = "/credits/holds/{id}/release", tag = "credits",
    params(("id" = i64, Path, description = "Hold id")),
    responses((status = 200, body = SettledHold),
              (status = 409, body = ErrorBody, description = "The hold is no longer pending"),
              CommonErrors))]
pub async fn release(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<HoldId>,
) -> Result<ResponseJson<SettledHold>, ApiError> {
    principal.require(Role::Editor)?;
    let (hold, entry) = state.credits.release(principal.account_id, id).await?;
    Ok(ResponseJson(SettledHold {
        hold: hold.into(),
        transaction: entry.into(),
    }))
}
