//! A content file's path inside a folder site, checked before it touches the file system: it
//! stays inside the folder (no absolute paths, no `..`), names no hidden file or directory,
//! and ends in one of the extensions the connector reads.

use std::fmt;
use std::path::{Path, PathBuf};

/// How a file's body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Markdown => "markdown",
        }
    }
}

/// Why a path is not one of a folder's content files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("the path is empty")]
    Empty,
    #[error("{0:?} is absolute; expected a path relative to the folder")]
    Absolute(String),
    #[error("{0:?} steps out of the folder with \"..\" or names \".\"")]
    Traversal(String),
    #[error("{0:?} names a hidden file or directory")]
    Hidden(String),
    #[error("{0:?} contains a backslash or NUL character")]
    BadCharacter(String),
    #[error("{0:?} is not a content file: expected the extension .html, .htm or .md")]
    Extension(String),
    #[error("{0:?} leads outside the folder through a symbolic link")]
    OutsideFolder(String),
}

/// A `/`-separated path of an `.html`, `.htm` or `.md` file relative to the folder: the item's
/// external id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelativePath(String);

impl RelativePath {
    pub fn parse(text: &str) -> Result<RelativePath, PathError> {
        if text.is_empty() {
            return Err(PathError::Empty);
        }
        if text.contains('\\') || text.contains('\0') {
            return Err(PathError::BadCharacter(text.to_owned()));
        }
        if text.starts_with('/') {
            return Err(PathError::Absolute(text.to_owned()));
        }
        for part in text.split('/') {
            if part.is_empty() || part == "." || part == ".." {
                return Err(PathError::Traversal(text.to_owned()));
            }
            if part.starts_with('.') {
                return Err(PathError::Hidden(text.to_owned()));
            }
        }
        let path = RelativePath(text.to_owned());
        path.format()
            .map(|_| path.clone())
            .ok_or_else(|| PathError::Extension(text.to_owned()))
    }

    /// The path of `file` relative to `root`, when it lies under it lexically.
    pub fn of(root: &Path, file: &Path) -> Result<RelativePath, PathError> {
        let relative = file
            .strip_prefix(root)
            .map_err(|_| PathError::OutsideFolder(file.display().to_string()))?;
        let parts: Vec<&str> = relative
            .components()
            .map(|part| part.as_os_str().to_str().unwrap_or("\0"))
            .collect();
        RelativePath::parse(&parts.join("/"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn format(&self) -> Option<Format> {
        let extension = self.0.rsplit_once('.')?.1.to_ascii_lowercase();
        match extension.as_str() {
            "html" | "htm" => Some(Format::Html),
            "md" => Some(Format::Markdown),
            _ => None,
        }
    }

    /// The file's stem: the name without directories and extension.
    pub fn stem(&self) -> &str {
        let name = self.0.rsplit('/').next().unwrap_or(&self.0);
        name.rsplit_once('.').map_or(name, |(stem, _)| stem)
    }

    /// Where the processed file goes under the output folder: the same path, with `.html` for
    /// Markdown sources.
    pub fn output(&self) -> RelativePath {
        match self.format() {
            Some(Format::Markdown) => {
                let base = self.0.rsplit_once('.').map_or(self.0.as_str(), |(b, _)| b);
                RelativePath(format!("{base}.html"))
            }
            _ => self.clone(),
        }
    }

    /// The file under `root`, refused when a symbolic link on the way leads outside `root`.
    /// A file that does not exist resolves through its nearest existing ancestor.
    pub fn resolve(&self, root: &Path) -> Result<PathBuf, PathError> {
        let joined = root.join(&self.0);
        let real_root = root
            .canonicalize()
            .map_err(|_| PathError::OutsideFolder(self.0.clone()))?;
        let mut existing = joined.as_path();
        let real = loop {
            match existing.canonicalize() {
                Ok(real) => break real,
                Err(_) => match existing.parent() {
                    Some(parent) => existing = parent,
                    None => return Err(PathError::OutsideFolder(self.0.clone())),
                },
            }
        };
        if !real.starts_with(&real_root) {
            return Err(PathError::OutsideFolder(self.0.clone()));
        }
        Ok(joined)
    }
}

impl fmt::Display for RelativePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_paths_parse_and_everything_else_is_refused_by_name() {
        let ok = RelativePath::parse("guides/compost.md").unwrap();
        assert_eq!(ok.format(), Some(Format::Markdown));
        assert_eq!(ok.stem(), "compost");
        assert_eq!(ok.output().as_str(), "guides/compost.html");
        assert_eq!(
            RelativePath::parse("index.HTM").unwrap().format(),
            Some(Format::Html)
        );
        assert_eq!(RelativePath::parse(""), Err(PathError::Empty));
        assert!(matches!(
            RelativePath::parse("/etc/passwd.html"),
            Err(PathError::Absolute(_))
        ));
        for traversal in ["../up.html", "a/../../b.md", "a//b.md", "./a.md"] {
            assert!(
                matches!(RelativePath::parse(traversal), Err(PathError::Traversal(_))),
                "{traversal}"
            );
        }
        for hidden in [".secret.md", ".git/a.html", "a/.draft/b.md"] {
            assert!(
                matches!(RelativePath::parse(hidden), Err(PathError::Hidden(_))),
                "{hidden}"
            );
        }
        assert!(matches!(
            RelativePath::parse("a\\b.md"),
            Err(PathError::BadCharacter(_))
        ));
        assert!(matches!(
            RelativePath::parse("notes.txt"),
            Err(PathError::Extension(_))
        ));
        assert!(
            RelativePath::parse("../x.txt")
                .unwrap_err()
                .to_string()
                .contains("..")
        );
    }

    #[test]
    fn symbolic_links_out_of_the_folder_are_refused_and_links_inside_it_are_not() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.md"), "secret").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("docs")).unwrap();
        std::fs::write(root.path().join("docs/real.md"), "real").unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("secret.md"),
            root.path().join("leak.md"),
        )
        .unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(
            root.path().join("docs/real.md"),
            root.path().join("alias.md"),
        )
        .unwrap();

        let resolve = |text: &str| RelativePath::parse(text).unwrap().resolve(root.path());
        assert!(matches!(
            resolve("leak.md"),
            Err(PathError::OutsideFolder(_))
        ));
        assert!(matches!(
            resolve("elsewhere/secret.md"),
            Err(PathError::OutsideFolder(_))
        ));
        assert!(matches!(
            resolve("elsewhere/not-yet.md"),
            Err(PathError::OutsideFolder(_))
        ));
        assert_eq!(resolve("alias.md").unwrap(), root.path().join("alias.md"));
        assert_eq!(
            resolve("docs/new.md").unwrap(),
            root.path().join("docs/new.md")
        );
    }
}
