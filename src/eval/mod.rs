//! The `eval` stage: the desired state of every identity.
//!
//! Evaluation is a pure function of the checked policy, the source data and the as-of date:
//! sources are read ([`crate::ingest`]), records are correlated into identities, identity
//! attributes are computed in the dependency graph's order, the lifecycle state is derived from
//! the dates, then groups, access packages and target accounts follow. Identities are processed
//! in key order, so population-level choices (`SelectUniqueValue`) are deterministic whatever the
//! order of rows in the input files.

pub mod correlate;
pub mod explain;
pub mod report;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use indexmap::IndexMap;
use rand::SeedableRng as _;

use crate::codes::Code;
use crate::diagnostics::Severity;
use crate::expr::{Context, Outcome};
use crate::ingest::{self, DataIssue, Dataset};
use crate::policy::Policy;
use crate::policy::compile::{MappingKind, ProgramKind};
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::policy::raw;
use crate::rule::RuleContext;
use crate::rule::sets::{Bitset, Population, SetEvaluator};
use crate::value::Value;

pub use report::{Account, DesiredState, IdentityState, Lifecycle};

/// Evaluation settings.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The date the state is computed for (midnight UTC).
    pub as_of: NaiveDate,
}

/// Whether a mapping is a `SelectUniqueValue` expression.
fn is_unique(policy: &Policy, kind: &MappingKind) -> bool {
    let MappingKind::Expression { program, .. } = kind else {
        return false;
    };
    matches!(
        policy.programs.get(*program).map(|d| &d.kind),
        Some(ProgramKind::Expression { program, .. })
            if matches!(&program.root, crate::expr::compile::Node::Call(c) if c.func == crate::expr::functions::Func::SelectUniqueValue)
    )
}

/// Where a mapping input comes from.
enum Input {
    /// Field `.1` of the person's record in dataset `.0`.
    Field(usize, usize),
    /// An identity attribute computed earlier, by position in the evaluation order.
    Attribute(usize),
    /// Nothing (an unresolved reference).
    Null,
}

/// How one attribute is computed.
enum How<'p> {
    Copy(Input),
    Constant(Value),
    Expression {
        program: &'p crate::expr::Program,
        inputs: Vec<Input>,
        unique: bool,
    },
}

/// One attribute of the evaluation plan.
struct Step<'p> {
    attr: &'p String,
    at: usize,
    how: How<'p>,
    default: Option<&'p String>,
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

    clock.lap("correlate");
    // 3. Identity attributes, in the graph's order. What each mapping reads is resolved once
    //    to a dataset column or an earlier attribute, so the per-identity loop only indexes.
    let order: Vec<String> = attribute_order(policy);
    let position: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, a)| (a.as_str(), i))
        .collect();
    let locate = |node: &NodeId| -> Input {
        match node {
            NodeId::SourceField(s, f) => datasets
                .iter()
                .position(|d| d.source == *s)
                .and_then(|d| Some(Input::Field(d, datasets.get(d)?.field_index(f)?)))
                .unwrap_or(Input::Null),
            NodeId::Attribute(a) => position
                .get(a.as_str())
                .map_or(Input::Null, |i| Input::Attribute(*i)),
            _ => Input::Null,
        }
    };
    let plan: Vec<Step<'_>> = order
        .iter()
        .filter_map(|attr| {
            let mapping = policy.mappings.get(&NodeId::Attribute(attr.clone()))?;
            let how = match &mapping.kind {
                MappingKind::Direct(node) => How::Copy(locate(node)),
                MappingKind::Constant(c) => How::Constant(Value::Str(c.clone())),
                MappingKind::Expression { program, slots } => {
                    let ProgramKind::Expression { program, .. } =
                        &policy.programs.get(*program)?.kind
                    else {
                        return None;
                    };
                    let unique = is_unique(policy, &mapping.kind);
                    How::Expression {
                        program,
                        inputs: slots
                            .iter()
                            .map(|s| s.as_ref().map_or(Input::Null, &locate))
                            .collect(),
                        unique,
                    }
                }
            };
            Some(Step {
                attr,
                at: position.get(attr.as_str()).copied().unwrap_or(0),
                how,
                default: mapping.default.as_ref(),
            })
        })
        .collect();
    let domain = default_domain(loaded);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let mut taken: HashMap<usize, HashSet<String>> = HashMap::new();
    let mut states: Vec<IdentityState> = Vec::with_capacity(people.len());
    let mut values: Vec<Value> = vec![Value::Null; order.len()];
    let mut progress = Progress::new(people.len());
    for person in &people {
        progress.tick();
        values.iter_mut().for_each(|v| *v = Value::Null);
        let mut ignored = false;
        let fetch = |input: &Input, values: &[Value]| -> Value {
            match input {
                Input::Field(d, f) => person
                    .records
                    .iter()
                    .find(|(pd, _)| pd == d)
                    .and_then(|(_, r)| datasets.get(*d).map(|data| data.value(*r, *f)))
                    .map_or(Value::Null, Value::clone),
                Input::Attribute(i) => values.get(*i).cloned().unwrap_or(Value::Null),
                Input::Null => Value::Null,
            }
        };
        for step in &plan {
            let value = match &step.how {
                How::Copy(input) => fetch(input, &values),
                How::Constant(v) => v.clone(),
                How::Expression {
                    program,
                    inputs,
                    unique,
                } => {
                    let slot_values: Vec<Value> =
                        inputs.iter().map(|i| fetch(i, &values)).collect();
                    let used = taken.entry(step.at).or_default();
                    let is_taken = |v: &str| used.contains(&v.to_lowercase());
                    let mut ctx = Context {
                        now,
                        default_domain: domain,
                        is_taken: &is_taken,
                        rng: &mut rng,
                    };
                    let outcome = program.eval(&slot_values, &mut ctx);
                    let v = match outcome {
                        Ok(Outcome::Value(v)) => v,
                        Ok(Outcome::IgnoreAttributeFlow) => Value::Null,
                        Ok(Outcome::IgnoreObjectFlow) => {
                            ignored = true;
                            Value::Null
                        }
                        Err(d) => {
                            issues.push(DataIssue {
                                code: d.code,
                                severity: Severity::Error,
                                file: person.origin(&datasets),
                                row: person.first_row(&datasets),
                                field: Some(step.attr.clone()),
                                message: format!("identity `{}`: {}", person.key, d.message),
                                help: d.help.clone(),
                            });
                            Value::Null
                        }
                    };
                    // Values chosen by SelectUniqueValue are taken for everyone after.
                    if *unique && let Some(text) = v.as_text() {
                        taken
                            .entry(step.at)
                            .or_default()
                            .insert(text.to_lowercase());
                    }
                    v
                }
            };
            let value = match (&value, step.default) {
                (v, Some(default)) if v.is_null() => Value::Str(default.clone()),
                _ => value,
            };
            if let Some(slot) = values.get_mut(step.at) {
                *slot = value;
            }
        }
        // Report attributes in declaration order, whatever order they were computed in.
        let attributes: IndexMap<String, Value> = policy
            .attributes
            .keys()
            .filter_map(|k| Some((k.clone(), values.get(*position.get(k.as_str())?)?.clone())))
            .collect();
        let lifecycle = lifecycle(identity.map(|i| &i.value), &attributes, now);
        states.push(IdentityState {
            key: person.key.clone(),
            sources: person.provenance(&datasets),
            attributes,
            lifecycle,
            ignored,
            groups: Vec::new(),
            access_packages: Vec::new(),
            accounts: BTreeMap::new(),
        });
    }

    manager_issues(&states, &mut issues);

    progress.done();
    clock.lap("identity attributes and lifecycle");
    // 4. Groups and packages, set-wise over the population, in the graph's order (memberOf
    //    reads earlier groups; a group granted by a package reads the package).
    let ctx = RuleContext { now };
    let n = states.len();
    let columns: Vec<(String, Vec<Value>)> = policy
        .attributes
        .keys()
        .map(|a| {
            (
                a.clone(),
                states
                    .iter()
                    .map(|s| s.attributes.get(a).cloned().unwrap_or(Value::Null))
                    .collect(),
            )
        })
        .collect();
    let mut population = Population::new(n);
    for (name, column) in &columns {
        population.insert(name, column);
    }
    // Dynamic membership only for identities that have an account.
    let mut eligible = Bitset::with_capacity(n);
    for (i, s) in states.iter().enumerate() {
        eligible.set(i, s.lifecycle.has_account() && !s.ignored);
    }
    let rules: HashMap<&NodeId, &crate::rule::RuleProgram> = policy
        .programs
        .iter()
        .filter_map(|p| match &p.kind {
            ProgramKind::Rule { node, program } => Some((node, program.as_ref())),
            ProgramKind::Expression { .. } => None,
        })
        .collect();
    let static_members: HashMap<&str, Vec<&str>> = loaded
        .files
        .iter()
        .flat_map(|f| f.policy.groups.iter())
        .filter_map(|(n, g)| {
            g.value.members.as_ref().map(|m| {
                (
                    n.value.as_str(),
                    m.iter().map(|x| x.value.as_str()).collect(),
                )
            })
        })
        .collect();
    let index: HashMap<&str, usize> = states
        .iter()
        .enumerate()
        .map(|(i, s)| (s.key.as_str(), i))
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
                    for key in list {
                        match index.get(key) {
                            Some(i) => set.insert(*i),
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
    let group_names: HashMap<String, &String> = policy
        .groups
        .keys()
        .map(|g| (g.to_lowercase(), g))
        .collect();
    for (name, set) in &sets {
        for i in set.ones() {
            if let Some(state) = states.get_mut(i) {
                match name.strip_prefix("package:") {
                    Some(p) => state.access_packages.push(p.to_string()),
                    None => state.groups.push(
                        group_names
                            .get(name)
                            .map_or_else(|| name.clone(), |g| (*g).clone()),
                    ),
                }
            }
        }
    }
    for state in &mut states {
        state.groups.sort();
        state.access_packages.sort();
    }
    // Separation of duties.
    for state in &states {
        for (pname, pkg) in &packages {
            if !state.access_packages.iter().any(|p| p == pname) {
                continue;
            }
            for other in &pkg.incompatible_packages {
                if state.access_packages.contains(&other.value)
                    && pname.as_str() < other.value.as_str()
                {
                    issues.push(sod(
                        &state.key,
                        &format!("access packages `{pname}` and `{}`", other.value),
                    ));
                }
            }
            for group in &pkg.incompatible_groups {
                if state.groups.contains(&group.value) {
                    issues.push(sod(
                        &state.key,
                        &format!("access package `{pname}` and group `{}`", group.value),
                    ));
                }
            }
        }
    }

    clock.lap("groups and access packages (rules)");
    // 5. Accounts in each target, for identities in scope.
    for file in &loaded.files {
        for (tname, target) in &file.policy.targets {
            let target = &target.value;
            let mut taken: HashMap<String, HashSet<String>> = HashMap::new();
            let patterns = Patterns::new(target);
            // Each mapping's definition and uniqueness, resolved once per target.
            let plan: Vec<(&String, &crate::policy::compile::MappingDef, bool)> = target
                .mappings
                .keys()
                .filter_map(|aname| {
                    let node = NodeId::TargetAttribute(tname.value.clone(), aname.value.clone());
                    let mapping = policy.mappings.get(&node)?;
                    Some((&aname.value, mapping, is_unique(policy, &mapping.kind)))
                })
                .collect();
            for state in &mut states {
                if state.ignored
                    || !state.lifecycle.has_account()
                    || !in_scope(target, state, &patterns)
                {
                    continue;
                }
                let mut attributes: IndexMap<String, Value> = IndexMap::new();
                for &(aname, mapping, unique) in &plan {
                    let read = |n: &NodeId| match n {
                        NodeId::Attribute(a) => {
                            state.attributes.get(a).cloned().unwrap_or(Value::Null)
                        }
                        _ => Value::Null,
                    };
                    let value = match &mapping.kind {
                        MappingKind::Direct(n) => read(n),
                        MappingKind::Constant(c) => Value::Str(c.clone()),
                        MappingKind::Expression { program, slots } => {
                            let Some(ProgramKind::Expression { program, .. }) =
                                policy.programs.get(*program).map(|d| &d.kind)
                            else {
                                continue;
                            };
                            let values: Vec<Value> = slots
                                .iter()
                                .map(|s| s.as_ref().map_or(Value::Null, read))
                                .collect();
                            let used = taken.entry(aname.clone()).or_default();
                            let is_taken = |v: &str| used.contains(&v.to_lowercase());
                            let mut ctx = Context {
                                now,
                                default_domain: domain,
                                is_taken: &is_taken,
                                rng: &mut rng,
                            };
                            match program.eval(&values, &mut ctx) {
                                Ok(Outcome::Value(v)) => v,
                                Ok(Outcome::IgnoreAttributeFlow | Outcome::IgnoreObjectFlow) => {
                                    continue;
                                }
                                Err(d) => {
                                    issues.push(DataIssue {
                                        code: d.code,
                                        severity: Severity::Error,
                                        file: String::new(),
                                        row: None,
                                        field: Some(format!("{}.{}", tname.value, aname)),
                                        message: format!("identity `{}`: {}", state.key, d.message),
                                        help: d.help.clone(),
                                    });
                                    Value::Null
                                }
                            }
                        }
                    };
                    let value = match (&value, &mapping.default) {
                        (v, Some(default)) if v.is_null() => Value::Str(default.clone()),
                        _ => value,
                    };
                    // Only values chosen by SelectUniqueValue are consulted as taken.
                    if unique && let Some(text) = value.as_text() {
                        taken
                            .entry(aname.clone())
                            .or_default()
                            .insert(text.to_lowercase());
                    }
                    attributes.insert(aname.clone(), value);
                }
                state.accounts.insert(
                    tname.value.clone(),
                    Account {
                        enabled: state.lifecycle.enabled(),
                        attributes,
                    },
                );
            }
        }
    }

    clock.lap("target accounts");
    let state = DesiredState::new(options.as_of, states, issues);
    clock.lap("report");
    clock.finish();
    state
}

/// A progress line on standard error for long runs, only when standard error is a terminal
/// (never in CI logs or redirected output).
struct Progress {
    on: bool,
    total: usize,
    done: usize,
    step: usize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        use std::io::IsTerminal as _;
        let on = total >= 50_000 && std::io::stderr().is_terminal();
        Progress {
            on,
            total,
            done: 0,
            step: (total / 100).max(1),
        }
    }

    fn tick(&mut self) {
        self.done += 1;
        if self.on && self.done.is_multiple_of(self.step) {
            eprint!(
                "\revaluating identities: {:>3}% ({}/{})",
                self.done * 100 / self.total.max(1),
                self.done,
                self.total
            );
        }
    }

    fn done(&self) {
        if self.on {
            eprintln!(
                "\revaluating identities: 100% ({}/{})",
                self.total, self.total
            );
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

/// Whether an identity is in a target's scope: assigned through a group or package (when any
/// are listed), and passing the scoping filters (when any are given).
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

fn in_scope(target: &raw::Target, state: &IdentityState, patterns: &Patterns) -> bool {
    let Some(scope) = &target.scope else {
        return true;
    };
    let scope = &scope.value;
    let assigned = (scope.groups.is_empty() && scope.access_packages.is_empty())
        || scope.groups.iter().any(|g| state.groups.contains(&g.value))
        || scope
            .access_packages
            .iter()
            .any(|p| state.access_packages.contains(&p.value));
    let filtered = scope.filters.is_empty()
        || scope.filters.iter().enumerate().any(|(fi, f)| {
            f.value.iter().enumerate().all(|(ci, c)| {
                clause(
                    &c.value,
                    state.attributes.get(&c.value.attribute.value),
                    patterns.0.get(&(fi, ci)),
                )
            })
        });
    assigned && filtered
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
fn manager_issues(states: &[IdentityState], issues: &mut Vec<DataIssue>) {
    let keys: HashMap<&str, usize> = states
        .iter()
        .enumerate()
        .map(|(i, s)| (s.key.as_str(), i))
        .collect();
    let manager_of = |s: &IdentityState| -> Option<String> {
        s.attributes
            .get("manager")
            .and_then(Value::as_text)
            .map(|m| m.into_owned())
            .filter(|m| !m.is_empty())
    };
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
    let mut next: Vec<Option<usize>> = vec![None; states.len()];
    for (i, s) in states.iter().enumerate() {
        let Some(m) = manager_of(s) else { continue };
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
    let mut state = vec![0u8; states.len()]; // 0 new, 1 on path, 2 done
    for start in 0..states.len() {
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
                        .filter_map(|i| states.get(*i))
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

/// The lifecycle state as of `now` from the identity's dates.
fn lifecycle(
    identity: Option<&raw::Identity>,
    attributes: &IndexMap<String, Value>,
    now: NaiveDateTime,
) -> Lifecycle {
    let Some(lc) = identity.and_then(|i| i.lifecycle.as_ref()) else {
        return Lifecycle::Active;
    };
    let lc = &lc.value;
    let date = |name: Option<&crate::yaml::Sp<String>>| -> Option<NaiveDateTime> {
        match attributes.get(&name?.value)? {
            Value::Date(d) => Some(*d),
            other => crate::dotnet::datetime::parse(&other.as_text()?).ok(),
        }
    };
    let prehire = i64::from(lc.prehire_days.as_ref().map_or(0, |d| d.value));
    let retention = i64::from(lc.retention_days.as_ref().map_or(0, |d| d.value));
    lifecycle_at(
        date(Some(&lc.hire_date)),
        date(lc.leave_date.as_ref()),
        prehire,
        retention,
        now,
    )
}

/// The lifecycle state from the dates: pre-hire from `prehire_days` before the hire date, a
/// leaver from the day after the leave date, deleted after `retention_days` more; a leave date
/// before the hire date is an earlier employment (a rehire) and is ignored.
pub fn lifecycle_at(
    hire: Option<NaiveDateTime>,
    leave: Option<NaiveDateTime>,
    prehire_days: i64,
    retention_days: i64,
    now: NaiveDateTime,
) -> Lifecycle {
    // A leave date before the hire date belongs to an earlier employment: a rehire.
    let leave = leave.filter(|l| hire.is_none_or(|h| *l >= h));
    if let Some(leave) = leave
        && now > leave
    {
        return if now > leave + TimeDelta::days(retention_days) {
            Lifecycle::Deleted
        } else {
            Lifecycle::Leaver
        };
    }
    match hire {
        None => Lifecycle::Unknown,
        Some(h) if now < h - TimeDelta::days(prehire_days) => Lifecycle::NotYetHired,
        Some(h) if now < h => Lifecycle::PreHire,
        Some(_) => Lifecycle::Active,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
