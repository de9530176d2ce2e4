//! Loading a policy set: every `*.yaml` / `*.yml` file below a directory, in a stable order,
//! each parsed into the raw model with positions, and the root of what it may read
//! ([`crate::files`]).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::raw::PolicyFile;
use crate::diagnostics::{Diagnostic, FileId, SourceMap, Span};
use crate::files::{self, Access};
use crate::yaml::{self, Limits};

/// Most files one policy set may hold.
pub const MAX_FILES: usize = 10_000;

/// One parsed file.
#[derive(Debug)]
pub struct LoadedFile {
    /// Its id in the source map.
    pub id: FileId,
    /// Its path on disk.
    pub path: PathBuf,
    /// Its contents, if it parsed.
    pub policy: PolicyFile,
}

/// A loaded policy set: the texts, the parsed files, and the diagnostics of files that did not
/// parse.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every file's name and text.
    pub sources: SourceMap,
    /// The files that parsed.
    pub files: Vec<LoadedFile>,
    /// Syntax and shape errors, and the files discovery refused.
    pub diagnostics: Vec<Diagnostic>,
    /// What the policy set may read: the root and the largest data file.
    pub access: Access,
    /// The test files found below the directory (`*.test.yaml`, `*.test.yml`), in sorted
    /// order: not policy files, read by [`crate::testing`].
    pub test_files: Vec<PathBuf>,
}

/// Why a policy set could not be loaded at all (exit status 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a policy set is loaded: the root of what it may read, and the largest data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// `--data-root`: replaces the default root ([`crate::files::default_root`]).
    pub data_root: Option<PathBuf>,
    /// `--max-data-size`: the largest data file read, in bytes.
    pub max_data_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            data_root: None,
            max_data_bytes: files::DEFAULT_MAX_DATA_BYTES,
        }
    }
}

/// Loads every policy file below `dir` (or the single file `dir`) with the default options.
pub fn load(dir: &Path) -> Result<Loaded, LoadError> {
    load_with(dir, &LoadOptions::default())
}

/// Loads every policy file below `dir` (or the single file `dir`): every regular file whose
/// name ends in `.yaml` or `.yml` (any case), except those whose name (or a directory's) starts
/// with `.`. Symbolic links are followed when they lead to a place inside the root, each
/// directory once (a link back to a directory already read is not read again, so loops end);
/// a link that leads out of the root, or nowhere, and anything that is not a regular file, is
/// a `C316` error naming it. A directory with no policy file at all is a `C315` error.
///
/// Files are named relative to the current directory as given, and processed in sorted order
/// so results never depend on the file system's listing order; a file reached by two paths
/// is read once, under the first.
pub fn load_with(dir: &Path, options: &LoadOptions) -> Result<Loaded, LoadError> {
    if !dir.exists() {
        return Err(LoadError(format!(
            "`{}` is not a file or directory",
            dir.display()
        )));
    }
    let root = files::root_for(dir, options.data_root.as_deref()).map_err(LoadError)?;
    let mut walker = Walker {
        root: &root,
        visited: HashSet::new(),
        found: Vec::new(),
        tests: Vec::new(),
        refused: Vec::new(),
    };
    if dir.is_file() {
        if is_test_name(&dir.file_name().unwrap_or_default().to_string_lossy()) {
            walker.tests.push(dir.to_path_buf());
        } else {
            walker.found.push(dir.to_path_buf());
        }
    } else if dir.is_dir() {
        if let Ok(canonical) = std::fs::canonicalize(dir) {
            walker.visited.insert(canonical);
        }
        walker.collect(dir, 0)?;
    } else {
        return Err(LoadError(format!(
            "`{}` is not a file or directory",
            dir.display()
        )));
    }
    let Walker {
        mut found,
        mut tests,
        refused,
        ..
    } = walker;
    found.sort();
    let mut seen = HashSet::new();
    found.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    tests.sort();
    tests.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    if found.len() + tests.len() > MAX_FILES {
        return Err(LoadError(format!(
            "`{}` holds {} policy files, over the limit of {MAX_FILES}",
            dir.display(),
            found.len() + tests.len()
        )));
    }
    let mut loaded = Loaded {
        access: Access {
            root: Some(root.clone()),
            max_data_bytes: options.max_data_bytes,
        },
        test_files: tests,
        ..Loaded::default()
    };
    for (path, why) in &refused {
        loaded.refuse(path, why);
    }
    if found.is_empty() && refused.is_empty() {
        let id = loaded.sources.add(display_name(dir), String::new());
        let mut d = Diagnostic::new(
            crate::codes::Code::NoPolicyFiles,
            Span::new(0, 0),
            format!(
                "`{}` holds no policy files",
                files::quote(&dir.display().to_string())
            ),
        )
        .with_help(
            "policy files are the `*.yaml` and `*.yml` files below the directory (names starting with `.` are skipped); check the path",
        );
        d.file = id;
        loaded.diagnostics.push(d);
    }
    let limits = Limits::default();
    let max = u64::try_from(limits.max_file_bytes).unwrap_or(u64::MAX);
    for path in found {
        let name = display_name(&path);
        let text = match files::read_bounded(&path, max) {
            Ok(text) => text,
            Err(files::Refusal::Io(e)) => {
                return Err(LoadError(format!("`{}`: cannot read: {e}", path.display())));
            }
            Err(files::Refusal::TooLarge { size, limit }) => {
                let id = loaded.sources.add(name, String::new());
                let mut d = Diagnostic::new(
                    crate::codes::Code::YamlTooLarge,
                    Span::new(0, 0),
                    format!(
                        "the file is {}, larger than the limit of {}",
                        files::format_size(size),
                        files::format_size(limit)
                    ),
                )
                .with_help("split the policies into several files");
                d.file = id;
                loaded.diagnostics.push(d);
                continue;
            }
            Err(refusal @ files::Refusal::NotRegular(_)) => {
                loaded.refuse(&path, &refusal.to_string());
                continue;
            }
        };
        let text = match String::from_utf8(text) {
            Ok(t) => t,
            Err(e) => {
                let id = loaded
                    .sources
                    .add(name, String::from_utf8_lossy(e.as_bytes()).into_owned());
                let at = e.utf8_error().valid_up_to();
                let mut d = Diagnostic::new(
                    crate::codes::Code::YamlSyntax,
                    crate::diagnostics::Span::new(at, at + 1),
                    "the file is not valid UTF-8",
                )
                .with_help("save policy files as UTF-8");
                d.file = id;
                loaded.diagnostics.push(d);
                continue;
            }
        };
        add_text(&mut loaded, path, name, text, &limits);
    }
    Ok(loaded)
}

/// Parses the text of one policy file into `loaded`: the file and its text join the source
/// map; a syntax or shape error becomes a diagnostic. [`load_with`] calls it for each file
/// read; the fuzz targets (`fuzz/`) call it with generated text.
pub fn add_text(loaded: &mut Loaded, path: PathBuf, name: String, text: String, limits: &Limits) {
    let id = loaded.sources.add(name, text);
    let Some((_, text)) = loaded.sources.get(id) else {
        return;
    };
    match yaml::parse::<Option<PolicyFile>>(id, text, limits) {
        Ok(policy) => loaded.files.push(LoadedFile {
            id,
            path,
            policy: policy.unwrap_or_default(),
        }),
        Err(diags) => loaded.diagnostics.extend(diags),
    }
}

/// `./policies/a.yaml` is reported as `policies/a.yaml`, as code scanning expects.
fn display_name(path: &Path) -> String {
    path.strip_prefix(".").unwrap_or(path).display().to_string()
}

impl Loaded {
    /// The `display_name`s of groups, access packages and targets, by `group:NAME`,
    /// `package:NAME` and `target:NAME`: for human reports only.
    pub fn display_names(&self) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        for file in &self.files {
            let p = &file.policy;
            let groups = p
                .groups
                .iter()
                .map(|(n, g)| ("group", n, g.value.display_name.as_ref()));
            let packages = p
                .access_packages
                .iter()
                .map(|(n, a)| ("package", n, a.value.display_name.as_ref()));
            let targets = p
                .targets
                .iter()
                .map(|(n, t)| ("target", n, t.value.display_name.as_ref()));
            for (kind, name, display) in groups.chain(packages).chain(targets) {
                if let Some(display) = display {
                    out.insert(format!("{kind}:{}", name.value), display.value.clone());
                }
            }
        }
        out
    }

    /// Records a `C316` for a path discovery refused, as a file of its own (there is no text
    /// to point into).
    fn refuse(&mut self, path: &Path, why: &str) {
        let id = self.sources.add(display_name(path), String::new());
        let mut d = Diagnostic::new(
            crate::codes::Code::PolicyFileRefused,
            Span::new(0, 0),
            format!(
                "`{}` is not read: {why}",
                files::quote(&display_name(path))
            ),
        )
        .with_help(if why.contains("symbolic link") {
            "policy files and directories may be symbolic links only to places inside the root (the repository that holds the policy set, or `--data-root`); copy the file into the repository instead"
        } else {
            "a policy file is a regular file; remove this one, or rename it so that its name does not end in `.yaml` or `.yml`"
        });
        d.file = id;
        self.diagnostics.push(d);
    }
}

/// Whether a file name is a policy file's: `*.yaml` or `*.yml`, any case (test files
/// included: [`is_test_name`] tells them apart).
fn is_policy_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml")
}

/// Whether a file name is a test file's: `*.test.yaml` or `*.test.yml`, any case. Test files
/// live in the policy set but are not policy files (`docs/testing.md`).
pub fn is_test_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".test.yaml") || lower.ends_with(".test.yml")
}

struct Walker<'a> {
    root: &'a Path,
    /// Canonical directories already read (loop protection).
    visited: HashSet<PathBuf>,
    found: Vec<PathBuf>,
    /// Test files found.
    tests: Vec<PathBuf>,
    /// Paths refused, and why.
    refused: Vec<(PathBuf, String)>,
}

impl Walker<'_> {
    /// A regular file with a policy file's name: a policy file or a test file.
    fn push(&mut self, path: PathBuf, name: &str) {
        if is_test_name(name) {
            self.tests.push(path);
        } else {
            self.found.push(path);
        }
    }

    fn collect(&mut self, dir: &Path, depth: usize) -> Result<(), LoadError> {
        if depth > 32 {
            return Err(LoadError(format!(
                "`{}` is nested more than 32 directories deep",
                dir.display()
            )));
        }
        let entries = std::fs::read_dir(dir)
            .map_err(|e| LoadError(format!("`{}`: cannot read directory: {e}", dir.display())))?;
        let mut entries: Vec<_> = entries
            .collect::<Result<_, _>>()
            .map_err(|e| LoadError(format!("`{}`: {e}", dir.display())))?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let kind = entry
                .file_type()
                .map_err(|e| LoadError(format!("`{}`: {e}", path.display())))?;
            if kind.is_symlink() {
                self.follow(&path, &name, depth)?;
            } else if kind.is_dir() {
                let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                if self.visited.insert(canonical) {
                    self.collect(&path, depth + 1)?;
                }
            } else if is_policy_name(&name) {
                if kind.is_file() {
                    self.push(path, &name);
                } else {
                    let what = files::Refusal::NotRegular(files::kind_of(kind));
                    self.refused.push((path, what.to_string()));
                }
            }
            if self.found.len() + self.tests.len() > MAX_FILES {
                return Ok(());
            }
        }
        Ok(())
    }

    /// A symbolic link: followed when it leads inside the root.
    fn follow(&mut self, path: &Path, name: &str, depth: usize) -> Result<(), LoadError> {
        let Ok(target) = std::fs::canonicalize(path) else {
            if is_policy_name(name) {
                self.refused.push((
                    path.to_path_buf(),
                    "it is a symbolic link that leads nowhere".into(),
                ));
            }
            return Ok(());
        };
        let Ok(meta) = std::fs::metadata(&target) else {
            return Ok(());
        };
        if !target.starts_with(self.root) {
            if meta.is_dir() || is_policy_name(name) {
                self.refused.push((
                    path.to_path_buf(),
                    format!(
                        "it is a symbolic link that leads out of the root `{}`, to `{}`",
                        files::quote(&self.root.display().to_string()),
                        files::quote(&target.display().to_string())
                    ),
                ));
            }
            return Ok(());
        }
        if meta.is_dir() {
            if self.visited.insert(target) {
                self.collect(path, depth + 1)?;
            }
        } else if is_policy_name(name) {
            if meta.is_file() {
                self.push(path.to_path_buf(), name);
            } else {
                let what = files::Refusal::NotRegular(files::kind_of(meta.file_type()));
                self.refused.push((path.to_path_buf(), what.to_string()));
            }
        }
        Ok(())
    }
}
