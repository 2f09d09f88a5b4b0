//! The length of generated HTML in words, counted as the analyzer counts them (visible text,
//! Yoast's word rules), so the charge matches what the pipeline reports.

use crate::pipeline::analyzer::text::blocks;
use crate::pipeline::analyzer::words::words;

/// Words of the HTML's text; HTML the analyzer cannot read counts its whitespace-separated
/// tokens instead.
pub fn of_html(html: &str) -> u32 {
    let count = match blocks(html) {
        Ok(blocks) => blocks.iter().map(|b| words(&b.text).count()).sum(),
        Err(_) => html.split_whitespace().count(),
    };
    u32::try_from(count).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::of_html;

    #[test]
    fn tags_are_not_words() {
        assert_eq!(
            of_html("<h2>Brewing tea</h2><p>Boil the <b>water</b> first.</p>"),
            6
        );
    }
}
