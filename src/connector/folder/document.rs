//! A content file read into what a pull needs: the YAML front matter between `---` lines
//! (title, slug, keyphrase, meta description) and the body as HTML, Markdown rendered with
//! CommonMark plus tables, footnotes, strikethrough and task lists.

use pulldown_cmark::{Options, Parser, html};
use serde::Deserialize;

use crate::connector::folder::relative_path::Format;

/// The front matter keys the connector reads; others (dates, tags, layout) are left to the
/// tools that wrote them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct FrontMatter {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default, alias = "focus_keyphrase")]
    pub keyphrase: Option<String>,
    #[serde(default, alias = "description", alias = "meta_description")]
    pub meta_description: Option<String>,
}

/// A file's front matter and its body as HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub front: FrontMatter,
    pub html: String,
}

/// Why a file's text is not a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("the front matter opened with --- has no closing --- line")]
    UnclosedFrontMatter,
    #[error(
        "the front matter is not valid YAML with string values for title, slug, keyphrase and meta_description: {0}"
    )]
    FrontMatter(String),
}

/// Splits `text` into its front matter's YAML (when it opens with a `---` line) and the rest.
fn split_front_matter(text: &str) -> Result<(Option<&str>, &str), DocumentError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok((None, text));
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed == "---" || trimmed == "..." {
            return Ok((Some(&rest[..offset]), &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    Err(DocumentError::UnclosedFrontMatter)
}

/// Reads a file's text written in `format`.
pub fn parse(text: &str, format: Format) -> Result<Document, DocumentError> {
    let (yaml, body) = split_front_matter(text)?;
    let front = match yaml {
        Some(yaml) if !yaml.trim().is_empty() => serde_yaml_ng::from_str::<FrontMatter>(yaml)
            .map_err(|err| DocumentError::FrontMatter(err.to_string()))?,
        _ => FrontMatter::default(),
    };
    let html = match format {
        Format::Html => body.to_owned(),
        Format::Markdown => {
            let options = Options::ENABLE_TABLES
                | Options::ENABLE_FOOTNOTES
                | Options::ENABLE_STRIKETHROUGH
                | Options::ENABLE_TASKLISTS;
            let mut html = String::with_capacity(body.len() * 5 / 4);
            html::push_html(&mut html, Parser::new_ext(body, options));
            html
        }
    };
    Ok(Document { front, html })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_gives_the_seo_fields_and_markdown_becomes_html() {
        let text = "---\ntitle: Growing garlic\nslug: garlic\nkeyphrase: grow garlic\n\
                    meta_description: \"How to grow garlic: plant in autumn.\"\ndate: 2026-01-02\n\
                    tags: [garden]\n---\n# Garlic\n\nPlant **cloves** in autumn.\n\n\
                    | month | task |\n|---|---|\n| Oct | plant |\n";
        let document = parse(text, Format::Markdown).unwrap();
        assert_eq!(
            document.front,
            FrontMatter {
                title: Some("Growing garlic".to_owned()),
                slug: Some("garlic".to_owned()),
                keyphrase: Some("grow garlic".to_owned()),
                meta_description: Some("How to grow garlic: plant in autumn.".to_owned()),
            }
        );
        assert!(document.html.starts_with("<h1>Garlic</h1>\n"));
        assert!(
            document
                .html
                .contains("<p>Plant <strong>cloves</strong> in autumn.</p>")
        );
        assert!(document.html.contains("<td>plant</td>"));
        assert!(!document.html.contains("title:"));
    }

    #[test]
    fn html_bodies_are_kept_as_written_after_their_front_matter() {
        let text =
            "---\r\ntitle: Kale\r\ndescription: All about kale.\r\n---\r\n<p>Kale *stays*.</p>\n";
        let document = parse(text, Format::Html).unwrap();
        assert_eq!(document.front.title.as_deref(), Some("Kale"));
        assert_eq!(
            document.front.meta_description.as_deref(),
            Some("All about kale.")
        );
        assert_eq!(document.html, "<p>Kale *stays*.</p>\n");
    }

    #[test]
    fn a_file_without_front_matter_is_all_body() {
        let document = parse("Just *text*.\n\n---\n\nAfter a rule.", Format::Markdown).unwrap();
        assert_eq!(document.front, FrontMatter::default());
        assert!(document.html.contains("<em>text</em>"));
        assert!(document.html.contains("<hr />"));
        let empty = parse("---\n---\n<p>x</p>", Format::Html).unwrap();
        assert_eq!(empty.front, FrontMatter::default());
        assert_eq!(empty.html, "<p>x</p>");
    }

    #[test]
    fn broken_front_matter_is_an_error_that_says_what_was_expected() {
        assert_eq!(
            parse("---\ntitle: open\n\nbody", Format::Markdown),
            Err(DocumentError::UnclosedFrontMatter)
        );
        let err = parse("---\ntitle: [a, b]\n---\nbody", Format::Markdown).unwrap_err();
        assert!(matches!(err, DocumentError::FrontMatter(_)));
        assert!(err.to_string().contains("title"), "{err}");
    }
}
