//! A site's files under `{data_dir}/sites/{site_id}/v{version}/`: `site.json` and
//! `pages/{slug}.json` written by a deploy, `assets/{images,documents,media}/` uploaded.
//!
//! Every directory from `sites/` down is checked to be a real directory, not a symlink, before
//! it is used, and a file about to be replaced or deleted must not be a symlink either, so no
//! operation reaches outside the site's tree. Files are written to a temporary name and
//! renamed, so a reader sees a whole file or none. Operations on one site take its lock, so the
//! quota checked before an upload is not raced by another upload of this daemon.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::domain::ids::SiteId;
use crate::settings::SiteBuilderSettings;
use crate::site_builder::asset_path::{AssetFolder, AssetName, AssetPath};

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// A name or path that could lead elsewhere; `field` is the request's name for it.
    #[error("{field}: {message}")]
    InvalidPath {
        field: &'static str,
        message: String,
    },
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the site's storage quota of {quota} bytes would be exceeded ({used} bytes used)")]
    QuotaExceeded { quota: u64, used: u64 },
    /// The content is not of an allowed type, or does not match its name's extension.
    #[error("{0}")]
    UnsupportedType(String),
    #[error("no such file")]
    NotFound,
    /// The upload could not be read from the request.
    #[error("the upload could not be read: {0}")]
    Unreadable(String),
    #[error("file system error")]
    Io(#[from] io::Error),
}

/// Where the bytes of an upload come from, chunk by chunk.
pub trait Chunks {
    fn next_chunk(&mut self) -> impl Future<Output = Result<Option<Bytes>, String>> + Send;
}

/// A stored asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AssetInfo {
    /// `FOLDER/NAME`, as DELETE takes it.
    pub path: String,
    pub folder: AssetFolder,
    pub name: String,
    pub size: u64,
    /// The type sniffed from the content.
    pub content_type: String,
}

/// A deployed version's contents.
pub struct VersionFiles<'a> {
    pub site_json: &'a Value,
    /// Each page's slug and document.
    pub pages: &'a [(String, Value)],
}

/// The types an upload may have: sniffed from its content, with the extensions its name may
/// end in and the folder it goes to.
const ALLOWED: &[(&str, &[&str], AssetFolder)] = &[
    ("image/png", &["png"], AssetFolder::Images),
    ("image/jpeg", &["jpg", "jpeg"], AssetFolder::Images),
    ("image/gif", &["gif"], AssetFolder::Images),
    ("image/webp", &["webp"], AssetFolder::Images),
    ("application/pdf", &["pdf"], AssetFolder::Documents),
    ("video/mp4", &["mp4"], AssetFolder::Media),
    ("video/webm", &["webm"], AssetFolder::Media),
    ("audio/mpeg", &["mp3"], AssetFolder::Media),
    ("audio/ogg", &["ogg", "oga"], AssetFolder::Media),
];

/// Enough of a file to recognise its type.
const SNIFF_BYTES: usize = 8192;

#[derive(Debug, Clone)]
pub struct SiteFiles {
    root: PathBuf,
    limits: SiteBuilderSettings,
    locks: Arc<Mutex<HashMap<SiteId, Arc<tokio::sync::Mutex<()>>>>>,
}

impl SiteFiles {
    pub fn new(data_dir: &Path, limits: SiteBuilderSettings) -> SiteFiles {
        SiteFiles {
            root: data_dir.join("sites"),
            limits,
            locks: Arc::default(),
        }
    }

    pub fn limits(&self) -> &SiteBuilderSettings {
        &self.limits
    }

    fn lock(&self, site: SiteId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().expect("the lock map is never poisoned");
        locks.entry(site).or_default().clone()
    }

    /// `v{version}` of a site, created if missing, every level checked.
    async fn version_dir(&self, site: SiteId, version: i32) -> Result<PathBuf, FileError> {
        let mut dir = self.root.clone();
        tokio::fs::create_dir_all(&dir).await?;
        for part in [site.to_string(), format!("v{version}")] {
            dir.push(part);
            real_dir(&dir, true).await?;
        }
        Ok(dir)
    }

    /// A folder of a version's assets, created if `create`; `None` when absent.
    async fn folder_dir(
        &self,
        site: SiteId,
        version: i32,
        folder: AssetFolder,
        create: bool,
    ) -> Result<Option<PathBuf>, FileError> {
        let mut dir = self.root.clone();
        if create {
            tokio::fs::create_dir_all(&dir).await?;
        }
        for part in [
            site.to_string(),
            format!("v{version}"),
            "assets".to_owned(),
            folder.as_str().to_owned(),
        ] {
            dir.push(part);
            if !real_dir(&dir, create).await? {
                return Ok(None);
            }
        }
        Ok(Some(dir))
    }

    /// A folder of a version's assets to read; one that is missing or not a real directory
    /// (a symlink someone placed) holds nothing of the site's.
    async fn existing_folder(
        &self,
        site: SiteId,
        version: i32,
        folder: AssetFolder,
    ) -> Result<Option<PathBuf>, FileError> {
        match self.folder_dir(site, version, folder, false).await {
            Err(FileError::InvalidPath { .. }) => Ok(None),
            other => other,
        }
    }

    /// The assets of a site version, by folder and name.
    pub async fn list(
        &self,
        site: SiteId,
        version: i32,
        only: Option<AssetFolder>,
    ) -> Result<Vec<AssetInfo>, FileError> {
        let mut assets = Vec::new();
        for folder in AssetFolder::ALL {
            if only.is_some_and(|only| only != folder) {
                continue;
            }
            let Some(dir) = self.existing_folder(site, version, folder).await? else {
                continue;
            };
            for (name, size) in regular_files(&dir).await? {
                let content_type = sniff_file(&dir.join(name.as_str()))
                    .await?
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                assets.push(AssetInfo {
                    path: format!("{folder}/{name}"),
                    folder,
                    name: name.to_string(),
                    size,
                    content_type,
                });
            }
        }
        Ok(assets)
    }

    /// Bytes the assets of a site version take.
    async fn usage(&self, site: SiteId, version: i32) -> Result<u64, FileError> {
        let mut used = 0;
        for folder in AssetFolder::ALL {
            if let Some(dir) = self.existing_folder(site, version, folder).await? {
                used += regular_files(&dir)
                    .await?
                    .iter()
                    .map(|(_, size)| size)
                    .sum::<u64>();
            }
        }
        Ok(used)
    }

    /// Stores an upload as `original_name` (sanitised) in the folder its sniffed type belongs
    /// to. Nothing is kept unless the whole file is within the size limit and the quota and of
    /// an allowed type matching its extension.
    pub async fn upload(
        &self,
        site: SiteId,
        version: i32,
        original_name: &str,
        chunks: &mut impl Chunks,
    ) -> Result<AssetInfo, FileError> {
        let name =
            AssetName::for_upload(original_name).map_err(|message| FileError::InvalidPath {
                field: "file",
                message,
            })?;
        let lock = self.lock(site);
        let _held = lock.lock().await;
        let used = self.usage(site, version).await?;
        let quota = self.limits.quota_bytes_per_site;
        if used >= quota {
            return Err(FileError::QuotaExceeded { quota, used });
        }
        let dir = self.version_dir(site, version).await?;
        let temp = dir.join(format!(".upload-{}", uuid::Uuid::new_v4()));
        let written = receive(&temp, chunks, self.limits.max_upload_bytes, quota, used).await;
        let stored = match written {
            Ok(size) => self.place(site, version, &name, &temp, size, used).await,
            Err(err) => Err(err),
        };
        if stored.is_err() {
            // The temporary file is ours alone; a failure to remove it leaves only a hidden
            // file that is never listed.
            let _ = tokio::fs::remove_file(&temp).await;
        }
        stored
    }

    /// Checks a received file's type and moves it to its folder.
    async fn place(
        &self,
        site: SiteId,
        version: i32,
        name: &AssetName,
        temp: &Path,
        size: u64,
        used: u64,
    ) -> Result<AssetInfo, FileError> {
        let content_type = sniff_file(temp).await?;
        let Some((mime, extensions, folder)) =
            content_type.and_then(|mime| ALLOWED.iter().find(|(allowed, _, _)| *allowed == mime))
        else {
            return Err(FileError::UnsupportedType(format!(
                "expected PNG, JPEG, GIF or WebP images, PDF documents, or MP4, WebM, MP3 or Ogg \
                 media; the content is {}",
                content_type.unwrap_or("of an unknown type")
            )));
        };
        if !name
            .extension()
            .is_some_and(|ext| extensions.contains(&ext))
        {
            return Err(FileError::UnsupportedType(format!(
                "the content is {mime}, so the name must end in .{}; found {name:?}",
                extensions.join(" or ."),
                name = name.as_str()
            )));
        }
        let dir = self
            .folder_dir(site, version, *folder, true)
            .await?
            .expect("a created folder exists");
        let target = dir.join(name.as_str());
        let replaced = match tokio::fs::symlink_metadata(&target).await {
            Ok(meta) if meta.file_type().is_file() => meta.len(),
            Ok(_) => {
                return Err(FileError::InvalidPath {
                    field: "file",
                    message: format!("{folder}/{name} exists and is not a regular file"),
                });
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => 0,
            Err(err) => return Err(err.into()),
        };
        let quota = self.limits.quota_bytes_per_site;
        if used - replaced + size > quota {
            return Err(FileError::QuotaExceeded { quota, used });
        }
        tokio::fs::rename(temp, &target).await?;
        Ok(AssetInfo {
            path: format!("{folder}/{name}"),
            folder: *folder,
            name: name.to_string(),
            size,
            content_type: (*mime).to_owned(),
        })
    }

    /// Deletes an asset of a site version. A symlink is refused rather than followed.
    pub async fn delete(&self, site: SiteId, version: i32, path: &str) -> Result<(), FileError> {
        let path = AssetPath::parse(path).map_err(|message| FileError::InvalidPath {
            field: "path",
            message,
        })?;
        let lock = self.lock(site);
        let _held = lock.lock().await;
        let Some(dir) = self.folder_dir(site, version, path.folder, false).await? else {
            return Err(FileError::NotFound);
        };
        let target = dir.join(path.name.as_str());
        match tokio::fs::symlink_metadata(&target).await {
            Ok(meta) if meta.file_type().is_file() => {}
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(FileError::InvalidPath {
                    field: "path",
                    message: format!("{path} is a symbolic link"),
                });
            }
            Ok(_) => return Err(FileError::NotFound),
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(FileError::NotFound),
            Err(err) => return Err(err.into()),
        }
        tokio::fs::remove_file(&target).await?;
        Ok(())
    }

    /// Writes a version's `pages/{slug}.json` and then its `site.json`, which marks the
    /// version complete.
    pub async fn write_version(
        &self,
        site: SiteId,
        version: i32,
        files: VersionFiles<'_>,
    ) -> Result<(), FileError> {
        let lock = self.lock(site);
        let _held = lock.lock().await;
        let dir = self.version_dir(site, version).await?;
        let pages = dir.join("pages");
        real_dir(&pages, true).await?;
        for (slug, page) in files.pages {
            write_json(&pages, &format!("{slug}.json"), page).await?;
        }
        write_json(&dir, "site.json", files.site_json).await
    }

    /// Starts version `to` with the assets of version `from`, hard-linked (files are never
    /// changed in place, only replaced, so sharing them is safe).
    pub async fn carry_assets(&self, site: SiteId, from: i32, to: i32) -> Result<(), FileError> {
        let lock = self.lock(site);
        let _held = lock.lock().await;
        for folder in AssetFolder::ALL {
            let Some(source) = self.folder_dir(site, from, folder, false).await? else {
                continue;
            };
            let target = self
                .folder_dir(site, to, folder, true)
                .await?
                .expect("a created folder exists");
            for (name, _) in regular_files(&source).await? {
                let destination = target.join(name.as_str());
                if tokio::fs::symlink_metadata(&destination).await.is_ok() {
                    continue;
                }
                let from = source.join(name.as_str());
                if tokio::fs::hard_link(&from, &destination).await.is_err() {
                    tokio::fs::copy(&from, &destination).await?;
                }
            }
        }
        Ok(())
    }

    /// Whether version `version` of a site was written completely.
    pub async fn has_version(&self, site: SiteId, version: i32) -> Result<bool, FileError> {
        let dir = self.root.join(site.to_string()).join(format!("v{version}"));
        for level in [self.root.join(site.to_string()), dir.clone()] {
            if !real_dir(&level, false).await? {
                return Ok(false);
            }
        }
        match tokio::fs::symlink_metadata(dir.join("site.json")).await {
            Ok(meta) => Ok(meta.file_type().is_file()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    /// Removes every file of a site.
    pub async fn remove_site(&self, site: SiteId) -> Result<(), FileError> {
        let lock = self.lock(site);
        let _held = lock.lock().await;
        let dir = self.root.join(site.to_string());
        match tokio::fs::symlink_metadata(&dir).await {
            Ok(meta) if meta.file_type().is_symlink() => Ok(tokio::fs::remove_file(&dir).await?),
            Ok(_) => Ok(tokio::fs::remove_dir_all(&dir).await?),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}

/// Whether `dir` is a real directory (created when `create` and absent). A symlink or a file
/// in its place is refused.
async fn real_dir(dir: &Path, create: bool) -> Result<bool, FileError> {
    match tokio::fs::symlink_metadata(dir).await {
        Ok(meta) if meta.file_type().is_dir() => Ok(true),
        Ok(_) => Err(FileError::InvalidPath {
            field: "path",
            message: format!(
                "{} is not a directory of the site (a symbolic link or a file)",
                dir.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            ),
        }),
        Err(err) if err.kind() == io::ErrorKind::NotFound && create => {
            match tokio::fs::create_dir(dir).await {
                Ok(()) => Ok(true),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                    Box::pin(real_dir(dir, false)).await
                }
                Err(err) => Err(err.into()),
            }
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// The regular files of a folder whose names are valid asset names, sorted; symlinks, hidden
/// files and anything else are left out.
async fn regular_files(dir: &Path) -> Result<Vec<(AssetName, u64)>, FileError> {
    let mut files = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        let file_type = entry.file_type().await?;
        let Some(name) = entry
            .file_name()
            .to_str()
            .and_then(|n| AssetName::parse(n).ok())
        else {
            continue;
        };
        if file_type.is_file() {
            files.push((name, entry.metadata().await?.len()));
        }
    }
    files.sort();
    Ok(files)
}

/// Streams `chunks` into `temp`, stopping as soon as the file passes the size limit or the
/// quota left; the byte count written.
async fn receive(
    temp: &Path,
    chunks: &mut impl Chunks,
    max_upload: u64,
    quota: u64,
    used: u64,
) -> Result<u64, FileError> {
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)
        .await?;
    let mut size: u64 = 0;
    while let Some(chunk) = chunks.next_chunk().await.map_err(FileError::Unreadable)? {
        size += chunk.len() as u64;
        if size > max_upload {
            return Err(FileError::TooLarge { limit: max_upload });
        }
        if used + size > quota {
            return Err(FileError::QuotaExceeded { quota, used });
        }
        file.write_all(&chunk).await?;
    }
    file.sync_all().await?;
    Ok(size)
}

/// The MIME type of a file's first bytes, when recognised.
async fn sniff_file(path: &Path) -> Result<Option<&'static str>, FileError> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    tokio::fs::File::open(path)
        .await?
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .await?;
    Ok(infer::get(&head).map(|kind| kind.mime_type()))
}

async fn write_json(dir: &Path, name: &str, value: &Value) -> Result<(), FileError> {
    let target = dir.join(name);
    if tokio::fs::symlink_metadata(&target)
        .await
        .is_ok_and(|meta| !meta.file_type().is_file())
    {
        return Err(FileError::InvalidPath {
            field: "path",
            message: format!("{name} exists and is not a regular file"),
        });
    }
    let temp = dir.join(format!(".{name}.{}", uuid::Uuid::new_v4()));
    let mut bytes = serde_json::to_vec_pretty(value).expect("JSON values serialize");
    bytes.push(b'\n');
    let mut file = tokio::fs::File::create(&temp).await?;
    file.write_all(&bytes).await?;
    file.sync_all().await?;
    tokio::fs::rename(&temp, &target).await?;
    Ok(())
}
