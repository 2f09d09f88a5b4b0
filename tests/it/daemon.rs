//! The built binary under a service manager's eye: readiness, reload and stop as systemd sees
//! them through NOTIFY_SOCKET, and configuration errors as an operator sees them.

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sqlx::PgPool;

use crate::support::database_url;

const BINARY: &str = env!("CARGO_BIN_EXE_igny8");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Reads the next notification, failing the test after `limit`.
fn next_notification(socket: &UnixDatagram, limit: Duration) -> String {
    socket.set_read_timeout(Some(limit)).unwrap();
    let mut buffer = [0u8; 4096];
    let n = socket
        .recv(&mut buffer)
        .expect("a notification from the daemon in time");
    String::from_utf8_lossy(&buffer[..n]).into_owned()
}

/// Reads notifications until one contains `line`; returns everything read.
fn wait_for_notification(socket: &UnixDatagram, line: &str, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no {line} within {limit:?}; saw {seen:?}");
        let message = next_notification(socket, left);
        let found = message.lines().any(|l| l == line);
        seen.push(message);
        if found {
            return seen;
        }
    }
}

fn signal(child: &Child, signal: Signal) {
    kill(Pid::from_raw(child.id() as i32), signal).unwrap();
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the daemon did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn write_config(path: &Path, pool: &PgPool, port: u16) {
    std::fs::write(
        path,
        format!(
            "[database]\nurl = \"{}\"\nmax_connections = 4\n\
             [http]\nlisten = \"127.0.0.1:{port}\"\n\
             [log]\nformat = \"json\"\n\
             [shutdown]\ndrain_seconds = 5\n",
            database_url(pool)
        ),
    )
    .unwrap();
}

#[sqlx::test]
async fn systemd_sees_ready_after_healthz_answers_then_watchdog_reload_and_stop(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("igny8.toml");
    let port = free_port();
    write_config(&config, &pool, port);
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();

    let mut child = Command::new(BINARY)
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "1000000")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");

    let before_ready = wait_for_notification(&socket, "READY=1", Duration::from_secs(60));
    assert!(
        before_ready.iter().all(|m| !m.contains("STOPPING=1")),
        "{before_ready:?}"
    );
    // The moment READY=1 arrives the daemon must already answer.
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["ready"], true);
    // WatchdogSec=1s: pings come every half period while the database answers.
    wait_for_notification(&socket, "WATCHDOG=1", Duration::from_secs(10));

    // A file that tries to change a live key but is broken elsewhere: the change is noticed
    // (file watch), announced, rejected, and the daemon carries on with what it had. SIGHUP
    // does the same on demand.
    std::fs::write(
        &config,
        "[shutdown]\ndrain_seconds = 1\n[http]\nlisten = \n",
    )
    .unwrap();
    for trigger in ["file watch", "SIGHUP"] {
        if trigger == "SIGHUP" {
            signal(&child, Signal::SIGHUP);
        }
        let reload = wait_for_notification(&socket, "READY=1", Duration::from_secs(30));
        assert!(
            reload.iter().any(|m| m.lines().any(|l| l == "RELOADING=1")),
            "{trigger}: {reload:?}"
        );
    }
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("igny8_config_reloads_total{outcome=\"rejected\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("igny8_jobs{state=\"pending\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("igny8_http_requests_total{"), "{metrics}");
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    signal(&child, Signal::SIGTERM);
    wait_for_notification(&socket, "STOPPING=1", Duration::from_secs(10));
    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(0));
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    // The drain time in force is still the one the daemon started with.
    assert!(logs.contains("\"drain_seconds\":5"), "{logs}");
    assert!(!logs.contains("\"drain_seconds\":1"), "{logs}");
}

#[test]
fn validate_names_file_key_and_problem_for_each_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("igny8.toml");
    std::fs::write(
        &config,
        "[jobs]\nworkers = 0\nretries = 3\n[http]\nlisten = \"nowhere\"\n",
    )
    .unwrap();
    let output = Command::new(BINARY)
        .arg("--config")
        .arg(&config)
        .arg("validate")
        .env("IGNY8__LOG__FORMAT", "xml")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let file = config.display().to_string();
    for expected in [
        format!("{file}: key `jobs.retries`: unknown key"),
        format!("{file}: key `jobs.workers`: expected a number from 1 to 256, found 0"),
        format!("{file}: key `http.listen`: expected an address and port"),
        "environment variable IGNY8__LOG__FORMAT: key `log.format`: expected one of auto, human, json".to_owned(),
    ] {
        assert!(stderr.contains(&expected), "missing {expected:?} in:\n{stderr}");
    }
}

#[test]
fn print_config_never_shows_the_database_password() {
    let output = Command::new(BINARY)
        .args(["--config", "config/demo.toml", "print-config"])
        .env(
            "IGNY8__DATABASE__URL",
            "postgres://igny8:s3cret@db.internal/igny8",
        )
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains("s3cret"), "{stdout}");
    assert!(
        stdout.contains("postgres://igny8:REDACTED@db.internal/igny8"),
        "{stdout}"
    );
}
