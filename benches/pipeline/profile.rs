//! One pass of the pipeline over a sample of the site, for instruction-count profilers
//! (callgrind, cachegrind), whose counts do not depend on the machine's load: each sampled post
//! is linked, and the linked page optimized, exactly once. A digest of every output is printed,
//! so two builds can be checked to produce the same links, pages and reports.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::hint::black_box;

use igny8::pipeline::language::Language;
use igny8::pipeline::linker::{Limits, LinkIndex, link};
use igny8::pipeline::optimizer::{Options, optimize};

use super::site::{self, Post};

/// Links and optimizes `sample` posts of a site of `count`, spread evenly over it.
pub fn run(count: usize, sample: usize) {
    let posts = site::generate(count, site::SEED);
    let index = LinkIndex::build(Some(Language::English), posts.iter().map(Post::target), []);
    let limits = Limits::default();
    let options = Options::all();
    let step = (count / sample.max(1)).max(1);
    let (mut bytes, mut links) = (0usize, 0usize);
    let mut digest = DefaultHasher::new();
    for post in posts.iter().step_by(step).take(sample) {
        let linked = black_box(link(&post.document(), &index, &limits));
        let optimized = black_box(
            optimize(&post.page(&linked.html), post.ruleset(), &options)
                .expect("every generated post can be optimized"),
        );
        bytes += post.html.len();
        links += linked.links.len();
        linked.html.hash(&mut digest);
        format!("{:?}", linked.links).hash(&mut digest);
        format!("{optimized:?}").hash(&mut digest);
    }
    println!(
        "profile: {} posts, {bytes} bytes of HTML, {links} links; outputs digest {:016x}",
        sample.min(posts.len()),
        digest.finish()
    );
}
