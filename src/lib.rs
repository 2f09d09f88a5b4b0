//! igny8: pulls content from CMSs into PostgreSQL, improves it, and pushes it back without
//! clobbering edits made in the CMS. Modules in reading order:

/// The language-model seam: the offline and OpenAI-compatible providers.
pub mod ai;
/// The HTTP surface: health, readiness, metrics and the admin API.
pub mod api;
/// The daemon assembled from the parts above.
pub mod app;
/// Automation rules: domain events and schedules turned into executions of actions.
pub mod automation;
/// Connectors: how content is read from and written to each kind of CMS.
pub mod connector;
/// Credits: costs, holds, captures, releases, grants.
pub mod credits;
/// The offline demo: a sample site imported and run through the pipeline, with a report.
pub mod demo;
/// Ids and checked values.
pub mod domain;
/// `igny8 analyze`: HTML files analysed without a database.
pub mod file_analysis;
/// The job queue's workers, handlers and cron scheduler.
pub mod jobs;
/// Which product modules are on for an account.
pub mod modules;
/// The pure content pipeline: analysis and linking of a document's HTML.
pub mod pipeline;
/// The planner: keywords (CSV import), offline and model clustering, article ideas.
pub mod planner;
/// The pipeline run over stored content: stages, credits, modules, push hand-over, jobs.
pub mod processing;
/// Configuration reload on SIGHUP and file changes.
pub mod reload;
/// Typed configuration from defaults, files, environment and flags.
pub mod settings;
/// The two-phase graceful stop and the signals that drive it.
pub mod shutdown;
pub mod site_builder;
/// Sites: the config file's sites reconciled into the database, and the service the sites API
/// calls, with write-only credentials.
pub mod sites;
/// All SQL: one file per aggregate.
pub mod store;
/// Sync with CMSs: windowed pulls, reconciliation of deletes, re-fetches, and their jobs.
pub mod sync;
/// READY, RELOADING, STOPPING and WATCHDOG notifications to systemd.
pub mod systemd;
/// Logging and metrics set-up.
pub mod telemetry;
/// The writer: tasks, generated articles (into the pipeline) and images.
pub mod writer;
