//! `site check`: what stands between igny8 and a WordPress site, each cause with its own
//! message. WordPress answers a request whose credentials it cannot use as if it carried none,
//! so the check reads `users/me` in edit context rather than trusting a public 200.

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde_json::Value;
use url::{Host, Url};

use crate::connector::ConnectorError;
use crate::connector::wordpress::api::{WpApi, error_body};

/// What the check found. `ok` is true only when a sync can read drafts and raw content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Diagnosis {
    pub ok: bool,
    /// Stable: ok, read_only, unreachable, not_wordpress, rest_disabled, plain_http_password,
    /// application_passwords_unavailable, auth_header_stripped, wrong_credentials,
    /// missing_capability, credentials_unreadable.
    pub code: &'static str,
    pub message: String,
}

impl Diagnosis {
    pub fn problem(code: &'static str, message: impl Into<String>) -> Diagnosis {
        Diagnosis {
            ok: false,
            code,
            message: message.into(),
        }
    }
}

/// Whether a URL's host is this machine, where plain HTTP does not expose a password.
pub fn is_local(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain == "localhost" || domain.ends_with(".localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Runs the check. `anonymous` and `authenticated` reach the same site, without and with the
/// configured credentials (`None` when the site has none).
pub async fn diagnose(
    base_url: &Url,
    anonymous: &WpApi,
    authenticated: Option<&WpApi>,
) -> Diagnosis {
    if authenticated.is_some() && base_url.scheme() == "http" && !is_local(base_url) {
        return Diagnosis::problem(
            "plain_http_password",
            format!(
                "{base_url} is plain HTTP on a host that is not this machine: the application password \
                 would cross the network in the clear (and WordPress only enables application passwords \
                 over HTTPS); use an https:// address"
            ),
        );
    }
    let index = match read_index(anonymous).await {
        Ok(index) => index,
        Err(diagnosis) => return diagnosis,
    };
    let namespaces: Vec<&str> = index
        .get("namespaces")
        .and_then(Value::as_array)
        .map(|n| n.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !namespaces.contains(&"wp/v2") {
        return Diagnosis::problem(
            "rest_disabled",
            "the REST index answers but offers no wp/v2 routes: a plugin or the host has turned the \
             content endpoints off",
        );
    }
    let Some(api) = authenticated else {
        return Diagnosis {
            ok: true,
            code: "read_only",
            message:
                "WordPress answers; without a username and application password only published \
                      content can be read and nothing can be pushed"
                    .to_owned(),
        };
    };
    let response = match api
        .request(
            Method::GET,
            "wp/v2/users/me",
            &[("context", "edit".to_owned())],
            None,
            &[],
        )
        .await
    {
        Ok(response) => response,
        Err(err) => return Diagnosis::problem("unreachable", err.to_string()),
    };
    let status = response.status();
    if status.is_success() {
        let me: Value = response.json().await.unwrap_or_default();
        let name = me
            .get("slug")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let can_edit = me
            .get("capabilities")
            .and_then(|c| c.get("edit_posts"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        return if can_edit {
            Diagnosis {
                ok: true,
                code: "ok",
                message: format!(
                    "signed in as {name}, who may edit posts: drafts and raw content can be synced"
                ),
            }
        } else {
            Diagnosis::problem(
                "missing_capability",
                format!(
                    "signed in as {name}, but that user lacks the edit_posts capability, which reading \
                     drafts and raw content needs; use an Editor or Administrator"
                ),
            )
        };
    }
    let error = error_body(response).await;
    match error.code.as_str() {
        "incorrect_password" | "invalid_username" | "invalid_email" => Diagnosis::problem(
            "wrong_credentials",
            format!("WordPress refused the credentials: {}", error.message),
        ),
        "application_passwords_disabled" => Diagnosis::problem(
            "application_passwords_unavailable",
            "application passwords are turned off on this site (WordPress enables them only over HTTPS, \
             or when WP_ENVIRONMENT_TYPE is 'local')",
        ),
        _ if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN => {
            anonymous_answer(api, namespaces.contains(&"igny8/v1")).await
        }
        _ => Diagnosis::problem(
            "unreachable",
            format!(
                "users/me answered {status} {}: {}",
                error.code, error.message
            ),
        ),
    }
}

/// The credentials were not used: either they never arrived or WordPress did not accept them.
/// The companion plugin can tell which.
async fn anonymous_answer(api: &WpApi, companion_plugin: bool) -> Diagnosis {
    if companion_plugin
        && let Ok(response) = api
            .request(Method::GET, "igny8/v1/auth-header", &[], None, &[])
            .await
    {
        let seen: Value = response.json().await.unwrap_or_default();
        if seen.get("authorization_header") == Some(&Value::Bool(false)) {
            return Diagnosis::problem(
                "auth_header_stripped",
                "the host removes the Authorization header before WordPress sees it; on Apache add \
                 `RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]` to .htaccess, or \
                 `CGIPassAuth On`",
            );
        }
    }
    Diagnosis::problem(
        "wrong_credentials",
        if companion_plugin {
            "WordPress received the credentials but did not accept them: check the username (the \
             login name, not the application password's label) and the application password"
        } else {
            "WordPress treated the request as anonymous: the username (the login name, not the \
             application password's label) or the application password is wrong, or the host strips \
             the Authorization header (install the companion plugin to tell which)"
        },
    )
}

async fn read_index(api: &WpApi) -> Result<Value, Diagnosis> {
    let response =
        api.request(Method::GET, "/", &[], None, &[])
            .await
            .map_err(|err| match err {
                ConnectorError::Transient(message)
                | ConnectorError::RateLimited { message, .. } => Diagnosis::problem(
                    "unreachable",
                    format!("{} does not answer: {message}", api.root()),
                ),
                other => Diagnosis::problem("unreachable", other.to_string()),
            })?;
    let status = response.status();
    let body = response.bytes().await.unwrap_or_default();
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    match json {
        Some(index) if index.get("namespaces").is_some() => Ok(index),
        // WordPress's own refusals (rest_disabled, rest_login_required, rest_cannot_access, ...)
        // share the prefix; any other JSON is someone else's error.
        Some(error)
            if error
                .get("code")
                .and_then(Value::as_str)
                .is_some_and(|code| code.starts_with("rest_")) =>
        {
            Err(Diagnosis::problem(
                "rest_disabled",
                format!(
                    "WordPress's REST API refuses requests ({status} {}): a security plugin or the host \
                 has disabled or restricted it",
                    error["code"].as_str().unwrap_or("")
                ),
            ))
        }
        _ => {
            let looks_like_wordpress = String::from_utf8_lossy(&body).contains("wp-content");
            Err(if looks_like_wordpress {
                Diagnosis::problem(
                    "rest_disabled",
                    format!(
                        "the site looks like WordPress but {} answered {status} without the REST index: \
                         the REST API is blocked, or pretty permalinks are off",
                        api.root()
                    ),
                )
            } else {
                Diagnosis::problem(
                    "not_wordpress",
                    format!(
                        "{} answered {status} with no WordPress REST index: this is not a WordPress site, or the address is wrong",
                        api.root()
                    ),
                )
            })
        }
    }
}
