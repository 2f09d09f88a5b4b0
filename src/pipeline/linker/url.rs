//! Canonical URLs, so that two spellings of one page compare equal: scheme and host case, default
//! ports, a trailing slash and the fragment do not make a link go somewhere else.

use url::Url;

/// The canonical form of `href` as read on the page at `base`, or `None` when it is not an
/// http(s) URL (mailto:, javascript:, garbage).
pub(crate) fn canonical(base: Option<&Url>, href: &str) -> Option<String> {
    let href = href.trim();
    let mut url = match base {
        Some(base) => base.join(href).ok()?,
        None => Url::parse(href).ok()?,
    };
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    if url.path().len() > 1 && url.path().ends_with('/') {
        let trimmed = url.path().trim_end_matches('/').to_owned();
        url.set_path(if trimmed.is_empty() { "/" } else { &trimmed });
    }
    Some(url.into())
}

#[cfg(test)]
mod tests {
    use super::canonical;
    use url::Url;

    #[test]
    fn spellings_of_one_page_are_equal() {
        let one = canonical(None, "https://example.com/guide/rust").unwrap();
        for other in [
            "HTTPS://Example.COM/guide/rust/",
            "https://example.com:443/guide/rust#intro",
            "https://example.com/guide/rust//",
        ] {
            assert_eq!(canonical(None, other).unwrap(), one, "{other}");
        }
        assert_ne!(
            canonical(None, "http://example.com/guide/rust").unwrap(),
            one
        );
        assert_ne!(
            canonical(None, "https://example.com/guide/Rust").unwrap(),
            one
        );
    }

    #[test]
    fn relative_links_resolve_against_the_page() {
        let base = Url::parse("https://example.com/blog/post/").unwrap();
        assert_eq!(
            canonical(Some(&base), "../other/").unwrap(),
            "https://example.com/blog/other"
        );
        assert_eq!(canonical(Some(&base), "mailto:a@example.com"), None);
    }
}
