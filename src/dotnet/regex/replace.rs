//! .NET replacement patterns: `$1`, `${name}`, `$$`, `$&`, `` $` ``, `$'`, `$+`, `$_`.
//!
//! Parsed the way .NET's `ScanDollar` does: digits after `$` are read greedily and the
//! reference is kept only if that group exists (`$10` with one group is the text `$10`, not
//! group 1 followed by `0`; write `${1}0` for that); `${...}` must be closed and name an
//! existing group; any other `$` is literal. The regex crate's own expansion is not used: its
//! rules differ (`$1a` names group `1a` there).

use super::RegexError;
use super::parse::{GroupTable, is_net_word_char};

/// One piece of a parsed replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Piece {
    /// Literal text.
    Text(String),
    /// The text of the group with this .NET number (0: the whole match).
    Group(u32),
    /// `` $` ``: the input before the match.
    Before,
    /// `$'`: the input after the match.
    After,
    /// `$+`: the group with the highest number.
    LastGroup,
    /// `$_`: the whole input.
    Input,
}

/// Parses a replacement against the groups of a pattern.
pub(super) fn parse(replacement: &str, groups: &GroupTable) -> Result<Vec<Piece>, RegexError> {
    let chars: Vec<(usize, char)> = replacement.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        i += 1;
        if c != '$' {
            text.push(c);
            continue;
        }
        let dollar = i - 1;
        let back = i;
        let piece = dollar_piece(&chars, &mut i, groups).map_err(|too_large| RegexError {
            message: format!("group number `{too_large}` in the replacement is too large"),
            offset: chars.get(dollar).map(|&(o, _)| o),
            help: Some(
                "group numbers must not exceed 2147483647; write `$$` for a literal `$`"
                    .to_string(),
            ),
            too_large: false,
        })?;
        match piece {
            Some(Piece::Text(t)) => text.push_str(&t),
            Some(piece) => {
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(piece);
            }
            None => {
                text.push('$');
                i = back;
            }
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// What follows a `$` at `*i`; `None` when the `$` is literal. `Err` carries digits that
/// overflow .NET's `int`.
fn dollar_piece(
    chars: &[(usize, char)],
    i: &mut usize,
    groups: &GroupTable,
) -> Result<Option<Piece>, String> {
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let Some(mut c) = at(*i) else { return Ok(None) };
    let angled = c == '{' && at(*i + 1).is_some();
    if angled {
        *i += 1;
        c = at(*i).unwrap_or('\0');
    }
    if c.is_ascii_digit() {
        let mut n: u32 = 0;
        let mut digits = String::new();
        while let Some(d) = at(*i).filter(char::is_ascii_digit) {
            digits.push(d);
            n = n
                .checked_mul(10)
                .and_then(|v| v.checked_add(d.to_digit(10).unwrap_or(0)))
                .filter(|&v| v <= 0x7FFF_FFFF)
                .ok_or_else(|| digits.clone())?;
            *i += 1;
        }
        let closed = !angled || {
            let ok = at(*i) == Some('}');
            *i += 1;
            ok
        };
        if closed && groups.is_slot(n) {
            return Ok(Some(Piece::Group(n)));
        }
    } else if angled && is_net_word_char(c) {
        let mut name = String::new();
        while let Some(ch) = at(*i).filter(|&ch| is_net_word_char(ch)) {
            name.push(ch);
            *i += 1;
        }
        let closed = at(*i) == Some('}');
        *i += 1;
        if closed && let Some(n) = groups.by_name(&name) {
            return Ok(Some(Piece::Group(n)));
        }
    } else if !angled {
        let piece = match c {
            '$' => Some(Piece::Text("$".to_string())),
            '&' => Some(Piece::Group(0)),
            '`' => Some(Piece::Before),
            '\'' => Some(Piece::After),
            '+' => Some(Piece::LastGroup),
            '_' => Some(Piece::Input),
            _ => None,
        };
        if piece.is_some() {
            *i += 1;
        }
        return Ok(piece);
    }
    Ok(None)
}

/// Appends the expansion of `pieces` for one match. `caps` holds the span of each Rust group
/// (index 0: the whole match) in `haystack`. Returns `false`, having appended only part, when
/// `out` would grow beyond `max` bytes (checked before each piece is appended).
pub(super) fn expand(
    pieces: &[Piece],
    haystack: &str,
    caps: &[Option<(usize, usize)>],
    groups: &GroupTable,
    out: &mut String,
    max: usize,
) -> bool {
    let span = |n: u32| -> &str {
        groups
            .rust_index(n)
            .and_then(|r| caps.get(r).copied().flatten())
            .and_then(|(s, e)| haystack.get(s..e))
            .unwrap_or("")
    };
    let (start, end) = caps.first().copied().flatten().unwrap_or((0, 0));
    for piece in pieces {
        let text = match piece {
            Piece::Text(t) => t.as_str(),
            Piece::Group(n) => span(*n),
            Piece::Before => haystack.get(..start).unwrap_or(""),
            Piece::After => haystack.get(end..).unwrap_or(""),
            Piece::LastGroup => span(groups.max_number()),
            Piece::Input => haystack,
        };
        if out.len().saturating_add(text.len()) > max {
            return false;
        }
        out.push_str(text);
    }
    true
}
