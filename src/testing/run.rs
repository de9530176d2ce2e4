//! Running tests: a scenario's fixture records replace the data files of the policy set's
//! sources and go through the real evaluation ([`crate::eval::evaluate`]); a rule test
//! evaluates one compiled rule against attribute sets.
//!
//! Fixtures are read exactly as data is, without touching the disk: each source's records
//! become a JSON array that the reader types by the source's declared fields
//! ([`crate::ingest::read_in_memory`]), and the datasets go to
//! [`crate::eval::evaluate_with`], the evaluation of data already read. Every source is
//! optional in a test (a source no fixture person has a record in is empty, not an error).
//! Values keep the meaning they have in the source's own format: an empty string is no value
//! for a CSV or SCIM source, and a `string_list` written as one string is split on `;` for a
//! CSV source.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde_json::Value as Json;

use super::check::ParsedFile;
use super::raw::{self, Named};
use crate::diagnostics::{FileId, Span};
use crate::eval::{AccountState, DesiredState, IdentityState};
use crate::ingest::DataIssue;
use crate::policy::Policy;
use crate::policy::compile::ProgramKind;
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::policy::raw::{FieldType, SourceFormat};
use crate::value::Value;
use crate::yaml::Sp;

/// The kind of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Fixture people through the whole policy set.
    Scenario,
    /// One rule against attribute sets.
    Rule,
}

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The expectation, in the test file.
    pub span: Span,
    /// What was checked, e.g. ``attribute `mail` of `john` ``.
    pub what: String,
    /// What the test expects.
    pub expected: String,
    /// What the evaluation gave.
    pub actual: String,
    /// More, when there is more to say (the data problems that explain it...).
    pub note: Option<String>,
}

/// The result of one test.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The test file.
    pub file: FileId,
    /// The test's name.
    pub name: String,
    /// Where the name is.
    pub span: Span,
    /// Scenario or rule test.
    pub kind: Kind,
    /// The date evaluated for.
    pub as_of: Option<NaiveDate>,
    /// What did not hold; empty when the test passed.
    pub failures: Vec<Failure>,
    /// Why the test could not run, when it could not (the fixtures stop evaluation).
    pub error: Option<String>,
}

impl Outcome {
    /// Whether the test passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.error.is_none()
    }
}

/// The compiled rule of a group (its membership rule) or a package (its auto-assignment rule).
pub fn rule_of<'p>(policy: &'p Policy, node: &NodeId) -> Option<&'p crate::rule::RuleProgram> {
    policy.programs.iter().find_map(|p| match &p.kind {
        ProgramKind::Rule { node: n, program } if n == node => Some(program.as_ref()),
        _ => None,
    })
}

/// Everything a run needs.
pub struct Runner<'a> {
    /// The policy set as loaded.
    pub loaded: &'a Loaded,
    /// The checked policy.
    pub policy: &'a Policy,
    /// `--as-of`.
    pub as_of: Option<NaiveDate>,
    /// What the tests exercised.
    pub coverage: &'a mut super::coverage::Coverage,
}

/// One fixture record on its way to a file.
struct FixtureRecord<'t> {
    person: &'t str,
    json: serde_json::Map<String, Json>,
}

impl Runner<'_> {
    /// Runs every test of `files` in file order, then name order as written.
    pub fn run(&mut self, files: &[ParsedFile]) -> Vec<Outcome> {
        let mut out = Vec::new();
        for f in files {
            let text = self.loaded.sources.get(f.id).map_or("", |(_, t)| t);
            let file_date = f
                .file
                .as_of
                .as_ref()
                .and_then(|d| super::check::parse_date(&d.value));
            for (name, test) in &f.file.tests {
                let as_of = test
                    .value
                    .as_of
                    .as_ref()
                    .and_then(|d| super::check::parse_date(&d.value))
                    .or(file_date)
                    .or(self.as_of);
                let mut outcome = Outcome {
                    file: f.id,
                    name: name.value.clone(),
                    span: name.span,
                    kind: Kind::Scenario,
                    as_of,
                    failures: Vec::new(),
                    error: None,
                };
                match as_of {
                    Some(as_of) => self.scenario(&test.value, as_of, text, &mut outcome),
                    None => outcome.error = Some("the test has no as-of date".into()),
                }
                out.push(outcome);
            }
            for (name, test) in &f.file.rules {
                let as_of = test
                    .value
                    .as_of
                    .as_ref()
                    .and_then(|d| super::check::parse_date(&d.value))
                    .or(file_date)
                    .or(self.as_of);
                let mut outcome = Outcome {
                    file: f.id,
                    name: name.value.clone(),
                    span: name.span,
                    kind: Kind::Rule,
                    as_of,
                    failures: Vec::new(),
                    error: None,
                };
                match as_of {
                    Some(as_of) => self.rule_test(&test.value, as_of, text, &mut outcome),
                    None => outcome.error = Some("the test has no as-of date".into()),
                }
                out.push(outcome);
            }
        }
        out
    }

    // ------------------------------------------------------------------------------------
    // Rule tests
    // ------------------------------------------------------------------------------------

    fn rule_test(
        &mut self,
        test: &raw::RuleTest,
        as_of: NaiveDate,
        text: &str,
        outcome: &mut Outcome,
    ) {
        let inline;
        let (program, node) = if let Some(group) = &test.group {
            let node = NodeId::Group(group.value.clone());
            (rule_of(self.policy, &node), Some(node))
        } else if let Some(package) = &test.access_package {
            let node = NodeId::Package(package.value.clone());
            (rule_of(self.policy, &node), Some(node))
        } else if let Some(rule) = &test.rule {
            let schema = super::check::rule_schema(self.policy);
            inline = crate::rule::compile_str(&rule.value, &schema).0;
            (inline.as_ref(), None)
        } else {
            (None, None)
        };
        let Some(program) = program else {
            outcome.error = Some("the rule to test is not there, or does not compile".into());
            return;
        };
        let ctx = crate::rule::RuleContext {
            now: as_of.and_hms_opt(0, 0, 0).unwrap_or_default(),
        };
        let sets = test
            .matches
            .iter()
            .map(|s| (s, true))
            .chain(test.does_not_match.iter().map(|s| (s, false)));
        for (set, want) in sets {
            let input: serde_json::Map<String, Json> = set
                .value
                .iter()
                .map(|(k, v)| (k.value.clone(), as_written(v, text)))
                .collect();
            let values = program.values_from_json(&input);
            let truth = program.decide(&values, &ctx);
            if let Some(node) = &node
                && let Some(got) = truth.decided()
            {
                self.coverage.rule_outcome(node, got);
            }
            let shown = crate::escape::json_compact(&Json::Object(input));
            match truth.decided() {
                Some(got) if got == want => {}
                Some(got) => outcome.failures.push(Failure {
                    span: set.span,
                    what: format!("the rule on {shown}"),
                    expected: if want { "a match" } else { "no match" }.into(),
                    actual: if got { "a match" } else { "no match" }.into(),
                    note: None,
                }),
                None => {
                    let why = match &truth {
                        crate::rule::eval::Truth::Unknown(d) => d.message.clone(),
                        _ => String::new(),
                    };
                    outcome.failures.push(Failure {
                        span: set.span,
                        what: format!("the rule on {shown}"),
                        expected: if want { "a match" } else { "no match" }.into(),
                        actual: "undecided".into(),
                        note: Some(why),
                    });
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------
    // Scenarios
    // ------------------------------------------------------------------------------------

    fn scenario(
        &mut self,
        test: &raw::Scenario,
        as_of: NaiveDate,
        text: &str,
        outcome: &mut Outcome,
    ) {
        // The fixture records of each source, in the order the people are written.
        let mut by_source: BTreeMap<&str, Vec<FixtureRecord<'_>>> = BTreeMap::new();
        for (person, records) in &test.people {
            for (source, record) in &records.value {
                let Some(def) = self.raw_source(&source.value) else {
                    continue;
                };
                let json = fixture_record(&record.value, def, text);
                by_source
                    .entry(source.value.as_str())
                    .or_default()
                    .push(FixtureRecord {
                        person: person.value.as_str(),
                        json,
                    });
            }
        }
        let (state, files) = self.evaluate(&by_source, as_of);
        if state.cannot_run() {
            let problems: Vec<String> = state
                .issues
                .iter()
                .filter(|i| i.code.stops_evaluation())
                .map(|i| describe_issue(i, &files, &by_source))
                .collect();
            outcome.error = Some(format!(
                "the fixtures could not be evaluated: {}",
                problems.join("; ")
            ));
            return;
        }
        self.coverage
            .observe(self.policy, &state, as_of, self.loaded);

        // Which identity holds each person's records.
        let mut holder: HashMap<(&str, usize), usize> = HashMap::new();
        for (i, person) in state.identities.people.iter().enumerate() {
            for (d, r) in &person.records {
                let Some(data) = state.identities.datasets.get(*d) else {
                    continue;
                };
                holder.insert((data.source.as_str(), data.row(*r)), i);
            }
        }
        let mut identities_of: HashMap<&str, BTreeSet<usize>> = HashMap::new();
        for (source, records) in &by_source {
            for (n, record) in records.iter().enumerate() {
                if let Some(i) = holder.get(&(*source, n + 1)) {
                    identities_of.entry(record.person).or_default().insert(*i);
                }
            }
        }
        // The data problems, by person (those on a fixture record) and for the whole run.
        let mut problems_of: HashMap<&str, Vec<&DataIssue>> = HashMap::new();
        for issue in &state.issues {
            if let Some(person) = person_of(issue, &files, &by_source) {
                problems_of.entry(person).or_default().push(issue);
            }
        }

        for (person, e) in &test.expect {
            let ids = identities_of.get(person.value.as_str());
            let found: Vec<usize> = ids.map(|s| s.iter().copied().collect()).unwrap_or_default();
            let problems = problems_of
                .get(person.value.as_str())
                .cloned()
                .unwrap_or_default();
            if let Some(want) = &e.value.data_problems {
                check_codes(
                    &format!("the data problems of `{}`", person.value),
                    want,
                    &problems,
                    &files,
                    &by_source,
                    outcome,
                );
            }
            let identity = match found.as_slice() {
                [i] => state.identities.get(*i),
                _ => None,
            };
            let Some(identity) = identity else {
                if !only_data_problems(&e.value) {
                    let keys: Vec<String> = found
                        .iter()
                        .filter_map(|i| state.identities.key(*i))
                        .map(|k| format!("`{k}`"))
                        .collect();
                    let actual = if found.is_empty() {
                        "no identity".to_string()
                    } else {
                        format!("{} identities ({})", found.len(), keys.join(", "))
                    };
                    let note = if problems.is_empty() {
                        None
                    } else {
                        Some(
                            problems
                                .iter()
                                .map(|i| describe_issue(i, &files, &by_source))
                                .collect::<Vec<_>>()
                                .join("; "),
                        )
                    };
                    outcome.failures.push(Failure {
                        span: person.span,
                        what: format!("the records of `{}`", person.value),
                        expected: "one identity".into(),
                        actual,
                        note,
                    });
                }
                continue;
            };
            let conflicts: Vec<&crate::eval::report::Conflict> = state
                .conflicts
                .iter()
                .filter(|c| c.identity == identity.key)
                .collect();
            expect_identity(
                &person.value,
                &e.value,
                &identity,
                &conflicts,
                text,
                outcome,
            );
            if let Some(want) = &e.value.workflows_due {
                expect_workflows(&person.value, want, &identity.key, &state, outcome);
            }
        }
        if let Some(want) = &test.data_problems {
            let all: Vec<&DataIssue> = state.issues.iter().collect();
            check_codes(
                "the data problems of the run",
                want,
                &all,
                &files,
                &by_source,
                outcome,
            );
        }
    }

    /// The raw declaration of a source.
    fn raw_source(&self, name: &str) -> Option<&crate::policy::raw::Source> {
        self.loaded
            .files
            .iter()
            .find_map(|f| f.policy.sources.get(name))
            .map(|s| &s.value)
    }

    /// Reads the fixtures as each source's data and evaluates the policy set over them.
    /// Returns the state and the source of each fixture "file", as issues name it.
    fn evaluate(
        &self,
        by_source: &BTreeMap<&str, Vec<FixtureRecord<'_>>>,
        as_of: NaiveDate,
    ) -> (DesiredState, HashMap<String, String>) {
        let mut datasets = Vec::new();
        let mut issues = Vec::new();
        let mut names = HashMap::new();
        for file in &self.loaded.files {
            for (name, source) in &file.policy.sources {
                let records: Vec<Json> = by_source
                    .get(name.value.as_str())
                    .map(|r| r.iter().map(|r| Json::Object(r.json.clone())).collect())
                    .unwrap_or_default();
                let bytes = crate::escape::json_compact(&Json::Array(records));
                let mut fixture = source.value.clone();
                fixture.format.value = SourceFormat::Json;
                fixture.delimiter = None;
                let label = format!("fixtures of `{}`", name.value);
                names.insert(label.clone(), name.value.clone());
                let (data, mut problems) =
                    crate::ingest::read_in_memory(&name.value, &fixture, bytes.as_bytes(), &label);
                issues.append(&mut problems);
                // Every source is optional in a test: one without records is empty.
                if let Some(data) = data {
                    datasets.push(data);
                }
            }
        }
        let read = crate::eval::ReadData {
            datasets: std::sync::Arc::new(datasets),
            issues,
        };
        let state = crate::eval::evaluate_with(
            self.loaded,
            self.policy,
            crate::eval::Options::at(as_of),
            &read,
        );
        (state, names)
    }
}

/// Whether an expectation checks data problems only (which need no identity).
fn only_data_problems(e: &raw::Expectation) -> bool {
    e.data_problems.is_some()
        && e.lifecycle.is_none()
        && e.ignored.is_none()
        && e.attributes.is_empty()
        && e.in_groups.is_empty()
        && e.not_in_groups.is_empty()
        && e.in_packages.is_empty()
        && e.not_in_packages.is_empty()
        && e.accounts.is_empty()
        && e.conflicts.is_none()
        && e.workflows_due.is_none()
}

/// The fixture person whose record an issue is about.
fn person_of<'t>(
    issue: &DataIssue,
    files: &HashMap<String, String>,
    by_source: &BTreeMap<&str, Vec<FixtureRecord<'t>>>,
) -> Option<&'t str> {
    let source = files.get(&issue.file)?;
    let row = issue.row?;
    let records = by_source.get(source.as_str())?;
    records.get(row.checked_sub(1)?).map(|r| r.person)
}

/// An issue in words, with the fixture in place of the temporary file.
fn describe_issue(
    issue: &DataIssue,
    files: &HashMap<String, String>,
    by_source: &BTreeMap<&str, Vec<FixtureRecord<'_>>>,
) -> String {
    let mut at = match files.get(&issue.file) {
        Some(source) => match person_of(issue, files, by_source) {
            Some(person) => format!("the `{source}` record of `{person}`"),
            None => format!("source `{source}`"),
        },
        None => format!("`{}`", issue.file),
    };
    if let Some(field) = &issue.field {
        at.push_str(&format!(", field `{field}`"));
    }
    format!("{} {}: {}", issue.code.as_str(), at, issue.message)
}

fn check_codes(
    what: &str,
    want: &Sp<Vec<Sp<String>>>,
    issues: &[&DataIssue],
    files: &HashMap<String, String>,
    by_source: &BTreeMap<&str, Vec<FixtureRecord<'_>>>,
    outcome: &mut Outcome,
) {
    let expected: BTreeSet<&str> = want.value.iter().map(|c| c.value.as_str()).collect();
    let actual: BTreeSet<&str> = issues.iter().map(|i| i.code.as_str()).collect();
    if expected == actual {
        return;
    }
    let unexpected: Vec<String> = issues
        .iter()
        .filter(|i| !expected.contains(i.code.as_str()))
        .map(|i| describe_issue(i, files, by_source))
        .collect();
    outcome.failures.push(Failure {
        span: want.span,
        what: what.to_string(),
        expected: codes_text(&expected),
        actual: codes_text(&actual),
        note: (!unexpected.is_empty()).then(|| unexpected.join("; ")),
    });
}

fn codes_text(codes: &BTreeSet<&str>) -> String {
    if codes.is_empty() {
        "none".into()
    } else {
        codes.iter().copied().collect::<Vec<_>>().join(", ")
    }
}

/// A fixture record as a JSON object for the reader, typed as the source's own format would
/// read it.
fn fixture_record(
    record: &Named<raw::Value>,
    source: &crate::policy::raw::Source,
    text: &str,
) -> serde_json::Map<String, Json> {
    let format = source.format.value;
    let empty_is_null = matches!(format, SourceFormat::Csv | SourceFormat::Scim);
    let mut out = serde_json::Map::new();
    for (field, value) in record {
        let ty = source.fields.get(field.value.as_str()).map(|t| t.value);
        if let Some(v) = fixture_value(value, ty, format, empty_is_null, text) {
            out.insert(field.value.clone(), v);
        }
    }
    // Fields not given are empty (and not missing from the file).
    for field in source.fields.keys() {
        if !out.contains_key(field.value.as_str()) {
            out.insert(field.value.clone(), Json::Null);
        }
    }
    out
}

fn fixture_value(
    value: &Sp<raw::Value>,
    ty: Option<FieldType>,
    format: SourceFormat,
    empty_is_null: bool,
    text: &str,
) -> Option<Json> {
    let scalar = |v: &Json, raw: Option<&str>| -> Option<String> {
        match v {
            Json::Null => None,
            Json::String(s) if s.is_empty() && empty_is_null => None,
            Json::String(s) => Some(s.clone()),
            // A number keeps the text it was written with (`0042`, `1.50`).
            Json::Number(n) => Some(raw.map_or_else(|| n.to_string(), str::to_string)),
            Json::Bool(b) => Some(b.to_string()),
            Json::Array(_) | Json::Object(_) => None,
        }
    };
    match &value.value {
        Json::Array(items) => {
            let items: Vec<Json> = items
                .iter()
                .filter_map(|i| scalar(i, None))
                .map(Json::String)
                .collect();
            (!items.is_empty()).then_some(Json::Array(items))
        }
        Json::Object(_) => Some(value.value.clone()),
        v => {
            let raw = text
                .get(value.span.start..value.span.end)
                .map(str::trim)
                .filter(|r| !r.is_empty());
            let s = scalar(v, raw)?;
            if ty == Some(FieldType::StringList) && format == SourceFormat::Csv {
                let items: Vec<Json> = s
                    .split(';')
                    .map(str::trim)
                    .filter(|i| !i.is_empty())
                    .map(|i| Json::String(i.to_string()))
                    .collect();
                return (!items.is_empty()).then_some(Json::Array(items));
            }
            Some(Json::String(s))
        }
    }
}

// ----------------------------------------------------------------------------------------
// Expectations
// ----------------------------------------------------------------------------------------

/// Whether an expected value (from YAML) matches a computed one. Values compare as the report
/// writes them, with a number equal to a string of the same text (YAML reads `1001` as a
/// number), a boolean equal to the string `True` or `False` in any case (Entra's boolean
/// attributes), a date equal to any text that parses to the same instant, and lists item by
/// item.
pub fn matches(expected: &Json, actual: &Value) -> bool {
    match (expected, actual) {
        (Json::Null, a) => a.is_null(),
        (_, Value::Null) => false,
        (Json::Array(items), Value::List(values)) => {
            items.len() == values.len() && items.iter().zip(values).all(|(e, a)| matches(e, a))
        }
        (Json::Array(_), _) | (_, Value::List(_)) => false,
        (Json::String(s), Value::Date(d)) => {
            crate::dotnet::datetime::parse(s).is_ok_and(|p| p == *d)
        }
        (Json::Object(_), a) => *expected == a.to_json(),
        // Entra's boolean attributes are often the strings `True` and `False`.
        (Json::Bool(b), Value::Str(s)) => s.trim().eq_ignore_ascii_case(&b.to_string()),
        (e, a) => {
            let want = match e {
                Json::String(s) => s.clone(),
                Json::Number(n) => n.to_string(),
                Json::Bool(b) => b.to_string(),
                _ => return false,
            };
            let got = match a {
                Value::Str(s) => s.clone(),
                Value::Int(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Date(d) => crate::dotnet::datetime::render(d),
                other => other.to_json().to_string(),
            };
            want == got
        }
    }
}

/// A value as written in the test file: a plain number that YAML would change (`0042`,
/// `1.50`, `1e3`) keeps the text it was written with, as a string.
pub fn as_written(value: &Sp<Json>, text: &str) -> Json {
    match &value.value {
        Json::Number(n) => {
            let raw = text
                .get(value.span.start..value.span.end)
                .map(str::trim)
                .unwrap_or_default();
            let same = raw.parse::<i64>().is_ok_and(|i| i.to_string() == raw);
            if same || raw.is_empty() {
                Json::Number(n.clone())
            } else {
                Json::String(raw.to_string())
            }
        }
        other => other.clone(),
    }
}

/// A computed value as a failure shows it.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "no value".into(),
        other => crate::escape::json_compact(&other.to_json()),
    }
}

fn show_expected(v: &Json) -> String {
    match v {
        Json::Null => "no value".into(),
        other => crate::escape::json_compact(other),
    }
}

fn lifecycle_word(l: raw::Lifecycle) -> &'static str {
    match l {
        raw::Lifecycle::NotYetHired => "not_yet_hired",
        raw::Lifecycle::PreHire => "pre_hire",
        raw::Lifecycle::Active => "active",
        raw::Lifecycle::Leaver => "leaver",
        raw::Lifecycle::Deleted => "deleted",
        raw::Lifecycle::Unknown => "unknown",
    }
}

fn state_word(s: Option<AccountState>) -> &'static str {
    match s {
        None => "absent",
        Some(AccountState::Enabled) => "enabled",
        Some(AccountState::Disabled) => "disabled",
        Some(AccountState::Held) => "held",
    }
}

/// The workflows that run for `key` on the as-of date, against the names expected (a set).
fn expect_workflows(
    person: &str,
    want: &Sp<Vec<Sp<String>>>,
    key: &str,
    state: &DesiredState,
    outcome: &mut Outcome,
) {
    let mut got: Vec<&str> = state
        .due
        .iter()
        .filter(|e| {
            e.kind == crate::governance::EventKind::WorkflowRun
                && matches!(&e.subject, crate::governance::Subject::Identity(k) if k == key)
        })
        .filter_map(|e| e.source.strip_prefix("workflow:"))
        .collect();
    got.sort_unstable();
    got.dedup();
    let mut expected: Vec<&str> = want.value.iter().map(|w| w.value.as_str()).collect();
    expected.sort_unstable();
    expected.dedup();
    if got != expected {
        let list = |l: &[&str]| {
            if l.is_empty() {
                "none".to_string()
            } else {
                l.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        outcome.failures.push(Failure {
            span: want.span,
            what: format!("the workflows that run for `{person}` on the as-of date"),
            expected: list(&expected),
            actual: list(&got),
            note: None,
        });
    }
}

fn expect_identity(
    person: &str,
    e: &raw::Expectation,
    identity: &IdentityState,
    conflicts: &[&crate::eval::report::Conflict],
    text: &str,
    outcome: &mut Outcome,
) {
    fn fail(outcome: &mut Outcome, span: Span, what: String, expected: String, actual: String) {
        outcome.failures.push(Failure {
            span,
            what,
            expected,
            actual,
            note: None,
        });
    }
    if let Some(want) = &e.lifecycle {
        let got = identity.lifecycle;
        if lifecycle_word(want.value) != got.word() {
            fail(
                outcome,
                want.span,
                format!("the lifecycle of `{person}`"),
                lifecycle_word(want.value).into(),
                got.word().into(),
            );
        }
    }
    if let Some(want) = &e.ignored
        && want.value != identity.ignored
    {
        fail(
            outcome,
            want.span,
            format!("whether `{person}` is ignored (`IgnoreObjectFlow`)"),
            want.value.to_string(),
            identity.ignored.to_string(),
        );
    }
    for (name, want) in &e.attributes {
        let got = identity
            .attributes
            .get(name.value.as_str())
            .cloned()
            .unwrap_or(Value::Null);
        let want_value = as_written(want, text);
        if !matches(&want_value, &got) {
            fail(
                outcome,
                want.span,
                format!("attribute `{}` of `{person}`", name.value),
                show_expected(&want_value),
                show(&got),
            );
        }
    }
    let member = |list: &[String], name: &str| list.iter().any(|g| g == name);
    for (names, list, kind, want_in) in [
        (&e.in_groups, &identity.groups, "group", true),
        (&e.not_in_groups, &identity.groups, "group", false),
        (
            &e.in_packages,
            &identity.access_packages,
            "access package",
            true,
        ),
        (
            &e.not_in_packages,
            &identity.access_packages,
            "access package",
            false,
        ),
    ] {
        for name in names {
            let got = member(list, &name.value);
            if got != want_in {
                let word = |b: bool| if b { "a member" } else { "not a member" };
                let (expected, actual) = if kind == "group" {
                    (word(want_in), word(got))
                } else if want_in {
                    ("holds it", "does not hold it")
                } else {
                    ("does not hold it", "holds it")
                };
                let undetermined = identity
                    .undetermined
                    .iter()
                    .find(|u| u.of.ends_with(&format!(":{}", name.value)));
                outcome.failures.push(Failure {
                    span: name.span,
                    what: format!("{kind} `{}` for `{person}`", name.value),
                    expected: expected.into(),
                    actual: actual.into(),
                    note: undetermined.map(|u| format!("undetermined: {}", u.reason)),
                });
            }
        }
    }
    for (target, want) in &e.accounts {
        let account = identity.accounts.get(target.value.as_str());
        let got = account.map(|a| a.state);
        if let Some(state) = &want.value.state {
            let ok = match state.value {
                raw::AccountState::Present => got.is_some(),
                raw::AccountState::Absent => got.is_none(),
                raw::AccountState::Enabled => got == Some(AccountState::Enabled),
                raw::AccountState::Disabled => got == Some(AccountState::Disabled),
                raw::AccountState::Held => got == Some(AccountState::Held),
            };
            if !ok {
                let expected = match state.value {
                    raw::AccountState::Present => "present",
                    raw::AccountState::Absent => "absent",
                    raw::AccountState::Enabled => "enabled",
                    raw::AccountState::Disabled => "disabled",
                    raw::AccountState::Held => "held",
                };
                outcome.failures.push(Failure {
                    span: state.span,
                    what: format!("the `{}` account of `{person}`", target.value),
                    expected: expected.into(),
                    actual: state_word(got).into(),
                    note: None,
                });
            }
        }
        for (name, value) in &want.value.attributes {
            let Some(account) = account else {
                outcome.failures.push(Failure {
                    span: value.span,
                    what: format!(
                        "attribute `{}` of the `{}` account of `{person}`",
                        name.value, target.value
                    ),
                    expected: show_expected(&as_written(value, text)),
                    actual: "no account".into(),
                    note: None,
                });
                continue;
            };
            let got = account
                .attributes
                .get(name.value.as_str())
                .cloned()
                .unwrap_or(Value::Null);
            let want_value = as_written(value, text);
            if !matches(&want_value, &got) {
                outcome.failures.push(Failure {
                    span: value.span,
                    what: format!(
                        "attribute `{}` of the `{}` account of `{person}`",
                        name.value, target.value
                    ),
                    expected: show_expected(&want_value),
                    actual: show(&got),
                    note: (account.state == AccountState::Held)
                        .then(|| "the account is held: no attribute is decided".to_string()),
                });
            }
        }
    }
    if let Some(want) = &e.conflicts {
        let pair = |a: &str, b: &str| -> (String, String) {
            if a <= b {
                (a.to_string(), b.to_string())
            } else {
                (b.to_string(), a.to_string())
            }
        };
        let expected: BTreeSet<(String, String)> = want
            .value
            .iter()
            .filter_map(|p| match p.value.as_slice() {
                [a, b] => Some(pair(&a.value, &b.value)),
                _ => None,
            })
            .collect();
        let actual: BTreeSet<(String, String)> = conflicts
            .iter()
            .map(|c| pair(&c.first.name, &c.second.name))
            .collect();
        if expected != actual {
            let text = |set: &BTreeSet<(String, String)>| {
                if set.is_empty() {
                    "none".to_string()
                } else {
                    set.iter()
                        .map(|(a, b)| format!("`{a}` with `{b}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            fail(
                outcome,
                want.span,
                format!("the separation-of-duties conflicts of `{person}`"),
                text(&expected),
                text(&actual),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn date(s: &str) -> Value {
        Value::Date(crate::dotnet::datetime::parse(s).unwrap())
    }

    #[test]
    fn values_compare_as_written() {
        // Strings exactly, case included.
        assert!(matches(&json!("Sales"), &Value::Str("Sales".into())));
        assert!(!matches(&json!("sales"), &Value::Str("Sales".into())));
        // YAML numbers against text, and against numbers.
        assert!(matches(&json!(1001), &Value::Str("1001".into())));
        assert!(matches(&json!("1001"), &Value::Int(1001)));
        assert!(!matches(&json!(1001), &Value::Str("01001".into())));
        // Booleans against booleans, and Entra's `True`/`False` strings.
        assert!(matches(&json!(true), &Value::Bool(true)));
        assert!(matches(&json!(false), &Value::Str("False".into())));
        assert!(!matches(&json!(true), &Value::Str("yes".into())));
        assert!(!matches(&json!(true), &Value::Bool(false)));
        // Dates by instant, whatever the text.
        assert!(matches(&json!("2026-02-02"), &date("2026-02-02")));
        assert!(matches(&json!("2/2/2026 12:00:00 AM"), &date("2026-02-02")));
        assert!(!matches(&json!("2026-02-03"), &date("2026-02-02")));
        // null is no value, and only that.
        assert!(matches(&json!(null), &Value::Null));
        assert!(!matches(&json!(null), &Value::Str(String::new())));
        assert!(!matches(&json!(""), &Value::Null));
        // Lists item by item, in order.
        let list = Value::List(vec![Value::Str("a".into()), Value::Str("b".into())]);
        assert!(matches(&json!(["a", "b"]), &list));
        assert!(!matches(&json!(["b", "a"]), &list));
        assert!(!matches(&json!(["a"]), &list));
        assert!(!matches(&json!("a"), &list));
    }

    #[test]
    fn numbers_keep_the_text_they_were_written_with() {
        let text = "a: 0042\nb: 42\nc: 1.50\n";
        let at = |start: usize, end: usize, v: Json| Sp::new(v, Span::new(start, end));
        assert_eq!(as_written(&at(3, 7, json!(42.0)), text), json!("0042"));
        assert_eq!(as_written(&at(11, 13, json!(42)), text), json!(42));
        assert_eq!(as_written(&at(17, 21, json!(1.5)), text), json!("1.50"));
    }
}
