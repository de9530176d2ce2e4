//! What the tests exercised. Coverage is counted in units, each covered or not:
//!
//! - **mapping**: an identity or target attribute mapping gave a value (not NULL) to some
//!   fixture identity (for a target attribute: on some account);
//! - **branch**: each outcome of an `IIF` (true, false) and each case of a `Switch` (and its
//!   default) was taken for some fixture identity. A branch inside an argument that is not
//!   always evaluated (a later `Coalesce` argument) counts as reached whenever its
//!   enclosing condition is;
//! - **rule**: a group's membership rule or a package's auto-assignment rule both matched and
//!   failed to match someone (two units), in scenarios (as the group's or package's
//!   membership) or rule tests;
//! - **group**, **package**, **target**: some fixture identity was a member, held it, had an
//!   account there.
//!
//! Workflows are not counted: Roster does not evaluate them yet.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::diagnostics::{FileId, Span};
use crate::eval::{AccountState, DesiredState};
use crate::expr::compile::{Node, Program};
use crate::expr::functions::Func;
use crate::policy::Policy;
use crate::policy::compile::{MappingKind, ProgramKind};
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::value::Value;
use crate::yaml::{Sp, YamlSource};

/// One unit of coverage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unit {
    /// `mapping`, `branch`, `rule`, `group`, `package` or `target`.
    pub kind: &'static str,
    /// What it is, e.g. `attribute:mail`, `target:erp.active`, `group:dept-sales`.
    pub name: String,
    /// For branches and rules, which outcome: `true`, `false`, `= "Seattle"`, `default`...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Whether the tests exercised it.
    pub covered: bool,
    /// Where it is written.
    #[serde(skip)]
    pub at: Option<(FileId, Span)>,
}

/// A conditional of an expression: an `IIF` or a `Switch`.
#[derive(Debug, Clone)]
struct Point {
    /// The first of its units in [`Coverage::units`].
    first: usize,
    /// `IIF`: the condition; `Switch`: the source value, then each case's key.
    tests: Vec<Program>,
    /// Whether it is an `IIF`.
    iif: bool,
    /// Conditionals always reached when this one is.
    always: Vec<Point>,
    /// Conditionals reached by each outcome (`IIF`: true, false; `Switch`: default, then
    /// each case).
    branches: Vec<Vec<Point>>,
}

/// An expression mapping's conditionals.
#[derive(Debug, Clone)]
struct Tree {
    /// The attribute it computes.
    node: NodeId,
    /// The expression's attribute slots and what each reads.
    slots: Vec<Option<NodeId>>,
    points: Vec<Point>,
}

/// What the tests exercised, unit by unit.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    units: Vec<Unit>,
    index: BTreeMap<(String, Option<String>), usize>,
    trees: Vec<Tree>,
}

impl Coverage {
    /// Every unit of the policy set, none covered yet.
    pub fn new(policy: &Policy, loaded: &Loaded) -> Coverage {
        let mut c = Coverage::default();
        for node in policy.mappings.keys() {
            let name = node.to_string();
            let at = mapping_loc(policy, node);
            c.add("mapping", name, None, at);
        }
        for (node, mapping) in &policy.mappings {
            let MappingKind::Expression { program, slots } = &mapping.kind else {
                continue;
            };
            let Some(def) = policy.programs.get(*program) else {
                continue;
            };
            let ProgramKind::Expression {
                program: compiled, ..
            } = &def.kind
            else {
                continue;
            };
            let text = loaded.sources.get(def.loc.file).map_or("", |(_, t)| t);
            let yaml = YamlSource::new(text);
            let scalar = Sp::new(def.text.clone(), def.loc.span);
            let place = |span: Span| Some((def.loc.file, yaml.inner_span(&scalar, span)));
            let points = c.points(
                &node.to_string(),
                &compiled.root,
                &compiled.attributes,
                &place,
            );
            if !points.is_empty() {
                c.trees.push(Tree {
                    node: node.clone(),
                    slots: slots.clone(),
                    points,
                });
            }
        }
        for def in &policy.programs {
            if let ProgramKind::Rule { node, .. } = &def.kind
                && matches!(node, NodeId::Group(_) | NodeId::Package(_))
            {
                let at = Some((def.loc.file, def.loc.span));
                c.add("rule", node.to_string(), Some("matches".into()), at);
                c.add("rule", node.to_string(), Some("does not match".into()), at);
            }
        }
        for (name, loc) in &policy.groups {
            c.add(
                "group",
                format!("group:{name}"),
                None,
                Some((loc.file, loc.span)),
            );
        }
        for (name, loc) in &policy.packages {
            c.add(
                "package",
                format!("package:{name}"),
                None,
                Some((loc.file, loc.span)),
            );
        }
        for (name, loc) in &policy.targets {
            c.add(
                "target",
                format!("target:{name}"),
                None,
                Some((loc.file, loc.span)),
            );
        }
        c
    }

    fn add(
        &mut self,
        kind: &'static str,
        name: String,
        outcome: Option<String>,
        at: Option<(FileId, Span)>,
    ) -> usize {
        let i = self.units.len();
        self.index.insert((name.clone(), outcome.clone()), i);
        self.units.push(Unit {
            kind,
            name,
            outcome,
            covered: false,
            at,
        });
        i
    }

    /// The conditionals of an expression node reached whenever it is evaluated.
    fn points(
        &mut self,
        name: &str,
        node: &Node,
        attributes: &[String],
        place: &dyn Fn(Span) -> Option<(FileId, Span)>,
    ) -> Vec<Point> {
        let program = |n: &Node| Program {
            root: n.clone(),
            attributes: attributes.to_vec(),
        };
        match node {
            Node::Call(call) if call.func == Func::Iif => {
                let at = place(call.span);
                let first = self.add(
                    "branch",
                    format!("{name}@{}", call.span.start),
                    Some("true".into()),
                    at,
                );
                self.add(
                    "branch",
                    format!("{name}@{}", call.span.start),
                    Some("false".into()),
                    at,
                );
                let mut always = Vec::new();
                let mut tests = Vec::new();
                if let Some(cond) = call.arg(0) {
                    always = self.points(name, cond, attributes, place);
                    tests.push(program(cond));
                }
                let branches = (1..=2)
                    .map(|i| {
                        call.arg(i)
                            .map(|n| self.points(name, n, attributes, place))
                            .unwrap_or_default()
                    })
                    .collect();
                vec![Point {
                    first,
                    tests,
                    iif: true,
                    always,
                    branches,
                }]
            }
            Node::Call(call) if call.func == Func::Switch => {
                let at = place(call.span);
                let unit = format!("{name}@{}", call.span.start);
                // Every unit of this `Switch` first, so that they are consecutive.
                let first = self.add("branch", unit.clone(), Some("default".into()), at);
                let mut i = 2;
                while i + 1 < call.args.len() {
                    let label = match call.arg(i) {
                        Some(Node::Const(v)) => {
                            format!("= {}", crate::escape::json_compact(&v.to_json()))
                        }
                        _ => format!("case {}", i / 2),
                    };
                    self.add("branch", unit.clone(), Some(label), at);
                    i += 2;
                }
                let mut always = Vec::new();
                let mut tests = Vec::new();
                match call.arg(0) {
                    Some(source) => {
                        always.extend(self.points(name, source, attributes, place));
                        tests.push(program(source));
                    }
                    None => tests.push(program(&Node::Const(Value::Null))),
                }
                let mut branches = vec![
                    call.arg(1)
                        .map(|n| self.points(name, n, attributes, place))
                        .unwrap_or_default(),
                ];
                let mut i = 2;
                while i + 1 < call.args.len() {
                    let key = call.arg(i).cloned().unwrap_or(Node::Const(Value::Null));
                    always.extend(self.points(name, &key, attributes, place));
                    tests.push(program(&key));
                    branches.push(
                        call.arg(i + 1)
                            .map(|n| self.points(name, n, attributes, place))
                            .unwrap_or_default(),
                    );
                    i += 2;
                }
                vec![Point {
                    first,
                    tests,
                    iif: false,
                    always,
                    branches,
                }]
            }
            Node::Call(call) => call
                .args
                .iter()
                .flatten()
                .flat_map(|n| self.points(name, n, attributes, place))
                .collect(),
            Node::Compare(sides, _, _) => {
                let mut out = self.points(name, &sides.0, attributes, place);
                out.extend(self.points(name, &sides.1, attributes, place));
                out
            }
            Node::Const(_) | Node::Attr(..) | Node::Flow(_) => Vec::new(),
        }
    }

    fn cover(&mut self, name: &str, outcome: Option<&str>) {
        if let Some(i) = self
            .index
            .get(&(name.to_string(), outcome.map(str::to_string)))
            && let Some(u) = self.units.get_mut(*i)
        {
            u.covered = true;
        }
    }

    /// A rule test's result for the rule of a group or package.
    pub fn rule_outcome(&mut self, node: &NodeId, matched: bool) {
        let outcome = if matched { "matches" } else { "does not match" };
        self.cover(&node.to_string(), Some(outcome));
    }

    /// What one scenario's evaluation exercised.
    pub fn observe(
        &mut self,
        policy: &Policy,
        state: &DesiredState,
        as_of: NaiveDate,
        loaded: &Loaded,
    ) {
        let ids = &state.identities;
        let n = ids.len();
        let rules: Vec<NodeId> = policy
            .programs
            .iter()
            .filter_map(|p| match &p.kind {
                ProgramKind::Rule { node, .. } => Some(node.clone()),
                ProgramKind::Expression { .. } => None,
            })
            .collect();
        for (name, members) in &ids.groups {
            let count = members.count_ones(..);
            let node = NodeId::Group(name.clone());
            if count > 0 {
                self.cover(&format!("group:{name}"), None);
            }
            if rules.contains(&node) {
                if count > 0 {
                    self.cover(&node.to_string(), Some("matches"));
                }
                if count < n {
                    self.cover(&node.to_string(), Some("does not match"));
                }
            }
        }
        for (name, holders) in &ids.packages {
            let count = holders.count_ones(..);
            let node = NodeId::Package(name.clone());
            if count > 0 {
                self.cover(&format!("package:{name}"), None);
            }
            if rules.contains(&node) {
                if count > 0 {
                    self.cover(&node.to_string(), Some("matches"));
                }
                if count < n {
                    self.cover(&node.to_string(), Some("does not match"));
                }
            }
        }
        for (name, column) in &ids.attributes {
            if (0..n).any(|i| !column.get(i).is_null()) {
                self.cover(&NodeId::Attribute(name.clone()).to_string(), None);
            }
        }
        for t in &ids.targets {
            if t.holders.count_ones(..) > 0 {
                self.cover(&format!("target:{}", t.name), None);
            }
            for (attr, column, absent) in &t.attributes {
                let flows = (0..n).any(|i| {
                    t.holders.contains(i)
                        && t.state(i, ids.lifecycle(i)) != Some(AccountState::Held)
                        && !absent.as_ref().is_some_and(|a| a.contains(i))
                        && !column.get(i).is_null()
                });
                if flows {
                    self.cover(
                        &NodeId::TargetAttribute(t.name.clone(), attr.clone()).to_string(),
                        None,
                    );
                }
            }
        }
        self.branches(state, as_of, loaded);
    }

    /// Which outcome of each conditional each identity took.
    fn branches(&mut self, state: &DesiredState, as_of: NaiveDate, loaded: &Loaded) {
        use rand::SeedableRng as _;
        let ids = &state.identities;
        let domain = loaded
            .files
            .iter()
            .find_map(|f| f.policy.tenant.as_ref())
            .map_or("contoso.onmicrosoft.com", |t| {
                t.value.default_domain.value.as_str()
            })
            .to_string();
        let now = as_of.and_hms_opt(0, 0, 0).unwrap_or_default();
        let mut hits: Vec<usize> = Vec::new();
        let attribute = |name: &str, i: usize| -> Value {
            ids.attributes
                .iter()
                .find(|(n, _)| n == name)
                .map_or(Value::Null, |(_, c)| c.get(i).clone())
        };
        let field = |source: &str, field: &str, i: usize| -> Value {
            let Some(person) = ids.people.get(i) else {
                return Value::Null;
            };
            for (d, r) in &person.records {
                let Some(data) = ids.datasets.get(*d) else {
                    continue;
                };
                if data.source != source {
                    continue;
                }
                let Some(k) = data.fields.iter().position(|(f, _)| f == field) else {
                    return Value::Null;
                };
                return data
                    .columns
                    .get(k)
                    .map_or(Value::Null, |c| c.get(*r).clone());
            }
            Value::Null
        };
        for tree in &self.trees {
            for i in 0..ids.len() {
                if let NodeId::TargetAttribute(t, _) = &tree.node {
                    let holds = ids
                        .targets
                        .iter()
                        .find(|x| x.name == *t)
                        .is_some_and(|x| x.holders.contains(i));
                    if !holds {
                        continue;
                    }
                }
                let values: Vec<Value> = tree
                    .slots
                    .iter()
                    .map(|slot| match slot {
                        Some(NodeId::SourceField(s, f)) => field(s, f, i),
                        Some(NodeId::Attribute(a)) => attribute(a, i),
                        _ => Value::Null,
                    })
                    .collect();
                let mut rng = rand::rngs::StdRng::seed_from_u64(0);
                let mut ctx = crate::expr::Context {
                    now,
                    default_domain: &domain,
                    is_taken: &|_| false,
                    rng: &mut rng,
                };
                visit(&tree.points, &values, &mut ctx, &mut hits);
            }
        }
        for h in hits {
            if let Some(u) = self.units.get_mut(h) {
                u.covered = true;
            }
        }
    }

    /// Every unit.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// Covered units over all units, in percent (100 when there are none).
    pub fn percent(&self) -> f64 {
        if self.units.is_empty() {
            return 100.0;
        }
        let covered = self.units.iter().filter(|u| u.covered).count();
        #[allow(clippy::cast_precision_loss)]
        let p = covered as f64 * 100.0 / self.units.len() as f64;
        p
    }

    /// Covered and total units, by kind, in a fixed order.
    pub fn by_kind(&self) -> Vec<(&'static str, usize, usize)> {
        ["mapping", "branch", "rule", "group", "package", "target"]
            .iter()
            .map(|k| {
                let all = self.units.iter().filter(|u| u.kind == *k);
                let total = all.clone().count();
                let covered = all.filter(|u| u.covered).count();
                (*k, covered, total)
            })
            .collect()
    }
}

/// Where a mapping is declared: its program for expressions, else its attribute's name.
fn mapping_loc(policy: &Policy, node: &NodeId) -> Option<(FileId, Span)> {
    if let Some(m) = policy.mappings.get(node)
        && let MappingKind::Expression { program, .. } = &m.kind
        && let Some(def) = policy.programs.get(*program)
    {
        return Some((def.loc.file, def.loc.span));
    }
    match node {
        NodeId::Attribute(a) => policy.attributes.get(a).map(|d| (d.loc.file, d.loc.span)),
        NodeId::TargetAttribute(t, _) => policy.targets.get(t).map(|l| (l.file, l.span)),
        _ => None,
    }
}

/// The truth of a condition, as `IIF` reads it.
fn truth(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Int(n) => *n != 0,
        Value::Str(s) => {
            let s = s.trim();
            s.eq_ignore_ascii_case("true") || s.parse::<i64>().is_ok_and(|n| n != 0)
        }
        _ => false,
    }
}

fn value_of(p: &Program, values: &[Value], ctx: &mut crate::expr::Context<'_>) -> Option<Value> {
    match p.eval(values, ctx) {
        Ok(crate::expr::Outcome::Value(v)) => Some(match v {
            Value::List(mut items) if items.len() <= 1 => items.pop().unwrap_or(Value::Null),
            other => other,
        }),
        _ => None,
    }
}

fn visit(
    points: &[Point],
    values: &[Value],
    ctx: &mut crate::expr::Context<'_>,
    hits: &mut Vec<usize>,
) {
    for p in points {
        visit(&p.always, values, ctx, hits);
        let taken = if p.iif {
            p.tests
                .first()
                .and_then(|t| value_of(t, values, ctx))
                .map(|v| if truth(&v) { 0 } else { 1 })
        } else {
            let source = p
                .tests
                .first()
                .and_then(|t| value_of(t, values, ctx))
                .and_then(|v| v.as_text().map(std::borrow::Cow::into_owned))
                .unwrap_or_default();
            let mut taken = Some(0);
            for (k, key) in p.tests.iter().skip(1).enumerate() {
                let Some(key) = value_of(key, values, ctx) else {
                    taken = None;
                    break;
                };
                let key = key
                    .as_text()
                    .map(std::borrow::Cow::into_owned)
                    .unwrap_or_default();
                if key == source {
                    taken = Some(k + 1);
                    break;
                }
            }
            taken
        };
        let Some(b) = taken else { continue };
        hits.push(p.first + b);
        if let Some(next) = p.branches.get(b) {
            visit(next, values, ctx, hits);
        }
    }
}
