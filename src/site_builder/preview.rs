//! The preview: a blueprint's pages rendered to HTML through server-side templates with the
//! structure's layout and theme. Templates escape every value (HTML auto-escaping by the
//! `.html` names), links were checked when the blocks were, and theme colours are strict hex,
//! so no text of a brief or a page can become markup, script or style.

use minijinja::value::Serde;
use minijinja::{Environment, context};
use serde::Serialize;

use crate::domain::site_builder::block::Block;
use crate::domain::site_builder::kinds::Layout;
use crate::domain::site_builder::kinds::Typography;
use crate::domain::site_builder::structure::Theme;

/// One entry of the navigation.
#[derive(Debug, Clone, Serialize)]
pub struct NavItem {
    pub slug: String,
    pub title: String,
    pub href: String,
    pub current: bool,
}

/// What every preview page shows around its content.
pub struct Frame<'a> {
    pub site_name: &'a str,
    pub version: i32,
    pub deployed_version: Option<i32>,
    pub layout: Layout,
    pub theme: &'a Theme,
    pub nav: Vec<NavItem>,
}

#[derive(Debug, thiserror::Error)]
#[error("the preview could not be rendered")]
pub struct RenderError(#[from] minijinja::Error);

#[derive(Debug)]
pub struct Preview {
    templates: Environment<'static>,
}

impl Default for Preview {
    fn default() -> Self {
        Preview::new()
    }
}

impl Preview {
    pub fn new() -> Preview {
        let mut templates = Environment::new();
        for (name, source) in [
            ("layout.html", include_str!("templates/layout.html")),
            ("page.html", include_str!("templates/page.html")),
            ("index.html", include_str!("templates/index.html")),
        ] {
            templates
                .add_template(name, source)
                .expect("the preview templates parse");
        }
        Preview { templates }
    }

    /// The list of pages with the navigation.
    pub fn index(&self, frame: &Frame<'_>) -> Result<String, RenderError> {
        self.render("index.html", frame, None, &[])
    }

    /// One page's blocks.
    pub fn page(
        &self,
        frame: &Frame<'_>,
        title: &str,
        blocks: &[Block],
    ) -> Result<String, RenderError> {
        self.render("page.html", frame, Some(title), blocks)
    }

    fn render(
        &self,
        template: &str,
        frame: &Frame<'_>,
        title: Option<&str>,
        blocks: &[Block],
    ) -> Result<String, RenderError> {
        // Unquoted: the value goes into a <style> element, where the escaping of quotes
        // would not be undone.
        let font = match frame.theme.typography {
            Typography::Sans => "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
            Typography::Serif => "Georgia, Times New Roman, DejaVu Serif, serif",
            Typography::Mono => "ui-monospace, DejaVu Sans Mono, monospace",
        };
        let html = self.templates.get_template(template)?.render(context! {
            site => context! {
                name => frame.site_name,
                version => frame.version,
                deployed_version => frame.deployed_version,
            },
            layout => frame.layout.as_str(),
            theme => Serde(frame.theme),
            font => font,
            nav => Serde(&frame.nav),
            page => context! { title => title },
            blocks => Serde(blocks),
        })?;
        Ok(html)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::site_builder::block::{Href, Link};

    #[test]
    fn user_text_is_escaped_everywhere() {
        let theme = Theme::default();
        let evil = "<script>alert(1)</script>";
        let frame = Frame {
            site_name: evil,
            version: 1,
            deployed_version: None,
            layout: Layout::Default,
            theme: &theme,
            nav: vec![NavItem {
                slug: "home".to_owned(),
                title: evil.to_owned(),
                href: "/p/home".to_owned(),
                current: true,
            }],
        };
        let blocks = vec![
            Block::Hero {
                heading: evil.to_owned(),
                subheading: Some("\"><img src=x onerror=alert(1)>".to_owned()),
                button: Some(Link {
                    label: evil.to_owned(),
                    href: Href::parse("/a\"onclick=\"x").unwrap(),
                }),
            },
            Block::Text {
                heading: None,
                body: evil.to_owned(),
            },
        ];
        let html = preview().page(&frame, evil, &blocks).unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("\"onclick"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        let index = preview().index(&frame).unwrap();
        assert!(!index.contains("<script>"), "{index}");
    }

    fn preview() -> Preview {
        Preview::new()
    }
}
