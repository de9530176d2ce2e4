//! The shape of a test file (`*.test.yaml`), with a span on every value. The JSON Schema
//! `schemas/test.schema.json` is generated from these types (`roster schema`).

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::yaml::Sp;

/// Named entries: the key is the name.
pub type Named<T> = IndexMap<Sp<String>, Sp<T>>;

/// A value in a fixture record, an attribute set or an expectation: a string, a number, a
/// boolean, `null`, or a list of those (a `string_list`).
pub type Value = serde_json::Value;

/// One test file. Every section is optional.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    /// The date the tests of this file are evaluated for (`YYYY-MM-DD`), unless a test gives
    /// its own. Without either, `roster test --as-of` gives it.
    #[serde(default)]
    pub as_of: Option<Sp<String>>,
    /// Scenario tests, by name: fixture people evaluated through the whole policy set.
    #[serde(default)]
    pub tests: Named<Scenario>,
    /// Rule tests, by name: one membership rule against attribute sets.
    #[serde(default)]
    pub rules: Named<RuleTest>,
}

/// A scenario: fixture people, evaluated as of a date, and what must hold for each.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the test pins, in words.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// The date evaluated for (`YYYY-MM-DD`); default: the file's `as_of`, then `--as-of`.
    #[serde(default)]
    pub as_of: Option<Sp<String>>,
    /// The fixture people, by a name the expectations use: for each, one record per source
    /// (source name to a map of field to value). Fields not given are empty; the records of
    /// every source replace that source's data file.
    pub people: Named<Person>,
    /// What must hold, by person name.
    #[serde(default)]
    pub expect: Named<Expectation>,
    /// The data problems the whole run must report, by code (`D102`, `E120`...): exactly
    /// these codes, each at least once. `[]` says the run has none. Not checked when absent.
    #[serde(default)]
    pub data_problems: Option<Sp<Vec<Sp<String>>>>,
}

/// One fixture person: a record per source, by source name.
pub type Person = Named<Record>;

/// One fixture record: field name to value.
pub type Record = Named<Value>;

/// What must hold for one person on the as-of date. Only what is written is checked.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The lifecycle state.
    #[serde(default)]
    pub lifecycle: Option<Sp<Lifecycle>>,
    /// Whether a mapping returned `IgnoreObjectFlow` for the person.
    #[serde(default)]
    pub ignored: Option<Sp<bool>>,
    /// Identity attribute values (`null` for no value).
    #[serde(default)]
    pub attributes: Named<Value>,
    /// Groups the person is a member of.
    #[serde(default)]
    pub in_groups: Vec<Sp<String>>,
    /// Groups the person is not a member of.
    #[serde(default)]
    pub not_in_groups: Vec<Sp<String>>,
    /// Access packages the person holds.
    #[serde(default)]
    pub in_packages: Vec<Sp<String>>,
    /// Access packages the person does not hold.
    #[serde(default)]
    pub not_in_packages: Vec<Sp<String>>,
    /// Accounts, by target.
    #[serde(default)]
    pub accounts: Named<AccountExpectation>,
    /// The person's separation-of-duties conflicts, exactly: each a pair of the names of
    /// two incompatible access packages, or of a package and a group, in any order. `[]` says
    /// the person has none.
    #[serde(default)]
    pub conflicts: Option<Sp<Vec<Sp<Pair>>>>,
    /// The data problems reported on this person's records, by code: exactly these codes.
    /// `[]` says there are none.
    #[serde(default)]
    pub data_problems: Option<Sp<Vec<Sp<String>>>>,
    /// The lifecycle workflows that run for the person on the as-of date, by name, exactly,
    /// in any order. `[]` says none does.
    #[serde(default)]
    pub workflows_due: Option<Sp<Vec<Sp<String>>>>,
}

/// Two names (of an access package and another package or a group).
pub type Pair = Vec<Sp<String>>;

/// A lifecycle state, as the report writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// Hired later than the pre-hire window.
    NotYetHired,
    /// Within the pre-hire window.
    PreHire,
    /// Between hire and leave.
    Active,
    /// After the leave date, within retention.
    Leaver,
    /// After retention.
    Deleted,
    /// Cannot be determined.
    Unknown,
}

/// What must hold for one account.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountExpectation {
    /// Whether the account exists and how.
    #[serde(default)]
    pub state: Option<Sp<AccountState>>,
    /// Target attribute values (`null` for no value); an attribute whose value does not flow
    /// (`IgnoreAttributeFlow`) is `null` here.
    #[serde(default)]
    pub attributes: Named<Value>,
}

/// The state of an account an expectation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    /// The account exists (enabled, disabled or held).
    Present,
    /// The account exists and is enabled.
    Enabled,
    /// The account exists, disabled.
    Disabled,
    /// The lifecycle is unknown: whatever exists is held as it is.
    Held,
    /// There is no account.
    Absent,
}

/// A rule test: one membership rule, the attribute sets it must match and those it must not.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleTest {
    /// What the test pins, in words.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// The rule of this dynamic group.
    #[serde(default)]
    pub group: Option<Sp<String>>,
    /// The auto-assignment rule of this access package.
    #[serde(default)]
    pub access_package: Option<Sp<String>>,
    /// A rule written here, checked against the identity attributes.
    #[serde(default)]
    pub rule: Option<Sp<String>>,
    /// The date `system.now` stands for (midnight UTC); default: the file's `as_of`, then
    /// `--as-of`.
    #[serde(default)]
    pub as_of: Option<Sp<String>>,
    /// Attribute sets (identity attribute to value; `memberOf` a list of group names,
    /// `manager` an identity key) the rule must match.
    #[serde(default)]
    pub matches: Vec<Sp<Named<Value>>>,
    /// Attribute sets the rule must not match.
    #[serde(default)]
    pub does_not_match: Vec<Sp<Named<Value>>>,
}
