//! A keyword's normalised form: case folded, whitespace collapsed. Two keywords with one
//! normalised form are one keyword of a site (the dedupe key of `keywords`).

/// The dedupe key of `keyword`; empty when it holds nothing but whitespace.
pub fn normalize(keyword: &str) -> String {
    let mut out = String::with_capacity(keyword.len());
    for word in keyword.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn case_and_spacing_variants_share_one_form() {
        assert_eq!(normalize("  Best   Running\tShoes "), "best running shoes");
        assert_eq!(normalize("ÉCOLE"), "école");
        assert_eq!(normalize(" \t "), "");
    }
}
