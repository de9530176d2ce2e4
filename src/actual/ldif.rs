//! LDIF content (RFC 2849) as `ldapsearch` (any `-L` level, or none) and `ldifde -f` write it:
//! an optional `version: 1`, comments, folded lines (a line starting with one space, or
//! leniently a tab, continues the previous one), `attr: value`, `attr:: base64`, records
//! separated by blank lines, LF or CRLF line ends.
//!
//! Refused: `attr:< URL` values (reading a file or URL that the data names would let an export
//! make Roster read anything: `D210`), and change records other than `changetype: add`, which
//! is how `ldifde` writes content (`D211`). A ranged attribute (`member;range=0-1499`) is
//! only part of the values: it is read as unknown (`D209`). The `search:`/`result:` trailer of
//! `ldapsearch` without `-L` is checked: a result other than 0 (`4 Size limit exceeded`) means
//! the search stopped early (`D207`).
//!
//! Attribute names are case-insensitive; options other than `binary` stay part of the name
//! (`cn;lang-de`), in a fixed order. An attribute with one value is a string, with several a
//! list (and always a list for attributes that are multi-valued by nature: `objectClass`,
//! `member`, `memberOf`…). Base64 values that are UTF-8 text are text; others stay base64,
//! except `objectGUID` (its GUID text) and `objectSid` (`S-1-5-…`). The DN is the identifier,
//! as written; [`canonical_dn`] gives the form to compare DNs with.

use std::borrow::Cow;

use rayon::prelude::*;

use super::build::{Builder, Membership, Out, Rec, Sink};
use super::{DataIssue, ObjectKind, ReadOptions, quote};
use crate::codes::Code;
use crate::diagnostics::Severity;
use crate::value::Value;

/// Active Directory stops an unpaged search at this many entries (MaxPageSize).
const AD_PAGE: usize = 1000;

/// Attributes read as lists even with one value.
const MULTI: &[&str] = &[
    "objectclass",
    "member",
    "memberof",
    "uniquemember",
    "memberuid",
    "proxyaddresses",
    "othermailbox",
    "othertelephone",
    "othermobile",
    "serviceprincipalname",
    "showinaddressbook",
];

/// Attributes whose values are bytes, kept as base64.
const BINARY: &[&str] = &[
    "objectguid",
    "objectsid",
    "ms-ds-consistencyguid",
    "msexchmailboxguid",
    "jpegphoto",
    "thumbnailphoto",
    "usercertificate",
    "usersmimecertificate",
    "userpassword",
    "unicodepwd",
    "logonhours",
    "sidhistory",
    "tokengroups",
];

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Decodes base64 (RFC 4648 alphabet, padding optional, no other characters).
pub(super) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let body = text.trim_end_matches('=');
    if text.len() - body.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in body.bytes() {
        let v = B64.iter().position(|b| *b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    // Leftover bits must be zero padding, and a lone 6-bit group is not base64.
    (bits < 6 && acc & ((1 << bits) - 1) == 0).then_some(out)
}

/// Encodes base64 with padding.
pub(super) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let idx = ((n >> (18 - 6 * i)) & 63) as usize;
                out.push(char::from(B64.get(idx).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The text form of a GUID from its 16 bytes: the first three fields little-endian.
pub(super) fn guid_text(b: &[u8]) -> Option<String> {
    let b: &[u8; 16] = b.try_into().ok()?;
    Some(format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[3],
        b[2],
        b[1],
        b[0],
        b[5],
        b[4],
        b[7],
        b[6],
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15]
    ))
}

/// The `S-1-…` form of a binary SID.
pub(super) fn sid_text(b: &[u8]) -> Option<String> {
    let (&revision, rest) = b.split_first()?;
    let (&count, rest) = rest.split_first()?;
    let (authority, rest) = rest.split_at_checked(6)?;
    if rest.len() != usize::from(count) * 4 {
        return None;
    }
    let authority = authority
        .iter()
        .fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
    let mut out = format!("S-{revision}-{authority}");
    for sub in rest.chunks_exact(4) {
        let v = u32::from_le_bytes(sub.try_into().ok()?);
        out.push('-');
        out.push_str(&v.to_string());
    }
    Some(out)
}

/// A DN in a form to compare with: attribute types and values lower-cased, escapes
/// resolved and re-written one way, spaces around separators dropped, the parts of a
/// multi-valued RDN sorted. `None` when it is not a DN (RFC 4514).
pub fn canonical_dn(dn: &str) -> Option<String> {
    let mut rdns: Vec<Vec<String>> = vec![Vec::new()];
    let mut current = String::new();
    let mut chars = dn.chars().peekable();
    let push_ava = |text: &str, rdns: &mut Vec<Vec<String>>| -> Option<()> {
        let (t, v) = text.split_once('=')?;
        let t = t.trim().to_ascii_lowercase();
        if t.is_empty() {
            return None;
        }
        rdns.last_mut()?
            .push(format!("{t}={}", v.trim().to_lowercase()));
        Some(())
    };
    // Values are unescaped into `current`; a separator that was escaped is marked by a
    // placeholder so that the re-escape below can restore it.
    let mut hex = Vec::new();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let a = chars.next()?;
                if a.is_ascii_hexdigit() {
                    let b = chars.next()?;
                    let byte = u8::from_str_radix(&format!("{a}{b}"), 16).ok()?;
                    hex.push(byte);
                    if let Ok(s) = std::str::from_utf8(&hex) {
                        current.push_str(&escape(s));
                        hex.clear();
                    }
                    continue;
                }
                current.push_str(&escape(&a.to_string()));
            }
            ',' | ';' | '+' => {
                if !hex.is_empty() {
                    return None;
                }
                push_ava(&current, &mut rdns)?;
                current.clear();
                if c != '+' {
                    rdns.push(Vec::new());
                }
            }
            _ => {
                if !hex.is_empty() {
                    return None;
                }
                current.push(c);
            }
        }
    }
    if !hex.is_empty() {
        return None;
    }
    if dn.trim().is_empty() {
        return Some(String::new());
    }
    push_ava(&current, &mut rdns)?;
    let parts: Vec<String> = rdns
        .into_iter()
        .map(|mut r| {
            r.sort();
            r.join("+")
        })
        .collect();
    Some(parts.join(","))
}

/// Re-escapes the characters that separate or quote in a DN.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One logical (unfolded) line and the line it starts on.
struct Logical<'t> {
    line: usize,
    /// The line as written, borrowed from the piece read; its own once a continuation line is
    /// joined to it, or when its record goes on in the next piece.
    text: Cow<'t, str>,
}

/// An attribute description: `type;option;…`.
struct Desc {
    /// The name kept: the type and its options other than `binary`, options sorted.
    name: super::build::Name,
    binary: bool,
    range: Option<String>,
}

fn parse_desc(desc: &str) -> Option<Desc> {
    let mut parts = desc.split(';');
    let ty = parts.next()?;
    let valid_type = !ty.is_empty()
        && ty
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !valid_type {
        return None;
    }
    // Nearly every line: a type without options.
    if ty.len() == desc.len() {
        return Some(Desc {
            name: super::build::shared_name(&[ty]),
            binary: false,
            range: None,
        });
    }
    let mut binary = false;
    let mut range = None;
    let mut options = Vec::new();
    for o in parts {
        if o.is_empty()
            || !o
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'=' | b'*'))
        {
            return None;
        }
        let lower = o.to_ascii_lowercase();
        if lower == "binary" {
            binary = true;
        } else if let Some(r) = lower.strip_prefix("range=") {
            range = Some(r.to_string());
        } else {
            options.push(o.to_string());
        }
    }
    options.sort_by_key(|o| o.to_ascii_lowercase());
    let mut parts = vec![ty];
    for o in &options {
        parts.push(";");
        parts.push(o);
    }
    Some(Desc {
        name: super::build::shared_name(&parts),
        binary,
        range,
    })
}

/// A line's value: plain, base64 or a URL.
enum Raw<'a> {
    Plain(&'a str),
    Base64(&'a str),
    Url(&'a str),
}

/// Splits `desc: value`.
fn split_line(text: &str) -> Option<(&str, Raw<'_>)> {
    let (desc, rest) = text.split_once(':')?;
    Some(match rest.as_bytes().first() {
        Some(b':') => (desc, Raw::Base64(rest.get(1..)?.trim_matches(' '))),
        Some(b'<') => (desc, Raw::Url(rest.get(1..)?.trim_start_matches(' '))),
        _ => (desc, Raw::Plain(rest.trim_start_matches(' '))),
    })
}

/// The lines of `text`, split at each `\n` (the last one without it).
fn lines_of(text: &str) -> impl Iterator<Item = &str> {
    let mut from = 0;
    let mut cuts = memchr::memchr_iter(b'\n', text.as_bytes());
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let line = match cuts.next() {
            Some(at) => {
                let line = text.get(from..at);
                from = at + 1;
                line
            }
            None => {
                done = true;
                text.get(from..)
            }
        };
        Some(line.unwrap_or_default())
    })
}

/// Reads one LDIF file.
pub(super) fn read(
    text: &str,
    file: &str,
    options: &ReadOptions,
    out: &mut dyn Out,
    sink: &mut Sink,
) {
    let mut reader = Lines::new();
    reader.feed(text, 1, file, options, out, sink);
    reader.end(file, options, out, sink);
}

/// What a piece's lines give, in order: a problem with a line, or a block to parse.
enum Item<'t> {
    Issue(DataIssue),
    Block(Vec<Logical<'t>>, bool),
}

/// What a block gave: problems reported where it stands (before its record), and the record.
struct Parsed {
    issues: Vec<DataIssue>,
    rec: Option<Rec>,
}

/// Records handed on at a time.
const HANDED: usize = 1024;

/// Parses blocks in parallel.
fn parse(items: Vec<Item<'_>>, file: &str, options: &ReadOptions) -> Vec<Parsed> {
    items
        .into_par_iter()
        .map(|item| match item {
            Item::Issue(issue) => Parsed {
                issues: vec![issue],
                rec: None,
            },
            Item::Block(block, first) => {
                let mut parsed = record(block, first, file, options);
                if let Some(rec) = parsed.rec.as_mut().filter(|_| options.digests) {
                    rec.digest = Some(rec.digest_nonzero());
                }
                parsed
            }
        })
        .collect()
}

/// Hands on parsed blocks' records and problems in order.
fn hand_on(parsed: Vec<Parsed>, out: &mut dyn Out, sink: &mut Sink) {
    let mut recs = Vec::new();
    for p in parsed {
        if !p.issues.is_empty() {
            // Records before the problem go first, so that issues keep the order of the file.
            out.push_all(std::mem::take(&mut recs), sink);
            for issue in p.issues {
                sink.push(issue);
            }
        }
        if let Some(rec) = p.rec {
            recs.push(rec);
            if recs.len() >= HANDED {
                out.push_all(std::mem::take(&mut recs), sink);
            }
        }
    }
    out.push_all(recs, sink);
}

/// Reads an LDIF file a piece at a time: each piece is whole lines (without the newline that
/// ends the last), the first line of each numbered; a record may span pieces. A piece's
/// records are parsed in parallel (in the thread pool) while the previous piece's are handed
/// on.
pub(super) struct Lines {
    block: Vec<Logical<'static>>,
    in_comment: bool,
    first: bool,
    pending: Vec<Parsed>,
}

impl Lines {
    pub fn new() -> Lines {
        Lines {
            block: Vec::new(),
            in_comment: false,
            first: true,
            pending: Vec::new(),
        }
    }

    /// Parses `items` while handing on the previous piece's.
    fn parse_next(
        &mut self,
        items: Vec<Item<'_>>,
        file: &str,
        options: &ReadOptions,
        out: &mut dyn Out,
        sink: &mut Sink,
    ) {
        let pending = std::mem::take(&mut self.pending);
        let mut parsed = Vec::new();
        rayon::in_place_scope(|scope| {
            scope.spawn(|_| parsed = parse(items, file, options));
            hand_on(pending, out, sink);
        });
        self.pending = parsed;
    }

    /// The lines of `text`, the first numbered `first_line`.
    pub fn feed(
        &mut self,
        text: &str,
        first_line: usize,
        file: &str,
        options: &ReadOptions,
        out: &mut dyn Out,
        sink: &mut Sink,
    ) {
        let mut items = Vec::new();
        // The record this piece goes on with, if any, then those it starts.
        let mut block: Vec<Logical<'_>> = std::mem::take(&mut self.block);
        for (n, raw) in lines_of(text).enumerate() {
            let line = first_line.saturating_add(n);
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if let Some(rest) = raw.strip_prefix(' ').or_else(|| raw.strip_prefix('\t')) {
                if self.in_comment {
                    continue;
                }
                match block.last_mut() {
                    Some(last) => last.text.to_mut().push_str(rest),
                    None => items.push(Item::Issue(
                        DataIssue::new(
                            Code::ActualMalformed,
                            file,
                            "the line starts with a space, so it continues a line, but there is none to continue; it is ignored",
                        )
                        .at(line),
                    )),
                }
            } else if raw.is_empty() {
                self.in_comment = false;
                if !block.is_empty() {
                    items.push(Item::Block(std::mem::take(&mut block), self.first));
                    self.first = false;
                }
            } else if raw.starts_with('#') {
                self.in_comment = true;
            } else {
                self.in_comment = false;
                block.push(Logical {
                    line,
                    text: Cow::Borrowed(raw),
                });
            }
        }
        // A record that goes on in the next piece keeps its lines.
        self.block = block
            .into_iter()
            .map(|l| Logical {
                line: l.line,
                text: Cow::Owned(l.text.into_owned()),
            })
            .collect();
        self.parse_next(items, file, options, out, sink);
    }

    /// The end of the file: the last record.
    pub fn end(mut self, file: &str, options: &ReadOptions, out: &mut dyn Out, sink: &mut Sink) {
        let last = if self.block.is_empty() {
            Vec::new()
        } else {
            vec![Item::Block(std::mem::take(&mut self.block), self.first)]
        };
        self.parse_next(last, file, options, out, sink);
        hand_on(std::mem::take(&mut self.pending), out, sink);
    }
}

/// A value decoded and added to the record's text: where it is there.
fn decode_value(
    name: &str,
    desc: &Desc,
    raw: Raw<'_>,
    line: usize,
    file: &str,
    rec: &mut Rec,
) -> Option<(usize, usize)> {
    let text = decode_text(name, desc, raw, line, file, rec)?;
    let start = rec.text.len();
    rec.text.push_str(&text);
    Some((start, rec.text.len()))
}

/// A value decoded.
fn decode_text<'v>(
    name: &str,
    desc: &Desc,
    raw: Raw<'v>,
    line: usize,
    file: &str,
    rec: &mut Rec,
) -> Option<Cow<'v, str>> {
    match raw {
        Raw::Plain(v) => Some(Cow::Borrowed(v)),
        Raw::Url(url) => {
            rec.issues.push(
                DataIssue::new(
                    Code::ActualUrlValue,
                    file,
                    format!("the value is a reference to {}, which is not read; the attribute is read as unknown", quote(url)),
                )
                .at(line)
                .field(name)
                .help("export the values inline (`ldapsearch` without `-t`): Roster does not read files or URLs that data names"),
            );
            None
        }
        Raw::Base64(b64) => {
            let Some(bytes) = base64_decode(b64) else {
                rec.issues.push(
                    DataIssue::new(
                        Code::ActualMalformed,
                        file,
                        format!(
                            "{} is not base64; the attribute is read as unknown",
                            quote(b64)
                        ),
                    )
                    .at(line)
                    .field(name),
                );
                return None;
            };
            let base = name.split(';').next().unwrap_or(name).to_ascii_lowercase();
            let special = match base.as_str() {
                "objectguid" => Some(("a GUID (16 bytes)", guid_text(&bytes))),
                "objectsid" => Some(("a SID", sid_text(&bytes))),
                _ => None,
            };
            if let Some((what, text)) = special {
                if text.is_none() {
                    rec.issues.push(
                        DataIssue::new(
                            Code::ActualValue,
                            file,
                            format!("the value is not {what}; the attribute is read as unknown"),
                        )
                        .at(line)
                        .field(name),
                    );
                }
                return text.map(Cow::Owned);
            }
            if desc.binary || BINARY.contains(&base.as_str()) {
                return Some(Cow::Owned(base64_encode(&bytes)));
            }
            Some(Cow::Owned(match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => base64_encode(e.as_bytes()),
            }))
        }
    }
}

/// An attribute's values as the lines of a record give them.
struct Gathered {
    /// The name kept (see [`Desc::name`]).
    name: super::build::Name,
    /// Where its values are in the record's text: the first, then any others (most
    /// attributes have one, and need no list).
    first: Option<(usize, usize)>,
    more: Vec<(usize, usize)>,
    /// The line of its first value.
    line: usize,
    /// The range option, if a line had one.
    range: Option<String>,
    /// A value could not be read.
    unknown: bool,
}

/// One block: a record, the version line, or the `ldapsearch` trailer.
fn record(block: Vec<Logical<'_>>, first: bool, file: &str, options: &ReadOptions) -> Parsed {
    let mut direct: Vec<DataIssue> = Vec::new();
    let nothing = |issues| Parsed { issues, rec: None };
    let mut lines = block.into_iter().peekable();
    if first
        && let Some(l) = lines.peek()
        && let Some((desc, raw)) = split_line(&l.text)
        && desc.eq_ignore_ascii_case("version")
    {
        if !matches!(raw, Raw::Plain("1")) {
            direct.push(
                DataIssue::new(Code::ActualMalformed, file, "the LDIF version is not 1").at(l.line),
            );
        }
        lines.next();
    }
    let Some(head) = lines.next() else {
        return nothing(direct);
    };
    let Some((desc, raw)) = split_line(&head.text) else {
        direct.push(
            DataIssue::new(
                Code::ActualMalformed,
                file,
                format!(
                    "{} is not `attribute: value`; the entry is skipped",
                    quote(&head.text)
                ),
            )
            .at(head.line),
        );
        return nothing(direct);
    };
    if desc.eq_ignore_ascii_case("search") || desc.eq_ignore_ascii_case("result") {
        trailer(head, lines, file, &mut direct);
        return nothing(direct);
    }
    if !desc.eq_ignore_ascii_case("dn") {
        direct.push(
            DataIssue::new(
                Code::ActualMalformed,
                file,
                format!("the entry starts with `{desc}:`, not `dn:`; it is skipped"),
            )
            .at(head.line)
            .help("each LDIF entry starts with its `dn:` line, after a blank line"),
        );
        return nothing(direct);
    }
    let mut rec = Rec::new(head.line);
    let dn = match raw {
        Raw::Plain(v) => Some(v.to_string()),
        Raw::Base64(b) => match base64_decode(b).map(String::from_utf8) {
            Some(Ok(s)) => Some(s),
            _ => {
                rec.issue(
                    Code::ActualMalformed,
                    file,
                    Some("dn"),
                    format!(
                        "the DN {} is not base64 of UTF-8 text; the entry is skipped",
                        quote(b)
                    ),
                );
                None
            }
        },
        Raw::Url(_) => {
            rec.issue(
                Code::ActualUrlValue,
                file,
                Some("dn"),
                "the DN is a reference to a file or URL, which is not read; the entry is skipped"
                    .to_string(),
            );
            None
        }
    };
    match dn {
        Some(dn) if !dn.trim().is_empty() => rec.id = Some(dn),
        Some(_) => rec.issue(
            Code::ActualMissingId,
            file,
            Some("dn"),
            "the entry's DN is empty (the root DSE is not an account); it is skipped".to_string(),
        ),
        None => {}
    }
    let mut attrs: Vec<Gathered> = Vec::new();
    let mut folded: std::collections::HashMap<String, usize, foldhash::fast::FixedState> =
        std::collections::HashMap::default();
    let mut first_attr = true;
    for l in lines {
        let Some((desc_text, raw)) = split_line(&l.text) else {
            rec.issues.push(
                DataIssue::new(
                    Code::ActualMalformed,
                    file,
                    format!(
                        "{} is not `attribute: value`; the line is ignored",
                        quote(&l.text)
                    ),
                )
                .at(l.line),
            );
            continue;
        };
        if first_attr && desc_text.eq_ignore_ascii_case("control") {
            continue;
        }
        if first_attr && desc_text.eq_ignore_ascii_case("changetype") {
            first_attr = false;
            let kind = match raw {
                Raw::Plain(v) => v.trim().to_ascii_lowercase(),
                _ => String::new(),
            };
            if kind != "add" {
                rec.issues.push(
                    DataIssue::new(
                        Code::ActualChangeRecord,
                        file,
                        format!("the entry is a change record (`changetype: {kind}`), not content; it is skipped"),
                    )
                    .at(l.line)
                    .help("export the entries themselves (`ldapsearch`, or `ldifde -f` which writes `changetype: add`)"),
                );
                rec.id = None;
                break;
            }
            continue;
        }
        first_attr = false;
        let Some(desc) = parse_desc(desc_text) else {
            rec.issues.push(
                DataIssue::new(
                    Code::ActualMalformed,
                    file,
                    format!("`{desc_text}` is not an attribute description; the line is ignored"),
                )
                .at(l.line),
            );
            continue;
        };
        let value = decode_value(&desc.name, &desc, raw, l.line, file, &mut rec);
        // An entry names a few dozen attributes: they are looked for in turn, and by a map
        // only in an entry that names many more.
        let found = if attrs.len() <= FEW_ATTRIBUTES {
            attrs
                .iter()
                .position(|a| a.name.eq_ignore_ascii_case(&desc.name))
        } else {
            if folded.is_empty() {
                for (k, a) in attrs.iter().enumerate() {
                    folded.entry(a.name.to_ascii_lowercase()).or_insert(k);
                }
            }
            folded.get(&desc.name.to_ascii_lowercase()).copied()
        };
        let i = match found {
            Some(i) => i,
            None => {
                if !folded.is_empty() {
                    folded.insert(desc.name.to_ascii_lowercase(), attrs.len());
                }
                attrs.push(Gathered {
                    name: desc.name.clone(),
                    first: None,
                    more: Vec::new(),
                    line: l.line,
                    range: None,
                    unknown: false,
                });
                attrs.len() - 1
            }
        };
        if let Some(a) = attrs.get_mut(i) {
            if desc.range.is_some() {
                a.range = desc.range.clone();
            }
            match value {
                Some(v) if a.first.is_none() => a.first = Some(v),
                Some(v) => a.more.push(v),
                None => a.unknown = true,
            }
        }
    }
    let groups = options.kind == ObjectKind::Groups;
    let mut members: Vec<super::Member> = Vec::new();
    let mut member_state: Option<Membership> = None;
    for Gathered {
        name,
        first,
        more,
        line,
        range,
        unknown,
    } in attrs
    {
        let spans = first.into_iter().chain(more.iter().copied());
        let base = name.split(';').next().unwrap_or(&name);
        let is_member = groups
            && (base.eq_ignore_ascii_case("member") || base.eq_ignore_ascii_case("uniquemember"))
            && name.len() == base.len();
        if let Some(range) = &range
            && range.split_once('-') != Some(("0", "*"))
        {
            rec.issues.push(
                DataIssue::new(
                    Code::ActualMembershipUnknown,
                    file,
                    format!("the values are a range (`{name};range={range}`), only part of them; the attribute is read as unknown"),
                )
                .at(line)
                .field(&*name)
                .help("export with a tool that follows ranged retrieval to the end (`ldifde` does; `ldapsearch` does not)"),
            );
            if is_member {
                member_state = Some(Membership::Partial("ranged"));
            }
            continue;
        }
        if unknown {
            if is_member {
                member_state = Some(Membership::Untrusted);
            }
            continue;
        }
        if is_member {
            members.extend(spans.map(|at| super::Member {
                id: text_at(&rec.text, at).into(),
                kind: None,
            }));
            continue;
        }
        if base.eq_ignore_ascii_case("useraccountcontrol") {
            match (first, more.is_empty()) {
                (Some(one), true) => match text_at(&rec.text, one).trim().parse::<i64>() {
                    Ok(flags) => rec.enabled = Some(flags & 2 == 0),
                    Err(_) => rec.issues.push(
                        DataIssue::new(
                            Code::ActualValue,
                            file,
                            format!("{} is not a number; whether the account is enabled is unknown", quote(text_at(&rec.text, one))),
                        )
                        .at(line)
                        .field(&*name),
                    ),
                },
                _ => rec.issues.push(
                    DataIssue::new(
                        Code::ActualValue,
                        file,
                        "`userAccountControl` has several values; whether the account is enabled is unknown",
                    )
                    .at(line)
                    .field(&*name),
                ),
            }
        }
        match first {
            Some((start, end))
                if more.is_empty() && !MULTI.iter().any(|m| m.eq_ignore_ascii_case(base)) =>
            {
                rec.put_span(name, start, end);
            }
            _ => {
                let list = spans
                    .map(|at| Value::Str(text_at(&rec.text, at).to_string()))
                    .collect();
                rec.put_shared(name, Value::List(list));
            }
        }
    }
    if groups {
        rec.members = member_state.unwrap_or(Membership::Known(members));
    }
    Parsed {
        issues: direct,
        rec: Some(rec),
    }
}

/// The value at `start..end` of a record's text.
fn text_at(text: &str, (start, end): (usize, usize)) -> &str {
    text.get(start..end).unwrap_or_default()
}

/// The most attributes of an entry looked for in turn; beyond them, by a map.
const FEW_ATTRIBUTES: usize = 64;

/// The `search:`/`result:` lines `ldapsearch` prints without `-L`.
fn trailer<'t>(
    head: Logical<'t>,
    rest: impl Iterator<Item = Logical<'t>>,
    file: &str,
    direct: &mut Vec<DataIssue>,
) {
    for l in std::iter::once(head).chain(rest) {
        let Some((desc, Raw::Plain(value))) = split_line(&l.text) else {
            continue;
        };
        if desc.eq_ignore_ascii_case("result") {
            let code = value.split_whitespace().next().unwrap_or("");
            if code != "0" {
                direct.push(
                    DataIssue::new(
                        Code::ActualTruncated,
                        file,
                        format!("the search ended with `result: {value}`, so the export is incomplete"),
                    )
                    .at(l.line)
                    .help("page the search (`ldapsearch -E pr=500/noprompt`) so that it is not stopped by a size limit"),
                );
            }
        }
    }
}

/// Checks the whole export: exactly Active Directory's page size of entries is suspicious.
pub(super) fn finish(builder: &Builder<'_>, first_file: &str, sink: &mut Sink) {
    if builder.rows() == AD_PAGE {
        sink.push(
            DataIssue::new(
                Code::ActualSuspicious,
                first_file,
                "the export holds exactly 1000 entries, where Active Directory stops a search that is not paged",
            )
            .severity(Severity::Warning)
            .help("export with paging (`ldapsearch -E pr=500/noprompt`) if the directory holds more"),
        );
    }
}
