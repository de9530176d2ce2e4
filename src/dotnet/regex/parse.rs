//! Parser for .NET regular-expression syntax.
//!
//! It takes the same decisions as .NET's own parser, construct by construct, so a pattern is
//! read the way Entra reads it: which `{` is a quantifier and which is a literal, which `\1` is
//! a back-reference and which an octal escape, how groups are numbered (unnamed groups first,
//! then named ones), how far `(?i)` reaches, what `-` means inside a class. The result is a small
//! syntax tree that [`super::emit`] turns into Rust syntax, or an error for what .NET rejects
//! and for what roster cannot reproduce.
//!
//! Like .NET, the parser runs twice: the first pass only collects the capture groups (a
//! back-reference may name a group defined later in the pattern), the second builds the tree.

use std::collections::BTreeSet;

use unicode_general_category::{GeneralCategory, get_general_category};

use super::RegexError;

/// Deepest nesting of groups and class subtractions accepted; deeper patterns are refused
/// rather than risking the stack.
const MAX_DEPTH: usize = 100;

/// .NET numbers (quantifier bounds, group numbers) are `int`s.
const NET_INT_MAX: u32 = 0x7FFF_FFFF;

/// The Unicode general categories .NET accepts in `\p{...}`, spelled exactly as .NET does
/// (the names are case-sensitive there). Rust's regex syntax accepts the same abbreviations.
const CATEGORIES: &[&str] = &[
    "Cc", "Cf", "Cn", "Co", "Cs", "C", "Ll", "Lm", "Lo", "Lt", "Lu", "L", "Mc", "Me", "Mn", "M",
    "Nd", "Nl", "No", "N", "Pc", "Pd", "Pe", "Po", "Ps", "Pf", "Pi", "P", "Sc", "Sk", "Sm", "So",
    "S", "Zl", "Zp", "Zs", "Z",
];

/// Under IgnoreCase, .NET reads `\p{Lu}`, `\p{Ll}` and `\p{Lt}` as all three together.
const CASED_LETTERS: &[&str] = &["Lu", "Ll", "Lt"];

/// The inline options in force at a point of the pattern.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Flags {
    /// `i`: IgnoreCase.
    i: bool,
    /// `m`: Multiline (`^` and `$` at line breaks).
    m: bool,
    /// `n`: ExplicitCapture (unnamed groups do not capture).
    n: bool,
    /// `s`: Singleline (`.` matches `\n`).
    s: bool,
    /// `x`: IgnorePatternWhitespace.
    x: bool,
}

/// A parsed .NET pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Node {
    /// Matches the empty string.
    Empty,
    /// One character; `ci` when it matches its case equivalents too.
    Literal { c: char, ci: bool },
    /// One character out of a set: a class, a shorthand such as `\d`, or `.`.
    Set(CharSet),
    /// A zero-width assertion.
    Assert(Assertion),
    /// A back-reference to the group with this .NET number.
    Backref { group: u32, ci: bool },
    /// A parenthesised group.
    Group(GroupKind, Box<Node>),
    /// A sequence.
    Concat(Vec<Node>),
    /// An alternation, tried left to right.
    Alt(Vec<Node>),
    /// A quantified item; `max` is `None` when unbounded.
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        lazy: bool,
    },
}

/// The zero-width assertions .NET has and roster supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Assertion {
    /// `\A`, or `^` without Multiline.
    Start,
    /// `^` with Multiline.
    LineStart,
    /// `\z`.
    End,
    /// `\Z`, or `$` without Multiline: the end, or before a final `\n`.
    EndZ,
    /// `$` with Multiline.
    LineEnd,
    /// `\b`.
    WordBoundary,
    /// `\B`.
    NotWordBoundary,
}

/// What a group does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GroupKind {
    /// A capturing group, with its .NET group number.
    Capture(u32),
    /// `(?:...)`, or an unnamed group under ExplicitCapture.
    NonCapture,
    /// `(?>...)`.
    Atomic,
    /// `(?=...)`, `(?!...)`, `(?<=...)`, `(?<!...)`.
    Look { behind: bool, negated: bool },
}

/// A character set: .NET applies the negation first, then the subtraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CharSet {
    /// `[^...]`.
    pub negated: bool,
    /// The members before negation.
    pub items: Vec<SetItem>,
    /// `-[...]`: characters taken out after negation.
    pub subtract: Option<Box<CharSet>>,
    /// The characters and ranges also match their case equivalents.
    pub ci: bool,
}

/// One member of a character set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SetItem {
    /// A range of characters (a single character when both ends are equal).
    Range(char, char),
    /// `\d` (`negated`: `\D`): Unicode decimal digits.
    Digit { negated: bool },
    /// `\w` (`negated`: `\W`): .NET's word characters, `[\p{L}\p{Mn}\p{Nd}\p{Pc}]`.
    Word { negated: bool },
    /// `\s` (`negated`: `\S`): .NET's white space (`char.IsWhiteSpace`).
    Space { negated: bool },
    /// `\p{...}` (`negated`: `\P{...}`): the union of these general categories.
    Category {
        names: &'static [&'static str],
        negated: bool,
    },
}

impl CharSet {
    fn of(item: SetItem) -> CharSet {
        CharSet {
            negated: false,
            items: vec![item],
            subtract: None,
            ci: false,
        }
    }

    /// `.`: anything but `\n`, or anything at all under Singleline.
    fn dot(singleline: bool) -> CharSet {
        if singleline {
            CharSet {
                negated: true,
                items: Vec::new(),
                subtract: None,
                ci: false,
            }
        } else {
            CharSet {
                negated: true,
                items: vec![SetItem::Range('\n', '\n')],
                subtract: None,
                ci: false,
            }
        }
    }
}

impl Node {
    /// Whether the node can only ever match the empty string.
    pub(super) fn zero_width(&self) -> bool {
        match self {
            Node::Empty | Node::Assert(_) | Node::Group(GroupKind::Look { .. }, _) => true,
            Node::Group(_, body) | Node::Repeat { node: body, .. } => body.zero_width(),
            Node::Concat(items) | Node::Alt(items) => items.iter().all(Node::zero_width),
            Node::Literal { .. } | Node::Set(_) | Node::Backref { .. } => false,
        }
    }

    /// Whether the node can match the empty string (a back-reference can, if its group
    /// captured nothing).
    fn nullable(&self) -> bool {
        match self {
            Node::Empty
            | Node::Assert(_)
            | Node::Backref { .. }
            | Node::Group(GroupKind::Look { .. }, _) => true,
            Node::Literal { .. } | Node::Set(_) => false,
            Node::Group(_, body) => body.nullable(),
            Node::Repeat { node, min, .. } => *min == 0 || node.nullable(),
            Node::Concat(items) => items.iter().all(Node::nullable),
            Node::Alt(items) => items.iter().any(Node::nullable),
        }
    }

    /// Whether the node could match empty text between the two UTF-16 surrogates of a
    /// character outside the basic multilingual plane, where .NET resumes searching after an
    /// empty match (conservatively; anchors and `\b` cannot hold there, `\B` can).
    pub(super) fn empty_between_surrogates(&self) -> bool {
        match self {
            Node::Empty | Node::Backref { .. } | Node::Group(GroupKind::Look { .. }, _) => true,
            Node::Assert(a) => *a == Assertion::NotWordBoundary,
            Node::Literal { .. } | Node::Set(_) => false,
            Node::Group(_, body) => body.empty_between_surrogates(),
            Node::Repeat { node, min, .. } => *min == 0 || node.empty_between_surrogates(),
            Node::Concat(items) => items.iter().all(Node::empty_between_surrogates),
            Node::Alt(items) => items.iter().any(Node::empty_between_surrogates),
        }
    }

    /// Whether the node contains a capturing group.
    fn has_capture(&self) -> bool {
        match self {
            Node::Group(GroupKind::Capture(_), _) => true,
            Node::Group(_, body) | Node::Repeat { node: body, .. } => body.has_capture(),
            Node::Concat(items) | Node::Alt(items) => items.iter().any(Node::has_capture),
            Node::Empty
            | Node::Assert(_)
            | Node::Backref { .. }
            | Node::Literal { .. }
            | Node::Set(_) => false,
        }
    }

    /// Whether a backtracking matcher might try an empty path of the node before a non-empty
    /// one (conservatively): a lazy repetition, or an alternative that can match empty before
    /// a later alternative.
    fn empty_first(&self) -> bool {
        match self {
            Node::Empty
            | Node::Assert(_)
            | Node::Backref { .. }
            | Node::Literal { .. }
            | Node::Set(_) => false,
            Node::Group(GroupKind::Look { .. }, _) => false,
            Node::Group(_, body) => body.empty_first(),
            Node::Repeat {
                node, min, lazy, ..
            } => {
                (*lazy && !node.zero_width() && (*min == 0 || node.nullable()))
                    || node.empty_first()
            }
            Node::Concat(items) => items.iter().any(Node::empty_first),
            Node::Alt(items) => {
                items.iter().any(Node::empty_first)
                    || items
                        .split_last()
                        .is_some_and(|(_, init)| init.iter().any(Node::nullable))
            }
        }
    }
}

/// The capture groups of a pattern: their .NET numbers, names and order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct GroupTable {
    /// The .NET number of each capturing group, in the order of their opening parentheses,
    /// which is also their Rust group index minus one.
    pub rust_to_net: Vec<u32>,
    /// Named groups and their numbers, in order of first appearance.
    pub names: Vec<(String, u32)>,
}

impl GroupTable {
    /// Whether `n` is a group number of the pattern (0 is the whole match).
    pub fn is_slot(&self, n: u32) -> bool {
        n == 0 || self.rust_to_net.contains(&n)
    }

    /// The Rust group index holding .NET group `n`.
    pub fn rust_index(&self, n: u32) -> Option<usize> {
        if n == 0 {
            return Some(0);
        }
        self.rust_to_net.iter().position(|&g| g == n).map(|i| i + 1)
    }

    /// The number of the named group `name`.
    pub fn by_name(&self, name: &str) -> Option<u32> {
        self.names.iter().find(|(n, _)| n == name).map(|&(_, g)| g)
    }

    /// The highest group number (0 when the pattern has no groups).
    pub fn max_number(&self) -> u32 {
        self.rust_to_net.iter().copied().max().unwrap_or(0)
    }

    /// Resolves a group given by name the way .NET's `Groups[string]` does: when the pattern
    /// has named groups or gaps in its numbering, the key must be a name or the canonical
    /// decimal number of an unnamed or explicitly numbered group; otherwise any decimal
    /// spelling of an existing number works.
    pub fn lookup(&self, key: &str) -> Option<u32> {
        if let Some(n) = self.by_name(key) {
            return Some(n);
        }
        let digits = !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit());
        if !digits {
            return None;
        }
        let sparse = usize::try_from(self.max_number()).is_ok_and(|m| m != self.rust_to_net.len());
        if self.names.is_empty() && !sparse {
            let n = key.trim_start_matches('0');
            let n: u32 = if n.is_empty() { 0 } else { n.parse().ok()? };
            return self.is_slot(n).then_some(n);
        }
        let n: u32 = key.parse().ok()?;
        let named = self.names.iter().any(|&(_, g)| g == n);
        (self.is_slot(n) && !named && n.to_string() == key).then_some(n)
    }
}

/// A parsed pattern and its groups.
#[derive(Debug, Clone)]
pub(super) struct Parsed {
    pub root: Node,
    pub groups: GroupTable,
}

/// Parses a .NET pattern; `ignore_case` is RegexOptions.IgnoreCase.
pub(super) fn parse(pattern: &str, ignore_case: bool) -> Result<Parsed, RegexError> {
    let mut prescan = Parser::new(pattern, ignore_case, None);
    prescan.parse_root()?;
    let numbering = Numbering::assign(&prescan.decls);
    let mut parser = Parser::new(pattern, ignore_case, Some(&numbering));
    let root = parser.parse_root()?;
    let groups = GroupTable {
        rust_to_net: parser.rust_to_net,
        names: numbering.names,
    };
    Ok(Parsed { root, groups })
}

/// Whether .NET counts `c` as a word character in names and escapes
/// (`RegexCharClass.IsBoundaryWordChar`): letters, non-spacing marks, decimal digits,
/// connector punctuation, ZWNJ and ZWJ. Characters outside the BMP are two UTF-16 surrogates
/// in .NET, which are never word characters.
pub(super) fn is_net_word_char(c: char) -> bool {
    if u32::from(c) > 0xFFFF {
        return false;
    }
    if c == '\u{200C}' || c == '\u{200D}' {
        return true;
    }
    matches!(
        get_general_category(c),
        GeneralCategory::UppercaseLetter
            | GeneralCategory::LowercaseLetter
            | GeneralCategory::TitlecaseLetter
            | GeneralCategory::ModifierLetter
            | GeneralCategory::OtherLetter
            | GeneralCategory::NonspacingMark
            | GeneralCategory::DecimalNumber
            | GeneralCategory::ConnectorPunctuation
    )
}

/// How a capture group was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decl {
    /// `(...)`.
    Auto,
    /// `(?<5>...)`.
    Number(u32),
    /// `(?<name>...)`.
    Name(String),
}

/// Group numbers as .NET assigns them: unnamed groups 1, 2, ... in order; explicit numbers as
/// written; then each distinct name, in order of first appearance, takes the next free number.
#[derive(Debug, Clone, Default)]
struct Numbering {
    used: BTreeSet<u32>,
    names: Vec<(String, u32)>,
}

impl Numbering {
    fn assign(decls: &[Decl]) -> Numbering {
        let mut used = BTreeSet::from([0]);
        let mut auto: u32 = 1;
        for decl in decls {
            match decl {
                Decl::Auto => {
                    used.insert(auto);
                    auto = auto.saturating_add(1);
                }
                Decl::Number(n) => {
                    used.insert(*n);
                }
                Decl::Name(_) => {}
            }
        }
        let mut names: Vec<(String, u32)> = Vec::new();
        for decl in decls {
            if let Decl::Name(name) = decl {
                if names.iter().any(|(n, _)| n == name) {
                    continue;
                }
                while used.contains(&auto) {
                    auto = auto.saturating_add(1);
                }
                used.insert(auto);
                names.push((name.clone(), auto));
                auto = auto.saturating_add(1);
            }
        }
        Numbering { used, names }
    }
}

struct Parser<'a> {
    src: &'a str,
    chars: Vec<char>,
    /// Byte offset of each character, plus the length of the pattern at the end.
    offs: Vec<usize>,
    pos: usize,
    flags: Flags,
    /// `None` during the first pass, which only collects `decls`.
    numbering: Option<&'a Numbering>,
    decls: Vec<Decl>,
    rust_to_net: Vec<u32>,
    next_auto: u32,
    /// How many lookbehinds enclose the current position.
    lookbehind: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, ignore_case: bool, numbering: Option<&'a Numbering>) -> Parser<'a> {
        let mut chars = Vec::with_capacity(src.len());
        let mut offs = Vec::with_capacity(src.len() + 1);
        for (i, c) in src.char_indices() {
            chars.push(c);
            offs.push(i);
        }
        offs.push(src.len());
        Parser {
            src,
            chars,
            offs,
            pos: 0,
            flags: Flags {
                i: ignore_case,
                ..Flags::default()
            },
            numbering,
            decls: Vec::new(),
            rust_to_net: Vec::new(),
            next_auto: 1,
            lookbehind: 0,
            depth: 0,
        }
    }

    fn prescan(&self) -> bool {
        self.numbering.is_none()
    }

    fn len(&self) -> usize {
        self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn off(&self, at: usize) -> usize {
        self.offs.get(at).copied().unwrap_or(self.src.len())
    }

    /// The pattern text between two character positions.
    fn text(&self, from: usize, to: usize) -> &str {
        self.src.get(self.off(from)..self.off(to)).unwrap_or("")
    }

    fn err(&self, at: usize, message: String, help: &str) -> RegexError {
        RegexError {
            message,
            offset: Some(self.off(at)),
            help: Some(help.to_string()),
            too_large: false,
        }
    }

    fn parse_root(&mut self) -> Result<Node, RegexError> {
        let node = self.parse_alternation()?;
        if self.peek() == Some(')') {
            return Err(self.err(
                self.pos,
                "too many `)`: this one closes no group".to_string(),
                "remove it, or escape it as `\\)` to match a literal parenthesis",
            ));
        }
        Ok(node)
    }

    /// Parses alternatives up to an unmatched `)` or the end.
    fn parse_alternation(&mut self) -> Result<Node, RegexError> {
        let mut branches: Vec<Node> = Vec::new();
        let mut seq: Vec<Node> = Vec::new();
        let mut prev_quantified = false;
        loop {
            self.scan_blank()?;
            let Some(c) = self.peek() else { break };
            let start = self.pos;
            let atom = match c {
                '|' => {
                    self.pos += 1;
                    branches.push(concat(std::mem::take(&mut seq)));
                    prev_quantified = false;
                    continue;
                }
                ')' => break,
                '*' | '+' | '?' => return Err(self.quantifier_without_target(prev_quantified)),
                '{' if self.is_true_quantifier() => {
                    return Err(self.quantifier_without_target(prev_quantified));
                }
                '(' => match self.parse_group()? {
                    Some(node) => node,
                    None => {
                        prev_quantified = false;
                        continue;
                    }
                },
                '[' => {
                    self.pos += 1;
                    let ci = self.flags.i;
                    Node::Set(self.parse_class(start, ci)?)
                }
                '\\' => {
                    if self.pos + 1 >= self.len() {
                        return Err(self.err(
                            start,
                            "pattern ends with a lone `\\`".to_string(),
                            "escape it as `\\\\` to match a backslash",
                        ));
                    }
                    self.parse_backslash()?
                }
                '^' => {
                    self.pos += 1;
                    Node::Assert(if self.flags.m {
                        Assertion::LineStart
                    } else {
                        Assertion::Start
                    })
                }
                '$' => {
                    self.pos += 1;
                    Node::Assert(if self.flags.m {
                        Assertion::LineEnd
                    } else {
                        Assertion::EndZ
                    })
                }
                '.' => {
                    self.pos += 1;
                    Node::Set(CharSet::dot(self.flags.s))
                }
                c => {
                    self.pos += 1;
                    Node::Literal {
                        c,
                        ci: self.flags.i,
                    }
                }
            };
            self.scan_blank()?;
            let (node, quantified) = self.parse_quantifier(atom, start)?;
            prev_quantified = quantified;
            seq.push(node);
        }
        if branches.is_empty() {
            Ok(concat(seq))
        } else {
            branches.push(concat(seq));
            Ok(Node::Alt(branches))
        }
    }

    fn quantifier_without_target(&self, prev_quantified: bool) -> RegexError {
        let q = match self.peek() {
            Some('{') => {
                let end = (self.pos..self.len())
                    .find(|&i| self.chars.get(i) == Some(&'}'))
                    .map_or(self.len(), |i| i + 1);
                self.text(self.pos, end).to_string()
            }
            Some(c) => c.to_string(),
            None => String::new(),
        };
        if prev_quantified {
            self.err(
                self.pos,
                format!("nested quantifier `{q}`"),
                ".NET has no possessive or doubled quantifiers: to repeat a quantified item wrap \
                 it in a group such as `(?:a*)+`, to forbid backtracking use an atomic group \
                 such as `(?>a*)`, or escape the character to match it literally",
            )
        } else {
            self.err(
                self.pos,
                format!("quantifier `{q}` follows nothing"),
                "put the item to repeat before it, or escape it (`\\*`, `\\+`, `\\?`, `\\{`) to \
                 match it literally; a wildcard such as `*@domain.ext` is written `.*@domain\\.ext` \
                 in a regular expression",
            )
        }
    }

    /// `IsTrueQuantifier`: whether a quantifier starts here (`{` only as `{n}`, `{n,}`, `{n,m}`).
    fn is_true_quantifier(&self) -> bool {
        match self.peek() {
            Some('*' | '+' | '?') => true,
            Some('{') => {
                let digits_from = |mut p: usize| {
                    while self.chars.get(p).is_some_and(char::is_ascii_digit) {
                        p += 1;
                    }
                    p
                };
                let start = self.pos + 1;
                let p = digits_from(start);
                if p == start {
                    return false;
                }
                match self.chars.get(p) {
                    Some('}') => true,
                    Some(',') => self.chars.get(digits_from(p + 1)) == Some(&'}'),
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// Reads the quantifier after an atom, if any.
    fn parse_quantifier(&mut self, atom: Node, start: usize) -> Result<(Node, bool), RegexError> {
        if !self.is_true_quantifier() {
            return Ok((atom, false));
        }
        let q_at = self.pos;
        let (min, max) = match self.bump() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            _ => {
                let min = self.scan_decimal()?;
                let max = if self.peek() == Some(',') {
                    self.pos += 1;
                    if self.peek() == Some('}') {
                        None
                    } else {
                        Some(self.scan_decimal()?)
                    }
                } else {
                    Some(min)
                };
                self.pos += 1; // the `}` checked by is_true_quantifier
                (min, max)
            }
        };
        self.scan_blank()?;
        let lazy = self.peek() == Some('?');
        if lazy {
            self.pos += 1;
        }
        if let Some(max) = max
            && min > max
        {
            return Err(self.err(
                q_at,
                format!(
                    "quantifier `{}` has its minimum above its maximum",
                    self.text(q_at, self.pos)
                ),
                "write the smaller number first, as in `{2,5}`",
            ));
        }
        if let Node::Literal { c, .. } = atom
            && u32::from(c) > 0xFFFF
        {
            return Err(self.err(
                start,
                format!("quantifier after `{c}`, a character outside the basic multilingual plane"),
                ".NET stores it as two UTF-16 code units and would repeat only the second one; \
                 wrap the character in a group, as in `(?:😀)+`, to repeat all of it",
            ));
        }
        let max = max.filter(|&m| m < NET_INT_MAX);
        let optional_iterations = max.is_none_or(|m| m > min && m >= 2);
        if optional_iterations
            && !atom.zero_width()
            && atom.nullable()
            && (lazy || atom.has_capture() || atom.empty_first())
        {
            return Err(self.err(
                start,
                format!(
                    "repeated item `{}` can match empty text",
                    self.text(start, self.pos)
                ),
                "when a repetition's body matches empty text, .NET runs one more, empty iteration \
                 that roster's engines skip, so captures (and with lazy or empty-first bodies even \
                 the match) would differ; make the repeated item consume at least one character, \
                 as in `(\\w+\\s?)*` rather than `(\\w*\\s?)*`, or make its groups non-capturing",
            ));
        }
        Ok((
            Node::Repeat {
                node: Box::new(atom),
                min,
                max,
                lazy,
            },
            true,
        ))
    }

    /// `ScanDecimal`: ASCII digits, refusing values beyond `int.MaxValue` as .NET does.
    fn scan_decimal(&mut self) -> Result<u32, RegexError> {
        let start = self.pos;
        let mut value: u32 = 0;
        while let Some(d) = self
            .peek()
            .and_then(|c| c.to_digit(10).filter(|_| c.is_ascii_digit()))
        {
            self.pos += 1;
            value = match value.checked_mul(10).and_then(|v| v.checked_add(d)) {
                Some(v) if v <= NET_INT_MAX => v,
                _ => {
                    return Err(self.err(
                        start,
                        format!("number `{}` is too large", self.text(start, self.pos)),
                        "quantifier bounds and group numbers must not exceed 2147483647",
                    ));
                }
            };
        }
        Ok(value)
    }

    /// `ScanBlank`: skips `(?#...)` comments, and under `x` white space and `#` comments.
    fn scan_blank(&mut self) -> Result<(), RegexError> {
        loop {
            if self.flags.x {
                while matches!(self.peek(), Some('\t' | '\n' | '\u{C}' | '\r' | ' ')) {
                    self.pos += 1;
                }
            }
            if self.flags.x && self.peek() == Some('#') {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.pos += 1;
                }
            } else if self.peek() == Some('(')
                && self.peek_at(1) == Some('?')
                && self.peek_at(2) == Some('#')
            {
                let start = self.pos;
                while self.peek().is_some_and(|c| c != ')') {
                    self.pos += 1;
                }
                if self.bump().is_none() {
                    return Err(self.err(
                        start,
                        "unterminated comment `(?#`".to_string(),
                        "close the comment with `)`",
                    ));
                }
            } else {
                return Ok(());
            }
        }
    }

    /// Parses a group from its `(`; `None` for an option setting such as `(?i)`, whose effect
    /// lasts to the end of the enclosing group.
    fn parse_group(&mut self) -> Result<Option<Node>, RegexError> {
        let open = self.pos;
        self.pos += 1;
        let saved = self.flags;
        let kind = if self.peek() != Some('?') || self.peek_at(1) == Some(')') {
            if self.flags.n {
                GroupKind::NonCapture
            } else {
                self.capture(Decl::Auto, open)?
            }
        } else {
            self.pos += 1;
            match self.bump() {
                Some(':') => GroupKind::NonCapture,
                Some('=') => GroupKind::Look {
                    behind: false,
                    negated: false,
                },
                Some('!') => GroupKind::Look {
                    behind: false,
                    negated: true,
                },
                Some('>') => GroupKind::Atomic,
                Some(q @ ('<' | '\'')) => {
                    let close = if q == '\'' { '\'' } else { '>' };
                    match self.peek() {
                        Some('=') if close == '>' => {
                            self.pos += 1;
                            GroupKind::Look {
                                behind: true,
                                negated: false,
                            }
                        }
                        Some('!') if close == '>' => {
                            self.pos += 1;
                            GroupKind::Look {
                                behind: true,
                                negated: true,
                            }
                        }
                        Some(_) => self.named_group(open, close)?,
                        None => return Err(self.invalid_group(open)),
                    }
                }
                Some('(') => {
                    return Err(self.err(
                        open,
                        "conditional `(?(...)...)` is not supported".to_string(),
                        "rewrite `(?(cond)yes|no)` as an alternation with lookarounds, such as \
                         `(?:(?=cond)yes|(?!cond)no)`",
                    ));
                }
                Some(_) => {
                    self.pos -= 1;
                    self.scan_options();
                    match self.bump() {
                        Some(')') => return Ok(None),
                        Some(':') => GroupKind::NonCapture,
                        _ => return Err(self.invalid_group(open)),
                    }
                }
                None => return Err(self.invalid_group(open)),
            }
        };
        let behind = matches!(kind, GroupKind::Look { behind: true, .. });
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(
                open,
                format!("groups nest more than {MAX_DEPTH} deep"),
                "flatten the pattern",
            ));
        }
        if behind {
            self.lookbehind += 1;
        }
        let body = self.parse_alternation()?;
        if behind {
            self.lookbehind -= 1;
        }
        self.depth -= 1;
        if self.bump() != Some(')') {
            return Err(self.err(
                open,
                format!(
                    "missing `)` for the group opened by `{}`",
                    self.text(open, (open + 3).min(self.len()))
                ),
                "close the group with `)`, or escape the `(` as `\\(` to match it literally",
            ));
        }
        self.flags = saved;
        Ok(Some(Node::Group(kind, Box::new(body))))
    }

    fn invalid_group(&self, open: usize) -> RegexError {
        let shown = self.text(open, (open + 3).min(self.len())).to_string();
        self.err(
            open,
            format!("unrecognized grouping construct `{shown}`"),
            "use `(...)`, `(?:...)`, `(?<name>...)`, `(?=...)`, `(?!...)`, `(?<=...)`, \
             `(?<!...)`, `(?>...)` or inline options such as `(?i)`; Python-style `(?P<name>...)` \
             is written `(?<name>...)` in .NET, and `(?r)` is not an inline option",
        )
    }

    /// `ScanOptions`: `imnsx` turned on, or off after `-`, up to the first other character.
    fn scan_options(&mut self) {
        let mut off = false;
        while let Some(c) = self.peek() {
            match c.to_ascii_lowercase() {
                '-' => off = true,
                '+' => off = false,
                'i' => self.flags.i = !off,
                'm' => self.flags.m = !off,
                'n' => self.flags.n = !off,
                's' => self.flags.s = !off,
                'x' => self.flags.x = !off,
                _ => return,
            }
            self.pos += 1;
        }
    }

    /// `(?<name>` or `(?<5>` (or with quotes), positioned after the `<`.
    fn named_group(&mut self, open: usize, close: char) -> Result<GroupKind, RegexError> {
        let balancing = |p: &Parser<'_>| {
            p.err(
                open,
                "balancing group `(?<name1-name2>...)` is not supported".to_string(),
                "balancing groups have no equivalent in roster's engines; check nesting outside the \
                 regular expression, or match a fixed depth with ordinary groups",
            )
        };
        let bad_name =
            |p: &Parser<'_>| {
                p.err(
                open,
                format!("invalid group name in `{}`", p.text(open, (p.pos + 1).min(p.len()))),
                "a group name is made of letters, digits and `_` and does not start with a digit \
                 unless it is a number, as in `(?<name>...)` or `(?<2>...)`",
            )
            };
        let c = self.peek().unwrap_or(close);
        let decl = if c.is_ascii_digit() {
            let leading_zero = c == '0';
            let n = self.scan_decimal()?;
            match self.peek() {
                Some('-') => return Err(balancing(self)),
                Some(x) if x != close => return Err(bad_name(self)),
                _ => {}
            }
            if n == 0 {
                return Err(self.err(
                    open,
                    "group number 0 is reserved for the whole match".to_string(),
                    "number explicit groups from 1",
                ));
            }
            if !self.prescan() && !self.numbering.is_some_and(|nb| nb.used.contains(&n)) {
                return Err(self.invalid_group(open));
            }
            if leading_zero && self.prescan() {
                None
            } else {
                Some(Decl::Number(n))
            }
        } else if is_net_word_char(c) {
            let name = self.scan_name();
            match self.peek() {
                Some('-') => return Err(balancing(self)),
                Some(x) if x != close => return Err(bad_name(self)),
                _ => {}
            }
            Some(Decl::Name(name))
        } else if c == '-' {
            return Err(balancing(self));
        } else {
            return Err(bad_name(self));
        };
        if self.bump() != Some(close) {
            return Err(self.invalid_group(open));
        }
        match decl {
            Some(decl) => self.capture(decl, open),
            // `(?<01>...)`: .NET's first pass does not count it; the second pass resolves it.
            None => Ok(GroupKind::Capture(0)),
        }
    }

    /// Registers a capturing group and returns its kind.
    fn capture(&mut self, decl: Decl, open: usize) -> Result<GroupKind, RegexError> {
        if self.lookbehind > 0 {
            return Err(self.err(
                open,
                "capturing group inside a lookbehind is not supported".to_string(),
                ".NET matches lookbehinds right to left, which changes what their groups capture; \
                 make the group non-capturing with `(?:...)`",
            ));
        }
        let Some(numbering) = self.numbering else {
            self.decls.push(decl);
            return Ok(GroupKind::Capture(0));
        };
        let (net, shown) = match decl {
            Decl::Auto => {
                let n = self.next_auto;
                self.next_auto = self.next_auto.saturating_add(1);
                (n, n.to_string())
            }
            Decl::Number(n) => (n, n.to_string()),
            Decl::Name(name) => match numbering.names.iter().find(|(n, _)| *n == name) {
                Some(&(_, n)) => (n, name),
                None => return Err(self.invalid_group(open)),
            },
        };
        if self.rust_to_net.contains(&net) {
            return Err(self.err(
                open,
                format!("group `{shown}` is defined more than once"),
                ".NET merges groups that share a name or number and keeps the latest capture, which \
                 roster cannot reproduce; give each group its own name",
            ));
        }
        self.rust_to_net.push(net);
        Ok(GroupKind::Capture(net))
    }

    /// `ScanCapname`: a run of word characters.
    fn scan_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek().filter(|&c| is_net_word_char(c)) {
            name.push(c);
            self.pos += 1;
        }
        name
    }

    /// An escape outside a character class, positioned on the `\`.
    fn parse_backslash(&mut self) -> Result<Node, RegexError> {
        let bs = self.pos;
        self.pos += 1;
        let Some(c) = self.peek() else {
            return Err(self.err(
                bs,
                "pattern ends with a lone `\\`".to_string(),
                "escape it as `\\\\`",
            ));
        };
        let assertion = match c {
            'b' => Some(Assertion::WordBoundary),
            'B' => Some(Assertion::NotWordBoundary),
            'A' => Some(Assertion::Start),
            'Z' => Some(Assertion::EndZ),
            'z' => Some(Assertion::End),
            _ => None,
        };
        if let Some(a) = assertion {
            self.pos += 1;
            return Ok(Node::Assert(a));
        }
        let shorthand = match c {
            'd' | 'D' => Some(SetItem::Digit { negated: c == 'D' }),
            'w' | 'W' => Some(SetItem::Word { negated: c == 'W' }),
            's' | 'S' => Some(SetItem::Space { negated: c == 'S' }),
            _ => None,
        };
        if let Some(item) = shorthand {
            self.pos += 1;
            return Ok(Node::Set(CharSet::of(item)));
        }
        match c {
            'G' => Err(self.err(
                bs,
                "`\\G` is not supported".to_string(),
                "`\\G` anchors at the end of the previous match; anchor at the start with `^`, or \
                 restructure the pattern so it matches everything in one match",
            )),
            'p' | 'P' => {
                self.pos += 1;
                let ci = self.flags.i;
                let item = self.parse_property(bs, c == 'P', ci)?;
                Ok(Node::Set(CharSet::of(item)))
            }
            _ => self.parse_basic_backslash(bs),
        }
    }

    /// `ScanBasicBackslash`: back-references (`\1`, `\k<name>`, `\<name>`) or a character escape.
    fn parse_basic_backslash(&mut self, bs: usize) -> Result<Node, RegexError> {
        let back = self.pos;
        let mut angled = false;
        let mut close = '>';
        let mut c = self.peek().unwrap_or('\0');
        if c == 'k' {
            if self.pos + 1 < self.len() {
                self.pos += 1;
                if let Some(q @ ('<' | '\'')) = self.bump() {
                    angled = true;
                    close = if q == '\'' { '\'' } else { '>' };
                }
            }
            if !angled || self.pos >= self.len() {
                return Err(self.err(
                    bs,
                    "malformed named back-reference `\\k`".to_string(),
                    "write `\\k<name>` or `\\k<1>`",
                ));
            }
            c = self.peek().unwrap_or('\0');
        } else if (c == '<' || c == '\'') && self.pos + 1 < self.len() {
            angled = true;
            close = if c == '\'' { '\'' } else { '>' };
            self.pos += 1;
            c = self.peek().unwrap_or('\0');
        }

        if angled && c.is_ascii_digit() {
            let n = self.scan_decimal()?;
            if self.bump() == Some(close) {
                return self.backref(bs, n, None);
            }
        } else if !angled && ('1'..='9').contains(&c) {
            let n = self.scan_decimal()?;
            if self.prescan() || self.numbering.is_some_and(|nb| nb.used.contains(&n)) {
                return self.backref(bs, n, None);
            }
            if n <= 9 {
                return Err(self.undefined_group(bs, &n.to_string()));
            }
            // `\10` without a group 10 is an octal escape followed by digits in .NET.
        } else if angled && is_net_word_char(c) {
            let name = self.scan_name();
            if self.bump() == Some(close) {
                return self.backref(bs, 0, Some(name));
            }
        }

        self.pos = back;
        let c = self.scan_char_escape(bs)?;
        Ok(Node::Literal {
            c,
            ci: self.flags.i,
        })
    }

    fn undefined_group(&self, bs: usize, group: &str) -> RegexError {
        self.err(
            bs,
            format!(
                "back-reference `{}` to group `{group}`, which the pattern does not define",
                self.text(bs, self.pos)
            ),
            "refer to a group defined in the pattern; to match the character itself use an escape \
             such as `\\x31`",
        )
    }

    fn backref(&mut self, bs: usize, n: u32, name: Option<String>) -> Result<Node, RegexError> {
        let Some(numbering) = self.numbering else {
            return Ok(Node::Backref {
                group: 0,
                ci: false,
            });
        };
        let group = match &name {
            Some(name) => numbering
                .names
                .iter()
                .find(|(n, _)| n == name)
                .map(|&(_, g)| g),
            None => numbering.used.contains(&n).then_some(n),
        };
        let Some(group) = group else {
            return Err(self.undefined_group(bs, &name.unwrap_or_else(|| n.to_string())));
        };
        if self.lookbehind > 0 {
            return Err(self.err(
                bs,
                format!(
                    "back-reference `{}` inside a lookbehind is not supported",
                    self.text(bs, self.pos)
                ),
                ".NET matches lookbehinds right to left, which roster cannot reproduce for \
                 back-references; move the back-reference out of the lookbehind",
            ));
        }
        Ok(Node::Backref {
            group,
            ci: self.flags.i,
        })
    }

    /// `ScanCharEscape`, positioned after the `\` at `bs`: an escape that stands for one
    /// character.
    fn scan_char_escape(&mut self, bs: usize) -> Result<char, RegexError> {
        let Some(c) = self.bump() else {
            return Err(self.err(
                bs,
                "pattern ends with a lone `\\`".to_string(),
                "escape it as `\\\\`",
            ));
        };
        let code = match c {
            '0'..='7' => {
                self.pos -= 1;
                let mut value: u32 = 0;
                for _ in 0..3 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            value = value * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                value & 0xFF
            }
            'x' => self.scan_hex(bs, 2)?,
            'u' => self.scan_hex(bs, 4)?,
            'a' => 0x07,
            'b' => 0x08,
            'e' => 0x1B,
            'f' => 0x0C,
            'n' => 0x0A,
            'r' => 0x0D,
            't' => 0x09,
            'v' => 0x0B,
            'c' => {
                let Some(x) = self.bump() else {
                    return Err(self.err(
                        bs,
                        "missing control character after `\\c`".to_string(),
                        "write `\\cA` to `\\cZ`",
                    ));
                };
                let upper = x.to_ascii_uppercase();
                match u32::from(upper).checked_sub(u32::from('@')) {
                    Some(v) if v < 0x20 && x.is_ascii() => v,
                    _ => {
                        return Err(self.err(
                            bs,
                            format!("unrecognized control character `\\c{x}`"),
                            "write `\\cA` to `\\cZ` (or `\\c@`, `\\c[`, `\\c\\`, `\\c]`, `\\c^`, `\\c_`)",
                        ));
                    }
                }
            }
            c if is_net_word_char(c) => {
                return Err(self.err(
                    bs,
                    format!("unrecognized escape `\\{c}`"),
                    ".NET rejects a backslash before a letter or digit it does not know; remove the \
                     backslash, or use `\\x`, `\\u`, `\\p{...}` or a class such as `\\d`, `\\w`, `\\s`",
                ));
            }
            c => u32::from(c),
        };
        if (0xD800..=0xDFFF).contains(&code) {
            return Err(self.err(
                bs,
                format!("escape `{}` is a UTF-16 surrogate", self.text(bs, self.pos)),
                "roster matches whole characters, not UTF-16 code units; write the character \
                 itself, such as `😀`, instead of its surrogate pair",
            ));
        }
        char::from_u32(code).ok_or_else(|| {
            self.err(
                bs,
                "invalid character escape".to_string(),
                "use `\\uFFFF` form",
            )
        })
    }

    /// `ScanHex`: exactly `digits` hex digits.
    fn scan_hex(&mut self, bs: usize, digits: usize) -> Result<u32, RegexError> {
        let mut value: u32 = 0;
        for _ in 0..digits {
            match self.peek().and_then(|c| c.to_digit(16)) {
                Some(d) => {
                    value = value * 16 + d;
                    self.pos += 1;
                }
                None => {
                    let form = if digits == 2 {
                        "`\\x` takes exactly two hex digits, as in `\\x41`"
                    } else {
                        "`\\u` takes exactly four hex digits, as in `\\u00e9`"
                    };
                    return Err(self.err(
                        bs,
                        format!(
                            "insufficient or invalid hex digits in `{}`",
                            self.text(bs, (self.pos + 1).min(self.len()))
                        ),
                        form,
                    ));
                }
            }
        }
        Ok(value)
    }

    /// `ParseProperty`, positioned after `\p` or `\P` (the `\` at `bs`).
    fn parse_property(
        &mut self,
        bs: usize,
        negated: bool,
        ci: bool,
    ) -> Result<SetItem, RegexError> {
        if self.pos + 2 >= self.len() {
            return Err(self.err(
                bs,
                format!("incomplete property escape `{}`", self.text(bs, self.len())),
                "write a Unicode category in braces, as in `\\p{Lu}`",
            ));
        }
        if self.peek() != Some('{') {
            return Err(self.err(
                bs,
                format!(
                    "malformed property escape `{}`",
                    self.text(bs, (self.pos + 1).min(self.len()))
                ),
                "write a Unicode category in braces, as in `\\p{Lu}`",
            ));
        }
        self.pos += 1;
        let start = self.pos;
        while self.peek().is_some_and(|c| is_net_word_char(c) || c == '-') {
            self.pos += 1;
        }
        let name = self.text(start, self.pos).to_string();
        if self.bump() != Some('}') {
            return Err(self.err(
                bs,
                format!(
                    "incomplete property escape `{}`",
                    self.text(bs, self.pos.min(self.len()))
                ),
                "close it with `}`, as in `\\p{Lu}`",
            ));
        }
        if let Some(found) = CATEGORIES.iter().find(|c| **c == name) {
            let names = if ci && CASED_LETTERS.contains(found) {
                CASED_LETTERS
            } else {
                std::slice::from_ref(found)
            };
            return Ok(SetItem::Category { names, negated });
        }
        if name.starts_with("Is") {
            return Err(self.err(
                bs,
                format!("named block `{}` is not supported", self.text(bs, self.pos)),
                "spell the block as a range of code points, such as `[\\u0370-\\u03FF]` for \
                 `\\p{IsGreek}`",
            ));
        }
        Err(self.err(
            bs,
            format!("unknown property `{}`", self.text(bs, self.pos)),
            "use a general category such as `L`, `Lu`, `Ll`, `Nd`, `P`, `S` or `Z` (the names \
             are case-sensitive)",
        ))
    }

    /// `ScanCharClass`, positioned after the `[` at `open`.
    fn parse_class(&mut self, open: usize, ci: bool) -> Result<CharSet, RegexError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(
                open,
                format!("character classes nest more than {MAX_DEPTH} deep"),
                "flatten the class",
            ));
        }
        let mut set = CharSet {
            negated: false,
            items: Vec::new(),
            subtract: None,
            ci,
        };
        if self.peek() == Some('^') {
            self.pos += 1;
            set.negated = true;
        }
        let mut first = true;
        let mut in_range = false;
        let mut range_start = '\0';
        let mut closed = false;
        while let Some(mut c) = self.peek() {
            let at = self.pos;
            self.pos += 1;
            let mut translated = false;
            if c == ']' {
                if !first {
                    closed = true;
                    break;
                }
            } else if c == '\\' && self.pos < self.len() {
                let e = self.peek().unwrap_or('\0');
                let shorthand = match e {
                    'd' | 'D' => Some(SetItem::Digit { negated: e == 'D' }),
                    'w' | 'W' => Some(SetItem::Word { negated: e == 'W' }),
                    's' | 'S' => Some(SetItem::Space { negated: e == 'S' }),
                    _ => None,
                };
                if shorthand.is_some() || e == 'p' || e == 'P' {
                    self.pos += 1;
                    if in_range {
                        return Err(self.err(
                            at,
                            format!("`{}` cannot end a range in a character class", self.text(at, self.pos)),
                            "put `-` first or last in the class to match it literally, or escape it as `\\-`",
                        ));
                    }
                    let item = match shorthand {
                        Some(item) => item,
                        None => self.parse_property(at, e == 'P', ci)?,
                    };
                    set.items.push(item);
                    first = false;
                    continue;
                }
                if e == '-' {
                    self.pos += 1;
                    if in_range {
                        if range_start > '-' {
                            return Err(self.reversed_range(at, range_start, '-'));
                        }
                        set.items.push(SetItem::Range(range_start, '-'));
                        in_range = false;
                    } else {
                        set.items.push(SetItem::Range('-', '-'));
                    }
                    first = false;
                    continue;
                }
                c = self.scan_char_escape(at)?;
                translated = true;
            } else if c == '[' && !in_range && self.is_posix_class() {
                return Err(self.err(
                    at,
                    format!(
                        "posix-style class `{}` is not supported",
                        self.text(at, self.posix_end())
                    ),
                    ".NET has no POSIX classes (older versions skip them, newer ones read them as \
                     literal characters); use `\\p{L}`, `\\d`, `\\s` or an explicit range",
                ));
            }
            if u32::from(c) > 0xFFFF {
                return Err(self.err(
                    at,
                    format!("character class contains `{c}`, a character outside the basic multilingual plane"),
                    ".NET stores it as two UTF-16 code units and the class would match either one \
                     alone; use an alternation such as `(?:😀|x)` instead",
                ));
            }

            if in_range {
                in_range = false;
                if c == '[' && !translated && !first {
                    set.items.push(SetItem::Range(range_start, range_start));
                    set.subtract = Some(Box::new(self.parse_class(at, ci)?));
                    self.subtraction_last(at)?;
                } else {
                    if range_start > c {
                        return Err(self.reversed_range(at, range_start, c));
                    }
                    set.items.push(SetItem::Range(range_start, c));
                }
            } else if self.pos + 1 < self.len()
                && self.peek() == Some('-')
                && self.peek_at(1) != Some(']')
            {
                range_start = c;
                in_range = true;
                self.pos += 1;
            } else if self.pos < self.len()
                && c == '-'
                && !translated
                && self.peek() == Some('[')
                && !first
            {
                let sub_open = self.pos;
                self.pos += 1;
                set.subtract = Some(Box::new(self.parse_class(sub_open, ci)?));
                self.subtraction_last(at)?;
            } else {
                set.items.push(SetItem::Range(c, c));
            }
            first = false;
        }
        self.depth -= 1;
        if !closed {
            return Err(self.err(
                open,
                "unterminated character class `[`".to_string(),
                "close the class with `]`, or escape the `[` as `\\[` to match it literally",
            ));
        }
        Ok(set)
    }

    fn subtraction_last(&self, at: usize) -> Result<(), RegexError> {
        if self.pos < self.len() && self.peek() != Some(']') {
            return Err(self.err(
                at,
                "a character class subtraction must be the last element of its class".to_string(),
                "move `-[...]` to the end of the class, as in `[a-z-[aeiou]]`",
            ));
        }
        Ok(())
    }

    fn reversed_range(&self, at: usize, from: char, to: char) -> RegexError {
        self.err(
            at,
            format!("range `{from}-{to}` in a character class is reversed"),
            "write the lower character first, or escape the `-` as `\\-` to match it literally",
        )
    }

    /// Whether `[:name:]` follows (the `[` already consumed).
    fn is_posix_class(&self) -> bool {
        if self.peek() != Some(':') {
            return false;
        }
        let mut p = self.pos + 1;
        while self.chars.get(p).is_some_and(|&c| is_net_word_char(c)) {
            p += 1;
        }
        self.chars.get(p) == Some(&':') && self.chars.get(p + 1) == Some(&']')
    }

    fn posix_end(&self) -> usize {
        let mut p = self.pos;
        while self.chars.get(p).is_some_and(|&c| c != ']') {
            p += 1;
        }
        (p + 1).min(self.len())
    }
}

fn concat(mut seq: Vec<Node>) -> Node {
    match seq.len() {
        0 => Node::Empty,
        1 => seq.pop().unwrap_or(Node::Empty),
        _ => Node::Concat(seq),
    }
}
