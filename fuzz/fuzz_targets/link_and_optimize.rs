//! The linker and the optimizer on arbitrary documents, checked against the promises both make:
//! the linker adds links and nothing else (taking its links out gives the input back byte for
//! byte), a second linking adds nothing, and a second optimization changes nothing.
//!
//! The first bytes of an input choose the index: each pair picks a run of words of the document
//! itself as a target's title, so anchors are found often; the rest is the document, read as
//! UTF-8 with invalid bytes replaced.

#![no_main]

use igny8::pipeline::analyzer::Page;
use igny8::pipeline::language::Language;
use igny8::pipeline::linker::{
    Document, Limits, LinkIndex, MARKER, Target, TargetId, link, remove_links,
};
use igny8::pipeline::optimizer::{Options, optimize};
use igny8::pipeline::ruleset::{Profile, Ruleset};
use libfuzzer_sys::fuzz_target;

/// Bytes that choose the targets: two a target, so up to four targets.
const HEAD: usize = 8;
const URL: &str = "https://example.com/post/";

fuzz_target!(|data: &[u8]| {
    let (head, body) = data.split_at(data.len().min(HEAD));
    let html = String::from_utf8_lossy(body).into_owned();
    let index = LinkIndex::build(Some(Language::English), targets(head, &html), []);
    // Limits loose enough that most anchors found are inserted.
    let limits = Limits {
        max_links: 20,
        words_per_link: 1,
        per_paragraph: 5,
    };
    let document = Document {
        html: html.clone(),
        url: URL.to_owned(),
        ..Document::default()
    };

    let linked = link(&document, &index, &limits);
    let stripped = remove_links(&linked.html, |_| true);
    if html.to_ascii_lowercase().contains(MARKER) {
        // Links of an earlier run are in the input: compare both without any.
        assert_eq!(stripped, remove_links(&html, |_| true));
    } else {
        assert_eq!(stripped, html, "the linker changed more than its links");
    }
    let again = link(
        &Document {
            html: linked.html.clone(),
            ..document.clone()
        },
        &index,
        &limits,
    );
    assert!(again.links.is_empty(), "a second linking added links");
    assert_eq!(
        again.html, linked.html,
        "a second linking changed the document"
    );

    let ruleset = Ruleset::for_profile(Profile::Default);
    let options = Options::all();
    let page = |html, meta_description| Page {
        html,
        title: "Example post",
        meta_description,
        slug: Some("post"),
        keyphrase: Some("example"),
        synonyms: &[],
        language: Language::English,
        url: Some(URL),
        previously_used: 0,
    };
    // Markup the tokenizer gives up on is refused, not optimized; nothing to check then.
    let Ok(first) = optimize(&page(&linked.html, None), ruleset, &options) else {
        return;
    };
    let second = optimize(
        &page(&first.html, first.meta_description.as_deref()),
        ruleset,
        &options,
    )
    .expect("an optimized page can be optimized again");
    assert_eq!(
        second.html, first.html,
        "a second optimization changed the page"
    );
    assert_eq!(second.meta_description, first.meta_description);
});

/// Up to four targets, each titled with one to three consecutive words of `html`.
fn targets(head: &[u8], html: &str) -> Vec<Target> {
    let words: Vec<&str> = html
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    if words.is_empty() {
        return Vec::new();
    }
    head.chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            let start = usize::from(pair[0]) % words.len();
            let len = 1 + pair.get(1).map_or(0, |&b| usize::from(b) % 3);
            let end = (start + len).min(words.len());
            Target {
                id: TargetId(i as i64 + 1),
                url: format!("https://example.com/target/{i}/"),
                title: words[start..end].join(" "),
                text: html.to_owned(),
                ..Target::default()
            }
        })
        .collect()
}
