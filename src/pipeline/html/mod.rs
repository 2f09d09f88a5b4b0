//! Read-only passes over a document's HTML. The analyzer's text blocks and element facts, the
//! optimizer's markup and the linker's scan are [`Reader`]s: they receive start tags, element
//! ends, whole text nodes and comments, and never see which tokenizer produced them. A small
//! tokenizer of our own reads the markup posts are made of at little more than the cost of
//! finding each `<`; a document holding anything it does not follow exactly is read by
//! lol_html, whose events it reproduces (a property test holds the two to each other). Changing
//! a document stays lol_html's alone.

mod reader;
mod rewriter_pass;
mod tokenizer;

pub(crate) use reader::{Reader, StartTag};

/// The level of the heading element called `name` (lower case), from 1 for `h1` to 6 for `h6`;
/// `None` for any other element.
pub(crate) fn heading_level(name: &str) -> Option<u8> {
    match name.as_bytes() {
        [b'h', level @ b'1'..=b'6'] => Some(level - b'0'),
        _ => None,
    }
}

/// lol_html could not read the document (only its resource limits can cause this).
pub(crate) type ReadError = lol_html::errors::RewritingError;

/// Runs a reader made by `new` over `html` and returns it. `new` may be called twice: when the
/// small tokenizer declines the document part-way, its reader is dropped and lol_html reads the
/// document with a fresh one.
pub(crate) fn read<'h, R: Reader<'h>>(html: &'h str, new: impl Fn() -> R) -> Result<R, ReadError> {
    let mut reader = new();
    match tokenizer::read(html, &mut reader) {
        Ok(()) => Ok(reader),
        Err(tokenizer::Declined) => rewriter_pass::read(html, new()),
    }
}

#[cfg(test)]
mod tests {
    use std::ops::Range;

    use proptest::prelude::*;

    use super::*;

    /// Every event, owned, so that two passes can be compared.
    #[derive(Debug, Default, PartialEq)]
    struct Recorder {
        events: Vec<String>,
    }

    impl Reader<'_> for Recorder {
        fn start(&mut self, tag: &StartTag<'_>) {
            let attributes: Vec<String> = tag
                .attributes
                .iter()
                .map(|a| format!("{}={:?}", a.name.to_ascii_lowercase(), a.value))
                .collect();
            self.events.push(format!(
                "start {} {:?} {:?} {}",
                tag.name, tag.source, attributes, tag.can_have_content
            ));
        }

        fn end(&mut self, closer: &str, source: Range<usize>) {
            self.events.push(format!("end {closer} {source:?}"));
        }

        fn text(&mut self, raw: &str, source: Range<usize>, prose: bool) {
            self.events.push(format!("text {raw:?} {source:?} {prose}"));
        }

        fn comment(&mut self, text: &str, source: Range<usize>) {
            self.events.push(format!("comment {text:?} {source:?}"));
        }
    }

    fn both(html: &str) -> (Option<Recorder>, Recorder) {
        let mut fast = Recorder::default();
        let fast = tokenizer::read(html, &mut fast).ok().map(|()| fast);
        (
            fast,
            rewriter_pass::read(html, Recorder::default()).unwrap(),
        )
    }

    /// The small tokenizer reads `html` and agrees with lol_html.
    fn check_read(html: &str) {
        let (fast, lol) = both(html);
        assert_eq!(fast.as_ref(), Some(&lol), "{html}");
    }

    #[test]
    fn reads_post_markup_as_lol_html_does() {
        check_read(concat!(
            "<!DOCTYPE html><!-- wp:paragraph {\"a\":1} --><P class=intro>Fish &amp; chips",
            "<br/>a < b <img src=\"a.png\" alt='x > y' loading=lazy></p><!-- /wp:paragraph -->",
            "<ul><li>one<li>two</ul><div><p>unclosed</div></span>",
            "<figure><img src=b.png><figcaption>Cap <em>tion</em></figcaption></figure>",
            "<a href=/x data-igny8-link=rule:1 class = \"a b\" disabled>link</a >",
            "<script>if (a < b && c > d) { x = '</p>'; }</script><style>p>a{}</STYLE >",
            "<title>A <b>title</b></title><textarea>x</p></textarea>",
            "<!----><!--a--->text<!--b--!>[caption id=\"1\"]x[/caption]",
        ));
    }

    #[test]
    fn declines_what_it_does_not_follow() {
        for html in [
            "<svg><title>x</title></svg>",
            "<math><mi>x</mi></math>",
            "<plaintext>rest",
            "<?php echo 1; ?>",
            "<!x>",
            "</ x>",
            "</>",
            "<![CDATA[x]]>",
            "<!-->",
            "<!--->",
            "<!--a<!--b-->",
            "<script><!--</script>-->",
            "<script>never ends",
            "<style></title>",
            "<P\na=''\u{feff}>",
            "<!--\u{feff}x-->",
            "<p class=>x",
            "<esi:include src=x>",
            "<p title=\"open",
            "<!-- open",
            "a\0b",
            "a <",
        ] {
            let mut reader = Recorder::default();
            assert_eq!(
                tokenizer::read(html, &mut reader),
                Err(tokenizer::Declined),
                "{html}"
            );
            // lol_html reads what the small tokenizer declines.
            read(html, Recorder::default).unwrap();
        }
    }

    /// A piece of HTML-like input: mostly tags, text and comments of the kinds posts hold, with
    /// now and then something the small tokenizer declines.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            10 => concat!(
                r#"<(/?)([pP]|h2|li|ul|a|em|div|img|br|figure|figcaption|table|td|span|x-y|B)"#,
                r#"(( |\n|/){1,2}([a-zA-Z=<'"-]{1,6}|[a-zA-Z-]{1,8} ?= ?("[a-z &;<>'/=\u{e9}-]{0,8}"|'[a-z &;<>"/=-]{0,8}'|[a-z&;<'"/=-]{1,8}))){0,4}( ?/)?>"#,
            ),
            10 => r#"&[a-z#0-9]{0,8};?|\[/?[a-z]+[a-z ="0-9]*\]|[A-Za-z .,!?'"\n\u{a0}\u{e9}\u{4e2d}>/=-]{0,12}|< |<3"#,
            3 => r#"<!--([a-z :/<>!-]{0,8})-->|<!(DOCTYPE|doctype)[ a-z]*>"#,
            3 => (
                prop::sample::select(&["script", "style", "title", "textarea", "noscript"][..]),
                r#"( [a-z]+=x)?>([a-z <>/'"-]|</?(script|style|title|p|b)[ >/]?){0,8}"#,
                r#"( [a-z]+=">")?[ /]?>"#,
                any::<bool>(),
            )
                .prop_map(|(name, content, end, upper)| {
                    let closer = if upper { name.to_uppercase() } else { name.to_owned() };
                    format!("<{name}{content}</{closer}{end}")
                }),
            1 => r#"<!-?-?|</?>?|<\?[a-z]*>|<(svg|math)>|\u{feff}|<p a=\u{feff}>"#,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn reads_as_lol_html_does(pieces in prop::collection::vec(piece(), 0..30)) {
            let html = pieces.concat();
            let (fast, lol) = both(&html);
            if let Some(fast) = fast {
                prop_assert_eq!(fast, lol, "{}", html);
            }
        }
    }
}
