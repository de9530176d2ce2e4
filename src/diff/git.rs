//! The policy set as it was at a git revision, read with `git` itself (no shell): the files
//! under the policy directory at that revision, parsed as if they were where they are today, so
//! that their source paths read today's HR data.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::policy::load::{self, Loaded};
use crate::yaml::Limits;

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("`git` could not be run: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "`git {}` failed: {}",
            args.join(" "),
            err.lines().next().unwrap_or("").trim()
        ));
    }
    Ok(out.stdout)
}

/// A policy file, as the loader reads them: `*.yaml`/`*.yml`, not hidden, and not a test
/// file (`*.test.yaml`, read by `roster test` only).
fn is_policy_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.ends_with(".yaml") || lower.ends_with(".yml"))
        && !crate::policy::load::is_test_name(&lower)
        && !Path::new(name)
            .file_name()
            .is_some_and(|f| f.to_string_lossy().starts_with('.'))
}

/// Loads the policy set `dir` as it was at `rev`, with `current`'s root and limits.
pub fn load_at(dir: &Path, rev: &str, current: &Loaded) -> Result<Loaded, String> {
    if rev.starts_with('-') {
        return Err(format!("--base: `{rev}` is not a revision"));
    }
    let base = if dir.is_dir() {
        dir
    } else {
        dir.parent().unwrap_or(Path::new("."))
    };
    let top = String::from_utf8_lossy(&git(base, &["rev-parse", "--show-toplevel"])?)
        .trim()
        .to_string();
    let top = PathBuf::from(top);
    let absolute = std::fs::canonicalize(dir).map_err(|e| format!("`{}`: {e}", dir.display()))?;
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let rel = absolute
        .strip_prefix(&top)
        .map_err(|_| format!("`{}` is not inside the git repository", dir.display()))?
        .to_path_buf();
    let rel_text = rel.to_string_lossy().replace('\\', "/");
    let spec = if rel_text.is_empty() {
        ".".to_string()
    } else {
        rel_text.clone()
    };
    let listing = git(
        &top,
        &["ls-tree", "-r", "-z", "--name-only", rev, "--", &spec],
    )?;
    let names: Vec<String> = listing
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .filter(|n| is_policy_file(n))
        .collect();
    if names.len() > load::MAX_FILES {
        return Err(format!(
            "`{}` at `{rev}` holds {} policy files, over the limit of {}",
            dir.display(),
            names.len(),
            load::MAX_FILES
        ));
    }
    let mut loaded = Loaded {
        access: current.access.clone(),
        ..Loaded::default()
    };
    let limits = Limits::default();
    for name in names {
        let bytes = git(&top, &["show", &format!("{rev}:{name}")])?;
        if bytes.len() > limits.max_file_bytes {
            return Err(format!(
                "`{name}` at `{rev}` is larger than a policy file may be"
            ));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("`{name}` at `{rev}` is not UTF-8 text"))?;
        let path = top.join(&name);
        load::add_text(&mut loaded, path, format!("{name}@{rev}"), text, &limits);
    }
    if loaded.files.is_empty() && loaded.diagnostics.is_empty() {
        return Err(format!(
            "`{}` holds no policy files at `{rev}`",
            dir.display()
        ));
    }
    Ok(loaded)
}
