//! The diff for people and pipelines: human text, JSON, JSON Lines, and a Markdown
//! pull-request comment under 60,000 characters whatever the population.

use std::fmt::Write as _;

use super::{Diff, IdentityDiff, Movement};
use crate::escape::{VALUE_CHARS, clip, json_compact, markdown_code, markdown_message, terminal};

/// The most characters the Markdown report holds (GitHub refuses comments over 65,536).
pub const MARKDOWN_BUDGET: usize = 60_000;

/// Rows per table in Markdown before "and N more".
const ROWS: usize = 25;

fn t(text: &str) -> String {
    terminal(&clip(text, VALUE_CHARS)).into_owned()
}

fn md(text: &str) -> String {
    markdown_code(text)
}

/// The last line: what changes, in one sentence.
pub fn last_line(d: &Diff) -> String {
    let s = &d.summary;
    format!(
        "Diff: {} identities change; groups +{} -{}; access packages +{} -{}; accounts +{} -{}; {} attribute values; {} lifecycle states; problems +{} -{}; conflicts +{} -{}.",
        s.changed,
        s.groups_gained,
        s.groups_lost,
        s.packages_gained,
        s.packages_lost,
        s.accounts_gained,
        s.accounts_lost,
        s.attributes_changed,
        s.lifecycle_changed,
        s.issues_new,
        s.issues_resolved,
        s.conflicts_new,
        s.conflicts_resolved
    )
}

fn identity_lines(out: &mut String, d: &IdentityDiff) {
    let _ = writeln!(out, "  {} ({})", t(&d.key), d.status);
    if let Some((b, a)) = &d.lifecycle {
        let _ = writeln!(out, "      lifecycle: {b} -> {a}");
    }
    for g in &d.groups_gained {
        let _ = writeln!(out, "      + group {}", t(g));
    }
    for g in &d.groups_lost {
        let _ = writeln!(out, "      - group {}", t(g));
    }
    for p in &d.packages_gained {
        let _ = writeln!(out, "      + package {}", t(p));
    }
    for p in &d.packages_lost {
        let _ = writeln!(out, "      - package {}", t(p));
    }
    for a in &d.accounts {
        let _ = writeln!(
            out,
            "      ~ account {}: {} -> {}",
            t(&a.target),
            a.before.as_deref().unwrap_or("none"),
            a.after.as_deref().unwrap_or("none")
        );
        for v in &a.attributes {
            let _ = writeln!(
                out,
                "          {}: {} -> {}",
                t(&v.name),
                t(&json_compact(&v.before)),
                t(&json_compact(&v.after))
            );
        }
    }
    for v in &d.attributes {
        let _ = writeln!(
            out,
            "      ~ {}: {} -> {}",
            t(&v.name),
            t(&json_compact(&v.before)),
            t(&json_compact(&v.after))
        );
    }
}

fn movement_lines(
    out: &mut String,
    title: &str,
    list: &std::collections::BTreeMap<String, Movement>,
) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}:");
    for (name, m) in list {
        let _ = writeln!(
            out,
            "  {}: +{} -{}{}{}",
            t(name),
            m.gained,
            m.lost,
            if m.gained_sample.is_empty() {
                String::new()
            } else {
                format!(
                    "  gain: {}",
                    m.gained_sample
                        .iter()
                        .map(|k| t(k))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            if m.lost_sample.is_empty() {
                String::new()
            } else {
                format!(
                    "  lose: {}",
                    m.lost_sample
                        .iter()
                        .map(|k| t(k))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
    }
    out.push('\n');
}

/// The human report.
pub fn human(d: &Diff) -> String {
    let mut out = String::new();
    if d.is_empty() {
        out.push_str("No changes: both policy sets give the same desired state.\n\n");
    }
    movement_lines(&mut out, "Groups", &d.groups);
    movement_lines(&mut out, "Access packages", &d.access_packages);
    movement_lines(&mut out, "Accounts", &d.targets);
    for (title, list) in [
        ("New conflicts", &d.conflicts_new),
        ("Resolved conflicts", &d.conflicts_resolved),
        ("New data problems", &d.issues_new),
        ("Resolved data problems", &d.issues_resolved),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title}:");
        for f in list {
            let _ = writeln!(
                out,
                "  {} {}: {}",
                t(&f.code),
                t(&f.at),
                terminal(&crate::escape::clip_message(&f.message))
            );
        }
        out.push('\n');
    }
    if !d.identities.is_empty() {
        out.push_str("Identities:\n");
        for i in &d.identities {
            identity_lines(&mut out, i);
        }
        out.push('\n');
    }
    out.push_str(&last_line(d));
    out.push('\n');
    out
}

/// The JSON document.
pub fn json(d: &Diff) -> String {
    format!("{}\n", crate::escape::json_pretty(d))
}

/// JSON Lines: a `summary` line (with the per-group, package and target movements), then one
/// line per identity, problem and conflict, each with its `type`.
pub fn jsonl(d: &Diff, mut w: impl std::io::Write) -> std::io::Result<()> {
    #[derive(serde::Serialize)]
    struct Head<'a> {
        format_version: &'a str,
        as_of: &'a str,
        summary: &'a super::Summary,
        groups: &'a std::collections::BTreeMap<String, Movement>,
        access_packages: &'a std::collections::BTreeMap<String, Movement>,
        targets: &'a std::collections::BTreeMap<String, Movement>,
    }
    let head = Head {
        format_version: &d.format_version,
        as_of: &d.as_of,
        summary: &d.summary,
        groups: &d.groups,
        access_packages: &d.access_packages,
        targets: &d.targets,
    };
    writeln!(w, "{}", crate::escape::json_line("summary", &head))?;
    for i in &d.identities {
        writeln!(w, "{}", crate::escape::json_line("identity", i))?;
    }
    for (kind, list) in [
        ("issue_new", &d.issues_new),
        ("issue_resolved", &d.issues_resolved),
        ("conflict_new", &d.conflicts_new),
        ("conflict_resolved", &d.conflicts_resolved),
    ] {
        for f in list {
            writeln!(w, "{}", crate::escape::json_line(kind, f))?;
        }
    }
    Ok(())
}

fn push_capped(out: &mut String, rows: Vec<String>, budget: usize) -> usize {
    let total = rows.len();
    let mut shown = 0;
    for row in rows.into_iter().take(ROWS) {
        if out.len() + row.len() + 300 > budget {
            break;
        }
        out.push_str(&row);
        out.push('\n');
        shown += 1;
    }
    if shown < total {
        let _ = writeln!(out, "\nand {} more", total - shown);
    }
    total - shown
}

/// The Markdown report: header, summary, conflicts and losses first, per group, package and
/// target with samples, then the identities, all inside the budget.
pub fn markdown(d: &Diff, header: &str) -> String {
    let budget = MARKDOWN_BUDGET - 500;
    let mut out = String::new();
    out.push_str(header);
    out.push('\n');
    let s = &d.summary;
    out.push_str("| identities changed | groups + | groups − | packages + | packages − | accounts + | accounts − | attribute values | lifecycle | problems + | problems − | conflicts + | conflicts − |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        s.changed,
        s.groups_gained,
        s.groups_lost,
        s.packages_gained,
        s.packages_lost,
        s.accounts_gained,
        s.accounts_lost,
        s.attributes_changed,
        s.lifecycle_changed,
        s.issues_new,
        s.issues_resolved,
        s.conflicts_new,
        s.conflicts_resolved
    );
    let mut cut = 0;
    if !d.conflicts_new.is_empty() {
        out.push_str("### New separation-of-duties conflicts\n\n| identity | what |\n|---|---|\n");
        let rows = d
            .conflicts_new
            .iter()
            .map(|f| format!("| {} | {} |", md(&f.at), markdown_message(&f.message)))
            .collect();
        cut += push_capped(&mut out, rows, budget);
        out.push('\n');
    }
    for (title, list) in [
        ("Accounts", &d.targets),
        ("Groups", &d.groups),
        ("Access packages", &d.access_packages),
    ] {
        if list.is_empty() || out.len() > budget {
            cut += list.len();
            continue;
        }
        let _ = writeln!(
            out,
            "### {title}\n\n| name | lose | gain | who loses | who gains |\n|---|---:|---:|---|---|"
        );
        // Losses first: they are what a reviewer must not miss.
        let mut entries: Vec<(&String, &Movement)> = list.iter().collect();
        entries.sort_by_key(|(n, m)| {
            (
                std::cmp::Reverse(m.lost),
                std::cmp::Reverse(m.gained),
                (*n).clone(),
            )
        });
        let rows = entries
            .iter()
            .map(|(n, m)| {
                format!(
                    "| {} | {} | {} | {} | {} |",
                    md(n),
                    m.lost,
                    m.gained,
                    m.lost_sample
                        .iter()
                        .map(|k| md(k))
                        .collect::<Vec<_>>()
                        .join(" "),
                    m.gained_sample
                        .iter()
                        .map(|k| md(k))
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            })
            .collect();
        cut += push_capped(&mut out, rows, budget);
        out.push('\n');
    }
    for (title, list) in [
        ("New data problems", &d.issues_new),
        ("Resolved data problems", &d.issues_resolved),
        ("Resolved conflicts", &d.conflicts_resolved),
    ] {
        if list.is_empty() || out.len() > budget {
            cut += list.len();
            continue;
        }
        let _ = writeln!(
            out,
            "<details><summary>{title} ({})</summary>\n\n| code | where | message |\n|---|---|---|",
            list.len()
        );
        let rows = list
            .iter()
            .map(|f| {
                format!(
                    "| {} | {} | {} |",
                    md(&f.code),
                    md(&f.at),
                    markdown_message(&f.message)
                )
            })
            .collect();
        cut += push_capped(&mut out, rows, budget);
        out.push_str("\n</details>\n\n");
    }
    if !d.identities.is_empty() && out.len() < budget {
        let _ = writeln!(
            out,
            "<details><summary>Identities ({})</summary>\n\n| identity | lifecycle | gains | loses | values |\n|---|---|---|---|---|",
            d.identities.len()
        );
        let rows = d
            .identities
            .iter()
            .map(|i| {
                let gains: Vec<String> = i
                    .groups_gained
                    .iter()
                    .chain(&i.packages_gained)
                    .map(|g| md(g))
                    .chain(
                        i.accounts
                            .iter()
                            .filter(|a| a.before.is_none())
                            .map(|a| format!("account {}", md(&a.target))),
                    )
                    .collect();
                let loses: Vec<String> = i
                    .groups_lost
                    .iter()
                    .chain(&i.packages_lost)
                    .map(|g| md(g))
                    .chain(
                        i.accounts
                            .iter()
                            .filter(|a| a.after.is_none())
                            .map(|a| format!("account {}", md(&a.target))),
                    )
                    .collect();
                format!(
                    "| {} | {} | {} | {} | {} |",
                    md(&i.key),
                    i.lifecycle
                        .as_ref()
                        .map_or_else(String::new, |(b, a)| format!("{b} → {a}")),
                    gains.join(" "),
                    loses.join(" "),
                    i.attributes
                        .iter()
                        .take(3)
                        .map(|v| md(&v.name))
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            })
            .collect();
        cut += push_capped(&mut out, rows, budget);
        out.push_str("\n</details>\n\n");
    } else if !d.identities.is_empty() {
        cut += d.identities.len();
    }
    if cut > 0 {
        let _ = writeln!(
            out,
            "{cut} more rows are not shown: the comment would be too long. The full diff is in `--format json`.\n"
        );
    }
    let _ = writeln!(out, "{}", last_line(d));
    out
}
