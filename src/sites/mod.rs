//! Sites as the API manages them: created, changed and deleted with their write-only
//! credentials, and syncs queued. Sites declared in the config file are reconciled by
//! [`config`]; the API may read them but not change them.

pub mod config;
pub mod credentials;

use crate::connector::wordpress::api::AppPassword;
use crate::domain::ids::{AccountId, JobId, SiteId};
use crate::domain::site::{SiteDefinition, SiteName};
use crate::jobs::handler::error_chain;
use crate::sites::credentials::CredentialFiles;
use crate::store::sites::{NAME_TAKEN, Site, SiteSpec};
use crate::store::sync_runs::Trigger;
use crate::store::{Store, StoreError};
use crate::sync::jobs::{PullPayload, SitePayload, check_job, pull_job};
use crate::sync::site_settings;

/// The row a definition becomes, with the reference to wherever its password lives.
pub fn spec(site: &SiteDefinition, credentials_ref: Option<String>) -> SiteSpec {
    SiteSpec {
        name: site.name.clone(),
        connector: site.connector(),
        base_url: site.base_url.as_ref().map(|url| url.as_str().to_owned()),
        credentials_ref,
        settings: site_settings::settings_json(site),
        schedule: site
            .schedule
            .as_ref()
            .map(|schedule| schedule.expression().to_owned()),
        push_policy: site.push_policy,
        link_enabled: site.link_enabled,
    }
}

/// What a change does to a site's password (or its webhook secret).
#[derive(Debug, Clone)]
pub enum PasswordChange {
    Keep,
    Set(AppPassword),
    Remove,
}

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("a site named {0} already exists in this account")]
    NameTaken(SiteName),
    #[error("site not found")]
    NotFound,
    #[error("could not store the site's credentials")]
    Credentials(#[source] std::io::Error),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for SiteError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => SiteError::NotFound,
            other => SiteError::Store(other),
        }
    }
}

/// Maps a clash on the name index to [`SiteError::NameTaken`].
fn name_taken(name: &SiteName) -> impl FnOnce(StoreError) -> SiteError + '_ {
    move |err| match err {
        StoreError::Constraint { constraint } if constraint == NAME_TAKEN => {
            SiteError::NameTaken(name.clone())
        }
        other => other.into(),
    }
}

/// The sites service behind the API.
#[derive(Debug, Clone)]
pub struct Sites {
    store: Store,
    files: CredentialFiles,
    max_attempts: u32,
}

impl Sites {
    pub fn new(store: Store, files: CredentialFiles, max_attempts: u32) -> Sites {
        Sites {
            store,
            files,
            max_attempts,
        }
    }

    /// Creates an API-managed site; a password and a webhook secret are stored in their
    /// credential files, in the same transaction as the row, so neither exists without the
    /// other.
    pub async fn create(
        &self,
        account: AccountId,
        site: &SiteDefinition,
        password: Option<&AppPassword>,
        webhook_secret: Option<&AppPassword>,
    ) -> Result<Site, SiteError> {
        let mut tx = self.store.begin().await?;
        let mut site = site.clone();
        site.webhook_secret_ref = None;
        let created = Store::insert_site(&mut tx, account, &spec(&site, None))
            .await
            .map_err(name_taken(&site.name))?;
        if password.is_none() && webhook_secret.is_none() {
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(created);
        }
        let mut written = Vec::new();
        let files = async {
            let reference = password
                .map(|password| self.files.write(account, created.id, password))
                .transpose()?;
            written.extend(reference.clone());
            if let Some(secret) = webhook_secret {
                let webhook = self
                    .files
                    .write_webhook_secret(account, created.id, secret)?;
                written.push(webhook.clone());
                site.webhook_secret_ref = Some(webhook);
            }
            Ok::<_, std::io::Error>(reference)
        }
        .await;
        let reference = match files {
            Ok(reference) => reference,
            Err(err) => {
                written.iter().for_each(|reference| self.forget(reference));
                return Err(SiteError::Credentials(err));
            }
        };
        let stored = async {
            let site =
                Store::update_site(&mut tx, account, created.id, &spec(&site, reference)).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(site)
        }
        .await;
        if stored.is_err() {
            written.iter().for_each(|reference| self.forget(reference));
        }
        Ok(stored?)
    }

    /// Rewrites an API-managed site to `site`, changing its password and webhook secret as
    /// asked. A config-managed site is [`SiteError::NotFound`]; callers answer those before.
    pub async fn update(
        &self,
        current: &Site,
        site: &SiteDefinition,
        password: PasswordChange,
        webhook_secret: PasswordChange,
    ) -> Result<Site, SiteError> {
        let (account, id) = (current.account_id, current.id);
        let reference = match &password {
            PasswordChange::Keep => current.credentials_ref.clone(),
            PasswordChange::Set(_) => Some(CredentialFiles::reference(account, id)),
            PasswordChange::Remove => None,
        };
        let old_webhook = site_settings::webhook_secret_ref(current).map(str::to_owned);
        let mut site = site.clone();
        site.webhook_secret_ref = match &webhook_secret {
            PasswordChange::Keep => old_webhook.clone(),
            PasswordChange::Set(_) => Some(CredentialFiles::webhook_reference(account, id)),
            PasswordChange::Remove => None,
        };
        let mut tx = self.store.begin().await?;
        let updated = Store::update_site(&mut tx, account, id, &spec(&site, reference))
            .await
            .map_err(name_taken(&site.name))?;
        // Written while the row is locked and before it commits: a failed write changes
        // nothing, and the row never names a password that is not on disk.
        if let PasswordChange::Set(password) = &password {
            self.files
                .write(account, id, password)
                .map_err(SiteError::Credentials)?;
        }
        if let PasswordChange::Set(secret) = &webhook_secret {
            self.files
                .write_webhook_secret(account, id, secret)
                .map_err(SiteError::Credentials)?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        if let (PasswordChange::Remove, Some(old)) = (&password, &current.credentials_ref) {
            self.forget(old);
        }
        if let (PasswordChange::Remove, Some(old)) = (&webhook_secret, &old_webhook) {
            self.forget(old);
        }
        Ok(updated)
    }

    /// Soft-deletes an API-managed site and removes its stored password: the content and run
    /// history stay, the secret does not.
    pub async fn delete(&self, account: AccountId, id: SiteId) -> Result<(), SiteError> {
        if let Some(reference) = self.store.delete_site(account, id).await? {
            self.forget(&reference);
        }
        self.forget(&CredentialFiles::webhook_reference(account, id));
        Ok(())
    }

    /// Queues a pull of `site`; `None` when one is already queued or running.
    pub async fn enqueue_pull(&self, site: &Site, full: bool) -> Result<Option<JobId>, SiteError> {
        let job = pull_job(
            &PullPayload {
                account_id: site.account_id,
                site_id: site.id,
                full,
                trigger: Trigger::Manual,
            },
            self.max_attempts,
        );
        Ok(self.store.enqueue(&job).await?)
    }

    /// Queues a `site check`; `None` when one is already queued or running.
    pub async fn enqueue_check(&self, site: &Site) -> Result<Option<JobId>, SiteError> {
        let job = check_job(
            &SitePayload {
                account_id: site.account_id,
                site_id: site.id,
                trigger: Trigger::Manual,
            },
            self.max_attempts,
        );
        Ok(self.store.enqueue(&job).await?)
    }

    /// Removes a credential file nothing refers to any more. A failure leaves a stray file,
    /// which is logged rather than failing the request that made it stray.
    fn forget(&self, reference: &str) {
        if let Err(err) = self.files.remove(reference) {
            tracing::warn!(reference, error = %error_chain(&err), "Could not remove a credential file no site uses.");
        }
    }
}
