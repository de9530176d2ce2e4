//! Stage 6, accounts: for each target, who holds an account (scope: [`super::scope`]), the
//! target's attribute columns for the holders, and whether each account is enabled
//! ([`super::enabled`]). An identity in scope only through an undetermined membership or an
//! undecidable scoping clause gets no account, and that is reported.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::codes::Code;
use crate::column::Column;
use crate::ingest::{DataIssue, Dataset};
use crate::policy::Policy;
use crate::policy::compile::MappingDef;
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::rule::sets::Bitset;

use super::access::{Access, raw_packages};
use super::attributes::{Attributes, resolve};
use super::columns;
use super::enabled;
use super::locate::Locator;
use super::progress::Progress;
use super::report::{self, Lifecycle};
use super::scope::{has_regex_filters, scope_of, scope_with};

/// What the accounts stage reads.
pub struct Input<'a> {
    /// The policy files (targets, packages).
    pub loaded: &'a Loaded,
    /// The checked policy (target mappings and their programs).
    pub policy: &'a Policy,
    /// The datasets read (where each identity's records are).
    pub datasets: &'a [Dataset],
    /// The identity attributes.
    pub attributes: &'a Attributes,
    /// The lifecycle state of each identity.
    pub lifecycle: &'a [Lifecycle],
    /// Group memberships and package assignments.
    pub access: &'a Access,
    /// `Now()` and `DefaultDomain()`.
    pub env: columns::Env<'a>,
    /// The identities whose accounts a workflow disabled (every target: a disable wins over
    /// the lifecycle's enabled).
    pub disabled: &'a Bitset,
    /// Target-attribute columns of another evaluation over the same identity attributes,
    /// shared with it (`eval::evaluate_pair`).
    pub memo: Option<&'a Memo>,
}

/// The target-attribute columns one evaluation computed, for a second evaluation over the
/// same identity attributes (two versions of a policy set in `diff`): a column is reused when
/// its mapping is the same (the same definition and program) and it is computed for the same
/// holders, which is every column of a target that a change of rules does not reach. Reusing
/// gives exactly what computing gives: the column, the rows that failed and those whose value
/// does not flow.
#[derive(Default)]
pub struct Memo {
    columns: std::sync::Mutex<HashMap<(String, String), Memoised>>,
}

struct Memoised {
    /// The mapping's definition and program, as text.
    fingerprint: String,
    /// The identities it was computed for.
    holders: Bitset,
    computed: columns::Computed,
}

impl Memo {
    /// The column computed earlier for this mapping and these holders, if any.
    fn get(
        &self,
        key: &(String, String),
        fingerprint: &str,
        holders: &Bitset,
    ) -> Option<columns::Computed> {
        let columns = self.columns.lock().ok()?;
        let m = columns.get(key)?;
        (m.fingerprint == fingerprint && m.holders == *holders).then(|| m.computed.clone())
    }

    fn put(
        &self,
        key: (String, String),
        fingerprint: String,
        holders: &Bitset,
        computed: &columns::Computed,
    ) {
        if let Ok(mut columns) = self.columns.lock() {
            columns.insert(
                key,
                Memoised {
                    fingerprint,
                    holders: holders.clone(),
                    computed: computed.clone(),
                },
            );
        }
    }
}

/// What makes a mapping's column: its definition and, for an expression, its program.
fn fingerprint(policy: &Policy, mapping: &MappingDef) -> String {
    let program = match &mapping.kind {
        crate::policy::compile::MappingKind::Expression { program, .. } => policy
            .programs
            .get(*program)
            .map(|p| p.text.clone())
            .unwrap_or_default(),
        _ => String::new(),
    };
    format!("{mapping:?}\u{0}{program}")
}

/// What the accounts stage gives.
pub struct Accounts {
    /// Targets by name, sorted.
    pub targets: Vec<report::TargetAccounts>,
    /// Accounts not granted because the identity is in scope only if something undetermined
    /// held (in target order, then identity order).
    pub undetermined: Vec<(usize, report::Undetermined)>,
}

/// The accounts of every target.
pub fn compute(
    input: Input<'_>,
    locate: &Locator<'_>,
    progress: &mut Progress,
    issues: &mut Vec<DataIssue>,
) -> Accounts {
    let Input {
        loaded,
        policy,
        datasets,
        attributes,
        lifecycle,
        access,
        env,
        disabled,
        memo,
    } = input;
    let people = locate.people;
    let n = people.len();
    let eligible = &access.eligible;
    let ignored = &attributes.ignored;
    let groups = &access.groups;
    let package_sets = &access.packages;
    let groups_maybe = &access.groups_maybe;
    let packages_maybe = &access.packages_maybe;
    let packages = raw_packages(loaded);
    let column_of = |name: &str| -> Option<&Column> { attributes.column(name) };
    let mut undetermined: Vec<(usize, report::Undetermined)> = Vec::new();
    let mut holders_base = eligible.clone();
    holders_base.difference_with(ignored);
    let mut targets: Vec<report::TargetAccounts> = Vec::new();
    // Groups and packages with their undetermined identities added: who could be in a
    // target's scope if every undetermined membership held.
    let any_maybe = groups_maybe
        .iter()
        .chain(packages_maybe)
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
            possible(groups, groups_maybe),
            possible(package_sets, packages_maybe),
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
                groups,
                package_sets,
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
                    (groups, package_sets)
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
                    let key = (tname.value.clone(), (*aname).clone());
                    let print = memo
                        .map(|_| fingerprint(policy, mapping))
                        .unwrap_or_default();
                    if let Some(done) = memo.and_then(|m| m.get(&key, &print, &holders)) {
                        return done;
                    }
                    let (how, inputs) = resolve(policy, mapping, |node| match node {
                        NodeId::Attribute(a) => column_of(a),
                        _ => None,
                    });
                    let computed = columns::compute(
                        &format!("{}.{aname}", tname.value),
                        how,
                        &inputs,
                        mapping.default.as_deref(),
                        n,
                        Some(&holders),
                        env,
                    );
                    if let Some(m) = memo {
                        m.put(key, print, &holders, &computed);
                    }
                    computed
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
            let mut enabled = enabled::decide_enabled(
                &tname.value,
                target.kind.value,
                &holders,
                lifecycle,
                &mut columns_out,
                &|i| {
                    people
                        .get(i)
                        .map_or((String::new(), None, String::new()), |p| {
                            (p.origin(datasets), p.first_row(datasets), p.key.clone())
                        })
                },
                issues,
            );
            enabled.difference_with(disabled);
            targets.push(report::TargetAccounts {
                name: tname.value.clone(),
                holders,
                enabled,
                attributes: columns_out,
            });
        }
    }
    targets.sort_by(|a, b| a.name.cmp(&b.name));
    Accounts {
        targets,
        undetermined,
    }
}
