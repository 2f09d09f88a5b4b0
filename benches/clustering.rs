//! Offline keyword clustering of 10,000 keywords (no database): a seeded list shaped like a
//! keyword tool's export, 500 topics of two to four words each searched with modifiers,
//! questions and qualifiers, clustered end to end (stemming, the similarity graph, average-linkage
//! agglomeration, naming).
//!
//! Run: `cargo bench --bench clustering`. The target is under 2 s per run of 10,000 keywords.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use igny8::planner::clustering::{DEFAULT_THRESHOLD, Keyword, cluster};

const KEYWORDS: usize = 10_000;
const TOPICS: usize = 500;

const NOUNS: &[&str] = &[
    "coffee",
    "grinder",
    "espresso",
    "kettle",
    "shoes",
    "boots",
    "jacket",
    "tent",
    "backpack",
    "bike",
    "helmet",
    "laptop",
    "monitor",
    "keyboard",
    "camera",
    "lens",
    "tripod",
    "garden",
    "soil",
    "compost",
    "tomato",
    "roses",
    "lawn",
    "mower",
    "drill",
    "saw",
    "paint",
    "roof",
    "window",
    "door",
    "kitchen",
    "sink",
    "faucet",
    "oven",
    "fridge",
    "blender",
    "mattress",
    "pillow",
    "sofa",
    "desk",
    "chair",
    "lamp",
    "rug",
    "curtains",
    "dog",
    "puppy",
    "cat",
    "aquarium",
    "bread",
    "pizza",
    "pasta",
    "salad",
    "soup",
    "wine",
    "beer",
    "tea",
    "guitar",
    "piano",
    "violin",
    "yoga",
    "running",
    "swimming",
    "cycling",
    "hiking",
    "fishing",
    "skiing",
    "mortgage",
    "insurance",
    "taxes",
    "budget",
    "savings",
    "loan",
    "resume",
    "interview",
    "solar",
    "battery",
    "inverter",
    "heater",
    "insulation",
    "plumbing",
    "wiring",
    "router",
];

const QUALIFIERS: &[&str] = &[
    "electric",
    "manual",
    "portable",
    "wireless",
    "organic",
    "vintage",
    "waterproof",
    "lightweight",
    "small",
    "large",
    "outdoor",
    "indoor",
    "professional",
    "beginner",
    "kids",
    "women's",
    "men's",
    "budget",
    "premium",
    "eco",
    "smart",
    "classic",
    "modern",
    "wooden",
];

const PATTERNS: &[&str] = &[
    "{t}",
    "best {t}",
    "cheap {t}",
    "{t} reviews",
    "how to choose {t}",
    "how to clean {t}",
    "{t} for beginners",
    "{t} near me",
    "{t} vs {u}",
    "{q} {t}",
    "{t} price",
    "what is the best {t}",
    "{t} buying guide",
    "top 10 {t}",
    "{t} repair",
    "{t} accessories",
    "{q} {t} for sale",
    "diy {t}",
];

/// A small deterministic generator (SplitMix64), so every run clusters the same list.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn keywords() -> Vec<(String, i32)> {
    let mut rng = Seeded(0x1687_2026);
    let topics: Vec<String> = (0..TOPICS)
        .map(|_| {
            let words = 1 + (rng.next() % 2) as usize;
            let mut topic: Vec<&str> = (0..words).map(|_| rng.pick(NOUNS)).collect();
            topic.push(rng.pick(NOUNS));
            topic.dedup();
            topic.join(" ")
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(KEYWORDS);
    while out.len() < KEYWORDS {
        let topic = &topics[(rng.next() % TOPICS as u64) as usize];
        let other = &topics[(rng.next() % TOPICS as u64) as usize];
        let keyword = rng
            .pick(PATTERNS)
            .replace("{t}", topic)
            .replace("{u}", other)
            .replace("{q}", rng.pick(QUALIFIERS));
        let suffix = if seen.contains(&keyword) {
            format!("{keyword} {}", 2000 + rng.next() % 30)
        } else {
            keyword
        };
        if seen.insert(suffix.clone()) {
            out.push((suffix, (rng.next() % 50_000) as i32));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let list = keywords();
    let input: Vec<Keyword<'_>> = list
        .iter()
        .map(|(text, volume)| Keyword {
            text,
            volume: Some(*volume),
        })
        .collect();
    let groups = cluster(&input, DEFAULT_THRESHOLD);
    let largest = groups.iter().map(|g| g.members.len()).max().unwrap_or(0);
    println!(
        "{} keywords -> {} clusters (largest {largest})",
        input.len(),
        groups.len()
    );
    let mut group = c.benchmark_group("planner");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("cluster_10000_keywords", |b| {
        b.iter(|| cluster(black_box(&input), DEFAULT_THRESHOLD))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
