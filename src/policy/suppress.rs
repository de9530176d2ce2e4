//! Inline suppression of lint findings: `# roster: allow L004 -- reason` in a policy file.
//!
//! A suppression is a YAML comment whose text starts with `roster:`. Its scope
//! (`docs/decisions.md`, "Inline suppression"):
//!
//! - `# roster: allow CODE[, CODE...] -- reason` on a line of its own covers the next YAML node:
//!   a mapping entry (its key and its whole value), or a sequence item (the whole item);
//! - the same comment after content on a line covers the node that begins on that line (or the
//!   line alone when none begins there);
//! - `# roster: allow-file CODE[, CODE...] -- reason` covers the whole file, wherever it is.
//!
//! A finding is covered when it is in the same file and its primary span starts on one of the
//! lines of the covered node. Covered findings are not dropped: they move to
//! [`Suppressed`], which every output format reports (a count for people, the reason in JSON
//! and SARIF). Only lint findings (`L` codes) can be suppressed, and not all of them: errors
//! and warnings of the other stages say that the policy is wrong or read differently from how
//! it runs, and `L030` (hidden control characters) guards the very text a suppression is
//! written in. The suppressions are checked too: a missing reason (`L065`, the suppression
//! still applies), an unknown code (`L066`), a code that cannot be suppressed (`L067`), a
//! suppression that covers no finding (`L068`), and a `roster:` comment that is not a
//! directive (`L069`). None of those can be suppressed.
//!
//! Comments are found in the text, outside every scalar the YAML parser reports, so that
//! `# roster: allow ...` inside a quoted or block string is text, not a directive.

use serde_saphyr::granit_parser::{Event, Parser, StructureStyle};

use crate::codes::{self, Code};
use crate::diagnostics::{Diagnostic, FileId, SourceMap, Span, did_you_mean};

/// A finding that a suppression comment covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    /// The finding, as it would have been reported.
    pub diagnostic: Diagnostic,
    /// The reason written after `--` (empty when none was given, which is itself reported).
    pub reason: String,
    /// The suppression comment (in the finding's file).
    pub directive: Span,
}

/// Whether findings with this code may be suppressed in source.
pub fn is_suppressible(code: Code) -> bool {
    code.as_str().starts_with('L')
        && !matches!(
            code,
            Code::HiddenControl
                | Code::SuppressionWithoutReason
                | Code::SuppressionUnknownCode
                | Code::SuppressionNotAllowed
                | Code::UnusedSuppression
                | Code::MalformedDirective
        )
}

/// One parsed `allow` directive.
#[derive(Debug)]
struct Directive {
    file: FileId,
    /// The whole comment.
    comment: Span,
    /// The codes it names (known and suppressible), each with the span of its token.
    codes: Vec<(Code, Span, bool)>,
    reason: String,
    /// The covered lines (1-based, inclusive); `None` for the whole file.
    lines: Option<(usize, usize)>,
}

/// Applies the suppression comments of every file in `sources` to `diagnostics`: covered
/// findings move out of `diagnostics` into the result, and problems with the comments
/// themselves are added to `diagnostics`. `report_unused` is false when some lint rules did not
/// run (the policy set has errors), so that a suppression is not called unused for that.
pub fn apply(
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
    report_unused: bool,
) -> Vec<Suppressed> {
    let mut directives = Vec::new();
    let mut problems = Vec::new();
    for (file, _, text) in sources.iter() {
        if !text.contains("roster:") {
            continue;
        }
        scan_file(file, text, &mut directives, &mut problems);
    }
    let mut suppressed = Vec::new();
    if !directives.is_empty() {
        // Line starts of the files that have directives, to place findings by line.
        let mut lines: std::collections::HashMap<FileId, Vec<usize>> =
            std::collections::HashMap::new();
        for dir in &directives {
            lines.entry(dir.file).or_insert_with(|| {
                sources
                    .get(dir.file)
                    .map(|(_, text)| line_starts(text))
                    .unwrap_or_default()
            });
        }
        // The directives naming each code in each file.
        let mut naming: std::collections::HashMap<(FileId, Code), Vec<(usize, usize)>> =
            std::collections::HashMap::new();
        for (i, dir) in directives.iter().enumerate() {
            for (k, (code, _, _)) in dir.codes.iter().enumerate() {
                naming.entry((dir.file, *code)).or_default().push((i, k));
            }
        }
        let mut kept = Vec::with_capacity(diagnostics.len());
        for d in diagnostics.drain(..) {
            let (Some(starts), Some(candidates)) = (
                lines.get(&d.file).filter(|_| is_suppressible(d.code)),
                naming.get(&(d.file, d.code)),
            ) else {
                kept.push(d);
                continue;
            };
            let line = line_at(starts, d.span.start);
            // The narrowest covering directive gives the reason; every covering one is used.
            let mut best: Option<(usize, usize)> = None;
            for &(i, k) in candidates {
                let Some(dir) = directives.get_mut(i) else {
                    continue;
                };
                let width = match dir.lines {
                    None => usize::MAX,
                    Some((from, to)) if (from..=to).contains(&line) => to - from,
                    Some(_) => continue,
                };
                if let Some((_, _, used)) = dir.codes.get_mut(k) {
                    *used = true;
                }
                if best.is_none_or(|(w, _)| width < w) {
                    best = Some((width, i));
                }
            }
            match best.and_then(|(_, i)| directives.get(i)) {
                Some(dir) => suppressed.push(Suppressed {
                    diagnostic: d,
                    reason: dir.reason.clone(),
                    directive: dir.comment,
                }),
                None => kept.push(d),
            }
        }
        *diagnostics = kept;
    }
    if report_unused {
        for dir in &directives {
            for (code, span, used) in &dir.codes {
                if !used {
                    let mut d = Diagnostic::new(
                        Code::UnusedSuppression,
                        *span,
                        format!(
                            "this suppression of `{}` covers no finding",
                            code.as_str()
                        ),
                    )
                    .with_help(match dir.lines {
                        None => "nothing in this file has that finding any more; remove the code from the comment (or the comment)".to_string(),
                        Some(_) => "the node after this comment (or on its line) has no such finding; remove the code from the comment, or move the comment above the node that has it".to_string(),
                    });
                    d.file = dir.file;
                    problems.push(d);
                }
            }
        }
    }
    diagnostics.extend(problems);
    suppressed
}

/// The byte offset where each line of `text` starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The 1-based line of byte `offset`, given the line starts.
fn line_at(starts: &[usize], offset: usize) -> usize {
    starts.partition_point(|&s| s <= offset).max(1)
}

/// Where a node sits in its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The document's root, or anything under a parse failure.
    Root,
    /// An item of a sequence.
    Item,
    /// A key of a mapping; the entry runs to the end of its value.
    Key,
    /// A value of a mapping.
    Value,
}

/// A node of the file: where it starts and ends, and its role. For a key, `end` is the end of
/// the entry (its value's end).
#[derive(Debug, Clone, Copy)]
struct Node {
    start: usize,
    end: usize,
    role: Role,
    /// A block sequence: it starts at the `-` of its first item and stands for the whole
    /// list, so a comment above that item means the item, not the list.
    block_sequence: bool,
}

/// An open collection while the events are read.
struct Frame {
    /// Index into the node list.
    node: usize,
    mapping: bool,
    /// Children seen so far.
    children: usize,
    /// The key of the entry whose value is being read (a mapping only).
    key: Option<usize>,
}

/// The nodes of a YAML text and the spans of its scalars; `None` when the text does not parse
/// (its directives are then ignored: the file has a `Y` error that says why).
fn nodes_of(text: &str) -> Option<(Vec<Node>, Vec<Span>)> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut scalars: Vec<Span> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.ok()?;
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start).max(start);
        let is_leaf = matches!(
            event,
            Event::Scalar(..) | Event::Alias(..) | Event::UnresolvedAlias(..)
        );
        let opens = matches!(event, Event::MappingStart(..) | Event::SequenceStart(..));
        if is_leaf || opens {
            if matches!(event, Event::Scalar(..)) {
                scalars.push(Span::new(start, end));
            }
            let role = match stack.last() {
                None => Role::Root,
                Some(f) if !f.mapping => Role::Item,
                Some(f) if f.children % 2 == 0 => Role::Key,
                Some(_) => Role::Value,
            };
            let index = nodes.len();
            nodes.push(Node {
                start,
                end: if is_leaf { end } else { start },
                role,
                block_sequence: matches!(event, Event::SequenceStart(StructureStyle::Block, ..)),
            });
            if let Some(f) = stack.last_mut() {
                f.children += 1;
                if f.mapping && role == Role::Key {
                    f.key = Some(index);
                }
            }
            if opens {
                stack.push(Frame {
                    node: index,
                    mapping: matches!(event, Event::MappingStart(..)),
                    children: 0,
                    key: None,
                });
            } else {
                finish(&mut nodes, &stack, index);
            }
        } else if matches!(event, Event::MappingEnd | Event::SequenceEnd)
            && let Some(frame) = stack.pop()
        {
            finish(&mut nodes, &stack, frame.node);
        }
    }
    nodes.sort_by_key(|n| n.start);
    scalars.sort_by_key(|s| s.start);
    Some((nodes, scalars))
}

/// A node is complete: its end extends its parent, and the entry of its key when it is a
/// value.
fn finish(nodes: &mut [Node], stack: &[Frame], index: usize) {
    let Some(end) = nodes.get(index).map(|n| n.end) else {
        return;
    };
    let role = nodes.get(index).map(|n| n.role);
    if let Some(parent) = stack.last() {
        if role == Some(Role::Value)
            && let Some(key) = parent.key.and_then(|k| nodes.get_mut(k))
        {
            key.end = key.end.max(end);
        }
        if let Some(p) = nodes.get_mut(parent.node) {
            p.end = p.end.max(end);
        }
    }
}

/// The range the node that begins at or after `from` (and, when `before` is given, before
/// it) covers: of the nodes that begin first (block sequences aside), a sequence item, else a
/// mapping entry, else the largest.
fn target(nodes: &[Node], from: usize, before: Option<usize>) -> Option<(usize, usize)> {
    // `nodes` is sorted by start ([`nodes_of`]).
    let first = nodes.partition_point(|n| n.start < from);
    let start = nodes
        .get(first..)?
        .iter()
        .find(|n| !n.block_sequence)?
        .start;
    if before.is_some_and(|e| start >= e) {
        return None;
    }
    let at: Vec<&Node> = nodes
        .get(first..)?
        .iter()
        .take_while(|n| n.start == start || n.block_sequence)
        .filter(|n| n.start == start && !n.block_sequence)
        .collect();
    let pick = at
        .iter()
        .find(|n| n.role == Role::Item)
        .or_else(|| at.iter().find(|n| n.role == Role::Key))
        .or_else(|| at.iter().max_by_key(|n| n.end))?;
    Some((pick.start, pick.end.max(pick.start)))
}

/// Finds the `roster:` comments of one file.
fn scan_file(
    file: FileId,
    text: &str,
    directives: &mut Vec<Directive>,
    problems: &mut Vec<Diagnostic>,
) {
    let Some((nodes, scalars)) = nodes_of(text) else {
        return;
    };
    let starts = line_starts(text);
    // Scalars come in document order and do not overlap: the one that may hold `at` is the
    // last that starts at or before it.
    let inside_scalar = |at: usize| {
        let i = scalars.partition_point(|s| s.start <= at);
        i.checked_sub(1)
            .and_then(|i| scalars.get(i))
            .is_some_and(|s| at < s.end)
    };
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let Some(hash) = comment_start(line, |i| inside_scalar(line_start + i)) else {
            continue;
        };
        let body = line
            .get(hash + 1..)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r']);
        let Some(rest) = body.trim_start().strip_prefix("roster:") else {
            continue;
        };
        let comment = Span::new(line_start + hash, line_start + hash + 1 + body.len());
        let rest_at = comment.end - rest.len();
        let own_line = line.get(..hash).is_some_and(|b| b.trim().is_empty());
        let line_end = line_start + line.trim_end_matches(['\n', '\r']).len();
        let Some(mut directive) = parse(file, rest, rest_at, comment, problems) else {
            continue;
        };
        if directive.lines.is_some() {
            let range = if own_line {
                target(&nodes, line_end, None)
            } else {
                target(&nodes, line_start, Some(line_start + hash))
                    .or(Some((line_start, line_start)))
            };
            directive.lines = range.map(|(s, e)| {
                let first = line_at(&starts, s);
                let last = line_at(&starts, if e > s { e - 1 } else { s });
                (first, last.max(first))
            });
            if directive.lines.is_none() {
                // Nothing follows: covers nothing, so every code is reported unused.
                directive.lines = Some((0, 0));
            }
        }
        directives.push(directive);
    }
}

/// The byte index of the `#` that starts a comment on `line`, if any: at the start of the
/// line or after a space or tab, and not inside a scalar.
fn comment_start(line: &str, in_scalar: impl Fn(usize) -> bool) -> Option<usize> {
    let bytes = line.as_bytes();
    bytes.iter().enumerate().find_map(|(i, &b)| {
        let after_space = i == 0 || matches!(bytes.get(i - 1), Some(b' ' | b'\t'));
        (b == b'#' && after_space && !in_scalar(i)).then_some(i)
    })
}

/// Parses the text after `roster:` (at byte `at` of the file).
fn parse(
    file: FileId,
    rest: &str,
    at: usize,
    comment: Span,
    problems: &mut Vec<Diagnostic>,
) -> Option<Directive> {
    let mut push = |d: Diagnostic| {
        let mut d = d;
        d.file = file;
        problems.push(d);
    };
    let trimmed = rest.trim_start();
    let lead = rest.len() - trimmed.len();
    let word_len = trimmed
        .find(|c: char| c.is_whitespace())
        .unwrap_or(trimmed.len());
    let word = trimmed.get(..word_len).unwrap_or("");
    let whole_file = match word {
        "allow" => false,
        "allow-file" => true,
        _ => {
            let known = ["allow", "allow-file"];
            let help = match did_you_mean(word, known) {
                Some(s) if !word.is_empty() => format!(
                    "did you mean `{s}`? a comment starting with `roster:` is a directive: `# roster: allow L004 -- reason` (the next node) or `# roster: allow-file L004 -- reason` (the whole file)"
                ),
                _ => "a comment starting with `roster:` is a directive: `# roster: allow L004 -- reason` (the next node) or `# roster: allow-file L004 -- reason` (the whole file)".to_string(),
            };
            push(
                Diagnostic::new(
                    Code::MalformedDirective,
                    comment,
                    format!("`{}` is not a roster directive", clip(word)),
                )
                .with_help(help),
            );
            return None;
        }
    };
    let after_word = at + lead + word_len;
    let tail = trimmed.get(word_len..).unwrap_or("");
    let (list, reason) = match tail.find("--") {
        Some(i) => (
            tail.get(..i).unwrap_or(""),
            tail.get(i + 2..).unwrap_or("").trim(),
        ),
        None => (tail, ""),
    };
    let mut codes = Vec::new();
    let mut pos = 0usize;
    for token in list.split(|c: char| c == ',' || c.is_whitespace()) {
        let token_at = after_word + pos;
        pos += token.len() + 1;
        if token.is_empty() {
            continue;
        }
        let span = Span::new(token_at, token_at + token.len());
        let upper = token.to_ascii_uppercase();
        match codes::ALL.iter().find(|i| i.code.as_str() == upper) {
            Some(info) if is_suppressible(info.code) => codes.push((info.code, span, false)),
            Some(info) => push(
                Diagnostic::new(
                    Code::SuppressionNotAllowed,
                    span,
                    format!("`{}` cannot be suppressed", info.code.as_str()),
                )
                .with_help(not_allowed_help(info.code)),
            ),
            None => {
                let help = did_you_mean(&upper, codes::ALL.iter().map(|i| i.code.as_str()))
                    .map_or_else(
                        || "`roster codes` lists every code; only lint codes (`L0nn`) can be suppressed".to_string(),
                        |s| format!("did you mean `{s}`?"),
                    );
                push(
                    Diagnostic::new(
                        Code::SuppressionUnknownCode,
                        span,
                        format!("`{}` is not a diagnostic code", clip(token)),
                    )
                    .with_help(help),
                );
            }
        }
    }
    if codes.is_empty() && list.trim().is_empty() {
        push(
            Diagnostic::new(
                Code::MalformedDirective,
                comment,
                format!("`roster: {word}` names no code"),
            )
            .with_help("name the lint codes to allow, then the reason: `# roster: allow L004 -- the pattern is anchored`"),
        );
        return None;
    }
    if reason.is_empty() && !codes.is_empty() {
        push(
            Diagnostic::new(
                Code::SuppressionWithoutReason,
                comment,
                "this suppression gives no reason",
            )
            .with_help("say why the finding does not apply after `--`: `# roster: allow L004 -- the input is at most 64 characters`; the suppression applies meanwhile"),
        );
    }
    if codes.is_empty() {
        return None;
    }
    Some(Directive {
        file,
        comment,
        codes,
        reason: reason.to_string(),
        lines: if whole_file { None } else { Some((0, 0)) },
    })
}

fn not_allowed_help(code: Code) -> String {
    if code == Code::HiddenControl {
        "a hidden control character makes the file read differently from how it runs, the suppression comment included; write it as an escape in a double-quoted string (`\"\\u202E\"`) instead".to_string()
    } else if code.as_str().starts_with('L') {
        "findings about suppressions themselves cannot be suppressed; fix the comment instead"
            .to_string()
    } else {
        format!(
            "only lint findings (`L0nn`) can be suppressed; `{}` says the policy is wrong as written, so fix it (`roster codes {}` explains it)",
            code.as_str(),
            code.as_str()
        )
    }
}

/// A token for a message: at most 40 characters.
fn clip(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", s.get(..i).unwrap_or("")),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, diags: Vec<Diagnostic>) -> (Vec<Diagnostic>, Vec<Suppressed>) {
        let mut sources = SourceMap::new();
        sources.add("policy.yaml", text);
        let mut diags = diags;
        let s = apply(&sources, &mut diags, true);
        (diags, s)
    }

    fn at(text: &str, needle: &str, code: Code) -> Diagnostic {
        let start = text.find(needle).unwrap();
        Diagnostic::new(code, Span::new(start, start + needle.len()), "x")
    }

    const GROUPS: &str =
        "groups:\n  # roster: allow L004 -- anchored input\n  a:\n    rule: A\n  b:\n    rule: B\n";

    #[test]
    fn an_own_line_comment_covers_the_next_entry_only() {
        let d = vec![
            at(GROUPS, "A", Code::BacktrackingPattern),
            at(GROUPS, "B", Code::BacktrackingPattern),
        ];
        let (left, s) = run(GROUPS, d);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].reason, "anchored input");
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].span.start, GROUPS.find('B').unwrap());
    }

    #[test]
    fn a_sequence_item_is_covered_whole() {
        let text = "items:\n  # roster: allow L003 -- why\n  - name: a\n    rule: X\n  - name: b\n    rule: Y\n";
        let (left, s) = run(
            text,
            vec![
                at(text, "X", Code::ConstantRule),
                at(text, "Y", Code::ConstantRule),
            ],
        );
        assert_eq!((s.len(), left.len()), (1, 1));
        let text = "items:\n  - name: a  # roster: allow L003 -- why\n    rule: X\n  - name: b\n    rule: Y\n";
        let (left, s) = run(
            text,
            vec![
                at(text, "X", Code::ConstantRule),
                at(text, "Y", Code::ConstantRule),
            ],
        );
        assert_eq!((s.len(), left.len()), (1, 1));
    }

    #[test]
    fn a_comment_inside_a_string_is_not_a_directive() {
        for text in [
            "a:\n  rule: \"x # roster: allow L004 -- no\"\n",
            "a:\n  rule: 'x # roster: allow L004 -- no'\n",
            "a:\n  rule: |\n    x\n    # roster: allow L004 -- no\n  b: 1\n",
            "a:\n  rule: >-\n    # roster: allow L004 -- no\n    x\n",
        ] {
            let (left, s) = run(text, vec![at(text, "x", Code::BacktrackingPattern)]);
            assert!(s.is_empty(), "{text}");
            assert_eq!(left.len(), 1, "{text}: {left:?}");
        }
    }

    #[test]
    fn problems_with_directives() {
        let text = "# roster: allow L004\n# roster: allow L999 -- x\n# roster: allow C201 -- x\n# roster: alow L004 -- x\n# roster: allow L030 -- x\na:\n  rule: x\n";
        let (left, s) = run(text, vec![at(text, "rule: x", Code::BacktrackingPattern)]);
        assert_eq!(s.len(), 1);
        let codes: Vec<_> = left.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            [
                Code::SuppressionWithoutReason,
                Code::SuppressionUnknownCode,
                Code::SuppressionNotAllowed,
                Code::MalformedDirective,
                Code::SuppressionNotAllowed,
            ]
        );
    }

    #[test]
    fn unused_and_file_wide() {
        let text = "# roster: allow-file L004 -- whole file\na:\n  # roster: allow L003 -- nothing here\n  rule: x\nb: y\n";
        let (left, s) = run(
            text,
            vec![
                at(text, "x", Code::BacktrackingPattern),
                at(text, "y", Code::BacktrackingPattern),
            ],
        );
        assert_eq!(s.len(), 2);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].code, Code::UnusedSuppression);
        assert_eq!(&text[left[0].span.start..left[0].span.end], "L003");
    }

    #[test]
    fn errors_are_never_suppressed() {
        let text = "# roster: allow-file L004 -- x\na: x\n";
        let (left, s) = run(
            text,
            vec![
                at(text, "a: x", Code::UnknownProperty),
                at(text, "a: x", Code::BacktrackingPattern),
            ],
        );
        assert_eq!(s.len(), 1);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].code, Code::UnknownProperty);
    }
}
