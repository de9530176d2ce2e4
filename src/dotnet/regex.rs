//! .NET regular expressions, evaluated offline.
//!
//! Entra's `Replace` function and the `-match` operator of membership rules run .NET regular
//! expressions. Roster translates a .NET pattern into Rust syntax and runs it with the linear
//! `regex` crate when that engine can honour it exactly, or with `fancy-regex` (a backtracking
//! engine) when it needs lookaround, back-references or atomic groups. A .NET pattern must
//! never silently change meaning: what neither engine can reproduce is refused with an error
//! that says how to rewrite it.
//!
//! Resources are bounded whatever the pattern and the input (`docs/decisions.md`, "Limits"):
//! the backtracking engine runs on at most [`MAX_BACKTRACKING_INPUT`] bytes, for at most
//! [`BACKTRACK_LIMIT`] steps per search and [`DEADLINE`] per value; one pattern compiles to at
//! most [`SIZE_LIMIT`] per engine; each distinct pattern is compiled once while it is in use,
//! and all of them together are charged against [`COMPILED_BUDGET`].
//!
//! Behaviours worth knowing (each is tested):
//!
//! - The pattern is parsed with .NET's rules (`{` is literal unless it forms a quantifier, `\1`
//!   is octal inside a class, unnamed groups are numbered before named ones, `(?n)` makes
//!   unnamed groups non-capturing, `x` mode leaves white space inside classes alone...).
//! - `\w`, `\d`, `\s` and `\b` use .NET's definitions, which differ slightly from Rust's.
//! - `$` (without `m`) and `\Z` match at the end or before a final `\n`.
//! - Matches are found as `Regex.Matches` does: after an empty match the search resumes one
//!   character further on, and an empty match may directly follow a non-empty one.
//! - Case-insensitive matching uses Unicode simple case folding, which agrees with .NET's
//!   invariant-culture case equivalences except for culture-specific pairs such as `i`/`İ`.
//! - .NET matches UTF-16 code units, roster matches characters. They differ only on
//!   characters outside the basic multilingual plane (such as emoji): a pattern that could
//!   treat such a character differently (`.`, a negated class, `\p{So}`...) returns an error
//!   for an input containing one, instead of a possibly different answer.
//!
//! Refused, with a message that names the construct, its byte offset and a rewrite: balancing
//! groups, conditionals, `\G`, named blocks such as `\p{IsGreek}`, POSIX-style classes,
//! groups defined twice, captures and back-references inside lookbehinds, repetitions whose
//! body can match empty text while holding a group or preferring the empty path (`(a*)+`:
//! .NET runs a final empty iteration that Rust's engines skip), quantifiers on or classes
//! holding characters outside the basic multilingual plane, and surrogate escapes. What .NET
//! itself rejects (`*@domain.ext`, `a*+`, `\q`...) is an error too.

mod emit;
mod parse;
mod replace;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock, Mutex, Weak};

use emit::Mode;
use parse::GroupTable;

/// How many backtracking steps a pattern that needs the backtracking engine may take on one
/// search before the evaluation fails with an error (it never silently reports "no match").
///
/// A step of the backtracking engine may run a linear sub-search over the rest of the input
/// (the parts of a pattern outside lookarounds are delegated to the linear engine), so the
/// work of one search is bounded by this limit times the input's length: with
/// [`MAX_BACKTRACKING_INPUT`] that is at most about 4 × 10^8 byte-steps, a fraction of a second.
pub const BACKTRACK_LIMIT: usize = 100_000;

/// The longest input, in bytes, that a pattern needing the backtracking engine is run on.
/// Lookaround makes the engine's work grow with the square of the input (a lookahead that
/// scans to the end, tried at every position), so a longer value is an error (`E104`), never
/// minutes of work. Directory attributes are far shorter.
pub const MAX_BACKTRACKING_INPUT: usize = 4096;

/// The time one value may spend in the backtracking engine across all the searches of one
/// `Replace` (each match starts a new search, each bounded by [`BACKTRACK_LIMIT`]). Only a
/// pattern built to backtrack on every match comes near it; it is the one limit that depends on
/// the machine's speed, and it is reached only by inputs that would otherwise run for minutes.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(1);

/// Compiled-size limit of one pattern, for each engine: .NET's definitions of `\w` and friends
/// are large Unicode classes, and `\w{1,255}` compiles to about 15 MiB. A pattern over the
/// limit is refused when the policy is checked (`C321`).
pub const SIZE_LIMIT: usize = 16 << 20;

/// The lazy DFA cache of each linear engine (per thread that searches with it).
const DFA_SIZE_LIMIT: usize = 1 << 20;

/// The compiled size all live patterns of the process may take together. Each distinct
/// pattern is compiled once ([`NetRegex::new`] shares it), and charged the smallest of
/// 16 KiB, 64 KiB, 256 KiB, 1 MiB, 4 MiB and 16 MiB it fits in; a pattern that would exceed
/// the budget is refused (`C321`), so no policy set can make Roster compile gigabytes of
/// automata.
pub const COMPILED_BUDGET: usize = 1 << 30;

/// The size tiers a compiled engine is charged by (see [`COMPILED_BUDGET`]).
const TIERS: [usize; 6] = [16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, SIZE_LIMIT];

/// The compiled size currently charged to live patterns.
static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Compiled patterns by (pattern, case-insensitive): every live [`NetRegex`] for the same
/// pattern shares one compilation. Errors are remembered too (up to [`MAX_CACHED_ERRORS`]), so a
/// pattern refused once is not compiled again.
static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(|| Mutex::new(Cache::default()));

/// How many refused patterns the cache remembers.
const MAX_CACHED_ERRORS: usize = 10_000;

#[derive(Default)]
struct Cache {
    live: HashMap<(String, bool), Weak<Compiled>>,
    errors: HashMap<(String, bool), RegexError>,
    /// Size of `live` after the last sweep of dropped entries.
    swept: usize,
}

/// An error from compiling a pattern, parsing a replacement, or matching.
///
/// `message` is lower-case without a final period and quotes user input in backticks;
/// `offset` is the byte offset in the pattern (or replacement) where known, and `None` for
/// errors that arise at match time; `help` says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    /// What is wrong, lower-case, without a final period, user input in backticks.
    pub message: String,
    /// Byte offset in the pattern (or replacement) where the problem starts; `None` for
    /// errors that arise while matching.
    pub offset: Option<usize>,
    /// How to fix or rewrite it.
    pub help: Option<String>,
    /// The pattern is valid but too large to compile ([`SIZE_LIMIT`], [`COMPILED_BUDGET`]):
    /// callers report it as `C321`, not as an invalid pattern.
    pub too_large: bool,
}

impl RegexError {
    fn runtime(message: String, help: &str) -> RegexError {
        RegexError {
            message,
            offset: None,
            help: Some(help.to_string()),
            too_large: false,
        }
    }

    fn internal(message: String) -> RegexError {
        RegexError {
            message: format!("internal error: {message}"),
            offset: None,
            help: None,
            too_large: false,
        }
    }
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(offset) = self.offset {
            write!(f, " (at byte {offset})")?;
        }
        Ok(())
    }
}

impl std::error::Error for RegexError {}

/// Options that Entra applies around a pattern.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// RegexOptions.IgnoreCase: `-match` in membership rules sets it, `Replace` does not.
    pub case_insensitive: bool,
}

/// A compiled .NET pattern. Cloning is cheap: clones, and every pattern compiled from the same
/// text with the same options while one is alive, share one compilation.
#[derive(Debug, Clone)]
pub struct NetRegex(Arc<Compiled>);

impl std::ops::Deref for NetRegex {
    type Target = Compiled;

    fn deref(&self) -> &Compiled {
        &self.0
    }
}

/// The engines and tables of one compiled pattern (reached through [`NetRegex`]).
#[derive(Debug)]
pub struct Compiled {
    /// The translation run by `exact` (for diagnostics).
    translated: String,
    /// Whether `exact` is the backtracking engine.
    backtracks: bool,
    /// Exact on every input. When a linear `fast` engine covers ordinary input, the
    /// backtracking engine is compiled only when an input first needs it (an input ending with
    /// `\n`, non-ASCII text near `\b`): most patterns never do, and checking a policy set then
    /// compiles one engine per pattern, not two.
    exact: std::sync::OnceLock<Result<Engine, RegexError>>,
    /// The number of groups the engines must have (for the lazy compilation's check).
    expected_groups: usize,
    /// A linear engine, exact on the inputs `engine_for` gives it; set when `exact`
    /// backtracks only for `$`/`\Z` or `\b`/`\B`.
    fast: Option<regex::Regex>,
    /// The pattern contains `$`/`\Z` without Multiline.
    end_z: bool,
    /// The pattern contains `\b`/`\B`.
    boundary: bool,
    groups: GroupTable,
    astral: AstralCheck,
    /// The pattern could match empty text between the two surrogates of an astral character.
    empty_between_surrogates: bool,
    /// The compiled size charged to [`LIVE`], returned when the last clone is dropped.
    charge: usize,
}

impl Drop for Compiled {
    fn drop(&mut self) {
        LIVE.fetch_sub(self.charge, Ordering::Relaxed);
    }
}

#[derive(Debug)]
enum Engine {
    Linear(regex::Regex),
    Backtracking(fancy_regex::Regex),
}

/// What to do with inputs holding characters outside the basic multilingual plane.
#[derive(Debug)]
enum AstralCheck {
    /// The pattern treats them as .NET does.
    Never,
    /// Any of them may be treated differently.
    Always,
    /// Those this probe matches may be treated differently.
    Probe(regex::Regex),
}

/// The characters whose word-ness differs between Rust's `\b` and .NET's.
static BOUNDARY_DIFFERS: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
    let w = emit::NET_BOUNDARY_CLASS;
    regex::Regex::new(&format!(r"[\w--{w}]|[{w}--\w]")).ok()
});

impl NetRegex {
    /// Compiles a .NET pattern, or explains why it is invalid in .NET or cannot be reproduced.
    /// A pattern already compiled with the same options (and still in use) is shared, not
    /// compiled again; one that is too large to compile, or would take the compiled patterns of
    /// the process over [`COMPILED_BUDGET`], is an error with `too_large` set.
    pub fn new(pattern: &str, options: Options) -> Result<NetRegex, RegexError> {
        let key = (pattern.to_string(), options.case_insensitive);
        if let Ok(cache) = CACHE.lock() {
            if let Some(re) = cache.live.get(&key).and_then(Weak::upgrade) {
                return Ok(NetRegex(re));
            }
            if let Some(e) = cache.errors.get(&key) {
                return Err(e.clone());
            }
        }
        let compiled = Compiled::new(pattern, options);
        if let Ok(mut cache) = CACHE.lock() {
            match &compiled {
                Ok(re) => {
                    // Two threads may have compiled the same pattern at once: keep the first.
                    if let Some(first) = cache.live.get(&key).and_then(Weak::upgrade) {
                        return Ok(NetRegex(first));
                    }
                    cache.live.insert(key, Arc::downgrade(re));
                    if cache.live.len() > 2 * cache.swept.max(1024) {
                        cache.live.retain(|_, w| w.strong_count() > 0);
                        cache.swept = cache.live.len();
                    }
                }
                // The budget may free up later: only refusals of the pattern itself stay.
                Err(e)
                    if !e.message.contains("budget") && cache.errors.len() < MAX_CACHED_ERRORS =>
                {
                    cache.errors.insert(key, e.clone());
                }
                Err(_) => {}
            }
        }
        compiled.map(NetRegex)
    }
}

impl Compiled {
    fn new(pattern: &str, options: Options) -> Result<Arc<Compiled>, RegexError> {
        let parsed = parse::parse(pattern, options.case_insensitive)?;
        let exact = emit::emit(&parsed.root, &parsed.groups, Mode::Exact)?;
        let expected_groups = parsed.groups.rust_to_net.len() + 1;
        let mut charge = Charge::default();
        let engine = std::sync::OnceLock::new();
        let fast = if exact.backtracking {
            let fast_form = emit::emit(&parsed.root, &parsed.groups, Mode::Fast)?;
            if fast_form.backtracking {
                let _ = engine.set(Ok(Engine::Backtracking(
                    charge.add(backtracking(&exact.pattern)?),
                )));
                None
            } else {
                let (fast, size) = linear(&fast_form.pattern)?;
                // The exact engine, compiled later if ever, is charged now: its linear parts
                // are no larger than the fast engine.
                charge.add(((), size.saturating_mul(2)));
                Some(fast)
            }
        } else {
            let _ = engine.set(Ok(Engine::Linear(charge.add(linear(&exact.pattern)?))));
            None
        };
        let found_groups = match engine.get() {
            Some(Ok(Engine::Linear(re))) => re.captures_len(),
            Some(Ok(Engine::Backtracking(re))) => re.captures_len(),
            _ => expected_groups,
        };
        let fast_groups = fast
            .as_ref()
            .map_or(expected_groups, regex::Regex::captures_len);
        if found_groups != expected_groups || fast_groups != expected_groups {
            return Err(RegexError::internal(format!(
                "translation of `{pattern}` has {found_groups} groups instead of {expected_groups}"
            )));
        }
        let profile = emit::astral_profile(&parsed.root);
        let astral = if profile.surrogates {
            AstralCheck::Always
        } else if profile.probes.is_empty() {
            AstralCheck::Never
        } else {
            linear(&format!("(?:{})", profile.probes.join("|")))
                .map_or(AstralCheck::Always, |probe| {
                    AstralCheck::Probe(charge.add(probe))
                })
        };
        let charge = charge.reserve()?;
        Ok(Arc::new(Compiled {
            translated: exact.pattern,
            backtracks: exact.backtracking,
            exact: engine,
            expected_groups,
            fast,
            end_z: exact.end_z,
            boundary: exact.boundary,
            groups: parsed.groups,
            astral,
            empty_between_surrogates: profile.empty_between_surrogates,
            charge,
        }))
    }
}

impl NetRegex {
    /// The Rust translation of the pattern, for diagnostics.
    pub fn translated(&self) -> &str {
        &self.translated
    }

    /// Whether some inputs are matched by the backtracking engine (with its step limit) rather
    /// than the linear one.
    pub fn uses_backtracking(&self) -> bool {
        self.backtracks
    }

    /// Whether the pattern needs the backtracking engine for every input: it uses lookaround,
    /// backreferences or atomic groups, not just `$`, `\Z` or `\b`, which have a linear fast
    /// path for ordinary input.
    pub fn always_backtracks(&self) -> bool {
        self.uses_backtracking() && self.fast.is_none()
    }

    /// Unanchored search: whether the pattern matches anywhere in `haystack`.
    pub fn is_match(&self, haystack: &str) -> Result<bool, RegexError> {
        match self.engine_for(haystack)? {
            Runner::Fast(re) | Runner::Exact(Engine::Linear(re)) => Ok(re.is_match(haystack)),
            Runner::Exact(Engine::Backtracking(re)) => re.is_match(haystack).map_err(runtime_error),
        }
    }

    /// Replaces every match with a .NET replacement pattern (`$1`, `${name}`, `$$`, `$&`,
    /// `` $` ``, `$'`, `$+`, `$_`), as `Regex.Replace` does.
    pub fn replace_all(&self, haystack: &str, replacement: &str) -> Result<String, RegexError> {
        self.replace_all_within(haystack, replacement, usize::MAX)
            .map(Option::unwrap_or_default)
    }

    /// [`NetRegex::replace_all`], or `None` as soon as the result would be longer than `max`
    /// bytes: the result is never built beyond that size, whatever the replacement repeats.
    pub fn replace_all_within(
        &self,
        haystack: &str,
        replacement: &str,
        max: usize,
    ) -> Result<Option<String>, RegexError> {
        let pieces = replace::parse(replacement, &self.groups)?;
        let mut out = String::with_capacity(haystack.len().min(max));
        let mut last = 0;
        let mut fits = true;
        self.for_each_match(haystack, |caps| {
            let (start, end) = caps.first().copied().flatten().unwrap_or((last, last));
            fits = push_within(&mut out, haystack.get(last..start).unwrap_or(""), max)
                && replace::expand(&pieces, haystack, caps, &self.groups, &mut out, max);
            last = end;
            Ok(fits)
        })?;
        if !fits || !push_within(&mut out, haystack.get(last..).unwrap_or(""), max) {
            return Ok(None);
        }
        Ok(Some(out))
    }

    /// Replaces only the text captured by group `group` (a name or a number) in every match,
    /// keeping the rest of each match: Entra's `Replace` with `regexPattern`, `regexGroupName`
    /// and `replacementValue`. The replacement is expanded as in [`NetRegex::replace_all`]
    /// against the whole match. A match in which the group did not participate is left as it
    /// is. Errors if the pattern has no such group.
    pub fn replace_group(
        &self,
        haystack: &str,
        group: &str,
        replacement: &str,
    ) -> Result<String, RegexError> {
        self.replace_group_within(haystack, group, replacement, usize::MAX)
            .map(Option::unwrap_or_default)
    }

    /// [`NetRegex::replace_group`], or `None` as soon as the result would be longer than `max`
    /// bytes.
    pub fn replace_group_within(
        &self,
        haystack: &str,
        group: &str,
        replacement: &str,
        max: usize,
    ) -> Result<Option<String>, RegexError> {
        let Some(number) = self.groups.lookup(group) else {
            return Err(RegexError {
                message: format!("the pattern has no group `{group}`"),
                offset: None,
                help: Some(self.group_help()),
                too_large: false,
            });
        };
        let index = self.groups.rust_index(number).unwrap_or(0);
        let pieces = replace::parse(replacement, &self.groups)?;
        let mut out = String::with_capacity(haystack.len().min(max));
        let mut last = 0;
        let mut fits = true;
        self.for_each_match(haystack, |caps| {
            let Some((start, end)) = caps.get(index).copied().flatten() else {
                return Ok(true);
            };
            if start < last {
                return Err(RegexError::runtime(
                    format!("group `{group}` captured text overlapping an earlier replacement"),
                    "the group lies inside a lookaround that reaches back over a previous match; \
                     capture the group outside lookarounds",
                ));
            }
            fits = push_within(&mut out, haystack.get(last..start).unwrap_or(""), max)
                && replace::expand(&pieces, haystack, caps, &self.groups, &mut out, max);
            last = end;
            Ok(fits)
        })?;
        if !fits || !push_within(&mut out, haystack.get(last..).unwrap_or(""), max) {
            return Ok(None);
        }
        Ok(Some(out))
    }

    /// The text captured by group `group` (a name or a number; `"0"` is the whole match) in
    /// the first match; `None` if nothing matches, the group did not participate, or the
    /// pattern has no such group (check that with [`NetRegex::has_group`]).
    pub fn first_group(&self, haystack: &str, group: &str) -> Result<Option<String>, RegexError> {
        let Some(index) = self
            .groups
            .lookup(group)
            .and_then(|n| self.groups.rust_index(n))
        else {
            return Ok(None);
        };
        let runner = self.engine_for(haystack)?;
        let mut caps = Vec::new();
        if !runner.captures_at(haystack, 0, &mut caps)? {
            return Ok(None);
        }
        Ok(caps
            .get(index)
            .copied()
            .flatten()
            .and_then(|(s, e)| haystack.get(s..e))
            .map(str::to_string))
    }

    /// Whether the pattern defines a group of that name (or number), resolved as .NET's
    /// `Groups[string]` does: with named groups present, numbers of named groups do not count.
    pub fn has_group(&self, group: &str) -> bool {
        self.groups.lookup(group).is_some()
    }

    /// Checks a replacement pattern without running it (it fails only on group numbers beyond
    /// .NET's `int` range; references to missing groups are kept literally, as in .NET).
    pub fn check_replacement(&self, replacement: &str) -> Result<(), RegexError> {
        replace::parse(replacement, &self.groups).map(|_| ())
    }

    fn group_help(&self) -> String {
        let mut known: Vec<String> = vec!["0".to_string()];
        for &n in &self.groups.rust_to_net {
            match self.groups.names.iter().find(|&&(_, g)| g == n) {
                Some((name, _)) => known.push(name.clone()),
                None => known.push(n.to_string()),
            }
        }
        format!(
            "the groups are {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    /// Picks the engine for this input, after refusing inputs the pattern could treat
    /// differently from .NET.
    fn engine_for(&self, haystack: &str) -> Result<Runner<'_>, RegexError> {
        self.check_astral(haystack)?;
        if let Some(fast) = &self.fast {
            let end_ok = !self.end_z || !haystack.ends_with('\n');
            let boundary_ok = !self.boundary
                || haystack.is_ascii()
                || BOUNDARY_DIFFERS
                    .as_ref()
                    .is_some_and(|re| !re.is_match(haystack));
            if end_ok && boundary_ok {
                return Ok(Runner::Fast(fast));
            }
        }
        if self.backtracks && haystack.len() > MAX_BACKTRACKING_INPUT {
            return Err(RegexError::runtime(
                format!(
                    "the input is {} bytes long; a pattern that needs the backtracking engine is run \
                     on at most {MAX_BACKTRACKING_INPUT} bytes",
                    haystack.len()
                ),
                "lookarounds, back-references and atomic groups make the work grow with the square \
                 of the input's length; rewrite the pattern without them (so that the linear engine \
                 runs it on input of any length), or shorten the value",
            ));
        }
        Ok(Runner::Exact(self.exact_engine()?))
    }

    /// The exact engine, compiled on first use when a fast engine covers ordinary input.
    fn exact_engine(&self) -> Result<&Engine, RegexError> {
        let built = self.exact.get_or_init(|| {
            let (re, _) = backtracking(&self.translated)?;
            if re.captures_len() != self.expected_groups {
                return Err(RegexError::internal(format!(
                    "translation `{}` has {} groups instead of {}",
                    self.translated,
                    re.captures_len(),
                    self.expected_groups
                )));
            }
            Ok(Engine::Backtracking(re))
        });
        built.as_ref().map_err(Clone::clone)
    }

    fn check_astral(&self, haystack: &str) -> Result<(), RegexError> {
        if matches!(self.astral, AstralCheck::Never) || !haystack.bytes().any(|b| b >= 0xF0) {
            return Ok(());
        }
        let culprit = match &self.astral {
            AstralCheck::Never => None,
            AstralCheck::Always => haystack.chars().find(|&c| u32::from(c) > 0xFFFF),
            AstralCheck::Probe(re) => re.find(haystack).and_then(|m| m.as_str().chars().next()),
        };
        match culprit {
            None => Ok(()),
            Some(c) => Err(RegexError::runtime(
                format!(
                    "the input contains `{c}` (U+{:04X}), a character outside the basic multilingual plane",
                    u32::from(c)
                ),
                ".NET matches it as two UTF-16 code units and this pattern could treat it \
                 differently from roster; use a pattern made of literal text and of classes that \
                 cannot match such characters, such as `[a-z]`",
            )),
        }
    }

    /// Runs `f` on each match in the order `Regex.Matches` finds them, with the span of every
    /// Rust group (index 0: the whole match); stops at the first error, or when `f` returns
    /// `false`.
    fn for_each_match(
        &self,
        haystack: &str,
        mut f: impl FnMut(&[Option<(usize, usize)>]) -> Result<bool, RegexError>,
    ) -> Result<(), RegexError> {
        let runner = self.engine_for(haystack)?;
        let mut caps: Vec<Option<(usize, usize)>> = Vec::new();
        let mut pos = 0;
        // Each search is bounded by the step limit; the number of searches by the deadline.
        let started = std::time::Instant::now();
        let backtracking = matches!(runner, Runner::Exact(Engine::Backtracking(_)));
        while pos <= haystack.len() {
            if backtracking && pos > 0 && started.elapsed() > DEADLINE {
                return Err(RegexError::runtime(
                    format!(
                        "matching took more than {} s on this input (searching it again after \
                         each of its matches)",
                        DEADLINE.as_secs()
                    ),
                    "the pattern backtracks heavily at every match: avoid nested quantifiers and \
                     lookarounds that rescan the rest of the input, or use an atomic group `(?>...)`",
                ));
            }
            if !runner.captures_at(haystack, pos, &mut caps)? {
                break;
            }
            let Some((start, end)) = caps.first().copied().flatten() else {
                break;
            };
            if !f(&caps)? {
                break;
            }
            pos = if end > start {
                end
            } else {
                match haystack.get(end..).and_then(|rest| rest.chars().next()) {
                    Some(c) if u32::from(c) > 0xFFFF && self.empty_between_surrogates => {
                        return Err(RegexError::runtime(
                            format!(
                                "the pattern matched empty text before `{c}` (U+{:04X}), a \
                                 character outside the basic multilingual plane",
                                u32::from(c)
                            ),
                            ".NET then looks for another match between the character's two \
                             UTF-16 code units, which roster cannot reproduce; make the pattern \
                             match at least one character",
                        ));
                    }
                    Some(c) => end + c.len_utf8(),
                    None => break,
                }
            };
        }
        Ok(())
    }
}

/// Appends `text` to `out` unless `out` would then be longer than `max` bytes.
fn push_within(out: &mut String, text: &str, max: usize) -> bool {
    if out.len().saturating_add(text.len()) > max {
        return false;
    }
    out.push_str(text);
    true
}

/// The engine chosen for one input.
enum Runner<'a> {
    Fast(&'a regex::Regex),
    Exact(&'a Engine),
}

impl Runner<'_> {
    /// Searches from `start`, filling `caps` with the group spans; `false` when nothing matches.
    fn captures_at(
        &self,
        haystack: &str,
        start: usize,
        caps: &mut Vec<Option<(usize, usize)>>,
    ) -> Result<bool, RegexError> {
        caps.clear();
        match *self {
            Runner::Fast(re) | Runner::Exact(Engine::Linear(re)) => {
                let Some(found) = re.captures_at(haystack, start) else {
                    return Ok(false);
                };
                caps.extend(found.iter().map(|m| m.map(|m| (m.start(), m.end()))));
            }
            Runner::Exact(Engine::Backtracking(re)) => {
                let Some(found) = re
                    .captures_from_pos(haystack, start)
                    .map_err(runtime_error)?
                else {
                    return Ok(false);
                };
                caps.extend((0..found.len()).map(|i| found.get(i).map(|m| (m.start(), m.end()))));
            }
        }
        Ok(true)
    }
}

/// Compiled engines and the size they are charged (see [`COMPILED_BUDGET`]).
#[derive(Default)]
struct Charge(usize);

impl Charge {
    fn add<T>(&mut self, (engine, size): (T, usize)) -> T {
        self.0 = self.0.saturating_add(size);
        engine
    }

    /// Charges the total to [`LIVE`], or refuses when that would exceed the budget.
    fn reserve(self) -> Result<usize, RegexError> {
        let before = LIVE.fetch_add(self.0, Ordering::Relaxed);
        if before.saturating_add(self.0) > COMPILED_BUDGET {
            LIVE.fetch_sub(self.0, Ordering::Relaxed);
            return Err(RegexError {
                message: format!(
                    "compiling this pattern would take the regular expressions of this run over \
                     their budget of {} MiB",
                    COMPILED_BUDGET >> 20
                ),
                offset: None,
                help: Some(
                    "the policy set holds too many large patterns: share one pattern among rules, \
                     or reduce counted repetitions such as `{1000}`"
                        .to_string(),
                ),
                too_large: true,
            });
        }
        Ok(self.0)
    }
}

/// Compiles with the linear engine: in the smallest size tier that holds it, which is also the
/// size it is charged.
fn linear(pattern: &str) -> Result<(regex::Regex, usize), RegexError> {
    let mut last = too_big();
    for tier in TIERS {
        // The translation nests a few levels per .NET group; the parser bounds .NET nesting.
        match regex::RegexBuilder::new(pattern)
            .nest_limit(1000)
            .size_limit(tier)
            .dfa_size_limit(DFA_SIZE_LIMIT)
            .build()
        {
            Ok(re) => return Ok((re, tier)),
            Err(regex::Error::CompiledTooBig(_)) => last = too_big(),
            Err(other) => {
                return Err(RegexError::internal(format!(
                    "translation `{pattern}` was rejected: {other}"
                )));
            }
        }
    }
    Err(last)
}

/// Compiles with the backtracking engine, its linear parts in the smallest size tier that holds
/// them (which is also the size it is charged).
fn backtracking(pattern: &str) -> Result<(fancy_regex::Regex, usize), RegexError> {
    let mut last = too_big();
    for tier in TIERS {
        let built = fancy_regex::RegexBuilder::new(pattern)
            .backtrack_limit(BACKTRACK_LIMIT)
            .delegate_size_limit(tier)
            .delegate_dfa_size_limit(DFA_SIZE_LIMIT)
            .build();
        let e = match built {
            Ok(re) => return Ok((re, tier)),
            Err(e) => e,
        };
        let over_size = match &e {
            fancy_regex::Error::CompileError(ce) => match ce.as_ref() {
                fancy_regex::CompileError::InnerError(inner) => inner.size_limit().is_some(),
                fancy_regex::CompileError::PatternTooComplex => true,
                _ => false,
            },
            _ => false,
        };
        let detail = e.to_string();
        if over_size || detail.contains("size limit") || detail.contains("too big") {
            last = too_big();
            continue;
        }
        return Err(RegexError {
            message: format!(
                "the backtracking engine cannot run this pattern: {}",
                lower_first(&detail)
            ),
            offset: None,
            help: Some(
                "simplify the lookarounds, back-references or atomic groups, for example by \
                 making a lookbehind fixed-length"
                    .to_string(),
            ),
            too_large: false,
        });
    }
    Err(last)
}

fn too_big() -> RegexError {
    RegexError {
        message: format!(
            "the pattern is too large to compile (over {} MiB)",
            SIZE_LIMIT >> 20
        ),
        offset: None,
        help: Some(
            "reduce large repetition counts such as `{1000}` or nested repetitions".to_string(),
        ),
        too_large: true,
    }
}

fn runtime_error(e: fancy_regex::Error) -> RegexError {
    match e {
        fancy_regex::Error::RuntimeError(fancy_regex::RuntimeError::BacktrackLimitExceeded) => {
            RegexError::runtime(
                format!(
                    "matching needed more than {} backtracking steps on this input",
                    crate::policy::ranges::thousands(
                        i64::try_from(BACKTRACK_LIMIT).unwrap_or(i64::MAX)
                    )
                ),
                "the pattern backtracks catastrophically: avoid nested quantifiers such as `(a+)+` and \
             alternatives that can match the same text, or use an atomic group `(?>...)`",
            )
        }
        other => RegexError::runtime(
            format!("matching failed: {}", lower_first(&other.to_string())),
            "simplify the pattern",
        ),
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
