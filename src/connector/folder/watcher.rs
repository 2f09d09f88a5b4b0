//! Watching a folder site for changes: file-system events, debounced so an editor's burst of
//! writes and renames becomes one report, mapped to the content files they touched.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use crate::connector::folder::relative_path::RelativePath;

/// What a burst of events touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A content file was created, changed, renamed or removed.
    File(RelativePath),
    /// Something that cannot be told file by file: a directory moved or removed, or events
    /// lost. The whole folder needs reading.
    Folder,
}

/// Watches one folder while it is held; dropping it stops the watch.
pub struct FolderWatcher {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

/// What an event's path means for the folder at `root`.
fn change_of(root: &Path, path: &Path) -> Option<Change> {
    let relative = path.strip_prefix(root).ok()?;
    if relative.as_os_str().is_empty() {
        return Some(Change::Folder);
    }
    let hidden = relative
        .components()
        .any(|part| part.as_os_str().to_string_lossy().starts_with('.'));
    if hidden {
        return None;
    }
    match RelativePath::of(root, path) {
        Ok(file) => Some(Change::File(file)),
        // No extension, or a directory: a folder moved in or out takes its files with it.
        Err(_) if path.extension().is_none() || path.is_dir() => Some(Change::Folder),
        Err(_) => None,
    }
}

fn changes(root: &Path, result: DebounceEventResult) -> Vec<Change> {
    let mut changes = Vec::new();
    match result {
        Ok(events) => {
            for event in events {
                if event.need_rescan() {
                    changes.push(Change::Folder);
                }
                for path in &event.paths {
                    if let Some(change) = change_of(root, path)
                        && !changes.contains(&change)
                    {
                        changes.push(change);
                    }
                }
            }
        }
        Err(errors) => {
            for error in errors {
                tracing::warn!(folder = %root.display(), error = %error, "Watching a folder failed; it is read whole.");
            }
            changes.push(Change::Folder);
        }
    }
    changes
}

impl FolderWatcher {
    /// Starts watching `root` recursively; `report` is called from the watcher's thread with
    /// each debounced burst's changes, `debounce` after the burst's last event.
    pub fn start(
        root: &Path,
        debounce: Duration,
        report: impl Fn(Vec<Change>) + Send + 'static,
    ) -> Result<FolderWatcher, notify::Error> {
        let root: PathBuf = root.canonicalize().map_err(notify::Error::io)?;
        let watched = root.clone();
        let mut debouncer = new_debouncer(debounce, None, move |result| {
            let changes = changes(&watched, result);
            if !changes.is_empty() {
                report(changes);
            }
        })?;
        debouncer.watch(&root, RecursiveMode::Recursive)?;
        Ok(FolderWatcher {
            _debouncer: debouncer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_paths_map_to_content_files_and_hidden_or_other_files_are_ignored() {
        let root = Path::new("/srv/site");
        let file = |p: &str| Some(Change::File(RelativePath::parse(p).unwrap()));
        assert_eq!(
            change_of(root, Path::new("/srv/site/a/b.md")),
            file("a/b.md")
        );
        assert_eq!(
            change_of(root, Path::new("/srv/site/x.html")),
            file("x.html")
        );
        assert_eq!(change_of(root, Path::new("/srv/site/.x.md.swp")), None);
        assert_eq!(change_of(root, Path::new("/srv/site/.git/index")), None);
        assert_eq!(change_of(root, Path::new("/srv/site/notes.txt")), None);
        assert_eq!(
            change_of(root, Path::new("/srv/site/guides")),
            Some(Change::Folder)
        );
        assert_eq!(
            change_of(root, Path::new("/srv/site")),
            Some(Change::Folder)
        );
        assert_eq!(change_of(root, Path::new("/elsewhere/a.md")), None);
    }
}
