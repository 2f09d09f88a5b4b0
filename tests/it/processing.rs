//! The pipeline over stored content: the linker stage writes links under the item's version and
//! charges only when it changed something, stages respect modules and the site's choice, too
//! few credits stop a stage before it runs, results go to the push policy, and a site run
//! processes every waiting item.

use chrono::{TimeZone, Utc};
use igny8::connector::remote::{RemoteItem, Term};
use igny8::domain::content::{ContentSource, ContentStatus, EntryPoint, SyncStatus};
use igny8::domain::credits::IdempotencyKey;
use igny8::domain::ids::{AccountId, ContentId};
use igny8::domain::module::Module;
use igny8::domain::site::{ConnectorKind, PushPolicy, SiteName};
use igny8::modules::Modules;
use igny8::processing::{Processing, ProcessingError, RunKey};
use igny8::store::Store;
use igny8::store::credits::AdditionKind;
use igny8::store::modules::ModuleOverride;
use igny8::store::sites::{Site, SiteSpec};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::settings_for;

pub const SITE_URL: &str = "https://brew.example";

struct Fixture {
    pool: PgPool,
    store: Store,
    processing: Processing,
    site: Site,
}

impl Fixture {
    async fn new(pool: PgPool, credits: i64, push: PushPolicy, link_enabled: bool) -> Fixture {
        let settings = settings_for(&pool, "");
        let store = Store::from_pool(pool.clone());
        let account = store.create_account("Brew", None).await.unwrap();
        if credits > 0 {
            store
                .add_credits(
                    account.id,
                    AdditionKind::Add,
                    credits,
                    &IdempotencyKey::parse("initial").unwrap(),
                    "initial_credits",
                    None,
                )
                .await
                .unwrap();
        }
        let spec = SiteSpec {
            name: SiteName::parse("brew").unwrap(),
            connector: ConnectorKind::Wordpress,
            base_url: Some(SITE_URL.to_owned()),
            credentials_ref: None,
            settings: json!({}),
            schedule: None,
            push_policy: push,
            link_enabled,
        };
        let site = store.upsert_site(account.id, &spec, false).await.unwrap();
        let processing = igny8::app::processing(&settings, &store);
        Fixture {
            pool,
            store,
            processing,
            site,
        }
    }

    fn account(&self) -> AccountId {
        self.site.account_id
    }

    async fn pull(&self, posts: &[(&str, &str, &str)]) -> Vec<ContentId> {
        pull_posts(&self.pool, &self.store, &self.site, posts).await
    }

    async fn balance(&self) -> (i64, i64) {
        let balance = self.store.balance(self.account()).await.unwrap();
        (balance.credits, balance.held)
    }

    async fn row(&self, id: ContentId) -> (String, Value, i32, String, String, i64) {
        sqlx::query_as(
            "SELECT content_raw, internal_links, linker_version, status, sync_status, version \
             FROM content WHERE account_id = $1 AND id = $2",
        )
        .bind(self.account())
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }
}

/// Pulls posts into `site` as WordPress would hand them over: published, with a URL.
pub async fn pull_posts(
    pool: &PgPool,
    store: &Store,
    site: &Site,
    posts: &[(&str, &str, &str)],
) -> Vec<ContentId> {
    let items: Vec<RemoteItem> = posts
        .iter()
        .map(|&(id, title, body)| RemoteItem {
            external_type: "post".to_owned(),
            external_id: id.to_owned(),
            remote_modified: Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap(),
            remote_status: "publish".to_owned(),
            title: title.to_owned(),
            content_raw: body.to_owned(),
            content_rendered: None,
            excerpt: None,
            slug: None,
            external_url: Some(format!("{SITE_URL}/?p={id}")),
            author: None,
            categories: vec![Term {
                id: "3".to_owned(),
                name: "Brewing".to_owned(),
            }],
            tags: Vec::new(),
            featured_media: None,
            focus_keyphrase: None,
            meta_description: None,
            published_at: None,
            metadata: json!({}),
        })
        .collect();
    let mut tx = store.begin().await.unwrap();
    Store::upsert_pulled(
        &mut tx,
        site.account_id,
        site.id,
        ContentSource::Wordpress,
        &items,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut ids = Vec::new();
    for &(id, _, _) in posts {
        let row: (ContentId,) = sqlx::query_as(
            "SELECT id FROM content WHERE account_id = $1 AND site_id = $2 AND external_id = $3",
        )
        .bind(site.account_id)
        .bind(site.id)
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
        ids.push(row.0);
    }
    ids
}

pub const FRENCH_PRESS: (&str, &str, &str) = (
    "10",
    "French press",
    "<p>A French press makes a heavy, rich cup with little fuss.</p>",
);
pub const POUR_OVER: (&str, &str, &str) = (
    "11",
    "Pour-over basics",
    "<h2>French press or pour-over?</h2><p>Unlike the french press, a pour-over brewer gives a \
     clean cup. Grind finer than you would for a French press and pour slowly.</p>",
);

fn run() -> RunKey {
    RunKey::request(None)
}

#[sqlx::test]
async fn the_linker_links_once_charges_once_and_keeps_the_old_body(pool: PgPool) {
    let f = Fixture::new(pool, 100, PushPolicy::Off, true).await;
    let ids = f.pull(&[FRENCH_PRESS, POUR_OVER]).await;
    let (target, post) = (ids[0], ids[1]);

    let linking = f.processing.link(f.account(), post, &run()).await.unwrap();
    assert_eq!(linking.added.len(), 1, "{linking:?}");
    let link = &linking.added[0];
    assert_eq!(link.anchor, "french press");
    assert_eq!(link.target, target.get());
    assert_eq!(link.url, format!("{SITE_URL}/?p=10"));
    assert_eq!(link.rule, format!("title:{target}"));
    assert_eq!(linking.credits_used, 8);
    assert_eq!(f.balance().await, (92, 0));

    let (body, links, linker_version, status, sync_status, version) = f.row(post).await;
    // Never inside the heading; the first mention in the paragraph.
    assert!(
        body.starts_with(&format!(
            "<h2>French press or pour-over?</h2><p>Unlike the <a href=\"{SITE_URL}/?p=10\" data-igny8-link=\"title:{target}\">french press</a>, a pour-over"
        )),
        "{body}"
    );
    assert_eq!(links.as_array().unwrap().len(), 1);
    assert_eq!(links[0]["anchor"], "french press");
    assert_eq!(links[0]["rule"], format!("title:{target}"));
    assert_eq!((linker_version, status.as_str()), (1, "linked"));
    assert_eq!(sync_status, "synced");
    let revision: (String, String) = sqlx::query_as(
        "SELECT origin, content_raw FROM content_revisions WHERE content_id = $1 AND version = $2 - 1",
    )
    .bind(post)
    .bind(version)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!(revision, ("linker".to_owned(), POUR_OVER.2.to_owned()));

    // A second run finds the link it made: nothing changes and nothing is charged.
    let again = f.processing.link(f.account(), post, &run()).await.unwrap();
    assert!(again.added.is_empty());
    assert_eq!(again.credits_used, 0);
    assert_eq!(again.internal_links, links);
    assert_eq!(f.balance().await, (92, 0));
    assert_eq!(f.row(post).await.0, body);
}

#[sqlx::test]
async fn too_few_credits_stop_the_stage_before_it_runs(pool: PgPool) {
    let f = Fixture::new(pool, 5, PushPolicy::Off, true).await;
    let ids = f.pull(&[FRENCH_PRESS, POUR_OVER]).await;
    let before = f.row(ids[1]).await;
    let err = f
        .processing
        .link(f.account(), ids[1], &run())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProcessingError::Credits(igny8::credits::CreditError::Insufficient {
                available: 5,
                required: 8
            })
        ),
        "{err:?}"
    );
    assert_eq!(f.row(ids[1]).await, before);
    assert_eq!(f.balance().await, (5, 0));
}

#[sqlx::test]
async fn a_disabled_module_or_a_site_without_linking_skips_the_linker(pool: PgPool) {
    let f = Fixture::new(pool, 100, PushPolicy::Off, false).await;
    let ids = f.pull(&[FRENCH_PRESS, POUR_OVER]).await;
    let processed = f
        .processing
        .process(f.account(), ids[1], EntryPoint::WordpressSync, &run())
        .await
        .unwrap();
    assert!(processed.linking.is_none());
    assert_eq!(processed.skipped.len(), 1);
    assert_eq!(processed.skipped[0].stage, "linker");
    assert_eq!(
        processed.skipped[0].reason,
        "site brew does not link synced content"
    );

    // The optimizer ran and charged for its change; nothing else may move from here on.
    let before = (f.row(ids[1]).await, f.balance().await);
    Modules::new(f.store.clone(), Default::default())
        .set(
            f.account(),
            &[ModuleOverride {
                module: Module::Linker,
                enabled: false,
                settings: json!({}),
            }],
        )
        .await
        .unwrap();
    let err = f
        .processing
        .link(f.account(), ids[1], &run())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProcessingError::ModuleDisabled(Module::Linker)),
        "{err:?}"
    );
    assert_eq!((f.row(ids[1]).await, f.balance().await), before);
}

#[sqlx::test]
async fn the_push_policy_decides_what_happens_to_a_changed_body(pool: PgPool) {
    let f = Fixture::new(pool, 100, PushPolicy::Auto, true).await;
    let ids = f.pull(&[FRENCH_PRESS, POUR_OVER]).await;
    let processed = f
        .processing
        .process(f.account(), ids[1], EntryPoint::WordpressSync, &run())
        .await
        .unwrap();
    let push = processed.push.expect("a push is queued");
    let (body, _, _, _, sync_status, _) = f.row(ids[1]).await;
    assert_eq!(sync_status, "pending_push");
    let fields: (Value,) = sqlx::query_as("SELECT changed_fields FROM push_jobs WHERE id = $1")
        .bind(push)
        .fetch_one(&f.pool)
        .await
        .unwrap();
    assert_eq!(fields.0, json!({ "content": body }));
    // An item waiting for its push is not processed again until the push settles.
    let err = f
        .processing
        .process(f.account(), ids[1], EntryPoint::Manual, &run())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProcessingError::NotProcessable { .. }),
        "{err:?}"
    );
    // Nothing changed in the target, so nothing is pushed for it.
    let processed = f
        .processing
        .process(f.account(), ids[0], EntryPoint::WordpressSync, &run())
        .await
        .unwrap();
    assert_eq!(processed.push, None);
    assert_eq!(f.row(ids[0]).await.4, SyncStatus::Synced.as_str());
}

#[sqlx::test]
async fn review_sites_hold_changed_bodies_for_approval(pool: PgPool) {
    let f = Fixture::new(pool, 100, PushPolicy::Review, true).await;
    let ids = f.pull(&[FRENCH_PRESS, POUR_OVER]).await;
    let processed = f
        .processing
        .process(f.account(), ids[1], EntryPoint::WordpressSync, &run())
        .await
        .unwrap();
    assert_eq!(processed.push, None);
    assert_eq!(processed.status, ContentStatus::Review);
    assert_eq!(f.row(ids[1]).await.4, "synced");
}

#[sqlx::test]
async fn links_follow_new_targets_and_removed_rules(pool: PgPool) {
    let f = Fixture::new(pool, 100, PushPolicy::Off, true).await;
    let ids = f
        .pull(&[(
            "20",
            "Grinders",
            "<p>A burr grinder matters more than the kettle you pour with.</p>",
        )])
        .await;
    let post = ids[0];
    // Builds the site's index with no other target.
    let first = f.processing.link(f.account(), post, &run()).await.unwrap();
    assert!(first.added.is_empty());
    // A page published afterwards becomes a target without rebuilding anything by hand.
    let kettle = f
        .pull(&[("21", "Kettle", "<p>Gooseneck kettles pour slowly.</p>")])
        .await[0];
    let linked = f.processing.link(f.account(), post, &run()).await.unwrap();
    assert_eq!(linked.added.len(), 1);
    assert_eq!(linked.added[0].target, kettle.get());
    assert_eq!(f.balance().await, (92, 0));

    // A curated rule links a phrase to the kettle page...
    sqlx::query(
        "INSERT INTO link_rules (account_id, site_id, keyword, target_content_id) \
         VALUES ($1, $2, 'burr grinder', $3)",
    )
    .bind(f.account())
    .bind(f.site.id)
    .bind(kettle)
    .execute(&f.pool)
    .await
    .unwrap();
    let ruled = f.processing.link(f.account(), post, &run()).await.unwrap();
    // ...but the post already links to that target, so no second link is made.
    assert!(ruled.added.is_empty(), "{ruled:?}");
}

/// A post the optimizer has work on: an image without alt text, a second H1, a link opening a
/// new tab without `noopener`.
pub const NEEDS_WORK: (&str, &str, &str) = (
    "30",
    "Cold brew",
    "<h1>Cold brew</h1><p>Cold brew steeps coarse coffee in cold water for twelve hours. \
     The result is smooth and sweet, with little acidity.</p>\
     <p><img src=\"https://brew.example/wp-content/uploads/cold-brew-jar-1024x768.jpg\"></p>\
     <p>Read the <a href=\"https://example.org/guide\" target=\"_blank\">cold brew guide</a> \
     before you start.</p>",
);

#[sqlx::test]
async fn the_optimizer_records_its_run_and_charges_only_for_a_change(pool: PgPool) {
    let f = Fixture::new(pool, 100, PushPolicy::Off, true).await;
    let post = f.pull(&[NEEDS_WORK]).await[0];

    let optimizing = f
        .processing
        .optimize(f.account(), post, EntryPoint::Manual, &run())
        .await
        .unwrap();
    assert!(optimizing.rules.len() >= 3, "{optimizing:?}");
    assert!(optimizing.after >= optimizing.before, "{optimizing:?}");
    // 34 words: one started block of 200.
    assert_eq!(optimizing.credits_used, 1);
    assert_eq!(f.balance().await, (99, 0));

    let task: (
        String,
        String,
        String,
        String,
        Value,
        Value,
        Value,
        i64,
        Option<i64>,
    ) = sqlx::query_as(
        "SELECT status, entry_point, html_before, html_after, scores_before, scores_after, \
                 changes, credits_used, credit_hold_id \
             FROM optimization_tasks WHERE id = $1",
    )
    .bind(optimizing.task)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!((task.0.as_str(), task.1.as_str()), ("completed", "manual"));
    assert_eq!(task.2, NEEDS_WORK.2);
    let (body, ..) = f.row(post).await;
    assert_eq!(task.3, body);
    assert!(body.contains("alt=\""), "{body}");
    assert!(body.contains("rel=\"noopener\""), "{body}");
    assert!(!body.contains("<h1>"), "{body}");
    assert_eq!(task.4["overall"], optimizing.before);
    assert_eq!(task.5["overall"], optimizing.after);
    let changes = task.6.as_array().unwrap();
    assert_eq!(changes.len(), optimizing.rules.len());
    for change in changes {
        assert_eq!(change["predicted"], change["measured"], "{change}");
    }
    assert_eq!(task.7, 1);
    assert!(task.8.is_some());
    let stored: (i32, String, Value, Option<String>) = sqlx::query_as(
        "SELECT optimizer_version, status, optimization_scores, meta_description \
         FROM content WHERE id = $1",
    )
    .bind(post)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!((stored.0, stored.1.as_str()), (1, "optimized"));
    assert_eq!(stored.2, task.5);
    let meta = stored.3.expect("a meta description from the introduction");
    assert!(meta.starts_with("Cold brew steeps coarse coffee"), "{meta}");

    // Nothing is left to do: a second run changes nothing and costs nothing.
    let again = f
        .processing
        .optimize(f.account(), post, EntryPoint::Manual, &run())
        .await
        .unwrap();
    assert_eq!((again.rules.len(), again.credits_used), (0, 0));
    assert_eq!(f.row(post).await.0, body);
    assert_eq!(f.balance().await, (99, 0));
}

#[sqlx::test]
async fn the_whole_pipeline_links_then_optimizes_and_skips_disabled_stages(pool: PgPool) {
    let f = Fixture::new(pool, 100, PushPolicy::Off, true).await;
    let ids = f.pull(&[FRENCH_PRESS, POUR_OVER]).await;
    let processed = f
        .processing
        .process(f.account(), ids[1], EntryPoint::WordpressSync, &run())
        .await
        .unwrap();
    assert_eq!(processed.linking.as_ref().unwrap().added.len(), 1);
    let optimizing = processed.optimizing.as_ref().unwrap();
    assert_eq!(processed.status, ContentStatus::Optimized);
    let (_, _, linker_version, status, _, _) = f.row(ids[1]).await;
    assert_eq!((linker_version, status.as_str()), (1, "optimized"));
    let entry: (String,) =
        sqlx::query_as("SELECT entry_point FROM optimization_tasks WHERE id = $1")
            .bind(optimizing.task)
            .fetch_one(&f.pool)
            .await
            .unwrap();
    assert_eq!(entry.0, "wordpress_sync");

    Modules::new(f.store.clone(), Default::default())
        .set(
            f.account(),
            &[ModuleOverride {
                module: Module::Optimizer,
                enabled: false,
                settings: json!({}),
            }],
        )
        .await
        .unwrap();
    let processed = f
        .processing
        .process(f.account(), ids[0], EntryPoint::WordpressSync, &run())
        .await
        .unwrap();
    assert!(processed.optimizing.is_none());
    assert_eq!(processed.skipped[0].stage, "optimizer");
    assert_eq!(processed.status, ContentStatus::Linked);
}

#[sqlx::test]
async fn a_site_run_processes_every_waiting_item_once(pool: PgPool) {
    let f = Fixture::new(pool.clone(), 1_000, PushPolicy::Off, true).await;
    let ids = f.pull(&[FRENCH_PRESS, POUR_OVER, NEEDS_WORK]).await;
    assert_eq!(
        f.store
            .count_awaiting_pipeline(f.account(), Some(f.site.id))
            .await
            .unwrap(),
        3
    );
    let mut registry = igny8::jobs::handler::Registry::default();
    igny8::processing::jobs::install(&mut registry, f.processing.clone());
    let payload = igny8::processing::jobs::SitePayload {
        account_id: f.account(),
        site_id: f.site.id,
        entry_point: EntryPoint::WordpressSync,
    };
    let job = f
        .store
        .enqueue(&igny8::processing::jobs::site_job(&payload, 3))
        .await
        .unwrap()
        .unwrap();
    let workers = crate::support::RunningPool::start(
        &f.store,
        registry,
        crate::support::job_settings(1, 3, 30),
    );
    crate::support::eventually(
        std::time::Duration::from_secs(20),
        "the site run",
        || async {
            let state = f.store.job(job).await.unwrap().state;
            (state == igny8::store::jobs::JobState::Done).then_some(())
        },
    )
    .await;
    workers.stop().await;
    assert_eq!(
        f.store
            .count_awaiting_pipeline(f.account(), Some(f.site.id))
            .await
            .unwrap(),
        0
    );
    for id in ids {
        assert_eq!(f.row(id).await.3, "optimized");
    }
}
