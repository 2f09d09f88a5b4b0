//! A generated article as a page's text. A `text` block carries plain text, which the preview
//! escapes, so the article's HTML is parsed (the analyzer's text blocks: scripts, styles and
//! hidden elements dropped, entities decoded) rather than copied: each `h1`/`h2` section
//! becomes one `text` block, its paragraphs separated by blank lines and list items by line
//! breaks. The page's other blocks (hero, calls to action, forms) stay where they are; its
//! text blocks are replaced, so generating again never piles up text.

use crate::domain::site_builder::Invalid;
use crate::domain::site_builder::block::{BODY, Block, HEADING};
use crate::domain::site_builder::structure::MAX_BLOCKS;
use crate::pipeline::analyzer::text::{BlockKind, blocks};

/// A page's blocks with an article's text in them.
#[derive(Debug, Clone, PartialEq)]
pub struct PageText {
    pub blocks: Vec<Block>,
    /// The article had more sections than the page has room for; the last ones were joined or,
    /// past a block's length, left out (the content row keeps the whole article).
    pub shortened: bool,
}

#[derive(Debug, Default)]
struct Section {
    heading: Option<String>,
    body: String,
    /// The last thing added was a list item, so the next one follows on the next line.
    in_list: bool,
}

impl Section {
    fn add(&mut self, text: &str, list_item: bool) {
        if !self.body.is_empty() {
            self.body.push_str(if list_item && self.in_list {
                "\n"
            } else {
                "\n\n"
            });
        }
        if list_item {
            self.body.push_str("• ");
        }
        self.body.push_str(text);
        self.in_list = list_item;
    }

    fn is_empty(&self) -> bool {
        self.heading.is_none() && self.body.is_empty()
    }
}

/// The article's text as `text` blocks, in order.
pub fn article_blocks(html: &str) -> Result<Vec<Block>, Invalid> {
    let parsed = blocks(html).map_err(|err| Invalid::at("article", err.to_string()))?;
    let mut sections = Vec::new();
    let mut current = Section::default();
    for block in parsed {
        let preformatted = block.kind == BlockKind::Preformatted;
        let text = clean(&block.text, preformatted);
        if text.is_empty() {
            continue;
        }
        match block.kind {
            BlockKind::Heading(1 | 2) => {
                if !current.is_empty() {
                    sections.push(std::mem::take(&mut current));
                }
                current.heading = Some(shorten(&text, HEADING));
            }
            BlockKind::ListItem => current.add(&text, true),
            _ => current.add(&text, false),
        }
    }
    if !current.is_empty() {
        sections.push(current);
    }
    let mut out = Vec::new();
    for section in sections {
        // A heading without text under it is shown as text rather than dropped.
        let (heading, body) = match (section.heading, section.body) {
            (Some(heading), body) if body.is_empty() => (None, heading),
            (heading, body) => (heading, body),
        };
        for (n, part) in split(&body, BODY).into_iter().enumerate() {
            out.push(Block::Text {
                heading: if n == 0 { heading.clone() } else { None },
                body: part,
            });
        }
    }
    if out.is_empty() {
        return Err(Invalid::at("article", "the article has no text"));
    }
    Ok(out)
}

/// `page` with its text blocks replaced by `article`: at the place of its first text block,
/// else after a leading hero, else first. The page keeps at most [`MAX_BLOCKS`] blocks.
pub fn with_article(page: &[Block], article: Vec<Block>) -> Result<PageText, Invalid> {
    let is_text = |block: &Block| matches!(block, Block::Text { .. });
    let at = page
        .iter()
        .position(is_text)
        .unwrap_or_else(|| usize::from(matches!(page.first(), Some(Block::Hero { .. }))));
    let before: Vec<Block> = page[..at].iter().filter(|b| !is_text(b)).cloned().collect();
    let after: Vec<Block> = page[at..].iter().filter(|b| !is_text(b)).cloned().collect();
    let room = MAX_BLOCKS.saturating_sub(before.len() + after.len());
    if room == 0 {
        return Err(Invalid::at(
            "blocks",
            format!("the page has {MAX_BLOCKS} other blocks and no room for its text"),
        ));
    }
    let (article, shortened) = fit(article, room);
    let mut blocks = before;
    blocks.extend(article);
    blocks.extend(after);
    Ok(PageText { blocks, shortened })
}

/// At most `room` text blocks: the last ones are joined while the body's length allows, and
/// left out past it.
fn fit(mut article: Vec<Block>, room: usize) -> (Vec<Block>, bool) {
    let mut shortened = false;
    while article.len() > room {
        let (
            Some(Block::Text { heading, body }),
            Some(Block::Text {
                heading: h,
                body: b,
            }),
        ) = (article.pop(), article.pop())
        else {
            unreachable!("the article is made of text blocks");
        };
        let mut joined = b;
        if let Some(heading) = heading {
            joined.push_str("\n\n");
            joined.push_str(&heading);
        }
        joined.push_str("\n\n");
        joined.push_str(&body);
        if joined.chars().count() <= BODY {
            article.push(Block::Text {
                heading: h,
                body: joined,
            });
        } else {
            shortened = true;
            let kept: String = joined.chars().take(BODY).collect();
            let end = kept
                .rfind("\n\n")
                .filter(|&end| end > 0)
                .unwrap_or(kept.len());
            article.push(Block::Text {
                heading: h,
                body: kept[..end].to_owned(),
            });
        }
    }
    (article, shortened)
}

/// Text without control characters (but line breaks and tabs in preformatted text) and, outside
/// preformatted text, with each run of whitespace as one space.
fn clean(text: &str, preformatted: bool) -> String {
    if preformatted {
        let kept: String = text
            .chars()
            .filter(|&c| !c.is_control() || matches!(c, '\n' | '\t'))
            .collect();
        kept.trim_end().trim_start_matches('\n').to_owned()
    } else {
        text.split(|c: char| c.is_whitespace() || c.is_control())
            .filter(|word| !word.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max - 1).collect();
    short.push('…');
    short
}

/// `body` in parts of at most `max` characters, cut between paragraphs where possible.
fn split(body: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for paragraph in body.split("\n\n") {
        let mut rest: Vec<char> = paragraph.chars().collect();
        // A paragraph longer than a block holds is cut where it must be.
        while rest.len() > max {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            parts.push(rest.drain(..max).collect());
        }
        let paragraph: String = rest.into_iter().collect();
        let len = current.chars().count();
        if !current.is_empty() && len + 2 + paragraph.chars().count() > max {
            parts.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push_str("\n\n");
        }
        current.push_str(&paragraph);
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::site_builder::block::{Href, Link};
    use crate::domain::site_builder::structure::blocks_from_json;

    fn text(heading: Option<&str>, body: &str) -> Block {
        Block::Text {
            heading: heading.map(str::to_owned),
            body: body.to_owned(),
        }
    }

    fn hero() -> Block {
        Block::Hero {
            heading: "Welcome".to_owned(),
            subheading: None,
            button: None,
        }
    }

    fn cta() -> Block {
        Block::Cta {
            heading: "Talk to us".to_owned(),
            text: None,
            button: Link {
                label: "Contact".to_owned(),
                href: Href::parse("/contact").unwrap(),
            },
        }
    }

    #[test]
    fn sections_become_text_blocks_of_plain_text() {
        let html = "<p>Intro &amp; more.</p><h2>Our <em>story</em></h2><p>Founded\n   in 2001.</p>\
                    <ul><li>Bread</li><li>Cakes</li></ul><script>alert(1)</script>\
                    <h3>Today</h3><p>Still <b>baking</b>.</p><h2>Empty</h2>";
        assert_eq!(
            article_blocks(html).unwrap(),
            [
                text(None, "Intro & more."),
                text(
                    Some("Our story"),
                    "Founded in 2001.\n\n• Bread\n• Cakes\n\nToday\n\nStill baking."
                ),
                text(None, "Empty"),
            ]
        );
        assert!(article_blocks("<script>x</script><p> </p>").is_err());
    }

    #[test]
    fn long_sections_are_split_between_paragraphs() {
        let paragraph = "word ".repeat(3000);
        let html = format!("<h2>Long</h2><p>{paragraph}</p><p>{paragraph}</p>");
        let blocks = article_blocks(&html).unwrap();
        assert_eq!(blocks.len(), 2);
        assert!(matches!(&blocks[0], Block::Text { heading: Some(h), .. } if h == "Long"));
        assert!(matches!(&blocks[1], Block::Text { heading: None, .. }));
        let json = serde_json::to_value(&blocks).unwrap();
        blocks_from_json(&json).expect("within the block limits");
    }

    #[test]
    fn the_article_replaces_the_page_text_and_keeps_the_rest_in_place() {
        let page = [
            hero(),
            text(Some("Old"), "Old text."),
            cta(),
            text(None, "More"),
        ];
        let article = vec![text(Some("A"), "a"), text(Some("B"), "b")];
        let result = with_article(&page, article.clone()).unwrap();
        assert_eq!(
            result.blocks,
            [hero(), article[0].clone(), article[1].clone(), cta()]
        );
        assert!(!result.shortened);
        // Without text blocks: after the hero, or first.
        let placed = with_article(&[hero(), cta()], article.clone()).unwrap();
        assert_eq!(placed.blocks[1], article[0]);
        let placed = with_article(&[cta()], article.clone()).unwrap();
        assert_eq!(placed.blocks[0], article[0]);
        assert_eq!(placed.blocks[2], cta());
    }

    #[test]
    fn a_page_keeps_at_most_its_block_limit() {
        let page: Vec<Block> = (0..MAX_BLOCKS - 2).map(|_| cta()).collect();
        let article: Vec<Block> = (0..5)
            .map(|n| text(Some(&format!("S{n}")), &format!("body {n}")))
            .collect();
        let result = with_article(&page, article).unwrap();
        assert_eq!(result.blocks.len(), MAX_BLOCKS);
        assert!(!result.shortened, "short sections are joined, not dropped");
        assert_eq!(
            result.blocks[1],
            text(
                Some("S1"),
                "body 1\n\nS2\n\nbody 2\n\nS3\n\nbody 3\n\nS4\n\nbody 4"
            )
        );
        let full: Vec<Block> = (0..MAX_BLOCKS).map(|_| cta()).collect();
        assert_eq!(
            with_article(&full, vec![text(None, "x")]).unwrap_err().path,
            "blocks"
        );
    }
}
