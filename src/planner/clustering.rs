//! Offline keyword clustering, pure and deterministic.
//!
//! Each keyword becomes a set of Snowball stems of its content words: function words and search
//! modifiers ("best", "cheap", "near me", "how") are dropped, since they say how people search,
//! not what about. Two keywords are as similar as the weighted overlap of their stem sets (the
//! shared weight over the smaller set's, rarer stems weighing more, so "coffee grinder" is close
//! to "french press coffee ratio" though the longer one says more), raised when they share their
//! head term (the last content word, which names the thing in an English noun phrase). Clusters are grown by average-linkage
//! agglomeration over the sparse similarity graph (each keyword's strongest links), merging
//! while the best average link is at least the threshold; each is named after the member
//! closest to its centroid.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

use crate::pipeline::analyzer::seo::function_words::is_english_function_word;

/// Average similarity two groups need to be merged.
pub const DEFAULT_THRESHOLD: f64 = 0.2;

/// How much of the remaining distance a shared head term closes.
const HEAD_BONUS: f64 = 0.2;

/// A stem in more than this share of a large list is too general to pair keywords by; it still
/// counts in the similarity of pairs found through other stems.
const GENERAL_STEM_SHARE: usize = 20;
/// Lists up to this size pair keywords through every stem.
const GENERAL_STEM_MIN: usize = 200;

/// Words that modify a search rather than name its topic, folded.
const MODIFIERS: &[&str] = &[
    "best",
    "buy",
    "cheap",
    "cheapest",
    "compare",
    "comparison",
    "cost",
    "deal",
    "deals",
    "discount",
    "free",
    "good",
    "great",
    "guide",
    "ideas",
    "near",
    "new",
    "online",
    "price",
    "prices",
    "review",
    "reviews",
    "sale",
    "tips",
    "top",
    "tutorial",
    "versus",
    "vs",
];

/// One keyword to cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyword<'a> {
    pub text: &'a str,
    /// Monthly search volume; breaks ties when naming a cluster.
    pub volume: Option<i32>,
}

/// A cluster: indexes into the input, ascending, and the index of the keyword it is named after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub members: Vec<usize>,
    pub representative: usize,
}

/// Groups `keywords` (every one in exactly one group). Groups come in order of their first
/// member.
pub fn cluster(keywords: &[Keyword<'_>], threshold: f64) -> Vec<Group> {
    let profiles = Profiles::build(keywords);
    let links = similarities(&profiles);
    let mut groups = agglomerate(keywords.len(), links, threshold);
    groups.sort_by_key(|members| members[0]);
    groups
        .into_iter()
        .map(|members| Group {
            representative: representative(&profiles, keywords, &members),
            members,
        })
        .collect()
}

/// Stem sets (interned stem ids, sorted), their weights and head terms.
struct Profiles {
    stems: Vec<Vec<u32>>,
    heads: Vec<Option<u32>>,
    /// Weight of each stem id.
    weight: Vec<f64>,
    /// Sum of weights of each keyword's stems.
    mass: Vec<f64>,
    /// Keywords holding each stem.
    postings: Vec<Vec<u32>>,
}

impl Profiles {
    fn build(keywords: &[Keyword<'_>]) -> Profiles {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut postings: Vec<Vec<u32>> = Vec::new();
        let mut stems = Vec::with_capacity(keywords.len());
        let mut heads = Vec::with_capacity(keywords.len());
        for (index, keyword) in keywords.iter().enumerate() {
            let mut set = Vec::new();
            let mut head = None;
            for word in keyword.text.unicode_words() {
                let folded = word.to_lowercase();
                if is_english_function_word(&folded)
                    || MODIFIERS.binary_search(&folded.as_str()).is_ok()
                {
                    continue;
                }
                let stem = stemmer.stem(&folded);
                let next = u32::try_from(ids.len()).expect("fewer than 2^32 stems");
                let id = *ids.entry(stem.into_owned()).or_insert(next);
                if id as usize == postings.len() {
                    postings.push(Vec::new());
                }
                head = Some(id);
                set.push(id);
            }
            set.sort_unstable();
            set.dedup();
            for &id in &set {
                postings[id as usize].push(u32::try_from(index).expect("fewer than 2^32 keywords"));
            }
            stems.push(set);
            heads.push(head);
        }
        // Smoothed inverse document frequency: in a small list every stem weighs about the same.
        let n = keywords.len() as f64;
        let weight: Vec<f64> = postings
            .iter()
            .map(|p| ((n + 1.0) / (p.len() as f64 + 1.0)).ln() + 1.0)
            .collect();
        let mass = stems
            .iter()
            .map(|set| set.iter().map(|&s| weight[s as usize]).sum())
            .collect();
        Profiles {
            stems,
            heads,
            weight,
            mass,
            postings,
        }
    }

    fn similarity(&self, a: usize, b: usize, shared: f64) -> f64 {
        let smaller = self.mass[a].min(self.mass[b]);
        if smaller <= 0.0 {
            return 0.0;
        }
        let overlap = (shared / smaller).min(1.0);
        if self.heads[a].is_some() && self.heads[a] == self.heads[b] {
            overlap + (1.0 - overlap) * HEAD_BONUS
        } else {
            overlap
        }
    }
}

/// Links kept per keyword: its most similar neighbours. Average linkage over a sparse graph
/// needs only the strong links, and without a bound a list full of shared words makes every
/// merge walk thousands of neighbours.
const NEIGHBOURS: usize = 24;

/// Each keyword's strongest links to keywords sharing a stem with it, as `(a, b, s)` with
/// `a < b`, each pair once (kept when either end chose it).
fn similarities(profiles: &Profiles) -> Vec<(u32, u32, f64)> {
    let n = profiles.stems.len();
    let general = GENERAL_STEM_MIN.max(n / GENERAL_STEM_SHARE);
    let mut shared = vec![0.0_f64; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut scored: Vec<(f64, u32)> = Vec::new();
    let mut links = Vec::new();
    for a in 0..n {
        for &stem in &profiles.stems[a] {
            let posting = &profiles.postings[stem as usize];
            if posting.len() > general {
                continue;
            }
            let w = profiles.weight[stem as usize];
            for &b in posting {
                if b as usize == a {
                    continue;
                }
                if shared[b as usize] == 0.0 {
                    touched.push(b);
                }
                shared[b as usize] += w;
            }
        }
        scored.clear();
        for &b in &touched {
            scored.push((profiles.similarity(a, b as usize, shared[b as usize]), b));
            shared[b as usize] = 0.0;
        }
        touched.clear();
        if scored.len() > NEIGHBOURS {
            scored.select_nth_unstable_by(NEIGHBOURS - 1, |x, y| {
                y.0.total_cmp(&x.0).then(x.1.cmp(&y.1))
            });
            scored.truncate(NEIGHBOURS);
        }
        let a = a as u32;
        links.extend(scored.iter().map(|&(s, b)| (a.min(b), a.max(b), s)));
    }
    links.sort_unstable_by_key(|&(a, b, _)| (a, b));
    links.dedup_by(|x, y| (x.0, x.1) == (y.0, y.1));
    links
}

/// A candidate merge: the average link between two groups when it was computed.
#[derive(PartialEq)]
struct Candidate {
    linkage: f64,
    a: usize,
    b: usize,
    /// The groups' sizes then; a candidate whose groups changed since is stale.
    sizes: (usize, usize),
}

impl Eq for Candidate {}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.linkage
            .total_cmp(&other.linkage)
            .then_with(|| other.a.cmp(&self.a))
            .then_with(|| other.b.cmp(&self.b))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Average-linkage agglomeration. A group's links map each neighbouring group to the sum of the
/// similarities between their members; missing pairs count as zero.
fn agglomerate(n: usize, pairs: Vec<(u32, u32, f64)>, threshold: f64) -> Vec<Vec<usize>> {
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut links: Vec<HashMap<usize, f64>> = vec![HashMap::new(); n];
    let mut heap = BinaryHeap::new();
    for (a, b, s) in pairs {
        let (a, b) = (a as usize, b as usize);
        links[a].insert(b, s);
        links[b].insert(a, s);
        if s >= threshold {
            heap.push(Candidate {
                linkage: s,
                a,
                b,
                sizes: (1, 1),
            });
        }
    }
    while let Some(candidate) = heap.pop() {
        let (a, b) = (candidate.a, candidate.b);
        if members[a].is_empty()
            || members[b].is_empty()
            || candidate.sizes != (members[a].len(), members[b].len())
        {
            continue;
        }
        // The lower index survives, so the outcome does not depend on map order.
        let (keep, gone) = (a.min(b), a.max(b));
        let moved = std::mem::take(&mut members[gone]);
        members[keep].extend(moved);
        let gone_links = std::mem::take(&mut links[gone]);
        links[keep].remove(&gone);
        for (neighbour, sum) in gone_links {
            if neighbour == keep {
                continue;
            }
            *links[keep].entry(neighbour).or_insert(0.0) += sum;
            let theirs = &mut links[neighbour];
            theirs.remove(&gone);
            *theirs.entry(keep).or_insert(0.0) += sum;
        }
        let size = members[keep].len();
        let mut next: Vec<(usize, f64)> = links[keep].iter().map(|(&x, &s)| (x, s)).collect();
        next.sort_unstable_by_key(|&(x, _)| x);
        for (neighbour, sum) in next {
            let other = members[neighbour].len();
            let linkage = sum / (size * other) as f64;
            if linkage >= threshold {
                let (a, b, sizes) = if keep < neighbour {
                    (keep, neighbour, (size, other))
                } else {
                    (neighbour, keep, (other, size))
                };
                heap.push(Candidate {
                    linkage,
                    a,
                    b,
                    sizes,
                });
            }
        }
    }
    members
        .into_iter()
        .filter(|m| !m.is_empty())
        .map(|mut m| {
            m.sort_unstable();
            m
        })
        .collect()
}

/// The member closest to the group's stem centroid; ties go to the higher volume, then the
/// shorter keyword, then the earlier one.
fn representative(profiles: &Profiles, keywords: &[Keyword<'_>], members: &[usize]) -> usize {
    let mut centroid: HashMap<u32, f64> = HashMap::new();
    for &m in members {
        for &s in &profiles.stems[m] {
            *centroid.entry(s).or_insert(0.0) += profiles.weight[s as usize];
        }
    }
    let score = |m: usize| -> f64 {
        let stems = &profiles.stems[m];
        if stems.is_empty() {
            return 0.0;
        }
        let dot: f64 = stems
            .iter()
            .map(|s| profiles.weight[*s as usize] * centroid[s])
            .sum();
        let norm: f64 = stems
            .iter()
            .map(|s| profiles.weight[*s as usize].powi(2))
            .sum::<f64>()
            .sqrt();
        dot / norm
    };
    let mut best = members[0];
    let mut best_score = score(best);
    for &m in &members[1..] {
        let s = score(m);
        let better = match s.total_cmp(&best_score) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => {
                let (k, b) = (&keywords[m], &keywords[best]);
                (k.volume.unwrap_or(0), std::cmp::Reverse(k.text.len()))
                    > (b.volume.unwrap_or(0), std::cmp::Reverse(b.text.len()))
            }
        };
        if better {
            best = m;
            best_score = s;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keywords<'a>(texts: &[&'a str]) -> Vec<Keyword<'a>> {
        texts
            .iter()
            .map(|text| Keyword { text, volume: None })
            .collect()
    }

    #[test]
    fn modifiers_are_sorted_for_binary_search() {
        assert!(MODIFIERS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn keywords_of_one_topic_group_and_others_stay_apart() {
        let list = keywords(&[
            "best running shoes",
            "running shoes for women",
            "cheap running shoe",
            "how to brew coffee",
            "coffee brewing guide",
            "brew coffee at home",
        ]);
        let groups = cluster(&list, DEFAULT_THRESHOLD);
        let members: Vec<&[usize]> = groups.iter().map(|g| g.members.as_slice()).collect();
        assert_eq!(members, vec![&[0, 1, 2][..], &[3, 4, 5][..]]);
    }

    #[test]
    fn a_keyword_of_only_function_words_is_a_group_of_its_own() {
        let list = keywords(&["how to", "the best", "coffee beans"]);
        let groups = cluster(&list, DEFAULT_THRESHOLD);
        assert_eq!(groups.len(), 3);
    }

    #[test]
    fn the_group_is_named_after_its_most_central_keyword() {
        let list = vec![
            Keyword {
                text: "running shoes for trail",
                volume: Some(10),
            },
            Keyword {
                text: "running shoes",
                volume: Some(500),
            },
            Keyword {
                text: "running shoes for women",
                volume: Some(50),
            },
        ];
        let groups = cluster(&list, DEFAULT_THRESHOLD);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].representative, 1);
    }

    #[test]
    fn the_same_input_gives_the_same_groups() {
        let list = keywords(&["a b c", "b c d", "c d e", "x y", "y z", "q"]);
        let first = cluster(&list, 0.2);
        for _ in 0..5 {
            assert_eq!(cluster(&list, 0.2), first);
        }
    }
}
