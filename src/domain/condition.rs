//! A rule's conditions: `{field, operator, value}` checked against a JSON context (an event's
//! payload, a manual run's context), combined by `all` or `any`.
//!
//! Evaluation never fails: a missing field or a value of the wrong type is an outcome of its
//! own, reported with the condition, and counts as not met.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

/// How a condition compares the context's value (left) with the rule's (right).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    /// The field's value is one of the rule's list.
    In,
    /// The field's text holds the rule's text, or the field's list holds the rule's value.
    Contains,
}

impl Operator {
    pub const ALL: [Operator; 8] = [
        Operator::Eq,
        Operator::Ne,
        Operator::Gt,
        Operator::Gte,
        Operator::Lt,
        Operator::Lte,
        Operator::In,
        Operator::Contains,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::Ne => "ne",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::In => "in",
            Operator::Contains => "contains",
        }
    }

    /// Whether the rule's value suits the operator; otherwise what it should be.
    fn check_value(self, value: &Value) -> Result<(), &'static str> {
        match self {
            Operator::Eq | Operator::Ne if is_scalar(value) || value.is_null() => Ok(()),
            Operator::Eq | Operator::Ne => Err("expected a string, number, boolean or null"),
            Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte
                if value.is_number() || value.is_string() =>
            {
                Ok(())
            }
            Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => {
                Err("expected a number or a string")
            }
            Operator::In => match value.as_array() {
                Some(items) if !items.is_empty() && items.iter().all(is_scalar) => Ok(()),
                _ => Err("expected a non-empty list of strings, numbers or booleans"),
            },
            Operator::Contains if is_scalar(value) => Ok(()),
            Operator::Contains => Err("expected a string, number or boolean"),
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Operator {
    type Err = String;

    fn from_str(s: &str) -> Result<Operator, String> {
        Operator::ALL
            .into_iter()
            .find(|op| op.as_str() == s)
            .ok_or_else(|| {
                format!("expected one of eq, ne, gt, gte, lt, lte, in, contains, found {s:?}")
            })
    }
}

/// How a rule's conditions combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConditionMode {
    /// Every condition is met (also when there are none).
    #[default]
    All,
    /// At least one is met; no conditions at all count as met.
    Any,
}

impl ConditionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionMode::All => "all",
            ConditionMode::Any => "any",
        }
    }
}

impl FromStr for ConditionMode {
    type Err = String;

    fn from_str(s: &str) -> Result<ConditionMode, String> {
        match s {
            "all" => Ok(ConditionMode::All),
            "any" => Ok(ConditionMode::Any),
            other => Err(format!("expected all or any, found {other:?}")),
        }
    }
}

/// A dotted path into the context, e.g. `content.optimization_scores.seo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath(String);

impl FieldPath {
    pub fn parse(path: &str) -> Result<FieldPath, String> {
        let valid = !path.is_empty()
            && path.split('.').all(|segment| {
                !segment.is_empty()
                    && segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            });
        if valid {
            Ok(FieldPath(path.to_owned()))
        } else {
            Err(format!(
                "expected a dotted path of letters, digits, '_' and '-' such as \
                 content.word_count, found {path:?}"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value at this path; a numeric segment also indexes a list.
    pub fn lookup<'a>(&self, context: &'a Value) -> Option<&'a Value> {
        self.0
            .split('.')
            .try_fold(context, |value, segment| match value {
                Value::Object(map) => map.get(segment),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            })
    }
}

impl Serialize for FieldPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// One checked condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    pub field: FieldPath,
    pub operator: Operator,
    pub value: Value,
}

impl Condition {
    /// Checks a condition as a rule gives it; the error names the part that is wrong
    /// (`field`, `operator` or `value`) and what was expected.
    pub fn parse(raw: &Value) -> Result<Condition, (&'static str, String)> {
        let Some(object) = raw.as_object() else {
            return Err(("", "expected an object {field, operator, value}".to_owned()));
        };
        if let Some(unknown) = object
            .keys()
            .find(|k| !matches!(k.as_str(), "field" | "operator" | "value"))
        {
            return Err((
                "",
                format!("unknown key {unknown:?}; expected field, operator and value"),
            ));
        }
        let field = match object.get("field") {
            Some(Value::String(path)) => FieldPath::parse(path).map_err(|e| ("field", e))?,
            Some(_) => return Err(("field", "expected a string".to_owned())),
            None => return Err(("field", "is required".to_owned())),
        };
        let operator = match object.get("operator") {
            Some(Value::String(op)) => op.parse::<Operator>().map_err(|e| ("operator", e))?,
            Some(_) => {
                return Err((
                    "operator",
                    "expected one of eq, ne, gt, gte, lt, lte, in, contains".to_owned(),
                ));
            }
            None => return Err(("operator", "is required".to_owned())),
        };
        let Some(value) = object.get("value") else {
            return Err(("value", "is required".to_owned()));
        };
        operator
            .check_value(value)
            .map_err(|expected| ("value", format!("{expected} for {operator}")))?;
        Ok(Condition {
            field,
            operator,
            value: value.clone(),
        })
    }

    /// Evaluates the condition against `context`.
    pub fn evaluate(&self, context: &Value) -> Outcome {
        let Some(actual) = self.field.lookup(context) else {
            return Outcome::Missing;
        };
        let met = match self.operator {
            Operator::Eq => same(actual, &self.value),
            Operator::Ne => same(actual, &self.value).map(|equal| !equal),
            Operator::Gt => order(actual, &self.value).map(|o| o == Ordering::Greater),
            Operator::Gte => order(actual, &self.value).map(|o| o != Ordering::Less),
            Operator::Lt => order(actual, &self.value).map(|o| o == Ordering::Less),
            Operator::Lte => order(actual, &self.value).map(|o| o != Ordering::Greater),
            Operator::In => {
                let items = self.value.as_array().map(Vec::as_slice).unwrap_or_default();
                let comparable: Vec<bool> = items
                    .iter()
                    .filter_map(|item| same(actual, item).ok())
                    .collect();
                if comparable.is_empty() {
                    Err(Mismatch::expected("a value of the list's types"))
                } else {
                    Ok(comparable.contains(&true))
                }
            }
            Operator::Contains => contains(actual, &self.value),
        };
        match met {
            Ok(true) => Outcome::Met,
            Ok(false) => Outcome::NotMet,
            Err(Mismatch { expected }) => Outcome::TypeMismatch {
                expected: expected.to_owned(),
                found: type_name(actual).to_owned(),
            },
        }
    }
}

/// What one condition found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Met,
    NotMet,
    /// The context has nothing at the field's path.
    Missing,
    /// The field's value cannot be compared this way.
    TypeMismatch {
        expected: String,
        found: String,
    },
}

impl Outcome {
    pub fn is_met(&self) -> bool {
        matches!(self, Outcome::Met)
    }
}

/// One condition with its outcome and the value it read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConditionResult {
    pub field: FieldPath,
    pub operator: Operator,
    pub value: Value,
    /// What the context holds at the field, when anything.
    pub actual: Option<Value>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Every condition's outcome and whether they are met together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub mode: ConditionMode,
    pub met: bool,
    pub conditions: Vec<ConditionResult>,
}

/// Evaluates `conditions` against `context`, combined by `mode`.
pub fn evaluate(conditions: &[Condition], mode: ConditionMode, context: &Value) -> Evaluation {
    let results: Vec<ConditionResult> = conditions
        .iter()
        .map(|condition| ConditionResult {
            field: condition.field.clone(),
            operator: condition.operator,
            value: condition.value.clone(),
            actual: condition.field.lookup(context).cloned(),
            outcome: condition.evaluate(context),
        })
        .collect();
    let met = results.is_empty()
        || match mode {
            ConditionMode::All => results.iter().all(|r| r.outcome.is_met()),
            ConditionMode::Any => results.iter().any(|r| r.outcome.is_met()),
        };
    Evaluation {
        mode,
        met,
        conditions: results,
    }
}

/// A comparison between values of types that do not compare.
struct Mismatch {
    expected: &'static str,
}

impl Mismatch {
    fn expected(expected: &'static str) -> Mismatch {
        Mismatch { expected }
    }
}

fn is_scalar(value: &Value) -> bool {
    matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// Equality of two values of one type; numbers compare by value (3 equals 3.0). Null equals
/// only null, and anything may be compared with null.
fn same(actual: &Value, expected: &Value) -> Result<bool, Mismatch> {
    match (actual, expected) {
        (Value::Null, _) | (_, Value::Null) => Ok(actual.is_null() && expected.is_null()),
        (Value::Number(a), Value::Number(b)) => Ok(a.as_f64() == b.as_f64()),
        (Value::String(a), Value::String(b)) => Ok(a == b),
        (Value::Bool(a), Value::Bool(b)) => Ok(a == b),
        _ => Err(Mismatch::expected(type_name(expected))),
    }
}

/// Order of numbers by value, and of strings by their characters (so ISO dates order by time).
fn order(actual: &Value, expected: &Value) -> Result<Ordering, Mismatch> {
    match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            a.partial_cmp(&b)
                .ok_or(Mismatch::expected("a finite number"))
        }
        (Value::String(a), Value::String(b)) => Ok(a.cmp(b)),
        (_, Value::Number(_)) => Err(Mismatch::expected("number")),
        _ => Err(Mismatch::expected("string")),
    }
}

fn contains(actual: &Value, expected: &Value) -> Result<bool, Mismatch> {
    match (actual, expected) {
        (Value::String(text), Value::String(part)) => Ok(text.contains(part.as_str())),
        (Value::Array(items), _) => Ok(items
            .iter()
            .any(|item| same(item, expected).unwrap_or(false))),
        (Value::String(_), _) => Err(Mismatch::expected("a list (the rule's value is not text)")),
        _ => Err(Mismatch::expected("a string or a list")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn condition(field: &str, operator: &str, value: Value) -> Condition {
        Condition::parse(&json!({ "field": field, "operator": operator, "value": value })).unwrap()
    }

    fn context() -> Value {
        json!({
            "content": {
                "word_count": 812,
                "source": "wordpress",
                "title": "Brewing at home",
                "tags": ["coffee", "guide"],
                "published": true,
                "excerpt": null,
                "optimization_scores": { "seo": 64.5 },
            }
        })
    }

    fn outcome(field: &str, operator: &str, value: Value) -> Outcome {
        condition(field, operator, value).evaluate(&context())
    }

    fn mismatch(expected: &str, found: &str) -> Outcome {
        Outcome::TypeMismatch {
            expected: expected.to_owned(),
            found: found.to_owned(),
        }
    }

    #[test]
    fn eq_and_ne_compare_numbers_by_value_and_text_exactly() {
        assert_eq!(
            outcome("content.word_count", "eq", json!(812.0)),
            Outcome::Met
        );
        assert_eq!(
            outcome("content.word_count", "eq", json!(811)),
            Outcome::NotMet
        );
        assert_eq!(
            outcome("content.source", "eq", json!("wordpress")),
            Outcome::Met
        );
        assert_eq!(
            outcome("content.source", "ne", json!("shopify")),
            Outcome::Met
        );
        assert_eq!(
            outcome("content.source", "ne", json!("wordpress")),
            Outcome::NotMet
        );
        assert_eq!(
            outcome("content.published", "eq", json!(true)),
            Outcome::Met
        );
        assert_eq!(outcome("content.excerpt", "eq", json!(null)), Outcome::Met);
        assert_eq!(
            outcome("content.source", "eq", json!(null)),
            Outcome::NotMet
        );
    }

    #[test]
    fn eq_and_ne_across_types_are_mismatches() {
        assert_eq!(
            outcome("content.word_count", "eq", json!("812")),
            mismatch("string", "number")
        );
        assert_eq!(
            outcome("content.source", "ne", json!(3)),
            mismatch("number", "string")
        );
        assert_eq!(
            outcome("content.tags", "eq", json!("coffee")),
            mismatch("string", "list")
        );
    }

    #[test]
    fn ordering_operators_on_numbers_and_strings() {
        let seo = "content.optimization_scores.seo";
        assert_eq!(outcome(seo, "gt", json!(64)), Outcome::Met);
        assert_eq!(outcome(seo, "gt", json!(64.5)), Outcome::NotMet);
        assert_eq!(outcome(seo, "gte", json!(64.5)), Outcome::Met);
        assert_eq!(outcome(seo, "gte", json!(65)), Outcome::NotMet);
        assert_eq!(outcome(seo, "lt", json!(65)), Outcome::Met);
        assert_eq!(outcome(seo, "lt", json!(64.5)), Outcome::NotMet);
        assert_eq!(outcome(seo, "lte", json!(64.5)), Outcome::Met);
        assert_eq!(outcome(seo, "lte", json!(64)), Outcome::NotMet);
        assert_eq!(
            outcome("content.source", "gt", json!("shopify")),
            Outcome::Met
        );
        assert_eq!(outcome("content.source", "lt", json!("a")), Outcome::NotMet);
        assert_eq!(outcome("content.source", "lt", json!("x")), Outcome::Met);
    }

    #[test]
    fn ordering_across_types_is_a_mismatch() {
        assert_eq!(
            outcome("content.source", "gt", json!(100)),
            mismatch("number", "string")
        );
        assert_eq!(
            outcome("content.word_count", "lte", json!("900")),
            mismatch("string", "number")
        );
        assert_eq!(
            outcome("content.tags", "gte", json!(1)),
            mismatch("number", "list")
        );
        assert_eq!(
            outcome("content.published", "lt", json!(1)),
            mismatch("number", "boolean")
        );
        assert_eq!(
            outcome("content.excerpt", "gt", json!("a")),
            mismatch("string", "null")
        );
    }

    #[test]
    fn in_matches_one_of_the_list() {
        let sources = json!(["wordpress", "shopify"]);
        assert_eq!(outcome("content.source", "in", sources), Outcome::Met);
        assert_eq!(
            outcome("content.source", "in", json!(["custom"])),
            Outcome::NotMet
        );
        assert_eq!(
            outcome("content.word_count", "in", json!([100, 812])),
            Outcome::Met
        );
        assert_eq!(
            outcome("content.word_count", "in", json!(["812", "900"])),
            mismatch("a value of the list's types", "number")
        );
        // A mixed list compares with the items of the field's type.
        assert_eq!(
            outcome("content.word_count", "in", json!(["x", 812])),
            Outcome::Met
        );
    }

    #[test]
    fn contains_looks_into_text_and_lists() {
        assert_eq!(
            outcome("content.title", "contains", json!("Brew")),
            Outcome::Met
        );
        assert_eq!(
            outcome("content.title", "contains", json!("brew")),
            Outcome::NotMet
        );
        assert_eq!(
            outcome("content.tags", "contains", json!("guide")),
            Outcome::Met
        );
        assert_eq!(
            outcome("content.tags", "contains", json!("tea")),
            Outcome::NotMet
        );
        assert_eq!(
            outcome("content.word_count", "contains", json!(8)),
            mismatch("a string or a list", "number")
        );
        assert_eq!(
            outcome("content.title", "contains", json!(3)),
            mismatch("a list (the rule's value is not text)", "string")
        );
    }

    #[test]
    fn missing_fields_are_their_own_outcome() {
        assert_eq!(outcome("content.nothing", "eq", json!(1)), Outcome::Missing);
        assert_eq!(
            outcome("content.source.deeper", "eq", json!(1)),
            Outcome::Missing
        );
        assert_eq!(outcome("keyword.volume", "gt", json!(1)), Outcome::Missing);
        assert_eq!(
            outcome("content.tags.1", "eq", json!("guide")),
            Outcome::Met
        );
    }

    #[test]
    fn all_needs_every_condition_and_any_needs_one() {
        let conditions = vec![
            condition("content.word_count", "gt", json!(500)),
            condition("content.source", "eq", json!("shopify")),
        ];
        let all = evaluate(&conditions, ConditionMode::All, &context());
        assert!(!all.met);
        assert_eq!(all.conditions[0].outcome, Outcome::Met);
        assert_eq!(all.conditions[1].outcome, Outcome::NotMet);
        assert_eq!(all.conditions[1].actual, Some(json!("wordpress")));
        assert!(evaluate(&conditions, ConditionMode::Any, &context()).met);
        let none_met = vec![condition("content.word_count", "lt", json!(10))];
        assert!(!evaluate(&none_met, ConditionMode::Any, &context()).met);
        assert!(evaluate(&[], ConditionMode::All, &context()).met);
        assert!(evaluate(&[], ConditionMode::Any, &context()).met);
    }

    #[test]
    fn a_mismatch_is_not_met_in_either_mode() {
        let conditions = vec![condition("content.source", "gt", json!(5))];
        assert!(!evaluate(&conditions, ConditionMode::All, &context()).met);
        assert!(!evaluate(&conditions, ConditionMode::Any, &context()).met);
        let json =
            serde_json::to_value(evaluate(&conditions, ConditionMode::All, &context())).unwrap();
        assert_eq!(json["conditions"][0]["outcome"], "type_mismatch");
        assert_eq!(json["conditions"][0]["found"], "string");
    }

    #[test]
    fn conditions_are_checked_when_parsed() {
        let err = |raw: Value| Condition::parse(&raw).unwrap_err();
        assert_eq!(
            err(json!({"field": "a", "operator": "like", "value": 1})).0,
            "operator"
        );
        assert!(
            err(json!({"field": "a", "operator": "like", "value": 1}))
                .1
                .starts_with("expected one of eq, ne")
        );
        assert_eq!(
            err(json!({"field": "a..b", "operator": "eq", "value": 1})).0,
            "field"
        );
        assert_eq!(err(json!({"operator": "eq", "value": 1})).0, "field");
        assert_eq!(err(json!({"field": "a", "operator": "eq"})).0, "value");
        assert_eq!(
            err(json!({"field": "a", "operator": "in", "value": 3})).0,
            "value"
        );
        assert_eq!(
            err(json!({"field": "a", "operator": "in", "value": []})).0,
            "value"
        );
        assert_eq!(
            err(json!({"field": "a", "operator": "gt", "value": true})).0,
            "value"
        );
        assert_eq!(
            err(json!({"field": "a", "operator": "contains", "value": [1]})).0,
            "value"
        );
        assert_eq!(
            err(json!({"field": "a", "operator": "eq", "value": {}})).0,
            "value"
        );
        assert_eq!(
            err(json!({"field": "a", "operator": "eq", "value": 1, "mode": "x"})).0,
            ""
        );
        assert_eq!(err(json!("content.word_count > 5")).0, "");
    }
}
