//! A synthetic WordPress site for the pipeline benchmarks, the same for every run and machine
//! (one fixed seed): posts of about 1,200 words as the block editor saves them, with block
//! comments, headings, inline markup, lists, tables, code, images, captions, shortcodes and
//! WordPress's typographic entities.
//!
//! Posts of a category write about the same handful of subjects and mention each other's titles
//! and focus keyphrases in their prose, as a real site's posts do, so the linker has real anchors
//! to find; some of those mentions are already links, and some sit in code or headings, where no
//! link may go.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use igny8::pipeline::analyzer::Page;
use igny8::pipeline::language::Language;
use igny8::pipeline::linker::{Document, Target, TargetId};
use igny8::pipeline::ruleset::{Profile, Ruleset};
use igny8::processing::documents::plain_text;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};

/// The site's address; every post lives under it.
pub const HOST: &str = "https://blog.example.com";

/// The seed of the benchmark site; changing it changes every number measured on it.
pub const SEED: u64 = 0x1647_2026;

const CATEGORIES: &[&str] = &[
    "WordPress",
    "Performance",
    "Security",
    "Hosting",
    "Databases",
    "DevOps",
    "Front End",
    "SEO",
    "E-commerce",
    "Email",
    "Analytics",
    "Backups",
];

/// Six subjects per category, in the order of `CATEGORIES`.
const SUBJECTS: &[&str] = &[
    "block themes",
    "custom post types",
    "plugin updates",
    "the block editor",
    "child themes",
    "wordpress multisite",
    "page caching",
    "image compression",
    "lazy loading",
    "core web vitals",
    "object caching",
    "font loading",
    "two factor authentication",
    "login security",
    "security headers",
    "malware scans",
    "file permissions",
    "brute force protection",
    "managed hosting",
    "shared hosting",
    "server monitoring",
    "php workers",
    "dns records",
    "ssl certificates",
    "database indexes",
    "slow queries",
    "mysql backups",
    "database cleanup",
    "query monitor",
    "table locks",
    "staging sites",
    "deployment pipelines",
    "git workflows",
    "docker containers",
    "cron jobs",
    "log rotation",
    "css grid",
    "responsive images",
    "web fonts",
    "javascript bundles",
    "accessible forms",
    "dark mode",
    "internal links",
    "meta descriptions",
    "xml sitemaps",
    "structured data",
    "keyword research",
    "canonical urls",
    "product pages",
    "checkout flow",
    "payment gateways",
    "shipping rates",
    "abandoned carts",
    "product reviews",
    "transactional email",
    "newsletter signups",
    "email deliverability",
    "spam filters",
    "smtp settings",
    "mailing lists",
    "conversion tracking",
    "site analytics",
    "ab testing",
    "heatmaps",
    "event tracking",
    "traffic reports",
    "offsite backups",
    "backup restores",
    "disaster recovery",
    "database snapshots",
    "backup schedules",
    "uptime monitoring",
];

const SUBJECTS_PER_CATEGORY: usize = 6;

/// Focus keyphrases are a subject, alone or with one of these.
const MODIFIERS: &[&str] = &[
    "setup",
    "strategy",
    "basics",
    "checklist",
    "tools",
    "workflow",
    "settings",
    "best practices",
];

/// `{K}` is the focus keyphrase, `{C}` a context.
const TITLES: &[&str] = &[
    "How to Get {K} Right {C}",
    "A Beginner's Guide to {K}",
    "{K} Explained {C}",
    "Why {K} Matters {C}",
    "Getting Started with {K} {C}",
    "The {K} Playbook {C}",
    "What Nobody Tells You About {K}",
    "Seven Lessons on {K} {C}",
    "Fixing {K} {C}",
    "Rethinking {K} {C}",
];

const CONTEXTS: &[&str] = &[
    "",
    "for Small Teams",
    "in Production",
    "on a Budget",
    "for WordPress Sites",
    "Without Downtime",
    "Step by Step",
    "for Beginners",
    "at Scale",
    "for Agencies",
    "After a Migration",
    "for Online Stores",
    "on Shared Servers",
    "in Under an Hour",
    "for Busy Editors",
    "the Hard Way",
    "for Growing Blogs",
    "in 2024",
    "in 2025",
    "on Managed Hosts",
];

const TAGS: &[&str] = &[
    "nginx",
    "apache",
    "php",
    "mysql",
    "mariadb",
    "redis",
    "memcached",
    "cloudflare",
    "cdn",
    "woocommerce",
    "gutenberg",
    "wp-cli",
    "cron",
    "ssl",
    "http2",
    "http3",
    "dns",
    "git",
    "docker",
    "linux",
    "ubuntu",
    "backups",
    "s3",
    "monitoring",
    "logging",
    "uptime",
    "caching",
    "images",
    "webp",
    "avif",
    "fonts",
    "css",
    "javascript",
    "react",
    "accessibility",
    "forms",
    "seo",
    "schema",
    "sitemaps",
    "analytics",
    "email",
    "smtp",
    "spam",
    "newsletter",
    "checkout",
    "payments",
    "shipping",
    "security",
    "firewall",
    "malware",
    "passwords",
    "2fa",
    "staging",
    "deployment",
    "ci",
    "testing",
    "performance",
    "core-web-vitals",
    "lighthouse",
    "hosting",
    "vps",
    "migration",
    "multisite",
    "themes",
    "plugins",
    "child-themes",
    "blocks",
    "editor",
    "beginners",
    "advanced",
    "checklist",
    "case-study",
    "tutorial",
    "opinion",
    "tools",
    "agency",
    "freelance",
    "ecommerce",
    "budget",
    "scale",
];

const OPENERS: &[&str] = &[
    "",
    "",
    "",
    "",
    "In practice, ",
    "For example, ",
    "However, ",
    "Most of the time, ",
    "Because of this, ",
    "In our experience, ",
    "On the other hand, ",
    "As a result, ",
    "First, ",
    "Then ",
    "Still, ",
];

/// `{K}` the post's keyphrase, `{S}` another subject, `{R}` a related post's title, `{v}` a
/// verb, `{n}` a noun, `{a}` an adjective, `{p}` a past participle.
const CLAUSES: &[&str] = &[
    "{K} is easier to {v} than most people think",
    "you should {v} the {n} before you {v} anything else",
    "the {a} {n} is usually the first thing we {v}",
    "a {a} {n} can {v} your {n} in a few minutes",
    "we {v} the {n} with {S} and the results were {a}",
    "it&#8217;s worth checking how {K} affects the {n}",
    "don&#8217;t {v} the {n} until {K} is in place",
    "our {n} was {a} until we started to {v} it every week",
    "the {n} and the {n} should be kept apart",
    "many teams {v} the {n} by hand, which is slow &amp; easy to get wrong",
    "{S} works best with a {a} {n}",
    "a &#8220;{a}&#8221; {n} is not always the {a} one",
    "you can {v} up to 10&nbsp;GB of {n} this way",
    "the {n} was {p} by the {n} before anyone noticed",
    "this is where {R} comes in",
    "if you have not read {R} yet, start there",
    "we wrote about the details in {R}",
    "the same idea shows up in {R}",
    "{K} and {S} are closely related",
    "a good {n} makes {K} much less painful",
    "the {n} should be {p} at least once a month",
    "nobody wants to {v} a {a} {n} on a Friday afternoon",
    "the numbers improved once we learned to {v} the {n}",
    "small changes to the {n} add up over a year",
];

const TAILS: &[&str] = &[
    "",
    "",
    "",
    " on every release",
    " when traffic grows",
    " for a small site",
    " without extra plugins",
    " in most cases",
    ", at least on our servers",
    " before the next deploy",
];

const VERBS: &[&str] = &[
    "configure",
    "check",
    "measure",
    "update",
    "test",
    "replace",
    "monitor",
    "cache",
    "deploy",
    "review",
    "tune",
    "back up",
    "clean up",
    "document",
    "automate",
    "rebuild",
    "split",
    "trim",
];

const NOUNS: &[&str] = &[
    "server",
    "plugin",
    "database",
    "theme",
    "page",
    "request",
    "image",
    "query",
    "team",
    "budget",
    "release",
    "log file",
    "dashboard",
    "backup",
    "setting",
    "checklist",
    "workflow",
    "template",
    "host",
    "cache",
    "sidebar",
    "menu",
    "stylesheet",
    "header",
    "visitor",
];

const ADJECTIVES: &[&str] = &[
    "simple", "slow", "fast", "reliable", "small", "large", "default", "custom", "careful",
    "modern", "cheap", "safe", "noisy", "quiet", "fragile", "sturdy",
];

const PARTICIPLES: &[&str] = &[
    "replaced",
    "checked",
    "rewritten",
    "blocked",
    "cached",
    "reviewed",
    "moved",
    "flagged",
];

const EXTERNAL: &[(&str, &str)] = &[
    (
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Caching",
        "the MDN guide to caching",
    ),
    (
        "https://developer.wordpress.org/block-editor/",
        "the block editor handbook",
    ),
    (
        "https://web.dev/articles/vitals",
        "Google&#8217;s notes on web vitals",
    ),
    ("https://www.php.net/manual/en/", "the PHP manual"),
    (
        "https://dev.mysql.com/doc/refman/8.0/en/optimization.html",
        "the MySQL optimization chapter",
    ),
    ("https://nginx.org/en/docs/", "the nginx documentation"),
];

const CODE: &[&str] = &[
    "location ~* \\.(jpg|png|webp)$ {\n    expires 30d;\n    add_header Cache-Control \"public\";\n}",
    "&lt;?php\n// {K}: keep this in a small plugin, not in the theme.\nadd_action( 'init', function () {\n    if ( is_admin() &amp;&amp; ! wp_doing_ajax() ) {\n        return;\n    }\n} );",
    "# {K}\nwp cache flush &amp;&amp; wp rewrite flush\nwp cron event run --due-now",
    "SELECT option_name, LENGTH(option_value) AS size\nFROM wp_options\nWHERE autoload = 'yes'\nORDER BY size DESC\nLIMIT 20;",
    "&lt;link rel=\"preload\" href=\"/fonts/inter.woff2\" as=\"font\" crossorigin&gt;",
];

/// One post of the site.
#[derive(Debug, Clone)]
pub struct Post {
    pub id: i64,
    pub url: String,
    pub slug: String,
    pub title: String,
    pub focus_keyphrase: String,
    pub meta_description: Option<String>,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub cornerstone: bool,
    /// How many other posts use the same focus keyphrase.
    pub keyphrase_uses: usize,
    pub html: String,
}

impl Post {
    /// The post as a link target, its text read as the application reads it.
    pub fn target(&self) -> Target {
        Target {
            id: TargetId(self.id),
            url: self.url.clone(),
            title: self.title.clone(),
            focus_keyphrase: Some(self.focus_keyphrase.clone()),
            cluster_keywords: Vec::new(),
            categories: self.categories.clone(),
            tags: self.tags.clone(),
            cornerstone: self.cornerstone,
            text: plain_text(&self.html),
        }
    }

    /// The post as a document to link.
    pub fn document(&self) -> Document {
        Document {
            id: Some(TargetId(self.id)),
            html: self.html.clone(),
            url: self.url.clone(),
            focus_keyphrase: Some(self.focus_keyphrase.clone()),
            categories: self.categories.clone(),
            tags: self.tags.clone(),
        }
    }

    /// The post as the analyzer reads it, with `html` as its body.
    pub fn page<'a>(&'a self, html: &'a str) -> Page<'a> {
        Page {
            html,
            title: &self.title,
            meta_description: self.meta_description.as_deref(),
            slug: Some(&self.slug),
            keyphrase: Some(&self.focus_keyphrase),
            synonyms: &[],
            language: Language::English,
            url: Some(&self.url),
            previously_used: self.keyphrase_uses,
        }
    }

    pub fn ruleset(&self) -> &'static Ruleset {
        Ruleset::for_profile(if self.cornerstone {
            Profile::Cornerstone
        } else {
            Profile::Default
        })
    }
}

/// The head of a post, known for every post before any body is written.
struct Head {
    title: String,
    slug: String,
    keyphrase: String,
    category: usize,
}

/// `count` posts, the same ones for the same `count` and `seed`.
pub fn generate(count: usize, seed: u64) -> Vec<Post> {
    let mut rng = StdRng::seed_from_u64(seed);
    let heads = heads(count, &mut rng);
    let mut by_category: Vec<Vec<usize>> = vec![Vec::new(); CATEGORIES.len()];
    for (i, head) in heads.iter().enumerate() {
        by_category[head.category].push(i);
    }
    let mut uses = std::collections::HashMap::<&str, usize>::new();
    for head in &heads {
        *uses.entry(head.keyphrase.as_str()).or_default() += 1;
    }
    (0..count)
        .map(|i| {
            let head = &heads[i];
            let mut writer = Writer {
                rng: &mut rng,
                heads: &heads,
                related: &by_category[head.category],
                own: i,
                words: 0,
                images: 0,
            };
            let html = writer.body();
            let meta_description = writer.rng.random_bool(0.7).then(|| {
                format!(
                    "{} for people who run real sites: what to {}, what to {} and what to leave alone.",
                    capitalised(&head.keyphrase),
                    writer.pick(VERBS),
                    writer.pick(VERBS),
                )
            });
            let mut tags: Vec<String> = (0..writer.rng.random_range(2..=5))
                .map(|_| writer.pick(TAGS).to_owned())
                .collect();
            tags.sort();
            tags.dedup();
            Post {
                id: i as i64 + 1,
                url: format!("{HOST}/{}/", head.slug),
                slug: head.slug.clone(),
                title: head.title.clone(),
                focus_keyphrase: head.keyphrase.clone(),
                meta_description,
                categories: vec![CATEGORIES[head.category].to_owned()],
                tags,
                cornerstone: i % 50 == 0,
                keyphrase_uses: uses[head.keyphrase.as_str()] - 1,
                html,
            }
        })
        .collect()
}

/// Writes each post's body to `dir` as `NNNNN.html`.
pub fn write_corpus(posts: &[Post], dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for post in posts {
        std::fs::write(dir.join(format!("{:05}.html", post.id)), &post.html)?;
    }
    Ok(())
}

fn heads(count: usize, rng: &mut StdRng) -> Vec<Head> {
    let mut seen = HashSet::new();
    let mut heads = Vec::with_capacity(count);
    while heads.len() < count {
        let subject = rng.random_range(0..SUBJECTS.len());
        let keyphrase = if rng.random_bool(0.3) {
            SUBJECTS[subject].to_owned()
        } else {
            format!(
                "{} {}",
                SUBJECTS[subject],
                MODIFIERS.choose(rng).expect("modifiers")
            )
        };
        let title = TITLES
            .choose(rng)
            .expect("titles")
            .replace("{K}", &title_case(&keyphrase))
            .replace("{C}", CONTEXTS.choose(rng).expect("contexts"))
            .trim()
            .to_owned();
        let slug = slug(&title);
        if !seen.insert(slug.clone()) {
            continue;
        }
        heads.push(Head {
            title,
            slug,
            keyphrase,
            category: subject / SUBJECTS_PER_CATEGORY,
        });
    }
    heads
}

/// Writes one post's body.
struct Writer<'a> {
    rng: &'a mut StdRng,
    heads: &'a [Head],
    /// Posts of the same category, by index.
    related: &'a [usize],
    own: usize,
    /// Words of prose written so far.
    words: usize,
    images: usize,
}

impl Writer<'_> {
    fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
        from.choose(self.rng)
            .copied()
            .expect("word lists are not empty")
    }

    fn body(&mut self) -> String {
        let target_words = self.rng.random_range(850..1_150);
        let mut html = String::with_capacity(12_000);
        for _ in 0..2 {
            self.paragraph(&mut html);
        }
        let mut section = 0;
        while self.words < target_words {
            section += 1;
            let heading = self.heading();
            block(
                &mut html,
                "heading",
                "",
                &format!("<h2 class=\"wp-block-heading\">{heading}</h2>"),
            );
            for _ in 0..self.rng.random_range(2..=3) {
                self.paragraph(&mut html);
            }
            if self.rng.random_bool(0.4) {
                self.list(&mut html);
            }
            if self.rng.random_bool(0.3) {
                let heading = self.heading();
                block(
                    &mut html,
                    "heading",
                    " {\"level\":3}",
                    &format!("<h3 class=\"wp-block-heading\">{heading}</h3>"),
                );
                self.paragraph(&mut html);
            }
            match self.rng.random_range(0..20) {
                0..=5 => self.image(&mut html),
                6..=8 => self.code(&mut html),
                9 if section > 1 => self.table(&mut html),
                10 => self.caption(&mut html),
                11 => self.quote(&mut html),
                _ => {}
            }
        }
        block(
            &mut html,
            "heading",
            "",
            "<h2 class=\"wp-block-heading\">Wrapping up</h2>",
        );
        self.paragraph(&mut html);
        html
    }

    fn heading(&mut self) -> String {
        match self.rng.random_range(0..4) {
            0 => format!("Where {} goes wrong", self.heads[self.own].keyphrase),
            1 => format!("How we {} the {}", self.pick(VERBS), self.pick(NOUNS)),
            2 => format!("A note on {}", self.subject()),
            _ => format!("What to {} first", self.pick(VERBS)),
        }
    }

    /// A subject of the post's own category most of the time.
    fn subject(&mut self) -> &'static str {
        if self.rng.random_bool(0.7) {
            let category = self.heads[self.own].category;
            let i =
                category * SUBJECTS_PER_CATEGORY + self.rng.random_range(0..SUBJECTS_PER_CATEGORY);
            SUBJECTS[i]
        } else {
            self.pick(SUBJECTS)
        }
    }

    /// Another post of the same category, or of any category now and then.
    fn related(&mut self) -> usize {
        loop {
            let other = if self.rng.random_bool(0.8) {
                *self.related.choose(self.rng).expect("own category")
            } else {
                self.rng.random_range(0..self.heads.len())
            };
            if other != self.own || self.heads.len() == 1 {
                return other;
            }
        }
    }

    fn sentence(&mut self) -> String {
        let opener = self.pick(OPENERS);
        let clause = self.pick(CLAUSES);
        let tail = self.pick(TAILS);
        let mut text = String::with_capacity(160);
        text.push_str(opener);
        let mut rest = clause;
        while let Some(at) = rest.find('{') {
            text.push_str(&rest[..at]);
            let slot = &rest[at + 1..at + 2];
            rest = &rest[at + 3..];
            match slot {
                "K" => text.push_str(&self.heads[self.own].keyphrase),
                "S" => text.push_str(self.subject()),
                "R" => {
                    let other = self.related();
                    let head = &self.heads[other];
                    if self.rng.random_bool(0.25) {
                        let _ =
                            write!(text, "<a href=\"{HOST}/{}/\">{}</a>", head.slug, head.title);
                    } else {
                        text.push_str(&head.title);
                    }
                }
                "v" => text.push_str(self.pick(VERBS)),
                "n" => {
                    let noun = self.pick(NOUNS);
                    match self.rng.random_range(0..25) {
                        0 => {
                            let _ = write!(text, "<strong>{noun}</strong>");
                        }
                        1 => {
                            let _ = write!(text, "<em>{noun}</em>");
                        }
                        _ => text.push_str(noun),
                    }
                }
                "a" => text.push_str(self.pick(ADJECTIVES)),
                _ => text.push_str(self.pick(PARTICIPLES)),
            }
        }
        text.push_str(rest);
        text.push_str(tail);
        text.push('.');
        self.words += text
            .split_whitespace()
            .filter(|w| !w.starts_with("href="))
            .count();
        capitalised(&text)
    }

    fn prose(&mut self, sentences: usize) -> String {
        let mut text = String::new();
        for i in 0..sentences {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(&self.sentence());
        }
        if self.rng.random_bool(0.08) {
            let (href, anchor) = *EXTERNAL.choose(self.rng).expect("external links");
            let blank = if self.rng.random_bool(0.5) {
                " target=\"_blank\""
            } else {
                ""
            };
            let _ = write!(
                text,
                " See <a href=\"{href}\"{blank}>{anchor}</a> for the details."
            );
            self.words += 5;
        }
        text
    }

    fn paragraph(&mut self, html: &mut String) {
        let sentences = self.rng.random_range(2..=5);
        let text = self.prose(sentences);
        block(html, "paragraph", "", &format!("<p>{text}</p>"));
    }

    fn list(&mut self, html: &mut String) {
        let ordered = self.rng.random_bool(0.3);
        let (tag, attributes) = if ordered {
            ("ol", " {\"ordered\":true}")
        } else {
            ("ul", "")
        };
        let mut inner = format!("<{tag} class=\"wp-block-list\">");
        for _ in 0..self.rng.random_range(3..=6) {
            let item = format!(
                "{} the {} {}",
                capitalised(self.pick(VERBS)),
                self.pick(NOUNS),
                self.pick(TAILS).trim_start_matches(", ")
            );
            self.words += item.split_whitespace().count();
            let _ = write!(
                inner,
                "<!-- wp:list-item -->\n<li>{}</li>\n<!-- /wp:list-item -->",
                item.trim_end()
            );
        }
        let _ = write!(inner, "</{tag}>");
        block(html, "list", attributes, &inner);
    }

    fn image(&mut self, html: &mut String) {
        self.images += 1;
        let id = 1_000 + self.own * 10 + self.images;
        let slug = &self.heads[self.own].slug;
        let alt = match self.rng.random_range(0..5) {
            0 => String::new(),
            1 => " alt=\"\"".to_owned(),
            _ => format!(
                " alt=\"A {} {} on the {}\"",
                self.pick(ADJECTIVES),
                self.pick(NOUNS),
                self.pick(NOUNS)
            ),
        };
        let src = format!(
            "{HOST}/wp-content/uploads/2024/05/{slug}-{}.jpg",
            self.images
        );
        let caption = if self.rng.random_bool(0.5) {
            format!(
                "<figcaption class=\"wp-element-caption\">The {} after we {} {}</figcaption>",
                self.pick(NOUNS),
                self.pick(PARTICIPLES),
                self.heads[self.own].keyphrase
            )
        } else {
            String::new()
        };
        block(
            html,
            "image",
            &format!(" {{\"id\":{id},\"sizeSlug\":\"large\"}}"),
            &format!(
                "<figure class=\"wp-block-image size-large\"><img src=\"{src}\"{alt} class=\"wp-image-{id}\"/>{caption}</figure>"
            ),
        );
    }

    fn caption(&mut self, html: &mut String) {
        self.images += 1;
        let (image, subject, place) = (self.images, self.pick(NOUNS), self.pick(NOUNS));
        let slug = &self.heads[self.own].slug;
        let _ = write!(
            html,
            "<!-- wp:shortcode -->\n[caption id=\"attachment_{image}\" align=\"aligncenter\" width=\"640\"]<img src=\"{HOST}/wp-content/uploads/2023/11/{slug}-{image}.png\" alt=\"\" width=\"640\" height=\"360\" /> The {subject} on an old {place}[/caption]\n<!-- /wp:shortcode -->\n\n",
        );
    }

    fn code(&mut self, html: &mut String) {
        let code = self
            .pick(CODE)
            .replace("{K}", &self.heads[self.own].keyphrase);
        block(
            html,
            "code",
            "",
            &format!("<pre class=\"wp-block-code\"><code>{code}</code></pre>"),
        );
    }

    fn table(&mut self, html: &mut String) {
        let mut inner = String::from(
            "<figure class=\"wp-block-table\"><table><thead><tr><th>Setting</th><th>Before</th><th>After</th></tr></thead><tbody>",
        );
        for _ in 0..self.rng.random_range(3..=5) {
            let _ = write!(
                inner,
                "<tr><td>{}</td><td>{}&nbsp;ms</td><td>{}&nbsp;ms</td></tr>",
                self.subject(),
                self.rng.random_range(200..2_000),
                self.rng.random_range(20..400)
            );
        }
        let _ = write!(
            inner,
            "</tbody></table><figcaption class=\"wp-element-caption\">Timings for {}</figcaption></figure>",
            self.heads[self.own].keyphrase
        );
        block(html, "table", "", &inner);
    }

    fn quote(&mut self, html: &mut String) {
        let text = self.prose(2);
        let inner = format!(
            "<blockquote class=\"wp-block-quote\"><!-- wp:paragraph -->\n<p>{text}</p>\n<!-- /wp:paragraph --></blockquote>"
        );
        block(html, "quote", "", &inner);
    }
}

/// Appends a block as the block editor saves it: `<!-- wp:NAME ATTRS -->`, the markup, the
/// closing comment and a blank line.
fn block(html: &mut String, name: &str, attributes: &str, inner: &str) {
    let _ = write!(
        html,
        "<!-- wp:{name}{attributes} -->\n{inner}\n<!-- /wp:{name} -->\n\n"
    );
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn title_case(phrase: &str) -> String {
    phrase
        .split(' ')
        .map(capitalised)
        .collect::<Vec<_>>()
        .join(" ")
}

fn slug(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && c != '\'' {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_owned()
}
