//! Offline article ideas: titles and outlines from templates chosen by the cluster's search
//! intent, filled with its name and keywords. Deterministic.

use crate::ai::{ClusterBrief, IdeaDraft, OutlineSection};

struct Template {
    title: &'static str,
    description: &'static str,
    sections: &'static [&'static str],
    words: u32,
}

const INFORMATIONAL: &[Template] = &[
    Template {
        title: "{Topic}: The Complete Guide",
        description: "Everything a newcomer needs to understand {topic}, from the basics up.",
        sections: &[
            "What is {topic}?",
            "Why {topic} matters",
            "How {topic} works",
            "Common mistakes",
            "Next steps",
        ],
        words: 1800,
    },
    Template {
        title: "How {Topic} Works, Explained Step by Step",
        description: "A practical walk-through of {topic} with examples.",
        sections: &[
            "Before you start",
            "Step by step",
            "Examples",
            "Troubleshooting",
        ],
        words: 1400,
    },
    Template {
        title: "{Topic}: Questions People Ask",
        description: "Short, direct answers to the questions searchers have about {topic}.",
        sections: &[
            "The basics",
            "Costs and effort",
            "Getting it right",
            "Frequently asked questions",
        ],
        words: 1200,
    },
];

const COMMERCIAL: &[Template] = &[
    Template {
        title: "The Best {Topic}: Compared and Reviewed",
        description: "A side-by-side comparison of the leading options for {topic}.",
        sections: &[
            "How we compared",
            "The top picks",
            "Comparison table",
            "Which one to choose",
        ],
        words: 2000,
    },
    Template {
        title: "{Topic}: What to Look For Before You Choose",
        description: "A buyer's checklist for {topic}.",
        sections: &[
            "What matters most",
            "Features worth paying for",
            "What to avoid",
            "Our recommendation",
        ],
        words: 1500,
    },
    Template {
        title: "{Topic} Alternatives Worth Considering",
        description: "Options beside the obvious choice for {topic}, and who each suits.",
        sections: &[
            "Why look at alternatives",
            "The alternatives",
            "How they compare",
            "Verdict",
        ],
        words: 1400,
    },
];

const TRANSACTIONAL: &[Template] = &[
    Template {
        title: "Where to Get {Topic} at the Right Price",
        description: "Where and how to buy {topic} without overpaying.",
        sections: &[
            "What it should cost",
            "Where to buy",
            "Getting a good deal",
            "After you buy",
        ],
        words: 1200,
    },
    Template {
        title: "{Topic}: Options, Prices and How to Order",
        description: "A clear overview of the {topic} options and how to get started.",
        sections: &[
            "The options",
            "Prices",
            "How to order",
            "Questions before ordering",
        ],
        words: 1000,
    },
    Template {
        title: "Getting Started With {Topic} Today",
        description: "The quickest route from deciding on {topic} to having it.",
        sections: &["What you need", "Setting up", "First results", "Support"],
        words: 1000,
    },
];

const NAVIGATIONAL: &[Template] = &[
    Template {
        title: "{Topic}: Official Resources and Where to Find Them",
        description: "A map of the places that matter for {topic}.",
        sections: &["Official sources", "Getting access", "Help and contacts"],
        words: 900,
    },
    Template {
        title: "{Topic}: Sign-In, Setup and Help",
        description: "How to reach, set up and get help with {topic}.",
        sections: &["Signing in", "Setting up", "Getting help"],
        words: 800,
    },
    Template {
        title: "Everything About {Topic} in One Place",
        description: "An overview page linking to the details of {topic}.",
        sections: &["Overview", "Key pages", "Updates"],
        words: 900,
    },
];

/// Up to `brief.count` ideas for the cluster (at most one per template of its intent).
pub fn ideas(brief: &ClusterBrief) -> Vec<IdeaDraft> {
    let intent = brief.intent.as_deref().unwrap_or("informational");
    let templates = match intent {
        "commercial" => COMMERCIAL,
        "transactional" => TRANSACTIONAL,
        "navigational" => NAVIGATIONAL,
        _ => INFORMATIONAL,
    };
    let topic = brief.name.trim();
    let title_topic = title_case(topic);
    let fill = |text: &str| {
        text.replace("{Topic}", &title_topic)
            .replace("{topic}", topic)
    };
    templates
        .iter()
        .take(brief.count)
        .map(|template| {
            let mut outline: Vec<OutlineSection> = template
                .sections
                .iter()
                .map(|section| OutlineSection {
                    heading: capitalise(&fill(section)),
                    notes: None,
                })
                .collect();
            // The cluster's other keywords become sections, so the article covers them.
            let extra = brief
                .keywords
                .iter()
                .filter(|k| !k.eq_ignore_ascii_case(topic))
                .take(3);
            for keyword in extra {
                outline.insert(
                    outline.len() - 1,
                    OutlineSection {
                        heading: capitalise(keyword),
                        notes: Some(format!("Cover the search \"{keyword}\".")),
                    },
                );
            }
            IdeaDraft {
                title: fill(template.title),
                description: fill(template.description),
                outline,
                target_keywords: brief.keywords.iter().take(5).cloned().collect(),
                intent: Some(intent.to_owned()),
                estimated_word_count: template.words,
            }
        })
        .collect()
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Every word capitalised, except short joining words after the first.
fn title_case(text: &str) -> String {
    const SMALL: &[&str] = &[
        "a", "an", "and", "for", "in", "of", "on", "or", "the", "to", "vs", "with",
    ];
    text.split_whitespace()
        .enumerate()
        .map(|(i, word)| {
            if i > 0 && SMALL.contains(&word) {
                word.to_owned()
            } else {
                capitalise(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ideas_follow_the_intent_and_cover_the_keywords() {
        let brief = ClusterBrief {
            name: "running shoes for women".to_owned(),
            keywords: vec![
                "running shoes for women".to_owned(),
                "women's trail running shoes".to_owned(),
            ],
            intent: Some("commercial".to_owned()),
            count: 2,
        };
        let ideas = ideas(&brief);
        assert_eq!(ideas.len(), 2);
        assert_eq!(
            ideas[0].title,
            "The Best Running Shoes for Women: Compared and Reviewed"
        );
        assert!(
            ideas[0]
                .outline
                .iter()
                .any(|s| s.heading == "Women's trail running shoes")
        );
        assert_eq!(ideas[0].intent.as_deref(), Some("commercial"));
    }
}
