//! Golden tests of the whole linker, each through `check`, which also asserts the properties
//! every output must have: a second run changes nothing, and removing the inserted links gives
//! back the input byte for byte.

use proptest::prelude::*;

use crate::pipeline::language::Language;

use super::{
    ClusterKeyword, Document, ExistingLink, KeywordRule, Limits, LinkIndex, Linked, PhraseSource,
    Target, TargetId, existing_links, link, remove_links,
};

const POST: &str = "https://example.com/post";

/// Limits loose enough that only the rule under test decides.
fn loose() -> Limits {
    Limits {
        max_links: 10,
        words_per_link: 1,
        per_paragraph: 10,
    }
}

fn target(id: i64, title: &str) -> Target {
    Target {
        id: TargetId(id),
        url: format!("https://example.com/t/{id}"),
        title: title.to_owned(),
        ..Target::default()
    }
}

fn titles(language: Option<Language>, titles: &[(i64, &str)]) -> LinkIndex {
    LinkIndex::build(language, titles.iter().map(|&(id, t)| target(id, t)), [])
}

fn a(id: i64, text: &str) -> String {
    format!("<a href=\"https://example.com/t/{id}\" data-igny8-link=\"title:{id}\">{text}</a>")
}

fn run(document: &Document, index: &LinkIndex, limits: &Limits) -> Linked {
    let linked = link(document, index, limits);
    let again = link(
        &Document {
            html: linked.html.clone(),
            ..document.clone()
        },
        index,
        limits,
    );
    assert_eq!(again.html, linked.html, "a second run changed the output");
    assert!(again.links.is_empty());
    assert_eq!(remove_links(&linked.html, |_| true), document.html);
    for link in &linked.links {
        assert!(linked.html[link.offset..].starts_with("<a href="));
    }
    linked
}

fn check(input: &str, index: &LinkIndex, expected: &str) {
    let document = Document {
        html: input.to_owned(),
        url: POST.to_owned(),
        ..Document::default()
    };
    assert_eq!(run(&document, index, &loose()).html, expected);
}

#[test]
fn links_plain_text_and_reports_the_link() {
    let index = titles(Some(Language::English), &[(1, "Async Rust")]);
    let input = "<p>Learn async rust today.</p>";
    check(
        input,
        &index,
        &format!("<p>Learn {} today.</p>", a(1, "async rust")),
    );
    let document = Document {
        html: input.to_owned(),
        url: POST.to_owned(),
        ..Document::default()
    };
    let linked = link(&document, &index, &loose());
    let report = &linked.links[0];
    assert_eq!(report.anchor, "async rust");
    assert_eq!(
        (report.target, report.source),
        (TargetId(1), PhraseSource::Title)
    );
    assert_eq!(report.matched_terms, ["async", "rust"]);
    assert_eq!(report.offset, "<p>Learn ".len());
    assert!(report.score > 0.0);
}

#[test]
fn existing_links_name_their_targets_and_who_made_them() {
    let index = titles(Some(Language::English), &[(1, "Async Rust"), (2, "Cargo")]);
    let document = Document {
        html: "<p>Read <a href=\"HTTPS://example.com/t/2/#top\">the cargo book</a>, \
               <a href=\"https://elsewhere.example/t/1\">this</a> and \
               <a href=\"/post\">this page</a>.</p><p>Then learn async rust.</p>"
            .to_owned(),
        url: POST.to_owned(),
        ..Document::default()
    };
    assert_eq!(
        existing_links(&document, &index),
        [ExistingLink {
            target: TargetId(2),
            inserted: false
        }]
    );
    let linked = run(&document, &index, &loose());
    assert_eq!(linked.links.len(), 1);
    let again = Document {
        html: linked.html,
        ..document
    };
    assert_eq!(
        existing_links(&again, &index),
        [
            ExistingLink {
                target: TargetId(2),
                inserted: false
            },
            ExistingLink {
                target: TargetId(1),
                inserted: true
            }
        ]
    );
}

#[test]
fn never_links_inside_protected_elements() {
    let index = titles(Some(Language::English), &[(1, "rust")]);
    for input in [
        "<h2>rust</h2>",
        "<h1 class=\"x\">all about <em>rust</em></h1>",
        "<p><a href=\"/elsewhere\">rust</a></p>",
        "<p><code>rust</code></p>",
        "<pre>fn main() { rust }</pre>",
        "<script>var rust = 1;</script>",
        "<style>.rust { }</style>",
        "<button>rust</button>",
        "<figure><figcaption>rust</figcaption></figure>",
        "<nav>rust</nav><header>rust</header><footer>rust</footer>",
        "<p class=\"lead no-autolink\">rust</p>",
        "<div><section><pre><span><div>nested</div> rust</span></pre></section></div>",
    ] {
        check(input, &index, input);
    }
}

#[test]
fn never_links_attributes_comments_or_shortcodes() {
    let index = titles(Some(Language::English), &[(1, "rust")]);
    for input in [
        "<p title=\"rust\"><img alt=\"rust\" src=\"rust.png\"></p>",
        "<!-- wp:paragraph {\"rust\":1} --><p>x</p><!-- /wp:paragraph -->",
        "<p>[video src=\"rust.mp4\"]</p>",
        "<p>[note]about rust[/note]</p>",
        "<p>[note]about <em>rust</em> here</p><p>rust again[/note]</p>",
    ] {
        check(input, &index, input);
    }
    check(
        "<!-- wp:paragraph --><p>[gallery] rust</p><!-- /wp:paragraph -->",
        &index,
        &format!(
            "<!-- wp:paragraph --><p>[gallery] {}</p><!-- /wp:paragraph -->",
            a(1, "rust")
        ),
    );
}

#[test]
fn nested_inline_markup_links_within_one_text_node() {
    let index = titles(
        Some(Language::English),
        &[(1, "learn rust async"), (2, "async")],
    );
    check(
        "<p>learn <strong>rust</strong> async</p>",
        &index,
        &format!("<p>learn <strong>rust</strong> {}</p>", a(2, "async")),
    );
}

#[test]
fn entities_and_nbsp_are_kept_and_read_as_text() {
    let index = titles(
        Some(Language::English),
        &[(1, "rust async"), (2, "Tom & Jerry")],
    );
    check(
        "<p>Q&amp;A: rust&nbsp;async &#8212; Tom &amp; Jerry&hellip;</p>",
        &index,
        &format!(
            "<p>Q&amp;A: {} &#8212; {}&hellip;</p>",
            a(1, "rust&nbsp;async"),
            a(2, "Tom &amp; Jerry")
        ),
    );
}

#[test]
fn word_boundaries_hold_in_every_script() {
    let en = titles(Some(Language::English), &[(1, "cat")]);
    let unlinked = "<p>A category of concatenated catalogues, scattered.</p>";
    check(unlinked, &en, unlinked);
    let cats = format!("<p>The {} sat on the category.</p>", a(1, "Cat"));
    check("<p>The Cat sat on the category.</p>", &en, &cats);

    let ru = titles(Some(Language::Russian), &[(1, "кот")]);
    check("<p>Котлета и котёл.</p>", &ru, "<p>Котлета и котёл.</p>");
    check(
        "<p>Мой КОТ спит.</p>",
        &ru,
        &format!("<p>Мой {} спит.</p>", a(1, "КОТ")),
    );

    let de = titles(Some(Language::German), &[(1, "Straße"), (2, "Neukölln")]);
    check(
        "<p>Die STRASSE in Neukölln, nicht Neuköllner Straßenbahn.</p>",
        &de,
        &format!(
            "<p>Die {} in {}, nicht Neuköllner Straßenbahn.</p>",
            a(1, "STRASSE"),
            a(2, "Neukölln")
        ),
    );

    let zh = titles(None, &[(1, "编程")]);
    check(
        "<p>我喜欢编程和Rust</p>",
        &zh,
        &format!("<p>我喜欢{}和Rust</p>", a(1, "编程")),
    );
}

#[test]
fn case_variants_and_stems_match() {
    let index = titles(Some(Language::English), &[(1, "configure the server")]);
    for (text, anchor) in [
        ("Configuring the Server", "Configuring the Server"),
        ("CONFIGURE THE SERVER", "CONFIGURE THE SERVER"),
        ("configured the servers", "configured the servers"),
    ] {
        check(
            &format!("<p>{text} is easy.</p>"),
            &index,
            &format!("<p>{} is easy.</p>", a(1, anchor)),
        );
    }
    check(
        "<p>configure, the server</p>",
        &index,
        "<p>configure, the server</p>",
    );
}

#[test]
fn manual_links_and_self_links_are_respected() {
    let index = titles(Some(Language::English), &[(1, "rust"), (2, "async")]);
    let input =
        "<p>rust and async</p><p>see <a href=\"HTTPS://EXAMPLE.com:443/t/1/#top\">here</a></p>";
    let expected = format!(
        "<p>rust and {}</p><p>see <a href=\"HTTPS://EXAMPLE.com:443/t/1/#top\">here</a></p>",
        a(2, "async")
    );
    check(input, &index, &expected);

    let document = Document {
        html: "<p>rust and async</p>".to_owned(),
        url: "https://example.com/t/2/".to_owned(),
        ..Document::default()
    };
    let linked = run(&document, &index, &loose());
    assert_eq!(linked.html, format!("<p>{} and async</p>", a(1, "rust")));
}

#[test]
fn a_page_never_links_to_itself_by_id() {
    let index = titles(Some(Language::English), &[(1, "rust")]);
    let document = Document {
        id: Some(TargetId(1)),
        html: "<p>rust</p>".to_owned(),
        url: POST.to_owned(),
        ..Document::default()
    };
    assert!(run(&document, &index, &loose()).links.is_empty());
}

#[test]
fn relative_manual_links_count_as_links_to_the_target() {
    let index = titles(Some(Language::English), &[(1, "rust")]);
    let input = "<p>rust</p><p><a href=\"../t/1\">it</a></p>";
    let document = Document {
        html: input.to_owned(),
        url: "https://example.com/blog/post".to_owned(),
        ..Document::default()
    };
    assert_eq!(run(&document, &index, &loose()).html, input);
}

#[test]
fn no_anchor_equals_the_posts_focus_keyphrase() {
    let index = titles(Some(Language::English), &[(1, "async rust"), (2, "tokio")]);
    let document = Document {
        html: "<p>Async Rust with tokio.</p>".to_owned(),
        url: POST.to_owned(),
        focus_keyphrase: Some("async rust".to_owned()),
        ..Document::default()
    };
    let linked = run(&document, &index, &loose());
    assert_eq!(
        linked.html,
        format!("<p>Async Rust with {}.</p>", a(2, "tokio"))
    );
}

#[test]
fn one_link_per_target_and_per_keyword() {
    // Two targets own "rust" and rank equally: the lower id gets it, once.
    let index = titles(Some(Language::English), &[(2, "rust"), (1, "rust")]);
    check(
        "<p>rust, rust</p>",
        &index,
        &format!("<p>{}, rust</p>", a(1, "rust")),
    );
    let index = LinkIndex::build(
        Some(Language::English),
        [Target {
            focus_keyphrase: Some("ferris".to_owned()),
            ..target(1, "rust")
        }],
        [],
    );
    check(
        "<p>rust and ferris</p>",
        &index,
        &format!("<p>{} and ferris</p>", a(1, "rust")),
    );
}

#[test]
fn limits_keep_the_best_ranked_candidates() {
    let mut index = LinkIndex::new(Some(Language::English));
    index.upsert_target(target(1, "tokio"));
    index.upsert_target(Target {
        cornerstone: true,
        ..target(2, "serde")
    });
    index.upsert_target(Target {
        categories: vec!["rust".to_owned()],
        ..target(3, "axum")
    });
    let html = "<p>tokio</p><p>serde and axum</p><p>axum</p>".to_owned();
    let document = Document {
        html,
        url: POST.to_owned(),
        categories: vec!["rust".to_owned()],
        ..Document::default()
    };
    let limits = Limits {
        max_links: 2,
        words_per_link: 1,
        per_paragraph: 1,
    };
    // Cornerstone first, then the shared category; the paragraph cap moves axum to its second
    // occurrence, and the post cap leaves tokio out although it comes first.
    let linked = run(&document, &index, &limits);
    let expected = format!(
        "<p>tokio</p><p>{} and axum</p><p>{}</p>",
        a(2, "serde"),
        a(3, "axum")
    );
    assert_eq!(linked.html, expected);
    // Six words at one link per 150 words: one link, the cornerstone.
    let linked = run(&document, &index, &Limits::default());
    assert_eq!(linked.links.len(), 1);
    assert_eq!(linked.links[0].target, TargetId(2));
}

#[test]
fn a_shared_tag_ranks_but_a_tag_named_like_a_category_does_not() {
    let tagged = |id, title, tag: &str| Target {
        tags: vec![tag.to_owned()],
        ..target(id, title)
    };
    let one_link = Limits {
        max_links: 1,
        words_per_link: 1,
        per_paragraph: 1,
    };
    let document = Document {
        html: "<p>tokio and serde</p>".to_owned(),
        url: POST.to_owned(),
        categories: vec!["rust".to_owned()],
        tags: vec!["web".to_owned()],
        ..Document::default()
    };
    // Alike in all else, the lower id wins; a tag the document has too outranks it, and a tag
    // that is only the document's category by name does not.
    let index = LinkIndex::build(
        Some(Language::English),
        [tagged(1, "tokio", "rust"), tagged(2, "serde", "web")],
        [],
    );
    let linked = run(&document, &index, &one_link);
    assert_eq!(linked.links.len(), 1);
    assert_eq!(linked.links[0].target, TargetId(2));
    let index = LinkIndex::build(
        Some(Language::English),
        [target(1, "tokio"), tagged(2, "serde", "rust")],
        [],
    );
    let linked = run(&document, &index, &one_link);
    assert_eq!(linked.links[0].target, TargetId(1));
    let shared = Document {
        tags: vec!["rust".to_owned()],
        ..document.clone()
    };
    let linked = run(&shared, &index, &one_link);
    assert_eq!(linked.links[0].target, TargetId(2));
}

#[test]
fn rules_and_cluster_keywords_link_and_are_removed_by_marker() {
    let mut index = LinkIndex::build(
        Some(Language::English),
        [Target {
            cluster_keywords: vec![ClusterKeyword {
                cluster_id: 9,
                keyword: "web framework".to_owned(),
            }],
            ..target(1, "axum")
        }],
        [KeywordRule {
            id: 5,
            keyword: "error handling".to_owned(),
            target: TargetId(2),
        }],
    );
    let input = "<p>A web framework needs error handling.</p>";
    let document = Document {
        html: input.to_owned(),
        url: POST.to_owned(),
        ..Document::default()
    };
    // A rule whose target is absent links nowhere, and links again once the target is back.
    assert_eq!(
        run(&document, &index, &loose()).html,
        "<p>A <a href=\"https://example.com/t/1\" data-igny8-link=\"cluster:9:1\">web framework</a> \
         needs error handling.</p>"
    );
    index.upsert_target(target(2, "anyhow"));
    let linked = run(&document, &index, &loose());
    assert_eq!(
        linked.html,
        "<p>A <a href=\"https://example.com/t/1\" data-igny8-link=\"cluster:9:1\">web framework</a> \
         needs <a href=\"https://example.com/t/2\" data-igny8-link=\"rule:5\">error handling</a>.</p>"
    );
    let without_rule = remove_links(&linked.html, |marker| marker == "rule:5");
    assert_eq!(
        without_rule,
        "<p>A <a href=\"https://example.com/t/1\" data-igny8-link=\"cluster:9:1\">web framework</a> \
         needs error handling.</p>"
    );
    index.remove_rule(5);
    let relinked = link(
        &Document {
            html: without_rule.clone(),
            ..document
        },
        &index,
        &loose(),
    );
    assert_eq!(relinked.html, without_rule);
}

#[test]
fn output_is_the_same_on_every_run() {
    let build = || {
        LinkIndex::build(
            Some(Language::English),
            (1..40).map(|i| Target {
                text: format!("rust {i} async tokio serde {}", "word ".repeat(i as usize)),
                ..target(i, &format!("topic {i}"))
            }),
            [],
        )
    };
    let html: String = (1..40)
        .map(|i| format!("<p>about topic {i} in rust</p>"))
        .collect();
    let document = Document {
        html,
        url: POST.to_owned(),
        ..Document::default()
    };
    let first = link(&document, &build(), &Limits::default());
    // 195 words allow two links.
    assert_eq!(first.links.len(), 2);
    for _ in 0..3 {
        assert_eq!(link(&document, &build(), &Limits::default()), first);
    }
}

/// Text content as the tokenizer reads it: every text chunk, raw, in order.
fn text_of(html: &str) -> String {
    use lol_html::{RewriteStrSettings, doc_text, rewrite_str};
    let mut text = String::new();
    let settings = RewriteStrSettings::new()
        .with_strict(false)
        .with_enable_esi_tags(false)
        .append_document_content_handler(doc_text!(|chunk| {
            text.push_str(chunk.as_str());
            Ok(())
        }));
    rewrite_str(html, settings).unwrap();
    text
}

fn html_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("rust".to_owned()),
        Just("Async".to_owned()),
        Just("category".to_owned()),
        Just("cat".to_owned()),
        Just(" ".to_owned()),
        Just("&nbsp;".to_owned()),
        Just("&amp;".to_owned()),
        Just("<p>".to_owned()),
        Just("</p>".to_owned()),
        Just("<h2>".to_owned()),
        Just("</h2>".to_owned()),
        Just("<code>".to_owned()),
        Just("</code>".to_owned()),
        Just("<em>".to_owned()),
        Just("</em>".to_owned()),
        Just("<a href=\"/x\">".to_owned()),
        Just("</a>".to_owned()),
        Just("<!-- wp:paragraph -->".to_owned()),
        Just("[note]".to_owned()),
        Just("[/note]".to_owned()),
        Just("<br>".to_owned()),
        Just("<pre>".to_owned()),
        Just("<script>".to_owned()),
        Just("</script>".to_owned()),
        Just("<textarea>".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("<".to_owned()),
        Just("&".to_owned()),
        Just("&#x52;ust".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("<div title=\"rust async\">".to_owned()),
        Just("</div>".to_owned()),
        Just("кот".to_owned()),
        Just("编程".to_owned()),
        "[a-zA-Zé .,<>&;\\[\\]]{0,8}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn only_anchors_are_added(html in html_like()) {
        let index = titles(
            Some(Language::English),
            &[(1, "rust"), (2, "async"), (3, "cat"), (4, "rust async"), (5, "кот"), (6, "编程")],
        );
        let document = Document { html: html.clone(), url: POST.to_owned(), ..Document::default() };
        let linked = link(&document, &index, &loose());
        prop_assert_eq!(text_of(&linked.html), text_of(&html));
        // Cutting every inserted tag out at its reported offset gives the input back.
        let mut rebuilt = String::new();
        let mut at = 0;
        for inserted in &linked.links {
            let open_end = linked.html[inserted.offset..].find('>').unwrap() + inserted.offset + 1;
            rebuilt.push_str(&linked.html[at..inserted.offset]);
            let close = linked.html[open_end..].find("</a>").unwrap() + open_end;
            rebuilt.push_str(&linked.html[open_end..close]);
            at = close + "</a>".len();
        }
        rebuilt.push_str(&linked.html[at..]);
        prop_assert_eq!(&rebuilt, &html);
        prop_assert_eq!(remove_links(&linked.html, |_| true), html);
    }
}

#[test]
fn a_gutenberg_post_changes_only_where_linked() {
    let index = titles(
        Some(Language::English),
        &[(1, "borrow checker"), (2, "lifetimes")],
    );
    let input = "<!-- wp:heading {\"level\":2} -->\n<h2 class=\"wp-block-heading\">The borrow \
                 checker</h2>\n<!-- /wp:heading -->\n\n<!-- wp:paragraph -->\n<p>Fighting the \
                 <em>borrow&nbsp;checker</em>? Read about lifetimes&hellip;</p>\n<!-- \
                 /wp:paragraph -->\n\n<!-- wp:code -->\n<pre class=\"wp-block-code\"><code>fn \
                 lifetimes&lt;'a&gt;()</code></pre>\n<!-- /wp:code -->\n";
    let expected = input
        .replace(
            "<em>borrow&nbsp;checker</em>",
            &format!("<em>{}</em>", a(1, "borrow&nbsp;checker")),
        )
        .replace(
            "about lifetimes&hellip;",
            &format!("about {}&hellip;", a(2, "lifetimes")),
        );
    check(input, &index, &expected);
}
