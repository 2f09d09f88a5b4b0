//! What each connector keeps in a site's `settings` column: the options of its definition
//! that are not columns of their own, written when a site is declared and read back by the
//! jobs that sync it.

use std::path::PathBuf;

use chrono::Duration;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::site::{
    ConnectorOptions, DEFAULT_LOOKBACK_SECONDS, DEFAULT_RECONCILE_EVERY_HOURS, DefinitionName,
    ShopDomain, ShopifyApiVersion, SiteDefinition,
};
use crate::store::sites::Site;
use crate::sync::SyncError;

/// A WordPress site's `settings` column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordPressSettings {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default = "default_post_types")]
    pub post_types: Vec<String>,
    /// Pulls start this far before the saved cursor, so items written in the cursor's second,
    /// or committed late by the CMS, are not missed.
    #[serde(default = "default_lookback")]
    pub lookback_seconds: u64,
    /// Where the secret that signs the site's webhooks lives (`config:`, `file:`, `data:`); without one
    /// the site's webhooks are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret_ref: Option<String>,
    /// How often the ID sweep runs after a scheduled pull.
    #[serde(default = "default_reconcile_hours")]
    pub reconcile_every_hours: u64,
}

fn default_post_types() -> Vec<String> {
    vec!["post".to_owned(), "page".to_owned()]
}

fn default_lookback() -> u64 {
    DEFAULT_LOOKBACK_SECONDS
}

fn default_reconcile_hours() -> u64 {
    DEFAULT_RECONCILE_EVERY_HOURS
}

impl WordPressSettings {
    pub fn lookback(&self) -> Duration {
        seconds(self.lookback_seconds)
    }

    pub fn reconcile_every(&self) -> Duration {
        hours(self.reconcile_every_hours)
    }
}

/// A Shopify site's `settings` column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopifySettings {
    pub shop: ShopDomain,
    pub api_version: ShopifyApiVersion,
    #[serde(default = "default_lookback")]
    pub lookback_seconds: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret_ref: Option<String>,
    #[serde(default = "default_reconcile_hours")]
    pub reconcile_every_hours: u64,
}

/// The `settings` column of a site read through a declarative REST definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestSettings {
    pub definition: DefinitionName,
    #[serde(default = "default_lookback")]
    pub lookback_seconds: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret_ref: Option<String>,
    #[serde(default = "default_reconcile_hours")]
    pub reconcile_every_hours: u64,
}

/// A folder site's `settings` column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesSettings {
    pub path: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_path: Option<PathBuf>,
    #[serde(default = "default_reconcile_hours")]
    pub reconcile_every_hours: u64,
}

/// The settings column of a site defined in the config file or through the API.
pub fn settings_json(site: &SiteDefinition) -> Value {
    let lookback_seconds = site.lookback_seconds;
    let reconcile_every_hours = site.reconcile_every_hours;
    let webhook_secret_ref = site.webhook_secret_ref.clone();
    let settings = match &site.options {
        ConnectorOptions::Wordpress {
            username,
            post_types,
        } => serde_json::to_value(WordPressSettings {
            username: username.as_ref().map(|name| name.as_str().to_owned()),
            post_types: post_types
                .iter()
                .map(|post_type| post_type.as_str().to_owned())
                .collect(),
            lookback_seconds,
            webhook_secret_ref,
            reconcile_every_hours,
        }),
        ConnectorOptions::Shopify { shop, api_version } => serde_json::to_value(ShopifySettings {
            shop: shop.clone(),
            api_version: *api_version,
            lookback_seconds,
            webhook_secret_ref,
            reconcile_every_hours,
        }),
        ConnectorOptions::Rest { definition } => serde_json::to_value(RestSettings {
            definition: definition.clone(),
            lookback_seconds,
            webhook_secret_ref,
            reconcile_every_hours,
        }),
        ConnectorOptions::Files { path, output_path } => serde_json::to_value(FilesSettings {
            path: path.clone(),
            output_path: output_path.clone(),
            reconcile_every_hours,
        }),
    };
    settings.expect("plain settings serialize")
}

/// A site's settings column as its connector's settings.
pub fn parse<T: DeserializeOwned>(site: &Site) -> Result<T, SyncError> {
    serde_json::from_value(site.settings.clone())
        .map_err(|err| SyncError::Site(format!("site {}: settings: {err}", site.name)))
}

/// How any site's pulls and sweeps are paced, whatever its connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncTimings {
    /// Pulls start this far before the saved cursor.
    pub lookback: Duration,
    /// How often the ID sweep runs after a scheduled pull.
    pub reconcile_every: Duration,
}

impl SyncTimings {
    /// The timings a site's settings column holds (the defaults where it holds none).
    pub fn of(site: &Site) -> Result<SyncTimings, SyncError> {
        #[derive(Deserialize)]
        struct Timings {
            #[serde(default = "default_lookback")]
            lookback_seconds: u64,
            #[serde(default = "default_reconcile_hours")]
            reconcile_every_hours: u64,
        }
        let timings: Timings = parse(site)?;
        Ok(SyncTimings {
            lookback: seconds(timings.lookback_seconds),
            reconcile_every: hours(timings.reconcile_every_hours),
        })
    }
}

/// Where the secret that signs a site's webhooks lives, whatever its connector.
pub fn webhook_secret_ref(site: &Site) -> Option<&str> {
    site.settings.get("webhook_secret_ref")?.as_str()
}

fn seconds(count: u64) -> Duration {
    Duration::seconds(i64::try_from(count).unwrap_or(i64::MAX / 1000))
}

fn hours(count: u64) -> Duration {
    Duration::hours(i64::try_from(count).unwrap_or(i64::MAX / 3_600_000))
}
