//! Pushes through WordPress's `/batch/v1` (the companion plugin is installed on every test
//! site): more than one batch of changes lands and reads back, an item edited in WordPress
//! meanwhile is a conflict while the rest land, and a stale precondition inside a batch
//! refuses only its own write.

use igny8::connector::remote::{BatchWrite, Connector, Patch, WriteOutcome};
use igny8::domain::content::ContentHash;
use serde_json::json;
use sqlx::PgPool;

use super::push::{change_and_queue, pulled_site, push_state};
use igny8::sync::push::push_site;

const POSTS: u32 = 30;

#[sqlx::test]
async fn a_batch_push_of_more_than_one_batch_lands_and_reads_back(pool: PgPool) {
    let (store, wp, site) = pulled_site(&pool, POSTS).await;
    let mut changes = Vec::new();
    for id in 1..=POSTS {
        changes.push((
            id,
            change_and_queue(&store, &pool, &site, &id.to_string()).await,
        ));
    }
    let (connector, _) = wp.connector(&site);
    connector.probe().await.unwrap();
    assert_eq!(
        connector.batch_size(),
        25,
        "WordPress 6.1 takes 25 requests per batch"
    );

    let summary = push_site(&store, &connector, &site).await.unwrap();
    assert_eq!(
        (summary.done, summary.conflicts, summary.failed),
        (POSTS as u64, 0, 0)
    );
    for (id, (content, changed)) in changes {
        let remote = wp.get_item("wp/v2/posts", id.into()).await;
        assert_eq!(remote["content"]["raw"], json!(changed), "post {id}");
        let (base_hash, remote_modified): (Vec<u8>, chrono::DateTime<chrono::Utc>) =
            sqlx::query_as("SELECT base_hash, remote_modified FROM content WHERE id = $1")
                .bind(content)
                .fetch_one(&pool)
                .await
                .unwrap();
        // Each item's receipt is its own read-back.
        assert_eq!(base_hash, ContentHash::of(&changed).as_bytes(), "post {id}");
        assert_eq!(
            remote_modified.format("%Y-%m-%dT%H:%M:%S").to_string(),
            remote["modified_gmt"].as_str().unwrap(),
            "post {id}"
        );
        assert_eq!(push_state(&pool, content).await, ("done".into(), None));
    }
}

#[sqlx::test]
async fn an_item_edited_in_wordpress_meanwhile_is_a_conflict_while_the_rest_land(pool: PgPool) {
    let (store, wp, site) = pulled_site(&pool, POSTS).await;
    let mut changes = Vec::new();
    for id in 1..=POSTS {
        changes.push((
            id,
            change_and_queue(&store, &pool, &site, &id.to_string()).await,
        ));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let edit = "<!-- wp:paragraph -->\n<p>Written by a person.</p>\n<!-- /wp:paragraph -->";
    wp.update_item("wp/v2/posts", 7, json!({"content": edit}))
        .await;

    let (connector, _) = wp.connector(&site);
    let summary = push_site(&store, &connector, &site).await.unwrap();
    assert_eq!(
        (summary.done, summary.conflicts, summary.failed),
        (POSTS as u64 - 1, 1, 0)
    );
    for (id, (content, changed)) in changes {
        let remote = wp.get_item("wp/v2/posts", id.into()).await;
        let (state, _) = push_state(&pool, content).await;
        if id == 7 {
            assert_eq!(remote["content"]["raw"], json!(edit));
            assert_eq!(state, "conflict");
            let sync_status: String =
                sqlx::query_scalar("SELECT sync_status FROM content WHERE id = $1")
                    .bind(content)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            assert_eq!(sync_status, "conflict");
        } else {
            assert_eq!(remote["content"]["raw"], json!(changed), "post {id}");
            assert_eq!(state, "done", "post {id}");
        }
    }
}

#[sqlx::test]
async fn a_stale_precondition_inside_a_batch_refuses_only_its_own_write(pool: PgPool) {
    let (_store, wp, site) = pulled_site(&pool, 3).await;
    let (connector, _) = wp.connector(&site);
    connector.probe().await.unwrap();
    let current = |id: u64| {
        let wp = &wp;
        async move {
            let post = wp.get_item("wp/v2/posts", id).await;
            igny8::connector::wordpress::model::parse_gmt(post["modified_gmt"].as_str().unwrap())
                .unwrap()
        }
    };
    let patches: Vec<Patch> = (1..=3)
        .map(|id| Patch {
            content: Some(format!("<p>Batch write {id}.</p>")),
            ..Patch::default()
        })
        .collect();
    let ids = ["1", "2", "3"];
    let stale = chrono::Utc::now() - chrono::Duration::days(3);
    let writes: Vec<BatchWrite<'_>> = vec![
        BatchWrite {
            external_type: "post",
            external_id: ids[0],
            patch: &patches[0],
            expected_modified: current(1).await,
        },
        BatchWrite {
            external_type: "post",
            external_id: ids[1],
            patch: &patches[1],
            expected_modified: stale,
        },
        BatchWrite {
            external_type: "post",
            external_id: ids[2],
            patch: &patches[2],
            expected_modified: current(3).await,
        },
    ];
    let outcomes = connector.write_batch(&writes).await.unwrap();
    assert_eq!(outcomes.len(), 3);
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let id = i as u64 + 1;
        let raw = wp.get_item("wp/v2/posts", id).await["content"]["raw"].clone();
        if id == 2 {
            assert!(
                matches!(
                    outcome,
                    Ok(WriteOutcome::PreconditionFailed {
                        current_modified: Some(_)
                    })
                ),
                "{outcome:?}"
            );
            assert_ne!(raw, json!("<p>Batch write 2.</p>"));
        } else {
            let Ok(WriteOutcome::Written(receipt)) = outcome else {
                panic!("post {id}: {outcome:?}");
            };
            assert_eq!(receipt.content_raw, format!("<p>Batch write {id}.</p>"));
            assert_eq!(raw, json!(receipt.content_raw));
        }
    }
}
