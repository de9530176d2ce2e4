//! Set-wise evaluation of membership rules over a whole population.
//!
//! A [`Population`] is columnar: one dictionary-encoded [`Column`] per property, in identity
//! order. A [`SetEvaluator`] evaluates each distinct *predicate* — a comparison on one property
//! (`user.department -eq "sales"`), a whole `-any`/`-all` quantifier, a `Direct Reports for`
//! test — once per population as a [`Bitset`] (bit `i` is identity `i`), caches it, and
//! combines the predicates of each rule with set operations.
//!
//! The result equals [`RuleProgram::eval`] for every identity, because every predicate is
//! computed *by* `RuleProgram::eval`: a predicate on one property is evaluated once per
//! distinct value some identity holds (each code of the column's dictionary that occurs), with
//! a one-slot program, and the per-code results are spread over the identities in a tight loop.
//! Case-insensitive comparisons, regexes, date parsing and null handling are therefore run once
//! per distinct value, never once per identity, and with exactly the per-object semantics. A
//! predicate reading several columns (a quantifier whose body tests another property) is
//! evaluated once per distinct combination of codes, or per identity when one of the columns
//! is mostly distinct (e-mail addresses, per-person lists), where memoising would not pay.
//!
//! Column conventions:
//! - Columns are named by property, case-insensitively (`department`, `employeeHireDate`,
//!   `extension_<appId>_<name>`). A missing column, and the part of a column beyond its end,
//!   are null.
//! - `manager` holds each identity's manager object id: `Direct Reports for "<id>"` selects
//!   the identities whose `manager` equals the id, case-insensitively.
//! - `memberOf` rules of the documented form, `user.memberOf -any (group.objectId -in [...])`
//!   (or `-eq`, or an `-or` of those), are the union of the named groups' member sets as given
//!   by the `groups` function; any other `memberOf` quantifier is evaluated per object against
//!   the `memberOf` column (each identity's direct group ids).
//!
//! Results are in three values, as [`RuleProgram::decide`]'s: a condition that cannot be
//! decided on a value (a regular expression over a character outside the basic multilingual
//! plane that it could match differently from .NET, or past its step limit) is *unknown* for
//! the identities holding that value only, and conditions combine in Kleene's logic (see
//! [`Outcome`]): one bad value never decides a rule for anyone else, and `-or` with a true
//! side still decides. Each set is two bitsets, true and not-false, so negation is a swap and
//! `-and`/`-or` stay one bitset operation per side; when nothing is unknown (the common
//! case) the second bitset is not kept. The reason given for an undetermined identity is one
//! of the conditions that could not be decided on its values (the first met in the rule),
//! which may differ from the one a per-object evaluation meets first.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use super::compile::{Node, RuleProgram, Target, Test};
use super::eval::{RuleContext, Truth, resolve_date};
use super::schema::PropType;
use crate::codes::Code;
use crate::column::{Codes, Column};
use crate::diagnostics::Diagnostic;
use crate::value::Value;

/// A set of identities: bit `i` is identity `i` of the population.
pub type Bitset = fixedbitset::FixedBitSet;

/// A columnar view of a population: one value per identity for each property.
///
/// Holds at most `u32::MAX` identities.
#[derive(Debug, Clone, Default)]
pub struct Population<'a> {
    len: usize,
    columns: HashMap<String, &'a Column>,
    /// The fingerprint, computed once per set of columns (it sorts every column name, which
    /// is too costly to repeat for each of thousands of rules).
    fingerprint: std::cell::OnceCell<Fingerprint>,
}

impl<'a> Population<'a> {
    /// A population of `len` identities with no columns (every property null).
    pub fn new(len: usize) -> Population<'a> {
        Population {
            len,
            columns: HashMap::new(),
            fingerprint: std::cell::OnceCell::new(),
        }
    }

    /// Adds (or replaces) the column of property `name` (case-insensitive). Values beyond the
    /// population's length are ignored; identities beyond the column's end are null.
    pub fn with_column(mut self, name: &str, values: &'a Column) -> Population<'a> {
        self.insert(name, values);
        self
    }

    /// Adds (or replaces) the column of property `name` (case-insensitive).
    pub fn insert(&mut self, name: &str, values: &'a Column) {
        self.columns.insert(name.to_lowercase(), values);
        self.fingerprint = std::cell::OnceCell::new();
    }

    /// The number of identities.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no identities.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The column of property `name` (case-insensitive), if there is one.
    pub fn column(&self, name: &str) -> Option<&'a Column> {
        self.columns.get(&name.to_lowercase()).copied()
    }

    /// What identifies this population's data for the evaluator's caches.
    fn fingerprint(&self) -> &Fingerprint {
        self.fingerprint.get_or_init(|| self.compute_fingerprint())
    }

    fn compute_fingerprint(&self) -> Fingerprint {
        let mut columns: Vec<(String, (usize, usize), usize)> = self
            .columns
            .iter()
            .map(|(k, v)| (k.clone(), v.fingerprint(), v.len()))
            .collect();
        columns.sort();
        Fingerprint {
            len: self.len,
            columns,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    len: usize,
    columns: Vec<(String, (usize, usize), usize)>,
}

/// A column whose dictionary has more than this share of its length in distinct values is
/// treated as distinct per identity when predicates combine columns: memoising combinations
/// would cost more than it saves.
const DISTINCT_SHARE: usize = 2;

/// Evaluates rules set-wise over a population, computing each distinct predicate once.
///
/// The caches belong to one population: when [`SetEvaluator::decide`] is given a population
/// whose columns are different slices (or a different length), they are cleared. When the
/// values inside the same slices change, call [`SetEvaluator::clear`].
#[derive(Debug)]
pub struct SetEvaluator {
    fingerprint: Option<Fingerprint>,
    cache: HashMap<String, Rc<Pred>>,
    cached_bytes: usize,
    budget: usize,
    computed: u64,
    /// The predicates with undecided identities met by the current evaluation, in the order
    /// met: where the reasons of undetermined identities are looked up.
    failed: Vec<Rc<Pred>>,
}

impl Default for SetEvaluator {
    fn default() -> Self {
        SetEvaluator::new()
    }
}

/// The member set of a group, for `memberOf` rules: its members, and the identities whose
/// membership could not be decided (see [`Outcome`]).
#[derive(Debug, Clone, Copy)]
pub struct Members<'g> {
    /// The members.
    pub members: &'g Bitset,
    /// The identities whose membership is undetermined, if any.
    pub undetermined: Option<&'g Bitset>,
}

/// A rule's result over a population, in three values: the identities for which it holds,
/// those for which it cannot be decided, and why (every other identity: it does not hold).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// The identities for which the rule holds.
    pub members: Bitset,
    /// The identities for which it cannot be decided: a condition could not be evaluated on
    /// their values and the rest of the rule does not decide without it.
    pub undetermined: Bitset,
    /// The distinct reasons.
    pub reasons: Vec<Diagnostic>,
    /// Each undetermined identity with the index of its reason in `reasons`, by identity: one
    /// of the undecidable conditions met on that identity's values.
    pub why: Vec<(usize, usize)>,
}

impl Outcome {
    /// Why identity `i` is undetermined.
    pub fn reason(&self, i: usize) -> Option<&Diagnostic> {
        let at = self.why.binary_search_by_key(&i, |(r, _)| *r).ok()?;
        let (_, reason) = self.why.get(at)?;
        self.reasons.get(*reason)
    }
}

/// A set in three values: `t` holds the identities for which a condition is true, `nf` those
/// for which it is not false (true or undecided); `nf` is `None` when nothing is undecided
/// (it equals `t`). Negation swaps and complements the two; `-and` intersects both, `-or`
/// unites both: Kleene's logic, one bitset operation per side.
#[derive(Debug, Clone)]
struct Tri {
    t: Bitset,
    nf: Option<Bitset>,
}

impl Tri {
    fn decided(t: Bitset) -> Tri {
        Tri { t, nf: None }
    }

    fn nf(&self) -> &Bitset {
        self.nf.as_ref().unwrap_or(&self.t)
    }

    fn not(self) -> Tri {
        match self.nf {
            None => Tri::decided(complement(self.t)),
            Some(nf) => Tri {
                t: complement(nf),
                nf: Some(complement(self.t)),
            },
        }
    }

    /// `self -and other`, or `self -and -not other` when `negated`.
    fn and(&mut self, other: &Tri, negated: bool) {
        if self.nf.is_none() && other.nf.is_none() {
            if negated {
                self.t.difference_with(&other.t);
            } else {
                self.t.intersect_with(&other.t);
            }
            return;
        }
        let mut nf = self.nf.take().unwrap_or_else(|| self.t.clone());
        if negated {
            // -not other is (~nf, ~t).
            self.t.difference_with(other.nf());
            nf.difference_with(&other.t);
        } else {
            self.t.intersect_with(&other.t);
            nf.intersect_with(other.nf());
        }
        self.nf = Some(nf);
    }

    /// `self -or other`, or `self -or -not other` when `negated`.
    fn or(&mut self, other: &Tri, negated: bool) {
        if negated {
            let not = other.clone().not();
            self.or(&not, false);
            return;
        }
        if self.nf.is_none() && other.nf.is_none() {
            self.t.union_with(&other.t);
            return;
        }
        let mut nf = self.nf.take().unwrap_or_else(|| self.t.clone());
        nf.union_with(other.nf());
        self.t.union_with(&other.t);
        self.nf = Some(nf);
    }

    /// Forgets `nf` when nothing is undecided.
    fn normalise(&mut self) {
        if self.nf.as_ref() == Some(&self.t) {
            self.nf = None;
        }
    }

    fn bytes(&self) -> usize {
        self.t.len().div_ceil(8) * if self.nf.is_some() { 2 } else { 1 }
    }
}

/// A predicate's result and, for its undecided identities, why.
#[derive(Debug)]
struct Pred {
    set: Tri,
    /// The distinct reasons.
    reasons: Vec<Diagnostic>,
    /// Each undecided identity and its reason, by identity.
    why: Vec<(usize, u32)>,
}

impl Pred {
    fn decided(t: Bitset) -> Pred {
        Pred {
            set: Tri::decided(t),
            reasons: Vec::new(),
            why: Vec::new(),
        }
    }

    fn reason(&self, i: usize) -> Option<(u32, &Diagnostic)> {
        let at = self.why.binary_search_by_key(&i, |(r, _)| *r).ok()?;
        let (_, k) = self.why.get(at)?;
        Some((*k, self.reasons.get(*k as usize)?))
    }
}

/// Builds a predicate's result identity by identity (or a range at a time).
struct PredBuilder {
    t: Bitset,
    nf: Bitset,
    reasons: Vec<Diagnostic>,
    why: Vec<(usize, u32)>,
}

impl PredBuilder {
    fn new(len: usize) -> PredBuilder {
        PredBuilder {
            t: Bitset::with_capacity(len),
            nf: Bitset::with_capacity(len),
            reasons: Vec::new(),
            why: Vec::new(),
        }
    }

    /// Adds a reason; its index.
    fn reason(&mut self, d: Diagnostic) -> u32 {
        self.reasons.push(d);
        u32::try_from(self.reasons.len() - 1).unwrap_or(u32::MAX)
    }

    /// Identity `i` has the result `truth` (`Err(k)`: undecided, for reason `k`).
    fn set(&mut self, i: usize, truth: Result<bool, u32>) {
        match truth {
            Ok(true) => {
                self.t.insert(i);
                self.nf.insert(i);
            }
            Ok(false) => {}
            Err(k) => {
                self.nf.insert(i);
                self.why.push((i, k));
            }
        }
    }

    fn finish(self) -> Pred {
        let mut set = Tri {
            t: self.t,
            nf: Some(self.nf),
        };
        set.normalise();
        Pred {
            set,
            reasons: self.reasons,
            why: self.why,
        }
    }
}

/// A set while rules combine: a predicate's, shared with the cache, or one computed here.
enum Set {
    Shared(Rc<Pred>),
    Owned(Tri),
}

impl Set {
    fn get(&self) -> &Tri {
        match self {
            Set::Shared(rc) => &rc.set,
            Set::Owned(b) => b,
        }
    }

    fn into_owned(self) -> Tri {
        match self {
            Set::Shared(rc) => match Rc::try_unwrap(rc) {
                Ok(p) => p.set,
                Err(rc) => rc.set.clone(),
            },
            Set::Owned(b) => b,
        }
    }
}

/// What a rule evaluation needs besides the evaluator.
struct Env<'p, 'a, 'g> {
    rule: &'p RuleProgram,
    pop: &'p Population<'a>,
    ctx: &'p RuleContext,
    groups: &'p dyn Fn(&str) -> Option<Members<'g>>,
}

impl SetEvaluator {
    /// An evaluator with empty caches and a predicate cache budget of 2 GiB.
    pub fn new() -> SetEvaluator {
        SetEvaluator {
            fingerprint: None,
            cache: HashMap::new(),
            cached_bytes: 0,
            budget: 2 << 30,
            computed: 0,
            failed: Vec::new(),
        }
    }

    /// Sets how many bytes of predicate bitsets may be cached (each takes one bit per
    /// identity). Predicates computed beyond the budget are not cached, and are computed
    /// again when another rule uses them.
    pub fn set_cache_budget(&mut self, bytes: usize) {
        self.budget = bytes;
    }

    /// Drops every cached predicate result.
    pub fn clear(&mut self) {
        self.fingerprint = None;
        self.cache.clear();
        self.cached_bytes = 0;
    }

    /// How many predicates have been computed (cache misses), since the evaluator was made.
    pub fn predicates_computed(&self) -> u64 {
        self.computed
    }

    /// How many distinct predicate results are cached.
    pub fn cached_predicates(&self) -> usize {
        self.cache.len()
    }

    /// Evaluates `rule` over the population in two values: the set of identities for which
    /// [`RuleProgram::eval`] is true, or the reason of the first identity for which the rule
    /// cannot be decided. `groups` gives the member set of an already evaluated group by its
    /// object id (passed lower-cased; a group it does not know is empty), for `memberOf` rules.
    pub fn eval<'g>(
        &mut self,
        rule: &RuleProgram,
        pop: &Population<'_>,
        ctx: &RuleContext,
        groups: &dyn Fn(&str) -> Option<&'g Bitset>,
    ) -> Result<Bitset, Diagnostic> {
        let outcome = self.decide(rule, pop, ctx, &|id: &str| {
            groups(id).map(|members| Members {
                members,
                undetermined: None,
            })
        });
        match outcome.why.first() {
            Some((i, _)) => Err(outcome.reason(*i).cloned().unwrap_or_else(|| {
                Diagnostic::new(
                    Code::UndeterminedMembership,
                    crate::diagnostics::Span::default(),
                    "the rule cannot be decided",
                )
            })),
            None => Ok(outcome.members),
        }
    }

    /// Evaluates `rule` over the population in three values ([`Outcome`]): for each identity,
    /// what [`RuleProgram::decide`] gives. `groups` gives the members of an already evaluated
    /// group by its object id (passed lower-cased; a group it does not know is empty).
    pub fn decide<'g>(
        &mut self,
        rule: &RuleProgram,
        pop: &Population<'_>,
        ctx: &RuleContext,
        groups: &dyn Fn(&str) -> Option<Members<'g>>,
    ) -> Outcome {
        let fingerprint = pop.fingerprint();
        if self.fingerprint.as_ref() != Some(fingerprint) {
            self.clear();
            self.fingerprint = Some(fingerprint.clone());
        }
        self.failed.clear();
        let env = Env {
            rule,
            pop,
            ctx,
            groups,
        };
        let mut set = self.node(&rule.root, &env).into_owned();
        set.normalise();
        let failed = std::mem::take(&mut self.failed);
        let Some(mut undetermined) = set.nf else {
            return Outcome {
                undetermined: Bitset::with_capacity(set.t.len()),
                members: set.t,
                ..Outcome::default()
            };
        };
        undetermined.difference_with(&set.t);
        // Each undetermined identity's reason: from the first predicate met that could not
        // decide it.
        let mut reasons = Vec::new();
        let mut index: HashMap<(usize, u32), usize> = HashMap::new();
        let mut why = Vec::new();
        for i in undetermined.ones() {
            let found = failed
                .iter()
                .enumerate()
                .find_map(|(p, pred)| Some((p, pred.reason(i)?)));
            let k = match found {
                Some((p, (k, d))) => *index.entry((p, k)).or_insert_with(|| {
                    reasons.push(d.clone());
                    reasons.len() - 1
                }),
                None => *index.entry((usize::MAX, 0)).or_insert_with(|| {
                    reasons.push(Diagnostic::new(
                        Code::UndeterminedMembership,
                        crate::diagnostics::Span::default(),
                        "the rule cannot be decided",
                    ));
                    reasons.len() - 1
                }),
            };
            why.push((i, k));
        }
        Outcome {
            members: set.t,
            undetermined,
            reasons,
            why,
        }
    }

    /// Evaluates a node to a set.
    fn node(&mut self, node: &Node, env: &Env<'_, '_, '_>) -> Set {
        let (set, negated) = self.signed(node, env);
        if negated {
            Set::Owned(set.into_owned().not())
        } else {
            set
        }
    }

    /// Evaluates a node to a set and whether that set is to be negated, so that `-and` can
    /// subtract negated conditions instead of complementing them.
    fn signed(&mut self, node: &Node, env: &Env<'_, '_, '_>) -> (Set, bool) {
        let len = env.pop.len();
        match node {
            Node::And(children) => {
                let mut acc = Tri::decided(full(len));
                for child in children {
                    // Once every identity is false, nothing can make it true or undecided.
                    if acc.nf().is_clear() {
                        break;
                    }
                    let (set, negated) = self.signed(child, env);
                    acc.and(set.get(), negated);
                }
                (Set::Owned(acc), false)
            }
            Node::Or(children) => {
                let mut acc = Tri::decided(Bitset::with_capacity(len));
                for child in children {
                    if acc.t.is_full() {
                        break;
                    }
                    let (set, negated) = self.signed(child, env);
                    acc.or(set.get(), negated);
                }
                (Set::Owned(acc), false)
            }
            Node::Not(inner) => {
                let (set, negated) = self.signed(inner, env);
                (set, !negated)
            }
            Node::Test {
                target,
                test,
                negate,
                span,
            } => {
                let positive = Node::Test {
                    target: target.clone(),
                    test: test.clone(),
                    negate: false,
                    span: *span,
                };
                (self.predicate(&positive, env), *negate)
            }
            Node::Quantified { slot, all, body } => {
                let member_of = env
                    .rule
                    .properties
                    .get(*slot)
                    .is_some_and(|p| p.ty == PropType::MemberOf);
                if member_of
                    && !*all
                    && let Some(ids) = group_ids(body)
                {
                    let pred = Rc::new(union_of_groups(&ids, len, env.groups));
                    if !pred.why.is_empty() {
                        self.failed.push(Rc::clone(&pred));
                    }
                    return (Set::Shared(pred), false);
                }
                (self.predicate(node, env), false)
            }
            Node::DirectReports { .. } => (self.predicate(node, env), false),
        }
    }

    /// A predicate's set, from the cache or computed (and cached within the budget).
    fn predicate(&mut self, node: &Node, env: &Env<'_, '_, '_>) -> Set {
        let mut key = String::new();
        node_key(node, env, &mut key);
        let pred = match self.cache.get(&key) {
            Some(hit) => Rc::clone(hit),
            None => {
                let pred = Rc::new(self.compute(node, env));
                self.computed += 1;
                let bytes = pred.set.bytes() + key.len();
                if self.cached_bytes.saturating_add(bytes) <= self.budget {
                    self.cached_bytes += bytes;
                    self.cache.insert(key, Rc::clone(&pred));
                }
                pred
            }
        };
        if !pred.why.is_empty() && !self.failed.iter().any(|p| Rc::ptr_eq(p, &pred)) {
            self.failed.push(Rc::clone(&pred));
        }
        Set::Shared(pred)
    }

    /// Computes a predicate by evaluating it once per distinct value (or combination of
    /// values) of the columns it reads.
    fn compute(&mut self, node: &Node, env: &Env<'_, '_, '_>) -> Pred {
        let len = env.pop.len();
        let mut slots = BTreeSet::new();
        node_slots(node, &mut slots);
        let slots: Vec<usize> = slots.into_iter().collect();
        let mut properties = Vec::with_capacity(slots.len());
        let mut columns: Vec<Option<&Column>> = Vec::with_capacity(slots.len());
        for slot in &slots {
            let Some(p) = env.rule.properties.get(*slot) else {
                continue;
            };
            columns.push(env.pop.column(&p.name));
            properties.push(p.clone());
        }
        let remapped = remap(node, &|s| slots.iter().position(|&x| x == s).unwrap_or(s));
        let program = RuleProgram {
            object: env.rule.object,
            properties,
            root: remapped,
        };
        // The code of identity `i` in a column (0 beyond the column: NULL, or whatever the
        // dictionary says code 0 is), and the value of a code.
        let code = |column: Option<&Column>, i: usize| -> u32 {
            column.filter(|c| i < c.len()).map_or(0, |c| c.code(i))
        };
        let value = |column: Option<&Column>, i: usize| -> Value {
            column
                .filter(|c| i < c.len())
                .map_or(Value::Null, |c| c.get(i).clone())
        };
        // One evaluation, as a result for `PredBuilder::set` (reasons added to `out`).
        let decide = |out: &mut PredBuilder, values: &[Value]| -> Result<bool, u32> {
            match program.decide(values, env.ctx) {
                Truth::True => Ok(true),
                Truth::False => Ok(false),
                Truth::Unknown(d) => Err(out.reason(d)),
            }
        };
        // The same result for identities `range`.
        let fill =
            |out: &mut PredBuilder, range: std::ops::Range<usize>, r: Result<bool, u32>| match r {
                Ok(true) => {
                    out.t.insert_range(range.clone());
                    out.nf.insert_range(range);
                }
                Ok(false) => {}
                Err(k) => {
                    out.nf.insert_range(range.clone());
                    out.why.extend(range.map(|i| (i, k)));
                }
            };
        let mut out = PredBuilder::new(len);
        match columns.as_slice() {
            [] => {
                // Reads no property: the same for everyone.
                let r = decide(&mut out, &[]);
                fill(&mut out, 0..len, r);
                out.finish()
            }
            [column] => {
                // Once per distinct value that some identity holds (a dictionary may hold
                // values no identity of this population has; they are not evaluated).
                let Some(column) = column.filter(|c| !c.is_empty()) else {
                    let r = decide(&mut out, &[Value::Null]);
                    fill(&mut out, 0..len, r);
                    return out.finish();
                };
                let dictionary = column.dictionary();
                let mut seen = vec![false; dictionary.len()];
                for i in 0..column.len().min(len) {
                    if let Some(s) = seen.get_mut(column.code(i) as usize) {
                        *s = true;
                    }
                }
                let mut table: Vec<Result<bool, u32>> = vec![Ok(false); dictionary.len()];
                for ((hit, seen), v) in table.iter_mut().zip(&seen).zip(dictionary) {
                    if *seen {
                        *hit = decide(&mut out, std::slice::from_ref(v));
                    }
                }
                let hits: Vec<bool> = table.iter().map(|r| *r == Ok(true)).collect();
                let end = column.len().min(len);
                let t = spread(column.codes(), &hits, len);
                if out.reasons.is_empty() {
                    // Nothing undecided (the common case): one bitset.
                    out.t = t;
                    out.nf.clone_from(&out.t);
                } else {
                    let not_false: Vec<bool> = table.iter().map(|r| *r != Ok(false)).collect();
                    out.nf = spread(column.codes(), &not_false, len);
                    out.t = t;
                    for i in 0..end {
                        if let Some(Err(k)) = table.get(column.code(i) as usize) {
                            out.why.push((i, *k));
                        }
                    }
                }
                if end < len {
                    // Identities beyond the column are null.
                    let r = decide(&mut out, &[Value::Null]);
                    fill(&mut out, end..len, r);
                }
                out.finish()
            }
            _ => {
                let mut values: Vec<Value> = Vec::with_capacity(columns.len());
                let distinct = columns
                    .iter()
                    .flatten()
                    .any(|c| c.dictionary().len().saturating_mul(DISTINCT_SHARE) > len.max(1024));
                if distinct {
                    // Some column is mostly distinct: no combination repeats enough to memoise.
                    for i in 0..len {
                        values.clear();
                        values.extend(columns.iter().map(|c| value(*c, i)));
                        let r = decide(&mut out, &values);
                        out.set(i, r);
                    }
                    return out.finish();
                }
                let mut memo: HashMap<Vec<u32>, Result<bool, u32>, Fx> = HashMap::default();
                let mut key: Vec<u32> = Vec::with_capacity(columns.len());
                for i in 0..len {
                    key.clear();
                    key.extend(columns.iter().map(|c| code(*c, i)));
                    let r = match memo.get(key.as_slice()) {
                        Some(&r) => r,
                        None => {
                            values.clear();
                            values.extend(columns.iter().map(|c| value(*c, i)));
                            let r = decide(&mut out, &values);
                            memo.insert(key.clone(), r);
                            r
                        }
                    };
                    out.set(i, r);
                }
                out.finish()
            }
        }
    }
}

/// Spreads per-code results over the identities (identities beyond the codes are left out).
fn spread(codes: &Codes, table: &[bool], len: usize) -> Bitset {
    fn blocks<T: Copy + Into<u32>>(codes: &[T], table: &[bool], len: usize) -> Bitset {
        const BITS: usize = usize::BITS as usize;
        let codes = codes.get(..len).unwrap_or(codes);
        let blocks = codes.chunks(BITS).map(|chunk| {
            chunk.iter().enumerate().fold(0usize, |acc, (j, &c)| {
                let c: u32 = c.into();
                acc | (usize::from(table.get(c as usize).copied().unwrap_or(false)) << j)
            })
        });
        Bitset::with_capacity_and_blocks(len, blocks)
    }
    match codes {
        Codes::U8(c) => blocks(c, table, len),
        Codes::U16(c) => blocks(c, table, len),
        Codes::U32(c) => blocks(c, table, len),
    }
}

/// Every identity.
fn full(len: usize) -> Bitset {
    let mut b = Bitset::with_capacity(len);
    b.insert_range(..);
    b
}

/// The identities not in `b`.
fn complement(mut b: Bitset) -> Bitset {
    b.toggle_range(..);
    b
}

/// The group ids of a `memberOf` body the group sets can answer: `group.objectId -in [...]`,
/// `-eq`, or an `-or` of those.
fn group_ids(body: &Node) -> Option<Vec<&str>> {
    match body {
        Node::Test {
            target: Target::Item,
            test,
            negate: false,
            ..
        } => match test {
            Test::Eq(id) => Some(vec![id.as_str()]),
            Test::In(ids) => Some(ids.iter().map(String::as_str).collect()),
            _ => None,
        },
        Node::Or(children) => {
            let mut out = Vec::new();
            for c in children {
                out.extend(group_ids(c)?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// The union of the named groups' members, limited to the population, in three values: an
/// identity whose membership of a named group is undetermined is undecided, unless it is a
/// member of another named group.
fn union_of_groups<'g>(
    ids: &[&str],
    len: usize,
    groups: &dyn Fn(&str) -> Option<Members<'g>>,
) -> Pred {
    let within = |set: &Bitset, out: &mut Bitset| {
        if set.len() <= len {
            out.union_with(set);
        } else {
            for i in set.ones().take_while(|&i| i < len) {
                out.insert(i);
            }
        }
    };
    let mut t = Bitset::with_capacity(len);
    let mut maybe: Vec<(&str, Bitset)> = Vec::new();
    for id in ids {
        if let Some(m) = groups(id) {
            within(m.members, &mut t);
            if let Some(u) = m.undetermined.filter(|u| !u.is_clear()) {
                let mut b = Bitset::with_capacity(len);
                within(u, &mut b);
                maybe.push((id, b));
            }
        }
    }
    if maybe.is_empty() {
        return Pred::decided(t);
    }
    let mut out = PredBuilder::new(len);
    out.nf.clone_from(&t);
    for (id, undecided) in maybe {
        let k = out.reason(Diagnostic::new(
            Code::UndeterminedMembership,
            crate::diagnostics::Span::default(),
            format!("the membership of group `{id}` is undetermined"),
        ));
        for i in undecided.ones() {
            if !t.contains(i) && !out.nf.contains(i) {
                out.nf.insert(i);
                out.why.push((i, k));
            }
        }
    }
    out.why.sort_unstable();
    out.t = t;
    out.finish()
}

/// The slots a node reads.
fn node_slots(node: &Node, out: &mut BTreeSet<usize>) {
    match node {
        Node::And(children) | Node::Or(children) => {
            for c in children {
                node_slots(c, out);
            }
        }
        Node::Not(inner) => node_slots(inner, out),
        Node::Test { target, .. } => {
            if let Target::Slot(s) = target {
                out.insert(*s);
            }
        }
        Node::Quantified { slot, body, .. } => {
            out.insert(*slot);
            node_slots(body, out);
        }
        Node::DirectReports { slot, .. } => {
            out.insert(*slot);
        }
    }
}

/// A copy of a node with its slots renumbered.
fn remap(node: &Node, map: &dyn Fn(usize) -> usize) -> Node {
    match node {
        Node::And(children) => Node::And(children.iter().map(|c| remap(c, map)).collect()),
        Node::Or(children) => Node::Or(children.iter().map(|c| remap(c, map)).collect()),
        Node::Not(inner) => Node::Not(Box::new(remap(inner, map))),
        Node::Test {
            target,
            test,
            negate,
            span,
        } => Node::Test {
            target: match target {
                Target::Slot(s) => Target::Slot(map(*s)),
                other => other.clone(),
            },
            test: test.clone(),
            negate: *negate,
            span: *span,
        },
        Node::Quantified { slot, all, body } => Node::Quantified {
            slot: map(*slot),
            all: *all,
            body: Box::new(remap(body, map)),
        },
        Node::DirectReports { slot, id } => Node::DirectReports {
            slot: map(*slot),
            id: id.clone(),
        },
    }
}

/// Writes the cache key of a node: its structure with properties by (lower-cased) name and
/// `system.now` resolved, so that equal keys mean equal results on one population.
fn node_key(node: &Node, env: &Env<'_, '_, '_>, out: &mut String) {
    let prop = |slot: usize| {
        env.rule
            .properties
            .get(slot)
            .map(|p| p.name.to_lowercase())
            .unwrap_or_default()
    };
    match node {
        Node::And(children) | Node::Or(children) => {
            out.push_str(if matches!(node, Node::And(_)) {
                "and("
            } else {
                "or("
            });
            for c in children {
                node_key(c, env, out);
                out.push(',');
            }
            out.push(')');
        }
        Node::Not(inner) => {
            out.push_str("not(");
            node_key(inner, env, out);
            out.push(')');
        }
        Node::Test {
            target,
            test,
            negate,
            ..
        } => {
            out.push_str(if *negate { "!t(" } else { "t(" });
            let _ = match target {
                Target::Slot(s) => write!(out, "s{:?}", prop(*s)),
                Target::Item => write!(out, "i"),
                Target::ItemField(f) => write!(out, "f{:?}", f.to_lowercase()),
            };
            out.push(';');
            let _ = match test {
                Test::IsNull => write!(out, "null"),
                Test::Eq(s) => write!(out, "eq{s:?}"),
                Test::StartsWith(s) => write!(out, "sw{s:?}"),
                Test::EndsWith(s) => write!(out, "ew{s:?}"),
                Test::Contains(s) => write!(out, "c{s:?}"),
                Test::Match(re) => write!(out, "m{re:?}"),
                Test::In(list) => write!(out, "in{list:?}"),
                Test::Bool(b) => write!(out, "b{b}"),
                Test::Date(op, operand) => {
                    write!(out, "d{op:?}{:?}", resolve_date(*operand, env.ctx))
                }
                Test::Number(op, n) => write!(out, "n{op:?}{}", n.to_bits()),
            };
            out.push(')');
        }
        Node::Quantified { slot, all, body } => {
            let _ = write!(
                out,
                "q{}{:?}(",
                if *all { "all" } else { "any" },
                prop(*slot)
            );
            node_key(body, env, out);
            out.push(')');
        }
        Node::DirectReports { slot, id } => {
            let _ = write!(out, "dr{:?}{id:?}", prop(*slot));
        }
    }
}

/// A fast non-cryptographic hasher (the Fx hash) for the memo tables.
type Fx = BuildHasherDefault<FxHasher>;

#[derive(Default)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            for (w, b) in word.iter_mut().zip(rest) {
                *w = *b;
            }
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::eval::Truth;
    use crate::rule::{Schema, compile_str};
    use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    fn ctx() -> RuleContext {
        RuleContext {
            now: date(2025, 1, 1),
        }
    }

    fn program(text: &str) -> RuleProgram {
        let (p, d) = compile_str(text, &Schema::entra());
        p.unwrap_or_else(|| panic!("{text}: {d:?}"))
    }

    fn no_groups(_: &str) -> Option<&'static Bitset> {
        None
    }

    fn no_members(_: &str) -> Option<Members<'static>> {
        None
    }

    fn s(v: &str) -> Value {
        Value::Str(v.to_string())
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|i| s(i)).collect())
    }

    fn ones(b: &Bitset) -> Vec<usize> {
        b.ones().collect()
    }

    /// The values one object holds for the properties a rule reads, by slot.
    fn row(prog: &RuleProgram, pop: &Population<'_>, i: usize) -> Vec<Value> {
        prog.properties
            .iter()
            .map(|p| {
                pop.column(&p.name)
                    .map_or(Value::Null, |c| c.get(i).clone())
            })
            .collect()
    }

    /// Per-object results with `RuleProgram::eval`.
    fn per_object(
        prog: &RuleProgram,
        pop: &Population<'_>,
        ctx: &RuleContext,
    ) -> Vec<Result<bool, Diagnostic>> {
        (0..pop.len())
            .map(|i| prog.eval(&row(prog, pop, i), ctx))
            .collect()
    }

    /// Per-object results in three values with `RuleProgram::decide`.
    fn per_object_truth(prog: &RuleProgram, pop: &Population<'_>, ctx: &RuleContext) -> Vec<Truth> {
        (0..pop.len())
            .map(|i| prog.decide(&row(prog, pop, i), ctx))
            .collect()
    }

    #[test]
    fn department_and_negation() {
        let dept = vec![s("Sales"), s("sales"), s(""), Value::Null, s("Marketing")];
        let dept = Column::from_values(dept);
        let pop = Population::new(6).with_column("Department", &dept);
        let mut ev = SetEvaluator::new();
        let eq = ev
            .eval(
                &program(r#"user.department -eq "SALES""#),
                &pop,
                &ctx(),
                &no_groups,
            )
            .unwrap();
        assert_eq!(ones(&eq), [0, 1]);
        let ne = ev
            .eval(
                &program(r#"user.department -ne "Sales""#),
                &pop,
                &ctx(),
                &no_groups,
            )
            .unwrap();
        // The sixth identity is beyond the column: null, so `-ne` holds.
        assert_eq!(ones(&ne), [2, 3, 4, 5]);
        let null = ev
            .eval(
                &program(r#"user.department -eq """#),
                &pop,
                &ctx(),
                &no_groups,
            )
            .unwrap();
        assert_eq!(ones(&null), [2, 3, 5]);
        // `-eq "SALES"` and `-ne "Sales"` are one predicate.
        assert_eq!(ev.predicates_computed(), 2);
    }

    #[test]
    fn same_predicate_is_computed_once() {
        let dept = vec![s("Sales"), s("HR"), s("sales")];
        let dept = Column::from_values(dept);
        let city = vec![s("Lagos"), s("Oslo"), s("Oslo")];
        let city = Column::from_values(city);
        let pop = Population::new(3)
            .with_column("department", &dept)
            .with_column("city", &city);
        let mut ev = SetEvaluator::new();
        let rules = [
            r#"user.department -eq "Sales""#,
            r#"user.department -eq "sales" -and user.city -eq "oslo""#,
            r#"user.department -ne "SALES" -or -not (user.city -eq "Oslo")"#,
            r#"user.city -match "^os""#,
            r#"user.city -match "^OS""#,
        ];
        let results: Vec<Vec<usize>> = rules
            .iter()
            .map(|r| ones(&ev.eval(&program(r), &pop, &ctx(), &no_groups).unwrap()))
            .collect();
        assert_eq!(
            results,
            [vec![0, 2], vec![2], vec![0, 1], vec![1, 2], vec![1, 2]]
        );
        // department = sales, city = oslo, and the two patterns: constants are lower-cased,
        // patterns are kept as written.
        assert_eq!(ev.predicates_computed(), 4);
        assert_eq!(ev.cached_predicates(), 4);
        // A different population clears the caches.
        let pop2 = Population::new(3).with_column("department", &city);
        let r = ev
            .eval(&program(rules[0]), &pop2, &ctx(), &no_groups)
            .unwrap();
        assert!(r.is_clear());
        assert_eq!(ev.predicates_computed(), 5);
        // With no budget nothing is cached, and the results are the same.
        let mut ev = SetEvaluator::new();
        ev.set_cache_budget(0);
        for (r, want) in rules.iter().zip(&results) {
            assert_eq!(
                &ones(&ev.eval(&program(r), &pop, &ctx(), &no_groups).unwrap()),
                want
            );
        }
        assert_eq!(ev.cached_predicates(), 0);
        assert_eq!(ev.predicates_computed(), 7);
    }

    #[test]
    fn quantifiers_are_one_predicate() {
        let mails = vec![
            list(&["a@contoso.com", "B@fabrikam.com"]),
            list(&[]),
            Value::Null,
            list(&["x@CONTOSO.com"]),
            s("solo@contoso.com"),
        ];
        let mails = Column::from_values(mails);
        let pop = Population::new(5).with_column("otherMails", &mails);
        let mut ev = SetEvaluator::new();
        let mut run =
            |text: &str| ones(&ev.eval(&program(text), &pop, &ctx(), &no_groups).unwrap());
        assert_eq!(
            run(r#"user.otherMails -any (_ -endsWith "@contoso.com")"#),
            [0, 3, 4]
        );
        // -all over an empty or absent collection is true.
        assert_eq!(
            run(r#"user.otherMails -all (_ -endsWith "@contoso.com")"#),
            [1, 2, 3, 4]
        );
        assert_eq!(run(r#"user.otherMails -eq null"#), [1, 2]);
        // A string operator on a collection: any item.
        assert_eq!(
            run(r#"user.otherMails -notContains "fabrikam""#),
            [1, 2, 3, 4]
        );
        assert_eq!(
            run(
                r#"user.otherMails -any (_ -endsWith "@CONTOSO.COM") -or user.otherMails -eq null"#
            ),
            [0, 1, 2, 3, 4]
        );
        // The last rule reuses the first and third predicates.
        assert_eq!(ev.predicates_computed(), 4);
    }

    #[test]
    fn all_over_no_plans() {
        let plans = vec![
            Value::List(vec![Value::Object(vec![(
                "servicePlanId".into(),
                s("efb87545"),
            )])]),
            Value::List(vec![]),
            Value::List(vec![Value::Object(vec![("service".into(), s("exchange"))])]),
        ];
        let plans = Column::from_values(plans);
        let pop = Population::new(4).with_column("assignedPlans", &plans);
        let prog = program(r#"user.assignedPlans -all (assignedPlan.servicePlanId -eq null)"#);
        let got = SetEvaluator::new()
            .eval(&prog, &pop, &ctx(), &no_groups)
            .unwrap();
        assert_eq!(ones(&got), [1, 2, 3]);
    }

    #[test]
    fn member_of_is_the_union_of_groups() {
        let pop = Population::new(5);
        let mut a = Bitset::with_capacity(5);
        a.insert(0);
        a.insert(3);
        let mut b = Bitset::with_capacity(5);
        b.insert(1);
        let mut big = Bitset::with_capacity(9);
        big.insert(4);
        big.insert(8);
        let groups = |name: &str| match name {
            "aa" => Some(&a),
            "bb" => Some(&b),
            "big" => Some(&big),
            _ => None,
        };
        let mut ev = SetEvaluator::new();
        let got = ev
            .eval(
                &program("user.memberOf -any (group.objectId -in ['AA', 'bb', 'missing'])"),
                &pop,
                &ctx(),
                &groups,
            )
            .unwrap();
        assert_eq!(ones(&got), [0, 1, 3]);
        let got = ev
            .eval(
                &program("user.memberOf -any (group.objectId -eq 'big')"),
                &pop,
                &ctx(),
                &groups,
            )
            .unwrap();
        assert_eq!(ones(&got), [4]);
        assert_eq!(got.len(), 5);
        // Forms the groups cannot answer read the `memberOf` column.
        let member_of = vec![list(&["AA"]), list(&["bb", "cc"]), list(&[])];
        let member_of = Column::from_values(member_of);
        let pop = Population::new(3).with_column("memberOf", &member_of);
        let got = ev
            .eval(
                &program("user.memberOf -all (group.objectId -in ['aa', 'bb'])"),
                &pop,
                &ctx(),
                &groups,
            )
            .unwrap();
        assert_eq!(ones(&got), [0, 2]);
    }

    #[test]
    fn direct_reports_read_manager() {
        let manager = vec![s("M1"), s("m1"), s("m2"), Value::Null, s("")];
        let manager = Column::from_values(manager);
        let pop = Population::new(5).with_column("manager", &manager);
        let got = SetEvaluator::new()
            .eval(
                &program(r#"Direct Reports for "m1""#),
                &pop,
                &ctx(),
                &no_groups,
            )
            .unwrap();
        assert_eq!(ones(&got), [0, 1]);
    }

    #[test]
    fn regex_step_limit_is_an_error() {
        let city = vec![s("Lagos"), s("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaac")];
        let city = Column::from_values(city);
        let pop = Population::new(2).with_column("city", &city);
        let prog = program(r#"user.city -match "(?:a(?=a)|a)+(?=b)""#);
        let want = per_object(&prog, &pop, &ctx());
        let want = want[1].as_ref().unwrap_err();
        let mut ev = SetEvaluator::new();
        // In two values: the reason of the identity that cannot be decided.
        let got = ev.eval(&prog, &pop, &ctx(), &no_groups).unwrap_err();
        assert_eq!(&got, want);
        assert_eq!(got.code, crate::codes::Code::RegexLimit);
        // In three values: only that identity is undetermined, and the predicate is cached
        // with its reason.
        let out = ev.decide(&prog, &pop, &ctx(), &no_members);
        assert_eq!(ones(&out.members), Vec::<usize>::new());
        assert_eq!(ones(&out.undetermined), [1]);
        assert_eq!(out.reason(1), Some(want));
        assert_eq!(out.reason(0), None);
        assert_eq!(ev.cached_predicates(), 1);
        assert_eq!(ev.predicates_computed(), 1);
    }

    /// One failing value decides nothing for anyone else: the identities that hold it are
    /// undetermined, `-or` with a true side and `-and` with a false side still decide, and
    /// `-not` keeps undetermined undetermined.
    #[test]
    fn a_failing_value_is_undetermined_for_its_identities_only() {
        // `.` may be half a character in .NET: an emoji in the value cannot be decided.
        let dept = vec![s("Sales"), s("S\u{1F600}les"), s("HR"), s("S\u{1F600}les")];
        let dept = Column::from_values(dept);
        let city = vec![s("Oslo"), s("Oslo"), s("Oslo"), s("Lagos")];
        let city = Column::from_values(city);
        let pop = Population::new(4)
            .with_column("department", &dept)
            .with_column("city", &city);
        let mut ev = SetEvaluator::new();
        let mut check = |text: &str, members: &[usize], undetermined: &[usize]| {
            let prog = program(text);
            let out = ev.decide(&prog, &pop, &ctx(), &no_members);
            assert_eq!(ones(&out.members), members, "{text}");
            assert_eq!(ones(&out.undetermined), undetermined, "{text}");
            for (i, want) in per_object_truth(&prog, &pop, &ctx()).iter().enumerate() {
                match want {
                    Truth::True => assert!(out.members.contains(i), "{text} {i}"),
                    Truth::False => assert!(
                        !out.members.contains(i) && !out.undetermined.contains(i),
                        "{text} {i}"
                    ),
                    Truth::Unknown(_) => assert_eq!(
                        out.reason(i).map(|d| d.code),
                        Some(crate::codes::Code::RegexLimit),
                        "{text} {i}"
                    ),
                }
            }
        };
        check(r#"user.department -match "^S.les$""#, &[0], &[1, 3]);
        check(r#"-not (user.department -match "^S.les$")"#, &[2], &[1, 3]);
        check(
            r#"user.department -match "^S.les$" -or user.city -eq "Oslo""#,
            &[0, 1, 2],
            &[3],
        );
        check(
            r#"user.department -match "^S.les$" -and user.city -eq "Oslo""#,
            &[0],
            &[1],
        );
        check(
            r#"user.city -eq "Lagos" -and -not (user.department -match "^S.les$")"#,
            &[],
            &[3],
        );
    }

    /// `memberOf` a group whose membership is undetermined for someone is undetermined for
    /// them, unless they are a member of another group the rule names.
    #[test]
    fn member_of_an_undetermined_group_is_undetermined() {
        let pop = Population::new(4);
        let mut a = Bitset::with_capacity(4);
        a.insert(0);
        let mut a_maybe = Bitset::with_capacity(4);
        a_maybe.insert(1);
        a_maybe.insert(2);
        let mut b = Bitset::with_capacity(4);
        b.insert(2);
        let groups = |name: &str| match name {
            "a" => Some(Members {
                members: &a,
                undetermined: Some(&a_maybe),
            }),
            "b" => Some(Members {
                members: &b,
                undetermined: None,
            }),
            _ => None,
        };
        let mut ev = SetEvaluator::new();
        let out = ev.decide(
            &program("user.memberOf -any (group.objectId -in ['a', 'b'])"),
            &pop,
            &ctx(),
            &groups,
        );
        assert_eq!(ones(&out.members), [0, 2]);
        assert_eq!(ones(&out.undetermined), [1]);
        assert_eq!(
            out.reason(1).map(|d| d.message.as_str()),
            Some("the membership of group `a` is undetermined")
        );
    }

    #[test]
    fn dates_against_now() {
        let hire = vec![
            Value::Date(date(2024, 12, 20)),
            s("2024-11-01T00:00:00Z"),
            Value::Null,
            s("not a date"),
        ];
        let hire = Column::from_values(hire);
        let pop = Population::new(4).with_column("employeeHireDate", &hire);
        let got = SetEvaluator::new()
            .eval(
                &program("user.employeeHireDate -ge system.now -minus P30D"),
                &pop,
                &ctx(),
                &no_groups,
            )
            .unwrap();
        assert_eq!(ones(&got), [0]);
    }

    #[test]
    fn mostly_distinct_columns_match_per_object() {
        let n = 3000;
        let mail: Vec<Value> = (0..n)
            .map(|i| match i % 13 {
                0 => Value::Null,
                1 => s(""),
                _ => s(&format!("User{i}@Contoso.com")),
            })
            .collect();
        let mail = Column::from_values(mail);
        let other: Vec<Value> = (0..n)
            .map(|i| match i % 5 {
                0 => list(&[]),
                1 => s(&format!("solo{i}@fabrikam.com")),
                _ => Value::List(vec![
                    s(&format!("u{i}@FABRIKAM.com")),
                    s("shared@contoso.com"),
                ]),
            })
            .collect();
        let other = Column::from_values(other);
        let dept: Vec<Value> = (0..n)
            .map(|i| s(["Sales", "sales", "HR", ""][i % 4]))
            .collect();
        let dept = Column::from_values(dept);
        let pop = Population::new(n + 5)
            .with_column("mail", &mail)
            .with_column("otherMails", &other)
            .with_column("department", &dept);
        let rules = [
            r#"user.mail -endsWith "7@contoso.com""#,
            r#"user.mail -ne null -and user.department -eq "sales""#,
            r#"user.otherMails -all (_ -contains "fabrikam")"#,
            r#"user.otherMails -any (_ -startsWith "u1" -or user.department -eq "hr")"#,
            r#"user.otherMails -any (_ -eq "shared@contoso.com" -and user.mail -match "^user1")"#,
            r#"user.otherMails -notContains "shared""#,
        ];
        let mut ev = SetEvaluator::new();
        for text in rules {
            let prog = program(text);
            let got = ev.eval(&prog, &pop, &ctx(), &no_groups).unwrap();
            let want: Vec<usize> = per_object(&prog, &pop, &ctx())
                .into_iter()
                .enumerate()
                .filter_map(|(i, r)| r.unwrap().then_some(i))
                .collect();
            assert!(!want.is_empty(), "{text}");
            assert_eq!(ones(&got), want, "{text}");
        }
    }

    // ---- The equivalence property ----

    const WORDS: &[&str] = &[
        "Sales",
        "sales",
        "SALES",
        "",
        "Marketing",
        "marketing dept",
        "Zoë",
        "ZOË",
        "ärger",
        "ÄRGER",
        "42",
        "42.0",
        " 7 ",
        "true",
        "False",
        "2024-01-31T00:00:00Z",
        "1/2/2024",
        "smtp:a@contoso.com",
        "SMTP:B@Contoso.com",
        "m1",
        "M1",
        "ΣΑΣ",
        "σας",
        "İstanbul",
        // Outside the basic multilingual plane: a pattern that could match it differently
        // from .NET cannot decide on it.
        "S\u{1F600}les",
        "\u{1F600}",
    ];

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            1 => Just(Value::Null),
            6 => prop::sample::select(WORDS).prop_map(s),
            1 => (-3i64..60).prop_map(Value::Int),
            1 => any::<bool>().prop_map(Value::Bool),
            1 => (0i64..3000).prop_map(|d| Value::Date(date(2018, 1, 1) + TimeDelta::days(d))),
        ]
    }

    fn plan() -> impl Strategy<Value = Value> {
        (
            scalar(),
            scalar(),
            prop::sample::select(&["service", "capabilityStatus", "SERVICE"][..]),
        )
            .prop_map(|(a, b, k)| {
                Value::Object(vec![(k.to_string(), a), ("capabilityStatus".into(), b)])
            })
    }

    fn cell() -> impl Strategy<Value = Value> {
        prop_oneof![
            5 => scalar(),
            3 => prop::collection::vec(scalar(), 0..4).prop_map(Value::List),
            1 => prop::collection::vec(plan(), 0..3).prop_map(Value::List),
            1 => prop::collection::vec(prop::collection::vec(scalar(), 0..2).prop_map(Value::List), 1..3)
                .prop_map(Value::List),
        ]
    }

    const COLUMNS: &[&str] = &[
        "department",
        "City",
        "extensionAttribute1",
        "accountEnabled",
        "employeeHireDate",
        "otherMails",
        "proxyAddresses",
        "assignedPlans",
        "manager",
    ];

    fn columns() -> impl Strategy<Value = (usize, Vec<Option<Vec<Value>>>)> {
        (0usize..14).prop_flat_map(|len| {
            let col = prop::option::weighted(
                0.9,
                prop::collection::vec(cell(), len.saturating_sub(1)..=len),
            );
            (Just(len), prop::collection::vec(col, COLUMNS.len()))
        })
    }

    const STRING_PROPS: &[&str] = &[
        "user.department",
        "user.city",
        "user.extensionAttribute1",
        "user.otherMails",
        "user.proxyAddresses",
    ];
    const STRING_OPS: &[&str] = &[
        "-eq",
        "-ne",
        "-startsWith",
        "-notStartsWith",
        "-endsWith",
        "-notEndsWith",
        "-contains",
        "-notContains",
        "-match",
        "-notMatch",
    ];
    const STRING_VALUES: &[&str] = &[
        r#""sales""#,
        r#""SALES""#,
        r#""""#,
        "42",
        "7",
        "true",
        r#""False""#,
        r#""zoë""#,
        r#""^s.*""#,
        r#""^S.les$""#,
        r#"".""#,
        r#""a""#,
        r#""ë""#,
        r#""σας""#,
        r#""ς$""#,
        r#""smtp:""#,
        r#""@contoso.com""#,
        r#""2024-01-31""#,
        r#""ärger""#,
        r#""m1""#,
        r#""i̇stanbul""#,
        "2024-01-01T00:00:00Z",
    ];
    const LISTS: &[&str] = &[
        r#"["sales", "Zoë", "42"]"#,
        r#"["", "true"]"#,
        r#"["σας", "İSTANBUL", "smtp:a@contoso.com"]"#,
        "[42, 7]",
    ];
    const DATE_OPS: &[&str] = &["-eq", "-ne", "-lt", "-le", "-gt", "-ge"];
    const DATE_VALUES: &[&str] = &[
        "2024-01-01T00:00:00Z",
        "system.now -minus P30D",
        "system.now -plus P1Y",
        r#""2024-01-31""#,
        r#""1/2/2024""#,
        "null",
        r#""""#,
    ];

    /// A comparison on a string-typed target (a property, or an item).
    fn string_cmp(targets: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
        let target = prop::sample::select(targets);
        prop_oneof![
            6 => (target.clone(), prop::sample::select(STRING_OPS), prop::sample::select(STRING_VALUES))
                .prop_map(|(p, o, v)| format!("{p} {o} {v}")),
            2 => (target.clone(), prop::sample::select(&["-in", "-notIn"][..]), prop::sample::select(LISTS))
                .prop_map(|(p, o, v)| format!("{p} {o} {v}")),
            2 => (target, prop::sample::select(&["-eq", "-ne"][..]), prop::sample::select(&["null", r#""""#][..]))
                .prop_map(|(p, o, v)| format!("{p} {o} {v}")),
        ]
    }

    fn leaf() -> impl Strategy<Value = String> {
        let boolean = (
            prop::sample::select(&["-eq", "-ne"][..]),
            prop::sample::select(&["true", "false", r#""True""#, "null"][..]),
        )
            .prop_map(|(o, v)| format!("user.accountEnabled {o} {v}"));
        let dates = (
            prop::sample::select(DATE_OPS),
            prop::sample::select(DATE_VALUES),
        )
            .prop_map(|(o, v)| format!("user.employeeHireDate {o} {v}"));
        let body = |items: &'static [&'static str]| {
            prop_oneof![
                3 => string_cmp(items),
                1 => (string_cmp(items), string_cmp(items), prop::sample::select(&["-and", "-or"][..]))
                    .prop_map(|(a, b, op)| format!("{a} {op} {b}")),
                1 => string_cmp(items).prop_map(|a| format!("-not ({a})")),
                1 => (string_cmp(items), string_cmp(STRING_PROPS))
                    .prop_map(|(a, b)| format!("{a} -or {b}")),
            ]
        };
        let quant = prop_oneof![
            (
                prop::sample::select(&["user.otherMails", "user.proxyAddresses"][..]),
                prop::sample::select(&["-any", "-all"][..]),
                body(&["_"]),
            )
                .prop_map(|(c, q, b)| format!("{c} {q} ({b})")),
            (
                prop::sample::select(&["-any", "-all"][..]),
                body(&["assignedPlan.service", "assignedPlan.capabilityStatus"]),
            )
                .prop_map(|(q, b)| format!("user.assignedPlans {q} ({b})")),
        ];
        prop_oneof![5 => string_cmp(STRING_PROPS), 1 => boolean, 1 => dates, 3 => quant]
    }

    fn rule_text() -> impl Strategy<Value = String> {
        let tree = leaf().prop_recursive(3, 12, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} -and {b}")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) -or ({b})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} -or {b}")),
                inner.clone().prop_map(|a| format!("-not ({a})")),
            ]
        });
        prop_oneof![
            20 => tree,
            1 => prop::sample::select(&[r#""m1""#, r#""M1""#, r#""ΣΑΣ""#][..])
                .prop_map(|id| format!("Direct Reports for {id}")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn set_wise_equals_per_object(
            (len, cols) in columns(),
            rules in prop::collection::vec(rule_text(), 1..10),
        ) {
            let cols: Vec<Option<Column>> = cols
                .into_iter()
                .map(|c| c.map(Column::from_values))
                .collect();
            let mut pop = Population::new(len);
            for (name, col) in COLUMNS.iter().zip(&cols) {
                if let Some(col) = col {
                    pop.insert(name, col);
                }
            }
            let mut ev = SetEvaluator::new();
            for text in &rules {
                let (Some(prog), _) = compile_str(text, &Schema::entra()) else {
                    continue;
                };
                // Three values: members where the rule holds, undetermined where it cannot be
                // decided (with the same kind of reason), nothing else.
                let got = ev.decide(&prog, &pop, &ctx(), &no_members);
                prop_assert_eq!(got.members.len(), len);
                prop_assert_eq!(got.undetermined.len(), len);
                for (i, want) in per_object_truth(&prog, &pop, &ctx()).into_iter().enumerate() {
                    let member = got.members.contains(i);
                    let undetermined = got.undetermined.contains(i);
                    match want {
                        Truth::True => prop_assert!(member && !undetermined, "rule {} identity {}", text, i),
                        Truth::False => prop_assert!(!member && !undetermined, "rule {} identity {}", text, i),
                        Truth::Unknown(d) => {
                            prop_assert!(!member && undetermined, "rule {} identity {}", text, i);
                            prop_assert_eq!(got.reason(i).map(|r| r.code), Some(d.code));
                        }
                    }
                }
            }
        }
    }

    // ---- Scale ----

    /// A tiny deterministic generator for the scale test.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    /// 1,000,000 identities x 10 columns, 2,000 random rules. Run with
    /// `cargo test --release --lib rule::sets -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn million_identities_two_thousand_rules() {
        use std::time::Instant;
        const N: usize = 1_000_000;
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let depts: Vec<String> = (0..40)
            .flat_map(|i| [format!("Dept{i}"), format!("dept{i}"), format!("DEPT{i}")])
            .collect();
        let cities: Vec<String> = (0..200).map(|i| format!("City {i}")).collect();
        let titles: Vec<String> = (0..300).map(|i| format!("Title {i} Engineer")).collect();
        let countries: Vec<String> = (0..30).map(|i| format!("C{i}")).collect();
        let start = Instant::now();
        let mut cols: Vec<(&str, Vec<Value>)> = vec![
            ("department", Vec::with_capacity(N)),
            ("city", Vec::with_capacity(N)),
            ("jobTitle", Vec::with_capacity(N)),
            ("country", Vec::with_capacity(N)),
            ("userType", Vec::with_capacity(N)),
            ("accountEnabled", Vec::with_capacity(N)),
            ("employeeHireDate", Vec::with_capacity(N)),
            ("extensionAttribute1", Vec::with_capacity(N)),
            ("mail", Vec::with_capacity(N)),
            ("otherMails", Vec::with_capacity(N)),
        ];
        for i in 0..N {
            let r = rng.next() as usize;
            let row = [
                if r.is_multiple_of(17) {
                    Value::Null
                } else {
                    s(&depts[r % depts.len()])
                },
                s(&cities[(r >> 8) % cities.len()]),
                s(&titles[(r >> 16) % titles.len()]),
                s(&countries[(r >> 24) % countries.len()]),
                s(if (r >> 32).is_multiple_of(10) {
                    "Guest"
                } else {
                    "Member"
                }),
                Value::Bool(!(r >> 36).is_multiple_of(20)),
                Value::Date(date(2015, 1, 1) + TimeDelta::days(((r >> 40) % 3650) as i64)),
                s(&((r >> 44) % 1000).to_string()),
                s(&format!("user{i}@contoso.com")),
                if (r >> 54).is_multiple_of(3) {
                    Value::List(vec![])
                } else {
                    Value::List(vec![
                        s(&format!("u{i}@fabrikam.com")),
                        s("shared@contoso.com"),
                    ])
                },
            ];
            for ((_, col), v) in cols.iter_mut().zip(row) {
                col.push(v);
            }
        }
        println!("population built in {:?}", start.elapsed());
        let cols: Vec<(&str, Column)> = cols
            .into_iter()
            .map(|(n, c)| (n, Column::from_values(c)))
            .collect();
        let mut pop = Population::new(N);
        for (name, col) in &cols {
            pop.insert(name, col);
        }
        let condition = |rng: &mut XorShift| -> String {
            match rng.below(12) {
                0..=2 => format!("user.department -eq \"{}\"", depts[rng.below(depts.len())]),
                3 => format!(
                    "user.department -in [\"{}\", \"{}\"]",
                    depts[rng.below(depts.len())],
                    depts[rng.below(depts.len())]
                ),
                4 => format!("user.city -ne \"{}\"", cities[rng.below(cities.len())]),
                5 => format!("user.jobTitle -startsWith \"Title {}\"", rng.below(30)),
                6 => format!(
                    "user.country -eq \"{}\"",
                    countries[rng.below(countries.len())]
                ),
                7 => format!("user.userType -eq \"{}\"", rng.pick(&["Member", "Guest"])),
                8 => format!("user.accountEnabled -eq {}", rng.pick(&["true", "false"])),
                9 => format!(
                    "user.employeeHireDate -ge system.now -minus P{}D",
                    30 * (1 + rng.below(24))
                ),
                10 => format!("user.extensionAttribute1 -match \"^{}\"", rng.below(100)),
                _ => format!(
                    "user.otherMails -any (_ -endsWith \"{}\")",
                    rng.pick(&["@contoso.com", "@fabrikam.com", "@example.com"])
                ),
            }
        };
        let rules: Vec<RuleProgram> = (0..2000)
            .map(|_| {
                let n = 1 + rng.below(4);
                let parts: Vec<String> = (0..n).map(|_| condition(&mut rng)).collect();
                let joiner = if rng.below(3) == 0 { " -or " } else { " -and " };
                program(&parts.join(joiner))
            })
            .collect();
        let now = RuleContext {
            now: date(2025, 6, 1),
        };
        let start = Instant::now();
        let mut ev = SetEvaluator::new();
        let mut total = 0usize;
        for r in &rules {
            total += ev.eval(r, &pop, &now, &no_groups).unwrap().count_ones(..);
        }
        println!(
            "{} rules over {N} identities in {:?}: {} distinct predicates computed, {} cached, {total} memberships",
            rules.len(),
            start.elapsed(),
            ev.predicates_computed(),
            ev.cached_predicates(),
        );
        let start = Instant::now();
        for r in &rules {
            ev.eval(r, &pop, &now, &no_groups).unwrap();
        }
        println!(
            "again, every predicate cached: {:?} ({} computed)",
            start.elapsed(),
            ev.predicates_computed()
        );
    }
}
