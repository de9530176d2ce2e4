//! The raw policy model: the shape of the YAML files, with a span on every value. Nothing here
//! is resolved or validated beyond its shape; [`super::compile`] does that once every file of
//! the set is loaded, because references cross files.
//!
//! The JSON Schemas in `schemas/` are generated from these types (`roster schema`).

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::ranges;
use crate::yaml::Sp;

/// Named objects of one kind: the key is the name, unique across the whole policy set.
pub type Named<T> = IndexMap<Sp<String>, Sp<T>>;

/// One policy file. Every section is optional; a policy set is the union of its files.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Tenant-wide settings (at most one file may set them).
    #[serde(default)]
    pub tenant: Option<Sp<Tenant>>,
    /// Systems of record: HR exports and other authoritative sources.
    #[serde(default)]
    pub sources: Named<Source>,
    /// How source records become identities, and their attributes and lifecycle (at most one
    /// file may define it).
    #[serde(default)]
    pub identity: Option<Sp<Identity>>,
    /// Dynamic and static groups.
    #[serde(default)]
    pub groups: Named<Group>,
    /// Access packages of entitlement management.
    #[serde(default)]
    pub access_packages: Named<AccessPackage>,
    /// Connected organisations whose users may request access and become guests.
    #[serde(default)]
    pub connected_organizations: Named<ConnectedOrganization>,
    /// The directory and downstream applications.
    #[serde(default)]
    pub targets: Named<Target>,
    /// Lifecycle workflows.
    #[serde(default)]
    pub workflows: Named<Workflow>,
    /// Access reviews.
    #[serde(default)]
    pub reviews: Named<Review>,
    /// Decisions of access reviews, recorded in git: by review name, then by the start date of
    /// the instance (`YYYY-MM-DD`), the decisions taken in that instance.
    #[serde(default)]
    pub review_decisions: IndexMap<Sp<String>, Sp<ReviewInstances>>,
    /// Approvals of one `plan`'s destructive changes over a target's deletion threshold.
    #[serde(default)]
    pub approvals: Named<Approval>,
    /// Access-package assignments requested and approved, kept in git (`docs/access-requests.md`).
    #[serde(default)]
    pub assignments: Named<Assignment>,
}

/// Tenant-wide settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    /// The default domain, returned by `DefaultDomain()`.
    pub default_domain: Sp<String>,
    /// A display name for reports.
    #[serde(default)]
    pub name: Option<Sp<String>>,
    /// What happens to a guest invited through entitlement management when their last
    /// access-package assignment ends (Entra's defaults: block sign-in, remove after 30 days).
    #[serde(default)]
    pub external_users: Option<Sp<ExternalUsers>>,
}

/// The tenant's lifecycle settings of external users (guests) invited through entitlement
/// management, applied when a guest loses their last access-package assignment.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalUsers {
    /// Block the guest from signing in (default `true`).
    #[serde(default)]
    pub block_sign_in: Option<Sp<bool>>,
    /// Remove the guest from the directory (default `true`).
    #[serde(default)]
    pub remove: Option<Sp<bool>>,
    /// Days from the last assignment's end to the removal (default 30; 0 removes at once;
    /// 0 to 3,650). A connected organisation's `remove_guests_after_days` takes precedence
    /// for its guests.
    #[serde(default)]
    #[schemars(range(
        min = ranges::REMOVE_GUESTS_AFTER_DAYS.min,
        max = ranges::REMOVE_GUESTS_AFTER_DAYS.max
    ))]
    pub remove_after_days: Option<Sp<u32>>,
}

// ------------------------------------------------------------------------------------------
// Sources
// ------------------------------------------------------------------------------------------

/// A system of record.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// What the export is.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// The file format.
    pub format: Sp<SourceFormat>,
    /// The file, relative to the policy file that declares the source.
    pub path: Sp<String>,
    /// The field that identifies a record.
    pub key: Sp<String>,
    /// The CSV delimiter (default `,`).
    #[serde(default)]
    pub delimiter: Option<Sp<String>>,
    /// How duplicate keys resolve (default: refuse).
    #[serde(default)]
    pub duplicates: Option<Sp<Duplicates>>,
    /// The field holding each record's last modification time, for `duplicates: latest`.
    #[serde(default)]
    pub modified_field: Option<Sp<String>>,
    /// The declared fields and their types.
    pub fields: Named<FieldType>,
    /// The identity attributes this source is authoritative for.
    #[serde(default)]
    pub authoritative_for: Vec<Sp<String>>,
    /// Whether the file may hold no records (default `false`: a source without records stops
    /// `eval`, since a report without its people would be wrong). A missing or unreadable
    /// file stops `eval` either way.
    #[serde(default)]
    pub optional: Option<Sp<bool>>,
}

/// Source file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// A JSON array of objects.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// A SCIM bulk request, as Entra's API-driven inbound provisioning receives it.
    Scim,
}

/// How duplicate keys in a source resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Duplicates {
    /// A duplicate key is an error.
    Refuse,
    /// Keep the record with the latest `modified_field`.
    Latest,
}

/// The type of a source field or identity attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Text.
    String,
    /// `true` / `false`.
    Boolean,
    /// A number.
    Number,
    /// A date and time.
    Datetime,
    /// Several strings.
    StringList,
}

// ------------------------------------------------------------------------------------------
// Identity
// ------------------------------------------------------------------------------------------

/// How records become identities.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Key pairs that join records of different sources into one identity, in precedence
    /// order: the first pair that matches wins.
    #[serde(default)]
    pub correlation: Vec<Sp<Correlation>>,
    /// Source precedence when several sources are authoritative for an attribute.
    #[serde(default)]
    pub precedence: Vec<Sp<String>>,
    /// The identity attributes.
    pub attributes: Named<Attribute>,
    /// Joiner, mover and leaver dates and windows.
    #[serde(default)]
    pub lifecycle: Option<Sp<Lifecycle>>,
}

/// A key pair: `left` and `right` are `source.field`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Correlation {
    /// `source.field` of one side.
    pub left: Sp<String>,
    /// `source.field` of the other side.
    pub right: Sp<String>,
}

/// An attribute mapping: exactly one of `source` (direct), `constant` and `expression`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    /// What the attribute means.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// The attribute's type (default `string`).
    #[serde(default, rename = "type")]
    pub ty: Option<Sp<FieldType>>,
    /// Direct mapping: the field (inbound: `[source.]field`; outbound: an identity attribute).
    #[serde(default)]
    pub source: Option<Sp<String>>,
    /// Constant mapping.
    #[serde(default)]
    pub constant: Option<Sp<String>>,
    /// Expression mapping, in Entra's expression language.
    #[serde(default)]
    pub expression: Option<Sp<String>>,
    /// When the mapping applies (default `always`).
    #[serde(default)]
    pub apply: Option<Sp<Apply>>,
    /// The value used when the mapping gives NULL, on creation only.
    #[serde(default)]
    pub default: Option<Sp<String>>,
}

/// When a mapping applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Apply {
    /// On creation and on every update.
    Always,
    /// Only when the object is created.
    OnCreate,
}

/// The lifecycle of an identity.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// The identity attribute holding the hire date.
    pub hire_date: Sp<String>,
    /// The identity attribute holding the leave date.
    #[serde(default)]
    pub leave_date: Option<Sp<String>>,
    /// The worker status and what each of its values means. An identity whose status is
    /// empty or not listed has an unknown lifecycle: no enabled account, no new access.
    #[serde(default)]
    pub status: Option<Sp<Status>>,
    /// Days before the hire date that the account exists (pre-hire), 0 to 365.
    #[serde(default)]
    #[schemars(range(min = ranges::PREHIRE_DAYS.min, max = ranges::PREHIRE_DAYS.max))]
    pub prehire_days: Option<Sp<u32>>,
    /// Days after leaving that the account stays disabled before deletion, 0 to 3,650.
    #[serde(default)]
    #[schemars(range(min = ranges::RETENTION_DAYS.min, max = ranges::RETENTION_DAYS.max))]
    pub retention_days: Option<Sp<u32>>,
    /// How a return after an earlier employment (a leave date before the hire date) is told
    /// apart: a conversion keeps the account through the gap, a rehire does not.
    #[serde(default)]
    pub rehire: Option<Sp<Rehire>>,
}

/// The worker status: the attribute that holds it and the meaning of each value.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Status {
    /// The identity attribute holding the status.
    pub attribute: Sp<String>,
    /// Each status value (compared exactly, case-sensitively) and what it means. A value not
    /// listed here, or an empty status, makes the lifecycle unknown.
    pub values: Named<StatusMeaning>,
}

/// What a worker status value means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusMeaning {
    /// Employed (or about to be): the dates decide.
    Active,
    /// No longer employed: the account is never enabled, whatever the dates say. Retention
    /// counts from a leave date that has passed; without one the account is kept, disabled.
    Leaver,
}

/// Telling a conversion from a rehire.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rehire {
    /// A new hire date fewer than this many days after the earlier leave date is a conversion
    /// (the account is kept, disabled, through the gap, whatever the retention); otherwise it
    /// is a rehire (retention applies to the earlier employment). Default 0: every return is a
    /// rehire. 0 to 3,650.
    #[serde(default)]
    #[schemars(range(min = ranges::MIN_GAP_DAYS.min, max = ranges::MIN_GAP_DAYS.max))]
    pub min_gap_days: Option<Sp<u32>>,
}

// ------------------------------------------------------------------------------------------
// Groups and access packages
// ------------------------------------------------------------------------------------------

/// A group: dynamic (`rule`) or static (`members`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// What the group is for.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// The name people see (Entra's `displayName`): free text shown next to the name in human
    /// reports; the name stays the identifier.
    #[serde(default)]
    pub display_name: Option<Sp<String>>,
    /// Dynamic membership rule, in Entra's rule language.
    #[serde(default)]
    pub rule: Option<Sp<String>>,
    /// Static members: identity keys.
    #[serde(default)]
    pub members: Option<Vec<Sp<String>>>,
    /// Owners: identity keys (the reviewers of an access review with `group_owners`).
    #[serde(default)]
    pub owners: Vec<Sp<String>>,
    /// Static members listed again after an access review removed them: identity key to the
    /// day, `YYYY-MM-DD`, from which they are members again. A review's removal stays while the
    /// member is listed (`docs/reviews.md`); this lifts the removals of the instances that
    /// ended on or before that day. Each key must be one of `members`.
    #[serde(default)]
    pub relisted: IndexMap<Sp<String>, Sp<String>>,
}

/// An access package.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessPackage {
    /// What the package grants.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// The name people see (Entra's `displayName`): free text shown next to the name in human
    /// reports; the name stays the identifier.
    #[serde(default)]
    pub display_name: Option<Sp<String>>,
    /// The catalog it belongs to.
    #[serde(default)]
    pub catalog: Option<Sp<String>>,
    /// The resource roles it grants.
    #[serde(default)]
    pub resources: Vec<Sp<Resource>>,
    /// Automatic assignment.
    #[serde(default)]
    pub auto_assignment: Option<Sp<AutoAssignment>>,
    /// Request policies, by name.
    #[serde(default)]
    pub policies: Named<RequestPolicy>,
    /// Packages whose holders cannot get this one.
    #[serde(default)]
    pub incompatible_packages: Vec<Sp<String>>,
    /// Groups whose members cannot get this one.
    #[serde(default)]
    pub incompatible_groups: Vec<Sp<String>>,
    /// How a person holding this package and an incompatible one (or group) is reported:
    /// `warn` (the default) or `error`, which fails `eval` (exit 1). A conflict is an error
    /// when either side's declaration says so; `eval --deny-conflicts` makes every conflict one.
    #[serde(default)]
    pub separation_of_duties: Option<Sp<ConflictSeverity>>,
}

/// How separation-of-duties conflicts are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConflictSeverity {
    /// A warning: reported, the run succeeds.
    Warn,
    /// An error: reported, the run fails.
    Error,
}

/// A resource role.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Resource {
    /// Membership of a group.
    Group(Sp<String>),
    /// An application role in a target.
    AppRole(AppRole),
    /// A SharePoint site role.
    Site(Site),
}

/// An application role.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppRole {
    /// The target application.
    pub target: Sp<String>,
    /// The role's name.
    pub role: Sp<String>,
}

/// A site role.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// The site's address.
    pub url: Sp<String>,
    /// The role's name.
    pub role: Sp<String>,
}

/// Automatic assignment by rule.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoAssignment {
    /// The membership rule, in Entra's rule language.
    pub rule: Sp<String>,
    /// Days that access is kept after the person falls out of scope, 0 to 3,660.
    #[serde(default)]
    #[schemars(range(min = ranges::GRACE_PERIOD_DAYS.min, max = ranges::GRACE_PERIOD_DAYS.max))]
    pub grace_period_days: Option<Sp<u32>>,
}

/// A request policy.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestPolicy {
    /// Who may request.
    pub requestors: Sp<Requestors>,
    /// Approval stages; none means no approval.
    #[serde(default)]
    pub approval: Vec<Sp<ApprovalStage>>,
    /// When assignments expire.
    #[serde(default)]
    pub expiry: Option<Sp<Expiry>>,
    /// Whether requestors must justify.
    #[serde(default)]
    pub justification: Option<Sp<bool>>,
}

/// Who may request.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Requestors {
    /// Administrators assign directly; nobody requests.
    None,
    /// All members (not guests).
    AllMembers,
    /// All users, guests included.
    AllUsers,
    /// Members of these groups.
    Groups(Vec<Sp<String>>),
    /// Users of these connected organisations.
    ConnectedOrganizations(Vec<Sp<String>>),
    /// Users of any configured connected organisation.
    AllConnectedOrganizations,
}

/// One approval stage.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalStage {
    /// Who approves.
    pub approvers: Vec<Sp<Approver>>,
    /// Who approves when the approvers cannot be found.
    #[serde(default)]
    pub fallback: Vec<Sp<Approver>>,
    /// Days before an unanswered request is denied, 1 to 14.
    #[schemars(range(min = ranges::TIMEOUT_DAYS.min, max = ranges::TIMEOUT_DAYS.max))]
    pub timeout_days: Sp<u32>,
}

/// An approver.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Approver {
    /// The requestor's manager.
    Manager,
    /// An internal sponsor of the connected organisation.
    InternalSponsor,
    /// An external sponsor of the connected organisation.
    ExternalSponsor,
    /// A specific person (identity key).
    User(Sp<String>),
    /// Members of a group.
    Group(Sp<String>),
}

/// When an assignment expires.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expiry {
    /// Never.
    Never,
    /// After this many days (0 to 3,660).
    Days(#[schemars(range(min = ranges::EXPIRY_DAYS.min, max = ranges::EXPIRY_DAYS.max))] Sp<u32>),
    /// After this many hours (1 to 87,840).
    Hours(
        #[schemars(range(min = ranges::EXPIRY_HOURS.min, max = ranges::EXPIRY_HOURS.max))] Sp<u32>,
    ),
    /// On this date (`YYYY-MM-DD`).
    On(Sp<String>),
}

/// A connected organisation.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectedOrganization {
    /// Its domain.
    pub domain: Sp<String>,
    /// The name people see (Entra's `displayName`): free text shown next to the name in human
    /// reports; the name stays the identifier.
    #[serde(default)]
    pub display_name: Option<Sp<String>>,
    /// Configured by an administrator, or proposed by a request.
    #[serde(default)]
    pub state: Option<Sp<OrganizationState>>,
    /// Internal sponsors (identity keys).
    #[serde(default)]
    pub internal_sponsors: Vec<Sp<String>>,
    /// External sponsors (e-mail addresses).
    #[serde(default)]
    pub external_sponsors: Vec<Sp<String>>,
    /// Days from a guest's last assignment to their removal (Entra's default 30; 0 to 3,650).
    #[serde(default)]
    #[schemars(range(
        min = ranges::REMOVE_GUESTS_AFTER_DAYS.min,
        max = ranges::REMOVE_GUESTS_AFTER_DAYS.max
    ))]
    pub remove_guests_after_days: Option<Sp<u32>>,
}

/// The state of a connected organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationState {
    /// Created by an administrator.
    Configured,
    /// Created by a request.
    Proposed,
}

// ------------------------------------------------------------------------------------------
// Targets
// ------------------------------------------------------------------------------------------

/// The directory or a downstream application.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// What the target is.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// The name people see (Entra's `displayName`): free text shown next to the name in human
    /// reports; the name stays the identifier.
    #[serde(default)]
    pub display_name: Option<Sp<String>>,
    /// The kind of system.
    pub kind: Sp<TargetKind>,
    /// How to reach it (address only; credentials come from the environment, never from
    /// policy files).
    #[serde(default)]
    pub connection: Option<Sp<Connection>>,
    /// Which identities are in scope (default: only those assigned to it).
    #[serde(default)]
    pub scope: Option<Sp<Scope>>,
    /// Matching attributes in precedence order: the first that matches wins.
    #[serde(default)]
    pub matching: Vec<Sp<String>>,
    /// Outbound attribute mappings: target attribute to mapping over identity attributes.
    pub mappings: Named<Attribute>,
    /// What happens to an account that falls out of scope (default `disable`).
    #[serde(default)]
    pub out_of_scope: Option<Sp<OutOfScope>>,
    /// Most deletions and disables one run may make, 1 to 1,000,000.
    #[serde(default)]
    #[schemars(range(min = ranges::DELETION_THRESHOLD.min, max = ranges::DELETION_THRESHOLD.max))]
    pub deletion_threshold: Option<Sp<u32>>,
    /// Also most deletions and disables one run may make as a percentage of the accounts
    /// Roster manages in the target, 1 to 100; the lower of the two limits applies.
    #[serde(default)]
    #[schemars(range(min = ranges::DELETION_THRESHOLD_PERCENT.min, max = ranges::DELETION_THRESHOLD_PERCENT.max))]
    pub deletion_threshold_percent: Option<Sp<u32>>,
    /// Where `roster plan` reads what the target actually holds.
    #[serde(default)]
    pub actual: Option<Sp<ActualExport>>,
    /// What `roster plan` does with an actual account that matches no person the systems of
    /// record know (default `leave`: reported, never touched).
    #[serde(default)]
    pub unmatched_accounts: Option<Sp<UnmatchedAccounts>>,
}

/// A target's actual-state exports, read by `roster plan`. Paths are relative to the
/// declaring file (or to `--actual DIR` when given) and stay inside the repository.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActualExport {
    /// The export format (default by kind: `graph` for a directory, `scim` for SCIM, `ldif`
    /// for LDAP, `csv` for SQL).
    #[serde(default)]
    pub format: Option<Sp<ActualFormat>>,
    /// The user accounts: a file, or a directory of page files read in name order.
    pub users: Sp<String>,
    /// The groups, with their direct members (Graph, SCIM, LDIF).
    #[serde(default)]
    pub groups: Option<Sp<String>>,
    /// Graph only: a directory of `GET /groups/{id}/members` exports, one per group.
    #[serde(default)]
    pub members: Option<Sp<String>>,
    /// Graph only: the access-package assignments
    /// (`/identityGovernance/entitlementManagement/assignments`).
    #[serde(default)]
    pub assignments: Option<Sp<String>>,
    /// CSV only: the column holding each row's identifier (default `id`).
    #[serde(default)]
    pub key: Option<Sp<String>>,
    /// CSV only: the delimiter (default `,`).
    #[serde(default)]
    pub delimiter: Option<Sp<String>>,
    /// CSV only: how NULL is written: `unquoted-empty` (default), `never`, or a marker such as
    /// `\N`.
    #[serde(default)]
    pub null: Option<Sp<String>>,
    /// CSV only: the column saying whether the account is enabled.
    #[serde(default)]
    pub enabled: Option<Sp<String>>,
    /// The target is new: an empty users export is what it holds, not a lost file (default
    /// false: an empty export while the desired state holds accounts stops the target's plan).
    #[serde(default)]
    pub allow_empty: Option<Sp<bool>>,
}

/// The export formats `roster plan` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActualFormat {
    /// Microsoft Graph JSON (pages, JSON Lines, PowerShell `ConvertTo-Json`).
    Graph,
    /// LDIF (RFC 2849), as `ldapsearch` and `ldifde` write it.
    Ldif,
    /// SCIM 2.0 `ListResponse` pages.
    Scim,
    /// A CSV table export.
    Csv,
}

/// What `roster plan` does with an account that matches nobody the systems of record know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnmatchedAccounts {
    /// Report it; never change it (the default: service and admin accounts live here).
    Leave,
    /// Disable it (counted against the deletion threshold).
    Disable,
    /// Delete it (counted against the deletion threshold).
    Delete,
}

/// An approval of one plan's destructive changes in one target, over its deletion threshold.
/// It holds only for exactly the changes it names: the same counts and the same fingerprint,
/// which `roster plan` prints when it refuses.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The target.
    pub target: Sp<String>,
    /// The number of deletions approved.
    pub deletes: Sp<u32>,
    /// The number of disables approved.
    pub disables: Sp<u32>,
    /// The fingerprint of the destructive changes (`sha256:` and 64 hex digits), as `plan`
    /// prints it.
    pub fingerprint: Sp<String>,
    /// The last day the approval holds, `YYYY-MM-DD` (the as-of date is compared with it).
    pub expires: Sp<String>,
    /// Why, for the reviewer.
    #[serde(default)]
    pub reason: Option<Sp<String>>,
}

/// Kinds of target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// Microsoft Entra ID or Active Directory.
    Directory,
    /// A SCIM 2.0 application.
    Scim,
    /// An LDAP directory.
    Ldap,
    /// A SQL database.
    Sql,
}

/// How to reach a target.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// The endpoint (`https://...`, `ldaps://...`, a connection string without password).
    #[serde(default)]
    pub url: Option<Sp<String>>,
    /// The environment variable that holds the credential.
    #[serde(default)]
    pub credential_env: Option<Sp<String>>,
    /// Anything else, as key/value pairs.
    #[serde(default)]
    pub settings: IndexMap<Sp<String>, Sp<String>>,
}

/// Who is in scope of a target: everyone (`sync: all`) or only those assigned to it (the
/// default) through the listed groups and packages or an access package that grants one of
/// its app roles; then the scoping filters.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Whom the target takes before the filters (default `assigned`, as Entra's "sync only
    /// assigned users and groups").
    #[serde(default)]
    pub sync: Option<Sp<SyncMode>>,
    /// Members of these groups are assigned.
    #[serde(default)]
    pub groups: Vec<Sp<String>>,
    /// Holders of these access packages are assigned.
    #[serde(default)]
    pub access_packages: Vec<Sp<String>>,
    /// Scoping filters: the filters are ORed, the clauses of one filter ANDed.
    #[serde(default)]
    pub filters: Vec<Sp<Vec<Sp<Clause>>>>,
}

/// Whom a target takes before its scoping filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Only identities assigned to the target: members of its `groups`, holders of its
    /// `access_packages`, and holders of any access package that grants one of its app roles.
    /// With no assignment the target holds nobody.
    Assigned,
    /// Every identity ("sync all users and groups"); `groups` and `access_packages` do not
    /// narrow it.
    All,
}

/// One scoping-filter clause.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// The identity attribute tested.
    pub attribute: Sp<String>,
    /// The operator, as Entra names it.
    pub operator: Sp<ClauseOperator>,
    /// The value compared with (not used by the `IS ...` operators).
    #[serde(default)]
    pub value: Option<Sp<String>>,
}

/// Scoping-filter operators, with Entra's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum ClauseOperator {
    /// The value is one of a `,`-separated list.
    #[serde(rename = "&")]
    In,
    /// The value is none of a `,`-separated list.
    #[serde(rename = "!&")]
    NotIn,
    /// Ends with (case-sensitive).
    #[serde(rename = "ENDS_WITH")]
    EndsWith,
    /// Equal (case-sensitive).
    #[serde(rename = "EQUALS")]
    Equals,
    /// Not equal (case-sensitive).
    #[serde(rename = "NOT EQUALS")]
    NotEquals,
    /// Greater than (integers).
    #[serde(rename = "Greater_Than")]
    GreaterThan,
    /// Greater than or equal (integers).
    #[serde(rename = "Greater_Than_OR_EQUALS")]
    GreaterThanOrEquals,
    /// Contains (case-sensitive).
    #[serde(rename = "Includes")]
    Includes,
    /// Is false.
    #[serde(rename = "IS FALSE")]
    IsFalse,
    /// Is true.
    #[serde(rename = "IS TRUE")]
    IsTrue,
    /// Is empty.
    #[serde(rename = "IS NULL")]
    IsNull,
    /// Is not empty.
    #[serde(rename = "IS NOT NULL")]
    IsNotNull,
    /// Matches a regular expression (case-sensitive).
    #[serde(rename = "REGEX MATCH")]
    RegexMatch,
    /// Does not match a regular expression.
    #[serde(rename = "NOT REGEX MATCH")]
    NotRegexMatch,
}

/// What happens to an account out of scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutOfScope {
    /// Disable it (Entra's default).
    Disable,
    /// Delete it.
    Delete,
    /// Leave it as it is (`SkipOutOfScopeDeletions`).
    Leave,
}

// ------------------------------------------------------------------------------------------
// Workflows and reviews
// ------------------------------------------------------------------------------------------

/// A lifecycle workflow.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// What it does.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// The name people see (Entra's `displayName`): free text shown next to the name in human
    /// reports; the name stays the identifier.
    #[serde(default)]
    pub display_name: Option<Sp<String>>,
    /// Joiner, mover or leaver.
    pub category: Sp<Category>,
    /// When it runs.
    pub trigger: Sp<Trigger>,
    /// Who it runs for: a membership rule (default: everyone the trigger selects).
    #[serde(default)]
    pub scope: Option<Sp<String>>,
    /// Whether the workflow is enabled (Entra's `isEnabled`; default true). A disabled
    /// workflow never runs.
    #[serde(default)]
    pub enabled: Option<Sp<bool>>,
    /// Whether its schedule is switched on (Entra's `isSchedulingEnabled`; default true, so
    /// that a workflow in git runs). Without it, the triggers never fire.
    #[serde(default)]
    pub scheduled: Option<Sp<bool>>,
    /// The day scheduling was (or will be) switched on, `YYYY-MM-DD`: no run is due before
    /// it, and trigger days already past then are not caught up (`docs/workflows.md`).
    #[serde(default)]
    pub scheduled_since: Option<Sp<String>>,
    /// The tasks, in execution order: a task name (`disable_account`), or a mapping with the
    /// task and its options (`{disable_account: null, continue_on_error: true}`).
    pub tasks: Vec<Sp<WorkflowTask>>,
}

/// One task of a workflow with its options.
#[derive(Debug, Clone)]
pub struct WorkflowTask {
    /// The task.
    pub task: Task,
    /// Where the task's name is.
    pub name_span: crate::diagnostics::Span,
    /// Whether a failure of this task lets the later tasks run (Entra's `continueOnError`;
    /// default false).
    pub continue_on_error: Option<Sp<bool>>,
    /// Whether the task runs (Entra's `isEnabled`; default true).
    pub enabled: Option<Sp<bool>>,
}

impl WorkflowTask {
    /// Whether the task runs.
    pub fn is_enabled(&self) -> bool {
        self.enabled.as_ref().is_none_or(|e| e.value)
    }

    /// Whether a failure lets the later tasks run.
    pub fn continues_on_error(&self) -> bool {
        self.continue_on_error.as_ref().is_some_and(|c| c.value)
    }
}

const TASK_OPTIONS: [&str; 2] = ["continue_on_error", "enabled"];

impl<'de> Deserialize<'de> for WorkflowTask {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TaskVisitor)
    }
}

struct TaskVisitor;

impl<'de> serde::de::Visitor<'de> for TaskVisitor {
    type Value = WorkflowTask;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a task name, or a mapping of one task with `continue_on_error` or `enabled`")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<WorkflowTask, E> {
        use serde::de::IntoDeserializer as _;
        let task = Task::deserialize(v.into_deserializer())?;
        Ok(WorkflowTask {
            task,
            name_span: crate::diagnostics::Span::default(),
            continue_on_error: None,
            enabled: None,
        })
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<WorkflowTask, A::Error> {
        use serde::de::Error as _;
        let mut task: Option<(Task, crate::diagnostics::Span)> = None;
        let mut continue_on_error = None;
        let mut enabled = None;
        while let Some(key) = map.next_key::<Sp<String>>()? {
            match key.value.as_str() {
                "continue_on_error" => continue_on_error = Some(map.next_value::<Sp<bool>>()?),
                "enabled" => enabled = Some(map.next_value::<Sp<bool>>()?),
                name => {
                    if task.is_some() {
                        return Err(A::Error::custom(format!(
                            "unknown field `{name}`: one task per list item, with `continue_on_error` or `enabled`"
                        )));
                    }
                    let access = OneVariant {
                        name: name.to_string(),
                        map: &mut map,
                    };
                    let value =
                        Task::deserialize(serde::de::value::EnumAccessDeserializer::new(access))?;
                    task = Some((value, key.span));
                }
            }
        }
        let Some((task, name_span)) = task else {
            return Err(A::Error::custom(format!(
                "a task item names no task, only {}",
                TASK_OPTIONS.join(" or ")
            )));
        };
        Ok(WorkflowTask {
            task,
            name_span,
            continue_on_error,
            enabled,
        })
    }
}

/// The task of a task mapping: its key is the variant, its value the variant's content.
struct OneVariant<'m, A> {
    name: String,
    map: &'m mut A,
}

impl<'de, A: serde::de::MapAccess<'de>> serde::de::EnumAccess<'de> for OneVariant<'_, A> {
    type Error = A::Error;
    type Variant = Self;

    fn variant_seed<V: serde::de::DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self), A::Error> {
        use serde::de::IntoDeserializer as _;
        let name = self.name.clone();
        let v = seed.deserialize(name.into_deserializer())?;
        Ok((v, self))
    }
}

impl<'de, A: serde::de::MapAccess<'de>> serde::de::VariantAccess<'de> for OneVariant<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        // `disable_account:` with no value (or `null`).
        self.map
            .next_value::<Option<serde::de::IgnoredAny>>()
            .and_then(|v| match v {
                None => Ok(()),
                Some(_) => Err(serde::de::Error::custom(format!(
                    "`{}` takes no value: write `{}: null`, or the name alone",
                    self.name, self.name
                ))),
            })
    }

    fn newtype_variant_seed<T: serde::de::DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, A::Error> {
        self.map.next_value_seed(seed)
    }

    fn tuple_variant<V: serde::de::Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(SeqSeed(visitor))
    }

    fn struct_variant<V: serde::de::Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(MapSeed(visitor))
    }
}

struct SeqSeed<V>(V);

impl<'de, V: serde::de::Visitor<'de>> serde::de::DeserializeSeed<'de> for SeqSeed<V> {
    type Value = V::Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_seq(self.0)
    }
}

struct MapSeed<V>(V);

impl<'de, V: serde::de::Visitor<'de>> serde::de::DeserializeSeed<'de> for MapSeed<V> {
    type Value = V::Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_map(self.0)
    }
}

/// The schema: [`Task`], or a mapping of one task with its options.
impl JsonSchema for WorkflowTask {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "WorkflowTask".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let task = generator.subschema_for::<Task>();
        let options = |task_name: &str, content: serde_json::Value| {
            serde_json::json!({
                "type": "object",
                "properties": {
                    task_name: content,
                    "continue_on_error": {
                        "description": "Whether a failure of this task lets the later tasks run (default false).",
                        "type": "boolean"
                    },
                    "enabled": {
                        "description": "Whether the task runs (default true).",
                        "type": "boolean"
                    }
                },
                "required": [task_name],
                "additionalProperties": false
            })
        };
        // Each of the task's own forms, as a mapping with the options beside it: a unit
        // task's value is null, another's is its content.
        let mut forms = vec![task.as_value().clone()];
        let inline = Task::json_schema(generator);
        let branches = inline
            .as_value()
            .get("oneOf")
            .and_then(|b| b.as_array())
            .cloned()
            .unwrap_or_default();
        for branch in branches {
            if let Some(name) = branch.get("const").and_then(|c| c.as_str()) {
                forms.push(options(name, serde_json::json!({"type": "null"})));
            } else if let Some(props) = branch.get("properties").and_then(|p| p.as_object()) {
                for (name, content) in props {
                    forms.push(options(name, content.clone()));
                }
            }
        }
        schemars::json_schema!({
            "description": "A task name, or a mapping of one task with its options.",
            "anyOf": forms
        })
    }
}

/// Workflow categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Someone joins.
    Joiner,
    /// Someone moves.
    Mover,
    /// Someone leaves.
    Leaver,
}

/// When a workflow runs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// Days before (negative) or after a date attribute.
    TimeBased(TimeBased),
    /// When one of these identity attributes changes.
    AttributeChange(Vec<Sp<String>>),
    /// When someone is added to or removed from a group.
    GroupMembership(GroupMembership),
    /// Only when run on demand.
    OnDemand,
}

/// A time-based trigger.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeBased {
    /// The date attribute.
    pub attribute: Sp<String>,
    /// Days after (positive) or before (negative) it, -180 to 180.
    #[schemars(range(min = ranges::OFFSET_DAYS.min, max = ranges::OFFSET_DAYS.max))]
    pub offset_days: Sp<i32>,
}

/// A group-membership trigger.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMembership {
    /// The group.
    pub group: Sp<String>,
    /// Added or removed.
    pub change: Sp<MembershipChange>,
}

/// A membership change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MembershipChange {
    /// Added to the group.
    Add,
    /// Removed from the group.
    Remove,
}

/// A workflow task.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Task {
    /// Enable the account.
    EnableAccount,
    /// Disable the account.
    DisableAccount,
    /// Delete the user.
    DeleteUser,
    /// Add the user to groups.
    AddToGroups(Vec<Sp<String>>),
    /// Remove the user from groups.
    RemoveFromGroups(Vec<Sp<String>>),
    /// Remove the user from every group.
    RemoveFromAllGroups,
    /// Request access-package assignments.
    AssignAccessPackages(Vec<Sp<String>>),
    /// Remove access-package assignments.
    RemoveAccessPackages(Vec<Sp<String>>),
    /// Remove every access-package assignment.
    RemoveAllAccessPackages,
    /// Send an e-mail.
    SendEmail(Email),
    /// Generate a temporary access pass and send it to the manager.
    GenerateTemporaryAccessPass(TemporaryAccessPass),
    /// Revoke refresh tokens.
    RevokeSessions,
    /// Run a custom task extension.
    CustomExtension(Sp<String>),
}

/// An e-mail task.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Email {
    /// Who receives it.
    pub to: Sp<Recipient>,
    /// A custom subject.
    #[serde(default)]
    pub subject: Option<Sp<String>>,
    /// A custom body.
    #[serde(default)]
    pub body: Option<Sp<String>>,
    /// Identity keys of people who get a copy (Entra's `cc`, at most 10).
    #[serde(default)]
    pub cc: Vec<Sp<String>>,
    /// The language of the default wording (Entra's `locale`, such as `en-US`).
    #[serde(default)]
    pub locale: Option<Sp<String>>,
}

/// E-mail recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The user.
    User,
    /// The user's manager.
    Manager,
}

/// A temporary access pass task.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TemporaryAccessPass {
    /// Minutes the pass is valid (10 to 43,200).
    #[schemars(range(min = ranges::LIFETIME_MINUTES.min, max = ranges::LIFETIME_MINUTES.max))]
    pub lifetime_minutes: Sp<u32>,
    /// Whether the pass works once.
    #[serde(default)]
    pub one_time: Option<Sp<bool>>,
}

/// An access review.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// What it checks.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// The name people see (Entra's `displayName`): free text shown next to the name in human
    /// reports; the name stays the identifier.
    #[serde(default)]
    pub display_name: Option<Sp<String>>,
    /// What is reviewed.
    pub scope: Sp<ReviewScope>,
    /// Who reviews.
    pub reviewers: Vec<Sp<Reviewer>>,
    /// Who reviews when the reviewers cannot be found.
    #[serde(default)]
    pub fallback_reviewers: Vec<Sp<Reviewer>>,
    /// How often it recurs.
    pub recurrence: Sp<Recurrence>,
    /// Days each instance lasts: 1 to 3,650, and no longer than the recurrence period.
    #[schemars(range(
        min = ranges::REVIEW_DURATION_DAYS.min,
        max = ranges::REVIEW_DURATION_DAYS.max
    ))]
    pub duration_days: Sp<u32>,
    /// What happens to access nobody reviewed.
    pub default_decision: Sp<DefaultDecision>,
    /// Whether decisions are applied automatically at the end.
    pub auto_apply: Sp<bool>,
    /// Review guests only.
    #[serde(default)]
    pub guests_only: Option<Sp<bool>>,
    /// The stages of a multi-stage review (2 or 3), each with its reviewers and duration; the
    /// review's own `reviewers` are then `[]` and its `duration_days` the sum of the stages'.
    #[serde(default)]
    pub stages: Vec<Sp<ReviewStage>>,
    /// What a denial does to a guest (`guests_only` reviews of an access package or a group):
    /// `remove_access` (default: the assignment ends) or `block_and_delete` (Entra's
    /// `disableAndDeleteUserApplyAction`: sign-in blocked on the end day, removed 30 days
    /// later).
    #[serde(default)]
    pub denied_guests: Option<Sp<DeniedGuests>>,
    /// The start of the first instance, `YYYY-MM-DD`. A review without one has no instances:
    /// nothing is scheduled and no decision takes effect.
    #[serde(default)]
    pub start: Option<Sp<String>>,
    /// The series ends on this date, `YYYY-MM-DD`: no instance starts after it (Entra's end
    /// "on a specific date"). Without it and `occurrences`, the series never ends.
    #[serde(default)]
    pub end_date: Option<Sp<String>>,
    /// The series ends after this many instances, 1 to 1,000 (Entra's end "after N
    /// occurrences").
    #[schemars(range(
        min = ranges::REVIEW_OCCURRENCES.min,
        max = ranges::REVIEW_OCCURRENCES.max
    ))]
    #[serde(default)]
    pub occurrences: Option<Sp<u32>>,
    /// Reviewers who have not decided get a reminder at the midpoint of each instance
    /// (default `true`).
    #[serde(default)]
    pub reminders: Option<Sp<bool>>,
    /// Every decision must give a justification (default `false`).
    #[serde(default)]
    pub justification_required: Option<Sp<bool>>,
    /// `recommendation`: deny the reviewees who have not signed in during this many days
    /// before the end of the instance, 1 to 730 (default 30, Graph's
    /// `recommendationLookBackDuration`).
    #[schemars(range(
        min = ranges::REVIEW_LOOKBACK_DAYS.min,
        max = ranges::REVIEW_LOOKBACK_DAYS.max
    ))]
    #[serde(default)]
    pub recommendation_lookback_days: Option<Sp<u32>>,
    /// Entra's "inactive users (on tenant level) only": reviewees are those in scope who have
    /// not signed in during this many days before an instance starts (1 to 730), excluding
    /// those hired within them. Needs sign-in dates (`--sign-ins PATH`).
    #[schemars(range(
        min = ranges::REVIEW_INACTIVE_DAYS.min,
        max = ranges::REVIEW_INACTIVE_DAYS.max
    ))]
    #[serde(default)]
    pub inactive_days: Option<Sp<u32>>,
}

/// The decisions of one review, by the start date of the instance (`YYYY-MM-DD`).
pub type ReviewInstances = IndexMap<Sp<String>, Vec<Sp<ReviewDecision>>>;

/// One stage of a multi-stage access review.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewStage {
    /// Who reviews in this stage.
    pub reviewers: Vec<Sp<Reviewer>>,
    /// Who reviews when the stage's reviewers cannot be found.
    #[serde(default)]
    pub fallback_reviewers: Vec<Sp<Reviewer>>,
    /// Days the stage lasts (at least 1).
    pub duration_days: Sp<u32>,
    /// Which reviewees go on to the next stage, by their outcome in this one (default: all).
    #[serde(default)]
    pub advance: Option<Vec<Sp<Advance>>>,
}

/// A reviewee's outcome in a stage, for advancing to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Advance {
    /// Approved in the stage.
    Approve,
    /// Denied in the stage.
    Deny,
    /// "Don't know" in the stage.
    DontKnow,
    /// No decision in the stage.
    NotReviewed,
}

/// One decision of an access review, recorded in git.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecision {
    /// Whose access is decided: an identity key.
    pub reviewee: Sp<String>,
    /// Who decided: an identity key, allowed by the review's reviewers (or fallback reviewers).
    pub reviewer: Sp<String>,
    /// The decision.
    pub decision: Sp<Decision>,
    /// Why (required when the review sets `justification_required`, and for every denial of a
    /// review that does).
    #[serde(default)]
    pub justification: Option<Sp<String>>,
    /// The day of the decision, `YYYY-MM-DD`: inside the instance, from its start to the day
    /// before its end (inside its stage, for a multi-stage review).
    pub date: Sp<String>,
    /// The stage decided in, from 1: required in a multi-stage review, not allowed otherwise.
    #[serde(default)]
    pub stage: Option<Sp<u32>>,
}

/// A reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Access is kept.
    Approve,
    /// Access is removed at the end of the instance (when the review applies its results).
    Deny,
    /// The reviewer does not know: treated as not reviewed (the default decision applies).
    DontKnow,
}

impl Decision {
    /// The decision's name, as the policy writes it.
    pub fn word(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Deny => "deny",
            Decision::DontKnow => "dont_know",
        }
    }
}

/// What a review covers.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ReviewScope {
    /// Members of a group.
    Group(Sp<String>),
    /// Assignments of an access package.
    AccessPackage(Sp<String>),
    /// Accounts in a target application.
    Target(Sp<String>),
}

/// A reviewer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Reviewer {
    /// Each reviewee's manager.
    Manager,
    /// Each reviewee reviews themself.
    SelfReview,
    /// The owners of the reviewed group.
    GroupOwners,
    /// A specific person (identity key).
    User(Sp<String>),
    /// Members of a group.
    Group(Sp<String>),
}

/// Review recurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Recurrence {
    /// Once.
    OneTime,
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every six months.
    SemiAnnually,
    /// Every year.
    Annually,
}

/// What a review's denial does to a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeniedGuests {
    /// The guest loses the reviewed assignment (Entra's default).
    RemoveAccess,
    /// The guest's sign-in is blocked on the end day, and the guest removed 30 days later.
    BlockAndDelete,
}

/// The decision for unreviewed access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DefaultDecision {
    /// Leave access as it is.
    NoChange,
    /// Remove access.
    Deny,
    /// Keep access.
    Approve,
    /// Follow the system's recommendation.
    Recommendation,
}

// ------------------------------------------------------------------------------------------
// Assignment records
// ------------------------------------------------------------------------------------------

/// One access-package assignment, requested (or assigned directly by an administrator) and
/// approved, kept in git. Date-times are `YYYY-MM-DDTHH:MM:SSZ` (UTC) or `YYYY-MM-DD`
/// (midnight UTC).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// The requestor: an identity key of the primary source (or give `guest`).
    #[serde(default)]
    pub identity: Option<Sp<String>>,
    /// The requestor, when they are a user of a connected organisation (a guest once approved).
    #[serde(default)]
    pub guest: Option<Sp<GuestRequestor>>,
    /// The access package.
    pub package: Sp<String>,
    /// The package's request policy the request went through.
    pub policy: Sp<String>,
    /// When the request was made (or the direct assignment decided).
    pub requested: Sp<String>,
    /// An administrator's direct assignment (their identity key) rather than a request: the
    /// only way to be assigned through a policy whose `requestors` is `none`.
    #[serde(default)]
    pub assigned_by: Option<Sp<String>>,
    /// The approval decisions, one per stage of the policy, in stage order.
    #[serde(default)]
    pub approvals: Vec<Sp<ApprovalDecision>>,
    /// When access starts (default: the last approval, or the request when there is none).
    #[serde(default)]
    pub start: Option<Sp<String>>,
    /// When access ends (default: the policy's expiry); never later than the policy allows.
    #[serde(default)]
    pub end: Option<Sp<String>>,
    /// The requestor's justification.
    #[serde(default)]
    pub justification: Option<Sp<String>>,
    /// The assignment was removed before its end.
    #[serde(default)]
    pub revoked: Option<Sp<Revocation>>,
}

/// A requestor from a connected organisation.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestRequestor {
    /// Their e-mail address (the guest's identifier), in the organisation's domain.
    pub email: Sp<String>,
    /// Their name.
    #[serde(default)]
    pub display_name: Option<Sp<String>>,
    /// The connected organisation.
    pub organization: Sp<String>,
}

/// One stage's decision.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalDecision {
    /// The approver: an identity key, or an external sponsor's e-mail address.
    pub by: Sp<String>,
    /// `approve` or `deny`.
    pub decision: Sp<ApproverVerdict>,
    /// When.
    pub at: Sp<String>,
    /// The approver's justification.
    #[serde(default)]
    pub justification: Option<Sp<String>>,
}

/// An approver's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApproverVerdict {
    /// Approved.
    Approve,
    /// Denied: the request ends.
    Deny,
}

/// The removal of an assignment before its end.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// When.
    pub at: Sp<String>,
    /// Who removed it (identity key).
    pub by: Sp<String>,
    /// Why.
    #[serde(default)]
    pub reason: Option<Sp<String>>,
}
