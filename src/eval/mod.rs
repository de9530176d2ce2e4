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
use crate::ingest::{self, DataIssue, Dataset};
use crate::policy::Policy;
use crate::policy::compile::{MappingDef, MappingKind, ProgramKind};
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::policy::raw;
use crate::rule::RuleContext;
use crate::rule::sets::{Bitset, Population, SetEvaluator};
use crate::value::Value;
use rayon::prelude::*;

pub use report::{Account, AccountState, DesiredState, IdentityState, Lifecycle};

/// Evaluation settings.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The date the state is computed for (midnight UTC).
    pub as_of: NaiveDate,
}

/// Reads every source of the policy set (paths relative to the declaring file), in
/// declaration order.
pub fn read_sources(loaded: &Loaded, issues: &mut Vec<DataIssue>) -> Vec<Dataset> {
    let mut datasets = Vec::new();
    for file in &loaded.files {
        let base = file
            .path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        for (name, source) in &file.policy.sources {
            let (data, mut problems) = ingest::read(&name.value, &source.value, &base);
            issues.append(&mut problems);
            datasets.extend(data);
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
                let person = people.get(row);
                issues.push(DataIssue {
                    code: d.code,
                    severity: Severity::Error,
                    file: person.map(|p| p.origin(&datasets)).unwrap_or_default(),
                    row: person.and_then(|p| p.first_row(&datasets)),
                    field: Some((*attr).clone()),
                    message: format!(
                        "identity `{}`: {}",
                        person.map_or("", |p| p.key.as_str()),
                        d.message
                    ),
                    help: d.help.clone(),
                });
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
    let lifecycle = lifecycles(
        &lifecycle_rules,
        &column_of,
        &people,
        &datasets,
        now,
        &mut issues,
    );
    manager_issues(&people, column_of("manager"), &mut issues);

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
    // Static members with the place of each entry (for `E123`).
    let static_members: HashMap<&str, Vec<(&str, String, usize)>> = loaded
        .files
        .iter()
        .flat_map(|f| f.policy.groups.iter().map(move |g| (f.id, g)))
        .filter_map(|(file, (n, g))| {
            use crate::diagnostics::Sources as _;
            let src = loaded.sources.source(file);
            g.value.members.as_ref().map(|m| {
                (
                    n.value.as_str(),
                    m.iter()
                        .map(|x| {
                            (
                                x.value.as_str(),
                                src.name.to_string(),
                                src.line_col(x.span.start).line,
                            )
                        })
                        .collect(),
                )
            })
        })
        .collect();
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
    // `package:name`.
    let mut sets: HashMap<String, Bitset> = HashMap::new();
    let mut evaluate_node =
        |node: &NodeId, sets: &HashMap<String, Bitset>, issues: &mut Vec<DataIssue>| -> Bitset {
            let Some(rule) = rules.get(node) else {
                return Bitset::with_capacity(n);
            };
            match evaluator.eval(rule, &population, &ctx, &|id: &str| sets.get(id)) {
                Ok(mut set) => {
                    set.intersect_with(&eligible);
                    set
                }
                Err(d) => {
                    issues.push(DataIssue {
                        code: d.code,
                        severity: Severity::Error,
                        file: String::new(),
                        row: None,
                        field: Some(node.to_string()),
                        message: d.message,
                        help: d.help,
                    });
                    Bitset::with_capacity(n)
                }
            }
        };
    for node in &graph_order {
        match node {
            NodeId::Group(name) => {
                let mut set = evaluate_node(node, &sets, &mut issues);
                if let Some(list) = static_members.get(name.as_str()) {
                    for (key, file, line) in list {
                        match index.get(key) {
                            // An identity without an account is a member of nothing.
                            Some(i) if eligible.contains(*i) => set.insert(*i),
                            Some(i) => issues.push(DataIssue {
                                code: Code::StaticMemberWithoutAccount,
                                severity: Severity::Warning,
                                file: file.clone(),
                                row: Some(*line),
                                field: Some(format!("groups.{name}.members")),
                                message: format!(
                                    "static member `{key}` of group `{name}` has no account on the as-of date (lifecycle `{}`{}): not a member",
                                    lifecycle.get(*i).map_or("unknown", |l| l.word()),
                                    if ignored.contains(*i) { ", `IgnoreObjectFlow`" } else { "" }
                                ),
                                help: Some(
                                    "remove the entry once the person has left, or add it when their account exists; static membership grants nothing without an account".into(),
                                ),
                            }),
                            None => issues.push(DataIssue {
                                code: Code::UnknownMember,
                                severity: Severity::Warning,
                                file: String::new(),
                                row: None,
                                field: None,
                                message: format!(
                                    "static member `{key}` of group `{name}` is not an identity"
                                ),
                                help: Some("list identity keys of the primary source".into()),
                            }),
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
                        set.union_with(holders);
                    }
                }
                sets.insert(name.to_lowercase(), set);
            }
            NodeId::Package(name) => {
                let set = evaluate_node(node, &sets, &mut issues);
                sets.insert(format!("package:{name}"), set);
            }
            _ => {}
        }
    }
    drop(evaluator);
    let mut groups: Vec<(String, Bitset)> = Vec::new();
    let mut package_sets: Vec<(String, Bitset)> = Vec::new();
    let group_names: HashMap<String, &String> = policy
        .groups
        .keys()
        .map(|g| (g.to_lowercase(), g))
        .collect();
    for (name, set) in sets {
        match name.strip_prefix("package:") {
            Some(p) => package_sets.push((p.to_string(), set)),
            None => groups.push((
                group_names
                    .get(&name)
                    .map_or_else(|| name.clone(), |g| (*g).clone()),
                set,
            )),
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    package_sets.sort_by(|a, b| a.0.cmp(&b.0));
    separation_of_duties(&people, &packages, &groups, &package_sets, &mut issues);

    clock.lap("groups and access packages (rules)");
    // 5. Accounts in each target, for identities in scope.
    let mut holders_base = eligible.clone();
    holders_base.difference_with(&ignored);
    let mut targets: Vec<report::TargetAccounts> = Vec::new();
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
                    issues.push(DataIssue {
                        code: d.code,
                        severity: Severity::Error,
                        file: String::new(),
                        row: None,
                        field: Some(format!("{}.{}", tname.value, aname)),
                        message: format!(
                            "identity `{}`: {}",
                            people.get(row).map_or("", |p| p.key.as_str()),
                            d.message
                        ),
                        help: d.help.clone(),
                    });
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
    let identities = report::Identities {
        datasets,
        people,
        attributes,
        lifecycle,
        ignored,
        groups,
        packages: package_sets,
        targets,
    };
    let state = DesiredState::new(options.as_of, identities, issues);
    clock.lap("report");
    clock.finish();
    state
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
fn resolve<'p, 'c>(
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
/// any are given). An assigned-only target that nothing assigns holds nobody.
fn scope_of<'c>(
    name: &str,
    target: &raw::Target,
    groups: &[(String, Bitset)],
    package_sets: &[(String, Bitset)],
    packages: &[(String, &raw::AccessPackage)],
    column_of: &dyn Fn(&str) -> Option<&'c Column>,
    n: usize,
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
            let hit = |v: Option<&Value>| clause(&c.value, v, patterns.0.get(&(fi, ci)));
            let set = match column {
                None => {
                    if hit(None) {
                        all.clone()
                    } else {
                        Bitset::with_capacity(n)
                    }
                }
                Some(column) => {
                    let table: Vec<bool> =
                        column.dictionary().iter().map(|v| hit(Some(v))).collect();
                    let mut b = Bitset::with_capacity(n);
                    for i in 0..n {
                        if table.get(column.code(i) as usize).copied().unwrap_or(false) {
                            b.insert(i);
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
/// it is incompatible with.
fn separation_of_duties(
    people: &[correlate::Person],
    packages: &[(String, &raw::AccessPackage)],
    groups: &[(String, Bitset)],
    package_sets: &[(String, Bitset)],
    issues: &mut Vec<DataIssue>,
) {
    let set = |sets: &[(String, Bitset)], name: &str| -> Option<Bitset> {
        sets.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone())
    };
    let key = |i: usize| people.get(i).map_or("", |p| p.key.as_str());
    for (pname, pkg) in packages {
        let Some(holders) = set(package_sets, pname) else {
            continue;
        };
        for other in &pkg.incompatible_packages {
            if pname.as_str() >= other.value.as_str() {
                continue;
            }
            if let Some(mut both) = set(package_sets, &other.value) {
                both.intersect_with(&holders);
                for i in both.ones() {
                    issues.push(sod(
                        key(i),
                        &format!("access packages `{pname}` and `{}`", other.value),
                    ));
                }
            }
        }
        for group in &pkg.incompatible_groups {
            if let Some(mut both) = set(groups, &group.value) {
                both.intersect_with(&holders);
                for i in both.ones() {
                    issues.push(sod(
                        key(i),
                        &format!("access package `{pname}` and group `{}`", group.value),
                    ));
                }
            }
        }
    }
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
            eprint!("\r{}", self.line());
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
            eprintln!();
        }
    }
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
            eprintln!(
                "timing: {name:<40} {:>9.3} s {:>5.1}%",
                d.as_secs_f64(),
                100.0 * d.as_secs_f64() / total
            );
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
/// the `IS NULL` / `IS FALSE` tests.
fn clause(
    c: &raw::Clause,
    value: Option<&Value>,
    pattern: Option<&crate::dotnet::regex::NetRegex>,
) -> bool {
    use raw::ClauseOperator as Op;
    let text = value
        .and_then(Value::as_text)
        .map(std::borrow::Cow::into_owned)
        .unwrap_or_default();
    let want = c.value.as_ref().map_or("", |v| v.value.as_str());
    let empty = text.is_empty();
    match c.operator.value {
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
            let hit = pattern
                .and_then(|re| re.is_match(&text).ok())
                .unwrap_or(false);
            if c.operator.value == Op::RegexMatch {
                hit
            } else {
                !hit
            }
        }
    }
}

/// The `manager` attribute must name another identity: report references to nobody, to the
/// person themself, and cycles in the management chain (once per cycle).
fn manager_issues(
    people: &[correlate::Person],
    manager: Option<&Column>,
    issues: &mut Vec<DataIssue>,
) {
    let Some(manager) = manager else {
        return;
    };
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
    let issue =
        |code: Code, severity: Severity, key: &str, message: String, help: &str| DataIssue {
            code,
            severity,
            file: String::new(),
            row: None,
            field: Some("manager".into()),
            message: format!("identity `{key}`: {message}"),
            help: Some(help.into()),
        };
    let mut next: Vec<Option<usize>> = vec![None; people.len()];
    for (i, s) in people.iter().enumerate() {
        let Some(Some(m)) = texts.get(manager.code(i) as usize) else {
            continue;
        };
        match keys.get(m.as_str()) {
            None => issues.push(issue(
                Code::DataDanglingManager,
                Severity::Warning,
                &s.key,
                format!("manager `{m}` is not an identity"),
                "check the manager reference in the HR data",
            )),
            Some(j) if *j == i => issues.push(issue(
                Code::DataSelfManager,
                Severity::Warning,
                &s.key,
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
                    if let Some(first) = cycle.first() {
                        issues.push(issue(
                            Code::DataManagerCycle,
                            Severity::Error,
                            first,
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

fn sod(key: &str, what: &str) -> DataIssue {
    DataIssue {
        code: Code::SeparationOfDuties,
        severity: Severity::Warning,
        file: String::new(),
        row: None,
        field: None,
        message: format!("identity `{key}` holds {what}, which are incompatible"),
        help: Some("remove one assignment, or revisit the auto-assignment rules".into()),
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

fn default_domain(loaded: &Loaded) -> &str {
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

const UNKNOWN_HELP: &str = "no account is enabled and no access is granted to this identity; whatever it holds now is held as it is (no grant, no removal) until the HR data is fixed";
const LEAVER_HELP: &str =
    "record the leave date in the HR data: retention, and then deletion, count from it";

/// The lifecycle state of every identity as of `now`, from the date and status attributes
/// (each distinct value read once); identities whose lifecycle is unknown (`E120`) or whose
/// status makes them leavers without a past leave date (`E121`) are reported.
fn lifecycles<'c>(
    rules: &lifecycle::Rules,
    column_of: &dyn Fn(&str) -> Option<&'c Column>,
    people: &[correlate::Person],
    datasets: &[Dataset],
    now: NaiveDateTime,
    issues: &mut Vec<DataIssue>,
) -> Vec<Lifecycle> {
    use lifecycle::{DateCell, StatusCell, Why};
    let n = people.len();
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
            let person = people.get(i);
            let issue = |code: Code, what: String, help: &str| DataIssue {
                code,
                severity: code.severity(),
                file: person.map(|p| p.origin(datasets)).unwrap_or_default(),
                row: person.and_then(|p| p.first_row(datasets)),
                field: field.map(str::to_string),
                message: format!(
                    "identity `{}`: {what}",
                    person.map_or("", |p| p.key.as_str())
                ),
                help: Some(help.into()),
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
