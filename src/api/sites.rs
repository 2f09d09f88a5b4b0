//! `/api/v1/sites`: the account's CMSs. Owners and admins see and manage every site; editors and
//! viewers see only the sites granted to them, and editors may queue syncs of those. Passwords,
//! tokens and keys are write-only, and sites declared in the configuration file are read-only
//! here. WordPress, Shopify and REST-definition sites can be created here; folder sites only
//! in the configuration file, since an API caller must not point the daemon at folders of the
//! server it runs on.

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
use crate::connector::rest::definition::DefinitionError;
use crate::connector::wordpress::api::AppPassword;
use crate::domain::ids::{JobId, SiteId};
use crate::domain::role::Role;
use crate::domain::schedule::CronSchedule;
use crate::domain::site::{
    ConnectorKind, ConnectorOptions, DEFAULT_LOOKBACK_SECONDS, DEFAULT_RECONCILE_EVERY_HOURS,
    DefinitionName, LOOKBACK_SECONDS, PostType, PushPolicy, RECONCILE_EVERY_HOURS, ShopDomain,
    ShopifyApiVersion, SiteDefinition, SiteName, SiteUrl, SiteUsername, check_webhook_secret,
};
use crate::domain::user::SiteAccess;
use crate::sites::PasswordChange;
use crate::store::sites::{Site, SiteScope};
use crate::store::sync_runs::SyncRun;

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
    /// Whether a credential is stored: the WordPress application password, the Shopify access
    /// token or the REST definition's API key. The credential itself is never shown.
    pub has_credentials: bool,
    /// Whether a webhook signing secret is set. The secret itself is never shown.
    pub has_webhook_secret: bool,
    /// The WordPress post types synced; empty for other connectors.
    pub post_types: Vec<String>,
    /// Shopify: the shop's permanent domain.
    pub shop: Option<String>,
    /// Shopify: the Admin API version requests are pinned to.
    pub api_version: Option<String>,
    /// REST: the definition in the connectors directory the site is read through.
    pub definition: Option<String>,
    /// Folder sites: the folder read.
    pub path: Option<String>,
    /// Folder sites: where processed files are written.
    pub output_path: Option<String>,
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
    #[serde(default)]
    shop: Option<String>,
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    definition: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    output_path: Option<String>,
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

/// The site's settings column; one this daemon cannot read (written by a newer version) is
/// shown with the defaults rather than failing the whole list.
fn shown_settings(site: &Site) -> ShownSettings {
    serde_json::from_value(site.settings.clone()).unwrap_or_else(|err| {
        tracing::warn!(site = %site.name, account = %site.account_id, error = %err, "A site's settings do not parse; showing defaults.");
        serde_json::from_value(serde_json::json!({})).expect("every setting has a default")
    })
}

impl From<Site> for SiteView {
    fn from(site: Site) -> Self {
        let settings = shown_settings(&site);
        SiteView {
            id: site.id,
            name: site.name,
            connector: site.connector,
            base_url: site.base_url,
            username: settings.username,
            has_credentials: site.credentials_ref.is_some(),
            has_webhook_secret: settings.webhook_secret_ref.is_some(),
            post_types: settings.post_types,
            shop: settings.shop,
            api_version: settings.api_version,
            definition: settings.definition,
            path: settings.path,
            output_path: settings.output_path,
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
    /// `wordpress`, `shopify` or `rest`. Folder sites (`files`) are declared in the
    /// configuration file only. A key of another connector is refused, naming it.
    connector: String,
    /// WordPress and REST: the site's address, http or https (a credential needs https
    /// unless the host is local). Shopify sites take `shop` instead.
    base_url: Option<String>,
    /// WordPress: the user to sign in as; needs `app_password`.
    username: Option<String>,
    /// WordPress: the user's application password. Write-only: stored outside the database
    /// and never shown.
    #[schema(write_only)]
    app_password: Option<String>,
    /// Shopify: the shop's permanent domain, `{name}.myshopify.com`.
    shop: Option<String>,
    /// Shopify: the Admin API version, such as `2025-10` (default `2025-10`).
    api_version: Option<String>,
    /// Shopify: the Admin API access token (required). Write-only: stored outside the database
    /// and never shown.
    #[schema(write_only)]
    access_token: Option<String>,
    /// REST: the name of a definition in the connectors directory, such as `ghost`.
    definition: Option<String>,
    /// REST: the key the definition authenticates with (Ghost: the Admin API key `id:secret`).
    /// Write-only: stored outside the database and never shown.
    #[schema(write_only)]
    api_key: Option<String>,
    /// The secret that signs the site's webhooks (at least 16 characters, no whitespace): the
    /// companion plugin's `igny8_webhook_secret` option, a WooCommerce webhook's secret,
    /// the Shopify app's client secret, or what the REST definition's `[webhook]` checks.
    /// Write-only: stored outside the database and never shown. Without one the site's
    /// webhooks are refused.
    #[schema(write_only, min_length = 16)]
    webhook_secret: Option<String>,
    /// WordPress: post types to sync; default `["post", "page"]`.
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

/// A site's fields other than its secrets, as a body gives them (or a PATCH merges them).
struct SiteFields {
    name: String,
    connector: ConnectorKind,
    base_url: Option<String>,
    username: Option<String>,
    post_types: Option<Vec<String>>,
    shop: Option<String>,
    api_version: Option<String>,
    definition: Option<String>,
    schedule: Option<String>,
    push_policy: Option<PushPolicy>,
    lookback_seconds: Option<u64>,
    reconcile_every_hours: Option<u64>,
    link_enabled: Option<bool>,
}

/// The keys only one connector takes, and which.
const CONNECTOR_KEYS: [(&str, ConnectorKind); 8] = [
    ("username", ConnectorKind::Wordpress),
    ("app_password", ConnectorKind::Wordpress),
    ("post_types", ConnectorKind::Wordpress),
    ("shop", ConnectorKind::Shopify),
    ("api_version", ConnectorKind::Shopify),
    ("access_token", ConnectorKind::Shopify),
    ("definition", ConnectorKind::Rest),
    ("api_key", ConnectorKind::Rest),
];

/// Refuses the first key of `given` (those present in the body) that `connector` does not
/// take: another connector's key is a mistake worth naming, not something to ignore.
fn foreign_keys(connector: ConnectorKind, given: &[&str]) -> Result<(), ApiError> {
    for (key, owner) in CONNECTOR_KEYS {
        if owner != connector && given.contains(&key) {
            return Err(ApiError::invalid(
                key,
                format!("a key of the {owner} connector; this site uses the {connector} connector"),
            ));
        }
    }
    if connector == ConnectorKind::Shopify && given.contains(&"base_url") {
        return Err(ApiError::invalid(
            "base_url",
            "the shopify connector does not take base_url; the Admin API is at the shop's \
             domain (shop)",
        ));
    }
    Ok(())
}

fn present<const N: usize>(keys: [(&'static str, bool); N]) -> Vec<&'static str> {
    keys.into_iter()
        .filter_map(|(key, given)| given.then_some(key))
        .collect()
}

/// The connector a body names; folder sites are refused (see the module's documentation).
fn connector(text: &str) -> Result<ConnectorKind, ApiError> {
    match text {
        "wordpress" => Ok(ConnectorKind::Wordpress),
        "shopify" => Ok(ConnectorKind::Shopify),
        "rest" => Ok(ConnectorKind::Rest),
        "files" => Err(ApiError::invalid(
            "connector",
            "folder sites (\"files\") are declared in the configuration file only: the API \
             cannot point the daemon at folders on its server",
        )),
        other => Err(ApiError::invalid(
            "connector",
            format!("expected \"wordpress\", \"shopify\" or \"rest\", found {other:?}"),
        )),
    }
}

impl CreateSite {
    /// The keys present in the body that belong to one connector or are refused by one.
    fn given(&self) -> Vec<&'static str> {
        present([
            ("base_url", self.base_url.is_some()),
            ("username", self.username.is_some()),
            ("app_password", self.app_password.is_some()),
            ("post_types", self.post_types.is_some()),
            ("shop", self.shop.is_some()),
            ("api_version", self.api_version.is_some()),
            ("access_token", self.access_token.is_some()),
            ("definition", self.definition.is_some()),
            ("api_key", self.api_key.is_some()),
        ])
    }

    /// The fields, the credential (of whichever connector) and the webhook secret, once no key
    /// of another connector is present.
    fn split(self) -> Result<(SiteFields, Option<AppPassword>, Option<String>), ApiError> {
        let kind = connector(&self.connector)?;
        foreign_keys(kind, &self.given())?;
        let credential = match kind {
            ConnectorKind::Wordpress => self.app_password.as_deref().map(app_password),
            ConnectorKind::Shopify => self
                .access_token
                .as_deref()
                .map(|token| api_credential("access_token", token)),
            ConnectorKind::Rest | ConnectorKind::Files => self
                .api_key
                .as_deref()
                .map(|key| api_credential("api_key", key)),
        }
        .transpose()?;
        Ok((
            SiteFields {
                name: self.name,
                connector: kind,
                base_url: self.base_url,
                username: self.username,
                post_types: self.post_types,
                shop: self.shop,
                api_version: self.api_version,
                definition: self.definition,
                schedule: self.schedule,
                push_policy: self.push_policy,
                lookback_seconds: self.lookback_seconds,
                reconcile_every_hours: self.reconcile_every_hours,
                link_enabled: self.link_enabled,
            },
            credential,
            self.webhook_secret,
        ))
    }
}

/// The base URL a WordPress or REST site needs.
fn required_base_url(fields: &SiteFields) -> Result<SiteUrl, ApiError> {
    let text = fields.base_url.as_deref().ok_or_else(|| {
        ApiError::invalid(
            "base_url",
            format!("required for the {} connector", fields.connector),
        )
    })?;
    SiteUrl::parse(text).map_err(|err| ApiError::invalid("base_url", err))
}

/// What a WordPress site needs besides what every site has.
fn wordpress_options(
    fields: &SiteFields,
    has_credential: bool,
) -> Result<(ConnectorOptions, SiteUrl), ApiError> {
    let base_url = required_base_url(fields)?;
    let username = fields
        .username
        .as_deref()
        .map(SiteUsername::parse)
        .transpose()
        .map_err(|err| ApiError::invalid("username", err))?;
    match (&username, has_credential) {
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
    let post_types = match &fields.post_types {
        None => PostType::defaults(),
        Some(names) => post_types(names)?,
    };
    Ok((
        ConnectorOptions::Wordpress {
            username,
            post_types,
        },
        base_url,
    ))
}

/// What a Shopify site needs: its shop, the API version, and a token to sign in with.
fn shopify_options(
    fields: &SiteFields,
    has_credential: bool,
) -> Result<(ConnectorOptions, SiteUrl), ApiError> {
    let shop = ShopDomain::parse(fields.shop.as_deref().unwrap_or_default())
        .map_err(|err| ApiError::invalid("shop", err))?;
    let api_version = match fields.api_version.as_deref() {
        None => ShopifyApiVersion::DEFAULT,
        Some(text) => {
            ShopifyApiVersion::parse(text).map_err(|err| ApiError::invalid("api_version", err))?
        }
    };
    if !has_credential {
        return Err(ApiError::invalid(
            "access_token",
            "a shopify site needs the Admin API access token of the shop's app",
        ));
    }
    let base_url = shop.base_url();
    Ok((ConnectorOptions::Shopify { shop, api_version }, base_url))
}

/// What a REST site needs: the definition it is read through and where it answers.
fn rest_options(
    fields: &SiteFields,
    has_credential: bool,
) -> Result<(ConnectorOptions, SiteUrl), ApiError> {
    let definition = DefinitionName::parse(fields.definition.as_deref().unwrap_or_default())
        .map_err(|err| ApiError::invalid("definition", err))?;
    let base_url = required_base_url(fields)?;
    if has_credential {
        base_url.allows_password().map_err(|_| {
            ApiError::invalid(
                "base_url",
                "an api_key would be sent in the clear over http; use https or a local \
                     address",
            )
        })?;
    }
    Ok((ConnectorOptions::Rest { definition }, base_url))
}

/// The checked site `fields` describe, for a site that will (or will not) have a credential.
fn definition(fields: SiteFields, has_credential: bool) -> Result<SiteDefinition, ApiError> {
    let name = SiteName::parse(&fields.name).map_err(|err| ApiError::invalid("name", err))?;
    let (options, base_url) = match fields.connector {
        ConnectorKind::Wordpress => {
            let (options, base_url) = wordpress_options(&fields, has_credential)?;
            if has_credential {
                base_url
                    .allows_password()
                    .map_err(|err| ApiError::invalid("base_url", err))?;
            }
            (options, base_url)
        }
        ConnectorKind::Shopify => shopify_options(&fields, has_credential)?,
        ConnectorKind::Rest => rest_options(&fields, has_credential)?,
        ConnectorKind::Files => {
            return Err(connector("files").expect_err("folder sites are refused"));
        }
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
        options,
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

/// A REST site's definition must be installed and sound when it is named: a site that could
/// never sync is refused now rather than failing every job.
fn installed_definition(state: &AppState, site: &SiteDefinition) -> Result<(), ApiError> {
    let ConnectorOptions::Rest { definition } = &site.options else {
        return Ok(());
    };
    match state.sync.definitions.get(definition) {
        Ok(_) => Ok(()),
        Err(DefinitionError::Unreadable { .. }) => Err(ApiError::invalid(
            "definition",
            format!("no connector definition named {definition:?} is installed"),
        )),
        Err(err) => Err(ApiError::invalid("definition", err.to_string())),
    }
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

/// A Shopify access token or a REST API key: tokens run long (Strapi's are 256 hex digits), so
/// the bound is wider than a password's.
fn api_credential(field: &str, text: &str) -> Result<AppPassword, ApiError> {
    if text.trim().is_empty() || text.chars().count() > 4096 || text.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            "expected 1 to 4096 characters without control characters",
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
    let (fields, password, secret) = body.split()?;
    let secret = secret.as_deref().map(webhook_secret).transpose()?;
    let site = definition(fields, password.is_some())?;
    installed_definition(&state, &site)?;
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

/// Only the fields given change; `null` clears `username` with `app_password`, `api_key`,
/// `schedule`, or `webhook_secret`. The connector cannot change, and a key of another
/// connector is refused as on creation.
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
    shop: Option<String>,
    api_version: Option<String>,
    /// Write-only; replaces the stored Shopify access token (which cannot be removed).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, write_only)]
    access_token: Option<Option<String>>,
    definition: Option<String>,
    /// Write-only; replaces the stored REST API key, or removes it with `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, write_only)]
    api_key: Option<Option<String>>,
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
    foreign_keys(current.connector, &body.given())?;
    let definition_named = body.definition.is_some();
    let password = match current.connector {
        ConnectorKind::Wordpress => credential_change(body.app_password, app_password)?,
        ConnectorKind::Shopify => credential_change(body.access_token, |token| {
            api_credential("access_token", token)
        })?,
        ConnectorKind::Rest | ConnectorKind::Files => {
            credential_change(body.api_key, |key| api_credential("api_key", key))?
        }
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
    let settings = shown_settings(&current);
    let is_wordpress = current.connector == ConnectorKind::Wordpress;
    let merged = SiteFields {
        name: body.name.unwrap_or_else(|| current.name.to_string()),
        connector: current.connector,
        // A Shopify site's stored base URL is its shop's; it is derived again from `shop`.
        base_url: match current.connector {
            ConnectorKind::Shopify => None,
            _ => body.base_url.or_else(|| current.base_url.clone()),
        },
        username: body.username.unwrap_or(settings.username),
        post_types: is_wordpress.then(|| body.post_types.unwrap_or(settings.post_types)),
        shop: body.shop.or(settings.shop),
        api_version: body.api_version.or(settings.api_version),
        definition: body.definition.or(settings.definition),
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
    if definition_named {
        installed_definition(&state, &site)?;
    }
    let updated = state
        .sites
        .update(&current, &site, password, secret)
        .await?;
    Ok(ResponseJson(updated.into()))
}

impl UpdateSite {
    /// The keys present in the body that belong to one connector or are refused by one.
    fn given(&self) -> Vec<&'static str> {
        present([
            ("base_url", self.base_url.is_some()),
            ("username", self.username.is_some()),
            ("app_password", self.app_password.is_some()),
            ("post_types", self.post_types.is_some()),
            ("shop", self.shop.is_some()),
            ("api_version", self.api_version.is_some()),
            ("access_token", self.access_token.is_some()),
            ("definition", self.definition.is_some()),
            ("api_key", self.api_key.is_some()),
        ])
    }
}

/// What a PATCH does to the site's credential: absent keeps it, `null` removes it.
fn credential_change(
    given: Option<Option<String>>,
    check: impl Fn(&str) -> Result<AppPassword, ApiError>,
) -> Result<PasswordChange, ApiError> {
    Ok(match given {
        None => PasswordChange::Keep,
        Some(None) => PasswordChange::Remove,
        Some(Some(text)) => PasswordChange::Set(check(&text)?),
    })
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
