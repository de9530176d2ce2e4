//! The policy revision a report names: the commit checked out in the repository that holds the
//! policy set (the nearest ancestor with `.git`, as [`crate::files::default_root`] finds it).
//!
//! Read from the files of the repository, without running `git`: a repository is input that a
//! pull-request author controls, and `git` obeys settings in it (`core.fsmonitor` runs a
//! command). Every file is read with [`crate::files::read_bounded`] (regular files only, a
//! few kilobytes at most; a named pipe cannot block the run), and what comes back is a
//! revision only when it is a full hexadecimal object name (40 or 64 characters): no file of
//! the repository can put other text into a report's header.

use std::path::{Path, PathBuf};

/// The most bytes read of `HEAD`, a `gitdir:` file, `commondir` or a loose ref.
const SMALL_FILE: u64 = 4096;
/// The most bytes read of `packed-refs`.
const PACKED_REFS: u64 = 16 << 20;

/// The commit of `HEAD` in the repository holding `policy` (a directory or a file), lower-case
/// hexadecimal; `None` when there is no repository, `HEAD` is unborn, or anything read is not
/// what git writes.
pub fn of(policy: &Path) -> Option<String> {
    let absolute = std::path::absolute(policy).ok()?;
    let start = if std::fs::metadata(&absolute).ok()?.is_dir() {
        absolute
    } else {
        absolute.parent()?.to_path_buf()
    };
    let (work, dot_git) = start.ancestors().find_map(|a| {
        let dot_git = a.join(".git");
        let meta = std::fs::symlink_metadata(&dot_git).ok()?;
        (meta.is_dir() || meta.is_file()).then(|| (a.to_path_buf(), dot_git))
    })?;
    let git_dir = if std::fs::symlink_metadata(&dot_git).ok()?.is_dir() {
        dot_git
    } else {
        // A worktree or submodule: `gitdir: PATH`, relative to the work tree.
        let text = read_small(&dot_git)?;
        let target = text.strip_prefix("gitdir:")?.trim();
        absolute_from(&work, target)
    };
    let common = match read_small(&git_dir.join("commondir")) {
        Some(rel) => absolute_from(&git_dir, rel.trim()),
        None => git_dir.clone(),
    };
    let head = read_small(&git_dir.join("HEAD"))?;
    let head = head.trim_end_matches(['\n', '\r']);
    if let Some(name) = head.strip_prefix("ref:") {
        let name = name.trim();
        if !ref_name_ok(name) {
            return None;
        }
        for dir in [&git_dir, &common] {
            if let Some(text) = read_small(&dir.join(name)) {
                return object_name(text.trim_end_matches(['\n', '\r']));
            }
        }
        let packed = crate::files::read_bounded(&common.join("packed-refs"), PACKED_REFS).ok()?;
        let packed = String::from_utf8(packed).ok()?;
        return packed.lines().find_map(|line| {
            let (hash, r) = line.split_once(' ')?;
            (r == name).then(|| object_name(hash)).flatten()
        });
    }
    object_name(head)
}

fn read_small(path: &Path) -> Option<String> {
    let bytes = crate::files::read_bounded(path, SMALL_FILE).ok()?;
    String::from_utf8(bytes).ok()
}

fn absolute_from(base: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// A ref name as git writes it under `refs/`: no `..`, no component starting with `.`, plain
/// characters only (anything else is not followed).
fn ref_name_ok(name: &str) -> bool {
    name.starts_with("refs/")
        && name.len() < 1024
        && name
            .split('/')
            .all(|c| !c.is_empty() && !c.starts_with('.'))
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '+'))
}

/// `text` when it is a full object name: 40 (SHA-1) or 64 (SHA-256) hexadecimal digits.
fn object_name(text: &str) -> Option<String> {
    ((text.len() == 40 || text.len() == 64) && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("roster-revision-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".git/refs/heads")).unwrap();
        std::fs::create_dir_all(dir.join("policies")).unwrap();
        dir
    }

    const HASH: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn a_branch_a_detached_head_and_packed_refs_give_the_commit() {
        let dir = repo("branch");
        std::fs::write(dir.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(dir.join(".git/refs/heads/main"), format!("{HASH}\n")).unwrap();
        assert_eq!(of(&dir.join("policies")).as_deref(), Some(HASH));
        std::fs::remove_file(dir.join(".git/refs/heads/main")).unwrap();
        assert_eq!(of(&dir.join("policies")), None);
        std::fs::write(
            dir.join(".git/packed-refs"),
            format!("# pack-refs with: peeled\n{HASH} refs/heads/main\n"),
        )
        .unwrap();
        assert_eq!(of(&dir.join("policies")).as_deref(), Some(HASH));
        std::fs::write(dir.join(".git/HEAD"), HASH.to_uppercase()).unwrap();
        assert_eq!(of(&dir.join("policies")).as_deref(), Some(HASH));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_worktree_reads_its_own_head_and_the_common_refs() {
        let dir = repo("worktree");
        let main = dir.join("main");
        std::fs::create_dir_all(main.join(".git/worktrees/wt")).unwrap();
        std::fs::create_dir_all(main.join(".git/refs/heads")).unwrap();
        std::fs::write(main.join(".git/refs/heads/topic"), HASH).unwrap();
        std::fs::write(
            main.join(".git/worktrees/wt/HEAD"),
            "ref: refs/heads/topic\n",
        )
        .unwrap();
        std::fs::write(main.join(".git/worktrees/wt/commondir"), "../..\n").unwrap();
        let wt = dir.join("wt");
        std::fs::create_dir_all(wt.join("policies")).unwrap();
        std::fs::write(
            wt.join(".git"),
            format!("gitdir: {}\n", main.join(".git/worktrees/wt").display()),
        )
        .unwrap();
        assert_eq!(of(&wt.join("policies")).as_deref(), Some(HASH));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn nothing_but_an_object_name_comes_out() {
        let dir = repo("forged");
        for head in [
            "ref: refs/heads/../../../etc/passwd\n",
            "ref: refs/heads/main\n", // no such ref
            "## Approved by security\n",
            "0123456789abcdef0123456789abcdef0123456`\n",
            "0123456789abcdef",
            "",
        ] {
            std::fs::write(dir.join(".git/HEAD"), head).unwrap();
            assert_eq!(of(&dir.join("policies")), None, "{head:?}");
        }
        std::fs::write(dir.join(".git/HEAD"), "ref: refs/heads/x\n").unwrap();
        std::fs::write(dir.join(".git/refs/heads/x"), "<img src=x> approved\n").unwrap();
        assert_eq!(of(&dir.join("policies")), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn no_repository_is_no_revision() {
        // The temporary directory's ancestors hold no `.git` on a normal machine; a run under
        // a repository checked out at `/` would be odd, so only check there is no panic.
        let _ = of(&std::env::temp_dir());
        assert_eq!(of(Path::new("/nonexistent/roster/policies")), None);
    }
}
