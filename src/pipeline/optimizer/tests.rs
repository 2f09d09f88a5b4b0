//! Golden tests of the optimizer, each through `check`.

use super::*;

fn run(html: &str) -> String {
    let proposed = propose(html, None, None, 121..=156, &Options::all()).unwrap();
    apply(html, proposed.iter().flat_map(|(_, p)| p)).unwrap()
}

fn check(input: &str, expected: &str) {
    let output = run(input);
    assert_eq!(output, expected);
    assert_eq!(run(&output), output, "a second run changed the output");
}

#[test]
fn every_rule_on_one_page() {
    check(
        "<h1 class=\"x\">A</h1><h4>B</h4><img src=\"/a/my-cat_photo-1024x768.jpg\"><img src=x/><a target=_blank href=y>z</a><pre><img src=a.png></pre>",
        "<h2 class=\"x\">A</h2><h3>B</h3><img src=\"/a/my-cat_photo-1024x768.jpg\" alt=\"B\"><img src=x/ alt=\"B\" loading=\"lazy\" decoding=\"async\"><a target=_blank href=y rel=\"noopener\">z</a><pre><img src=a.png></pre>",
    );
}

#[test]
fn protected_regions_cover_code_comments_and_shortcodes() {
    let html = "<p>a <code>x<b>y</b></code> [note]<img src=n.png>[/note]</p><!-- wp:image {\"id\":1} --><pre>z";
    let regions: Vec<&str> = protected_regions(html)
        .unwrap()
        .into_iter()
        .map(|r| &html[r])
        .collect();
    assert_eq!(
        regions,
        [
            "<code>x<b>y</b></code>",
            "[note]",
            "<img src=n.png>",
            "[/note]",
            "<!-- wp:image {\"id\":1} -->",
            "<pre>z"
        ]
    );
}
