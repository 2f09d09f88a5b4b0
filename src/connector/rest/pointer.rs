//! A JSON pointer (RFC 6901) into a response, checked when the definition is read.

use serde::Deserialize;
use serde_json::Value;

/// Empty (the whole document) or `/`-separated reference tokens.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct JsonPointer(String);

impl JsonPointer {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value at the pointer; JSON `null` counts as absent.
    pub fn find<'a>(&self, document: &'a Value) -> Option<&'a Value> {
        document.pointer(&self.0).filter(|value| !value.is_null())
    }

    /// The value as text: strings as they are, numbers and booleans written out.
    pub fn text(&self, document: &Value) -> Option<String> {
        match self.find(document)? {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        }
    }
}

impl TryFrom<String> for JsonPointer {
    type Error = String;

    fn try_from(text: String) -> Result<JsonPointer, String> {
        if !text.is_empty() && !text.starts_with('/') {
            return Err(format!(
                "{text:?} is not a JSON pointer: expected \"\" or a path starting with /"
            ));
        }
        let mut escapes = text.split('~').skip(1);
        if escapes.any(|after| !after.starts_with(['0', '1'])) {
            return Err(format!(
                "{text:?} is not a JSON pointer: ~ must be followed by 0 or 1"
            ));
        }
        Ok(JsonPointer(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_are_checked_and_find_values() {
        for bad in ["posts", "/a~2b", "/a~"] {
            assert!(JsonPointer::try_from(bad.to_owned()).is_err(), "{bad}");
        }
        let document = json!({"posts": [{"id": 7, "a/b": "x", "gone": null}]});
        let pointer = |text: &str| JsonPointer::try_from(text.to_owned()).unwrap();
        assert_eq!(pointer("/posts/0/id").text(&document).as_deref(), Some("7"));
        assert_eq!(
            pointer("/posts/0/a~1b").text(&document).as_deref(),
            Some("x")
        );
        assert_eq!(pointer("/posts/0/gone").find(&document), None);
        assert_eq!(pointer("").find(&document), Some(&document));
    }
}
