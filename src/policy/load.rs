//! Loading a policy set: every `*.yaml` / `*.yml` file below a directory, in a stable order,
//! each parsed into the raw model with positions.

use std::path::{Path, PathBuf};

use super::raw::PolicyFile;
use crate::diagnostics::{Diagnostic, FileId, SourceMap};
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
    /// Syntax and shape errors.
    pub diagnostics: Vec<Diagnostic>,
}

/// Why a policy set could not be loaded at all (exit status 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Loads every policy file below `dir` (or the single file `dir`). Files are named relative to
/// the current directory as given, and processed in sorted order so results never depend on
/// the file system's listing order.
pub fn load(dir: &Path) -> Result<Loaded, LoadError> {
    let mut paths = Vec::new();
    if dir.is_file() {
        paths.push(dir.to_path_buf());
    } else if dir.is_dir() {
        collect(dir, &mut paths, 0)?;
    } else {
        return Err(LoadError(format!(
            "`{}` is not a file or directory",
            dir.display()
        )));
    }
    paths.sort();
    if paths.len() > MAX_FILES {
        return Err(LoadError(format!(
            "`{}` holds {} policy files, over the limit of {MAX_FILES}",
            dir.display(),
            paths.len()
        )));
    }
    let mut loaded = Loaded::default();
    let limits = Limits::default();
    for path in paths {
        let text = std::fs::read(&path)
            .map_err(|e| LoadError(format!("`{}`: cannot read: {e}", path.display())))?;
        // `./policies/a.yaml` is reported as `policies/a.yaml`, as code scanning expects.
        let name = path
            .strip_prefix(".")
            .unwrap_or(&path)
            .display()
            .to_string();
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
/// map; a syntax or shape error becomes a diagnostic. [`load`] calls it for each file read;
/// the fuzz targets (`fuzz/`) call it with generated text.
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

fn collect(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), LoadError> {
    if depth > 32 {
        return Err(LoadError(format!(
            "`{}` is nested more than 32 directories deep",
            dir.display()
        )));
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| LoadError(format!("`{}`: cannot read directory: {e}", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(|e| LoadError(format!("`{}`: {e}", dir.display())))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let kind = entry
            .file_type()
            .map_err(|e| LoadError(format!("`{}`: {e}", path.display())))?;
        if kind.is_dir() {
            collect(&path, out, depth + 1)?;
        } else if kind.is_file() && (name.ends_with(".yaml") || name.ends_with(".yml")) {
            out.push(path);
        }
        if out.len() > MAX_FILES {
            return Ok(());
        }
    }
    Ok(())
}
