//! Reading each target's actual-state exports, as its `actual:` setting declares them.
//!
//! Paths are relative to the declaring policy file, or to `--actual DIR` when given, and stay
//! inside the repository root (or inside `DIR`, which whoever runs Roster chose). A missing
//! export, one that cannot be read, or an empty users export while the desired state holds
//! accounts in the target stops the plan: a plan made from a missing file would create every
//! account again, or read every account as gone.

use std::path::{Path, PathBuf};

use crate::actual::{self, Accounts, CsvNull, CsvOptions, Format, ObjectKind, ReadOptions};
use crate::codes::Code;
use crate::files;
use crate::ingest::DataIssue;
use crate::policy::load::Loaded;
use crate::policy::raw;

/// What one target actually holds.
#[derive(Debug)]
pub struct TargetActual {
    /// The target's name.
    pub target: String,
    /// The user accounts.
    pub users: Accounts,
    /// The groups with their members, when exported.
    pub groups: Option<Accounts>,
    /// Access-package assignments, when exported (Graph).
    pub assignments: Option<Accounts>,
}

/// Where the exports are read from.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    /// `--actual DIR`: each target's exports are read from `DIR/<target>/`, under the file
    /// names the policy declares (the last component of each path), and only inside `DIR`.
    pub base: Option<PathBuf>,
    /// The most bytes one export may hold.
    pub max_bytes: Option<u64>,
}

/// The format a target's exports are in: declared, else by the target's kind.
pub fn format_of(target: &raw::Target, export: Option<&raw::ActualExport>) -> Format {
    match export.and_then(|e| e.format.as_ref()).map(|f| f.value) {
        Some(raw::ActualFormat::Graph) => Format::Graph,
        Some(raw::ActualFormat::Ldif) => Format::Ldif,
        Some(raw::ActualFormat::Scim) => Format::Scim,
        Some(raw::ActualFormat::Csv) => Format::Csv,
        None => match target.kind.value {
            raw::TargetKind::Directory => Format::Graph,
            raw::TargetKind::Scim => Format::Scim,
            raw::TargetKind::Ldap => Format::Ldif,
            raw::TargetKind::Sql => Format::Csv,
        },
    }
}

/// Reads every target's exports. Targets without an `actual:` setting are left out (and
/// named in a warning); every problem is an issue.
pub fn read_all(
    loaded: &Loaded,
    locations: &Locations,
    issues: &mut Vec<DataIssue>,
) -> Vec<TargetActual> {
    let mut out = Vec::new();
    read_each(
        loaded,
        locations,
        issues,
        None,
        |_, _| None::<NoTap>,
        |t, _| out.push(t),
    );
    out
}

/// No tap: the accounts are read whole.
pub enum NoTap {}

impl actual::Tap for NoTap {
    fn column(&mut self, _: usize, _: &str) {
        match *self {}
    }

    fn keeps(&self, _: &str) -> bool {
        match *self {}
    }

    fn row(&mut self, _: usize, _: &str, _: &[(usize, actual::Cell<'_>)], _: Option<bool>) {
        match *self {}
    }
}

/// One target's exports, read whole before the planning asked for them (the directory's,
/// read while the evaluation runs for the previous state change triggers compare with): what
/// was read, if anything, and every problem reading found, as [`read_each`] would have read
/// and reported them.
pub struct ReadBefore {
    pub target: String,
    pub actual: Option<TargetActual>,
    pub problems: Vec<DataIssue>,
}

impl ReadBefore {
    /// Whether the exports were read completely (no error).
    pub fn complete(&self) -> Option<&TargetActual> {
        let failed = self
            .problems
            .iter()
            .any(|p| p.severity == crate::diagnostics::Severity::Error);
        self.actual.as_ref().filter(|_| !failed)
    }
}

/// Reads target `name`'s exports whole, as [`read_each`] reads them (without a tap): `None`
/// when the policy set declares no such target with an actual state.
pub(crate) fn read_before(
    loaded: &Loaded,
    locations: &Locations,
    name: &str,
) -> Option<ReadBefore> {
    for file in &loaded.files {
        let Some((_, target)) = file.policy.targets.iter().find(|(n, _)| n.value == name) else {
            continue;
        };
        let export = &target.value.actual.as_ref()?.value;
        let mut problems = Vec::new();
        let actual = read_target(
            name,
            &target.value,
            export,
            &base_of(&file.path),
            loaded,
            locations,
            None,
            &mut problems,
        );
        return Some(ReadBefore {
            target: name.to_string(),
            actual,
            problems,
        });
    }
    None
}

/// The directory a policy file's relative paths start from.
fn base_of(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Reads the targets' exports one target at a time, in the order of their names, and hands
/// each target read to `each` before the next is read (so that a target's accounts can be
/// dropped before the next target's are read). The users export of a target is read with the
/// tap `tap_for` gives for the target's name and export format, if any, which `each` then
/// receives: only the attributes it keeps are read into the accounts. A target in `before`
/// is not read again: its accounts are handed to the tap as reading them would have
/// ([`actual::replay`]), and its problems are reported where reading it would have reported
/// them. The issues are those of [`read_all`], in the same order: by target as the policy
/// files declare them.
pub fn read_each<'l, T: actual::Tap + Send>(
    loaded: &'l Loaded,
    locations: &Locations,
    issues: &mut Vec<DataIssue>,
    mut before: Option<ReadBefore>,
    mut tap_for: impl FnMut(&'l str, Format) -> Option<T>,
    mut each: impl FnMut(TargetActual, Option<T>),
) {
    // Each declared target's issues, in declaration order; the targets to read.
    let mut blocks: Vec<Vec<DataIssue>> = Vec::new();
    let mut jobs = Vec::new();
    for file in &loaded.files {
        let base = base_of(&file.path);
        for (name, target) in &file.policy.targets {
            let Some(export) = &target.value.actual else {
                blocks.push(vec![
                    DataIssue::new(
                        Code::PlanNoActualState,
                        &file.path.display().to_string(),
                        format!(
                            "target `{}` declares no actual state: it is not planned",
                            name.value
                        ),
                    )
                    .help("add `actual: {users: PATH}` to the target, naming its export"),
                ]);
                continue;
            };
            jobs.push((
                name.value.as_str(),
                blocks.len(),
                file,
                &target.value,
                &export.value,
                base.clone(),
            ));
            blocks.push(Vec::new());
        }
    }
    jobs.sort_by(|a, b| a.0.cmp(b.0));
    for (name, block, file, target, export, base) in jobs {
        let mut problems = Vec::new();
        let mut tap = tap_for(name, format_of(target, Some(export)));
        let read = match before.take_if(|b| b.target == name) {
            Some(read) => {
                problems = read.problems;
                if let (Some(tap), Some(actual)) = (tap.as_mut(), &read.actual) {
                    actual::replay(&actual.users, tap);
                }
                read.actual
            }
            None => read_target(
                name,
                target,
                export,
                &base,
                loaded,
                locations,
                tap.as_mut().map(|t| t as &mut (dyn actual::Tap + Send)),
                &mut problems,
            ),
        };
        // An export with an error may lack accounts it should have: planning from it would
        // create accounts that exist, or miss what should be removed. The target is not
        // planned.
        let failed = problems
            .iter()
            .any(|p| p.severity == crate::diagnostics::Severity::Error);
        match read {
            Some(t) if !failed => each(t, tap),
            _ => problems.push(
                DataIssue::new(
                    Code::PlanTargetNotPlanned,
                    &file.path.display().to_string(),
                    format!(
                        "target `{name}` is not planned: its actual state could not be read completely"
                    ),
                )
                .help("fix the problems reported for its exports; a plan from a partial export would create accounts that exist, or miss those to remove"),
            ),
        }
        if let Some(slot) = blocks.get_mut(block) {
            *slot = problems;
        }
    }
    issues.extend(blocks.into_iter().flatten());
}

#[allow(clippy::too_many_arguments)]
fn read_target(
    name: &str,
    target: &raw::Target,
    export: &raw::ActualExport,
    base: &Path,
    loaded: &Loaded,
    locations: &Locations,
    tap: Option<&mut (dyn actual::Tap + Send)>,
    issues: &mut Vec<DataIssue>,
) -> Option<TargetActual> {
    let format = format_of(target, Some(export));
    let mut options = ReadOptions {
        format,
        ..ReadOptions::default()
    };
    if let Some(max) = locations.max_bytes {
        options.max_bytes = max;
    }
    if format == Format::Csv {
        options.csv = CsvOptions {
            key: export
                .key
                .as_ref()
                .map_or_else(|| "id".to_string(), |k| k.value.clone()),
            delimiter: export
                .delimiter
                .as_ref()
                .and_then(|d| d.value.chars().next())
                .unwrap_or(','),
            null: match export.null.as_ref().map(|n| n.value.as_str()) {
                None | Some("unquoted-empty") => CsvNull::UnquotedEmpty,
                Some("never") => CsvNull::Never,
                Some(marker) => CsvNull::Marker(marker.to_string()),
            },
            enabled: export.enabled.as_ref().map(|e| e.value.clone()),
        };
    }
    // With `--actual DIR`, the exports are `DIR/<target>/<file name>`: the declared paths'
    // last components, inside the directory whoever runs Roster chose.
    let resolve = |rel: &str, issues: &mut Vec<DataIssue>| -> Option<PathBuf> {
        let (root, dir, rel) = match &locations.base {
            Some(dir) => {
                let leaf = Path::new(rel)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (std::fs::canonicalize(dir).ok(), dir.join(name), leaf)
            }
            None => (
                loaded.access.root.clone(),
                base.to_path_buf(),
                rel.to_string(),
            ),
        };
        match files::resolve_inside(root.as_deref(), &dir, &rel) {
            Ok(p) => Some(p),
            Err(escape) => {
                issues.push(
                    DataIssue::new(
                        Code::PathOutsideRoot,
                        &dir.join(&rel).display().to_string(),
                        escape.message(&rel),
                    )
                    .help(escape.help()),
                );
                None
            }
        }
    };
    let users_path = resolve(&export.users.value, issues)?;
    let (users, mut problems) = actual::read_with(&users_path, &options, tap);
    issues.append(&mut problems);
    let users = users?;
    let mut groups = None;
    if let Some(g) = &export.groups {
        let path = resolve(&g.value, issues)?;
        let mut o = ReadOptions {
            kind: ObjectKind::Groups,
            ..options.clone()
        };
        if let Some(m) = &export.members {
            o.members = Some(resolve(&m.value, issues)?);
        }
        let (read, mut problems) = actual::read(&path, &o);
        issues.append(&mut problems);
        groups = Some(read?);
    }
    let mut assignments = None;
    if let Some(a) = &export.assignments {
        let path = resolve(&a.value, issues)?;
        let o = ReadOptions {
            kind: ObjectKind::Assignments,
            ..options.clone()
        };
        let (read, mut problems) = actual::read(&path, &o);
        issues.append(&mut problems);
        assignments = Some(read?);
    }
    Some(TargetActual {
        target: name.to_string(),
        users,
        groups,
        assignments,
    })
}
