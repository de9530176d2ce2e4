//! The `eval` stage: the desired state of every identity.
//!
//! Evaluation is a pure function of the checked policy, the source data and the as-of date:
//! sources are read ([`crate::ingest`]), records are correlated into identities, identity
//! attributes are computed in the dependency graph's order, the lifecycle state is derived from
//! the dates, then groups, access packages and target accounts follow. Identities are processed
//! in key order, so population-level choices (`SelectUniqueValue`) are deterministic whatever the
//! order of rows in the input files.

mod accounts;
pub mod columns;
pub mod correlate;
pub mod explain;
pub mod lifecycle;
pub mod report;

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::codes::Code;
use crate::column::Column;
use crate::diagnostics::Severity;
use crate::diagnostics::{FileId, Sources as _, Span};
use crate::ingest::{self, DataIssue, Dataset};
use crate::policy::Policy;
use crate::policy::compile::{MappingDef, MappingKind, ProgramKind};
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::policy::raw;
use crate::rule::RuleContext;
use crate::rule::sets::{Bitset, Members, Population, SetEvaluator};
use crate::value::Value;
use rayon::prelude::*;

pub use report::{Account, AccountState, DesiredState, IdentityState, Lifecycle};

/// Evaluation settings.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The date the state is computed for (midnight UTC).
    pub as_of: NaiveDate,
}

/// Reads every source of the policy set (paths relative to the declaring file, inside the
/// root of [`Loaded::access`]), in declaration order. A source that gives no dataset (missing,
/// unreadable, unparsable), or no records without being declared `optional: true`, is a
/// `D112`; a refused file (outside the root, not a regular file, over the size limit) is its
/// own refusal. Either way the caller must not go on ([`DesiredState::cannot_run`]).
pub fn read_sources(loaded: &Loaded, issues: &mut Vec<DataIssue>) -> Vec<Dataset> {
    let mut datasets = Vec::new();
    for file in &loaded.files {
        let base = file
            .path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        for (name, source) in &file.policy.sources {
            let (data, mut problems) =
                ingest::read(&name.value, &source.value, &base, &loaded.access);
            // A file refused for safety is its own reason to stop: no `D112` on top of it.
            let refused = problems
                .iter()
                .any(|p| p.code != Code::DataSourceUnusable && p.code.stops_evaluation());
            issues.append(&mut problems);
            if refused {
                continue;
            }
            let optional = source.value.optional.as_ref().is_some_and(|o| o.value);
            let unusable = |why: &str| {
                DataIssue::new(
                    Code::DataSourceUnusable,
                    &ingest::display_path(&source.value, &base),
                    format!("source `{}` {why}: nothing is evaluated", name.value),
                )
            };
            match data {
                None => issues.push(unusable("could not be read").help(
                    "fix the problem reported for the file; a report without this source's people would be wrong",
                )),
                Some(d) if d.is_empty() && !optional => issues.push(
                    unusable("yields no records").help(
                        "check the export; declare the source `optional: true` if it may legitimately be empty",
                    ),
                ),
                Some(d) => datasets.push(d),
            }
        }
    }
    datasets
}

/// Computes the desired state.
pub fn evaluate(loaded: &Loaded, policy: &Policy, options: Options) -> DesiredState {
    let now = options.as_of.and_hms_opt(0, 0, 0).unwrap_or_default();
    let env = columns::Env {
        now,
        default_domain: default_domain(loaded),
    };
    let mut issues: Vec<DataIssue> = Vec::new();

    let mut clock = Stages::new();
    // 1. Read every source.
    let datasets = read_sources(loaded, &mut issues);
    if issues.iter().any(|i| i.code.stops_evaluation()) {
        return DesiredState::new(options.as_of, report::Identities::default(), issues);
    }
    let identity = loaded.files.iter().find_map(|f| f.policy.identity.as_ref());

    clock.lap("read sources");
    // 2. Correlate records into identities.
    let precedence: Vec<String> = identity
        .map(|i| i.value.precedence.iter().map(|p| p.value.clone()).collect())
        .unwrap_or_default();
    let pairs: Vec<(String, String)> = identity
        .map(|i| {
            i.value
                .correlation
                .iter()
                .map(|c| (c.value.left.value.clone(), c.value.right.value.clone()))
                .collect()
        })
        .unwrap_or_default();
    let people = correlate::correlate(&datasets, &pairs, &precedence, &mut issues);
    let n = people.len();
    if n == 0 {
        // Every source is optional and empty: there is nobody to evaluate, and a report that
        // says so would read as "remove everyone".
        issues.push(
            DataIssue::new(
                Code::DataSourceUnusable,
                datasets.first().map_or("", |d| d.file.as_str()),
                "the sources yield no records: nothing is evaluated",
            )
            .help("a policy set needs at least one record to evaluate"),
        );
        return DesiredState::new(options.as_of, report::Identities::default(), issues);
    }
    let locate = Locator {
        policy,
        datasets: &datasets,
        people: &people,
    };

    clock.lap("correlate");
    // 3. Identity attributes, a column at a time in the graph's order; the columns of one
    //    level of the graph (none reads another) are computed in parallel.
    let mut progress = Progress::new(n, policy.mappings.len());
    let sources = SourceColumns::new(policy, &datasets, &people);
    let order = attribute_order(policy);
    let mut level: HashMap<&str, usize> = HashMap::new();
    let mut steps: Vec<(usize, &String, &MappingDef)> = Vec::new();
    for attr in &order {
        let Some(mapping) = policy.mappings.get(&NodeId::Attribute(attr.clone())) else {
            continue;
        };
        let depth = 1 + mapping
            .inputs()
            .filter_map(|n| match n {
                NodeId::Attribute(a) => level.get(a.as_str()).copied(),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        level.insert(attr.as_str(), depth);
        steps.push((depth, attr, mapping));
    }
    let mut attributes: HashMap<&str, Column> = HashMap::new();
    let mut ignored = Bitset::with_capacity(n);
    let deepest = steps.iter().map(|s| s.0).max().unwrap_or(0);
    for depth in 1..=deepest {
        let batch: Vec<&(usize, &String, &MappingDef)> =
            steps.iter().filter(|s| s.0 == depth).collect();
        let results: Vec<columns::Computed> = batch
            .par_iter()
            .map(|(_, attr, mapping)| {
                let (how, inputs) = resolve(policy, mapping, |node| match node {
                    NodeId::SourceField(..) => sources.get(node),
                    NodeId::Attribute(a) => attributes.get(a.as_str()),
                    _ => None,
                });
                columns::compute(attr, how, &inputs, mapping.default.as_deref(), n, None, env)
            })
            .collect();
        for ((_, attr, _), computed) in batch.into_iter().zip(results) {
            progress.tick();
            for (row, d) in computed.errors {
                issues.push(
                    locate
                        .attribute(row, attr, d.code, d.message)
                        .help_opt(d.help.clone()),
                );
            }
            for row in computed.ignore_object {
                ignored.insert(row);
            }
            attributes.insert(attr.as_str(), computed.column);
        }
    }
    drop(sources);
    // Report attributes in declaration order, whatever order they were computed in.
    let attributes: Vec<(String, Column)> = policy
        .attributes
        .keys()
        .map(|k| {
            let column = attributes
                .remove(k.as_str())
                .unwrap_or_else(|| Column::nulls(n));
            (k.clone(), column)
        })
        .collect();
    let column_of = |name: &str| -> Option<&Column> {
        attributes.iter().find(|(a, _)| a == name).map(|(_, c)| c)
    };
    let lifecycle_rules = lifecycle::Rules::new(identity.map(|i| &i.value));
    let lifecycle = lifecycles(&lifecycle_rules, &column_of, &locate, now, &mut issues);
    manager_issues(&locate, column_of("manager"), &mut issues);

    clock.lap("identity attributes and lifecycle");
    // 4. Groups and packages, set-wise over the population, in the graph's order (memberOf
    //    reads earlier groups; a group granted by a package reads the package).
    let ctx = RuleContext { now };
    let mut population = Population::new(n);
    for (name, column) in &attributes {
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
    for node in &graph_order {
        match node {
            NodeId::Group(name) => {
                let mut set = evaluate_node(node, &sets, &mut causes, &mut undetermined);
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
                let set = evaluate_node(node, &sets, &mut causes, &mut undetermined);
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
    let conflicts = separation_of_duties(loaded, &people, &groups, &package_sets, &mut issues);

    clock.lap("groups and access packages (rules)");
    // 5. Accounts in each target, for identities in scope.
    let mut holders_base = eligible.clone();
    holders_base.difference_with(&ignored);
    let mut targets: Vec<report::TargetAccounts> = Vec::new();
    // Groups and packages with their undetermined identities added: who could be in a
    // target's scope if every undetermined membership held.
    let any_maybe = groups_maybe
        .iter()
        .chain(&packages_maybe)
        .any(|(_, b)| !b.is_clear());
    let possible = |definite: &[(String, Bitset)], maybe: &[(String, Bitset)]| {
        definite
            .iter()
            .zip(maybe)
            .map(|((name, d), (_, m))| {
                let mut b = d.clone();
                b.union_with(m);
                (name.clone(), b)
            })
            .collect::<Vec<_>>()
    };
    let (groups_possible, packages_possible) = if any_maybe {
        (
            possible(&groups, &groups_maybe),
            possible(&package_sets, &packages_maybe),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    for file in &loaded.files {
        for (tname, target) in &file.policy.targets {
            let target = &target.value;
            let mut holders = holders_base.clone();
            holders.intersect_with(&scope_of(
                &tname.value,
                target,
                &groups,
                &package_sets,
                &packages,
                &column_of,
                n,
            ));
            if any_maybe || has_regex_filters(target) {
                // In scope only if an undetermined membership or an undecidable scoping clause
                // held: no account, reported.
                let (g, p) = if any_maybe {
                    (&groups_possible, &packages_possible)
                } else {
                    (&groups, &package_sets)
                };
                let mut undecided = Vec::new();
                let mut maybe = holders_base.clone();
                maybe.intersect_with(&scope_with(
                    &tname.value,
                    target,
                    g,
                    p,
                    &packages,
                    &column_of,
                    n,
                    Some(&mut undecided),
                ));
                maybe.difference_with(&holders);
                let undecided: HashMap<usize, (String, String)> = undecided
                    .into_iter()
                    .map(|(i, attr, why)| (i, (attr, why)))
                    .collect();
                for i in maybe.ones() {
                    let reason = match undecided.get(&i) {
                        Some((attr, why)) => {
                            issues.push(
                                locate.attribute(
                                    i,
                                    attr,
                                    Code::UndeterminedMembership,
                                    format!(
                                        "the scoping filter of target `{}` cannot be decided on `{attr}`, so no account is granted: {why}",
                                        tname.value
                                    ),
                                ),
                            );
                            format!("the scoping filter on `{attr}` cannot be decided: {why}")
                        }
                        None => "in the target's scope only through a group or access package whose membership is undetermined".into(),
                    };
                    undetermined.push((
                        i,
                        report::Undetermined {
                            of: format!("account:{}", tname.value),
                            reason,
                        },
                    ));
                }
            }
            let plan: Vec<(&String, &MappingDef)> = target
                .mappings
                .keys()
                .filter_map(|aname| {
                    let node = NodeId::TargetAttribute(tname.value.clone(), aname.value.clone());
                    Some((&aname.value, policy.mappings.get(&node)?))
                })
                .collect();
            let results: Vec<columns::Computed> = plan
                .par_iter()
                .map(|(aname, mapping)| {
                    let (how, inputs) = resolve(policy, mapping, |node| match node {
                        NodeId::Attribute(a) => column_of(a),
                        _ => None,
                    });
                    columns::compute(
                        &format!("{}.{aname}", tname.value),
                        how,
                        &inputs,
                        mapping.default.as_deref(),
                        n,
                        Some(&holders),
                        env,
                    )
                })
                .collect();
            let mut columns_out = Vec::with_capacity(plan.len());
            for ((aname, _), computed) in plan.into_iter().zip(results) {
                progress.tick();
                for (row, d) in computed.errors {
                    let mut issue =
                        locate.primary(row, format!("{}.{}", tname.value, aname), d.code);
                    issue.message = format!("identity `{}`: {}", locate.key(row), d.message);
                    issues.push(issue.help_opt(d.help.clone()));
                }
                let absent = (!computed.ignore_attribute.is_empty()).then(|| {
                    let mut b = Bitset::with_capacity(n);
                    for row in &computed.ignore_attribute {
                        b.insert(*row);
                    }
                    b
                });
                columns_out.push((aname.clone(), computed.column, absent));
            }
            // One decision for whether each account is enabled: the lifecycle, then any
            // enable/disable attribute that disables; such an attribute never enables.
            let enabled = accounts::decide_enabled(
                &tname.value,
                target.kind.value,
                &holders,
                &lifecycle,
                &mut columns_out,
                &|i| {
                    people
                        .get(i)
                        .map_or((String::new(), None, String::new()), |p| {
                            (p.origin(&datasets), p.first_row(&datasets), p.key.clone())
                        })
                },
                &mut issues,
            );
            targets.push(report::TargetAccounts {
                name: tname.value.clone(),
                holders,
                enabled,
                attributes: columns_out,
            });
        }
    }
    targets.sort_by(|a, b| a.name.cmp(&b.name));
    progress.done();

    clock.lap("target accounts");
    undetermined.sort_by(|a, b| (a.0, &a.1.of).cmp(&(b.0, &b.1.of)));
    undetermined.dedup_by(|a, b| a.0 == b.0 && a.1.of == b.1.of);
    let identities = report::Identities {
        datasets,
        people,
        attributes,
        lifecycle,
        ignored,
        groups,
        packages: package_sets,
        targets,
        undetermined,
        conflicts,
    };
    let mut state = DesiredState::new(options.as_of, identities, issues);
    state.display_names = loaded.display_names();
    clock.lap("report");
    clock.finish();
    state
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

/// Where the data of an identity is, for data issues: every issue caused by a record names
/// its file, row and field.
struct Locator<'a> {
    policy: &'a Policy,
    datasets: &'a [Dataset],
    people: &'a [correlate::Person],
}

impl Locator<'_> {
    /// Identity `i`'s key.
    fn key(&self, i: usize) -> &str {
        self.people.get(i).map_or("", |p| p.key.as_str())
    }

    /// An issue at identity `i`'s primary record, about `field`.
    fn primary(&self, i: usize, field: String, code: Code) -> DataIssue {
        let person = self.people.get(i);
        DataIssue {
            code,
            severity: code.severity(),
            file: person.map(|p| p.origin(self.datasets)).unwrap_or_default(),
            row: person.and_then(|p| p.first_row(self.datasets)),
            field: Some(field),
            message: String::new(),
            help: None,
        }
    }

    /// An issue about identity `i`'s attribute `attr`: at the record and field it is copied
    /// from when its mapping copies a source field (directly or through other attributes),
    /// else at the primary record, naming the attribute. The message is prefixed with the
    /// identity.
    fn attribute(&self, i: usize, attr: &str, code: Code, message: String) -> DataIssue {
        let mut issue = match self.source_of(attr) {
            Some((source, field)) => {
                let found = self
                    .datasets
                    .iter()
                    .position(|d| d.source == source)
                    .and_then(|d| self.people.get(i)?.record_in(self.datasets, d));
                match found {
                    Some((file, row)) => DataIssue {
                        code,
                        severity: code.severity(),
                        file,
                        row: Some(row),
                        field: Some(field.to_string()),
                        message: String::new(),
                        help: None,
                    },
                    None => self.primary(i, attr.to_string(), code),
                }
            }
            None => self.primary(i, attr.to_string(), code),
        };
        issue.message = format!("identity `{}`: {message}", self.key(i));
        issue
    }

    /// The source field an attribute copies, following direct copies of other attributes.
    fn source_of(&self, attr: &str) -> Option<(&str, &str)> {
        let mut at = attr;
        for _ in 0..64 {
            let mapping = self
                .policy
                .mappings
                .get(&NodeId::Attribute(at.to_string()))?;
            match &mapping.kind {
                MappingKind::Direct(NodeId::SourceField(s, f)) => return Some((s, f)),
                MappingKind::Direct(NodeId::Attribute(a)) => at = a,
                _ => return None,
            }
        }
        None
    }
}

/// The property read by the condition of `rule` written at `span` (the identity attribute
/// of the same name): for a condition on a quantifier's items, the quantified property.
fn failing_property(rule: &crate::rule::RuleProgram, span: Span) -> Option<&str> {
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

/// A place in a policy file.
fn policy_place(loaded: &Loaded, file: FileId, span: Span) -> report::PolicyPlace {
    let src = loaded.sources.source(file);
    let at = src.line_col(span.start);
    report::PolicyPlace {
        file: src.name.to_string(),
        line: at.line,
        column: at.column,
    }
}

/// The identity-space columns of the source fields that mappings read: each gathered once
/// from its dataset by each identity's record in that source.
struct SourceColumns(HashMap<NodeId, Column>);

impl SourceColumns {
    fn new(policy: &Policy, datasets: &[Dataset], people: &[correlate::Person]) -> SourceColumns {
        let mut rows: HashMap<usize, Vec<Option<usize>>> = HashMap::new();
        let mut out = HashMap::new();
        for mapping in policy.mappings.values() {
            for node in mapping.inputs() {
                let NodeId::SourceField(s, f) = node else {
                    continue;
                };
                if out.contains_key(node) {
                    continue;
                }
                let Some((d, data)) = datasets.iter().enumerate().find(|(_, d)| d.source == *s)
                else {
                    continue;
                };
                let Some(field) = data.field_index(f) else {
                    continue;
                };
                let rows = rows.entry(d).or_insert_with(|| {
                    people
                        .iter()
                        .map(|p| p.records.iter().find(|(pd, _)| *pd == d).map(|(_, r)| *r))
                        .collect()
                });
                let column = source_column(data, field).gather(rows.iter().copied());
                out.insert(node.clone(), column);
            }
        }
        SourceColumns(out)
    }

    fn get(&self, node: &NodeId) -> Option<&Column> {
        self.0.get(node)
    }
}

/// The column of one field of a dataset.
fn source_column(data: &Dataset, field: usize) -> Column {
    data.column(field)
        .cloned()
        .unwrap_or_else(|| Column::nulls(data.len()))
}

/// How a mapping is computed and its input columns, by slot.
pub(crate) fn resolve<'p, 'c>(
    policy: &'p Policy,
    mapping: &'p MappingDef,
    column: impl Fn(&NodeId) -> Option<&'c Column>,
) -> (columns::How<'p>, Vec<Option<&'c Column>>) {
    match &mapping.kind {
        MappingKind::Direct(node) => (columns::How::Copy, vec![column(node)]),
        MappingKind::Constant(c) => (columns::How::Constant(c), Vec::new()),
        MappingKind::Expression { program, slots } => {
            match policy.programs.get(*program).map(|d| &d.kind) {
                Some(ProgramKind::Expression { program, .. }) => (
                    columns::How::Expression(program),
                    slots.iter().map(|s| s.as_ref().and_then(&column)).collect(),
                ),
                _ => (columns::How::Copy, vec![None]),
            }
        }
    }
}

/// The identities in a target's scope: with `sync: all` everyone, otherwise (the default)
/// those assigned to it — members of its groups, holders of its access packages and of any
/// package that grants one of its app roles — then those passing the scoping filters (when
/// any are given). An assigned-only target that nothing assigns holds nobody. A clause that
/// cannot be decided on a value (a `REGEX MATCH` whose pattern fails on it) never passes.
fn scope_of<'c>(
    name: &str,
    target: &raw::Target,
    groups: &[(String, Bitset)],
    package_sets: &[(String, Bitset)],
    packages: &[(String, &raw::AccessPackage)],
    column_of: &dyn Fn(&str) -> Option<&'c Column>,
    n: usize,
) -> Bitset {
    scope_with(
        name,
        target,
        groups,
        package_sets,
        packages,
        column_of,
        n,
        None,
    )
}

/// Whether a target has `REGEX MATCH` scoping clauses, which may not be decidable.
fn has_regex_filters(target: &raw::Target) -> bool {
    target.scope.iter().any(|s| {
        s.value
            .filters
            .iter()
            .flat_map(|f| f.value.iter())
            .any(|c| {
                matches!(
                    c.value.operator.value,
                    raw::ClauseOperator::RegexMatch | raw::ClauseOperator::NotRegexMatch
                )
            })
    })
}

/// [`scope_of`]; with `undecided`, a clause that cannot be decided on an identity's value
/// passes instead, and the identity is recorded with the clause's attribute and why (so that
/// the difference from [`scope_of`] is who is in scope only if the undecidable held).
#[allow(clippy::too_many_arguments)]
fn scope_with<'c>(
    name: &str,
    target: &raw::Target,
    groups: &[(String, Bitset)],
    package_sets: &[(String, Bitset)],
    packages: &[(String, &raw::AccessPackage)],
    column_of: &dyn Fn(&str) -> Option<&'c Column>,
    n: usize,
    mut undecided: Option<&mut Vec<(usize, String, String)>>,
) -> Bitset {
    let mut all = Bitset::with_capacity(n);
    all.insert_range(..);
    let scope = target.scope.as_ref().map(|s| &s.value);
    let sync_all = scope
        .and_then(|s| s.sync.as_ref())
        .is_some_and(|s| s.value == raw::SyncMode::All);
    let assigned = if sync_all {
        all.clone()
    } else {
        let mut set = Bitset::with_capacity(n);
        let named = |sets: &[(String, Bitset)], name: &str| {
            sets.iter().find(|(g, _)| g == name).map(|(_, b)| b.clone())
        };
        for g in scope.iter().flat_map(|s| &s.groups) {
            if let Some(b) = named(groups, &g.value) {
                set.union_with(&b);
            }
        }
        for p in scope.iter().flat_map(|s| &s.access_packages) {
            if let Some(b) = named(package_sets, &p.value) {
                set.union_with(&b);
            }
        }
        // An app-role grant is an assignment to its target.
        for (pname, pkg) in packages {
            let grants = pkg.resources.iter().any(
                |r| matches!(&r.value, raw::Resource::AppRole(role) if role.target.value == name),
            );
            if grants && let Some(b) = named(package_sets, pname) {
                set.union_with(&b);
            }
        }
        set
    };
    let Some(scope) = scope else {
        return assigned;
    };
    if scope.filters.is_empty() {
        return assigned;
    }
    let patterns = Patterns::new(target);
    let mut filtered = Bitset::with_capacity(n);
    for (fi, f) in scope.filters.iter().enumerate() {
        // A filter passes when every clause does: each clause once per distinct value.
        let mut pass = all.clone();
        for (ci, c) in f.value.iter().enumerate() {
            let column = column_of(&c.value.attribute.value);
            let lenient = undecided.is_some();
            let hit = |v: Option<&Value>| clause(&c.value, v, patterns.0.get(&(fi, ci)));
            let set = match column {
                None => {
                    if hit(None).unwrap_or(lenient) {
                        all.clone()
                    } else {
                        Bitset::with_capacity(n)
                    }
                }
                Some(column) => {
                    let table: Vec<Result<bool, String>> =
                        column.dictionary().iter().map(|v| hit(Some(v))).collect();
                    let mut b = Bitset::with_capacity(n);
                    for i in 0..n {
                        match table.get(column.code(i) as usize) {
                            Some(Ok(true)) => b.insert(i),
                            Some(Err(why)) => {
                                if let Some(out) = undecided.as_deref_mut() {
                                    b.insert(i);
                                    out.push((i, c.value.attribute.value.clone(), why.clone()));
                                }
                            }
                            _ => {}
                        }
                    }
                    b
                }
            };
            pass.intersect_with(&set);
        }
        filtered.union_with(&pass);
    }
    filtered.intersect_with(&assigned);
    filtered
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

/// A progress line on standard error for long runs (columns computed out of all mappings),
/// only when standard error is a terminal (never in CI logs or redirected output).
struct Progress {
    on: bool,
    total: usize,
    done: usize,
}

impl Progress {
    fn new(identities: usize, columns: usize) -> Progress {
        use std::io::IsTerminal as _;
        Progress {
            on: identities >= 50_000 && std::io::stderr().is_terminal(),
            total: columns,
            done: 0,
        }
    }

    fn tick(&mut self) {
        self.done += 1;
        if self.on {
            note(&format!("\r{}", self.line()));
        }
    }

    fn line(&self) -> String {
        format!(
            "evaluating: {:>3}% ({}/{} mappings)",
            self.done * 100 / self.total.max(1),
            self.done,
            self.total
        )
    }

    fn done(&self) {
        if self.on {
            note("\n");
        }
    }
}

/// Writes a progress line or a timing on standard error. These are for a person watching a
/// terminal or a benchmark, not part of the result: a failed write is ignored (the command's
/// own output goes through the checked writer of the command line).
fn note(text: &str) {
    use std::io::Write as _;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}

/// Stage timings, printed on standard error when `ROSTER_TIMINGS` is set (for benchmarks:
/// each stage's share of the run).
struct Stages {
    on: bool,
    start: std::time::Instant,
    last: std::time::Instant,
    laps: Vec<(&'static str, std::time::Duration)>,
}

impl Stages {
    fn new() -> Stages {
        let now = std::time::Instant::now();
        Stages {
            on: std::env::var_os("ROSTER_TIMINGS").is_some(),
            start: now,
            last: now,
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((name, now - self.last));
        self.last = now;
    }

    fn finish(&self) {
        if !self.on {
            return;
        }
        let total = self.start.elapsed().as_secs_f64().max(f64::EPSILON);
        for (name, d) in &self.laps {
            note(&format!(
                "timing: {name:<40} {:>9.3} s {:>5.1}%\n",
                d.as_secs_f64(),
                100.0 * d.as_secs_f64() / total
            ));
        }
    }
}

/// The scoping-filter patterns of one target, compiled once: `REGEX MATCH` values by the
/// clause's position (filter, clause).
struct Patterns(HashMap<(usize, usize), crate::dotnet::regex::NetRegex>);

impl Patterns {
    fn new(target: &raw::Target) -> Patterns {
        let mut map = HashMap::new();
        for (f, filter) in target
            .scope
            .iter()
            .flat_map(|s| s.value.filters.iter())
            .enumerate()
        {
            for (c, clause) in filter.value.iter().enumerate() {
                if let Some(v) = &clause.value.value
                    && matches!(
                        clause.value.operator.value,
                        raw::ClauseOperator::RegexMatch | raw::ClauseOperator::NotRegexMatch
                    )
                    && let Ok(re) = crate::dotnet::regex::NetRegex::new(
                        &v.value,
                        crate::dotnet::regex::Options::default(),
                    )
                {
                    map.insert((f, c), re);
                }
            }
        }
        Patterns(map)
    }
}

/// One scoping-filter clause (reference §3.3): case-sensitive, false on null or empty except for
/// the `IS NULL` / `IS FALSE` tests; `Err` (why) when a `REGEX MATCH` pattern cannot be decided
/// on the value.
fn clause(
    c: &raw::Clause,
    value: Option<&Value>,
    pattern: Option<&crate::dotnet::regex::NetRegex>,
) -> Result<bool, String> {
    use raw::ClauseOperator as Op;
    let text = value
        .and_then(Value::as_text)
        .map(std::borrow::Cow::into_owned)
        .unwrap_or_default();
    let want = c.value.as_ref().map_or("", |v| v.value.as_str());
    let empty = text.is_empty();
    Ok(match c.operator.value {
        Op::IsNull => empty,
        Op::IsNotNull => !empty,
        Op::IsTrue => text.eq_ignore_ascii_case("true"),
        Op::IsFalse => !text.eq_ignore_ascii_case("true"),
        _ if empty => false,
        Op::Equals => text == want,
        Op::NotEquals => text != want,
        Op::EndsWith => text.ends_with(want),
        Op::Includes => text.contains(want),
        Op::In => want.split(',').any(|w| w.trim() == text),
        Op::NotIn => !want.split(',').any(|w| w.trim() == text),
        Op::GreaterThan | Op::GreaterThanOrEquals => {
            match (text.trim().parse::<i64>(), want.trim().parse::<i64>()) {
                (Ok(a), Ok(b)) => {
                    if c.operator.value == Op::GreaterThan {
                        a > b
                    } else {
                        a >= b
                    }
                }
                _ => false,
            }
        }
        Op::RegexMatch | Op::NotRegexMatch => {
            let hit = match pattern.map(|re| re.is_match(&text)) {
                Some(Ok(hit)) => hit,
                Some(Err(e)) => return Err(e.message),
                None => false,
            };
            if c.operator.value == Op::RegexMatch {
                hit
            } else {
                !hit
            }
        }
    })
}

/// The `manager` attribute must name another identity: report references to nobody, to the
/// person themself, and cycles in the management chain (once per cycle).
fn manager_issues(locate: &Locator<'_>, manager: Option<&Column>, issues: &mut Vec<DataIssue>) {
    let Some(manager) = manager else {
        return;
    };
    let people = locate.people;
    let keys: HashMap<&str, usize> = people
        .iter()
        .enumerate()
        .map(|(i, p)| (p.key.as_str(), i))
        .collect();
    // The text of each distinct manager value, once.
    let texts: Vec<Option<String>> = manager
        .dictionary()
        .iter()
        .map(|v| {
            v.as_text()
                .map(|m| m.into_owned())
                .filter(|m| !m.is_empty())
        })
        .collect();
    let issue = |code: Code, severity: Severity, i: usize, message: String, help: &str| {
        locate
            .attribute(i, "manager", code, message)
            .severity(severity)
            .help(help)
    };
    let mut next: Vec<Option<usize>> = vec![None; people.len()];
    for i in 0..people.len() {
        let Some(Some(m)) = texts.get(manager.code(i) as usize) else {
            continue;
        };
        match keys.get(m.as_str()) {
            None => issues.push(issue(
                Code::DataDanglingManager,
                Severity::Warning,
                i,
                format!("manager `{m}` is not an identity"),
                "check the manager reference in the HR data",
            )),
            Some(j) if *j == i => issues.push(issue(
                Code::DataSelfManager,
                Severity::Warning,
                i,
                "is their own manager".into(),
                "the top of the hierarchy should have no manager",
            )),
            Some(j) => {
                if let Some(slot) = next.get_mut(i) {
                    *slot = Some(*j);
                }
            }
        }
    }
    // Cycles: follow each chain; a chain that returns to a node on the current path is a cycle.
    let mut state = vec![0u8; people.len()]; // 0 new, 1 on path, 2 done
    for start in 0..people.len() {
        let mut path = Vec::new();
        let mut cur = Some(start);
        while let Some(c) = cur {
            match state.get(c).copied() {
                Some(0) => {
                    if let Some(s) = state.get_mut(c) {
                        *s = 1;
                    }
                    path.push(c);
                    cur = next.get(c).copied().flatten();
                }
                Some(1) => {
                    let from = path.iter().position(|p| *p == c).unwrap_or(0);
                    let cycle: Vec<&str> = path
                        .get(from..)
                        .unwrap_or(&[])
                        .iter()
                        .filter_map(|i| people.get(*i))
                        .map(|s| s.key.as_str())
                        .collect();
                    let chain = cycle
                        .iter()
                        .chain(cycle.first())
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" -> ");
                    if let Some(first) = path.get(from) {
                        issues.push(issue(
                            Code::DataManagerCycle,
                            Severity::Error,
                            *first,
                            format!("management chain is a cycle: {chain}"),
                            "one of these people needs a different manager",
                        ));
                    }
                    break;
                }
                _ => break,
            }
        }
        for p in path {
            if let Some(s) = state.get_mut(p) {
                *s = 2;
            }
        }
    }
}

fn raw_packages(loaded: &Loaded) -> Vec<(String, &raw::AccessPackage)> {
    loaded
        .files
        .iter()
        .flat_map(|f| f.policy.access_packages.iter())
        .map(|(n, p)| (n.value.clone(), &p.value))
        .collect()
}

pub(crate) fn default_domain(loaded: &Loaded) -> &str {
    loaded
        .files
        .iter()
        .find_map(|f| f.policy.tenant.as_ref())
        .map_or("contoso.onmicrosoft.com", |t| {
            t.value.default_domain.value.as_str()
        })
}

/// Identity attributes in dependency order (declaration order where the graph is cyclic, which
/// lint has already reported).
fn attribute_order(policy: &Policy) -> Vec<String> {
    match policy.graph.order() {
        Some(order) => order
            .into_iter()
            .filter_map(|n| match n {
                NodeId::Attribute(a) => Some(a.clone()),
                _ => None,
            })
            .collect(),
        None => policy.attributes.keys().cloned().collect(),
    }
}

const STATIC_HELP: &str = "remove the entry once the person has left, or add it when their account exists; static membership grants nothing without an account";
const UNKNOWN_HELP: &str = "no account is enabled and no access is granted to this identity; whatever it holds now is held as it is (no grant, no removal) until the HR data is fixed";
const LEAVER_HELP: &str =
    "record the leave date in the HR data: retention, and then deletion, count from it";

/// The lifecycle state of every identity as of `now`, from the date and status attributes
/// (each distinct value read once); identities whose lifecycle is unknown (`E120`) or whose
/// status makes them leavers without a past leave date (`E121`) are reported.
fn lifecycles<'c>(
    rules: &lifecycle::Rules,
    column_of: &dyn Fn(&str) -> Option<&'c Column>,
    locate: &Locator<'_>,
    now: NaiveDateTime,
    issues: &mut Vec<DataIssue>,
) -> Vec<Lifecycle> {
    use lifecycle::{DateCell, StatusCell, Why};
    let n = locate.people.len();
    if !rules.configured {
        return vec![Lifecycle::Active; n];
    }
    let dates = |name: Option<&str>| -> Option<(&Column, Vec<DateCell>)> {
        let column = column_of(name?)?;
        let cells = column.dictionary().iter().map(DateCell::read).collect();
        Some((column, cells))
    };
    let hire = dates(Some(&rules.hire_date));
    let leave = dates(rules.leave_date.as_deref());
    let status: Option<(&Column, Vec<StatusCell>)> = rules
        .status
        .as_ref()
        .map(|(a, _)| {
            column_of(a).map_or_else(
                || (None, Vec::new()),
                |c| {
                    (
                        Some(c),
                        c.dictionary()
                            .iter()
                            .map(|v| rules.status_cell(v))
                            .collect(),
                    )
                },
            )
        })
        .and_then(|(c, cells)| c.map(|c| (c, cells)));
    let (missing, no_status, not_configured) = (
        DateCell::Missing,
        StatusCell::Missing,
        StatusCell::NotConfigured,
    );
    fn date_at<'a>(
        d: &'a Option<(&Column, Vec<DateCell>)>,
        i: usize,
        missing: &'a DateCell,
    ) -> &'a DateCell {
        d.as_ref()
            .and_then(|(c, cells)| cells.get(c.code(i) as usize))
            .unwrap_or(missing)
    }
    let status_at = |i: usize| -> &StatusCell {
        match (&rules.status, &status) {
            (None, _) => &not_configured,
            (Some(_), None) => &no_status,
            (Some(_), Some((c, cells))) => cells.get(c.code(i) as usize).unwrap_or(&no_status),
        }
    };
    let status_attr = rules.status.as_ref().map(|(a, _)| a.as_str());
    (0..n)
        .map(|i| {
            let (state, why) = rules.decide(
                date_at(&hire, i, &missing),
                date_at(&leave, i, &missing),
                status_at(i),
                now,
            );
            let field = match &why {
                Why::NoHireDate | Why::HireNotADate(_) => Some(rules.hire_date.as_str()),
                Why::LeaveNotADate(_) => rules.leave_date.as_deref(),
                Why::NoStatus | Why::StatusNotListed(_) | Why::StatusLeaver { .. } => status_attr,
                _ => None,
            };
            // At the record and field the attribute comes from, when it is copied.
            let issue = |code: Code, what: String, help: &str| {
                let issue = match field {
                    Some(attr) => locate.attribute(i, attr, code, what),
                    None => {
                        let mut issue = locate.primary(i, String::new(), code);
                        issue.field = None;
                        issue.message = format!("identity `{}`: {what}", locate.key(i));
                        issue
                    }
                };
                issue.help(help)
            };
            if state == Lifecycle::Unknown {
                issues.push(issue(
                    Code::LifecycleUnknown,
                    format!("lifecycle unknown: {}", why.describe()),
                    UNKNOWN_HELP,
                ));
            } else if matches!(why, Why::StatusLeaver { .. }) {
                issues.push(issue(
                    Code::LeaverWithoutLeaveDate,
                    format!("{}: the account is disabled and kept", why.describe()),
                    LEAVER_HELP,
                ));
            }
            state
        })
        .collect()
}

/// The lifecycle state from the dates alone (no status setting): pre-hire from `prehire_days`
/// before the hire date, a leaver from the day after the leave date, deleted after
/// `retention_days` more; a leave date before the hire date ends an earlier employment (see
/// [`lifecycle::Rules::decide`]).
pub fn lifecycle_at(
    hire: Option<NaiveDateTime>,
    leave: Option<NaiveDateTime>,
    prehire_days: i64,
    retention_days: i64,
    now: NaiveDateTime,
) -> Lifecycle {
    let clamp = |d: i64| u32::try_from(d.max(0)).unwrap_or(u32::MAX);
    let rules = lifecycle::Rules {
        configured: true,
        prehire_days: clamp(prehire_days),
        retention_days: clamp(retention_days),
        ..lifecycle::Rules::default()
    };
    let cell = |d: Option<NaiveDateTime>| {
        d.map_or(lifecycle::DateCell::Missing, lifecycle::DateCell::Date)
    };
    rules
        .decide(
            &cell(hire),
            &cell(leave),
            &lifecycle::StatusCell::NotConfigured,
            now,
        )
        .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_line_counts_mappings() {
        let mut p = Progress::new(10, 4);
        assert!(!p.on, "never for small populations");
        p.tick();
        assert_eq!(p.line(), "evaluating:  25% (1/4 mappings)");
        p.tick();
        p.tick();
        p.tick();
        assert_eq!(p.line(), "evaluating: 100% (4/4 mappings)");
    }

    fn day(d: &str) -> NaiveDateTime {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    /// Windows beyond the calendar (a setting that slipped past lint, dates near its ends)
    /// never panic: retention never ends, pre-hire always began.
    #[test]
    fn lifecycle_windows_beyond_the_calendar() {
        let far = NaiveDate::MAX.and_hms_opt(0, 0, 0).unwrap();
        let early = NaiveDate::MIN.and_hms_opt(0, 0, 0).unwrap();
        let leave = Some(day("2026-09-30"));
        for days in [96_000_000, 100_000_000, i64::from(u32::MAX), i64::MAX] {
            assert_eq!(
                lifecycle_at(Some(day("2020-01-01")), leave, 0, days, day("2030-01-01")),
                Lifecycle::Leaver,
                "retention {days}"
            );
            assert_eq!(
                lifecycle_at(Some(day("2026-03-10")), None, days, 0, day("2026-01-01")),
                Lifecycle::PreHire,
                "prehire {days}"
            );
        }
        for days in [0, 1, 365, 100_000_000, i64::MAX, i64::MIN] {
            for (a, b) in [(far, early), (early, far), (far, far), (early, early)] {
                let _ = lifecycle_at(Some(a), Some(a), days, days, b);
                let _ = lifecycle_at(Some(a), None, days, days, b);
                let _ = lifecycle_at(None, Some(a), days, days, b);
            }
        }
    }

    #[test]
    fn lifecycle_boundaries() {
        let hire = Some(day("2026-03-10"));
        let leave = Some(day("2026-09-30"));
        let at = |d: &str| lifecycle_at(hire, leave, 7, 30, day(d));
        assert_eq!(at("2026-03-02"), Lifecycle::NotYetHired);
        assert_eq!(
            at("2026-03-03"),
            Lifecycle::PreHire,
            "exactly 7 days before"
        );
        assert_eq!(at("2026-03-09"), Lifecycle::PreHire);
        assert_eq!(at("2026-03-10"), Lifecycle::Active, "the hire date itself");
        assert_eq!(at("2026-09-30"), Lifecycle::Active, "the last day of work");
        assert_eq!(at("2026-10-01"), Lifecycle::Leaver);
        assert_eq!(at("2026-10-30"), Lifecycle::Leaver, "30 days of retention");
        assert_eq!(at("2026-10-31"), Lifecycle::Deleted);
        assert_eq!(
            lifecycle_at(None, None, 7, 30, day("2026-01-01")),
            Lifecycle::Unknown
        );
        // A rehire: a new hire date after the old leave date makes the person active again.
        assert_eq!(
            lifecycle_at(Some(day("2026-11-01")), leave, 7, 30, day("2026-11-05")),
            Lifecycle::Active
        );
        assert_eq!(
            lifecycle_at(Some(day("2026-11-01")), leave, 7, 30, day("2026-10-28")),
            Lifecycle::PreHire
        );
        // A rehire further ahead than the pre-hire window: the earlier employment's account
        // stays, disabled, through its retention (2026-10-01 to 2026-10-30), and nothing is
        // lost while the earlier employment runs.
        let rehire = |d: &str| lifecycle_at(Some(day("2027-02-01")), leave, 7, 30, day(d));
        assert_eq!(
            rehire("2026-09-30"),
            Lifecycle::Active,
            "the earlier employment"
        );
        assert_eq!(rehire("2026-10-01"), Lifecycle::Leaver, "retention starts");
        assert_eq!(rehire("2026-10-30"), Lifecycle::Leaver, "retention ends");
        assert_eq!(rehire("2026-10-31"), Lifecycle::NotYetHired);
        assert_eq!(rehire("2027-01-24"), Lifecycle::NotYetHired);
        assert_eq!(rehire("2027-01-25"), Lifecycle::PreHire);
        assert_eq!(rehire("2027-02-01"), Lifecycle::Active);
    }
}
