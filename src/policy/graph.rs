//! The dependency graph of a policy set: nodes are source fields, identity attributes, groups,
//! access packages, targets and their attributes, workflows and reviews; an edge `a -> b` means
//! `b` reads `a`, and carries where the reference was written.
//!
//! It gives the evaluation order, rejects cycles (reported as the whole chain), and answers
//! "what does changing this affect?".

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;

use super::compile::Loc;
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Label, Sources};
use crate::escape;

/// A node of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeId {
    /// `source.field`.
    SourceField(String, String),
    /// An identity attribute.
    Attribute(String),
    /// A group.
    Group(String),
    /// An access package.
    Package(String),
    /// A target (its scope).
    Target(String),
    /// An attribute of a target.
    TargetAttribute(String, String),
    /// A workflow.
    Workflow(String),
    /// A review.
    Review(String),
}

impl fmt::Display for NodeId {
    /// The node's name as users write it on the command line (`--impact`): `kind:name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeId::SourceField(s, x) => write!(f, "source:{s}.{x}"),
            NodeId::Attribute(a) => write!(f, "attribute:{a}"),
            NodeId::Group(g) => write!(f, "group:{g}"),
            NodeId::Package(p) => write!(f, "package:{p}"),
            NodeId::Target(t) => write!(f, "target:{t}"),
            NodeId::TargetAttribute(t, a) => write!(f, "target:{t}.{a}"),
            NodeId::Workflow(w) => write!(f, "workflow:{w}"),
            NodeId::Review(r) => write!(f, "review:{r}"),
        }
    }
}

impl NodeId {
    /// The kind, as a word.
    pub fn kind(&self) -> &'static str {
        match self {
            NodeId::SourceField(..) => "source field",
            NodeId::Attribute(_) => "attribute",
            NodeId::Group(_) => "group",
            NodeId::Package(_) => "access package",
            NodeId::Target(_) => "target",
            NodeId::TargetAttribute(..) => "target attribute",
            NodeId::Workflow(_) => "workflow",
            NodeId::Review(_) => "review",
        }
    }
}

/// The graph.
#[derive(Debug, Default, Clone)]
pub struct Graph {
    graph: DiGraph<(NodeId, Loc), Loc>,
    index: HashMap<NodeId, NodeIndex>,
    /// The edges already added: looking them up in the graph itself walks every edge of the
    /// source node, which made linking quadratic when one attribute is read by thousands of
    /// rules.
    edges: std::collections::HashSet<(NodeIndex, NodeIndex)>,
}

impl Graph {
    /// Adds a node (once); returns its index.
    pub fn node(&mut self, id: NodeId, at: Loc) -> NodeIndex {
        if let Some(i) = self.index.get(&id) {
            return *i;
        }
        let i = self.graph.add_node((id.clone(), at));
        self.index.insert(id, i);
        i
    }

    /// Adds an edge `from -> to` (`to` reads `from`), written at `at`. Missing nodes are added.
    pub fn edge(&mut self, from: &NodeId, to: &NodeId, at: Loc) {
        let a = self.node(from.clone(), at);
        let b = self.node(to.clone(), at);
        if self.edges.insert((a, b)) {
            self.graph.add_edge(a, b, at);
        }
    }

    /// The index of a node.
    pub fn find(&self, id: &NodeId) -> Option<NodeIndex> {
        self.index.get(id).copied()
    }

    /// Finds a node by its display name (`group:sales`), or by a bare name when only one node
    /// has it (`workday.Department`, `sales`).
    pub fn lookup(&self, name: &str) -> Result<NodeIndex, Vec<String>> {
        let all: Vec<(NodeIndex, String)> = self
            .graph
            .node_indices()
            .filter_map(|i| self.graph.node_weight(i).map(|(id, _)| (i, id.to_string())))
            .collect();
        if let Some((i, _)) = all.iter().find(|(_, n)| n == name) {
            return Ok(*i);
        }
        let bare: Vec<&(NodeIndex, String)> = all
            .iter()
            .filter(|(_, n)| n.split_once(':').is_some_and(|(_, rest)| rest == name))
            .collect();
        match bare.as_slice() {
            [(i, _)] => Ok(*i),
            _ => Err(all.into_iter().map(|(_, n)| n).collect()),
        }
    }

    /// The node at an index.
    pub fn id(&self, i: NodeIndex) -> Option<&NodeId> {
        self.graph.node_weight(i).map(|(id, _)| id)
    }

    /// Every node, in insertion order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeIndex, &NodeId, Loc)> {
        self.graph
            .node_indices()
            .filter_map(|i| self.graph.node_weight(i).map(|(id, at)| (i, id, *at)))
    }

    /// Every edge `(from, to, where)`, in insertion order.
    pub fn edges(&self) -> impl Iterator<Item = (&NodeId, &NodeId, Loc)> {
        self.graph
            .edge_references()
            .filter_map(|e| Some((self.id(e.source())?, self.id(e.target())?, *e.weight())))
    }

    /// Whether anything reads this node.
    pub fn has_readers(&self, i: NodeIndex) -> bool {
        self.graph
            .neighbors_directed(i, Direction::Outgoing)
            .next()
            .is_some()
    }

    /// Everything downstream of a node (what changing it affects), sorted.
    pub fn impact(&self, start: NodeIndex) -> Vec<&NodeId> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start];
        while let Some(n) = stack.pop() {
            for next in self.graph.neighbors_directed(n, Direction::Outgoing) {
                if next != start && seen.insert(next) {
                    stack.push(next);
                }
            }
        }
        let mut out: Vec<&NodeId> = seen.into_iter().filter_map(|i| self.id(i)).collect();
        out.sort();
        out
    }

    /// The part of the graph that a change to `start` reaches: `start`, everything downstream
    /// of it, and the edges among them (in the original insertion order), for `graph --impact`
    /// in DOT and Mermaid.
    pub fn impact_graph(&self, start: NodeIndex) -> Graph {
        let mut keep: BTreeSet<NodeIndex> = BTreeSet::from([start]);
        let mut stack = vec![start];
        while let Some(n) = stack.pop() {
            for next in self.graph.neighbors_directed(n, Direction::Outgoing) {
                if keep.insert(next) {
                    stack.push(next);
                }
            }
        }
        let mut out = Graph::default();
        for i in self.graph.node_indices().filter(|i| keep.contains(i)) {
            if let Some((id, at)) = self.graph.node_weight(i) {
                out.node(id.clone(), *at);
            }
        }
        for e in self.graph.edge_references() {
            if keep.contains(&e.source())
                && keep.contains(&e.target())
                && let (Some(a), Some(b)) = (self.id(e.source()), self.id(e.target()))
            {
                out.edge(a, b, *e.weight());
            }
        }
        out
    }

    /// A topological order (the evaluation order), or `None` when there is a cycle.
    pub fn order(&self) -> Option<Vec<&NodeId>> {
        petgraph::algo::toposort(&self.graph, None)
            .ok()
            .map(|order| order.into_iter().filter_map(|i| self.id(i)).collect())
    }

    /// One cycle per strongly connected component that has one, each as the chain of nodes
    /// starting from its smallest node, in a stable order.
    pub fn cycles(&self) -> Vec<Vec<NodeIndex>> {
        let mut out = Vec::new();
        for scc in petgraph::algo::tarjan_scc(&self.graph) {
            let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
            let self_loop = scc.len() == 1
                && scc
                    .first()
                    .is_some_and(|n| self.graph.contains_edge(*n, *n));
            if scc.len() < 2 && !self_loop {
                continue;
            }
            let Some(start) = scc
                .iter()
                .copied()
                .min_by(|a, b| self.id(*a).cmp(&self.id(*b)))
            else {
                continue;
            };
            if let Some(path) = self.path_back(start, &members) {
                out.push(path);
            }
        }
        out.sort_by(|a, b| {
            let ka: Vec<_> = a.iter().map(|i| self.id(*i)).collect();
            let kb: Vec<_> = b.iter().map(|i| self.id(*i)).collect();
            ka.cmp(&kb)
        });
        out
    }

    /// The shortest path from `start` back to itself within `members` (breadth first, so the
    /// reported chain is as short as possible).
    fn path_back(&self, start: NodeIndex, members: &BTreeSet<NodeIndex>) -> Option<Vec<NodeIndex>> {
        let mut prev: HashMap<NodeIndex, NodeIndex> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            let mut next: Vec<NodeIndex> = self
                .graph
                .neighbors_directed(n, Direction::Outgoing)
                .filter(|m| members.contains(m))
                .collect();
            next.sort_by(|a, b| self.id(*a).cmp(&self.id(*b)));
            for m in next {
                if m == start {
                    let mut path = vec![start];
                    let mut cur = n;
                    while cur != start {
                        path.push(cur);
                        cur = *prev.get(&cur)?;
                    }
                    if let Some(middle) = path.get_mut(1..) {
                        middle.reverse();
                    }
                    path.push(start);
                    return Some(path);
                }
                if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(m) {
                    e.insert(n);
                    queue.push_back(m);
                }
            }
        }
        None
    }

    /// The diagnostic for a cycle: the whole chain, each edge with where it was written.
    pub fn cycle_diagnostic(&self, cycle: &[NodeIndex]) -> Diagnostic {
        let names: Vec<String> = cycle
            .iter()
            .filter_map(|i| self.id(*i))
            .map(|n| format!("`{n}`"))
            .collect();
        let mut edges = Vec::new();
        for pair in cycle.windows(2) {
            if let [a, b] = pair
                && let Some(e) = self.graph.find_edge(*a, *b)
                && let Some(at) = self.graph.edge_weight(e)
            {
                edges.push((*a, *b, *at));
            }
        }
        // The primary location is where the cycle's first node is defined; each edge is a label.
        let first = cycle
            .first()
            .and_then(|i| self.graph.node_weight(*i))
            .map(|(_, at)| *at)
            .unwrap_or_default();
        let mut d = Diagnostic::new(
            Code::DependencyCycle,
            first.span,
            format!("dependency cycle: {}", names.join(" -> ")),
        );
        d.file = first.file;
        for (a, b, at) in &edges {
            let (Some(a), Some(b)) = (self.id(*a), self.id(*b)) else {
                continue;
            };
            d.labels.push(Label {
                file: at.file,
                span: at.span,
                message: format!("`{b}` reads `{a}` here"),
            });
        }
        d.help = Some("break the chain: one of these references must go, since nothing in it can be computed first".into());
        d
    }

    /// Graphviz DOT.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph roster {\n  rankdir=LR;\n");
        for (_, id, _) in self.nodes() {
            out.push_str(&format!(
                "  \"{}\" [shape={}];\n",
                escape::dot_string(&id.to_string()),
                shape(id)
            ));
        }
        for (a, b, _) in self.edges() {
            out.push_str(&format!(
                "  \"{}\" -> \"{}\";\n",
                escape::dot_string(&a.to_string()),
                escape::dot_string(&b.to_string())
            ));
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        let ids: HashMap<&NodeId, usize> = self
            .nodes()
            .enumerate()
            .map(|(n, (_, id, _))| (id, n))
            .collect();
        for (n, (_, id, _)) in self.nodes().enumerate() {
            out.push_str(&format!(
                "  n{n}[\"{}\"]\n",
                escape::mermaid_label(&id.to_string())
            ));
        }
        for (a, b, _) in self.edges() {
            if let (Some(x), Some(y)) = (ids.get(a), ids.get(b)) {
                out.push_str(&format!("  n{x} --> n{y}\n"));
            }
        }
        out
    }

    /// JSON: nodes and edges with locations.
    pub fn to_json(&self, sources: &impl Sources) -> serde_json::Value {
        #[derive(Serialize)]
        struct Node {
            id: String,
            kind: &'static str,
            file: String,
            line: usize,
        }
        #[derive(Serialize)]
        struct Edge {
            from: String,
            to: String,
            file: String,
            line: usize,
            column: usize,
        }
        let place = |at: Loc| {
            let src = sources.source(at.file);
            (src.name.to_string(), src.line_col(at.span.start))
        };
        let nodes: Vec<Node> = self
            .nodes()
            .map(|(_, id, at)| {
                let (file, lc) = place(at);
                Node {
                    id: id.to_string(),
                    kind: id.kind(),
                    file,
                    line: lc.line,
                }
            })
            .collect();
        let edges: Vec<Edge> = self
            .edges()
            .map(|(a, b, at)| {
                let (file, lc) = place(at);
                Edge {
                    from: a.to_string(),
                    to: b.to_string(),
                    file,
                    line: lc.line,
                    column: lc.column,
                }
            })
            .collect();
        serde_json::json!({ "nodes": nodes, "edges": edges })
    }
}

fn shape(id: &NodeId) -> &'static str {
    match id {
        NodeId::SourceField(..) => "note",
        NodeId::Attribute(_) => "box",
        NodeId::Group(_) => "ellipse",
        NodeId::Package(_) => "folder",
        NodeId::Target(_) | NodeId::TargetAttribute(..) => "component",
        NodeId::Workflow(_) => "cds",
        NodeId::Review(_) => "octagon",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(edges: &[(&str, &str)]) -> Graph {
        let mut graph = Graph::default();
        for (a, b) in edges {
            graph.edge(
                &NodeId::Group((*a).into()),
                &NodeId::Group((*b).into()),
                Loc::default(),
            );
        }
        graph
    }

    /// One attribute read by a hundred thousand rules: adding each edge once must not walk the
    /// attribute's edges (linking 30,000 `-match` groups took most of a minute).
    #[test]
    fn edges_from_one_node_are_added_in_linear_time() {
        let mut graph = Graph::default();
        let from = NodeId::Attribute("department".into());
        let started = std::time::Instant::now();
        for i in 0..100_000 {
            let to = NodeId::Group(format!("g{i}"));
            graph.edge(&from, &to, Loc::default());
            graph.edge(&from, &to, Loc::default());
        }
        assert_eq!(graph.edges().count(), 100_000, "each edge once");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn order_puts_every_node_after_what_it_reads() {
        let graph = g(&[("c", "d"), ("a", "b"), ("b", "c"), ("a", "c")]);
        let order: Vec<String> = graph
            .order()
            .unwrap()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let at = |n: &str| {
            order
                .iter()
                .position(|x| x == &format!("group:{n}"))
                .unwrap()
        };
        assert!(
            at("a") < at("b") && at("b") < at("c") && at("c") < at("d"),
            "{order:?}"
        );
        assert!(graph.cycles().is_empty());
    }

    #[test]
    fn cycles_are_reported_once_each_as_the_shortest_chain() {
        let graph = g(&[
            ("a", "b"),
            ("b", "c"),
            ("c", "a"),
            ("c", "b"),
            ("x", "x"),
            ("y", "z"),
        ]);
        assert!(graph.order().is_none());
        let chains: Vec<Vec<String>> = graph
            .cycles()
            .iter()
            .map(|c| {
                c.iter()
                    .map(|i| graph.id(*i).unwrap().to_string())
                    .collect()
            })
            .collect();
        assert_eq!(
            chains,
            vec![
                vec!["group:a", "group:b", "group:c", "group:a"],
                vec!["group:x", "group:x"],
            ]
        );
        let d = graph.cycle_diagnostic(&graph.cycles()[0]);
        assert_eq!(
            d.message,
            "dependency cycle: `group:a` -> `group:b` -> `group:c` -> `group:a`"
        );
        assert_eq!(d.labels.len(), 3);
    }

    #[test]
    fn impact_graph_keeps_the_start_what_it_reaches_and_their_edges() {
        let g = g(&[("a", "b"), ("b", "c"), ("x", "b"), ("c", "d"), ("y", "z")]);
        let start = g.lookup("group:b").unwrap();
        let sub = g.impact_graph(start);
        let nodes: Vec<String> = sub.nodes().map(|(_, id, _)| id.to_string()).collect();
        assert_eq!(nodes, ["group:b", "group:c", "group:d"]);
        let edges: Vec<(String, String)> = sub
            .edges()
            .map(|(a, b, _)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(
            edges,
            [
                ("group:b".to_string(), "group:c".to_string()),
                ("group:c".to_string(), "group:d".to_string())
            ]
        );
    }

    #[test]
    fn impact_is_everything_downstream() {
        let graph = g(&[("a", "b"), ("b", "c"), ("x", "c")]);
        let a = graph.find(&NodeId::Group("a".into())).unwrap();
        let names: Vec<String> = graph.impact(a).iter().map(|n| n.to_string()).collect();
        assert_eq!(names, ["group:b", "group:c"]);
        assert!(graph.lookup("b").is_ok());
        assert!(graph.lookup("nope").is_err());
    }
}
