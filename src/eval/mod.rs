//! The `eval` stage: the desired state of every identity.
//!
//! Evaluation is a pure function of the checked policy, the source data and the as-of date.
//! Identities are processed in key order, so population-level choices (`SelectUniqueValue`)
//! are deterministic whatever the order of rows in the input files. [`evaluate`] runs the
//! stages below in order, one module each; each is a function from typed inputs to a typed
//! output, and every data problem it finds goes to one list of issues (file, row, field).
//!
//! | # | stage | module | reads | gives |
//! |---|---|---|---|---|
//! | 1 | read | [`read`] | the policy files (`sources`) | [`ReadData`]: one [`Dataset`] per source (shared, read once) |
//! | 2 | correlate | [`correlate`] | `identity` (correlation, precedence), the datasets | the people ([`correlate::Person`]), in key order |
//! | 3 | identity attributes | `attributes` | mappings, the datasets, the people | `Attributes`: a column per attribute, who is `IgnoreObjectFlow`; then the `manager` checks |
//! | 4 | lifecycle | [`lifecycle`] | `identity.lifecycle`, the attributes | each identity's [`Lifecycle`] |
//! | 5a | events | [`crate::governance::apply`] | workflows, records, reviews, the attributes, the lifecycles | `Changes`: what the events up to the as-of date add and remove, and the as-of day's events |
//! | 5 | access | `access` | rules, static members, packages, the attributes, the lifecycles | `Access`: members and undetermined members of each group and package, separation-of-duties conflicts |
//! | 6 | accounts | `accounts` (with `scope`, `enabled`) | targets, the attributes, the lifecycles, the access | `Accounts`: each target's holders, attribute columns and enabled accounts |
//! | 7 | report | [`report`] | all of the above | the [`DesiredState`] |
//!
//! Reading is the only stage that touches files. [`evaluate`] reads and evaluates;
//! [`evaluate_with`] evaluates data already read, so that one read can serve several
//! evaluations (the same data under two versions of a policy). `Locator` (in `locate`) is
//! how every stage names the file, row and field of an issue; `progress` holds the progress
//! line and the stage timings (`ROSTER_TIMINGS`).

pub(crate) mod access;
pub(crate) mod accounts;
pub(crate) mod attributes;
pub mod columns;
pub mod correlate;
pub(crate) mod enabled;
pub mod explain;
pub mod jsonl;
pub mod lifecycle;
pub(crate) mod locate;
pub(crate) mod progress;
pub mod read;
pub mod report;
pub(crate) mod scope;

use std::sync::Arc;

use chrono::NaiveDate;

use crate::ingest::{DataIssue, Dataset};
use crate::policy::Policy;
use crate::policy::load::Loaded;

use locate::Locator;
use progress::{Progress, Stages};

pub(crate) use attributes::resolve;
pub use lifecycle::lifecycle_at;
pub use read::{ReadData, read_sources};
pub use report::{Account, AccountState, DesiredState, IdentityState, Lifecycle};

/// Evaluation settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The date the state is computed for (midnight UTC).
    pub as_of: NaiveDate,
    /// The previous desired state (`--previous FILE`), which change triggers compare with.
    pub previous: Option<Arc<crate::governance::previous::Previous>>,
    /// Sign-in dates (`--sign-ins PATH`), which access reviews' `recommendation` reads.
    pub sign_ins: Option<Arc<crate::governance::signins::SignIns>>,
}

impl Options {
    /// The settings for `as_of`, without a previous state.
    pub fn at(as_of: NaiveDate) -> Options {
        Options {
            as_of,
            previous: None,
            sign_ins: None,
        }
    }
}

/// Computes the desired state: reads the sources, then evaluates ([`evaluate_with`]).
pub fn evaluate(loaded: &Loaded, policy: &Policy, options: Options) -> DesiredState {
    evaluate_hooked(loaded, policy, options, None)
}

/// What `plan` finds once the identities are known ([`evaluate_then`]), from the directory's
/// actual state.
#[derive(Debug, Default)]
pub struct Found {
    /// The previous state change triggers and the grace period compare with; `None` keeps
    /// the one the options give (`--previous`).
    pub previous: Option<Arc<crate::governance::previous::Previous>>,
    /// Each identity's linked directory account `id` (Graph), by index, which `--sign-ins`
    /// matches first (`None`: no linked accounts known).
    pub accounts: Option<Vec<Option<String>>>,
}

/// What is decided once the identities are known ([`evaluate_then`]).
type PreviousOf<'h> = &'h mut dyn FnMut(&Identified<'_>) -> Found;

/// [`evaluate`], or [`evaluate_then`] with `hook`.
fn evaluate_hooked(
    loaded: &Loaded,
    policy: &Policy,
    options: Options,
    hook: Option<PreviousOf<'_>>,
) -> DesiredState {
    let mut clock = Stages::new();
    crate::progress::stage("reading sources");
    let read = ReadData::read(loaded);
    if read.stops() {
        return DesiredState::new(options.as_of, report::Identities::default(), read.issues);
    }
    clock.lap("read sources");
    run(
        loaded,
        policy,
        options,
        read.datasets,
        read.issues,
        clock,
        hook,
    )
}

/// What stages 2 to 4 gave, before the events and access are decided: the people in key
/// order, their identity attributes and their lifecycle ([`evaluate_then`]).
pub struct Identified<'a> {
    /// The people, sorted by key.
    pub people: &'a [correlate::Person],
    /// Identity attributes, in declaration order.
    pub attributes: &'a [(String, crate::column::Column)],
    /// Each identity's lifecycle on the as-of date.
    pub lifecycle: &'a [Lifecycle],
    /// The as-of date.
    pub as_of: NaiveDate,
}

/// [`evaluate`], with the previous state that change triggers compare with decided by
/// `previous_of` once the identities and their attributes are known (stages 2 to 4) and
/// before the events are folded (stage 5a): `plan` takes it from a directory's actual
/// state, whose accounts are matched through the identity attributes. `previous_of` is not
/// called when the state cannot be computed.
pub fn evaluate_then(
    loaded: &Loaded,
    policy: &Policy,
    options: Options,
    previous_of: impl FnOnce(&Identified<'_>) -> Found,
) -> DesiredState {
    let mut once = Some(previous_of);
    let mut hook = |ids: &Identified<'_>| once.take().map(|f| f(ids)).unwrap_or_default();
    evaluate_hooked(loaded, policy, options, Some(&mut hook))
}

/// Computes the desired state from data already read ([`ReadData::read`] of a policy set that
/// declares the same sources): the datasets are shared with `read`, not copied, so one read
/// can serve several evaluations. The state is the one [`evaluate`] gives, the reading
/// problems included.
pub fn evaluate_with(
    loaded: &Loaded,
    policy: &Policy,
    options: Options,
    read: &ReadData,
) -> DesiredState {
    if read.stops() {
        return DesiredState::new(
            options.as_of,
            report::Identities::default(),
            read.issues.clone(),
        );
    }
    run(
        loaded,
        policy,
        options,
        Arc::clone(&read.datasets),
        read.issues.clone(),
        Stages::new(),
        None,
    )
}

/// Evaluates two versions of a policy set (`old` and `new`, each with the data read for it)
/// for `diff`. When both declare the same sources (the same data was read once: `old`'s
/// `read` is `new`'s), the same identity file and the same default domain
/// ([`same_identity`]), stages 2 to 4 — correlation, the identity
/// attributes and the lifecycle, most of an evaluation — run once and serve both versions: a
/// change of rules, packages or targets cannot reach them. The states are those two
/// [`evaluate_with`] calls give.
pub fn evaluate_pair(
    old: (&Loaded, &Policy, &ReadData),
    new: (&Loaded, &Policy, &ReadData),
    options: Options,
) -> (DesiredState, DesiredState) {
    let (old_loaded, old_policy, old_read) = old;
    let (new_loaded, new_policy, new_read) = new;
    let shared = std::ptr::eq(old_read, new_read) && same_identity(old_loaded, new_loaded);
    if !shared || new_read.stops() {
        return (
            evaluate_with(old_loaded, old_policy, options.clone(), old_read),
            evaluate_with(new_loaded, new_policy, options, new_read),
        );
    }
    let mut clock = Stages::new();
    let mut issues = new_read.issues.clone();
    let identity = new_loaded
        .files
        .iter()
        .find_map(|f| f.policy.identity.as_ref())
        .map(|i| &i.value);
    crate::progress::stage("correlating records");
    let datasets = Arc::clone(&new_read.datasets);
    let Some(people) = correlate::people(identity, &datasets, &mut issues) else {
        let empty =
            || DesiredState::new(options.as_of, report::Identities::default(), issues.clone());
        return (empty(), empty());
    };
    clock.lap("correlate");
    let prepared = prepare(
        new_loaded,
        new_policy,
        options.clone(),
        datasets,
        people,
        issues,
        &mut clock,
    );
    // The target columns the old version computes serve the new one where its mapping and
    // holders are the same.
    let memo = accounts::Memo::default();
    let before = finish(
        old_loaded,
        old_policy,
        options.clone(),
        prepared.clone(),
        Some(&memo),
        Stages::new(),
    );
    let after = finish(
        new_loaded,
        new_policy,
        options,
        prepared,
        Some(&memo),
        clock,
    );
    (before, after)
}

/// Whether two policy sets agree on everything stages 2 to 4 read besides the data: the file
/// that holds the `identity` section has the same name and the same text in both (so every
/// mapping, the correlation and the lifecycle settings are the same, at the same positions),
/// and the tenant's default domain (`DefaultDomain()`) is the same. Conservative: an edit
/// elsewhere in the identity file is enough to evaluate both versions whole.
pub fn same_identity(old: &Loaded, new: &Loaded) -> bool {
    fn identity_file(loaded: &Loaded) -> Option<(Option<&std::ffi::OsStr>, &str)> {
        loaded.files.iter().find_map(|f| {
            f.policy.identity.as_ref()?;
            let (_, text) = loaded.sources.get(f.id)?;
            Some((f.path.file_name(), text))
        })
    }
    let new_identity = identity_file(new);
    new_identity.is_some()
        && identity_file(old) == new_identity
        && default_domain(old) == default_domain(new)
}

/// Stages 2 to 7 over the datasets read, `issues` holding the problems found reading them;
/// with `hook`, the previous state is decided between stages 4 and 5a ([`evaluate_then`]).
fn run(
    loaded: &Loaded,
    policy: &Policy,
    options: Options,
    datasets: Arc<Vec<Dataset>>,
    mut issues: Vec<DataIssue>,
    mut clock: Stages,
    hook: Option<PreviousOf<'_>>,
) -> DesiredState {
    let identity = loaded
        .files
        .iter()
        .find_map(|f| f.policy.identity.as_ref())
        .map(|i| &i.value);

    // 2. Correlate records into identities.
    crate::progress::stage("correlating records");
    let Some(people) = correlate::people(identity, &datasets, &mut issues) else {
        return DesiredState::new(options.as_of, report::Identities::default(), issues);
    };
    clock.lap("correlate");
    run_people_then(
        loaded,
        policy,
        options,
        (datasets, people, issues),
        clock,
        hook,
    )
}

/// Stages 3 to 7 over `people` (sorted by key, their records in `datasets`): the whole
/// population, or the part of it that `explain` needs (`explain::focus`). Everything but
/// `SelectUniqueValue`, `RandomString` and `Guid` is a function of one person's records; those
/// three depend on the people before in key order, and manager checks and static members look
/// others up by key.
fn run_people(
    loaded: &Loaded,
    policy: &Policy,
    options: Options,
    datasets: Arc<Vec<Dataset>>,
    people: Vec<correlate::Person>,
    issues: Vec<DataIssue>,
    clock: Stages,
) -> DesiredState {
    run_people_then(
        loaded,
        policy,
        options,
        (datasets, people, issues),
        clock,
        None,
    )
}

/// [`run_people`]; with `hook`, the previous state is decided between stages 4 and 5a.
fn run_people_then(
    loaded: &Loaded,
    policy: &Policy,
    mut options: Options,
    (datasets, people, issues): (Arc<Vec<Dataset>>, Vec<correlate::Person>, Vec<DataIssue>),
    mut clock: Stages,
    hook: Option<PreviousOf<'_>>,
) -> DesiredState {
    let prepared = prepare(
        loaded,
        policy,
        options.clone(),
        datasets,
        people,
        issues,
        &mut clock,
    );
    let mut prepared = prepared;
    if let Some(hook) = hook {
        let found = hook(&Identified {
            people: &prepared.people,
            attributes: &prepared.attributes.columns,
            lifecycle: &prepared.lifecycle,
            as_of: options.as_of,
        });
        if found.previous.is_some() {
            options.previous = found.previous;
        }
        prepared.accounts = found.accounts;
        clock.lap("previous state");
    }
    finish(loaded, policy, options, prepared, None, clock)
}

/// What stages 2 to 4 give: the people, their identity attributes and lifecycle, and the
/// problems found so far. They depend only on the sources, the `identity` section and the
/// tenant's default domain, so two versions of a policy set that agree on those share them
/// ([`evaluate_pair`]).
#[derive(Clone)]
struct Prepared {
    datasets: Arc<Vec<Dataset>>,
    people: Vec<correlate::Person>,
    attributes: attributes::Attributes,
    lifecycle: Vec<Lifecycle>,
    issues: Vec<DataIssue>,
    progress: Progress,
    /// Each identity's linked directory account `id`, when `plan` found them ([`Found`]).
    accounts: Option<Vec<Option<String>>>,
}

/// Stages 3 and 4 (and the manager checks) over `people`.
fn prepare(
    loaded: &Loaded,
    policy: &Policy,
    options: Options,
    datasets: Arc<Vec<Dataset>>,
    people: Vec<correlate::Person>,
    mut issues: Vec<DataIssue>,
    clock: &mut Stages,
) -> Prepared {
    let now = options.as_of.and_hms_opt(0, 0, 0).unwrap_or_default();
    let env = columns::Env {
        now,
        default_domain: default_domain(loaded),
    };
    let identity = loaded
        .files
        .iter()
        .find_map(|f| f.policy.identity.as_ref())
        .map(|i| &i.value);
    let locate = Locator {
        policy,
        datasets: &datasets,
        people: &people,
    };

    // 3. Identity attributes; 4. the lifecycle; then the manager references.
    let mut progress = Progress::new(policy.mappings.len());
    progress.stage("identity attributes (mappings)");
    let attributes = attributes::compute(
        attributes::Input {
            policy,
            datasets: &datasets,
            people: &people,
            env,
        },
        &locate,
        &mut progress,
        &mut issues,
    );
    let lifecycle = lifecycle::states(
        &lifecycle::Rules::new(identity),
        &attributes,
        &locate,
        now,
        &mut issues,
    );
    attributes::manager_issues(&locate, attributes.column("manager"), &mut issues);
    clock.lap("identity attributes and lifecycle");
    Prepared {
        datasets,
        people,
        attributes,
        lifecycle,
        issues,
        progress,
        accounts: None,
    }
}

/// Stages 5a to 7 over what [`prepare`] gave.
fn finish(
    loaded: &Loaded,
    policy: &Policy,
    options: Options,
    prepared: Prepared,
    memo: Option<&accounts::Memo>,
    mut clock: Stages,
) -> DesiredState {
    let Prepared {
        datasets,
        people,
        attributes,
        lifecycle,
        mut issues,
        mut progress,
        accounts: linked,
    } = prepared;
    let now = options.as_of.and_hms_opt(0, 0, 0).unwrap_or_default();
    let env = columns::Env {
        now,
        default_domain: default_domain(loaded),
    };
    let locate = Locator {
        policy,
        datasets: &datasets,
        people: &people,
    };
    crate::progress::stage("groups and access packages (rules)");

    // 5a. Lifecycle over time: what the events up to the as-of date add and remove.
    let last_sign_in = options
        .sign_ins
        .as_ref()
        .map(|s| s.per_identity_linked(&attributes.columns, people.len(), linked.as_deref()));
    let view = crate::governance::View {
        loaded,
        policy,
        people: &people,
        attributes: &attributes.columns,
        lifecycle: &lifecycle,
        groups: &[],
        packages: &[],
        as_of: options.as_of,
        previous: options.previous.as_deref(),
        last_sign_in: last_sign_in.as_deref(),
        grace: &[],
        membership_runs: &[],
    };
    let mut changes = crate::governance::apply::Changes::fold(&view);
    issues.append(&mut changes.carried_issues);
    // Assignment records that do not match the data grant nothing (reported).
    issues.extend(crate::governance::assignments::issues(&view));
    // Recorded review decisions that take no effect (not an identity, not a reviewer).
    issues.extend(crate::governance::reviews::issues(&view));
    issues.extend(
        crate::governance::guest_reviews::denials(
            loaded,
            &crate::governance::assignments::records(loaded),
        )
        .1,
    );
    clock.lap("events up to the as-of date");

    // 5. Groups and access packages, set-wise over the population; separation of duties.
    // A record refused once access is known (requestor or approver not in their group,
    // separation of duties) is taken back and access decided again, until none is refused.
    let mut refused = std::collections::BTreeSet::new();
    let mut refusals = Vec::new();
    let mut decide_access = |changes: &mut crate::governance::apply::Changes,
                             issues: &mut Vec<DataIssue>| loop {
        let mut found_issues = Vec::new();
        let access = access::decide(
            access::Input {
                loaded,
                policy,
                attributes: &attributes,
                lifecycle: &lifecycle,
                now,
                changes,
                view: &view,
            },
            &locate,
            &mut found_issues,
        );
        let found = crate::governance::assignments::verify(
            &view,
            &crate::governance::assignments::Held {
                groups: &access.groups,
                packages: &access.packages,
            },
            &refused,
        );
        if found.is_empty() {
            issues.extend(found_issues);
            break access;
        }
        for (id, i, package, issue) in found {
            refused.insert(id);
            refusals.push(issue);
            let key = view.key(i).to_string();
            if crate::governance::assignments::holders(
                &view,
                &key,
                &package,
                options.as_of,
                &refused,
            )
            .is_empty()
                && let Some(change) = changes.packages.get_mut(&package)
            {
                change.added.set(i, false);
            }
        }
    };
    let mut access = decide_access(&mut changes, &mut issues);
    // Group-membership triggers compare the groups as decided (`docs/workflows.md`); their
    // runs' effects are then folded in and access decided again with them.
    let membership_runs = crate::governance::workflows::membership_runs(
        &crate::governance::View {
            groups: &access.groups,
            ..view
        },
        &access.groups_maybe,
    );
    if !membership_runs.is_empty() {
        changes.due.extend(membership_runs.iter().cloned());
        crate::governance::sort(&mut changes.due);
        changes.apply(&view, &membership_runs);
        // Groups and packages changed: access is decided again (an account change is read
        // by the accounts stage from `changes`).
        let access_changed = membership_runs.iter().flat_map(|e| &e.effects).any(|f| {
            !matches!(
                f,
                crate::governance::Effect::EnableAccount
                    | crate::governance::Effect::DisableAccount
                    | crate::governance::Effect::DeleteUser
            )
        });
        if access_changed {
            access = decide_access(&mut changes, &mut issues);
        }
    }
    issues.extend(refusals);
    // The ends of grace periods on the as-of date are among its events (the access stage
    // found who is in grace; the fold before it could not).
    if !access.grace.is_empty() {
        let with_grace = crate::governance::View {
            grace: &access.grace,
            ..view
        };
        crate::governance::grace::events(
            &with_grace,
            crate::governance::Window::day(options.as_of),
            crate::governance::Detail::Full,
            &mut changes.due,
        );
        crate::governance::sort(&mut changes.due);
    }
    clock.lap("groups and access packages (rules)");
    progress.stage("target accounts (mappings)");

    // 6. Accounts in each target, for identities in scope.
    let identity = loaded
        .files
        .iter()
        .find_map(|f| f.policy.identity.as_ref())
        .map(|i| &i.value);
    let disabled = crate::governance::workflows::disabled_accounts(
        &changes,
        &attributes.columns,
        &lifecycle,
        identity,
    );
    let accounts = accounts::compute(
        accounts::Input {
            loaded,
            policy,
            datasets: &datasets,
            attributes: &attributes,
            lifecycle: &lifecycle,
            access: &access,
            env,
            disabled: &disabled,
            memo,
        },
        &locate,
        &mut progress,
        &mut issues,
    );
    clock.lap("target accounts");

    // Where the packages granted by events come from.
    let package_origins = crate::governance::assignments::origins(
        &view,
        &changes,
        &access.packages,
        &access.packages_by_rule,
        &refused,
        &access.grace,
    );

    // 7. The report.
    let mut tasks_due: Vec<(usize, crate::governance::Event)> = changes
        .due
        .iter()
        .filter(|e| e.kind == crate::governance::EventKind::WorkflowRun)
        .filter_map(|e| match &e.subject {
            crate::governance::Subject::Identity(key) => people
                .binary_search_by(|p| p.key.as_str().cmp(key))
                .ok()
                .map(|i| (i, e.clone())),
            _ => None,
        })
        .collect();
    tasks_due.sort_by_key(|(i, _)| *i);
    let access::Access {
        groups,
        packages,
        mut undetermined,
        conflicts,
        grace,
        ..
    } = access;
    undetermined.extend(accounts.undetermined);
    undetermined.sort_by(|a, b| (a.0, &a.1.of).cmp(&(b.0, &b.1.of)));
    undetermined.dedup_by(|a, b| a.0 == b.0 && a.1.of == b.1.of);
    let identities = report::Identities {
        datasets,
        people,
        attributes: attributes.columns,
        lifecycle,
        ignored: attributes.ignored,
        groups,
        packages,
        targets: accounts.targets,
        undetermined,
        conflicts,
        tasks_due,
        package_origins,
        grace,
        carried: changes
            .carried
            .by_identity
            .iter()
            .filter(|(_, list)| !list.is_empty())
            .map(|(i, list)| (*i, list.clone()))
            .collect(),
    };
    let mut state = DesiredState::new(options.as_of, identities, issues);
    state.display_names = loaded.display_names();
    state.removed_by_review = changes
        .by_review
        .iter()
        .map(|((i, what), review)| {
            (
                (
                    state.identities.key(*i).unwrap_or_default().to_string(),
                    what.clone(),
                ),
                review.clone(),
            )
        })
        .collect();
    // What events removed, for `plan` without `--previous` to tell a dated removal from one a
    // change-triggered run might have made (`plan::unrecorded`; the previous state here may
    // be the directory's).
    if crate::governance::carried::changes_access(loaded) {
        state.removed_by_events = Some(Box::new(crate::governance::apply::Removals::of(&changes)));
    }
    state.due = changes.due;
    state.last_sign_in = last_sign_in;
    state.membership_runs = membership_runs;
    state.set_guests(crate::governance::guests::desired(loaded, options.as_of));
    clock.lap("report");
    clock.finish();
    state
}

/// `DefaultDomain()`: the tenant's default domain.
pub(crate) fn default_domain(loaded: &Loaded) -> &str {
    loaded
        .files
        .iter()
        .find_map(|f| f.policy.tenant.as_ref())
        .map_or("contoso.onmicrosoft.com", |t| {
            t.value.default_domain.value.as_str()
        })
}
