//! Values that expressions and rules compute with, and their JSON forms.
//!
//! Entra's mapping language is string-centred (.NET `object` values converted on demand); this
//! model keeps the few kinds the functions distinguish. NULL (an absent attribute) is distinct
//! from `""` (present but empty), as the `--input` contract says.

use chrono::NaiveDateTime;
use serde_json::Value as Json;

use crate::dotnet::datetime;

/// A value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// No value: an absent attribute, or JSON `null`.
    Null,
    /// A string; `""` is present but empty.
    Str(String),
    /// A whole number.
    Int(i64),
    /// A boolean; converts to the strings `True` / `False` as .NET does.
    Bool(bool),
    /// A UTC date-time; renders as `M/d/yyyy h:mm:ss tt`.
    Date(NaiveDateTime),
    /// A multi-valued attribute. An empty list is treated as NULL.
    List(Vec<Value>),
    /// A complex value (an app role assignment, an assigned plan): fields in input order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// NULL, or a multi-valued attribute with no values.
    pub fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::List(items) => items.is_empty(),
            _ => false,
        }
    }

    /// NULL or the empty string.
    pub fn is_null_or_empty(&self) -> bool {
        match self {
            Value::Str(s) => s.is_empty(),
            other => other.is_null(),
        }
    }

    /// The field `name` of a complex value (case-insensitive, as SCIM and Graph names are).
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string form of a single value (.NET `ToString()` with the invariant culture);
    /// `None` for NULL and for lists.
    pub fn as_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match self {
            Value::Str(s) => Some(Cow::Borrowed(s)),
            Value::Int(n) => Some(Cow::Owned(n.to_string())),
            Value::Bool(true) => Some(Cow::Borrowed("True")),
            Value::Bool(false) => Some(Cow::Borrowed("False")),
            Value::Date(d) => Some(Cow::Owned(datetime::render(d))),
            Value::Object(_) => Some(Cow::Owned(self.to_json().to_string())),
            Value::Null | Value::List(_) => None,
        }
    }

    /// Converts an `--input` JSON value: arrays become multi-valued attributes, objects become
    /// complex values, numbers that are not whole become strings as written.
    pub fn from_json(json: &Json) -> Value {
        match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Str(n.to_string()),
            },
            Json::String(s) => Value::Str(s.clone()),
            Json::Array(items) => Value::List(items.iter().map(Value::from_json).collect()),
            Json::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The JSON form printed by `roster expr`: strings, numbers and booleans as themselves,
    /// dates in Entra's rendering, lists as arrays.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Str(s) => Json::String(s.clone()),
            Value::Int(n) => Json::from(*n),
            Value::Bool(b) => Json::Bool(*b),
            Value::Date(d) => Json::String(datetime::render(d)),
            Value::List(items) => Json::Array(items.iter().map(Value::to_json).collect()),
            Value::Object(fields) => Json::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// A total order on values that depends on their content only: by kind (NULL, boolean,
    /// number, date, string, list, complex), then by value (strings by their UTF-8 bytes, lists
    /// and complex values item by item). Used wherever a choice between records must not depend
    /// on the order of rows (`docs/decisions.md`).
    pub fn canonical_cmp(&self, other: &Value) -> std::cmp::Ordering {
        fn rank(v: &Value) -> u8 {
            match v {
                Value::Null => 0,
                Value::Bool(_) => 1,
                Value::Int(_) => 2,
                Value::Date(_) => 3,
                Value::Str(_) => 4,
                Value::List(_) => 5,
                Value::Object(_) => 6,
            }
        }
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Date(a), Value::Date(b)) => a.cmp(b),
            (Value::Str(a), Value::Str(b)) => a.cmp(b),
            (Value::List(a), Value::List(b)) => {
                for (x, y) in a.iter().zip(b) {
                    let o = x.canonical_cmp(y);
                    if o.is_ne() {
                        return o;
                    }
                }
                a.len().cmp(&b.len())
            }
            (Value::Object(a), Value::Object(b)) => {
                for ((kx, x), (ky, y)) in a.iter().zip(b) {
                    let o = kx.cmp(ky).then_with(|| x.canonical_cmp(y));
                    if o.is_ne() {
                        return o;
                    }
                }
                a.len().cmp(&b.len())
            }
            _ => rank(self).cmp(&rank(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_empty_are_distinct() {
        assert!(Value::Null.is_null());
        assert!(Value::List(vec![]).is_null());
        assert!(!Value::Str(String::new()).is_null());
        assert!(Value::Str(String::new()).is_null_or_empty());
    }

    #[test]
    fn json_round_trip() {
        let json: Json = serde_json::json!({"a": [1, "x", true, null], "b": 2.5, "c": {"k": 1}});
        let Json::Object(map) = &json else {
            unreachable!()
        };
        let a = Value::from_json(&map["a"]);
        assert_eq!(
            a,
            Value::List(vec![
                Value::Int(1),
                Value::Str("x".into()),
                Value::Bool(true),
                Value::Null
            ])
        );
        assert_eq!(Value::from_json(&map["b"]), Value::Str("2.5".into()));
        let c = Value::from_json(&map["c"]);
        assert_eq!(c, Value::Object(vec![("k".into(), Value::Int(1))]));
        assert_eq!(c.as_text().unwrap(), r#"{"k":1}"#);
        assert_eq!(a.to_json(), map["a"]);
    }

    #[test]
    fn canonical_order_is_total_and_by_content() {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let s = |t: &str| Value::Str(t.into());
        assert_eq!(Value::Null.canonical_cmp(&s("")), Less);
        assert_eq!(s("b").canonical_cmp(&s("a")), Greater);
        assert_eq!(Value::Int(2).canonical_cmp(&s("1")), Less, "kinds first");
        assert_eq!(
            Value::List(vec![s("a")]).canonical_cmp(&Value::List(vec![s("a"), s("b")])),
            Less
        );
        assert_eq!(
            Value::List(vec![s("a")]).canonical_cmp(&Value::List(vec![s("a")])),
            Equal
        );
    }

    #[test]
    fn text_forms_follow_dotnet() {
        assert_eq!(Value::Bool(true).as_text().unwrap(), "True");
        assert_eq!(Value::Int(-3).as_text().unwrap(), "-3");
        assert!(Value::Null.as_text().is_none());
    }
}
