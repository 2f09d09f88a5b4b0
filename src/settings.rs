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

use crate::domain::credits::{CostTable, Operation};
use crate::domain::module::Module;
use crate::domain::schedule::CronSchedule;

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
    /// Plans declared here are created or updated by name at start-up.
    pub plans: BTreeMap<String, PlanSettings>,
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
}

impl ConnectorSettings {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds)
    }

    pub fn max_backoff(&self) -> Duration {
        Duration::from_secs(self.max_backoff_seconds)
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
    plans: BTreeMap<String, RawPlan>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct RawConnectors {
    timeout_seconds: u64,
    concurrency: u32,
    requests_per_second: u32,
    max_retries: u32,
    max_backoff_seconds: u64,
}

impl Default for ConnectorSettings {
    fn default() -> Self {
        ConnectorSettings {
            timeout_seconds: 30,
            concurrency: 2,
            requests_per_second: 4,
            max_retries: 5,
            max_backoff_seconds: 60,
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
        let Some((config, provenance)) = build_config(sources, &mut problems) else {
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
) -> Option<(Config, Provenance)> {
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
    for file in files {
        let name = file.display().to_string();
        let parsed = std::fs::read_to_string(&file)
            .map_err(|err| format!("cannot read the file: {err}"))
            .and_then(|text| {
                FileFormat::Toml
                    .parse(Some(&name), &text)
                    .map(|table| (text, table))
                    .map_err(|err| format!("not valid TOML: {}", err.to_string().trim()))
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
        Ok(config) => Some((config, provenance)),
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

        Some(Settings {
            connectors: connectors?,
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
        Some(ConnectorSettings {
            timeout_seconds: timeout_seconds?,
            concurrency: concurrency?,
            requests_per_second: requests_per_second?,
            max_retries: max_retries?,
            max_backoff_seconds: max_backoff_seconds?,
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
        self.check(key, value, |value| {
            if value < min || value > max {
                Err(format!(
                    "expected a number from {min} to {max}, found {value}"
                ))
            } else {
                Ok(value)
            }
        })
    }

    fn check<R, T>(
        &mut self,
        key: &str,
        raw: R,
        parse: impl FnOnce(R) -> Result<T, String>,
    ) -> Option<T> {
        match parse(raw) {
            Ok(value) => Some(value),
            Err(problem) => {
                self.problems.push(ConfigProblem {
                    source: self.provenance.origin_of(key),
                    key: Some(key.to_owned()),
                    problem,
                });
                None
            }
        }
    }
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
        let effective: toml::Table =
            toml::from_str(&toml::to_string(&RawSettings::default()).unwrap()).unwrap();
        let mut missing = Vec::new();
        missing_keys("", &effective, &documented, &mut missing);
        assert!(missing.is_empty(), "not in the example config: {missing:?}");
        // What the example documents must also load.
        let dir = tempfile::tempdir().unwrap();
        let sources = sources_with(dir.path(), &uncomment_loadable(example), &[]);
        Settings::load(&sources).unwrap();
    }

    fn missing_keys(prefix: &str, want: &toml::Table, have: &toml::Table, out: &mut Vec<String>) {
        for (key, value) in want {
            let path = format!("{prefix}{key}");
            match (value.as_table(), have.get(key)) {
                // Maps that are empty by default (plans) are described in prose.
                (Some(inner), None) if inner.is_empty() => {}
                (_, None) => out.push(path),
                (Some(inner), Some(toml::Value::Table(have_inner))) => {
                    missing_keys(&format!("{path}."), inner, have_inner, out);
                }
                _ => {}
            }
        }
    }

    /// The uncommented example without its alternatives (url_file beside url).
    fn uncomment_loadable(text: &str) -> String {
        uncomment(text)
            .lines()
            .filter(|line| !line.starts_with("url_file = "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The example file shows every key commented out with its default; uncommenting the
    /// `# key = value` lines must give a valid document.
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
                _ => line,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}
