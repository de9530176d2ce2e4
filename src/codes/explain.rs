//! Longer explanations of diagnostic codes, for `roster codes CODE` and `docs/diagnostics.md`:
//! what the finding means in Entra and why it matters, beyond the one-line summary. Codes
//! without an entry here are explained by their summary, their stage and their examples.

use super::Code;

/// The explanation of `code`, when one is written.
pub fn explanation(code: Code) -> Option<&'static str> {
    EXPLANATIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, text)| *text)
}

/// What the first letter of a code says about where it is found.
pub fn stage(code: Code) -> &'static str {
    match code.as_str().as_bytes().first() {
        Some(b'S') => {
            "syntax: the expression or rule does not follow the grammar; found before anything is evaluated (`roster expr`, `roster rule`, `roster lint`)"
        }
        Some(b'C') => {
            "check: names, types, references and limits of an expression, rule or policy set; found before any data is read (`roster lint`, and before `eval` runs)"
        }
        Some(b'E') => {
            "evaluation: found while an expression or rule is evaluated on data (`roster expr`, `roster rule`, `roster eval`)"
        }
        Some(b'D') => {
            "data: found while an HR export (`D1xx`) or an actual-state export (`D2xx`) is read; reported with file, row and field"
        }
        Some(b'Y') => {
            "YAML: a policy file cannot be read as a policy file (syntax, shape, limits); what it defines is missing from the set"
        }
        Some(b'G') => {
            "graph: the dependency graph of the policy set cannot be ordered (`roster lint`, `roster graph`)"
        }
        Some(b'L') => {
            "lint: the policy is valid but likely wrong; a warning from `roster lint` (an error under `--deny-warnings`)"
        }
        _ => "",
    }
}

const EXPLANATIONS: &[(Code, &str)] = &[
    (
        Code::UnknownProperty,
        "Entra evaluates a dynamic membership rule against a fixed list of user and device properties, plus the custom attributes `extensionAttribute1`..`15` and the directory extensions `extension_<appId>_<name>` (the application id as 32 hex digits). A property outside that list makes Entra refuse to save the rule, so Roster refuses it too, and suggests the nearest supported name. Property names are compared without regard to case; the spelling must otherwise be exact.",
    ),
    (
        Code::UnusedSourceField,
        "A field declared in a source's `fields` that no attribute, correlation, key or modification setting reads. It is usually a leftover after a mapping changed, or a typo in the attribute that meant to read it, which then reads nothing. Remove the field, or use it.",
    ),
    (
        Code::UnusedAttribute,
        "An identity attribute that no rule, mapping, workflow or lifecycle setting reads is computed for every person and never used. Often the mapping that should read it names another attribute by mistake.",
    ),
    (
        Code::ConstantRule,
        "A rule whose `-and` requires two things that cannot both hold (always false: the group stays empty), or whose `-or` accepts a condition and its negation (always true: everyone is a member). Either way the rule does not select anybody in particular, which is almost always a typo in a value or an operator.",
    ),
    (
        Code::BacktrackingPattern,
        "Lookaround, backreferences and atomic groups need a backtracking regular-expression engine, which is slower and can hit the evaluation step limit on unlucky input (`E104`). A pattern without them runs in linear time. When the input is known to be short, the finding can be suppressed with a reason.",
    ),
    (
        Code::UniqueValueNotOnCreate,
        "Entra documents `SelectUniqueValue` for mappings applied only during object creation. Applied always, it runs again on every update, finds the person's own current value taken (by the person), and picks the next candidate: user principal names and mail addresses change under people's feet. Set `apply: on_create`.",
    ),
    (
        Code::SwitchOnReference,
        "Entra documents that `Switch` must not be used with reference attributes such as `manager`: the provisioning service compares object references, not the values the expression sees, and the result is not what the expression says.",
    ),
    (
        Code::IifTestsEmptiness,
        "Entra documents that when the source attribute used in an `IIF` condition is empty or NULL, the condition check fails, so a condition that tests for emptiness does not take the branch it was written for. Test the value with `Switch` (`Switch([dept], [dept], \"\", \"Unknown\")`) or use `Coalesce` instead.",
    ),
    (
        Code::RuleNearLimit,
        "Entra limits a membership rule to 3,072 characters. A rule within 10% of the limit breaks at the next edit, usually in a pull request that only adds one more value. Split the rule (a group per department, then a group of groups) or use `-in` lists.",
    ),
    (
        Code::IncompatibleOverlap,
        "Two access packages declared incompatible both have auto-assignment rules that one person can match. Entra assigns one package and refuses the other, or reports a separation-of-duties violation, depending on the order it sees them.",
    ),
    (
        Code::NoDeletionThreshold,
        "Without an accidental-deletion threshold, one truncated or wrong HR export can disable or delete every account in the target in one provisioning cycle. Entra's threshold stops the cycle and asks an administrator instead.",
    ),
    (
        Code::SecretInPolicy,
        "Policy files live in git, where every clone and every fork keeps a credential forever. Credentials belong in the environment of whoever runs the provisioning (`connection.credential_env`). A value that only looks like a secret (a test fixture, a public identifier) can be suppressed with a reason.",
    ),
    (
        Code::ReviewAutoRemoves,
        "An access review that applies its results automatically with `deny` as the default decision removes every access that reviewers did not answer for. If reviewers do not respond, everyone in scope loses access at the end of the review.",
    ),
    (
        Code::GuestAccessNeverExpires,
        "A request policy open to connected organizations whose assignments never expire lets guests keep access long after the collaboration ends; Entra removes a guest only when all their assignments have expired.",
    ),
    (
        Code::NoIdentity,
        "The policy set has no `identity` section, so there is no way to turn source records into identities: it lints, but `eval` and `explain` refuse to run. A set split across directories and linted one directory at a time says so here.",
    ),
    (
        Code::HiddenControl,
        "A bidirectional formatting character, a line or paragraph separator or another invisible control makes text display differently from how it is parsed (\"Trojan Source\"): a reviewer reads one policy and Roster runs another. Write such a character as an escape in a double-quoted string (`\"\\u202E\"`). This finding cannot be suppressed: the suppression comment itself could be hidden by the character.",
    ),
    (
        Code::TargetHoldsNobody,
        "A target takes only the identities assigned to it (the default, as Entra's \"sync only assigned users and groups\"), and nothing assigns any: no group or access package in its scope, and no package granting one of its app roles. It holds nobody, often because the last scope entry was removed.",
    ),
    (
        Code::AssignmentsIgnored,
        "A target with `sync: all` takes every identity, as Entra's \"sync all users and groups\"; the groups and access packages it also lists do not narrow who is provisioned, although the policy reads as if they did.",
    ),
    (
        Code::OptionalPrimarySource,
        "Identities take their key from the primary source. Declared optional, an empty export of it does not stop `eval`: the other sources alone make the identities, every key changes or nobody is left, and a plan reads that as everyone leaving and new people arriving.",
    ),
    (
        Code::SuppressionWithoutReason,
        "A suppression (`# roster: allow CODE -- reason`) hides a finding from the people who review the pull request; the reason after `--` is what tells them why the finding does not matter here. Without it the suppression still applies, and this warning stands (and fails `--deny-warnings`) until a reason is written.",
    ),
    (
        Code::SuppressionUnknownCode,
        "The code named in a suppression comment is not a diagnostic code, so the comment suppresses nothing; most often a typo (`L04` for `L004`). `roster codes` lists every code.",
    ),
    (
        Code::SuppressionNotAllowed,
        "Only lint findings (`L0nn`) can be suppressed in source. Errors and warnings of the other stages say that the policy is wrong as written or would run differently in Entra, and must be fixed; `L030` guards the text a suppression is written in; the findings about suppressions themselves cannot be suppressed either.",
    ),
    (
        Code::UnusedSuppression,
        "A suppression that covers no finding of the code it names: the finding was fixed, or the comment stands above the wrong node. Left in place it would silently hide a new finding there later. A comment on its own line covers the next node (a mapping entry with its whole value, or a sequence item); after content, the node that begins on its line; `allow-file`, the whole file.",
    ),
    (
        Code::MalformedDirective,
        "A comment whose text starts with `roster:` is read as a directive. The directives are `# roster: allow CODE[, CODE...] -- reason` (the next node, or the node on the comment's line) and `# roster: allow-file CODE[, CODE...] -- reason` (the whole file). A misspelt directive would otherwise be ignored silently and its findings reported without anyone knowing why.",
    ),
];
