//! Ledger jobs against the real PostgreSQL: the monthly grant lands once per month, expired
//! holds are released.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use igny8::credits::{replenishment, sweeper};
use igny8::domain::credits::IdempotencyKey;
use igny8::settings::PlanSettings;
use igny8::store::Store;
use igny8::store::credits::{HoldOutcome, HoldState, NewHold, SettleOutcome};
use serde_json::json;
use sqlx::PgPool;

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

#[sqlx::test]
async fn the_sweeper_releases_expired_holds_only(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let account = store.create_account("a", None).await.unwrap();
    store
        .add_credits(
            account.id,
            igny8::store::credits::AdditionKind::Add,
            20,
            &IdempotencyKey::parse("seed").unwrap(),
            "initial_credits",
            None,
        )
        .await
        .unwrap();
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
