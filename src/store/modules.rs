//! Per-account module switches. A module without a row follows the configured default.

use serde_json::Value;

use crate::domain::ids::AccountId;
use crate::domain::module::Module;
use crate::store::{Store, StoreError};

/// An account's own choice for one module.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleOverride {
    pub module: Module,
    pub enabled: bool,
    pub settings: Value,
}

impl Store {
    pub async fn module_overrides(
        &self,
        account: AccountId,
    ) -> Result<Vec<ModuleOverride>, StoreError> {
        let rows: Vec<(String, bool, Value)> = sqlx::query_as(
            "SELECT module, enabled, settings FROM module_settings WHERE account_id = $1",
        )
        .bind(account)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(module, enabled, settings)| {
                // The CHECK constraint admits only known modules.
                let module = module.parse().ok()?;
                Some(ModuleOverride {
                    module,
                    enabled,
                    settings,
                })
            })
            .collect())
    }

    /// The account's choice for one module, if it made one.
    pub async fn module_override(
        &self,
        account: AccountId,
        module: Module,
    ) -> Result<Option<bool>, StoreError> {
        let enabled = sqlx::query_scalar(
            "SELECT enabled FROM module_settings WHERE account_id = $1 AND module = $2",
        )
        .bind(account)
        .bind(module.as_str())
        .fetch_optional(self.pool())
        .await?;
        Ok(enabled)
    }

    /// Records the account's choices in one transaction.
    pub async fn set_modules(
        &self,
        account: AccountId,
        choices: &[ModuleOverride],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for choice in choices {
            sqlx::query(
                "INSERT INTO module_settings (account_id, module, enabled, settings)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (account_id, module)
                 DO UPDATE SET enabled = EXCLUDED.enabled, settings = EXCLUDED.settings",
            )
            .bind(account)
            .bind(choice.module.as_str())
            .bind(choice.enabled)
            .bind(&choice.settings)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
