//! The API's one error type, mapped to HTTP once, here.
//!
//! Every error answers `{"error": {"code", "message", "details"}}`. Server errors carry an
//! opaque message; their cause is logged with the request.

use std::time::Duration;

use axum::Json;
use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::ai::AiError;
use crate::automation::AutomationError;
use crate::credits::CreditError;
use crate::domain::module::Module;
use crate::jobs::handler::error_chain;
use crate::planner::PlannerError;
use crate::processing::ProcessingError;
use crate::site_builder::SiteBuilderError;
use crate::site_builder::files::FileError;
use crate::sites::SiteError;
use crate::store::StoreError;
use crate::writer::WriterError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request cannot be read: malformed JSON, a bad header or path segment.
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        details: Value,
    },
    /// The request was read but a value is not acceptable; `field` names it.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("authentication required")]
    Unauthorized,
    /// A webhook whose signature or timestamp does not check out; nothing of it is kept.
    #[error("webhook refused: {0}")]
    WebhookRefused(String),
    #[error("this action needs the {required} role or higher")]
    Forbidden { required: &'static str },
    /// The caller's grant on the site allows reading it only.
    #[error("this token may only view this site")]
    SiteViewOnly,
    #[error("the {0} module is disabled for this account")]
    ModuleDisabled(Module),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("the request body is larger than this server accepts")]
    PayloadTooLarge,
    /// A file larger than a limit or a storage quota allows.
    #[error("{message}")]
    TooLarge {
        code: &'static str,
        message: String,
        details: Value,
    },
    #[error("expected a JSON body (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("insufficient credits: {required} required, {available} available")]
    InsufficientCredits { available: i64, required: i64 },
    #[error("rate limit exceeded")]
    RateLimited { retry_after: Duration },
    #[error("the request took too long")]
    Timeout,
    /// The operation needs a language model and the configuration has none; `key` says what
    /// to set.
    #[error("{message}")]
    AiNotConfigured { key: &'static str, message: String },
    /// The language model did not give a usable answer.
    #[error("{message}")]
    AiFailed { code: &'static str, message: String },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The error envelope, for the API description.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `insufficient_credits`.
    code: String,
    message: String,
    details: Value,
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized | ApiError::WebhookRefused(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } | ApiError::SiteViewOnly | ApiError::ModuleDisabled(_) => {
                StatusCode::FORBIDDEN
            }
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge | ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::InsufficientCredits { .. } => StatusCode::PAYMENT_REQUIRED,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Timeout | ApiError::AiNotConfigured { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::AiFailed { .. } => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::TooLarge { code, .. } => code,
            ApiError::AiFailed { code, .. } => code,
            ApiError::AiNotConfigured { .. } => "ai_provider_not_configured",
            ApiError::Invalid { .. } => "validation_failed",
            ApiError::Unauthorized => "unauthorized",
            ApiError::WebhookRefused(_) => "invalid_signature",
            ApiError::Forbidden { .. } | ApiError::SiteViewOnly => "forbidden",
            ApiError::ModuleDisabled(_) => "module_disabled",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::InsufficientCredits { .. } => "insufficient_credits",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Timeout => "timeout",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn details(&self) -> Value {
        match self {
            ApiError::BadRequest { details, .. } | ApiError::TooLarge { details, .. } => {
                details.clone()
            }
            ApiError::Invalid { field, .. } => json!({ "field": field }),
            ApiError::Forbidden { required } => json!({ "required_role": required }),
            ApiError::SiteViewOnly => json!({ "site_access": "view" }),
            ApiError::ModuleDisabled(module) => json!({ "module": module }),
            ApiError::AiNotConfigured { key, .. } => json!({ "config_key": key }),
            ApiError::InsufficientCredits {
                available,
                required,
            } => json!({ "balance": available, "required": required }),
            ApiError::RateLimited { retry_after } => {
                json!({ "retry_after_seconds": retry_after_seconds(*retry_after) })
            }
            _ => json!({}),
        }
    }
}

fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = %error_chain(cause.as_ref()), "Request failed.");
        }
        let status = self.status();
        let body = json!({
            "error": {
                "code": self.code(),
                "message": self.to_string(),
                "details": self.details(),
            }
        });
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthorized => {
                headers.insert(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"igny8\""),
                );
            }
            ApiError::RateLimited { retry_after } => {
                headers.insert(RETRY_AFTER, retry_after_seconds(*retry_after).max(1).into());
            }
            _ => {}
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::NotFound,
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

impl From<CreditError> for ApiError {
    fn from(err: CreditError) -> Self {
        match err {
            CreditError::Insufficient {
                available,
                required,
            } => ApiError::InsufficientCredits {
                available,
                required,
            },
            CreditError::KeyReused => ApiError::Conflict {
                code: "idempotency_key_reused",
                message: "the Idempotency-Key was already used for a different request".to_owned(),
            },
            CreditError::HoldNotPending { state } => ApiError::Conflict {
                code: "hold_not_pending",
                message: format!("the hold is already {}", state.as_str()),
            },
            CreditError::NotFound => ApiError::NotFound,
            CreditError::Store(err) => ApiError::Internal(Box::new(err)),
        }
    }
}

impl From<ProcessingError> for ApiError {
    fn from(err: ProcessingError) -> Self {
        match err {
            ProcessingError::NotFound => ApiError::NotFound,
            ProcessingError::ModuleDisabled(module) => ApiError::ModuleDisabled(module),
            err @ ProcessingError::NotProcessable { .. } => ApiError::Conflict {
                code: "not_processable",
                message: err.to_string(),
            },
            err @ ProcessingError::Unreadable { .. } => ApiError::Conflict {
                code: "unreadable_html",
                message: err.to_string(),
            },
            err @ ProcessingError::Stale(_) => ApiError::Conflict {
                code: "content_changed",
                message: err.to_string(),
            },
            ProcessingError::Ai(err) => err.into(),
            ProcessingError::Credits(err) => err.into(),
            ProcessingError::Store(err) => err.into(),
        }
    }
}

impl From<AutomationError> for ApiError {
    fn from(err: AutomationError) -> Self {
        match err {
            AutomationError::Invalid(err) if err.field.is_empty() => {
                ApiError::invalid("body", err.message)
            }
            AutomationError::Invalid(err) => ApiError::invalid(err.field, err.message),
            AutomationError::NotFound => ApiError::NotFound,
            err @ AutomationError::NameTaken(_) => ApiError::Conflict {
                code: "rule_name_taken",
                message: err.to_string(),
            },
            AutomationError::SiteNotFound => {
                ApiError::invalid("site_id", "no such site in this account")
            }
            err @ AutomationError::NotRetryable(_) => ApiError::Conflict {
                code: "not_retryable",
                message: err.to_string(),
            },
            err @ AutomationError::Unreadable(_) => ApiError::Internal(Box::new(err)),
            AutomationError::Store(err) => err.into(),
        }
    }
}

impl From<SiteError> for ApiError {
    fn from(err: SiteError) -> Self {
        match err {
            SiteError::NameTaken(name) => ApiError::Conflict {
                code: "site_name_taken",
                message: format!("a site named {name} already exists in this account"),
            },
            SiteError::NotFound => ApiError::NotFound,
            SiteError::Store(err) => err.into(),
            credentials @ SiteError::Credentials(_) => ApiError::Internal(Box::new(credentials)),
        }
    }
}

impl From<SiteBuilderError> for ApiError {
    fn from(err: SiteBuilderError) -> Self {
        let conflict = |code: &'static str, err: &SiteBuilderError| ApiError::Conflict {
            code,
            message: err.to_string(),
        };
        match err {
            SiteBuilderError::NotFound => ApiError::NotFound,
            SiteBuilderError::InvalidBrief(invalid) => {
                ApiError::invalid(within("config", &invalid.path), invalid.message)
            }
            SiteBuilderError::InvalidStructure(invalid) => {
                ApiError::invalid(within("structure", &invalid.path), invalid.message)
            }
            ref err @ SiteBuilderError::GenerationRunning => {
                conflict("generation_in_progress", err)
            }
            ref err @ SiteBuilderError::KeySpent(_) => conflict("idempotency_key_spent", err),
            ref err @ SiteBuilderError::NotGenerated => conflict("not_generated", err),
            ref err @ SiteBuilderError::NotReady(_) => conflict("not_ready", err),
            ref err @ SiteBuilderError::NoPreviousVersion => conflict("no_previous_version", err),
            ref err @ SiteBuilderError::Changed => conflict("blueprint_changed", err),
            SiteBuilderError::Ai(err) => err.into(),
            SiteBuilderError::Writer(err) => err.into(),
            SiteBuilderError::Credits(err) => err.into(),
            SiteBuilderError::Files(err) => err.into(),
            SiteBuilderError::Store(err) => err.into(),
            err @ SiteBuilderError::Render(_) => ApiError::Internal(Box::new(err)),
        }
    }
}

impl From<AiError> for ApiError {
    fn from(err: AiError) -> Self {
        let message = err.to_string();
        match err {
            AiError::NotConfigured { key, .. } => ApiError::AiNotConfigured { key, message },
            AiError::InvalidAnswer { .. } => ApiError::AiFailed {
                code: "ai_invalid_answer",
                message,
            },
            AiError::Refused { .. } => ApiError::AiFailed {
                code: "ai_refused",
                message,
            },
            AiError::Unavailable(_) => ApiError::AiFailed {
                code: "ai_unavailable",
                message,
            },
        }
    }
}

/// `parent.path`, or `parent` for the value as a whole.
fn within(parent: &str, path: &str) -> String {
    if path.is_empty() {
        parent.to_owned()
    } else {
        format!("{parent}.{path}")
    }
}

impl From<FileError> for ApiError {
    fn from(err: FileError) -> Self {
        match err {
            FileError::InvalidPath { field, message } => ApiError::BadRequest {
                code: "invalid_path",
                message: format!("{field}: {message}"),
                details: json!({ "field": field }),
            },
            ref too_large @ FileError::TooLarge { limit } => ApiError::TooLarge {
                code: "file_too_large",
                message: too_large.to_string(),
                details: json!({ "field": "file", "limit_bytes": limit }),
            },
            ref quota @ FileError::QuotaExceeded { quota: limit, used } => ApiError::TooLarge {
                code: "storage_quota_exceeded",
                message: quota.to_string(),
                details: json!({ "quota_bytes": limit, "used_bytes": used }),
            },
            FileError::UnsupportedType(message) => ApiError::invalid("file", message),
            FileError::NotFound => ApiError::NotFound,
            FileError::Unreadable(message) => ApiError::BadRequest {
                code: "unreadable_body",
                message: format!("the upload could not be read: {message}"),
                details: json!({ "field": "file" }),
            },
            io @ FileError::Io(_) => ApiError::Internal(Box::new(io)),
        }
    }
}

impl From<PlannerError> for ApiError {
    fn from(err: PlannerError) -> Self {
        match err {
            PlannerError::NotFound => ApiError::NotFound,
            PlannerError::Invalid { field, message } => ApiError::Invalid { field, message },
            PlannerError::Conflict { code, message } => ApiError::Conflict { code, message },
            PlannerError::Ai(err) => err.into(),
            PlannerError::Credits(err) => err.into(),
            PlannerError::Store(err) => err.into(),
        }
    }
}

impl From<WriterError> for ApiError {
    fn from(err: WriterError) -> Self {
        match err {
            WriterError::NotFound => ApiError::NotFound,
            WriterError::Invalid { field, message } => ApiError::Invalid { field, message },
            WriterError::Conflict { code, message } => ApiError::Conflict { code, message },
            WriterError::Ai(err) => err.into(),
            WriterError::Credits(err) => err.into(),
            WriterError::Store(err) => err.into(),
        }
    }
}
