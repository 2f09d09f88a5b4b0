//! The config file's `[[sites]]` made true in the database, at start-up and on every reload:
//! declared sites are created or updated by name, sites no longer declared are soft-deleted,
//! and the passwords the file holds become the secrets sync jobs sign in with.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use crate::domain::ids::AccountId;
use crate::domain::site::SiteName;
use crate::jobs::handler::error_chain;
use crate::settings::{SitePassword, SiteSettings};
use crate::sites::credentials::CredentialFiles;
use crate::sites::spec;
use crate::store::sites::ConfigSitesSynced;
use crate::store::{Store, StoreError};
use crate::sync::site_connector::Secrets;

/// A declared site whose account does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAccount {
    pub site: SiteName,
    pub account: AccountId,
    /// `<file>: sites[N]`.
    pub declared_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigSitesError {
    /// Nothing was changed: every site must belong to an existing account.
    #[error("{}", UnknownAccounts(.0))]
    UnknownAccounts(Vec<UnknownAccount>),
    #[error("could not record the configured sites")]
    Store(#[from] StoreError),
}

struct UnknownAccounts<'a>(&'a [UnknownAccount]);

impl fmt::Display for UnknownAccounts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, unknown) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str("; ")?;
            }
            write!(
                f,
                "site {:?} ({}) belongs to account {}, which does not exist",
                unknown.site.as_str(),
                unknown.declared_at,
                unknown.account
            )?;
        }
        Ok(())
    }
}

/// Applies the configured sites; shared by start-up and the reloader.
#[derive(Debug, Clone)]
pub struct ConfigSites {
    store: Store,
    data_dir: PathBuf,
    secrets: Arc<RwLock<Secrets>>,
}

impl ConfigSites {
    /// `data_dir` is where `data:` credentials are resolved; it is fixed until restart.
    pub fn new(store: Store, data_dir: PathBuf) -> ConfigSites {
        let secrets = Arc::new(RwLock::new(Secrets::new(data_dir.clone())));
        ConfigSites {
            store,
            data_dir,
            secrets,
        }
    }

    /// The secrets sync jobs read; replaced by every successful [`ConfigSites::apply`].
    pub fn secrets(&self) -> Arc<RwLock<Secrets>> {
        self.secrets.clone()
    }

    /// Makes the database's config-managed sites exactly `sites`. On any error nothing changed
    /// (the database and the secrets stay as they were).
    pub async fn apply(
        &self,
        sites: &[SiteSettings],
    ) -> Result<ConfigSitesSynced, ConfigSitesError> {
        let accounts: Vec<AccountId> = sites.iter().map(|site| site.account).collect();
        let missing = self.store.missing_accounts(&accounts).await?;
        if !missing.is_empty() {
            return Err(ConfigSitesError::UnknownAccounts(
                sites
                    .iter()
                    .filter(|site| missing.contains(&site.account))
                    .map(|site| UnknownAccount {
                        site: site.site.name.clone(),
                        account: site.account,
                        declared_at: site.declared_at.clone(),
                    })
                    .collect(),
            ));
        }

        let mut secrets = Secrets::new(self.data_dir.clone());
        let mut declared = Vec::with_capacity(sites.len());
        for site in sites {
            let reference = match &site.password {
                Some(SitePassword::Inline(password)) => {
                    let reference = format!("config:{}", site.site.name);
                    secrets.insert(reference.clone(), password.clone());
                    Some(reference)
                }
                Some(SitePassword::File(path)) => Some(format!("file:{}", path.display())),
                None => None,
            };
            let mut definition = site.site.clone();
            definition.webhook_secret_ref = match &site.webhook_secret {
                Some(SitePassword::Inline(secret)) => {
                    let reference = format!("config:{}:webhook", site.site.name);
                    secrets.insert(reference.clone(), secret.clone());
                    Some(reference)
                }
                Some(SitePassword::File(path)) => Some(format!("file:{}", path.display())),
                None => None,
            };
            declared.push((site.account, spec(&definition, reference)));
        }
        // The new secrets go live before the rows that use them, so a new or changed site never
        // names a password the daemon lacks. A job that meanwhile misses a removed site's
        // secret fails and is retried, by when the site is deleted and the job skipped.
        let previous = std::mem::replace(&mut *self.write_secrets(), secrets);
        let synced = match self.store.sync_config_sites(&declared).await {
            Ok(synced) => synced,
            Err(err) => {
                *self.write_secrets() = previous;
                return Err(err.into());
            }
        };

        let files = CredentialFiles::new(self.data_dir.clone());
        for site in &synced.adopted {
            tracing::warn!(site = %site.name, account = %site.account_id, "A site made through the API is now declared in the configuration file, which manages it from now on.");
            if let Some(reference) = &site.credentials_ref
                && let Err(err) = files.remove(reference)
            {
                tracing::warn!(reference, error = %error_chain(&err), "Could not remove a credential file no site uses.");
            }
            let webhook = CredentialFiles::webhook_reference(site.account_id, site.id);
            if let Err(err) = files.remove(&webhook) {
                tracing::warn!(reference = webhook, error = %error_chain(&err), "Could not remove a credential file no site uses.");
            }
        }
        for site in &synced.retired {
            tracing::info!(site = %site.name, account = %site.account_id, "A site is no longer declared in the configuration; soft-deleted it.");
        }
        Ok(synced)
    }

    fn write_secrets(&self) -> std::sync::RwLockWriteGuard<'_, Secrets> {
        self.secrets.write().expect("secrets lock poisoned")
    }
}
