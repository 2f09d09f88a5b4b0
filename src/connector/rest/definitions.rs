//! The definitions of a directory, each read when a site needs it and parsed again only when
//! its file's contents changed. Reading a few kilobytes per job costs nothing next to the
//! requests the job makes, and unlike a modification time a content hash cannot miss an edit
//! made within the same second. A watcher on the directory re-checks a definition as soon as
//! its file changes, so a broken edit is in the log at once rather than at the site's next
//! sync.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use sha2::{Digest, Sha256};

use crate::connector::rest::definition::{Definition, DefinitionError};
use crate::domain::site::DefinitionName;

struct Cached {
    hash: [u8; 32],
    definition: Result<Arc<Definition>, DefinitionError>,
}

/// The definitions under one directory (`connectors.definitions_dir`).
pub struct Definitions {
    dir: PathBuf,
    cache: Mutex<HashMap<String, Cached>>,
}

impl std::fmt::Debug for Definitions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Definitions")
            .field("dir", &self.dir)
            .finish()
    }
}

impl Definitions {
    pub fn new(dir: PathBuf) -> Definitions {
        Definitions {
            dir,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `{dir}/{name}.toml`.
    pub fn file(&self, name: &DefinitionName) -> PathBuf {
        self.dir.join(format!("{}.toml", name.as_str()))
    }

    /// The definition as its file holds it now.
    pub fn get(&self, name: &DefinitionName) -> Result<Arc<Definition>, DefinitionError> {
        let file = self.file(name);
        let bytes = std::fs::read(&file).map_err(|err| DefinitionError::Unreadable {
            file: file.clone(),
            message: err.to_string(),
        })?;
        let hash: [u8; 32] = Sha256::digest(&bytes).into();
        let mut cache = self.cache.lock().expect("definitions lock poisoned");
        if let Some(cached) = cache.get(name.as_str())
            && cached.hash == hash
        {
            return cached.definition.clone();
        }
        let definition = match std::str::from_utf8(&bytes) {
            Ok(text) => Definition::parse(&file, text).map(Arc::new),
            Err(err) => Err(DefinitionError::Unreadable {
                file: file.clone(),
                message: format!("not UTF-8: {err}"),
            }),
        };
        match &definition {
            Ok(_) if cache.contains_key(name.as_str()) => {
                tracing::info!(file = %file.display(), "Connector definition reloaded.");
            }
            Ok(_) => {}
            Err(err) => {
                tracing::error!(error = %err, "Connector definition is invalid; its sites cannot sync until it is fixed.")
            }
        }
        cache.insert(
            name.as_str().to_owned(),
            Cached {
                hash,
                definition: definition.clone(),
            },
        );
        definition
    }

    /// Watches the directory and re-checks each definition whose file changes. The watcher
    /// stops when the returned value is dropped; `None` (logged) when the directory cannot be
    /// watched, in which case definitions still reload at their sites' next sync.
    pub fn watch(self: &Arc<Self>) -> Option<RecommendedWatcher> {
        let definitions = Arc::downgrade(self);
        let handler = move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            if event.kind.is_access() {
                return;
            }
            let Some(definitions) = definitions.upgrade() else {
                return;
            };
            for path in &event.paths {
                let is_toml = path.extension().is_some_and(|ext| ext == "toml");
                let name = path
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .and_then(|stem| DefinitionName::parse(stem).ok());
                if let (true, Some(name)) = (is_toml && path.exists(), name) {
                    // Logged by `get`; the result itself is for the sites' jobs.
                    let _checked = definitions.get(&name);
                }
            }
        };
        let mut watcher = match notify::recommended_watcher(handler) {
            Ok(watcher) => watcher,
            Err(err) => {
                tracing::warn!(error = %err, "Cannot watch connector definitions; they reload at each site's next sync.");
                return None;
            }
        };
        if let Err(err) = watcher.watch(&self.dir, RecursiveMode::NonRecursive) {
            tracing::warn!(dir = %self.dir.display(), error = %err, "Cannot watch the connector definitions directory; definitions reload at each site's next sync.");
            return None;
        }
        Some(watcher)
    }
}
