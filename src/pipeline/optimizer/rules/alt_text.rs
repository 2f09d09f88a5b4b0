//! Alt text for images that have no `alt` attribute at all.
//!
//! `alt=""` is the author saying an image is decorative (WCAG, and WordPress writes it so), and
//! images with `role="presentation"`, `role="none"` or `aria-hidden="true"` are hidden from
//! assistive technology: none of these get text.
//!
//! The text comes from the image's context first: the caption of its figure, which describes it,
//! else the nearest heading before it, which names what the section is about. A neighbouring
//! sentence is not used: it usually says something else, and a screen reader would read it
//! twice. Without context the file name is used once it reads as words (extension, size suffix
//! such as `-1024x768` and `-scaled` dropped, dashes and underscores turned into spaces); a name
//! that is only digits and camera prefixes (`IMG_2041`) gives nothing.
//!
//! When the page has a keyphrase and no image alt holds it yet, the first candidate that
//! contains the keyphrase is preferred, since that raises the keyphrase-in-image assessment;
//! the keyphrase is never added to text that does not have it, because alt text must describe
//! the image in the author's own words. Text is cut to 125 characters at a word boundary, the
//! length screen readers read without breaking.

use super::Context;
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
    let images: Vec<&Element> = context
        .elements
        .iter()
        .filter(|e| e.name == "img")
        .collect();
    let prefer_keyphrase = context.keyphrase.filter(|keyphrase| {
        !images.iter().any(|image| {
            image
                .attribute("alt")
                .is_some_and(|alt| context.contains_keyphrase(alt, keyphrase))
        })
    });
    images
        .into_iter()
        .filter(|image| image.editable && needs_alt(image))
        .filter_map(|image| {
            let candidates = candidates(image);
            let chosen = prefer_keyphrase
                .and_then(|keyphrase| {
                    candidates
                        .iter()
                        .find(|c| context.contains_keyphrase(c, keyphrase))
                })
                .or(candidates.first())?;
            Some(Patch::SetAttribute {
                offset: image.start.start,
                element: image.name.clone(),
                name: "alt".to_owned(),
                value: chosen.clone(),
            })
        })
        .collect()
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
