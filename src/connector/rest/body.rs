//! The body of a write-back request: a TOML table written as JSON, whose string values may be
//! exactly one placeholder. `{{title}}`, `{{content}}` and `{{excerpt}}` take the patch's
//! fields, and a key whose field the patch leaves alone is left out, so only changed fields
//! are sent; `{{expected_modified}}` takes the modified time read, in the stream's format.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::connector::remote::Patch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholder {
    Title,
    Content,
    Excerpt,
    ExpectedModified,
}

impl Placeholder {
    fn read(text: &str) -> Result<Option<Placeholder>, String> {
        let placeholder = match text {
            "{{title}}" => Placeholder::Title,
            "{{content}}" => Placeholder::Content,
            "{{excerpt}}" => Placeholder::Excerpt,
            "{{expected_modified}}" => Placeholder::ExpectedModified,
            other if other.contains("{{") || other.contains("}}") => {
                return Err(format!(
                    "{other:?} is not a placeholder: a value may be exactly one of \
                     {{{{title}}}}, {{{{content}}}}, {{{{excerpt}}}} or {{{{expected_modified}}}}"
                ));
            }
            _ => return Ok(None),
        };
        Ok(Some(placeholder))
    }
}

/// A checked body template.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "toml::Table")]
pub struct BodyTemplate(Value);

impl TryFrom<toml::Table> for BodyTemplate {
    type Error = String;

    fn try_from(table: toml::Table) -> Result<BodyTemplate, String> {
        let value = serde_json::to_value(&table)
            .map_err(|err| format!("cannot be written as JSON: {err}"))?;
        check(&value, "body")?;
        if !mentions_patch_field(&value) {
            return Err(
                "must use at least one of {{title}}, {{content}} or {{excerpt}}".to_owned(),
            );
        }
        Ok(BodyTemplate(value))
    }
}

fn check(value: &Value, at: &str) -> Result<(), String> {
    match value {
        Value::String(text) => Placeholder::read(text)
            .map(|_| ())
            .map_err(|err| format!("{at}: {err}")),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(index, item)| check(item, &format!("{at}[{index}]"))),
        Value::Object(map) => map
            .iter()
            .try_for_each(|(key, item)| check(item, &format!("{at}.{key}"))),
        _ => Ok(()),
    }
}

fn any_placeholder(value: &Value, wanted: &dyn Fn(Placeholder) -> bool) -> bool {
    match value {
        Value::String(text) => matches!(Placeholder::read(text), Ok(Some(found)) if wanted(found)),
        Value::Array(items) => items.iter().any(|item| any_placeholder(item, wanted)),
        Value::Object(map) => map.values().any(|item| any_placeholder(item, wanted)),
        _ => false,
    }
}

fn mentions_patch_field(value: &Value) -> bool {
    any_placeholder(value, &|found| found != Placeholder::ExpectedModified)
}

impl BodyTemplate {
    pub fn uses_expected_modified(&self) -> bool {
        any_placeholder(&self.0, &|found| found == Placeholder::ExpectedModified)
    }

    /// The body for `patch`, carrying `expected_modified` where the template asks for it.
    pub fn render(&self, patch: &Patch, expected_modified: &str) -> Value {
        fill(&self.0, patch, expected_modified).unwrap_or(Value::Null)
    }
}

/// The filled value, or `None` when it is a placeholder the patch leaves out.
fn fill(value: &Value, patch: &Patch, expected_modified: &str) -> Option<Value> {
    match value {
        Value::String(text) => match Placeholder::read(text) {
            Ok(Some(Placeholder::Title)) => patch.title.clone().map(Value::String),
            Ok(Some(Placeholder::Content)) => patch.content.clone().map(Value::String),
            Ok(Some(Placeholder::Excerpt)) => patch.excerpt.clone().map(Value::String),
            Ok(Some(Placeholder::ExpectedModified)) => {
                Some(Value::String(expected_modified.to_owned()))
            }
            _ => Some(value.clone()),
        },
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .filter_map(|item| fill(item, patch, expected_modified))
                .collect(),
        )),
        Value::Object(map) => Some(Value::Object(
            map.iter()
                .filter_map(|(key, item)| {
                    fill(item, patch, expected_modified).map(|filled| (key.clone(), filled))
                })
                .collect::<Map<String, Value>>(),
        )),
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(text: &str) -> Result<BodyTemplate, String> {
        BodyTemplate::try_from(text.parse::<toml::Table>().unwrap())
    }

    #[test]
    fn only_the_changed_fields_and_the_version_are_sent() {
        let body = template(
            r#"posts = [{ html = "{{content}}", title = "{{title}}", updated_at = "{{expected_modified}}" }]"#,
        )
        .unwrap();
        assert!(body.uses_expected_modified());
        let patch = Patch {
            content: Some("<p>new</p>".to_owned()),
            ..Patch::default()
        };
        assert_eq!(
            body.render(&patch, "2026-01-01T00:00:00.000Z"),
            json!({"posts": [{"html": "<p>new</p>", "updated_at": "2026-01-01T00:00:00.000Z"}]})
        );
    }

    #[test]
    fn unknown_placeholders_and_bodies_without_fields_are_refused() {
        let err = template(r#"data = { body = "{{contents}}" }"#).unwrap_err();
        assert!(err.contains("body.data.body"), "{err}");
        assert!(template(r#"data = { version = "{{expected_modified}}" }"#).is_err());
    }
}
