//! The plan for people and pipelines: human text like `terraform plan` (destructive changes
//! first, `+`, `~`, `-`), JSON (one versioned document), JSON Lines (one change per line), and
//! Markdown for a pull-request comment, which stays under [`MARKDOWN_BUDGET`] characters
//! whatever the population. Each also lists the lifecycle workflow runs due on the as-of date
//! with their tasks (the human report at most `HUMAN_RUNS`, Markdown a capped sample).
//!
//! Every value that comes from data or policy goes through [`crate::escape`] for its medium.

use std::fmt::Write as _;

use super::{Action, Change, Plan};
use crate::escape::{
    MESSAGE_CHARS, VALUE_CHARS, clip, json_compact, markdown_code, markdown_message, terminal,
};

/// The most characters the Markdown report holds (GitHub refuses comments over 65,536).
pub const MARKDOWN_BUDGET: usize = 60_000;

/// Rows shown per category in Markdown before "and N more".
const MARKDOWN_SAMPLE: usize = 25;

fn sign(a: Action) -> &'static str {
    match a {
        Action::Create | Action::MemberAdd | Action::PackageAdd => "+",
        Action::Update | Action::Enable | Action::Move => "~",
        Action::Disable | Action::Delete | Action::MemberRemove | Action::PackageRemove => "-",
    }
}

fn t(text: &str) -> String {
    terminal(&clip(text, VALUE_CHARS)).into_owned()
}

fn json_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "null".to_string(),
        serde_json::Value::String(s) => format!("\"{}\"", t(s)),
        other => t(&json_compact(other)),
    }
}

/// The last line: `Plan: N to create, …`.
pub fn last_line(plan: &Plan) -> String {
    let s = &plan.summary;
    format!(
        "Plan: {} to create, {} to update, {} to enable, {} to disable, {} to delete; {} memberships added, {} removed; {} orphaned, {} disputed, {} held.",
        s.create,
        s.update + s.moves,
        s.enable,
        s.disable,
        s.delete,
        s.member_add + s.package_add,
        s.member_remove + s.package_remove,
        s.orphan,
        s.disputed,
        s.held + s.skipped
    )
}

/// The order changes are shown to people in: destructive first.
fn shown_order(changes: &[Change]) -> Vec<&Change> {
    let mut v: Vec<&Change> = changes.iter().collect();
    v.sort_by_key(|c| {
        (
            !c.action.destructive(),
            std::cmp::Reverse(matches!(c.action, Action::Delete)),
        )
    });
    v
}

fn subject(c: &Change) -> String {
    let who = match (&c.identity, &c.account) {
        (Some(i), Some(a)) => format!("{} ({})", t(i), t(a)),
        (Some(i), None) => t(i),
        (None, Some(a)) => format!("account {}", t(a)),
        (None, None) => String::new(),
    };
    let what = match (&c.group, &c.access_package) {
        (Some(g), _) => format!(" group {}", t(g)),
        (_, Some(p)) => format!(" package {}", t(p)),
        _ => String::new(),
    };
    format!("{}.{} {}{}", t(&c.target), c.action.word(), who, what)
}

/// One person's part of the plan, for `explain ID --actual`.
pub fn person(p: &super::PersonPlan) -> String {
    let mut out = format!("\nPlan against the actual state for {}:\n", t(&p.identity));
    if p.plan_refused {
        out.push_str(
            "  (the plan as a whole is refused: a target is over its deletion threshold)\n",
        );
    }
    if p.changes.is_empty() && p.held.is_empty() && p.disputed.is_empty() {
        out.push_str("  no change: the targets hold what the policy wants for this person\n");
    }
    for c in &p.changes {
        let _ = writeln!(out, "  {} {}", sign(c.action), subject(c));
        let _ = writeln!(out, "      # {}", t(&c.reason));
        for a in &c.attributes {
            let _ = writeln!(
                out,
                "      {} {}: {} -> {}",
                if c.action == Action::Create { "+" } else { "~" },
                t(&a.name),
                json_value(&a.before),
                json_value(&a.after)
            );
        }
    }
    for h in &p.held {
        let _ = writeln!(out, "  = {}: held: {}", t(&h.target), t(&h.reason));
    }
    for d in &p.disputed {
        let _ = writeln!(
            out,
            "  ! {}: disputed ({}): accounts {}",
            t(&d.target),
            t(&d.reason),
            d.accounts
                .iter()
                .map(|a| t(a))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for o in p.orphans.iter().filter(|o| o.action.is_none()) {
        let _ = writeln!(
            out,
            "  ? {}: {} left as it is: {}",
            t(&o.target),
            t(&o.account),
            t(&o.reason)
        );
    }
    out
}

/// The human report.
pub fn human(plan: &Plan) -> String {
    let mut out = String::new();
    for tp in plan.targets.iter().filter(|t| t.refused) {
        let _ = writeln!(
            out,
            "error: target {} would disable or delete {} accounts, over its threshold of {}: the plan is refused\n  fingerprint: {}\n  approve exactly this plan with an `approvals:` entry naming the target, the counts, this fingerprint and an expiry date\n",
            t(&tp.name),
            tp.destructive,
            tp.threshold,
            tp.fingerprint
        );
    }
    if plan.changes.is_empty() {
        out.push_str("No changes. The targets hold the desired state.\n\n");
    }
    for c in shown_order(&plan.changes) {
        let label = c.lifecycle.map_or(String::new(), |l| {
            format!(
                " [{}]",
                serde_json::to_value(l)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            )
        });
        let _ = writeln!(out, "  {} {}{}", sign(c.action), subject(c), label);
        let _ = writeln!(out, "      # {}", t(&c.reason));
        if let (Some(from), Some(to)) = (&c.from, &c.to) {
            let _ = writeln!(out, "      parent: \"{}\" -> \"{}\"", t(from), t(to));
        }
        for a in &c.attributes {
            if c.action == Action::Create {
                let _ = writeln!(out, "      + {} = {}", t(&a.name), json_value(&a.after));
            } else if !a.added.is_empty() || !a.removed.is_empty() {
                let _ = writeln!(out, "      ~ {}", t(&a.name));
                for v in &a.added {
                    let _ = writeln!(
                        out,
                        "          + {}",
                        json_value(&serde_json::Value::String(v.clone()))
                    );
                }
                for v in &a.removed {
                    let _ = writeln!(
                        out,
                        "          - {}",
                        json_value(&serde_json::Value::String(v.clone()))
                    );
                }
            } else {
                let _ = writeln!(
                    out,
                    "      ~ {}: {} -> {}",
                    t(&a.name),
                    json_value(&a.before),
                    json_value(&a.after)
                );
            }
        }
    }
    if !plan.disputed.is_empty() {
        out.push_str("\nDisputed (no change for anyone involved):\n");
        for d in &plan.disputed {
            let _ = writeln!(
                out,
                "  ! {}: identities {} / accounts {}: {}",
                t(&d.target),
                d.identities
                    .iter()
                    .map(|i| t(i))
                    .collect::<Vec<_>>()
                    .join(", "),
                d.accounts
                    .iter()
                    .map(|a| t(a))
                    .collect::<Vec<_>>()
                    .join(", "),
                t(&d.reason)
            );
        }
    }
    let left: Vec<_> = plan.orphans.iter().filter(|o| o.action.is_none()).collect();
    if !left.is_empty() {
        out.push_str("\nOrphaned accounts left as they are:\n");
        for o in left {
            let _ = writeln!(
                out,
                "  ? {}: {}{}: {}",
                t(&o.target),
                t(&o.account),
                o.identity
                    .as_deref()
                    .map_or(String::new(), |i| format!(" ({})", t(i))),
                t(&o.reason)
            );
        }
    }
    if !plan.held.is_empty() {
        out.push_str("\nHeld (no change):\n");
        for h in &plan.held {
            let _ = writeln!(
                out,
                "  = {}: {}{}: {}",
                t(&h.target),
                t(&h.identity),
                h.account
                    .as_deref()
                    .map_or(String::new(), |a| format!(" ({})", t(a))),
                t(&h.reason)
            );
        }
    }
    tasks_due_human(plan, &mut out);
    if !plan.issues.is_empty() {
        out.push_str("\nProblems:\n");
        for i in &plan.issues {
            let _ = writeln!(
                out,
                "  {} {}: {}{}: {}",
                i.code.as_str(),
                match i.severity {
                    crate::diagnostics::Severity::Error => "error",
                    crate::diagnostics::Severity::Warning => "warning",
                },
                t(&i.file),
                i.row.map_or(String::new(), |r| format!(":{r}")),
                terminal(&crate::escape::clip_message(&i.message))
            );
        }
    }
    out.push('\n');
    for tp in &plan.targets {
        let _ = writeln!(
            out,
            "{}: {} accounts read ({}), {} managed; {} disables and deletes of at most {}{}",
            t(&tp.name),
            tp.accounts,
            tp.format,
            tp.managed,
            tp.destructive,
            tp.threshold,
            match (&tp.approved_by, tp.refused) {
                (Some(a), _) => format!(", approved by `{}`", t(a)),
                (None, true) => ": REFUSED".to_string(),
                _ => String::new(),
            }
        );
    }
    out.push('\n');
    out.push_str(&last_line(plan));
    out.push('\n');
    out
}

/// The most workflow runs the human report lists with their tasks; the rest are counted.
const HUMAN_RUNS: usize = 200;

/// The workflow runs due on the as-of date, each with its tasks (and why one will fail): at
/// most `HUMAN_RUNS`, then a count.
fn tasks_due_human(plan: &Plan, out: &mut String) {
    if plan.tasks_due.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nWorkflow runs due on {} ({}):",
        plan.as_of,
        plan.tasks_due.len()
    );
    if let Some(note) = until_applied(plan) {
        let _ = writeln!(out, "  {note}");
    }
    for run in plan.tasks_due.iter().take(HUMAN_RUNS) {
        let _ = writeln!(
            out,
            "  > {} {}",
            t(run.subject.id()),
            t(run.source.strip_prefix("workflow:").unwrap_or(&run.source))
        );
        for task in &run.tasks {
            let problem = task
                .problem
                .as_deref()
                .map(|p| format!(" (will fail: {})", terminal(&clip(p, 100))))
                .unwrap_or_default();
            let email = task
                .email
                .as_ref()
                .map(|e| {
                    format!(
                        " to {}: \"{}\"",
                        e.to.as_deref()
                            .map_or_else(|| "(no address)".to_string(), t),
                        terminal(&clip(&e.subject, 100))
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "      - {}{email}{problem}",
                terminal(&clip(&task.summary, 120))
            );
        }
    }
    if plan.tasks_due.len() > HUMAN_RUNS {
        let _ = writeln!(
            out,
            "  ... and {} more workflow runs (all of them in `tasks_due` of --format json)",
            plan.tasks_due.len() - HUMAN_RUNS
        );
    }
}

/// What the reports say of change-triggered runs compared with the directory's actual state,
/// when there are some (`docs/workflows.md`).
fn until_applied(plan: &Plan) -> Option<String> {
    let n = plan.due_until_applied;
    let directory = plan.previous_from.as_deref()?;
    (n > 0).then(|| {
        format!(
            "{n} of them {} on a change the directory `{}` does not hold yet: Entra runs {} when this plan is applied, and every plan lists {} until then",
            if n == 1 { "runs" } else { "run" },
            terminal(directory),
            if n == 1 { "it" } else { "them" },
            if n == 1 { "it" } else { "them" },
        )
    })
}

/// The JSON document.
pub fn json(plan: &Plan) -> String {
    format!("{}\n", crate::escape::json_pretty(plan))
}

/// JSON Lines: a `summary` line, then one line per change, held identity, dispute, orphan and
/// problem, each with its `type`.
pub fn jsonl(plan: &Plan, mut w: impl std::io::Write) -> std::io::Result<()> {
    #[derive(serde::Serialize)]
    struct Head<'a> {
        format_version: &'a str,
        as_of: &'a str,
        summary: &'a super::Summary,
        targets: &'a [super::TargetPlan],
    }
    let head = Head {
        format_version: &plan.format_version,
        as_of: &plan.as_of,
        summary: &plan.summary,
        targets: &plan.targets,
    };
    writeln!(w, "{}", crate::escape::json_line("summary", &head))?;
    for c in &plan.changes {
        writeln!(w, "{}", crate::escape::json_line("change", c))?;
    }
    for h in &plan.held {
        writeln!(w, "{}", crate::escape::json_line("held", h))?;
    }
    for d in &plan.disputed {
        writeln!(w, "{}", crate::escape::json_line("disputed", d))?;
    }
    for o in &plan.orphans {
        writeln!(w, "{}", crate::escape::json_line("orphan", o))?;
    }
    for run in &plan.tasks_due {
        writeln!(w, "{}", crate::escape::json_line("workflow_run", run))?;
    }
    for i in &plan.issues {
        writeln!(w, "{}", crate::escape::json_line("issue", i))?;
    }
    Ok(())
}

fn md(text: &str) -> String {
    markdown_code(text)
}

/// The Markdown report under `header` ([`crate::markdown::header`]): summary table, refusals,
/// destructive changes first, a capped sample per category inside `<details>`, never more
/// than [`MARKDOWN_BUDGET`] characters.
pub fn markdown(plan: &Plan, header: &str) -> String {
    let mut out = String::new();
    out.push_str(header);
    out.push('\n');
    for tp in plan.targets.iter().filter(|t| t.refused) {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> Target {} would disable or delete **{}** accounts, over its threshold of {}: the plan is refused. Fingerprint: `{}`.\n",
            md(&tp.name),
            tp.destructive,
            tp.threshold,
            tp.fingerprint
        );
    }
    let s = &plan.summary;
    out.push_str("| create | update | move | enable | disable | delete | member + | member − | package + | package − | orphaned | disputed | held |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        s.create,
        s.update,
        s.moves,
        s.enable,
        s.disable,
        s.delete,
        s.member_add,
        s.member_remove,
        s.package_add,
        s.package_remove,
        s.orphan,
        s.disputed,
        s.held + s.skipped
    );
    out.push_str("| target | format | accounts | managed | disables + deletes | threshold | status |\n|---|---|---:|---:|---:|---:|---|\n");
    for tp in &plan.targets {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            md(&tp.name),
            tp.format,
            tp.accounts,
            tp.managed,
            tp.destructive,
            tp.threshold,
            match (&tp.approved_by, tp.refused) {
                (Some(a), _) => format!("approved by {}", md(a)),
                (None, true) => "**refused**".to_string(),
                _ => "ok".to_string(),
            }
        );
    }
    out.push('\n');
    // Reserve room for the closing line.
    let budget = MARKDOWN_BUDGET - 400;
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    let mut by_action: std::collections::BTreeMap<(bool, Action), Vec<&Change>> =
        std::collections::BTreeMap::new();
    for c in &plan.changes {
        by_action
            .entry((!c.action.destructive(), c.action))
            .or_default()
            .push(c);
    }
    for ((_, action), changes) in by_action
        .iter()
        .rev()
        .filter(|((d, _), _)| !*d)
        .chain(by_action.iter().filter(|((d, _), _)| *d))
    {
        let rows = changes
            .iter()
            .map(|c| {
                let detail = if !c.attributes.is_empty() && c.action != Action::Create {
                    c.attributes
                        .iter()
                        .take(5)
                        .map(|a| {
                            format!(
                                "{}: {} → {}",
                                md(&a.name),
                                md(&json_compact(&a.before)),
                                md(&json_compact(&a.after))
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("<br>")
                } else if let (Some(f), Some(to)) = (&c.from, &c.to) {
                    format!("{} → {}", md(f), md(to))
                } else {
                    c.group
                        .as_deref()
                        .or(c.access_package.as_deref())
                        .map_or_else(|| markdown_message(&clip(&c.reason, MESSAGE_CHARS)), md)
                };
                format!(
                    "| {} | {} | {} | {} | {} |",
                    md(&c.target),
                    c.identity.as_deref().map_or_else(|| "—".to_string(), md),
                    c.account.as_deref().map_or_else(|| "(new)".to_string(), md),
                    c.lifecycle.map_or("", |l| match l {
                        super::Label::Joiner => "joiner",
                        super::Label::Mover => "mover",
                        super::Label::Leaver => "leaver",
                        super::Label::Rehire => "rehire",
                        super::Label::Review => "review",
                    }),
                    detail
                )
            })
            .collect();
        sections.push((format!("{} ({})", action.word(), changes.len()), rows));
    }
    let mut others = |title: String, rows: Vec<String>| sections.push((title, rows));
    if !plan.disputed.is_empty() {
        others(
            format!("disputed ({})", plan.disputed.len()),
            plan.disputed
                .iter()
                .map(|d| {
                    format!(
                        "| {} | {} | {} | | {} |",
                        md(&d.target),
                        md(&d.identities.join(", ")),
                        md(&d.accounts.join(", ")),
                        markdown_message(&d.reason)
                    )
                })
                .collect(),
        );
    }
    let left: Vec<_> = plan.orphans.iter().filter(|o| o.action.is_none()).collect();
    if !left.is_empty() {
        others(
            format!("orphaned, left as they are ({})", left.len()),
            left.iter()
                .map(|o| {
                    format!(
                        "| {} | {} | {} | | {} |",
                        md(&o.target),
                        o.identity.as_deref().map_or_else(|| "—".to_string(), md),
                        md(&o.account),
                        markdown_message(&o.reason)
                    )
                })
                .collect(),
        );
    }
    if !plan.held.is_empty() {
        others(
            format!("held ({})", plan.held.len()),
            plan.held
                .iter()
                .map(|h| {
                    format!(
                        "| {} | {} | {} | | {} |",
                        md(&h.target),
                        md(&h.identity),
                        h.account.as_deref().map_or_else(|| "—".to_string(), md),
                        markdown_message(&h.reason)
                    )
                })
                .collect(),
        );
    }
    if !plan.tasks_due.is_empty() {
        others(
            format!(
                "workflow runs due on {} ({}{})",
                plan.as_of,
                plan.tasks_due.len(),
                if plan.previous_from.is_some() && plan.due_until_applied > 0 {
                    format!(
                        "; {} on a change the directory does not hold yet, listed in every plan until this one is applied",
                        plan.due_until_applied
                    )
                } else {
                    String::new()
                }
            ),
            plan.tasks_due
                .iter()
                .map(|run| {
                    let tasks: Vec<String> = run
                        .tasks
                        .iter()
                        .map(|task| match &task.problem {
                            Some(p) => format!(
                                "{} (will fail: {})",
                                md(&task.task),
                                markdown_message(&clip(p, MESSAGE_CHARS))
                            ),
                            None => md(&task.task),
                        })
                        .collect();
                    format!(
                        "| — | {} | | | workflow {}: {} |",
                        md(run.subject.id()),
                        md(run.source.strip_prefix("workflow:").unwrap_or(&run.source)),
                        tasks.join(", ")
                    )
                })
                .collect(),
        );
    }
    if !plan.issues.is_empty() {
        others(
            format!("problems ({})", plan.issues.len()),
            plan.issues
                .iter()
                .map(|i| {
                    format!(
                        "| {} | {} | {} | {} | {} |",
                        i.code.as_str(),
                        match i.severity {
                            crate::diagnostics::Severity::Error => "error",
                            crate::diagnostics::Severity::Warning => "warning",
                        },
                        md(&i.file),
                        i.row.map_or(String::new(), |r| r.to_string()),
                        markdown_message(&i.message)
                    )
                })
                .collect(),
        );
    }
    let mut cut = 0usize;
    for (title, rows) in sections {
        let head = format!(
            "<details><summary>{title}</summary>\n\n| target | identity | account | lifecycle | detail |\n|---|---|---|---|---|\n"
        );
        if out.len() + head.len() + 40 > budget {
            cut += rows.len();
            continue;
        }
        out.push_str(&head);
        let total = rows.len();
        let mut shown = 0;
        for row in rows.into_iter().take(MARKDOWN_SAMPLE) {
            if out.len() + row.len() + 200 > budget {
                break;
            }
            out.push_str(&row);
            out.push('\n');
            shown += 1;
        }
        if shown < total {
            let _ = writeln!(out, "\nand {} more\n", total - shown);
        }
        out.push_str("\n</details>\n\n");
    }
    if cut > 0 {
        let _ = writeln!(
            out,
            "{cut} more rows are not shown: the comment would be too long. The full plan is in `--format json`.\n"
        );
    }
    let _ = writeln!(out, "{}", last_line(plan));
    out
}
