//! Finding one person and evaluating only what their outcome depends on.
//!
//! Reading the sources and correlating records are done for everyone (a person's records can
//! be anywhere in the files, and correlation is a join). After that, evaluation is a function
//! of one person's records, except for three population-level steps:
//!
//! | step | depends on | what `explain` evaluates |
//! |---|---|---|
//! | attributes, lifecycle, rules (`memberOf`, `Direct Reports for`), scope, target attributes, separation of duties | the person's own records | the person alone |
//! | `SelectUniqueValue`, `RandomString`, `Guid` in target mappings that do not enable or disable the account | every person before in key order (values taken, the random sequence) and who of them holds an account | the people up to and including the person, in key order, with the policy set cut down to those mappings and what is upstream of them (`Reduced`); then the person alone, given those values |
//! | the same functions anywhere else (an identity attribute others may read) | the same | everything for the people up to and including the person |
//! | manager references, static members that name nobody | other people's keys | not needed: they are data problems, not the person's outcome |
//!
//! So a policy set without the three sequential functions explains one person from a
//! population of one; with them, from the prefix of the key order that ends with the person
//! (exact, because those functions only look backwards; `tests/explain.rs` checks every way
//! against a full evaluation). A query that is not a key is looked
//! up in this order, and the first step with a match decides:
//!
//! 1. identity keys (exact);
//! 2. identity attributes that copy an HR field (directly, or through other direct copies):
//!    found in the source columns, without evaluating anyone;
//! 3. `userName`, then `mail`, then `userPrincipalName`, each on its own, when an expression
//!    computes it: only that attribute and what it reads (its cone in the dependency graph),
//!    for everyone; or, for a `Coalesce` of fields, only for the people one of whose records
//!    holds the value in one of those fields;
//! 4. every identity attribute: the attribute stage alone (no lifecycle, rules or accounts),
//!    for everyone.
//!
//! After steps 2 to 4 the person found is explained as if found by key (the focused evaluation
//! above). Only when the policy set cannot be cut down to its identity attributes are steps 3
//! and 4 one full evaluation, which the explanation then comes from.
//!
//! Values of attributes match without regard to case (mail and user principal names are
//! case-insensitive in Entra); several people matching is ambiguous.

use std::collections::BTreeMap;

use std::sync::Arc;

use super::super::{
    DesiredState, Options, ReadData, Stages, correlate, correlate::Person, report, run_people,
};
use crate::ingest::{DataIssue, Dataset};
use crate::policy::Policy;
use crate::policy::compile::{MappingKind, ProgramKind};
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;

/// At most this many candidates are listed for an ambiguous query.
pub const MAX_CANDIDATES: usize = 10;

/// How the person was found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct FoundBy {
    /// `key`, or the name of the identity attribute whose value matched.
    pub attribute: String,
    /// The value that matched.
    pub value: String,
}

/// What was evaluated to explain the person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Evaluated {
    /// The identities evaluated.
    pub identities: usize,
    /// The identities in the data.
    pub population: usize,
    /// `person` (the person alone); `sequential-related` (the target mappings that use
    /// `SelectUniqueValue`, and what they need, for the people before the person in key order
    /// whose candidate values can meet the person's, directly or through others; then the
    /// person alone); `sequential-prefix` (the same for everyone up to the person: target
    /// mappings that use `RandomString` or `Guid`, or `SelectUniqueValue` inside another
    /// function); `prefix` (everything for everyone up to the
    /// person: such a function in an identity attribute or an enable/disable mapping); or
    /// `everyone` (the query needed every attribute of everyone). `identities` counts the
    /// people evaluated (for the two sequential scopes, in the pass before the person alone).
    pub scope: &'static str,
}

/// One person a query may mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The identity key.
    pub key: String,
    /// `key` or the attribute that matched.
    pub attribute: String,
}

/// Why no explanation could be made.
#[derive(Debug)]
pub enum Miss {
    /// Evaluation could not run (a source missing, unreadable, refused): the state says why.
    CannotRun(Box<DesiredState>),
    /// Nobody matches; the nearest key or lookup-attribute value, if any is near.
    NotFound(Option<String>),
    /// Several people match: the first few by key, and how many there are in all.
    Ambiguous(Vec<Candidate>, usize),
}

/// The state to explain the person from, with the person's index in it.
#[derive(Debug)]
pub struct Focus {
    /// The evaluated (part of the) population.
    pub state: DesiredState,
    /// The person's index in `state`.
    pub index: usize,
    /// How the person was found.
    pub found_by: FoundBy,
    /// What was evaluated.
    pub evaluated: Evaluated,
}

/// The attributes `did you mean` searches besides keys, and the first ones tried.
const LOOKUP: [&str; 3] = ["userName", "mail", "userPrincipalName"];

/// Finds the person `query` names and evaluates what their outcome depends on.
pub fn focus(
    loaded: &Loaded,
    policy: &Policy,
    options: Options,
    query: &str,
) -> Result<Focus, Miss> {
    let mut clock = Stages::new();
    let read = ReadData::read(loaded);
    let cannot_run = |issues: Vec<DataIssue>| {
        Miss::CannotRun(Box::new(DesiredState::new(
            options.as_of,
            report::Identities::default(),
            issues,
        )))
    };
    if read.stops() {
        return Err(cannot_run(read.issues));
    }
    clock.lap("read sources");
    let ReadData {
        datasets,
        mut issues,
    } = read;
    let identity = loaded
        .files
        .iter()
        .find_map(|f| f.policy.identity.as_ref())
        .map(|i| &i.value);
    let Some(people) = correlate::people(identity, &datasets, &mut issues) else {
        return Err(cannot_run(issues));
    };
    clock.lap("correlate");
    let population = people.len();
    // 1. A key.
    let at = people.partition_point(|p| p.key.as_str() < query);
    let by_key = people.get(at).is_some_and(|p| p.key == query);
    // 2. An attribute that copies an HR field.
    let found = if by_key {
        Some((
            at,
            FoundBy {
                attribute: "key".into(),
                value: query.to_string(),
            },
        ))
    } else {
        match copied_matches(policy, &datasets, &people, query) {
            Matches::One(i, attribute) => Some((
                i,
                FoundBy {
                    attribute,
                    value: query.to_string(),
                },
            )),
            Matches::Many(c, total) => return Err(Miss::Ambiguous(c, total)),
            Matches::None => None,
        }
    };
    let found = match found {
        Some(f) => Some(f),
        // 3 and 4. Computed attributes: the lookup attributes' cone, then every attribute,
        // without the rest of the evaluation.
        None => {
            let lookup = computed_matches(loaded, policy, &datasets, &people, query, options.as_of);
            clock.lap("find the person by a computed attribute");
            match lookup {
                Some(Lookup::Found(i, attribute)) => Some((
                    i,
                    FoundBy {
                        attribute,
                        value: query.to_string(),
                    },
                )),
                Some(Lookup::Miss(miss)) => return Err(miss),
                None => None,
            }
        }
    };
    let Some((i, found_by)) = found else {
        // The policy set could not be cut down to its attributes: one full evaluation, which
        // the explanation then uses.
        let state = run_people(loaded, policy, options, datasets, people, issues, clock);
        return match state_matches(&state, query) {
            Matches::One(index, attribute) => Ok(Focus {
                state,
                index,
                found_by: FoundBy {
                    attribute,
                    value: query.to_string(),
                },
                evaluated: Evaluated {
                    identities: population,
                    population,
                    scope: "everyone",
                },
            }),
            Matches::Many(c, total) => Err(Miss::Ambiguous(c, total)),
            Matches::None => Err(Miss::NotFound(nearest(
                state.identities.keys(),
                &state.identities.attributes,
                query,
            ))),
        };
    };
    // A record whose approvers are checked through a group: their membership is part of the
    // person's outcome, so everyone is evaluated.
    if let Some(key) = people.get(i).map(|p| p.key.clone())
        && crate::governance::assignments::needs_others(loaded, &key)
    {
        let state = run_people(loaded, policy, options, datasets, people, issues, clock);
        return Ok(Focus {
            state,
            index: i,
            found_by,
            evaluated: Evaluated {
                identities: population,
                population,
                scope: "everyone",
            },
        });
    }
    let sequential = has_sequential(policy);
    let reduced = if sequential {
        Reduced::new(loaded, policy)
    } else {
        None
    };
    let person = people.get(i..=i).unwrap_or(&[]).to_vec();
    let prefix = || people.get(..=i).unwrap_or(&[]).to_vec();
    let kept = (Arc::clone(&datasets), options.clone());
    let (mut state, index, identities, scope) = match reduced {
        // Two passes: the prefix with only what the sequential target mappings need, then the
        // person alone with the whole policy set, given those mappings' values.
        Some(r) => {
            // Only the people before whose candidates can meet the person's (directly or
            // through others) when every sequential mapping is a plain `SelectUniqueValue`;
            // else the whole prefix.
            let related = r.related(loaded, &datasets, &people, i, options.as_of);
            let (chosen, scope) = match &related {
                Some(rows) => (
                    rows.iter()
                        .filter_map(|&j| people.get(j).cloned())
                        .collect(),
                    "sequential-related",
                ),
                None => (prefix(), "sequential-prefix"),
            };
            let evaluated = chosen.len();
            let before = run_people(
                &r.loaded,
                &r.policy,
                options.clone(),
                Arc::clone(&datasets),
                chosen,
                Vec::new(),
                Stages::new(),
            );
            let mut state = run_people(loaded, policy, options, datasets, person, issues, clock);
            r.patch(&mut state, &before, evaluated.saturating_sub(1));
            (state, 0, evaluated, scope)
        }
        None if sequential => {
            let state = run_people(loaded, policy, options, datasets, prefix(), issues, clock);
            (state, i, i + 1, "prefix")
        }
        None => {
            let state = run_people(loaded, policy, options, datasets, person, issues, clock);
            (state, 0, 1, "person")
        }
    };
    // Workflow e-mails read the manager's and the copied people's attributes: the runs due
    // for the person are computed again with those people evaluated beside them.
    if !state.identities.tasks_due(index).is_empty() {
        let (datasets, options) = kept;
        let key = people.get(i).map(|p| p.key.clone()).unwrap_or_default();
        let mut keys: Vec<String> = state
            .identities
            .get(index)
            .and_then(|s| {
                s.attributes
                    .get("manager")
                    .and_then(|m| m.as_text().map(|t| t.into_owned()))
            })
            .into_iter()
            .collect();
        for file in &loaded.files {
            for wf in file.policy.workflows.values() {
                for task in &wf.value.tasks {
                    if let crate::policy::raw::Task::SendEmail(e) = &task.value.task {
                        keys.extend(e.cc.iter().map(|c| c.value.clone()));
                    }
                }
            }
        }
        let mut small: Vec<usize> = keys
            .iter()
            .filter_map(|k| people.binary_search_by(|p| p.key.as_str().cmp(k)).ok())
            .collect();
        small.push(i);
        small.sort_unstable();
        small.dedup();
        let chosen: Vec<correlate::Person> = small
            .iter()
            .filter_map(|&j| people.get(j).cloned())
            .collect();
        let mini = run_people(
            loaded,
            policy,
            options,
            datasets,
            chosen,
            Vec::new(),
            Stages::new(),
        );
        if let Some(at) = mini.identities.position(&key) {
            let runs: Vec<crate::governance::Event> = mini
                .identities
                .tasks_due(at)
                .iter()
                .map(|(_, e)| e.clone())
                .collect();
            state.identities.replace_tasks_due(index, runs.clone());
            state.due.retain(|e| {
                !(e.kind == crate::governance::EventKind::WorkflowRun && e.subject.id() == key)
            });
            state.due.extend(runs);
            crate::governance::sort(&mut state.due);
        }
    }
    // A manager outside the evaluated part is not missing: keep only what a full evaluation
    // reports.
    let exists = |k: &str| people.binary_search_by(|p| p.key.as_str().cmp(k)).is_ok();
    state.issues.retain(|issue| {
        issue.code != crate::codes::Code::DataDanglingManager
            || dangling_manager(&issue.message).is_none_or(|m| !exists(m))
    });
    // Nor is the requestor of someone else's assignment record.
    state.issues.retain(|issue| {
        issue.code != crate::codes::Code::AssignmentDataRefused
            || crate::governance::assignments::unknown_requestor(&issue.message)
                .is_none_or(|k| !exists(k))
    });
    Ok(Focus {
        state,
        index,
        found_by,
        evaluated: Evaluated {
            identities,
            population,
            scope,
        },
    })
}

/// A policy set cut down to what its sequential target mappings need over the people before
/// the person: those mappings (and the targets' `matching` ones), the targets' scope, and
/// everything upstream of them in the dependency graph, with the lifecycle attributes and the
/// mappings that may return `IgnoreObjectFlow` (they decide who holds an account). Used only
/// when every sequential mapping is a target attribute that does not switch the account on or
/// off (nothing else reads target attributes); otherwise the whole prefix is evaluated.
struct Reduced {
    loaded: Loaded,
    policy: Policy,
    /// The sequential mappings: (target, attribute).
    sequential: Vec<(String, String)>,
}

impl Reduced {
    fn new(loaded: &Loaded, policy: &Policy) -> Option<Reduced> {
        use std::collections::{HashMap, HashSet};
        let mut sequential = Vec::new();
        let mut keep: HashSet<NodeId> = HashSet::new();
        for def in &policy.programs {
            let ProgramKind::Expression { node, program, .. } = &def.kind else {
                continue;
            };
            if def.text.to_lowercase().contains("ignoreobjectflow") {
                keep.insert(node.clone());
            }
            if !super::super::columns::is_sequential(program) {
                continue;
            }
            let NodeId::TargetAttribute(t, a) = node else {
                return None;
            };
            let kind = loaded
                .files
                .iter()
                .find_map(|f| f.policy.targets.iter().find(|(n, _)| n.value == *t))
                .map(|(_, target)| target.value.kind.value)?;
            if super::super::enabled::switch_attribute(kind, a).is_some() {
                return None;
            }
            sequential.push((t.clone(), a.clone()));
            keep.insert(node.clone());
        }
        let identity = loaded.files.iter().find_map(|f| f.policy.identity.as_ref());
        let rules = super::super::lifecycle::Rules::new(identity.map(|i| &i.value));
        if rules.configured {
            keep.insert(NodeId::Attribute(rules.hire_date.clone()));
        }
        keep.extend(rules.leave_date.iter().cloned().map(NodeId::Attribute));
        keep.extend(
            rules
                .status
                .iter()
                .map(|(a, _)| NodeId::Attribute(a.clone())),
        );
        for f in &loaded.files {
            for (t, target) in &f.policy.targets {
                if sequential.iter().any(|(st, _)| *st == t.value) {
                    for m in &target.value.matching {
                        keep.insert(NodeId::TargetAttribute(t.value.clone(), m.value.clone()));
                    }
                }
            }
        }
        // Everything upstream.
        let mut upstream: HashMap<&NodeId, Vec<&NodeId>> = HashMap::new();
        for (from, to, _) in policy.graph.edges() {
            upstream.entry(to).or_default().push(from);
        }
        let mut stack: Vec<NodeId> = keep.iter().cloned().collect();
        while let Some(n) = stack.pop() {
            for from in upstream.get(&n).into_iter().flatten() {
                if keep.insert((*from).clone()) {
                    stack.push((*from).clone());
                }
            }
        }
        let kept = |n: NodeId| keep.contains(&n);
        // Assignment records of a package the sequential mappings depend on: their checks need
        // the request policies, which are not kept; the whole prefix is evaluated instead.
        if loaded.files.iter().any(|f| {
            f.policy
                .assignments
                .values()
                .any(|a| kept(NodeId::Package(a.value.package.value.clone())))
        }) {
            return None;
        }
        let mut files = Vec::new();
        for f in &loaded.files {
            let mut p = f.policy.clone();
            p.workflows.clear();
            p.assignments.clear();
            for source in p.sources.values_mut() {
                source
                    .value
                    .authoritative_for
                    .retain(|a| kept(NodeId::Attribute(a.value.clone())));
            }
            p.reviews.clear();
            p.review_decisions.clear();
            p.groups.retain(|n, _| kept(NodeId::Group(n.value.clone())));
            p.access_packages
                .retain(|n, _| kept(NodeId::Package(n.value.clone())));
            for pkg in p.access_packages.values_mut() {
                pkg.value.policies.clear();
                pkg.value.incompatible_packages.clear();
                pkg.value.incompatible_groups.clear();
                pkg.value.resources.retain(|r| match &r.value {
                    crate::policy::raw::Resource::Group(g) => kept(NodeId::Group(g.value.clone())),
                    crate::policy::raw::Resource::AppRole(a) => {
                        kept(NodeId::Target(a.target.value.clone()))
                    }
                    crate::policy::raw::Resource::Site(_) => false,
                });
            }
            p.targets
                .retain(|n, _| kept(NodeId::Target(n.value.clone())));
            for (t, target) in &mut p.targets {
                target
                    .value
                    .mappings
                    .retain(|a, _| kept(NodeId::TargetAttribute(t.value.clone(), a.value.clone())));
            }
            if let Some(i) = p.identity.as_mut() {
                i.value
                    .attributes
                    .retain(|a, _| kept(NodeId::Attribute(a.value.clone())));
            }
            files.push(crate::policy::load::LoadedFile {
                id: f.id,
                path: f.path.clone(),
                policy: p,
            });
        }
        let (reduced, policy) = compile_cut(loaded, files)?;
        Some(Reduced {
            loaded: reduced,
            policy,
            sequential,
        })
    }

    /// The people whose `SelectUniqueValue` choices can decide the person's (row `i`): row
    /// indices in key order, the person last. `None` when some sequential mapping is not a
    /// `SelectUniqueValue` at the top whose candidates are plain expressions (`RandomString`
    /// and `Guid` depend on how many draws came before: the whole prefix is needed then).
    ///
    /// A person takes at most one value per mapping, one of their own candidates (compared
    /// without case). So someone before the person matters only if one of their candidates is
    /// a candidate of the person, or of someone after them who matters: scanning backwards
    /// from the person and keeping whoever shares a candidate with those kept so far gives a
    /// set closed under that relation, and simulating just that set in key order gives every
    /// member the value the whole prefix gives them (the values the others take are never a
    /// candidate of anyone kept after them). Candidates are pure expressions, evaluated a
    /// column at a time over the prefix (once per distinct input) with only the identity
    /// attributes they read; scope is ignored (someone out of scope takes nothing: keeping
    /// them is merely more than needed).
    fn related(
        &self,
        loaded: &Loaded,
        datasets: &Arc<Vec<Dataset>>,
        people: &[Person],
        i: usize,
        as_of: chrono::NaiveDate,
    ) -> Option<Vec<usize>> {
        use crate::expr::compile::Node;
        use crate::expr::functions::Func;
        // Each sequential mapping's program and what its slots read.
        let mut mappings = Vec::new();
        for (t, a) in &self.sequential {
            let node = NodeId::TargetAttribute(t.clone(), a.clone());
            let def = self.policy.mappings.get(&node)?;
            let MappingKind::Expression { program, slots } = &def.kind else {
                return None;
            };
            let Some(ProgramKind::Expression { program, .. }) =
                self.policy.programs.get(*program).map(|d| &d.kind)
            else {
                return None;
            };
            let Node::Call(call) = &program.root else {
                return None;
            };
            let sequential_calls = program
                .calls()
                .iter()
                .filter(|c| {
                    matches!(
                        c.func,
                        Func::SelectUniqueValue | Func::RandomString | Func::Guid
                    )
                })
                .count();
            if call.func != Func::SelectUniqueValue || sequential_calls != 1 {
                return None;
            }
            mappings.push((node, program, call, slots));
        }
        // The identity attributes the candidates read, and what those need.
        let cut = self.attributes_for(mappings.iter().map(|(n, ..)| n.clone()))?;
        let prefix = people.get(..=i)?;
        let env = super::super::columns::Env {
            now: as_of.and_hms_opt(0, 0, 0).unwrap_or_default(),
            default_domain: super::super::default_domain(loaded),
        };
        let locate = super::super::locate::Locator {
            policy: &cut,
            datasets,
            people: prefix,
        };
        let mut progress = super::super::progress::Progress::new(cut.mappings.len());
        let attributes = super::super::attributes::compute(
            super::super::attributes::Input {
                policy: &cut,
                datasets,
                people: prefix,
                env,
            },
            &locate,
            &mut progress,
            &mut Vec::new(),
        );
        // Per mapping, per candidate: each row's candidate, as a hash of its lower-case text
        // (0: none). Equal texts hash equal; a collision only keeps someone not needed.
        let len = prefix.len();
        let work: Vec<(
            usize,
            crate::expr::Program,
            Vec<Option<&crate::column::Column>>,
        )> = mappings
            .iter()
            .enumerate()
            .flat_map(|(m, (_, program, call, slots))| {
                let attributes = &attributes;
                call.args.iter().flatten().map(move |arg| {
                    let mut refs = Vec::new();
                    crate::expr::compile::collect_slots(arg, &mut refs);
                    let inputs = slots
                        .iter()
                        .enumerate()
                        .map(|(k, s)| match s {
                            Some(NodeId::Attribute(a)) if refs.contains(&k) => attributes.column(a),
                            _ => None,
                        })
                        .collect();
                    let candidate = crate::expr::Program {
                        root: arg.clone(),
                        attributes: program.attributes.clone(),
                    };
                    (m, candidate, inputs)
                })
            })
            .collect();
        let hashes: Vec<(usize, Vec<u64>)> = {
            use rayon::prelude::*;
            work.par_iter()
                .map(|(m, candidate, inputs)| {
                    (
                        *m,
                        super::super::columns::taken_hashes(candidate, inputs, len, env),
                    )
                })
                .collect()
        };
        // Backwards from the person: keep whoever shares a candidate with someone kept.
        type Set = hashbrown::HashSet<u64, foldhash::fast::FixedState>;
        let mut hot: Vec<Set> = mappings.iter().map(|_| Set::default()).collect();
        let keep = |row: usize, hot: &mut Vec<Set>| {
            for (m, column) in &hashes {
                if let Some(&h) = column.get(row)
                    && h != 0
                    && let Some(set) = hot.get_mut(*m)
                {
                    set.insert(h);
                }
            }
        };
        keep(i, &mut hot);
        let mut rows = vec![i];
        for row in (0..i).rev() {
            let shares = hashes.iter().any(|(m, column)| {
                column
                    .get(row)
                    .is_some_and(|&h| h != 0 && hot.get(*m).is_some_and(|set| set.contains(&h)))
            });
            if shares {
                keep(row, &mut hot);
                rows.push(row);
            }
        }
        rows.reverse();
        Some(rows)
    }

    /// The policy set cut down to the identity attributes upstream of `nodes`.
    fn attributes_for(&self, nodes: impl Iterator<Item = NodeId>) -> Option<Policy> {
        attributes_only(&self.loaded, &self.policy, nodes)
    }

    /// Gives the person (alone in `state`) the values the sequential mappings have for them
    /// at row `i` of `before` (the prefix), with the problems those mappings had.
    fn patch(&self, state: &mut DesiredState, before: &DesiredState, i: usize) {
        let key = state.identities.key(0).unwrap_or_default().to_string();
        let prefix = format!("identity `{key}`:");
        for (t, a) in &self.sequential {
            let field = format!("{t}.{a}");
            let from = before
                .identities
                .targets
                .iter()
                .find(|x| x.name == *t)
                .and_then(|x| x.attributes.iter().find(|(n, _, _)| n == a));
            let to = state
                .identities
                .targets
                .iter_mut()
                .find(|x| x.name == *t)
                .and_then(|x| x.attributes.iter_mut().find(|(n, _, _)| n == a));
            if let (Some((_, column, absent)), Some(slot)) = (from, to) {
                slot.1 = crate::column::Column::from_values([column.get(i).clone()]);
                slot.2 = absent.as_ref().filter(|b| b.contains(i)).map(|_| {
                    let mut b = crate::rule::sets::Bitset::with_capacity(1);
                    b.insert(0);
                    b
                });
            }
            state
                .issues
                .retain(|x| x.field.as_deref() != Some(field.as_str()));
            state.issues.extend(
                before
                    .issues
                    .iter()
                    .filter(|x| {
                        x.field.as_deref() == Some(field.as_str()) && x.message.starts_with(&prefix)
                    })
                    .cloned(),
            );
        }
        state.issues.sort_by(|a, b| {
            (&a.file, a.row, &a.field, a.code.as_str(), &a.message).cmp(&(
                &b.file,
                b.row,
                &b.field,
                b.code.as_str(),
                &b.message,
            ))
        });
    }
}

/// The policy set cut down to the identity attributes upstream of `nodes` (and the sources):
/// no lifecycle, groups, packages, targets, workflows, reviews, approvals or assignment
/// records. `None` when the cut set does not check (then the caller evaluates everything).
fn attributes_only(
    loaded: &Loaded,
    policy: &Policy,
    nodes: impl Iterator<Item = NodeId>,
) -> Option<Policy> {
    use std::collections::{HashMap, HashSet};
    let mut keep: HashSet<NodeId> = nodes.collect();
    let mut upstream: HashMap<&NodeId, Vec<&NodeId>> = HashMap::new();
    for (from, to, _) in policy.graph.edges() {
        upstream.entry(to).or_default().push(from);
    }
    let mut stack: Vec<NodeId> = keep.iter().cloned().collect();
    while let Some(n) = stack.pop() {
        for from in upstream.get(&n).into_iter().flatten() {
            if keep.insert((*from).clone()) {
                stack.push((*from).clone());
            }
        }
    }
    let mut files = Vec::new();
    for f in &loaded.files {
        let mut p = f.policy.clone();
        p.groups.clear();
        p.access_packages.clear();
        p.targets.clear();
        p.connected_organizations.clear();
        p.workflows.clear();
        p.reviews.clear();
        p.review_decisions.clear();
        p.approvals.clear();
        p.assignments.clear();
        for source in p.sources.values_mut() {
            source
                .value
                .authoritative_for
                .retain(|a| keep.contains(&NodeId::Attribute(a.value.clone())));
        }
        if let Some(i) = p.identity.as_mut() {
            i.value.lifecycle = None;
            i.value
                .attributes
                .retain(|a, _| keep.contains(&NodeId::Attribute(a.value.clone())));
        }
        files.push(crate::policy::load::LoadedFile {
            id: f.id,
            path: f.path.clone(),
            policy: p,
        });
    }
    compile_cut(loaded, files).map(|(_, policy)| policy)
}

/// The policy set of `loaded` cut down to `files` (same sources and access), compiled;
/// `None` when the cut does not compile cleanly (then nothing is cut).
fn compile_cut(
    loaded: &Loaded,
    files: Vec<crate::policy::load::LoadedFile>,
) -> Option<(Loaded, Policy)> {
    let cut = Loaded {
        sources: loaded.sources.clone(),
        files,
        diagnostics: Vec::new(),
        access: loaded.access.clone(),
        test_files: Vec::new(),
    };
    let mut diagnostics = Vec::new();
    let policy = crate::policy::compile::compile(&cut, &mut diagnostics);
    (!diagnostics
        .iter()
        .any(crate::diagnostics::Diagnostic::is_error))
    .then_some((cut, policy))
}

/// The manager key a `D106` message names (`identity `K`: manager `M` is not an identity`).
fn dangling_manager(message: &str) -> Option<&str> {
    let rest = message.split_once("`: manager `")?.1;
    rest.strip_suffix("` is not an identity")
}

/// Whether a mapping of the policy set depends on the people before in key order.
pub fn has_sequential(policy: &Policy) -> bool {
    policy.programs.iter().any(|d| match &d.kind {
        ProgramKind::Expression { program, .. } => super::super::columns::is_sequential(program),
        ProgramKind::Rule { .. } => false,
    })
}

enum Matches {
    None,
    One(usize, String),
    Many(Vec<Candidate>, usize),
}

/// Matches (person, attribute) as one person, several, or none.
fn decide(mut hits: Vec<(usize, String)>, key: impl Fn(usize) -> String) -> Matches {
    // Lookup attributes first, so that the attribute named is the most telling one.
    hits.sort_by_key(|(i, a)| {
        (
            *i,
            LOOKUP.iter().position(|l| l == a).unwrap_or(LOOKUP.len()),
        )
    });
    hits.dedup_by_key(|(i, _)| *i);
    match hits.as_slice() {
        [] => Matches::None,
        [(i, a)] => Matches::One(*i, a.clone()),
        many => {
            let mut c: Vec<Candidate> = many
                .iter()
                .map(|(i, a)| Candidate {
                    key: key(*i),
                    attribute: a.clone(),
                })
                .collect();
            c.sort_by(|a, b| a.key.cmp(&b.key));
            let total = c.len();
            c.truncate(MAX_CANDIDATES);
            Matches::Many(c, total)
        }
    }
}

/// The source field an identity attribute copies, following direct copies of other
/// attributes; `None` when some step computes (an expression, a constant), or a default could
/// stand in for NULL.
fn copied_field<'p>(policy: &'p Policy, attr: &str) -> Option<(&'p str, &'p str)> {
    let mut at = attr.to_string();
    for _ in 0..64 {
        let mapping = policy.mappings.get(&NodeId::Attribute(at.clone()))?;
        if mapping.default.is_some() {
            return None;
        }
        match &mapping.kind {
            MappingKind::Direct(NodeId::SourceField(s, f)) => return Some((s, f)),
            MappingKind::Direct(NodeId::Attribute(a)) => at.clone_from(a),
            _ => return None,
        }
    }
    None
}

/// The dictionary codes of `column` whose value is `query` ([`same`]).
fn codes_matching(column: &crate::column::Column, query: &str) -> Vec<u32> {
    column
        .dictionary()
        .iter()
        .enumerate()
        .filter(|(_, v)| same(v, query))
        .filter_map(|(c, _)| u32::try_from(c).ok())
        .collect()
}

fn same(value: &crate::value::Value, query: &str) -> bool {
    match value {
        crate::value::Value::List(items) => items.iter().any(|v| same(v, query)),
        v => v.as_text().is_some_and(|t| t.eq_ignore_ascii_case(query)),
    }
}

/// The fields an identity attribute takes its value from when its mapping is a `Coalesce` of
/// fields (directly, or through attributes that copy one) without a default: its value is then
/// always one of theirs, unchanged (`Coalesce` returns an argument as it is).
fn coalesced_fields<'p>(policy: &'p Policy, attr: &str) -> Option<Vec<(&'p str, &'p str)>> {
    use crate::expr::compile::Node;
    use crate::expr::functions::Func;
    let mapping = policy.mappings.get(&NodeId::Attribute(attr.to_string()))?;
    if mapping.default.is_some() {
        return None;
    }
    let MappingKind::Expression { program, slots } = &mapping.kind else {
        return None;
    };
    let ProgramKind::Expression { program, .. } = &policy.programs.get(*program)?.kind else {
        return None;
    };
    let Node::Call(call) = &program.root else {
        return None;
    };
    if call.func != Func::Coalesce {
        return None;
    }
    call.args
        .iter()
        .map(|arg| match arg {
            Some(Node::Attr(slot, _)) => match slots.get(*slot)?.as_ref()? {
                NodeId::SourceField(s, f) => Some((s.as_str(), f.as_str())),
                NodeId::Attribute(a) => copied_field(policy, a),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The people (indices, in order) one of whose records holds `query` in one of `fields`.
fn owners(
    datasets: &[Dataset],
    people: &[Person],
    fields: &[(&str, &str)],
    query: &str,
) -> Vec<usize> {
    let mut hits: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    for (source, field) in fields {
        let Some((d, _, column, codes)) = codes_of(datasets, source, field, query) else {
            continue;
        };
        hits.extend(
            (0..column.len())
                .filter(|&row| codes.contains(&column.code(row)))
                .map(|row| (d, row)),
        );
    }
    if hits.is_empty() {
        return Vec::new();
    }
    people
        .iter()
        .enumerate()
        .filter(|(_, p)| p.records.iter().any(|r| hits.contains(r)))
        .map(|(i, _)| i)
        .collect()
}

/// Source `source`'s field `field`: its dataset (index and data), its column, and the
/// dictionary codes of the values that are `query`; `None` when the field is missing or no
/// value is.
fn codes_of<'d>(
    datasets: &'d [Dataset],
    source: &str,
    field: &str,
    query: &str,
) -> Option<(usize, &'d Dataset, &'d crate::column::Column, Vec<u32>)> {
    let (d, data) = datasets
        .iter()
        .enumerate()
        .find(|(_, d)| d.source == source)?;
    let column = data.field_index(field).and_then(|f| data.column(f))?;
    let codes = codes_matching(column, query);
    (!codes.is_empty()).then_some((d, data, column, codes))
}

/// Step 2: people whose copied attributes hold `query`, from the source columns.
fn copied_matches(
    policy: &Policy,
    datasets: &[Dataset],
    people: &[Person],
    query: &str,
) -> Matches {
    let mut hits: Vec<(usize, String)> = Vec::new();
    // Record (dataset, row) to person, built for a dataset when first needed.
    let mut owners: BTreeMap<usize, Vec<Option<usize>>> = BTreeMap::new();
    for attr in policy.attributes.keys() {
        let Some((source, field)) = copied_field(policy, attr) else {
            continue;
        };
        let Some((d, data, column, codes)) = codes_of(datasets, source, field, query) else {
            continue;
        };
        let owner = owners.entry(d).or_insert_with(|| {
            let mut o = vec![None; data.len()];
            for (i, p) in people.iter().enumerate() {
                for (pd, r) in &p.records {
                    if *pd == d
                        && let Some(slot) = o.get_mut(*r)
                    {
                        *slot = Some(i);
                    }
                }
            }
            o
        });
        for row in 0..column.len() {
            if codes.contains(&column.code(row))
                && let Some(Some(i)) = owner.get(row)
            {
                hits.push((*i, attr.clone()));
            }
        }
    }
    decide(hits, |i| {
        people.get(i).map(|p| p.key.clone()).unwrap_or_default()
    })
}

/// What steps 3 and 4 found.
enum Lookup {
    /// One person (their index), by this attribute.
    Found(usize, String),
    /// Several people, or nobody (with the nearest key or lookup value).
    Miss(Miss),
}

/// Steps 3 and 4: the lookup attributes an expression computes, from their cone alone, then
/// every identity attribute, each over everyone with the policy set cut down to identity
/// attributes (the values are those of a full evaluation: an identity attribute reads only
/// source fields and other identity attributes, and a sequential function's state is its
/// mapping's own). `None` when the policy set cannot be cut so.
fn computed_matches(
    loaded: &Loaded,
    policy: &Policy,
    datasets: &[Dataset],
    people: &[Person],
    query: &str,
    as_of: chrono::NaiveDate,
) -> Option<Lookup> {
    let env = super::super::columns::Env {
        now: as_of.and_hms_opt(0, 0, 0).unwrap_or_default(),
        default_domain: super::super::default_domain(loaded),
    };
    // The columns of the attributes `wanted` for `people` (all, or some of them).
    let columns =
        |wanted: &[&String], people: &[Person]| -> Option<Vec<(String, crate::column::Column)>> {
            let cut = attributes_only(
                loaded,
                policy,
                wanted.iter().map(|a| NodeId::Attribute((*a).clone())),
            )?;
            let locate = super::super::locate::Locator {
                policy: &cut,
                datasets,
                people,
            };
            let mut progress = super::super::progress::Progress::new(cut.mappings.len());
            let computed = super::super::attributes::compute(
                super::super::attributes::Input {
                    policy: &cut,
                    datasets,
                    people,
                    env,
                },
                &locate,
                &mut progress,
                &mut Vec::new(),
            );
            Some(
                computed
                    .columns
                    .into_iter()
                    .filter(|(name, _)| wanted.contains(&name))
                    .collect(),
            )
        };
    let key = |i: usize| people.get(i).map(|p| p.key.clone()).unwrap_or_default();
    // 3. The lookup attributes that are not copies of a field (those were searched already),
    // one at a time: a `Coalesce` of fields only for the people one of whose records holds
    // the value in one of those fields, anything else for everyone.
    for attr in LOOKUP {
        let Some((attr, _)) = policy.attributes.get_key_value(attr) else {
            continue;
        };
        if copied_field(policy, attr).is_some() {
            continue;
        }
        let found = match coalesced_fields(policy, attr) {
            Some(fields) => {
                let rows = owners(datasets, people, &fields, query);
                if rows.is_empty() {
                    continue;
                }
                let some: Vec<Person> = rows
                    .iter()
                    .filter_map(|&i| people.get(i).cloned())
                    .collect();
                let at = |r: usize| rows.get(r).copied().unwrap_or(usize::MAX);
                match column_matches(&columns(&[attr], &some)?, query, |r| key(at(r))) {
                    Matches::One(r, a) => Matches::One(at(r), a),
                    other => other,
                }
            }
            None => column_matches(&columns(&[attr], people)?, query, key),
        };
        match found {
            Matches::One(i, attribute) => return Some(Lookup::Found(i, attribute)),
            Matches::Many(c, total) => return Some(Lookup::Miss(Miss::Ambiguous(c, total))),
            Matches::None => {}
        }
    }
    // 4. Every identity attribute.
    let every: Vec<&String> = policy.attributes.keys().collect();
    let all = columns(&every, people)?;
    Some(match column_matches(&all, query, key) {
        Matches::One(i, attribute) => Lookup::Found(i, attribute),
        Matches::Many(c, total) => Lookup::Miss(Miss::Ambiguous(c, total)),
        Matches::None => Lookup::Miss(Miss::NotFound(nearest(
            people.iter().map(|p| p.key.as_str()),
            &all,
            query,
        ))),
    })
}

/// People any of whose attribute `columns` holds `query`.
fn column_matches(
    columns: &[(String, crate::column::Column)],
    query: &str,
    key: impl Fn(usize) -> String,
) -> Matches {
    let mut hits = Vec::new();
    for (name, column) in columns {
        let codes = codes_matching(column, query);
        if codes.is_empty() {
            continue;
        }
        for row in 0..column.len() {
            if codes.contains(&column.code(row)) {
                hits.push((row, name.clone()));
            }
        }
    }
    decide(hits, key)
}

/// Step 3 and 4 after a full evaluation (the policy set could not be cut down).
fn state_matches(state: &DesiredState, query: &str) -> Matches {
    let ids = &state.identities;
    column_matches(&ids.attributes, query, |i| {
        ids.key(i).unwrap_or_default().to_string()
    })
}

/// The key or lookup-attribute value nearest to `query`, if one is near.
fn nearest<'k>(
    keys: impl Iterator<Item = &'k str>,
    attributes: &[(String, crate::column::Column)],
    query: &str,
) -> Option<String> {
    let mut texts: Vec<String> = keys.map(str::to_string).collect();
    for (name, column) in attributes {
        if LOOKUP.iter().any(|l| l.eq_ignore_ascii_case(name)) {
            texts.extend(
                column
                    .dictionary()
                    .iter()
                    .filter_map(|v| v.as_text().map(std::borrow::Cow::into_owned)),
            );
        }
    }
    crate::diagnostics::did_you_mean(query, texts.iter().map(String::as_str)).map(str::to_string)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// A user name that coalesces three HR fields is looked up in those fields (then computed
    /// for the few people found there); a mapping that computes anything else, or has a
    /// default, is not.
    #[test]
    fn a_coalesce_of_fields_is_looked_up_in_its_fields() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
        let loaded = crate::policy::load::load(&root).unwrap();
        let mut diagnostics = Vec::new();
        let policy = crate::policy::compile::compile(&loaded, &mut diagnostics);
        assert_eq!(
            coalesced_fields(&policy, "userName").unwrap(),
            [
                ("employees", "UserID"),
                ("contractors", "UserID"),
                ("interns", "UserID")
            ]
        );
        assert_eq!(coalesced_fields(&policy, "department").unwrap().len(), 3);
        // `displayName` joins.
        assert!(coalesced_fields(&policy, "displayName").is_none());
        // A copy is step 2's.
        assert!(coalesced_fields(&policy, "mail").is_none());
        let read = ReadData::read(&loaded);
        let mut issues = Vec::new();
        let identity = loaded.files.iter().find_map(|f| f.policy.identity.as_ref());
        let people =
            correlate::people(identity.map(|i| &i.value), &read.datasets, &mut issues).unwrap();
        let fields = coalesced_fields(&policy, "userName").unwrap();
        let rows = owners(&read.datasets, &people, &fields, "MWEBB");
        assert_eq!(rows.len(), 1);
        assert_eq!(people[rows[0]].key, "1004");
        assert!(owners(&read.datasets, &people, &fields, "mweb").is_empty());
    }
}
