//! Application passwords given through the API live in files under the data directory, one per
//! site, and the site row holds only `data:credentials/site-{account}-{id}`. A database dump or
//! a read replica then carries no CMS password, and the API can never show one back: nothing
//! reads these files except the connector that signs in with them.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::connector::wordpress::api::AppPassword;
use crate::domain::ids::{AccountId, SiteId};

/// The directory under the data directory, readable by the daemon's user alone.
const DIRECTORY: &str = "credentials";
const REFERENCE_PREFIX: &str = "data:";

/// The credential files of API-managed sites.
#[derive(Debug, Clone)]
pub struct CredentialFiles {
    data_dir: PathBuf,
}

impl CredentialFiles {
    pub fn new(data_dir: PathBuf) -> CredentialFiles {
        CredentialFiles { data_dir }
    }

    /// The `credentials_ref` of a site whose password was given through the API.
    pub fn reference(account: AccountId, site: SiteId) -> String {
        format!("{REFERENCE_PREFIX}{DIRECTORY}/{}", file_name(account, site))
    }

    /// The `webhook_secret_ref` of a site whose webhook secret was given through the API.
    pub fn webhook_reference(account: AccountId, site: SiteId) -> String {
        format!(
            "{REFERENCE_PREFIX}{DIRECTORY}/{}",
            webhook_file_name(account, site)
        )
    }

    /// Whether `reference` names a file this type manages (and so may remove).
    pub fn manages(reference: &str) -> bool {
        reference
            .strip_prefix(REFERENCE_PREFIX)
            .and_then(|rest| rest.strip_prefix(DIRECTORY))
            .and_then(|rest| rest.strip_prefix("/site-"))
            .is_some_and(|rest| {
                let rest = rest.strip_suffix(WEBHOOK_SUFFIX).unwrap_or(rest);
                !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'-')
            })
    }

    /// Stores a site's password, replacing any earlier one, and returns its reference. The
    /// file is written whole under a temporary name and renamed, so a reader sees the old
    /// password or the new one, never a part.
    pub fn write(
        &self,
        account: AccountId,
        site: SiteId,
        password: &AppPassword,
    ) -> io::Result<String> {
        self.write_file(&file_name(account, site), password)?;
        Ok(Self::reference(account, site))
    }

    /// Stores a site's webhook secret like [`CredentialFiles::write`] stores its password, and
    /// returns its reference.
    pub fn write_webhook_secret(
        &self,
        account: AccountId,
        site: SiteId,
        secret: &AppPassword,
    ) -> io::Result<String> {
        self.write_file(&webhook_file_name(account, site), secret)?;
        Ok(Self::webhook_reference(account, site))
    }

    fn write_file(&self, name: &str, password: &AppPassword) -> io::Result<()> {
        let dir = self.data_dir.join(DIRECTORY);
        DirBuilder::new().recursive(true).mode(0o700).create(&dir)?;
        // An existing directory keeps the mode it was made with; tighten it.
        std::fs::set_permissions(&dir, Permissions::from_mode(0o700))?;
        let temporary = dir.join(format!(".{name}.{}", uuid::Uuid::new_v4().simple()));
        let written = write_new(&temporary, password.expose().as_bytes())
            .and_then(|()| std::fs::rename(&temporary, dir.join(name)));
        if let Err(err) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(err);
        }
        // The rename is durable only once the directory is.
        std::fs::File::open(&dir)?.sync_all()
    }

    /// Removes the file behind `reference`; a file already gone is fine, a reference this type
    /// does not manage is left alone.
    pub fn remove(&self, reference: &str) -> io::Result<()> {
        if !Self::manages(reference) {
            return Ok(());
        }
        let relative = &reference[REFERENCE_PREFIX.len()..];
        match std::fs::remove_file(self.data_dir.join(relative)) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}

fn file_name(account: AccountId, site: SiteId) -> String {
    format!("site-{account}-{site}")
}

const WEBHOOK_SUFFIX: &str = "-webhook";

fn webhook_file_name(account: AccountId, site: SiteId) -> String {
    format!("site-{account}-{site}{WEBHOOK_SUFFIX}")
}

fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    #[test]
    fn passwords_are_written_private_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let files = CredentialFiles::new(dir.path().join("state"));
        let (account, site) = (AccountId::new(3), SiteId::new(14));
        let reference = files
            .write(account, site, &AppPassword::new("abcd efgh"))
            .unwrap();
        assert_eq!(reference, "data:credentials/site-3-14");
        let path = dir.path().join("state/credentials/site-3-14");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "abcdefgh");
        assert_eq!(path.metadata().unwrap().mode() & 0o777, 0o600);
        let parent = dir.path().join("state/credentials").metadata().unwrap();
        assert_eq!(parent.mode() & 0o777, 0o700);

        files
            .write(account, site, &AppPassword::new("second"))
            .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("state/credentials"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["site-3-14"], "no temporary file is left behind");

        files.remove(&reference).unwrap();
        assert!(!path.exists());
        files.remove(&reference).unwrap();
    }

    #[test]
    fn only_its_own_references_are_managed() {
        assert!(CredentialFiles::manages("data:credentials/site-1-2"));
        assert!(CredentialFiles::manages(
            "data:credentials/site-1-2-webhook"
        ));
        assert_eq!(
            CredentialFiles::webhook_reference(AccountId::new(1), SiteId::new(2)),
            "data:credentials/site-1-2-webhook"
        );
        for other in [
            "config:blog",
            "file:/etc/igny8/blog",
            "data:credentials/../x",
            "data:other/site-1-2",
            "data:credentials/site-",
        ] {
            assert!(!CredentialFiles::manages(other), "{other}");
        }
    }
}
