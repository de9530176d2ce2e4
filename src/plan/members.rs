//! Group memberships and access-package assignments: what the target's groups and
//! assignments export holds against the desired groups and packages.
//!
//! A policy group is the actual group whose `displayName` (Graph, SCIM) or `cn` (LDAP) is the
//! group's name or its `display_name`, case-insensitively. Only accounts Roster manages are
//! added or removed: a member that is not a linked account (a nested group, a device, a
//! service account that matches nobody) is left alone. A group whose membership the export
//! cannot vouch for (more than Graph's 20 expanded members, a ranged `member` attribute) gets
//! no change. Identities held, disputed or undetermined for a group get no change in it.

use std::collections::{HashMap, HashSet};

use fixedbitset::FixedBitSet;
use foldhash::fast::FixedState;

use super::matching::Found;
use super::{Action, Change, Holds, Plan, TargetActual};
use crate::actual::{Accounts, Cell, Format, canonical_dn};
use crate::codes::Code;
use crate::eval::DesiredState;
use crate::eval::report::TargetAccounts;
use crate::ingest::DataIssue;
use crate::value::Value;

/// The key a member reference is compared by: canonical DNs for LDAP, identifiers otherwise.
fn member_key(format: Format, id: &str) -> String {
    match format {
        Format::Ldif => canonical_dn(id).unwrap_or_else(|| id.to_lowercase()),
        _ => id.to_string(),
    }
}

fn text_of(accounts: &Accounts, r: usize, name: &str) -> Option<String> {
    match accounts.cell(r, name) {
        Cell::Value(Value::Str(s)) => Some(s.clone()),
        Cell::Text(s) => Some(s.to_string()),
        Cell::Value(Value::List(items)) => match items.first() {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn plan_memberships(
    state: &DesiredState,
    desired: &TargetAccounts,
    a: &TargetActual,
    found: &Found,
    holds: &Holds,
    created: &HashSet<usize>,
    out: &mut Plan,
) {
    let ids = &state.identities;
    let name = a.target.as_str();
    let users = &a.users;
    // Row of each user account by member key, and the identity linked to it.
    let row_of: HashMap<String, usize, foldhash::fast::FixedState> = (0..users.len())
        .map(|r| (member_key(users.format, users.id(r)), r))
        .collect();
    let owner: HashMap<usize, usize, FixedState> =
        found.linked.iter().map(|(&i, &r)| (r, i)).collect();
    // The identities undetermined for each group or package (`group:NAME`), looked up once
    // per group rather than once per member.
    let mut undetermined: HashMap<&str, HashSet<usize, FixedState>, FixedState> =
        HashMap::default();
    for (i, u) in &ids.undetermined {
        undetermined.entry(u.of.as_str()).or_default().insert(*i);
    }
    // Whether an identity's memberships may change here (not disputed, not held, holding an
    // account in the target), decided once per identity: a group of the LDAP export has
    // members by the hundred thousand.
    let changeable: FixedBitSet = desired
        .holders
        .ones()
        .filter(|&i| !found.disputed.contains(&i) && holds.reason(name, i).is_none())
        .collect();
    let may_change = |i: usize| changeable.contains(i);
    let display = |kind: &str, n: &str| state.display_names.get(&format!("{kind}:{n}")).cloned();

    if let Some(groups) = &a.groups {
        let name_attr = if groups.format == Format::Ldif {
            "cn"
        } else {
            "displayName"
        };
        let mut by_name: HashMap<String, Vec<usize>, FixedState> = HashMap::default();
        for r in 0..groups.len() {
            if let Some(n) = text_of(groups, r, name_attr) {
                by_name.entry(n.to_lowercase()).or_default().push(r);
            }
        }
        let mut missing = Vec::new();
        let mut rows_of_member: HashMap<&str, Option<usize>, FixedState> = HashMap::default();
        for (gname, members) in &ids.groups {
            let mut rows: Vec<usize> = by_name
                .get(&gname.to_lowercase())
                .cloned()
                .unwrap_or_default();
            if rows.is_empty()
                && let Some(d) = display("group", gname)
            {
                rows = by_name.get(&d.to_lowercase()).cloned().unwrap_or_default();
            }
            let gr = match rows.as_slice() {
                [] => {
                    missing.push(gname.clone());
                    continue;
                }
                [r] => *r,
                _ => {
                    out.issues.push(
                        DataIssue::new(
                            Code::PlanGroupAmbiguous,
                            groups.files.first().map_or("", String::as_str),
                            format!(
                                "{} groups of target `{name}` are named `{gname}`: its memberships are not planned",
                                rows.len()
                            ),
                        )
                        .help("give each group a unique display name, or rename the policy group"),
                    );
                    continue;
                }
            };
            // Unknown membership (reported by the reader, `D209`): nothing is planned for it.
            let Some(actual_members) = groups.members_of(gr) else {
                continue;
            };
            let group_id = groups.id(gr).to_string();
            let blocked = undetermined.get(format!("group:{gname}").as_str());
            let present: HashSet<usize, FixedState> = actual_members
                .iter()
                .filter_map(|m| {
                    // An account is listed in many groups: its key is computed once.
                    *rows_of_member
                        .entry(&m.id)
                        .or_insert_with(|| row_of.get(&member_key(users.format, &m.id)).copied())
                })
                .collect();
            for i in members.ones() {
                if !may_change(i) || among(blocked, i) {
                    continue;
                }
                let row = found.linked.get(&i).copied();
                let add = match row {
                    Some(r) => !present.contains(&r),
                    None => created.contains(&i),
                };
                if add {
                    out.changes.push(membership(
                        name,
                        Action::MemberAdd,
                        ids.key(i),
                        row.map(|r| users.id(r).to_string()),
                        Some(gname.clone()),
                        None,
                        format!("a member of `{gname}` in the desired state (group `{group_id}`)"),
                    ));
                }
            }
            for r in present {
                let Some(&i) = owner.get(&r) else {
                    continue;
                };
                if members.contains(i) || !may_change(i) || among(blocked, i) {
                    continue;
                }
                out.changes.push(membership(
                    name,
                    Action::MemberRemove,
                    ids.key(i),
                    Some(users.id(r).to_string()),
                    Some(gname.clone()),
                    None,
                    format!("not a member of `{gname}` in the desired state (group `{group_id}`)"),
                ));
            }
        }
        if !missing.is_empty() && !groups.is_empty() {
            let shown: Vec<String> = missing.iter().take(10).map(|g| format!("`{g}`")).collect();
            out.issues.push(
                DataIssue::new(
                    Code::PlanGroupNotExported,
                    groups.files.first().map_or("", String::as_str),
                    format!(
                        "{} group(s) of the policy are not in the groups export of target `{name}` ({}{}): their memberships are not planned",
                        missing.len(),
                        shown.join(", "),
                        if missing.len() > 10 { ", …" } else { "" }
                    ),
                )
                .help("create the groups in the target, or export them"),
            );
        }
    }

    if let Some(assignments) = &a.assignments {
        // Package name (or display name) → policy package.
        let mut package_of: HashMap<String, &str, FixedState> = HashMap::default();
        for (p, _) in &ids.packages {
            package_of.insert(p.to_lowercase(), p);
            if let Some(d) = display("package", p) {
                package_of.insert(d.to_lowercase(), p);
            }
        }
        let by_id: HashMap<&str, usize, FixedState> =
            (0..users.len()).map(|r| (users.id(r), r)).collect();
        // (package, row) → the assignment ids that deliver it.
        let mut held: HashMap<(&str, usize), Vec<String>, FixedState> = HashMap::default();
        for r in 0..assignments.len() {
            let state_ok = match text_of(assignments, r, "state") {
                Some(s) => s.eq_ignore_ascii_case("delivered"),
                None => true,
            };
            if !state_ok {
                continue;
            }
            let package = text_of(assignments, r, "accessPackage.displayName")
                .and_then(|d| package_of.get(&d.to_lowercase()).copied());
            let user = text_of(assignments, r, "target.objectId")
                .and_then(|u| by_id.get(u.as_str()).copied());
            if let (Some(p), Some(u)) = (package, user) {
                held.entry((p, u))
                    .or_default()
                    .push(assignments.id(r).to_string());
            }
        }
        for (p, holders) in &ids.packages {
            let blocked = undetermined.get(format!("access_package:{p}").as_str());
            for i in holders.ones() {
                if !may_change(i) || among(blocked, i) {
                    continue;
                }
                let row = found.linked.get(&i).copied();
                let add = match row {
                    Some(r) => !held.contains_key(&(p.as_str(), r)),
                    None => created.contains(&i),
                };
                if add {
                    out.changes.push(membership(
                        name,
                        Action::PackageAdd,
                        ids.key(i),
                        row.map(|r| users.id(r).to_string()),
                        None,
                        Some(p.clone()),
                        format!("assigned `{p}` in the desired state"),
                    ));
                }
            }
        }
        let mut removals: Vec<(&str, usize, &Vec<String>)> =
            held.iter().map(|((p, r), a)| (*p, *r, a)).collect();
        removals.sort();
        for (p, r, assignment) in removals {
            let Some(&i) = owner.get(&r) else {
                continue;
            };
            let blocked = undetermined.get(format!("access_package:{p}").as_str());
            let desired_pkg = ids
                .packages
                .iter()
                .find(|(n, _)| n == p)
                .is_some_and(|(_, b)| b.contains(i));
            if desired_pkg || !may_change(i) || among(blocked, i) {
                continue;
            }
            out.changes.push(membership(
                name,
                Action::PackageRemove,
                ids.key(i),
                Some(users.id(r).to_string()),
                None,
                Some(p.to_string()),
                format!(
                    "not assigned `{p}` in the desired state (assignment {})",
                    assignment.join(", ")
                ),
            ));
        }
    }
}

/// Whether identity `i` is in `set` (the undetermined of one group or package, if any).
fn among(set: Option<&HashSet<usize, FixedState>>, i: usize) -> bool {
    set.is_some_and(|s| s.contains(&i))
}

fn membership(
    target: &str,
    action: Action,
    identity: Option<&str>,
    account: Option<String>,
    group: Option<String>,
    package: Option<String>,
    reason: String,
) -> Change {
    Change {
        group,
        access_package: package,
        ..Change::new(
            target,
            action,
            identity.map(str::to_string),
            account,
            reason,
        )
    }
}
