//! Reading and checking test files: every name a test uses must exist in the policy set
//! (sources, fields, attributes, groups, packages, targets, target attributes, people,
//! diagnostic codes), with a did-you-mean; dates must be dates; fixture records need their
//! source's key. `roster lint` runs these checks too, so a test file that no longer fits the
//! policy set is caught where the policy changes.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::raw::{self, Named, TestFile};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, FileId, Span, did_you_mean};
use crate::files;
use crate::policy::Policy;
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::yaml::{self, Limits, Sp, YamlSource};

/// One test file that parsed.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    /// Its id in the policy set's source map.
    pub id: FileId,
    /// Its path on disk.
    pub path: PathBuf,
    /// Its contents.
    pub file: TestFile,
}

/// Reads every test file of `loaded` ([`Loaded::test_files`]) into its source map: the files
/// that parse, and the diagnostics of those that do not (`Y1xx`).
pub fn read(loaded: &mut Loaded) -> (Vec<ParsedFile>, Vec<Diagnostic>) {
    let limits = Limits::default();
    let max = u64::try_from(limits.max_file_bytes).unwrap_or(u64::MAX);
    let mut parsed = Vec::new();
    let mut diagnostics = Vec::new();
    for path in loaded.test_files.clone() {
        let name = path
            .strip_prefix(".")
            .unwrap_or(&path)
            .display()
            .to_string();
        let (text, problem) = match files::read_bounded(&path, max) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => (text, None),
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    let d = Diagnostic::new(
                        Code::YamlSyntax,
                        Span::new(at, at + 1),
                        "the file is not valid UTF-8",
                    )
                    .with_help("save test files as UTF-8");
                    (text, Some(d))
                }
            },
            Err(files::Refusal::TooLarge { size, limit }) => (
                String::new(),
                Some(
                    Diagnostic::new(
                        Code::YamlTooLarge,
                        Span::new(0, 0),
                        format!(
                            "the file is {}, larger than the limit of {}",
                            files::format_size(size),
                            files::format_size(limit)
                        ),
                    )
                    .with_help("split the tests into several files"),
                ),
            ),
            Err(refusal) => (
                String::new(),
                Some(
                    Diagnostic::new(
                        Code::PolicyFileRefused,
                        Span::new(0, 0),
                        format!("`{}` is not read: {refusal}", files::quote(&name)),
                    )
                    .with_help("a test file is a regular file that can be read"),
                ),
            ),
        };
        let id = loaded.sources.add(name, text);
        if let Some(mut d) = problem {
            d.file = id;
            diagnostics.push(d);
            continue;
        }
        let Some((_, text)) = loaded.sources.get(id) else {
            continue;
        };
        match yaml::parse::<Option<TestFile>>(id, text, &limits) {
            Ok(file) => parsed.push(ParsedFile {
                id,
                path,
                file: file.unwrap_or_default(),
            }),
            Err(mut diags) => diagnostics.append(&mut diags),
        }
    }
    (parsed, diagnostics)
}

/// Parses a date written in a test file (`YYYY-MM-DD`).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// The schema rules are checked against: the identity attributes and `memberOf` (as the
/// policy's own rules are).
pub fn rule_schema(policy: &Policy) -> crate::rule::Schema {
    use crate::policy::raw::FieldType;
    use crate::rule::{PropType, Property};
    let mut props: Vec<Property> = policy
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
    crate::rule::Schema::declared(props)
}

/// What the checks need to know besides the policy.
pub struct Context<'a> {
    /// The checked policy.
    pub policy: &'a Policy,
    /// The raw files (source keys, package rules).
    pub loaded: &'a Loaded,
    /// `--as-of`, when given; `None` with `need_as_of` makes a test without a date an error.
    pub as_of: Option<NaiveDate>,
    /// Whether a test without any as-of date is an error (`roster test`; `lint` does not ask).
    pub need_as_of: bool,
}

/// Checks every parsed test file against the policy set.
pub fn check(
    files: &[ParsedFile],
    cx: &Context<'_>,
    sources: &crate::diagnostics::SourceMap,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for f in files {
        let text = sources.get(f.id).map_or("", |(_, t)| t);
        let mut c = Checker {
            cx,
            file: f.id,
            yaml: YamlSource::new(text),
            out: &mut out,
        };
        c.file(&f.file);
    }
    out
}

struct Checker<'a, 'o> {
    cx: &'a Context<'a>,
    file: FileId,
    yaml: YamlSource<'a>,
    out: &'o mut Vec<Diagnostic>,
}

fn list(names: &[&str]) -> String {
    let shown: Vec<String> = names.iter().take(12).map(|n| format!("`{n}`")).collect();
    let more = names.len().saturating_sub(12);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

impl Checker<'_, '_> {
    fn push(&mut self, mut d: Diagnostic) {
        d.file = self.file;
        self.out.push(d);
    }

    fn unknown<'n>(
        &mut self,
        kind: &str,
        name: &Sp<String>,
        candidates: impl IntoIterator<Item = &'n str>,
    ) {
        let candidates: Vec<&str> = candidates.into_iter().collect();
        let help = match did_you_mean(&name.value, candidates.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if candidates.is_empty() => format!("the policy set defines no {kind}"),
            None => format!("the {kind}s are {}", list(&candidates)),
        };
        self.push(
            Diagnostic::new(
                Code::TestUnknownName,
                name.span,
                format!("unknown {kind} `{}`", name.value),
            )
            .with_help(help),
        );
    }

    /// Checks a name against a set; reports it when unknown. Returns whether it is known.
    fn known<'n>(
        &mut self,
        kind: &str,
        name: &Sp<String>,
        candidates: impl IntoIterator<Item = &'n str> + Clone,
    ) -> bool {
        if candidates.clone().into_iter().any(|c| c == name.value) {
            return true;
        }
        self.unknown(kind, name, candidates);
        false
    }

    fn date(&mut self, date: Option<&Sp<String>>) -> Option<NaiveDate> {
        let date = date?;
        let parsed = parse_date(&date.value);
        if parsed.is_none() {
            self.push(
                Diagnostic::new(
                    Code::TestInvalidDate,
                    date.span,
                    format!("`{}` is not a date", date.value),
                )
                .with_help("write the date as `YYYY-MM-DD`, e.g. `2026-01-15`"),
            );
        }
        parsed
    }

    fn file(&mut self, file: &TestFile) {
        let file_date = self.date(file.as_of.as_ref());
        let bad_file_date = file.as_of.is_some() && file_date.is_none();
        for (name, test) in &file.tests {
            let own = self.date(test.value.as_of.as_ref());
            let bad = test.value.as_of.is_some() && own.is_none();
            if !bad && !bad_file_date {
                self.dated(name, own.or(file_date), test.value.as_of.is_some());
            }
            self.scenario(name, &test.value);
        }
        for (name, test) in &file.rules {
            let own = self.date(test.value.as_of.as_ref());
            let bad = test.value.as_of.is_some() && own.is_none();
            if !bad && !bad_file_date {
                self.dated(name, own.or(file_date), test.value.as_of.is_some());
            }
            self.rule_test(name, &test.value);
        }
    }

    /// A test needs a date from itself, its file or `--as-of`.
    fn dated(&mut self, name: &Sp<String>, date: Option<NaiveDate>, own: bool) {
        if date.is_none() && !own && self.cx.as_of.is_none() && self.cx.need_as_of {
            self.push(
                Diagnostic::new(
                    Code::TestNoDate,
                    name.span,
                    format!("the test `{}` has no as-of date", name.value),
                )
                .with_help("give the test (or the file) `as_of: YYYY-MM-DD`, or run `roster test --as-of YYYY-MM-DD`: a test must not depend on the day it runs"),
            );
        }
    }

    fn scenario(&mut self, name: &Sp<String>, test: &raw::Scenario) {
        let policy = self.cx.policy;
        for (person, records) in &test.people {
            for (source, record) in &records.value {
                if !self.known("source", source, policy.sources.keys().map(String::as_str)) {
                    continue;
                }
                let key = self.source_key(&source.value);
                let fields: Vec<&str> = policy
                    .sources
                    .get(source.value.as_str())
                    .map(|s| s.fields.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                for field in record.value.keys() {
                    let known = fields.iter().copied().chain(key.as_deref());
                    self.known(&format!("field of source `{}`", source.value), field, known);
                }
                if let Some(key) = &key {
                    let has_key = record.value.iter().any(|(f, v)| {
                        f.value == *key && !v.value.is_null() && v.value.as_str() != Some("")
                    });
                    if !has_key {
                        self.push(
                            Diagnostic::new(
                                Code::TestFixtureWithoutKey,
                                source.span,
                                format!(
                                    "the record of `{}` in source `{}` has no key `{key}`",
                                    person.value, source.value
                                ),
                            )
                            .with_help(format!(
                                "give the record `{key}: ...`: a record without its key is skipped, so the person would not exist"
                            )),
                        );
                    }
                }
            }
        }
        for (person, expectation) in &test.expect {
            let people = test.people.keys().map(|k| k.value.as_str());
            if !self.known("person", person, people) {
                continue;
            }
            self.expectation(person, &expectation.value);
        }
        if let Some(codes) = &test.data_problems {
            self.codes(&codes.value);
        }
        if test.expect.is_empty() && test.data_problems.is_none() {
            self.push(
                Diagnostic::new(
                    Code::TestChecksNothing,
                    name.span,
                    format!("the test `{}` checks nothing", name.value),
                )
                .with_help("add `expect:` for a person, or `data_problems:`; a test without expectations always passes"),
            );
        }
    }

    fn source_key(&self, source: &str) -> Option<String> {
        self.cx
            .loaded
            .files
            .iter()
            .find_map(|f| f.policy.sources.get(source))
            .map(|s| s.value.key.value.clone())
    }

    fn codes(&mut self, codes: &[Sp<String>]) {
        for code in codes {
            let known = crate::codes::ALL.iter().map(|i| i.code.as_str());
            if !known.clone().any(|k| k == code.value) {
                let help = match did_you_mean(&code.value, known) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "`roster codes` lists the codes; data problems are `D1xx`, evaluation findings `E1xx` and `E2xx`".into(),
                };
                self.push(
                    Diagnostic::new(
                        Code::TestUnknownCode,
                        code.span,
                        format!("`{}` is not a diagnostic code", code.value),
                    )
                    .with_help(help),
                );
            }
        }
    }

    fn expectation(&mut self, person: &Sp<String>, e: &raw::Expectation) {
        let policy = self.cx.policy;
        for attribute in e.attributes.keys() {
            self.known(
                "identity attribute",
                attribute,
                policy.attributes.keys().map(String::as_str),
            );
        }
        for g in e.in_groups.iter().chain(&e.not_in_groups) {
            self.known("group", g, policy.groups.keys().map(String::as_str));
        }
        for p in e.in_packages.iter().chain(&e.not_in_packages) {
            self.known(
                "access package",
                p,
                policy.packages.keys().map(String::as_str),
            );
        }
        if let Some(names) = &e.workflows_due {
            for w in &names.value {
                self.known("workflow", w, policy.workflows.keys().map(String::as_str));
            }
        }
        for (target, account) in &e.accounts {
            if !self.known("target", target, policy.targets.keys().map(String::as_str)) {
                continue;
            }
            let attributes: Vec<&str> = policy
                .mappings
                .keys()
                .filter_map(|n| match n {
                    NodeId::TargetAttribute(t, a) if *t == target.value => Some(a.as_str()),
                    _ => None,
                })
                .collect();
            for attribute in account.value.attributes.keys() {
                self.known(
                    &format!("attribute of target `{}`", target.value),
                    attribute,
                    attributes.iter().copied(),
                );
            }
            if account
                .value
                .state
                .as_ref()
                .is_some_and(|s| s.value == raw::AccountState::Absent)
                && let Some(first) = account.value.attributes.keys().next()
            {
                self.push(
                    Diagnostic::new(
                        Code::TestContradiction,
                        first.span,
                        format!(
                            "an absent account of `{}` has no attributes to check",
                            person.value
                        ),
                    )
                    .with_help("remove `state: absent` or the attributes"),
                );
            }
        }
        for g in &e.in_groups {
            if let Some(other) = e.not_in_groups.iter().find(|o| o.value == g.value) {
                self.contradiction(person, "group", other);
            }
        }
        for p in &e.in_packages {
            if let Some(other) = e.not_in_packages.iter().find(|o| o.value == p.value) {
                self.contradiction(person, "access package", other);
            }
        }
        if let Some(conflicts) = &e.conflicts {
            for pair in &conflicts.value {
                if pair.value.len() != 2 {
                    self.push(
                        Diagnostic::new(
                            Code::TestConflictPair,
                            pair.span,
                            format!(
                                "a conflict is a pair of names; this one has {}",
                                pair.value.len()
                            ),
                        )
                        .with_help("write `[PACKAGE, PACKAGE]` or `[PACKAGE, GROUP]`, e.g. `[finance-ap-clerk, finance-payment-approver]`"),
                    );
                }
                for name in &pair.value {
                    let known = policy
                        .packages
                        .keys()
                        .chain(policy.groups.keys())
                        .map(String::as_str);
                    self.known("access package or group", name, known);
                }
            }
        }
        if let Some(codes) = &e.data_problems {
            self.codes(&codes.value);
        }
        let empty = e.lifecycle.is_none()
            && e.ignored.is_none()
            && e.attributes.is_empty()
            && e.in_groups.is_empty()
            && e.not_in_groups.is_empty()
            && e.in_packages.is_empty()
            && e.not_in_packages.is_empty()
            && e.accounts.is_empty()
            && e.conflicts.is_none()
            && e.data_problems.is_none()
            && e.workflows_due.is_none();
        if empty {
            self.push(
                Diagnostic::new(
                    Code::TestChecksNothing,
                    person.span,
                    format!("the expectation for `{}` checks nothing", person.value),
                )
                .with_help(
                    "say what must hold: `lifecycle`, `attributes`, `in_groups`, `accounts`...",
                ),
            );
        }
    }

    fn contradiction(&mut self, person: &Sp<String>, kind: &str, at: &Sp<String>) {
        self.push(
            Diagnostic::new(
                Code::TestContradiction,
                at.span,
                format!(
                    "`{}` is expected both in and not in the {kind} `{}`",
                    person.value, at.value
                ),
            )
            .with_help("keep one of the two expectations"),
        );
    }

    fn rule_test(&mut self, name: &Sp<String>, test: &raw::RuleTest) {
        let policy = self.cx.policy;
        let subjects = [
            test.group.as_ref(),
            test.access_package.as_ref(),
            test.rule.as_ref(),
        ];
        let given = subjects.iter().flatten().count();
        if given != 1 {
            self.push(
                Diagnostic::new(
                    Code::TestRuleSubject,
                    name.span,
                    format!(
                        "the rule test `{}` names {} rules",
                        name.value,
                        if given == 0 { "no" } else { "several" }
                    ),
                )
                .with_help("give exactly one of `group: NAME` (a dynamic group), `access_package: NAME` (its auto-assignment rule) or `rule: TEXT`"),
            );
        }
        if let Some(group) = &test.group
            && self.known("group", group, policy.groups.keys().map(String::as_str))
            && super::run::rule_of(policy, &NodeId::Group(group.value.clone())).is_none()
        {
            self.push(
                Diagnostic::new(
                    Code::TestRuleSubject,
                    group.span,
                    format!("the group `{}` has no membership rule", group.value),
                )
                .with_help("a rule test tests a dynamic group (one with `rule:`); test a static group's members with a scenario's `in_groups`"),
            );
        }
        if let Some(package) = &test.access_package
            && self.known(
                "access package",
                package,
                policy.packages.keys().map(String::as_str),
            )
            && super::run::rule_of(policy, &NodeId::Package(package.value.clone())).is_none()
        {
            self.push(
                Diagnostic::new(
                    Code::TestRuleSubject,
                    package.span,
                    format!(
                        "the access package `{}` has no auto-assignment rule",
                        package.value
                    ),
                )
                .with_help("a rule test tests a package's `auto_assignment.rule`; test requested assignments with a scenario"),
            );
        }
        if let Some(rule) = &test.rule {
            let schema = rule_schema(policy);
            let (_, diags) = crate::rule::compile_str(&rule.value, &schema);
            for mut d in diags {
                d.span = self.yaml.inner_span(rule, d.span);
                for label in &mut d.labels {
                    label.span = self.yaml.inner_span(rule, label.span);
                    label.file = self.file;
                }
                self.push(d);
            }
        }
        for set in test.matches.iter().chain(&test.does_not_match) {
            self.attribute_set(&set.value);
        }
        if test.matches.is_empty() && test.does_not_match.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::TestChecksNothing,
                    name.span,
                    format!("the rule test `{}` checks nothing", name.value),
                )
                .with_help("add attribute sets under `matches:` and `does_not_match:`"),
            );
        }
    }

    fn attribute_set(&mut self, set: &Named<raw::Value>) {
        let policy = self.cx.policy;
        for name in set.keys() {
            let known = policy
                .attributes
                .keys()
                .map(String::as_str)
                .chain(["memberOf"]);
            self.known("identity attribute", name, known);
        }
    }
}
