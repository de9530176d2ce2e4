//! What a policy set may name and read, checked on the raw files with the exact location:
//!
//! - **Object names** (`C311`): sources, identity attributes, groups, access packages and
//!   their request policies, connected organisations, targets, workflows and reviews are
//!   named with ASCII letters, digits, `-`, `_` and `.`, starting with a letter, a digit or
//!   `_`, at most [`MAX_NAME`] characters. Source names have no `.` either: references are
//!   written `source.field`. These names become file names (`<target>.csv`), graph node ids,
//!   CSV cells and parts of messages, so they hold nothing a shell, a file system, a CSV
//!   reader, Markdown or a CI log reads specially.
//! - **Attribute names** (`C312`): source fields and target attributes name attributes of
//!   other systems (`Straße`, `emails[type eq "work"].value`,
//!   `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`), so any printable
//!   text is accepted: no control or invisible formatting characters, no white space at
//!   either end, no leading `=`, `+`, `-` or `@` (a spreadsheet reads a CSV header that starts
//!   so as a formula), at most [`MAX_ATTRIBUTE_NAME`] characters.
//! - **Fixed columns** (`C313`): a target attribute cannot be named `key` or `enabled` (any
//!   case), the fixed columns of `eval --format csv`.
//! - **Display names** (`C314`): `display_name`, and the tenant's `name`, are free text for
//!   people (Entra's `displayName`): no control or invisible formatting characters, no white
//!   space at either end, at most [`MAX_DISPLAY_NAME`] characters.
//! - **Source paths** (`C310`): a source's `path` stays inside the root ([`crate::files`]).

use std::path::Path;

use super::load::{Loaded, LoadedFile};
use super::raw::Named;
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, FileId};
use crate::files::{self, quote};
use crate::yaml::Sp;

/// Longest object name, in characters.
pub const MAX_NAME: usize = 128;
/// Longest source field or target attribute name, in characters.
pub const MAX_ATTRIBUTE_NAME: usize = 256;
/// Longest display name, in characters (Entra's limit for a group's `displayName`).
pub const MAX_DISPLAY_NAME: usize = 256;
/// The fixed columns of the per-target CSV files, which target attributes cannot shadow.
pub const FIXED_COLUMNS: &[&str] = &["key", "enabled"];

/// Why an object name is refused, if it is. `dots`: whether `.` is allowed (not in source
/// names).
pub fn object_name_problem(name: &str, dots: bool) -> Option<String> {
    let Some(first) = name.chars().next() else {
        return Some("the name is empty".into());
    };
    if name.chars().count() > MAX_NAME {
        return Some(format!("the name is longer than {MAX_NAME} characters"));
    }
    if !(first.is_ascii_alphanumeric() || first == '_') {
        return Some(format!(
            "the name starts with {}; it must start with a letter, a digit or `_`",
            files::describe(first)
        ));
    }
    let bad = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_') || (dots && *c == '.')));
    match bad {
        None => None,
        Some('.') => Some(
            "the name holds `.`, which separates a source from its field in `source.field`".into(),
        ),
        Some(c) => Some(format!(
            "the name holds {}; names are ASCII letters, digits, `-`, `_` and `.`",
            files::describe(c)
        )),
    }
}

/// Why a source field or target attribute name is refused, if it is.
pub fn attribute_name_problem(name: &str) -> Option<String> {
    let Some(first) = name.chars().next() else {
        return Some("the name is empty".into());
    };
    if name.chars().count() > MAX_ATTRIBUTE_NAME {
        return Some(format!(
            "the name is longer than {MAX_ATTRIBUTE_NAME} characters"
        ));
    }
    if let Some(problem) = text_problem(name) {
        return Some(problem);
    }
    if matches!(first, '=' | '+' | '-' | '@') {
        return Some(format!(
            "the name starts with `{first}`, which a spreadsheet reads as the start of a formula"
        ));
    }
    None
}

/// Why a display name is refused, if it is.
pub fn display_name_problem(text: &str) -> Option<String> {
    if text.is_empty() {
        return Some("the display name is empty".into());
    }
    if text.chars().count() > MAX_DISPLAY_NAME {
        return Some(format!(
            "the display name is longer than {MAX_DISPLAY_NAME} characters"
        ));
    }
    text_problem(text)
}

/// Control and invisible characters, and white space at either end.
fn text_problem(text: &str) -> Option<String> {
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() || files::is_invisible(*c))
    {
        return Some(format!(
            "it holds the control or invisible character {}",
            files::describe(c)
        ));
    }
    if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
        return Some("it starts or ends with white space".into());
    }
    None
}

/// Checks every name, display name and source path of the loaded files.
pub fn check(loaded: &Loaded, diags: &mut Vec<Diagnostic>) {
    for file in &loaded.files {
        let p = &file.policy;
        let f = file.id;
        for (name, source) in &p.sources {
            object(f, name, "source", false, diags);
            for field in source.value.fields.keys() {
                attribute(f, field, "source field", diags);
            }
            source_path(loaded, file, &source.value.path, diags);
        }
        objects(f, &p.approvals, "approval", diags);
        objects(f, &p.assignments, "assignment", diags);
        for a in p.assignments.values() {
            if let Some(g) = &a.value.guest {
                display(f, g.value.display_name.as_ref(), diags);
            }
        }
        for t in p.targets.values() {
            if let Some(x) = &t.value.actual {
                let x = &x.value;
                for path in [
                    Some(&x.users),
                    x.groups.as_ref(),
                    x.members.as_ref(),
                    x.assignments.as_ref(),
                ]
                .into_iter()
                .flatten()
                {
                    source_path(loaded, file, path, diags);
                }
            }
        }
        if let Some(identity) = &p.identity {
            objects(f, &identity.value.attributes, "identity attribute", diags);
        }
        objects(f, &p.groups, "group", diags);
        for g in p.groups.values() {
            display(f, g.value.display_name.as_ref(), diags);
        }
        objects(f, &p.access_packages, "access package", diags);
        for pkg in p.access_packages.values() {
            display(f, pkg.value.display_name.as_ref(), diags);
            objects(f, &pkg.value.policies, "request policy", diags);
        }
        objects(
            f,
            &p.connected_organizations,
            "connected organization",
            diags,
        );
        for o in p.connected_organizations.values() {
            display(f, o.value.display_name.as_ref(), diags);
        }
        objects(f, &p.targets, "target", diags);
        for (target, t) in &p.targets {
            display(f, t.value.display_name.as_ref(), diags);
            for column in t.value.mappings.keys() {
                attribute(f, column, "target attribute", diags);
                if FIXED_COLUMNS
                    .iter()
                    .any(|fixed| column.value.eq_ignore_ascii_case(fixed))
                {
                    let mut d = Diagnostic::new(
                        Code::ReservedColumn,
                        column.span,
                        format!(
                            "the target attribute `{}` of `{}` has the name of a fixed column of the CSV report",
                            quote(&column.value),
                            quote(&target.value)
                        ),
                    )
                    .with_help(format!(
                        "`eval --format csv` writes the columns {} before the target's attributes, so a CSV reader could not tell them apart; rename the attribute",
                        FIXED_COLUMNS
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ));
                    d.file = f;
                    diags.push(d);
                }
            }
        }
        objects(f, &p.workflows, "workflow", diags);
        for w in p.workflows.values() {
            display(f, w.value.display_name.as_ref(), diags);
        }
        objects(f, &p.reviews, "review", diags);
        for r in p.reviews.values() {
            display(f, r.value.display_name.as_ref(), diags);
        }
        if let Some(tenant) = &p.tenant {
            display(f, tenant.value.name.as_ref(), diags);
        }
    }
}

fn objects<T>(file: FileId, named: &Named<T>, kind: &str, diags: &mut Vec<Diagnostic>) {
    for name in named.keys() {
        object(file, name, kind, true, diags);
    }
}

fn object(file: FileId, name: &Sp<String>, kind: &str, dots: bool, diags: &mut Vec<Diagnostic>) {
    let Some(problem) = object_name_problem(&name.value, dots) else {
        return;
    };
    let mut d = Diagnostic::new(
        Code::InvalidName,
        name.span,
        format!("the {kind} name `{}` is not allowed: {problem}", quote(&name.value)),
    )
    .with_help(if dots {
        "names are ASCII letters, digits, `-`, `_` and `.`, start with a letter, a digit or `_`, and are at most 128 characters; put text for people in `display_name`"
    } else {
        "source names are ASCII letters, digits, `-` and `_`, start with a letter, a digit or `_`, and are at most 128 characters"
    });
    d.file = file;
    diags.push(d);
}

fn attribute(file: FileId, name: &Sp<String>, kind: &str, diags: &mut Vec<Diagnostic>) {
    let Some(problem) = attribute_name_problem(&name.value) else {
        return;
    };
    let mut d = Diagnostic::new(
        Code::InvalidAttributeName,
        name.span,
        format!("the {kind} name `{}` is not allowed: {problem}", quote(&name.value)),
    )
    .with_help("attribute names are printable text of at most 256 characters, without white space at either end, and do not start with `=`, `+`, `-` or `@`");
    d.file = file;
    diags.push(d);
}

fn display(file: FileId, text: Option<&Sp<String>>, diags: &mut Vec<Diagnostic>) {
    let Some(text) = text else { return };
    let Some(problem) = display_name_problem(&text.value) else {
        return;
    };
    let mut d = Diagnostic::new(
        Code::InvalidDisplayName,
        text.span,
        format!(
            "the display name `{}` is not allowed: {problem}",
            quote(&text.value)
        ),
    )
    .with_help("display names are one line of printable text of at most 256 characters");
    d.file = file;
    diags.push(d);
}

fn source_path(loaded: &Loaded, file: &LoadedFile, path: &Sp<String>, diags: &mut Vec<Diagnostic>) {
    let base = file
        .path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let root = loaded.access.root.as_deref();
    if let Err(escape) = files::resolve_inside(root, base, &path.value) {
        let mut d = Diagnostic::new(
            Code::PathOutsideRoot,
            path.span,
            escape.message(&path.value),
        )
        .with_help(escape.help());
        d.file = file.id;
        diags.push(d);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn object_names() {
        for good in ["sales", "dept-sales", "a_b", "v1.2", "_x", "1001", "ALL"] {
            assert_eq!(object_name_problem(good, true), None, "{good}");
        }
        for bad in [
            "", ".hidden", "./a", "../../x", "-rf", "a b", "a/b", "a\\b", "évé", "a\nb", "x:y",
            "a|b", "`x`",
        ] {
            assert!(object_name_problem(bad, true).is_some(), "{bad:?}");
        }
        assert!(object_name_problem(&"a".repeat(MAX_NAME), true).is_none());
        assert!(object_name_problem(&"a".repeat(MAX_NAME + 1), true).is_some());
        // Source names: no `.`, which separates the source from the field.
        assert!(
            object_name_problem("hr.main", false)
                .unwrap()
                .contains("source.field")
        );
        assert_eq!(object_name_problem("hr-main", false), None);
        // The problem names the character, escaped.
        assert!(object_name_problem("a\nb", true).unwrap().contains("`\\n`"));
        assert!(
            object_name_problem("a b", true)
                .unwrap()
                .contains("a space")
        );
    }

    #[test]
    fn attribute_names() {
        for good in [
            "givenName",
            "Department Name",
            "Straße",
            "emails[type eq \"work\"].value",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "name.givenName",
        ] {
            assert_eq!(attribute_name_problem(good), None, "{good}");
        }
        for bad in [
            "",
            " x",
            "x ",
            "a\tb",
            "a\r\n",
            "=1+1",
            "+x",
            "-x",
            "@x",
            "a\u{202e}b",
            "a\u{200b}b",
        ] {
            assert!(attribute_name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(attribute_name_problem(&"a".repeat(MAX_ATTRIBUTE_NAME + 1)).is_some());
    }

    #[test]
    fn display_names() {
        assert_eq!(display_name_problem("All Sales (EMEA & US) — 2026"), None);
        for bad in ["", " x", "a\nb", "a\u{1b}[31m", "a\u{2028}b"] {
            assert!(display_name_problem(bad).is_some(), "{bad:?}");
        }
    }
}
