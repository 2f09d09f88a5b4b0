//! Where an asset lives inside a site version: one of three folders and a plain file name.
//! Names are checked before any path is built from them, so nothing a caller sends can name
//! a place outside the folder (no `..`, separators, absolute paths, hidden files, NUL,
//! percent-encoded or look-alike dots and slashes).

use std::fmt;

/// The folders of `assets/`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AssetFolder {
    Images,
    Documents,
    Media,
}

impl AssetFolder {
    pub const ALL: [AssetFolder; 3] = [
        AssetFolder::Images,
        AssetFolder::Documents,
        AssetFolder::Media,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssetFolder::Images => "images",
            AssetFolder::Documents => "documents",
            AssetFolder::Media => "media",
        }
    }

    pub fn parse(text: &str) -> Result<AssetFolder, String> {
        AssetFolder::ALL
            .into_iter()
            .find(|folder| folder.as_str() == text)
            .ok_or_else(|| format!("expected images, documents or media, found {text:?}"))
    }
}

impl fmt::Display for AssetFolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Characters that look like a dot or a slash, which some systems and people read as one.
const LOOK_ALIKES: &[char] = &[
    '\u{2024}', '\u{2025}', '\u{2026}', '\u{FF0E}', '\u{3002}', '\u{FE52}', '\u{FF61}', '\u{0701}',
    '\u{0702}', '\u{2E33}', '\u{2215}', '\u{2044}', '\u{FF0F}', '\u{29F8}', '\u{FF3C}', '\u{FE68}',
    '\u{2216}', '\u{29F5}',
];

pub const MAX_NAME_LEN: usize = 128;

/// A file name: 1 to 128 of `A-Z a-z 0-9 . _ -`, not starting with a dot, without `..`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetName(String);

impl AssetName {
    pub fn parse(text: &str) -> Result<AssetName, String> {
        refuse_tricks(text)?;
        if text.is_empty() || text.len() > MAX_NAME_LEN {
            return Err(format!(
                "expected a file name of 1 to {MAX_NAME_LEN} characters"
            ));
        }
        if text.starts_with('.') {
            return Err("hidden files (names starting with a dot) are not allowed".to_owned());
        }
        if !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(format!(
                "expected only letters, digits, '.', '_' and '-' in a file name, found {text:?}"
            ));
        }
        Ok(AssetName(text.to_owned()))
    }

    /// The name an uploaded file is stored under. Attempts to name another place are refused;
    /// other characters (spaces, accents) become `-`, and the extension is lowercased.
    pub fn for_upload(original: &str) -> Result<AssetName, String> {
        refuse_tricks(original)?;
        if original.contains('/') {
            return Err("a file name may not contain '/'".to_owned());
        }
        if original.starts_with('.') {
            return Err("hidden files (names starting with a dot) are not allowed".to_owned());
        }
        let mut name = String::with_capacity(original.len());
        for c in original.trim().chars() {
            let keep = c.is_ascii_alphanumeric() || matches!(c, '.' | '_');
            let next = if keep { c } else { '-' };
            if !(next == '-' && name.ends_with('-')) {
                name.push(next);
            }
        }
        let name = match name.rsplit_once('.') {
            Some((stem, extension)) => format!("{stem}.{}", extension.to_ascii_lowercase()),
            None => name,
        };
        AssetName::parse(&name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lowercase extension, if the name has one.
    pub fn extension(&self) -> Option<&str> {
        self.0.rsplit_once('.').map(|(_, extension)| extension)
    }
}

impl fmt::Display for AssetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `images/logo.png`: an asset's place in its version's `assets/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetPath {
    pub folder: AssetFolder,
    pub name: AssetName,
}

impl AssetPath {
    pub fn parse(text: &str) -> Result<AssetPath, String> {
        refuse_tricks(text)?;
        if text.starts_with('/') {
            return Err(
                "expected a path relative to the assets folder, found an absolute path".to_owned(),
            );
        }
        let parts: Vec<&str> = text.split('/').collect();
        let [folder, name] = parts.as_slice() else {
            return Err(format!(
                "expected FOLDER/NAME such as images/logo.png, found {text:?}"
            ));
        };
        Ok(AssetPath {
            folder: AssetFolder::parse(folder)?,
            name: AssetName::parse(name)?,
        })
    }
}

impl fmt::Display for AssetPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.folder, self.name)
    }
}

/// What no name or path may contain, whatever else it is.
fn refuse_tricks(text: &str) -> Result<(), String> {
    if text.contains('\0') || text.chars().any(char::is_control) {
        return Err("NUL and control characters are not allowed".to_owned());
    }
    if text.contains('\\') || text.contains(':') {
        return Err("'\\' and ':' are not allowed".to_owned());
    }
    if text.chars().any(|c| LOOK_ALIKES.contains(&c)) {
        return Err("characters that look like '.' or '/' are not allowed".to_owned());
    }
    let bytes = text.as_bytes();
    if bytes
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
    {
        return Err("percent-encoded characters are not allowed".to_owned());
    }
    if text.split('/').any(|part| part == ".." || part == ".") || text.contains("..") {
        return Err("'..' and '.' are not allowed".to_owned());
    }
    if text.starts_with('/') && !text[1..].contains('/') {
        return Err("expected a file name, found an absolute path".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_their_folder() {
        assert_eq!(
            AssetPath::parse("images/logo.png").unwrap().to_string(),
            "images/logo.png"
        );
        for bad in [
            "../x.png",
            "images/../x.png",
            "images/%2e%2e/x",
            "%2e%2e%2fimages",
            "/etc/passwd",
            "images//x.png",
            "images/.htaccess",
            "images/a\0.png",
            "images/\u{2024}\u{2024}",
            "images\u{2215}x.png",
            "images\\x.png",
            "C:x.png",
            "fonts/a.ttf",
            "images/a/b.png",
            "images/",
            "images",
            "images/./a.png",
        ] {
            assert!(AssetPath::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn upload_names_are_sanitised_or_refused() {
        let name = |text| AssetName::for_upload(text).map(|n| n.to_string());
        assert_eq!(name("Team photo (1).PNG").unwrap(), "Team-photo-1-.png");
        assert_eq!(name("caf\u{e9}.jpg").unwrap(), "caf-.jpg");
        for bad in [
            "../evil.png",
            "a/b.png",
            "/etc/passwd",
            ".bashrc",
            "a\0.png",
            "x\u{FF0E}\u{FF0E}png",
            "%2e%2e%2fetc",
            "..",
            "C:\\x.png",
        ] {
            assert!(name(bad).is_err(), "{bad:?}");
        }
    }
}
