//! The site builder's checked values: a blueprint's brief, the structure generated from it
//! (pages made of typed blocks, a layout and a theme), page slugs and the states of blueprints
//! and pages.
//!
//! A structure is read only through [`structure::Structure::from_json`], whoever wrote it (the
//! offline templates, a language model, a stored row), so everything rendered or deployed has
//! passed the same checks.

pub mod block;
pub mod brief;
pub mod color;
pub mod kinds;
pub mod slug;
pub mod structure;
pub mod text;

/// A value at `path` (such as `pages[2].blocks[0].heading`) that is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct Invalid {
    pub path: String,
    pub message: String,
}

impl Invalid {
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Reads `value` as `T`, naming the path of the first value that does not fit.
pub(crate) fn from_value<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
) -> Result<T, Invalid> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        // serde names a missing field only in its message; the path is its parent's.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned);
        let path = match (path.as_str(), missing) {
            (".", Some(name)) => name,
            (parent, Some(name)) => format!("{parent}.{name}"),
            (".", None) => String::new(),
            (parent, None) => parent.to_owned(),
        };
        Invalid::at(path, message)
    })
}
