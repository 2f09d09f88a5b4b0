//! Typed configuration, loaded in one place from layered sources.
//!
//! Precedence, lowest first: compiled defaults, the main file (`/etc/igny8/igny8.toml` or
//! `--config FILE`), `conf.d/*.toml` beside it in lexical order, `IGNY8__SECTION__KEY` environment
//! variables, then command-line flags. Every problem found is reported with the source it came
//! from (file, environment variable or flag), the key and what was expected; loading collects all
//! of them instead of stopping at the first.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment, File, FileFormat, Format};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgConnectOptions;

use crate::connector::wordpress::api::AppPassword;
use crate::domain::credits::{CostTable, Operation};
use crate::domain::ids::AccountId;
use crate::domain::module::Module;
use crate::domain::schedule::CronSchedule;
use crate::domain::site::{
    ConnectorKind, ConnectorOptions, DEFAULT_LOOKBACK_SECONDS, DEFAULT_RECONCILE_EVERY_HOURS,
    DefinitionName, LOOKBACK_SECONDS, PostType, PushPolicy, RECONCILE_EVERY_HOURS, ShopDomain,
    ShopifyApiVersion, SiteDefinition, SiteName, SiteUrl, SiteUsername, check_webhook_secret,
};

/// Where the configuration is read from: everything except the compiled defaults.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The main file. `explicit` files must exist; the default path may be absent.
    pub main_file: PathBuf,
    pub main_file_explicit: bool,
    /// Environment variables, passed in rather than read here so tests stay hermetic.
    pub env: BTreeMap<String, String>,
    /// Command-line overrides as (key, value), applied last.
    pub overrides: Vec<(&'static str, String)>,
}

pub const DEFAULT_MAIN_FILE: &str = "/etc/igny8/igny8.toml";
const ENV_PREFIX: &str = "IGNY8";

impl Sources {
    /// The drop-in directory belongs to the main file: `/etc/igny8/conf.d` for the default path,
    /// `<dir>/conf.d` for `--config <dir>/igny8.toml`.
    pub fn conf_dir(&self) -> PathBuf {
        self.main_file
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("conf.d")
    }

    /// The files this configuration is read from, in precedence order, for reloads to watch.
    pub fn watched_paths(&self) -> Vec<PathBuf> {
        vec![self.main_file.clone(), self.conf_dir()]
    }
}

/// The daemon's settings, checked: every value here is usable as it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database: DatabaseSettings,
    pub http: HttpSettings,
    pub log: LogSettings,
    pub jobs: JobSettings,
    pub scheduler: SchedulerSettings,
    pub shutdown: ShutdownSettings,
    pub credits: CreditSettings,
    pub modules: ModuleSettings,
    pub rate_limits: BTreeMap<RateLimitGroup, RateLimit>,
    pub connectors: ConnectorSettings,
    pub linker: LinkerSettings,
    pub site_builder: SiteBuilderSettings,
    pub automation: AutomationSettings,
    pub ai: AiSettings,
    /// Plans declared here are created or updated by name at start-up.
    pub plans: BTreeMap<String, PlanSettings>,
    /// Sites declared here are created or updated by name at start-up and on reload; those
    /// no longer declared are soft-deleted.
    pub sites: Vec<SiteSettings>,
}

/// A site declared with `[[sites]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSettings {
    pub account: AccountId,
    pub site: SiteDefinition,
    /// What the connector signs in with: a WordPress application password (present exactly
    /// when the username is), a Shopify access token, or a REST definition's API key.
    pub password: Option<SitePassword>,
    /// `webhook_secret` or `webhook_secret_file`: what signs the site's webhooks, if any.
    pub webhook_secret: Option<SitePassword>,
    /// Where the site was declared (`<file>: sites[N]`), for messages about it.
    pub declared_at: String,
}

/// Where a configured site's application password (or webhook secret) comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum SitePassword {
    /// `app_password`: in the configuration itself.
    Inline(AppPassword),
    /// `app_password_file`: read when a sync needs it, so a rotated file needs no reload.
    File(PathBuf),
}

/// A site as `print-config` shows it: the keys of the file, secrets redacted.
impl Serialize for SiteSettings {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shown<'a> {
            name: &'a SiteName,
            account: AccountId,
            connector: ConnectorKind,
            #[serde(skip_serializing_if = "Option::is_none")]
            base_url: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            username: Option<&'a SiteUsername>,
            #[serde(skip_serializing_if = "Option::is_none")]
            post_types: Option<&'a [PostType]>,
            #[serde(skip_serializing_if = "Option::is_none")]
            shop: Option<&'a ShopDomain>,
            #[serde(skip_serializing_if = "Option::is_none")]
            api_version: Option<ShopifyApiVersion>,
            #[serde(skip_serializing_if = "Option::is_none")]
            definition: Option<&'a DefinitionName>,
            #[serde(skip_serializing_if = "Option::is_none")]
            path: Option<&'a Path>,
            #[serde(skip_serializing_if = "Option::is_none")]
            output_path: Option<&'a Path>,
            #[serde(flatten)]
            credential: BTreeMap<String, String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            webhook_secret: Option<&'static str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            webhook_secret_file: Option<&'a Path>,
            #[serde(skip_serializing_if = "Option::is_none")]
            schedule: Option<&'a CronSchedule>,
            push: PushPolicy,
            lookback_seconds: u64,
            reconcile_every_hours: u64,
            link: bool,
        }
        let site = &self.site;
        let credential_key = match site.connector() {
            ConnectorKind::Wordpress => "app_password",
            ConnectorKind::Shopify => "access_token",
            ConnectorKind::Rest | ConnectorKind::Files => "api_key",
        };
        let credential = match &self.password {
            Some(SitePassword::Inline(_)) => {
                BTreeMap::from([(credential_key.to_owned(), REDACTED.to_owned())])
            }
            Some(SitePassword::File(path)) => {
                BTreeMap::from([(format!("{credential_key}_file"), path.display().to_string())])
            }
            None => BTreeMap::new(),
        };
        let mut shown = Shown {
            name: &site.name,
            account: self.account,
            connector: site.connector(),
            base_url: site.base_url.as_ref().map(SiteUrl::as_str),
            username: None,
            post_types: None,
            shop: None,
            api_version: None,
            definition: None,
            path: None,
            output_path: None,
            credential,
            webhook_secret: matches!(self.webhook_secret, Some(SitePassword::Inline(_)))
                .then_some(REDACTED),
            webhook_secret_file: match &self.webhook_secret {
                Some(SitePassword::File(path)) => Some(path),
                _ => None,
            },
            schedule: site.schedule.as_ref(),
            push: site.push_policy,
            lookback_seconds: site.lookback_seconds,
            reconcile_every_hours: site.reconcile_every_hours,
            link: site.link_enabled,
        };
        match &site.options {
            ConnectorOptions::Wordpress {
                username,
                post_types,
            } => {
                shown.username = username.as_ref();
                shown.post_types = Some(post_types);
            }
            ConnectorOptions::Shopify { shop, api_version } => {
                shown.shop = Some(shop);
                shown.api_version = Some(*api_version);
            }
            ConnectorOptions::Rest { definition } => shown.definition = Some(definition),
            ConnectorOptions::Files { path, output_path } => {
                shown.path = Some(path);
                shown.output_path = output_path.as_deref();
            }
        }
        shown.serialize(serializer)
    }
}

/// How the daemon treats the CMSs it talks to: every site's credential gets its own limits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorSettings {
    /// A single request still unanswered after this long fails (and is retried).
    pub timeout_seconds: u64,
    /// Requests in flight at once per (site, credential).
    pub concurrency: u32,
    /// Requests started per second per (site, credential).
    pub requests_per_second: u32,
    /// Retries of one request after a transient failure or a rate limit, before giving up.
    pub max_retries: u32,
    /// The longest wait between retries, whatever Retry-After asks.
    pub max_backoff_seconds: u64,
    /// Where the definitions of `rest` sites are (`{definitions_dir}/{definition}.toml`).
    pub definitions_dir: PathBuf,
}

impl ConnectorSettings {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds)
    }

    pub fn max_backoff(&self) -> Duration {
        Duration::from_secs(self.max_backoff_seconds)
    }
}

/// How many links the linker may add to one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkerSettings {
    /// Links per item, however long it is.
    pub max_links_per_post: usize,
    /// One link per this many words, rounded up, below the cap.
    pub words_per_link: usize,
    /// Links per paragraph.
    pub links_per_paragraph: usize,
}

impl Default for LinkerSettings {
    fn default() -> Self {
        LinkerSettings {
            max_links_per_post: 10,
            words_per_link: 150,
            links_per_paragraph: 1,
        }
    }
}

/// Limits on the files the site builder keeps per site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteBuilderSettings {
    /// One uploaded file at most.
    pub max_upload_bytes: u64,
    /// The assets of a site's working version at most.
    pub quota_bytes_per_site: u64,
}

impl Default for SiteBuilderSettings {
    fn default() -> Self {
        SiteBuilderSettings {
            max_upload_bytes: 10 * 1024 * 1024,
            quota_bytes_per_site: 500 * 1024 * 1024,
        }
    }
}

/// Which language-model provider the planner, writer and optimizer use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AiProviderKind {
    /// Deterministic local algorithms; operations that need a model are refused.
    Offline,
    /// An OpenAI-compatible chat-completions server.
    Openai,
}

/// An API key read from `ai.api_key_file`; never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(REDACTED)")
    }
}

/// The language-model provider and how to reach it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AiSettings {
    pub provider: AiProviderKind,
    /// The API root, ending before `/chat/completions`, without a trailing slash.
    pub base_url: String,
    pub model: String,
    /// The model of the images endpoint; without it images are not generated.
    pub image_model: Option<String>,
    pub api_key_file: Option<PathBuf>,
    #[serde(skip)]
    pub api_key: Option<ApiKey>,
    pub timeout_seconds: u64,
    /// Retries of a request answered 429 or 5xx, and of an answer that fails validation.
    pub max_retries: u32,
    /// Where prompt templates that replace the compiled-in ones live (`NAME.txt`).
    pub prompts_dir: Option<PathBuf>,
}

impl AiSettings {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds)
    }
}

impl Default for AiSettings {
    fn default() -> Self {
        AiSettings {
            provider: AiProviderKind::Offline,
            base_url: "https://api.openai.com/v1".to_owned(),
            model: "gpt-4o-mini".to_owned(),
            image_model: None,
            api_key_file: None,
            api_key: None,
            timeout_seconds: 120,
            max_retries: 3,
            prompts_dir: None,
        }
    }
}

/// Limits of the rule engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutomationSettings {
    /// How many rule executions may lead, one causing the next, to an event that is still
    /// evaluated; an event with a longer causation chain is skipped with the reason.
    pub max_depth: usize,
    /// How many times the event worker tries an event whose evaluation fails before it sets
    /// the event aside with its last error, so it stops holding up the others.
    pub max_event_attempts: u32,
}

impl Default for AutomationSettings {
    fn default() -> Self {
        AutomationSettings {
            max_depth: 3,
            max_event_attempts: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditSettings {
    /// An operation's hold is released by the sweeper when it was neither captured nor released
    /// within this time (the operation crashed).
    pub hold_ttl_seconds: u64,
    /// When every active account receives its plan's monthly credits (UTC).
    pub replenish: CronSchedule,
    pub costs: CostTable,
}

impl CreditSettings {
    pub fn hold_ttl(&self) -> Duration {
        Duration::from_secs(self.hold_ttl_seconds)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModuleSettings {
    /// Whether a module is on for an account that has not switched it itself.
    pub defaults: BTreeMap<Module, bool>,
}

/// A family of API routes that share a request quota per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitGroup {
    /// Every authenticated route without a group of its own.
    Default,
    Linker,
    Optimizer,
    /// Requests without a valid token, per peer address.
    Unauthenticated,
}

impl RateLimitGroup {
    pub const ALL: [RateLimitGroup; 4] = [
        RateLimitGroup::Default,
        RateLimitGroup::Linker,
        RateLimitGroup::Optimizer,
        RateLimitGroup::Unauthenticated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RateLimitGroup::Default => "default",
            RateLimitGroup::Linker => "linker",
            RateLimitGroup::Optimizer => "optimizer",
            RateLimitGroup::Unauthenticated => "unauthenticated",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    /// Sustained requests per minute.
    pub per_minute: u32,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanSettings {
    pub monthly_credits: i64,
    pub support_level: String,
    pub billing_cycle: String,
    /// In minor currency units.
    pub price: i64,
    pub currency: String,
    pub features: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub max_connections: u32,
    pub migrate_on_start: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpSettings {
    pub listen: SocketAddr,
    /// Request bodies above this size are refused with 413.
    pub body_limit_bytes: usize,
    /// A request still running after this long is answered 503.
    pub request_timeout_seconds: u64,
    /// How long an authenticated token is remembered (0 turns the cache off).
    pub token_cache_seconds: u64,
}

impl HttpSettings {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_seconds)
    }

    pub fn token_cache(&self) -> Duration {
        Duration::from_secs(self.token_cache_seconds)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogSettings {
    /// A `tracing` filter directive such as `info` or `igny8=debug,sqlx=warn`.
    pub level: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable on a terminal, JSON otherwise (journald, files, pipes).
    Auto,
    Human,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobSettings {
    pub workers: u32,
    pub max_attempts: u32,
    pub lease_seconds: u64,
    pub poll_interval_ms: u64,
    pub retain_finished_hours: u64,
}

impl JobSettings {
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_seconds)
    }

    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    pub fn retain_finished(&self) -> Duration {
        Duration::from_secs(self.retain_finished_hours * 3600)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchedulerSettings {
    /// When finished jobs and old cron fires are pruned.
    pub housekeeping: CronSchedule,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShutdownSettings {
    pub drain_seconds: u64,
}

impl ShutdownSettings {
    pub fn drain(&self) -> Duration {
        Duration::from_secs(self.drain_seconds)
    }
}

/// A PostgreSQL URL, which may carry a password: never shown in logs, `Debug` or `print-config`.
#[derive(Clone)]
pub struct DatabaseUrl {
    url: String,
    options: PgConnectOptions,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err("expected a URL starting with postgres:// or postgresql://".to_owned());
        }
        let options = url
            .parse::<PgConnectOptions>()
            .map_err(|err| format!("not a valid PostgreSQL URL: {err}"))?;
        Ok(DatabaseUrl {
            url: url.to_owned(),
            options,
        })
    }

    pub fn connect_options(&self) -> PgConnectOptions {
        self.options.clone()
    }

    /// The URL itself, secret included, for the driver calls that take a URL string.
    pub fn expose(&self) -> &str {
        &self.url
    }

    pub fn database_name(&self) -> String {
        self.options
            .get_database()
            .map(str::to_owned)
            .unwrap_or_else(|| self.options.get_username().to_owned())
    }

    /// The URL with any password replaced (in the user part or a `password` parameter), for
    /// display.
    pub fn redacted(&self) -> String {
        let Ok(mut url) = url::Url::parse(&self.url) else {
            return "<redacted: unparsable URL>".to_owned();
        };
        if url.password().is_some() {
            url.set_password(Some(REDACTED))
                .expect("a URL with a password has a host");
        }
        if url.query_pairs().any(|(key, _)| key == "password") {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(key, value)| {
                    let value = if key == "password" {
                        REDACTED.to_owned()
                    } else {
                        value.into_owned()
                    };
                    (key.into_owned(), value)
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        url.to_string()
    }
}

/// What a secret is shown as.
const REDACTED: &str = "REDACTED";

impl PartialEq for DatabaseUrl {
    fn eq(&self, other: &Self) -> bool {
        self.url == other.url
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.redacted())
    }
}

/// One problem with the configuration: where it came from, which key, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub source: String,
    pub key: Option<String>,
    pub problem: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{}: key `{}`: {}", self.source, key, self.problem),
            None => write!(f, "{}: {}", self.source, self.problem),
        }
    }
}

/// Every problem found while loading, in the order found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "invalid configuration ({n} problem{})",
            if n == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            writeln!(f, "  {problem}")?;
        }
        Ok(())
    }
}

/// The file-level shape: what a TOML file or an environment variable may set. Every field has
/// its compiled default, so a file sets only what it changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawSettings {
    data_dir: PathBuf,
    database: RawDatabase,
    http: RawHttp,
    log: RawLog,
    jobs: RawJobs,
    scheduler: RawScheduler,
    shutdown: RawShutdown,
    credits: RawCredits,
    modules: RawModules,
    rate_limits: BTreeMap<String, RawRateLimit>,
    connectors: RawConnectors,
    linker: RawLinker,
    site_builder: RawSiteBuilder,
    automation: RawAutomation,
    ai: RawAi,
    plans: BTreeMap<String, RawPlan>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawSiteBuilder {
    max_upload_bytes: u64,
    quota_bytes_per_site: u64,
}

impl Default for RawSiteBuilder {
    fn default() -> Self {
        let defaults = SiteBuilderSettings::default();
        RawSiteBuilder {
            max_upload_bytes: defaults.max_upload_bytes,
            quota_bytes_per_site: defaults.quota_bytes_per_site,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawAutomation {
    max_depth: u64,
    max_event_attempts: u64,
}

impl Default for RawAutomation {
    fn default() -> Self {
        let defaults = AutomationSettings::default();
        RawAutomation {
            max_depth: defaults.max_depth as u64,
            max_event_attempts: u64::from(defaults.max_event_attempts),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawAi {
    provider: String,
    base_url: String,
    model: String,
    image_model: Option<String>,
    api_key_file: Option<PathBuf>,
    timeout_seconds: u64,
    max_retries: u32,
    prompts_dir: Option<PathBuf>,
}

impl Default for RawAi {
    fn default() -> Self {
        let defaults = AiSettings::default();
        RawAi {
            provider: "offline".to_owned(),
            base_url: defaults.base_url,
            model: defaults.model,
            image_model: None,
            api_key_file: None,
            timeout_seconds: defaults.timeout_seconds,
            max_retries: defaults.max_retries,
            prompts_dir: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawLinker {
    max_links_per_post: u64,
    words_per_link: u64,
    links_per_paragraph: u64,
}

impl Default for RawLinker {
    fn default() -> Self {
        let defaults = LinkerSettings::default();
        RawLinker {
            max_links_per_post: defaults.max_links_per_post as u64,
            words_per_link: defaults.words_per_link as u64,
            links_per_paragraph: defaults.links_per_paragraph as u64,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawConnectors {
    timeout_seconds: u64,
    concurrency: u32,
    requests_per_second: u32,
    max_retries: u32,
    max_backoff_seconds: u64,
    definitions_dir: PathBuf,
}

impl Default for ConnectorSettings {
    fn default() -> Self {
        ConnectorSettings {
            timeout_seconds: 30,
            concurrency: 2,
            requests_per_second: 4,
            max_retries: 5,
            max_backoff_seconds: 60,
            definitions_dir: PathBuf::from("/usr/share/igny8/connectors"),
        }
    }
}

impl Default for RawConnectors {
    fn default() -> Self {
        let defaults = ConnectorSettings::default();
        RawConnectors {
            timeout_seconds: defaults.timeout_seconds,
            concurrency: defaults.concurrency,
            requests_per_second: defaults.requests_per_second,
            max_retries: defaults.max_retries,
            max_backoff_seconds: defaults.max_backoff_seconds,
            definitions_dir: defaults.definitions_dir,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawCredits {
    hold_ttl_seconds: u64,
    replenish: String,
    costs: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawModules {
    defaults: BTreeMap<String, bool>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(default)]
struct RawRateLimit {
    per_minute: u32,
    burst: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawPlan {
    monthly_credits: i64,
    support_level: String,
    billing_cycle: String,
    price: i64,
    currency: String,
    features: serde_json::Value,
}

/// One `[[sites]]` table. Sites are read from each file on their own, not through the layered
/// `config` crate, which would let a later file's list replace an earlier one's: every file's
/// sites add up, so a drop-in may declare one site.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawSite {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    base_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_password_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_secret_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shop: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    definition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule: Option<String>,
    push: String,
    lookback_seconds: u64,
    reconcile_every_hours: u64,
    link: bool,
}

impl Default for RawSite {
    fn default() -> Self {
        RawSite {
            name: None,
            account: None,
            connector: None,
            base_url: None,
            username: None,
            app_password: None,
            app_password_file: None,
            webhook_secret: None,
            webhook_secret_file: None,
            post_types: None,
            shop: None,
            api_version: None,
            access_token: None,
            access_token_file: None,
            definition: None,
            api_key: None,
            api_key_file: None,
            path: None,
            output_path: None,
            schedule: None,
            push: PushPolicy::default().as_str().to_owned(),
            lookback_seconds: DEFAULT_LOOKBACK_SECONDS,
            reconcile_every_hours: DEFAULT_RECONCILE_EVERY_HOURS,
            link: false,
        }
    }
}

/// A `[[sites]]` table as found: the file it is in and its position there.
struct SiteEntry {
    source: String,
    index: usize,
    table: toml::Value,
}

impl Default for RawCredits {
    fn default() -> Self {
        RawCredits {
            hold_ttl_seconds: 3600,
            replenish: "0 0 1 * *".to_owned(),
            costs: Operation::ALL
                .iter()
                .map(|op| (op.as_str().to_owned(), op.default_cost()))
                .collect(),
        }
    }
}

impl Default for RawModules {
    fn default() -> Self {
        RawModules {
            defaults: Module::ALL
                .iter()
                .map(|m| (m.as_str().to_owned(), true))
                .collect(),
        }
    }
}

/// Quotas of a group the configuration does not mention.
impl Default for RawRateLimit {
    fn default() -> Self {
        RawRateLimit {
            per_minute: 120,
            burst: 30,
        }
    }
}

fn default_rate_limits() -> BTreeMap<String, RawRateLimit> {
    RateLimitGroup::ALL
        .iter()
        .map(|group| {
            let (per_minute, burst) = match group {
                RateLimitGroup::Default => (600, 60),
                RateLimitGroup::Linker => (30, 5),
                RateLimitGroup::Optimizer => (10, 3),
                RateLimitGroup::Unauthenticated => (60, 20),
            };
            (
                group.as_str().to_owned(),
                RawRateLimit { per_minute, burst },
            )
        })
        .collect()
}

impl Default for RawPlan {
    fn default() -> Self {
        RawPlan {
            monthly_credits: 0,
            support_level: "standard".to_owned(),
            billing_cycle: "monthly".to_owned(),
            price: 0,
            currency: "USD".to_owned(),
            features: serde_json::json!({}),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawDatabase {
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url_file: Option<PathBuf>,
    max_connections: u32,
    migrate_on_start: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawHttp {
    listen: String,
    body_limit_bytes: u64,
    request_timeout_seconds: u64,
    token_cache_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawLog {
    level: String,
    format: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawJobs {
    workers: u32,
    max_attempts: u32,
    lease_seconds: u64,
    poll_interval_ms: u64,
    retain_finished_hours: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawScheduler {
    housekeeping: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawShutdown {
    drain_seconds: u64,
}

impl Default for RawSettings {
    fn default() -> Self {
        RawSettings {
            data_dir: PathBuf::from("/var/lib/igny8"),
            database: RawDatabase::default(),
            http: RawHttp::default(),
            log: RawLog::default(),
            jobs: RawJobs::default(),
            scheduler: RawScheduler::default(),
            shutdown: RawShutdown::default(),
            credits: RawCredits::default(),
            modules: RawModules::default(),
            rate_limits: default_rate_limits(),
            connectors: RawConnectors::default(),
            linker: RawLinker::default(),
            site_builder: RawSiteBuilder::default(),
            automation: RawAutomation::default(),
            ai: RawAi::default(),
            plans: BTreeMap::new(),
        }
    }
}

impl Default for RawDatabase {
    fn default() -> Self {
        RawDatabase {
            url: None,
            url_file: None,
            max_connections: 10,
            migrate_on_start: true,
        }
    }
}

impl Default for RawHttp {
    fn default() -> Self {
        RawHttp {
            listen: "127.0.0.1:8080".to_owned(),
            body_limit_bytes: 1024 * 1024,
            request_timeout_seconds: 30,
            token_cache_seconds: 5,
        }
    }
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog {
            level: "info".to_owned(),
            format: "auto".to_owned(),
        }
    }
}

impl Default for RawJobs {
    fn default() -> Self {
        RawJobs {
            workers: 4,
            max_attempts: 10,
            lease_seconds: 60,
            poll_interval_ms: 1000,
            retain_finished_hours: 168,
        }
    }
}

impl Default for RawScheduler {
    fn default() -> Self {
        RawScheduler {
            housekeeping: "17 * * * *".to_owned(),
        }
    }
}

impl Default for RawShutdown {
    fn default() -> Self {
        RawShutdown { drain_seconds: 30 }
    }
}

/// Used when no source names a database: the local PostgreSQL a fresh install expects.
const DEFAULT_DATABASE_URL: &str = "postgres://igny8@localhost/igny8";

impl Settings {
    /// Reads and checks every source. Either every value is usable, or every problem found is
    /// returned.
    pub fn load(sources: &Sources) -> Result<Settings, ConfigError> {
        let mut problems = Vec::new();
        let Some((config, provenance, sites)) = build_config(sources, &mut problems) else {
            return Err(ConfigError { problems });
        };
        let origin_of = |key: &str| provenance.origin_of(key);

        let mut unknown = Vec::new();
        let raw: Result<RawSettings, _> =
            serde_ignored::deserialize(config.clone(), |path| unknown.push(path.to_string()));
        for key in unknown {
            problems.push(ConfigProblem {
                source: origin_of(&key),
                key: Some(key),
                problem: "unknown key".to_owned(),
            });
        }
        let raw = match raw {
            Ok(raw) => raw,
            Err(err) => {
                problems.push(type_problem(err, &origin_of));
                return Err(ConfigError { problems });
            }
        };

        let mut check = Checker {
            problems: &mut problems,
            provenance: &provenance,
        };
        let settings = check.settings(raw);
        let sites = check.sites(sites);
        let settings = settings
            .zip(sites)
            .map(|(settings, sites)| Settings { sites, ..settings });
        if problems.is_empty() {
            Ok(settings.expect("no problems means every value was checked"))
        } else {
            Err(ConfigError { problems })
        }
    }

    /// The effective configuration as TOML, secrets redacted.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).expect("settings always serialize to TOML")
    }
}

/// Which source set which keys, in precedence order, so every problem names its source.
#[derive(Default)]
struct Provenance {
    layers: Vec<(String, Vec<String>)>,
}

impl Provenance {
    /// The last source that set `key`, or one of its parents or children.
    fn origin_of(&self, key: &str) -> String {
        self.rank(key).map_or_else(
            || "compiled defaults".to_owned(),
            |rank| self.layers[rank].0.clone(),
        )
    }

    /// The precedence of the source that set `key` last; `None` for the compiled defaults.
    fn rank(&self, key: &str) -> Option<usize> {
        let related = |set: &String| {
            set == key || set.starts_with(&format!("{key}.")) || key.starts_with(&format!("{set}."))
        };
        self.layers
            .iter()
            .rposition(|(_, keys)| keys.iter().any(related))
    }
}

fn leaf_keys(prefix: &str, table: &config::Map<String, config::Value>, keys: &mut Vec<String>) {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match &value.kind {
            config::ValueKind::Table(inner) => leaf_keys(&key, inner, keys),
            _ => keys.push(key),
        }
    }
}

fn build_config(
    sources: &Sources,
    problems: &mut Vec<ConfigProblem>,
) -> Option<(Config, Provenance, Vec<SiteEntry>)> {
    let defaults = Config::try_from(&RawSettings::default()).expect("defaults serialize");
    let mut builder = Config::builder().add_source(defaults);
    let mut provenance = Provenance::default();

    let main = &sources.main_file;
    let mut files = Vec::new();
    if main.exists() || sources.main_file_explicit {
        if !main.is_file() {
            problems.push(ConfigProblem {
                source: main.display().to_string(),
                key: None,
                problem: "the configuration file does not exist or is not a file".to_owned(),
            });
            return None;
        }
        files.push(main.clone());
    }
    let conf_dir = sources.conf_dir();
    if conf_dir.is_dir() {
        match drop_in_files(&conf_dir) {
            Ok(drop_ins) => files.extend(drop_ins),
            Err(err) => problems.push(ConfigProblem {
                source: conf_dir.display().to_string(),
                key: None,
                problem: format!("cannot list the drop-in directory: {err}"),
            }),
        }
    }
    let mut sites = Vec::new();
    for file in files {
        let name = file.display().to_string();
        let parsed = std::fs::read_to_string(&file)
            .map_err(|err| format!("cannot read the file: {err}"))
            .and_then(|text| {
                let table = parse_toml(&name, &text)?;
                if !table.contains_key("sites") {
                    return Ok((text, table));
                }
                let rest = take_sites(&name, &text, &mut sites, problems)?;
                let table = parse_toml(&name, &rest)?;
                Ok((rest, table))
            });
        match parsed {
            Ok((text, table)) => {
                let mut keys = Vec::new();
                leaf_keys("", &table, &mut keys);
                provenance.layers.push((name, keys));
                builder = builder.add_source(File::from_str(&text, FileFormat::Toml));
            }
            Err(problem) => problems.push(ConfigProblem {
                source: name,
                key: None,
                problem,
            }),
        }
    }

    let env_prefix = format!("{ENV_PREFIX}__");
    let mut env = config::Map::new();
    for (name, value) in &sources.env {
        let Some(path) = name.strip_prefix(&env_prefix) else {
            continue;
        };
        let key = path.to_lowercase().replace("__", ".");
        if key == "sites" || key.starts_with("sites.") {
            problems.push(ConfigProblem {
                source: format!("environment variable {name}"),
                key: Some("sites".to_owned()),
                problem: "sites are declared with [[sites]] tables in configuration files, not in \
                          the environment"
                    .to_owned(),
            });
            continue;
        }
        provenance
            .layers
            .push((format!("environment variable {name}"), vec![key]));
        env.insert(name.clone(), value.clone());
    }
    builder = builder.add_source(
        Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .source(Some(env)),
    );
    for (key, value) in &sources.overrides {
        provenance.layers.push((
            format!("command-line flag for {key}"),
            vec![(*key).to_owned()],
        ));
        builder = builder
            .set_override(*key, value.as_str())
            .expect("override keys are static and valid");
    }
    if !problems.is_empty() {
        return None;
    }
    match builder.build() {
        Ok(config) => Some((config, provenance, sites)),
        Err(err) => {
            problems.push(ConfigProblem {
                source: "configuration".to_owned(),
                key: None,
                problem: err.to_string(),
            });
            None
        }
    }
}

fn parse_toml(name: &str, text: &str) -> Result<config::Map<String, config::Value>, String> {
    FileFormat::Toml
        .parse(Some(&name.to_owned()), text)
        .map_err(|err| format!("not valid TOML: {}", err.to_string().trim()))
}

/// Moves a file's `[[sites]]` tables to `sites`, returning the rest of the file as TOML.
fn take_sites(
    name: &str,
    text: &str,
    sites: &mut Vec<SiteEntry>,
    problems: &mut Vec<ConfigProblem>,
) -> Result<String, String> {
    let mut document: toml::Table = toml::from_str(text)
        .map_err(|err| format!("not valid TOML: {}", err.to_string().trim()))?;
    match document.remove("sites") {
        Some(toml::Value::Array(tables)) => {
            for (index, table) in tables.into_iter().enumerate() {
                if table.is_table() {
                    sites.push(SiteEntry {
                        source: name.to_owned(),
                        index,
                        table,
                    });
                } else {
                    problems.push(ConfigProblem {
                        source: name.to_owned(),
                        key: Some(format!("sites[{index}]")),
                        problem: format!("expected a table, found {}", table.type_str()),
                    });
                }
            }
        }
        Some(other) => problems.push(ConfigProblem {
            source: name.to_owned(),
            key: Some("sites".to_owned()),
            problem: format!("expected [[sites]] tables, found {}", other.type_str()),
        }),
        None => {}
    }
    toml::to_string(&document).map_err(|err| format!("cannot re-read the file: {err}"))
}

fn drop_in_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// A value of the wrong type, reported by the deserializer with its key.
fn type_problem(err: config::ConfigError, origin_of: &dyn Fn(&str) -> String) -> ConfigProblem {
    match err {
        config::ConfigError::Type {
            unexpected,
            expected,
            key,
            ..
        } => ConfigProblem {
            source: key
                .as_deref()
                .map(origin_of)
                .unwrap_or_else(|| "configuration".to_owned()),
            key,
            problem: format!("expected {expected}, found {unexpected}"),
        },
        other => ConfigProblem {
            source: "configuration".to_owned(),
            key: None,
            problem: other.to_string(),
        },
    }
}

/// Turns the raw shape into [`Settings`], recording a problem for every value that is not usable.
struct Checker<'a> {
    problems: &'a mut Vec<ConfigProblem>,
    provenance: &'a Provenance,
}

impl Checker<'_> {
    fn settings(&mut self, raw: RawSettings) -> Option<Settings> {
        let data_dir = self.check("data_dir", raw.data_dir, |dir| {
            if dir.as_os_str().is_empty() {
                Err("expected a directory path, found an empty string".to_owned())
            } else {
                Ok(dir)
            }
        });
        let url = self.database_url(&raw.database);
        let max_connections = self.in_range(
            "database.max_connections",
            raw.database.max_connections,
            1,
            1000,
        );
        let listen = self.check("http.listen", raw.http.listen, |listen| {
            listen.parse::<SocketAddr>().map_err(|_| {
                format!("expected an address and port such as 127.0.0.1:8080, found {listen:?}")
            })
        });
        let level = self.check("log.level", raw.log.level, |level| {
            tracing_subscriber::EnvFilter::builder()
                .parse(&level)
                .map(|_| level.clone())
                .map_err(|err| format!("not a valid log filter {level:?}: {err}"))
        });
        let format = self.check("log.format", raw.log.format, |format| {
            match format.as_str() {
                "auto" => Ok(LogFormat::Auto),
                "human" => Ok(LogFormat::Human),
                "json" => Ok(LogFormat::Json),
                _ => Err(format!(
                    "expected one of auto, human, json, found {format:?}"
                )),
            }
        });
        let workers = self.in_range("jobs.workers", raw.jobs.workers, 1, 256);
        let max_attempts = self.in_range("jobs.max_attempts", raw.jobs.max_attempts, 1, 100);
        let lease_seconds = self.in_range("jobs.lease_seconds", raw.jobs.lease_seconds, 5, 3600);
        let poll_interval_ms = self.in_range(
            "jobs.poll_interval_ms",
            raw.jobs.poll_interval_ms,
            50,
            60_000,
        );
        let retain_finished_hours = self.in_range(
            "jobs.retain_finished_hours",
            raw.jobs.retain_finished_hours,
            1,
            24 * 365,
        );
        let housekeeping = self.check("scheduler.housekeeping", raw.scheduler.housekeeping, |s| {
            CronSchedule::parse(&s)
        });
        let drain_seconds = self.in_range(
            "shutdown.drain_seconds",
            raw.shutdown.drain_seconds,
            1,
            3600,
        );

        let body_limit_bytes = self.in_range(
            "http.body_limit_bytes",
            raw.http.body_limit_bytes,
            1024,
            64 * 1024 * 1024,
        );
        let request_timeout_seconds = self.in_range(
            "http.request_timeout_seconds",
            raw.http.request_timeout_seconds,
            1,
            600,
        );
        let token_cache_seconds = self.in_range(
            "http.token_cache_seconds",
            raw.http.token_cache_seconds,
            0,
            300,
        );
        let credits = self.credits(raw.credits);
        let modules = self.modules(raw.modules);
        let rate_limits = self.rate_limits(raw.rate_limits);
        let plans = self.plans(raw.plans);
        let connectors = self.connectors(raw.connectors);
        let linker = self.linker(raw.linker);
        let site_builder = self.site_builder(raw.site_builder);
        let max_depth = self.in_range("automation.max_depth", raw.automation.max_depth, 1, 20);
        let max_event_attempts = self.in_range(
            "automation.max_event_attempts",
            raw.automation.max_event_attempts,
            1,
            100,
        );
        let ai = self.ai(raw.ai);

        Some(Settings {
            sites: Vec::new(),
            ai: ai?,
            connectors: connectors?,
            linker: linker?,
            site_builder: site_builder?,
            automation: AutomationSettings {
                max_depth: usize::try_from(max_depth?).ok()?,
                max_event_attempts: u32::try_from(max_event_attempts?).ok()?,
            },
            credits: credits?,
            modules: modules?,
            rate_limits: rate_limits?,
            plans: plans?,
            data_dir: data_dir?,
            database: DatabaseSettings {
                url: url?,
                max_connections: max_connections?,
                migrate_on_start: raw.database.migrate_on_start,
            },
            http: HttpSettings {
                listen: listen?,
                body_limit_bytes: usize::try_from(body_limit_bytes?).ok()?,
                request_timeout_seconds: request_timeout_seconds?,
                token_cache_seconds: token_cache_seconds?,
            },
            log: LogSettings {
                level: level?,
                format: format?,
            },
            jobs: JobSettings {
                workers: workers?,
                max_attempts: max_attempts?,
                lease_seconds: lease_seconds?,
                poll_interval_ms: poll_interval_ms?,
                retain_finished_hours: retain_finished_hours?,
            },
            scheduler: SchedulerSettings {
                housekeeping: housekeeping?,
            },
            shutdown: ShutdownSettings {
                drain_seconds: drain_seconds?,
            },
        })
    }

    fn connectors(&mut self, raw: RawConnectors) -> Option<ConnectorSettings> {
        let timeout_seconds =
            self.in_range("connectors.timeout_seconds", raw.timeout_seconds, 1, 600);
        let concurrency = self.in_range("connectors.concurrency", raw.concurrency, 1, 64);
        let requests_per_second = self.in_range(
            "connectors.requests_per_second",
            raw.requests_per_second,
            1,
            1000,
        );
        let max_retries = self.in_range("connectors.max_retries", raw.max_retries, 0, 20);
        let max_backoff_seconds = self.in_range(
            "connectors.max_backoff_seconds",
            raw.max_backoff_seconds,
            1,
            3600,
        );
        let definitions_dir =
            self.check("connectors.definitions_dir", raw.definitions_dir, |dir| {
                if dir.as_os_str().is_empty() {
                    Err("expected a directory path, found an empty string".to_owned())
                } else {
                    Ok(dir)
                }
            });
        Some(ConnectorSettings {
            timeout_seconds: timeout_seconds?,
            concurrency: concurrency?,
            requests_per_second: requests_per_second?,
            max_retries: max_retries?,
            max_backoff_seconds: max_backoff_seconds?,
            definitions_dir: definitions_dir?,
        })
    }

    fn linker(&mut self, raw: RawLinker) -> Option<LinkerSettings> {
        let max_links_per_post =
            self.in_range("linker.max_links_per_post", raw.max_links_per_post, 1, 100);
        let words_per_link = self.in_range("linker.words_per_link", raw.words_per_link, 10, 10_000);
        let links_per_paragraph =
            self.in_range("linker.links_per_paragraph", raw.links_per_paragraph, 1, 20);
        Some(LinkerSettings {
            max_links_per_post: usize::try_from(max_links_per_post?).ok()?,
            words_per_link: usize::try_from(words_per_link?).ok()?,
            links_per_paragraph: usize::try_from(links_per_paragraph?).ok()?,
        })
    }

    fn site_builder(&mut self, raw: RawSiteBuilder) -> Option<SiteBuilderSettings> {
        const KIB: u64 = 1024;
        let max_upload_bytes = self.in_range(
            "site_builder.max_upload_bytes",
            raw.max_upload_bytes,
            KIB,
            KIB * KIB * KIB,
        );
        let quota_bytes_per_site = self.in_range(
            "site_builder.quota_bytes_per_site",
            raw.quota_bytes_per_site,
            KIB,
            KIB * KIB * KIB * KIB,
        );
        Some(SiteBuilderSettings {
            max_upload_bytes: max_upload_bytes?,
            quota_bytes_per_site: quota_bytes_per_site?,
        })
    }

    fn ai(&mut self, raw: RawAi) -> Option<AiSettings> {
        let provider = self.check("ai.provider", raw.provider, |p| match p.as_str() {
            "offline" => Ok(AiProviderKind::Offline),
            "openai" => Ok(AiProviderKind::Openai),
            _ => Err(format!("expected one of offline, openai, found {p:?}")),
        });
        let base_url = self.check("ai.base_url", raw.base_url, |raw| {
            let url = url::Url::parse(&raw)
                .map_err(|err| format!("expected an http or https URL, found {raw:?}: {err}"))?;
            if matches!(url.scheme(), "http" | "https") {
                Ok(raw.trim_end_matches('/').to_owned())
            } else {
                Err(format!("expected an http or https URL, found {raw:?}"))
            }
        });
        let model = self.check("ai.model", raw.model, |model| {
            if model.trim().is_empty() {
                Err("expected a model name, found an empty string".to_owned())
            } else {
                Ok(model)
            }
        });
        let image_model = self.check("ai.image_model", raw.image_model, |model| match model {
            Some(model) if model.trim().is_empty() => {
                Err("expected a model name, found an empty string".to_owned())
            }
            other => Ok(other),
        });
        let api_key = match &raw.api_key_file {
            None => Some(None),
            Some(file) => {
                let path = credential_path(file);
                self.check("ai.api_key_file", &path, |path| {
                    let text = std::fs::read_to_string(path)
                        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
                    let key = text.trim();
                    if key.is_empty() {
                        Err(format!("{} is empty", path.display()))
                    } else {
                        Ok(Some(ApiKey::new(key)))
                    }
                })
            }
        };
        let timeout_seconds = self.in_range("ai.timeout_seconds", raw.timeout_seconds, 1, 3600);
        let max_retries = self.in_range("ai.max_retries", raw.max_retries, 0, 10);
        let prompts_dir = self.check("ai.prompts_dir", raw.prompts_dir, |dir| match dir {
            Some(dir) if !dir.is_dir() => Err(format!("{} is not a directory", dir.display())),
            other => Ok(other),
        });
        Some(AiSettings {
            provider: provider?,
            base_url: base_url?,
            model: model?,
            image_model: image_model?,
            api_key_file: raw.api_key_file,
            api_key: api_key?,
            timeout_seconds: timeout_seconds?,
            max_retries: max_retries?,
            prompts_dir: prompts_dir?,
        })
    }

    fn credits(&mut self, raw: RawCredits) -> Option<CreditSettings> {
        let hold_ttl_seconds = self.in_range(
            "credits.hold_ttl_seconds",
            raw.hold_ttl_seconds,
            60,
            7 * 24 * 3600,
        );
        let replenish = self.check("credits.replenish", raw.replenish, |s| {
            CronSchedule::parse(&s)
        });
        let mut costs = BTreeMap::new();
        let mut valid = true;
        for (name, cost) in raw.costs {
            let key = format!("credits.costs.{name}");
            let operation = self.check(&key, name, |name| name.parse::<Operation>());
            let cost = self.in_range(&key, cost, 0, 1_000_000);
            match (operation, cost) {
                (Some(operation), Some(cost)) => {
                    costs.insert(operation, cost);
                }
                _ => valid = false,
            }
        }
        valid.then_some(())?;
        Some(CreditSettings {
            hold_ttl_seconds: hold_ttl_seconds?,
            replenish: replenish?,
            costs: CostTable::new(costs),
        })
    }

    fn modules(&mut self, raw: RawModules) -> Option<ModuleSettings> {
        let mut defaults: BTreeMap<Module, bool> = Module::ALL.iter().map(|m| (*m, true)).collect();
        let mut valid = true;
        for (name, enabled) in raw.defaults {
            let key = format!("modules.defaults.{name}");
            match self.check(&key, name, |name| name.parse::<Module>()) {
                Some(module) => {
                    defaults.insert(module, enabled);
                }
                None => valid = false,
            }
        }
        valid.then_some(ModuleSettings { defaults })
    }

    fn rate_limits(
        &mut self,
        raw: BTreeMap<String, RawRateLimit>,
    ) -> Option<BTreeMap<RateLimitGroup, RateLimit>> {
        let mut limits = BTreeMap::new();
        let mut valid = true;
        for (name, limit) in raw {
            let key = format!("rate_limits.{name}");
            let group = self.check(&key, name, |name| {
                RateLimitGroup::ALL
                    .into_iter()
                    .find(|g| g.as_str() == name)
                    .ok_or_else(|| {
                        format!(
                            "expected a group of default, linker, optimizer, unauthenticated, \
                             found {name:?}"
                        )
                    })
            });
            let per_minute =
                self.in_range(&format!("{key}.per_minute"), limit.per_minute, 1, 1_000_000);
            let burst = self.in_range(&format!("{key}.burst"), limit.burst, 1, 100_000);
            match (group, per_minute, burst) {
                (Some(group), Some(per_minute), Some(burst)) => {
                    limits.insert(group, RateLimit { per_minute, burst });
                }
                _ => valid = false,
            }
        }
        valid.then_some(limits)
    }

    fn plans(&mut self, raw: BTreeMap<String, RawPlan>) -> Option<BTreeMap<String, PlanSettings>> {
        let mut plans = BTreeMap::new();
        let mut valid = true;
        for (name, plan) in raw {
            let key = format!("plans.{name}");
            let name = self.check(&key, name, |name| {
                let ok = !name.is_empty()
                    && name.len() <= 64
                    && name.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                    });
                if ok {
                    Ok(name)
                } else {
                    Err(format!(
                        "a plan name is 1 to 64 of a-z, 0-9, - and _, found {name:?}"
                    ))
                }
            });
            let monthly_credits = self.in_range(
                &format!("{key}.monthly_credits"),
                plan.monthly_credits,
                0,
                i64::MAX / 4,
            );
            let price = self.in_range(&format!("{key}.price"), plan.price, 0, i64::MAX / 4);
            let support_level = self.one_of(
                &format!("{key}.support_level"),
                plan.support_level,
                &["standard", "priority", "dedicated"],
            );
            let billing_cycle = self.one_of(
                &format!("{key}.billing_cycle"),
                plan.billing_cycle,
                &["monthly", "yearly"],
            );
            let currency = self.check(&format!("{key}.currency"), plan.currency, |c| {
                if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) {
                    Ok(c)
                } else {
                    Err(format!(
                        "expected an ISO 4217 code such as USD, found {c:?}"
                    ))
                }
            });
            let features = self.check(&format!("{key}.features"), plan.features, |f| {
                if f.is_object() || f.is_array() {
                    Ok(f)
                } else {
                    Err("expected a table or an array".to_owned())
                }
            });
            let checked = (|| {
                Some((
                    name?,
                    PlanSettings {
                        monthly_credits: monthly_credits?,
                        support_level: support_level?,
                        billing_cycle: billing_cycle?,
                        price: price?,
                        currency: currency?,
                        features: features?,
                    },
                ))
            })();
            match checked {
                Some((name, plan)) => {
                    plans.insert(name, plan);
                }
                None => valid = false,
            }
        }
        valid.then_some(plans)
    }

    fn one_of(&mut self, key: &str, value: String, allowed: &[&str]) -> Option<String> {
        self.check(key, value, |value| {
            if allowed.contains(&value.as_str()) {
                Ok(value)
            } else {
                Err(format!(
                    "expected one of {}, found {value:?}",
                    allowed.join(", ")
                ))
            }
        })
    }

    fn database_url(&mut self, raw: &RawDatabase) -> Option<DatabaseUrl> {
        // Both may be set by different sources (a file names url_file, the environment a URL
        // for one run): the later source wins, as for any key. Within one source it is an error.
        let (url, url_file) = match (&raw.url, &raw.url_file) {
            (Some(url), Some(file)) => {
                let url_rank = self.provenance.rank("database.url");
                let file_rank = self.provenance.rank("database.url_file");
                if url_rank == file_rank {
                    self.problems.push(ConfigProblem {
                        source: self.provenance.origin_of("database.url_file"),
                        key: Some("database.url_file".to_owned()),
                        problem: "set either database.url or database.url_file, not both"
                            .to_owned(),
                    });
                    return None;
                }
                if url_rank > file_rank {
                    (Some(url), None)
                } else {
                    (None, Some(file))
                }
            }
            (url, file) => (url.as_ref(), file.as_ref()),
        };
        let url = match (url, url_file) {
            (Some(url), _) => url.clone(),
            (None, Some(file)) => {
                let path = credential_path(file);
                match std::fs::read_to_string(&path) {
                    Ok(text) => text.trim().to_owned(),
                    Err(err) => {
                        self.problems.push(ConfigProblem {
                            source: self.provenance.origin_of("database.url_file"),
                            key: Some("database.url_file".to_owned()),
                            problem: format!("cannot read {}: {err}", path.display()),
                        });
                        return None;
                    }
                }
            }
            (None, None) => DEFAULT_DATABASE_URL.to_owned(),
        };
        let key = if url_file.is_some() {
            "database.url_file"
        } else {
            "database.url"
        };
        self.check(key, url, |url| DatabaseUrl::parse(&url))
    }

    fn in_range<T>(&mut self, key: &str, value: T, min: T, max: T) -> Option<T>
    where
        T: PartialOrd + fmt::Display + Copy,
    {
        let source = self.provenance.origin_of(key);
        self.in_range_at(&source, key, value, min, max)
    }

    fn check<R, T>(
        &mut self,
        key: &str,
        raw: R,
        parse: impl FnOnce(R) -> Result<T, String>,
    ) -> Option<T> {
        let source = self.provenance.origin_of(key);
        self.check_at(&source, key, raw, parse)
    }

    /// Like `check`, for a key whose source is known (a site's file).
    fn check_at<R, T>(
        &mut self,
        source: &str,
        key: &str,
        raw: R,
        parse: impl FnOnce(R) -> Result<T, String>,
    ) -> Option<T> {
        match parse(raw) {
            Ok(value) => Some(value),
            Err(problem) => {
                self.problems.push(ConfigProblem {
                    source: source.to_owned(),
                    key: Some(key.to_owned()),
                    problem,
                });
                None
            }
        }
    }

    /// Every `[[sites]]` table of every file, checked; names must be unique across them.
    fn sites(&mut self, entries: Vec<SiteEntry>) -> Option<Vec<SiteSettings>> {
        let mut sites: Vec<SiteSettings> = Vec::new();
        let mut valid = true;
        for entry in entries {
            let (source, at) = (entry.source.clone(), entry.index);
            match self.site(entry) {
                Some(site) => {
                    if let Some(first) = sites.iter().find(|s| s.site.name == site.site.name) {
                        self.problems.push(ConfigProblem {
                            source,
                            key: Some(format!("sites[{at}].name")),
                            problem: format!(
                                "the site {:?} is already declared ({})",
                                site.site.name.as_str(),
                                first.declared_at
                            ),
                        });
                        valid = false;
                    } else {
                        sites.push(site);
                    }
                }
                None => valid = false,
            }
        }
        valid.then_some(sites)
    }

    fn site(&mut self, entry: SiteEntry) -> Option<SiteSettings> {
        let source = entry.source;
        let at = format!("sites[{}]", entry.index);
        let key = |name: &str| format!("{at}.{name}");

        let mut unknown = Vec::new();
        let raw: Result<RawSite, _> = serde_path_to_error::deserialize(
            serde_ignored::Deserializer::new(entry.table, &mut |path: serde_ignored::Path| {
                unknown.push(path.to_string())
            }),
        );
        for name in unknown {
            self.problems.push(ConfigProblem {
                source: source.clone(),
                key: Some(key(&name)),
                problem: "unknown key".to_owned(),
            });
        }
        let raw = match raw {
            Ok(raw) => raw,
            Err(err) => {
                let path = err.path().to_string();
                self.problems.push(ConfigProblem {
                    source: source.clone(),
                    key: Some(if path == "." { at.clone() } else { key(&path) }),
                    problem: err.into_inner().to_string(),
                });
                return None;
            }
        };

        let name = self.check_at(&source, &key("name"), raw.name, |name| {
            SiteName::parse(&required(name)?)
        });
        let account = self.check_at(&source, &key("account"), raw.account, |id| {
            let id = required(id)?;
            if id > 0 {
                Ok(AccountId::new(id))
            } else {
                Err(format!("expected an account id (1 or more), found {id}"))
            }
        });
        let connector =
            self.check_at(
                &source,
                &key("connector"),
                raw.connector,
                |kind| match required(kind)?.as_str() {
                    "wordpress" => Ok(ConnectorKind::Wordpress),
                    "shopify" => Ok(ConnectorKind::Shopify),
                    "rest" => Ok(ConnectorKind::Rest),
                    "files" => Ok(ConnectorKind::Files),
                    other => Err(format!(
                        "expected one of \"wordpress\", \"shopify\", \"rest\", \"files\", found \
                     {other:?}"
                    )),
                },
            );
        // A key of another connector is a mistake worth naming, not something to ignore.
        if let Some(connector) = connector {
            let present = [
                ("username", raw.username.is_some(), ConnectorKind::Wordpress),
                (
                    "app_password",
                    raw.app_password.is_some(),
                    ConnectorKind::Wordpress,
                ),
                (
                    "app_password_file",
                    raw.app_password_file.is_some(),
                    ConnectorKind::Wordpress,
                ),
                (
                    "post_types",
                    raw.post_types.is_some(),
                    ConnectorKind::Wordpress,
                ),
                ("shop", raw.shop.is_some(), ConnectorKind::Shopify),
                (
                    "api_version",
                    raw.api_version.is_some(),
                    ConnectorKind::Shopify,
                ),
                (
                    "access_token",
                    raw.access_token.is_some(),
                    ConnectorKind::Shopify,
                ),
                (
                    "access_token_file",
                    raw.access_token_file.is_some(),
                    ConnectorKind::Shopify,
                ),
                ("definition", raw.definition.is_some(), ConnectorKind::Rest),
                ("api_key", raw.api_key.is_some(), ConnectorKind::Rest),
                (
                    "api_key_file",
                    raw.api_key_file.is_some(),
                    ConnectorKind::Rest,
                ),
                ("path", raw.path.is_some(), ConnectorKind::Files),
                (
                    "output_path",
                    raw.output_path.is_some(),
                    ConnectorKind::Files,
                ),
            ];
            for (name, set, owner) in present {
                if set && owner != connector {
                    self.check_at(&source, &key(name), (), |()| -> Result<(), String> {
                        Err(format!(
                            "a key of the {owner} connector; this site uses the {connector} \
                             connector"
                        ))
                    });
                }
            }
            let misplaced = |name: &str, set: bool| set.then(|| name.to_owned());
            let foreign = match connector {
                ConnectorKind::Shopify => misplaced("base_url", raw.base_url.is_some()),
                ConnectorKind::Files => {
                    misplaced("base_url", raw.base_url.is_some()).or_else(|| {
                        misplaced(
                            "webhook_secret",
                            raw.webhook_secret.is_some() || raw.webhook_secret_file.is_some(),
                        )
                    })
                }
                ConnectorKind::Wordpress | ConnectorKind::Rest => None,
            };
            if let Some(name) = foreign {
                self.check_at(&source, &key(&name), (), |()| -> Result<(), String> {
                    Err(format!("the {connector} connector does not take {name}"))
                });
            }
        }
        let needs_base_url = matches!(
            connector,
            Some(ConnectorKind::Wordpress | ConnectorKind::Rest)
        );
        let base_url = match raw.base_url {
            Some(url) if needs_base_url => self
                .check_at(&source, &key("base_url"), url, |url| SiteUrl::parse(&url))
                .map(Some),
            None if needs_base_url => self.check_at(&source, &key("base_url"), (), |()| {
                Err("required".to_owned())
            }),
            _ => Some(None),
        };
        let webhook_secret =
            self.site_webhook_secret(&source, &at, raw.webhook_secret, raw.webhook_secret_file);
        let (options, password) = match connector {
            Some(ConnectorKind::Wordpress) => {
                let has_username = raw.username.is_some();
                let username = match raw.username {
                    Some(name) => self
                        .check_at(&source, &key("username"), name, |name| {
                            SiteUsername::parse(&name)
                        })
                        .map(Some),
                    None => Some(None),
                };
                let password = self.site_password(
                    &source,
                    &at,
                    has_username,
                    raw.app_password,
                    raw.app_password_file,
                );
                let post_types = self.post_types(
                    &source,
                    &key("post_types"),
                    raw.post_types.unwrap_or_else(|| {
                        PostType::defaults()
                            .iter()
                            .map(|t| t.as_str().to_owned())
                            .collect()
                    }),
                );
                let options = match (username, post_types) {
                    (Some(username), Some(post_types)) => Some(ConnectorOptions::Wordpress {
                        username,
                        post_types,
                    }),
                    _ => None,
                };
                (options, password)
            }
            Some(ConnectorKind::Shopify) => {
                let shop = self.check_at(&source, &key("shop"), raw.shop, |shop| {
                    ShopDomain::parse(&required(shop)?)
                });
                let api_version = match raw.api_version {
                    Some(version) => self.check_at(&source, &key("api_version"), version, |v| {
                        ShopifyApiVersion::parse(&v)
                    }),
                    None => Some(ShopifyApiVersion::DEFAULT),
                };
                let token = self.site_token(
                    &source,
                    &at,
                    ("access_token", raw.access_token),
                    ("access_token_file", raw.access_token_file),
                    true,
                );
                let options = match (shop, api_version) {
                    (Some(shop), Some(api_version)) => {
                        Some(ConnectorOptions::Shopify { shop, api_version })
                    }
                    _ => None,
                };
                (options, token)
            }
            Some(ConnectorKind::Rest) => {
                let definition =
                    self.check_at(&source, &key("definition"), raw.definition, |name| {
                        DefinitionName::parse(&required(name)?)
                    });
                let key_given = raw.api_key.is_some() || raw.api_key_file.is_some();
                let token = self.site_token(
                    &source,
                    &at,
                    ("api_key", raw.api_key),
                    ("api_key_file", raw.api_key_file),
                    false,
                );
                if let (Some(Some(url)), true) = (&base_url, key_given) {
                    let allowed = url.allows_password().map_err(str::to_owned);
                    self.check_at(&source, &key("base_url"), allowed, |allowed| allowed);
                }
                (
                    definition.map(|definition| ConnectorOptions::Rest { definition }),
                    token,
                )
            }
            Some(ConnectorKind::Files) => {
                let path = self.check_at(&source, &key("path"), raw.path, |path| {
                    folder(&required(path)?)
                });
                let output_path = match raw.output_path {
                    Some(path) => self
                        .check_at(&source, &key("output_path"), path, |path| folder(&path))
                        .map(Some),
                    None => Some(None),
                };
                let options = match (path, output_path) {
                    (Some(path), Some(output_path)) => {
                        Some(ConnectorOptions::Files { path, output_path })
                    }
                    _ => None,
                };
                (options, Some(None))
            }
            None => (None, None),
        };
        if let (Some(ConnectorKind::Wordpress), Some(Some(url)), Some(Some(_))) =
            (connector, &base_url, &password)
        {
            let allowed = url.allows_password().map_err(str::to_owned);
            self.check_at(&source, &key("base_url"), allowed, |allowed| allowed);
        }
        let base_url = match (&options, base_url) {
            (Some(ConnectorOptions::Shopify { shop, .. }), _) => Some(Some(shop.base_url())),
            (_, base_url) => base_url,
        };
        let schedule = match raw.schedule {
            Some(schedule) => self
                .check_at(&source, &key("schedule"), schedule, |s| {
                    CronSchedule::parse(&s)
                })
                .map(Some),
            None => Some(None),
        };
        let push_policy = self.check_at(&source, &key("push"), raw.push, |push| push.parse());
        let lookback_seconds = self.in_range_at(
            &source,
            &key("lookback_seconds"),
            raw.lookback_seconds,
            *LOOKBACK_SECONDS.start(),
            *LOOKBACK_SECONDS.end(),
        );
        let reconcile_every_hours = self.in_range_at(
            &source,
            &key("reconcile_every_hours"),
            raw.reconcile_every_hours,
            *RECONCILE_EVERY_HOURS.start(),
            *RECONCILE_EVERY_HOURS.end(),
        );
        Some(SiteSettings {
            account: account?,
            site: SiteDefinition {
                name: name?,
                options: options?,
                base_url: base_url?,
                schedule: schedule?,
                push_policy: push_policy?,
                lookback_seconds: lookback_seconds?,
                reconcile_every_hours: reconcile_every_hours?,
                link_enabled: raw.link,
                // Set when the site is reconciled, from `webhook_secret`.
                webhook_secret_ref: None,
            },
            password: password?,
            webhook_secret: webhook_secret?,
            declared_at: format!("{source}: {at}"),
        })
    }

    /// A username needs exactly one of `app_password` and `app_password_file`; without a
    /// username the site is read anonymously and neither may be set.
    fn site_password(
        &mut self,
        source: &str,
        at: &str,
        has_username: bool,
        inline: Option<String>,
        file: Option<PathBuf>,
    ) -> Option<Option<SitePassword>> {
        let key = |name: &str| format!("{at}.{name}");
        match (has_username, inline, file) {
            (true, Some(_), Some(_)) => {
                self.check_at(source, &key("app_password_file"), (), |()| {
                    Err("set app_password or app_password_file, not both".to_owned())
                })
            }
            (true, None, None) => self.check_at(source, &key("app_password"), (), |()| {
                Err("a username needs app_password or app_password_file".to_owned())
            }),
            (false, Some(_), _) => self.check_at(source, &key("app_password"), (), |()| {
                Err("app_password needs a username".to_owned())
            }),
            (false, None, Some(_)) => self.check_at(source, &key("app_password_file"), (), |()| {
                Err("app_password_file needs a username".to_owned())
            }),
            (true, Some(password), None) => {
                self.check_at(source, &key("app_password"), password, |password| {
                    if password.trim().is_empty() || password.chars().any(char::is_control) {
                        Err("expected a password without control characters".to_owned())
                    } else {
                        Ok(Some(SitePassword::Inline(AppPassword::new(&password))))
                    }
                })
            }
            (true, None, Some(file)) => {
                self.check_at(source, &key("app_password_file"), file, |file| {
                    secret_file(&file).map(Some)
                })
            }
            (false, None, None) => Some(None),
        }
    }

    /// At most one of `webhook_secret` and `webhook_secret_file`; neither means the site's
    /// webhooks are refused.
    fn site_webhook_secret(
        &mut self,
        source: &str,
        at: &str,
        inline: Option<String>,
        file: Option<PathBuf>,
    ) -> Option<Option<SitePassword>> {
        let key = |name: &str| format!("{at}.{name}");
        match (inline, file) {
            (Some(_), Some(_)) => self.check_at(source, &key("webhook_secret_file"), (), |()| {
                Err("set webhook_secret or webhook_secret_file, not both".to_owned())
            }),
            (Some(secret), None) => {
                self.check_at(source, &key("webhook_secret"), secret, |secret| {
                    check_webhook_secret(&secret)?;
                    Ok(Some(SitePassword::Inline(AppPassword::new(&secret))))
                })
            }
            (None, Some(file)) => {
                self.check_at(source, &key("webhook_secret_file"), file, |file| {
                    let path = std::path::absolute(credential_path(&file))
                        .map_err(|err| format!("cannot resolve {}: {err}", file.display()))?;
                    let text = std::fs::read_to_string(&path)
                        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
                    check_webhook_secret(text.trim())
                        .map_err(|err| format!("{}: {err}", path.display()))?;
                    Ok(Some(SitePassword::File(path)))
                })
            }
            (None, None) => Some(None),
        }
    }

    /// The token or key a connector signs in with: at most one of the inline key and the file
    /// key (exactly one where `required`).
    fn site_token(
        &mut self,
        source: &str,
        at: &str,
        (inline_key, inline): (&str, Option<String>),
        (file_key, file): (&str, Option<PathBuf>),
        required: bool,
    ) -> Option<Option<SitePassword>> {
        let key = |name: &str| format!("{at}.{name}");
        match (inline, file) {
            (Some(_), Some(_)) => self.check_at(source, &key(file_key), (), |()| {
                Err(format!("set {inline_key} or {file_key}, not both"))
            }),
            (None, None) if required => self.check_at(source, &key(inline_key), (), |()| {
                Err(format!("the connector needs {inline_key} or {file_key}"))
            }),
            (None, None) => Some(None),
            (Some(secret), None) => self.check_at(source, &key(inline_key), secret, |secret| {
                if secret.trim().is_empty() || secret.chars().any(char::is_control) {
                    Err("expected a secret without control characters".to_owned())
                } else {
                    Ok(Some(SitePassword::Inline(AppPassword::new(&secret))))
                }
            }),
            (None, Some(file)) => self.check_at(source, &key(file_key), file, |file| {
                secret_file(&file).map(Some)
            }),
        }
    }

    fn post_types(&mut self, source: &str, key: &str, raw: Vec<String>) -> Option<Vec<PostType>> {
        if raw.is_empty() {
            return self.check_at(source, key, (), |()| {
                Err("expected at least one post type, such as [\"post\", \"page\"]".to_owned())
            });
        }
        let mut types: Vec<PostType> = Vec::new();
        let mut valid = true;
        for (index, name) in raw.into_iter().enumerate() {
            let parsed = self.check_at(source, &format!("{key}[{index}]"), name, |name| {
                let parsed = PostType::parse(&name)?;
                if types.contains(&parsed) {
                    Err(format!("the post type {name:?} is listed twice"))
                } else {
                    Ok(parsed)
                }
            });
            match parsed {
                Some(parsed) => types.push(parsed),
                None => valid = false,
            }
        }
        valid.then_some(types)
    }

    fn in_range_at<T>(&mut self, source: &str, key: &str, value: T, min: T, max: T) -> Option<T>
    where
        T: PartialOrd + fmt::Display + Copy,
    {
        self.check_at(source, key, value, |value| {
            if value < min || value > max {
                Err(format!(
                    "expected a number from {min} to {max}, found {value}"
                ))
            } else {
                Ok(value)
            }
        })
    }
}

fn required<T>(value: Option<T>) -> Result<T, String> {
    value.ok_or_else(|| "required".to_owned())
}

/// A secret kept in a file of its own: the file must be readable and not empty. The absolute
/// path is what the site's credential reference stores, so it must not depend on the
/// directory a later process starts in.
fn secret_file(file: &Path) -> Result<SitePassword, String> {
    let path = std::path::absolute(credential_path(file))
        .map_err(|err| format!("cannot resolve {}: {err}", file.display()))?;
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().is_empty() => Err(format!("{} is empty", path.display())),
        Ok(_) => Ok(SitePassword::File(path)),
        Err(err) => Err(format!("cannot read {}: {err}", path.display())),
    }
}

/// A folder a site reads or writes: stored in the site's row, so it must be absolute.
fn folder(path: &Path) -> Result<PathBuf, String> {
    if !path.is_absolute() {
        return Err(format!(
            "expected an absolute path to a folder, found {}",
            path.display()
        ));
    }
    if path.to_str().is_none() {
        return Err(format!("{} is not valid UTF-8", path.display()));
    }
    Ok(path.to_path_buf())
}

/// Relative secret paths are resolved against systemd's credentials directory when the unit
/// uses `LoadCredential=`, so `url_file = "database-url"` finds the credential of that name.
fn credential_path(file: &Path) -> PathBuf {
    match std::env::var_os("CREDENTIALS_DIRECTORY") {
        Some(dir) if file.is_relative() => Path::new(&dir).join(file),
        _ => file.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources_with(dir: &Path, main: &str, env: &[(&str, &str)]) -> Sources {
        let main_file = dir.join("igny8.toml");
        std::fs::write(&main_file, main).unwrap();
        Sources {
            main_file,
            main_file_explicit: true,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            overrides: Vec::new(),
        }
    }

    fn problems(sources: &Sources) -> Vec<ConfigProblem> {
        Settings::load(sources).unwrap_err().problems
    }

    #[test]
    fn defaults_load_without_any_file() {
        let dir = tempfile::tempdir().unwrap();
        let sources = Sources {
            main_file: dir.path().join("absent.toml"),
            main_file_explicit: false,
            env: BTreeMap::new(),
            overrides: Vec::new(),
        };
        let settings = Settings::load(&sources).unwrap();
        assert_eq!(settings.http.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(settings.jobs.workers, 4);
        assert_eq!(settings.shutdown.drain_seconds, 30);
        assert!(settings.database.migrate_on_start);
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut sources = sources_with(
            dir.path(),
            "[jobs]\nworkers = 2\nmax_attempts = 3\n[http]\nlisten = \"127.0.0.1:9000\"\n",
            &[("IGNY8__JOBS__MAX_ATTEMPTS", "7"), ("OTHER", "x")],
        );
        std::fs::create_dir(dir.path().join("conf.d")).unwrap();
        std::fs::write(dir.path().join("conf.d/10-a.toml"), "[jobs]\nworkers = 5\n").unwrap();
        std::fs::write(dir.path().join("conf.d/20-b.toml"), "[jobs]\nworkers = 6\n").unwrap();
        sources
            .overrides
            .push(("http.listen", "127.0.0.1:9100".to_owned()));
        let settings = Settings::load(&sources).unwrap();
        assert_eq!(settings.jobs.workers, 6, "later drop-in wins");
        assert_eq!(settings.jobs.max_attempts, 7, "environment beats files");
        assert_eq!(
            settings.http.listen,
            "127.0.0.1:9100".parse().unwrap(),
            "flags beat everything"
        );
    }

    #[test]
    fn unknown_key_names_key_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources_with(dir.path(), "[http]\nlisen = \"127.0.0.1:1\"\n", &[]);
        let found = problems(&sources);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key.as_deref(), Some("http.lisen"));
        assert_eq!(found[0].source, sources.main_file.display().to_string());
        assert_eq!(found[0].problem, "unknown key");
    }

    #[test]
    fn unknown_environment_variable_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources_with(dir.path(), "", &[("IGNY8__JOBS__WORKRS", "3")]);
        let found = problems(&sources);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key.as_deref(), Some("jobs.workrs"));
        assert_eq!(found[0].source, "environment variable IGNY8__JOBS__WORKRS");
    }

    #[test]
    fn every_bad_value_is_reported_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources_with(
            dir.path(),
            concat!(
                "[http]\nlisten = \"localhost\"\n",
                "[log]\nformat = \"xml\"\nlevel = \"=\"\n",
                "[jobs]\nworkers = 0\n",
                "[scheduler]\nhousekeeping = \"every day\"\n",
                "[database]\nurl = \"mysql://x\"\n",
            ),
            &[],
        );
        let found = problems(&sources);
        let keys: Vec<_> = found.iter().map(|p| p.key.clone().unwrap()).collect();
        assert_eq!(
            keys,
            [
                "database.url",
                "http.listen",
                "log.level",
                "log.format",
                "jobs.workers",
                "scheduler.housekeeping"
            ]
        );
        let file = sources.main_file.display().to_string();
        assert!(found.iter().all(|p| p.source == file), "{found:?}");
        assert!(found[4].problem.contains("from 1 to 256"), "{:?}", found[4]);
    }

    #[test]
    fn wrong_type_names_key_and_source() {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources_with(dir.path(), "[jobs]\nworkers = \"many\"\n", &[]);
        let found = problems(&sources);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key.as_deref(), Some("jobs.workers"));
        assert_eq!(found[0].source, sources.main_file.display().to_string());
    }

    #[test]
    fn broken_toml_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources_with(dir.path(), "[jobs]\nworkers = \n", &[]);
        let found = problems(&sources);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].source, sources.main_file.display().to_string());
        assert!(found[0].problem.contains("line 2"), "{:?}", found[0]);
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let sources = Sources {
            main_file: dir.path().join("nope.toml"),
            main_file_explicit: true,
            env: BTreeMap::new(),
            overrides: Vec::new(),
        };
        let found = problems(&sources);
        assert!(found[0].problem.contains("does not exist"), "{found:?}");
    }

    #[test]
    fn url_file_is_read_and_password_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("db-url");
        std::fs::write(&secret, "postgres://igny8:hunter2@db.example/igny8\n").unwrap();
        let sources = sources_with(
            dir.path(),
            &format!(
                "[database]\nurl_file = {:?}\n",
                secret.display().to_string()
            ),
            &[],
        );
        let settings = Settings::load(&sources).unwrap();
        let printed = settings.to_redacted_toml();
        let debugged = format!("{settings:?}");
        assert!(!printed.contains("hunter2") && !debugged.contains("hunter2"));
        assert!(printed.contains("postgres://igny8:REDACTED@db.example/igny8"));
    }

    #[test]
    fn passwords_in_query_or_odd_places_are_redacted() {
        for (url, shown) in [
            (
                "postgres://igny8@db/igny8?password=s3cret&sslmode=require",
                "postgres://igny8@db/igny8?password=REDACTED&sslmode=require",
            ),
            (
                "postgres://igny8:p%40s3cret@db:5433/igny8",
                "postgres://igny8:REDACTED@db:5433/igny8",
            ),
            ("postgres://igny8@db/igny8", "postgres://igny8@db/igny8"),
        ] {
            assert_eq!(DatabaseUrl::parse(url).unwrap().redacted(), shown);
        }
    }

    #[test]
    fn a_later_source_may_replace_url_file_with_url() {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources_with(
            dir.path(),
            "[database]\nurl_file = \"/nonexistent\"\n",
            &[("IGNY8__DATABASE__URL", "postgres://other@db/other")],
        );
        let settings = Settings::load(&sources).unwrap();
        assert_eq!(
            settings.database.url.redacted(),
            "postgres://other@db/other"
        );
    }

    #[test]
    fn plans_rate_limits_costs_and_modules_are_checked_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources_with(
            dir.path(),
            concat!(
                "[credits.costs]\nlinking = 3\nmining = 2\n",
                "[modules.defaults]\nlinker = false\nchat = true\n",
                "[rate_limits.linker]\nper_minute = 0\n",
                "[rate_limits.search]\nper_minute = 5\n",
                "[plans.Pro]\nmonthly_credits = 10\n",
                "[plans.basic]\nbilling_cycle = \"weekly\"\ncolour = \"red\"\n",
            ),
            &[],
        );
        let found = problems(&sources);
        let keys: Vec<_> = found.iter().map(|p| p.key.clone().unwrap()).collect();
        for expected in [
            "credits.costs.mining",
            "modules.defaults.chat",
            "rate_limits.linker.per_minute",
            "rate_limits.search",
            "plans.Pro",
            "plans.basic.billing_cycle",
            "plans.basic.colour",
        ] {
            assert!(
                keys.iter().any(|k| k == expected),
                "{expected} not in {keys:?}"
            );
        }
        assert!(
            found
                .iter()
                .all(|p| p.source == sources.main_file.display().to_string())
        );

        std::fs::write(
            &sources.main_file,
            "[credits.costs]\nlinking = 3\n[modules.defaults]\nlinker = false\n\
             [plans.pro]\nmonthly_credits = 10\n",
        )
        .unwrap();
        let settings = Settings::load(&sources).unwrap();
        assert_eq!(settings.credits.costs.cost(Operation::Linking, 2), 6);
        assert_eq!(settings.credits.costs.cost(Operation::Clustering, 1), 10);
        assert!(!settings.modules.defaults[&Module::Linker]);
        assert!(settings.modules.defaults[&Module::Writer]);
        assert_eq!(settings.plans["pro"].monthly_credits, 10);
        assert_eq!(
            settings.rate_limits[&RateLimitGroup::Optimizer].per_minute,
            10
        );
    }

    #[test]
    fn url_and_url_file_together_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources_with(
            dir.path(),
            "[database]\nurl = \"postgres://a@b/c\"\nurl_file = \"x\"\n",
            &[],
        );
        let found = problems(&sources);
        assert_eq!(found[0].key.as_deref(), Some("database.url_file"));
    }

    #[test]
    fn example_config_documents_every_key() {
        let example = include_str!("../config/igny8.example.toml");
        let documented: toml::Table = toml::from_str(&uncomment(example)).unwrap();
        let mut effective: toml::Table =
            toml::from_str(&toml::to_string(&RawSettings::default()).unwrap()).unwrap();
        // Sites are read apart from the other keys; their example must name every key.
        effective.insert(
            "sites".to_owned(),
            toml::Value::try_from(sites_with_every_key()).unwrap(),
        );
        let mut missing = Vec::new();
        missing_keys("", &effective, &documented, &mut missing);
        assert!(missing.is_empty(), "not in the example config: {missing:?}");
        // What the example documents must also load.
        let dir = tempfile::tempdir().unwrap();
        let sources = sources_with(dir.path(), &uncomment_loadable(example), &[]);
        let settings = Settings::load(&sources).unwrap();
        let connectors: Vec<ConnectorKind> =
            settings.sites.iter().map(|s| s.site.connector()).collect();
        assert_eq!(
            connectors,
            [
                ConnectorKind::Wordpress,
                ConnectorKind::Shopify,
                ConnectorKind::Rest,
                ConnectorKind::Files
            ],
            "the example declares a site of each connector"
        );
    }

    /// Site tables with every key of every connector set, so each must be documented.
    fn sites_with_every_key() -> Vec<RawSite> {
        let wordpress = RawSite {
            name: Some("blog".to_owned()),
            account: Some(1),
            connector: Some("wordpress".to_owned()),
            base_url: Some("https://blog.example.com".to_owned()),
            username: Some("igny8".to_owned()),
            app_password: Some("secret".to_owned()),
            app_password_file: Some(PathBuf::from("blog-app-password")),
            webhook_secret: Some("0123456789abcdef".to_owned()),
            webhook_secret_file: Some(PathBuf::from("blog-webhook-secret")),
            post_types: Some(vec!["post".to_owned()]),
            schedule: Some("*/15 * * * *".to_owned()),
            push: "off".to_owned(),
            lookback_seconds: 120,
            reconcile_every_hours: 24,
            link: false,
            ..RawSite::default()
        };
        let shopify = RawSite {
            name: Some("store".to_owned()),
            account: Some(1),
            connector: Some("shopify".to_owned()),
            shop: Some("my-store.myshopify.com".to_owned()),
            api_version: Some("2025-10".to_owned()),
            access_token: Some("token".to_owned()),
            access_token_file: Some(PathBuf::from("store-access-token")),
            ..RawSite::default()
        };
        let rest = RawSite {
            name: Some("journal".to_owned()),
            account: Some(1),
            connector: Some("rest".to_owned()),
            definition: Some("ghost".to_owned()),
            base_url: Some("https://journal.example.com".to_owned()),
            api_key: Some("key".to_owned()),
            api_key_file: Some(PathBuf::from("journal-api-key")),
            ..RawSite::default()
        };
        let files = RawSite {
            name: Some("notes".to_owned()),
            account: Some(1),
            connector: Some("files".to_owned()),
            path: Some(PathBuf::from("/srv/content/notes")),
            output_path: Some(PathBuf::from("/srv/content/notes-processed")),
            ..RawSite::default()
        };
        vec![wordpress, shopify, rest, files]
    }

    fn missing_keys(prefix: &str, want: &toml::Table, have: &toml::Table, out: &mut Vec<String>) {
        for (key, value) in want {
            let path = format!("{prefix}{key}");
            match (value, have.get(key)) {
                // Maps that are empty by default (plans) are described in prose.
                (toml::Value::Table(inner), None) if inner.is_empty() => {}
                (_, None) => out.push(path),
                (toml::Value::Table(inner), Some(toml::Value::Table(have_inner))) => {
                    missing_keys(&format!("{path}."), inner, have_inner, out);
                }
                // Arrays of tables: each wanted table's keys, against every documented one's.
                (toml::Value::Array(wanted), Some(toml::Value::Array(documented))) => {
                    let mut union = toml::Table::new();
                    for table in documented.iter().filter_map(toml::Value::as_table) {
                        union.extend(table.clone());
                    }
                    for table in wanted.iter().filter_map(toml::Value::as_table) {
                        missing_keys(&format!("{path}[]."), table, &union, out);
                    }
                }
                _ => {}
            }
        }
    }

    /// The uncommented example without its alternatives (url_file beside url, a password file
    /// beside a password).
    fn uncomment_loadable(text: &str) -> String {
        uncomment(text)
            .lines()
            .filter(|line| {
                !line.starts_with("url_file = ")
                    && !line.starts_with("app_password_file = ")
                    && !line.starts_with("webhook_secret_file = ")
                    && !line.starts_with("api_key_file = ")
                    && !line.starts_with("access_token_file = ")
                    && !line.starts_with("prompts_dir = ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The example file shows every key commented out with its default; uncommenting the
    /// `# key = value` lines (and `# [[array]]` headers) must give a valid document.
    fn uncomment(text: &str) -> String {
        text.lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest)
                    if rest.split_once(" = ").is_some_and(|(key, _)| {
                        !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    }) =>
                {
                    rest
                }
                Some(rest) if rest.starts_with("[[") && rest.ends_with("]]") => rest,
                _ => line,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn site_problems(main: &str, env: &[(&str, &str)]) -> Vec<(String, String)> {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources_with(dir.path(), main, env);
        problems(&sources)
            .into_iter()
            .map(|p| (p.key.unwrap_or_default(), p.problem))
            .collect()
    }

    fn has_problem(found: &[(String, String)], key: &str, needle: &str) {
        assert!(
            found.iter().any(|(k, p)| k == key && p.contains(needle)),
            "no problem at {key} containing {needle:?} in {found:#?}"
        );
    }

    #[test]
    fn sites_add_up_across_files_and_keep_their_passwords_secret() {
        let dir = tempfile::tempdir().unwrap();
        let password_file = dir.path().join("shop-password");
        std::fs::write(&password_file, "from a file\n").unwrap();
        let sources = sources_with(
            dir.path(),
            concat!(
                "[[sites]]\nname = \"blog\"\naccount = 1\nconnector = \"wordpress\"\n",
                "base_url = \"https://blog.example.com\"\nusername = \"igny8\"\n",
                "app_password = \"hunter2 hunter2\"\nschedule = \"*/15 * * * *\"\npush = \"review\"\n",
                "webhook_secret = \"swordfish-swordfish\"\n",
            ),
            &[],
        );
        std::fs::create_dir(dir.path().join("conf.d")).unwrap();
        std::fs::write(
            dir.path().join("conf.d/shop.toml"),
            format!(
                "[[sites]]\nname = \"shop\"\naccount = 2\nconnector = \"wordpress\"\n\
                 base_url = \"http://localhost:8080/shop\"\nusername = \"igny8\"\n\
                 app_password_file = {:?}\npost_types = [\"product\"]\nlink = true\n",
                password_file.display().to_string()
            ),
        )
        .unwrap();
        let settings = Settings::load(&sources).unwrap();
        let [blog, shop] = settings.sites.as_slice() else {
            panic!("expected two sites, got {:?}", settings.sites);
        };
        assert_eq!(blog.site.name.as_str(), "blog");
        assert_eq!(blog.account, AccountId::new(1));
        assert_eq!(blog.site.push_policy, PushPolicy::Review);
        assert_eq!(
            blog.site.options,
            ConnectorOptions::Wordpress {
                username: Some(SiteUsername::parse("igny8").unwrap()),
                post_types: PostType::defaults(),
            },
            "post and page by default"
        );
        assert_eq!(blog.site.lookback_seconds, 120);
        assert_eq!(blog.site.reconcile_every_hours, 24);
        assert!(!blog.site.link_enabled);
        assert_eq!(
            blog.password,
            Some(SitePassword::Inline(AppPassword::new("hunter2hunter2")))
        );
        assert_eq!(shop.password, Some(SitePassword::File(password_file)));
        assert_eq!(
            blog.webhook_secret,
            Some(SitePassword::Inline(AppPassword::new(
                "swordfish-swordfish"
            )))
        );
        assert_eq!(shop.webhook_secret, None);
        assert_eq!(blog.site.webhook_secret_ref, None, "set when reconciled");
        assert!(matches!(
            &shop.site.options,
            ConnectorOptions::Wordpress { post_types, .. }
                if post_types == &[PostType::parse("product").unwrap()]
        ));
        assert!(shop.site.link_enabled);
        assert!(
            shop.declared_at.ends_with("shop.toml: sites[0]"),
            "{}",
            shop.declared_at
        );

        let printed = settings.to_redacted_toml();
        let debugged = format!("{settings:?}");
        for shown in [&printed, &debugged] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!shown.contains("swordfish"), "{shown}");
        }
        assert!(printed.contains("app_password = \"REDACTED\""), "{printed}");
        assert!(
            printed.contains("webhook_secret = \"REDACTED\""),
            "{printed}"
        );
        assert!(printed.contains("shop-password"), "{printed}");
    }

    #[test]
    fn sites_of_every_connector_load_with_their_options() {
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("journal-key");
        std::fs::write(&token_file, "id:secret\n").unwrap();
        let sources = sources_with(
            dir.path(),
            &format!(
                "[[sites]]\nname = \"store\"\naccount = 1\nconnector = \"shopify\"\n\
                 shop = \"Store.myshopify.com\"\naccess_token = \"shpat_topsecret\"\n\
                 [[sites]]\nname = \"journal\"\naccount = 1\nconnector = \"rest\"\n\
                 definition = \"ghost\"\nbase_url = \"https://journal.example\"\n\
                 api_key_file = {:?}\n\
                 [[sites]]\nname = \"notes\"\naccount = 1\nconnector = \"files\"\n\
                 path = \"/srv/notes\"\n",
                token_file.display().to_string()
            ),
            &[],
        );
        let settings = Settings::load(&sources).unwrap();
        let [store, journal, notes] = settings.sites.as_slice() else {
            panic!("expected three sites, got {:?}", settings.sites);
        };
        assert_eq!(
            store.site.options,
            ConnectorOptions::Shopify {
                shop: ShopDomain::parse("store.myshopify.com").unwrap(),
                api_version: ShopifyApiVersion::DEFAULT,
            }
        );
        assert_eq!(
            store.site.base_url.as_ref().map(SiteUrl::as_str),
            Some("https://store.myshopify.com/"),
            "the Admin API lives on the permanent domain"
        );
        assert_eq!(
            store.password,
            Some(SitePassword::Inline(AppPassword::new("shpat_topsecret")))
        );
        assert_eq!(
            journal.site.options,
            ConnectorOptions::Rest {
                definition: DefinitionName::parse("ghost").unwrap()
            }
        );
        assert_eq!(journal.password, Some(SitePassword::File(token_file)));
        assert_eq!(
            notes.site.options,
            ConnectorOptions::Files {
                path: PathBuf::from("/srv/notes"),
                output_path: None,
            }
        );
        assert_eq!(notes.site.base_url, None);
        let printed = settings.to_redacted_toml();
        assert!(!printed.contains("topsecret"), "{printed}");
        assert!(printed.contains("access_token = "), "{printed}");
        assert!(printed.contains("api_key_file = "), "{printed}");
        assert!(
            printed.contains("shop = \"store.myshopify.com\""),
            "{printed}"
        );
    }

    #[test]
    fn every_site_problem_names_its_key() {
        let found = site_problems(
            concat!(
                // 0: a value wrong in every checked key, and an unknown key.
                "[[sites]]\nname = \"Blog\"\naccount = 0\nconnector = \"wordpress\"\n",
                "base_url = \"ftp://blog.example.com\"\npost_types = []\n",
                "schedule = \"every day\"\npush = \"always\"\nlookback_seconds = 90000\n",
                "reconcile_every_hours = 0\ncolour = \"red\"\n",
                // 1: a username without a password.
                "[[sites]]\nname = \"one\"\naccount = 1\nconnector = \"wordpress\"\n",
                "base_url = \"https://one.example\"\nusername = \"igny8\"\n",
                // 2: both kinds of password.
                "[[sites]]\nname = \"two\"\naccount = 1\nconnector = \"wordpress\"\n",
                "base_url = \"https://two.example\"\nusername = \"igny8\"\napp_password = \"x\"\n",
                "app_password_file = \"/nonexistent\"\n",
                // 3: a password in the clear to another machine.
                "[[sites]]\nname = \"three\"\naccount = 1\nconnector = \"wordpress\"\n",
                "base_url = \"http://three.example\"\nusername = \"igny8\"\napp_password = \"x\"\n",
                // 4 and 5: the same name twice.
                "[[sites]]\nname = \"shop\"\naccount = 1\nconnector = \"wordpress\"\n",
                "base_url = \"https://shop.example\"\n",
                "[[sites]]\nname = \"shop\"\naccount = 2\nconnector = \"wordpress\"\n",
                "base_url = \"https://shop2.example\"\n",
                // 6: nothing required given.
                "[[sites]]\nlink = true\n",
                // 7: a password without a username, a post type twice.
                "[[sites]]\nname = \"seven\"\naccount = 1\nconnector = \"wordpress\"\n",
                "base_url = \"https://seven.example\"\napp_password = \"x\"\n",
                "post_types = [\"post\", \"post\"]\n",
                // 8: an unreadable password file; a number of the wrong type.
                "[[sites]]\nname = \"eight\"\naccount = 1\nconnector = \"wordpress\"\n",
                "base_url = \"https://eight.example\"\nusername = \"igny8\"\n",
                "app_password_file = \"/nonexistent/password\"\n",
                "[[sites]]\nname = \"nine\"\naccount = \"one\"\n",
                // 10: both kinds of webhook secret.
                "[[sites]]\nname = \"ten\"\naccount = 1\nconnector = \"wordpress\"\n",
                "base_url = \"https://ten.example\"\nwebhook_secret = \"0123456789abcdef\"\n",
                "webhook_secret_file = \"/nonexistent/secret\"\n",
                // 11: a webhook secret too short; 12: an unreadable webhook secret file.
                "[[sites]]\nname = \"eleven\"\naccount = 1\nconnector = \"wordpress\"\n",
                "base_url = \"https://eleven.example\"\nwebhook_secret = \"short\"\n",
                "[[sites]]\nname = \"twelve\"\naccount = 1\nconnector = \"wordpress\"\n",
                "base_url = \"https://twelve.example\"\n",
                "webhook_secret_file = \"/nonexistent/secret\"\n",
                // 13: an unknown connector.
                "[[sites]]\nname = \"thirteen\"\naccount = 1\nconnector = \"gopher\"\n",
                // 14: a Shopify site with WordPress keys, a base_url, no token, a bad shop
                // and a version that is not a release.
                "[[sites]]\nname = \"fourteen\"\naccount = 1\nconnector = \"shopify\"\n",
                "shop = \"fourteen.example.com\"\napi_version = \"2025-02\"\n",
                "base_url = \"https://fourteen.example\"\nusername = \"igny8\"\n",
                // 15: a REST site without a definition or base_url, with a folder key.
                "[[sites]]\nname = \"fifteen\"\naccount = 1\nconnector = \"rest\"\n",
                "path = \"/srv/fifteen\"\n",
                // 16: a folder site with a relative path, a webhook secret, both tokens of
                // another connector.
                "[[sites]]\nname = \"sixteen\"\naccount = 1\nconnector = \"files\"\n",
                "path = \"content\"\nwebhook_secret = \"0123456789abcdef\"\n",
                "access_token = \"x\"\n",
            ),
            &[],
        );
        has_problem(&found, "sites[0].name", "expected a site name");
        has_problem(&found, "sites[0].account", "1 or more");
        has_problem(&found, "sites[0].base_url", "http or https");
        has_problem(&found, "sites[0].post_types", "at least one post type");
        has_problem(&found, "sites[0].schedule", "cron expression");
        has_problem(&found, "sites[0].push", "off, review or auto");
        has_problem(&found, "sites[0].lookback_seconds", "from 0 to 86400");
        has_problem(&found, "sites[0].reconcile_every_hours", "from 1 to 8760");
        has_problem(&found, "sites[0].colour", "unknown key");
        has_problem(&found, "sites[1].app_password", "a username needs");
        has_problem(&found, "sites[2].app_password_file", "not both");
        has_problem(
            &found,
            "sites[3].base_url",
            "application passwords are sent in the clear over http; use https or a local address",
        );
        has_problem(&found, "sites[5].name", "already declared");
        for key in ["name", "account", "connector"] {
            has_problem(&found, &format!("sites[6].{key}"), "required");
        }
        has_problem(&found, "sites[7].app_password", "needs a username");
        has_problem(&found, "sites[7].post_types[1]", "listed twice");
        has_problem(&found, "sites[8].app_password_file", "cannot read");
        has_problem(&found, "sites[9].account", "invalid type");
        has_problem(
            &found,
            "sites[10].webhook_secret_file",
            "set webhook_secret or webhook_secret_file, not both",
        );
        has_problem(
            &found,
            "sites[11].webhook_secret",
            "a webhook secret needs at least 16 characters",
        );
        has_problem(&found, "sites[13].connector", "expected one of");
        has_problem(&found, "sites[14].shop", "permanent domain");
        has_problem(&found, "sites[14].api_version", "Shopify API version");
        has_problem(&found, "sites[14].base_url", "does not take base_url");
        has_problem(
            &found,
            "sites[14].username",
            "a key of the wordpress connector",
        );
        has_problem(&found, "sites[14].access_token", "needs access_token or");
        has_problem(&found, "sites[15].definition", "required");
        has_problem(&found, "sites[15].base_url", "required");
        has_problem(&found, "sites[15].path", "a key of the files connector");
        has_problem(&found, "sites[16].path", "absolute");
        has_problem(
            &found,
            "sites[16].webhook_secret",
            "does not take webhook_secret",
        );
        has_problem(
            &found,
            "sites[16].access_token",
            "a key of the shopify connector",
        );
        has_problem(&found, "sites[12].webhook_secret_file", "cannot read");
        assert!(
            !found.iter().any(|(key, _)| key.starts_with("sites[4]")),
            "the first of two equal names is fine: {found:#?}"
        );
    }

    #[test]
    fn sites_come_only_from_tables_in_files() {
        has_problem(
            &site_problems("sites = \"blog\"\n", &[]),
            "sites",
            "expected [[sites]] tables",
        );
        has_problem(
            &site_problems("sites = [1]\n", &[]),
            "sites[0]",
            "expected a table",
        );
        has_problem(
            &site_problems("", &[("IGNY8__SITES__0__NAME", "blog")]),
            "sites",
            "configuration files, not in the environment",
        );
    }
}
