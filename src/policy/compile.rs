//! The `check` stage for policy sets: merges the files into one namespace, resolves every
//! reference, compiles every expression and rule with positions inside the YAML file, checks
//! types and documented limits, and records each reference as an edge of the dependency graph.

use std::collections::HashMap;

use indexmap::IndexMap;

use super::graph::{Graph, NodeId};
use super::load::Loaded;
use super::ranges::{self, Range};
use super::raw::{self, FieldType, Named, PolicyFile};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, FileId, Span, did_you_mean};
use crate::expr::compile::Node as ExprNode;
use crate::expr::functions::Func;
use crate::rule::{PropType, Property, Schema};
use crate::syntax::ast::{RuleKind, RuleValueKind};
use crate::yaml::{Sp, YamlSource};

/// Where something was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Loc {
    /// The file.
    pub file: FileId,
    /// The byte range.
    pub span: Span,
}

/// A checked policy set: every named object with its location, the compiled programs, and the
/// dependency graph.
#[derive(Debug, Default)]
pub struct Policy {
    /// Sources by name.
    pub sources: IndexMap<String, SourceDef>,
    /// Identity attributes by name.
    pub attributes: IndexMap<String, AttributeDef>,
    /// Groups by name.
    pub groups: IndexMap<String, Loc>,
    /// Access packages by name.
    pub packages: IndexMap<String, Loc>,
    /// Targets by name.
    pub targets: IndexMap<String, Loc>,
    /// Workflows by name.
    pub workflows: IndexMap<String, Loc>,
    /// Reviews by name.
    pub reviews: IndexMap<String, Loc>,
    /// Connected organisations by name.
    pub organizations: IndexMap<String, Loc>,
    /// Every expression and rule, compiled, with where it was written.
    pub programs: Vec<ProgramDef>,
    /// Every attribute mapping (identity and target attributes) that checked, by the node it
    /// computes.
    pub mappings: IndexMap<NodeId, MappingDef>,
    /// The dependency graph.
    pub graph: Graph,
}

/// A checked source.
#[derive(Debug, Clone)]
pub struct SourceDef {
    /// Where it is declared.
    pub loc: Loc,
    /// Declared fields and types, with where each is declared.
    pub fields: IndexMap<String, (FieldType, Loc)>,
}

/// A checked identity attribute.
#[derive(Debug, Clone)]
pub struct AttributeDef {
    /// Where it is declared.
    pub loc: Loc,
    /// Its type.
    pub ty: FieldType,
}

/// A checked attribute mapping.
#[derive(Debug, Clone)]
pub struct MappingDef {
    /// How the value is computed.
    pub kind: MappingKind,
    /// The value used on creation when the mapping gives NULL.
    pub default: Option<String>,
    /// Whether the mapping applies only when the object is created.
    pub on_create: bool,
    /// The declared type.
    pub ty: FieldType,
}

impl MappingDef {
    /// The nodes the mapping reads (a direct mapping's source, an expression's resolved
    /// slots).
    pub fn inputs(&self) -> impl Iterator<Item = &NodeId> + '_ {
        let (direct, slots): (Option<&NodeId>, &[Option<NodeId>]) = match &self.kind {
            MappingKind::Direct(n) => (Some(n), &[]),
            MappingKind::Constant(_) => (None, &[]),
            MappingKind::Expression { slots, .. } => (None, slots),
        };
        direct.into_iter().chain(slots.iter().flatten())
    }
}

/// How a mapping computes its value.
#[derive(Debug, Clone)]
pub enum MappingKind {
    /// Copies a source field or identity attribute.
    Direct(NodeId),
    /// A constant.
    Constant(String),
    /// An expression: `program` indexes [`Policy::programs`]; `slots[i]` is what the
    /// expression's attribute slot `i` reads.
    Expression {
        /// Index into [`Policy::programs`].
        program: usize,
        /// What each attribute slot reads.
        slots: Vec<Option<NodeId>>,
    },
}

/// Which language a program is in, and what it belongs to.
#[derive(Debug, Clone)]
pub enum ProgramKind {
    /// A mapping expression of an identity attribute (inbound) or target attribute (outbound).
    Expression {
        /// The graph node it computes.
        node: NodeId,
        /// Whether the mapping applies only on creation.
        on_create: bool,
        /// The compiled program.
        program: Box<crate::expr::Program>,
    },
    /// A membership or scope rule.
    Rule {
        /// The graph node it decides.
        node: NodeId,
        /// The compiled rule.
        program: Box<crate::rule::RuleProgram>,
    },
}

/// A compiled expression or rule with its text and location (the whole scalar).
#[derive(Debug, Clone)]
pub struct ProgramDef {
    /// The decoded text.
    pub text: String,
    /// Where the scalar is.
    pub loc: Loc,
    /// What it is.
    pub kind: ProgramKind,
}

/// Checks a loaded policy set. Diagnostics are appended to `diagnostics`.
pub fn compile(loaded: &Loaded, diagnostics: &mut Vec<Diagnostic>) -> Policy {
    super::bounds::check(loaded, diagnostics);
    let mut c = Checker {
        loaded,
        policy: Policy::default(),
        diags: diagnostics,
        yaml: HashMap::new(),
        schema: None,
    };
    c.run();
    c.policy
}

struct Checker<'a> {
    loaded: &'a Loaded,
    policy: Policy,
    diags: &'a mut Vec<Diagnostic>,
    yaml: HashMap<FileId, YamlSource<'a>>,
    /// The rule schema of the identity attributes, built once they are all declared (building
    /// it for every rule made checking quadratic: rules times attributes).
    schema: Option<Schema>,
}

/// A program compiled ahead of the checks, held only to keep its patterns in the cache.
#[allow(dead_code, reason = "held, never read")]
enum Warm {
    Rule(Option<crate::rule::RuleProgram>),
    Expression(Option<crate::expr::Program>),
}

/// One named object, with the file it came from.
struct Entry<'a, T> {
    file: FileId,
    name: &'a Sp<String>,
    value: &'a Sp<T>,
}

fn loc(file: FileId, span: Span) -> Loc {
    Loc { file, span }
}

impl<'a> Checker<'a> {
    fn error(
        &mut self,
        file: FileId,
        span: Span,
        code: Code,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let mut d = Diagnostic::new(code, span, message);
        d.file = file;
        self.diags.push(d);
        let last = self.diags.len() - 1;
        #[expect(clippy::indexing_slicing, reason = "an element was pushed just above")]
        &mut self.diags[last]
    }

    /// Checks a numeric setting against its documented range ([`ranges`]); an error at the
    /// value's location when it is outside.
    fn in_range<T: Copy + Into<i64>>(&mut self, file: FileId, value: &Sp<T>, range: &Range) {
        let n: i64 = value.value.into();
        if range.contains(n) {
            return;
        }
        let d = self.error(
            file,
            value.span,
            range.code,
            format!(
                "`{}` is {} {}, outside its range of {} to {}",
                range.setting,
                ranges::thousands(n),
                range.unit,
                ranges::thousands(range.min),
                ranges::thousands(range.max)
            ),
        );
        d.help = Some(format!(
            "write a value from {} to {} ({})",
            range.min, range.max, range.why
        ));
    }

    /// Gathers the named objects of one kind across files, reporting duplicates.
    fn gather<T>(
        &mut self,
        kind: &str,
        pick: impl Fn(&'a PolicyFile) -> &'a Named<T>,
    ) -> Vec<Entry<'a, T>> {
        let mut seen: HashMap<&str, (FileId, Span)> = HashMap::new();
        let mut out = Vec::new();
        for file in &self.loaded.files {
            for (name, value) in pick(&file.policy) {
                if let Some((first_file, first_span)) = seen.get(name.value.as_str()).copied() {
                    let d = self.error(
                        file.id,
                        name.span,
                        Code::DuplicateName,
                        format!("{kind} `{}` is defined twice", name.value),
                    );
                    d.labels.push(crate::diagnostics::Label {
                        file: first_file,
                        span: first_span,
                        message: "first defined here".into(),
                    });
                    d.help = Some(format!(
                        "names of {kind}s are unique across the policy set; rename one"
                    ));
                    continue;
                }
                seen.insert(name.value.as_str(), (file.id, name.span));
                out.push(Entry {
                    file: file.id,
                    name,
                    value,
                });
            }
        }
        out
    }

    /// The one file that defines a singleton section, reporting others.
    fn singleton<T>(
        &mut self,
        section: &str,
        pick: impl Fn(&'a PolicyFile) -> Option<&'a Sp<T>>,
    ) -> Option<(FileId, &'a Sp<T>)> {
        let mut found: Option<(FileId, &'a Sp<T>)> = None;
        for file in &self.loaded.files {
            if let Some(v) = pick(&file.policy) {
                match found {
                    Some((first, first_v)) => {
                        let d = self.error(
                            file.id,
                            v.span,
                            Code::DuplicateName,
                            format!("`{section}` is defined in two files"),
                        );
                        d.labels.push(crate::diagnostics::Label {
                            file: first,
                            span: first_v.span,
                            message: "first defined here".into(),
                        });
                        d.help = Some(format!("keep one `{section}` section in the policy set"));
                    }
                    None => found = Some((file.id, v)),
                }
            }
        }
        found
    }

    fn yaml(&mut self, file: FileId) -> &YamlSource<'a> {
        let loaded: &'a Loaded = self.loaded;
        let text = loaded.sources.get(file).map_or("", |(_, t)| t);
        self.yaml
            .entry(file)
            .or_insert_with(|| YamlSource::new(text))
    }

    /// Maps a span inside a string scalar's decoded value to the file.
    fn inner(&mut self, file: FileId, scalar: &Sp<String>, inner: Span) -> Span {
        self.yaml(file).inner_span(scalar, inner)
    }

    /// Moves diagnostics from an embedded expression or rule into the file.
    fn place(&mut self, file: FileId, scalar: &Sp<String>, diags: Vec<Diagnostic>) {
        for mut d in diags {
            d.span = self.inner(file, scalar, d.span);
            for label in &mut d.labels {
                label.span = self.yaml(file).inner_span(scalar, label.span);
                label.file = file;
            }
            d.file = file;
            self.diags.push(d);
        }
    }

    fn unknown(
        &mut self,
        file: FileId,
        span: Span,
        kind: &str,
        name: &str,
        candidates: Vec<String>,
    ) {
        let suggestion =
            did_you_mean(name, candidates.iter().map(String::as_str)).map(str::to_string);
        let d = self.error(
            file,
            span,
            Code::UnknownReference,
            format!("unknown {kind} `{name}`"),
        );
        d.help = Some(match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None if candidates.is_empty() => format!("no {kind} is defined in the policy set"),
            None => format!("the {kind}s are {}", list(&candidates)),
        });
    }

    fn resolve_named(
        &mut self,
        file: FileId,
        r: &Sp<String>,
        kind: &str,
        which: fn(&Policy) -> &IndexMap<String, Loc>,
    ) -> Option<Loc> {
        let found = which(&self.policy).get(r.value.as_str()).copied();
        if found.is_none() {
            let candidates = which(&self.policy).keys().cloned().collect();
            self.unknown(file, r.span, kind, &r.value, candidates);
        }
        found
    }

    /// Records the names of one kind of object, and their graph nodes where they have one.
    fn declare<T>(
        &mut self,
        entries: &[Entry<'_, T>],
        map: fn(&mut Policy) -> &mut IndexMap<String, Loc>,
        node: fn(String) -> Option<NodeId>,
    ) {
        for e in entries {
            let at = loc(e.file, e.name.span);
            map(&mut self.policy).insert(e.name.value.clone(), at);
            if let Some(n) = node(e.name.value.clone()) {
                self.policy.graph.node(n, at);
            }
        }
    }

    fn run(&mut self) {
        let loaded = self.loaded;
        // Declarations first: references cross files.
        let sources = self.gather("source", |f| &f.sources);
        let groups = self.gather("group", |f| &f.groups);
        let packages = self.gather("access package", |f| &f.access_packages);
        let orgs = self.gather("connected organization", |f| &f.connected_organizations);
        let targets = self.gather("target", |f| &f.targets);
        let workflows = self.gather("workflow", |f| &f.workflows);
        let reviews = self.gather("review", |f| &f.reviews);
        let approvals = self.gather("approval", |f| &f.approvals);
        let _tenant = self.singleton("tenant", |f| f.tenant.as_ref());
        let identity = self.singleton("identity", |f| f.identity.as_ref());
        let _ = loaded;

        for s in &sources {
            let mut fields = IndexMap::new();
            for (fname, fty) in &s.value.value.fields {
                fields.insert(fname.value.clone(), (fty.value, loc(s.file, fname.span)));
                let id = self.policy.graph.node(
                    NodeId::SourceField(s.name.value.clone(), fname.value.clone()),
                    loc(s.file, fname.span),
                );
                let _ = id;
            }
            self.policy.sources.insert(
                s.name.value.clone(),
                SourceDef {
                    loc: loc(s.file, s.name.span),
                    fields,
                },
            );
        }
        if let Some((file, identity)) = identity {
            for (name, attr) in &identity.value.attributes {
                let ty = attr
                    .value
                    .ty
                    .as_ref()
                    .map_or(FieldType::String, |t| t.value);
                self.policy.attributes.insert(
                    name.value.clone(),
                    AttributeDef {
                        loc: loc(file, name.span),
                        ty,
                    },
                );
                self.policy
                    .graph
                    .node(NodeId::Attribute(name.value.clone()), loc(file, name.span));
            }
        }
        self.declare(&groups, |p| &mut p.groups, |n| Some(NodeId::Group(n)));
        self.declare(&packages, |p| &mut p.packages, |n| Some(NodeId::Package(n)));
        self.declare(&targets, |p| &mut p.targets, |n| Some(NodeId::Target(n)));
        self.declare(
            &workflows,
            |p| &mut p.workflows,
            |n| Some(NodeId::Workflow(n)),
        );
        self.declare(&reviews, |p| &mut p.reviews, |n| Some(NodeId::Review(n)));
        self.declare(&orgs, |p| &mut p.organizations, |_| None);

        // Compile every regular expression of the set once, in parallel, before the checks
        // below (which run in order, and find each pattern compiled in the shared cache).
        self.schema = Some(self.schema());
        let warm = self.warm_patterns(&groups, &packages, &workflows, &targets, identity);

        for s in &sources {
            self.check_source(s);
        }
        if let Some((file, identity)) = identity {
            self.check_identity(file, identity);
        }
        for g in &groups {
            self.check_group(g);
        }
        for p in &packages {
            self.check_package(p);
        }
        for t in &targets {
            self.check_target(t);
        }
        for a in &approvals {
            self.check_approval(a);
        }
        for w in &workflows {
            self.check_workflow(w);
        }
        for r in &reviews {
            self.check_review(r);
        }
        self.check_review_decisions(&reviews);
        for o in &orgs {
            if let Some(days) = &o.value.value.remove_guests_after_days {
                self.in_range(o.file, days, &ranges::REMOVE_GUESTS_AFTER_DAYS);
            }
        }
        if let Some((file, tenant)) = _tenant
            && let Some(x) = &tenant.value.external_users
            && let Some(days) = &x.value.remove_after_days
        {
            self.in_range(file, days, &ranges::REMOVE_GUESTS_AFTER_DAYS);
        }
        // Assignment records: names unique, each checked against its request policy.
        let _records = self.gather("assignment", |f| &f.assignments);
        crate::governance::assignments::check(self.loaded, self.diags);
        let cycles = self.policy.graph.cycles();
        for cycle in cycles {
            self.diags.push(self.policy.graph.cycle_diagnostic(&cycle));
        }
        drop(warm);
    }

    /// Compiles every rule and expression of the set in parallel, only to compile their regular
    /// expressions into [`NetRegex`](crate::dotnet::regex::NetRegex)'s shared cache: the
    /// returned programs keep them alive until the checks, which run in order, have found them
    /// there. Compiling patterns is most of the cost of checking a set with thousands of
    /// `-match` rules.
    fn warm_patterns(
        &self,
        groups: &[Entry<'_, raw::Group>],
        packages: &[Entry<'_, raw::AccessPackage>],
        workflows: &[Entry<'_, raw::Workflow>],
        targets: &[Entry<'_, raw::Target>],
        identity: Option<(FileId, &Sp<raw::Identity>)>,
    ) -> Vec<Warm> {
        use rayon::prelude::*;
        let rules: Vec<&str> = groups
            .iter()
            .filter_map(|g| g.value.value.rule.as_ref())
            .chain(
                packages
                    .iter()
                    .filter_map(|p| p.value.value.auto_assignment.as_ref())
                    .map(|a| &a.value.rule),
            )
            .chain(
                workflows
                    .iter()
                    .filter_map(|w| w.value.value.scope.as_ref()),
            )
            .map(|r| r.value.as_str())
            .collect();
        let expressions: Vec<&str> = identity
            .iter()
            .flat_map(|(_, i)| i.value.attributes.values())
            .chain(targets.iter().flat_map(|t| t.value.value.mappings.values()))
            .filter_map(|m| m.value.expression.as_ref())
            .map(|e| e.value.as_str())
            .collect();
        let Some(schema) = &self.schema else {
            return Vec::new();
        };
        let mut out: Vec<Warm> = rules
            .par_iter()
            .filter(|r| r.to_ascii_lowercase().contains("match"))
            .map(|r| Warm::Rule(crate::rule::compile_str(r, schema).0))
            .collect();
        out.par_extend(
            expressions
                .par_iter()
                .filter(|e| e.to_ascii_lowercase().contains("replace"))
                .map(|e| Warm::Expression(crate::expr::compile_str(e).0)),
        );
        out
    }

    // --------------------------------------------------------------------------------------
    // Sources
    // --------------------------------------------------------------------------------------

    fn check_source(&mut self, s: &Entry<'_, raw::Source>) {
        let src = &s.value.value;
        let fields: Vec<String> = src.fields.keys().map(|k| k.value.clone()).collect();
        for field in std::iter::once(&src.key).chain(src.modified_field.iter()) {
            if !fields.contains(&field.value) {
                self.unknown(
                    s.file,
                    field.span,
                    &format!("field of source `{}`", s.name.value),
                    &field.value,
                    fields.clone(),
                );
            }
        }
        if src
            .duplicates
            .as_ref()
            .is_some_and(|d| d.value == raw::Duplicates::Latest)
            && src.modified_field.is_none()
        {
            let d = self.error(
                s.file,
                s.value.span,
                Code::InvalidSetting,
                "`duplicates: latest` needs a `modified_field`",
            );
            d.help = Some("name the field holding each record's last modification time".into());
        }
        if let Some(delim) = &src.delimiter
            && delim.value.chars().count() != 1
        {
            let d = self.error(
                s.file,
                delim.span,
                Code::InvalidSetting,
                format!("the delimiter `{}` is not one character", delim.value),
            );
            d.help = Some("write one character, such as `,` or `;`".into());
        }
        for attr in &src.authoritative_for {
            if !self.policy.attributes.contains_key(&attr.value) {
                let candidates = self.policy.attributes.keys().cloned().collect();
                self.unknown(
                    s.file,
                    attr.span,
                    "identity attribute",
                    &attr.value,
                    candidates,
                );
            }
        }
    }

    // --------------------------------------------------------------------------------------
    // Identity
    // --------------------------------------------------------------------------------------

    fn check_identity(&mut self, file: FileId, identity: &Sp<raw::Identity>) {
        for c in &identity.value.correlation {
            for side in [&c.value.left, &c.value.right] {
                self.resolve_source_field(file, side, None);
            }
        }
        for p in &identity.value.precedence {
            if !self.policy.sources.contains_key(&p.value) {
                let candidates = self.policy.sources.keys().cloned().collect();
                self.unknown(file, p.span, "source", &p.value, candidates);
            }
        }
        for (name, attr) in &identity.value.attributes {
            let node = NodeId::Attribute(name.value.clone());
            let declared = attr
                .value
                .ty
                .as_ref()
                .map_or(FieldType::String, |t| t.value);
            self.check_mapping(file, name, attr, node, declared, Side::Inbound);
        }
        if let Some(lc) = &identity.value.lifecycle {
            let lc = &lc.value;
            for (attr, want_date) in [
                (Some(&lc.hire_date), true),
                (lc.leave_date.as_ref(), true),
                (lc.status.as_ref().map(|s| &s.value.attribute), false),
            ] {
                let Some(attr) = attr else { continue };
                match self.policy.attributes.get(&attr.value).map(|a| a.ty) {
                    None => {
                        let candidates = self.policy.attributes.keys().cloned().collect();
                        self.unknown(
                            file,
                            attr.span,
                            "identity attribute",
                            &attr.value,
                            candidates,
                        );
                    }
                    Some(ty) if want_date && ty != FieldType::Datetime => {
                        let d = self.error(
                            file,
                            attr.span,
                            Code::TypeMismatch,
                            format!(
                                "`{}` is a {}, but lifecycle dates must be `datetime`",
                                attr.value,
                                type_name(ty)
                            ),
                        );
                        d.help = Some(format!("declare `type: datetime` on `{}`", attr.value));
                    }
                    Some(_) => {}
                }
            }
            if let Some(days) = &lc.prehire_days {
                self.in_range(file, days, &ranges::PREHIRE_DAYS);
            }
            if let Some(days) = &lc.retention_days {
                self.in_range(file, days, &ranges::RETENTION_DAYS);
            }
            if let Some(days) = lc
                .rehire
                .as_ref()
                .and_then(|r| r.value.min_gap_days.as_ref())
            {
                self.in_range(file, days, &ranges::MIN_GAP_DAYS);
            }
            if let Some(status) = &lc.status
                && status.value.values.is_empty()
            {
                let d = self.error(
                    file,
                    status.value.attribute.span,
                    Code::InvalidSetting,
                    format!(
                        "`lifecycle.status` lists no values of `{}`: every identity's lifecycle would be unknown",
                        status.value.attribute.value
                    ),
                );
                d.help = Some(
                    "map each status value to what it means under `values`, e.g. `Active: active` and `Inactive: leaver`".into(),
                );
            }
        }
    }

    /// Resolves `source.field` (or `field` when `source` is given); adds nothing to the graph.
    fn resolve_source_field(
        &mut self,
        file: FileId,
        r: &Sp<String>,
        within: Option<&str>,
    ) -> Option<(String, String)> {
        let (source, field) = match (within, r.value.split_once('.')) {
            (Some(s), _) => (s.to_string(), r.value.clone()),
            (None, Some((s, f))) => (s.to_string(), f.to_string()),
            (None, None) => {
                let d = self.error(
                    file,
                    r.span,
                    Code::UnknownReference,
                    format!("`{}` does not name a source", r.value),
                );
                d.help = Some("write `source.field`".into());
                return None;
            }
        };
        let Some(def) = self.policy.sources.get(&source) else {
            let candidates = self.policy.sources.keys().cloned().collect();
            self.unknown(file, r.span, "source", &source, candidates);
            return None;
        };
        if !def.fields.contains_key(&field) {
            let candidates = def.fields.keys().cloned().collect();
            self.unknown(
                file,
                r.span,
                &format!("field of source `{source}`"),
                &field,
                candidates,
            );
            return None;
        }
        Some((source, field))
    }

    /// What an attribute reference `[name]` in a mapping means.
    fn resolve_ref(&mut self, side: Side, name: &str) -> Result<(NodeId, FieldType), RefError> {
        match side {
            Side::Inbound => {
                if let Some((source, field)) = name.split_once('.')
                    && let Some(def) = self.policy.sources.get(source)
                    && let Some((ty, _)) = def.fields.get(field)
                {
                    return Ok((
                        NodeId::SourceField(source.to_string(), field.to_string()),
                        *ty,
                    ));
                }
                let holders: Vec<(&String, FieldType)> = self
                    .policy
                    .sources
                    .iter()
                    .filter_map(|(s, d)| d.fields.get(name).map(|(ty, _)| (s, *ty)))
                    .collect();
                match holders.as_slice() {
                    [(source, ty)] => Ok((
                        NodeId::SourceField((*source).clone(), name.to_string()),
                        *ty,
                    )),
                    [] => match self.policy.attributes.get(name) {
                        Some(a) => Ok((NodeId::Attribute(name.to_string()), a.ty)),
                        None => Err(RefError::Unknown(self.inbound_candidates())),
                    },
                    many => Err(RefError::Ambiguous(
                        many.iter().map(|(s, _)| format!("{s}.{name}")).collect(),
                    )),
                }
            }
            Side::Outbound => match self.policy.attributes.get(name) {
                Some(a) => Ok((NodeId::Attribute(name.to_string()), a.ty)),
                None => Err(RefError::Unknown(
                    self.policy.attributes.keys().cloned().collect(),
                )),
            },
        }
    }

    fn inbound_candidates(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .policy
            .sources
            .values()
            .flat_map(|d| d.fields.keys().cloned())
            .collect();
        out.extend(self.policy.attributes.keys().cloned());
        out.sort();
        out.dedup();
        out
    }

    /// Checks one attribute mapping (identity or target) and records its edges.
    fn check_mapping(
        &mut self,
        file: FileId,
        name: &Sp<String>,
        attr: &Sp<raw::Attribute>,
        node: NodeId,
        declared: FieldType,
        side: Side,
    ) {
        let a = &attr.value;
        let kinds = [
            a.source.is_some(),
            a.constant.is_some(),
            a.expression.is_some(),
        ];
        let count = kinds.iter().filter(|k| **k).count();
        if count != 1 {
            let d = self.error(
                file,
                name.span,
                Code::MappingKind,
                if count == 0 {
                    format!("`{}` has no mapping", name.value)
                } else {
                    format!("`{}` has more than one mapping", name.value)
                },
            );
            d.help =
                Some("give exactly one of `source` (direct), `constant` or `expression`".into());
            return;
        }
        let on_create = a
            .apply
            .as_ref()
            .is_some_and(|ap| ap.value == raw::Apply::OnCreate);
        let default = a.default.as_ref().map(|d| d.value.clone());
        if let Some(src) = &a.source {
            match self.resolve_ref(side, &src.value) {
                Ok((from, ty)) => {
                    self.policy.graph.edge(&from, &node, loc(file, src.span));
                    self.check_type(file, src.span, &name.value, declared, Some(ty));
                    self.policy.mappings.insert(
                        node.clone(),
                        MappingDef {
                            kind: MappingKind::Direct(from),
                            default: default.clone(),
                            on_create,
                            ty: declared,
                        },
                    );
                }
                Err(e) => self.ref_error(file, src.span, &src.value, side, e),
            }
        }
        if let Some(constant) = &a.constant {
            self.policy.mappings.insert(
                node.clone(),
                MappingDef {
                    kind: MappingKind::Constant(constant.value.clone()),
                    default: default.clone(),
                    on_create,
                    ty: declared,
                },
            );
        }
        if let Some(expr) = &a.expression {
            let parsed = crate::syntax::parse_expression(&expr.value);
            let mut diags = parsed.diagnostics;
            let compiled = parsed.value.as_ref().map(crate::expr::compile);
            if let Some((_, more)) = &compiled {
                diags.extend(more.iter().cloned());
            }
            self.place(file, expr, diags);
            let Some((Some(program), _)) = compiled else {
                return;
            };
            let mut slot_types: Vec<Option<FieldType>> = vec![None; program.attributes.len()];
            let mut slot_nodes: Vec<Option<NodeId>> = vec![None; program.attributes.len()];
            let mut resolved = true;
            for (slot, span) in program.attribute_refs() {
                let Some(attr_name) = program.attributes.get(slot) else {
                    continue;
                };
                let at = self.inner(file, expr, span);
                match self.resolve_ref(side, attr_name) {
                    Ok((from, ty)) => {
                        if let Some(t) = slot_types.get_mut(slot) {
                            *t = Some(ty);
                        }
                        if let Some(n) = slot_nodes.get_mut(slot) {
                            *n = Some(from.clone());
                        }
                        self.policy.graph.edge(&from, &node, loc(file, at));
                    }
                    Err(e) => {
                        resolved = false;
                        self.ref_error(file, at, attr_name, side, e);
                    }
                }
            }
            let result = result_type(&program.root, &slot_types);
            self.check_type(file, expr.span, &name.value, declared, result);
            self.policy.programs.push(ProgramDef {
                text: expr.value.clone(),
                loc: loc(file, expr.span),
                kind: ProgramKind::Expression {
                    node: node.clone(),
                    on_create,
                    program: Box::new(program),
                },
            });
            if resolved {
                let index = self.policy.programs.len() - 1;
                self.policy.mappings.insert(
                    node,
                    MappingDef {
                        kind: MappingKind::Expression {
                            program: index,
                            slots: slot_nodes,
                        },
                        default,
                        on_create,
                        ty: declared,
                    },
                );
            }
        }
    }

    fn ref_error(&mut self, file: FileId, span: Span, name: &str, side: Side, e: RefError) {
        match e {
            RefError::Unknown(candidates) => {
                let what = match side {
                    Side::Inbound => "source field or identity attribute",
                    Side::Outbound => "identity attribute",
                };
                self.unknown(file, span, what, name, candidates);
            }
            RefError::Ambiguous(options) => {
                let d = self.error(
                    file,
                    span,
                    Code::AmbiguousReference,
                    format!("`{name}` is a field of several sources"),
                );
                d.help = Some(format!("qualify it with its source: {}", list(&options)));
            }
        }
    }

    fn check_type(
        &mut self,
        file: FileId,
        span: Span,
        name: &str,
        declared: FieldType,
        got: Option<FieldType>,
    ) {
        let Some(got) = got else { return };
        if !compatible(declared, got) {
            let d = self.error(
                file,
                span,
                Code::TypeMismatch,
                format!(
                    "`{name}` is declared `{}`, but this mapping gives a {}",
                    type_name(declared),
                    type_name(got)
                ),
            );
            d.help = Some(format!(
                "change the mapping, or declare `type: {}`",
                type_name(got)
            ));
        }
    }

    // --------------------------------------------------------------------------------------
    // Rules
    // --------------------------------------------------------------------------------------

    /// The schema rules are checked against: the declared identity attributes, plus the
    /// directory's `manager` and `memberOf`.
    fn schema(&self) -> Schema {
        let mut props: Vec<Property> = self
            .policy
            .attributes
            .iter()
            .map(|(name, a)| Property {
                name: name.clone(),
                ty: match a.ty {
                    FieldType::String => PropType::String,
                    FieldType::Boolean => PropType::Boolean,
                    FieldType::Number => PropType::Number,
                    FieldType::Datetime => PropType::DateTime,
                    FieldType::StringList => PropType::StringCollection,
                },
            })
            .collect();
        if !props
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case("memberOf"))
        {
            props.push(Property {
                name: "memberOf".into(),
                ty: PropType::MemberOf,
            });
        }
        Schema::declared(props)
    }

    /// Compiles a rule, records edges from the attributes and groups it reads to `node`.
    fn check_rule(&mut self, file: FileId, rule: &Sp<String>, node: NodeId) {
        let parsed = crate::syntax::parse_rule(&rule.value);
        let mut diags = parsed.diagnostics;
        if self.schema.is_none() {
            self.schema = Some(self.schema());
        }
        let compiled = match (&parsed.value, &self.schema) {
            (Some(ast), Some(schema)) => Some(crate::rule::compile(ast, schema)),
            _ => None,
        };
        if let Some((_, more)) = &compiled {
            diags.extend(more.iter().cloned());
        }
        self.place(file, rule, diags);
        let Some(ast) = parsed.value else { return };
        let mut refs = Vec::new();
        rule_refs(&ast, &mut refs);
        for (r, span) in refs {
            let at = self.inner(file, rule, span);
            match r {
                RuleRef::Attribute(name) => {
                    if let Some((attr, _)) = self
                        .policy
                        .attributes
                        .get_key_value(name.as_str())
                        .or_else(|| {
                            self.policy
                                .attributes
                                .iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case(&name))
                        })
                    {
                        let attr = attr.clone();
                        self.policy
                            .graph
                            .edge(&NodeId::Attribute(attr), &node, loc(file, at));
                    }
                }
                RuleRef::Manager => {
                    if self.policy.attributes.contains_key("manager") {
                        self.policy.graph.edge(
                            &NodeId::Attribute("manager".into()),
                            &node,
                            loc(file, at),
                        );
                    } else {
                        let d = self.error(
                            file,
                            at,
                            Code::UnknownReference,
                            "`Direct Reports for` needs an identity attribute `manager`",
                        );
                        d.help = Some("declare `manager` in `identity.attributes`, mapped from the HR manager field".into());
                    }
                }
                RuleRef::Group(name) => {
                    let found = self
                        .policy
                        .groups
                        .keys()
                        .find(|g| g.eq_ignore_ascii_case(&name))
                        .cloned();
                    match found {
                        Some(g) => self
                            .policy
                            .graph
                            .edge(&NodeId::Group(g), &node, loc(file, at)),
                        None => {
                            let candidates = self.policy.groups.keys().cloned().collect();
                            self.unknown(file, at, "group", &name, candidates);
                        }
                    }
                }
            }
        }
        if let Some((Some(program), _)) = compiled {
            self.policy.programs.push(ProgramDef {
                text: rule.value.clone(),
                loc: loc(file, rule.span),
                kind: ProgramKind::Rule {
                    node,
                    program: Box::new(program),
                },
            });
        }
    }

    // --------------------------------------------------------------------------------------
    // Groups, packages, targets, workflows, reviews
    // --------------------------------------------------------------------------------------

    fn check_group(&mut self, g: &Entry<'_, raw::Group>) {
        let node = NodeId::Group(g.name.value.clone());
        match (&g.value.value.rule, &g.value.value.members) {
            (Some(rule), None) => self.check_rule(g.file, rule, node),
            (None, Some(_)) => {}
            (Some(_), Some(_)) | (None, None) => {
                let d = self.error(
                    g.file,
                    g.name.span,
                    Code::MappingKind,
                    format!("group `{}` needs either `rule` or `members`", g.name.value),
                );
                d.help =
                    Some("a dynamic group has a `rule`; a static group lists its `members`".into());
            }
        }
        let group = &g.value.value;
        for (key, day) in &group.relisted {
            let listed = group.members.iter().flatten().any(|m| m.value == key.value);
            if !listed {
                let d = self.error(
                    g.file,
                    key.span,
                    Code::InvalidRelisting,
                    format!(
                        "`{}` is relisted in group `{}` but is not one of its `members`",
                        key.value, g.name.value
                    ),
                );
                d.help = Some(
                    "`relisted` lifts a review's removal of a static member listed again: add the key to `members`, or drop it from `relisted`".into(),
                );
            }
            if crate::governance::reviews::date(&day.value).is_none() {
                let d = self.error(
                    g.file,
                    day.span,
                    Code::InvalidRelisting,
                    format!(
                        "the day `{}` is relisted in group `{}` from is not a `YYYY-MM-DD` date",
                        key.value, g.name.value
                    ),
                );
                d.help =
                    Some("write the day the member is listed again, such as `2027-03-01`".into());
            }
        }
    }

    fn group_ref(&mut self, file: FileId, r: &Sp<String>, to: &NodeId) {
        if self
            .resolve_named(file, r, "group", |p| &p.groups)
            .is_some()
        {
            self.policy
                .graph
                .edge(&NodeId::Group(r.value.clone()), to, loc(file, r.span));
        }
    }

    fn package_ref(&mut self, file: FileId, r: &Sp<String>, to: &NodeId) {
        if self
            .resolve_named(file, r, "access package", |p| &p.packages)
            .is_some()
        {
            self.policy
                .graph
                .edge(&NodeId::Package(r.value.clone()), to, loc(file, r.span));
        }
    }

    fn check_package(&mut self, p: &Entry<'_, raw::AccessPackage>) {
        let node = NodeId::Package(p.name.value.clone());
        let pkg = &p.value.value;
        for resource in &pkg.resources {
            match &resource.value {
                // The package grants membership: the group reads the package.
                raw::Resource::Group(g) => {
                    if self
                        .resolve_named(p.file, g, "group", |p| &p.groups)
                        .is_some()
                    {
                        self.policy.graph.edge(
                            &node,
                            &NodeId::Group(g.value.clone()),
                            loc(p.file, g.span),
                        );
                    }
                }
                raw::Resource::AppRole(role) => {
                    if self
                        .resolve_named(p.file, &role.target, "target", |p| &p.targets)
                        .is_some()
                    {
                        self.policy.graph.edge(
                            &node,
                            &NodeId::Target(role.target.value.clone()),
                            loc(p.file, role.target.span),
                        );
                    }
                }
                raw::Resource::Site(_) => {}
            }
        }
        if let Some(auto) = &pkg.auto_assignment {
            self.check_rule(p.file, &auto.value.rule, node.clone());
            if let Some(days) = &auto.value.grace_period_days {
                self.in_range(p.file, days, &ranges::GRACE_PERIOD_DAYS);
            }
        }
        for other in &pkg.incompatible_packages {
            self.resolve_named(p.file, other, "access package", |p| &p.packages);
            if other.value == p.name.value {
                let d = self.error(
                    p.file,
                    other.span,
                    Code::InvalidSetting,
                    format!(
                        "access package `{}` is incompatible with itself",
                        other.value
                    ),
                );
                d.help = Some("list other packages here".into());
            }
        }
        for g in &pkg.incompatible_groups {
            self.resolve_named(p.file, g, "group", |p| &p.groups);
        }
        for (_, policy) in &pkg.policies {
            let pol = &policy.value;
            match &pol.requestors.value {
                raw::Requestors::Groups(groups) => {
                    for g in groups {
                        self.resolve_named(p.file, g, "group", |p| &p.groups);
                    }
                }
                raw::Requestors::ConnectedOrganizations(orgs) => {
                    for o in orgs {
                        self.resolve_named(p.file, o, "connected organization", |p| {
                            &p.organizations
                        });
                    }
                }
                _ => {}
            }
            if pol.approval.len() > 3 {
                let d = self.error(
                    p.file,
                    policy.span,
                    Code::InvalidSetting,
                    format!(
                        "{} approval stages, but Entra allows at most 3",
                        pol.approval.len()
                    ),
                );
                d.help = Some("merge stages".into());
            }
            for stage in &pol.approval {
                self.in_range(p.file, &stage.value.timeout_days, &ranges::TIMEOUT_DAYS);
                for approver in stage.value.approvers.iter().chain(&stage.value.fallback) {
                    if let raw::Approver::Group(g) = &approver.value {
                        self.resolve_named(p.file, g, "group", |p| &p.groups);
                    }
                }
            }
            if let Some(expiry) = &pol.expiry
                && let raw::Expiry::Hours(hours) = &expiry.value
            {
                self.in_range(p.file, hours, &ranges::EXPIRY_HOURS);
            }
            if let Some(expiry) = &pol.expiry
                && let raw::Expiry::Days(days) = &expiry.value
                && !ranges::EXPIRY_DAYS.contains(days.value.into())
            {
                let d = self.error(
                    p.file,
                    days.span,
                    Code::InvalidSetting,
                    format!("{} days is over Entra's limit of 3,660", days.value),
                );
                d.help = Some("use `never`, or at most 3660 days".into());
            }
        }
    }

    fn check_approval(&mut self, a: &Entry<'_, raw::Approval>) {
        let approval = &a.value.value;
        if !self.policy.targets.contains_key(&approval.target.value) {
            let candidates: Vec<String> = self.policy.targets.keys().cloned().collect();
            let hint = crate::diagnostics::did_you_mean(
                &approval.target.value,
                candidates.iter().map(String::as_str),
            );
            let d = self.error(
                a.file,
                approval.target.span,
                Code::InvalidApproval,
                format!(
                    "approval `{}` names no target `{}`",
                    a.name.value, approval.target.value
                ),
            );
            d.help = Some(match hint {
                Some(h) => format!("did you mean `{h}`?"),
                None => "name a target of the policy set".into(),
            });
        }
        let fp = &approval.fingerprint.value;
        let hex = fp.strip_prefix("sha256:").unwrap_or("");
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let d = self.error(
                a.file,
                approval.fingerprint.span,
                Code::InvalidApproval,
                format!(
                    "the fingerprint of approval `{}` is not `sha256:` and 64 hex digits",
                    a.name.value
                ),
            );
            d.help = Some("copy the fingerprint `roster plan` prints when it refuses".into());
        }
        if chrono::NaiveDate::parse_from_str(&approval.expires.value, "%Y-%m-%d").is_err() {
            let d = self.error(
                a.file,
                approval.expires.span,
                Code::InvalidApproval,
                format!(
                    "the expiry of approval `{}` is not a `YYYY-MM-DD` date",
                    a.name.value
                ),
            );
            d.help = Some("write the last day the approval holds, such as `2026-12-31`".into());
        }
    }

    fn check_actual(&mut self, t: &Entry<'_, raw::Target>) {
        let target = &t.value.value;
        let Some(export) = &target.actual else {
            return;
        };
        let x = &export.value;
        let format = crate::plan::read::format_of(target, Some(x));
        let mut wrong = |opt: Option<Span>, what: &str, whose: &str| {
            if let Some(span) = opt {
                let d = self.error(
                    t.file,
                    span,
                    Code::ActualOptionMismatch,
                    format!(
                        "`{what}` is {whose} only; target `{}` reads the `{}` format",
                        t.name.value,
                        format.name()
                    ),
                );
                d.help = Some("remove the option, or set `format` to the export's format".into());
            }
        };
        if format != crate::actual::Format::Graph {
            wrong(
                x.members.as_ref().map(|m| m.span),
                "members",
                "a Graph option",
            );
            wrong(
                x.assignments.as_ref().map(|m| m.span),
                "assignments",
                "a Graph option",
            );
        }
        if format != crate::actual::Format::Csv {
            wrong(x.key.as_ref().map(|m| m.span), "key", "a CSV option");
            wrong(
                x.delimiter.as_ref().map(|m| m.span),
                "delimiter",
                "a CSV option",
            );
            wrong(x.null.as_ref().map(|m| m.span), "null", "a CSV option");
            wrong(
                x.enabled.as_ref().map(|m| m.span),
                "enabled",
                "a CSV option",
            );
        }
        if let Some(d) = &x.delimiter
            && d.value.chars().count() != 1
        {
            let e = self.error(
                t.file,
                d.span,
                Code::ActualOptionMismatch,
                format!("the delimiter `{}` is not one character", d.value),
            );
            e.help = Some("write one character, such as `;` or a tab".into());
        }
        if let Some(n) = &x.null
            && n.value.is_empty()
        {
            let e = self.error(
                t.file,
                n.span,
                Code::ActualOptionMismatch,
                "the NULL marker is empty".to_string(),
            );
            e.help = Some("write `unquoted-empty`, `never` or the marker, such as `\\N`".into());
        }
    }

    fn check_target(&mut self, t: &Entry<'_, raw::Target>) {
        self.check_actual(t);
        let target = &t.value.value;
        if let Some(threshold) = &target.deletion_threshold {
            self.in_range(t.file, threshold, &ranges::DELETION_THRESHOLD);
        }
        if let Some(percent) = &target.deletion_threshold_percent {
            self.in_range(t.file, percent, &ranges::DELETION_THRESHOLD_PERCENT);
        }
        let tnode = NodeId::Target(t.name.value.clone());
        if let Some(scope) = &target.scope {
            for g in &scope.value.groups {
                self.group_ref(t.file, g, &tnode);
            }
            for p in &scope.value.access_packages {
                self.package_ref(t.file, p, &tnode);
            }
            for filter in &scope.value.filters {
                for clause in &filter.value {
                    let c = &clause.value;
                    match self.policy.attributes.get(&c.attribute.value) {
                        Some(_) => self.policy.graph.edge(
                            &NodeId::Attribute(c.attribute.value.clone()),
                            &tnode,
                            loc(t.file, c.attribute.span),
                        ),
                        None => {
                            let candidates = self.policy.attributes.keys().cloned().collect();
                            self.unknown(
                                t.file,
                                c.attribute.span,
                                "identity attribute",
                                &c.attribute.value,
                                candidates,
                            );
                        }
                    }
                    self.check_clause(t.file, c);
                }
            }
        }
        for (name, mapping) in &target.mappings {
            let node = NodeId::TargetAttribute(t.name.value.clone(), name.value.clone());
            self.policy.graph.node(node.clone(), loc(t.file, name.span));
            self.policy
                .graph
                .edge(&tnode, &node, loc(t.file, name.span));
            let declared = mapping
                .value
                .ty
                .as_ref()
                .map_or(FieldType::String, |ty| ty.value);
            self.check_mapping(t.file, name, mapping, node, declared, Side::Outbound);
        }
        let mapped: Vec<String> = target.mappings.keys().map(|k| k.value.clone()).collect();
        for m in &target.matching {
            if !mapped.contains(&m.value) {
                self.unknown(
                    t.file,
                    m.span,
                    &format!("attribute of target `{}`", t.name.value),
                    &m.value,
                    mapped.clone(),
                );
            }
        }
    }

    fn check_clause(&mut self, file: FileId, c: &raw::Clause) {
        use raw::ClauseOperator as Op;
        let needs_value = !matches!(
            c.operator.value,
            Op::IsFalse | Op::IsTrue | Op::IsNull | Op::IsNotNull
        );
        match (&c.value, needs_value) {
            (None, true) => {
                let d = self.error(
                    file,
                    c.operator.span,
                    Code::InvalidSetting,
                    "this operator needs a `value`",
                );
                d.help = Some("add `value:`".into());
            }
            (Some(v), false) => {
                let d = self.error(
                    file,
                    v.span,
                    Code::InvalidSetting,
                    "this operator takes no `value`",
                );
                d.help = Some("remove `value:`".into());
            }
            (Some(v), true) if matches!(c.operator.value, Op::RegexMatch | Op::NotRegexMatch) => {
                if let Err(e) = crate::dotnet::regex::NetRegex::new(
                    &v.value,
                    crate::dotnet::regex::Options::default(),
                ) {
                    let (code, message) = if e.too_large {
                        (Code::RegexTooLarge, e.message)
                    } else {
                        (
                            Code::InvalidRegex,
                            format!("invalid regular expression: {}", e.message),
                        )
                    };
                    let d = self.error(file, v.span, code, message);
                    d.help = e.help;
                }
            }
            (Some(v), true)
                if matches!(c.operator.value, Op::GreaterThan | Op::GreaterThanOrEquals)
                    && v.value.trim().parse::<i64>().is_err() =>
            {
                let d = self.error(
                    file,
                    v.span,
                    Code::InvalidSetting,
                    format!("`{}` is not an integer", v.value),
                );
                d.help =
                    Some("`Greater_Than` and `Greater_Than_OR_EQUALS` compare integers".into());
            }
            _ => {}
        }
    }

    fn check_workflow(&mut self, w: &Entry<'_, raw::Workflow>) {
        let node = NodeId::Workflow(w.name.value.clone());
        let wf = &w.value.value;
        match &wf.trigger.value {
            raw::Trigger::TimeBased(tb) => {
                match self
                    .policy
                    .attributes
                    .get(&tb.attribute.value)
                    .map(|a| a.ty)
                {
                    Some(ty) => {
                        self.policy.graph.edge(
                            &NodeId::Attribute(tb.attribute.value.clone()),
                            &node,
                            loc(w.file, tb.attribute.span),
                        );
                        if ty != FieldType::Datetime {
                            let d = self.error(
                                w.file,
                                tb.attribute.span,
                                Code::TypeMismatch,
                                format!(
                                    "`{}` is a {}, but a time-based trigger needs a `datetime`",
                                    tb.attribute.value,
                                    type_name(ty)
                                ),
                            );
                            d.help = Some(
                                "trigger on a date attribute such as the hire or leave date".into(),
                            );
                        }
                    }
                    None => {
                        let candidates = self.policy.attributes.keys().cloned().collect();
                        self.unknown(
                            w.file,
                            tb.attribute.span,
                            "identity attribute",
                            &tb.attribute.value,
                            candidates,
                        );
                    }
                }
                if !ranges::OFFSET_DAYS.contains(tb.offset_days.value.into()) {
                    let d = self.error(
                        w.file,
                        tb.offset_days.span,
                        Code::InvalidSetting,
                        format!(
                            "offset {} is outside Entra's range of -180 to 180 days",
                            tb.offset_days.value
                        ),
                    );
                    d.help = Some("use an offset from -180 to 180".into());
                }
            }
            raw::Trigger::AttributeChange(attrs) => {
                for a in attrs {
                    if self.policy.attributes.contains_key(&a.value) {
                        self.policy.graph.edge(
                            &NodeId::Attribute(a.value.clone()),
                            &node,
                            loc(w.file, a.span),
                        );
                    } else {
                        let candidates = self.policy.attributes.keys().cloned().collect();
                        self.unknown(w.file, a.span, "identity attribute", &a.value, candidates);
                    }
                }
            }
            raw::Trigger::GroupMembership(gm) => self.group_ref(w.file, &gm.group, &node),
            raw::Trigger::OnDemand => {}
        }
        if let Some(scope) = &wf.scope {
            self.check_rule(w.file, scope, node.clone());
        }
        if wf.tasks.len() > 25 {
            let d = self.error(
                w.file,
                w.name.span,
                Code::InvalidSetting,
                format!(
                    "{} tasks, but Entra allows at most 25 per workflow",
                    wf.tasks.len()
                ),
            );
            d.help = Some("split the workflow".into());
        }
        self.check_workflow_tasks(w);
        for task in &wf.tasks {
            match &task.value.task {
                raw::Task::AddToGroups(gs) | raw::Task::RemoveFromGroups(gs) => {
                    for g in gs {
                        self.resolve_named(w.file, g, "group", |p| &p.groups);
                    }
                }
                raw::Task::AssignAccessPackages(ps) | raw::Task::RemoveAccessPackages(ps) => {
                    for p in ps {
                        self.resolve_named(w.file, p, "access package", |p| &p.packages);
                    }
                }
                raw::Task::GenerateTemporaryAccessPass(tap)
                    if !ranges::LIFETIME_MINUTES.contains(tap.lifetime_minutes.value.into()) =>
                {
                    let d = self.error(
                        w.file,
                        tap.lifetime_minutes.span,
                        Code::InvalidSetting,
                        format!(
                            "{} minutes is outside Entra's range of 10 to 43,200",
                            tap.lifetime_minutes.value
                        ),
                    );
                    d.help = Some("use a lifetime from 10 minutes to 30 days".into());
                }
                _ => {}
            }
        }
    }

    /// The catalogue's checks of a workflow: each task allowed in its category (`C360`), an
    /// e-mail Entra can send (`C361`), known placeholders (`C362`), e-mail settings (`C363`),
    /// the scheduling date (`C364`).
    fn check_workflow_tasks(&mut self, w: &Entry<'_, raw::Workflow>) {
        use crate::governance::catalogue;
        let wf = &w.value.value;
        let category = wf.category.value;
        let word = match category {
            raw::Category::Joiner => "joiner",
            raw::Category::Mover => "mover",
            raw::Category::Leaver => "leaver",
        };
        if let Some(since) = &wf.scheduled_since
            && chrono::NaiveDate::parse_from_str(&since.value, "%Y-%m-%d").is_err()
        {
            let d = self.error(
                w.file,
                since.span,
                Code::InvalidScheduleDate,
                format!("`{}` is not a date `YYYY-MM-DD`", since.value),
            );
            d.help = Some("write the day scheduling was switched on, such as `2026-01-15`".into());
        }
        for task in &wf.tasks {
            let t = &task.value;
            let at = if t.name_span == Span::default() {
                task.span
            } else {
                t.name_span
            };
            if let raw::Task::SendEmail(email) = &t.task {
                if catalogue::email_definition(category, email.to.value, &wf.trigger.value)
                    .is_none()
                {
                    let d = self.error(
                        w.file,
                        email.to.span,
                        Code::EmailNotInCatalogue,
                        format!("Entra has no {word} task that e-mails the user"),
                    );
                    d.help = Some(
                        "send it to the manager (`to: manager`); only joiner workflows e-mail the user (the welcome e-mail)".into(),
                    );
                }
                for text in [&email.subject, &email.body].into_iter().flatten() {
                    for (range, name) in catalogue::placeholders(&text.value) {
                        if catalogue::PLACEHOLDERS.contains(&name) {
                            continue;
                        }
                        let inner = Span::new(range.start, range.end);
                        let span = self.inner(w.file, text, inner);
                        let near = crate::diagnostics::did_you_mean(
                            name,
                            catalogue::PLACEHOLDERS.iter().copied(),
                        );
                        let d = self.error(
                            w.file,
                            span,
                            Code::UnknownPlaceholder,
                            format!("unknown placeholder `{{{{{name}}}}}`"),
                        );
                        d.help = Some(match near {
                            Some(n) => format!(
                                "did you mean `{{{{{n}}}}}`? placeholders: {}",
                                catalogue::PLACEHOLDERS.join(", ")
                            ),
                            None => format!("placeholders: {}", catalogue::PLACEHOLDERS.join(", ")),
                        });
                    }
                }
                if let Some(locale) = &email.locale
                    && !is_locale(&locale.value)
                {
                    let d = self.error(
                        w.file,
                        locale.span,
                        Code::InvalidEmailSetting,
                        format!("`{}` is not a locale", locale.value),
                    );
                    d.help = Some("write a language tag such as `en-US`, `fr-FR` or `de`".into());
                }
                if email.cc.len() > MAX_CC {
                    let span = email.cc.get(MAX_CC).map_or(email.to.span, |c| c.span);
                    let d = self.error(
                        w.file,
                        span,
                        Code::InvalidEmailSetting,
                        format!(
                            "{} people in `cc`, but at most {MAX_CC} get a copy",
                            email.cc.len()
                        ),
                    );
                    d.help = Some("copy a shared mailbox instead of each person".into());
                }
                for cc in &email.cc {
                    if cc.value.trim().is_empty() {
                        let d = self.error(
                            w.file,
                            cc.span,
                            Code::InvalidEmailSetting,
                            "an empty identity key in `cc`",
                        );
                        d.help = Some("give the key of the identity who gets a copy".into());
                    }
                }
                continue;
            }
            if let Some(def) = catalogue::definition(&t.task)
                && !def.allows(category)
            {
                let d = self.error(
                    w.file,
                    at,
                    Code::TaskNotInCategory,
                    format!(
                        "task `{}` is not allowed in a {word} workflow (Entra: {})",
                        crate::governance::workflows::task_word(&t.task),
                        def.categories()
                    ),
                );
                d.help = Some(format!(
                    "move it to a {} workflow, or change this workflow's category",
                    def.categories().replace(", ", " or ")
                ));
            }
        }
    }

    fn check_review(&mut self, r: &Entry<'_, raw::Review>) {
        let node = NodeId::Review(r.name.value.clone());
        let rv = &r.value.value;
        match &rv.scope.value {
            raw::ReviewScope::Group(g) => self.group_ref(r.file, g, &node),
            raw::ReviewScope::AccessPackage(p) => self.package_ref(r.file, p, &node),
            raw::ReviewScope::Target(t) => {
                if self
                    .resolve_named(r.file, t, "target", |p| &p.targets)
                    .is_some()
                {
                    self.policy.graph.edge(
                        &NodeId::Target(t.value.clone()),
                        &node,
                        loc(r.file, t.span),
                    );
                }
            }
        }
        for reviewer in rv.reviewers.iter().chain(&rv.fallback_reviewers) {
            if let raw::Reviewer::Group(g) = &reviewer.value {
                self.resolve_named(r.file, g, "group", |p| &p.groups);
            }
        }
        let period = match rv.recurrence.value {
            raw::Recurrence::OneTime => u32::MAX,
            raw::Recurrence::Weekly => 7,
            raw::Recurrence::Monthly => 28,
            raw::Recurrence::Quarterly => 90,
            raw::Recurrence::SemiAnnually => 181,
            raw::Recurrence::Annually => 365,
        };
        if !ranges::REVIEW_DURATION_DAYS.contains(rv.duration_days.value.into()) {
            self.in_range(r.file, &rv.duration_days, &ranges::REVIEW_DURATION_DAYS);
        } else if rv.duration_days.value > period {
            let d = self.error(
                r.file,
                rv.duration_days.span,
                Code::InvalidSetting,
                format!(
                    "a review of {} days does not fit its recurrence",
                    rv.duration_days.value
                ),
            );
            d.help = Some(
                "the duration must be at least 1 day and no longer than the recurrence period"
                    .into(),
            );
        }
        if let Some(o) = &rv.occurrences {
            self.in_range(r.file, o, &ranges::REVIEW_OCCURRENCES);
        }
        if let Some(l) = &rv.recommendation_lookback_days {
            self.in_range(r.file, l, &ranges::REVIEW_LOOKBACK_DAYS);
        }
        if let Some(d) = &rv.inactive_days {
            self.in_range(r.file, d, &ranges::REVIEW_INACTIVE_DAYS);
        }
        self.check_review_stages(r);
        if let Some(denied) = &rv.denied_guests {
            let guests = rv.guests_only.as_ref().is_some_and(|g| g.value);
            let package = matches!(
                rv.scope.value,
                raw::ReviewScope::AccessPackage(_) | raw::ReviewScope::Group(_)
            );
            if !(guests && package) {
                let e = self.error(
                    r.file,
                    denied.span,
                    Code::DeniedGuestsWithoutGuests,
                    format!(
                        "review `{}` sets `denied_guests` but does not review guests' access (a `guests_only` review of an access package or a group)",
                        r.name.value
                    ),
                );
                e.help = Some(
                    "`denied_guests` applies to a review with `guests_only: true` and an `access_package` or `group` scope: set both, or remove it".into(),
                );
            }
        }
        self.check_review_schedule(r);
    }

    /// The stages of a multi-stage review (`C386`): 2 or 3, the review's own `reviewers`
    /// empty, each stage at least a day, and `duration_days` their sum.
    fn check_review_stages(&mut self, r: &Entry<'_, raw::Review>) {
        let rv = &r.value.value;
        let name = &r.name.value;
        if rv.stages.is_empty() {
            return;
        }
        let at = rv.stages.first().map_or(r.name.span, |s| s.span);
        if !(2..=3).contains(&rv.stages.len()) {
            let e = self.error(
                r.file,
                at,
                Code::InvalidReviewStages,
                format!("review `{name}` has {} stage(s)", rv.stages.len()),
            );
            e.help = Some("a multi-stage review has 2 or 3 stages (Entra's); a review of one stage has no `stages`".into());
        }
        if let Some(first) = rv.reviewers.first() {
            let e = self.error(
                r.file,
                first.span,
                Code::InvalidReviewStages,
                format!("review `{name}` has stages and its own `reviewers`"),
            );
            e.help =
                Some("each stage names its reviewers: write `reviewers: []` at the review".into());
        }
        let mut sum: u64 = 0;
        for s in &rv.stages {
            let days = s.value.duration_days.value;
            if days == 0 {
                let e = self.error(
                    r.file,
                    s.value.duration_days.span,
                    Code::InvalidReviewStages,
                    format!("a stage of review `{name}` lasts 0 days"),
                );
                e.help = Some("a stage lasts at least a day".into());
            }
            sum += u64::from(days);
        }
        if sum != u64::from(rv.duration_days.value) {
            let e = self.error(
                r.file,
                rv.duration_days.span,
                Code::InvalidReviewStages,
                format!(
                    "review `{name}` lasts {} days, but its stages add up to {sum}",
                    rv.duration_days.value
                ),
            );
            e.help = Some("`duration_days` is the sum of the stages' durations (Entra's)".into());
        }
    }

    /// The dates of a review's schedule (`C380`).
    fn check_review_schedule(&mut self, r: &Entry<'_, raw::Review>) {
        let rv = &r.value.value;
        let name = &r.name.value;
        let parse = |d: &Sp<String>| chrono::NaiveDate::parse_from_str(&d.value, "%Y-%m-%d").ok();
        let mut start = None;
        for (which, d) in [("start", &rv.start), ("end_date", &rv.end_date)] {
            let Some(d) = d else { continue };
            match parse(d) {
                Some(day) if which == "start" => start = Some(day),
                Some(day) => {
                    if start.is_some_and(|s| day < s) {
                        let e = self.error(
                            r.file,
                            d.span,
                            Code::InvalidReviewSchedule,
                            format!("the series of review `{name}` ends before it starts"),
                        );
                        e.help = Some(
                            "`end_date` is the last day an instance may start: on or after `start`"
                                .into(),
                        );
                    }
                }
                None => {
                    let e = self.error(
                        r.file,
                        d.span,
                        Code::InvalidReviewSchedule,
                        format!("the `{which}` of review `{name}` is not a `YYYY-MM-DD` date"),
                    );
                    e.help = Some("write a day such as `2026-03-02`".into());
                }
            }
        }
        if let (Some(_), Some(o)) = (&rv.end_date, &rv.occurrences) {
            let e = self.error(
                r.file,
                o.span,
                Code::InvalidReviewSchedule,
                format!("review `{name}` ends both on a date and after a number of instances"),
            );
            e.help = Some("a series ends in one way: keep `end_date` or `occurrences`".into());
        }
        if rv.start.is_none() {
            for d in [&rv.end_date].into_iter().flatten() {
                let e = self.error(
                    r.file,
                    d.span,
                    Code::InvalidReviewSchedule,
                    format!("review `{name}` has an end but no `start`"),
                );
                e.help = Some("without a `start` the review has no instances: add one".into());
            }
        }
    }

    /// A decision's `stage` (`C386`): required in a multi-stage review, from 1 to its number
    /// of stages, and not allowed otherwise; its day inside that stage (`C382`).
    fn check_decision_stage(
        &mut self,
        file: FileId,
        name: &str,
        rv: &raw::Review,
        instance: &crate::governance::reviews::Instance,
        decision: &Sp<raw::ReviewDecision>,
    ) {
        let d = &decision.value;
        match (&d.stage, rv.stages.is_empty()) {
            (None, true) => {}
            (Some(s), true) => {
                let e = self.error(
                    file,
                    s.span,
                    Code::InvalidReviewStages,
                    format!(
                        "review `{name}` has no stages, but a decision names stage {}",
                        s.value
                    ),
                );
                e.help = Some("remove `stage`, or give the review its `stages`".into());
            }
            (None, false) => {
                let e = self.error(
                    file,
                    d.decision.span,
                    Code::InvalidReviewStages,
                    format!(
                        "the decision on `{}` in multi-stage review `{name}` names no stage",
                        d.reviewee.value
                    ),
                );
                e.help = Some(format!("add `stage: N`, from 1 to {}", rv.stages.len()));
            }
            (Some(s), false) => {
                match crate::governance::reviews::stage_window(rv, instance, s.value as usize) {
                    None => {
                        let e = self.error(
                            file,
                            s.span,
                            Code::InvalidReviewStages,
                            format!("review `{name}` has no stage {}", s.value),
                        );
                        e.help = Some(format!("stages are numbered from 1 to {}", rv.stages.len()));
                    }
                    Some((from, to)) => {
                        let day = crate::governance::reviews::date(&d.date.value);
                        if day.is_some_and(|day| instance.open_on(day) && (day < from || day >= to))
                        {
                            let e = self.error(
                                file,
                                d.date.span,
                                Code::DecisionOutsideInstance,
                                format!(
                                    "the decision on `{}` is not inside stage {} of review `{name}` that starts on {}",
                                    d.reviewee.value, s.value, instance.start
                                ),
                            );
                            e.help = Some(format!(
                                "stage {} runs from {from} to {}; the decision takes no effect otherwise",
                                s.value,
                                to.pred_opt().unwrap_or(to)
                            ));
                        }
                    }
                }
            }
        }
    }

    /// The decisions recorded for access reviews: the review exists, the instance is one of
    /// its instances, the decision's day is inside it, a justification where one is required
    /// (`C381`–`C383`). Whether the reviewee and the reviewer are allowed depends on the
    /// data: `eval` checks it (`E160`–`E162`).
    fn check_review_decisions(&mut self, reviews: &[Entry<'_, raw::Review>]) {
        use crate::governance::reviews::{Schedule, date};
        let loaded = self.loaded;
        for f in &loaded.files {
            for (name, instances) in &f.policy.review_decisions {
                if self
                    .resolve_named(f.id, name, "review", |p| &p.reviews)
                    .is_none()
                {
                    continue;
                }
                let Some(review) = reviews.iter().find(|r| r.name.value == name.value) else {
                    continue;
                };
                let rv = &review.value.value;
                let schedule = Schedule::of(rv);
                for (start, decisions) in &instances.value {
                    let instance = date(&start.value)
                        .zip(schedule)
                        .and_then(|(d, s)| s.starting_on(d));
                    let Some(instance) = instance else {
                        let e = self.error(
                            f.id,
                            start.span,
                            Code::UnknownReviewInstance,
                            format!(
                                "review `{}` has no instance that starts on `{}`",
                                name.value, start.value
                            ),
                        );
                        e.help = Some(match schedule {
                            None => "the review has no valid `start`, so no instances: give it one"
                                .into(),
                            Some(s) => {
                                let asked = date(&start.value);
                                let near = asked.map(|d| {
                                    let around = s.touching(crate::governance::Window {
                                        from: d
                                            .checked_sub_days(chrono::Days::new(400))
                                            .unwrap_or(d),
                                        to: d.checked_add_days(chrono::Days::new(400)).unwrap_or(d),
                                    });
                                    let before =
                                        around.iter().rev().find(|i| i.start < d).map(|i| i.start);
                                    let after =
                                        around.iter().find(|i| i.start > d).map(|i| i.start);
                                    before
                                        .into_iter()
                                        .chain(after)
                                        .map(|d| format!("`{d}`"))
                                        .collect::<Vec<_>>()
                                });
                                match near {
                                    Some(near) if !near.is_empty() => format!(
                                        "decisions are keyed by the start of an instance; the nearest start on {}",
                                        near.join(" and ")
                                    ),
                                    Some(_) => format!(
                                        "decisions are keyed by the start of an instance; the first starts on `{}`",
                                        s.start
                                    ),
                                    None => "decisions are keyed by the start of an instance, a `YYYY-MM-DD` date".into(),
                                }
                            }
                        });
                        continue;
                    };
                    let required = rv.justification_required.as_ref().is_some_and(|j| j.value);
                    for decision in decisions {
                        let d = &decision.value;
                        self.check_decision_stage(f.id, &name.value, rv, &instance, decision);
                        if !date(&d.date.value).is_some_and(|day| instance.open_on(day)) {
                            let e = self.error(
                                f.id,
                                d.date.span,
                                Code::DecisionOutsideInstance,
                                format!(
                                    "the decision on `{}` is not inside the instance of review `{}` that starts on {}",
                                    d.reviewee.value, name.value, instance.start
                                ),
                            );
                            e.help = Some(format!(
                                "a decision is taken from {} to {}, as a `YYYY-MM-DD` date; it takes no effect otherwise",
                                instance.start,
                                instance.end.pred_opt().unwrap_or(instance.end)
                            ));
                        }
                        let blank = d
                            .justification
                            .as_ref()
                            .is_none_or(|j| j.value.trim().is_empty());
                        if required && blank {
                            let span = d.justification.as_ref().map_or(d.decision.span, |j| j.span);
                            let e = self.error(
                                f.id,
                                span,
                                Code::MissingJustification,
                                format!(
                                    "the decision on `{}` in review `{}` gives no justification",
                                    d.reviewee.value, name.value
                                ),
                            );
                            e.help = Some(
                                "the review sets `justification_required: true`: say why in `justification`".into(),
                            );
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Identity attributes read source fields (or other identity attributes).
    Inbound,
    /// Target attributes read identity attributes.
    Outbound,
}

enum RefError {
    Unknown(Vec<String>),
    Ambiguous(Vec<String>),
}

enum RuleRef {
    Attribute(String),
    Group(String),
    /// `Direct Reports for` reads the `manager` attribute.
    Manager,
}

/// The identity attributes and memberOf groups a rule reads, with their spans.
fn rule_refs(rule: &crate::syntax::ast::Rule, out: &mut Vec<(RuleRef, Span)>) {
    match &rule.node {
        RuleKind::Or(a, b) | RuleKind::And(a, b) => {
            rule_refs(a, out);
            rule_refs(b, out);
        }
        RuleKind::Not(a) => rule_refs(a, out),
        RuleKind::Compare {
            property, value, ..
        } => {
            if let Some(attr) = user_property(&property.node) {
                out.push((RuleRef::Attribute(attr.to_string()), property.span));
            }
            if property.node.eq_ignore_ascii_case("group.objectId")
                && let RuleValueKind::Array(items) = &value.node
            {
                for item in items {
                    if let RuleValueKind::Str(s) = &item.node {
                        out.push((RuleRef::Group(s.clone()), item.span));
                    }
                }
            }
        }
        RuleKind::Quantified { property, body, .. } => {
            if let Some(attr) = user_property(&property.node)
                && !attr.eq_ignore_ascii_case("memberOf")
            {
                out.push((RuleRef::Attribute(attr.to_string()), property.span));
            }
            rule_refs(body, out);
        }
        RuleKind::DirectReports(id) => out.push((RuleRef::Manager, id.span)),
        RuleKind::MisplacedNot { .. } => {}
    }
}

fn user_property(name: &str) -> Option<&str> {
    let (head, prop) = name.split_once('.')?;
    head.eq_ignore_ascii_case("user").then_some(prop)
}

/// The type an expression yields, where it can be known before evaluation.
fn result_type(node: &ExprNode, slots: &[Option<FieldType>]) -> Option<FieldType> {
    use crate::value::Value;
    match node {
        ExprNode::Const(Value::Int(_)) => Some(FieldType::Number),
        ExprNode::Const(_) => Some(FieldType::String),
        ExprNode::Attr(slot, _) => slots.get(*slot).copied().flatten(),
        ExprNode::Flow(_) => None,
        ExprNode::Compare(..) => Some(FieldType::Boolean),
        ExprNode::Call(call) => match call.func {
            Func::CBool
            | Func::IsNull
            | Func::IsNullOrEmpty
            | Func::IsPresent
            | Func::IsString
            | Func::Not => Some(FieldType::Boolean),
            Func::Count | Func::DateDiff | Func::InStr | Func::BitAnd | Func::NumFromDate => {
                Some(FieldType::Number)
            }
            Func::CDate | Func::DateAdd | Func::DateFromNum | Func::Now => {
                Some(FieldType::Datetime)
            }
            Func::Split
            | Func::RemoveDuplicates
            | Func::AppRoleAssignmentsComplex
            | Func::AssertiveAppRoleAssignmentsComplex => Some(FieldType::StringList),
            Func::Iif
            | Func::Switch
            | Func::Coalesce
            | Func::Redact
            | Func::IgnoreFlowIfNullOrEmpty
            | Func::Item => None,
            _ => Some(FieldType::String),
        },
    }
}

/// Whether a mapping yielding `got` can fill an attribute declared `declared`.
fn compatible(declared: FieldType, got: FieldType) -> bool {
    use FieldType as T;
    match (declared, got) {
        (a, b) if a == b => true,
        // Text can hold any single value; values of other types parse from text at run time.
        (T::String, T::StringList) => false,
        (T::String, _) | (_, T::String) => true,
        (T::StringList, _) => true,
        _ => false,
    }
}

/// The name of a type as policy files write it.
pub fn type_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::String => "string",
        FieldType::Boolean => "boolean",
        FieldType::Number => "number",
        FieldType::Datetime => "datetime",
        FieldType::StringList => "string_list",
    }
}

fn list(items: &[String]) -> String {
    let shown: Vec<String> = items.iter().take(8).map(|i| format!("`{i}`")).collect();
    if items.len() > 8 {
        format!("{} and {} more", shown.join(", "), items.len() - 8)
    } else {
        shown.join(", ")
    }
}

/// At most this many people get a copy of a workflow e-mail.
const MAX_CC: usize = 10;

/// Whether `text` is a language tag as e-mail tasks take: a language of two or three
/// letters, optionally a script and a region (`en`, `en-US`, `zh-Hant-TW`).
fn is_locale(text: &str) -> bool {
    let mut parts = text.split('-');
    let lang = parts.next().unwrap_or("");
    if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    let region = |p: &str| {
        (p.len() == 2 && p.bytes().all(|b| b.is_ascii_alphabetic()))
            || (p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let script = |p: &str| p.len() == 4 && p.bytes().all(|b| b.is_ascii_alphabetic());
    match rest.as_slice() {
        [] => true,
        [r] => region(r) || script(r),
        [s, r] => script(s) && region(r),
        _ => false,
    }
}
