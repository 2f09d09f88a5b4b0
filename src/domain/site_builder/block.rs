//! The blocks a page is made of. Each is a closed shape (unknown fields are refused) with
//! limits on its text, and links may only lead to pages, anchors, the web or mail.

use serde::{Deserialize, Serialize};

use super::{Invalid, text};

/// Longest heading a block may have, in characters.
pub const HEADING: usize = 200;
const SHORT: usize = 500;
/// Longest body a `text` block may have, in characters.
pub const BODY: usize = 20_000;
const MAX_ITEMS: usize = 12;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    Hero {
        heading: String,
        subheading: Option<String>,
        button: Option<Link>,
    },
    FeatureGrid {
        heading: Option<String>,
        items: Vec<Feature>,
    },
    Stats {
        heading: Option<String>,
        items: Vec<Stat>,
    },
    Testimonials {
        heading: Option<String>,
        items: Vec<Testimonial>,
    },
    Cta {
        heading: String,
        text: Option<String>,
        button: Link,
    },
    Text {
        heading: Option<String>,
        body: String,
    },
    ContactForm {
        heading: String,
        intro: Option<String>,
        submit_label: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Stat {
    /// Shown large, such as "24/7" or "98%".
    pub value: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Testimonial {
    pub quote: String,
    pub author: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub label: String,
    pub href: Href,
}

/// Where a link may lead: a path of the site (`/contact`), an anchor (`#top`), an http(s)
/// address or a `mailto:`. Anything else (`javascript:`, `data:`, `//host`) is refused, since
/// escaping text does not make a URL safe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "/contact")]
pub struct Href(String);

impl Href {
    pub fn parse(text: &str) -> Result<Href, String> {
        let allowed = (text.starts_with('/') && !text.starts_with("//"))
            || text.starts_with('#')
            || text.starts_with("https://")
            || text.starts_with("http://")
            || text.starts_with("mailto:");
        let clean = !text.is_empty()
            && text.len() <= 2000
            && !text.chars().any(|c| c.is_whitespace() || c.is_control());
        if allowed && clean {
            Ok(Href(text.to_owned()))
        } else {
            Err(format!(
                "expected a link starting with /, #, https://, http:// or mailto: and without \
                 spaces, found {text:?}"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Href {
    type Error = String;

    fn try_from(text: String) -> Result<Href, String> {
        Href::parse(&text)
    }
}

impl From<Href> for String {
    fn from(href: Href) -> String {
        href.0
    }
}

impl Block {
    /// Checks the block's text and item counts; `path` is the block's own path.
    pub fn check(&self, path: &str) -> Result<(), Invalid> {
        let at = |field: &str| format!("{path}.{field}");
        match self {
            Block::Hero {
                heading,
                subheading,
                button,
            } => {
                text::required(&at("heading"), heading, HEADING)?;
                text::optional(&at("subheading"), subheading.as_deref(), SHORT)?;
                if let Some(button) = button {
                    text::required(&at("button.label"), &button.label, 60)?;
                }
            }
            Block::FeatureGrid { heading, items } => {
                text::optional(&at("heading"), heading.as_deref(), HEADING)?;
                text::count(&at("items"), items.len(), 1, MAX_ITEMS)?;
                for (n, item) in items.iter().enumerate() {
                    text::required(&at(&format!("items[{n}].title")), &item.title, HEADING)?;
                    text::required(&at(&format!("items[{n}].text")), &item.text, SHORT)?;
                }
            }
            Block::Stats { heading, items } => {
                text::optional(&at("heading"), heading.as_deref(), HEADING)?;
                text::count(&at("items"), items.len(), 1, MAX_ITEMS)?;
                for (n, item) in items.iter().enumerate() {
                    text::required(&at(&format!("items[{n}].value")), &item.value, 40)?;
                    text::required(&at(&format!("items[{n}].label")), &item.label, HEADING)?;
                }
            }
            Block::Testimonials { heading, items } => {
                text::optional(&at("heading"), heading.as_deref(), HEADING)?;
                text::count(&at("items"), items.len(), 1, MAX_ITEMS)?;
                for (n, item) in items.iter().enumerate() {
                    text::required(&at(&format!("items[{n}].quote")), &item.quote, SHORT * 2)?;
                    text::required(&at(&format!("items[{n}].author")), &item.author, HEADING)?;
                }
            }
            Block::Cta {
                heading,
                text: body,
                button,
            } => {
                text::required(&at("heading"), heading, HEADING)?;
                text::optional(&at("text"), body.as_deref(), SHORT)?;
                text::required(&at("button.label"), &button.label, 60)?;
            }
            Block::Text { heading, body } => {
                text::optional(&at("heading"), heading.as_deref(), HEADING)?;
                text::required(&at("body"), body, BODY)?;
            }
            Block::ContactForm {
                heading,
                intro,
                submit_label,
            } => {
                text::required(&at("heading"), heading, HEADING)?;
                text::optional(&at("intro"), intro.as_deref(), SHORT)?;
                text::optional(&at("submit_label"), submit_label.as_deref(), 60)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_lead_only_to_safe_places() {
        for good in [
            "/contact",
            "#top",
            "https://example.com/x",
            "mailto:hi@example.com",
        ] {
            assert!(Href::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:x",
            "data:text/html,x",
            "//evil.example",
            "",
            "/a b",
            "vbscript:x",
            "contact",
        ] {
            assert!(Href::parse(bad).is_err(), "{bad}");
        }
    }
}
