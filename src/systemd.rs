//! systemd notifications: READY, RELOADING, STOPPING, WATCHDOG and STATUS.
//!
//! Without `NOTIFY_SOCKET` (not under systemd) every call does nothing. A failed notification
//! is logged and otherwise ignored: the daemon works the same without a service manager.

use std::time::Duration;

use sd_notify::NotifyState;

fn send(states: &[NotifyState]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(err) = sd_notify::notify(states) {
        tracing::warn!(error = %err, "Could not notify systemd.");
    }
}

/// Sent once the HTTP listener is bound and the workers run.
pub fn notify_ready() {
    send(&[NotifyState::Ready, NotifyState::Status("serving")]);
}

pub fn notify_reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[NotifyState::Reloading, now]),
        Err(_) => send(&[NotifyState::Reloading]),
    }
}

/// Ends a reload (whether the new configuration was taken or not).
pub fn notify_reloaded(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

pub fn notify_stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("draining")]);
}

pub fn notify_watchdog() {
    send(&[NotifyState::Watchdog]);
}

/// The watchdog period systemd expects pings within, when `WatchdogSec=` is set for us.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
}
