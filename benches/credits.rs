//! Hold + capture pairs per second through the store (no HTTP): 64 concurrent callers on the
//! local PostgreSQL (through its Unix socket, or DATABASE_URL's server; database
//! `igny8_bench_credits`), a pool of 10 connections. Two shapes: every caller on one account (they queue on its row), and every
//! caller on an account of its own.
//!
//! Run: `cargo bench --bench credits`. Criterion reports time per batch and, through
//! `Throughput::Elements`, pairs per second. After every batch the balances are checked (never
//! negative, nothing left held), so a ledger bug fails the bench instead of flattering it.
//!
//! The database is dropped and created afresh at every run: the hot account rows are updated
//! tens of thousands of times per run, and without a vacuum in between (the CI server runs with
//! autovacuum off) their dead versions would make each run slower than the one before.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use igny8::domain::credits::IdempotencyKey;
use igny8::domain::ids::AccountId;
use igny8::settings::{DatabaseSettings, DatabaseUrl};
use igny8::store::Store;
use igny8::store::credits::{AdditionKind, HoldOutcome, NewHold, SettleOutcome};
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::Postgres;

const CALLERS: usize = 64;
const PAIRS_PER_CALLER: usize = 20;
const PAIRS_PER_BATCH: usize = CALLERS * PAIRS_PER_CALLER;
const HOLD: i64 = 3;
const CAPTURE: i64 = 2;
/// Enough for every batch criterion will run (warm-up included) many times over.
const STARTING_CREDITS: i64 = 1_000_000_000;

fn bench_database() -> DatabaseSettings {
    // The local server's Unix socket, as the example configuration recommends for a database
    // on the same machine: over TCP, TLS would be negotiated even on loopback.
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@%2Fvar%2Frun%2Fpostgresql/postgres".to_owned());
    let base = server
        .rsplit_once('/')
        .map_or(server.as_str(), |(base, _)| base);
    DatabaseSettings {
        url: DatabaseUrl::parse(&format!("{base}/igny8_bench_credits")).unwrap(),
        max_connections: 10,
        migrate_on_start: true,
    }
}

/// Hold keys, unique per account: every run starts on a fresh database.
static NEXT_KEY: AtomicU64 = AtomicU64::new(0);

async fn funded_account(store: &Store, name: &str) -> AccountId {
    let account = store.create_account(name, None).await.unwrap();
    let key = IdempotencyKey::parse(&format!("bench-fund:{}", account.id)).unwrap();
    store
        .add_credits(
            account.id,
            AdditionKind::Add,
            STARTING_CREDITS,
            &key,
            "bench",
            None,
        )
        .await
        .unwrap();
    account.id
}

async fn hold_and_capture(store: Store, account: AccountId) {
    for _ in 0..PAIRS_PER_CALLER {
        let n = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        let key = IdempotencyKey::parse(&format!("bench-hold:{n}")).unwrap();
        let outcome = store
            .hold_credits(&NewHold {
                account_id: account,
                operation_type: "clustering",
                amount: HOLD,
                idempotency_key: &key,
                related: None,
                ttl: Duration::from_secs(3600),
            })
            .await
            .unwrap();
        let HoldOutcome::Held(hold) = outcome else {
            panic!("hold on account {account} not placed: {outcome:?}");
        };
        let settled = store.capture_hold(account, hold.id, CAPTURE).await.unwrap();
        assert!(
            matches!(settled, SettleOutcome::Settled { .. }),
            "capture of hold {} not settled: {settled:?}",
            hold.id
        );
    }
}

/// Runs one batch (each caller on `accounts[i % len]`) and returns its wall time.
async fn run_batch(store: &Store, accounts: &[AccountId]) -> Duration {
    let started = Instant::now();
    let callers: Vec<_> = (0..CALLERS)
        .map(|i| {
            tokio::spawn(hold_and_capture(
                store.clone(),
                accounts[i % accounts.len()],
            ))
        })
        .collect();
    for caller in callers {
        caller.await.unwrap();
    }
    let elapsed = started.elapsed();
    for account in accounts {
        let balance = store.balance(*account).await.unwrap();
        assert!(
            balance.credits >= 0 && balance.held == 0,
            "account {account} broke the ledger's invariant: {balance:?}"
        );
    }
    elapsed
}

fn credits(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (store, shared, own) = runtime.block_on(async {
        let database = bench_database();
        Postgres::drop_database(database.url.expose())
            .await
            .unwrap();
        let store = Store::connect(&database).await.unwrap();
        store.migrate().await.unwrap();
        let shared = vec![funded_account(&store, "bench shared").await];
        let mut own = Vec::with_capacity(CALLERS);
        for i in 0..CALLERS {
            own.push(funded_account(&store, &format!("bench own {i}")).await);
        }
        (store, shared, own)
    });

    let mut group = c.benchmark_group("credits");
    group.throughput(Throughput::Elements(PAIRS_PER_BATCH as u64));
    group.sample_size(10);
    for (name, accounts) in [
        ("hold_capture_64_callers_one_account", &shared),
        ("hold_capture_64_callers_64_accounts", &own),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|batches| {
                runtime.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..batches {
                        total += run_batch(&store, accounts).await;
                    }
                    total
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, credits);
criterion_main!(benches);
