//! The heading outline: no H1 in the body and no skipped level.
//!
//! WordPress themes print the post title as the page's H1, so every H1 in the body is a second
//! one and becomes an H2 (keeping one of them would still leave two on the page). A heading more
//! than one level below the heading before it is raised to one level below it (H2 then H4
//! becomes H2 then H3, and an H5 under that H4 follows it to H4), so the relative shape of the
//! outline stays. The first heading is read as if it followed the title's H1.
//!
//! Headings that may not be touched (in protected markup, or in a Gutenberg block, whose level
//! lives in the block comment) keep their level and are the reference for the ones after them,
//! and a heading whose end tag is missing or misnamed is left alone, because renaming only its
//! start tag would change where it ends. The result is a fixed point: a second pass finds nothing
//! to change.

use super::Context;
use crate::pipeline::optimizer::patch::Patch;

pub(crate) fn patches(context: &Context<'_>) -> Vec<Patch> {
    let mut patches = Vec::new();
    let mut previous = 1;
    for heading in context.elements {
        let Some(level) = heading.heading_level() else {
            continue;
        };
        let end = heading
            .end
            .as_ref()
            .filter(|_| heading.editable && !heading.in_block);
        let Some(end) = end else {
            previous = level;
            continue;
        };
        let to = level.max(2).min(previous + 1);
        if to != level {
            patches.push(Patch::RenameHeading {
                offset: heading.start.start,
                end_offset: end.start,
                from: level,
                to,
            });
        }
        previous = to;
    }
    patches
}
