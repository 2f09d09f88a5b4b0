//! Alt text for images that have no `alt` attribute at all.
//!
//! `alt=""` is the author saying an image is decorative (WCAG, and WordPress writes it so), and
//! images with `role="presentation"`, `role="none"` or `aria-hidden="true"` are hidden from
//! assistive technology: none of these get text.
//!
//! The text comes from the image's context first: the caption of its figure, which describes it,
//! else the nearest heading before it, which names what the section is about. A neighbouring
//! sentence is not used: it usually goes on about the topic rather than say what the image shows.
//! Without context the file name is used once it reads as words (extension, size suffix
//! such as `-1024x768` and `-scaled` dropped, dashes and underscores turned into spaces); a name
//! that is only digits and camera prefixes (`IMG_2041`) gives nothing.
//!
//! When the page has a keyphrase, candidates are weighed against Yoast's keyphrase-in-image
//! assessment, image by image: while it is not good and one more alt with the keyphrase would make
//! it good, the first candidate the analyzer finds the keyphrase in is preferred; once it is good
//! and one more would push the share past 75% of many images, a candidate without it is. The
//! keyphrase is never added to text that does not have it, because alt text must describe the
//! image in the author's own words. Text is cut to 125 characters at a word boundary, the
//! limit accessibility guidance keeps to because some screen readers cut longer alt text.
//!
//! Images in Gutenberg image blocks get alt text too: the block reads `alt` back from the markup,
//! so the block stays valid.

use super::{Context, Prediction};
use crate::pipeline::analyzer::SeoAssessmentId;
use crate::pipeline::optimizer::markup::{Element, normalize};
use crate::pipeline::optimizer::patch::Patch;

const MAX_CHARS: usize = 125;

/// Words a camera or a screenshot tool puts in file names, which say nothing about the image.
const GENERATED_WORDS: &[&str] = &[
    "img",
    "image",
    "dsc",
    "dscn",
    "dscf",
    "pxl",
    "photo",
    "pic",
    "screenshot",
    "edited",
    "copy",
    "final",
    "untitled",
];

pub(crate) fn patches(context: &Context<'_>) -> Vec<Patch> {
    let mut score = ImageScore::before(context);
    context
        .elements
        .iter()
        .filter(|e| e.name == "img" && e.editable && needs_alt(e))
        .filter_map(|image| {
            let candidates = candidates(image);
            let applies = score.is_some();
            let reflecting = |c: &&String| applies && context.alt_reflects_keyphrase(c);
            let preferred = match &score {
                Some(s) if !s.is_good(s.matching) && s.is_good(s.matching + 1) => {
                    candidates.iter().find(reflecting)
                }
                Some(s) if s.is_good(s.matching) && !s.is_good(s.matching + 1) => {
                    candidates.iter().find(|c| !reflecting(c))
                }
                _ => None,
            };
            let chosen = preferred.or(candidates.first())?;
            if let Some(s) = &mut score
                && reflecting(&chosen)
            {
                s.matching += 1;
            }
            Some(Patch::SetAttribute {
                offset: image.start.start,
                element: image.name.to_owned(),
                name: "alt".to_owned(),
                value: chosen.clone(),
            })
        })
        .collect()
}

/// What Yoast's keyphrase-in-image assessment counts: images, and those whose alt holds the
/// keyphrase. `None` when it does not apply (no keyphrase, no images).
struct ImageScore {
    images: usize,
    matching: usize,
}

impl ImageScore {
    fn before(context: &Context<'_>) -> Option<ImageScore> {
        context.keyphrase()?;
        let assessment = context
            .before
            .seo
            .assessment(SeoAssessmentId::ImageKeyphrase)
            .filter(|a| a.missing.is_none())?;
        let images = context
            .before
            .seo
            .assessment(SeoAssessmentId::Images)
            .and_then(|a| a.measured)
            .unwrap_or_default() as usize;
        Some(ImageScore {
            images,
            matching: assessment.evidence.len(),
        })
    }

    /// Yoast's score with `matching` images holding the keyphrase: with none the profile's score
    /// for alts without it; with fewer than five images any match is good; with more the share
    /// of matches must lie within 30% to 75%.
    fn score(&self, matching: usize, without_keyphrase: i16) -> i16 {
        let share = matching as f64 / self.images as f64 * 100.0;
        if matching == 0 {
            without_keyphrase
        } else if self.images < 5 || (30.0..=75.0).contains(&share) {
            9
        } else {
            6
        }
    }

    fn is_good(&self, matching: usize) -> bool {
        self.score(matching, 0) == 9
    }
}

/// Yoast's keyphrase-in-image score once the new alts are there: the images whose alt holds the
/// keyphrase are those that did before and the new alts that do. Without a keyphrase or images
/// it does not change.
pub(crate) fn predict(context: &Context<'_>, patches: &[Patch]) -> Vec<Prediction> {
    let id = SeoAssessmentId::ImageKeyphrase;
    let (Some(score), Some(before)) = (
        ImageScore::before(context),
        context.before.seo.assessment(id),
    ) else {
        return Vec::new();
    };
    let new_matches = patches
        .iter()
        .filter(|patch| {
            matches!(patch, Patch::SetAttribute { value, .. } if context.alt_reflects_keyphrase(value))
        })
        .count();
    let after = score.score(
        score.matching + new_matches,
        context.ruleset.seo.image_alt_without_keyphrase_score,
    );
    vec![Prediction {
        assessment: id,
        before: before.score,
        after,
    }]
}

fn needs_alt(image: &Element) -> bool {
    let role = image.attribute("role").map(str::trim);
    image.attribute("alt").is_none()
        && !role.is_some_and(|r| {
            r.eq_ignore_ascii_case("presentation") || r.eq_ignore_ascii_case("none")
        })
        && !image
            .attribute("aria-hidden")
            .is_some_and(|h| h.trim().eq_ignore_ascii_case("true"))
}

/// Texts that could describe `image`, best first.
fn candidates(image: &Element) -> Vec<String> {
    let file = image.attribute("src").and_then(from_file_name);
    [image.caption.clone(), image.previous_heading.clone(), file]
        .into_iter()
        .flatten()
        .map(|text| shorten(&text))
        .filter(|text| !text.is_empty())
        .collect()
}

/// Words of the file name of `src`, or `None` when it has none worth reading.
fn from_file_name(src: &str) -> Option<String> {
    let path = src.split(['?', '#']).next().unwrap_or_default();
    let file = path.rsplit('/').next().unwrap_or_default();
    let stem = match file.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => file,
    };
    let words: Vec<&str> = stem
        .split(['-', '_', '+', ' ', '.'])
        .filter(|word| !word.is_empty())
        .filter(|word| !is_wordpress_suffix(word))
        .collect();
    let meaningful = words.iter().any(|word| {
        word.chars().filter(|c| c.is_alphabetic()).count() >= 3
            && !GENERATED_WORDS.contains(&word.to_lowercase().as_str())
    });
    meaningful.then(|| {
        let text = words.join(" ");
        let decoded = percent_decode(&text);
        normalize(&decoded)
    })
}

/// What WordPress appends to the names of copies it makes: the size of a resized copy
/// (`1024x768`), `scaled` and `rotated`, and `e` with a timestamp for an edited one.
fn is_wordpress_suffix(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    lower
        .split_once('x')
        .is_some_and(|(w, h)| digits(w) && digits(h))
        || lower
            .strip_prefix('e')
            .is_some_and(|t| t.len() >= 10 && digits(t))
        || lower == "scaled"
        || lower == "rotated"
}

/// File names in URLs are often percent-encoded (`caf%C3%A9`); a name that does not decode to
/// UTF-8 stays as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .filter(|_| bytes[i] == b'%')
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// `text` cut at the last word boundary that keeps it within the limit.
fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_CHARS {
        return text.to_owned();
    }
    let mut out = String::new();
    for word in text.split(' ') {
        let length = out.chars().count() + usize::from(!out.is_empty()) + word.chars().count();
        if length > MAX_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}
