//! The `check` stage for membership rules: resolves properties against a [`Schema`], enforces
//! Entra's operator and value restrictions, and compiles to a [`RuleProgram`] whose constants
//! are already lower-cased, parsed and compiled.

use chrono::NaiveDateTime;

use super::schema::{ObjectKind, PropType, Property, Schema};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Span, did_you_mean};
use crate::dotnet::regex::{NetRegex, Options};
use crate::syntax::ast::{Rule, RuleKind, RuleOp, RuleValue, RuleValueKind, SignedDuration};
use crate::syntax::parser::parse_datetime_literal;

/// A compiled membership rule.
#[derive(Debug, Clone)]
pub struct RuleProgram {
    /// Users or devices.
    pub object: ObjectKind,
    /// The properties the rule reads, by slot.
    pub properties: Vec<Property>,
    /// The root node.
    pub root: Node,
}

/// A compiled rule node.
#[derive(Debug, Clone)]
pub enum Node {
    /// Every child is true (flattened `-and` chains).
    And(Vec<Node>),
    /// Some child is true (flattened `-or` chains).
    Or(Vec<Node>),
    /// The child is false.
    Not(Box<Node>),
    /// One comparison; `negate` turns `-ne`, `-notIn`... into their positive test.
    Test {
        /// What is tested.
        target: Target,
        /// The positive test.
        test: Test,
        /// Whether the result is inverted.
        negate: bool,
        /// Where the condition was written.
        span: Span,
    },
    /// `-any` / `-all` over the items of a collection property.
    Quantified {
        /// The collection's slot.
        slot: usize,
        /// `-all` when true.
        all: bool,
        /// Applied to each item.
        body: Box<Node>,
    },
    /// `Direct Reports for "<id>"`: the `manager` slot equals the id.
    DirectReports {
        /// The slot holding the manager's object id.
        slot: usize,
        /// The manager's object id, lower case.
        id: String,
    },
}

/// What a test reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A property of the object.
    Slot(usize),
    /// The current item of a string collection (`_`, `group.objectId`).
    Item,
    /// A field of the current complex item (`assignedPlan.service`).
    ItemField(String),
}

/// A positive test on one value.
#[derive(Debug, Clone)]
pub enum Test {
    /// Absent, null or empty.
    IsNull,
    /// Case-insensitive equality with a lower-cased string.
    Eq(String),
    /// Case-insensitive prefix.
    StartsWith(String),
    /// Case-insensitive suffix.
    EndsWith(String),
    /// Case-insensitive substring.
    Contains(String),
    /// Case-insensitive unanchored regex search.
    Match(Box<NetRegex>),
    /// Case-insensitive membership in lower-cased strings.
    In(Vec<String>),
    /// Boolean equality.
    Bool(bool),
    /// Date comparison (`op` is one of `Eq`, `Lt`, `Le`, `Gt`, `Ge`).
    Date(RuleOp, DateOperand),
    /// Number comparison (`op` as for dates).
    Number(RuleOp, f64),
}

/// The right side of a date comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOperand {
    /// A fixed instant (UTC).
    Fixed(NaiveDateTime),
    /// `system.now`, shifted.
    Now(Option<SignedDuration>),
}

/// Checks and compiles a parsed rule against a schema.
pub fn compile(rule: &Rule, schema: &Schema) -> (Option<RuleProgram>, Vec<Diagnostic>) {
    let mut c = Compiler {
        schema,
        object: None,
        properties: Vec::new(),
        diagnostics: Vec::new(),
    };
    let root = match &rule.node {
        RuleKind::DirectReports(id) => {
            c.object = Some(ObjectKind::User);
            let slot = c.slot(Property {
                name: "manager".into(),
                ty: PropType::String,
            });
            Some(Node::DirectReports {
                slot,
                id: id.node.to_lowercase(),
            })
        }
        _ => {
            c.check_member_of_placement(rule, true);
            c.node(rule, None)
        }
    };
    let failed = c.diagnostics.iter().any(Diagnostic::is_error);
    let program = match root {
        Some(root) if !failed => Some(RuleProgram {
            object: c.object.unwrap_or(ObjectKind::User),
            properties: c.properties,
            root,
        }),
        _ => None,
    };
    (program, c.diagnostics)
}

/// The item context inside `-any` / `-all`.
#[derive(Debug, Clone, Copy)]
struct ItemScope {
    ty: PropType,
}

struct Compiler<'s> {
    schema: &'s Schema,
    object: Option<ObjectKind>,
    properties: Vec<Property>,
    diagnostics: Vec<Diagnostic>,
}

impl Compiler<'_> {
    fn error(&mut self, d: Diagnostic) -> Option<Node> {
        self.diagnostics.push(d);
        None
    }

    fn slot(&mut self, p: Property) -> usize {
        match self.properties.iter().position(|q| q.name == p.name) {
            Some(i) => i,
            None => {
                self.properties.push(p);
                self.properties.len() - 1
            }
        }
    }

    /// A `memberOf` condition must be the whole rule.
    fn check_member_of_placement(&mut self, rule: &Rule, top: bool) {
        match &rule.node {
            RuleKind::Or(a, b) | RuleKind::And(a, b) => {
                self.check_member_of_placement(a, false);
                self.check_member_of_placement(b, false);
            }
            RuleKind::Not(a) => self.check_member_of_placement(a, false),
            RuleKind::Quantified { property, .. } | RuleKind::Compare { property, .. } => {
                let is_member_of = property
                    .node
                    .rsplit('.')
                    .next()
                    .is_some_and(|p| p.eq_ignore_ascii_case("memberOf"));
                if is_member_of && !top {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::WholeRuleCombined,
                            property.span,
                            "a `memberOf` condition must be the whole rule",
                        )
                        .with_help("Entra cannot combine `memberOf` with other conditions; put the other conditions in the source groups' rules"),
                    );
                }
            }
            RuleKind::MisplacedNot { .. } | RuleKind::DirectReports(_) => {}
        }
    }

    fn node(&mut self, rule: &Rule, scope: Option<ItemScope>) -> Option<Node> {
        match &rule.node {
            RuleKind::And(..) | RuleKind::Or(..) => {
                let is_and = matches!(rule.node, RuleKind::And(..));
                let mut parts = Vec::new();
                self.flatten(rule, is_and, &mut parts);
                let mut children = Vec::with_capacity(parts.len());
                let mut ok = true;
                for part in parts {
                    match self.node(part, scope) {
                        Some(n) => children.push(n),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Some(if is_and { Node::And(children) } else { Node::Or(children) })
            }
            RuleKind::Not(inner) => Some(Node::Not(Box::new(self.node(inner, scope)?))),
            RuleKind::MisplacedNot { op_span, .. } => self.error(
                Diagnostic::new(Code::NotAsComparison, *op_span, "`-not` is not a comparison operator")
                    .with_help("to test for a missing value write `-eq null`; for a present one `-ne null`; to negate a condition put `-not` before it: `-not (user.x -eq \"y\")`"),
            ),
            RuleKind::DirectReports(_) => self.error(Diagnostic::new(
                Code::RuleSyntax,
                rule.span,
                "`Direct Reports for` must be the whole rule",
            )),
            RuleKind::Quantified { property, all, op_span, body } => {
                let (target, ty) = self.resolve(&property.node, property.span, scope)?;
                let Target::Slot(slot) = target else {
                    return self.error(
                        Diagnostic::new(Code::QuantifierMisuse, *op_span, "`-any`/`-all` cannot be nested")
                            .with_help("test the item directly inside the outer `-any`/`-all`"),
                    );
                };
                match ty {
                    PropType::StringCollection | PropType::ComplexCollection(_) | PropType::MemberOf => {
                        let body = self.node(body, Some(ItemScope { ty }))?;
                        Some(Node::Quantified { slot, all: *all, body: Box::new(body) })
                    }
                    other => self.error(
                        Diagnostic::new(
                            Code::QuantifierMisuse,
                            *op_span,
                            format!("`{}` is a {}, not a collection", property.node, other.describe()),
                        )
                        .with_help("`-any` and `-all` apply to multi-valued properties such as `user.proxyAddresses`; compare single values directly"),
                    ),
                }
            }
            RuleKind::Compare { property, op, value } => {
                let (target, ty) = self.resolve(&property.node, property.span, scope)?;
                let test = self.test(&property.node, ty, op.node, op.span, value)?;
                let (_, negate) = op.node.split_negation();
                Some(Node::Test { target, test, negate, span: rule.span })
            }
        }
    }

    fn flatten<'r>(&self, rule: &'r Rule, is_and: bool, out: &mut Vec<&'r Rule>) {
        match &rule.node {
            RuleKind::And(a, b) if is_and => {
                self.flatten(a, is_and, out);
                self.flatten(b, is_and, out);
            }
            RuleKind::Or(a, b) if !is_and => {
                self.flatten(a, is_and, out);
                self.flatten(b, is_and, out);
            }
            _ => out.push(rule),
        }
    }

    /// Resolves a property reference to what it reads and its type.
    fn resolve(
        &mut self,
        name: &str,
        span: Span,
        scope: Option<ItemScope>,
    ) -> Option<(Target, PropType)> {
        // Item references inside -any / -all.
        if let Some(scope) = scope {
            if name == "_" {
                return match scope.ty {
                    PropType::StringCollection | PropType::MemberOf => {
                        Some((Target::Item, PropType::String))
                    }
                    _ => self.reject(
                        Diagnostic::new(
                            Code::QuantifierMisuse,
                            span,
                            "`_` stands for a string item, but these items are complex",
                        )
                        .with_help(
                            "name the item's field, for example `assignedPlan.servicePlanId`",
                        ),
                    ),
                };
            }
            if let Some((head, field)) = name.split_once('.')
                && !head.eq_ignore_ascii_case("user")
                && !head.eq_ignore_ascii_case("device")
            {
                return match scope.ty {
                    PropType::ComplexCollection(fields) => match fields
                        .iter()
                        .find(|f| f.eq_ignore_ascii_case(field))
                    {
                        Some(f) => Some((Target::ItemField((*f).to_string()), PropType::String)),
                        None => {
                            let mut d = Diagnostic::new(
                                Code::UnknownProperty,
                                span,
                                format!("items have no field `{field}`"),
                            );
                            if let Some(s) = did_you_mean(field, fields.iter().copied()) {
                                d = d.with_help(format!("did you mean `{head}.{s}`?"));
                            } else {
                                d = d.with_help(format!(
                                    "the fields are {}",
                                    fields
                                        .iter()
                                        .map(|f| format!("`{f}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ));
                            }
                            self.reject(d)
                        }
                    },
                    PropType::MemberOf
                        if head.eq_ignore_ascii_case("group")
                            && field.eq_ignore_ascii_case("objectId") =>
                    {
                        Some((Target::Item, PropType::String))
                    }
                    _ => self.reject(
                        Diagnostic::new(
                            Code::QuantifierMisuse,
                            span,
                            format!("`{name}` is not an item of this collection"),
                        )
                        .with_help("string items are written `_`, group items `group.objectId`"),
                    ),
                };
            }
        } else if name == "_"
            || name.split_once('.').is_some_and(|(h, _)| {
                h.eq_ignore_ascii_case("group")
                    || h.eq_ignore_ascii_case("assignedPlan")
                    || h.eq_ignore_ascii_case("item")
            })
        {
            return self.reject(
                Diagnostic::new(
                    Code::QuantifierMisuse,
                    span,
                    format!("`{name}` refers to a collection item outside `-any`/`-all`"),
                )
                .with_help(
                    "use it inside `user.proxyAddresses -any (...)` or a similar quantifier",
                ),
            );
        }
        let Some((head, prop)) = name.split_once('.') else {
            return self.reject(
                Diagnostic::new(
                    Code::MixedObjects,
                    span,
                    format!("`{name}` has no object prefix"),
                )
                .with_help(format!("write `user.{name}` or `device.{name}`")),
            );
        };
        let kind = if head.eq_ignore_ascii_case("user") {
            ObjectKind::User
        } else if head.eq_ignore_ascii_case("device") {
            ObjectKind::Device
        } else {
            let mut d =
                Diagnostic::new(Code::MixedObjects, span, format!("unknown object `{head}`"));
            d = d.with_help(match did_you_mean(head, ["user", "device"]) {
                Some(s) => {
                    format!("did you mean `{s}`? rules test `user.` or `device.` properties")
                }
                None => "rules test `user.` or `device.` properties".to_string(),
            });
            return self.reject(d);
        };
        match self.object {
            Some(existing) if existing != kind => {
                return self.reject(
                    Diagnostic::new(
                        Code::MixedObjects,
                        span,
                        format!("this rule already tests `{}.` properties; one rule cannot test both users and devices", existing.prefix()),
                    )
                    .with_help("split the rule into a user group and a device group"),
                );
            }
            _ => self.object = Some(kind),
        }
        if prop.eq_ignore_ascii_case("organizationalUnit") && kind == ObjectKind::Device {
            return self.reject(
                Diagnostic::new(
                    Code::UnknownProperty,
                    span,
                    "`device.organizationalUnit` must not be used in rules",
                )
                .with_help("Microsoft documents this property as unsupported for dynamic groups"),
            );
        }
        match self.schema.lookup(kind, prop) {
            Some(p) => {
                let ty = p.ty;
                Some((Target::Slot(self.slot(p)), ty))
            }
            None => {
                let mut d = Diagnostic::new(
                    Code::UnknownProperty,
                    span,
                    format!("`{}.{prop}` is not a supported property", kind.prefix()),
                );
                if prop.to_ascii_lowercase().starts_with("extension_") && prop.contains('-') {
                    d = d.with_help(
                        "write the application id of a custom extension without hyphens: `extension_<32 hex digits>_<name>`",
                    );
                } else if let Some(s) = did_you_mean(
                    prop,
                    self.schema.properties(kind).iter().map(|p| p.name.as_str()),
                ) {
                    d = d.with_help(format!("did you mean `{}.{s}`?", kind.prefix()));
                } else if self.schema.extensions {
                    d = d.with_help("custom attributes are written `extensionAttribute1`..`15` or `extension_<appId>_<name>`");
                }
                self.reject(d)
            }
        }
    }

    fn reject<T>(&mut self, d: Diagnostic) -> Option<T> {
        self.diagnostics.push(d);
        None
    }

    /// Builds the positive test for `property op value`, enforcing type rules.
    fn test(
        &mut self,
        name: &str,
        ty: PropType,
        op: RuleOp,
        op_span: Span,
        value: &RuleValue,
    ) -> Option<Test> {
        let (positive, _) = op.split_negation();
        let unsupported = |this: &mut Self, allowed: &str| {
            this.reject::<Test>(
                Diagnostic::new(
                    Code::UnsupportedOperator,
                    op_span,
                    format!(
                        "operator `{}` isn't supported on `{name}`, a {}",
                        op.as_str(),
                        ty.describe()
                    ),
                )
                .with_help(format!("a {} accepts {allowed}", ty.describe())),
            )
        };
        // Values that are never right.
        if let RuleValueKind::BareWord(word) = &value.node {
            return self.reject(
                Diagnostic::new(Code::UnquotedString, value.span, format!("`{word}` is not a value"))
                    .with_help(format!("string values need double quotes: `\"{word}\"`; comparing two properties is not supported")),
            );
        }
        // An empty string stands for null in the directory, so `-eq ""` is `-eq null`.
        let empty_string =
            matches!(&value.node, RuleValueKind::Str(s) if s.is_empty()) && positive == RuleOp::Eq;
        if matches!(value.node, RuleValueKind::Null)
            || (empty_string
                && !matches!(
                    ty,
                    PropType::Boolean | PropType::DateTime | PropType::Number
                ))
        {
            if positive != RuleOp::Eq {
                return self.reject(
                    Diagnostic::new(
                        Code::NullOperator,
                        op_span,
                        format!(
                            "`null` can only be compared with `-eq` or `-ne`, not `{}`",
                            op.as_str()
                        ),
                    )
                    .with_help(
                        "write `-eq null` for a missing value, `-ne null` for a present one",
                    ),
                );
            }
            if matches!(ty, PropType::ComplexCollection(_) | PropType::MemberOf) {
                return unsupported(self, "only `-any` and `-all`");
            }
            return Some(Test::IsNull);
        }
        let is_array = matches!(value.node, RuleValueKind::Array(_));
        if positive == RuleOp::In && !is_array {
            return self.reject(
                Diagnostic::new(
                    Code::ValueType,
                    value.span,
                    format!("`{}` needs a list of values", op.as_str()),
                )
                .with_help("write the values in brackets: `[\"a\", \"b\"]`"),
            );
        }
        if positive != RuleOp::In && is_array {
            return self.reject(
                Diagnostic::new(
                    Code::ValueType,
                    value.span,
                    format!("`{}` compares with one value, not a list", op.as_str()),
                )
                .with_help("use `-in` to test membership in a list"),
            );
        }
        match ty {
            PropType::Boolean => {
                if positive != RuleOp::Eq {
                    return unsupported(self, "only `-eq` and `-ne`");
                }
                match &value.node {
                    RuleValueKind::Bool(b) => Some(Test::Bool(*b)),
                    RuleValueKind::Str(s)
                        if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
                    {
                        Some(Test::Bool(s.eq_ignore_ascii_case("true")))
                    }
                    _ => self.reject(
                        Diagnostic::new(
                            Code::ValueType,
                            value.span,
                            format!("`{name}` is a boolean; compare it with `true` or `false`"),
                        )
                        .with_help("write `-eq true` or `-eq false`"),
                    ),
                }
            }
            PropType::DateTime | PropType::Number => {
                let ordering = matches!(
                    positive,
                    RuleOp::Eq | RuleOp::Lt | RuleOp::Le | RuleOp::Gt | RuleOp::Ge
                );
                if !ordering {
                    return unsupported(self, "`-eq`, `-ne`, `-lt`, `-le`, `-gt` and `-ge`");
                }
                // `-ne` is the negation of `-eq`; the others keep their own direction.
                let cmp = if positive == RuleOp::Eq {
                    RuleOp::Eq
                } else {
                    op
                };
                if ty == PropType::Number {
                    let n = match &value.node {
                        RuleValueKind::Number(n) => n.parse::<f64>().ok(),
                        RuleValueKind::Str(s) => s.trim().parse::<f64>().ok(),
                        _ => None,
                    };
                    return match n {
                        Some(n) => Some(Test::Number(cmp, n)),
                        None => self.reject(
                            Diagnostic::new(
                                Code::ValueType,
                                value.span,
                                format!("`{name}` is a number; this value is not"),
                            )
                            .with_help("write a number such as `42`"),
                        ),
                    };
                }
                let operand = match &value.node {
                    RuleValueKind::Now(d) => Some(DateOperand::Now(*d)),
                    RuleValueKind::DateTime(s) => parse_datetime_literal(s).map(DateOperand::Fixed),
                    RuleValueKind::Str(s) => crate::dotnet::datetime::parse(s)
                        .ok()
                        .map(DateOperand::Fixed),
                    _ => None,
                };
                match operand {
                    Some(o) => Some(Test::Date(cmp, o)),
                    None => self.reject(
                        Diagnostic::new(Code::ValueType, value.span, format!("`{name}` is a date-time; this value is not one"))
                            .with_help("write a date such as `2024-01-31T00:00:00Z`, or `system.now -minus P30D`"),
                    ),
                }
            }
            PropType::ComplexCollection(_) | PropType::MemberOf => {
                unsupported(self, "only `-any` and `-all`")
            }
            PropType::String | PropType::StringCollection => {
                if matches!(positive, RuleOp::Lt | RuleOp::Le | RuleOp::Gt | RuleOp::Ge) {
                    return unsupported(
                        self,
                        "`-eq`, `-ne`, `-startsWith`, `-endsWith`, `-contains`, `-match`, `-in` and their negations",
                    );
                }
                let text = |v: &RuleValue| -> Option<String> {
                    match &v.node {
                        RuleValueKind::Str(s) => Some(s.clone()),
                        RuleValueKind::Number(n) => Some(n.clone()),
                        RuleValueKind::Bool(b) => Some(b.to_string()),
                        RuleValueKind::DateTime(d) => Some(d.clone()),
                        _ => None,
                    }
                };
                if positive == RuleOp::In {
                    let RuleValueKind::Array(items) = &value.node else {
                        return None;
                    };
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        match text(item) {
                            Some(s) => out.push(s.to_lowercase()),
                            None => {
                                return self.reject(
                                    Diagnostic::new(
                                        Code::ValueType,
                                        item.span,
                                        "list items must be strings or numbers",
                                    )
                                    .with_help("write each item in double quotes"),
                                );
                            }
                        }
                    }
                    return Some(Test::In(out));
                }
                let Some(s) = text(value) else {
                    return self.reject(
                        Diagnostic::new(
                            Code::ValueType,
                            value.span,
                            format!("`{name}` is a string; this value is not one"),
                        )
                        .with_help("write the value in double quotes"),
                    );
                };
                Some(match positive {
                    RuleOp::StartsWith => Test::StartsWith(s.to_lowercase()),
                    RuleOp::EndsWith => Test::EndsWith(s.to_lowercase()),
                    RuleOp::Contains => Test::Contains(s.to_lowercase()),
                    RuleOp::Match => match NetRegex::new(
                        &s,
                        Options {
                            case_insensitive: true,
                        },
                    ) {
                        Ok(re) => Test::Match(Box::new(re)),
                        Err(e) => {
                            return self.reject(
                                Diagnostic::new(Code::RuleInvalidRegex, value.span, format!("invalid regular expression: {}", e.message))
                                    .with_help_opt(e.help.or_else(|| Some("`-match` takes a .NET regular expression; for a wildcard write `.*`".to_string()))),
                            );
                        }
                    },
                    _ => Test::Eq(s.to_lowercase()),
                })
            }
        }
    }
}

impl RuleProgram {
    /// The values of the rule's properties, by slot, from a JSON object of property name to
    /// value (`roster rule --input`): names match case-insensitively, an absent property is null.
    pub fn values_from_json(
        &self,
        input: &serde_json::Map<String, serde_json::Value>,
    ) -> Vec<crate::value::Value> {
        self.properties
            .iter()
            .map(|p| {
                input
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&p.name))
                    .map_or(crate::value::Value::Null, |(_, v)| {
                        crate::value::Value::from_json(v)
                    })
            })
            .collect()
    }

    /// Warnings for `roster rule --input`, each at the first condition that reads the property:
    /// a property the rule reads that the input lacks while it has a similar name (C209: the
    /// property is NULL, and the rule silently tests nothing), and an input value whose JSON
    /// type does not fit the property's type (C210: `"yes"` for a boolean never equals `true`).
    pub fn input_warnings(
        &self,
        text: &str,
        input: &serde_json::Map<String, serde_json::Value>,
    ) -> Vec<Diagnostic> {
        use serde_json::Value as Json;
        let mut out = Vec::new();
        for (slot, p) in self.properties.iter().enumerate() {
            let span = first_test_of(&self.root, slot).unwrap_or(Span::new(0, text.len()));
            let written = format!("{}.{}", self.object.prefix(), p.name);
            match input.iter().find(|(k, _)| k.eq_ignore_ascii_case(&p.name)) {
                Some((key, value)) => {
                    let fits = match (p.ty, value) {
                        (_, Json::Null) => true,
                        (PropType::Boolean, v) => v.is_boolean(),
                        (PropType::Number, v) => v.is_number(),
                        (PropType::String | PropType::DateTime, v) => v.is_string(),
                        (PropType::StringCollection, v) => {
                            v.is_string()
                                || v.as_array().is_some_and(|items| {
                                    items.iter().all(|i| i.is_string() || i.is_null())
                                })
                        }
                        (PropType::ComplexCollection(_), v) => v
                            .as_array()
                            .is_some_and(|items| items.iter().all(|i| i.is_object())),
                        (PropType::MemberOf, v) => v.is_array() || v.is_string(),
                    };
                    if !fits {
                        out.push(
                            Diagnostic::new(
                                Code::InputWrongType,
                                span,
                                format!(
                                    "the input's `{key}` is {}, but `{written}` is a {} property",
                                    json_kind(value),
                                    p.ty.describe()
                                ),
                            )
                            .with_help(match p.ty {
                                PropType::Boolean => {
                                    "write `true` or `false` without quotes".to_string()
                                }
                                PropType::Number => "write the number without quotes".to_string(),
                                _ => format!("give `{key}` a value of the property's type"),
                            }),
                        );
                    }
                }
                None => {
                    let Some(similar) = did_you_mean(&p.name, input.keys().map(String::as_str))
                    else {
                        continue;
                    };
                    out.push(
                        Diagnostic::new(
                            Code::InputPropertyMissing,
                            span,
                            format!("the input has no `{}`, so `{written}` is NULL", p.name),
                        )
                        .with_help(format!("the input's `{similar}` looks like the same property: correct its spelling")),
                    );
                }
            }
        }
        out
    }
}

/// How a JSON value is described in a message.
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The span of the first condition that reads a slot, in rule order.
fn first_test_of(node: &Node, slot: usize) -> Option<Span> {
    match node {
        Node::And(children) | Node::Or(children) => {
            children.iter().find_map(|c| first_test_of(c, slot))
        }
        Node::Not(child) => first_test_of(child, slot),
        Node::Test { target, span, .. } => (*target == Target::Slot(slot)).then_some(*span),
        Node::Quantified { body, .. } => first_test_of(body, slot),
        Node::DirectReports { .. } => None,
    }
}
