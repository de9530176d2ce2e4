//! Stage 5, access: dynamic groups and access packages, set-wise over the population in the
//! graph's order (`memberOf` reads earlier groups; a group granted by a package reads the
//! package), static members, package grants, memberships that cannot be decided (three
//! values: member, not a member, undetermined), and separation of duties.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::codes::Code;
use crate::diagnostics::{FileId, Severity, Span};
use crate::ingest::DataIssue;
use crate::policy::Policy;
use crate::policy::compile::ProgramKind;
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::policy::raw;
use crate::rule::RuleContext;
use crate::rule::sets::{Bitset, Members, Population, SetEvaluator};

use super::attributes::Attributes;
use super::correlate;
use super::locate::{Locator, policy_place};
use super::report::{self, Lifecycle};

/// What the access stage reads.
pub struct Input<'a> {
    /// The policy files (static members, packages, incompatibilities).
    pub loaded: &'a Loaded,
    /// The checked policy (rules, graph).
    pub policy: &'a Policy,
    /// The identity attributes.
    pub attributes: &'a Attributes,
    /// The lifecycle state of each identity.
    pub lifecycle: &'a [Lifecycle],
    /// Rule `system.now`.
    pub now: NaiveDateTime,
    /// What the events up to the as-of date add and remove (workflows, records, reviews).
    pub changes: &'a crate::governance::apply::Changes,
    /// The governance view (the previous state, for the auto-assignment grace period).
    pub view: &'a crate::governance::View<'a>,
}

/// What the access stage gives: who is a member of each group and holds each package, by name
/// (sorted), and who might be.
pub struct Access {
    /// The identities that have an account on the as-of date and are not ignored: the only
    /// ones dynamic rules and static lists can make members.
    pub eligible: Bitset,
    /// Groups by name, sorted; members.
    pub groups: Vec<(String, Bitset)>,
    /// Access packages by name, sorted; assignments.
    pub packages: Vec<(String, Bitset)>,
    /// The identities whose membership of each group is undetermined (same order as
    /// `groups`).
    pub groups_maybe: Vec<(String, Bitset)>,
    /// The identities whose assignment of each package is undetermined (same order as
    /// `packages`).
    pub packages_maybe: Vec<(String, Bitset)>,
    /// The undetermined memberships still undetermined at the end, with why.
    pub undetermined: Vec<(usize, report::Undetermined)>,
    /// Separation-of-duties conflicts, by identity.
    pub conflicts: Vec<report::Conflict>,
    /// For each package that events change (records, workflow tasks), by name: the holders
    /// its auto-assignment rule gives, before the events.
    pub packages_by_rule: std::collections::BTreeMap<String, Bitset>,
    /// The people in an auto-assignment's grace period, with its end (those whose end is
    /// after the as-of date hold the package).
    pub grace: Vec<crate::governance::grace::InGrace>,
}

/// Decides every group membership and package assignment, then checks separation of duties.
pub fn decide(input: Input<'_>, locate: &Locator<'_>, issues: &mut Vec<DataIssue>) -> Access {
    let Input {
        loaded,
        policy,
        attributes,
        lifecycle,
        now,
        changes,
        view,
    } = input;
    let people = locate.people;
    let n = people.len();
    let ignored = &attributes.ignored;
    let ctx = RuleContext { now };
    let mut population = Population::new(n);
    for (name, column) in &attributes.columns {
        population.insert(name, column);
    }
    // Dynamic membership only for identities that have an account.
    let mut eligible = Bitset::with_capacity(n);
    for (i, l) in lifecycle.iter().enumerate() {
        eligible.set(i, l.has_account() && !ignored.contains(i));
    }
    let rules: HashMap<&NodeId, &crate::rule::RuleProgram> = policy
        .programs
        .iter()
        .filter_map(|p| match &p.kind {
            ProgramKind::Rule { node, program } => Some((node, program.as_ref())),
            ProgramKind::Expression { .. } => None,
        })
        .collect();
    // Static members, with the file that lists them (for warnings).
    let mut static_members: HashMap<&str, (FileId, Vec<&crate::yaml::Sp<String>>)> = HashMap::new();
    for f in &loaded.files {
        for (name, g) in &f.policy.groups {
            if let Some(m) = &g.value.members {
                static_members.insert(name.value.as_str(), (f.id, m.iter().collect()));
            }
        }
    }
    let index: HashMap<&str, usize> = people
        .iter()
        .enumerate()
        .map(|(i, p)| (p.key.as_str(), i))
        .collect();
    let graph_order: Vec<NodeId> = policy
        .graph
        .order()
        .map(|o| o.into_iter().cloned().collect())
        .unwrap_or_default();
    let packages = raw_packages(loaded);
    let mut evaluator = SetEvaluator::new();
    // Group sets by lower-cased name (memberOf compares case-insensitively); packages by
    // `package:name`. Each in three values: members, and identities whose membership cannot
    // be decided (never members: an undetermined membership grants nothing).
    let mut sets: HashMap<String, Decided> = HashMap::new();
    let mut undetermined: Vec<(usize, report::Undetermined)> = Vec::new();
    // The causes (`E130`), issued once it is known that the membership stayed undetermined
    // (a static entry or a package grant may still make the identity a member).
    let mut causes: Vec<(usize, String, DataIssue)> = Vec::new();
    let mut evaluate_node = |node: &NodeId,
                             sets: &HashMap<String, Decided>,
                             causes: &mut Vec<(usize, String, DataIssue)>,
                             undetermined: &mut Vec<(usize, report::Undetermined)>|
     -> Decided {
        let Some(rule) = rules.get(node) else {
            return Decided::empty(n);
        };
        let mut outcome = evaluator.decide(rule, &population, &ctx, &|id: &str| {
            sets.get(id).map(|d| Members {
                members: &d.members,
                undetermined: Some(&d.undetermined),
            })
        });
        outcome.members.intersect_with(&eligible);
        outcome.undetermined.intersect_with(&eligible);
        for i in outcome.undetermined.ones() {
            let Some(d) = outcome.reason(i) else {
                continue;
            };
            if d.code != Code::UndeterminedMembership {
                // The cause: a value of this identity that the rule cannot decide on.
                let attribute = failing_property(rule, d.span);
                let mut issue = match attribute {
                    Some(a) => locate.attribute(i, a, Code::UndeterminedMembership, String::new()),
                    None => locate.primary(i, node.to_string(), Code::UndeterminedMembership),
                };
                issue.message = format!(
                    "identity `{}`: the {} is undetermined, so it is not granted: {}",
                    locate.key(i),
                    node_words(node),
                    d.message
                );
                causes.push((i, node_ref(node), issue.help_opt(d.help.clone())));
            }
            undetermined.push((
                i,
                report::Undetermined {
                    of: node_ref(node),
                    reason: d.message.clone(),
                },
            ));
        }
        Decided {
            members: outcome.members,
            undetermined: outcome.undetermined,
        }
    };
    let mut packages_by_rule = std::collections::BTreeMap::new();
    let mut grace = Vec::new();
    for node in &graph_order {
        match node {
            NodeId::Group(name) => {
                let mut set = evaluate_node(node, &sets, &mut causes, &mut undetermined);
                let by_rule = changes.group(name).map(|_| set.members.clone());
                if let Some((listed_in, list)) = static_members.get(name.as_str()) {
                    for key in list {
                        match index.get(key.value.as_str()) {
                            // An identity without an account is a member of nothing.
                            Some(i) if eligible.contains(*i) => set.members.insert(*i),
                            Some(i) => {
                                let at = policy_place(loaded, *listed_in, key.span);
                                issues.push(DataIssue {
                                    code: Code::StaticMemberWithoutAccount,
                                    severity: Severity::Warning,
                                    file: at.file,
                                    row: Some(at.line),
                                    field: Some(format!("groups.{name}.members")),
                                    message: format!(
                                        "static member `{}` of group `{name}` has no account on the as-of date (lifecycle `{}`{}): not a member",
                                        key.value,
                                        lifecycle.get(*i).map_or("unknown", |l| l.word()),
                                        if ignored.contains(*i) { ", `IgnoreObjectFlow`" } else { "" }
                                    ),
                                    help: Some(STATIC_HELP.into()),
                                });
                            }
                            None => {
                                let at = policy_place(loaded, *listed_in, key.span);
                                issues.push(DataIssue {
                                    code: Code::UnknownMember,
                                    severity: Severity::Warning,
                                    file: at.file,
                                    row: Some(at.line),
                                    field: Some(format!("groups.{name}.members")),
                                    message: format!(
                                        "static member `{}` of group `{name}` is not an identity",
                                        key.value
                                    ),
                                    help: Some("list identity keys of the primary source".into()),
                                })
                            }
                        }
                    }
                }
                // Added and removed by events (a removal does not take back a rule's members).
                if let (Some(change), Some(by_rule)) = (changes.group(name), &by_rule) {
                    change.apply(&mut set.members, by_rule, &eligible);
                }
                for (pname, pkg) in &packages {
                    if pkg
                        .resources
                        .iter()
                        .any(|r| matches!(&r.value, raw::Resource::Group(g) if g.value == *name))
                        && let Some(holders) = sets.get(&format!("package:{pname}"))
                    {
                        set.members.union_with(&holders.members);
                        // Granted only through an undetermined assignment: undetermined too.
                        for i in holders.undetermined.ones() {
                            if !set.members.contains(i) && !set.undetermined.contains(i) {
                                set.undetermined.insert(i);
                                undetermined.push((
                                    i,
                                    report::Undetermined {
                                        of: node_ref(node),
                                        reason: format!(
                                            "granted by access package `{pname}`, whose assignment is undetermined"
                                        ),
                                    },
                                ));
                            }
                        }
                    }
                }
                set.undetermined.difference_with(&set.members);
                sets.insert(name.to_lowercase(), set);
            }
            NodeId::Package(name) => {
                let mut set = evaluate_node(node, &sets, &mut causes, &mut undetermined);
                let mut by_rule = None;
                if let Some(change) = changes.package(name) {
                    let rule = set.members.clone();
                    change.apply(&mut set.members, &rule, &eligible);
                    by_rule = Some(rule);
                }
                // The grace period: kept after the rule stopped matching (not for an
                // undetermined membership, which grants nothing).
                let mut held = set.members.clone();
                held.union_with(&set.undetermined);
                let kept = crate::governance::grace::of_package(view, name, &held, &eligible);
                if !kept.is_empty() {
                    let rule = by_rule.unwrap_or_else(|| set.members.clone());
                    for g in &kept {
                        if g.ends > now.date() {
                            set.members.insert(g.identity);
                        }
                    }
                    by_rule = Some(rule);
                    grace.extend(kept);
                }
                if let Some(rule) = by_rule {
                    packages_by_rule.insert(name.clone(), rule);
                    set.undetermined.difference_with(&set.members);
                }
                sets.insert(format!("package:{name}"), set);
            }
            _ => {}
        }
    }
    drop(evaluator);
    let mut groups: Vec<(String, Bitset)> = Vec::new();
    let mut package_sets: Vec<(String, Bitset)> = Vec::new();
    // The identities whose membership is undetermined, per group and package (same order).
    let mut groups_maybe: Vec<(String, Bitset)> = Vec::new();
    let mut packages_maybe: Vec<(String, Bitset)> = Vec::new();
    let group_names: HashMap<String, &String> = policy
        .groups
        .keys()
        .map(|g| (g.to_lowercase(), g))
        .collect();
    for (name, set) in sets {
        match name.strip_prefix("package:") {
            Some(p) => {
                package_sets.push((p.to_string(), set.members));
                packages_maybe.push((p.to_string(), set.undetermined));
            }
            None => {
                let name = group_names
                    .get(&name)
                    .map_or_else(|| name.clone(), |g| (*g).clone());
                groups.push((name.clone(), set.members));
                groups_maybe.push((name, set.undetermined));
            }
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    package_sets.sort_by(|a, b| a.0.cmp(&b.0));
    groups_maybe.sort_by(|a, b| a.0.cmp(&b.0));
    packages_maybe.sort_by(|a, b| a.0.cmp(&b.0));
    // An undetermined membership that a reference no longer reaches was superseded (a static
    // member, a package grant): keep only those still undetermined at the end.
    let maybe_of: HashMap<String, &Bitset> = groups_maybe
        .iter()
        .map(|(g, b)| (format!("group:{g}"), b))
        .chain(
            packages_maybe
                .iter()
                .map(|(p, b)| (format!("access_package:{p}"), b)),
        )
        .collect();
    undetermined.retain(|(i, u)| maybe_of.get(&u.of).is_some_and(|b| b.contains(*i)));
    drop(maybe_of);
    let still: std::collections::HashSet<(usize, &str)> = undetermined
        .iter()
        .map(|(i, u)| (*i, u.of.as_str()))
        .collect();
    for (i, of, issue) in causes {
        if still.contains(&(i, of.as_str())) {
            issues.push(issue);
        }
    }
    drop(still);
    let conflicts = separation_of_duties(loaded, people, &groups, &package_sets, issues);
    Access {
        eligible,
        groups,
        packages: package_sets,
        groups_maybe,
        packages_maybe,
        undetermined,
        conflicts,
        packages_by_rule,
        grace,
    }
}

/// A group's or package's sets in three values.
struct Decided {
    /// The members.
    members: Bitset,
    /// The identities whose membership could not be decided (never members).
    undetermined: Bitset,
}

impl Decided {
    fn empty(n: usize) -> Decided {
        Decided {
            members: Bitset::with_capacity(n),
            undetermined: Bitset::with_capacity(n),
        }
    }
}

/// The property read by the condition of `rule` written at `span` (the identity attribute
/// of the same name): for a condition on a quantifier's items, the quantified property.
pub(crate) fn failing_property(rule: &crate::rule::RuleProgram, span: Span) -> Option<&str> {
    use crate::rule::compile::{Node, Target};
    fn find(node: &Node, span: Span, quantified: Option<usize>) -> Option<usize> {
        match node {
            Node::And(c) | Node::Or(c) => c.iter().find_map(|c| find(c, span, quantified)),
            Node::Not(inner) => find(inner, span, quantified),
            Node::Test {
                target, span: at, ..
            } if *at == span => match target {
                Target::Slot(s) => Some(*s),
                _ => quantified,
            },
            Node::Quantified { slot, body, .. } => find(body, span, Some(*slot)),
            _ => None,
        }
    }
    let slot = find(&rule.root, span, None)?;
    rule.properties.get(slot).map(|p| p.name.as_str())
}

/// A membership in words: ``membership of group `x` ``.
fn node_words(node: &NodeId) -> String {
    match node {
        NodeId::Group(g) => format!("membership of group `{g}`"),
        NodeId::Package(p) => format!("assignment of access package `{p}`"),
        other => format!("`{other}`"),
    }
}

/// A group or package as the report names it: `group:x`, `access_package:x`.
fn node_ref(node: &NodeId) -> String {
    match node {
        NodeId::Group(g) => format!("group:{g}"),
        NodeId::Package(p) => format!("access_package:{p}"),
        other => other.to_string(),
    }
}

/// Separation of duties: identities holding incompatible packages, or a package and a group
/// it is incompatible with. Each pair is reported once per identity, whichever side declares
/// it (or both), at the first declaration in policy order; it is an error when either
/// declaring package says `separation_of_duties: error`.
fn separation_of_duties(
    loaded: &Loaded,
    people: &[correlate::Person],
    groups: &[(String, Bitset)],
    package_sets: &[(String, Bitset)],
    issues: &mut Vec<DataIssue>,
) -> Vec<report::Conflict> {
    use std::collections::BTreeMap;
    let set = |sets: &'_ [(String, Bitset)], name: &str| -> Option<Bitset> {
        sets.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone())
    };
    // Every declared pair, keyed by its two sides (packages in name order), with where it is
    // declared and whether some declaration makes it an error.
    type Side = (&'static str, String);
    let mut pairs: BTreeMap<(Side, Side), (report::PolicyPlace, String, bool)> = BTreeMap::new();
    for file in &loaded.files {
        for (pname, pkg) in &file.policy.access_packages {
            let error = pkg
                .value
                .separation_of_duties
                .as_ref()
                .is_some_and(|s| s.value == raw::ConflictSeverity::Error);
            let declared = pkg
                .value
                .incompatible_packages
                .iter()
                .map(|o| {
                    let (a, b) = if pname.value <= o.value {
                        (pname.value.clone(), o.value.clone())
                    } else {
                        (o.value.clone(), pname.value.clone())
                    };
                    (
                        ("access_package", a),
                        ("access_package", b),
                        o.span,
                        "incompatible_packages",
                    )
                })
                .chain(pkg.value.incompatible_groups.iter().map(|g| {
                    (
                        ("access_package", pname.value.clone()),
                        ("group", g.value.clone()),
                        g.span,
                        "incompatible_groups",
                    )
                }));
            for (first, second, span, list) in declared {
                if first == second {
                    continue;
                }
                let entry = pairs.entry((first, second)).or_insert_with(|| {
                    (
                        policy_place(loaded, file.id, span),
                        format!("access_packages.{}.{list}", pname.value),
                        false,
                    )
                });
                entry.2 |= error;
            }
        }
    }
    let mut conflicts = Vec::new();
    for ((first, second), (at, field, error)) in pairs {
        let sets_of = |kind: &str| {
            if kind == "group" {
                groups
            } else {
                package_sets
            }
        };
        let (Some(mut both), Some(other)) = (
            set(sets_of(first.0), &first.1),
            set(sets_of(second.0), &second.1),
        ) else {
            continue;
        };
        both.intersect_with(&other);
        let severity = if error {
            Severity::Error
        } else {
            Severity::Warning
        };
        for i in both.ones() {
            let key = people.get(i).map_or("", |p| p.key.as_str());
            let words = |(kind, name): &Side| {
                if *kind == "group" {
                    format!("group `{name}`")
                } else {
                    format!("access package `{name}`")
                }
            };
            issues.push(DataIssue {
                code: Code::SeparationOfDuties,
                severity,
                file: at.file.clone(),
                row: Some(at.line),
                field: Some(field.clone()),
                message: format!(
                    "identity `{key}` holds {} and {}, declared incompatible here",
                    words(&first),
                    words(&second)
                ),
                help: Some(
                    "remove one assignment, or revisit the auto-assignment rules; `separation_of_duties: error` on the package (or `eval --deny-conflicts`) fails the run on it"
                        .into(),
                ),
            });
            conflicts.push(report::Conflict {
                identity: key.to_string(),
                severity,
                first: report::Held {
                    kind: first.0,
                    name: first.1.clone(),
                },
                second: report::Held {
                    kind: second.0,
                    name: second.1.clone(),
                },
                declared_at: at.clone(),
            });
        }
    }
    conflicts.sort_by(|a, b| {
        (&a.identity, &a.first, &a.second).cmp(&(&b.identity, &b.first, &b.second))
    });
    conflicts
}

pub fn raw_packages(loaded: &Loaded) -> Vec<(String, &raw::AccessPackage)> {
    loaded
        .files
        .iter()
        .flat_map(|f| f.policy.access_packages.iter())
        .map(|(n, p)| (n.value.clone(), &p.value))
        .collect()
}

const STATIC_HELP: &str = "remove the entry once the person has left, or add it when their account exists; static membership grants nothing without an account";
