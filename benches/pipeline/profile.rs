//! One pass of the pipeline over a sample of the site, for instruction-count profilers
//! (callgrind, cachegrind), whose counts do not depend on the machine's load: each sampled post
//! is linked, and the linked page optimized, exactly once. A digest of every output is printed,
//! so two builds can be checked to produce the same links, pages and reports.
//!
//! As many other posts go through first, so the thread's memories of words are as warm as in a
//! long run; run under `valgrind --zero-before=pipeline::profile::measured` to count the sample
//! alone.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::hint::black_box;

use igny8::pipeline::language::Language;
use igny8::pipeline::linker::{Limits, LinkIndex, Linked, link};
use igny8::pipeline::optimizer::{Optimization, Options, optimize};

use super::site::{self, Post};

/// Links and optimizes `sample` posts of a site of `count`, spread evenly over it.
pub fn run(count: usize, sample: usize) {
    let posts = site::generate(count, site::SEED);
    let index = LinkIndex::build(Some(Language::English), posts.iter().map(Post::target), []);
    let step = (count / sample.max(1)).max(1);
    let pipeline = |post: &Post| {
        let linked = black_box(link(&post.document(), &index, &Limits::default()));
        let optimized = black_box(
            optimize(&post.page(&linked.html), post.ruleset(), &Options::all())
                .expect("every generated post can be optimized"),
        );
        (linked, optimized)
    };
    for post in posts.iter().skip(step / 2).step_by(step).take(sample) {
        pipeline(post);
    }
    measured(posts.iter().step_by(step).take(sample), pipeline);
}

/// Runs `pipeline` on `posts` and prints what it made of them.
#[inline(never)]
fn measured<'p>(
    posts: impl Iterator<Item = &'p Post>,
    pipeline: impl Fn(&Post) -> (Linked, Optimization),
) {
    let (mut count, mut bytes, mut links) = (0usize, 0usize, 0usize);
    let mut digest = DefaultHasher::new();
    for post in posts {
        let (linked, optimized) = pipeline(post);
        count += 1;
        bytes += post.html.len();
        links += linked.links.len();
        linked.html.hash(&mut digest);
        format!("{:?}", linked.links).hash(&mut digest);
        format!("{optimized:?}").hash(&mut digest);
    }
    println!(
        "profile: {count} posts, {bytes} bytes of HTML, {links} links; outputs digest {:016x}",
        digest.finish()
    );
}
