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
use crate::escape::{clip_message, csv_line};
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
    /// Where each package comes from, when one is not (only) its auto-assignment rule:
    /// `auto_assignment`, `assignment:ID` (a record kept in git), `event` (a workflow task) or
    /// `grace:DATE` (kept by the auto-assignment's grace period, up to the day before DATE);
    /// absent when every package the identity holds comes from its rule alone.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub access_package_origins: BTreeMap<String, Vec<String>>,
    /// Accounts per target: every target in scope, and every target when the lifecycle is
    /// unknown (held).
    pub accounts: BTreeMap<String, Account>,
    /// Memberships, assignments and accounts that could not be decided (absent when none):
    /// none of them is granted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undetermined: Vec<Undetermined>,
    /// The workflow runs due on the as-of date, with their tasks in execution order and the
    /// e-mails they send (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tasks_due: Vec<crate::governance::Event>,
    /// The effects of change-triggered workflow runs (attribute change, group membership)
    /// still in force on the as-of date, in the order they apply: what the next evaluation,
    /// given this report with `--previous`, carries forward, since nothing in the policy or
    /// the data says such a run happened (absent when none; `docs/reports.md`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub carried_effects: Vec<crate::governance::carried::CarriedEffect>,
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
    /// Guests from connected organisations, by state (absent when none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub guests: BTreeMap<String, usize>,
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
    /// The workflow runs due on the as-of date, by identity, in report order.
    pub(crate) tasks_due: Vec<(usize, crate::governance::Event)>,
    /// The origins of the packages of identities that hold one not (only) by rule.
    pub(crate) package_origins: BTreeMap<usize, BTreeMap<String, Vec<String>>>,
    /// The people in an auto-assignment's grace period, with its end (for the calendar's
    /// `grace_end` events).
    pub(crate) grace: Vec<crate::governance::grace::InGrace>,
    /// The effects of change-triggered runs still in force, by identity (only those with
    /// some).
    pub(crate) carried: BTreeMap<usize, Vec<crate::governance::carried::CarriedEffect>>,
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

    /// The workflow runs due for identity `i` on the as-of date.
    pub fn tasks_due(&self, i: usize) -> &[(usize, crate::governance::Event)] {
        let start = self.tasks_due.partition_point(|(r, _)| *r < i);
        let end = self.tasks_due.partition_point(|(r, _)| *r <= i);
        self.tasks_due.get(start..end).unwrap_or(&[])
    }

    /// Replaces the workflow runs due for identity `i`.
    pub(crate) fn replace_tasks_due(&mut self, i: usize, runs: Vec<crate::governance::Event>) {
        self.tasks_due.retain(|(r, _)| *r != i);
        self.tasks_due.extend(runs.into_iter().map(|e| (i, e)));
        self.tasks_due.sort_by_key(|(r, _)| *r);
    }

    /// The effects of change-triggered runs still in force for identity `i`.
    pub fn carried(&self, i: usize) -> &[crate::governance::carried::CarriedEffect] {
        self.carried.get(&i).map_or(&[], Vec::as_slice)
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
            access_package_origins: self.package_origins.get(&i).cloned().unwrap_or_default(),
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
            tasks_due: self.tasks_due(i).iter().map(|(_, e)| e.clone()).collect(),
            carried_effects: self.carried(i).to_vec(),
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
        let mut st = s.serialize_struct("IdentityState", 11)?;
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
        if let Some(origins) = ids.package_origins.get(&i) {
            st.serialize_field("access_package_origins", origins)?;
        }
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
        let due = ids.tasks_due(i);
        if due.is_empty() {
            st.skip_field("tasks_due")?;
        } else {
            st.serialize_field("tasks_due", &due.iter().map(|(_, e)| e).collect::<Vec<_>>())?;
        }
        let carried = ids.carried(i);
        if carried.is_empty() {
            st.skip_field("carried_effects")?;
        } else {
            st.serialize_field("carried_effects", carried)?;
        }
        st.end()
    }
}

/// The identities `rows` of a report, serialised as its `identities` array, one at a time
/// (the progress of writing is recorded every thousand).
struct Selected<'a> {
    ids: &'a Identities,
    rows: &'a [usize],
}

impl Serialize for Selected<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::progress::counted("writing identities", self.rows.len());
        s.collect_seq(self.rows.iter().enumerate().map(|(n, &i)| {
            if n.is_multiple_of(1024) {
                crate::progress::advance(n);
            }
            View { ids: self.ids, i }
        }))
    }
}

/// The JSON (and YAML) report as written: the fields of [`DesiredState`] in its order, each
/// section absent when `eval --only` leaves it out, and the identities of `eval --identity`
/// only. Its schema is `schemas/desired-state.schema.json`.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "DesiredState")]
pub struct Filtered<'a> {
    /// The date evaluated for (`YYYY-MM-DD`).
    #[schemars(with = "String")]
    as_of: NaiveDate,
    /// Counts (absent under `eval --only` without `summary`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Summary")]
    summary: Option<&'a Summary>,
    /// Every identity, sorted by key; only those of `eval --identity` when given (absent under
    /// `eval --only` without `identities`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<IdentityState>")]
    identities: Option<Selected<'a>>,
    /// Separation-of-duties conflicts, by identity, then pair (absent under `eval --only`
    /// without `issues`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<Conflict>")]
    conflicts: Option<&'a [Conflict]>,
    /// Data problems found on the way, in file, row and field order (absent under `eval
    /// --only` without `issues`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<IssueLine>")]
    issues: Option<&'a [DataIssue]>,
    /// Guests from connected organisations, by e-mail address (absent when none, or under
    /// `eval --only` without `identities` or with `--identity`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<crate::governance::guests::GuestState>")]
    guests: Option<&'a [crate::governance::guests::GuestState]>,
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

/// A data problem as the reports write it (the schema of [`DataIssue`]'s serialisation).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct IssueLine {
    /// The stable code (`D1xx`, `E1xx`).
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
    /// The data file (or, for a problem declared in the policy, the policy file).
    pub file: String,
    /// The row of the data file (the line of a policy file), when the problem is about one.
    pub row: Option<usize>,
    /// The field, when the problem is about one.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

/// One line of `eval --format jsonl`: an object whose `type` says what it is. The schema of
/// the lines (`schemas/desired-state-line.schema.json`); the writer is [`super::jsonl`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReportLine {
    /// The first line (unless `--only` leaves the summary out): the as-of date and the counts.
    Summary {
        /// The date evaluated for (`YYYY-MM-DD`).
        as_of: String,
        /// The counts, as in the JSON report.
        summary: Summary,
    },
    /// One identity, with the fields of an identity of the JSON report, in key order.
    Identity(IdentityState),
    /// One separation-of-duties conflict, after the identities.
    Conflict(Conflict),
    /// One data problem, last.
    Issue(IssueLine),
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
    #[schemars(with = "Vec<IssueLine>")]
    pub issues: Vec<DataIssue>,
    /// The `display_name`s of groups, packages and targets (`group:NAME`, `package:NAME`,
    /// `target:NAME`), for the human reports only.
    #[serde(skip)]
    #[schemars(skip)]
    pub display_names: BTreeMap<String, String>,
    /// The events of the as-of date for identities and guests (workflow runs and their tasks,
    /// transitions, assignment starts and expiries), in report order.
    #[serde(skip)]
    #[schemars(skip)]
    pub due: Vec<crate::governance::Event>,
    /// Guests from connected organisations on the as-of date, by e-mail address.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub guests: Vec<crate::governance::guests::GuestState>,
    /// The group memberships and package assignments an access review removed, still removed
    /// by it on the as-of date: (identity key, `group:NAME` or `access_package:NAME`) to the
    /// review's name. `plan` labels their removals `review`.
    #[serde(skip)]
    #[schemars(skip)]
    pub removed_by_review: BTreeMap<(String, String), String>,
    /// Each identity's last sign-in (`--sign-ins PATH`), by index, when given.
    #[serde(skip)]
    #[schemars(skip)]
    pub last_sign_in: Option<Vec<Option<NaiveDate>>>,
    /// The runs of group-membership triggers on the as-of date (also in `due`), which the
    /// calendar takes from here ([`crate::governance::workflows::membership_runs`]).
    #[serde(skip)]
    #[schemars(skip)]
    pub membership_runs: Vec<crate::governance::Event>,
    /// The memberships and assignments events removed up to the as-of date, kept only when a
    /// change-triggered workflow changes access: `plan` without `--previous` does not hold a
    /// removal that a dated event decided (`plan::unrecorded`).
    #[serde(skip)]
    #[schemars(skip)]
    pub removed_by_events: Option<Box<crate::governance::apply::Removals>>,
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
            due: Vec::new(),
            guests: Vec::new(),
            removed_by_review: BTreeMap::new(),
            last_sign_in: None,
            membership_runs: Vec::new(),
            removed_by_events: None,
        }
    }

    /// The workflow runs due on the as-of date, by identity in key order, then as reported.
    pub fn workflow_runs_due(&self) -> Vec<crate::governance::Event> {
        self.identities
            .tasks_due
            .iter()
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// Sets the guests and their counts by state.
    pub fn set_guests(&mut self, guests: Vec<crate::governance::guests::GuestState>) {
        self.summary.guests.clear();
        for g in &guests {
            *self
                .summary
                .guests
                .entry(g.state.word().to_string())
                .or_default() += 1;
        }
        self.guests = guests;
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
        let rows: Vec<usize> = (0..self.identities.len()).collect();
        self.write_json_with(w, super::jsonl::Sections::ALL, &rows)
    }

    /// Writes the JSON text of `sections` (the as-of date always), with the identities `rows`
    /// (indices, in order), one identity at a time.
    pub fn write_json_with(
        &self,
        w: impl std::io::Write,
        sections: super::jsonl::Sections,
        rows: &[usize],
    ) -> std::io::Result<()> {
        use std::io::Write as _;
        let mut w = std::io::BufWriter::new(w);
        crate::escape::write_json_pretty(&mut w, &self.filtered(sections, rows))?;
        w.write_all(b"\n")?;
        w.flush()
    }

    /// The report's fields in `sections`, identities `rows` only.
    fn filtered<'a>(&'a self, sections: super::jsonl::Sections, rows: &'a [usize]) -> Filtered<'a> {
        Filtered {
            as_of: self.as_of,
            summary: sections.summary.then_some(&self.summary),
            identities: sections.identities.then_some(Selected {
                ids: &self.identities,
                rows,
            }),
            conflicts: sections.issues.then_some(&self.conflicts[..]),
            issues: sections.issues.then_some(&self.issues[..]),
            guests: (sections.identities
                && !self.guests.is_empty()
                && rows.len() == self.identities.len())
            .then_some(&self.guests[..]),
        }
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

/// What a Markdown report holds beyond the defaults: the sections (`eval --only`), the
/// identities to list (`eval --identity`, or every identity with `--only identities`), and
/// the policy revision for the header.
#[derive(Debug, Clone, Copy)]
pub struct MarkdownOptions<'a> {
    /// The sections shown.
    pub sections: super::jsonl::Sections,
    /// The identities listed in an "Identities" section, by index; `None`: no such section.
    pub rows: Option<&'a [usize]>,
    /// The policy revision ([`crate::revision`]); `None` is written `unknown`.
    pub revision: Option<&'a str>,
}

impl Default for MarkdownOptions<'_> {
    fn default() -> Self {
        MarkdownOptions {
            sections: super::jsonl::Sections::ALL,
            rows: None,
            revision: None,
        }
    }
}

/// A Markdown summary for a pull request, with the defaults of [`MarkdownOptions`].
pub fn markdown(state: &DesiredState) -> String {
    markdown_with(state, &MarkdownOptions::default())
}

/// Rows shown in a visible table before "… and N more".
const TOP: usize = 20;

/// A Markdown summary for a pull request, under [`crate::markdown::COMMENT_CHARS`] characters
/// whatever the population: the header (as-of date, Roster version, policy revision), the
/// counts, then what needs a reviewer first (separation-of-duties conflicts, data problems by
/// severity, identities held or undetermined), then the lifecycle states, groups, access
/// packages and targets (the largest first, the rest by name in `<details>`), and the selected
/// identities. Long tables end with "… and N more"; a report cut for length says so.
///
/// Names and keys are code spans, display names and paths escaped prose, messages both
/// ([`crate::escape`]): nothing becomes HTML, a link, an image or a mention, and nothing breaks
/// a table.
pub fn markdown_with(state: &DesiredState, options: &MarkdownOptions<'_>) -> String {
    use crate::markdown::{Align, Doc, Table, cell_code, cell_text, group_digits, header};
    use std::fmt::Write as _;
    let mut doc = Doc::new();
    let sections = options.sections;
    doc.block(&header("Desired state", state.as_of, options.revision));
    let summary = &state.summary;
    let problem_errors = state
        .issues
        .iter()
        .filter(|i| i.severity == crate::diagnostics::Severity::Error)
        .count();
    let conflict_errors = state
        .conflicts
        .iter()
        .filter(|c| c.severity == crate::diagnostics::Severity::Error)
        .count();
    let held = summary.lifecycle.get("unknown").copied().unwrap_or(0);
    let undetermined: usize = summary.undetermined.values().sum();
    let plural = |n: usize, one: &str, many: &str| -> String {
        format!("{} {}", group_digits(n), if n == 1 { one } else { many })
    };
    if sections.summary || sections.issues {
        let mut counts = vec![
            ("identities", group_digits(summary.identities)),
            (
                "separation-of-duties conflicts",
                format!(
                    "{} ({})",
                    group_digits(state.conflicts.len()),
                    plural(conflict_errors, "error", "errors")
                ),
            ),
            (
                "data problems",
                format!(
                    "{} ({})",
                    group_digits(state.issues.len()),
                    plural(problem_errors, "error", "errors")
                ),
            ),
            ("identities held (unknown lifecycle)", group_digits(held)),
            (
                "undetermined memberships and accounts",
                group_digits(undetermined),
            ),
        ];
        if !summary.guests.is_empty() {
            let total: usize = summary.guests.values().sum();
            let by_state: Vec<String> = summary
                .guests
                .iter()
                .map(|(k, n)| format!("{} {k}", group_digits(*n)))
                .collect();
            counts.push((
                "guests from connected organisations",
                format!("{} ({})", group_digits(total), by_state.join(", ")),
            ));
        }
        let rows: Vec<Vec<String>> = counts
            .iter()
            .map(|(k, v)| vec![(*k).to_string(), v.clone()])
            .collect();
        doc.table(
            &Table {
                columns: &[("summary", Align::Left), ("count", Align::Right)],
                total: rows.len(),
                max_rows: rows.len(),
                rows,
                what: "counts",
                rest: "",
            },
            usize::MAX,
        );
    }
    // The workflow runs due on the as-of date, bounded.
    let runs: Vec<&crate::governance::Event> = state
        .due
        .iter()
        .filter(|e| e.kind == crate::governance::EventKind::WorkflowRun)
        .collect();
    if sections.summary && !runs.is_empty() {
        doc.block(&format!(
            "\n### Workflow runs on {}\n\n{} due (tasks and e-mails in `tasks_due` of the JSON report).\n",
            state.as_of,
            plural(runs.len(), "workflow run", "workflow runs")
        ));
        let rows: Vec<Vec<String>> = runs
            .iter()
            .take(TOP)
            .map(|e| {
                let tasks: Vec<String> = e.tasks.iter().map(|t| cell_code(&t.task)).collect();
                let problems = e.tasks.iter().filter(|t| t.problem.is_some()).count();
                vec![
                    cell_code(e.subject.id()),
                    cell_code(e.source.strip_prefix("workflow:").unwrap_or(&e.source)),
                    tasks.join(", "),
                    group_digits(problems),
                ]
            })
            .collect();
        doc.table(
            &Table {
                columns: &[
                    ("identity", Align::Left),
                    ("workflow", Align::Left),
                    ("tasks", Align::Left),
                    ("problems", Align::Right),
                ],
                total: runs.len(),
                max_rows: TOP,
                rows,
                what: "workflow runs",
                rest: "(all of them in `tasks_due` of the JSON report)",
            },
            doc.room() / 4,
        );
    }
    // The name, and its display name when the policy gives one.
    let label = |kind: &str, name: &str| -> String {
        match state.display_names.get(&format!("{kind}:{name}")) {
            Some(display) => format!("{} — {}", cell_code(name), cell_text(display)),
            None => cell_code(name),
        }
    };
    let severity_rank = |s: crate::diagnostics::Severity| match s {
        crate::diagnostics::Severity::Error => 0,
        crate::diagnostics::Severity::Warning => 1,
    };
    if sections.issues && !state.conflicts.is_empty() {
        doc.block(&format!(
            "\n### Separation-of-duties conflicts\n\n{} ({}). Each is someone who holds two things declared incompatible.\n",
            plural(state.conflicts.len(), "conflict", "conflicts"),
            plural(conflict_errors, "error", "errors"),
        ));
        // Errors first, then in the report's order (identity, pair).
        let mut order: Vec<&Conflict> = state.conflicts.iter().collect();
        order.sort_by_key(|c| severity_rank(c.severity));
        let rows = order
            .iter()
            .take(TOP)
            .map(|c| {
                vec![
                    severity_word(c.severity).to_string(),
                    cell_code(&c.identity),
                    format!(
                        "{} {}",
                        c.first.kind.replace('_', " "),
                        cell_code(&c.first.name)
                    ),
                    format!(
                        "{} {}",
                        c.second.kind.replace('_', " "),
                        cell_code(&c.second.name)
                    ),
                    format!("{}:{}", cell_text(&c.declared_at.file), c.declared_at.line),
                ]
            })
            .collect();
        doc.table(
            &Table {
                columns: &[
                    ("severity", Align::Left),
                    ("identity", Align::Left),
                    ("holds", Align::Left),
                    ("and", Align::Left),
                    ("declared at", Align::Left),
                ],
                rows,
                total: state.conflicts.len(),
                max_rows: TOP,
                what: "conflicts",
                rest: "(all of them in `conflicts` of the JSON report and in `conflicts.csv`)",
            },
            12_000,
        );
    }
    if sections.issues {
        if state.issues.is_empty() {
            doc.block("\nNo data problems.\n");
        } else {
            doc.block(&format!(
                "\n### Data problems\n\n{} ({}).\n",
                plural(state.issues.len(), "data problem", "data problems"),
                plural(problem_errors, "error", "errors"),
            ));
            // By code: errors first, then the most frequent.
            let mut by_code: BTreeMap<(u8, &str), (usize, &DataIssue)> = BTreeMap::new();
            for i in &state.issues {
                by_code
                    .entry((severity_rank(i.severity), i.code.as_str()))
                    .or_insert((0, i))
                    .0 += 1;
            }
            let mut codes: Vec<_> = by_code.into_iter().collect();
            codes.sort_by(|((ra, ca), (na, _)), ((rb, cb), (nb, _))| {
                (ra, std::cmp::Reverse(na), ca).cmp(&(rb, std::cmp::Reverse(nb), cb))
            });
            let total = codes.len();
            let rows = codes
                .iter()
                .map(|((_, code), (n, first))| {
                    vec![
                        severity_word(first.severity).to_string(),
                        (*code).to_string(),
                        group_digits(*n),
                        issue_place(first),
                        crate::escape::markdown_message(&first.message),
                    ]
                })
                .collect();
            doc.table(
                &Table {
                    columns: &[
                        ("severity", Align::Left),
                        ("code", Align::Left),
                        ("problems", Align::Right),
                        ("first at", Align::Left),
                        ("first problem", Align::Left),
                    ],
                    rows,
                    total,
                    max_rows: TOP,
                    what: "codes",
                    rest: "(see `summary.issues` of the JSON report)",
                },
                10_000,
            );
            if state.issues.len() > 1 {
                let mut order: Vec<&DataIssue> = state.issues.iter().collect();
                order.sort_by_key(|i| severity_rank(i.severity));
                let shown = order.len().min(100);
                doc.details(
                    &format!(
                        "Every data problem, errors first ({})",
                        plural(state.issues.len(), "problem", "problems")
                    ),
                    12_000,
                    |d| {
                        let rows = order
                            .iter()
                            .take(shown)
                            .map(|i| {
                                vec![
                                    severity_word(i.severity).to_string(),
                                    i.code.as_str().to_string(),
                                    issue_place(i),
                                    crate::escape::markdown_message(&i.message),
                                ]
                            })
                            .collect();
                        d.table(
                            &Table {
                                columns: &[
                                    ("severity", Align::Left),
                                    ("code", Align::Left),
                                    ("where", Align::Left),
                                    ("problem", Align::Left),
                                ],
                                rows,
                                total: order.len(),
                                max_rows: shown,
                                what: "data problems",
                                rest: "(all of them in `issues` of the JSON report)",
                            },
                            usize::MAX,
                        );
                    },
                );
            }
        }
        if held > 0 {
            doc.block(&format!(
                "\n{} with an unknown lifecycle: no account enabled, no access granted, whatever {} now held as it is (`E120` among the data problems says why).\n",
                plural(held, "identity", "identities"),
                if held == 1 { "it holds is" } else { "they hold is" }
            ));
        }
        if !summary.undetermined.is_empty() {
            doc.block(&format!(
                "\n### Undetermined\n\n{} could not be decided, and {} not granted (see `E130` among the data problems and `undetermined` in the JSON report).\n",
                plural(
                    undetermined,
                    "group membership, package assignment or account",
                    "group memberships, package assignments or accounts"
                ),
                if undetermined == 1 { "is" } else { "are" }
            ));
            let mut counts: Vec<(&String, &usize)> = summary.undetermined.iter().collect();
            counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let rows = counts
                .iter()
                .take(TOP)
                .map(|(k, v)| vec![cell_code(k), group_digits(**v)])
                .collect();
            doc.table(
                &Table {
                    columns: &[("membership", Align::Left), ("undetermined", Align::Right)],
                    rows,
                    total: counts.len(),
                    max_rows: TOP,
                    what: "memberships",
                    rest: "(see `summary.undetermined` of the JSON report)",
                },
                4_000,
            );
        }
    }
    if sections.summary {
        doc.block("\n### Lifecycle\n");
        let rows: Vec<Vec<String>> = summary
            .lifecycle
            .iter()
            .map(|(k, v)| vec![k.clone(), group_digits(*v)])
            .collect();
        doc.table(
            &Table {
                columns: &[("lifecycle", Align::Left), ("identities", Align::Right)],
                total: rows.len(),
                max_rows: rows.len(),
                rows,
                what: "states",
                rest: "",
            },
            usize::MAX,
        );
        if !summary.lifecycle.is_empty() {
            let mut pie = String::from("\n```mermaid\npie title Lifecycle\n");
            for (k, v) in &summary.lifecycle {
                let _ = writeln!(pie, "    \"{k}\" : {v}");
            }
            pie.push_str("```\n");
            doc.block(&pie);
        }
        let sized = |doc: &mut Doc,
                     title: &str,
                     kind: &str,
                     what: &str,
                     counts: Vec<(String, Vec<String>, usize)>,
                     columns: &[(&str, Align)],
                     share: usize| {
            if counts.is_empty() {
                return;
            }
            doc.block(&format!("\n### {title}\n"));
            // The largest first; the whole list by name below when it does not fit.
            let mut largest: Vec<&(String, Vec<String>, usize)> = counts.iter().collect();
            largest.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
            let row = |(name, cells, _): &(String, Vec<String>, usize)| -> Vec<String> {
                std::iter::once(label(kind, name))
                    .chain(cells.iter().cloned())
                    .collect()
            };
            let rows = largest.iter().take(TOP).map(|c| row(c)).collect();
            let shown = doc.table(
                &Table {
                    columns,
                    rows,
                    total: counts.len(),
                    max_rows: TOP,
                    what,
                    rest: "(the largest are shown; all of them by name below)",
                },
                share,
            );
            if shown < counts.len() {
                doc.details(
                    &format!("All {} {what}, by name", group_digits(counts.len())),
                    share,
                    |d| {
                        d.table(
                            &Table {
                                columns,
                                rows: counts.iter().map(row).collect(),
                                total: counts.len(),
                                max_rows: counts.len(),
                                what,
                                rest: "(all of them in `summary` of the JSON report)",
                            },
                            usize::MAX,
                        );
                    },
                );
            }
        };
        let members = |m: &BTreeMap<String, usize>| -> Vec<(String, Vec<String>, usize)> {
            m.iter()
                .map(|(k, v)| (k.clone(), vec![group_digits(*v)], *v))
                .collect()
        };
        sized(
            &mut doc,
            "Groups",
            "group",
            "groups",
            members(&summary.groups),
            &[("group", Align::Left), ("members", Align::Right)],
            7_000,
        );
        sized(
            &mut doc,
            "Access packages",
            "package",
            "access packages",
            members(&summary.access_packages),
            &[
                ("access package", Align::Left),
                ("assignments", Align::Right),
            ],
            5_000,
        );
        let targets = state
            .account_counts()
            .into_iter()
            .map(|(t, (e, d, h))| {
                (
                    t,
                    vec![group_digits(e), group_digits(d), group_digits(h)],
                    e + d + h,
                )
            })
            .collect();
        sized(
            &mut doc,
            "Targets",
            "target",
            "targets",
            targets,
            &[
                ("target", Align::Left),
                ("enabled accounts", Align::Right),
                ("disabled accounts", Align::Right),
                ("held accounts", Align::Right),
            ],
            4_000,
        );
    }
    if sections.identities
        && let Some(rows) = options.rows
    {
        identities_markdown(&mut doc, state, rows);
    }
    doc.finish()
}

/// Where a data problem is, for a Markdown cell: file, row (or line) and field.
fn issue_place(i: &DataIssue) -> String {
    use crate::markdown::{cell_code, cell_text};
    let row = if i.in_policy() { "line" } else { "row" };
    let file = cell_text(&i.file);
    let place = match (i.row, &i.field) {
        (Some(r), Some(f)) => format!("{file} {row} {r}, {}", cell_code(f)),
        (Some(r), None) => format!("{file} {row} {r}"),
        (None, Some(f)) => format!("{file} {}", cell_code(f)),
        (None, None) => file,
    };
    place.trim().to_string()
}

/// The "Identities" section: one row per selected identity (lifecycle, groups, packages,
/// accounts), as many as fit.
fn identities_markdown(doc: &mut crate::markdown::Doc, state: &DesiredState, rows: &[usize]) {
    use crate::markdown::{Align, Table, cell_code, group_digits};
    doc.block(&format!(
        "\n### Identities\n\n{} selected.\n",
        group_digits(rows.len())
    ));
    const LISTED: usize = 8;
    let list = |cells: Vec<String>| -> String {
        let n = cells.len();
        let mut cells: Vec<String> = cells.into_iter().take(LISTED).collect();
        if n > LISTED {
            cells.push(format!("and {} more", n - LISTED));
        }
        cells.join(", ")
    };
    let ids = &state.identities;
    let max = 200;
    let table_rows = rows
        .iter()
        .take(max)
        .map(|&i| {
            let lifecycle = ids.lifecycle(i);
            let names = |sets: &[(String, Bitset)]| -> Vec<String> {
                sets.iter()
                    .filter(|(_, b)| b.contains(i))
                    .map(|(n, _)| cell_code(n))
                    .collect()
            };
            let accounts: Vec<String> = ids
                .targets
                .iter()
                .filter_map(|t| {
                    let state = t.state(i, lifecycle)?;
                    let word = match state {
                        AccountState::Enabled => "enabled",
                        AccountState::Disabled => "disabled",
                        AccountState::Held => "held",
                    };
                    Some(format!("{} {word}", cell_code(&t.name)))
                })
                .collect();
            vec![
                cell_code(ids.key(i).unwrap_or_default()),
                lifecycle.word().to_string(),
                list(names(&ids.groups)),
                list(names(&ids.packages)),
                list(accounts),
            ]
        })
        .collect();
    doc.table(
        &Table {
            columns: &[
                ("identity", Align::Left),
                ("lifecycle", Align::Left),
                ("groups", Align::Left),
                ("access packages", Align::Left),
                ("accounts", Align::Left),
            ],
            rows: table_rows,
            total: rows.len(),
            max_rows: max,
            what: "identities",
            rest: "(`--format jsonl --identity KEY` gives each in full)",
        },
        usize::MAX,
    );
}

impl DesiredState {
    /// The YAML form (the same content as the JSON), written by [`crate::escape`]'s emitter:
    /// block style, scalars quoted and escaped whenever they could be misread, so no value
    /// starts a line or carries a raw control character.
    pub fn to_yaml(&self) -> String {
        let rows: Vec<usize> = (0..self.identities.len()).collect();
        self.to_yaml_with(super::jsonl::Sections::ALL, &rows)
    }

    /// The YAML form of `sections` (the as-of date always), identities `rows` only.
    pub fn to_yaml_with(&self, sections: super::jsonl::Sections, rows: &[usize]) -> String {
        use crate::escape::{yaml_entry, yaml_item};
        // Every field but the identities, in the report's order (the same fields as the JSON:
        // both are written from [`Filtered`]).
        let shell = self.filtered(sections, &[]);
        let mut out = String::new();
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&shell) else {
            return out;
        };
        for (key, value) in &fields {
            if key == "identities" && !rows.is_empty() {
                // One identity at a time, as the JSON is streamed.
                out.push_str("identities:\n");
                for &i in rows {
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
        self.to_csv_for(targets, None)
    }

    /// [`DesiredState::to_csv`] for the identities in `only` (all when `None`).
    pub fn to_csv_for(
        &self,
        targets: &[(String, Vec<String>)],
        only: Option<&Bitset>,
    ) -> Vec<(String, String)> {
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
                if let Some(only) = only {
                    rows.intersect_with(only);
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
        self.memberships_csv_for(None)
    }

    /// [`DesiredState::memberships_csv`] for the identities in `only` (all when `None`).
    pub fn memberships_csv_for(&self, only: Option<&Bitset>) -> String {
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
        for (i, (key, list)) in ids.keys().zip(&per).enumerate() {
            if only.is_some_and(|o| !o.contains(i)) {
                continue;
            }
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
