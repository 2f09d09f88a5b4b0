//! `/api/v1/sites`: the account's CMSs. Owners and admins see and manage every site; editors and
//! viewers see only the sites granted to them, and editors may queue syncs of those. Passwords
//! are write-only, and sites declared in the configuration file are read-only here.

use axum::Json as ResponseJson;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::{Json, OptionalJson, Path, Query};
use crate::api::pagination::{PageOf, PageQuery};
use crate::api::responses::CommonErrors;
use crate::connector::wordpress::api::AppPassword;
use crate::domain::ids::{JobId, SiteId};
use crate::domain::role::Role;
use crate::domain::schedule::CronSchedule;
use crate::domain::site::{
    ConnectorKind, ConnectorOptions, DEFAULT_LOOKBACK_SECONDS, DEFAULT_RECONCILE_EVERY_HOURS,
    LOOKBACK_SECONDS, PostType, PushPolicy, RECONCILE_EVERY_HOURS, SiteDefinition, SiteName,
    SiteUrl, SiteUsername, check_webhook_secret,
};
use crate::domain::user::SiteAccess;
use crate::sites::PasswordChange;
use crate::store::sites::{Site, SiteScope};
use crate::store::sync_runs::SyncRun;
use crate::sync::site_settings::WordPressSettings;

/// Which sites the caller sees.
pub(crate) fn scope(principal: &Principal) -> SiteScope {
    if principal.role.at_least(Role::Admin) {
        SiteScope::Account(principal.account_id)
    } else {
        SiteScope::Granted {
            account: principal.account_id,
            token: principal.token_id,
        }
    }
}

fn config_managed() -> ApiError {
    ApiError::Conflict {
        code: "config_managed",
        message: "this site is declared in the configuration file; change it there".to_owned(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct SiteView {
    pub id: SiteId,
    pub name: SiteName,
    pub connector: ConnectorKind,
    pub base_url: Option<String>,
    /// The WordPress user igny8 signs in as.
    pub username: Option<String>,
    /// Whether an application password is stored. The password itself is never shown.
    pub has_credentials: bool,
    /// Whether a webhook signing secret is set. The secret itself is never shown.
    pub has_webhook_secret: bool,
    pub post_types: Vec<String>,
    /// Cron expression (UTC) of the scheduled pull; null means manual syncs only.
    pub schedule: Option<String>,
    pub push_policy: PushPolicy,
    pub lookback_seconds: u64,
    pub reconcile_every_hours: u64,
    pub link_enabled: bool,
    /// Declared in the configuration file, which owns it: it cannot be changed here.
    pub config_managed: bool,
    /// What the last probe of the CMS found.
    #[schema(value_type = Object)]
    pub capabilities: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the view shows of any connector's settings column; keys another connector does not
/// have are absent and shown with their defaults.
#[derive(Deserialize)]
struct ShownSettings {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    post_types: Vec<String>,
    #[serde(default = "default_lookback")]
    lookback_seconds: u64,
    #[serde(default = "default_reconcile_hours")]
    reconcile_every_hours: u64,
    #[serde(default)]
    webhook_secret_ref: Option<String>,
}

fn default_lookback() -> u64 {
    DEFAULT_LOOKBACK_SECONDS
}

fn default_reconcile_hours() -> u64 {
    DEFAULT_RECONCILE_EVERY_HOURS
}

impl From<Site> for SiteView {
    fn from(site: Site) -> Self {
        let settings: ShownSettings = serde_json::from_value(site.settings.clone())
            .unwrap_or_else(|err| {
                tracing::warn!(site = %site.name, account = %site.account_id, error = %err, "A site's settings do not parse; showing defaults.");
                serde_json::from_value(serde_json::json!({})).expect("every setting has a default")
            });
        SiteView {
            id: site.id,
            name: site.name,
            connector: site.connector,
            base_url: site.base_url,
            username: settings.username,
            has_credentials: site.credentials_ref.is_some(),
            has_webhook_secret: settings.webhook_secret_ref.is_some(),
            post_types: settings.post_types,
            schedule: site.schedule,
            push_policy: site.push_policy,
            lookback_seconds: settings.lookback_seconds,
            reconcile_every_hours: settings.reconcile_every_hours,
            link_enabled: site.link_enabled,
            config_managed: site.config_managed,
            capabilities: site.capabilities,
            created_at: site.created_at,
            updated_at: site.updated_at,
        }
    }
}

/// The site's settings column; one this daemon cannot read (written by a newer version) is
/// shown with the defaults rather than failing the whole list.
fn wordpress_settings(site: &Site) -> WordPressSettings {
    serde_json::from_value(site.settings.clone()).unwrap_or_else(|err| {
        tracing::warn!(site = %site.name, account = %site.account_id, error = %err, "A site's settings do not parse; showing defaults.");
        serde_json::from_value(serde_json::json!({})).expect("every setting has a default")
    })
}

/// The sites the caller may see, by id.
#[utoipa::path(get, path = "/sites", tag = "sites", params(PageQuery),
    responses((status = 200, body = PageOf<SiteView>), CommonErrors))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<PageQuery>,
) -> Result<ResponseJson<PageOf<SiteView>>, ApiError> {
    let page = query.page()?;
    let sites = state.store.sites_in_scope(scope(&principal), page).await?;
    Ok(ResponseJson(PageOf::new(page, sites, SiteView::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSite {
    /// 1 to 64 lowercase letters, digits, '-' and '_', unique among the account's sites.
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{0,63}$")]
    name: String,
    /// `wordpress`, the only connector for now.
    connector: String,
    /// The site's address, http or https (an application password needs https unless the
    /// host is local).
    base_url: String,
    /// The WordPress user to sign in as; needs `app_password`.
    username: Option<String>,
    /// The user's application password. Write-only: stored outside the database and never
    /// shown.
    #[schema(write_only)]
    app_password: Option<String>,
    /// The secret that signs the site's webhooks (at least 16 characters, no whitespace), as
    /// set in the companion plugin's `igny8_webhook_secret` option or a WooCommerce webhook.
    /// Write-only: stored outside the database and never shown. Without one the site's
    /// webhooks are refused.
    #[schema(write_only, min_length = 16)]
    webhook_secret: Option<String>,
    /// Post types to sync; default `["post", "page"]`.
    post_types: Option<Vec<String>>,
    /// Cron expression (UTC) for scheduled pulls; none for manual syncs only.
    schedule: Option<String>,
    /// off (default), review or auto.
    push_policy: Option<PushPolicy>,
    /// How far before the saved cursor a pull starts, 0 to 86400 (default 120).
    #[schema(minimum = 0, maximum = 86400)]
    lookback_seconds: Option<u64>,
    /// How often deletions are reconciled, 1 to 8760 hours (default 24).
    #[schema(minimum = 1, maximum = 8760)]
    reconcile_every_hours: Option<u64>,
    /// Whether synced content also goes through the linker (default false).
    link_enabled: Option<bool>,
}

/// A site's fields other than its password, as a body gives them (or a PATCH merges them).
struct SiteFields {
    name: String,
    connector: String,
    base_url: String,
    username: Option<String>,
    post_types: Option<Vec<String>>,
    schedule: Option<String>,
    push_policy: Option<PushPolicy>,
    lookback_seconds: Option<u64>,
    reconcile_every_hours: Option<u64>,
    link_enabled: Option<bool>,
}

impl CreateSite {
    fn split(self) -> (SiteFields, Option<String>, Option<String>) {
        (
            SiteFields {
                name: self.name,
                connector: self.connector,
                base_url: self.base_url,
                username: self.username,
                post_types: self.post_types,
                schedule: self.schedule,
                push_policy: self.push_policy,
                lookback_seconds: self.lookback_seconds,
                reconcile_every_hours: self.reconcile_every_hours,
                link_enabled: self.link_enabled,
            },
            self.app_password,
            self.webhook_secret,
        )
    }
}

/// The checked site `fields` describe, for a site that will (or will not) have a password.
fn definition(fields: SiteFields, has_password: bool) -> Result<SiteDefinition, ApiError> {
    let name = SiteName::parse(&fields.name).map_err(|err| ApiError::invalid("name", err))?;
    match fields.connector.as_str() {
        "wordpress" => {}
        other => {
            return Err(ApiError::invalid(
                "connector",
                format!("only the wordpress connector is supported for now, found {other:?}"),
            ));
        }
    };
    let base_url =
        SiteUrl::parse(&fields.base_url).map_err(|err| ApiError::invalid("base_url", err))?;
    let username = fields
        .username
        .as_deref()
        .map(SiteUsername::parse)
        .transpose()
        .map_err(|err| ApiError::invalid("username", err))?;
    match (&username, has_password) {
        (Some(_), false) => {
            return Err(ApiError::invalid(
                "app_password",
                "a username needs an app_password",
            ));
        }
        (None, true) => {
            return Err(ApiError::invalid(
                "username",
                "an app_password needs a username",
            ));
        }
        _ => {}
    }
    if has_password {
        base_url
            .allows_password()
            .map_err(|err| ApiError::invalid("base_url", err))?;
    }
    let post_types = match fields.post_types {
        None => PostType::defaults(),
        Some(names) => post_types(&names)?,
    };
    let schedule = fields
        .schedule
        .as_deref()
        .map(CronSchedule::parse)
        .transpose()
        .map_err(|err| ApiError::invalid("schedule", err))?;
    let lookback_seconds = within(
        "lookback_seconds",
        fields.lookback_seconds.unwrap_or(DEFAULT_LOOKBACK_SECONDS),
        LOOKBACK_SECONDS,
    )?;
    let reconcile_every_hours = within(
        "reconcile_every_hours",
        fields
            .reconcile_every_hours
            .unwrap_or(DEFAULT_RECONCILE_EVERY_HOURS),
        RECONCILE_EVERY_HOURS,
    )?;
    Ok(SiteDefinition {
        name,
        options: ConnectorOptions::Wordpress {
            username,
            post_types,
        },
        base_url: Some(base_url),
        schedule,
        push_policy: fields.push_policy.unwrap_or_default(),
        lookback_seconds,
        reconcile_every_hours,
        link_enabled: fields.link_enabled.unwrap_or(false),
        // Set by the sites service, which stores the secret.
        webhook_secret_ref: None,
    })
}

fn post_types(names: &[String]) -> Result<Vec<PostType>, ApiError> {
    if names.is_empty() {
        return Err(ApiError::invalid(
            "post_types",
            "expected at least one post type, such as [\"post\", \"page\"]",
        ));
    }
    let mut types: Vec<PostType> = Vec::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        let field = format!("post_types[{index}]");
        let parsed = PostType::parse(name).map_err(|err| ApiError::invalid(&field, err))?;
        if types.contains(&parsed) {
            return Err(ApiError::invalid(
                field,
                format!("the post type {name:?} is listed twice"),
            ));
        }
        types.push(parsed);
    }
    Ok(types)
}

fn app_password(text: &str) -> Result<AppPassword, ApiError> {
    if text.trim().is_empty() || text.chars().count() > 256 || text.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "app_password",
            "expected 1 to 256 characters without control characters",
        ));
    }
    Ok(AppPassword::new(text))
}

fn webhook_secret(text: &str) -> Result<AppPassword, ApiError> {
    check_webhook_secret(text).map_err(|err| ApiError::invalid("webhook_secret", err))?;
    Ok(AppPassword::new(text))
}

fn within(field: &str, value: u64, range: std::ops::RangeInclusive<u64>) -> Result<u64, ApiError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::invalid(
            field,
            format!(
                "expected {} to {}, found {value}",
                range.start(),
                range.end()
            ),
        ))
    }
}

/// Connects a site (owner or admin). Its password, if given, is stored in a file under the data
/// directory; responses only say whether one is stored.
#[utoipa::path(post, path = "/sites", tag = "sites", request_body = CreateSite,
    responses((status = 201, body = SiteView),
        (status = 409, body = ErrorBody, description = "A site of that name exists"),
        CommonErrors))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<CreateSite>,
) -> Result<(StatusCode, ResponseJson<SiteView>), ApiError> {
    principal.require(Role::Admin)?;
    let (fields, password, secret) = body.split();
    let password = password.as_deref().map(app_password).transpose()?;
    let secret = secret.as_deref().map(webhook_secret).transpose()?;
    let site = definition(fields, password.is_some())?;
    let created = state
        .sites
        .create(
            principal.account_id,
            &site,
            password.as_ref(),
            secret.as_ref(),
        )
        .await?;
    Ok((StatusCode::CREATED, ResponseJson(created.into())))
}

/// A site the caller may see.
#[utoipa::path(get, path = "/sites/{id}", tag = "sites",
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 200, body = SiteView), CommonErrors))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<SiteId>,
) -> Result<ResponseJson<SiteView>, ApiError> {
    let (site, _) = state.store.site_in_scope(scope(&principal), id).await?;
    Ok(ResponseJson(site.into()))
}

/// Accepts `null` as a value of its own, so a PATCH can clear a field: absent is `None`, null
/// is `Some(None)`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Only the fields given change; `null` clears `username` with `app_password`, `schedule`, or
/// `webhook_secret`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSite {
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{0,63}$")]
    name: Option<String>,
    base_url: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    username: Option<Option<String>>,
    /// Write-only; replaces the stored password.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, write_only)]
    app_password: Option<Option<String>>,
    /// Write-only; replaces the webhook signing secret (at least 16 characters), or removes it
    /// with `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, write_only, min_length = 16)]
    webhook_secret: Option<Option<String>>,
    post_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    schedule: Option<Option<String>>,
    push_policy: Option<PushPolicy>,
    #[schema(minimum = 0, maximum = 86400)]
    lookback_seconds: Option<u64>,
    #[schema(minimum = 1, maximum = 8760)]
    reconcile_every_hours: Option<u64>,
    link_enabled: Option<bool>,
}

/// Changes a site (owner or admin). Sites declared in the configuration file answer 409
/// `config_managed`.
#[utoipa::path(patch, path = "/sites/{id}", tag = "sites", request_body = UpdateSite,
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 200, body = SiteView),
        (status = 409, body = ErrorBody,
            description = "Declared in the configuration file, or the new name is taken"),
        CommonErrors))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<SiteId>,
    Json(body): Json<UpdateSite>,
) -> Result<ResponseJson<SiteView>, ApiError> {
    principal.require(Role::Admin)?;
    let (current, _) = state.store.site_in_scope(scope(&principal), id).await?;
    if current.config_managed {
        return Err(config_managed());
    }
    let password = match body.app_password {
        None => PasswordChange::Keep,
        Some(None) => PasswordChange::Remove,
        Some(Some(password)) => PasswordChange::Set(app_password(&password)?),
    };
    let secret = match body.webhook_secret {
        None => PasswordChange::Keep,
        Some(None) => PasswordChange::Remove,
        Some(Some(secret)) => PasswordChange::Set(webhook_secret(&secret)?),
    };
    let has_password = match &password {
        PasswordChange::Keep => current.credentials_ref.is_some(),
        PasswordChange::Set(_) => true,
        PasswordChange::Remove => false,
    };
    // The merged site is checked exactly as a new one would be.
    let settings = wordpress_settings(&current);
    let merged = SiteFields {
        name: body.name.unwrap_or_else(|| current.name.to_string()),
        connector: current.connector.as_str().to_owned(),
        base_url: body
            .base_url
            .or_else(|| current.base_url.clone())
            .unwrap_or_default(),
        username: body.username.unwrap_or(settings.username),
        post_types: Some(body.post_types.unwrap_or(settings.post_types)),
        schedule: body.schedule.unwrap_or_else(|| current.schedule.clone()),
        push_policy: Some(body.push_policy.unwrap_or(current.push_policy)),
        lookback_seconds: Some(body.lookback_seconds.unwrap_or(settings.lookback_seconds)),
        reconcile_every_hours: Some(
            body.reconcile_every_hours
                .unwrap_or(settings.reconcile_every_hours),
        ),
        link_enabled: Some(body.link_enabled.unwrap_or(current.link_enabled)),
    };
    let site = definition(merged, has_password)?;
    let updated = state
        .sites
        .update(&current, &site, password, secret)
        .await?;
    Ok(ResponseJson(updated.into()))
}

/// Deletes a site (owner or admin): it disappears from every list and sync, and its stored
/// password is removed; its content and run history are kept. Sites declared in the
/// configuration file answer 409 `config_managed`.
#[utoipa::path(delete, path = "/sites/{id}", tag = "sites",
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 204, description = "Deleted"),
        (status = 409, body = ErrorBody, description = "Declared in the configuration file"),
        CommonErrors))]
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<SiteId>,
) -> Result<StatusCode, ApiError> {
    principal.require(Role::Admin)?;
    let (site, _) = state.store.site_in_scope(scope(&principal), id).await?;
    if site.config_managed {
        return Err(config_managed());
    }
    state.sites.delete(site.account_id, site.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    /// Read everything from the beginning instead of from the saved cursor, then reconcile
    /// deletions (default false).
    #[serde(default)]
    full: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SyncQueued {
    /// Whether a new job (a pull, a check) was queued.
    pub queued: bool,
    /// The queued job, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    /// Why nothing was queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// A site the caller may run operations on: an editor or higher, with edit access to it.
pub(crate) async fn operable_site(
    state: &AppState,
    principal: &Principal,
    id: SiteId,
) -> Result<Site, ApiError> {
    principal.require(Role::Editor)?;
    let (site, access) = state.store.site_in_scope(scope(principal), id).await?;
    if access != SiteAccess::Edit {
        return Err(ApiError::SiteViewOnly);
    }
    Ok(site)
}

/// 202 with the queued job, or with why none was queued (the job's unique key found one
/// already queued or running).
fn accepted(job: Option<JobId>, busy: &'static str) -> (StatusCode, ResponseJson<SyncQueued>) {
    let queued = SyncQueued {
        queued: job.is_some(),
        job_id: job,
        reason: job.is_none().then_some(busy),
    };
    (StatusCode::ACCEPTED, ResponseJson(queued))
}

/// Queues a pull of the site (editor or higher, with edit access to the site). A pull already
/// queued or running is not queued twice.
#[utoipa::path(post, path = "/sites/{id}/sync", tag = "sites",
    request_body = Option<SyncRequest>,
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 202, body = SyncQueued), CommonErrors))]
pub async fn sync(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<SiteId>,
    OptionalJson(body): OptionalJson<SyncRequest>,
) -> Result<(StatusCode, ResponseJson<SyncQueued>), ApiError> {
    let site = operable_site(&state, &principal, id).await?;
    let full = body.is_some_and(|body| body.full);
    let job = state.sites.enqueue_pull(&site, full).await?;
    Ok(accepted(
        job,
        "a sync of this site is already queued or running",
    ))
}

/// Queues a diagnosis of how igny8 reaches the site (editor or higher, with edit access):
/// address, REST API, credentials, capabilities. The outcome appears in the site's
/// `capabilities.check` (`ok`, `code`, `message`, `checked_at`) once the job has run.
#[utoipa::path(post, path = "/sites/{id}/check", tag = "sites",
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 202, body = SyncQueued), CommonErrors))]
pub async fn check(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<SiteId>,
) -> Result<(StatusCode, ResponseJson<SyncQueued>), ApiError> {
    let site = operable_site(&state, &principal, id).await?;
    let job = state.sites.enqueue_check(&site).await?;
    Ok(accepted(
        job,
        "a check of this site is already queued or running",
    ))
}

/// The site's sync runs, newest first.
#[utoipa::path(get, path = "/sites/{id}/runs", tag = "sites", params(("id" = i64, Path, description = "Site id"), PageQuery),
    responses((status = 200, body = PageOf<SyncRun>), CommonErrors))]
pub async fn runs(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<SiteId>,
    Query(query): Query<PageQuery>,
) -> Result<ResponseJson<PageOf<SyncRun>>, ApiError> {
    let page = query.page()?;
    let (site, _) = state.store.site_in_scope(scope(&principal), id).await?;
    let runs = state
        .store
        .sync_runs(site.account_id, site.id, page)
        .await?;
    Ok(ResponseJson(PageOf::new(page, runs, |run| run)))
}
