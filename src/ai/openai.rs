//! The `openai` provider: the OpenAI-compatible chat-completions API (OpenAI, Ollama, vLLM,
//! llama.cpp server, LM Studio) and its images endpoint.
//!
//! Answers are asked for as JSON-schema structured output; a server that rejects
//! `json_schema` is asked again in JSON mode, and remembered as such. Either way the answer is
//! parsed and checked here, and an unusable one is sent back to the model with the reason, up
//! to `ai.max_retries` times. Requests answered 429 (after its `Retry-After`), 5xx, or not at
//! all are retried with exponential backoff, as often.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::ai::prompts::Templates;
use crate::ai::requests::{INTENTS, check_clusters, check_idea};
use crate::ai::{
    AiError, AiFuture, AiProvider, Answered, Article, ArticleBrief, Capability, ClusterBrief,
    GeneratedImage, IdeaDraft, KeywordInput, ProposedCluster, RewriteRequest, SiteStructureRequest,
    Usage,
};
use crate::domain::site_builder::kinds::{Layout, PageType, Typography};
use crate::domain::site_builder::structure::Structure;
use crate::settings::{AiSettings, ApiKey};

const NAME: &str = "openai";
/// The first retry waits this long; each next one twice as long.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// No wait, not even one a server asks for, is longer.
const MAX_WAIT: Duration = Duration::from_secs(60);

const SYSTEM: &str = "You are the planning and writing assistant of a content team. Answer with \
                      one JSON object and nothing else.";

/// The client of one OpenAI-compatible server.
pub struct OpenAi {
    http: reqwest::Client,
    base_url: String,
    model: String,
    image_model: Option<String>,
    api_key: Option<ApiKey>,
    max_retries: u32,
    templates: Templates,
    /// Set once the server rejected a `json_schema` response format.
    json_mode_only: AtomicBool,
}

#[derive(Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
    usage: Option<TokenUsage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    content: Option<String>,
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct TokenUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
}

#[derive(Deserialize)]
struct ImagesResponse {
    data: Vec<ImageData>,
}

#[derive(Deserialize)]
struct ImageData {
    url: Option<String>,
}

#[derive(Deserialize)]
struct ClustersAnswer {
    clusters: Vec<ProposedCluster>,
}

#[derive(Deserialize)]
struct IdeasAnswer {
    ideas: Vec<IdeaDraft>,
}

#[derive(Deserialize)]
struct RewriteAnswer {
    html: String,
}

/// What one request produced: a body, or a reason to stop.
enum Sent {
    Body(String),
    /// The server does not take `json_schema` response formats.
    SchemaUnsupported,
}

impl OpenAi {
    pub fn new(settings: &AiSettings, templates: Templates) -> Result<OpenAi, AiError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout())
            .connect_timeout(Duration::from_secs(10).min(settings.timeout()))
            .user_agent(concat!("igny8/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| AiError::Unavailable(format!("cannot build the HTTP client: {err}")))?;
        Ok(OpenAi {
            http,
            base_url: settings.base_url.clone(),
            model: settings.model.clone(),
            image_model: settings.image_model.clone(),
            api_key: settings.api_key.clone(),
            max_retries: settings.max_retries,
            templates,
            json_mode_only: AtomicBool::new(false),
        })
    }

    /// Asks for a JSON answer of shape `schema`, parsed as `T` and passed through `check`.
    async fn ask<T: DeserializeOwned>(
        &self,
        template: &'static str,
        prompt: String,
        schema: Value,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> Result<Answered<T>, AiError> {
        let mut usage = Usage {
            provider: NAME,
            model: Some(self.model.clone()),
            template: Some(template),
            ..Usage::default()
        };
        let system = format!(
            "{SYSTEM} The object follows this JSON schema: {}",
            serde_json::to_string(&schema).expect("a schema serializes")
        );
        let mut messages = vec![
            json!({"role": "system", "content": system}),
            json!({"role": "user", "content": prompt}),
        ];
        let attempts = self.max_retries + 1;
        let mut reason = String::new();
        for attempt in 1..=attempts {
            usage.attempts = attempt;
            let content = self
                .complete(template, &messages, &schema, &mut usage)
                .await?;
            let parsed = content
                .as_deref()
                .ok_or_else(|| "the answer had no content".to_owned())
                .and_then(|text| {
                    serde_json::from_str::<T>(strip_fences(text))
                        .map_err(|err| format!("the answer is not the JSON asked for: {err}"))
                })
                .and_then(|value| check(&value).map(|()| value));
            match parsed {
                Ok(value) => {
                    record(&usage);
                    return Ok(Answered { value, usage });
                }
                Err(why) => {
                    tracing::warn!(template, attempt, reason = %why, "The model's answer was not usable.");
                    messages
                        .push(json!({"role": "assistant", "content": content.unwrap_or_default()}));
                    messages.push(json!({
                        "role": "user",
                        "content": format!("That answer cannot be used: {why}. Answer again with \
                                            one JSON object that follows the schema."),
                    }));
                    reason = why;
                }
            }
        }
        record(&usage);
        Err(AiError::InvalidAnswer { attempts, reason })
    }

    /// One chat completion: the message's content.
    async fn complete(
        &self,
        template: &'static str,
        messages: &[Value],
        schema: &Value,
        usage: &mut Usage,
    ) -> Result<Option<String>, AiError> {
        loop {
            let json_mode = self.json_mode_only.load(Ordering::Relaxed);
            let response_format = if json_mode {
                json!({"type": "json_object"})
            } else {
                json!({
                    "type": "json_schema",
                    "json_schema": {"name": template, "strict": true, "schema": schema},
                })
            };
            let body = json!({
                "model": self.model,
                "messages": messages,
                "response_format": response_format,
            });
            let text = match self.post("chat/completions", &body, !json_mode).await? {
                Sent::Body(text) => text,
                Sent::SchemaUnsupported => {
                    tracing::info!(base_url = %self.base_url, "The AI server does not take JSON schemas; using JSON mode.");
                    self.json_mode_only.store(true, Ordering::Relaxed);
                    continue;
                }
            };
            let response: ChatResponse = serde_json::from_str(&text).map_err(|err| {
                AiError::Unavailable(format!(
                    "the server's answer is not a chat completion: {err}"
                ))
            })?;
            if let Some(tokens) = response.usage {
                usage.prompt_tokens += tokens.prompt_tokens;
                usage.completion_tokens += tokens.completion_tokens;
                usage.total_tokens += tokens.total_tokens;
            }
            let message = response.choices.into_iter().next().map(|c| c.message);
            return Ok(match message {
                Some(ChoiceMessage {
                    refusal: Some(refusal),
                    ..
                }) => Some(format!("{{\"refusal\": {}}}", json!(refusal))),
                Some(message) => message.content,
                None => None,
            });
        }
    }

    /// POSTs `body` to `path` under the base URL, retrying 429, 5xx and failed connections.
    async fn post(&self, path: &str, body: &Value, schema_sent: bool) -> Result<Sent, AiError> {
        let url = format!("{}/{path}", self.base_url);
        let mut retries = 0;
        loop {
            let mut request = self.http.post(&url).json(body);
            if let Some(key) = &self.api_key {
                request = request.bearer_auth(key.expose());
            }
            let (wait, failure) = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry_after(&response);
                    let text = response.text().await.unwrap_or_default();
                    if status.is_success() {
                        return Ok(Sent::Body(text));
                    }
                    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                        (retry_after, format!("{status}: {}", error_message(&text)))
                    } else if schema_sent
                        && status == StatusCode::BAD_REQUEST
                        && mentions_schema(&text)
                    {
                        return Ok(Sent::SchemaUnsupported);
                    } else {
                        return Err(AiError::Refused {
                            status: status.as_u16(),
                            message: error_message(&text),
                        });
                    }
                }
                Err(err) => (None, crate::jobs::handler::error_chain(&err)),
            };
            if retries >= self.max_retries {
                return Err(AiError::Unavailable(format!(
                    "{failure} (after {} attempts)",
                    retries + 1
                )));
            }
            let wait = wait
                .unwrap_or(FIRST_BACKOFF * 2_u32.pow(retries))
                .min(MAX_WAIT);
            tracing::warn!(url = %url, retry_in_ms = wait.as_millis() as u64, reason = %failure, "AI request failed; retrying.");
            tokio::time::sleep(wait).await;
            retries += 1;
        }
    }
}

/// Seconds from a `Retry-After` header (the HTTP-date form falls back to backoff).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The `error.message` of an OpenAI-style error body, else the body itself, shortened.
fn error_message(text: &str) -> String {
    let message = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| text.to_owned());
    message.chars().take(300).collect()
}

fn mentions_schema(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.contains("json_schema") || text.contains("response_format")
}

/// Some servers in JSON mode still wrap the object in a Markdown code fence.
fn strip_fences(text: &str) -> &str {
    let trimmed = text.trim();
    trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.strip_suffix("```"))
        .map_or(trimmed, str::trim)
}

fn record(usage: &Usage) {
    let template = usage.template.unwrap_or("none");
    metrics::counter!("igny8_ai_tokens_total", "template" => template, "kind" => "prompt")
        .increment(usage.prompt_tokens);
    metrics::counter!("igny8_ai_tokens_total", "template" => template, "kind" => "completion")
        .increment(usage.completion_tokens);
    tracing::info!(
        template,
        model = usage.model.as_deref().unwrap_or(""),
        attempts = usage.attempts,
        prompt_tokens = usage.prompt_tokens,
        completion_tokens = usage.completion_tokens,
        "AI request answered."
    );
}

fn nullable(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}

fn object(properties: Value) -> Value {
    let required: Vec<&String> = properties
        .as_object()
        .expect("properties are an object")
        .keys()
        .collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn clusters_schema() -> Value {
    object(json!({
        "clusters": {"type": "array", "items": object(json!({
            "name": {"type": "string"},
            "keyword_ids": {"type": "array", "items": {"type": "integer"}},
        }))},
    }))
}

fn outline_schema() -> Value {
    json!({"type": "array", "items": object(json!({
        "heading": {"type": "string"},
        "notes": nullable("string"),
    }))})
}

fn ideas_schema() -> Value {
    object(json!({
        "ideas": {"type": "array", "items": object(json!({
            "title": {"type": "string"},
            "description": {"type": "string"},
            "outline": outline_schema(),
            "target_keywords": {"type": "array", "items": {"type": "string"}},
            "intent": {"type": ["string", "null"], "enum": [INTENTS[0], INTENTS[1], INTENTS[2], INTENTS[3], null]},
            "estimated_word_count": {"type": "integer"},
        }))},
    }))
}

fn article_schema() -> Value {
    object(json!({
        "title": {"type": "string"},
        "html": {"type": "string"},
        "meta_description": nullable("string"),
    }))
}

fn rewrite_schema() -> Value {
    object(json!({"html": {"type": "string"}}))
}

fn one_of<T: Copy>(values: &[T], name: impl Fn(T) -> &'static str) -> Value {
    json!({"type": "string", "enum": values.iter().map(|&v| name(v)).collect::<Vec<_>>()})
}

/// A block of a page: its `type` names which one, and its other fields are that type's.
fn block(kind: &str, fields: Value) -> Value {
    let mut properties = json!({"type": {"type": "string", "enum": [kind]}});
    for (name, schema) in fields.as_object().expect("fields are an object") {
        properties[name] = schema.clone();
    }
    object(properties)
}

/// The shape of [`Structure`]: every field present, absent values as null.
fn structure_schema() -> Value {
    let text = json!({"type": "string"});
    let link = object(json!({"label": text, "href": text}));
    let items = |fields: Value| json!({"type": "array", "items": object(fields)});
    let blocks = json!({"anyOf": [
        block("hero", json!({
            "heading": text,
            "subheading": nullable("string"),
            "button": {"anyOf": [link, {"type": "null"}]},
        })),
        block("feature_grid", json!({
            "heading": nullable("string"),
            "items": items(json!({"title": text, "text": text})),
        })),
        block("stats", json!({
            "heading": nullable("string"),
            "items": items(json!({"value": text, "label": text})),
        })),
        block("testimonials", json!({
            "heading": nullable("string"),
            "items": items(json!({"quote": text, "author": text})),
        })),
        block("cta", json!({"heading": text, "text": nullable("string"), "button": link})),
        block("text", json!({"heading": nullable("string"), "body": text})),
        block("contact_form", json!({
            "heading": text,
            "intro": nullable("string"),
            "submit_label": nullable("string"),
        })),
    ]});
    object(json!({
        "pages": {"type": "array", "items": object(json!({
            "slug": text,
            "title": text,
            "type": one_of(PageType::ALL, PageType::as_str),
            "blocks": {"type": "array", "items": blocks},
        }))},
        "layout": one_of(Layout::ALL, Layout::as_str),
        "theme": object(json!({
            "primary": text,
            "accent": text,
            "background": text,
            "text": text,
            "typography": one_of(Typography::ALL, Typography::as_str),
            "personality": nullable("string"),
        })),
    }))
}

/// Checks a structure the model proposed as every structure is checked, naming the path of
/// the first problem so the model can be told.
fn check_structure(value: &Value) -> Result<(), String> {
    Structure::from_json(value).map(drop).map_err(|invalid| {
        if invalid.path.is_empty() {
            invalid.message
        } else {
            invalid.to_string()
        }
    })
}

fn or_unknown(value: Option<&str>) -> &str {
    value.unwrap_or("(not given)")
}

fn join_outline(outline: &[crate::ai::OutlineSection]) -> String {
    if outline.is_empty() {
        return "(none given: choose the sections yourself)".to_owned();
    }
    outline
        .iter()
        .map(|s| match &s.notes {
            Some(notes) => format!("- {}: {notes}", s.heading),
            None => format!("- {}", s.heading),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl AiProvider for OpenAi {
    fn name(&self) -> &'static str {
        NAME
    }

    fn ensure(&self, capability: Capability) -> Result<(), AiError> {
        match capability {
            Capability::Images if self.image_model.is_none() => Err(AiError::NotConfigured {
                operation: "image generation",
                key: "ai.image_model",
            }),
            _ => Ok(()),
        }
    }

    fn cluster_keywords<'a>(
        &'a self,
        keywords: &'a [KeywordInput],
    ) -> AiFuture<'a, Vec<ProposedCluster>> {
        Box::pin(async move {
            let list = keywords
                .iter()
                .map(|k| format!("{}: {}", k.id, k.keyword))
                .collect::<Vec<_>>()
                .join("\n");
            let prompt = self
                .templates
                .render("cluster_keywords", &[("keywords", &list)]);
            let answer = self
                .ask(
                    "cluster_keywords",
                    prompt,
                    clusters_schema(),
                    |a: &ClustersAnswer| check_clusters(keywords, &a.clusters),
                )
                .await?;
            Ok(Answered {
                value: answer.value.clusters,
                usage: answer.usage,
            })
        })
    }

    fn generate_ideas<'a>(&'a self, cluster: &'a ClusterBrief) -> AiFuture<'a, Vec<IdeaDraft>> {
        Box::pin(async move {
            let keywords = cluster.keywords.join("\n");
            let count = cluster.count.to_string();
            let prompt = self.templates.render(
                "generate_ideas",
                &[
                    ("cluster", &cluster.name),
                    ("keywords", &keywords),
                    ("intent", cluster.intent.as_deref().unwrap_or("not known")),
                    ("count", &count),
                ],
            );
            let answer = self
                .ask(
                    "generate_ideas",
                    prompt,
                    ideas_schema(),
                    |a: &IdeasAnswer| {
                        if a.ideas.is_empty() {
                            return Err("no ideas were given".to_owned());
                        }
                        a.ideas.iter().try_for_each(check_idea)
                    },
                )
                .await?;
            let mut ideas = answer.value.ideas;
            ideas.truncate(cluster.count);
            Ok(Answered {
                value: ideas,
                usage: answer.usage,
            })
        })
    }

    fn write_article<'a>(&'a self, brief: &'a ArticleBrief) -> AiFuture<'a, Article> {
        Box::pin(async move {
            let words = brief.target_word_count.to_string();
            let keywords = brief.keywords.join(", ");
            let outline = join_outline(&brief.outline);
            let prompt = self.templates.render(
                "write_article",
                &[
                    ("title", &brief.title),
                    ("content_type", &brief.content_type),
                    ("target_word_count", &words),
                    ("keywords", &keywords),
                    ("context", or_unknown(brief.context.as_deref())),
                    ("outline", &outline),
                ],
            );
            self.ask("write_article", prompt, article_schema(), |a: &Article| {
                if a.title.trim().is_empty() {
                    Err("the article has no title".to_owned())
                } else if a.html.trim().is_empty() {
                    Err("the article has no body".to_owned())
                } else {
                    Ok(())
                }
            })
            .await
        })
    }

    fn rewrite<'a>(&'a self, request: &'a RewriteRequest) -> AiFuture<'a, String> {
        Box::pin(async move {
            let goals = request.goals.join(", ");
            let prompt = self.templates.render(
                "rewrite_content",
                &[
                    ("title", &request.title),
                    ("goals", &goals),
                    (
                        "keyphrase",
                        request.keyphrase.as_deref().unwrap_or("(none)"),
                    ),
                    ("html", &request.html),
                ],
            );
            let answer = self
                .ask(
                    "rewrite_content",
                    prompt,
                    rewrite_schema(),
                    |a: &RewriteAnswer| {
                        if a.html.trim().is_empty() {
                            Err("the rewrite is empty".to_owned())
                        } else {
                            Ok(())
                        }
                    },
                )
                .await?;
            Ok(Answered {
                value: answer.value.html,
                usage: answer.usage,
            })
        })
    }

    fn generate_image<'a>(&'a self, prompt: &'a str) -> AiFuture<'a, GeneratedImage> {
        Box::pin(async move {
            let Some(model) = &self.image_model else {
                return Err(AiError::NotConfigured {
                    operation: "image generation",
                    key: "ai.image_model",
                });
            };
            let body = json!({"model": model, "prompt": prompt, "n": 1, "size": "1024x1024"});
            let Sent::Body(text) = self.post("images/generations", &body, false).await? else {
                unreachable!("no schema is sent to the images endpoint");
            };
            let response: ImagesResponse = serde_json::from_str(&text).map_err(|err| {
                AiError::Unavailable(format!(
                    "the server's answer is not an images response: {err}"
                ))
            })?;
            let image = response.data.into_iter().next();
            let Some(ImageData { url: Some(url) }) = image else {
                return Err(AiError::InvalidAnswer {
                    attempts: 1,
                    reason: "the images endpoint answered without an image URL".to_owned(),
                });
            };
            Ok(Answered {
                value: GeneratedImage {
                    url,
                    model: model.clone(),
                },
                usage: Usage {
                    provider: NAME,
                    model: Some(model.clone()),
                    attempts: 1,
                    ..Usage::default()
                },
            })
        })
    }

    fn site_structure<'a>(&'a self, request: &'a SiteStructureRequest) -> AiFuture<'a, Structure> {
        Box::pin(async move {
            let brief = &request.brief;
            let objectives = if brief.objectives.is_empty() {
                "(not given)".to_owned()
            } else {
                brief
                    .objectives
                    .iter()
                    .map(|o| format!("- {o}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let palette = if brief.style.palette.is_empty() {
                "(not given: choose them)".to_owned()
            } else {
                brief
                    .style
                    .palette
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let prompt = self.templates.render(
                "site_structure",
                &[
                    ("name", &request.name),
                    ("business_type", brief.business_type.as_str()),
                    ("industry", or_unknown(brief.industry.as_deref())),
                    ("audience", or_unknown(brief.audience.as_deref())),
                    ("brief", or_unknown(brief.brief.as_deref())),
                    ("objectives", &objectives),
                    ("palette", &palette),
                    ("typography", brief.style.typography.as_str()),
                    (
                        "personality",
                        or_unknown(brief.style.personality.as_deref()),
                    ),
                ],
            );
            let answer = self
                .ask(
                    "site_structure",
                    prompt,
                    structure_schema(),
                    check_structure,
                )
                .await?;
            let structure = Structure::from_json(&answer.value)
                .expect("the answer passed the same check when it was asked for");
            Ok(Answered {
                value: structure,
                usage: answer.usage,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenced_answers_are_unwrapped() {
        assert_eq!(strip_fences("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(strip_fences(" {\"a\": 1} "), "{\"a\": 1}");
    }

    #[test]
    fn strict_schemas_require_every_property() {
        let schema = article_schema();
        assert_eq!(
            schema["required"],
            json!(["html", "meta_description", "title"])
        );
        assert_eq!(schema["additionalProperties"], json!(false));
    }

    #[test]
    fn every_block_type_has_a_strict_shape() {
        let schema = structure_schema();
        let blocks = &schema["properties"]["pages"]["items"]["properties"]["blocks"]["items"];
        let kinds: Vec<&Value> = blocks["anyOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|block| {
                assert_eq!(block["additionalProperties"], json!(false));
                &block["properties"]["type"]["enum"][0]
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "hero",
                "feature_grid",
                "stats",
                "testimonials",
                "cta",
                "text",
                "contact_form"
            ]
        );
        assert_eq!(
            schema["properties"]["pages"]["items"]["properties"]["type"]["enum"],
            json!([
                "home", "about", "services", "products", "blog", "contact", "custom"
            ])
        );
    }

    #[test]
    fn a_structure_answer_is_refused_naming_the_path() {
        let answer = json!({
            "layout": "default",
            "theme": {"primary": "#111111", "accent": "#222222", "background": "#ffffff",
                      "text": "#000000", "typography": "sans", "personality": null},
            "pages": [
                {"slug": "home", "title": "Home", "type": "home", "blocks": [
                    {"type": "hero", "heading": "Hi", "subheading": null, "button": null}
                ]},
                {"slug": "home", "title": "Again", "type": "custom", "blocks": []}
            ]
        });
        let reason = check_structure(&answer).unwrap_err();
        assert!(reason.starts_with("pages[1].slug: "), "{reason}");
        let mut fixed = answer.clone();
        fixed["pages"][1]["slug"] = json!("again");
        assert_eq!(check_structure(&fixed), Ok(()));
    }
}
