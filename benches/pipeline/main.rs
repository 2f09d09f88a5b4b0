//! The pure pipeline (analyzer, linker, optimizer) over a synthetic 10,000-post WordPress site,
//! no database. Targets: at least 30 MB/s of HTML per core through link + optimize (which
//! analyses), and the whole site linked in under 10 s on 2 cores.
//!
//! Run:
//! - `cargo bench --bench pipeline` measures, with criterion, `analyze`, `link`, `optimize` and
//!   `pipeline` (link, then optimize) over a sample of the posts, in bytes of input HTML per
//!   second, and `index_build` (the site's `LinkIndex` from its 10,000 targets);
//! - `cargo bench --bench pipeline -- --headline` measures once each, over the whole site: the
//!   pipeline's MB/s on one thread, the site linked on 2 threads, the index build, and memory;
//! - `cargo bench --bench pipeline -- --write-corpus DIR` writes the posts' HTML to DIR (for the
//!   comparison with textstat, `benches/textstat_compare.py`) and measures nothing;
//! - `cargo bench --bench pipeline -- --profile N` links and optimizes N posts of the site once
//!   each, after as many others, and prints a digest of the outputs, for
//!   `valgrind --tool=callgrind` and the like.

mod headline;
mod profile;
mod site;

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group};
use igny8::pipeline::analyzer::report;
use igny8::pipeline::language::Language;
use igny8::pipeline::linker::{Limits, LinkIndex, link};
use igny8::pipeline::optimizer::{Options, optimize};

/// The daemon's allocator (`src/main.rs`), so the numbers are the daemon's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Posts in the site.
const POSTS: usize = 10_000;
/// Every this many posts is in the per-post benches' sample: 100 posts, about 1 MB of HTML.
const SAMPLE_EVERY: usize = 100;

fn per_post(c: &mut Criterion) {
    let posts = site::generate(POSTS, site::SEED);
    let index = LinkIndex::build(
        Some(Language::English),
        posts.iter().map(site::Post::target),
        [],
    );
    let sample: Vec<&site::Post> = posts.iter().step_by(SAMPLE_EVERY).collect();
    let documents: Vec<_> = sample.iter().map(|post| post.document()).collect();
    let bytes: usize = sample.iter().map(|post| post.html.len()).sum();
    let limits = Limits::default();
    let options = Options::all();

    let mut group = c.benchmark_group("per_post");
    group
        .throughput(Throughput::Bytes(bytes as u64))
        // An iteration is the whole sample, seconds long: the same count in every sample.
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(20));
    group.bench_function("analyze", |b| {
        b.iter(|| {
            for post in &sample {
                black_box(report(&post.page(&post.html), post.ruleset()).unwrap());
            }
        })
    });
    group.bench_function("link", |b| {
        b.iter(|| {
            for document in &documents {
                black_box(link(document, &index, &limits));
            }
        })
    });
    group.bench_function("optimize", |b| {
        b.iter(|| {
            for post in &sample {
                black_box(optimize(&post.page(&post.html), post.ruleset(), &options).unwrap());
            }
        })
    });
    group.bench_function("pipeline", |b| {
        b.iter(|| {
            for (post, document) in sample.iter().zip(&documents) {
                let linked = link(document, &index, &limits);
                black_box(optimize(&post.page(&linked.html), post.ruleset(), &options).unwrap());
            }
        })
    });
    group.finish();
}

fn index_build(c: &mut Criterion) {
    let posts = site::generate(POSTS, site::SEED);
    let targets: Vec<_> = posts.iter().map(site::Post::target).collect();
    let mut group = c.benchmark_group("site");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(30));
    group.bench_function("index_build", |b| {
        b.iter_batched(
            || targets.clone(),
            |targets| LinkIndex::build(Some(Language::English), targets, []),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, per_post, index_build);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--write-corpus") {
        let Some(dir) = args.get(at + 1) else {
            eprintln!("--write-corpus needs a directory");
            std::process::exit(2);
        };
        let posts = site::generate(POSTS, site::SEED);
        site::write_corpus(&posts, &PathBuf::from(dir)).expect("the corpus is written");
        println!("{} posts written to {dir}", posts.len());
        return;
    }
    if let Some(at) = args.iter().position(|arg| arg == "--profile") {
        let Some(sample) = args.get(at + 1).and_then(|n| n.parse().ok()) else {
            eprintln!("--profile needs a number of posts");
            std::process::exit(2);
        };
        profile::run(POSTS, sample);
        return;
    }
    if args.iter().any(|arg| arg == "--headline") {
        headline::run(POSTS);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
