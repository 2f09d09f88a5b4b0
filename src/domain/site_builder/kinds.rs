//! The closed sets a blueprint and its pages choose from: page types, states and hosting.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type,
            utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        #[sqlx(type_name = "text", rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<$name, String> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("expected one of {}, found {s:?}", names.join(", "))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What a page is for; the navigation and the templates read it.
    PageType {
        Home => "home",
        About => "about",
        Services => "services",
        Products => "products",
        Blog => "blog",
        Contact => "contact",
        Custom => "custom",
    }
);

text_enum!(
    /// Where a blueprint is in its life.
    BlueprintStatus {
        /// Not generated yet, or the last generation failed (`last_error` says why).
        Draft => "draft",
        Generating => "generating",
        /// A structure and its pages exist.
        Ready => "ready",
        /// A version is deployed (`deployed_version`).
        Deployed => "deployed",
    }
);

text_enum!(
    /// Where a page's content is.
    PageStatus {
        Draft => "draft",
        Generating => "generating",
        Ready => "ready",
    }
);

text_enum!(
    /// Where the built site is meant to be hosted.
    HostingType {
        Igny8Sites => "igny8_sites",
        Wordpress => "wordpress",
        Shopify => "shopify",
        Multi => "multi",
    }
);

text_enum!(
    /// How pages are framed: a header with navigation and a footer, or the content alone
    /// under a slim navigation bar.
    Layout {
        Default => "default",
        Minimal => "minimal",
    }
);

text_enum!(
    /// The font family the theme uses.
    #[derive(Default)]
    Typography {
        #[default]
        Sans => "sans",
        Serif => "serif",
        Mono => "mono",
    }
);

text_enum!(
    /// The kind of business a brief describes; structure generation picks its pages by it.
    #[derive(Default)]
    BusinessType {
        Saas => "saas",
        Agency => "agency",
        Ecommerce => "ecommerce",
        Restaurant => "restaurant",
        LocalService => "local_service",
        Portfolio => "portfolio",
        Nonprofit => "nonprofit",
        #[default]
        General => "general",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_list_the_choices() {
        for kind in HostingType::ALL {
            assert_eq!(kind.as_str().parse::<HostingType>().unwrap(), *kind);
        }
        let err = "ftp".parse::<HostingType>().unwrap_err();
        assert!(
            err.contains("igny8_sites, wordpress, shopify, multi"),
            "{err}"
        );
        assert_eq!(serde_json::to_value(PageType::Contact).unwrap(), "contact");
    }
}
