//! Whether each account is enabled: one decision, which the report's `enabled` and the
//! target's own enable/disable attribute both show.
//!
//! The lifecycle decides first (only `active` enables). A mapped enable/disable attribute
//! (`accountEnabled`, `accountDisabled`, and `active` in a SCIM target) may disable an account
//! the lifecycle enables — a policy choice, such as disabling workers on leave — but never
//! enables one the lifecycle disables: where its mapped value says "enabled" (or cannot be
//! read as true or false) for a disabled account, the value is written as "disabled" and the
//! disagreement is reported (`E122`) with the identity, target and attribute.

use crate::codes::Code;
use crate::column::Column;
use crate::diagnostics::Severity;
use crate::ingest::DataIssue;
use crate::policy::raw::TargetKind;
use crate::rule::sets::Bitset;
use crate::value::Value;

use super::report::Lifecycle;

/// Whether a target attribute enables (`true`) or disables (`false`) the account when true.
pub fn switch_attribute(kind: TargetKind, name: &str) -> Option<bool> {
    if name.eq_ignore_ascii_case("accountEnabled") {
        Some(true)
    } else if name.eq_ignore_ascii_case("accountDisabled") {
        Some(false)
    } else if kind == TargetKind::Scim && name.eq_ignore_ascii_case("active") {
        Some(true)
    } else {
        None
    }
}

/// A value read as true or false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    /// Nothing is written (null, empty).
    Nothing,
    /// True or false.
    Is(bool),
    /// Neither.
    Unreadable,
}

fn truth(value: &Value) -> Truth {
    match value {
        Value::Null => Truth::Nothing,
        Value::Bool(b) => Truth::Is(*b),
        Value::Int(0) => Truth::Is(false),
        Value::Int(1) => Truth::Is(true),
        Value::Str(t) => match t.trim() {
            "" => Truth::Nothing,
            t if t.eq_ignore_ascii_case("true") => Truth::Is(true),
            t if t.eq_ignore_ascii_case("false") => Truth::Is(false),
            _ => Truth::Unreadable,
        },
        _ => Truth::Unreadable,
    }
}

/// What a mapping says about one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Says {
    Enabled,
    Disabled,
    Unreadable,
}

/// One enable/disable attribute: its index among the target's attributes, whether true
/// enables, and what it says for each holder that it writes a value for.
struct Switch {
    attribute: usize,
    enables: bool,
    said: Vec<(usize, Says)>,
}

/// The value that says "disabled", in the form of the value it replaces.
fn disabled_value(enables: bool, like: &Value) -> Value {
    let on = !enables;
    match like {
        Value::Bool(_) => Value::Bool(on),
        Value::Int(_) => Value::Int(i64::from(on)),
        _ => Value::Str(if on { "True" } else { "False" }.into()),
    }
}

/// Text of a value for a message.
fn shown(value: &Value) -> String {
    let text = value
        .as_text()
        .map_or_else(|| value.to_json().to_string(), std::borrow::Cow::into_owned);
    match text.char_indices().nth(64) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or_default()),
        None => text,
    }
}

/// Decides which holders of a target have an enabled account, rewrites the target's
/// enable/disable attributes to agree, and reports each value it rewrote. `who(i)` gives
/// identity `i`'s data file, row and key.
#[allow(clippy::too_many_arguments)]
pub fn decide_enabled(
    target: &str,
    kind: TargetKind,
    holders: &Bitset,
    lifecycle: &[Lifecycle],
    attributes: &mut [(String, Column, Option<Bitset>)],
    who: &dyn Fn(usize) -> (String, Option<usize>, String),
    issues: &mut Vec<DataIssue>,
) -> Bitset {
    let mut enabled = Bitset::with_capacity(holders.len());
    for i in holders.ones() {
        if lifecycle.get(i).is_some_and(|l| l.enabled()) {
            enabled.insert(i);
        }
    }
    let lifecycle_enabled = enabled.clone();
    let switches: Vec<Switch> = attributes
        .iter()
        .enumerate()
        .filter_map(|(a, (name, column, absent))| {
            let enables = switch_attribute(kind, name)?;
            let table: Vec<Truth> = column.dictionary().iter().map(truth).collect();
            let said = holders
                .ones()
                .filter(|&i| !absent.as_ref().is_some_and(|b| b.contains(i)))
                .filter_map(|i| match table.get(column.code(i) as usize)? {
                    Truth::Nothing => None,
                    Truth::Is(b) if *b == enables => Some((i, Says::Enabled)),
                    Truth::Is(_) => Some((i, Says::Disabled)),
                    Truth::Unreadable => Some((i, Says::Unreadable)),
                })
                .collect();
            Some(Switch {
                attribute: a,
                enables,
                said,
            })
        })
        .collect();
    // A mapping that says "disabled", or cannot be read, disables.
    for switch in &switches {
        for (i, says) in &switch.said {
            if *says != Says::Enabled {
                enabled.set(*i, false);
            }
        }
    }
    // A mapping that says "enabled" for a disabled account, or cannot be read, is rewritten.
    for switch in &switches {
        let (a, enables) = (&switch.attribute, &switch.enables);
        let rewrite: Vec<usize> = switch
            .said
            .iter()
            .filter(|(i, says)| match says {
                Says::Enabled => !enabled.contains(*i),
                Says::Disabled => false,
                Says::Unreadable => true,
            })
            .map(|(i, _)| *i)
            .collect();
        if rewrite.is_empty() {
            continue;
        }
        let Some((name, column, _)) = attributes.get_mut(*a) else {
            continue;
        };
        let mut fixed = Bitset::with_capacity(column.len());
        for &i in &rewrite {
            let value = column.get(i);
            let off = disabled_value(*enables, value);
            let why = if !lifecycle_enabled.contains(i) {
                format!(
                    "the lifecycle `{}` disables the account",
                    lifecycle.get(i).map_or("unknown", |l| l.word())
                )
            } else if truth(value) == Truth::Unreadable {
                "the value is neither true nor false, so the account is disabled".into()
            } else {
                "another enable/disable mapping disables the account".into()
            };
            let (file, row, key) = who(i);
            issues.push(DataIssue {
                code: Code::EnableAttributeOverridden,
                severity: Severity::Warning,
                file,
                row,
                field: Some(format!("{target}.{name}")),
                message: format!(
                    "identity `{key}`: `{name}` of target `{target}` is `{}`, but {why}: written as `{}`",
                    shown(value),
                    shown(&off)
                ),
                help: Some(
                    "whether an account is enabled is one decision: the lifecycle, then any mapping that disables; make the mapping agree (for example, disable until the hire date) or its value is overridden".into(),
                ),
            });
            fixed.insert(i);
        }
        let like = rewrite
            .first()
            .map_or(Value::Null, |&i| column.get(i).clone());
        let off_value = |v: &Value| {
            if truth(v) == Truth::Unreadable {
                disabled_value(*enables, &like)
            } else {
                disabled_value(*enables, v)
            }
        };
        *column = Column::from_values((0..column.len()).map(|i| {
            let v = column.get(i);
            if fixed.contains(i) {
                off_value(v)
            } else {
                v.clone()
            }
        }));
    }
    enabled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_attributes_by_kind() {
        assert_eq!(
            switch_attribute(TargetKind::Directory, "accountDisabled"),
            Some(false)
        );
        assert_eq!(
            switch_attribute(TargetKind::Ldap, "AccountEnabled"),
            Some(true)
        );
        assert_eq!(switch_attribute(TargetKind::Scim, "active"), Some(true));
        assert_eq!(switch_attribute(TargetKind::Ldap, "active"), None);
        assert_eq!(switch_attribute(TargetKind::Directory, "mail"), None);
    }

    fn run(
        kind: TargetKind,
        name: &str,
        values: Vec<Value>,
        lifecycle: Vec<Lifecycle>,
    ) -> (Bitset, Vec<Value>, Vec<DataIssue>) {
        let n = values.len();
        let mut holders = Bitset::with_capacity(n);
        holders.insert_range(..);
        let mut attributes = vec![(name.to_string(), Column::from_values(values), None)];
        let mut issues = Vec::new();
        let enabled = decide_enabled(
            "t",
            kind,
            &holders,
            &lifecycle,
            &mut attributes,
            &|i| ("hr.csv".into(), Some(i + 2), format!("k{i}")),
            &mut issues,
        );
        let out = (0..n).map(|i| attributes[0].1.get(i).clone()).collect();
        (enabled, out, issues)
    }

    #[test]
    fn a_mapping_disables_but_never_enables() {
        use Lifecycle::{Active, Leaver, PreHire};
        let s = |t: &str| Value::Str(t.into());
        let (enabled, out, issues) = run(
            TargetKind::Directory,
            "accountDisabled",
            vec![
                s("False"),
                s("True"),
                s("False"),
                s("True"),
                s("maybe"),
                Value::Null,
            ],
            vec![Active, Active, Leaver, PreHire, Active, Active],
        );
        let on: Vec<usize> = enabled.ones().collect();
        assert_eq!(
            on,
            [0, 5],
            "active and enabled by the mapping, or nothing mapped"
        );
        assert_eq!(
            out,
            [
                s("False"),
                s("True"),
                s("True"),
                s("True"),
                s("True"),
                Value::Null
            ],
            "the attribute agrees with `enabled`"
        );
        let rows: Vec<Option<usize>> = issues.iter().map(|i| i.row).collect();
        assert_eq!(rows, [Some(4), Some(6)], "{issues:#?}");
        assert!(
            issues[0].message.contains("identity `k2`"),
            "{}",
            issues[0].message
        );
        assert!(
            issues[0].message.contains("lifecycle `leaver`"),
            "{}",
            issues[0].message
        );
        assert_eq!(issues[0].field.as_deref(), Some("t.accountDisabled"));
        assert!(issues[1].message.contains("neither true nor false"));
    }

    #[test]
    fn scim_active_keeps_its_type() {
        let (enabled, out, issues) = run(
            TargetKind::Scim,
            "active",
            vec![Value::Bool(true), Value::Bool(true)],
            vec![Lifecycle::Active, Lifecycle::Leaver],
        );
        assert_eq!(enabled.ones().collect::<Vec<_>>(), [0]);
        assert_eq!(out, [Value::Bool(true), Value::Bool(false)]);
        assert_eq!(issues.len(), 1);
    }
}
