//! Search intent: why someone searches a keyword, as keyword tools classify it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum SearchIntent {
    Informational,
    Navigational,
    Commercial,
    Transactional,
}

impl SearchIntent {
    pub const ALL: [SearchIntent; 4] = [
        SearchIntent::Informational,
        SearchIntent::Navigational,
        SearchIntent::Commercial,
        SearchIntent::Transactional,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchIntent::Informational => "informational",
            SearchIntent::Navigational => "navigational",
            SearchIntent::Commercial => "commercial",
            SearchIntent::Transactional => "transactional",
        }
    }
}

impl fmt::Display for SearchIntent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SearchIntent {
    type Err = String;

    /// Case-insensitive, as keyword tools export it ("Commercial").
    fn from_str(s: &str) -> Result<SearchIntent, String> {
        let folded = s.trim().to_ascii_lowercase();
        SearchIntent::ALL
            .into_iter()
            .find(|i| i.as_str() == folded)
            .ok_or_else(|| {
                format!(
                    "expected one of informational, navigational, commercial, transactional, found {s:?}"
                )
            })
    }
}
