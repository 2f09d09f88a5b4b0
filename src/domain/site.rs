//! What a site is made of: its name, the kind of CMS behind it, where it lives, who we sign in
//! as, which post types we read, and what happens to pipeline results (the push policy). The
//! config file and the API describe sites with the same checked values.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::content::ContentSource;
use url::{Host, Url};

use crate::domain::schedule::CronSchedule;

/// A site's name: how the config file, the CLI and webhook URLs refer to it. Lowercase letters,
/// digits, `-` and `_`, starting with a letter or digit, at most 64 characters, so it is safe in
/// a URL path, a file name and a log line without quoting.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(transparent)]
// Rows hold only names that were parsed on the way in.
#[sqlx(transparent)]
#[schema(value_type = String, pattern = "^[a-z0-9][a-z0-9_-]{0,63}$")]
pub struct SiteName(String);

impl SiteName {
    pub const MAX_LEN: usize = 64;

    pub fn parse(name: &str) -> Result<SiteName, String> {
        let valid_start = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let valid_rest = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if name.is_empty() || name.len() > Self::MAX_LEN || !valid_start || !valid_rest {
            return Err(format!(
                "expected a site name of 1 to {} lowercase letters, digits, '-' or '_', \
                 starting with a letter or digit, got {name:?}",
                Self::MAX_LEN
            ));
        }
        Ok(SiteName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SiteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SiteName {
    type Err = String;

    fn from_str(name: &str) -> Result<SiteName, String> {
        SiteName::parse(name)
    }
}

impl<'de> Deserialize<'de> for SiteName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<SiteName, D::Error> {
        let text = String::deserialize(deserializer)?;
        SiteName::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Which connector talks to the site.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum ConnectorKind {
    Wordpress,
    Shopify,
    Rest,
    Files,
}

impl ConnectorKind {
    /// What content read through this connector records as its source.
    pub fn content_source(self) -> ContentSource {
        match self {
            ConnectorKind::Wordpress => ContentSource::Wordpress,
            ConnectorKind::Shopify => ContentSource::Shopify,
            ConnectorKind::Rest | ConnectorKind::Files => ContentSource::Custom,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorKind::Wordpress => "wordpress",
            ConnectorKind::Shopify => "shopify",
            ConnectorKind::Rest => "rest",
            ConnectorKind::Files => "files",
        }
    }
}

impl fmt::Display for ConnectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to a pipeline result on a synced site.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    sqlx::Type,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum PushPolicy {
    /// Results stay in igny8; nothing is written to the CMS.
    #[default]
    Off,
    /// Results wait for a person to approve the push.
    Review,
    /// Results are pushed as soon as they are ready.
    Auto,
}

impl PushPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PushPolicy::Off => "off",
            PushPolicy::Review => "review",
            PushPolicy::Auto => "auto",
        }
    }
}

impl FromStr for PushPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<PushPolicy, String> {
        match s {
            "off" => Ok(PushPolicy::Off),
            "review" => Ok(PushPolicy::Review),
            "auto" => Ok(PushPolicy::Auto),
            other => Err(format!("expected off, review or auto, got {other:?}")),
        }
    }
}

impl fmt::Display for PushPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a network site lives: an absolute http or https URL with a host, without a user,
/// password, query or fragment (the connector adds its own paths and parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteUrl(Url);

/// Why an application password may not travel to a plain-http address that is not local.
pub const CLEARTEXT_PASSWORD: &str =
    "application passwords are sent in the clear over http; use https or a local address";

impl SiteUrl {
    pub fn parse(text: &str) -> Result<SiteUrl, String> {
        let url = Url::parse(text.trim())
            .map_err(|err| format!("expected an http or https URL, found {text:?}: {err}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "expected an http or https URL, found the scheme {:?}",
                url.scheme()
            ));
        }
        if url.host().is_none() {
            return Err(format!("expected a URL with a host, found {text:?}"));
        }
        // A password in the URL would be stored and shown with it.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "the URL may not carry a user or password; set username and app_password"
                    .to_owned(),
            );
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("the URL may not have a query or a fragment".to_owned());
        }
        Ok(SiteUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &Url {
        &self.0
    }

    /// Whether the host is this machine: a loopback address, `localhost` or a `.localhost`
    /// name (which resolvers must map to loopback).
    pub fn is_local(&self) -> bool {
        match self.0.host() {
            Some(Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                name == "localhost" || name.ends_with(".localhost")
            }
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        }
    }

    /// Refuses an application password bound for this URL when it would cross a network
    /// unencrypted. WordPress itself offers application passwords only over https or on a
    /// local environment.
    pub fn allows_password(&self) -> Result<(), &'static str> {
        if self.0.scheme() == "http" && !self.is_local() {
            Err(CLEARTEXT_PASSWORD)
        } else {
            Ok(())
        }
    }
}

impl fmt::Display for SiteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// A WordPress post type key (`post`, `page`, `product`): WordPress allows at most 20
/// lowercase letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PostType(String);

impl PostType {
    pub const MAX_LEN: usize = 20;

    pub fn parse(name: &str) -> Result<PostType, String> {
        let valid = !name.is_empty()
            && name.len() <= Self::MAX_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if valid {
            Ok(PostType(name.to_owned()))
        } else {
            Err(format!(
                "expected a post type name of 1 to {} lowercase letters, digits, '-' or '_', \
                 found {name:?}",
                Self::MAX_LEN
            ))
        }
    }

    /// The types read when a site names none.
    pub fn defaults() -> Vec<PostType> {
        vec![PostType("post".to_owned()), PostType("page".to_owned())]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The WordPress user an application password belongs to (a login name or an e-mail address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SiteUsername(String);

impl SiteUsername {
    pub const MAX_LEN: usize = 100;

    pub fn parse(name: &str) -> Result<SiteUsername, String> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > Self::MAX_LEN {
            return Err(format!("expected 1 to {} characters", Self::MAX_LEN));
        }
        // Basic authentication separates user and password with the first ':'.
        if name.contains(':') || name.chars().any(char::is_control) {
            return Err("a username may not contain ':' or control characters".to_owned());
        }
        Ok(SiteUsername(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How far before the saved cursor a pull starts, in seconds: at most a day.
pub const LOOKBACK_SECONDS: std::ops::RangeInclusive<u64> = 0..=86_400;
pub const DEFAULT_LOOKBACK_SECONDS: u64 = 120;
/// How often the ID sweep runs, in hours: at least hourly, at most yearly.
pub const RECONCILE_EVERY_HOURS: std::ops::RangeInclusive<u64> = 1..=8_760;
pub const DEFAULT_RECONCILE_EVERY_HOURS: u64 = 24;

/// A site as its operator describes it, every value checked. The credential is not part of
/// it: where the password lives depends on who declared the site.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteDefinition {
    pub name: SiteName,
    /// The connector, with what it needs besides what every site has.
    pub options: ConnectorOptions,
    /// Where the CMS answers; a folder site has none.
    pub base_url: Option<SiteUrl>,
    pub schedule: Option<CronSchedule>,
    pub push_policy: PushPolicy,
    pub lookback_seconds: u64,
    pub reconcile_every_hours: u64,
    pub link_enabled: bool,
    /// Where the secret that signs the site's webhooks lives (`config:`, `file:`, `data:`).
    pub webhook_secret_ref: Option<String>,
}

impl SiteDefinition {
    pub fn connector(&self) -> ConnectorKind {
        self.options.kind()
    }
}

/// What a site of each connector needs besides what every site has. Built only from checked
/// values, so a site cannot name one connector and carry another's options.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectorOptions {
    Wordpress {
        /// Whom the application password belongs to; none reads only public content.
        username: Option<SiteUsername>,
        post_types: Vec<PostType>,
    },
    Shopify {
        shop: ShopDomain,
        api_version: ShopifyApiVersion,
    },
    Rest {
        /// The definition file in `connectors/` that describes the CMS's API.
        definition: DefinitionName,
    },
    Files {
        /// The folder whose `.html` and `.md` files are the site's content.
        path: PathBuf,
        /// Where processed files are written back; none means results are not written.
        output_path: Option<PathBuf>,
    },
}

impl ConnectorOptions {
    pub fn kind(&self) -> ConnectorKind {
        match self {
            ConnectorOptions::Wordpress { .. } => ConnectorKind::Wordpress,
            ConnectorOptions::Shopify { .. } => ConnectorKind::Shopify,
            ConnectorOptions::Rest { .. } => ConnectorKind::Rest,
            ConnectorOptions::Files { .. } => ConnectorKind::Files,
        }
    }
}

/// A shop's permanent domain, `{name}.myshopify.com`: the Admin API lives there whatever
/// custom domain the storefront uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShopDomain(String);

impl ShopDomain {
    const SUFFIX: &str = ".myshopify.com";

    pub fn parse(text: &str) -> Result<ShopDomain, String> {
        let domain = text.trim().to_ascii_lowercase();
        let name = domain.strip_suffix(Self::SUFFIX).unwrap_or_default();
        let valid = !name.is_empty()
            && name.len() <= 60
            && !name.starts_with('-')
            && !name.ends_with('-')
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(format!(
                "expected the shop's permanent domain, such as \"my-shop.myshopify.com\", got \
                 {text:?}"
            ));
        }
        Ok(ShopDomain(domain))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The base URL of the shop's Admin API.
    pub fn base_url(&self) -> SiteUrl {
        SiteUrl::parse(&format!("https://{}/", self.0)).expect("a shop domain is a valid host")
    }
}

impl TryFrom<String> for ShopDomain {
    type Error = String;

    fn try_from(text: String) -> Result<ShopDomain, String> {
        ShopDomain::parse(&text)
    }
}

impl From<ShopDomain> for String {
    fn from(domain: ShopDomain) -> String {
        domain.0
    }
}

impl fmt::Display for ShopDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Shopify Admin API version: a quarterly release, `YYYY-01`, `-04`, `-07` or `-10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShopifyApiVersion {
    year: u16,
    month: u8,
}

impl ShopifyApiVersion {
    /// The version a site gets when its configuration names none.
    pub const DEFAULT: ShopifyApiVersion = ShopifyApiVersion {
        year: 2025,
        month: 10,
    };

    pub fn parse(text: &str) -> Result<ShopifyApiVersion, String> {
        let expected = || {
            format!(
                "expected a Shopify API version such as \"2025-10\" (a year and one of the \
                 months 01, 04, 07, 10), got {text:?}"
            )
        };
        let (year, month) = text.trim().split_once('-').ok_or_else(expected)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(expected());
        }
        let year: u16 = year.parse().map_err(|_| expected())?;
        let month: u8 = month.parse().map_err(|_| expected())?;
        if !(2019..=2100).contains(&year) || ![1, 4, 7, 10].contains(&month) {
            return Err(expected());
        }
        Ok(ShopifyApiVersion { year, month })
    }
}

impl fmt::Display for ShopifyApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl TryFrom<String> for ShopifyApiVersion {
    type Error = String;

    fn try_from(text: String) -> Result<ShopifyApiVersion, String> {
        ShopifyApiVersion::parse(&text)
    }
}

impl From<ShopifyApiVersion> for String {
    fn from(version: ShopifyApiVersion) -> String {
        version.to_string()
    }
}

/// The name of a declarative connector definition: `connectors/{name}.toml`. Lowercase
/// letters, digits, `-` and `_`, so it can never name a file outside that folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DefinitionName(String);

impl DefinitionName {
    pub fn parse(text: &str) -> Result<DefinitionName, String> {
        let valid = !text.is_empty()
            && text.len() <= 64
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            return Err(format!(
                "expected the name of a definition in connectors/ (lowercase letters, digits, \
                 '-' or '_'; without \".toml\"), such as \"ghost\", got {text:?}"
            ));
        }
        Ok(DefinitionName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DefinitionName {
    type Error = String;

    fn try_from(text: String) -> Result<DefinitionName, String> {
        DefinitionName::parse(&text)
    }
}

impl From<DefinitionName> for String {
    fn from(name: DefinitionName) -> String {
        name.0
    }
}

impl fmt::Display for DefinitionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fewest characters a webhook signing secret may have.
pub const WEBHOOK_SECRET_MIN_CHARS: usize = 16;

/// Checks a webhook signing secret: at least [`WEBHOOK_SECRET_MIN_CHARS`] characters, none of
/// them whitespace or control characters (stored secrets are read back without whitespace).
pub fn check_webhook_secret(secret: &str) -> Result<(), String> {
    if secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a webhook secret cannot contain whitespace or control characters".to_owned());
    }
    if secret.chars().count() < WEBHOOK_SECRET_MIN_CHARS {
        return Err(format!(
            "a webhook secret needs at least {WEBHOOK_SECRET_MIN_CHARS} characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_names_are_url_and_file_safe() {
        for good in ["blog", "my-shop_2", "9lives"] {
            assert_eq!(SiteName::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", "Blog", "-blog", "a/b", "a b", "ü", &"x".repeat(65)] {
            let err = SiteName::parse(bad).unwrap_err();
            assert!(err.contains("expected a site name"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn shop_domains_are_permanent_myshopify_domains() {
        let shop = ShopDomain::parse("My-Shop.myshopify.com").unwrap();
        assert_eq!(shop.as_str(), "my-shop.myshopify.com");
        assert_eq!(shop.base_url().as_str(), "https://my-shop.myshopify.com/");
        for bad in [
            "",
            "myshopify.com",
            ".myshopify.com",
            "shop.example.com",
            "https://shop.myshopify.com",
            "-shop.myshopify.com",
            "a.b.myshopify.com",
        ] {
            assert!(ShopDomain::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shopify_api_versions_are_quarterly_releases() {
        let version = ShopifyApiVersion::parse("2025-07").unwrap();
        assert_eq!(version.to_string(), "2025-07");
        assert!(ShopifyApiVersion::parse("2024-10").unwrap() < version);
        for bad in ["2025-02", "2025-7", "25-07", "unstable", "2025-07-01", ""] {
            let err = ShopifyApiVersion::parse(bad).unwrap_err();
            assert!(err.contains("Shopify API version"), "{bad}: {err}");
        }
    }

    #[test]
    fn definition_names_stay_inside_the_connectors_folder() {
        assert_eq!(DefinitionName::parse("ghost").unwrap().as_str(), "ghost");
        for bad in ["", "../ghost", "ghost.toml", "Ghost", "a/b", ".hidden"] {
            assert!(DefinitionName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn push_policies_parse_from_their_names() {
        for policy in [PushPolicy::Off, PushPolicy::Review, PushPolicy::Auto] {
            assert_eq!(policy.as_str().parse::<PushPolicy>(), Ok(policy));
        }
        assert!("always".parse::<PushPolicy>().is_err());
    }

    #[test]
    fn site_urls_are_http_or_https_with_a_host_and_nothing_secret() {
        let url = SiteUrl::parse("https://blog.example.com").unwrap();
        assert_eq!(url.as_str(), "https://blog.example.com/");
        assert_eq!(
            SiteUrl::parse("http://example.com/blog").unwrap().as_str(),
            "http://example.com/blog"
        );
        for bad in [
            "blog.example.com",
            "ftp://example.com",
            "https://user:pw@example.com",
            "https://example.com/?p=1",
            "https://example.com/#top",
            "file:///var/www",
        ] {
            assert!(SiteUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_travel_in_the_clear_only_to_this_machine() {
        for ok in [
            "https://example.com",
            "http://localhost:8080",
            "http://wp.localhost",
            "http://127.0.0.1",
            "http://127.8.9.10/",
            "http://[::1]:8000",
        ] {
            assert_eq!(
                SiteUrl::parse(ok).unwrap().allows_password(),
                Ok(()),
                "{ok}"
            );
        }
        for refused in [
            "http://example.com",
            "http://10.0.0.5",
            "http://localhost.example",
        ] {
            assert_eq!(
                SiteUrl::parse(refused).unwrap().allows_password(),
                Err(CLEARTEXT_PASSWORD),
                "{refused}"
            );
        }
    }

    #[test]
    fn post_types_and_usernames_follow_wordpress() {
        assert!(PostType::parse("product").is_ok());
        assert!(PostType::parse("my_type-2").is_ok());
        for bad in ["", "Post", "a b", &"x".repeat(21)] {
            assert!(PostType::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(SiteUsername::parse(" editor ").unwrap().as_str(), "editor");
        for bad in ["", "a:b", "tab\there"] {
            assert!(SiteUsername::parse(bad).is_err(), "{bad:?}");
        }
    }
}
