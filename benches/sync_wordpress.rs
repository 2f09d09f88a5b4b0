//! A full pull of 5,000 posts from the real WordPress of the end-to-end tests
//! (tests/e2e/wordpress/), timed against curl fetching the same pages (edit context, 100 per
//! page, ascending modified) one after another over the same server, in the same run.
//!
//! Run: `cargo bench --bench sync_wordpress` (as root: it starts the WordPress server with
//! tests/e2e/wordpress/setup.sh when it is not running, and seeds a site of its own). Prints
//! both times for three rounds and the ratio of the medians. Target: at most 1.2.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use igny8::domain::site::PushPolicy;
use igny8::store::sync_runs::{RunKind, Trigger};
use igny8::sync::pull::{Quiet, pull};
use igny8::sync::site_connector::{Secrets, wordpress};
use serde_json::{Value, json};

const POSTS: u32 = 5_000;
const SITE: &str = "benchsync";
const ROUNDS: usize = 3;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn site_php(args: &[&str]) -> Value {
    let output = Command::new("php")
        .arg(repo().join("tests/e2e/wordpress/site.php"))
        .args(args)
        .output()
        .expect("php runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn curl_pages(base: &str, user: &str, password: &str) -> Duration {
    let mut config = String::new();
    for page in 1..=POSTS.div_ceil(100) {
        config.push_str(&format!(
            "url = \"{base}/wp-json/wp/v2/posts?context=edit&status=any&per_page=100&orderby=modified&order=asc&page={page}\"\noutput = \"/dev/null\"\n"
        ));
    }
    let file = std::env::temp_dir().join("igny8-bench-curl.conf");
    std::fs::write(&file, config).unwrap();
    let started = Instant::now();
    let status = Command::new("curl")
        .args(["-s", "-f", "-u", &format!("{user}:{password}"), "-K"])
        .arg(&file)
        .status()
        .unwrap();
    assert!(status.success());
    started.elapsed()
}

async fn igny8_pull(base: &str, user: &str, password: &str) -> Duration {
    let store = support::fresh_store("igny8_bench_wordpress").await;
    let site = support::wordpress_site(
        &store,
        SITE,
        base,
        Some(format!("config:{SITE}")),
        json!({"username": user, "post_types": ["post"]}),
        PushPolicy::Off,
    )
    .await;
    let mut secrets = Secrets::new(std::env::temp_dir());
    secrets.insert(
        format!("config:{SITE}"),
        igny8::connector::wordpress::api::AppPassword::new(password),
    );
    let http = support::http();
    let (connector, site_settings) = wordpress(&site, http, &secrets).unwrap();
    let started = Instant::now();
    let report = pull(
        &store,
        &connector,
        &site,
        RunKind::Full,
        Trigger::Manual,
        site_settings.lookback(),
        &Quiet,
    )
    .await
    .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(report.error, None);
    assert_eq!(report.counts.created, u64::from(POSTS));
    elapsed
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

mod support;

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let status = Command::new("bash")
        .arg(repo().join("tests/e2e/wordpress/setup.sh"))
        .status()
        .unwrap();
    assert!(status.success(), "the WordPress server did not start");
    let created = site_php(&["create", SITE]);
    let seeded = Instant::now();
    site_php(&["seed", SITE, &POSTS.to_string()]);
    println!(
        "seeded {POSTS} posts in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );
    let base = created["base_url"].as_str().unwrap().to_owned();
    let user = created["username"].as_str().unwrap().to_owned();
    let password = created["app_password"].as_str().unwrap().to_owned();
    let (mut curl_times, mut igny8_times) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        let curl = curl_pages(&base, &user, &password);
        let igny8 = igny8_pull(&base, &user, &password).await;
        println!(
            "round {round}: curl {:.2} s, igny8 {:.2} s ({:.2}x)",
            curl.as_secs_f64(),
            igny8.as_secs_f64(),
            igny8.as_secs_f64() / curl.as_secs_f64()
        );
        curl_times.push(curl);
        igny8_times.push(igny8);
    }
    let (curl, igny8) = (median(curl_times), median(igny8_times));
    println!(
        "median: curl {:.2} s, igny8 {:.2} s: {:.2}x",
        curl.as_secs_f64(),
        igny8.as_secs_f64(),
        igny8.as_secs_f64() / curl.as_secs_f64()
    );
    site_php(&["drop", SITE]);
}
