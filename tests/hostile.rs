//! The hostile corpus: every directory `tests/hostile/<case>/` is one test that runs the
//! `roster` binary on inputs a hostile pull-request author or broken HR data could produce, and
//! checks that Roster fails closed. `tests/hostile/README.md` documents the format of `case.yaml`.
//!
//! Each case runs in a fresh temporary directory laid out as
//!
//! ```text
//! <root>/repo/.git/     a repository root, so the copy is "the repository"
//! <root>/repo/...       the case's files ({case})
//! <root>/scratch/       an empty directory outside the repository ({tmp})
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use serde::Deserialize;

/// `case.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The finding this case pins, in one line.
    about: String,
    /// The arguments to `roster`; `{case}` and `{tmp}` are substituted.
    args: Vec<String>,
    /// The required exit code.
    exit: i32,
    #[serde(default)]
    stdout_contains: Vec<String>,
    #[serde(default)]
    stdout_lacks: Vec<String>,
    #[serde(default)]
    stderr_contains: Vec<String>,
    #[serde(default)]
    stderr_lacks: Vec<String>,
    /// Paths that must not exist after the run.
    #[serde(default)]
    absent: Vec<String>,
    /// Paths that must exist after the run.
    #[serde(default)]
    present: Vec<String>,
    /// Symbolic links created before the run: link path (relative to the copy) to target.
    #[serde(default)]
    symlinks: BTreeMap<String, String>,
    /// Named pipes created before the run (relative to the copy).
    #[serde(default)]
    fifos: Vec<String>,
    /// Files generated before the run (relative to the copy).
    #[serde(default)]
    files: BTreeMap<String, Generated>,
    /// Text written to standard input.
    #[serde(default)]
    stdin: Option<String>,
    /// Environment variables set for the run.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// The run is killed, and the case fails, after this many seconds.
    #[serde(default = "default_timeout")]
    timeout_secs: u64,
}

/// A generated file: `prefix`, then `repeat` written `times` times, then `suffix`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Generated {
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    repeat: String,
    #[serde(default)]
    times: u64,
    #[serde(default)]
    suffix: String,
}

fn default_timeout() -> u64 {
    30
}

fn main() {
    let args = Arguments::from_args();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("tests/hostile exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.yaml").is_file())
        .collect();
    dirs.sort();
    let trials = dirs
        .into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            Trial::test(name, move || run_case(&dir))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn run_case(dir: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(dir.join("case.yaml")).map_err(|e| e.to_string())?;
    let case: Case = serde_saphyr::from_str(&text).map_err(|e| format!("case.yaml: {e}"))?;

    let root = fresh_dir(dir.file_name().unwrap().to_string_lossy().as_ref());
    let repo = root.join("repo");
    let scratch = root.join("scratch");
    std::fs::create_dir_all(repo.join(".git")).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    copy_tree(dir, &repo, true).map_err(|e| format!("copying the case: {e}"))?;

    let subst = |s: &str| {
        s.replace("{case}", &repo.to_string_lossy())
            .replace("{tmp}", &scratch.to_string_lossy())
    };

    for (link, target) in &case.symlinks {
        let link = repo.join(link);
        if let Some(parent) = link.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::os::unix::fs::symlink(subst(target), &link)
            .map_err(|e| format!("symlink {}: {e}", link.display()))?;
    }
    for fifo in &case.fifos {
        let path = repo.join(fifo);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let status = Command::new("mkfifo")
            .arg(&path)
            .status()
            .map_err(|e| format!("mkfifo: {e}"))?;
        if !status.success() {
            return Err(format!("mkfifo {} failed", path.display()).into());
        }
    }
    for (path, generated) in &case.files {
        let path = repo.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let mut out =
            std::io::BufWriter::new(std::fs::File::create(&path).map_err(|e| e.to_string())?);
        out.write_all(generated.prefix.as_bytes())
            .map_err(|e| e.to_string())?;
        for _ in 0..generated.times {
            out.write_all(generated.repeat.as_bytes())
                .map_err(|e| e.to_string())?;
        }
        out.write_all(generated.suffix.as_bytes())
            .map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }

    let args: Vec<String> = case.args.iter().map(|a| subst(a)).collect();
    let run = run_binary(&args, &case, &scratch)?;

    let mut failures = Vec::new();
    if run.code != Some(case.exit) {
        failures.push(format!("exit code {:?}, expected {}", run.code, case.exit));
    }
    check_text(
        "stdout",
        &run.stdout,
        &case.stdout_contains,
        &case.stdout_lacks,
        &subst,
        &mut failures,
    );
    check_text(
        "stderr",
        &run.stderr,
        &case.stderr_contains,
        &case.stderr_lacks,
        &subst,
        &mut failures,
    );
    for path in &case.absent {
        let path = subst(path);
        if std::fs::symlink_metadata(&path).is_ok() {
            failures.push(format!("`{path}` exists, and must not"));
        }
    }
    for path in &case.present {
        let path = subst(path);
        if std::fs::symlink_metadata(&path).is_err() {
            failures.push(format!("`{path}` does not exist, and must"));
        }
    }

    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&root);
        Ok(())
    } else {
        Err(format!(
            "{}\nroster {}\n{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            case.about,
            args.join(" "),
            failures.join("\n"),
            clip(&run.stdout),
            clip(&run.stderr)
        )
        .into())
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the binary with a deadline; standard output and error are drained on their own threads
/// so that a chatty run cannot block on a full pipe.
fn run_binary(args: &[String], case: &Case, cwd: &Path) -> Result<Run, Failed> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_roster"));
    cmd.args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .envs(&case.env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if case.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd.spawn().map_err(|e| format!("spawning roster: {e}"))?;
    if let Some(text) = &case.stdin {
        let mut stdin = child.stdin.take().unwrap();
        let text = text.clone();
        std::thread::spawn(move || {
            let _ = stdin.write_all(text.as_bytes());
        });
    }
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(case.timeout_secs);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{}\nroster {}\nstill running after {} s: killed",
                case.about,
                args.join(" "),
                case.timeout_secs
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Run {
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

fn check_text(
    stream: &str,
    text: &str,
    contains: &[String],
    lacks: &[String],
    subst: &dyn Fn(&str) -> String,
    failures: &mut Vec<String>,
) {
    for needle in contains {
        let needle = subst(needle);
        if !text.contains(&needle) {
            failures.push(format!("{stream} lacks `{needle}`"));
        }
    }
    for needle in lacks {
        let needle = subst(needle);
        if text.contains(&needle) {
            failures.push(format!("{stream} contains `{needle}`, and must not"));
        }
    }
}

fn clip(text: &str) -> &str {
    let end = text.char_indices().nth(4000).map_or(text.len(), |(i, _)| i);
    &text[..end]
}

/// A new empty directory under the system's temporary directory.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies a case directory, without its `case.yaml`.
fn copy_tree(from: &Path, to: &Path, top: bool) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&dest)?;
            copy_tree(&path, &dest, false)?;
        } else if top && entry.file_name() == "case.yaml" {
            continue;
        } else {
            std::fs::copy(&path, &dest)?;
        }
    }
    Ok(())
}
