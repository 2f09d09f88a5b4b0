//! The pipeline's headline numbers, each measured once over the whole site: throughput of link +
//! optimize on one thread, the site linked on two threads sharing one index, the index build, and
//! memory (the high-water mark, and the resident set after 1,000 and after all posts, to show it
//! does not grow with the number of posts processed).

use std::collections::BTreeSet;
use std::thread;
use std::time::{Duration, Instant};

use igny8::pipeline::language::Language;
use igny8::pipeline::linker::{Limits, LinkIndex, Linked, TargetId, link};
use igny8::pipeline::optimizer::{Options, optimize};

use super::site::{self, Post};

const MB: f64 = 1_000_000.0;

pub fn run(count: usize) {
    let started = Instant::now();
    let posts = site::generate(count, site::SEED);
    let bytes: usize = posts.iter().map(|post| post.html.len()).sum();
    println!(
        "site: {} posts, {:.1} MB of HTML ({:.1} KB a post), generated in {:.2} s",
        posts.len(),
        bytes as f64 / MB,
        bytes as f64 / posts.len() as f64 / 1_000.0,
        started.elapsed().as_secs_f64()
    );
    let after_generation = Memory::now();

    let started = Instant::now();
    let targets: Vec<_> = posts.iter().map(Post::target).collect();
    let text = started.elapsed();
    let started = Instant::now();
    let index = LinkIndex::build(Some(Language::English), targets, []);
    let build = started.elapsed();
    println!(
        "index: {} targets, {} phrases; built in {:.2} s (plus {:.2} s reading the targets' text)",
        index.target_count(),
        index.phrase_count(),
        build.as_secs_f64(),
        text.as_secs_f64()
    );

    let limits = Limits::default();
    let started = Instant::now();
    let halves = posts.split_at(posts.len() / 2);
    let summaries: Vec<LinkSummary> = thread::scope(|scope| {
        let workers = [halves.0, halves.1].map(|half| {
            let (index, limits) = (&index, &limits);
            scope.spawn(move || {
                let mut summary = LinkSummary::default();
                for post in half {
                    summary.add(&link(&post.document(), index, limits));
                }
                summary
            })
        });
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a linking thread panicked"))
            .collect()
    });
    let two_threads = started.elapsed();
    let mut summary = LinkSummary::default();
    for half in summaries {
        summary.merge(half);
    }
    println!(
        "link, 2 threads: whole site in {:.2} s (target < 10 s); {} links in {} of {} posts, to {} distinct targets",
        two_threads.as_secs_f64(),
        summary.links,
        summary.linked_posts,
        posts.len(),
        summary.targets.len()
    );

    let options = Options::all();
    let before_pipeline = Memory::now();
    let mut at_thousand = None;
    let (mut linking, mut optimizing) = (Duration::ZERO, Duration::ZERO);
    let mut words = 0usize;
    for (i, post) in posts.iter().enumerate() {
        let started = Instant::now();
        let linked = link(&post.document(), &index, &limits);
        let linked_at = Instant::now();
        let optimized = optimize(&post.page(&linked.html), post.ruleset(), &options)
            .expect("every generated post can be optimized");
        optimizing += linked_at.elapsed();
        linking += linked_at - started;
        words += optimized.before.numbers.words;
        if i + 1 == 1_000 {
            at_thousand = Some(Memory::now());
        }
    }
    let total = linking + optimizing;
    let after_pipeline = Memory::now();
    println!(
        "pipeline, 1 thread: {:.1} MB/s (target >= 30), {:.2} s for the site: link {:.2} s ({:.1} MB/s), optimize {:.2} s ({:.1} MB/s); {} words a post on average",
        bytes as f64 / MB / total.as_secs_f64(),
        total.as_secs_f64(),
        linking.as_secs_f64(),
        bytes as f64 / MB / linking.as_secs_f64(),
        optimizing.as_secs_f64(),
        bytes as f64 / MB / optimizing.as_secs_f64(),
        words / posts.len().max(1)
    );
    println!(
        "memory: after generating the site: rss {} MB, peak {} MB; before the pipeline: rss {} MB, peak {} MB",
        after_generation.rss_mb,
        after_generation.peak_mb,
        before_pipeline.rss_mb,
        before_pipeline.peak_mb,
    );
    if let Some(thousand) = at_thousand {
        println!(
            "memory: after 1,000 posts: rss {} MB; after {} posts: rss {} MB; peak grew {} MB over the pipeline run",
            thousand.rss_mb,
            posts.len(),
            after_pipeline.rss_mb,
            after_pipeline.peak_mb - before_pipeline.peak_mb
        );
    }
}

/// What linking a set of posts did.
#[derive(Default)]
struct LinkSummary {
    links: usize,
    linked_posts: usize,
    targets: BTreeSet<TargetId>,
}

impl LinkSummary {
    fn add(&mut self, linked: &Linked) {
        self.links += linked.links.len();
        self.linked_posts += usize::from(!linked.links.is_empty());
        self.targets
            .extend(linked.links.iter().map(|link| link.target));
    }

    fn merge(&mut self, other: LinkSummary) {
        self.links += other.links;
        self.linked_posts += other.linked_posts;
        self.targets.extend(other.targets);
    }
}

/// The process's resident set and its high-water mark, in MB, as the kernel reports them.
struct Memory {
    rss_mb: i64,
    peak_mb: i64,
}

impl Memory {
    fn now() -> Memory {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kb| kb.parse::<i64>().ok())
                .map_or(-1, |kb| kb / 1_024)
        };
        Memory {
            rss_mb: field("VmRSS:"),
            peak_mb: field("VmHWM:"),
        }
    }
}
