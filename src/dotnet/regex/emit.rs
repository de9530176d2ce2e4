//! Emission of Rust regular-expression syntax from a parsed .NET pattern.
//!
//! The output uses only syntax that both the `regex` crate and `fancy-regex` read the same
//! way: every character other than an ASCII letter, digit or `_` is written as `\x{...}`, every
//! class is spelled out with .NET's definitions (`\w` is `[\p{L}\p{Mn}\p{Nd}\p{Pc}]`, not
//! Rust's wider one), case-insensitivity is scoped with `(?i:...)` around exactly the items
//! .NET folds, and no inline `x`, `m` or `s` flag leaks beyond the assertion it is for.
//!
//! Two constructs have an exact form that needs lookaround (so the backtracking engine) and a
//! fast form the linear engine can run, which is exact on most inputs: `$`/`\Z` (`\z` is exact
//! unless the input ends with `\n`) and `\b`/`\B` (Rust's `\b` is exact unless the input holds
//! a character whose word-ness differs between Rust and .NET). [`Mode`] picks the form.

use std::fmt::Write as _;

use super::RegexError;
use super::parse::{Assertion, CharSet, GroupKind, GroupTable, Node, SetItem};

/// .NET's `\w`, as class items.
const NET_WORD_ITEMS: &str = r"\p{L}\p{Mn}\p{Nd}\p{Pc}";

/// The characters .NET's `\b` treats as word characters (`\w` plus ZWNJ and ZWJ).
pub(super) const NET_BOUNDARY_CLASS: &str = r"[\p{L}\p{Mn}\p{Nd}\p{Pc}\x{200C}\x{200D}]";

/// .NET's `\s` (`char.IsWhiteSpace`), as class items.
const NET_SPACE_ITEMS: &str = r"\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}";

/// Characters outside the basic multilingual plane, as a class.
const ASTRAL: &str = r"\x{10000}-\x{10FFFF}";

/// Which form to emit for `$`/`\Z` and `\b`/`\B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Linear-engine forms, exact only on inputs that [`super::NetRegex`] checks first.
    Fast,
    /// Lookaround forms, exact on every input.
    Exact,
}

/// A translated pattern.
#[derive(Debug, Clone)]
pub(super) struct Emitted {
    /// Rust syntax.
    pub pattern: String,
    /// It needs `fancy-regex` (lookaround, back-references, atomic groups).
    pub backtracking: bool,
    /// It contains `$` or `\Z` without Multiline.
    pub end_z: bool,
    /// It contains `\b` or `\B`.
    pub boundary: bool,
}

/// Translates the tree to Rust syntax.
pub(super) fn emit(root: &Node, groups: &GroupTable, mode: Mode) -> Result<Emitted, RegexError> {
    let mut e = Emitter {
        mode,
        groups,
        out: String::new(),
        backtracking: false,
        end_z: false,
        boundary: false,
    };
    e.node(root)?;
    Ok(Emitted {
        pattern: e.out,
        backtracking: e.backtracking,
        end_z: e.end_z,
        boundary: e.boundary,
    })
}

struct Emitter<'a> {
    mode: Mode,
    groups: &'a GroupTable,
    out: String,
    backtracking: bool,
    end_z: bool,
    boundary: bool,
}

impl Emitter<'_> {
    fn node(&mut self, node: &Node) -> Result<(), RegexError> {
        match node {
            Node::Empty => self.out.push_str("(?:)"),
            Node::Literal { c, ci } => {
                if *ci && u32::from(*c) <= 0xFFFF {
                    self.out.push_str("(?i:");
                    push_char(&mut self.out, *c);
                    self.out.push(')');
                } else {
                    push_char(&mut self.out, *c);
                }
            }
            Node::Set(set) => push_set(&mut self.out, set),
            Node::Assert(a) => self.assertion(*a),
            // Group 0 is only captured once the whole match succeeds, so in .NET a
            // back-reference to it (`\k<0>`) never matches.
            Node::Backref { group: 0, .. } => self.out.push_str(r"[^\x{0}-\x{10FFFF}]"),
            Node::Backref { group, ci } => {
                let Some(index) = self.groups.rust_index(*group) else {
                    return Err(RegexError {
                        message: format!("internal error: back-reference to unknown group {group}"),
                        offset: None,
                        help: None,
                        too_large: false,
                    });
                };
                self.backtracking = true;
                let flag = if *ci { "i" } else { "" };
                let _ = write!(self.out, "(?{flag}:\\{index})");
            }
            Node::Group(kind, body) => {
                let open = match kind {
                    GroupKind::Capture(_) => "(",
                    GroupKind::NonCapture => "(?:",
                    GroupKind::Atomic => "(?>",
                    GroupKind::Look {
                        behind: false,
                        negated: false,
                    } => "(?=",
                    GroupKind::Look {
                        behind: false,
                        negated: true,
                    } => "(?!",
                    GroupKind::Look {
                        behind: true,
                        negated: false,
                    } => "(?<=",
                    GroupKind::Look {
                        behind: true,
                        negated: true,
                    } => "(?<!",
                };
                if matches!(kind, GroupKind::Atomic | GroupKind::Look { .. }) {
                    self.backtracking = true;
                }
                self.out.push_str(open);
                self.node(body)?;
                self.out.push(')');
            }
            Node::Concat(items) => self.concat(items)?,
            Node::Alt(branches) => {
                self.out.push_str("(?:");
                for (i, branch) in branches.iter().enumerate() {
                    if i > 0 {
                        self.out.push('|');
                    }
                    self.node(branch)?;
                }
                self.out.push(')');
            }
            Node::Repeat {
                node,
                min,
                max,
                lazy,
            } => {
                if node.zero_width() {
                    // Neither engine repeats an assertion; repeating one is the same as trying it
                    // once (or skipping it when the minimum is 0), which is what .NET does.
                    if *min == 0 {
                        self.out.push_str(if *lazy { "(?:|" } else { "(?:" });
                        self.node(node)?;
                        self.out.push_str(if *lazy { ")" } else { "|)" });
                    } else {
                        self.node(node)?;
                    }
                } else {
                    self.out.push_str("(?:");
                    self.node(node)?;
                    self.out.push(')');
                    let _ = match (min, max) {
                        (0, None) => write!(self.out, "*"),
                        (1, None) => write!(self.out, "+"),
                        (0, Some(1)) => write!(self.out, "?"),
                        (n, None) => write!(self.out, "{{{n},}}"),
                        (n, Some(m)) if n == m => write!(self.out, "{{{n}}}"),
                        (n, Some(m)) => write!(self.out, "{{{n},{m}}}"),
                    };
                    if *lazy {
                        self.out.push('?');
                    }
                }
            }
        }
        Ok(())
    }

    /// A sequence, with runs of case-insensitive literals under one `(?i:...)`.
    fn concat(&mut self, items: &[Node]) -> Result<(), RegexError> {
        let mut run = String::new();
        for item in items {
            match item {
                Node::Literal { c, ci: true } if u32::from(*c) <= 0xFFFF => push_char(&mut run, *c),
                _ => {
                    self.flush_run(&mut run);
                    self.node(item)?;
                }
            }
        }
        self.flush_run(&mut run);
        Ok(())
    }

    fn flush_run(&mut self, run: &mut String) {
        if !run.is_empty() {
            self.out.push_str("(?i:");
            self.out.push_str(run);
            self.out.push(')');
            run.clear();
        }
    }

    fn assertion(&mut self, a: Assertion) {
        let exact = self.mode == Mode::Exact;
        match a {
            Assertion::Start => self.out.push_str(r"\A"),
            Assertion::LineStart => self.out.push_str("(?m:^)"),
            Assertion::End => self.out.push_str(r"\z"),
            Assertion::LineEnd => self.out.push_str("(?m:$)"),
            Assertion::EndZ => {
                self.end_z = true;
                if exact {
                    self.backtracking = true;
                    self.out.push_str(r"(?=\x{A}?\z)");
                } else {
                    self.out.push_str(r"\z");
                }
            }
            Assertion::WordBoundary | Assertion::NotWordBoundary => {
                self.boundary = true;
                let not = a == Assertion::NotWordBoundary;
                if exact {
                    self.backtracking = true;
                    let w = NET_BOUNDARY_CLASS;
                    let _ = if not {
                        write!(self.out, "(?:(?<={w})(?={w})|(?<!{w})(?!{w}))")
                    } else {
                        write!(self.out, "(?:(?<={w})(?!{w})|(?<!{w})(?={w}))")
                    };
                } else {
                    self.out.push_str(if not { r"\B" } else { r"\b" });
                }
            }
        }
    }
}

/// A character outside a class.
fn push_char(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || c == '_' {
        out.push(c);
    } else {
        let _ = write!(out, "\\x{{{:X}}}", u32::from(c));
    }
}

/// A character set, case-folded when .NET folds it.
pub(super) fn push_set(out: &mut String, set: &CharSet) {
    if set.ci {
        out.push_str("(?i:");
        push_class(out, set);
        out.push(')');
    } else {
        push_class(out, set);
    }
}

/// A set as a bracketed class: negation first, then subtraction, as in .NET.
fn push_class(out: &mut String, set: &CharSet) {
    match &set.subtract {
        Some(sub) => {
            out.push('[');
            push_base(out, set);
            out.push_str("--");
            push_class(out, sub);
            out.push(']');
        }
        None => push_base(out, set),
    }
}

fn push_base(out: &mut String, set: &CharSet) {
    if set.items.is_empty() {
        out.push_str(if set.negated {
            r"[\x{0}-\x{10FFFF}]"
        } else {
            r"[^\x{0}-\x{10FFFF}]"
        });
        return;
    }
    out.push('[');
    if set.negated {
        out.push('^');
    }
    for item in &set.items {
        push_item(out, *item);
    }
    out.push(']');
}

fn push_item(out: &mut String, item: SetItem) {
    let (negated, items) = match item {
        SetItem::Range(a, b) => {
            push_char(out, a);
            if a != b {
                out.push('-');
                push_char(out, b);
            }
            return;
        }
        SetItem::Digit { negated } => (negated, r"\p{Nd}".to_string()),
        SetItem::Word { negated } => (negated, NET_WORD_ITEMS.to_string()),
        SetItem::Space { negated } => (negated, NET_SPACE_ITEMS.to_string()),
        SetItem::Category { names, negated } => (
            negated,
            names.iter().map(|n| format!(r"\p{{{n}}}")).collect(),
        ),
    };
    if negated {
        let _ = write!(out, "[^{items}]");
    } else {
        out.push_str(&items);
    }
}

/// How a pattern could treat characters outside the basic multilingual plane differently from
/// .NET, which sees each of them as two UTF-16 surrogates.
#[derive(Debug, Clone, Default)]
pub(super) struct AstralProfile {
    /// Some set could match a lone surrogate in .NET (`.`, negated classes, `\p{Cs}`...).
    pub surrogates: bool,
    /// Alternatives of a probe: the astral characters some set, boundary or case-insensitive
    /// back-reference would treat as a whole character in Rust.
    pub probes: Vec<String>,
    /// The pattern could match empty text between two surrogates, where .NET looks for a
    /// further match after an empty match just before an astral character.
    pub empty_between_surrogates: bool,
}

impl AstralProfile {
    fn probe(&mut self, class: &str, ci: bool) {
        let probe = if ci {
            format!("(?i:[{ASTRAL}&&{class}])")
        } else {
            format!("[{ASTRAL}&&{class}]")
        };
        if !self.probes.contains(&probe) {
            self.probes.push(probe);
        }
    }
}

/// Collects the pattern's [`AstralProfile`].
pub(super) fn astral_profile(root: &Node) -> AstralProfile {
    let mut profile = AstralProfile {
        empty_between_surrogates: root.empty_between_surrogates(),
        ..AstralProfile::default()
    };
    walk(root, true, &mut profile);
    profile
}

/// `tail`: nothing that consumes text or could hold between two surrogates follows the node
/// in a match.
fn walk(node: &Node, tail: bool, profile: &mut AstralProfile) {
    match node {
        Node::Empty | Node::Literal { .. } => {}
        Node::Set(set) => {
            if surrogate_capable(set) {
                profile.surrogates = true;
            }
            // Explicit ranges never reach past U+FFFF (the parser refuses astral characters in
            // classes), so only negations, shorthands and categories need a probe.
            let astral_members =
                set.negated || set.items.iter().any(|i| !matches!(i, SetItem::Range(..)));
            if astral_members {
                let mut class = String::new();
                push_class(&mut class, set);
                profile.probe(&class, set.ci);
            }
        }
        Node::Assert(Assertion::WordBoundary | Assertion::NotWordBoundary) => {
            profile.probe(NET_BOUNDARY_CLASS, false);
        }
        Node::Assert(_) => {}
        Node::Backref { ci, .. } => {
            if *ci {
                profile.probe(r"[\p{Lu}\p{Ll}\p{Lt}]", true);
            }
        }
        // A greedy `.*` or `[^x]+` that ends the match consumes whole characters in both
        // engines: .NET takes both surrogates of an astral character and can never stop
        // between them, as nothing after it could hold there.
        Node::Repeat {
            node: body,
            min,
            max: None,
            lazy: false,
        } if tail && *min <= 1 && matches!(&**body, Node::Set(set) if takes_whole_astral(set)) => {}
        Node::Group(GroupKind::Look { .. }, body) | Node::Repeat { node: body, .. } => {
            walk(body, false, profile);
        }
        Node::Group(_, body) => walk(body, tail, profile),
        Node::Alt(items) => items.iter().for_each(|n| walk(n, tail, profile)),
        Node::Concat(items) => {
            for (i, item) in items.iter().enumerate() {
                let rest_holds_only_on_boundaries = items.get(i + 1..).is_some_and(|rest| {
                    rest.iter()
                        .all(|n| matches!(n, Node::Assert(a) if *a != Assertion::NotWordBoundary))
                });
                walk(item, tail && rest_holds_only_on_boundaries, profile);
            }
        }
    }
}

/// Whether a set matches every astral character in Rust and every surrogate in .NET: a
/// negated class of explicit characters and ranges that leave the surrogates alone.
fn takes_whole_astral(set: &CharSet) -> bool {
    set.negated
        && set.subtract.is_none()
        && set.items.iter().all(|item| match *item {
            SetItem::Range(a, b) => u32::from(b) < 0xD800 || u32::from(a) > 0xDFFF,
            _ => false,
        })
}

/// Whether a .NET set could match a lone UTF-16 surrogate (conservatively).
fn surrogate_capable(set: &CharSet) -> bool {
    let has_surrogate_category = |names: &[&str]| names.iter().any(|n| *n == "Cs" || *n == "C");
    set.negated
        || set.items.iter().any(|item| match *item {
            SetItem::Range(a, b) => u32::from(a) <= 0xDFFF && u32::from(b) >= 0xD800,
            SetItem::Digit { negated } | SetItem::Word { negated } | SetItem::Space { negated } => {
                negated
            }
            SetItem::Category { names, negated } => negated != has_surrogate_category(names),
        })
}
