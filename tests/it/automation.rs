//! Automation rules: events written with their change and processed once, schedule rules fired
//! once across schedulers, limits that hold under concurrent executions, the depth limit,
//! disabled modules, retries, and the API.

use chrono::{TimeZone, Utc};
use futures::future::join_all;
use igny8::automation::Automation;
use igny8::automation::schedules::RuleSchedules;
use igny8::domain::content::{ContentSource, EntryPoint};
use igny8::domain::credits::IdempotencyKey;
use igny8::domain::ids::{AccountId, ContentId, ScheduledTaskId};
use igny8::domain::module::Module;
use igny8::domain::role::Role;
use igny8::domain::site::{ConnectorKind, PushPolicy, SiteName};
use igny8::jobs::scheduler::Scheduler;
use igny8::processing::RunKey;
use igny8::store::Store;
use igny8::store::credits::AdditionKind;
use igny8::store::modules::ModuleOverride;
use igny8::store::scheduled_tasks::ScheduledTask;
use igny8::store::sites::{Site, SiteSpec};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::sync::Arc;

use crate::processing::{FRENCH_PRESS, NEEDS_WORK, POUR_OVER, pull_posts};
use crate::support::{TestApp, database_url, settings_for};

pub struct Fixture {
    pub pool: PgPool,
    pub store: Store,
    pub automation: Automation,
    pub site: Site,
}

impl Fixture {
    pub async fn new(pool: PgPool, credits: i64, extra: &str) -> Fixture {
        let store = Store::from_pool(pool.clone());
        let account = store.create_account("Brew", None).await.unwrap();
        let spec = SiteSpec {
            name: SiteName::parse("brew").unwrap(),
            connector: ConnectorKind::Wordpress,
            base_url: Some(crate::processing::SITE_URL.to_owned()),
            credentials_ref: None,
            settings: json!({}),
            schedule: None,
            push_policy: PushPolicy::Off,
            link_enabled: false,
        };
        let site = store.upsert_site(account.id, &spec, false).await.unwrap();
        let f = Fixture {
            automation: automation_on(&pool, &store, extra),
            pool,
            store,
            site,
        };
        f.add_credits(credits, "initial").await;
        f
    }

    pub fn account(&self) -> AccountId {
        self.site.account_id
    }

    pub async fn add_credits(&self, credits: i64, key: &str) {
        if credits > 0 {
            self.store
                .add_credits(
                    self.account(),
                    AdditionKind::Add,
                    credits,
                    &IdempotencyKey::parse(key).unwrap(),
                    "initial_credits",
                    None,
                )
                .await
                .unwrap();
        }
    }

    pub async fn rule(&self, rule: Value) -> i64 {
        self.automation
            .create_rule(self.account(), &rule)
            .await
            .unwrap()
            .id
            .get()
    }

    pub async fn pull(&self, posts: &[(&str, &str, &str)]) -> Vec<ContentId> {
        pull_posts(&self.pool, &self.store, &self.site, posts).await
    }

    /// Runs every pending execution, all at once.
    pub async fn run_pending(&self) -> usize {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM scheduled_tasks WHERE status = 'pending' ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap();
        let runs = ids.iter().map(|id| {
            self.automation
                .run_task(self.account(), ScheduledTaskId::new(*id))
        });
        for result in join_all(runs).await {
            result.unwrap();
        }
        ids.len()
    }

    pub async fn tasks(&self) -> Vec<ScheduledTask> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM scheduled_tasks ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for id in ids {
            tasks.push(
                self.store
                    .scheduled_task(self.account(), ScheduledTaskId::new(id))
                    .await
                    .unwrap(),
            );
        }
        tasks
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// An automation service on its own pool, as a freshly started daemon would have.
pub fn automation_on(pool: &PgPool, store: &Store, extra: &str) -> Automation {
    let settings = settings_for(pool, extra);
    let ai = igny8::app::ai_provider(&settings).unwrap();
    Automation::new(
        &settings,
        store.clone(),
        igny8::app::processing(&settings, store),
        igny8::app::planner(&settings, store, ai.clone()),
        igny8::app::writer(&settings, store, ai),
    )
}

async fn fresh_daemon(pool: &PgPool) -> Automation {
    let fresh = PgPool::connect(&database_url(pool)).await.unwrap();
    automation_on(pool, &Store::from_pool(fresh.clone()), "")
}

fn synced_rule(name: &str, actions: Value) -> Value {
    json!({
        "name": name,
        "trigger_type": "content_synced",
        "conditions": [{"field": "content.source", "operator": "eq", "value": "wordpress"}],
        "actions": actions,
    })
}

#[sqlx::test]
async fn an_event_commits_with_its_change_and_a_fresh_worker_processes_it_exactly_once(
    pool: PgPool,
) {
    let f = Fixture::new(pool.clone(), 0, "").await;
    // Without a rule for synced content, a pull writes no events.
    f.pull(&[FRENCH_PRESS]).await;
    assert_eq!(f.count("SELECT count(*) FROM domain_events").await, 0);

    f.rule(synced_rule(
        "Push synced",
        json!([{"type": "push_content"}]),
    ))
    .await;
    // A rolled-back change leaves no event.
    let item = igny8::connector::remote::RemoteItem {
        external_type: "post".to_owned(),
        external_id: "99".to_owned(),
        remote_modified: Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap(),
        remote_status: "publish".to_owned(),
        title: "Rolled back".to_owned(),
        content_raw: "<p>Never committed.</p>".to_owned(),
        content_rendered: None,
        excerpt: None,
        slug: None,
        external_url: None,
        author: None,
        categories: Vec::new(),
        tags: Vec::new(),
        featured_media: None,
        focus_keyphrase: None,
        meta_description: None,
        published_at: None,
        metadata: json!({}),
    };
    let mut tx = f.store.begin().await.unwrap();
    Store::upsert_pulled(
        &mut tx,
        f.account(),
        f.site.id,
        ContentSource::Wordpress,
        &[item],
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(f.count("SELECT count(*) FROM domain_events").await, 0);

    // A committed pull: one event per created or changed body; the unchanged one has none.
    let ids = f.pull(&[FRENCH_PRESS, POUR_OVER]).await;
    let events: Vec<(i64, Value)> =
        sqlx::query_as("SELECT subject_id, payload FROM domain_events ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, ids[1].get());
    assert_eq!(events[0].1["content"]["title"], "Pour-over basics");
    assert_eq!(events[0].1["content"]["created"], true);

    // The daemon that made the change is gone before any worker looked: a new one, with
    // pools of its own, finds the event; two of them at once create one execution.
    let (first, second) = (fresh_daemon(&pool).await, fresh_daemon(&pool).await);
    let (a, b) = tokio::join!(first.process_events(), second.process_events());
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(fresh_daemon(&pool).await.process_events().await.unwrap(), 0);
    assert_eq!(
        f.count("SELECT count(*) FROM domain_events WHERE processed_at IS NULL")
            .await,
        0
    );
    assert_eq!(f.count("SELECT count(*) FROM scheduled_tasks").await, 1);
    assert_eq!(
        f.count("SELECT count(*) FROM jobs WHERE kind = 'automation.execute'")
            .await,
        1
    );

    assert_eq!(f.run_pending().await, 1);
    let task = &f.tasks().await[0];
    assert_eq!(task.status, "completed", "{task:?}");
    assert_eq!(task.trigger_type, "content_synced");
    assert_eq!(task.result[0]["type"], "push_content");
    assert_eq!(task.result[0]["outcome"], "completed");
    // Run again (a redelivered job): nothing happens twice.
    f.automation.run_task(f.account(), task.id).await.unwrap();
    assert_eq!(f.tasks().await[0].attempts, 1);
}

#[sqlx::test]
async fn the_daily_limit_holds_under_concurrent_events(pool: PgPool) {
    let f = Fixture::new(pool, 0, "").await;
    let mut rule = synced_rule("Three a day", json!([{"type": "push_content"}]));
    rule["max_executions_per_day"] = json!(3);
    f.rule(rule).await;
    let posts: Vec<(String, String, String)> = (0..10)
        .map(|i| {
            (
                format!("{}", 100 + i),
                format!("Post {i}"),
                format!("<p>Body {i}.</p>"),
            )
        })
        .collect();
    let posts: Vec<(&str, &str, &str)> = posts
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    f.pull(&posts).await;
    assert_eq!(f.automation.process_events().await.unwrap(), 10);

    assert_eq!(f.run_pending().await, 10);
    let tasks = f.tasks().await;
    let completed = tasks.iter().filter(|t| t.status == "completed").count();
    let skipped: Vec<&ScheduledTask> = tasks.iter().filter(|t| t.status == "skipped").collect();
    assert_eq!((completed, skipped.len()), (3, 7));
    for task in skipped {
        assert!(
            task.skip_reason
                .as_deref()
                .unwrap()
                .starts_with("daily limit reached"),
            "{task:?}"
        );
    }
    assert_eq!(
        f.count("SELECT execution_count_today::bigint FROM automation_rules")
            .await,
        3
    );
}

#[sqlx::test]
async fn the_credit_limit_stops_an_execution_before_the_action_that_would_pass_it(pool: PgPool) {
    let f = Fixture::new(pool, 100, "").await;
    let ids = f.pull(&[FRENCH_PRESS, POUR_OVER]).await;
    let post = ids[1].get();
    let twice = f
        .rule(json!({
            "name": "Link twice",
            "trigger_type": "content_synced",
            "actions": [{"type": "link_content"}, {"type": "link_content"}],
            "credit_limit_per_execution": 10,
        }))
        .await;
    let context = json!({"content": {"id": post}});
    f.automation
        .execute(
            f.account(),
            igny8::domain::ids::RuleId::new(twice),
            Some(context.clone()),
            None,
        )
        .await
        .unwrap();
    f.run_pending().await;
    let task = &f.tasks().await[0];
    assert_eq!(task.status, "failed", "{task:?}");
    assert_eq!(task.error_code.as_deref(), Some("credit_limit_exceeded"));
    assert_eq!(task.credits_used, 8);
    assert_eq!(task.result[0]["outcome"], "completed");
    assert_eq!(task.result[0]["output"]["links_added"], 1);
    assert_eq!(task.result[1]["outcome"], "failed");
    assert_eq!(task.result.as_array().unwrap().len(), 2);

    // Many executions at once, each allowed less than one link: none charges anything.
    let tight = f
        .rule(json!({
            "name": "Too tight",
            "trigger_type": "content_synced",
            "actions": [{"type": "link_content"}],
            "credit_limit_per_execution": 5,
        }))
        .await;
    for _ in 0..6 {
        f.automation
            .execute(
                f.account(),
                igny8::domain::ids::RuleId::new(tight),
                Some(context.clone()),
                None,
            )
            .await
            .unwrap();
    }
    let before = f.store.balance(f.account()).await.unwrap();
    assert_eq!(f.run_pending().await, 6);
    let tight_tasks: Vec<ScheduledTask> = f
        .tasks()
        .await
        .into_iter()
        .filter(|t| t.rule_id.map(|r| r.get()) == Some(tight))
        .collect();
    assert_eq!(tight_tasks.len(), 6);
    for task in &tight_tasks {
        assert_eq!(task.status, "failed");
        assert_eq!(task.error_code.as_deref(), Some("credit_limit_exceeded"));
        assert_eq!(task.credits_used, 0);
    }
    assert_eq!(f.store.balance(f.account()).await.unwrap(), before);
}

#[sqlx::test]
async fn a_self_triggering_rule_stops_at_the_depth_limit(pool: PgPool) {
    let f = Fixture::new(pool, 100, "[automation]\nmax_depth = 2\n").await;
    let ids = f.pull(&[NEEDS_WORK]).await;
    // Each optimization saved is an event that fires the rule, which optimizes again.
    f.rule(json!({
        "name": "Optimize again",
        "trigger_type": "content_optimized",
        "actions": [{"type": "optimize_content"}],
    }))
    .await;
    let processing = igny8::app::processing(&settings_for(&f.pool, ""), &f.store);
    processing
        .optimize(
            f.account(),
            ids[0],
            EntryPoint::Manual,
            &RunKey::request(None),
        )
        .await
        .unwrap();
    for _ in 0..10 {
        if f.automation.process_events().await.unwrap() == 0 {
            break;
        }
        f.run_pending().await;
    }
    let tasks = f.tasks().await;
    let statuses: Vec<&str> = tasks.iter().map(|t| t.status.as_str()).collect();
    // Depths 0, 1 and 2 run; the event at depth 3 is evaluated no further.
    assert_eq!(
        statuses,
        ["completed", "completed", "completed", "skipped"],
        "{tasks:?}"
    );
    let last = tasks.last().unwrap();
    assert!(
        last.skip_reason
            .as_deref()
            .unwrap()
            .starts_with("depth limit"),
        "{last:?}"
    );
    assert_eq!(last.causation.as_array().unwrap().len(), 3);
    let depths: Vec<i32> = sqlx::query_scalar("SELECT depth FROM domain_events ORDER BY id")
        .fetch_all(&f.pool)
        .await
        .unwrap();
    assert_eq!(depths, [0, 1, 2, 3]);
    assert_eq!(
        f.count("SELECT count(*) FROM domain_events WHERE processed_at IS NULL")
            .await,
        0
    );
}

#[sqlx::test]
async fn a_disabled_modules_action_is_skipped_with_the_reason(pool: PgPool) {
    let f = Fixture::new(pool, 100, "").await;
    let ids = f.pull(&[FRENCH_PRESS, POUR_OVER]).await;
    f.store
        .set_modules(
            f.account(),
            &[
                ModuleOverride {
                    module: Module::Linker,
                    enabled: false,
                    settings: json!({}),
                },
                ModuleOverride {
                    module: Module::Planner,
                    enabled: false,
                    settings: json!({}),
                },
            ],
        )
        .await
        .unwrap();
    let rule = f
        .rule(json!({
            "name": "Link and cluster",
            "trigger_type": "schedule",
            "schedule": "0 * * * *",
            "actions": [
                {"type": "link_content", "params": {"content_id": ids[1].get()}},
                {"type": "cluster_keywords", "params": {"keyword_id": 1}},
                {"type": "push_content", "params": {"content_id": ids[1].get()}},
            ],
        }))
        .await;
    f.automation
        .execute(
            f.account(),
            igny8::domain::ids::RuleId::new(rule),
            None,
            None,
        )
        .await
        .unwrap();
    f.run_pending().await;
    let task = &f.tasks().await[0];
    assert_eq!(task.status, "completed", "{task:?}");
    assert_eq!(task.result[0]["outcome"], "skipped");
    assert_eq!(task.result[0]["reason"], "the linker module is disabled");
    assert_eq!(task.result[1]["outcome"], "skipped");
    assert_eq!(task.result[1]["reason"], "the planner module is disabled");
    assert_eq!(task.result[2]["outcome"], "completed");
    assert_eq!(task.credits_used, 0);
}

#[sqlx::test]
async fn a_failed_task_is_retried_with_the_same_context_once(pool: PgPool) {
    let f = Fixture::new(pool, 0, "").await;
    let ids = f.pull(&[NEEDS_WORK]).await;
    let rule = f
        .rule(json!({
            "name": "Optimize",
            "trigger_type": "content_synced",
            "actions": [{"type": "optimize_content"}],
        }))
        .await;
    let context = json!({"content": {"id": ids[0].get()}});
    let (task, created) = f
        .automation
        .execute(
            f.account(),
            igny8::domain::ids::RuleId::new(rule),
            Some(context.clone()),
            Some(&IdempotencyKey::parse("run-1").unwrap()),
        )
        .await
        .unwrap();
    assert!(created);
    f.run_pending().await;
    let failed = f.store.scheduled_task(f.account(), task.id).await.unwrap();
    assert_eq!(failed.status, "failed");
    assert_eq!(failed.error_code.as_deref(), Some("insufficient_credits"));

    f.add_credits(50, "top-up").await;
    let retried = f.automation.retry(f.account(), task.id).await.unwrap();
    assert_eq!(retried.status, "pending");
    assert!(matches!(
        f.automation.retry(f.account(), task.id).await,
        Err(igny8::automation::AutomationError::NotRetryable(status)) if status == "pending"
    ));
    f.run_pending().await;
    let done = f.store.scheduled_task(f.account(), task.id).await.unwrap();
    assert_eq!(done.status, "completed", "{done:?}");
    assert_eq!(done.trigger_context, context);
    assert_eq!(done.attempts, 2);
    assert!(done.credits_used > 0);
    assert!(done.error.is_none());
    // Counted once in the day, though it ran twice.
    assert_eq!(
        f.count("SELECT execution_count_today::bigint FROM automation_rules")
            .await,
        1
    );
    // The same Idempotency-Key answers with the first run.
    let (again, created) = f
        .automation
        .execute(
            f.account(),
            igny8::domain::ids::RuleId::new(rule),
            Some(context),
            Some(&IdempotencyKey::parse("run-1").unwrap()),
        )
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, task.id);
}

#[sqlx::test]
async fn a_cron_rule_fires_once_per_tick_with_two_schedulers(pool: PgPool) {
    let f = Fixture::new(pool, 0, "").await;
    let rule = f
        .rule(json!({
            "name": "Hourly push",
            "trigger_type": "schedule",
            "schedule": "30 * * * *",
            "timezone": "Asia/Kolkata",
            "actions": [{"type": "push_content", "params": {"content_id": 1}}],
        }))
        .await;
    let started = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
    let scheduler = || {
        Scheduler::new(f.store.clone(), Vec::new(), 3, started)
            .with_source(Arc::new(RuleSchedules::new(f.store.clone())))
    };
    let (mut first, mut second) = (scheduler(), scheduler());
    // Kolkata is UTC+5:30, so "30 * * * *" there fires on the hour in UTC.
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 13, 0, 5).unwrap();
    let (a, b) = tokio::join!(first.tick(now), second.tick(now));
    let enqueued: Vec<_> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    assert_eq!(enqueued.len(), 1);
    let job = f.store.job(enqueued[0]).await.unwrap();
    assert_eq!(job.kind, "automation.fire");
    assert_eq!(
        job.run_at,
        Utc.with_ymd_and_hms(2026, 11, 26, 13, 0, 0).unwrap()
    );
    assert!(first.tick(now).await.unwrap().is_empty());

    // Even a fire handled twice (a redelivered job) makes one execution.
    let rule = igny8::domain::ids::RuleId::new(rule);
    for _ in 0..2 {
        f.automation
            .fire(f.account(), rule, job.run_at)
            .await
            .unwrap();
    }
    let tasks = f.tasks().await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].trigger_type, "schedule");
    assert_eq!(tasks[0].scheduled_for, job.run_at);
}

#[sqlx::test]
async fn the_rules_api_validates_runs_tests_and_summarizes(pool: PgPool) {
    let app = TestApp::spawn(pool, "").await;
    let (account, token) = app.account(100, Role::Admin).await;
    let (app_ref, token_ref) = (&app, &token);
    let call = move |method: Method, path: String, body: Option<Value>| async move {
        app_ref.request(method, &path, token_ref, body).await
    };

    let (status, body) = call(
        Method::POST,
        "/api/v1/automation/rules/".to_owned(),
        Some(json!({
            "name": "Bad",
            "trigger_type": "content_synced",
            "conditions": [{"field": "content.word_count", "operator": "gt", "value": 5},
                           {"field": "content.source", "operator": "like", "value": "x"}],
            "actions": [{"type": "optimize_content"}],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"]["details"]["field"], "conditions[1].operator");

    let rule = json!({
        "name": "Optimize long posts",
        "trigger_type": "content_synced",
        "conditions": [{"field": "content.word_count", "operator": "gte", "value": 500}],
        "actions": [{"type": "optimize_content"}],
        "max_executions_per_day": 5,
    });
    let (status, body) = call(
        Method::POST,
        "/api/v1/automation/rules".to_owned(),
        Some(rule.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["execution_count_today"], 0);
    let (status, _) = call(
        Method::POST,
        "/api/v1/automation/rules".to_owned(),
        Some(rule),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, body) = call(
        Method::PATCH,
        format!("/api/v1/automation/rules/{id}/"),
        Some(json!({"condition_mode": "any", "is_active": false})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let patched: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(patched["condition_mode"], "any");
    assert_eq!(patched["is_active"], false);
    assert_eq!(patched["max_executions_per_day"], 5);

    let (status, body) = call(
        Method::POST,
        format!("/api/v1/automation/rules/{id}/test"),
        Some(json!({"context": {"content": {"id": 3, "word_count": "many"}}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tested: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(tested["evaluation"]["met"], false);
    assert_eq!(
        tested["evaluation"]["conditions"][0]["outcome"],
        "type_mismatch"
    );
    assert_eq!(tested["actions"][0]["would"], "skip");
    let (_, body) = call(
        Method::POST,
        format!("/api/v1/automation/rules/{id}/test"),
        None,
    )
    .await;
    let sampled: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(sampled["sample"], true);
    assert_eq!(sampled["evaluation"]["met"], true, "{sampled}");

    let (status, body) = call(
        Method::POST,
        format!("/api/v1/automation/rules/{id}/execute/"),
        Some(json!({"context": {"content": {"id": 1, "word_count": 900}}})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let task: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(task["status"], "pending");
    assert_eq!(task["trigger_type"], "manual");
    let task_id = task["id"].as_i64().unwrap();

    let (status, body) = call(
        Method::GET,
        format!("/api/v1/automation/scheduled-tasks/?rule={id}&from=2026-01-01T00:00:00Z"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], task_id);
    let (status, body) = call(
        Method::GET,
        "/api/v1/automation/scheduled-tasks?status=finished".to_owned(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = call(
        Method::GET,
        format!("/api/v1/automation/scheduled-tasks/{task_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = call(
        Method::POST,
        format!("/api/v1/automation/scheduled-tasks/{task_id}/retry"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    let (status, body) = call(Method::GET, "/api/v1/automation/summary".to_owned(), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let summary: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(summary["total_rules"], 1);
    assert_eq!(summary["active_rules"], 0);
    assert_eq!(summary["last_24h"]["executions"], 1);

    let (status, body) = call(
        Method::GET,
        "/api/v1/automation/rules?page_size=1".to_owned(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["total"], 1);

    // Another account sees none of it.
    let (_, other) = app.account(0, Role::Admin).await;
    let (status, _) = app
        .request(
            Method::GET,
            &format!("/api/v1/automation/rules/{id}"),
            &other,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = call(
        Method::DELETE,
        format!("/api/v1/automation/rules/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(Method::GET, format!("/api/v1/automation/rules/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    app.store
        .set_modules(
            AccountId::new(account),
            &[ModuleOverride {
                module: Module::Automation,
                enabled: false,
                settings: json!({}),
            }],
        )
        .await
        .unwrap();
    let (status, body) = call(Method::GET, "/api/v1/automation/rules".to_owned(), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("module_disabled"), "{body}");
}

#[sqlx::test]
async fn the_rules_command_lists_shows_and_tests_rules(pool: PgPool) {
    let f = Fixture::new(pool.clone(), 0, "").await;
    let id = f
        .rule(json!({
            "name": "Optimize long posts",
            "trigger_type": "content_synced",
            "conditions": [{"field": "content.word_count", "operator": "gt", "value": 500}],
            "actions": [{"type": "optimize_content"}, {"type": "generate_ideas",
                         "params": {"cluster_id": 4}}],
        }))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("igny8.toml");
    std::fs::write(
        &config,
        format!("[database]\nurl = \"{}\"\n", database_url(&pool)),
    )
    .unwrap();
    let account = f.account().to_string();
    let igny8 = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_igny8"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };

    let listed = igny8(&["rules", "list", "--account", &account]);
    assert!(listed.contains("Optimize long posts"), "{listed}");
    assert!(listed.contains("content_synced"), "{listed}");
    let shown: Value = serde_json::from_str(&igny8(&[
        "rules",
        "show",
        &id.to_string(),
        "--account",
        &account,
    ]))
    .unwrap();
    assert_eq!(shown["conditions"][0]["operator"], "gt");

    let tested = igny8(&[
        "rules",
        "test",
        &id.to_string(),
        "--account",
        &account,
        "--context",
        r#"{"content": {"id": 9, "word_count": "long"}}"#,
    ]);
    assert!(
        tested.contains("conditions (all) against the context: not met"),
        "{tested}"
    );
    assert!(
        tested.contains("content.word_count gt 500 -> type_mismatch (found \"long\")"),
        "{tested}"
    );
    assert!(
        tested.contains("action generate_ideas: skip (conditions not met)"),
        "{tested}"
    );
    // Nothing was written.
    assert_eq!(f.count("SELECT count(*) FROM scheduled_tasks").await, 0);
}

#[sqlx::test]
async fn a_running_daemon_turns_a_committed_change_into_a_finished_execution(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), "").await;
    let f = Fixture::new(pool, 0, "").await;
    f.rule(synced_rule(
        "Push synced",
        json!([{"type": "push_content"}]),
    ))
    .await;
    let ids = f.pull(&[FRENCH_PRESS]).await;
    let task = crate::support::eventually(
        std::time::Duration::from_secs(20),
        "the execution of the synced item",
        || async {
            let tasks = f.tasks().await;
            tasks.into_iter().find(|t| t.status == "completed")
        },
    )
    .await;
    assert_eq!(task.trigger_context["content"]["id"], ids[0].get());
    assert!(task.event_id.is_some());
    drop(app);
}

#[sqlx::test]
async fn an_event_whose_evaluation_fails_is_retried_then_set_aside_without_holding_up_others(
    pool: PgPool,
) {
    let f = Fixture::new(pool.clone(), 0, "[automation]\nmax_event_attempts = 2\n").await;
    f.rule(synced_rule(
        "Push synced",
        json!([{"type": "push_content"}]),
    ))
    .await;
    // A database error for one event only: its execution cannot be written.
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.trigger_context->'content'->>'title' = 'Poison' THEN
                 RAISE EXCEPTION 'this execution cannot be stored';
             END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER refuse_poison BEFORE INSERT ON scheduled_tasks
             FOR EACH ROW EXECUTE FUNCTION refuse_poison();",
    )
    .execute(&pool)
    .await
    .unwrap();
    f.pull(&[
        ("40", "First", "<p>One.</p>"),
        ("41", "Poison", "<p>Two.</p>"),
        ("42", "Third", "<p>Three.</p>"),
    ])
    .await;
    let poison = "SELECT attempts::bigint FROM domain_events \
                  WHERE payload->'content'->>'title' = 'Poison'";

    assert_eq!(f.automation.process_events().await.unwrap(), 3);
    assert_eq!(f.count("SELECT count(*) FROM scheduled_tasks").await, 2);
    assert_eq!(
        f.count("SELECT count(*) FROM domain_events WHERE processed_at IS NULL")
            .await,
        1
    );
    assert_eq!(f.count(poison).await, 1);
    let last_error: String = sqlx::query_scalar(
        "SELECT last_error FROM domain_events WHERE payload->'content'->>'title' = 'Poison'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        last_error.contains("this execution cannot be stored"),
        "{last_error}"
    );

    // The second failure is the last one allowed: then it is no longer claimed, and a new
    // event behind it goes through.
    assert_eq!(f.automation.process_events().await.unwrap(), 1);
    assert_eq!(f.count(poison).await, 2);
    assert_eq!(f.automation.process_events().await.unwrap(), 0);
    f.pull(&[("43", "Fourth", "<p>Four.</p>")]).await;
    assert_eq!(f.automation.process_events().await.unwrap(), 1);
    assert_eq!(f.count("SELECT count(*) FROM scheduled_tasks").await, 3);

    // Once the cause is gone, a daemon allowed more attempts takes it up again.
    sqlx::raw_sql("DROP TRIGGER refuse_poison ON scheduled_tasks")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(f.automation.process_events().await.unwrap(), 0);
    let patient = automation_on(&pool, &f.store, "[automation]\nmax_event_attempts = 3\n");
    assert_eq!(patient.process_events().await.unwrap(), 1);
    assert_eq!(f.count("SELECT count(*) FROM scheduled_tasks").await, 4);
    assert_eq!(
        f.count("SELECT count(*) FROM domain_events WHERE processed_at IS NULL")
            .await,
        0
    );
}

/// A pulled item at `modified` seconds past a fixed time.
fn pulled(
    id: &str,
    title: &str,
    body: &str,
    modified: u32,
) -> igny8::connector::remote::RemoteItem {
    igny8::connector::remote::RemoteItem {
        external_type: "post".to_owned(),
        external_id: id.to_owned(),
        remote_modified: Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, modified).unwrap(),
        remote_status: "publish".to_owned(),
        title: title.to_owned(),
        content_raw: body.to_owned(),
        content_rendered: None,
        excerpt: None,
        slug: None,
        external_url: None,
        author: None,
        categories: Vec::new(),
        tags: Vec::new(),
        featured_media: None,
        focus_keyphrase: None,
        meta_description: None,
        published_at: None,
        metadata: json!({}),
    }
}

async fn upsert(
    f: &Fixture,
    items: Vec<igny8::connector::remote::RemoteItem>,
) -> igny8::store::content::UpsertCounts {
    let mut tx = f.store.begin().await.unwrap();
    let counts = Store::upsert_pulled(
        &mut tx,
        f.account(),
        f.site.id,
        ContentSource::Wordpress,
        &items,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    counts
}

#[sqlx::test]
async fn a_pull_writes_content_synced_for_created_and_changed_bodies_only(pool: PgPool) {
    let f = Fixture::new(pool.clone(), 0, "").await;
    f.rule(synced_rule(
        "Push synced",
        json!([{"type": "push_content"}]),
    ))
    .await;
    let events = || async {
        sqlx::query_as::<_, (String, String, bool, String)>(
            "SELECT c.external_id, e.payload->'content'->>'title', \
                    (e.payload->'content'->>'created')::boolean, e.kind \
             FROM domain_events e JOIN content c ON c.id = e.subject_id ORDER BY e.id",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    upsert(
        &f,
        vec![
            pulled("1", "One", "<p>First body.</p>", 0),
            pulled("2", "Two", "<p>Second body.</p>", 0),
        ],
    )
    .await;
    let first = events().await;
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(
        first
            .iter()
            .all(|(_, _, created, kind)| *created && kind == "content_synced")
    );

    // One changed body, one new title over the same body, one new item, one re-read.
    let counts = upsert(
        &f,
        vec![
            pulled("1", "One", "<p>First body, rewritten.</p>", 5),
            pulled("2", "Two, renamed", "<p>Second body.</p>", 5),
            pulled("3", "Three", "<p>Third body.</p>", 5),
            pulled("1", "One", "<p>First body.</p>", 0),
        ],
    )
    .await;
    assert_eq!((counts.created, counts.updated), (1, 2));
    let after = events().await;
    assert_eq!(
        after[2..].to_vec(),
        vec![
            (
                "1".to_owned(),
                "One".to_owned(),
                false,
                "content_synced".to_owned()
            ),
            (
                "3".to_owned(),
                "Three".to_owned(),
                true,
                "content_synced".to_owned()
            ),
        ]
    );
    // The event carries the row as written.
    let version: i64 = sqlx::query_scalar(
        "SELECT (payload->'content'->>'version')::bigint FROM domain_events ORDER BY id OFFSET 2 LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(version, 2);
}
