//! Lifecycle workflow runs: who each workflow runs for on which day, its tasks in execution
//! order, the e-mails they send and their effects on the desired state (`docs/workflows.md`).

use chrono::{NaiveDate, TimeDelta};

use super::catalogue;
use super::email::{self, Names};
use super::previous::Want;
use super::{Detail, Effect, Event, EventKind, Subject, TaskRun, View, Window};
use crate::codes::Code;
use crate::eval::lifecycle::{DateCell, Rules};
use crate::ingest::DataIssue;
use crate::policy::compile::ProgramKind;
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::policy::raw;
use crate::rule::RuleContext;
use crate::rule::sets::{Bitset, SetEvaluator};

/// What the workflows of a policy set compare in a previous state: the attributes of their
/// attribute-change triggers (groups are always kept).
pub fn wanted(loaded: &Loaded) -> Want {
    let mut attributes: Vec<String> = Vec::new();
    for file in &loaded.files {
        for workflow in file.policy.workflows.values() {
            if let raw::Trigger::AttributeChange(names) = &workflow.value.trigger.value {
                attributes.extend(names.iter().map(|n| n.value.clone()));
            }
        }
    }
    attributes.sort();
    attributes.dedup();
    Want { attributes }
}

/// The runs of every workflow in `window`, appended to `out` (`docs/workflows.md`).
///
/// Time-based triggers run on the day of the date attribute plus the offset (the date only:
/// the time of day is ignored, UTC); attribute-change and group-membership triggers compare
/// with the previous state and run on the as-of date. Only identities whose lifecycle is
/// known, in the workflow's scope (decided set-wise; undetermined: not in scope), run.
pub fn events(view: &View<'_>, window: Window, detail: Detail, out: &mut Vec<Event>) {
    let n = view.people.len();
    if n == 0 {
        return;
    }
    let rules = view.lifecycle_rules();
    let names = Names::of(&rules);
    let ctx = view.rule_context();
    let population = view.population();
    let mut known = Bitset::with_capacity(n);
    for (i, l) in view.lifecycle.iter().enumerate().take(n) {
        known.set(i, !l.held());
    }
    let mut evaluator = SetEvaluator::new();
    let mut workflows: Vec<(&str, &raw::Workflow)> = view
        .loaded
        .files
        .iter()
        .flat_map(|f| f.policy.workflows.iter())
        .map(|(name, w)| (name.value.as_str(), &w.value))
        .collect();
    workflows.sort_by(|a, b| a.0.cmp(b.0));
    for (name, wf) in workflows {
        if !wf.enabled.as_ref().is_none_or(|e| e.value)
            || !wf.scheduled.as_ref().is_none_or(|s| s.value)
        {
            continue;
        }
        let since = match &wf.scheduled_since {
            Some(d) => match NaiveDate::parse_from_str(&d.value, "%Y-%m-%d") {
                Ok(d) => d,
                // Lint refuses it; never run on a date that cannot be read.
                Err(_) => continue,
            },
            None => NaiveDate::MIN,
        };
        let from = window.from.max(since);
        if from > window.to {
            continue;
        }
        let within = Window {
            from,
            to: window.to,
        };
        let mut scope = known.clone();
        if !narrow_to_scope(
            view,
            name,
            wf,
            &mut evaluator,
            &population,
            &ctx,
            &mut scope,
        ) {
            continue;
        }
        let run = Run {
            view,
            names: &names,
            name,
            workflow: wf,
            detail,
            source: format!("workflow:{name}"),
        };
        match &wf.trigger.value {
            raw::Trigger::TimeBased(tb) => {
                let Some(column) = view.column(&tb.attribute.value) else {
                    continue;
                };
                let offset = TimeDelta::try_days(i64::from(tb.offset_days.value));
                let date_of = |v: &crate::value::Value| match DateCell::read(v) {
                    DateCell::Date(d) => Some(d.date()),
                    DateCell::Missing | DateCell::Invalid(_) => None,
                };
                let anchors: Vec<Option<NaiveDate>> =
                    column.dictionary().iter().map(date_of).collect();
                // A date before the current hire date (the leave date of an earlier
                // employment, a conversion) belongs to the past: no run from it.
                let hire = names
                    .hire_date
                    .filter(|h| *h != tb.attribute.value)
                    .and_then(|h| view.column(h))
                    .map(|c| (c, c.dictionary().iter().map(date_of).collect::<Vec<_>>()));
                for i in scope.ones() {
                    let Some(Some(anchor)) = anchors.get(column.code(i) as usize) else {
                        continue;
                    };
                    if let Some((c, hires)) = &hire
                        && let Some(Some(hired)) = hires.get(c.code(i) as usize)
                        && anchor < hired
                    {
                        continue;
                    }
                    if let Some(day) = offset.and_then(|o| anchor.checked_add_signed(o))
                        && within.contains(day)
                    {
                        run.push(i, day, out);
                    }
                }
            }
            raw::Trigger::AttributeChange(attributes) => {
                let Some(previous) = view.previous else {
                    continue;
                };
                if !within.contains(view.as_of) {
                    continue;
                }
                // Per attribute: the current column, each distinct value as the compact JSON
                // the report writes, and the attribute's place in the previous state.
                let compared: Vec<(&crate::column::Column, Vec<String>, usize)> = attributes
                    .iter()
                    .filter_map(|a| {
                        let column = view.column(&a.value)?;
                        let at = previous.attribute_index(&a.value)?;
                        let json = column
                            .dictionary()
                            .iter()
                            .map(|v| v.to_json().to_string())
                            .collect();
                        Some((column, json, at))
                    })
                    .collect();
                let mut cursor = previous.cursor();
                for i in scope.ones() {
                    let Some(entry) = cursor.get(view.key(i)) else {
                        continue;
                    };
                    let changed = compared.iter().any(|(column, json, at)| {
                        match (
                            previous.attribute(entry, *at),
                            json.get(column.code(i) as usize),
                        ) {
                            (Some(then), Some(now)) => then != now,
                            _ => false,
                        }
                    });
                    if changed {
                        run.push(i, view.as_of, out);
                    }
                }
            }
            raw::Trigger::GroupMembership(_) => {
                // Compared with the groups as the access stage decides them, after the fold
                // ([`membership_runs`]): the runs `eval` found on the as-of date.
                if detail == Detail::Full && within.contains(view.as_of) {
                    out.extend(
                        view.membership_runs
                            .iter()
                            .filter(|e| e.source == run.source && e.date == view.as_of)
                            .cloned(),
                    );
                }
            }
            raw::Trigger::OnDemand => {}
        }
    }
}

/// The enabled, scheduled workflows triggered by a change (attribute change, group
/// membership) whose enabled tasks change access or the account: each with its name, the
/// identities in its scope on the as-of date (known lifecycle, scope rule decided set-wise)
/// and the effects its tasks have, in task order. What `plan` without a previous state holds
/// (`plan::unrecorded`): the changes such a run could have made, which nothing records.
pub fn change_scopes(view: &View<'_>) -> Vec<(String, Bitset, Vec<Effect>)> {
    let mut out = Vec::new();
    let n = view.people.len();
    let mut workflows: Vec<(&str, &raw::Workflow)> = view
        .loaded
        .files
        .iter()
        .flat_map(|f| f.policy.workflows.iter())
        .map(|(name, w)| (name.value.as_str(), &w.value))
        .filter(|(_, w)| {
            matches!(
                w.trigger.value,
                raw::Trigger::AttributeChange(_) | raw::Trigger::GroupMembership(_)
            ) && w.enabled.as_ref().is_none_or(|e| e.value)
                && w.scheduled.as_ref().is_none_or(|s| s.value)
        })
        .collect();
    if n == 0 || workflows.is_empty() {
        return out;
    }
    workflows.sort_by(|a, b| a.0.cmp(b.0));
    let ctx = view.rule_context();
    let population = view.population();
    let mut evaluator = SetEvaluator::new();
    for (name, wf) in workflows {
        let mut effects = Vec::new();
        for task in &wf.tasks {
            if task.value.is_enabled() {
                task_effects(&task.value.task, &mut effects);
            }
        }
        if effects.is_empty() {
            continue;
        }
        let Some(scope) = known_in_scope(view, name, wf, &mut evaluator, &population, &ctx) else {
            continue;
        };
        out.push((name.to_string(), scope, effects));
    }
    out
}

/// The names of the workflows with a change trigger (attribute or group membership).
pub(crate) fn change_triggered(loaded: &Loaded) -> std::collections::BTreeSet<&str> {
    loaded
        .files
        .iter()
        .flat_map(|f| f.policy.workflows.iter())
        .filter(|(_, w)| {
            matches!(
                w.value.trigger.value,
                raw::Trigger::AttributeChange(_) | raw::Trigger::GroupMembership(_)
            )
        })
        .map(|(n, _)| n.value.as_str())
        .collect()
}

/// The identities whose lifecycle is known, narrowed to workflow `name`'s scope rule (see
/// [`narrow_to_scope`]); `None` when the workflow does not run.
fn known_in_scope(
    view: &View<'_>,
    name: &str,
    wf: &raw::Workflow,
    evaluator: &mut SetEvaluator,
    population: &crate::rule::sets::Population<'_>,
    ctx: &RuleContext,
) -> Option<Bitset> {
    let n = view.people.len();
    let mut scope = Bitset::with_capacity(n);
    for (i, l) in view.lifecycle.iter().enumerate().take(n) {
        scope.set(i, !l.held());
    }
    narrow_to_scope(view, name, wf, evaluator, population, ctx, &mut scope).then_some(scope)
}

/// Narrows `scope` to workflow `name`'s scope rule, decided set-wise (a workflow without one
/// keeps `scope`); `false` when the rule is not among the compiled programs (the workflow
/// does not run).
fn narrow_to_scope(
    view: &View<'_>,
    name: &str,
    wf: &raw::Workflow,
    evaluator: &mut SetEvaluator,
    population: &crate::rule::sets::Population<'_>,
    ctx: &RuleContext,
    scope: &mut Bitset,
) -> bool {
    if wf.scope.is_none() {
        return true;
    }
    let node = NodeId::Workflow(name.to_string());
    let Some(rule) = program(view, &node) else {
        return false;
    };
    let outcome = evaluator.decide(rule, population, ctx, &|_| None);
    scope.intersect_with(&outcome.members);
    true
}

fn program<'v>(view: &View<'v>, node: &NodeId) -> Option<&'v crate::rule::RuleProgram> {
    view.policy.programs.iter().find_map(|p| match &p.kind {
        ProgramKind::Rule { node: n, program } if n == node => Some(program.as_ref()),
        _ => None,
    })
}

/// The runs of the group-membership triggers on the as-of date (`docs/workflows.md`): each
/// identity in the workflow's scope that the previous state knows, whose membership of the
/// group differs from it. The membership compared is the group's whole membership as the
/// access stage decides it (`view.groups`: its rule, its static list, what events up to the
/// as-of date added and removed, the packages that give it), as the report writes it and as
/// the directory holds it; an identity whose membership is undetermined (`maybe`) is not
/// compared. Computed once the access stage has decided the groups, before these runs' own
/// effects (which the caller folds in after): a run never triggers another the same day.
pub fn membership_runs(view: &View<'_>, maybe: &[(String, Bitset)]) -> Vec<Event> {
    let mut out = Vec::new();
    let Some(previous) = view.previous else {
        return out;
    };
    let n = view.people.len();
    let any = view
        .loaded
        .files
        .iter()
        .flat_map(|f| f.policy.workflows.values())
        .any(|w| matches!(w.value.trigger.value, raw::Trigger::GroupMembership(_)));
    if n == 0 || !any {
        return out;
    }
    let rules = view.lifecycle_rules();
    let names = Names::of(&rules);
    let ctx = view.rule_context();
    let population = view.population();
    let mut evaluator = SetEvaluator::new();
    let mut workflows: Vec<(&str, &raw::Workflow, &raw::GroupMembership)> = view
        .loaded
        .files
        .iter()
        .flat_map(|f| f.policy.workflows.iter())
        .filter_map(|(name, w)| match &w.value.trigger.value {
            raw::Trigger::GroupMembership(gm) => Some((name.value.as_str(), &w.value, gm)),
            _ => None,
        })
        .collect();
    workflows.sort_by(|a, b| a.0.cmp(b.0));
    for (name, wf, gm) in workflows {
        if !wf.enabled.as_ref().is_none_or(|e| e.value)
            || !wf.scheduled.as_ref().is_none_or(|s| s.value)
        {
            continue;
        }
        if let Some(d) = &wf.scheduled_since {
            match NaiveDate::parse_from_str(&d.value, "%Y-%m-%d") {
                Ok(d) if d <= view.as_of => {}
                _ => continue,
            }
        }
        // A group whose membership the previous state does not know (a directory export that
        // does not vouch for it) shows no change; nor does a group the policy does not have.
        let group = gm.group.value.as_str();
        if !previous.knows_group(group) {
            continue;
        }
        let Some((_, members)) = view.groups.iter().find(|(g, _)| g == group) else {
            continue;
        };
        let undetermined = maybe.iter().find(|(g, _)| g == group).map(|(_, b)| b);
        let Some(scope) = known_in_scope(view, name, wf, &mut evaluator, &population, &ctx) else {
            continue;
        };
        let run = Run {
            view,
            names: &names,
            name,
            workflow: wf,
            detail: Detail::Full,
            source: format!("workflow:{name}"),
        };
        let added = gm.change.value == raw::MembershipChange::Add;
        let mut cursor = previous.cursor();
        for i in scope.ones() {
            if undetermined.is_some_and(|u| u.contains(i)) {
                continue;
            }
            let Some(entry) = cursor.get(view.key(i)) else {
                continue;
            };
            let was = previous.in_group(entry, group);
            let is = members.contains(i);
            if (added && is && !was) || (!added && was && !is) {
                run.push(i, view.as_of, &mut out);
            }
        }
    }
    super::sort(&mut out);
    out
}

/// One workflow, ready to run for identities.
struct Run<'r, 'v> {
    view: &'r View<'v>,
    names: &'r Names<'r>,
    name: &'r str,
    workflow: &'r raw::Workflow,
    detail: Detail,
    source: String,
}

impl Run<'_, '_> {
    /// The run for identity `i` on `day`: its tasks in order, which fail and which do not run,
    /// and the effects of those that run. At [`Detail::Effects`], only a run with effects is
    /// kept, without tasks or summary.
    fn push(&self, i: usize, day: NaiveDate, out: &mut Vec<Event>) {
        let full = self.detail == Detail::Full;
        let view = self.view;
        let wf = self.workflow;
        let mut tasks = Vec::new();
        let mut effects = Vec::new();
        // The task that failed and stopped the run, if one did.
        let mut stopped: Option<(usize, &'static str)> = None;
        let mut failures = 0usize;
        for (number, task) in wf.tasks.iter().enumerate() {
            let task = &task.value;
            let word = task_word(&task.task);
            let def = catalogue::of(wf, &task.task);
            let mut problem = None;
            let mut email = None;
            let mut summary = String::new();
            if let Some((at, what)) = stopped {
                problem = Some(format!(
                    "not run: task {} (`{what}`) failed and does not continue on error",
                    at + 1
                ));
            } else if !task.is_enabled() {
                problem = Some("disabled: does not run".into());
            } else {
                match &task.task {
                    raw::Task::SendEmail(e) => {
                        let to_manager = e.to.value == raw::Recipient::Manager;
                        if full {
                            let cc: Vec<String> = e.cc.iter().map(|c| c.value.clone()).collect();
                            let (rendered, why) = email::render(
                                view,
                                self.names,
                                i,
                                &def.unwrap_or(catalogue::WELCOME),
                                &email::Written {
                                    to_manager,
                                    subject: e.subject.as_ref().map(|s| s.value.as_str()),
                                    body: e.body.as_ref().map(|s| s.value.as_str()),
                                    cc: &cc,
                                    locale: e.locale.as_ref().map(|l| l.value.as_str()),
                                },
                            );
                            summary = format!(
                                "e-mail the {}",
                                if to_manager { "manager" } else { "user" }
                            );
                            problem = why;
                            email = Some(rendered);
                        } else {
                            problem = email::recipient(view, i, to_manager).err();
                            if problem.is_none() {
                                problem = e
                                    .cc
                                    .iter()
                                    .find(|k| {
                                        view.index_of(&k.value)
                                            .and_then(|c| email::address(view, c))
                                            .is_none()
                                    })
                                    .map(|k| format!("`cc` names `{}`, who is not an identity with an e-mail address", k.value));
                            }
                        }
                    }
                    raw::Task::GenerateTemporaryAccessPass(tap) => {
                        problem = email::recipient(view, i, true).err();
                        if full {
                            summary = format!(
                                "generate a Temporary Access Pass valid {} minutes{} and e-mail it to the manager",
                                tap.lifetime_minutes.value,
                                if tap.one_time.as_ref().is_some_and(|o| o.value) {
                                    ", usable once"
                                } else {
                                    ""
                                }
                            );
                            let (rendered, _) = email::render(
                                view,
                                self.names,
                                i,
                                &catalogue::TAP,
                                &email::Written {
                                    to_manager: true,
                                    subject: None,
                                    body: None,
                                    cc: &[],
                                    locale: None,
                                },
                            );
                            email = Some(rendered);
                        }
                    }
                    other => {
                        let before = effects.len();
                        task_effects(other, &mut effects);
                        if full {
                            summary = task_summary(other, effects.get(before..).unwrap_or(&[]));
                        }
                    }
                }
                if problem.is_some() {
                    failures += 1;
                    if !task.continues_on_error() {
                        stopped = Some((number, word));
                    }
                }
            }
            if full {
                tasks.push(TaskRun {
                    task: word.to_string(),
                    definition_id: def.map_or("", |d| d.id).to_string(),
                    summary,
                    continue_on_error: task.continues_on_error(),
                    problem,
                    email,
                });
            }
        }
        if !full && effects.is_empty() {
            return;
        }
        let summary = if full {
            let title = wf
                .display_name
                .as_ref()
                .map_or(self.name, |d| d.value.as_str());
            let status = match (stopped, failures) {
                (Some(_), _) => "fails",
                (None, 0) => "completes",
                (None, _) => "completes with errors",
            };
            let n = wf.tasks.len();
            format!(
                "workflow `{title}` runs: {n} {}, {status}",
                if n == 1 { "task" } else { "tasks" }
            )
        } else {
            String::new()
        };
        out.push(Event {
            date: day,
            kind: EventKind::WorkflowRun,
            subject: Subject::Identity(view.key(i).to_string()),
            source: self.source.clone(),
            summary,
            effects,
            tasks,
            declared_at: None,
        });
    }
}

/// The effects of a task that changes access or the account.
fn task_effects(task: &raw::Task, effects: &mut Vec<Effect>) {
    match task {
        raw::Task::EnableAccount => effects.push(Effect::EnableAccount),
        raw::Task::DisableAccount => effects.push(Effect::DisableAccount),
        raw::Task::DeleteUser => effects.push(Effect::DeleteUser),
        raw::Task::AddToGroups(gs) => {
            effects.extend(gs.iter().map(|g| Effect::AddToGroup(g.value.clone())));
        }
        raw::Task::RemoveFromGroups(gs) => {
            effects.extend(gs.iter().map(|g| Effect::RemoveFromGroup(g.value.clone())));
        }
        raw::Task::RemoveFromAllGroups => effects.push(Effect::RemoveFromAllGroups),
        raw::Task::AssignAccessPackages(ps) => {
            effects.extend(ps.iter().map(|p| Effect::AssignPackage(p.value.clone())));
        }
        raw::Task::RemoveAccessPackages(ps) => {
            effects.extend(ps.iter().map(|p| Effect::RemovePackage(p.value.clone())));
        }
        raw::Task::RemoveAllAccessPackages => effects.push(Effect::RemoveAllPackages),
        raw::Task::SendEmail(_)
        | raw::Task::GenerateTemporaryAccessPass(_)
        | raw::Task::RevokeSessions
        | raw::Task::CustomExtension(_) => {}
    }
}

fn task_summary(task: &raw::Task, effects: &[Effect]) -> String {
    let list = |prefix: &str| {
        let names: Vec<&str> = effects
            .iter()
            .map(|e| match e {
                Effect::AddToGroup(n)
                | Effect::RemoveFromGroup(n)
                | Effect::AssignPackage(n)
                | Effect::RemovePackage(n) => n.as_str(),
                _ => "",
            })
            .collect();
        format!("{prefix} {}", names.join(", "))
    };
    match task {
        raw::Task::EnableAccount => "enable the account".into(),
        raw::Task::DisableAccount => "disable the account".into(),
        raw::Task::DeleteUser => "delete the user".into(),
        raw::Task::AddToGroups(_) => list("add to groups"),
        raw::Task::RemoveFromGroups(_) => list("remove from groups"),
        raw::Task::RemoveFromAllGroups => "remove from every group but dynamic ones".into(),
        raw::Task::AssignAccessPackages(_) => list("assign access packages"),
        raw::Task::RemoveAccessPackages(_) => list("remove access packages"),
        raw::Task::RemoveAllAccessPackages => "remove every access-package assignment".into(),
        raw::Task::RevokeSessions => "revoke sign-in sessions (refresh tokens)".into(),
        raw::Task::CustomExtension(x) => format!("run custom task extension `{}`", x.value),
        raw::Task::SendEmail(_) => "send an e-mail".into(),
        raw::Task::GenerateTemporaryAccessPass(_) => "generate a Temporary Access Pass".into(),
    }
}

/// A task's name as written in the policy.
pub fn task_word(task: &raw::Task) -> &'static str {
    match task {
        raw::Task::EnableAccount => "enable_account",
        raw::Task::DisableAccount => "disable_account",
        raw::Task::DeleteUser => "delete_user",
        raw::Task::AddToGroups(_) => "add_to_groups",
        raw::Task::RemoveFromGroups(_) => "remove_from_groups",
        raw::Task::RemoveFromAllGroups => "remove_from_all_groups",
        raw::Task::AssignAccessPackages(_) => "assign_access_packages",
        raw::Task::RemoveAccessPackages(_) => "remove_access_packages",
        raw::Task::RemoveAllAccessPackages => "remove_all_access_packages",
        raw::Task::SendEmail(_) => "send_email",
        raw::Task::GenerateTemporaryAccessPass(_) => "generate_temporary_access_pass",
        raw::Task::RevokeSessions => "revoke_sessions",
        raw::Task::CustomExtension(_) => "custom_extension",
    }
}

/// The warning that change triggers cannot fire without a previous state (`D234`): once,
/// at the first such workflow, naming them all.
pub fn issues(loaded: &Loaded, has_previous: bool, issues: &mut Vec<DataIssue>) {
    if has_previous {
        return;
    }
    let mut found: Vec<(&str, crate::diagnostics::FileId, crate::diagnostics::Span)> = Vec::new();
    for file in &loaded.files {
        for (name, wf) in &file.policy.workflows {
            let wf = &wf.value;
            let change = matches!(
                wf.trigger.value,
                raw::Trigger::AttributeChange(_) | raw::Trigger::GroupMembership(_)
            );
            if change
                && wf.enabled.as_ref().is_none_or(|e| e.value)
                && wf.scheduled.as_ref().is_none_or(|s| s.value)
            {
                found.push((name.value.as_str(), file.id, wf.trigger.span));
            }
        }
    }
    let Some((first, file, span)) = found.first().copied() else {
        return;
    };
    let at = crate::eval::locate::policy_place(loaded, file, span);
    let names: Vec<String> = found.iter().map(|(n, _, _)| format!("`{n}`")).collect();
    issues.push(DataIssue {
        code: Code::NoPreviousState,
        severity: Code::NoPreviousState.severity(),
        file: at.file,
        row: Some(at.line),
        field: Some(format!("workflows.{first}.trigger")),
        message: format!(
            "no previous state was given, so the workflows that run on a change do not run: {}",
            names.join(", ")
        ),
        help: Some(
            "give the report `eval` wrote for an earlier date with `--previous FILE`".into(),
        ),
    });
}

/// The identities whose accounts the workflows' last account change disables on the as-of
/// date (`docs/workflows.md`): a `disable_account` or `delete_user` dated on or after the
/// identity's hire date (an older one belongs to an earlier employment), for identities the
/// lifecycle gives an account and does not hold. A disable wins over the lifecycle's enabled;
/// `delete_user` disables (the lifecycle deletes at the end of retention: a workflow never
/// deletes what the lifecycle keeps); `enable_account` changes nothing (the lifecycle enables
/// on the hire date, and a workflow never enables what the lifecycle keeps disabled).
pub fn disabled_accounts(
    changes: &super::apply::Changes,
    attributes: &[(String, crate::column::Column)],
    lifecycle: &[crate::eval::Lifecycle],
    identity: Option<&raw::Identity>,
) -> Bitset {
    let n = lifecycle.len();
    let mut out = Bitset::with_capacity(n);
    let rules = Rules::new(identity);
    let hire = attributes
        .iter()
        .find(|(a, _)| rules.configured && *a == rules.hire_date)
        .map(|(_, c)| c);
    for (i, change) in changes.accounts.iter().enumerate() {
        let Some((change, day)) = change else {
            continue;
        };
        if *change == super::apply::AccountChange::Enabled {
            continue;
        }
        let Some(l) = lifecycle.get(i) else {
            continue;
        };
        if !l.has_account() || l.held() {
            continue;
        }
        let hired = hire.and_then(|c| match DateCell::read(c.get(i)) {
            DateCell::Date(d) => Some(d.date()),
            DateCell::Missing | DateCell::Invalid(_) => None,
        });
        if hired.is_none_or(|h| *day >= h) {
            out.insert(i);
        }
    }
    out
}
