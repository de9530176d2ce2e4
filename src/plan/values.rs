//! Comparing a desired value with what an export holds, across the ways exports write values.
//!
//! An export writes a boolean as `true`, `"True"` or `TRUE` (LDAP), a number as text (LDIF,
//! CSV), a date as RFC 3339 or as Entra's rendering, one value of a multi-valued attribute as a
//! string. Two values are the same when they mean the same: booleans by truth, numbers by
//! value, dates by instant, lists as sets, text exactly (a change of case is a change a
//! directory stores).

use crate::actual::Cell;
use crate::value::Value;

/// What the export says about one attribute, against the desired value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compared {
    /// The same.
    Same,
    /// Different: an update.
    Different,
    /// The export does not say: nothing is planned.
    Unknown,
}

/// Compares the desired `want` with the export's `have`.
pub fn compare(want: &Value, have: Cell<'_>) -> Compared {
    match have {
        Cell::Absent => Compared::Unknown,
        Cell::Null => {
            if empty(want) {
                Compared::Same
            } else {
                Compared::Different
            }
        }
        Cell::Value(v) => {
            if same(want, v) {
                Compared::Same
            } else {
                Compared::Different
            }
        }
        Cell::Text(t) => {
            let equal = match want {
                // Two strings are the same when equal, or both empty.
                Value::Str(w) => w == t,
                Value::Null => t.is_empty(),
                other => same(other, &Value::Str(t.to_string())),
            };
            if equal {
                Compared::Same
            } else {
                Compared::Different
            }
        }
    }
}

/// NULL, an empty string or an empty list: what a directory does not store.
pub fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Str(s) => s.is_empty(),
        Value::List(items) => items.is_empty(),
        _ => false,
    }
}

/// Whether two values mean the same.
pub fn same(want: &Value, have: &Value) -> bool {
    if empty(want) && empty(have) {
        return true;
    }
    match (want, have) {
        // The common case, without rendering either as text.
        (Value::Str(a), Value::Str(b)) => a == b,
        (Value::List(a), Value::List(b)) => set_of(a) == set_of(b),
        (Value::List(a), b) | (b, Value::List(a)) => {
            a.len() == 1 && a.first().is_some_and(|x| same(x, b))
        }
        (Value::Bool(a), b) | (b, Value::Bool(a)) => truth(b) == Some(*a),
        (Value::Int(a), b) | (b, Value::Int(a)) => number(b) == Some(*a),
        (Value::Date(a), b) | (b, Value::Date(a)) => date(b) == Some(*a),
        _ => text(want) == text(have),
    }
}

/// The values of a multi-valued attribute as a sorted set of texts.
pub fn set_of(items: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = items.iter().map(text).collect();
    out.sort();
    out.dedup();
    out
}

/// A value as text, the way the report writes it.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Value::Date(d) => d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Value::List(items) => set_of(items).join(", "),
        Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| format!("{k}={}", text(v)))
            .collect::<Vec<_>>()
            .join(";"),
    }
}

fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Str(s) => match s.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn date(v: &Value) -> Option<chrono::NaiveDateTime> {
    match v {
        Value::Date(d) => Some(*d),
        Value::Str(s) => chrono::DateTime::parse_from_rfc3339(s.trim())
            .ok()
            .map(|d| d.naive_utc())
            .or_else(|| crate::dotnet::datetime::parse(s).ok()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    #[test]
    fn values_compare_by_meaning() {
        assert!(same(&Value::Bool(true), &s("TRUE")));
        assert!(same(&Value::Bool(false), &s("False")));
        assert!(!same(&Value::Bool(false), &s("yes")));
        assert!(same(&Value::Int(42), &s("42")));
        assert!(same(
            &Value::List(vec![s("b"), s("a")]),
            &Value::List(vec![s("a"), s("b"), s("a")])
        ));
        assert!(!same(
            &Value::List(vec![s("a")]),
            &Value::List(vec![s("a"), s("c")])
        ));
        assert!(same(&Value::List(vec![s("a")]), &s("a")));
        assert!(!same(&s("Smith"), &s("smith")), "case is a change");
        assert!(same(&Value::Null, &s("")));
        let d = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
            .unwrap_or_default()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default();
        assert!(same(&Value::Date(d), &s("2026-01-05T00:00:00Z")));
        assert_eq!(compare(&s("x"), Cell::Absent), Compared::Unknown);
        assert_eq!(compare(&Value::Null, Cell::Null), Compared::Same);
        assert_eq!(compare(&s("x"), Cell::Null), Compared::Different);
    }
}
