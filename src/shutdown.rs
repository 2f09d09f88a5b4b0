//! Graceful stop in two steps, and the signals that drive it.
//!
//! The first SIGTERM or SIGINT stops intake (no new requests, no new job claims) and starts the
//! drain deadline; when it passes, running jobs are abandoned and handed back to the queue. A
//! second signal exits at once. SIGHUP asks for a configuration reload.

use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::systemd;

/// The daemon's two shutdown phases, shared by every subsystem.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    stopping: CancellationToken,
    abandoning: CancellationToken,
}

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Cancelled when intake must stop.
    pub fn stopping(&self) -> CancellationToken {
        self.stopping.clone()
    }

    /// Cancelled when unfinished work must be given up (the drain deadline passed).
    pub fn abandoning(&self) -> CancellationToken {
        self.abandoning.clone()
    }

    /// Stops intake now and abandons running work after `drain`. Calling it again changes
    /// nothing.
    pub fn begin(&self, drain: Duration) {
        if self.stopping.is_cancelled() {
            return;
        }
        self.stopping.cancel();
        let abandoning = self.abandoning.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(drain) => abandoning.cancel(),
                _ = abandoning.cancelled() => {}
            }
        });
    }

    /// Stops intake and abandons running work at once.
    pub fn abandon_now(&self) {
        self.stopping.cancel();
        self.abandoning.cancel();
    }
}

/// Waits for signals until the process ends: SIGTERM/SIGINT begin the shutdown (the drain time
/// is read at that moment, so a reloaded value counts), a second one exits, SIGHUP sends a
/// reload request.
pub async fn handle_signals(
    shutdown: Shutdown,
    drain: impl Fn() -> Duration,
    reload: mpsc::Sender<()>,
) -> std::io::Result<()> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
            _ = hangup.recv() => {
                // A full queue means a reload is already pending; one is enough.
                let _ = reload.try_send(());
                continue;
            }
        }
        if shutdown.stopping().is_cancelled() {
            tracing::warn!("Second stop signal; exiting at once.");
            std::process::exit(1);
        }
        let drain = drain();
        tracing::info!(
            drain_seconds = drain.as_secs(),
            "Stop signal received; draining."
        );
        systemd::notify_stopping();
        shutdown.begin(drain);
    }
}
