//! Graceful stop in two steps, and the signals that drive it.
//!
//! The first SIGTERM or SIGINT stops intake (no new requests, no new job claims) and starts the
//! drain deadline; when it passes, running jobs are abandoned and handed back to the queue. A
//! second signal exits at once. SIGHUP asks for a configuration reload.

use std::time::Duration;

use tokio::signal::unix::{Signal, SignalKind, signal};
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
}

/// The signal streams. Installing them replaces the default actions (terminate on SIGTERM and
/// SIGHUP), so this happens before READY=1: a `systemctl reload` right after start-up must not
/// kill the daemon.
pub struct Signals {
    terminate: Signal,
    interrupt: Signal,
    hangup: Signal,
}

impl Signals {
    pub fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// Handles signals until the process ends: SIGTERM/SIGINT begin the shutdown (the drain
    /// time is read at that moment, so a reloaded value counts), a second one exits, SIGHUP
    /// sends a reload request.
    pub async fn handle(
        mut self,
        shutdown: Shutdown,
        drain: impl Fn() -> Duration,
        reload: mpsc::Sender<()>,
    ) {
        loop {
            tokio::select! {
                _ = self.terminate.recv() => {}
                _ = self.interrupt.recv() => {}
                _ = self.hangup.recv() => {
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
}
