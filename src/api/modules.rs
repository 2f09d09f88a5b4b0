//! `/api/v1/settings/modules`: which product modules are on for the account, and the guard
//! that closes a disabled module's routes.

use axum::Json as ResponseJson;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::error::ApiError;
use crate::api::extract::Json;
use crate::api::responses::CommonErrors;
use crate::domain::module::Module;
use crate::domain::role::Role;
use crate::modules::ModuleState;
use crate::store::modules::ModuleOverride;

#[derive(Serialize, ToSchema)]
pub struct ModuleView {
    pub enabled: bool,
    /// Module-specific options.
    #[schema(value_type = Object)]
    pub settings: Value,
    /// `account` when the account chose this, `default` when it follows the configuration.
    pub source: &'static str,
}

/// Every module by name.
#[derive(Serialize, ToSchema)]
pub struct ModulesView {
    pub planner: ModuleView,
    pub writer: ModuleView,
    pub automation: ModuleView,
    pub site_builder: ModuleView,
    pub linker: ModuleView,
    pub optimizer: ModuleView,
}

impl ModulesView {
    fn from_states(states: Vec<ModuleState>) -> ModulesView {
        let view = |module: Module| {
            let state = states
                .iter()
                .find(|s| s.module == module)
                .expect("states lists every module");
            ModuleView {
                enabled: state.enabled,
                settings: state.settings.clone(),
                source: if state.overridden {
                    "account"
                } else {
                    "default"
                },
            }
        };
        ModulesView {
            planner: view(Module::Planner),
            writer: view(Module::Writer),
            automation: view(Module::Automation),
            site_builder: view(Module::SiteBuilder),
            linker: view(Module::Linker),
            optimizer: view(Module::Optimizer),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModuleChoice {
    enabled: bool,
    /// Module-specific options (an object); kept as they are when omitted.
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
}

/// Every module must be given.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceModules {
    planner: ModuleChoice,
    writer: ModuleChoice,
    automation: ModuleChoice,
    site_builder: ModuleChoice,
    linker: ModuleChoice,
    optimizer: ModuleChoice,
}

/// Only the modules given change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateModules {
    planner: Option<ModuleChoice>,
    writer: Option<ModuleChoice>,
    automation: Option<ModuleChoice>,
    site_builder: Option<ModuleChoice>,
    linker: Option<ModuleChoice>,
    optimizer: Option<ModuleChoice>,
}

impl From<ReplaceModules> for UpdateModules {
    fn from(all: ReplaceModules) -> Self {
        UpdateModules {
            planner: Some(all.planner),
            writer: Some(all.writer),
            automation: Some(all.automation),
            site_builder: Some(all.site_builder),
            linker: Some(all.linker),
            optimizer: Some(all.optimizer),
        }
    }
}

/// The account's modules.
#[utoipa::path(get, path = "/settings/modules", tag = "modules",
    responses((status = 200, body = ModulesView), CommonErrors))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<ResponseJson<ModulesView>, ApiError> {
    let states = state.modules.states(principal.account_id).await?;
    Ok(ResponseJson(ModulesView::from_states(states)))
}

/// Sets every module (owner or admin).
#[utoipa::path(put, path = "/settings/modules", tag = "modules", request_body = ReplaceModules,
    responses((status = 200, body = ModulesView), CommonErrors))]
pub async fn replace(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<ReplaceModules>,
) -> Result<ResponseJson<ModulesView>, ApiError> {
    apply(state, principal, body.into()).await
}

/// Sets the modules given (owner or admin).
#[utoipa::path(patch, path = "/settings/modules", tag = "modules", request_body = UpdateModules,
    responses((status = 200, body = ModulesView), CommonErrors))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<UpdateModules>,
) -> Result<ResponseJson<ModulesView>, ApiError> {
    apply(state, principal, body).await
}

async fn apply(
    state: AppState,
    principal: Principal,
    body: UpdateModules,
) -> Result<ResponseJson<ModulesView>, ApiError> {
    principal.require(Role::Admin)?;
    let current = state.modules.states(principal.account_id).await?;
    let given = [
        (Module::Planner, body.planner),
        (Module::Writer, body.writer),
        (Module::Automation, body.automation),
        (Module::SiteBuilder, body.site_builder),
        (Module::Linker, body.linker),
        (Module::Optimizer, body.optimizer),
    ];
    let mut choices = Vec::new();
    for (module, choice) in given {
        let Some(choice) = choice else { continue };
        let settings = match choice.settings {
            Some(settings) if !settings.is_object() => {
                return Err(ApiError::invalid(
                    format!("{module}.settings"),
                    "expected an object",
                ));
            }
            Some(settings) => settings,
            None => current
                .iter()
                .find(|s| s.module == module)
                .map(|s| s.settings.clone())
                .unwrap_or_else(|| Value::Object(Default::default())),
        };
        choices.push(ModuleOverride {
            module,
            enabled: choice.enabled,
            settings,
        });
    }
    state.modules.set(principal.account_id, &choices).await?;
    let states = state.modules.states(principal.account_id).await?;
    Ok(ResponseJson(ModulesView::from_states(states)))
}

/// The state of a module's route guard.
#[derive(Clone)]
pub struct ModuleGuard {
    pub state: AppState,
    pub module: Module,
}

/// Answers 403 `module_disabled` on a disabled module's routes; wrap a module's router with it
/// (inside authentication).
pub async fn require_module(
    State(guard): State<ModuleGuard>,
    request: Request,
    next: Next,
) -> Response {
    let Some(principal) = request.extensions().get::<Principal>() else {
        return ApiError::Unauthorized.into_response();
    };
    match guard
        .state
        .modules
        .is_enabled(principal.account_id, guard.module)
        .await
    {
        Ok(true) => next.run(request).await,
        Ok(false) => ApiError::ModuleDisabled(guard.module).into_response(),
        Err(err) => ApiError::from(err).into_response(),
    }
}
