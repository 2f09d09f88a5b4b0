//! Limits on the text a brief or a structure carries: it ends up in pages, so it must be
//! printable and of a size a page can show.

use super::Invalid;

/// `text` trimmed, between 1 and `max` characters, without control characters other than
/// line breaks and tabs.
pub fn required(path: &str, text: &str, max: usize) -> Result<(), Invalid> {
    if text.trim().is_empty() {
        return Err(Invalid::at(path, "expected text, found an empty string"));
    }
    optional(path, Some(text), max)
}

/// Like [`required`], for a value that may be absent (but not blank when given).
pub fn optional(path: &str, text: Option<&str>, max: usize) -> Result<(), Invalid> {
    let Some(text) = text else { return Ok(()) };
    let count = text.chars().count();
    if count > max {
        return Err(Invalid::at(
            path,
            format!("expected at most {max} characters, found {count}"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Invalid::at(path, "control characters are not allowed"));
    }
    Ok(())
}

/// A list of `len` items, between `min` and `max`.
pub fn count(path: &str, len: usize, min: usize, max: usize) -> Result<(), Invalid> {
    if len < min || len > max {
        return Err(Invalid::at(
            path,
            format!("expected {min} to {max} items, found {len}"),
        ));
    }
    Ok(())
}
