//! `loading="lazy"` and `decoding="async"` on every image but the first. The first image of a
//! post is most often its largest contentful paint, which lazy loading delays, so it is left as
//! it is. An image whose `loading` is set was decided on by someone and is not touched at all.
//!
//! Images inside a Gutenberg block are skipped: the block editor compares an image's markup with
//! what the block's attributes would produce and reports the block as invalid when an attribute
//! it does not know appears; WordPress adds both attributes itself when it renders such blocks.

use super::Context;
use crate::pipeline::optimizer::patch::Patch;

pub(crate) fn patches(context: &Context<'_>) -> Vec<Patch> {
    let mut patches = Vec::new();
    let images = context.elements.iter().filter(|e| e.name == "img").skip(1);
    for image in images {
        if !image.editable || image.in_block || image.attribute("loading").is_some() {
            continue;
        }
        let mut set = |name: &str, value: &str| {
            patches.push(Patch::SetAttribute {
                offset: image.start.start,
                element: image.name.to_owned(),
                name: name.to_owned(),
                value: value.to_owned(),
            });
        };
        set("loading", "lazy");
        if image.attribute("decoding").is_none() {
            set("decoding", "async");
        }
    }
    patches
}
