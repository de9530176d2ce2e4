//! .NET regular expressions, evaluated offline.
//!
//! Entra's `Replace` function and the `-match` operator of membership rules run .NET regular
//! expressions. Roster translates a .NET pattern into Rust syntax and runs it with the linear
//! `regex` crate when that engine can honour it exactly, or with `fancy-regex` (a backtracking
//! engine with a step limit) when it needs lookaround, back-references or atomic groups. A
//! .NET pattern must never silently change meaning: what neither engine can reproduce is
//! refused with an error that says how to rewrite it.
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

use std::fmt;
use std::sync::LazyLock;

use emit::Mode;
use parse::GroupTable;

/// How many backtracking steps a pattern that needs the backtracking engine may take on one
/// search before the evaluation fails with an error (it never silently reports "no match").
pub const BACKTRACK_LIMIT: usize = 1_000_000;

/// Compiled-size limit for either engine: .NET's definitions of `\w` and friends are large
/// Unicode classes, and counted repetitions such as `\w{1,255}` exceed the `regex` crate's
/// default of 10 MiB.
const SIZE_LIMIT: usize = 64 << 20;

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
}

impl RegexError {
    fn runtime(message: String, help: &str) -> RegexError {
        RegexError {
            message,
            offset: None,
            help: Some(help.to_string()),
        }
    }

    fn internal(message: String) -> RegexError {
        RegexError {
            message: format!("internal error: {message}"),
            offset: None,
            help: None,
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

/// A compiled .NET pattern.
#[derive(Debug, Clone)]
pub struct NetRegex {
    /// The translation run by `exact` (for diagnostics).
    translated: String,
    /// Exact on every input.
    exact: Engine,
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
}

#[derive(Debug, Clone)]
enum Engine {
    Linear(regex::Regex),
    Backtracking(fancy_regex::Regex),
}

/// What to do with inputs holding characters outside the basic multilingual plane.
#[derive(Debug, Clone)]
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
    pub fn new(pattern: &str, options: Options) -> Result<NetRegex, RegexError> {
        let parsed = parse::parse(pattern, options.case_insensitive)?;
        let exact = emit::emit(&parsed.root, &parsed.groups, Mode::Exact)?;
        let expected_groups = parsed.groups.rust_to_net.len() + 1;
        let (engine, fast) = if exact.backtracking {
            let fast_form = emit::emit(&parsed.root, &parsed.groups, Mode::Fast)?;
            let fast = if fast_form.backtracking {
                None
            } else {
                Some(linear(&fast_form.pattern)?)
            };
            (Engine::Backtracking(backtracking(&exact.pattern)?), fast)
        } else {
            (Engine::Linear(linear(&exact.pattern)?), None)
        };
        let found_groups = match &engine {
            Engine::Linear(re) => re.captures_len(),
            Engine::Backtracking(re) => re.captures_len(),
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
            regex::Regex::new(&format!("(?:{})", profile.probes.join("|")))
                .map_or(AstralCheck::Always, AstralCheck::Probe)
        };
        Ok(NetRegex {
            translated: exact.pattern,
            exact: engine,
            fast,
            end_z: exact.end_z,
            boundary: exact.boundary,
            groups: parsed.groups,
            astral,
            empty_between_surrogates: profile.empty_between_surrogates,
        })
    }

    /// The Rust translation of the pattern, for diagnostics.
    pub fn translated(&self) -> &str {
        &self.translated
    }

    /// Whether some inputs are matched by the backtracking engine (with its step limit) rather
    /// than the linear one.
    pub fn uses_backtracking(&self) -> bool {
        matches!(self.exact, Engine::Backtracking(_))
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
        let pieces = replace::parse(replacement, &self.groups)?;
        let mut out = String::with_capacity(haystack.len());
        let mut last = 0;
        self.for_each_match(haystack, |caps| {
            let (start, end) = caps.first().copied().flatten().unwrap_or((last, last));
            out.push_str(haystack.get(last..start).unwrap_or(""));
            replace::expand(&pieces, haystack, caps, &self.groups, &mut out);
            last = end;
            Ok(())
        })?;
        out.push_str(haystack.get(last..).unwrap_or(""));
        Ok(out)
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
        let Some(number) = self.groups.lookup(group) else {
            return Err(RegexError {
                message: format!("the pattern has no group `{group}`"),
                offset: None,
                help: Some(self.group_help()),
            });
        };
        let index = self.groups.rust_index(number).unwrap_or(0);
        let pieces = replace::parse(replacement, &self.groups)?;
        let mut out = String::with_capacity(haystack.len());
        let mut last = 0;
        self.for_each_match(haystack, |caps| {
            let Some((start, end)) = caps.get(index).copied().flatten() else {
                return Ok(());
            };
            if start < last {
                return Err(RegexError::runtime(
                    format!("group `{group}` captured text overlapping an earlier replacement"),
                    "the group lies inside a lookaround that reaches back over a previous match; \
                     capture the group outside lookarounds",
                ));
            }
            out.push_str(haystack.get(last..start).unwrap_or(""));
            replace::expand(&pieces, haystack, caps, &self.groups, &mut out);
            last = end;
            Ok(())
        })?;
        out.push_str(haystack.get(last..).unwrap_or(""));
        Ok(out)
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
        Ok(Runner::Exact(&self.exact))
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
    /// Rust group (index 0: the whole match); stops at the first error.
    fn for_each_match(
        &self,
        haystack: &str,
        mut f: impl FnMut(&[Option<(usize, usize)>]) -> Result<(), RegexError>,
    ) -> Result<(), RegexError> {
        let runner = self.engine_for(haystack)?;
        let mut caps: Vec<Option<(usize, usize)>> = Vec::new();
        let mut pos = 0;
        while pos <= haystack.len() {
            if !runner.captures_at(haystack, pos, &mut caps)? {
                break;
            }
            let Some((start, end)) = caps.first().copied().flatten() else {
                break;
            };
            f(&caps)?;
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

fn linear(pattern: &str) -> Result<regex::Regex, RegexError> {
    // The translation nests a few levels per .NET group; the parser bounds .NET nesting.
    regex::RegexBuilder::new(pattern)
        .nest_limit(1000)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => too_big(),
            other => RegexError::internal(format!("translation `{pattern}` was rejected: {other}")),
        })
}

fn backtracking(pattern: &str) -> Result<fancy_regex::Regex, RegexError> {
    fancy_regex::RegexBuilder::new(pattern)
        .backtrack_limit(BACKTRACK_LIMIT)
        .delegate_size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let detail = e.to_string();
            if detail.contains("size limit")
                || detail.contains("too big")
                || detail.contains("PatternTooComplex")
            {
                return too_big();
            }
            RegexError {
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
            }
        })
}

fn too_big() -> RegexError {
    RegexError {
        message: "the pattern is too large to compile".to_string(),
        offset: None,
        help: Some(
            "reduce large repetition counts such as `{1000}` or nested repetitions".to_string(),
        ),
    }
}

fn runtime_error(e: fancy_regex::Error) -> RegexError {
    match e {
        fancy_regex::Error::RuntimeError(fancy_regex::RuntimeError::BacktrackLimitExceeded) => {
            RegexError::runtime(
                format!(
                    "matching needed more than {BACKTRACK_LIMIT} backtracking steps on this input"
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
