//! The desired state: what `roster eval` reports. The JSON form is canonical (identities sorted
//! by key, attributes in declaration order, groups and packages sorted) and documented by the
//! JSON Schema `schemas/desired-state.schema.json`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use super::correlate::SourceRef;
use crate::column::Column;
use crate::escape::{clip_message, csv_line, markdown_code, markdown_message, markdown_text};
use crate::ingest::DataIssue;
use crate::rule::sets::Bitset;
use crate::value::Value;

/// The lifecycle state of an identity on the as-of date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// Hired later than the pre-hire window: no account yet.
    NotYetHired,
    /// Within the pre-hire window before the hire date: the account exists, disabled.
    PreHire,
    /// Between hire and leave.
    Active,
    /// After the leave date, within the retention window: disabled.
    Leaver,
    /// After the retention window: the account is deleted.
    Deleted,
    /// Cannot be determined: the hire date is missing or not a date, the leave date is not a
    /// date, or the status is empty or not listed. No account is enabled and no access is
    /// granted; every account is `held`: whatever exists is kept as it is (no grant, no
    /// removal).
    Unknown,
}

impl Lifecycle {
    /// The state's name, as the report writes it.
    pub fn word(self) -> &'static str {
        match self {
            Lifecycle::NotYetHired => "not_yet_hired",
            Lifecycle::PreHire => "pre_hire",
            Lifecycle::Active => "active",
            Lifecycle::Leaver => "leaver",
            Lifecycle::Deleted => "deleted",
            Lifecycle::Unknown => "unknown",
        }
    }

    /// Whether an account exists in this state (it may be disabled). `unknown` has none that
    /// Roster decides: its accounts are held.
    pub fn has_account(self) -> bool {
        matches!(
            self,
            Lifecycle::PreHire | Lifecycle::Active | Lifecycle::Leaver
        )
    }

    /// Whether the lifecycle enables the account (a target's enable/disable mapping may still
    /// disable it).
    pub fn enabled(self) -> bool {
        matches!(self, Lifecycle::Active)
    }

    /// Whether the identity's accounts and access are held as they are.
    pub fn held(self) -> bool {
        matches!(self, Lifecycle::Unknown)
    }
}

/// The state of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    /// The account exists and is enabled.
    Enabled,
    /// The account exists, disabled.
    Disabled,
    /// The lifecycle is unknown: nothing is decided. An existing account is kept exactly as it
    /// is (not enabled, not disabled, not deleted, attributes unchanged) and none is created.
    Held,
}

/// An account in a target.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Account {
    /// Whether it is enabled (false when held).
    pub enabled: bool,
    /// Enabled, disabled, or held.
    pub state: AccountState,
    /// Its attributes (none when held).
    #[serde(serialize_with = "values")]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub attributes: IndexMap<String, Value>,
}

/// A group membership, package assignment or account that could not be decided for one
/// identity: it is not granted, and `plan` must neither grant nor remove it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Undetermined {
    /// What: `group:NAME`, `access_package:NAME` or `account:TARGET`.
    pub of: String,
    /// Why, in words.
    pub reason: String,
}

/// A place in a policy file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct PolicyPlace {
    /// The policy file.
    pub file: String,
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
}

/// One side of a separation-of-duties conflict.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct Held {
    /// `access_package` or `group`.
    pub kind: &'static str,
    /// Its name.
    pub name: String,
}

/// An identity that holds two things declared incompatible (separation of duties).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Conflict {
    /// The identity key.
    pub identity: String,
    /// `warning`, or `error` when the declaration (or `eval --deny-conflicts`) says so.
    #[schemars(with = "String")]
    pub severity: crate::diagnostics::Severity,
    /// The access package (the first in name order, for two packages).
    pub first: Held,
    /// The other access package, or the group.
    pub second: Held,
    /// Where the incompatibility is declared.
    pub declared_at: PolicyPlace,
}

/// One identity's desired state.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct IdentityState {
    /// The identity key (the primary source's key).
    pub key: String,
    /// The records it was built from.
    pub sources: Vec<SourceRef>,
    /// Lifecycle state on the as-of date.
    pub lifecycle: Lifecycle,
    /// Whether a mapping returned `IgnoreObjectFlow`, which takes the identity out of scope.
    pub ignored: bool,
    /// Identity attributes, in declaration order; absent values are `null`.
    #[serde(serialize_with = "values")]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub attributes: IndexMap<String, Value>,
    /// Groups the identity belongs to, sorted.
    pub groups: Vec<String>,
    /// Access packages assigned, sorted.
    pub access_packages: Vec<String>,
    /// Accounts per target: every target in scope, and every target when the lifecycle is
    /// unknown (held).
    pub accounts: BTreeMap<String, Account>,
    /// Memberships, assignments and accounts that could not be decided (absent when none):
    /// none of them is granted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undetermined: Vec<Undetermined>,
}

/// Counts for the summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct Summary {
    /// Identities in total.
    pub identities: usize,
    /// Identities per lifecycle state.
    pub lifecycle: BTreeMap<String, usize>,
    /// Members per group.
    pub groups: BTreeMap<String, usize>,
    /// Assignments per access package.
    pub access_packages: BTreeMap<String, usize>,
    /// Undetermined memberships, assignments and accounts, by `group:NAME`,
    /// `access_package:NAME` or `account:TARGET` (absent when none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub undetermined: BTreeMap<String, usize>,
    /// Separation-of-duties conflicts (identity and pair).
    pub conflicts: usize,
    /// Data problems by code.
    pub issues: BTreeMap<String, usize>,
}

/// The identities of a desired state, held column by column: one dictionary-encoded column
/// per attribute, a set per group, package and target. [`Identities::get`] assembles one
/// identity's [`IdentityState`]; serialising streams them one at a time, in key order, so a
/// report of a million people never exists as a million maps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Identities {
    /// The datasets the identities were built from (for provenance and `explain`).
    pub(crate) datasets: std::sync::Arc<Vec<crate::ingest::Dataset>>,
    /// Each identity's key and records, sorted by key.
    pub(crate) people: Vec<super::correlate::Person>,
    /// Identity attributes in declaration order.
    pub(crate) attributes: Vec<(String, Column)>,
    pub(crate) lifecycle: Vec<Lifecycle>,
    pub(crate) ignored: Bitset,
    /// Groups by name, sorted; members.
    pub(crate) groups: Vec<(String, Bitset)>,
    /// Access packages by name, sorted; assignments.
    pub(crate) packages: Vec<(String, Bitset)>,
    /// Targets by name, sorted.
    pub(crate) targets: Vec<TargetAccounts>,
    /// Undetermined memberships, by identity then what.
    pub(crate) undetermined: Vec<(usize, Undetermined)>,
    /// Separation-of-duties conflicts, by identity (moved to [`DesiredState::conflicts`]).
    pub(crate) conflicts: Vec<Conflict>,
}

/// The accounts of one target.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct TargetAccounts {
    pub(crate) name: String,
    /// The identities that hold an account.
    pub(crate) holders: Bitset,
    /// The holders whose account is enabled.
    pub(crate) enabled: Bitset,
    /// Attributes in mapping order; rows in `absent` had no value flow (`IgnoreFlow`).
    pub(crate) attributes: Vec<(String, Column, Option<Bitset>)>,
}

impl TargetAccounts {
    /// The state of identity `i`'s account here, if it has one: held for every identity whose
    /// lifecycle is unknown.
    pub(crate) fn state(&self, i: usize, lifecycle: Lifecycle) -> Option<AccountState> {
        if lifecycle.held() {
            Some(AccountState::Held)
        } else if !self.holders.contains(i) {
            None
        } else if self.enabled.contains(i) {
            Some(AccountState::Enabled)
        } else {
            Some(AccountState::Disabled)
        }
    }
}

impl Identities {
    /// The number of identities.
    pub fn len(&self) -> usize {
        self.people.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// The key of identity `i`.
    pub fn key(&self, i: usize) -> Option<&str> {
        self.people.get(i).map(|p| p.key.as_str())
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.people.iter().map(|p| p.key.as_str())
    }

    /// The index of the (first) identity with this key.
    pub fn position(&self, key: &str) -> Option<usize> {
        let i = self.people.partition_point(|p| p.key.as_str() < key);
        (self.people.get(i)?.key == key).then_some(i)
    }

    /// The datasets read.
    pub fn datasets(&self) -> &[crate::ingest::Dataset] {
        &self.datasets
    }

    /// Groups and their members, by name.
    pub fn groups(&self) -> &[(String, Bitset)] {
        &self.groups
    }

    /// The undetermined memberships of identity `i`.
    pub fn undetermined(&self, i: usize) -> &[(usize, Undetermined)] {
        let start = self.undetermined.partition_point(|(r, _)| *r < i);
        let end = self.undetermined.partition_point(|(r, _)| *r <= i);
        self.undetermined.get(start..end).unwrap_or(&[])
    }

    /// The lifecycle state of identity `i`.
    pub fn lifecycle(&self, i: usize) -> Lifecycle {
        self.lifecycle.get(i).copied().unwrap_or(Lifecycle::Unknown)
    }

    /// Identity `i`, assembled.
    pub fn get(&self, i: usize) -> Option<IdentityState> {
        let person = self.people.get(i)?;
        let lifecycle = self.lifecycle(i);
        let members = |sets: &[(String, Bitset)]| -> Vec<String> {
            sets.iter()
                .filter(|(_, b)| b.contains(i))
                .map(|(n, _)| n.clone())
                .collect()
        };
        Some(IdentityState {
            key: person.key.clone(),
            sources: person.provenance(&self.datasets),
            lifecycle,
            ignored: self.ignored.contains(i),
            attributes: self
                .attributes
                .iter()
                .map(|(n, c)| (n.clone(), c.get(i).clone()))
                .collect(),
            groups: members(&self.groups),
            access_packages: members(&self.packages),
            accounts: self
                .targets
                .iter()
                .filter_map(|t| {
                    let state = t.state(i, lifecycle)?;
                    Some((
                        t.name.clone(),
                        Account {
                            enabled: state == AccountState::Enabled,
                            state,
                            attributes: t
                                .attributes
                                .iter()
                                .filter(|_| state != AccountState::Held)
                                .filter(|(_, _, absent)| {
                                    !absent.as_ref().is_some_and(|a| a.contains(i))
                                })
                                .map(|(n, c, _)| (n.clone(), c.get(i).clone()))
                                .collect(),
                        },
                    ))
                })
                .collect(),
            undetermined: self
                .undetermined(i)
                .iter()
                .map(|(_, u)| u.clone())
                .collect(),
        })
    }

    /// Every identity, assembled one at a time, in key order.
    pub fn iter(&self) -> impl Iterator<Item = IdentityState> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

impl Serialize for Identities {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((0..self.len()).map(|i| View { ids: self, i }))
    }
}

/// Identity `i`, serialised straight from the columns: the same output as its
/// [`IdentityState`] (a test checks this), without assembling maps first.
struct View<'a> {
    ids: &'a Identities,
    i: usize,
}

impl Serialize for View<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap as _, SerializeStruct as _};
        /// A map serialised from an iterator of entries.
        struct Entries<I>(std::cell::RefCell<Option<I>>);
        impl<K: Serialize, V: Serialize, I: Iterator<Item = (K, V)>> Serialize for Entries<I> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                for (k, v) in self.0.borrow_mut().take().into_iter().flatten() {
                    m.serialize_entry(&k, &v)?;
                }
                m.end()
            }
        }
        fn entries<I>(iter: I) -> Entries<I> {
            Entries(std::cell::RefCell::new(Some(iter)))
        }
        let (ids, i) = (self.ids, self.i);
        let Some(person) = ids.people.get(i) else {
            return s.serialize_unit();
        };
        let lifecycle = ids.lifecycle(i);
        fn names(sets: &[(String, Bitset)], i: usize) -> Vec<&str> {
            sets.iter()
                .filter(|(_, b)| b.contains(i))
                .map(|(n, _)| n.as_str())
                .collect()
        }
        let undetermined = ids.undetermined(i);
        let mut st = s.serialize_struct("IdentityState", 9)?;
        st.serialize_field("key", &person.key)?;
        st.serialize_field("sources", &person.provenance(&ids.datasets))?;
        st.serialize_field("lifecycle", &lifecycle)?;
        st.serialize_field("ignored", &ids.ignored.contains(i))?;
        st.serialize_field(
            "attributes",
            &entries(ids.attributes.iter().map(|(n, c)| (n, Json(c.get(i))))),
        )?;
        st.serialize_field("groups", &names(&ids.groups, i))?;
        st.serialize_field("access_packages", &names(&ids.packages, i))?;
        #[derive(Serialize)]
        struct AccountView<E: Serialize> {
            enabled: bool,
            state: AccountState,
            attributes: E,
        }
        st.serialize_field(
            "accounts",
            &entries(ids.targets.iter().filter_map(|t| {
                let state = t.state(i, lifecycle)?;
                Some((
                    &t.name,
                    AccountView {
                        enabled: state == AccountState::Enabled,
                        state,
                        attributes: entries(
                            t.attributes
                                .iter()
                                .filter(move |_| state != AccountState::Held)
                                .filter(|(_, _, absent)| {
                                    !absent.as_ref().is_some_and(|a| a.contains(i))
                                })
                                .map(|(n, c, _)| (n, Json(c.get(i)))),
                        ),
                    },
                ))
            })),
        )?;
        if undetermined.is_empty() {
            st.skip_field("undetermined")?;
        } else {
            st.serialize_field(
                "undetermined",
                &undetermined.iter().map(|(_, u)| u).collect::<Vec<_>>(),
            )?;
        }
        st.end()
    }
}

/// A value in its JSON form ([`Value::to_json`]), written without building a `serde_json`
/// value first.
struct Json<'a>(&'a Value);

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Str(x) => s.serialize_str(x),
            Value::Int(n) => s.serialize_i64(*n),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Date(d) => s.serialize_str(&crate::dotnet::datetime::render(d)),
            Value::List(items) => s.collect_seq(items.iter().map(Json)),
            // Complex values keep `to_json`'s handling of repeated field names.
            Value::Object(_) => self.0.to_json().serialize(s),
        }
    }
}

/// The whole desired state.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DesiredState {
    /// The date evaluated for (`YYYY-MM-DD`).
    #[schemars(with = "String")]
    pub as_of: NaiveDate,
    /// Counts.
    pub summary: Summary,
    /// Every identity, sorted by key.
    #[schemars(with = "Vec<IdentityState>")]
    pub identities: Identities,
    /// Separation-of-duties conflicts, by identity, then pair.
    pub conflicts: Vec<Conflict>,
    /// Data problems found on the way, in file, row and field order.
    #[schemars(with = "Vec<serde_json::Value>")]
    pub issues: Vec<DataIssue>,
    /// The `display_name`s of groups, packages and targets (`group:NAME`, `package:NAME`,
    /// `target:NAME`), for the human reports only.
    #[serde(skip)]
    #[schemars(skip)]
    pub display_names: BTreeMap<String, String>,
}

impl DesiredState {
    /// Assembles the report: sorts the issues, counts.
    pub fn new(
        as_of: NaiveDate,
        mut identities: Identities,
        mut issues: Vec<DataIssue>,
    ) -> DesiredState {
        let conflicts = std::mem::take(&mut identities.conflicts);
        issues.sort_by(|a, b| {
            (&a.file, a.row, &a.field, a.code.as_str(), &a.message).cmp(&(
                &b.file,
                b.row,
                &b.field,
                b.code.as_str(),
                &b.message,
            ))
        });
        issues.dedup_by(|a, b| {
            a.file == b.file && a.row == b.row && a.field == b.field && a.message == b.message
        });
        // Messages quote values from the data: a megabyte of department must not make the
        // report's problem list a megabyte (the value itself stays in the attributes).
        for issue in &mut issues {
            if let std::borrow::Cow::Owned(clipped) = clip_message(&issue.message) {
                issue.message = clipped;
            }
            if let Some(help) = &issue.help
                && let std::borrow::Cow::Owned(clipped) = clip_message(help)
            {
                issue.help = Some(clipped);
            }
        }
        let mut summary = Summary {
            identities: identities.len(),
            ..Summary::default()
        };
        for l in &identities.lifecycle {
            *summary.lifecycle.entry(l.word().to_string()).or_default() += 1;
        }
        let count = |sets: &[(String, Bitset)]| -> BTreeMap<String, usize> {
            sets.iter()
                .map(|(n, b)| (n.clone(), b.count_ones(..)))
                .filter(|(_, c)| *c > 0)
                .collect()
        };
        summary.groups = count(&identities.groups);
        summary.access_packages = count(&identities.packages);
        for (_, u) in &identities.undetermined {
            *summary.undetermined.entry(u.of.clone()).or_default() += 1;
        }
        summary.conflicts = conflicts.len();
        for issue in &issues {
            *summary
                .issues
                .entry(issue.code.as_str().to_string())
                .or_default() += 1;
        }
        DesiredState {
            as_of,
            summary,
            identities,
            conflicts,
            issues,
            display_names: BTreeMap::new(),
        }
    }

    /// Whether evaluation could not run: a source is missing, unreadable or empty (`D112`), or
    /// its file was refused (`C310`, `D120`, `D121`).
    /// Such a state holds no identities and must not be reported as a desired state.
    pub fn cannot_run(&self) -> bool {
        self.issues.iter().any(|i| i.code.stops_evaluation())
    }

    /// Makes every separation-of-duties conflict an error (`eval --deny-conflicts`).
    pub fn deny_conflicts(&mut self) {
        for c in &mut self.conflicts {
            c.severity = crate::diagnostics::Severity::Error;
        }
        for i in &mut self.issues {
            if i.code == crate::codes::Code::SeparationOfDuties {
                i.severity = crate::diagnostics::Severity::Error;
            }
        }
    }

    /// The conflicts as CSV (`conflicts.csv`): `key,severity,first_kind,first,second_kind,
    /// second,file,line,column`, one row per identity and pair.
    pub fn conflicts_csv(&self) -> String {
        let mut out = csv_line(
            &[
                "key",
                "severity",
                "first_kind",
                "first",
                "second_kind",
                "second",
                "file",
                "line",
                "column",
            ]
            .map(String::from),
        );
        for c in &self.conflicts {
            out.push_str(&csv_line(&[
                c.identity.clone(),
                severity_word(c.severity).to_string(),
                c.first.kind.to_string(),
                c.first.name.clone(),
                c.second.kind.to_string(),
                c.second.name.clone(),
                c.declared_at.file.clone(),
                c.declared_at.line.to_string(),
                c.declared_at.column.to_string(),
            ]));
        }
        out
    }

    /// Writes the canonical JSON text, one identity at a time.
    pub fn write_json(&self, w: impl std::io::Write) -> std::io::Result<()> {
        use std::io::Write as _;
        let mut w = std::io::BufWriter::new(w);
        crate::escape::write_json_pretty(&mut w, self)?;
        w.write_all(b"\n")?;
        w.flush()
    }

    /// Accounts per target: (enabled, disabled, held).
    pub fn account_counts(&self) -> BTreeMap<String, (usize, usize, usize)> {
        let ids = &self.identities;
        let held = ids.lifecycle.iter().filter(|l| l.held()).count();
        ids.targets
            .iter()
            .filter(|t| t.holders.count_ones(..) > 0 || held > 0)
            .map(|t| {
                let enabled = t.enabled.count_ones(..);
                (
                    t.name.clone(),
                    (enabled, t.holders.count_ones(..) - enabled, held),
                )
            })
            .collect()
    }
}

fn severity_word(s: crate::diagnostics::Severity) -> &'static str {
    match s {
        crate::diagnostics::Severity::Error => "error",
        crate::diagnostics::Severity::Warning => "warning",
    }
}

fn values<S: Serializer>(map: &IndexMap<String, Value>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap as _;
    let mut m = s.serialize_map(Some(map.len()))?;
    for (k, v) in map {
        m.serialize_entry(k, &Json(v))?;
    }
    m.end()
}

/// A Markdown summary for a pull request: counts by lifecycle state, group, package and
/// target, conflicts, and the data problems. Names and keys are code spans ([`markdown_code`]),
/// display names and paths escaped prose ([`markdown_text`]), messages both
/// ([`markdown_message`]): in a pull-request comment nothing becomes HTML, a link, an image or a
/// mention, and nothing breaks a table.
pub fn markdown(state: &DesiredState) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "## Desired state as of {}\n", state.as_of);
    let _ = writeln!(out, "{} identities.\n", state.summary.identities);
    let _ = writeln!(out, "| lifecycle | identities |\n|---|---:|");
    for (k, v) in &state.summary.lifecycle {
        let _ = writeln!(out, "| {k} | {v} |");
    }
    if !state.summary.lifecycle.is_empty() {
        let _ = writeln!(out, "\n```mermaid\npie title Lifecycle");
        for (k, v) in &state.summary.lifecycle {
            let _ = writeln!(out, "    \"{k}\" : {v}");
        }
        let _ = writeln!(out, "```");
    }
    // The name, and its display name when the policy gives one.
    let label = |kind: &str, name: &str| -> String {
        match state.display_names.get(&format!("{kind}:{name}")) {
            Some(display) => format!("{} — {}", markdown_code(name), markdown_text(display)),
            None => markdown_code(name),
        }
    };
    let table = |out: &mut String, title: &str, kind: &str, rows: &BTreeMap<String, usize>| {
        if rows.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n| {title} | members |\n|---|---:|");
        for (k, v) in rows {
            let _ = writeln!(out, "| {} | {v} |", label(kind, k));
        }
    };
    table(&mut out, "group", "group", &state.summary.groups);
    table(
        &mut out,
        "access package",
        "package",
        &state.summary.access_packages,
    );
    let targets = state.account_counts();
    if !targets.is_empty() {
        let _ = writeln!(
            out,
            "\n| target | enabled accounts | disabled accounts | held accounts |\n|---|---:|---:|---:|"
        );
        for (t, (e, d, h)) in &targets {
            let _ = writeln!(out, "| {} | {e} | {d} | {h} |", label("target", t));
        }
    }
    let held = state.summary.lifecycle.get("unknown").copied().unwrap_or(0);
    if held > 0 {
        let _ = writeln!(
            out,
            "\n{held} identit{} with an unknown lifecycle: no account enabled, no access granted, whatever {} now held as it is (`E120` below says why).",
            if held == 1 { "y" } else { "ies" },
            if held == 1 {
                "it holds is"
            } else {
                "they hold is"
            }
        );
    }
    if !state.summary.undetermined.is_empty() {
        let total: usize = state.summary.undetermined.values().sum();
        let _ = writeln!(
            out,
            "\n### Undetermined\n\n{total} group membership{}, package assignment{} or account{} could not be decided, and {} not granted (see `E130` below and `undetermined` in the JSON report).\n\n| membership | undetermined |\n|---|---:|",
            if total == 1 { "" } else { "s" },
            if total == 1 { "" } else { "s" },
            if total == 1 { "" } else { "s" },
            if total == 1 { "is" } else { "are" }
        );
        for (k, v) in &state.summary.undetermined {
            let _ = writeln!(out, "| {} | {v} |", markdown_code(k));
        }
    }
    if !state.conflicts.is_empty() {
        let errors = state
            .conflicts
            .iter()
            .filter(|c| c.severity == crate::diagnostics::Severity::Error)
            .count();
        let _ = writeln!(
            out,
            "\n### Separation-of-duties conflicts\n\n{} conflict{} ({errors} error{}).\n\n| severity | identity | holds | and | declared at |\n|---|---|---|---|---|",
            state.conflicts.len(),
            if state.conflicts.len() == 1 { "" } else { "s" },
            if errors == 1 { "" } else { "s" },
        );
        for c in &state.conflicts {
            let _ = writeln!(
                out,
                "| {} | {} | {} {} | {} {} | {}:{} |",
                severity_word(c.severity),
                markdown_code(&c.identity),
                c.first.kind.replace('_', " "),
                markdown_code(&c.first.name),
                c.second.kind.replace('_', " "),
                markdown_code(&c.second.name),
                markdown_text(&c.declared_at.file),
                c.declared_at.line
            );
        }
    }
    if state.issues.is_empty() {
        let _ = writeln!(out, "\nNo data problems.");
    } else {
        let _ = writeln!(
            out,
            "\n### Data problems\n\n| code | severity | where | problem |\n|---|---|---|---|"
        );
        for i in &state.issues {
            let row = if i.in_policy() { "line" } else { "row" };
            let file = markdown_text(&i.file);
            let place = match (i.row, &i.field) {
                (Some(r), Some(f)) => format!("{file} {row} {r}, {}", markdown_code(f)),
                (Some(r), None) => format!("{file} {row} {r}"),
                (None, Some(f)) => format!("{file} {}", markdown_code(f)),
                (None, None) => file,
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                i.code.as_str(),
                severity_word(i.severity),
                place.trim(),
                markdown_message(&i.message)
            );
        }
    }
    out
}

impl DesiredState {
    /// The YAML form (the same content as the JSON), written by [`crate::escape`]'s emitter:
    /// block style, scalars quoted and escaped whenever they could be misread, so no value
    /// starts a line or carries a raw control character.
    pub fn to_yaml(&self) -> String {
        use crate::escape::{yaml_entry, yaml_item};
        // Every field but the identities, in the report's order; listing the fields here (no
        // `..`) makes a new field of the report a compile error until the YAML writes it.
        let shell = DesiredState {
            as_of: self.as_of,
            summary: self.summary.clone(),
            identities: Identities::default(),
            conflicts: self.conflicts.clone(),
            issues: self.issues.clone(),
            display_names: BTreeMap::new(),
        };
        let mut out = String::new();
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&shell) else {
            return out;
        };
        for (key, value) in &fields {
            if key == "identities" && !self.identities.is_empty() {
                // One identity at a time, as the JSON is streamed.
                out.push_str("identities:\n");
                for i in 0..self.identities.len() {
                    let view = View {
                        ids: &self.identities,
                        i,
                    };
                    yaml_item(
                        &mut out,
                        0,
                        &serde_json::to_value(&view).unwrap_or_default(),
                    );
                }
            } else {
                yaml_entry(&mut out, 0, key, value);
            }
        }
        out
    }

    /// One CSV per target: the identity key, whether the account is enabled (`true`, `false`,
    /// or `held` when the lifecycle is unknown: keep the account as it is, no attributes), and
    /// the target's attributes in mapping order (multi-valued attributes joined with `;`).
    pub fn to_csv(&self, targets: &[(String, Vec<String>)]) -> Vec<(String, String)> {
        targets
            .iter()
            .map(|(target, columns)| {
                let mut out = String::new();
                let header: Vec<String> = ["key".to_string(), "enabled".to_string()]
                    .into_iter()
                    .chain(columns.iter().cloned())
                    .collect();
                out.push_str(&csv_line(&header));
                let ids = &self.identities;
                // Straight from the target's columns: only its account holders are visited.
                let Some(accounts) = ids.targets.iter().find(|t| t.name == *target) else {
                    return (target.clone(), out);
                };
                let by_name: Vec<Option<&(String, Column, Option<Bitset>)>> = columns
                    .iter()
                    .map(|c| accounts.attributes.iter().find(|(n, _, _)| n == c))
                    .collect();
                let mut rows = accounts.holders.clone();
                for (i, l) in ids.lifecycle.iter().enumerate() {
                    if l.held() {
                        rows.insert(i);
                    }
                }
                for i in rows.ones() {
                    let state = accounts.state(i, ids.lifecycle(i));
                    let mut row = vec![
                        ids.key(i).unwrap_or_default().to_string(),
                        match state {
                            Some(AccountState::Held) => "held".to_string(),
                            other => (other == Some(AccountState::Enabled)).to_string(),
                        },
                    ];
                    if state == Some(AccountState::Held) {
                        row.extend(by_name.iter().map(|_| String::new()));
                        out.push_str(&csv_line(&row));
                        continue;
                    }
                    for attribute in &by_name {
                        row.push(match attribute {
                            Some((_, column, absent))
                                if !absent.as_ref().is_some_and(|a| a.contains(i)) =>
                            {
                                csv_value(column.get(i))
                            }
                            _ => String::new(),
                        });
                    }
                    out.push_str(&csv_line(&row));
                }
                (target.clone(), out)
            })
            .collect()
    }
}

impl DesiredState {
    /// Group memberships and access-package assignments as CSV: `key,kind,name`, one row per
    /// membership (`kind` is `group` or `access_package`), by key, kind, then name. An identity
    /// whose lifecycle is unknown has one row of kind `held` and no name: whatever it holds is
    /// kept as it is (no grant, no removal).
    pub fn memberships_csv(&self) -> String {
        let ids = &self.identities;
        // Transposed once: each identity's groups and packages, in name order.
        let mut per: Vec<Vec<(&str, &str)>> = vec![Vec::new(); ids.len()];
        for (kind, sets) in [("group", &ids.groups), ("access_package", &ids.packages)] {
            for (name, members) in sets {
                for i in members.ones() {
                    if let Some(list) = per.get_mut(i) {
                        list.push((kind, name));
                    }
                }
            }
        }
        for (i, l) in ids.lifecycle.iter().enumerate() {
            if l.held()
                && let Some(list) = per.get_mut(i)
            {
                list.push(("held", ""));
            }
        }
        let mut out = csv_line(&["key", "kind", "name"]);
        for (key, list) in ids.keys().zip(&per) {
            for (kind, name) in list {
                out.push_str(&csv_line(&[key, kind, name]));
            }
        }
        out
    }
}

fn csv_value(v: &Value) -> String {
    match v {
        Value::List(items) => items
            .iter()
            .filter_map(|i| i.as_text().map(std::borrow::Cow::into_owned))
            .collect::<Vec<_>>()
            .join(";"),
        other => other
            .as_text()
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_default(),
    }
}
