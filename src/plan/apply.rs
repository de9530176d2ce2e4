//! Applying a plan to what the targets hold, in memory: the accounts as the export writers
//! take them ([`Row`]), each target's groups as sets of member account identifiers, and its
//! access-package assignments.
//!
//! This is what a connector would do with the plan, without a connector: it lets the tests
//! check that a plan is complete (apply it, write the exports, read them, plan again: nothing
//! is left to do), and it is the model a later `roster apply` starts from. Each change is
//! applied as written, in the plan's order:
//!
//! | action | effect |
//! |---|---|
//! | `create` | a row for the identity, with the identifier the caller gives (`id_for`), every attribute of the change, enabled unless the plan says "created disabled" |
//! | `update` | each attribute set to its `after` (null removes it) |
//! | `enable`, `disable` | the row's enabled flag |
//! | `move` | the row's identifier (a DN) gets the new parent; memberships and manager references follow |
//! | `delete` | the row removed, with its memberships and assignments |
//! | `member_add`, `member_remove` | the account added to or removed from the group's members |
//! | `package_add`, `package_remove` | the same for an access package's assignments |
//!
//! Manager references to an account created in the same plan (written
//! "(account of `KEY`, created in this plan)") are resolved to its identifier once every create
//! is applied. A change that cannot be applied (an account the rows do not hold, a group the
//! target does not export) is an error, and nothing after it is applied.

use std::collections::{BTreeMap, BTreeSet};

use super::export::Row;
use super::{Action, Change, Plan};
use crate::value::Value;

/// What one target holds.
#[derive(Debug, Clone, Default)]
pub struct Holding {
    /// The accounts.
    pub rows: Vec<Row>,
    /// Group name → member account identifiers; `None` when the target exports no groups.
    pub groups: Option<BTreeMap<String, BTreeSet<String>>>,
    /// Access package → assigned account identifiers; `None` when none are exported.
    pub assignments: Option<BTreeMap<String, BTreeSet<String>>>,
}

/// Every target's holding, by target name.
pub type World = BTreeMap<String, Holding>;

/// A change that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError {
    /// Its position in the plan's changes.
    pub index: usize,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "change {}: {}", self.index + 1, self.reason)
    }
}

/// Gives a created account its identifier: `(target, identity key, attributes)`.
pub type IdFor<'a> = &'a dyn Fn(&str, &str, &[(String, Value)]) -> String;

const CREATED_PREFIX: &str = "(account of `";
const CREATED_SUFFIX: &str = "`, created in this plan)";

/// Applies `plan`'s changes to `world`. `id_for(target, identity key, attributes)` gives the
/// identifier a created account gets (the target assigns it: a Graph object id, a DN).
pub fn apply(plan: &Plan, world: &mut World, id_for: IdFor<'_>) -> Result<(), ApplyError> {
    for (index, c) in plan.changes.iter().enumerate() {
        apply_one(c, world, id_for).map_err(|reason| ApplyError { index, reason })?;
    }
    // References to accounts created in this plan: their identifiers are known now.
    for holding in world.values_mut() {
        let ids: BTreeMap<String, String> = holding
            .rows
            .iter()
            .map(|r| (r.key.clone(), r.id.clone()))
            .collect();
        for row in &mut holding.rows {
            for (_, v) in &mut row.attributes {
                if let Value::Str(s) = v
                    && let Some(key) = s
                        .strip_prefix(CREATED_PREFIX)
                        .and_then(|r| r.strip_suffix(CREATED_SUFFIX))
                    && let Some(id) = ids.get(key)
                {
                    *v = Value::Str(id.clone());
                }
            }
        }
    }
    Ok(())
}

fn value_of(json: &serde_json::Value) -> Value {
    Value::from_json(json)
}

/// The row a change is about: by the account's identifier, or, for an account created in the
/// same plan, by the identity.
fn find(holding: &Holding, c: &Change) -> Result<usize, String> {
    let found = match (&c.account, &c.identity) {
        (Some(a), _) => holding.rows.iter().position(|r| &r.id == a),
        (None, Some(k)) => holding.rows.iter().position(|r| &r.key == k),
        (None, None) => None,
    };
    found.ok_or_else(|| {
        format!(
            "{} of {}: the target holds no such account",
            c.action.word(),
            c.account
                .as_deref()
                .or(c.identity.as_deref())
                .unwrap_or("nobody")
        )
    })
}

fn apply_one(c: &Change, world: &mut World, id_for: IdFor<'_>) -> Result<(), String> {
    let holding = world
        .get_mut(&c.target)
        .ok_or_else(|| format!("no target `{}`", c.target))?;
    match c.action {
        Action::Create => {
            let key = c
                .identity
                .clone()
                .ok_or_else(|| "a create without an identity".to_string())?;
            let attributes: Vec<(String, Value)> = c
                .attributes
                .iter()
                .map(|a| (a.name.clone(), value_of(&a.after)))
                .filter(|(_, v)| !super::values::empty(v))
                .collect();
            let id = id_for(&c.target, &key, &attributes);
            if holding.rows.iter().any(|r| r.id == id) {
                return Err(format!("create of `{key}`: the identifier `{id}` is taken"));
            }
            holding.rows.push(Row {
                key,
                id,
                enabled: !c.reason.ends_with("created disabled"),
                attributes,
            });
        }
        Action::Update => {
            let r = find(holding, c)?;
            let row = holding
                .rows
                .get_mut(r)
                .ok_or_else(|| "no row".to_string())?;
            for a in &c.attributes {
                let v = value_of(&a.after);
                let at = row.attributes.iter().position(|(n, _)| n == &a.name);
                match (at, super::values::empty(&v)) {
                    (Some(k), true) => {
                        row.attributes.remove(k);
                    }
                    (Some(k), false) => {
                        if let Some(slot) = row.attributes.get_mut(k) {
                            slot.1 = v;
                        }
                    }
                    (None, false) => row.attributes.push((a.name.clone(), v)),
                    (None, true) => {}
                }
            }
        }
        Action::Enable | Action::Disable => {
            let r = find(holding, c)?;
            if let Some(row) = holding.rows.get_mut(r) {
                row.enabled = c.action == Action::Enable;
            }
        }
        Action::Move => {
            let r = find(holding, c)?;
            let to =
                c.to.clone()
                    .ok_or_else(|| "a move without a new parent".to_string())?;
            let old = holding
                .rows
                .get(r)
                .map(|row| row.id.clone())
                .unwrap_or_default();
            let rdn = first_rdn(&old).ok_or_else(|| format!("`{old}` is not a DN"))?;
            let new = format!("{rdn},{to}");
            rename(holding, &old, &new);
        }
        Action::Delete => {
            let r = find(holding, c)?;
            let row = holding.rows.remove(r);
            for sets in [&mut holding.groups, &mut holding.assignments]
                .into_iter()
                .flatten()
            {
                for members in sets.values_mut() {
                    members.remove(&row.id);
                }
            }
        }
        Action::MemberAdd | Action::MemberRemove | Action::PackageAdd | Action::PackageRemove => {
            let r = find(holding, c)?;
            let id = holding
                .rows
                .get(r)
                .map(|row| row.id.clone())
                .unwrap_or_default();
            let (sets, name, what) = match c.action {
                Action::MemberAdd | Action::MemberRemove => {
                    (holding.groups.as_mut(), c.group.as_deref(), "group")
                }
                _ => (
                    holding.assignments.as_mut(),
                    c.access_package.as_deref(),
                    "access package",
                ),
            };
            let name =
                name.ok_or_else(|| format!("a {} change without a {what}", c.action.word()))?;
            let sets = sets.ok_or_else(|| format!("target `{}` exports no {what}s", c.target))?;
            let members = match c.action {
                Action::MemberAdd | Action::PackageAdd => sets.entry(name.to_string()).or_default(),
                _ => sets
                    .get_mut(name)
                    .ok_or_else(|| format!("no {what} `{name}`"))?,
            };
            match c.action {
                Action::MemberAdd | Action::PackageAdd => members.insert(id),
                _ => members.remove(&id),
            };
        }
    }
    Ok(())
}

/// The first RDN of a DN (up to its first unescaped comma).
fn first_rdn(dn: &str) -> Option<&str> {
    let mut escaped = false;
    for (k, c) in dn.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            ',' if !escaped => return dn.get(..k),
            _ => escaped = false,
        }
    }
    None
}

/// Gives an account a new identifier, everywhere it is referred to.
fn rename(holding: &mut Holding, old: &str, new: &str) {
    for row in &mut holding.rows {
        if row.id == old {
            row.id = new.to_string();
        }
        for (_, v) in &mut row.attributes {
            if matches!(v, Value::Str(s) if s == old) {
                *v = Value::Str(new.to_string());
            }
        }
    }
    for sets in [&mut holding.groups, &mut holding.assignments]
        .into_iter()
        .flatten()
    {
        for members in sets.values_mut() {
            if members.remove(old) {
                members.insert(new.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::plan::{AttributeChange, Summary};

    fn change(action: Action, identity: &str, account: Option<&str>) -> Change {
        Change::new(
            "t",
            action,
            Some(identity.into()),
            account.map(str::to_string),
            String::new(),
        )
    }

    fn plan(changes: Vec<Change>) -> Plan {
        Plan {
            format_version: "1".into(),
            as_of: "2026-01-01".into(),
            summary: Summary::default(),
            targets: Vec::new(),
            changes,
            held: Vec::new(),
            disputed: Vec::new(),
            orphans: Vec::new(),
            issues: Vec::new(),
            tasks_due: Vec::new(),
            previous_from: None,
            grace_from: None,
            due_until_applied: 0,
        }
    }

    fn row(key: &str, id: &str, attributes: &[(&str, &str)]) -> Row {
        Row {
            key: key.into(),
            id: id.into(),
            enabled: true,
            attributes: attributes
                .iter()
                .map(|(n, v)| (n.to_string(), Value::Str(v.to_string())))
                .collect(),
        }
    }

    fn attr(name: &str, after: serde_json::Value) -> AttributeChange {
        AttributeChange {
            name: name.into(),
            before: serde_json::Value::Null,
            after,
            added: Vec::new(),
            removed: Vec::new(),
        }
    }

    fn world() -> World {
        let mut groups = BTreeMap::new();
        groups.insert(
            "g".to_string(),
            BTreeSet::from(["uid=b,ou=a,dc=x".to_string()]),
        );
        World::from([(
            "t".to_string(),
            Holding {
                rows: vec![
                    row(
                        "1",
                        "uid=a,ou=a,dc=x",
                        &[("title", "old"), ("manager", "uid=b,ou=a,dc=x")],
                    ),
                    row("2", "uid=b,ou=a,dc=x", &[("title", "boss")]),
                ],
                groups: Some(groups),
                assignments: Some(BTreeMap::new()),
            },
        )])
    }

    fn id_for(_: &str, key: &str, _: &[(String, Value)]) -> String {
        format!("uid=new{key},ou=a,dc=x")
    }

    #[test]
    fn every_action_is_applied() {
        let mut w = world();
        let mut create = change(Action::Create, "3", None);
        create.attributes = vec![
            attr("title", serde_json::json!("new")),
            attr(
                "manager",
                serde_json::json!("(account of `1`, created in this plan)"),
            ),
            attr("empty", serde_json::Value::Null),
        ];
        create.reason = "no account matches; created disabled".into();
        let mut update = change(Action::Update, "1", Some("uid=a,ou=a,dc=x"));
        update.attributes = vec![
            attr("title", serde_json::json!("newer")),
            attr("mail", serde_json::json!("a@x")),
        ];
        let mut add = change(Action::MemberAdd, "3", None);
        add.group = Some("g".into());
        let mut remove = change(Action::MemberRemove, "2", Some("uid=b,ou=a,dc=x"));
        remove.group = Some("g".into());
        let mut package = change(Action::PackageAdd, "1", Some("uid=a,ou=a,dc=x"));
        package.access_package = Some("p".into());
        let mut mv = change(Action::Move, "2", Some("uid=b,ou=a,dc=x"));
        mv.to = Some("ou=b,dc=x".into());
        let p = plan(vec![
            create,
            change(Action::Disable, "1", Some("uid=a,ou=a,dc=x")),
            update,
            add,
            remove,
            package,
            mv,
        ]);
        apply(&p, &mut w, &id_for).unwrap();
        let t = &w["t"];
        assert_eq!(t.rows.len(), 3);
        let a = &t.rows[0];
        assert!(!a.enabled);
        assert_eq!(
            a.attributes,
            vec![
                ("title".to_string(), Value::Str("newer".into())),
                ("manager".to_string(), Value::Str("uid=b,ou=b,dc=x".into())),
                ("mail".to_string(), Value::Str("a@x".into())),
            ],
            "the update, and the manager reference follows the move"
        );
        assert_eq!(t.rows[1].id, "uid=b,ou=b,dc=x");
        let c = &t.rows[2];
        assert_eq!(c.id, "uid=new3,ou=a,dc=x");
        assert!(!c.enabled, "created disabled");
        assert_eq!(
            c.attributes,
            vec![
                ("title".to_string(), Value::Str("new".into())),
                ("manager".to_string(), Value::Str("uid=a,ou=a,dc=x".into())),
            ],
            "the reference to an account created in the plan is resolved; NULL is not stored"
        );
        let groups = t.groups.as_ref().unwrap();
        assert_eq!(
            groups["g"],
            BTreeSet::from(["uid=new3,ou=a,dc=x".to_string()])
        );
        assert_eq!(
            t.assignments.as_ref().unwrap()["p"],
            BTreeSet::from(["uid=a,ou=a,dc=x".to_string()])
        );
    }

    #[test]
    fn deletes_take_memberships_and_nulls_remove_attributes() {
        let mut w = world();
        let mut update = change(Action::Update, "1", Some("uid=a,ou=a,dc=x"));
        update.attributes = vec![attr("title", serde_json::Value::Null)];
        let p = plan(vec![
            update,
            change(Action::Enable, "1", Some("uid=a,ou=a,dc=x")),
            change(Action::Delete, "2", Some("uid=b,ou=a,dc=x")),
        ]);
        apply(&p, &mut w, &id_for).unwrap();
        let t = &w["t"];
        assert_eq!(t.rows.len(), 1);
        assert!(t.rows[0].enabled);
        assert_eq!(t.rows[0].attributes.len(), 1, "title removed, manager kept");
        assert!(t.groups.as_ref().unwrap()["g"].is_empty());
    }

    #[test]
    fn what_cannot_be_applied_stops_the_rest() {
        let mut w = world();
        let mut bad = change(Action::MemberRemove, "2", Some("uid=b,ou=a,dc=x"));
        bad.group = Some("nope".into());
        let p = plan(vec![
            change(Action::Disable, "9", Some("uid=zz,dc=x")),
            change(Action::Disable, "1", Some("uid=a,ou=a,dc=x")),
        ]);
        let e = apply(&p, &mut w.clone(), &id_for).unwrap_err();
        assert_eq!(e.index, 0);
        assert!(e.to_string().contains("holds no such account"), "{e}");
        let e = apply(&plan(vec![bad]), &mut w, &id_for).unwrap_err();
        assert!(e.reason.contains("no group `nope`"), "{e}");
        // A create whose identifier is taken.
        let e = apply(
            &plan(vec![change(Action::Create, "1", None)]),
            &mut w,
            &|_, _, _| "uid=a,ou=a,dc=x".to_string(),
        )
        .unwrap_err();
        assert!(e.reason.contains("is taken"), "{e}");
    }
}
