//! Importing a WordPress export: the sample site's exact counts, idempotence, a truncated file,
//! a bad item, site lookup by name, and the demo that builds on the import.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use igny8::connector::files::wxr::WxrError;
use igny8::connector::remote::RemoteItem;
use igny8::domain::content::ContentSource;
use igny8::domain::ids::AccountId;
use igny8::domain::site::{ConnectorKind, PushPolicy, SiteName};
use igny8::store::Store;
use igny8::store::sites::{Site, SiteSpec};
use igny8::store::sync_runs::Trigger;
use igny8::sync::import::{
    self, DEFAULT_BATCH_SIZE, ImportError, ImportReport, Quiet, find_site, import_file,
};
use serde_json::json;
use sqlx::PgPool;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-site.wxr")
}

fn sample_text() -> String {
    std::fs::read_to_string(sample()).unwrap()
}

async fn site(store: &Store, account_name: &str) -> Site {
    let account = store.create_account(account_name, None).await.unwrap();
    let spec = SiteSpec {
        name: SiteName::parse("brew-guide").unwrap(),
        connector: ConnectorKind::Wordpress,
        base_url: Some("https://brew-guide.example".to_owned()),
        credentials_ref: None,
        settings: json!({}),
        schedule: None,
        push_policy: PushPolicy::Off,
        link_enabled: false,
    };
    store.upsert_site(account.id, &spec, false).await.unwrap()
}

async fn import_text(
    store: &Store,
    site: &Site,
    text: &str,
    batch_size: usize,
) -> Result<ImportReport, ImportError> {
    import::import(
        store,
        site,
        text.as_bytes(),
        batch_size,
        Trigger::Manual,
        &Quiet,
    )
    .await
}

/// (external_type, remote_status, sync_status, count) of a site's rows.
async fn tally(pool: &PgPool, site: &Site) -> Vec<(String, String, String, i64)> {
    sqlx::query_as(
        "SELECT external_type, remote_status, sync_status, count(*) FROM content \
         WHERE site_id = $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    .bind(site.id)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Everything about a site's rows that a write would change.
async fn snapshot(pool: &PgPool, site: &Site) -> Vec<(i64, i64, Vec<u8>, String, String)> {
    sqlx::query_as(
        "SELECT id, version, content_hash, sync_status, updated_at::text FROM content \
         WHERE site_id = $1 ORDER BY id",
    )
    .bind(site.id)
    .fetch_all(pool)
    .await
    .unwrap()
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|&(k, n)| (k.to_owned(), n)).collect()
}

#[sqlx::test]
async fn the_sample_site_imports_with_its_exact_counts(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let site = site(&store, "Brew Guide").await;
    let report = import_file(&store, &site, &sample(), Trigger::Manual, &Quiet)
        .await
        .unwrap();

    let read: BTreeMap<String, BTreeMap<String, u64>> = [
        ("page".to_owned(), counts(&[("publish", 3)])),
        (
            "post".to_owned(),
            counts(&[
                ("draft", 2),
                ("pending", 1),
                ("private", 1),
                ("publish", 26),
            ]),
        ),
    ]
    .into();
    assert_eq!(report.read, read);
    assert_eq!(
        report.skipped,
        counts(&[("attachment", 2), ("nav_menu_item", 1)])
    );
    assert!(report.bad.is_empty(), "{:?}", report.bad);
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (33, 0, 0)
    );

    let imported = |t: &str, s: &str, n| (t.to_owned(), s.to_owned(), "imported".to_owned(), n);
    assert_eq!(
        tally(&pool, &site).await,
        [
            imported("page", "publish", 3),
            imported("post", "draft", 2),
            imported("post", "pending", 1),
            imported("post", "private", 1),
            imported("post", "publish", 26),
        ]
    );
    let (source, last_synced, roasting): (String, i64, i64) = sqlx::query_as(
        "SELECT min(source), count(last_synced_at), \
             count(*) FILTER (WHERE categories @> '[{\"id\": \"beans-roasting\", \"name\": \"Beans & Roasting\"}]') \
         FROM content WHERE site_id = $1",
    )
    .bind(site.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(source, "wordpress");
    assert_eq!(
        last_synced, 0,
        "nothing was confirmed against the live site"
    );
    assert!(roasting > 0, "term names are decoded");
    let (focus, url): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT focus_keyphrase, external_url FROM content \
         WHERE site_id = $1 AND external_type = 'post' AND external_id = '12'",
    )
    .bind(site.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(focus.as_deref(), Some("pour-over coffee"));
    assert_eq!(
        url.as_deref(),
        Some("https://brew-guide.example/how-to-brew-pour-over-coffee/")
    );

    let (kind, status, fetched, created, errors): (String, String, i32, i32, i32) = sqlx::query_as(
        "SELECT kind, status, fetched_count, created_count, error_count FROM sync_runs \
             WHERE account_id = $1 AND id = $2",
    )
    .bind(site.account_id)
    .bind(report.run)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (kind.as_str(), status.as_str(), fetched, created, errors),
        ("import", "succeeded", 33, 33, 0)
    );
}

#[sqlx::test]
async fn importing_twice_changes_nothing(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let site = site(&store, "Brew Guide").await;
    import_file(&store, &site, &sample(), Trigger::Manual, &Quiet)
        .await
        .unwrap();
    let before = snapshot(&pool, &site).await;

    let again = import_file(&store, &site, &sample(), Trigger::Manual, &Quiet)
        .await
        .unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 33));
    assert_eq!(snapshot(&pool, &site).await, before);
    let revisions: i64 = sqlx::query_scalar("SELECT count(*) FROM content_revisions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(revisions, 0);
}

/// The post ids of the post and page items that end before `cut`.
fn whole_items_before(text: &str, cut: usize) -> Vec<String> {
    let prefix = &text[..cut];
    let field = |item: &str, name: &str| {
        let open = format!("<wp:{name}>");
        let rest = &item[item.find(&open).unwrap() + open.len()..];
        let rest = rest.strip_prefix("<![CDATA[").unwrap_or(rest);
        rest[..rest.find(['<', ']']).unwrap()].to_owned()
    };
    let whole = &prefix[..prefix.rfind("</item>").unwrap()];
    let mut ids: Vec<String> = whole
        .split("</item>")
        .filter(|item| matches!(field(item, "post_type").as_str(), "post" | "page"))
        .map(|item| field(item, "post_id"))
        .collect();
    ids.sort();
    ids
}

#[sqlx::test]
async fn a_truncated_file_fails_at_its_position_and_keeps_what_came_before(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let site = site(&store, "Brew Guide").await;
    let text = sample_text();
    // Into the middle of the twentieth item.
    let twentieth = text.match_indices("<item>").nth(19).unwrap().0;
    let cut = twentieth + 200;
    let kept = whole_items_before(&text, cut);
    assert!(kept.len() > 5, "more than one batch comes before the cut");

    let err = import_text(&store, &site, &text[..cut], 5)
        .await
        .unwrap_err();
    let ImportError::Malformed { error, report } = &err else {
        panic!("expected a malformed file, got {err}");
    };
    assert!(
        matches!(error, WxrError::Truncated { position, .. }
            if (twentieth..cut).contains(&(*position as usize))),
        "{error:?}"
    );
    assert!(err.to_string().contains("byte"), "{err}");
    assert_eq!(report.created, kept.len() as u64);

    let mut stored: Vec<String> =
        sqlx::query_scalar("SELECT external_id FROM content WHERE site_id = $1")
            .bind(site.id)
            .fetch_all(&pool)
            .await
            .unwrap();
    stored.sort();
    assert_eq!(stored, kept);
    let (status, error_text): (String, Option<String>) =
        sqlx::query_as("SELECT status, error FROM sync_runs WHERE id = $1")
            .bind(report.run)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error_text.unwrap().contains("byte"));

    // The whole file then brings in the rest and leaves what was kept as it is.
    let rest = import_file(&store, &site, &sample(), Trigger::Manual, &Quiet)
        .await
        .unwrap();
    assert_eq!(
        (rest.created, rest.unchanged),
        (33 - kept.len() as u64, kept.len() as u64)
    );
}

#[sqlx::test]
async fn a_bad_item_is_counted_and_skipped(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let site = site(&store, "Brew Guide").await;
    let text = sample_text().replacen(
        "<wp:post_id>9</wp:post_id>",
        "<wp:post_id>nine</wp:post_id>",
        1,
    );
    let report = import_text(&store, &site, &text, DEFAULT_BATCH_SIZE)
        .await
        .unwrap();
    assert_eq!(report.bad.len(), 1);
    let bad = &report.bad[0];
    assert!(bad.position > 0);
    assert!(bad.message.contains("wp:post_id"), "{}", bad.message);
    assert_eq!(report.created, 32);
    let (status, errors): (String, i32) =
        sqlx::query_as("SELECT status, error_count FROM sync_runs WHERE id = $1")
            .bind(report.run)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), errors), ("succeeded", 1));
    let nine: i64 =
        sqlx::query_scalar("SELECT count(*) FROM content WHERE site_id = $1 AND external_id = '9'")
            .bind(site.id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(nine, 0);
}

#[sqlx::test]
async fn an_import_never_replaces_a_newer_live_row(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let site = site(&store, "Brew Guide").await;
    let live = RemoteItem {
        external_type: "post".to_owned(),
        external_id: "12".to_owned(),
        remote_modified: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
        remote_status: "publish".to_owned(),
        title: "Edited on the live site".to_owned(),
        content_raw: "<p>Newer.</p>".to_owned(),
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
    let mut tx = store.begin().await.unwrap();
    Store::upsert_pulled(
        &mut tx,
        site.account_id,
        site.id,
        ContentSource::Wordpress,
        &[live],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let report = import_file(&store, &site, &sample(), Trigger::Manual, &Quiet)
        .await
        .unwrap();
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (32, 0, 1)
    );
    let (title, sync_status): (String, String) = sqlx::query_as(
        "SELECT title, sync_status FROM content WHERE site_id = $1 AND external_id = '12'",
    )
    .bind(site.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (title.as_str(), sync_status.as_str()),
        ("Edited on the live site", "synced")
    );
}

#[sqlx::test]
async fn a_live_pull_confirms_an_imported_row(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let site = site(&store, "Brew Guide").await;
    let text = sample_text();
    let mut reader = igny8::connector::files::wxr::WxrReader::new(text.as_bytes());
    let item = reader
        .find_map(|entry| match entry.unwrap() {
            igny8::connector::files::wxr::WxrEntry::Item(item) if item.post_id == 12 => Some(item),
            _ => None,
        })
        .unwrap();
    import_text(&store, &site, &text, DEFAULT_BATCH_SIZE)
        .await
        .unwrap();

    // The same version, read from the live site.
    let live = import::remote_item(*item, Utc::now());
    let mut tx = store.begin().await.unwrap();
    let counts = Store::upsert_pulled(
        &mut tx,
        site.account_id,
        site.id,
        ContentSource::Wordpress,
        &[live],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(counts.updated, 1);
    let (sync_status, confirmed): (String, bool) = sqlx::query_as(
        "SELECT sync_status, last_synced_at IS NOT NULL FROM content \
         WHERE site_id = $1 AND external_id = '12'",
    )
    .bind(site.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((sync_status.as_str(), confirmed), ("synced", true));
}

#[sqlx::test]
async fn sites_are_found_by_name_and_account(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let name = SiteName::parse("brew-guide").unwrap();
    let missing = find_site(&store, &name, None).await.unwrap_err();
    assert!(matches!(missing, ImportError::NoSite { .. }), "{missing}");

    let first = site(&store, "One").await;
    assert_eq!(find_site(&store, &name, None).await.unwrap().id, first.id);
    let second = site(&store, "Two").await;
    let ambiguous = find_site(&store, &name, None).await.unwrap_err();
    assert!(
        ambiguous
            .to_string()
            .contains(&format!("{}, {}", first.account_id, second.account_id)),
        "{ambiguous}"
    );
    let chosen = find_site(&store, &name, Some(second.account_id))
        .await
        .unwrap();
    assert_eq!(chosen.id, second.id);
    let elsewhere = find_site(&store, &name, Some(AccountId::new(999_999)))
        .await
        .unwrap_err();
    assert!(elsewhere.to_string().contains("999999"), "{elsewhere}");
}

#[sqlx::test]
async fn the_demo_processes_once_and_a_second_run_changes_nothing(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let settings = crate::support::settings_for(&pool, "");
    let processing = igny8::app::processing(&settings, &store);
    let first = igny8::demo::run(&store, &processing, &sample())
        .await
        .unwrap();
    assert_eq!(first.import.created, 33);
    assert_eq!(first.items.len(), 33);
    assert_eq!(first.processed(), 33, "{:?}", first.left);
    assert!(first.links_added() > 0);
    assert!(!first.rules_applied().is_empty());
    assert_eq!(
        first.balance,
        igny8::demo::STARTING_CREDITS - first.credits_used()
    );
    let linked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM content_revisions WHERE origin = 'linker'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        linked as usize,
        first.items.iter().filter(|i| i.links_added > 0).count()
    );
    let runs: i64 =
        sqlx::query_scalar("SELECT count(*) FROM optimization_tasks WHERE status = 'completed'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(runs, 33);
    for item in first.items.iter().filter(|i| !i.rules.is_empty()) {
        assert!(
            item.after.overall >= item.before.overall || item.links_added > 0,
            "{item:?}"
        );
    }
    let report = first.to_string();
    assert!(report.contains("links added"), "{report}");
    assert!(report.contains("optimizer changes"), "{report}");

    let second = igny8::demo::run(&store, &processing, &sample())
        .await
        .unwrap();
    assert_eq!((second.account, second.site), (first.account, first.site));
    assert_eq!(second.import.unchanged, 33);
    assert_eq!(second.processed(), 0);
    assert_eq!(second.links_added(), 0);
    assert_eq!(second.credits_used(), 0);
    assert_eq!(second.balance, first.balance);
}
