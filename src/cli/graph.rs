//! `roster graph [DIR] [--format dot|mermaid|json] [--impact NODE]`.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::cannot_run;
use crate::escape;
use crate::policy;
use crate::render;

/// Output formats of `roster graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum GraphFormat {
    /// Graphviz DOT.
    #[default]
    Dot,
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// Nodes and edges with locations.
    Json,
}

/// Arguments of `roster graph`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy set: a directory of YAML files (or one file).
    #[arg(default_value = "policies")]
    dir: PathBuf,
    /// Output format (default: DOT; with `--impact`, a plain list of the nodes reached).
    #[arg(long, value_enum)]
    format: Option<GraphFormat>,
    /// List everything downstream of this node instead (`source:workday.Department`,
    /// `attribute:department`, `group:sales`, or a bare name when it is unique).
    #[arg(long, value_name = "NODE")]
    impact: Option<String>,
    #[command(flatten)]
    root: super::io::RootArgs,
}

/// Runs `roster graph`. Errors in the policy set are printed on standard error and exit 1; the
/// graph of what could be checked is still printed.
pub fn run(args: &Args) -> ExitStatus {
    let checked = match policy::check_with(&args.dir, &args.root.options()) {
        Ok(c) => c,
        Err(e) => return cannot_run(&e.to_string()),
    };
    // Nothing to draw from a directory without policy files, or with a refused one.
    let refused: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| {
            matches!(
                d.code,
                crate::codes::Code::NoPolicyFiles | crate::codes::Code::PolicyFileRefused
            )
        })
        .cloned()
        .collect();
    if !refused.is_empty() {
        super::io::err(&render::human(&refused, &checked.sources));
        return ExitStatus::Error;
    }
    let graph = &checked.policy.graph;
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    if let Some(name) = &args.impact {
        let Ok(node) = graph.lookup(name) else {
            let names: Vec<String> = graph.nodes().map(|(_, id, _)| id.to_string()).collect();
            let hint = crate::diagnostics::did_you_mean(name, names.iter().map(String::as_str))
                .map_or_else(String::new, |s| format!("; did you mean `{s}`?"));
            super::io::err(&format!(
                "error: no node `{}` in the graph{}\n",
                escape::terminal(&escape::clip(name, escape::VALUE_CHARS)),
                escape::terminal(&hint)
            ));
            return ExitStatus::Failure;
        };
        match args.format {
            None => {
                for id in graph.impact(node) {
                    if !super::io::out(&format!("{}\n", escape::terminal(&id.to_string()))) {
                        break;
                    }
                }
            }
            Some(GraphFormat::Dot) => {
                super::io::out(&graph.impact_graph(node).to_dot());
            }
            Some(GraphFormat::Mermaid) => {
                super::io::out(&graph.impact_graph(node).to_mermaid());
            }
            Some(GraphFormat::Json) => {
                let impact = graph.impact(node);
                let list: Vec<String> = impact.iter().map(ToString::to_string).collect();
                super::io::out(&format!(
                    "{}\n",
                    escape::json_compact(
                        &serde_json::json!({ "node": graph.id(node).map(ToString::to_string), "impact": list })
                    )
                ));
            }
        }
    } else {
        let text = match args.format.unwrap_or_default() {
            GraphFormat::Dot => graph.to_dot(),
            GraphFormat::Mermaid => graph.to_mermaid(),
            GraphFormat::Json => format!(
                "{}\n",
                escape::json_pretty(&graph.to_json(&checked.sources))
            ),
        };
        super::io::out(&text);
    }
    if errors.is_empty() {
        ExitStatus::Success
    } else {
        super::io::err(&render::human(&errors, &checked.sources));
        ExitStatus::Failure
    }
}
