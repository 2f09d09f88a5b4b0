//! Module switches: whether a product module is on for an account (its own choice, else the
//! configured default), and the guard that skips a disabled module's jobs.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::domain::ids::AccountId;
use crate::domain::module::Module;
use crate::jobs::handler::{Handler, JobContext, JobError, JobFuture};
use crate::store::modules::ModuleOverride;
use crate::store::{Store, StoreError};

/// One module as an account sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleState {
    pub module: Module,
    pub enabled: bool,
    pub settings: Value,
    /// Whether the account chose this itself (otherwise it follows the default).
    pub overridden: bool,
}

#[derive(Debug, Clone)]
pub struct Modules {
    store: Store,
    defaults: BTreeMap<Module, bool>,
}

impl Modules {
    pub fn new(store: Store, defaults: BTreeMap<Module, bool>) -> Modules {
        Modules { store, defaults }
    }

    fn default_for(&self, module: Module) -> bool {
        self.defaults.get(&module).copied().unwrap_or(true)
    }

    pub async fn is_enabled(&self, account: AccountId, module: Module) -> Result<bool, StoreError> {
        let chosen = self.store.module_override(account, module).await?;
        Ok(chosen.unwrap_or_else(|| self.default_for(module)))
    }

    /// Every module, in a fixed order.
    pub async fn states(&self, account: AccountId) -> Result<Vec<ModuleState>, StoreError> {
        let overrides = self.store.module_overrides(account).await?;
        Ok(Module::ALL
            .iter()
            .map(
                |module| match overrides.iter().find(|o| o.module == *module) {
                    Some(chosen) => ModuleState {
                        module: *module,
                        enabled: chosen.enabled,
                        settings: chosen.settings.clone(),
                        overridden: true,
                    },
                    None => ModuleState {
                        module: *module,
                        enabled: self.default_for(*module),
                        settings: Value::Object(Default::default()),
                        overridden: false,
                    },
                },
            )
            .collect())
    }

    pub async fn set(
        &self,
        account: AccountId,
        choices: &[ModuleOverride],
    ) -> Result<(), StoreError> {
        self.store.set_modules(account, choices).await
    }

    /// Wraps a job handler of `module`: when the module is off for the job's account (the
    /// payload's `account_id`), the job is skipped with the reason logged instead of run.
    pub fn guard(&self, module: Module, handler: impl Handler) -> impl Handler {
        Guarded {
            modules: self.clone(),
            module,
            handler,
        }
    }
}

struct Guarded<H> {
    modules: Modules,
    module: Module,
    handler: H,
}

impl<H: Handler> Handler for Guarded<H> {
    fn run(&self, context: JobContext) -> JobFuture {
        let Some(account) = context.payload["account_id"].as_i64().map(AccountId::new) else {
            let kind = self.module;
            return Box::pin(async move {
                Err(JobError::Permanent(format!(
                    "a {kind} job needs an account_id in its payload"
                )))
            });
        };
        let modules = self.modules.clone();
        let module = self.module;
        let run = self.handler.run(context);
        Box::pin(async move {
            if !modules.is_enabled(account, module).await? {
                return Err(JobError::Skipped(format!(
                    "the {module} module is disabled for account {account}"
                )));
            }
            run.await
        })
    }
}
