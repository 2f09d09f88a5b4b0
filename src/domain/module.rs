//! The product modules an account can switch on and off.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Module {
    Planner,
    Writer,
    Automation,
    SiteBuilder,
    Linker,
    Optimizer,
}

impl Module {
    pub const ALL: [Module; 6] = [
        Module::Planner,
        Module::Writer,
        Module::Automation,
        Module::SiteBuilder,
        Module::Linker,
        Module::Optimizer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Module::Planner => "planner",
            Module::Writer => "writer",
            Module::Automation => "automation",
            Module::SiteBuilder => "site_builder",
            Module::Linker => "linker",
            Module::Optimizer => "optimizer",
        }
    }
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Module {
    type Err = String;

    fn from_str(s: &str) -> Result<Module, String> {
        Module::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "expected one of planner, writer, automation, site_builder, linker, \
                     optimizer, found {s:?}"
                )
            })
    }
}
