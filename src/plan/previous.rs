//! The previous state that change triggers compare with, taken from the directory's actual
//! state: `roster plan` without `--previous` (`docs/workflows.md`, `docs/decisions.md`).
//!
//! - **Which directory.** The one target of kind `directory` that declares an `actual:`
//!   state. None, or more than one: no previous state (change triggers do not run, `D234`).
//! - **Who.** Each identity's account is found as the plan finds it: the target's matching
//!   attributes in precedence order, their values computed by the target's mappings from the
//!   identity attributes. Only an identity linked to exactly one account (matched by nobody
//!   else) has a previous state; an identity without an account, or in a dispute, has none,
//!   and is new to its change triggers.
//! - **Attributes.** An identity attribute's previous value is what the account holds in the
//!   target attribute whose mapping copies it (`source: ATTRIBUTE`, applied always; when
//!   several do, the one of the same name, else none). An attribute no mapping copies, one
//!   applied on creation only, a value the export does not carry: no previous value, no
//!   change. A manager reference (`manager`) holds the manager's account, which is read back
//!   to the key of the identity linked to it; an account linked to nobody: no value.
//!   Values are compared as the plan compares them (dates by instant, numbers by value, text
//!   exactly).
//! - **Groups.** A group's previous members are the linked accounts among the direct members
//!   the groups export holds for the group of that name (as the plan finds it: `displayName`,
//!   or `cn` for LDAP, against the group's name or display name). A group the export does not
//!   hold, holds twice, or whose membership it cannot vouch for is unknown: no membership
//!   change is seen in it.
//!
//! Linked only when the policy set has a change-triggered workflow that runs on a schedule
//! (or `--sign-ins` is given). The directory's exports are read once, whole, while the
//! evaluation runs ([`read`]); the previous state is linked from that read, and the plan plans
//! the directory from it too, so both see one snapshot. Its groups are linked only for a
//! group-membership trigger, its assignments only for a grace period.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use super::matching::{Key, Matcher};
use super::read::{Locations, ReadBefore};
use crate::actual::{Accounts, Cell, Format, canonical_dn};
use crate::eval::Identified;
use crate::governance::previous::{Entry, Held, Previous};
use crate::policy::Policy;
use crate::policy::compile::MappingKind;
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::policy::raw;
use crate::value::Value;

/// The workflows whose triggers compare with a previous state and run on a schedule: the
/// attributes and groups they compare. Empty (nothing to read) when there is none.
#[derive(Debug, Default)]
pub(crate) struct Compared {
    /// Identity attributes of attribute-change triggers, sorted, unique.
    pub attributes: Vec<String>,
    /// Groups of group-membership triggers, sorted, unique.
    pub groups: Vec<String>,
    /// Access packages whose auto-assignment has a grace period, with its days, by name.
    pub grace: Vec<(String, u32)>,
}

impl Compared {
    /// What the change-triggered workflows of `loaded` compare.
    pub(crate) fn of(loaded: &Loaded) -> Compared {
        let mut attributes = BTreeSet::new();
        let mut groups = BTreeSet::new();
        for file in &loaded.files {
            for w in file.policy.workflows.values() {
                let w = &w.value;
                if !w.enabled.as_ref().is_none_or(|e| e.value)
                    || !w.scheduled.as_ref().is_none_or(|s| s.value)
                {
                    continue;
                }
                match &w.trigger.value {
                    raw::Trigger::AttributeChange(names) => {
                        attributes.extend(names.iter().map(|n| n.value.clone()));
                    }
                    raw::Trigger::GroupMembership(gm) => {
                        groups.insert(gm.group.value.clone());
                    }
                    _ => {}
                }
            }
        }
        // Grace periods only when the directory exports its assignments: nothing else gives
        // them (and nothing is read for them otherwise).
        let assignments = directory(loaded)
            .and_then(|(_, t)| t.actual.as_ref())
            .is_some_and(|a| a.value.assignments.is_some());
        let mut grace: Vec<(String, u32)> = crate::governance::grace::declared(loaded)
            .filter(|_| assignments)
            .map(|(_, name, days)| (name.to_string(), days.value))
            .collect();
        grace.sort();
        Compared {
            attributes: attributes.into_iter().collect(),
            groups: groups.into_iter().collect(),
            grace,
        }
    }

    /// Whether nothing is compared (no change-triggered workflow runs on a schedule, no
    /// auto-assignment has a grace period).
    pub(crate) fn is_empty(&self) -> bool {
        self.attributes.is_empty() && self.groups.is_empty() && self.grace.is_empty()
    }
}

/// The one target of kind `directory` that declares an actual state, if exactly one does.
pub(crate) fn directory(loaded: &Loaded) -> Option<(&str, &raw::Target)> {
    let mut found = loaded
        .files
        .iter()
        .flat_map(|f| f.policy.targets.iter())
        .filter(|(_, t)| {
            t.value.kind.value == raw::TargetKind::Directory && t.value.actual.is_some()
        })
        .map(|(n, t)| (n.value.as_str(), &t.value));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// The target attribute of `target` whose mapping copies identity attribute `attribute`
/// (applied always): the only one, or among several the one of the same name.
pub(crate) fn copied_to(
    policy: &Policy,
    target: &str,
    raw: &raw::Target,
    attribute: &str,
) -> Option<String> {
    let copies: Vec<&str> = raw
        .mappings
        .keys()
        .map(|k| k.value.as_str())
        .filter(|t| {
            policy
                .mappings
                .get(&NodeId::TargetAttribute(target.to_string(), (*t).to_string()))
                .is_some_and(|m| {
                    !m.on_create
                        && matches!(&m.kind, MappingKind::Direct(NodeId::Attribute(a)) if a == attribute)
                })
        })
        .collect();
    match copies.as_slice() {
        [one] => Some((*one).to_string()),
        _ => {
            let mut same = copies.iter().filter(|t| t.eq_ignore_ascii_case(attribute));
            match (same.next(), same.next()) {
                (Some(one), None) => Some((*one).to_string()),
                _ => None,
            }
        }
    }
}

/// How a member or a manager reference is compared with an account's identifier: canonical
/// DNs for LDAP, identifiers as written otherwise.
fn reference(format: Format, id: &str) -> Cow<'_, str> {
    match format {
        Format::Ldif => Cow::Owned(canonical_dn(id).unwrap_or_else(|| id.to_lowercase())),
        _ => Cow::Borrowed(id),
    }
}

/// Account (by [`reference`]) → the key of the identity linked to it.
type Owners<'a> = HashMap<Cow<'a, str>, &'a str, foldhash::fast::FixedState>;

fn text(cell: Cell<'_>) -> Option<String> {
    match cell {
        Cell::Text(t) => Some(t.to_string()),
        Cell::Value(Value::Str(s)) => Some(s.clone()),
        Cell::Value(Value::List(items)) => match items.as_slice() {
            [Value::Str(s)] => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The identity attributes `compared` and the target attributes that copy them.
fn copies(
    policy: &Policy,
    name: &str,
    target: &raw::Target,
    compared: &Compared,
) -> Vec<Option<String>> {
    compared
        .attributes
        .iter()
        .map(|a| copied_to(policy, name, target, a))
        .collect()
}

/// Reads the directory's exports whole, as the plan reads them. It needs no identity, so
/// `plan` reads them while the evaluation runs; the accounts are linked to identities once
/// the identity attributes are known ([`from_actual`]), and the plan then plans the directory
/// from what was read here rather than reading it again (one snapshot of the directory for
/// both, and one read).
pub(crate) fn read(loaded: &Loaded, locations: &Locations) -> Option<ReadBefore> {
    let (name, _) = directory(loaded)?;
    super::read::read_before(loaded, locations, name)
}

/// What the directory's actual state gives once its accounts are linked to identities.
pub(crate) struct FromActual {
    /// The previous state change triggers and the grace period compare with.
    pub previous: Previous,
    /// Each identity's linked account `id`, by index, when the export is Graph's (`--sign-ins`
    /// matches it first); `None` for another format.
    pub accounts: Option<Vec<Option<String>>>,
    /// Whether the grace periods were taken from an assignments export.
    pub grace: bool,
}

/// The previous state from the directory's accounts `read`, for the identities `ids`: `None`
/// when its exports could not be read completely (the plan reports why).
pub(crate) fn from_actual(
    loaded: &Loaded,
    policy: &Policy,
    read: &ReadBefore,
    compared: &Compared,
    ids: &Identified<'_>,
) -> Option<FromActual> {
    let (name, target) = directory(loaded)?;
    let actual = read.complete()?;
    let users = &actual.users;
    // The groups for a group-membership trigger, the assignments for a grace period.
    let groups = actual
        .groups
        .as_ref()
        .filter(|_| !compared.groups.is_empty());
    let assignments = actual
        .assignments
        .as_ref()
        .filter(|_| !compared.grace.is_empty());
    let n = ids.people.len();
    let now = ids.as_of.and_hms_opt(0, 0, 0).unwrap_or_default();
    let matching: Vec<String> = target.matching.iter().map(|m| m.value.clone()).collect();
    let keys: Vec<Key<'_>> = matching
        .iter()
        .map(|m| Key {
            name: m.clone(),
            held: None,
            all: super::mapped(loaded, policy, (ids.attributes, n), name, m, now, None),
        })
        .collect();
    // Each compared identity attribute's target attribute, if one copies it.
    let copies = copies(policy, name, target, compared);
    let attributes_to: Vec<Option<&crate::actual::Attribute>> = copies
        .iter()
        .map(|to| to.as_deref().and_then(|to| users.attribute(to)))
        .collect();

    // Link identities to accounts as the plan does.
    let mut matcher = Matcher::new(&keys, n);
    // Each attribute looked up once, not once per account.
    let by_key: Vec<_> = matching.iter().map(|m| users.attribute(m)).collect();
    matcher.accounts(
        &keys,
        &by_key,
        0..u32::try_from(users.len()).unwrap_or(u32::MAX),
    );
    let found = matcher.found(&keys, n);
    // Account (by reference) → the key of the identity linked to it.
    // (Only when a manager reference is compared: a million references otherwise for nothing.)
    let owner: Owners<'_> = if copies
        .iter()
        .flatten()
        .any(|to| super::is_manager_reference(to))
    {
        // Sized once: a million references, each borrowed from the export but for LDAP's.
        let mut owner = HashMap::with_capacity_and_hasher(found.linked.len(), Default::default());
        owner.extend(found.linked.iter().filter_map(|(&i, &r)| {
            let key = ids.people.get(i)?.key.as_str();
            Some((reference(users.format, users.id(r)), key))
        }));
        owner
    } else {
        HashMap::default()
    };

    // Groups: the names compared, which the export vouches for, and their members.
    let mut names: Vec<String> = compared.groups.clone();
    names.sort();
    let mut known = Vec::new();
    let mut members_of: Vec<std::collections::HashSet<String>> =
        vec![Default::default(); names.len()];
    if let Some(groups) = &groups {
        let display = loaded.display_names();
        let name_attr = if groups.format == Format::Ldif {
            "cn"
        } else {
            "displayName"
        };
        for (g, gname) in names.iter().enumerate() {
            let wanted: Vec<String> = std::iter::once(gname.to_lowercase())
                .chain(
                    display
                        .get(&format!("group:{gname}"))
                        .map(|d| d.to_lowercase()),
                )
                .collect();
            let by_name = |w: &str| -> Vec<usize> {
                (0..groups.len())
                    .filter(|&r| {
                        text(groups.cell(r, name_attr)).is_some_and(|t| t.to_lowercase() == w)
                    })
                    .collect()
            };
            let mut rows = wanted.first().map(|w| by_name(w)).unwrap_or_default();
            if rows.is_empty()
                && let Some(w) = wanted.get(1)
            {
                rows = by_name(w);
            }
            let [row] = rows.as_slice() else {
                continue;
            };
            let Some(members) = groups.members_of(*row) else {
                continue;
            };
            if let (Ok(gi), Some(set)) = (u32::try_from(g), members_of.get_mut(g)) {
                known.push(gi);
                set.extend(
                    members
                        .iter()
                        .map(|m| reference(groups.format, &m.id).into_owned()),
                );
            }
        }
    }

    // Per compared attribute: its distinct previous values (as the JSON the workflows
    // compare) and their codes.
    let mut values: Vec<(HashMap<String, u32>, Vec<String>)> =
        vec![(HashMap::new(), Vec::new()); compared.attributes.len()];
    let columns: Vec<Option<&crate::column::Column>> = compared
        .attributes
        .iter()
        .map(|a| ids.attributes.iter().find(|(n, _)| n == a).map(|(_, c)| c))
        .collect();
    // Per compared attribute and dictionary code of its column: the code of that value's JSON
    // among the previous values, once interned (the common case: the account agrees).
    let mut same_codes: Vec<Vec<Option<u32>>> = columns
        .iter()
        .map(|c| vec![None; c.map_or(0, |c| c.dictionary().len())])
        .collect();
    let intern = |values: &mut Vec<(HashMap<String, u32>, Vec<String>)>, a: usize, json: String| {
        let (map, list) = values.get_mut(a)?;
        let next = u32::try_from(list.len()).ok()?;
        Some(*map.entry(json).or_insert_with_key(|json| {
            list.push(json.clone());
            next
        }))
    };
    // Grace periods from the assignments export: account row → (package, grace end).
    let held = assignments
        .as_ref()
        .map(|a| grace_ends(loaded, a, users, &compared.grace, ids.as_of));
    let mut name_index: HashMap<String, u32> = names
        .iter()
        .enumerate()
        .filter_map(|(k, n)| Some((n.clone(), u32::try_from(k).ok()?)))
        .collect();
    let mut entries = Vec::with_capacity(found.linked.len());
    for (&i, &r) in &found.linked {
        let Some(person) = ids.people.get(i) else {
            continue;
        };
        let mut attributes = Vec::with_capacity(compared.attributes.len());
        for (a, to) in copies.iter().enumerate() {
            let (Some(to), Some(column)) = (to, columns.get(a).copied().flatten()) else {
                attributes.push(None);
                continue;
            };
            let now_value = column.get(i);
            let attribute = attributes_to.get(a).copied().flatten();
            let code = match previous_value(users, r, (to, attribute), now_value, &owner) {
                None => None,
                Some(Then::Same) => {
                    let c = column.code(i) as usize;
                    match same_codes.get(a).and_then(|v| v.get(c)).copied().flatten() {
                        Some(code) => Some(code),
                        None => {
                            let code = intern(&mut values, a, now_value.to_json().to_string());
                            if let Some(slot) = same_codes.get_mut(a).and_then(|v| v.get_mut(c)) {
                                *slot = code;
                            }
                            code
                        }
                    }
                }
                Some(Then::Other(json)) => intern(&mut values, a, json),
            };
            attributes.push(code);
        }
        let groups: Vec<u32> = if known.is_empty() {
            Vec::new()
        } else {
            let account = reference(users.format, users.id(r));
            known
                .iter()
                .copied()
                .filter(|&g| {
                    members_of
                        .get(g as usize)
                        .is_some_and(|set| set.contains(account.as_ref()))
                })
                .collect()
        };
        let mut packages: Vec<u32> = Vec::new();
        let mut not_by_rule: Vec<(u32, Held)> = Vec::new();
        if let Some(mine) = held.as_ref().and_then(|h| h.get(&r)) {
            for (package, ends) in mine {
                let next = u32::try_from(names.len()).unwrap_or(u32::MAX);
                let p = *name_index.entry(package.clone()).or_insert_with(|| {
                    names.push(package.clone());
                    next
                });
                packages.push(p);
                not_by_rule.push((p, Held::Grace(*ends)));
            }
        }
        packages.sort_unstable();
        not_by_rule.sort_unstable_by_key(|(p, _)| *p);
        entries.push(Entry {
            key: person.key.clone(),
            lifecycle: ids.lifecycle.get(i).copied(),
            groups: groups.into_boxed_slice(),
            packages: packages.into_boxed_slice(),
            attributes: attributes.into_boxed_slice(),
            not_by_rule: not_by_rule.into_boxed_slice(),
            carried: Box::default(),
            line: 0,
        });
    }
    let accounts = (users.format == Format::Graph).then(|| {
        let mut out = vec![None; n];
        for (&i, &r) in &found.linked {
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(users.id(r).to_string());
            }
        }
        out
    });
    // People are in key order and `linked` in index order: entries are sorted by key.
    Some(FromActual {
        previous: Previous {
            file: format!("the actual state of target `{name}`"),
            as_of: None,
            entries,
            names,
            attributes: compared.attributes.clone(),
            values: values.into_iter().map(|(_, list)| list).collect(),
            warnings: Vec::new(),
            known_groups: Some(known),
            carries: false,
        },
        accounts,
        grace: held.is_some(),
    })
}

/// The grace ends the assignments export gives (`docs/access-requests.md`): per account row,
/// each package of `grace` (name, days) it holds by a delivered assignment, with the first
/// day the grace no longer keeps it: the day after the assignment's start, plus the grace
/// days (the rule matched when the assignment was made, so it cannot have stopped matching
/// before the next day: never longer than Entra keeps it), and no later than the
/// assignment's own expiry. An assignment without a start, or starting after `as_of`, gives
/// no grace (fail closed: a missing or forged date never extends access); of several
/// assignments of one package, the earliest end counts.
fn grace_ends(
    loaded: &Loaded,
    assignments: &Accounts,
    users: &Accounts,
    grace: &[(String, u32)],
    as_of: chrono::NaiveDate,
) -> HashMap<usize, Vec<(String, chrono::NaiveDate)>> {
    let display = loaded.display_names();
    // Package name or display name, folded → (package, days).
    let mut package_of: HashMap<String, (&str, u32)> = HashMap::new();
    for (p, days) in grace {
        package_of.insert(p.to_lowercase(), (p.as_str(), *days));
        if let Some(d) = display.get(&format!("package:{p}")) {
            package_of.insert(d.to_lowercase(), (p.as_str(), *days));
        }
    }
    let by_id: HashMap<&str, usize> = (0..users.len()).map(|r| (users.id(r), r)).collect();
    let mut out: HashMap<usize, Vec<(String, chrono::NaiveDate)>> = HashMap::new();
    for a in 0..assignments.len() {
        let delivered =
            text(assignments.cell(a, "state")).is_none_or(|s| s.eq_ignore_ascii_case("delivered"));
        if !delivered {
            continue;
        }
        let Some((package, days)) = text(assignments.cell(a, "accessPackage.displayName"))
            .and_then(|d| package_of.get(&d.to_lowercase()).copied())
        else {
            continue;
        };
        let Some(&row) =
            text(assignments.cell(a, "target.objectId")).and_then(|u| by_id.get(u.as_str()))
        else {
            continue;
        };
        let Some(start) = day_of(assignments.cell(a, "schedule.startDateTime")) else {
            continue;
        };
        if start > as_of {
            continue;
        }
        let Some(mut ends) = start.checked_add_days(chrono::Days::new(1 + u64::from(days))) else {
            continue;
        };
        if let Some(expiry) = day_of(assignments.cell(a, "schedule.expiration.endDateTime")) {
            ends = ends.min(expiry);
        }
        let mine = out.entry(row).or_default();
        match mine.iter_mut().find(|(p, _)| p == package) {
            Some((_, e)) => *e = (*e).min(ends),
            None => mine.push((package.to_string(), ends)),
        }
    }
    out
}

/// The day (UTC) of a date-time cell: a typed date-time, or RFC 3339 text.
fn day_of(cell: Cell<'_>) -> Option<chrono::NaiveDate> {
    match cell {
        Cell::Value(Value::Date(d)) => Some(d.date()),
        other => {
            let t = text(other)?;
            chrono::DateTime::parse_from_rfc3339(t.trim())
                .ok()
                .map(|d| d.naive_utc().date())
        }
    }
}

/// What an account holds in a compared attribute, against the identity's value now.
enum Then {
    /// The same, as the plan compares: no change.
    Same,
    /// Another value, as the JSON the workflows compare.
    Other(String),
}

/// The previous value of an identity attribute copied to target attribute `to`, for account
/// row `r`, against `now_value`: the same when the plan would see no difference, the
/// account's value (as JSON) otherwise; `None` when the export does not say (or a manager
/// reference leads to no linked account).
fn previous_value(
    users: &Accounts,
    r: usize,
    (to, attribute): (&str, Option<&crate::actual::Attribute>),
    now_value: &Value,
    owner: &Owners<'_>,
) -> Option<Then> {
    let cell = attribute.map_or(Cell::Absent, |a| a.cell(r));
    if super::is_manager_reference(to) {
        let then = match cell {
            Cell::Absent => return None,
            Cell::Null => Value::Null,
            other => {
                let text = text(other)?;
                Value::Str((*owner.get(&reference(users.format, &text))?).to_string())
            }
        };
        return Some(if super::values::same(now_value, &then) {
            Then::Same
        } else {
            Then::Other(then.to_json().to_string())
        });
    }
    match super::values::compare(now_value, cell) {
        super::values::Compared::Unknown => None,
        super::values::Compared::Same => Some(Then::Same),
        super::values::Compared::Different => {
            let mut slot = None;
            let then = match cell.as_value(&mut slot) {
                Cell::Value(v) => v.to_json(),
                _ => serde_json::Value::Null,
            };
            // Different by the plan's comparison, however the JSON looks.
            Some(Then::Other(if then == now_value.to_json() {
                format!("{{\"previous\":{then}}}")
            } else {
                then.to_string()
            }))
        }
    }
}
