//! Walking a folder site: every content file under the folder (hidden entries skipped,
//! symbolic links followed only while they stay inside), and reading one file into its item.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::connector::ConnectorError;
use crate::connector::folder::document;
use crate::connector::folder::relative_path::RelativePath;
use crate::connector::folder::version::{content_hash, millisecond, stamp};
use crate::connector::remote::RemoteItem;

/// Every item of a folder site has this type.
pub const EXTERNAL_TYPE: &str = "file";

/// Where a folder site's files are read and its results written.
#[derive(Debug, Clone)]
pub struct Folders {
    pub source: PathBuf,
    pub output: Option<PathBuf>,
}

/// A content file found by a listing, with the millisecond its version belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Listed {
    pub millisecond: DateTime<Utc>,
    pub path: RelativePath,
}

fn io_error(what: &str, path: &Path, err: &io::Error) -> ConnectorError {
    let message = format!("{what} {}: {err}", path.display());
    match err.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::NotFound => {
            ConnectorError::Permanent(message)
        }
        _ => ConnectorError::Transient(message),
    }
}

fn modified(path: &Path) -> io::Result<SystemTime> {
    std::fs::metadata(path)?.modified()
}

impl Folders {
    /// The processed file of `path`, where the site writes results.
    pub fn output_file(&self, path: &RelativePath) -> Option<PathBuf> {
        self.output
            .as_ref()
            .map(|output| output.join(path.output().as_str()))
    }

    /// Every content file, sorted by the millisecond of its version, then path.
    pub fn list(&self) -> Result<Vec<Listed>, ConnectorError> {
        let root = self
            .source
            .canonicalize()
            .map_err(|err| io_error("cannot open the folder", &self.source, &err))?;
        let mut listed = Vec::new();
        let mut visited = HashSet::new();
        let mut directories = vec![self.source.clone()];
        while let Some(directory) = directories.pop() {
            let real = directory
                .canonicalize()
                .map_err(|err| io_error("cannot open", &directory, &err))?;
            if !real.starts_with(&root) || !visited.insert(real) {
                continue;
            }
            let entries = std::fs::read_dir(&directory)
                .map_err(|err| io_error("cannot list", &directory, &err))?;
            for entry in entries {
                let entry = entry.map_err(|err| io_error("cannot list", &directory, &err))?;
                if entry.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                let path = entry.path();
                // Follows links; one whose target vanished meanwhile is skipped like a deleted file.
                let Ok(metadata) = std::fs::metadata(&path) else {
                    continue;
                };
                if metadata.is_dir() {
                    directories.push(path);
                    continue;
                }
                let Ok(relative) = RelativePath::of(&self.source, &path) else {
                    continue;
                };
                if relative.resolve(&self.source).is_err() {
                    continue;
                }
                let mut newest = metadata
                    .modified()
                    .map_err(|err| io_error("cannot read the time of", &path, &err))?;
                if let Some(output) = self.output_file(&relative)
                    && let Ok(output_modified) = modified(&output)
                {
                    newest = newest.max(output_modified);
                }
                listed.push(Listed {
                    millisecond: millisecond(DateTime::<Utc>::from(newest)),
                    path: relative,
                });
            }
        }
        listed.sort();
        Ok(listed)
    }

    /// The version of the processed output of `path`, if it has been written.
    fn output_version(&self, path: &RelativePath) -> Result<Option<DateTime<Utc>>, ConnectorError> {
        let Some(file) = self.output_file(path) else {
            return Ok(None);
        };
        match std::fs::read(&file) {
            Ok(bytes) => {
                let at = modified(&file).map_err(|err| io_error("cannot read", &file, &err))?;
                Ok(Some(stamp(at, &content_hash(&bytes))))
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(io_error("cannot read", &file, &err)),
        }
    }

    /// The file at `path` as an item, or `None` when there is no such file. Its version is the
    /// newer of the source's and the written output's, so a write moves it on and a replayed
    /// write with the old version is refused.
    pub fn read(&self, path: &RelativePath) -> Result<Option<RemoteItem>, ConnectorError> {
        let file = path
            .resolve(&self.source)
            .map_err(|err| ConnectorError::Permanent(err.to_string()))?;
        let bytes = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(io_error("cannot read", &file, &err)),
        };
        let at = modified(&file).map_err(|err| io_error("cannot read", &file, &err))?;
        let hash = content_hash(&bytes);
        let source_version = stamp(at, &hash);
        let version = match self.output_version(path)? {
            Some(output) => output.max(source_version),
            None => source_version,
        };
        let text = String::from_utf8(bytes)
            .map_err(|_| ConnectorError::Permanent(format!("{path}: expected UTF-8 text")))?;
        let format = path
            .format()
            .expect("a checked path has a content extension");
        let parsed = document::parse(&text, format)
            .map_err(|err| ConnectorError::Permanent(format!("{path}: {err}")))?;
        let front = parsed.front;
        Ok(Some(RemoteItem {
            external_type: EXTERNAL_TYPE.to_owned(),
            external_id: path.as_str().to_owned(),
            remote_modified: version,
            remote_status: "publish".to_owned(),
            title: front.title.unwrap_or_else(|| path.stem().to_owned()),
            content_raw: parsed.html,
            content_rendered: None,
            excerpt: None,
            slug: Some(front.slug.unwrap_or_else(|| path.stem().to_owned())),
            external_url: None,
            author: None,
            categories: Vec::new(),
            tags: Vec::new(),
            featured_media: None,
            focus_keyphrase: front.keyphrase,
            meta_description: front.meta_description,
            published_at: None,
            metadata: json!({
                "path": path.as_str(),
                "format": format.as_str(),
                "source_sha256": hex::encode(hash),
                "source_modified": DateTime::<Utc>::from(at),
            }),
        }))
    }
}
