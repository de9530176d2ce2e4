//! Lint rules: warnings about policy that is valid but likely wrong, chosen for what bites
//! Entra administrators. Each rule is one function below, documented with what it catches and
//! why; its code, bad and good example live in the registry (`src/codes.rs`).

use std::collections::HashSet;

use super::compile::{Loc, Policy, ProgramKind};
use super::graph::NodeId;
use super::load::Loaded;
use super::raw;
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Span};
use crate::dotnet::regex::NetRegex;
use crate::expr::compile::Node as ExprNode;
use crate::expr::functions::Func;
use crate::rule::compile::{Node as RuleNode, Target, Test};
use crate::syntax::MAX_RULE_LEN;
use crate::value::Value;

/// Runs every lint rule.
pub fn run(loaded: &Loaded, policy: &Policy, out: &mut Vec<Diagnostic>) {
    // Usage is only known when every reference resolved: with errors, an unresolved reference
    // would make what it names look unused.
    if !out.iter().any(Diagnostic::is_error) {
        unused_source_fields(loaded, policy, out);
        unused_attributes(loaded, policy, out);
    }
    constant_rules(policy, out);
    backtracking_patterns(policy, out);
    unique_value_not_on_create(policy, out);
    switch_on_reference(policy, out);
    iif_tests_emptiness(policy, out);
    rule_near_limit(policy, out);
    incompatible_packages_overlap(loaded, policy, out);
    no_deletion_threshold(loaded, out);
    secrets(loaded, out);
    review_auto_removes(loaded, out);
    guest_access_never_expires(loaded, out);
    target_holds_nobody(loaded, out);
    assignments_ignored(loaded, out);
    no_identity(loaded, out);
    optional_primary_source(loaded, out);
    hidden_controls(loaded, out);
}

fn warn(out: &mut Vec<Diagnostic>, code: Code, at: Loc, message: String, help: &str) {
    let mut d = Diagnostic::new(code, at.span, message).with_help(help);
    d.file = at.file;
    out.push(d);
}

/// L001: a declared source field that nothing reads. Keys, modification fields and
/// correlation fields are read by ingestion and never count as unused.
fn unused_source_fields(loaded: &Loaded, policy: &Policy, out: &mut Vec<Diagnostic>) {
    let mut used: HashSet<(String, String)> = HashSet::new();
    for file in &loaded.files {
        for (name, source) in &file.policy.sources {
            used.insert((name.value.clone(), source.value.key.value.clone()));
            if let Some(m) = &source.value.modified_field {
                used.insert((name.value.clone(), m.value.clone()));
            }
        }
        if let Some(identity) = &file.policy.identity {
            for c in &identity.value.correlation {
                for side in [&c.value.left, &c.value.right] {
                    if let Some((s, f)) = side.value.split_once('.') {
                        used.insert((s.to_string(), f.to_string()));
                    }
                }
            }
        }
    }
    for (i, id, at) in policy.graph.nodes() {
        if let NodeId::SourceField(s, f) = id
            && !used.contains(&(s.clone(), f.clone()))
            && !policy.graph.has_readers(i)
        {
            warn(
                out,
                Code::UnusedSourceField,
                at,
                format!("field `{f}` of source `{s}` is never used"),
                "map it to an identity attribute, or remove it from `fields` so reviewers know it is ignored",
            );
        }
    }
}

/// L002: an identity attribute that no rule, mapping, workflow or lifecycle setting reads.
fn unused_attributes(loaded: &Loaded, policy: &Policy, out: &mut Vec<Diagnostic>) {
    let mut used: HashSet<String> = HashSet::new();
    for file in &loaded.files {
        if let Some(identity) = &file.policy.identity
            && let Some(lc) = &identity.value.lifecycle
        {
            let lc = &lc.value;
            used.insert(lc.hire_date.value.clone());
            used.extend(
                lc.leave_date
                    .iter()
                    .chain(lc.status.iter().map(|s| &s.value.attribute))
                    .map(|a| a.value.clone()),
            );
        }
    }
    for (i, id, at) in policy.graph.nodes() {
        if let NodeId::Attribute(a) = id
            && !used.contains(a)
            && !policy.graph.has_readers(i)
        {
            warn(
                out,
                Code::UnusedAttribute,
                at,
                format!("identity attribute `{a}` is never used"),
                "use it in a rule, a target mapping or a workflow, or remove it",
            );
        }
    }
}

/// L003: a rule whose `-and` requires contradictory things (always false) or whose `-or`
/// accepts a condition and its negation (always true) — usually a typo in a value or operator.
fn constant_rules(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for def in &policy.programs {
        let ProgramKind::Rule { program, .. } = &def.kind else {
            continue;
        };
        if let Some(verdict) = constant(&program.root) {
            warn(
                out,
                Code::ConstantRule,
                def.loc,
                format!("this rule is always {verdict}"),
                if verdict {
                    "an `-or` accepts a condition and its opposite; check the operators"
                } else {
                    "an `-and` requires contradictory values; check the values and operators"
                },
            );
        }
    }
}

/// Whether a rule node is constant, by pairwise comparison of the conditions it combines.
fn constant(node: &RuleNode) -> Option<bool> {
    match node {
        RuleNode::And(children) => {
            if children.iter().any(|c| constant(c) == Some(false)) {
                return Some(false);
            }
            for (i, a) in children.iter().enumerate() {
                for b in children.iter().skip(i + 1) {
                    if opposite(a, b) || contradictory(a, b) {
                        return Some(false);
                    }
                }
            }
            None
        }
        RuleNode::Or(children) => {
            if children.iter().any(|c| constant(c) == Some(true)) {
                return Some(true);
            }
            for (i, a) in children.iter().enumerate() {
                for b in children.iter().skip(i + 1) {
                    if opposite(a, b) {
                        return Some(true);
                    }
                }
            }
            None
        }
        RuleNode::Not(inner) => constant(inner).map(|v| !v),
        _ => None,
    }
}

fn same_test(a: &Test, b: &Test) -> bool {
    match (a, b) {
        (Test::IsNull, Test::IsNull) => true,
        (Test::Eq(x), Test::Eq(y))
        | (Test::StartsWith(x), Test::StartsWith(y))
        | (Test::EndsWith(x), Test::EndsWith(y))
        | (Test::Contains(x), Test::Contains(y)) => x == y,
        (Test::In(x), Test::In(y)) => x == y,
        (Test::Bool(x), Test::Bool(y)) => x == y,
        _ => false,
    }
}

/// `x op v` and `x not-op v` on the same single-valued property.
fn opposite(a: &RuleNode, b: &RuleNode) -> bool {
    match (a, b) {
        (
            RuleNode::Test {
                target: ta,
                test: xa,
                negate: na,
                ..
            },
            RuleNode::Test {
                target: tb,
                test: xb,
                negate: nb,
                ..
            },
        ) => ta == tb && na != nb && same_test(xa, xb),
        (RuleNode::Not(inner), other) | (other, RuleNode::Not(inner)) => matches!(
            (inner.as_ref(), other),
            (RuleNode::Test { target: ta, test: xa, negate: na, .. }, RuleNode::Test { target: tb, test: xb, negate: nb, .. })
                if ta == tb && na == nb && same_test(xa, xb)
        ),
        _ => false,
    }
}

/// Two positive equality (or list) tests on the same property that no value satisfies both.
fn contradictory(a: &RuleNode, b: &RuleNode) -> bool {
    let (
        RuleNode::Test {
            target: ta @ Target::Slot(_),
            test: xa,
            negate: false,
            ..
        },
        RuleNode::Test {
            target: tb,
            test: xb,
            negate: false,
            ..
        },
    ) = (a, b)
    else {
        return false;
    };
    if ta != tb {
        return false;
    }
    let values = |t: &Test| -> Option<Vec<String>> {
        match t {
            Test::Eq(v) => Some(vec![v.clone()]),
            Test::In(vs) => Some(vs.clone()),
            _ => None,
        }
    };
    match (values(xa), values(xb)) {
        (Some(x), Some(y)) => !x.iter().any(|v| y.contains(v)),
        _ => matches!(
            (xa, xb),
            (Test::IsNull, Test::Eq(_) | Test::In(_)) | (Test::Eq(_) | Test::In(_), Test::IsNull)
        ),
    }
}

/// L004: a .NET pattern that only the backtracking engine can run: slower, and it can hit the
/// step limit on unlucky input. One test for mappings and rules alike
/// ([`NetRegex::always_backtracks`](crate::dotnet::regex::NetRegex::always_backtracks)): `$`,
/// `\Z` and `\b` have a linear fast path for ordinary input, so they are not flagged.
fn backtracking_patterns(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for def in &policy.programs {
        let uses = match &def.kind {
            ProgramKind::Expression { program, .. } => program
                .calls()
                .iter()
                .any(|c| c.regex.as_ref().is_some_and(NetRegex::always_backtracks)),
            ProgramKind::Rule { program, .. } => rule_uses_backtracking(&program.root),
        };
        if uses {
            warn(
                out,
                Code::BacktrackingPattern,
                def.loc,
                "this regular expression needs the backtracking engine".to_string(),
                "lookaround, backreferences and atomic groups are slower and stop after 1,000,000 steps; rewrite without them where you can",
            );
        }
    }
}

fn rule_uses_backtracking(node: &RuleNode) -> bool {
    match node {
        RuleNode::And(c) | RuleNode::Or(c) => c.iter().any(rule_uses_backtracking),
        RuleNode::Not(n) => rule_uses_backtracking(n),
        RuleNode::Quantified { body, .. } => rule_uses_backtracking(body),
        RuleNode::Test {
            test: Test::Match(re),
            ..
        } => re.always_backtracks(),
        _ => false,
    }
}

/// L005: `SelectUniqueValue` on a mapping applied always: Entra documents it for "Only during
/// object creation"; on updates it would pick a new value whenever the old one is taken — by
/// the person themself.
fn unique_value_not_on_create(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for def in &policy.programs {
        if let ProgramKind::Expression {
            program,
            on_create: false,
            ..
        } = &def.kind
            && matches!(&program.root, ExprNode::Call(c) if c.func == Func::SelectUniqueValue)
        {
            warn(
                out,
                Code::UniqueValueNotOnCreate,
                def.loc,
                "`SelectUniqueValue` on a mapping that applies always".to_string(),
                "add `apply: on_create`: on updates the person's own value counts as taken",
            );
        }
    }
}

/// L006: `Switch` over a reference attribute such as the manager: Entra documents that Switch
/// must not be used for reference attributes.
fn switch_on_reference(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for def in &policy.programs {
        let ProgramKind::Expression { program, .. } = &def.kind else {
            continue;
        };
        for call in program.calls() {
            if call.func == Func::Switch
                && let Some(ExprNode::Attr(slot, _)) = call.arg(0)
                && program
                    .attributes
                    .get(*slot)
                    .is_some_and(|a| a.to_ascii_lowercase().contains("manager"))
            {
                warn(
                    out,
                    Code::SwitchOnReference,
                    def.loc,
                    "`Switch` over a reference attribute".to_string(),
                    "Entra does not support `Switch` on reference attributes such as `manager`; map the reference directly",
                );
            }
        }
    }
}

/// L007: an `IIF` whose condition tests emptiness: Entra documents that "if the source
/// attribute used within the IIF function is empty or null, the condition check fails".
fn iif_tests_emptiness(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for def in &policy.programs {
        let ProgramKind::Expression { program, .. } = &def.kind else {
            continue;
        };
        for call in program.calls() {
            if call.func != Func::Iif {
                continue;
            }
            let tests_empty = match call.arg(0) {
                Some(ExprNode::Call(c)) => {
                    matches!(c.func, Func::IsNullOrEmpty | Func::IsPresent | Func::IsNull)
                }
                Some(ExprNode::Compare(sides, _, _)) => {
                    matches!(&sides.0, ExprNode::Const(Value::Str(s)) if s.is_empty())
                        || matches!(&sides.1, ExprNode::Const(Value::Str(s)) if s.is_empty())
                }
                _ => false,
            };
            if tests_empty {
                warn(
                    out,
                    Code::IifTestsEmptiness,
                    def.loc,
                    "`IIF` whose condition tests for an empty value".to_string(),
                    "Entra's condition check fails when the attribute is empty; use `Switch([x], [x], \"\", \"default\")` or `Coalesce`",
                );
            }
        }
    }
}

/// L008: a rule within 10% of Entra's 3,072-character limit: the next edit will break it.
fn rule_near_limit(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for def in &policy.programs {
        let ProgramKind::Rule { .. } = &def.kind else {
            continue;
        };
        let n = def.text.chars().count();
        if n * 10 >= MAX_RULE_LEN * 9 && n <= MAX_RULE_LEN {
            warn(
                out,
                Code::RuleNearLimit,
                def.loc,
                format!("this rule is {n} characters, near Entra's limit of {MAX_RULE_LEN}"),
                "shorten it before it grows further: compute a summarising attribute, or split the group",
            );
        }
    }
}

/// L009: two incompatible access packages whose auto-assignment rules can match the same
/// person: Entra would assign one and then refuse the other, or report a violation.
fn incompatible_packages_overlap(loaded: &Loaded, policy: &Policy, out: &mut Vec<Diagnostic>) {
    // Slots are numbered per rule; renumber them by property name so rules compare.
    let mut names: Vec<String> = Vec::new();
    let mut rules: std::collections::HashMap<&str, RuleNode> = std::collections::HashMap::new();
    for def in &policy.programs {
        if let ProgramKind::Rule {
            node: NodeId::Package(p),
            program,
        } = &def.kind
        {
            let global: Vec<usize> = program
                .properties
                .iter()
                .map(|prop| match names.iter().position(|n| *n == prop.name) {
                    Some(i) => i,
                    None => {
                        names.push(prop.name.clone());
                        names.len() - 1
                    }
                })
                .collect();
            rules.insert(p.as_str(), renumber(&program.root, &global));
        }
    }
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for file in &loaded.files {
        for (name, pkg) in &file.policy.access_packages {
            for other in &pkg.value.incompatible_packages {
                let (a, b) = (name.value.as_str(), other.value.as_str());
                let key = if a < b {
                    (a.to_string(), b.to_string())
                } else {
                    (b.to_string(), a.to_string())
                };
                let (Some(ra), Some(rb)) = (rules.get(a), rules.get(b)) else {
                    continue;
                };
                if disjoint(ra, rb) || !seen.insert(key) {
                    continue;
                }
                warn(
                    out,
                    Code::IncompatibleOverlap,
                    Loc {
                        file: file.id,
                        span: other.span,
                    },
                    format!(
                        "access packages `{a}` and `{b}` are incompatible, but both auto-assignment rules can match the same person"
                    ),
                    "make the rules exclusive, for example by testing the same attribute for different values",
                );
            }
        }
    }
}

/// A copy of a rule with its property slots renumbered through `global`.
fn renumber(node: &RuleNode, global: &[usize]) -> RuleNode {
    let slot = |i: usize| global.get(i).copied().unwrap_or(usize::MAX);
    match node {
        RuleNode::And(c) => RuleNode::And(c.iter().map(|n| renumber(n, global)).collect()),
        RuleNode::Or(c) => RuleNode::Or(c.iter().map(|n| renumber(n, global)).collect()),
        RuleNode::Not(n) => RuleNode::Not(Box::new(renumber(n, global))),
        RuleNode::Test {
            target,
            test,
            negate,
            span,
        } => RuleNode::Test {
            target: match target {
                Target::Slot(i) => Target::Slot(slot(*i)),
                other => other.clone(),
            },
            test: test.clone(),
            negate: *negate,
            span: *span,
        },
        RuleNode::Quantified { slot: s, all, body } => RuleNode::Quantified {
            slot: slot(*s),
            all: *all,
            body: body.clone(),
        },
        RuleNode::DirectReports { slot: s, id } => RuleNode::DirectReports {
            slot: slot(*s),
            id: id.clone(),
        },
    }
}

/// Whether two rules certainly match nobody in common: some property must equal different
/// values in their top-level `-and`s.
fn disjoint(a: &RuleNode, b: &RuleNode) -> bool {
    let conj = |n: &RuleNode| -> Vec<RuleNode> {
        match n {
            RuleNode::And(c) => c.clone(),
            other => vec![other.clone()],
        }
    };
    let (ca, cb) = (conj(a), conj(b));
    ca.iter()
        .any(|x| cb.iter().any(|y| contradictory(x, y) || opposite(x, y)))
}

/// L010: a target without an accidental-deletion threshold: one bad HR export can disable
/// everyone.
fn no_deletion_threshold(loaded: &Loaded, out: &mut Vec<Diagnostic>) {
    for file in &loaded.files {
        for (name, target) in &file.policy.targets {
            if target.value.deletion_threshold.is_none() {
                warn(
                    out,
                    Code::NoDeletionThreshold,
                    Loc {
                        file: file.id,
                        span: name.span,
                    },
                    format!("target `{}` has no deletion threshold", name.value),
                    "set `deletion_threshold` so a bad export cannot disable or delete everyone at once",
                );
            }
        }
    }
}

/// L040: the primary source (first in `identity.precedence`, else the first declared) is
/// declared `optional: true`. Identities take their key from it: when its export comes empty,
/// `eval` runs on the other sources alone and every identity changes key (or nobody is left),
/// which `plan` would read as everyone leaving and new people arriving.
fn optional_primary_source(loaded: &Loaded, out: &mut Vec<Diagnostic>) {
    let precedence = loaded
        .files
        .iter()
        .find_map(|f| f.policy.identity.as_ref())
        .and_then(|i| i.value.precedence.first())
        .map(|p| p.value.as_str());
    let sources = loaded
        .files
        .iter()
        .flat_map(|f| f.policy.sources.iter().map(move |s| (f.id, s)));
    let mut primary = None;
    for (file, (name, source)) in sources {
        let is_primary = match precedence {
            Some(p) => name.value == p,
            None => primary.is_none(),
        };
        if is_primary {
            primary = Some((file, name, source));
            if precedence.is_some() {
                break;
            }
        }
    }
    let Some((file, name, source)) = primary else {
        return;
    };
    if let Some(optional) = source.value.optional.as_ref().filter(|o| o.value) {
        warn(
            out,
            Code::OptionalPrimarySource,
            Loc {
                file,
                span: optional.span,
            },
            format!(
                "source `{}` is the primary source and is declared `optional: true`",
                name.value
            ),
            "identities take their key from the primary source: if its export comes empty, every identity would change or vanish; keep it required and use `optional` for secondary sources",
        );
    }
}

/// L011: a credential written into a policy file. Policy files live in git; credentials belong
/// in the environment (`connection.credential_env`).
fn secrets(loaded: &Loaded, out: &mut Vec<Diagnostic>) {
    for (file, _, text) in loaded.sources.iter() {
        let mut offset = 0usize;
        for line in text.split_inclusive('\n') {
            if let Some((start, len, what)) = secret_in(line) {
                warn(
                    out,
                    Code::SecretInPolicy,
                    Loc {
                        file,
                        span: Span::new(offset + start, offset + start + len),
                    },
                    format!("this looks like {what} written into a policy file"),
                    "remove it (and rotate it: it is in git history); reference an environment variable with `credential_env`",
                );
            }
            offset += line.len();
        }
    }
}

/// Finds a credential on one line: `(byte offset, length, what it looks like)`.
fn secret_in(line: &str) -> Option<(usize, usize, &'static str)> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return None;
    }
    let lower = line.to_ascii_lowercase();
    if let Some(i) = lower.find("-----begin")
        && lower.contains("private key")
    {
        return Some((i, line.trim_end().len().saturating_sub(i), "a private key"));
    }
    // `key: value` where the key names a secret and the value is not a reference.
    if let Some(colon) = line.find(':') {
        let key = line
            .get(..colon)
            .unwrap_or("")
            .trim()
            .trim_start_matches("- ")
            .trim_matches(['"', '\''])
            .to_ascii_lowercase();
        let value = line
            .get(colon + 1..)
            .unwrap_or("")
            .trim()
            .trim_matches(['"', '\'']);
        let secret_key = [
            "password",
            "passwd",
            "secret",
            "client_secret",
            "api_key",
            "apikey",
            "token",
            "access_token",
            "private_key",
        ]
        .iter()
        .any(|k| key == *k || key.ends_with(&format!("_{k}")));
        if secret_key && !value.is_empty() && !key.ends_with("_env") && !value.starts_with("${") {
            let at = colon
                + 1
                + line
                    .get(colon + 1..)
                    .unwrap_or("")
                    .find(|c: char| !c.is_whitespace())
                    .unwrap_or(0);
            return Some((at, line.trim_end().len().saturating_sub(at), "a credential"));
        }
    }
    for marker in ["password=", "pwd="] {
        if let Some(i) = lower.find(marker) {
            let rest = lower.get(i + marker.len()..).unwrap_or("");
            if !rest.is_empty() && !rest.starts_with(';') && !rest.starts_with("${") {
                return Some((
                    i,
                    marker.len() + rest.find([';', '"', '\'', '\n']).unwrap_or(rest.len()),
                    "a password in a connection string",
                ));
            }
        }
    }
    // `scheme://user:password@host`
    if let Some(i) = line.find("://") {
        let rest = line.get(i + 3..).unwrap_or("");
        let end = rest.find(['/', ' ', '"', '\'', '\n']).unwrap_or(rest.len());
        if let Some(authority) = rest.get(..end)
            && let Some((userinfo, _)) = authority.rsplit_once('@')
            && userinfo.contains(':')
        {
            return Some((i + 3, userinfo.len(), "a password in a URL"));
        }
    }
    // AWS access key ids and JSON web tokens.
    for (j, _) in line.match_indices("AKIA") {
        let id = line.get(j..j + 20).unwrap_or("");
        if id.len() == 20
            && id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Some((j, 20, "an AWS access key"));
        }
    }
    if let Some(j) = line.find("eyJ") {
        let token: String = line
            .get(j..)
            .unwrap_or("")
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        if token.matches('.').count() == 2 && token.len() > 40 {
            return Some((j, token.len(), "a JSON web token"));
        }
    }
    None
}

/// L012: an access review that removes unreviewed access automatically: if reviewers do not
/// respond, everyone in scope loses access at the end of the review.
fn review_auto_removes(loaded: &Loaded, out: &mut Vec<Diagnostic>) {
    for file in &loaded.files {
        for (name, review) in &file.policy.reviews {
            let r = &review.value;
            if r.auto_apply.value && r.default_decision.value == raw::DefaultDecision::Deny {
                warn(
                    out,
                    Code::ReviewAutoRemoves,
                    Loc {
                        file: file.id,
                        span: r.default_decision.span,
                    },
                    format!(
                        "review `{}` removes all unreviewed access automatically",
                        name.value
                    ),
                    "unless that is intended, use `default_decision: no_change` or `recommendation`, or turn off `auto_apply`",
                );
            }
        }
    }
}

/// L013: a request policy open to connected organisations whose assignments never expire:
/// guests keep access long after the collaboration ends.
fn guest_access_never_expires(loaded: &Loaded, out: &mut Vec<Diagnostic>) {
    for file in &loaded.files {
        for (pname, pkg) in &file.policy.access_packages {
            for (name, policy) in &pkg.value.policies {
                let p = &policy.value;
                let external = matches!(
                    p.requestors.value,
                    raw::Requestors::ConnectedOrganizations(_)
                        | raw::Requestors::AllConnectedOrganizations
                );
                let never = p
                    .expiry
                    .as_ref()
                    .is_none_or(|e| matches!(e.value, raw::Expiry::Never));
                if external && never {
                    warn(
                        out,
                        Code::GuestAccessNeverExpires,
                        Loc {
                            file: file.id,
                            span: name.span,
                        },
                        format!(
                            "policy `{}` of access package `{}` gives external users access that never expires",
                            name.value, pname.value
                        ),
                        "set `expiry`, for example `expiry: {days: 180}`",
                    );
                }
            }
        }
    }
}

/// L035: a target that takes only assigned identities (the default) when nothing assigns any:
/// no group or access package in its scope, and no access package granting one of its app
/// roles. It holds nobody — often because the last scope entry was removed, which in Entra
/// (or in a policy that meant "everyone") would silently change who is provisioned.
fn target_holds_nobody(loaded: &Loaded, out: &mut Vec<Diagnostic>) {
    let granted: HashSet<&str> = loaded
        .files
        .iter()
        .flat_map(|f| f.policy.access_packages.values())
        .flat_map(|p| p.value.resources.iter())
        .filter_map(|r| match &r.value {
            raw::Resource::AppRole(role) => Some(role.target.value.as_str()),
            _ => None,
        })
        .collect();
    for file in &loaded.files {
        for (name, target) in &file.policy.targets {
            let scope = target.value.scope.as_ref();
            let all = scope
                .and_then(|s| s.value.sync.as_ref())
                .is_some_and(|s| s.value == raw::SyncMode::All);
            let listed = scope
                .is_some_and(|s| !s.value.groups.is_empty() || !s.value.access_packages.is_empty());
            if all || listed || granted.contains(name.value.as_str()) {
                continue;
            }
            let span = scope
                .map(|s| s.value.sync.as_ref().map_or(s.span, |m| m.span))
                .unwrap_or(name.span);
            warn(
                out,
                Code::TargetHoldsNobody,
                Loc {
                    file: file.id,
                    span,
                },
                format!(
                    "target `{}` takes only assigned identities, and nothing assigns any: it holds nobody",
                    name.value
                ),
                "list groups or access packages under `scope`, grant one of its app roles from an access package, or set `scope: {sync: all}` to take every identity (the scoping filters still apply)",
            );
        }
    }
}

/// L036: a target that takes every identity (`sync: all`) and also lists groups or access
/// packages in its scope: as in Entra's "sync all users and groups", they do not narrow who
/// is provisioned, although the policy reads as if they did.
fn assignments_ignored(loaded: &Loaded, out: &mut Vec<Diagnostic>) {
    for file in &loaded.files {
        for (name, target) in &file.policy.targets {
            let Some(scope) = &target.value.scope else {
                continue;
            };
            let Some(sync) = &scope.value.sync else {
                continue;
            };
            if sync.value != raw::SyncMode::All {
                continue;
            }
            let first = scope
                .value
                .groups
                .first()
                .or_else(|| scope.value.access_packages.first());
            if let Some(first) = first {
                warn(
                    out,
                    Code::AssignmentsIgnored,
                    Loc {
                        file: file.id,
                        span: first.span,
                    },
                    format!(
                        "target `{}` takes every identity (`sync: all`): its groups and access packages do not narrow its scope",
                        name.value
                    ),
                    "remove `sync: all` to take only the identities they assign, or remove the lists",
                );
            }
        }
    }
}

/// L020: a policy set without an `identity` section. It lints, but `eval` and `explain` have
/// nothing to evaluate and refuse to run (exit 2); a set split across directories, linted one
/// directory at a time, says so here. Reported at the first line of the first file.
fn no_identity(loaded: &Loaded, out: &mut Vec<Diagnostic>) {
    if loaded.files.iter().any(|f| f.policy.identity.is_some()) {
        return;
    }
    let Some(first) = loaded.files.first() else {
        return;
    };
    let text = loaded.sources.get(first.id).map_or("", |(_, t)| t);
    let mut start = 0;
    let mut span = Span::new(0, 0);
    for line in text.split_inclusive('\n') {
        let content = line.trim_end();
        if !content.is_empty() && !content.starts_with('#') {
            span = Span::new(start, start + content.len());
            break;
        }
        start += line.len();
    }
    warn(
        out,
        Code::NoIdentity,
        Loc {
            file: first.id,
            span,
        },
        "the policy set defines no `identity`, so it cannot be evaluated".into(),
        "add an `identity` section (how source records become identities, and their attributes) to one file of the set; `eval` and `explain` refuse a set without one",
    );
}

/// L030: a bidirectional formatting character (an embedding, override, isolate or mark), a line
/// or paragraph separator, or another invisible control written raw into a policy file. Such a
/// character makes the text display differently from how it is parsed ("Trojan Source"): a
/// reviewer reads one policy and Roster runs another. One warning per line, at the first one;
/// an escape in a double-quoted string (`"\u202E"`) is visible and not flagged.
fn hidden_controls(loaded: &Loaded, out: &mut Vec<Diagnostic>) {
    for (file, _, text) in loaded.sources.iter() {
        let mut offset = 0usize;
        for line in text.split_inclusive('\n') {
            if let Some((i, c)) = line.char_indices().find(|&(_, c)| {
                !matches!(c, '\n' | '\r' | '\t') && crate::escape::is_unsafe_char(c)
            }) {
                warn(
                    out,
                    Code::HiddenControl,
                    Loc {
                        file,
                        span: Span::new(offset + i, offset + i + c.len_utf8()),
                    },
                    format!(
                        "the policy text holds U+{:04X} {}, which is invisible and changes how the line reads",
                        u32::from(c),
                        control_name(c)
                    ),
                    "remove it; where the character is meant, write it as an escape in a double-quoted string (`\"\\u202E\"`)",
                );
            }
            offset += line.len();
        }
    }
}

/// The Unicode name of a character L030 flags, in lower case.
fn control_name(c: char) -> &'static str {
    match c {
        '\u{202a}' => "left-to-right embedding",
        '\u{202b}' => "right-to-left embedding",
        '\u{202c}' => "pop directional formatting",
        '\u{202d}' => "left-to-right override",
        '\u{202e}' => "right-to-left override",
        '\u{2066}' => "left-to-right isolate",
        '\u{2067}' => "right-to-left isolate",
        '\u{2068}' => "first strong isolate",
        '\u{2069}' => "pop directional isolate",
        '\u{200e}' => "left-to-right mark",
        '\u{200f}' => "right-to-left mark",
        '\u{61c}' => "arabic letter mark",
        '\u{2028}' => "line separator",
        '\u{2029}' => "paragraph separator",
        _ => "control character",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_detection() {
        assert!(secret_in("    password: hunter2\n").is_some());
        assert!(secret_in("    client_secret: \"abc\"\n").is_some());
        assert!(secret_in("    credential_env: SCIM_TOKEN\n").is_none());
        assert!(secret_in("    token_env: X\n").is_none());
        assert!(secret_in("    url: https://scim.example.com/v2\n").is_none());
        assert!(secret_in("    url: ldaps://admin:s3cret@ldap.example.com\n").is_some());
        assert!(secret_in("    conn: Server=db;User Id=sa;Password=Passw0rd;\n").is_some());
        assert!(secret_in("    key: AKIAIOSFODNN7EXAMPLE\n").is_some());
        assert!(secret_in("# password: in a comment is documentation\n").is_none());
        assert!(secret_in("    password: ${SECRET}\n").is_none());
    }
}
