//! The folder connector against a temporary folder of Markdown files, each with its own
//! modification time, and an output folder for what pushes write.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use igny8::connector::folder::Folder;
use tempfile::TempDir;

use super::{ConnectorFixture, Seeded};

pub struct FilesFixture {
    source: TempDir,
    output: TempDir,
}

/// 2026-01-01T00:00:00Z: seeded files are modified a second apart from here.
const SEEDED_FROM: u64 = 1_767_225_600;

fn set_modified(path: &PathBuf, at: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(at)
        .unwrap();
}

impl FilesFixture {
    fn source_file(&self, item: &Seeded) -> PathBuf {
        self.source.path().join(&item.external_id)
    }
}

impl ConnectorFixture for FilesFixture {
    type Connector = Folder;

    /// The folder's paging is its window: `page_size` files per window.
    async fn with_items(count: usize, page_size: usize) -> (Self, Folder, Vec<Seeded>) {
        let source = tempfile::tempdir().unwrap();
        let output = tempfile::tempdir().unwrap();
        let mut seeded = Vec::new();
        for n in 1..=count {
            // Nested folders too: ids are paths relative to the folder.
            let id = if n % 5 == 0 {
                format!("guides/post-{n:02}.md")
            } else {
                format!("post-{n:02}.md")
            };
            let path = source.path().join(&id);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(
                &path,
                format!("---\ntitle: Post {n}\n---\nThe body of post {n}.\n"),
            )
            .unwrap();
            set_modified(
                &path,
                SystemTime::UNIX_EPOCH + Duration::from_secs(SEEDED_FROM + n as u64),
            );
            seeded.push(Seeded {
                external_type: "file".to_owned(),
                external_id: id,
            });
        }
        let connector = Folder::new(source.path().to_owned(), Some(output.path().to_owned()))
            .unwrap()
            .with_window_files(page_size);
        (FilesFixture { source, output }, connector, seeded)
    }

    /// A folder is read from the disk: there is no HTTP request to rate-limit.
    async fn rate_limited_once() -> Option<(Self, Folder)> {
        None
    }

    /// A folder has no credentials to refuse.
    async fn unauthorized() -> Option<(Self, Folder)> {
        None
    }

    async fn edit_remotely(&self, item: &Seeded, body: &str) {
        let path = self.source_file(item);
        std::fs::write(&path, format!("---\ntitle: Edited\n---\n{body}\n")).unwrap();
        set_modified(&path, SystemTime::now());
    }

    /// The processed output once a push wrote it, the source file before.
    async fn body(&self, item: &Seeded) -> String {
        let output = self
            .output
            .path()
            .join(item.external_id.replace(".md", ".html"));
        std::fs::read_to_string(&output)
            .or_else(|_| std::fs::read_to_string(self.source_file(item)))
            .unwrap()
    }
}

#[tokio::test]
async fn pagination() {
    super::pagination::<FilesFixture>().await;
}

#[tokio::test]
async fn rate_limited() {
    super::rate_limited::<FilesFixture>().await;
}

#[tokio::test]
async fn unauthorized() {
    super::unauthorized::<FilesFixture>().await;
}

#[tokio::test]
async fn push_is_idempotent() {
    super::push_is_idempotent::<FilesFixture>().await;
}

#[tokio::test]
async fn conflict_writes_nothing() {
    super::conflict_writes_nothing::<FilesFixture>().await;
}
