//! A Shopify site declared in the configuration, pulled through the sync engine into
//! PostgreSQL with the stand-in shop as Shopify: the first full read by bulk operation
//! (created, running, completed; a result short of its objectCount fails the run and moves no
//! cursor; a crashed read resumes the same operation), later reads incremental; its push
//! refused by `userErrors` ends failed with Shopify's message; a deleted product found gone by
//! its re-fetch.

use std::sync::Arc;

use chrono::Duration;
use igny8::connector::http::HttpClient;
use igny8::connector::remote::Patch;
use igny8::domain::ids::ContentId;
use igny8::domain::site::SiteName;
use igny8::sites::config::ConfigSites;
use igny8::store::Store;
use igny8::store::sites::Site;
use igny8::store::sync_runs::{RunKind, Trigger};
use igny8::sync::pull::{Quiet, pull};
use igny8::sync::site_connector::ShopifyStandIn;
use serde_json::json;
use sqlx::PgPool;

use super::fake_shop::{FakeShop, TOKEN, answer, operation};
use crate::support::settings_for;

/// The declared site and the secrets the configuration gave the sync jobs, with the data
/// directory in `data_dir`.
async fn declared_site(
    pool: &PgPool,
    data_dir: &std::path::Path,
) -> (Store, Site, igny8::sync::site_connector::Secrets) {
    let store = Store::from_pool(pool.clone());
    let account = store.create_account("Brew", None).await.unwrap().id.get();
    let settings = settings_for(
        pool,
        &format!(
            "data_dir = {:?}\n[[sites]]\nname = \"store\"\naccount = {account}\nconnector = \"shopify\"\n\
             shop = \"brew-shop.myshopify.com\"\napi_version = \"2025-10\"\n\
             access_token = \"{TOKEN}\"\npush = \"review\"\n",
            data_dir.display().to_string()
        ),
    );
    let config_sites = ConfigSites::new(store.clone(), settings.data_dir.clone());
    config_sites.apply(&settings.sites).await.unwrap();
    let site = store
        .sites_named(&SiteName::parse("store").unwrap())
        .await
        .unwrap()
        .remove(0);
    let secrets = config_sites.secrets().read().unwrap().clone();
    (store, site, secrets)
}

fn connect(
    site: &Site,
    secrets: &igny8::sync::site_connector::Secrets,
    shop: &FakeShop,
) -> igny8::connector::shopify::Shopify {
    let http = Arc::new(HttpClient::new(&Default::default()).unwrap());
    let stand_in = ShopifyStandIn {
        admin_base: shop.uri(),
        bulk_poll_interval: std::time::Duration::from_millis(20),
    };
    igny8::sync::site_connector::shopify(site, http, secrets, Some(stand_in)).unwrap()
}

fn bulk_dir(data_dir: &std::path::Path, site: &Site) -> std::path::PathBuf {
    data_dir
        .join("shopify-bulk")
        .join(format!("{}-{}", site.account_id, site.id))
}

async fn full_pull(
    store: &Store,
    connector: &igny8::connector::shopify::Shopify,
    site: &Site,
) -> Result<igny8::sync::pull::PullReport, igny8::sync::SyncError> {
    pull(
        store,
        connector,
        site,
        RunKind::Full,
        Trigger::Manual,
        Duration::seconds(120),
        &Quiet,
    )
    .await
}

#[sqlx::test]
async fn a_declared_shop_is_read_whole_by_bulk_operation_then_incrementally(pool: PgPool) {
    let data_dir = tempfile::tempdir().unwrap();
    let (store, site, secrets) = declared_site(&pool, data_dir.path()).await;
    assert_eq!(site.connector.as_str(), "shopify");
    assert_eq!(site.credentials_ref.as_deref(), Some("config:store"));
    let shop = FakeShop::start(2).await;
    let products = shop.seed("Product", 3);
    let articles = shop.seed("Article", 2);
    shop.seed("Page", 1);
    // The full pull: the probe, then per type one bulk operation answering RUNNING once before
    // COMPLETED, and its result. The incremental pull: the probe and one page of each type.
    shop.state.lock().unwrap().running_polls = 1;
    shop.serve("Shop", 2).await;
    shop.serve_bulk(3, 6).await;
    shop.serve("Products", 1).await;
    shop.serve("Articles", 1).await;
    shop.serve("Pages", 1).await;
    let connector = connect(&site, &secrets, &shop);

    let report = full_pull(&store, &connector, &site).await.unwrap();
    assert_eq!(report.error, None);
    assert_eq!((report.counts.fetched, report.counts.created), (6, 6));
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT external_type, external_id, content_raw, source FROM content \
         WHERE site_id = $1 ORDER BY external_type, external_id",
    )
    .bind(site.id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r.3 == "shopify"));
    let first = rows
        .iter()
        .find(|r| r.1 == products[0].gid())
        .expect("the first product is stored under its GID");
    assert_eq!(
        (first.0.as_str(), first.2.as_str()),
        ("product", products[0].body.as_str())
    );
    let cursor: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        "SELECT cursor_modified FROM sync_cursors WHERE site_id = $1 AND stream = 'article'",
    )
    .bind(site.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(cursor, articles[1].updated_at);
    assert_eq!(
        report.counts.expected,
        Some(6),
        "the objectCounts were checked"
    );
    let left: Vec<_> = std::fs::read_dir(bulk_dir(data_dir.path(), &site))
        .unwrap()
        .collect();
    assert!(
        left.is_empty(),
        "finished operations leave no files: {left:?}"
    );

    // One article edited in the shop; the next pull reads from the cursors less the overlap.
    shop.edit(&articles[0].gid(), "<p>Edited in the admin.</p>");
    let report = pull(
        &store,
        &connector,
        &site,
        RunKind::Incremental,
        Trigger::Manual,
        Duration::seconds(0),
        &Quiet,
    )
    .await
    .unwrap();
    assert_eq!(report.error, None);
    assert_eq!(report.counts.updated, 1);
    let body: String = sqlx::query_scalar("SELECT content_raw FROM content WHERE external_id = $1")
        .bind(articles[0].gid())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(body, "<p>Edited in the admin.</p>");
}

#[sqlx::test]
async fn user_errors_fail_the_push_with_shopifys_message_and_a_deleted_product_is_marked(
    pool: PgPool,
) {
    let data_dir = tempfile::tempdir().unwrap();
    let (store, site, secrets) = declared_site(&pool, data_dir.path()).await;
    let shop = FakeShop::start(50).await;
    let products = shop.seed("Product", 2);
    shop.serve("Shop", 3).await;
    shop.serve_bulk(3, 3).await;
    // The push's preflight re-read, then the refetch of the deleted product.
    shop.serve("Nodes", 2).await;
    shop.serve("CurrentVersion", 1).await;
    operation("ProductUpdate")
        .respond_with(answer(
            json!({"productUpdate": {"product": null, "userErrors": [
                {"field": ["descriptionHtml"], "message": "Description contains an unsupported tag"}
            ]}}),
        ))
        .expect(1)
        .mount(&shop.server)
        .await;
    let connector = connect(&site, &secrets, &shop);
    pull(
        &store,
        &connector,
        &site,
        RunKind::Full,
        Trigger::Manual,
        Duration::seconds(120),
        &Quiet,
    )
    .await
    .unwrap();

    let content: i64 = sqlx::query_scalar("SELECT id FROM content WHERE external_id = $1")
        .bind(products[0].gid())
        .fetch_one(&pool)
        .await
        .unwrap();
    let patch = Patch {
        content: Some("<p>Linked.</p>".to_owned()),
        ..Patch::default()
    };
    igny8::sync::push::queue(&store, &site, ContentId::new(content), &patch, 3)
        .await
        .unwrap();
    let summary = igny8::sync::push::push_site(&store, &connector, &site)
        .await
        .unwrap();
    assert_eq!((summary.done, summary.failed), (0, 1));
    let (state, error): (String, Option<String>) =
        sqlx::query_as("SELECT state, last_error FROM push_jobs WHERE content_id = $1")
            .bind(content)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(state, "failed");
    let error = error.unwrap();
    assert!(
        error.contains("descriptionHtml: Description contains an unsupported tag"),
        "{error}"
    );
    assert_eq!(shop.item(&products[0].gid()).body, products[0].body);

    // A products/delete webhook's re-fetch finds the product gone.
    shop.state
        .lock()
        .unwrap()
        .items
        .retain(|i| i.gid() != products[1].gid());
    let counts =
        igny8::sync::reconcile::refetch(&store, &connector, &site, "product", &[products[1].gid()])
            .await
            .unwrap();
    assert_eq!(counts.deleted, 1);
    let status: String =
        sqlx::query_scalar("SELECT sync_status FROM content WHERE external_id = $1")
            .bind(products[1].gid())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "deleted_remote");
}

#[sqlx::test]
async fn a_bulk_result_short_of_its_object_count_fails_the_run_and_moves_no_cursor(pool: PgPool) {
    let data_dir = tempfile::tempdir().unwrap();
    let (store, site, secrets) = declared_site(&pool, data_dir.path()).await;
    let shop = FakeShop::start(50).await;
    shop.seed("Product", 3);
    // The operation reports one object more than its result holds.
    shop.state.lock().unwrap().count_offset = 1;
    shop.serve("Shop", 1).await;
    shop.serve_bulk(1, 1).await;
    let connector = connect(&site, &secrets, &shop);

    let err = full_pull(&store, &connector, &site).await.unwrap_err();
    let message = igny8::jobs::handler::error_chain(&err);
    assert!(
        message.contains("reported 4 objects but its result holds 3"),
        "{message}"
    );
    let (status, error): (String, Option<String>) =
        sqlx::query_as("SELECT status, error FROM sync_runs WHERE site_id = $1")
            .bind(site.id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("objects"));
    let cursors: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sync_cursors WHERE site_id = $1 AND cursor_modified IS NOT NULL",
    )
    .bind(site.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(cursors, 0, "no cursor moved");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM content WHERE site_id = $1")
        .bind(site.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "nothing of the short result was kept");
}

#[sqlx::test]
async fn a_crashed_bulk_read_resumes_polling_the_same_operation(pool: PgPool) {
    let data_dir = tempfile::tempdir().unwrap();
    let (store, site, secrets) = declared_site(&pool, data_dir.path()).await;
    let shop = FakeShop::start(50).await;
    let products = shop.seed("Product", 2);
    // A run started the products' operation, kept its id, and died while it ran.
    shop.state
        .lock()
        .unwrap()
        .operations
        .push(super::fake_shop::BulkOperation {
            lines: products
                .iter()
                .map(|p| json!({"id": p.gid(), "title": p.title, "descriptionHtml": p.body,
                    "status": "ACTIVE", "updatedAt": p.updated_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()})
                    .to_string())
                .collect(),
            polls_left: 1,
        });
    let dir = bulk_dir(data_dir.path(), &site);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("product.operation"),
        "gid://shopify/BulkOperation/1",
    )
    .unwrap();
    // Only articles and pages start operations; the products' is polled twice (RUNNING, then
    // COMPLETED), the others once each.
    shop.serve("Shop", 1).await;
    shop.serve("BulkRun", 2).await;
    shop.serve("BulkStatus", 4).await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path_regex(r"^/bulk/\d+\.jsonl$"))
        .respond_with(super::fake_shop::BulkResult::new(shop.state.clone()))
        .expect(3)
        .mount(&shop.server)
        .await;
    let connector = connect(&site, &secrets, &shop);

    let report = full_pull(&store, &connector, &site).await.unwrap();
    assert_eq!(report.error, None);
    assert_eq!(report.counts.created, 2);
    let polled: Vec<String> = shop
        .server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).unwrap_or_default())
        .filter(|b| b["operationName"] == "BulkStatus")
        .map(|b| b["variables"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        polled[..2],
        [
            "gid://shopify/BulkOperation/1",
            "gid://shopify/BulkOperation/1"
        ]
    );
    assert!(!dir.join("product.operation").exists());
}
