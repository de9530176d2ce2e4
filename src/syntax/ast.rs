//! Syntax trees of both languages. Every node carries its [`Span`]; equality ignores spans so
//! tests can compare structure without fighting positions.

use crate::diagnostics::Span;

/// A value with its location; `==` compares only the value.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    /// The value.
    pub node: T,
    /// Where it was written.
    pub span: Span,
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<T> Spanned<T> {
    /// Wraps a value.
    pub fn new(node: T, span: Span) -> Spanned<T> {
        Spanned { node, span }
    }
}

// ------------------------------------------------------------------------------------------
// Mapping expressions
// ------------------------------------------------------------------------------------------

/// A mapping expression node.
pub type Expr = Spanned<ExprKind>;

/// The kinds of mapping-expression node.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A string constant, escapes resolved.
    Str(String),
    /// An integer constant (decimal or `&H` hex).
    Int(i64),
    /// An attribute reference `[name]`, name as written.
    Attr(String),
    /// A bare identifier: an enum constant (`vbTextCompare`) or keyword
    /// (`IgnoreAttributeFlow`).
    Ident(String),
    /// A function call; `None` is an omitted argument.
    Call {
        /// The name as written, with its span.
        name: Spanned<String>,
        /// The arguments.
        args: Vec<Option<Expr>>,
    },
    /// A comparison `lhs op rhs`.
    Compare {
        /// The operator.
        op: Spanned<CmpOp>,
        /// Left side.
        lhs: Box<Expr>,
        /// Right side.
        rhs: Box<Expr>,
    },
}

/// The comparison operators of mapping expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

// ------------------------------------------------------------------------------------------
// Membership rules
// ------------------------------------------------------------------------------------------

/// A membership rule node.
pub type Rule = Spanned<RuleKind>;

/// The kinds of membership-rule node.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    /// `a -or b`
    Or(Box<Rule>, Box<Rule>),
    /// `a -and b`
    And(Box<Rule>, Box<Rule>),
    /// `-not a`
    Not(Box<Rule>),
    /// `property operator value`
    Compare {
        /// The property as written (`user.department`, `_`, `assignedPlan.service`).
        property: Spanned<String>,
        /// The operator.
        op: Spanned<RuleOp>,
        /// The value.
        value: RuleValue,
    },
    /// `property -any|-all (condition)`
    Quantified {
        /// The multi-valued property.
        property: Spanned<String>,
        /// `-all` when true, `-any` when false.
        all: bool,
        /// Where the quantifier keyword is.
        op_span: Span,
        /// The condition applied to each item.
        body: Box<Rule>,
    },
    /// `property -not value`: a syntax mistake kept for a precise diagnostic.
    MisplacedNot {
        /// The property.
        property: Spanned<String>,
        /// Where `-not` is.
        op_span: Span,
    },
    /// `Direct Reports for "<id>"`
    DirectReports(Spanned<String>),
}

/// The comparison operators of membership rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleOp {
    /// `-eq`
    Eq,
    /// `-ne`
    Ne,
    /// `-lt`
    Lt,
    /// `-le`
    Le,
    /// `-gt`
    Gt,
    /// `-ge`
    Ge,
    /// `-startsWith`
    StartsWith,
    /// `-notStartsWith`
    NotStartsWith,
    /// `-endsWith`
    EndsWith,
    /// `-notEndsWith`
    NotEndsWith,
    /// `-contains`
    Contains,
    /// `-notContains`
    NotContains,
    /// `-match`
    Match,
    /// `-notMatch`
    NotMatch,
    /// `-in`
    In,
    /// `-notIn`
    NotIn,
}

impl RuleOp {
    /// The canonical spelling, e.g. `-startsWith`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleOp::Eq => "-eq",
            RuleOp::Ne => "-ne",
            RuleOp::Lt => "-lt",
            RuleOp::Le => "-le",
            RuleOp::Gt => "-gt",
            RuleOp::Ge => "-ge",
            RuleOp::StartsWith => "-startsWith",
            RuleOp::NotStartsWith => "-notStartsWith",
            RuleOp::EndsWith => "-endsWith",
            RuleOp::NotEndsWith => "-notEndsWith",
            RuleOp::Contains => "-contains",
            RuleOp::NotContains => "-notContains",
            RuleOp::Match => "-match",
            RuleOp::NotMatch => "-notMatch",
            RuleOp::In => "-in",
            RuleOp::NotIn => "-notIn",
        }
    }

    /// The positive operator and whether this one negates it (`-notIn` is `(-in, true)`).
    pub fn split_negation(self) -> (RuleOp, bool) {
        match self {
            RuleOp::Ne => (RuleOp::Eq, true),
            RuleOp::NotStartsWith => (RuleOp::StartsWith, true),
            RuleOp::NotEndsWith => (RuleOp::EndsWith, true),
            RuleOp::NotContains => (RuleOp::Contains, true),
            RuleOp::NotMatch => (RuleOp::Match, true),
            RuleOp::NotIn => (RuleOp::In, true),
            other => (other, false),
        }
    }
}

/// A value on the right of a rule comparison.
pub type RuleValue = Spanned<RuleValueKind>;

/// The kinds of rule value.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleValueKind {
    /// A quoted string, escapes resolved.
    Str(String),
    /// A number as written.
    Number(String),
    /// `true` / `false`.
    Bool(bool),
    /// `null` / `$null`.
    Null,
    /// An unquoted date-time, as written.
    DateTime(String),
    /// `system.now` shifted by a signed duration.
    Now(Option<SignedDuration>),
    /// `[v, ...]`
    Array(Vec<RuleValue>),
    /// An unquoted word (an error the checker explains).
    BareWord(String),
}

/// An ISO 8601 duration with the sign of `-plus` / `-minus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedDuration {
    /// Calendar months (years × 12 + months).
    pub months: i64,
    /// Seconds (weeks, days, hours, minutes, seconds).
    pub seconds: i64,
    /// True for `-minus`.
    pub negative: bool,
}
