//! The folder connector (`connector = "files"`): a folder of `.html` and `.md` files is a
//! site. Each file is an item (type `file`, id its path relative to the folder) whose version
//! is its modification time with a hash of its bytes; pulls read the files in ascending
//! version, the sweep lists them all, and a push writes the processed HTML under the output
//! folder atomically, on condition that the file is still the version read. A watcher
//! (`watcher.rs`) reports changes as they happen.

pub mod atomic_write;
pub mod document;
pub mod relative_path;
pub mod scan;
pub mod version;
pub mod watcher;

use std::collections::VecDeque;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::connector::ConnectorError;
use crate::connector::remote::{
    BatchWrite, Connector, Deletion, Patch, RemoteItem, RemoteStub, Stream, Window, WriteOutcome,
};
use relative_path::RelativePath;
use scan::{EXTERNAL_TYPE, Folders, Listed};

/// Files read per window, unless more share the window's last millisecond.
const WINDOW_FILES: usize = 500;

pub struct Folder {
    folders: Folders,
    window_files: usize,
}

/// Where the read of a folder stands: the files still to read, listed at the first window.
pub struct FolderPosition {
    since: Option<DateTime<Utc>>,
    pending: Option<VecDeque<Listed>>,
}

/// Runs blocking file-system work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ConnectorError> + Send + 'static,
) -> Result<T, ConnectorError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| ConnectorError::Transient(format!("a file task failed: {err}")))?
}

fn checked(external_type: &str, external_id: &str) -> Result<RelativePath, ConnectorError> {
    if external_type != EXTERNAL_TYPE {
        return Err(ConnectorError::Permanent(format!(
            "a folder site holds items of type {EXTERNAL_TYPE:?}, not {external_type:?}"
        )));
    }
    RelativePath::parse(external_id)
        .map_err(|err| ConnectorError::Permanent(format!("item id: {err}")))
}

impl Folder {
    /// A connector over `source`, writing results under `output` when given. The output may
    /// not lie inside the source, where written files would be read back as content.
    pub fn new(source: PathBuf, output: Option<PathBuf>) -> Result<Folder, String> {
        if let Some(output) = &output
            && output.starts_with(&source)
        {
            return Err(format!(
                "output_path {} lies inside path {}: written files would be read as content",
                output.display(),
                source.display()
            ));
        }
        Ok(Folder {
            folders: Folders { source, output },
            window_files: WINDOW_FILES,
        })
    }

    /// Reads `files` files per window (at least one) instead of 500.
    pub fn with_window_files(mut self, files: usize) -> Folder {
        self.window_files = files.max(1);
        self
    }

    pub fn source(&self) -> &std::path::Path {
        &self.folders.source
    }

    /// Writes one item's processed HTML, on condition that its version is still `expected`.
    fn write_now(
        folders: &Folders,
        path: &RelativePath,
        patch: &Patch,
        expected: DateTime<Utc>,
    ) -> Result<WriteOutcome, ConnectorError> {
        let Some(target) = folders.output_file(path) else {
            return Err(ConnectorError::Permanent(
                "the site has no output_path, so results are not written".to_owned(),
            ));
        };
        let Some(current) = folders.read(path)? else {
            return Ok(WriteOutcome::PreconditionFailed {
                current_modified: None,
            });
        };
        if current.remote_modified != expected {
            return Ok(WriteOutcome::PreconditionFailed {
                current_modified: Some(current.remote_modified),
            });
        }
        let output = folders.output.as_ref().expect("a target implies an output");
        std::fs::create_dir_all(output).map_err(|err| {
            ConnectorError::Permanent(format!("cannot create {}: {err}", output.display()))
        })?;
        let target_path = path.output();
        target_path
            .resolve(output)
            .map_err(|err| ConnectorError::Permanent(format!("output: {err}")))?;
        let body = patch.content.as_deref().unwrap_or(&current.content_raw);
        atomic_write::write_atomically(&target, body.as_bytes()).map_err(|err| {
            ConnectorError::Transient(format!("cannot write {}: {err}", target.display()))
        })?;
        let mut written = folders.read(path)?.ok_or_else(|| {
            ConnectorError::Transient(format!("{path} was removed while its output was written"))
        })?;
        if written.remote_modified <= expected {
            // Written within the millisecond of the version read: the output's time is moved
            // past it, so the written version is newer and a replay is refused.
            let later = expected + Duration::milliseconds(1);
            std::fs::File::options()
                .write(true)
                .open(&target)
                .and_then(|file| file.set_modified(later.into()))
                .map_err(|err| {
                    ConnectorError::Transient(format!("cannot touch {}: {err}", target.display()))
                })?;
            written = folders.read(path)?.ok_or_else(|| {
                ConnectorError::Transient(format!("{path} was removed while it was written"))
            })?;
        }
        written.content_raw = body.to_owned();
        if let Some(title) = &patch.title {
            written.title = title.clone();
        }
        Ok(WriteOutcome::Written(Box::new(written)))
    }
}

impl Connector for Folder {
    type Position = FolderPosition;

    async fn probe(&self) -> Result<Value, ConnectorError> {
        let folders = self.folders.clone();
        blocking(move || {
            let source = &folders.source;
            let metadata = std::fs::metadata(source).map_err(|err| {
                ConnectorError::Permanent(format!("cannot open {}: {err}", source.display()))
            })?;
            if !metadata.is_dir() {
                return Err(ConnectorError::Permanent(format!(
                    "{} is not a directory",
                    source.display()
                )));
            }
            Ok(json!({
                "cms": "files",
                "path": source,
                "output_path": folders.output,
                "writes": folders.output.is_some(),
            }))
        })
        .await
    }

    fn streams(&self) -> Vec<Stream> {
        vec![Stream {
            name: "files".to_owned(),
            external_type: EXTERNAL_TYPE.to_owned(),
        }]
    }

    fn start(&self, _stream: &Stream, since: Option<DateTime<Utc>>) -> FolderPosition {
        FolderPosition {
            since,
            pending: None,
        }
    }

    async fn next_window(
        &self,
        position: &mut FolderPosition,
    ) -> Result<Option<Window>, ConnectorError> {
        if position.pending.is_none() {
            let folders = self.folders.clone();
            let since = position.since.map(version::millisecond);
            let listed = blocking(move || folders.list()).await?;
            position.pending = Some(
                listed
                    .into_iter()
                    .filter(|file| since.is_none_or(|since| file.millisecond >= since))
                    .collect(),
            );
        }
        let pending = position.pending.as_mut().expect("listed above");
        loop {
            if pending.is_empty() {
                return Ok(None);
            }
            let mut batch: Vec<Listed> = Vec::new();
            while let Some(next) = pending.front() {
                let full = batch.len() >= self.window_files;
                if full
                    && batch
                        .last()
                        .is_some_and(|l| l.millisecond != next.millisecond)
                {
                    break;
                }
                batch.push(pending.pop_front().expect("a front exists"));
            }
            let folders = self.folders.clone();
            let since = position.since;
            let items = blocking(move || {
                let mut items = Vec::with_capacity(batch.len());
                for listed in &batch {
                    if let Some(item) = folders.read(&listed.path)?
                        && since.is_none_or(|since| item.remote_modified > since)
                    {
                        items.push(item);
                    }
                }
                items.sort_by(|a, b| {
                    (a.remote_modified, &a.external_id).cmp(&(b.remote_modified, &b.external_id))
                });
                Ok(items)
            })
            .await?;
            if !items.is_empty() {
                return Ok(Some(Window {
                    items,
                    expected_total: None,
                }));
            }
        }
    }

    async fn sweep(&self, _stream: &Stream) -> Result<Vec<RemoteStub>, ConnectorError> {
        let folders = self.folders.clone();
        blocking(move || {
            let mut stubs = Vec::new();
            for listed in folders.list()? {
                if let Some(item) = folders.read(&listed.path)? {
                    stubs.push(RemoteStub {
                        external_id: item.external_id,
                        remote_modified: item.remote_modified,
                        remote_status: item.remote_status,
                    });
                }
            }
            Ok(stubs)
        })
        .await
    }

    async fn fetch(
        &self,
        external_type: &str,
        external_ids: &[String],
    ) -> Result<Vec<RemoteItem>, ConnectorError> {
        let paths = external_ids
            .iter()
            .map(|id| checked(external_type, id))
            .collect::<Result<Vec<_>, _>>()?;
        let folders = self.folders.clone();
        blocking(move || {
            let mut items = Vec::with_capacity(paths.len());
            for path in &paths {
                if let Some(item) = folders.read(path)? {
                    items.push(item);
                }
            }
            Ok(items)
        })
        .await
    }

    /// A folder keeps no record of deletions; the sweep finds them.
    async fn deletions(
        &self,
        _since: DateTime<Utc>,
    ) -> Result<Option<Vec<Deletion>>, ConnectorError> {
        Ok(None)
    }

    async fn write(
        &self,
        external_type: &str,
        external_id: &str,
        patch: &Patch,
        expected_modified: DateTime<Utc>,
    ) -> Result<WriteOutcome, ConnectorError> {
        let path = checked(external_type, external_id)?;
        let folders = self.folders.clone();
        let patch = patch.clone();
        blocking(move || Folder::write_now(&folders, &path, &patch, expected_modified)).await
    }

    fn batch_size(&self) -> usize {
        1
    }

    async fn write_batch(
        &self,
        writes: &[BatchWrite<'_>],
    ) -> Result<Vec<Result<WriteOutcome, ConnectorError>>, ConnectorError> {
        let mut outcomes = Vec::with_capacity(writes.len());
        for w in writes {
            outcomes.push(
                self.write(w.external_type, w.external_id, w.patch, w.expected_modified)
                    .await,
            );
        }
        Ok(outcomes)
    }
}
