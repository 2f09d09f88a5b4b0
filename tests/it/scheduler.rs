//! Recurring jobs fire once per schedule tick, however many daemons evaluate them.

use chrono::{TimeZone, Utc};
use igny8::domain::schedule::CronSchedule;
use igny8::jobs::scheduler::{RecurringJob, Scheduler};
use igny8::store::Store;
use serde_json::json;
use sqlx::PgPool;

fn every_minute() -> RecurringJob {
    RecurringJob {
        key: "report".to_owned(),
        schedule: CronSchedule::parse("* * * * *").unwrap(),
        kind: "report".to_owned(),
        payload: json!({ "scope": "all" }),
    }
}

#[sqlx::test]
async fn a_fire_claimed_by_two_schedulers_runs_once(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let started = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 30).unwrap();
    let mut first = Scheduler::new(store.clone(), vec![every_minute()], 3, started);
    let mut second = Scheduler::new(store.clone(), vec![every_minute()], 3, started);

    let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 1, 5).unwrap();
    let (a, b) = tokio::join!(first.tick(now), second.tick(now));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.len() + b.len(),
        1,
        "exactly one scheduler enqueues: {a:?} {b:?}"
    );
    let id = a.into_iter().chain(b).next().unwrap();
    let job = store.job(id).await.unwrap();
    assert_eq!(job.kind, "report");
    assert_eq!(job.payload, json!({ "scope": "all" }));
    assert_eq!(
        job.run_at,
        Utc.with_ymd_and_hms(2026, 11, 26, 12, 1, 0).unwrap()
    );

    // Ticking again within the same minute fires nothing new.
    let later = Utc.with_ymd_and_hms(2026, 11, 26, 12, 1, 50).unwrap();
    assert!(first.tick(later).await.unwrap().is_empty());
    assert!(second.tick(later).await.unwrap().is_empty());

    let (fires, jobs): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM cron_fires), (SELECT count(*) FROM jobs)")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((fires, jobs), (1, 1));
}

#[sqlx::test]
async fn after_downtime_only_the_latest_missed_fire_runs(pool: PgPool) {
    let store = Store::from_pool(pool);
    let started = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
    let mut scheduler = Scheduler::new(store.clone(), vec![every_minute()], 3, started);
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 15, 30, 10).unwrap();
    let enqueued = scheduler.tick(now).await.unwrap();
    assert_eq!(enqueued.len(), 1);
    let job = store.job(enqueued[0]).await.unwrap();
    assert_eq!(
        job.run_at,
        Utc.with_ymd_and_hms(2026, 11, 26, 15, 30, 0).unwrap()
    );
}
