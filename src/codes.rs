//! The registry of diagnostic codes: every code Roster emits, once, with its severity, a
//! summary, and a bad and a good example that the test suite checks (each bad example must
//! produce exactly its code; each good example nothing).
//!
//! Codes carry their stage in the first letter and are never reused:
//! `S` syntax, `C` check (names and types), `E` evaluation, `D` data files (`D1xx` HR exports,
//! `D2xx` actual-state exports),
//! `Y` reading YAML policy files.
//! `docs/diagnostics.md` is generated from this table (`roster codes --markdown`), and a test
//! keeps it current.

use crate::diagnostics::Severity;

mod explain;
pub use explain::{explanation, stage};

/// Which language an example is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// An attribute-mapping expression (`roster expr`).
    Expr,
    /// A membership rule (`roster rule`).
    Rule,
    /// A whole YAML policy file (`roster lint`), checked for its shape only.
    Yaml,
    /// A policy set (`roster lint`): one YAML text, split into files at lines
    /// `# file: NAME`, checked, linked and linted.
    Policy,
    /// A policy set with its data files (`roster eval`), split like [`Lang::Policy`],
    /// evaluated as of 2026-01-15.
    Eval,
    /// A data file (an HR export) read by [`crate::ingest::read`]: the text is the file's
    /// content, the input the source declaration (YAML), and `existing`, when not `[]`, the
    /// manager field (a JSON string) whose references [`crate::ingest::manager_issues`] checks.
    Data,
    /// A policy set with test files (`roster test`), split like [`Lang::Policy`] (test files
    /// are the `*.test.yaml` among them), run without `--as-of`: the codes of the checks, and
    /// `E200`/`E204` for each failing test.
    Test,
    /// An actual-state export read by [`crate::actual::read`]: the text holds its files, each
    /// after a line `# file: NAME`; the input is the read options (JSON) with `path`, the file
    /// or directory read (and `members`, a directory, relative to the same place).
    Actual,
    /// A previous desired state (`--previous FILE`) read by
    /// [`crate::governance::previous::read`]: the text is the file; the input (JSON) its
    /// `file` name (`.jsonl` for JSON Lines), an optional byte `limit`, and an optional
    /// `as_of` date it must be earlier than.
    Previous,
    /// A policy set with its data and actual-state exports (`roster plan`), split like
    /// [`Lang::Policy`], planned as of 2026-01-15.
    Plan,
}

/// An example input for a code's documentation.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// The language.
    pub lang: Lang,
    /// The expression, rule or whole YAML document.
    pub text: &'static str,
    /// The `--input` object, as JSON; for YAML examples, the [`crate::yaml::Limits`] that differ
    /// from the defaults, as JSON.
    pub input: &'static str,
    /// The `--existing` values, as JSON (expressions only); for data examples, the manager
    /// field as a JSON string, or `[]`.
    pub existing: &'static str,
}

const fn expr(text: &'static str) -> Example {
    Example {
        lang: Lang::Expr,
        text,
        input: "{}",
        existing: "[]",
    }
}

const fn expr_with(text: &'static str, input: &'static str, existing: &'static str) -> Example {
    Example {
        lang: Lang::Expr,
        text,
        input,
        existing,
    }
}

const fn rule(text: &'static str) -> Example {
    Example {
        lang: Lang::Rule,
        text,
        input: "{}",
        existing: "[]",
    }
}

const fn rule_with(text: &'static str, input: &'static str) -> Example {
    Example {
        lang: Lang::Rule,
        text,
        input,
        existing: "[]",
    }
}

const fn yaml(text: &'static str) -> Example {
    Example {
        lang: Lang::Yaml,
        text,
        input: "{}",
        existing: "[]",
    }
}

const fn policy(text: &'static str) -> Example {
    Example {
        lang: Lang::Policy,
        text,
        input: "{}",
        existing: "[]",
    }
}

const fn evaluated(text: &'static str) -> Example {
    Example {
        lang: Lang::Eval,
        text,
        input: "{}",
        existing: "[]",
    }
}

const fn evaluated_with(text: &'static str, limits: &'static str) -> Example {
    Example {
        lang: Lang::Eval,
        text,
        input: limits,
        existing: "[]",
    }
}

const fn yaml_with_limits(text: &'static str, limits: &'static str) -> Example {
    Example {
        lang: Lang::Yaml,
        text,
        input: limits,
        existing: "[]",
    }
}

const fn data(text: &'static str, source: &'static str) -> Example {
    Example {
        lang: Lang::Data,
        text,
        input: source,
        existing: "[]",
    }
}

const fn data_with_manager(
    text: &'static str,
    source: &'static str,
    manager_field: &'static str,
) -> Example {
    Example {
        lang: Lang::Data,
        text,
        input: source,
        existing: manager_field,
    }
}

const fn tested(text: &'static str) -> Example {
    Example {
        lang: Lang::Test,
        text,
        input: "{}",
        existing: "[]",
    }
}

const fn previous(text: &'static str, options: &'static str) -> Example {
    Example {
        lang: Lang::Previous,
        text,
        input: options,
        existing: "[]",
    }
}
const fn actual(text: &'static str, options: &'static str) -> Example {
    Example {
        lang: Lang::Actual,
        text,
        input: options,
        existing: "[]",
    }
}

const fn planned(text: &'static str) -> Example {
    Example {
        lang: Lang::Plan,
        text,
        input: "{}",
        existing: "[]",
    }
}

/// The read options of most actual-state examples: Graph users from one file.
const GRAPH_USERS: &str = r#"{"path": "users.json"}"#;

/// The source declaration of most data examples.
const PEOPLE_CSV: &str = "format: csv\npath: people.csv\nkey: id\nfields:\n  id: string\n  name: string\n  hired: datetime\n  manager: string\n";

/// Everything the registry knows about one code.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    /// The code.
    pub code: Code,
    /// A kebab-case name.
    pub name: &'static str,
    /// One line: what it means.
    pub summary: &'static str,
    /// Input that produces exactly this code.
    pub bad: Example,
    /// The corrected input, which produces no diagnostic.
    pub good: Example,
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $sev:ident, $name:literal, $summary:literal, $bad:expr, $good:expr; )*) => {
        /// A diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(
                #[doc = $summary]
                $variant,
            )*
        }

        /// All codes, in order.
        pub const ALL: &[CodeInfo] = &[
            $( CodeInfo { code: Code::$variant, name: $name, summary: $summary, bad: $bad, good: $good }, )*
        ];

        impl Code {
            /// The code as written in output, e.g. `S101`.
            pub const fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// The default severity.
            pub const fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }
        }
    };
}

codes! {
    // ---- S1xx: mapping-expression syntax ----
    ExprSyntax = "S101", Error, "expression-syntax",
        "the expression does not follow the grammar",
        expr(r#"Join(" ", [givenName] [surname])"#),
        expr(r#"Join(" ", [givenName], [surname])"#);
    IntegerRange = "S102", Error, "integer-out-of-range",
        "an integer literal does not fit in 64 bits",
        expr("Left([x], 99999999999999999999)"),
        expr("Left([x], 9)");
    UnknownEscape = "S103", Warning, "unknown-escape",
        "a backslash in a string escapes something other than `\"` or `\\`; it is kept as written",
        expr(r#"Replace([x], , "\d+", , "", , )"#),
        expr(r#"Replace([x], , "\\d+", , "", , )"#);
    ExprTooDeep = "S104", Error, "expression-too-deep",
        "the expression nests function calls deeper than the limit (64)",
        expr(include_str!("codes/deep.txt")),
        expr("StripSpaces([x])");

    // ---- S2xx: membership-rule syntax ----
    RuleSyntax = "S201", Error, "rule-syntax",
        "the rule does not follow the grammar",
        rule(r#"user.department -eq ("Sales""#),
        rule(r#"user.department -eq "Sales""#);
    MissingJoin = "S202", Error, "missing-and-or",
        "two conditions follow each other without `-and` or `-or`",
        rule(r#"user.department -eq "Sales" user.country -eq "DE""#),
        rule(r#"user.department -eq "Sales" -and user.country -eq "DE""#);
    RuleTooLong = "S203", Error, "rule-too-long",
        "the rule is longer than Entra's limit of 3,072 characters",
        rule(concat!("user.department -in [", include_str!("codes/long_list.txt"), "]")),
        rule(r#"user.department -in ["Sales", "Marketing"]"#);
    InvalidDuration = "S204", Error, "invalid-duration",
        "a `system.now -plus`/`-minus` duration is not an ISO 8601 duration",
        rule("user.employeeHireDate -ge system.now -plus 1d"),
        rule("user.employeeHireDate -ge system.now -plus P1D");
    InvalidDateLiteral = "S205", Error, "invalid-date-literal",
        "a date-time literal names a date or time that does not exist",
        rule("user.employeeHireDate -ge 2020-02-30T00:00:00Z"),
        rule("user.employeeHireDate -ge 2020-02-28T00:00:00Z");
    UnquotedString = "S206", Error, "unquoted-string",
        "a string value is not in double quotes",
        rule("user.department -eq Sales"),
        rule(r#"user.department -eq "Sales""#);
    NotAsComparison = "S207", Error, "not-as-comparison",
        "`-not` is used as a comparison operator (for null, write `-ne null`)",
        rule("user.mail -not null"),
        rule("user.mail -ne null");

    // ---- C1xx: mapping-expression checks ----
    UnknownFunction = "C101", Error, "unknown-function",
        "the function does not exist",
        expr("Joinn(\",\", [a], [b])"),
        expr("Join(\",\", [a], [b])");
    ArgumentCount = "C102", Error, "argument-count",
        "the function is called with too few or too many arguments",
        expr(r#"Left("John Doe")"#),
        expr(r#"Left("John Doe", 3)"#);
    MissingArgument = "C103", Error, "missing-argument",
        "a required argument is left empty",
        expr(r#"Mid([givenName], , 3)"#),
        expr(r#"Mid([givenName], 1, 3)"#);
    InvalidArgument = "C104", Error, "invalid-argument",
        "a constant argument has a value the function cannot accept",
        expr(r#"DateAdd("days", 7, "2012-03-16")"#),
        expr(r#"DateAdd("d", 7, "2012-03-16")"#);
    UnknownIdentifier = "C105", Error, "unknown-identifier",
        "a bare word is neither an enum constant nor a keyword",
        expr(r#"InStr("abc", "b", 1, vbTextCompar)"#),
        expr(r#"InStr("abc", "b", 1, vbTextCompare)"#);
    InvalidRegex = "C106", Error, "invalid-regex",
        "a regular expression is invalid, or uses .NET features Roster cannot honour",
        expr(r#"Replace([x], , "*@contoso.com", , "", , )"#),
        expr(r#"Replace([x], , ".*@contoso.com", , "", , )"#);
    NestedSelectUniqueValue = "C107", Error, "nested-select-unique-value",
        "`SelectUniqueValue` is not the outermost function of the expression",
        expr(r#"ToLower(SelectUniqueValue([a], [b]))"#),
        expr_with(r#"SelectUniqueValue(ToLower([a]), ToLower([b]))"#, r#"{"a": "JDoe", "b": "JoDoe"}"#, "[]");
    FunctionCase = "C108", Warning, "function-name-case",
        "a function name is written in a different case than Entra documents it",
        expr(r#"switch([a], "x", "1", "y")"#),
        expr(r#"Switch([a], "x", "1", "y")"#);
    ComparisonNotAllowed = "C109", Error, "misplaced-comparison",
        "a comparison (`=`, `<>`, `<`...) stands outside the condition of `IIF`, `CBool` or `Not`",
        expr(r#"Join(",", [a] = [b])"#),
        expr(r#"IIF([a] = [b], "same", "different")"#);
    IgnoreFlowMisplaced = "C110", Error, "misplaced-ignore-flow",
        "`IgnoreAttributeFlow` or `IgnoreObjectFlow` is used where its value would be consumed",
        expr(r#"Join(",", IgnoreAttributeFlow)"#),
        expr(r#"IIF([a] = "x", IgnoreAttributeFlow, [a])"#);
    InputAttributeMissing = "C111", Warning, "input-attribute-missing",
        "`roster expr`: an attribute the expression reads is not in `--input`, which has a name that differs only in case or by a typo; the attribute is NULL",
        expr_with("Join(\" \", [FirstNmae], [LastName])", r#"{"FirstName": "John", "LastName": "Smith"}"#, "[]"),
        expr_with("Join(\" \", [FirstName], [LastName])", r#"{"FirstName": "John", "LastName": "Smith"}"#, "[]");

    // ---- C2xx: membership-rule checks ----
    UnknownProperty = "C201", Error, "unknown-property",
        "the property is not supported in membership rules",
        rule(r#"user.departmnet -eq "Sales""#),
        rule(r#"user.department -eq "Sales""#);
    UnsupportedOperator = "C202", Error, "unsupported-operator",
        "the operator is not supported on this property's type",
        rule("user.accountEnabled -contains true"),
        rule("user.accountEnabled -eq true");
    NullOperator = "C203", Error, "null-operator",
        "`null` is compared with an operator other than `-eq` or `-ne`",
        rule("user.mail -startsWith null"),
        rule("user.mail -ne null");
    RuleInvalidRegex = "C204", Error, "rule-invalid-regex",
        "the pattern of `-match`/`-notMatch` is not a valid regular expression",
        rule(r#"user.mail -match "*@contoso.com""#),
        rule(r#"user.mail -match ".*@contoso.com""#);
    ValueType = "C205", Error, "value-type",
        "the value does not fit the operator or the property's type",
        rule(r#"user.department -in "Sales""#),
        rule(r#"user.department -in ["Sales"]"#);
    MixedObjects = "C206", Error, "mixed-objects",
        "a rule mixes `user.` and `device.` properties, or uses an unknown object prefix",
        rule(r#"user.department -eq "Sales" -and device.deviceOSType -eq "Windows""#),
        rule(r#"user.department -eq "Sales""#);
    WholeRuleCombined = "C207", Error, "whole-rule-combined",
        "a `memberOf` rule is combined with other conditions",
        rule(r#"user.memberOf -any (group.objectId -in ['b1c3d2e4-0000-4000-8000-000000000001']) -and user.department -eq "Sales""#),
        rule(r#"user.memberOf -any (group.objectId -in ['b1c3d2e4-0000-4000-8000-000000000001'])"#);
    QuantifierMisuse = "C208", Error, "quantifier-misuse",
        "`-any`/`-all` is applied to a single-valued property, or an item reference is used outside one",
        rule(r#"user.department -any (_ -eq "Sales")"#),
        rule(r#"user.proxyAddresses -any (_ -startsWith "smtp:")"#);
    InputPropertyMissing = "C209", Warning, "input-property-missing",
        "`roster rule`: a property the rule reads is not in `--input`, which has a similar name; the property is NULL",
        rule_with(r#"user.department -eq "Sales""#, r#"{"departmnet": "Sales"}"#),
        rule_with(r#"user.department -eq "Sales""#, r#"{"Department": "Sales"}"#);
    InputWrongType = "C210", Warning, "input-wrong-type",
        "`roster rule`: an `--input` value has the wrong JSON type for the property the rule reads (`\"yes\"` for a boolean)",
        rule_with("user.accountEnabled -eq true", r#"{"accountEnabled": "yes"}"#),
        rule_with("user.accountEnabled -eq true", r#"{"accountEnabled": true}"#);

    // ---- E1xx: evaluation ----
    NoUniqueValue = "E101", Error, "no-unique-value",
        "every candidate of `SelectUniqueValue` is already taken",
        expr_with(r#"SelectUniqueValue([a], [b])"#, r#"{"a": "jdoe", "b": "jodoe"}"#, r#"["jdoe", "jodoe"]"#),
        expr_with(r#"SelectUniqueValue([a], [b])"#, r#"{"a": "jdoe", "b": "jodoe"}"#, r#"["jdoe"]"#);
    NotADate = "E102", Error, "not-a-date",
        "a value given to a date function is not a date",
        expr_with(r#"DateAdd("d", 1, CDate([hire]))"#, r#"{"hire": "next monday"}"#, "[]"),
        expr_with(r#"DateAdd("d", 1, CDate([hire]))"#, r#"{"hire": "2024-03-04"}"#, "[]");
    NotANumber = "E103", Error, "not-a-number",
        "a value given where a number belongs is not a number",
        expr_with(r#"Left([name], [n])"#, r#"{"name": "John", "n": "three"}"#, "[]"),
        expr_with(r#"Left([name], [n])"#, r#"{"name": "John", "n": "3"}"#, "[]");
    RegexLimit = "E104", Error, "regex-limit",
        "a regular expression that needs the backtracking engine went over its budget on a value: 100,000 steps per search, 4,096 bytes of input, 1 s per value",
        expr_with(r#"Replace([x], , "(?:a(?=a)|a)+(?=b)", , "", , )"#, r#"{"x": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaac"}"#, "[]"),
        expr_with(r#"Replace([x], , "a+(?=b)", , "", , )"#, r#"{"x": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaac"}"#, "[]");
    MultiValued = "E105", Error, "multi-valued",
        "a multi-valued attribute is given where one value belongs",
        expr_with(r#"ToUpper([proxyAddresses])"#, r#"{"proxyAddresses": ["a", "b"]}"#, "[]"),
        expr_with(r#"ToUpper(Item([proxyAddresses], 1))"#, r#"{"proxyAddresses": ["a", "b"]}"#, "[]");
    InvalidValue = "E106", Error, "invalid-value",
        "a value computed at run time is not acceptable to the function that receives it",
        expr_with(r#"Item([proxyAddresses], [i])"#, r#"{"proxyAddresses": ["a", "b"], "i": "0"}"#, "[]"),
        expr_with(r#"Item([proxyAddresses], [i])"#, r#"{"proxyAddresses": ["a", "b"], "i": "1"}"#, "[]");
    LifecycleUnknown = "E120", Error, "lifecycle-unknown",
        "an identity's lifecycle cannot be determined (hire date missing or not a date, leave date not a date, status empty or not listed): no account is enabled, no access granted, and its accounts are held as they are",
        evaluated(include_str!("../tests/eval/E120/bad.yaml")),
        evaluated(include_str!("../tests/eval/E120/good.yaml"));
    LeaverWithoutLeaveDate = "E121", Warning, "leaver-without-leave-date",
        "an identity's status means leaver but no leave date has passed: the account is disabled and kept, and retention cannot start",
        evaluated(include_str!("../tests/eval/E121/bad.yaml")),
        evaluated(include_str!("../tests/eval/E121/good.yaml"));
    EnableAttributeOverridden = "E122", Warning, "enable-attribute-overridden",
        "a target's enable/disable attribute says enabled (or neither) for an account that is disabled: it is written as disabled, so the report and the attribute agree",
        evaluated(include_str!("../tests/eval/E122/bad.yaml")),
        evaluated(include_str!("../tests/eval/E122/good.yaml"));
    StaticMemberWithoutAccount = "E123", Warning, "static-member-without-account",
        "a static group lists an identity that has no account on the as-of date: it is not a member",
        evaluated(include_str!("../tests/eval/E123/bad.yaml")),
        evaluated(include_str!("../tests/eval/E123/good.yaml"));
    UndeterminedMembership = "E130", Error, "undetermined-membership",
        "a membership rule or a target's scoping filter cannot be decided for one identity (a regular expression cannot match its value exactly as .NET would, or needs more steps than the limit): that identity is not a member and gets no account, and what depends on it is undetermined too; everyone else is decided",
        evaluated(include_str!("../tests/eval/E130/bad.yaml")),
        evaluated(include_str!("../tests/eval/E130/good.yaml"));

    ValueTooLarge = "E110", Error, "value-too-large",
        "a function would produce a string over 1 MiB or more than 10,000 values (the budget of a computed value)",
        expr_with(r#"Replace(Replace(Replace([x], , ".", , "$_$_$_$_", , ), , ".", , "$_$_$_$_", , ), , ".", , "$_$_$_$_", , )"#, r#"{"x": "ab"}"#, "[]"),
        expr_with(r#"Replace(Replace([x], , ".", , "$_$_$_$_", , ), , ".", , "$_$_$_$_", , )"#, r#"{"x": "ab"}"#, "[]");

    // ---- E2xx: evaluation findings ----
    SeparationOfDuties = "E201", Warning, "separation-of-duties",
        "an identity holds access packages (or a package and a group) declared incompatible; located at the declaration; an error when a declaring package says `separation_of_duties: error` or under `eval --deny-conflicts`",
        evaluated(include_str!("../tests/eval/E201/bad.yaml")),
        evaluated(include_str!("../tests/eval/E201/good.yaml"));
    AmbiguousCorrelation = "E202", Warning, "ambiguous-correlation",
        "a record correlates with a person who already has a record in the same source",
        evaluated(include_str!("../tests/eval/E202/bad.yaml")),
        evaluated(include_str!("../tests/eval/E202/good.yaml"));

    UnknownMember = "E203", Warning, "unknown-member",
        "a static group lists a member that is not an identity",
        evaluated(include_str!("../tests/eval/E203/bad.yaml")),
        evaluated(include_str!("../tests/eval/E203/good.yaml"));

    ReviewDecisionUnknownReviewee = "E160", Error, "review-decision-unknown-reviewee",
        "a recorded review decision names a reviewee that is not an identity (a static member of the reviewed group is reported at the group instead, `E203`): it takes no effect; located at the decision",
        evaluated(include_str!("../tests/eval/E160/bad.yaml")),
        evaluated(include_str!("../tests/eval/E160/good.yaml"));
    ReviewDecisionOutOfScope = "E161", Error, "review-decision-out-of-scope",
        "a recorded review decision names a reviewee who is not in the review's scope (a group's static members, when eval evaluates the fold): it takes no effect; located at the decision",
        evaluated(include_str!("../tests/eval/E161/bad.yaml")),
        evaluated(include_str!("../tests/eval/E161/good.yaml"));
    ReviewDecisionReviewerNotAllowed = "E162", Error, "review-decision-reviewer-not-allowed",
        "a recorded review decision was taken by someone the review does not allow to decide for that reviewee (not the manager, not the reviewee for a self-review, not an owner, not the named user, not a member of the reviewing group; fallback reviewers only when the reviewers name nobody): it takes no effect; located at the decision",
        evaluated(include_str!("../tests/eval/E162/bad.yaml")),
        evaluated(include_str!("../tests/eval/E162/good.yaml"));

    // ---- E200, E204: test results (`roster test`) ----
    TestFailed = "E200", Error, "test-failed",
        "an expectation of a test does not hold: located at the expectation, with what was expected and what the evaluation gave",
        tested(include_str!("../tests/testing/E200/bad.yaml")),
        tested(include_str!("../tests/testing/E200/good.yaml"));
    TestCouldNotRun = "E204", Error, "test-could-not-run",
        "a test's fixtures could not be evaluated (a data problem stops evaluation, such as every source being empty)",
        tested(include_str!("../tests/testing/E204/bad.yaml")),
        tested(include_str!("../tests/testing/E204/good.yaml"));

    // ---- D1xx: data ----
    DataUnreadable = "D101", Error, "unreadable-data",
        "a data file cannot be read or parsed, or a record in it is malformed (the record is skipped)",
        data("id,name,hired,manager\n1,\"Jensen, Barbara,2020-01-01,\n", PEOPLE_CSV),
        data("id,name,hired,manager\n1,\"Jensen, Barbara\",2020-01-01,\n", PEOPLE_CSV);
    DataValueType = "D102", Error, "value-not-of-declared-type",
        "a value does not parse as its field's declared type; the record keeps NULL in that field",
        data("id,name,hired,manager\n1,Barbara Jensen,next monday,\n", PEOPLE_CSV),
        data("id,name,hired,manager\n1,Barbara Jensen,2024-03-04,\n", PEOPLE_CSV);
    DataDuplicateKey = "D103", Error, "duplicate-record-key",
        "two records have the same key: refused (the first is kept, the run fails), or with `duplicates: latest` a warning saying which record was kept",
        data("id,name,hired,manager\n1,Barbara Jensen,2020-01-01,\n1,Jane Doe,2021-05-01,\n", PEOPLE_CSV),
        data("id,name,hired,manager\n1,Barbara Jensen,2020-01-01,\n2,Jane Doe,2021-05-01,\n", PEOPLE_CSV);
    DataMissingKey = "D104", Error, "missing-record-key",
        "a record has no value in its key field and is skipped",
        data("id,name,hired,manager\n,Barbara Jensen,2020-01-01,\n", PEOPLE_CSV),
        data("id,name,hired,manager\n1,Barbara Jensen,2020-01-01,\n", PEOPLE_CSV);
    DataMissingField = "D105", Error, "missing-field",
        "a declared field is not in the file: not in the CSV header (an error), or in no JSON or SCIM record (a warning)",
        data("id,name,hire_date,manager\n1,Barbara Jensen,2020-01-01,\n", PEOPLE_CSV),
        data("id,name,hired,manager\n1,Barbara Jensen,2020-01-01,\n", PEOPLE_CSV);
    DataDanglingManager = "D106", Warning, "unknown-manager",
        "a manager reference is not the key of any record of the source",
        data_with_manager("id,name,hired,manager\n1,Barbara Jensen,2020-01-01,\n2,Jane Doe,2021-05-01,9\n", PEOPLE_CSV, "\"manager\""),
        data_with_manager("id,name,hired,manager\n1,Barbara Jensen,2020-01-01,\n2,Jane Doe,2021-05-01,1\n", PEOPLE_CSV, "\"manager\"");
    DataSelfManager = "D107", Warning, "own-manager",
        "a record names itself as its manager",
        data_with_manager("id,name,hired,manager\n1,Barbara Jensen,2020-01-01,1\n", PEOPLE_CSV, "\"manager\""),
        data_with_manager("id,name,hired,manager\n1,Barbara Jensen,2020-01-01,\n", PEOPLE_CSV, "\"manager\"");
    DataManagerCycle = "D108", Error, "manager-cycle",
        "managers form a cycle (a manages b, b manages a), so the chain has no top",
        data_with_manager("id,name,hired,manager\n1,Barbara Jensen,2020-01-01,2\n2,Jane Doe,2021-05-01,1\n", PEOPLE_CSV, "\"manager\""),
        data_with_manager("id,name,hired,manager\n1,Barbara Jensen,2020-01-01,\n2,Jane Doe,2021-05-01,1\n", PEOPLE_CSV, "\"manager\"");
    DataScimOperation = "D109", Error, "scim-operation",
        "a SCIM bulk request has an operation Entra's inbound provisioning does not take (a method other than `POST`, a path other than `/Users`, no `data`), or a missing or repeated `bulkId` (a warning)",
        data(r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [{"method": "PATCH", "bulkId": "1", "path": "/Users", "data": {"externalId": "701984", "userName": "bjensen"}}]}"#,
            "format: scim\npath: users.json\nkey: externalId\nfields:\n  externalId: string\n  userName: string\n"),
        data(r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [{"method": "POST", "bulkId": "1", "path": "/Users", "data": {"externalId": "701984", "userName": "bjensen"}}]}"#,
            "format: scim\npath: users.json\nkey: externalId\nfields:\n  externalId: string\n  userName: string\n");
    DataRepeatedMember = "D110", Error, "repeated-member",
        "a JSON object has the same member twice (in SCIM, also in another case): the field it feeds is left empty (NULL) and a record whose key it is is skipped; a repeated member that no declared field reads is a warning",
        data(r#"[{"id": "1", "name": "Barbara Jensen", "name": "Jane Doe"}]"#,
            "format: json\npath: people.json\nkey: id\nfields:\n  id: string\n  name: string\n"),
        data(r#"[{"id": "1", "name": "Barbara Jensen"}]"#,
            "format: json\npath: people.json\nkey: id\nfields:\n  id: string\n  name: string\n");
    DataScimShape = "D111", Error, "scim-attribute-shape",
        "a SCIM attribute does not have the shape its path or the SCIM schema gives it (a string where a multi-valued attribute's array of objects belongs, a scalar where a sub-attribute is read): the field is left empty (NULL)",
        data(r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [{"method": "POST", "bulkId": "1", "path": "/Users", "data": {"externalId": "701984", "emails": "bjensen@example.com"}}]}"#,
            "format: scim\npath: users.json\nkey: externalId\nfields:\n  externalId: string\n  'emails[type eq \"work\"].value': string\n"),
        data(r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [{"method": "POST", "bulkId": "1", "path": "/Users", "data": {"externalId": "701984", "emails": [{"value": "bjensen@example.com", "type": "work"}]}}]}"#,
            "format: scim\npath: users.json\nkey: externalId\nfields:\n  externalId: string\n  'emails[type eq \"work\"].value': string\n");
    AssignmentDataRefused = "D235", Warning, "assignment-refused",
        "an assignment record does not match the data, so it grants nothing: its requestor is not an identity or not a member of the policy's requestor groups, or an approver is not the requestor's manager or a member of the stage's groups",
        evaluated(include_str!("../tests/eval/D235/bad.yaml")),
        evaluated(include_str!("../tests/eval/D235/good.yaml"));
    AssignmentConflict = "D236", Warning, "assignment-incompatible",
        "an assignment record is refused by separation of duties: the person holds a package, or is a member of a group, that the record's package is incompatible with (Entra blocks such a request)",
        evaluated(include_str!("../tests/eval/D236/bad.yaml")),
        evaluated(include_str!("../tests/eval/D236/good.yaml"));
    DataSourceUnusable = "D112", Error, "source-unusable",
        "a source is missing, cannot be read, or yields no records (unless it is declared `optional: true`, which allows no records): `eval` and `explain` do not run (exit 2), since a report without that source's people would be wrong",
        evaluated(include_str!("../tests/eval/D112/bad.yaml")),
        evaluated(include_str!("../tests/eval/D112/good.yaml"));

    DataNotAFile = "D120", Error, "data-not-a-file",
        "a source's `path` names a directory, a named pipe, a device or anything else than a regular file, which is not read",
        evaluated(include_str!("../tests/eval/D120/bad.yaml")),
        evaluated(include_str!("../tests/eval/D120/good.yaml"));
    DataTooLarge = "D121", Error, "data-too-large",
        "a data file is larger than the limit (1 GiB unless `--max-data-size` says otherwise), and is not read",
        evaluated_with(include_str!("../tests/eval/D121/bad.yaml"), r#"{"max_data_bytes": 64}"#),
        evaluated_with(include_str!("../tests/eval/D121/good.yaml"), r#"{"max_data_bytes": 64}"#);

    // ---- D23x: the previous desired state (`--previous`) ----
    PreviousUnreadable = "D230", Error, "previous-state-unreadable",
        "the previous state (`--previous FILE`) cannot be read: missing, not a regular file, or larger than the size limit (`--max-data-size`); the command does not run",
        previous("{\"as_of\": \"2026-01-14\", \"identities\": [{\"key\": \"1001\", \"lifecycle\": \"active\"}]}\n", r#"{"file": "previous.json", "limit": 32}"#),
        previous("{\"as_of\": \"2026-01-14\", \"identities\": []}\n", r#"{"file": "previous.json", "limit": 64}"#);
    PreviousMalformed = "D231", Error, "previous-state-malformed",
        "the previous state is not a report `eval` wrote (`--format json` or `jsonl`): JSON syntax, an identity without a `key`, a value of the wrong type, no `as_of` date; the line is given, and the command does not run",
        previous("{\"type\": \"summary\", \"as_of\": \"2026-01-14\"}\n{\"type\": \"identity\", \"key\": \"1001\", \"groups\": \"sales\"}\n", r#"{"file": "previous.jsonl"}"#),
        previous("{\"type\": \"summary\", \"as_of\": \"2026-01-14\"}\n{\"type\": \"identity\", \"key\": \"1001\", \"groups\": [\"sales\"]}\n", r#"{"file": "previous.jsonl"}"#);
    PreviousDuplicate = "D232", Error, "previous-state-duplicate",
        "an identity appears twice in the previous state, which `eval` never writes: the file was edited or concatenated, and the command does not run",
        previous("{\"type\": \"summary\", \"as_of\": \"2026-01-14\"}\n{\"type\": \"identity\", \"key\": \"1001\"}\n{\"type\": \"identity\", \"key\": \"1001\"}\n", r#"{"file": "previous.jsonl"}"#),
        previous("{\"type\": \"summary\", \"as_of\": \"2026-01-14\"}\n{\"type\": \"identity\", \"key\": \"1001\"}\n{\"type\": \"identity\", \"key\": \"1002\"}\n", r#"{"file": "previous.jsonl"}"#);
    PreviousNotEarlier = "D233", Error, "previous-state-not-earlier",
        "the previous state's `as_of` date is not before the as-of date, so nothing can have changed since: the command does not run",
        previous("{\"as_of\": \"2026-01-15\", \"identities\": []}\n", r#"{"file": "previous.json", "as_of": "2026-01-15"}"#),
        previous("{\"as_of\": \"2026-01-14\", \"identities\": []}\n", r#"{"file": "previous.json", "as_of": "2026-01-15"}"#);
    NoPreviousState = "D234", Warning, "no-previous-state",
        "a workflow has an attribute-change or group-membership trigger but no previous state was given (`--previous FILE`): changes cannot be seen, so it does not run; said once on standard error by `eval`, not in the report",
        evaluated(include_str!("../tests/eval/D234/bad.yaml")),
        evaluated(include_str!("../tests/eval/D234/good.yaml"));
    NoPreviousGrace = "D237", Warning, "no-previous-grace",
        "an access package's auto-assignment has a grace period but no previous state was given (`--previous FILE`): who held the package by its rule is not known, so access ends the day the rule stops matching; said once on standard error, not in the report",
        evaluated(include_str!("../tests/eval/D237/bad.yaml")),
        evaluated(include_str!("../tests/eval/D237/good.yaml"));
    CarriedUnreadable = "D238", Error, "carried-effect-unreadable",
        "an entry of an identity's `carried_effects` in the previous state cannot be read (an unknown `what` or `effect`, parts that do not fit together, a missing `workflow`, a date that is not one or is after the state's own date, an unknown field): a carried effect may remove access or disable an account, so it is neither applied nor dropped, and the command does not run; the line is given",
        previous("{\"type\": \"summary\", \"as_of\": \"2026-01-14\"}\n{\"type\": \"identity\", \"key\": \"1001\", \"carried_effects\": [{\"what\": \"package\", \"effect\": \"revoked\", \"name\": \"production-admin\", \"workflow\": \"mover\", \"date\": \"2026-01-13\"}]}\n", r#"{"file": "previous.jsonl"}"#),
        previous("{\"type\": \"summary\", \"as_of\": \"2026-01-14\"}\n{\"type\": \"identity\", \"key\": \"1001\", \"carried_effects\": [{\"what\": \"package\", \"effect\": \"removed\", \"name\": \"production-admin\", \"workflow\": \"mover\", \"date\": \"2026-01-13\"}]}\n", r#"{"file": "previous.jsonl"}"#);
    CarriedUnknown = "D239", Warning, "carried-effect-unknown",
        "the previous state carries the effect of a change-triggered workflow run on a group or access package the policy no longer has: it is dropped (nothing is granted, nothing removed); the identity and the line are given",
        evaluated(include_str!("../tests/eval/D239/bad.yaml")),
        evaluated(include_str!("../tests/eval/D239/good.yaml"));

    // ---- D2xx: actual-state exports ----
    ActualUnreadable = "D201", Error, "unreadable-export",
        "an actual-state export cannot be read: missing, not a regular file, a symbolic link in an export directory, larger than the byte limit, not UTF-8 or UTF-16 text, or a directory without export files",
        actual("# file: export/notes.txt\nexported on monday\n", r#"{"path": "export"}"#),
        actual("# file: export/page-1.json\n{\"value\": []}\n", r#"{"path": "export"}"#);
    ActualMalformed = "D202", Error, "malformed-export",
        "an export, or an object in it, is not written as its format says (JSON syntax, an LDIF line, a CSV row of the wrong width, a response without its parts); what cannot be read is skipped",
        actual("# file: users.json\n{\"value\": [{\"id\": \"0b4e8f2a\", \"displayName\": \"Anna Berg\",}]}\n", GRAPH_USERS),
        actual("# file: users.json\n{\"value\": [{\"id\": \"0b4e8f2a\", \"displayName\": \"Anna Berg\"}]}\n", GRAPH_USERS);
    ActualMissingId = "D203", Error, "missing-identifier",
        "an object has no identifier (Graph or SCIM `id`, LDAP DN, the CSV key column) and is skipped",
        actual("# file: users.json\n{\"value\": [{\"displayName\": \"Anna Berg\"}]}\n", GRAPH_USERS),
        actual("# file: users.json\n{\"value\": [{\"id\": \"0b4e8f2a\", \"displayName\": \"Anna Berg\"}]}\n", GRAPH_USERS);
    ActualDuplicateId = "D204", Error, "duplicate-identifier",
        "two objects of an export have the same identifier: the later is ignored (a warning when both copies agree, as overlapping pages do)",
        actual("# file: users.json\n{\"value\": [{\"id\": \"0b4e8f2a\", \"department\": \"Finance\"}, {\"id\": \"0b4e8f2a\", \"department\": \"Sales\"}]}\n", GRAPH_USERS),
        actual("# file: users.json\n{\"value\": [{\"id\": \"0b4e8f2a\", \"department\": \"Finance\"}, {\"id\": \"7d2c9e41\", \"department\": \"Sales\"}]}\n", GRAPH_USERS);
    ActualNameCase = "D205", Error, "name-repeated-in-other-case",
        "an object (or a CSV header) has one attribute name twice, spelled in different case; names are compared case-insensitively, so the second is ignored",
        actual("# file: users.json\n{\"value\": [{\"id\": \"0b4e8f2a\", \"department\": \"Finance\", \"Department\": \"Sales\"}]}\n", GRAPH_USERS),
        actual("# file: users.json\n{\"value\": [{\"id\": \"0b4e8f2a\", \"department\": \"Finance\"}]}\n", GRAPH_USERS);
    ActualValue = "D206", Error, "unusable-value",
        "a value does not read as what its attribute holds (a date-time, a boolean, a GUID, an expanded manager): the attribute is read as unknown; a date-time without offset is a warning and read as UTC",
        actual("# file: users.json\n{\"value\": [{\"id\": \"0b4e8f2a\", \"employeeHireDate\": \"next monday\"}]}\n", GRAPH_USERS),
        actual("# file: users.json\n{\"value\": [{\"id\": \"0b4e8f2a\", \"employeeHireDate\": \"2024-03-01T00:00:00Z\"}]}\n", GRAPH_USERS);
    ActualTruncated = "D207", Error, "incomplete-export",
        "the export is incomplete: a page names a next page that is not in it, it holds fewer objects than `@odata.count` or `totalResults` says, SCIM pages leave a gap, or the LDAP search stopped early",
        actual("# file: users.json\n{\"value\": [{\"id\": \"0b4e8f2a\"}], \"@odata.nextLink\": \"https://graph.microsoft.com/v1.0/users?$skiptoken=RFNwdAIAAQ\"}\n", GRAPH_USERS),
        actual("# file: users.json\n{\"value\": [{\"id\": \"0b4e8f2a\"}]}\n", GRAPH_USERS);
    ActualDepthTruncated = "D208", Error, "powershell-type-name",
        "a value is a .NET type name PowerShell wrote instead of it (`ConvertTo-Json` beyond its `-Depth`, `Export-Csv` for arrays and objects): the attribute is read as unknown; re-export with `-Depth 10`",
        actual("# file: users.json\n[{\"Id\": \"0b4e8f2a\", \"Manager\": \"Microsoft.Graph.PowerShell.Models.MicrosoftGraphDirectoryObject\"}]\n", GRAPH_USERS),
        actual("# file: users.json\n[{\"Id\": \"0b4e8f2a\", \"Manager\": {\"Id\": \"5e6f7a8b\"}}]\n", GRAPH_USERS);
    ActualMembershipUnknown = "D209", Warning, "membership-unknown",
        "a group's members (or an attribute's values) may be incomplete or are not exported: 20 expanded members, a ranged LDAP attribute, no `members`; they are read as unknown, so no change is planned from them",
        actual("# file: groups.json\n{\"value\": [{\"id\": \"9a8b7c6d\", \"displayName\": \"FIN-Approvers\"}]}\n", r#"{"path": "groups.json", "kind": "groups"}"#),
        actual("# file: groups.json\n{\"value\": [{\"id\": \"9a8b7c6d\", \"displayName\": \"FIN-Approvers\", \"members\": []}]}\n", r#"{"path": "groups.json", "kind": "groups"}"#);
    ActualUrlValue = "D210", Error, "ldif-url-value",
        "an LDIF value is a reference to a file or URL (`attr:< file:///…`): Roster does not read what data names, so the attribute is read as unknown",
        actual("# file: users.ldif\ndn: CN=Anna Berg,OU=Staff,DC=fabrikam,DC=example\njpegPhoto:< file:///tmp/anna.jpg\n", r#"{"path": "users.ldif", "format": "ldif"}"#),
        actual("# file: users.ldif\ndn: CN=Anna Berg,OU=Staff,DC=fabrikam,DC=example\njpegPhoto:: /9j/4AAQ\n", r#"{"path": "users.ldif", "format": "ldif"}"#);
    ActualChangeRecord = "D211", Error, "ldif-change-record",
        "an LDIF record is a change (`changetype: modify`, `delete`, `modrdn`), not an entry: it is skipped (`changetype: add`, as `ldifde` writes, is read as the entry)",
        actual("# file: users.ldif\ndn: CN=Anna Berg,OU=Staff,DC=fabrikam,DC=example\nchangetype: modify\nreplace: title\ntitle: Controller\n-\n", r#"{"path": "users.ldif", "format": "ldif"}"#),
        actual("# file: users.ldif\ndn: CN=Anna Berg,OU=Staff,DC=fabrikam,DC=example\nchangetype: add\ntitle: Controller\n", r#"{"path": "users.ldif", "format": "ldif"}"#);
    ActualSuspicious = "D212", Warning, "possibly-incomplete-export",
        "the export looks cut short though nothing says so: exactly 100 objects from PowerShell (one page), exactly 1000 LDIF entries (Active Directory's search limit), a page without a next link followed by more pages",
        actual("# file: users/page-1.json\n{\"value\": [{\"id\": \"0b4e8f2a\"}]}\n# file: users/page-2.json\n{\"value\": [{\"id\": \"7d2c9e41\"}]}\n", r#"{"path": "users"}"#),
        actual("# file: users/page-1.json\n{\"value\": [{\"id\": \"0b4e8f2a\"}], \"@odata.nextLink\": \"https://graph.microsoft.com/v1.0/users?$skiptoken=RFNwdAIAAQ\"}\n# file: users/page-2.json\n{\"value\": [{\"id\": \"7d2c9e41\"}]}\n", r#"{"path": "users"}"#);
    ActualMissingColumn = "D213", Error, "missing-export-column",
        "the key column (or the enabled column) that the read options name is not in the CSV header",
        actual("# file: users.csv\nemployee_id,upn\nE1001,anna.berg@fabrikam.example\n", r#"{"path": "users.csv", "format": "csv", "csv": {"key": "id"}}"#),
        actual("# file: users.csv\nemployee_id,upn\nE1001,anna.berg@fabrikam.example\n", r#"{"path": "users.csv", "format": "csv", "csv": {"key": "employee_id"}}"#);
    ActualUnjoinable = "D214", Error, "unjoinable-assignment",
        "an access-package assignment has no `target` or `accessPackage` (they are returned only when expanded), so it cannot be joined to a user and a package",
        actual("# file: assignments.json\n{\"value\": [{\"id\": \"2e7c41d0\", \"state\": \"delivered\", \"accessPackage\": {\"id\": \"8f1e2d3c\"}}]}\n", r#"{"path": "assignments.json", "kind": "assignments"}"#),
        actual("# file: assignments.json\n{\"value\": [{\"id\": \"2e7c41d0\", \"state\": \"delivered\", \"accessPackage\": {\"id\": \"8f1e2d3c\"}, \"target\": {\"objectId\": \"0b4e8f2a\"}}]}\n", r#"{"path": "assignments.json", "kind": "assignments"}"#);
    ActualUnknownGroup = "D215", Warning, "members-of-unknown-group",
        "a members export is named by a group id that the groups export does not hold; it is ignored",
        actual("# file: groups.json\n{\"value\": [{\"id\": \"9a8b7c6d\", \"members\": []}]}\n# file: members/1f2e3d4c.json\n{\"value\": []}\n", r#"{"path": "groups.json", "kind": "groups", "members": "members"}"#),
        actual("# file: groups.json\n{\"value\": [{\"id\": \"9a8b7c6d\", \"members\": []}]}\n# file: members/9a8b7c6d.json\n{\"value\": []}\n", r#"{"path": "groups.json", "kind": "groups", "members": "members"}"#);
    ActualUnsupported = "D216", Error, "unsupported-read",
        "the read asks for what the format does not hold (assignments from LDIF, SCIM or CSV; a members export for other than Graph groups), or more distinct attribute names than the limit (a warning: the rest are not read)",
        actual("# file: users.ldif\ndn: CN=Anna Berg,OU=Staff,DC=fabrikam,DC=example\n", r#"{"path": "users.ldif", "format": "ldif", "kind": "assignments"}"#),
        actual("# file: users.ldif\ndn: CN=Anna Berg,OU=Staff,DC=fabrikam,DC=example\n", r#"{"path": "users.ldif", "format": "ldif"}"#);

    // ---- D22x: plan ----
    PlanNoActualState = "D220", Warning, "no-actual-state",
        "a target declares no actual state (`actual:`), so `plan` cannot compare it with anything: it is not planned",
        planned(include_str!("../tests/plan/D220/bad.yaml")),
        planned(include_str!("../tests/plan/D220/good.yaml"));
    PlanTargetNotPlanned = "D221", Error, "target-not-planned",
        "a target's actual-state export could not be read completely (missing, refused, malformed, truncated), or is empty while the desired state holds accounts in it: the target is not planned, since a plan from it would create accounts that exist or miss what should be removed",
        planned(include_str!("../tests/plan/D221/bad.yaml")),
        planned(include_str!("../tests/plan/D221/good.yaml"));
    PlanMatchingNotExported = "D222", Warning, "matching-not-exported",
        "the export does not hold a target's matching attribute at all: no account can be matched by it, and every desired account may read as one to create",
        planned(include_str!("../tests/plan/D222/bad.yaml")),
        planned(include_str!("../tests/plan/D222/good.yaml"));
    PlanEnabledUnknown = "D223", Warning, "enabled-unknown",
        "the export does not say whether matched accounts are enabled: no enable or disable is planned for them",
        planned(include_str!("../tests/plan/D223/bad.yaml")),
        planned(include_str!("../tests/plan/D223/good.yaml"));
    PlanAttributeNotExported = "D224", Warning, "attribute-not-exported",
        "the export does not hold a mapped attribute for matched accounts: it is not compared, and no update of it is planned",
        planned(include_str!("../tests/plan/D224/bad.yaml")),
        planned(include_str!("../tests/plan/D224/good.yaml"));
    PlanGroupAmbiguous = "D225", Warning, "group-ambiguous",
        "several groups of the target's export have the name of one policy group: its memberships are not planned",
        planned(include_str!("../tests/plan/D225/bad.yaml")),
        planned(include_str!("../tests/plan/D225/good.yaml"));
    PlanGroupNotExported = "D227", Warning, "group-not-exported",
        "policy groups are not in the target's groups export: their memberships are not planned",
        planned(include_str!("../tests/plan/D227/bad.yaml")),
        planned(include_str!("../tests/plan/D227/good.yaml"));
    PlanHeldForChangeRuns = "D240", Warning, "held-for-change-runs",
        "`plan` without `--previous` holds the changes a change-triggered workflow run could have made (a membership it adds not removed, an assignment it removes not granted again, an account it disables not enabled): the directory does not say why a member is a member; said once, with how many",
        planned(include_str!("../tests/plan/D240/bad.yaml")),
        planned(include_str!("../tests/plan/D240/good.yaml"));
    PlanRefused = "E140", Error, "plan-refused",
        "a target's disables and deletes are over its deletion threshold (500 unless the target sets `deletion_threshold` or `deletion_threshold_percent`) and no approval names exactly these changes: the plan is refused",
        planned(include_str!("../tests/plan/E140/bad.yaml")),
        planned(include_str!("../tests/plan/E140/good.yaml"));

    // ---- Y1xx: YAML ----
    YamlSyntax = "Y101", Error, "yaml-syntax",
        "a policy file is not well-formed YAML, or uses a YAML feature policy files refuse (tags, undefined aliases)",
        yaml("name: joiners\nmappings:\n  displayName: \"Join(\" \", [givenName], [surname])\"\n"),
        yaml("name: joiners\nmappings:\n  displayName: 'Join(\" \", [givenName], [surname])'\n");
    YamlUnknownKey = "Y102", Error, "unknown-key",
        "a mapping has a key that is not allowed there",
        yaml("name: joiners\npriorty: 1\n"),
        yaml("name: joiners\npriority: 1\n");
    YamlDuplicateKey = "Y103", Error, "duplicate-key",
        "a mapping has the same key twice",
        yaml("name: joiners\nenabled: true\nname: movers\n"),
        yaml("name: joiners\nenabled: true\n");
    YamlMissingKey = "Y104", Error, "missing-key",
        "a mapping lacks a key it requires",
        yaml("enabled: true\npriority: 1\n"),
        yaml("name: joiners\nenabled: true\npriority: 1\n");
    YamlWrongType = "Y105", Error, "wrong-type",
        "a value has the wrong type, or is not one of the values allowed there",
        yaml("name: joiners\nenabled: yes\n"),
        yaml("name: joiners\nenabled: true\n");
    YamlMultipleDocuments = "Y106", Error, "multiple-documents",
        "a policy file holds more than one YAML document (`---`)",
        yaml("name: joiners\n---\nname: movers\n"),
        yaml("name: joiners\n");
    YamlTooLarge = "Y107", Error, "file-too-large",
        "a policy file is larger than the limit (16 MiB), checked before parsing",
        yaml_with_limits("name: joiners\ndescription: accounts for people who join, created before their first day\n", r#"{"max_file_bytes": 64}"#),
        yaml_with_limits("name: joiners\ndescription: accounts for new joiners\n", r#"{"max_file_bytes": 64}"#);
    YamlTooComplex = "Y108", Error, "too-complex",
        "a policy file nests too deeply or its aliases expand too far (possible YAML bomb)",
        yaml(include_str!("yaml/bomb.yaml")),
        yaml("name: joiners\nvars:\n  base: &base {department: Sales}\n  emea: {<<: *base, region: EMEA}\n");
    // ---- C3xx: policy-set checks ----
    DuplicateName = "C301", Error, "duplicate-name",
        "two objects of one kind have the same name, or a single section is defined in two files",
        policy(include_str!("../tests/lint/C301/bad.yaml")),
        policy(include_str!("../tests/lint/C301/good.yaml"));
    UnknownReference = "C302", Error, "unknown-reference",
        "a reference names a source, field, attribute, group, package, target or organization that does not exist",
        policy(include_str!("../tests/lint/C302/bad.yaml")),
        policy(include_str!("../tests/lint/C302/good.yaml"));
    MappingKind = "C303", Error, "mapping-kind",
        "a mapping does not give exactly one of `source`, `constant` and `expression` (or a group neither `rule` nor `members`)",
        policy(include_str!("../tests/lint/C303/bad.yaml")),
        policy(include_str!("../tests/lint/C303/good.yaml"));
    TypeMismatch = "C304", Error, "type-mismatch",
        "a value's type does not fit where it is used: a mapping's result, a lifecycle date, a time-based trigger",
        policy(include_str!("../tests/lint/C304/bad.yaml")),
        policy(include_str!("../tests/lint/C304/good.yaml"));
    InvalidSetting = "C305", Error, "invalid-setting",
        "a setting is outside Entra's documented limits or contradicts another",
        policy(include_str!("../tests/lint/C305/bad.yaml")),
        policy(include_str!("../tests/lint/C305/good.yaml"));
    AmbiguousReference = "C306", Error, "ambiguous-reference",
        "an unqualified field name in an expression is a field of several sources",
        policy(include_str!("../tests/lint/C306/bad.yaml")),
        policy(include_str!("../tests/lint/C306/good.yaml"));
    SettingOutOfRange = "C320", Error, "setting-out-of-range",
        "a numeric setting is outside the range Roster documents for it (where Entra documents none)",
        policy(include_str!("../tests/lint/C320/bad.yaml")),
        policy(include_str!("../tests/lint/C320/good.yaml"));
    RegexTooLarge = "C321", Error, "regex-too-large",
        "a regular expression compiles to more than 16 MiB, or would take the run's compiled patterns over their budget of 1 GiB",
        expr(r#"Replace([x], , "(?:a{1000}){1000}", , "", , )"#),
        expr(r#"Replace([x], , "a{1000}", , "", , )"#);

    PathOutsideRoot = "C310", Error, "path-outside-root",
        "a source's `path` is absolute, climbs out of the root with `..`, or leads out of it through a symbolic link (the root: the repository that holds the policy set, or `--data-root`)",
        policy(include_str!("../tests/lint/C310/bad.yaml")),
        policy(include_str!("../tests/lint/C310/good.yaml"));
    InvalidName = "C311", Error, "invalid-name",
        "a policy object's name is not ASCII letters, digits, `-`, `_` and `.` starting with a letter, a digit or `_` (no `.` in source names), or is longer than 128 characters",
        policy(include_str!("../tests/lint/C311/bad.yaml")),
        policy(include_str!("../tests/lint/C311/good.yaml"));
    InvalidAttributeName = "C312", Error, "invalid-attribute-name",
        "a source field or target attribute name holds a control or invisible character, white space at either end, starts with `=`, `+`, `-` or `@`, or is longer than 256 characters",
        policy(include_str!("../tests/lint/C312/bad.yaml")),
        policy(include_str!("../tests/lint/C312/good.yaml"));
    InvalidApproval = "C330", Error, "invalid-approval",
        "an approval names a target that does not exist, a fingerprint that is not `sha256:` and 64 hex digits, or an expiry that is not a `YYYY-MM-DD` date",
        policy(include_str!("../tests/lint/C330/bad.yaml")),
        policy(include_str!("../tests/lint/C330/good.yaml"));
    ActualOptionMismatch = "C331", Error, "actual-option-mismatch",
        "a target's `actual:` setting uses an option its format does not have (`members` and `assignments` are Graph's; `key`, `delimiter`, `null` and `enabled` are CSV's), or a delimiter that is not one character",
        policy(include_str!("../tests/lint/C331/bad.yaml")),
        policy(include_str!("../tests/lint/C331/good.yaml"));
    ReservedColumn = "C313", Error, "reserved-column",
        "a target attribute is named `key` or `enabled` (any case), the fixed columns of the CSV report",
        policy(include_str!("../tests/lint/C313/bad.yaml")),
        policy(include_str!("../tests/lint/C313/good.yaml"));
    InvalidDisplayName = "C314", Error, "invalid-display-name",
        "a `display_name` (or the tenant's `name`) is empty, holds a control or invisible character or white space at either end, or is longer than 256 characters",
        policy(include_str!("../tests/lint/C314/bad.yaml")),
        policy(include_str!("../tests/lint/C314/good.yaml"));
    NoPolicyFiles = "C315", Error, "no-policy-files",
        "the directory holds no policy files (`*.yaml`, `*.yml`, any case)",
        policy("# file: README.md\nThe policies moved to another directory.\n"),
        policy(include_str!("../tests/lint/L020/good.yaml"));
    PolicyFileRefused = "C316", Error, "policy-file-refused",
        "a policy file or directory is a symbolic link that leads out of the root or nowhere, or is not a regular file",
        policy(concat!(include_str!("../tests/lint/L020/good.yaml"), "# symlink: stolen.yaml -> /etc/passwd\n")),
        policy(include_str!("../tests/lint/L020/good.yaml"));

    // ---- C36x: lifecycle workflows against Entra's task catalogue ----
    TaskNotInCategory = "C360", Error, "task-not-in-category",
        "a workflow task is not allowed in the workflow's category in Entra's task catalogue (disabling an account in a joiner workflow, enabling one in a mover workflow)",
        policy(include_str!("../tests/lint/C360/bad.yaml")),
        policy(include_str!("../tests/lint/C360/good.yaml"));
    EmailNotInCatalogue = "C361", Error, "email-not-in-catalogue",
        "a mover or leaver workflow e-mails the user: Entra's e-mail tasks for movers and leavers go to the manager (only the joiner's welcome e-mail goes to the user)",
        policy(include_str!("../tests/lint/C361/bad.yaml")),
        policy(include_str!("../tests/lint/C361/good.yaml"));
    UnknownPlaceholder = "C362", Error, "unknown-placeholder",
        "an e-mail's subject or body has a `{{placeholder}}` Entra does not fill in; it would be sent as written",
        policy(include_str!("../tests/lint/C362/bad.yaml")),
        policy(include_str!("../tests/lint/C362/good.yaml"));
    InvalidEmailSetting = "C363", Error, "invalid-email-setting",
        "an e-mail task's `locale` is not a language tag, or its `cc` is empty or names more than 10 people",
        policy(include_str!("../tests/lint/C363/bad.yaml")),
        policy(include_str!("../tests/lint/C363/good.yaml"));
    InvalidScheduleDate = "C364", Error, "invalid-schedule-date",
        "a workflow's `scheduled_since` is not a date `YYYY-MM-DD`",
        policy(include_str!("../tests/lint/C364/bad.yaml")),
        policy(include_str!("../tests/lint/C364/good.yaml"));
    // ---- C37x: access-package assignments kept in git ----
    AssignmentInvalid = "C370", Error, "invalid-assignment",
        "an assignment record names both or neither of `identity` and `guest`, has a date that is not a date or date-time, ends before it starts, starts before its approval, or is revoked before its request",
        policy(include_str!("../tests/lint/C370/bad.yaml")),
        policy(include_str!("../tests/lint/C370/good.yaml"));
    AssignmentOutOfScope = "C371", Error, "requestor-out-of-scope",
        "an assignment's requestor is not of the kind its request policy takes: a directory user through a connected-organisation policy or the reverse, an organisation the policy does not list, or a request through a policy that takes none (`requestors: none`: an administrator's `assigned_by` only)",
        policy(include_str!("../tests/lint/C371/bad.yaml")),
        policy(include_str!("../tests/lint/C371/good.yaml"));
    AssignmentApprover = "C372", Error, "approver-not-allowed",
        "an assignment's approval decisions do not follow its request policy: an approver who is not one of the stage's, a number of decisions other than the number of stages, a decision after a deny, or stages decided out of order",
        policy(include_str!("../tests/lint/C372/bad.yaml")),
        policy(include_str!("../tests/lint/C372/good.yaml"));
    AssignmentSelfApproval = "C373", Error, "self-approval",
        "an assignment is approved, or assigned directly, by the person it is for",
        policy(include_str!("../tests/lint/C373/bad.yaml")),
        policy(include_str!("../tests/lint/C373/good.yaml"));
    AssignmentNotApproved = "C374", Warning, "assignment-not-approved",
        "an assignment's request was denied at a stage, or a stage decided after its `timeout_days` (Entra denied it when the time ran out): the record grants nothing",
        policy(include_str!("../tests/lint/C374/bad.yaml")),
        policy(include_str!("../tests/lint/C374/good.yaml"));
    AssignmentTooLong = "C375", Error, "assignment-too-long",
        "an assignment ends later than its request policy's `expiry` allows",
        policy(include_str!("../tests/lint/C375/bad.yaml")),
        policy(include_str!("../tests/lint/C375/good.yaml"));
    AssignmentJustification = "C376", Error, "justification-missing",
        "an assignment has no justification, and its request policy requires one",
        policy(include_str!("../tests/lint/C376/bad.yaml")),
        policy(include_str!("../tests/lint/C376/good.yaml"));
    GuestDomainMismatch = "C377", Error, "guest-domain-mismatch",
        "a guest's e-mail address is not in the domain of the connected organisation named for them",
        policy(include_str!("../tests/lint/C377/bad.yaml")),
        policy(include_str!("../tests/lint/C377/good.yaml"));

    // ---- C35x: test files (`roster test`, also checked by `roster lint`) ----
    TestUnknownName = "C350", Error, "test-unknown-name",
        "a test names a source, field, identity attribute, group, access package, target, target attribute or person that does not exist",
        tested(include_str!("../tests/testing/C350/bad.yaml")),
        tested(include_str!("../tests/testing/C350/good.yaml"));
    TestNoDate = "C351", Error, "test-no-as-of",
        "a test has no as-of date: neither the test, its file nor `roster test --as-of` gives one",
        tested(include_str!("../tests/testing/C351/bad.yaml")),
        tested(include_str!("../tests/testing/C351/good.yaml"));
    TestInvalidDate = "C352", Error, "test-invalid-date",
        "an `as_of` in a test file is not a date `YYYY-MM-DD`",
        tested(include_str!("../tests/testing/C352/bad.yaml")),
        tested(include_str!("../tests/testing/C352/good.yaml"));
    TestFixtureWithoutKey = "C353", Error, "test-fixture-without-key",
        "a fixture record lacks its source's key field, so the reader would skip it",
        tested(include_str!("../tests/testing/C353/bad.yaml")),
        tested(include_str!("../tests/testing/C353/good.yaml"));
    TestUnknownCode = "C354", Error, "test-unknown-code",
        "`data_problems` lists something that is not a diagnostic code",
        tested(include_str!("../tests/testing/C354/bad.yaml")),
        tested(include_str!("../tests/testing/C354/good.yaml"));
    TestChecksNothing = "C355", Warning, "test-checks-nothing",
        "a test, or the expectation for one person, checks nothing, so it always passes",
        tested(include_str!("../tests/testing/C355/bad.yaml")),
        tested(include_str!("../tests/testing/C355/good.yaml"));
    TestRuleSubject = "C356", Error, "test-rule-subject",
        "a rule test does not name exactly one rule (`group`, `access_package` or `rule`), or names a group or package without a rule",
        tested(include_str!("../tests/testing/C356/bad.yaml")),
        tested(include_str!("../tests/testing/C356/good.yaml"));
    TestConflictPair = "C357", Error, "test-conflict-pair",
        "an expected separation-of-duties conflict is not a pair of two names",
        tested(include_str!("../tests/testing/C357/bad.yaml")),
        tested(include_str!("../tests/testing/C357/good.yaml"));
    TestContradiction = "C358", Error, "test-contradiction",
        "an expectation contradicts itself: in and not in the same group or package, or attributes of an account expected absent",
        tested(include_str!("../tests/testing/C358/bad.yaml")),
        tested(include_str!("../tests/testing/C358/good.yaml"));

    // ---- C38x: access reviews ----
    InvalidReviewSchedule = "C380", Error, "invalid-review-schedule",
        "a review's `start` or `end_date` is not a `YYYY-MM-DD` date, its series ends before it starts, ends both on a date and after a number of instances, or has an end but no start",
        policy(include_str!("../tests/lint/C380/bad.yaml")),
        policy(include_str!("../tests/lint/C380/good.yaml"));
    UnknownReviewInstance = "C381", Error, "unknown-review-instance",
        "recorded review decisions are keyed by a date on which no instance of the review starts (or the review has no `start`)",
        policy(include_str!("../tests/lint/C381/bad.yaml")),
        policy(include_str!("../tests/lint/C381/good.yaml"));
    DecisionOutsideInstance = "C382", Error, "decision-outside-instance",
        "a recorded review decision's `date` is not a `YYYY-MM-DD` date inside its instance (from its start to the day before its end): it takes no effect",
        policy(include_str!("../tests/lint/C382/bad.yaml")),
        policy(include_str!("../tests/lint/C382/good.yaml"));
    MissingJustification = "C383", Error, "missing-justification",
        "a recorded review decision gives no justification, and its review sets `justification_required: true`",
        policy(include_str!("../tests/lint/C383/bad.yaml")),
        policy(include_str!("../tests/lint/C383/good.yaml"));
    DeniedGuestsWithoutGuests = "C385", Error, "denied-guests-without-guests",
        "a review sets `denied_guests` (what a denial does to a guest) but is not a `guests_only` review of an access package or a group, so the setting would do nothing",
        policy(include_str!("../tests/lint/C385/bad.yaml")),
        policy(include_str!("../tests/lint/C385/good.yaml"));
    InvalidReviewStages = "C386", Error, "invalid-review-stages",
        "a multi-stage review is not as Entra allows (2 or 3 stages, each at least a day, `duration_days` their sum, no `reviewers` of its own), or a decision's `stage` is missing, out of range, or given for a review without stages",
        policy(include_str!("../tests/lint/C386/bad.yaml")),
        policy(include_str!("../tests/lint/C386/good.yaml"));
    InvalidRelisting = "C384", Error, "invalid-relisting",
        "a group's `relisted` entry (a static member listed again after a review removed them) names a key that is not one of the group's `members`, or its day is not a `YYYY-MM-DD` date",
        policy(include_str!("../tests/lint/C384/bad.yaml")),
        policy(include_str!("../tests/lint/C384/good.yaml"));

    // ---- G1xx: dependency graph ----
    DependencyCycle = "G101", Error, "dependency-cycle",
        "objects depend on each other in a cycle, so none of them can be computed first",
        policy(include_str!("../tests/lint/G101/bad.yaml")),
        policy(include_str!("../tests/lint/G101/good.yaml"));

    // ---- L0xx: lint rules (warnings) ----
    UnusedSourceField = "L001", Warning, "unused-source-field",
        "a declared source field is never read",
        policy(include_str!("../tests/lint/L001/bad.yaml")),
        policy(include_str!("../tests/lint/L001/good.yaml"));
    UnusedAttribute = "L002", Warning, "unused-attribute",
        "an identity attribute is never read by a rule, mapping, workflow or lifecycle setting",
        policy(include_str!("../tests/lint/L002/bad.yaml")),
        policy(include_str!("../tests/lint/L002/good.yaml"));
    ConstantRule = "L003", Warning, "constant-rule",
        "a rule is always true or always false",
        policy(include_str!("../tests/lint/L003/bad.yaml")),
        policy(include_str!("../tests/lint/L003/good.yaml"));
    BacktrackingPattern = "L004", Warning, "backtracking-pattern",
        "a regular expression needs the backtracking engine (lookaround, backreferences, atomic groups)",
        policy(include_str!("../tests/lint/L004/bad.yaml")),
        policy(include_str!("../tests/lint/L004/good.yaml"));
    UniqueValueNotOnCreate = "L005", Warning, "unique-value-not-on-create",
        "`SelectUniqueValue` is used on a mapping that applies always, not only on creation",
        policy(include_str!("../tests/lint/L005/bad.yaml")),
        policy(include_str!("../tests/lint/L005/good.yaml"));
    SwitchOnReference = "L006", Warning, "switch-on-reference",
        "`Switch` is applied to a reference attribute such as the manager",
        policy(include_str!("../tests/lint/L006/bad.yaml")),
        policy(include_str!("../tests/lint/L006/good.yaml"));
    IifTestsEmptiness = "L007", Warning, "iif-tests-emptiness",
        "an `IIF` condition tests for an empty value, which Entra's condition check does not support",
        policy(include_str!("../tests/lint/L007/bad.yaml")),
        policy(include_str!("../tests/lint/L007/good.yaml"));
    RuleNearLimit = "L008", Warning, "rule-near-limit",
        "a rule is within 10% of Entra's 3,072-character limit",
        policy(include_str!("../tests/lint/L008/bad.yaml")),
        policy(include_str!("../tests/lint/L008/good.yaml"));
    IncompatibleOverlap = "L009", Warning, "incompatible-overlap",
        "two incompatible access packages have auto-assignment rules that can match the same person",
        policy(include_str!("../tests/lint/L009/bad.yaml")),
        policy(include_str!("../tests/lint/L009/good.yaml"));
    NoDeletionThreshold = "L010", Warning, "no-deletion-threshold",
        "a target has no accidental-deletion threshold",
        policy(include_str!("../tests/lint/L010/bad.yaml")),
        policy(include_str!("../tests/lint/L010/good.yaml"));
    SecretInPolicy = "L011", Warning, "secret-in-policy",
        "a credential or secret is written into a policy file",
        policy(include_str!("../tests/lint/L011/bad.yaml")),
        policy(include_str!("../tests/lint/L011/good.yaml"));
    ReviewAutoRemoves = "L012", Warning, "review-auto-removes",
        "an access review removes every unreviewed access automatically",
        policy(include_str!("../tests/lint/L012/bad.yaml")),
        policy(include_str!("../tests/lint/L012/good.yaml"));
    GuestAccessNeverExpires = "L013", Warning, "guest-access-never-expires",
        "a request policy open to connected organizations grants access that never expires",
        policy(include_str!("../tests/lint/L013/bad.yaml")),
        policy(include_str!("../tests/lint/L013/good.yaml"));
    NoIdentity = "L020", Warning, "no-identity",
        "the policy set defines no `identity` (how records become identities), so `eval` and `explain` cannot run on it",
        policy(include_str!("../tests/lint/L020/bad.yaml")),
        policy(include_str!("../tests/lint/L020/good.yaml"));
    HiddenControl = "L030", Warning, "hidden-control-character",
        "a policy file holds a bidirectional or control character that makes it read differently from how it runs",
        policy(include_str!("../tests/lint/L030/bad.yaml")),
        policy(include_str!("../tests/lint/L030/good.yaml"));
    TargetHoldsNobody = "L035", Warning, "target-holds-nobody",
        "a target takes only assigned identities (the default) and nothing assigns any: no group or package in its scope, no package granting one of its app roles",
        policy(include_str!("../tests/lint/L035/bad.yaml")),
        policy(include_str!("../tests/lint/L035/good.yaml"));
    AssignmentsIgnored = "L036", Warning, "assignments-ignored",
        "a target takes every identity (`sync: all`) and also lists groups or access packages, which do not narrow its scope",
        policy(include_str!("../tests/lint/L036/bad.yaml")),
        policy(include_str!("../tests/lint/L036/good.yaml"));
    OptionalPrimarySource = "L040", Warning, "optional-primary-source",
        "the primary source (the one identities take their key from) is declared `optional: true`, so an empty export would change or remove every identity instead of stopping `eval`",
        policy(include_str!("../tests/lint/L040/bad.yaml")),
        policy(include_str!("../tests/lint/L040/good.yaml"));

    // ---- L065-L069: inline suppressions (`# roster: allow CODE -- reason`) ----
    SuppressionWithoutReason = "L065", Warning, "suppression-without-reason",
        "a suppression comment gives no reason after `--`; it applies, but a reviewer cannot tell why the finding does not matter",
        policy(include_str!("../tests/lint/L065/bad.yaml")),
        policy(include_str!("../tests/lint/L065/good.yaml"));
    SuppressionUnknownCode = "L066", Warning, "suppression-unknown-code",
        "a suppression comment names a code that does not exist, so it suppresses nothing",
        policy(include_str!("../tests/lint/L066/bad.yaml")),
        policy(include_str!("../tests/lint/L066/good.yaml"));
    SuppressionNotAllowed = "L067", Warning, "suppression-not-allowed",
        "a suppression comment names a code that cannot be suppressed: only lint findings can, and not `L030` or the findings about suppressions",
        policy(include_str!("../tests/lint/L067/bad.yaml")),
        policy(include_str!("../tests/lint/L067/good.yaml"));
    UnusedSuppression = "L068", Warning, "unused-suppression",
        "a suppression comment covers no finding of the code it names",
        policy(include_str!("../tests/lint/L068/bad.yaml")),
        policy(include_str!("../tests/lint/L068/good.yaml"));
    MalformedDirective = "L069", Warning, "malformed-directive",
        "a comment starting with `roster:` is not a directive Roster knows (`allow`, `allow-file`) or names no code",
        policy(include_str!("../tests/lint/L069/bad.yaml")),
        policy(include_str!("../tests/lint/L069/good.yaml"));
}

impl Code {
    /// Whether a data problem with this code stops evaluation (`eval` and `explain` exit 2 and
    /// write nothing): a source that could not be used (`D112`), or a data file refused for
    /// safety (outside the root, not a regular file, over the size limit).
    pub const fn stops_evaluation(self) -> bool {
        matches!(
            self,
            Code::DataSourceUnusable
                | Code::PathOutsideRoot
                | Code::DataNotAFile
                | Code::DataTooLarge
        )
    }

    /// The registry entry for this code.
    pub fn info(self) -> Option<&'static CodeInfo> {
        ALL.iter().find(|i| i.code == self)
    }
}

/// The registry entry of a code written by a person: `C201`, `c201`, or its name
/// (`unknown-property`). `Err` carries the nearest code or name, for a did-you-mean.
pub fn find(query: &str) -> Result<&'static CodeInfo, Option<&'static str>> {
    let q = query.trim();
    if let Some(info) = ALL
        .iter()
        .find(|i| i.code.as_str().eq_ignore_ascii_case(q) || i.name.eq_ignore_ascii_case(q))
    {
        return Ok(info);
    }
    let looks_like_code = q.len() <= 5
        && q.starts_with(|c: char| c.is_ascii_alphabetic())
        && q.contains(|c: char| c.is_ascii_digit());
    let near = if looks_like_code {
        crate::diagnostics::did_you_mean(q, ALL.iter().map(|i| i.code.as_str()))
    } else {
        crate::diagnostics::did_you_mean(q, ALL.iter().map(|i| i.name))
    };
    Err(near)
}

/// Whether a finding with this code can be suppressed with `# roster: allow CODE -- reason`.
pub fn is_suppressible(code: Code) -> bool {
    crate::policy::suppress::is_suppressible(code)
}

/// The language of an example and the command that checks it, for people.
fn example_kind(ex: &Example) -> (&'static str, &'static str) {
    match ex.lang {
        Lang::Expr => ("roster expr", "expression"),
        Lang::Rule => ("roster rule", "rule"),
        Lang::Yaml | Lang::Policy => ("roster lint", "policy file (YAML)"),
        Lang::Eval => ("roster eval", "policy set with data"),
        Lang::Test => ("roster test", "policy set with test files"),
        Lang::Data => ("", "data file"),
        Lang::Actual => ("", "actual-state export"),
        Lang::Previous => ("", "previous desired state"),
        Lang::Plan => ("roster plan", "policy set with data and exports"),
    }
}

/// One code's documentation as plain text, for `roster codes CODE`: summary, explanation,
/// stage, whether it can be suppressed, the bad and the good example, and where the reference
/// is. Only the registry's own text is printed.
pub fn explain_text(info: &CodeInfo) -> String {
    explain_with(info, true)
}

/// [`explain_text`] for SARIF's rule `help`: the examples only when they are short (an
/// expression or a rule); a whole policy set is left to the reference page.
pub fn explain_brief(info: &CodeInfo) -> String {
    let short = info.bad.text.len() + info.good.text.len() <= 400
        && matches!(info.bad.lang, Lang::Expr | Lang::Rule);
    explain_with(info, short)
}

fn explain_with(info: &CodeInfo, examples: bool) -> String {
    use std::fmt::Write as _;
    let code = info.code.as_str();
    let sev = match info.code.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut out = format!("{code}: {} ({sev})\n\n{}\n\n", info.name, info.summary);
    if let Some(text) = explanation(info.code) {
        let _ = write!(out, "{text}\n\n");
    }
    let _ = writeln!(out, "stage: {}", stage(info.code));
    if is_suppressible(info.code) {
        let _ = writeln!(
            out,
            "suppressible: yes, with a reason, in the policy file: `# roster: allow {code} -- reason` above the node (or `allow-file` for the whole file)"
        );
    } else {
        let _ = writeln!(out, "suppressible: no");
    }
    let shown: &[(&str, &Example)] = if examples {
        &[("bad", &info.bad), ("good", &info.good)]
    } else {
        &[]
    };
    for &(title, ex) in shown {
        let (cmd, lang) = example_kind(ex);
        let how = if cmd.is_empty() {
            String::new()
        } else {
            format!(", `{cmd}`")
        };
        let _ = write!(out, "\n{title} ({lang}{how}):\n\n");
        for line in ex.text.trim_end_matches('\n').split('\n') {
            if line.is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "    {line}");
            }
        }
        match ex.lang {
            Lang::Data => {
                let _ = write!(out, "\nread as the source\n\n");
                for line in ex.input.trim_end_matches('\n').split('\n') {
                    let _ = writeln!(out, "    {line}");
                }
                if ex.existing != "[]" {
                    let _ = writeln!(
                        out,
                        "\nwith manager references in the field `{}`",
                        ex.existing.trim_matches('"')
                    );
                }
            }
            Lang::Actual | Lang::Previous => {
                let _ = writeln!(out, "\nread with `{}`", ex.input);
            }
            Lang::Yaml | Lang::Policy | Lang::Eval | Lang::Plan | Lang::Test => {
                if ex.input != "{}" {
                    let _ = writeln!(out, "\nwith the limits lowered to `{}`", ex.input);
                }
            }
            Lang::Expr | Lang::Rule => {
                if ex.input != "{}" {
                    let _ = writeln!(out, "\nwith `--input` `{}`", ex.input);
                }
                if ex.existing != "[]" {
                    let _ = writeln!(out, "and `--existing` `{}`", ex.existing);
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{}: docs/diagnostics.md#{}",
        if examples {
            "reference"
        } else {
            "reference, with a bad and a good example"
        },
        code.to_lowercase()
    );
    out
}

/// The Markdown reference page for every code (`docs/diagnostics.md`).
pub fn markdown() -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         Generated by `roster codes --markdown` from `src/codes.rs`; a test keeps this page \
         current and checks that every bad example produces exactly its code and every good \
         example none.\n\n\
         Codes are stage-prefixed and never reused: `S` syntax, `C` check (names and types), \
         `E` evaluation, `D` data files (`D1xx` HR exports, `D2xx` actual-state exports), `Y` reading YAML policy files.\n\n| code | name | severity | summary |\n|---|---|---|---|\n",
    );
    for info in ALL {
        let sev = match info.code.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(
            out,
            "| [{c}](#{l}) | {n} | {sev} | {s} |",
            c = info.code.as_str(),
            l = info.code.as_str().to_lowercase(),
            n = info.name,
            s = info.summary.replace('|', "\\|")
        );
    }
    for info in ALL {
        let _ = write!(
            out,
            "\n## {}\n\n`{}` — {}\n\n",
            info.code.as_str(),
            info.name,
            info.summary
        );
        if let Some(text) = explanation(info.code) {
            let _ = write!(out, "{text}\n\n");
        }
        if is_suppressible(info.code) {
            let _ = write!(
                out,
                "Can be suppressed with a reason: `# roster: allow {} -- reason`.\n\n",
                info.code.as_str()
            );
        }
        for (title, ex) in [("Bad", &info.bad), ("Good", &info.good)] {
            let (cmd, lang) = example_kind(ex);
            if matches!(ex.lang, Lang::Actual | Lang::Previous) {
                let _ = writeln!(
                    out,
                    "{title} ({lang}), read with `{}`:\n\n```text\n{}\n```\n",
                    ex.input,
                    ex.text.trim_end_matches('\n')
                );
                continue;
            }
            if ex.lang == Lang::Data {
                let _ = writeln!(
                    out,
                    "{title} ({lang}):\n\n```text\n{}\n```\n\nread as the source\n\n```yaml\n{}```\n",
                    ex.text.trim_end_matches('\n'),
                    ex.input
                );
                if ex.existing != "[]" {
                    let _ = writeln!(
                        out,
                        "with manager references in the field `{}`\n",
                        ex.existing.trim_matches('"')
                    );
                }
                continue;
            }
            if matches!(
                ex.lang,
                Lang::Yaml | Lang::Policy | Lang::Eval | Lang::Test | Lang::Plan
            ) {
                let _ = writeln!(out, "{title} ({lang}):\n\n```yaml\n{}```\n", ex.text);
                if ex.input != "{}" {
                    let _ = writeln!(
                        out,
                        "with the limits lowered to `{}` for the example (`{cmd}`)\n",
                        ex.input
                    );
                }
                continue;
            }
            let _ = writeln!(out, "{title} ({lang}):\n\n```text\n{}\n```\n", ex.text);
            if ex.input != "{}" {
                let _ = writeln!(out, "with `--input` `{}`\n", ex.input);
            }
            if ex.existing != "[]" {
                let _ = writeln!(out, "and `--existing` `{}` (`{cmd}`)\n", ex.existing);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;

    use super::*;
    use crate::diagnostics::FileId;
    use crate::rule::{RuleContext, Schema};
    use crate::value::Value;

    /// A small policy-like document for the YAML examples.
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct ExamplePolicy {
        name: String,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        enabled: Option<bool>,
        #[serde(default)]
        priority: Option<u32>,
        #[serde(default)]
        mappings: std::collections::BTreeMap<String, String>,
        #[serde(default)]
        vars: std::collections::BTreeMap<String, serde_json::Value>,
    }

    /// Every diagnostic code an example produces, through parse, check and evaluation.
    fn codes_of(ex: &Example) -> Vec<Code> {
        let input: serde_json::Map<String, serde_json::Value> =
            if matches!(ex.lang, Lang::Data | Lang::Actual | Lang::Previous) {
                serde_json::Map::new()
            } else {
                serde_json::from_str(ex.input).unwrap()
            };
        let now = chrono::NaiveDate::from_ymd_opt(2024, 1, 15)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        match ex.lang {
            Lang::Expr => {
                let (program, mut diags) = crate::expr::compile_str(ex.text);
                if let Some(program) = program {
                    let existing: Vec<String> = serde_json::from_str(ex.existing).unwrap();
                    let is_taken = |v: &str| existing.iter().any(|e| e.eq_ignore_ascii_case(v));
                    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
                    let mut ctx = crate::expr::Context {
                        now,
                        default_domain: "contoso.com",
                        is_taken: &is_taken,
                        rng: &mut rng,
                    };
                    diags.extend(program.input_warnings(ex.text, &input));
                    let values: Vec<Value> = program.values_from_json(&input);
                    if let Err(d) = program.eval(&values, &mut ctx) {
                        diags.push(d);
                    }
                }
                diags.iter().map(|d| d.code).collect()
            }
            Lang::Eval => {
                let dir = example_dir(ex.text);
                let limits: serde_json::Value = serde_json::from_str(ex.input).unwrap();
                let mut options = crate::policy::load::LoadOptions::default();
                if let Some(max) = limits["max_data_bytes"].as_u64() {
                    options.max_data_bytes = max;
                }
                let loaded = crate::policy::load::load_with(&dir, &options).unwrap();
                let mut diags = loaded.diagnostics.clone();
                let policy = crate::policy::compile::compile(&loaded, &mut diags);
                let mut codes: Vec<Code> = diags
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| d.code)
                    .collect();
                if codes.is_empty() {
                    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
                    let mut options = crate::eval::Options::at(as_of);
                    // A `previous.jsonl` among the files is given as `--previous`.
                    let previous = dir.join("previous.jsonl");
                    if previous.is_file() {
                        let want = crate::governance::workflows::wanted(&loaded);
                        let read =
                            crate::governance::previous::read(&previous, 1 << 20, &want).unwrap();
                        options.previous = Some(std::sync::Arc::new(read));
                    }
                    let given = options.previous.is_some();
                    let state = crate::eval::evaluate(&loaded, &policy, options);
                    codes = state.issues.iter().map(|i| i.code).collect();
                    // What `eval` says on standard error without `--previous`.
                    let mut said = Vec::new();
                    crate::governance::workflows::issues(&loaded, given, &mut said);
                    crate::governance::grace::issues(&loaded, given, &mut said);
                    codes.extend(said.iter().map(|i| i.code));
                }
                let _ = std::fs::remove_dir_all(&dir);
                codes
            }
            Lang::Test => {
                let dir = example_dir(ex.text);
                let suite =
                    crate::testing::run(&dir, &crate::policy::load::LoadOptions::default(), None)
                        .unwrap();
                let _ = std::fs::remove_dir_all(&dir);
                let mut codes: Vec<Code> = suite.diagnostics.iter().map(|d| d.code).collect();
                for o in &suite.outcomes {
                    if o.error.is_some() {
                        codes.push(Code::TestCouldNotRun);
                    }
                    codes.extend(o.failures.iter().map(|_| Code::TestFailed));
                }
                codes
            }
            Lang::Plan => {
                let dir = example_dir(ex.text);
                let loaded = crate::policy::load::load_with(
                    &dir,
                    &crate::policy::load::LoadOptions::default(),
                )
                .unwrap();
                let mut diags = loaded.diagnostics.clone();
                let policy = crate::policy::compile::compile(&loaded, &mut diags);
                let mut codes: Vec<Code> = diags
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| d.code)
                    .collect();
                if codes.is_empty() {
                    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
                    let plan = crate::plan::run(
                        &loaded,
                        &policy,
                        crate::plan::Options { as_of },
                        &crate::plan::Locations::default(),
                    )
                    .unwrap();
                    codes = plan.issues.iter().map(|i| i.code).collect();
                }
                let _ = std::fs::remove_dir_all(&dir);
                codes
            }
            Lang::Policy => {
                let dir = example_dir(ex.text);
                let checked = crate::policy::check(&dir).unwrap();
                let _ = std::fs::remove_dir_all(&dir);
                checked.diagnostics.iter().map(|d| d.code).collect()
            }
            Lang::Data => {
                let source: crate::policy::raw::Source =
                    crate::yaml::parse(FileId(0), ex.input, &crate::yaml::Limits::default())
                        .unwrap();
                let dir = example_dir("");
                std::fs::write(dir.join(source.path.value.as_str()), ex.text).unwrap();
                let access = crate::files::Access {
                    root: Some(std::fs::canonicalize(&dir).unwrap()),
                    ..crate::files::Access::default()
                };
                let (dataset, mut issues) = crate::ingest::read("example", &source, &dir, &access);
                if ex.existing != "[]" {
                    let field: String = serde_json::from_str(ex.existing).unwrap();
                    let dataset = dataset.unwrap();
                    issues.extend(crate::ingest::manager_issues(&dataset, &field, "example"));
                }
                let _ = std::fs::remove_dir_all(&dir);
                issues.iter().map(|i| i.code).collect()
            }
            Lang::Previous => {
                let options: serde_json::Value = serde_json::from_str(ex.input).unwrap();
                let dir = example_dir("");
                let path = dir.join(options["file"].as_str().unwrap());
                std::fs::write(&path, ex.text).unwrap();
                let limit = options["limit"].as_u64().unwrap_or(1 << 20);
                let want = crate::governance::previous::Want::default();
                let codes = match crate::governance::previous::read(&path, limit, &want) {
                    Ok(p) => match options["as_of"].as_str() {
                        Some(d) => {
                            let as_of = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
                            p.check_date(as_of).iter().map(|i| i.code).collect()
                        }
                        None => Vec::new(),
                    },
                    Err(issues) => issues.iter().map(|i| i.code).collect(),
                };
                let _ = std::fs::remove_dir_all(&dir);
                codes
            }
            Lang::Actual => {
                let dir = example_dir("");
                let mut name = String::new();
                let mut body = String::new();
                let write = |name: &str, body: &str| {
                    if !name.is_empty() {
                        let path = dir.join(name);
                        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                        std::fs::write(path, body).unwrap();
                    }
                };
                for line in ex.text.split_inclusive('\n') {
                    if let Some(next) = line.strip_prefix("# file: ") {
                        write(&name, &body);
                        name = next.trim().to_string();
                        body.clear();
                    } else {
                        body.push_str(line);
                    }
                }
                write(&name, &body);
                let mut options: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(ex.input).unwrap();
                let path = options.remove("path").unwrap();
                if let Some(members) = options.get_mut("members") {
                    *members = dir
                        .join(members.as_str().unwrap())
                        .display()
                        .to_string()
                        .into();
                }
                let options: crate::actual::ReadOptions =
                    serde_json::from_value(serde_json::Value::Object(options)).unwrap();
                let (_, issues) = crate::actual::read(&dir.join(path.as_str().unwrap()), &options);
                let _ = std::fs::remove_dir_all(&dir);
                issues.iter().map(|i| i.code).collect()
            }
            Lang::Yaml => {
                let limits: crate::yaml::Limits = serde_json::from_str(ex.input).unwrap();
                match crate::yaml::parse::<ExamplePolicy>(FileId(0), ex.text, &limits) {
                    Ok(_) => Vec::new(),
                    Err(diags) => diags.iter().map(|d| d.code).collect(),
                }
            }
            Lang::Rule => {
                let (program, mut diags) = crate::rule::compile_str(ex.text, &Schema::entra());
                if let Some(program) = program {
                    diags.extend(program.input_warnings(ex.text, &input));
                    let values: Vec<Value> = program.values_from_json(&input);
                    if let Err(d) = program.eval(&values, &RuleContext { now }) {
                        diags.push(d);
                    }
                }
                diags.iter().map(|d| d.code).collect()
            }
        }
    }

    /// Writes a policy example into a fresh directory: the text up to the first `# file: NAME`
    /// line is `policy.yaml` (not written when it is empty and other files follow), each such
    /// line starts another file; a line `# symlink: NAME -> TARGET` makes a symbolic link.
    fn example_dir(text: &str) -> std::path::PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "roster-example-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut name = "policy.yaml".to_string();
        let mut body = String::new();
        let mut first = true;
        for line in text.split_inclusive('\n') {
            if let Some(link) = line.strip_prefix("# symlink: ") {
                let (link, target) = link.trim().split_once(" -> ").unwrap();
                #[cfg(unix)]
                std::os::unix::fs::symlink(target, dir.join(link)).unwrap();
                #[cfg(not(unix))]
                let _ = (link, target);
            } else if let Some(next) = line.strip_prefix("# file: ") {
                if !(first && body.is_empty()) {
                    std::fs::write(dir.join(&name), &body).unwrap();
                }
                first = false;
                name = next.trim().to_string();
                body.clear();
            } else {
                body.push_str(line);
            }
        }
        std::fs::write(dir.join(&name), &body).unwrap();
        dir
    }

    #[test]
    fn each_bad_example_fires_exactly_its_code() {
        let mut failures = Vec::new();
        for info in ALL {
            let got = codes_of(&info.bad);
            if got.is_empty() || got.iter().any(|c| *c != info.code) {
                failures.push(format!(
                    "{}: bad example produced {got:?}",
                    info.code.as_str()
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn each_good_example_fires_nothing() {
        let mut failures = Vec::new();
        for info in ALL {
            let got = codes_of(&info.good);
            if !got.is_empty() {
                failures.push(format!(
                    "{}: good example produced {got:?}",
                    info.code.as_str()
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn codes_are_unique_and_stage_prefixed() {
        let mut seen = std::collections::HashSet::new();
        for info in ALL {
            let code = info.code.as_str();
            assert!(seen.insert(code), "{code} twice");
            assert!(
                matches!(
                    code.chars().next(),
                    Some('S' | 'C' | 'E' | 'D' | 'Y' | 'G' | 'L')
                ),
                "{code}"
            );
            assert_eq!(code.len(), 4, "{code}");
        }
    }

    #[test]
    fn the_reference_page_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/diagnostics.md");
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        if on_disk != markdown() {
            if std::env::var_os("ROSTER_BLESS").is_some() {
                std::fs::write(path, markdown()).unwrap();
            } else {
                panic!(
                    "docs/diagnostics.md is stale: run `ROSTER_BLESS=1 cargo test --lib codes` or `cargo run -- codes --markdown > docs/diagnostics.md`"
                );
            }
        }
    }
}
