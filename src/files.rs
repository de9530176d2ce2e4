//! The files Roster touches on behalf of a policy set, and the guarantees around them
//! (`docs/security.md`, "Files"):
//!
//! - **The root.** Everything a policy set reads — data files named by a source's `path`, and
//!   policy files reached through symbolic links — must lie inside one directory, the root:
//!   the nearest ancestor of the policy directory (itself included) that holds a `.git`
//!   directory or file (a repository or a worktree), else the policy directory's parent.
//!   `--data-root DIR` replaces it (to widen it, name an ancestor). Containment is checked on
//!   canonical paths, so `..` and symbolic links are resolved as the operating system resolves
//!   them ([`resolve_inside`]).
//! - **Reading.** Only regular files are read: a file is opened without blocking (a named pipe
//!   cannot hang the run), the opened handle's metadata is checked (a directory, a device, a
//!   pipe or a socket is refused), and at most the limit plus one byte is read, so a file that
//!   grows while it is read is refused too ([`read_bounded`]).
//! - **Writing.** Output files are created only directly inside the output directory, under
//!   names that are plain file-name components ([`check_output_names`]), by writing a fresh
//!   temporary file and renaming it over the destination: a symbolic link already standing at
//!   the destination is replaced, never followed ([`write_atomically`]).

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Component, Path, PathBuf};

/// Largest data file read by default: 1 GiB (`--max-data-size` raises or lowers it).
pub const DEFAULT_MAX_DATA_BYTES: u64 = 1024 * 1024 * 1024;

/// What a policy set may read: the root, and the largest data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The canonical root; `None` refuses every path (nothing was established).
    pub root: Option<PathBuf>,
    /// Largest data file, in bytes.
    pub max_data_bytes: u64,
}

impl Default for Access {
    fn default() -> Access {
        Access {
            root: None,
            max_data_bytes: DEFAULT_MAX_DATA_BYTES,
        }
    }
}

/// The default root of the policy set at `policy` (a directory, or one file): the nearest
/// ancestor of the policy directory, itself included, that holds `.git` (a directory, or the
/// file of a worktree), else the policy directory's parent. Ancestors are those of the path as
/// given (made absolute, `.` and `..` removed), not of where symbolic links lead: a policy
/// directory that is itself a link out of its repository must not carry the root with it.
/// Canonical.
pub fn default_root(policy: &Path) -> std::io::Result<PathBuf> {
    let is_dir = std::fs::metadata(policy)?.is_dir();
    let absolute = lexical(&std::path::absolute(policy)?);
    let dir = if is_dir {
        absolute
    } else {
        absolute
            .parent()
            .map_or_else(|| absolute.clone(), Path::to_path_buf)
    };
    for ancestor in dir.ancestors() {
        if let Ok(meta) = std::fs::symlink_metadata(ancestor.join(".git"))
            && (meta.is_dir() || meta.is_file())
        {
            return std::fs::canonicalize(ancestor);
        }
    }
    std::fs::canonicalize(dir.parent().unwrap_or(&dir))
}

/// `path` with `.` removed and each `..` taking away the component before it, without asking
/// the file system.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The root for the policy set at `policy`: `--data-root` when given (it must be an existing
/// directory), else [`default_root`]. The policy set itself must lie inside it, canonically:
/// a policy directory that is a symbolic link out of its repository is refused. The error is
/// a message for the command line.
pub fn root_for(policy: &Path, data_root: Option<&Path>) -> Result<PathBuf, String> {
    let root = match data_root {
        Some(root) => match std::fs::canonicalize(root) {
            Ok(c) if c.is_dir() => c,
            Ok(_) => {
                return Err(format!(
                    "--data-root: `{}` is not a directory",
                    root.display()
                ));
            }
            Err(e) => return Err(format!("--data-root: `{}`: {e}", root.display())),
        },
        None => default_root(policy)
            .map_err(|e| format!("`{}`: cannot find its root: {e}", policy.display()))?,
    };
    let canonical =
        std::fs::canonicalize(policy).map_err(|e| format!("`{}`: {e}", policy.display()))?;
    if !canonical.starts_with(&root) {
        return Err(format!(
            "`{}` leads out of its root `{}` (to `{}`): a policy set is read only from inside its root, the repository that holds it or `--data-root`",
            quote(&policy.display().to_string()),
            quote(&root.display().to_string()),
            quote(&canonical.display().to_string())
        ));
    }
    Ok(root)
}

/// Why a path is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Escape {
    /// The path is absolute.
    Absolute,
    /// `..` components climb out of the root.
    ClimbsOut,
    /// A symbolic link on the way leads out of the root, to this place.
    LinkOut(PathBuf),
    /// No root was established, so nothing may be read.
    NoRoot,
}

impl Escape {
    /// The message (lower case, the path in backticks, escaped). The root itself is left out:
    /// it depends on where the repository is checked out.
    pub fn message(&self, path: &str) -> String {
        let path = quote(path);
        match self {
            Escape::Absolute => format!("the path `{path}` is absolute"),
            Escape::ClimbsOut => format!("the path `{path}` climbs out of the root"),
            Escape::LinkOut(to) => format!(
                "the path `{path}` leads out of the root through a symbolic link, to `{}`",
                quote(&to.display().to_string())
            ),
            Escape::NoRoot => format!("the path `{path}` cannot be read: no root was established"),
        }
    }

    /// How to fix it.
    pub fn help(&self) -> &'static str {
        "a source's `path` is relative to the policy file and stays inside the root: the repository that holds the policy set (the nearest directory with `.git`), else the policy directory's parent; whoever runs Roster can widen the root with `--data-root DIR`"
    }
}

/// Resolves `rel`, written in a policy file in the directory `base`, and checks that it stays
/// inside `root` (canonical). Returns the canonical path when the file exists, else the joined
/// path (opening it then fails as a missing file does).
pub fn resolve_inside(root: Option<&Path>, base: &Path, rel: &str) -> Result<PathBuf, Escape> {
    let Some(root) = root else {
        return Err(Escape::NoRoot);
    };
    let relative = Path::new(rel);
    if relative.has_root()
        || relative
            .components()
            .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
    {
        return Err(Escape::Absolute);
    }
    let base = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
    // Lexically first: `..` that climbs above the root is refused whether or not the file
    // exists.
    let mut lexical = base.clone();
    for c in relative.components() {
        match c {
            Component::Normal(part) => lexical.push(part),
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    if !lexical.starts_with(root) {
        return Err(Escape::ClimbsOut);
    }
    // Then as the operating system resolves it: symbolic links included. A path that does not
    // exist is checked through its longest existing ancestor.
    let joined = base.join(relative);
    if let Ok(canonical) = std::fs::canonicalize(&joined) {
        return if canonical.starts_with(root) {
            Ok(canonical)
        } else {
            Err(Escape::LinkOut(canonical))
        };
    }
    let mut ancestor = joined.parent();
    while let Some(dir) = ancestor {
        if let Ok(canonical) = std::fs::canonicalize(dir) {
            if !canonical.starts_with(root) {
                return Err(Escape::LinkOut(canonical));
            }
            break;
        }
        ancestor = dir.parent();
    }
    Ok(joined)
}

/// Why a file is not read.
#[derive(Debug)]
pub enum Refusal {
    /// Not a regular file: what it is instead (`a directory`, `a named pipe`...).
    NotRegular(&'static str),
    /// Larger than the limit: its size as far as known (at least this many bytes).
    TooLarge {
        /// The size (from the metadata, or how much was read before stopping).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The operating system's error.
    Io(std::io::Error),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotRegular(what) => write!(f, "it is {what}, not a regular file"),
            Refusal::TooLarge { size, limit } => write!(
                f,
                "it is {}, larger than the limit of {}",
                format_size(*size),
                format_size(*limit)
            ),
            Refusal::Io(e) => write!(f, "{}", e.to_string().to_lowercase()),
        }
    }
}

/// What a file type is, for messages: `a directory`, `a named pipe (FIFO)`...
pub fn kind_of(ty: std::fs::FileType) -> &'static str {
    if ty.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if ty.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if ty.is_char_device() {
            return "a character device";
        }
        if ty.is_block_device() {
            return "a block device";
        }
        if ty.is_socket() {
            return "a socket";
        }
    }
    if ty.is_symlink() {
        return "a symbolic link";
    }
    "something other than a file"
}

/// Opens `path` for reading without blocking (a named pipe with no writer would block
/// `open`), then checks the opened handle: only a regular file of at most `limit` bytes is
/// accepted. Returns the file and its size.
pub fn open_regular(path: &Path, limit: u64) -> Result<(File, u64), Refusal> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(Refusal::Io)?;
    let meta = file.metadata().map_err(Refusal::Io)?;
    if !meta.file_type().is_file() {
        return Err(Refusal::NotRegular(kind_of(meta.file_type())));
    }
    if meta.len() > limit {
        return Err(Refusal::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok((file, meta.len()))
}

/// Reads a regular file of at most `limit` bytes ([`open_regular`]); never more than
/// `limit + 1` bytes are read, whatever the file does meanwhile.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, Refusal> {
    let (file, size) = open_regular(path, limit)?;
    let capacity = usize::try_from(size).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(Refusal::Io)?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > limit {
        return Err(Refusal::TooLarge { size: read, limit });
    }
    Ok(bytes)
}

/// `1.5 MiB (1572864 bytes)`, `16 MiB`, `300 bytes`.
pub fn format_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    let (unit, name) = if bytes >= GIB {
        (GIB, "GiB")
    } else if bytes >= MIB {
        (MIB, "MiB")
    } else if bytes >= KIB {
        (KIB, "KiB")
    } else {
        return format!("{bytes} bytes");
    };
    let whole = bytes / unit;
    let tenths = (bytes % unit).saturating_mul(10) / unit;
    if bytes.is_multiple_of(unit) {
        format!("{whole} {name}")
    } else {
        format!("{whole}.{tenths} {name} ({bytes} bytes)")
    }
}

/// Parses a size for `--max-data-size`: bytes, or a number with `K`, `M`, `G` (binary units,
/// `KiB`/`MiB`/`GiB` and `KB`/`MB`/`GB` read the same), case-insensitive.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let number: u64 = number.parse().map_err(|_| {
        format!(
            "`{}` is not a size; write for example 512M or 2G",
            quote(text)
        )
    })?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "`{}` is not a size; write for example 512M or 2G",
                quote(text)
            ));
        }
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("`{}` is too large", quote(text)))
}

/// One character as messages show it: `a space`, or the character in backticks, escaped.
pub fn describe(c: char) -> String {
    if c == ' ' {
        "a space".into()
    } else {
        format!("`{}`", quote(&c.to_string()))
    }
}

/// User text as messages show it: control and invisible formatting characters escaped, at
/// most 200 characters (then `…`). A refused name or path may hold a line break that would
/// forge a line of output.
pub fn quote(text: &str) -> String {
    const MAX: usize = 200;
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i >= MAX {
            out.push('…');
            break;
        }
        if c.is_control() || is_invisible(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Format characters (bidirectional overrides, zero-width characters) and the line and
/// paragraph separators: invisible, and able to reorder or break what a reader sees.
pub fn is_invisible(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    matches!(
        get_general_category(c),
        G::Format | G::LineSeparator | G::ParagraphSeparator
    )
}

/// Names Windows reserves for devices, whatever the extension (`con.csv` is the console).
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Why `name` cannot be an output file name inside the output directory, if it cannot: it
/// must be one plain component (no separator, not `.` or `..`, no leading `.`), of letters,
/// digits, `-`, `_` and `.` only, at most 200 bytes, and not a Windows device name.
pub fn output_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".into());
    }
    if name.len() > 200 {
        return Some("the name is longer than 200 bytes".into());
    }
    if name.starts_with('.') {
        return Some("the name starts with `.`".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!(
            "the name holds {}, which is not a letter, digit, `-`, `_` or `.`",
            describe(c)
        ));
    }
    let stem = name.split('.').next().unwrap_or(name).to_ascii_lowercase();
    if RESERVED.contains(&stem.as_str()) {
        return Some(format!("`{stem}` is a device name on Windows"));
    }
    let mut components = Path::new(name).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(_)), None) => None,
        _ => Some("the name is not a plain file name".into()),
    }
}

/// Checks every output file name before anything is written: each must be a plain file name
/// ([`output_name_problem`]) and no two may be the same file on a case-insensitive file
/// system. The error is a message for the command line.
pub fn check_output_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
    let mut seen: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for name in names {
        if let Some(problem) = output_name_problem(name) {
            return Err(format!(
                "refusing to write `{}`: {problem}; nothing was written",
                quote(name)
            ));
        }
        if let Some(first) = seen.insert(name.to_lowercase(), name) {
            return Err(format!(
                "refusing to write `{}` and `{}`: they would be the same file (file names are compared without regard to case); nothing was written",
                quote(first),
                quote(name)
            ));
        }
    }
    Ok(())
}

/// Writes `dir/name` through a fresh temporary file in `dir`, renamed over the destination
/// when complete: a symbolic link standing at the destination is replaced, not followed, and
/// a failed write leaves no half-written file. `name` must pass [`output_name_problem`].
pub fn write_atomically(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut std::io::BufWriter<File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if let Some(problem) = output_name_problem(name) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("`{}`: {problem}", quote(name)),
        ));
    }
    let destination = dir.join(name);
    let mut attempt: u32 = 0;
    let (temporary, file) = loop {
        let candidate = dir.join(format!(".{name}.{}-{attempt}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(f) => break (candidate, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt = attempt.saturating_add(1);
            }
            Err(e) => return Err(e),
        }
    };
    let mut writer = std::io::BufWriter::new(file);
    let written = write(&mut writer)
        .and_then(|()| writer.flush())
        .and_then(|()| std::fs::rename(&temporary, &destination));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("roster-files-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::canonicalize(dir).unwrap()
    }

    #[test]
    fn the_root_is_the_nearest_repository_else_the_parent() {
        let dir = temp("root");
        std::fs::create_dir_all(dir.join("repo/policies/sub")).unwrap();
        assert_eq!(
            default_root(&dir.join("repo/policies/sub")).unwrap(),
            dir.join("repo/policies")
        );
        std::fs::create_dir_all(dir.join("repo/.git")).unwrap();
        assert_eq!(
            default_root(&dir.join("repo/policies/sub")).unwrap(),
            dir.join("repo")
        );
        // A worktree has a `.git` file.
        std::fs::create_dir_all(dir.join("wt/policies")).unwrap();
        std::fs::write(dir.join("wt/.git"), "gitdir: elsewhere\n").unwrap();
        std::fs::write(dir.join("wt/policies/a.yaml"), "").unwrap();
        assert_eq!(
            default_root(&dir.join("wt/policies/a.yaml")).unwrap(),
            dir.join("wt")
        );
    }

    #[test]
    #[cfg(unix)]
    fn a_policy_directory_linked_out_of_its_repository_is_refused() {
        let dir = temp("linked-policies");
        std::fs::create_dir_all(dir.join("repo/.git")).unwrap();
        std::fs::create_dir_all(dir.join("elsewhere/policies")).unwrap();
        std::os::unix::fs::symlink(dir.join("elsewhere/policies"), dir.join("repo/policies"))
            .unwrap();
        // The root is the repository the path is in, not where the link leads.
        assert_eq!(
            default_root(&dir.join("repo/policies")).unwrap(),
            dir.join("repo")
        );
        let e = root_for(&dir.join("repo/policies"), None).unwrap_err();
        assert!(e.contains("leads out of its root"), "{e}");
        std::os::unix::fs::symlink("/", dir.join("repo/all")).unwrap();
        assert!(root_for(&dir.join("repo/all"), None).is_err());
        // An explicit root that holds it is accepted.
        assert_eq!(
            root_for(&dir.join("repo/policies"), Some(&dir)).unwrap(),
            dir.clone()
        );
        // `..` in the given path is taken lexically.
        std::fs::create_dir_all(dir.join("repo/sub")).unwrap();
        assert_eq!(
            default_root(&dir.join("repo/sub/../sub")).unwrap(),
            dir.join("repo")
        );
    }

    #[test]
    fn paths_stay_inside_the_root() {
        let dir = temp("inside");
        std::fs::create_dir_all(dir.join("repo/policies")).unwrap();
        std::fs::create_dir_all(dir.join("repo/data")).unwrap();
        std::fs::write(dir.join("repo/data/a.csv"), "x\n").unwrap();
        std::fs::write(dir.join("secret.txt"), "s\n").unwrap();
        let root = dir.join("repo");
        let base = dir.join("repo/policies");
        let ok = |p: &str| resolve_inside(Some(&root), &base, p);
        assert_eq!(ok("../data/a.csv").unwrap(), dir.join("repo/data/a.csv"));
        assert_eq!(
            ok("../data/missing.csv").unwrap(),
            base.join("../data/missing.csv")
        );
        assert_eq!(ok("/etc/passwd"), Err(Escape::Absolute));
        assert_eq!(ok("../../secret.txt"), Err(Escape::ClimbsOut));
        assert_eq!(ok("../data/../../secret.txt"), Err(Escape::ClimbsOut));
        assert_eq!(ok("../../missing.txt"), Err(Escape::ClimbsOut));
        assert_eq!(resolve_inside(None, &base, "a.csv"), Err(Escape::NoRoot));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("secret.txt"), dir.join("repo/data/link.csv"))
                .unwrap();
            assert_eq!(
                ok("../data/link.csv"),
                Err(Escape::LinkOut(dir.join("secret.txt")))
            );
            std::os::unix::fs::symlink(&dir, dir.join("repo/data/up")).unwrap();
            assert!(matches!(
                ok("../data/up/missing.csv"),
                Err(Escape::LinkOut(_))
            ));
            // A link that stays inside is followed.
            std::os::unix::fs::symlink(dir.join("repo/data/a.csv"), dir.join("repo/b.csv"))
                .unwrap();
            assert_eq!(ok("../b.csv").unwrap(), dir.join("repo/data/a.csv"));
        }
    }

    #[test]
    fn only_bounded_regular_files_are_read() {
        let dir = temp("read");
        std::fs::write(dir.join("a.csv"), "0123456789").unwrap();
        assert_eq!(read_bounded(&dir.join("a.csv"), 10).unwrap().len(), 10);
        assert!(matches!(
            read_bounded(&dir.join("a.csv"), 9),
            Err(Refusal::TooLarge { size: 10, limit: 9 })
        ));
        assert!(matches!(
            read_bounded(&dir, 100),
            Err(Refusal::NotRegular("a directory"))
        ));
        #[cfg(unix)]
        {
            assert!(matches!(
                read_bounded(Path::new("/dev/zero"), 100),
                Err(Refusal::NotRegular("a character device"))
            ));
            let fifo = dir.join("pipe.csv");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|s| s.success()) {
                assert!(matches!(
                    read_bounded(&fifo, 100),
                    Err(Refusal::NotRegular("a named pipe (FIFO)"))
                ));
            }
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert!(parse_size("-1").is_err());
        assert!(parse_size("1X").is_err());
        assert!(parse_size("99999999999999999999").is_err());
        assert!(parse_size("99999999999G").is_err());
        assert_eq!(format_size(1 << 30), "1 GiB");
    }

    #[test]
    fn output_names_are_plain_and_distinct() {
        for bad in [
            "../x", "a/b", ".", "..", ".hidden", "", "con", "NUL.csv", "a\nb", "a b",
        ] {
            assert!(output_name_problem(bad).is_some(), "{bad:?}");
        }
        for good in ["erp", "active-directory.csv", "a_b.c", "connection"] {
            assert_eq!(output_name_problem(good), None, "{good}");
        }
        assert!(check_output_names(["a.csv", "b.csv"]).is_ok());
        let e = check_output_names(["erp.csv", "ERP.csv"]).unwrap_err();
        assert!(e.contains("same file"), "{e}");
    }

    #[test]
    fn writing_replaces_a_link_instead_of_following_it() {
        let dir = temp("write");
        std::fs::write(dir.join("outside.csv"), "keep").unwrap();
        std::fs::create_dir_all(dir.join("out")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.join("outside.csv"), dir.join("out/a.csv")).unwrap();
        write_atomically(&dir.join("out"), "a.csv", |w| w.write_all(b"new")).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("outside.csv")).unwrap(),
            "keep"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("out/a.csv")).unwrap(),
            "new"
        );
        assert!(write_atomically(&dir.join("out"), "../b.csv", |_| Ok(())).is_err());
        assert!(!dir.join("b.csv").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.join("out")).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[test]
    fn quoting_escapes_what_could_forge_a_line() {
        assert_eq!(quote("a\n::error::x"), "a\\n::error::x");
        assert_eq!(quote("\u{202e}abc"), "\\u{202e}abc");
        assert_eq!(quote(&"x".repeat(300)).chars().count(), 201);
    }
}
