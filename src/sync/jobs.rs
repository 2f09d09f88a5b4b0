//! The sync job kinds: pull (incremental or full, followed by the ID sweep when one is due),
//! reconcile, re-fetch of hinted items, and the per-minute tick that turns each site's own
//! cron schedule into pull jobs.

use std::sync::{Arc, RwLock};

use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::connector::ConnectorError;
use crate::connector::http::HttpClient;
use crate::connector::rest::definitions::Definitions;
use crate::domain::content::EntryPoint;
use crate::domain::ids::{AccountId, SiteId};
use crate::domain::schedule::CronSchedule;
use crate::jobs::handler::{JobContext, JobError, Registry};
use crate::jobs::scheduler::RecurringJob;
use crate::settings::Settings;
use crate::store::Store;
use crate::store::jobs::NewJob;
use crate::store::sites::Site;
use crate::store::sync_runs::{RunCounts, RunKind, Trigger};
use crate::sync::pull::{Quiet, pull};
use crate::sync::reconcile::{reconcile_run, refetch};
use crate::sync::site_connector::{Secrets, connect};

pub const PULL: &str = "sync.pull";
pub const RECONCILE: &str = "sync.reconcile";
pub const REFETCH: &str = "sync.refetch";
pub const SCHEDULE: &str = "sync.schedule";
pub const PUSH: &str = "sync.push";
pub const CHECK: &str = "sync.check";

/// How far back the schedule tick looks for a missed fire (a tick may run late).
const TICK_LOOKBACK: Duration = Duration::minutes(5);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullPayload {
    pub account_id: AccountId,
    pub site_id: SiteId,
    #[serde(default)]
    pub full: bool,
    pub trigger: Trigger,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SitePayload {
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub trigger: Trigger,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefetchPayload {
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub external_type: String,
    pub external_id: String,
}

/// A pull of one site. While one is pending or running, another is not queued.
pub fn pull_job(payload: &PullPayload, max_attempts: u32) -> NewJob {
    NewJob::new(PULL, json!(payload), max_attempts)
        .unique(format!("{PULL}:{}:{}", payload.account_id, payload.site_id))
}

pub fn reconcile_job(payload: &SitePayload, max_attempts: u32) -> NewJob {
    NewJob::new(RECONCILE, json!(payload), max_attempts).unique(format!(
        "{RECONCILE}:{}:{}",
        payload.account_id, payload.site_id
    ))
}

/// A `site check` run for the API; its diagnosis is stored among the site's capabilities.
pub fn check_job(payload: &SitePayload, max_attempts: u32) -> NewJob {
    NewJob::new(CHECK, json!(payload), max_attempts).unique(format!(
        "{CHECK}:{}:{}",
        payload.account_id, payload.site_id
    ))
}

/// A run of one site's push outbox; one at a time per site.
pub fn push_job(payload: &SitePayload, max_attempts: u32) -> NewJob {
    NewJob::new(PUSH, json!(payload), max_attempts)
        .unique(format!("{PUSH}:{}:{}", payload.account_id, payload.site_id))
}

pub fn refetch_job(payload: &RefetchPayload, max_attempts: u32) -> NewJob {
    NewJob::new(REFETCH, json!(payload), max_attempts).unique(format!(
        "{REFETCH}:{}:{}:{}:{}",
        payload.account_id, payload.site_id, payload.external_type, payload.external_id
    ))
}

/// What the sync handlers share: one HTTP client for every site, and the secrets of the
/// loaded configuration (replaced on reload).
#[derive(Clone)]
pub struct SyncServices {
    pub http: Arc<HttpClient>,
    pub secrets: Arc<RwLock<Secrets>>,
    /// The definitions `rest` sites are read through, re-read when their files change.
    pub definitions: Arc<Definitions>,
    pub max_attempts: u32,
}

impl SyncServices {
    pub fn new(
        settings: &Settings,
        secrets: Arc<RwLock<Secrets>>,
    ) -> Result<SyncServices, ConnectorError> {
        Ok(SyncServices {
            http: Arc::new(HttpClient::new(&settings.connectors)?),
            secrets,
            definitions: Arc::new(Definitions::new(
                settings.connectors.definitions_dir.clone(),
            )),
            max_attempts: settings.jobs.max_attempts,
        })
    }

    pub fn secrets(&self) -> Secrets {
        self.secrets.read().expect("secrets lock poisoned").clone()
    }
}

fn payload<T: for<'de> Deserialize<'de>>(context: &JobContext) -> Result<T, JobError> {
    serde_json::from_value(context.payload.clone())
        .map_err(|err| JobError::Permanent(format!("bad payload: {err}")))
}

async fn live_site(store: &Store, account: AccountId, id: SiteId) -> Result<Site, JobError> {
    match store.site(account, id).await {
        Ok(site) => Ok(site),
        Err(crate::store::StoreError::NotFound) => {
            Err(JobError::Skipped(format!("site {id} no longer exists")))
        }
        Err(err) => Err(err.into()),
    }
}

/// Pulls a site and, when its sweep is due (or the pull was full), reconciles it.
pub async fn run_pull(
    services: &SyncServices,
    store: &Store,
    p: &PullPayload,
) -> Result<(), JobError> {
    let site = live_site(store, p.account_id, p.site_id).await?;
    let (connector, timings) = connect(
        &site,
        services.http.clone(),
        &services.secrets(),
        &services.definitions,
    )?;
    let kind = if p.full {
        RunKind::Full
    } else {
        RunKind::Incremental
    };
    let report = pull(
        store,
        &connector,
        &site,
        kind,
        p.trigger,
        timings.lookback,
        &Quiet,
    )
    .await?;
    tracing::info!(site = %site.name, run = %report.run, fetched = report.counts.fetched,
        created = report.counts.created, updated = report.counts.updated, "Pulled a site.");
    queue_pipeline(store, &site, &report.counts, services.max_attempts).await?;
    let mut sweep_due = p.full;
    for stream in crate::connector::remote::Connector::streams(&connector) {
        let saved = store.cursor(site.account_id, site.id, &stream.name).await?;
        if saved
            .last_reconciled_at
            .is_none_or(|at| Utc::now() - at >= timings.reconcile_every)
        {
            sweep_due = true;
        }
    }
    if sweep_due {
        reconcile_run(store, &connector, &site, p.trigger).await?;
    }
    if let Some(error) = report.error {
        return Err(JobError::Permanent(error));
    }
    Ok(())
}

/// Queues the pipeline over the site's new and changed items, when a read brought any.
async fn queue_pipeline(
    store: &Store,
    site: &Site,
    counts: &RunCounts,
    max_attempts: u32,
) -> Result<(), JobError> {
    if counts.created + counts.updated == 0 {
        return Ok(());
    }
    let payload = crate::processing::jobs::SitePayload {
        account_id: site.account_id,
        site_id: site.id,
        entry_point: EntryPoint::of_source(site.connector.content_source()),
    };
    store
        .enqueue(&crate::processing::jobs::site_job(&payload, max_attempts))
        .await?;
    Ok(())
}

/// Registers the sync job kinds and returns the schedule tick.
pub fn install(registry: &mut Registry, services: SyncServices) -> RecurringJob {
    let pull_services = services.clone();
    registry.register(PULL, move |context: JobContext| {
        let services = pull_services.clone();
        async move {
            let p: PullPayload = payload(&context)?;
            run_pull(&services, &context.store, &p).await
        }
    });
    let reconcile_services = services.clone();
    registry.register(RECONCILE, move |context: JobContext| {
        let services = reconcile_services.clone();
        async move {
            let p: SitePayload = payload(&context)?;
            let site = live_site(&context.store, p.account_id, p.site_id).await?;
            let (connector, _) = connect(
                &site,
                services.http.clone(),
                &services.secrets(),
                &services.definitions,
            )?;
            reconcile_run(&context.store, &connector, &site, p.trigger).await?;
            Ok(())
        }
    });
    let refetch_services = services.clone();
    registry.register(REFETCH, move |context: JobContext| {
        let services = refetch_services.clone();
        async move {
            let p: RefetchPayload = payload(&context)?;
            let site = live_site(&context.store, p.account_id, p.site_id).await?;
            let (connector, _) = connect(
                &site,
                services.http.clone(),
                &services.secrets(),
                &services.definitions,
            )?;
            let counts = refetch(
                &context.store,
                &connector,
                &site,
                &p.external_type,
                std::slice::from_ref(&p.external_id),
            )
            .await?;
            queue_pipeline(&context.store, &site, &counts, services.max_attempts).await?;
            Ok(())
        }
    });
    let push_services = services.clone();
    registry.register(PUSH, move |context: JobContext| {
        let services = push_services.clone();
        async move {
            let p: SitePayload = payload(&context)?;
            let site = live_site(&context.store, p.account_id, p.site_id).await?;
            let (connector, _) = connect(
                &site,
                services.http.clone(),
                &services.secrets(),
                &services.definitions,
            )?;
            let summary = crate::sync::push::push_site(&context.store, &connector, &site).await?;
            tracing::info!(site = %site.name, done = summary.done, conflicts = summary.conflicts,
                failed = summary.failed, "Pushed a site's outbox.");
            Ok(())
        }
    });
    let check_services = services.clone();
    registry.register(CHECK, move |context: JobContext| {
        let services = check_services.clone();
        async move {
            let p: SitePayload = payload(&context)?;
            let site = live_site(&context.store, p.account_id, p.site_id).await?;
            let diagnosis = crate::sync::site_connector::check_site(
                &site,
                services.http.clone(),
                &services.secrets(),
                &services.definitions,
            )
            .await;
            let mut check = json!(diagnosis);
            check["checked_at"] = json!(Utc::now());
            context
                .store
                .set_site_check(site.account_id, site.id, &check)
                .await?;
            tracing::info!(site = %site.name, code = diagnosis.code, "Checked a site.");
            Ok(())
        }
    });
    let max_attempts = services.max_attempts;
    registry.register(SCHEDULE, move |context: JobContext| async move {
        let enqueued = enqueue_scheduled_pulls(&context.store, max_attempts, Utc::now()).await?;
        if enqueued > 0 {
            tracing::info!(sites = enqueued, "Queued scheduled pulls.");
        }
        Ok::<(), JobError>(())
    });
    RecurringJob {
        key: SCHEDULE.to_owned(),
        schedule: CronSchedule::parse("* * * * *").expect("every minute is a valid schedule"),
        kind: SCHEDULE.to_owned(),
        payload: json!({}),
    }
}

/// Queues a pull for every site whose schedule fired in the last few minutes, claiming each
/// fire through `cron_fires` so only one daemon queues it.
pub async fn enqueue_scheduled_pulls(
    store: &Store,
    max_attempts: u32,
    now: chrono::DateTime<Utc>,
) -> Result<u64, JobError> {
    let mut enqueued = 0;
    for site in store.all_sites().await? {
        let Some(expression) = &site.schedule else {
            continue;
        };
        let schedule = match CronSchedule::parse(expression) {
            Ok(schedule) => schedule,
            Err(err) => {
                tracing::warn!(site = %site.name, schedule = %expression, error = %err, "A site's schedule does not parse; it is not pulled on schedule.");
                continue;
            }
        };
        let Some(fire_at) = schedule.latest_fire_in(now - TICK_LOOKBACK, now) else {
            continue;
        };
        let job = pull_job(
            &PullPayload {
                account_id: site.account_id,
                site_id: site.id,
                full: false,
                trigger: Trigger::Schedule,
            },
            max_attempts,
        );
        let key = format!("site:{}:{}:pull", site.account_id, site.id);
        if store.claim_cron_fire(&key, fire_at, &job).await?.is_some() {
            enqueued += 1;
        }
    }
    Ok(enqueued)
}
