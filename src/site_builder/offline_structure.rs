//! Structures without a language model: a fixed set of pages per business type, filled from
//! the brief (name, brief, audience, industry, objectives) and styled from its style. The
//! same brief always gives the same structure.

use crate::domain::site_builder::block::{Block, Feature, Href, Link, Stat, Testimonial};
use crate::domain::site_builder::brief::SiteBrief;
use crate::domain::site_builder::kinds::{BusinessType, Layout, PageType};
use crate::domain::site_builder::slug::PageSlug;
use crate::domain::site_builder::structure::{Structure, StructurePage, Theme};

/// A page of a template: slug, title and type.
type PagePlan = (&'static str, &'static str, PageType);

fn plan(business: BusinessType) -> &'static [PagePlan] {
    use PageType::*;
    match business {
        BusinessType::Saas => &[
            ("home", "Home", Home),
            ("features", "Features", Services),
            ("pricing", "Pricing", Custom),
            ("about", "About", About),
            ("blog", "Blog", Blog),
            ("contact", "Contact", Contact),
        ],
        BusinessType::Agency => &[
            ("home", "Home", Home),
            ("services", "Services", Services),
            ("work", "Our work", Custom),
            ("about", "About us", About),
            ("contact", "Contact", Contact),
        ],
        BusinessType::Ecommerce => &[
            ("home", "Home", Home),
            ("products", "Products", Products),
            ("about", "About", About),
            ("contact", "Contact", Contact),
        ],
        BusinessType::Restaurant => &[
            ("home", "Home", Home),
            ("menu", "Menu", Products),
            ("about", "Our story", About),
            ("contact", "Visit us", Contact),
        ],
        BusinessType::LocalService => &[
            ("home", "Home", Home),
            ("services", "Services", Services),
            ("about", "About", About),
            ("contact", "Contact", Contact),
        ],
        BusinessType::Portfolio => &[
            ("home", "Home", Home),
            ("work", "Work", Custom),
            ("about", "About", About),
            ("contact", "Contact", Contact),
        ],
        BusinessType::Nonprofit => &[
            ("home", "Home", Home),
            ("programs", "Programs", Services),
            ("about", "About", About),
            ("get-involved", "Get involved", Custom),
            ("contact", "Contact", Contact),
        ],
        BusinessType::General => &[
            ("home", "Home", Home),
            ("about", "About", About),
            ("services", "Services", Services),
            ("contact", "Contact", Contact),
        ],
    }
}

/// What the business offers when the brief names no objectives.
fn default_features(business: BusinessType) -> [(&'static str, &'static str); 3] {
    match business {
        BusinessType::Saas => [
            ("Quick to start", "Set up in minutes, without a sales call."),
            (
                "Works with your tools",
                "Connects to the services your team already uses.",
            ),
            ("Secure by default", "Your data is encrypted and backed up."),
        ],
        BusinessType::Ecommerce => [
            ("Carefully chosen", "Every product is selected and tested."),
            (
                "Fast delivery",
                "Orders ship quickly and are easy to track.",
            ),
            ("Easy returns", "Not right? Send it back without hassle."),
        ],
        BusinessType::Restaurant => [
            ("Seasonal menu", "Dishes that follow what is fresh."),
            ("Local produce", "Ingredients from growers nearby."),
            ("Warm welcome", "A table for every occasion."),
        ],
        _ => [
            ("Experience", "Years of work for clients like you."),
            ("Attention", "Every project gets our full care."),
            ("Results", "Work measured by what it achieves."),
        ],
    }
}

fn stats(business: BusinessType) -> [(&'static str, &'static str); 3] {
    match business {
        BusinessType::Saas => [
            ("5 min", "to get started"),
            ("24/7", "support"),
            ("99.9%", "uptime target"),
        ],
        BusinessType::Restaurant => [
            ("7", "days a week"),
            ("100%", "fresh ingredients"),
            ("1", "warm welcome"),
        ],
        BusinessType::Nonprofit => [
            ("100%", "mission-driven"),
            ("365", "days of work a year"),
            ("1", "community"),
        ],
        _ => [
            ("1", "team, dedicated to you"),
            ("24 h", "to answer your message"),
            ("100%", "commitment"),
        ],
    }
}

/// At most `max` characters of `text`, cut at a word.
fn excerpt(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end())
}

fn link(label: &str, href: &str) -> Link {
    Link {
        label: label.to_owned(),
        href: Href::parse(href).expect("template links are valid"),
    }
}

/// The structure for a site called `name` described by `brief`.
pub fn offline_structure(name: &str, brief: &SiteBrief) -> Structure {
    let business = brief.business_type;
    let pages = plan(business);
    let contact = pages
        .iter()
        .find(|(_, _, kind)| *kind == PageType::Contact)
        .map_or("/contact".to_owned(), |(slug, _, _)| format!("/{slug}"));
    let name = excerpt(name, 120);
    let audience = brief.audience.as_deref().map(|a| excerpt(a, 300));
    let industry = brief.industry.as_deref().map(|i| excerpt(i, 120));
    let summary = brief
        .brief
        .as_deref()
        .map(|b| excerpt(b, 480))
        .unwrap_or_else(|| match (&industry, &audience) {
            (Some(industry), Some(audience)) => format!("{industry} for {audience}."),
            (Some(industry), None) => format!("{industry}, done well."),
            (None, Some(audience)) => format!("Made for {audience}."),
            (None, None) => format!("Welcome to {name}."),
        });
    let features: Vec<Feature> = if brief.objectives.is_empty() {
        default_features(business)
            .iter()
            .map(|(title, text)| Feature {
                title: (*title).to_owned(),
                text: (*text).to_owned(),
            })
            .collect()
    } else {
        brief
            .objectives
            .iter()
            .map(|objective| Feature {
                title: excerpt(objective, 80),
                text: match &audience {
                    Some(audience) => format!("What {name} does for {}.", excerpt(audience, 200)),
                    None => format!("One of the things {name} is here for."),
                },
            })
            .collect()
    };
    let cta = Block::Cta {
        heading: format!("Ready to work with {name}?"),
        text: Some("Tell us what you need and we will get back to you.".to_owned()),
        button: link("Get in touch", &contact),
    };
    let about_body = {
        let mut body = format!("{name}: {summary}");
        if let Some(audience) = &audience {
            body.push_str(&format!("\n\nWe work for {audience}."));
        }
        if let Some(industry) = &industry {
            body.push_str(&format!("\n\nOur field is {industry}."));
        }
        body
    };
    let structure_pages = pages
        .iter()
        .map(|(slug, title, kind)| {
            let blocks = match kind {
                PageType::Home => vec![
                    Block::Hero {
                        heading: name.clone(),
                        subheading: Some(summary.clone()),
                        button: Some(link("Contact us", &contact)),
                    },
                    Block::FeatureGrid {
                        heading: Some("What we offer".to_owned()),
                        items: features.clone(),
                    },
                    Block::Stats {
                        heading: None,
                        items: stats(business)
                            .iter()
                            .map(|(value, label)| Stat {
                                value: (*value).to_owned(),
                                label: (*label).to_owned(),
                            })
                            .collect(),
                    },
                    Block::Testimonials {
                        heading: Some("What people say".to_owned()),
                        items: vec![Testimonial {
                            quote: format!(
                                "Working with {name} was a pleasure from start to finish."
                            ),
                            author: audience.as_deref().map_or("A client".to_owned(), |a| {
                                format!("One of our {}", excerpt(a, 60))
                            }),
                        }],
                    },
                    cta.clone(),
                ],
                PageType::About => vec![Block::Text {
                    heading: Some(format!("About {name}")),
                    body: about_body.clone(),
                }],
                PageType::Services | PageType::Products => vec![
                    Block::FeatureGrid {
                        heading: Some((*title).to_owned()),
                        items: features.clone(),
                    },
                    cta.clone(),
                ],
                PageType::Blog => vec![Block::Text {
                    heading: Some("News and articles".to_owned()),
                    body: format!(
                        "Articles from {name}, for {}.",
                        audience.as_deref().unwrap_or("our readers")
                    ),
                }],
                PageType::Contact => vec![Block::ContactForm {
                    heading: "Get in touch".to_owned(),
                    intro: Some(format!("Write to {name}; we answer every message.")),
                    submit_label: Some("Send".to_owned()),
                }],
                PageType::Custom => vec![
                    Block::Text {
                        heading: Some((*title).to_owned()),
                        body: summary.clone(),
                    },
                    cta.clone(),
                ],
            };
            StructurePage {
                slug: PageSlug::parse(slug).expect("template slugs are valid"),
                title: (*title).to_owned(),
                page_type: *kind,
                blocks,
            }
        })
        .collect();
    Structure {
        pages: structure_pages,
        layout: layout(brief),
        theme: theme(brief),
    }
}

fn layout(brief: &SiteBrief) -> Layout {
    let minimal_personality = brief
        .style
        .personality
        .as_deref()
        .is_some_and(|p| p.to_lowercase().contains("minimal"));
    if brief.business_type == BusinessType::Portfolio || minimal_personality {
        Layout::Minimal
    } else {
        Layout::Default
    }
}

fn theme(brief: &SiteBrief) -> Theme {
    let defaults = Theme::default();
    let palette = &brief.style.palette;
    let pick = |n: usize, fallback| palette.get(n).cloned().unwrap_or(fallback);
    Theme {
        primary: pick(0, defaults.primary),
        accent: pick(1, defaults.accent),
        background: pick(2, defaults.background),
        text: pick(3, defaults.text),
        typography: brief.style.typography,
        personality: brief.style.personality.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_business_type_gives_a_valid_structure_with_a_home_and_a_contact_page() {
        for business in BusinessType::ALL {
            let brief = SiteBrief::from_json(&json!({
                "business_type": business.as_str(),
                "brief": "x ".repeat(1999).trim(),
                "audience": "small teams",
                "objectives": ["Save time", "Grow revenue"],
                "style": {"palette": ["#102030"], "typography": "serif"},
            }))
            .unwrap();
            let structure = offline_structure(&"N".repeat(200), &brief);
            let checked = Structure::from_json(&structure.to_json()).unwrap();
            assert_eq!(checked, structure, "{business}");
            let types: Vec<PageType> = structure.pages.iter().map(|p| p.page_type).collect();
            assert!(types.contains(&PageType::Home) && types.contains(&PageType::Contact));
            assert_eq!(structure.theme.primary.as_str(), "#102030");
        }
    }

    #[test]
    fn the_same_brief_gives_the_same_structure() {
        let brief = SiteBrief::from_json(&json!({"business_type": "saas"})).unwrap();
        assert_eq!(
            offline_structure("Acme", &brief),
            offline_structure("Acme", &brief)
        );
    }
}
