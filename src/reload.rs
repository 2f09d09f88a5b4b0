//! Configuration reload on SIGHUP and when a configuration file changes.
//!
//! A new configuration is loaded and checked in full first, and its `[[sites]]` are reconciled
//! into the database; if anything is wrong (a problem in a file, a site of an account that does
//! not exist) the daemon logs it and keeps the configuration it has. Live changes: `log.level`,
//! `shutdown.drain_seconds` and the sites. Other keys (database, listen address, workers) are
//! bound to resources made at start-up; a change to them is logged and applies at the next
//! restart.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::{mpsc, watch};

use crate::jobs::handler::error_chain;
use crate::settings::{ConfigError, Settings, Sources};
use crate::shutdown::Shutdown;
use crate::sites::config::{ConfigSites, ConfigSitesError};
use crate::systemd;
use crate::telemetry::Telemetry;

/// File events closer together than this are one change (editors write in several steps).
const SETTLE: Duration = Duration::from_millis(300);

/// Holds the live configuration and replaces it when a reload succeeds.
pub struct Reloader {
    sources: Sources,
    current: watch::Sender<Arc<Settings>>,
    telemetry: Option<Telemetry>,
    sites: Option<ConfigSites>,
}

/// Why a reload kept the old configuration.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    #[error(transparent)]
    Sites(#[from] ConfigSitesError),
}

impl Reloader {
    pub fn new(sources: Sources, settings: Settings, telemetry: Option<Telemetry>) -> Reloader {
        let (current, _) = watch::channel(Arc::new(settings));
        Reloader {
            sources,
            current,
            telemetry,
            sites: None,
        }
    }

    /// Reconciles the configured sites through `sites` on every reload, before the new
    /// configuration is accepted.
    pub fn with_sites(mut self, sites: ConfigSites) -> Reloader {
        self.sites = Some(sites);
        self
    }

    pub fn current(&self) -> Arc<Settings> {
        self.current.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<Arc<Settings>> {
        self.current.subscribe()
    }

    /// Loads the sources again and reconciles their sites. On success the new settings become
    /// current; on failure the old ones stay and the reason is returned.
    pub async fn reload(&self) -> Result<Arc<Settings>, ReloadError> {
        let loaded = match Settings::load(&self.sources) {
            Ok(new) => match &self.sites {
                Some(sites) => sites
                    .apply(&new.sites)
                    .await
                    .map(|_| new)
                    .map_err(Into::into),
                None => Ok(new),
            },
            Err(err) => Err(err.into()),
        };
        let new = match loaded {
            Ok(new) => new,
            Err(err) => {
                metrics::counter!("igny8_config_reloads_total", "outcome" => "rejected")
                    .increment(1);
                return Err(err);
            }
        };
        let old = self.current();
        if let Some(telemetry) = &self.telemetry
            && new.log.level != old.log.level
            && let Err(err) = telemetry.set_level(&new.log.level)
        {
            tracing::warn!(error = %err, "Could not change the log filter.");
        }
        for key in restart_only_changes(&old, &new) {
            tracing::warn!(
                key,
                "Configuration key changed; it takes effect at the next restart."
            );
        }
        let new = Arc::new(new);
        self.current.send_replace(new.clone());
        metrics::counter!("igny8_config_reloads_total", "outcome" => "applied").increment(1);
        Ok(new)
    }

    /// Reloads on every request from `requests` or change of a configuration file, until
    /// shutdown begins.
    pub async fn run(self, mut requests: mpsc::Receiver<()>, shutdown: Shutdown) {
        let (changed_tx, mut changed) = mpsc::channel::<()>(1);
        let paths = self.sources.watched_paths();
        // Dropping the watcher stops it, so it lives as long as this loop.
        let mut watcher = file_watcher(paths.clone(), changed_tx);
        let stopping = shutdown.stopping();
        loop {
            tokio::select! {
                request = requests.recv() => if request.is_none() { return },
                Some(()) = changed.recv() => {
                    tokio::time::sleep(SETTLE).await;
                    while changed.try_recv().is_ok() {}
                    tracing::info!("A configuration file changed; reloading.");
                }
                _ = stopping.cancelled() => return,
            }
            // A conf.d created since the last look is watched from now on.
            if let Some(watcher) = &mut watcher {
                watch_directories(watcher, &paths);
            }
            systemd::notify_reloading();
            match self.reload().await {
                Ok(_) => {
                    tracing::info!("Configuration reloaded.");
                    systemd::notify_reloaded("serving; configuration reloaded");
                }
                Err(err) => {
                    match &err {
                        ReloadError::Invalid(err) => {
                            for problem in &err.problems {
                                tracing::error!(%problem, "Configuration problem.");
                            }
                        }
                        ReloadError::Sites(err) => {
                            tracing::error!(error = %error_chain(err), "Could not apply the configured sites.");
                        }
                    }
                    tracing::error!("The new configuration is invalid; keeping the old one.");
                    systemd::notify_reloaded(
                        "serving; last reload rejected, old configuration kept",
                    );
                }
            }
        }
    }
}

fn restart_only_changes(old: &Settings, new: &Settings) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if old.database != new.database {
        changed.push("database");
    }
    if old.http != new.http {
        changed.push("http");
    }
    if old.data_dir != new.data_dir {
        changed.push("data_dir");
    }
    if old.jobs != new.jobs {
        changed.push("jobs");
    }
    if old.scheduler != new.scheduler {
        changed.push("scheduler");
    }
    if old.log.format != new.log.format {
        changed.push("log.format");
    }
    changed
}

/// Watches the directories holding the configuration (editors replace files rather than write
/// them in place, which a watch on the file itself would miss). A failure to watch is logged:
/// SIGHUP still works. `paths` are absolute, as the events are.
fn file_watcher(paths: Vec<PathBuf>, changed: mpsc::Sender<()>) -> Option<RecommendedWatcher> {
    let relevant = paths.clone();
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if event.kind.is_access() {
            return;
        }
        let touches_config = event.paths.iter().any(|path| {
            let is_toml = path.extension().is_some_and(|ext| ext == "toml");
            relevant.iter().any(|watched| {
                path == watched || (is_toml && path.parent() == Some(watched.as_path()))
            })
        });
        if touches_config {
            let _ = changed.try_send(());
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(watcher) => watcher,
        Err(err) => {
            tracing::warn!(error = %err, "Cannot watch configuration files; SIGHUP still reloads.");
            return None;
        }
    };
    watch_directories(&mut watcher, &paths);
    Some(watcher)
}

/// Watches each path's directory (a directory itself, or a file's parent) that exists.
/// Watching a directory again is harmless.
fn watch_directories(watcher: &mut RecommendedWatcher, paths: &[PathBuf]) {
    for path in paths {
        let dir = if path.is_dir() {
            Some(path.as_path())
        } else {
            path.parent()
        };
        if let Some(dir) = dir.filter(|dir| dir.is_dir())
            && let Err(err) = watcher.watch(dir, RecursiveMode::NonRecursive)
        {
            tracing::warn!(path = %dir.display(), error = %err, "Cannot watch a configuration directory.");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[tokio::test]
    async fn a_broken_file_keeps_the_old_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let main_file = dir.path().join("igny8.toml");
        std::fs::write(&main_file, "[shutdown]\ndrain_seconds = 5\n").unwrap();
        let sources = Sources {
            main_file: main_file.clone(),
            main_file_explicit: true,
            env: BTreeMap::new(),
            overrides: Vec::new(),
        };
        let reloader = Reloader::new(sources.clone(), Settings::load(&sources).unwrap(), None);
        let mut live = reloader.subscribe();

        std::fs::write(&main_file, "[shutdown]\ndrain_seconds = 9\n").unwrap();
        reloader.reload().await.unwrap();
        assert!(live.has_changed().unwrap());
        assert_eq!(live.borrow_and_update().shutdown.drain_seconds, 9);

        for broken in [
            "[shutdown]\ndrain_seconds = \n",
            "[shutdown]\ndrain_secs = 12\n",
            "[shutdown]\ndrain_seconds = 0\n",
        ] {
            std::fs::write(&main_file, broken).unwrap();
            let Err(ReloadError::Invalid(err)) = reloader.reload().await else {
                panic!("{broken:?} was accepted");
            };
            assert!(!err.problems.is_empty());
            assert_eq!(
                reloader.current().shutdown.drain_seconds,
                9,
                "after {broken:?}"
            );
            assert!(!live.has_changed().unwrap(), "subscribers see no change");
        }
    }
}
