//! The running daemon: built from settings, run until shutdown.
//!
//! `build` does everything that can fail at start-up (database, migrations, the configured
//! sites, listener), so the daemon either starts whole or exits with the reason before telling
//! systemd it is ready.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use anyhow::Context;
use axum::ServiceExt;
use axum::extract::Request;
use chrono::Utc;
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

use crate::ai::AiProvider;
use crate::api::rate_limit::{self, RateLimits};
use crate::api::token_cache::TokenCache;
use crate::api::{self, AppState, Services};
use crate::automation::Automation;
use crate::automation::jobs as automation_jobs;
use crate::automation::schedules::RuleSchedules;
use crate::credits::{Credits, replenishment, sweeper};
use crate::domain::site::ConnectorOptions;
use crate::jobs::handler::{Registry, error_chain};
use crate::jobs::scheduler::{RecurringJob, Scheduler};
use crate::jobs::{housekeeping, worker};
use crate::modules::Modules;
use crate::planner::Planner;
use crate::processing::Processing;
use crate::processing::jobs as processing_jobs;
use crate::settings::Settings;
use crate::shutdown::Shutdown;
use crate::site_builder::SiteBuilder;
use crate::site_builder::files::SiteFiles;
use crate::sites::Sites;
use crate::sites::config::ConfigSites;
use crate::sites::credentials::CredentialFiles;
use crate::store::Store;
use crate::sync::folder_watch;
use crate::sync::jobs::{self as sync_jobs, SyncServices};
use crate::sync::site_connector::Secrets;
use crate::systemd;
use crate::telemetry;
use crate::writer::Writer;
use crate::writer::jobs as writer_jobs;

pub struct App {
    settings: Settings,
    store: Store,
    listener: TcpListener,
    registry: Registry,
    recurring: Vec<RecurringJob>,
    sync_services: SyncServices,
    processing: Processing,
    automation: Automation,
    planner: Planner,
    writer: Writer,
    ai: Arc<dyn AiProvider>,
    config_sites: ConfigSites,
}

/// Connects to the configured database, creating it if needed.
pub async fn connect(settings: &Settings) -> anyhow::Result<Store> {
    Store::connect(&settings.database).await.with_context(|| {
        format!(
            "could not connect to the database {:?}",
            settings.database.url
        )
    })
}

/// Brings the database to what this daemon expects before anything uses it: migrations applied
/// (unless `database.migrate_on_start` is off) and the configured plans recorded. `serve` and the
/// administrative commands both start here.
pub async fn prepare(settings: &Settings, store: &Store) -> anyhow::Result<()> {
    if settings.database.migrate_on_start {
        store
            .migrate()
            .await
            .context("could not apply migrations")?;
    }
    store
        .sync_plans(&settings.plans)
        .await
        .context("could not record the configured plans")
}

/// The HTTP client and secrets every sync job and sync command uses.
pub fn sync_services(
    settings: &Settings,
    secrets: Arc<RwLock<Secrets>>,
) -> anyhow::Result<SyncServices> {
    SyncServices::new(settings, secrets)
        .map_err(|err| anyhow::anyhow!("could not set up the HTTP client: {err}"))
}

/// The processing service the jobs, the API and the CLI share.
pub fn processing(settings: &Settings, store: &Store) -> Processing {
    Processing::new(
        store.clone(),
        Credits::new(store.clone(), &settings.credits),
        Modules::new(store.clone(), settings.modules.defaults.clone()),
        &settings.linker,
        settings.jobs.max_attempts,
    )
}

/// The site builder the API uses, with its files under the data directory; it writes page
/// content through its own writer over the same provider.
pub fn site_builder(settings: &Settings, store: &Store, ai: Arc<dyn AiProvider>) -> SiteBuilder {
    SiteBuilder::new(
        store.clone(),
        Credits::new(store.clone(), &settings.credits),
        SiteFiles::new(&settings.data_dir, settings.site_builder.clone()),
        ai.clone(),
        writer(settings, store, ai),
    )
}

/// The configured language-model provider.
pub fn ai_provider(settings: &Settings) -> anyhow::Result<Arc<dyn AiProvider>> {
    crate::ai::provider(&settings.ai)
        .map_err(|err| anyhow::anyhow!("could not set up the AI provider: {err}"))
}

/// The planner service the API uses.
pub fn planner(settings: &Settings, store: &Store, ai: Arc<dyn AiProvider>) -> Planner {
    Planner::new(
        store.clone(),
        Credits::new(store.clone(), &settings.credits),
        ai,
    )
}

/// The writer service the API and the writer jobs share.
pub fn writer(settings: &Settings, store: &Store, ai: Arc<dyn AiProvider>) -> Writer {
    Writer::new(
        store.clone(),
        Credits::new(store.clone(), &settings.credits),
        ai,
        settings.jobs.max_attempts,
    )
}

impl App {
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        let store = connect(&settings).await?;
        App::build_with_store(settings, store).await
    }

    /// Builds on an existing store (tests hand in the database `#[sqlx::test]` made).
    pub async fn build_with_store(settings: Settings, store: Store) -> anyhow::Result<App> {
        prepare(&settings, &store).await?;
        let config_sites = ConfigSites::new(store.clone(), settings.data_dir.clone());
        config_sites
            .apply(&settings.sites)
            .await
            .context("could not set up the sites declared in the configuration")?;
        let listener = TcpListener::bind(settings.http.listen)
            .await
            .with_context(|| format!("could not listen on {}", settings.http.listen))?;
        let mut registry = Registry::default();
        let sync_services = sync_services(&settings, config_sites.secrets())?;
        check_definitions(&settings, &sync_services);
        let processing = processing(&settings, &store);
        processing_jobs::install(&mut registry, processing.clone());
        let ai = ai_provider(&settings)?;
        let planner = planner(&settings, &store, ai.clone());
        let writer = writer(&settings, &store, ai.clone());
        let automation = Automation::new(
            &settings,
            store.clone(),
            processing.clone(),
            planner.clone(),
            writer.clone(),
        );
        automation_jobs::install(&mut registry, automation.clone());
        writer_jobs::install(
            &mut registry,
            writer.clone(),
            &Modules::new(store.clone(), settings.modules.defaults.clone()),
        );
        let recurring = vec![
            housekeeping::install(&mut registry, &settings),
            replenishment::install(&mut registry, &settings),
            sweeper::install(&mut registry),
            sync_jobs::install(&mut registry, sync_services.clone()),
        ];
        Ok(App {
            settings,
            store,
            listener,
            registry,
            recurring,
            sync_services,
            processing,
            automation,
            planner,
            writer,
            ai,
            config_sites,
        })
    }

    /// Reconciles the configured sites again; the reloader applies new settings through it.
    pub fn config_sites(&self) -> ConfigSites {
        self.config_sites.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves, works and schedules until `shutdown` completes: HTTP stops taking requests and
    /// workers stop claiming when it begins; this returns once running jobs are settled.
    pub async fn run(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let rate_limits = Arc::new(RateLimits::new(&self.settings.rate_limits));
        let state = AppState::new(Services {
            store: self.store.clone(),
            prometheus: telemetry::prometheus(),
            credits: Credits::new(self.store.clone(), &self.settings.credits),
            modules: Modules::new(self.store.clone(), self.settings.modules.defaults.clone()),
            processing: self.processing.clone(),
            automation: self.automation.clone(),
            planner: self.planner.clone(),
            writer: self.writer.clone(),
            ai: self.ai.clone(),
            rate_limits: rate_limits.clone(),
            token_cache: Arc::new(TokenCache::new(self.settings.http.token_cache())),
            sync: self.sync_services.clone(),
            sites: Sites::new(
                self.store.clone(),
                CredentialFiles::new(self.settings.data_dir.clone()),
                self.settings.jobs.max_attempts,
            ),
            site_builder: site_builder(&self.settings, &self.store, self.ai.clone()),
        });
        // Trailing slashes are trimmed before routing, so `/api/v1/me/` is `/api/v1/me`.
        let service = NormalizePathLayer::trim_trailing_slash()
            .layer(api::router(state, &self.settings.http));
        let stopping = shutdown.stopping();
        let http = tokio::spawn(
            axum::serve(
                self.listener,
                ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(service),
            )
            .with_graceful_shutdown(stopping.clone().cancelled_owned())
            .into_future(),
        );
        tokio::spawn(prune_rate_limits(rate_limits, shutdown.clone()));
        // Dropped when the daemon stops.
        let _definitions_watcher = self.sync_services.definitions.watch();
        tokio::spawn(folder_watch::run(
            self.store.clone(),
            self.settings.jobs.max_attempts,
            shutdown.clone(),
        ));
        let workers = tokio::spawn(worker::run(
            self.store.clone(),
            self.registry,
            self.settings.jobs.clone(),
            shutdown.clone(),
        ));
        let scheduler = Scheduler::new(
            self.store.clone(),
            self.recurring,
            self.settings.jobs.max_attempts,
            Utc::now(),
        )
        .with_source(Arc::new(RuleSchedules::new(self.store.clone())));
        let events = tokio::spawn(self.automation.clone().run_event_worker(shutdown.clone()));
        let scheduler = tokio::spawn(scheduler.run(shutdown.clone()));
        if let Some(interval) = systemd::watchdog_interval() {
            tokio::spawn(watchdog(self.store.clone(), interval, shutdown.clone()));
        }
        tracing::info!(listen = %self.settings.http.listen, "Serving.");
        systemd::notify_ready();

        let (http, workers, scheduler, events) = tokio::join!(http, workers, scheduler, events);
        workers.context("the worker pool panicked")?;
        events.context("the event worker panicked")?;
        scheduler.context("the scheduler panicked")?;
        http.context("the HTTP server panicked")?
            .context("the HTTP server failed")?;
        tracing::info!("Stopped.");
        Ok(())
    }
}

/// Reads the definition of every configured `rest` site, so a broken one is in the log at
/// start-up; it stops nothing but its own sites' jobs.
fn check_definitions(settings: &Settings, services: &SyncServices) {
    for site in &settings.sites {
        if let ConnectorOptions::Rest { definition } = &site.site.options {
            // `get` logs what is wrong; the site's jobs will report it too.
            let _checked = services.definitions.get(definition);
        }
    }
}

async fn prune_rate_limits(limits: Arc<RateLimits>, shutdown: Shutdown) {
    let stopping = shutdown.stopping();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(rate_limit::PRUNE_EVERY) => limits.prune(),
            _ = stopping.cancelled() => return,
        }
    }
}

/// Pings the systemd watchdog only while the database answers, so a daemon that lost its
/// database for longer than `WatchdogSec` is restarted.
async fn watchdog(store: Store, interval: std::time::Duration, shutdown: Shutdown) {
    let period = interval / 2;
    let stopping = shutdown.stopping();
    loop {
        match tokio::time::timeout(period, store.ping()).await {
            Ok(Ok(())) => systemd::notify_watchdog(),
            Ok(Err(err)) => {
                tracing::warn!(error = %error_chain(&err), "Database ping failed; withholding the watchdog ping.");
            }
            Err(_) => tracing::warn!("Database ping timed out; withholding the watchdog ping."),
        }
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stopping.cancelled() => return,
        }
    }
}
