//! From a site row to a working connector: the connector-specific settings parsed, and the
//! credential looked up from where `credentials_ref` says it lives (never the database).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;
use url::Url;

use crate::connector::error::ConnectorError;
use crate::connector::folder::{Folder, FolderPosition};
use crate::connector::http::HttpClient;
use crate::connector::http::LimitKey;
use crate::connector::remote::{
    BatchWrite, Connector, Deletion, Patch, RemoteItem, RemoteStub, Stream, Window, WriteOutcome,
};
use crate::connector::rest::definition::Definition;
use crate::connector::rest::definitions::Definitions;
use crate::connector::rest::{Rest, RestSite};
use crate::connector::shopify::bulk::BulkSettings;
use crate::connector::shopify::{Shopify, ShopifySite};
use crate::connector::wordpress::api::{AppPassword, Credentials, WpApi};
use crate::connector::wordpress::check::{Diagnosis, diagnose};
use crate::connector::wordpress::{WordPress, WordPressSite};
use crate::domain::site::ConnectorKind;
use crate::store::sites::Site;
use crate::sync::SyncError;
use crate::sync::site_settings::{
    self, FilesSettings, RestSettings, ShopifySettings, SyncTimings, WordPressSettings,
};

/// Where site credentials are found: passwords the config file holds directly, by the
/// reference sites use for them (`config:<site name>`), and files, either anywhere
/// (`file:<absolute path>`, e.g. a systemd credential) or under the data directory
/// (`data:<relative path>`, passwords given through the API).
#[derive(Debug, Clone)]
pub struct Secrets {
    data_dir: PathBuf,
    inline: HashMap<String, AppPassword>,
}

impl Secrets {
    pub fn new(data_dir: PathBuf) -> Secrets {
        Secrets {
            data_dir,
            inline: HashMap::new(),
        }
    }

    /// The data directory `data:` references are resolved under.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn insert(&mut self, reference: String, password: AppPassword) {
        self.inline.insert(reference, password);
    }

    /// The secret behind a reference.
    pub fn resolve(&self, reference: &str) -> Result<AppPassword, SyncError> {
        if let Some(path) = reference.strip_prefix("file:") {
            return read_password(Path::new(path));
        }
        if let Some(relative) = reference.strip_prefix("data:") {
            let relative = Path::new(relative);
            // Written by us, but a row is no place to trust a path that could leave the
            // directory.
            let inside = relative
                .components()
                .all(|part| matches!(part, Component::Normal(_)));
            if !inside {
                return Err(SyncError::Site(format!(
                    "the credential reference {reference:?} leaves the data directory"
                )));
            }
            return read_password(&self.data_dir.join(relative));
        }
        if reference.starts_with("config:") {
            return self.inline.get(reference).cloned().ok_or_else(|| {
                SyncError::Site(format!(
                    "the credential {reference:?} is not in the loaded configuration"
                ))
            });
        }
        Err(SyncError::Site(format!(
            "unknown credential reference {reference:?}: expected file:PATH, data:PATH or \
             config:NAME"
        )))
    }
}

fn read_password(path: &Path) -> Result<AppPassword, SyncError> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        SyncError::Site(format!(
            "could not read the credential file {}: {err}",
            path.display()
        ))
    })?;
    Ok(AppPassword::new(text.trim()))
}

/// The connector a site's row names, ready to sync it. The sync engine is generic over
/// [`Connector`]; this is the one place that knows every kind.
pub enum SiteConnector {
    Wordpress(WordPress),
    Rest(Rest),
    Files(Folder),
    Shopify(Shopify),
}

/// Where a pull of one stream stands, for the connector that started it.
pub enum SitePosition {
    Wordpress(<WordPress as Connector>::Position),
    Rest(<Rest as Connector>::Position),
    Files(FolderPosition),
    Shopify(<Shopify as Connector>::Position),
}

/// The connector for `site` and how its syncs are paced.
pub fn connect(
    site: &Site,
    http: Arc<HttpClient>,
    secrets: &Secrets,
    definitions: &Definitions,
) -> Result<(SiteConnector, SyncTimings), SyncError> {
    let mut timings = SyncTimings::of(site)?;
    let connector = match site.connector {
        ConnectorKind::Wordpress => SiteConnector::Wordpress(wordpress(site, http, secrets)?.0),
        ConnectorKind::Rest => {
            let connector = rest(site, http, secrets, definitions)?;
            timings.lookback = timings.lookback.max(rest_overlap(connector.definition()));
            SiteConnector::Rest(connector)
        }
        ConnectorKind::Files => SiteConnector::Files(folder(site)?),
        ConnectorKind::Shopify => SiteConnector::Shopify(shopify(site, http, secrets, None)?),
    };
    Ok((connector, timings))
}

impl Connector for SiteConnector {
    type Position = SitePosition;

    async fn probe(&self) -> Result<Value, ConnectorError> {
        match self {
            SiteConnector::Wordpress(connector) => connector.probe().await,
            SiteConnector::Rest(connector) => connector.probe().await,
            SiteConnector::Files(connector) => connector.probe().await,
            SiteConnector::Shopify(connector) => connector.probe().await,
        }
    }

    fn streams(&self) -> Vec<Stream> {
        match self {
            SiteConnector::Wordpress(connector) => connector.streams(),
            SiteConnector::Rest(connector) => connector.streams(),
            SiteConnector::Files(connector) => connector.streams(),
            SiteConnector::Shopify(connector) => connector.streams(),
        }
    }

    fn start(&self, stream: &Stream, since: Option<DateTime<Utc>>) -> SitePosition {
        match self {
            SiteConnector::Wordpress(connector) => {
                SitePosition::Wordpress(connector.start(stream, since))
            }
            SiteConnector::Rest(connector) => SitePosition::Rest(connector.start(stream, since)),
            SiteConnector::Files(connector) => SitePosition::Files(connector.start(stream, since)),
            SiteConnector::Shopify(connector) => {
                SitePosition::Shopify(connector.start(stream, since))
            }
        }
    }

    async fn next_window(
        &self,
        position: &mut SitePosition,
    ) -> Result<Option<Window>, ConnectorError> {
        match (self, position) {
            (SiteConnector::Wordpress(connector), SitePosition::Wordpress(position)) => {
                connector.next_window(position).await
            }
            (SiteConnector::Rest(connector), SitePosition::Rest(position)) => {
                connector.next_window(position).await
            }
            (SiteConnector::Files(connector), SitePosition::Files(position)) => {
                connector.next_window(position).await
            }
            (SiteConnector::Shopify(connector), SitePosition::Shopify(position)) => {
                connector.next_window(position).await
            }
            _ => Err(ConnectorError::Permanent(
                "a pull position was handed to another connector than the one that made it"
                    .to_owned(),
            )),
        }
    }

    async fn sweep(&self, stream: &Stream) -> Result<Vec<RemoteStub>, ConnectorError> {
        match self {
            SiteConnector::Wordpress(connector) => connector.sweep(stream).await,
            SiteConnector::Rest(connector) => connector.sweep(stream).await,
            SiteConnector::Files(connector) => connector.sweep(stream).await,
            SiteConnector::Shopify(connector) => connector.sweep(stream).await,
        }
    }

    async fn fetch(
        &self,
        external_type: &str,
        external_ids: &[String],
    ) -> Result<Vec<RemoteItem>, ConnectorError> {
        match self {
            SiteConnector::Wordpress(connector) => {
                connector.fetch(external_type, external_ids).await
            }
            SiteConnector::Rest(connector) => connector.fetch(external_type, external_ids).await,
            SiteConnector::Files(connector) => connector.fetch(external_type, external_ids).await,
            SiteConnector::Shopify(connector) => connector.fetch(external_type, external_ids).await,
        }
    }

    async fn deletions(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Option<Vec<Deletion>>, ConnectorError> {
        match self {
            SiteConnector::Wordpress(connector) => connector.deletions(since).await,
            SiteConnector::Rest(connector) => connector.deletions(since).await,
            SiteConnector::Files(connector) => connector.deletions(since).await,
            SiteConnector::Shopify(connector) => connector.deletions(since).await,
        }
    }

    async fn write(
        &self,
        external_type: &str,
        external_id: &str,
        patch: &Patch,
        expected_modified: DateTime<Utc>,
    ) -> Result<WriteOutcome, ConnectorError> {
        match self {
            SiteConnector::Wordpress(connector) => {
                connector
                    .write(external_type, external_id, patch, expected_modified)
                    .await
            }
            SiteConnector::Rest(connector) => {
                connector
                    .write(external_type, external_id, patch, expected_modified)
                    .await
            }
            SiteConnector::Files(connector) => {
                connector
                    .write(external_type, external_id, patch, expected_modified)
                    .await
            }
            SiteConnector::Shopify(connector) => {
                connector
                    .write(external_type, external_id, patch, expected_modified)
                    .await
            }
        }
    }

    fn batch_size(&self) -> usize {
        match self {
            SiteConnector::Wordpress(connector) => connector.batch_size(),
            SiteConnector::Rest(connector) => connector.batch_size(),
            SiteConnector::Files(connector) => connector.batch_size(),
            SiteConnector::Shopify(connector) => connector.batch_size(),
        }
    }

    async fn write_batch(
        &self,
        writes: &[BatchWrite<'_>],
    ) -> Result<Vec<Result<WriteOutcome, ConnectorError>>, ConnectorError> {
        match self {
            SiteConnector::Wordpress(connector) => connector.write_batch(writes).await,
            SiteConnector::Rest(connector) => connector.write_batch(writes).await,
            SiteConnector::Files(connector) => connector.write_batch(writes).await,
            SiteConnector::Shopify(connector) => connector.write_batch(writes).await,
        }
    }
}

/// The WordPress connector for `site`, with its parsed settings.
pub fn wordpress(
    site: &Site,
    http: Arc<HttpClient>,
    secrets: &Secrets,
) -> Result<(WordPress, WordPressSettings), SyncError> {
    if site.connector != ConnectorKind::Wordpress {
        return Err(SyncError::Site(format!(
            "site {} uses the {} connector, not wordpress",
            site.name, site.connector
        )));
    }
    let settings: WordPressSettings = site_settings::parse(site)?;
    let base_url = site
        .base_url
        .as_deref()
        .ok_or_else(|| SyncError::Site(format!("site {} has no base_url", site.name)))?;
    let base_url = Url::parse(base_url)
        .map_err(|err| SyncError::Site(format!("site {}: base_url: {err}", site.name)))?;
    let credentials = match (&settings.username, &site.credentials_ref) {
        (Some(username), Some(reference)) => Some(Credentials {
            username: username.clone(),
            password: secrets.resolve(reference)?,
        }),
        (None, None) => None,
        (Some(_), None) => {
            return Err(SyncError::Site(format!(
                "site {} has a username but no application password",
                site.name
            )));
        }
        (None, Some(_)) => {
            return Err(SyncError::Site(format!(
                "site {} has an application password but no username",
                site.name
            )));
        }
    };
    let connector = WordPress::new(
        http,
        WordPressSite {
            key: format!("{}:{}", site.account_id, site.id),
            base_url,
            credentials,
            post_types: settings.post_types.clone(),
        },
    );
    Ok((connector, settings))
}

/// The connector for a `rest` site: its definition as the file holds it now, and its API key.
/// A bad definition fails this site's jobs only.
pub fn rest(
    site: &Site,
    http: Arc<HttpClient>,
    secrets: &Secrets,
    definitions: &Definitions,
) -> Result<Rest, SyncError> {
    let settings: RestSettings = site_settings::parse(site)?;
    let definition = definitions
        .get(&settings.definition)
        .map_err(|err| SyncError::Site(format!("site {}: {err}", site.name)))?;
    let base_url = site
        .base_url
        .as_deref()
        .ok_or_else(|| SyncError::Site(format!("site {} has no base_url", site.name)))?;
    let base_url = Url::parse(base_url)
        .map_err(|err| SyncError::Site(format!("site {}: base_url: {err}", site.name)))?;
    let api_key = site
        .credentials_ref
        .as_deref()
        .map(|reference| secrets.resolve(reference))
        .transpose()?
        .map(|key| key.expose().to_owned());
    Rest::new(
        http,
        RestSite {
            key: format!("{}:{}", site.account_id, site.id),
            base_url,
            api_key,
            definition,
        },
    )
    .map_err(|err| SyncError::Site(format!("site {}: api_key: {err}", site.name)))
}

/// The overlap a definition asks for: the most any of its streams needs.
fn rest_overlap(definition: &Definition) -> chrono::Duration {
    let seconds = definition
        .streams
        .iter()
        .filter_map(|stream| stream.get_ref().incremental.as_ref())
        .map(|incremental| incremental.overlap_seconds)
        .max()
        .unwrap_or(0);
    chrono::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 1000))
}

/// The folder connector for `site`.
pub fn folder(site: &Site) -> Result<Folder, SyncError> {
    let settings: FilesSettings = site_settings::parse(site)?;
    Folder::new(settings.path, settings.output_path)
        .map_err(|err| SyncError::Site(format!("site {}: {err}", site.name)))
}

/// Diagnoses a folder site: its folder can be read and listed.
async fn check_folder(site: &Site) -> Diagnosis {
    let connector = match folder(site) {
        Ok(connector) => connector,
        Err(err) => return Diagnosis::problem("unreachable", err.to_string()),
    };
    match connector.probe().await {
        Ok(_) => Diagnosis {
            ok: true,
            code: "ok",
            message: format!("{} can be read", connector.source().display()),
        },
        Err(err) => Diagnosis::problem("unreachable", err.to_string()),
    }
}

/// Where a caller that stands in for Shopify (tests) has the connector go instead of the
/// shop's own domain, and how often it looks at a bulk operation there.
#[derive(Debug, Clone)]
pub struct ShopifyStandIn {
    pub admin_base: Url,
    pub bulk_poll_interval: std::time::Duration,
}

/// The Shopify connector for `site`: its Admin API is the shop's own domain, bulk results
/// go under `{data_dir}/shopify-bulk/{account}-{site}/`.
pub fn shopify(
    site: &Site,
    http: Arc<HttpClient>,
    secrets: &Secrets,
    stand_in: Option<ShopifyStandIn>,
) -> Result<Shopify, SyncError> {
    if site.connector != ConnectorKind::Shopify {
        return Err(SyncError::Site(format!(
            "site {} uses the {} connector, not shopify",
            site.name, site.connector
        )));
    }
    let settings: ShopifySettings = site_settings::parse(site)?;
    let reference = site.credentials_ref.as_deref().ok_or_else(|| {
        SyncError::Site(format!(
            "site {} has no Admin API access token (access_token or access_token_file)",
            site.name
        ))
    })?;
    let (admin_base, poll_interval) = match stand_in {
        Some(stand_in) => (stand_in.admin_base, stand_in.bulk_poll_interval),
        None => (
            settings.shop.base_url().url().clone(),
            BulkSettings::POLL_INTERVAL,
        ),
    };
    let bulk = BulkSettings {
        dir: secrets
            .data_dir()
            .join("shopify-bulk")
            .join(format!("{}-{}", site.account_id, site.id)),
        poll_interval,
    };
    Ok(Shopify::new(
        http,
        ShopifySite {
            key: format!("{}:{}", site.account_id, site.id),
            admin_base,
            api_version: settings.api_version,
            access_token: secrets.resolve(reference)?,
            bulk: Some(bulk),
        },
    ))
}

/// The secret a site's webhooks are signed with, if it has one.
pub fn webhook_secret(site: &Site, secrets: &Secrets) -> Result<Option<AppPassword>, SyncError> {
    site_settings::webhook_secret_ref(site)
        .map(|reference| secrets.resolve(reference))
        .transpose()
}

/// Diagnoses how igny8 reaches a site (`site check`).
pub async fn check_site(
    site: &Site,
    http: Arc<HttpClient>,
    secrets: &Secrets,
    definitions: &Definitions,
) -> Diagnosis {
    if site.connector == ConnectorKind::Rest {
        return check_rest(site, http, secrets, definitions).await;
    }
    if site.connector == ConnectorKind::Files {
        return check_folder(site).await;
    }
    if site.connector == ConnectorKind::Shopify {
        return check_shopify(site, http, secrets).await;
    }
    let (connector, _) = match wordpress(site, http.clone(), secrets) {
        Ok(built) => built,
        Err(err) => return Diagnosis::problem("credentials_unreadable", err.to_string()),
    };
    let base_url = match site.base_url.as_deref().map(Url::parse) {
        Some(Ok(url)) => url,
        _ => {
            return Diagnosis::problem(
                "unreachable",
                format!("site {} has no usable base_url", site.name),
            );
        }
    };
    let anonymous = WpApi::new(
        http,
        &base_url,
        None,
        LimitKey::new(&format!("{}:{}", site.account_id, site.id), ""),
    );
    let has_credentials = site.credentials_ref.is_some();
    diagnose(
        &base_url,
        &anonymous,
        has_credentials.then_some(connector.api()),
    )
    .await
}

/// A Shopify site is reachable when its probe (the shop query, with the token) answers.
/// Diagnoses a site read through a REST definition: the definition loads, the key resolves,
/// and the probe reads each stream.
async fn check_rest(
    site: &Site,
    http: Arc<HttpClient>,
    secrets: &Secrets,
    definitions: &Definitions,
) -> Diagnosis {
    let connector = match rest(site, http, secrets, definitions) {
        Ok(connector) => connector,
        Err(err) => return Diagnosis::problem("misconfigured", err.to_string()),
    };
    match connector.probe().await {
        Ok(_) => Diagnosis {
            ok: true,
            code: "ok",
            message: format!(
                "{} stream(s) of the definition can be read",
                connector.definition().streams.len()
            ),
        },
        Err(ConnectorError::Auth(message)) => Diagnosis::problem("wrong_credentials", message),
        Err(err) => Diagnosis::problem("unreachable", err.to_string()),
    }
}

async fn check_shopify(site: &Site, http: Arc<HttpClient>, secrets: &Secrets) -> Diagnosis {
    let connector = match shopify(site, http, secrets, None) {
        Ok(connector) => connector,
        Err(err) => return Diagnosis::problem("credentials_unreadable", err.to_string()),
    };
    match connector.probe().await {
        Ok(capabilities) => Diagnosis {
            ok: true,
            code: "ok",
            message: format!(
                "signed in to {} ({}) on Admin API version {}",
                capabilities["name"].as_str().unwrap_or("the shop"),
                capabilities["shop"].as_str().unwrap_or(""),
                capabilities["api_version"].as_str().unwrap_or("")
            ),
        },
        Err(ConnectorError::Auth(message)) => Diagnosis::problem("wrong_credentials", message),
        Err(err) => Diagnosis::problem("unreachable", err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_from_config_files_and_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("credentials")).unwrap();
        std::fs::write(dir.path().join("credentials/site-1-2"), "abcd efgh\n").unwrap();
        std::fs::write(dir.path().join("systemd-credential"), "from-file").unwrap();
        let mut secrets = Secrets::new(dir.path().to_path_buf());
        secrets.insert("config:blog".to_owned(), AppPassword::new("inline"));

        let expose = |reference: &str| secrets.resolve(reference).map(|p| p.expose().to_owned());
        assert_eq!(expose("config:blog").unwrap(), "inline");
        assert_eq!(expose("data:credentials/site-1-2").unwrap(), "abcdefgh");
        let file = format!("file:{}", dir.path().join("systemd-credential").display());
        assert_eq!(expose(&file).unwrap(), "from-file");
        for bad in [
            "config:shop",
            "data:../etc/passwd",
            "data:/etc/passwd",
            "data:credentials/absent",
            "vault:x",
        ] {
            assert!(expose(bad).is_err(), "{bad}");
        }
    }
}
