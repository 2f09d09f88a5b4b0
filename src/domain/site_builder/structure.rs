//! A site's structure: its pages (slug, title, type, blocks), layout and theme. This is the
//! shape `structure_json` holds and the one a language model must answer with; every source
//! goes through [`Structure::from_json`].

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::block::Block;
use super::color::Color;
use super::kinds::{Layout, PageType, Typography};
use super::slug::PageSlug;
use super::{Invalid, from_value, text};

pub const MAX_PAGES: usize = 30;
pub const MAX_BLOCKS: usize = 30;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Structure {
    /// In navigation order.
    pub pages: Vec<StructurePage>,
    pub layout: Layout,
    pub theme: Theme,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StructurePage {
    pub slug: PageSlug,
    pub title: String,
    #[serde(rename = "type")]
    pub page_type: PageType,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub primary: Color,
    pub accent: Color,
    pub background: Color,
    pub text: Color,
    pub typography: Typography,
    pub personality: Option<String>,
}

impl Default for Theme {
    fn default() -> Theme {
        let color = |hex| Color::parse(hex).expect("a valid default colour");
        Theme {
            primary: color("#1f4e79"),
            accent: color("#e07a1f"),
            background: color("#ffffff"),
            text: color("#1d1d1f"),
            typography: Typography::Sans,
            personality: None,
        }
    }
}

impl Structure {
    /// Reads and checks a structure: its shape, then page and block limits, then that no two
    /// pages share a slug. The error names the path of the first problem.
    pub fn from_json(value: &Value) -> Result<Structure, Invalid> {
        let structure: Structure = from_value(value)?;
        structure.check()?;
        Ok(structure)
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a structure serializes")
    }

    fn check(&self) -> Result<(), Invalid> {
        text::count("pages", self.pages.len(), 1, MAX_PAGES)?;
        text::optional("theme.personality", self.theme.personality.as_deref(), 100)?;
        let mut seen: HashMap<&PageSlug, usize> = HashMap::new();
        for (n, page) in self.pages.iter().enumerate() {
            let path = format!("pages[{n}]");
            if let Some(first) = seen.insert(&page.slug, n) {
                return Err(Invalid::at(
                    format!("{path}.slug"),
                    format!(
                        "the slug {:?} is already used by pages[{first}]",
                        page.slug.as_str()
                    ),
                ));
            }
            text::required(&format!("{path}.title"), &page.title, 200)?;
            text::count(&format!("{path}.blocks"), page.blocks.len(), 0, MAX_BLOCKS)?;
            for (b, block) in page.blocks.iter().enumerate() {
                block.check(&format!("{path}.blocks[{b}]"))?;
            }
        }
        Ok(())
    }
}

/// Reads a page's blocks (`blocks_json`) with the same checks a structure's pages get.
pub fn blocks_from_json(value: &Value) -> Result<Vec<Block>, Invalid> {
    let blocks: Vec<Block> = from_value(value)?;
    text::count("blocks", blocks.len(), 0, MAX_BLOCKS)?;
    for (n, block) in blocks.iter().enumerate() {
        block.check(&format!("blocks[{n}]"))?;
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn valid() -> Value {
        json!({
            "layout": "default",
            "theme": {"primary": "#123456", "accent": "#abc", "background": "#fff",
                      "text": "#000", "typography": "serif", "personality": "calm"},
            "pages": [
                {"slug": "home", "title": "Home", "type": "home", "blocks": [
                    {"type": "hero", "heading": "Hello", "button": {"label": "Go", "href": "/contact"}},
                    {"type": "stats", "items": [{"value": "9", "label": "years"}]}
                ]},
                {"slug": "contact", "title": "Contact", "type": "contact", "blocks": [
                    {"type": "contact_form", "heading": "Write to us"}
                ]}
            ]
        })
    }

    fn rejected(change: impl FnOnce(&mut Value)) -> Invalid {
        let mut value = valid();
        change(&mut value);
        Structure::from_json(&value).unwrap_err()
    }

    #[test]
    fn a_valid_structure_round_trips() {
        let structure = Structure::from_json(&valid()).unwrap();
        assert_eq!(structure.pages.len(), 2);
        assert_eq!(structure.theme.accent.as_str(), "#aabbcc");
        assert_eq!(
            Structure::from_json(&structure.to_json()).unwrap(),
            structure
        );
    }

    type Change = Box<dyn FnOnce(&mut Value)>;

    #[test]
    fn invalid_structures_are_rejected_naming_the_path() {
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|v| v["pages"] = json!([])), "pages"),
            (Box::new(|v| v["layout"] = json!("fancy")), "layout"),
            (
                Box::new(|v| {
                    v.as_object_mut()
                        .unwrap()
                        .remove("theme")
                        .map(drop)
                        .unwrap()
                }),
                "theme",
            ),
            (
                Box::new(|v| v["theme"]["primary"] = json!("red;}")),
                "theme.primary",
            ),
            (
                Box::new(|v| v["pages"][1]["slug"] = json!("home")),
                "pages[1].slug",
            ),
            (
                Box::new(|v| v["pages"][0]["slug"] = json!("../etc")),
                "pages[0].slug",
            ),
            (
                Box::new(|v| v["pages"][0]["type"] = json!("landing")),
                "pages[0].type",
            ),
            (
                Box::new(|v| v["pages"][0]["title"] = json!("  ")),
                "pages[0].title",
            ),
            (
                Box::new(|v| v["pages"][0]["blocks"][0]["heading"] = json!("")),
                "pages[0].blocks[0].heading",
            ),
            (
                Box::new(|v| v["pages"][0]["blocks"][1]["items"] = json!([])),
                "pages[0].blocks[1].items",
            ),
            (
                Box::new(|v| {
                    v["pages"][0]["blocks"][0]["button"]["href"] = json!("javascript:alert(1)")
                }),
                "pages[0].blocks[0]",
            ),
            (
                Box::new(|v| v["pages"][0]["blocks"][0]["type"] = json!("carousel")),
                "pages[0].blocks[0]",
            ),
            (Box::new(|v| v["extra"] = json!(1)), "extra"),
            (Box::new(|v| *v = json!([1, 2])), ""),
        ];
        for (change, path) in cases {
            let err = rejected(change);
            assert!(err.path.starts_with(path), "expected {path}, got {err}");
        }
    }
}
