//! Ledger jobs against the real PostgreSQL: the monthly grant lands once per month, expired
//! holds are released, calls made together share transactions without sharing outcomes.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use igny8::credits::{replenishment, sweeper};
use igny8::domain::credits::IdempotencyKey;
use igny8::settings::PlanSettings;
use igny8::store::Store;
use igny8::store::accounts::Account;
use igny8::store::credits::{HoldOutcome, HoldState, NewHold, SettleOutcome};
use serde_json::json;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

fn plan(monthly_credits: i64) -> PlanSettings {
    PlanSettings {
        monthly_credits,
        support_level: "standard".to_owned(),
        billing_cycle: "monthly".to_owned(),
        price: 1900,
        currency: "USD".to_owned(),
        features: json!({}),
    }
}

#[sqlx::test]
async fn replenishment_twice_in_a_month_or_on_two_daemons_grants_once(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    store
        .sync_plans(&BTreeMap::from([
            ("starter".to_owned(), plan(1000)),
            ("free".to_owned(), plan(0)),
        ]))
        .await
        .unwrap();
    let paying = store
        .create_account("paying", Some("starter"))
        .await
        .unwrap();
    let free = store.create_account("free", Some("free")).await.unwrap();
    let planless = store.create_account("none", None).await.unwrap();

    let november = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let (a, b) = tokio::join!(
        replenishment::replenish(&store, november),
        replenishment::replenish(&store, november)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let later = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
    assert_eq!(replenishment::replenish(&store, later).await.unwrap(), 0);
    assert_eq!(store.balance(paying.id).await.unwrap().credits, 1000);
    assert_eq!(store.balance(free.id).await.unwrap().credits, 0);
    assert_eq!(store.balance(planless.id).await.unwrap().credits, 0);

    let december = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    assert_eq!(replenishment::replenish(&store, december).await.unwrap(), 1);
    assert_eq!(store.balance(paying.id).await.unwrap().credits, 2000);
    let keys: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT idempotency_key, operation_type FROM credit_transactions
         WHERE account_id = $1 ORDER BY id",
    )
    .bind(paying.id)
    .fetch_all(&pool)
    .await
    .unwrap();
    let grant = |month: &str| {
        (
            format!("grant:{}:{month}", paying.id),
            Some("monthly_replenishment".to_owned()),
        )
    };
    assert_eq!(keys, vec![grant("2026-11"), grant("2026-12")]);
}

/// A new account holding `credits`.
async fn funded_account(store: &Store, credits: i64) -> Account {
    let account = store.create_account("funded", None).await.unwrap();
    store
        .add_credits(
            account.id,
            igny8::store::credits::AdditionKind::Add,
            credits,
            &IdempotencyKey::parse("seed").unwrap(),
            "initial_credits",
            None,
        )
        .await
        .unwrap();
    account
}

#[sqlx::test]
async fn the_sweeper_releases_expired_holds_only(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let account = funded_account(&store, 20).await;
    let hold = |key: &'static str| {
        let store = store.clone();
        async move {
            let key = IdempotencyKey::parse(key).unwrap();
            match store
                .hold_credits(&NewHold {
                    account_id: account.id,
                    operation_type: "linking",
                    amount: 8,
                    idempotency_key: &key,
                    related: None,
                    ttl: Duration::from_secs(3600),
                })
                .await
                .unwrap()
            {
                HoldOutcome::Held(hold) => hold,
                other => panic!("{other:?}"),
            }
        }
    };
    let stale = hold("crashed-operation").await;
    let live = hold("running-operation").await;
    sqlx::query("UPDATE credit_holds SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(stale.id)
        .execute(&pool)
        .await
        .unwrap();

    assert_eq!(sweeper::expire_holds(&store).await.unwrap(), 1);
    assert_eq!(sweeper::expire_holds(&store).await.unwrap(), 0);
    let balance = store.balance(account.id).await.unwrap();
    assert_eq!((balance.credits, balance.held), (20, 8));
    match store.capture_hold(account.id, stale.id, 1).await.unwrap() {
        SettleOutcome::NotPending(hold) => assert_eq!(hold.state, HoldState::Expired),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        store.capture_hold(account.id, live.id, 8).await.unwrap(),
        SettleOutcome::Settled { .. }
    ));
}

/// Calls made together run in shared transactions, and each still gets the outcome it would
/// have had alone: every hold is placed once per key, a replayed key answers with the first
/// hold, and a capture the balance cannot cover fails alone while the rest of its batch settles.
#[sqlx::test]
async fn concurrent_calls_share_transactions_and_keep_their_own_outcomes(
    pool_options: PgPoolOptions,
    connect_options: PgConnectOptions,
) {
    // Two connections: one runs batches, so calls queue behind it and travel together.
    let pool = pool_options
        .max_connections(2)
        .connect_with(connect_options)
        .await
        .unwrap();
    let store = Store::from_pool(pool.clone());
    let account = funded_account(&store, 100).await;
    let hold = |key: String| {
        let store = store.clone();
        async move {
            let key = IdempotencyKey::parse(&key).unwrap();
            store
                .hold_credits(&NewHold {
                    account_id: account.id,
                    operation_type: "linking",
                    amount: 3,
                    idempotency_key: &key,
                    related: Some(("content", 7)),
                    ttl: Duration::from_secs(3600),
                })
                .await
                .unwrap()
        }
    };
    // 34 holds of 3 on 100 credits: 33 fit. Two of the calls share a key.
    let keys = (0..33)
        .map(|n| format!("operation-{n}"))
        .chain(["operation-0".to_owned()]);
    let outcomes = futures::future::join_all(keys.map(hold)).await;
    let mut held = Vec::new();
    for outcome in &outcomes[..33] {
        match outcome {
            HoldOutcome::Held(hold) => held.push(hold.clone()),
            other => panic!("{other:?}"),
        }
    }
    match &outcomes[33] {
        HoldOutcome::Replayed(hold) => assert_eq!(hold.id, held[0].id),
        other => panic!("the replayed key answered {other:?}"),
    }
    let extra = hold("operation-33".to_owned()).await;
    assert_eq!(
        extra,
        HoldOutcome::Insufficient {
            available: 1,
            required: 3
        }
    );

    // Every hold but the last is captured at 2; the last is asked for more than the account has.
    let captures = held.iter().enumerate().map(|(n, hold)| {
        let charge = if n == held.len() - 1 { 1000 } else { 2 };
        store.capture_hold(account.id, hold.id, charge)
    });
    let settled = futures::future::join_all(captures).await;
    for outcome in &settled[..held.len() - 1] {
        match outcome.as_ref().unwrap() {
            SettleOutcome::Settled { hold, entry } => {
                assert_eq!(hold.captured_amount, Some(2));
                assert_eq!(entry.amount, -2);
            }
            other => panic!("{other:?}"),
        }
    }
    match settled.last().unwrap().as_ref().unwrap() {
        SettleOutcome::Insufficient { required, .. } => assert_eq!(*required, 1000),
        other => panic!("the uncovered capture answered {other:?}"),
    }

    let balance = store.balance(account.id).await.unwrap();
    assert_eq!((balance.credits, balance.held), (100 - 32 * 2, 3));
    let (sum_amount, sum_held): (i64, i64) = sqlx::query_as(
        "SELECT sum(amount)::bigint, sum(held_change)::bigint FROM credit_transactions
         WHERE account_id = $1",
    )
    .bind(account.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((sum_amount, sum_held), (balance.credits, balance.held));
    // Rows written by one transaction share its id: far fewer transactions than holds.
    let (holds, transactions): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT xmin::text) FROM credit_transactions
         WHERE account_id = $1 AND kind = 'hold'",
    )
    .bind(account.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(holds, 33);
    assert!(
        transactions < holds / 2,
        "{transactions} transactions for {holds} holds"
    );
}
